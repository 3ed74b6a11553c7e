# SPDX-License-Identifier: MIT
# wine-skip-check.cmake - on a machine without MinGW-w64 or without Wine,
# every win32.wine.* case, the fixtures included, must report a skip
# (exit 77) that ctest accepts as one: the core suite needs neither tool.
#
#   cmake -DCTEST=ctest -DBUILD=build-dir -DSCRIPT=wine-run.sh -P wine-skip-check.cmake
#
# Checks that every win32.wine.* case has SKIP_RETURN_CODE 77, and that
# wine-run.sh exits 77 in every mode when either tool is missing.

cmake_minimum_required(VERSION 3.20)

# 1. ctest may count exit 77 as a skip for each case.
execute_process(COMMAND ${CTEST} --test-dir ${BUILD} -R "^win32\\.wine\\."
                        --show-only=json-v1
                OUTPUT_VARIABLE json RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctest --show-only failed (${rc})")
endif()
string(JSON ntests LENGTH "${json}" tests)
if(ntests EQUAL 0)
  message(FATAL_ERROR "no win32.wine.* cases are registered")
endif()
math(EXPR last "${ntests} - 1")
foreach(i RANGE ${last})
  string(JSON name GET "${json}" tests ${i} name)
  string(JSON nprops LENGTH "${json}" tests ${i} properties)
  set(skip "")
  math(EXPR plast "${nprops} - 1")
  foreach(p RANGE ${plast})
    string(JSON pname GET "${json}" tests ${i} properties ${p} name)
    if(pname STREQUAL "SKIP_RETURN_CODE")
      string(JSON skip GET "${json}" tests ${i} properties ${p} value)
    endif()
  endforeach()
  if(NOT skip STREQUAL "77")
    message(FATAL_ERROR "${name}: no SKIP_RETURN_CODE 77, so its skip would fail the suite")
  endif()
endforeach()
message(STATUS "${ntests} win32.wine.* cases may skip with exit 77")

# 2. The script skips in every mode without either tool. Stand-ins: any
# existing executable for Wine, any existing file for the MinGW build.
set(prefix ${BUILD}/wine-skip-check-prefix)
foreach(mode init run stop)
  foreach(missing wine mingw)
    if(missing STREQUAL "wine")
      set(wine "")
      set(exe ${SCRIPT})
    else()
      set(wine ${CMAKE_COMMAND})
      set(exe "")
    endif()
    execute_process(COMMAND sh ${SCRIPT} ${mode} ${prefix} "${wine}" "${exe}" B
                    OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
    if(NOT rc EQUAL 77)
      message(FATAL_ERROR "wine-run.sh ${mode} without ${missing} exited ${rc}, not 77:\n${out}")
    endif()
  endforeach()
endforeach()
if(EXISTS ${prefix})
  message(FATAL_ERROR "wine-run.sh made ${prefix} although it skipped")
endif()
message(STATUS "wine-run.sh skips in every mode without Wine or without MinGW-w64")
