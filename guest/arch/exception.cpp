// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the C++ side of every exception (vectors 0-31) in 64-bit mode.
//
// Inside try_call / try_user: capture the trap and resume at the recovery point (arch/trap.S). Outside: an
// unexpected exception — report it (expected = 0), send the final record with status panic, and exit.
#include <pagewalk/harness/ports.hpp>

#include "arch/cpu.hpp"
#include "arch/trap.hpp"
#include "report/reporter.hpp"
#include "report/screen.hpp"
#include "report/trap_record.hpp"

extern "C" {
extern char pw_boot_pml4[], pw_boot_pml5[];  // boot/page_tables.S
extern std::uint32_t pw_recovery_armed;
extern pagewalk::guest::BootContext pw_boot_context;
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
    guest::Reporter r(&pw_boot_context.reporter);
    if (guest::arch::g_in_unexpected) r.exit(harness::ExitStatus::panic);  // fault while reporting a fault
    guest::arch::g_in_unexpected = true;
    const guest::arch::Trap t = guest::arch::capture(*f);
    guest::send_trap(r, t, 64, 0, false);
    // The guest's own identity map again (a scenario's tables do not map the screen), in the current paging depth.
    const bool la57 = (guest::arch::read_cr4() & cr4::la57) != 0;
    guest::arch::write_cr3(reinterpret_cast<std::uintptr_t>(la57 ? pw_boot_pml5 : pw_boot_pml4));
    guest::panic_on_screen(r, t.vector, t.error_code, t.rip, t.cr2);
    r.final(0, harness::ExitStatus::panic);
    r.exit(harness::ExitStatus::panic);
}
