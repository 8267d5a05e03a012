// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: which scenario files `run`, `list` and `iso` work on — files, directories, scenario names, globs
// and tags, as the command line gives them.
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace pagewalk::host::suite {

/// The tags a scenario answers to: its own `tags = [...]` and the CPU features it needs in any of its modes
/// ("pku", "smap", "nx", …).
std::vector<std::string> scenario_tags(const scenario::Scenario& s);

/// The files selected, or why the selection is wrong.
struct Selection {
    std::vector<std::string> files;
    std::string error;  ///< non-empty: a usage error (a name, glob or tag that matches nothing, a missing directory)
};

/// Resolves `args` and `tags` against the library in `dir`: an existing file is itself, a directory means its *.toml
/// files, anything else is a scenario name or a glob (fnmatch: `smap-*`) matched against the names and file stems
/// in `dir`; each tag adds the scenarios of `dir` that carry it. The union, in order, each file once. No args and no
/// tags: every *.toml of `dir`.
Selection select_scenarios(const std::vector<std::string>& args, const std::vector<std::string>& tags,
                           const std::string& dir);

}  // namespace pagewalk::host::suite
