# SPDX-License-Identifier: MIT OR Apache-2.0
# The ISO's access-matrix entries checked from real COM1 captures (tests/iso/matrix_capture.cmake; labels iso, slow):
# a 32-bit slice that passes and the three lies that must fail, and the every-mode entry (a row per mode).
add_executable(pagewalk_capture_edit ${PROJECT_SOURCE_DIR}/tests/iso/capture_edit.cpp)
target_link_libraries(pagewalk_capture_edit PRIVATE pagewalk::harness pagewalk::walker)
foreach(_mode IN ITEMS 32bit every)
  add_test(NAME iso.qemu.matrix_capture.${_mode}
           COMMAND ${CMAKE_COMMAND} -DPAGEWALK=$<TARGET_FILE:pagewalk> -DGUEST=$<TARGET_FILE:pagewalk-guest>
                   -DEDIT=$<TARGET_FILE:pagewalk_capture_edit> -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                   -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/iso-matrix-${_mode} -DMODE=${_mode} -DLIMIT=1000
                   -P ${PROJECT_SOURCE_DIR}/tests/iso/matrix_capture.cmake)
  set_tests_properties(iso.qemu.matrix_capture.${_mode} PROPERTIES LABELS "iso;slow"
                       SKIP_REGULAR_EXPRESSION "SKIP: " TIMEOUT 240)
endforeach()
