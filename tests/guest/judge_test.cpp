// SPDX-License-Identifier: MIT OR Apache-2.0
// The guest's own checks (guest/runner/judge.hpp), run on the host: each rule passes what is right and fails what
// is wrong; and, over many random access records, the guest's judgement equals the host's independent evaluation
// (host/check/evaluate.cpp) check by check — the agreement the cross-check then demands of every real run.
#include "runner/judge.hpp"

#include <gtest/gtest.h>

#include <map>
#include <pagewalk/harness/decoder.hpp>
#include <random>

#include "check/evaluate.hpp"
#include "check/guest_verdict.hpp"
#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"

using namespace pagewalk;
namespace h = pagewalk::harness;
namespace gc = pagewalk::harness::guest_check;
namespace scenario = pagewalk::host::scenario;
namespace check = pagewalk::host::check;
using guest::runner::judge_access;
using guest::runner::judge_control_write;
using guest::runner::judge_entry;

namespace {

constexpr pagewalk::PagingMode kLong4 = pagewalk::PagingMode::long4, kPae = pagewalk::PagingMode::pae,
                               kLegacy32 = pagewalk::PagingMode::legacy32;

/// A completed 8-byte read at va through four entries, A set by the access.
h::AccessRecord read_ok(std::uint64_t va = 0x4000'0008, std::uint64_t value = 0x8c3) {
    h::AccessRecord a{};
    a.va = va;
    a.value = value;
    a.prediction.kind = 0;
    a.prediction.chain_count = 4;
    a.chain_count = 4;
    for (unsigned i = 0; i < 4; ++i) {
        a.chain_before[i] = 0x20'1003 + i * 0x1000;
        a.chain_after[i] = a.chain_before[i] | 0x20;
    }
    return a;
}

/// A #PF predicted with `predicted` and raised with `observed`; no entry changed.
h::AccessRecord page_fault(std::uint32_t predicted, std::uint32_t observed, std::uint64_t va = 0x4000'0008) {
    h::AccessRecord a = read_ok(va, 0);
    a.prediction.kind = 1;
    a.prediction.vector = 14;
    a.prediction.error_code = predicted;
    a.outcome = 1;
    a.vector = 14;
    a.has_error_code = 1;
    a.error_code = observed;
    a.cr2 = va;
    for (unsigned i = 0; i < 4; ++i) a.chain_after[i] = a.chain_before[i];
    return a;
}

h::StepExpect expect_ok() {
    h::StepExpect e{};
    e.kind = static_cast<std::uint8_t>(h::ExpectKind::ok);
    return e;
}
h::StepExpect expect_fault(std::uint8_t vector, std::optional<std::uint32_t> error = std::nullopt) {
    h::StepExpect e{};
    e.kind = static_cast<std::uint8_t>(h::ExpectKind::fault);
    e.vector = vector;
    if (error) {
        e.flags |= h::expect_flag::error_code;
        e.error_code = *error;
    }
    return e;
}

auto no_frames = [](std::uint32_t, std::uint32_t) -> std::uint64_t { return 0; };

h::GuestJudgement judge(const h::AccessRecord& a, const h::StepExpect& e, pagewalk::PagingMode mode = kLong4) {
    return judge_access(a, e, mode, no_frames);
}

}  // namespace

TEST(GuestJudge, CompletedReadThatWasExpectedPassesEveryCheck) {
    const auto j = judge(read_ok(), expect_ok());
    EXPECT_EQ(j.judged, gc::all);
    EXPECT_EQ(j.failed, 0);
}

TEST(GuestJudge, FaultWhereOkWasExpectedFailsTheExpectation) {
    const auto j = judge(page_fault(0x0, 0x0), expect_ok());
    EXPECT_EQ(j.failed, gc::expectation);
}

