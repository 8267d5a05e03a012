// SPDX-License-Identifier: MIT OR Apache-2.0
// One memory access as the CPU makes it, and what translating it produced.
#pragma once

#include <cstdint>
#include <optional>

#include "bits.hpp"
#include "mode.hpp"

namespace pagewalk {

enum class AccessType : std::uint8_t { read, write, fetch };

constexpr const char* to_string(AccessType t) {
    switch (t) {
        case AccessType::read:
            return "read";
        case AccessType::write:
            return "write";
        case AccessType::fetch:
            return "fetch";
    }
    return "?";
}

/// A memory access: its type, the privilege it is made with, and the state that decides its rights.
///   Access::write().user()             a CPL-3 write
///   Access::read().with_ac()           an explicit CPL-0 read with EFLAGS.AC = 1 (SMAP allows user pages)
///   Access::read().user().implicit()   a descriptor-table read made at CPL 3: a supervisor access
struct Access {
    AccessType type = AccessType::read;
    std::uint8_t cpl = 0;
    bool ac = false;                   // EFLAGS.AC
    bool implicit_supervisor = false;  // GDT/LDT/IDT/TSS access: supervisor-mode whatever the CPL (SDM §4.6.1)
    std::uint32_t pkru = 0;            // PKRU: AD = bit 2i, WD = bit 2i+1 for key i (SDM §4.6.2)

    static constexpr Access read() { return {AccessType::read}; }
    static constexpr Access write() { return {AccessType::write}; }
    static constexpr Access fetch() { return {AccessType::fetch}; }

    constexpr Access at_cpl(std::uint8_t level) const {
        Access a = *this;
        a.cpl = level;
        return a;
    }
    constexpr Access user() const { return at_cpl(3); }
    constexpr Access with_ac(bool value = true) const {
        Access a = *this;
        a.ac = value;
        return a;
    }
    constexpr Access implicit() const {
        Access a = *this;
        a.implicit_supervisor = true;
        return a;
    }
    constexpr Access with_pkru(std::uint32_t value) const {
        Access a = *this;
        a.pkru = value;
        return a;
    }

    /// A user-mode access: CPL 3 and not an implicit supervisor access (SDM §4.6.1).
    constexpr bool is_user() const { return cpl == 3 && !implicit_supervisor; }
    /// An explicit supervisor access: CPL < 3 and not implicit — the only kind EFLAGS.AC can exempt from SMAP.
    constexpr bool is_explicit_supervisor() const { return cpl < 3 && !implicit_supervisor; }
    constexpr bool is_write() const { return type == AccessType::write; }
    constexpr bool is_fetch() const { return type == AccessType::fetch; }
};

/// The exception vectors paging raises (SDM Vol. 3A §6.3.1, Table 6-1).
namespace vector {
inline constexpr std::uint8_t invalid_opcode = 6;       // #UD (the harness ends a CPL-3 call with UD2)
inline constexpr std::uint8_t general_protection = 13;  // #GP
inline constexpr std::uint8_t page_fault = 14;          // #PF
inline constexpr std::uint8_t alignment_check = 17;     // #AC (SDM Vol. 3A §6.15 Interrupt 17)
}  // namespace vector

/// Page-fault error-code bits (SDM Vol. 3A §4.7, Figure 4-12).
namespace pf {
inline constexpr std::uint32_t p = bits::bit<std::uint32_t>(0);     // 0: not present; 1: protection or reserved bit
inline constexpr std::uint32_t w = bits::bit<std::uint32_t>(1);     // write access
inline constexpr std::uint32_t u = bits::bit<std::uint32_t>(2);     // user-mode access
inline constexpr std::uint32_t rsvd = bits::bit<std::uint32_t>(3);  // reserved bit set in a paging-structure entry
inline constexpr std::uint32_t id = bits::bit<std::uint32_t>(4);    // instruction fetch (when reported)
inline constexpr std::uint32_t pk = bits::bit<std::uint32_t>(5);    // protection-key violation
inline constexpr std::uint32_t ss = bits::bit<std::uint32_t>(6);    // shadow-stack access (CET: not modelled here)
}  // namespace pf

/// One paging-structure entry the walk read.
struct ChainEntry {
    std::uint64_t entry_pa;  // physical address of the entry
    std::uint64_t value;     // the entry as read (for a PAE PDPTE: the register value)
    std::uint8_t level;

    friend constexpr bool operator==(const ChainEntry&, const ChainEntry&) = default;
};

/// The entries a walk read, top level first.
///
/// translate() fills one on every call, so it is kept compact: the entry values, the top-level table, the
/// linear address and one word of bookkeeping. Each entry's physical address is derived on access exactly
/// as the walk computed it — the top-level table, or the previous entry's table address, plus the index.
class EntryChain {
public:
    static constexpr unsigned capacity = 5;

