#!/bin/sh
# SPDX-License-Identifier: MIT
# The bash completion of mmf (tools/mmf-completion.bash), sourced in bash:
# it completes commands, a command's options, and the names of live
# objects, which it gets from the tool (`mmf ls --names`). Skipped (77)
# without bash.
#   completion-check.sh MMF COMPLETION
set -eu
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
mmf=$1 completion=$2

# A private store, so that only this test's objects are listed.
store=/dev/shm/mmf-test-$$-completion.store
mkdir -m 1777 "$store"
MMF_STORE_DIR=$store
export MMF_STORE_DIR
local_pid= global_pid=
cleanup() {
    [ -z "$local_pid" ] || kill "$local_pid" 2>/dev/null || true
    [ -z "$global_pid" ] || kill "$global_pid" 2>/dev/null || true
    # The holders close their handles on SIGTERM; wait for the names to go.
    i=0
    while [ -n "$(ls -A "$store")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    rmdir "$store"
}
trap cleanup EXIT
local_pid=$("$mmf" create "cmpl-$$" --size 4K --detach 2>/dev/null)
global_pid=$("$mmf" create "Global\\cmplg-$$" --size 4K --detach 2>/dev/null)

bash --norc --noprofile -s "$mmf" "$completion" "$$" <<'BASH'
set -u
mmf=$1 pid=$3
source "$2"
complete -p mmf >/dev/null || { echo "FAIL: no completion registered for mmf"; exit 1; }
failed=0

# Complete the last word of a command line; print the candidates.
candidates() {
    COMP_WORDS=("$mmf" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _mmf
    printf '%s\n' "${COMPREPLY[@]}"
}
# expect WANT WORDS...: WANT is among the candidates.
expect() {
    local want=$1
    shift
    if ! candidates "$@" | grep -qxF -- "$want"; then
        echo "FAIL: 'mmf $*' does not offer '$want'; it offers:"
        candidates "$@" | sed 's/^/    /'
        failed=1
    fi
}
# expect_none WORDS...: no candidate.
expect_none() {
    if [ -n "$(candidates "$@")" ]; then
        echo "FAIL: 'mmf $*' offers: $(candidates "$@" | tr '\n' ' ')"
        failed=1
    fi
}

expect stat st
expect watch wa
expect -V -
expect wait help wa
expect --names ls --n
expect --large-pages create x --la
expect --timeout lock --t
expect --help gc --
# Live objects: a Local\ name without its prefix, a Global\ one with it,
# quoted for the shell.
expect "cmpl-$pid" stat cmpl
expect "cmpl-$pid" cat ""
expect "Global\\\\cmplg-$pid" dump Glo
expect "cmpl-$pid" lock --timeout 5 cmpl
# One name per command; sizes and new names are not completed.
expect_none cat "cmpl-$pid" ""
expect_none create cm
expect_none create x --size ""
exit $failed
BASH
