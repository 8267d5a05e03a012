// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the control registers in QEMU's `info registers` text (the human monitor, through QMP) — the
// vCPU's own state for the live cross-check under QEMU, as KVM_GET_SREGS is under the KVM launcher.
#pragma once

#include <optional>
#include <string>

#include "run/boot_options.hpp"

namespace pagewalk::host::qemu {

/// CR0, CR3, CR4 and EFER from `info registers` of one vCPU ("CR0=80010011 CR2=… CR3=… CR4=…", "EFER=…"); nullopt
/// when one of them is missing or not hexadecimal.
std::optional<LiveRegisters> parse_info_registers(const std::string& text);

/// The part of `info registers` a failure report needs — general registers, RIP/EIP and flags, segments, descriptor
/// tables, control and debug registers, EFER — without the FPU/SSE state, each line indented by four spaces.
std::string register_dump_for_report(const std::string& text);

}  // namespace pagewalk::host::qemu
