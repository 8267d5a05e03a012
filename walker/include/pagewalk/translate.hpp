// SPDX-License-Identifier: MIT OR Apache-2.0
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
//   if (auto m = r.mapping()) use(m->pa);           // std::optional<Mapping>
//   else if (auto f = r.page_fault()) log(f->error_code, f->level);
#pragma once

#include <cstdint>
#include <optional>

#include "access.hpp"
#include "context.hpp"
#include "memory.hpp"
#include "rights.hpp"
#include "walk.hpp"

namespace pagewalk {

namespace detail {
struct FullResultSink;
}

/// The outcome of one translation: see the file comment. The entries the walk read are in `chain()`,
/// whatever the outcome.
///
/// The result is compact — the chain of entry values plus three words — because translate() is on hot
/// paths, and storing a wide result cost more than the walk's checks. What can be derived from the leaf
/// (global, dirty, protection key, memory type, the A bits) is derived by the accessors.
class [[nodiscard]] TranslateResult {
public:
    enum class Kind : std::uint8_t { mapping, page_fault, general_protection, memory_error };

    constexpr Kind kind() const { return static_cast<Kind>(field(kind_shift)); }
    constexpr bool ok() const { return kind() == Kind::mapping; }
    /// The paging-structure entries read, top level first (for a #GP on a non-canonical address: none). It
    /// lives in the result, so it cannot be taken from a temporary: keep the result in a variable first.
    constexpr const EntryChain& chain() const& { return chain_; }
    const EntryChain& chain() const&& = delete;

    /// Each accessor is empty unless the result is of that kind. They decode the result, and are inlined so
    /// that what the caller does not read is not decoded.
    [[gnu::always_inline]] constexpr std::optional<Mapping> mapping() const {
        if (kind() != Kind::mapping) return std::nullopt;
        Mapping m{};
        const unsigned rights = field(rights_shift);
        const unsigned flags = field(flags_shift);
        m.va = chain_.va();
        m.pa = value_;
        m.page_size = std::uint64_t{1} << field(page_shift_shift);
        m.level = static_cast<std::uint8_t>(field(level_shift));
        m.writable = (rights & detail::rights_writable) != 0;
        m.user = (rights & detail::rights_user) != 0;
        m.executable = (rights & detail::rights_executable) != 0;
        if (chain_.empty()) return m;  // paging disabled: WB (PAT entry 0 as reset), no entries to set bits in
        const std::uint64_t leaf = chain_.value(chain_.size() - 1);
        m.global = (leaf & entry_bit::global) != 0;
        // SDM §4.6.2: bits 62:59 of the leaf are its protection key when CR4.PKE = 1.
        m.pkey = (flags & flag_pke) != 0 ? static_cast<std::uint8_t>(entry_bit::protection_key::get(leaf)) : 0;
        m.memory_type = leaf_memory_type(leaf, m.level, (flags & flag_pat) != 0, pat_msr_);
        // SDM §4.8: the access sets A in every entry it used and, for a write, D in the leaf.
        m.sets_accessed = (flags & flag_all_accessed) != 0 ? 0 : chain_.accessed_clear(chain_.size());
        m.sets_dirty = (flags & flag_write) != 0 && (leaf & entry_bit::dirty) == 0;
        return m;
    }
    [[gnu::always_inline]] constexpr std::optional<PageFault> page_fault() const {
        if (kind() != Kind::page_fault) return std::nullopt;
        PageFault f{};
        f.va = chain_.va();
        f.error_code = static_cast<std::uint32_t>(header_ >> error_code_shift);
        f.level = static_cast<std::uint8_t>(field(level_shift));
        f.causes = static_cast<std::uint16_t>(field(causes_shift));
        f.reserved_bits = value_;
        // SDM §4.8: A may be set in the entries used before the walk stopped; a not-present or reserved-bit
        // entry is not used.
        const bool last_unused = (f.causes & (fault_cause::not_present | fault_cause::reserved_bit)) != 0;
        f.may_set_accessed = chain_.accessed_clear(chain_.size() - (last_unused && !chain_.empty() ? 1u : 0u));
        return f;
    }
    [[gnu::always_inline]] constexpr std::optional<GeneralProtection> general_protection() const {
        if (kind() != Kind::general_protection) return std::nullopt;
        const bool pdpte = field(level_shift) == 3;
        return GeneralProtection{
            pdpte ? GeneralProtection::Cause::pdpte_reserved : GeneralProtection::Cause::non_canonical, chain_.va(),
            static_cast<std::uint8_t>(field(rights_shift)), value_};
    }
    [[gnu::always_inline]] constexpr std::optional<MemoryError> memory_error() const {
        if (kind() != Kind::memory_error) return std::nullopt;
        return MemoryError{value_, static_cast<std::uint8_t>(field(level_shift)), chain_.va()};
    }

