// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: what a step of a compiled program must do — the expectation the guest judges its own run by.
//
// The host compiles it from the scenario file's `expect` (the same fields the host's own evaluator reads), the guest
// judges every access, reload_cr3 and read_entry step with it (guest/runner/judge.hpp), so that a boot with no host
// still says PASS or FAIL; the host checks again, independently, and cross-checks the guest's verdicts. Part of the
// program format (program.hpp): freestanding, identical in -m32 and -m64 builds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pagewalk::harness {

/// What an expectation asks for (StepExpect::kind). Values are part of the program format.
enum class ExpectKind : std::uint8_t {
    none = 0,   ///< no expectation (steps other than access, reload_cr3, read_entry; a read_entry without one)
    ok = 1,     ///< access / reload_cr3: no exception (a read: optionally a value, or one of some data frames)
    fault = 2,  ///< access / reload_cr3: this exception (vector; error code and CR2 when the flags say so)
    model = 3,  ///< access / reload_cr3: whatever the guest's walker predicts (only the prediction check decides)
    entry = 4,  ///< read_entry: the entry's A and/or D bits
    /// access (a read): it completes and returns the raw paging-structure entry of level `vector` (1 = PTE … 5 =
    /// PML5E) that maps linear address `value` — a read through a recursive slot (in 32-bit paging, where entries
    /// are 4 bytes, the low 4 bytes of the 8 read).
    table_entry = 5,
    /// access, stale only: the TLB may answer with either of two translations, one that allows the access and one
    /// that faults (SDM Vol. 3A §4.10.4): it completes (a read: returning what one of the frames holds, when
    /// given) or raises this exception (error code and CR2 as for `fault`).
    ok_or_fault = 6,
};
inline constexpr std::uint8_t kMaxExpectKind = 6;
inline constexpr std::uint8_t kMaxExpectFrames = 4;

/// StepExpect flags.
namespace expect_flag {
inline constexpr std::uint8_t value = 1u << 0;       ///< ok: a read returns exactly `value`
inline constexpr std::uint8_t error_code = 1u << 1;  ///< fault: the error code is exactly `error_code`
/// fault #PF: CR2 is `value` (without the flag: the access's linear address, its low 32 bits in 32-bit/PAE paging).
inline constexpr std::uint8_t cr2 = 1u << 2;
inline constexpr std::uint8_t accessed = 1u << 3;  ///< entry: A (bit 5) equals bit 5 of `value`
inline constexpr std::uint8_t dirty = 1u << 4;     ///< entry: D (bit 6) equals bit 6 of `value`
/// access: the TLB may answer with a translation an unflushed earlier step changed (SDM Vol. 3A §4.10.4): neither
/// the walker's prediction nor the A/D bits are compared, only the expectation (which then lists both outcomes).
inline constexpr std::uint8_t stale = 1u << 5;
inline constexpr std::uint8_t all = (1u << 6) - 1;
}  // namespace expect_flag

/// What a step must do (32 bytes): compiled by the host from the scenario file's `expect` — the same fields the
/// host's evaluator reads (host/check/evaluate.cpp) — and judged by the guest (guest/runner/judge.hpp).
struct alignas(8) StepExpect {
    std::uint8_t kind;         ///< ExpectKind
    std::uint8_t flags;        ///< expect_flag::…
    std::uint8_t vector;       ///< fault: 0..31 (14 #PF, 13 #GP); table_entry: the entry's level, 1..5
    std::uint8_t frame_count;  ///< ok: 1..kMaxExpectFrames: a read returns what one of `frames` holds at va's offset
    std::uint32_t error_code;  ///< fault with expect_flag::error_code
    std::uint64_t value;       ///< ok: the value read; fault: CR2; entry: the A (bit 5) and D (bit 6) expected;
                               ///< table_entry: the linear address the entry maps
    std::uint32_t frames[kMaxExpectFrames];  ///< ok: data frames (4 KiB frames of the data area)
};

static_assert(sizeof(StepExpect) == 32 && alignof(StepExpect) == 8);
static_assert(offsetof(StepExpect, kind) == 0 && offsetof(StepExpect, flags) == 1 && offsetof(StepExpect, vector) == 2);
static_assert(offsetof(StepExpect, frame_count) == 3 && offsetof(StepExpect, error_code) == 4);
static_assert(offsetof(StepExpect, value) == 8 && offsetof(StepExpect, frames) == 16);

namespace detail {
/// Field ranges of an expectation for a step that is an access, a reload_cr3 or a read_entry (or none of them):
/// which kinds each op may have, flags that fit the kind, frames in range, nothing set that the kind does not use.
constexpr bool expect_fields_ok(const StepExpect& e, bool access, bool reload_cr3, bool read_entry,
                                std::uint32_t max_frames) {
    if (e.kind > kMaxExpectKind || (e.flags & ~expect_flag::all) != 0 || e.vector > 31 ||
        e.frame_count > kMaxExpectFrames)
        return false;
    for (unsigned i = 0; i < kMaxExpectFrames; ++i)
        if (i < e.frame_count ? e.frames[i] >= max_frames : e.frames[i] != 0) return false;
    if ((e.flags & expect_flag::stale) != 0 && !access) return false;
    const bool outcome_op = access || reload_cr3;
    switch (static_cast<ExpectKind>(e.kind)) {
        case ExpectKind::none:
            return e.flags == 0 && e.frame_count == 0 && e.value == 0 && e.error_code == 0 && e.vector == 0;
        case ExpectKind::ok:
            return outcome_op && (e.flags & ~(expect_flag::value | expect_flag::stale)) == 0 && e.vector == 0 &&
                   e.error_code == 0 && (access || (e.flags == 0 && e.frame_count == 0)) &&
                   ((e.flags & expect_flag::value) != 0 || e.value == 0);
        case ExpectKind::fault:
            return outcome_op && e.frame_count == 0 &&
                   (e.flags & ~(expect_flag::error_code | expect_flag::cr2 | expect_flag::stale)) == 0 &&
                   (access || e.vector == 13) && ((e.flags & expect_flag::cr2) != 0 || e.value == 0);
        case ExpectKind::model:
            return outcome_op && (e.flags & ~expect_flag::stale) == 0 && e.frame_count == 0 && e.value == 0 &&
                   e.vector == 0 && e.error_code == 0;
        case ExpectKind::entry:
            return read_entry && (e.flags & ~(expect_flag::accessed | expect_flag::dirty)) == 0 &&
                   (e.value & ~std::uint64_t{0x60}) == 0 && e.frame_count == 0 && e.vector == 0;
        case ExpectKind::ok_or_fault:
            return access && (e.flags & expect_flag::stale) != 0 &&
                   (e.flags & ~(expect_flag::error_code | expect_flag::cr2 | expect_flag::stale)) == 0 &&
                   ((e.flags & expect_flag::cr2) != 0 || e.value == 0);
        case ExpectKind::table_entry:
            return access && (e.flags & ~expect_flag::stale) == 0 && e.frame_count == 0 && e.error_code == 0 &&
                   e.vector >= 1 && e.vector <= 5;
    }
    return false;
}
}  // namespace detail

}  // namespace pagewalk::harness
