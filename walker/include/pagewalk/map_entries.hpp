// SPDX-License-Identifier: MIT OR Apache-2.0
// Encoding entries for the mapper: leaves with given rights and attributes, table entries, and the leaves a huge
// page splits into. All formats follow SDM Vol. 3A §4.3 (32-bit), §4.4.2 (PAE) and §4.5.4 (4/5-level).
#pragma once

#include <cstdint>

#include "context.hpp"
#include "entry.hpp"

namespace pagewalk {

/// Rights a mapping asks for. Executable is the default: clearing it sets XD (needs EFER.NXE in the context).
struct MapRights {
    bool writable = false;
    bool user = false;
    bool executable = true;

    static constexpr MapRights read_only() { return {false, false, true}; }
    static constexpr MapRights rw() { return {true, false, true}; }
    static constexpr MapRights rw_nx() { return {true, false, false}; }
    static constexpr MapRights user_rw() { return {true, true, true}; }
    static constexpr MapRights user_ro() { return {false, true, true}; }
    friend constexpr bool operator==(const MapRights&, const MapRights&) = default;
};

/// Which page sizes the mapper may use (it picks the largest that the alignment of va and pa allows).
enum PageSizeBits : std::uint8_t {
    page_4k = 1,
    page_huge = 2,  // 2 MiB (PAE, 4/5-level) or 4 MiB (32-bit paging with CR4.PSE)
    page_1g = 4,    // 4/5-level with CPUID 1-GByte-page support
    any_page = 7,
};

/// Attributes of a mapping besides its rights.
struct MapOptions {
    std::uint8_t sizes = any_page;
    bool global = false;
    std::uint8_t pat_index = 0;  // PAT << 2 | PCD << 1 | PWT: the IA32_PAT entry (SDM §13.12.3)
    std::uint8_t pkey = 0;       // protection key (4/5-level only)
    bool replace = false;        // overwrite existing mappings instead of failing with already_mapped
};

namespace detail {

/// Encodes leaves and tables for one context.
class EntryCodec {
public:
    explicit constexpr EntryCodec(const Context& ctx) : ctx_(&ctx) {}

    /// A leaf at `level` mapping `pa` (level 1: 4 KiB; above: PS = 1).
    constexpr std::uint64_t leaf(unsigned level, std::uint64_t pa, const MapRights& r, const MapOptions& o) const {
        std::uint64_t e = entry_bit::present | (r.writable ? entry_bit::writable : 0) | (r.user ? entry_bit::user : 0) |
                          (o.global ? entry_bit::global : 0);
        if (!r.executable) e |= entry_bit::execute_disable;
        if (o.pat_index & 1u) e |= entry_bit::write_through;
        if (o.pat_index & 2u) e |= entry_bit::cache_disable;
        if (o.pat_index & 4u) e |= level == 1 ? entry_bit::pat_4k : entry_bit::pat_huge;
        if (level > 1) e |= entry_bit::page_size;
        e |= entry_bit::protection_key::place(o.pkey);
        return e | encode_address(level, pa);
    }

    /// An entry of `level` referencing a table at `pa`: permissive rights (R/W = 1, U/S as asked, XD = 0) so that
    /// the leaf alone decides. A PAE PDPTE has only P (its R/W and U/S bits are reserved).
    constexpr std::uint64_t table(unsigned level, std::uint64_t pa, bool user) const {
        if (ctx_->mode() == PagingMode::pae && level == 3) return entry_bit::present | pa;
        return entry_bit::present | entry_bit::writable | (user ? entry_bit::user : 0) | pa;
    }

    constexpr bool is_leaf(unsigned level, std::uint64_t e) const { return (e & ctx_->rule(level).leaf_test) != 0; }
    constexpr std::uint64_t table_address(unsigned level, std::uint64_t e) const {
        return e & ctx_->rule(level).table_address;
    }
    /// Physical address of the page a leaf maps.
    constexpr std::uint64_t page_address(unsigned level, std::uint64_t e) const {
        if (ctx_->mode() == PagingMode::legacy32 && level == 2) return Pde4M{static_cast<std::uint32_t>(e)}.address();
        return e & ctx_->rule(level).leaf_address;
    }
    constexpr std::uint64_t encode_address(unsigned level, std::uint64_t pa) const {
        if (ctx_->mode() == PagingMode::legacy32 && level == 2) return Pde4M{}.set_address(pa).raw();
        return pa;
    }

    /// Entry `i` of the table a huge leaf at `level` splits into: same rights and attributes, the next size down.
    constexpr std::uint64_t split_leaf(unsigned level, std::uint64_t huge, unsigned i) const {
        const unsigned child = level - 1;
        const std::uint64_t span = ctx_->rule(child).shape.span();
        const std::uint64_t pa = page_address(level, huge) + std::uint64_t{i} * span;
        // Flags that keep their place: P, R/W, U/S, PWT, PCD, A, D, G, the available bits, PK (in 62:52), XD.
        const std::uint64_t keep = entry_bit::present | entry_bit::writable | entry_bit::user |
                                   entry_bit::write_through | entry_bit::cache_disable | entry_bit::accessed |
                                   entry_bit::dirty | entry_bit::global | entry_bit::available |
                                   entry_bit::available_high | entry_bit::execute_disable;
        std::uint64_t e = (huge & keep) | encode_address(child, pa);
        const bool pat = (huge & entry_bit::pat_huge) != 0;
        if (child == 1) {
            e |= pat ? entry_bit::pat_4k : 0;
        } else {
            e |= entry_bit::page_size | (pat ? entry_bit::pat_huge : 0);
        }
        return e;
    }

    /// A leaf with new rights, every other bit kept.
    constexpr std::uint64_t with_rights(std::uint64_t e, const MapRights& r) const {
        e &= ~(entry_bit::writable | entry_bit::user | entry_bit::execute_disable);
        return e | (r.writable ? entry_bit::writable : 0) | (r.user ? entry_bit::user : 0) |
               (r.executable ? 0 : entry_bit::execute_disable);
    }

private:
    const Context* ctx_;
};

}  // namespace detail
}  // namespace pagewalk
