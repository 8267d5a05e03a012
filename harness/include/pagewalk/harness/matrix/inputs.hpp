// SPDX-License-Identifier: MIT OR Apache-2.0
// A combination as the walker's inputs: the control registers and their Context, the Access, and the value and
// physical address of each entry of the walk — what translate() needs to predict the outcome, and what a guest writes
// before making the access. Which bit a reserved class sets is taken from the Context's reserved masks for the CPU,
// so a class that reserves no bit on that CPU is reported, never guessed.
#pragma once

#include <cstdint>
#include <pagewalk/access.hpp>
#include <pagewalk/context.hpp>
#include <pagewalk/cpu.hpp>
#include <pagewalk/entry.hpp>

#include "../program.hpp"
#include "combination.hpp"
#include "entry_facts.hpp"

namespace pagewalk::harness::matrix {

/// Where the walk's tables and page live: table_pa[L] is the level-L table (table_pa[levels] the root; for PAE the
/// 32-byte-aligned PDPT), page_pa the page (aligned to the largest page size), va the address accessed.
struct Layout {
    std::uint64_t table_pa[6] = {};
    std::uint64_t page_pa = 0;
    std::uint64_t va = 0;
};

/// Whether a combination can be made on a CPU.
enum class Applicability : std::uint8_t {
    applies,
    no_1g_pages,         // a 1 GiB leaf on a CPU without 1 GiB pages
    class_not_reserved,  // the reserved class sets no bit on this CPU (MAXPHYADDR 52, not AMD, 1 GiB pages present)
    context_error,       // the control state needs a feature the CPU lacks (SMEP, SMAP, PKU, NX, PSE, LA57)
};

constexpr const char* to_string(Applicability a) {
    switch (a) {
        case Applicability::applies:
            return "applies";
        case Applicability::no_1g_pages:
            return "the CPU has no 1 GiB pages";
        case Applicability::class_not_reserved:
            return "the reserved class reserves no bit on this CPU";
        case Applicability::context_error:
            return "the control state needs a feature the CPU lacks";
    }
    return "?";
}

/// A combination's access and entries under a Context the caller keeps (a loop over one control state).
struct WalkEntries {
    Applicability status = Applicability::applies;
    Access access{};
    std::uint64_t entry[6] = {};      // by level, the walk's levels only
    std::uint64_t entry_pa[6] = {};   // where each entry lives
    std::uint64_t reserved_bits = 0;  // every reserved bit set, over the entries
};

/// The same with its Context.
struct WalkerInputs : WalkEntries {
    Context context{};
};

/// The CPU features a combination needs (harness::feature bits): the paging mode's (LA57, PSE), a 1 GiB leaf's, and
/// each control bit's (SMEP, SMAP, PKU, NX). A CPU without one of them cannot run it (Applicability).
constexpr std::uint32_t needed_features(const Combination& c) {
    std::uint32_t f = 0;
    if (c.mode == PagingMode::long5) f |= feature::la57;
    if (leaf_needs(c.mode, c.leaf_level) == LeafFeature::page1gb) f |= feature::page1gb;
    if (c.controls.pse) f |= feature::pse;
    if (c.controls.smep) f |= feature::smep;
    if (c.controls.smap) f |= feature::smap;
    if (c.controls.pke) f |= feature::pku;
    if (c.controls.nxe) f |= feature::nx;
    return f;
}

/// PKRU of a control state: its AD/WD for key kLeafKey, everything denied for the decoy key held by table entries (so
/// that a walk taking a table entry's key faults), every other key — key 0 included — allowed. One value per block
/// (the guest writes it once per control state): a leaf with key kLeafKey gets the control state's AD/WD, a leaf with
/// key 0 is never restricted, so the leaf-key digit tells whether the CPU takes the leaf's key.
constexpr std::uint32_t pkru_value(const Controls& k) {
    const std::uint32_t leaf = (k.pkru_ad ? 1u : 0u) | (k.pkru_wd ? 2u : 0u);
    return (leaf << (2u * kLeafKey)) | (3u << (2u * kDecoyKey));
}
constexpr std::uint32_t pkru_value(const Combination& c) {
    return pkru_value(c.controls);
}

/// The control registers of a combination, with CR3 = `root`.
constexpr ControlRegisters control_registers(const Combination& c, std::uint64_t root) {
    ControlRegisters r{};
    r.cr3 = root;
    r.cr0 = cr0::pe | cr0::pg | (c.controls.wp ? cr0::wp : 0);
    const bool long_mode = c.mode == PagingMode::long4 || c.mode == PagingMode::long5;
    if (c.mode != PagingMode::legacy32) r.cr4 |= cr4::pae;
    if (c.mode == PagingMode::long5) r.cr4 |= cr4::la57;
    if (c.controls.pse) r.cr4 |= cr4::pse;
    if (c.controls.smep) r.cr4 |= cr4::smep;
    if (c.controls.smap) r.cr4 |= cr4::smap;
    if (c.controls.pke) r.cr4 |= cr4::pke;
    if (long_mode) r.efer |= efer::lme | efer::lma;
    if (c.controls.nxe) r.efer |= efer::nxe;
    return r;
}

namespace detail {

constexpr std::uint64_t lowest_bit(std::uint64_t m) {
    return m & (~m + 1);
}
constexpr std::uint64_t highest_bit(std::uint64_t m) {
    std::uint64_t h = 0;
    for (; m != 0; m &= m - 1) h = m;
    return lowest_bit(h);
}

/// The bit class `cls` sets in the entry of `level` under `ctx`: among the bits the class names, the lowest (or for
/// alignment_high the highest) that the Context reserves there; 0 when it reserves none of them.
constexpr std::uint64_t reserved_bit(const Context& ctx, ReservedClass cls, unsigned level, bool leaf) {
    const EntryFacts& f = entry_facts(ctx.mode(), level, leaf);
    const LevelRule& rule = ctx.rule(level);
    const std::uint64_t reserved = leaf ? rule.reserved_leaf : rule.reserved_table;
    std::uint64_t candidates = 0;
    switch (cls) {
        case ReservedClass::none:
            return 0;
        case ReservedClass::physical_address:  // MAXPHYADDR >= 32: bits 62:32 of a 64-bit entry; PSE-36's bits 20:13
            candidates = ctx.shape().entry_bytes == 8 ? bits::mask(62, 32) : f.address_high;
            break;
        case ReservedClass::execute_disable:
            candidates = entry_bit::execute_disable;
            break;
        case ReservedClass::top_page_size:
        case ReservedClass::page_size_no_1g:
            candidates = entry_bit::page_size;
            break;
        case ReservedClass::amd_bit8:
            candidates = f.amd_reserved;
            break;
        case ReservedClass::alignment_low:
            candidates = f.alignment;
            break;
        case ReservedClass::alignment_high:
            return highest_bit(f.alignment & reserved);
        case ReservedClass::pse_bit21:
            candidates = f.pse_reserved21;
            break;
        case ReservedClass::pdpte_low:
            candidates = f.pdpte_low;
            break;
        case ReservedClass::pdpte_middle:
            candidates = f.pdpte_middle;
            break;
        case ReservedClass::pdpte_high:
            candidates = f.pdpte_high;
            break;
    }
    return lowest_bit(candidates & reserved);
}

}  // namespace detail

/// A combination's entries without their addresses, and whether it applies: what walk_entries() places. They read
/// no access digit, so every combination of an access group has the same (a loop over a block computes them once per
/// group).
struct EntryBits {
    Applicability status = Applicability::applies;
    std::uint64_t bits[6] = {};       // by level, the walk's levels only
    std::uint64_t reserved_bits = 0;  // every reserved bit set, over the entries
};

/// The entry bits of `c` under its block's Context `context` on `cpu`.
constexpr EntryBits entry_bits(const Combination& c, const Context& context, const CpuFeatures& cpu) {
    EntryBits out;
    const ModeShape s = shape(c.mode);
    if (!context) out.status = Applicability::context_error;
    if (leaf_needs(c.mode, c.leaf_level) == LeafFeature::page1gb && !cpu.page1gb)
        out.status = Applicability::no_1g_pages;
    const bool keys = has_protection_keys(c.mode);
    for (unsigned l = s.levels; l >= c.leaf_level && l >= 1; --l) {
        const bool leaf = l == c.leaf_level;
        std::uint64_t e = c.flags[l];
        if (leaf) {
            if (l > 1) e |= entry_bit::page_size;
            if (keys) e |= entry_bit::protection_key::place(c.leaf_key);
        } else if (keys && entry_facts(c.mode, l, false).has_protection_key) {
            e |= entry_bit::protection_key::place(c.table_key);
        }
        for (const Placement& p : c.reserved) {
            if (p.cls == ReservedClass::none || p.level != l) continue;
            const std::uint64_t bit = detail::reserved_bit(context, p.cls, l, leaf);
            if (bit == 0 && out.status == Applicability::applies) out.status = Applicability::class_not_reserved;
            out.reserved_bits |= bit;
            e |= bit;
            if (!c.holder_present) e &= ~entry_bit::present;
        }
        out.bits[l] = e;
    }
    return out;
}

/// The walker's inputs for `c` from its entry bits `b` (entry_bits(c, ...)): each entry with the address of the next
/// table or of the page that `layout` places (addresses are page-aligned: they never hold P or another flag).
constexpr WalkEntries place_entries(const Combination& c, const EntryBits& b, const Layout& layout) {
    WalkEntries in;
    const ModeShape s = shape(c.mode);
    in.status = b.status;
    in.reserved_bits = b.reserved_bits;
    in.access = Access{c.access.type, c.access.cpl, c.access.ac, c.access.implicit, pkru_value(c)};
    for (unsigned l = s.levels; l >= c.leaf_level && l >= 1; --l) {
        std::uint64_t address = layout.table_pa[l - 1];
        if (l == c.leaf_level)
            address =
                c.mode == PagingMode::legacy32 && l == 2 ? Pde4M{}.set_address(layout.page_pa).raw() : layout.page_pa;
        const std::uint64_t e = b.bits[l] | address;
        in.entry[l] = s.entry_bytes == 4 ? static_cast<std::uint32_t>(e) : e;
        in.entry_pa[l] = layout.table_pa[l] + std::uint64_t{s.at(l).index(layout.va)} * s.entry_bytes;
    }
    return in;
}

/// The walker's inputs for `c` with its Context already made (the control registers of `c`'s block with CR3 = the
/// layout's root, on `cpu`): a loop over a block makes the Context once.
constexpr WalkEntries walk_entries(const Combination& c, const Context& context, const CpuFeatures& cpu,
                                   const Layout& layout) {
    return place_entries(c, entry_bits(c, context, cpu), layout);
}

/// walk_entries() with a copy of `context`.
constexpr WalkerInputs walker_inputs(const Combination& c, const Context& context, const CpuFeatures& cpu,
                                     const Layout& layout) {
    WalkerInputs in;
    static_cast<WalkEntries&>(in) = walk_entries(c, context, cpu, layout);
    in.context = context;
    return in;
}

/// The walker's inputs for `c` on a CPU with `cpu`, its tables and page placed by `layout`.
constexpr WalkerInputs walker_inputs(const Combination& c, const CpuFeatures& cpu, const Layout& layout) {
    const Context context = Context::from_registers(control_registers(c, layout.table_pa[shape(c.mode).levels]), cpu);
    return walker_inputs(c, context, cpu, layout);
}

}  // namespace pagewalk::harness::matrix
