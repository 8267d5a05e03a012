// SPDX-License-Identifier: MIT OR Apache-2.0
// visit(): depth-first over the paging structures that cover a linear-address range, with a callback for each
// table entry, each leaf and each hole.
//
//   struct Counter {
//       std::uint64_t bytes = 0;
//       pagewalk::VisitAction leaf(const pagewalk::LeafVisit& l) { bytes += l.page_size; return {}; }
//   } counter;
//   pagewalk::visit(ctx, memory, pagewalk::VisitRange::all(), counter);
//
// A visitor has any of `table(const TableVisit&)`, `leaf(const LeafVisit&)` and `hole(const HoleVisit&)`, each
// returning a VisitAction: proceed, skip (do not descend below this table entry) or stop. visit_mut() passes
// non-const visits and writes back every entry whose `entry` field the visitor changed (clear A/D, set G, change
// rights …), returning what to flush.
//
// The walk judges entries as the CPU would (SDM Vol. 3A §4.3–§4.5): an entry with reserved bits is reported as a
// hole of kind reserved_bits and not walked; a table that cannot be read is a memory_error hole. It is safe on
// hostile tables: depth is bounded by the mode, a table that refers back to one of its ancestors (a self-map or
// a loop) is reported as a loop hole and not entered unless VisitOptions::follow_ancestors is set, and
// VisitOptions::max_entries bounds the total work.
#pragma once

#include <cstdint>

#include "access.hpp"
#include "context.hpp"
#include "flush.hpp"
#include "memory.hpp"
#include "rights.hpp"
#include "walk.hpp"

namespace pagewalk {

/// An inclusive range of linear addresses. Canonical addresses; first > last wraps around through 2^64.
struct VisitRange {
    std::uint64_t first = 0;
    std::uint64_t last = ~std::uint64_t{0};
    static constexpr VisitRange all() { return {}; }
};

enum class VisitAction : std::uint8_t { proceed, skip, stop };

/// An entry that references a table of the next level.
struct TableVisit {
    unsigned level;          // level of the entry (the table it references is one lower)
    std::uint64_t va_first;  // linear range the entry covers (canonical)
    std::uint64_t va_last;
    EntryLocation where;
    std::uint64_t entry;  // the entry; visit_mut writes it back if changed
};

/// An entry that maps a page.
struct LeafVisit {
    std::uint64_t va;  // first address of the page (canonical)
    std::uint64_t page_size;
    unsigned level;
    std::uint64_t pa;  // physical address of the page
    Rights rights;     // effective: combined over every level above and the leaf
    std::uint8_t pkey;
    bool global;
    MemoryType memory_type;
    EntryLocation where;
    std::uint64_t entry;  // the leaf; visit_mut writes it back if changed
};

enum class HoleKind : std::uint8_t {
    not_present,    // consecutive not-present entries of one table
    non_canonical,  // the part of the range that no linear address can reach
    reserved_bits,  // a present entry with reserved bits: any access faults with RSVD (a PAE PDPTE: #GP)
    memory_error,   // the table could not be read
    loop,           // the entry references a table on its own path (self-map or cycle), not entered
};

constexpr const char* to_string(HoleKind k) {
    switch (k) {
        case HoleKind::not_present:
            return "not present";
        case HoleKind::non_canonical:
            return "non-canonical";
        case HoleKind::reserved_bits:
            return "reserved bits";
        case HoleKind::memory_error:
            return "memory error";
        case HoleKind::loop:
            return "loop";
    }
    return "?";
}

/// A range that translates to nothing (or that the walk did not enter), and why.
struct HoleVisit {
    std::uint64_t va_first;  // canonical
    std::uint64_t va_last;
    unsigned level;  // level of the entry (0 for non_canonical)
    HoleKind kind;
    std::uint64_t entry_pa;  // the entry concerned (not_present: the first of the run)
    std::uint64_t entry;
    std::uint64_t reserved_bits;
};

struct VisitOptions {
    bool follow_ancestors = false;                       // enter tables that reference an ancestor (the CPU does)
    std::uint64_t max_entries = std::uint64_t{1} << 32;  // stop after reading this many entries
};

struct [[nodiscard]] VisitResult {
    bool stopped = false;               // a callback answered stop
    bool budget_exhausted = false;      // VisitOptions::max_entries reached
    bool write_failed = false;          // visit_mut: memory refused a write; the visit stopped there
    std::uint64_t failed_entry_pa = 0;  // visit_mut: the entry that could not be written (write_failed)
    std::uint64_t entries_read = 0;
    std::uint64_t entries_written = 0;  // visit_mut
    Flush flush{};                      // visit_mut: what the writes that succeeded require
};

namespace detail {

template <class M, class V, bool Mutable>
class Visitor {
public:
    Visitor(const Context& ctx, M& memory, V& visitor, VisitOptions options)
        : ctx_(&ctx), memory_(&memory), visitor_(&visitor), options_(options), shape_(ctx.shape()) {}

