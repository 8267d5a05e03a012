// SPDX-License-Identifier: MIT OR Apache-2.0
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
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "qemu/qmp_client.hpp"
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

    /// A QMP command with JSON arguments (null for none): the value of "return", or an error.
    host::Expected<nlohmann::json> command(const std::string& name, const nlohmann::json& arguments = nullptr);
    /// A human-monitor command; returns its text with QEMU's "\r\n" turned into "\n".
    host::Expected<std::string> hmp(const std::string& command_line);

private:
    QemuSession() = default;

    pid_t pid_ = -1;
    std::optional<host::qemu::QmpClient> qmp_;
};

}  // namespace pagewalk::test::inspect
