# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk: an ISO with a deliberately wrong expectation (tests/scenarios/iso-wrong-expectation.toml, in the 32-bit
# and the 64-bit world) next to a right one, booted under QEMU: the guest must report the wrong step as FAIL on its
# own (its line on COM1, its program_end record, its summary), the host must find the same failure and agree with
# the guest everywhere, and the check as a whole must fail (exit 1) — because something did fail.
# Inputs (-D): PAGEWALK, GUEST, SOURCE_DIR, WORK_DIR. Prints "SKIP: <reason>" (ctest SKIP_REGULAR_EXPRESSION).
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(
  COMMAND ${PAGEWALK} iso --check -v --skip-if-unavailable --grub-timeout 0 --timeout 60 --guest ${GUEST}
          --screenshot ${WORK_DIR}/screen.ppm -o ${WORK_DIR}/wrong.iso ${SOURCE_DIR}/scenarios/not-present.toml
          ${SOURCE_DIR}/tests/scenarios/iso-wrong-expectation.toml
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 77)
  return()  # the "SKIP: …" line is in the output
endif()
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "expected exit 1 (a program failed), got ${rc}")
endif()
set(expected
    # The guest's own lines: the wrong program fails at step 3 in both worlds, the right one passes.
    "guest: \\[1/6\\] PASS 32bit not-present"
    "guest: \\[2/6\\] FAIL 32bit iso-wrong-expectation step 3 failed \\(expectation\\), 1 of 2 steps"
    "guest: \\[5/6\\] FAIL 4level iso-wrong-expectation step 3 failed \\(expectation\\), 1 of 2 steps"
    "guest: \\[6/6\\] PASS 5level not-present"
    # The host's own check finds the same step.
    "FAIL \\(expectation\\) step 3: expected ok, the CPU raised #PF 0x3 \\(P W\\)"
    # And the two agree: per step, per program, per line, and on the summary.
    "the guest's own checks agree with the host's on 6 of 6 programs; 6 of 6 program lines match their records"
    "guest summary: \"pagewalk: 4 passed, 2 failed, 0 skipped \\(6 programs\\)\" [^ ]+ as the host's checks predict"
    # The screen: the summary line (in the failure colour) and the QR code holding the records' summary.
    "the summary line is on text row [0-9]+, every pixel as the guest's font draws it"
    "QR code: version [0-9]+ \\([0-9]+x[0-9]+ modules\\), [0-9]+ bytes, level M, read by zbarimg"
    "ISO check FAILED")
foreach(pattern IN LISTS expected)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "missing in the output: ${pattern}")
  endif()
endforeach()
foreach(pattern IN ITEMS "ISO PROBLEM" "\\(guest verdict\\)")
  if(out MATCHES "${pattern}")
    message(FATAL_ERROR "unexpected in the output: ${pattern}")
  endif()
endforeach()

# The same ISO's COM1 captured to a file (as from a physical machine's serial cable) and checked offline by
# `pagewalk iso --serial-log`: the same verdicts, the same agreement.
find_program(QEMU qemu-system-x86_64)
if(NOT QEMU)
  return()
endif()
execute_process(
  COMMAND ${QEMU} -accel tcg -cpu max -m 128 -cdrom ${WORK_DIR}/wrong.iso -display none -nodefaults
          -serial file:${WORK_DIR}/serial.log -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
  TIMEOUT 60 RESULT_VARIABLE qemu_rc)
execute_process(
  COMMAND ${PAGEWALK} iso --serial-log ${WORK_DIR}/serial.log ${SOURCE_DIR}/scenarios/not-present.toml
          ${SOURCE_DIR}/tests/scenarios/iso-wrong-expectation.toml
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("--- serial log (QEMU exit ${qemu_rc}) ---\n${out}${err}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "--serial-log: expected exit 1 (a program failed), got ${rc}")
endif()
foreach(pattern IN ITEMS "agree with the host's on 6 of 6 programs; 6 of 6 program lines match"
                         "pagewalk: 4 passed, 2 failed, 0 skipped \\(6 programs\\)\" [^ ]+ as the host's checks predict")
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "--serial-log: missing in the output: ${pattern}")
  endif()
endforeach()

# What a phone would do with the screen: read the QR code (zbarimg here; its output as it is, a newline added), hand
# its text to `pagewalk iso --decode` — which prints the run summary exactly as the serial-log check above prints it.
find_program(ZBARIMG zbarimg)
execute_process(COMMAND ${ZBARIMG} -q --raw ${WORK_DIR}/screen.ppm OUTPUT_FILE ${WORK_DIR}/qr.txt
                RESULT_VARIABLE zbar_rc ERROR_QUIET)
if(NOT zbar_rc EQUAL 0)
  message(FATAL_ERROR "zbarimg read no QR code from ${WORK_DIR}/screen.ppm (exit ${zbar_rc})")
endif()
execute_process(COMMAND ${PAGEWALK} iso --decode ${WORK_DIR}/qr.txt RESULT_VARIABLE rc OUTPUT_VARIABLE decoded
                ERROR_VARIABLE err)
message("--- pagewalk iso --decode (the QR code's text) ---\n${decoded}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "--decode: expected exit 0, got ${rc}")
endif()
foreach(pattern IN ITEMS "FAIL  \\[  2\\] 32bit   iso-wrong-expectation    step 3 failed \\(expectation\\)"
                         "FAIL  \\[  5\\] 4level  iso-wrong-expectation    step 3 failed \\(expectation\\)"
                         "pagewalk: 4 passed, 2 failed, 0 skipped \\(6 programs\\)")
  if(NOT decoded MATCHES "${pattern}")
    message(FATAL_ERROR "--decode: missing in the output: ${pattern}")
  endif()
endforeach()
string(FIND "${out}" "${decoded}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "--decode does not print the summary the serial-log check prints")
endif()
