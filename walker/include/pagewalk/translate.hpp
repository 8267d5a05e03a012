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
#include "walk.hpp"

namespace pagewalk {

/// The outcome of one translation: see the file comment. The entries the walk read are in `chain()`,
/// whatever the outcome.
class TranslateResult {
public:
    enum class Kind : std::uint8_t { mapping, page_fault, general_protection, memory_error };

    constexpr TranslateResult() {
        if (__builtin_is_constant_evaluated()) memory_error_ = MemoryError{};
    }

    constexpr Kind kind() const { return kind_; }
    constexpr bool ok() const { return kind_ == Kind::mapping; }
    /// The paging-structure entries read, top level first (for a #GP on a non-canonical address: none).
    constexpr const EntryChain& chain() const& { return chain_; }

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
    const EntryChain& chain() const&& = delete;
    const Mapping* mapping() const&& = delete;
    const PageFault* page_fault() const&& = delete;
    const GeneralProtection* general_protection() const&& = delete;
    const MemoryError* memory_error() const&& = delete;

    /// The exception vector the access raises: 14 (#PF), 13 (#GP), or -1 (none, or the model could not tell).
    constexpr int vector() const {
        return kind_ == Kind::page_fault ? 14 : kind_ == Kind::general_protection ? 13 : -1;
    }

    // Building a result in place (used by translate; results are large and on hot paths, so nothing is
    // built elsewhere and copied in).
    constexpr EntryChain& chain_mut() { return chain_; }
    // The caller assigns every field: they are written once, in place (a copy of a freshly written
    // struct stalls on store forwarding).
    constexpr Mapping& set_mapping() {
        kind_ = Kind::mapping;
        if (__builtin_is_constant_evaluated()) mapping_ = Mapping{};
        return mapping_;
    }
    constexpr void set_page_fault(std::uint64_t va, std::uint32_t error_code, unsigned level, std::uint16_t causes,
                                  std::uint64_t reserved_bits, std::uint8_t may_set_accessed) {
        kind_ = Kind::page_fault;
        if (__builtin_is_constant_evaluated()) fault_ = PageFault{};
        fault_.va = va;
        fault_.error_code = error_code;
        fault_.level = static_cast<std::uint8_t>(level);
        fault_.causes = causes;
        fault_.reserved_bits = reserved_bits;
        fault_.may_set_accessed = may_set_accessed;
    }
    constexpr void set_general_protection(const GeneralProtection& g) {
        kind_ = Kind::general_protection;
        gp_ = g;
    }
    constexpr void set_memory_error(const MemoryError& e) {
        kind_ = Kind::memory_error;
        memory_error_ = e;
    }

private:
    Kind kind_ = Kind::memory_error;
    EntryChain chain_;
    union {
        Mapping mapping_;
        PageFault fault_;
        GeneralProtection gp_;
        MemoryError memory_error_;
    };
};

/// translate()'s little sibling for bulk work (an inspector listing millions of addresses, a hypervisor
/// resolving guest addresses): the same walk and the same checks, but only the outcome — physical address
/// and rights, or the exception — in 24 bytes, without the entry chain.
struct CompactTranslation {
    TranslateResult::Kind kind = TranslateResult::Kind::memory_error;
    std::uint8_t level = 0;        // the leaf's level, or the level where the walk stopped
    std::uint8_t page_shift = 0;   // log2 of the page size (mapping)
    std::uint8_t rights = 0;       // writable 1, user 2, executable 4 (mapping)
    std::uint32_t error_code = 0;  // #PF error code (page_fault)
    std::uint64_t value = 0;       // mapping: physical address; memory_error: the unreadable entry's address

