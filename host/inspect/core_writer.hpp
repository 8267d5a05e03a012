// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: writes ELF cores the way QEMU's `dump-guest-memory` does — PT_NOTE with one "QEMU" CPU-state
// note per vCPU, then one PT_LOAD per run of guest-physical memory (p_paddr = guest-physical address). For tests and
// benchmarks, which need dumps without booting QEMU (and, corrupted on purpose, dumps QEMU would never write).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "inspect/cpu_state.hpp"

namespace pagewalk::host::inspect {

/// A run of guest-physical memory to put into a core.
struct CoreSegment {
    std::uint64_t pa = 0;
    std::vector<std::uint8_t> bytes;
};

/// What goes into the core besides the memory.
struct CoreOptions {
    bool elf64 = true;
    bool x86_64 = true;               // e_machine EM_X86_64 (QEMU: vCPU 0 has EFER.LMA) or EM_386
    std::optional<DumpCpuState> cpu;  // the QEMU note (version 1 unless cpu->version says otherwise)
};

/// The bytes of an ELF core holding `segments`.
inline std::vector<std::uint8_t> make_core(const std::vector<CoreSegment>& segments, const CoreOptions& o) {
    const std::uint64_t ehsize = o.elf64 ? 64 : 52, phentsize = o.elf64 ? 56 : 32;
    const std::uint64_t phnum = segments.size() + (o.cpu ? 1 : 0);
    std::vector<std::uint8_t> note;
    if (o.cpu) {
        namespace q = qemu_cpu_state;
        std::vector<std::uint8_t> desc(q::kSize, 0);
        const std::uint32_t version = o.cpu->version != 0 ? o.cpu->version : q::kVersion, size = q::kSize;
        std::memcpy(desc.data(), &version, 4);
        std::memcpy(desc.data() + 4, &size, 4);
        std::memcpy(desc.data() + q::kRip, &o.cpu->rip, 8);
        std::memcpy(desc.data() + q::kRflags, &o.cpu->rflags, 8);
        std::memcpy(desc.data() + q::kSegments, &o.cpu->cs_selector, 4);
        std::memcpy(desc.data() + q::kSegments + 8, &o.cpu->cs_flags, 4);
        std::memcpy(desc.data() + q::kCr, o.cpu->cr, sizeof o.cpu->cr);
        const std::uint32_t header[3] = {5, q::kSize, 0};  // namesz, descsz, type
        note.resize(12 + 8 + desc.size());
        std::memcpy(note.data(), header, 12);
        std::memcpy(note.data() + 12, "QEMU", 5);
        std::memcpy(note.data() + 20, desc.data(), desc.size());
    }
    std::vector<std::uint8_t> out(ehsize + phnum * phentsize, 0);
    auto put = [&out](std::uint64_t at, auto v) { std::memcpy(out.data() + at, &v, sizeof v); };
    const std::uint8_t ident[16] = {0x7f, 'E', 'L', 'F', static_cast<std::uint8_t>(o.elf64 ? 2 : 1), 1, 1};
    std::memcpy(out.data(), ident, sizeof ident);
    put(16, std::uint16_t{4});  // ET_CORE
    put(18, std::uint16_t{static_cast<std::uint16_t>(o.x86_64 ? 62 : 3)});
    put(20, std::uint32_t{1});
    if (o.elf64) {
        put(32, std::uint64_t{ehsize});  // e_phoff
        put(52, std::uint16_t{64});
        put(54, std::uint16_t{56});
        put(56, static_cast<std::uint16_t>(phnum));
    } else {
        put(28, std::uint32_t{52});
        put(40, std::uint16_t{52});
        put(42, std::uint16_t{32});
        put(44, static_cast<std::uint16_t>(phnum));
    }
    std::uint64_t offset = out.size();
    auto phdr = [&](std::uint64_t i, std::uint32_t type, std::uint64_t file_offset, std::uint64_t pa, std::uint64_t n) {
        const std::uint64_t at = ehsize + i * phentsize;
        put(at, type);
        if (o.elf64) {
            put(at + 8, file_offset);
            put(at + 24, pa);
            put(at + 32, n);
            put(at + 40, n);
        } else {
            put(at + 4, static_cast<std::uint32_t>(file_offset));
            put(at + 12, static_cast<std::uint32_t>(pa));
            put(at + 16, static_cast<std::uint32_t>(n));
            put(at + 20, static_cast<std::uint32_t>(n));
        }
    };
    std::uint64_t i = 0;
    if (o.cpu) {
        phdr(i++, 4, offset, 0, note.size());  // PT_NOTE
        out.insert(out.end(), note.begin(), note.end());
        offset += note.size();
    }
    for (const CoreSegment& s : segments) {
        while (offset % 8 != 0) {  // QEMU's memory lands 8-byte aligned (its notes are multiples of 4)
            out.push_back(0);
            ++offset;
        }
        phdr(i++, 1, offset, s.pa, s.bytes.size());  // PT_LOAD
        out.insert(out.end(), s.bytes.begin(), s.bytes.end());
        offset += s.bytes.size();
    }
    return out;
}

}  // namespace pagewalk::host::inspect
