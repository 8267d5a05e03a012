// SPDX-License-Identifier: MIT OR Apache-2.0
// Which cached translations a CPU may still use: the TLB rules of Intel SDM Vol. 3A §4.10 as one model.
//
// After a paging-structure entry changes, the CPU may go on using a translation it cached from the old entry
// (§4.10.4.2 "delayed invalidation") until an operation invalidates it (§4.10.4.1). The model does not hold
// translations; it holds the linear ranges whose cached translations may be older than the tables, tagged as the
// TLB tags them (a PCID, or global), and answers for an address: "only the current translation" or "the current
// one or an older one". Feed it every event in program order:
//
//   pagewalk::TlbModel tlb;                        // CR4.PCIDE = 0: PCID 000H
//   tlb.translations_changed(va, va + 0xfff, 4096, /*global=*/false);   // a PTE was rewritten
//   tlb.may_be_stale(va, va + 7);                  // true: the CPU may still use the old PTE's translation
//   tlb.invlpg(va);                                // (only if the INVLPG executed)
//   tlb.may_be_stale(va, va + 7);                  // false
//
// An operation that faults (a MOV to CR3 that raises #GP for a reserved PAE PDPTE bit, §4.4.1) changes nothing:
// do not report it. The model errs on one side only: where the SDM allows a translation to stay cached, it says
// "may be stale"; it never says "current only" unless the SDM guarantees it. Freestanding: fixed capacity; when
// it is exhausted the model answers "may be stale" everywhere until something invalidates every translation.
#pragma once

#include <cstdint>

#include "cpu.hpp"

namespace pagewalk {

/// INVPCID's invalidation types (SDM Vol. 2A, INVPCID; Vol. 3A §4.10.4.1).
enum class InvpcidType : std::uint8_t {
    individual_address = 0,    ///< the PCID's non-global translations of one page
    single_context = 1,        ///< every non-global translation of the PCID
    all_including_global = 2,  ///< every translation, every PCID
    all_non_global = 3,        ///< every non-global translation, every PCID
};

class TlbModel {
public:
    static constexpr unsigned capacity = 64;         // stale ranges held before the model gives up precision
    static constexpr unsigned max_known_pcids = 16;  // PCIDs tracked one by one

    constexpr explicit TlbModel(std::uint16_t current_pcid = 0) : current_pcid_(current_pcid) {
        known_pcids_[0] = current_pcid;
        known_pcid_count_ = 1;
    }

    /// The translations of [first, last] may have been cached from entries that have since changed (a leaf rewritten
    /// or removed, a table entry changed above them, a control bit a TLB entry depends on changed without a flush).
    /// `page_size`: the size of the old translations' pages, which INVLPG of any address in one removes whole
    /// (4096 when not known: the smallest removal, never wrong). `global`: they were global (G = 1 with
    /// CR4.PGE = 1, §4.10.2.4), so they are used under every PCID and a CR3 load keeps them. A translation is made
    /// only from present entries (§4.10.2.3): filling a hole changes nothing to report.
    constexpr void translations_changed(std::uint64_t first, std::uint64_t last, std::uint64_t page_size, bool global) {
        if (last < first) return;
        if (global) {
            add({first, last, page_size, 0, true});
            return;
        }
        // A non-global translation is tagged with the PCID current when it was made: any PCID used so far.
        if (pcids_overflowed_) {
            add({first, last, page_size, kAnyPcid, false});
            return;
        }
        for (unsigned i = 0; i < known_pcid_count_; ++i) add({first, last, page_size, known_pcids_[i], false});
    }

    /// INVLPG (§4.10.4.1): the current PCID's translations for the page of `va`, and global ones for it, whatever
    /// their PCID. Non-canonical in 64-bit mode it is a no-op (SDM Vol. 2A): do not report it.
    constexpr void invlpg(std::uint64_t va) {
        remove_page(va, [this](const Range& r) { return r.global || r.pcid == current_pcid_; });
    }

    /// A page fault on `va` invalidates the current PCID's TLB entries for its page (§4.10.4.1; global ones are
    /// not named there, so they may stay).
    constexpr void page_fault(std::uint64_t va) {
        remove_page(va, [this](const Range& r) { return !r.global && r.pcid == current_pcid_; });
    }

    /// MOV to CR3 that completed (§4.10.4.1). CR4.PCIDE = 0: every non-global translation (PCID 000H). PCIDE = 1:
    /// the new PCID (CR3[11:0]) becomes current; unless bit 63 (no-flush) is set, its non-global translations go.
    constexpr void mov_cr3(std::uint64_t new_cr3, bool pcide) {
        const std::uint16_t pcid = pcide ? static_cast<std::uint16_t>(new_cr3 & cr3::pcid) : 0;
        const bool no_flush = pcide && (new_cr3 & cr3::no_flush) != 0;
        make_current(pcid);
        if (!no_flush) remove_all([pcid](const Range& r) { return !r.global && r.pcid == pcid; });
    }

