// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk: the command line. `run` runs the scenario library and checks it; `list` lists it; `compile` writes one
// program; `probe` prints what each backend can do; `boot` runs the guest once and prints its records (a debugging
// command). Exit status: 0 only when the command succeeded / nothing failed.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "inspect/inspect_command.hpp"
#include "iso/iso_command.hpp"
#include "kvm/kvm.hpp"
#include "kvm/launcher.hpp"
#include "kvm/probe.hpp"
#include "matrix/matrix_command.hpp"
#include "qemu/qemu_backend.hpp"
#include "run/probe_report.hpp"
#include "run/selftest_check.hpp"
#include "scenario/scenario.hpp"
#include "suite/commands.hpp"
#include "util/interrupt.hpp"

#ifndef PAGEWALK_DEFAULT_GUEST
#define PAGEWALK_DEFAULT_GUEST ""
#endif
#ifndef PAGEWALK_DEFAULT_SCENARIOS
#define PAGEWALK_DEFAULT_SCENARIOS ""
#endif

namespace {

/// The guest image: --guest, else the build's own (compile-time path), else guest/ next to the executable.
std::string default_guest() {
    std::error_code ec;
    if (std::filesystem::exists(PAGEWALK_DEFAULT_GUEST, ec)) return PAGEWALK_DEFAULT_GUEST;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) return (self.parent_path() / "guest" / "pagewalk-guest.elf").string();
    return "guest/pagewalk-guest.elf";
}

/// The scenario library: the build's own source tree (compile-time path), else scenarios/ next to the executable's
/// directory, else ./scenarios.
std::string default_scenarios() {
    std::error_code ec;
    if (std::filesystem::is_directory(PAGEWALK_DEFAULT_SCENARIOS, ec)) return PAGEWALK_DEFAULT_SCENARIOS;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && std::filesystem::is_directory(self.parent_path().parent_path() / "scenarios", ec))
        return (self.parent_path().parent_path() / "scenarios").string();
    return "scenarios";
}

#ifndef PAGEWALK_VERSION
#define PAGEWALK_VERSION "unknown"
#endif

// The defaults are this build's own files: named in words, so that --help shows no build path.
constexpr const char* kGuestHelp = "guest ELF image (default: the one built with this pagewalk)";
constexpr const char* kScenariosHelp = "scenario directory (default: the source tree's scenarios/)";

/// What `boot --test` can run: the guest's pw.test= programs (guest/boot/main32.cpp, main64.cpp, selftest/).
const std::vector<std::string> kGuestTests = {"selftest",       "selftest32",     "selftest-pae",  "bench",
                                              "la57",           "program",        "inspect-32bit", "inspect-pae",
                                              "inspect-4level", "inspect-5level", "triple-fault",  "hang",
                                              "garbage",        "early-stop",     "mmio",          "stray-exception"};

/// A watchdog in seconds: finite, above zero and at most a day. NaN, infinity and absurd values (1e300 would
/// overflow the conversion to milliseconds) are usage errors.
const CLI::Validator kWatchdogSeconds(
    [](std::string& text) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
            v = std::stod(text, &used);
        } catch (const std::exception&) {
            return "not a number: " + text;
        }
        if (used != text.size()) return "not a number: " + text;
        if (!std::isfinite(v) || v <= 0 || v > 86400)
            return "a timeout must be a finite number of seconds above 0 and at most 86400, not " + text;
        return "";
    },
    "SECONDS");

/// ctest's SKIP_RETURN_CODE: the backend is not there, which is not a failure.
constexpr int kSkip = 77;

const char* const kOutcomeNames[] = {
    "passed", "guest-failed", "protocol-error", "early-stop",   "triple-fault",    "internal-error", "fail-entry",
    "mmio",   "halted",       "timeout",        "launch-error", "unexpected-exit", "interrupted"};
static_assert(std::size(kOutcomeNames) == static_cast<std::size_t>(pagewalk::host::Outcome::interrupted) + 1,
              "one name per Outcome");

const char* outcome_name(pagewalk::host::Outcome o) {
    return kOutcomeNames[static_cast<int>(o)];
}

int pagewalk_main(int argc, char** argv);

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

namespace {

int pagewalk_main(int argc, char** argv) {
    // pagewalk talks to QEMU through pipes and sockets: a QEMU that dies mid-run must be a failed scenario (the
    // write fails with EPIPE), never a SIGPIPE that ends the whole run.
    ::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"pagewalk: x86 page-table walker and the harness that proves it on real CPUs", "pagewalk"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "pagewalk " PAGEWALK_VERSION);

    app.add_subcommand("probe", "print what each backend (KVM, QEMU) can do, and why");

