// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: a captured exception (arch::Trap) as an exception record — shared by both worlds' exception
// handlers (an exception nobody asked for) and the self-tests (one they asked for).
#pragma once

#include <cstdint>
#include <pagewalk/harness/records.hpp>

#include "arch/trap.hpp"
#include "report/reporter.hpp"

namespace pagewalk::guest {

/// Sends `t` as an exception record of `step` (0: none); `expected`: a step asked for it; `code_bits` is the world's.
inline void send_trap(Reporter& r, const arch::Trap& t, std::uint8_t code_bits, std::uint32_t step, bool expected) {
    harness::ExceptionRecord rec{};
    rec.header = harness::make_header(harness::RecordType::exception, sizeof rec);
    rec.step = step;
    rec.vector = t.vector;
    rec.cpl = t.cpl;
    rec.cs = t.cs;
    rec.error_code = t.error_code;
    rec.has_error_code = t.has_error_code ? 1 : 0;
    rec.cr2 = t.cr2;
    rec.rip = t.rip;
    rec.rflags = t.rflags;
    rec.rsp = t.rsp;
    rec.code_bits = code_bits;
    rec.expected = expected ? 1 : 0;
    r.send(rec.header);
}

}  // namespace pagewalk::guest
