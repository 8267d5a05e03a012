// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: hexadecimal numbers in and out, fast enough for a million lines a second.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pagewalk::host::inspect {

/// Appends "0x" and the shortest hex digits of `v` ("0x0" for zero).
inline void append_hex(std::string& out, std::uint64_t v) {
    char buf[18];
    char* end = buf + sizeof buf;
    char* p = end;
    do {
        *--p = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    *--p = 'x';
    *--p = '0';
    out.append(p, static_cast<std::size_t>(end - p));
}

/// Appends exactly `digits` hex digits of `v`, zero-padded, without a prefix (QEMU's "%016" PRIx64 is 16).
inline void append_hex_fixed(std::string& out, std::uint64_t v, unsigned digits) {
    char buf[16];
    for (unsigned i = 0; i < digits && i < 16; ++i) buf[digits - 1 - i] = "0123456789abcdef"[(v >> (4 * i)) & 15];
    out.append(buf, digits < 16 ? digits : 16);
}

/// "0x…" as a std::string.
inline std::string hex(std::uint64_t v) {
    std::string s;
    append_hex(s, v);
    return s;
}

/// Appends a page size for people: 4K, 2M, 4M, 1G (hex bytes for anything else).
inline void append_size(std::string& out, std::uint64_t bytes) {
    char unit = 0;
    std::uint64_t n = bytes;
    if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) {
        n = bytes >> 30, unit = 'G';
    } else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0) {
        n = bytes >> 20, unit = 'M';
    } else if (bytes >= (1ull << 10) && bytes % (1ull << 10) == 0) {
        n = bytes >> 10, unit = 'K';
    }
    if (unit == 0) return append_hex(out, bytes);
    char buf[24];
    char* p = buf + sizeof buf;
    *--p = unit;
    do {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

/// The same as a std::string.
inline std::string size_name(std::uint64_t bytes) {
    std::string s;
    append_size(s, bytes);
    return s;
}

/// Parses an address: hexadecimal with or without "0x"/"0X", '_' and '\'' allowed between digits (0xffff_8000_…).
/// Empty, non-hex or more than 64 bits: nullopt.
inline std::optional<std::uint64_t> parse_hex(std::string_view s) {
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
    std::uint64_t v = 0;
    bool any = false;
    for (const char c : s) {
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = static_cast<unsigned>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = static_cast<unsigned>(c - 'A' + 10);
        } else if ((c == '_' || c == '\'') && any) {
            continue;
        } else {
            return std::nullopt;
        }
        if ((v >> 60) != 0) return std::nullopt;  // more than 64 bits
        v = (v << 4) | d;
        any = true;
    }
    if (!any) return std::nullopt;
    return v;
}

}  // namespace pagewalk::host::inspect
