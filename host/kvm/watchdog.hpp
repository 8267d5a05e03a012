// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: stops a vCPU that runs too long (a hung guest must never hang the host).
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kvm/kvm.hpp"

namespace pagewalk::host::kvm {

/// While alive, a timer thread waits `seconds`; on expiry it sets kvm_run.immediate_exit and signals the vCPU
/// thread (SIGUSR1, whose handler does nothing) until KVM_RUN returns EINTR. `fired()` then tells the run loop.
/// A SIGINT/SIGTERM/SIGHUP to pagewalk fires it early (`interrupted()`).
class Watchdog {
public:
    Watchdog(Vcpu& vcpu, double seconds);
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    ~Watchdog();
    [[nodiscard]] bool fired() const { return fired_.load(); }
    /// It fired because pagewalk received SIGINT, SIGTERM or SIGHUP, not at the deadline.
    [[nodiscard]] bool interrupted() const { return interrupted_.load(); }

private:
    Vcpu& vcpu_;
    pthread_t target_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::atomic<bool> fired_{false};
    std::atomic<bool> interrupted_{false};
    std::thread thread_;
};

}  // namespace pagewalk::host::kvm
