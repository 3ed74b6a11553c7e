#!/bin/sh
# SPDX-License-Identifier: MIT
# wine-run.sh - run the MinGW build of the Win32 conformance suite under Wine.
#
#   wine-run.sh init PREFIX WINE EXE           create/start the Wine prefix
#   wine-run.sh run  PREFIX WINE EXE SECTION   run one section of the suite
#   wine-run.sh stop PREFIX WINE EXE           stop the prefix's wineserver
#
# PREFIX is the suite's own WINEPREFIX (in the build folder), WINE the
# wine64 binary (empty when CMake found none), EXE the cross-compiled
# w32conf-mingw.exe (empty when there is no MinGW-w64 compiler). Every mode
# exits 77 (skipped) when either is missing: the suite cannot have run, so
# there is nothing to set up or stop either.
set -u
mode=$1
prefix=$2
wine=$3
exe=${4:-}
section=${5:-}

if [ -z "$wine" ] || [ ! -x "$wine" ]; then
    echo "SKIP: wine64 is not installed (Debian package wine64)"
    exit 77
fi
export WINEPREFIX="$prefix"
export WINEDEBUG=-all
# No Mono or Gecko download prompts when the prefix is created.
export WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=wineserver

if [ -z "$exe" ]; then
    echo "SKIP: no MinGW-w64 compiler (x86_64-w64-mingw32-gcc; Debian package gcc-mingw-w64-x86-64)"
    exit 77
fi

case $mode in
stop)
    "$wineserver" -k >/dev/null 2>&1
    exit 0
    ;;
esac

if [ ! -f "$exe" ]; then
    echo "SKIP: $exe was not built"
    exit 77
fi

# A wineserver that outlives each test (60 s after the last Windows
# process), started with its output away from ctest's pipes: otherwise
# every run pays for a fresh server and its services, and ctest waits for
# the server to close the output it inherited. A second start while one
# runs for this prefix just fails.
mkdir -p "$prefix"
"$wineserver" -p60 </dev/null >/dev/null 2>&1

case $mode in
init)
    # The first start of a prefix builds it (several seconds).
    "$wine" "$exe" --list >"$prefix/init.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        cat "$prefix/init.log"
        echo "wine could not start $exe (exit $rc)"
        exit 1
    fi
    echo "Wine prefix ready: $prefix ($(grep -c . "$prefix/init.log") tests)"
    exit 0
    ;;
run)
    exec "$wine" "$exe" "$section"
    ;;
esac
echo "usage: $0 init|run|stop PREFIX WINE EXE [SECTION]" >&2
exit 2
