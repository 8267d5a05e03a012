// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix --list-dimensions: each mode's dimensions, its count, how many combinations each legality rule
// removes and the legal rest.
#pragma once

#include <iosfwd>
#include <optional>
#include <pagewalk/harness/matrix/dimensions.hpp>
#include <pagewalk/mode.hpp>

namespace pagewalk::host::matrix {

/// Writes the dimensions and counts of `mode` (every mode when empty) in `space`.
void list_dimensions(std::ostream& out, std::optional<PagingMode> mode, harness::matrix::Space space);

}  // namespace pagewalk::host::matrix
