// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the image's own boot header, found by the host launcher in the guest ELF.
//
// The guest image carries three headers in its first 8 KiB: multiboot1 (QEMU -kernel, with the address fields),
// multiboot2 (GRUB), and this one. The host launcher reads it to learn both entry points and the build id
// (which the guest repeats in its hello record, so a host can tell it booted the image it meant).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pagewalk::harness {

inline constexpr std::uint32_t kBootHeaderMagic = 0x48425750;  // bytes "PWBH"
inline constexpr std::uint16_t kBootHeaderVersion = 2;         // 2: program_modes
/// The launcher scans this many bytes from the start of the first PT_LOAD segment, at 8-byte alignment.
inline constexpr std::uint32_t kBootHeaderSearch = 8192;

/// Multiboot magic values in EAX at the 32-bit entry (Multiboot 0.6.96 §3.2; Multiboot2 §3.3).
inline constexpr std::uint32_t kMultiboot1BootMagic = 0x2badb002;
inline constexpr std::uint32_t kMultiboot2BootMagic = 0x36d76289;

/// Entry points and identity of a guest image. All addresses are guest-physical (= linear at entry).
///
/// entry32: multiboot state (Multiboot 0.6.96 §3.2): 32-bit protected mode, paging off, flat CS/DS,
///   EAX = multiboot magic, EBX = physical address of the multiboot information.
/// entry64: the launcher's direct long-mode state: IA-32e 64-bit mode (CS.L = 1), CR0.PE|PG, CR4.PAE,
///   EFER.LME|LMA, CR3 = launcher-built 4-level identity map of at least the first `identity_map_bytes`
///   (2 MiB pages, supervisor, writable), RAX = 0x2BADB002, RBX = multiboot1 information, RCX = kLauncherMarker,
///   interrupts off, no IDT. The guest loads its own GDT, IDT, TSS and CR3 at once.
struct alignas(8) BootHeader {
    std::uint32_t magic;    ///< kBootHeaderMagic
    std::uint16_t version;  ///< kBootHeaderVersion
    std::uint16_t size;     ///< sizeof(BootHeader)
    std::uint64_t entry32;
    std::uint64_t entry64;
    std::uint64_t build_id;
    std::uint64_t image_start;         ///< first byte the image occupies
    std::uint64_t image_end;           ///< one past the last byte (bss included)
    std::uint64_t identity_map_bytes;  ///< what entry64 needs identity-mapped
    /// Scenario programs the image can run: bit (1 << pagewalk::PagingMode) per paging mode it has a runner world
    /// for (the host SKIPs the others without booting). The 64-bit world: 4-level and 5-level.
    std::uint32_t program_modes;
    std::uint32_t reserved;
};
static_assert(sizeof(BootHeader) == 64);
static_assert(offsetof(BootHeader, program_modes) == 56);
static_assert(offsetof(BootHeader, entry32) == 8 && offsetof(BootHeader, entry64) == 16);
static_assert(offsetof(BootHeader, build_id) == 24 && offsetof(BootHeader, image_start) == 32);
static_assert(offsetof(BootHeader, image_end) == 40 && offsetof(BootHeader, identity_map_bytes) == 48);

}  // namespace pagewalk::harness
