// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/run_matrix.hpp"

#include <iostream>

#include "cli/options.hpp"
#include "matrix/calibrate.hpp"
#include "matrix/emit_scenarios.hpp"
#include "matrix/full_forecast.hpp"
#include "matrix/matrix_report.hpp"
#include "report/report.hpp"
#include "suite/backend_plan.hpp"
#include "util/file.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::matrix {

int run_matrix(const MatrixOptions& o) {
    const Stopwatch clock;
    const suite::BackendCaps caps = suite::probe_backends(o.backend);
    std::vector<RowPlan> plans;
    for (PagingMode mode : kPagingModes) {
        if (!o.modes.empty() && std::find(o.modes.begin(), o.modes.end(), mode) == o.modes.end()) continue;
        const harness::matrix::Job whole = plan_range(mode, o.plan);
        for (const MatrixRow& row : plan_rows(caps, o.backend, mode)) {
            RowPlan p{row, split_job(whole, o.plan.parts)};
            for (harness::matrix::Job& j : p.jobs) j.only_needing = row.only_needing;
            plans.push_back(std::move(p));
        }
    }
    std::cerr << suite::kvm_fallback_notice(caps, o.backend, plans.size());
    if (o.plan.space == harness::matrix::Space::full) {
        std::cerr << full_space_forecast(plans, o.plan, o.run) << std::flush;
        if (interrupt::received() != 0) return interrupt::exit_status();
    }
    const std::vector<RowResult> rows = run_rows(plans, o.run);
    if (interrupt::received() != 0) return interrupt::exit_status();
    const std::vector<check::JobResult> results = as_job_results(rows);
    std::cout << failures_text(rows) << results_table(rows);
    bool emitted = true;
    if (!o.emit_dir.empty()) {
        const std::vector<ClassInRow> classes = classes_of_rows(rows, o.plan.space, o.run.qemu_cpu);
        const EmitOutcome e = write_scenarios(o.emit_dir, classes, scenarios_of_classes(classes));
        std::cout << e.text;
        emitted = e.ok;
    }
    if (o.calibrate) {
        std::vector<Calibration> calibrations;
        for (BackendKind kind : {BackendKind::kvm, BackendKind::qemu})
            for (const RowPlan& p : plans)
                if (p.row.backend == kind) {
                    calibrations.push_back(calibrate(kind, o.run));
                    break;
                }
        std::cout << calibration_text(calibrations, rows);
    }
    const report::Totals t = report::totals(results);
    // A row whose every mismatch a known backend deviation explains is counted apart, as `pagewalk run` does.
    if (t.known > 0)
        std::cout << "\n"
                  << t.known << " row" << (t.known == 1 ? "" : "s")
                  << " with known backend deviations only (counted apart, by deviation id in the table)";
    std::cout << "\n" << report::summary_line(t) << "\n";
    if (!o.junit.empty() && !report::write_text_file(o.junit, report::junit_report(results, clock.ms()))) return 1;
    if (!o.tap.empty() && !report::write_text_file(o.tap, report::tap_report(results))) return 1;
    if (t.failed != 0 || !emitted) return 1;
    if (o.skip_if_unavailable && t.passed == 0 && t.known == 0) {
        std::cout << "SKIP: no row of the matrix could run here\n";
        return cli::kSkip;
    }
    return 0;
}

}  // namespace pagewalk::host::matrix
