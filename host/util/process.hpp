// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: running another program (no shell), its output captured.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pagewalk::host {

/// What a finished process said.
struct ProcessResult {
    int exit_code = -1;  ///< -1: it could not be started or died from a signal
    std::string output;  ///< stdout and stderr, interleaved
};

/// In a child between fork and exec: its own process group (a terminal's ^C goes to pagewalk, which ends its
/// children itself) and SIGKILL when `parent` (the pid before fork) dies, even by SIGKILL. Exits if the parent
/// is already gone.
void supervise_child(pid_t parent);

/// Runs argv[0] (looked up in PATH) with `argv`, stdin on /dev/null, and waits for it; a SIGINT/SIGTERM/SIGHUP
/// (util/interrupt.hpp) ends it early (exit_code -1). With `capture_stderr` false, its stderr goes to /dev/null
/// and `output` is stdout alone.
ProcessResult run_process(const std::vector<std::string>& argv, bool capture_stderr = true);

/// The full path of `name` in PATH, or "" when it is not there.
std::string find_program(const std::string& name);

}  // namespace pagewalk::host
