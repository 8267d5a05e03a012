// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: CPU access helpers (control registers, MSRs, CPUID, port I/O, TSC) for -m32 and -m64 code.
//
// Instruction semantics: Intel SDM Vol. 2 (MOV CR, RDMSR/WRMSR, CPUID, IN/OUT, RDTSC, INVLPG). Control registers
// are `uintptr_t`: 32 bits in 32-bit code, 64 in 64-bit code, like the instructions themselves.
#pragma once

#include <cstdint>
#include <pagewalk/cpu.hpp>

namespace pagewalk::guest::arch {

using ureg = std::uintptr_t;

inline ureg read_cr0() {
    ureg v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
inline ureg read_cr2() {
    ureg v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
inline ureg read_cr3() {
    ureg v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
inline ureg read_cr4() {
    ureg v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
inline void write_cr0(ureg v) {
    asm volatile("mov %0, %%cr0" ::"r"(v) : "memory");
}
inline void write_cr3(ureg v) {
    asm volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
inline void write_cr4(ureg v) {
    asm volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

inline std::uint64_t rdmsr(std::uint32_t msr) {
    std::uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
}
inline void wrmsr(std::uint32_t msr, std::uint64_t v) {
    asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<std::uint32_t>(v)), "d"(static_cast<std::uint32_t>(v >> 32))
                 : "memory");
}

using pagewalk::CpuidResult;
inline CpuidResult cpuid(std::uint32_t leaf, std::uint32_t subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}
/// Whether this CPU's CPUID reports feature `b` (the walker's pagewalk::cpuid table); a leaf above the highest one
/// CPUID has (basic or extended) reads as "not supported".
inline bool cpu_has(const pagewalk::cpuid::Bit& b) {
    const std::uint32_t top = cpuid(b.leaf & pagewalk::cpuid::extended_max_leaf).eax;
    return top >= b.leaf && b.has(cpuid(b.leaf, b.subleaf));
}

inline void outb(std::uint16_t port, std::uint8_t v) {
    asm volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
inline void outl(std::uint16_t port, std::uint32_t v) {
    asm volatile("outl %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
inline std::uint8_t inb(std::uint16_t port) {
    std::uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

inline std::uint64_t rdtsc() {
    std::uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

inline void invlpg(const volatile void* p) {
    asm volatile("invlpg (%0)" ::"r"(p) : "memory");
}

/// INVPCID (SDM Vol. 2A): `type` 0–3, the 16-byte descriptor {PCID, linear address}.
inline void invpcid(std::uint64_t type, std::uint64_t pcid, std::uint64_t va) {
    const std::uint64_t descriptor[2] = {pcid, va};
    asm volatile("invpcid %0, %1" ::"m"(descriptor), "r"(static_cast<std::uintptr_t>(type)) : "memory");
}

[[noreturn]] inline void halt_forever() {
    for (;;) asm volatile("cli; hlt");
}

extern "C" {
/// boot/mode_switch.S: leave and re-enter IA-32e mode with new CR3 and CR4 (changes CR4.LA57).
void pw_relaunch_long_mode(std::uint64_t cr3, std::uint64_t cr4);
}

}  // namespace pagewalk::guest::arch
