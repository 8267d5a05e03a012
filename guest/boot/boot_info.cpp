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

BootInfo multiboot1(std::uint32_t info) {
    BootInfo b;
    const auto flags = load<std::uint32_t>(info);
    if ((flags & 1u) != 0) b.memory_end = 0x100000 + std::uint64_t{load<std::uint32_t>(info + 8)} * 1024;
    if ((flags & (1u << 2)) != 0)
        b.cmdline = reinterpret_cast<const char*>(std::uintptr_t{load<std::uint32_t>(info + 16)});
    if ((flags & (1u << 3)) != 0 && load<std::uint32_t>(info + 20) > 0) {
        const std::uint32_t mods = load<std::uint32_t>(info + 24);
        b.module_start = load<std::uint32_t>(mods);
        b.module_end = load<std::uint32_t>(mods + 4);
    }
    b.valid = true;
    return b;
}

BootInfo multiboot2(std::uint32_t info) {
    BootInfo b;
    const std::uint32_t total = load<std::uint32_t>(info);
    bool have_module = false;
    for (std::uint32_t off = 8; off + 8 <= total && off < 0x10000;) {
        const std::uint32_t type = load<std::uint32_t>(info + off);
        const std::uint32_t size = load<std::uint32_t>(info + off + 4);
        if (type == 0 || size < 8) break;
        if (type == 1) b.cmdline = reinterpret_cast<const char*>(std::uintptr_t{info + off + 8});
        if (type == 4) b.memory_end = 0x100000 + std::uint64_t{load<std::uint32_t>(info + off + 12)} * 1024;
        if (type == 3 && !have_module) {
            b.module_start = load<std::uint32_t>(info + off + 8);
            b.module_end = load<std::uint32_t>(info + off + 12);
            have_module = true;
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
