// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/findings.hpp"

namespace pagewalk::host::check {

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::pass:
            return "pass";
        case Verdict::fail:
            return "FAIL";
        case Verdict::skip:
            return "skip";
        case Verdict::known_deviation:
            return "deviation (known)";
    }
    return "?";
}

void Evaluation::conclude() {
    if (verdict == Verdict::skip) return;
    verdict = Verdict::pass;
    for (const Finding& f : findings) {
        if (f.severity == Finding::Severity::failure) {
            verdict = Verdict::fail;
            if (reason.empty())
                reason = (f.step != 0 ? "step " + std::to_string(f.step) + ": " : std::string()) + f.message;
        } else if (f.severity == Finding::Severity::known_deviation && verdict == Verdict::pass) {
            verdict = Verdict::known_deviation;
        }
    }
}

}  // namespace pagewalk::host::check
