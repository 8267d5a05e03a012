// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/run_summary.hpp"

#include <cstring>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/harness/version.hpp>
#include <regex>
#include <sstream>

#include "check/live_check.hpp"
#include "iso/guest_lines.hpp"
#include "scenario/scenario.hpp"

namespace pagewalk::host::iso {
namespace sm = harness::summary;

Expected<CpuLine> find_cpu_line(const std::string& console) {
    static const std::regex kLine(
        R"re(cpu: (\S+) "([^"]*)" family (\d+) model (\d+) stepping (\d+), microcode (0x[0-9a-f]+|unreadable), )re"
        R"re(MAXPHYADDR (\d+), paging: ?(.*))re");
    std::istringstream in(console);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("cpu: ", 0) != 0) continue;
        std::smatch m;
        if (!std::regex_match(line, m, kLine)) return Error{"the guest's CPU line does not parse: " + line};
        CpuLine c;
        c.vendor = m[1];
        c.brand = m[2];
        c.family = static_cast<std::uint32_t>(std::stoul(m[3]));
        c.model = static_cast<std::uint32_t>(std::stoul(m[4]));
        c.stepping = static_cast<std::uint32_t>(std::stoul(m[5]));
        c.microcode_known = m[6] != "unreadable";
        if (c.microcode_known) c.microcode = static_cast<std::uint32_t>(std::stoul(m[6], nullptr, 16));
        c.maxphyaddr = static_cast<std::uint32_t>(std::stoul(m[7]));
        c.paging = m[8];
        return c;
    }
    return Error{"no CPU line (\"cpu: …\") on the serial console"};
}

namespace {

template <std::size_t N>
void copy_string(char (&out)[N], const std::string& s) {
    std::memset(out, 0, N);
    std::memcpy(out, s.data(), std::min(s.size(), N - 1));
}

}  // namespace

Expected<sm::Summary> summary_from_run(const RunResult& run, const std::vector<check::ProgramSlice>& slices) {
    const harness::HelloRecord* hello = nullptr;
    for (const auto& r : run.records)
        if ((hello = r.record.hello()) != nullptr) break;
    if (hello == nullptr) return Error{"no hello record"};
    Expected<CpuLine> cpu = find_cpu_line(run.console);
    if (!cpu) return Error{cpu.error()};
    sm::Summary s{};
    copy_string(s.version, harness::kVersion);
    s.build_id = hello->build_id;
    copy_string(s.vendor, std::string(hello->vendor, strnlen(hello->vendor, sizeof hello->vendor)));
    s.family = cpu->family;
    s.model = cpu->model;
    s.stepping = cpu->stepping;
    s.microcode_known = cpu->microcode_known ? 1 : 0;
    s.microcode = cpu->microcode;
    const CpuFeatures features = check::cpu_from_hello(*hello, 0);
    s.maxphyaddr = features.maxphyaddr;
    s.features = harness::feature::of(features);
    for (const check::ProgramSlice& p : slices) {
        const std::uint8_t mode = p.begin.mode < sm::kModes ? p.begin.mode : 0;
        const std::string name(p.begin.name, strnlen(p.begin.name, sizeof p.begin.name));
        const auto verdict = static_cast<harness::ProgramVerdict>(p.end.verdict);
        if (!p.ended) continue;  // the guest counts a program when it ends
        switch (verdict) {
            case harness::ProgramVerdict::passed:
                ++s.modes[mode].passed;
                break;
            case harness::ProgramVerdict::skipped:
                ++s.modes[mode].skipped;
                break;
            case harness::ProgramVerdict::failed:
                ++s.modes[mode].failed;
                sm::add_failure(s, p.begin.module_index + 1, mode, false, p.end.first_failed_step,
                                static_cast<std::uint8_t>(p.end.failed_checks), name.c_str());
                break;
            default:
                ++s.modes[mode].failed;
                sm::add_failure(s, p.begin.module_index + 1, mode, true, 0, 0, name.c_str());
                break;
        }
    }
    return s;
}

Expected<sm::Summary> decode_summary(const std::string& raw) {
    // As a reader hands it over: zbarimg adds a newline, a phone may turn "\n" into "\r\n" or drop the last one.
    std::string text;
    for (std::size_t i = 0; i < raw.size(); ++i)
        if (!(raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n')) text += raw[i];
    while (text.size() >= 2 && text.back() == '\n' && text[text.size() - 2] == '\n') text.pop_back();
    sm::Summary s{};
    const sm::DecodeError e = sm::decode(text.data(), text.size(), s);
    if (e.message != nullptr) return Error{"line " + std::to_string(e.line) + ": " + e.message};
    return s;
}

std::string summary_text(const sm::Summary& s) {
    std::string out(sm::kMaxText, '\0');
    out.resize(sm::encode(s, out.data(), out.size()));
    return out;
}

std::string summary_report(const sm::Summary& s) {
    std::ostringstream o;
    char build[32];
    std::snprintf(build, sizeof build, "%llx", static_cast<unsigned long long>(s.build_id));
    o << "pagewalk " << s.version << ", guest build " << build << "\n";
    o << "cpu: " << s.vendor << " family " << s.family << " model " << s.model << " stepping " << s.stepping
      << ", microcode ";
    if (s.microcode_known != 0) {
        char m[16];
        std::snprintf(m, sizeof m, "0x%x", s.microcode);
        o << m;
    } else {
        o << "unreadable";
    }
    o << ", MAXPHYADDR " << s.maxphyaddr << ", paging: " << scenario::feature_names(s.features) << "\n";
    std::size_t passed = 0, failed = 0, skipped = 0;
    for (unsigned m = 1; m < sm::kModes; ++m) {
        const sm::ModeCounts& c = s.modes[m];
        char line[96];
        std::snprintf(line, sizeof line, "  %-7s %4u passed, %4u failed, %4u skipped\n", sm::mode_word(m), c.passed,
                      c.failed, c.skipped);
        o << line;
        passed += c.passed;
        failed += c.failed;
        skipped += c.skipped;
    }
    for (unsigned i = 0; i < s.failure_count && i < sm::kMaxFailures; ++i) {
        const sm::Failure& f = s.failures[i];
        char line[128];
        std::snprintf(line, sizeof line, "  %s [%3u] %-7s %-24s ", f.error != 0 ? "ERROR" : "FAIL ", f.index,
                      sm::mode_word(f.mode), f.name);
        o << line;
        if (f.error != 0) {
            o << "could not run\n";
            continue;
        }
        o << "step " << f.step << " failed (";
        const char* sep = "";
        if ((f.checks & harness::guest_check::expectation) != 0) o << sep << "expectation", sep = "+";
        if ((f.checks & harness::guest_check::prediction) != 0) o << sep << "prediction", sep = "+";
        if ((f.checks & harness::guest_check::accessed_dirty) != 0) o << sep << "A/D";
        o << ")\n";
    }
    if (s.truncated != 0) o << "  (more programs failed than the summary has room for: the serial log lists them)\n";
    o << summary_line(passed, failed, skipped, passed + failed + skipped) << "\n";
    return o.str();
}

}  // namespace pagewalk::host::iso
