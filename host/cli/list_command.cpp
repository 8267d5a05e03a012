// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk list: the scenarios and where each mode would run, or why not (suite/commands.hpp's list_command).
#include <memory>

#include "cli/commands.hpp"
#include "cli/scenario_selection.hpp"
#include "suite/commands.hpp"

namespace pagewalk::host::cli {
namespace {

class ListCommand final : public Command {
public:
    explicit ListCommand(CLI::App& app) : Command(app, "list", "list the scenarios and where each mode would run") {
        selection_.add_to(subcommand());
    }

    int run() override { return suite::list_command(selection_.resolved()); }

private:
    ScenarioSelection selection_;
};

}  // namespace

std::unique_ptr<Command> make_list_command(CLI::App& app) {
    return std::make_unique<ListCommand>(app);
}

}  // namespace pagewalk::host::cli
