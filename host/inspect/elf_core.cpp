// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: reading QEMU's ELF core (`dump-guest-memory`): program headers, PT_LOAD segments, notes.
//
// Formats: the System V ABI's ELF header and program headers (ELFCLASS32 and ELFCLASS64, little-endian only:
// x86), PN_XNUM (more than 65534 program headers: the count is in section header 0's sh_info), and notes (namesz,
// descsz, type, then name and desc each padded to 4 bytes). Every offset and size from the file is checked
// against the file before use; arithmetic that could wrap is checked too.
#include <algorithm>
#include <cstring>

#include "inspect/dump.hpp"
#include "inspect/hex.hpp"

namespace pagewalk::host::inspect {
namespace {

constexpr std::uint16_t kEtCore = 4;
constexpr std::uint16_t kEm386 = 3, kEmX86_64 = 62;
constexpr std::uint32_t kPtLoad = 1, kPtNote = 4;
constexpr std::uint16_t kPnXnum = 0xffff;

/// Bounds-checked little-endian reads from the file.
class Bytes {
public:
    Bytes(const std::uint8_t* data, std::uint64_t size) : data_(data), size_(size) {}
    bool has(std::uint64_t offset, std::uint64_t n) const { return n <= size_ && offset <= size_ - n; }
    template <class T>
    T get(std::uint64_t offset) const {  // callers check has() first
        T v;
        std::memcpy(&v, data_ + offset, sizeof v);
        return v;
    }
    std::uint64_t size() const { return size_; }
    const std::uint8_t* at(std::uint64_t offset) const { return data_ + offset; }

private:
    const std::uint8_t* data_;
    std::uint64_t size_;
};

struct Header {
    bool is64 = false;
    std::uint16_t type = 0, machine = 0;
    std::uint64_t phoff = 0, shoff = 0;
    std::uint16_t phentsize = 0, shentsize = 0, shnum = 0;
    std::uint32_t phnum = 0;
};

struct ProgramHeader {
    std::uint32_t type = 0;
    std::uint64_t offset = 0, paddr = 0, filesz = 0, memsz = 0;
};

Expected<Header> read_header(const Bytes& f) {
    Header h;
    if (!f.has(0, 16)) return Error{"truncated ELF identification (" + std::to_string(f.size()) + " bytes)"};
    const std::uint8_t cls = f.get<std::uint8_t>(4), data = f.get<std::uint8_t>(5);
    if (cls != 1 && cls != 2) return Error{"bad ELF class " + std::to_string(cls) + " (expected 1 or 2)"};
    if (data != 1) return Error{"not a little-endian ELF file (EI_DATA " + std::to_string(data) + ")"};
    h.is64 = cls == 2;
    const std::uint64_t ehsize = h.is64 ? 64 : 52;
    if (!f.has(0, ehsize)) return Error{"truncated ELF header (" + std::to_string(f.size()) + " bytes)"};
    h.type = f.get<std::uint16_t>(16);
    h.machine = f.get<std::uint16_t>(18);
    if (h.is64) {
        h.phoff = f.get<std::uint64_t>(32);
        h.shoff = f.get<std::uint64_t>(40);
        h.phentsize = f.get<std::uint16_t>(54);
        h.phnum = f.get<std::uint16_t>(56);
        h.shentsize = f.get<std::uint16_t>(58);
        h.shnum = f.get<std::uint16_t>(60);
    } else {
        h.phoff = f.get<std::uint32_t>(28);
        h.shoff = f.get<std::uint32_t>(32);
        h.phentsize = f.get<std::uint16_t>(42);
        h.phnum = f.get<std::uint16_t>(44);
        h.shentsize = f.get<std::uint16_t>(46);
        h.shnum = f.get<std::uint16_t>(48);
    }
    if (h.type != kEtCore) return Error{"an ELF file but not a core dump (e_type " + std::to_string(h.type) + ")"};
    if (h.machine != kEm386 && h.machine != kEmX86_64)
        return Error{"not an x86 core (e_machine " + std::to_string(h.machine) + ")"};
    if (h.phnum == kPnXnum) {  // the real count is in section header 0
        const std::uint64_t info_at = h.is64 ? 44 : 28;
        if (h.shnum == 0 || h.shentsize < info_at + 4 || !f.has(h.shoff, h.shentsize))
            return Error{"e_phnum is PN_XNUM but section header 0 is missing or outside the file"};
        h.phnum = f.get<std::uint32_t>(h.shoff + info_at);
    }
    const std::uint64_t min_entsize = h.is64 ? 56 : 32;
    if (h.phnum == 0) return Error{"no program headers"};
    if (h.phentsize < min_entsize)
        return Error{"e_phentsize " + std::to_string(h.phentsize) + " is smaller than a program header (" +
                     std::to_string(min_entsize) + ")"};
    if (std::uint64_t{h.phnum} > f.size() / h.phentsize || !f.has(h.phoff, std::uint64_t{h.phnum} * h.phentsize))
        return Error{"program header table (" + std::to_string(h.phnum) + " entries at offset " + hex(h.phoff) +
                     ") extends past the end of the file"};
    return h;
}

ProgramHeader read_program_header(const Bytes& f, const Header& h, std::uint32_t i) {
    const std::uint64_t at = h.phoff + std::uint64_t{i} * h.phentsize;
    ProgramHeader p;
    p.type = f.get<std::uint32_t>(at);
    if (h.is64) {
        p.offset = f.get<std::uint64_t>(at + 8);
        p.paddr = f.get<std::uint64_t>(at + 24);
        p.filesz = f.get<std::uint64_t>(at + 32);
        p.memsz = f.get<std::uint64_t>(at + 40);
    } else {
        p.offset = f.get<std::uint32_t>(at + 4);
        p.paddr = f.get<std::uint32_t>(at + 12);
        p.filesz = f.get<std::uint32_t>(at + 16);
        p.memsz = f.get<std::uint32_t>(at + 20);
    }
    return p;
}

DumpCpuState read_cpu_state(const std::uint8_t* desc) {
    namespace q = qemu_cpu_state;
    DumpCpuState s;
    std::memcpy(&s.version, desc, 4);
    std::memcpy(&s.rip, desc + q::kRip, 8);
    std::memcpy(&s.rflags, desc + q::kRflags, 8);
    std::memcpy(&s.cs_selector, desc + q::kSegments, 4);  // cs is the first segment: selector, limit, flags
    std::memcpy(&s.cs_flags, desc + q::kSegments + 8, 4);
    std::memcpy(s.cr, desc + q::kCr, sizeof s.cr);
    return s;
}

/// The notes in [offset, offset + size): QEMU CPU states go to `parts`; malformed notes end the segment with a
/// warning.
void read_notes(const Bytes& f, std::uint64_t offset, std::uint64_t size, unsigned segment, Dump::Parts& parts) {
    auto round4 = [](std::uint64_t n) { return (n + 3) & ~std::uint64_t{3}; };
    std::uint64_t at = offset;
    const std::uint64_t end = offset + size;
    while (at < end) {
        if (end - at < 12) {
            parts.warnings.push_back("note segment " + std::to_string(segment) + ": " + std::to_string(end - at) +
                                     " trailing bytes are not a note");
            return;
        }
        const std::uint64_t namesz = f.get<std::uint32_t>(at), descsz = f.get<std::uint32_t>(at + 4);
        const std::uint64_t name_at = at + 12, desc_at = name_at + round4(namesz);
        const std::uint64_t next = desc_at + round4(descsz);
        if (next > end) {
            parts.warnings.push_back("note segment " + std::to_string(segment) + ": a note at offset " + hex(at) +
                                     " runs past the segment (namesz " + std::to_string(namesz) + ", descsz " +
                                     std::to_string(descsz) + ")");
            return;
        }
        const bool qemu = namesz == 5 && std::memcmp(f.at(name_at), "QEMU", 5) == 0;
        if (qemu) {
            if (descsz < qemu_cpu_state::kSize) {
                parts.warnings.push_back("QEMU CPU-state note at offset " + hex(at) + " is " + std::to_string(descsz) +
                                         " bytes, expected " + std::to_string(qemu_cpu_state::kSize) + ": ignored");
            } else {
                const DumpCpuState s = read_cpu_state(f.at(desc_at));
                if (s.version != qemu_cpu_state::kVersion) {
                    parts.warnings.push_back("QEMU CPU-state note at offset " + hex(at) + " has version " +
                                             std::to_string(s.version) + " (this reader knows 1): ignored");
                } else {
                    parts.cpus.push_back(s);
                }
            }
        }
        at = next;
    }
}

}  // namespace

bool looks_like_elf(const std::uint8_t* data, std::uint64_t size) {
    return size >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
}

Expected<Dump::Parts> parse_elf_core(const std::uint8_t* data, std::uint64_t size) {
    const Bytes f(data, size);
    auto header = read_header(f);
    if (!header) return Error{header.error()};
    const Header& h = *header;
    Dump::Parts parts;
    parts.long_mode = h.machine == kEmX86_64;
    for (std::uint32_t i = 0; i < h.phnum; ++i) {
        const ProgramHeader p = read_program_header(f, h, i);
        if (p.type != kPtLoad && p.type != kPtNote) continue;
        const std::string which = (p.type == kPtLoad ? "PT_LOAD" : "PT_NOTE") + std::string(" ") + std::to_string(i);
        if (p.offset > size) {
            parts.warnings.push_back(which + " starts at offset " + hex(p.offset) + ", past the end of the file (" +
                                     hex(size) + " bytes): the dump is truncated; its " + hex(p.filesz) +
                                     " bytes are unreadable");
            continue;
        }
        std::uint64_t present = p.filesz;
        if (p.filesz > size - p.offset) {
            present = size - p.offset;
            parts.warnings.push_back(which + " is truncated: " + hex(present) + " of " + hex(p.filesz) +
                                     " bytes are in the file; the rest is unreadable");
        }
        if (p.type == kPtNote) {
            read_notes(f, p.offset, present, i, parts);
            continue;
        }
        if (p.memsz > p.filesz)
            parts.warnings.push_back(which + ": p_memsz " + hex(p.memsz) + " is larger than p_filesz " + hex(p.filesz) +
                                     "; only the file's bytes are readable");
        if (present == 0) continue;
        if (p.paddr + present - 1 < p.paddr)
            return Error{which + ": p_paddr " + hex(p.paddr) + " + p_filesz " + hex(p.filesz) +
                         " wraps around the physical address space"};
        parts.segments.push_back({p.paddr, present, data + p.offset});
    }
    std::sort(parts.segments.begin(), parts.segments.end(),
              [](const Segment& a, const Segment& b) { return a.pa < b.pa; });
    for (std::size_t i = 1; i < parts.segments.size(); ++i) {
        const Segment& a = parts.segments[i - 1];
        const Segment& b = parts.segments[i];
        if (b.pa - a.pa < a.size)
            return Error{"PT_LOAD segments overlap: [" + hex(a.pa) + ", " + hex(a.pa + a.size) + ") and [" + hex(b.pa) +
                         ", " + hex(b.pa + b.size) + ")"};
    }
    if (parts.segments.empty()) parts.warnings.push_back("no PT_LOAD segment with data: no memory can be read");
    return parts;
}

}  // namespace pagewalk::host::inspect
