// SPDX-License-Identifier: MIT OR Apache-2.0
#include "scenario/recursive_slot.hpp"

#include <pagewalk/recursive.hpp>

namespace pagewalk::host::scenario {

unsigned top_level_entries(PagingMode m) {
    const ModeShape s = shape(static_cast<PagingMode>(m));
    return s.at(s.levels).entries();
}

SlotRegion slot_region(PagingMode m, unsigned slot) {
    const ModeShape s = shape(static_cast<PagingMode>(m));
    // The table of the lowest level "covering" address 0 through the slot starts where the slot's region does.
    const RecursiveMemory<> r(static_cast<PagingMode>(m), slot);
    const std::uint64_t lo = r.table_address(1, 0);
    const std::uint64_t span = s.at(s.levels).span();
    const std::uint64_t hi = lo + span;
    // 32-bit paging has no sign extension: the region ends at the 4 GiB line at most.
    return {lo, hi == 0 ? ~std::uint64_t{0} : hi};
}

std::uint64_t recursive_entry_address(PagingMode m, unsigned slot, unsigned level, std::uint64_t of) {
    const ModeShape s = shape(static_cast<PagingMode>(m));
    const RecursiveMemory<> r(static_cast<PagingMode>(m), slot);
    return r.table_address(level, of) + std::uint64_t{s.at(level).index(of)} * s.entry_bytes;
}

}  // namespace pagewalk::host::scenario
