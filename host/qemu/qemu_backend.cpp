// SPDX-License-Identifier: MIT OR Apache-2.0
#include "qemu/qemu_backend.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include "backend/kind.hpp"
#include "qemu/qemu_process.hpp"
#include "qemu/qemu_session.hpp"

namespace pagewalk::host::qemu {

QemuInfo probe_qemu() {
    QemuInfo info;
    info.binary = qemu_binary();
    Fd out, err;
    const pid_t pid = spawn({info.binary, "--version"}, out, err);
    if (pid < 0) {
        info.reason = "cannot start " + info.binary;
        return info;
    }
    std::string text;
    char buf[512];
    for (ssize_t n; (n = read(out.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        info.reason = info.binary + " not found or failed (exit " + std::to_string(WEXITSTATUS(status)) + ")";
        return info;
    }
    info.found = true;
    info.version = text.substr(0, text.find('\n'));
    return info;
}

std::string capability_report() {
    const QemuInfo q = probe_qemu();
    return q.found ? "  " + q.binary + ": " + q.version + "\n" : "  unavailable: " + q.reason + "\n";
}

RunResult boot_qemu(const BootOptions& options) {
    RunResult result;
    result.backend = backend_name(BackendKind::qemu);
    QemuSession session(options, result);
    if (session.started()) session.run();
    return result;
}

}  // namespace pagewalk::host::qemu
