// SPDX-License-Identifier: MIT OR Apache-2.0
// The scenario compiler's shadow of the address space (host/scenario/shadow_address_space.hpp): what the map, unmap
// and recursive steps left, page by page.
#include "scenario/shadow_address_space.hpp"

#include <gtest/gtest.h>

using namespace pagewalk::host::scenario;

namespace {

constexpr std::uint64_t kVa = 0x4000'0000;

TEST(ShadowAddressSpace, MapsDataAndAbsolutePagesAndForgetsThemOnUnmap) {
    ShadowAddressSpace s;
    s.map_data(kVa, 0x2000, 0x5000);
    ASSERT_TRUE(s.data_offset(kVa + 0x1000));
    EXPECT_EQ(*s.data_offset(kVa + 0x1000), 0x6000u);
    ASSERT_TRUE(s.target(kVa));
    EXPECT_TRUE(s.target(kVa)->data);
    EXPECT_EQ(s.target(kVa)->pa, 0x5000u);
    EXPECT_FALSE(s.target(kVa + 0x2000)) << "past the mapped range";

    s.map_absolute(kVa + 0x1000, 0x1000, 0x8000'0000);  // a remap to an absolute page: no data offset any more
    EXPECT_FALSE(s.data_offset(kVa + 0x1000));
    EXPECT_TRUE(s.data_offset(kVa));
    ASSERT_TRUE(s.target(kVa + 0x1000));
    EXPECT_FALSE(s.target(kVa + 0x1000)->data);
    EXPECT_EQ(s.target(kVa + 0x1000)->pa, 0x8000'0000u);

    s.set_global(kVa, 0x2000, true);
    s.unmap(kVa, 0x1000);
    EXPECT_FALSE(s.target(kVa));
    EXPECT_FALSE(s.data_offset(kVa));
    EXPECT_FALSE(s.any_global(kVa, 0x1000));
    EXPECT_TRUE(s.any_global(kVa, 0x2000)) << "the second page stays global";
}

TEST(ShadowAddressSpace, GlobalPagesAreListedInOrderAndCleared) {
    ShadowAddressSpace s;
    s.set_global(kVa, 0x3000, true);
    s.set_global(kVa + 0x1000, 0x1000, false);
    EXPECT_EQ(s.globals_in(kVa, 0x3000), (std::vector<std::uint64_t>{kVa, kVa + 0x2000}));
    EXPECT_TRUE(s.any_global(kVa + 0x123, 0x10)) << "the page of an unaligned address counts";
    EXPECT_FALSE(s.any_global(kVa + 0x1000, 0x1000));
}

TEST(ShadowAddressSpace, PageSizeIsTheSmallestOfTheOverlappingMapSteps) {
    ShadowAddressSpace s;
    EXPECT_EQ(s.page_size_of(kVa, 0x1000), 4096u) << "nothing mapped: what INVLPG removes at least";
    s.add_range({kVa, kVa + (4ull << 20), 1, 2ull << 20});
    EXPECT_EQ(s.page_size_of(kVa, 0x1000), 2ull << 20);
    s.add_range({kVa + (2ull << 20), kVa + (3ull << 20), 2, 4096});
    EXPECT_EQ(s.page_size_of(kVa, 4ull << 20), 4096u);
    EXPECT_EQ(s.page_size_of(kVa, 0x1000), 2ull << 20) << "the 4 KiB range does not overlap the first page";
    ASSERT_EQ(s.ranges().size(), 2u);
    EXPECT_EQ(s.ranges()[1].step, 2u);
}

TEST(ShadowAddressSpace, RemembersSlotsAndTheLatestOne) {
    ShadowAddressSpace s;
    EXPECT_FALSE(s.latest_slot());
    s.add_slot(300, {0x1000'0000'0000, 0x1000'0000'0000 + (512ull << 30)});
    s.add_slot(301, {0x2000'0000'0000, 0x2000'0000'0000 + (512ull << 30)});
    ASSERT_TRUE(s.latest_slot());
    EXPECT_EQ(*s.latest_slot(), 301u);
    EXPECT_EQ(s.slot_regions().size(), 2u);
}

}  // namespace
