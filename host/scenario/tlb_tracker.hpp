// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: which linear addresses a scenario changed without flushing the TLB yet.
//
// Intel SDM Vol. 3A §4.10.4: after a paging-structure entry changes, the CPU may keep using a cached translation
// until INVLPG (that page; and paging-structure caches for it), MOV to CR3 (all non-global translations) or a
// CR4.PGE toggle (everything). A scenario may prove that a flush works; it may never assert that a stale entry
// is (or is not) used. The compiler asks this tracker whether an access could see a stale translation and
// refuses the access unless the step says `stale = true` (then its expectation must accept both outcomes).
#pragma once

#include <cstdint>
#include <vector>

namespace pagewalk::host::scenario {

/// Intervals [lo, hi) of linear addresses whose translation changed without a flush.
class TlbTracker {
public:
    /// A change to the translations of [lo, hi). `global`: some of them may be global (a CR3 reload keeps them).
    void changed(std::uint64_t lo, std::uint64_t hi, bool global) {
        if (hi > lo) pending_.push_back({lo, hi, global});
    }
    /// INVLPG va: the 4 KiB page holding va is flushed. (A huge-page translation for va goes too, but a 4 KiB
    /// neighbour cached from an old page table does not — the conservative reading.)
    void invlpg(std::uint64_t va) { remove(va & ~std::uint64_t{0xfff}, (va & ~std::uint64_t{0xfff}) + 0x1000); }
    /// MOV to CR3: every non-global translation is flushed.
    void reload_cr3() {
        std::vector<Interval> keep;
        for (const auto& i : pending_)
            if (i.global) keep.push_back(i);
        pending_ = std::move(keep);
    }
    /// CR4.PGE toggled: everything flushed.
    void flush_all() { pending_.clear(); }
    /// True when [va, va + bytes) may still be translated from a stale TLB entry.
    [[nodiscard]] bool stale(std::uint64_t va, std::uint64_t bytes) const {
        for (const auto& i : pending_)
            if (va < i.hi && va + bytes > i.lo) return true;
        return false;
    }

private:
    struct Interval {
        std::uint64_t lo, hi;
        bool global;
    };
    void remove(std::uint64_t lo, std::uint64_t hi) {
        std::vector<Interval> out;
        for (const auto& i : pending_) {
            if (hi <= i.lo || lo >= i.hi) {
                out.push_back(i);
                continue;
            }
            if (i.lo < lo) out.push_back({i.lo, lo, i.global});
            if (hi < i.hi) out.push_back({hi, i.hi, i.global});
        }
        pending_ = std::move(out);
    }
    std::vector<Interval> pending_;
};

}  // namespace pagewalk::host::scenario
