// SPDX-License-Identifier: MIT OR Apache-2.0
#include "qemu_session.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace pagewalk::test::inspect {
namespace {

using host::Error;
using host::Expected;

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string tail(const std::string& text, std::size_t n) {
    return text.size() > n ? text.substr(text.size() - n) : text;
}

}  // namespace

Expected<std::unique_ptr<QemuSession>> QemuSession::start(const Options& o) {
    const std::string socket_path = o.work_dir + "/qmp.sock", serial = o.work_dir + "/serial.txt",
                      log = o.work_dir + "/qemu.log";
    ::unlink(socket_path.c_str());
    ::unlink(serial.c_str());
    std::vector<std::string> args = {o.qemu,
                                     "-accel",
                                     "tcg",
                                     "-cpu",
                                     "max",
                                     "-m",
                                     std::to_string(o.memory_mib),
                                     "-nodefaults",
                                     "-display",
                                     "none",
                                     "-monitor",
                                     "none",
                                     "-no-reboot",
                                     "-serial",
                                     "file:" + serial,
                                     "-qmp",
                                     "unix:" + socket_path + ",server,nowait",
                                     "-kernel",
                                     o.guest,
                                     "-append",
                                     "pw.test=" + o.test};
    std::unique_ptr<QemuSession> s(new QemuSession);
    s->pid_ = ::fork();
    if (s->pid_ == 0) {
        const int devnull = ::open("/dev/null", O_RDONLY);
        const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(devnull, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    if (s->pid_ < 0) {
        return Error{"fork failed"};
    }
    // Wait for the guest's ready line (QEMU creates the socket before the guest runs).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.ready_timeout_s);
    bool ready = false;
    while (std::chrono::steady_clock::now() < deadline) {
        if (read_text(serial).find("PW-INSPECT-READY") != std::string::npos) {
            ready = true;
            break;
        }
        int status = 0;
        if (::waitpid(s->pid_, &status, WNOHANG) == s->pid_) {
            s->pid_ = -1;
            return Error{"QEMU exited before the guest was ready: " + tail(read_text(log), 2000) +
                         "\nserial: " + tail(read_text(serial), 2000)};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!ready) {
        return Error{"the guest did not print PW-INSPECT-READY within " + std::to_string(o.ready_timeout_s) +
                     " s; serial: " + tail(read_text(serial), 2000)};
    }
    auto client = host::qemu::QmpClient::connect(socket_path, 10);
    if (!client) return Error{client.error()};
    s->qmp_.emplace(std::move(*client));
    return s;
}

QemuSession::~QemuSession() {
    if (qmp_ && pid_ > 0) (void)qmp_->command("quit");
    qmp_.reset();
    if (pid_ > 0) {
        for (int i = 0; i < 100; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

Expected<nlohmann::json> QemuSession::command(const std::string& name, const nlohmann::json& arguments) {
    if (!qmp_) return Error{"QMP: not connected"};
    return qmp_->command(name, arguments);
}

Expected<std::string> QemuSession::hmp(const std::string& command_line) {
    if (!qmp_) return Error{"QMP: not connected"};
    return qmp_->hmp(command_line);
}

}  // namespace pagewalk::test::inspect
