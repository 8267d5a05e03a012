// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/guest_lines.hpp"

#include <sstream>

namespace pagewalk::host::iso {
namespace {

std::string trim(const std::string& s) {
    const std::size_t a = s.find_first_not_of(' ');
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(' ') - a + 1);
}

bool parse_number(const std::string& s, std::uint32_t& out) {
    const std::string t = trim(s);
    if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos) return false;
    out = static_cast<std::uint32_t>(std::stoul(t));
    return true;
}

constexpr std::size_t kVerdictWidth = 6, kModeWidth = 8;

}  // namespace

std::vector<GuestLine> parse_program_lines(const std::string& console) {
    std::vector<GuestLine> out;
    std::istringstream in(console);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] != '[') continue;
        const std::size_t slash = line.find('/'), close = line.find("] ");
        if (slash == std::string::npos || close == std::string::npos || slash > close) continue;
        GuestLine g;
        if (!parse_number(line.substr(1, slash - 1), g.index) ||
            !parse_number(line.substr(slash + 1, close - slash - 1), g.total))
            continue;
        const std::string rest = line.substr(close + 2);
        if (rest.size() < kVerdictWidth + kModeWidth) continue;
        g.verdict = trim(rest.substr(0, kVerdictWidth));
        g.mode = trim(rest.substr(kVerdictWidth, kModeWidth));
        g.name = trim(rest.substr(kVerdictWidth + kModeWidth, kNameWidth));
        if (rest.size() > kVerdictWidth + kModeWidth + kNameWidth)
            g.detail = trim(rest.substr(kVerdictWidth + kModeWidth + kNameWidth));
        out.push_back(std::move(g));
    }
    return out;
}

bool is_summary_line(const std::string& line) {
    return line.rfind("pagewalk: ", 0) == 0 && line.find(" passed, ") != std::string::npos;
}

std::optional<std::string> find_summary_line(const std::string& console) {
    std::istringstream in(console);
    std::optional<std::string> found;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (is_summary_line(line)) found = line;
    }
    return found;
}

std::string summary_line(std::size_t passed, std::size_t failed, std::size_t skipped, std::size_t programs) {
    return "pagewalk: " + std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " +
           std::to_string(skipped) + " skipped (" + std::to_string(programs) + " programs)";
}

}  // namespace pagewalk::host::iso
