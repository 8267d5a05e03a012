// SPDX-License-Identifier: MIT OR Apache-2.0
// The checks of a scenario run, fed synthetic records: each check passes what is right and fails what is wrong;
// a known backend deviation is counted apart; a step failure or a missing feature is reported as such.
#include "check/evaluate.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/ports.hpp>
#include <pagewalk/harness/program.hpp>

#include "check/known_deviations.hpp"
#include "compiled_scenario.hpp"
#include "guest_judgement.hpp"

using namespace pagewalk;
using namespace pagewalk::host;
namespace h = pagewalk::harness;

namespace {

constexpr std::uint64_t kDataBase = 0x40'0000;

/// A compiled scenario (kept alive for the Program's pointers).
using Compiled = test::CompiledScenario;

template <class T>
void add(RunResult& run, T rec) {
    rec.header = h::make_header(static_cast<h::RecordType>(rec.header.type), sizeof rec);
    rec.header.sequence = static_cast<std::uint32_t>(run.records.size());
    const auto d = h::decode(reinterpret_cast<const std::uint8_t*>(&rec), sizeof rec);
    ASSERT_TRUE(d.ok()) << h::to_string(d.error);
    run.records.push_back({d.record, 0});
}

RunResult passed_run() {
    RunResult run;
    run.backend = "kvm";
    run.outcome = Outcome::passed;
    h::RunInfoRecord ri{};
    ri.header.type = static_cast<std::uint16_t>(h::RecordType::run_info);
    ri.mode = 3;
    ri.code_bits = 64;
    ri.data_base = kDataBase;
    add(run, ri);
    return run;
}

/// A completed read of `value` at pa, walked through four fresh entries (A clear before, set after).
h::AccessRecord read_ok(std::uint32_t step, std::uint64_t va, std::uint64_t pa, std::uint64_t value) {
    h::AccessRecord a{};
    a.header.type = static_cast<std::uint16_t>(h::RecordType::access);
    a.step = step;
    a.va = va;
    a.width = 8;
    a.value = value;
    a.prediction.kind = 0;
    a.prediction.level = 1;
    a.prediction.pa = pa;
    a.prediction.page_size = 4096;
    a.chain_count = 4;
    a.prediction.chain_count = 4;
    for (unsigned i = 0; i < 4; ++i) {
        a.chain_pa[i] = 0x20'0000 + i * 0x1000;
        a.chain_before[i] = 0x20'1000 + i * 0x1000 + 3;
        a.chain_after[i] = a.chain_before[i] | 0x20;
    }
    a.guest = test::access_judgement();
    return a;
}

h::AccessRecord fault(std::uint32_t step, std::uint64_t va, std::uint32_t predicted, std::uint32_t observed) {
    h::AccessRecord a = read_ok(step, va, 0, 0);
    a.value = 0;
    a.prediction.kind = 1;
    a.prediction.vector = 14;
    a.prediction.error_code = predicted;
    a.prediction.pa = 0;
    a.outcome = 1;
    a.vector = 14;
    a.has_error_code = 1;
    a.error_code = observed;
    a.cr2 = va;
    for (unsigned i = 0; i < 4; ++i) a.chain_after[i] = a.chain_before[i];
    // The guest judges by the SDM: an error code other than the one predicted (and expected) fails both.
    if (observed != predicted)
        a.guest = test::access_judgement(h::guest_check::expectation | h::guest_check::prediction);
    return a;
}

const std::string kScenario = R"(rule = "r"
modes = ["4level"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "r"
[[step]]
op = "read"
va = 0x4000_0008
expect = { ok = true, frame = 0 }
[[step]]
op = "edit"
va = 0x4000_0000
entry = "PTE"
set = ["MAXPHYADDR"]
[[step]]
op = "read"
va = 0x4000_0008
expect = { fault = "PF", error = "P|RSVD" }
)";

check::Evaluation evaluate(const Compiled& c, const RunResult& run, const std::string& backend = "kvm",
                           const std::string& version = "Linux 6") {
    return check::evaluate(c.p, run, nullptr, {backend, version});
}

bool has_finding(const check::Evaluation& e, const std::string& check, const std::string& words) {
    for (const auto& f : e.findings)
        if (f.check == check && f.message.find(words) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST(Evaluate, AgreeingRunPasses) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8)));
    add(run, fault(4, 0x4000'0008, 0x9, 0x9));
    ASSERT_TRUE(test::end_program(run));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::pass) << e.reason;
    EXPECT_EQ(e.accesses, 2u);
    EXPECT_EQ(e.guest_verdict, static_cast<std::uint8_t>(h::ProgramVerdict::passed));
}

