// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: where the launcher puts its own structures in guest-physical memory (below the 1 MiB image).
#pragma once

#include <cstdint>

namespace pagewalk::host::kvm {

/// Fixed guest-physical addresses the launcher writes before the first KVM_RUN. The guest image is loaded at
/// 1 MiB or above (its ELF says where), modules after it; nothing of the launcher lies at or above 1 MiB.
struct LowMemory {
    static constexpr std::uint64_t gdt = 0x1000;   ///< launcher GDT (direct 64-bit entry only)
    static constexpr std::uint64_t pml4 = 0x2000;  ///< launcher identity map (direct 64-bit entry only)
    static constexpr std::uint64_t pdpt = 0x3000;
    static constexpr std::uint64_t pd = 0x4000;  ///< up to 4 page directories: 4 GiB of 2 MiB pages
    static constexpr std::uint64_t multiboot_info = 0x8000;
    static constexpr std::uint64_t module_list = 0x8200;  ///< multiboot_module entries
    static constexpr std::uint64_t memory_map = 0x8800;   ///< multiboot mmap entries
    static constexpr std::uint64_t cmdline = 0x9000;      ///< kernel command line, NUL-terminated
    static constexpr std::uint64_t cmdline_max = 0x800;
    static constexpr std::uint64_t module_strings = 0x9800;
    static constexpr std::uint64_t module_strings_max = 0x800;
    static constexpr std::uint64_t loader_name = 0xa000;
    static constexpr std::uint64_t end = 0xb000;            ///< first byte after the launcher's structures
    static constexpr std::uint64_t image_floor = 0x100000;  ///< the image may not start below 1 MiB
};

}  // namespace pagewalk::host::kvm
