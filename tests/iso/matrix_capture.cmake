# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk: `pagewalk iso --serial-log` on real COM1 captures of the ISO's access-matrix entries. An ISO whose matrix
# jobs are small seeded slices (--matrix-limit) boots its matrix entry under QEMU with COM1 written to a file, as a
# physical machine's serial cable would deliver it; the capture must check PASS, and each lie a guest could tell —
# one block's counts, one case's observed outcome, a capture cut before matrix_end — must FAIL with its own message.
# Inputs (-D): PAGEWALK, GUEST, EDIT (pagewalk_capture_edit), SOURCE_DIR, WORK_DIR, MODE (a paging mode, or "every":
# the every-mode entry), LIMIT. Prints "SKIP: <reason>" (ctest SKIP_REGULAR_EXPRESSION).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
find_program(QEMU qemu-system-x86_64)
if(NOT QEMU)
  message("SKIP: no qemu-system-x86_64 to boot the ISO and capture its COM1")
  return()
endif()
set(scenario ${SOURCE_DIR}/scenarios/not-present.toml)
if(MODE STREQUAL "every")
  set(plan --matrix-limit ${LIMIT})
  set(entry matrix)
else()
  set(plan --mode ${MODE} --matrix-limit ${LIMIT})
  set(entry matrix-${MODE})
endif()
execute_process(
  COMMAND ${PAGEWALK} iso --skip-if-unavailable --grub-timeout 0 --guest ${GUEST} ${plan} --default-entry ${entry}
          -o ${WORK_DIR}/matrix.iso ${scenario}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 77)
  message("${out}")
  return()
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pagewalk iso: exit ${rc}\n${out}${err}")
endif()
execute_process(
  COMMAND ${QEMU} -accel tcg -cpu max -m 256 -cdrom ${WORK_DIR}/matrix.iso -display none -nodefaults
          -serial file:${WORK_DIR}/com1.log -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
  TIMEOUT 120 RESULT_VARIABLE qemu_rc)

# Checks `capture` with `args`; requires exit status `want` and every pattern of the remaining arguments.
function(check_capture capture want)
  execute_process(COMMAND ${PAGEWALK} iso --serial-log ${capture} ${plan} ${CHECK_ARGS} ${scenario}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("--- pagewalk iso --serial-log ${capture} ${CHECK_ARGS} (exit ${rc}) ---\n${out}${err}")
  if(NOT rc EQUAL want)
    message(FATAL_ERROR "${capture}: expected exit ${want}, got ${rc}")
  endif()
  foreach(pattern IN LISTS ARGN)
    if(NOT out MATCHES "${pattern}")
      message(FATAL_ERROR "${capture}: missing in the output: ${pattern}")
    endif()
  endforeach()
endfunction()

if(MODE STREQUAL "every")
  # Each mode's job, one row each. Under QEMU its known deviations apply (--captured-under qemu); as a physical
  # machine's capture (none known: the SDM decides) QEMU's mismatches in PAE, 4- and 5-level paging fail.
  set(CHECK_ARGS --captured-under qemu)
  check_capture(${WORK_DIR}/com1.log 0 "\n32bit +qemu " "\npae +qemu " "\n4level +qemu " "\n5level +qemu "
                "guest lines: 4 of 4 jobs" "\n[0-9]+ passed, 0 failed, 0 skipped\n$")
  set(CHECK_ARGS)
  check_capture(${WORK_DIR}/com1.log 1 "\\(mismatch\\) case [0-9]+ .*no known deviation" "\n32bit +serial "
                "\npae +serial .* FAIL\n" "\n4level +serial " "\n5level +serial ")
  return()
endif()

# The capture as the guest sent it: every check passes as a physical machine's would (this slice of 32-bit paging
# meets none of QEMU's deviations), the table has the mode's row, the closing line counts it.
check_capture(${WORK_DIR}/com1.log 0 "\n${MODE} +serial +[0-9]+ +[0-9]+ +[0-9]+ +0 +0 +- +pass\n"
              "guest lines: 1 of 1 jobs' `access matrix` lines say what the host's checks expect"
              "\n1 passed, 0 failed, 0 skipped\n$")

# The lies.
foreach(edit IN ITEMS block-count case-outcome truncate)
  execute_process(COMMAND ${EDIT} ${WORK_DIR}/com1.log ${WORK_DIR}/${edit}.log ${edit} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pagewalk_capture_edit ${edit}: exit ${rc}")
  endif()
endforeach()
check_capture(${WORK_DIR}/block-count.log 1
              "\\(block\\) block [0-9]+ \\[[0-9]+\\.\\.[0-9]+\\]: illegal: the guest counts [0-9]+, the host [0-9]+"
              "\\(block\\) block [0-9]+ \\[[0-9]+\\.\\.[0-9]+\\]: run: the guest counts [0-9]+, the host [0-9]+"
              "\\(guest verdict\\) the guest's line is \"access matrix, ${MODE}: PASS\""
              "\n0 passed, 1 failed, 0 skipped\n$")
check_capture(${WORK_DIR}/case-outcome.log 1
              "\\(case\\) case 0 \\(index [0-9]+\\): the guest judged an agreement, the host outcome"
              "\n0 passed, 1 failed, 0 skipped\n$")
check_capture(${WORK_DIR}/truncate.log 1
              "\\(run\\) early stop [^\n]*the capture ends inside the job, its last record: #[0-9]+ matrix_"
              "\n0 passed, 1 failed, 0 skipped\n$")
