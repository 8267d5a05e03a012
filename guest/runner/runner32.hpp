// pagewalk guest runner, 32-bit world: runs 32-bit and PAE scenario programs in protected mode.
#pragma once

#include <cstdint>

#include "boot/boot_info.hpp"
#include "report/reporter.hpp"

namespace pagewalk::guest::runner {

/// True when the multiboot module is a program this world runs (mode 32-bit or PAE); the header is only peeked
/// at — run_program32 validates the whole program.
bool is_program32(const BootInfo& info);

/// Runs the program in the first multiboot module in 32-bit or PAE paging, from protected mode with paging off
/// (the 32-bit entry), sends the final record and exits. Never returns.
[[noreturn]] void run_program32(Reporter& r, const BootInfo& info);

}  // namespace pagewalk::guest::runner
