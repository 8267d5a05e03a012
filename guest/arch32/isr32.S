/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest, 32-bit world: protected-mode exception entry stubs for vectors 0-31 and the common path to C++.
 *
 * Assembled with the 64-bit image (.code32 blocks); the -m32 C++ refers to pw_isr32_stubs and provides
 * pw_exception32 under these plain names (guest/CMakeLists.txt: PAGEWALK_GUEST32_ASM_SYMBOLS).
 *
 * Each stub is 16 bytes apart (pw_isr32_stubs + 16 * vector). The CPU pushed EFLAGS, CS, EIP (and first SS, ESP
 * when it came from CPL 3, switching to TSS.SS0:ESP0) and, for some vectors, an error code (Intel SDM Vol. 3A
 * §6.12.1, Figure 6-4; Table 6-1: error codes for 8, 10-14, 17, 21, 29, 30). Stubs without one push 0, so every
 * frame looks the same: es, ds, edi … eax (PUSHAD), vector, error code, eip, cs, eflags [, esp, ss] — the
 * layout of ExceptionFrame32 (arch32/exception32.cpp). */
#include "boot/boot_context.h"

  .section .text
  .code32

.macro STUB32 vector
  .align 16
  .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
  .else
  pushl $0
  .endif
  pushl $\vector
  jmp pw_isr32_common
.endm

  .align 16
  .globl pw_isr32_stubs
pw_isr32_stubs:
  .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  STUB32 \vector
  .endr

pw_isr32_common:
  pushal
  pushl %ds
  pushl %es
  movw $PW_SEL_KDATA, %ax      /* CPL 3 code ran with the ring-3 data segment in DS/ES */
  movw %ax, %ds
  movw %ax, %es
  cld
  pushl %esp                   /* ExceptionFrame32* */
  call pw_exception32          /* returns only to resume the interrupted code */
  addl $4, %esp
  popl %es
  popl %ds
  popal
  addl $8, %esp                /* vector, error code */
  iretl

  .section .note.GNU-stack, "", @progbits
