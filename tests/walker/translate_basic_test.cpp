// SPDX-License-Identifier: MIT OR Apache-2.0
// translate(): page sizes, page offsets, the entry chain, not-present entries at every level, canonical
// addresses — in every mode where each rule applies.
#include <gtest/gtest.h>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

class EveryMode : public testing::TestWithParam<PagingMode> {};
class PaeFormatModes : public testing::TestWithParam<PagingMode> {};
class LongModes : public testing::TestWithParam<PagingMode> {};

TEST_P(EveryMode, Maps4KiBPageAndKeepsThePageOffset) {
    HandTables t(GetParam());
    const auto path = t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa + 0x456, Access::read());
    const std::optional<Mapping> m = r.mapping();
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->pa, 0x123456u);
    EXPECT_EQ(m->page_size, 4 * KiB);
    EXPECT_EQ(m->level, 1);
    EXPECT_TRUE(m->writable);
    EXPECT_FALSE(m->user) << "U/S is 0 in the leaf";
    // The chain lists every entry read, top level first, at the addresses the test wrote.
    const ModeShape s = shape(GetParam());
    ASSERT_EQ(r.chain().size(), s.levels);
    for (unsigned i = 0; i < s.levels; ++i) {
        const unsigned level = s.levels - i;
        EXPECT_EQ(r.chain()[i].level, level);
        EXPECT_EQ(r.chain()[i].entry_pa, path.at[level]) << "level " << level;
        EXPECT_EQ(r.chain()[i].value, t.read_entry(path.at[level]));
    }
}

TEST_P(EveryMode, NotPresentEntryAtEachLevelFaultsWithPClearAtThatLevel) {
    const ModeShape s = shape(GetParam());
    for (unsigned level = 1; level <= s.levels; ++level) {
        HandTables t(GetParam());
        const auto path = t.map(kVa, 1, 0x123000, RW | US);
        t.clear_bits(path.at[level], P);
        auto mem = t.memory();
        const Context ctx = t.context();
        // With PAE the PDPTEs come from the registers: load them after the change, as MOV CR3 would.
        Context loaded = ctx;
        if (GetParam() == PagingMode::pae) {
            ASSERT_TRUE(loaded.load_pdptes(mem));
        }

        const auto r = translate(loaded, mem, kVa, Access::write().user());
        const std::optional<PageFault> f = r.page_fault();
        ASSERT_TRUE(f.has_value()) << "level " << level;
        EXPECT_EQ(f->error_code, pf::w | pf::u) << "level " << level;
        EXPECT_EQ(f->level, level);
        EXPECT_EQ(f->va, kVa) << "CR2 is the faulting linear address";
        EXPECT_EQ(f->causes, fault_cause::not_present);
        EXPECT_EQ(r.vector(), 14);
    }
}

TEST_P(EveryMode, NotPresentEntryIgnoresAllOtherBits) {
    // SDM §4.7: with P = 0 the entry's other bits — reserved ones too — are not examined.
    HandTables t(GetParam());
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.write_entry(path.at[1], 0xffff'ffff'ffff'fffeull & (shape(GetParam()).entry_bytes == 4 ? 0xffff'fffeu : ~0ull));
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->error_code, 0u) << "P = 0 and no RSVD";
}

TEST_P(PaeFormatModes, Maps2MiBPage) {
    HandTables t(GetParam());
    t.map(kVa, 2, 0x1600000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa + 0x1234, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->page_size, 2 * MiB);
    EXPECT_EQ(r.mapping()->level, 2);
    EXPECT_EQ(r.mapping()->pa, 0x1600000u + ((kVa + 0x1234) & (2 * MiB - 1)));
}

TEST_P(LongModes, Maps1GiBPage) {
    HandTables t(GetParam());
    t.map(kVa, 3, 5 * GiB, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->page_size, GiB);
    EXPECT_EQ(r.mapping()->level, 3);
    EXPECT_EQ(r.mapping()->pa, 5 * GiB + (kVa & (GiB - 1)));
}

