// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: the exhaustive access matrix (harness/include/pagewalk/harness/matrix/). For now it lists the
// space: `pagewalk matrix --list-dimensions [--mode M] [--full]` prints each mode's dimensions, its count, how many
// combinations each legality rule removes and the legal rest.
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <optional>
#include <pagewalk/harness/matrix/dimensions.hpp>
#include <pagewalk/mode.hpp>
#include <string>

#include "cli/command.hpp"

namespace pagewalk::host::matrix {

/// Writes the dimensions and counts of `mode` (every mode when empty) in `space`.
void list_dimensions(std::ostream& out, std::optional<PagingMode> mode, harness::matrix::Space space);

/// Registers `matrix` on an app; after parsing, `selected()` says whether it was chosen and `run()` does it.
class MatrixCommand : public cli::Command {
public:
    explicit MatrixCommand(CLI::App& app);
    int run() override;

private:
    bool list_ = false;
    bool full_ = false;
    std::string mode_;
};

}  // namespace pagewalk::host::matrix
