# SPDX-License-Identifier: MIT
# Bash completion for mmf(1): commands, each command's options, and the
# names of the objects in the store (from `mmf ls --names`). Installed as
# <datadir>/bash-completion/completions/mmf, where bash-completion loads it
# the first time `mmf` is completed; `source` it to try it by hand.
#
# The lists below follow `mmf --help` and `mmf COMMAND --help`; the test
# cli.docs_match_help checks that they do.

# The options of each command (--help and -h aside).
_mmf_options()
{
    case $1 in
    ls) echo "--json --names" ;;
    stat) echo "--json" ;;
    cat | dump) echo "--offset --length" ;;
    watch) echo "--offset --length --interval" ;;
    create) echo "--size --file --mode --global --reserve --large-pages --hold --detach" ;;
    write) echo "--offset" ;;
    rm | gc) echo "" ;;
    signal) echo "--reset --pulse" ;;
    wait | lock) echo "--timeout" ;;
    post) echo "--count" ;;
    bench) echo "--quick --json" ;;
    bridge) echo "--size --slots --slot-size --state --curve-key --curve-peer --interval --json" ;;
    esac
}

_mmf_commands="ls stat cat dump watch create write rm gc signal wait lock post bench bridge"

# Object names that start with the word being completed, quoted for the
# command line. A Local\ name is offered without its prefix (the default),
# a Global\ one with it: Global\\name.
_mmf_names()
{
    local tool=$1 cur=$2 name quoted
    while IFS= read -r name; do
        case $name in
        Local\\*) name=${name#Local\\} ;;
        esac
        printf -v quoted '%q' "$name"
        if [[ $quoted == "$cur"* || $name == "$cur"* ]]; then
            COMPREPLY+=("$quoted")
        fi
    done < <("$tool" ls --names 2>/dev/null)
}

_mmf()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local tool=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]} i npos=0
    COMPREPLY=()
    # The tool as typed, so that a build folder's mmf lists its own store.
    [[ $tool == */* && -x $tool ]] || tool=mmf

    if ((COMP_CWORD == 1)); then
        mapfile -t COMPREPLY < <(compgen -W "$_mmf_commands help --help -h --version -V" -- "$cur")
        return
    fi
    if [[ $cmd == help ]]; then
        ((COMP_CWORD == 2)) && mapfile -t COMPREPLY < <(compgen -W "$_mmf_commands" -- "$cur")
        return
    fi

    # After `mmf lock MUTEX --`: the command to run, then its arguments.
    for ((i = 2; i < COMP_CWORD; i++)); do
        if [[ $cmd == lock && ${COMP_WORDS[i]} == -- ]]; then
            if ((i + 1 == COMP_CWORD)); then
                mapfile -t COMPREPLY < <(compgen -c -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
            return
        fi
    done

    # The value of an option that takes one.
    case $prev in
    --file | --state | --curve-key | --curve-peer)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --size | --offset | --length | --interval | --timeout | --count | --mode | --slots | --slot-size)
        return
        ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_mmf_options "$cmd") --help" -- "$cur")
        return
    fi

    # The object name: the one positional argument of most commands.
    for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --file | --size | --offset | --length | --interval | --timeout | --count | --mode | \
            --slots | --slot-size | --state | --curve-key | --curve-peer)
            ((i++)) ;;
        -*) ;;
        *) ((npos++)) ;;
        esac
    done
    # mmf bridge: the mode first.
    if [[ $cmd == bridge ]]; then
        ((npos == 0)) && mapfile -t COMPREPLY < <(compgen -W "send recv keygen" -- "$cur")
        return
    fi
    case $cmd in
    stat | cat | dump | watch | write | rm | signal | wait | lock | post)
        ((npos == 0)) && _mmf_names "$tool" "$cur"
        ;;
    esac
}

complete -F _mmf mmf
