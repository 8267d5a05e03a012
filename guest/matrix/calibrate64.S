/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest, access matrix calibration (64-bit world): the backend's bare rates, with nothing of the harness in
 * the loop — the physical limit the matrix's checks per second are compared with.
 *
 *   pw_cal_hits(va, n)          n reads of va (mapped: TLB hits after the first)
 *   pw_cal_faults(va, n)        n reads of va that page-fault; the #PF gate points at pw_cal_pf_handler meanwhile,
 *                               which drops the error code and resumes after the 3-byte MOV (fault → handler → IRETQ)
 *   pw_cal_invlpg(pte, value, va, n)   n times: write the PTE, INVLPG va
 * SysV: RDI, RSI, RDX, RCX. */

  .section .text
  .code64
  .globl pw_cal_hits, pw_cal_faults, pw_cal_invlpg, pw_cal_pf_handler

pw_cal_hits:
1:
  movq (%rdi), %rax
  decq %rsi
  jnz 1b
  ret

pw_cal_faults:
1:
  movq (%rdi), %rax          /* 3 bytes: 48 8b 07 */
  decq %rsi
  jnz 1b
  ret

pw_cal_pf_handler:
  addq $8, %rsp              /* the error code */
  addq $3, (%rsp)            /* RIP past the faulting MOV */
  iretq

pw_cal_invlpg:
1:
  movq %rsi, (%rdi)
  invlpg (%rdx)
  decq %rcx
  jnz 1b
  ret

  .section .note.GNU-stack, "", @progbits
