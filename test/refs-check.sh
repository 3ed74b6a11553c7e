#!/bin/sh
# SPDX-License-Identifier: MIT
# refs-check.sh SOURCE-DIR - every file a comment or document cites, and
# every behaviour id, is in the repository.
#
# Scans the repository's text files (sources, headers, scripts, build files,
# documents) for:
#
#  1. paths into the repository: a word that starts with one of its top-level
#     folders (src, test, docs, facade, include, ...) and a slash, such as
#     the path of this script. The file or folder must exist. A path that
#     goes on into a pattern (a "*", "<" or "{" right after it) is not
#     checked, and neither is one that follows a "/" or a "$" (a path in
#     some other tree, such as a build or install folder).
#  2. document names: a word ending in ".md", alone or at the end of a
#     path. Some file of the repository must have that name (so a path into
#     a folder outside the repository, such as shared/x.md, is caught too).
#  3. behaviour ids: W32T(B02), [B02] and a bare B02 (a capital A to W and
#     two digits). docs/win32-behaviour.md must have a heading for it
#     ("### B02").
#
# Exit 0 when everything resolves; 1, listing file:line and the reference,
# when something does not. `refs-check.sh --self-test` runs the check on a
# small tree with one bad reference of each kind and fails unless all of
# them are found.
set -eu

