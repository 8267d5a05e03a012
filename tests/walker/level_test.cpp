// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk::Level: levels numbered from the bottom as the SDM does (1 = PTE … 5 = PML5E), a strong type the
// runtime geometry (ModeShape, Context rules, entry names) accepts besides the bare number.
#include <gtest/gtest.h>

#include <pagewalk/pagewalk.hpp>
#include <type_traits>

namespace {

using namespace pagewalk;

// Compile time: the numbering, the walk down, the comparisons.
static_assert(kPte.value() == 1 && kPde.value() == 2 && kPdpte.value() == 3 && kPml4e.value() == 4 &&
              kPml5e.value() == 5);
static_assert(kPml5e.next_lower() == kPml4e && kPml4e.next_lower() == kPdpte && kPdpte.next_lower() == kPde &&
              kPde.next_lower() == kPte);
static_assert(!kPte.next_lower().valid() && kPte.next_lower().value() == 0 &&
              kPte.next_lower().next_lower() == Level{0});
static_assert(kPte.next_higher() == kPde && kPml4e.next_higher() == kPml5e && !kPml5e.next_higher().valid());
static_assert(kPte < kPde && kPde <= kPde && kPml5e > kPml4e && kPdpte >= kPde && kPte != kPde);
static_assert(!std::is_convertible_v<unsigned, Level>, "a bare number is no level without saying so");
static_assert(!std::is_convertible_v<Level, unsigned>);
static_assert(sizeof(Level) == 1 && std::is_trivially_copyable_v<Level>);
static_assert(shape(PagingMode::long4).top() == kPml4e && shape(PagingMode::long5).top() == kPml5e &&
              shape(PagingMode::pae).top() == kPdpte && shape(PagingMode::legacy32).top() == kPde);
static_assert(shape(PagingMode::long4).at(kPde).span() == (2ull << 20) &&
              shape(PagingMode::legacy32).at(kPde).span() == (4ull << 20));
static_assert(shape(PagingMode::pae).has(kPdpte) && !shape(PagingMode::pae).has(kPml4e) &&
              !shape(PagingMode::long4).has(Level{0}));
static_assert(entry_name(kPml4e)[3] == '4' && entry_name(Level{0})[0] == '?');

TEST(Level, WalkingDownFromTheTopVisitsEachLevelOfTheModeOnce) {
    for (const PagingMode m : kPagingModes) {
        const ModeShape s = shape(m);
        unsigned visited = 0;
        std::uint8_t previous_shift = 64;
        for (Level l = s.top(); l.valid(); l = l.next_lower()) {
            ASSERT_TRUE(s.has(l)) << to_string(m) << " level " << l.value();
            EXPECT_EQ(&s.at(l), &s.at(l.value())) << "the Level and the number overloads name the same level";
            EXPECT_LT(s.at(l).shift, previous_shift) << "a lower level indexes lower address bits";
            previous_shift = s.at(l).shift;
            ++visited;
        }
        EXPECT_EQ(visited, s.levels) << to_string(m);
    }
}

TEST(Level, ContextRuleAndEntryNameAcceptALevel) {
    const Context ctx = Context::for_mode(PagingMode::long4, 0x1000);
    EXPECT_EQ(&ctx.rule(kPde), &ctx.rule(2u));
    EXPECT_STREQ(entry_name(kPdpte), "PDPTE");
    EXPECT_STREQ(entry_name(kPte), entry_name(1u));
}

}  // namespace
