// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: `pagewalk iso` — compile every scenario × mode, pack the guest and the programs into a bootable
// GRUB ISO, say how to write it to a USB stick; with --check, boot it under QEMU and check it (iso_check.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace pagewalk::host::iso {

/// What `pagewalk iso` was asked to do.
struct IsoCommandOptions {
    std::vector<std::string> files;  ///< scenario files; empty = every *.toml of scenario_dir
    std::string scenario_dir;
    std::optional<PagingMode> mode;
    std::string output = "pagewalk.iso";
    std::string guest_path;
    std::string work_dir;        ///< the tree grub-mkrescue packs; "" = OUTPUT.d
    bool force = false;          ///< --force: empty work_dir even when pagewalk did not make it
    unsigned grub_timeout = 5;   ///< seconds before GRUB boots the default entry
    bool check = false;          ///< boot it under QEMU afterwards and check it
    std::string serial_log;      ///< instead of building: check this capture of COM1 from a boot of the ISO
    std::string captured_under;  ///< --serial-log: "" (a physical machine: no deviations) or "qemu" (its known ones)
    std::optional<std::uint64_t> matrix_limit;  ///< at most this many indices per matrix job (default: the whole space)
    std::string default_entry = "scenarios";    ///< the GRUB entry booted after the timeout (iso_plan.hpp menu_entry)
    double timeout_s = 120;                     ///< --check: the whole boot
    bool uefi = false;                          ///< --check --firmware uefi: boot it with OVMF instead of SeaBIOS
    unsigned memory_mib = 0;       ///< --check: the VM's RAM; 0 = what the programs need (at least 128 MiB)
    std::string gfxmode = "auto";  ///< the framebuffer GRUB sets up (gfxpayload: "auto", "2560x1440,auto" …)
    std::string screenshot;        ///< --check: a VGA card, and a screenshot (PPM) at the end of the run, checked
    std::string decode;            ///< instead of building: the text of the screen's QR code (or a file holding it)
    bool verbose = false;
    bool skip_if_unavailable = false;  ///< exit 77 (ctest SKIP) when grub-mkrescue/xorriso/GRUB BIOS modules or QEMU
                                       ///< (or, for --firmware uefi, GRUB's EFI modules or OVMF; with --screenshot,
                                       ///< zbarimg) are missing
};

/// Runs the command; exit status 0 when the ISO was made (and, with check, passed its check).
int iso_command(const IsoCommandOptions& options);

}  // namespace pagewalk::host::iso
