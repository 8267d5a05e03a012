// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: what the guest concludes about one program — its verdict and step counts, as the
// program_end record carries them. Portable (-m32 and -m64).
#pragma once

#include <cstdint>
#include <pagewalk/harness/runner_records.hpp>

namespace pagewalk::guest::runner {

/// Step failures that mean "this CPU cannot run the program" (SKIP), not "the program went wrong" (ERROR).
constexpr bool is_skip(harness::StepFailure why) {
    return why == harness::StepFailure::feature_missing || why == harness::StepFailure::unsupported_mode ||
           why == harness::StepFailure::cpu_mismatch;
}

/// The guest's verdict on one program, built step by step.
struct ProgramOutcome {
    std::uint32_t steps_executed = 0;
    std::uint32_t steps_judged = 0;
    std::uint32_t steps_passed = 0;
    std::uint32_t steps_failed = 0;
    std::uint32_t first_failed_step = 0;
    std::uint8_t failed_checks = 0;  ///< harness::guest_check bits
    bool stopped = false;            ///< a step failure ended the program (or it never started)
    harness::StepFailure reason{};   ///< when stopped: the StepFailedRecord's reason …
    std::uint8_t code = 0;           ///< … detail_code …
    std::uint32_t step = 0;          ///< … step (0: before any step) …
    std::uint64_t address = 0;       ///< … address …
    std::uint64_t detail = 0;        ///< … and detail

    /// Adds step `id`'s judgement (every check of every record of the step, OR-ed); a step nothing judged
    /// (map, invlpg …) is not counted.
    void judge_step(std::uint32_t id, const harness::GuestJudgement& j) {
        if (j.judged == 0) return;
        ++steps_judged;
        if (j.failed == 0) {
            ++steps_passed;
            return;
        }
        if (steps_failed++ == 0) first_failed_step = id;
        failed_checks = static_cast<std::uint8_t>(failed_checks | j.failed);
    }
    /// The program stopped at a step failure (the first one counts).
    void stop(harness::StepFailure why, std::uint8_t c, std::uint32_t at_step, std::uint64_t a, std::uint64_t d) {
        if (stopped) return;
        stopped = true;
        reason = why;
        code = c;
        step = at_step;
        address = a;
        detail = d;
    }

    [[nodiscard]] harness::ProgramVerdict verdict() const {
        if (stopped) return is_skip(reason) ? harness::ProgramVerdict::skipped : harness::ProgramVerdict::error;
        return steps_failed != 0 ? harness::ProgramVerdict::failed : harness::ProgramVerdict::passed;
    }
    /// The exit status of a boot that ran only this program: ok when it passed or was skipped.
    [[nodiscard]] harness::ExitStatus status() const {
        const harness::ProgramVerdict v = verdict();
        return v == harness::ProgramVerdict::passed || v == harness::ProgramVerdict::skipped
                   ? harness::ExitStatus::ok
                   : harness::ExitStatus::check_failed;
    }
};

}  // namespace pagewalk::guest::runner
