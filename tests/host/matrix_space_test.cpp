// SPDX-License-Identifier: MIT OR Apache-2.0
// The access matrix's space (harness/include/pagewalk/harness/matrix/): its dimensions per mode, the legality rules
// and their closed-form counts against decoding every index, shards, seeded orders, decode/encode, and translate on
// decoded combinations.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/translate.hpp>
#include <set>
#include <vector>

using namespace pagewalk;
using namespace pagewalk::harness::matrix;

namespace {

constexpr Space kSpaces[] = {Space::standard, Space::full};

std::uint32_t radix_of(const DigitList& d, Digit digit, unsigned level = 0) {
    for (unsigned i = 0; i < d.count; ++i)
        if (d.dims[i].digit == digit && d.dims[i].level == level) return d.dims[i].radix;
    return 1;
}

/// Counts by decoding every index of `range` and asking the predicate.
Counts brute_force(const Matrix& m, IndexRange range) {
    Counts c;
    for (std::uint64_t i = range.begin; i < range.end; ++i) {
        const Rule r = legality(m, m.decode(i));
        ++c.total;
        if (r == Rule::legal)
            ++c.legal;
        else
            ++c.removed[static_cast<unsigned>(r)];
    }
    return c;
}

void expect_same_counts(const Counts& a, const Counts& b, const char* what) {
    EXPECT_EQ(a.total, b.total) << what;
    EXPECT_EQ(a.legal, b.legal) << what;
    for (unsigned r = 1; r < kRules; ++r)
        EXPECT_EQ(a.removed[r], b.removed[r]) << what << ": rule " << rule_info(static_cast<Rule>(r)).name;
}

/// The first index of `m` whose combination `pick` accepts.
template <class Pick>
std::uint64_t find_index(const Matrix& m, Pick&& pick) {
    for (std::uint64_t i = 0; i < m.count(); ++i)
        if (pick(m.decode(i))) return i;
    return m.count();
}

}  // namespace

TEST(MatrixSpace, ControlDigitsAreTheModesControls) {
    // 32-bit paging: WP, SMEP, SMAP, PSE; PAE: WP, SMEP, SMAP, NXE; 4/5-level: + NXE, PKE, PKRU AD/WD (SDM 4.1, 4.6).
    EXPECT_EQ(control_states(PagingMode::legacy32), 16u);
    EXPECT_EQ(radix_of(control_digits(PagingMode::legacy32), Digit::pse), 2u);
    EXPECT_EQ(radix_of(control_digits(PagingMode::legacy32), Digit::nxe), 1u);
    EXPECT_EQ(control_states(PagingMode::pae), 16u);
    EXPECT_EQ(radix_of(control_digits(PagingMode::pae), Digit::pke), 1u);
    EXPECT_EQ(control_states(PagingMode::long4), 128u);
    EXPECT_EQ(control_states(PagingMode::long5), 128u);
    EXPECT_EQ(control_digits(PagingMode::long4).dims[0].digit, Digit::wp);  // slowest first
}

TEST(MatrixSpace, LeafLevelsAndFlagDigitsFollowTheEntryFormats) {
    EXPECT_EQ(leaf_levels(PagingMode::legacy32).count, 2u);  // 4 KiB, 4 MiB
    EXPECT_EQ(leaf_levels(PagingMode::pae).count, 2u);       // 4 KiB, 2 MiB
    EXPECT_EQ(leaf_levels(PagingMode::long4).count, 3u);     // + 1 GiB
    EXPECT_EQ(leaf_levels(PagingMode::long5).count, 3u);
    // Leaf flags: P R/W U/S A D G PWT/PCD/PAT, + XD outside 32-bit paging.
    EXPECT_EQ(radix_of(rights_digits(PagingMode::legacy32, Space::standard, 1), Digit::leaf_flags, 1), 128u);
    EXPECT_EQ(radix_of(rights_digits(PagingMode::long4, Space::standard, 3), Digit::leaf_flags, 3), 256u);
    // Table entries: P R/W U/S A (+ XD); a PAE PDPTE has P only.
    EXPECT_EQ(radix_of(rights_digits(PagingMode::legacy32, Space::full, 1), Digit::table_flags, 2), 16u);
    EXPECT_EQ(radix_of(rights_digits(PagingMode::pae, Space::full, 1), Digit::table_flags, 3), 2u);
    EXPECT_EQ(radix_of(rights_digits(PagingMode::pae, Space::full, 1), Digit::table_flags, 2), 32u);
    EXPECT_EQ(radix_of(rights_digits(PagingMode::pae, Space::standard, 2), Digit::table_flags, 0), 2u);
    // Default: one shared table digit; full: one per table level.
    EXPECT_EQ(radix_of(rights_digits(PagingMode::long5, Space::standard, 1), Digit::table_flags, 0), 32u);
    for (unsigned l = 2; l <= 5; ++l)
        EXPECT_EQ(radix_of(rights_digits(PagingMode::long5, Space::full, 1), Digit::table_flags, l), 32u) << l;
    // Keys: the leaf's and the decoy in table entries, 4/5-level only; a 1 GiB leaf still has table entries above.
    EXPECT_EQ(radix_of(rights_digits(PagingMode::long4, Space::standard, 3), Digit::table_key), 2u);
    EXPECT_EQ(radix_of(rights_digits(PagingMode::pae, Space::standard, 1), Digit::leaf_key), 1u);
    // Access: read/write/fetch × CPL 0/3 × explicit/implicit × EFLAGS.AC.
    const DigitList d = rights_digits(PagingMode::long4, Space::standard, 1);
    EXPECT_EQ(radix_of(d, Digit::access_type) * radix_of(d, Digit::cpl) * radix_of(d, Digit::implicit) *
                  radix_of(d, Digit::ac),
              24u);
    EXPECT_EQ(d.dims[d.count - 1].digit, Digit::ac);  // the access is the fastest group
}

