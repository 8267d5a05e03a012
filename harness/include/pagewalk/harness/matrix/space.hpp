// SPDX-License-Identifier: MIT OR Apache-2.0
// The access matrix's index space: count(mode, space), decode(mode, space, index) → Combination and its inverse
// encode(). Freestanding and allocation-free, -m32 and -m64 (no 64-bit division helper is needed: index_math.hpp).
//
//   const std::uint64_t n = matrix::count(PagingMode::long4, matrix::Space::standard);
//   const matrix::Combination c = matrix::decode(PagingMode::long4, matrix::Space::standard, i);  // i < n
//   if (matrix::legality(c, matrix::Space::standard) == matrix::Rule::legal) run(c);          // legality.hpp
#pragma once

#include <cstdint>
#include <pagewalk/mode.hpp>

#include "combination.hpp"
#include "dimensions.hpp"
#include "entry_facts.hpp"
#include "index_math.hpp"
#include "reserved_cases.hpp"

namespace pagewalk::harness::matrix {

/// One segment of a block: the rights or the reserved combinations of one leaf level.
struct Segment {
    Family family = Family::rights;
    std::uint8_t leaf_level = 1;
    DigitList digits{};
    std::uint64_t size = 0;
};

/// The segments of a block, in index order.
struct BlockLayout {
    Segment segment[6] = {};
    unsigned count = 0;
    std::uint64_t size = 0;  // combinations per control state
};

constexpr BlockLayout block_layout(PagingMode mode, Space space) {
    BlockLayout b;
    const LeafLevels leaves = leaf_levels(mode);
    for (unsigned i = 0; i < leaves.count; ++i) {
        const unsigned leaf = leaves.level[i];
        const DigitList rights = rights_digits(mode, space, leaf);
        b.segment[b.count++] = {Family::rights, static_cast<std::uint8_t>(leaf), rights, rights.size()};
        const DigitList reserved = reserved_digits(mode, space, leaf);
        if (reserved.count != 0)
            b.segment[b.count++] = {Family::reserved, static_cast<std::uint8_t>(leaf), reserved, reserved.size()};
    }
    for (unsigned i = 0; i < b.count; ++i) b.size += b.segment[i].size;
    return b;
}

/// Number of control states of `mode` (blocks).
constexpr std::uint64_t control_states(PagingMode mode) {
    return control_digits(mode).size();
}

/// Every combination of `mode` in `space`, legal or not (legality.hpp says which are removed and why).
constexpr std::uint64_t count(PagingMode mode, Space space) {
    return control_states(mode) * block_layout(mode, space).size;
}

/// The index range of control state `state` (< control_states): one block.
constexpr IndexRange block_range(PagingMode mode, Space space, std::uint64_t state) {
    const std::uint64_t size = block_layout(mode, space).size;
    return {state * size, (state + 1) * size};
}

namespace detail {

/// The raw flag bits that `value` selects from the slots of `f` (bit j of value = the j-th slot `f` has).
constexpr std::uint64_t flags_from_digit(const EntryFacts& f, std::uint32_t value) {
    std::uint64_t raw = 0;
    unsigned j = 0;
    for (std::uint64_t mask : f.slot_mask) {
        if (mask == 0) continue;
        if (((value >> j) & 1u) != 0) raw |= mask;
        ++j;
    }
    return raw;
}
/// The inverse: the digit of the slots of `f` that `raw` has set.
constexpr std::uint32_t digit_from_flags(const EntryFacts& f, std::uint64_t raw) {
    std::uint32_t value = 0;
    unsigned j = 0;
    for (std::uint64_t mask : f.slot_mask) {
        if (mask == 0) continue;
        if ((raw & mask) == mask) value |= 1u << j;
        ++j;
    }
    return value;
}
/// Keeps from `shared_raw` (bits of the shared table slots) the slots entry `f` has.
constexpr std::uint64_t restrict_to(const EntryFacts& f, std::uint64_t shared_raw) {
    std::uint64_t raw = 0;
    for (std::uint64_t mask : f.slot_mask) raw |= shared_raw & mask;
    return raw;
}

/// The flags of the reserved family: P, R/W, U/S and A in table entries, and D in the leaf — everything granted, so
/// that only the reserved bit can fault.
constexpr std::uint64_t granting_flags(const EntryFacts& f, bool leaf) {
    const auto slot = [&](FlagSlot s) { return f.slot_mask[static_cast<unsigned>(s)]; };
    return slot(FlagSlot::present) | slot(FlagSlot::writable) | slot(FlagSlot::user) | slot(FlagSlot::accessed) |
           (leaf ? slot(FlagSlot::dirty) : 0);
}

/// The entry facts and reserved placements of a mode, computed once per Matrix (decode is on the guest's hot path).
struct Tables {
    EntryFacts table[6] = {};   // by level: the table form
    EntryFacts leaf[6] = {};    // by level: the leaf form
    EntryFacts shared[6] = {};  // by leaf level: the slots of the table entries above it
    Placements placements[6] = {};
};
constexpr Tables make_tables(PagingMode mode) {
    Tables t;
    for (unsigned l = 1; l <= shape(mode).levels; ++l) {
        t.table[l] = entry_facts(mode, l, false);
        t.leaf[l] = entry_facts(mode, l, true);
        t.shared[l] = shared_table_facts(mode, l);
        t.placements[l] = placements(mode, l);
    }
    return t;
}

constexpr void apply(Combination& c, const Tables& t, Space space, const Dimension& d, std::uint32_t v) {
    const unsigned top = shape(c.mode).levels;
    switch (d.digit) {
        case Digit::wp:
            c.controls.wp = v != 0;
            break;
        case Digit::smep:
            c.controls.smep = v != 0;
            break;
        case Digit::smap:
            c.controls.smap = v != 0;
            break;
        case Digit::nxe:
            c.controls.nxe = v != 0;
            break;
        case Digit::pse:
            c.controls.pse = v != 0;
            break;
        case Digit::pke:
            c.controls.pke = v != 0;
            break;
        case Digit::pkru_ad:
            c.controls.pkru_ad = v != 0;
            break;
        case Digit::pkru_wd:
            c.controls.pkru_wd = v != 0;
            break;
        case Digit::table_flags:
            if (d.level != 0) {
                c.flags[d.level] = flags_from_digit(t.table[d.level], v);
            } else {
                const std::uint64_t shared = flags_from_digit(t.shared[c.leaf_level], v);
                for (unsigned l = top; l > c.leaf_level; --l) c.flags[l] = restrict_to(t.table[l], shared);
            }
            break;
        case Digit::leaf_flags:
            c.flags[d.level] = flags_from_digit(t.leaf[d.level], v);
            break;
        case Digit::leaf_key:
            c.leaf_key = v != 0 ? kLeafKey : 0;
            break;
        case Digit::table_key:
            c.table_key = v != 0 ? kDecoyKey : 0;
            break;
        case Digit::reserved_case: {
            const ReservedCase rc = reserved_case(t.placements[c.leaf_level], space, v);
            c.reserved[0] = rc.first;
            c.reserved[1] = rc.second;
            c.holder_present = rc.present;
            break;
        }
        case Digit::access_type:
            c.access.type = static_cast<AccessType>(v);
            break;
        case Digit::cpl:
            c.access.cpl = v != 0 ? 3 : 0;
            break;
        case Digit::implicit:
            c.access.implicit = v != 0;
            break;
        case Digit::ac:
            c.access.ac = v != 0;
            break;
    }
}

/// The value of digit `d` in `c` (the inverse of apply).
constexpr std::uint32_t digit_of(const Combination& c, const Tables& t, Space space, const Dimension& d) {
    switch (d.digit) {
        case Digit::wp:
            return c.controls.wp;
        case Digit::smep:
            return c.controls.smep;
        case Digit::smap:
            return c.controls.smap;
        case Digit::nxe:
            return c.controls.nxe;
        case Digit::pse:
            return c.controls.pse;
        case Digit::pke:
            return c.controls.pke;
        case Digit::pkru_ad:
            return c.controls.pkru_ad;
        case Digit::pkru_wd:
            return c.controls.pkru_wd;
        case Digit::table_flags: {
            if (d.level != 0) return digit_from_flags(t.table[d.level], c.flags[d.level]);
            std::uint64_t shared = 0;  // each shared slot from the highest table entry that has it
            const EntryFacts& u = t.shared[c.leaf_level];
            for (unsigned s = 0; s < kFlagSlots; ++s) {
                for (unsigned l = shape(c.mode).levels; l > c.leaf_level; --l) {
                    const std::uint64_t mask = t.table[l].slot_mask[s];
                    if (mask == 0) continue;
                    shared |= c.flags[l] & mask ? u.slot_mask[s] : 0;
                    break;
                }
            }
            return digit_from_flags(u, shared);
        }
        case Digit::leaf_flags:
            return digit_from_flags(t.leaf[d.level], c.flags[d.level]);
        case Digit::leaf_key:
            return c.leaf_key != 0;
        case Digit::table_key:
            return c.table_key != 0;
        case Digit::reserved_case:
            for (std::uint32_t k = 0; k < d.radix; ++k) {
                const ReservedCase rc = reserved_case(t.placements[c.leaf_level], space, k);
                if (rc.first == c.reserved[0] && rc.second == c.reserved[1] && rc.present == c.holder_present) return k;
            }
            return 0;
        case Digit::access_type:
            return static_cast<std::uint32_t>(c.access.type);
        case Digit::cpl:
            return c.access.cpl == 3;
        case Digit::implicit:
            return c.access.implicit;
        case Digit::ac:
            return c.access.ac;
    }
    return 0;
}

/// Splits `value` (< list.size()) into the list's digits, slowest first.
constexpr void split_digits(const DigitList& list, std::uint64_t value, std::uint32_t (&out)[DigitList::capacity]) {
    for (unsigned i = list.count; i-- > 0;) {
        const DivMod qr = divmod(value, list.dims[i].radix);
        out[i] = static_cast<std::uint32_t>(qr.remainder);
        value = qr.quotient;
    }
}

}  // namespace detail

/// The index space of one mode: decode and encode with the mode's layout and entry facts computed once.
class Matrix {
public:
    constexpr Matrix(PagingMode mode, Space space)
        : mode_(mode),
          space_(space),
          controls_(control_digits(mode)),
          block_(block_layout(mode, space)),
          tables_(detail::make_tables(mode)) {}

