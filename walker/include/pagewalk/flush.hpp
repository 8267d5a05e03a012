// SPDX-License-Identifier: MIT OR Apache-2.0
// What must be flushed after page tables change: the mapper reports it, the caller decides how.
//
// SDM Vol. 3A §4.10.4: after a change to a present entry, the new translation is guaranteed only after INVLPG of
// an address in the page (which also drops every paging-structure-cache entry, §4.10.4.1), a MOV to CR3 (all
// non-global translations), or toggling CR4.PGE (all, global ones included). Entries that were not present are
// never cached (§4.10.2.3), so filling a hole needs no flush. PAE PDPTEs are registers: a change to one takes
// effect only at the next PDPTE load (MOV CR3, §4.4.1).
#pragma once

#include <cstdint>

namespace pagewalk {

/// The addresses whose translations changed, or "everything".
struct [[nodiscard]] Flush {
    static constexpr unsigned capacity = 16;  // beyond this many pages, flushing everything is cheaper

    std::uint8_t count = 0;              // valid entries in `pages`
    std::uint64_t pages[capacity] = {};  // one linear address inside each changed page (huge pages: one each)
    bool all = false;                    // too many pages: flush the whole TLB
    bool global = false;                 // a changed entry was global: a full flush must toggle CR4.PGE, not reload CR3
    bool reload_pdptes = false;          // PAE: a PDPTE changed; reload CR3 so the CPU loads the PDPTEs again

    constexpr bool empty() const { return count == 0 && !all && !reload_pdptes; }

    constexpr void add(std::uint64_t va, bool was_global) {
        global = global || was_global;
        if (all) return;
        if (count == capacity) {
            all = true;
            return;
        }
        pages[count++] = va;
    }
    constexpr void merge(const Flush& other) {
        for (unsigned i = 0; i < other.count; ++i) add(other.pages[i], false);
        all = all || other.all;
        global = global || other.global;
        reload_pdptes = reload_pdptes || other.reload_pdptes;
    }

    /// Calls `invlpg(va)` for each page, or `flush_all(global)` when everything must go (`global`: toggle
    /// CR4.PGE), and `reload_cr3()` for PDPTE changes — the caller's own instructions or a TLB shootdown.
    template <class Invlpg, class FlushAll, class ReloadCr3>
    constexpr void apply(Invlpg&& invlpg, FlushAll&& flush_all, ReloadCr3&& reload_cr3) const {
        if (all) {
            flush_all(global);
        } else {
            for (unsigned i = 0; i < count; ++i) invlpg(pages[i]);
        }
        if (reload_pdptes) reload_cr3();
    }
};

}  // namespace pagewalk
