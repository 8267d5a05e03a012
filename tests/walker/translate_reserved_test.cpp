// SPDX-License-Identifier: MIT OR Apache-2.0
// translate(): reserved bits (SDM Vol. 3A §4.3, §4.4.2, §4.5.4, error code §4.7). A reserved bit in a present
// entry gives #PF with P = 1 and RSVD = 1 at the level of that entry.
#include <gtest/gtest.h>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

// Translates kVa (a read at CPL 0) and expects a reserved-bit fault at `level`.
void ExpectReservedFault(HandTables& t, const Context& ctx, unsigned level, std::uint64_t bits,
                         const Access& access = Access::read()) {
    auto mem = t.memory();
    const auto r = translate(ctx, mem, kVa, access);
    const std::optional<PageFault> f = r.page_fault();
    ASSERT_TRUE(f.has_value()) << "expected a reserved-bit fault at level " << level;
    EXPECT_EQ(f->error_code & (pf::p | pf::rsvd), pf::p | pf::rsvd) << "RSVD comes with P";
    EXPECT_EQ(f->level, level);
    EXPECT_EQ(f->causes, fault_cause::reserved_bit);
    EXPECT_EQ(f->reserved_bits, bits);
}

void ExpectTranslates(HandTables& t, const Context& ctx) {
    auto mem = t.memory();
    const auto r = translate(ctx, mem, kVa, Access::read());
    EXPECT_TRUE(r.ok()) << "vector " << r.vector()
                        << (r.page_fault() ? " error code " + std::to_string(r.page_fault()->error_code) : "");
}

CpuFeatures WithMaxPhyAddr(unsigned m) {
    CpuFeatures f{};
    f.maxphyaddr = static_cast<std::uint8_t>(m);
    return f;
}

class MaxPhyAddr : public testing::TestWithParam<unsigned> {};

TEST_P(MaxPhyAddr, AddressBitAtMaxPhyAddrIsReservedAtEveryLongModeLevel) {
    const unsigned m = GetParam();
    for (PagingMode mode : kLongModes) {
        for (unsigned level = 1; level <= shape(mode).levels; ++level) {
            HandTables t(mode);
            const auto path = t.map(kVa, 1, 0x123000, RW);
            if (m < 52) {
                t.set_bits(path.at[level], std::uint64_t{1} << m);
                ExpectReservedFault(t, t.context(WithMaxPhyAddr(m)), level, std::uint64_t{1} << m);
            }
            // The bit just below MAXPHYADDR is an address bit: no reserved fault for the leaf (the page lies
            // outside the buffer, which translate never reads).
            if (level == 1) {
                HandTables u(mode);
                const auto p = u.map(kVa, 1, 0x123000, RW);
                u.set_bits(p.at[1], std::uint64_t{1} << (m - 1));
                auto mem = u.memory();
                const auto r = translate(u.context(WithMaxPhyAddr(m)), mem, kVa, Access::read());
                ASSERT_TRUE(r.ok()) << "MAXPHYADDR " << m;
                EXPECT_EQ(r.mapping()->pa, 0x123000u | (std::uint64_t{1} << (m - 1)));
            }
        }
    }
}

