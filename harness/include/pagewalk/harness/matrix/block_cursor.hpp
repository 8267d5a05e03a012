// SPDX-License-Identifier: MIT OR Apache-2.0
// A position in one block of the access matrix that moves forward like an odometer: it keeps the segment's digits
// and the combination they make, and a move changes only the digits it carries into — what a loop over a block
// needs instead of decoding each index (a whole decode divides once per digit and rebuilds every entry's flags).
// The legality rules read the digits; the combination is brought up to date only when asked for (most positions a
// loop visits are illegal and skipped).
// Its combination, legality and illegal run are those of Matrix::decode_in_block, legality() and illegal_run() at
// the same offset (the unit test walks whole blocks of every mode against them). Freestanding.
#pragma once

#include <cstdint>

#include "access_table.hpp"
#include "illegal_run.hpp"
#include "index_math.hpp"
#include "legality.hpp"
#include "space.hpp"

namespace pagewalk::harness::matrix {

class BlockCursor {
public:
    constexpr BlockCursor() = default;  ///< nowhere: assign one of the below before use
    /// At `offset` of the block whose control state is `k`; `access` is the block's AccessTable(m, k) (kept by the
    /// caller, which looks positions up in it too).
    constexpr BlockCursor(const Matrix& m, const Controls& k, const AccessTable& access, std::uint64_t offset)
        : m_(&m), k_(k), access_(&access) {
        seek(offset);
    }

    constexpr std::uint64_t offset() const { return offset_; }
    /// Whether the cursor has moved past the block's last combination (nothing else is then valid).
    constexpr bool done() const { return offset_ >= m_->block().size; }
    /// The combination here (its changed digits applied now).
    constexpr const Combination& combination() {
        const Segment& seg = segment();
        for (unsigned i = stale_from_; i < seg.digits.count; ++i) m_->apply_digit(c_, seg.digits.dims[i], digit_[i]);
        stale_from_ = seg.digits.count;
        return c_;
    }
    /// Changes whenever the cursor enters another access group (another value of any digit but the access).
    constexpr std::uint64_t group() const { return group_; }
    /// The position of the combination in its access group (its access is access_.access[position()]).
    constexpr unsigned position() const { return position_; }

    /// legality(m, combination()).
    constexpr Rule rule() const {
        if (group_rule_ != Rule::legal) return group_rule_;
        return access_->rule[position_];
    }

    /// For a combination rule() removes: how many offsets from here on are removed — at least illegal_run(m, index,
    /// rule()), which ends where the last digit the rule reads changes. A not-present entry's rules and the keys rule
    /// hold until the digit that broke them changes (the not-present entry's flags, the first key set): the run
    /// goes to there, over the entries' other flag values the predicate would reject one value at a time.
    constexpr std::uint64_t run() const {
        const Rule r = rule();
        if (is_access_rule(r)) return access_->run[position_];
        const Segment& seg = segment();
        unsigned stop = run_digit_;
        if (stop == kNoDigit) {  // the rule's last digit (the lowest of its kind)
            const detail::LastDigit last = detail::last_digit_read(r, seg.digits);
            if (last.whole) return seg.size - (offset_ - segment_start_);
            for (unsigned i = seg.digits.count; i-- > 0 && stop == kNoDigit;)
                if (seg.digits.dims[i].digit == last.digit) stop = i;
        }
        std::uint64_t group = 1, below = 0;  // the digits after `stop`: their span and their value
        for (unsigned i = seg.digits.count; i-- > 0 && i != stop;) {
            below += digit_[i] * group;
            group *= seg.digits.dims[i].radix;
        }
        return group - below;
    }

    /// Moves `n` offsets on.
    constexpr void advance(std::uint64_t n) {
        const Segment& seg = segment();
        if (n >= segment_start_ + seg.size - offset_) {  // into a later segment, or past the block: decode there
            seek(offset_ + n);
            return;
        }
        offset_ += n;
        // Add n to the digits, lowest first; `highest` is the slowest digit the carry reached.
        unsigned highest = seg.digits.count;
        std::uint64_t carry = n;
        for (unsigned i = seg.digits.count; carry != 0 && i-- > 0;) {
            const std::uint64_t sum = digit_[i] + carry;
            const std::uint32_t radix = seg.digits.dims[i].radix;
            if (sum < radix) {
                digit_[i] = static_cast<std::uint32_t>(sum);
                carry = 0;
            } else if (sum < 2ull * radix) {  // a step of one or a few: no division (slow where it is emulated)
                digit_[i] = static_cast<std::uint32_t>(sum - radix);
                carry = 1;
            } else {
                const DivMod qr = divmod(sum, radix);
                digit_[i] = static_cast<std::uint32_t>(qr.remainder);
                carry = qr.quotient;
            }
            highest = i;
        }
        if (highest < stale_from_) stale_from_ = highest;
        position_ = static_cast<unsigned>((offset_ - segment_start_) % kAccessGroup);  // the access digits are lowest
        if (highest < first_access_digit_) {
            group_rule_ = group_rule();
            ++group_;
        }
    }

private:
    constexpr const Segment& segment() const { return m_->block().segment[segment_index_]; }

