// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: a boot of the ISO's access-matrix entries checked from COM1 alone (a capture from a physical machine,
// or QEMU's serial under `iso --check`). The boot's records are split into its matrix jobs (one per module; each ends
// with its matrix_end record), each job is judged by the MatrixChecker `pagewalk matrix` judges a live boot with —
// every block's counts recomputed from the job, every case walked again by the host's walker from the entries its
// access record carries, the classes and the totals — the guest's `access matrix, MODE: PASS|FAIL` line and summary
// are held to the host's verdicts, and the report ends as `pagewalk matrix`'s: what failed, the table, the line
// `N passed, N failed, N skipped`. A capture that stops inside a job fails that job with the last record seen.
#pragma once

#include <string>
#include <vector>

#include "check/evaluate.hpp"
#include "iso/iso_check.hpp"
#include "iso/iso_plan.hpp"
#include "run/run_result.hpp"

namespace pagewalk::host::iso {

/// Whether `run` is a boot of the matrix entries: it holds matrix records and no program_begin record.
bool is_matrix_boot(const RunResult& run);

/// Checks a boot of `plan`'s matrix entries. `backend` is where it ran (its known deviations apply; a capture from a
/// physical machine has none); `stream_problems` are the capture's own (a line that breaks the stream …).
IsoCheckResult check_matrix_boot(const IsoPlan& plan, const RunResult& run, const check::BackendInfo& backend,
                                 const std::string& title, bool verbose, std::vector<std::string> stream_problems);

}  // namespace pagewalk::host::iso
