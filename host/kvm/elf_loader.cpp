// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/elf_loader.hpp"

#include <elf.h>

#include <cstring>
#include <string>

namespace pagewalk::host {
namespace {

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

/// Header fields common to ELF32 and ELF64, widened.
struct Header {
    std::uint64_t entry, phoff;
    std::uint16_t phentsize, phnum;
};
struct Phdr {
    std::uint32_t type;
    std::uint64_t offset, paddr, filesz, memsz;
};

template <class T>
bool read_at(std::span<const std::uint8_t> file, std::uint64_t off, T& out) {
    if (off > file.size() || sizeof(T) > file.size() - off) return false;
    std::memcpy(&out, file.data() + off, sizeof(T));
    return true;
}

}  // namespace

std::optional<harness::BootHeader> find_boot_header(std::span<const std::uint8_t> bytes) {
    const std::size_t limit = std::min<std::size_t>(bytes.size(), harness::kBootHeaderSearch);
    for (std::size_t off = 0; off + sizeof(harness::BootHeader) <= limit; off += 8) {
        harness::BootHeader h;
        std::memcpy(&h, bytes.data() + off, sizeof h);
        if (h.magic == harness::kBootHeaderMagic && h.version == harness::kBootHeaderVersion && h.size == sizeof h)
            return h;
    }
    return std::nullopt;
}

Expected<LoadedImage> load_elf(std::span<const std::uint8_t> file, const GuestMemory& mem, std::uint64_t floor) {
    if (file.size() < EI_NIDENT || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0) return Error{"not an ELF file"};
    if (file[EI_DATA] != ELFDATA2LSB) return Error{"ELF is not little-endian"};
    const bool is64 = file[EI_CLASS] == ELFCLASS64;
    if (!is64 && file[EI_CLASS] != ELFCLASS32) return Error{"unknown ELF class"};
    Header h{};
    if (is64) {
        Elf64_Ehdr e;
        if (!read_at(file, 0, e)) return Error{"truncated ELF header"};
        if (e.e_machine != EM_X86_64) return Error{"ELF64 machine is not x86-64"};
        if (e.e_type != ET_EXEC) return Error{"ELF is not an executable (ET_EXEC)"};
        h = {e.e_entry, e.e_phoff, e.e_phentsize, e.e_phnum};
        if (h.phentsize != sizeof(Elf64_Phdr)) return Error{"bad e_phentsize"};
    } else {
        Elf32_Ehdr e;
        if (!read_at(file, 0, e)) return Error{"truncated ELF header"};
        if (e.e_machine != EM_386) return Error{"ELF32 machine is not i386"};
        if (e.e_type != ET_EXEC) return Error{"ELF is not an executable (ET_EXEC)"};
        h = {e.e_entry, e.e_phoff, e.e_phentsize, e.e_phnum};
        if (h.phentsize != sizeof(Elf32_Phdr)) return Error{"bad e_phentsize"};
    }
    if (h.phnum == 0) return Error{"ELF has no program headers"};
    if (h.phoff > file.size() || std::uint64_t{h.phnum} * h.phentsize > file.size() - h.phoff)
        return Error{"program header table outside the file"};

    std::vector<Phdr> loads;
    for (std::uint16_t i = 0; i < h.phnum; ++i) {
        const std::uint64_t at = h.phoff + std::uint64_t{i} * h.phentsize;
        Phdr p{};
        if (is64) {
            Elf64_Phdr ph;
            if (!read_at(file, at, ph)) return Error{"truncated program header"};
            p = {ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz};
        } else {
            Elf32_Phdr ph;
            if (!read_at(file, at, ph)) return Error{"truncated program header"};
            p = {ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz};
        }
        if (p.type != PT_LOAD) continue;
        const std::string where = "PT_LOAD " + std::to_string(i) + " at " + hex(p.paddr);
        if (p.filesz > p.memsz) return Error{where + ": p_filesz > p_memsz"};
        if (p.offset > file.size() || p.filesz > file.size() - p.offset)
            return Error{where + ": file bytes outside the file"};
        if (p.paddr < floor) return Error{where + ": below " + hex(floor) + " (the launcher's low memory)"};
        if (!mem.contains(p.paddr, p.memsz))
            return Error{where + " size " + hex(p.memsz) + ": outside guest memory (" + hex(mem.size()) + " bytes)"};
        loads.push_back(p);
    }
    if (loads.empty()) return Error{"ELF has no PT_LOAD segment"};

    LoadedImage img;
    img.entry = h.entry;
    img.low = UINT64_MAX;
    for (const Phdr& p : loads) {
        if (!mem.write(p.paddr, file.data() + p.offset, p.filesz) ||
            !mem.fill(p.paddr + p.filesz, 0, p.memsz - p.filesz))
            return Error{"cannot write segment at " + hex(p.paddr)};
        img.segments.push_back({p.paddr, p.filesz, p.memsz});
        img.low = std::min(img.low, p.paddr);
        img.high = std::max(img.high, p.paddr + p.memsz);
    }
    img.boot_header = find_boot_header(file.subspan(loads.front().offset, loads.front().filesz));
    return img;
}

}  // namespace pagewalk::host
