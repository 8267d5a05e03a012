// pagewalk guest: what the boot loader handed over — command line and the first module (the scenario program).
#pragma once

#include <cstdint>

#include "report/boot_context.hpp"

namespace pagewalk::guest {

/// Parsed boot information; empty fields when the loader gave none.
struct BootInfo {
    const char* cmdline = "";
    std::uint64_t module_start = 0;
    std::uint64_t module_end = 0;
    std::uint64_t memory_end = 0;  ///< end of the RAM above 1 MiB (multiboot mem_upper), 0 when not given
    bool valid = false;            ///< the information structure was found and understood
};

/// Reads multiboot1 (EAX = 0x2BADB002, also the direct 64-bit entry) or multiboot2 (EAX = 0x36D76289)
/// information at EBX (Multiboot 0.6.96 §3.3; Multiboot2 §3.6). Identity-mapped addresses only.
BootInfo parse_boot_info(const BootContext& ctx);

/// The value of `key` (e.g. "pw.test=") in a space-separated command line, copied into out (NUL-terminated);
/// false when absent.
bool cmdline_option(const char* cmdline, const char* key, char* out, unsigned out_size);

/// String equality (freestanding).
bool equals(const char* a, const char* b);

}  // namespace pagewalk::guest
