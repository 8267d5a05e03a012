// SPDX-License-Identifier: MIT OR Apache-2.0
// Hand-built page tables in a host buffer, for the walker's unit tests.
//
// `PhysicalBuffer` is a guest's physical memory; `HandTables` writes paging-structure entries into it one
// by one (it does not use the library's mapper — the tests check the walker against tables whose every
// bit the test chose).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <pagewalk/pagewalk.hpp>
#include <string>
#include <vector>

namespace pagewalk::test {

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;
inline constexpr std::uint64_t GiB = 1024 * MiB;

// Entry flag bits, spelled out so tests read like the SDM's tables.
inline constexpr std::uint64_t P = 1u << 0;
inline constexpr std::uint64_t RW = 1u << 1;
inline constexpr std::uint64_t US = 1u << 2;
inline constexpr std::uint64_t PWT = 1u << 3;
inline constexpr std::uint64_t PCD = 1u << 4;
inline constexpr std::uint64_t A = 1u << 5;
inline constexpr std::uint64_t D = 1u << 6;
inline constexpr std::uint64_t PS = 1u << 7;
inline constexpr std::uint64_t G = 1u << 8;
inline constexpr std::uint64_t XD = 1ull << 63;

/// Physical memory of a test machine: a zeroed buffer, physical address = offset.
class PhysicalBuffer {
public:
    explicit PhysicalBuffer(std::uint64_t size) : bytes_(size, 0) {}

    OffsetMemory memory() { return OffsetMemory(bytes_.data(), bytes_.size()); }
    std::uint64_t size() const { return bytes_.size(); }

    void write64(std::uint64_t pa, std::uint64_t v) { std::memcpy(&bytes_.at(pa), &v, 8); }
    void write32(std::uint64_t pa, std::uint32_t v) { std::memcpy(&bytes_.at(pa), &v, 4); }
    std::uint64_t read64(std::uint64_t pa) const {
        std::uint64_t v = 0;
        std::memcpy(&v, &bytes_.at(pa), 8);
        return v;
    }
    std::uint32_t read32(std::uint64_t pa) const {
        std::uint32_t v = 0;
        std::memcpy(&v, &bytes_.at(pa), 4);
        return v;
    }

private:
    std::vector<std::uint8_t> bytes_;
};

/// Page tables of one mode, written entry by entry. Tables are allocated from `first_table` upward.
class HandTables {
public:
    explicit HandTables(PagingMode mode, std::uint64_t memory_size = 4 * MiB, std::uint64_t first_table = 0x10000)
        : mode_(mode), shape_(shape(mode)), phys_(memory_size), next_table_(first_table) {
        root_ = allocate();
    }

    PagingMode mode() const { return mode_; }
    std::uint64_t root() const { return root_; }
    PhysicalBuffer& phys() { return phys_; }
    OffsetMemory memory() { return phys_.memory(); }

    std::uint64_t allocate() {
        const std::uint64_t pa = next_table_;
        next_table_ += 4096;
        return pa;
    }

    /// Physical address of the entry of `level` for `va` in the table at `table_pa`.
    std::uint64_t entry_pa(std::uint64_t table_pa, unsigned level, std::uint64_t va) const {
        return table_pa + std::uint64_t{shape_.at(level).index(va)} * shape_.entry_bytes;
    }
    void write_entry(std::uint64_t entry_pa, std::uint64_t value) {
        if (shape_.entry_bytes == 4) {
            phys_.write32(entry_pa, static_cast<std::uint32_t>(value));
        } else {
            phys_.write64(entry_pa, value);
        }
    }
    std::uint64_t read_entry(std::uint64_t entry_pa) const {
        return shape_.entry_bytes == 4 ? phys_.read32(entry_pa) : phys_.read64(entry_pa);
    }

    /// Maps `va` with a leaf at `leaf_level` (1 = 4 KiB page, 2 = 2/4 MiB, 3 = 1 GiB) to `page_pa`.
    /// Tables above get `table_flags` (| P) and the leaf `leaf_flags` (| P, | PS above level 1). For PAE
    /// the PDPTE gets only P, since its other flag bits are reserved. Existing tables are reused.
    /// Returns the physical address of the entry written at each level: `at[level]`.
    struct Path {
        std::uint64_t at[6] = {};
    };
    Path map(std::uint64_t va, unsigned leaf_level, std::uint64_t page_pa, std::uint64_t leaf_flags,
             std::uint64_t table_flags = RW | US) {
        Path path;
        std::uint64_t table = root_;
        for (unsigned level = shape_.levels; level > leaf_level; --level) {
            const std::uint64_t e_pa = entry_pa(table, level, va);
            path.at[level] = e_pa;
            std::uint64_t e = read_entry(e_pa);
            if ((e & P) == 0) {
                const std::uint64_t flags = (mode_ == PagingMode::pae && level == 3) ? P : (table_flags | P);
                e = allocate() | flags;
                write_entry(e_pa, e);
            }
            table = e & bits::mask(51, 12);
        }
        const std::uint64_t e_pa = entry_pa(table, leaf_level, va);
        path.at[leaf_level] = e_pa;
        // A 32-bit 4 MiB page keeps physical-address bits 39:32 in bits 20:13 (PSE-36).
        const std::uint64_t address = (mode_ == PagingMode::legacy32 && leaf_level == 2)
                                          ? std::uint64_t{Pde4M{}.set_address(page_pa).raw()}
                                          : page_pa;
        write_entry(e_pa, address | leaf_flags | P | (leaf_level > 1 ? PS : 0));
        return path;
    }

    /// Sets (or clears) bits in the entry at `entry_pa`.
    void set_bits(std::uint64_t entry_pa, std::uint64_t bits_to_set) {
        write_entry(entry_pa, read_entry(entry_pa) | bits_to_set);
    }
    void clear_bits(std::uint64_t entry_pa, std::uint64_t bits_to_clear) {
        write_entry(entry_pa, read_entry(entry_pa) & ~bits_to_clear);
    }

    /// A context for these tables: the mode's usual registers plus `cr4_extra`/`efer_extra`, with
    /// `cr0_wp` choosing CR0.WP, on a CPU with features `cpu`.
    Context context(const CpuFeatures& cpu = {}, std::uint64_t cr4_extra = 0, bool nxe = true,
                    bool cr0_wp = true) const {
        Context base = Context::for_mode(mode_, root_, cpu);
        ControlRegisters r = base.registers();
        r.cr4 |= cr4_extra;
        if (!nxe) r.efer &= ~efer::nxe;
        if (!cr0_wp) r.cr0 &= ~cr0::wp;
        return Context::from_registers(r, cpu);
    }

private:
    PagingMode mode_;
    ModeShape shape_;
    PhysicalBuffer phys_;
    std::uint64_t next_table_;
    std::uint64_t root_ = 0;
};

/// Every paging mode, for parameterised tests.
inline constexpr PagingMode kAllModes[] = {PagingMode::legacy32, PagingMode::pae, PagingMode::long4, PagingMode::long5};
/// Modes with PAE-format entries (XD, 64-bit entries).
inline constexpr PagingMode kPaeFormatModes[] = {PagingMode::pae, PagingMode::long4, PagingMode::long5};
inline constexpr PagingMode kLongModes[] = {PagingMode::long4, PagingMode::long5};

inline std::string mode_name(const testing::TestParamInfo<PagingMode>& info) {
    return to_string(info.param);
}

/// A canonical test address that every mode can translate (below 4 GiB).
inline constexpr std::uint64_t kVa = 0x4030'2000;

}  // namespace pagewalk::test