    constexpr PagingMode mode() const { return mode_; }
    constexpr Space space() const { return space_; }
    constexpr const BlockLayout& block() const { return block_; }
    constexpr std::uint64_t states() const { return controls_.size(); }
    constexpr std::uint64_t count() const { return states() * block_.size; }
    constexpr const Placements& placements_of(unsigned leaf_level) const { return tables_.placements[leaf_level]; }

    /// The control state of block `state` (< states()).
    constexpr Controls controls(std::uint64_t state) const {
        Combination c{};
        c.mode = mode_;
        std::uint32_t digits[DigitList::capacity] = {};
        detail::split_digits(controls_, state, digits);
        for (unsigned i = 0; i < controls_.count; ++i) detail::apply(c, tables_, space_, controls_.dims[i], digits[i]);
        return c.controls;
    }

    /// The combination at `index` (< count()).
    constexpr Combination decode(std::uint64_t index) const {
        const DivMod state = divmod(index, block_.size);
        return decode_in_block(state.remainder, controls(state.quotient));
    }

    /// The combination at `offset` (< block().size) of the block whose control state is `k` (= controls(state)): what
    /// a loop over one block needs, without decoding the control state again.
    constexpr Combination decode_in_block(std::uint64_t offset, const Controls& k) const {
        Combination c{};
        c.mode = mode_;
        c.controls = k;
        unsigned s = 0;
        while (s + 1 < block_.count && offset >= block_.segment[s].size) offset -= block_.segment[s++].size;
        const Segment& seg = block_.segment[s];
        c.family = seg.family;
        c.leaf_level = seg.leaf_level;
        if (seg.family == Family::reserved) {
            for (unsigned l = shape(mode_).levels; l > c.leaf_level; --l)
                c.flags[l] = detail::granting_flags(tables_.table[l], false);
            c.flags[c.leaf_level] = detail::granting_flags(tables_.leaf[c.leaf_level], true);
        }
        std::uint32_t digits[DigitList::capacity] = {};
        detail::split_digits(seg.digits, offset, digits);
        for (unsigned i = 0; i < seg.digits.count; ++i)
            detail::apply(c, tables_, space_, seg.digits.dims[i], digits[i]);
        return c;
    }

