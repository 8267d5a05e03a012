// SPDX-License-Identifier: MIT OR Apache-2.0
#include "cli/scenario_selection.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <thread>

#include "cli/options.hpp"

namespace pagewalk::host::cli {

ScenarioSelection::ScenarioSelection() : backend_(BackendRequest{}.name()) {
    options.scenario_dir = default_scenarios();
    options.guest_path = default_guest();
    options.jobs = std::max(1u, std::thread::hardware_concurrency());
}

void ScenarioSelection::add_to(CLI::App& command) {
    command.add_option("scenarios", options.selectors,
                       "scenario files, directories, names or globs ('smap-*') of --scenarios (default: all)");
    command.add_option("--tag", options.tags, "scenarios with this tag or needed CPU feature (pku, smap, …)")
        ->allow_extra_args(false);  // `--tag pku nx-fetch`: nx-fetch is a scenario, not a second tag
    command.add_option("--scenarios", options.scenario_dir, kScenariosHelp);
    command.add_option("--backend", backend_, "auto (KVM when it can, else QEMU), kvm or qemu")
        ->check(CLI::IsMember(backend_option_names(true)))
        ->capture_default_str();
    command.add_option("--mode", mode_, "only this paging mode: 32bit, pae, 4level, 5level")
        ->check(CLI::IsMember(paging_mode_names()));
}

suite::RunOptions ScenarioSelection::resolved() const {
    suite::RunOptions o = options;
    // Both checked against the same names when parsed: a name that does not convert cannot reach here.
    if (const auto request = parse_backend_request(backend_)) o.backend = *request;
    if (!mode_.empty()) o.mode = paging_mode_from_name(mode_.c_str());
    return o;
}

}  // namespace pagewalk::host::cli
