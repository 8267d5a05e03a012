// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, access matrix: where the combinations of one batch live. Each combination of a batch gets its own
// top-level entry (a "slot": its own linear region) and its own entry at every level below it, and its own qword in
// the one data page, so a batch's tables are written at once, nothing of one combination is cached for another, and
// one MOV to CR3 per batch is the only flush (CR4.PGE stays 0, so it flushes global translations too: SDM Vol. 3A
// §4.10.4.1). The slots share one table frame per level — slot k's walk reads index k of each — so a batch touches
// a handful of pages, not a few per combination (a software TLB refills each page it touches after every flush).
// PAE's top level is the four PDPTE registers, loaded by that MOV to CR3 (§4.4.1): there every combination has its
// own PDPT and a batch is one combination. Portable (-m32 and -m64).
#pragma once

#include <cstdint>
#include <pagewalk/harness/matrix/inputs.hpp>
#include <pagewalk/mode.hpp>

namespace pagewalk::guest::matrix {

namespace hm = pagewalk::harness::matrix;

/// Most combinations per batch: one qword each in the 4 KiB data page.
inline constexpr unsigned kMaxBatch = 512;

/// The value the data page holds at a combination's qword: RET (0xC3) in its first byte, so a fetch returns at once;
/// byte 5 zero, so an implicit access (a descriptor load through an LDT at va) reads a system descriptor of type 0,
/// which is #GP, never loaded — a load would write the descriptor's accessed bit (SDM Vol. 3A §3.4.5, §6.15 "#GP").
constexpr std::uint64_t data_tag(std::uint64_t pa) {
    return (std::uint64_t{0x5057} << 48) | ((pa & 0xffff'ffffull) << 8) | 0xc3;
}
/// What a write stores there: the tag with its top bytes changed.
constexpr std::uint64_t written_value(std::uint64_t pa) {
    return data_tag(pa) ^ (std::uint64_t{0xa5a5} << 48);
}

/// The geometry of batches in one mode: the top-level slots the guest's own identity map leaves free, the frames of
/// each slot, the data page.
class BatchLayout {
public:
    /// `root`: the top-level table (PAE: the PDPT holding the identity map's PDPTE 0, copied into every slot's PDPT);
    /// `first_slot`: the first top-level index above the identity map; `frames`: the slots' table frames (4 KiB each,
    /// one per level below the top; PAE: plus one for the PDPT); `data_pa`: the data page.
    constexpr BatchLayout(PagingMode mode, std::uint64_t root, unsigned first_slot, std::uint64_t frames,
                          std::uint64_t data_pa)
        : mode_(mode), shape_(shape(mode)), root_(root), first_slot_(first_slot), frames_(frames), data_pa_(data_pa) {
        // 4/5-level: the lower half only. kvm_pvm faults accesses through PML4E 256 (the first upper-half entry) as
        // not present whatever the entries say — a backend quirk the matrix found, not yet a known deviation; the
        // lower half holds 255 slots, a full batch.
        const bool long_mode = mode == PagingMode::long4 || mode == PagingMode::long5;
        const unsigned top_entries = shape_.at(shape_.levels).entries() >> (long_mode ? 1 : 0);
        const unsigned free = top_entries > first_slot ? top_entries - first_slot : 0;
        batch_ = mode == PagingMode::pae ? 1 : free < kMaxBatch ? free : kMaxBatch;
    }

    constexpr unsigned batch() const { return batch_; }
    /// 4 KiB frames the slots need.
    static constexpr std::uint64_t frames_needed(PagingMode mode) {
        return shape(mode).levels - 1u + (mode == PagingMode::pae ? 1u : 0u);
    }

    /// The physical address of the qword combination `slot` reads, writes or fetches.
    constexpr std::uint64_t data_qword(unsigned slot) const { return data_pa_ + 8u * slot; }

    /// Where combination `slot` (< batch()) with a leaf at `leaf_level` lives: index first_slot + slot of the top
    /// level, index `slot` of each level from the top down to the leaf (batch() is below every level's entry count),
    /// then the slot's qword's offset in the leaf's page.
    constexpr hm::Layout layout(unsigned slot, unsigned leaf_level) const {
        hm::Layout l;
        const unsigned top = shape_.levels;
        l.table_pa[top] = mode_ == PagingMode::pae ? frames_ + std::uint64_t{top - 1} * 4096 : root_;
        for (unsigned level = 1; level < top; ++level) l.table_pa[level] = frames_ + std::uint64_t{level - 1} * 4096;
        const std::uint64_t leaf_size = shape_.at(leaf_level).span();
        const std::uint64_t pa = data_qword(slot);
        l.page_pa = pa & ~(leaf_size - 1);
        const std::uint64_t top_index = first_slot_ + slot + (mode_ == PagingMode::pae ? 2u : 0u);
        std::uint64_t va = top_index << shape_.at(top).shift;
        for (unsigned level = leaf_level; level < top && level < kMaxLevels; ++level)
            va |= std::uint64_t{slot} << shape_.at(level).shift;
        l.va = shape_.canonical(va | (pa & (leaf_size - 1)));
        return l;
    }

    /// The root CR3 takes for a batch (PAE: the slot's PDPT).
    constexpr std::uint64_t root_for(const hm::Layout& l) const { return l.table_pa[shape_.levels]; }
    constexpr std::uint64_t identity_root() const { return root_; }

private:
    static constexpr unsigned kMaxLevels = 5;  // 5-level paging's; bounds the loops for the compiler
    PagingMode mode_;
    ModeShape shape_;
    std::uint64_t root_;
    unsigned first_slot_;
    std::uint64_t frames_;
    std::uint64_t data_pa_;
    unsigned batch_ = 1;
};

}  // namespace pagewalk::guest::matrix
