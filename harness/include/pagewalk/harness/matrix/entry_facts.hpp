// SPDX-License-Identifier: MIT OR Apache-2.0
// What the access matrix needs to know about each paging-structure entry, read off the walker's entry types through
// LevelTraits (walker/include/pagewalk/mode.hpp, entry.hpp): which levels can be leaves and what it takes, which
// flags an entry has, and which reserved-bit fields it declares. No bit position is written here.
#pragma once

#include <cstdint>
#include <pagewalk/entry.hpp>
#include <pagewalk/mode.hpp>
#include <type_traits>

namespace pagewalk::harness::matrix {

/// The flags the matrix varies, in the order they fill an entry's flags digit (bit 0 of the digit is P, …).
/// memory_type stands for PWT, PCD and PAT together (one value: all clear or all set), in a leaf only.
enum class FlagSlot : std::uint8_t { present, writable, user, accessed, execute_disable, dirty, global, memory_type };
inline constexpr unsigned kFlagSlots = 8;

/// What the matrix uses of one entry format (the table form or the leaf form of one level).
struct EntryFacts {
    bool exists = false;
    std::uint64_t slot_mask[kFlagSlots] = {};  // each slot's raw bits; 0 when the format does not have it
    bool has_protection_key = false;           // bits 62:59 are a key (leaf) or ignored bits that can hold one
    // Reserved-bit fields the format declares (PAGEWALK_RESERVED in entry.hpp), 0 when absent.
    std::uint64_t alignment = 0;                                    // a huge page's address bits below its size
    std::uint64_t pse_reserved21 = 0;                               // bit 21 of a 32-bit 4 MiB PDE
    std::uint64_t amd_reserved = 0;                                 // bit 8 of a PML4E/PML5E (reserved on AMD)
    std::uint64_t pdpte_low = 0, pdpte_middle = 0, pdpte_high = 0;  // PAE PDPTE
    bool has_page_size = false;      // a PS bit (bit 7) in a table form: set, it makes a leaf or is reserved
    std::uint64_t address_high = 0;  // PSE-36: physical-address bits 39:32 held in bits 20:13

