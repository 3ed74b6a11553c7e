#!/bin/sh
# SPDX-License-Identifier: MIT
# subproject-check.sh SOURCE-DIR - use mmf from a parent CMake project
# through add_subdirectory: the parent gets mmf::mmf to link, and none of
# mmf's tests, programs or install rules.
set -eu
src=$1
work=$(mktemp -d /tmp/mmf-subproject.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir "$work/parent"
cp "$src/test/install/consumer.c" "$work/parent/app.c"
cat > "$work/parent/CMakeLists.txt" <<EOT
cmake_minimum_required(VERSION 3.20)
project(parent C)
enable_testing()
add_subdirectory("$src" mmf)
add_executable(app app.c)
target_link_libraries(app PRIVATE mmf::mmf)
add_test(NAME parent.app COMMAND app)
EOT
cmake -S "$work/parent" -B "$work/build" >/dev/null
cmake --build "$work/build" -j 2 --target app >/dev/null
MMF_STORE_DIR="$work" "$work/build/app"
# The parent's own test, and no other.
tests=$(ctest --test-dir "$work/build" -N | sed -n 's/^Total Tests: //p')
if [ "$tests" != 1 ]; then
    echo "the parent sees $tests tests, not its 1" >&2
    exit 1
fi
# Nothing of mmf's is built by default, beyond the libraries.
for t in mmf_cli writer reader test-section bench_sync; do
    if cmake --build "$work/build" --target help | grep -q "\.\.\. $t\$"; then
        echo "the parent got mmf's target $t" >&2
        exit 1
    fi
done
# And no install rules.
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null
if [ -d "$work/prefix" ] && [ -n "$(find "$work/prefix" -type f)" ]; then
    echo "installing the parent installed mmf's files:" >&2
    find "$work/prefix" -type f >&2
    exit 1
fi
echo "subproject: 1 test, no mmf targets beyond the libraries, nothing installed"
