// pagewalk guest runner, 64-bit world: runs the scenario program handed over as the multiboot module.
#pragma once

#include "boot/boot_info.hpp"
#include "report/reporter.hpp"

namespace pagewalk::guest::runner {

/// Runs the program in the first multiboot module (4-level and 5-level programs; others are reported as
/// unsupported_mode until the 32-bit world runs them), sends the final record and exits. Never returns.
[[noreturn]] void run_program(Reporter& r, const BootInfo& info);

}  // namespace pagewalk::guest::runner
