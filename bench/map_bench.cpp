// SPDX-License-Identifier: MIT OR Apache-2.0
// The mapper and the visitor over 1 GiB, against the floor: writing 262,144 8-byte entries sequentially.
//
//   Map4K / Unmap4K   1 GiB in 4 KiB pages (262,144 PTEs in 512 page tables), 4-level paging
//   MapHuge/UnmapHuge the same range with every page size allowed (one 1 GiB page)
//   Visit4K           visit() of the 1 GiB of 4 KiB mappings (reported per page)
//   Protect4K         protect() of the 1 GiB of 4 KiB pages, without and with merging back into huge pages
//   Floor             writing 262,144 entries in a row, the least any 4 KiB mapping of 1 GiB must do
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <pagewalk/pagewalk.hpp>
#include <vector>

#include "ratio_report.hpp"

namespace {

using namespace pagewalk;

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kPages = kGiB / 4096;
constexpr std::uint64_t kVa = 0x40'0000'0000ull;  // 256 GiB: PML4 0, PDPT 256

/// An address space in a host buffer with room for the tables of 1 GiB of 4 KiB pages.
struct Space {
    std::vector<std::uint8_t> phys = std::vector<std::uint8_t>(8u << 20, 0);
    OffsetMemory mem{phys.data(), phys.size()};
    BumpAllocator<1024> frames{0x1000, (8u << 20) - 0x1000};
    Context ctx;

    Space() {
        const std::uint64_t root = Mapper<OffsetMemory, BumpAllocator<1024>>::create_root(
            Context::for_mode(PagingMode::long4, 0), mem, frames);
        ctx = Context::for_mode(PagingMode::long4, root);
    }
    Mapper<OffsetMemory, BumpAllocator<1024>> mapper() { return {ctx, mem, frames}; }
};

void Check(benchmark::State& state, const MapResult& r) {
    if (!r) state.SkipWithError(to_string(r.error));
}

void Map4K(benchmark::State& state) {
    Space s;
    auto m = s.mapper();
    for (auto _ : state) {
        Check(state, m.map(kVa, 0x1'0000'0000ull, kGiB, MapRights::rw(), {.sizes = page_4k}));
        state.PauseTiming();
        Check(state, m.unmap(kVa, kGiB));
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * kPages);
}

void Unmap4K(benchmark::State& state) {
    Space s;
    auto m = s.mapper();
    for (auto _ : state) {
        state.PauseTiming();
        Check(state, m.map(kVa, 0x1'0000'0000ull, kGiB, MapRights::rw(), {.sizes = page_4k}));
        state.ResumeTiming();
        Check(state, m.unmap(kVa, kGiB));
    }
    state.SetItemsProcessed(state.iterations() * kPages);
}

void MapHuge(benchmark::State& state) {
    Space s;
    auto m = s.mapper();
    for (auto _ : state) {
        Check(state, m.map(kVa, 0x1'0000'0000ull, kGiB, MapRights::rw()));
        Check(state, m.unmap(kVa, kGiB));
    }
}

// protect() of 1 GiB of 4 KiB pages, with merging off (512 page tables rewritten) and on (each page table found
// uniform and merged into a 2 MiB page, then the page directory into one 1 GiB page).
void Protect4K(benchmark::State& state, bool merge) {
    Space s;
    auto m = s.mapper();
    for (auto _ : state) {
        state.PauseTiming();
        Check(state, m.map(kVa, 0x1'0000'0000ull, kGiB, MapRights::rw(), {.sizes = page_4k}));
        m.merge_huge_pages(merge);
        state.ResumeTiming();
        Check(state, m.protect(kVa, kGiB, MapRights::read_only()));
        state.PauseTiming();
        m.merge_huge_pages(false);
        Check(state, m.unmap(kVa, kGiB));
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * kPages);
}

void Visit4K(benchmark::State& state) {
    Space s;
    auto m = s.mapper();
    Check(state, m.map(kVa, 0x1'0000'0000ull, kGiB, MapRights::rw(), {.sizes = page_4k}));
    struct Sum {
        std::uint64_t pa = 0;
        VisitAction leaf(const LeafVisit& l) {
            pa += l.pa;
            return VisitAction::proceed;
        }
    } sum;
    for (auto _ : state) {
        (void)visit(s.ctx, s.mem, VisitRange{kVa, kVa + kGiB - 1}, sum);
        benchmark::DoNotOptimize(sum.pa);
    }
    state.SetItemsProcessed(state.iterations() * kPages);
}

void Floor(benchmark::State& state) {
    std::vector<std::uint64_t> entries(kPages);
    for (auto _ : state) {
        std::uint64_t* out = entries.data();
        for (std::uint64_t i = 0; i < kPages; ++i) out[i] = (0x1'0000'0000ull + i * 4096) | 0x3;
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * kPages);
}

}  // namespace

BENCHMARK(Floor)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(Map4K)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(Unmap4K)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(MapHuge)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(Visit4K)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(Protect4K, plain, false)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(Protect4K, merging, true)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

int main(int argc, char** argv) {
    return pagewalk::bench::run_with_ratios(
        argc, argv,
        {{"map 1 GiB in 4 KiB pages / floor", "Map4K", "Floor", 3.0},
         {"unmap 1 GiB of 4 KiB pages / floor", "Unmap4K", "Floor", 3.0},
         {"visit 1 GiB of 4 KiB pages / floor", "Visit4K", "Floor", 0.0},
         {"protect 1 GiB of 4 KiB pages / floor", "Protect4K/plain", "Floor", 0.0},
         {"protect 1 GiB, merging into 1 GiB / protect without merging", "Protect4K/merging", "Protect4K/plain", 0.0}});
}
