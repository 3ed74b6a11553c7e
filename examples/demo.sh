#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - run the classic text-sharing example: a writer process creates
# "MySharedMemory" and writes a greeting; a separate reader process opens it
# by name and prints it. Once both have exited the name is gone.
# Usage: demo.sh DIR-WITH-WRITER-AND-READER
set -u
dir=${1:-build/examples}

echo "== starting the writer (Process A)"
"$dir/writer" &
writer=$!

echo "== starting the reader (Process B), a separate process"
"$dir/reader" --wait
reader_rc=$?
wait $writer
writer_rc=$?

echo "== both have exited; opening \"MySharedMemory\" again:"
"$dir/reader"
again_rc=$?
if [ $writer_rc -eq 0 ] && [ $reader_rc -eq 0 ] && [ $again_rc -eq 1 ]; then
    echo "== as on Windows: the last handle closed, so the name is gone"
    exit 0
fi
echo "== demo FAILED (writer $writer_rc, reader $reader_rc, reopen $again_rc)"
exit 1
