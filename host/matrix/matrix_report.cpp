// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/matrix_report.hpp"

#include <iomanip>
#include <set>
#include <sstream>

namespace pagewalk::host::matrix {
namespace {

std::string backend_of(const RowResult& r) {
    if (r.row.backend) return std::string(backend_name(*r.row.backend));
    return r.row.where.empty() ? "-" : r.row.where;
}

std::string rate(const RowResult& r) {
    if (r.boot_seconds <= 0 || r.tally.run == 0) return "-";
    std::ostringstream s;
    s << std::fixed << std::setprecision(0) << static_cast<double>(r.tally.run) / r.boot_seconds;
    return s.str();
}

}  // namespace

std::string results_table(const std::vector<RowResult>& rows) {
    std::set<std::string> ids;
    for (const RowResult& r : rows)
        for (const auto& [id, n] : r.tally.deviations) ids.insert(id);
    std::ostringstream o;
    const auto cell = [&](const std::string& text, int width) { o << std::setw(width) << text; };
    o << std::left << std::setw(8) << "mode" << std::setw(6) << "backend" << std::right;
    for (const char* h : {"selected", "run", "agreed"}) cell(h, 13);
    for (const std::string& id : ids) cell(id, static_cast<int>(id.size()) + 2);
    cell("mismatched", 13);
    cell("bad reports", 13);
    cell("checks/s", 10);
    o << "  result\n";
    for (const RowResult& r : rows) {
        o << std::left << std::setw(8) << to_string(r.row.mode) << std::setw(6) << backend_of(r) << std::right;
        for (std::uint64_t v : {r.tally.selected, r.tally.run, r.tally.agreed}) cell(std::to_string(v), 13);
        for (const std::string& id : ids) {
            const auto it = r.tally.deviations.find(id);
            cell(std::to_string(it == r.tally.deviations.end() ? 0 : it->second), static_cast<int>(id.size()) + 2);
        }
        cell(std::to_string(r.tally.unexplained), 13);
        cell(std::to_string(r.tally.bad_reports), 13);
        cell(rate(r), 10);
        o << "  " << check::to_string(r.eval.verdict);
        if (r.row.only_needing != 0) o << " (only the combinations needing " << feature_list(r.row.only_needing) << ")";
        if (r.eval.verdict == check::Verdict::skip) o << ": " << r.eval.reason;
        o << "\n";
    }
    return o.str();
}

std::string failures_text(const std::vector<RowResult>& rows) {
    std::string s;
    for (const RowResult& r : rows) {
        if (r.eval.verdict != check::Verdict::fail) continue;
        s += "FAIL " + row_name(r.row) + " [" + to_string(r.row.mode) + ", " + backend_of(r) + "]\n";
        for (const check::Finding& f : r.eval.findings) {
            if (f.severity != check::Finding::Severity::failure) continue;
            s += "  (" + f.check + ") " + f.message + "\n" + f.detail;
        }
        s += r.log;
    }
    return s;
}

std::vector<check::JobResult> as_job_results(const std::vector<RowResult>& rows) {
    std::vector<check::JobResult> out;
    for (const RowResult& r : rows) {
        check::JobResult j;
        j.file = "matrix";
        j.scenario = row_name(r.row);
        j.rule = "the access matrix: every legal combination agrees with the walker";
        j.mode = r.row.mode;
        j.backend = backend_of(r);
        j.eval = r.eval;
        j.ms = r.boot_seconds * 1000;
        out.push_back(std::move(j));
    }
    return out;
}

}  // namespace pagewalk::host::matrix
