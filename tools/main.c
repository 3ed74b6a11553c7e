/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `mmf` command-line tool: see, inspect and manage the
 * objects mmf keeps in shared memory (the Process Explorer / RAMMap view).
 * This file holds the command table, the overview (`mmf --help`) and
 * `mmf --version`; each command lives in its own file (tool.h lists them).
 *
 * The tool uses the public API only (include/mmf.h), the inspection part
 * for looking and the section part for reading and writing data, and the
 * library's header-only UTF-8 decoder (src/utf8.h) to print names. Commands
 * that only look (ls, stat, cat, dump, watch) never change an object: they
 * take no handle while listing, and refuse stale objects rather than open
 * (and so reclaim) them.
 *
 * Output: aligned columns and human sizes for people, colour only when
 * stdout is a terminal and NO_COLOR is unset; --json with stable keys for
 * scripts (docs/cli.md lists them). Errors: one line on stderr naming the
 * command, the object and the reason, and an exit code from the table in
 * usage().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"
#include "tool.h"

static void usage(void)
{
    puts("usage: mmf COMMAND [ARGS]   (mmf COMMAND --help for each)\n"
         "       mmf --help | --version\n"
         "\n"
         "See, inspect and manage the objects mmf keeps in shared memory.\n"
         "\n"
         "Looking (changes nothing):\n"
         "  ls                       list the objects: type, size, owner, holders,\n"
         "                           views, resident bytes, stale mark  [--json]\n"
         "                           [--names]\n"
         "  stat NAME                one object in detail, with its holders  [--json]\n"
         "  cat NAME                 its bytes, raw  [--offset O] [--length L]\n"
         "  dump NAME                its bytes in hex  [--offset O] [--length L]\n"
         "  watch NAME               print changes as they happen, until Ctrl-C\n"
         "\n"
         "Changing:\n"
         "  create NAME --size N     create a section and hold it open  [--file PATH]\n"
         "                           [--mode 0640] [--global] [--detach]\n"
         "  write NAME               copy stdin into it  [--offset O]\n"
         "  rm NAME                  remove a name nobody holds (a stale object)\n"
         "  gc                       reclaim every stale object, print what went\n"
         "\n"
         "Synchronization objects:\n"
         "  signal EVENT             set an event  [--reset | --pulse]\n"
         "  wait OBJECT              wait for a mutex, event or semaphore  [--timeout MS]\n"
         "  lock MUTEX -- COMMAND    run COMMAND while holding the mutex  [--timeout MS]\n"
         "  post SEMAPHORE           add to a semaphore's count  [--count N]\n"
         "\n"
         "Channels:\n"
         "  bench                    a quick latency and throughput benchmark  [--quick]\n"
         "                           [--json]\n"
         "  bridge send|recv ...     carry a channel to another host over ZeroMQ\n"
         "                           (mmf bridge --help)\n"
         "\n"
         "Options:\n"
         "  -h, --help               this overview (mmf help COMMAND: a command's help)\n"
         "  -V, --version            the version of mmf\n"
         "\n"
         "Names: \"Local\\name\" (your own; the default prefix) or \"Global\\name\"\n"
         "(all users). Quote the backslash in a shell.\n"
         "\n"
         "Exit codes: 0 success, 1 not found, 2 usage error (bad option, size or\n"
         "name), 3 access denied, 4 busy (held by a process), 5 timed out,\n"
         "6 other error (also: output could not be written to stdout),\n"
         "7 already exists, 8 wrong object type,\n"
         "10 wait: the mutex was abandoned. `mmf lock` exits with its command's status.\n"
         "\n"
         "The manual: man mmf");
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
} cmds[] = {
    {"ls", cmd_ls},         {"stat", cmd_stat},     {"create", cmd_create},
    {"rm", cmd_rm},         {"gc", cmd_gc},         {"cat", cmd_cat},
    {"dump", cmd_dump},     {"write", cmd_write},   {"watch", cmd_watch},
    {"signal", cmd_signal}, {"wait", cmd_wait},     {"lock", cmd_lock},
    {"post", cmd_post},     {"bench", cmd_bench},   {"bridge", cmd_bridge},
};

int main(int argc, char **argv)
{
    const char *nc = getenv("NO_COLOR");

    tool_colour = is_terminal(1) && (nc == NULL || nc[0] == '\0');
    atexit(close_stdout);
    if (argc < 2)
        usage_error("give a command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *h[] = {argv[2], (char *)"--help", NULL};
            return main(3, (char *[]){argv[0], h[0], h[1], NULL});
        }
        usage();
        return EX_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("mmf %d.%d.%d\n", MMF_VERSION_MAJOR, MMF_VERSION_MINOR, MMF_VERSION_PATCH);
        return EX_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) == 0) {
            tool_cmd = cmds[i].name;
            return cmds[i].fn(argc - 2, argv + 2);
        }
    }
    usage_error("unknown command '%s'", show(argv[1]));
}
