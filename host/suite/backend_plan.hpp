// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: which backend runs a scenario × mode — KVM when its probe says it can (mode and features, no
// QEMU CPU tweaks asked for), else QEMU, else SKIP with the reason. Never a silent pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kvm/probe.hpp"
#include "qemu/qemu_backend.hpp"
#include "scenario/scenario.hpp"

namespace pagewalk::host::suite {

/// What the backends can do, probed once per run.
struct BackendCaps {
    std::optional<kvm::KvmCapabilities> kvm;  ///< absent when /dev/kvm cannot be used
    std::string kvm_unavailable;              ///< why
    std::string kvm_version;                  ///< kernel release (uname -r)
    qemu::QemuInfo qemu;
};

/// Probes KVM (if `want_kvm`) and QEMU (if `want_qemu`).
BackendCaps probe_backends(bool want_kvm, bool want_qemu);

/// The decision for one scenario × mode.
struct BackendChoice {
    std::string backend;        ///< "kvm", "qemu", or empty = skip
    std::string reason;         ///< skip: why; else why not the other backend (for verbose output)
    std::uint32_t vouched = 0;  ///< features the KVM probe saw working that CPUID may not report
};

/// Under --backend auto with KVM unusable (no /dev/kvm, permission denied …): one paragraph saying why, how to fix
/// it, and that all `runs` go to QEMU instead. Empty when KVM is usable or was not asked for.
std::string kvm_fallback_notice(const BackendCaps& caps, const std::string& requested, std::size_t runs);

/// Whether KVM can run `mode` with `features`; the reason when not.
bool kvm_supports(const kvm::KvmCapabilities& caps, PagingMode mode, std::uint32_t features, std::string* why);

/// `requested` is "auto", "kvm" or "qemu".
BackendChoice choose_backend(const BackendCaps& caps, const std::string& requested, const scenario::Scenario& s,
                             PagingMode mode, std::uint32_t features);

}  // namespace pagewalk::host::suite
