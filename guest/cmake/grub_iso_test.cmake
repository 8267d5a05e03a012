# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk: boots the guest image through GRUB's multiboot2 loader (an ISO from grub-mkrescue) under QEMU and
# expects the self-test to pass. Prints "SKIP: <reason>" (ctest SKIP_REGULAR_EXPRESSION) without the tools.
# Inputs (-D): PAGEWALK (the pagewalk binary), GUEST (pagewalk-guest.elf), WORK_DIR.
find_program(GRUB_MKRESCUE grub-mkrescue)
find_program(XORRISO xorriso)
if(NOT GRUB_MKRESCUE OR NOT XORRISO OR NOT EXISTS /usr/lib/grub/i386-pc)
  message("SKIP: grub-mkrescue, xorriso or grub-pc-bin (/usr/lib/grub/i386-pc) missing")
  return()
endif()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/root/boot/grub)
file(COPY ${GUEST} DESTINATION ${WORK_DIR}/root/boot)
get_filename_component(guest_name ${GUEST} NAME)
file(WRITE ${WORK_DIR}/root/boot/grub/grub.cfg
"set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry \"pagewalk\" {
  multiboot2 /boot/${guest_name} pw.test=selftest
  boot
}
")
execute_process(COMMAND ${GRUB_MKRESCUE} -o ${WORK_DIR}/pagewalk.iso ${WORK_DIR}/root
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "grub-mkrescue failed:\n${out}")
endif()
execute_process(COMMAND ${PAGEWALK} boot --backend qemu --iso ${WORK_DIR}/pagewalk.iso --timeout 30
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "GRUB multiboot2 boot failed (exit ${rc})")
endif()
if(NOT out MATCHES "entry=multiboot2")
  message(FATAL_ERROR "the hello record does not name the multiboot2 entry")
endif()
