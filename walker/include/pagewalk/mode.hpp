// SPDX-License-Identifier: MIT OR Apache-2.0
// The four x86 paging modes as lists of levels.
//
// Levels are numbered the way the SDM counts them from the bottom: 1 = page table (PTE), 2 = page
// directory (PDE), 3 = page-directory-pointer table (PDPTE), 4 = PML4, 5 = PML5. Each mode is a type
// (`Legacy32`, `Pae`, `Long4`, `Long5`) and each (mode, level) pair a `LevelTraits` specialisation naming
// its entry types, so that code written against a level cannot confuse a leaf with a table.
// Runtime code (translate, the visitor) uses the same facts through `shape(PagingMode)`.
#pragma once

#include <cstdint>
#include <optional>

#include "entry.hpp"

namespace pagewalk {

/// Which paging mode the CPU is in (SDM Vol. 3A §4.1.1, Table 4-1).
enum class PagingMode : std::uint8_t {
    disabled,  // CR0.PG = 0: linear address = physical address
    legacy32,  // CR0.PG = 1, CR4.PAE = 0
    pae,       // CR0.PG = 1, CR4.PAE = 1, IA32_EFER.LMA = 0
    long4,     // IA32_EFER.LMA = 1, CR4.LA57 = 0
    long5,     // IA32_EFER.LMA = 1, CR4.LA57 = 1
};

/// The four modes with paging on, in the order the SDM presents them: what harnesses and listings iterate over.
inline constexpr PagingMode kPagingModes[] = {PagingMode::legacy32, PagingMode::pae, PagingMode::long4,
                                              PagingMode::long5};

/// The mode's short name: "32bit", "pae", "4level", "5level" ("disabled" without paging) — the one spelling of
/// modes in scenario files, command lines, records and reports.
constexpr const char* to_string(PagingMode m) {
    switch (m) {
        case PagingMode::disabled:
            return "disabled";
        case PagingMode::legacy32:
            return "32bit";
        case PagingMode::pae:
            return "pae";
        case PagingMode::long4:
            return "4level";
        case PagingMode::long5:
            return "5level";
    }
    return "?";
}

namespace detail {
constexpr bool same_text(const char* a, const char* b) {
    while (*a != 0 && *a == *b) ++a, ++b;
    return *a == *b;
}
}  // namespace detail

/// The mode whose to_string() is `name` (a mode with paging on); nullopt for anything else.
constexpr std::optional<PagingMode> paging_mode_from_name(const char* name) {
    if (name == nullptr) return std::nullopt;
    for (PagingMode m : kPagingModes)
        if (detail::same_text(name, to_string(m))) return m;
    return std::nullopt;
}

/// The mode a byte of a wire format or file holds (PagingMode's values): the one checked conversion from stored
/// values. Only modes with paging on, unless `allow_disabled`.
constexpr std::optional<PagingMode> paging_mode_from_value(std::uint8_t value, bool allow_disabled = false) {
    if (value == static_cast<std::uint8_t>(PagingMode::disabled) && allow_disabled) return PagingMode::disabled;
    for (PagingMode m : kPagingModes)
        if (value == static_cast<std::uint8_t>(m)) return m;
    return std::nullopt;
}

/// A paging-structure level, numbered from the bottom as the SDM does (Vol. 3A §4.2, §4.5): 1 = page table
/// (PTE), 2 = page directory (PDE), 3 = page-directory-pointer table (PDPTE), 4 = PML4, 5 = PML5. The one way
/// new runtime code names a level: it cannot be mixed up with an index, a count or a table depth, and it reads
/// the same as the SDM (`kPde.next_lower() == kPte`). Level 0 (below the PTE) is what next_lower() gives at the
/// bottom: not valid(), the end of a walk down.
class Level {
public:
    static constexpr unsigned kMax = 5;  ///< PML5E: the highest level of any mode (5-level paging)

    constexpr explicit Level(unsigned value) : value_(static_cast<std::uint8_t>(value)) {}

    [[nodiscard]] constexpr unsigned value() const { return value_; }
    /// 1 … kMax: a level some mode has.
    [[nodiscard]] constexpr bool valid() const { return value_ >= 1 && value_ <= kMax; }
    /// The level of the tables this level's entries reference (Level{0} below the PTE).
    [[nodiscard]] constexpr Level next_lower() const { return Level{value_ > 0 ? value_ - 1u : 0u}; }
    /// The level of the table whose entries reference this level's tables.
    [[nodiscard]] constexpr Level next_higher() const { return Level{value_ + 1u}; }