    VisitResult run(VisitRange range) {
        if (shape_.levels == 0) return result_;
        if (range.first > range.last) {  // wraps: two ranges
            run_one(range.first, ~std::uint64_t{0});
            if (!done()) run_one(0, range.last);
        } else {
            run_one(range.first, range.last);
        }
        return result_;
    }

private:
    struct Path {
        std::uint64_t tables[6] = {};
        unsigned depth = 0;
    };

    bool done() const { return result_.stopped || result_.budget_exhausted || result_.write_failed; }

    // One non-wrapping range: split into the lower half, the non-canonical hole and the upper half.
    void run_one(std::uint64_t first, std::uint64_t last) {
        if (!ctx_->is_long_mode()) {
            const std::uint64_t end = shape_.linear(~std::uint64_t{0});  // 32-bit linear addresses
            if (first > end) return;
            descend_root(first, last > end ? end : last);
            return;
        }
        const std::uint64_t half = std::uint64_t{1} << (shape_.va_bits - 1);
        const std::uint64_t low_last = half - 1, high_first = ~(half - 1);
        if (first <= low_last) descend_root(first, last < low_last ? last : low_last);
        if (done()) return;
        const std::uint64_t hole_first = first > half ? first : half;
        const std::uint64_t hole_last = last < high_first - 1 ? last : high_first - 1;
        if (hole_first <= hole_last) {
            if (emit_hole({hole_first, hole_last, 0, HoleKind::non_canonical, 0, 0, 0}) == VisitAction::stop) return;
        }
        if (last >= high_first) descend_root(first > high_first ? first : high_first, last);
    }

    void descend_root(std::uint64_t first, std::uint64_t last) {
        Path path;
        path.tables[path.depth++] = ctx_->root();
        walk_table(shape_.levels, ctx_->root(), 0, shape_.linear(first), shape_.linear(last), Rights{true, true, true},
                   path);
    }

    // Entries of the table at `level` (physical `table`, linear `base` of entry 0) within [first, last].
    void walk_table(unsigned level, std::uint64_t table, std::uint64_t base, std::uint64_t first, std::uint64_t last,
                    Rights above, Path& path) {
        const LevelShape& ls = shape_.at(level);
        const std::uint64_t span = ls.span();
        const unsigned i_last = ls.index(last);
        std::uint64_t hole_first = 0;
        bool in_hole = false;
        EntryLocation hole_loc{};
        for (unsigned i = ls.index(first); i <= i_last && !done(); ++i) {
            const std::uint64_t ebase = base + std::uint64_t{i} * span;
            const std::uint64_t lo = first > ebase ? first : ebase;
            const std::uint64_t hi = last < ebase + span - 1 ? last : ebase + span - 1;
            const EntryLocation loc{table, canonical(ebase), static_cast<std::uint16_t>(i),
                                    static_cast<std::uint8_t>(level), shape_.entry_bytes};
            if (++result_.entries_read > options_.max_entries) {
                result_.budget_exhausted = true;
                return;
            }
            std::uint64_t e = 0;
            const bool pdpte_register = ctx_->mode() == PagingMode::pae && level == 3 && ctx_->pdptes_loaded();
            if (pdpte_register) {
                e = ctx_->pdpte(i);
            } else if (!memory_->read_entry(loc, e)) {
                if (in_hole && flush_hole(hole_first, lo - 1, level, hole_loc)) return;
                in_hole = false;
                // The rest of this table is not walked: it is reported as one unreadable hole.
                emit_hole({canonical(lo), canonical(last), level, HoleKind::memory_error, loc.pa(), 0, 0});
                return;
            }
            if ((e & entry_bit::present) == 0) {
                if (!in_hole) {
                    in_hole = true;
                    hole_first = lo;
                    hole_loc = loc;
                }
                continue;
            }
            if (in_hole) {
                in_hole = false;
                if (flush_hole(hole_first, lo - 1, level, hole_loc)) return;
            }
            entry(level, loc, e, ebase, lo, hi, above, path);
        }
        if (in_hole && !done()) flush_hole(hole_first, last, level, hole_loc);
    }

    bool flush_hole(std::uint64_t first, std::uint64_t last, unsigned level, const EntryLocation& loc) {
        return emit_hole({canonical(first), canonical(last), level, HoleKind::not_present, loc.pa(), 0, 0}) ==
               VisitAction::stop;
    }

