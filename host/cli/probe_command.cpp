// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk probe: what each backend can do here, and why (backend/backend.hpp's probe_report).
#include <iostream>
#include <memory>

#include "backend/backend.hpp"
#include "cli/commands.hpp"

namespace pagewalk::host::cli {
namespace {

class ProbeCommand final : public Command {
public:
    explicit ProbeCommand(CLI::App& app)
        : Command(app, "probe", "print what each backend (KVM, QEMU) can do, and why") {}

    int run() override {
        std::cout << backend::probe_report();
        return 0;
    }
};

}  // namespace

std::unique_ptr<Command> make_probe_command(CLI::App& app) {
    return std::make_unique<ProbeCommand>(app);
}

}  // namespace pagewalk::host::cli
