// SPDX-License-Identifier: MIT OR Apache-2.0
// One point of the access matrix: the entries of one walk (their flags, the leaf's level, reserved bits and where),
// the control state and the access. A plain value; space.hpp decodes it from an index.
#pragma once

#include <cstdint>
#include <pagewalk/access.hpp>
#include <pagewalk/mode.hpp>

namespace pagewalk::harness::matrix {

/// Which part of the space a combination belongs to: the rights family varies every flag with no reserved bit set;
/// the reserved family sets one or two reserved bits in entries whose other flags grant everything.
enum class Family : std::uint8_t { rights, reserved };

/// The control state of a combination: what the guest writes to CR0, CR4, EFER and PKRU (the slowest digits).
struct Controls {
    bool wp = false;                        // CR0.WP
    bool smep = false;                      // CR4.SMEP
    bool smap = false;                      // CR4.SMAP
    bool nxe = false;                       // EFER.NXE (PAE, 4/5-level)
    bool pse = false;                       // CR4.PSE (32-bit paging)
    bool pke = false;                       // CR4.PKE (4/5-level)
    bool pkru_ad = false, pkru_wd = false;  // PKRU's AD and WD for key kLeafKey (inputs.hpp pkru_value)

    friend constexpr bool operator==(const Controls&, const Controls&) = default;
};

/// The access of a combination. EFLAGS.AC is here rather than in Controls: the guest sets it per access (STAC/CLAC).
struct AccessKind {
    AccessType type = AccessType::read;
    std::uint8_t cpl = 0;   // 0 or 3
    bool implicit = false;  // an implicit supervisor access (a descriptor-table or TSS access)
    bool ac = false;        // EFLAGS.AC

    friend constexpr bool operator==(const AccessKind&, const AccessKind&) = default;
};

/// The reserved-bit classes the walker knows (context.hpp compute_rules, entry.hpp PAGEWALK_RESERVED). Which bit a
/// class sets on a given CPU is chosen by inputs.hpp from the Context's reserved masks; a class that reserves no bit
/// on that CPU (MAXPHYADDR 52, an Intel CPU for bit 8, 1 GiB pages supported) does not apply there.
enum class ReservedClass : std::uint8_t {
    none,
    physical_address,  // the lowest address bit at or above MAXPHYADDR (PSE-36: of bits 20:13)
    execute_disable,   // XD with EFER.NXE = 0
    top_page_size,     // PS in a PML4E or PML5E
    amd_bit8,          // bit 8 of a PML4E or PML5E (AMD)
    page_size_no_1g,   // PS in a PDPTE on a CPU without 1 GiB pages
    alignment_low,     // the lowest address bit below a huge page's size (bit 13)
    alignment_high,    // the highest one (bit 20 of a 2 MiB leaf, 29 of a 1 GiB leaf)
    pse_bit21,         // bit 21 of a 32-bit 4 MiB PDE
    pdpte_low,         // PAE PDPTE bits 2:1 (the lowest)
    pdpte_middle,      // PAE PDPTE bits 8:5 (the lowest)
    pdpte_high,        // PAE PDPTE bit 63
};
inline constexpr unsigned kReservedClasses = static_cast<unsigned>(ReservedClass::pdpte_high) + 1;

constexpr const char* to_string(ReservedClass c) {
    constexpr const char* names[kReservedClasses] = {
        "none",          "physical-address", "xd-without-nxe", "ps-in-pml4e-pml5e", "amd-bit8",     "ps-without-1g",
        "alignment-low", "alignment-high",   "pse-bit21",      "pdpte-low",         "pdpte-middle", "pdpte-high"};
    return names[static_cast<unsigned>(c)];
}

/// A reserved bit's class and the level of the entry that holds it.
struct Placement {
    ReservedClass cls = ReservedClass::none;
    std::uint8_t level = 0;

    friend constexpr bool operator==(const Placement&, const Placement&) = default;
};

/// The protection keys the matrix uses (choices of this matrix, not x86 facts): the leaf's key is 0 or kLeafKey;
/// table entries hold 0 or kDecoyKey in their ignored bits 62:59, and PKRU denies everything for kDecoyKey, so a walk
/// that took a table entry's key would fault.
inline constexpr std::uint8_t kLeafKey = 5;
inline constexpr std::uint8_t kDecoyKey = 10;

struct Combination {
    PagingMode mode = PagingMode::long4;
    Family family = Family::rights;
    std::uint8_t leaf_level = 1;
    /// Flags of each level's entry (index 1..levels, entries above the leaf and the leaf; 0 below): raw entry bits
    /// of P, R/W, U/S, A, XD, D, G, PWT/PCD/PAT — no address, no PS, no key, no reserved bit.
    std::uint64_t flags[6] = {};
    std::uint8_t leaf_key = 0;   // the leaf's protection key (4/5-level)
    std::uint8_t table_key = 0;  // the key held by every table entry's ignored bits 62:59 (4/5-level)
    Placement reserved[2] = {};  // reserved family: one or two; the second is none for one
    bool holder_present = true;  // reserved family: P of the entry (entries) holding the reserved bit
    Controls controls{};
    AccessKind access{};

    friend constexpr bool operator==(const Combination&, const Combination&) = default;
};

}  // namespace pagewalk::harness::matrix
