// SPDX-License-Identifier: MIT OR Apache-2.0
// The guest's human lines (guest/runner/program_report.hpp) read back by the host's parser (host/iso/
// guest_lines.hpp): what the guest writes for each verdict is what the ISO check understands; the screen form fits
// 80 columns; the summary line is the one the host predicts from the same counts. Also the guest's step counting
// (guest/runner/verdict.hpp).
#include <gtest/gtest.h>

#include "iso/guest_lines.hpp"
#include "runner/program_report.hpp"
#include "runner/verdict.hpp"

using namespace pagewalk;
namespace h = pagewalk::harness;
namespace iso = pagewalk::host::iso;
using guest::Text;
using guest::runner::ProgramOutcome;

namespace {

h::GuestJudgement judgement(std::uint8_t judged, std::uint8_t failed) {
    h::GuestJudgement j{};
    j.judged = judged;
    j.failed = failed;
    return j;
}

std::string line(std::uint32_t index, std::uint32_t total, std::uint8_t mode, const char* name, const ProgramOutcome& o,
                 bool screen = false) {
    Text t;
    guest::runner::program_line(t, index, total, mode, name, o, screen);
    return t.c_str();
}

}  // namespace

TEST(GuestVerdictCounts, StepsAreCountedOncePerStepAndTheFirstFailureIsKept) {
    ProgramOutcome o;
    o.judge_step(1, judgement(0, 0));  // a map step: nothing judged, not counted
    o.judge_step(2, judgement(7, 0));
    o.judge_step(3, judgement(7, 2));
    o.judge_step(5, judgement(1, 1));
    EXPECT_EQ(o.steps_judged, 3u);
    EXPECT_EQ(o.steps_passed, 1u);
    EXPECT_EQ(o.steps_failed, 2u);
    EXPECT_EQ(o.first_failed_step, 3u);
    EXPECT_EQ(o.failed_checks, 3);
    EXPECT_EQ(o.verdict(), h::ProgramVerdict::failed);
    EXPECT_EQ(o.status(), h::ExitStatus::check_failed);
    ProgramOutcome skipped;
    skipped.stop(h::StepFailure::feature_missing, 0, 0, 0, h::feature::la57);
    skipped.stop(h::StepFailure::mapper_error, 0, 3, 0, 0);  // the first reason counts
    EXPECT_EQ(skipped.verdict(), h::ProgramVerdict::skipped);
    EXPECT_EQ(skipped.status(), h::ExitStatus::ok);
    ProgramOutcome error;
    error.stop(h::StepFailure::mapper_error, 0, 3, 0x4000'0000, 0);
    EXPECT_EQ(error.verdict(), h::ProgramVerdict::error);
}

TEST(GuestLines, EveryVerdictParsesBack) {
    ProgramOutcome pass;
    pass.judge_step(2, judgement(7, 0));
    ProgramOutcome fail;
    fail.judge_step(4, judgement(7, 3));
    ProgramOutcome skip;
    skip.stop(h::StepFailure::cpu_mismatch, 1, 0, 36, 40);
    ProgramOutcome error;
    error.stop(h::StepFailure::mapper_error, 0, 3, 0, 0);
    struct Case {
        const ProgramOutcome* o;
        const char* verdict;
        const char* detail;
    } const cases[] = {{&pass, "PASS", "1 steps checked"},
                       {&fail, "FAIL", "step 4 failed (expectation+prediction), 1 of 1 steps"},
                       {&skip, "SKIP", "MAXPHYADDR is 40, the steps assume 36"},
                       {&error, "ERROR", "step 3: the mapper refused"}};
    std::string console = "\x1b[H noise from GRUB\n";
    for (const Case& c : cases) console += line(7, 233, 4, "reserved-bit-maxphyaddr-36", *c.o) + "\n";
    const auto lines = iso::parse_program_lines(console);
    ASSERT_EQ(lines.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(lines[i].index, 7u);
        EXPECT_EQ(lines[i].total, 233u);
        EXPECT_EQ(lines[i].verdict, cases[i].verdict);
        EXPECT_EQ(lines[i].mode, "5level");
        EXPECT_EQ(lines[i].name, "reserved-bit-maxphyaddr-36");
        EXPECT_EQ(lines[i].detail, cases[i].detail);
    }
}

TEST(GuestLines, LongNamesAreCutAtTheColumnWidth) {
    ProgramOutcome pass;
    const std::string name(60, 'n');
    const auto lines = iso::parse_program_lines(line(1, 1, 1, name.c_str(), pass) + "\n");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].name, name.substr(0, iso::kNameWidth));
}

TEST(GuestLines, TheScreenFormFits80Columns) {
    ProgramOutcome fail;
    fail.judge_step(4095, judgement(7, 7));
    ProgramOutcome skip;
    skip.stop(h::StepFailure::feature_missing, 0, 0, 0, h::feature::smep | h::feature::smap | h::feature::pku);
    const std::string name(60, 'n');
    for (const ProgramOutcome* o : {&fail, &skip}) {
        const std::string s = line(233, 233, 2, name.c_str(), *o, true);
        EXPECT_LE(s.size(), 80u) << s;
        EXPECT_EQ(s.rfind("[233/233] ", 0), 0u) << s;
    }
    EXPECT_NE(line(1, 1, 2, "x", fail, true).find("step 4095: exp+pred+A/D"), std::string::npos);
}

TEST(GuestLines, SummaryLineIsTheOneTheHostPredicts) {
    guest::RunTally tally{};
    tally.done = 233;
    tally.passed = 187;
    tally.failed = 30;
    tally.errors = 8;
    tally.skipped = 8;
    Text t;
    guest::runner::summary_line(t, tally);
    EXPECT_EQ(std::string(t.c_str()), iso::summary_line(187, 38, 8, 233));
    EXPECT_EQ(iso::find_summary_line("x\n" + std::string(t.c_str()) + "\r\nmore\n"), std::string(t.c_str()));
    EXPECT_FALSE(iso::find_summary_line("pagewalk: something else\n"));
}
