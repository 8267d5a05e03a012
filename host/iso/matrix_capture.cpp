// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/matrix_capture.hpp"

#include <optional>
#include <regex>
#include <sstream>

#include "iso/guest_lines.hpp"
#include "matrix/matrix_checker.hpp"
#include "matrix/matrix_report.hpp"
#include "report/report.hpp"

namespace pagewalk::host::iso {
namespace {

/// One matrix job of the boot: its records, from the one after the previous job's matrix_end to its own.
struct JobSlice {
    std::vector<ReceivedRecord> records;
    std::optional<PagingMode> mode;  ///< matrix_begin's, or the detail of a matrix_end that says unsupported_mode
    bool began = false, ended = false;
};

bool is_matrix_record(const harness::DecodedRecord& r) {
    const harness::AccessRecord* a = r.access();
    return r.matrix_begin() != nullptr || r.matrix_case() != nullptr || r.matrix_block() != nullptr ||
           r.matrix_class() != nullptr || r.matrix_end() != nullptr ||
           (a != nullptr && a->scenario_id == harness::kMatrixScenario);
}

std::vector<JobSlice> split_jobs(const RunResult& run) {
    std::vector<JobSlice> jobs;
    JobSlice current;
    bool matrix = false;  // the current slice holds a matrix record
    for (const ReceivedRecord& r : run.records) {
        const auto* begin = r.record.matrix_begin();
        if (begin != nullptr && current.began) {  // a job that never ended, then the next one
            jobs.push_back(std::move(current));
            current = {};
        }
        current.records.push_back(r);
        if (!is_matrix_record(r.record)) continue;
        matrix = true;
        if (begin != nullptr) {
            current.began = true;
            current.mode = paging_mode_from_value(begin->mode);
        }
        if (const auto* e = r.record.matrix_end()) {
            if (!current.mode && e->status == static_cast<std::uint8_t>(harness::MatrixStatus::unsupported_mode))
                current.mode = paging_mode_from_value(static_cast<std::uint8_t>(e->detail));
            current.ended = true;
            jobs.push_back(std::move(current));
            current = {};
            matrix = false;
        }
    }
    if (matrix)
        jobs.push_back(std::move(current));
    else if (!jobs.empty())  // what follows the last job (the final record …) is judged with it
        jobs.back().records.insert(jobs.back().records.end(), current.records.begin(), current.records.end());
    return jobs;
}

/// The guest's line after each job (guest/runner/program_loop.hpp run_matrix_job), in order.
struct MatrixLine {
    std::string text, mode, verdict;
};

std::vector<MatrixLine> matrix_lines(const std::string& console) {
    static const std::regex kLine("^access matrix, ([0-9a-z?]+): (PASS|FAIL)\\s*$");
    std::vector<MatrixLine> out;
    std::istringstream in(console);
    std::smatch m;
    for (std::string line; std::getline(in, line);)
        if (std::regex_match(line, m, kLine)) out.push_back({m[0], m[1], m[2]});
    return out;
}

/// The number of modules the guest announced ("pagewalk: x86 paging checks, N programs").
std::optional<std::size_t> announced_modules(const std::string& console) {
    static const std::regex kLine("^pagewalk: x86 paging checks, ([0-9]{1,6}) programs\\s*$");
    std::istringstream in(console);
    std::smatch m;
    for (std::string line; std::getline(in, line);)
        if (std::regex_match(line, m, kLine)) return std::stoul(m[1]);
    return std::nullopt;
}

check::Finding failure(const std::string& check, const std::string& message) {
    check::Finding f;
    f.check = check;
    f.message = message;
    return f;
}

std::string describe_job(const harness::matrix::Job& j) {
    std::ostringstream o;
    o << to_string(static_cast<PagingMode>(j.mode)) << " [" << j.begin << ", " << j.end << ")";
    if (j.stride != 1) o << " every " << j.stride << "th from " << j.begin + j.phase;
    o << ", " << harness::matrix::selected(j) << " indices, one agreement in " << j.sample_every << " sampled";
    return o.str();
}

/// Judges job `s` of the boot as the ISO's `job`: a job whose matrix_end arrived is complete whatever became of the
/// boot after it; one cut short fails with the boot's outcome and the last record the capture holds.
matrix::RowResult judge_job(const JobSlice& s, const IsoMatrixJob& job, const RunResult& run,
                            const check::BackendInfo& backend) {
    matrix::MatrixChecker checker(job.job, backend);
    for (const ReceivedRecord& r : s.records) checker.add(r.record);
    RunResult part;
    part.backend = run.backend;
    part.entry = run.entry;
    part.records = s.records;
    part.outcome = s.ended ? Outcome::passed : run.outcome;
    if (!s.ended && !run.passed() && run.outcome != Outcome::guest_failed)
        part.detail = run.detail + "; the capture ends inside the job, its last record: " +
                      (s.records.empty() ? std::string("none") : format_record(s.records.back().record));
    checker.finish(part);
    matrix::RowResult row;
    row.row.mode = job.mode;
    row.row.where = backend.name;
    row.row.version = backend.version;
    row.tally = checker.tally();
    row.eval = checker.evaluation();
    return row;
}

/// Holds the guest's line after a job that ended (`line`: null when there is none) to the host's verdict: the guest
/// passes a job when it ran (or could not run the mode) and saw no mismatch, whatever deviation the host knows of.
/// True when the line says so; else a failure of the row.
bool hold_guest_line(matrix::RowResult& row, const MatrixLine* line) {
    const bool pass = row.eval.verdict != check::Verdict::fail && row.tally.mismatched == 0;
    const std::string want = std::string("access matrix, ") + to_string(row.row.mode) + ": " + (pass ? "PASS" : "FAIL");
    if (line != nullptr && line->text == want) return true;
    row.eval.add(failure("guest verdict", line == nullptr ? "no line \"" + want + "\" on COM1"
                                                          : "the guest's line is \"" + line->text +
                                                                "\", the host's checks expect \"" + want + "\""));
    row.eval.conclude();
    return false;
}

/// A row for a job of the ISO the boot never began.
matrix::RowResult not_run(PagingMode mode, const RunResult& run, const check::BackendInfo& backend) {
    matrix::RowResult row;
    row.row.mode = mode;
    row.row.where = backend.name;
    row.eval.add(failure("run", "the job did not run: the capture ends before its matrix_begin (" +
                                    std::string(to_string(run.outcome)) + ")"));
    row.eval.run_broke = true;
    row.eval.conclude();
    return row;
}

/// The report's head: the boot, the jobs it is judged against, and what a capture cannot check.
std::string report_head(const IsoPlan& plan, const RunResult& run, const std::string& title) {
    std::ostringstream r;
    r << title << "\n";
    r << "  boot: " << to_string(run.outcome) << (run.detail.empty() ? "" : " (" + run.detail + ")") << "\n";
    r << "  the ISO's matrix jobs (as `pagewalk iso` plans them with the --mode and --matrix-limit given):\n";
    for (const IsoMatrixJob& j : plan.matrix_jobs) r << "    " << describe_job(j.job) << "\n";
    if (run.total_ms <= 0)  // a capture: nothing was timed
        r << "  not checked from a capture: the jobs are the ISO's (each matrix_begin must repeat one planned here "
             "again), the boot's timing (checks/s), how the machine ended (only the record stream stopping). Every "
             "case is walked again from the entries its access record carries, as `pagewalk matrix` does (it reads "
             "no guest memory either).\n";
    return r.str();
}

}  // namespace

bool is_matrix_boot(const RunResult& run) {
    bool matrix = false;
    for (const ReceivedRecord& r : run.records) {
        if (r.record.program_begin() != nullptr) return false;
        matrix = matrix || is_matrix_record(r.record);
    }
    return matrix;
}

IsoCheckResult check_matrix_boot(const IsoPlan& plan, const RunResult& run, const check::BackendInfo& backend,
                                 const std::string& title, bool verbose, std::vector<std::string> stream_problems) {
    IsoCheckResult out;
    out.problems = std::move(stream_problems);
    const std::vector<JobSlice> slices = split_jobs(run);
    const std::vector<MatrixLine> lines = matrix_lines(run.console);
    std::vector<matrix::RowResult> rows;
    std::vector<bool> ran(plan.matrix_jobs.size());
    std::size_t ended = 0, lines_agree = 0;  // jobs that sent their matrix_end; their lines that agree
    for (std::size_t i = 0; i < slices.size(); ++i) {
        const JobSlice& s = slices[i];
        // The ISO's job of that mode; a job that names none (rejected before its matrix_begin) is the i-th.
        std::size_t k = 0;
        while (k < plan.matrix_jobs.size() && (s.mode ? plan.matrix_jobs[k].mode != *s.mode : k != i)) ++k;
        if (k == plan.matrix_jobs.size()) {
            out.problems.push_back(
                "matrix job " + std::to_string(i + 1) + " (" +
                (s.mode ? std::string(to_string(*s.mode)) : std::string("no mode")) +
                ") is not one of the ISO's as planned here (give the --mode the ISO was built with)");
            continue;
        }
        ran[k] = true;
        rows.push_back(judge_job(s, plan.matrix_jobs[k], run, backend));
        if (s.ended) {  // the guest's lines follow the jobs that ended, in order
            const std::size_t n = ended++;
            lines_agree += hold_guest_line(rows.back(), n < lines.size() ? &lines[n] : nullptr) ? 1 : 0;
        }
    }
    // Jobs the boot announced that never began: the capture ended first.
    const std::optional<std::size_t> announced = announced_modules(run.console);
    if (announced && *announced > slices.size()) {
        if (*announced != plan.matrix_jobs.size())
            out.problems.push_back("the guest announced " + std::to_string(*announced) +
                                   " modules, the capture holds " + std::to_string(slices.size()) + " matrix jobs");
        else
            for (std::size_t k = 0; k < ran.size(); ++k)
                if (!ran[k]) rows.push_back(not_run(plan.matrix_jobs[k].mode, run, backend));
    }
    // The guest's summary line counts its own lines (each held to the host's verdict above).
    const bool complete = run.passed() || run.outcome == Outcome::guest_failed;
    std::size_t lines_pass = 0;
    for (const MatrixLine& l : lines) lines_pass += l.verdict == "PASS" ? 1 : 0;
    const std::string want_summary = summary_line(lines_pass, lines.size() - lines_pass, 0, slices.size());
    const std::optional<std::string> summary = find_summary_line(run.console);
    if (complete && !summary)
        out.problems.push_back("no summary line on COM1");
    else if (complete && *summary != want_summary)
        out.problems.push_back("the guest's summary line is \"" + *summary + "\", its `access matrix` lines say \"" +
                               want_summary + "\"");

    out.programs = matrix::as_job_results(rows);
    if (!out.problems.empty()) {  // the boot as a whole: one more failed test, so that the closing line counts it
        check::JobResult boot;
        boot.file = "capture";
        boot.scenario = "the boot's record stream and lines";
        boot.backend = backend.name;
        for (const std::string& p : out.problems) boot.eval.add(failure("boot", p));
        boot.eval.conclude();
        out.programs.push_back(std::move(boot));
    }
    out.agree = out.problems.empty() && lines_agree == ended;

    std::ostringstream r;
    r << report_head(plan, run, title);
    if (verbose)
        for (const MatrixLine& l : lines) r << "  guest: " << l.text << "\n";
    r << matrix::failures_text(rows);
    for (const std::string& p : out.problems) r << "ISO PROBLEM: " << p << "\n";
    r << matrix::results_table(rows);
    r << "guest lines: " << lines_agree << " of " << ended
      << " jobs' `access matrix` lines say what the host's checks expect; guest summary: "
      << (summary ? "\"" + *summary + "\"" : std::string("(none)"))
      << (summary && *summary == want_summary ? " — as its lines say" : "") << "\n";
    r << "\n" << report::summary_line(report::totals(out.programs)) << "\n";
    out.report = r.str();
    return out;
}

}  // namespace pagewalk::host::iso
