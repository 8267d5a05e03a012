// SPDX-License-Identifier: MIT OR Apache-2.0
// The reserved-bit cases of the matrix for one leaf level: where each reserved class can be placed in the walk, and
// the cases built from those placements — each one alone in a present and in a not-present entry, then pairs (both
// entries present): the default space takes the neighbours in the placement list (two classes of one entry, or the
// last placement of one level with the first of the next), the full space every pair.
#pragma once

#include <cstdint>
#include <pagewalk/mode.hpp>

#include "combination.hpp"
#include "dimensions.hpp"
#include "entry_facts.hpp"

namespace pagewalk::harness::matrix {

/// Whether a reserved bit of class `c` exists in the entry of `level` (as the leaf or as a table entry) in `mode`,
/// from the walker's entry declarations and the rules of context.hpp. Whether it is reserved on one CPU (MAXPHYADDR,
/// vendor, 1 GiB pages) and under one control state (EFER.NXE) is decided later.
constexpr bool placement_exists(PagingMode mode, unsigned level, bool leaf, ReservedClass c) {
    const EntryFacts f = entry_facts(mode, level, leaf);
    if (!f.exists) return false;
    switch (c) {
        case ReservedClass::none:
            return false;
        case ReservedClass::physical_address:  // 64-bit entries: MAXPHYADDR..51/62; 32-bit: PSE-36's bits 20:13
            return shape(mode).entry_bytes == 8 || f.address_high != 0;
        case ReservedClass::execute_disable:
            return f.slot_mask[static_cast<unsigned>(FlagSlot::execute_disable)] != 0;
        case ReservedClass::top_page_size:
            return !leaf && f.has_page_size && leaf_needs(mode, level) == LeafFeature::never;
        case ReservedClass::amd_bit8:
            return f.amd_reserved != 0;
        case ReservedClass::page_size_no_1g:
            return !leaf && leaf_needs(mode, level) == LeafFeature::page1gb;
        case ReservedClass::alignment_low:
        case ReservedClass::alignment_high:
            return f.alignment != 0;
        case ReservedClass::pse_bit21:
            return f.pse_reserved21 != 0;
        case ReservedClass::pdpte_low:
            return f.pdpte_low != 0;
        case ReservedClass::pdpte_middle:
            return f.pdpte_middle != 0;
        case ReservedClass::pdpte_high:
            return f.pdpte_high != 0;
    }
    return false;
}

/// The placements of a walk to a leaf of `leaf_level`: top level first, classes in declaration order.
struct Placements {
    static constexpr unsigned capacity = 24;
    Placement item[capacity] = {};
    unsigned count = 0;
};
constexpr Placements placements(PagingMode mode, unsigned leaf_level) {
    Placements p;
    for (unsigned l = shape(mode).levels; l >= leaf_level && l >= 1; --l) {
        for (unsigned c = 1; c < kReservedClasses; ++c) {
            const auto cls = static_cast<ReservedClass>(c);
            if (placement_exists(mode, l, l == leaf_level, cls) && p.count < Placements::capacity)
                p.item[p.count++] = {cls, static_cast<std::uint8_t>(l)};
        }
    }
    return p;
}

/// One reserved-bit case: one or two placements, and P of the entries holding them.
struct ReservedCase {
    Placement first{}, second{};
    bool present = true;
};

/// The cases of `leaf_level`: 2 × placements singles (present, then not present), then the pairs of `space`.
constexpr std::uint32_t reserved_case_count(PagingMode mode, Space space, unsigned leaf_level) {
    const unsigned n = placements(mode, leaf_level).count;
    const unsigned pairs = n < 2 ? 0 : (space == Space::full ? n * (n - 1) / 2 : n - 1);
    return 2 * n + pairs;
}

/// Case `k` (k < reserved_case_count) of the placements `p` of one leaf level.
constexpr ReservedCase reserved_case(const Placements& p, Space space, std::uint32_t k) {
    if (k < 2 * p.count) return {p.item[k / 2], Placement{}, k % 2 == 0};
    std::uint32_t pair = k - 2 * p.count;
    if (space != Space::full) return {p.item[pair], p.item[pair + 1], true};
    for (unsigned i = 0; i + 1 < p.count; ++i) {
        const unsigned after = p.count - 1 - i;  // pairs (i, j > i)
        if (pair < after) return {p.item[i], p.item[i + 1 + pair], true};
        pair -= after;
    }
    return {};
}

/// The digits of the reserved segment of `leaf_level`: the case, then the access. Empty (size 0) without placements.
constexpr DigitList reserved_digits(PagingMode mode, Space space, unsigned leaf_level) {
    DigitList d;
    const std::uint32_t cases = reserved_case_count(mode, space, leaf_level);
    if (cases == 0) return d;
    d.dims[d.count++] = {Digit::reserved_case, static_cast<std::uint8_t>(leaf_level), cases};
    push_access_digits(d);
    return d;
}

}  // namespace pagewalk::harness::matrix
