// pagewalk guest: state shared by the 32-bit and 64-bit halves of the guest (one instance, pw_boot_context).
//
// The -m32 code and the -m64 code are separate worlds (different symbols, see guest/README.md); they share only
// this struct, passed by pointer from the entry code. Fixed layout, pinned for both builds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "boot/boot_context.h"

namespace pagewalk::guest {

/// The record stream's running state: every record, from either world, goes through it.
struct alignas(8) ReporterState {
    std::uint32_t transport;  ///< harness::TransportKind
    std::uint32_t sequence;   ///< next record's sequence = records sent so far
    std::uint32_t digest;     ///< CRC-32C chain over the records sent so far (harness::StreamChecker mirrors it)
    std::uint32_t reserved;
};

/// Entry registers, entry path and the record stream state: pw_boot_context (boot/entry.S), one per boot.
struct alignas(8) BootContext {
    std::uint32_t eax;         ///< at entry: multiboot magic
    std::uint32_t ebx;         ///< at entry: multiboot information (physical)
    std::uint32_t ecx;         ///< at entry: harness::kLauncherMarker under the host launcher
    std::uint32_t entry_path;  ///< harness::EntryPath
    ReporterState reporter;
    std::uint32_t reserved[4];
};

static_assert(offsetof(BootContext, eax) == PW_BC_EAX && offsetof(BootContext, ebx) == PW_BC_EBX);
static_assert(offsetof(BootContext, ecx) == PW_BC_ECX && offsetof(BootContext, entry_path) == PW_BC_ENTRY_PATH);
static_assert(offsetof(BootContext, reporter) == 16 && sizeof(BootContext) == PW_BC_SIZE);

}  // namespace pagewalk::guest
