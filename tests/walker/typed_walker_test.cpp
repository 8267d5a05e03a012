// SPDX-License-Identifier: MIT OR Apache-2.0
// The typed walker: next() tells tables, huge pages, pages, reserved PS and unreadable entries apart, and
// the level is in the type; entry_mut() writes back.
#include <gtest/gtest.h>

#include <type_traits>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

unsigned Index(unsigned level, std::uint64_t va) {
    return shape(PagingMode::long4).at(level).index(va);
}

TEST(TypedWalker, WalksDownToThePteOf4Level) {
    HandTables t(PagingMode::long4);
    t.map(kVa, 1, 0x123000, RW | G);
    auto mem = t.memory();
    auto pml4 = root<Long4>(mem, t.root());
    static_assert(decltype(pml4)::level == 4);
    auto pdpt = pml4.next(Index(4, kVa)).table();
    static_assert(std::is_same_v<decltype(pdpt.entry(0)), Pdpte>);
    auto pd = pdpt.next(Index(3, kVa)).table();
    auto pt = pd.next(Index(2, kVa)).table();
    static_assert(std::is_same_v<decltype(pt.entry(0)), Pte>);
    const auto n = pt.next(Index(1, kVa));
    ASSERT_TRUE(n.is_page());
    const Pte pte = n.page();
    EXPECT_EQ(pte.address(), 0x123000u);
    EXPECT_TRUE(pte.global());
    EXPECT_TRUE(pte.writable());
    EXPECT_EQ(n.va(), kVa & ~std::uint64_t{0xfff});
}

