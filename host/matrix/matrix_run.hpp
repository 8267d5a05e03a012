// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: running the rows — each row's jobs (its mode's range split into parts) booted on its backend with
// `pw.test=matrix` and the job as the multiboot module, up to `parallel` boots at once, every boot judged by its own
// MatrixChecker; a row's result is the sum of its parts.
#pragma once

#include <cstdint>
#include <pagewalk/harness/matrix/job.hpp>
#include <string>
#include <vector>

#include "check/findings.hpp"
#include "matrix/backend_rows.hpp"
#include "matrix/matrix_checker.hpp"

namespace pagewalk::host::matrix {

struct RunOptions {
    std::string guest_path;
    std::string qemu_cpu = "max";
    unsigned parallel = 1;                      ///< boots at once (--jobs)
    std::optional<double> timeout_s;            ///< per boot; default from the combinations it selects
    std::uint64_t memory_bytes = 256ull << 20;  ///< guest RAM
    bool progress = true;                       ///< the progress line on a terminal (stderr)
};

/// One row's jobs: the parts of its mode's range, with the row's only_needing.
struct RowPlan {
    MatrixRow row;
    std::vector<harness::matrix::Job> jobs;
};

struct RowResult {
    MatrixRow row;
    MatrixTally tally;
    check::Evaluation eval;
    double boot_seconds = 0;  ///< the sum of its boots' wall time (launch to end; the host's checking after not)
    double run_seconds = 0;   ///< of it, from each boot's first record on (the boot itself left out)
    std::string log;          ///< each boot's report when something failed
    /// Every class of mismatches its boots reported with an example (one per boot that saw it), and the guest's CPU.
    std::vector<ClassExample> classes;
    CpuFeatures cpu{};
};

/// The watchdog of a boot that selects `selected` indices: generous, as KVM's emulated ring 0 and QEMU's TCG are slow.
double boot_timeout(std::uint64_t selected);

/// Boots every job of every row; results in the order of `plans`.
std::vector<RowResult> run_rows(const std::vector<RowPlan>& plans, const RunOptions& options);

}  // namespace pagewalk::host::matrix
