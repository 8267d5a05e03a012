// SPDX-License-Identifier: MIT OR Apache-2.0
// Memory adapters: failing reads at every level, bounds of OffsetMemory, the type-erased AnyMemory, and
// recursive page tables whose computed addresses the model's own walk resolves to the right tables.
#include <gtest/gtest.h>

#include <set>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

class EveryModeMemory : public testing::TestWithParam<PagingMode> {};

TEST_P(EveryModeMemory, FailedReadAtEachLevelNamesTheEntryAddressAndLevel) {
    const ModeShape s = shape(GetParam());
    for (unsigned level = 1; level <= s.levels; ++level) {
        HandTables t(GetParam());
        const auto path = t.map(kVa, 1, 0x123000, RW);
        const std::uint64_t bad_pa = path.at[level];
        auto inner = t.memory();
        // A reader that fails exactly on the entry of `level`, as a hypervisor's guest-physical read would.
        Reader reader{[&](std::uint64_t pa, void* out, std::size_t n) {
            if (pa == bad_pa) return false;
            std::uint64_t v = 0;
            if (!inner.read_entry({pa, 0, 0, 1, static_cast<std::uint8_t>(n)}, v)) return false;
            std::memcpy(out, &v, n);
            return true;
        }};
        const auto r = translate(t.context(), reader, kVa, Access::read());
        const std::optional<MemoryError> e = r.memory_error();
        ASSERT_TRUE(e.has_value()) << "level " << level;
        EXPECT_EQ(e->pa, bad_pa);
        EXPECT_EQ(e->level, level);
        EXPECT_EQ(e->va, kVa);
        EXPECT_EQ(r.vector(), -1);
    }
}

TEST_P(EveryModeMemory, TablePointingOutsideMemoryIsAMemoryErrorNotACrash) {
    HandTables t(GetParam(), 1 * MiB);
    const auto path = t.map(kVa, 1, 0x123000, RW);
    const ModeShape s = shape(GetParam());
    const unsigned level = s.levels;  // make the top entry point past the end of the 1 MiB buffer
    const std::uint64_t outside = s.entry_bytes == 4 ? 0xfff0'0000u : 0x7f'0000'0000ull;
    t.write_entry(path.at[level], outside | P | (GetParam() == PagingMode::pae ? 0 : RW | US));  // PAE PDPTE: P only
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.memory_error());
    EXPECT_EQ(r.memory_error()->level, level - 1);
    EXPECT_GE(r.memory_error()->pa, outside);
}

INSTANTIATE_TEST_SUITE_P(Memory, EveryModeMemory, testing::ValuesIn(kAllModes), mode_name);

TEST(OffsetMemory, RefusesReadsAndWritesOutsideItsRange) {
    std::vector<std::uint8_t> buffer(4096, 0xab);
    OffsetMemory mem(buffer.data(), buffer.size());
    std::uint64_t v = 0;
    EXPECT_TRUE(mem.read_entry({0, 0, 511, 1, 8}, v));
    EXPECT_EQ(v, 0xabab'abab'abab'ababull);
    EXPECT_FALSE(mem.read_entry({4096, 0, 0, 1, 8}, v));
    EXPECT_FALSE(mem.read_entry({~std::uint64_t{0} - 3, 0, 0, 1, 8}, v)) << "no wrap-around";
    EXPECT_TRUE(mem.read_entry({0, 0, 1023, 1, 4}, v));
    EXPECT_FALSE(mem.read_entry({4, 0, 1023, 1, 4}, v)) << "a 4-byte entry one past the end";
    EXPECT_FALSE(mem.read_entry({4093, 0, 0, 1, 4}, v)) << "a 4-byte entry straddling the end";
    EXPECT_FALSE(mem.read_entry({4089, 0, 0, 1, 8}, v)) << "an 8-byte entry straddling the end";
    OffsetMemory tiny(buffer.data(), 3);
    EXPECT_FALSE(tiny.read_entry({0, 0, 0, 1, 4}, v)) << "memory smaller than one entry";
    EXPECT_FALSE(mem.write_entry({4088, 0, 1, 1, 8}, 0));
    EXPECT_TRUE(mem.write_entry({4088, 0, 0, 1, 8}, 0x1122));
    EXPECT_EQ(buffer[4088], 0x22);
}

TEST(AnyMemory, ForwardsReadsAndRefusesWritesToReadOnlyMemory) {
    HandTables t(PagingMode::long4);
    t.map(kVa, 1, 0x123000, RW);
    auto offset = t.memory();
    AnyMemory any_offset{offset};
    EXPECT_TRUE(any_offset.writable());
    const auto r = translate(t.context(), any_offset, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->pa, 0x123000u);

    Reader reader{[&](std::uint64_t pa, void* out, std::size_t n) {
        std::uint64_t v = 0;
        const bool ok = offset.read_entry({pa, 0, 0, 1, static_cast<std::uint8_t>(n)}, v);
        std::memcpy(out, &v, n);
        return ok;
    }};
    AnyMemory any_reader{reader};
    EXPECT_FALSE(any_reader.writable());
    EXPECT_FALSE(any_reader.write_entry({t.root(), 0, 0, 4, 8}, 0));
    const auto r2 = translate(t.context(), any_reader, kVa, Access::read());
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2.mapping()->pa, 0x123000u);
}

