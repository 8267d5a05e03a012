// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: sends records over the chosen transport and keeps the stream's sequence and digest.
//
// Compiled into both the -m32 and the -m64 world; both operate on the one ReporterState in pw_boot_context, so
// the stream stays one sequence whichever code sends. Transports: the hypercall port (host launcher) or COM1
// text lines (QEMU, bare metal) — see harness/ports.hpp and harness/framing.hpp.
#pragma once

#include <cstdint>
#include <pagewalk/harness/ports.hpp>
#include <pagewalk/harness/records.hpp>

#include "report/boot_context.hpp"

namespace pagewalk::guest {

/// The guest's one way to send records: stamps sequence, chains the digest, transmits, exits.
class Reporter {
public:
    explicit Reporter(ReporterState* state) : s_(state) {}

    /// Picks the transport from the launcher marker (ECX/RCX at entry).
    void init(std::uint32_t entry_marker);
    [[nodiscard]] harness::TransportKind transport() const {
        return static_cast<harness::TransportKind>(s_->transport);
    }

    /// Sends a record whose header type and length are set; fills in the sequence. Records must be identity-mapped
    /// below 4 GiB (the hypercall passes their physical address).
    void send(harness::RecordHeader& record);
    /// A LogRecord with `text` (cut at kMaxLogText).
    void log(const char* text, std::uint16_t level = 0);
    /// The final record: counts and digest of everything sent so far.
    void final(std::uint32_t steps, harness::ExitStatus status);
    /// Tells the host (exit port / QEMU isa-debug-exit) and halts.
    [[noreturn]] void exit(harness::ExitStatus status);
    /// Plain text on COM1 (not a record): for humans, e.g. a panic that cannot be framed.
    void console(const char* text);

private:
    ReporterState* s_;
};

/// Builds and sends the hello record (CPUID summary, control registers) from the current world.
void send_hello(Reporter& r, const BootContext& ctx, std::uint8_t code_bits);

/// CRC-32C continuing from raw register `state` (table-driven: few instructions per byte at emulated ring 0).
std::uint32_t crc32c_state(std::uint32_t state, const void* data, std::uint32_t size);

}  // namespace pagewalk::guest
