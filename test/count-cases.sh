#!/bin/sh
# SPDX-License-Identifier: MIT
# count-cases.sh BUILD-DIR [--failed]
#
# The cases of the last ctest run in BUILD-DIR (its
# Testing/Temporary/LastTest.log): how many passed, failed and were
# skipped, and the skips grouped by the reason they printed ("SKIP: ...").
# With --failed, also each failed case with the first line it printed
# (a FAIL line when there is one). docs/windows.md's counts come from it.
set -u
log=${1:?usage: count-cases.sh BUILD-DIR [--failed]}/Testing/Temporary/LastTest.log
failed=${2:-}
[ -f "$log" ] || { echo "no ctest run in $1 ($log)" >&2; exit 2; }
awk -v show_failed="$failed" '
/^[0-9]+\/[0-9]+ Testing: / { name = $3; skip = ""; first = ""; fail = ""; next }
/^SKIP: / { if (skip == "") skip = substr($0, 7) }
/^FAIL / { if (fail == "") fail = $0 }
/^Output:$/ { inout = 1; next }
/^<end of output>$/ { inout = 0; next }
inout && first == "" && $0 !~ /^-+$/ && $0 != "" { first = $0 }
/^Test Passed\./ { if (skip != "") { s++; reason[skip]++ } else p++ }
/^Test Failed\./ { f++; why[name] = fail != "" ? fail : first }
END {
    printf "%d cases: %d passed, %d failed, %d skipped\n", p + f + s, p, f, s
    if (s > 0) {
        print "skipped, by reason:"
        for (k in reason) printf "%5d  %s\n", reason[k], k | "sort -rn"
        close("sort -rn")
    }
    if (show_failed == "--failed" && f > 0) {
        print "failed:"
        for (k in why) printf "  %s: %s\n", k, why[k] | "sort"
        close("sort")
    }
}' "$log"
