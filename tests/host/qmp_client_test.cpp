// SPDX-License-Identifier: MIT OR Apache-2.0
// The QMP client (qemu/qmp_client.hpp) against a scripted server on a unix socket: the handshake, events skipped,
// "return" values, QEMU's errors, a server that goes silent or away.
#include "qemu/qmp_client.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using pagewalk::host::qemu::QmpClient;

namespace {

/// Serves one connection: sends the greeting, then for each request line the next scripted answer (several lines
/// may go out for one request, e.g. an event first).
class ScriptedQmp {
public:
    explicit ScriptedQmp(std::vector<std::string> answers) : answers_(std::move(answers)) {
        path_ = "/tmp/pagewalk-qmp-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".sock";
        ::unlink(path_.c_str());
        listen_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(listen_, 1), 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedQmp() {
        thread_.join();
        ::close(listen_);
        ::unlink(path_.c_str());
    }
    const std::string& path() const { return path_; }
    const std::vector<std::string>& requests() const { return requests_; }

private:
    void serve() {
        const int c = ::accept(listen_, nullptr, nullptr);
        if (c < 0) return;
        send(c, R"({"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}})");
        std::string pending;
        for (const std::string& answer : answers_) {
            char buf[4096];
            while (pending.find('\n') == std::string::npos) {
                const ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0) {
                    ::close(c);
                    return;
                }
                pending.append(buf, static_cast<std::size_t>(n));
            }
            requests_.push_back(pending.substr(0, pending.find('\n')));
            pending.erase(0, pending.find('\n') + 1);
            if (!answer.empty()) send(c, answer);
        }
        ::close(c);  // the script ends: the server goes away
    }
    static void send(int c, const std::string& lines) {
        const std::string text = lines + "\n";
        EXPECT_EQ(::write(c, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    }

    static inline int counter_ = 0;
    std::string path_;
    int listen_ = -1;
    std::vector<std::string> answers_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

}  // namespace

TEST(QmpClient, HandshakeThenEventsAreSkippedAndReturnsComeBack) {
    ScriptedQmp server({R"({"return": {}})",
                        R"({"event": "STOP", "timestamp": {"seconds": 1}})"
                        "\n"
                        R"({"return": "CR0=80010011 CR3=00800000\r\nEFER=0\r\n"})",
                        R"({"return": {"qemu": {"major": 7, "minor": 2}}})"});
    auto client = QmpClient::connect(server.path(), 5);
    ASSERT_TRUE(client) << client.error();
    auto text = client->hmp("info registers");
    ASSERT_TRUE(text) << text.error();
    EXPECT_EQ(*text, "CR0=80010011 CR3=00800000\nEFER=0\n");  // "\r\n" → "\n"
    auto version = client->command("query-version");
    ASSERT_TRUE(version) << version.error();
    EXPECT_EQ((*version)["qemu"]["minor"], 2);
    ASSERT_EQ(server.requests().size(), 3u);
    EXPECT_EQ(server.requests()[0], R"({"execute":"qmp_capabilities"})");
    EXPECT_EQ(server.requests()[1],
              R"({"arguments":{"command-line":"info registers"},"execute":"human-monitor-command"})");
}

TEST(QmpClient, QemusErrorIsAnErrorNamingTheCommand) {
    ScriptedQmp server({R"({"return": {}})", R"({"error": {"class": "GenericError", "desc": "no such thing"}})"});
    auto client = QmpClient::connect(server.path(), 5);
    ASSERT_TRUE(client) << client.error();
    auto r = client->command("pmemsave", {{"val", 0}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "pmemsave: no such thing");
}

TEST(QmpClient, AServerThatGoesAwayOrSendsGarbageIsAnError) {
    {
        ScriptedQmp server({R"({"return": {}})"});  // then closes
        auto client = QmpClient::connect(server.path(), 5);
        ASSERT_TRUE(client) << client.error();
        auto r = client->command("query-version");
        ASSERT_FALSE(r);
        // Depending on timing the request itself fails (EPIPE) or the answer never comes (EOF): both are errors.
        EXPECT_TRUE(r.error().find("closed the connection") != std::string::npos ||
                    r.error().find("cannot send query-version") != std::string::npos)
            << r.error();
    }
    {
        ScriptedQmp server({R"({"return": {}})", "this is not JSON"});
        auto client = QmpClient::connect(server.path(), 5);
        ASSERT_TRUE(client) << client.error();
        auto r = client->command("query-version");
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().find("not a JSON object: this is not JSON"), std::string::npos) << r.error();
    }
}

TEST(QmpClient, NoSocketWithinTheTimeoutIsAnError) {
    auto client = QmpClient::connect("/tmp/pagewalk-qmp-test-nothing-here.sock", 0.05);
    ASSERT_FALSE(client);
    EXPECT_NE(client.error().find("cannot connect to QMP"), std::string::npos) << client.error();
}

TEST(QmpClient, ASilentServerTimesOut) {
    ScriptedQmp server({R"({"return": {}})", ""});  // no answer to the second request, then closes after it
    auto client = QmpClient::connect(server.path(), 5);
    ASSERT_TRUE(client) << client.error();
    client->set_timeout(0.1);
    auto r = client->command("query-version");
    ASSERT_FALSE(r);  // closed or timed out: either way no answer, never a hang
}

TEST(QmpClient, EventsAreKeptForTakeEventsInOrder) {
    // An event arrives before an answer (kept while the command waits), another one after the next answer, just
    // before the server closes the connection (QEMU exiting): both are taken, in order.
    const std::string stop_answer = R"({"event": "STOP"})"
                                    "\n"
                                    R"({"return": {}})";
    const std::string cont_answer = R"({"return": {}})"
                                    "\n"
                                    R"({"event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-reset"}})";
    ScriptedQmp server({R"({"return": {}})", stop_answer, cont_answer});
    auto client = QmpClient::connect(server.path(), 5);
    ASSERT_TRUE(client) << client.error();
    ASSERT_TRUE(client->command("stop"));
    auto cont = client->command("cont");
    ASSERT_TRUE(cont) << cont.error();
    std::vector<nlohmann::json> events;
    for (int i = 0; i < 200 && events.size() < 2; ++i) {
        auto more = client->take_events();
        ASSERT_TRUE(more) << more.error();
        events.insert(events.end(), more->begin(), more->end());
        if (events.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0]["event"], "STOP");
    EXPECT_EQ(events[1]["data"]["reason"], "guest-reset");
}
