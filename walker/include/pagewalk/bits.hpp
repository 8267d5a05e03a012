// SPDX-License-Identifier: MIT OR Apache-2.0
// Typed bit fields for bit-exact hardware formats.
//
// An entry type stores one raw integer and declares each architectural field once, with one macro line
// per field (the way Fuchsia's hwreg does it):
//
//   class Pte : public EntryBase<Pte, std::uint64_t> {
//   public:
//       PAGEWALK_BIT(0, present)              // present(), set_present(bool)
//       PAGEWALK_FIELD(62, 59, protection_key) // protection_key(), set_protection_key(value)
//       PAGEWALK_ADDRESS(51, 12)              // address(), set_address(pa): the field in place, unshifted
//   };
//
// Setters return the entry itself so that values can be built fluently:
//   auto pte = Pte{}.set_present(true).set_writable(true).set_address(0x1234000);
#pragma once

#include <cstdint>
#include <type_traits>

namespace pagewalk {

/// Bit masks that are valid for every width up to 64 bits (no undefined shifts).
namespace bits {

/// Mask with bits hi..lo (inclusive) set.
template <class T = std::uint64_t>
constexpr T mask(unsigned hi, unsigned lo) {
    constexpr unsigned width = sizeof(T) * 8;
    const unsigned count = hi - lo + 1;
    const T ones = count >= width ? static_cast<T>(~T{0}) : static_cast<T>((T{1} << count) - 1);
    return static_cast<T>(ones << lo);
}

/// Mask with the single bit `bit` set.
template <class T = std::uint64_t>
constexpr T bit(unsigned n) {
    return static_cast<T>(T{1} << n);
}

/// Mask of bits hi..lo, or 0 when the range is empty (lo > hi): for "bits MAXPHYADDR..51" when
/// MAXPHYADDR is 52.
template <class T = std::uint64_t>
constexpr T range_or_empty(unsigned hi, unsigned lo) {
    return lo > hi ? T{0} : mask<T>(hi, lo);
}

}  // namespace bits

/// Common base of every bit-exact entry type: holds the raw value and nothing else, so that
/// `sizeof(Entry) == sizeof(Raw)` and an entry can be copied to and from memory bit for bit.
template <class Self, class Raw>
class EntryBase {
public:
    using raw_type = Raw;

    constexpr EntryBase() = default;
    constexpr explicit EntryBase(Raw raw) : raw_(raw) {}

    /// The entry exactly as stored in memory.
    constexpr Raw raw() const { return raw_; }
    constexpr Self& set_raw(Raw raw) {
        raw_ = raw;
        return self();
    }

    friend constexpr bool operator==(const Self& a, const Self& b) { return a.raw_ == b.raw_; }

protected:
    constexpr Self& self() { return static_cast<Self&>(*this); }

    Raw raw_ = 0;
};

}  // namespace pagewalk

/// A one-bit flag: `name()` reads it, `set_name(bool)` writes it.
#define PAGEWALK_BIT(BIT, NAME)                                                           \
    constexpr bool NAME() const {                                                         \
        return ((this->raw_ >> (BIT)) & 1u) != 0;                                         \
    }                                                                                     \
    constexpr auto& set_##NAME(bool value) {                                              \
        using pagewalk_raw_t = decltype(this->raw_);                                      \
        constexpr pagewalk_raw_t pagewalk_m = ::pagewalk::bits::bit<pagewalk_raw_t>(BIT); \
        this->raw_ = value ? static_cast<pagewalk_raw_t>(this->raw_ | pagewalk_m)         \
                           : static_cast<pagewalk_raw_t>(this->raw_ & ~pagewalk_m);       \
        return this->self();                                                              \
    }

/// A multi-bit field hi..lo, read and written shifted down to bit 0.
#define PAGEWALK_FIELD(HI, LO, NAME)                                                                               \
    constexpr auto NAME() const {                                                                                  \
        using pagewalk_raw_t = decltype(this->raw_);                                                               \
        return static_cast<pagewalk_raw_t>((this->raw_ & ::pagewalk::bits::mask<pagewalk_raw_t>(HI, LO)) >> (LO)); \
    }                                                                                                              \
    constexpr auto& set_##NAME(std::uint64_t value) {                                                              \
        using pagewalk_raw_t = decltype(this->raw_);                                                               \
        constexpr std::uint64_t pagewalk_m = ::pagewalk::bits::mask<std::uint64_t>(HI, LO);                        \
        const std::uint64_t pagewalk_v =                                                                           \
            (static_cast<std::uint64_t>(this->raw_) & ~pagewalk_m) | ((value << (LO)) & pagewalk_m);               \
        this->raw_ = static_cast<pagewalk_raw_t>(pagewalk_v);                                                      \
        return this->self();                                                                                       \
    }

/// A physical-address field hi..lo kept in place (not shifted): `address()` is the physical address
/// the field holds; `set_address(pa)` stores the bits of `pa` that the field can hold.
#define PAGEWALK_ADDRESS(HI, LO)                                                                             \
    static constexpr std::uint64_t address_mask = ::pagewalk::bits::mask<std::uint64_t>(HI, LO);             \
    constexpr std::uint64_t address() const {                                                                \
        return static_cast<std::uint64_t>(this->raw_) & address_mask;                                        \
    }                                                                                                        \
    constexpr auto& set_address(std::uint64_t pa) {                                                          \
        using pagewalk_raw_t = decltype(this->raw_);                                                         \
        this->raw_ = static_cast<pagewalk_raw_t>((this->raw_ & ~static_cast<pagewalk_raw_t>(address_mask)) | \
                                                 static_cast<pagewalk_raw_t>(pa & address_mask));            \
        return this->self();                                                                                 \
    }
