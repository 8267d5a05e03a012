/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest: the guest's own boot identity map, emitted by the assembler (no ring-0 loop builds it).
 *
 * 4-level paging (Intel SDM Vol. 3A §4.5): PML4[0] → PDPT; PDPT[0] → PD; PD[0] → PT (first 2 MiB in 4 KiB pages,
 * so the image and its user section get fine-grained U/S), PD[1..511] = 2 MiB pages up to 1 GiB. Linear 1 GiB and
 * above is not mapped (the self-test's deliberate not-present fault). Page 0 is not present (null pointers fault).
 * Non-leaf entries have U/S = 1 so a leaf decides; leaf PTEs are supervisor until arch::mark_user_pages() sets
 * U/S on the .user section. The scenario runner builds its own tables with the walker's mapper. */
#define P 0x1
#define RW 0x2
#define US 0x4
#define PS 0x80

  .section .page_tables, "aw"
  .align 4096
  .globl pw_boot_pml5, pw_boot_pml4, pw_boot_pdpt, pw_boot_pd, pw_boot_pt
/* 5-level root for the same map (CR4.LA57 = 1): PML5[0] → the PML4 below (SDM Vol. 3A §4.5). */
pw_boot_pml5:
  .quad pw_boot_pml4 + P + RW + US
  .fill 511, 8, 0
pw_boot_pml4:
  .quad pw_boot_pdpt + P + RW + US
  .fill 511, 8, 0
pw_boot_pdpt:
  .quad pw_boot_pd + P + RW + US
  .fill 511, 8, 0
pw_boot_pd:
  .quad pw_boot_pt + P + RW + US
  .set pde, 1
  .rept 511
  .quad (pde << 21) + P + RW + PS
  .set pde, pde + 1
  .endr
pw_boot_pt:
  .quad 0
  .set pte, 1
  .rept 511
  .quad (pte << 12) + P + RW
  .set pte, pte + 1
  .endr

/* The same identity map with U/S = 1 everywhere (first 2 MiB in 4 KiB pages, page 0 not present): the scenario
 * runner switches to it briefly, with CR4.SMEP/SMAP off, to run its pure computation (building page tables with
 * the walker's mapper) at CPL 3, where kvm_pvm runs guest code natively instead of emulating every instruction. */
  .globl pw_boot_user_pml4
  .align 4096
pw_boot_user_pml4:
  .quad pw_boot_user_pdpt + P + RW + US
  .fill 511, 8, 0
pw_boot_user_pdpt:
  .quad pw_boot_user_pd + P + RW + US
  .fill 511, 8, 0
pw_boot_user_pd:
  .quad pw_boot_user_pt + P + RW + US
  .set pde, 1
  .rept 511
  .quad (pde << 21) + P + RW + US + PS
  .set pde, pde + 1
  .endr
pw_boot_user_pt:
  .quad 0
  .set pte, 1
  .rept 511
  .quad (pte << 12) + P + RW + US
  .set pte, pte + 1
  .endr

  .section .note.GNU-stack, "", @progbits
