// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: writing the bootable ISO — the guest ELF, every compiled program, the GRUB configuration and a
// manifest in a directory tree, turned into a hybrid image (CD-ROM and USB stick) by grub-mkrescue (xorriso): it
// boots through BIOS with GRUB's i386-pc modules (grub-pc-bin) and through UEFI with its x86_64-efi modules
// (grub-efi-amd64-bin; mtools for the EFI system partition image), whichever of them are installed.
#pragma once

#include <cstdint>
#include <string>

#include "iso/iso_plan.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::iso {

/// How to build the image.
struct IsoBuildOptions {
    std::string output;            ///< the ISO file to write
    std::string guest_path;        ///< pagewalk-guest.elf
    std::string work_dir;          ///< the tree grub-mkrescue packs (emptied first); "" = OUTPUT.d next to the ISO
    bool force = false;            ///< empty work_dir even when it is not empty and pagewalk did not make it
    unsigned grub_timeout = 5;     ///< seconds the GRUB menu waits before the default entry
    std::string gfxmode = "auto";  ///< grub_config's
    unsigned default_entry = 0;    ///< grub_config's (menu_entry): 0 = every scenario
};

/// Which firmware the ISO boots from: grub-mkrescue puts in a boot image for every GRUB platform it finds.
struct GrubPlatforms {
    bool bios = false;  ///< /usr/lib/grub/i386-pc
    bool uefi = false;  ///< /usr/lib/grub/x86_64-efi
};

/// The platforms grub-mkrescue would build for here.
GrubPlatforms grub_platforms();

/// "BIOS and UEFI (x86-64)", or "BIOS only — install grub-efi-amd64-bin for UEFI", for the user.
std::string describe(const GrubPlatforms& p);

/// What was built.
struct IsoImage {
    std::string path;
    std::uint64_t bytes = 0;
    std::string tree;  ///< the directory it was made from (kept: its grub.cfg and manifest are worth reading)
    GrubPlatforms platforms;
};

/// Why no ISO can be made here (a tool or GRUB's BIOS modules missing), or "" when it can (UEFI is optional).
std::string iso_tools_missing();

/// Writes the tree and runs grub-mkrescue.
Expected<IsoImage> build_iso(const IsoPlan& plan, const IsoBuildOptions& options);

}  // namespace pagewalk::host::iso
