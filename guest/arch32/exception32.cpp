// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, 32-bit world: the C++ side of every exception (vectors 0-31) in protected mode, and this world's
// arch::try_call / arch::try_user (arch/trap.hpp).
//
// Inside try_call / try_user: capture the trap and resume at the recovery point (arch32/trap32.S). Outside: an
// unexpected exception — captured here, reported and ended through the hooks the layer above registers
// (arch::unexpected_trap_hooks, report/unexpected_trap.cpp).
#include "arch/cpu.hpp"
#include "arch/trap.hpp"

namespace pagewalk::guest::arch32 {

/// The frame arch32/isr32.S builds, lowest address first (Intel SDM Vol. 3A §6.12.1, Figure 6-4, for the part the
/// CPU pushes: error code … EFLAGS, then ESP and SS only when the exception interrupted CPL 3).
struct ExceptionFrame32 {
    std::uint32_t es, ds;
    std::uint32_t edi, esi, ebp, esp_pushad, ebx, edx, ecx, eax;  // PUSHAD
    std::uint32_t vector, error_code;
    std::uint32_t eip, cs, eflags;
    std::uint32_t esp, ss;  // from CPL 3 only
};
static_assert(sizeof(ExceptionFrame32) == 17 * 4);

}  // namespace pagewalk::guest::arch32

extern "C" {
extern std::uint32_t pw_recovery32_armed;
extern const char pw_user_return32[];
[[noreturn]] void pw_recover32(std::uint32_t result);
std::uint32_t pw_try_call32(pagewalk::guest::arch::GuardedFn fn, void* arg);
std::uint32_t pw_try_user32(pagewalk::guest::arch::GuardedFn fn, void* arg, std::uint32_t eflags);
void pw_exception32(pagewalk::guest::arch32::ExceptionFrame32* f);
}

namespace pagewalk::guest::arch {
namespace {

Trap g_last_trap;
bool g_in_unexpected = false;

Trap capture(const arch32::ExceptionFrame32& f) {
    Trap t;
    t.taken = true;
    t.vector = static_cast<std::uint8_t>(f.vector);
    t.has_error_code = has_error_code(f.vector);
    t.error_code = f.error_code;
    t.cr2 = read_cr2();
    t.rip = f.eip;
    t.cs = static_cast<std::uint16_t>(f.cs);
    t.cpl = static_cast<std::uint8_t>(f.cs & 3);
    t.rflags = f.eflags;
    // Without a privilege change the CPU pushed no ESP: the interrupted stack ends where the frame does.
    t.rsp = t.cpl == 3 ? f.esp : static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(&f.esp));
    return t;
}

}  // namespace

Trap try_call(GuardedFn fn, void* arg) {
    return pw_try_call32(fn, arg) != 0 ? g_last_trap : Trap{};
}

Trap try_user(GuardedFn fn, void* arg, bool ac) {
    const std::uint32_t eflags = 0x2 | (ac ? static_cast<std::uint32_t>(eflags_ac) : 0u);
    return pw_try_user32(fn, arg, eflags) != 0 ? g_last_trap : Trap{};
}

}  // namespace pagewalk::guest::arch

using namespace pagewalk;

extern "C" void pw_exception32(guest::arch32::ExceptionFrame32* f) {
    if (pw_recovery32_armed != 0) {
        const bool user_return =
            f->vector == 6 && (f->cs & 3) == 3 &&
            f->eip == static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(pw_user_return32));
        if (user_return) pw_recover32(0);
        guest::arch::g_last_trap = guest::arch::capture(*f);
        pw_recover32(1);
    }
    const guest::arch::UnexpectedTrapHooks& report = guest::arch::unexpected_trap_hooks;
    if (guest::arch::g_in_unexpected) {  // an exception while handling one
        report.abort();
        guest::arch::halt_forever();
    }
    guest::arch::g_in_unexpected = true;
    const guest::arch::Trap t = guest::arch::capture(*f);
    report.record(t, 32);
    // Paging off (this code is identity-mapped): a scenario's tables do not map the screen.
    guest::arch::write_cr0(guest::arch::read_cr0() & ~guest::arch::ureg{0x8000'0000u});
    report.panic(t);
    guest::arch::halt_forever();
}
