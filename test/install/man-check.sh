#!/bin/sh
# SPDX-License-Identifier: MIT
# man-check.sh BUILD-DIR SOURCE-DIR CHECK - the manual pages: mmf(1)
# (man/mmf.1) and the section 3 pages that man/gen-man3.sh writes from
# include/mmf.h. CHECK is one of:
#
#   names     every MMF_API function of the header has a page under its
#             name that resolves (a link page names a real page) to a page
#             whose NAME and SYNOPSIS have it, and no page names a function
#             the header does not have;
#   follows   the generator run on a changed header (every function
#             renamed, one part moved to the end) gives pages for the new
#             names, the same check, and none for the old ones;
#   render    every page, mmf(1) included, renders without a groff warning (groff -ww, and
#             man --warnings where man is there); exit 77 without groff;
#   install   after cmake --install into a private prefix, man finds
#             mmf(1), mmf_section_create, mmf_ring_reserve and mmf(3) there and
#             shows the page a link leads to; exit 77 without man.
set -eu
build=$1
src=$2
check=$3
pages=$build/man
header=$src/include/mmf.h

work=$(mktemp -d /tmp/mmf-man.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() {
    echo "$*" >&2
    exit 1
}

# The MMF_API functions of a header, one a line: the name before the
# first "(" of each prototype, which may span lines.
functions() {
    awk '/^MMF_API[ \t]/ { p = 1; s = "" }
         p { s = s " " $0
             if (index($0, ";") > 0) {
                 sub(/\(.*/, "", s)
                 n = split(s, w, /[^A-Za-z0-9_]+/)
                 while (n > 0 && w[n] == "") n--
                 print w[n]
                 p = 0
             } }' "$1" | sort -u
}

# The page a name leads to, following one level of ".so man3/x.3".
resolve() {
    f=$1/man3/$2.3
    [ -f "$f" ] || return 1
    so=$(sed -n '1s/^\.so man3\/\(.*\)$/\1/p' "$f")
    if [ -n "$so" ]; then
        f=$1/man3/$so
        [ -f "$f" ] || return 1
        if grep -q '^\.so' "$f"; then
            return 1 # a link to a link
        fi
    fi
    echo "$f"
}

# check_names MAN-DIR HEADER
check_names() {
    dir=$1
    functions "$2" > "$work/header.names"
    [ -s "$work/header.names" ] || fail "no MMF_API function found in $2"
    [ -f "$dir/man3/mmf.3" ] || fail "no mmf(3) in $dir/man3"
    while read -r fn; do
        page=$(resolve "$dir" "$fn") || fail "man $fn: no page, or a broken link"
        # NAME lists it ("a, b, c \- what"), SYNOPSIS declares it (the
        # name bold, then its parameters).
        awk -v fn="$fn" '
            /^\.SH / { sect = $2; next }
            sect == "NAME" { n = split($0, w, /[ ,]+/)
                             for (i = 1; i <= n; i++) if (w[i] == fn) named = 1 }
            sect == "SYNOPSIS" && index($0, "\\fB" fn "\\fP(") > 0 { declared = 1 }
            END { exit !(named && declared) }' "$page" ||
            fail "$page does not list $fn in its NAME and SYNOPSIS"
    done < "$work/header.names"
    # No page names a function the header does not declare: every name
    # in a NAME line is one of the header's, or the page's own (a part
    # without functions, such as an overview of its sub-parts).
    for page in "$dir"/man3/*.3; do
        grep -q '^\.so' "$page" && continue
        own=$(basename "$page" .3)
        awk '/^\.SH NAME/ { getline; sub(/ \\-.*/, ""); gsub(/,/, " "); print }' "$page" |
            tr ' ' '\n' | while read -r name; do
            [ -n "$name" ] && [ "$name" != "$own" ] || continue
            grep -qx "$name" "$work/header.names" ||
                fail "$page: its NAME lists $name, which the header does not declare"
        done
    done
}

case $check in
names)
    [ -d "$pages/man3" ] || fail "no pages in $pages/man3: build the man3 target"
    check_names "$pages" "$header"
    echo "man-check names: $(wc -l < "$work/header.names") functions, each with its page"
    ;;
