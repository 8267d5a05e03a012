// SPDX-License-Identifier: MIT OR Apache-2.0
// translate(): the PAE PDPTE registers (SDM Vol. 3A §4.4.1) and the accessed/dirty flags (§4.8).
#include <gtest/gtest.h>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

// ---- PAE PDPTE caching ----------------------------------------------------------------------------------------------

TEST(TranslatePae, PdpteWrittenAfterCr3LoadIsNotSeenUntilReload) {
    HandTables t(PagingMode::pae);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    Context ctx = t.context();
    ASSERT_TRUE(ctx.load_pdptes(mem));  // MOV CR3

    // Point the PDPTE somewhere else in memory: the registers still hold the old value.
    const std::uint64_t other_pd = t.allocate();
    const std::uint64_t old_pdpte = t.read_entry(path.at[3]);
    t.write_entry(path.at[3], other_pd | P);
    const auto before = translate(ctx, mem, kVa, Access::read());
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(before.mapping()->pa, 0x123000u);
    EXPECT_EQ(before.chain()[0].value, old_pdpte) << "the chain shows the register value";

    // After the reload the empty page directory is used.
    ASSERT_TRUE(ctx.load_pdptes(mem));
    const auto after = translate(ctx, mem, kVa, Access::read());
    ASSERT_TRUE(after.page_fault());
    EXPECT_EQ(after.page_fault()->level, 2);
}

TEST(TranslatePae, ClearingPdptePresentTakesEffectOnlyAfterReload) {
    HandTables t(PagingMode::pae);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    Context ctx = t.context();
    ASSERT_TRUE(ctx.load_pdptes(mem));
    t.clear_bits(path.at[3], P);
    EXPECT_TRUE(translate(ctx, mem, kVa, Access::read()).ok());
    ASSERT_TRUE(ctx.load_pdptes(mem));
    const auto r = translate(ctx, mem, kVa, Access::read());
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->level, 3);
    EXPECT_EQ(r.page_fault()->error_code, 0u);
}

TEST(TranslatePae, ReservedBitsInPresentPdpteFailTheCr3LoadWithGeneralProtection) {
    for (std::uint64_t bit : {bits::bit(1), bits::bit(2), bits::bit(5), bits::bit(8), bits::bit(63), bits::bit(40)}) {
        HandTables t(PagingMode::pae);
        const auto path = t.map(kVa, 1, 0x123000, RW);
        t.set_bits(path.at[3], bit);
        auto mem = t.memory();
        CpuFeatures cpu{};
        cpu.maxphyaddr = 36;
        Context ctx = t.context(cpu);
        const PdpteLoad load = ctx.load_pdptes(mem);
        EXPECT_EQ(load.status, PdpteLoad::Status::general_protection) << std::hex << bit;
        EXPECT_EQ(load.reserved_bits, bit);
        EXPECT_EQ(load.index, (kVa >> 30) & 3);
        // Without loaded registers translate reads the PDPT itself and reports the same #GP.
        const auto r = translate(ctx, mem, kVa, Access::read());
        ASSERT_TRUE(r.general_protection());
        EXPECT_EQ(r.general_protection()->cause, GeneralProtection::Cause::pdpte_reserved);
        EXPECT_EQ(r.general_protection()->reserved_bits, bit);
    }
}

TEST(TranslatePae, ReservedBitsInNotPresentPdpteAreNotChecked) {
    HandTables t(PagingMode::pae);
    t.write_entry(t.root(), 0xffff'ffff'ffff'fffeull);
    auto mem = t.memory();
    Context ctx = t.context();
    EXPECT_TRUE(ctx.load_pdptes(mem));
}

TEST(TranslatePae, PdpteFlagsDoNotRestrictRights) {
    // PAE PDPTEs have no R/W, U/S or XD: rights come from the PDE and PTE only.
    HandTables t(PagingMode::pae);
    t.map(kVa, 1, 0x123000, RW | US, RW | US);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::write().user());
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.mapping()->writable);
    EXPECT_TRUE(r.mapping()->user);
}

