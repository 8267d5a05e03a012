// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: inspect-demo, the address spaces behind the inspector's ground-truth tests (tests/inspect/).
//
// pw.test=inspect-4level | inspect-5level (64-bit world) and inspect-32bit | inspect-pae (32-bit world, before
// long mode) build a varied address space with the walker's Mapper — 4 KiB, 2/4 MiB and 1 GiB pages, user and
// supervisor, read-only, NX, global, PAT/PCD/PWT, holes, physically discontiguous runs, a recursive slot, a few
// entries with reserved bits — switch to it, touch some pages (so A/D bits vary), print "PW-INSPECT-READY" on
// COM1 and halt with interrupts off, so that the host can stop QEMU and take dumps over QMP.
#pragma once

#include "report/reporter.hpp"

namespace pagewalk::guest {

/// 4-level (five_level = false) or 5-level paging; never returns.
[[noreturn]] void run_inspect_demo64(Reporter& r, bool five_level);

/// 32-bit paging with CR4.PSE (pae = false) or PAE paging; runs in the 32-bit world with paging off; never returns.
[[noreturn]] void run_inspect_demo32(Reporter& r, bool pae);

/// The line the host waits for on COM1 once the address space is in place.
inline constexpr const char kInspectReadyLine[] = "PW-INSPECT-READY\n";

}  // namespace pagewalk::guest
