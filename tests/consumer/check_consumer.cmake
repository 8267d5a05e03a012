# SPDX-License-Identifier: MIT OR Apache-2.0
# Builds and runs tests/consumer against this build of pagewalk. Run by ctest (label `package`):
#   cmake -DMODE=package|pkgconfig|walker|toplevel -DCONFIG=<config> -DPAGEWALK_BUILD_DIR=<build> -DPAGEWALK_SOURCE_DIR=<repo>
#         -DPAGEWALK_VERSION=<x.y.z> -DCONSUMER_SOURCE_DIR=<repo>/tests/consumer -DWORK_DIR=<scratch>
#         -DGENERATOR=<generator> -DCXX_COMPILER=<c++> [-DWERROR=ON] -P check_consumer.cmake
cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS MODE PAGEWALK_BUILD_DIR PAGEWALK_SOURCE_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
    if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
        message(FATAL_ERROR "check_consumer.cmake: -D${_var}=... is required")
    endif()
endforeach()
if(NOT CONFIG)
    set(CONFIG Release)
endif()
if(NOT WERROR)
    set(WERROR OFF)
endif()

function(run)
    string(REPLACE ";" " " _pretty "${ARGN}")
    message(STATUS "+ ${_pretty}")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "failed (${_rc}): ${_pretty}")
    endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(_args
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_BUILD_TYPE=${CONFIG}
    -DPAGEWALK_CONSUMER_MODE=${MODE}
    -DCONSUMER_WERROR=${WERROR})

if(MODE STREQUAL "package")
    set(_prefix ${WORK_DIR}/prefix)
    run(${CMAKE_COMMAND} --install ${PAGEWALK_BUILD_DIR} --config ${CONFIG} --prefix ${_prefix})
    foreach(_file IN ITEMS include/pagewalk/pagewalk.hpp lib/cmake/pagewalk/pagewalkConfig.cmake
                           lib/cmake/pagewalk/pagewalkConfigVersion.cmake lib/cmake/pagewalk/pagewalkTargets.cmake)
        if(NOT EXISTS ${_prefix}/${_file})
            message(FATAL_ERROR "install did not produce ${_file}")
        endif()
    endforeach()
    list(APPEND _args
         -DCMAKE_PREFIX_PATH=${_prefix}
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
         -DPAGEWALK_EXPECT_PREFIX=${_prefix}
         -DPAGEWALK_EXPECT_VERSION=${PAGEWALK_VERSION})
elseif(MODE STREQUAL "pkgconfig")
    # Installed, then found with pkg-config (its path: the prefix only) and compiled by hand with its flags.
    find_program(PKG_CONFIG NAMES pkg-config pkgconf)
    if(NOT PKG_CONFIG)
        message("SKIP: pkg-config not found (Debian package pkgconf)")
        return()
    endif()
    set(_prefix ${WORK_DIR}/prefix)
    run(${CMAKE_COMMAND} --install ${PAGEWALK_BUILD_DIR} --config ${CONFIG} --prefix ${_prefix})
    set(ENV{PKG_CONFIG_PATH} ${_prefix}/share/pkgconfig)
    set(ENV{PKG_CONFIG_LIBDIR} ${_prefix}/share/pkgconfig)
    execute_process(COMMAND ${PKG_CONFIG} --modversion pagewalk OUTPUT_VARIABLE _version RESULT_VARIABLE _rc
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT _rc EQUAL 0 OR NOT _version STREQUAL PAGEWALK_VERSION)
        message(FATAL_ERROR "pkg-config --modversion pagewalk: '${_version}' (exit ${_rc}), expected ${PAGEWALK_VERSION}")
    endif()
    execute_process(COMMAND ${PKG_CONFIG} --cflags pagewalk OUTPUT_VARIABLE _cflags RESULT_VARIABLE _rc
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    separate_arguments(_cflags UNIX_COMMAND "${_cflags}")
    if(NOT _rc EQUAL 0 OR NOT "${_cflags}" MATCHES "-I${_prefix}/share/pkgconfig/../../include")
        message(FATAL_ERROR "pkg-config --cflags pagewalk: '${_cflags}' (exit ${_rc}): not the installed headers")
    endif()
    file(MAKE_DIRECTORY ${WORK_DIR}/build/bin)
    run(${CXX_COMPILER} -std=c++20 ${_cflags} ${CONSUMER_SOURCE_DIR}/main.cpp -o ${WORK_DIR}/build/bin/consumer)
    run(${WORK_DIR}/build/bin/consumer)
    return()
elseif(MODE STREQUAL "walker" OR MODE STREQUAL "toplevel")
    list(APPEND _args -DPAGEWALK_SOURCE_DIR=${PAGEWALK_SOURCE_DIR})
else()
    message(FATAL_ERROR "check_consumer.cmake: unknown MODE '${MODE}'")
endif()

run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR} ${_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --config ${CONFIG})
run(${WORK_DIR}/build/bin/consumer)
