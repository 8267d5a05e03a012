// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/program_stream.hpp"

namespace pagewalk::host::check {

std::vector<ProgramSlice> split_programs(const RunResult& run) {
    std::vector<ProgramSlice> out;
    bool open = false;
    for (const ReceivedRecord& rr : run.records) {
        if (const auto* b = rr.record.program_begin()) {
            out.emplace_back();
            out.back().begin = *b;
            open = true;
        }
        if (!open) continue;
        ProgramSlice& s = out.back();
        s.records.push_back(rr);
        s.ms = rr.ms - s.records.front().ms;
        if (const auto* e = rr.record.program_end()) {
            s.ended = true;
            s.end = *e;
            open = false;
        }
    }
    return out;
}

RunResult program_run(const RunResult& run, const ProgramSlice& slice) {
    RunResult r;
    r.backend = run.backend;
    r.entry = run.entry;
    r.records = slice.records;
    r.first_record_ms = slice.records.empty() ? -1 : slice.records.front().ms;
    r.total_ms = slice.ms;
    if (slice.ended) {
        r.outcome = Outcome::passed;
        return r;
    }
    const bool run_complete = run.outcome == Outcome::passed || run.outcome == Outcome::guest_failed;
    r.outcome = run_complete ? Outcome::early_stop : run.outcome;
    r.detail = run_complete ? "the program's records end without a program_end record" : run.detail;
    r.console = run.console;
    r.registers = run.registers;
    return r;
}

}  // namespace pagewalk::host::check
