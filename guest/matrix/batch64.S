/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest, access matrix (64-bit world): a batch of accesses with as few ring-0 instructions as possible —
 * kvm_pvm emulates ring 0 (~1 µs an instruction), so the harness's general path (try_call, the C++ exception
 * handler) costs ~20 times the backend's own #PF round trip. pw_mx_batch runs the accesses back to back; while it
 * runs, the gates of #UD, #GP, #PF and #AC point at pw_mx_trap_*, which record the exception in the current access
 * and resume the loop at the next one (matrix/fast_access.hpp swaps the gates).
 *
 * struct FastAccess (48 bytes): va @0, value @8 (in: the value a write stores; out: the value a read returned),
 * kind @16 (u32: FAST_* below), vector @20 (u32, out: 0xffffffff none), error code @24, CR2 @32.
 * CPL 3 accesses run through the user stubs below by IRETQ; they end in UD2, which the #UD handler takes as a normal
 * end (and, after a read, keeps RAX, the value read). SDM Vol. 3A §6.12 (exception frames), §6.14.2 (64-bit). */
#include "boot/boot_context.h"

#define OP_VA 0
#define OP_VALUE 8
#define OP_KIND 16
#define OP_VECTOR 20
#define OP_ERROR 24
#define OP_CR2 32
#define OP_SIZE 48

#define FAST_K_READ 0
#define FAST_K_WRITE 1
#define FAST_K_FETCH 2
#define FAST_AC 4
#define FAST_USER 8
#define EFLAGS_AC 0x40000

  .section .data
  .align 8
pw_mx_cur: .quad 0       /* the access being made */
pw_mx_rsp: .quad 0       /* the loop's RSP */
pw_mx_rflags: .quad 0    /* the loop's RFLAGS (AC clear) */

  .section .text
  .code64
  .globl pw_mx_batch, pw_mx_trap6, pw_mx_trap13, pw_mx_trap14, pw_mx_trap17

/* pw_mx_batch(FastAccess* ops, uint64_t n) */
pw_mx_batch:
  pushq %rbx
  pushq %rbp
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rdi, %r12
  movq %rsi, %r13
  pushfq
  popq %rax
  andq $~EFLAGS_AC, %rax
  movq %rax, pw_mx_rflags(%rip)
  movq %rsp, pw_mx_rsp(%rip)
.Lloop:
  testq %r13, %r13
  jz .Ldone
  movq %r12, pw_mx_cur(%rip)
  movl $0xffffffff, OP_VECTOR(%r12)
  movq OP_VA(%r12), %rdi
  movq OP_VALUE(%r12), %rsi
  movl OP_KIND(%r12), %eax
  testl $FAST_USER, %eax
  jnz .Luser
  testl $FAST_AC, %eax
  jz 1f
  pushfq
  orq $EFLAGS_AC, (%rsp)
  popfq
1:
  andl $3, %eax
  cmpl $FAST_K_WRITE, %eax
  je .Lk_write
  cmpl $FAST_K_FETCH, %eax
  je .Lk_fetch
  movq (%rdi), %rax
  movq %rax, OP_VALUE(%r12)
  jmp .Lnext
.Lk_write:
  movq %rsi, (%rdi)
  jmp .Lnext
.Lk_fetch:
  call *%rdi                 /* the data page holds RET there */
  jmp .Lnext
.Luser:
  andl $3, %eax
  leaq pw_mx_u_read(%rip), %rcx
  cmpl $FAST_K_WRITE, %eax
  jne 2f
  leaq pw_mx_u_write(%rip), %rcx
2:
  cmpl $FAST_K_FETCH, %eax
  jne 3f
  leaq pw_mx_u_fetch(%rip), %rcx
3:
  pushq $(PW_SEL_UDATA | 3)  /* SS */
  pushq $pw_user_stack_top   /* RSP */
  pushq pw_mx_rflags(%rip)   /* RFLAGS */
  pushq $(PW_SEL_UCODE64 | 3)
  pushq %rcx                 /* RIP */
  iretq
.Lresume:                    /* from pw_mx_trap_common, at CPL 0 with the loop's RSP and RFLAGS */
.Lnext:
  pushfq                     /* EFLAGS.AC off again (a kernel access with AC may have ended normally) */
  andq $~EFLAGS_AC, (%rsp)
  popfq
  addq $OP_SIZE, %r12
  decq %r13
  jmp .Lloop
.Ldone:
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbp
  popq %rbx
  ret

pw_mx_trap6:
  pushq $0
  pushq $6
  jmp pw_mx_trap_common
pw_mx_trap13:
  pushq $13
  jmp pw_mx_trap_common
pw_mx_trap14:
  pushq $14
  jmp pw_mx_trap_common
pw_mx_trap17:
  pushq $17
  jmp pw_mx_trap_common

/* Stack: RBX, RAX (pushed here), vector, error code, RIP, CS, RFLAGS, RSP, SS. */
pw_mx_trap_common:
  pushq %rax
  pushq %rbx
  movq pw_mx_cur(%rip), %rbx
  movq 16(%rsp), %rax        /* vector */
  cmpq $6, %rax
  jne 4f
  /* #UD: the UD2 that ends a user stub — a normal end; after a read RAX holds the value read */
  movl OP_KIND(%rbx), %eax
  andl $(FAST_USER | 3), %eax
  cmpl $FAST_USER, %eax
  jne 5f
  movq 8(%rsp), %rax
  movq %rax, OP_VALUE(%rbx)
  jmp 5f
4:
  movl %eax, OP_VECTOR(%rbx)
  movq 24(%rsp), %rax
  movq %rax, OP_ERROR(%rbx)
  movq %cr2, %rax
  movq %rax, OP_CR2(%rbx)
5:
  /* resume the loop at CPL 0: RIP, CS, RFLAGS, RSP, SS of the frame */
  leaq .Lresume(%rip), %rax
  movq %rax, 32(%rsp)
  movq $PW_SEL_KCODE64, 40(%rsp)
  movq pw_mx_rflags(%rip), %rax
  movq %rax, 48(%rsp)
  movq pw_mx_rsp(%rip), %rax
  movq %rax, 56(%rsp)
  movq $PW_SEL_KDATA, 64(%rsp)
  popq %rbx
  popq %rax
  addq $16, %rsp
  iretq

/* CPL 3: the user section (U/S = 1 pages). RDI = va, RSI = the value to write. */
  .section .user.text, "ax"
pw_mx_u_read:
  movq (%rdi), %rax
  ud2
pw_mx_u_write:
  movq %rsi, (%rdi)
  ud2
pw_mx_u_fetch:
  call *%rdi
  ud2

  .section .note.GNU-stack, "", @progbits