// ---- Recursive page tables --------------------------------------------------------------------------------------

// Resolves a linear address the way the CPU would — through the model's own translate over physical
// memory — then reads or writes the physical address. This lets the test check that the addresses the
// recursive adapter computes are the ones a CPU with these tables would use.
struct ModelLinearAccess {
    Context ctx;
    OffsetMemory phys;
    std::set<std::uint64_t>* touched_tables = nullptr;

    bool resolve(std::uint64_t la, bool write, std::uint64_t& pa) {
        const auto r = translate(ctx, phys, la, write ? Access::write() : Access::read());
        if (!r.ok()) return false;
        pa = r.mapping()->pa;
        if (touched_tables) touched_tables->insert(pa & ~std::uint64_t{0xfff});
        return true;
    }
    bool read(std::uint64_t la, unsigned bytes, std::uint64_t& out) {
        std::uint64_t pa = 0;
        return resolve(la, false, pa) && phys.read_entry({pa, 0, 0, 1, static_cast<std::uint8_t>(bytes)}, out);
    }
    bool write(std::uint64_t la, unsigned bytes, std::uint64_t value) {
        std::uint64_t pa = 0;
        return resolve(la, true, pa) && phys.write_entry({pa, 0, 0, 1, static_cast<std::uint8_t>(bytes)}, value);
    }
};

struct RecursiveCase {
    PagingMode mode;
    unsigned slot;
};

class Recursive : public testing::TestWithParam<RecursiveCase> {};

