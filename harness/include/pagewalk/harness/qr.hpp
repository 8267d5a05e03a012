// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: a QR code encoder (ISO/IEC 18004:2015) — byte mode, error correction level M, the smallest
// version 1…kMaxVersion that holds the data, the mask with the lowest penalty. Freestanding (no heap, no library,
// 32-bit arithmetic only): the guest draws the run's summary with it (guest/runner/summary_screen.hpp) and the host's
// tests check it against zbarimg. Section numbers below are the standard's.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pagewalk::harness::qr {

inline constexpr int kMaxVersion = 25;  ///< 117 × 117 modules, 997 bytes at level M
inline constexpr int kMaxSize = 17 + 4 * kMaxVersion;

/// Table 9, level M: error correction codewords per block, and blocks, by version (index 0 unused).
inline constexpr std::uint8_t kEccPerBlockM[41] = {0,  10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22,
                                                   24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28,
                                                   28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28};
inline constexpr std::uint8_t kBlocksM[41] = {0,  1,  1,  1,  2,  2,  4,  4,  4,  5,  5,  5,  8,  9,
                                              9,  10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25,
                                              26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49};

/// Modules of a version that carry codewords (data and error correction, remainder bits included): everything
/// but the function patterns (§6.3, Table 1).
constexpr int raw_data_modules(int version) {
    int n = (16 * version + 128) * version + 64;
    if (version >= 2) {
        const int align = version / 7 + 2;
        n -= (25 * align - 10) * align - 55;
        if (version >= 7) n -= 36;
    }
    return n;
}

/// Data codewords at level M.
constexpr int data_codewords(int version) {
    return raw_data_modules(version) / 8 - kEccPerBlockM[version] * kBlocksM[version];
}

/// Bytes byte mode holds at level M: mode (4 bits) and count (8 bits to version 9, 16 from 10) come first.
constexpr int byte_capacity(int version) {
    return (data_codewords(version) * 8 - 4 - (version < 10 ? 8 : 16)) / 8;
}

class Code {
public:
    /// Encodes `n` bytes; false (and no symbol) when they do not fit in kMaxVersion.
    bool encode(const std::uint8_t* data, std::size_t n) {
        version_ = 0;
        for (int v = 1; v <= kMaxVersion; ++v)
            if (n <= static_cast<std::size_t>(byte_capacity(v))) {
                version_ = v;
                break;
            }
        if (version_ == 0) return false;
        size_ = 17 + 4 * version_;
        for (int i = 0; i < size_ * size_; ++i) dark_[i] = function_[i] = 0;
        const int codewords = place_data_codewords(data, n);
        add_error_correction(codewords);
        draw_function_patterns();
        draw_codewords();
        int best = 0, best_penalty = 0x7fffffff;
        for (int m = 0; m < 8; ++m) {
            apply_mask(m);
            draw_format(m);
            const int p = penalty();
            if (p < best_penalty) best = m, best_penalty = p;
            apply_mask(m);  // XOR: undoes it
        }
        mask_ = best;
        apply_mask(best);
        draw_format(best);
        return true;
    }

    [[nodiscard]] int version() const { return version_; }
    [[nodiscard]] int size() const { return size_; }  ///< modules per side (without the quiet zone)
    [[nodiscard]] int mask() const { return mask_; }
    [[nodiscard]] bool dark(int x, int y) const { return dark_[y * size_ + x] != 0; }

private:
    // §7.4: mode indicator 0100 (byte), character count, the bytes, terminator, padding to a byte, pad codewords.
    int place_data_codewords(const std::uint8_t* data, std::size_t n) {
        const int capacity = data_codewords(version_);
        for (int i = 0; i < capacity; ++i) data_[i] = 0;
        int bit = 0;
        auto put = [&](std::uint32_t v, int bits) {
            for (int b = bits - 1; b >= 0; --b, ++bit)
                if (((v >> b) & 1) != 0) data_[bit >> 3] |= static_cast<std::uint8_t>(0x80 >> (bit & 7));
        };
        put(4, 4);
        put(static_cast<std::uint32_t>(n), version_ < 10 ? 8 : 16);
        for (std::size_t i = 0; i < n; ++i) put(data[i], 8);
        const int room = capacity * 8 - bit;
        bit += room < 4 ? room : 4;
        bit = (bit + 7) & ~7;
        for (int i = bit / 8, pad = 0; i < capacity; ++i, pad ^= 1) data_[i] = pad == 0 ? 0xec : 0x11;
        return capacity;
    }

