// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the KVM backend — boot the guest image in a fresh VM and collect its records.
#pragma once

#include "run/boot_options.hpp"
#include "run/run_result.hpp"

namespace pagewalk::host::kvm {

/// Creates a VM, loads the ELF and module, picks the entry path (probe or forced), runs the vCPU under a
/// watchdog, and turns every way the run can end into a RunResult. Never throws; never hangs past the timeout.
RunResult boot_kvm(const BootOptions& options);

}  // namespace pagewalk::host::kvm
