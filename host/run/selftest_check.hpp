// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: checks the records of the guest's built-in self-test (pw.test=selftest).
#pragma once

#include <string>

#include "run/run_result.hpp"

namespace pagewalk::host {

/// Empty when the records are exactly what the self-test must send: hello first; exception step 1 = #PF,
/// error code 0, CPL 0, CR2 0x40001234 (read of a not-present page); exception step 2 = #PF, error code 7
/// (P | W | U), CPL 3, CR2 in the image (write to a supervisor page); both taken by `code_bits` code (64: the
/// long-mode self-test; 32: selftest32 / selftest-pae, the protected-mode world); final with 3 steps and status 0.
/// Otherwise the first mismatch, in words.
std::string check_selftest(const RunResult& r, unsigned code_bits = 64);

}  // namespace pagewalk::host
