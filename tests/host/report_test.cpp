// SPDX-License-Identifier: MIT OR Apache-2.0
// The report writers: console summary (the last line), TAP and JUnit XML structure and escaping.
#include "report/report.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace pagewalk::host;

namespace {

check::JobResult job(const std::string& name, pagewalk::PagingMode mode, const std::string& backend, check::Verdict v,
                     const std::string& message = "") {
    check::JobResult r;
    r.scenario = name;
    r.file = "scenarios/" + name + ".toml";
    r.rule = "SDM Vol. 3A §4.7";
    r.mode = mode;
    r.backend = backend;
    r.ms = 12.5;
    r.eval.verdict = v;
    if (v == check::Verdict::skip) r.eval.reason = "KVM lacks 5level paging (#1)";
    if (!message.empty()) {
        check::Finding f;
        f.severity = v == check::Verdict::known_deviation ? check::Finding::Severity::known_deviation
                                                          : check::Finding::Severity::failure;
        f.step = 3;
        f.check = "expectation";
        f.message = message;
        f.detail = "    PTE @0x1000 0x3\n";
        if (v == check::Verdict::known_deviation) f.deviation_id = "qemu-rsvd-without-p";
        r.eval.findings.push_back(f);
        if (v == check::Verdict::fail) r.eval.reason = "step 3: " + message;
    }
    return r;
}

std::vector<check::JobResult> sample() {
    using pagewalk::PagingMode;
    return {job("a", PagingMode::long4, "kvm", check::Verdict::pass),
            job("b<&>", PagingMode::long4, "kvm", check::Verdict::fail, "expected #PF 0x9, got \"ok\""),
            job("c", PagingMode::long5, "-", check::Verdict::skip),
            job("d", PagingMode::long5, "qemu", check::Verdict::known_deviation, "RSVD without P")};
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

TEST(Report, ConsoleEndsWithTheSummaryLine) {
    const std::string out = report::console_report(sample(), 1500, false);
    const std::string last = "1 passed, 1 failed, 1 skipped\n";
    ASSERT_GE(out.size(), last.size());
    EXPECT_EQ(out.substr(out.size() - last.size()), last);
    EXPECT_NE(out.find("1 known backend deviation (counted apart)"), std::string::npos);
    EXPECT_NE(out.find("FAIL  b<&> [4level, kvm]"), std::string::npos);
    EXPECT_NE(out.find("PTE @0x1000"), std::string::npos);  // the entry chain of the failure
    EXPECT_EQ(out.find("  a [4level"), std::string::npos);  // passes are listed only with --verbose
    EXPECT_NE(report::console_report(sample(), 1500, true).find("a [4level, kvm]"), std::string::npos);
    // The table: one row per mode and backend.
    EXPECT_NE(out.find("4level   kvm"), std::string::npos);
    EXPECT_NE(out.find("5level   qemu"), std::string::npos);
    EXPECT_NE(out.find("4 scenario runs (3 run, 1 skipped) in 1.50 s: 2.0 runs per second"), std::string::npos);
}

TEST(Report, ACaptureCheckedAfterwardsHasNoTiming) {
    // `pagewalk iso --serial-log`: nothing was timed, so no "0.0 runs per second".
    const std::string out = report::console_report(sample(), 0, false);
    EXPECT_NE(out.find("4 scenario runs (3 run, 1 skipped); 1 known"), std::string::npos);
    EXPECT_EQ(out.find("runs per second"), std::string::npos);
}

TEST(Report, TapHasOnePointPerResultAndDirectives) {
    const std::string tap = report::tap_report(sample());
    EXPECT_EQ(tap.rfind("TAP version 13\n1..4\n", 0), 0u);
    EXPECT_NE(tap.find("ok 1 - a [4level, kvm]\n"), std::string::npos);
    EXPECT_NE(tap.find("not ok 2 - b<&> [4level, kvm]\n"), std::string::npos);
    EXPECT_NE(tap.find("ok 3 - c [5level, -] # SKIP KVM lacks 5level paging ( 1)\n"), std::string::npos);
    // A known deviation does not pass, expectedly: "ok … # TODO" would be an unexpected TODO pass to prove.
    EXPECT_NE(tap.find("\nnot ok 4 - d [5level, qemu] # TODO qemu-rsvd-without-p\n"), std::string::npos);
    EXPECT_NE(tap.find("  ---\n"), std::string::npos);
    EXPECT_EQ(count(tap, "not ok"), 2u);
}

TEST(Report, JunitCountsAndEscapes) {
    const std::string xml = report::junit_report(sample(), 1500);
    EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
    // junit-10.xsd: no "skipped" on <testsuites>, "errors" required on every <testsuite>.
    EXPECT_NE(xml.find("<testsuites name=\"pagewalk scenarios\" tests=\"4\" failures=\"1\" errors=\"0\" time="),
              std::string::npos);
    EXPECT_NE(xml.find("<testsuite name=\"scenarios.4level\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""),
              std::string::npos);
    EXPECT_NE(xml.find("<testsuite name=\"scenarios.5level\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\""),
              std::string::npos);
    EXPECT_NE(xml.find("<failure type=\"expectation\" message="), std::string::npos);
    EXPECT_EQ(xml.find("<error"), std::string::npos);
    EXPECT_NE(xml.find("name=\"b&lt;&amp;&gt;\""), std::string::npos);
    EXPECT_NE(xml.find("message=\"step 3: expected #PF 0x9, got &quot;ok&quot;\""), std::string::npos);
    EXPECT_NE(xml.find("<skipped message=\"KVM lacks 5level paging (#1)\"/>"), std::string::npos);
    // The file as the repository names it (a relative path is taken from the current directory, as given).
    EXPECT_NE(xml.find("<system-out>file: " + report::repository_relative("scenarios/d.toml") + "\ndeviation (known)"),
              std::string::npos);
    EXPECT_EQ(count(xml, "<testcase "), 4u);
    EXPECT_EQ(count(xml, "</testcase>"), 4u);
}

TEST(Report, JunitCallsARunThatNeverCompletedAnError) {
    auto results = sample();
    check::Finding f;
    f.check = "run";
    f.message = "timeout (watchdog)";
    results[0].eval.findings.push_back(f);
    results[0].eval.run_broke = true;
    results[0].eval.conclude();
    const std::string xml = report::junit_report(results, 1500);
    EXPECT_NE(xml.find("tests=\"4\" failures=\"1\" errors=\"1\""), std::string::npos);
    EXPECT_NE(xml.find("<testsuite name=\"scenarios.4level\" tests=\"2\" failures=\"1\" errors=\"1\""),
              std::string::npos);
    EXPECT_NE(xml.find("<error type=\"run\" message=\"timeout (watchdog)\">FAIL (run): timeout"), std::string::npos);
    EXPECT_EQ(count(xml, "<failure "), 1u);  // b's disagreement stays a failure
}

TEST(Report, FilesAreNamedRelativeToTheirRepository) {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "pagewalk-report-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    const fs::path root = tmpl;
    fs::create_directories(root / "repo" / "scenarios");
    std::ofstream(root / "repo" / ".git") << "gitdir: elsewhere\n";  // a worktree's .git is a file
    std::ofstream(root / "repo" / "scenarios" / "x.toml") << "\n";
    std::ofstream(root / "loose.toml") << "\n";
    EXPECT_EQ(report::repository_relative((root / "repo" / "scenarios" / "x.toml").string()), "scenarios/x.toml");
    EXPECT_EQ(report::repository_relative((root / "repo" / "scenarios" / ".." / "scenarios" / "x.toml").string()),
              "scenarios/x.toml");
    // Outside any checkout: as given.
    EXPECT_EQ(report::repository_relative((root / "loose.toml").string()), (root / "loose.toml").string());
    fs::remove_all(root);
}

TEST(Report, Totals) {
    const auto t = report::totals(sample());
    EXPECT_EQ(t.passed, 1u);
    EXPECT_EQ(t.failed, 1u);
    EXPECT_EQ(t.skipped, 1u);
    EXPECT_EQ(t.known, 1u);
    EXPECT_EQ(report::summary_line(t), "1 passed, 1 failed, 1 skipped");
}