TEST(MatrixSpace, ReservedPlacementsAreTheWalkersClasses) {
    const auto has = [](PagingMode m, unsigned leaf, ReservedClass c, unsigned level) {
        const Placements p = placements(m, leaf);
        for (unsigned i = 0; i < p.count; ++i)
            if (p.item[i] == Placement{c, static_cast<std::uint8_t>(level)}) return true;
        return false;
    };
    EXPECT_EQ(placements(PagingMode::legacy32, 1).count, 0u);  // 32-bit 4 KiB walks have no reserved bit
    EXPECT_TRUE(has(PagingMode::legacy32, 2, ReservedClass::pse_bit21, 2));
    EXPECT_TRUE(has(PagingMode::legacy32, 2, ReservedClass::physical_address, 2));
    EXPECT_TRUE(has(PagingMode::pae, 1, ReservedClass::pdpte_low, 3));
    EXPECT_TRUE(has(PagingMode::pae, 1, ReservedClass::pdpte_high, 3));
    EXPECT_FALSE(has(PagingMode::pae, 1, ReservedClass::execute_disable, 3));  // bit 63 of a PDPTE: pdpte_high
    EXPECT_TRUE(has(PagingMode::pae, 2, ReservedClass::alignment_high, 2));
    EXPECT_TRUE(has(PagingMode::long4, 1, ReservedClass::top_page_size, 4));
    EXPECT_TRUE(has(PagingMode::long5, 1, ReservedClass::top_page_size, 5));
    EXPECT_TRUE(has(PagingMode::long4, 1, ReservedClass::amd_bit8, 4));
    EXPECT_TRUE(has(PagingMode::long4, 2, ReservedClass::page_size_no_1g, 3));
    EXPECT_FALSE(has(PagingMode::long4, 3, ReservedClass::page_size_no_1g, 3));  // the 1 GiB leaf itself
    EXPECT_TRUE(has(PagingMode::long4, 3, ReservedClass::alignment_low, 3));
    EXPECT_TRUE(has(PagingMode::long4, 1, ReservedClass::execute_disable, 1));
    // Cases: each placement present and not present, then pairs (default: neighbours; full: every pair).
    const unsigned n = placements(PagingMode::long4, 1).count;
    EXPECT_EQ(reserved_case_count(PagingMode::long4, Space::standard, 1), 2 * n + n - 1);
    EXPECT_EQ(reserved_case_count(PagingMode::long4, Space::full, 1), 2 * n + n * (n - 1) / 2);
}

TEST(MatrixSpace, CountsAddUpInEveryModeAndSpace) {
    for (Space s : kSpaces) {
        for (PagingMode m : kPagingModes) {
            const Counts c = counts(m, s);
            EXPECT_EQ(c.total, count(m, s));
            std::uint64_t sum = c.legal;
            for (unsigned r = 1; r < kRules; ++r) sum += c.removed[r];
            EXPECT_EQ(sum, c.total) << to_string(m) << " " << to_string(s);
            EXPECT_GT(c.legal, 0u);
        }
        EXPECT_LE(count(PagingMode::long4, Space::standard), count(PagingMode::long4, Space::full));
    }
}

