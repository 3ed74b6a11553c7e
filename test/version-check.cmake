# SPDX-License-Identifier: MIT
# cmake -DHEADER=include/mmf.h -DVERSION=X.Y.Z -P version-check.cmake
# The version is written twice: project(mmf VERSION ...) in CMakeLists.txt
# (the shared library's file name and soname, the pkg-config and CMake
# package versions) and MMF_VERSION_MAJOR/MINOR/PATCH in mmf.h (what a
# program compiled against the header sees, and `mmf --version`). They
# must agree.
file(STRINGS ${HEADER} lines REGEX "^#define MMF_VERSION_(MAJOR|MINOR|PATCH) ")
foreach(part MAJOR MINOR PATCH)
  set(${part} "")
  foreach(line ${lines})
    if(line MATCHES "^#define MMF_VERSION_${part} +([0-9]+)")
      set(${part} ${CMAKE_MATCH_1})
    endif()
  endforeach()
  if(${part} STREQUAL "")
    message(FATAL_ERROR "${HEADER} defines no MMF_VERSION_${part}")
  endif()
endforeach()
set(header_version ${MAJOR}.${MINOR}.${PATCH})
if(NOT header_version VERSION_EQUAL VERSION)
  message(FATAL_ERROR "mmf.h says version ${header_version}, "
          "CMakeLists.txt's project() says ${VERSION}")
endif()
message(STATUS "mmf.h and the project agree: version ${VERSION}")
