// SPDX-License-Identifier: MIT OR Apache-2.0
#include "run/selftest_check.hpp"

namespace pagewalk::host {

std::string check_selftest(const RunResult& r, unsigned code_bits) {
    if (r.records.empty() || r.records.front().record.hello() == nullptr) return "no hello record first";
    const harness::ExceptionRecord* step[3] = {};
    const harness::FinalRecord* final = nullptr;
    for (const auto& rec : r.records) {
        if (const auto* x = rec.record.exception()) {
            if (x->step < 1 || x->step > 2) return "exception record with unexpected step " + std::to_string(x->step);
            if (step[x->step] != nullptr) return "two exception records for step " + std::to_string(x->step);
            step[x->step] = x;
        }
        if (rec.record.final_record() != nullptr) final = rec.record.final_record();
    }
    if (step[1] == nullptr) return "no exception record for step 1 (#PF at CPL 0)";
    if (step[2] == nullptr) return "no exception record for step 2 (#PF at CPL 3)";
    const auto* a = step[1];
    if (a->vector != 14 || a->error_code != 0 || a->cpl != 0 || a->cr2 != 0x40001234 || !a->expected)
        return "step 1: expected #PF error 0 at CPL 0 with CR2 0x40001234";
    const auto* b = step[2];
    if (b->vector != 14 || b->error_code != 7 || b->cpl != 3 || b->cr2 < 0x100000 || b->cr2 >= 0x200000 || !b->expected)
        return "step 2: expected #PF error 7 (P W U) at CPL 3 with CR2 in the image";
    for (const auto* x : {a, b})
        if (x->code_bits != code_bits)
            return "step " + std::to_string(x->step) + ": taken by " + std::to_string(x->code_bits) +
                   "-bit code, expected " + std::to_string(code_bits) + "-bit";
    if (final == nullptr) return "no final record";
    if (final->steps != 3 || final->status != 0) return "final record: expected 3 steps, status 0";
    return "";
}

}  // namespace pagewalk::host