// The closed-form counts equal the predicate applied to every decoded index: all of 32-bit paging, and whole blocks
// or segments of the others (with NXE 0/1, PKE 0/1, so every rule is exercised).
TEST(MatrixSpace, ClosedFormCountsEqualThePredicateOnEveryIndex) {
    const Matrix m32(PagingMode::legacy32, Space::standard);
    expect_same_counts(counts(PagingMode::legacy32, Space::standard), brute_force(m32, {0, m32.count()}), "32bit");

    const Matrix pae(PagingMode::pae, Space::standard);
    for (std::uint64_t state : {0u, 1u}) {  // EFER.NXE is the fastest control digit of PAE
        expect_same_counts(block_counts(pae, state),
                           brute_force(pae, block_range(PagingMode::pae, Space::standard, state)), "pae block");
    }
    // 4-level: the 1 GiB rights segment with PKE 1 and with PKE 0 (keys), and every reserved segment of blocks with
    // NXE 0/1 and PKRU set without PKE.
    const Matrix l4(PagingMode::long4, Space::standard);
    std::set<Rule> seen;
    const auto state_where = [&](bool nxe, bool pke, bool ad) {
        std::uint64_t state = 0;
        for (;; ++state) {
            const Controls k = l4.controls(state);
            if (k.smap && k.nxe == nxe && k.pke == pke && k.pkru_ad == ad && !k.pkru_wd) return state;
        }
    };
    const auto check_segments = [&](std::uint64_t state, bool rights) {
        std::uint64_t begin = state * l4.block().size;
        for (unsigned s = 0; s < l4.block().count; ++s) {
            const Segment& seg = l4.block().segment[s];
            if (seg.family == Family::reserved || (rights && seg.leaf_level == 3)) {
                const Counts brute = brute_force(l4, {begin, begin + seg.size});
                expect_same_counts(segment_counts(l4, state, s), brute, "4level segment");
                for (unsigned r = 1; r < kRules; ++r)
                    if (brute.removed[r] != 0) seen.insert(static_cast<Rule>(r));
            }
            begin += seg.size;
        }
    };
    check_segments(state_where(true, true, false), true);
    check_segments(state_where(false, false, false), true);
    check_segments(state_where(true, false, true), false);
    for (Rule r : {Rule::pkru_without_pke, Rule::below_not_present, Rule::not_present_flags, Rule::keys_without_pke,
                   Rule::implicit_fetch, Rule::implicit_write, Rule::implicit_at_cpl0, Rule::ac_without_effect,
                   Rule::xd_reserved_with_nxe})
        EXPECT_TRUE(seen.count(r)) << rule_info(r).name;
}

