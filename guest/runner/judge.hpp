// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: the guest's own checks of what a step did — so that a boot with no host (the ISO on a
// physical machine) still says PASS or FAIL. Portable (-m32 and -m64: no 64-bit division, no libc) and free of
// everything but the harness formats, so the host's unit tests can run it too.
//
// The rules are the ones the host applies (host/check/evaluate.cpp, control_write.cpp), written again here, not
// shared: the host's check stays independent, and it compares its findings with the verdicts judged here
// (host/check/guest_verdict.cpp) — a disagreement means one of the two checkers is wrong.
//   expectation     the outcome against the program's StepExpect (ok / value / data frame, or the exception with its
//                   error code and CR2; for read_entry the A and D bits)
//   prediction      the outcome against the guest walker's prediction (kind, #PF error code, CR2; #GP)
//   accessed_dirty  after an access (SDM Vol. 3A §4.8): A set in every entry a successful access used, D in its leaf
//                   for a write and never for a read, nothing else changed; an A set above a fault is a "may" and
//                   accepted either way, a D set by a faulting access is not
// There is no list of known backend deviations here: the guest judges by the SDM (and the model), so on QEMU 7.2
// a known deviation is a FAIL in the guest and "deviation (known)" on the host — the cross-check expects exactly that.
#pragma once

#include <cstdint>
#include <pagewalk/access.hpp>
#include <pagewalk/entry.hpp>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/mode.hpp>

