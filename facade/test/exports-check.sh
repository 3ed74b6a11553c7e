#!/bin/sh
# SPDX-License-Identifier: MIT
# exports-check.sh SHARED-LIB STATIC-LIB SOURCE-DIR - the façade's libraries
# expose the Win32 API and nothing else.
#
#  1. SHARED-LIB (libmmf_win32.so) exports, in its dynamic symbol table
#     (objdump -T), exactly the functions that the public headers declare
#     MMF_WIN32_API, each in the version node MMF_WIN32_1.0.
#  2. STATIC-LIB (libmmf_win32.a) defines no external name (nm -g) other
#     than those functions and the façade's internals, which must be named
#     mmf__w32_*: in a static link they share the program's namespace.
#
# Exit 0 if both hold, 1 with the offending names if not, 77 (skipped)
# without objdump or nm.
set -eu
shared=$1
static=$2
src=$3

for tool in objdump nm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found (Debian package binutils)"
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmf-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# What the headers declare: the name before the "(" of every declaration
# that starts with MMF_WIN32_API (declarations may span lines).
cat "$src/include/mmf/win32.h" "$src/include/mmf/win32_crt.h" \
    "$src/include/mmf/compat/conio.h" | grep -v '^[[:space:]]*#' | tr '\n' ' ' |
    grep -o 'MMF_WIN32_API[^(;]*(' | sed 's/[[:space:]]*($//; s/.*[^A-Za-z0-9_]//' |
    sort -u >"$tmp/declared"
if [ ! -s "$tmp/declared" ]; then
    echo "no MMF_WIN32_API declaration found under $src/include"
    exit 1
fi

# 1. The dynamic symbols the library defines: "name version" per line. The
# version node's own definition (an *ABS* symbol) is not an export.
objdump -T "$shared" | awk '/^[0-9a-f]+ / && !/\*UND\*/ && !/\*ABS\*/ {
    print $NF, $(NF - 1) }' | sort >"$tmp/exported"
fail=0
cut -d' ' -f1 "$tmp/exported" | sort -u >"$tmp/exported-names"
extra=$(comm -13 "$tmp/declared" "$tmp/exported-names")
missing=$(comm -23 "$tmp/declared" "$tmp/exported-names")
unversioned=$(awk '$2 != "MMF_WIN32_1.0" { print }' "$tmp/exported")
if [ -n "$extra" ]; then
    echo "$shared exports names that no public header declares MMF_WIN32_API:"
    echo "$extra" | sed 's/^/  /'
    fail=1
fi
if [ -n "$missing" ]; then
    echo "$shared does not export these declared functions (add them to"
    echo "facade/src/mmf_win32.map):"
    echo "$missing" | sed 's/^/  /'
    fail=1
fi
if [ -n "$unversioned" ]; then
    echo "$shared exports names outside the version node MMF_WIN32_1.0:"
    echo "$unversioned" | sed 's/^/  /'
    fail=1
fi

# 2. The static library's external definitions.
nm -g --defined-only "$static" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/static"
stray=$(comm -23 "$tmp/static" "$tmp/declared" | grep -v '^mmf__w32_' || true)
if [ -n "$stray" ]; then
    echo "$static defines external names that are neither Win32 API nor mmf__w32_*:"
    echo "$stray" | sed 's/^/  /'
    fail=1
fi

if [ $fail -eq 0 ]; then
    echo "exports: $(wc -l <"$tmp/declared") Win32 names in MMF_WIN32_1.0, nothing else;" \
        "internals are mmf__w32_*"
fi
exit $fail
