// SPDX-License-Identifier: MIT OR Apache-2.0
// Test helpers: the guest's side of a synthetic run — its judgement in a record and its program_end — so that the
// host's cross-check (check/guest_verdict.hpp) sees what a guest that agrees with the host would send. The counts
// of the program_end are derived from the records' judgements, in record order, the way the guest counts.
#pragma once

#include <cstdint>
#include <map>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <vector>

#include "run/run_result.hpp"

namespace pagewalk::test {

/// A judgement: `judged` checks made, `failed` of them failing.
inline harness::GuestJudgement judgement(std::uint8_t judged, std::uint8_t failed = 0) {
    harness::GuestJudgement j{};
    j.judged = judged;
    j.failed = failed;
    return j;
}
/// Every check of an access (expectation, prediction, A/D), `failed` of them failing.
inline harness::GuestJudgement access_judgement(std::uint8_t failed = 0) {
    return judgement(harness::guest_check::all, failed);
}

/// The program_end a guest sends after these records: counts from their judgements, and `verdict` (0: passed or
/// failed from the counts).
inline harness::ProgramEndRecord program_end(const std::vector<host::ReceivedRecord>& records,
                                             std::uint32_t scenario_id, std::uint8_t verdict = 0) {
    harness::ProgramEndRecord e{};
    e.header = harness::make_header(harness::RecordType::program_end, sizeof e);
    e.scenario_id = scenario_id;
    e.code_bits = 64;
    std::map<std::uint32_t, harness::GuestJudgement> steps;
    std::vector<std::uint32_t> order;
    auto note = [&](std::uint32_t step, const harness::GuestJudgement& j) {
        if (j.judged == 0) return;
        if (steps.count(step) == 0) order.push_back(step);
        steps[step].judged |= j.judged;
        steps[step].failed |= j.failed;
    };
    for (const auto& rr : records) {
        if (const auto* a = rr.record.access()) note(a->step, a->guest);
        if (const auto* n = rr.record.entry()) note(n->step, n->guest);
        if (const auto* w = rr.record.control_write()) note(w->step, w->guest);
    }
    for (std::uint32_t s : order) {
        ++e.steps_judged;
        if (steps[s].failed == 0) {
            ++e.steps_passed;
            continue;
        }
        if (e.steps_failed++ == 0) e.first_failed_step = s;
        e.failed_checks |= steps[s].failed;
    }
    e.verdict = verdict != 0 ? verdict
                             : static_cast<std::uint8_t>(e.steps_failed != 0 ? harness::ProgramVerdict::failed
                                                                             : harness::ProgramVerdict::passed);
    return e;
}

/// Appends `rec` (header type set by the caller) to the run, with its sequence number; false if it does not decode.
template <class T>
bool append(host::RunResult& run, T rec) {
    rec.header = harness::make_header(static_cast<harness::RecordType>(rec.header.type), sizeof rec);
    rec.header.sequence = static_cast<std::uint32_t>(run.records.size());
    const auto d = harness::decode(reinterpret_cast<const std::uint8_t*>(&rec), sizeof rec);
    if (!d.ok()) return false;
    run.records.push_back({d.record, 0});
    return true;
}

/// Appends the program_end a guest that agrees would send (see program_end()).
inline bool end_program(host::RunResult& run, std::uint32_t scenario_id = 0, std::uint8_t verdict = 0) {
    return append(run, program_end(run.records, scenario_id, verdict));
}

}  // namespace pagewalk::test
