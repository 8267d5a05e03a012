// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/watchdog.hpp"

#include <csignal>

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
        if (cv_.wait_until(lock, deadline, [this] { return stop_; })) return;
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
