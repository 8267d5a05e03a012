// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the `run`, `list` and `compile` subcommands (main.cpp parses the command line).
#pragma once

#include <string>
#include <vector>

#include "suite/suite.hpp"

namespace pagewalk::host::suite {

/// The exit status of a usage error (a wrong option value, a selection that matches nothing).
constexpr int kUsageError = 2;

/// Report files and detail for `run`.
struct ReportOptions {
    std::string junit, tap;
    bool verbose = false;
    bool quiet = false;  ///< only failures and the summary line
    /// A log file per run, DIR/<scenario>.<mode>.<backend>.log; the previous run's DIR becomes DIR.old. Empty: none.
    std::string logs;
};

/// `pagewalk run`: runs, prints the console report, writes TAP/JUnit; exit status 0 only if nothing failed.
int run_command(const RunOptions& options, const ReportOptions& reports);

/// `pagewalk list`: every scenario with its rule, modes, features, and where each mode would run (or why not).
int list_command(const RunOptions& options);

/// `pagewalk compile FILE --mode M -o OUT`: writes the program (for `pagewalk boot --test program --module OUT`).
int compile_command(const std::string& file, const std::string& mode, const std::string& output);

}  // namespace pagewalk::host::suite