    friend constexpr bool operator==(Level a, Level b) { return a.value_ == b.value_; }
    friend constexpr bool operator!=(Level a, Level b) { return a.value_ != b.value_; }
    friend constexpr bool operator<(Level a, Level b) { return a.value_ < b.value_; }
    friend constexpr bool operator<=(Level a, Level b) { return a.value_ <= b.value_; }
    friend constexpr bool operator>(Level a, Level b) { return a.value_ > b.value_; }
    friend constexpr bool operator>=(Level a, Level b) { return a.value_ >= b.value_; }

private:
    std::uint8_t value_;
};

inline constexpr Level kPte{1};    ///< page table entry (SDM: PTE)
inline constexpr Level kPde{2};    ///< page-directory entry
inline constexpr Level kPdpte{3};  ///< page-directory-pointer-table entry
inline constexpr Level kPml4e{4};  ///< PML4 entry
inline constexpr Level kPml5e{5};  ///< PML5 entry

/// The SDM's name for the entry of a level in a mode ("PML4E", "PDPTE", "PDE", "PTE").
constexpr const char* entry_name(unsigned level) {
    switch (level) {
        case 1:
            return "PTE";
        case 2:
            return "PDE";
        case 3:
            return "PDPTE";
        case 4:
            return "PML4E";
        case 5:
            return "PML5E";
    }
    return "?";
}

constexpr const char* entry_name(Level level) {
    return entry_name(level.value());
}

/// The geometry of one level: which linear-address bits index it.
struct LevelShape {
    std::uint8_t shift = 0;       // lowest linear-address bit of the index
    std::uint8_t index_bits = 0;  // index width (10 for 32-bit paging, 2 for the PAE PDPT, else 9)

    constexpr unsigned entries() const { return 1u << index_bits; }
    constexpr unsigned index(std::uint64_t va) const {
        return static_cast<unsigned>((va >> shift) & ((1u << index_bits) - 1));
    }
    /// Bytes of linear address one entry covers (the page size if it is a leaf).
    constexpr std::uint64_t span() const { return std::uint64_t{1} << shift; }
};

/// The geometry of a mode, for code that learns the mode at run time.
struct ModeShape {
    PagingMode mode = PagingMode::disabled;
    std::uint8_t levels = 0;       // 2, 3, 4 or 5 (0 when paging is disabled)
    std::uint8_t entry_bytes = 8;  // 4 for 32-bit paging
    std::uint8_t va_bits = 32;     // linear-address width: 32, 48 or 57
    LevelShape level[6] = {};      // indexed by level number, 1..levels

    constexpr const LevelShape& at(unsigned l) const { return level[l]; }
    constexpr const LevelShape& at(Level l) const { return level[l.value()]; }
    /// The level of the top-level table (the one CR3 references; Level{0} when paging is disabled).
    constexpr Level top() const { return Level{levels}; }
    /// Whether the mode has entries of level `l`.
    constexpr bool has(Level l) const { return l.value() >= 1 && l.value() <= levels; }

