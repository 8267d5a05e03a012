// SPDX-License-Identifier: MIT OR Apache-2.0
// Fuzz target: a COM1 capture (`pagewalk iso --serial-log`, QEMU's serial output) — the parser of the guest's human
// lines and summary, and the record collection of the serial path: every line through RecordCollector::add_line, the
// stream's verdict, and the report printed from it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "iso/guest_lines.hpp"
#include "run/run_result.hpp"

namespace {
constexpr std::size_t kMaxCapture = 64 * 1024;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace iso = pagewalk::host::iso;
    if (size > kMaxCapture) return 0;
    const std::string console(reinterpret_cast<const char*>(data), size);

    for (const iso::GuestLine& l : iso::parse_program_lines(console))
        if (l.name.size() > iso::kNameWidth) __builtin_trap();
    if (const auto summary = iso::find_summary_line(console))
        if (summary->empty()) __builtin_trap();

    // As check_serial_log reads a capture: line by line, CR stripped, until the first error.
    pagewalk::host::RunResult run;
    run.backend = "serial";
    pagewalk::host::RecordCollector collector(run);
    std::string_view rest(console);
    while (!rest.empty()) {
        const std::size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!collector.add_line(line, 0)) break;
    }
    collector.finish(false);
    if (!run.passed() && run.detail.empty()) __builtin_trap();
    if (pagewalk::host::format_result(run, true).empty() || pagewalk::host::format_result(run, false).empty())
        __builtin_trap();
    return 0;
}
