/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest: 64-bit exception entry stubs for vectors 0-31 and the common path to C++.
 *
 * Each stub is 16 bytes apart (pw_isr_stubs + 16 * vector) so arch/idt.cpp fills the IDT with a loop. Vectors
 * that push no error code get a 0 pushed, so every frame looks the same (Intel SDM Vol. 3A §6.14.2, Table 6-1:
 * error codes for 8, 10-14, 17, 21, 29, 30). Frame layout = arch::ExceptionFrame. */
  .section .text
  .code64

.macro STUB vector
  .align 16
  .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
  .else
  pushq $0
  .endif
  pushq $\vector
  jmp pw_isr_common
.endm

  .align 16
  .globl pw_isr_stubs
pw_isr_stubs:
  .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  STUB \vector
  .endr

pw_isr_common:
  pushq %rax
  pushq %rbx
  pushq %rcx
  pushq %rdx
  pushq %rsi
  pushq %rdi
  pushq %rbp
  pushq %r8
  pushq %r9
  pushq %r10
  pushq %r11
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, %rdi
  cld
  call pw_exception64          /* returns only to resume the interrupted code */
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %r11
  popq %r10
  popq %r9
  popq %r8
  popq %rbp
  popq %rdi
  popq %rsi
  popq %rdx
  popq %rcx
  popq %rbx
  popq %rax
  addq $16, %rsp               /* vector, error code */
  iretq

  .section .note.GNU-stack, "", @progbits
