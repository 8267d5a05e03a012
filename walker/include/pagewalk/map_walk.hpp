// SPDX-License-Identifier: MIT OR Apache-2.0
// The engine behind Mapper: one recursive descent over the tables a range touches, run twice — a plan pass that
// only reads (conflicts, alignment, frames needed) and an apply pass that writes. Tables that do not exist yet
// during planning are "virtual": empty (to be created) or full of the leaves a huge page would split into.
#pragma once

#include <concepts>
#include <cstdint>

#include "context.hpp"
#include "flush.hpp"
#include "frames.hpp"
#include "map_entries.hpp"
#include "memory.hpp"
#include "walker.hpp"

namespace pagewalk {

enum class MapError : std::uint8_t {
    none,
    already_mapped,  // part of the range is mapped (and MapOptions::replace is false)
    not_mapped,      // protect(): part of the range is not mapped
    misaligned,      // va, pa or size not 4 KiB aligned, or no allowed page size fits
    out_of_frames,   // the frame allocator cannot supply the tables needed
    not_canonical,   // the range leaves the linear-address space or crosses the non-canonical hole
    memory_error,    // a paging-structure entry could not be read or written
    unsupported,     // the context cannot express the request (XD without NXE, a key without PKU paging, …)
};

constexpr const char* to_string(MapError e) {
    switch (e) {
        case MapError::none:
            return "none";
        case MapError::already_mapped:
            return "already mapped";
        case MapError::not_mapped:
            return "not mapped";
        case MapError::misaligned:
            return "misaligned";
        case MapError::out_of_frames:
            return "out of page-table frames";
        case MapError::not_canonical:
            return "not canonical";
        case MapError::memory_error:
            return "page-table memory error";
        case MapError::unsupported:
            return "unsupported in this paging mode";
    }
    return "?";
}

/// What a mapper call did: an error (with the first linear address concerned) or success, and what to flush.
struct [[nodiscard]] MapResult {
    MapError error = MapError::none;
    std::uint64_t error_va = 0;
    Flush flush{};
    constexpr explicit operator bool() const { return error == MapError::none; }
};

namespace detail {

enum class JobKind : std::uint8_t { map, unmap, protect };

struct Job {
    JobKind kind;
    std::uint64_t va_first;  // linear (not sign-extended) first address
    std::uint64_t va_last;   // linear last address (inclusive)
    std::uint64_t pa_first;  // map: physical address of va_first
    MapRights rights;
    MapOptions options;
};

/// A table of the plan pass that does not exist in memory.
struct Virtual {
    enum class Kind : std::uint8_t { none, empty, split } kind = Kind::none;
    std::uint64_t huge = 0;  // split: the huge leaf (one level up) it comes from
};

template <class M>
concept LinksTablesFirst = requires {
    M::links_tables_first;
};

template <class M, class A>
class MapWalk {
public:
    MapWalk(const Context& ctx, M& memory, A& frames)
        : ctx_(&ctx), memory_(&memory), frames_(&frames), shape_(ctx.shape()), codec_(ctx) {}

    MapResult run(Job job, std::uint64_t va, std::uint64_t size) {
        result_ = MapResult{};
        if (size == 0) return result_;
        if (const MapError e = validate(job, va, size); e != MapError::none) {
            fail(e, va);
            return result_;
        }
        job.va_first = linear(va);
        job.va_last = job.va_first + size - 1;
        job_ = job;
        const unsigned top = shape_.levels;
        bool user = false, emptied = false;
        pass_ = Pass::plan;
        frames_needed_ = 0;
        if (descend(top, ctx_->root(), {}, 0, job.va_first, job.va_last, user, emptied) != MapError::none)
            return result_;
        if (frames_needed_ > frames_->available()) {
            fail(MapError::out_of_frames, va);
            return result_;
        }
        pass_ = Pass::apply;
        descend(top, ctx_->root(), {}, 0, job.va_first, job.va_last, user, emptied);
        return result_;
    }

    void set_merge(bool on) { merge_ = on; }

    Fallible<EntryLocation> locate(std::uint64_t va, unsigned level) {
        const std::uint64_t lin = linear(va);
        std::uint64_t table = ctx_->root();
        for (unsigned l = shape_.levels; l >= level && l >= 1; --l) {
            const EntryLocation loc = at(table, l, lin);
            if (l == level) return {loc, true};
            std::uint64_t e = 0;
            if (!memory_->read_entry(loc, e) || (e & entry_bit::present) == 0 || codec_.is_leaf(l, e)) return {};
            table = codec_.table_address(l, e);
        }
        return {};
    }

private:
    enum class Pass : std::uint8_t { plan, apply };

