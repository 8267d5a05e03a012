// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix (without --list-dimensions): plans the jobs of the chosen modes (job_plan.hpp), chooses each mode's
// backends (backend_rows.hpp), runs them (matrix_run.hpp) and reports (matrix_report.hpp): the table, what failed,
// the line `N passed, N failed, N skipped` (one row = one test), TAP and JUnit files. Exit status 0 only when nothing
// failed; with skip_if_unavailable, 77 when no row could run at all.
#pragma once

#include <optional>
#include <pagewalk/mode.hpp>
#include <string>
#include <vector>

#include "backend/kind.hpp"
#include "matrix/job_plan.hpp"
#include "matrix/matrix_run.hpp"

namespace pagewalk::host::matrix {

struct MatrixOptions {
    std::vector<PagingMode> modes;  ///< empty: all four
    PlanOptions plan;
    RunOptions run;
    BackendRequest backend;
    std::string junit, tap;
    bool skip_if_unavailable = false;
    bool calibrate = false;  ///< also measure each backend's bare rates (calibrate.hpp) and compare
    std::string emit_dir;    ///< --emit-scenarios: a scenario file per class of mismatches (emit_scenarios.hpp)
};

int run_matrix(const MatrixOptions& options);

}  // namespace pagewalk::host::matrix
