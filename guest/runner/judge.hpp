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

/// A completed access against the "ok" part of an expectation: the value, or what one of the frames holds.
template <class FrameValue>
bool ok_holds(const harness::AccessRecord& a, const harness::StepExpect& e, FrameValue&& frame_value) {
    if ((e.flags & harness::expect_flag::value) != 0 && a.value != e.value) return false;
    if (e.frame_count == 0) return true;
    for (unsigned i = 0; i < e.frame_count && i < harness::kMaxExpectFrames; ++i)
        if (frame_value(e.frames[i], static_cast<std::uint32_t>(a.va & 0xfff)) == a.value) return true;
    return false;
}

/// An access against the "fault" part of an expectation: the vector, the error code and CR2 when given.
constexpr bool fault_holds(const harness::AccessRecord& a, const harness::StepExpect& e, PagingMode mode) {
    const bool vector_ok = a.outcome != 0 && a.vector == e.vector;
    const bool error_ok =
        (e.flags & harness::expect_flag::error_code) == 0 || (a.has_error_code && a.error_code == e.error_code);
    const std::uint64_t cr2 = (e.flags & harness::expect_flag::cr2) != 0 ? e.value : cr2_of(a.va, mode);
    return vector_ok && error_ok && (e.vector != vector::page_fault || a.cr2 == cr2);
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

/// The walker's prediction against the outcome.
constexpr bool prediction_holds(const harness::AccessRecord& a, PagingMode mode) {
    const harness::Prediction& p = a.prediction;
    switch (p.kind) {
        case 0:  // a mapping: the access completes
            return completed(a);
        case 1:  // #PF with exactly this error code, CR2 = the address
            return a.outcome != 0 && a.vector == vector::page_fault && a.error_code == p.error_code &&
                   a.cr2 == cr2_of(a.va, mode);
        case 2:  // #GP (non-canonical)
            return a.outcome != 0 && a.vector == vector::general_protection;
        default:  // the walker could not read its own tables
            return false;
    }
}

/// A/D bits of the entries the predicted walk read, before and after the access (SDM Vol. 3A §4.8).
constexpr bool accessed_dirty_holds(const harness::AccessRecord& a, PagingMode mode) {
    const unsigned top = shape(mode).levels;
    const bool ok = completed(a) && a.prediction.kind == 0;
    const bool write = a.kind == static_cast<std::uint8_t>(harness::AccessKind::write) &&
                       (a.access_flags & harness::access_flag::implicit) == 0;
    for (unsigned i = 0; i < a.chain_count && i < 5; ++i) {
        const unsigned level = top - i;
        if (mode == PagingMode::pae && level == 3) continue;  // PDPTE registers, §4.4.1
        const bool leaf = ok && i + 1 == a.chain_count;
        const std::uint64_t before = a.chain_before[i], after = a.chain_after[i];
        if (((before ^ after) & ~(kA | (leaf ? kD : 0))) != 0) return false;  // only A (and D in the leaf) may change
        if (ok && (after & kA) == 0) return false;                            // A set on every level used
        if (leaf && write && (after & kD) == 0) return false;                 // D set by a write
        if (leaf && !write && (before & kD) == 0 && (after & kD) != 0) return false;                 // never by a read
        if (!ok && i + 1 == a.chain_count && (before & kD) == 0 && (after & kD) != 0) return false;  // nor by a fault
    }
    return true;
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
