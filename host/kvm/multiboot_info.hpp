// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the multiboot1 information structure the launcher gives the guest (Multiboot 0.6.96 §3.3).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kvm/guest_memory.hpp"
#include "util/expected.hpp"

namespace pagewalk::host {

/// A module to place in guest memory (the scenario program).
struct ModuleSpec {
    std::span<const std::uint8_t> bytes;
    std::string name;
};

/// Where build_multiboot_info() put things.
struct MultibootPlacement {
    std::uint64_t info = 0;          ///< physical address of the information structure (EBX)
    std::uint64_t module_start = 0;  ///< 0 when no module
    std::uint64_t module_end = 0;
};

/// Writes the information structure (flags: mem, cmdline, mods, mmap) into the launcher's low memory
/// (kvm/layout.hpp) and the module page-aligned at or above `module_floor`. Bounds-checked; errors say what
/// did not fit.
Expected<MultibootPlacement> build_multiboot_info(const GuestMemory& mem, const std::string& cmdline,
                                                  const ModuleSpec* module, std::uint64_t module_floor);

}  // namespace pagewalk::host