TEST(TypedWalker, HugePageIsNotATable) {
    HandTables t(PagingMode::long4);
    t.map(kVa, 2, 0x400000, RW);
    t.map(0x8000'0000, 3, GiB, RW);
    auto mem = t.memory();
    auto pml4 = root<Long4>(mem, t.root());
    const auto pde = pml4.next(0).table().next(Index(3, kVa)).table().next(Index(2, kVa));
    EXPECT_TRUE(pde.is_huge_page());
    EXPECT_FALSE(pde.is_table());
    static_assert(std::is_same_v<decltype(pde.huge_page()), Pde2M>);
    EXPECT_EQ(pde.huge_page().address(), 0x400000u);
    const auto pdpte = pml4.next(0).table().next(2);
    ASSERT_TRUE(pdpte.is_huge_page());
    static_assert(std::is_same_v<decltype(pdpte.huge_page()), Pdpte1G>);
    EXPECT_EQ(pdpte.huge_page().address(), GiB);
}

TEST(TypedWalker, OneGiBLeafIsReservedWithoutFeature) {
    HandTables t(PagingMode::long4);
    t.map(0x8000'0000, 3, GiB, RW);
    auto mem = t.memory();
    const auto pdpte = root<Long4>(mem, t.root(), LeafPolicy{true, false}).next(0).table().next(2);
    EXPECT_EQ(pdpte.kind(), NextKind::reserved_ps);
}

TEST(TypedWalker, PsInPml4eIsReservedNotAHugePage) {
    HandTables t(PagingMode::long4);
    t.write_entry(t.root(), 0x4000'0000 | P | RW | PS);
    auto mem = t.memory();
    EXPECT_EQ(root<Long4>(mem, t.root()).next(0).kind(), NextKind::reserved_ps);
}

TEST(TypedWalker, NotPresentAndUnreadableEntriesAreDistinct) {
    HandTables t(PagingMode::long4, 1 * MiB);
    t.write_entry(t.root() + 8, 0x7000'0000 | P | RW);  // a PDPT outside the 1 MiB of memory
    auto mem = t.memory();
    auto pml4 = root<Long4>(mem, t.root());
    EXPECT_EQ(pml4.next(0).kind(), NextKind::not_present);
    EXPECT_FALSE(pml4.next(0).is_present());
    const auto pdpt = pml4.next(1).table();
    EXPECT_EQ(pdpt.next(0).kind(), NextKind::memory_error);
    EXPECT_FALSE(pdpt.try_entry(0));
    EXPECT_EQ(pdpt.entry(0).raw(), 0u) << "an unreadable entry reads as not present";
}

TEST(TypedWalker, EntryMutWritesBackWhenTheReferenceEnds) {
    HandTables t(PagingMode::long4);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    auto pt =
        root<Long4>(mem, t.root()).next(Index(4, kVa)).table().next(Index(3, kVa)).table().next(Index(2, kVa)).table();
    pt.entry_mut(Index(1, kVa))->set_global(true).set_writable(false);
    EXPECT_EQ(t.read_entry(path.at[1]), 0x123000u | P | G);
    {
        auto ref = pt.entry_mut(Index(1, kVa));
        ref->set_execute_disable(true);
        EXPECT_TRUE(ref.commit());
        EXPECT_EQ(t.read_entry(path.at[1]) >> 63, 1u) << "commit writes immediately";
    }
}

TEST(TypedWalker, VaOfUpperHalfEntriesIsCanonical) {
    HandTables t(PagingMode::long4);
    auto mem = t.memory();
    auto pml4 = root<Long4>(mem, t.root());
    EXPECT_EQ(pml4.va_of(255), 0x0000'7f80'0000'0000ull);
    EXPECT_EQ(pml4.va_of(256), 0xffff'8000'0000'0000ull);
    EXPECT_EQ(pml4.va_of(511), 0xffff'ff80'0000'0000ull);
}

TEST(TypedWalker, Legacy32FourMiBPageDependsOnPse) {
    HandTables t(PagingMode::legacy32);
    t.map(kVa, 2, 0x12'3440'0000ull, RW);  // a 4 MiB page above 4 GiB through PSE-36
    auto mem = t.memory();
    const unsigned i = shape(PagingMode::legacy32).at(2).index(kVa);
    const auto with_pse = root<Legacy32>(mem, t.root()).next(i);
    ASSERT_TRUE(with_pse.is_huge_page());
    static_assert(std::is_same_v<decltype(with_pse.huge_page()), Pde4M>);
    EXPECT_EQ(with_pse.huge_page().address(), 0x12'3440'0000ull);
    const auto without = root<Legacy32>(mem, t.root(), LeafPolicy{false, false}).next(i);
    EXPECT_TRUE(without.is_table()) << "with CR4.PSE = 0 the PS bit is ignored";
}

TEST(TypedWalker, PaeRootIsTheFourEntryPdpt) {
    HandTables t(PagingMode::pae);
    t.map(kVa, 2, 0x600000, RW);
    auto mem = t.memory();
    auto pdpt = root<Pae>(mem, t.root());
    static_assert(decltype(pdpt)::entries == 4);
    static_assert(std::is_same_v<decltype(pdpt.entry(0)), PaePdpte>);
    const auto pde = pdpt.next((kVa >> 30) & 3).table().next((kVa >> 21) & 511);
    ASSERT_TRUE(pde.is_huge_page());
    static_assert(std::is_same_v<decltype(pde.huge_page()), PaePde2M>);
    EXPECT_EQ(pde.huge_page().address(), 0x600000u);
}

TEST(TypedWalker, RootFromContextUsesItsLeafPolicy) {
    HandTables t(PagingMode::long5);
    t.map(kVa, 3, GiB, RW);
    auto mem = t.memory();
    CpuFeatures no_1g{};
    no_1g.page1gb = false;
    const Context ctx = t.context(no_1g);
    auto pml5 = root<Long5>(ctx, mem);
    const auto n = pml5.next(0).table().next(0).table().next(Index(3, kVa));
    EXPECT_EQ(n.kind(), NextKind::reserved_ps);
}

TEST(TypedWalkerDeathTest, TableOfAHugePageTraps) {
    HandTables t(PagingMode::long4);
    t.map(kVa, 2, 0x400000, RW);
    auto mem = t.memory();
    const auto pde = root<Long4>(mem, t.root()).next(0).table().next(Index(3, kVa)).table().next(Index(2, kVa));
    EXPECT_DEATH((void)pde.table(), "");
}

}  // namespace
}  // namespace pagewalk::test