// Each rule removes what it says, and only that: a combination it names is removed by it, and the same combination
// with the one thing the rule objects to undone is legal.
TEST(MatrixSpace, EachRuleRemovesItsCombinations) {
    struct Case {
        PagingMode mode;
        Rule rule;
        bool (*violates)(const Combination&);
        void (*undo)(Combination&);
    };
    const Case cases[] = {
        {PagingMode::long4, Rule::pkru_without_pke,
         [](const Combination& c) { return !c.controls.pke && c.controls.pkru_wd && !c.controls.pkru_ad; },
         [](Combination& c) { c.controls.pkru_wd = false; }},
        {PagingMode::legacy32, Rule::four_mib_without_pse,
         [](const Combination& c) { return c.leaf_level == 2 && !c.controls.pse && c.flags[2] != 0; },
         [](Combination& c) { c.controls.pse = true; }},
        {PagingMode::pae, Rule::xd_reserved_with_nxe,
         [](const Combination& c) {
             return c.family == Family::reserved && c.controls.nxe &&
                    c.reserved[0].cls == ReservedClass::execute_disable && c.reserved[1].cls == ReservedClass::none;
         },
         [](Combination& c) { c.controls.nxe = false; }},
        {PagingMode::long4, Rule::below_not_present,
         [](const Combination& c) {
             return c.family == Family::rights && c.leaf_level == 1 && (c.flags[4] & entry_bit::present) == 0 &&
                    c.flags[4] == 0 && c.flags[1] == entry_bit::present && !c.access.ac;
         },
         [](Combination& c) { c.flags[1] = 0; }},
        {PagingMode::pae, Rule::not_present_flags,
         [](const Combination& c) {
             return c.family == Family::rights && c.leaf_level == 1 && c.flags[3] == 0 &&
                    c.flags[2] == entry_bit::writable && c.flags[1] == 0;
         },
         [](Combination& c) { c.flags[2] = 0; }},
        {PagingMode::long5, Rule::keys_without_pke,
         [](const Combination& c) {
             return c.family == Family::rights && !c.controls.pke && c.table_key != 0 && c.leaf_key == 0 &&
                    (c.flags[5] & entry_bit::present) != 0 && !c.access.ac;
         },
         [](Combination& c) { c.table_key = 0; }},
        {PagingMode::long4, Rule::implicit_fetch,
         [](const Combination& c) { return c.access.implicit && c.access.type == AccessType::fetch && !c.access.ac; },
         [](Combination& c) { c.access.type = AccessType::read; }},
        {PagingMode::long4, Rule::implicit_write,
         [](const Combination& c) {
             return c.access.implicit && c.access.type == AccessType::write && c.access.cpl == 3 && !c.access.ac;
         },
         [](Combination& c) { c.access.type = AccessType::read; }},
        {PagingMode::long4, Rule::implicit_at_cpl0,
         [](const Combination& c) { return c.access.implicit && c.access.cpl == 0 && !c.access.ac; },
         [](Combination& c) { c.access.cpl = 3; }},
        {PagingMode::legacy32, Rule::ac_without_effect,
         [](const Combination& c) { return c.access.ac && !c.controls.smap && c.access.type == AccessType::read; },
         [](Combination& c) { c.controls.smap = true; }},
    };
    for (const Case& k : cases) {
        const Matrix m(k.mode, Space::standard);
        // The first combination that violates the rule and is legal once the violation is undone.
        const std::uint64_t i = find_index(m, [&](const Combination& c) {
            Combination undone = c;
            k.undo(undone);
            return k.violates(c) && legality(m, undone) == Rule::legal;
        });
        ASSERT_LT(i, m.count()) << rule_info(k.rule).name;
        Combination c = m.decode(i);
        EXPECT_EQ(legality(m, c), k.rule) << rule_info(k.rule).name;
        k.undo(c);
        ASSERT_LT(m.encode(c), m.count()) << rule_info(k.rule).name;
        EXPECT_EQ(legality(m, c), Rule::legal) << rule_info(k.rule).name;
        EXPECT_GT(counts(k.mode, Space::standard).removed[static_cast<unsigned>(k.rule)], 0u);
    }
}

TEST(MatrixSpace, EveryLegalCombinationIsVisitedOnceAndNoRemovedOne) {
    const Matrix m(PagingMode::legacy32, Space::standard);
    std::uint64_t previous = 0, visits = 0;
    const std::uint64_t n = for_each_legal(m, {0, m.count()}, [&](std::uint64_t i, const Combination& c) {
        EXPECT_TRUE(visits == 0 || i > previous);
        EXPECT_EQ(legality(m, c), Rule::legal);
        EXPECT_FALSE(c.access.implicit && c.access.cpl == 0);
        previous = i;
        ++visits;
    });
    EXPECT_EQ(n, counts(PagingMode::legacy32, Space::standard).legal);
    EXPECT_EQ(visits, n);
    // The removed PKRU blocks of 4-level paging are skipped whole and yield nothing.
    const Matrix l4(PagingMode::long4, Space::standard);
    std::uint64_t state = 0;
    while (!(l4.controls(state).pkru_ad && !l4.controls(state).pke)) ++state;
    EXPECT_EQ(for_each_legal(l4, block_range(PagingMode::long4, Space::standard, state),
                             [](std::uint64_t, const Combination&) {}),
              0u);
}

TEST(MatrixSpace, ShardsCoverTheSpaceOnceInOrder) {
    for (std::uint32_t n : {1u, 2u, 3u, 7u, 64u}) {
        const std::uint64_t total = count(PagingMode::legacy32, Space::standard);
        std::uint64_t expected_begin = 0;
        for (std::uint32_t k = 0; k < n; ++k) {
            const IndexRange r = shard(total, k, n);
            EXPECT_EQ(r.begin, expected_begin) << k << "/" << n;
            EXPECT_LE(r.begin, r.end);
            EXPECT_LE(r.size(), total / n + 1);
            expected_begin = r.end;
        }
        EXPECT_EQ(expected_begin, total) << n;
    }
    // The legal combinations of the shards add up to the legal count: no overlap, nothing lost.
    const Matrix m(PagingMode::legacy32, Space::standard);
    std::uint64_t legal = 0;
    for (std::uint32_t k = 0; k < 5; ++k)
        legal += for_each_legal(m, shard(m.count(), k, 5), [](std::uint64_t, const Combination&) {});
    EXPECT_EQ(legal, counts(PagingMode::legacy32, Space::standard).legal);
    // Large spaces do not overflow: the last shard of the full 5-level space ends at its count.
    const std::uint64_t big = count(PagingMode::long5, Space::full);
    EXPECT_EQ(shard(big, 999, 1000).end, big);
    EXPECT_EQ(shard(big, 500, 1000).begin, shard(big, 499, 1000).end);
}

