// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: long-mode system descriptors — the TSS, the IDT, and the U/S marking of the user section.
#pragma once

#include <cstdint>

namespace pagewalk::guest::arch {

/// 64-bit TSS (Intel SDM Vol. 3A §8.7, Figure 8-11). RSP0 is the stack for exceptions from CPL 3; IST1 the
/// #DF stack, so a kernel stack overflow still reports.
struct __attribute__((packed)) Tss64 {
    std::uint32_t reserved0;
    std::uint64_t rsp[3];
    std::uint64_t reserved1;
    std::uint64_t ist[7];
    std::uint64_t reserved2;
    std::uint16_t reserved3;
    std::uint16_t iomap_base;  ///< = sizeof(Tss64): no I/O bitmap, so CPL 3 IN/OUT raise #GP (IOPL = 0)
};
static_assert(sizeof(Tss64) == 104);

/// 64-bit IDT gate descriptor (SDM Vol. 3A §6.14.1, Figure 6-8).
struct __attribute__((packed)) IdtGate64 {
    std::uint16_t offset_low;
    std::uint16_t selector;
    std::uint8_t ist;        ///< bits 2:0
    std::uint8_t type_attr;  ///< P | DPL | 0 | type (0xE = 64-bit interrupt gate)
    std::uint16_t offset_mid;
    std::uint32_t offset_high;
    std::uint32_t reserved;
};
static_assert(sizeof(IdtGate64) == 16);

/// Installs the TSS (GDT slot 0x38, LTR) and an IDT with the 32 exception stubs (LIDT).
void init_descriptors();
/// Sets U/S in the boot PTEs of the .user section and reloads CR3.
void mark_user_pages();

/// Points the IDT gate of `vector` at `handler` (same selector and attributes); returns the previous handler. For
/// measurements that need a bare handler (matrix calibration); put the old one back afterwards.
std::uint64_t swap_idt_handler(unsigned vector, std::uint64_t handler);
/// Loads an empty IDT (limit 0): the next exception escalates to a triple fault. For the broken-guest test.
void load_null_idt();

}  // namespace pagewalk::guest::arch
