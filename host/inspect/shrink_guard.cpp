// SPDX-License-Identifier: MIT OR Apache-2.0
#include "inspect/shrink_guard.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <mutex>

namespace pagewalk::host::inspect {

std::atomic<bool> dump_shrunk{false};

namespace {

struct Slot {
    std::atomic<std::uintptr_t> base{0};
    std::atomic<std::size_t> size{0};
};
std::array<Slot, 64> slots;
std::mutex slots_lock;

void on_sigbus(int sig, siginfo_t* info, void*) {
    const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
    for (const Slot& s : slots) {
        const std::uintptr_t base = s.base.load();
        if (base == 0 || addr < base || addr - base >= s.size.load()) continue;
        const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
        void* at = reinterpret_cast<void*>(addr & ~(page - 1));
        if (::mmap(at, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) break;
        dump_shrunk.store(true);
        return;  // the read is retried on the anonymous page; the reader then sees the flag
    }
    // Not ours: the default action — a fault recurs when the handler returns, a sent signal is raised again.
    ::signal(sig, SIG_DFL);
    if (info->si_code <= 0) ::raise(sig);
}

void install_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa {};
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, nullptr);
    });
}

}  // namespace

bool guard_mapping(const std::uint8_t* base, std::size_t size) {
    install_once();
    std::lock_guard g(slots_lock);
    for (Slot& s : slots) {
        if (s.base.load() != 0) continue;
        s.size.store(size);
        s.base.store(reinterpret_cast<std::uintptr_t>(base));
        return true;
    }
    return false;
}

void unguard_mapping(const std::uint8_t* base) {
    std::lock_guard g(slots_lock);
    for (Slot& s : slots)
        if (s.base.load() == reinterpret_cast<std::uintptr_t>(base)) s.base.store(0);
}

}  // namespace pagewalk::host::inspect
