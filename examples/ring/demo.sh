#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - run the ring example: a consumer process and a producer process
# exchange numbered messages through the ring "mmf-example-ring".
# Usage: demo.sh [DIR-WITH-RING-PROGRAMS [COUNT [NAME]]]
# MMF_RUN and MMF_EXE_SUFFIX as in examples/demo.sh (the Windows build).
set -u
run=${MMF_RUN:-}
exe=${MMF_EXE_SUFFIX:-}
dir=${1:-build/examples/ring}
count=${2:-1000000}
name=${3:-mmf-example-ring}

echo "== starting the consumer; it waits for messages"
$run "$dir/ring_consumer$exe" -n "$name" &
consumer=$!

echo "== starting the producer: $count messages"
$run "$dir/ring_producer$exe" -n "$name" -c "$count"
producer_rc=$?
wait $consumer
consumer_rc=$?
if [ $producer_rc -eq 0 ] && [ $consumer_rc -eq 0 ]; then
    echo "== done: every message arrived, in order"
    exit 0
fi
echo "== demo FAILED (producer $producer_rc, consumer $consumer_rc)"
exit 1