    constexpr EntryChain() : EntryChain(PagingMode::disabled, 52, 0, 0) {}
    /// An empty chain for a walk of `va` in `mode` starting at the table `root`, on a CPU with `maxphyaddr`
    /// physical-address bits.
    constexpr EntryChain(PagingMode mode, unsigned maxphyaddr, std::uint64_t root, std::uint64_t va) {
        for (auto& v : values_) v = 0;
        start(root, va);
        finish(mode, maxphyaddr, 0);
    }

    constexpr unsigned size() const { return meta_ & 0xffu; }
    constexpr bool empty() const { return size() == 0; }
    constexpr PagingMode mode() const { return static_cast<PagingMode>((meta_ >> 8) & 0xffu); }
    /// The linear address walked.
    constexpr std::uint64_t va() const { return va_; }
    /// Level of the first entry: 5, 4, 3 (PAE: the PDPTE) or 2.
    constexpr unsigned top_level() const {
        static_assert(static_cast<unsigned>(PagingMode::legacy32) + 1 == 2 &&
                      static_cast<unsigned>(PagingMode::long5) + 1 == 5);
        return static_cast<unsigned>(mode()) + 1;
    }

    /// Entry `i` (0 = the top level); `i` must be below size().
    constexpr ChainEntry operator[](unsigned i) const {
        const ModeShape s = shape(mode());
        const unsigned level = s.levels - i;
        const std::uint64_t table = i == 0 ? root_ : values_[i - 1] & table_address_mask(mode(), meta_ >> 16);
        return {table + std::uint64_t{s.at(level).index(va_)} * s.entry_bytes, values_[i],
                static_cast<std::uint8_t>(level)};
    }
    /// The value of entry `i` (below size()).
    constexpr std::uint64_t value(unsigned i) const { return values_[i]; }
    constexpr ChainEntry last() const { return (*this)[empty() ? 0 : size() - 1]; }
    /// The entry of `level`, if the walk read one.
    constexpr std::optional<ChainEntry> at_level(unsigned level) const {
        const unsigned top = top_level();
        if (level > top || top - level >= size()) return std::nullopt;
        return (*this)[top - level];
    }
    /// Bit L set: among the first `n` entries, the level-L one has A = 0 (a PAE PDPTE has no A bit).
    constexpr std::uint8_t accessed_clear(unsigned n) const {
        if (n > size()) n = size();
        // Entry i is level top - i: collect "A clear" top level first, then move the last one to its level.
        unsigned acc = 0;
        for (unsigned i = mode() == PagingMode::pae ? 1u : 0u; i < n; ++i) {
            acc = (acc << 1) | ((static_cast<unsigned>(values_[i] >> 5) & 1u) ^ 1u);
        }
        return static_cast<std::uint8_t>(acc << (top_level() + 1 - n));
    }

    class iterator {
    public:
        using value_type = ChainEntry;
        using difference_type = int;
        constexpr iterator() = default;
        constexpr iterator(const EntryChain* chain, unsigned i) : chain_(chain), i_(i) {}
        constexpr ChainEntry operator*() const { return (*chain_)[i_]; }
        constexpr iterator& operator++() {
            ++i_;
            return *this;
        }
        constexpr iterator operator++(int) {
            iterator old = *this;
            ++i_;
            return old;
        }
        friend constexpr bool operator==(const iterator& a, const iterator& b) { return a.i_ == b.i_; }

    private:
        const EntryChain* chain_ = nullptr;
        unsigned i_ = 0;
    };
    constexpr iterator begin() const { return {this, 0}; }
    constexpr iterator end() const { return {this, size()}; }

    // Filled by the walk: start(), the values in place, then finish() with the count — a few wide stores,
    // as translate() is on hot paths.
    struct Unstarted {};
    constexpr explicit EntryChain(Unstarted) {
        if (__builtin_is_constant_evaluated()) *this = EntryChain();
    }
    constexpr void start(std::uint64_t root, std::uint64_t va) {
        va_ = va;
        root_ = root;
    }
    constexpr std::uint64_t* values() { return values_; }
    constexpr void finish(PagingMode mode, unsigned maxphyaddr, unsigned count) {
        meta_ = count | (static_cast<std::uint32_t>(mode) << 8) | ((maxphyaddr & 0xffu) << 16);  // count ≤ capacity
    }

private:
    // Only the first size() values are meaningful; the rest stay uninitialised after a walk.
    std::uint64_t values_[capacity];
    std::uint64_t va_;
    std::uint64_t root_;
    // Count in 7:0, mode in 15:8, MAXPHYADDR in 23:16. Not a 64-bit word, so the walk's stores of entry
    // values cannot alias it.
    std::uint32_t meta_;
};

/// Memory-type bits of a leaf and the type they select through IA32_PAT (SDM Vol. 3A §13.12.3).
struct MemoryType {
    bool pwt = false;
    bool pcd = false;
    bool pat = false;
    std::uint8_t type = 6;  // IA32_PAT field selected: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-

