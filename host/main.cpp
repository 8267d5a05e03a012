// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk: the command line. `run` runs the scenario library and checks it; `list` lists it; `compile` writes one
// program; `probe` prints what each backend can do; `boot` runs the guest once and prints its records (a debugging
// command); `iso` builds the bootable ISO; `inspect` reads guest memory dumps; `matrix` the access matrix. Each command
// is an object of its own (cli/command.hpp): it registers its subcommand and options, and runs when chosen. Exit
// status: 0 only when the command succeeded / nothing failed.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "inspect/inspect_command.hpp"
#include "matrix/matrix_command.hpp"
#include "suite/commands.hpp"

#ifndef PAGEWALK_VERSION
#define PAGEWALK_VERSION "unknown"
#endif

namespace {

int pagewalk_main(int argc, char** argv) {
    using namespace pagewalk::host;
    // pagewalk talks to QEMU through pipes and sockets: a QEMU that dies mid-run must be a failed scenario (the
    // write fails with EPIPE), never a SIGPIPE that ends the whole run.
    ::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"pagewalk: x86 page-table walker and the harness that proves it on real CPUs", "pagewalk"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "pagewalk " PAGEWALK_VERSION);

    // The commands, in the order --help lists them (cli/commands.hpp). A new command: one line here.
    const std::unique_ptr<cli::Command> commands[] = {
        cli::make_probe_command(app),
        cli::make_boot_command(app),
        cli::make_run_command(app),
        cli::make_list_command(app),
        cli::make_compile_command(app),
        cli::make_iso_command(app),
        std::make_unique<inspect::InspectCommand>(app),                      // `inspect translate`, `inspect maps`
        std::make_unique<matrix::MatrixCommand>(app, cli::default_guest()),  // `matrix`, `matrix --list-dimensions`
    };

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every usage error 2 (CLI11's own codes are 105, 106, 109, …).
        return app.exit(e) == 0 ? 0 : suite::kUsageError;
    }
    for (const auto& command : commands)
        if (command->selected()) return command->run();
    return suite::kUsageError;  // require_subcommand(1): not reached
}

}  // namespace

int main(int argc, char** argv) {
    const int status = pagewalk_main(argc, argv);
    // Output that could not be written (a full disk, /dev/full) is a failure, never a silent success.
    std::cout.flush();
    if (!std::cout || std::fflush(stdout) != 0) {
        std::cerr << "pagewalk: cannot write the standard output\n";
        return status == 0 ? 1 : status;
    }
    return status;
}
