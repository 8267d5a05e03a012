// SPDX-License-Identifier: MIT OR Apache-2.0
// The multiboot1 information the KVM launcher writes: cmdline, module placement, bounds.
#include "kvm/multiboot_info.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kvm/layout.hpp"

using namespace pagewalk;

TEST(MultibootInfo, WritesCmdlineAndPageAlignedModule) {
    std::vector<std::uint8_t> ram(8 << 20);
    host::GuestMemory mem(ram.data(), 0, ram.size());
    const std::vector<std::uint8_t> prog = {1, 2, 3, 4, 5};
    const host::ModuleSpec m{prog, "prog.bin"};
    const auto p = host::build_multiboot_info(mem, "pw.test=selftest", &m, 0x111001);
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->module_start, 0x112000u);
    EXPECT_EQ(p->module_end, 0x112005u);
    EXPECT_EQ(ram[0x112004], 5);
    std::uint32_t flags, cmdline, mods_count, mods_addr;
    std::memcpy(&flags, &ram[p->info], 4);
    std::memcpy(&cmdline, &ram[p->info + 16], 4);
    std::memcpy(&mods_count, &ram[p->info + 20], 4);
    std::memcpy(&mods_addr, &ram[p->info + 24], 4);
    EXPECT_TRUE(flags & (1u << 2));
    EXPECT_TRUE(flags & (1u << 3));
    EXPECT_STREQ(reinterpret_cast<const char*>(&ram[cmdline]), "pw.test=selftest");
    EXPECT_EQ(mods_count, 1u);
    std::uint32_t mod_start;
    std::memcpy(&mod_start, &ram[mods_addr], 4);
    EXPECT_EQ(mod_start, 0x112000u);
}

TEST(MultibootInfo, ModuleThatDoesNotFitIsAnError) {
    std::vector<std::uint8_t> ram(2 << 20);
    host::GuestMemory mem(ram.data(), 0, ram.size());
    const std::vector<std::uint8_t> big(1 << 20);
    const host::ModuleSpec m{big, "big"};
    const auto p = host::build_multiboot_info(mem, "", &m, 0x180000);
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().find("does not fit"), std::string::npos);
}

TEST(MultibootInfo, OverlongCmdlineIsAnError) {
    std::vector<std::uint8_t> ram(4 << 20);
    host::GuestMemory mem(ram.data(), 0, ram.size());
    EXPECT_FALSE(
        host::build_multiboot_info(mem, std::string(host::kvm::LowMemory::cmdline_max, 'x'), nullptr, 0x200000).ok());
}
