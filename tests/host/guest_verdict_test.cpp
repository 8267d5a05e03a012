// SPDX-License-Identifier: MIT OR Apache-2.0
// The cross-check of the guest's own verdicts against the host's (check/guest_verdict.hpp): agreement passes, and
// every way the two can disagree — a failure only one of them saw, a check only the host made, a program_end whose
// counts or verdict do not follow from the records, a missing program_end, a skip the guest did not report — fails
// the run as "guest verdict". (A known deviation is a failure to the guest and that is agreement:
// evaluate_test.cpp, Evaluate.QemuRsvdWithoutPIsAKnownDeviation.)
#include "check/guest_verdict.hpp"

#include <gtest/gtest.h>

#include "check/evaluate.hpp"
#include "check/program_stream.hpp"
#include "compiled_scenario.hpp"
#include "guest_judgement.hpp"

using namespace pagewalk;
using namespace pagewalk::host;
namespace h = pagewalk::harness;
namespace gc = pagewalk::harness::guest_check;

namespace {

const char* const kScenario = R"(rule = "r"
modes = ["4level"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "r"
[[step]]
op = "write"
va = 0x4000_0008
expect = { fault = "PF", error = "P|W" }
)";

struct Compiled : test::CompiledScenario {
    Compiled() : CompiledScenario(kScenario) {}
};

/// The write to the read-only page: predicted #PF 0x3, the CPU raised `observed`; the guest judged `failed`.
RunResult run_with(std::uint64_t observed, std::uint8_t guest_failed) {
    RunResult run;
    run.backend = "qemu";
    run.outcome = Outcome::passed;
    h::RunInfoRecord ri{};
    ri.header.type = static_cast<std::uint16_t>(h::RecordType::run_info);
    ri.mode = 3;
    ri.code_bits = 64;
    EXPECT_TRUE(test::append(run, ri));
    h::AccessRecord a{};
    a.header.type = static_cast<std::uint16_t>(h::RecordType::access);
    a.step = 2;
    a.va = a.cr2 = 0x4000'0008;
    a.width = 8;
    a.kind = static_cast<std::uint8_t>(h::AccessKind::write);
    a.outcome = 1;
    a.vector = 14;
    a.has_error_code = 1;
    a.error_code = observed;
    a.prediction.kind = 1;
    a.prediction.vector = 14;
    a.prediction.error_code = 0x3;
    a.guest = test::access_judgement(guest_failed);
    EXPECT_TRUE(test::append(run, a));
    return run;
}

check::Evaluation evaluate(const Compiled& c, const RunResult& run, const char* version = "Linux 6") {
    return check::evaluate(c.p, run, nullptr, {run.backend, version});
}

bool has(const check::Evaluation& e, const std::string& words) {
    for (const auto& f : e.findings)
        if (f.check == "guest verdict" && f.message.find(words) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST(GuestVerdict, AgreementPasses) {
    const Compiled c;
    RunResult run = run_with(0x3, 0);
    ASSERT_TRUE(test::end_program(run));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::pass) << e.reason;
    EXPECT_TRUE(e.guest_agrees);
    EXPECT_EQ(check::expected_guest_verdict(e), h::ProgramVerdict::passed);
}

TEST(GuestVerdict, AFailureOnlyTheHostSawIsADisagreement) {
    const Compiled c;
    RunResult run = run_with(0x7, 0);  // the CPU said 0x7: expectation and prediction fail — the guest says pass
    ASSERT_TRUE(test::end_program(run));
    const auto e = evaluate(c, run);
    EXPECT_FALSE(e.guest_agrees);
    EXPECT_TRUE(has(e, "the guest found none failing, the host expectation+prediction"));
    EXPECT_TRUE(has(e, "the guest's verdict is PASS, the host's checks say FAIL"));
}

TEST(GuestVerdict, AFailureOnlyTheGuestSawIsADisagreement) {
    const Compiled c;
    RunResult run = run_with(0x3, gc::accessed_dirty);
    ASSERT_TRUE(test::end_program(run));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has(e, "the guest found A/D failing, the host none"));
}

TEST(GuestVerdict, AFailureBothSeeIsAgreement) {
    const Compiled c;
    RunResult run = run_with(0x2, gc::expectation | gc::prediction);  // the CPU left P out of the error code
    ASSERT_TRUE(test::end_program(run));
    auto e = evaluate(c, run, "QEMU emulator version 7.2.22");
    EXPECT_TRUE(e.guest_agrees) << e.reason;
    EXPECT_EQ(e.guest_verdict, static_cast<std::uint8_t>(h::ProgramVerdict::failed));
    EXPECT_EQ(check::expected_guest_verdict(e), h::ProgramVerdict::failed);
}

TEST(GuestVerdict, ChecksTheGuestDidNotMakeAreReported) {
    const Compiled c;
    RunResult run = run_with(0x7, 0);
    h::AccessRecord a = *run.records.back().record.access();
    a.guest = test::judgement(gc::prediction | gc::accessed_dirty, gc::prediction);  // no expectation judged
    run.records.pop_back();
    ASSERT_TRUE(test::append(run, a));
    ASSERT_TRUE(test::end_program(run));
    EXPECT_TRUE(has(evaluate(c, run), "the host found expectation failing, which the guest did not judge"));
}

TEST(GuestVerdict, ProgramEndMustFollowFromTheRecords) {
    const Compiled c;
    RunResult run = run_with(0x3, 0);
    h::ProgramEndRecord end = test::program_end(run.records, 0);
    end.steps_judged = 2;  // one more than the records
    end.steps_passed = 2;
    ASSERT_TRUE(test::append(run, end));
    EXPECT_TRUE(has(evaluate(c, run), "program_end counts (2 judged"));

    RunResult wrong = run_with(0x3, 0);
    ASSERT_TRUE(test::end_program(wrong, 0, static_cast<std::uint8_t>(h::ProgramVerdict::failed)));
    EXPECT_TRUE(has(evaluate(c, wrong), "the guest's verdict is FAIL, the host's checks say PASS"));

    RunResult other = run_with(0x3, 0);
    ASSERT_TRUE(test::end_program(other, 99));
    EXPECT_TRUE(has(evaluate(c, other), "program_end names scenario 99"));
}

TEST(GuestVerdict, AMissingVerdictFailsACompleteRunOnly) {
    const Compiled c;
    RunResult run = run_with(0x3, 0);
    EXPECT_TRUE(has(evaluate(c, run), "no program_end record"));
    run.outcome = Outcome::timeout;  // the stream was cut: the run fails for that, not for the missing verdict
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_FALSE(has(e, "no program_end record"));
}

TEST(GuestVerdict, ASkipTheGuestDidNotReportFails) {
    const Compiled c;
    RunResult run;
    run.backend = "qemu";
    run.outcome = Outcome::passed;
    h::StepFailedRecord sf{};
    sf.header.type = static_cast<std::uint16_t>(h::RecordType::step_failed);
    sf.reason = static_cast<std::uint8_t>(h::StepFailure::cpu_mismatch);
    sf.detail = h::feature::page1gb;
    ASSERT_TRUE(test::append(run, sf));
    RunResult agreeing = run;
    ASSERT_TRUE(test::end_program(agreeing, 0, static_cast<std::uint8_t>(h::ProgramVerdict::skipped)));
    auto e = evaluate(c, agreeing);
    EXPECT_EQ(e.verdict, check::Verdict::skip);
    EXPECT_NE(e.reason.find("page1gb, which the rule needs absent"), std::string::npos);
    ASSERT_TRUE(test::end_program(run, 0, static_cast<std::uint8_t>(h::ProgramVerdict::passed)));
    e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has(e, "the guest's verdict is PASS, the host's checks say SKIP"));
}