    /// For a mapping, the physical address (as mapping()->pa, without decoding the rest); otherwise 0.
    constexpr std::uint64_t pa() const { return ok() ? value_ : 0; }

    /// The exception vector the access raises: 14 (#PF), 13 (#GP), or -1 (none, or the model could not tell).
    constexpr int vector() const {
        return kind() == Kind::page_fault           ? pagewalk::vector::page_fault
               : kind() == Kind::general_protection ? pagewalk::vector::general_protection
                                                    : -1;
    }

    // Flags of a mapping, for decoding the leaf.
    static constexpr unsigned flag_pke = 1;           // CR4.PKE = 1
    static constexpr unsigned flag_pat = 2;           // the CPU has PAT
    static constexpr unsigned flag_write = 4;         // the access is a write
    static constexpr unsigned flag_all_accessed = 8;  // A was already set in every entry used

private:
    // Built by translate() only: the walk fills the chain in place, then one setter records the outcome in
    // the header word (and value_, and for a mapping the PAT MSR). Nothing is cleared first.
    template <TableMemory M>
    friend constexpr TranslateResult translate(const Context&, M&, std::uint64_t, const Access&);
    friend struct detail::FullResultSink;
    constexpr TranslateResult() : chain_(EntryChain::Unstarted{}) {
        if (__builtin_is_constant_evaluated()) header_ = value_ = pat_msr_ = 0;
    }
    constexpr EntryChain& chain_mut() { return chain_; }
    constexpr void set_mapping(std::uint64_t pa, unsigned level, unsigned page_shift, unsigned rights, unsigned flags,
                               std::uint64_t pat_msr) {
        header_ = static_cast<std::uint64_t>(Kind::mapping) | (std::uint64_t{level} << level_shift) |
                  (std::uint64_t{page_shift} << page_shift_shift) | (std::uint64_t{rights} << rights_shift) |
                  (std::uint64_t{flags} << flags_shift);
        value_ = pa;
        pat_msr_ = pat_msr;
    }
    constexpr void set_page_fault(std::uint32_t error_code, unsigned level, std::uint16_t causes,
                                  std::uint64_t reserved_bits) {
        static_assert(fault_cause::pkey <= 0xff, "causes fit a byte");
        header_ = static_cast<std::uint64_t>(Kind::page_fault) | (std::uint64_t{level} << level_shift) |
                  (std::uint64_t{causes & 0xffu} << causes_shift) | (std::uint64_t{error_code} << error_code_shift);
        value_ = reserved_bits;
    }
    constexpr void set_general_protection(bool pdpte, unsigned pdpte_index, std::uint64_t reserved_bits) {
        header_ = static_cast<std::uint64_t>(Kind::general_protection) |
                  (std::uint64_t{pdpte ? 3u : 0u} << level_shift) | (std::uint64_t{pdpte_index & 3u} << rights_shift);
        value_ = reserved_bits;
    }
    constexpr void set_memory_error(std::uint64_t entry_pa, unsigned level) {
        header_ = static_cast<std::uint64_t>(Kind::memory_error) | (std::uint64_t{level} << level_shift);
        value_ = entry_pa;
    }

    // The header word: the kind, the level (the leaf's, or where the walk stopped; 3 for a PDPTE #GP),
    // then by kind — mapping: log2 of the page size, rights, flags; #PF: causes and error code; #GP: the
    // PDPTE index in the rights byte.
    static constexpr unsigned kind_shift = 0, level_shift = 8, page_shift_shift = 16, rights_shift = 24,
                              flags_shift = 32, causes_shift = 16, error_code_shift = 32;
    constexpr unsigned field(unsigned shift) const { return static_cast<unsigned>(header_ >> shift) & 0xffu; }

    EntryChain chain_;
    std::uint64_t header_;
    std::uint64_t value_;    // mapping: PA; memory error: the entry's PA; #PF, #GP: reserved bits found
    std::uint64_t pat_msr_;  // mapping: IA32_PAT, to decode the memory type
};

/// translate()'s little sibling for bulk work (an inspector listing millions of addresses, a hypervisor
/// resolving guest addresses): the same walk and the same checks, but only the outcome — physical address
/// and rights, or the exception — in 16 bytes, without the entry chain.
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
        return kind == TranslateResult::Kind::page_fault           ? pagewalk::vector::page_fault
               : kind == TranslateResult::Kind::general_protection ? pagewalk::vector::general_protection
                                                                   : -1;
    }
};

