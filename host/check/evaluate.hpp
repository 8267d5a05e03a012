// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: judging one scenario run from its records. Independent checks, each reported on its own:
//   (a) expectation  the outcome against what the scenario file says (ok / value / frame, or the exception);
//   (b) prediction   the outcome against the guest's walker prediction (kind, error code, CR2; a read's value
//                    against the data the host knows is at the predicted physical address);
//   (c) live         the host's own walk of the live tables (live_check.hpp), merged in here;
//   (d) A/D          accessed/dirty bits after each access (SDM Vol. 3A §4.8): A in every entry a successful
//                    access used, D in its leaf for a write, no D for a read, nothing else changed; an A set
//                    above a fault is a "may" and accepted either way;
//   (e) guest verdict the guest's own judgement of (a), (b), (d) and of the program, against the host's
//                    (guest_verdict.hpp).
// A disagreement about an exception that matches a known backend deviation becomes "deviation (known)".
#pragma once

#include <string>

#include "check/findings.hpp"
#include "check/live_check.hpp"
#include "run/run_result.hpp"
#include "scenario/compiler.hpp"

namespace pagewalk::host::check {

/// The backend a run used, for the deviation list.
struct BackendInfo {
    std::string name;     ///< "kvm" or "qemu"
    std::string version;  ///< QEMU's --version line; KVM: the kernel release
};

/// Evaluates a finished run of `program` on `backend`. `live` may be null (no live walk made).
Evaluation evaluate(const scenario::Program& program, const RunResult& run, const LiveChecker* live,
                    const BackendInfo& backend);

}  // namespace pagewalk::host::check
