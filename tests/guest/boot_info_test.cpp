// SPDX-License-Identifier: MIT OR Apache-2.0
// What the boot loader hands over (guest/boot/boot_info.cpp) — every module of a multiboot1 or multiboot2
// structure, and where the structure itself lies — and the memory map every program of a boot gets from it
// (guest/runner/program_loop.hpp): modules must lie above the image and the boot data below 16 MiB, RAM counts only
// up to 1 GiB. The structures are built in memory below 4 GiB (mmap MAP_32BIT), as a boot loader would.
#include "boot/boot_info.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <array>
#include <cstring>
#include <pagewalk/harness/boot_header.hpp>
#include <tuple>

#include "boot/boot_relocate.hpp"
#include "runner/program_loop.hpp"

using namespace pagewalk;
using namespace pagewalk::guest;

namespace {

/// 64 KiB below 4 GiB, zeroed.
struct LowMemory {
    void* p = mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    ~LowMemory() {
        if (p != MAP_FAILED) munmap(p, 1 << 16);
    }
    [[nodiscard]] std::uint32_t addr(std::uint32_t off = 0) const {
        return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p)) + off;
    }
    void put32(std::uint32_t off, std::uint32_t v) { std::memcpy(static_cast<char*>(p) + off, &v, 4); }
};

/// A multiboot2 structure: command line, basic memory information (mem_upper KiB), modules, end tag.
std::uint32_t multiboot2(LowMemory& m, std::uint32_t mem_upper_kib, const std::vector<BootModule>& modules) {
    std::uint32_t off = 8;
    m.put32(off, 1);  // command line
    m.put32(off + 4, 8 + 16);
    std::memcpy(static_cast<char*>(m.p) + off + 8, "pw.test=program", 16);
    off += 24;
    m.put32(off, 4);  // basic memory information
    m.put32(off + 4, 16);
    m.put32(off + 8, 639);
    m.put32(off + 12, mem_upper_kib);
    off += 16;
    for (const BootModule& mod : modules) {
        m.put32(off, 3);
        m.put32(off + 4, 16 + 4);
        m.put32(off + 8, static_cast<std::uint32_t>(mod.start));
        m.put32(off + 12, static_cast<std::uint32_t>(mod.end));
        off += 24;  // 20 bytes, padded to 8
    }
    m.put32(off, 0);
    m.put32(off + 4, 8);
    off += 8;
    m.put32(0, off);
    return m.addr();
}

BootContext context(std::uint32_t magic, std::uint32_t info) {
    BootContext c{};
    c.eax = magic;
    c.ebx = info;
    return c;
}

runner::GuestMemoryMap image() {
    runner::GuestMemoryMap map;
    map.image_start = 0x10'0000;
    map.image_end = 0x14'0000;
    return map;
}

}  // namespace

