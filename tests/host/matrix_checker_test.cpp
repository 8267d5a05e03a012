// SPDX-License-Identifier: MIT OR Apache-2.0
// The host's judgement of a matrix boot (host/matrix/matrix_checker.hpp): an honest stream passes; a wrong entry, a
// wrong guest prediction, a skipped combination, an unexplained mismatch and a guest verdict that differs each fail;
// a mismatch with the exact evidence of a known deviation is counted under its id.
#include "matrix/matrix_checker.hpp"

#include <gtest/gtest.h>

#include <pagewalk/harness/matrix/matrix.hpp>

#include "matrix_stream.hpp"

namespace pagewalk::test {
namespace {

using host::matrix::MatrixChecker;
namespace mm = hm::mismatch;

CpuFeatures test_cpu() {
    CpuFeatures c;
    c.maxphyaddr = 46;
    c.vendor = Vendor::intel;
    return c;
}

const host::check::BackendInfo kKvm{"kvm", "Linux 6.1.0"};
const host::check::BackendInfo kQemu{"qemu", "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u16)"};

/// Two control states of 4-level paging, every 997th index, one agreement in 3 reported.
hm::Job long4_job() {
    const std::uint64_t block = hm::Matrix(PagingMode::long4, hm::Space::standard).block().size;
    return make_job(PagingMode::long4, block * 100, block * 102, 997, 3);
}

host::check::Evaluation judge(const hm::Job& job, const SyntheticRun& run,
                              const host::check::BackendInfo& backend = kKvm,
                              host::matrix::MatrixTally* tally = nullptr) {
    MatrixChecker checker(job, backend);
    const host::RunResult result = run.result();
    for (const host::ReceivedRecord& r : result.records) checker.add(r.record);
    checker.finish(result);
    if (tally != nullptr) *tally = checker.tally();
    return checker.evaluation();
}

std::string findings(const host::check::Evaluation& e) {
    std::string s;
    for (const auto& f : e.findings) s += f.check + ": " + f.message + "\n";
    return s;
}

/// The first case whose predicted outcome is `kind` (0 ok, 1 #PF, 2 #GP).
SyntheticCase* first_case(SyntheticRun& run, std::uint8_t kind, SyntheticBlock** block = nullptr) {
    for (SyntheticBlock& b : run.blocks)
        for (SyntheticCase& c : b.cases)
            if (c.a.prediction.kind == kind) {
                if (block != nullptr) *block = &b;
                return &c;
            }
    return nullptr;
}

/// The first reported reserved-bit #PF whose block counts at least `agreements` agreements of that class.
SyntheticCase* first_reserved_case(SyntheticRun& run, SyntheticBlock*& block, std::uint32_t agreements = 1) {
    constexpr auto cls = static_cast<std::uint8_t>(hm::OutcomeClass::reserved_bit);
    for (SyntheticBlock& b : run.blocks)
        for (SyntheticCase& c : b.cases)
            if (c.c.outcome_class == cls && b.b.by_class[cls] >= agreements) {
                block = &b;
                return &c;
            }
    return nullptr;
}

/// Turns a reported agreement into a mismatch with `bits`, the counts as the guest would then send them.
void make_mismatch(SyntheticRun& run, SyntheticBlock& b, SyntheticCase& c, std::uint8_t bits) {
    c.c.mismatch = bits;
    --b.b.agreed;
    ++b.b.mismatched;
    --b.b.by_class[c.c.outcome_class];
    --run.end.agreed;
    ++run.end.mismatched;
}

TEST(MatrixChecker, HonestRunPasses) {
    const hm::Job job = long4_job();
    const SyntheticRun run = honest_run(job, test_cpu());
    host::matrix::MatrixTally t;
    const auto e = judge(job, run, kKvm, &t);
    EXPECT_EQ(e.verdict, host::check::Verdict::pass) << findings(e);
    EXPECT_GT(t.run, 50u);
    EXPECT_GT(t.samples_verified, 10u);
    EXPECT_EQ(t.samples_verified, t.cases);
    EXPECT_EQ(t.run + t.illegal + t.inapplicable + t.elsewhere, hm::selected(job));
    ASSERT_NE(first_case(const_cast<SyntheticRun&>(run), 0), nullptr);
    ASSERT_NE(first_case(const_cast<SyntheticRun&>(run), 1), nullptr);
}

TEST(MatrixChecker, HonestPaeAndLegacyRunsPass) {
    for (PagingMode mode : {PagingMode::pae, PagingMode::legacy32}) {
        const hm::Matrix m(mode, hm::Space::standard);
        const hm::Job job = make_job(mode, 0, m.count(), m.count() / 3000 + 1, 2);
        const auto e = judge(job, honest_run(job, test_cpu()));
        EXPECT_EQ(e.verdict, host::check::Verdict::pass) << to_string(mode) << "\n" << findings(e);
    }
}

TEST(MatrixChecker, AWrongEntryFails) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticCase* c = first_case(run, 0);
    ASSERT_NE(c, nullptr);
    c->a.chain_before[0] ^= entry_bit::user;  // the guest wrote (or reports) another entry than the combination's
    c->a.chain_after[0] ^= entry_bit::user;
    const auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(e).find("is not the combination's"), std::string::npos) << findings(e);
}