    auto* boot = app.add_subcommand("boot", "boot the guest once, print its records (exit 1 if it failed)");
    std::string backend = "kvm", guest = default_guest(), module, test = "selftest", extra, entry = "auto";
    double timeout = 10.0;
    unsigned memory_mib = 64;
    boot->add_option("--backend", backend, "kvm or qemu")->check(CLI::IsMember({"kvm", "qemu"}));
    boot->add_option("--guest", guest, kGuestHelp);
    boot->add_option("--module", module, "multiboot module (scenario program) to pass");
    std::string iso;
    boot->add_option("--iso", iso, "qemu only: boot a GRUB ISO (multiboot2) instead of -kernel GUEST");
    boot->add_option("--timeout", timeout, "watchdog, seconds")->capture_default_str()->check(kWatchdogSeconds);
    boot->add_option("--test", test,
                     "guest program: selftest, selftest32 (32-bit paging), selftest-pae, bench, la57, program (runs "
                     "--module), inspect-32bit|pae|4level|5level, triple-fault, hang, garbage, early-stop, mmio, "
                     "stray-exception")
        ->capture_default_str()
        ->check(CLI::IsMember(kGuestTests));
    boot->add_option("--cmdline", extra, "extra guest command line words");
    boot->add_option("--entry", entry, "KVM entry path: auto (probe), 32 (multiboot), 64 (direct long mode)")
        ->check(CLI::IsMember({"auto", "32", "64"}))
        ->capture_default_str();
    boot->add_option("--memory", memory_mib, "guest RAM in MiB")->capture_default_str()->check(CLI::Range(2u, 4096u));
    bool verbose = false;
    boot->add_flag("-v,--verbose", verbose, "print every record even on failure");
    std::string expect = "passed";
    boot->add_option("--expect", expect, "exit 0 only if the run ends this way (tests of broken guests)")
        ->check(CLI::IsMember(std::vector<std::string>(std::begin(kOutcomeNames), std::end(kOutcomeNames))))
        ->capture_default_str();
    bool skip_missing = false;
    boot->add_flag("--skip-if-unavailable", skip_missing,
                   "exit 77 (ctest SKIP) with the reason when the backend or the forced entry path is not available");

