# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk run --quiet --logs DIR, twice under QEMU: --quiet prints only the failure and the summary line; each run
# leaves DIR/<scenario>.<mode>.<backend>.log with the findings and the backend's records, and the previous run's
# DIR becomes DIR.old. Inputs (-D): PAGEWALK, GUEST, SOURCE_DIR, WORK_DIR. Prints "SKIP: <reason>".
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(logs ${WORK_DIR}/logs)

function(run_quiet)
  execute_process(COMMAND ${PAGEWALK} run --quiet --backend qemu --skip-if-unavailable --mode 4level --guest ${GUEST}
                          --logs ${logs} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("exit ${rc}\n${out}${err}")
  if(rc EQUAL 77)
    message("SKIP: QEMU unavailable")
  endif()
  set(rc ${rc} PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
endfunction()

run_quiet(${SOURCE_DIR}/scenarios/not-present.toml ${SOURCE_DIR}/tests/scenarios/wrong-expectation.toml)
if(rc EQUAL 77)
  return()
endif()
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "expected exit 1 (wrong-expectation fails), got ${rc}")
endif()
# The failure and the summary, nothing else: no passing scenario, no table.
if(NOT out MATCHES "^FAIL  wrong-expectation \\[4level, qemu\\]" OR NOT out MATCHES "\n1 passed, 1 failed, 0 skipped\n$"
   OR out MATCHES "not-present" OR out MATCHES "mode +backend")
  message(FATAL_ERROR "--quiet printed more (or less) than the failure and the summary line")
endif()
foreach(f IN ITEMS not-present.4level.qemu.log wrong-expectation.4level.qemu.log)
  if(NOT EXISTS ${logs}/${f})
    message(FATAL_ERROR "no log ${logs}/${f}")
  endif()
endforeach()
file(READ ${logs}/wrong-expectation.4level.qemu.log log)
if(NOT log MATCHES "FAIL \\(expectation\\) step 1" OR NOT log MATCHES "--- qemu run ---" OR NOT log MATCHES "#0 hello")
  message(FATAL_ERROR "the log lacks the finding or the backend's records:\n${log}")
endif()

run_quiet(${SOURCE_DIR}/scenarios/not-present.toml)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "1 passed, 0 failed, 0 skipped\n")
  message(FATAL_ERROR "a passing run with --quiet: exit ${rc}, printed:\n${out}")
endif()
if(EXISTS ${logs}/wrong-expectation.4level.qemu.log OR NOT EXISTS ${logs}.old/wrong-expectation.4level.qemu.log
   OR NOT EXISTS ${logs}/not-present.4level.qemu.log)
  message(FATAL_ERROR "the second run did not move the first run's logs to ${logs}.old")
endif()
message("logs and --quiet: as documented")