TEST(Evaluate, WrongValueFailsExpectationAndValueChecks) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(0x1008)));  // frame 1's tag, not frame 0's
    add(run, fault(4, 0x4000'0008, 0x9, 0x9));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "expectation", "data frame 1 + 0x8"));
    EXPECT_TRUE(has_finding(e, "value", "predicted physical address"));
}

TEST(Evaluate, WrongErrorCodeFailsOnKvm) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8)));
    add(run, fault(4, 0x4000'0008, 0x9, 0x8));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "expectation", "expected #PF 0x9"));
    EXPECT_TRUE(has_finding(e, "prediction", "the walker predicted #PF 0x9"));
}

TEST(Evaluate, QemuRsvdWithoutPIsAKnownDeviation) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8)));
    add(run, fault(4, 0x4000'0008, 0x9, 0x8));
    ASSERT_TRUE(test::end_program(run));  // the guest, judging by the SDM: FAIL
    const auto e = evaluate(c, run, "qemu", "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)");
    EXPECT_EQ(e.verdict, check::Verdict::known_deviation) << e.reason;
    EXPECT_TRUE(e.guest_agrees);
    EXPECT_EQ(e.guest_verdict, static_cast<std::uint8_t>(h::ProgramVerdict::failed));
    EXPECT_TRUE(has_finding(e, "expectation", "qemu-rsvd-without-p"));
    // Another QEMU version is not covered by the entry.
    EXPECT_EQ(evaluate(c, run, "qemu", "QEMU emulator version 8.2.0").verdict, check::Verdict::fail);
}

TEST(Evaluate, AccessedAndDirtyBits) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    h::AccessRecord a = read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8));
    a.chain_after[2] = a.chain_before[2];  // the PDE's A bit was not set by a successful access
    a.chain_after[3] |= 0x40;              // and the read set D in the PTE
    add(run, a);
    add(run, fault(4, 0x4000'0008, 0x9, 0x9));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "A/D", "PDE @0x202000: A still clear"));
    EXPECT_TRUE(has_finding(e, "A/D", "a read set D"));
}

TEST(Evaluate, AccessedAboveAFaultIsAMay) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8)));
    h::AccessRecord f = fault(4, 0x4000'0008, 0x9, 0x9);
    f.chain_after[0] |= 0x20;  // QEMU sets A while descending: allowed
    add(run, f);
    ASSERT_TRUE(test::end_program(run));
    EXPECT_EQ(evaluate(c, run).verdict, check::Verdict::pass);
    run.records.pop_back();
    f.chain_after[1] |= 0x4;  // but U/S changing is not
    run.records.pop_back();
    add(run, f);
    EXPECT_TRUE(has_finding(evaluate(c, run), "A/D", "bits other than A"));
}

TEST(Evaluate, MissingRecordsAndCrashesFail) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8)));
    auto e = evaluate(c, run);
    EXPECT_TRUE(has_finding(e, "run", "no access record"));
    EXPECT_FALSE(e.run_broke);  // the run completed; a check failed
    run.outcome = Outcome::triple_fault;
    run.detail = "KVM_EXIT_SHUTDOWN";
    run.registers = "rip=…";
    e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "run", "triple fault"));
    EXPECT_TRUE(e.run_broke);  // a JUnit <error>, not a <failure>
}

