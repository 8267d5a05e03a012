// SPDX-License-Identifier: MIT OR Apache-2.0
#include "suite/commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "report/report.hpp"
#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"
#include "suite/backend_plan.hpp"
#include "suite/selection.hpp"
#include "util/file.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::suite {
namespace {

/// The TAP and JUnit files asked for; false when one could not be written (the reason is on stderr).
/// Writes the TAP and JUnit reports asked for, and says where each went.
bool write_reports(const ReportOptions& reports, const std::vector<JobResult>& results, double wall) {
    bool ok = true;
    auto write = [&](const std::string& path, const std::string& text, const char* what) {
        if (path.empty()) return;
        const bool written = report::write_text_file(path, text);
        if (written) std::cerr << "pagewalk run: " << what << " report written to " << path << "\n";
        ok = written && ok;
    };
    write(reports.tap, report::tap_report(results), "TAP");
    write(reports.junit, report::junit_report(results, wall), "JUnit");
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

namespace {

/// `options` with the command line's selection resolved into files; nullopt (the error printed) when it is wrong.
std::optional<RunOptions> resolve(const RunOptions& options, const char* command) {
    const Selection sel = select_scenarios(options.selectors, options.tags, options.scenario_dir);
    if (!sel.error.empty()) {
        std::cerr << "pagewalk " << command << ": " << sel.error << "\n";
        return std::nullopt;
    }
    if (sel.files.empty()) {
        std::cerr << "pagewalk " << command << ": no scenarios (no *.toml in " << options.scenario_dir << ")\n";
        return std::nullopt;
    }
    RunOptions o = options;
    o.files = sel.files;
    return o;
}

/// Why a report cannot be written to `path` (empty: it can) — checked before the run, not after minutes of it.
std::string report_path_problem(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) return path + ": is a directory";
    if (fs::exists(path, ec)) return ::access(path.c_str(), W_OK) == 0 ? "" : path + ": not writable";
    const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
    if (!fs::is_directory(parent, ec)) return path + ": no directory " + parent.string();
    return ::access(parent.c_str(), W_OK) == 0 ? "" : path + ": directory " + parent.string() + " is not writable";
}

/// Why `dir` cannot hold the logs (empty: it can): an existing non-directory, or no writable parent.
std::string logs_dir_problem(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) return dir + ": exists and is not a directory";
    const fs::path parent = fs::path(dir).parent_path().empty() ? fs::path(".") : fs::path(dir).parent_path();
    if (!fs::is_directory(parent, ec)) return dir + ": no directory " + parent.string();
    return ::access(parent.c_str(), W_OK) == 0 ? "" : dir + ": directory " + parent.string() + " is not writable";
}

/// Writes one log per result into `dir`, after moving the previous run's `dir` to `dir.old`. False (said on
/// stderr) when it cannot.
bool write_logs(const std::string& dir, const std::vector<JobResult>& results) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string old = dir + ".old";
    fs::remove_all(old, ec);
    if (fs::exists(dir, ec)) fs::rename(dir, old, ec);
    if (!ec) fs::create_directories(dir, ec);
    if (ec) {
        std::cerr << "pagewalk run: cannot make the log directory " << dir << ": " << ec.message() << "\n";
        return false;
    }
    bool ok = true;
    for (const JobResult& r : results) {
        std::string name = r.scenario + "." + (r.mode ? to_string(*r.mode) : "file") + "." +
                           (r.backend == "-" ? "none" : r.backend) + ".log";
        // A scenario's name is the file's to choose: never a path out of the directory.
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
        ok = report::write_text_file((fs::path(dir) / name).string(), report::result_log(r)) && ok;
    }
    if (ok) std::cerr << "pagewalk run: a log per run in " << dir << "/ (the previous run's in " << old << "/)\n";
    return ok;
}

}  // namespace

