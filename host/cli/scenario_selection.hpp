// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk run / list: the options both take — which scenarios (files, directories, names, globs, --tag,
// --scenarios), --backend and --mode — and their conversion into suite::RunOptions.
#pragma once

#include <string>

#include "suite/suite.hpp"

namespace CLI {
class App;
}

namespace pagewalk::host::cli {

class ScenarioSelection {
public:
    ScenarioSelection();
    /// Registers the shared options on `command`.
    void add_to(CLI::App& command);
    /// The options as given, --backend and --mode converted.
    [[nodiscard]] suite::RunOptions resolved() const;

    /// What the command's own options fill in (--jobs, --guest …).
    suite::RunOptions options;

private:
    std::string backend_, mode_;
};

}  // namespace pagewalk::host::cli
