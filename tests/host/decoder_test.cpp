// SPDX-License-Identifier: MIT OR Apache-2.0
// The one record decoder: every field bounds-checked, garbage gives an error value.
#include <gtest/gtest.h>

#include <cstddef>
#include <pagewalk/harness/decoder.hpp>
#include <random>

#include "record_builders.hpp"

using namespace pagewalk;
using harness::DecodeError;

namespace {

DecodeError decode(const std::vector<std::uint8_t>& v) {
    return harness::decode(v.data(), v.size()).error;
}

}  // namespace

TEST(Decoder, AcceptsEachRecordType) {
    const auto h = test::hello();
    const auto r = harness::decode(h.data(), h.size());
    ASSERT_TRUE(r.ok());
    ASSERT_NE(r.record.hello(), nullptr);
    EXPECT_EQ(r.record.hello()->code_bits, 64);
    EXPECT_EQ(r.record.log(), nullptr);
    EXPECT_EQ(decode(test::log("hi")), DecodeError::ok);
    EXPECT_EQ(decode(test::log("")), DecodeError::ok);
    EXPECT_EQ(decode(test::exception()), DecodeError::ok);
    EXPECT_EQ(decode(test::final_record(3, 3, 0)), DecodeError::ok);
}

TEST(Decoder, LogTextIsCopiedExactly) {
    const auto v = test::log("page fault");
    const auto r = harness::decode(v.data(), v.size());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::string(r.record.log()->text, r.record.log()->text_length), "page fault");
}

TEST(Decoder, TruncatedRecordsAreErrors) {
    EXPECT_EQ(harness::decode(nullptr, 0).error, DecodeError::truncated);
    auto h = test::hello();
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}})
        EXPECT_EQ(harness::decode(h.data(), n).error, DecodeError::truncated) << n;
    EXPECT_EQ(harness::decode(h.data(), 16).error, DecodeError::truncated);  // header says 104
    EXPECT_EQ(harness::decode(h.data(), h.size() - 1).error, DecodeError::truncated);
}

TEST(Decoder, BadMagicIsRejected) {
    auto h = test::hello();
    test::poke<std::uint32_t>(h, offsetof(harness::RecordHeader, magic), 0xdeadbeef);
    EXPECT_EQ(decode(h), DecodeError::bad_magic);
}

TEST(Decoder, OtherProtocolVersionIsRejected) {
    auto h = test::hello();
    test::poke<std::uint16_t>(h, offsetof(harness::RecordHeader, version), harness::kProtocolVersion + 1);
    EXPECT_EQ(decode(h), DecodeError::bad_version);
}

TEST(Decoder, LengthOutsideBoundsOrDifferentFromSizeIsRejected) {
    auto h = test::hello();
    test::poke<std::uint32_t>(h, offsetof(harness::RecordHeader, length), 8);
    EXPECT_EQ(decode(h), DecodeError::bad_length);
    test::poke<std::uint32_t>(h, offsetof(harness::RecordHeader, length), harness::kMaxRecordSize + 1);
    EXPECT_EQ(decode(h), DecodeError::bad_length);
    test::poke<std::uint32_t>(h, offsetof(harness::RecordHeader, length), 0xffffffff);
    EXPECT_EQ(decode(h), DecodeError::bad_length);
    auto longer = test::hello();
    longer.push_back(0);  // trailing byte
    EXPECT_EQ(decode(longer), DecodeError::bad_length);
}

TEST(Decoder, UnknownAndReservedTypesAreRejected) {
    auto h = test::hello();
    for (int t : {0, 5, 0x1f, 0x3f, 0xffff}) {
        test::poke<std::uint16_t>(h, offsetof(harness::RecordHeader, type), static_cast<std::uint16_t>(t));
        EXPECT_EQ(decode(h), DecodeError::unknown_type) << t;
    }
}

TEST(Decoder, LengthMustMatchTheTypeLayout) {
    auto h = test::hello();
    test::poke<std::uint16_t>(h, offsetof(harness::RecordHeader, type),
                              static_cast<std::uint16_t>(harness::RecordType::final));
    EXPECT_EQ(decode(h), DecodeError::bad_payload_length);
    auto l = test::log("abc");
    test::poke<std::uint16_t>(l, offsetof(harness::LogRecord, text_length), 2);
    EXPECT_EQ(decode(l), DecodeError::bad_payload_length);
}

TEST(Decoder, FieldsOutOfRangeAreRejected) {
    EXPECT_EQ(decode(test::exception(2, 32)), DecodeError::bad_field);
    auto x = test::exception();
    x[offsetof(harness::ExceptionRecord, code_bits)] = 16;
    EXPECT_EQ(decode(x), DecodeError::bad_field);
    auto h = test::hello();
    h[offsetof(harness::HelloRecord, entry_path)] = 9;
    EXPECT_EQ(decode(h), DecodeError::bad_field);
    auto l = test::log("abc");
    test::poke<std::uint16_t>(l, offsetof(harness::LogRecord, text_length), harness::kMaxLogText + 1);
    EXPECT_EQ(decode(l), DecodeError::bad_field);
    auto f = test::final_record(1, 1, 0);
    test::poke<std::uint32_t>(f, offsetof(harness::FinalRecord, status), 99);
    EXPECT_EQ(decode(f), DecodeError::bad_field);
}

TEST(Decoder, RandomGarbageNeverDecodesAndNeverCrashes) {
    std::mt19937 rng(42);
    std::vector<std::uint8_t> buf(600);
    for (int i = 0; i < 20000; ++i) {
        const std::size_t n = rng() % buf.size();
        for (std::size_t j = 0; j < n; ++j) buf[j] = static_cast<std::uint8_t>(rng());
        if (i % 2 == 0 && n >= 16) test::poke<std::uint32_t>(buf, 0, harness::kRecordMagic);  // get past the magic
        const auto r = harness::decode(buf.data(), n);
        if (r.ok()) {
            EXPECT_LE(r.record.size(), n);
        }
    }
}
