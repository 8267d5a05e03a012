// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk boot: boot the guest once on one backend and print its records — a debugging command, and the boot
// tests' runner (--expect: the outcome a deliberately broken guest must end with; --skip-if-unavailable).
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "run/selftest_check.hpp"
#include "suite/commands.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::cli {
namespace {

/// What `boot --test` can run: the guest's pw.test= programs (guest/main/main32.cpp, main64.cpp, selftest/).
const std::vector<std::string> kGuestTests = {"selftest",       "selftest32",     "selftest-pae",  "bench",
                                              "la57",           "program",        "inspect-32bit", "inspect-pae",
                                              "inspect-4level", "inspect-5level", "triple-fault",  "hang",
                                              "garbage",        "early-stop",     "mmio",          "stray-exception"};

const char* const kOutcomeNames[] = {
    "passed", "guest-failed", "protocol-error", "early-stop",   "triple-fault",    "internal-error", "fail-entry",
    "mmio",   "halted",       "timeout",        "launch-error", "unexpected-exit", "interrupted"};
static_assert(std::size(kOutcomeNames) == static_cast<std::size_t>(Outcome::interrupted) + 1, "one name per Outcome");

const char* outcome_name(Outcome o) {
    return kOutcomeNames[static_cast<int>(o)];
}

class BootCommand final : public Command {
public:
    explicit BootCommand(CLI::App& app)
        : Command(app, "boot", "boot the guest once, print its records (exit 1 if it failed)"),
          guest_(default_guest()) {
        CLI::App& boot = subcommand();
        boot.add_option("--backend", backend_, "kvm or qemu")->check(CLI::IsMember(backend_option_names(false)));
        boot.add_option("--guest", guest_, kGuestHelp);
        boot.add_option("--module", module_, "multiboot module (scenario program) to pass");
        boot.add_option("--iso", iso_, "qemu only: boot a GRUB ISO (multiboot2) instead of -kernel GUEST");
        boot.add_option("--timeout", timeout_, "watchdog, seconds")->capture_default_str()->check(watchdog_seconds());
        boot.add_option("--test", test_,
                        "guest program: selftest, selftest32 (32-bit paging), selftest-pae, bench, la57, program (runs "
                        "--module), inspect-32bit|pae|4level|5level, triple-fault, hang, garbage, early-stop, mmio, "
                        "stray-exception")
            ->capture_default_str()
            ->check(CLI::IsMember(kGuestTests));
        boot.add_option("--cmdline", extra_, "extra guest command line words");
        boot.add_option("--entry", entry_, "KVM entry path: auto (probe), 32 (multiboot), 64 (direct long mode)")
            ->check(CLI::IsMember({"auto", "32", "64"}))
            ->capture_default_str();
        boot.add_option("--memory", memory_mib_, "guest RAM in MiB")
            ->capture_default_str()
            ->check(CLI::Range(2u, 4096u));
        boot.add_flag("-v,--verbose", verbose_, "print every record even on failure");
        boot.add_option("--expect", expect_, "exit 0 only if the run ends this way (tests of broken guests)")
            ->check(CLI::IsMember(std::vector<std::string>(std::begin(kOutcomeNames), std::end(kOutcomeNames))))
            ->capture_default_str();
        boot.add_flag(
            "--skip-if-unavailable", skip_if_unavailable_,
            "exit 77 (ctest SKIP) with the reason when the backend or the forced entry path is not available");
    }

    int run() override {
        // The VM ends and its files go on SIGINT/SIGTERM/SIGHUP (exit 128 + signal).
        interrupt::install();
        if (test_ == "program" && module_.empty()) {
            std::cerr
                << "pagewalk boot: --test program runs a program: give it with --module FILE (pagewalk compile)\n";
            return suite::kUsageError;
        }
        BootOptions o;
        o.guest_path = guest_;
        if (!module_.empty()) o.module_path = module_;
        if (!iso_.empty()) o.iso_path = iso_;
        o.cmdline = "pw.test=" + test_ + (extra_.empty() ? "" : " " + extra_);
        o.timeout_s = timeout_;
        o.memory_bytes = std::uint64_t{memory_mib_} << 20;
        o.entry = entry_ == "32"   ? EntryChoice::multiboot32
                  : entry_ == "64" ? EntryChoice::direct64
                                   : EntryChoice::automatic;
        const std::optional<BackendKind> kind = parse_backend(backend_);
        if (!kind) {  // --backend is checked against the same names: never reached
            std::cerr << "pagewalk boot: --backend " << backend_ << ": no such backend\n";
            return suite::kUsageError;
        }
        if (skip_if_unavailable_) {
            // The protected-mode self-tests need 32-bit or PAE paging from the 32-bit entry.
            const auto paging = test_ == "selftest32"     ? std::optional{PagingMode::legacy32}
                                : test_ == "selftest-pae" ? std::optional{PagingMode::pae}
                                                          : std::nullopt;
            if (const std::string why = backend::boot_unavailable(*kind, o, paging); !why.empty()) {
                std::cout << "SKIP: " << why << "\n";
                return kSkip;
            }
        }
        RunResult r = backend::boot(*kind, o);
        const bool selftest = test_ == "selftest" || test_ == "selftest32" || test_ == "selftest-pae";
        if (selftest && r.passed()) {
            if (const std::string why = check_selftest(r, test_ == "selftest" ? 64 : 32); !why.empty()) {
                r.outcome = Outcome::guest_failed;
                r.detail = "self-test records: " + why;
            }
        }
        std::cout << format_result(r, verbose_);
        if (interrupt::received() != 0) return interrupt::exit_status();
        const bool as_expected = expect_ == outcome_name(r.outcome);
        if (expect_ != "passed")
            std::cout << (as_expected ? "as expected: " : "NOT as expected: ") << "outcome " << outcome_name(r.outcome)
                      << ", expected " << expect_ << "\n";
        return as_expected ? 0 : 1;
    }

private:
    std::string backend_{backend_name(BackendKind::kvm)}, guest_, module_, iso_, test_ = "selftest", extra_,
                                                                                 entry_ = "auto";
    double timeout_ = 10.0;
    unsigned memory_mib_ = 64;
    bool verbose_ = false;
    std::string expect_ = "passed";
    bool skip_if_unavailable_ = false;
};

}  // namespace

std::unique_ptr<Command> make_boot_command(CLI::App& app) {
    return std::make_unique<BootCommand>(app);
}

}  // namespace pagewalk::host::cli
