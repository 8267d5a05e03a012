// SPDX-License-Identifier: MIT OR Apache-2.0
// Index arithmetic of the access matrix that a 32-bit freestanding guest can do: 64-bit division by a 32-bit divisor
// without libgcc's __udivdi3, shards that split an index range exactly, and a seeded bijection of [0, n).
#pragma once

#include <cstdint>
#include <type_traits>

namespace pagewalk::harness::matrix {

struct DivMod {
    std::uint64_t quotient = 0;
    std::uint64_t remainder = 0;
};

/// n / d and n % d (0 < d < 2^63). Native on 64-bit targets. On 32-bit ones, where the compiler would call
/// __udivdi3, which a kernel does not have: a divisor below 2^32 takes two 64-by-32-bit DIVs (the high half first, so
/// the second quotient fits 32 bits), a larger one (or a constant evaluation) shifts and subtracts.
constexpr DivMod divmod(std::uint64_t n, std::uint64_t d) {
    if constexpr (sizeof(void*) == 8) {
        return {n / d, n % d};
    } else {
#if defined(__i386__)
        if (!std::is_constant_evaluated() && (d >> 32) == 0) {
            const auto d32 = static_cast<std::uint32_t>(d);
            const auto hi = static_cast<std::uint32_t>(n >> 32);
            const std::uint32_t q_hi = hi / d32;
            std::uint32_t q_lo = 0, r = hi % d32;
            asm("divl %4" : "=a"(q_lo), "=d"(r) : "a"(static_cast<std::uint32_t>(n)), "d"(r), "rm"(d32));
            return {(std::uint64_t{q_hi} << 32) | q_lo, r};
        }
#endif
        std::uint64_t q = 0, r = 0;
        for (int bit = 63; bit >= 0; --bit) {
            r = (r << 1) | ((n >> bit) & 1u);
            if (r >= d) {
                r -= d;
                q |= std::uint64_t{1} << bit;
            }
        }
        return {q, r};
    }
}

/// A half-open index range [begin, end).
struct IndexRange {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;

    constexpr std::uint64_t size() const { return end - begin; }
    friend constexpr bool operator==(const IndexRange&, const IndexRange&) = default;
};

/// Shard `k` of `n` (0 <= k < n) of [0, count): contiguous, in order, sizes differing by at most one, so the shards
/// of one `n` cover [0, count) exactly once. floor(count * k / n), computed without overflowing 64 bits.
constexpr IndexRange shard(std::uint64_t count, std::uint32_t k, std::uint32_t n) {
    const DivMod qr = divmod(count, n);
    const auto start = [&](std::uint32_t i) { return qr.quotient * i + divmod(qr.remainder * i, n).quotient; };
    return {start(k), k + 1 >= n ? count : start(k + 1)};
}

/// A bijection of [0, count) chosen by `seed`: a four-round Feistel network over the smallest even power of two
/// that holds `count`, walked until the value falls inside the range (at most a few steps, as the power is under
/// 4 × count). The same seed gives the same order on every machine and in either code width.
class Permutation {
public:
    constexpr Permutation(std::uint64_t count, std::uint64_t seed) : count_(count), seed_(seed) {
        while (half_bits_ < 32 && (std::uint64_t{1} << (2 * half_bits_)) < count) ++half_bits_;
    }

    constexpr std::uint64_t count() const { return count_; }

    /// The `i`-th index of the permuted order (i < count).
    constexpr std::uint64_t operator[](std::uint64_t i) const {
        std::uint64_t v = i;
        do {
            v = encrypt(v);
        } while (v >= count_);
        return v;
    }

private:
    static constexpr std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
        x ^= x >> 30;
        x *= 0xbf58'476d'1ce4'e5b9ull;
        x ^= x >> 27;
        x *= 0x94d0'49bb'1331'11ebull;
        return x ^ (x >> 31);
    }
    constexpr std::uint64_t encrypt(std::uint64_t v) const {
        const std::uint64_t mask = half_bits_ == 32 ? 0xffff'ffffull : (std::uint64_t{1} << half_bits_) - 1;
        std::uint64_t left = (v >> half_bits_) & mask, right = v & mask;
        for (std::uint64_t round = 0; round < 4; ++round) {
            const std::uint64_t next = left ^ (mix(right ^ mix(seed_ + round)) & mask);
            left = right;
            right = next;
        }
        return (left << half_bits_) | right;
    }

    std::uint64_t count_;
    std::uint64_t seed_;
    unsigned half_bits_ = 1;
};

}  // namespace pagewalk::harness::matrix
