// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what a paging mode makes of a scenario's controls, steps and addresses (used by the compiler).
#pragma once

#include <cstdint>

#include "scenario/scenario.hpp"

namespace pagewalk::host::scenario {

/// Whether step `st` runs in mode `m` (its `modes` list, or every mode when empty).
bool applies(const StepSpec& st, PagingMode m);

/// Controls as they take effect in `m`: CR4.PSE matters only in 32-bit paging (kept elsewhere with `keep_pse`: a
/// scenario that writes it out tests that PS ignores it), EFER.NXE only with PAE-format
/// entries (SDM Vol. 3A §4.1.3, §4.6.2); dropping them elsewhere keeps their CPU features from being required.
std::uint32_t mode_controls(std::uint32_t controls, PagingMode m, bool keep_pse = false);

/// The CPU features control bits need (harness::feature bits).
std::uint32_t control_features(std::uint32_t controls);

}  // namespace pagewalk::host::scenario
