# SPDX-License-Identifier: MIT OR Apache-2.0
# Runs one command and checks its exit status and output (stdout and stderr together) — for the command line's
# errors, where ctest's own WILL_FAIL would also accept a crash.
# Inputs (-D): COMMAND (a list), EXPECT_EXIT (a number), EXPECT_OUTPUT (a regular expression, optional),
# REJECT_OUTPUT (a regular expression the output must not match, optional).
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("exit ${rc}\n${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "expected exit ${EXPECT_EXIT}, got ${rc}")
endif()
if(DEFINED EXPECT_OUTPUT AND NOT "${out}${err}" MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "the output does not match: ${EXPECT_OUTPUT}")
endif()
if(DEFINED REJECT_OUTPUT AND "${out}${err}" MATCHES "${REJECT_OUTPUT}")
  message(FATAL_ERROR "the output matches what it must not: ${REJECT_OUTPUT}")
endif()
