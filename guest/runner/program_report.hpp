// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: the human side of a boot's programs — one line per program and the summary, on the VGA
// text screen and as plain text on COM1 (between the record lines, which the host's decoder skips over), plus the
// status line at the top of the screen. Portable (-m32 and -m64: 32-bit decimal arithmetic only).
//
// Line formats on COM1 (the host's ISO check parses both, host/iso/guest_lines.cpp):
//   [  3/233] PASS  4level  not-present                              9 steps checked
//   [  4/233] FAIL  pae     wrong-expectation                        step 1 failed (expectation), 1 of 1 steps
//   [  5/233] SKIP  5level  huge-page-1g                             CPU lacks la57
//   pagewalk: 187 passed, 46 failed, 0 skipped (233 programs)
// On the screen a program line fits 80 columns: the name cut at 32 characters, the detail short
// ("9 checked", "step 1: exp", "CPU lacks la57").
#pragma once

#include <cstdint>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/mode.hpp>

#include "report/boot_context.hpp"
#include "report/reporter.hpp"
#include "report/screen.hpp"
#include "report/text.hpp"
#include "runner/verdict.hpp"

namespace pagewalk::guest::runner {

/// Scenario-file names of the program modes ("?" for none).
constexpr const char* mode_name(std::uint8_t mode) {
    const auto m = paging_mode_from_value(mode);
    return m ? to_string(*m) : "?";
}

/// Scenario-file names of harness::feature bits, space-separated.
inline Text& feature_names(Text& t, std::uint64_t bits) {
    constexpr const char* names[] = {"nx",  "smep",  "smap", "pku",  "la57", "page1gb",
                                     "pse", "pse36", "pge",  "pcid", "pat",  "invpcid"};
    static_assert((std::uint64_t{1} << (sizeof names / sizeof names[0])) - 1 == harness::feature::all,
                  "one name per harness::feature bit");
    bool first = true;
    for (unsigned b = 0; b < sizeof names / sizeof names[0]; ++b) {
        if ((bits & (std::uint64_t{1} << b)) == 0) continue;
        if (!first) t << " ";
        t << names[b];
        first = false;
    }
    return t;
}

/// The checks named by guest_check bits: "expectation", "prediction", "A/D", joined with "+".
inline Text& check_names(Text& t, std::uint8_t bits) {
    const char* sep = "";
    if ((bits & harness::guest_check::expectation) != 0) t << sep << "expectation", sep = "+";
    if ((bits & harness::guest_check::prediction) != 0) t << sep << "prediction", sep = "+";
    if ((bits & harness::guest_check::accessed_dirty) != 0) t << sep << "A/D";
    return t;
}

/// The checks named by guest_check bits, short: "exp", "pred", "A/D", joined with "+".
inline Text& check_abbreviations(Text& t, std::uint8_t bits) {
    const char* sep = "";
    if ((bits & harness::guest_check::expectation) != 0) t << sep << "exp", sep = "+";
    if ((bits & harness::guest_check::prediction) != 0) t << sep << "pred", sep = "+";
    if ((bits & harness::guest_check::accessed_dirty) != 0) t << sep << "A/D";
    return t;
}

/// Why a program was skipped or stopped, in words (`brief`: for the screen, without explanations).
inline Text& stop_reason(Text& t, const ProgramOutcome& o, std::uint8_t mode, bool brief = false) {
    using harness::StepFailure;
    switch (o.reason) {
        case StepFailure::feature_missing:
            return feature_names(t << "CPU lacks ", o.detail);
        case StepFailure::cpu_mismatch:
            if (o.code == 0) {
                feature_names(t << "CPU has ", o.detail);
                return brief ? t : t << " (the rule needs it absent)";
            }
            t << (brief ? "MAXPHYADDR " : "MAXPHYADDR is ");
            t.dec(static_cast<std::uint32_t>(o.detail & 0xff)) << (brief ? ", not " : ", the steps assume ");
            return t.dec(static_cast<std::uint32_t>(o.address & 0xff));
        case StepFailure::unsupported_mode:
            return t << (brief ? "no " : "this boot cannot run ") << mode_name(mode) << " paging";
        case StepFailure::bad_program:
            return t << "not a valid program";
        case StepFailure::memory_too_small:
            if (o.code == 1)
                return (t << (brief ? "firmware memory at " : "its physical address ")).hex(o.address)
                       << (brief ? "" : " lies in firmware-reserved memory (memory map)");
            return t << "not enough memory below 1 GiB";
        case StepFailure::build_trapped:
            return t << "the runner's table building trapped";
        default:
            break;
    }
    t << "step ";
    t.dec(o.step) << ": ";
    switch (o.reason) {
        case StepFailure::mapper_error:
            return t << "the mapper refused";
        case StepFailure::entry_not_found:
            return t << "no such entry";
        case StepFailure::context_error:
            return t << "register set rejected by the walker";
        default:
            t << "step failure ";
            return t.dec(static_cast<std::uint32_t>(o.reason));
    }
}

/// "[  3/233] PASS  4level  not-present   9 steps checked" for program `index` (1-based) of `total`; `screen`: the
/// form that fits 80 columns.
inline void program_line(Text& t, std::uint32_t index, std::uint32_t total, std::uint8_t mode, const char* name,
                         const ProgramOutcome& o, bool screen = false) {
    static constexpr const char* verdicts[] = {"?", "PASS", "FAIL", "SKIP", "ERROR"};
    static_assert(sizeof verdicts / sizeof verdicts[0] == harness::kMaxProgramVerdict + 1u, "one per verdict");
    const harness::ProgramVerdict v = o.verdict();
    t << "[";
    t.dec(index, 3) << "/";
    t.dec(total) << "] ";
    t.pad(verdicts[static_cast<unsigned>(v)], 6).pad(mode_name(mode), 8).pad(name, screen ? 32 : 40) << " ";
    switch (v) {
        case harness::ProgramVerdict::passed:
            t.dec(o.steps_judged) << (screen ? " checked" : " steps checked");
            break;
        case harness::ProgramVerdict::failed:
            t << "step ";
            t.dec(o.first_failed_step);
            if (screen) {
                check_abbreviations(t << ": ", o.failed_checks);
                break;
            }
            check_names(t << " failed (", o.failed_checks) << "), ";
            t.dec(o.steps_failed) << " of ";
            t.dec(o.steps_judged) << " steps";
            break;
        default:
            stop_reason(t, o, mode, screen);
            break;
    }
}

/// The screen attribute of a verdict.
constexpr std::uint8_t verdict_attr(harness::ProgramVerdict v) {
    return v == harness::ProgramVerdict::passed    ? attr::pass
           : v == harness::ProgramVerdict::skipped ? attr::skip
                                                   : attr::fail;
}

/// "pagewalk: 187 passed, 46 failed, 0 skipped (233 programs)" — failed counts errors too.
inline void summary_line(Text& t, const RunTally& tally) {
    t << "pagewalk: ";
    t.dec(tally.passed, 0) << " passed, ";
    t.dec(tally.failed + tally.errors, 0) << " failed, ";
    t.dec(tally.skipped, 0) << " skipped (";
    t.dec(tally.done, 0) << " programs)";
}

/// The status line: "pagewalk  37/233 programs  31 passed  5 failed  1 skipped".
inline void status_line(Text& t, const RunTally& tally) {
    t << " pagewalk  ";
    t.dec(tally.done, 0) << "/";
    t.dec(tally.modules, 0) << " programs   ";
    t.dec(tally.passed, 0) << " passed   ";
    t.dec(tally.failed + tally.errors, 0) << " failed   ";
    t.dec(tally.skipped, 0) << " skipped";
}

/// Writes `text` as one line on the screen (if it is on; `screen_text` instead when given) and as plain text on COM1
/// (serial transport).
inline void console_line(Reporter& r, Screen& screen, const char* text, std::uint8_t a = attr::normal,
                         const char* screen_text = nullptr) {
    if (screen_text != nullptr)
        screen.line(screen_text, a, false);  // one row: a program line is cut at the right edge
    else
        screen.line(text, a);
    if (r.transport() != harness::TransportKind::serial) return;
    r.console(text);
    r.console("\n");
}

}  // namespace pagewalk::guest::runner
