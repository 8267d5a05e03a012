// SPDX-License-Identifier: MIT OR Apache-2.0
// The scenario runner's records (types 0x10-0x14) pass the one decoder; out-of-range fields are refused.
#include <gtest/gtest.h>

#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/runner_records.hpp>

#include "record_builders.hpp"

using namespace pagewalk;
using harness::DecodeError;

namespace {

template <class T>
DecodeError decode(T rec, harness::RecordType type) {
    rec.header = harness::make_header(type, sizeof rec);
    return harness::decode(reinterpret_cast<const std::uint8_t*>(&rec), sizeof rec).error;
}

harness::AccessRecord access() {
    harness::AccessRecord a{};
    a.kind = 1;
    a.cpl = 3;
    a.chain_count = 4;
    a.prediction.chain_count = 4;
    return a;
}

}  // namespace

TEST(RunnerRecords, EachTypeDecodes) {
    harness::RunInfoRecord ri{};
    ri.mode = 4;
    ri.code_bits = 64;
    EXPECT_EQ(decode(ri, harness::RecordType::run_info), DecodeError::ok);
    harness::AnnounceRecord an{};
    an.mode = 3;
    EXPECT_EQ(decode(an, harness::RecordType::announce), DecodeError::ok);
    EXPECT_EQ(decode(access(), harness::RecordType::access), DecodeError::ok);
    harness::EntryRecord e{};
    e.level = 2;
    EXPECT_EQ(decode(e, harness::RecordType::entry), DecodeError::ok);
    harness::StepFailedRecord sf{};
    sf.reason = static_cast<std::uint8_t>(harness::StepFailure::mapper_error);
    EXPECT_EQ(decode(sf, harness::RecordType::step_failed), DecodeError::ok);

    const auto bytes = test::bytes_of(access());
    auto rec = access();
    rec.header = harness::make_header(harness::RecordType::access, sizeof rec);
    const auto r = harness::decode(reinterpret_cast<const std::uint8_t*>(&rec), sizeof rec);
    ASSERT_TRUE(r.ok());
    ASSERT_NE(r.record.access(), nullptr);
    EXPECT_EQ(r.record.access()->cpl, 3);
    EXPECT_EQ(r.record.announce(), nullptr);
}

TEST(RunnerRecords, FieldsOutOfRangeAreRefused) {
    auto a = access();
    a.cpl = 2;
    EXPECT_EQ(decode(a, harness::RecordType::access), DecodeError::bad_field);
    a = access();
    a.kind = 3;
    EXPECT_EQ(decode(a, harness::RecordType::access), DecodeError::bad_field);
    a = access();
    a.chain_count = 6;
    EXPECT_EQ(decode(a, harness::RecordType::access), DecodeError::bad_field);
    a = access();
    a.prediction.kind = 4;
    EXPECT_EQ(decode(a, harness::RecordType::access), DecodeError::bad_field);
    a = access();
    a.vector = 32;
    EXPECT_EQ(decode(a, harness::RecordType::access), DecodeError::bad_field);
    harness::RunInfoRecord ri{};
    ri.mode = 5;
    ri.code_bits = 64;
    EXPECT_EQ(decode(ri, harness::RecordType::run_info), DecodeError::bad_field);
    harness::EntryRecord e{};
    e.level = 6;
    EXPECT_EQ(decode(e, harness::RecordType::entry), DecodeError::bad_field);
    harness::StepFailedRecord sf{};
    sf.reason = harness::kMaxStepFailure + 1;
    EXPECT_EQ(decode(sf, harness::RecordType::step_failed), DecodeError::bad_field);
}

TEST(RunnerRecords, LengthMustMatchTheType) {
    auto a = access();
    a.header = harness::make_header(harness::RecordType::access, sizeof a - 8);
    EXPECT_EQ(harness::decode(reinterpret_cast<const std::uint8_t*>(&a), sizeof a - 8).error,
              DecodeError::bad_payload_length);
    harness::EntryRecord e{};
    e.level = 1;
    e.header = harness::make_header(harness::RecordType::announce, sizeof e);  // an entry dressed as announce
    EXPECT_EQ(harness::decode(reinterpret_cast<const std::uint8_t*>(&e), sizeof e).error,
              DecodeError::bad_payload_length);
}