    constexpr unsigned pat_index() const { return (pat ? 4u : 0u) | (pcd ? 2u : 0u) | (pwt ? 1u : 0u); }
};

/// The memory-type bits of a leaf of `level` and the type they select (SDM Vol. 3A §13.12.3): PAT (bit 7 of a 4 KiB
/// leaf, bit 12 of a huge one; ignored without CPUID PAT), PCD and PWT index IA32_PAT (`pat_msr`).
constexpr MemoryType leaf_memory_type(std::uint64_t leaf, unsigned level, bool has_pat, std::uint64_t pat_msr) {
    MemoryType t{};
    t.pwt = (leaf & entry_bit::write_through) != 0;
    t.pcd = (leaf & entry_bit::cache_disable) != 0;
    t.pat = has_pat && (leaf & (level > 1 ? entry_bit::pat_huge : entry_bit::pat_4k)) != 0;
    t.type = static_cast<std::uint8_t>((pat_msr >> (8u * t.pat_index())) & 7u);
    return t;
}

constexpr const char* memory_type_name(std::uint8_t type) {
    switch (type) {
        case 0:
            return "UC";
        case 1:
            return "WC";
        case 4:
            return "WT";
        case 5:
            return "WP";
        case 6:
            return "WB";
        case 7:
            return "UC-";
    }
    return "reserved";
}

/// A successful translation.
struct Mapping {
    std::uint64_t va = 0;         // the linear address translated
    std::uint64_t pa = 0;         // its physical address
    std::uint64_t page_size = 0;  // 4 KiB, 2 MiB, 4 MiB or 1 GiB
    std::uint8_t level = 0;       // level of the leaf entry (0 when paging is disabled)
    bool writable = false;        // R/W = 1 at every level
    bool user = false;            // U/S = 1 at every level (a "user-mode address")
    bool executable = false;      // XD = 0 at every level (always true without EFER.NXE)
    bool global = false;          // G in the leaf
    std::uint8_t pkey = 0;        // protection key (bits 62:59 of the leaf, when CR4.PKE = 1)
    MemoryType memory_type{};
    std::uint8_t sets_accessed = 0;  // bit L set: this access sets A in the level-L entry (it was 0)
    bool sets_dirty = false;         // this access sets D in the leaf (a write, D was 0)

    /// Physical address of the first byte of the page.
    constexpr std::uint64_t page_pa() const { return pa & ~(page_size - 1); }
};

/// Why a page fault happened. Several protection causes can hold at once; `causes` has a bit for each.
namespace fault_cause {
inline constexpr std::uint16_t not_present = 1u << 0;
inline constexpr std::uint16_t reserved_bit = 1u << 1;
inline constexpr std::uint16_t user_supervisor = 1u << 2;  // user-mode access to a supervisor-mode address
inline constexpr std::uint16_t write_protect = 1u << 3;    // write where R/W = 0 at some level
inline constexpr std::uint16_t execute_disable = 1u << 4;  // fetch where XD = 1 at some level
inline constexpr std::uint16_t smep = 1u << 5;             // supervisor fetch from a user-mode address
inline constexpr std::uint16_t smap = 1u << 6;             // supervisor data access to a user-mode address
inline constexpr std::uint16_t pkey = 1u << 7;             // PKRU denies the access
}  // namespace fault_cause

/// A #PF exactly as the CPU would raise it.
struct PageFault {
    std::uint64_t va = 0;               // CR2: the faulting linear address
    std::uint32_t error_code = 0;       // pf::p | pf::w | …
    std::uint8_t level = 0;             // level where the walk stopped (the leaf's level for protection faults)
    std::uint16_t causes = 0;           // fault_cause bits
    std::uint64_t reserved_bits = 0;    // the reserved bits found set (reserved_bit faults)
    std::uint8_t may_set_accessed = 0;  // bit L: the CPU *may* have set A in the level-L entry (SDM §4.8)
};

/// A #GP the access raises instead of a #PF.
struct GeneralProtection {
    enum class Cause : std::uint8_t {
        non_canonical,   // the linear address is not canonical (SDM Vol. 3A §3.3.7.1, §6.15 "#GP")
        pdpte_reserved,  // PAE: a present PDPTE has reserved bits; raised by the MOV CR3 that loads it (§4.4.1)
    } cause = Cause::non_canonical;
    std::uint64_t va = 0;
    std::uint8_t pdpte_index = 0;
    std::uint64_t reserved_bits = 0;
};

/// A paging-structure entry could not be read (outside guest memory, a hole in a dump).
struct MemoryError {
    std::uint64_t pa = 0;  // physical address of the entry that could not be read
    std::uint8_t level = 0;
    std::uint64_t va = 0;
};

}  // namespace pagewalk
