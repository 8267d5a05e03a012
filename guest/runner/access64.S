/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest runner: the accesses a scenario step makes, in the 64-bit world.
 *
 * Each takes RDI = &AccessArgs { uint64_t va; uint64_t value; } and is called through arch::try_call (CPL 0) or
 * arch::try_user (CPL 3, the pw_u_* copies in .user.text). The reads and writes come in the widths 1, 2, 4 and 8
 * (pw_k_read4 …): one MOV of that width at va, at any alignment — misaligned or across a page boundary it is still
 * one access (SDM Vol. 3A §4.7; CR0.AM is clear, so no #AC). A read stores what it read, zero-extended, in
 * args->value; a write stores the low bytes of args->value at va. The *_ac variants set EFLAGS.AC around the access with POPF (kvm_pvm fails on STAC/CLAC
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

/* A read or write of one width: NAME, then the instruction that moves the data (RAX = va, RDX = the value). */
.macro READ name:req, insn:vararg
\name:
  movq (%rdi), %rax
  \insn
  movq %rax, 8(%rdi)
  ret
.endm
.macro READ_AC name:req, insn:vararg
\name:
  movq (%rdi), %rax
  AC_ON
  \insn
  AC_OFF
  movq %rax, 8(%rdi)
  ret
.endm
.macro WRITE name:req, insn:vararg
\name:
  movq (%rdi), %rax
  movq 8(%rdi), %rdx
  \insn
  ret
.endm
.macro WRITE_AC name:req, insn:vararg
\name:
  movq (%rdi), %rax
  movq 8(%rdi), %rdx
  AC_ON
  \insn
  AC_OFF
  ret
.endm
/* Every width of one stub kind (movz/movl clear the upper bits of RAX: the value is zero-extended). */
.macro READS kind:req, prefix:req
  \kind \prefix\()1, movzbl (%rax), %eax
  \kind \prefix\()2, movzwl (%rax), %eax
  \kind \prefix\()4, movl (%rax), %eax
  \kind \prefix\()8, movq (%rax), %rax
.endm
.macro WRITES kind:req, prefix:req
  \kind \prefix\()1, movb %dl, (%rax)
  \kind \prefix\()2, movw %dx, (%rax)
  \kind \prefix\()4, movl %edx, (%rax)
  \kind \prefix\()8, movq %rdx, (%rax)
.endm

  .section .text
  .code64
  .globl pw_k_read1, pw_k_read2, pw_k_read4, pw_k_read8, pw_k_read_ac1, pw_k_read_ac2, pw_k_read_ac4, pw_k_read_ac8
  .globl pw_k_write1, pw_k_write2, pw_k_write4, pw_k_write8
  .globl pw_k_write_ac1, pw_k_write_ac2, pw_k_write_ac4, pw_k_write_ac8
  .globl pw_k_implicit, pw_k_implicit_ac, pw_k_fetch_ac
  READS READ, pw_k_read
  READS READ_AC, pw_k_read_ac
  WRITES WRITE, pw_k_write
  WRITES WRITE_AC, pw_k_write_ac
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
  .globl pw_u_read1, pw_u_read2, pw_u_read4, pw_u_read8, pw_u_write1, pw_u_write2, pw_u_write4, pw_u_write8
  .globl pw_u_implicit
  READS READ, pw_u_read
  WRITES WRITE, pw_u_write
pw_u_implicit:
  movw $7, %ax
  movw %ax, %es
  xorl %eax, %eax
  movw %ax, %es
  ret

  .section .note.GNU-stack, "", @progbits
