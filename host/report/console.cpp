// SPDX-License-Identifier: MIT OR Apache-2.0
// Console report and totals.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "report/report.hpp"
#include "util/escape.hpp"
#include "util/file.hpp"

namespace pagewalk::host::report {

Totals totals(const std::vector<check::JobResult>& results) {
    Totals t;
    for (const auto& r : results) {
        switch (r.eval.verdict) {
            case check::Verdict::pass:
                ++t.passed;
                break;
            case check::Verdict::fail:
                ++t.failed;
                break;
            case check::Verdict::skip:
                ++t.skipped;
                break;
            case check::Verdict::known_deviation:
                ++t.known;
                break;
        }
    }
    return t;
}

std::string summary_line(const Totals& t) {
    return std::to_string(t.passed) + " passed, " + std::to_string(t.failed) + " failed, " + std::to_string(t.skipped) +
           " skipped";
}

namespace {

std::string title(const check::JobResult& r) {
    std::string s = printable(r.scenario);
    if (r.mode) s += " [" + std::string(to_string(*r.mode)) + ", " + r.backend + "]";
    return s;
}

void findings(std::ostringstream& o, const check::JobResult& r, bool notes) {
    for (const check::Finding& f : r.eval.findings) {
        if (f.severity == check::Finding::Severity::note && !notes) continue;
        const char* sev = f.severity == check::Finding::Severity::failure           ? "FAIL"
                          : f.severity == check::Finding::Severity::known_deviation ? "deviation (known)"
                                                                                    : "note";
        o << "    " << sev << " (" << f.check << ")";
        if (f.step != 0) o << " step " << f.step;
        o << ": " << f.message << "\n";
        if (!f.detail.empty()) {
            std::istringstream lines(f.detail);
            for (std::string line; std::getline(lines, line);) o << "    " << line << "\n";
        }
    }
}

/// The lines of one result: verdict, title, file, time, (skip) reason, findings.
void result_lines(std::ostringstream& o, const check::JobResult& r, bool verbose) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.0f ms", r.ms);
    o << check::to_string(r.eval.verdict) << "  " << title(r) << "  (" << printable(r.file) << ", " << ms << ")";
    if (r.eval.verdict == check::Verdict::skip) o << ": " << r.eval.reason;
    o << "\n";
    if (r.eval.verdict != check::Verdict::skip) {
        findings(o, r, verbose);
        if (verbose && r.eval.accesses > 0)
            o << "    " << r.eval.accesses << " accesses checked; " << r.eval.live_checked
              << " walked live from outside (" << (r.eval.live_source.empty() ? "none" : r.eval.live_source) << ")\n";
    }
}

}  // namespace

std::string failures_report(const std::vector<check::JobResult>& results) {
    std::ostringstream o;
    for (const auto& r : results)
        if (r.eval.verdict == check::Verdict::fail) result_lines(o, r, false);
    o << summary_line(totals(results)) << "\n";
    return o.str();
}

std::string result_log(const check::JobResult& r) {
    std::ostringstream o;
    result_lines(o, r, true);
    if (!r.rule.empty()) o << "rule: " << r.rule << "\n";
    if (!r.run_log.empty()) o << "\n" << r.run_log;
    return o.str();
}

std::string console_report(const std::vector<check::JobResult>& results, double wall_ms, bool verbose) {
    std::ostringstream o;
    for (const auto& r : results)
        if (verbose || r.eval.verdict != check::Verdict::pass) result_lines(o, r, verbose);

    // Summary table per mode and backend.
    struct Row {
        std::size_t passed = 0, failed = 0, skipped = 0, known = 0, accesses = 0, live = 0;
    };
    std::map<std::pair<std::string, std::string>, Row> rows;
    for (const auto& r : results) {
        Row& row = rows[{r.mode ? to_string(*r.mode) : "-", r.backend}];
        switch (r.eval.verdict) {
            case check::Verdict::pass:
                ++row.passed;
                break;
            case check::Verdict::fail:
                ++row.failed;
                break;
            case check::Verdict::skip:
                ++row.skipped;
                break;
            case check::Verdict::known_deviation:
                ++row.known;
                break;
        }
        row.accesses += r.eval.accesses;
        row.live += r.eval.live_checked;
    }
    o << "\n";
    char line[200];
    std::snprintf(line, sizeof line, "%-8s %-10s %7s %7s %8s %6s %9s %10s\n", "mode", "backend", "passed", "failed",
                  "skipped", "known", "accesses", "live-walk");
    o << line;
    for (const auto& [key, row] : rows) {
        std::snprintf(line, sizeof line, "%-8s %-10s %7zu %7zu %8zu %6zu %9zu %10zu\n", key.first.c_str(),
                      key.second.c_str(), row.passed, row.failed, row.skipped, row.known, row.accesses, row.live);
        o << line;
    }
    const Totals t = totals(results);
    const std::size_t ran = t.passed + t.failed + t.known;
    std::snprintf(line, sizeof line, "%zu scenario runs (%zu run, %zu skipped)", results.size(), ran, t.skipped);
    o << "\n" << line;
    if (wall_ms > 0) {  // 0: a capture checked afterwards (`iso --serial-log`), nothing was timed
        std::snprintf(line, sizeof line, " in %.2f s: %.1f runs per second", wall_ms / 1000,
                      static_cast<double>(ran) * 1000.0 / wall_ms);
        o << line;
    }
    if (t.known > 0)
        o << "; " << t.known << " known backend deviation" << (t.known == 1 ? "" : "s") << " (counted apart)";
    std::size_t stale_as_tables = 0, stale_older = 0;
    for (const auto& r : results) stale_as_tables += r.eval.stale_as_tables, stale_older += r.eval.stale_older;
    if (stale_as_tables + stale_older > 0)  // SDM Vol. 3A §4.10.4 allows both: counted, never judged
        o << "\n"
          << stale_as_tables + stale_older << " stale accesses (either translation allowed): " << stale_as_tables
          << " agreed with the tables in memory, " << stale_older << " used an older translation";
    o << "\n" << summary_line(t) << "\n";
    return o.str();
}

bool write_text_file(const std::string& path, const std::string& text) {
    if (const Status s = write_whole_file(path, text.data(), text.size()); !s) {
        std::cerr << "pagewalk: " << s.error() << "\n";
        return false;
    }
    return true;
}

}  // namespace pagewalk::host::report
