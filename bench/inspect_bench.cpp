// SPDX-License-Identifier: MIT OR Apache-2.0
// The inspector on a Linux-like 256 MiB guest (4-level paging): bulk translation (the walk alone, then with text
// or JSON lines, then from input text to output text) and whole `maps` listings in each format, against a visit
// that only counts leaves.
//
// The guest: a direct map of all RAM at 0xffff888000000000 in 4 KiB pages (the worst case: 65536 leaves), a kernel
// image (2 MiB text pages, 4 KiB rodata/data), 200 modules and 2000 vmalloc areas with guard pages, a vmemmap in
// 2 MiB pages, and one process (text, heap, 50 libraries, stack) — ~88,000 leaves in all. Its page tables are built
// with the walker's Mapper inside RAM, which is written to a raw image and to a QEMU-style ELF core (two segments,
// the legacy VGA/BIOS hole left out) and read back through `Dump` as `pagewalk inspect` does.
// PAGEWALK_INSPECT_BENCH_KEEP=DIR keeps the two files (to time the `pagewalk` command on them).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <pagewalk/pagewalk.hpp>
#include <random>
#include <string>
#include <vector>

#include "inspect/core_writer.hpp"
#include "inspect/dump.hpp"
#include "inspect/dump_memory.hpp"
#include "inspect/hex.hpp"
#include "inspect/listing.hpp"
#include "inspect/translator.hpp"
#include "ratio_report.hpp"

namespace {

using namespace pagewalk;
using namespace pagewalk::host::inspect;

constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB;
constexpr std::uint64_t kRam = 256 * MiB;
constexpr std::uint64_t kTables = 200 * MiB;  // page-table frames: [200 MiB, 256 MiB)

/// The guest, its dumps on disk, and a set of mapped addresses in random order.
struct Guest {
    std::string dir;
    std::optional<Dump> raw, elf;
    Context ctx;
    std::vector<std::uint64_t> vas;
    std::string input;  // the addresses as text, one per line