TEST(GuestJudge, ValueAndFramesOfAnOkRead) {
    h::StepExpect e = expect_ok();
    e.flags = h::expect_flag::value;
    e.value = 0x8c3;
    EXPECT_EQ(judge(read_ok(), e).failed, 0);
    e.value = 0x108c3;
    EXPECT_EQ(judge(read_ok(), e).failed, gc::expectation);
    // frames: the read must return what one of the listed data frames holds at the page offset (8).
    h::StepExpect f = expect_ok();
    f.frame_count = 2;
    f.frames[0] = 3;
    f.frames[1] = 5;
    const auto memory = [](std::uint32_t frame, std::uint32_t off) -> std::uint64_t {
        return ((std::uint64_t{frame} << 12 | off) << 8) | 0xc3;  // the data tags
    };
    EXPECT_EQ(judge_access(read_ok(0x4000'0008, (0x5008ull << 8) | 0xc3), f, kLong4, memory).failed, 0);
    EXPECT_EQ(judge_access(read_ok(0x4000'0008, (0x4008ull << 8) | 0xc3), f, kLong4, memory).failed, gc::expectation);
}

TEST(GuestJudge, FaultExpectationComparesVectorErrorCodeAndCr2) {
    EXPECT_EQ(judge(page_fault(0x9, 0x9), expect_fault(14, 0x9)).failed, 0);
    EXPECT_EQ(judge(page_fault(0x9, 0x9), expect_fault(14)).failed, 0);  // any error code
    EXPECT_EQ(judge(page_fault(0x9, 0x9), expect_fault(13)).failed, gc::expectation);
    // QEMU 7.2's RSVD without P: the SDM says 0x9 — the guest has no list of known deviations.
    EXPECT_EQ(judge(page_fault(0x9, 0x8), expect_fault(14, 0x9)).failed, gc::expectation | gc::prediction);
    h::AccessRecord wrong_cr2 = page_fault(0x9, 0x9);
    wrong_cr2.cr2 = 0x4000'0000;
    EXPECT_EQ(judge(wrong_cr2, expect_fault(14, 0x9)).failed, gc::expectation | gc::prediction);
    h::StepExpect explicit_cr2 = expect_fault(14, 0x9);
    explicit_cr2.flags |= h::expect_flag::cr2;
    explicit_cr2.value = 0x4000'0000;
    EXPECT_EQ(judge(wrong_cr2, explicit_cr2).failed, gc::prediction);
}

TEST(GuestJudge, Cr2Is32BitsIn32BitAndPaePaging) {
    h::AccessRecord a = page_fault(0x4, 0x4, 0x1'4000'0008);  // a linear address does not fit: the CPU writes 32 bits
    a.cr2 = 0x4000'0008;
    a.chain_count = a.prediction.chain_count = 2;
    EXPECT_EQ(judge(a, expect_fault(14, 0x4), kLegacy32).failed, 0);
    EXPECT_EQ(judge(a, expect_fault(14, 0x4), kLong4).failed, gc::expectation | gc::prediction);
}

TEST(GuestJudge, ModelIsJudgedByThePredictionAlone) {
    h::StepExpect model{};
    model.kind = static_cast<std::uint8_t>(h::ExpectKind::model);
    const auto j = judge(page_fault(0x9, 0x8), model);
    EXPECT_EQ(j.judged, gc::prediction | gc::accessed_dirty);
    EXPECT_EQ(j.failed, gc::prediction);
}

TEST(GuestJudge, StaleStepIsJudgedByItsExpectationOnly) {
    h::StepExpect e = expect_ok();
    e.flags = h::expect_flag::stale;
    h::AccessRecord a = read_ok();
    a.prediction.kind = 1;  // the walker sees the new tables; the TLB may still answer with the old ones
    const auto j = judge(a, e);
    EXPECT_EQ(j.judged, gc::expectation);
    EXPECT_EQ(j.failed, 0);
}

TEST(GuestJudge, PredictionKinds) {
    h::AccessRecord gp = read_ok(0x8000'0000'0000'0000ull, 0);
    gp.prediction.kind = 2;
    gp.prediction.chain_count = gp.chain_count = 0;
    gp.outcome = 1;
    gp.vector = 13;
    gp.has_error_code = 1;
    EXPECT_EQ(judge(gp, expect_fault(13, 0)).failed, 0);
    gp.vector = 14;
    EXPECT_EQ(judge(gp, expect_fault(13)).failed, gc::expectation | gc::prediction);
    h::AccessRecord unreadable = read_ok();
    unreadable.prediction.kind = 3;  // the walker could not read its own tables
    EXPECT_EQ(judge(unreadable, expect_ok()).failed, gc::prediction);
    h::AccessRecord completed_fault = read_ok();
    completed_fault.prediction.kind = 1;
    completed_fault.prediction.error_code = 0x1;
    EXPECT_EQ(judge(completed_fault, expect_ok()).failed, gc::prediction);
}

TEST(GuestJudge, ImplicitAccessCompletesWhenItDoesNotPageFault) {
    h::AccessRecord a = read_ok();
    a.access_flags = h::access_flag::implicit;
    a.outcome = 1;
    a.vector = 13;  // the descriptor read worked; the bytes are no descriptor
    a.has_error_code = 1;
    a.error_code = 0x4;
    EXPECT_EQ(judge(a, expect_ok()).failed, 0);
    a.vector = 14;
    EXPECT_NE(judge(a, expect_ok()).failed & gc::expectation, 0);
}

TEST(GuestJudge, AccessedAndDirtyFollowSdm48) {
    h::AccessRecord r = read_ok();
    r.chain_after[2] = r.chain_before[2];  // A not set in the PDE by a successful access
    EXPECT_EQ(judge(r, expect_ok()).failed, gc::accessed_dirty);
    r = read_ok();
    r.chain_after[3] |= 0x40;  // a read set D
    EXPECT_EQ(judge(r, expect_ok()).failed, gc::accessed_dirty);
    h::AccessRecord w = read_ok();
    w.kind = static_cast<std::uint8_t>(h::AccessKind::write);
    EXPECT_EQ(judge(w, expect_ok()).failed, gc::accessed_dirty);  // a write left D clear
    w.chain_after[3] |= 0x40;
    EXPECT_EQ(judge(w, expect_ok()).failed, 0);
    w.chain_after[2] |= 0x40;  // D in a non-leaf entry: "bits other than A changed"
    EXPECT_EQ(judge(w, expect_ok()).failed, gc::accessed_dirty);
    h::AccessRecord f = page_fault(0x9, 0x9);
    f.chain_after[0] |= 0x20;  // A above a fault: a "may"
    EXPECT_EQ(judge(f, expect_fault(14, 0x9)).failed, 0);
    f.chain_after[3] |= 0x40;  // D by a faulting access: never
    EXPECT_EQ(judge(f, expect_fault(14, 0x9)).failed, gc::accessed_dirty);
    h::AccessRecord pae = read_ok();
    pae.chain_count = pae.prediction.chain_count = 3;
    pae.chain_after[0] = pae.chain_before[0];  // the PDPTE register has no A bit (PAE level 3 is skipped)
    EXPECT_EQ(judge(pae, expect_ok(), kPae).failed, 0);
    EXPECT_EQ(judge(pae, expect_ok(), kLong4).failed, gc::accessed_dirty);
}

TEST(GuestJudge, EntryExpectation) {
    h::EntryRecord r{};
    r.found = 1;
    r.value = 0x20'1023;  // A set, D clear
    h::StepExpect e{};
    EXPECT_EQ(judge_entry(r, e).judged, 0);  // no expectation: nothing judged
    e.kind = static_cast<std::uint8_t>(h::ExpectKind::entry);
    e.flags = h::expect_flag::accessed | h::expect_flag::dirty;
    e.value = 0x20;
    EXPECT_EQ(judge_entry(r, e).failed, 0);
    e.value = 0x60;
    EXPECT_EQ(judge_entry(r, e).failed, gc::expectation);
    e.flags = h::expect_flag::accessed;  // D not asked
    EXPECT_EQ(judge_entry(r, e).failed, 0);
    r.found = 0;
    EXPECT_EQ(judge_entry(r, e).failed, gc::expectation);
}

TEST(GuestJudge, TableEntryExpectationComparesTheEntryExactly) {
    // A read through a recursive slot must return the raw entry of the level that maps `of` in the guest's tables.
    h::StepExpect e{};
    e.kind = static_cast<std::uint8_t>(h::ExpectKind::table_entry);
    e.vector = 1;  // the PTE
    e.value = 0x4000'0000;
    const std::uint64_t pte = 0x8000'0000'0040'0003;
    unsigned asked_level = 0;
    std::uint64_t asked_va = 0;
    const auto tables = [&](unsigned level, std::uint64_t va, std::uint64_t& out) {
        asked_level = level;
        asked_va = va;
        out = pte;
        return true;
    };
    const auto none = [](unsigned, std::uint64_t, std::uint64_t&) { return false; };
    const h::AccessRecord right = read_ok(0xffff'9600'0020'0000, pte);
    const auto j = judge_access(right, e, kLong4, no_frames, tables);
    EXPECT_EQ(j.judged, gc::all);
    EXPECT_EQ(j.failed, 0);
    EXPECT_EQ(asked_level, 1u);
    EXPECT_EQ(asked_va, 0x4000'0000u);
    // Another value (here: the entry of the next page), no such entry, or a fault: the expectation fails.
    EXPECT_EQ(judge_access(read_ok(0xffff'9600'0020'0000, pte + 0x1000), e, kLong4, no_frames, tables).failed,
              gc::expectation);
    EXPECT_EQ(judge_access(right, e, kLong4, no_frames, none).failed, gc::expectation);
    EXPECT_EQ(judge(right, e).failed, gc::expectation);  // without tables to look in
    EXPECT_EQ(judge_access(page_fault(0x5, 0x5), e, kLong4, no_frames, tables).failed, gc::expectation);
    // 32-bit paging: 4-byte entries, so only the low half of the 8 bytes read is the entry (SDM Vol. 3A §4.3).
    const auto tables32 = [](unsigned, std::uint64_t, std::uint64_t& out) {
        out = 0x40'0003;
        return true;
    };
    h::AccessRecord two = read_ok(0x4b10'0000, 0x40'1003'0040'0003);  // PTE 0 and PTE 1
    two.chain_count = two.prediction.chain_count = 2;
    EXPECT_EQ(judge_access(two, e, kLegacy32, no_frames, tables32).failed, 0);
    two.value = 0x40'0003'0040'1003;
    EXPECT_EQ(judge_access(two, e, kLegacy32, no_frames, tables32).failed, gc::expectation);
}

TEST(GuestJudge, ControlWriteAgainstPredictionAndReloadExpectation) {
    h::ControlWriteRecord w{};
    w.predicted_vector = 13;  // a PDPTE with a reserved bit: #GP(0) at the load
    w.outcome = 1;
    w.vector = 13;
    w.has_error_code = 1;
    EXPECT_EQ(judge_control_write(w, nullptr).judged, gc::prediction);
    EXPECT_EQ(judge_control_write(w, nullptr).failed, 0);
    const h::StepExpect gp = expect_fault(13, 0);
    EXPECT_EQ(judge_control_write(w, &gp).failed, 0);
    const h::StepExpect ok = expect_ok();
    EXPECT_EQ(judge_control_write(w, &ok).failed, gc::expectation);
    w.outcome = 0;  // QEMU 7.2 completes it
    w.vector = 0;
    EXPECT_EQ(judge_control_write(w, &gp).failed, gc::expectation | gc::prediction);
}

// ---- the guest's judgement against the host's evaluation, on random records ----

namespace {

const char* const kOne = R"(rule = "r"
modes = ["4level"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "rw"
[[step]]
op = "%OP%"
va = %VA%
%EXTRA%
expect = %EXPECT%
)";

std::string replace(std::string s, const std::string& what, const std::string& with) {
    s.replace(s.find(what), what.size(), with);
    return s;
}

}  // namespace

TEST(GuestJudge, AgreesWithTheHostsEvaluationOnRandomRecords) {
    struct Form {
        const char* op;
        const char* extra;
        const char* expect;
        std::uint64_t va = 0x4000'0008;
    };
    const Form forms[] = {
        {"read", "", "\"ok\""},
        {"read", "", "{ ok = true, value = 0x8c3 }"},
        {"read", "", "{ ok = true, frames = [0, 1] }"},
        {"write", "", "{ fault = \"PF\", error = \"P|W\" }"},
        {"write", "cpl = 3", "{ fault = \"PF\" }"},
        {"read", "", "{ fault = \"PF\", error = 9, cr2 = 0x4000_0000 }"},
        {"read", "", "\"model\""},
        {"read", "stale = true", "{ ok = true, frames = [0, 1] }"},
        {"implicit", "", "\"ok\""},
        // Widths, and accesses across a page boundary (a walk and a prediction per page).
        {"read", "size = 4", "{ ok = true, value = 0x8c3 }"},
        {"read", "size = 2", "{ ok = true, frames = [0, 1] }"},
        {"write", "", "{ fault = \"PF\", error = \"W\", cr2 = 0x4000_1000 }", 0x4000'0ffc},
        {"read", "size = 2", "\"ok\"", 0x4000'0fff},
        {"write", "size = 4", "\"model\"", 0x4000'0ffe},
        {"read", "", "{ fault = \"PF\", error = 3 }", 0x4000'0ff9},
    };
    std::mt19937_64 rng(20240611);
    auto pick = [&](std::initializer_list<std::uint64_t> v) { return *(v.begin() + rng() % v.size()); };
    unsigned compared = 0;
    for (const Form& form : forms) {
        const std::string text =
            replace(replace(replace(replace(kOne, "%OP%", form.op), "%EXTRA%", form.extra), "%EXPECT%", form.expect),
                    "%VA%", std::to_string(form.va));
        auto parsed = scenario::parse_scenario_text(text, "random.toml");
        ASSERT_TRUE(parsed.ok()) << parsed.errors.front().to_string();
        const scenario::Scenario s = parsed.scenario;
        auto compiled = scenario::compile(s, PagingMode::long4);
        ASSERT_TRUE(compiled.ok()) << compiled.errors.front().to_string();
        compiled.program.scenario = &s;
        const h::Step* step = h::program_steps(compiled.program.bytes.data());
        while (step->op != static_cast<std::uint16_t>(h::StepOp::access)) ++step;
        for (int round = 0; round < 400; ++round) {
            h::AccessRecord a = read_ok(form.va, pick({0x8c3, 0x108c3, 0x1234, 0xc3}));
            a.header = h::make_header(h::RecordType::access, sizeof a);
            a.step = 2;
            a.width = step->width;
            a.crosses = h::crosses_page(a.va, step->width) ? 1 : 0;
            a.kind = step->access;
            a.cpl = step->cpl;
            a.access_flags = step->access_flags;
            a.prediction.kind = static_cast<std::uint8_t>(pick({0, 0, 1, 1, 2}));
            a.prediction.error_code = static_cast<std::uint32_t>(pick({0x3, 0x7, 0x9}));
            if (pick({0, 1}) != 0) {
                a.outcome = 1;
                a.vector = static_cast<std::uint8_t>(pick({14, 14, 13}));
                a.has_error_code = 1;
                a.error_code = pick({0x3, 0x7, 0x9, 0x8});
                a.cr2 = a.crosses != 0 ? pick({a.va, a.va + 1, 0x4000'0fff, 0x4000'1000, 0x4000'1001, 0x4000'1004})
                                       : pick({0x4000'0008, 0x4000'0000});
                a.value = 0;
            }
            for (unsigned i = 0; i < 4; ++i) {
                a.chain_after[i] = a.chain_before[i] | (pick({0, 1, 1}) != 0 ? 0x20 : 0);
                if (pick({0, 0, 0, 1}) != 0) a.chain_after[i] |= 0x40;
            }
            if (a.crosses != 0) {
                a.second.kind = static_cast<std::uint8_t>(pick({0, 0, 1, 1, 2}));
                a.second.error_code = static_cast<std::uint32_t>(pick({0x2, 0x3, 0x7}));
                a.second_chain_count = 4;
                for (unsigned i = 0; i < 4; ++i) {
                    a.second_chain_before[i] = 0x30'1003 + i * 0x1000;
                    a.second_chain_after[i] = a.second_chain_before[i] | (pick({0, 1, 1}) != 0 ? 0x20 : 0);
                    if (pick({0, 0, 0, 1}) != 0) a.second_chain_after[i] |= 0x40;
                }
            }
            const auto memory = [](std::uint32_t frame, std::uint32_t off) -> std::uint64_t {
                return ((std::uint64_t{frame} << 12 | off) << 8) | 0xc3;
            };
            a.guest = judge_access(a, step->expect, kLong4, memory);
            // The host, on the same record.
            host::RunResult run;
            run.backend = "kvm";
            run.outcome = host::Outcome::passed;
            h::RunInfoRecord ri{};
            ri.header = h::make_header(h::RecordType::run_info, sizeof ri);
            ri.mode = static_cast<std::uint8_t>(kLong4);
            ri.code_bits = 64;
            ri.data_base = 0x40'0000;
            run.records.push_back({h::decode(reinterpret_cast<const std::uint8_t*>(&ri), sizeof ri).record, 0});
            const auto d = h::decode(reinterpret_cast<const std::uint8_t*>(&a), sizeof a);
            ASSERT_TRUE(d.ok()) << h::to_string(d.error);
            run.records.push_back({d.record, 0});
            const check::Evaluation e = check::evaluate(compiled.program, run, nullptr, {"kvm", "Linux"});
            std::uint8_t host_failed = 0;
            for (const auto& f : e.findings)
                if (f.severity != check::Finding::Severity::note && f.step == 2)
                    host_failed |= check::guest_check_of(f.check);
            EXPECT_EQ(host_failed & a.guest.judged, a.guest.failed)
                << form.op << " " << form.expect << " round " << round;
            EXPECT_EQ(host_failed & ~a.guest.judged, 0) << form.op << " " << form.expect << " round " << round;
            ++compared;
        }
    }
    EXPECT_EQ(compared, 15u * 400u);
}

namespace {

h::StepExpect expect_model() {
    h::StepExpect e{};
    e.kind = static_cast<std::uint8_t>(h::ExpectKind::model);
    return e;
}

/// A write of 8 bytes at 0x4000_0ffc: the first page maps, the second does not (#PF 0x2 predicted there).
h::AccessRecord split_write_second_page_faults() {
    h::AccessRecord a = page_fault(0x2, 0x2, 0x4000'0ffc);
    a.kind = static_cast<std::uint8_t>(h::AccessKind::write);
    a.width = 8;
    a.crosses = 1;
    a.prediction.kind = 0;  // the first page: a mapping
    a.prediction.vector = 0;
    a.prediction.error_code = 0;
    a.second.kind = 1;
    a.second.vector = 14;
    a.second.error_code = 0x2;
    a.second_chain_count = 4;
    for (unsigned i = 0; i < 4; ++i) a.second_chain_before[i] = a.second_chain_after[i] = 0x30'1003 + i * 0x1000;
    a.cr2 = 0x4000'1000;
    return a;
}

}  // namespace

TEST(GuestJudge, AnAccessAcrossAPageBoundaryFaultsOnThePageThatFaults) {
    h::AccessRecord a = split_write_second_page_faults();
    h::StepExpect e = expect_fault(14, 0x2);
    e.flags |= h::expect_flag::cr2;
    e.value = 0x4000'1000;
    EXPECT_EQ(judge(a, e).failed, 0);
    a.cr2 = 0x4000'1003;  // the access's last byte: in the faulting page too
    EXPECT_EQ(judge(a, e).failed, 0);
    a.cr2 = 0x4000'1004;  // past the access
    EXPECT_EQ(judge(a, e).failed, gc::expectation | gc::prediction);
    a.cr2 = 0x4000'0ffc;  // the access's first byte, but the page that did not fault
    EXPECT_EQ(judge(a, e).failed, gc::expectation | gc::prediction);
    a.cr2 = 0x4000'1000;
    a.error_code = 0x3;  // the error code of another page's fault
    EXPECT_EQ(judge(a, e).failed & gc::prediction, gc::prediction);
    // Both pages predicted to fault: the #PF of either is right.
    a = split_write_second_page_faults();
    a.prediction.kind = 1;
    a.prediction.error_code = 0x3;
    a.error_code = 0x3;
    a.cr2 = 0x4000'0ffd;
    EXPECT_EQ(judge(a, expect_model()).failed, 0);
    a.cr2 = 0x4000'1000;  // 0x3 is the first page's error code, CR2 the second's
    EXPECT_EQ(judge(a, expect_model()).failed, gc::prediction);
    // Neither page faults: the access completes.
    a = split_write_second_page_faults();
    a.second.kind = 0;
    EXPECT_EQ(judge(a, expect_model()).failed, gc::prediction);
}

TEST(GuestJudge, AFaultingSplitWriteMaySetDirtyOnlyOnThePageItWasAllowedTo) {
    h::AccessRecord a = split_write_second_page_faults();
    const h::StepExpect model = expect_model();
    a.chain_after[3] |= 0x40;  // D in the first page's leaf
    EXPECT_EQ(judge(a, model).failed, 0);
    a.chain_after[2] |= 0x40;  // D in a table entry above it
    EXPECT_EQ(judge(a, model).failed, gc::accessed_dirty);
    a.chain_after[2] &= ~std::uint64_t{0x40};
    a.second_chain_after[2] |= 0x40;  // D in the faulting page's last entry read
    a.second_chain_after[3] |= 0x40;
    EXPECT_EQ(judge(a, model).failed, gc::accessed_dirty);
    // A read sets no D anywhere, whatever faults.
    a = split_write_second_page_faults();
    a.kind = static_cast<std::uint8_t>(h::AccessKind::read);
    a.error_code = a.second.error_code = 0;
    a.chain_after[3] |= 0x40;
    EXPECT_EQ(judge(a, model).failed, gc::accessed_dirty);
}

TEST(GuestJudge, ANarrowReadMatchesTheLowBytesOfItsFrame) {
    h::AccessRecord a = read_ok(0x4000'0008, 0x8c3);
    a.width = 2;
    h::StepExpect e = expect_ok();
    e.frame_count = 1;
    const auto memory = [](std::uint32_t, std::uint32_t off) -> std::uint64_t {
        return (std::uint64_t{off} << 8) | 0xc3;
    };
    EXPECT_EQ(judge_access(a, e, kLong4, memory).failed, 0);
    a.width = 1;  // one byte of 0x8c3 is 0xc3
    EXPECT_EQ(judge_access(a, e, kLong4, memory).failed, gc::expectation);
    a.value = 0xc3;
    EXPECT_EQ(judge_access(a, e, kLong4, memory).failed, 0);
}

TEST(GuestJudge, OkOrFaultAcceptsEitherOutcomeButOnlyTheNamedFault) {
    h::StepExpect e = expect_fault(14, 0x3);
    e.kind = static_cast<std::uint8_t>(h::ExpectKind::ok_or_fault);
    e.flags |= h::expect_flag::stale;
    EXPECT_EQ(judge(read_ok(), e).failed, 0);                           // the old translation: completed
    EXPECT_EQ(judge(page_fault(0x3, 0x3), e).failed, 0);                // the new one: the named #PF
    EXPECT_EQ(judge(page_fault(0x3, 0x1), e).failed, gc::expectation);  // another error code
    e.frame_count = 1;  // a completed read must return what frame 0 holds
    EXPECT_EQ(judge(read_ok(), e).failed, gc::expectation);
}
