// The paging walk itself, shared by translate() (full result) and translate_compact() (address or fault).
//
// One function per paging mode (a template parameter, so the level loop unrolls with constant shifts and
// entry widths); everything that depends on the CPU's state comes from the Context's precomputed rules.
// The walk returns a small `WalkOutcome` by value — kept in registers once inlined — and records the
// entries it reads only when asked to.
#pragma once

#include <cstdint>
#include <type_traits>

#include "access.hpp"
#include "context.hpp"
#include "memory.hpp"
#include "rights.hpp"

namespace pagewalk::detail {

inline constexpr std::uint64_t entry_p = bits::bit(0);
inline constexpr std::uint64_t entry_rw = bits::bit(1);
inline constexpr std::uint64_t entry_us = bits::bit(2);
inline constexpr std::uint64_t entry_a = bits::bit(5);
inline constexpr std::uint64_t entry_d = bits::bit(6);
inline constexpr std::uint64_t entry_ps = bits::bit(7);
inline constexpr std::uint64_t entry_g = bits::bit(8);
inline constexpr std::uint64_t entry_xd = bits::bit(63);

/// What a walk found, before it is dressed up as a result.
struct WalkOutcome {
    enum class Kind : std::uint8_t { mapping, page_fault, general_protection, memory_error } kind;
    std::uint8_t level;           // leaf level (mapping, protection fault) or where the walk stopped
    std::uint8_t accessed_clear;  // bit L: the level-L entry used has A = 0
    std::uint8_t pkey;
    std::uint16_t causes;         // fault_cause bits (page_fault)
    std::uint32_t error_code;     // page_fault
    std::uint64_t va;             // the linear address (truncated to 32 bits in legacy modes)
    std::uint64_t value;          // mapping: physical address; memory_error: entry address; #GP: PDPTE index
    std::uint64_t reserved_bits;  // reserved bits found (page_fault, #GP)
    std::uint64_t leaf;           // mapping: the leaf entry
    std::uint8_t rights;          // mapping: rights_writable | rights_user | rights_executable
};

// Rights packed in one byte inside the walk (separate bools cost store-forwarding stalls when combined).
inline constexpr std::uint8_t rights_writable = 1;
inline constexpr std::uint8_t rights_user = 2;
inline constexpr std::uint8_t rights_executable = 4;

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
    if (rule.pse36_address && rule.ps_maps_page && (leaf & entry_ps) != 0) {
        return Pde4M{static_cast<std::uint32_t>(leaf)}.address();
    }
    return leaf & rule.leaf_address;
}

/// Canonical: bits 63 down to the top linear-address bit all equal (SDM Vol. 3A §3.3.7.1).
constexpr bool is_canonical(std::uint64_t va, unsigned va_bits) {
    const unsigned unused = 64 - va_bits;
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(va << unused) >> unused) == va;
}

constexpr WalkOutcome fault(std::uint64_t va, std::uint32_t code, unsigned level, std::uint16_t causes,
                            std::uint64_t reserved, std::uint8_t accessed_clear) {
    return {WalkOutcome::Kind::page_fault,
            static_cast<std::uint8_t>(level),
            accessed_clear,
            0,
            causes,
            code,
            va,
            0,
            reserved,
            0,
            {}};
}

