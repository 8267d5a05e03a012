// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: which backend runs a scenario × mode — KVM when its probe says it can (mode and features, no
// QEMU CPU tweaks asked for), else QEMU, else SKIP with the reason. Never a silent pass.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "kvm/probe.hpp"
#include "scenario/scenario.hpp"

namespace pagewalk::host::suite {

/// What the backends can do, probed once per run.
struct BackendCaps {
    /// Per BackendKind: whether it can start here (a backend not requested: "not requested") and its version.
    std::array<backend::BackendStatus, kAllBackends.size()> status;
    std::optional<kvm::KvmCapabilities> kvm;  ///< KVM's probe table; absent when /dev/kvm cannot be used

    [[nodiscard]] const backend::BackendStatus& of(BackendKind kind) const {
        return status[static_cast<std::size_t>(kind)];
    }
};

/// Probes the backends `request` allows.
BackendCaps probe_backends(const BackendRequest& request);

/// The decision for one scenario × mode.
struct BackendChoice {
    std::optional<BackendKind> backend;  ///< nullopt = skip
    std::string reason;                  ///< skip: why; else why not the other backend (for verbose output)
    std::uint32_t vouched = 0;           ///< features the KVM probe saw working that CPUID may not report
};

/// Under --backend auto with KVM unusable (no /dev/kvm, permission denied …): one paragraph saying why, how to fix
/// it, and that all `runs` go to QEMU instead. Empty when KVM is usable or was not asked for.
std::string kvm_fallback_notice(const BackendCaps& caps, const BackendRequest& requested, std::size_t runs);

/// Whether KVM can run `mode` with `features`; the reason when not.
bool kvm_supports(const kvm::KvmCapabilities& caps, PagingMode mode, std::uint32_t features, std::string* why);

BackendChoice choose_backend(const BackendCaps& caps, const BackendRequest& requested, const scenario::Scenario& s,
                             PagingMode mode, std::uint32_t features);

}  // namespace pagewalk::host::suite
