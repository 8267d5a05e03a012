// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: state shared by the 32-bit and 64-bit halves of the guest (one instance, pw_boot_context).
//
// The -m32 code and the -m64 code are separate worlds (different symbols, see guest/README.md); they share only
// this struct, passed by pointer from the entry code. Fixed layout, pinned for both builds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <pagewalk/harness/summary.hpp>

#include "boot/boot_context.h"

namespace pagewalk::guest {

/// The record stream's running state: every record, from either world, goes through it.
struct alignas(8) ReporterState {
    std::uint32_t transport;  ///< harness::TransportKind
    std::uint32_t sequence;   ///< next record's sequence = records sent so far
    std::uint32_t digest;     ///< CRC-32C chain over the records sent so far (harness::StreamChecker mirrors it)
    std::uint32_t reserved;
};

/// Where the next character goes on the VGA text screen (report/screen.hpp), whichever world writes it.
struct alignas(8) ScreenState {
    std::uint16_t row;  ///< 1..24 (row 0 is the status line)
    std::uint16_t col;
    std::uint8_t on;  ///< 1: the screen is in use (serial transport: QEMU or bare metal, not the host launcher)
    std::uint8_t reserved[3];
};

/// The linear framebuffer the boot loader set up (Multiboot2 §3.6.12, framebuffer info tag of type 1, direct RGB),
/// as the screen draws text on it (report/framebuffer.hpp); address 0 when there is none (or the VGA text screen
/// is used). Filled by the world that starts the screen, read by both.
struct alignas(8) FramebufferState {
    std::uint64_t address;  ///< physical
    std::uint32_t pitch;    ///< bytes per scan line
    std::uint32_t width, height;
    std::uint8_t bpp;  ///< bits per pixel: 24 or 32
    std::uint8_t red_position, red_size, green_position, green_size, blue_position, blue_size;
    std::uint8_t scale;           ///< each glyph pixel is scale × scale screen pixels
    std::uint16_t columns, rows;  ///< the text grid
    std::uint32_t reserved;
};

/// Programs run so far in this boot, by either world (runner/program_loop.hpp): the status line, the summary and
/// the final record come from these.
struct alignas(8) RunTally {
    std::uint32_t modules;  ///< modules the boot loader gave
    std::uint32_t done;     ///< programs handled (any verdict)
    std::uint32_t passed, failed, skipped, errors;
    std::uint32_t steps;                ///< steps executed, every program
    std::uint32_t world32_done;         ///< 1: the 32-bit world has run the 32-bit and PAE programs
    harness::summary::Summary summary;  ///< what the QR code at the end carries (harness/summary.hpp)
};

/// Entry registers, entry path and the record stream state: pw_boot_context (boot/entry.S), one per boot.
struct alignas(8) BootContext {
    std::uint32_t eax;         ///< at entry: multiboot magic
    std::uint32_t ebx;         ///< at entry: multiboot information (physical)
    std::uint32_t ecx;         ///< at entry: harness::kLauncherMarker under the host launcher
    std::uint32_t entry_path;  ///< harness::EntryPath
    ReporterState reporter;
    ScreenState screen;
    RunTally tally;
    std::uint32_t reserved[2];
    FramebufferState framebuffer;
};

static_assert(offsetof(BootContext, eax) == PW_BC_EAX && offsetof(BootContext, ebx) == PW_BC_EBX);
static_assert(offsetof(BootContext, ecx) == PW_BC_ECX && offsetof(BootContext, entry_path) == PW_BC_ENTRY_PATH);
static_assert(offsetof(BootContext, reporter) == 16 && offsetof(BootContext, screen) == 32);
static_assert(offsetof(RunTally, summary) == 32 && sizeof(RunTally) == 32 + sizeof(harness::summary::Summary));
static_assert(offsetof(BootContext, tally) == 40 && offsetof(BootContext, framebuffer) == 856);
static_assert(sizeof(FramebufferState) == 40 && sizeof(BootContext) == PW_BC_SIZE);

}  // namespace pagewalk::guest
