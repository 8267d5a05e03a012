// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: where a program's page tables and data go in physical memory, and which ranges the
// scenario's tables must identity-map for the guest itself to keep running. Portable (-m32 and -m64).
#pragma once

#include <cstdint>

#include "boot/ram_map.hpp"

namespace pagewalk::guest::runner {

/// The guest's own memory, as the world that runs the program sees it (all identity-mapped physical addresses).
struct GuestMemoryMap {
    std::uint64_t image_start = 0;  ///< pw_image_start (1 MiB)
    std::uint64_t user_start = 0;   ///< pw_user_start: the only pages ring 3 may touch
    std::uint64_t user_end = 0;
    std::uint64_t image_end = 0;     ///< pw_image_end
    std::uint64_t module_start = 0;  ///< the modules (every program of the boot), lowest start …
    std::uint64_t module_end = 0;    ///< … highest end: identity-mapped for the program, which reads its steps there
    std::uint64_t reserved_end = 0;  ///< end of everything else the guest must keep (the boot information), 0 = none
    std::uint64_t memory_end = 0;    ///< end of RAM (multiboot mem_upper), 0 = unknown
    /// The available RAM (multiboot2 memory map); empty = contiguous up to memory_end. Under UEFI, firmware regions
    /// lie in between: the areas go around them, and a program's own physical addresses must not point into them.
    RamMap ram;
};

/// Linear addresses from 1 GiB up belong to the scenarios (the host's compiler refuses lower ones): the guest's own
/// identity map — and so the RAM a program may use — ends there, however much RAM the machine has.
inline constexpr std::uint64_t kIdentityLimit = 1ull << 30;
/// The modules and the boot information must end below this: scenarios write absolute physical addresses from
/// 32 MiB up (e.g. `pa = 0x0200_0000`, "free RAM"), and programs' tables and data go just above the boot data.
inline constexpr std::uint64_t kBootDataLimit = 16ull << 20;

/// The areas a program gets: page-table frames for the mapper, then the data area (2 MiB-aligned, so data frames
/// can back 2 MiB pages), both above everything the guest already uses.
struct ProgramAreas {
    std::uint64_t tables_base = 0;
    std::uint64_t table_bytes = 0;
    std::uint64_t data_base = 0;
    std::uint64_t data_bytes = 0;
    std::uint64_t identity_low_end = 0;  ///< [image_start, identity_low_end) in 4 KiB pages (image, user, module)
    std::uint64_t identity_high = 0;  ///< the identity map goes on from here: tables, data (runner_core identity_end)
    bool fits = false;
};

constexpr std::uint64_t align_up(std::uint64_t v, std::uint64_t a) {
    return (v + a - 1) & ~(a - 1);
}

/// Memory assumed when the boot loader did not say (the host launcher's and QEMU's default is 64 MiB).
inline constexpr std::uint64_t kDefaultMemoryEnd = 64ull << 20;

/// The first address of [start, end) that the memory map says is not RAM (firmware, ACPI, a gap), looking only where
/// the guest takes RAM for granted — from 1 MiB to memory_end; `end` when there is none there or no map.
constexpr std::uint64_t firmware_conflict(const GuestMemoryMap& m, std::uint64_t start, std::uint64_t end) {
    const std::uint64_t lo = start > (1ull << 20) ? start : 1ull << 20;
    const std::uint64_t hi = end < m.memory_end ? end : m.memory_end;
    if (!m.ram.known() || lo >= hi) return end;
    const std::uint64_t hit = m.ram.first_unavailable(lo, hi);
    return hit < hi ? hit : end;
}

constexpr ProgramAreas plan_areas(const GuestMemoryMap& m, std::uint32_t table_frames, std::uint32_t data_frames) {
    ProgramAreas a;
    std::uint64_t used_end = m.module_end > m.image_end ? m.module_end : m.image_end;
    if (m.reserved_end > used_end) used_end = m.reserved_end;
    used_end = align_up(used_end, 4096);
    a.identity_low_end = used_end;
    a.identity_high = align_up(used_end, 2ull << 20);
    a.table_bytes = std::uint64_t{table_frames} * 4096;
    a.data_bytes = std::uint64_t{data_frames} * 4096;
    const std::uint64_t end = m.memory_end != 0 ? m.memory_end : kDefaultMemoryEnd;
    // The lowest 2 MiB boundary from which tables and data lie in available RAM (with no memory map: the first).
    for (std::uint64_t base = a.identity_high;;) {
        a.tables_base = base;
        a.data_base = align_up(a.tables_base + a.table_bytes, 2ull << 20);
        a.fits = a.data_base + a.data_bytes <= end;
        if (!a.fits || !m.ram.known()) break;
        const std::uint64_t stop = a.data_base + a.data_bytes;
        const std::uint64_t gap =
            m.ram.first_unavailable(a.tables_base, stop > a.tables_base ? stop : a.tables_base + 1);
        if (gap >= stop) break;
        // Past the firmware's region: the next available RAM, 2 MiB-aligned.
        const std::uint64_t next = m.ram.find(gap, 1, 1, end);
        if (next == 0) {
            a.fits = false;
            break;
        }
        base = align_up(next, 2ull << 20);
    }
    return a;
}

}  // namespace pagewalk::guest::runner
