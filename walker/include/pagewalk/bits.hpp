// SPDX-License-Identifier: MIT OR Apache-2.0
// Typed bit fields for bit-exact hardware formats.
//
// An entry (or register) type stores one raw integer and declares each architectural field once, with one
// macro line per field (the way Fuchsia's hwreg does it):
//
//   class Pte : public EntryBase<Pte, std::uint64_t> {
//   public:
//       PAGEWALK_BIT(0, present)              // present(), set_present(bool), Pte::present_field
//       PAGEWALK_FIELD(62, 59, protection_key) // protection_key(), set_protection_key(value),
//       Pte::protection_key_field PAGEWALK_ADDRESS(51, 12)              // address(), set_address(pa): the field in
//       place, unshifted PAGEWALK_RESERVED(2, 1, reserved_low) // reserved_low_clear(): the field is zero;
//       Pte::reserved_low_field
//   };
//
// Each declaration also gives the field as a type, `NAME_field` (`address_field` for the address), with its
// `mask`, `shift` and `width` and `get`/`place` — so code that works on raw values (the walk, the mapper, a
// record decoder) takes bit positions from the same line, and no other file writes `>> 59` or `1 << 5`. The
// declaration checks itself at compile time: high >= low, and the field fits the raw width.
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

/// Bits hi..lo of a `Raw`-wide word, as a type: what a field declaration gives besides its accessors.
template <class Raw, unsigned Hi, unsigned Lo>
struct Field {
    static_assert(Hi >= Lo, "a field's high bit is below its low bit");
    static_assert(Hi < sizeof(Raw) * 8, "the field does not fit the word");
    using raw_type = Raw;
    static constexpr unsigned high = Hi;
    static constexpr unsigned shift = Lo;
    static constexpr unsigned width = Hi - Lo + 1;
    static constexpr Raw mask = bits::mask<Raw>(Hi, Lo);

    /// The field's value, shifted down to bit 0.
    static constexpr Raw get(std::uint64_t raw) { return static_cast<Raw>((raw & mask) >> Lo); }
    /// `value` moved into the field's place (bits that do not fit are dropped).
    static constexpr Raw place(std::uint64_t value) { return static_cast<Raw>((value << Lo) & mask); }
    /// True when the field holds `value`.
    static constexpr bool is(std::uint64_t raw, std::uint64_t value) { return get(raw) == static_cast<Raw>(value); }
};

/// Sign-extends the low `width` bits of `value` to 64 bits (width 1..64).
constexpr std::uint64_t sign_extend(std::uint64_t value, unsigned width) {
    const unsigned unused = 64 - width;
    return unused == 0 ? value : static_cast<std::uint64_t>(static_cast<std::int64_t>(value << unused) >> unused);
}

}  // namespace bits

/// Common base of every bit-exact entry type: holds the raw value and nothing else, so that
/// `sizeof(Entry) == sizeof(Raw)` and an entry can be copied to and from memory bit for bit.
template <class Self, class Raw>
class EntryBase {
public:
    using raw_type = Raw;  // the field macros read it: a class template deriving from EntryBase re-declares it

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

/// The `NAME_field` type of a declaration (see bits::Field).
#define PAGEWALK_FIELD_TYPE(HI, LO, NAME) using NAME##_field = ::pagewalk::bits::Field<raw_type, HI, LO>;

/// A one-bit flag: `name()` reads it, `set_name(bool)` writes it, `name_field` is its position.
#define PAGEWALK_BIT(BIT, NAME)                                                                              \
    PAGEWALK_FIELD_TYPE(BIT, BIT, NAME)                                                                      \
    constexpr bool NAME() const {                                                                            \
        return (this->raw_ & NAME##_field::mask) != 0;                                                       \
    }                                                                                                        \
    constexpr auto& set_##NAME(bool value) {                                                                 \
        this->raw_ = value ? static_cast<raw_type>(this->raw_ | NAME##_field::mask)                          \
                           : static_cast<raw_type>(this->raw_ & static_cast<raw_type>(~NAME##_field::mask)); \
        return this->self();                                                                                 \
    }

/// A multi-bit field hi..lo, read and written shifted down to bit 0.
#define PAGEWALK_FIELD(HI, LO, NAME)                                                                   \
    PAGEWALK_FIELD_TYPE(HI, LO, NAME)                                                                  \
    constexpr raw_type NAME() const {                                                                  \
        return NAME##_field::get(this->raw_);                                                          \
    }                                                                                                  \
    constexpr auto& set_##NAME(std::uint64_t value) {                                                  \
        this->raw_ = static_cast<raw_type>((this->raw_ & static_cast<raw_type>(~NAME##_field::mask)) | \
                                           NAME##_field::place(value));                                \
        return this->self();                                                                           \
    }

/// A physical-address field hi..lo kept in place (not shifted): `address()` is the physical address
/// the field holds; `set_address(pa)` stores the bits of `pa` that the field can hold.
#define PAGEWALK_ADDRESS(HI, LO)                                                                        \
    PAGEWALK_FIELD_TYPE(HI, LO, address)                                                                \
    static constexpr std::uint64_t address_mask = address_field::mask;                                  \
    constexpr std::uint64_t address() const {                                                           \
        return static_cast<std::uint64_t>(this->raw_) & address_mask;                                   \
    }                                                                                                   \
    constexpr auto& set_address(std::uint64_t pa) {                                                     \
        this->raw_ = static_cast<raw_type>((this->raw_ & static_cast<raw_type>(~address_field::mask)) | \
                                           static_cast<raw_type>(pa & address_mask));                   \
        return this->self();                                                                            \
    }

/// Bits hi..lo that the architecture reserves (must be zero): `NAME_clear()` says whether they are, and
/// `NAME_field` names them for the reserved-bit rules. No setter: software never means to set them, a test that
/// does writes the raw value.
#define PAGEWALK_RESERVED(HI, LO, NAME)                \
    PAGEWALK_FIELD_TYPE(HI, LO, NAME)                  \
    constexpr bool NAME##_clear() const {              \
        return (this->raw_ & NAME##_field::mask) == 0; \
    }