    /// MOV to CR4 that completed (§4.10.4.1): changing PGE, or clearing PCIDE, invalidates every translation; the
    /// current PCID is 000H once PCIDE is 0. (Changing PAE or setting SMEP invalidates the current PCID's entries:
    /// taken into account conservatively, not at all.)
    constexpr void mov_cr4(std::uint64_t before, std::uint64_t after) {
        const std::uint64_t changed = before ^ after;
        if ((changed & cr4::pge) != 0 || (before & cr4::pcide & ~after) != 0) invalidate_everything();
        if ((after & cr4::pcide) == 0) make_current(0);
    }

    /// MOV to CR0 that completed: clearing PG invalidates every translation (§4.10.4.1).
    constexpr void mov_cr0(std::uint64_t before, std::uint64_t after) {
        if ((before & cr0::pg) != 0 && (after & cr0::pg) == 0) invalidate_everything();
    }

    /// INVPCID that completed (its #GP cases are the caller's: invpcid_faults()).
    constexpr void invpcid(InvpcidType type, std::uint16_t pcid, std::uint64_t va) {
        switch (type) {
            case InvpcidType::individual_address:
                remove_page(va, [pcid](const Range& r) { return !r.global && r.pcid == pcid; });
                return;
            case InvpcidType::single_context:
                remove_all([pcid](const Range& r) { return !r.global && r.pcid == pcid; });
                return;
            case InvpcidType::all_including_global:
                invalidate_everything();
                return;
            case InvpcidType::all_non_global:
                remove_all([](const Range& r) { return !r.global; });
                return;
        }
    }

    /// True when an access to [first, last] under the current PCID may use a translation older than the tables.
    [[nodiscard]] constexpr bool may_be_stale(std::uint64_t first, std::uint64_t last) const {
        if (overflowed_) return true;
        for (unsigned i = 0; i < count_; ++i) {
            const Range& r = ranges_[i];
            if (r.first <= last && first <= r.last && (r.global || r.pcid == current_pcid_ || r.pcid == kAnyPcid))
                return true;
        }
        return false;
    }

    [[nodiscard]] constexpr std::uint16_t current_pcid() const { return current_pcid_; }

private:
    static constexpr std::uint16_t kAnyPcid = 0xffff;  // after too many PCIDs: any of them

    struct Range {
        std::uint64_t first, last;
        std::uint64_t page_size;
        std::uint16_t pcid;  // non-global: the PCID the translation is tagged with
        bool global;
    };

    constexpr void add(const Range& r) {
        if (count_ == capacity) {
            overflowed_ = true;
            return;
        }
        ranges_[count_++] = r;
    }

    constexpr void make_current(std::uint16_t pcid) {
        current_pcid_ = pcid;
        for (unsigned i = 0; i < known_pcid_count_; ++i)
            if (known_pcids_[i] == pcid) return;
        if (known_pcid_count_ == max_known_pcids) {
            pcids_overflowed_ = true;
            return;
        }
        known_pcids_[known_pcid_count_++] = pcid;
    }

    constexpr void invalidate_everything() {
        count_ = 0;
        overflowed_ = false;
        pcids_overflowed_ = false;
        known_pcids_[0] = current_pcid_;
        known_pcid_count_ = 1;
    }

    /// Removes the ranges `matches` selects. An overflow stays: what it lost may not match.
    template <class Matches>
    constexpr void remove_all(Matches matches) {
        unsigned kept = 0;
        for (unsigned i = 0; i < count_; ++i)
            if (!matches(ranges_[i])) ranges_[kept++] = ranges_[i];
        count_ = kept;
    }

    /// Cuts the page of `va` (as each range's old page size) out of the ranges `matches` selects.
    template <class Matches>
    constexpr void remove_page(std::uint64_t va, Matches matches) {
        Range split[capacity] = {};
        unsigned split_count = 0;
        unsigned kept = 0;
        for (unsigned i = 0; i < count_; ++i) {
            const Range r = ranges_[i];
            const std::uint64_t lo = va & ~(r.page_size - 1), hi = lo + (r.page_size - 1);
            if (!matches(r) || hi < r.first || r.last < lo) {
                ranges_[kept++] = r;
                continue;
            }
            if (r.first < lo) ranges_[kept++] = Range{r.first, lo - 1, r.page_size, r.pcid, r.global};
            if (hi < r.last) split[split_count++] = Range{hi + 1, r.last, r.page_size, r.pcid, r.global};
        }
        count_ = kept;
        for (unsigned i = 0; i < split_count; ++i) add(split[i]);
    }

    Range ranges_[capacity] = {};
    unsigned count_ = 0;
    bool overflowed_ = false;
    std::uint16_t current_pcid_ = 0;
    std::uint16_t known_pcids_[max_known_pcids] = {};
    unsigned known_pcid_count_ = 0;
    bool pcids_overflowed_ = false;
};

}  // namespace pagewalk
