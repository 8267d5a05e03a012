// SPDX-License-Identifier: MIT OR Apache-2.0
// Property test of the mapper: thousands of random map / unmap / protect calls per mode (seeded, reproducible),
// checked after every step against a plain reference model — a map from 4 KiB virtual pages to physical page
// and rights. After each step: translate() of every page in the window agrees with the model, every page-table
// frame in use is reachable and non-empty, and allocated − freed frames equals the tables in use.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

struct PageInfo {
    std::uint64_t pa;
    MapRights rights;
};
using Reference = std::map<std::uint64_t, PageInfo>;  // virtual page address → what it maps

struct World {
    PagingMode mode;
    PhysicalBuffer phys{48 * MiB};
    OffsetMemory mem = phys.memory();
    BumpAllocator<8192> frames{1 * MiB, 47 * MiB};
    Context ctx;
    std::uint64_t window;  // first virtual address of the window the steps use
    std::uint64_t window_size;

    explicit World(PagingMode m) : mode(m) {
        const Context bare = Context::for_mode(m, 0);
        const std::uint64_t root = Mapper<OffsetMemory, BumpAllocator<8192>>::create_root(bare, mem, frames);
        ctx = Context::for_mode(m, root);
        // 32-bit paging has 4 MiB pages: give it room for several; the others get 2 MiB pages.
        window = m == PagingMode::legacy32 ? 0x4000'0000 : (m == PagingMode::pae ? 0x8000'0000 : 0xffff'8000'4000'0000);
        window_size = m == PagingMode::legacy32 ? 24 * MiB : 12 * MiB;
    }

    // Counts the page-table frames reachable from the root (root excluded) and checks none is empty.
    std::uint64_t tables_in_use(unsigned level, std::uint64_t table, bool is_root) {
        const ModeShape s = shape(mode);
        std::uint64_t count = is_root ? 0 : 1;
        unsigned present = 0;
        for (unsigned i = 0; i < s.at(level).entries(); ++i) {
            std::uint64_t e = 0;
            EXPECT_TRUE(mem.read_entry(
                {table, 0, static_cast<std::uint16_t>(i), static_cast<std::uint8_t>(level), s.entry_bytes}, e));
            if ((e & P) == 0) continue;
            ++present;
            if (level > 1 && (e & ctx.rule(level).leaf_test) == 0) {
                count += tables_in_use(level - 1, e & ctx.rule(level).table_address, false);
            }
        }
        if (!is_root) {
            EXPECT_GT(present, 0u) << "an empty table was left behind at level " << level;
        }
        return count;
    }
};

// Expected outcome of a call against the reference, which it updates on success.
MapError ApplyToReference(Reference& ref, int op, std::uint64_t va, std::uint64_t pa, std::uint64_t size,
                          const MapRights& rights, bool replace) {
    bool any_mapped = false, all_mapped = true;
    for (std::uint64_t off = 0; off < size; off += 4096) {
        const bool mapped = ref.count(va + off) != 0;
        any_mapped = any_mapped || mapped;
        all_mapped = all_mapped && mapped;
    }
    if (op == 0 && any_mapped && !replace) return MapError::already_mapped;
    if (op == 2 && !all_mapped) return MapError::not_mapped;
    for (std::uint64_t off = 0; off < size; off += 4096) {
        if (op == 0) ref[va + off] = {pa + off, rights};
        if (op == 1) ref.erase(va + off);
        if (op == 2) ref[va + off].rights = rights;
    }
    return MapError::none;
}

class MapProperty : public testing::TestWithParam<PagingMode> {};

