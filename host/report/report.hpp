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
/// `--quiet`: only what failed (with its findings) and the summary line.
std::string failures_report(const std::vector<check::JobResult>& results);
/// One result in full — verdict, file, time, every finding and note, then the backend's own report — for its log.
std::string result_log(const check::JobResult& r);
/// The last line: "N passed, N failed, N skipped".
std::string summary_line(const Totals& t);

/// TAP version 13: one test point per result; skips as "ok … # SKIP reason", known deviations as "not ok … # TODO
/// deviation-id" (expected not to pass: not failures, and no unexpected TODO pass); YAML diagnostics with the
/// findings.
std::string tap_report(const std::vector<check::JobResult>& results);
/// JUnit XML valid against Jenkins xunit's junit-10.xsd: a testsuite per mode (tests, failures, errors, skipped),
/// a testcase per scenario (classname "scenarios.MODE.BACKEND"); a run that did not complete (watchdog, crash) is an
/// <error>, a check that disagreed a <failure>, both with the findings; skips with the reason; known deviations
/// pass with the finding in system-out, which names the scenario file relative to the repository.
std::string junit_report(const std::vector<check::JobResult>& results, double wall_ms);

/// `path` relative to the root of the git checkout it is in (the nearest directory above it holding .git), as
/// CI systems link files; unchanged when it is in none.
std::string repository_relative(const std::string& path);

/// Writes `text` to `path`; false (and a message on stderr) when it cannot.
bool write_text_file(const std::string& path, const std::string& text);

}  // namespace pagewalk::host::report
