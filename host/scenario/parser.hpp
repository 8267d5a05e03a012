// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: scenario files (TOML, toml++) → Scenario. Every error names the file, line, column and key.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scenario/scenario.hpp"

namespace pagewalk::host::scenario {

/// A parsed scenario, or every problem found in the file (at least one).
struct ParseResult {
    Scenario scenario;
    std::vector<Diagnostic> errors;
    [[nodiscard]] bool ok() const { return errors.empty(); }
};

/// Parses TOML text; `file` names it in diagnostics and defaults the scenario's name (its stem).
ParseResult parse_scenario_text(std::string_view text, const std::string& file);
/// Reads and parses a file.
ParseResult parse_scenario_file(const std::string& path);

}  // namespace pagewalk::host::scenario
