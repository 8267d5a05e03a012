// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the scenario's linear address space as the compiler follows it — what the map, unmap and
// recursive steps made so far, without page tables: which page maps which physical page, which pages are global,
// which ranges were mapped with which page size, where the recursive slots are.
//
// The compiler needs it to refuse what it cannot check (a slot over a mapping, an `entry`/`of` expectation of an
// unmapped page), to know which data frames the guest must tag, and to bound what a change of entries touches.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "scenario/compiler.hpp"
#include "scenario/recursive_slot.hpp"

namespace pagewalk::host::scenario {

/// The range of one map step, and the size its pages certainly have (4 KiB unless only huge pages were allowed).
struct MappedRange {
    std::uint64_t lo = 0, hi = 0;
    std::uint32_t step = 0;
    std::uint64_t page_size = 4096;
};

class ShadowAddressSpace {
public:
    /// Page by page, the shadow follows at most this much of one step (larger ranges are only ranges).
    static constexpr std::uint64_t kPageByPageLimit = 64ull << 20;

    /// A map step's range (kept whatever the step maps it to).
    void add_range(const MappedRange& r) { ranges_.push_back(r); }
    /// [va, va + size) maps data-area offsets from `offset` up.
    void map_data(std::uint64_t va, std::uint64_t size, std::uint64_t offset);
    /// [va, va + size) maps absolute physical pages from `pa` up.
    void map_absolute(std::uint64_t va, std::uint64_t size, std::uint64_t pa);
    /// Marks the pages of [va, va + size) global (G = 1) or not.
    void set_global(std::uint64_t va, std::uint64_t size, bool global);
    /// [va, va + size) maps nothing any more.
    void unmap(std::uint64_t va, std::uint64_t size);

    /// Whether a page in [va, va + size) was mapped global.
    [[nodiscard]] bool any_global(std::uint64_t va, std::uint64_t size) const;
    /// The global pages in [va, va + size), ascending.
    [[nodiscard]] std::vector<std::uint64_t> globals_in(std::uint64_t va, std::uint64_t size) const;
    /// The page size the translations of [va, va + size) certainly had: a map step that allowed huge pages only
    /// made huge pages; otherwise 4 KiB (what INVLPG removes at least).
    [[nodiscard]] std::uint64_t page_size_of(std::uint64_t va, std::uint64_t size) const;
    /// The physical page the 4 KiB page at `page` maps to (any map step).
    [[nodiscard]] std::optional<PageTarget> target(std::uint64_t page) const;
    /// The data-area offset the 4 KiB page at `page` maps to (frame-based map steps only).
    [[nodiscard]] std::optional<std::uint64_t> data_offset(std::uint64_t page) const;
    /// Every map step's range so far.
    [[nodiscard]] const std::vector<MappedRange>& ranges() const { return ranges_; }

    /// A recursive slot was installed: its region holds the paging structures.
    void add_slot(unsigned slot, const SlotRegion& r) {
        slots_.push_back(r);
        latest_slot_ = slot;
    }
    [[nodiscard]] const std::vector<SlotRegion>& slot_regions() const { return slots_; }
    /// The latest recursive slot (recursive addresses go through it).
    [[nodiscard]] std::optional<unsigned> latest_slot() const { return latest_slot_; }

private:
    void forget_data(std::uint64_t va, std::uint64_t size);

    std::map<std::uint64_t, std::uint64_t> data_pages_;  ///< 4 KiB page va → data offset (frame-based maps)
    std::map<std::uint64_t, PageTarget> targets_;        ///< 4 KiB page va → its physical page (every map)
    std::set<std::uint64_t> globals_;                    ///< 4 KiB pages mapped with G = 1
    std::vector<MappedRange> ranges_;
    std::vector<SlotRegion> slots_;
    std::optional<unsigned> latest_slot_;
};

}  // namespace pagewalk::host::scenario
