// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the serial framing of records, one text line per record.
//
//   @PW <record bytes as lowercase hex> <CRC-32C of the record bytes, 8 hex digits>\n
//
// Used on COM1 under QEMU and on bare metal, where other text (a boot loader's, a panic message) may be
// interleaved: a line not starting with "@PW " is plain console text, not an error. A line that does start with
// it must parse completely, or it is garbage (a transport error). The recovered bytes go to decode().
#pragma once

#include <cstddef>
#include <cstdint>

#include "crc32.hpp"
#include "records.hpp"

namespace pagewalk::harness {

inline constexpr char kLinePrefix[] = "@PW ";
inline constexpr std::size_t kLinePrefixLength = 4;
/// Longest valid record line (prefix, hex, space, crc, newline).
inline constexpr std::size_t kMaxLineLength = kLinePrefixLength + 2 * kMaxRecordSize + 1 + 8 + 1;

/// Writes one framed line through `put(char)` (the guest's UART writer, or a host buffer in tests).
template <class Put>
constexpr void write_line(Put&& put, const void* record, std::size_t size) {
    constexpr char digits[] = "0123456789abcdef";
    const auto* p = static_cast<const std::uint8_t*>(record);
    for (std::size_t i = 0; i < kLinePrefixLength; ++i) put(kLinePrefix[i]);
    Crc32c crc;
    for (std::size_t i = 0; i < size; ++i) {
        put(digits[p[i] >> 4]);
        put(digits[p[i] & 15]);
        crc.update(p[i]);
    }
    put(' ');
    const std::uint32_t v = crc.value();
    for (int shift = 28; shift >= 0; shift -= 4) put(digits[(v >> shift) & 15]);
    put('\n');
}

/// Why a line is not a record line.
enum class LineError : std::uint8_t {
    ok = 0,
    not_a_record,  ///< no "@PW " prefix: plain console text
    bad_hex,       ///< a non-hex character, or an odd number of digits
    too_long,      ///< more bytes than kMaxRecordSize
    missing_crc,   ///< no " <8 hex digits>" after the bytes
    bad_crc,       ///< the CRC does not match the bytes
};

constexpr const char* to_string(LineError e) {
    switch (e) {
        case LineError::ok:
            return "ok";
        case LineError::not_a_record:
            return "not a record line";
        case LineError::bad_hex:
            return "bad hex in record line";
        case LineError::too_long:
            return "record line too long";
        case LineError::missing_crc:
            return "record line without crc";
        case LineError::bad_crc:
            return "record line crc mismatch";
    }
    return "?";
}

/// parse_line()'s answer: on ok, `size` bytes were written to the caller's buffer.
struct LineResult {
    LineError error = LineError::not_a_record;
    std::size_t size = 0;
};

namespace detail {
constexpr int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace detail

/// Recovers the record bytes of one line (trailing CR/LF/spaces ignored) into out[0..capacity).
constexpr LineResult parse_line(const char* line, std::size_t length, std::uint8_t* out, std::size_t capacity) {
    LineResult r;
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r' || line[length - 1] == ' ')) --length;
    if (length < kLinePrefixLength) return r;
    for (std::size_t i = 0; i < kLinePrefixLength; ++i)
        if (line[i] != kLinePrefix[i]) return r;
    // Split "<hex> <crc>" at the last space.
    std::size_t space = length;
    for (std::size_t i = length; i > kLinePrefixLength; --i)
        if (line[i - 1] == ' ') {
            space = i - 1;
            break;
        }
    if (space == length || length - space - 1 != 8) {
        r.error = LineError::missing_crc;
        return r;
    }
    const std::size_t digits = space - kLinePrefixLength;
    if (digits % 2 != 0) {
        r.error = LineError::bad_hex;
        return r;
    }
    if (digits / 2 > kMaxRecordSize || digits / 2 > capacity) {
        r.error = LineError::too_long;
        return r;
    }
    Crc32c crc;
    for (std::size_t i = 0; i < digits / 2; ++i) {
        const int hi = detail::hex_value(line[kLinePrefixLength + 2 * i]);
        const int lo = detail::hex_value(line[kLinePrefixLength + 2 * i + 1]);
        if (hi < 0 || lo < 0) {
            r.error = LineError::bad_hex;
            return r;
        }
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
        crc.update(out[i]);
    }
    std::uint32_t want = 0;
    for (std::size_t i = space + 1; i < length; ++i) {
        const int v = detail::hex_value(line[i]);
        if (v < 0) {
            r.error = LineError::missing_crc;
            return r;
        }
        want = want * 16 + static_cast<std::uint32_t>(v);
    }
    if (want != crc.value()) {
        r.error = LineError::bad_crc;
        return r;
    }
    r.error = LineError::ok;
    r.size = digits / 2;
    return r;
}

}  // namespace pagewalk::harness
