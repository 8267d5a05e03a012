// pagewalk guest runner: where a program's page tables and data go in physical memory, and which ranges the
// scenario's tables must identity-map for the guest itself to keep running. Portable (-m32 and -m64).
#pragma once

#include <cstdint>

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
    std::uint64_t identity_high = 0;     ///< [identity_high, memory_end) in 2 MiB pages (tables and data)
    bool fits = false;
};

constexpr std::uint64_t align_up(std::uint64_t v, std::uint64_t a) {
    return (v + a - 1) & ~(a - 1);
}

/// Memory assumed when the boot loader did not say (the host launcher's and QEMU's default is 64 MiB).
inline constexpr std::uint64_t kDefaultMemoryEnd = 64ull << 20;

constexpr ProgramAreas plan_areas(const GuestMemoryMap& m, std::uint32_t table_frames, std::uint32_t data_frames) {
    ProgramAreas a;
    std::uint64_t used_end = m.module_end > m.image_end ? m.module_end : m.image_end;
    if (m.reserved_end > used_end) used_end = m.reserved_end;
    used_end = align_up(used_end, 4096);
    a.identity_low_end = used_end;
    a.identity_high = align_up(used_end, 2ull << 20);
    a.tables_base = a.identity_high;
    a.table_bytes = std::uint64_t{table_frames} * 4096;
    a.data_base = align_up(a.tables_base + a.table_bytes, 2ull << 20);
    a.data_bytes = std::uint64_t{data_frames} * 4096;
    const std::uint64_t end = m.memory_end != 0 ? m.memory_end : kDefaultMemoryEnd;
    a.fits = a.data_base + a.data_bytes <= end;
    return a;
}

}  // namespace pagewalk::guest::runner
