// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/entry_state.hpp"

#include "kvm/layout.hpp"

namespace pagewalk::host::kvm {

kvm_segment flat_code_segment(std::uint16_t selector, bool long_mode) {
    kvm_segment s{};
    s.base = 0;
    s.limit = 0xffffffff;
    s.selector = selector;
    s.type = 0xb;  // execute/read, accessed
    s.present = 1;
    s.dpl = 0;
    s.db = long_mode ? 0 : 1;  // CS.D must be 0 when CS.L = 1 (SDM Vol. 3A §5.2.1)
    s.s = 1;
    s.l = long_mode ? 1 : 0;
    s.g = 1;
    return s;
}

kvm_segment flat_data_segment(std::uint16_t selector) {
    kvm_segment s{};
    s.base = 0;
    s.limit = 0xffffffff;
    s.selector = selector;
    s.type = 0x3;  // read/write, accessed
    s.present = 1;
    s.db = 1;
    s.s = 1;
    s.g = 1;
    return s;
}

namespace {

void set_common_segments(kvm_sregs& s, bool long_mode) {
    s.cs = flat_code_segment(0x08, long_mode);
    s.ds = s.es = s.fs = s.gs = s.ss = flat_data_segment(0x10);
    // A usable busy 64-bit/32-bit TSS and an unusable LDT keep VM entry's checks happy (SDM Vol. 3C §27.3.1.2).
    s.tr = kvm_segment{};
    s.tr.limit = 0x67;
    s.tr.type = 0xb;
    s.tr.present = 1;
    s.ldt = kvm_segment{};
    s.ldt.type = 0x2;
    s.ldt.unusable = 1;
}

Status set_entry_regs(Vcpu& vcpu, const EntryRegisters& r) {
    kvm_regs regs{};
    regs.rip = r.rip;
    regs.rax = r.rax;
    regs.rbx = r.rbx;
    regs.rcx = r.rcx;
    regs.rsp = r.rsp;
    regs.rflags = 0x2;  // bit 1 is reserved as 1; IF = 0
    return vcpu.set_regs(regs);
}

}  // namespace

Status enter_protected_mode32(Vcpu& vcpu, const EntryRegisters& r, std::uint64_t extra_cr0, std::uint64_t cr3,
                              std::uint64_t cr4) {
    auto sregs = vcpu.sregs();
    if (!sregs) return Error{sregs.error()};
    kvm_sregs s = *sregs;
    set_common_segments(s, false);
    s.gdt = {};
    s.idt = {};
    s.cr0 = cr0::pe | cr0::et | extra_cr0;
    s.cr3 = cr3;
    s.cr4 = cr4;
    s.efer = 0;
    if (auto st = vcpu.set_sregs(s); !st) return st;
    return set_entry_regs(vcpu, r);
}

Status write_identity_map(const GuestMemory& mem, std::uint64_t identity_bytes, bool user) {
    constexpr std::uint64_t k2M = 2ull << 20, k1G = 1ull << 30;
    if (identity_bytes == 0 || identity_bytes > 4 * k1G) return Error{"identity map size must be in (0, 4 GiB]"};
    const std::uint64_t u = user ? 4 : 0;
    const std::uint64_t pds = (identity_bytes + k1G - 1) / k1G;
    if (!mem.fill(LowMemory::pml4, 0, 4096) || !mem.fill(LowMemory::pdpt, 0, 4096) ||
        !mem.fill(LowMemory::pd, 0, pds * 4096))
        return Error{"guest memory too small for the launcher's page tables"};
    // 4-level paging structures: PML4E/PDPTE reference the next table, PDE with PS = 1 maps 2 MiB (SDM Vol. 3A §4.5).
    bool ok = mem.write_value<std::uint64_t>(LowMemory::pml4, LowMemory::pdpt | 3 | u);
    for (std::uint64_t i = 0; i < pds; ++i)
        ok = ok && mem.write_value<std::uint64_t>(LowMemory::pdpt + 8 * i, (LowMemory::pd + 4096 * i) | 3 | u);
    for (std::uint64_t pa = 0; pa < identity_bytes; pa += k2M)
        ok = ok && mem.write_value<std::uint64_t>(LowMemory::pd + 8 * (pa / k2M), pa | 0x83 | u);  // P|RW|PS
    return ok ? ok_status() : Status{Error{"cannot write the launcher's page tables"}};
}

Status enter_long_mode64(Vcpu& vcpu, const GuestMemory& mem, const EntryRegisters& r, std::uint64_t identity_bytes,
                         bool nxe) {
    // GDT: null, 64-bit ring-0 code (L = 1, D = 0), ring-0 data (SDM Vol. 3A §3.4.5, §5.2.1).
    const std::uint64_t gdt[3] = {0, 0x00af9b000000ffffull, 0x00cf93000000ffffull};
    if (!mem.write(LowMemory::gdt, gdt, sizeof gdt)) return Error{"guest memory too small for the launcher GDT"};
    if (auto st = write_identity_map(mem, identity_bytes); !st) return st;
    auto sregs = vcpu.sregs();
    if (!sregs) return Error{sregs.error()};
    kvm_sregs s = *sregs;
    set_common_segments(s, true);
    s.gdt.base = LowMemory::gdt;
    s.gdt.limit = sizeof gdt - 1;
    s.idt = {};
    s.cr0 = cr0::pe | cr0::et | cr0::ne | cr0::wp | cr0::pg;
    s.cr3 = LowMemory::pml4;
    s.cr4 = cr4::pae;
    s.efer = efer::lme | efer::lma | (nxe ? efer::nxe : 0);
    if (auto st = vcpu.set_sregs(s); !st) return st;
    return set_entry_regs(vcpu, r);
}

}  // namespace pagewalk::host::kvm