TEST(MatrixChecker, AWrongGuestPredictionFails) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticCase* c = first_case(run, 1);
    ASSERT_NE(c, nullptr);
    c->a.prediction.error_code ^= pf::w;  // the guest's walker and the CPU agree with each other, not with the SDM
    c->a.error_code ^= pf::w;
    const auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(e).find("the guest walker disagrees (error code)"), std::string::npos) << findings(e);
}

TEST(MatrixChecker, ASkippedCombinationFails) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticBlock& b = run.blocks.back();
    ASSERT_GT(b.b.agreed, 0u);
    --b.b.run;  // one combination not run, its class's count and the totals consistent with that
    --b.b.agreed;
    for (auto& n : b.b.by_class)
        if (n > 0) {
            --n;
            break;
        }
    --run.end.run;
    --run.end.agreed;
    const auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(e).find("run: the guest counts"), std::string::npos) << findings(e);
}

TEST(MatrixChecker, AMissingBlockFails) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    const SyntheticBlock dropped = run.blocks.back();
    run.blocks.pop_back();
    run.end.run -= dropped.b.run;
    run.end.agreed -= dropped.b.agreed;
    run.end.illegal -= dropped.b.illegal;
    run.end.inapplicable -= dropped.b.inapplicable;
    run.end.cases_sent -= static_cast<std::uint32_t>(dropped.cases.size());
    const auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(e).find("selected indices in the blocks"), std::string::npos) << findings(e);
}

TEST(MatrixChecker, AnUnexplainedMismatchFails) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticBlock* b = nullptr;
    SyntheticCase* c = first_case(run, 1, &b);
    ASSERT_NE(c, nullptr);
    c->a.error_code ^= pf::u;  // the CPU raised another #PF than predicted; the guest says so
    make_mismatch(run, *b, *c, mm::error_code);
    host::matrix::MatrixTally t;
    const auto e = judge(job, run, kQemu, &t);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_EQ(t.unexplained, 1u);
    EXPECT_NE(findings(e).find("error code/CR2 — the host predicted"), std::string::npos) << findings(e);
}

TEST(MatrixChecker, AGuestVerdictThatDiffersFails) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticCase* c = first_case(run, 0);
    ASSERT_NE(c, nullptr);
    c->a.chain_after[0] &= ~std::uint64_t{entry_bit::accessed};  // the CPU left A clear; the guest calls it agreement
    c->a.chain_before[0] &= ~std::uint64_t{entry_bit::accessed};
    const auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(e).find("the guest judged an agreement, the host A/D"), std::string::npos) << findings(e);
}

