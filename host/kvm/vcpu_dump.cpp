// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/vcpu_dump.hpp"

#include <cinttypes>
#include <cstdio>

namespace pagewalk::host::kvm {

std::string bytes_at_rip(const Vcpu& vcpu, const GuestMemory& mem) {
    auto regs = vcpu.regs();
    auto sregs = vcpu.sregs();
    if (!regs || !sregs) return "(registers unavailable)";
    const std::uint64_t linear = sregs->cs.base + regs->rip;
    std::uint64_t pa = linear;
    if ((sregs->cr0 & 0x80000000u) != 0) {
        auto t = vcpu.translate(linear);
        if (!t) return "(RIP not mapped: " + t.error() + ")";
        pa = *t;
    }
    std::uint8_t b[16];
    std::size_t n = 16;
    while (n > 0 && !mem.read(pa, b, n)) --n;
    if (n == 0) return "(RIP outside guest memory)";
    std::string s;
    char h[4];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(h, sizeof h, "%02x ", b[i]);
        s += h;
    }
    if (!s.empty()) s.pop_back();
    return s;
}

std::string dump_vcpu(const Vcpu& vcpu, const GuestMemory& mem) {
    auto regs = vcpu.regs();
    auto sregs = vcpu.sregs();
    if (!regs) return "    " + regs.error() + "\n";
    if (!sregs) return "    " + sregs.error() + "\n";
    const kvm_regs& r = *regs;
    const kvm_sregs& s = *sregs;
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "    rip=%016llx rsp=%016llx rflags=%08llx\n"
                  "    rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
                  "    rsi=%016llx rdi=%016llx rbp=%016llx\n"
                  "    cr0=%08llx cr2=%016llx cr3=%016llx cr4=%08llx efer=%llx\n"
                  "    cs=%04x (dpl %u, %s) ss=%04x gdt=%llx/%x idt=%llx/%x tr=%04x\n",
                  r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, s.cr0, s.cr2, s.cr3, s.cr4,
                  s.efer, s.cs.selector, s.cs.dpl, s.cs.l ? "64-bit" : (s.cs.db ? "32-bit" : "16-bit"), s.ss.selector,
                  s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit, s.tr.selector);
    return std::string(buf) + "    bytes at rip: " + bytes_at_rip(vcpu, mem) + "\n";
}

}  // namespace pagewalk::host::kvm
