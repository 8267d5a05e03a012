// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: CRC-32C (Castagnoli, reflected, polynomial 0x82F63B78), constexpr and table-free.
//
// Used for the serial line check value and for the running digest over a record stream. Two equal
// implementations: Crc32c (bitwise, the reference) and crc32c_table_update (one table lookup per byte, 1 KiB of
// constants), which the guest uses because ring-0 code is emulated instruction by instruction on kvm_pvm (~5x
// fewer instructions). Not the SSE4.2 CRC32 instruction: kvm_pvm's ring-0 emulator fails on it
// (KVM_EXIT_INTERNAL_ERROR), and older CPUs lack it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pagewalk::harness {

/// Incremental CRC-32C. `Crc32c{}.update(p, n).value()` is the standard CRC-32C of p[0..n).
class Crc32c {
public:
    static constexpr std::uint32_t kPolynomial = 0x82F63B78u;
    constexpr Crc32c() = default;
    /// Continue a CRC whose value() was `previous`: CRC(a ‖ b) == resume(CRC(a)).update(b).
    static constexpr Crc32c resume(std::uint32_t previous) {
        Crc32c c;
        c.state_ = ~previous;
        return c;
    }
    constexpr Crc32c& update(std::uint8_t byte) {
        state_ ^= byte;
        for (int bit = 0; bit < 8; ++bit) state_ = (state_ >> 1) ^ (kPolynomial & (0u - (state_ & 1u)));
        return *this;
    }
    constexpr Crc32c& update(const void* data, std::size_t size) {
        const auto* p = static_cast<const std::uint8_t*>(data);
        for (std::size_t i = 0; i < size; ++i) update(p[i]);
        return *this;
    }
    /// The raw register (not inverted), for code that continues with the CRC32 instruction.
    [[nodiscard]] constexpr std::uint32_t state() const { return state_; }
    static constexpr Crc32c from_state(std::uint32_t s) {
        Crc32c c;
        c.state_ = s;
        return c;
    }
    [[nodiscard]] constexpr std::uint32_t value() const { return ~state_; }

private:
    std::uint32_t state_ = 0xFFFFFFFFu;
};

/// The byte-at-a-time table for CRC-32C (reflected).
struct Crc32cTable {
    std::uint32_t entry[256];
};
inline constexpr Crc32cTable kCrc32cTable = [] {
    Crc32cTable t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ (Crc32c::kPolynomial & (0u - (c & 1u)));
        t.entry[i] = c;
    }
    return t;
}();

/// Continues the raw CRC register `state` (Crc32c::state()) over data, one table lookup per byte.
constexpr std::uint32_t crc32c_table_update(std::uint32_t state, const std::uint8_t* p, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) state = (state >> 8) ^ kCrc32cTable.entry[(state ^ p[i]) & 0xFFu];
    return state;
}

namespace detail {
constexpr std::uint32_t crc_of(const char* s, std::size_t n) {
    Crc32c c;
    for (std::size_t i = 0; i < n; ++i) c.update(static_cast<std::uint8_t>(s[i]));
    return c.value();
}
static_assert(crc_of("123456789", 9) == 0xE3069283u, "CRC-32C check value");
constexpr std::uint8_t kCheckInput[9] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
static_assert(~crc32c_table_update(0xFFFFFFFFu, kCheckInput, 9) == 0xE3069283u, "table CRC-32C check value");
}  // namespace detail

}  // namespace pagewalk::harness
