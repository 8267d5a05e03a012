// SPDX-License-Identifier: MIT OR Apache-2.0
// The ELF loader: PT_LOAD segments into guest memory, every offset and size checked, nothing written on error.
#include "kvm/elf_loader.hpp"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace pagewalk;
using host::GuestMemory;

namespace {

constexpr std::uint64_t kMem = 4 << 20, kLoad = 0x100000, kFloor = 0x100000;

/// An ELF64 executable: one PT_LOAD at kLoad with `payload`, memsz = payload + bss.
std::vector<std::uint8_t> make_elf64(const std::vector<std::uint8_t>& payload, std::uint64_t bss = 0x100,
                                     std::uint64_t paddr = kLoad) {
    std::vector<std::uint8_t> f(0x1000 + payload.size());
    Elf64_Ehdr e{};
    std::memcpy(e.e_ident, ELFMAG, SELFMAG);
    e.e_ident[EI_CLASS] = ELFCLASS64;
    e.e_ident[EI_DATA] = ELFDATA2LSB;
    e.e_ident[EI_VERSION] = EV_CURRENT;
    e.e_type = ET_EXEC;
    e.e_machine = EM_X86_64;
    e.e_version = EV_CURRENT;
    e.e_entry = paddr;
    e.e_phoff = sizeof e;
    e.e_ehsize = sizeof e;
    e.e_phentsize = sizeof(Elf64_Phdr);
    e.e_phnum = 1;
    Elf64_Phdr p{};
    p.p_type = PT_LOAD;
    p.p_offset = 0x1000;
    p.p_vaddr = p.p_paddr = paddr;
    p.p_filesz = payload.size();
    p.p_memsz = payload.size() + bss;
    std::memcpy(f.data(), &e, sizeof e);
    std::memcpy(f.data() + sizeof e, &p, sizeof p);
    std::memcpy(f.data() + 0x1000, payload.data(), payload.size());
    return f;
}

std::vector<std::uint8_t> payload_with_boot_header() {
    std::vector<std::uint8_t> p(256, 0xab);
    harness::BootHeader h{};
    h.magic = harness::kBootHeaderMagic;
    h.version = harness::kBootHeaderVersion;
    h.size = sizeof h;
    h.entry32 = 0x100040;
    h.entry64 = 0x100080;
    h.build_id = 1234;
    std::memcpy(p.data() + 64, &h, sizeof h);
    return p;
}

Elf64_Phdr& phdr(std::vector<std::uint8_t>& f) {
    return *reinterpret_cast<Elf64_Phdr*>(f.data() + sizeof(Elf64_Ehdr));
}
Elf64_Ehdr& ehdr(std::vector<std::uint8_t>& f) {
    return *reinterpret_cast<Elf64_Ehdr*>(f.data());
}

struct Fixture : ::testing::Test {
    std::vector<std::uint8_t> ram = std::vector<std::uint8_t>(kMem, 0xee);
    GuestMemory mem{ram.data(), 0, kMem};
    bool untouched() const {
        for (std::uint64_t i = kLoad; i < kLoad + 0x2000; ++i)
            if (ram[i] != 0xee) return false;
        return true;
    }
};

}  // namespace

using ElfLoader = Fixture;

TEST_F(ElfLoader, LoadsSegmentZeroesBssAndFindsBootHeader) {
    const auto f = make_elf64(payload_with_boot_header(), 0x100);
    const auto img = host::load_elf(f, mem, kFloor);
    ASSERT_TRUE(img.ok()) << img.error();
    EXPECT_EQ(img->entry, kLoad);
    EXPECT_EQ(img->low, kLoad);
    EXPECT_EQ(img->high, kLoad + 256 + 0x100);
    EXPECT_EQ(ram[kLoad], 0xab);
    EXPECT_EQ(ram[kLoad + 256], 0);             // bss zeroed
    EXPECT_EQ(ram[kLoad + 256 + 0x100], 0xee);  // nothing past memsz
    ASSERT_TRUE(img->boot_header.has_value());
    EXPECT_EQ(img->boot_header->entry64, 0x100080u);
    EXPECT_EQ(img->boot_header->build_id, 1234u);
}

