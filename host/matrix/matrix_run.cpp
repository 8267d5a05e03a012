// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/matrix_run.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "backend/backend.hpp"
#include "matrix/job_plan.hpp"
#include "matrix/matrix_progress.hpp"
#include "util/file.hpp"
#include "util/interrupt.hpp"
#include "util/temp_file.hpp"

namespace pagewalk::host::matrix {
namespace {

struct Task {
    std::size_t row;
    harness::matrix::Job job;
};

struct BootOutcome {
    MatrixTally tally;
    check::Evaluation eval;
    double seconds = 0;
    double run_seconds = 0;  ///< from the first record on
    std::string log;
    std::vector<ClassExample> classes;
    CpuFeatures cpu{};
};

BootOutcome boot_job(const RowPlan& plan, const harness::matrix::Job& job, const RunOptions& o,
                     MatrixProgress& progress) {
    BootOutcome out;
    const Stopwatch clock;
    MatrixChecker checker(job, {std::string(backend_name(*plan.row.backend)), plan.row.version});
    const TempFile module(job_bytes(job), "matrix-job");
    if (module.path().empty()) {
        check::Finding f;
        f.check = "run";
        f.message = "cannot write the job file: " + module.error();
        out.eval.add(std::move(f));
        out.eval.run_broke = true;
        out.eval.conclude();
        return out;
    }
    BootOptions b;
    b.guest_path = o.guest_path;
    b.module_path = module.path();
    b.cmdline = "pw.test=matrix";
    b.timeout_s = o.timeout_s.value_or(boot_timeout(harness::matrix::selected(job)));
    b.memory_bytes = o.memory_bytes;
    b.qemu_cpu = o.qemu_cpu;
    b.on_record = [&](const harness::DecodedRecord& r, LiveGuest&) {
        if (const auto* block = r.matrix_block()) progress.add((block->last - block->first) / job.stride + 1);
    };
    const RunResult run = backend::boot(*plan.row.backend, b);
    for (const ReceivedRecord& r : run.records) checker.add(r.record);
    checker.finish(run);
    out.tally = checker.tally();
    out.eval = checker.evaluation();
    out.classes = checker.class_examples();
    out.cpu = checker.cpu();
    // The boot's wall time, launch to end (boot and COM1 included): what the vCPU did. The host's check of its
    // records, after it, is the host's work.
    out.seconds = (run.total_ms > 0 ? run.total_ms : clock.ms()) / 1000;
    if (run.first_record_ms >= 0 && run.total_ms > run.first_record_ms)
        out.run_seconds = (run.total_ms - run.first_record_ms) / 1000;
    if (out.eval.verdict == check::Verdict::fail) out.log = format_result(run, false);
    return out;
}

void merge(RowResult& into, BootOutcome&& part) {
    MatrixTally& t = into.tally;
    const MatrixTally& p = part.tally;
    for (auto field :
         {&MatrixTally::selected, &MatrixTally::run, &MatrixTally::agreed, &MatrixTally::mismatched,
          &MatrixTally::illegal, &MatrixTally::inapplicable, &MatrixTally::elsewhere, &MatrixTally::accessed_on_fault,
          &MatrixTally::clean_on_fault, &MatrixTally::cases, &MatrixTally::samples_verified, &MatrixTally::unexplained,
          &MatrixTally::bad_reports, &MatrixTally::guest_cycles, &MatrixTally::access_cycles})
        t.*field += p.*field;
    for (unsigned k = 0; k < harness::matrix::kOutcomeClasses; ++k) t.by_class[k] += p.by_class[k];
    for (const auto& [id, n] : p.deviations) t.deviations[id] += n;
    for (check::Finding& f : part.eval.findings) into.eval.add(std::move(f));
    if (part.eval.verdict == check::Verdict::skip && into.eval.reason.empty()) into.eval.reason = part.eval.reason;
    if (part.eval.verdict == check::Verdict::skip) into.eval.verdict = check::Verdict::skip;
    into.eval.run_broke = into.eval.run_broke || part.eval.run_broke;
    into.eval.accesses += part.eval.accesses;
    into.boot_seconds += part.seconds;
    into.run_seconds += part.run_seconds;
    into.log += part.log;
    if (!part.classes.empty()) into.cpu = part.cpu;
    into.classes.insert(into.classes.end(), part.classes.begin(), part.classes.end());
}

}  // namespace

double boot_timeout(std::uint64_t selected) {
    // A minute to boot and set up, then a generous 2 ms per selected index (most are illegal and cost nothing).
    return std::min(60.0 + 0.002 * static_cast<double>(selected), 86400.0);
}

std::vector<RowResult> run_rows(const std::vector<RowPlan>& plans, const RunOptions& o) {
    std::vector<RowResult> results(plans.size());
    std::vector<Task> tasks;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        results[i].row = plans[i].row;
        if (!plans[i].row.backend) {
            results[i].eval.verdict = check::Verdict::skip;
            results[i].eval.reason = plans[i].row.skip_reason;
            continue;
        }
        for (const harness::matrix::Job& j : plans[i].jobs) {
            tasks.push_back({i, j});
            total += harness::matrix::selected(j);
        }
    }
    MatrixProgress progress(total, o.progress);
    std::mutex mutex;
    std::atomic<std::size_t> next{0};
    const auto worker = [&] {
        for (std::size_t t; interrupt::received() == 0 && (t = next.fetch_add(1)) < tasks.size();) {
            BootOutcome part = boot_job(plans[tasks[t].row], tasks[t].job, o, progress);
            const std::lock_guard lock(mutex);
            merge(results[tasks[t].row], std::move(part));
        }
    };
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < std::max(1u, std::min<unsigned>(o.parallel, static_cast<unsigned>(tasks.size()))); ++i)
        threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
    progress.done();
    for (RowResult& r : results) r.eval.conclude();
    return results;
}

}  // namespace pagewalk::host::matrix