usage() {
    echo "usage: $0 SOURCE-DIR | --self-test" >&2
    exit 2
}
[ $# -eq 1 ] || usage

# Paths that are cited before they exist, on purpose: the Windows backend
# that the top-level CMakeLists.txt and src/os.h announce.
planned="src/win/"

# check ROOT: print the unresolved references, return 1 if there are any.
check() {
    root=$1
    doc=$root/docs/win32-behaviour.md
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmf-refs.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT

    # The text files: git's list in a checkout, else a walk that skips
    # build trees. This script is left out: its self-test holds bad
    # references on purpose.
    if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$root" && git ls-files --cached --others --exclude-standard)
    else
        (cd "$root" && find . -path './build*' -prune -o -path './.git' -prune -o \
            -type f -print | sed 's|^\./||')
    fi | sort -u >"$tmp/listed"
    # Only files that exist (a deletion not yet committed).
    (cd "$root" && while IFS= read -r f; do
        [ -f "$f" ] && echo "$f"
    done) <"$tmp/listed" >"$tmp/all"
    grep -E '\.(c|h|cpp|md|sh|txt|cmake|in|map)$|(^|/)(Makefile|CMakeLists\.txt|run)$' \
        "$tmp/all" | grep -v '^test/refs-check\.sh$' >"$tmp/present" || true
    # Every file's name, for the .md check; the top-level folders that hold
    # files, for the path check.
    sed 's|.*/||' "$tmp/all" | sort -u >"$tmp/basenames"
    grep / "$tmp/all" | sed 's|/.*||' | sort -u >"$tmp/topdirs"
    if [ -f "$doc" ]; then
        grep -oE '^#{2,4} [A-W][0-9]{2}\b' "$doc" | sed 's/^#* //' | sort -u >"$tmp/ids"
    else
        : >"$tmp/ids"
    fi

    # One line per reference: "kind<TAB>reference<TAB>file:line".
    # shellcheck disable=SC2046
    (cd "$root" && awk -v topdirs="$tmp/topdirs" '
        BEGIN {
            while ((getline d < topdirs) > 0)
                top[d] = 1
        }
        function prev(line, off, start) {
            return off + start - 1 > 0 ? substr(line, off + start - 1, 1) : ""
        }
        {
            line = $0
            where = FILENAME ":" FNR
            # 1. Paths into the repository: a file with an extension, or
            # a folder written with its trailing slash.
            rest = line
            off = 0
            while (match(rest, /[.A-Za-z0-9_-]+\/[A-Za-z0-9_.\/-]*/)) {
                tok = substr(rest, RSTART, RLENGTH)
                before = prev(line, off, RSTART)
                after = substr(rest, RSTART + RLENGTH, 1)
                off += RSTART + RLENGTH - 1
                rest = substr(rest, RSTART + RLENGTH)
                if (before ~ /[\/$A-Za-z0-9_.-]/ || after ~ /[*<{$(]/)
                    continue
                sub(/[.]+$/, "", tok)
                first = tok
                sub(/\/.*/, "", first)
                if (!(first in top))
                    continue
                last = tok
                sub(/.*\//, "", last)
                if (last != "" && last !~ /[.][A-Za-z0-9]+$/)
                    continue
                printf "path\t%s\t%s\n", tok, where
            }
            # 2. Document names on their own.
            rest = line
            off = 0
            while (match(rest, /[A-Za-z0-9_.-]+\.md/)) {
                tok = substr(rest, RSTART, RLENGTH)
                before = prev(line, off, RSTART)
                after = substr(rest, RSTART + RLENGTH, 1)
                off += RSTART + RLENGTH - 1
                rest = substr(rest, RSTART + RLENGTH)
                if (after ~ /[A-Za-z0-9_*]/)
                    continue
                printf "doc\t%s\t%s\n", tok, where
            }
            # 3. Behaviour ids.
            rest = line
            off = 0
            while (match(rest, /[A-W][0-9][0-9]/)) {
                tok = substr(rest, RSTART, RLENGTH)
                before = prev(line, off, RSTART)
                after = substr(rest, RSTART + RLENGTH, 1)
                off += RSTART + RLENGTH - 1
                rest = substr(rest, RSTART + RLENGTH)
                if (before ~ /[A-Za-z0-9_]/ || after ~ /[A-Za-z0-9_]/)
                    continue
                printf "id\t%s\t%s\n", tok, where
            }
        }' $(cat "$tmp/present")) >"$tmp/refs"

    # Which references do not resolve. A path may be written from the root
    # or from a folder that holds the citing file (src/x.c in facade/...);
    # a folder resolves when it holds a file of the list.
    tab=$(printf '\t')
    awk '{ print; p = $0; while (sub(/\/[^\/]*$/, "", p)) print p "/" }' \
        "$tmp/all" | sort -u >"$tmp/known"
    for p in $planned; do
        echo "$p" >>"$tmp/known"
    done
    grep "^path$tab" "$tmp/refs" | cut -f2,3 | sed 's/:[0-9]*$//' | sort -u |
        awk -F "$tab" -v known="$tmp/known" '
            BEGIN {
                while ((getline k < known) > 0)
                    have[k] = 1
            }
            {
                ref = $1
                dir = $2
                ok = ref in have
                while (!ok && sub(/\/[^\/]*$/, "", dir))
                    ok = (dir "/" ref) in have
                if (!ok)
                    printf "path\t%s\t%s\n", ref, $2
            }' >"$tmp/bad-keys"
    grep "^doc$tab" "$tmp/refs" | cut -f2 | sort -u | comm -23 - "$tmp/basenames" |
        sed "s/^/doc$tab/" >>"$tmp/bad-keys"
    grep "^id$tab" "$tmp/refs" | cut -f2 | sort -u | comm -23 - "$tmp/ids" |
        sed "s/^/id$tab/" >>"$tmp/bad-keys"
    awk -F "$tab" -v keys="$tmp/bad-keys" '
        BEGIN {
            while ((getline k < keys) > 0) {
                split(k, f, "\t")
                if (f[1] == "path")
                    bad["path\t" f[2] "\t" f[3]] = 1
                else
                    bad[f[1] "\t" f[2]] = 1
            }
        }
        {
            file = $3
            sub(/:[0-9]+$/, "", file)
            if (($1 == "path" && (("path\t" $2 "\t" file) in bad)) ||
                ($1 != "path" && (($1 "\t" $2) in bad))) {
                if ($1 == "path")
                    why = "no such file or folder in the repository"
                else if ($1 == "doc")
                    why = "no document of that name in the repository"
                else
                    why = "no heading \"### " $2 "\" in docs/win32-behaviour.md"
                printf "%s: %s: %s\n", $3, $2, why
            }
        }' "$tmp/refs" >"$tmp/bad"

    n=$(grep -c . "$tmp/refs" || true)
    if [ -s "$tmp/bad" ]; then
        cat "$tmp/bad"
        echo "refs-check: $(grep -c . "$tmp/bad") of $n references do not resolve"
        return 1
    fi
    echo "refs-check: all $n references resolve"
    return 0
}

if [ "$1" = "--self-test" ]; then
    t=$(mktemp -d "${TMPDIR:-/tmp}/mmf-refs-self.XXXXXX")
    trap 'rm -rf "$t"' EXIT
    mkdir -p "$t/docs" "$t/src"
    printf '# x\n\n### B02\nok\n' >"$t/docs/win32-behaviour.md"
    cat >"$t/src/a.c" <<'EOF'
/* Good: src/a.c, docs/win32-behaviour.md, win32-behaviour.md, B02,
 * W32T(B02), [B02], src/<os>/, $(BUILD)/src/x.c, build/src/y.c, sys/stat.h,
 * C11 is not cited here (this line is checked, so it must not say so). */
/* Bad: src/missing.c, docs/missing.md, DESIGN.md, B03, W32T(B04), [B05] */
EOF
    sed -i 's/C11 is not cited/the C standard is not cited/' "$t/src/a.c"
    out=$(sh "$0" "$t" 2>&1) && {
        echo "self-test: the check passed a tree with bad references:"
        echo "$out"
        exit 1
    }
    for want in src/missing.c docs/missing.md DESIGN.md B03 B04 B05; do
        if ! echo "$out" | grep -q "$want"; then
            echo "self-test: $want was not reported:"
            echo "$out"
            exit 1
        fi
    done
    bad=$(echo "$out" | grep -c 'no such\|no document\|no heading' || true)
    # Six bad references; docs/missing.md also as a document name.
    if [ "$bad" -ne 7 ]; then
        echo "self-test: expected 7 unresolved references, got:"
        echo "$out"
        exit 1
    fi
    echo "self-test: every bad reference found, no good one reported"
    exit 0
fi

check "$1"
