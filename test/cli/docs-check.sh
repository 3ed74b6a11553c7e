#!/bin/sh
# SPDX-License-Identifier: MIT
# The tool's help is the one source the other descriptions of the command
# line follow: every command of `mmf --help` and every option of
# `mmf COMMAND --help` must be in the manual page (man/mmf.1: one .SS per
# command under COMMANDS), in docs/cli.md (one row per command in its
# Commands table) and in the bash completion (tools/mmf-completion.bash),
# and nothing else may be there; the global options (-h, --help, -V,
# --version) must be in all three.
#   docs-check.sh MMF SOURCE_DIR
set -eu
mmf=$1 src=$2
man=$src/man/mmf.1 doc=$src/docs/cli.md comp=$src/tools/mmf-completion.bash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# Options in the text on stdin: --words, one a line, sorted, --help aside
# (every command has it).
options() {
    grep -o -- '--[a-z][a-z-]*' | grep -vx -- '--help' | sort -u || true
}

# same WHAT EXPECTED ACTUAL: the two lists (files) agree, or say how not.
same() {
    if ! cmp -s "$2" "$3"; then
        echo "FAIL: $1 (- in the help only, + there only):"
        diff "$2" "$3" | sed -n 's/^</    -/p; s/^>/    +/p'
        failed=1
    fi
}

# ---- the help --------------------------------------------------------------
"$mmf" --help > "$tmp/help"
sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' "$tmp/help" | sort > "$tmp/commands"
[ -s "$tmp/commands" ] || { echo "FAIL: no commands in mmf --help"; exit 1; }
for c in $(cat "$tmp/commands"); do
    "$mmf" "$c" --help | options > "$tmp/help.$c"
done
for o in -h --help -V --version; do
    grep -q -- "^  .*$o\\b" "$tmp/help" || { echo "FAIL: mmf --help does not list $o"; failed=1; }
done

# ---- the manual page ---------------------------------------------------------
# The COMMANDS section, with \- as -; a .SS line opens each command.
sed 's/\\-/-/g' "$man" | awk '
    /^\.SH/ { in_cmds = ($2 == "COMMANDS") }
    in_cmds' > "$tmp/man.cmds"
sed -n 's/^\.SS "*\([a-z][a-z]*\).*/\1/p' "$tmp/man.cmds" | sort > "$tmp/man.commands"
same "commands in man/mmf.1" "$tmp/commands" "$tmp/man.commands"
for c in $(cat "$tmp/commands"); do
    awk -v c="$c" '
        /^\.SS/ { s = $0; sub(/^\.SS "?/, "", s); split(s, w, /[ "]/); on = (w[1] == c) }
        on' "$tmp/man.cmds" | options > "$tmp/man.$c"
    same "options of $c in man/mmf.1" "$tmp/help.$c" "$tmp/man.$c"
done
sed 's/\\-/-/g' "$man" | awk '/^\.SH/ { on = ($2 == "OPTIONS") } on' > "$tmp/man.opts"
for o in -h --help -V --version; do
    grep -q -- "$o\\b" "$tmp/man.opts" || { echo "FAIL: man/mmf.1 OPTIONS lacks $o"; failed=1; }
done
grep -q 'MMF_STORE_DIR' "$man" || { echo "FAIL: man/mmf.1 does not name MMF_STORE_DIR"; failed=1; }

# ---- docs/cli.md -------------------------------------------------------------
# The rows of the Commands table: | `mmf COMMAND ...` | what it does |
grep '^| `mmf [a-z]' "$doc" > "$tmp/doc.rows"
sed 's/^| `mmf \([a-z][a-z]*\).*/\1/' "$tmp/doc.rows" | sort > "$tmp/doc.commands"
same "commands in docs/cli.md" "$tmp/commands" "$tmp/doc.commands"
for c in $(cat "$tmp/commands"); do
    grep "^| \`mmf $c[ \`]" "$tmp/doc.rows" | options > "$tmp/doc.$c"
    same "options of $c in docs/cli.md" "$tmp/help.$c" "$tmp/doc.$c"
done
for o in -h --help -V --version; do
    grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" "$doc" || { echo "FAIL: docs/cli.md does not name $o"; failed=1; }
done

# ---- the bash completion -------------------------------------------------------
sed -n 's/^_mmf_commands="\(.*\)"$/\1/p' "$comp" | tr ' ' '\n' | sort > "$tmp/comp.commands"
same "commands in tools/mmf-completion.bash" "$tmp/commands" "$tmp/comp.commands"
for c in $(cat "$tmp/commands"); do
    # The case of _mmf_options: "    ls) echo ..." or "    cat | dump) echo ...".
    awk -v c="$c" '
        /^    [a-z |]+\) echo "/ {
            split($0, p, ")"); n = split(p[1], names, / *\| */)
            for (i = 1; i <= n; i++) { gsub(/ /, "", names[i]); if (names[i] == c) print }
        }' "$comp" | options > "$tmp/comp.$c"
    same "options of $c in tools/mmf-completion.bash" "$tmp/help.$c" "$tmp/comp.$c"
done
for o in -h --help -V --version; do
    grep -q -- "compgen -W \".*$o\\b" "$comp" || { echo "FAIL: the completion does not offer $o"; failed=1; }
done

[ $failed = 0 ] && echo "help, man/mmf.1, docs/cli.md and the completion agree: $(wc -l < "$tmp/commands") commands"
exit $failed
