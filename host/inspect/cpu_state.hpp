// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: the vCPU state QEMU writes into a `dump-guest-memory` ELF core.
//
// QEMU adds one "QEMU" note per vCPU holding a QEMUCPUState (target/i386/arch_dump.c, version 1): the general
// registers, RIP, RFLAGS, ten segment caches (selector, limit, flags, base) and CR0–CR4 — but not IA32_EFER. So
// the paging mode is only partly there: CR0.PG, CR4.PAE, CR4.LA57 are; EFER.LMA must be derived (QEMU writes an
// EM_X86_64 core exactly when the first vCPU has LMA = 1, and a 64-bit code segment has CS.L = 1), and EFER.NXE
// cannot be known at all.
#pragma once

#include <cstdint>

namespace pagewalk::host::inspect {

/// QEMUCPUState, version 1: the part of it the inspector uses.
struct DumpCpuState {
    std::uint32_t version = 0;
    std::uint64_t rip = 0;
    std::uint64_t rflags = 0;
    std::uint32_t cs_selector = 0;
    std::uint32_t cs_flags = 0;  // QEMU's segment flags: the descriptor's high dword (L = bit 21, D/B = bit 22)
    std::uint64_t cr[5] = {};    // CR0, CR1, CR2, CR3, CR4

    /// CS is a 64-bit code segment (CS.L = 1): the vCPU was in 64-bit mode, so EFER.LMA was 1.
    bool cs_long() const { return (cs_flags & (1u << 21)) != 0; }
};

/// Byte layout of QEMUCPUState version 1 (packed little-endian, 432 bytes).
namespace qemu_cpu_state {
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::uint32_t kSize = 432;
inline constexpr std::uint32_t kRip = 8 + 16 * 8;  // after version, size and 16 general registers
inline constexpr std::uint32_t kRflags = kRip + 8;
inline constexpr std::uint32_t kSegments = kRflags + 8;  // cs, ds, es, fs, gs, ss, ldt, tr, gdt, idt: 24 bytes each
inline constexpr std::uint32_t kSegmentSize = 24;
inline constexpr std::uint32_t kCr = kSegments + 10 * kSegmentSize;
static_assert(kCr + 5 * 8 == kSize);
}  // namespace qemu_cpu_state

}  // namespace pagewalk::host::inspect