follows)
    # Every function renamed (mmf_x -> mmf_x_v2), and the part whose
    # heading is the third of the header moved to the end, before the
    # closing lines.
    sed 's/\(mmf_[a-z0-9_]*\)(/\1_v2(/g' "$header" > "$work/renamed.h"
    awk '
        { line[NR] = $0 }
        /^\/\* -+ \*\/$/ { rule[++nr] = NR }
        /^#ifdef __cplusplus$/ { closing = NR }
        /^#endif/ { last_endif = NR }
        END {
            # two rules around each title: the third part starts at
            # rule 5 and ends before rule 7
            from = rule[5]; to = rule[7] - 1
            # before the closing extern "C" block, or else the last #endif
            if (closing < to) closing = last_endif
            if (from == 0 || to <= from || closing == 0) exit 1
            for (i = 1; i < from; i++) print line[i]
            for (i = to + 1; i < closing; i++) print line[i]
            for (i = from; i <= to; i++) print line[i]
            for (i = closing; i <= NR; i++) print line[i]
        }' "$work/renamed.h" > "$work/mmf.h" || fail "cannot move a part in a copy of $header"
    if cmp -s "$work/mmf.h" "$work/renamed.h"; then
        fail "the changed header is the same"
    fi
    sh "$src/man/gen-man3.sh" "$work/mmf.h" "$work/out" 0.0.0
    check_names "$work/out" "$work/mmf.h"
    # The old names are gone.
    functions "$header" | while read -r fn; do
        if [ -e "$work/out/man3/$fn.3" ]; then
            fail "a page for $fn, which the changed header renamed"
        fi
    done
    # Written again into the same folder, nothing of the first run stays.
    sh "$src/man/gen-man3.sh" "$header" "$work/out" 0.0.0
    if [ -e "$work/out/man3/$(head -n 1 "$work/header.names").3" ]; then
        fail "a second run left the pages of the first"
    fi
    echo "man-check follows: renamed and moved functions have their pages"
    ;;
render)
    if ! command -v groff >/dev/null 2>&1; then
        echo "SKIP: groff not found"
        exit 77
    fi
    [ -d "$pages/man3" ] || fail "no pages in $pages/man3: build the man3 target"
    n=0
    mkdir -p "$work/man1"
    cp "$src/man/mmf.1" "$work/man1/mmf.1"
    for page in "$work/man1/mmf.1" "$pages"/man3/*.3; do
        case $page in
        "$work"/*) top=$work ;;
        *) top=$pages ;;
        esac
        rel=$(basename "$(dirname "$page")")/$(basename "$page")
        # From the top of the tree, as man runs it: ".so man3/x.3".
        (cd "$top" && groff -s -ww -man -Tutf8 -z "$rel") > "$work/out" 2>&1 ||
            fail "groff failed on $rel: $(cat "$work/out")"
        if [ -s "$work/out" ]; then
            fail "groff warns on $rel: $(cat "$work/out")"
        fi
        if command -v man >/dev/null 2>&1 && ! grep -q '^\.so' "$page"; then
            (cd "$top" && MANWIDTH=80 man --warnings -l "$rel") > /dev/null 2> "$work/out" ||
                fail "man -l $rel failed: $(cat "$work/out")"
            if [ -s "$work/out" ]; then
                fail "man --warnings warns on $rel: $(cat "$work/out")"
            fi
        fi
        n=$((n + 1))
    done
    echo "man-check render: $n pages without a warning"
    ;;
install)
    if ! command -v man >/dev/null 2>&1; then
        echo "SKIP: man not found"
        exit 77
    fi
    cmake --install "$build" --prefix "$work/prefix" >/dev/null
    mandir=$(find "$work/prefix" -type d -name man3 | head -n 1)
    [ -n "$mandir" ] || fail "no man3 folder installed"
    MANPATH=$(dirname "$mandir")
    export MANPATH
    for args in "1 mmf" "mmf_section_create" "mmf_ring_reserve" "3 mmf"; do
        # shellcheck disable=SC2086
        where=$(man -w $args) || fail "man -w $args finds nothing in $MANPATH"
        case $where in
        "$MANPATH"/*) ;;
        *) fail "man -w $args: $where, not in $MANPATH" ;;
        esac
    done
    # The link page shows the page it leads to.
    MANWIDTH=80 man -P cat mmf_ring_reserve 2>/dev/null > "$work/shown"
    grep -q 'mmf_ring_commit' "$work/shown" ||
        fail "man mmf_ring_reserve does not show the ring page"
    echo "man-check install: man finds the installed pages in $MANPATH"
    ;;
*)
    fail "unknown check $check"
    ;;
esac
