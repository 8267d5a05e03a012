// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: loads a guest ELF's PT_LOAD segments into guest memory, every offset and size checked.
#pragma once

#include <cstdint>
#include <optional>
#include <pagewalk/harness/boot_header.hpp>
#include <span>
#include <vector>

#include "kvm/guest_memory.hpp"
#include "util/expected.hpp"

namespace pagewalk::host {

/// One loaded PT_LOAD segment (physical placement).
struct LoadedSegment {
    std::uint64_t paddr = 0;
    std::uint64_t file_size = 0;
    std::uint64_t mem_size = 0;
};

/// What load_elf() put into guest memory.
struct LoadedImage {
    std::uint64_t entry = 0;  ///< e_entry
    std::uint64_t low = 0;    ///< lowest loaded physical address
    std::uint64_t high = 0;   ///< one past the highest
    std::vector<LoadedSegment> segments;
    std::optional<harness::BootHeader> boot_header;  ///< the pagewalk BootHeader, if the image has one
};

/// Parses an ELF32 or ELF64 x86 executable (System V gABI, "Program Header"), loads each PT_LOAD at p_paddr
/// (file bytes, then zeros up to p_memsz) into `mem`, and finds the BootHeader in the first 8 KiB of the first
/// segment. Segments below `floor` or outside `mem` are errors; nothing is written unless every check passes.
Expected<LoadedImage> load_elf(std::span<const std::uint8_t> file, const GuestMemory& mem, std::uint64_t floor);

/// Looks for a valid BootHeader (magic, version, size) at 8-byte alignment in `bytes`.
std::optional<harness::BootHeader> find_boot_header(std::span<const std::uint8_t> bytes);

}  // namespace pagewalk::host
