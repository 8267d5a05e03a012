// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, 32-bit world: the self-test in 32-bit paging (pw.test=selftest32) and PAE paging
// (pw.test=selftest-pae). The same three checks as the 64-bit self-test (selftest.hpp) — a #PF at CPL 0 (read of
// unmapped linear 1 GiB + 0x1234), a #PF at CPL 3 (write to a supervisor page), a CPL 3 round trip through UD2 —
// through this world's IDT, TSS and try_call / try_user, over an identity map built with the walker's Mapper in
// the mode's own table format. Exception records say code_bits = 32.
#pragma once

#include "boot/boot_info.hpp"
#include "report/reporter.hpp"

namespace pagewalk::guest {

/// Runs from protected mode with paging off; never returns.
[[noreturn]] void run_selftest32(Reporter& r, const BootInfo& info, bool pae);

}  // namespace pagewalk::guest
