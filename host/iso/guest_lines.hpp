// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the guest's human lines on COM1 (guest/runner/program_report.hpp), read back — one per program and
// the summary — so that the ISO check can hold them to what the records and the host's own checks say.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pagewalk::host::iso {

/// "[  3/233] PASS  4level  not-present   9 steps checked", taken apart (fixed columns, as the guest pads them).
struct GuestLine {
    std::uint32_t index = 0;  ///< 1-based
    std::uint32_t total = 0;
    std::string verdict;  ///< PASS FAIL SKIP ERROR
    std::string mode;     ///< 32bit pae 4level 5level
    std::string name;     ///< at most kNameWidth characters
    std::string detail;   ///< what follows the name
};
inline constexpr std::size_t kNameWidth = 40;

/// Every program line in `console` (other lines are skipped).
std::vector<GuestLine> parse_program_lines(const std::string& console);

/// Whether `line` is the guest's summary line ("pagewalk: N passed, N failed, N skipped (N programs)").
bool is_summary_line(const std::string& line);

/// The guest's summary line ("pagewalk: N passed, N failed, N skipped (N programs)"), if there is one.
std::optional<std::string> find_summary_line(const std::string& console);

/// The summary line the guest writes for these counts (failed includes programs that could not run: ERROR).
std::string summary_line(std::size_t passed, std::size_t failed, std::size_t skipped, std::size_t programs);

}  // namespace pagewalk::host::iso
