// SPDX-License-Identifier: MIT OR Apache-2.0
// TAP (version 13) and JUnit XML writers.
#include <cstdio>
#include <filesystem>
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

/// The ids of the known deviations a result matched, comma-separated (the TAP TODO explanation).
std::string deviation_ids(const check::JobResult& r) {
    std::string ids;
    for (const check::Finding& f : r.eval.findings) {
        if (f.severity != check::Finding::Severity::known_deviation || f.deviation_id.empty()) continue;
        if (ids.find(f.deviation_id) != std::string::npos) continue;
        ids += (ids.empty() ? "" : ", ") + f.deviation_id;
    }
    return ids.empty() ? "known backend deviation" : ids;
}

/// The check of the first failing finding: the JUnit failure's type.
std::string first_failed_check(const check::JobResult& r) {
    for (const check::Finding& f : r.eval.findings)
        if (f.severity == check::Finding::Severity::failure) return f.check;
    return "check";
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

std::string repository_relative(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path full = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec || full.empty()) return path;
    for (fs::path dir = full.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        // .git is a directory in a clone and a file in a worktree or submodule.
        if (fs::exists(dir / ".git", ec)) return full.lexically_relative(dir).generic_string();
        if (dir == dir.root_path()) break;
    }
    return path;
}

std::string tap_report(const std::vector<check::JobResult>& results) {
    std::ostringstream o;
    o << "TAP version 13\n1.." << results.size() << "\n";
    std::size_t n = 0;
    for (const auto& r : results) {
        ++n;
        const bool failed = r.eval.verdict == check::Verdict::fail;
        const bool known = r.eval.verdict == check::Verdict::known_deviation;
        // A known deviation is a test that does not pass, expectedly: "not ok … # TODO id". An "ok … # TODO" would
        // be an unexpected TODO pass to prove and TAP::Parser.
        o << (failed || known ? "not ok " : "ok ") << n << " - " << tap_safe(name_of(r));
        if (r.eval.verdict == check::Verdict::skip) o << " # SKIP " << tap_safe(r.eval.reason);
        if (known) o << " # TODO " << tap_safe(deviation_ids(r));
        o << "\n";
        if (failed || known) {
            o << "  ---\n  file: '" << repository_relative(r.file) << "'\n  rule: '" << r.rule << "'\n  findings: |\n";
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
    auto errored = [](const check::JobResult& r) { return r.eval.verdict == check::Verdict::fail && r.eval.run_broke; };
    std::size_t failures_all = 0, errors_all = 0;
    for (const auto& r : results) {
        errors_all += errored(r);
        failures_all += r.eval.verdict == check::Verdict::fail && !errored(r);
    }
    std::ostringstream o;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", wall_ms / 1000);
    // The structure of Jenkins xunit's junit-10.xsd (tests/report/junit-10.xsd): <testsuites> carries no
    // "skipped", <testcase> no "file" (the path is in its system-out).
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pagewalk scenarios\" tests=\""
      << results.size() << "\" failures=\"" << failures_all << "\" errors=\"" << errors_all << "\" time=\"" << secs
      << "\">\n";
    for (const auto& [mode, list] : by_mode) {
        std::size_t failures = 0, errors = 0, skips = 0;
        double ms = 0;
        for (const auto* r : list) {
            errors += errored(*r);
            failures += r->eval.verdict == check::Verdict::fail && !errored(*r);
            skips += r->eval.verdict == check::Verdict::skip;
            ms += r->ms;
        }
        std::snprintf(secs, sizeof secs, "%.3f", ms / 1000);
        o << "  <testsuite name=\"scenarios." << xml_escape(mode) << "\" tests=\"" << list.size() << "\" failures=\""
          << failures << "\" errors=\"" << errors << "\" skipped=\"" << skips << "\" time=\"" << secs << "\">\n";
        for (const auto* r : list) {
            std::snprintf(secs, sizeof secs, "%.3f", r->ms / 1000);
            o << "    <testcase classname=\"scenarios." << xml_escape(mode) << "." << xml_escape(r->backend)
              << "\" name=\"" << xml_escape(r->scenario) << "\" time=\"" << secs << "\">\n";
            switch (r->eval.verdict) {
                case check::Verdict::fail:
                    // A run that never completed (watchdog, crash, launch error) is an error; a check that
                    // disagreed is a failure.
                    o << "      <" << (errored(*r) ? "error" : "failure") << " type=\""
                      << xml_escape(first_failed_check(*r)) << "\" message=\"" << xml_escape(r->eval.reason) << "\">"
                      << xml_escape(findings_text(*r)) << "</" << (errored(*r) ? "error" : "failure") << ">\n";
                    break;
                case check::Verdict::skip:
                    o << "      <skipped message=\"" << xml_escape(r->eval.reason) << "\"/>\n";
                    break;
                case check::Verdict::known_deviation:
                case check::Verdict::pass:
                    break;
            }
            o << "      <system-out>file: " << xml_escape(repository_relative(r->file)) << "\n";
            if (r->eval.verdict == check::Verdict::known_deviation) o << xml_escape(findings_text(*r));
            o << "</system-out>\n    </testcase>\n";
        }
        o << "  </testsuite>\n";
    }
    o << "</testsuites>\n";
    return o.str();
}

}  // namespace pagewalk::host::report