/// A reserved-bit #PF whose error code lacks P: QEMU 7.2's known deviation, counted under its id on QEMU and a failure
/// on KVM.
TEST(MatrixChecker, AKnownDeviationIsCountedByItsEvidence) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticBlock* block = nullptr;
    SyntheticCase* rsvd = first_reserved_case(run, block);
    ASSERT_NE(rsvd, nullptr);
    rsvd->a.error_code &= ~std::uint64_t{pf::p};
    make_mismatch(run, *block, *rsvd, mm::error_code);
    host::matrix::MatrixTally t;
    const auto on_qemu = judge(job, run, kQemu, &t);
    EXPECT_EQ(on_qemu.verdict, host::check::Verdict::known_deviation) << findings(on_qemu);
    EXPECT_EQ(t.deviations["qemu-rsvd-without-p"], 1u);
    EXPECT_EQ(judge(job, run, kKvm).verdict, host::check::Verdict::fail);
    // The same evidence with the A/D bits wrong too: more than the deviation explains.
    rsvd->a.chain_after[0] ^= entry_bit::dirty;
    rsvd->c.mismatch |= mm::accessed_dirty;
    EXPECT_EQ(judge(job, run, kQemu).verdict, host::check::Verdict::fail);
}

/// A class of mismatches with one example in full and four counted only: the rest of the class is explained by the
/// deviation that explained its example, on QEMU; on KVM it fails. A mismatch outside every class fails.
TEST(MatrixChecker, AClassIsExplainedByItsExamples) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticBlock* block = nullptr;
    SyntheticCase* rsvd = first_reserved_case(run, block, 5);
    ASSERT_NE(rsvd, nullptr);
    rsvd->a.error_code &= ~std::uint64_t{pf::p};
    make_mismatch(run, *block, *rsvd, mm::error_code);
    for (int i = 0; i < 4; ++i) make_mismatch(run, *block, *rsvd, mm::error_code);  // four more, counted only
    rsvd->c.mismatch = mm::error_code;
    run.end.cases_dropped = 4;
    harness::MatrixClassRecord k{};
    k.header = harness::make_header(harness::RecordType::matrix_class, sizeof k);
    k.count = 5;
    k.first_case = rsvd->c.number;
    k.examples = 1;
    k.mismatch = mm::error_code;
    k.outcome_class = rsvd->c.outcome_class;
    k.predicted_kind = rsvd->a.prediction.kind;
    k.outcome = rsvd->a.outcome;
    k.predicted_error = rsvd->a.prediction.error_code;
    k.vector = rsvd->a.vector;
    k.kind = rsvd->a.kind;
    k.cpl = rsvd->a.cpl;
    k.access_flags = rsvd->a.access_flags;
    k.error_code = rsvd->a.error_code;
    k.leaf_level = rsvd->c.leaf_level;
    run.classes.push_back(k);
    host::matrix::MatrixTally t;
    const auto on_qemu = judge(job, run, kQemu, &t);
    EXPECT_EQ(on_qemu.verdict, host::check::Verdict::known_deviation) << findings(on_qemu);
    EXPECT_EQ(t.deviations["qemu-rsvd-without-p"], 5u);
    const auto on_kvm = judge(job, run, kKvm, &t);
    EXPECT_EQ(on_kvm.verdict, host::check::Verdict::fail);
    EXPECT_EQ(t.unexplained, 5u);
    // The class and its first example, kept for --emit-scenarios: with the deviation on QEMU, none on KVM.
    for (const auto& [backend, deviation] : {std::pair{kQemu, "qemu-rsvd-without-p"}, std::pair{kKvm, ""}}) {
        MatrixChecker checker(job, backend);
        const host::RunResult result = run.result();
        for (const host::ReceivedRecord& r : result.records) checker.add(r.record);
        checker.finish(result);
        ASSERT_EQ(checker.class_examples().size(), 1u) << backend.name;
        const host::matrix::ClassExample& example = checker.class_examples().front();
        EXPECT_EQ(example.cls.count, 5u);
        EXPECT_EQ(example.report.index, rsvd->c.index);
        EXPECT_EQ(example.access.error_code, rsvd->a.error_code);
        EXPECT_EQ(example.deviation, deviation) << backend.name;
    }
    run.end.unclassified = 1;
    EXPECT_EQ(judge(job, run, kQemu).verdict, host::check::Verdict::fail);
}

