// SPDX-License-Identifier: MIT OR Apache-2.0
// Bit-exact entries (each named field at its SDM bit position) and the paging context (mode detection,
// validation, CPUID decoding).
#include <gtest/gtest.h>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

// Each accessor touches exactly its bit: set it alone and compare with the raw value.
template <class E>
void ExpectCommonFlags() {
    EXPECT_EQ(E{}.set_present(true).raw(), 1u << 0);
    EXPECT_EQ(E{}.set_writable(true).raw(), 1u << 1);
    EXPECT_EQ(E{}.set_user(true).raw(), 1u << 2);
    EXPECT_EQ(E{}.set_write_through(true).raw(), 1u << 3);
    EXPECT_EQ(E{}.set_cache_disable(true).raw(), 1u << 4);
    EXPECT_EQ(E{}.set_accessed(true).raw(), 1u << 5);
    EXPECT_EQ(E{}.set_available(7).raw(), 7u << 9);
}

TEST(Entry, CommonFlagsSitAtTheirSdmBitsInEveryFormat) {
    ExpectCommonFlags<Pml5e>();
    ExpectCommonFlags<Pml4e>();
    ExpectCommonFlags<Pdpte>();
    ExpectCommonFlags<Pdpte1G>();
    ExpectCommonFlags<Pde>();
    ExpectCommonFlags<Pde2M>();
    ExpectCommonFlags<Pte>();
    ExpectCommonFlags<PaePde>();
    ExpectCommonFlags<PaePde2M>();
    ExpectCommonFlags<PaePte>();
    ExpectCommonFlags<Pde32>();
    ExpectCommonFlags<Pde4M>();
    ExpectCommonFlags<Pte32>();
}

TEST(Entry, LeafFlagsDifferBetween4KiBAndHugeLeaves) {
    EXPECT_EQ(Pte{}.set_dirty(true).raw(), 1u << 6);
    EXPECT_EQ(Pte{}.set_pat(true).raw(), 1u << 7);
    EXPECT_EQ(Pte{}.set_global(true).raw(), 1u << 8);
    EXPECT_EQ(Pde2M{}.set_page_size(true).raw(), 1u << 7);
    EXPECT_EQ(Pde2M{}.set_pat(true).raw(), 1u << 12);
    EXPECT_EQ(Pdpte1G{}.set_pat(true).raw(), 1u << 12);
    EXPECT_EQ(Pde4M{}.set_pat(true).raw(), 1u << 12);
    EXPECT_EQ(Pte32{}.set_pat(true).raw(), 1u << 7);
    EXPECT_EQ(Pde{}.set_page_size(true).raw(), 1u << 7);
}

TEST(Entry, ExecuteDisableAndProtectionKey) {
    EXPECT_EQ(Pte{}.set_execute_disable(true).raw(), 1ull << 63);
    EXPECT_EQ(Pml4e{}.set_execute_disable(true).raw(), 1ull << 63);
    EXPECT_EQ(Pte{}.set_protection_key(0xf).raw(), 0xfull << 59);
    EXPECT_EQ(Pde2M{}.set_protection_key(0x5).raw(), 0x5ull << 59);
    EXPECT_EQ(Pdpte1G{}.set_protection_key(0xa).raw(), 0xaull << 59);
    EXPECT_EQ(Pte{0x7ull << 59}.protection_key(), 7u);
    EXPECT_EQ(Pte{}.set_available_high(0x7f).raw(), 0x7full << 52);
}

TEST(Entry, AddressFieldsKeepOnlyTheirBits) {
    EXPECT_EQ(Pte{}.set_address(~0ull).raw(), 0x000f'ffff'ffff'f000ull);
    EXPECT_EQ(Pde2M{}.set_address(~0ull).raw(), 0x000f'ffff'ffe0'0000ull);
    EXPECT_EQ(Pdpte1G{}.set_address(~0ull).raw(), 0x000f'ffff'c000'0000ull);
    EXPECT_EQ(Pte32{}.set_address(~0ull).raw(), 0xffff'f000u);
    EXPECT_EQ(PaePdpte{}.set_address(0x1234'5000).raw(), 0x1234'5000u);
    // Setting the address keeps the flags.
    EXPECT_EQ(Pte{}.set_present(true).set_execute_disable(true).set_address(0x5000).raw(), 0x8000'0000'0000'5001ull);
}

TEST(Entry, Pse36AddressOfA4MiBPage) {
    const Pde4M pde = Pde4M{}.set_address(0xab'ffc0'0000ull);
    EXPECT_EQ(pde.raw() & 0xffc0'0000u, 0xffc0'0000u);
    EXPECT_EQ(pde.address_high(), 0xabu);
    EXPECT_EQ((pde.raw() >> 13) & 0xff, 0xabu);
    EXPECT_EQ(pde.address(), 0xab'ffc0'0000ull);
}

TEST(Entry, RawTableIndexesEntries) {
    static RawPageTable64 table{};
    table[3] = Pte{}.set_present(true).set_address(0x9000).raw();
    EXPECT_EQ(table.entry<Pte>(3).address(), 0x9000u);
    EXPECT_EQ(table.entry_raw(3), 0x9001u);
    EXPECT_EQ(RawPageTable32::size(), 1024u);
}

// ---- Context ---------------------------------------------------------------------------------------------------

TEST(Context, DetectsEachModeFromTheRegisters) {
    const std::uint64_t pg = cr0::pe | cr0::pg;
    EXPECT_EQ(Context::from_registers({.cr0 = cr0::pe}).mode(), PagingMode::disabled);
    EXPECT_EQ(Context::from_registers({.cr0 = pg}).mode(), PagingMode::legacy32);
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .cr4 = cr4::pae}).mode(), PagingMode::pae);
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .cr4 = cr4::pae, .efer = efer::lme | efer::lma}).mode(),
              PagingMode::long4);
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .cr4 = cr4::pae | cr4::la57, .efer = efer::lme | efer::lma}).mode(),
              PagingMode::long5);
    // LA57 set outside long mode has no effect on 32-bit or PAE paging.
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .cr4 = cr4::pae | cr4::la57}).mode(), PagingMode::pae);
}

