// SPDX-License-Identifier: MIT OR Apache-2.0
#include "boot/boot_info.hpp"

#include <pagewalk/harness/boot_header.hpp>

namespace pagewalk::guest {
namespace {

template <class T>
T load(std::uint64_t addr) {
    T v;
    __builtin_memcpy(&v, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(addr)), sizeof v);
    return v;
}

constexpr std::uint32_t kMaxInfoBytes = 0x10000;  ///< a multiboot2 structure is never walked past this
constexpr std::uint32_t kMb1InfoBytes = 88;       ///< the multiboot1 structure up to the fields the guest reads

void extend(BootInfo& b, std::uint64_t start, std::uint64_t end) {
    if (end <= start) return;
    if (b.info_end == 0 || start < b.info_start) b.info_start = start;
    if (end > b.info_end) b.info_end = end;
}

std::uint64_t string_end(const char* s) {
    const char* p = s;
    while (*p != 0) ++p;
    return reinterpret_cast<std::uintptr_t>(p) + 1;
}

// Multiboot 0.6.96 §3.3: flags bit 0 mem_lower/mem_upper (+4, +8), bit 2 cmdline (+16), bit 3 mods_count (+20) and
// mods_addr (+24) — 16-byte entries: mod_start, mod_end, string, reserved.
BootInfo multiboot1(std::uint32_t info) {
    BootInfo b;
    b.magic = harness::kMultiboot1BootMagic;
    b.info = info;
    extend(b, info, info + kMb1InfoBytes);
    const auto flags = load<std::uint32_t>(info);
    if ((flags & 1u) != 0) b.memory_end = 0x100000 + std::uint64_t{load<std::uint32_t>(info + 8)} * 1024;
    if ((flags & (1u << 2)) != 0) {
        b.cmdline = reinterpret_cast<const char*>(std::uintptr_t{load<std::uint32_t>(info + 16)});
        extend(b, load<std::uint32_t>(info + 16), string_end(b.cmdline));
    }
    if ((flags & (1u << 3)) != 0 && load<std::uint32_t>(info + 20) > 0) {
        b.module_count = load<std::uint32_t>(info + 20);
        const std::uint32_t mods = load<std::uint32_t>(info + 24);
        extend(b, mods, mods + std::uint64_t{b.module_count} * 16);
        b.module_start = load<std::uint32_t>(mods);
        b.module_end = load<std::uint32_t>(mods + 4);
    }
    b.valid = true;
    return b;
}

constexpr std::uint64_t k4GiB = 1ull << 32;

// Multiboot2 §3.6.8 "Memory map": entry_size (+8), entry_version (+12), then entries from +16: base_addr u64,
// length u64, type u32 (1 = available RAM), reserved u32. Only RAM below 4 GiB counts (the guest is 32-bit at first).
void read_memory_map(RamMap& ram, std::uint32_t tag, std::uint32_t size) {
    const std::uint32_t entry_size = load<std::uint32_t>(tag + 8);
    if (entry_size < 24) return;
    for (std::uint32_t e = 16; e + entry_size <= size; e += entry_size) {
        if (load<std::uint32_t>(tag + e + 16) != 1) continue;
        const std::uint64_t base = load<std::uint64_t>(tag + e);
        const std::uint64_t length = load<std::uint64_t>(tag + e + 8);
        if (base >= k4GiB) continue;
        ram.add(base, length > k4GiB - base ? k4GiB : base + length);
    }
}

// Multiboot2 §3.6.12 "Framebuffer info": framebuffer_addr u64 (+8), pitch (+16), width (+20), height (+24),
// bpp u8 (+28), framebuffer_type u8 (+29; 1 = direct RGB), reserved u16, then for type 1 the red, green and blue
// field positions and sizes, u8 each (+32 … +37; GRUB's struct multiboot_tag_framebuffer).
void read_framebuffer(FramebufferState& fb, std::uint32_t tag, std::uint32_t size) {
    if (size < 38 || load<std::uint8_t>(tag + 29) != 1) return;
    std::uint8_t fields[6];
    for (unsigned i = 0; i < 6; ++i) fields[i] = load<std::uint8_t>(tag + 32 + i);
    const std::uint64_t address = load<std::uint64_t>(tag + 8);
    const std::uint32_t pitch = load<std::uint32_t>(tag + 16);
    const std::uint32_t height = load<std::uint32_t>(tag + 24);
    if (address + std::uint64_t{pitch} * height > k4GiB) return;  // the 32-bit world could not reach it
    configure_framebuffer(fb, address, pitch, load<std::uint32_t>(tag + 20), height, load<std::uint8_t>(tag + 28),
                          fields);
}

// Multiboot2 §3.6: total_size, reserved, then 8-byte aligned tags {type, size}: 1 command line, 3 module
// (mod_start, mod_end, string), 4 basic memory information (mem_lower, mem_upper), 6 memory map, 8 framebuffer info
// (§3.6.12: framebuffer_type u8 at +29; 2 = EGA text), 11/12 EFI 32/64-bit system table pointer (§3.6.13, §3.6.14:
// booted by UEFI), 0 end.
BootInfo multiboot2(std::uint32_t info) {
    BootInfo b;
    b.magic = harness::kMultiboot2BootMagic;
    b.info = info;
    const std::uint32_t total = load<std::uint32_t>(info);
    extend(b, info, info + (total < kMaxInfoBytes ? total : kMaxInfoBytes));
    int framebuffer_type = -1;  // no framebuffer info tag
    bool efi = false;
    for (std::uint32_t off = 8; off + 8 <= total && off < kMaxInfoBytes;) {
        const std::uint32_t type = load<std::uint32_t>(info + off);
        const std::uint32_t size = load<std::uint32_t>(info + off + 4);
        if (type == 0 || size < 8) break;
        if (type == 1) b.cmdline = reinterpret_cast<const char*>(std::uintptr_t{info + off + 8});
        if (type == 4) b.memory_end = 0x100000 + std::uint64_t{load<std::uint32_t>(info + off + 12)} * 1024;
        if (type == 6) read_memory_map(b.ram, info + off, size);
        if (type == 8) framebuffer_type = size >= 30 ? load<std::uint8_t>(info + off + 29) : 0xff;
        if (type == 8) read_framebuffer(b.framebuffer, info + off, size);
        if (type == 11 || type == 12) efi = true;
        if (type == 3 && b.module_count++ == 0) {
            b.module_start = load<std::uint32_t>(info + off + 8);
            b.module_end = load<std::uint32_t>(info + off + 12);
        }
        off += (size + 7) & ~7u;
    }
    b.text_screen = framebuffer_type >= 0 ? framebuffer_type == 2 : !efi;
    b.valid = true;
    return b;
}

}  // namespace

