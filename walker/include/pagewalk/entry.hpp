// SPDX-License-Identifier: MIT OR Apache-2.0
// Bit-exact paging-structure entries: one type per (mode, level, table-or-leaf).
//
// Every type is a value holding exactly the raw entry (static_asserts below pin the sizes), with a named
// accessor for every architectural field. Which bits are *reserved* depends on the CPU (MAXPHYADDR, NXE,
// 1 GiB-page support, vendor), so reserved bits are not fields here: `Context` computes them.
//
// Sources: Intel SDM Vol. 3A §4.3 (32-bit paging, tables "Format of a 32-Bit Page-Directory Entry that
// Maps a 4-MByte Page" etc.), §4.4.2 (PAE paging), §4.5.4 (4-level and 5-level paging); AMD APM Vol. 2 §5.3
// (legacy) and §5.4 (long mode).
#pragma once

#include <cstdint>

#include "bits.hpp"

namespace pagewalk {

namespace detail {

/// Bits 5:0 mean the same in every entry that controls an access (all but the PAE PDPTE).
template <class Self, class Raw>
class AccessFlags : public EntryBase<Self, Raw> {
public:
    using EntryBase<Self, Raw>::EntryBase;
    using raw_type = Raw;
    PAGEWALK_BIT(0, present)          // P
    PAGEWALK_BIT(1, writable)         // R/W
    PAGEWALK_BIT(2, user)             // U/S
    PAGEWALK_BIT(3, write_through)    // PWT
    PAGEWALK_BIT(4, cache_disable)    // PCD
    PAGEWALK_BIT(5, accessed)         // A
    PAGEWALK_FIELD(11, 9, available)  // ignored by the CPU in every format: free for software
};

/// An entry that references a table of the next level (PS, bit 7, is 0 — or ignored/reserved by level).
template <class Self, class Raw>
class TableFlags : public AccessFlags<Self, Raw> {
public:
    using AccessFlags<Self, Raw>::AccessFlags;
    using raw_type = Raw;
    PAGEWALK_BIT(7, page_size)  // PS: must be 0 here; set, it makes a huge page or a reserved-bit fault
};

/// Flags of an entry that maps a 2 MiB, 4 MiB or 1 GiB page (PS = 1).
template <class Self, class Raw>
class HugeLeafFlags : public AccessFlags<Self, Raw> {
public:
    using AccessFlags<Self, Raw>::AccessFlags;
    using raw_type = Raw;
    PAGEWALK_BIT(6, dirty)      // D
    PAGEWALK_BIT(7, page_size)  // PS = 1
    PAGEWALK_BIT(8, global)     // G (honoured when CR4.PGE = 1)
    PAGEWALK_BIT(12, pat)       // PAT: the page-attribute index's high bit
};

/// Flags of an entry that maps a 4 KiB page.
template <class Self, class Raw>
class PageLeafFlags : public AccessFlags<Self, Raw> {
public:
    using AccessFlags<Self, Raw>::AccessFlags;
    using raw_type = Raw;
    PAGEWALK_BIT(6, dirty)   // D
    PAGEWALK_BIT(7, pat)     // PAT — bit 7 of a PTE is PAT, never PS
    PAGEWALK_BIT(8, global)  // G
};

}  // namespace detail

// ---- 4-level and 5-level paging (SDM §4.5.4; AMD APM §5.4) ----------------------------------------------

/// PML5E: references a PML4 table (5-level paging only). PS (bit 7) is reserved.
class Pml5e : public detail::TableFlags<Pml5e, std::uint64_t> {
public:
    using TableFlags::TableFlags;
    PAGEWALK_RESERVED(8, 8, amd_reserved)  // reserved on AMD (APM Vol. 2 §5.4.1), ignored on Intel
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_FIELD(62, 52, available_high)
    PAGEWALK_BIT(63, execute_disable)  // XD
};

/// PML4E: references a page-directory-pointer table. PS (bit 7) is reserved: there are no 512 GiB pages.
class Pml4e : public detail::TableFlags<Pml4e, std::uint64_t> {
public:
    using TableFlags::TableFlags;
    PAGEWALK_RESERVED(8, 8, amd_reserved)  // reserved on AMD (APM Vol. 2 §5.4.1), ignored on Intel
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_FIELD(62, 52, available_high)
    PAGEWALK_BIT(63, execute_disable)
};

/// PDPTE that references a page directory (PS = 0).
class Pdpte : public detail::TableFlags<Pdpte, std::uint64_t> {
public:
    using TableFlags::TableFlags;
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_FIELD(62, 52, available_high)
    PAGEWALK_BIT(63, execute_disable)
};

/// PDPTE that maps a 1 GiB page (PS = 1). Bits 29:13 are reserved (address alignment); bit 12 is PAT.
class Pdpte1G : public detail::HugeLeafFlags<Pdpte1G, std::uint64_t> {
public:
    using HugeLeafFlags::HugeLeafFlags;
    PAGEWALK_RESERVED(29, 13, alignment)  // the address's low bits: a 1 GiB page is 1 GiB-aligned
    PAGEWALK_ADDRESS(51, 30)
    PAGEWALK_FIELD(58, 52, available_high)
    PAGEWALK_FIELD(62, 59, protection_key)  // used when CR4.PKE = 1, else ignored
    PAGEWALK_BIT(63, execute_disable)
};

/// PDE that references a page table (PS = 0).
class Pde : public detail::TableFlags<Pde, std::uint64_t> {
public:
    using TableFlags::TableFlags;
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_FIELD(62, 52, available_high)
    PAGEWALK_BIT(63, execute_disable)
};

/// PDE that maps a 2 MiB page (PS = 1). Bits 20:13 are reserved (address alignment); bit 12 is PAT.
class Pde2M : public detail::HugeLeafFlags<Pde2M, std::uint64_t> {
public:
    using HugeLeafFlags::HugeLeafFlags;
    PAGEWALK_RESERVED(20, 13, alignment)  // the address's low bits: a 2 MiB page is 2 MiB-aligned
    PAGEWALK_ADDRESS(51, 21)
    PAGEWALK_FIELD(58, 52, available_high)
    PAGEWALK_FIELD(62, 59, protection_key)
    PAGEWALK_BIT(63, execute_disable)
};

/// PTE that maps a 4 KiB page.
class Pte : public detail::PageLeafFlags<Pte, std::uint64_t> {
public:
    using PageLeafFlags::PageLeafFlags;
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_FIELD(58, 52, available_high)
    PAGEWALK_FIELD(62, 59, protection_key)
    PAGEWALK_BIT(63, execute_disable)
};

// ---- PAE paging (SDM §4.4.2; AMD APM §5.3) ---------------------------------------------------------------
// PAE entries have the 64-bit layout but no protection key, and bits 62:MAXPHYADDR are reserved.

/// PAE PDPTE: one of the four loaded into internal registers at MOV CR3. Only P, PWT, PCD and the
/// address are defined; bits 2:1, 8:5 and 63 are reserved (a #GP at the CR3 load, SDM §4.4.1).
class PaePdpte : public EntryBase<PaePdpte, std::uint64_t> {
public:
    using EntryBase::EntryBase;
    PAGEWALK_BIT(0, present)
    PAGEWALK_RESERVED(2, 1, reserved_low)
    PAGEWALK_BIT(3, write_through)
    PAGEWALK_BIT(4, cache_disable)
    PAGEWALK_RESERVED(8, 5, reserved_middle)
    PAGEWALK_FIELD(11, 9, available)
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_RESERVED(63, 63, reserved_high)  // bits 62:MAXPHYADDR are reserved too (the Context knows MAXPHYADDR)
};

/// PAE PDE that references a page table (PS = 0).
class PaePde : public detail::TableFlags<PaePde, std::uint64_t> {
public:
    using TableFlags::TableFlags;
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_BIT(63, execute_disable)
};

/// PAE PDE that maps a 2 MiB page (PS = 1).
class PaePde2M : public detail::HugeLeafFlags<PaePde2M, std::uint64_t> {
public:
    using HugeLeafFlags::HugeLeafFlags;
    PAGEWALK_RESERVED(20, 13, alignment)
    PAGEWALK_ADDRESS(51, 21)
    PAGEWALK_BIT(63, execute_disable)
};

/// PAE PTE that maps a 4 KiB page.
class PaePte : public detail::PageLeafFlags<PaePte, std::uint64_t> {
public:
    using PageLeafFlags::PageLeafFlags;
    PAGEWALK_ADDRESS(51, 12)
    PAGEWALK_BIT(63, execute_disable)
};

// ---- 32-bit paging (SDM §4.3; AMD APM §5.3) --------------------------------------------------------------

/// 32-bit PDE that references a page table (PS = 0, or any PS when CR4.PSE = 0: then PS is ignored).
class Pde32 : public detail::TableFlags<Pde32, std::uint32_t> {
public:
    using TableFlags::TableFlags;
    PAGEWALK_ADDRESS(31, 12)
};

/// 32-bit PDE that maps a 4 MiB page (CR4.PSE = 1 and PS = 1). PSE-36: bits 20:13 hold physical-address
/// bits 39:32, so the page's address comes from the entry alone — never from the linear address.
/// Bit 21 is reserved; so are the bits of 20:13 at or above MAXPHYADDR (the Context knows MAXPHYADDR).
class Pde4M : public detail::HugeLeafFlags<Pde4M, std::uint32_t> {
public:
    using HugeLeafFlags::HugeLeafFlags;
    PAGEWALK_FIELD(20, 13, address_high)  // physical-address bits 39:32
    PAGEWALK_RESERVED(21, 21, reserved21)
    using address_low_field = bits::Field<std::uint32_t, 31, 22>;  // physical-address bits 31:22, in place
    /// Where address_high's bits land in the physical address.
    static constexpr unsigned address_high_pa_shift = 32;

