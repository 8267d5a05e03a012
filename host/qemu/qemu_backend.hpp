// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the QEMU backend — boot the guest under qemu-system-x86_64 (TCG) and read records from COM1.
#pragma once

#include <string>

#include "run/boot_options.hpp"
#include "run/run_result.hpp"

namespace pagewalk::host::qemu {

/// Whether QEMU is there and which version (first line of --version).
struct QemuInfo {
    bool found = false;
    std::string binary;   ///< $PAGEWALK_QEMU or qemu-system-x86_64
    std::string version;  ///< e.g. "QEMU emulator version 7.2.22 (Debian …)"
    std::string reason;   ///< why not found
};
QemuInfo probe_qemu();

/// QEMU's section of `pagewalk probe`: the binary and its version, or why it cannot be used.
std::string capability_report();

/// Runs `qemu-system-x86_64 -accel tcg -cpu max -kernel GUEST [-initrd MODULE] -append CMDLINE -serial stdio
/// -device isa-debug-exit …`, decodes each "@PW" line with the shared decoder, kills QEMU at the timeout, and
/// maps its exit status: (status << 1) | 1 from isa-debug-exit, 0 = reset (triple fault under -no-reboot).
RunResult boot_qemu(const BootOptions& options);

}  // namespace pagewalk::host::qemu
