/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest runner: the accesses a scenario step makes, in the 32-bit world (32-bit and PAE paging).
 * The 64-bit twin is runner/access64.S; assembled with the 64-bit image (.code32), cdecl.
 *
 * Each takes 4(%esp) = &AccessArgs { uint64_t va; uint64_t value; } (va < 4 GiB) and is called through
 * arch::try_call (CPL 0) or arch::try_user (CPL 3: the pw_u32_* copies in .user.text). The reads and writes come in
 * the widths 1, 2, 4 and 8 (pw_k32_read4 …), each one instruction at any alignment, so that an access across a page
 * boundary is one access as in the 64-bit world (SDM Vol. 3A §4.7): 8 bytes move through MMX register MM0 (MOVQ;
 * the runner keeps CR0.EM and CR0.TS clear and executes EMMS after the access). A read stores what it read,
 * zero-extended, in args->value; a write stores the low bytes of args->value. The *_ac variants set EFLAGS.AC
 * around the access with POPF.
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

/* One access stub: ECX = args, EAX = va; BEFORE and AFTER name macros that move the value in and out, INSN the
 * access itself (with EFLAGS.AC set around it when AC is 1). */
.macro STUB name:req, ac:req, before:req, after:req, insn:vararg
\name:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  \before
  .if \ac
  AC_ON
  .endif
  \insn
  .if \ac
  AC_OFF
  .endif
  \after
  ret
.endm
.macro NOTHING
.endm
.macro VALUE_TO_EDX              /* the value to write, low dword */
  movl 8(%ecx), %edx
.endm
.macro VALUE_TO_MM0              /* the value to write, 8 bytes */
  movq 8(%ecx), %mm0
.endm
.macro EAX_TO_VALUE              /* what was read, zero-extended */
  movl %eax, 8(%ecx)
  movl $0, 12(%ecx)
.endm
.macro MM0_TO_VALUE
  movq %mm0, 8(%ecx)
  emms
.endm
.macro DONE_MM0
  emms
.endm
.macro READS prefix:req, ac:req
  STUB \prefix\()1, \ac, NOTHING, EAX_TO_VALUE, movzbl (%eax), %eax
  STUB \prefix\()2, \ac, NOTHING, EAX_TO_VALUE, movzwl (%eax), %eax
  STUB \prefix\()4, \ac, NOTHING, EAX_TO_VALUE, movl (%eax), %eax
  STUB \prefix\()8, \ac, NOTHING, MM0_TO_VALUE, movq (%eax), %mm0
.endm
.macro WRITES prefix:req, ac:req
  STUB \prefix\()1, \ac, VALUE_TO_EDX, NOTHING, movb %dl, (%eax)
  STUB \prefix\()2, \ac, VALUE_TO_EDX, NOTHING, movw %dx, (%eax)
  STUB \prefix\()4, \ac, VALUE_TO_EDX, NOTHING, movl %edx, (%eax)
  STUB \prefix\()8, \ac, VALUE_TO_MM0, DONE_MM0, movq %mm0, (%eax)
.endm

  .section .text
  .code32
  .globl pw_k32_read1, pw_k32_read2, pw_k32_read4, pw_k32_read8
  .globl pw_k32_read_ac1, pw_k32_read_ac2, pw_k32_read_ac4, pw_k32_read_ac8
  .globl pw_k32_write1, pw_k32_write2, pw_k32_write4, pw_k32_write8
  .globl pw_k32_write_ac1, pw_k32_write_ac2, pw_k32_write_ac4, pw_k32_write_ac8
  .globl pw_k32_implicit, pw_k32_implicit_ac, pw_k32_fetch_ac
/* A supervisor fetch with EFLAGS.AC = 1 (SMEP applies whatever AC says, SDM Vol. 3A §4.6.1): calls args->va, where
 * the tags put a RET. */
pw_k32_fetch_ac:
  movl 4(%esp), %ecx
  movl (%ecx), %eax
  AC_ON
  call *%eax
  AC_OFF
  ret
  READS pw_k32_read, 0
  READS pw_k32_read_ac, 1
  WRITES pw_k32_write, 0
  WRITES pw_k32_write_ac, 1
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
  .globl pw_u32_read1, pw_u32_read2, pw_u32_read4, pw_u32_read8
  .globl pw_u32_write1, pw_u32_write2, pw_u32_write4, pw_u32_write8, pw_u32_implicit
  READS pw_u32_read, 0
  WRITES pw_u32_write, 0
pw_u32_implicit:
  movw $7, %ax
  movw %ax, %es
  movw $(PW_SEL_UDATA | 3), %ax
  movw %ax, %es
  ret

  .section .note.GNU-stack, "", @progbits
