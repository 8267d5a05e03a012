// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the vCPU state for each entry path (what a boot loader would leave behind).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <pagewalk/cpu.hpp>

#include "kvm/guest_memory.hpp"
#include "kvm/kvm.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::kvm {

/// General registers at entry.
struct EntryRegisters {
    std::uint64_t rip = 0;
    std::uint64_t rax = 0;
    std::uint64_t rbx = 0;
    std::uint64_t rcx = 0;
    std::uint64_t rsp = 0;
};

/// Flat segments (base 0, limit 4 GiB) as KVM_SET_SREGS wants them (Intel SDM Vol. 3A §3.4.5 descriptor fields).
kvm_segment flat_code_segment(std::uint16_t selector, bool long_mode);
kvm_segment flat_data_segment(std::uint16_t selector);

/// Multiboot machine state (Multiboot 0.6.96 §3.2): CR0.PE = 1, paging off, flat 32-bit CS (0x08) and data
/// (0x10) segments, EFLAGS = 2. `extra_cr0`/`cr3`/`cr4` let a probe start with paging already on.
Status enter_protected_mode32(Vcpu& vcpu, const EntryRegisters& r, std::uint64_t extra_cr0 = 0, std::uint64_t cr3 = 0,
                              std::uint64_t cr4 = 0);

/// Direct IA-32e entry, the state Intel SDM Vol. 3A §9.8.5 produces: the launcher writes a GDT (null, 64-bit code
/// 0x08, data 0x10) and a 4-level identity map of the first `identity_bytes` with 2 MiB pages (at most 4 GiB)
/// into low memory (LowMemory), then sets CR0.PE|PG|WP|NE|ET, CR4.PAE, EFER.LME|LMA (|NXE when `nxe`), CS.L = 1.
Status enter_long_mode64(Vcpu& vcpu, const GuestMemory& mem, const EntryRegisters& r, std::uint64_t identity_bytes,
                         bool nxe = false);

/// Writes the launcher's 4-level identity map (PML4 → PDPT → PDs of 2 MiB pages, present|writable [|user]).
Status write_identity_map(const GuestMemory& mem, std::uint64_t identity_bytes, bool user = false);

}  // namespace pagewalk::host::kvm
