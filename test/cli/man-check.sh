#!/bin/sh
# SPDX-License-Identifier: MIT
# mmf(1) renders without a single warning from man and groff, at 80
# columns. Skipped (77) where man or groff is not installed (Debian:
# man-db, groff-base).
#   man-check.sh MAN_PAGE
set -eu
page=$1
for tool in man groff; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if ! MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings -l "$page" >/dev/null 2>"$err"; then
    echo "FAIL: man could not render $page:"
    cat "$err"
    exit 1
fi
if [ -s "$err" ]; then
    echo "FAIL: $page renders with warnings:"
    cat "$err"
    exit 1
fi
echo "$page renders without warnings"
