// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: the reports of a matrix run — a table with a row per mode × backend (combinations run, agreed, the
// mismatches each known deviation explains, the mismatches nothing explains, checks per second of boot time), the
// failures in full, and the rows as results the CI writers take (report/report.hpp: TAP, JUnit, the summary line).
#pragma once

#include <string>
#include <vector>

#include "check/job_result.hpp"
#include "matrix/matrix_run.hpp"

namespace pagewalk::host::matrix {

/// The table, one line per row.
std::string results_table(const std::vector<RowResult>& rows);
/// What did not pass (failures, skips with their reason), with each failing boot's report.
std::string failures_text(const std::vector<RowResult>& rows);
/// Each row as one test result (scenario "matrix", its mode and backend).
std::vector<check::JobResult> as_job_results(const std::vector<RowResult>& rows);

}  // namespace pagewalk::host::matrix
