// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the walker's TLB model as the scenario compiler follows it, plus what only a #PF made fresh.
//
// Two copies of pagewalk::TlbModel see the same events, except that one also sees the page faults the scenario
// asserts. A translation fresh in the first and possibly stale in the second is fresh only because a page fault
// invalidated its page (SDM Vol. 3A §4.10.4.1). The compiler marks reads of such pages, so that the evaluation can
// name the exact evidence when a backend keeps the old translation anyway.
#pragma once

#include <cstdint>
#include <pagewalk/tlb_model.hpp>

namespace pagewalk::host::scenario {

class TlbWithFaultRecord {
public:
    void translations_changed(std::uint64_t first, std::uint64_t last, std::uint64_t page_size, bool global) {
        all_.translations_changed(first, last, page_size, global);
        without_faults_.translations_changed(first, last, page_size, global);
    }
    void invlpg(std::uint64_t va) {
        all_.invlpg(va);
        without_faults_.invlpg(va);
    }
    void mov_cr3(std::uint64_t cr3, bool pcide) {
        all_.mov_cr3(cr3, pcide);
        without_faults_.mov_cr3(cr3, pcide);
    }
    void mov_cr4(std::uint64_t before, std::uint64_t after) {
        all_.mov_cr4(before, after);
        without_faults_.mov_cr4(before, after);
    }
    void invpcid(InvpcidType type, std::uint16_t pcid, std::uint64_t va) {
        all_.invpcid(type, pcid, va);
        without_faults_.invpcid(type, pcid, va);
    }
    /// A #PF on `va` (only the first model sees it).
    void page_fault(std::uint64_t va) { all_.page_fault(va); }

    [[nodiscard]] bool may_be_stale(std::uint64_t first, std::uint64_t last) const {
        return all_.may_be_stale(first, last);
    }
    /// [first, last] is fresh only because a page fault invalidated it.
    [[nodiscard]] bool fresh_only_by_page_fault(std::uint64_t first, std::uint64_t last) const {
        return !all_.may_be_stale(first, last) && without_faults_.may_be_stale(first, last);
    }

private:
    TlbModel all_;
    TlbModel without_faults_;
};

}  // namespace pagewalk::host::scenario
