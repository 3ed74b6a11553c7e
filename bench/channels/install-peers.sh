#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the peer libraries the channel benchmark compares mmf with, and
# gnuplot for its plots, from Debian's packages. Run as root; does nothing
# when everything is there already. `make bench-channels` runs it first
# (as root, where apt-get exists); a peer that still is not installed
# afterwards is listed as skipped in the results.
#
#   libboost-dev                Boost.Interprocess (header-only)
#   libzmq3-dev                 ZeroMQ
#   iceoryx                     iox-roudi, iceoryx's daemon
#   libiceoryx-binding-c-dev    iceoryx's C binding
#   gnuplot-nox                 the plots
set -eu

PACKAGES="libboost-dev libzmq3-dev iceoryx libiceoryx-binding-c-dev gnuplot-nox"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "install-peers: all installed ($PACKAGES)"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-peers: missing:$missing (run as root on Debian to install them)" >&2
    exit 0
fi
echo "install-peers: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# One at a time, so that a package this Debian release lacks does not stop
# the others; the benchmark skips what is still missing.
for p in $missing; do
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null ||
        echo "install-peers: could not install $p; the benchmark will skip it" >&2
done