    MapError validate(const Job& job, std::uint64_t va, std::uint64_t size) const {
        if (((va | size) & 0xfff) != 0 || (job.kind == JobKind::map && (job.pa_first & 0xfff) != 0)) {
            return MapError::misaligned;
        }
        if (ctx_->is_long_mode()) {
            const std::uint64_t last = va + size - 1;
            if (last < va || !shape_.is_address(va) || !shape_.is_address(last) || (va >> 63) != (last >> 63)) {
                return MapError::not_canonical;
            }
        } else if (!shape_.is_address(va) || size > shape_.linear(~std::uint64_t{0}) - va + 1) {
            return MapError::not_canonical;
        }
        const bool xd = job.kind != JobKind::unmap && !job.rights.executable;
        if (xd && !ctx_->nxe()) return MapError::unsupported;  // XD is a reserved bit without EFER.NXE
        if (job.kind == JobKind::map) {
            if (job.options.pkey > 15 || job.options.pat_index > 7) return MapError::unsupported;
            if (job.options.pkey != 0 && !ctx_->is_long_mode()) return MapError::unsupported;
            const unsigned pa_bits = ctx_->mode() == PagingMode::legacy32 ? 40 : ctx_->cpu().maxphyaddr;
            if (job.pa_first + size - 1 > bits::mask(pa_bits - 1, 0) || job.pa_first + size - 1 < job.pa_first) {
                return MapError::unsupported;
            }
        }
        return MapError::none;
    }