int run_command(const RunOptions& requested, const ReportOptions& reports) {
    const std::optional<RunOptions> resolved = resolve(requested, "run");
    if (!resolved) return kUsageError;
    const RunOptions& options = *resolved;
    for (const auto& [flag, path] : {std::pair{"--junit", reports.junit}, {"--tap", reports.tap}}) {
        if (path.empty()) continue;
        if (const std::string why = report_path_problem(path); !why.empty()) {
            std::cerr << "pagewalk run: " << flag << " " << why << "\n";
            return kUsageError;
        }
    }
    if (!reports.logs.empty()) {
        if (const std::string why = logs_dir_problem(reports.logs); !why.empty()) {
            std::cerr << "pagewalk run: --logs " << why << "\n";
            return kUsageError;
        }
    }
    // An explicitly requested backend that cannot run at all is an error (or a ctest SKIP when asked for), never a
    // run whose every scenario is skipped.
    if (options.backend.only) {
        if (const std::string unavailable = backend::status(*options.backend.only).unavailable; !unavailable.empty()) {
            if (options.skip_if_unavailable) {
                std::cout << "SKIP: " << options.backend.name() << " unavailable: " << unavailable << "\n";
                return 77;
            }
            std::cerr << "pagewalk run: --backend " << options.backend.name() << " cannot run: " << unavailable
                      << "\n  (--backend auto uses whichever backend can run each scenario)\n";
            return 1;
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
    std::cout << (reports.quiet ? report::failures_report(results)
                                : report::console_report(results, wall, reports.verbose));
    bool ok = true;
    if (!reports.logs.empty()) ok = write_logs(reports.logs, results) && ok;
    ok = write_reports(reports, results, wall) && ok;
    return report::totals(results).failed == 0 && ok ? 0 : 1;
}

int list_command(const RunOptions& requested) {
    const std::optional<RunOptions> resolved = resolve(requested, "list");
    if (!resolved) return kUsageError;
    const RunOptions& options = *resolved;
    const BackendCaps caps = probe_backends(options.backend);
    int status = 0;
    std::size_t runs = 0;
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
        if (const auto tags = scenario_tags(s); !tags.empty()) {
            std::cout << "    tags:";
            for (const auto& t : tags) std::cout << " " << t;
            std::cout << "\n";
        }
        if (!s.description.empty()) std::cout << "    " << s.description << "\n";
        for (PagingMode m : s.modes) {
            if (options.mode && *options.mode != m) continue;
            const std::uint32_t features = scenario::required_features(s, m);
            const BackendChoice c = choose_backend(caps, options.backend, s, m, features);
            ++runs;
            std::cout << "    " << to_string(m) << ": ";
            if (!c.backend)
                std::cout << "SKIP (" << c.reason << ")";
            else
                std::cout << backend_name(*c.backend)
                          << (c.backend == BackendKind::qemu && !s.qemu_cpu.empty() ? " -cpu " + s.qemu_cpu : "");
            const std::string names = scenario::feature_names(features);
            std::cout << (names.empty() ? "" : "; needs " + names) << "\n";
        }
    }
    std::cerr << kvm_fallback_notice(caps, options.backend, runs);
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
    const auto& modes = parsed.scenario.modes;
    if (std::find(modes.begin(), modes.end(), *mode) == modes.end()) {
        std::string names;
        for (PagingMode m : modes) names += std::string(names.empty() ? "" : ", ") + to_string(m);
        std::cerr << "pagewalk compile: " << file << " does not run in " << mode_name << " paging (its modes: " << names
                  << ")\n";
        return kUsageError;
    }
    const scenario::CompileResult c = scenario::compile(parsed.scenario, *mode);
    for (const auto& e : c.errors) std::cerr << e.to_string() << "\n";
    if (!c.ok()) return 1;
    const Status written = write_whole_file(output, c.program.bytes.data(), c.program.bytes.size());
    if (!written) std::cerr << "pagewalk compile: " << written.error() << "\n";
    return written ? 0 : 1;
}

}  // namespace pagewalk::host::suite
