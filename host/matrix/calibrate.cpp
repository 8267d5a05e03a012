// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/calibrate.hpp"

#include <cstdio>
#include <pagewalk/harness/matrix/job.hpp>

#include "backend/backend.hpp"
#include "matrix/job_plan.hpp"
#include "util/temp_file.hpp"

namespace pagewalk::host::matrix {

Calibration calibrate(BackendKind backend, const RunOptions& o, unsigned iterations) {
    Calibration c;
    c.backend = backend;
    harness::matrix::Job job{};
    job.magic = harness::matrix::kJobMagic;
    job.version = harness::matrix::kJobVersion;
    job.mode = static_cast<std::uint8_t>(PagingMode::long4);
    job.stride = 1;
    job.flags = harness::matrix::job_flag::calibrate;
    job.calibrate_iterations = iterations;
    const TempFile module(job_bytes(job), "matrix-calibrate");
    if (module.path().empty()) {
        c.error = "cannot write the job file: " + module.error();
        return c;
    }
    BootOptions b;
    b.guest_path = o.guest_path;
    b.module_path = module.path();
    b.cmdline = "pw.test=matrix";
    b.timeout_s = 120;
    b.memory_bytes = o.memory_bytes;
    b.qemu_cpu = o.qemu_cpu;
    b.timed_records = true;  // the phases are timed by their records' arrival
    const RunResult run = backend::boot(backend, b);
    double at[4] = {-1, -1, -1, -1};
    double done[4] = {};  // the iterations each phase's end record says the loop made
    for (const ReceivedRecord& r : run.records)
        if (const auto* k = r.record.matrix_calibration(); k != nullptr && k->phase < 4) {
            at[k->phase] = r.ms;
            done[k->phase] = k->iterations;
        }
    for (double t : at)
        if (t < 0) {
            c.error = "the guest sent no calibration records (" + std::string(backend_name(backend)) + ")";
            return c;
        }
    const auto rate = [&](unsigned phase) {
        return at[phase] > at[phase - 1] ? done[phase] / ((at[phase] - at[phase - 1]) / 1000) : 0.0;
    };
    c.hits_per_s = rate(1);
    c.faults_per_s = rate(2);
    c.invlpg_per_s = rate(3);
    return c;
}

std::string calibration_text(const std::vector<Calibration>& calibrations, const std::vector<RowResult>& rows) {
    std::string out = "\ncalibration (bare loops, per second)   reads that hit   #PF round trips   PTE write+INVLPG\n";
    char line[200];
    for (const Calibration& c : calibrations) {
        if (!c.error.empty()) {
            out += std::string(backend_name(c.backend)) + ": not measured: " + c.error + "\n";
            continue;
        }
        std::snprintf(line, sizeof line, "%-38s %16.0f %17.0f %18.0f\n", std::string(backend_name(c.backend)).c_str(),
                      c.hits_per_s, c.faults_per_s, c.invlpg_per_s);
        out += line;
    }
    for (const RowResult& r : rows) {
        if (!r.row.backend || r.boot_seconds <= 0 || r.tally.run == 0) continue;
        for (const Calibration& c : calibrations) {
            if (c.backend != *r.row.backend || !c.error.empty() || c.faults_per_s <= 0) continue;
            const double checks = static_cast<double>(r.tally.run) / r.boot_seconds;
            std::snprintf(line, sizeof line, "%s on %s: %.0f checks/s = %.1f%% of its #PF round-trip rate",
                          to_string(r.row.mode), std::string(backend_name(c.backend)).c_str(), checks,
                          100 * checks / c.faults_per_s);
            out += line;
            if (r.tally.guest_cycles > 0 && r.tally.access_cycles > 0) {
                // The live phases are the backend's own work: with no harness work at all, the rate would be this.
                const double live =
                    static_cast<double>(r.tally.access_cycles) / static_cast<double>(r.tally.guest_cycles);
                std::snprintf(line, sizeof line,
                              "; the live phases (MOV to CR3, the accesses) %.0f%% of the guest's time: "
                              "%.0f checks/s with no harness work at all",
                              100 * live, checks / live);
                out += line;
            }
            out += "\n";
        }
    }
    return out;
}

}  // namespace pagewalk::host::matrix
