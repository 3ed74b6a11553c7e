#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - run the ring example: a consumer process and a producer process
# exchange numbered messages through the ring "mmf-example-ring".
# Usage: demo.sh [DIR-WITH-RING-PROGRAMS [COUNT [NAME]]]
set -u
dir=${1:-build/examples/ring}
count=${2:-1000000}
name=${3:-mmf-example-ring}

echo "== starting the consumer; it waits for messages"
"$dir/ring_consumer" -n "$name" &
consumer=$!

echo "== starting the producer: $count messages"
"$dir/ring_producer" -n "$name" -c "$count"
producer_rc=$?
wait $consumer
consumer_rc=$?
if [ $producer_rc -eq 0 ] && [ $consumer_rc -eq 0 ]; then
    echo "== done: every message arrived, in order"
    exit 0
fi
echo "== demo FAILED (producer $producer_rc, consumer $consumer_rc)"
exit 1
