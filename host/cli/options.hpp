// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what several commands' options share — the default guest image and scenario directory, their help
// texts, the watchdog's validator, the paging-mode names, the exit status of a SKIP.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace pagewalk::host::cli {

/// The guest image: the build's own (compile-time path), else guest/ next to the executable.
std::string default_guest();
/// The scenario library: the build's own source tree (compile-time path), else scenarios/ next to the executable's
/// directory, else ./scenarios.
std::string default_scenarios();

// The defaults are this build's own files: named in words, so that --help shows no build path.
inline constexpr const char* kGuestHelp = "guest ELF image (default: the one built with this pagewalk)";
inline constexpr const char* kScenariosHelp = "scenario directory (default: the source tree's scenarios/)";

/// A watchdog in seconds: finite, above zero and at most a day. NaN, infinity and absurd values (1e300 would
/// overflow the conversion to milliseconds) are usage errors.
const CLI::Validator& watchdog_seconds();

/// The paging modes' names, for --mode: 32bit, pae, 4level, 5level.
std::vector<std::string> paging_mode_names();

/// ctest's SKIP_RETURN_CODE: the backend is not there, which is not a failure.
inline constexpr int kSkip = 77;

}  // namespace pagewalk::host::cli
