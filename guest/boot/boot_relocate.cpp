// SPDX-License-Identifier: MIT OR Apache-2.0
#include "boot/boot_relocate.hpp"

#include <cstddef>
#include <pagewalk/harness/boot_header.hpp>

namespace pagewalk::guest {
namespace {

constexpr std::uint64_t kPage = 4096;

constexpr std::uint64_t page_up(std::uint64_t v) {
    return (v + kPage - 1) & ~(kPage - 1);
}

void* at(std::uint64_t addr) {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(addr));
}

std::uint32_t load32(std::uint64_t addr) {
    std::uint32_t v;
    __builtin_memcpy(&v, at(addr), sizeof v);
    return v;
}

void store32(std::uint64_t addr, std::uint32_t v) {
    __builtin_memcpy(at(addr), &v, sizeof v);
}

/// The first end of a source ([info], every module) that [start, start + bytes) overlaps, 0 when none.
std::uint64_t overlapped_source(const BootInfo& info, std::uint64_t start, std::uint64_t bytes) {
    const std::uint64_t end = start + bytes;
    if (start < info.info_end && info.info_start < end) return info.info_end;
    for (std::uint32_t i = 0; i < info.module_count; ++i) {
        const BootModule m = module_at(info, i);
        if (start < m.end && m.start < end) return m.end;
    }
    return 0;
}

}  // namespace

BootRelocation relocate_boot_data(const BootInfo& info, std::uint64_t image_end, std::uint64_t limit) {
    BootRelocation r;
    if (!info.valid || info.magic != harness::kMultiboot2BootMagic || info.module_count == 0) return r;
    const std::uint64_t info_bytes = info.info_end - info.info_start;
    std::uint64_t bytes = page_up(info_bytes);
    bool misplaced = info.info_start < image_end || info.info_end > limit;
    for (std::uint32_t i = 0; i < info.module_count; ++i) {
        const BootModule m = module_at(info, i);
        misplaced = misplaced || m.start < image_end || m.end > limit || m.end < m.start;
        bytes += page_up(m.end - m.start);
    }
    r.needed = misplaced;
    if (!misplaced) return r;

    // The lowest place that overlaps no source: nothing is read after it was overwritten.
    RamMap ram = info.ram;
    if (!ram.known()) ram.add(image_end, info.memory_end);
    std::uint64_t from = page_up(image_end);
    std::uint64_t dest = 0;
    for (;;) {
        dest = ram.find(from, bytes, kPage, limit);
        if (dest == 0) return r;
        const std::uint64_t overlap_end = overlapped_source(info, dest, bytes);
        if (overlap_end == 0) break;
        from = page_up(overlap_end);
    }

    __builtin_memcpy(at(dest), at(info.info_start), static_cast<std::size_t>(info_bytes));
    std::uint64_t next = dest + page_up(info_bytes);
    // Multiboot2 §3.6.6 "Modules": type 3, size, mod_start u32 (+8), mod_end u32 (+12), string. Patched in the copy,
    // in the order module_at counts them.
    const std::uint32_t total = load32(dest);
    std::uint32_t index = 0;
    for (std::uint32_t off = 8; off + 8 <= total && off < info_bytes;) {
        const std::uint32_t type = load32(dest + off);
        const std::uint32_t size = load32(dest + off + 4);
        if (type == 0 || size < 8) break;
        if (type == 3) {
            const BootModule m = module_at(info, index++);
            __builtin_memcpy(at(next), at(m.start), static_cast<std::size_t>(m.end - m.start));
            store32(dest + off + 8, static_cast<std::uint32_t>(next));
            store32(dest + off + 12, static_cast<std::uint32_t>(next + (m.end - m.start)));
            next += page_up(m.end - m.start);
        }
        off += (size + 7) & ~7u;
    }
    r.done = true;
    r.info = static_cast<std::uint32_t>(dest);
    r.start = dest;
    r.end = next;
    return r;
}

}  // namespace pagewalk::guest
