// SPDX-License-Identifier: MIT OR Apache-2.0
// A boot of the ISO's matrix entries checked from its records and COM1 lines alone (host/iso/matrix_capture.hpp), on
// synthetic record streams: an honest job passes with `pagewalk matrix`'s table and closing line; two jobs in one boot
// (the every-mode entry) are a row each; a stream cut inside a job fails it with the last record, and a job the boot
// announced but never began fails too; a guest line that is not the host's verdict fails; a boot with a program is
// not a matrix boot.
#include <gtest/gtest.h>

#include <pagewalk/harness/matrix/matrix.hpp>

#include "iso/matrix_capture.hpp"
#include "matrix/job_plan.hpp"
#include "matrix_stream.hpp"

namespace pagewalk::test {
namespace {

using host::iso::check_matrix_boot;
using host::iso::IsoPlan;

const host::check::BackendInfo kSerial{"serial", "a physical machine or any other"};

CpuFeatures test_cpu() {
    CpuFeatures c;
    c.maxphyaddr = 46;
    c.vendor = Vendor::intel;
    return c;
}

/// Two control states of `mode`, every 997th index, one agreement in 3 reported.
hm::Job small_job(PagingMode mode) {
    const std::uint64_t block = hm::Matrix(mode, hm::Space::standard).block().size;
    return make_job(mode, block * 2, block * 4, 997, 3);
}

IsoPlan plan_of(const std::vector<hm::Job>& jobs) {
    IsoPlan plan;
    for (const hm::Job& j : jobs) {
        host::iso::IsoMatrixJob ij;
        ij.mode = static_cast<PagingMode>(j.mode);
        ij.job = j;
        ij.bytes = host::matrix::job_bytes(j);
        plan.matrix_jobs.push_back(ij);
    }
    return plan;
}

/// The boot of `jobs` by an honest guest: its records and lines, as the ISO's matrix entry sends them.
host::RunResult boot_of(const std::vector<hm::Job>& jobs) {
    host::RunResult run;
    run.outcome = host::Outcome::passed;
    run.console = "pagewalk: x86 paging checks, " + std::to_string(jobs.size()) + " programs\n";
    for (const hm::Job& j : jobs) {
        const host::RunResult one = honest_run(j, test_cpu()).result();
        run.records.insert(run.records.end(), one.records.begin(), one.records.end());
        run.console += std::string("access matrix, ") + to_string(static_cast<PagingMode>(j.mode)) + ": PASS\n";
    }
    run.console += "pagewalk: " + std::to_string(jobs.size()) + " passed, 0 failed, 0 skipped (" +
                   std::to_string(jobs.size()) + " programs)\n";
    return run;
}

host::iso::IsoCheckResult check(const IsoPlan& plan, const host::RunResult& run) {
    return check_matrix_boot(plan, run, kSerial, "test", false, {});
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(IsoMatrixCapture, AnHonestJobPassesWithTheMatrixTableAndClosingLine) {
    const std::vector<hm::Job> jobs{small_job(PagingMode::legacy32)};
    const host::RunResult run = boot_of(jobs);
    ASSERT_TRUE(host::iso::is_matrix_boot(run));
    const auto r = check(plan_of(jobs), run);
    EXPECT_TRUE(r.ok()) << r.report;
    EXPECT_NE(r.report.find("\n32bit   serial"), std::string::npos) << r.report;
    EXPECT_NE(r.report.find("guest lines: 1 of 1 jobs"), std::string::npos) << r.report;
    EXPECT_TRUE(ends_with(r.report, "\n1 passed, 0 failed, 0 skipped\n")) << r.report;
}

TEST(IsoMatrixCapture, EveryModeEntryIsARowPerJob) {
    const std::vector<hm::Job> jobs{small_job(PagingMode::legacy32), small_job(PagingMode::long4)};
    const auto r = check(plan_of(jobs), boot_of(jobs));
    EXPECT_TRUE(r.ok()) << r.report;
    EXPECT_NE(r.report.find("\n32bit   serial"), std::string::npos) << r.report;
    EXPECT_NE(r.report.find("\n4level  serial"), std::string::npos) << r.report;
    EXPECT_TRUE(ends_with(r.report, "\n2 passed, 0 failed, 0 skipped\n")) << r.report;
}

TEST(IsoMatrixCapture, ACaptureCutInsideAJobFailsItWithTheLastRecordAndTheUnstartedOnes) {
    const std::vector<hm::Job> jobs{small_job(PagingMode::legacy32), small_job(PagingMode::long4)};
    host::RunResult run = boot_of(jobs);
    // Cut in the first job, after its first block record; the boot announced two jobs.
    std::size_t cut = 0;
    while (run.records[cut].record.matrix_block() == nullptr) ++cut;
    run.records.resize(cut + 1);
    run.outcome = host::Outcome::early_stop;
    run.detail = "the guest stopped";
    run.console = "pagewalk: x86 paging checks, 2 programs\n";
    const auto r = check(plan_of(jobs), run);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.report.find("the capture ends inside the job, its last record: #"), std::string::npos) << r.report;
    EXPECT_NE(r.report.find("the job did not run: the capture ends before its matrix_begin"), std::string::npos)
        << r.report;
    EXPECT_TRUE(ends_with(r.report, "\n0 passed, 2 failed, 0 skipped\n")) << r.report;
}

TEST(IsoMatrixCapture, AGuestLineThatIsNotTheHostsVerdictFails) {
    const std::vector<hm::Job> jobs{small_job(PagingMode::legacy32)};
    host::RunResult run = boot_of(jobs);
    const std::size_t at = run.console.find(": PASS");
    run.console.replace(at, 6, ": FAIL");
    const auto r = check(plan_of(jobs), run);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.report.find("the guest's line is \"access matrix, 32bit: FAIL\", the host's checks expect "
                            "\"access matrix, 32bit: PASS\""),
              std::string::npos)
        << r.report;
}

TEST(IsoMatrixCapture, AJobTheIsoDoesNotHoldIsAProblemOfTheBoot) {
    const auto r = check(plan_of({small_job(PagingMode::pae)}), boot_of({small_job(PagingMode::legacy32)}));
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.report.find("ISO PROBLEM: matrix job 1 (32bit) is not one of the ISO's"), std::string::npos)
        << r.report;
}

TEST(IsoMatrixCapture, AProgramBootIsNotAMatrixBoot) {
    host::RunResult run = boot_of({small_job(PagingMode::legacy32)});
    ASSERT_TRUE(host::iso::is_matrix_boot(run));
    harness::ProgramBeginRecord b{};
    b.header = harness::make_header(harness::RecordType::program_begin, sizeof b);
    b.module_count = 1;
    b.mode = static_cast<std::uint8_t>(PagingMode::long4);
    b.code_bits = 64;
    run.records.push_back({SyntheticRun::decoded(b), 0});
    EXPECT_FALSE(host::iso::is_matrix_boot(run));
    EXPECT_FALSE(host::iso::is_matrix_boot(host::RunResult{}));
}

}  // namespace
}  // namespace pagewalk::test
