#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-win32.sh [BUILD-DIR] [ITERATIONS] - run facade/bench/bench_win32.c natively
# (against the mmf Win32 façade) and, when x86_64-w64-mingw32-gcc and Wine
# are installed, built with MinGW-w64 under Wine; print both results and the
# ratio Wine / native for each loop. `make bench-win32` runs it.
#
# Wine gets its own prefix in BUILD-DIR/wineprefix-bench (made on first
# use, which takes several seconds) and WINEDEBUG=-all. Without MinGW or
# Wine only the native side runs (exit 0, with a note).
set -eu
build=${1:-build}
iterations=${2:-20000}
src=$(cd "$(dirname "$0")" && pwd)
native=$build/facade/bench/bench_win32
exe=$build/facade/bench/bench_win32.exe

if [ ! -x "$native" ]; then
    echo "bench-win32: $native is not built (run make first)" >&2
    exit 1
fi

out_native=$("$native" "$iterations")
echo "$out_native" | grep -v '^RESULT'

wine=
for w in wine64 /usr/lib/wine/wine64 wine; do
    if command -v "$w" >/dev/null 2>&1; then
        wine=$w
        break
    fi
done
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || [ -z "$wine" ]; then
    echo
    echo "bench-win32: x86_64-w64-mingw32-gcc or wine64 not found: native side only"
    echo "(apt-get install gcc-mingw-w64-x86-64 wine64)"
    exit 0
fi

x86_64-w64-mingw32-gcc -O2 -Wall -o "$exe" "$src/bench_win32.c"
export WINEPREFIX
WINEPREFIX=$(cd "$build" && pwd)/wineprefix-bench
export WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
# The first start of a prefix sets it up; do it before timing anything.
"$wine" cmd /c exit >/dev/null 2>&1 || true
echo
out_wine=$("$wine" "$exe" "$iterations" | tr -d '\r')
echo "$out_wine" | grep -v '^RESULT'

echo
echo "Wine / native (higher is better for the façade; goal >= 5):"
for loop in map pingpong; do
    n=$(echo "$out_native" | awk -v l="$loop" '$1 == "RESULT" && $2 == l { print $3 }')
    w=$(echo "$out_wine" | awk -v l="$loop" '$1 == "RESULT" && $2 == l { print $3 }')
    awk -v l="$loop" -v n="$n" -v w="$w" 'BEGIN {
        printf "  %-9s native %10.0f ns   wine %10.0f ns   ratio %6.1f\n", l, n, w, w / n }'
done
"$wine"server -k >/dev/null 2>&1 || wineserver -k >/dev/null 2>&1 || true
