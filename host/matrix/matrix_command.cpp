// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/matrix_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "matrix/emit_scenarios.hpp"
#include "matrix/list_dimensions.hpp"
#include "suite/commands.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::matrix {
namespace {

/// "K/N" (1 <= K <= N) as the 0-based shard K-1 of N; nullopt when malformed.
std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_shard(const std::string& text) {
    unsigned long k = 0, n = 0;
    char slash = 0, rest = 0;
    if (std::sscanf(text.c_str(), "%lu%c%lu%c", &k, &slash, &n, &rest) != 3 || slash != '/') return std::nullopt;
    if (k < 1 || n < 1 || k > n || n > (1ul << 31)) return std::nullopt;
    return std::pair{static_cast<std::uint32_t>(k - 1), static_cast<std::uint32_t>(n)};
}

}  // namespace

MatrixCommand::MatrixCommand(CLI::App& app, std::string default_guest)
    : Command(app, "matrix", "run the exhaustive access matrix on the backends, or list its dimensions") {
    CLI::App& m = subcommand();
    PlanOptions& plan = options_.plan;
    RunOptions& run = options_.run;
    run.guest_path = std::move(default_guest);
    m.add_flag("--list-dimensions", list_,
               "print the dimensions and the count per mode (total, removed per legality rule, legal) and exit");
    m.add_option("--mode", modes_, "only these paging modes (default: all four): 32bit, pae, 4level, 5level")
        ->check(CLI::IsMember({"32bit", "pae", "4level", "5level"}));
    m.add_flag("--full", full_, "the full space: every table level independent, every reserved pair");
    m.add_option("--shard", shard_, "run the K-th of N equal parts of each mode's space (K/N, 1 <= K <= N)");
    m.add_option("--seed", plan.seed, "chooses the --limit slice's phase and the sampled agreements")
        ->capture_default_str();
    m.add_option("--limit", limit_,
                 "at most N combinations per mode: every ceil(range/N)-th index from a phase the seed chooses")
        ->check(CLI::PositiveNumber);
    m.add_option("--jobs,-j", plan.parts, "split each mode's range into N parts booted side by side")
        ->capture_default_str()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // ./run.sh matrix gives one; the caller's wins
        ->check(CLI::Range(1u, 256u));
    m.add_option("--sample", plan.sample_every, "report one agreement in N in full for the host's own check (0: none)")
        ->capture_default_str();
    m.add_option("--max-cases", plan.max_cases,
                 "report at most N mismatches of each class in full (the rest are counted in their class)")
        ->capture_default_str();
    m.add_option("--backend", backend_,
                 "auto: KVM where it can run a mode, the combinations KVM's CPU lacks features for on QEMU, the "
                 "other modes on QEMU; or only kvm or qemu")
        ->capture_default_str()
        ->check(CLI::IsMember(backend_option_names(true)));
    m.add_option("--qemu-cpu", run.qemu_cpu, "QEMU's -cpu model")->capture_default_str();
    m.add_option("--timeout", run.timeout_s, "watchdog per boot, seconds (default: from the combinations it runs)")
        ->check(CLI::Range(0.001, 86400.0));
    m.add_option("--guest", run.guest_path, "guest ELF image (default: the one built with this pagewalk)");
    m.add_option("--junit", options_.junit, "write a JUnit XML report (a test case per mode and backend)");
    m.add_option("--tap", options_.tap, "write a TAP report (a test point per mode and backend)");
    m.add_option("--mutate", mutate_, "tests only: a deliberately wrong guest walker (ignore-smep)")
        ->check(CLI::IsMember({"ignore-smep"}));
    m.add_flag("--calibrate", options_.calibrate,
               "also measure each backend's bare rates (a read that hits, a #PF round trip, a PTE write + INVLPG) "
               "and print the matrix's checks/s as a share of its #PF round-trip rate");
    m.add_option("--emit-scenarios", options_.emit_dir,
                 "write a scenario file per class of mismatches to DIR (created if missing), which `pagewalk run` "
                 "reruns alone");
    m.add_flag("--skip-if-unavailable", options_.skip_if_unavailable,
               "exit 77 (ctest SKIP) when no row can run (no backend, or a guest without the matrix runner)");
    m.add_flag("-q,--quiet", quiet_, "no progress line");
}

int MatrixCommand::run() {
    const harness::matrix::Space space = full_ ? harness::matrix::Space::full : harness::matrix::Space::standard;
    for (const std::string& name : modes_) options_.modes.push_back(*paging_mode_from_name(name.c_str()));
    if (list_) {
        if (options_.modes.size() > 1) {
            std::cerr << "pagewalk matrix: --list-dimensions takes one --mode or none\n";
            return suite::kUsageError;
        }
        std::optional<PagingMode> mode;
        if (!options_.modes.empty()) mode = options_.modes.front();
        list_dimensions(std::cout, mode, space);
        return 0;
    }
    interrupt::install();
    options_.plan.space = space;
    if (limit_ != 0) options_.plan.limit = limit_;
    if (!shard_.empty()) {
        const auto shard = parse_shard(shard_);
        if (!shard) {
            std::cerr << "pagewalk matrix: --shard " << shard_ << ": give K/N with 1 <= K <= N\n";
            return suite::kUsageError;
        }
        options_.plan.shard = shard->first;
        options_.plan.shards = shard->second;
    }
    if (mutate_ == "ignore-smep") options_.plan.mutations = harness::matrix::mutation::ignore_smep;
    options_.backend = *parse_backend_request(backend_);
    options_.run.parallel = options_.plan.parts;
    options_.run.progress = !quiet_;
    for (const std::string& path : {options_.junit, options_.tap}) {
        if (path.empty()) continue;
        const auto slash = path.find_last_of('/');
        const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
        if (::access(dir.c_str(), W_OK) != 0) {
            std::cerr << "pagewalk matrix: " << path << ": no directory to write it in\n";
            return suite::kUsageError;
        }
    }
    if (!options_.emit_dir.empty()) {
        if (const Status s = prepare_scenario_dir(options_.emit_dir); !s) {
            std::cerr << "pagewalk matrix: " << s.error() << "\n";
            return suite::kUsageError;
        }
    }
    return run_matrix(options_);
}

}  // namespace pagewalk::host::matrix
