// SPDX-License-Identifier: MIT OR Apache-2.0
#include "cli/options.hpp"

#include <cmath>
#include <filesystem>
#include <pagewalk/mode.hpp>

#ifndef PAGEWALK_DEFAULT_GUEST
#define PAGEWALK_DEFAULT_GUEST ""
#endif
#ifndef PAGEWALK_DEFAULT_SCENARIOS
#define PAGEWALK_DEFAULT_SCENARIOS ""
#endif

namespace pagewalk::host::cli {

std::string default_guest() {
    std::error_code ec;
    if (std::filesystem::exists(PAGEWALK_DEFAULT_GUEST, ec)) return PAGEWALK_DEFAULT_GUEST;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) return (self.parent_path() / "guest" / "pagewalk-guest.elf").string();
    return "guest/pagewalk-guest.elf";
}

std::string default_scenarios() {
    std::error_code ec;
    if (std::filesystem::is_directory(PAGEWALK_DEFAULT_SCENARIOS, ec)) return PAGEWALK_DEFAULT_SCENARIOS;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && std::filesystem::is_directory(self.parent_path().parent_path() / "scenarios", ec))
        return (self.parent_path().parent_path() / "scenarios").string();
    return "scenarios";
}

const CLI::Validator& watchdog_seconds() {
    static const CLI::Validator validator(
        [](std::string& text) -> std::string {
            double v = 0;
            std::size_t used = 0;
            try {
                v = std::stod(text, &used);
            } catch (const std::exception&) {
                return "not a number: " + text;
            }
            if (used != text.size()) return "not a number: " + text;
            if (!std::isfinite(v) || v <= 0 || v > 86400)
                return "a timeout must be a finite number of seconds above 0 and at most 86400, not " + text;
            return "";
        },
        "SECONDS");
    return validator;
}

std::vector<std::string> paging_mode_names() {
    std::vector<std::string> names;
    for (PagingMode m : kPagingModes) names.emplace_back(to_string(m));
    return names;
}

}  // namespace pagewalk::host::cli