/// Walks the paging structures of mode `Mode` for `va` and judges `access`. With `Record`, every entry
/// read is appended to `chain` and the A bits are tracked (`accessed_clear`); without, only the outcome counts.
template <PagingMode Mode, bool Record, TableMemory M>
[[gnu::always_inline]] constexpr WalkOutcome walk(const Context& ctx, M& memory, std::uint64_t va, const Access& access,
                                                  EntryChain* chain) {
    constexpr ModeShape shape = pagewalk::shape(Mode);
    if constexpr (Mode == PagingMode::legacy32 || Mode == PagingMode::pae) {
        va &= 0xffff'ffffu;
    } else if (!is_canonical(va, shape.va_bits)) {
        return {WalkOutcome::Kind::general_protection, 0, 0, 0, 0, 0, va, 0, 0, 0, 0};
    }

    unsigned count = 0;  // chain entries, kept in a register and stored once
    std::uint64_t table = ctx.root();
    std::uint64_t all_entries = ~std::uint64_t{0};  // AND over the levels: R/W and U/S survive only if set everywhere
    std::uint64_t any_entry = 0;                    // OR over the levels: XD set anywhere
    std::uint8_t accessed_clear = 0;
    const std::uint32_t access_bits = access_error_bits(ctx, access);
    constexpr unsigned top = Mode == PagingMode::pae ? 2 : shape.levels;

    if constexpr (Mode == PagingMode::pae) {
        // SDM §4.4.1: the walk starts from the PDPTE registers loaded at the last MOV CR3, not from memory.
        const unsigned i = shape.level[3].index(va);
        const EntryLocation loc{table, va, static_cast<std::uint16_t>(i), 3, 8};
        std::uint64_t e = 0;
        if (ctx.pdptes_loaded()) {
            e = ctx.pdpte(i);
        } else {
            if (!memory.read_entry(loc, e)) {
                return {WalkOutcome::Kind::memory_error, 3, 0, 0, 0, 0, va, loc.pa(), 0, 0, 0};
            }
            // Reading the PDPTEs now stands for the load that MOV CR3 would have done: reserved bits in a
            // present PDPTE would have failed that load with #GP.
            if ((e & entry_p) != 0 && (e & ctx.pdpte_reserved()) != 0) {
                return {WalkOutcome::Kind::general_protection, 3, 0, 0, 0, 0, va, i, e & ctx.pdpte_reserved(), 0, 0};
            }
        }
        if constexpr (Record) {
            chain->entries[count++] = {loc.pa(), e, 3};
            chain->count = static_cast<std::uint8_t>(count);
        }
        if ((e & entry_p) == 0) return fault(va, access_bits, 3, fault_cause::not_present, 0, 0);
        table = e & ctx.rule(3).table_address;
    }

    std::uint64_t leaf = 0;
    unsigned level = top;
#pragma GCC unroll 5
    for (unsigned l = top; l >= 1; --l) {
        level = l;
        const LevelRule& rule = ctx.rule(l);
        const EntryLocation loc{table, va, static_cast<std::uint16_t>(shape.level[l].index(va)),
                                static_cast<std::uint8_t>(l), shape.entry_bytes};
        std::uint64_t e = 0;
        if (!memory.read_entry(loc, e)) {
            if constexpr (Record) chain->count = static_cast<std::uint8_t>(count);
            return {WalkOutcome::Kind::memory_error, static_cast<std::uint8_t>(l), 0, 0, 0, 0, va, loc.pa(), 0, 0, 0};
        }
        if constexpr (Record) chain->entries[count++] = {loc.pa(), e, static_cast<std::uint8_t>(l)};
        // SDM §4.7: a not-present entry ends the walk with P = 0; its other bits, reserved or not, are
        // never examined.
        if ((e & entry_p) == 0) {
            if constexpr (Record) chain->count = static_cast<std::uint8_t>(count);
            return fault(va, access_bits, l, fault_cause::not_present, 0, accessed_clear);
        }
        const bool is_leaf = (e & rule.leaf_test) != 0;
        // SDM §4.7: a reserved bit in a present entry gives P = 1 and RSVD = 1 (RSVD is set only with P).
        const std::uint64_t reserved = e & (is_leaf ? rule.reserved_leaf : rule.reserved_table);
        if (reserved != 0) {
            if constexpr (Record) chain->count = static_cast<std::uint8_t>(count);
            return fault(va, access_bits | pf::p | pf::rsvd, l, fault_cause::reserved_bit, reserved, accessed_clear);
        }
        all_entries &= e;
        any_entry |= e;
        // SDM §4.8: A is set in every entry the translation uses.
        if constexpr (Record) accessed_clear = static_cast<std::uint8_t>(accessed_clear | (((~e >> 5) & 1u) << l));
        if (is_leaf) {
            leaf = e;
            break;
        }
        table = e & rule.table_address;
    }
    if constexpr (Record) chain->count = static_cast<std::uint8_t>(count);

    // SDM §4.6.1: rights combine over every level.
    const Rights rights{(all_entries & entry_rw) != 0, (all_entries & entry_us) != 0,
                        !ctx.nxe() || (any_entry & entry_xd) == 0};
    const std::uint8_t pkey = ctx.pke() ? static_cast<std::uint8_t>((leaf >> 59) & 0xf) : 0;
    const AccessCheck check = check_access(ctx, rights, pkey, access);
    if (!check.allowed()) {
        return fault(va, access_bits | pf::p | (check.pk_flag ? pf::pk : 0u), level, check.causes, 0, accessed_clear);
    }
    const LevelRule& leaf_rule = ctx.rule(level);
    std::uint64_t page = leaf & leaf_rule.leaf_address;
    if constexpr (Mode == PagingMode::legacy32) page = leaf_page_address(leaf_rule, leaf);  // PSE-36
    const std::uint64_t pa = page | (va & (leaf_rule.shape.span() - 1));
    // R/W (bit 1) and U/S (bit 2) of the AND over the levels become rights bits 0 and 1.
    static_assert(rights_writable == 1 && rights_user == 2 && rights_executable == 4);
    const auto packed =
        static_cast<std::uint8_t>(((all_entries >> 1) & 3u) | (rights.executable ? rights_executable : 0));
    WalkOutcome o{};
    o.kind = WalkOutcome::Kind::mapping;
    o.level = static_cast<std::uint8_t>(level);
    o.accessed_clear = accessed_clear;
    o.pkey = pkey;
    o.va = va;
    o.value = pa;
    o.leaf = leaf;
    o.rights = packed;
    return o;
}

/// Calls `fn(mode_tag)` with the paging mode as a compile-time constant.
template <class Fn>
[[gnu::always_inline]] constexpr auto dispatch_mode(PagingMode mode, Fn&& fn) {
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
