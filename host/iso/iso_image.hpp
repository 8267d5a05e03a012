// pagewalk host: writing the bootable ISO — the guest ELF, every compiled program, the GRUB configuration and a
// manifest in a directory tree, turned into a hybrid BIOS image (CD-ROM and USB stick) by grub-mkrescue (xorriso,
// GRUB's i386-pc modules from grub-pc-bin).
#pragma once

#include <cstdint>
#include <string>

#include "iso/iso_plan.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::iso {

/// How to build the image.
struct IsoBuildOptions {
    std::string output;         ///< the ISO file to write
    std::string guest_path;     ///< pagewalk-guest.elf
    std::string work_dir;       ///< the tree grub-mkrescue packs (emptied first); "" = OUTPUT.d next to the ISO
    unsigned grub_timeout = 5;  ///< seconds the GRUB menu waits before the "every scenario" entry
};

/// What was built.
struct IsoImage {
    std::string path;
    std::uint64_t bytes = 0;
    std::string tree;  ///< the directory it was made from (kept: its grub.cfg and manifest are worth reading)
};

/// Why no ISO can be made here (a tool or GRUB's BIOS modules missing), or "" when it can.
std::string iso_tools_missing();

/// Writes the tree and runs grub-mkrescue.
Expected<IsoImage> build_iso(const IsoPlan& plan, const IsoBuildOptions& options);

}  // namespace pagewalk::host::iso
