// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk run: run scenarios (default: the whole library), check every access, print and write the reports
// (suite/commands.hpp's run_command does the work).
#include <memory>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/scenario_selection.hpp"
#include "suite/commands.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::cli {
namespace {

class RunCommand final : public Command {
public:
    explicit RunCommand(CLI::App& app)
        : Command(app, "run", "run scenarios (default: the whole library) and check every access") {
        CLI::App& run = subcommand();
        suite::RunOptions& options = selection_.options;
        selection_.add_to(run);
        run.add_option("--jobs,-j", options.jobs, "scenarios run in parallel VMs")
            ->capture_default_str()
            ->check(CLI::Range(1u, 256u));
        run.add_option("--timeout", options.timeout_s, "watchdog per scenario, seconds")
            ->capture_default_str()
            ->check(watchdog_seconds());
        run.add_option("--junit", reports_.junit, "write a JUnit XML report");
        run.add_option("--tap", reports_.tap, "write a TAP report");
        run.add_option("--guest", options.guest_path, kGuestHelp);
        auto* verbose_flag =
            run.add_flag("-v,--verbose", reports_.verbose, "report every scenario and its notes, not only failures");
        run.add_flag("-q,--quiet", reports_.quiet, "print only what failed and the summary line (no progress line)")
            ->excludes(verbose_flag);
        run.add_option("--logs", reports_.logs,
                       "write a log per run, DIR/<scenario>.<mode>.<backend>.log (the previous run's DIR: DIR.old)")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        run.add_flag("--no-live", no_live_, "QEMU: no shared RAM / serial handshake (no live walk from outside)");
        run.add_flag("--skip-if-unavailable", options.skip_if_unavailable,
                     "with --backend kvm|qemu: exit 77 (ctest SKIP) with the reason when that backend is unavailable");
    }

    int run() override {
        // Running VMs end and their files go on SIGINT/SIGTERM/SIGHUP (exit 128 + signal).
        interrupt::install();
        suite::RunOptions options = selection_.resolved();
        options.qemu_live = !no_live_;
        options.progress = !reports_.quiet;
        return suite::run_command(options, reports_);
    }

private:
    ScenarioSelection selection_;
    suite::ReportOptions reports_;
    bool no_live_ = false;
};

}  // namespace

std::unique_ptr<Command> make_run_command(CLI::App& app) {
    return std::make_unique<RunCommand>(app);
}

}  // namespace pagewalk::host::cli
