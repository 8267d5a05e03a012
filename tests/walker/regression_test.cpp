// SPDX-License-Identifier: MIT OR Apache-2.0
// Regression tests for defects in page-table walkers people use today. Each is a trap for any walker; these
// tests keep pagewalk out of them.
#include <gtest/gtest.h>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

TEST(Regression, NotPresentButNonZeroLeafDoesNotTranslate) {
    // rust-osdev/x86_64 decides "unused" by the entry being zero, not by P: a swapped-out PTE (P = 0, other
    // bits set) then translates. The CPU raises #PF with P = 0.
    for (PagingMode mode : kAllModes) {
        HandTables t(mode);
        const auto path = t.map(kVa, 1, 0x123000, RW | US | A | D);
        t.clear_bits(path.at[1], P);
        ASSERT_NE(t.read_entry(path.at[1]), 0u);
        auto mem = t.memory();
        const auto r = translate(t.context(), mem, kVa, Access::read());
        ASSERT_TRUE(r.page_fault()) << to_string(mode);
        EXPECT_EQ(r.page_fault()->error_code & pf::p, 0u);
        EXPECT_EQ(r.page_fault()->level, 1);
    }
}

TEST(Regression, PatBitInA4KiBPteIsNotAHugePage) {
    // Bit 7 of a PTE is PAT; a walker that tests "bit 7" at every level mistakes it for PS.
    for (PagingMode mode : kAllModes) {
        HandTables t(mode);
        t.map(kVa, 1, 0x123000, RW | (1u << 7));
        auto mem = t.memory();
        const auto r = translate(t.context(), mem, kVa + 0x777, Access::read());
        ASSERT_TRUE(r.ok()) << to_string(mode);
        EXPECT_EQ(r.mapping()->page_size, 4 * KiB);
        EXPECT_EQ(r.mapping()->pa, 0x123777u);
        EXPECT_TRUE(r.mapping()->memory_type.pat);
    }
}

TEST(Regression, Legacy32FourMiBAddressComesFromTheEntryNotTheLinearAddress) {
    // libvmi computed a 32-bit 4 MiB page's address from the linear address. Here linear 0x4030_2000 maps
    // to a page at 0x00c0_0000; the PSE-36 bits add PA bits 35:32.
    HandTables t(PagingMode::legacy32);
    t.map(kVa, 2, 0x3'00c0'0000ull, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->pa, 0x3'00c0'0000ull + (kVa & (4 * MiB - 1)));
}

TEST(Regression, PaeTwoMiBAddressIsNotTruncatedTo32Bits) {
    // libvmi truncated a PAE 2 MiB page's address to 32 bits.
    HandTables t(PagingMode::pae);
    t.map(kVa, 2, 0x9'8760'0000ull, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa + 5, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->pa, 0x9'8760'0000ull + ((kVa + 5) & (2 * MiB - 1)));
}

TEST(Regression, NotPresentPaePdpteFaults) {
    // libvmi reported success through a PDPTE with P = 0.
    HandTables t(PagingMode::pae);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.write_entry(path.at[3], t.read_entry(path.at[3]) & ~P);
    auto mem = t.memory();
    Context ctx = t.context();
    ASSERT_TRUE(ctx.load_pdptes(mem));
    const auto r = translate(ctx, mem, kVa, Access::read());
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->level, 3);
    EXPECT_EQ(r.page_fault()->error_code, 0u);
}

TEST(Regression, PsInPml4eIsAReservedBitFaultNotA512GiBPage) {
    // Volatility 3 treats PS in a PML4E as a large page.
    HandTables t(PagingMode::long4);
    t.write_entry(t.root(), 0x80'0000'0000ull | P | RW | PS);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, 0x1234'5678, Access::read());
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->error_code, pf::p | pf::rsvd);
    EXPECT_EQ(r.page_fault()->level, 4);
}

}  // namespace
}  // namespace pagewalk::test
