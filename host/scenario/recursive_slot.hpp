// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: where a recursive slot makes the paging structures visible (the compiler's `recursive` step and
// `va = { recursive = "PTE", of = … }`).
//
// A top-level entry that points to its own table makes the CPU's walk climb one level each time it passes through
// it, so every paging structure appears at a fixed linear address (Intel SDM Vol. 3A §4.3, §4.5: an entry's address
// field names the next table, whatever table holds the entry — no rule forbids it being the same one). The
// addresses come from the walker's RecursiveMemory, canonical in 4-level and 5-level paging.
#pragma once

#include <cstdint>

#include "scenario/scenario.hpp"

namespace pagewalk::host::scenario {

/// The linear addresses [lo, hi) that top-level entry `slot` covers in `m` (canonical; hi = ~0 for the last slot
/// of the address space, whose end would wrap).
struct SlotRegion {
    std::uint64_t lo = 0, hi = 0;
};
SlotRegion slot_region(PagingMode m, unsigned slot);

/// Entries of the top-level table of `m` (1024 in 32-bit paging, else 512; SDM Vol. 3A §4.3, §4.5).
unsigned top_level_entries(PagingMode m);

/// The linear address of the entry of `level` (1 = PTE …) that maps `of`, read through recursive slot `slot`.
std::uint64_t recursive_entry_address(PagingMode m, unsigned slot, unsigned level, std::uint64_t of);

}  // namespace pagewalk::host::scenario
