/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest: the setjmp-like recovery point behind try_call / try_user (arch/trap.hpp).
 *
 * pw_try_call(fn, arg)            → 0 if fn(arg) returned, 1 if an exception was taken (arch::last_trap)
 * pw_try_user(fn, arg, rflags)    → runs fn(arg) at CPL 3 via IRETQ (SDM Vol. 3A §6.14.3 / Vol. 2A "IRET");
 *                                   fn returns through pw_user_trampoline's UD2 (kvm_pvm: INT n / SYSCALL do not
 *                                   reach ring 0), which the handler recognises as a normal return (0).
 * pw_recover(result)              → called by the exception handler: restores the saved context and makes the
 *                                   pw_try_* call return `result`. The stack switches back from TSS.RSP0 if the
 *                                   exception came from CPL 3. */
#include "boot/boot_context.h"

  .section .text
  .code64

.macro SAVE
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  pushfq
  movq %rsp, pw_recovery_rsp(%rip)
.endm

  .globl pw_try_call
pw_try_call:
  SAVE
  movl $1, pw_recovery_armed(%rip)
  movq %rdi, %rax
  movq %rsi, %rdi
  call *%rax
  xorl %eax, %eax
  jmp 1f

  .globl pw_try_user
pw_try_user:
  SAVE
  movl $1, pw_recovery_armed(%rip)
  pushq $(PW_SEL_UDATA | 3)    /* SS */
  pushq $pw_user_stack_top     /* RSP */
  pushq %rdx                   /* RFLAGS for CPL 3 (IF = 0, IOPL = 0, AC as asked) */
  pushq $(PW_SEL_UCODE64 | 3)  /* CS */
  pushq $pw_user_trampoline    /* RIP */
  iretq

  .globl pw_recover
pw_recover:
  movq %rdi, %rax
  movq pw_recovery_rsp(%rip), %rsp
  movw $PW_SEL_KDATA, %dx
  movw %dx, %ss                /* an exception from CPL 3 left SS = NULL */
1:
  movl $0, pw_recovery_armed(%rip)
  popfq
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret

  .section .user.text, "ax"
  .globl pw_user_trampoline, pw_user_return
pw_user_trampoline:
  movq %rdi, %rax
  movq %rsi, %rdi
  andq $-16, %rsp
  call *%rax
pw_user_return:
  ud2

  .section .user.data, "aw"
  .align 16
pw_user_stack:
  .skip 16384                  /* the scenario runner's mapper runs here at CPL 3 (runner/runner64.cpp) */
  .globl pw_user_stack_top
pw_user_stack_top:

  .section .data
  .align 8
  .globl pw_recovery_rsp, pw_recovery_armed
pw_recovery_rsp:
  .quad 0
pw_recovery_armed:
  .long 0

  .section .note.GNU-stack, "", @progbits
