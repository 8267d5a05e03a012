// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner, 32-bit world: runs 32-bit and PAE scenario programs in protected mode.
#pragma once

#include <cstdint>

#include "boot/boot_info.hpp"
#include "report/reporter.hpp"

namespace pagewalk::guest::runner {

/// Runs every 32-bit and PAE program among the multiboot modules, in order, from protected mode with paging off (the
/// 32-bit entry), and returns with paging off for the switch to long mode (the 64-bit world runs the rest). On a CPU
/// without long mode, or when the boot layout leaves programs no safe memory, it reports every module itself, sends
/// the final record and exits instead.
void run_programs32(Reporter& r, const BootInfo& info);

}  // namespace pagewalk::guest::runner
