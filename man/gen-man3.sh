#!/bin/sh
# SPDX-License-Identifier: MIT
# gen-man3.sh HEADER OUTDIR VERSION - write the section 3 manual pages of
# mmf from its header (see gen-man3.awk) into OUTDIR/man3, replacing what
# an earlier run left there: a function renamed in the header leaves no
# page behind under its old name.
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 HEADER OUTDIR VERSION" >&2
    exit 2
fi
header=$1
outdir=$2
version=$3
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$outdir"
tmp="$outdir/man3.new"
rm -rf "$tmp"
mkdir "$tmp"
# The C locale: awk works on bytes (gen-man3.awk escapes UTF-8 itself).
LC_ALL=C awk -v out="$tmp" -v version="$version" -f "$here/gen-man3.awk" "$header"
if [ ! -s "$tmp/mmf.3" ]; then
    echo "$0: no pages written from $header" >&2
    exit 1
fi
rm -rf "$outdir/man3"
mv "$tmp" "$outdir/man3"
