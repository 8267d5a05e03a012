// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: which backend runs each mode's jobs — one row per mode × backend, each a test of its own. Under
// --backend auto, KVM runs the modes its probe says it can; the combinations that need a CPU feature KVM's guest does
// not get (its CPUID lacks it, or the probe saw it fail: 1 GiB pages, PKU, … on kvm_pvm) run again on QEMU over the
// same range (Job::only_needing), so that every combination runs somewhere; the modes KVM cannot run go to QEMU
// whole. A backend that cannot run a row makes it a SKIP with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <pagewalk/mode.hpp>
#include <string>
#include <vector>

#include "backend/kind.hpp"
#include "suite/backend_plan.hpp"

namespace pagewalk::host::matrix {

struct MatrixRow {
    PagingMode mode = PagingMode::long4;
    std::optional<BackendKind> backend;  ///< nullopt: the row is skipped
    std::string skip_reason;
    std::uint32_t only_needing = 0;  ///< Job::only_needing of its jobs (0: every combination)
    std::string version;             ///< the backend's version (the deviation list matches on it)
    std::string where;               ///< a row from elsewhere (a COM1 capture: "serial"): the table's backend column
};

/// The harness::feature bits of the matrix's features that KVM's guest lacks: its CPUID (KVM_GET_SUPPORTED_CPUID)
/// does not report them, or the probe VM saw them fail.
std::uint32_t kvm_missing_features(const kvm::KvmCapabilities& caps);

/// "1 GiB pages, PKU" for feature bits.
std::string feature_list(std::uint32_t features);

/// The rows of `mode` under `request` with the probed backends.
std::vector<MatrixRow> plan_rows(const suite::BackendCaps& caps, const BackendRequest& request, PagingMode mode);

/// "matrix" or "matrix (needing SMEP, PKU)": the row's name in reports.
std::string row_name(const MatrixRow& row);

}  // namespace pagewalk::host::matrix
