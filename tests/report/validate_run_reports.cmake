# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk: the reports of the whole scenario library's run (ctest scenarios.kvm / scenarios.qemu) as CI reads
# them: JUnit valid against junit-10.xsd, TAP parsed by TAP::Parser with no unexpected TODO pass.
# Inputs (-D): SOURCE_DIR, JUNIT, TAP. Prints "SKIP: <reason>" when the run was skipped (no files).
include(${CMAKE_CURRENT_LIST_DIR}/report_checks.cmake)
if(REPORT_TOOLS_MISSING)
  return()
endif()
if(NOT EXISTS ${JUNIT} OR NOT EXISTS ${TAP})
  message("SKIP: no reports (${JUNIT}, ${TAP}): the run was skipped")
  return()
endif()
validate_junit(${JUNIT})
validate_tap(${TAP} counts)
# Every known deviation names its id in the list (host/check/known_deviations.cpp), not a generic text.
file(READ ${TAP} tap)
string(FIND "${tap}" "# TODO known backend deviation" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "${TAP}: a known deviation without its id")
endif()
