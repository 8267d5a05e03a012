// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the reports of a scenario run — console (details of what did not pass, a summary table per mode
// and backend, the last line `N passed, N failed, N skipped`), TAP and JUnit XML for CI.
#pragma once

#include <string>
#include <vector>

#include "check/job_result.hpp"

namespace pagewalk::host::report {

/// Totals over all results (known deviations apart).
struct Totals {
    std::size_t passed = 0, failed = 0, skipped = 0, known = 0;
};
Totals totals(const std::vector<check::JobResult>& results);

/// Console report; `verbose` lists every result, not only what did not pass.
std::string console_report(const std::vector<check::JobResult>& results, double wall_ms, bool verbose);
/// The last line: "N passed, N failed, N skipped".
std::string summary_line(const Totals& t);

/// TAP version 13: one test point per result; skips as "# SKIP reason", known deviations as "# TODO known
/// deviation" (not failures, visibly apart); YAML diagnostics with the findings.
std::string tap_report(const std::vector<check::JobResult>& results);
/// JUnit XML: a testsuite per mode, a testcase per scenario (classname "scenarios.MODE.BACKEND"), failures with
/// the findings, skips with the reason, known deviations as passing cases with the finding in system-out.
std::string junit_report(const std::vector<check::JobResult>& results, double wall_ms);

/// Writes `text` to `path`; false (and a message on stderr) when it cannot.
bool write_text_file(const std::string& path, const std::string& text);

}  // namespace pagewalk::host::report
