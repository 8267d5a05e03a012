// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: what the boot loader handed over — command line, the modules (scenario programs) and where the
// boot information itself lies (programs' memory must avoid all of it).
#pragma once

#include <cstdint>

#include "boot/ram_map.hpp"
#include "report/boot_context.hpp"
#include "report/framebuffer.hpp"

namespace pagewalk::guest {

/// One module as the boot loader placed it: [start, end).
struct BootModule {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
};

/// Parsed boot information; empty fields when the loader gave none.
struct BootInfo {
    const char* cmdline = "";
    std::uint64_t module_start = 0;  ///< the first module
    std::uint64_t module_end = 0;
    std::uint32_t module_count = 0;  ///< every module (module_at)
    std::uint64_t memory_end = 0;    ///< end of the RAM above 1 MiB (multiboot mem_upper), 0 when not given
    RamMap ram;  ///< the available RAM below 4 GiB (multiboot2 memory map tag); empty when not given
    /// The VGA text screen at 0xB8000 can be written: multiboot1 and BIOS boots (text mode), not a UEFI boot (no text
    /// mode: a framebuffer info tag of another type, or an EFI system table tag and none).
    bool text_screen = true;
    /// A linear framebuffer the screen can draw on (multiboot2 framebuffer info tag, direct RGB, 24 or 32 bits per
    /// pixel, below 4 GiB); address 0 when there is none.
    FramebufferState framebuffer{};
    /// The bytes of the boot information the guest reads later: the structure, the module list and the command
    /// line ([info_start, info_end), identity-mapped physical addresses).
    std::uint64_t info_start = 0;
    std::uint64_t info_end = 0;
    std::uint32_t magic = 0;  ///< multiboot1 or multiboot2 (module_at walks the structure again)
    std::uint32_t info = 0;   ///< physical address of the structure (EBX at entry)
    bool valid = false;       ///< the information structure was found and understood
};

/// Reads multiboot1 (EAX = 0x2BADB002, also the direct 64-bit entry) or multiboot2 (EAX = 0x36D76289)
/// information at EBX (Multiboot 0.6.96 §3.3; Multiboot2 §3.6). Identity-mapped addresses only.
BootInfo parse_boot_info(const BootContext& ctx);

/// Module `index` (0-based, the boot loader's order: multiboot1's module list, multiboot2's module tags); an
/// empty module when index >= module_count.
BootModule module_at(const BootInfo& info, std::uint32_t index);

/// The value of `key` (e.g. "pw.test=") in a space-separated command line, copied into out (NUL-terminated);
/// false when absent.
bool cmdline_option(const char* cmdline, const char* key, char* out, unsigned out_size);

/// String equality (freestanding).
bool equals(const char* a, const char* b);

}  // namespace pagewalk::guest
