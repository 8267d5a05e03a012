// SPDX-License-Identifier: MIT OR Apache-2.0
#include "suite/commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "report/report.hpp"
#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"
#include "suite/backend_plan.hpp"
#include "util/file.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::suite {
namespace {

/// The TAP and JUnit files asked for; false when one could not be written (the reason is on stderr).
bool write_reports(const ReportOptions& reports, const std::vector<JobResult>& results, double wall) {
    bool ok = true;
    if (!reports.tap.empty()) ok = report::write_text_file(reports.tap, report::tap_report(results)) && ok;
    if (!reports.junit.empty()) ok = report::write_text_file(reports.junit, report::junit_report(results, wall)) && ok;
    return ok;
}

struct ResourceCount {
    std::size_t fds = 0, mappings = 0, threads = 0, children = 0;
};

/// This process's open descriptors, memory mappings, threads and child processes, from /proc/self.
ResourceCount count_resources() {
    ResourceCount c;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++c.fds;
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) ++c.mappings;
    for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++c.threads;
        std::ifstream children(it->path() / "children");
        for (std::string pid; children >> pid;) ++c.children;
    }
    return c;
}

}  // namespace

int run_command(const RunOptions& options, const ReportOptions& reports) {
    if (options.skip_if_unavailable && options.backend != "auto") {
        const BackendCaps caps = probe_backends(options.backend == "kvm", options.backend == "qemu");
        if (options.backend == "kvm" && !caps.kvm) {
            std::cout << "SKIP: kvm unavailable: " << caps.kvm_unavailable << "\n";
            return 77;
        }
        if (options.backend == "qemu" && !caps.qemu.found) {
            std::cout << "SKIP: qemu unavailable: " << caps.qemu.reason << "\n";
            return 77;
        }
    }
    // PAGEWALK_RESOURCE_REPORT=1: descriptors, mappings, threads and children before and after (the load test).
    const bool resource_report = std::getenv("PAGEWALK_RESOURCE_REPORT") != nullptr;
    const ResourceCount before = resource_report ? count_resources() : ResourceCount{};
    const Stopwatch clock;
    const std::vector<JobResult> results = run_suite(options);
    const double wall = clock.ms();
    if (resource_report) {
        const ResourceCount after = count_resources();
        std::cerr << "pagewalk resources: fds " << before.fds << " -> " << after.fds << ", mappings " << before.mappings
                  << " -> " << after.mappings << ", threads " << before.threads << " -> " << after.threads
                  << ", children " << before.children << " -> " << after.children << "\n";
    }
    if (const int sig = interrupt::received(); sig != 0) {
        std::cout << report::console_report(results, wall, reports.verbose);
        std::cout << "pagewalk run: interrupted by signal " << sig << " (" << strsignal(sig) << "): " << results.size()
                  << " runs finished, the rest did not run\n";
        write_reports(reports, results, wall);
        return interrupt::exit_status();
    }
    if (results.empty()) {
        std::cerr << "pagewalk run: no scenarios (looked in " << options.scenario_dir << ")\n";
        return 1;
    }
    std::cout << report::console_report(results, wall, reports.verbose);
    const bool ok = write_reports(reports, results, wall);
    return report::totals(results).failed == 0 && ok ? 0 : 1;
}

int list_command(const RunOptions& options) {
    const BackendCaps caps = probe_backends(options.backend != "qemu", options.backend != "kvm");
    int status = 0;
    const Expected<std::vector<std::string>> files = scenario_files(options.files, options.scenario_dir);
    if (!files) {
        std::cerr << "pagewalk list: " << files.error() << "\n";
        return 1;
    }
    for (const std::string& f : files.value()) {
        const scenario::ParseResult p = scenario::parse_scenario_file(f);
        if (!p.ok()) {
            for (const auto& e : p.errors) std::cout << e.to_string() << "\n";
            status = 1;
            continue;
        }
        const scenario::Scenario& s = p.scenario;
        std::cout << s.name << "  (" << f << ")\n    " << s.rule << "\n";
        if (!s.description.empty()) std::cout << "    " << s.description << "\n";
        for (PagingMode m : s.modes) {
            if (options.mode && *options.mode != m) continue;
            const std::uint32_t features = scenario::required_features(s, m);
            const BackendChoice c = choose_backend(caps, options.backend, s, m, features);
            std::cout << "    " << to_string(m) << ": ";
            if (c.backend.empty())
                std::cout << "SKIP (" << c.reason << ")";
            else
                std::cout << c.backend << (c.backend == "qemu" && !s.qemu_cpu.empty() ? " -cpu " + s.qemu_cpu : "");
            const std::string names = scenario::feature_names(features);
            std::cout << (names.empty() ? "" : "; needs " + names) << "\n";
        }
    }
    return status;
}

int compile_command(const std::string& file, const std::string& mode_name, const std::string& output) {
    const scenario::ParseResult parsed = scenario::parse_scenario_file(file);
    for (const auto& e : parsed.errors) std::cerr << e.to_string() << "\n";
    if (!parsed.ok()) return 1;
    const auto mode = paging_mode_from_name(mode_name.c_str());
    if (!mode) {
        std::cerr << "pagewalk compile: unknown mode " << mode_name << " (32bit, pae, 4level, 5level)\n";
        return 2;
    }
    const scenario::CompileResult c = scenario::compile(parsed.scenario, *mode);
    for (const auto& e : c.errors) std::cerr << e.to_string() << "\n";
    if (!c.ok()) return 1;
    const Status written = write_whole_file(output, c.program.bytes.data(), c.program.bytes.size());
    if (!written) std::cerr << "pagewalk compile: " << written.error() << "\n";
    return written ? 0 : 1;
}

}  // namespace pagewalk::host::suite
