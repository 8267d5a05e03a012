// SPDX-License-Identifier: MIT OR Apache-2.0
// TAP (version 13) and JUnit XML writers.
#include <cstdio>
#include <map>
#include <sstream>

#include "report/report.hpp"

namespace pagewalk::host::report {
namespace {

std::string name_of(const check::JobResult& r) {
    std::string s = r.scenario;
    if (r.mode) s += " [" + std::string(to_string(*r.mode)) + ", " + r.backend + "]";
    return s;
}

/// The findings as plain text lines.
std::string findings_text(const check::JobResult& r) {
    std::string s;
    for (const check::Finding& f : r.eval.findings) {
        if (f.severity == check::Finding::Severity::note) continue;
        s += f.severity == check::Finding::Severity::failure ? "FAIL" : "deviation (known)";
        s += " (" + f.check + ")";
        if (f.step != 0) s += " step " + std::to_string(f.step);
        s += ": " + f.message + "\n" + f.detail;
    }
    return s;
}

/// TAP descriptions must not contain '#' (it starts a directive).
std::string tap_safe(std::string s) {
    for (char& c : s)
        if (c == '#' || c == '\n') c = ' ';
    return s;
}

std::string xml_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&':
                o += "&amp;";
                break;
            case '<':
                o += "&lt;";
                break;
            case '>':
                o += "&gt;";
                break;
            case '"':
                o += "&quot;";
                break;
            case '\'':
                o += "&apos;";
                break;
            default:
                // XML 1.0 allows no control characters but tab, newline and carriage return.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    o += '?';
                else
                    o += c;
        }
    }
    return o;
}

}  // namespace

std::string tap_report(const std::vector<check::JobResult>& results) {
    std::ostringstream o;
    o << "TAP version 13\n1.." << results.size() << "\n";
    std::size_t n = 0;
    for (const auto& r : results) {
        ++n;
        const bool failed = r.eval.verdict == check::Verdict::fail;
        o << (failed ? "not ok " : "ok ") << n << " - " << tap_safe(name_of(r));
        if (r.eval.verdict == check::Verdict::skip) o << " # SKIP " << tap_safe(r.eval.reason);
        if (r.eval.verdict == check::Verdict::known_deviation) o << " # TODO known backend deviation";
        o << "\n";
        if (failed || r.eval.verdict == check::Verdict::known_deviation) {
            o << "  ---\n  file: '" << r.file << "'\n  rule: '" << r.rule << "'\n  findings: |\n";
            std::istringstream lines(findings_text(r));
            for (std::string line; std::getline(lines, line);) o << "    " << line << "\n";
            o << "  ...\n";
        }
    }
    return o.str();
}

std::string junit_report(const std::vector<check::JobResult>& results, double wall_ms) {
    std::map<std::string, std::vector<const check::JobResult*>> by_mode;
    for (const auto& r : results) by_mode[r.mode ? to_string(*r.mode) : "files"].push_back(&r);
    const Totals t = totals(results);
    std::ostringstream o;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", wall_ms / 1000);
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pagewalk scenarios\" tests=\""
      << results.size() << "\" failures=\"" << t.failed << "\" skipped=\"" << t.skipped << "\" time=\"" << secs
      << "\">\n";
    for (const auto& [mode, list] : by_mode) {
        std::size_t failures = 0, skips = 0;
        double ms = 0;
        for (const auto* r : list) {
            failures += r->eval.verdict == check::Verdict::fail;
            skips += r->eval.verdict == check::Verdict::skip;
            ms += r->ms;
        }
        std::snprintf(secs, sizeof secs, "%.3f", ms / 1000);
        o << "  <testsuite name=\"scenarios." << xml_escape(mode) << "\" tests=\"" << list.size() << "\" failures=\""
          << failures << "\" skipped=\"" << skips << "\" time=\"" << secs << "\">\n";
        for (const auto* r : list) {
            std::snprintf(secs, sizeof secs, "%.3f", r->ms / 1000);
            o << "    <testcase classname=\"scenarios." << xml_escape(mode) << "." << xml_escape(r->backend)
              << "\" name=\"" << xml_escape(r->scenario) << "\" file=\"" << xml_escape(r->file) << "\" time=\"" << secs
              << "\">\n";
            switch (r->eval.verdict) {
                case check::Verdict::fail:
                    o << "      <failure message=\"" << xml_escape(r->eval.reason) << "\">"
                      << xml_escape(findings_text(*r)) << "</failure>\n";
                    break;
                case check::Verdict::skip:
                    o << "      <skipped message=\"" << xml_escape(r->eval.reason) << "\"/>\n";
                    break;
                case check::Verdict::known_deviation:
                    o << "      <system-out>" << xml_escape(findings_text(*r)) << "</system-out>\n";
                    break;
                case check::Verdict::pass:
                    break;
            }
            o << "    </testcase>\n";
        }
        o << "  </testsuite>\n";
    }
    o << "</testsuites>\n";
    return o.str();
}

}  // namespace pagewalk::host::report
