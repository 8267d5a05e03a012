// SPDX-License-Identifier: MIT OR Apache-2.0
// TranslateResult and EntryChain: the compact result translate() stores (entry values, the top-level table, one
// header word) decodes to the same answers a full walk gives — the entry addresses, the A bits, the memory type,
// the protection key — and each accessor is empty for the other kinds.
#include <gtest/gtest.h>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

class EveryModeResult : public testing::TestWithParam<PagingMode> {};

TEST_P(EveryModeResult, ChainIteratesTheSameEntriesAsIndexingAndFindsEachLevel) {
    HandTables t(GetParam());
    const auto path = t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    const EntryChain& chain = r.chain();
    ASSERT_EQ(chain.size(), shape(GetParam()).levels);
    EXPECT_EQ(chain.mode(), GetParam());
    EXPECT_EQ(chain.va(), kVa);
    EXPECT_EQ(chain.top_level(), shape(GetParam()).levels);
    unsigned i = 0;
    for (const ChainEntry& e : chain) {
        EXPECT_EQ(e, chain[i]);
        EXPECT_EQ(e.value, chain.value(i));
        const std::optional<ChainEntry> by_level = chain.at_level(e.level);
        ASSERT_TRUE(by_level.has_value());
        EXPECT_EQ(*by_level, e);
        EXPECT_EQ(e.entry_pa, path.at[e.level]);
        ++i;
    }
    EXPECT_EQ(i, chain.size());
    EXPECT_EQ(chain.last().level, 1);
    EXPECT_FALSE(chain.at_level(chain.top_level() + 1).has_value());
    EXPECT_FALSE(chain.at_level(0).has_value());
}

TEST_P(EveryModeResult, ChainStopsAtTheNotPresentEntryAndKnowsNoLevelBelow) {
    HandTables t(GetParam());
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.clear_bits(path.at[2], P);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.page_fault().has_value());
    EXPECT_EQ(r.chain().last().level, 2);
    EXPECT_EQ(r.chain().last().entry_pa, path.at[2]);
    EXPECT_FALSE(r.chain().at_level(1).has_value());
    EXPECT_EQ(r.pa(), 0u) << "pa() is 0 unless the result is a mapping";
}

TEST_P(EveryModeResult, PaEqualsTheMappingsAddressAndAccessorsAreEmptyForOtherKinds) {
    HandTables t(GetParam());
    t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa + 0x10, Access::read());
    ASSERT_TRUE(r.mapping().has_value());
    EXPECT_EQ(r.pa(), r.mapping()->pa);
    EXPECT_EQ(r.pa(), 0x123010u);
    EXPECT_FALSE(r.page_fault().has_value());
    EXPECT_FALSE(r.general_protection().has_value());
    EXPECT_FALSE(r.memory_error().has_value());
    EXPECT_EQ(r.vector(), -1);
}

INSTANTIATE_TEST_SUITE_P(Result, EveryModeResult, testing::ValuesIn(kAllModes), mode_name);

TEST(TranslateResult, NonCanonicalGeneralProtectionHasAnEmptyChainThatStillKnowsTheAddress) {
    HandTables t(PagingMode::long4);
    auto mem = t.memory();
    const std::uint64_t va = 0x0000'8000'0000'0000ull;
    const auto r = translate(t.context(), mem, va, Access::read());
    ASSERT_TRUE(r.general_protection().has_value());
    EXPECT_EQ(r.general_protection()->va, va);
    EXPECT_TRUE(r.chain().empty());
    EXPECT_EQ(r.chain().va(), va);
    EXPECT_EQ(r.vector(), 13);
    EXPECT_EQ(r.pa(), 0u);
}

