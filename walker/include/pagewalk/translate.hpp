// translate(context, memory, va, access): what the CPU does with one access to a linear address.
//
// The result is exactly one of:
//   Mapping            the physical address, page size, effective rights, protection key, memory type,
//                      the entries used, and which A/D bits the access sets;
//   PageFault          the #PF the CPU raises: error code, CR2, the level where the walk stopped;
//   GeneralProtection  a #GP instead (non-canonical address, or a PAE PDPTE with reserved bits);
//   MemoryError        an entry could not be read (names the physical address and level).
//
//   auto r = pagewalk::translate(ctx, mem, va, pagewalk::Access::write().user());
//   if (auto m = r.mapping()) use(m->pa);
//   else if (auto f = r.page_fault()) log(f->error_code, f->level);
#pragma once

#include <cstdint>

#include "access.hpp"
#include "context.hpp"
#include "memory.hpp"
#include "rights.hpp"

namespace pagewalk {

/// The outcome of one translation: see the file comment.
class TranslateResult {
public:
    enum class Kind : std::uint8_t { mapping, page_fault, general_protection, memory_error };

    constexpr TranslateResult() : kind_(Kind::memory_error), memory_error_{} {}
    constexpr TranslateResult(const Mapping& m) : kind_(Kind::mapping), mapping_(m) {}                  // NOLINT
    constexpr TranslateResult(const PageFault& f) : kind_(Kind::page_fault), fault_(f) {}               // NOLINT
    constexpr TranslateResult(const GeneralProtection& g) : kind_(Kind::general_protection), gp_(g) {}  // NOLINT
    constexpr TranslateResult(const MemoryError& e) : kind_(Kind::memory_error), memory_error_(e) {}    // NOLINT

    constexpr Kind kind() const { return kind_; }
    constexpr bool ok() const { return kind_ == Kind::mapping; }

    /// Each accessor returns null unless the result is of that kind. They point into the result, so they
    /// cannot be called on a temporary: keep the result in a variable first.
    constexpr const Mapping* mapping() const& { return kind_ == Kind::mapping ? &mapping_ : nullptr; }
    constexpr const PageFault* page_fault() const& { return kind_ == Kind::page_fault ? &fault_ : nullptr; }
    constexpr const GeneralProtection* general_protection() const& {
        return kind_ == Kind::general_protection ? &gp_ : nullptr;
    }
    constexpr const MemoryError* memory_error() const& {
        return kind_ == Kind::memory_error ? &memory_error_ : nullptr;
    }
    const Mapping* mapping() const&& = delete;
    const PageFault* page_fault() const&& = delete;
    const GeneralProtection* general_protection() const&& = delete;
    const MemoryError* memory_error() const&& = delete;