TEST(BootInfo, EveryMultiboot2ModuleInOrder) {
    LowMemory m;
    ASSERT_NE(m.p, MAP_FAILED);
    const std::vector<BootModule> mods = {{0x14'0000, 0x14'0400}, {0x14'1000, 0x14'1100}, {0x14'2000, 0x14'2058}};
    const BootInfo info = parse_boot_info(context(harness::kMultiboot2BootMagic, multiboot2(m, 255 * 1024, mods)));
    ASSERT_TRUE(info.valid);
    EXPECT_STREQ(info.cmdline, "pw.test=program");
    EXPECT_EQ(info.module_count, 3u);
    EXPECT_EQ(info.memory_end, 0x10'0000 + 255ull * 1024 * 1024);
    for (std::uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(module_at(info, i).start, mods[i].start) << i;
        EXPECT_EQ(module_at(info, i).end, mods[i].end) << i;
    }
    EXPECT_EQ(module_at(info, 3).end, 0u);  // past the last: empty
    EXPECT_EQ(info.info_start, m.addr());
    EXPECT_EQ(info.info_end, m.addr() + 8 + 24 + 16 + 3 * 24 + 8);
}

TEST(BootInfo, EveryMultiboot1Module) {
    LowMemory m;
    ASSERT_NE(m.p, MAP_FAILED);
    m.put32(0, (1u << 0) | (1u << 3));  // flags: memory, modules
    m.put32(8, 63 * 1024);              // mem_upper
    m.put32(20, 2);                     // mods_count
    m.put32(24, m.addr(0x100));         // mods_addr
    m.put32(0x100, 0x20'0000);
    m.put32(0x104, 0x20'0800);
    m.put32(0x110, 0x20'1000);
    m.put32(0x114, 0x20'1010);
    const BootInfo info = parse_boot_info(context(harness::kMultiboot1BootMagic, m.addr()));
    ASSERT_TRUE(info.valid);
    EXPECT_EQ(info.module_count, 2u);
    EXPECT_EQ(module_at(info, 1).start, 0x20'1000u);
    EXPECT_EQ(module_at(info, 1).end, 0x20'1010u);
    EXPECT_EQ(info.info_end, m.addr(0x100) + 32);  // the module list is part of what must be kept
}

TEST(BootInfo, ProgramsGetMemoryAboveEveryModuleAndTheInformation) {
    LowMemory m;
    ASSERT_NE(m.p, MAP_FAILED);
    const BootInfo info =
        parse_boot_info(context(harness::kMultiboot2BootMagic,
                                multiboot2(m, 8 * 1024 * 1024, {{0x14'0000, 0x14'0400}, {0x30'0000, 0x30'0800}})));
    runner::GuestMemoryMap map = image();
    std::uint64_t bad_end = 0;
    const bool fits = runner::boot_memory_map(info, map, bad_end);
    if (info.info_end > runner::kBootDataLimit) {  // mmap placed the structure high: the guard must say so
        EXPECT_FALSE(fits);
        return;
    }
    ASSERT_TRUE(fits);
    EXPECT_EQ(map.module_start, 0x14'0000u);
    EXPECT_EQ(map.module_end, 0x30'0800u);
    EXPECT_EQ(map.memory_end, runner::kIdentityLimit);  // 8 GiB of RAM, but programs use what lies below 1 GiB
    const runner::ProgramAreas a = runner::plan_areas(map, 64, 16);
    EXPECT_GE(a.tables_base, map.module_end);
    EXPECT_GE(a.tables_base, info.info_end);
    EXPECT_TRUE(a.fits);
}

TEST(BootInfo, ModulesBelowTheImageOrAbove16MiBAreRefused) {
    LowMemory m;
    ASSERT_NE(m.p, MAP_FAILED);
    std::uint64_t bad_end = 0;
    runner::GuestMemoryMap map = image();
    BootInfo low =
        parse_boot_info(context(harness::kMultiboot2BootMagic, multiboot2(m, 63 * 1024, {{0x9'0000, 0x9'1000}})));
    low.info_start = low.info_end = 0;  // only the modules matter here
    EXPECT_FALSE(runner::boot_memory_map(low, map, bad_end));
    LowMemory m2;
    ASSERT_NE(m2.p, MAP_FAILED);
    BootInfo high =
        parse_boot_info(context(harness::kMultiboot2BootMagic, multiboot2(m2, 63 * 1024, {{0x100'0000, 0x100'1000}})));
    high.info_start = high.info_end = 0;
    map = image();
    EXPECT_FALSE(runner::boot_memory_map(high, map, bad_end));
    EXPECT_EQ(bad_end, 0x100'1000u);
}

// ---- UEFI boots: the memory map, the framebuffer, modules below the image (guest/boot/ram_map.hpp,
// boot_relocate.cpp, runner/layout.hpp) ----

namespace {

/// A multiboot2 structure built tag by tag (Multiboot2 §3.6.2: 8-byte aligned tags, end tag last).
struct Mb2Builder {
    LowMemory& m;
    std::uint32_t off = 8;
    void tag(std::uint32_t type, const std::vector<std::uint32_t>& words) {
        m.put32(off, type);
        m.put32(off + 4, 8 + 4 * static_cast<std::uint32_t>(words.size()));
        for (std::size_t i = 0; i < words.size(); ++i) m.put32(off + 8 + 4 * static_cast<std::uint32_t>(i), words[i]);
        off += (8 + 4 * static_cast<std::uint32_t>(words.size()) + 7) & ~7u;
    }
    /// §3.6.8 "Memory map": entries {base, length, type} (24 bytes each).
    void memory_map(const std::vector<std::array<std::uint64_t, 3>>& entries) {
        std::vector<std::uint32_t> w = {24, 0};
        for (const auto& e : entries)
            w.insert(w.end(), {static_cast<std::uint32_t>(e[0]), static_cast<std::uint32_t>(e[0] >> 32),
                               static_cast<std::uint32_t>(e[1]), static_cast<std::uint32_t>(e[1] >> 32),
                               static_cast<std::uint32_t>(e[2]), 0});
        tag(6, w);
    }
    /// §3.6.12 "Framebuffer info": address, pitch, width, height, bpp, framebuffer_type (byte 29).
    void framebuffer(std::uint8_t type) { tag(8, {0xb8000, 0, 160, 80, 25, 16u | std::uint32_t{type} << 8}); }
    void module(std::uint32_t start, std::uint32_t end) { tag(3, {start, end, 0}); }
    std::uint32_t finish() {
        tag(0, {});
        m.put32(0, off);
        return m.addr();
    }
};

constexpr std::uint64_t MiB = 1ull << 20;

}  // namespace

TEST(RamMap, MergesSortsAndFindsHoles) {
    RamMap ram;
    ram.add(16 * MiB, 256 * MiB);
    ram.add(1 * MiB, 8 * MiB);
    ram.add(9 * MiB, 16 * MiB);  // touches the first: merged
    ASSERT_EQ(ram.count, 2u);
    EXPECT_EQ(ram.ranges[0].start, 1 * MiB);
    EXPECT_EQ(ram.ranges[1].start, 9 * MiB);
    EXPECT_EQ(ram.ranges[1].end, 256 * MiB);
    EXPECT_TRUE(ram.covers(2 * MiB, 8 * MiB));
    EXPECT_FALSE(ram.covers(7 * MiB, 9 * MiB + 1));
    EXPECT_EQ(ram.first_unavailable(4 * MiB, 12 * MiB), 8 * MiB);
    EXPECT_EQ(ram.first_unavailable(9 * MiB, 12 * MiB), 12 * MiB);
    EXPECT_EQ(ram.find(6 * MiB, 4 * MiB, 4096, 1ull << 30), 9 * MiB);  // does not fit below the hole
    EXPECT_EQ(ram.find(6 * MiB, 4 * MiB, 4096, 12 * MiB), 0u);         // nor below the limit
    EXPECT_EQ(ram.end_below(64 * MiB), 64 * MiB);
    ram.add(0, 2 * MiB);  // overlaps the first
    EXPECT_EQ(ram.ranges[0].start, 0u);
    EXPECT_EQ(ram.count, 2u);
}

TEST(BootInfo, Multiboot2MemoryMapAndEfiScreen) {
    LowMemory m;
    ASSERT_NE(m.p, MAP_FAILED);
    Mb2Builder b{m};
    b.tag(4, {640, 7192});  // mem_upper ends at the first firmware region (OVMF, -m 256)
    // OVMF's map: available, ACPI NVS (4) at 8 MiB, available, reserved (2) high, and RAM above 4 GiB.
    b.memory_map({{{0, 0xa0000, 1}},
                  {{0x100000, 0x706000, 1}},
                  {{0x806000, 0x2000, 4}},
                  {{0x900000, 0xe1a0000, 1}},
                  {{0xeaa0000, 0x102000, 2}},
                  {{0x1'0000'0000, 0x4000'0000, 1}}});
    b.tag(12, {0x0f5eb018, 0});  // EFI 64-bit system table pointer (§3.6.14), no framebuffer tag
    const BootInfo info = parse_boot_info(context(harness::kMultiboot2BootMagic, b.finish()));
    ASSERT_TRUE(info.valid);
    EXPECT_FALSE(info.text_screen);
    ASSERT_EQ(info.ram.count, 3u);  // above 4 GiB dropped
    EXPECT_EQ(info.ram.ranges[1].end, 0x806000u);
    EXPECT_EQ(info.ram.ranges[2].start, 0x900000u);

    runner::GuestMemoryMap map = image();
    std::uint64_t bad_end = 0;
    BootInfo placed = info;
    placed.info_start = placed.info_end = 0;  // only the memory map matters here
    ASSERT_TRUE(runner::boot_memory_map(placed, map, bad_end));
    EXPECT_EQ(map.memory_end, 0xeaa0000u);  // the map, not mem_upper (0x806000)
    // 6 MiB of data does not fit below the ACPI NVS at 8 MiB: tables and data move above it.
    const runner::ProgramAreas a = runner::plan_areas(map, 64, 1536);
    EXPECT_TRUE(a.fits);
    EXPECT_GE(a.tables_base, 0x900000u);
    EXPECT_EQ(a.tables_base % (2 * MiB), 0u);
    EXPECT_TRUE(map.ram.covers(a.tables_base, a.data_base + a.data_bytes));
    const runner::ProgramAreas small = runner::plan_areas(map, 64, 16);  // fits below it
    EXPECT_EQ(small.tables_base, 2 * MiB);
    // An access or poke there is refused (runner_core.hpp), one elsewhere is not.
    EXPECT_EQ(runner::firmware_conflict(map, 0x807000, 0x807008), 0x807000u);
    EXPECT_EQ(runner::firmware_conflict(map, 0x2000000, 0x2000008), 0x2000008u);
    EXPECT_EQ(runner::firmware_conflict(map, 0xa0000, 0xa0008), 0xa0008u);  // below 1 MiB: not the guest's RAM
}

TEST(BootInfo, TextScreenOnlyWithEgaTextOrBios) {
    for (const auto& [type, efi, want] : std::vector<std::tuple<int, bool, bool>>{
             {2, false, true}, {1, false, false}, {1, true, false}, {-1, false, true}, {-1, true, false}}) {
        LowMemory m;
        ASSERT_NE(m.p, MAP_FAILED);
        Mb2Builder b{m};
        if (type >= 0) b.framebuffer(static_cast<std::uint8_t>(type));
        if (efi) b.tag(12, {0x1000, 0});
        EXPECT_EQ(parse_boot_info(context(harness::kMultiboot2BootMagic, b.finish())).text_screen, want)
            << "framebuffer type " << type << ", efi " << efi;
    }
}

TEST(BootRelocate, ModulesBelowTheImageAreCopiedAboveIt) {
    // One 64 KiB block stands for the machine: "image" ends at +0x4000, a module lies below it (as OVMF + GRUB put
    // them from 4 KiB up), the structure at +0x1000, available RAM up to +0xf000.
    LowMemory m;
    ASSERT_NE(m.p, MAP_FAILED);
    const std::uint32_t base = m.addr();
    std::memset(static_cast<char*>(m.p) + 0x3000, 0x5a, 0x300);  // the module's bytes
    LowMemory info_block;
    ASSERT_NE(info_block.p, MAP_FAILED);
    Mb2Builder b{info_block};
    b.memory_map({{{base, 0xf000, 1}}});
    b.module(base + 0x3000, base + 0x3300);
    b.module(base + 0x6000, base + 0x6010);  // above the image already: copied too, to keep one block
    std::memset(static_cast<char*>(m.p) + 0x6000, 0xa5, 0x10);
    const std::uint32_t info_addr = b.finish();
    // Put the structure itself into the block, as a loader would (at +0x1000).
    std::memcpy(static_cast<char*>(m.p) + 0x1000, info_block.p, b.off);
    BootInfo info = parse_boot_info(context(harness::kMultiboot2BootMagic, base + 0x1000));
    (void)info_addr;
    ASSERT_EQ(info.module_count, 2u);

    const BootRelocation r = relocate_boot_data(info, base + 0x4000, base + 0x10000);
    ASSERT_TRUE(r.needed);
    ASSERT_TRUE(r.done);
    EXPECT_GE(r.start, base + 0x4000u);
    EXPECT_LE(r.end, base + 0xf000u);
    EXPECT_FALSE(r.start < base + 0x6010u && base + 0x6000u < r.end);  // the second module was not overwritten
    const BootInfo moved = parse_boot_info(context(harness::kMultiboot2BootMagic, r.info));
    ASSERT_EQ(moved.module_count, 2u);
    const BootModule m0 = module_at(moved, 0), m1 = module_at(moved, 1);
    EXPECT_GE(m0.start, base + 0x4000u);
    EXPECT_EQ(m0.end - m0.start, 0x300u);
    EXPECT_EQ(m0.start % 4096, 0u);
    EXPECT_EQ(static_cast<unsigned char*>(m.p)[m0.start - base + 0x2ff], 0x5a);
    EXPECT_EQ(m1.end - m1.start, 0x10u);
    EXPECT_EQ(static_cast<unsigned char*>(m.p)[m1.start - base], 0xa5);
    EXPECT_GE(m1.start, base + 0x4000u);
    EXPECT_GE(moved.info_start, base + 0x4000u);
}

TEST(BootRelocate, NothingMovesOnABiosLayoutOrWithoutRoom) {
    LowMemory m;
    ASSERT_NE(m.p, MAP_FAILED);
    const std::uint32_t base = m.addr();
    Mb2Builder b{m};
    b.memory_map({{{base, 0x10000, 1}}});
    b.module(base + 0x2000, base + 0x2100);
    b.finish();
    const BootInfo info = parse_boot_info(context(harness::kMultiboot2BootMagic, base));
    // Image below the block (BIOS: GRUB puts everything above it): nothing to do.
    const BootRelocation fine = relocate_boot_data(info, base - 0x1000, base + 0x10000);
    EXPECT_FALSE(fine.needed);
    // Image ending inside the block, but no room above it below the limit: refused, nothing written.
    const BootRelocation none = relocate_boot_data(info, base + 0x3000, base + 0x4000);
    EXPECT_TRUE(none.needed);
    EXPECT_FALSE(none.done);
}
