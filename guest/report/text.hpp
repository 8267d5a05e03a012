// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: a fixed-size text builder for log records (no printf in a freestanding guest).
#pragma once

#include <cstdint>
#include <pagewalk/harness/records.hpp>

namespace pagewalk::guest {

/// Appends strings and numbers into a bounded buffer; silently truncates at kMaxLogText.
class Text {
public:
    Text& operator<<(const char* s) {
        while (*s != 0) put(*s++);
        return *this;
    }
    /// A decimal number (64-bit division: the -m64 world only; use dec() in code both worlds compile).
    Text& operator<<(std::uint64_t v) {
        char digits[20];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0) put(digits[--n]);
        return *this;
    }
    /// A decimal number with 32-bit arithmetic only (the -m32 world has no 64-bit division), right-aligned in
    /// `width` characters.
    Text& dec(std::uint32_t v, unsigned width = 0) {
        char digits[10];
        unsigned n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        for (unsigned i = n; i < width; ++i) put(' ');
        while (n > 0) put(digits[--n]);
        return *this;
    }
    /// `s` left-aligned in `width` characters (cut at `width` when longer, `width` 0: as it is).
    Text& pad(const char* s, unsigned width) {
        unsigned i = 0;
        for (; s[i] != 0 && (width == 0 || i < width); ++i) put(s[i]);
        for (; i < width; ++i) put(' ');
        return *this;
    }
    Text& hex(std::uint64_t v) {
        constexpr char d[] = "0123456789abcdef";
        put('0');
        put('x');
        int shift = 60;
        while (shift > 0 && ((v >> shift) & 15) == 0) shift -= 4;
        for (; shift >= 0; shift -= 4) put(d[(v >> shift) & 15]);
        return *this;
    }
    [[nodiscard]] const char* c_str() {
        buf_[n_] = 0;
        return buf_;
    }

private:
    void put(char c) {
        if (n_ < harness::kMaxLogText) buf_[n_++] = c;
    }
    char buf_[harness::kMaxLogText + 1];
    unsigned n_ = 0;
};

}  // namespace pagewalk::guest