TEST(Evaluate, AGuestThatGaveUpBrokeTheRun) {
    const Compiled c(kScenario);
    for (const auto& [status, broke] : {std::pair{h::ExitStatus::check_failed, false},
                                        {h::ExitStatus::panic, true},
                                        {h::ExitStatus::bad_boot, true}}) {
        RunResult run = passed_run();
        run.outcome = Outcome::guest_failed;
        h::FinalRecord f{};
        f.header.type = static_cast<std::uint16_t>(h::RecordType::final);
        f.status = static_cast<std::uint32_t>(status);
        add(run, f);
        const auto e = evaluate(c, run);
        EXPECT_EQ(e.verdict, check::Verdict::fail);
        EXPECT_EQ(e.run_broke, broke) << "final status " << static_cast<int>(status);
    }
}

TEST(Evaluate, MissingFeatureIsASkipWithTheReason) {
    const Compiled c(kScenario);
    RunResult run;
    run.outcome = Outcome::passed;
    h::StepFailedRecord sf{};
    sf.header.type = static_cast<std::uint16_t>(h::RecordType::step_failed);
    sf.reason = static_cast<std::uint8_t>(h::StepFailure::feature_missing);
    sf.detail = h::feature::smap;
    add(run, sf);
    ASSERT_TRUE(test::end_program(run, 0, static_cast<std::uint8_t>(h::ProgramVerdict::skipped)));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::skip) << e.reason;
    EXPECT_NE(e.reason.find("smap"), std::string::npos);
}

TEST(Evaluate, MapperErrorFailsTheStep) {
    const Compiled c(kScenario);
    RunResult run = passed_run();
    h::StepFailedRecord sf{};
    sf.header.type = static_cast<std::uint16_t>(h::RecordType::step_failed);
    sf.step = 1;
    sf.op = 1;
    sf.reason = static_cast<std::uint8_t>(h::StepFailure::mapper_error);
    sf.detail_code = static_cast<std::uint8_t>(MapError::out_of_frames);
    sf.address = 0x4000'0000;
    add(run, sf);
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "step", "out of page-table frames at 0x40000000"));
}

