// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, 32-bit world: the TSS and IDT of protected mode (see descriptors32.hpp).
#include "arch32/descriptors32.hpp"

#include "boot/boot_context.h"

extern "C" {
extern std::uint64_t pw_gdt[PW_GDT_ENTRIES];  // boot/entry.S (shared with the 64-bit world)
extern const char pw_isr32_stubs[];           // arch32/isr32.S: 32 stubs, kIsrStubSize bytes apart
}

namespace pagewalk::guest::arch32 {
namespace {

constexpr unsigned kVectors = 32;
constexpr unsigned kIsrStubSize = 16;  // arch32/isr32.S aligns each stub to 16 bytes

Tss32 g_tss;
IdtGate32 g_idt[kVectors];
alignas(16) std::uint8_t g_ring0_stack[8192];  // SS0:ESP0: exceptions from CPL 3 land here

struct __attribute__((packed)) Pseudo {
    std::uint16_t limit;
    std::uint32_t base;
};

}  // namespace

void init_descriptors() {
    g_tss.ss0 = PW_SEL_KDATA;
    g_tss.esp0 = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(g_ring0_stack + sizeof g_ring0_stack));
    g_tss.iomap_base = sizeof(Tss32);
    // 32-bit TSS descriptor (SDM Vol. 3A §7.2.2, Figure 7-3): type 9 = available 32-bit TSS, P = 1, DPL 0, G = 0.
    const std::uint64_t base = reinterpret_cast<std::uintptr_t>(&g_tss);
    const std::uint64_t limit = sizeof(Tss32) - 1;
    pw_gdt[PW_SEL_TSS32 / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (std::uint64_t{0x89} << 40) |
                               ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    asm volatile("ltr %w0" ::"r"(PW_SEL_TSS32) : "memory");  // marks the descriptor busy (SDM §7.2.4)

    const auto stubs = reinterpret_cast<std::uintptr_t>(pw_isr32_stubs);
    for (unsigned v = 0; v < kVectors; ++v) {
        const std::uintptr_t h = stubs + v * kIsrStubSize;
        IdtGate32& g = g_idt[v];
        g.offset_low = static_cast<std::uint16_t>(h);
        g.selector = PW_SEL_KCODE32;
        g.zero = 0;
        g.type_attr = 0x8e;  // present, DPL 0, 32-bit interrupt gate: exceptions only, CPL 3 `int n` is #GP
        g.offset_high = static_cast<std::uint16_t>(h >> 16);
    }
    const Pseudo idtr{sizeof g_idt - 1, static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(g_idt))};
    asm volatile("lidt %0" ::"m"(idtr) : "memory");
}

}  // namespace pagewalk::guest::arch32
