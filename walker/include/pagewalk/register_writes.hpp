// SPDX-License-Identifier: MIT OR Apache-2.0
// What a write to a control register does to paging besides changing the register: the rules a kernel, a hypervisor
// and a harness all need to predict (which writes load the PAE PDPTE registers).
//
//   if (pagewalk::loads_pdptes(pagewalk::ControlRegister::cr4, before, after)) ctx.load_pdptes(memory);
#pragma once

#include <cstdint>

#include "cpu.hpp"

namespace pagewalk {

/// The control registers a MOV can write that matter to paging (the values are the registers' numbers).
enum class ControlRegister : std::uint8_t { cr0 = 0, cr3 = 3, cr4 = 4 };

constexpr const char* to_string(ControlRegister r) {
    switch (r) {
        case ControlRegister::cr0:
            return "CR0";
        case ControlRegister::cr3:
            return "CR3";
        case ControlRegister::cr4:
            return "CR4";
    }
    return "?";
}

/// True when PAE paging is in use with these registers (SDM Vol. 3A §4.1.1, Table 4-1: CR0.PG = 1, CR4.PAE = 1,
/// IA32_EFER.LME = 0).
constexpr bool pae_paging(const ControlRegisters& r) {
    return (r.cr0 & cr0::pg) != 0 && (r.cr4 & cr4::pae) != 0 && (r.efer & efer::lme) == 0;
}

/// True when writing `reg` so that the registers go from `before` to `after` loads the four PAE PDPTE registers from
/// the PDPT that CR3 points to (SDM Vol. 3A §4.4.1): a MOV to CR3 in PAE paging, and a MOV to CR0 or CR4 after which
/// PAE paging is in use that changes CR0.CD, CR0.NW, CR0.PG, CR4.PAE, CR4.PGE, CR4.PSE or CR4.SMEP. A present PDPTE
/// with a reserved bit then makes the instruction raise #GP(0), and neither the register nor the PDPTE registers
/// change (Context::load_pdptes predicts it).
constexpr bool loads_pdptes(ControlRegister reg, const ControlRegisters& before, const ControlRegisters& after) {
    if (!pae_paging(after)) return false;
    switch (reg) {
        case ControlRegister::cr3:
            return true;
        case ControlRegister::cr0:
            return ((before.cr0 ^ after.cr0) & (cr0::cd | cr0::nw | cr0::pg)) != 0;
        case ControlRegister::cr4:
            return ((before.cr4 ^ after.cr4) & (cr4::pae | cr4::pge | cr4::pse | cr4::smep)) != 0;
    }
    return false;
}

/// True when a MOV to CR4 from `before` to `after` raises #GP(0) for PCIDs (SDM Vol. 3A §4.10.1; Vol. 2B, MOV to
/// control registers): setting CR4.PCIDE outside IA-32e mode (EFER.LMA = 0) or while CR3[11:0] is not 0.
constexpr bool pcide_write_faults(const ControlRegisters& before, std::uint64_t new_cr4) {
    const bool setting = (before.cr4 & cr4::pcide) == 0 && (new_cr4 & cr4::pcide) != 0;
    return setting && ((before.efer & efer::lma) == 0 || (before.cr3 & cr3::pcid) != 0);
}

/// True when INVPCID raises #GP(0) (SDM Vol. 2A, INVPCID): a type above 3; a descriptor with bits 63:12 of its PCID
/// quadword set; type 0 with a non-canonical linear address; type 0 or 1 naming a PCID other than 0 while
/// CR4.PCIDE = 0. (The CPL and CPUID checks are the caller's.)
constexpr bool invpcid_faults(std::uint64_t type, std::uint64_t pcid_quadword, bool address_canonical, bool pcide) {
    if (type > 3) return true;
    if ((pcid_quadword & ~cr3::pcid) != 0) return true;
    if (type == 0 && !address_canonical) return true;
    return type <= 1 && !pcide && pcid_quadword != 0;
}

}  // namespace pagewalk
