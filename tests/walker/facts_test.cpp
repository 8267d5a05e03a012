// SPDX-License-Identifier: MIT OR Apache-2.0
// The x86 facts every part of pagewalk takes from walker/: field declarations and their masks, linear-address
// widths and canonical form per mode, mode names and stored values, CR3's root field, CPUID bit positions, and which
// control-register writes load the PAE PDPTE registers.
#include <gtest/gtest.h>

#include <pagewalk/pagewalk.hpp>

namespace {

using namespace pagewalk;

TEST(Fields, EachDeclarationGivesItsMaskShiftAndWidth) {
    static_assert(Pte::present_field::mask == 0x1 && Pte::present_field::shift == 0 && Pte::present_field::width == 1);
    static_assert(Pte::protection_key_field::mask == 0x7800'0000'0000'0000ull &&
                  Pte::protection_key_field::shift == 59);
    static_assert(Pde2M::address_field::mask == 0x000f'ffff'ffe0'0000ull &&
                  Pde2M::address_mask == Pde2M::address_field::mask);
    static_assert(Pde32::address_field::mask == 0xffff'f000u && sizeof(Pde32::address_field::raw_type) == 4);
    static_assert(PaePdpte::reserved_middle_field::mask == 0x1e0 && PaePdpte::reserved_low_field::mask == 0x6);
    EXPECT_EQ(Pte::protection_key_field::get(Pte{}.set_protection_key(11).raw()), 11u);
    EXPECT_EQ(Pte::protection_key_field::place(0x1f), std::uint64_t{0xf} << 59);  // what does not fit is dropped
    EXPECT_TRUE(Pte::available_field::is(Pte{}.set_available(5).raw(), 5));
}

TEST(Fields, ReservedFormSaysWhetherTheBitsAreClear) {
    EXPECT_TRUE(Pde4M{0x0040'0083u}.reserved21_clear());
    EXPECT_FALSE(Pde4M{0x0060'0083u}.reserved21_clear());
    EXPECT_TRUE(Pdpte1G{0x4000'0083ull}.alignment_clear());
    EXPECT_FALSE(Pdpte1G{0x4000'2083ull}.alignment_clear());         // bit 13: below the 1 GiB address
    EXPECT_FALSE(PaePdpte{0x1000'0021ull}.reserved_middle_clear());  // bit 5, which QEMU 7.2 sets
}

TEST(Fields, EntryBitsAreTheTypedDeclarations) {
    EXPECT_EQ(entry_bit::present, Pml5e::present_field::mask);
    EXPECT_EQ(entry_bit::accessed, 0x20u);
    EXPECT_EQ(entry_bit::dirty, 0x40u);
    EXPECT_EQ(entry_bit::page_size, 0x80u);
    EXPECT_EQ(entry_bit::pat_4k, 0x80u);
    EXPECT_EQ(entry_bit::pat_huge, 0x1000u);
    EXPECT_EQ(entry_bit::execute_disable, std::uint64_t{1} << 63);
}

TEST(LinearAddresses, CanonicalFormAndWidthPerMode) {
    const ModeShape l4 = shape(PagingMode::long4), l5 = shape(PagingMode::long5), pae = shape(PagingMode::pae);
    EXPECT_EQ(bits::sign_extend(0x0000'8000'0000'0000ull, 48), 0xffff'8000'0000'0000ull);
    EXPECT_EQ(bits::sign_extend(0x0000'7fff'ffff'ffffull, 48), 0x0000'7fff'ffff'ffffull);
    EXPECT_EQ(bits::sign_extend(0x1234, 64), 0x1234u);
    EXPECT_TRUE(l4.is_address(0xffff'8000'0000'0000ull));
    EXPECT_FALSE(l4.is_address(0x0000'8000'0000'0000ull));  // bit 47 set, 63:48 clear: #GP
    EXPECT_TRUE(l5.is_address(0x0000'8000'0000'0000ull));   // 57-bit: still in the lower half
    EXPECT_FALSE(l5.is_address(0x0100'0000'0000'0000ull));
    EXPECT_TRUE(pae.is_address(0xffff'f000u));
    EXPECT_FALSE(pae.is_address(0x1'0000'0000ull));  // 32-bit linear addresses
    EXPECT_EQ(l4.linear(0xffff'8000'0000'1000ull), 0x0000'8000'0000'1000ull);
    EXPECT_EQ(l4.canonical(0x0000'8000'0000'1000ull), 0xffff'8000'0000'1000ull);
    EXPECT_EQ(pae.canonical(0x8000'0000u), 0x8000'0000u);  // no sign extension in 32-bit modes
    EXPECT_EQ(pae.fault_address(0x1'8000'1234ull), 0x8000'1234u);
    EXPECT_EQ(l4.fault_address(0xffff'8000'0000'1234ull), 0xffff'8000'0000'1234ull);
}

TEST(Modes, NamesAndStoredValuesRoundTripAndNothingElseParses) {
    for (PagingMode m : kPagingModes) {
        EXPECT_EQ(paging_mode_from_name(to_string(m)), m);
        EXPECT_EQ(paging_mode_from_value(static_cast<std::uint8_t>(m)), m);
    }
    EXPECT_EQ(paging_mode_from_name("4Level"), std::nullopt);
    EXPECT_EQ(paging_mode_from_name("disabled"), std::nullopt);
    EXPECT_EQ(paging_mode_from_name(nullptr), std::nullopt);
    EXPECT_EQ(paging_mode_from_value(0), std::nullopt);
    EXPECT_EQ(paging_mode_from_value(0, true), PagingMode::disabled);
    EXPECT_EQ(paging_mode_from_value(5), std::nullopt);
    EXPECT_EQ(shape(PagingMode::legacy32).levels, 2u);
    EXPECT_EQ(shape(PagingMode::long5).at(5).span(), std::uint64_t{1} << 48);
}

TEST(Cr3, RootAddressPerMode) {
    EXPECT_EQ(root_address(PagingMode::legacy32, 0x1234'5fffu, 36), 0x1234'5000u);
    EXPECT_EQ(root_address(PagingMode::pae, 0x1234'5fe8u, 36), 0x1234'5fe0u);  // 32-byte aligned PDPT
    EXPECT_EQ(root_address(PagingMode::long4, 0x10'0000'1fffull | cr3::no_flush, 36),
              0x1000u);  // bit 36 is above MAXPHYADDR
    EXPECT_EQ(root_address(PagingMode::long4, 0x8'0000'1fffull, 52), 0x8'0000'1000ull);
    EXPECT_EQ(root_address(PagingMode::disabled, 0x1000, 52), 0u);
}

TEST(Cpuid, BitsAreReadFromTheirLeafAndRegister) {
    CpuidResult l7{};
    l7.ebx = cpuid::smep.mask() | cpuid::smap.mask();
    EXPECT_TRUE(cpuid::smep.has(l7));
    EXPECT_TRUE(cpuid::smap.has(l7));
    EXPECT_FALSE(cpuid::pku.has(l7));  // ECX
    const CpuFeatures f = CpuFeatures::from_cpuid([](unsigned leaf, unsigned) {
        CpuidResult r{};
        if (leaf == 0) r.eax = 7;
        if (leaf == 7) r.ebx = cpuid::invpcid.mask();
        return r;
    });
    EXPECT_TRUE(f.invpcid);
    EXPECT_FALSE(f.smep);
    EXPECT_EQ(f.maxphyaddr, 32);  // no leaf 80000008H and no PAE
}

TEST(Cpuid, SignatureAddsTheExtendedFieldsAsTheSdmDisplaysThem) {
    // SDM Vol. 2A, CPUID, Figure 3-6. 0x00050657: family 6, extended model 5, model 5, stepping 7 (Cascade Lake).
    const cpuid::Signature intel = cpuid::signature(0x0005'0657u);
    EXPECT_EQ(intel.family, 6u);
    EXPECT_EQ(intel.model, 0x55u);
    EXPECT_EQ(intel.stepping, 7u);
    // 0x00A20F10: family 0FH + extended family 0AH = 19H (Zen 3), model 21H, stepping 0.
    const cpuid::Signature amd = cpuid::signature(0x00a2'0f10u);
    EXPECT_EQ(amd.family, 0x19u);
    EXPECT_EQ(amd.model, 0x21u);
    EXPECT_EQ(amd.stepping, 0u);
    // Family 5: neither extended field counts.
    const cpuid::Signature p5 = cpuid::signature(0x0ff1'0543u);
    EXPECT_EQ(p5.family, 5u);
    EXPECT_EQ(p5.model, 4u);
    EXPECT_EQ(p5.stepping, 3u);
}

TEST(RegisterWrites, WhichWritesLoadThePaePdptes) {
    ControlRegisters pae{};
    pae.cr0 = cr0::pe | cr0::pg;
    pae.cr4 = cr4::pae;
    ControlRegisters long4 = pae;
    long4.efer = efer::lme | efer::lma;
    EXPECT_TRUE(loads_pdptes(ControlRegister::cr3, pae, pae));       // every MOV to CR3 in PAE paging
    EXPECT_FALSE(loads_pdptes(ControlRegister::cr3, long4, long4));  // not in IA-32e paging
    for (std::uint64_t bit : {cr4::pge, cr4::pse, cr4::smep}) {
        ControlRegisters after = pae;
        after.cr4 ^= bit;
        EXPECT_TRUE(loads_pdptes(ControlRegister::cr4, pae, after)) << bit;
    }
    for (std::uint64_t bit : {cr4::smap, cr4::pke, cr4::pcide}) {
        ControlRegisters after = pae;
        after.cr4 ^= bit;
        EXPECT_FALSE(loads_pdptes(ControlRegister::cr4, pae, after)) << bit;
    }
    ControlRegisters cd = pae;
    cd.cr0 |= cr0::cd;
    EXPECT_TRUE(loads_pdptes(ControlRegister::cr0, pae, cd));
    ControlRegisters wp = pae;
    wp.cr0 |= cr0::wp;
    EXPECT_FALSE(loads_pdptes(ControlRegister::cr0, pae, wp));
    ControlRegisters off = pae;
    off.cr0 &= ~cr0::pg;
    EXPECT_FALSE(loads_pdptes(ControlRegister::cr0, pae, off));  // paging off afterwards: nothing to load
    EXPECT_TRUE(loads_pdptes(ControlRegister::cr0, off, pae));   // turning PAE paging on loads them
}

}  // namespace