namespace detail {
/// Receives a walk's outcome into a TranslateResult, the chain included.
struct FullResultSink {
    static constexpr bool record_chain = true;
    TranslateResult& result;
    const Context& ctx;
    const Access& access;

    constexpr EntryChain* chain() { return &result.chain_; }
    constexpr void mapping(std::uint64_t pa, unsigned level, unsigned page_shift, std::uint8_t rights,
                           bool all_accessed) {
        const unsigned flags = (ctx.pke() ? TranslateResult::flag_pke : 0u) |
                               (ctx.cpu().pat ? TranslateResult::flag_pat : 0u) |
                               (access.is_write() ? TranslateResult::flag_write : 0u) |
                               (all_accessed ? TranslateResult::flag_all_accessed : 0u);
        result.set_mapping(pa, level, page_shift, rights, flags, ctx.registers().pat);
    }
    constexpr void page_fault(std::uint32_t error_code, unsigned level, std::uint16_t causes,
                              std::uint64_t reserved_bits) {
        result.set_page_fault(error_code, level, causes, reserved_bits);
    }
    constexpr void general_protection(bool pdpte, unsigned index, std::uint64_t reserved_bits) {
        result.set_general_protection(pdpte, index, reserved_bits);
    }
    constexpr void memory_error(std::uint64_t entry_pa, unsigned level) { result.set_memory_error(entry_pa, level); }
};

/// Receives a walk's outcome into a CompactTranslation.
struct CompactSink {
    static constexpr bool record_chain = false;
    CompactTranslation& c;

    constexpr EntryChain* chain() { return nullptr; }
    constexpr void mapping(std::uint64_t pa, unsigned level, unsigned page_shift, std::uint8_t rights, bool) {
        set(TranslateResult::Kind::mapping, level, page_shift, rights, 0, pa);
    }
    constexpr void page_fault(std::uint32_t error_code, unsigned level, std::uint16_t, std::uint64_t) {
        set(TranslateResult::Kind::page_fault, level, 0, 0, error_code, 0);
    }
    constexpr void general_protection(bool pdpte, unsigned, std::uint64_t) {
        set(TranslateResult::Kind::general_protection, pdpte ? 3 : 0, 0, 0, 0, 0);
    }
    constexpr void memory_error(std::uint64_t entry_pa, unsigned level) {
        set(TranslateResult::Kind::memory_error, level, 0, 0, 0, entry_pa);
    }
    constexpr void set(TranslateResult::Kind kind, unsigned level, unsigned page_shift, unsigned rights,
                       std::uint32_t error_code, std::uint64_t value) {
        c.kind = kind;
        c.level = static_cast<std::uint8_t>(level);
        c.page_shift = static_cast<std::uint8_t>(page_shift);
        c.rights = static_cast<std::uint8_t>(rights);
        c.error_code = error_code;
        c.value = value;
    }
};
}  // namespace detail

/// Translates `va` for `access` as the CPU in `ctx` would, reading the paging structures from `memory`.
/// In 32-bit and PAE paging the linear address is 32 bits wide: higher bits are dropped, as the CPU's
/// address arithmetic wraps.
template <TableMemory M>
constexpr TranslateResult translate(const Context& ctx, M& memory, std::uint64_t va, const Access& access) {
    TranslateResult result;
    if (ctx.mode() == PagingMode::disabled) {
        // CR0.PG = 0: the linear address is the physical address, and paging checks nothing (SDM §4.1.1).
        result.chain_mut().start(0, va);
        result.chain_mut().finish(PagingMode::disabled, ctx.cpu().maxphyaddr, 0);
        result.set_mapping(va & 0xffff'ffffu, 0, 12,
                           detail::rights_writable | detail::rights_user | detail::rights_executable, 0,
                           6 /* WB in PAT entry 0, as after reset */);
        return result;
    }
    detail::FullResultSink sink{result, ctx, access};
    detail::dispatch_mode(
        ctx.mode(), [&](auto mode) __attribute__((always_inline)) {
            detail::walk<decltype(mode)::value>(ctx, memory, va, access, sink);
        });
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
    detail::CompactSink sink{c};
    detail::dispatch_mode(
        ctx.mode(), [&](auto mode) __attribute__((always_inline)) {
            detail::walk<decltype(mode)::value>(ctx, memory, va, access, sink);
        });
    return c;
}

}  // namespace pagewalk
