// SPDX-License-Identifier: MIT OR Apache-2.0
// The paging walk itself, shared by translate() (full result) and translate_compact() (address or fault).
//
// One function per paging mode (a template parameter, so the level loop unrolls with constant shifts and
// entry widths); everything that depends on the CPU's state comes from the Context's precomputed rules.
// The walk hands its outcome to a sink that writes the caller's result directly, and records the entries
// it reads only when the sink asks for them.
#pragma once

#include <cstdint>
#include <type_traits>

#include "access.hpp"
#include "context.hpp"
#include "memory.hpp"
#include "rights.hpp"

namespace pagewalk::detail {

/// The error-code bits that describe the access itself (SDM §4.7): W, U, and I/D when reported.
constexpr std::uint32_t access_error_bits(const Context& ctx, const Access& a) {
    std::uint32_t code = 0;
    if (a.is_write()) code |= pf::w;
    if (a.is_user()) code |= pf::u;  // implicit supervisor accesses report U = 0, even at CPL 3
    if (a.is_fetch() && ctx.reports_fetch()) code |= pf::id;
    return code;
}

/// Physical address of the page a leaf maps: the address field, or for a 32-bit 4 MiB page bits 31:22
/// plus PSE-36 bits 20:13 as PA bits 39:32 (SDM §4.3) — from the entry alone, never the linear address.
constexpr std::uint64_t leaf_page_address(const LevelRule& rule, std::uint64_t leaf) {
    if (rule.pse36_address && rule.ps_maps_page && (leaf & entry_bit::page_size) != 0) {
        return Pde4M{static_cast<std::uint32_t>(leaf)}.address();
    }
    return leaf & rule.leaf_address;
}

/// Whether an entry of `level` in `Mode` can map a page: always at level 1, never in a PML5E/PML4E (PS is
/// reserved there, SDM §4.5.4) — both known at compile time — else when PS says so (`rule.leaf_test`).
template <PagingMode Mode>
[[gnu::always_inline]] constexpr bool is_leaf_entry(unsigned level, const LevelRule& rule, std::uint64_t e) {
    if (level == 1) return true;
    if ((Mode == PagingMode::long4 || Mode == PagingMode::long5) && level >= 4) return false;
    return (e & rule.leaf_test) != 0;
}

/// Walks the paging structures of mode `Mode` for `va`, judges `access`, and hands the outcome to `out` —
/// exactly one of out.mapping(pa, level, page_shift, rights, all_accessed), out.page_fault(error_code, level,
/// causes, reserved_bits), out.general_protection(pdpte, index, reserved_bits) and out.memory_error(entry_pa,
/// level). With `Out::record_chain`, every entry read (and the address) also goes into `*out.chain()`.
///
/// The sink writes the caller's result directly: an intermediate outcome struct, merged from the many exits
/// of the unrolled walk, ends up in memory and is copied field by field, which costs more than the checks.
template <PagingMode Mode, class Out, TableMemory M>
[[gnu::always_inline]] constexpr void walk(const Context& ctx, M& memory, std::uint64_t va, const Access& access,
                                           Out& out) {
    constexpr bool record = Out::record_chain;
    constexpr ModeShape shape = pagewalk::shape(Mode);
    if constexpr (Mode == PagingMode::legacy32 || Mode == PagingMode::pae) va = shape.linear(va);
    // The entries go straight into the chain; the count is kept in a register and stored once, with the
    // rest of the chain's bookkeeping, on the way out.
    [[maybe_unused]] EntryChain* chain = nullptr;
    [[maybe_unused]] std::uint64_t* read = nullptr;
    if constexpr (record) {
        chain = out.chain();
        chain->start(ctx.root(), va);
        read = chain->values();
    }
    unsigned count = 0;
    [[maybe_unused]] const auto finish_chain = [&](unsigned n) {
        if constexpr (record) chain->finish(Mode, ctx.cpu().maxphyaddr, n);
    };
    const auto page_fault = [&](std::uint32_t code, unsigned level, std::uint16_t causes, std::uint64_t reserved) {
        out.page_fault(code | access_error_bits(ctx, access), level, causes, reserved);
    };
    if constexpr (Mode == PagingMode::long4 || Mode == PagingMode::long5) {
        if (!shape.is_address(va)) [[unlikely]] {  // non-canonical: #GP(0), SDM Vol. 3A §3.3.7.1
            finish_chain(0);
            return out.general_protection(false, 0, 0);
        }
    }
    std::uint64_t table = ctx.root();
    constexpr unsigned top = Mode == PagingMode::pae ? 2 : shape.levels;
    // The next table's address bits are the same at every level (table_address_mask).
    const std::uint64_t table_address = ctx.rule(top).table_address;

    if constexpr (Mode == PagingMode::pae) {
        // SDM §4.4.1: the walk starts from the PDPTE registers loaded at the last MOV CR3, not from memory.
        const unsigned i = shape.level[3].index(va);
        const EntryLocation loc{table, va, i, 3, 8};
        std::uint64_t e = 0;
        if (ctx.pdptes_loaded()) {
            e = ctx.pdpte(i);
        } else {
            if (!memory.read_entry(loc, e)) {
                finish_chain(0);
                return out.memory_error(loc.pa(), 3);
            }
            // Reading the PDPTEs now stands for the load that MOV CR3 would have done: reserved bits in a
            // present PDPTE would have failed that load with #GP.
            if ((e & entry_bit::present) != 0 && (e & ctx.pdpte_reserved()) != 0) {
                finish_chain(0);
                return out.general_protection(true, i, e & ctx.pdpte_reserved());
            }
        }
        if constexpr (record) read[count] = e;
        ++count;
        if ((e & entry_bit::present) == 0) {
            finish_chain(count);
            return page_fault(0, 3, fault_cause::not_present, 0);
        }
        table = e & table_address;
    }

    std::uint64_t all_entries = ~std::uint64_t{0};  // AND over the levels: R/W and U/S survive only if set everywhere
    std::uint64_t any_entry = 0;                    // OR over the levels: XD set anywhere
    std::uint64_t leaf = 0;
    std::uint64_t pa = 0;
    unsigned level = top;
    unsigned page_shift = 12;
#pragma GCC unroll 5
    for (unsigned l = top; l >= 1; --l) {
        const LevelRule& rule = ctx.rule(l);
        const EntryLocation loc{table, va, shape.level[l].index(va), static_cast<std::uint8_t>(l), shape.entry_bytes};
        std::uint64_t e = 0;
        if (!memory.read_entry(loc, e)) [[unlikely]] {
            finish_chain(count);
            return out.memory_error(loc.pa(), l);
        }
        if constexpr (record) read[count] = e;
        ++count;
        // SDM §4.7: a not-present entry ends the walk with P = 0, its other bits never examined; a reserved
        // bit in a present entry gives P = 1 and RSVD = 1. One test finds either: `check` holds the reserved
        // bits and P, and P is flipped in the entry first. From here on `e` has P flipped, which no mask
        // below looks at.
        const bool is_leaf = is_leaf_entry<Mode>(l, rule, e);
        const std::uint64_t check = is_leaf ? rule.leaf_check : rule.table_check;
        e ^= entry_bit::present;
        if ((e & check) != 0) [[unlikely]] {
            finish_chain(count);
            if ((e & entry_bit::present) != 0) return page_fault(0, l, fault_cause::not_present, 0);
            return page_fault(pf::p | pf::rsvd, l, fault_cause::reserved_bit, e & check);
        }
        all_entries &= e;
        any_entry |= e;
        if (is_leaf) {
            // The page's address and the offset in it, while the level is a constant of this unrolled step.
            std::uint64_t page = e & rule.leaf_address;
            if constexpr (Mode == PagingMode::legacy32) page = leaf_page_address(rule, e);  // PSE-36
            pa = page | (va & (shape.level[l].span() - 1));
            leaf = e ^ entry_bit::present;
            level = l;
            page_shift = shape.level[l].shift;
            break;
        }
        table = e & table_address;
    }
    finish_chain(count);

    // SDM §4.6.1: rights combine over every level: R/W (bit 1) and U/S (bit 2) of the AND over the levels
    // become rights bits 0 and 1; XD counts only with EFER.NXE = 1.
    static_assert(rights_writable == 1 && rights_user == 2 && rights_executable == 4);
    static_assert(entry_bit::writable == 2 && entry_bit::user == 4, "the shift below moves R/W and U/S to bits 0, 1");
    const bool executable = !ctx.nxe() || (any_entry & entry_bit::execute_disable) == 0;
    const auto rights = static_cast<std::uint8_t>(((all_entries >> 1) & 3u) | (executable ? rights_executable : 0));
    const std::uint8_t pkey = ctx.pke() ? static_cast<std::uint8_t>(entry_bit::protection_key::get(leaf)) : 0;
    const AccessCheck check =
        check_access(ctx, {(rights & rights_writable) != 0, (rights & rights_user) != 0, executable}, pkey, access);
    if (!check.allowed()) [[unlikely]] {
        return page_fault(pf::p | (check.pk_flag ? pf::pk : 0u), level, check.causes, 0);
    }
    // Bit 5 of the AND over the levels: A was already set in every entry used (the usual case once a page has
    // been used), which spares decoding the chain for the A bits this access sets.
    out.mapping(pa, level, page_shift, rights, (all_entries & entry_bit::accessed) != 0);
}

/// Calls `fn(mode_tag)` with the paging mode as a compile-time constant.
template <class Fn>
[[gnu::always_inline]] constexpr void dispatch_mode(PagingMode mode, Fn&& fn) {
    switch (mode) {
        case PagingMode::legacy32:
            return fn(std::integral_constant<PagingMode, PagingMode::legacy32>{});
        case PagingMode::pae:
            return fn(std::integral_constant<PagingMode, PagingMode::pae>{});
        case PagingMode::long4:
            return fn(std::integral_constant<PagingMode, PagingMode::long4>{});
        case PagingMode::long5:
            break;
        case PagingMode::disabled:
            break;
    }
    return fn(std::integral_constant<PagingMode, PagingMode::long5>{});
}

}  // namespace pagewalk::detail