    // §7.5: Reed-Solomon over GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1; §7.6: blocks interleaved, data then ECC.
    static std::uint8_t gf_multiply(std::uint8_t a, std::uint8_t b) {
        std::uint32_t z = 0;
        for (int i = 7; i >= 0; --i) {
            z = (z << 1) ^ ((z >> 7) * 0x11d);
            z ^= ((b >> i) & 1u) * a;
        }
        return static_cast<std::uint8_t>(z);
    }

    void add_error_correction(int data_count) {
        const int blocks = kBlocksM[version_], ecc = kEccPerBlockM[version_];
        const int raw = raw_data_modules(version_) / 8;
        const int short_blocks = blocks - raw % blocks, short_length = raw / blocks;
        std::uint8_t divisor[32] = {};  // generator polynomial, coefficients from x^(ecc-1) down, leading 1 implied
        divisor[ecc - 1] = 1;
        std::uint8_t root = 1;
        for (int i = 0; i < ecc; ++i) {
            for (int j = 0; j < ecc; ++j) {
                divisor[j] = gf_multiply(divisor[j], root);
                if (j + 1 < ecc) divisor[j] ^= divisor[j + 1];
            }
            root = gf_multiply(root, 0x02);
        }
        int k = 0;
        for (int b = 0; b < blocks; ++b) {
            const int length = short_length - ecc + (b < short_blocks ? 0 : 1);
            std::uint8_t remainder[32] = {};
            for (int i = 0; i < length; ++i) {
                const std::uint8_t factor = data_[k + i] ^ remainder[0];
                for (int j = 0; j + 1 < ecc; ++j) remainder[j] = remainder[j + 1];
                remainder[ecc - 1] = 0;
                for (int j = 0; j < ecc; ++j) remainder[j] ^= gf_multiply(divisor[j], factor);
            }
            // Interleave (§7.6): codeword i of every block in turn; short blocks have no last data codeword.
            for (int i = 0; i < length; ++i)
                final_[i < short_length - ecc ? i * blocks + b : i * blocks + b - short_blocks] = data_[k + i];
            for (int i = 0; i < ecc; ++i) final_[data_count + i * blocks + b] = remainder[i];
            k += length;
        }
    }

    void set_function(int x, int y, bool d) {
        if (x < 0 || y < 0 || x >= size_ || y >= size_) return;  // never, by construction; the compiler cannot see it
        dark_[y * size_ + x] = d ? 1 : 0;
        function_[y * size_ + x] = 1;
    }

    // §6.3: finder patterns with separators, timing patterns, alignment patterns, the dark module, and the areas of
    // the format and version information (reserved now, drawn by draw_format and draw_version).
    void draw_function_patterns() {
        for (int i = 0; i < size_; ++i) {
            set_function(6, i, i % 2 == 0);
            set_function(i, 6, i % 2 == 0);
        }
        draw_finder(3, 3);
        draw_finder(size_ - 4, 3);
        draw_finder(3, size_ - 4);
        int positions[7] = {};
        const int count = alignment_positions(positions);
        for (int i = 0; i < count; ++i)
            for (int j = 0; j < count; ++j) {
                if ((i == 0 && j == 0) || (i == 0 && j == count - 1) || (i == count - 1 && j == 0)) continue;
                for (int dy = -2; dy <= 2; ++dy)
                    for (int dx = -2; dx <= 2; ++dx)
                        set_function(positions[i] + dx, positions[j] + dy, max_abs(dx, dy) != 1);
            }
        draw_format(0);
        draw_version();
    }

