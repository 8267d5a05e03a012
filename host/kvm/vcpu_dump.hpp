// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: a readable dump of a stopped vCPU (registers, control registers, bytes at RIP).
#pragma once

#include <string>

#include "kvm/kvm.hpp"

namespace pagewalk::host::kvm {

/// Registers (KVM_GET_REGS/SREGS) and the instruction bytes at RIP (through KVM_TRANSLATE, bounds-checked).
std::string dump_vcpu(const Vcpu& vcpu, const GuestMemory& mem);
/// Up to 16 bytes at the vCPU's RIP as hex, or why they cannot be read.
std::string bytes_at_rip(const Vcpu& vcpu, const GuestMemory& mem);

}  // namespace pagewalk::host::kvm
