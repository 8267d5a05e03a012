/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest: the two entry points, the GDT, and the switch to long mode.
 *
 * pw_start32: multiboot state (32-bit protected mode, paging off, EAX = magic, EBX = info). Saves the registers
 *   in pw_boot_context, loads our GDT, calls the -m32 C++ pw32_pw_main32(&pw_boot_context) (which sends the hello
 *   record), then enters IA-32e mode the way Intel SDM Vol. 3A §9.8.5 lists it: CR4.PAE, CR3 = 4-level table,
 *   IA32_EFER.LME, CR0.PG, far jump to a 64-bit code segment.
 * pw_start64: the host launcher's direct long-mode state (harness::BootHeader::entry64). Loads our GDT and CR3.
 * Both continue at pw_long_entry → pw_main64(&pw_boot_context), which never returns. */
#include "boot/boot_context.h"

#define MSR_EFER 0xc0000080

  .section .text.boot, "ax"
  .code32
  .globl pw_start32
pw_start32:
  cli
  cld
  movl %eax, pw_boot_context + PW_BC_EAX
  movl %ebx, pw_boot_context + PW_BC_EBX
  movl %ecx, pw_boot_context + PW_BC_ECX
  movl $PW_ENTRY_MULTIBOOT, pw_boot_context + PW_BC_ENTRY_PATH
  lgdt pw_gdtr
  ljmp $PW_SEL_KCODE32, $1f
1:
  movw $PW_SEL_KDATA, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  movw %ax, %fs
  movw %ax, %gs
  movl $pw_boot_stack_top, %esp
  pushl $pw_boot_context
  call pw32_pw_main32          /* C++ compiled -m32 (objcopy'd and symbol-prefixed "pw32_") */
  addl $4, %esp
  /* IA-32e entry (SDM Vol. 3A §9.8.5). */
  movl %cr4, %eax
  orl $0x20, %eax              /* CR4.PAE */
  movl %eax, %cr4
  movl $pw_boot_pml4, %eax
  movl %eax, %cr3
  movl $MSR_EFER, %ecx
  rdmsr
  orl $0x100, %eax             /* EFER.LME */
  wrmsr
  movl %cr0, %eax
  orl $0x80010000, %eax        /* CR0.PG | CR0.WP */
  movl %eax, %cr0
  ljmp $PW_SEL_KCODE64, $pw_long_entry

  .code64
  .globl pw_start64
pw_start64:
  cli
  cld
  movl %eax, pw_boot_context + PW_BC_EAX
  movl %ebx, pw_boot_context + PW_BC_EBX
  movl %ecx, pw_boot_context + PW_BC_ECX
  movl $PW_ENTRY_DIRECT64, pw_boot_context + PW_BC_ENTRY_PATH
  lgdt pw_gdtr
  movl $pw_boot_pml4, %eax
  movq %rax, %cr3
  movq $pw_boot_stack_top, %rsp  /* the launcher gives no stack */
  pushq $PW_SEL_KCODE64
  pushq $pw_long_entry
  lretq                        /* reload CS from our GDT */

pw_long_entry:
  movw $PW_SEL_KDATA, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  xorl %eax, %eax
  movw %ax, %fs
  movw %ax, %gs
  movq $pw_boot_stack_top, %rsp
  movl $pw_boot_context, %edi
  call pw_main64
2:
  cli
  hlt
  jmp 2b

/* GDT (SDM Vol. 3A §3.4.5; 64-bit code: L = 1, D = 0, §5.2.1). The TSS descriptor is filled by arch/tss.cpp. */
  .section .data
  .align 16
  .globl pw_gdt
pw_gdt:
  .quad 0                      /* 0x00 null */
  .quad 0x00af9b000000ffff     /* 0x08 ring-0 64-bit code */
  .quad 0x00cf93000000ffff     /* 0x10 ring-0 data */
  .quad 0x00cf9b000000ffff     /* 0x18 ring-0 32-bit code */
  .quad 0x00cffb000000ffff     /* 0x20 ring-3 32-bit code */
  .quad 0x00cff3000000ffff     /* 0x28 ring-3 data */
  .quad 0x00affb000000ffff     /* 0x30 ring-3 64-bit code */
  .quad 0, 0                   /* 0x38 64-bit TSS (16 bytes) */
  .quad 0                      /* 0x48 spare (32-bit TSS for the 32-bit runner) */
  .quad 0, 0                   /* 0x50 64-bit LDT (16 bytes): runner/implicit access (base = the access's va) */
pw_gdt_end:
  .align 8
  .globl pw_gdtr
pw_gdtr:
  .word pw_gdt_end - pw_gdt - 1
  .quad pw_gdt                 /* LGDT reads 6 bytes in 32-bit mode, 10 in 64-bit mode */

  .align 8
  .globl pw_boot_context
pw_boot_context:
  .fill PW_BC_SIZE, 1, 0

  .section .bss
  .align 16
pw_boot_stack:
  .skip 65536  /* the matrix runner keeps its class table and Contexts on it */
  .globl pw_boot_stack_top
pw_boot_stack_top:

  .section .note.GNU-stack, "", @progbits
