// SPDX-License-Identifier: MIT OR Apache-2.0
// The checked floor: a hand-written 4-/5-level walk that makes translate()'s checks on the way to a mapping,
// specialised for its mode and inlined into the benchmark loop, as the floor walk is. translate_bench reports
// translate ÷ this (what the library's generality costs) and this ÷ the floor (what the checks cost).
//
// Checked, as translate() does (SDM Vol. 3A §3.3.7.1, §4.5.4, §4.6.1, §4.7): the canonical address, every read
// inside the memory, P and the reserved bits of every entry (the Context's per-level masks), PS for a leaf, R/W,
// U/S and XD over all levels against the access (CPL, write/fetch, CR0.WP, SMEP, SMAP with EFLAGS.AC, EFER.NXE).
// Not modelled, as they have no cost on this path: protection keys (CR4.PKE is off here), the entry chain,
// A/D reporting. A fault or an unreadable entry ends the walk with `ok = false`: the benchmark's addresses are
// all mapped, and translate_bench checks both walks agree on every one of them before timing.
#pragma once

#include <cstdint>
#include <cstring>
#include <pagewalk/pagewalk.hpp>
#include <utility>

namespace pagewalk::bench {

/// An 8-byte entry at physical address pa lies in `size` bytes of memory iff pa < entry_end(size).
constexpr std::uint64_t entry_end(std::uint64_t size) {
    return size >= 8 ? size - 7 : 0;
}

struct CheckedWalk {
    bool ok = false;
    std::uint8_t level = 0;   // the leaf's level
    std::uint8_t rights = 0;  // writable 1, user 2, executable 4, as CompactTranslation
    std::uint64_t pa = 0;
};

template <unsigned Levels>
[[gnu::always_inline]] inline CheckedWalk checked_walk(const Context& ctx, const std::uint8_t* phys,
                                                       std::uint64_t entry_end, std::uint64_t va, const Access& a) {
    static_assert(Levels == 4 || Levels == 5);
    constexpr unsigned va_bits = Levels == 4 ? 48 : 57;
    constexpr std::uint64_t xd = entry_bit::execute_disable;
    if (bits::sign_extend(va, va_bits) != va) {
        return {};
    }
    // P is flipped so that one test per entry finds P clear or a reserved bit; XD too when NXE = 1, so that the
    // AND over the levels has bit 63 set iff XD = 0 everywhere.
    const std::uint64_t flip = entry_bit::present | (ctx.nxe() ? xd : 0);
    const std::uint64_t table_address = ctx.rule(Levels).table_address;
    std::uint64_t table = ctx.root();
    std::uint64_t all = ~std::uint64_t{0};
    CheckedWalk out{};
    const auto step = [&]<unsigned L>() __attribute__((always_inline))->bool {
        const std::uint64_t entry_pa = table + ((va >> (9 * L)) & 0xff8);  // index × 8 (index at bit 12 + 9 (L - 1))
        if (entry_pa >= entry_end) return false;
        std::uint64_t e;
        std::memcpy(&e, phys + entry_pa, 8);
        const std::uint64_t f = e ^ flip;
        const LevelRule& rule = ctx.rule(L);
        const bool leaf = L == 1 || (L <= 3 && (e & rule.leaf_test) != 0);
        if ((f & (leaf ? rule.leaf_check : rule.table_check)) != 0) return false;
        all &= f;
        if (!leaf) {
            table = f & table_address;
            return true;
        }
        // The access against the rights (§4.6.1): user-mode accesses need U/S (and R/W to write); supervisor
        // fetches are refused user pages with SMEP, supervisor data accesses with SMAP unless explicit with AC;
        // supervisor writes need R/W with WP; fetches need XD = 0 with NXE.
        const bool user = a.is_user();
        const bool write = a.is_write();
        const bool fetch = a.is_fetch();
        std::uint64_t care = 0;
        std::uint64_t want = 0;
        if (user) {
            care = want = 4 | (write ? 2 : 0);
        } else if (fetch) {
            care = ctx.smep() ? 4 : 0;
        } else {
            want = write && ctx.wp() ? 2 : 0;
            care = want | (ctx.smap() && !(a.ac && a.is_explicit_supervisor()) ? 4 : 0);
        }
        if (fetch && ctx.nxe()) {
            care |= xd;
            want |= xd;
        }
        if ((all & care) != want) return false;
        constexpr std::uint64_t offset = (std::uint64_t{1} << (3 + 9 * L)) - 1;
        const std::uint64_t executable = ctx.nxe() ? all >> 63 : 1;
        out = {true, static_cast<std::uint8_t>(L), static_cast<std::uint8_t>(((all >> 1) & 3) | (executable << 2)),
               (f & table_address & ~offset) | (va & offset)};
        return false;
    };
    [&]<unsigned... I>(std::integer_sequence<unsigned, I...>) __attribute__((always_inline)) {
        (step.template operator()<Levels - I>() && ...);
    }
    (std::make_integer_sequence<unsigned, Levels>{});
    return out;
}

}  // namespace pagewalk::bench
