// SPDX-License-Identifier: MIT OR Apache-2.0
#include "qemu/qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "util/interrupt.hpp"

namespace pagewalk::host::qemu {

using nlohmann::json;

Expected<QmpClient> QmpClient::connect(const std::string& socket_path, double timeout_s) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) return Error{"QMP socket path too long: " + socket_path};
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        Fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        if (!fd.valid()) return Error{std::string("cannot create a unix socket: ") + std::strerror(errno)};
        if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
            QmpClient client(std::move(fd));
            client.timeout_s_ = timeout_s;
            auto greeting = client.read_message();
            if (!greeting) return Error{"QMP at " + socket_path + ": " + greeting.error()};
            if (!greeting->contains("QMP")) return Error{"QMP at " + socket_path + ": no greeting"};
            if (auto caps = client.command("qmp_capabilities"); !caps) return Error{caps.error()};
            return client;
        }
        const int err = errno;
        const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        // QEMU creates the socket early in its start-up; until then connect() finds no file or no listener.
        if (interrupt::received() != 0) return Error{"interrupted while connecting to QMP"};
        if ((err != ENOENT && err != ECONNREFUSED) || waited > timeout_s)
            return Error{"cannot connect to QMP at " + socket_path + ": " + std::strerror(err)};
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::optional<Expected<json>> QmpClient::buffered_message() {
    const std::size_t nl = buffer_.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    json message = json::parse(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(nl), nullptr,
                               /*allow_exceptions=*/false);
    const std::string line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    if (message.is_discarded() || !message.is_object()) return Expected<json>(Error{"QMP: not a JSON object: " + line});
    return Expected<json>(std::move(message));
}

Expected<json> QmpClient::read_message() {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        if (auto m = buffered_message()) return std::move(*m);
        const double left_s =
            timeout_s_ - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        pollfd p{socket_.get(), POLLIN, 0};
        const int r = left_s > 0 ? ::poll(&p, 1, static_cast<int>(left_s * 1000) + 1) : 0;
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return Error{"QMP: no answer within " + std::to_string(timeout_s_) + " s"};
        char chunk[65536];
        const ssize_t n = ::read(socket_.get(), chunk, sizeof chunk);
        if (n <= 0) return Error{"QMP: QEMU closed the connection"};
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

Expected<std::vector<json>> QmpClient::take_events() {
    bool closed = false;
    for (;;) {
        pollfd p{socket_.get(), POLLIN, 0};
        const int r = ::poll(&p, 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        char chunk[65536];
        const ssize_t n = ::read(socket_.get(), chunk, sizeof chunk);
        if (n <= 0) {
            closed = true;
            break;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    while (auto m = buffered_message()) {
        if (!*m) return Error{m->error()};
        if ((*m)->contains("event")) events_.push_back(std::move(**m));  // an answer here would be stray: dropped
    }
    // Events QEMU sent just before it closed the connection still count; the closing is the next call's error.
    if (closed && events_.empty()) return Error{"QMP: QEMU closed the connection"};
    return std::exchange(events_, {});
}

Expected<json> QmpClient::command(const std::string& name, const json& arguments) {
    json request = {{"execute", name}};
    if (!arguments.is_null()) request["arguments"] = arguments;
    const std::string text = request.dump() + "\n";
    for (std::size_t done = 0; done < text.size();) {
        // MSG_NOSIGNAL: a QEMU that went away is an error here, not a SIGPIPE that ends pagewalk.
        const ssize_t n = ::send(socket_.get(), text.data() + done, text.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error{"QMP: cannot send " + name + ": " + std::strerror(errno)};
        done += static_cast<std::size_t>(n);
    }
    for (;;) {
        auto message = read_message();
        if (!message) return message;
        if (message->contains("event")) {  // asynchronous (STOP, SHUTDOWN …): kept for take_events()
            events_.push_back(std::move(*message));
            continue;
        }
        if (const auto r = message->find("return"); r != message->end()) return *r;
        if (const auto e = message->find("error"); e != message->end())
            return Error{name + ": " + e->value("desc", e->dump())};
        return Error{"QMP: unexpected answer to " + name + ": " + message->dump()};
    }
}

Expected<std::string> QmpClient::hmp(const std::string& command_line) {
    auto r = command("human-monitor-command", json{{"command-line", command_line}});
    if (!r) return Error{r.error()};
    if (!r->is_string()) return Error{"QMP: human-monitor-command returned " + r->dump()};
    std::string out;
    for (const char c : r->get<std::string>())
        if (c != '\r') out += c;
    return out;
}

}  // namespace pagewalk::host::qemu
