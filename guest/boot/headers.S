/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* pagewalk guest: the boot headers (multiboot1 with address fields, multiboot2, pagewalk BootHeader). */
#include "boot/boot_context.h"

#ifndef PW_BUILD_ID
#define PW_BUILD_ID 0
#endif

/* Multiboot 0.6.96 §3.1: magic, flags, checksum, then (flag 16) the address fields, which QEMU -kernel needs
 * for an ELF64 image. Flags: 0 = page-align modules, 1 = memory information, 16 = address fields valid. */
#define MB1_MAGIC 0x1badb002
#define MB1_FLAGS 0x00010003
  .section .multiboot1, "a"
  .align 4
pw_multiboot1_header:
  .long MB1_MAGIC
  .long MB1_FLAGS
  .long -(MB1_MAGIC + MB1_FLAGS)
  .long pw_multiboot1_header   /* header_addr */
  .long pw_image_start         /* load_addr */
  .long pw_load_end            /* load_end_addr */
  .long pw_image_end           /* bss_end_addr */
  .long pw_start32             /* entry_addr */

/* Multiboot2 §3.1: header, address tag (2), entry address tag (3), framebuffer tag (5), end tag; tags 8-byte
 * aligned. The framebuffer tag (§3.1.10) asks for a linear framebuffer, optional (flags bit 0): no preferred width
 * or height (0: the loader's choice, GRUB's gfxpayload), 32 bits per pixel. The guest draws its screen on it
 * (report/framebuffer.hpp), or on the VGA text screen when the loader leaves text mode. */
#define MB2_MAGIC 0xe85250d6
  .section .multiboot2, "a"
  .align 8
pw_multiboot2_header:
  .long MB2_MAGIC
  .long 0                      /* architecture: i386 protected mode */
  .long pw_multiboot2_end - pw_multiboot2_header
  .long -(MB2_MAGIC + (pw_multiboot2_end - pw_multiboot2_header))
  .align 8
  .word 2, 0                   /* address tag */
  .long 24
  .long pw_multiboot2_header
  .long pw_image_start
  .long pw_load_end
  .long pw_image_end
  .align 8
  .word 3, 0                   /* entry address tag */
  .long 12
  .long pw_start32
  .align 8
  .word 5, 1                   /* framebuffer tag, optional */
  .long 20
  .long 0                      /* width: no preference */
  .long 0                      /* height: no preference */
  .long 32                     /* depth */
  .align 8
  .word 0, 0                   /* end tag */
  .long 8
pw_multiboot2_end:

/* harness::BootHeader (harness/include/pagewalk/harness/boot_header.hpp). */
  .section .pwboot, "a"
  .align 8
  .globl pw_boot_header
pw_boot_header:
  .long 0x48425750             /* "PWBH" */
  .word 2                      /* version */
  .word 64                     /* size */
  .quad pw_start32
  .quad pw_start64
  .quad PW_BUILD_ID
  .quad pw_image_start
  .quad pw_image_end
  .quad 0x40000000             /* entry64 needs the first 1 GiB identity-mapped */
  /* program_modes, bit (1 << pagewalk::PagingMode): 32-bit and PAE paging (runner/runner32.cpp, the 32-bit world,
   * from the multiboot 32-bit entry), 4-level and 5-level (runner/runner64.cpp). */
  .long (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4)
  .long 0

  .section .note.GNU-stack, "", @progbits
