// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk compile: one scenario for one mode into a program file, for `pagewalk boot --test program --module`
// (suite/commands.hpp's compile_command).
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "suite/commands.hpp"

namespace pagewalk::host::cli {
namespace {

class CompileCommand final : public Command {
public:
    explicit CompileCommand(CLI::App& app)
        : Command(app, "compile", "compile one scenario for one mode into a program file") {
        CLI::App& compile = subcommand();
        compile.add_option("file", file_, "scenario file")->required();
        compile.add_option("--mode", mode_, "paging mode (one of the file's modes)")
            ->capture_default_str()
            ->check(CLI::IsMember(paging_mode_names()));
        compile.add_option("-o,--output", output_, "program file")->required();
    }

    int run() override { return suite::compile_command(file_, mode_, output_); }

private:
    std::string file_, mode_ = "4level", output_;
};

}  // namespace

std::unique_ptr<Command> make_compile_command(CLI::App& app) {
    return std::make_unique<CompileCommand>(app);
}

}  // namespace pagewalk::host::cli
