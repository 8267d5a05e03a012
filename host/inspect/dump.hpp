// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: a guest-physical memory dump, memory-mapped read-only.
//
// Two formats, told apart by content: QEMU's ELF core from `dump-guest-memory` (guest-physical addresses from the
// PT_LOAD segments' p_paddr; everything between segments is unreadable) and a raw flat image such as `pmemsave`
// writes (file offset = guest-physical address). Reads are bounds-checked: a read that touches a byte outside
// every segment fails — it never returns zeros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "inspect/cpu_state.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::inspect {

enum class DumpFormat : std::uint8_t { raw, elf_core };

constexpr const char* to_string(DumpFormat f) {
    return f == DumpFormat::raw ? "raw image" : "QEMU ELF core";
}

/// Which format to read a file as: by content (auto) or forced.
enum class DumpFormatChoice : std::uint8_t { automatic, raw, elf_core };

/// A run of guest-physical memory present in the dump.
struct Segment {
    std::uint64_t pa = 0;
    std::uint64_t size = 0;
    const std::uint8_t* data = nullptr;  // inside the mapping
};

/// A mapped dump: its segments, the vCPU states found in it, and what was odd about it.
class Dump {
public:
    /// Maps `path` and reads its structure. Errors name the file and what is wrong with it.
    static Expected<Dump> open(const std::string& path, DumpFormatChoice choice = DumpFormatChoice::automatic);

    Dump(Dump&& other) noexcept;
    Dump& operator=(Dump&& other) noexcept;
    Dump(const Dump&) = delete;
    Dump& operator=(const Dump&) = delete;
    ~Dump();

    const std::string& path() const { return path_; }
    DumpFormat format() const { return format_; }
    std::uint64_t file_size() const { return size_; }
    /// Sorted by address, never overlapping.
    std::span<const Segment> segments() const { return segments_; }
    /// Bytes of guest-physical memory the dump holds.
    std::uint64_t memory_bytes() const;

    /// Copies [pa, pa + n) into `out`; false (and `out` unspecified) unless every byte is in the dump.
    bool read(std::uint64_t pa, void* out, std::size_t n) const;
    /// After a truncation of the file (dump_shrunk): whether [p, p + n) of the mapping is still backed by it.
    bool still_in_file(const std::uint8_t* p, std::size_t n) const;
    /// The segment holding `pa`, or null.
    const Segment* find(std::uint64_t pa) const;

    /// One per vCPU, in QEMU's order (empty for a raw image or a core without QEMU notes).
    const std::vector<DumpCpuState>& cpus() const { return cpus_; }
    /// ELF cores: e_machine is EM_X86_64, which QEMU writes exactly when the first vCPU had EFER.LMA = 1.
    bool elf_says_long_mode() const { return elf_long_mode_; }
    /// Things that did not stop the dump from being read but that a user should know (clipped segments…).
    const std::vector<std::string>& warnings() const { return warnings_; }

    /// For the ELF reader: the pieces it found.
    struct Parts {
        std::vector<Segment> segments;
        std::vector<DumpCpuState> cpus;
        std::vector<std::string> warnings;
        bool long_mode = false;
    };

private:
    Dump() = default;
    void release();
    int fd_ = -1;  ///< kept open for still_in_file()

    std::string path_;
    DumpFormat format_ = DumpFormat::raw;
    const std::uint8_t* base_ = nullptr;
    std::uint64_t size_ = 0;
    std::vector<Segment> segments_;
    std::vector<DumpCpuState> cpus_;
    std::vector<std::string> warnings_;
    bool elf_long_mode_ = false;
};

/// Reads the structure of an ELF core held in [data, data + size): PT_LOAD segments (clipped to the file, with a
/// warning, when it is truncated) and QEMU CPU-state notes. Errors say what is wrong, without the file name.
Expected<Dump::Parts> parse_elf_core(const std::uint8_t* data, std::uint64_t size);

/// True when the bytes start like an ELF file.
bool looks_like_elf(const std::uint8_t* data, std::uint64_t size);

}  // namespace pagewalk::host::inspect