TEST(Evaluate, TableEntryReadThroughARecursiveSlot) {
    // The host knows where frame 0 is (run_info: kDataBase): the PTE of 0x4000_0000 must be present and name it.
    // The tables lie below the data area, so the value check has nothing to say about them.
    const Compiled c(R"(rule = "r"
modes = ["4level"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "rw"
[[step]]
op = "recursive"
slot = 300
[[step]]
op = "read"
va = { recursive = "PTE", of = 0x4000_0000 }
expect = { ok = true, entry = "PTE", of = 0x4000_0000 }
[[step]]
op = "read"
va = { recursive = "PDE", of = 0x4000_0000 }
expect = { ok = true, entry = "PDE", of = 0x4000_0000 }
)");
    const std::uint64_t pte_va = 0xffff'9600'0020'0000, pde_va = 0xffff'964b'0000'1000;
    auto run_with = [&](std::uint64_t pte, std::uint64_t pde, std::uint8_t guest_failed) {
        RunResult run = passed_run();
        h::AccessRecord a = read_ok(3, pte_va, 0x20'5000, pte);
        a.guest = test::access_judgement(guest_failed);
        add(run, a);
        add(run, read_ok(4, pde_va, 0x20'4000, pde));
        EXPECT_TRUE(test::end_program(run));
        return evaluate(c, run);
    };
    const auto good = run_with(0x8000'0000'0000'0003 | kDataBase, 0x20'5023, 0);
    EXPECT_EQ(good.verdict, check::Verdict::pass) << good.reason;
    EXPECT_TRUE(good.guest_agrees);
    // A leaf naming another page: the host and the guest (which compares the whole entry) both fail it.
    const auto other = run_with(0x8000'0000'0000'0003 | (kDataBase + 0x1000), 0x20'5023, h::guest_check::expectation);
    EXPECT_EQ(other.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(other, "expectation", "is mapped to 0x400000"));
    EXPECT_TRUE(other.guest_agrees);
    // Not present.
    const auto absent = run_with(kDataBase, 0x20'5023, h::guest_check::expectation);
    EXPECT_TRUE(has_finding(absent, "expectation", "not present"));
    EXPECT_TRUE(absent.guest_agrees);
    // A guest that passed what the host fails: the cross-check says so.
    const auto disagreeing = run_with(0x8000'0000'0000'0003 | (kDataBase + 0x1000), 0x20'5023, 0);
    EXPECT_FALSE(disagreeing.guest_agrees);
}

TEST(KnownDeviations, MatcherIsExact) {
    check::Disagreement d;
    d.backend = "qemu";
    d.backend_version = "QEMU emulator version 7.2.22";
    d.expected_vector = 14;
    d.expected_error = 0xb;  // P W RSVD
    d.observed_exception = true;
    d.observed_vector = 14;
    d.observed_error = 0xa;
    ASSERT_TRUE(check::match_known_deviation(d));
    EXPECT_STREQ(check::match_known_deviation(d)->id, "qemu-rsvd-without-p");
    auto other = d;
    other.observed_error = 0x2;  // not only P missing
    EXPECT_FALSE(check::match_known_deviation(other));
    other = d;
    other.backend = "kvm";
    EXPECT_FALSE(check::match_known_deviation(other));
    other = d;
    other.expected_error = 0x3;  // no RSVD expected: a different disagreement
    other.observed_error = 0x2;
    EXPECT_FALSE(check::match_known_deviation(other));

    check::Disagreement smap;
    smap.backend = "qemu";
    smap.backend_version = "QEMU emulator version 7.2.22";
    smap.expected_vector = 14;
    smap.expected_error = 1;
    smap.fault_causes = 1u << 6;  // SMAP
    smap.implicit = true;
    smap.ac = true;
    smap.observed_exception = true;
    smap.observed_vector = 13;
    ASSERT_TRUE(check::match_known_deviation(smap));
    EXPECT_STREQ(check::match_known_deviation(smap)->id, "qemu-smap-implicit-ac");
    smap.ac = false;  // without AC, QEMU applies SMAP: a miss would be unknown
    EXPECT_FALSE(check::match_known_deviation(smap));
    // QEMU (vendor AMD) accepting bit 8 of a PML4E: only when the walk stopped at level 4/5 on an entry with bit 8
    // and the CPU completed the access.
    check::Disagreement bit8;
    bit8.backend = "qemu";
    bit8.backend_version = "QEMU emulator version 7.2.22";
    bit8.expected_vector = 14;
    bit8.expected_error = 0x9;
    bit8.fault_causes = 1u << 1;  // reserved bit
    bit8.fault_level = 4;
    bit8.fault_entry = 0x205103;  // P RW G(8)
    ASSERT_TRUE(check::match_known_deviation(bit8));
    EXPECT_STREQ(check::match_known_deviation(bit8)->id, "qemu-amd-pml4e-bit8");
    auto not8 = bit8;
    not8.fault_level = 2;  // a PDE: bit 8 is G there, never reserved
    EXPECT_FALSE(check::match_known_deviation(not8));
    not8 = bit8;
    not8.fault_entry = 0x205003;
    EXPECT_FALSE(check::match_known_deviation(not8));
    not8 = bit8;
    not8.observed_exception = true;  // a fault of another kind is a different disagreement
    not8.observed_vector = 14;
    not8.observed_error = 0x1;
    EXPECT_FALSE(check::match_known_deviation(not8));
    // ... unless the checker walked the access again as an Intel CPU (bit 8 ignored) and that walk raises exactly
    // this #PF (the access matrix: QEMU walks on and faults further down, e.g. SMAP's P-only #PF).
    auto walked_on = not8;
    walked_on.intel_walk_known = true;
    walked_on.intel_walk_faults = true;
    walked_on.intel_walk_error = 0x1;
    ASSERT_TRUE(check::match_known_deviation(walked_on));
    EXPECT_STREQ(check::match_known_deviation(walked_on)->id, "qemu-amd-pml4e-bit8");
    walked_on.intel_walk_error = 0x3;  // the Intel walk faults otherwise: not the evidence
    EXPECT_FALSE(check::match_known_deviation(walked_on));
    walked_on.intel_walk_faults = false;  // the Intel walk completes, the CPU faulted
    EXPECT_FALSE(check::match_known_deviation(walked_on));
    // A PAE PDPTE with a reserved bit: QEMU completes the MOV to CR3, then its walk completes the access or raises #PF
    // with RSVD (the access matrix's evidence); any other outcome is not this deviation.
    check::Disagreement pdpte;
    pdpte.backend = "qemu";
    pdpte.backend_version = "QEMU emulator version 7.2.22";
    pdpte.pdpte_load = true;
    pdpte.expected_vector = 13;
    pdpte.pdpte_reserved = 0x2;
    pdpte.observed_exception = true;
    pdpte.observed_vector = 14;
    pdpte.observed_error = 0x8;
    ASSERT_TRUE(check::match_known_deviation(pdpte));
    EXPECT_STREQ(check::match_known_deviation(pdpte)->id, "qemu-pae-pdpte-no-gp");
    pdpte.observed_error = 0x2;  // a #PF without RSVD
    EXPECT_FALSE(check::match_known_deviation(pdpte));
    walked_on.implicit = true;  // ... but an implicit access that read its descriptor and then raised #GP completed
    walked_on.observed_vector = 13;
    walked_on.observed_error = 0x4;
    ASSERT_TRUE(check::match_known_deviation(walked_on));
    EXPECT_STREQ(check::match_known_deviation(walked_on)->id, "qemu-amd-pml4e-bit8");
    for (const auto& k : check::known_deviations()) {
        EXPECT_NE(std::string(k.rule).find("SDM"), std::string::npos) << k.id;
        EXPECT_FALSE(std::string(k.evidence).empty()) << k.id;
    }
}

namespace {
const std::string kStaleScenario = R"(rule = "r"
modes = ["4level"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "rw"
[[step]]
op = "read"
va = 0x4000_0008
expect = { ok = true, frame = 0 }
[[step]]
op = "map"
va = 0x4000_0000
frame = 1
size = "4K"
rights = "rw"
replace = true
flush = false
[[step]]
op = "read"
va = 0x4000_0008
stale = true
expect = { ok = true, frames = [0, 1] }
[[step]]
op = "write"
va = 0x4000_0010
stale = true
value = 0x1234
expect = "ok"
[[step]]
op = "invlpg"
va = 0x4000_0000
[[step]]
op = "read"
va = 0x4000_0010
expect = "ok"
)";
}  // namespace

TEST(Evaluate, AStaleReadMayReturnTheOldFrameAndAStaleWriteMayGoThere) {
    const Compiled c(kStaleScenario);
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8)));
    // The CPU still used the old translation (frame 0), as §4.10.4 allows; the prediction is the new frame 1.
    add(run, read_ok(4, 0x4000'0008, kDataBase + 0x1008, h::data_tag(8)));
    h::AccessRecord w = read_ok(5, 0x4000'0010, kDataBase + 0x1010, 0x1234);
    w.kind = static_cast<std::uint8_t>(h::AccessKind::write);
    add(run, w);
    // After the flush, frame 1 still holds its tag: the stale write went to frame 0.
    add(run, read_ok(7, 0x4000'0010, kDataBase + 0x1010, h::data_tag(0x1010)));
    ASSERT_TRUE(test::end_program(run));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::pass) << e.reason;
    EXPECT_FALSE(has_finding(e, "value", ""));
}

namespace {
/// A read-only page remapped without a flush; a write that faults (both translations are read-only) invalidates
/// the page (SDM Vol. 3A §4.10.4.1), so the next read must use the new frame.
const std::string kFaultInvalidatesScenario = R"(rule = "r"
modes = ["4level"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "r"
[[step]]
op = "read"
va = 0x4000_0008
expect = { ok = true, frame = 0 }
[[step]]
op = "map"
va = 0x4000_0000
frame = 1
size = "4K"
rights = "r"
replace = true
flush = false
[[step]]
op = "write"
va = 0x4000_0008
stale = true
expect = { fault = "PF", error = "P|W" }
[[step]]
op = "read"
va = 0x4000_0010
expect = { ok = true, frame = 1 }
)";

/// The run up to the read after the fault; `read_value` is what that read returned (frame 1's tag is right).
RunResult fault_invalidation_run(std::uint64_t read_value) {
    RunResult run = passed_run();
    add(run, read_ok(2, 0x4000'0008, kDataBase + 8, h::data_tag(8)));
    h::AccessRecord w = fault(4, 0x4000'0008, 0x3, 0x3);
    w.kind = static_cast<std::uint8_t>(h::AccessKind::write);
    add(run, w);
    h::AccessRecord r = read_ok(5, 0x4000'0010, kDataBase + 0x1010, read_value);
    if (read_value != h::data_tag(0x1010)) {
        // The CPU answered from its TLB: no walk, so the leaf's A bit stays as it was; the guest saw it too.
        r.chain_after[3] = r.chain_before[3];
        r.guest = test::access_judgement(h::guest_check::expectation | h::guest_check::accessed_dirty);
    }
    add(run, r);
    EXPECT_TRUE(test::end_program(run));
    return run;
}
}  // namespace

TEST(Evaluate, APageFaultInvalidatesTheFaultingPage) {
    const Compiled c(kFaultInvalidatesScenario);  // before: "changed this address's translation without a flush"
    ASSERT_TRUE(c.p.fresh_by_page_fault.contains(5));
    const auto right = evaluate(c, fault_invalidation_run(h::data_tag(0x1010)));
    EXPECT_EQ(right.verdict, check::Verdict::pass) << right.reason;
    // The old frame after the fault breaks §4.10.4.1: a failure on KVM …
    const auto kvm = evaluate(c, fault_invalidation_run(h::data_tag(0x10)));
    EXPECT_EQ(kvm.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(kvm, "expectation", "expected to read data frame 1"));
    EXPECT_TRUE(has_finding(kvm, "A/D", "A still clear"));
    // … QEMU 7.2's known deviation, on exactly that evidence (every finding carries its id) …
    const auto qemu = evaluate(c, fault_invalidation_run(h::data_tag(0x10)), "qemu", "QEMU emulator version 7.2.22");
    EXPECT_EQ(qemu.verdict, check::Verdict::known_deviation) << qemu.reason;
    for (const auto& f : qemu.findings) {
        if (f.severity == check::Finding::Severity::note) continue;
        EXPECT_EQ(f.deviation_id, "qemu-pf-keeps-stale-translation");
    }
    // … and on QEMU a wrong value that is no earlier frame's data still fails.
    const auto garbage = evaluate(c, fault_invalidation_run(0x1234), "qemu", "QEMU emulator version 7.2.22");
    EXPECT_EQ(garbage.verdict, check::Verdict::fail);
}

TEST(KnownDeviations, PageFaultKeepsStaleTranslationNeedsBothPiecesOfEvidence) {
    check::Disagreement d;
    d.backend = "qemu";
    d.backend_version = "QEMU emulator version 7.2.22";
    d.read_after_fault_invalidation = true;
    d.value_from_earlier_frame = true;
    ASSERT_TRUE(check::match_known_deviation(d));
    EXPECT_STREQ(check::match_known_deviation(d)->id, "qemu-pf-keeps-stale-translation");
    d.value_from_earlier_frame = false;
    EXPECT_FALSE(check::match_known_deviation(d));
    d.value_from_earlier_frame = true;
    d.read_after_fault_invalidation = false;
    EXPECT_FALSE(check::match_known_deviation(d));
    d.read_after_fault_invalidation = true;
    d.backend = "kvm";
    EXPECT_FALSE(check::match_known_deviation(d));
}

namespace {

const std::string kWidthScenario = R"(rule = "r"
modes = ["4level"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = 0x2000
rights = "rw"
[[step]]
op = "write"
va = 0x4000_0009
size = 2
value = 0xfeed_beef
expect = "ok"
[[step]]
op = "read"
va = 0x4000_0008
expect = { ok = true, value = 0xbeef_c3 }
[[step]]
op = "write"
va = 0x4000_0ffc
expect = { fault = "PF", error = "W", cr2 = 0x4000_1000 }
[[step]]
op = "read"
va = 0x4000_0ffe
size = 4
expect = "ok"
)";

/// A record of the access of `step` as the width scenario compiles it: `width` bytes at va, and for an access across
/// a page boundary a second walk (through four fresh entries) to pa2.
h::AccessRecord sized(std::uint32_t step, std::uint64_t va, unsigned width, std::uint64_t pa, std::uint64_t value,
                      std::uint64_t pa2 = 0) {
    h::AccessRecord a = read_ok(step, va, pa, value);
    a.width = static_cast<std::uint8_t>(width);
    if (h::crosses_page(va, width)) {
        a.crosses = 1;
        a.second = a.prediction;
        a.second.pa = pa2;
        a.second_chain_count = 4;
        for (unsigned i = 0; i < 4; ++i) {
            a.second_chain_pa[i] = a.chain_pa[i] + 8 * (i == 3);
            a.second_chain_before[i] = a.chain_before[i];
            a.second_chain_after[i] = a.chain_after[i];
        }
    }
    return a;
}

/// The width scenario's records as a CPU that follows the SDM gives them.
RunResult width_run() {
    RunResult run = passed_run();
    h::AccessRecord w = sized(2, 0x4000'0009, 2, kDataBase + 9, 0xfeed'beef);
    w.kind = static_cast<std::uint8_t>(h::AccessKind::write);
    w.chain_after[3] |= 0x40;  // D
    add(run, w);
    add(run, sized(3, 0x4000'0008, 8, kDataBase + 8, 0xbeef'c3));
    h::AccessRecord f = sized(4, 0x4000'0ffc, 8, kDataBase + 0xffc, 0x5772'6974'0000'0004, 0);
    f.kind = static_cast<std::uint8_t>(h::AccessKind::write);
    f.value = 0x5772'6974'0000'0004;
    f.second.kind = 1;  // the second page is not present
    f.second.vector = 14;
    f.second.error_code = 0x2;
    f.second_chain_count = 4;
    f.second_chain_before[3] = f.second_chain_after[3] = 0;
    f.outcome = 1;
    f.vector = 14;
    f.has_error_code = 1;
    f.error_code = 0x2;
    f.cr2 = 0x4000'1000;
    for (unsigned i = 0; i < 4; ++i) f.chain_after[i] = f.chain_before[i];
    add(run, f);
    // Bytes 0xffe..0xfff of frame 0 (not tagged: unknown) and the low 2 bytes of frame 1's first tag (0x1000c3).
    add(run, sized(5, 0x4000'0ffe, 4, kDataBase + 0xffe, 0x00c3'0000, kDataBase + 0x1000));
    return run;
}

}  // namespace

TEST(Evaluate, NarrowWritesChangeOnlyTheirBytesAndCrossingAccessesAreJudgedPerPage) {
    const Compiled c(kWidthScenario);
    RunResult run = width_run();
    ASSERT_TRUE(test::end_program(run));
    const auto good = evaluate(c, run);
    EXPECT_EQ(good.verdict, check::Verdict::pass);
    for (const auto& f : good.findings) ADD_FAILURE() << f.check << ": " << f.message;
}

TEST(Evaluate, AWrongByteOfANarrowWriteIsSeen) {
    const Compiled c(kWidthScenario);
    RunResult run = width_run();
    // The read after the 2-byte write finds the tag's third byte changed too: the write stored 3 bytes.
    auto* read = const_cast<h::AccessRecord*>(run.records[2].record.access());
    read->value = 0xedbe'efc3;
    ASSERT_TRUE(test::end_program(run));
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "value", "read 0xedbeefc3"));
}

TEST(Evaluate, CrossingFaultNeedsThePagesErrorCodeAndCr2InIt) {
    const Compiled c(kWidthScenario);
    RunResult run = width_run();
    auto* f = const_cast<h::AccessRecord*>(run.records[3].record.access());
    f->cr2 = 0x4000'0ffc;  // a byte of the access, but in the page that did not fault
    ASSERT_TRUE(test::end_program(run));
    auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "expectation", "expected CR2 in the page of 0x40001000"));
    EXPECT_TRUE(has_finding(e, "prediction", "then on the second page"));
    f->cr2 = 0x4000'1003;  // the last byte of the access: any byte in the faulting page is the SDM's
    EXPECT_EQ(evaluate(c, run).verdict, check::Verdict::pass);
    f->cr2 = 0x4000'1004;  // past the access
    EXPECT_EQ(evaluate(c, run).verdict, check::Verdict::fail);
}

TEST(Evaluate, AFaultingCrossingWriteStoresNothingAndItsDirtyBitIsAMay) {
    const Compiled c(kWidthScenario);
    RunResult run = width_run();
    auto* f = const_cast<h::AccessRecord*>(run.records[3].record.access());
    f->chain_after[3] |= 0x40;  // D on the first page's leaf: the write was allowed there (a may)
    auto* read = const_cast<h::AccessRecord*>(run.records[4].record.access());
    ASSERT_TRUE(test::end_program(run));
    EXPECT_EQ(evaluate(c, run).verdict, check::Verdict::pass);
    f->chain_after[2] |= 0x40;  // but not in a table entry
    EXPECT_TRUE(has_finding(evaluate(c, run), "A/D", "bits other than A changed"));
    f->chain_after[2] &= ~std::uint64_t{0x40};
    read->value = 0x00c3'00ff;  // byte 0xffe: the host knows nothing there; only the second page's bytes count
    EXPECT_EQ(evaluate(c, run).verdict, check::Verdict::pass);
    read->value = 0x00c4'0000;  // a byte of the second page changed
    const auto e = evaluate(c, run);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has_finding(e, "value", "read 0xc40000"));
}

TEST(KnownDeviations, KvmAlignmentCheckAndPartialSplitWriteNeedTheirExactEvidence) {
    check::Disagreement ac;
    ac.backend = "kvm";
    ac.backend_version = "Linux 6.18";
    ac.observed_exception = true;
    ac.observed_vector = vector::alignment_check;
    ac.cpl = 3;
    ac.ac = true;
    ac.misaligned = true;
    EXPECT_EQ(check::match_known_deviation(ac)->id, std::string("kvm-pvm-alignment-check"));
    for (auto change : std::vector<void (*)(check::Disagreement&)>{
             [](check::Disagreement& d) { d.cr0_am = true; },       // CR0.AM = 1: the #AC is the SDM's
             [](check::Disagreement& d) { d.misaligned = false; },  // an aligned access has nothing to check
             [](check::Disagreement& d) { d.cpl = 0; },             // no alignment check at CPL 0
             [](check::Disagreement& d) { d.ac = false; },          // nor without EFLAGS.AC
             [](check::Disagreement& d) { d.observed_vector = vector::page_fault; },
             [](check::Disagreement& d) { d.backend = "qemu"; }}) {
        check::Disagreement d = ac;
        change(d);
        EXPECT_FALSE(check::match_known_deviation(d).has_value());
    }
    check::Disagreement split;
    split.backend = "kvm";
    split.value_from_faulted_split_write = true;
    EXPECT_EQ(check::match_known_deviation(split)->id, std::string("kvm-emulator-partial-split-write"));
    split.value_from_faulted_split_write = false;
    EXPECT_FALSE(check::match_known_deviation(split).has_value());
    split.value_from_faulted_split_write = true;
    split.backend = "qemu";
    EXPECT_FALSE(check::match_known_deviation(split).has_value());
}

TEST(Evaluate, OnlyBytesAFaultingSplitWriteWouldHaveStoredAreAKnownKvmDeviation) {
    const Compiled c(kWidthScenario);
    RunResult run = width_run();
    // The faulting write at 0x4000_0ffc would have stored 0x04 at 0xffc (first page) only; a 0x04 read from the second
    // page's first byte is no such byte: a failure on KVM too (the positive case is the KVM run of
    // scenarios/access-crossing-second-page-faults.toml).
    auto* read = const_cast<h::AccessRecord*>(run.records[4].record.access());
    read->value = 0x00'04'0000;
    ASSERT_TRUE(test::end_program(run));
    EXPECT_EQ(evaluate(c, run).verdict, check::Verdict::fail);  // not a byte the write would have stored there
}
