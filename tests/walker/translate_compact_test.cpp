// SPDX-License-Identifier: MIT OR Apache-2.0
// translate_compact() is the same walk as translate() with a smaller result: on random tables, random bits
// and random accesses, both must agree on every outcome.
#include <gtest/gtest.h>

#include <random>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

class CompactAgrees : public testing::TestWithParam<PagingMode> {};

TEST_P(CompactAgrees, WithTranslateOnRandomTablesAndAccesses) {
    const PagingMode mode = GetParam();
    std::mt19937_64 rng(1234);
    const ModeShape s = shape(mode);
    for (int round = 0; round < 200; ++round) {
        HandTables t(mode);
        const std::uint64_t leaf_level = 1 + rng() % (mode == PagingMode::legacy32 ? 2 : s.levels == 3 ? 2 : 3);
        const auto path = t.map(kVa, static_cast<unsigned>(leaf_level), leaf_level == 1 ? 0x123000 : 0x4000'0000,
                                (rng() & (RW | US)) | (rng() % 4 == 0 ? XD : 0), RW | US);
        // Flip a few random bits in the path (present bits included): reserved bits, rights, not-present.
        for (int flips = static_cast<int>(rng() % 3); flips > 0; --flips) {
            const unsigned level = static_cast<unsigned>(leaf_level + rng() % (s.levels - leaf_level + 1));
            if (mode == PagingMode::pae && level == 3) continue;  // a PDPTE reserved bit is a #GP at load
            const unsigned bit = static_cast<unsigned>(rng() % (s.entry_bytes * 8));
            t.write_entry(path.at[level], t.read_entry(path.at[level]) ^ (std::uint64_t{1} << bit));
        }
        auto mem = t.memory();
        CpuFeatures cpu{};
        cpu.maxphyaddr = static_cast<std::uint8_t>(36 + rng() % 17);
        const Context ctx = t.context(cpu, (rng() & 1) ? cr4::smep | cr4::smap : 0, rng() & 1, rng() & 1);
        const Access access = Access{static_cast<AccessType>(rng() % 3), static_cast<std::uint8_t>((rng() & 1) * 3),
                                     (rng() & 1) != 0, false, 0};
        const TranslateResult full = translate(ctx, mem, kVa, access);
        const CompactTranslation compact = translate_compact(ctx, mem, kVa, access);
        ASSERT_EQ(static_cast<int>(full.kind()), static_cast<int>(compact.kind)) << "round " << round;
        EXPECT_EQ(full.vector(), compact.vector());
        if (const std::optional<Mapping> m = full.mapping()) {
            EXPECT_EQ(m->pa, compact.pa());
            EXPECT_EQ(m->page_size, compact.page_size());
            EXPECT_EQ(m->level, compact.level);
            EXPECT_EQ(m->writable, compact.writable());
            EXPECT_EQ(m->user, compact.user());
            EXPECT_EQ(m->executable, compact.executable());
        }
        if (const std::optional<PageFault> f = full.page_fault()) {
            EXPECT_EQ(f->error_code, compact.error_code) << "round " << round;
            EXPECT_EQ(f->level, compact.level);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Translate, CompactAgrees, testing::ValuesIn(kAllModes), mode_name);

}  // namespace
}  // namespace pagewalk::test
