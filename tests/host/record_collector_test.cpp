// SPDX-License-Identifier: MIT OR Apache-2.0
// The host's collector: both transports through the one decoder; console text kept; garbage is a failure.
#include <gtest/gtest.h>

#include <pagewalk/harness/framing.hpp>

#include "record_builders.hpp"
#include "run/run_result.hpp"

using namespace pagewalk;

namespace {

std::string frame(const std::vector<std::uint8_t>& bytes) {
    std::string s;
    harness::write_line([&](char c) { s.push_back(c); }, bytes.data(), bytes.size());
    return s;
}

}  // namespace

TEST(RecordCollector, SerialAndHypercallBytesGiveTheSameResult) {
    const auto h = test::hello(0);
    const auto f = test::final_record(1, 1, harness::Crc32c{}.update(h.data(), h.size()).value());
    host::RunResult a, b;
    host::RecordCollector ca(a), cb(b);
    EXPECT_TRUE(ca.add_line("SeaBIOS booting", 1));
    EXPECT_TRUE(ca.add_line(frame(h), 2));
    EXPECT_TRUE(ca.add_line(frame(f), 3));
    EXPECT_TRUE(cb.add_bytes(h.data(), h.size(), 2));
    EXPECT_TRUE(cb.add_bytes(f.data(), f.size(), 3));
    ca.finish(false);
    cb.finish(false);
    EXPECT_EQ(a.outcome, host::Outcome::passed);
    EXPECT_EQ(b.outcome, host::Outcome::passed);
    EXPECT_EQ(a.console, "SeaBIOS booting\n");
    EXPECT_EQ(a.first_record_ms, 2);
}

TEST(RecordCollector, GarbageRecordLineIsAProtocolError) {
    host::RunResult r;
    host::RecordCollector c(r);
    EXPECT_TRUE(c.add_line(frame(test::hello(0)), 1));
    EXPECT_FALSE(c.add_line("@PW 00112233 deadbeef", 2));
    c.finish(false);
    EXPECT_EQ(r.outcome, host::Outcome::protocol_error);
    EXPECT_NE(r.detail.find("crc"), std::string::npos) << r.detail;
}

TEST(RecordCollector, GuestFailureStatusIsNotAPass) {
    const auto h = test::hello(0);
    host::RunResult r;
    host::RecordCollector c(r);
    c.add_bytes(h.data(), h.size(), 0);
    const auto f = test::final_record(1, 1, harness::Crc32c{}.update(h.data(), h.size()).value(), 1);
    c.add_bytes(f.data(), f.size(), 0);
    c.finish(false);
    EXPECT_EQ(r.outcome, host::Outcome::guest_failed);
}

TEST(RecordCollector, ExitStatusMustAgreeWithFinalRecord) {
    const auto h = test::hello(0);
    host::RunResult r;
    r.exit_status = 2;
    host::RecordCollector c(r);
    c.add_bytes(h.data(), h.size(), 0);
    const auto f = test::final_record(1, 1, harness::Crc32c{}.update(h.data(), h.size()).value(), 0);
    c.add_bytes(f.data(), f.size(), 0);
    c.finish(false);
    EXPECT_EQ(r.outcome, host::Outcome::protocol_error);
}

TEST(RecordCollector, EarlyStopIsReported) {
    const auto h = test::hello(0);
    host::RunResult r;
    host::RecordCollector c(r);
    c.add_bytes(h.data(), h.size(), 0);
    c.finish(false);
    EXPECT_EQ(r.outcome, host::Outcome::early_stop);
}

TEST(RecordCollector, RecordAfterConsoleNoiseOnTheSameLineIsDecoded) {
    host::RunResult r;
    host::RecordCollector c(r);
    EXPECT_TRUE(c.add_line("\x1b[H\x1b[J  Booting `pagewalk'" + frame(test::hello(0)), 1));
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_NE(r.console.find("Booting"), std::string::npos);
}
