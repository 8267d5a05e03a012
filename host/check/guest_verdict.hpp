// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the cross-check of the guest's own verdicts. The guest judges every step itself (so that a boot
// with no host still says PASS or FAIL: guest/runner/judge.hpp) and reports its judgement in each access, entry and
// control_write record and its verdict on the program in the program_end record. The host judges the same records
// independently (evaluate.cpp); here the two are compared, check by check and step by step. A disagreement is a
// failure ("guest verdict"): one of the two checkers is wrong.
//
// What the guest cannot know: the list of known backend deviations. A step the host counts as "deviation (known)"
// is a failed step to the guest (it judges by the SDM), and that is agreement. The host's "live" and "value" checks
// have no guest counterpart and are not compared.
#pragma once

#include <cstdint>
#include <pagewalk/harness/runner_records.hpp>
#include <string>
#include <vector>

#include "check/findings.hpp"
#include "run/run_result.hpp"
#include "scenario/compiler.hpp"

namespace pagewalk::host::check {

/// The guest_check bit a host finding's check corresponds to (0: none — "live", "value", "run", "step" …).
std::uint8_t guest_check_of(const std::string& check);

/// The program verdict the guest should have reached, from the host's own findings about the same records:
/// skipped when the host skipped, error when a step could not be carried out, failed when a guest-side check
/// (expectation, prediction, A/D) failed or found a known deviation, else passed.
harness::ProgramVerdict expected_guest_verdict(const Evaluation& host);

/// Compares the guest's judgements in `records` (one program's) with the host's findings in `e`, and the guest's
/// program_end record with expected_guest_verdict(); adds a "guest verdict" failure per disagreement and fills
/// e.guest_verdict. `complete`: the stream reached the program's end (else a missing program_end is no failure).
void cross_check_guest(const scenario::Program& program, const std::vector<ReceivedRecord>& records, bool complete,
                       Evaluation& e);

/// "PASS", "FAIL", "SKIP", "ERROR" ("?" for anything else), as the guest's lines say it.
const char* verdict_word(std::uint8_t program_verdict);

}  // namespace pagewalk::host::check
