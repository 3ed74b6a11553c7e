#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - run the classic text-sharing example: a writer process creates
# "MySharedMemory" and writes a greeting; a separate reader process opens it
# by name and prints it. Once both have exited the name is gone.
# Usage: demo.sh DIR-WITH-WRITER-AND-READER
# MMF_RUN is a command to run the programs with, MMF_EXE_SUFFIX their file
# name suffix: the Windows build runs them as "$MMF_RUN dir/writer.exe"
# under Wine (examples/CMakeLists.txt).
set -u
dir=${1:-build/examples}
run=${MMF_RUN:-}
exe=${MMF_EXE_SUFFIX:-}

echo "== starting the writer (Process A)"
$run "$dir/writer$exe" &
writer=$!

echo "== starting the reader (Process B), a separate process"
$run "$dir/reader$exe" --wait
reader_rc=$?
wait $writer
writer_rc=$?

echo "== both have exited; opening \"MySharedMemory\" again:"
$run "$dir/reader$exe"
again_rc=$?
if [ $writer_rc -eq 0 ] && [ $reader_rc -eq 0 ] && [ $again_rc -eq 1 ]; then
    echo "== as on Windows: the last handle closed, so the name is gone"
    exit 0
fi
echo "== demo FAILED (writer $writer_rc, reader $reader_rc, reopen $again_rc)"
exit 1
