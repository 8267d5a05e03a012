// SPDX-License-Identifier: MIT OR Apache-2.0
// The access matrix's one legality predicate: legality(c, space) is Rule::legal or the first rule that removes `c`.
// A rule removes only combinations that are impossible or identical to a kept one by definition (the SDM section
// is cited with each); never for speed. counts() gives, per mode and space, the total, how many each rule removes
// (the first failing rule, in the order below) and the legal remainder, in closed form — the unit test checks it
// against decoding every index of a mode.
#pragma once

#include <cstdint>
#include <pagewalk/mode.hpp>

#include "combination.hpp"
#include "dimensions.hpp"
#include "space.hpp"

namespace pagewalk::harness::matrix {

enum class Rule : std::uint8_t {
    legal,
    pkru_without_pke,
    four_mib_without_pse,
    xd_reserved_with_nxe,
    below_not_present,
    not_present_flags,
    keys_without_pke,
    implicit_fetch,
    implicit_write,
    implicit_at_cpl0,
    ac_without_effect,
};
inline constexpr unsigned kRules = static_cast<unsigned>(Rule::ac_without_effect) + 1;

struct RuleInfo {
    const char* name;
    const char* why;
};

/// Each rule's name and reason (the README table prints them).
constexpr RuleInfo rule_info(Rule r) {
    constexpr RuleInfo info[kRules] = {
        {"legal", "kept"},
        // PKRU is consulted only with CR4.PKE = 1, and RDPKRU/WRPKRU are #UD without it (SDM Vol. 3A §4.6.2,
        // Vol. 2 WRPKRU): every PKRU value is the same state. Kept: AD = WD = 0.
        {"pkru-without-pke", "PKRU.AD/WD set with CR4.PKE = 0: PKRU is not used (SDM 4.6.2)"},
        // With CR4.PSE = 0, PS in a 32-bit PDE is ignored and the PDE references a page table (SDM §4.3): no 4 MiB
        // page exists.
        {"4mib-without-pse", "a 4 MiB leaf with CR4.PSE = 0: PS is ignored, no such page (SDM 4.3)"},
        // With EFER.NXE = 1, bit 63 is the XD flag, not a reserved bit (SDM §4.4.2, §4.5.4): the reserved class does
        // not exist (the XD flag is a dimension of the rights family).
        {"xd-reserved-with-nxe", "reserved class XD with EFER.NXE = 1: bit 63 is then XD, not reserved (SDM 4.5.4)"},
        // A not-present entry ends the walk; the entries below it are never read (SDM §4.7, §4.3-§4.5 "the
        // processor does not use the entry"): their flags are fixed to 0.
        {"below-not-present", "flags in an entry below a not-present entry: never read (SDM 4.7)"},
        // With P = 0 every other bit of the entry is ignored (SDM Tables 4-4 to 4-20, "Ignored" formats): only the
        // all-clear not-present entry is kept. (Reserved bits in not-present entries are the reserved family's.)
        {"not-present-flags", "other flags of a not-present entry: ignored (SDM tables 4-4 to 4-20)"},
        // Protection keys are used only with CR4.PKE = 1 (SDM §4.6.2); bits 62:59 are ignored otherwise.
        {"keys-without-pke", "a protection key with CR4.PKE = 0: bits 62:59 are ignored (SDM 4.6.2)"},
        // Implicit supervisor-mode accesses are data accesses to descriptor tables and the TSS (SDM §4.6.1):
        // there is no implicit instruction fetch.
        {"implicit-fetch", "an implicit fetch: implicit accesses are data accesses (SDM 4.6.1)"},
        // An implicit supervisor write happens only as part of an instruction that first reads the same bytes
        // implicitly (the accessed-bit update of a descriptor just loaded, SDM §3.4.5, §4.6.1): no instruction makes
        // it alone, so a lone implicit write has no outcome to compare. The read-then-write sequence is a different
        // access kind, not yet in the matrix.
        {"implicit-write", "a lone implicit write: only made after an implicit read of the same bytes (SDM 3.4.5)"},
        // An implicit access is a supervisor-mode access whatever the CPL (SDM §4.6.1): kept at CPL 3, where it
        // differs from the explicit access.
        {"implicit-at-cpl0", "an implicit access at CPL 0: supervisor at any CPL, kept at CPL 3 (SDM 4.6.1)"},
        // EFLAGS.AC changes paging only for a supervisor data access to a user page with CR4.SMAP = 1 (SDM §4.6.1;
        // alignment checking needs CR0.AM, which the matrix keeps clear): elsewhere AC = 1 is the AC = 0 case.
        {"ac-without-effect", "EFLAGS.AC = 1 off a supervisor data access with CR4.SMAP = 1 (SDM 4.6.1)"},
    };
    return info[static_cast<unsigned>(r)];
}

namespace detail {

constexpr bool pkru_without_pke(const Controls& k) {
    return !k.pke && (k.pkru_ad || k.pkru_wd);
}
constexpr bool four_mib_without_pse(PagingMode mode, unsigned leaf, const Controls& k) {
    return leaf_needs(mode, leaf) == LeafFeature::pse && !k.pse;
}
constexpr bool xd_reserved_with_nxe(const ReservedCase& rc, const Controls& k) {
    return k.nxe && (rc.first.cls == ReservedClass::execute_disable || rc.second.cls == ReservedClass::execute_disable);
}
constexpr bool keys_without_pke(const Combination& c) {
    return !c.controls.pke && (c.leaf_key != 0 || c.table_key != 0);
}
/// The access rules, in order: Rule::legal or the first that removes `a` under `k`.
constexpr Rule access_rule(const AccessKind& a, const Controls& k) {
    if (a.implicit && a.type == AccessType::fetch) return Rule::implicit_fetch;
    if (a.implicit && a.type == AccessType::write) return Rule::implicit_write;
    if (a.implicit && a.cpl == 0) return Rule::implicit_at_cpl0;
    const bool supervisor = a.implicit || a.cpl == 0;
    if (a.ac && !(k.smap && supervisor && a.type != AccessType::fetch)) return Rule::ac_without_effect;
    return Rule::legal;
}

/// The flag digits of a rights combination, top of the walk first (the digits the two not-present rules read).
struct FlagChain {
    static constexpr unsigned capacity = 6;  // a flags digit per level at most, and the leaf's
    std::uint32_t value[capacity] = {};
    std::uint32_t radix[capacity] = {};
    unsigned count = 0;
};
constexpr FlagChain flag_chain(const Matrix& m, const Combination& c) {
    FlagChain chain;
    const BlockLayout& block = m.block();
    unsigned s = 0;
    while (s + 1 < block.count &&
           (block.segment[s].family != Family::rights || block.segment[s].leaf_level != c.leaf_level))
        ++s;
    const DigitList& d = block.segment[s].digits;
    for (unsigned i = 0; i < d.count; ++i) {
        if (d.dims[i].digit != Digit::table_flags && d.dims[i].digit != Digit::leaf_flags) continue;
        chain.value[chain.count] = m.digit(c, d.dims[i]);
        chain.radix[chain.count++] = d.dims[i].radix;
    }
    return chain;
}
/// Bit 0 of every flags digit is P (FlagSlot::present comes first and every entry has it).
constexpr Rule chain_rule(const FlagChain& chain) {
    const unsigned n = chain.count < FlagChain::capacity ? chain.count : FlagChain::capacity;
    for (unsigned i = 0; i < n; ++i) {
        if ((chain.value[i] & 1u) != 0) continue;
        for (unsigned j = i + 1; j < n; ++j)
            if (chain.value[j] != 0) return Rule::below_not_present;
        if (chain.value[i] != 0) return Rule::not_present_flags;
        return Rule::legal;
    }
    return Rule::legal;
}

}  // namespace detail

/// Rule::legal, or the first rule that removes `c` (a combination `m` decodes).
constexpr Rule legality(const Matrix& m, const Combination& c) {
    const Controls& k = c.controls;
    if (detail::pkru_without_pke(k)) return Rule::pkru_without_pke;
    if (detail::four_mib_without_pse(c.mode, c.leaf_level, k)) return Rule::four_mib_without_pse;
    if (c.family == Family::reserved) {
        if (detail::xd_reserved_with_nxe({c.reserved[0], c.reserved[1], c.holder_present}, k))
            return Rule::xd_reserved_with_nxe;
    } else {
        if (const Rule r = detail::chain_rule(detail::flag_chain(m, c)); r != Rule::legal) return r;
        if (detail::keys_without_pke(c)) return Rule::keys_without_pke;
    }
    return detail::access_rule(c.access, k);
}

/// Whether `r` is one of the access rules (they read only the access digits and the control state).
constexpr bool is_access_rule(Rule r) {
    return r == Rule::implicit_fetch || r == Rule::implicit_write || r == Rule::implicit_at_cpl0 ||
           r == Rule::ac_without_effect;
}

/// The access rules' verdict on access `a` under control state `k` (what legality_in_group() decides for a group
/// whose other digits are legal): a loop keeps one per position of the access group and control state.
constexpr Rule access_legality(const AccessKind& a, const Controls& k) {
    return detail::access_rule(a, k);
}

/// legality() of a combination whose access group (the same digits but the access) is known to be `group_rule`'s:
/// when that is legal or an access rule, only the access rules decide; otherwise the group's rule stands.
constexpr Rule legality_in_group(Rule group_rule, const Combination& c) {
    if (group_rule != Rule::legal && !is_access_rule(group_rule)) return group_rule;
    return detail::access_rule(c.access, c.controls);
}

/// The same, building the Matrix of `c`'s mode in `space` (a loop should keep one Matrix).
constexpr Rule legality(const Combination& c, Space space) {
    return legality(Matrix(c.mode, space), c);
}

/// A mode's combinations: every one, those each rule removes, and the legal rest.
struct Counts {
    std::uint64_t total = 0;
    std::uint64_t removed[kRules] = {};  // removed[0] is unused (Rule::legal)
    std::uint64_t legal = 0;
};

namespace detail {

/// Combinations of a chain of flag digits: every one, those passing below_not_present, those passing both rules.
/// Going up the chain: an entry is present (half its values, the rest below free) or not present (the rest all
/// clear — or, for the first rule alone, any of its own values).
struct ChainCounts {
    std::uint64_t total = 1, no_flags_below = 1, legal = 1;
};
constexpr ChainCounts chain_counts(const DigitList& d) {
    ChainCounts n;
    for (unsigned i = d.count; i-- > 0;) {
        if (d.dims[i].digit != Digit::table_flags && d.dims[i].digit != Digit::leaf_flags) continue;
        const std::uint64_t half = d.dims[i].radix / 2;
        n.total *= d.dims[i].radix;
        n.no_flags_below = half * n.no_flags_below + half;
        n.legal = half * n.legal + 1;
    }
    return n;
}

/// Access digit combinations under `k`: total, and per access rule how many it removes.
struct AccessCounts {
    std::uint64_t total = 0, legal = 0;
    std::uint64_t removed[kRules] = {};
};
constexpr AccessCounts access_counts(const Controls& k) {
    AccessCounts a;
    for (unsigned t = 0; t < 3; ++t)
        for (std::uint8_t cpl : {std::uint8_t{0}, std::uint8_t{3}})
            for (bool implicit : {false, true})
                for (bool ac : {false, true}) {
                    ++a.total;
                    const Rule r = access_rule({static_cast<AccessType>(t), cpl, implicit, ac}, k);
                    if (r == Rule::legal)
                        ++a.legal;
                    else
                        ++a.removed[static_cast<unsigned>(r)];
                }
    return a;
}

}  // namespace detail

/// The counts of segment `s` of block `state` (one control state) of `m`, from the rules' factors.
constexpr Counts segment_counts(const Matrix& m, std::uint64_t state, unsigned s) {
    Counts out;
    const Segment& seg = m.block().segment[s];
    out.total = seg.size;
    const auto add = [&](Rule r, std::uint64_t n) { out.removed[static_cast<unsigned>(r)] += n; };
    const Controls k = m.controls(state);
    if (detail::pkru_without_pke(k)) {
        add(Rule::pkru_without_pke, seg.size);
        return out;
    }
    if (detail::four_mib_without_pse(m.mode(), seg.leaf_level, k)) {
        add(Rule::four_mib_without_pse, seg.size);
        return out;
    }
    const detail::AccessCounts access = detail::access_counts(k);
    std::uint64_t kept = 0;  // combinations of the digits before the access that no rule removes
    if (seg.family == Family::reserved) {
        const std::uint32_t cases = reserved_case_count(m.mode(), m.space(), seg.leaf_level);
        for (std::uint32_t i = 0; i < cases; ++i) {
            if (detail::xd_reserved_with_nxe(reserved_case(m.placements_of(seg.leaf_level), m.space(), i), k))
                add(Rule::xd_reserved_with_nxe, access.total);
            else
                ++kept;
        }
    } else {
        const detail::ChainCounts chain = detail::chain_counts(seg.digits);
        std::uint64_t keys = 1;
        for (unsigned i = 0; i < seg.digits.count; ++i) {
            const Digit d = seg.digits.dims[i].digit;
            if (d == Digit::leaf_key || d == Digit::table_key) keys *= seg.digits.dims[i].radix;
        }
        const std::uint64_t legal_keys = k.pke ? keys : 1;
        add(Rule::below_not_present, (chain.total - chain.no_flags_below) * keys * access.total);
        add(Rule::not_present_flags, (chain.no_flags_below - chain.legal) * keys * access.total);
        add(Rule::keys_without_pke, chain.legal * (keys - legal_keys) * access.total);
        kept = chain.legal * legal_keys;
    }
    for (unsigned r = 0; r < kRules; ++r) out.removed[r] += kept * access.removed[r];
    out.legal = kept * access.legal;
    return out;
}

constexpr void accumulate(Counts& into, const Counts& part) {
    into.total += part.total;
    into.legal += part.legal;
    for (unsigned r = 0; r < kRules; ++r) into.removed[r] += part.removed[r];
}

/// The counts of block `state` of `m`: the sum of its segments'.
constexpr Counts block_counts(const Matrix& m, std::uint64_t state) {
    Counts out;
    for (unsigned s = 0; s < m.block().count; ++s) accumulate(out, segment_counts(m, state, s));
    return out;
}

/// The counts of `mode` in `space`: the sum of its blocks'.
constexpr Counts counts(PagingMode mode, Space space) {
    Counts out;
    const Matrix m(mode, space);
    for (std::uint64_t state = 0; state < m.states(); ++state) accumulate(out, block_counts(m, state));
    return out;
}

}  // namespace pagewalk::harness::matrix