    /// The page's physical address: bits 31:22 from bits 31:22, bits 39:32 from bits 20:13.
    constexpr std::uint64_t address() const {
        return (raw_ & address_low_field::mask) | (static_cast<std::uint64_t>(address_high()) << address_high_pa_shift);
    }
    constexpr Pde4M& set_address(std::uint64_t pa) {
        raw_ = static_cast<std::uint32_t>((raw_ & ~address_low_field::mask) |
                                          (static_cast<std::uint32_t>(pa) & address_low_field::mask));
        return set_address_high(pa >> address_high_pa_shift);
    }
};

/// 32-bit PTE that maps a 4 KiB page.
class Pte32 : public detail::PageLeafFlags<Pte32, std::uint32_t> {
public:
    using PageLeafFlags::PageLeafFlags;
    PAGEWALK_ADDRESS(31, 12)
};

// ---- Raw tables ------------------------------------------------------------------------------------------

/// One 4 KiB page-table page as raw entries (1024 × 4 bytes for 32-bit paging, 512 × 8 bytes otherwise),
/// for building tables in a buffer: `table[i] = pte.raw()`, `table.entry<Pte>(i)`.
template <class Raw, unsigned N>
struct alignas(4096) RawPageTable {
    Raw entries[N];

    static constexpr unsigned size() { return N; }
    constexpr Raw& operator[](unsigned i) { return entries[i]; }
    constexpr const Raw& operator[](unsigned i) const { return entries[i]; }
    constexpr Raw entry_raw(unsigned i) const { return entries[i]; }

