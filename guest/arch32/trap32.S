/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest, 32-bit world: the setjmp-like recovery point behind arch::try_call / arch::try_user in protected
 * mode (arch/trap.hpp; the 64-bit twin is arch/trap.S). cdecl, assembled with the 64-bit image (.code32).
 *
 * pw_try_call32(fn, arg)          → 0 if fn(arg) returned, 1 if an exception was taken
 * pw_try_user32(fn, arg, eflags)  → runs fn(arg) at CPL 3: IRET to CS 0x20|3, SS 0x28|3 on the user stack with
 *                                   the given EFLAGS (AC set there, not with STAC; Intel SDM Vol. 2A "IRET",
 *                                   Vol. 3A §6.12.1). fn returns into pw_user_return32's UD2 (kvm_pvm: INT n does
 *                                   not reach ring 0), which the handler treats as a normal return (0).
 * pw_recover32(result)            → called by the exception handler: back to the saved stack and segments, and the
 *                                   pw_try_*32 call returns `result`. An exception from CPL 3 arrived on TSS.ESP0. */
#include "boot/boot_context.h"

  .section .text
  .code32

.macro SAVE32
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  pushfl
  movl %esp, pw_recovery32_esp /* 20 bytes saved: the arguments start at 24(%esp) */
.endm

  .globl pw_try_call32
pw_try_call32:
  SAVE32
  movl $1, pw_recovery32_armed
  movl 24(%esp), %eax          /* fn */
  pushl 28(%esp)               /* arg */
  call *%eax
  addl $4, %esp
  xorl %eax, %eax
  jmp 1f

  .globl pw_try_user32
pw_try_user32:
  SAVE32
  movl $1, pw_recovery32_armed
  movl 24(%esp), %eax          /* fn, for the trampoline */
  movl 28(%esp), %edx          /* arg */
  movl 32(%esp), %ecx          /* EFLAGS for CPL 3 (IF = 0, IOPL = 0, AC as asked) */
  pushl $(PW_SEL_UDATA | 3)    /* SS */
  pushl $pw_user_stack_top     /* ESP (arch/trap.S, .user.data) */
  pushl %ecx                   /* EFLAGS */
  pushl $(PW_SEL_UCODE32 | 3)  /* CS */
  pushl $pw_user_trampoline32  /* EIP */
  iretl                        /* DS/ES (DPL 0) become null at CPL 3: the trampoline reloads them */

  .globl pw_recover32
pw_recover32:
  movl 4(%esp), %eax
  movl pw_recovery32_esp, %esp
  movw $PW_SEL_KDATA, %dx
  movw %dx, %ss
  movw %dx, %ds
  movw %dx, %es
  movw %dx, %fs
  movw %dx, %gs
1:
  movl $0, pw_recovery32_armed
  popfl
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  ret

  .section .user.text, "ax"
  .code32
  .globl pw_user_trampoline32, pw_user_return32
pw_user_trampoline32:
  movw $(PW_SEL_UDATA | 3), %cx
  movw %cx, %ds
  movw %cx, %es
  pushl %edx
  call *%eax
pw_user_return32:
  ud2

  .section .data
  .align 4
  .globl pw_recovery32_esp, pw_recovery32_armed
pw_recovery32_esp:
  .long 0
pw_recovery32_armed:
  .long 0

  .section .note.GNU-stack, "", @progbits
