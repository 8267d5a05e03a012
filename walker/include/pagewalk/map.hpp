// SPDX-License-Identifier: MIT OR Apache-2.0
// The mapper: map, unmap and protect ranges, with huge pages, in any of the four paging modes.
//
//   pagewalk::BumpAllocator frames{table_region_pa, table_region_size};
//   pagewalk::Mapper mapper{ctx, memory, frames};
//   auto r = mapper.map(va, pa, 3 * GiB + 4 * KiB, pagewalk::MapRights::rw());   // 1 GiB pages, then 4 KiB
//   if (!r) log(to_string(r.error), r.error_va);
//   r.flush.apply(invlpg, flush_all, reload_cr3);
//
// - map() uses the largest page size that the alignment of va and pa allows, mixed within one call (a 1 GiB +
//   2 MiB + 4 KiB staircase), among the sizes MapOptions::sizes allows and the context supports.
// - unmap() and protect() split a huge page when only part of it changes (into the next size down, with the same
//   rights and memory type); unmap() frees page-table frames that become empty; with merge_huge_pages(true),
//   map() and protect() merge a table that became uniform back into a huge page.
// - Tables above a leaf get permissive rights — R/W = 1, XD = 0, and U/S = 1 once a user leaf is mapped below —
//   so the effective rights of every mapping are its leaf's.
// - Every call is all or nothing for the errors it can foresee: it first plans (conflicts, alignment, the number
//   of frames needed) without writing, so already_mapped, not_mapped, misaligned, unsupported and out_of_frames
//   leave the tables exactly as they were and leak no frame. Only a failing memory write (memory_error) can stop
//   a call half way.
// - Every call returns what must be flushed (see flush.hpp); the caller decides how.
#pragma once

#include <cstdint>

#include "context.hpp"
#include "flush.hpp"
#include "frames.hpp"
#include "map_entries.hpp"
#include "map_walk.hpp"
#include "memory.hpp"
#include "walker.hpp"

namespace pagewalk {

template <WritableTableMemory M, FrameAllocator A>
class Mapper {
public:
    Mapper(const Context& ctx, M& memory, A& frames) : walk_(ctx, memory, frames) {}

    /// Allocates and clears a new, empty top-level table (for PAE: a PDPT) and returns its physical address, or
    /// 0 when no frame is left.
    static std::uint64_t create_root(const Context& ctx, M& memory, A& frames) {
        const std::uint64_t pa = frames.allocate();
        if (pa == 0) return 0;
        const ModeShape s = ctx.shape();
        const unsigned entries = s.at(s.levels).entries();
        for (unsigned i = 0; i < entries; ++i) {
            const EntryLocation loc{pa, 0, static_cast<std::uint16_t>(i), s.levels, s.entry_bytes};
            if (!memory.write_entry(loc, 0)) {
                frames.free(pa);
                return 0;
            }
        }
        return pa;
    }

    /// Maps [va, va + size) to [pa, pa + size). va, pa and size must be 4 KiB aligned.
    MapResult map(std::uint64_t va, std::uint64_t pa, std::uint64_t size, MapRights rights, MapOptions options = {}) {
        detail::Job job{detail::JobKind::map, 0, 0, pa, rights, options};
        return walk_.run(job, va, size);
    }

    /// Removes every mapping in [va, va + size) (holes are fine); frees tables that become empty.
    MapResult unmap(std::uint64_t va, std::uint64_t size) {
        detail::Job job{detail::JobKind::unmap, 0, 0, 0, {}, {}};
        return walk_.run(job, va, size);
    }

    /// Gives every page in [va, va + size) the rights `rights`, keeping its other attributes. Fails with
    /// not_mapped (and changes nothing) if part of the range is not mapped.
    MapResult protect(std::uint64_t va, std::uint64_t size, MapRights rights) {
        detail::Job job{detail::JobKind::protect, 0, 0, 0, rights, {}};
        return walk_.run(job, va, size);
    }

    /// Merging (off by default): after map() and protect(), a table whose entries all map one aligned, physically
    /// contiguous block with identical rights and attributes is replaced by one huge leaf and freed — the
    /// reverse of a split. Costs a scan of each table the call touched.
    void merge_huge_pages(bool on) { walk_.set_merge(on); }

    /// Where the entry of `level` for `va` lives, if every table above it exists (present, not a leaf). For raw
    /// bit edits (`memory.write_entry(loc, …)`) and reading back A/D bits.
    Fallible<EntryLocation> locate(std::uint64_t va, unsigned level) { return walk_.locate(va, level); }

private:
    detail::MapWalk<M, A> walk_;
};

template <WritableTableMemory M, FrameAllocator A>
Mapper(const Context&, M&, A&) -> Mapper<M, A>;

}  // namespace pagewalk
