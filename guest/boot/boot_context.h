// SPDX-License-Identifier: MIT OR Apache-2.0
/* pagewalk guest: offsets of BootContext fields, shared by the boot assembly and C++ (which static_asserts them). */
#ifndef PAGEWALK_GUEST_BOOT_CONTEXT_H
#define PAGEWALK_GUEST_BOOT_CONTEXT_H

#define PW_BC_EAX 0         /* EAX at entry (multiboot magic) */
#define PW_BC_EBX 4         /* EBX at entry (multiboot information, physical) */
#define PW_BC_ECX 8         /* ECX at entry (kLauncherMarker under the host launcher) */
#define PW_BC_ENTRY_PATH 12 /* harness::EntryPath, set by the entry code */
#define PW_BC_SIZE 896

/* GDT selectors (boot/entry.S builds the table; Intel SDM Vol. 3A §3.4.2, §5.2.1). */
#define PW_SEL_KCODE64 0x08
#define PW_SEL_KDATA 0x10
#define PW_SEL_KCODE32 0x18
#define PW_SEL_UCODE32 0x20
#define PW_SEL_UDATA 0x28
#define PW_SEL_UCODE64 0x30
#define PW_SEL_TSS64 0x38
#define PW_SEL_TSS32 0x48 /* 32-bit TSS (8 bytes): the 32-bit world (arch32/descriptors32.cpp) */
#define PW_SEL_LDT64 0x50 /* 64-bit LDT descriptor (16 bytes): the runner's implicit descriptor-table reads */
#define PW_SEL_LDT32 0x50 /* the same slot holds an 8-byte LDT descriptor in the 32-bit world */
#define PW_GDT_ENTRIES 12

#define PW_ENTRY_MULTIBOOT 1 /* refined to multiboot1/2 by C++ from EAX */
#define PW_ENTRY_DIRECT64 3

#endif
