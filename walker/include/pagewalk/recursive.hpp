// SPDX-License-Identifier: MIT OR Apache-2.0
// Recursive page tables: reach every paging structure through one slot of the top-level table.
//
// When entry `slot` of the top-level table (PML5, PML4, or the 32-bit page directory) points back to that
// table, the CPU's own walk makes every paging structure visible at a fixed linear address: walking
// through the slot k times lands k levels higher. The table at level L that covers linear address `va`
// is at the address whose top L indices are `slot` and whose remaining indices are va's indices of the
// levels above L. (This follows from the walk of SDM Vol. 3A §4.3 and §4.5; it is not a separate rule.)
// PAE paging cannot be mapped this way: its PDPT is not a full page-table page.
#pragma once

#include <cstdint>

#include "context.hpp"
#include "memory.hpp"
#include "mode.hpp"

namespace pagewalk {

/// Reads and writes linear addresses of the current address space directly (inside the kernel that
/// owns the recursive slot).
struct DirectLinearAccess {
    /// Drops the TLB entry of `la` (INVLPG, SDM Vol. 3A §4.10.4.1): a table newly linked under the recursive slot
    /// must not be reached through a stale translation of its recursive address. Kernel code only (CPL 0).
    void invalidate(std::uint64_t la) const {
#if defined(__x86_64__) || defined(__i386__)
        if (fits(la)) __asm__ volatile("invlpg (%0)" : : "r"(static_cast<std::uintptr_t>(la)) : "memory");
#else
        (void)la;
#endif
    }
    bool read(std::uint64_t la, unsigned bytes, std::uint64_t& out) const {
        return fits(la) && detail::load_entry(static_cast<std::uintptr_t>(la), bytes, out);
    }
    bool write(std::uint64_t la, unsigned bytes, std::uint64_t value) const {
        return fits(la) && detail::store_entry(static_cast<std::uintptr_t>(la), bytes, value);
    }
    static constexpr bool fits(std::uint64_t la) {
        return la <= static_cast<std::uint64_t>(~std::uintptr_t{0});
    }
};

/// Table memory that reaches each table through the recursive slot. `LinearAccess` performs the final
/// access of a linear address (direct by default; a test passes one that translates through the model).
template <class LinearAccess = DirectLinearAccess>
class RecursiveMemory {
public:
    constexpr RecursiveMemory(PagingMode mode, unsigned slot, LinearAccess access = {})
        : shape_(shape(mode)), slot_(slot), access_(access) {}

    /// A table is reachable only once its parent entry points to it: the mapper links new tables first, then
    /// clears them through their recursive address.
    static constexpr bool links_tables_first = true;

    /// Called by the mapper after it links a new table of `level` covering `va`: invalidates the table's recursive
    /// address when the access can (a stale translation would send the clearing writes to the old frame).
    void table_linked(unsigned level, std::uint64_t va) {
        if constexpr (requires(LinearAccess & a) { a.invalidate(std::uint64_t{}); })
            access_.invalidate(table_address(level, va));
    }

    /// Linear address at which the table of `level` that covers `va` is visible.
    constexpr std::uint64_t table_address(unsigned level, std::uint64_t va) const {
        const unsigned top = shape_.levels;
        std::uint64_t la = 0;
        // The top `level` index positions select the slot: each pass through it climbs one level.
        for (unsigned k = 0; k < level; ++k) la |= std::uint64_t{slot_} << shape_.at(top - k).shift;
        // The remaining positions hold va's indices of the levels above `level`, moved down.
        if (level < top) {
            const unsigned kept_bits = (top - level) * shape_.at(1).index_bits;
            const LevelShape& here = shape_.at(level);
            const std::uint64_t above = (va >> (here.shift + here.index_bits)) & bits::mask(kept_bits - 1, 0);
            la |= above << shape_.at(1).shift;
        }
        return shape_.canonical(la);
    }

    constexpr std::uint64_t entry_address(const EntryLocation& loc) const {
        return table_address(loc.level, loc.va) + std::uint64_t{loc.index} * loc.entry_bytes;
    }

    bool read_entry(const EntryLocation& loc, std::uint64_t& out) {
        return access_.read(entry_address(loc), loc.entry_bytes, out);
    }
    bool write_entry(const EntryLocation& loc, std::uint64_t value) {
        return access_.write(entry_address(loc), loc.entry_bytes, value);
    }

    constexpr unsigned slot() const { return slot_; }
    LinearAccess& access() { return access_; }

private:
    ModeShape shape_;
    unsigned slot_;
    LinearAccess access_;
};

/// Makes entry `slot` of the top-level table point to the table itself (present, writable, supervisor, XD clear),
/// through any writable memory that reaches the top-level table. Returns false for PAE (its PDPT cannot map
/// itself), a slot out of range, or a failed write. Flush afterwards if the slot held a present entry.
template <WritableTableMemory M>
bool install_recursive_slot(const Context& ctx, M& memory, unsigned slot) {
    const ModeShape s = ctx.shape();
    if (s.levels == 0 || ctx.mode() == PagingMode::pae || slot >= s.at(s.levels).entries()) return false;
    const EntryLocation loc{ctx.root(), 0, static_cast<std::uint16_t>(slot), s.levels, s.entry_bytes};
    return memory.write_entry(loc, ctx.root() | entry_bit::present | entry_bit::writable);
}

}  // namespace pagewalk
