// pagewalk guest: the self-tests' reporting helpers, shared by the -m64 (selftest.cpp) and -m32 (selftest32.cpp)
// worlds: an expected exception as an exception record, and a self-check that logs what failed.
#pragma once

#include <cstdint>

#include "arch/trap.hpp"
#include "report/reporter.hpp"
#include "report/text.hpp"

namespace pagewalk::guest {

/// Sends `t` as the exception record of self-test step `step` (expected = 1); `code_bits` is the world's.
inline void report_trap(Reporter& r, std::uint32_t step, const arch::Trap& t, std::uint8_t code_bits) {
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
    rec.expected = 1;
    r.send(rec.header);
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