    // Recursion over one table. `base` is the linear address of its entry 0; [first, last] the part of the job's
    // range inside it. `user_below` reports a user leaf under it; `emptied` that no entry of it is left present.
    MapError descend(unsigned level, std::uint64_t table, Virtual virt, std::uint64_t base, std::uint64_t first,
                     std::uint64_t last, bool& user_below, bool& emptied) {
        const LevelShape& ls = shape_.at(level);
        const std::uint64_t span = ls.span();
        const unsigned i_first = ls.index(first), i_last = ls.index(last);
        unsigned left_present = 0;
        const bool parent_live = live_;
        live_ = virt.kind == Virtual::Kind::none;
        struct RestoreLive {
            bool& live;
            bool saved;
            ~RestoreLive() { live = saved; }
        } restore{live_, parent_live};
        // Whole entries of a new table that all become leaves of this level are written as one run, without
        // visiting them one by one: [run_first, run_last] below.
        const bool bulk = job_.kind == JobKind::map && virt.kind == Virtual::Kind::empty && leaf_allowed(level) &&
                          ((job_.pa_first - job_.va_first) & (span - 1)) == 0 &&
                          !(ctx_->mode() == PagingMode::legacy32 &&
                            (level == 2 || job_.pa_first + (job_.va_last - job_.va_first) > 0xffff'ffffu));
        // The whole entries are those from the first one the range starts at (or after) to the last one it ends at.
        const unsigned run_first = i_first + (first == base + std::uint64_t{i_first} * span ? 0 : 1);
        const bool ends_whole = last == base + std::uint64_t{i_last} * span + span - 1;
        const unsigned run_end = i_last + (ends_whole ? 1 : 0);  // one past the last whole entry
        const unsigned run_last = run_end - 1;
        const bool has_run = bulk && run_first < run_end;
        if (has_run) {
            const MapError err = write_leaf_run(level, table, base, run_first, run_last - run_first + 1, user_below);
            if (err != MapError::none) return err;
        }
        for (unsigned i = i_first; i <= i_last; ++i) {
            if (has_run && i == run_first) {
                i = run_last;
                continue;
            }
            const std::uint64_t ebase = base + std::uint64_t{i} * span, elast = ebase + span - 1;
            const std::uint64_t lo = first > ebase ? first : ebase, hi = last < elast ? last : elast;
            const EntryLocation loc = at(table, level, ebase);
            std::uint64_t e = 0;
            if (virt.kind == Virtual::Kind::split) {
                e = codec_.split_leaf(level + 1, virt.huge, i);
            } else if (virt.kind == Virtual::Kind::none && !memory_->read_entry(loc, e)) {
                return fail(MapError::memory_error, canonical(lo));
            }
            bool keeps_entry = true;
            const MapError err = job_.kind == JobKind::map
                                     ? map_entry(level, loc, e, ebase, lo, hi, user_below)
                                     : change_entry(level, loc, e, ebase, lo, hi, user_below, keeps_entry);
            if (err != MapError::none) return err;
            if (keeps_entry && (e & entry_bit::present) != 0) ++left_present;
        }
        emptied = job_.kind == JobKind::unmap && left_present == 0 && pass_ == Pass::apply &&
                  others_empty(level, table, i_first, i_last);
        return MapError::none;
    }

    // Entries [i, i + count) of a new table at `level`: leaves mapping consecutive pages.
    MapError write_leaf_run(unsigned level, std::uint64_t table, std::uint64_t base, unsigned i, unsigned count,
                            bool& user_below) {
        if (count == 0) return MapError::none;
        user_below = user_below || job_.rights.user;
        if (pass_ == Pass::plan) return MapError::none;
        const std::uint64_t span = shape_.at(level).span();
        const std::uint64_t va = base + std::uint64_t{i} * span;
        const std::uint64_t first_leaf =
            codec_.leaf(level, job_.pa_first + (va - job_.va_first), job_.rights, job_.options);
        const EntryLocation loc = at(table, level, va);
        if constexpr (requires { memory_->write_run(loc, count, first_leaf, span); }) {
            if (!memory_->write_run(loc, count, first_leaf, span)) return fail(MapError::memory_error, canonical(va));
        } else {
            for (unsigned k = 0; k < count; ++k) {
                if (!memory_->write_entry(at(table, level, va + k * span), first_leaf + k * span)) {
                    return fail(MapError::memory_error, canonical(va + k * span));
                }
            }
        }
        if (ctx_->mode() == PagingMode::pae && level == 3) result_.flush.reload_pdptes = true;
        return MapError::none;
    }

    MapError map_entry(unsigned level, const EntryLocation& loc, std::uint64_t e, std::uint64_t ebase, std::uint64_t lo,
                       std::uint64_t hi, bool& user_below) {
        const std::uint64_t span = shape_.at(level).span();
        const bool whole = lo == ebase && hi == ebase + span - 1;
        const std::uint64_t pa = job_.pa_first + (lo - job_.va_first);
        const bool present = (e & entry_bit::present) != 0;
        if (whole && leaf_allowed(level) && (pa & (span - 1)) == 0) {
            if (present && !job_.options.replace) return fail(MapError::already_mapped, canonical(lo));
            if (ctx_->mode() == PagingMode::legacy32 && level == 1 && pa + span - 1 > 0xffff'ffffu) {
                return fail(MapError::unsupported, canonical(lo));  // a 32-bit PTE holds 32 address bits
            }
            user_below = user_below || job_.rights.user;
            if (pass_ == Pass::plan) return MapError::none;
            if (present) drop(level, e, ebase);
            return write(loc, codec_.leaf(level, pa, job_.rights, job_.options), canonical(lo));
        }
        if (level == 1) return fail(MapError::misaligned, canonical(lo));  // no allowed page size fits here
        if (present && codec_.is_leaf(level, e) && !job_.options.replace) {
            return fail(MapError::already_mapped, canonical(lo));
        }
        return into_child(level, loc, e, ebase, lo, hi, user_below, /*fills_whole=*/whole);
    }

    // unmap / protect one entry.
    MapError change_entry(unsigned level, const EntryLocation& loc, std::uint64_t e, std::uint64_t ebase,
                          std::uint64_t lo, std::uint64_t hi, bool& user_below, bool& keeps_entry) {
        if ((e & entry_bit::present) == 0) {
            if (job_.kind == JobKind::protect) return fail(MapError::not_mapped, canonical(lo));
            return MapError::none;
        }
        const bool whole = lo == ebase && hi == ebase + shape_.at(level).span() - 1;
        if (codec_.is_leaf(level, e) && whole) {
            if (job_.kind == JobKind::unmap) {
                keeps_entry = false;
                return pass_ == Pass::plan ? MapError::none : drop_leaf(loc, e, ebase);
            }
            user_below = user_below || job_.rights.user;
            if (pass_ == Pass::plan) return MapError::none;
            note_flush(ebase, e);
            return write(loc, codec_.with_rights(e, job_.rights), canonical(lo));
        }
        if (job_.kind == JobKind::unmap && whole) {
            // The whole subtree goes: flush its leaves and free its tables without clearing them entry by entry.
            keeps_entry = false;
            if (pass_ == Pass::plan) return MapError::none;
            drop(level, e, ebase);
            return write(loc, 0, canonical(lo));
        }
        bool child_emptied = false;
        const MapError err = into_child(level, loc, e, ebase, lo, hi, user_below, false, &child_emptied);
        if (err == MapError::none && child_emptied && pass_ == Pass::apply && job_.kind == JobKind::unmap) {
            keeps_entry = false;
            frames_->free(codec_.table_address(level, e));
            return write(loc, 0, canonical(lo));
        }
        return err;
    }

    // Continues one level down under entry `e`: into its table, or into a new one (absent entry, or a huge leaf
    // to split).
    MapError into_child(unsigned level, const EntryLocation& loc, std::uint64_t e, std::uint64_t ebase,
                        std::uint64_t lo, std::uint64_t hi, bool& user_below, bool fills_whole,
                        bool* child_emptied = nullptr) {
        const bool present = (e & entry_bit::present) != 0;
        const bool split = present && codec_.is_leaf(level, e);
        bool user_child = false, emptied = false;
        if (present && !split) {
            const MapError err =
                descend(level - 1, codec_.table_address(level, e), {}, ebase, lo, hi, user_child, emptied);
            if (err != MapError::none) return err;
            if (child_emptied) *child_emptied = emptied;
            user_below = user_below || user_child || (e & entry_bit::user) != 0;
            if (pass_ == Pass::apply && user_child && (e & entry_bit::user) == 0 && table_entry_has_us(level)) {
                if (const MapError w = write(loc, e | entry_bit::user, canonical(lo)); w != MapError::none) return w;
            }
            return merge(level, loc, codec_.table_address(level, e), ebase);
        }
        if (split && ctx_->mode() == PagingMode::legacy32 && codec_.page_address(level, e) > 0xffff'ffffu) {
            return fail(MapError::unsupported, canonical(lo));  // 4 KiB PTEs cannot reach PSE-36 addresses
        }
        if (pass_ == Pass::plan) {
            ++frames_needed_;
            const Virtual child = split ? Virtual{Virtual::Kind::split, e} : Virtual{Virtual::Kind::empty, 0};
            return descend(level - 1, 0, child, ebase, lo, hi, user_child, emptied);
        }
        const std::uint64_t table = frames_->allocate();
        if (table == 0) return fail(MapError::out_of_frames, canonical(lo));
        const bool link_first = LinksTablesFirst<M>;
        if (link_first) {
            if (const MapError err = link(level, loc, table, e, false, lo); err != MapError::none) return err;
        }
        // A new table's entries: the split leaves, or zeros — skipped when the range fills it entirely, since
        // every entry is then written below.
        if (split || !fills_whole) {
            if (const MapError err = fill(level - 1, table, ebase, split ? e : 0, level); err != MapError::none) {
                return err;
            }
        }
        // The new table's entries are known (zeros, or the split leaves) and, when the range fills it, not yet
        // written: descend through what they are, not through memory.
        const Virtual known = split ? Virtual{Virtual::Kind::split, e} : Virtual{Virtual::Kind::empty, 0};
        if (const MapError err = descend(level - 1, table, known, ebase, lo, hi, user_child, emptied);
            err != MapError::none) {
            return err;
        }
        user_below = user_below || user_child || (split && (e & entry_bit::user) != 0);
        if (split) note_flush(ebase, e);
        const bool user = user_child || (split && (e & entry_bit::user) != 0);
        return link_first
                   ? (user && table_entry_has_us(level) ? write(loc, codec_.table(level, table, true), canonical(lo))
                                                        : MapError::none)
                   : link(level, loc, table, e, user, lo);
    }

    // With merging on: when every entry of the table under `loc` now maps one aligned, physically contiguous block
    // with identical attributes, replace the table by one leaf of `level` and free it (A and D are OR-ed in).
    MapError merge(unsigned level, const EntryLocation& loc, std::uint64_t table, std::uint64_t ebase) {
        if (!merge_ || pass_ != Pass::apply || job_.kind == JobKind::unmap || !ctx_->rule(level).ps_maps_page) {
            return MapError::none;
        }
        if (job_.kind == JobKind::map && !leaf_allowed(level)) return MapError::none;
        const unsigned child = level - 1;
        const std::uint64_t child_span = shape_.at(child).span();
        const std::uint64_t address_bits = ctx_->rule(child).leaf_address;
        std::uint64_t first = 0, first_pa = 0, accessed_dirty = 0;
        for (unsigned i = 0; i < shape_.at(child).entries(); ++i) {
            std::uint64_t e = 0;
            const EntryLocation at_i{table, canonical(ebase + i * child_span), static_cast<std::uint16_t>(i),
                                     static_cast<std::uint8_t>(child), shape_.entry_bytes};
            if (!memory_->read_entry(at_i, e) || (e & entry_bit::present) == 0 || !codec_.is_leaf(child, e))
                return MapError::none;
            const std::uint64_t pa = codec_.page_address(child, e);
            const std::uint64_t attributes = e & ~address_bits & ~(entry_bit::accessed | entry_bit::dirty);
            if (i == 0) {
                if ((pa & (shape_.at(level).span() - 1)) != 0) return MapError::none;
                first = attributes;
                first_pa = pa;
            } else if (pa != first_pa + i * child_span || attributes != first) {
                return MapError::none;
            }
            accessed_dirty |= e & (entry_bit::accessed | entry_bit::dirty);
        }
        // The small leaf's attributes as a leaf of `level`: PAT moves from bit 7 to bit 12 (SDM §4.5.4).
        std::uint64_t huge = first | accessed_dirty;
        if (child == 1)
            huge = (huge & ~entry_bit::pat_4k) | entry_bit::page_size |
                   ((first & entry_bit::pat_4k) != 0 ? entry_bit::pat_huge : 0);
        huge |= codec_.encode_address(level, first_pa);
        if (const MapError err = write(loc, huge, canonical(ebase)); err != MapError::none) return err;
        frames_->free(table);
        if (live_) {
            result_.flush.all = true;  // every small translation of the block may be cached
            result_.flush.global = result_.flush.global || (huge & entry_bit::global) != 0;
        }
        return MapError::none;
    }

    MapError link(unsigned level, const EntryLocation& loc, std::uint64_t table, std::uint64_t old, bool user,
                  std::uint64_t lo) {
        if (const MapError err = write(loc, codec_.table(level, table, user), canonical(lo)); err != MapError::none) {
            return err;
        }
        if constexpr (requires { memory_->table_linked(level - 1, lo); })
            memory_->table_linked(level - 1, canonical(lo));
        (void)old;
        return MapError::none;
    }

    // Writes every entry of a new table at `level`: split leaves of `huge` (from `huge_level`), or zeros.
    MapError fill(unsigned level, std::uint64_t table, std::uint64_t base, std::uint64_t huge, unsigned huge_level) {
        const unsigned n = shape_.at(level).entries();
        for (unsigned i = 0; i < n; ++i) {
            const std::uint64_t v = huge != 0 ? codec_.split_leaf(huge_level, huge, i) : 0;
            const EntryLocation loc{table, canonical(base + std::uint64_t{i} * shape_.at(level).span()),
                                    static_cast<std::uint16_t>(i), static_cast<std::uint8_t>(level),
                                    shape_.entry_bytes};
            if (!memory_->write_entry(loc, v)) return fail(MapError::memory_error, canonical(base));
        }
        return MapError::none;
    }

    // Removes a present entry being replaced: a leaf is flushed; a table's whole subtree is flushed and freed.
    void drop(unsigned level, std::uint64_t e, std::uint64_t ebase) {
        if (level == 1 || codec_.is_leaf(level, e)) {
            note_flush(ebase, e);
            return;
        }
        const std::uint64_t table = codec_.table_address(level, e);
        const unsigned n = shape_.at(level - 1).entries();
        if (level - 1 == 1 && drop_page_table(table, ebase, n)) return;
        for (unsigned i = 0; i < n; ++i) {
            std::uint64_t child = 0;
            const std::uint64_t cbase = ebase + std::uint64_t{i} * shape_.at(level - 1).span();
            if (memory_->read_entry(at(table, level - 1, cbase), child) && (child & entry_bit::present) != 0)
                drop(level - 1, child, cbase);
        }
        frames_->free(table);
    }

    // A page table's leaves, flushed in one pass when there are more than a flush lists (then only G matters).
    // Returns false when the caller must list the pages one by one.
    bool drop_page_table(std::uint64_t table, std::uint64_t base, unsigned n) {
        unsigned present = 0;
        bool global = false;
        auto count = [&](std::uint64_t e) {
            present += static_cast<unsigned>(e & entry_bit::present);
            global =
                global || (e & (entry_bit::present | entry_bit::global)) == (entry_bit::present | entry_bit::global);
        };
        const EntryLocation first{table, canonical(base), 0, 1, shape_.entry_bytes};
        if constexpr (requires { memory_->read_run(first, n, count); }) {
            if (!memory_->read_run(first, n, count)) return false;
        } else {
            for (unsigned i = 0; i < n; ++i) {
                std::uint64_t e = 0;
                const EntryLocation loc{table, canonical(base + i * std::uint64_t{4096}), static_cast<std::uint16_t>(i),
                                        1, shape_.entry_bytes};
                if (!memory_->read_entry(loc, e)) return false;
                count(e);
            }
        }
        if (present <= Flush::capacity) return false;
        if (live_) {
            result_.flush.all = true;
            result_.flush.global = result_.flush.global || global;
        }
        frames_->free(table);
        return true;
    }

    // A present entry changes: its translation must be flushed — unless it sits in a table built by this call,
    // which the CPU has never walked.
    void note_flush(std::uint64_t ebase, std::uint64_t e) {
        if (live_) result_.flush.add(canonical(ebase), (e & entry_bit::global) != 0);
    }

    MapError drop_leaf(const EntryLocation& loc, std::uint64_t e, std::uint64_t ebase) {
        note_flush(ebase, e);
        return write(loc, 0, canonical(ebase));
    }

    // Whether the entries of a table outside [i_first, i_last] are all not present.
    bool others_empty(unsigned level, std::uint64_t table, unsigned i_first, unsigned i_last) {
        const unsigned n = shape_.at(level).entries();
        if (level == shape_.levels) return false;  // the root is never freed
        for (unsigned i = 0; i < n; ++i) {
            if (i >= i_first && i <= i_last) continue;
            std::uint64_t e = 0;
            const EntryLocation loc{table, 0, static_cast<std::uint16_t>(i), static_cast<std::uint8_t>(level),
                                    shape_.entry_bytes};
            if (!memory_->read_entry(loc, e) || (e & entry_bit::present) != 0) return false;
        }
        return true;
    }

    MapError write(const EntryLocation& loc, std::uint64_t value, std::uint64_t va) {
        if (!memory_->write_entry(loc, value)) return fail(MapError::memory_error, va);
        if (ctx_->mode() == PagingMode::pae && loc.level == 3) result_.flush.reload_pdptes = true;
        return MapError::none;
    }

    bool leaf_allowed(unsigned level) const {
        const std::uint8_t sizes = job_.options.sizes;
        if (level == 1) return (sizes & page_4k) != 0;
        if (!ctx_->rule(level).ps_maps_page) return false;
        return level == 2 ? (sizes & page_huge) != 0 : level == 3 && (sizes & page_1g) != 0;
    }
    bool table_entry_has_us(unsigned level) const { return !(ctx_->mode() == PagingMode::pae && level == 3); }

    EntryLocation at(std::uint64_t table, unsigned level, std::uint64_t lin) const {
        return {table, canonical(lin), static_cast<std::uint16_t>(shape_.at(level).index(lin)),
                static_cast<std::uint8_t>(level), shape_.entry_bytes};
    }
    std::uint64_t linear(std::uint64_t va) const { return shape_.linear(va); }
    std::uint64_t canonical(std::uint64_t lin) const { return shape_.canonical(lin); }

    MapError fail(MapError e, std::uint64_t va) {
        if (result_.error == MapError::none) {
            result_.error = e;
            result_.error_va = va;
        }
        return e;
    }

    const Context* ctx_;
    M* memory_;
    A* frames_;
    ModeShape shape_;
    EntryCodec codec_;
    Job job_{};
    Pass pass_ = Pass::plan;
    bool live_ = true;  // the table being processed is reachable by the CPU (not built by this call)
    bool merge_ = false;
    std::uint64_t frames_needed_ = 0;
    MapResult result_{};
};

}  // namespace detail
}  // namespace pagewalk