BootInfo parse_boot_info(const BootContext& ctx) {
    if (ctx.ebx == 0) return {};
    if (ctx.eax == harness::kMultiboot1BootMagic) return multiboot1(ctx.ebx);
    if (ctx.eax == harness::kMultiboot2BootMagic) return multiboot2(ctx.ebx);
    return {};
}

BootModule module_at(const BootInfo& b, std::uint32_t index) {
    if (!b.valid || index >= b.module_count) return {};
    if (b.magic == harness::kMultiboot1BootMagic) {
        const std::uint32_t entry = load<std::uint32_t>(b.info + 24) + index * 16;
        return {load<std::uint32_t>(entry), load<std::uint32_t>(entry + 4)};
    }
    const std::uint32_t total = load<std::uint32_t>(b.info);
    std::uint32_t seen = 0;
    for (std::uint32_t off = 8; off + 8 <= total && off < kMaxInfoBytes;) {
        const std::uint32_t type = load<std::uint32_t>(b.info + off);
        const std::uint32_t size = load<std::uint32_t>(b.info + off + 4);
        if (type == 0 || size < 8) break;
        if (type == 3 && seen++ == index)
            return {load<std::uint32_t>(b.info + off + 8), load<std::uint32_t>(b.info + off + 12)};
        off += (size + 7) & ~7u;
    }
    return {};
}

bool cmdline_option(const char* cmdline, const char* key, char* out, unsigned out_size) {
    for (const char* p = cmdline; *p != 0; ++p) {
        if (p != cmdline && p[-1] != ' ') continue;
        const char* k = key;
        const char* q = p;
        while (*k != 0 && *q == *k) ++q, ++k;
        if (*k != 0) continue;
        unsigned n = 0;
        while (*q != 0 && *q != ' ' && n + 1 < out_size) out[n++] = *q++;
        out[n] = 0;
        return true;
    }
    return false;
}

bool equals(const char* a, const char* b) {
    while (*a != 0 && *a == *b) ++a, ++b;
    return *a == *b;
}

}  // namespace pagewalk::guest
