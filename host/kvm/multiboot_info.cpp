// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/multiboot_info.hpp"

#include <cstddef>
#include <cstring>

#include "kvm/layout.hpp"

namespace pagewalk::host {

using kvm::LowMemory;

namespace {

/// multiboot_info (Multiboot 0.6.96 §3.3), the fields up to the memory map.
struct MultibootInfo {
    std::uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    std::uint32_t syms[4];
    std::uint32_t mmap_length, mmap_addr;
    std::uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};
static_assert(sizeof(MultibootInfo) == 68);
static_assert(offsetof(MultibootInfo, cmdline) == 16 && offsetof(MultibootInfo, mods_addr) == 24);
static_assert(offsetof(MultibootInfo, mmap_length) == 44 && offsetof(MultibootInfo, boot_loader_name) == 64);
struct MultibootModule {
    std::uint32_t mod_start, mod_end, string, reserved;
};
struct __attribute__((packed)) MultibootMmap {
    std::uint32_t size;
    std::uint64_t addr, len;
    std::uint32_t type;
};
static_assert(sizeof(MultibootMmap) == 24);

constexpr std::uint32_t kFlagMem = 1u << 0, kFlagCmdline = 1u << 2, kFlagMods = 1u << 3, kFlagMmap = 1u << 6,
                        kFlagLoaderName = 1u << 9;

bool write_string(const GuestMemory& mem, std::uint64_t at, std::uint64_t max, const std::string& s) {
    return s.size() + 1 <= max && mem.write(at, s.c_str(), s.size() + 1);
}

}  // namespace

Expected<MultibootPlacement> build_multiboot_info(const GuestMemory& mem, const std::string& cmdline,
                                                  const ModuleSpec* module, std::uint64_t module_floor) {
    if (mem.size() < LowMemory::image_floor + 0x100000) return Error{"guest memory must be at least 2 MiB"};
    MultibootPlacement out;
    out.info = LowMemory::multiboot_info;
    MultibootInfo info{};
    info.flags = kFlagMem | kFlagCmdline | kFlagMmap | kFlagLoaderName;
    info.mem_lower = 640;
    info.mem_upper = static_cast<std::uint32_t>((mem.size() - LowMemory::image_floor) / 1024);
    if (!write_string(mem, LowMemory::cmdline, LowMemory::cmdline_max, cmdline))
        return Error{"command line longer than " + std::to_string(LowMemory::cmdline_max - 1) + " bytes"};
    info.cmdline = LowMemory::cmdline;
    if (!write_string(mem, LowMemory::loader_name, 64, "pagewalk kvm launcher")) return Error{"low memory"};
    info.boot_loader_name = LowMemory::loader_name;

    if (module != nullptr) {
        const std::uint64_t start = (module_floor + 0xfff) & ~std::uint64_t{0xfff};
        if (!mem.contains(start, module->bytes.size()))
            return Error{"module '" + module->name + "' (" + std::to_string(module->bytes.size()) +
                         " bytes) does not fit in guest memory above the image"};
        if (!mem.write(start, module->bytes.data(), module->bytes.size())) return Error{"cannot write module"};
        if (!write_string(mem, LowMemory::module_strings, LowMemory::module_strings_max, module->name))
            return Error{"module name too long"};
        const MultibootModule m{static_cast<std::uint32_t>(start),
                                static_cast<std::uint32_t>(start + module->bytes.size()),
                                static_cast<std::uint32_t>(LowMemory::module_strings), 0};
        if (!mem.write_value(LowMemory::module_list, m)) return Error{"low memory"};
        info.flags |= kFlagMods;
        info.mods_count = 1;
        info.mods_addr = LowMemory::module_list;
        out.module_start = m.mod_start;
        out.module_end = m.mod_end;
    }
    // Memory map: conventional memory below 640 KiB, then RAM from 1 MiB (type 1 = available).
    const MultibootMmap map[2] = {{20, 0, 0xa0000, 1},
                                  {20, LowMemory::image_floor, mem.size() - LowMemory::image_floor, 1}};
    if (!mem.write(LowMemory::memory_map, map, sizeof map)) return Error{"low memory"};
    info.mmap_addr = LowMemory::memory_map;
    info.mmap_length = sizeof map;
    if (!mem.write_value(LowMemory::multiboot_info, info)) return Error{"low memory"};
    return out;
}

}  // namespace pagewalk::host
