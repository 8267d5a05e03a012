// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: `pagewalk probe` — the capability table of every backend, as text.
#pragma once

#include <string>

namespace pagewalk::host {

/// Probes KVM (if /dev/kvm opens) and QEMU (presence, version) and formats the table with reasons.
std::string probe_report();

}  // namespace pagewalk::host