    constexpr unsigned slot_count() const {
        unsigned n = 0;
        for (std::uint64_t m : slot_mask) n += m != 0 ? 1u : 0u;
        return n;
    }
};

namespace detail {

template <class E>
constexpr EntryFacts facts_of(bool leaf) {
    EntryFacts f{};
    f.exists = true;
    if constexpr (requires { E::present_field::mask; }) f.slot_mask[0] = E::present_field::mask;
    if constexpr (requires { E::writable_field::mask; }) f.slot_mask[1] = E::writable_field::mask;
    if constexpr (requires { E::user_field::mask; }) f.slot_mask[2] = E::user_field::mask;
    if constexpr (requires { E::accessed_field::mask; }) f.slot_mask[3] = E::accessed_field::mask;
    if constexpr (requires { E::execute_disable_field::mask; }) f.slot_mask[4] = E::execute_disable_field::mask;
    if constexpr (requires { E::dirty_field::mask; }) f.slot_mask[5] = E::dirty_field::mask;
    if constexpr (requires { E::global_field::mask; }) f.slot_mask[6] = E::global_field::mask;
    // PWT/PCD of a table entry select the memory type of the next table's fetch only: not varied (see README).
    if constexpr (requires { E::pat_field::mask; }) {
        if (leaf) f.slot_mask[7] = E::write_through_field::mask | E::cache_disable_field::mask | E::pat_field::mask;
    }
    if constexpr (requires { E::protection_key_field::mask; }) f.has_protection_key = true;
    // The ignored high bits of a 4/5-level table entry hold a key the walk must ignore.
    if constexpr (requires { E::available_high_field::mask; }) {
        if ((E::available_high_field::mask & entry_bit::protection_key::mask) == entry_bit::protection_key::mask)
            f.has_protection_key = true;
    }
    if constexpr (requires { E::alignment_field::mask; }) f.alignment = E::alignment_field::mask;
    if constexpr (requires { E::reserved21_field::mask; }) f.pse_reserved21 = E::reserved21_field::mask;
    if constexpr (requires { E::amd_reserved_field::mask; }) f.amd_reserved = E::amd_reserved_field::mask;
    if constexpr (requires { E::reserved_low_field::mask; }) f.pdpte_low = E::reserved_low_field::mask;
    if constexpr (requires { E::reserved_middle_field::mask; }) f.pdpte_middle = E::reserved_middle_field::mask;
    if constexpr (requires { E::reserved_high_field::mask; }) f.pdpte_high = E::reserved_high_field::mask;
    if constexpr (requires { E::page_size_field::mask; }) f.has_page_size = !leaf;
    if constexpr (requires { E::address_high_field::mask; }) f.address_high = E::address_high_field::mask;
    return f;
}

template <class Mode, unsigned Level>
constexpr EntryFacts level_facts(bool leaf) {
    using T = LevelTraits<Mode, Level>;
    if (!leaf) return facts_of<typename T::Entry>(false);
    if constexpr (std::is_void_v<typename T::Leaf>) {
        return EntryFacts{};
    } else {
        return facts_of<typename T::Leaf>(true);
    }
}

template <class Mode, unsigned Level>
constexpr LeafFeature level_leaf_needs() {
    return LevelTraits<Mode, Level>::leaf_needs;
}

template <class Mode, class Fn>
constexpr auto at_level(unsigned level, Fn&& fn) {
    switch (level) {
        case 1:
            return fn.template operator()<Mode, 1>();
        case 2:
            return fn.template operator()<Mode, 2>();
        case 3:
            if constexpr (Mode::levels >= 3) return fn.template operator()<Mode, 3>();
            break;
        case 4:
            if constexpr (Mode::levels >= 4) return fn.template operator()<Mode, 4>();
            break;
        case 5:
            if constexpr (Mode::levels >= 5) return fn.template operator()<Mode, 5>();
            break;
    }
    return fn.template operator()<Mode, 0>();
}

template <class Fn>
constexpr auto in_mode(PagingMode mode, unsigned level, Fn&& fn) {
    switch (mode) {
        case PagingMode::legacy32:
            return at_level<Legacy32>(level, fn);
        case PagingMode::pae:
            return at_level<Pae>(level, fn);
        case PagingMode::long4:
            return at_level<Long4>(level, fn);
        case PagingMode::disabled:
        case PagingMode::long5:
            break;
    }
    return at_level<Long5>(level, fn);
}

}  // namespace detail

/// The facts of the entry of `level` in `mode`, as a table entry (`leaf` false) or as the leaf; `exists` is false
/// where the mode has no such level or the level cannot map a page.
namespace detail {
constexpr EntryFacts compute_entry_facts(PagingMode mode, unsigned level, bool leaf) {
    return in_mode(mode, level, [leaf]<class Mode, unsigned Level>() {
        if constexpr (Level == 0) {
            return EntryFacts{};
        } else {
            return level_facts<Mode, Level>(leaf);
        }
    });
}

/// Every mode's facts, computed once (a loop over combinations asks for them per entry).
struct EntryFactsTable {
    static constexpr unsigned kModes = static_cast<unsigned>(PagingMode::long5) + 1, kLevels = 6;
    EntryFacts facts[kModes][kLevels][2] = {};
};
inline constexpr EntryFactsTable kEntryFacts = [] {
    EntryFactsTable t{};
    for (unsigned m = 0; m < EntryFactsTable::kModes; ++m)
        for (unsigned l = 0; l < EntryFactsTable::kLevels; ++l)
            for (unsigned leaf = 0; leaf < 2; ++leaf)
                t.facts[m][l][leaf] = compute_entry_facts(static_cast<PagingMode>(m), l, leaf != 0);
    return t;
}();
}  // namespace detail

constexpr const EntryFacts& entry_facts(PagingMode mode, unsigned level, bool leaf) {
    const unsigned l = level < detail::EntryFactsTable::kLevels ? level : 0;  // no such level: no facts
    return detail::kEntryFacts.facts[static_cast<unsigned>(mode)][l][leaf ? 1 : 0];
}

/// Which CPU feature lets `level` of `mode` map a page (LeafFeature::never where it cannot).
constexpr LeafFeature leaf_needs(PagingMode mode, unsigned level) {
    return detail::in_mode(mode, level, []<class Mode, unsigned Level>() {
        if constexpr (Level == 0) {
            return LeafFeature::never;
        } else {
            return detail::level_leaf_needs<Mode, Level>();
        }
    });
}

/// The mode's entries have an XD bit (PAE, 4/5-level: the PTE declares execute_disable).
constexpr bool has_execute_disable(PagingMode mode) {
    return entry_facts(mode, 1, true).slot_mask[static_cast<unsigned>(FlagSlot::execute_disable)] != 0;
}
/// The mode has protection keys (4/5-level: the PTE declares protection_key).
constexpr bool has_protection_keys(PagingMode mode) {
    return entry_facts(mode, 1, true).has_protection_key;
}
/// A level of the mode maps a page only with CR4.PSE (32-bit paging's 4 MiB PDE).
constexpr bool has_pse_leaf(PagingMode mode) {
    for (unsigned l = 1; l <= shape(mode).levels; ++l)
        if (leaf_needs(mode, l) == LeafFeature::pse) return true;
    return false;
}

}  // namespace pagewalk::harness::matrix
