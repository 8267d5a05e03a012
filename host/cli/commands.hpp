// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the commands of `pagewalk`, one file each in cli/ (the class stays inside its file). Each makes
// its subcommand and options on the app; main.cpp lists them in --help order and runs the one chosen.
#pragma once

#include <memory>

#include "cli/command.hpp"

namespace pagewalk::host::cli {

std::unique_ptr<Command> make_probe_command(CLI::App& app);    ///< pagewalk probe
std::unique_ptr<Command> make_boot_command(CLI::App& app);     ///< pagewalk boot
std::unique_ptr<Command> make_run_command(CLI::App& app);      ///< pagewalk run
std::unique_ptr<Command> make_list_command(CLI::App& app);     ///< pagewalk list
std::unique_ptr<Command> make_compile_command(CLI::App& app);  ///< pagewalk compile
std::unique_ptr<Command> make_iso_command(CLI::App& app);      ///< pagewalk iso

}  // namespace pagewalk::host::cli
