# SPDX-License-Identifier: MIT OR Apache-2.0
# Robustness tests (label robust): hostile neighbours, interruption, odd input. Each is a bash script run as
# SCRIPT PAGEWALK GUEST SOURCE_DIR; exit 77 (with "SKIP: reason") when what it needs is missing.
function(pagewalk_robust_test name)
  cmake_parse_arguments(_rt "" "TIMEOUT" "LABELS" ${ARGN})
  if(NOT _rt_TIMEOUT)
    set(_rt_TIMEOUT 120)
  endif()
  add_test(NAME robust.${name}
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/robust/${name}.sh $<TARGET_FILE:pagewalk>
                   $<TARGET_FILE:pagewalk-guest> ${PROJECT_SOURCE_DIR})
  set_tests_properties(robust.${name} PROPERTIES LABELS "robust;${_rt_LABELS}" SKIP_RETURN_CODE 77
                       TIMEOUT ${_rt_TIMEOUT})
endfunction()

pagewalk_robust_test(private_files)
pagewalk_robust_test(interrupt TIMEOUT 240)

# --no-live runs QEMU without shared RAM: no live walk, and nothing fails for lack of one.
add_test(NAME robust.qemu_no_live
         COMMAND pagewalk run --backend qemu --no-live --skip-if-unavailable --guest $<TARGET_FILE:pagewalk-guest>
                 ${PROJECT_SOURCE_DIR}/scenarios/not-present.toml ${PROJECT_SOURCE_DIR}/scenarios/nx-fetch.toml
                 --mode 4level)
set_tests_properties(robust.qemu_no_live PROPERTIES LABELS "robust;scenarios-qemu" SKIP_RETURN_CODE 77 TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "4level +qemu +2 +0 +0 +0 +[0-9]+ +0\n(.*\n)*2 passed, 0 failed, 0 skipped")
pagewalk_robust_test(timeout_values)
pagewalk_robust_test(symlink_loop)
pagewalk_robust_test(iso_work_dir)
pagewalk_robust_test(write_errors)
pagewalk_robust_test(unbounded_reads)
pagewalk_robust_test(serial_log)
pagewalk_robust_test(compile_refusals)
pagewalk_robust_test(escapes)
pagewalk_robust_test(load TIMEOUT 900 LABELS slow)
