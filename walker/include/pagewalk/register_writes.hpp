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

}  // namespace pagewalk