    /// Entry `i` viewed as the given entry type.
    template <class Entry>
    constexpr Entry entry(unsigned i) const {
        return Entry{entries[i]};
    }
};

using RawPageTable64 = RawPageTable<std::uint64_t, 512>;
using RawPageTable32 = RawPageTable<std::uint32_t, 1024>;

// ---- Bits that mean the same in every format that has them ----------------------------------------------------

/// Raw-entry bit positions, taken from the declarations above, for code that works on entries of any level (the
/// walk, the visitor, the mapper, record decoders and checks): SDM Vol. 3A Tables 4-4 to 4-6, 4-8 to 4-11 and
/// 4-14 to 4-20. The static_asserts below pin that every format that has a bit has it in the same place.
namespace entry_bit {
inline constexpr std::uint64_t present = Pte::present_field::mask;                  // P
inline constexpr std::uint64_t writable = Pte::writable_field::mask;                // R/W
inline constexpr std::uint64_t user = Pte::user_field::mask;                        // U/S
inline constexpr std::uint64_t write_through = Pte::write_through_field::mask;      // PWT
inline constexpr std::uint64_t cache_disable = Pte::cache_disable_field::mask;      // PCD
inline constexpr std::uint64_t accessed = Pte::accessed_field::mask;                // A
inline constexpr std::uint64_t dirty = Pte::dirty_field::mask;                      // D (leaves)
inline constexpr std::uint64_t page_size = Pde::page_size_field::mask;              // PS (entries above level 1)
inline constexpr std::uint64_t global = Pte::global_field::mask;                    // G (leaves)
inline constexpr std::uint64_t pat_4k = Pte::pat_field::mask;                       // PAT of a 4 KiB leaf (bit 7)
inline constexpr std::uint64_t pat_huge = Pde2M::pat_field::mask;                   // PAT of a huge leaf (bit 12)
inline constexpr std::uint64_t execute_disable = Pte::execute_disable_field::mask;  // XD (PAE, 4/5-level)
inline constexpr std::uint64_t available = Pte::available_field::mask;              // bits 11:9, ignored
inline constexpr std::uint64_t available_high = Pml4e::available_high_field::mask;  // bits 62:52 of a 64-bit entry
/// Bits 62:59 of a 4/5-level leaf: the protection key when CR4.PKE = 1 (SDM §4.6.2), else ignored.
using protection_key = Pte::protection_key_field;
}  // namespace entry_bit

static_assert(Pte32::present_field::mask == entry_bit::present && Pde32::present_field::mask == entry_bit::present);
static_assert(PaePdpte::present_field::mask == entry_bit::present && Pml5e::present_field::mask == entry_bit::present);
static_assert(Pte32::accessed_field::mask == entry_bit::accessed && Pde4M::dirty_field::mask == entry_bit::dirty);
static_assert(Pde32::page_size_field::mask == entry_bit::page_size &&
              Pml4e::page_size_field::mask == entry_bit::page_size);
static_assert(Pde4M::global_field::mask == entry_bit::global && Pdpte1G::global_field::mask == entry_bit::global);
static_assert(Pte32::pat_field::mask == entry_bit::pat_4k && Pde4M::pat_field::mask == entry_bit::pat_huge);
static_assert(PaePte::execute_disable_field::mask == entry_bit::execute_disable &&
              Pml5e::execute_disable_field::mask == entry_bit::execute_disable);
static_assert(Pdpte1G::protection_key_field::mask == entry_bit::protection_key::mask &&
              Pde2M::protection_key_field::mask == entry_bit::protection_key::mask);

static_assert(sizeof(Pml5e) == 8 && sizeof(Pml4e) == 8 && sizeof(Pdpte) == 8 && sizeof(Pdpte1G) == 8);
static_assert(sizeof(Pde) == 8 && sizeof(Pde2M) == 8 && sizeof(Pte) == 8);
static_assert(sizeof(PaePdpte) == 8 && sizeof(PaePde) == 8 && sizeof(PaePde2M) == 8 && sizeof(PaePte) == 8);
static_assert(sizeof(Pde32) == 4 && sizeof(Pde4M) == 4 && sizeof(Pte32) == 4);
static_assert(sizeof(RawPageTable64) == 4096 && sizeof(RawPageTable32) == 4096);

}  // namespace pagewalk
