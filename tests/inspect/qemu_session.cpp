#include "qemu_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
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

std::string json_string_at(const std::string& text, std::size_t at) {
    std::string out;
    for (std::size_t i = at + 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') break;
        if (c != '\\' || i + 1 >= text.size()) {
            out += c;
            continue;
        }
        const char e = text[++i];
        switch (e) {
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'u':
                if (i + 4 < text.size()) {
                    out += static_cast<char>(std::stoi(text.substr(i + 1, 4), nullptr, 16) & 0x7f);
                    i += 4;
                }
                break;
            default:
                out += e;
                break;
        }
    }
    return out;
}

Expected<std::string> qmp_return_string(const std::string& response) {
    const std::size_t key = response.find("\"return\"");
    if (key == std::string::npos) return Error{"QMP error: " + response};
    const std::size_t quote = response.find('"', response.find(':', key) + 1);
    if (quote == std::string::npos) return Error{"QMP return is not a string: " + response};
    return json_string_at(response, quote);
}

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
    s->qmp_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(s->qmp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return Error{"cannot connect to QMP at " + socket_path + ": " + std::strerror(errno)};
    }
    auto greeting = s->read_response();  // {"QMP": …}
    if (!greeting || !s->command("qmp_capabilities")) {
        return Error{"QMP handshake failed"};
    }
    return s;
}

QemuSession::~QemuSession() {
    if (qmp_ >= 0 && pid_ > 0) (void)command("quit");
    if (qmp_ >= 0) ::close(qmp_);
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

Expected<std::string> QemuSession::read_response() {
    for (;;) {
        const std::size_t nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (line.find("\"event\"") != std::string::npos && line.find("\"return\"") == std::string::npos) continue;
            return line;
        }
        pollfd p{qmp_, POLLIN, 0};
        if (::poll(&p, 1, 60000) <= 0) return Error{"QMP: no response within 60 s"};
        char chunk[65536];
        const ssize_t n = ::read(qmp_, chunk, sizeof chunk);
        if (n <= 0) return Error{"QMP: connection closed"};
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

Expected<std::string> QemuSession::command(const std::string& name, const std::string& arguments) {
    const std::string request = "{\"execute\":\"" + name + "\",\"arguments\":" + arguments + "}\n";
    if (::write(qmp_, request.data(), request.size()) != static_cast<ssize_t>(request.size()))
        return Error{"QMP: write failed"};
    auto r = read_response();
    if (!r) return r;
    if (r->find("\"error\"") != std::string::npos && r->find("\"return\"") == std::string::npos)
        return Error{name + ": " + *r};
    return r;
}

Expected<std::string> QemuSession::hmp(const std::string& command_line) {
    auto r = command("human-monitor-command", "{\"command-line\":\"" + command_line + "\"}");
    if (!r) return r;
    auto text = qmp_return_string(*r);
    if (!text) return text;
    std::string out;
    for (const char c : *text)
        if (c != '\r') out += c;
    return out;
}

}  // namespace pagewalk::test::inspect