TEST_F(ElfLoader, ImageWithoutBootHeaderLoadsButSaysSo) {
    const auto img = host::load_elf(make_elf64(std::vector<std::uint8_t>(64, 1)), mem, kFloor);
    ASSERT_TRUE(img.ok());
    EXPECT_FALSE(img->boot_header.has_value());
}

TEST_F(ElfLoader, TruncatedFilesAreErrors) {
    const auto f = make_elf64(payload_with_boot_header());
    for (std::size_t n :
         {std::size_t{0}, std::size_t{3}, std::size_t{20}, sizeof(Elf64_Ehdr) + 10, std::size_t{0x1000 + 100}}) {
        std::vector<std::uint8_t> cut(f.begin(), f.begin() + static_cast<long>(n));
        EXPECT_FALSE(host::load_elf(cut, mem, kFloor).ok()) << n;
    }
    EXPECT_TRUE(untouched());
}

TEST_F(ElfLoader, ProgramHeaderTableOutsideFileIsAnError) {
    auto f = make_elf64(payload_with_boot_header());
    ehdr(f).e_phoff = f.size() - 8;
    EXPECT_FALSE(host::load_elf(f, mem, kFloor).ok());
    ehdr(f).e_phoff = ~0ull - 4;  // overflow attempt
    EXPECT_FALSE(host::load_elf(f, mem, kFloor).ok());
}

TEST_F(ElfLoader, SegmentOutsideGuestMemoryIsAnError) {
    auto f = make_elf64(payload_with_boot_header(), 0x100, kMem - 16);
    const auto r = host::load_elf(f, mem, kFloor);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("outside guest memory"), std::string::npos) << r.error();
    auto huge = make_elf64(payload_with_boot_header());
    phdr(huge).p_memsz = ~0ull;  // wraps around
    EXPECT_FALSE(host::load_elf(huge, mem, kFloor).ok());
    auto high = make_elf64(payload_with_boot_header());
    phdr(high).p_paddr = ~0ull - 8;
    EXPECT_FALSE(host::load_elf(high, mem, kFloor).ok());
    EXPECT_TRUE(untouched());
}

TEST_F(ElfLoader, SegmentBelowTheLaunchersLowMemoryIsAnError) {
    EXPECT_FALSE(host::load_elf(make_elf64(payload_with_boot_header(), 0, 0x8000), mem, kFloor).ok());
}

TEST_F(ElfLoader, FileBytesOutsideTheFileAreAnError) {
    auto f = make_elf64(payload_with_boot_header());
    phdr(f).p_filesz = phdr(f).p_memsz = f.size();
    EXPECT_FALSE(host::load_elf(f, mem, kFloor).ok());
    auto g = make_elf64(payload_with_boot_header());
    phdr(g).p_filesz = phdr(g).p_memsz + 1;
    EXPECT_FALSE(host::load_elf(g, mem, kFloor).ok());
}

TEST_F(ElfLoader, RejectsNonElfWrongMachineAndNoLoadSegment) {
    std::vector<std::uint8_t> text(200, 'x');
    EXPECT_FALSE(host::load_elf(text, mem, kFloor).ok());
    auto arm = make_elf64(payload_with_boot_header());
    ehdr(arm).e_machine = EM_AARCH64;
    EXPECT_FALSE(host::load_elf(arm, mem, kFloor).ok());
    auto note = make_elf64(payload_with_boot_header());
    phdr(note).p_type = PT_NOTE;
    EXPECT_FALSE(host::load_elf(note, mem, kFloor).ok());
}

TEST(GuestMemoryBounds, RejectsEveryOutOfRangeAccess) {
    std::vector<std::uint8_t> ram(4096);
    GuestMemory mem(ram.data(), 0, ram.size());
    std::uint8_t b[16];
    EXPECT_TRUE(mem.read(4096 - 16, b, 16));
    EXPECT_FALSE(mem.read(4096 - 15, b, 16));
    EXPECT_FALSE(mem.read(~0ull - 4, b, 8));
    EXPECT_FALSE(mem.write(4096, b, 1));
    EXPECT_TRUE(mem.view(4096, 0).empty());
    EXPECT_FALSE(mem.contains(1, ~0ull));
}