    void entry(unsigned level, const EntryLocation& loc, std::uint64_t e, std::uint64_t ebase, std::uint64_t lo,
               std::uint64_t hi, Rights above, Path& path) {
        const LevelRule& rule = ctx_->rule(level);
        const bool pae_pdpte = ctx_->mode() == PagingMode::pae && level == 3;
        const bool is_leaf = !pae_pdpte && (e & rule.leaf_test) != 0;
        const std::uint64_t reserved =
            pae_pdpte ? e & ctx_->pdpte_reserved() : e & (is_leaf ? rule.reserved_leaf : rule.reserved_table);
        if (reserved != 0) {
            emit_hole({canonical(lo), canonical(hi), level, HoleKind::reserved_bits, loc.pa(), e, reserved});
            return;
        }
        // SDM §4.6.1: rights combine over every level (a PAE PDPTE has no R/W, U/S or XD).
        const Rights rights =
            pae_pdpte
                ? above
                : Rights{above.writable && (e & entry_bit::writable) != 0, above.user && (e & entry_bit::user) != 0,
                         above.executable && (!ctx_->nxe() || (e & entry_bit::execute_disable) == 0)};
        if (is_leaf) {
            leaf(level, loc, e, ebase, rights);
            return;
        }
        TableVisit t{level, canonical(ebase), canonical(ebase + shape_.at(level).span() - 1), loc, e};
        const VisitAction action = call_table(t);
        if (action == VisitAction::stop) {
            result_.stopped = true;
            return;
        }
        if (action == VisitAction::skip) return;
        const std::uint64_t child = e & rule.table_address;
        for (unsigned d = 0; d < path.depth; ++d) {
            if (path.tables[d] == child && !options_.follow_ancestors) {
                emit_hole({canonical(lo), canonical(hi), level, HoleKind::loop, loc.pa(), e, 0});
                return;
            }
        }
        path.tables[path.depth++] = child;
        walk_table(level - 1, child, ebase, lo, hi, rights, path);
        --path.depth;
    }

    void leaf(unsigned level, const EntryLocation& loc, std::uint64_t e, std::uint64_t ebase, Rights rights) {
        const LevelRule& rule = ctx_->rule(level);
        LeafVisit l{canonical(ebase),
                    rule.shape.span(),
                    level,
                    leaf_page_address(rule, e),
                    rights,
                    static_cast<std::uint8_t>(ctx_->pke() ? entry_bit::protection_key::get(e) : 0),
                    (e & entry_bit::global) != 0,
                    leaf_memory_type(e, level, ctx_->cpu().pat, ctx_->registers().pat),
                    loc,
                    e};
        if constexpr (requires { visitor_->leaf(l); }) {
            const VisitAction action = visitor_->leaf(l);
            if constexpr (Mutable) write_back(loc, e, l.entry, l.va, true);
            if (action == VisitAction::stop) result_.stopped = true;
        }
    }

    VisitAction call_table(TableVisit& t) {
        if constexpr (requires { visitor_->table(t); }) {
            const std::uint64_t before = t.entry;
            const VisitAction action = visitor_->table(t);
            if constexpr (Mutable) write_back(t.where, before, t.entry, t.va_first, false);
            return action;
        }
        return VisitAction::proceed;
    }

    VisitAction emit_hole(const HoleVisit& h) {
        if constexpr (requires { visitor_->hole(h); }) {
            const VisitAction action = visitor_->hole(h);
            if (action == VisitAction::stop) result_.stopped = true;
            return action;
        }
        return VisitAction::proceed;
    }

    void write_back(const EntryLocation& loc, std::uint64_t before, std::uint64_t after, std::uint64_t va,
                    bool is_leaf) {
        if constexpr (Mutable) {
            if (before == after) return;
            if (!memory_->write_entry(loc, after)) {
                // The entry is unchanged, so nothing needs flushing for it; the caller must learn the write failed.
                result_.write_failed = true;
                result_.failed_entry_pa = loc.pa();
                return;
            }
            ++result_.entries_written;
            if (is_leaf) {
                result_.flush.add(va, (before & entry_bit::global) != 0);
            } else {
                result_.flush.all = true;  // a table entry changes every translation below it
            }
            if (ctx_->mode() == PagingMode::pae && loc.level == 3) result_.flush.reload_pdptes = true;
        }
    }

    std::uint64_t canonical(std::uint64_t lin) const { return shape_.canonical(lin); }

    const Context* ctx_;
    M* memory_;
    V* visitor_;
    VisitOptions options_;
    ModeShape shape_;
    VisitResult result_{};
};

}  // namespace detail

/// Visits the paging structures covering `range` (see the file comment).
template <TableMemory M, class V>
VisitResult visit(const Context& ctx, M& memory, VisitRange range, V& visitor, VisitOptions options = {}) {
    return detail::Visitor<M, V, false>(ctx, memory, visitor, options).run(range);
}

/// Like visit(), and writes back every entry the visitor changed; the result says what to flush.
template <WritableTableMemory M, class V>
VisitResult visit_mut(const Context& ctx, M& memory, VisitRange range, V& visitor, VisitOptions options = {}) {
    return detail::Visitor<M, V, true>(ctx, memory, visitor, options).run(range);
}

}  // namespace pagewalk