TEST(ProgramStream, ABootsRecordsSplitIntoItsPrograms) {
    RunResult run;
    run.outcome = Outcome::guest_failed;
    auto begin = [&](std::uint32_t index, std::uint32_t id) {
        h::ProgramBeginRecord b{};
        b.header.type = static_cast<std::uint16_t>(h::RecordType::program_begin);
        b.module_index = index;
        b.module_count = 3;
        b.scenario_id = id;
        b.mode = 3;
        b.code_bits = 64;
        return test::append(run, b);
    };
    h::ProgramEndRecord end{};
    end.header.type = static_cast<std::uint16_t>(h::RecordType::program_end);
    end.verdict = 1;
    end.code_bits = 64;
    ASSERT_TRUE(begin(0, 7));
    ASSERT_TRUE(test::append(run, end));
    ASSERT_TRUE(begin(1, 8));  // no end: the guest stopped in it
    ASSERT_TRUE(begin(2, 9));
    ASSERT_TRUE(test::append(run, end));
    const auto slices = check::split_programs(run);
    ASSERT_EQ(slices.size(), 3u);
    EXPECT_EQ(slices[0].begin.scenario_id, 7u);
    EXPECT_TRUE(slices[0].ended);
    EXPECT_EQ(slices[0].records.size(), 2u);
    EXPECT_FALSE(slices[1].ended);
    EXPECT_EQ(check::program_run(run, slices[1]).outcome, Outcome::early_stop);
    EXPECT_EQ(check::program_run(run, slices[2]).outcome, Outcome::passed);
}
