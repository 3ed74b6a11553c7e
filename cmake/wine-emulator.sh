#!/bin/sh
# SPDX-License-Identifier: MIT
# wine-emulator.sh - run a cross-compiled Windows program under Wine, as
# CMAKE_CROSSCOMPILING_EMULATOR (cmake/toolchain-mingw64.cmake).
#
#   wine-emulator.sh run  PREFIX WINE EXE [ARGS...]   run EXE, return its exit code
#   wine-emulator.sh init PREFIX WINE                 create the prefix, start the server
#   wine-emulator.sh stop PREFIX WINE                 stop the prefix's wineserver
#
# PREFIX is the build folder's own WINEPREFIX, WINE the wine64 binary.
set -u
mode=$1
prefix=$2
wine=$3
shift 3

if [ ! -x "$wine" ]; then
    echo "SKIP: wine64 is not installed (Debian package wine64)"
    exit 77
fi
export WINEPREFIX="$prefix"
export WINEDEBUG=-all
# No Mono or Gecko download prompts when the prefix is created.
export WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=wineserver

case $mode in
stop)
    "$wineserver" -k >/dev/null 2>&1
    exit 0
    ;;
esac

# A wineserver that outlives each program (60 s after the last Windows
# process), started with its output away from ctest's pipes: otherwise
# every run pays for a fresh server and its services, and ctest waits for
# the server to close the output it inherited. A second start while one
# runs for this prefix just fails, which is what we want.
mkdir -p "$prefix"
"$wineserver" -p60 </dev/null >/dev/null 2>&1

case $mode in
init)
    # The first start of a prefix builds it (about 15 s); wineboot waits
    # until it is done. A prefix that is there is kept, but a program is
    # still run here: Wine's own services (services.exe, explorer.exe...)
    # start with the first program and inherit its output, and ctest
    # would wait for them to close it if that program were a test case.
    if [ -f "$prefix/system.reg" ]; then
        set -- cmd.exe /c exit 0
    else
        set -- wineboot -u
    fi
    if ! "$wine" "$@" >"$prefix/init.log" 2>&1 </dev/null; then
        cat "$prefix/init.log"
        echo "wine could not start in the prefix $prefix"
        exit 1
    fi
    echo "Wine prefix ready: $prefix ($("$wine" --version 2>/dev/null))"
    exit 0
    ;;
run)
    exec "$wine" "$@"
    ;;
esac
echo "usage: $0 run|init|stop PREFIX WINE [EXE ARGS...]" >&2
exit 2