    constexpr bool ok() const { return kind == TranslateResult::Kind::mapping; }
    constexpr std::uint64_t pa() const { return value; }
    constexpr std::uint64_t page_size() const { return std::uint64_t{1} << page_shift; }
    constexpr bool writable() const { return (rights & detail::rights_writable) != 0; }
    constexpr bool user() const { return (rights & detail::rights_user) != 0; }
    constexpr bool executable() const { return (rights & detail::rights_executable) != 0; }
    constexpr int vector() const {
        return kind == TranslateResult::Kind::page_fault           ? 14
               : kind == TranslateResult::Kind::general_protection ? 13
                                                                   : -1;
    }
};

/// Translates `va` for `access` as the CPU in `ctx` would, reading the paging structures from `memory`.
/// In 32-bit and PAE paging the linear address is 32 bits wide: higher bits are dropped, as the CPU's
/// address arithmetic wraps.
template <TableMemory M>
constexpr TranslateResult translate(const Context& ctx, M& memory, std::uint64_t va, const Access& access) {
    TranslateResult result;
    if (ctx.mode() == PagingMode::disabled) {
        // CR0.PG = 0: the linear address is the physical address, and paging checks nothing (SDM §4.1.1).
        Mapping& m = result.set_mapping();
        m = Mapping{};
        m.va = va;
        m.pa = va & 0xffff'ffffu;
        m.page_size = 4096;
        m.writable = m.user = m.executable = true;
        return result;
    }
    EntryChain* chain = &result.chain_mut();
    const detail::WalkOutcome o = detail::dispatch_mode(ctx.mode(), [&](auto mode) {
        return detail::walk<decltype(mode)::value, true>(ctx, memory, va, access, chain);
    });
    using K = detail::WalkOutcome::Kind;
    switch (o.kind) {
        case K::mapping: {
            const LevelRule& rule = ctx.rule(o.level);
            Mapping& m = result.set_mapping();
            m.va = o.va;
            m.pa = o.value;
            m.page_size = rule.shape.span();
            m.level = o.level;
            m.writable = (o.rights & detail::rights_writable) != 0;
            m.user = (o.rights & detail::rights_user) != 0;
            m.executable = (o.rights & detail::rights_executable) != 0;
            m.global = (o.leaf & detail::entry_g) != 0;
            m.pkey = o.pkey;
            // Memory type (SDM Vol. 3A §13.12.3): PAT, PCD, PWT index IA32_PAT; PAT is bit 7 of a 4 KiB leaf
            // and bit 12 of a huge one.
            MemoryType& t = m.memory_type;
            t.pwt = (o.leaf & bits::bit(3)) != 0;
            t.pcd = (o.leaf & bits::bit(4)) != 0;
            t.pat = ctx.cpu().pat && (o.leaf & (o.level > 1 ? bits::bit(12) : bits::bit(7))) != 0;
            t.type = static_cast<std::uint8_t>((ctx.registers().pat >> (8u * t.pat_index())) & 7u);
            // SDM §4.8: the access sets A in every entry it used and, for a write, D in the leaf.
            m.sets_accessed = o.accessed_clear;
            m.sets_dirty = access.is_write() && (o.leaf & detail::entry_d) == 0;
            break;
        }
        case K::page_fault:
            result.set_page_fault(o.va, o.error_code, o.level, o.causes, o.reserved_bits, o.accessed_clear);
            break;
        case K::general_protection:
            result.set_general_protection(
                {o.level == 3 ? GeneralProtection::Cause::pdpte_reserved : GeneralProtection::Cause::non_canonical,
                 o.va, static_cast<std::uint8_t>(o.value), o.reserved_bits});
            break;
        case K::memory_error:
            result.set_memory_error({o.value, o.level, o.va});
            break;
    }
    return result;
}

/// The same translation as translate(), returning only the outcome (see CompactTranslation).
template <TableMemory M>
constexpr CompactTranslation translate_compact(const Context& ctx, M& memory, std::uint64_t va, const Access& access) {
    CompactTranslation c;
    if (ctx.mode() == PagingMode::disabled) {
        c.kind = TranslateResult::Kind::mapping;
        c.page_shift = 12;
        c.rights = detail::rights_writable | detail::rights_user | detail::rights_executable;
        c.value = va & 0xffff'ffffu;
        return c;
    }
    const detail::WalkOutcome o = detail::dispatch_mode(ctx.mode(), [&](auto mode) {
        return detail::walk<decltype(mode)::value, false>(ctx, memory, va, access, nullptr);
    });
    static_assert(static_cast<int>(detail::WalkOutcome::Kind::memory_error) ==
                  static_cast<int>(TranslateResult::Kind::memory_error));
    const bool mapped = o.kind == detail::WalkOutcome::Kind::mapping;
    c.kind = static_cast<TranslateResult::Kind>(o.kind);
    c.level = o.level;
    c.page_shift = mapped ? ctx.rule(o.level).shape.shift : 0;
    c.rights = mapped ? o.rights : 0;
    c.error_code = o.error_code;
    c.value = mapped || o.kind == detail::WalkOutcome::Kind::memory_error ? o.value : 0;
    return c;
}

}  // namespace pagewalk