    /// The exception vector the access raises: 14 (#PF), 13 (#GP), or -1 (none, or the model could not tell).
    constexpr int vector() const {
        return kind_ == Kind::page_fault ? 14 : kind_ == Kind::general_protection ? 13 : -1;
    }

private:
    Kind kind_;
    union {
        Mapping mapping_;
        PageFault fault_;
        GeneralProtection gp_;
        MemoryError memory_error_;
    };
};

namespace detail {

inline constexpr std::uint64_t entry_p = bits::bit(0);
inline constexpr std::uint64_t entry_rw = bits::bit(1);
inline constexpr std::uint64_t entry_us = bits::bit(2);
inline constexpr std::uint64_t entry_a = bits::bit(5);
inline constexpr std::uint64_t entry_d = bits::bit(6);
inline constexpr std::uint64_t entry_ps = bits::bit(7);
inline constexpr std::uint64_t entry_g = bits::bit(8);
inline constexpr std::uint64_t entry_xd = bits::bit(63);

/// Bit-L mask of the chain entries that have an A flag and have it clear. The PAE PDPTE has no A flag.
constexpr std::uint8_t accessed_clear(const Context& ctx, const EntryChain& chain, unsigned skip_last) {
    std::uint8_t mask = 0;
    for (unsigned i = 0; i + skip_last < chain.count; ++i) {
        const ChainEntry& e = chain.entries[i];
        if (ctx.mode() == PagingMode::pae && e.level == 3) continue;
        if ((e.value & entry_a) == 0) mask = static_cast<std::uint8_t>(mask | (1u << e.level));
    }
    return mask;
}

/// The error-code bits that describe the access itself (SDM §4.7): W, U, and I/D when reported.
constexpr std::uint32_t access_error_bits(const Context& ctx, const Access& a) {
    std::uint32_t code = 0;
    if (a.is_write()) code |= pf::w;
    if (a.is_user()) code |= pf::u;  // implicit supervisor accesses report U = 0, even at CPL 3
    if (a.is_fetch() && ctx.reports_fetch()) code |= pf::id;
    return code;
}

/// Memory type of a leaf (SDM Vol. 3A §13.12.3): PAT, PCD, PWT index IA32_PAT. PAT sits at bit 7 of
/// a 4 KiB leaf and bit 12 of a huge one.
constexpr MemoryType memory_type_of(const Context& ctx, std::uint64_t leaf, bool huge) {
    MemoryType t{};
    t.pwt = (leaf & bits::bit(3)) != 0;
    t.pcd = (leaf & bits::bit(4)) != 0;
    t.pat = ctx.cpu().pat && (leaf & (huge ? bits::bit(12) : bits::bit(7))) != 0;
    t.type = static_cast<std::uint8_t>((ctx.registers().pat >> (8u * t.pat_index())) & 7u);
    return t;
}

/// Physical address of the page a leaf maps: the address field, or for a 32-bit 4 MiB page bits 31:22
/// plus PSE-36 bits 20:13 as PA bits 39:32 (SDM §4.3) — from the entry alone, never the linear address.
constexpr std::uint64_t leaf_page_address(const LevelRule& rule, std::uint64_t leaf) {
    if (rule.pse36_address && rule.ps_maps_page && (leaf & entry_ps) != 0) {
        return Pde4M{static_cast<std::uint32_t>(leaf)}.address();
    }
    return leaf & rule.leaf_address;
}

constexpr bool is_canonical(std::uint64_t va, unsigned va_bits) {
    const unsigned unused = 64 - va_bits;
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(va << unused) >> unused) == va;
}

}  // namespace detail

