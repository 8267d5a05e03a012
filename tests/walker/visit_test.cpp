// SPDX-License-Identifier: MIT OR Apache-2.0
// visit(), visit_mut() and mappings(): leaves with combined rights, coalesced holes, the canonical hole, wrapping
// ranges, skip/stop, mutation with its flush, and hostile tables (loops, frames outside memory, reserved bits).
#include <gtest/gtest.h>

#include <vector>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

/// Records every callback.
struct Recorder {
    std::vector<TableVisit> tables;
    std::vector<LeafVisit> leaves;
    std::vector<HoleVisit> holes;
    VisitAction on_table = VisitAction::proceed;
    int stop_after_leaves = -1;

    VisitAction table(const TableVisit& t) {
        tables.push_back(t);
        return on_table;
    }
    VisitAction leaf(const LeafVisit& l) {
        leaves.push_back(l);
        return static_cast<int>(leaves.size()) == stop_after_leaves ? VisitAction::stop : VisitAction::proceed;
    }
    VisitAction hole(const HoleVisit& h) {
        holes.push_back(h);
        return VisitAction::proceed;
    }
    std::vector<HoleVisit> holes_of(HoleKind k) const {
        std::vector<HoleVisit> out;
        for (const auto& h : holes) {
            if (h.kind == k) out.push_back(h);
        }
        return out;
    }
};

class EveryModeVisit : public testing::TestWithParam<PagingMode> {};