TEST(TranslateResult, PagingDisabledMapsOneToOneWithWriteBackAndNoEntries) {
    Context ctx{};  // CR0.PG = 0
    HandTables t(PagingMode::long4);
    auto mem = t.memory();
    const auto r = translate(ctx, mem, 0x1234'5678, Access::write().user());
    const std::optional<Mapping> m = r.mapping();
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->pa, 0x1234'5678u);
    EXPECT_EQ(m->level, 0);
    EXPECT_TRUE(m->writable && m->user && m->executable);
    EXPECT_EQ(m->memory_type.type, 6) << "WB";
    EXPECT_FALSE(m->sets_dirty) << "no entries, so no D bit to set";
    EXPECT_EQ(m->sets_accessed, 0);
    EXPECT_TRUE(r.chain().empty());
}

// The walk masks a PDPTE register with the table-address bits below MAXPHYADDR; the chain derives the next
// entry's address with the same mask, even for a register value with bits above MAXPHYADDR (set_pdptes takes
// what a hypervisor read from the vCPU, unchecked).
TEST(TranslateResult, ChainDerivesEntryAddressesWithTheWalksMaskForAPdpteRegister) {
    HandTables t(PagingMode::pae);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    auto mem = t.memory();
    CpuFeatures cpu{};
    cpu.maxphyaddr = 36;
    Context ctx = t.context(cpu);
    const unsigned index = shape(PagingMode::pae).at(3).index(kVa);
    std::uint64_t pdptes[4] = {};
    pdptes[index] = t.read_entry(path.at[3]) | bits::bit(40);  // above MAXPHYADDR
    ctx.set_pdptes(pdptes);
    const auto r = translate(ctx, mem, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.chain().size(), 3u);
    EXPECT_EQ(r.chain()[0].value, pdptes[index]);
    EXPECT_EQ(r.chain()[1].entry_pa, path.at[2]);
    EXPECT_EQ(r.chain()[2].entry_pa, path.at[1]);
}

// SDM §4.8: A is set in every entry used; bit L of sets_accessed / may_set_accessed names level L. Decoded from
// the chain: checked here against the entries written, level by level, in 4-level paging.
TEST(TranslateResult, AccessedBitsAreDecodedPerLevelFromTheChain) {
    HandTables t(PagingMode::long4);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    t.set_bits(path.at[4], bits::bit(5));
    t.set_bits(path.at[2], bits::bit(5));
    auto mem = t.memory();
    const auto ok = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(ok.mapping().has_value());
    EXPECT_EQ(ok.mapping()->sets_accessed, (1u << 3) | (1u << 1));

    t.clear_bits(path.at[1], P);  // the PTE is not used: its A bit is not reported
    const auto fault = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(fault.page_fault().has_value());
    EXPECT_EQ(fault.page_fault()->may_set_accessed, 1u << 3);
}

// SDM Vol. 3A §13.12.3: the PAT index is PAT:PCD:PWT of the leaf (PAT is bit 7 in a PTE, bit 12 in a huge
// page), and selects a byte of IA32_PAT; without PAT support the PAT bit is ignored.
TEST(TranslateResult, MemoryTypeIsDecodedFromTheLeafAndIa32Pat) {
    for (const bool huge : {false, true}) {
        for (const bool cpu_pat : {true, false}) {
            HandTables t(PagingMode::long4);
            const std::uint64_t pat_bit = huge ? bits::bit(12) : bits::bit(7);
            t.map(kVa, huge ? 2 : 1, huge ? 0x20'0000 : 0x123000, RW | pat_bit | bits::bit(3));  // PAT and PWT
            CpuFeatures cpu{};
            cpu.pat = cpu_pat;
            Context base = t.context(cpu);
            ControlRegisters regs = base.registers();
            const std::uint8_t types[8] = {6, 0 /* UC */, 7, 0, 6, 1 /* WC */, 7, 0};
            regs.pat = 0;
            for (unsigned i = 0; i < 8; ++i) regs.pat |= std::uint64_t{types[i]} << (8 * i);
            const Context ctx = Context::from_registers(regs, cpu);
            auto mem = t.memory();
            const auto r = translate(ctx, mem, kVa, Access::read());
            const std::optional<Mapping> m = r.mapping();
            ASSERT_TRUE(m.has_value());
            EXPECT_TRUE(m->memory_type.pwt);
            EXPECT_EQ(m->memory_type.pat, cpu_pat) << "huge " << huge;
            EXPECT_EQ(m->memory_type.pat_index(), cpu_pat ? 5u : 1u);
            EXPECT_EQ(m->memory_type.type, cpu_pat ? 1 : 0) << "huge " << huge;
        }
    }
}

TEST(TranslateResult, ProtectionKeyGlobalAndDirtyAreDecodedFromTheLeaf) {
    HandTables t(PagingMode::long4);
    t.map(kVa, 1, 0x123000, RW | US | bits::bit(8) | (std::uint64_t{11} << 59));  // G, key 11
    CpuFeatures cpu{};
    cpu.pku = true;
    cpu.pge = true;
    auto mem = t.memory();
    const Context with_pke = t.context(cpu, cr4::pke | cr4::pge);
    const auto w = translate(with_pke, mem, kVa, Access::write().user());
    ASSERT_TRUE(w.mapping().has_value());
    EXPECT_EQ(w.mapping()->pkey, 11);
    EXPECT_TRUE(w.mapping()->global);
    EXPECT_TRUE(w.mapping()->sets_dirty) << "a write to a page with D = 0";
    const auto rd = translate(with_pke, mem, kVa, Access::read().user());
    EXPECT_FALSE(rd.mapping()->sets_dirty) << "reads do not set D";
    const auto no_pke = translate(t.context(cpu), mem, kVa, Access::read().user());
    EXPECT_EQ(no_pke.mapping()->pkey, 0) << "bits 62:59 are no key without CR4.PKE";
}

TEST(EntryChain, DefaultIsEmpty) {
    const EntryChain chain;
    EXPECT_TRUE(chain.empty());
    EXPECT_EQ(chain.begin(), chain.end());
    EXPECT_FALSE(chain.at_level(1).has_value());
}

}  // namespace
}  // namespace pagewalk::test
