// SPDX-License-Identifier: MIT OR Apache-2.0
// The serial framing: "@PW <hex> <crc32c>" lines; other lines are console text; broken record lines are errors.
#include <gtest/gtest.h>

#include <cctype>
#include <pagewalk/harness/framing.hpp>
#include <string>

#include "record_builders.hpp"

using namespace pagewalk;
using harness::LineError;

namespace {

std::string frame(const std::vector<std::uint8_t>& bytes) {
    std::string s;
    harness::write_line([&](char c) { s.push_back(c); }, bytes.data(), bytes.size());
    return s;
}

harness::LineResult parse(const std::string& line, std::uint8_t* out = nullptr) {
    static std::uint8_t scratch[harness::kMaxRecordSize];
    return harness::parse_line(line.data(), line.size(), out ? out : scratch, harness::kMaxRecordSize);
}

}  // namespace

TEST(Framing, Crc32cMatchesTheStandardCheckValue) {
    EXPECT_EQ(harness::Crc32c{}.update("123456789", 9).value(), 0xE3069283u);
    const std::uint8_t in[9] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    EXPECT_EQ(~harness::crc32c_table_update(0xFFFFFFFFu, in, 9), 0xE3069283u);
    // Chaining equals one pass over the concatenation (the stream digest relies on it).
    const auto chained =
        harness::Crc32c::resume(harness::Crc32c{}.update("1234", 4).value()).update("56789", 5).value();
    EXPECT_EQ(chained, 0xE3069283u);
}

TEST(Framing, RoundTripsARecord) {
    const auto rec = test::exception();
    const std::string line = frame(rec);
    EXPECT_EQ(line.rfind("@PW ", 0), 0u);
    EXPECT_EQ(line.back(), '\n');
    std::uint8_t out[harness::kMaxRecordSize];
    const auto r = parse(line, out);
    ASSERT_EQ(r.error, LineError::ok);
    ASSERT_EQ(r.size, rec.size());
    EXPECT_EQ(std::vector<std::uint8_t>(out, out + r.size), rec);
}

TEST(Framing, ToleratesCarriageReturnAndUppercaseHex) {
    std::string line = frame(test::hello());
    line.back() = '\r';  // "...\r" then "\n": both are trailing whitespace to the parser
    line.push_back('\n');
    EXPECT_EQ(parse(line).error, LineError::ok);
    for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line.replace(0, 4, "@PW ");
    EXPECT_EQ(parse(line).error, LineError::ok);
}

TEST(Framing, OtherTextIsNotARecord) {
    for (const char* s : {"", "SeaBIOS (version 1.16)", "@P", "@PWX 00 00000000", "PW 00"})
        EXPECT_EQ(parse(s).error, LineError::not_a_record) << s;
}

TEST(Framing, BrokenRecordLinesAreErrors) {
    const std::string good = frame(test::hello());
    std::string bad = good;
    bad[10] = 'g';
    EXPECT_EQ(parse(bad).error, LineError::bad_hex);
    std::string odd = good;
    odd.erase(4, 1);
    EXPECT_EQ(parse(odd).error, LineError::bad_hex);
    EXPECT_EQ(parse("@PW 0011").error, LineError::missing_crc);
    EXPECT_EQ(parse("@PW 0011 123").error, LineError::missing_crc);
    EXPECT_EQ(parse("@PW 0011 1234567z").error, LineError::missing_crc);
    std::string flipped = good;
    flipped[4] = flipped[4] == '0' ? '1' : '0';
    EXPECT_EQ(parse(flipped).error, LineError::bad_crc);
    std::string too_long = "@PW ";  // built step by step: GCC 12 -O3 warns falsely (-Wrestrict) on string + string
    too_long.append(2 * harness::kMaxRecordSize + 2, '0');
    too_long.append(" 00000000");
    EXPECT_EQ(parse(too_long).error, LineError::too_long);
}

TEST(Framing, CapacityIsRespected) {
    const std::string line = frame(test::hello());
    std::uint8_t small[8];
    EXPECT_EQ(harness::parse_line(line.data(), line.size(), small, sizeof small).error, LineError::too_long);
}