TEST_P(Recursive, TranslatesThroughTheSlotExactlyAsThroughPhysicalMemory) {
    const auto [mode, slot] = GetParam();
    HandTables t(mode);
    // The top-level table maps itself at `slot`.
    t.write_entry(t.root() + std::uint64_t{slot} * shape(mode).entry_bytes, t.root() | P | RW);
    const std::uint64_t vas[] = {kVa, kVa + 0x5000, 0x0060'0000, 0x1000};
    for (std::uint64_t va : vas) t.map(va, 1, 0x200000 + (va & 0xff000), RW | US);
    t.map(0x0080'0000, 2, 0x0040'0000, RW);  // a huge page too
    const Context ctx = t.context();

    std::set<std::uint64_t> touched;
    RecursiveMemory recursive(mode, slot, ModelLinearAccess{ctx, t.memory(), &touched});
    auto phys = t.memory();
    for (std::uint64_t va : {kVa, kVa + 0x5000, std::uint64_t{0x0060'0000}, std::uint64_t{0x1000},
                             std::uint64_t{0x0080'0000}, std::uint64_t{0x0090'0000}}) {
        const auto direct = translate(ctx, phys, va + 0x10, Access::read());
        const auto via_slot = translate(ctx, recursive, va + 0x10, Access::read());
        ASSERT_EQ(direct.kind(), via_slot.kind()) << std::hex << va;
        if (direct.ok()) {
            EXPECT_EQ(direct.mapping()->pa, via_slot.mapping()->pa);
        }
        if (auto f = direct.page_fault()) {
            EXPECT_EQ(f->level, via_slot.page_fault()->level);
        }
    }
    // Every table read through the slot resolved to a page-table page the test allocated.
    for (std::uint64_t table : touched) {
        EXPECT_GE(table, t.root());
        EXPECT_LT(table, t.allocate());
    }
}

TEST_P(Recursive, TableAddressOfEachLevelResolvesToThatTable) {
    const auto [mode, slot] = GetParam();
    HandTables t(mode);
    t.write_entry(t.root() + std::uint64_t{slot} * shape(mode).entry_bytes, t.root() | P | RW);
    const auto path = t.map(kVa, 1, 0x200000, RW);
    const Context ctx = t.context();
    RecursiveMemory recursive(mode, slot, ModelLinearAccess{ctx, t.memory()});
    auto phys = t.memory();
    const ModeShape s = shape(mode);
    for (unsigned level = 1; level <= s.levels; ++level) {
        const std::uint64_t la = recursive.table_address(level, kVa);
        const auto r = translate(ctx, phys, la, Access::read());
        ASSERT_TRUE(r.ok()) << "level " << level << " la " << std::hex << la;
        const std::uint64_t table_pa = path.at[level] & ~std::uint64_t{0xfff};
        EXPECT_EQ(r.mapping()->pa, table_pa) << "level " << level;
    }
}

TEST_P(Recursive, WritesThroughTheSlotChangeTheEntry) {
    const auto [mode, slot] = GetParam();
    HandTables t(mode);
    t.write_entry(t.root() + std::uint64_t{slot} * shape(mode).entry_bytes, t.root() | P | RW);
    const auto path = t.map(kVa, 1, 0x200000, RW);
    RecursiveMemory recursive(mode, slot, ModelLinearAccess{t.context(), t.memory()});
    const ModeShape s = shape(mode);
    const EntryLocation pte{0, kVa, static_cast<std::uint16_t>(s.at(1).index(kVa)), 1, s.entry_bytes};
    ASSERT_TRUE(recursive.write_entry(pte, 0x300000 | P));
    EXPECT_EQ(t.read_entry(path.at[1]), 0x300000u | P);
}

INSTANTIATE_TEST_SUITE_P(Memory, Recursive,
                         testing::Values(RecursiveCase{PagingMode::legacy32, 1023},
                                         RecursiveCase{PagingMode::long4, 510}, RecursiveCase{PagingMode::long4, 256},
                                         RecursiveCase{PagingMode::long5, 300}),
                         [](const auto& param_info) {
                             return std::string(to_string(param_info.param.mode)) + "_slot" +
                                    std::to_string(param_info.param.slot);
                         });

TEST(RecursiveAddress, Long4Slot510MatchesTheWellKnownAddresses) {
    // With slot 510 a 4-level PML4 is visible at 0xffffff7fbfdfe000 (the classic constant) and the PTE of
    // linear address 0 at 0xffffff0000000000.
    RecursiveMemory r(PagingMode::long4, 510);
    EXPECT_EQ(r.table_address(4, 0), 0xffff'ff7f'bfdf'e000ull);
    EXPECT_EQ(r.table_address(1, 0), 0xffff'ff00'0000'0000ull);
    EXPECT_EQ(r.table_address(1, 0x20'0000), 0xffff'ff00'0000'1000ull);
    EXPECT_EQ(r.table_address(2, 0x4000'0000), 0xffff'ff7f'8000'1000ull);
}

TEST(RecursiveAddress, Legacy32Slot1023MapsThePageDirectoryAtTheTop) {
    RecursiveMemory r(PagingMode::legacy32, 1023);
    EXPECT_EQ(r.table_address(2, 0), 0xffff'f000u);
    EXPECT_EQ(r.table_address(1, 0x0040'0000), 0xffc0'1000u);
}

}  // namespace
}  // namespace pagewalk::test