    static int max_abs(int a, int b) {
        a = a < 0 ? -a : a;
        b = b < 0 ? -b : b;
        return a > b ? a : b;
    }

    void draw_finder(int cx, int cy) {
        for (int dy = -4; dy <= 4; ++dy)
            for (int dx = -4; dx <= 4; ++dx) {
                const int x = cx + dx, y = cy + dy;
                if (x < 0 || x >= size_ || y < 0 || y >= size_) continue;
                const int d = max_abs(dx, dy);
                set_function(x, y, d != 2 && d != 4);
            }
    }

    // Annex E: the centres of the alignment patterns, first 6, last size - 7, evenly spaced (even steps) between.
    int alignment_positions(int (&out)[7]) const {
        if (version_ == 1) return 0;
        const int count = version_ / 7 + 2;
        const int step = version_ == 32 ? 26 : (version_ * 4 + count * 2 + 1) / (count * 2 - 2) * 2;
        out[0] = 6;
        for (int i = count - 1, pos = size_ - 7; i >= 1; --i, pos -= step) out[i] = pos;
        return count;
    }

    // §7.9.1: level M (00) and the mask, BCH(15,5) with generator 0x537, XOR 0x5412; two copies, and the dark module.
    void draw_format(int mask) {
        const std::uint32_t data = static_cast<std::uint32_t>(mask);  // level M: 00
        std::uint32_t rem = data;
        for (int i = 0; i < 10; ++i) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        const std::uint32_t bits = ((data << 10) | rem) ^ 0x5412;
        auto bit = [&](int i) { return ((bits >> i) & 1) != 0; };
        for (int i = 0; i <= 5; ++i) set_function(8, i, bit(i));
        set_function(8, 7, bit(6));
        set_function(8, 8, bit(7));
        set_function(7, 8, bit(8));
        for (int i = 9; i < 15; ++i) set_function(14 - i, 8, bit(i));
        for (int i = 0; i < 8; ++i) set_function(size_ - 1 - i, 8, bit(i));
        for (int i = 8; i < 15; ++i) set_function(8, size_ - 15 + i, bit(i));
        set_function(8, size_ - 8, true);
    }

    // §7.10: version 7 and up, BCH(18,6) with generator 0x1F25, two 6 × 3 copies.
    void draw_version() {
        if (version_ < 7) return;
        std::uint32_t rem = static_cast<std::uint32_t>(version_);
        for (int i = 0; i < 12; ++i) rem = (rem << 1) ^ ((rem >> 11) * 0x1f25);
        const std::uint32_t bits = (static_cast<std::uint32_t>(version_) << 12) | rem;
        for (int i = 0; i < 18; ++i) {
            const bool d = ((bits >> i) & 1) != 0;
            const int a = size_ - 11 + i % 3, b = i / 3;
            set_function(a, b, d);
            set_function(b, a, d);
        }
    }

    // §7.7.3: two-module columns from the right, upwards and downwards in turn, skipping the vertical timing column.
    void draw_codewords() {
        const int total = raw_data_modules(version_) / 8;
        int i = 0;
        for (int right = size_ - 1; right >= 1; right -= 2) {
            if (right == 6) right = 5;
            for (int vert = 0; vert < size_; ++vert)
                for (int j = 0; j < 2; ++j) {
                    const int x = right - j;
                    const bool upward = ((right + 1) & 2) == 0;
                    const int y = upward ? size_ - 1 - vert : vert;
                    if (function_[y * size_ + x] != 0) continue;
                    if (i < total * 8) dark_[y * size_ + x] = (final_[i >> 3] >> (7 - (i & 7))) & 1;
                    ++i;  // remainder bits stay light
                }
        }
    }

