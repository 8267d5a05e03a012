// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: a client for QEMU's machine protocol (QMP) over a unix socket — what the QEMU backend uses to read
// the vCPU's registers while the guest waits, and the inspector's ground-truth tests to dump and query a guest.
// JSON through nlohmann::json; one command at a time, asynchronous events skipped.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.hpp"
#include "util/fd.hpp"

namespace pagewalk::host::qemu {

class QmpClient {
public:
    /// Connects to the socket QEMU serves (`-qmp unix:PATH,server=on,wait=off`), retrying until QEMU has created it
    /// or `timeout_s` passed, and completes the handshake (greeting, qmp_capabilities).
    static Expected<QmpClient> connect(const std::string& socket_path, double timeout_s);

    /// Runs `name` with `arguments` (a JSON object; null for none); the value of "return", or the error QEMU gave.
    Expected<nlohmann::json> command(const std::string& name, const nlohmann::json& arguments = nullptr);
    /// A human-monitor command (`info registers`, `gva2gpa 0x1000` …): its text, "\r\n" turned into "\n".
    Expected<std::string> hmp(const std::string& command_line);

    /// Seconds a command may take before it is an error (QEMU answers in well under a millisecond when idle).
    void set_timeout(double seconds) { timeout_s_ = seconds; }

    /// The socket, for poll(): readable when QEMU sent something between commands (an event, or end of file).
    [[nodiscard]] int fd() const { return socket_.get(); }
    /// Reads what QEMU has sent without waiting; returns the events among it and those that arrived during
    /// earlier commands, oldest first. An error once QEMU closed the connection.
    Expected<std::vector<nlohmann::json>> take_events();

private:
    explicit QmpClient(Fd socket) : socket_(std::move(socket)) {}
    Expected<nlohmann::json> read_message();
    /// A complete message already in the buffer, if any.
    std::optional<Expected<nlohmann::json>> buffered_message();

    Fd socket_;
    std::string buffer_;
    std::vector<nlohmann::json> events_;
    double timeout_s_ = 60;
};

}  // namespace pagewalk::host::qemu
