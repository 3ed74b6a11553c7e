#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh MODEL.pml [VARIANT]: check one Promela model exhaustively with SPIN.
#
# The model says how it is checked, in two comment lines of its own:
#   /* pan: <flags for compiling pan.c> ; run: <flags for running pan> */
#   /* broken: NAME NAME ... */   (its deliberately broken variants)
#   /* configs: DEFINES | DEFINES ... */   (optional: one search each)
# Without VARIANT the model must verify: no error, and a complete search (a
# search cut short by the depth limit or the memory limit proves nothing).
# With VARIANT, spin is given -DBROKEN_<VARIANT>, and the check passes only
# if pan finds a counterexample: a model that can prove nothing fails.
# Exit 77 (skip) when spin or a C compiler is missing.
set -u
model=$1
variant=${2:-}

command -v spin >/dev/null 2>&1 || { echo "SKIP: spin is not installed"; exit 77; }
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || { echo "SKIP: no C compiler ($CC)"; exit 77; }
[ -r "$model" ] || { echo "run.sh: cannot read $model"; exit 2; }

line=$(grep -m1 '/\* pan:' "$model")
panflags=$(printf '%s\n' "$line" | sed -e 's/.*pan:\(.*\);.*run:.*/\1/')
runflags=$(printf '%s\n' "$line" | sed -e 's/.*run:\(.*\)\*\/.*/\1/')
case "$panflags" in *MEMLIM*) ;; *) panflags="$panflags -DMEMLIM=4096" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/mmf-verify.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
cp "$model" "$work/model.pml"
cd "$work" || exit 2

define=
[ -n "$variant" ] && define="-DBROKEN_$variant"

# One search per configuration the model lists in
#   /* configs: <spin defines> | <spin defines> ... */
# (none: one search). The model verifies when every search does; a broken
# variant is rejected when one of them finds a counterexample.
configs=$(grep -m1 '/\* configs:' model.pml | sed -e 's/.*configs:\(.*\)\*\/.*/\1/')
[ -n "$configs" ] || configs=" "
rejected=0
IFS='|'
for config in $configs; do
    unset IFS
    echo "spin -a $define$config $(basename "$model"); $CC -O2$panflags pan.c; ./pan$runflags"
    # shellcheck disable=SC2086
    spin -a $define $config model.pml >spin.out 2>&1 || { cat spin.out; exit 2; }
    # shellcheck disable=SC2086
    $CC -O2 -w $panflags -o pan pan.c || exit 2
    # shellcheck disable=SC2086
    ./pan $runflags >pan.out 2>&1
    cat pan.out

    errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' pan.out | tail -n 1)
    [ -n "$errors" ] || { echo "FAIL: pan did not finish"; exit 1; }

    if [ -n "$variant" ]; then
        if [ "$errors" -gt 0 ]; then
            echo "== counterexample (first steps):"
            # shellcheck disable=SC2086
            spin -t -p -g -l $define $config model.pml 2>&1 | head -n 60
            rejected=1
            break
        fi
        continue
    fi
    if [ "$errors" -ne 0 ]; then
        echo "== counterexample:"
        # shellcheck disable=SC2086
        spin -t -p -g -l $config model.pml 2>&1 | head -n 200
        echo "FAIL: $errors error(s)"
        exit 1
    fi
    if grep -q 'max search depth too small\|out of memory\|Search not completed' pan.out; then
        echo "FAIL: the search was incomplete"
        exit 1
    fi
done
unset IFS
if [ -n "$variant" ]; then
    if [ "$rejected" -eq 1 ]; then
        echo "PASS: broken variant $variant rejected"
        exit 0
    fi
    echo "FAIL: broken variant $variant was not rejected: the model proves nothing about it"
    exit 1
fi
echo "PASS"