TEST(MatrixChecker, BlockCountsAndClassesAreTheHosts) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticBlock& b = run.blocks.front();
    unsigned from = 0;
    while (b.b.by_class[from] == 0) ++from;
    --b.b.by_class[from];  // an agreement counted under another class
    ++b.b.by_class[(from + 1) % hm::kOutcomeClasses];
    auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(e).find("predicted"), std::string::npos) << findings(e);
    run = honest_run(job, test_cpu());
    ++run.blocks.front().b.illegal;  // an index counted twice
    e = judge(job, run);
    EXPECT_NE(findings(e).find("illegal: the guest counts"), std::string::npos) << findings(e);
}

TEST(MatrixChecker, AnUnreportedSampleFails) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticBlock& b = run.blocks.front();
    ASSERT_FALSE(b.cases.empty());
    b.cases.pop_back();
    --run.end.cases_sent;
    const auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(e).find("not reported"), std::string::npos) << findings(e);
}

TEST(MatrixChecker, UnsupportedModeIsASkipAndABrokenRunAnError) {
    const hm::Job job = long4_job();
    SyntheticRun run = honest_run(job, test_cpu());
    run.blocks.clear();
    run.end = {};
    run.end.header = harness::make_header(harness::RecordType::matrix_end, sizeof run.end);
    run.end.status = static_cast<std::uint8_t>(harness::MatrixStatus::unsupported_mode);
    auto e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::skip);
    EXPECT_NE(e.reason.find("cannot run 4level"), std::string::npos) << e.reason;
    run.end.status = static_cast<std::uint8_t>(harness::MatrixStatus::trapped);
    e = judge(job, run);
    EXPECT_EQ(e.verdict, host::check::Verdict::fail);
    EXPECT_TRUE(e.run_broke);
}

/// A PAE run whose first completed case shows QEMU 7.2's write of PDPTE bit 5 (known deviation qemu-pae-pdpte-accessed;
/// the guest's verdict leaves the PDPTE out, SDM Vol. 3A §4.4.1).
SyntheticRun pae_run_with_pdpte_written(const hm::Job& job, std::uint64_t bits) {
    SyntheticRun run = honest_run(job, test_cpu());
    SyntheticCase* c = first_case(run, 0);
    if (c != nullptr) c->a.chain_after[0] |= bits;  // level 3 is the first entry of a PAE walk
    return run;
}

TEST(MatrixChecker, APaePdpteWriteCountsOnlyUnderItsDeviation) {
    const hm::Matrix m(PagingMode::pae, hm::Space::standard);
    const hm::Job job = make_job(PagingMode::pae, 0, m.count(), m.count() / 3000 + 1, 2);
    SyntheticRun probe = honest_run(job, test_cpu());
    ASSERT_NE(first_case(probe, 0), nullptr);
    host::matrix::MatrixTally t;
    const auto on_qemu = judge(job, pae_run_with_pdpte_written(job, bits::bit(5)), kQemu, &t);
    EXPECT_NE(on_qemu.verdict, host::check::Verdict::fail) << findings(on_qemu);
    EXPECT_EQ(t.deviations["qemu-pae-pdpte-accessed"], 1u);
    // The same write on KVM, or another bit on QEMU, is no known deviation.
    EXPECT_EQ(judge(job, pae_run_with_pdpte_written(job, bits::bit(5)), kKvm).verdict, host::check::Verdict::fail);
    const auto other = judge(job, pae_run_with_pdpte_written(job, bits::bit(6)), kQemu);
    EXPECT_EQ(other.verdict, host::check::Verdict::fail);
    EXPECT_NE(findings(other).find("a PAE PDPTE in memory changed"), std::string::npos) << findings(other);
}

}  // namespace
}  // namespace pagewalk::test