    // §7.8.2, Table 10: the eight mask conditions (x = column j, y = row i).
    void apply_mask(int mask) {
        for (int y = 0; y < size_; ++y)
            for (int x = 0; x < size_; ++x) {
                bool invert = false;
                switch (mask) {
                    case 0:
                        invert = (x + y) % 2 == 0;
                        break;
                    case 1:
                        invert = y % 2 == 0;
                        break;
                    case 2:
                        invert = x % 3 == 0;
                        break;
                    case 3:
                        invert = (x + y) % 3 == 0;
                        break;
                    case 4:
                        invert = (x / 3 + y / 2) % 2 == 0;
                        break;
                    case 5:
                        invert = x * y % 2 + x * y % 3 == 0;
                        break;
                    case 6:
                        invert = (x * y % 2 + x * y % 3) % 2 == 0;
                        break;
                    default:
                        invert = ((x + y) % 2 + x * y % 3) % 2 == 0;
                        break;
                }
                if (invert && function_[y * size_ + x] == 0) dark_[y * size_ + x] ^= 1;
            }
    }

    // §7.8.3, Table 11: N1 runs of five or more, N2 2 × 2 blocks, N3 finder-like 1:1:3:1:1 with four light modules
    // on one side, N4 the balance of dark modules.
    [[nodiscard]] int penalty() const {
        int p = 0, dark_count = 0;
        for (int pass = 0; pass < 2; ++pass)
            for (int a = 0; a < size_; ++a) {
                int run = 0;
                bool last = false;
                for (int b = 0; b < size_; ++b) {
                    const bool d = pass == 0 ? dark(b, a) : dark(a, b);
                    if (b > 0 && d == last) {
                        if (++run == 5)
                            p += 3;
                        else if (run > 5)
                            ++p;
                    } else {
                        run = 1;
                        last = d;
                    }
                    if (b + 7 <= size_ && finder_like(pass, a, b)) p += 40;
                }
            }
        for (int y = 0; y + 1 < size_; ++y)
            for (int x = 0; x + 1 < size_; ++x) {
                const bool d = dark(x, y);
                if (d == dark(x + 1, y) && d == dark(x, y + 1) && d == dark(x + 1, y + 1)) p += 3;
            }
        for (int i = 0; i < size_ * size_; ++i) dark_count += dark_[i];
        const int total = size_ * size_;
        int deviation = dark_count * 20 - total * 10;  // 20 × (dark share − 50 %), in units of total
        if (deviation < 0) deviation = -deviation;
        const int k = (deviation + total - 1) / total - 1;  // each 5 % step away from 50 %
        return p + (k > 0 ? k * 10 : 0);
    }

    /// Dark-light-dark×3-light-dark from (b, a) along the line, with four light modules (or the edge) before or after.
    [[nodiscard]] bool finder_like(int pass, int a, int b) const {
        auto at = [&](int i) {
            if (i < 0 || i >= size_) return false;
            return pass == 0 ? dark(i, a) : dark(a, i);
        };
        static constexpr bool kPattern[7] = {true, false, true, true, true, false, true};
        for (int i = 0; i < 7; ++i)
            if (at(b + i) != kPattern[i]) return false;
        bool before = true, after = true;
        for (int i = 1; i <= 4; ++i) {
            before = before && !at(b - i);
            after = after && !at(b + 6 + i);
        }
        return before || after;
    }

    int version_ = 0, size_ = 0, mask_ = 0;
    std::uint8_t dark_[kMaxSize * kMaxSize] = {};
    std::uint8_t function_[kMaxSize * kMaxSize] = {};
    std::uint8_t data_[1600] = {};   ///< data codewords (kMaxVersion: 1000)
    std::uint8_t final_[1600] = {};  ///< interleaved data and error correction codewords (kMaxVersion: 1588)
};

}  // namespace pagewalk::harness::qr
