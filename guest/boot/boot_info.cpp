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

// Multiboot2 §3.6: total_size, reserved, then 8-byte aligned tags {type, size}: 1 command line, 3 module
// (mod_start, mod_end, string), 4 basic memory information (mem_lower, mem_upper), 0 end.
BootInfo multiboot2(std::uint32_t info) {
    BootInfo b;
    b.magic = harness::kMultiboot2BootMagic;
    b.info = info;
    const std::uint32_t total = load<std::uint32_t>(info);
    extend(b, info, info + (total < kMaxInfoBytes ? total : kMaxInfoBytes));
    for (std::uint32_t off = 8; off + 8 <= total && off < kMaxInfoBytes;) {
        const std::uint32_t type = load<std::uint32_t>(info + off);
        const std::uint32_t size = load<std::uint32_t>(info + off + 4);
        if (type == 0 || size < 8) break;
        if (type == 1) b.cmdline = reinterpret_cast<const char*>(std::uintptr_t{info + off + 8});
        if (type == 4) b.memory_end = 0x100000 + std::uint64_t{load<std::uint32_t>(info + off + 12)} * 1024;
        if (type == 3 && b.module_count++ == 0) {
            b.module_start = load<std::uint32_t>(info + off + 8);
            b.module_end = load<std::uint32_t>(info + off + 12);
        }
        off += (size + 7) & ~7u;
    }
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