TEST(MatrixSpace, SeededOrderIsAReproducibleBijection) {
    for (std::uint64_t n : {1ull, 2ull, 1000ull, 4096ull, 5000ull}) {
        const Permutation p(n, 42);
        std::vector<bool> hit(n, false);
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::uint64_t v = p[i];
            ASSERT_LT(v, n);
            EXPECT_FALSE(hit[v]) << "index " << v << " twice in " << n;
            hit[v] = true;
        }
    }
    const std::uint64_t total = count(PagingMode::long5, Space::full);
    const Permutation a(total, 7), b(total, 7), c(total, 8);
    unsigned differs = 0;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        EXPECT_EQ(a[i], b[i]);
        EXPECT_LT(a[i], total);
        differs += a[i] != c[i] ? 1 : 0;
    }
    EXPECT_GT(differs, 990u);
}

TEST(MatrixSpace, DecodeAndEncodeAreInverse) {
    // Every index of 32-bit paging, and a seeded sample of every mode and space: encode(decode(i)) == i, so decode
    // gives a different combination for every index.
    const Matrix m32(PagingMode::legacy32, Space::standard);
    for (std::uint64_t i = 0; i < m32.count(); ++i) ASSERT_EQ(m32.encode(m32.decode(i)), i);
    for (Space s : kSpaces) {
        for (PagingMode mode : kPagingModes) {
            const Matrix m(mode, s);
            const Permutation p(m.count(), 1);
            for (std::uint64_t i = 0; i < 20000; ++i) {
                const std::uint64_t index = p[i];
                const Combination c = m.decode(index);
                ASSERT_EQ(m.encode(c), index) << to_string(mode) << " " << to_string(s);
                EXPECT_EQ(c.mode, mode);
            }
        }
    }
}

TEST(MatrixSpace, ABlockIsOneControlState) {
    const Matrix m(PagingMode::long4, Space::standard);
    for (std::uint64_t state : {0ull, 37ull, 127ull}) {
        const IndexRange r = block_range(PagingMode::long4, Space::standard, state);
        const Controls k = m.controls(state);
        for (std::uint64_t i : {r.begin, r.begin + 1, r.begin + r.size() / 2, r.end - 1})
            EXPECT_EQ(m.decode(i).controls, k) << i;
        if (state + 1 < m.states()) {
            EXPECT_FALSE(m.decode(r.end).controls == k);
        }
    }
}

namespace {

/// Tables in a host buffer for one walk: the level-L table at (6 - L) * 4 KiB, the page at 1 GiB (never read).
struct Tables {
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(0x6000, 0);
    Layout layout{};

    explicit Tables(PagingMode mode) {
        const ModeShape s = shape(mode);
        for (unsigned l = 1; l <= s.levels; ++l) {
            layout.table_pa[l] = std::uint64_t{6 - l} * 0x1000;
            // A different index at every level, so that an entry read from the wrong slot reads zero.
            layout.va |= std::uint64_t{(2 * l + 1) & (s.at(l).entries() - 1)} << s.at(l).shift;
        }
        layout.va = s.canonical(layout.va | 0x123);
        layout.page_pa = std::uint64_t{1} << 30;
    }
    void write(const WalkerInputs& in, unsigned levels, unsigned leaf, unsigned bytes, bool clear) {
        for (unsigned l = levels; l >= leaf && l >= 1; --l) {
            const std::uint64_t v = clear ? 0 : in.entry[l];
            std::memcpy(buffer.data() + in.entry_pa[l], &v, bytes);
        }
    }
};

}  // namespace

