#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh [BIN-DIR] - the two classic Windows shared-memory programs, run as
# on Windows, first one after the other, then overlapping. It shows what
# they print and checks that they behave as they do on Windows:
#
#  1. Sequential: Process 1 gets its key at once, so it unmaps and closes
#     before Process 2 starts. Its close was the last handle, which
#     destroys the object: Process 2 reports error 2
#     (ERROR_FILE_NOT_FOUND) and exits with 1.
#  2. Overlapping: Process 1 waits in _getch() on a standard input that
#     this script holds open; Process 2 runs meanwhile and prints the
#     message. Only then does the script "press a key" (write one byte)
#     and Process 1 ends.
#
# Exits 0 if both outcomes are right, 1 otherwise. BIN-DIR defaults to
# build/facade/examples. Set MMF_STORE_DIR to an absolute folder to keep the
# name "MyFileMapping" away from the default store (the test suite does).
set -eu
bin=${1:-build/facade/examples}
p1=$bin/process1
p2=$bin/process2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmf-win32-example.XXXXXX")
pid1=
cleanup() {
    [ -n "$pid1" ] && kill "$pid1" 2>/dev/null || true
    exec 3>&- 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
ok=1
[ -n "${MMF_STORE_DIR:-}" ] && mkdir -p "$MMF_STORE_DIR"

echo "== 1. Sequential: Process 1 to its end, then Process 2"
echo k | "$p1" | tee "$tmp/seq1"
rc2=0
"$p2" >"$tmp/seq2" || rc2=$?
cat "$tmp/seq2"
echo "(Process 2 exited with $rc2)"
if grep -q "Hello from Process 1" "$tmp/seq1" && [ "$rc2" = 1 ] &&
    grep -q "Could not open file mapping object (2)" "$tmp/seq2"; then
    echo "-> as on Windows: the object went with Process 1's last handle (error 2)"
else
    echo "-> WRONG: Process 2 should have reported error 2"
    ok=0
fi

echo
echo "== 2. Overlapping: Process 2 runs while Process 1 waits for its key"
mkfifo "$tmp/keys"
"$p1" <"$tmp/keys" >"$tmp/ovl1" &
pid1=$!
exec 3>"$tmp/keys" # Process 1's standard input stays open: no key yet
i=0
until grep -q "Press any key" "$tmp/ovl1" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 200 ] || ! kill -0 "$pid1" 2>/dev/null; then
        echo "-> WRONG: Process 1 did not get to its prompt"
        cat "$tmp/ovl1"
        exit 1
    fi
    sleep 0.05
done
cat "$tmp/ovl1"
rc2=0
"$p2" >"$tmp/ovl2" || rc2=$?
cat "$tmp/ovl2"
echo k >&3 # the key: Process 1 unmaps, closes and exits
exec 3>&-
wait "$pid1"
pid1=
if [ "$rc2" = 0 ] && grep -q "Process 2 read: Hello from Process 1" "$tmp/ovl2"; then
    echo "-> as on Windows: Process 2 read the message while Process 1 held the mapping"
else
    echo "-> WRONG: Process 2 should have printed the message"
    ok=0
fi

# Nothing is left behind: the last handle removed the name both times.
if [ -n "${MMF_STORE_DIR:-}" ] && [ -n "$(ls -A "$MMF_STORE_DIR")" ]; then
    echo "-> WRONG: left in the store: $(ls -A "$MMF_STORE_DIR")"
    ok=0
fi

[ "$ok" = 1 ] || exit 1
echo
echo "Both runs behave as on Windows."
