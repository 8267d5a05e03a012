// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/full_forecast.hpp"

#include <cstdio>
#include <pagewalk/harness/matrix/matrix.hpp>

namespace pagewalk::host::matrix {
namespace {

namespace hm = harness::matrix;

std::string duration(double s) {
    char text[64];
    if (s < 120)
        std::snprintf(text, sizeof text, "%.0f s", s);
    else if (s < 2 * 3600)
        std::snprintf(text, sizeof text, "%.0f min", s / 60);
    else if (s < 2 * 86400)
        std::snprintf(text, sizeof text, "%.1f h", s / 3600);
    else
        std::snprintf(text, sizeof text, "%.1f days", s / 86400);
    return text;
}

}  // namespace

std::string full_space_forecast(const std::vector<RowPlan>& plans, const PlanOptions& plan, const RunOptions& run) {
    std::string out;
    double total = 0;
    for (const RowPlan& p : plans) {
        if (!p.row.backend || p.jobs.empty()) continue;
        const PagingMode mode = p.row.mode;
        std::uint64_t selected = 0;
        for (const hm::Job& j : p.jobs) selected += hm::selected(j);
        const hm::Counts c = hm::counts(mode, plan.space);
        const double legal =
            static_cast<double>(selected) * static_cast<double>(c.legal) / static_cast<double>(c.total);
        PlanOptions slice = plan;
        slice.limit = kForecastSlice;
        slice.parts = 1;
        RowPlan probe{p.row, {plan_range(mode, slice)}};
        probe.jobs[0].only_needing = p.row.only_needing;
        RunOptions quiet = run;
        quiet.progress = false;
        quiet.parallel = 1;
        const std::vector<RowResult> measured = run_rows({probe}, quiet);
        char line[320];
        const std::string backend_text(backend_name(*p.row.backend));
        const char* backend = backend_text.c_str();
        if (measured.empty() || measured[0].run_seconds <= 0) {
            std::snprintf(line, sizeof line, "  %s on %s: %llu indices, ~%.0f combinations; the slice did not run\n",
                          to_string(mode), backend, static_cast<unsigned long long>(selected), legal);
            out += line;
            continue;
        }
        const double per_index = measured[0].run_seconds / static_cast<double>(hm::selected(probe.jobs[0]));
        const unsigned parallel = run.parallel < p.jobs.size() ? run.parallel : static_cast<unsigned>(p.jobs.size());
        const double seconds = per_index * static_cast<double>(selected) / (parallel > 0 ? parallel : 1);
        total += seconds;
        std::snprintf(line, sizeof line,
                      "  %s on %s: %llu indices, ~%.0f combinations (the legal share); a %llu-index slice ran %llu "
                      "in %.2f s: at most ~%s with %u boots at once\n",
                      to_string(mode), backend, static_cast<unsigned long long>(selected), legal,
                      static_cast<unsigned long long>(hm::selected(probe.jobs[0])),
                      static_cast<unsigned long long>(measured[0].tally.run), measured[0].run_seconds,
                      duration(seconds).c_str(), parallel);
        out += line;
    }
    // An upper bound: a strided slice decodes each index it selects, a contiguous run jumps over what the predicate
    // removes and decodes an access group once.
    return "pagewalk matrix --full: the full space (every table level's flags, every pair of reserved classes)\n" +
           out + "  altogether at most ~" + duration(total) +
           " (measured per index on strided slices, which cost more per index than the contiguous run; stop it with "
           "Ctrl-C; --shard K/N splits it over machines)\n";
}

}  // namespace pagewalk::host::matrix
