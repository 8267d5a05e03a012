// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what the checks conclude about one scenario run — findings and a verdict.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pagewalk::host::check {

/// One thing a check found. Failures fail the scenario; known deviations are counted apart; notes only inform.
struct Finding {
    enum class Severity : std::uint8_t { failure, known_deviation, note } severity = Severity::failure;
    std::uint32_t step = 0;  ///< 0: not about one step
    std::string check;       ///< "expectation", "prediction", "live", "A/D", "value", "run", "step"
    std::string message;
    std::string detail;        ///< the entry chain, registers, last records … (multi-line, indented)
    std::string deviation_id;  ///< a known deviation: its id in the list (known_deviations.hpp)
};

/// A scenario run's verdict.
enum class Verdict : std::uint8_t { pass, fail, skip, known_deviation };
const char* to_string(Verdict v);

/// Everything the checks say about one scenario × mode run.
struct Evaluation {
    Verdict verdict = Verdict::pass;
    std::string reason;  ///< skip: why; fail: the first failure in one line
    std::vector<Finding> findings;
    unsigned accesses = 0;      ///< access records checked
    unsigned live_checked = 0;  ///< accesses walked from outside while the guest waited
    /// stale = true accesses (SDM Vol. 3A §4.10.4 allows the old translation or the new): those whose outcome (and
    /// value read) agreed with the tables in memory, and those that showed an older translation.
    unsigned stale_as_tables = 0, stale_older = 0;
    std::string live_source;         ///< where the live walk got registers ("KVM_GET_SREGS + KVM_TRANSLATE", …)
    std::uint8_t guest_verdict = 0;  ///< the guest's own verdict (harness::ProgramVerdict), 0: none received
    bool guest_agrees = true;        ///< the guest's judgements match the host's findings (check/guest_verdict.hpp)
    /// The run itself did not complete — watchdog, triple fault, crash, launch error — as opposed to a check that
    /// disagreed: CI reports call this an error, not a failure.
    bool run_broke = false;

    void add(Finding f) { findings.push_back(std::move(f)); }
    /// Sets the verdict from the findings (fail > known deviation > pass); skip stays skip.
    void conclude();
};

}  // namespace pagewalk::host::check
