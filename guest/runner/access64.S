/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest runner: the accesses a scenario step makes, in the 64-bit world.
 *
 * Each takes RDI = &AccessArgs { uint64_t va; uint64_t value; } and is called through arch::try_call (CPL 0) or
 * arch::try_user (CPL 3, the pw_u_* copies in .user.text). A read stores what it read in args->value; a write
 * stores args->value at va. The *_ac variants set EFLAGS.AC around the access with POPF (kvm_pvm fails on STAC/CLAC
 * at CPL 0); an exception inside leaves it to the recovery point, which restores the caller's RFLAGS.
 *
 * Implicit supervisor access (Intel SDM Vol. 3A §4.6.1, §3.4.3): the runner points an LDT at va (LLDT at CPL 0)
 * and the access loads ES with selector 0x7 (LDT index 0, TI = 1, RPL 3); the CPU reads the 8-byte descriptor at
 * va as a supervisor-mode access whatever the CPL. The bytes there are no valid descriptor, so a read that does not
 * page-fault ends in #GP(0x4) — the paging part of the access completed. ES is reset to null afterwards. */

#define EFLAGS_AC 0x40000

.macro AC_ON
  pushfq
  orq $EFLAGS_AC, (%rsp)
  popfq
.endm
.macro AC_OFF
  pushfq
  andq $~EFLAGS_AC, (%rsp)
  popfq
.endm

  .section .text
  .code64
  .globl pw_k_read, pw_k_read_ac, pw_k_write, pw_k_write_ac, pw_k_implicit, pw_k_implicit_ac, pw_k_fetch_ac
pw_k_read:
  movq (%rdi), %rax
  movq (%rax), %rax
  movq %rax, 8(%rdi)
  ret
pw_k_read_ac:
  AC_ON
  movq (%rdi), %rax
  movq (%rax), %rax
  AC_OFF
  movq %rax, 8(%rdi)
  ret
pw_k_write:
  movq (%rdi), %rax
  movq 8(%rdi), %rdx
  movq %rdx, (%rax)
  ret
pw_k_write_ac:
  movq (%rdi), %rax
  movq 8(%rdi), %rdx
  AC_ON
  movq %rdx, (%rax)
  AC_OFF
  ret
pw_k_implicit:
  movw $7, %ax
  movw %ax, %es
  xorl %eax, %eax
  movw %ax, %es
  ret
pw_k_implicit_ac:
  AC_ON
  movw $7, %ax
  movw %ax, %es
  AC_OFF
  xorl %eax, %eax
  movw %ax, %es
  ret
/* A supervisor fetch with EFLAGS.AC = 1 (SMEP applies whatever AC says, SDM Vol. 3A §4.6.1): calls args->va, where
 * the tags put a RET. */
pw_k_fetch_ac:
  movq (%rdi), %rax
  AC_ON
  call *%rax
  AC_OFF
  ret

/* CPL 3 copies: they must live in the user section (U/S = 1 pages). */
  .section .user.text, "ax"
  .globl pw_u_read, pw_u_write, pw_u_implicit
pw_u_read:
  movq (%rdi), %rax
  movq (%rax), %rax
  movq %rax, 8(%rdi)
  ret
pw_u_write:
  movq (%rdi), %rax
  movq 8(%rdi), %rdx
  movq %rdx, (%rax)
  ret
pw_u_implicit:
  movw $7, %ax
  movw %ax, %es
  xorl %eax, %eax
  movw %ax, %es
  ret

  .section .note.GNU-stack, "", @progbits