TEST(TranslatePae, PdptIsAt32ByteAlignedCr3) {
    // CR3 bits 31:5 locate the PDPT (SDM §4.4.1): a PDPT need not be page aligned.
    HandTables t(PagingMode::pae);
    const std::uint64_t pd = t.allocate();
    const std::uint64_t pt = t.allocate();
    const std::uint64_t pdpt = t.allocate() + 0x60;
    const unsigned i3 = (kVa >> 30) & 3, i2 = (kVa >> 21) & 511, i1 = (kVa >> 12) & 511;
    t.write_entry(pdpt + 8 * i3, pd | P);
    t.write_entry(pd + 8 * i2, pt | P | RW);
    t.write_entry(pt + 8 * i1, 0x777000 | P);
    auto mem = t.memory();
    const Context ctx = Context::for_mode(PagingMode::pae, pdpt);
    const auto r = translate(ctx, mem, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->pa, 0x777000u);
}

// ---- Accessed and dirty flags ---------------------------------------------------------------------------------------

class EveryModeAd : public testing::TestWithParam<PagingMode> {};

std::uint8_t LevelsBelow(unsigned top, PagingMode mode) {
    std::uint8_t mask = 0;
    for (unsigned l = 1; l <= top; ++l) {
        if (mode == PagingMode::pae && l == 3) continue;  // the PAE PDPTE has no A flag
        mask = static_cast<std::uint8_t>(mask | (1u << l));
    }
    return mask;
}

TEST_P(EveryModeAd, ReadSetsAccessedInEveryEntryUsed) {
    HandTables t(GetParam());
    t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->sets_accessed, LevelsBelow(shape(GetParam()).levels, GetParam()));
    EXPECT_FALSE(r.mapping()->sets_dirty);
}

TEST_P(EveryModeAd, WriteSetsDirtyInTheLeaf) {
    HandTables t(GetParam());
    t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::write());
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.mapping()->sets_dirty);
}

TEST_P(EveryModeAd, FlagsAlreadySetAreNotReportedAgain) {
    HandTables t(GetParam());
    const auto path = t.map(kVa, 1, 0x123000, RW | A | D, RW | A);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::write());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->sets_accessed, 0) << "every A already set";
    EXPECT_FALSE(r.mapping()->sets_dirty);
    (void)path;
}

TEST_P(EveryModeAd, FaultMaySetAccessedOnlyAboveTheFaultingLevel) {
    // SDM §4.8: whether a faulting walk sets A in the entries above is not architectural ("may").
    HandTables t(GetParam());
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.clear_bits(path.at[1], P);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->may_set_accessed, LevelsBelow(shape(GetParam()).levels, GetParam()) & ~(1u << 1) & 0xff);
}

TEST(TranslateAd, TwoMiBLeafGetsDirty) {
    for (PagingMode mode : kPaeFormatModes) {
        HandTables t(mode);
        t.map(kVa, 2, 0x400000, RW);
        auto mem = t.memory();
        const auto r = translate(t.context(), mem, kVa, Access::write());
        ASSERT_TRUE(r.ok()) << to_string(mode);
        EXPECT_TRUE(r.mapping()->sets_dirty);
        EXPECT_EQ(r.mapping()->sets_accessed & (1u << 2), 1u << 2);
    }
}

TEST(TranslateAd32Bit, FourMiBLeafGetsDirty) {
    HandTables t(PagingMode::legacy32);
    t.map(kVa, 2, 0x400000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::write());
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.mapping()->sets_dirty);
    EXPECT_EQ(r.mapping()->sets_accessed, 1u << 2);
}

INSTANTIATE_TEST_SUITE_P(Translate, EveryModeAd, testing::ValuesIn(kAllModes), mode_name);

}  // namespace
}  // namespace pagewalk::test