    /// The combination at `index` from `c`, the one at another index of the same access group (index / kAccessGroup):
    /// only the access digits change — what a loop over consecutive indices needs instead of a whole decode.
    constexpr void set_access(Combination& c, std::uint64_t index) const {
        DigitList access;
        push_access_digits(access);
        std::uint32_t digits[DigitList::capacity] = {};
        detail::split_digits(access, divmod(index, kAccessGroup).remainder, digits);
        for (unsigned i = 0; i < access.count; ++i) detail::apply(c, tables_, space_, access.dims[i], digits[i]);
    }

    /// The access at position `position` (< kAccessGroup) of every access group: the access digits are the lowest.
    constexpr AccessKind access_at(unsigned position) const {
        Combination c{};
        c.mode = mode_;
        set_access(c, position);
        return c.access;
    }

    /// The index of `c` (the inverse of decode for every combination decode gives); count() if `c` is not one.
    constexpr std::uint64_t encode(const Combination& c) const {
        if (c.mode != mode_) return count();
        std::uint64_t state = 0;
        for (unsigned i = 0; i < controls_.count; ++i)
            state = state * controls_.dims[i].radix + digit(c, controls_.dims[i]);
        std::uint64_t offset = 0;
        for (unsigned s = 0; s < block_.count; ++s) {
            const Segment& seg = block_.segment[s];
            if (seg.family != c.family || seg.leaf_level != c.leaf_level) {
                offset += seg.size;
                continue;
            }
            std::uint64_t value = 0;
            for (unsigned i = 0; i < seg.digits.count; ++i)
                value = value * seg.digits.dims[i].radix + digit(c, seg.digits.dims[i]);
            return state * block_.size + offset + value;
        }
        return count();
    }

    /// Sets digit `d` of `c` to `v`, as decoding does for each digit.
    constexpr void apply_digit(Combination& c, const Dimension& d, std::uint32_t v) const {
        detail::apply(c, tables_, space_, d, v);
    }

    /// The value of digit `d` in `c`.
    constexpr std::uint32_t digit(const Combination& c, const Dimension& d) const {
        return detail::digit_of(c, tables_, space_, d);
    }

private:
    PagingMode mode_;
    Space space_;
    DigitList controls_;
    BlockLayout block_;
    detail::Tables tables_;
};

/// Shorthands that build the Matrix each call (a loop should keep one Matrix).
constexpr Combination decode(PagingMode mode, Space space, std::uint64_t index) {
    return Matrix(mode, space).decode(index);
}
constexpr std::uint64_t encode(const Combination& c, Space space) {
    return Matrix(c.mode, space).encode(c);
}

}  // namespace pagewalk::harness::matrix
