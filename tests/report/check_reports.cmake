# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk: the CI reports as CI systems read them. Two real runs under QEMU write TAP and JUnit:
#   1. a pass (not-present), a known QEMU deviation (huge-page-2m, 4level), a deliberately wrong expectation;
#   2. the same pass with a watchdog too short to finish (a run that breaks: a JUnit <error>).
# Each JUnit file must validate against Jenkins xunit's junit-10.xsd structure (tests/report/junit-10.xsd, with
# xmllint), and each TAP file must parse with TAP::Parser with no unexpected TODO pass (tap_check.pl); the counts
# must be what the runs did. Inputs (-D): PAGEWALK, GUEST, SOURCE_DIR, WORK_DIR. Prints "SKIP: <reason>".
include(${CMAKE_CURRENT_LIST_DIR}/report_checks.cmake)
if(REPORT_TOOLS_MISSING)
  return()
endif()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_pagewalk name)
  execute_process(COMMAND ${PAGEWALK} run --backend qemu --skip-if-unavailable --jobs 2 --guest ${GUEST}
                          --junit ${WORK_DIR}/${name}.xml --tap ${WORK_DIR}/${name}.tap ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}")
  if(rc EQUAL 77)
    message("SKIP: QEMU unavailable")
    set(skipped TRUE PARENT_SCOPE)
    return()
  endif()
  if(NOT rc EQUAL 1)
    message(FATAL_ERROR "${name}: expected exit 1 (something failed on purpose), got ${rc}\n${err}")
  endif()
endfunction()

function(check_reports name expected_tap)
  validate_junit(${WORK_DIR}/${name}.xml)
  validate_tap(${WORK_DIR}/${name}.tap counts)
  if(NOT counts MATCHES "^${expected_tap}\n")
    message(FATAL_ERROR "${name}.tap: expected ${expected_tap}")
  endif()
endfunction()

set(skipped FALSE)
run_pagewalk(mixed --mode 4level ${SOURCE_DIR}/scenarios/not-present.toml ${SOURCE_DIR}/scenarios/huge-page-2m.toml
             ${SOURCE_DIR}/tests/scenarios/wrong-expectation.toml)
if(skipped)
  return()
endif()
check_reports(mixed "tests=3 passed=2 failed=1 todo=1 todo_passed=0 skipped=0")
file(READ ${WORK_DIR}/mixed.xml xml)
file(READ ${WORK_DIR}/mixed.tap tap)
foreach(expected IN ITEMS "<testsuites name=\"pagewalk scenarios\" tests=\"3\" failures=\"1\" errors=\"0\""
                          "<failure type=\"expectation\"" "file: scenarios/huge-page-2m.toml"
                          "file: tests/scenarios/wrong-expectation.toml")
  string(FIND "${xml}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "mixed.xml lacks: ${expected}\n${xml}")
  endif()
endforeach()
if(NOT tap MATCHES "\nnot ok [0-9]+ - huge-page-2m \\[4level, qemu\\] # TODO qemu-[a-z0-9-]+\n")
  message(FATAL_ERROR "mixed.tap: the known deviation is not \"not ok … # TODO <deviation id>\"\n${tap}")
endif()

run_pagewalk(broken --mode 4level --timeout 0.02 ${SOURCE_DIR}/scenarios/not-present.toml)
check_reports(broken "tests=1 passed=0 failed=1 todo=0 todo_passed=0 skipped=0")
file(READ ${WORK_DIR}/broken.xml xml)
foreach(expected IN ITEMS "tests=\"1\" failures=\"0\" errors=\"1\"" "<error type=\"run\" message=\"timeout")
  string(FIND "${xml}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "broken.xml lacks: ${expected}\n${xml}")
  endif()
endforeach()
string(FIND "${xml}" "<failure" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "broken.xml: a run that timed out is an <error>, not a <failure>\n${xml}")
endif()
message("reports: valid JUnit (junit-10.xsd), TAP without unexpected TODO passes")
