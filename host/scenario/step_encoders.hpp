// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: one encoder per step op — what the compiler writes into the program's harness::Step, what it
// refuses (Diagnostics at the step's position), and what the step does to the compiler's models (shadow address
// space, TLB, PDPTE registers, control bits).
//
// Declared in the order, and named after the handlers, of the guest's ProgramRunner::execute switch
// (guest/runner/runner_core.hpp): encode_X_step prepares what X_step runs. The compiler (compiler.cpp) only
// dispatches to them.
#pragma once

#include "scenario/compile_state.hpp"

namespace pagewalk::host::scenario {

// step_encoders_tables.cpp
void encode_mapper_step(CompileState& c, const StepSpec& st, harness::Step& h);  ///< map, unmap, protect
void encode_edit_step(CompileState& c, const StepSpec& st, harness::Step& h);    ///< edit_entry
// step_encoders_access.cpp
void encode_access_step(CompileState& c, const StepSpec& st, harness::Step& h);  ///< access (also `va.recursive`)
// step_encoders_controls.cpp
void encode_invlpg(CompileState& c, const StepSpec& st, harness::Step& h);
void encode_load_cr3(CompileState& c, const StepSpec& st, harness::Step& h);
void encode_invpcid(CompileState& c, const StepSpec& st, harness::Step& h);
void encode_reload_cr3(CompileState& c, const StepSpec& st, harness::Step& h);
void encode_toggle_pge(CompileState& c, const StepSpec& st, harness::Step& h);
// step_encoders_access.cpp
void encode_read_entry_step(CompileState& c, const StepSpec& st, harness::Step& h);
// step_encoders_controls.cpp
void encode_control_step(CompileState& c, const StepSpec& st, harness::Step& h);  ///< set_control
// step_encoders_tables.cpp
void encode_recursive_step(CompileState& c, const StepSpec& st, harness::Step& h);
void encode_poke(CompileState& c, const StepSpec& st, harness::Step& h);
void encode_tag(CompileState& c, const StepSpec& st, harness::Step& h);  ///< tag steps come from the compiler only

/// The step's expectation as the guest judges it (harness/step_expect.hpp): the fields the host's evaluator reads
/// from the same StepSpec (check/evaluate.cpp, check/control_write.cpp). step_expectation.cpp.
harness::StepExpect expectation(CompileState& c, const StepSpec& st);

}  // namespace pagewalk::host::scenario