    /// Decodes `offset` whole: its segment, digits and combination.
    constexpr void seek(std::uint64_t offset) {
        offset_ = offset;
        if (done()) return;
        const BlockLayout& block = m_->block();
        segment_index_ = 0;
        segment_start_ = 0;
        while (segment_index_ + 1 < block.count && offset - segment_start_ >= block.segment[segment_index_].size)
            segment_start_ += block.segment[segment_index_++].size;
        const Segment& seg = segment();
        detail::split_digits(seg.digits, offset - segment_start_, digit_);
        first_access_digit_ = seg.digits.count >= kAccessDigits ? seg.digits.count - kAccessDigits : 0;
        c_ = m_->decode_in_block(offset, k_);
        stale_from_ = seg.digits.count;
        position_ = static_cast<unsigned>((offset - segment_start_) % kAccessGroup);
        group_rule_ = group_rule();
        ++group_;
    }

    /// The rules that read more than the access (legality() before its access rules), from the digits and the
    /// segment (c_'s family and leaf level, which only seek() changes); run_digit_ for run().
    constexpr Rule group_rule() {
        run_digit_ = kNoDigit;
        if (detail::pkru_without_pke(k_)) return Rule::pkru_without_pke;
        if (detail::four_mib_without_pse(c_.mode, c_.leaf_level, k_)) return Rule::four_mib_without_pse;
        const Segment& seg = segment();
        if (c_.family == Family::reserved) {
            for (unsigned i = 0; i < seg.digits.count; ++i) {
                if (seg.digits.dims[i].digit != Digit::reserved_case) continue;
                const ReservedCase rc = reserved_case(m_->placements_of(c_.leaf_level), m_->space(), digit_[i]);
                if (detail::xd_reserved_with_nxe(rc, k_)) return Rule::xd_reserved_with_nxe;
            }
            return Rule::legal;
        }
        detail::FlagChain chain{};
        unsigned chain_digit[detail::FlagChain::capacity] = {};  // each chain value's digit index
        unsigned first_key = kNoDigit;                           // the first key digit that is set
        for (unsigned i = 0; i < seg.digits.count; ++i) {
            const Digit d = seg.digits.dims[i].digit;
            if ((d == Digit::leaf_key || d == Digit::table_key) && digit_[i] != 0 && first_key == kNoDigit)
                first_key = i;
            if ((d != Digit::table_flags && d != Digit::leaf_flags) || chain.count == detail::FlagChain::capacity)
                continue;
            chain_digit[chain.count] = i;
            chain.value[chain.count] = digit_[i];
            chain.radix[chain.count++] = seg.digits.dims[i].radix;
        }
        if (const Rule r = detail::chain_rule(chain); r != Rule::legal) {
            // The first entry without P (bit 0 of its flags digit): while its digit keeps its value, the flag digits
            // after it (next in the index, the chain is contiguous) only grow, so they stay non-zero, or it keeps
            // its own other flags — the same rule or the other not-present one removes every index.
            unsigned i = 0;
            while (i + 1 < chain.count && (chain.value[i] & 1u) != 0) ++i;
            if (chain_digit[chain.count - 1] - chain_digit[0] == chain.count - 1) run_digit_ = chain_digit[i];
            return r;
        }
        if (!k_.pke && first_key != kNoDigit) {
            run_digit_ = first_key;  // set until its digit changes; the chain before it stays legal
            return Rule::keys_without_pke;
        }
        return Rule::legal;
    }

    static constexpr unsigned kAccessDigits = 4;  // push_access_digits(): type, CPL, implicit, AC
    static constexpr unsigned kNoDigit = ~0u;

    const Matrix* m_ = nullptr;
    Controls k_{};
    const AccessTable* access_ = nullptr;
    std::uint64_t offset_ = 0, segment_start_ = 0;
    unsigned segment_index_ = 0, first_access_digit_ = 0, position_ = 0;
    unsigned stale_from_ = 0;  ///< the first digit not yet applied to c_
    std::uint64_t group_ = 0;
    std::uint32_t digit_[DigitList::capacity] = {};
    Combination c_{};
    Rule group_rule_ = Rule::legal;
    unsigned run_digit_ = kNoDigit;  ///< the digit whose change ends group_rule_'s run (kNoDigit: the rule's last)
};

}  // namespace pagewalk::harness::matrix
