/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest: re-enter IA-32e mode with new CR3/CR4 — the only way to change CR4.LA57 (4-level ↔ 5-level).
 *
 * void pw_relaunch_long_mode(uint64_t cr3, uint64_t cr4)   (System V: RDI = cr3, RSI = cr4)
 *
 * Intel SDM Vol. 3A §9.8.5.4 (leaving IA-32e mode) then §9.8.5 (entering it): far return to a 32-bit code
 * segment (compatibility mode), clear CR0.PG (the CPU clears EFER.LMA), load CR4 (LA57 may change only now; PAE
 * must stay set) and CR3, set CR0.PG (EFER.LME is still set, so IA-32e mode comes back), far jump to 64-bit code.
 * Preconditions: this code, the stack, GDT, IDT and TSS are identity-mapped below 4 GiB by both the old and the
 * new tables; CR4.PCIDE = 0; cr3 < 4 GiB. Interrupts are off throughout. */
#include "boot/boot_context.h"

  .section .text
  .code64
  .globl pw_relaunch_long_mode
pw_relaunch_long_mode:
  pushq %rbx
  pushq %rbp
  movq %rdi, %rbx
  movq %rsi, %rbp
  pushq $PW_SEL_KCODE32
  pushq $1f
  lretq                        /* → compatibility mode */
  .code32
1:
  movl %cr0, %eax
  andl $0x7fffffff, %eax       /* CR0.PG = 0: IA-32e mode off */
  movl %eax, %cr0
  movl %ebp, %cr4
  movl %ebx, %cr3
  orl $0x80000000, %eax        /* CR0.PG = 1: IA-32e mode on again (EFER.LME = 1) */
  movl %eax, %cr0
  ljmp $PW_SEL_KCODE64, $2f
  .code64
2:
  popq %rbp
  popq %rbx
  ret

  .section .note.GNU-stack, "", @progbits
