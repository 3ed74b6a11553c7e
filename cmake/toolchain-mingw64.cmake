# SPDX-License-Identifier: MIT
# Cross-build for 64-bit Windows with MinGW-w64 (Debian:
# gcc-mingw-w64-x86-64), running the tests under Wine (wine64) when it is
# there. Used by `make windows`:
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# ctest runs every Windows executable through the emulator. Debian's
# wine64 package installs its wine64 binary in /usr/lib/wine, outside
# PATH. cmake/wine-emulator.sh gives the build folder its own Wine prefix
# (build-win/wineprefix), quiet (WINEDEBUG=-all), without the Mono and
# Gecko prompts, and keeps one wineserver alive across the cases; the
# test suite creates the prefix in a fixture case and stops the server in
# another (test/CMakeLists.txt).
find_program(MMF_WINE NAMES wine64 wine HINTS /usr/lib/wine /usr/lib64/wine
  NO_CMAKE_FIND_ROOT_PATH)
if(MMF_WINE)
  set(MMF_WINEPREFIX ${CMAKE_BINARY_DIR}/wineprefix)
  set(CMAKE_CROSSCOMPILING_EMULATOR
    /bin/sh ${CMAKE_CURRENT_LIST_DIR}/wine-emulator.sh run ${MMF_WINEPREFIX} ${MMF_WINE})
endif()
