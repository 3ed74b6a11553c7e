#!/bin/sh
# SPDX-License-Identifier: MIT
# Smoke check of the channel benchmark, without ctest: a quick run (about
# 20 s) into a scratch folder must finish, deliver every message intact
# (chanbench exits 1 otherwise), write a table with a row for every
# system, and leave nothing behind in /dev/shm or /tmp.
#   sh bench/channels/smoke.sh [build-dir]
# Exit 0 on success, 1 on failure, 77 when chanbench is not built.
set -u
build=${1:-build}
bin=$build/bench/channels/chanbench
if [ ! -x "$bin" ]; then
    echo "smoke: $bin is not built (make build)"
    exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
shm_before=$(ls /dev/shm | sort)
fail=0

MMF_BENCH_QUICK=1 MMF_BENCH_OUT="$out" "$bin" --data "$out" >"$out/log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    echo "smoke: chanbench exited with $rc:"
    tail -20 "$out/log"
    fail=1
fi
md=$out/channels.md
if [ ! -s "$md" ]; then
    echo "smoke: no table written"
    fail=1
else
    for section in "## One-way latency" "## Throughput, zero-copy variant" \
        "## Throughput, copy variant" "## Goals"; do
        grep -q "^$section" "$md" || { echo "smoke: '$section' missing"; fail=1; }
    done
    # Every system of the registry has a row (measured or skipped).
    "$bin" --list | grep -v "on request only" | while read -r name label; do
        label=${label% \[not built\]}
        grep -qF "| $label |" "$md" || { echo "smoke: no row for $name ($label)"; exit 1; }
    done || fail=1
    if grep -q "FAILED" "$md"; then
        echo "smoke: a run failed:"
        grep "FAILED" "$md" | head -5
        fail=1
    fi
fi
shm_after=$(ls /dev/shm | sort)
if [ "$shm_before" != "$shm_after" ] && ls /dev/shm | grep -q -e chanbench -e iceoryx; then
    echo "smoke: left in /dev/shm:"
    ls /dev/shm | grep -e chanbench -e iceoryx
    fail=1
fi
if [ $fail -eq 0 ]; then
    echo "smoke: 1 passed, 0 failed"
    exit 0
fi
echo "smoke: 0 passed, 1 failed"
exit 1
