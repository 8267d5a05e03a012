// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: moving the boot loader's modules and multiboot2 information to where programs can use them.
// GRUB's EFI loader puts modules wherever the firmware had free pages — under OVMF from 4 KiB up, below and around
// the image — and may put them near 4 GiB on other machines; the guest's programs need them above the image and
// below 16 MiB (runner/layout.hpp). The 32-bit world, paging still off (every address below 4 GiB reachable), copies
// them there once, before anything reads them: a BIOS boot (GRUB puts them right above the image) needs no copy.
#pragma once

#include <cstdint>

#include "boot/boot_info.hpp"

namespace pagewalk::guest {

/// What relocate_boot_data did.
struct BootRelocation {
    bool needed = false;  ///< something lay below `image_end` or reached past `limit`
    bool done = false;    ///< copied: `info` is the copy's address
    std::uint32_t info = 0;
    std::uint64_t start = 0;  ///< where the copy lies, [start, end)
    std::uint64_t end = 0;
};

/// For multiboot2 information (magic kMultiboot2BootMagic): when a module or the structure lies below `image_end`
/// or ends above `limit`, copies the structure, then every module (each page-aligned), to the lowest available RAM
/// (info.ram, or [image_end, info.memory_end) when the loader gave no memory map) at or above `image_end` that
/// overlaps none of them and ends at or below `limit`, and points the copy's module tags at the copies. Nothing is
/// written when there is no such place (done = false: the layout check reports the boot).
BootRelocation relocate_boot_data(const BootInfo& info, std::uint64_t image_end, std::uint64_t limit);

}  // namespace pagewalk::guest
