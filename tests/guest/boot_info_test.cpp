// What the boot loader hands over (guest/boot/boot_info.cpp) — every module of a multiboot1 or multiboot2
// structure, and where the structure itself lies — and the memory map every program of a boot gets from it
// (guest/runner/program_loop.hpp): modules must lie above the image and the boot data below 16 MiB, RAM counts only
// up to 1 GiB. The structures are built in memory below 4 GiB (mmap MAP_32BIT), as a boot loader would.
#include "boot/boot_info.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <pagewalk/harness/boot_header.hpp>

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