namespace pagewalk::guest::runner {

/// CR2 as the CPU writes it for a #PF on `va` (SDM Vol. 3A §4.7): the linear address, 32 bits in 32-bit and PAE paging.
constexpr std::uint64_t cr2_of(std::uint64_t va, PagingMode mode) {
    return shape(mode).fault_address(va);
}

/// Whether an access completed. An implicit access is a descriptor read: it completed when it did not page-fault
/// (the load itself may then raise #GP/#NP: the bytes read are no descriptor).
constexpr bool completed(const harness::AccessRecord& a) {
    if (a.outcome == static_cast<std::uint8_t>(harness::AccessOutcome::completed)) return true;
    return (a.access_flags & harness::access_flag::implicit) != 0 && a.vector != vector::page_fault;
}

namespace detail {

constexpr std::uint64_t kA = entry_bit::accessed, kD = entry_bit::dirty;

/// Bytes the access read or wrote (a fetch or an implicit access: 8, as before widths).
constexpr unsigned width_of(const harness::AccessRecord& a) {
    return a.width != 0 ? a.width : 8;
}
/// The low `width` bytes of a value (what a read of that width returns, zero-extended).
constexpr std::uint64_t low_bytes(std::uint64_t v, unsigned width) {
    return width >= 8 ? v : v & ((std::uint64_t{1} << (8 * width)) - 1);
}

/// Whether CR2 names a byte of the access in its page `part` (0: the first page, 1: the second of an access that
/// crosses a page boundary). SDM Vol. 3A §6.15 (Interrupt 14): CR2 holds "the linear address that generated the
/// exception"; for an access that spans two pages the SDM does not say which of its bytes in the faulting page that
/// is (CPUs report the first one), so any byte of the access in that page is accepted. An access within one page:
/// exactly its address.
constexpr bool cr2_in_part(const harness::AccessRecord& a, unsigned part, PagingMode mode) {
    if (a.crosses == 0) return a.cr2 == cr2_of(a.va, mode);
    const unsigned first = harness::first_page_bytes(a.va, width_of(a));
    const std::uint64_t lo = part == 0 ? a.va : a.va + first;
    const std::uint64_t hi = part == 0 ? a.va + first - 1 : a.va + width_of(a) - 1;
    return a.cr2 >= cr2_of(lo, mode) && a.cr2 <= cr2_of(hi, mode);
}
/// A #PF with this error code, CR2 in page `part` of the access.
constexpr bool page_fault_in(const harness::AccessRecord& a, std::uint32_t error_code, unsigned part, PagingMode mode) {
    return a.outcome != 0 && a.vector == vector::page_fault && a.error_code == error_code && cr2_in_part(a, part, mode);
}

/// A completed access against the "ok" part of an expectation: the value, or what one of the frames holds (its low
/// bytes for a narrow read).
template <class FrameValue>
bool ok_holds(const harness::AccessRecord& a, const harness::StepExpect& e, FrameValue&& frame_value) {
    if ((e.flags & harness::expect_flag::value) != 0 && a.value != e.value) return false;
    if (e.frame_count == 0) return true;
    for (unsigned i = 0; i < e.frame_count && i < harness::kMaxExpectFrames; ++i)
        if (low_bytes(frame_value(e.frames[i], static_cast<std::uint32_t>(a.va & 0xfff)), width_of(a)) == a.value)
            return true;
    return false;
}

/// An access against the "fault" part of an expectation: the vector, the error code and CR2 when given.
constexpr bool fault_holds(const harness::AccessRecord& a, const harness::StepExpect& e, PagingMode mode) {
    const bool vector_ok = a.outcome != 0 && a.vector == e.vector;
    const bool error_ok =
        (e.flags & harness::expect_flag::error_code) == 0 || (a.has_error_code && a.error_code == e.error_code);
    const std::uint64_t cr2 = (e.flags & harness::expect_flag::cr2) != 0 ? e.value : cr2_of(a.va, mode);
    // Across a page boundary `cr2` names the faulting page: any byte of the access there (cr2_in_part).
    const bool cr2_ok = a.crosses == 0
                            ? a.cr2 == cr2
                            : ((a.cr2 ^ cr2) >> 12) == 0 && (cr2_in_part(a, 0, mode) || cr2_in_part(a, 1, mode));
    return vector_ok && error_ok && (e.vector != vector::page_fault || cr2_ok);
}

/// The expectation of an access; `frame_value(frame, offset)` is what data frame `frame` holds at page offset
/// `offset` now, `entry_value(level, va, out)` the paging-structure entry of `level` that maps `va` now (false: there
/// is none) — the guest reads its own memory and tables; a test passes tables.
template <class FrameValue, class EntryValue>
bool expectation_holds(const harness::AccessRecord& a, const harness::StepExpect& e, PagingMode mode,
                       FrameValue&& frame_value, EntryValue&& entry_value) {
    using harness::ExpectKind;
    switch (static_cast<ExpectKind>(e.kind)) {
        case ExpectKind::ok:
            return completed(a) && ok_holds(a, e, frame_value);
        case ExpectKind::fault:
            return fault_holds(a, e, mode);
        case ExpectKind::ok_or_fault:  // a stale access: whichever translation the TLB used
            return completed(a) ? ok_holds(a, e, frame_value) : fault_holds(a, e, mode);
        case ExpectKind::table_entry: {  // a read through a recursive slot: exactly the entry's raw value
            std::uint64_t entry = 0;
            if (!completed(a) || !entry_value(static_cast<unsigned>(e.vector), e.value, entry)) return false;
            // 32-bit paging: entries are 4 bytes (SDM Vol. 3A §4.3); the 8-byte read holds the next entry above.
            const bool narrow = shape(mode).entry_bytes == 4;
            return (narrow ? a.value & 0xffff'ffffu : a.value) == entry;
        }
        default:  // model, none: judge_access does not ask
            return true;
    }
}

/// The walker's prediction against the outcome. An access across a page boundary has a prediction per page (SDM
/// Vol. 3A §4.7, §6.15): it completes when neither page faults; when one does, that page's #PF (its error code, CR2
/// in it); when both do, the #PF of either.
constexpr bool prediction_holds(const harness::AccessRecord& a, PagingMode mode) {
    const harness::Prediction& p = a.prediction;
    const harness::Prediction& q = a.second;
    const bool gp = p.kind == 2 || (a.crosses != 0 && q.kind == 2);
    if (gp) return a.outcome != 0 && a.vector == vector::general_protection;  // non-canonical
    if (p.kind > 2 || (a.crosses != 0 && q.kind > 2)) return false;           // the walker could not read its tables
    const bool first_faults = p.kind == 1, second_faults = a.crosses != 0 && q.kind == 1;
    if (!first_faults && !second_faults) return completed(a);
    return (first_faults && page_fault_in(a, p.error_code, 0, mode)) ||
           (second_faults && page_fault_in(a, q.error_code, 1, mode));
}

/// A/D bits of the entries one predicted walk read, before and after the access (SDM Vol. 3A §4.8). `used`: the
/// access completed through this walk's mapping. `may_dirty`: the walk mapped the page for the access, but the
/// access crossed into another page that faulted — the CPU may have set D in this leaf before it found the fault
/// (QEMU TCG and KVM's emulator do; §4.8 sets D on a write and says nothing of an instruction that faults on its other
/// page), so D there is a "may", like A above a fault.
constexpr bool walk_accessed_dirty_holds(unsigned count, const std::uint64_t* before, const std::uint64_t* after,
                                         bool used, bool may_dirty, bool write, PagingMode mode) {
    const unsigned top = shape(mode).levels;
    for (unsigned i = 0; i < count && i < 5; ++i) {
        const unsigned level = top - i;
        if (mode == PagingMode::pae && level == 3) continue;  // PDPTE registers, §4.4.1
        const bool last = i + 1 == count;
        const bool leaf = used && last;
        const std::uint64_t b = before[i], f = after[i];
        const bool d_may_change = leaf || (may_dirty && last);
        if (((b ^ f) & ~(kA | (d_may_change ? kD : 0))) != 0) return false;               // only A (and D in the leaf)
        if (used && (f & kA) == 0) return false;                                          // A set on every level used
        if (leaf && write && (f & kD) == 0) return false;                                 // D set by a write
        if (leaf && !write && (b & kD) == 0 && (f & kD) != 0) return false;               // never by a read
        if (!used && !may_dirty && last && (b & kD) == 0 && (f & kD) != 0) return false;  // nor by a fault
    }
    return true;
}

/// A/D bits of the walks of an access: a successful access used every walk (A everywhere, D in each leaf for a
/// write); a faulting one used none — an A set on the way is a "may" (§4.8), a D is not, except in the leaf of a
/// page the write was allowed to when its other page faulted (walk_accessed_dirty_holds).
constexpr bool accessed_dirty_holds(const harness::AccessRecord& a, PagingMode mode) {
    const bool write = a.kind == static_cast<std::uint8_t>(harness::AccessKind::write) &&
                       (a.access_flags & harness::access_flag::implicit) == 0;
    const bool done = completed(a);
    const bool split_fault = a.crosses != 0 && !done && write;
    return walk_accessed_dirty_holds(a.chain_count, a.chain_before, a.chain_after, done && a.prediction.kind == 0,
                                     split_fault && a.prediction.kind == 0, write, mode) &&
           (a.crosses == 0 ||
            walk_accessed_dirty_holds(a.second_chain_count, a.second_chain_before, a.second_chain_after,
                                      done && a.second.kind == 0, split_fault && a.second.kind == 0, write, mode));
}

}  // namespace detail

/// Judges an access record against its step's expectation, the prediction in it and its A/D bits. A stale step
/// (the TLB may still hold an older translation) is judged by its expectation only.
template <class FrameValue, class EntryValue>
harness::GuestJudgement judge_access(const harness::AccessRecord& a, const harness::StepExpect& e, PagingMode mode,
                                     FrameValue&& frame_value, EntryValue&& entry_value) {
    harness::GuestJudgement j{};
    const bool outcome_expected = e.kind == static_cast<std::uint8_t>(harness::ExpectKind::ok) ||
                                  e.kind == static_cast<std::uint8_t>(harness::ExpectKind::fault) ||
                                  e.kind == static_cast<std::uint8_t>(harness::ExpectKind::table_entry) ||
                                  e.kind == static_cast<std::uint8_t>(harness::ExpectKind::ok_or_fault);
    if (outcome_expected) j.judged = harness::guest_check::expectation;  // "model": the prediction decides alone
    if (outcome_expected && !detail::expectation_holds(a, e, mode, frame_value, entry_value))
        j.failed |= harness::guest_check::expectation;
    if ((e.flags & harness::expect_flag::stale) != 0) return j;
    j.judged |= harness::guest_check::prediction | harness::guest_check::accessed_dirty;
    if (!detail::prediction_holds(a, mode)) j.failed |= harness::guest_check::prediction;
    if (!detail::accessed_dirty_holds(a, mode)) j.failed |= harness::guest_check::accessed_dirty;
    return j;
}

/// judge_access without page tables to look entries up in: a table_entry expectation fails.
template <class FrameValue>
harness::GuestJudgement judge_access(const harness::AccessRecord& a, const harness::StepExpect& e, PagingMode mode,
                                     FrameValue&& frame_value) {
    return judge_access(a, e, mode, frame_value, [](unsigned, std::uint64_t, std::uint64_t&) { return false; });
}

/// Judges a read_entry step: nothing to judge without an expectation; else the entry must exist and have the
/// expected A and/or D bits.
constexpr harness::GuestJudgement judge_entry(const harness::EntryRecord& r, const harness::StepExpect& e) {
    harness::GuestJudgement j{};
    if (e.kind != static_cast<std::uint8_t>(harness::ExpectKind::entry)) return j;
    j.judged = harness::guest_check::expectation;
    const bool a_ok = (e.flags & harness::expect_flag::accessed) == 0 || ((r.value ^ e.value) & detail::kA) == 0;
    const bool d_ok = (e.flags & harness::expect_flag::dirty) == 0 || ((r.value ^ e.value) & detail::kD) == 0;
    if (r.found == 0 || !a_ok || !d_ok) j.failed = harness::guest_check::expectation;
    return j;
}

/// Judges a control-register write: against the prediction of its PDPTE load (SDM Vol. 3A §4.4.1: a present PDPTE
/// with a reserved bit is #GP(0), else the write completes), and — `e` non-null, a reload_cr3 step's MOV to CR3 — its
/// expectation ("ok", or the #GP with its error code).
constexpr harness::GuestJudgement judge_control_write(const harness::ControlWriteRecord& w,
                                                      const harness::StepExpect* e) {
    harness::GuestJudgement j{};
    j.judged = harness::guest_check::prediction;
    const bool faulted = w.outcome != static_cast<std::uint8_t>(harness::AccessOutcome::completed);
    const bool predicted = w.predicted_vector == vector::general_protection
                               ? faulted && w.vector == vector::general_protection && w.error_code == 0
                               : !faulted;
    if (!predicted) j.failed |= harness::guest_check::prediction;
    if (e == nullptr) return j;
    const auto kind = static_cast<harness::ExpectKind>(e->kind);
    if (kind != harness::ExpectKind::ok && kind != harness::ExpectKind::fault) return j;
    j.judged |= harness::guest_check::expectation;
    const bool holds = kind == harness::ExpectKind::ok ? !faulted
                                                       : faulted && w.vector == e->vector &&
                                                             ((e->flags & harness::expect_flag::error_code) == 0 ||
                                                              (w.has_error_code && w.error_code == e->error_code));
    if (!holds) j.failed |= harness::guest_check::expectation;
    return j;
}

}  // namespace pagewalk::guest::runner
