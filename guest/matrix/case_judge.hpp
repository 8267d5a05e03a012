// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, access matrix: the guest's verdict on one combination — the same checks its scenario runner makes
// on an access (runner/judge.hpp: the outcome against the walker's prediction, the A/D bits of the walk, SDM Vol. 3A
// §4.7, §4.8), and the data: a read returns what the page holds, a write leaves what it wrote, a faulting write
// leaves the page as it was. Portable (-m32 and -m64).
#pragma once

#include <cstdint>
#include <pagewalk/harness/matrix/outcome.hpp>
#include <pagewalk/harness/runner_records.hpp>

#include "runner/judge.hpp"

namespace pagewalk::guest::matrix {

/// The mismatch bits (harness::matrix::mismatch) of access record `a` of `mode`; `expected`: the data qword before
/// the access (read) or the value written (write); `memory_after`: the qword after.
constexpr std::uint8_t judge_case(const harness::AccessRecord& a, PagingMode mode, std::uint64_t tag,
                                  std::uint64_t written, std::uint64_t memory_after) {
    namespace mm = harness::matrix::mismatch;
    std::uint8_t bad = 0;
    const bool done = runner::completed(a);
    const bool predicted_ok = a.prediction.kind == 0;
    if (!runner::detail::prediction_holds(a, mode)) bad |= done != predicted_ok ? mm::outcome : mm::error_code;
    if (!runner::detail::accessed_dirty_holds(a, mode)) bad |= mm::accessed_dirty;
    const bool implicit = (a.access_flags & harness::access_flag::implicit) != 0;
    const auto kind = static_cast<harness::AccessKind>(a.kind);
    if (!implicit && kind == harness::AccessKind::read && done && a.value != tag) bad |= mm::value;
    if (!implicit && kind == harness::AccessKind::write && memory_after != (done ? written : tag)) bad |= mm::value;
    if ((implicit || kind != harness::AccessKind::write) && memory_after != tag) bad |= mm::value;
    return bad;
}

/// Whether a faulting walk that may set A bits (SDM §4.8) set one: the entries read, before and after.
constexpr bool set_accessed(const harness::AccessRecord& a) {
    for (unsigned i = 0; i < a.chain_count && i < 5; ++i)
        if (((a.chain_after[i] & ~a.chain_before[i]) & entry_bit::accessed) != 0) return true;
    return false;
}

}  // namespace pagewalk::guest::matrix