TEST_P(MaxPhyAddr, PaeReservesMaxPhyAddrUpTo62InPdeAndPte) {
    const unsigned m = GetParam();
    for (unsigned level = 1; level <= 2; ++level) {
        for (unsigned bit : {m, 62u}) {
            if (bit >= 63 || bit < m) continue;
            HandTables t(PagingMode::pae);
            const auto path = t.map(kVa, 1, 0x123000, RW);
            t.set_bits(path.at[level], std::uint64_t{1} << bit);
            ExpectReservedFault(t, t.context(WithMaxPhyAddr(m)), level, std::uint64_t{1} << bit);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Translate, MaxPhyAddr, testing::Values(36u, 39u, 46u, 48u, 52u));

TEST(TranslateReserved, Bits52To62AreIgnoredIn4LevelEntries) {
    // SDM §4.5.4: bits 62:52 of a PML4E/PDPTE/PDE are ignored; of a PTE 58:52 are ignored and 62:59 are
    // the protection key (ignored while CR4.PKE = 0).
    HandTables t(PagingMode::long4);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    for (unsigned level = 2; level <= 4; ++level) t.set_bits(path.at[level], bits::mask(62, 52));
    t.set_bits(path.at[1], bits::mask(62, 52));
    ExpectTranslates(t, t.context());
}

TEST(TranslateReserved, PsInPml4eIsReservedNotA512GiBPage) {
    for (PagingMode mode : kLongModes) {
        HandTables t(mode);
        const auto path = t.map(kVa, 1, 0x123000, RW);
        t.set_bits(path.at[4], PS);
        ExpectReservedFault(t, t.context(), 4, PS);
    }
}

TEST(TranslateReserved, PsInPml5eIsReserved) {
    HandTables t(PagingMode::long5);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.set_bits(path.at[5], PS);
    ExpectReservedFault(t, t.context(), 5, PS);
}

TEST(TranslateReserved, OneGiBPageWithoutCpuSupportIsReservedPs) {
    for (PagingMode mode : kLongModes) {
        HandTables t(mode);
        t.map(kVa, 3, GiB, RW);
        CpuFeatures no_1g{};
        no_1g.page1gb = false;
        ExpectReservedFault(t, t.context(no_1g), 3, PS);
        ExpectTranslates(t, t.context());
    }
}

TEST(TranslateReserved, OneGiBPageAlignmentBits29To13AreReservedButBit12IsPat) {
    for (PagingMode mode : kLongModes) {
        for (unsigned bit : {13u, 20u, 29u}) {
            HandTables t(mode);
            const auto path = t.map(kVa, 3, GiB, RW);
            t.set_bits(path.at[3], std::uint64_t{1} << bit);
            ExpectReservedFault(t, t.context(), 3, std::uint64_t{1} << bit);
        }
        HandTables t(mode);
        const auto path = t.map(kVa, 3, GiB, RW);
        t.set_bits(path.at[3], std::uint64_t{1} << 12);
        auto mem = t.memory();
        const auto r = translate(t.context(), mem, kVa, Access::read());
        ASSERT_TRUE(r.ok());
        EXPECT_TRUE(r.mapping()->memory_type.pat);
        EXPECT_EQ(r.mapping()->page_pa(), GiB) << "bit 12 is not an address bit";
    }
}

TEST(TranslateReserved, TwoMiBPageAlignmentBits20To13AreReservedButBit12IsPat) {
    for (PagingMode mode : kPaeFormatModes) {
        for (unsigned bit : {13u, 16u, 20u}) {
            HandTables t(mode);
            const auto path = t.map(kVa, 2, 0x400000, RW);
            t.set_bits(path.at[2], std::uint64_t{1} << bit);
            ExpectReservedFault(t, t.context(), 2, std::uint64_t{1} << bit);
        }
        HandTables t(mode);
        const auto path = t.map(kVa, 2, 0x400000, RW);
        t.set_bits(path.at[2], std::uint64_t{1} << 12);
        auto mem = t.memory();
        const auto r = translate(t.context(), mem, kVa, Access::read());
        ASSERT_TRUE(r.ok()) << to_string(mode);
        EXPECT_TRUE(r.mapping()->memory_type.pat);
        EXPECT_EQ(r.mapping()->page_pa(), 0x400000u);
    }
}

TEST(TranslateReserved, XdIsReservedWhenNxeIsClearAtEveryLevel) {
    for (PagingMode mode : kPaeFormatModes) {
        // PAE's PDPTE has no XD; bit 63 there is always reserved (a #GP at load, tested with PAE).
        const unsigned lowest_top = mode == PagingMode::pae ? 2 : shape(mode).levels;
        for (unsigned level = 1; level <= lowest_top; ++level) {
            HandTables t(mode);
            const auto path = t.map(kVa, 1, 0x123000, RW);
            t.set_bits(path.at[level], XD);
            ExpectReservedFault(t, t.context({}, 0, /*nxe=*/false), level, XD);
            // The same entries with NXE set: XD just forbids fetches.
            ExpectTranslates(t, t.context());
        }
    }
}

TEST(TranslateReserved, ReservedFaultReportsAccessBitsToo) {
    HandTables t(PagingMode::long4);
    const auto path = t.map(kVa, 1, 0x123000, RW | US);
    t.set_bits(path.at[2], std::uint64_t{1} << 51);
    CpuFeatures f = WithMaxPhyAddr(46);
    ExpectReservedFault(t, t.context(f), 2, std::uint64_t{1} << 51, Access::write().user());
    auto mem = t.memory();
    const auto r = translate(t.context(f), mem, kVa, Access::fetch().user());
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->error_code, pf::p | pf::rsvd | pf::u | pf::id);
}

TEST(TranslateReserved, AmdReservesBit8OfPml4eAndPml5eIntelIgnoresIt) {
    for (PagingMode mode : kLongModes) {
        for (unsigned level = 4; level <= shape(mode).levels; ++level) {
            HandTables t(mode);
            const auto path = t.map(kVa, 1, 0x123000, RW);
            t.set_bits(path.at[level], G);
            CpuFeatures amd{};
            amd.vendor = Vendor::amd;
            ExpectReservedFault(t, t.context(amd), level, G);
            ExpectTranslates(t, t.context());
        }
    }
}

TEST(TranslateReserved, WalkStopsAtTheFirstReservedLevelFromTheTop) {
    // Reserved bits at two levels: the walk reports the upper one, where it stopped.
    HandTables t(PagingMode::long4);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.set_bits(path.at[3], std::uint64_t{1} << 50);
    t.set_bits(path.at[1], std::uint64_t{1} << 50);
    ExpectReservedFault(t, t.context(WithMaxPhyAddr(48)), 3, std::uint64_t{1} << 50);
}

TEST(TranslateReserved, ReservedBitBeatsAProtectionViolationAbove) {
    // A user read through a supervisor PML4E with a reserved bit in the PTE: the walk finds the reserved bit
    // before any rights are checked.
    HandTables t(PagingMode::long4);
    const auto path = t.map(kVa, 1, 0x123000, RW | US, RW);
    t.set_bits(path.at[1], std::uint64_t{1} << 47);
    ExpectReservedFault(t, t.context(WithMaxPhyAddr(40)), 1, std::uint64_t{1} << 47, Access::read().user());
}

// ---- 32-bit paging --------------------------------------------------------------------------------------------

TEST(TranslateReserved32Bit, FourMiBPageReservesBit21) {
    HandTables t(PagingMode::legacy32);
    const auto path = t.map(kVa, 2, 0x0080'0000, RW);
    t.set_bits(path.at[2], std::uint64_t{1} << 21);
    ExpectReservedFault(t, t.context(), 2, std::uint64_t{1} << 21);
}

TEST(TranslateReserved32Bit, Pse36BitsAboveMaxPhyAddrAreReserved) {
    // Bits 20:13 hold PA bits 39:32; with MAXPHYADDR 36 the PA bits 39:36 (entry bits 20:17) are reserved.
    HandTables t(PagingMode::legacy32);
    const auto path = t.map(kVa, 2, 0x0080'0000, RW);
    t.set_bits(path.at[2], std::uint64_t{1} << 17);
    ExpectReservedFault(t, t.context(WithMaxPhyAddr(36)), 2, std::uint64_t{1} << 17);
    // With MAXPHYADDR 40 it is an address bit: PA bit 36.
    auto mem = t.memory();
    const auto r = translate(t.context(WithMaxPhyAddr(40)), mem, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->page_pa(), (std::uint64_t{1} << 36) | 0x0080'0000u);
}

TEST(TranslateReserved32Bit, WithoutPse36AllOfBits20To13AreReserved) {
    HandTables t(PagingMode::legacy32);
    const auto path = t.map(kVa, 2, 0x0080'0000, RW);
    t.set_bits(path.at[2], std::uint64_t{1} << 13);
    CpuFeatures no_pse36 = WithMaxPhyAddr(40);
    no_pse36.pse36 = false;
    ExpectReservedFault(t, t.context(no_pse36), 2, std::uint64_t{1} << 13);
}

TEST(TranslateReserved32Bit, FourKiBEntriesHaveNoReservedBits) {
    HandTables t(PagingMode::legacy32);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.set_bits(path.at[2], 0xe40);  // ignored bits 6, 9-11 and bit 8 of a table PDE
    t.set_bits(path.at[1], 0xf80);  // PAT, G and the available bits of a PTE
    ExpectTranslates(t, t.context());
}

}  // namespace
}  // namespace pagewalk::test
