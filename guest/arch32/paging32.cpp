// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, 32-bit world: turning paging on (see paging32.hpp).
#include "arch32/paging32.hpp"

#include "arch/cpu.hpp"

namespace pagewalk::guest::arch32 {

bool has_efer() {
    return arch::cpu_has(cpuid::nx) || arch::cpu_has(cpuid::long_mode);
}

std::uint64_t read_efer() {
    return has_efer() ? arch::rdmsr(msr::efer) : 0;
}

void write_efer(std::uint64_t v) {
    if (has_efer()) arch::wrmsr(msr::efer, v & ~(efer::lme | efer::lma));
}

void enable_paging(const ControlRegisters& r) {
    write_efer(r.efer);
    arch::write_cr4(static_cast<arch::ureg>(r.cr4));
    arch::write_cr3(static_cast<arch::ureg>(r.cr3));
    arch::write_cr0(static_cast<arch::ureg>(r.cr0));  // CR0.PG: paging (and, in PAE, the PDPTE load) starts here
}

void enable_paging_thunk(void* arg) {
    enable_paging(*static_cast<const ControlRegisters*>(arg));
}

}  // namespace pagewalk::guest::arch32
