// SPDX-License-Identifier: MIT OR Apache-2.0
// Stream integrity: hello first, no gaps, final counts and digest, nothing after final.
#include <gtest/gtest.h>

#include <pagewalk/harness/stream.hpp>

#include "record_builders.hpp"

using namespace pagewalk;
using harness::StreamError;

namespace {

harness::DecodedRecord rec(const std::vector<std::uint8_t>& v) {
    auto r = harness::decode(v.data(), v.size());
    EXPECT_TRUE(r.ok());
    return r.record;
}

std::uint32_t digest_of(std::initializer_list<std::vector<std::uint8_t>> recs) {
    harness::Crc32c c;
    for (const auto& r : recs) c.update(r.data(), r.size());
    return c.value();
}

}  // namespace

TEST(Stream, CompleteStreamPasses) {
    const auto h = test::hello(0), l = test::log("x", 1), x = test::exception(2);
    harness::StreamChecker s;
    EXPECT_EQ(s.feed(rec(h)), StreamError::ok);
    EXPECT_EQ(s.feed(rec(l)), StreamError::ok);
    EXPECT_EQ(s.feed(rec(x)), StreamError::ok);
    EXPECT_EQ(s.feed(rec(test::final_record(3, 3, digest_of({h, l, x})))), StreamError::ok);
    EXPECT_EQ(s.finish(), StreamError::ok);
}

TEST(Stream, FirstRecordMustBeHello) {
    harness::StreamChecker s;
    EXPECT_EQ(s.feed(rec(test::log("x", 0))), StreamError::first_not_hello);
    EXPECT_EQ(s.finish(), StreamError::first_not_hello);
}

TEST(Stream, SequenceGapIsAnError) {
    harness::StreamChecker s;
    s.feed(rec(test::hello(0)));
    EXPECT_EQ(s.feed(rec(test::log("x", 2))), StreamError::bad_sequence);
}

TEST(Stream, StopBeforeFinalIsNeverAPass) {
    harness::StreamChecker s;
    s.feed(rec(test::hello(0)));
    EXPECT_EQ(s.finish(), StreamError::no_final);
}

TEST(Stream, FinalCountAndDigestMustMatch) {
    const auto h = test::hello(0);
    harness::StreamChecker a;
    a.feed(rec(h));
    EXPECT_EQ(a.feed(rec(test::final_record(1, 2, digest_of({h})))), StreamError::count_mismatch);
    harness::StreamChecker b;
    b.feed(rec(h));
    EXPECT_EQ(b.feed(rec(test::final_record(1, 1, digest_of({h}) ^ 1))), StreamError::digest_mismatch);
}

TEST(Stream, NothingMayFollowFinal) {
    const auto h = test::hello(0);
    harness::StreamChecker s;
    s.feed(rec(h));
    s.feed(rec(test::final_record(1, 1, digest_of({h}))));
    EXPECT_EQ(s.feed(rec(test::log("late", 2))), StreamError::after_final);
}
