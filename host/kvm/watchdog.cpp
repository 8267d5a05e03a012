// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/watchdog.hpp"

#include <algorithm>
#include <csignal>

#include "util/interrupt.hpp"

namespace pagewalk::host::kvm {
namespace {

void ignore_signal(int) {}

void install_kick_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa {};
        sa.sa_handler = ignore_signal;  // no SA_RESTART: KVM_RUN returns EINTR
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, nullptr);
    });
}

}  // namespace

Watchdog::Watchdog(Vcpu& vcpu, double seconds) : vcpu_(vcpu), target_(pthread_self()) {
    install_kick_handler();
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
    thread_ = std::thread([this, deadline] {
        std::unique_lock lock(mutex_);
        // Wakes every 20 ms to notice a SIGINT/SIGTERM/SIGHUP (the handler only sets a flag).
        for (;;) {
            const auto slice = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
            if (cv_.wait_until(lock, slice, [this] { return stop_; })) return;
            if (interrupt::received() != 0) {
                interrupted_ = true;
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
        }
        fired_ = true;
        vcpu_.request_immediate_exit();
        // Kick until the run loop stops us: one signal could land just before KVM_RUN is entered.
        while (!stop_) {
            pthread_kill(target_, SIGUSR1);
            cv_.wait_for(lock, std::chrono::milliseconds(5), [this] { return stop_; });
        }
    });
}

Watchdog::~Watchdog() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

}  // namespace pagewalk::host::kvm