TEST_P(EveryModeVisit, ReportsEachLeafWithCombinedRightsInAddressOrder) {
    HandTables t(GetParam());
    t.map(kVa, 1, 0x123000, RW | US, US);           // tables read-only: the page is read-only
    t.map(kVa + 0x1000, 1, 0x456000, RW, RW | US);  // a supervisor leaf under the same read-only tables
    t.map(0x0080'0000, 2, 0x0040'0000, RW);         // a huge page
    auto mem = t.memory();
    Recorder r;
    const VisitResult res = visit(t.context(), mem, VisitRange::all(), r);
    EXPECT_FALSE(res.stopped);
    ASSERT_EQ(r.leaves.size(), 3u);
    EXPECT_EQ(r.leaves[0].va, 0x0080'0000u);
    EXPECT_EQ(r.leaves[0].page_size, GetParam() == PagingMode::legacy32 ? 4 * MiB : 2 * MiB);
    EXPECT_EQ(r.leaves[0].pa, 0x0040'0000u);
    EXPECT_EQ(r.leaves[1].va, kVa);
    EXPECT_EQ(r.leaves[1].pa, 0x123000u);
    EXPECT_FALSE(r.leaves[1].rights.writable) << "R/W = 0 in a table above";
    EXPECT_TRUE(r.leaves[1].rights.user);
    EXPECT_FALSE(r.leaves[2].rights.writable) << "R/W = 1 in the leaf, 0 in the tables above";
    EXPECT_FALSE(r.leaves[2].rights.user);
    EXPECT_EQ(r.leaves[1].where.pa() & 0xfff, shape(GetParam()).at(1).index(kVa) * shape(GetParam()).entry_bytes);
    // Every leaf agrees with translate.
    for (const LeafVisit& l : r.leaves) {
        const auto tr = translate(t.context(), mem, l.va, Access::read());
        ASSERT_TRUE(tr.ok());
        EXPECT_EQ(tr.mapping()->pa, l.pa);
        EXPECT_EQ(tr.mapping()->writable, l.rights.writable);
    }
}

TEST_P(EveryModeVisit, NotPresentRunsAreOneHoleEach) {
    HandTables t(GetParam());
    t.map(kVa, 1, 0x123000, RW);
    t.map(kVa + 0x5000, 1, 0x124000, RW);
    auto mem = t.memory();
    Recorder r;
    (void)visit(t.context(), mem, VisitRange{kVa & ~std::uint64_t{0x1f'ffff}, (kVa | 0x1f'ffff)}, r);
    const auto holes = r.holes_of(HoleKind::not_present);
    // In the page table: [start, kVa), [kVa+4K, kVa+20K), [kVa+24K, end of the 2 MiB).
    ASSERT_GE(holes.size(), 3u);
    bool found_middle = false;
    for (const auto& h : holes) {
        if (h.va_first == kVa + 0x1000) {
            found_middle = true;
            EXPECT_EQ(h.va_last, kVa + 0x4fff);
            EXPECT_EQ(h.level, 1u);
        }
    }
    EXPECT_TRUE(found_middle);
}

TEST_P(EveryModeVisit, StopEndsTheWalkAndSkipDoesNotDescend) {
    HandTables t(GetParam());
    for (int i = 0; i < 4; ++i) t.map(kVa + i * 0x1000, 1, 0x200000 + i * 0x1000, RW);
    auto mem = t.memory();
    Recorder stopper;
    stopper.stop_after_leaves = 2;
    EXPECT_TRUE(visit(t.context(), mem, VisitRange::all(), stopper).stopped);
    EXPECT_EQ(stopper.leaves.size(), 2u);
    Recorder skipper;
    skipper.on_table = VisitAction::skip;
    (void)visit(t.context(), mem, VisitRange::all(), skipper);
    EXPECT_TRUE(skipper.leaves.empty());
    EXPECT_FALSE(skipper.tables.empty());
}

INSTANTIATE_TEST_SUITE_P(Visit, EveryModeVisit, testing::ValuesIn(kAllModes), mode_name);

TEST(Visit, NonCanonicalHoleIsReportedNotWalked) {
    HandTables t(PagingMode::long4);
    t.map(0xffff'ffff'8000'0000ull, 2, 0x200000, RW);
    t.map(0x1000, 1, 0x1000, RW);
    auto mem = t.memory();
    Recorder r;
    (void)visit(t.context(), mem, VisitRange::all(), r);
    const auto hole = r.holes_of(HoleKind::non_canonical);
    ASSERT_EQ(hole.size(), 1u);
    EXPECT_EQ(hole[0].va_first, 0x0000'8000'0000'0000ull);
    EXPECT_EQ(hole[0].va_last, 0xffff'7fff'ffff'ffffull);
    ASSERT_EQ(r.leaves.size(), 2u);
    EXPECT_EQ(r.leaves[0].va, 0x1000u);
    EXPECT_EQ(r.leaves[1].va, 0xffff'ffff'8000'0000ull) << "upper-half addresses are sign-extended";
}

TEST(Visit, FiveLevelRangesCover57Bits) {
    HandTables t(PagingMode::long5);
    t.map(0x00ff'0000'0000'0000ull, 1, 0x5000, RW);  // PML5 index 255: beyond 4-level's reach
    t.map(0xff00'0000'0000'1000ull, 1, 0x6000, RW);  // PML5 index 256, upper half
    auto mem = t.memory();
    Recorder r;
    (void)visit(t.context(), mem, VisitRange::all(), r);
    ASSERT_EQ(r.leaves.size(), 2u);
    EXPECT_EQ(r.leaves[0].va, 0x00ff'0000'0000'0000ull);
    EXPECT_EQ(r.leaves[1].va, 0xff00'0000'0000'1000ull);
    const auto hole = r.holes_of(HoleKind::non_canonical);
    ASSERT_EQ(hole.size(), 1u);
    EXPECT_EQ(hole[0].va_first, 0x0100'0000'0000'0000ull);
    EXPECT_EQ(hole[0].va_last, 0xfeff'ffff'ffff'ffffull);
}

TEST(Visit, WrappingRangeVisitsTheTopThenTheBottom) {
    HandTables t(PagingMode::long4);
    t.map(0x2000, 1, 0x1000, RW);
    t.map(0xffff'ffff'ffff'f000ull, 1, 0x2000, RW);
    t.map(0x4000'0000, 1, 0x3000, RW);
    auto mem = t.memory();
    Recorder r;
    (void)visit(t.context(), mem, VisitRange{0xffff'ffff'ffff'0000ull, 0x2fff}, r);
    ASSERT_EQ(r.leaves.size(), 2u);
    EXPECT_EQ(r.leaves[0].va, 0xffff'ffff'ffff'f000ull);
    EXPECT_EQ(r.leaves[1].va, 0x2000u);
}

TEST(Visit, Legacy32RangeStopsAt4GiB) {
    HandTables t(PagingMode::legacy32);
    t.map(0xffff'f000, 1, 0x1000, RW);
    auto mem = t.memory();
    Recorder r;
    (void)visit(t.context(), mem, VisitRange{0xffff'0000, 0x1'0000'ffffull}, r);
    ASSERT_EQ(r.leaves.size(), 1u);
    EXPECT_TRUE(r.holes_of(HoleKind::non_canonical).empty());
}

struct ClearAccessedSetGlobal {
    VisitAction leaf(LeafVisit& l) {
        l.entry = (l.entry & ~A) | G;
        return VisitAction::proceed;
    }
};

TEST(VisitMut, WritesBackChangedEntriesAndSaysWhatToFlush) {
    HandTables t(PagingMode::long4);
    const auto p1 = t.map(0x1000, 1, 0x1000, RW | A);
    const auto p2 = t.map(0x2000, 1, 0x2000, RW | A | D);
    auto mem = t.memory();
    ClearAccessedSetGlobal v;
    const VisitResult res = visit_mut(t.context(), mem, VisitRange::all(), v);
    EXPECT_EQ(res.entries_written, 2u);
    EXPECT_EQ(t.read_entry(p1.at[1]), 0x1000u | P | RW | G);
    EXPECT_EQ(t.read_entry(p2.at[1]), 0x2000u | P | RW | D | G);
    ASSERT_EQ(res.flush.count, 2);
    EXPECT_EQ(res.flush.pages[0], 0x1000u);
    EXPECT_FALSE(res.flush.global) << "neither entry was global before";
}

/// Memory that refuses to write one entry: a read-only dump page, a failing hypervisor write.
template <class Inner>
struct RefusesOneWrite {
    Inner inner;
    std::uint64_t refused_pa;
    bool read_entry(const EntryLocation& loc, std::uint64_t& out) { return inner.read_entry(loc, out); }
    bool write_entry(const EntryLocation& loc, std::uint64_t value) {
        return loc.pa() != refused_pa && inner.write_entry(loc, value);
    }
};

TEST(VisitMut, AFailedWriteStopsTheVisitAndIsNotCountedOrFlushed) {
    HandTables t(PagingMode::long4);
    const auto p1 = t.map(0x1000, 1, 0x1000, RW | A);
    const auto p2 = t.map(0x2000, 1, 0x2000, RW | A);
    RefusesOneWrite<decltype(t.memory())> mem{t.memory(), p1.at[1]};
    ClearAccessedSetGlobal v;
    const VisitResult res = visit_mut(t.context(), mem, VisitRange::all(), v);
    EXPECT_TRUE(res.write_failed);
    EXPECT_EQ(res.failed_entry_pa, p1.at[1]);
    EXPECT_EQ(res.entries_written, 0u);
    EXPECT_TRUE(res.flush.empty()) << "nothing changed, so nothing needs flushing";
    EXPECT_EQ(t.read_entry(p2.at[1]), 0x2000u | P | RW | A) << "the visit stopped at the failed write";
}

// ---- Hostile tables ---------------------------------------------------------------------------------------------

TEST(VisitHostile, SelfReferenceIsALoopHoleUnlessFollowed) {
    HandTables t(PagingMode::long4);
    t.map(0x1000, 1, 0x5000, RW);
    t.write_entry(t.root() + 8 * 5, t.root() | P | RW);  // PML4[5] → PML4: a recursive slot
    auto mem = t.memory();
    Recorder r;
    (void)visit(t.context(), mem, VisitRange::all(), r);
    const auto loops = r.holes_of(HoleKind::loop);
    ASSERT_EQ(loops.size(), 1u);
    EXPECT_EQ(loops[0].va_first, 5ull << 39);
    EXPECT_EQ(loops[0].level, 4u);
    EXPECT_EQ(r.leaves.size(), 1u);
    // Followed, as the CPU would: the slot maps the tables themselves as pages.
    Recorder f;
    (void)visit(t.context(), mem, VisitRange::all(), f, {.follow_ancestors = true});
    EXPECT_GT(f.leaves.size(), 1u);
    EXPECT_TRUE(f.holes_of(HoleKind::loop).empty());
}

TEST(VisitHostile, EveryEntryPointingToOneTableIsBoundedByTheBudget) {
    // A single table whose every entry points to itself: followed blindly this is 512^4 leaves.
    HandTables t(PagingMode::long4);
    for (unsigned i = 0; i < 512; ++i) t.write_entry(t.root() + 8 * i, t.root() | P | RW);
    auto mem = t.memory();
    Recorder r;
    const VisitResult loop_guarded = visit(t.context(), mem, VisitRange::all(), r);
    EXPECT_FALSE(loop_guarded.budget_exhausted);
    EXPECT_EQ(r.holes_of(HoleKind::loop).size(), 512u);
    struct Count {
        std::uint64_t n = 0;
        VisitAction leaf(const LeafVisit&) {
            ++n;
            return VisitAction::proceed;
        }
    } count;
    const VisitResult followed =
        visit(t.context(), mem, VisitRange::all(), count, {.follow_ancestors = true, .max_entries = 100'000});
    EXPECT_TRUE(followed.budget_exhausted);
    EXPECT_LE(followed.entries_read, 100'001u);
}

TEST(VisitHostile, TablesOutsideMemoryAndReservedBitsAreHoles) {
    HandTables t(PagingMode::long4, 1 * MiB);
    t.map(0x1000, 1, 0x5000, RW);
    t.write_entry(t.root() + 8 * 1, 0x40'0000'0000ull | P | RW);  // a PDPT far outside the 1 MiB of memory
    t.write_entry(t.root() + 8 * 2, t.allocate() | P | RW | PS);  // PS in a PML4E: reserved
    auto mem = t.memory();
    Recorder r;
    (void)visit(t.context(), mem, VisitRange::all(), r);
    const auto unreadable = r.holes_of(HoleKind::memory_error);
    ASSERT_EQ(unreadable.size(), 1u);
    EXPECT_EQ(unreadable[0].va_first, 1ull << 39);
    EXPECT_EQ(unreadable[0].level, 3u);
    EXPECT_EQ(unreadable[0].entry_pa, 0x40'0000'0000ull);
    const auto reserved = r.holes_of(HoleKind::reserved_bits);
    ASSERT_EQ(reserved.size(), 1u);
    EXPECT_EQ(reserved[0].reserved_bits, PS);
    EXPECT_EQ(reserved[0].va_first, 2ull << 39);
    EXPECT_EQ(r.leaves.size(), 1u);
}

TEST(VisitHostile, ReaderFailingEverywhereNeverCrashes) {
    HandTables t(PagingMode::long5);
    Reader failing{[](std::uint64_t, void*, std::size_t) { return false; }};
    Recorder r;
    (void)visit(t.context(), failing, VisitRange::all(), r);
    ASSERT_EQ(r.holes_of(HoleKind::memory_error).size(), 2u) << "the lower and the upper half of the PML5";
    EXPECT_TRUE(r.leaves.empty());
}

// ---- mappings() ------------------------------------------------------------------------------------------------

TEST(Mappings, CoalescesContiguousUniformPages) {
    HandTables t(PagingMode::long4);
    for (int i = 0; i < 8; ++i) t.map(0x10'0000 + i * 0x1000, 1, 0x80'0000 + i * 0x1000, RW);  // one run
    t.map(0x10'8000, 1, 0x90'0000, RW);                                                        // pa jumps
    t.map(0x10'9000, 1, 0x90'1000, 0);                                                         // read-only
    t.map(0x20'0000, 2, 0x40'0000, RW);
    t.map(0x40'0000, 2, 0x60'0000, RW);  // a separate 2 MiB run (not va-contiguous with the first)
    auto mem = t.memory();
    std::vector<MappingRun> runs;
    (void)mappings(t.context(), mem, VisitRange::all(), [&](const MappingRun& r) { runs.push_back(r); });
    ASSERT_EQ(runs.size(), 4u);
    EXPECT_EQ(runs[0].va_first, 0x10'0000u);
    EXPECT_EQ(runs[0].va_last, 0x10'7fffu);
    EXPECT_EQ(runs[0].pa_first, 0x80'0000u);
    EXPECT_EQ(runs[1].va_first, 0x10'8000u);
    EXPECT_EQ(runs[1].size(), 0x1000u);
    EXPECT_FALSE(runs[2].rights.writable);
    EXPECT_EQ(runs[3].va_first, 0x20'0000u);
    EXPECT_EQ(runs[3].va_last, 0x5f'ffffu) << "the two 2 MiB pages are contiguous in both spaces";
    EXPECT_EQ(runs[3].page_size, 2 * MiB);
}

TEST(Mappings, HolesAreInterleavedWithRunsInAddressOrder) {
    HandTables t(PagingMode::long4, 1 * MiB);
    t.map(0x1000, 1, 0x1000, RW);
    t.map(0x3000, 1, 0x3000, RW);
    const auto path = t.map(0x40'0000, 2, 0x40'0000, RW);
    t.set_bits(path.at[2], 1u << 13);  // a reserved bit in the 2 MiB PDE
    auto mem = t.memory();
    std::vector<std::string> events;
    (void)mappings(
        t.context(), mem, VisitRange{0, 0x7f'ffff},
        [&](const MappingRun& r) { events.push_back("run " + std::to_string(r.va_first)); },
        [&](const HoleVisit& h) {
            events.push_back(std::string(to_string(h.kind)) + " " + std::to_string(h.va_first));
        });
    const std::vector<std::string> expected = {"not present 0",         "run 4096",
                                               "not present 8192",      "run 12288",
                                               "not present 16384",     "not present 2097152",
                                               "reserved bits 4194304", "not present 6291456"};
    EXPECT_EQ(events, expected);
}

TEST(Mappings, StopFromTheCallbackEndsTheListing) {
    HandTables t(PagingMode::pae);
    t.map(0x1000, 1, 0x1000, RW);
    t.map(0x3000, 1, 0x3000, RW);
    t.map(0x5000, 1, 0x5000, RW);
    auto mem = t.memory();
    int seen = 0;
    const VisitResult r = mappings(t.context(), mem, VisitRange::all(), [&](const MappingRun&) {
        ++seen;
        return VisitAction::stop;
    });
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace pagewalk::test
