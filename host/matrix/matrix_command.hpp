// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: the exhaustive access matrix (harness/include/pagewalk/harness/matrix/). `--list-dimensions`
// prints the space (list_dimensions.hpp); without it the matrix runs on the backends (run_matrix.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/command.hpp"
#include "matrix/run_matrix.hpp"

namespace pagewalk::host::matrix {

/// Registers `matrix` on an app; after parsing, `selected()` says whether it was chosen and `run()` does it.
class MatrixCommand : public cli::Command {
public:
    /// `default_guest`: the guest image --guest defaults to.
    MatrixCommand(CLI::App& app, std::string default_guest);
    int run() override;

private:
    bool list_ = false;
    bool full_ = false;
    std::vector<std::string> modes_;
    std::string shard_, backend_ = "auto", mutate_;
    std::uint64_t limit_ = 0;
    bool quiet_ = false;
    MatrixOptions options_;
};

}  // namespace pagewalk::host::matrix
