// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk iso: the bootable GRUB ISO for a physical machine, its check under QEMU, a COM1 capture's check and a
// run summary's decoding (iso/iso_command.hpp does the work).
#include "iso/iso_command.hpp"

#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::cli {
namespace {

class IsoCommand final : public Command {
public:
    explicit IsoCommand(CLI::App& app)
        : Command(app, "iso",
                  "build a bootable GRUB ISO that runs every scenario × mode on a physical machine (no host needed)") {
        options_.scenario_dir = default_scenarios();
        options_.guest_path = default_guest();
        CLI::App& iso = subcommand();
        iso.add_option("files", options_.files, "scenario files (default: every *.toml of --scenarios)");
        iso.add_option("--scenarios", options_.scenario_dir, kScenariosHelp);
        iso.add_option("--mode", mode_, "only this paging mode: 32bit, pae, 4level, 5level")
            ->check(CLI::IsMember(paging_mode_names()));
        iso.add_option("-o,--output", options_.output, "the ISO file")->capture_default_str();
        iso.add_option("--guest", options_.guest_path, kGuestHelp);
        iso.add_option("--work-dir", options_.work_dir, "directory tree packed into the ISO (default: OUTPUT.d)");
        iso.add_flag("--force", options_.force,
                     "empty --work-dir (or OUTPUT.d) even when it is not empty and was not made by pagewalk iso");
        iso.add_option("--grub-timeout", options_.grub_timeout, "seconds the GRUB menu waits")
            ->capture_default_str()
            ->check(CLI::Range(0u, 600u));
        iso.add_flag("--check", options_.check,
                     "then boot it under QEMU (-cdrom) and check every program, the guest's verdicts and lines");
        iso.add_option("--serial-log", options_.serial_log,
                       "check this capture of COM1 from a boot of the ISO (a physical machine) instead of building "
                       "one — of its scenario entries or its access-matrix entries; give the same scenario files, "
                       "--mode and --matrix-limit as for the ISO")
            ->excludes("--check");
        iso.add_option("--captured-under", options_.captured_under,
                       "--serial-log: the capture is of a boot under this backend, whose known deviations then apply "
                       "(default: a physical machine — no deviations known, the SDM decides)")
            ->check(CLI::IsMember({"qemu"}))
            ->needs("--serial-log");
        iso.add_option("--matrix-limit", options_.matrix_limit,
                       "at most N indices in each access-matrix job (the seeded slice of `pagewalk matrix --limit N`; "
                       "default: the mode's whole space); give it to --serial-log too")
            ->check(CLI::PositiveNumber);
        iso.add_option("--default-entry", options_.default_entry,
                       "the GRUB entry booted after --grub-timeout: scenarios, scenarios-MODE, matrix-MODE or matrix "
                       "(every mode's access matrix)")
            ->capture_default_str();
        iso.add_option("--timeout", options_.timeout_s, "--check: watchdog for the whole boot, seconds")
            ->capture_default_str()
            ->check(watchdog_seconds());
        iso.add_option("--firmware", firmware_,
                       "--check: boot it through BIOS (SeaBIOS) or UEFI (OVMF, Debian package ovmf)")
            ->capture_default_str()
            ->check(CLI::IsMember({"bios", "uefi"}));
        iso.add_option("--memory", options_.memory_mib,
                       "--check: the VM's RAM in MiB (default: what the programs need, at least 128); a physical "
                       "machine has more, and the guest's identity map grows with it up to 1 GiB")
            ->check(CLI::Range(128u, 65536u));
        iso.add_option("--gfxmode", options_.gfxmode,
                       "the framebuffer GRUB sets up for the guest's screen (GRUB gfxpayload: auto, WxH, lists like "
                       "2560x1440,auto)")
            ->capture_default_str();
        iso.add_option("--screenshot", options_.screenshot,
                       "--check: boot with a VGA card (its preferred mode the first WxH of --gfxmode) and save the "
                       "screen at the end of the run into this PPM file; check its summary line and QR code");
        iso.add_option("--decode", options_.decode,
                       "print the report of a run summary: the text of the screen's QR code, or a file holding it");
        iso.add_flag("-v,--verbose", options_.verbose, "--check: every program and every guest line");
        iso.add_flag("--skip-if-unavailable", options_.skip_if_unavailable,
                     "exit 77 (ctest SKIP) with the reason when GRUB/xorriso (or, with --check, QEMU) are missing");
    }

    int run() override {
        // A QEMU booting the ISO ends and the files go on SIGINT/SIGTERM/SIGHUP (exit 128 + signal).
        interrupt::install();
        iso::IsoCommandOptions o = options_;
        if (!mode_.empty()) o.mode = paging_mode_from_name(mode_.c_str());
        o.uefi = firmware_ == "uefi";
        return iso::iso_command(o);
    }

private:
    iso::IsoCommandOptions options_;
    std::string mode_, firmware_ = "bios";
};

}  // namespace

std::unique_ptr<Command> make_iso_command(CLI::App& app) {
    return std::make_unique<IsoCommand>(app);
}

}  // namespace pagewalk::host::cli
