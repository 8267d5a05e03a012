// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: booting the ISO under QEMU (`-cdrom`, GRUB's multiboot2 loader, every program in one boot) and
// checking it from the serial stream alone, as a physical machine's serial cable would deliver it:
//   - every program on the ISO ran, in order (a program_begin and a program_end for each);
//   - the host's own checks of each program's records (check/evaluate.hpp) — and the guest's verdicts agree with
//     them, step by step and per program (check/guest_verdict.hpp);
//   - the guest's human lines (one per program, and the summary) say what its records say, and the summary is the
//     one the host's checks predict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backend/kind.hpp"
#include "iso/iso_plan.hpp"
#include "suite/suite.hpp"

namespace pagewalk::host::iso {

/// The firmware QEMU boots the ISO with.
enum class Firmware { bios, uefi };

/// OVMF's code image (Debian: package ovmf), "" when none is installed.
std::string find_uefi_firmware();

/// How to boot it.
struct IsoCheckOptions {
    std::string iso;
    Firmware firmware = Firmware::bios;  ///< bios: SeaBIOS; uefi: OVMF (find_uefi_firmware)
    double timeout_s = 120;
    std::string qemu_cpu = "max";
    std::uint64_t memory_bytes = 0;  ///< the VM's RAM; 0 = the plan's (what the programs need)
    bool verbose = false;            ///< print every guest line and every program's result
    /// A VGA card and, at the end of the run, a screenshot into this PPM file, checked: the summary line on it
    /// (drawn host-side with the guest's font) and its QR code (zbarimg) holding the summary the records give.
    std::string screenshot;
    unsigned screen_width = 0, screen_height = 0;  ///< the VGA card's EDID resolution (0: QEMU's default)
};

/// What the check found.
struct IsoCheckResult {
    std::vector<suite::JobResult> programs;  ///< per program, the host's evaluation (with the cross-check)
    std::vector<std::string> problems;       ///< everything wrong with the boot as a whole, in words
    std::string report;                      ///< the whole report, for the console
    std::string summary;                     ///< the run summary the records give (run_summary.hpp), as text
    bool agree = true;                       ///< the guest's verdicts (records and lines) agree with the host's
    [[nodiscard]] bool ok() const;           ///< nothing failed, everything agrees, every program ran
};

/// Boots `plan`'s ISO and checks it.
IsoCheckResult check_iso(const IsoPlan& plan, const IsoCheckOptions& options);

/// The backend check_iso boots the ISO on: firmware, GRUB and the guest need a whole PC, which only QEMU is.
inline constexpr BackendKind kIsoCheckBackend = BackendKind::qemu;

/// Checks a capture of COM1 from a boot of `plan`'s ISO (a physical machine's serial cable, `-serial file:`): the
/// same checks — of the scenario entries' programs, or of the matrix entries' jobs (matrix_capture.hpp), whichever
/// the capture holds — with no backend deviations known (the guest's CPU is whatever it was: the SDM decides), or,
/// for a capture of a boot under a backend (`--captured-under qemu`), that backend's.
IsoCheckResult check_serial_log(const IsoPlan& plan, const std::string& path, bool verbose,
                                std::optional<BackendKind> captured_under = std::nullopt);

}  // namespace pagewalk::host::iso
