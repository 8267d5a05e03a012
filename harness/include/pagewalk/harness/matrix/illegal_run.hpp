// SPDX-License-Identifier: MIT OR Apache-2.0
// How far a rule of the legality predicate reaches: a rule reads only some digits of the index, so once it removes
// one index it removes every index up to the next change of the last digit it reads. A loop over the space jumps over
// that run instead of decoding it (most of the space is removed by the not-present rules). Freestanding.
#pragma once

#include <cstdint>

#include "index_math.hpp"
#include "legality.hpp"
#include "space.hpp"

namespace pagewalk::harness::matrix {

namespace detail {

/// The last digit of a segment that `rule` reads; `whole` when the rule reads no digit of the segment (only the
/// control state or the segment itself).
struct LastDigit {
    bool whole = false;
    Digit digit = Digit::ac;
};
constexpr LastDigit last_digit_read(Rule rule, const DigitList& digits) {
    switch (rule) {
        case Rule::pkru_without_pke:
        case Rule::four_mib_without_pse:
            return {true, Digit::ac};
        case Rule::xd_reserved_with_nxe:
            return {false, Digit::reserved_case};
        case Rule::below_not_present:
        case Rule::not_present_flags:
            return {false, Digit::leaf_flags};
        case Rule::keys_without_pke: {
            Digit last = Digit::leaf_key;
            for (unsigned i = 0; i < digits.count; ++i)
                if (digits.dims[i].digit == Digit::table_key) last = Digit::table_key;
            return {false, last};
        }
        default:  // the access rules read the fastest digits: access_run() finds the next legal access
            return {false, Digit::ac};
    }
}

/// The access rules read only the access digits (the fastest group, kAccessGroup values) and the control state: from
/// `index`, how many indices on they remove — up to the next legal access of its group, or the group's end.
constexpr std::uint64_t access_run(const Matrix& m, std::uint64_t index, const Controls& k) {
    const std::uint64_t at = divmod(index, kAccessGroup).remainder;
    Combination c{};
    c.mode = m.mode();
    c.controls = k;
    std::uint64_t v = at + 1;
    for (; v < kAccessGroup; ++v) {
        m.set_access(c, index - at + v);
        if (access_rule(c.access, k) == Rule::legal) break;
    }
    return v - at;
}

}  // namespace detail

/// How many indices from `index` on (at least 1) `rule` removes, the rule having removed `index`: up to the end of the
/// group of the last digit the rule reads (or of the segment).
constexpr std::uint64_t illegal_run(const Matrix& m, std::uint64_t index, Rule rule) {
    const BlockLayout& block = m.block();
    std::uint64_t offset = divmod(index, block.size).remainder;
    unsigned s = 0;
    while (s + 1 < block.count && offset >= block.segment[s].size) offset -= block.segment[s++].size;
    const Segment& seg = block.segment[s];
    const detail::LastDigit last = detail::last_digit_read(rule, seg.digits);
    if (last.whole) return seg.size - offset;
    if (is_access_rule(rule)) return detail::access_run(m, index, m.controls(divmod(index, block.size).quotient));
    std::uint64_t group = 1;  // the product of the radices after the last digit read
    for (unsigned i = seg.digits.count; i-- > 0;) {
        if (seg.digits.dims[i].digit == last.digit) break;
        group *= seg.digits.dims[i].radix;
    }
    return group - divmod(offset, group).remainder;
}

}  // namespace pagewalk::harness::matrix
