/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest runner: the accesses a scenario step makes, in the 32-bit world (32-bit and PAE paging).
 * The 64-bit twin is runner/access64.S; assembled with the 64-bit image (.code32), cdecl.
 *
 * Each takes 4(%esp) = &AccessArgs { uint64_t va; uint64_t value; } (va < 4 GiB) and is called through
 * arch::try_call (CPL 0) or arch::try_user (CPL 3: the pw_u32_* copies in .user.text). An 8-byte access is two
 * 4-byte accesses to the same 8-aligned qword, low dword first: a fault is taken on the first with CR2 = va, and
 * both translate through the same page. A read stores what it read in args->value; a write stores args->value.
 * The *_ac variants set EFLAGS.AC around the access with POPF.
 *
 * Implicit supervisor access (Intel SDM Vol. 3A §4.6.1, §3.4.3): the runner points the LDT (8-byte descriptor in
 * GDT slot 0x50) at va; loading ES with selector 0x7 (LDT index 0, RPL 3) reads the descriptor at va as a
 * supervisor-mode access whatever the CPL. The bytes there are no valid descriptor, so a read that does not
 * page-fault ends in #GP(0x4). In protected mode ES must stay usable (string instructions), so it is reloaded
 * with the data segment of the current privilege level afterwards. */
#include "boot/boot_context.h"

#define EFLAGS_AC 0x40000

.macro AC_ON
  pushfl
  orl $EFLAGS_AC, (%esp)
  popfl
.endm
.macro AC_OFF
  pushfl
  andl $~EFLAGS_AC, (%esp)
  popfl
.endm

  .section .text
  .code32
  .globl pw_k32_read, pw_k32_read_ac, pw_k32_write, pw_k32_write_ac, pw_k32_implicit, pw_k32_implicit_ac
  .globl pw_k32_fetch_ac
/* A supervisor fetch with EFLAGS.AC = 1 (SMEP applies whatever AC says, SDM Vol. 3A §4.6.1): calls args->va, where
 * the tags put a RET. */
pw_k32_fetch_ac:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  AC_ON
  call *%eax
  AC_OFF
  ret
pw_k32_read:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  movl (%eax), %edx
  movl 4(%eax), %eax
  movl %edx, 8(%ecx)
  movl %eax, 12(%ecx)
  ret
pw_k32_read_ac:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  AC_ON
  movl (%eax), %edx
  movl 4(%eax), %eax
  AC_OFF
  movl %edx, 8(%ecx)
  movl %eax, 12(%ecx)
  ret
pw_k32_write:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  movl 8(%ecx), %edx
  movl %edx, (%eax)
  movl 12(%ecx), %edx
  movl %edx, 4(%eax)
  ret
pw_k32_write_ac:
  pushl %ebx
  movl 8(%esp), %ecx
  movl (%ecx), %eax
  movl 8(%ecx), %edx
  movl 12(%ecx), %ebx
  AC_ON
  movl %edx, (%eax)
  movl %ebx, 4(%eax)
  AC_OFF
  popl %ebx
  ret
pw_k32_implicit:
  movw $7, %ax
  movw %ax, %es
  movw $PW_SEL_KDATA, %ax
  movw %ax, %es
  ret
pw_k32_implicit_ac:
  AC_ON
  movw $7, %ax
  movw %ax, %es
  AC_OFF
  movw $PW_SEL_KDATA, %ax
  movw %ax, %es
  ret

/* CPL 3 copies: they must live in the user section (U/S = 1 pages). */
  .section .user.text, "ax"
  .code32
  .globl pw_u32_read, pw_u32_write, pw_u32_implicit
pw_u32_read:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  movl (%eax), %edx
  movl 4(%eax), %eax
  movl %edx, 8(%ecx)
  movl %eax, 12(%ecx)
  ret
pw_u32_write:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  movl 8(%ecx), %edx
  movl %edx, (%eax)
  movl 12(%ecx), %edx
  movl %edx, 4(%eax)
  ret
pw_u32_implicit:
  movw $7, %ax
  movw %ax, %es
  movw $(PW_SEL_UDATA | 3), %ax
  movw %ax, %es
  ret

  .section .note.GNU-stack, "", @progbits
