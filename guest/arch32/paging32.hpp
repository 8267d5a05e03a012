// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, 32-bit world: turning 32-bit or PAE paging on from protected mode. Compiled -m32 only.
#pragma once

#include <cstdint>
#include <pagewalk/cpu.hpp>

namespace pagewalk::guest::arch32 {

/// IA32_EFER exists (CPUID.80000001H:EDX.NX or .LM; Intel SDM Vol. 4, "IA32_EFER"): RDMSR/WRMSR of it is #GP
/// otherwise.
bool has_efer();

/// IA32_EFER, or 0 where the CPU has none.
std::uint64_t read_efer();
/// Writes IA32_EFER where the CPU has it (LME and LMA stay clear: this world never enters IA-32e mode).
void write_efer(std::uint64_t v);

/// Turns paging on from protected mode with paging off, the order Intel SDM Vol. 3A §4.1.2 and §9.9.1 give:
/// IA32_EFER.NXE (WRMSR), CR4 (PSE or PAE, PGE, SMEP, SMAP), CR3, then CR0.PG (with WP) last. In PAE paging the
/// MOV to CR0 that sets PG loads the four PDPTE registers and raises #GP if one has a reserved bit set (§4.4.1):
/// call it through arch::try_call (enable_paging_thunk).
void enable_paging(const ControlRegisters& r);
/// enable_paging for arch::try_call: `arg` points to the ControlRegisters.
void enable_paging_thunk(void* arg);

}  // namespace pagewalk::guest::arch32