TEST(Translate32Bit, Maps4MiBPageWhenPseIsSet) {
    HandTables t(PagingMode::legacy32);
    t.map(kVa, 2, 0x0080'0000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa + 0x10, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->page_size, 4 * MiB);
    EXPECT_EQ(r.mapping()->pa, 0x0080'0000u + ((kVa + 0x10) & (4 * MiB - 1)));
}

TEST(Translate32Bit, PsBitIsIgnoredWhenPseIsClear) {
    // SDM §4.3: with CR4.PSE = 0, PDE bit 7 is ignored — the PDE references a page table.
    HandTables t(PagingMode::legacy32);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.set_bits(path.at[2], PS);
    ControlRegisters r = t.context().registers();
    r.cr4 &= ~cr4::pse;
    auto mem = t.memory();
    const auto res = translate(Context::from_registers(r), mem, kVa, Access::read());
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(res.mapping()->page_size, 4 * KiB);
    EXPECT_EQ(res.mapping()->pa, 0x123000u);
}

TEST(TranslateLegacy, LinearAddressWrapsTo32Bits) {
    for (PagingMode mode : {PagingMode::legacy32, PagingMode::pae}) {
        HandTables t(mode);
        t.map(kVa, 1, 0x123000, RW);
        auto mem = t.memory();
        const auto r = translate(t.context(), mem, (std::uint64_t{1} << 32) | kVa, Access::read());
        ASSERT_TRUE(r.ok()) << to_string(mode);
        EXPECT_EQ(r.mapping()->pa, 0x123000u);
    }
}

TEST(TranslateLong4, NonCanonicalAddressRaisesGeneralProtection) {
    HandTables t(PagingMode::long4);
    auto mem = t.memory();
    for (std::uint64_t va : {0x0000'8000'0000'0000ull, 0xffff'7fff'ffff'ffffull, 0x0100'0000'0000'0000ull}) {
        const auto r = translate(t.context(), mem, va, Access::read());
        ASSERT_TRUE(r.general_protection()) << std::hex << va;
        EXPECT_EQ(r.general_protection()->cause, GeneralProtection::Cause::non_canonical);
        EXPECT_EQ(r.vector(), 13);
    }
}

TEST(TranslateLong5, CanonicalityUses57Bits) {
    HandTables t(PagingMode::long5);
    t.map(0x0000'8000'0000'0000ull, 1, 0x55000, RW);
    auto mem = t.memory();
    // Non-canonical with 4-level paging, canonical with 5-level: translates.
    const auto ok = translate(t.context(), mem, 0x0000'8000'0000'0000ull, Access::read());
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.mapping()->pa, 0x55000u);
    const auto gp = translate(t.context(), mem, 0x0100'0000'0000'0000ull, Access::read());
    ASSERT_TRUE(gp.general_protection());
    // The upper half: bits 63:56 all ones is canonical, and reaches PML5 index 511.
    const auto high = translate(t.context(), mem, 0xff00'0000'0000'0000ull, Access::read());
    ASSERT_TRUE(high.page_fault());
    EXPECT_EQ(high.page_fault()->level, 5);
}

TEST(TranslateDisabled, PagingOffIsIdentity) {
    const Context ctx = Context::from_registers({.cr0 = cr0::pe});
    ASSERT_TRUE(ctx);
    PhysicalBuffer phys(4096);
    auto mem = phys.memory();
    const auto r = translate(ctx, mem, 0x1234'5678, Access::write().user());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->pa, 0x1234'5678u);
    EXPECT_EQ(r.mapping()->level, 0);
}

TEST(TranslateLong4, UpperHalfAddressesUseTopIndices) {
    HandTables t(PagingMode::long4);
    const std::uint64_t kernel_va = 0xffff'ffff'8000'0000ull;
    const auto path = t.map(kernel_va, 2, 0x200000, RW);
    EXPECT_EQ(path.at[4], t.root() + 511 * 8);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kernel_va + 0x42, Access::fetch());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->pa, 0x200042u);
}

TEST(TranslateMemoryType, PatIndexComesFromPatPcdPwtOfTheLeaf) {
    HandTables t(PagingMode::long4);
    t.map(kVa, 1, 0x123000, RW | PWT | (1u << 7) /* PTE.PAT */);
    t.map(kVa + 2 * MiB, 2, 0x400000, RW | PCD | (1u << 12) /* PDE.PAT */);
    auto mem = t.memory();
    ControlRegisters regs = t.context().registers();
    regs.pat =
        (std::uint64_t{1} << 40) | (std::uint64_t{5} << 8);  // index 5 = WC (1), index 6 = UC (0), index 1 = WP (5)
    const Context ctx = Context::from_registers(regs);
    const auto small = translate(ctx, mem, kVa, Access::read());
    ASSERT_TRUE(small.ok());
    EXPECT_EQ(small.mapping()->memory_type.pat_index(), 5u);
    EXPECT_EQ(small.mapping()->memory_type.type, 1u);
    const auto huge = translate(ctx, mem, kVa + 2 * MiB, Access::read());
    ASSERT_TRUE(huge.ok());
    EXPECT_EQ(huge.mapping()->memory_type.pat_index(), 6u);
    EXPECT_EQ(huge.mapping()->memory_type.type, 0u);
}

INSTANTIATE_TEST_SUITE_P(Translate, EveryMode, testing::ValuesIn(kAllModes), mode_name);
INSTANTIATE_TEST_SUITE_P(Translate, PaeFormatModes, testing::ValuesIn(kPaeFormatModes), mode_name);
INSTANTIATE_TEST_SUITE_P(Translate, LongModes, testing::ValuesIn(kLongModes), mode_name);

}  // namespace
}  // namespace pagewalk::test
