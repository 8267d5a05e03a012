// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: judging a control_write record — a control-register write that loaded the PAE PDPTE registers
// (Intel SDM Vol. 3A §4.4.1), or a reload_cr3 step. Two checks, each reported on its own:
//   prediction   the CPU's outcome against the guest walker's prediction of the PDPTE load (a present PDPTE with
//                a reserved bit: #GP(0); else the write completes);
//   expectation  for a reload_cr3 step with `expect`, the outcome against the scenario ("ok" or #GP).
// A disagreement that matches a known backend deviation becomes "deviation (known)".
#pragma once

#include <pagewalk/harness/runner_records.hpp>
#include <vector>

#include "check/evaluate.hpp"
#include "check/findings.hpp"
#include "scenario/scenario.hpp"

namespace pagewalk::host::check {

/// The findings about `w`; `spec` is its scenario step (nullptr for the runner's own write, step 0).
std::vector<Finding> check_control_write(const harness::ControlWriteRecord& w, const scenario::StepSpec* spec,
                                         const BackendInfo& backend);

/// The write in words: "MOV to CR3 (0x…)" and, for a PDPTE load, the PDPT it read.
std::string describe_control_write(const harness::ControlWriteRecord& w);

}  // namespace pagewalk::host::check
