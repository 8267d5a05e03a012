// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner, 64-bit world: runs the scenario programs handed over as multiboot modules.
#pragma once

#include "boot/boot_info.hpp"
#include "report/reporter.hpp"

namespace pagewalk::guest::runner {

/// Runs every module the 32-bit world did not (4-level and 5-level programs; 32-bit and PAE ones too, as
/// unsupported_mode, when the 32-bit world never ran: the direct 64-bit entry), then the summary line and the final
/// record for the whole boot, and exits. Never returns.
[[noreturn]] void run_programs64(Reporter& r, const BootInfo& info);

}  // namespace pagewalk::guest::runner
