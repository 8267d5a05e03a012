// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: deliberate exceptions as values. try_call / try_user run a function and return what trapped.
//
// A scenario step "access X at CPL n" becomes try_call (CPL 0) or try_user (CPL 3) of a tiny access function;
// an exception is captured (vector, error code, CR2, RIP, CS/CPL, RFLAGS, RSP) and control comes back to the
// caller, which reports it and moves on. One recovery point at a time (no nesting); interrupts stay off.
#pragma once

#include <cstdint>

namespace pagewalk::guest::arch {

/// Register frame the exception stubs build (arch/isr.S), lowest address first; SDM Vol. 3A §6.14.2 for the
/// hardware part (error code … SS).
struct ExceptionFrame {
    std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    std::uint64_t vector, error_code;
    std::uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(ExceptionFrame) == 22 * 8);

/// What a guarded call ended with. `taken` false: the function returned normally.
struct Trap {
    bool taken = false;
    bool has_error_code = false;
    std::uint8_t vector = 0;
    std::uint8_t cpl = 0;
    std::uint16_t cs = 0;
    std::uint64_t error_code = 0;
    std::uint64_t cr2 = 0;
    std::uint64_t rip = 0;
    std::uint64_t rflags = 0;
    std::uint64_t rsp = 0;
};

using GuardedFn = void (*)(void*);

/// Runs fn(arg) at CPL 0; returns the exception it raised, if any.
Trap try_call(GuardedFn fn, void* arg);
/// Runs fn(arg) at CPL 3 on the user stack. fn and everything it touches must be user pages: define it with
/// PW_USER_CODE. `ac` sets EFLAGS.AC for the call (SMAP scenarios; set through IRETQ, not STAC).
Trap try_user(GuardedFn fn, void* arg, bool ac = false);

/// What becomes of an exception nobody guarded against (arch/exception.cpp, arch32/exception32.cpp). arch/ captures
/// it and returns to the guest's own address space; what is reported, and how the guest stops, is the business of
/// the layer above, which registers these hooks by defining `unexpected_trap_hooks` (report/unexpected_trap.cpp):
/// arch/ includes nothing of that layer.
struct UnexpectedTrapHooks {
    /// Sends the exception record (still in the address space the trap happened in).
    void (*record)(const Trap& t, std::uint8_t code_bits);
    /// Shows the trap, sends the final record (status panic) and exits; does not return.
    void (*panic)(const Trap& t);
    /// An exception while handling one: exits at once (status panic); does not return.
    void (*abort)();
};
extern const UnexpectedTrapHooks unexpected_trap_hooks;

/// True for vectors that push an error code (SDM Vol. 3A Table 6-1).
constexpr bool has_error_code(std::uint64_t vector) {
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 ||
           vector == 30;
}

}  // namespace pagewalk::guest::arch

/// Places a function in the .user section (U/S = 1 pages) so it may run at CPL 3. Keep it tiny: it must not
/// call anything outside .user (no memcpy, no reporter).
#define PW_USER_CODE __attribute__((section(".user.text"), noinline, used))
/// Places data in the .user section.
#define PW_USER_DATA __attribute__((section(".user.data")))
