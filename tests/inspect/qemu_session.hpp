// Ground truth for the inspector: QEMU (TCG) running the guest's inspect-demo, driven over QMP.
//
// Boots `qemu-system-x86_64 -accel tcg -cpu max -kernel GUEST -append pw.test=inspect-MODE` with a QMP socket and
// COM1 in a file, waits for the guest's "PW-INSPECT-READY" line (its tables are built and it halts with interrupts
// off), stops the vCPU, and then asks QEMU: `dump-guest-memory` (ELF), `pmemsave` (raw), and human-monitor commands
// (`info tlb`, `info mem`, `gva2gpa`, `info registers`).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "util/expected.hpp"

namespace pagewalk::test::inspect {

/// One QEMU process and its QMP connection; quits (or kills) QEMU when destroyed.
class QemuSession {
public:
    struct Options {
        std::string qemu = "qemu-system-x86_64";
        std::string guest;
        std::string test;  // pw.test=… value
        std::string work_dir;
        unsigned memory_mib = 64;
        double ready_timeout_s = 20;
    };

    /// Starts QEMU and waits for the guest; an error says what went wrong (with the serial log's tail).
    static host::Expected<std::unique_ptr<QemuSession>> start(const Options& options);
    ~QemuSession();
    QemuSession(const QemuSession&) = delete;
    QemuSession& operator=(const QemuSession&) = delete;

    /// A QMP command with JSON arguments ("{}" for none); returns the raw response line or an error.
    host::Expected<std::string> command(const std::string& name, const std::string& arguments = "{}");
    /// A human-monitor command; returns its text with QEMU's "\r\n" turned into "\n".
    host::Expected<std::string> hmp(const std::string& command_line);

private:
    QemuSession() = default;
    host::Expected<std::string> read_response();

    pid_t pid_ = -1;
    int qmp_ = -1;
    std::string buffer_;
};

/// The string value of a JSON string starting at `text[at]` (a '"'); handles the escapes QMP uses.
std::string json_string_at(const std::string& text, std::size_t at);

/// The "return" string of a QMP response line, or an empty optional-like error.
host::Expected<std::string> qmp_return_string(const std::string& response);

}  // namespace pagewalk::test::inspect