// translate on decoded combinations does not crash, and yields every kind of outcome; reserved bits in a not-present
// entry give P = 0 without RSVD, in a present one RSVD (or #GP for a PAE PDPTE).
TEST(MatrixSpace, TranslateOnDecodedCombinationsYieldsEveryFaultClass) {
    CpuFeatures amd{};
    amd.maxphyaddr = 46;  // so that physical-address bits are reserved
    amd.vendor = Vendor::amd;
    CpuFeatures no1g = amd;
    no1g.page1gb = false;
    no1g.vendor = Vendor::intel;
    std::set<std::uint16_t> causes;
    unsigned mappings = 0, gp = 0, not_applicable = 0, reserved_np = 0, reserved_present = 0;
    const auto check = [&](const Matrix& m, const CpuFeatures& cpu, Tables& t, std::uint64_t index) {
        const Combination c = m.decode(index);
        if (legality(m, c) != Rule::legal) return;
        const WalkerInputs in = walker_inputs(c, cpu, t.layout);
        if (in.status != Applicability::applies) {
            ++not_applicable;
            return;
        }
        const ModeShape s = shape(m.mode());
        t.write(in, s.levels, c.leaf_level, s.entry_bytes, false);
        OffsetMemory memory(t.buffer.data(), t.buffer.size());
        const TranslateResult r = translate(in.context, memory, t.layout.va, in.access);
        t.write(in, s.levels, c.leaf_level, s.entry_bytes, true);
        const char* mode = to_string(m.mode());
        ASSERT_NE(r.kind(), TranslateResult::Kind::memory_error) << mode << " " << index;
        if (auto map = r.mapping()) {
            ++mappings;
            EXPECT_EQ(map->level, c.leaf_level);
            EXPECT_EQ(map->page_pa(), t.layout.page_pa);
        }
        if (r.general_protection()) ++gp;
        const auto f = r.page_fault();
        if (f) causes.insert(f->causes);
        if (c.family != Family::reserved) return;
        const unsigned holder = c.reserved[0].level;  // the top-most holder comes first
        if (!c.holder_present) {
            ++reserved_np;
            ASSERT_TRUE(f.has_value()) << mode << " " << index;
            EXPECT_EQ(f->error_code & (pf::p | pf::rsvd), 0u) << mode << " " << index;
            EXPECT_EQ(f->level, holder) << mode << " " << index;
        } else if (r.general_protection()) {
            EXPECT_EQ(m.mode(), PagingMode::pae);
            EXPECT_EQ(holder, 3u);
        } else {
            ++reserved_present;
            ASSERT_TRUE(f.has_value()) << mode << " " << index;
            EXPECT_EQ(f->error_code & (pf::p | pf::rsvd), pf::p | pf::rsvd) << mode << " " << index;
            EXPECT_EQ(f->level, holder) << mode << " " << index;
            EXPECT_EQ(f->reserved_bits & in.reserved_bits, f->reserved_bits) << mode << " " << index;
        }
    };
    for (const CpuFeatures& cpu : {amd, no1g}) {
        for (PagingMode mode : kPagingModes) {
            const Matrix m(mode, Space::standard);
            Tables t(mode);
            // A seeded sample of the whole space, and every reserved case of every third block.
            const Permutation order(m.count(), 3);
            for (std::uint64_t i = 0; i < 40000; ++i) check(m, cpu, t, order[i]);
            for (std::uint64_t state = 0; state < m.states(); state += 3) {
                std::uint64_t begin = state * m.block().size;
                for (unsigned s = 0; s < m.block().count; ++s) {
                    const Segment& seg = m.block().segment[s];
                    if (seg.family == Family::reserved)
                        for (std::uint64_t i = begin; i < begin + seg.size; ++i) check(m, cpu, t, i);
                    begin += seg.size;
                }
            }
        }
    }
    std::uint16_t all = 0;
    for (std::uint16_t c : causes) all |= c;
    for (std::uint16_t cause :
         {fault_cause::not_present, fault_cause::reserved_bit, fault_cause::user_supervisor, fault_cause::write_protect,
          fault_cause::execute_disable, fault_cause::smep, fault_cause::smap, fault_cause::pkey})
        EXPECT_NE(all & cause, 0) << "fault cause " << cause << " never seen";
    EXPECT_GT(mappings, 0u);
    EXPECT_GT(gp, 0u);
    EXPECT_GT(reserved_np, 0u);
    EXPECT_GT(reserved_present, 0u);
    EXPECT_GT(not_applicable, 0u);  // e.g. AMD bit 8 on the Intel CPU, PS without 1 GiB pages on the AMD one
}

