// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the built-in programs selected by the command line option pw.test=NAME.
//
// selftest (default): hello, a log line, a deliberate #PF at CPL 0 (read of unmapped linear 1 GiB + 0x1234) and
//   one at CPL 3 (write to a supervisor page), both reported as exception records, a CPL 3 round trip, final.
// bench: #PF and ring-3 round trips timed with RDTSC, reported as log lines.
// la57: 4-level → 5-level → 4-level paging through pw_relaunch_long_mode (a no-op pass without LA57).
// Deliberately broken guests, which the host must report as failures: triple-fault, hang, garbage (a record
//   with a bad magic), early-stop (exit without a final record), mmio (touch unbacked guest-physical memory),
//   stray-exception (a #PF outside any guarded call: exception record, PANIC line on the screen and COM1, final
//   record with status panic).
#pragma once

#include "report/reporter.hpp"

namespace pagewalk::guest {

[[noreturn]] void run_selftest(Reporter& r);
[[noreturn]] void run_bench(Reporter& r);
/// la57: switch 4-level → 5-level paging (leaving IA-32e mode, boot/mode_switch.S), take a #PF there, switch back.
[[noreturn]] void run_la57(Reporter& r);
/// Runs the broken-guest program `name`; returns false when there is no such program.
bool run_broken(Reporter& r, const char* name);

}  // namespace pagewalk::guest