TEST(Context, RejectsStatesTheCpuCannotBeIn) {
    const std::uint64_t pg = cr0::pe | cr0::pg;
    const std::uint64_t lm = efer::lme | efer::lma;
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .efer = lm}).error(), ContextError::long_mode_without_pae);
    EXPECT_EQ(Context::from_registers({.cr0 = cr0::pg}).error(), ContextError::paging_without_protection);
    EXPECT_EQ(Context::from_registers({.cr0 = cr0::pe, .cr4 = cr4::pae, .efer = lm}).error(),
              ContextError::long_mode_without_paging);
    CpuFeatures old{};
    old.la57 = old.smap = old.pku = false;
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .cr4 = cr4::pae | cr4::la57, .efer = lm}, old).error(),
              ContextError::unsupported_la57);
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .cr4 = cr4::smap}, old).error(), ContextError::unsupported_smap);
    EXPECT_EQ(Context::from_registers({.cr0 = pg, .cr4 = cr4::pae | cr4::pke, .efer = lm}, old).error(),
              ContextError::unsupported_pku);
    CpuFeatures narrow{};
    narrow.maxphyaddr = 36;
    const Context bad_cr3 =
        Context::from_registers({.cr0 = pg, .cr3 = 1ull << 40, .cr4 = cr4::pae, .efer = lm}, narrow);
    EXPECT_FALSE(bad_cr3);
    EXPECT_EQ(bad_cr3.error(), ContextError::cr3_reserved_bits);
    EXPECT_STREQ(to_string(bad_cr3.error()), "CR3 has bits set at or above MAXPHYADDR");
    narrow.maxphyaddr = 60;
    EXPECT_EQ(Context::from_registers({.cr0 = pg}, narrow).error(), ContextError::bad_maxphyaddr);
}

TEST(Context, RootComesFromCr3PerMode) {
    const std::uint64_t cr3 = 0x1234'5678ull | 0x18;  // PWT | PCD and low bits
    EXPECT_EQ(Context::for_mode(PagingMode::legacy32, cr3).root(), 0x1234'5000u);
    EXPECT_EQ(Context::for_mode(PagingMode::pae, cr3).root(), 0x1234'5660u);  // bits 31:5
    EXPECT_EQ(Context::for_mode(PagingMode::long4, cr3 | (1ull << 44)).root(), (1ull << 44) | 0x1234'5000u);
}

TEST(Context, FromCpuidDecodesTheFeatureBits) {
    // An AMD EPYC-like CPUID: vendor AuthenticAMD, MAXPHYADDR 48, SMEP/SMAP, 1 GiB pages, no LA57/PKU.
    auto cpuid = [](unsigned leaf, unsigned) -> CpuidResult {
        switch (leaf) {
            case 0:
                return {0xd, 0x6874'7541, 0x444d'4163, 0x6974'6e65};
            case 1:
                return {0, 0, 1u << 17, (1u << 3) | (1u << 6) | (1u << 13) | (1u << 16) | (1u << 17)};
            case 7:
                return {0, (1u << 7) | (1u << 20), 0, 0};
            case 0x8000'0000:
                return {0x8000'0008, 0, 0, 0};
            case 0x8000'0001:
                return {0, 0, 0, (1u << 20) | (1u << 26) | (1u << 29)};
            case 0x8000'0008:
                return {0x3030, 0, 0, 0};
        }
        return {};
    };
    const CpuFeatures f = CpuFeatures::from_cpuid(cpuid);
    EXPECT_EQ(f.vendor, Vendor::amd);
    EXPECT_EQ(f.maxphyaddr, 48);
    EXPECT_TRUE(f.pse && f.pae && f.pge && f.pat && f.pse36 && f.pcid && f.smep && f.smap && f.nx && f.page1gb);
    EXPECT_TRUE(f.long_mode);
    EXPECT_FALSE(f.la57);
    EXPECT_FALSE(f.pku);
}

TEST(Context, FromCpuidWithoutLeaf80000008AssumesMaxPhyAddr36WithPae) {
    auto cpuid = [](unsigned leaf, unsigned) -> CpuidResult {
        if (leaf == 0) return {1, 0x756e'6547, 0x6c65'746e, 0x4965'6e69};
        if (leaf == 1) return {0, 0, 0, 1u << 6};
        return {};
    };
    const CpuFeatures f = CpuFeatures::from_cpuid(cpuid);
    EXPECT_EQ(f.vendor, Vendor::intel);
    EXPECT_EQ(f.maxphyaddr, 36);
    EXPECT_FALSE(f.nx);
}

TEST(Context, FromCpuidOfThisMachineGivesAUsableContext) {
    // The host CPU's own CPUID, through the compiler's intrinsic: whatever it reports must make a valid
    // 4-level context.
    auto cpuid = [](unsigned leaf, unsigned sub) {
        CpuidResult r;
        __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
        return r;
    };
    const CpuFeatures f = CpuFeatures::from_cpuid(cpuid);
    EXPECT_GE(f.maxphyaddr, 32);
    EXPECT_LE(f.maxphyaddr, 52);
    EXPECT_TRUE(f.long_mode);
    EXPECT_TRUE(Context::for_mode(PagingMode::long4, 0x1000, f));
}

}  // namespace
}  // namespace pagewalk::test
