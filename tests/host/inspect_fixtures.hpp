// SPDX-License-Identifier: MIT OR Apache-2.0
// Test helpers for the inspector: guest memory with page tables built by the walker's Mapper, written out as a raw
// image or as a QEMU-style ELF core, in a temporary directory.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <pagewalk/pagewalk.hpp>
#include <string>
#include <vector>

#include "inspect/core_writer.hpp"
#include "inspect/cpu_state.hpp"
#include "util/expected.hpp"

namespace pagewalk::test::inspect {

using host::Expected;
using host::inspect::CoreOptions;
using host::inspect::CoreSegment;
using host::inspect::DumpCpuState;

inline constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

/// A directory under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pagewalk-inspect-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline std::string write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
}

/// Guest RAM (from physical 0) whose page tables the Mapper builds in [tables_at, tables_at + 1 MiB).
class Guest {
public:
    explicit Guest(PagingMode mode, std::uint64_t ram_bytes = 16 * MiB, std::uint64_t tables_at = 8 * MiB)
        : ram_(ram_bytes, 0), memory_(ram_.data(), ram_.size()), frames_(tables_at, 1 * MiB) {
        const Context bare = Context::for_mode(mode, 0);
        root_ = Mapper<OffsetMemory, BumpAllocator<64>>::create_root(bare, memory_, frames_);
        ctx_ = Context::for_mode(mode, root_);
    }
    Guest(const Guest&) = delete;
    Guest& operator=(const Guest&) = delete;

    MapResult map(std::uint64_t va, std::uint64_t pa, std::uint64_t size, MapRights rights = MapRights::rw(),
                  MapOptions options = {}) {
        Mapper mapper{ctx_, memory_, frames_};
        return mapper.map(va, pa, size, rights, options);
    }
    /// Sets `bits` in the entry of `level` that maps `va` (the tables above it must exist).
    bool set_bits(std::uint64_t va, unsigned level, std::uint64_t bits) {
        Mapper mapper{ctx_, memory_, frames_};
        const auto loc = mapper.locate(va, level);
        std::uint64_t e = 0;
        return loc.ok && memory_.read_entry(loc.value, e) && memory_.write_entry(loc.value, e | bits);
    }
    bool install_recursive(unsigned slot) { return install_recursive_slot(ctx_, memory_, slot); }
    /// Writes a raw entry: `index` of the table at `table_pa`.
    void poke(std::uint64_t table_pa, unsigned index, std::uint64_t value) {
        const ModeShape s = ctx_.shape();
        memory_.write_entry({table_pa, 0, static_cast<std::uint16_t>(index), 1, s.entry_bytes}, value);
    }

    std::uint64_t peek(std::uint64_t table_pa, unsigned index) const {
        std::uint64_t v = 0;
        memory_.read_entry({table_pa, 0, static_cast<std::uint16_t>(index), 1, ctx_.shape().entry_bytes}, v);
        return v;
    }

    const Context& ctx() const { return ctx_; }
    std::uint64_t root() const { return root_; }
    const std::vector<std::uint8_t>& ram() const { return ram_; }

    /// The vCPU state QEMU would write for these tables.
    DumpCpuState cpu_state() const {
        DumpCpuState s;
        s.version = 1;
        const ControlRegisters& r = ctx_.registers();
        s.cr[0] = r.cr0;
        s.cr[3] = r.cr3;
        s.cr[4] = r.cr4;
        s.cs_flags = ctx_.is_long_mode() ? 0x00af9b00u : 0x00cf9b00u;  // L = 1 for 64-bit code
        return s;
    }
    /// A QEMU-style core of all of RAM, optionally with holes cut out ([first, last) pairs).
    std::vector<std::uint8_t> core(bool with_state = true,
                                   const std::vector<std::pair<std::uint64_t, std::uint64_t>>& holes = {}) const {
        std::vector<CoreSegment> segments;
        std::uint64_t at = 0;
        for (const auto& [first, last] : holes) {
            if (first > at)
                segments.push_back(
                    {at, {ram_.begin() + static_cast<long>(at), ram_.begin() + static_cast<long>(first)}});
            at = last;
        }
        if (at < ram_.size()) segments.push_back({at, {ram_.begin() + static_cast<long>(at), ram_.end()}});
        CoreOptions o;
        o.x86_64 = ctx_.is_long_mode();
        o.elf64 = true;
        if (with_state) o.cpu = cpu_state();
        return host::inspect::make_core(segments, o);
    }

private:
    std::vector<std::uint8_t> ram_;
    OffsetMemory memory_;
    BumpAllocator<64> frames_;
    std::uint64_t root_ = 0;
    Context ctx_;
};

}  // namespace pagewalk::test::inspect
