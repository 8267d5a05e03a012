// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what this KVM is and can do, in the terms of the backend interface (backend/backend.hpp): the
// kernel release reports name, whether a boot can run here, and the probe table of `pagewalk probe`.
#pragma once

#include <optional>
#include <pagewalk/mode.hpp>
#include <string>

#include "run/boot_options.hpp"

namespace pagewalk::host::kvm {

/// The kernel that provides KVM, e.g. "Linux 6.1.0-18-amd64" (uname); "" when uname fails.
std::string kernel_version();

/// Why this KVM cannot boot with `entry` (and, when given, run `protected_paging` — 32-bit or PAE paging — from the
/// 32-bit entry); "" when it can.
std::string boot_unavailable(EntryChoice entry, std::optional<PagingMode> protected_paging);

/// KVM's section of `pagewalk probe`: vendor, MAXPHYADDR, the capability rows with their reasons, the entry path;
/// or why /dev/kvm cannot be used.
std::string capability_report();

}  // namespace pagewalk::host::kvm
