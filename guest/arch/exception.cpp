// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the C++ side of every exception (vectors 0-31) in 64-bit mode.
//
// Inside try_call / try_user: capture the trap and resume at the recovery point (arch/trap.S). Outside: an
// unexpected exception — captured here, reported and ended through the hooks the layer above registers
// (arch::unexpected_trap_hooks, report/unexpected_trap.cpp).
#include "arch/cpu.hpp"
#include "arch/trap.hpp"

extern "C" {
extern char pw_boot_pml4[], pw_boot_pml5[];  // boot/page_tables.S
extern std::uint32_t pw_recovery_armed;
extern const char pw_user_return[];
[[noreturn]] void pw_recover(std::uint64_t result);
std::uint64_t pw_try_call(pagewalk::guest::arch::GuardedFn fn, void* arg);
std::uint64_t pw_try_user(pagewalk::guest::arch::GuardedFn fn, void* arg, std::uint64_t rflags);
void pw_exception64(pagewalk::guest::arch::ExceptionFrame* f);
}

namespace pagewalk::guest::arch {
namespace {

Trap g_last_trap;
bool g_in_unexpected = false;

Trap capture(const ExceptionFrame& f) {
    Trap t;
    t.taken = true;
    t.vector = static_cast<std::uint8_t>(f.vector);
    t.has_error_code = has_error_code(f.vector);
    t.error_code = f.error_code;
    t.cr2 = read_cr2();
    t.rip = f.rip;
    t.cs = static_cast<std::uint16_t>(f.cs);
    t.cpl = static_cast<std::uint8_t>(f.cs & 3);
    t.rflags = f.rflags;
    t.rsp = f.rsp;
    return t;
}

}  // namespace

Trap try_call(GuardedFn fn, void* arg) {
    return pw_try_call(fn, arg) != 0 ? g_last_trap : Trap{};
}

Trap try_user(GuardedFn fn, void* arg, bool ac) {
    const std::uint64_t rflags = 0x2 | (ac ? eflags_ac : 0);
    return pw_try_user(fn, arg, rflags) != 0 ? g_last_trap : Trap{};
}

}  // namespace pagewalk::guest::arch

using namespace pagewalk;

extern "C" void pw_exception64(guest::arch::ExceptionFrame* f) {
    if (pw_recovery_armed != 0) {
        const bool user_return =
            f->vector == 6 && (f->cs & 3) == 3 && f->rip == reinterpret_cast<std::uint64_t>(pw_user_return);
        if (user_return) pw_recover(0);
        guest::arch::g_last_trap = guest::arch::capture(*f);
        pw_recover(1);
    }
    const guest::arch::UnexpectedTrapHooks& report = guest::arch::unexpected_trap_hooks;
    if (guest::arch::g_in_unexpected) {  // an exception while handling one
        report.abort();
        guest::arch::halt_forever();
    }
    guest::arch::g_in_unexpected = true;
    const guest::arch::Trap t = guest::arch::capture(*f);
    report.record(t, 64);
    // The guest's own identity map again (a scenario's tables do not map the screen), in the current paging depth.
    const bool la57 = (guest::arch::read_cr4() & cr4::la57) != 0;
    guest::arch::write_cr3(reinterpret_cast<std::uintptr_t>(la57 ? pw_boot_pml5 : pw_boot_pml4));
    report.panic(t);
    guest::arch::halt_forever();
}