// PKRU gives the leaf's key the control state's AD/WD and denies the decoy key of table entries outright, so that a
// walk taking a table entry's key instead of the leaf's faults with PK.
TEST(MatrixSpace, PkruDeniesTheDecoyKeyOfTableEntries) {
    const Matrix m(PagingMode::long4, Space::standard);
    std::uint64_t state = 0;  // the first block with CR4.PKE = 1 and PKRU allowing the leaf's key
    while (!(m.controls(state).pke && !m.controls(state).pkru_ad && !m.controls(state).pkru_wd)) ++state;
    std::uint64_t i = block_range(PagingMode::long4, Space::standard, state).begin;
    for (;; ++i) {
        const Combination c = m.decode(i);
        if (c.table_key == kDecoyKey && c.leaf_key == kLeafKey && c.access.cpl == 3 && !c.access.implicit &&
            c.access.type == AccessType::read && legality(m, c) == Rule::legal)
            break;
    }
    const Combination c = m.decode(i);
    ASSERT_EQ(c.family, Family::rights);
    Layout layout{};
    layout.table_pa[4] = 0x1000;
    const WalkerInputs in = walker_inputs(c, CpuFeatures{}, layout);
    ASSERT_EQ(in.status, Applicability::applies);
    const Rights user_page{true, true, true};
    EXPECT_TRUE(check_access(in.context, user_page, kLeafKey, in.access).allowed());
    const AccessCheck decoy = check_access(in.context, user_page, kDecoyKey, in.access);
    EXPECT_EQ(decoy.causes, fault_cause::pkey);
    // AD of the leaf's key follows the control state.
    Combination denied = c;
    denied.controls.pkru_ad = true;
    EXPECT_FALSE(
        check_access(in.context, user_page, kLeafKey, walker_inputs(denied, CpuFeatures{}, layout).access).allowed());
}

// A rule's run (illegal_run) reaches only indices the predicate removes, and a loop that jumps over the runs visits
// the same legal combinations as one that decodes every index.
TEST(MatrixSpace, IllegalRunsHoldOnlyRemovedCombinations) {
    for (PagingMode mode : {PagingMode::legacy32, PagingMode::pae, PagingMode::long4}) {
        const Matrix m(mode, Space::standard);
        const std::uint64_t end = m.block().size * 2 < m.count() ? m.block().size * 2 : m.count();
        std::uint64_t legal_jumping = 0, legal_every = 0, jumped = 0;
        for (std::uint64_t i = 0; i < end; ++i)
            if (legality(m, m.decode(i)) == Rule::legal) ++legal_every;
        for (std::uint64_t i = 0; i < end;) {
            const Rule r = legality(m, m.decode(i));
            if (r == Rule::legal) {
                ++legal_jumping;
                ++i;
                continue;
            }
            const std::uint64_t run = illegal_run(m, i, r);
            ASSERT_GE(run, 1u);
            for (std::uint64_t j = i; j < i + run && j < end; j += 97)
                ASSERT_NE(legality(m, m.decode(j)), Rule::legal) << to_string(mode) << " index " << j;
            jumped += run - 1;
            i += run;
        }
        EXPECT_EQ(legal_jumping, legal_every) << to_string(mode);
        EXPECT_GT(jumped, end / 2) << to_string(mode);
    }
}

// Within an access group only the access digits change: set_access on another index's combination of the group gives
// decode's combination, and legality_in_group from the group's first rule gives legality's answer.
TEST(MatrixSpace, AnAccessGroupDiffersOnlyInItsAccess) {
    for (PagingMode mode : kPagingModes) {
        const Matrix m(mode, Space::standard);
        const Permutation order(m.count() / kAccessGroup, 7);
        for (std::uint64_t k = 0; k < 2000; ++k) {
            const std::uint64_t first = order[k] * kAccessGroup;
            const Combination head = m.decode(first + k % kAccessGroup);  // the loop's first visit: any of the group
            const Rule head_rule = legality(m, head);
            for (std::uint32_t a = 0; a < kAccessGroup; ++a) {
                Combination c = head;
                m.set_access(c, first + a);
                ASSERT_EQ(c, m.decode(first + a)) << to_string(mode) << " index " << first + a;
                ASSERT_EQ(legality_in_group(head_rule, c), legality(m, c)) << to_string(mode) << " index " << first + a;
            }
        }
    }
}