    /// The low `va_bits` bits of `va`: the linear address the walk indexes (in 4/5-level paging bits 63:48 or 63:57
    /// only make an address canonical; 32-bit and PAE paging use 32 bits).
    constexpr std::uint64_t linear(std::uint64_t va) const { return va & bits::mask(va_bits - 1u, 0); }
    /// The canonical form of a linear address (SDM Vol. 3A §3.3.7.1): sign-extended from bit 47 or 56 in 4/5-level
    /// paging; unchanged in 32-bit and PAE paging.
    constexpr std::uint64_t canonical(std::uint64_t lin) const {
        return levels >= 4 ? bits::sign_extend(lin, va_bits) : lin;
    }
    /// Whether `va` is an address of this mode: canonical in 4/5-level paging (else an access raises #GP(0)), below
    /// 4 GiB in 32-bit and PAE paging.
    constexpr bool is_address(std::uint64_t va) const { return canonical(linear(va)) == va; }
    /// What CR2 receives for a #PF on linear address `va` (SDM Vol. 3A §4.7): the address, 32 bits wide in 32-bit
    /// and PAE paging.
    constexpr std::uint64_t fault_address(std::uint64_t va) const { return canonical(linear(va)); }
};

namespace detail {

constexpr ModeShape make_shape(PagingMode m) {
    ModeShape s{};
    s.mode = m;
    switch (m) {
        case PagingMode::disabled:
            break;
        case PagingMode::legacy32:  // SDM §4.3: 10 + 10 + 12 bits
            s.levels = 2;
            s.entry_bytes = 4;
            s.va_bits = 32;
            s.level[1] = {12, 10};
            s.level[2] = {22, 10};
            break;
        case PagingMode::pae:  // SDM §4.4: 2 + 9 + 9 + 12 bits
            s.levels = 3;
            s.va_bits = 32;
            s.level[1] = {12, 9};
            s.level[2] = {21, 9};
            s.level[3] = {30, 2};
            break;
        case PagingMode::long4:
        case PagingMode::long5:  // SDM §4.5: 9 bits per level above the 12-bit page offset
            s.levels = m == PagingMode::long4 ? 4 : 5;
            s.va_bits = m == PagingMode::long4 ? 48 : 57;
            for (unsigned l = 1; l <= s.levels; ++l) s.level[l] = {static_cast<std::uint8_t>(12 + 9 * (l - 1)), 9};
            break;
    }
    return s;
}

/// Every mode's shape, made once: walks and loops ask for it per entry.
inline constexpr ModeShape kShapes[] = {make_shape(PagingMode::disabled), make_shape(PagingMode::legacy32),
                                        make_shape(PagingMode::pae), make_shape(PagingMode::long4),
                                        make_shape(PagingMode::long5)};

}  // namespace detail

constexpr ModeShape shape(PagingMode m) {
    return detail::kShapes[static_cast<unsigned>(m)];
}

/// The bits of a table-referencing entry (and of a PAE PDPTE) that hold the next table's physical address
/// on a CPU with `maxphyaddr` physical-address bits (clamped to 32..52): 31:12 in 32-bit paging, else
/// (MAXPHYADDR-1):12 (SDM Vol. 3A §4.3, §4.4.2 and §4.5.4, the tables "Format of a … Entry"). The same
/// at every level of a mode.
constexpr std::uint64_t table_address_mask(PagingMode m, unsigned maxphyaddr) {
    const unsigned width = maxphyaddr < 32 ? 32u : (maxphyaddr > 52 ? 52u : maxphyaddr);
    return m == PagingMode::legacy32 ? bits::mask(31, 12) : bits::mask(width - 1, 12);
}

/// Per-level facts of a mode, as types. `Entry` is the entry as read (the table form where the level may
/// hold either); `Leaf` is the entry that maps a page at this level, or `void` where no page can be
/// mapped; `leaf_needs` says which CPU feature lets PS make a leaf here.
template <class Mode, unsigned LevelNumber>
struct LevelTraits;

enum class LeafFeature : std::uint8_t { never, always, pse, page1gb };

/// 32-bit paging: PD (1024 × 4 bytes) → PT (1024 × 4 bytes). SDM §4.3.
struct Legacy32 {
    static constexpr PagingMode id = PagingMode::legacy32;
    static constexpr unsigned levels = 2;
    using raw_type = std::uint32_t;
};
/// PAE paging: PDPT (4 × 8 bytes, cached in registers) → PD → PT. SDM §4.4.
struct Pae {
    static constexpr PagingMode id = PagingMode::pae;
    static constexpr unsigned levels = 3;
    using raw_type = std::uint64_t;
};
/// 4-level paging: PML4 → PDPT → PD → PT. SDM §4.5.
struct Long4 {
    static constexpr PagingMode id = PagingMode::long4;
    static constexpr unsigned levels = 4;
    using raw_type = std::uint64_t;
};
/// 5-level paging: PML5 → PML4 → PDPT → PD → PT. SDM §4.5.
struct Long5 {
    static constexpr PagingMode id = PagingMode::long5;
    static constexpr unsigned levels = 5;
    using raw_type = std::uint64_t;
};

namespace detail {
template <unsigned LevelNumber, class EntryT, class LeafT, LeafFeature Feature>
struct LevelFacts {
    using Entry = EntryT;
    using Leaf = LeafT;
    static constexpr unsigned level = LevelNumber;
    static constexpr LeafFeature leaf_needs = Feature;
    static constexpr const char* name() { return entry_name(LevelNumber); }
};
}  // namespace detail

// clang-format off
template <> struct LevelTraits<Legacy32, 2> : detail::LevelFacts<2, Pde32, Pde4M, LeafFeature::pse> {};
template <> struct LevelTraits<Legacy32, 1> : detail::LevelFacts<1, Pte32, Pte32, LeafFeature::always> {};
template <> struct LevelTraits<Pae, 3> : detail::LevelFacts<3, PaePdpte, void, LeafFeature::never> {};
template <> struct LevelTraits<Pae, 2> : detail::LevelFacts<2, PaePde, PaePde2M, LeafFeature::always> {};
template <> struct LevelTraits<Pae, 1> : detail::LevelFacts<1, PaePte, PaePte, LeafFeature::always> {};
template <> struct LevelTraits<Long5, 5> : detail::LevelFacts<5, Pml5e, void, LeafFeature::never> {};
template <> struct LevelTraits<Long5, 4> : detail::LevelFacts<4, Pml4e, void, LeafFeature::never> {};
template <> struct LevelTraits<Long5, 3> : detail::LevelFacts<3, Pdpte, Pdpte1G, LeafFeature::page1gb> {};
template <> struct LevelTraits<Long5, 2> : detail::LevelFacts<2, Pde, Pde2M, LeafFeature::always> {};
template <> struct LevelTraits<Long5, 1> : detail::LevelFacts<1, Pte, Pte, LeafFeature::always> {};
template <> struct LevelTraits<Long4, 4> : LevelTraits<Long5, 4> {};
template <> struct LevelTraits<Long4, 3> : LevelTraits<Long5, 3> {};
template <> struct LevelTraits<Long4, 2> : LevelTraits<Long5, 2> {};
template <> struct LevelTraits<Long4, 1> : LevelTraits<Long5, 1> {};
// clang-format on

/// The geometry of one level of a mode at compile time.
template <class Mode, unsigned LevelNumber>
inline constexpr LevelShape level_shape = shape(Mode::id).level[LevelNumber];

}  // namespace pagewalk
