// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/guest_verdict.hpp"

#include <map>

#include "check/chain.hpp"

namespace pagewalk::host::check {
namespace {

namespace gc = harness::guest_check;

std::string check_names(std::uint8_t bits) {
    std::string s;
    for (const auto& [bit, name] :
         {std::pair{gc::expectation, "expectation"}, {gc::prediction, "prediction"}, {gc::accessed_dirty, "A/D"}}) {
        if ((bits & bit) == 0) continue;
        if (!s.empty()) s += "+";
        s += name;
    }
    return s.empty() ? "none" : s;
}

struct StepBits {
    std::uint8_t judged = 0, failed = 0;
};

void disagree(Evaluation& e, std::uint32_t step, std::string message) {
    Finding f;
    f.step = step;
    f.check = "guest verdict";
    f.message = std::move(message) + " — the guest's own check and the host's disagree";
    e.add(std::move(f));
    e.guest_agrees = false;
}

}  // namespace

std::uint8_t guest_check_of(const std::string& check) {
    if (check == "expectation") return gc::expectation;
    if (check == "prediction") return gc::prediction;
    if (check == "A/D") return gc::accessed_dirty;
    return 0;
}

const char* verdict_word(std::uint8_t v) {
    switch (static_cast<harness::ProgramVerdict>(v)) {
        case harness::ProgramVerdict::passed:
            return "PASS";
        case harness::ProgramVerdict::failed:
            return "FAIL";
        case harness::ProgramVerdict::skipped:
            return "SKIP";
        case harness::ProgramVerdict::error:
            return "ERROR";
    }
    return "?";
}

harness::ProgramVerdict expected_guest_verdict(const Evaluation& host) {
    if (host.verdict == Verdict::skip) return harness::ProgramVerdict::skipped;
    bool failed = false;
    for (const Finding& f : host.findings) {
        if (f.severity == Finding::Severity::note) continue;
        if (f.check == "step") return harness::ProgramVerdict::error;
        if (guest_check_of(f.check) != 0) failed = true;
    }
    return failed ? harness::ProgramVerdict::failed : harness::ProgramVerdict::passed;
}

void cross_check_guest(const scenario::Program& program, const std::vector<ReceivedRecord>& records, bool complete,
                       Evaluation& e) {
    // The guest's judgements, per step, in the order the steps ran.
    std::map<std::uint32_t, StepBits> guest;
    std::vector<std::uint32_t> order;
    const harness::ProgramEndRecord* end = nullptr;
    auto note = [&](std::uint32_t step, const harness::GuestJudgement& j) {
        if (j.judged == 0) return;
        auto [it, fresh] = guest.try_emplace(step);
        if (fresh) order.push_back(step);
        it->second.judged |= j.judged;
        it->second.failed |= j.failed;
    };
    for (const ReceivedRecord& rr : records) {
        const harness::DecodedRecord& r = rr.record;
        if (const auto* a = r.access()) note(a->step, a->guest);
        if (const auto* n = r.entry()) note(n->step, n->guest);
        if (const auto* w = r.control_write()) note(w->step, w->guest);
        if (const auto* x = r.program_end(); x != nullptr && end == nullptr) end = x;
    }
    // The host's findings in the same terms (a known deviation is a failure to the guest).
    std::map<std::uint32_t, std::uint8_t> host;
    for (const Finding& f : e.findings)
        if (f.severity != Finding::Severity::note) host[f.step] |= guest_check_of(f.check);

    for (const auto& [step, g] : guest) {
        const std::uint8_t h = host.count(step) != 0 ? host.at(step) : 0;
        if ((h & g.judged) != g.failed)
            disagree(e, step,
                     "the guest found " + check_names(g.failed) + " failing, the host " + check_names(h & g.judged));
        else if ((h & ~g.judged) != 0)
            disagree(e, step,
                     "the host found " + check_names(h & ~g.judged) + " failing, which the guest did not judge");
    }
    for (const auto& [step, h] : host)
        if (h != 0 && guest.count(step) == 0 && complete)
            disagree(e, step, "the host found " + check_names(h) + " failing, the guest judged nothing there");

    if (end == nullptr) {
        if (complete) disagree(e, 0, "no program_end record: the guest gave no verdict");
        return;
    }
    e.guest_verdict = end->verdict;
    if (end->scenario_id != program.scenario_id)
        disagree(e, 0,
                 "program_end names scenario " + std::to_string(end->scenario_id) + ", this is " +
                     std::to_string(program.scenario_id));
    // The counts must be those of its own records.
    std::uint32_t failed = 0, first_failed = 0;
    std::uint8_t failed_checks = 0;
    for (std::uint32_t step : order) {
        const StepBits& g = guest.at(step);
        if (g.failed == 0) continue;
        if (failed++ == 0) first_failed = step;
        failed_checks |= g.failed;
    }
    if (end->steps_judged != guest.size() || end->steps_failed != failed || end->failed_checks != failed_checks ||
        (failed != 0 && end->first_failed_step != first_failed))
        disagree(e, 0,
                 "program_end counts (" + std::to_string(end->steps_judged) + " judged, " +
                     std::to_string(end->steps_failed) + " failed, first " + std::to_string(end->first_failed_step) +
                     ", " + check_names(static_cast<std::uint8_t>(end->failed_checks)) + ") differ from its records (" +
                     std::to_string(guest.size()) + " judged, " + std::to_string(failed) + " failed, first " +
                     std::to_string(first_failed) + ", " + check_names(failed_checks) + ")");
    const harness::ProgramVerdict want = expected_guest_verdict(e);
    if (end->verdict != static_cast<std::uint8_t>(want))
        disagree(e, 0,
                 std::string("the guest's verdict is ") + verdict_word(end->verdict) + ", the host's checks say " +
                     verdict_word(static_cast<std::uint8_t>(want)));
}

}  // namespace pagewalk::host::check
