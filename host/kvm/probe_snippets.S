/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk host: tiny guest programs for the KVM capability probe (data in the host binary, copied into a probe VM
 * at ProbeLayout::code = 0x10000 and run there). Each reports progress as `out %eax, $0x5057` with EAX = a stage
 * number, then halts; a probe VM has no IDT, so any exception ends as a triple fault (KVM_EXIT_SHUTDOWN) right after
 * the last stage it reached. Only label differences are used, so the bytes are position-independent except for
 * the fixed probe addresses below (kept in sync with kvm/probe.cpp). */

#define PORT 0x5057
#define CODE_BASE 0x10000
#define GDTR_ADDR 0xa800
#define PD32 0x20000
#define PDPT_PAE 0x21000
#define PML4 0x2000
#define USER_PAGE 0x200000

.macro STAGE n
  mov $PORT, %dx
  mov $\n, %eax
  out %eax, %dx
.endm

  .section .rodata.pagewalk_probe, "a"

/* 32-bit protected mode, paging off: does it run at all? */
  .code32
  .globl pw_probe_pm32_begin, pw_probe_pm32_end
pw_probe_pm32_begin:
  STAGE 1
  hlt
pw_probe_pm32_end:

/* 32-bit paging with CR4.PSE (4 MiB pages; PD at PD32, built by the host): SDM Vol. 3A §4.3. */
  .globl pw_probe_paging32_begin, pw_probe_paging32_end
pw_probe_paging32_begin:
  STAGE 1
  mov $0x10, %eax         /* CR4.PSE */
  mov %eax, %cr4
  mov $PD32, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax    /* CR0.PG */
  mov %eax, %cr0
  STAGE 2
  hlt
pw_probe_paging32_end:

/* PAE paging (PDPT at PDPT_PAE, built by the host): SDM Vol. 3A §4.4. */
  .globl pw_probe_pae_begin, pw_probe_pae_end
pw_probe_pae_begin:
  STAGE 1
  mov $0x20, %eax         /* CR4.PAE */
  mov %eax, %cr4
  mov $PDPT_PAE, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax
  mov %eax, %cr0
  STAGE 2
  hlt
pw_probe_pae_end:

/* The guest's own way into long mode from 32-bit protected mode (SDM Vol. 3A §9.8.5): CR4.PAE, CR3, EFER.LME,
 * CR0.PG, then a far jump to a 64-bit code segment (selector 0x18 in the host's probe GDT). */
  .globl pw_probe_long_from32_begin, pw_probe_long_from32_end
pw_probe_long_from32_begin:
  STAGE 1
  lgdt GDTR_ADDR
  mov $0x20, %eax
  mov %eax, %cr4
  mov $PML4, %eax
  mov %eax, %cr3
  mov $0xc0000080, %ecx   /* IA32_EFER */
  rdmsr
  or $0x100, %eax         /* LME */
  wrmsr
  mov %cr0, %eax
  or $0x80000000, %eax
  mov %eax, %cr0
  STAGE 2                 /* IA-32e compatibility mode */
  ljmp $0x18, $(CODE_BASE + (1f - pw_probe_long_from32_begin))
  .code64
1:
  STAGE 3
  hlt
pw_probe_long_from32_end:

/* Baseline: started by the host in 64-bit mode. Also used for LA57 (the host starts it with CR4.LA57). */
  .globl pw_probe_long64_begin, pw_probe_long64_end
pw_probe_long64_begin:
  STAGE 1
  hlt
pw_probe_long64_end:

/* 1 GiB page: the host maps linear 1 GiB..2 GiB with one PDPTE (PS = 1) onto physical 0; read our own marker
 * through it and report the value. A reserved-bit #PF (no 1 GiB support) ends in a triple fault. */
  .globl pw_probe_gbpage_begin, pw_probe_gbpage_end
pw_probe_gbpage_begin:
  STAGE 1
  mov $(0x40000000 + CODE_BASE + (2f - pw_probe_gbpage_begin)), %ebx
  mov (%rbx), %eax
  mov $PORT, %dx
  out %eax, %dx
  hlt
2:
  .long 0x1ab0c0de
pw_probe_gbpage_end:

/* CR4 feature bit: the host passes the bit in EBX. Stage 1, set it, stage 2, then jump to the user page (code
 * the host put there reports stage 3): SMEP enforced ⇒ #PF ⇒ shutdown after stage 2. */
  .globl pw_probe_cr4_fetch_user_begin, pw_probe_cr4_fetch_user_end
pw_probe_cr4_fetch_user_begin:
  STAGE 1
  mov %cr4, %rax
  or %rbx, %rax
  mov %rax, %cr4
  STAGE 2
  mov $USER_PAGE, %eax
  jmp *%rax
pw_probe_cr4_fetch_user_end:

/* Code for the user page: stage 3. */
  .globl pw_probe_user_code_begin, pw_probe_user_code_end
pw_probe_user_code_begin:
  STAGE 3
  hlt
pw_probe_user_code_end:

/* SMAP: set CR4 bit from EBX; read the user page with EFLAGS.AC = 1 (stage 3, allowed) and AC = 0 (stage 4:
 * SMAP not enforced). AC is set with POPF (STAC/CLAC fail on kvm_pvm at CPL 0). */
  .globl pw_probe_smap_begin, pw_probe_smap_end
pw_probe_smap_begin:
  STAGE 1
  mov %cr4, %rax
  or %rbx, %rax
  mov %rax, %cr4
  STAGE 2
  mov $0x2000, %esp       /* a stack for pushf/popf (below the launcher's PML4 page) */
  pushfq
  orq $0x40000, (%rsp)
  popfq
  mov USER_PAGE, %eax
  STAGE 3
  pushfq
  andq $~0x40000, (%rsp)
  popfq
  mov USER_PAGE, %eax
  STAGE 4
  hlt
pw_probe_smap_end:

/* PKU: set CR4.PKE (stage 2), WRPKRU 0 (stage 3), WRPKRU AD for key 0 then read the user page (stage 4 means
 * the access-disable bit was not enforced). SDM Vol. 3A §4.6.2. */
  .globl pw_probe_pku_begin, pw_probe_pku_end
pw_probe_pku_begin:
  STAGE 1
  mov %cr4, %rax
  or $0x400000, %rax
  mov %rax, %cr4
  STAGE 2
  xor %ecx, %ecx
  xor %edx, %edx
  xor %eax, %eax
  wrpkru
  STAGE 3
  xor %ecx, %ecx
  xor %edx, %edx
  mov $1, %eax
  wrpkru
  mov USER_PAGE, %eax
  STAGE 4
  hlt
pw_probe_pku_end:

/* NX: set EFER.NXE (stage 2), then jump to the user page whose PDE has XD = 1 (stage 3 = XD not enforced). */
  .globl pw_probe_nx_begin, pw_probe_nx_end
pw_probe_nx_begin:
  STAGE 1
  mov $0xc0000080, %ecx
  rdmsr
  or $0x800, %eax
  wrmsr
  STAGE 2
  mov $USER_PAGE, %eax
  jmp *%rax
pw_probe_nx_end:

  .section .note.GNU-stack, "", @progbits