TEST_P(MapProperty, RandomSequencesAgreeWithAReferenceModel) {
    World w(GetParam());
    Mapper mapper(w.ctx, w.mem, w.frames);
    Reference ref;
    std::mt19937_64 rng(0x5eed + static_cast<unsigned>(GetParam()));
    const bool has_xd = GetParam() != PagingMode::legacy32;
    const std::uint64_t huge = GetParam() == PagingMode::legacy32 ? 4 * MiB : 2 * MiB;
    const int steps = 1500;
    for (int step = 0; step < steps; ++step) {
        const int op = static_cast<int>(rng() % 3);
        // Aligned to a huge page half of the time, so that huge pages, splits and whole-table frees happen.
        const std::uint64_t align = (rng() & 1) ? huge : 4096;
        const std::uint64_t pages = (rng() % 4 == 0) ? (huge / 4096) * (1 + rng() % 2) : 1 + rng() % 40;
        std::uint64_t va = w.window + (rng() % (w.window_size / align)) * align;
        std::uint64_t size = pages * 4096;
        if (va + size > w.window + w.window_size) size = w.window + w.window_size - va;
        const std::uint64_t pa = (0x1'0000'0000ull >> (GetParam() == PagingMode::legacy32 ? 4 : 0)) +
                                 (rng() % 64) * huge + (align == 4096 ? (rng() % 512) * 4096 : 0);
        const MapRights rights{(rng() & 1) != 0, (rng() & 1) != 0, !has_xd || (rng() & 1) != 0};
        const bool replace = (rng() % 3) == 0;
        const std::uint8_t sizes = static_cast<std::uint8_t>(page_4k | ((rng() & 1) ? page_huge : 0));

        mapper.merge_huge_pages((step / 100) % 2 == 1);  // merging changes the tables, never the translations
        MapResult r;
        if (op == 0) r = mapper.map(va, pa, size, rights, {.sizes = sizes, .replace = replace});
        if (op == 1) r = mapper.unmap(va, size);
        if (op == 2) r = mapper.protect(va, size, rights);
        const MapError expected = ApplyToReference(ref, op, va, pa, size, rights, replace);
        ASSERT_EQ(r.error, expected) << "step " << step << " op " << op << " va " << std::hex << va << " size " << size
                                     << " error va " << r.error_va;

        // Every page of the window translates exactly as the reference says.
        for (std::uint64_t page = w.window; page < w.window + w.window_size; page += 4096) {
            const CompactTranslation t = translate_compact(w.ctx, w.mem, page, Access::read());
            const auto it = ref.find(page);
            if (it == ref.end()) {
                ASSERT_EQ(t.kind, TranslateResult::Kind::page_fault) << "step " << step << " page " << std::hex << page;
                ASSERT_EQ(t.error_code & pf::p, 0u);
                continue;
            }
            ASSERT_TRUE(t.ok()) << "step " << step << " page " << std::hex << page << " vector " << t.vector();
            ASSERT_EQ(t.pa(), it->second.pa) << "step " << step << " page " << std::hex << page;
            ASSERT_EQ(t.writable(), it->second.rights.writable) << "step " << step;
            ASSERT_EQ(t.user(), it->second.rights.user) << "step " << step;
            ASSERT_EQ(t.executable(), it->second.rights.executable) << "step " << step;
        }
        // mappings() lists exactly the reference's pages, as maximal uniform runs.
        std::uint64_t listed = 0;
        const MappingRun* previous = nullptr;
        MappingRun last_run{};
        (void)mappings(w.ctx, w.mem, VisitRange{w.window, w.window + w.window_size - 1}, [&](const MappingRun& run) {
            for (std::uint64_t page = run.va_first; page <= run.va_last; page += 4096, ++listed) {
                const auto it = ref.find(page);
                ASSERT_NE(it, ref.end()) << "step " << step << " listed an unmapped page " << std::hex << page;
                EXPECT_EQ(it->second.pa, run.pa_first + (page - run.va_first));
                EXPECT_EQ(it->second.rights.writable, run.rights.writable);
            }
            if (previous != nullptr) {
                // Maximal: a run never continues the previous one with the same rights and physical contiguity.
                const bool continues =
                    previous->va_last + 1 == run.va_first && previous->pa_first + previous->size() == run.pa_first &&
                    previous->page_size == run.page_size && previous->rights.writable == run.rights.writable &&
                    previous->rights.user == run.rights.user && previous->rights.executable == run.rights.executable;
                EXPECT_FALSE(continues) << "step " << step << " runs not coalesced at " << std::hex << run.va_first;
            }
            last_run = run;
            previous = &last_run;
        });
        ASSERT_EQ(listed, ref.size()) << "step " << step;
        const std::uint64_t in_use = w.tables_in_use(shape(GetParam()).levels, w.ctx.root(), true) + 1;  // + root
        ASSERT_EQ(w.frames.allocated() - w.frames.freed(), in_use) << "step " << step;
        ASSERT_EQ(w.frames.dropped(), 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(Map, MapProperty, testing::ValuesIn(kAllModes), mode_name);

}  // namespace
}  // namespace pagewalk::test

namespace pagewalk::test {
namespace {

// Large pages and the edges of every table: random map (with replace) and unmap calls over a 4 GiB window whose
// ends fall on, just before and just after 4 KiB / 2 MiB / 1 GiB boundaries. The state is tracked at sample
// points on those edges (every page would be too many); frames are accounted exactly as above.
class MapGiantProperty : public testing::TestWithParam<PagingMode> {};

TEST_P(MapGiantProperty, EdgesOfOneGiBAndTwoMiBPagesAgreeWithTheModel) {
    World w(GetParam());
    Mapper mapper(w.ctx, w.mem, w.frames);
    std::mt19937_64 rng(77);
    const std::uint64_t base = 0x40'0000'0000ull, window = 4 * GiB;
    std::vector<std::uint64_t> edges;
    for (std::uint64_t g = 0; g <= window; g += GiB) {
        for (std::uint64_t m = 0; m < GiB; m += 256 * MiB) {
            for (std::int64_t d : {-8192, -4096, 0, 4096, 8192, 2 << 20, (2 << 20) + 4096}) {
                const std::int64_t at = static_cast<std::int64_t>(g + m) + d;
                if (at >= 0 && static_cast<std::uint64_t>(at) < window) edges.push_back(static_cast<std::uint64_t>(at));
            }
        }
    }
    std::map<std::uint64_t, PageInfo> samples;  // offset in the window → mapping, for mapped samples
    for (int step = 0; step < 300; ++step) {
        const std::uint64_t a = edges[rng() % edges.size()];
        const std::uint64_t b = rng() % 4 == 0 ? a : edges[rng() % edges.size()];  // often a single page at an edge
        const std::uint64_t first = a < b ? a : b, end = (a < b ? b : a) + 4096;
        const std::uint64_t pa = 0x10'0000'0000ull + (rng() % 4) * GiB + (rng() & 1 ? 0 : (rng() % 512) * 2 * MiB);
        const MapRights rights{(rng() & 1) != 0, (rng() & 1) != 0, true};
        const bool unmap = rng() % 3 == 0;
        const MapResult r =
            unmap ? mapper.unmap(base + first, end - first)
                  : mapper.map(base + first, pa + first % (2 * MiB), end - first, rights, {.replace = true});
        ASSERT_TRUE(r) << "step " << step << " " << to_string(r.error) << " at " << std::hex << r.error_va;
        for (std::uint64_t s : edges) {
            if (s < first || s >= end) continue;
            if (unmap) {
                samples.erase(s);
            } else {
                samples[s] = {pa + first % (2 * MiB) + (s - first), rights};
            }
        }
        for (std::uint64_t s : edges) {
            const CompactTranslation t = translate_compact(w.ctx, w.mem, base + s, Access::read());
            const auto it = samples.find(s);
            if (it == samples.end()) {
                ASSERT_FALSE(t.ok()) << "step " << step << " offset " << std::hex << s;
                continue;
            }
            ASSERT_TRUE(t.ok()) << "step " << step << " offset " << std::hex << s;
            ASSERT_EQ(t.pa(), it->second.pa) << "step " << step << " offset " << std::hex << s;
            ASSERT_EQ(t.writable(), it->second.rights.writable);
            ASSERT_EQ(t.user(), it->second.rights.user);
        }
        const std::uint64_t in_use = w.tables_in_use(shape(GetParam()).levels, w.ctx.root(), true) + 1;
        ASSERT_EQ(w.frames.allocated() - w.frames.freed(), in_use) << "step " << step;
    }
}

INSTANTIATE_TEST_SUITE_P(Map, MapGiantProperty, testing::ValuesIn(kLongModes), mode_name);

}  // namespace
}  // namespace pagewalk::test
