// SPDX-License-Identifier: MIT OR Apache-2.0
// mappings(): every mapping in a range as maximal runs — contiguous linear addresses mapped to contiguous physical
// addresses with the same effective rights, page size, key and global bit — the way QEMU's `info mem` coalesces
// ranges. The basis of the inspector's listings.
//
//   pagewalk::mappings(ctx, memory, pagewalk::VisitRange::all(), [](const pagewalk::MappingRun& run) {
//       print(run.va_first, run.va_last, run.pa_first, run.rights.writable);
//   });
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "visit.hpp"

namespace pagewalk {

/// A maximal run of uniformly mapped pages.
struct MappingRun {
    std::uint64_t va_first;
    std::uint64_t va_last;  // inclusive
    std::uint64_t pa_first;
    std::uint64_t page_size;
    Rights rights;
    std::uint8_t pkey;
    bool global;

    constexpr std::uint64_t size() const { return va_last - va_first + 1; }
};

namespace detail {

/// No hole callback.
struct IgnoreHoles {
    VisitAction operator()(const HoleVisit&) const { return VisitAction::proceed; }
};

template <class F, class H = IgnoreHoles>
class RunBuilder {
public:
    explicit RunBuilder(F& emit, H* on_hole = nullptr) : emit_(&emit), on_hole_(on_hole) {}

    /// A hole ends the open run (it is emitted first), then goes to the hole callback, in address order.
    VisitAction hole(const HoleVisit& h) {
        if (close()) return VisitAction::stop;
        if (on_hole_ == nullptr) return VisitAction::proceed;
        if constexpr (requires {
                          { (*on_hole_)(h) } -> std::same_as<VisitAction>;
                      }) {
            return (*on_hole_)(h);
        } else {
            (*on_hole_)(h);
            return VisitAction::proceed;
        }
    }

    VisitAction leaf(const LeafVisit& l) {
        if (open_ && extends(l)) {
            run_.va_last = l.va + l.page_size - 1;
            return VisitAction::proceed;
        }
        const bool stop = close();
        run_ = {l.va, l.va + l.page_size - 1, l.pa, l.page_size, l.rights, l.pkey, l.global};
        open_ = true;
        return stop ? VisitAction::stop : VisitAction::proceed;
    }
    /// Emits the open run; true if the callback asked to stop.
    bool close() {
        if (!open_) return false;
        open_ = false;
        if constexpr (requires {
                          { (*emit_)(run_) } -> std::same_as<VisitAction>;
                      }) {
            return (*emit_)(run_) == VisitAction::stop;
        } else {
            (*emit_)(run_);
            return false;
        }
    }

private:
    bool extends(const LeafVisit& l) const {
        return l.va == run_.va_last + 1 && l.pa == run_.pa_first + (l.va - run_.va_first) &&
               l.page_size == run_.page_size && l.rights.writable == run_.rights.writable &&
               l.rights.user == run_.rights.user && l.rights.executable == run_.rights.executable &&
               l.pkey == run_.pkey && l.global == run_.global;
    }

    F* emit_;
    H* on_hole_;
    MappingRun run_{};
    bool open_ = false;
};

}  // namespace detail

/// Calls `emit(const MappingRun&)` for each run in `range`, in address order. `emit` may return a VisitAction
/// (stop ends the listing).
template <TableMemory M, class F>
VisitResult mappings(const Context& ctx, M& memory, VisitRange range, F&& emit, VisitOptions options = {}) {
    detail::RunBuilder<std::remove_reference_t<F>> builder(emit);
    VisitResult result = visit(ctx, memory, range, builder, options);
    if (!result.stopped) result.stopped = builder.close();
    return result;
}

/// Like mappings(), and also calls `on_hole(const HoleVisit&)` for every hole (not-present runs, the
/// non-canonical hole, reserved-bit entries, unreadable tables, loops), interleaved with the runs in address
/// order — for listings that show what does not translate and why.
template <TableMemory M, class F, class H>
VisitResult mappings(const Context& ctx, M& memory, VisitRange range, F&& emit, H&& on_hole,
                     VisitOptions options = {}) {
    using Hole = std::remove_reference_t<H>;
    detail::RunBuilder<std::remove_reference_t<F>, Hole> builder(emit, &on_hole);
    VisitResult result = visit(ctx, memory, range, builder, options);
    if (!result.stopped) result.stopped = builder.close();
    return result;
}

}  // namespace pagewalk