// A block's access table gives, at every position of an access group, what decoding gives: the access, the access
// rules' verdict, and the run detail::access_run() finds; decode_in_block gives decode's combination.
TEST(MatrixSpace, TheAccessTableMatchesDecoding) {
    for (PagingMode mode : kPagingModes) {
        const Matrix m(mode, Space::standard);
        const std::uint64_t states = m.count() / m.block().size;
        for (std::uint64_t state = 0; state < states; ++state) {
            const Controls k = m.controls(state);
            const AccessTable table(m, k);
            const std::uint64_t first = state * m.block().size + (state * 7919 % (m.block().size / kAccessGroup)) *
                                                                     kAccessGroup;  // some group of the block
            for (std::uint32_t p = 0; p < kAccessGroup; ++p) {
                const Combination c = m.decode(first + p);
                ASSERT_EQ(c, m.decode_in_block(first + p - state * m.block().size, k));
                ASSERT_EQ(table.access[p], c.access) << to_string(mode) << " position " << p;
                ASSERT_EQ(table.rule[p], access_legality(c.access, k)) << to_string(mode) << " position " << p;
                const std::uint64_t run =
                    table.rule[p] == Rule::legal ? 0 : pagewalk::harness::matrix::detail::access_run(m, first + p, k);
                ASSERT_EQ(table.run[p], run) << to_string(mode) << " state " << state << " position " << p;
            }
        }
    }
}

// The block cursor is decoding: wherever it goes — one offset at a time across every segment boundary, jumping over
// illegal runs through a whole block as the guest does, or by strides — its combination and legality are those of
// decode_in_block() and legality() at its offset, and its run is at least illegal_run()'s and holds only illegal
// indices (the whole-block walk that jumps them still counts every legal one).
TEST(MatrixSpace, TheBlockCursorIsDecoding) {
    for (PagingMode mode : kPagingModes) {
        const Matrix m(mode, Space::standard);
        const std::uint64_t size = m.block().size;
        for (std::uint64_t state : {std::uint64_t{0}, m.states() / 3, m.states() - 1}) {
            const Controls k = m.controls(state);
            const AccessTable table(m, k);
            const auto same = [&](BlockCursor& cur) {
                const Combination c = m.decode_in_block(cur.offset(), k);
                EXPECT_EQ(cur.combination(), c) << to_string(mode) << " state " << state << " offset " << cur.offset();
                const Rule r = legality(m, c);
                EXPECT_EQ(cur.rule(), r) << to_string(mode) << " state " << state << " offset " << cur.offset();
                if (r != Rule::legal) {
                    // At least the rule's own run, and only illegal indices (every one of a short run, else 16 and the
                    // last).
                    const std::uint64_t run = cur.run(), at = state * size + cur.offset();
                    EXPECT_GE(run, illegal_run(m, at, r))
                        << to_string(mode) << " state " << state << " offset " << cur.offset();
                    EXPECT_LE(cur.offset() + run, size);
                    const std::uint64_t step = run <= 64 ? 1 : run / 16;
                    for (std::uint64_t o = 0; o < run && cur.offset() + o < size; o += step)
                        EXPECT_NE(legality(m, m.decode(at + o)), Rule::legal)
                            << to_string(mode) << " state " << state << " offset " << cur.offset() + o
                            << " in the run from " << cur.offset();
                    EXPECT_NE(legality(m, m.decode(at + run - 1)), Rule::legal);
                }
                return !::testing::Test::HasFailure();
            };
            // One at a time, from the start and across each segment's end.
            std::uint64_t start = 0;
            for (unsigned s = 0; s <= m.block().count; ++s) {
                const std::uint64_t from = start > 3000 ? start - 3000 : 0;
                BlockCursor cur(m, k, table, from);
                for (std::uint64_t o = from; o < start + 3000 && !cur.done(); ++o, cur.advance(1))
                    ASSERT_TRUE(same(cur));
                if (s < m.block().count) start += m.block().segment[s].size;
            }
            // The whole block, jumping over every illegal run.
            std::uint64_t legal = 0;
            for (BlockCursor cur(m, k, table, 0); !cur.done();) {
                ASSERT_TRUE(same(cur));
                if (cur.rule() == Rule::legal) {
                    ++legal;
                    cur.advance(1);
                } else {
                    cur.advance(cur.run());
                }
            }
            EXPECT_EQ(legal, block_counts(m, state).legal) << to_string(mode) << " state " << state;
            // Strides, from an odd offset.
            for (std::uint64_t stride : {7ull, 24ull, 1009ull, 65537ull}) {
                BlockCursor cur(m, k, table, 3);
                for (unsigned n = 0; n < 2000 && !cur.done(); ++n, cur.advance(stride)) ASSERT_TRUE(same(cur));
            }
        }
    }
}
