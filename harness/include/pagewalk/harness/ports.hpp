// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: I/O ports and exit statuses shared by guest and host.
//
// Freestanding: fixed-width types only, no libc. Used by guest code compiled -m32 and -m64 and by the host.
#pragma once

#include <cstdint>

namespace pagewalk::harness {

/// I/O ports of the report transports (the guest executes OUT to them; Intel SDM Vol. 2B "OUT").
struct Ports {
    /// Hypercall: `out %eax, %dx` with EAX = guest-physical address of a record (below 4 GiB). The vCPU exits to
    /// the host launcher, which reads and validates the record from guest memory before resuming.
    static constexpr std::uint16_t hypercall = 0x5057;
    /// Exit: `out %eax, %dx` with EAX = an ExitStatus. The host launcher stops the VM.
    static constexpr std::uint16_t exit = 0x5058;
    /// QEMU `-device isa-debug-exit,iobase=0xf4,iosize=4`: QEMU exits with status (value << 1) | 1.
    static constexpr std::uint16_t qemu_debug_exit = 0xf4;
    /// COM1 (16550 UART), polled; carries the serial framing of the records (framing.hpp) under QEMU / bare metal.
    static constexpr std::uint16_t com1 = 0x3f8;
};

/// How the guest ends. Under QEMU the process exit code is (status << 1) | 1; QEMU's own 0 means the guest
/// never reached an exit (reset / triple fault with -no-reboot).
enum class ExitStatus : std::uint32_t {
    ok = 0,            ///< the guest finished and its own checks passed
    check_failed = 1,  ///< the guest finished but its own checks failed
    panic = 2,         ///< the guest gave up (unexpected exception, bad boot info…)
    bad_boot = 3,      ///< boot information missing or malformed
};

/// Marker the host launcher puts in ECX (32-bit entry) or RCX (direct 64-bit entry): "the hypercall port is
/// there". Multiboot leaves ECX undefined, so a boot loader leaves some other value; the guest then uses COM1.
inline constexpr std::uint32_t kLauncherMarker = 0x564b5750;  // "PWKV"

}  // namespace pagewalk::harness
