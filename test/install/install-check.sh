#!/bin/sh
# SPDX-License-Identifier: MIT
# install-check.sh BUILD-DIR SOURCE-DIR - install mmf into a private prefix
# and build programs against it with pkg-config and with find_package.
set -eu
build=$1
src=$2
prefix=$(mktemp -d /tmp/mmf-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
test -f "$prefix/include/mmf.h"
test -f "$prefix/include/mmf/win32.h"
test -f "$prefix/include/mmf/compat/windows.h"
test -f "$prefix/include/mmf/compat/Windows.h"
pc=$(find "$prefix" -name mmf.pc | head -n 1)
test -n "$pc"

if command -v pkg-config >/dev/null 2>&1; then
    export PKG_CONFIG_PATH=$(dirname "$pc")
    libdir=$(pkg-config --variable=libdir mmf)
    # shellcheck disable=SC2046
    cc -o "$prefix/consumer_pc" "$src/test/install/consumer.c" \
        $(pkg-config --cflags --libs mmf) -Wl,-rpath,"$libdir"
    "$prefix/consumer_pc"
    # A Windows program: #include <windows.h> with only the mmf-win32 flags.
    # shellcheck disable=SC2046
    cc -o "$prefix/consumer_win32_pc" "$src/test/install/consumer_win32.c" \
        $(pkg-config --cflags --libs mmf-win32) -Wl,-rpath,"$libdir"
    "$prefix/consumer_win32_pc"
    # The classic programs, unchanged, as C++ with UNICODE. Run alone,
    # Process 2 finds no mapping: error 2, as on Windows.
    if command -v c++ >/dev/null 2>&1; then
        for prog in process1 process2; do
            # shellcheck disable=SC2046
            c++ -DUNICODE -o "$prefix/$prog" "$src/facade/examples/$prog.cpp" \
                $(pkg-config --cflags --libs mmf-win32) -Wl,-rpath,"$libdir"
        done
        out=$(MMF_STORE_DIR="$prefix" "$prefix/process2" || true)
        case $out in
        *"(2)"*) ;;
        *) echo "process2 alone: unexpected output: $out"; exit 1 ;;
        esac
    fi
else
    echo "pkg-config not found: skipping the pkg-config consumer"
fi

cmake -S "$src/test/install" -B "$prefix/consumer-build" \
    -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer-build" >/dev/null
"$prefix/consumer-build/consumer_shared"
"$prefix/consumer-build/consumer_static"
"$prefix/consumer-build/consumer_win32_shared"
"$prefix/consumer-build/consumer_win32_static"
# The mmf tool is installed and runs from the prefix (it finds the library
# next to it).
"$prefix/bin/mmf" --help >/dev/null
"$prefix/bin/mmf" ls >/dev/null
# Its manual page and bash completion.
test -f "$prefix/share/man/man1/mmf.1"
test -f "$prefix/share/bash-completion/completions/mmf"
echo "install-check: ok"
