// SPDX-License-Identifier: MIT OR Apache-2.0
#include "qemu/monitor_registers.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>

namespace pagewalk::host::qemu {
namespace {

/// The hexadecimal value after "NAME=" where NAME starts a word (so "CR3=" is not found inside "XCR3="), or nullopt.
std::optional<std::uint64_t> hex_field(const std::string& text, const std::string& name) {
    const std::string key = name + "=";
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
        if (at != 0 && std::isalnum(static_cast<unsigned char>(text[at - 1]))) continue;
        const char* first = text.data() + at + key.size();
        const char* last = text.data() + text.size();
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(first, last, value, 16);  // too wide: result_out_of_range
        if (error != std::errc{} || end == first) return std::nullopt;
        return value;
    }
    return std::nullopt;
}

}  // namespace

std::optional<LiveRegisters> parse_info_registers(const std::string& text) {
    const auto cr0 = hex_field(text, "CR0"), cr3 = hex_field(text, "CR3"), cr4 = hex_field(text, "CR4"),
               efer = hex_field(text, "EFER");
    if (!cr0 || !cr3 || !cr4 || !efer) return std::nullopt;
    return LiveRegisters{*cr0, *cr3, *cr4, *efer};
}

std::string register_dump_for_report(const std::string& text) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        const std::string line = text.substr(at, nl - at);
        at = nl + 1;
        // QEMU prints the FPU and vector registers last: FCW= (x87 control word), FPRn=, then XMMn= / YMMn=.
        if (line.rfind("FCW=", 0) == 0 || line.rfind("FPR", 0) == 0 || line.rfind("XMM", 0) == 0 ||
            line.rfind("YMM", 0) == 0)
            break;
        if (!line.empty()) out += "    " + line + "\n";
    }
    return out;
}

}  // namespace pagewalk::host::qemu
