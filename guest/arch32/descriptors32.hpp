// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, 32-bit world: protected-mode system descriptors — the 32-bit TSS (GDT slot 0x48) and the IDT
// with a handler for each of the 32 exception vectors. Compiled -m32 only.
#pragma once

#include <cstdint>

namespace pagewalk::guest::arch32 {

/// 32-bit TSS (Intel SDM Vol. 3A §7.2.1, Figure 7-2). Only SS0:ESP0 matter here: the stack the CPU switches to
/// when an exception interrupts CPL 3 code (SDM §6.12.1). No hardware task switching is used.
struct __attribute__((packed)) Tss32 {
    std::uint32_t prev_task_link;
    std::uint32_t esp0, ss0, esp1, ss1, esp2, ss2;
    std::uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    std::uint32_t es, cs, ss, ds, fs, gs, ldt;
    std::uint16_t trap;
    std::uint16_t iomap_base;  ///< = sizeof(Tss32), past the limit: no I/O bitmap, CPL 3 IN/OUT raise #GP (IOPL 0)
};
static_assert(sizeof(Tss32) == 104);

/// 32-bit interrupt-gate descriptor (SDM Vol. 3A §6.11, Figure 6-2).
struct __attribute__((packed)) IdtGate32 {
    std::uint16_t offset_low;
    std::uint16_t selector;
    std::uint8_t zero;
    std::uint8_t type_attr;  ///< P | DPL | 0 | D 1 1 0: 0x8E = present, DPL 0, 32-bit interrupt gate (IF cleared)
    std::uint16_t offset_high;
};
static_assert(sizeof(IdtGate32) == 8);

/// Installs the 32-bit TSS (GDT slot 0x48, LTR) and the 32-bit IDT (LIDT) whose gates lead to arch32/isr32.S.
/// Paging may be off or on (identity-mapped image); interrupts stay off throughout.
void init_descriptors();

}  // namespace pagewalk::guest::arch32