    Guest() {
        std::vector<std::uint8_t> ram(kRam, 0);
        OffsetMemory memory(ram.data(), ram.size());
        BumpAllocator<512> frames(kTables, kRam - kTables);
        const Context bare = Context::for_mode(PagingMode::long4, 0);
        const std::uint64_t root = Mapper<OffsetMemory, BumpAllocator<512>>::create_root(bare, memory, frames);
        ctx = Context::for_mode(PagingMode::long4, root);
        Mapper mapper{ctx, memory, frames};
        std::mt19937_64 rng(1);
        auto frame = [&rng] { return (rng() % (kTables / 4096)) * 4096; };
        auto map = [&](std::uint64_t va, std::uint64_t pa, std::uint64_t size, MapRights r, MapOptions o) {
            if (!mapper.map(va, pa, size, r, o)) std::abort();
        };
        constexpr MapOptions k4K{.sizes = page_4k}, kGlobal4K{.sizes = page_4k, .global = true};
        map(0xffff'8880'0000'0000, 0, kRam, MapRights::rw_nx(), kGlobal4K);
        map(0xffff'ffff'8100'0000, 16 * MiB, 8 * MiB, MapRights::read_only(), {.global = true});
        map(0xffff'ffff'8180'0000, 24 * MiB, 4 * MiB, {false, false, false}, kGlobal4K);
        map(0xffff'ffff'81c0'0000, 28 * MiB, 4 * MiB, MapRights::rw_nx(), kGlobal4K);
        map(0xffff'ea00'0000'0000, 32 * MiB, 4 * MiB, MapRights::rw_nx(), {.global = true});
        for (std::uint64_t m = 0, va = 0xffff'ffff'c000'0000; m < 200; ++m, va += 5 * 4 * KiB) {
            map(va, frame(), 4 * KiB, MapRights::read_only(), kGlobal4K);
            map(va + 4 * KiB, frame(), 4 * KiB, MapRights::read_only(), kGlobal4K);
            map(va + 8 * KiB, frame(), 8 * KiB, MapRights::rw_nx(), kGlobal4K);
        }
        for (std::uint64_t a = 0, va = 0xffff'c900'0000'0000; a < 2000; ++a) {
            const std::uint64_t pages = 1 + rng() % 8;
            for (std::uint64_t p = 0; p < pages; ++p)
                map(va + p * 4 * KiB, frame(), 4 * KiB, MapRights::rw_nx(), kGlobal4K);
            va += (pages + 1) * 4 * KiB;  // a guard page after each area
        }
        map(0x40'0000, 40 * MiB, 2 * MiB, MapRights::user_ro(), k4K);
        map(0x60'0000, 48 * MiB, 16 * MiB, {true, true, false}, k4K);
        for (std::uint64_t l = 0, va = 0x7f00'0000'0000; l < 50; ++l, va += 2 * MiB) {
            map(va, frame(), MiB, MapRights::user_ro(), k4K);
            map(va + MiB, frame(), 64 * KiB, {true, true, false}, k4K);
        }
        map(0x7fff'fffd'e000, 64 * MiB, 132 * KiB, {true, true, false}, k4K);

        // Addresses: every leaf's first byte plus an offset, shuffled (the listing says where the leaves are).
        struct Leaves {
            std::vector<std::uint64_t>* out;
            VisitAction leaf(const LeafVisit& l) {
                out->push_back(l.va + (l.va >> 12) % l.page_size);
                return VisitAction::proceed;
            }
        } leaves{&vas};
        (void)visit(ctx, memory, VisitRange::all(), leaves);
        std::shuffle(vas.begin(), vas.end(), rng);
        for (const std::uint64_t va : vas) input += hex(va) + "\n";

        const char* keep = std::getenv("PAGEWALK_INSPECT_BENCH_KEEP");
        dir = keep != nullptr && *keep != 0
                  ? keep
                  : (std::filesystem::temp_directory_path() / "pagewalk-inspect-bench").string();
        std::filesystem::create_directories(dir);
        write(dir + "/guest.raw", ram);
        CoreOptions o;
        DumpCpuState s;
        s.version = 1;
        s.cr[0] = ctx.registers().cr0;
        s.cr[3] = root;
        s.cr[4] = ctx.registers().cr4;
        s.cs_flags = 0x00af9b00;
        o.cpu = s;
        write(dir + "/guest.elf",
              make_core({{0, {ram.begin(), ram.begin() + 0xa0000}}, {0x10'0000, {ram.begin() + 0x10'0000, ram.end()}}},
                        o));
        raw.emplace(std::move(*Dump::open(dir + "/guest.raw")));
        elf.emplace(std::move(*Dump::open(dir + "/guest.elf")));
        if (keep == nullptr || *keep == 0) std::filesystem::remove_all(dir);  // the mappings stay valid
    }

    static void write(const std::string& path, const std::vector<std::uint8_t>& bytes) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    const Dump& dump(int which) const { return which == 0 ? *raw : *elf; }
};

Guest& guest() {
    static Guest g;
    return g;
}

// Arg 0: the raw image; 1: the ELF core.
void Walk(benchmark::State& state, int which) {
    const Guest& g = guest();
    const DumpMemory memory(g.dump(which));
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(translate_compact(g.ctx, memory, g.vas[i], Access::read()));
        if (++i == g.vas.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
}

template <bool Json>
void Lines(benchmark::State& state, int which) {
    const Guest& g = guest();
    Translator t(g.ctx, g.dump(which), Access::read(), Json);
    std::string out;
    out.reserve(1 << 20);
    std::size_t i = 0;
    for (auto _ : state) {
        t.translate(g.vas[i], out);
        if (++i == g.vas.size()) i = 0;
        if (out.size() > (1u << 19)) out.clear();
    }
    state.SetItemsProcessed(state.iterations());
}

/// From the text of an address to its text line: what `translate -` does per address.
void TextToText(benchmark::State& state, int which) {
    const Guest& g = guest();
    Translator t(g.ctx, g.dump(which), Access::read(), false);
    std::string out;
    out.reserve(1 << 20);
    std::size_t at = 0;
    for (auto _ : state) {
        const std::size_t nl = g.input.find('\n', at);
        t.translate(*parse_hex(std::string_view(g.input).substr(at, nl - at)), out);
        at = nl + 1 == g.input.size() ? 0 : nl + 1;
        if (out.size() > (1u << 19)) out.clear();
    }
    state.SetItemsProcessed(state.iterations());
}

void VisitOnly(benchmark::State& state, int which) {
    const Guest& g = guest();
    const DumpMemory memory(g.dump(which));
    struct Count {
        std::uint64_t n = 0;
        VisitAction leaf(const LeafVisit&) {
            ++n;
            return VisitAction::proceed;
        }
    };
    for (auto _ : state) {
        Count c;
        (void)visit(g.ctx, memory, VisitRange::all(), c, {.follow_ancestors = true});
        benchmark::DoNotOptimize(c.n);
    }
}

void Listing(benchmark::State& state, int which, ListFormat format) {
    const Guest& g = guest();
    const DumpMemory memory(g.dump(which));
    std::uint64_t lines = 0;
    Output out;  // in memory, its buffer reused: the cost of listing, not of page faults on a fresh buffer
    for (auto _ : state) {
        out.text().clear();
        auto stats = write_listing(g.ctx, memory, {format}, out);
        lines = stats->lines;
        benchmark::DoNotOptimize(out.text().data());
    }
    state.counters["lines"] = static_cast<double>(lines);
}

constexpr int kRepeats = 5;

void register_all() {
    for (const int which : {0, 1}) {
        const std::string suffix = which == 0 ? "/raw" : "/elf";
        auto add = [&](const std::string& name, auto fn) {
            return benchmark::RegisterBenchmark((name + suffix).c_str(),
                                                [fn, which](benchmark::State& s) { fn(s, which); })
                ->Repetitions(kRepeats);
        };
        add("Walk", Walk);
        add("TextLine", Lines<false>);
        add("JsonLine", Lines<true>);
        add("TextToText", TextToText);
        add("Visit", VisitOnly)->Unit(benchmark::kMillisecond);
        for (const auto& [name, format] :
             {std::pair{"Maps/ranges", ListFormat::ranges}, std::pair{"Maps/json", ListFormat::json},
              std::pair{"Maps/qemu-tlb", ListFormat::qemu_tlb}, std::pair{"Maps/qemu-mem", ListFormat::qemu_mem}}) {
            add(name, [format = format](benchmark::State& s, int w) {
                Listing(s, w, format);
            })->Unit(benchmark::kMillisecond);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    // Targets guard against regressions (measured here: text line 4.1, JSON 6.2, text to text 5.5 walks; listings
    // 2.6-6.6 visits). The absolute promises — >= 1 million addresses a second, a whole listing in under a second —
    // are the items_per_second of TextToText and the times of Maps/*; README.md has the numbers.
    return pagewalk::bench::run_with_ratios(
        argc, argv,
        {
            {"translate text line / compact walk (raw)", "TextLine/raw", "Walk/raw", 6.0},
            {"translate JSON line / compact walk (raw)", "JsonLine/raw", "Walk/raw", 9.0},
            {"text in, text out / compact walk (raw)", "TextToText/raw", "Walk/raw", 8.0},
            {"compact walk, ELF core / raw image", "Walk/elf", "Walk/raw", 1.5},
            {"maps --format qemu-tlb / visit (raw)", "Maps/qemu-tlb/raw", "Visit/raw", 10.0},
            {"maps --format qemu-mem / visit (raw)", "Maps/qemu-mem/raw", "Visit/raw", 4.0},
            {"maps --format ranges / visit (raw)", "Maps/ranges/raw", "Visit/raw", 5.0},
            {"maps --format json / visit (raw)", "Maps/json/raw", "Visit/raw", 7.0},
        });
}
