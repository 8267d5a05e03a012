// SPDX-License-Identifier: MIT OR Apache-2.0
#include "arch/descriptors.hpp"

#include "arch/cpu.hpp"
#include "boot/boot_context.h"

extern "C" {
extern std::uint64_t pw_gdt[PW_GDT_ENTRIES];
extern std::uint64_t pw_boot_pt[512];
extern const char pw_isr_stubs[];
extern const char pw_user_start[], pw_user_end[];
}

namespace pagewalk::guest::arch {
namespace {

constexpr unsigned kVectors = 32;
constexpr unsigned kStubSize = 16;  // arch/isr.S aligns each stub to 16 bytes

Tss64 g_tss;
IdtGate64 g_idt[kVectors];
alignas(16) std::uint8_t g_ring0_stack[8192];
alignas(16) std::uint8_t g_df_stack[4096];

struct __attribute__((packed)) Pseudo {
    std::uint16_t limit;
    std::uint64_t base;
};

}  // namespace

void init_descriptors() {
    g_tss.rsp[0] = reinterpret_cast<std::uint64_t>(g_ring0_stack + sizeof g_ring0_stack);
    g_tss.ist[0] = reinterpret_cast<std::uint64_t>(g_df_stack + sizeof g_df_stack);
    g_tss.iomap_base = sizeof(Tss64);
    // 64-bit TSS descriptor, 16 bytes (SDM Vol. 3A §8.2.3, Figure 8-4): type 9 = available 64-bit TSS, P = 1.
    const auto base = reinterpret_cast<std::uint64_t>(&g_tss);
    const std::uint64_t limit = sizeof(Tss64) - 1;
    pw_gdt[PW_SEL_TSS64 / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (std::uint64_t{0x89} << 40) |
                               ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    pw_gdt[PW_SEL_TSS64 / 8 + 1] = base >> 32;
    asm volatile("ltr %w0" ::"r"(PW_SEL_TSS64));

    const auto stubs = reinterpret_cast<std::uint64_t>(pw_isr_stubs);
    for (unsigned v = 0; v < kVectors; ++v) {
        const std::uint64_t h = stubs + v * kStubSize;
        IdtGate64& g = g_idt[v];
        g.offset_low = static_cast<std::uint16_t>(h);
        g.selector = PW_SEL_KCODE64;
        g.ist = v == 8 ? 1 : 0;  // #DF on IST1
        g.type_attr = 0x8e;      // present, DPL 0, 64-bit interrupt gate
        g.offset_mid = static_cast<std::uint16_t>(h >> 16);
        g.offset_high = static_cast<std::uint32_t>(h >> 32);
        g.reserved = 0;
    }
    const Pseudo idtr{sizeof g_idt - 1, reinterpret_cast<std::uint64_t>(g_idt)};
    asm volatile("lidt %0" ::"m"(idtr));
}

std::uint64_t swap_idt_handler(unsigned vector, std::uint64_t handler) {
    IdtGate64& g = g_idt[vector % kVectors];
    const std::uint64_t old = g.offset_low | (std::uint64_t{g.offset_mid} << 16) | (std::uint64_t{g.offset_high} << 32);
    g.offset_low = static_cast<std::uint16_t>(handler);
    g.offset_mid = static_cast<std::uint16_t>(handler >> 16);
    g.offset_high = static_cast<std::uint32_t>(handler >> 32);
    return old;
}

void mark_user_pages() {
    const auto first = reinterpret_cast<std::uintptr_t>(pw_user_start) >> 12;
    const auto last = reinterpret_cast<std::uintptr_t>(pw_user_end) >> 12;
    for (auto page = first; page < last && page < 512; ++page) pw_boot_pt[page] |= 4;  // U/S (SDM Vol. 3A §4.5)
    write_cr3(read_cr3());
}

void load_null_idt() {
    const Pseudo idtr{0, 0};
    asm volatile("lidt %0" ::"m"(idtr));
}

}  // namespace pagewalk::guest::arch