/// Translates `va` for `access` as the CPU in `ctx` would, reading the paging structures from `memory`.
/// In 32-bit and PAE paging the linear address is 32 bits wide: higher bits are dropped, as the CPU's
/// address arithmetic wraps.
template <TableMemory M>
constexpr TranslateResult translate(const Context& ctx, M& memory, std::uint64_t va, const Access& access) {
    const PagingMode mode = ctx.mode();
    if (mode == PagingMode::disabled) {
        // CR0.PG = 0: the linear address is the physical address, and paging checks nothing (SDM §4.1.1).
        Mapping m{};
        m.va = va;
        m.pa = va & 0xffff'ffffu;
        m.page_size = 4096;
        m.writable = m.user = m.executable = true;
        return m;
    }
    const ModeShape& shape = ctx.shape();
    if (mode == PagingMode::legacy32 || mode == PagingMode::pae) {
        va &= 0xffff'ffffu;
    } else if (!detail::is_canonical(va, shape.va_bits)) {
        return GeneralProtection{GeneralProtection::Cause::non_canonical, va, 0, 0};
    }

    EntryChain chain{};
    std::uint64_t table = ctx.root();
    std::uint64_t all_entries = ~std::uint64_t{0};  // AND of every level: R/W and U/S survive only if set everywhere
    std::uint64_t any_entry = 0;                    // OR of every level: XD set anywhere
    unsigned level = shape.levels;
    const std::uint32_t access_bits = detail::access_error_bits(ctx, access);

    if (mode == PagingMode::pae) {
        // SDM §4.4.1: the walk starts from the PDPTE registers loaded at the last MOV CR3, not from memory.
        const unsigned i = ctx.rule(3).shape.index(va);
        const EntryLocation loc{table, va, static_cast<std::uint16_t>(i), 3, 8};
        std::uint64_t e = 0;
        if (ctx.pdptes_loaded()) {
            e = ctx.pdpte(i);
        } else {
            if (!memory.read_entry(loc, e)) return MemoryError{loc.pa(), 3, va};
            // Reading the PDPTEs now stands for the load that MOV CR3 would have done; reserved bits in a
            // present PDPTE would have failed that load with #GP.
            if ((e & detail::entry_p) != 0 && (e & ctx.pdpte_reserved()) != 0) {
                return GeneralProtection{GeneralProtection::Cause::pdpte_reserved, va, static_cast<std::uint8_t>(i),
                                         e & ctx.pdpte_reserved()};
            }
        }
        chain.push({loc.pa(), e, 3});
        if ((e & detail::entry_p) == 0) {
            PageFault f{va, access_bits, 3, fault_cause::not_present, 0, chain, 0};
            return f;
        }
        table = e & ctx.rule(3).table_address;
        level = 2;
    }

    std::uint64_t leaf = 0;
    for (;; --level) {
        const LevelRule& rule = ctx.rule(level);
        const EntryLocation loc{table, va, static_cast<std::uint16_t>(rule.shape.index(va)),
                                static_cast<std::uint8_t>(level), shape.entry_bytes};
        std::uint64_t e = 0;
        if (!memory.read_entry(loc, e)) return MemoryError{loc.pa(), static_cast<std::uint8_t>(level), va};
        chain.push({loc.pa(), e, static_cast<std::uint8_t>(level)});

        // SDM §4.7: a not-present entry ends the walk with P = 0; its other bits, reserved or not, are
        // never examined.
        if ((e & detail::entry_p) == 0) {
            PageFault f{va, access_bits, static_cast<std::uint8_t>(level), fault_cause::not_present, 0, chain, 0};
            f.may_set_accessed = detail::accessed_clear(ctx, chain, 1);
            return f;
        }
        const bool is_leaf = rule.always_leaf || (rule.ps_maps_page && (e & detail::entry_ps) != 0);
        // SDM §4.7: a reserved bit in a present entry gives P = 1 and RSVD = 1 (RSVD is set only with P).
        const std::uint64_t reserved = e & (is_leaf ? rule.reserved_leaf : rule.reserved_table);
        if (reserved != 0) {
            PageFault f{va,
                        access_bits | pf::p | pf::rsvd,
                        static_cast<std::uint8_t>(level),
                        fault_cause::reserved_bit,
                        reserved,
                        chain,
                        0};
            f.may_set_accessed = detail::accessed_clear(ctx, chain, 1);
            return f;
        }
        all_entries &= e;
        any_entry |= e;
        if (is_leaf) {
            leaf = e;
            break;
        }
        table = e & rule.table_address;
    }

    const LevelRule& leaf_rule = ctx.rule(level);
    const Rights rights{(all_entries & detail::entry_rw) != 0, (all_entries & detail::entry_us) != 0,
                        !ctx.nxe() || (any_entry & detail::entry_xd) == 0};
    const std::uint8_t pkey = ctx.pke() ? static_cast<std::uint8_t>((leaf >> 59) & 0xf) : 0;

    const AccessCheck check = check_access(ctx, rights, pkey, access);
    if (!check.allowed()) {
        PageFault f{va,
                    access_bits | pf::p | (check.pk_flag ? pf::pk : 0u),
                    static_cast<std::uint8_t>(level),
                    check.causes,
                    0,
                    chain,
                    0};
        f.may_set_accessed = detail::accessed_clear(ctx, chain, 0);
        return f;
    }

    Mapping m{};
    m.va = va;
    m.page_size = leaf_rule.shape.span();
    const std::uint64_t page = detail::leaf_page_address(leaf_rule, leaf);
    m.pa = page | (va & (m.page_size - 1));
    m.level = static_cast<std::uint8_t>(level);
    m.writable = rights.writable;
    m.user = rights.user;
    m.executable = rights.executable;
    m.global = (leaf & detail::entry_g) != 0;
    m.pkey = pkey;
    m.memory_type = detail::memory_type_of(ctx, leaf, level > 1);
    m.chain = chain;
    // SDM §4.8: the access sets A in every entry it used and, for a write, D in the leaf.
    m.sets_accessed = detail::accessed_clear(ctx, chain, 0);
    m.sets_dirty = access.is_write() && (leaf & detail::entry_d) == 0;
    return m;
}

}  // namespace pagewalk
