// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: a program's control bits as register values (portable, -m32 and -m64).
#pragma once

#include <cstdint>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/pagewalk.hpp>

namespace pagewalk::guest::runner {

/// Turns harness::control bits `on` on and `off` off in the registers (SDM Vol. 3A §2.5, §2.2.1).
inline void apply_controls(ControlRegisters& regs, std::uint64_t on, std::uint64_t off) {
    namespace c = harness::control;
    const auto cr0_bit = [](std::uint64_t b) { return (b & c::wp) ? cr0::wp : 0; };
    const auto cr4_bits = [](std::uint64_t b) {
        return ((b & c::pse) ? cr4::pse : 0) | ((b & c::pge) ? cr4::pge : 0) | ((b & c::smep) ? cr4::smep : 0) |
               ((b & c::smap) ? cr4::smap : 0) | ((b & c::pke) ? cr4::pke : 0) | ((b & c::pcide) ? cr4::pcide : 0);
    };
    const auto efer_bit = [](std::uint64_t b) { return (b & c::nxe) ? efer::nxe : 0; };
    regs.cr0 = (regs.cr0 & ~cr0_bit(off)) | cr0_bit(on);
    regs.cr4 = (regs.cr4 & ~cr4_bits(off)) | cr4_bits(on);
    regs.efer = (regs.efer & ~efer_bit(off)) | efer_bit(on);
}

/// The registers of paging `mode` on the guest's own base: CR3 0 (the caller sets it), no control bit of a program or
/// a matrix block (WP, PSE, PGE, SMEP, SMAP, PKE, PCIDE, NXE) set, CR0.AM/EM/TS clear.
inline ControlRegisters mode_registers(ControlRegisters regs, PagingMode mode) {
    regs.cr3 = 0;
    regs.cr0 = (regs.cr0 | cr0::pe | cr0::pg) & ~(cr0::wp | cr0::am | cr0::em | cr0::ts);
    regs.cr4 &= ~(cr4::pse | cr4::pae | cr4::pge | cr4::la57 | cr4::smep | cr4::smap | cr4::pke | cr4::pcide);
    regs.efer &= ~(efer::nxe | efer::lme | efer::lma);
    if (mode != PagingMode::legacy32) regs.cr4 |= cr4::pae;
    if (mode == PagingMode::long4 || mode == PagingMode::long5) regs.efer |= efer::lme | efer::lma;
    if (mode == PagingMode::long5) regs.cr4 |= cr4::la57;
    return regs;
}

/// The registers a program starts with, from the current ones: the paging bits of its mode (CR0.PG, CR4.PAE,
/// EFER.LME/LMA, CR4.LA57; SDM Vol. 3A §4.1.1) and the header's control bits; everything the program may control
/// starts clear. CR3 is set once the root table exists. CR0.AM is clear, so a misaligned access at CPL 3 with
/// EFLAGS.AC = 1 raises no #AC (SDM Vol. 3A §6.15, Interrupt 17); CR0.EM and CR0.TS are clear, so the 32-bit world's
/// 8-byte accesses may use MMX MOVQ (no #UD or #NM, §2.5).
inline ControlRegisters target_registers(ControlRegisters regs, const harness::ProgramHeader& h) {
    regs = mode_registers(regs, harness::program_mode(h));
    apply_controls(regs, h.controls, 0);
    return regs;
}

}  // namespace pagewalk::guest::runner