    // run / list: the scenario pipeline.
    pagewalk::host::suite::RunOptions run_options;
    run_options.scenario_dir = default_scenarios();
    run_options.guest_path = default_guest();
    run_options.jobs = std::max(1u, std::thread::hardware_concurrency());
    pagewalk::host::suite::ReportOptions reports;
    std::string run_mode;
    bool no_live = false;
    auto* run = app.add_subcommand("run", "run scenarios (default: the whole library) and check every access");
    auto* list = app.add_subcommand("list", "list the scenarios and where each mode would run");
    for (auto* cmd : {run, list}) {
        cmd->add_option("scenarios", run_options.selectors,
                        "scenario files, directories, names or globs ('smap-*') of --scenarios (default: all)");
        cmd->add_option("--tag", run_options.tags, "scenarios with this tag or needed CPU feature (pku, smap, …)")
            ->allow_extra_args(false);  // `--tag pku nx-fetch`: nx-fetch is a scenario, not a second tag
        cmd->add_option("--scenarios", run_options.scenario_dir, kScenariosHelp);
        cmd->add_option("--backend", run_options.backend, "auto (KVM when it can, else QEMU), kvm or qemu")
            ->check(CLI::IsMember({"auto", "kvm", "qemu"}))
            ->capture_default_str();
        cmd->add_option("--mode", run_mode, "only this paging mode: 32bit, pae, 4level, 5level")
            ->check(CLI::IsMember({"32bit", "pae", "4level", "5level"}));
    }
    run->add_option("--jobs,-j", run_options.jobs, "scenarios run in parallel VMs")
        ->capture_default_str()
        ->check(CLI::Range(1u, 256u));
    run->add_option("--timeout", run_options.timeout_s, "watchdog per scenario, seconds")
        ->capture_default_str()
        ->check(kWatchdogSeconds);
    run->add_option("--junit", reports.junit, "write a JUnit XML report");
    run->add_option("--tap", reports.tap, "write a TAP report");
    run->add_option("--guest", run_options.guest_path, kGuestHelp);
    auto* verbose_flag =
        run->add_flag("-v,--verbose", reports.verbose, "report every scenario and its notes, not only failures");
    run->add_flag("-q,--quiet", reports.quiet, "print only what failed and the summary line (no progress line)")
        ->excludes(verbose_flag);
    run->add_option("--logs", reports.logs,
                    "write a log per run, DIR/<scenario>.<mode>.<backend>.log (the previous run's DIR: DIR.old)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    run->add_flag("--no-live", no_live, "QEMU: no shared RAM / serial handshake (no live walk from outside)");
    run->add_flag("--skip-if-unavailable", run_options.skip_if_unavailable,
                  "with --backend kvm|qemu: exit 77 (ctest SKIP) with the reason when that backend is unavailable");

    auto* compile = app.add_subcommand("compile", "compile one scenario for one mode into a program file");
    std::string compile_file, compile_mode = "4level", compile_out;
    compile->add_option("file", compile_file, "scenario file")->required();
    compile->add_option("--mode", compile_mode, "paging mode (one of the file's modes)")
        ->capture_default_str()
        ->check(CLI::IsMember({"32bit", "pae", "4level", "5level"}));
    compile->add_option("-o,--output", compile_out, "program file")->required();

    // iso: the bootable image for a physical machine (host/iso/).
    pagewalk::host::iso::IsoCommandOptions iso_options;
    iso_options.scenario_dir = default_scenarios();
    iso_options.guest_path = default_guest();
    std::string iso_mode;
    auto* iso_cmd = app.add_subcommand(
        "iso", "build a bootable GRUB ISO that runs every scenario × mode on a physical machine (no host needed)");
    iso_cmd->add_option("files", iso_options.files, "scenario files (default: every *.toml of --scenarios)");
    iso_cmd->add_option("--scenarios", iso_options.scenario_dir, kScenariosHelp);
    iso_cmd->add_option("--mode", iso_mode, "only this paging mode: 32bit, pae, 4level, 5level")
        ->check(CLI::IsMember({"32bit", "pae", "4level", "5level"}));
    iso_cmd->add_option("-o,--output", iso_options.output, "the ISO file")->capture_default_str();
    iso_cmd->add_option("--guest", iso_options.guest_path, kGuestHelp);
    iso_cmd->add_option("--work-dir", iso_options.work_dir, "directory tree packed into the ISO (default: OUTPUT.d)");
    iso_cmd->add_flag("--force", iso_options.force,
                      "empty --work-dir (or OUTPUT.d) even when it is not empty and was not made by pagewalk iso");
    iso_cmd->add_option("--grub-timeout", iso_options.grub_timeout, "seconds the GRUB menu waits")
        ->capture_default_str()
        ->check(CLI::Range(0u, 600u));
    iso_cmd->add_flag("--check", iso_options.check,
                      "then boot it under QEMU (-cdrom) and check every program, the guest's verdicts and lines");
    iso_cmd
        ->add_option("--serial-log", iso_options.serial_log,
                     "check this capture of COM1 from a boot of the ISO (a physical machine) instead of building "
                     "one; give the same scenario files and --mode as for the ISO")
        ->excludes("--check");
    iso_cmd->add_option("--timeout", iso_options.timeout_s, "--check: watchdog for the whole boot, seconds")
        ->capture_default_str()
        ->check(kWatchdogSeconds);
    std::string iso_firmware = "bios";
    iso_cmd
        ->add_option("--firmware", iso_firmware,
                     "--check: boot it through BIOS (SeaBIOS) or UEFI (OVMF, Debian package ovmf)")
        ->capture_default_str()
        ->check(CLI::IsMember({"bios", "uefi"}));
    iso_cmd
        ->add_option("--memory", iso_options.memory_mib,
                     "--check: the VM's RAM in MiB (default: what the programs need, at least 128); a physical "
                     "machine has more, and the guest's identity map grows with it up to 1 GiB")
        ->check(CLI::Range(128u, 65536u));
    iso_cmd
        ->add_option("--gfxmode", iso_options.gfxmode,
                     "the framebuffer GRUB sets up for the guest's screen (GRUB gfxpayload: auto, WxH, lists like "
                     "2560x1440,auto)")
        ->capture_default_str();
    iso_cmd->add_option("--screenshot", iso_options.screenshot,
                        "--check: boot with a VGA card (its preferred mode the first WxH of --gfxmode) and save the "
                        "screen at the end of the run into this PPM file; check its summary line and QR code");
    iso_cmd->add_option("--decode", iso_options.decode,
                        "print the report of a run summary: the text of the screen's QR code, or a file holding it");
    iso_cmd->add_flag("-v,--verbose", iso_options.verbose, "--check: every program and every guest line");
    iso_cmd->add_flag("--skip-if-unavailable", iso_options.skip_if_unavailable,
                      "exit 77 (ctest SKIP) with the reason when GRUB/xorriso (or, with --check, QEMU) are missing");

    pagewalk::host::inspect::InspectCommand inspect(app);  // `inspect translate`, `inspect maps`
    pagewalk::host::matrix::MatrixCommand matrix(app);     // `matrix --list-dimensions`

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every usage error 2 (CLI11's own codes are 105, 106, 109, …).
        return app.exit(e) == 0 ? 0 : pagewalk::host::suite::kUsageError;
    }
    if (inspect.selected()) return inspect.run();
    if (matrix.selected()) return matrix.run();

    // run, iso and boot end their VMs and remove their files on SIGINT/SIGTERM/SIGHUP (exit 128 + signal).
    if (app.got_subcommand("run") || app.got_subcommand("iso") || app.got_subcommand("boot"))
        pagewalk::host::interrupt::install();
    if (!run_mode.empty()) run_options.mode = pagewalk::paging_mode_from_name(run_mode.c_str());
    run_options.qemu_live = !no_live;
    run_options.progress = !reports.quiet;
    if (app.got_subcommand("run")) return pagewalk::host::suite::run_command(run_options, reports);
    if (app.got_subcommand("list")) return pagewalk::host::suite::list_command(run_options);
    if (app.got_subcommand("iso")) {
        if (!iso_mode.empty()) iso_options.mode = pagewalk::paging_mode_from_name(iso_mode.c_str());
        iso_options.uefi = iso_firmware == "uefi";
        return pagewalk::host::iso::iso_command(iso_options);
    }
    if (app.got_subcommand("compile"))
        return pagewalk::host::suite::compile_command(compile_file, compile_mode, compile_out);

    if (app.got_subcommand("probe")) {
        std::cout << pagewalk::host::probe_report();
        return 0;
    }
    if (test == "program" && module.empty()) {
        std::cerr << "pagewalk boot: --test program runs a program: give it with --module FILE (pagewalk compile)\n";
        return pagewalk::host::suite::kUsageError;
    }
    pagewalk::host::BootOptions o;
    o.guest_path = guest;
    if (!module.empty()) o.module_path = module;
    if (!iso.empty()) o.iso_path = iso;
    o.cmdline = "pw.test=" + test + (extra.empty() ? "" : " " + extra);
    o.timeout_s = timeout;
    o.memory_bytes = std::uint64_t{memory_mib} << 20;
    o.entry = entry == "32"   ? pagewalk::host::EntryChoice::multiboot32
              : entry == "64" ? pagewalk::host::EntryChoice::direct64
                              : pagewalk::host::EntryChoice::automatic;
    if (skip_missing) {
        if (backend == "kvm") {
            auto kvm = pagewalk::host::kvm::KvmSystem::open();
            if (!kvm) {
                std::cout << "SKIP: kvm unavailable: " << kvm.error() << "\n";
                return kSkip;
            }
            if (o.entry == pagewalk::host::EntryChoice::multiboot32 &&
                !pagewalk::host::kvm::kvm_can_enter_32bit(*kvm)) {
                std::cout << "SKIP: this KVM cannot run the multiboot 32-bit entry (see `pagewalk probe`)\n";
                return kSkip;
            }
            // The protected-mode self-tests need the 32-bit entry and 32-bit / PAE paging (kvm_pvm: neither paging).
            if (test == "selftest32" || test == "selftest-pae") {
                const auto caps = pagewalk::host::kvm::probe_kvm(*kvm);
                const char* row = test == "selftest32" ? "paging32" : "pae";
                if (!caps.can_enter_32bit() || !caps.has(row)) {
                    const auto* c = caps.find(row);
                    std::cout << "SKIP: this KVM cannot run " << row << " paging from the 32-bit entry"
                              << (c != nullptr ? " (" + c->reason + ")" : std::string()) << "\n";
                    return kSkip;
                }
            }
        } else if (const auto q = pagewalk::host::qemu::probe_qemu(); !q.found) {
            std::cout << "SKIP: qemu unavailable: " << q.reason << "\n";
            return kSkip;
        }
    }
    pagewalk::host::RunResult r =
        backend == "qemu" ? pagewalk::host::qemu::boot_qemu(o) : pagewalk::host::kvm::boot_kvm(o);
    const bool selftest = test == "selftest" || test == "selftest32" || test == "selftest-pae";
    if (selftest && r.passed()) {
        if (const std::string why = pagewalk::host::check_selftest(r, test == "selftest" ? 64 : 32); !why.empty()) {
            r.outcome = pagewalk::host::Outcome::guest_failed;
            r.detail = "self-test records: " + why;
        }
    }
    std::cout << pagewalk::host::format_result(r, verbose);
    if (pagewalk::host::interrupt::received() != 0) return pagewalk::host::interrupt::exit_status();
    const bool as_expected = expect == outcome_name(r.outcome);
    if (expect != "passed")
        std::cout << (as_expected ? "as expected: " : "NOT as expected: ") << "outcome " << outcome_name(r.outcome)
                  << ", expected " << expect << "\n";
    return as_expected ? 0 : 1;
}

}  // namespace
