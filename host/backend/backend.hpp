// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the backends behind one interface. suite/, iso/ and the commands boot, probe and report through
// these functions with a BackendKind; only backend.cpp knows that kvm/ and qemu/ exist.
#pragma once

#include <optional>
#include <pagewalk/mode.hpp>
#include <string>

#include "backend/kind.hpp"
#include "run/boot_options.hpp"
#include "run/run_result.hpp"

namespace pagewalk::host::backend {

/// Whether a backend can start here at all — cheap, no probe VMs — and the version reports give it.
struct BackendStatus {
    std::string unavailable;  ///< why it cannot run here ("" when it can)
    std::string version;      ///< QEMU's --version line; for KVM the kernel ("Linux 6.1.0")
    [[nodiscard]] bool available() const { return unavailable.empty(); }
};
BackendStatus status(BackendKind kind);

/// Boots the guest once on `kind`. Never throws; never runs past options.timeout_s.
RunResult boot(BackendKind kind, const BootOptions& options);

/// Why `kind` cannot make this boot here ("" when it can): the backend missing, or what the boot needs that it
/// lacks (KVM: the forced 32-bit entry; `protected_paging`, 32-bit or PAE paging from the 32-bit entry).
std::string boot_unavailable(BackendKind kind, const BootOptions& options, std::optional<PagingMode> protected_paging);

/// `pagewalk probe`: each backend's name and what it reports about itself (KVM: the probe table; QEMU: its
/// version), in BackendKind order.
std::string probe_report();

}  // namespace pagewalk::host::backend
