# SPDX-License-Identifier: MIT OR Apache-2.0
# Functions for the report tests: a JUnit file against tests/report/junit-10.xsd (xmllint), a TAP file through
# TAP::Parser (tap_check.pl). Needs SOURCE_DIR. Prints "SKIP: <reason>" and sets REPORT_TOOLS_MISSING when
# xmllint or perl is missing.
find_program(XMLLINT xmllint)
find_program(PERL perl)
set(REPORT_TOOLS_MISSING FALSE)
if(NOT XMLLINT)
  message("SKIP: xmllint not found (Debian package libxml2-utils)")
  set(REPORT_TOOLS_MISSING TRUE)
elseif(NOT PERL)
  message("SKIP: perl not found (TAP::Parser is part of Debian's perl)")
  set(REPORT_TOOLS_MISSING TRUE)
endif()

function(validate_junit file)
  execute_process(COMMAND ${XMLLINT} --noout --schema ${SOURCE_DIR}/tests/report/junit-10.xsd ${file}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${file} does not validate against junit-10.xsd:\n${out}${err}")
  endif()
  message("${err}")
endfunction()

# validate_tap(file counts_var): fails on parse errors or an unexpected TODO pass; the counts line in counts_var.
function(validate_tap file counts_var)
  execute_process(COMMAND ${PERL} ${SOURCE_DIR}/tests/report/tap_check.pl ${file}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${file}: ${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${file}: TAP::Parser rejects it (parse error or unexpected TODO pass)")
  endif()
  set(${counts_var} "${out}" PARENT_SCOPE)
endfunction()
