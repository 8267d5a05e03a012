// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the self-tests' reporting helpers, shared by the -m64 (selftest.cpp) and -m32 (selftest32.cpp)
// worlds: an expected exception as an exception record, and a self-check that logs what failed.
#pragma once

#include <cstdint>

#include "arch/trap.hpp"
#include "report/reporter.hpp"
#include "report/text.hpp"
#include "report/trap_record.hpp"

namespace pagewalk::guest {

/// Sends `t` as the exception record of self-test step `step` (expected = 1); `code_bits` is the world's.
inline void report_trap(Reporter& r, std::uint32_t step, const arch::Trap& t, std::uint8_t code_bits) {
    send_trap(r, t, code_bits, step, true);
}

/// A self-check: logs the failure and counts it.
inline bool check(Reporter& r, bool ok, const char* what, unsigned& failures) {
    if (!ok) {
        r.log((Text{} << "self-test check failed: " << what).c_str(), 2);
        ++failures;
    }
    return ok;
}

}  // namespace pagewalk::guest
