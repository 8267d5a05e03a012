// SPDX-License-Identifier: MIT OR Apache-2.0
#include "util/interrupt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace pagewalk::host::interrupt {
namespace {

std::atomic<int> signal_seen{0};
int pipe_fds[2] = {-1, -1};

void on_signal(int sig) {
    int expected = 0;
    if (!signal_seen.compare_exchange_strong(expected, sig)) _exit(128 + expected);  // the second signal
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(pipe_fds[1], &byte, 1);  // never drained: stays readable
}

}  // namespace

void install() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (const int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
    });
}

int received() {
    return signal_seen.load();
}

int wake_fd() {
    return pipe_fds[0];
}

int exit_status() {
    return 128 + received();
}

}  // namespace pagewalk::host::interrupt
