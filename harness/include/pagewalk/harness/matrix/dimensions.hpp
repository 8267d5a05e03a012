// SPDX-License-Identifier: MIT OR Apache-2.0
// The dimensions of the access matrix per paging mode: the digits of its mixed-radix index, slowest first.
//
// index = control state × block size + offset in the block. The control state (CR0.WP, CR4.SMEP/SMAP/PKE, EFER.NXE,
// CR4.PSE, PKRU) is the slowest digit group, so a block — every combination of one control state — is one contiguous
// index range and the guest writes control registers once per block. A block is a run of segments, for each level
// that can map a page (4 KiB first): the rights segment (entry flags × keys × access, no reserved bit) and the
// reserved segment (reserved-bit cases × access, flags granting everything). Within a segment the access is the
// fastest-changing digit group.
#pragma once

#include <cstdint>
#include <pagewalk/mode.hpp>

#include "combination.hpp"
#include "entry_facts.hpp"

namespace pagewalk::harness::matrix {

/// The default space, or the full one: every table level's flags independent (default: one value shared by every
/// table entry of the walk) and every pair of reserved-bit placements (default: neighbours in the placement list).
enum class Space : std::uint8_t { standard, full };

constexpr const char* to_string(Space s) {
    return s == Space::full ? "full" : "default";
}

enum class Digit : std::uint8_t {
    wp,
    smep,
    smap,
    nxe,
    pse,
    pke,
    pkru_ad,
    pkru_wd,
    table_flags,  // the flags of table entries: of `level`, or (level 0) shared by every table entry of the walk
    leaf_flags,
    leaf_key,
    table_key,
    reserved_case,
    access_type,
    cpl,
    implicit,
    ac,
};

constexpr const char* to_string(Digit d) {
    constexpr const char* names[] = {"CR0.WP",   "CR4.SMEP", "CR4.SMAP",    "EFER.NXE",   "CR4.PSE",  "CR4.PKE",
                                     "PKRU.AD",  "PKRU.WD",  "table flags", "leaf flags", "leaf key", "table key",
                                     "reserved", "access",   "CPL",         "implicit",   "EFLAGS.AC"};
    return names[static_cast<unsigned>(d)];
}

struct Dimension {
    Digit digit = Digit::wp;
    std::uint8_t level = 0;
    std::uint32_t radix = 1;
};

/// The digits of one group, slowest first.
struct DigitList {
    static constexpr unsigned capacity = 16;
    Dimension dims[capacity] = {};
    unsigned count = 0;

    constexpr void push(Digit d, std::uint32_t radix, unsigned level = 0) {
        if (radix > 1) dims[count++] = {d, static_cast<std::uint8_t>(level), radix};
    }
    constexpr std::uint64_t size() const {
        std::uint64_t n = 1;
        for (unsigned i = 0; i < count; ++i) n *= dims[i].radix;
        return n;
    }
};

/// The control digits of `mode`. A control the mode does not have (EFER.NXE and XD in 32-bit paging, CR4.PSE
/// outside it, protection keys outside 4/5-level paging) is not a digit there.
constexpr DigitList control_digits(PagingMode mode) {
    DigitList d;
    d.push(Digit::wp, 2);
    d.push(Digit::smep, 2);
    d.push(Digit::smap, 2);
    d.push(Digit::nxe, has_execute_disable(mode) ? 2 : 1);
    d.push(Digit::pse, has_pse_leaf(mode) ? 2 : 1);
    const std::uint32_t keys = has_protection_keys(mode) ? 2 : 1;
    d.push(Digit::pke, keys);
    d.push(Digit::pkru_ad, keys);
    d.push(Digit::pkru_wd, keys);
    return d;
}

/// The levels that can map a page in `mode`, lowest first (4 KiB, then 2/4 MiB, then 1 GiB).
struct LeafLevels {
    std::uint8_t level[5] = {};
    unsigned count = 0;
};
constexpr LeafLevels leaf_levels(PagingMode mode) {
    LeafLevels out;
    for (unsigned l = 1; l <= shape(mode).levels; ++l)
        if (leaf_needs(mode, l) != LeafFeature::never) out.level[out.count++] = static_cast<std::uint8_t>(l);
    return out;
}

/// The flag slots present in any table entry above a leaf of `leaf_level` (the shared digit's slots).
constexpr EntryFacts shared_table_facts(PagingMode mode, unsigned leaf_level) {
    EntryFacts u{};
    for (unsigned l = shape(mode).levels; l > leaf_level; --l) {
        const EntryFacts f = entry_facts(mode, l, false);
        u.exists = true;
        for (unsigned s = 0; s < kFlagSlots; ++s) u.slot_mask[s] |= f.slot_mask[s];
    }
    return u;
}

/// The access digits end every segment (the fastest group): this many combinations differ only in the access.
inline constexpr std::uint32_t kAccessGroup = 3 * 2 * 2 * 2;

constexpr void push_access_digits(DigitList& d) {
    d.push(Digit::access_type, 3);
    d.push(Digit::cpl, 2);
    d.push(Digit::implicit, 2);
    d.push(Digit::ac, 2);
}

/// The digits of the rights segment of `leaf_level`, slowest first: table flags, leaf flags, keys, access.
constexpr DigitList rights_digits(PagingMode mode, Space space, unsigned leaf_level) {
    DigitList d;
    const unsigned top = shape(mode).levels;
    if (top > leaf_level) {
        if (space == Space::full) {
            for (unsigned l = top; l > leaf_level; --l)
                d.push(Digit::table_flags, 1u << entry_facts(mode, l, false).slot_count(), l);
        } else {
            d.push(Digit::table_flags, 1u << shared_table_facts(mode, leaf_level).slot_count(), 0);
        }
    }
    d.push(Digit::leaf_flags, 1u << entry_facts(mode, leaf_level, true).slot_count(), leaf_level);
    const bool keys = has_protection_keys(mode);
    d.push(Digit::leaf_key, keys ? 2 : 1);
    d.push(Digit::table_key, keys && top > leaf_level ? 2 : 1);
    push_access_digits(d);
    return d;
}

}  // namespace pagewalk::harness::matrix
