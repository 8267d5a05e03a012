// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: one subcommand of `pagewalk`. Constructing it registers the subcommand and its options on the
// CLI11 app; after parsing, the one selected() is run(). main.cpp lists the commands and runs the chosen one.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace pagewalk::host::cli {

class Command {
public:
    virtual ~Command() = default;
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;

    /// Whether the command line chose this command (after parsing).
    [[nodiscard]] bool selected() const { return subcommand_->parsed(); }
    /// Does it; returns the process's exit status.
    virtual int run() = 0;

protected:
    Command(CLI::App& app, const std::string& name, const std::string& description)
        : subcommand_(app.add_subcommand(name, description)) {}
    [[nodiscard]] CLI::App& subcommand() const { return *subcommand_; }

private:
    CLI::App* subcommand_;
};

}  // namespace pagewalk::host::cli
