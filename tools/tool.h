/* SPDX-License-Identifier: MIT */
/*
 * tool.h - what the mmf tool's source files share: exit codes, messages,
 * option parsing, terminal output (colour, aligned tables, sizes), the
 * words that describe an object, and one entry point per command.
 *
 * The files:
 *   main.c      the command table, `mmf --help`, `mmf --version`
 *   msg.c       names made safe to print; error messages and exits
 *   args.c      options, sizes, timeouts
 *   table.c     colour, display widths, aligned tables, human sizes
 *   describe.c  an object's fields as words, and as JSON members
 *   ls.c, stat.c                 looking at the store and at one object
 *   data.c, watch.c              reading and writing a section's bytes
 *   create.c, remove.c           making, holding and removing names
 *   sync.c                       mutexes, events and semaphores
 *   bench.c                      the quick channel benchmark
 *   bridge.c                     a channel between hosts, over ZeroMQ
 */
#ifndef MMF_TOOL_H
#define MMF_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include <mmf.h>

#include "json.h"

/* Exit codes (documented in `mmf --help`, docs/cli.md and mmf(1)). */
enum {
    EX_OK = 0,
    EX_NOTFOUND = 1,
    EX_USAGE = 2,
    EX_DENIED = 3,
    EX_BUSY = 4,
    EX_TIMEOUT = 5,
    EX_ERROR = 6,
    EX_EXISTS = 7,
    EX_TYPE = 8,
    EX_ABANDONED = 10 /* mmf wait: acquired an abandoned mutex */
};

/* ---- msg.c: printing names, messages and exits --------------------------- */

extern const char *tool_cmd;     /* the running command, for messages */
extern const char *tool_obj;     /* the object the command names, once parsed */
extern int tool_global_default;  /* create --global: unprefixed names are Global\ */

/* Printable form of a name: control characters and bytes that are not
 * UTF-8 become \xNN, so a hostile name cannot send escape sequences.
 * Four results may be used in one printf. */
const char *show(const char *s);
/* A name as the library reads it: with its prefix. */
const char *canon(const char *name);

/* Print "mmf: CMD NAME: message" (NAME may be NULL) and exit with code. */
void die(int code, const char *name, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* The same message, without exiting. */
void warn(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error, in one line: the message and where help is; exit 2. */
void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* The exit code for an MMF_E* code. */
int exit_code(int rc);
/* Fail with the library's description of rc. */
void fail(const char *name, int rc) __attribute__((noreturn));
/* A write to stdout failed (errno says why): say so, with `more`, exit 6. */
void stdout_failed(const char *name, const char *more) __attribute__((noreturn));
/* At exit: output that did not reach stdout is an error, exit 6. */
void close_stdout(void);

/* ---- args.c: options ------------------------------------------------------ */

/* One command's options: --name or --name=value / --name value. */
struct opt {
    const char *name;
    int has_value;
    const char *value; /* set when given ("" for a flag) */
};

/* Parse argv into opts (a list ended by a NULL name, or NULL) and at most
 * maxpos positional arguments stored in pos[]; returns their number.
 * --help / -h calls help() and exits 0. With dashdash, "--" ends the
 * parse and *dashdash is the index after it (-1 when absent). */
int parse_opts(int argc, char **argv, struct opt *opts, char **pos, int maxpos,
               void (*help)(void), int *dashdash);
/* A byte count: decimal or 0x hex, optional K, M, G, T, P, E suffix.
 * 0, or -1 if it is not one. */
int parse_size(const char *s, uint64_t *out);
/* The size in o->value, or a usage error naming `what`. */
uint64_t size_opt(const struct opt *o, const char *what);
/* --timeout MS: 0 .. MMF_TIMEOUT_MAX; absent: MMF_INFINITE. */
long long timeout_opt(const struct opt *o);

/* ---- table.c: terminal output --------------------------------------------- */

#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_GREEN "\033[32m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

extern int tool_colour; /* 1: stdout is a terminal, NO_COLOR unset */

/* `code` when colour is on, else "". */
const char *tint(const char *code);
/* A human size: "512 B", "4.0 KiB", "1.5 GiB". Returns buf. */
const char *human(uint64_t v, char *buf, size_t cap);

#define MAXCOLS 12

struct table {
    int ncols;
    const char *head[MAXCOLS];
    int right[MAXCOLS];   /* right-aligned (numbers) */
    char **cells;         /* rows * ncols strings */
    const char **paint;   /* colour per cell, or NULL */
    size_t rows, cap;
};

/* Add a row: ncols cells (copied) and their colours (paint may be NULL). */
void table_row(struct table *t, const char **cells, const char **paint);
/* Print the table, every line after `indent`, and free its rows. */
void table_print(struct table *t, const char *indent);

/* ---- describe.c: an object in words ---------------------------------------- */

const char *user_name(uint32_t uid, char *buf, size_t cap);
const char *group_name(uint32_t gid, char *buf, size_t cap);
const char *mode_string(unsigned mode, char *buf);       /* "rw-r-----" */
const char *map_string(unsigned map, char *buf);         /* "rw", "copy", "none" */
const char *state_string(const mmf_object_info *o);      /* live, stale, corrupt */
const char *type_string(const mmf_object_info *o);       /* "?" if unreadable */
/* A creation time: ISO 8601 UTC with milliseconds, or local; "-" for 0. */
const char *time_string(uint64_t ns, int iso, char *buf, size_t cap);
/* "2", "2+" when handles are hidden in processes we cannot inspect. */
const char *count_string(uint64_t n, uint64_t hidden, char *buf, size_t cap);
/* Whether an object has data with a size (a section or a channel), or
 * may have (one we cannot read): a synchronization object has none. */
int has_data(const mmf_object_info *o);
/* The object's fields as members of the JSON object being written. */
void json_object_fields(struct json *j, const mmf_object_info *o);
/* A number from the inspection API as JSON: null for MMF_UNKNOWN. */
void json_num(struct json *j, const char *key, uint64_t v);
/* Look up NAME; not-found and bad names end the command. */
void stat_or_die(const char *name, unsigned what, mmf_object_info *info);
/* Look up NAME, which must be live: a stale object is reported as absent
 * (opening it would reclaim it: a reader must not change the store), a
 * corrupt one as an error. */
void live_or_die(const char *name, mmf_object_info *info);

/* ---- data.c: a section's bytes, for cat, dump, write and watch ------------- */

/* Read [off, off + len) without a handle or a view. */
void read_range(const char *name, const mmf_object_info *info, uint64_t off,
                unsigned char *buf, size_t len);
/* The range of section NAME from --offset and --length (length default:
 * to the end); usage errors for bad numbers and ranges past the end. */
void find_range(const char *name, const struct opt *off_o, const struct opt *len_o,
                mmf_object_info *info, uint64_t *off, uint64_t *len);

/* ---- sync.c ---------------------------------------------------------------- */

/* The state of a synchronization object, read through a handle held for
 * the moment it takes. Returns 0 or an MMF_E* code. */
int sync_state(const mmf_object_info *info, mmf_sync_info *si);

/* ---- the commands: each returns the exit code ------------------------------ */

int cmd_ls(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_signal(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_post(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_bridge(int argc, char **argv);

/* ---- bridge.c and stat.c ------------------------------------------------- */

/* What a running bridge tells `mmf stat` about the channel NAME it
 * serves: a section "NAME@bridge" that the bridge holds while it runs,
 * holding this struct. */
#define BRIDGE_NOTE_SUFFIX "@bridge"
#define BRIDGE_NOTE_MAGIC "MMFBNOTE"
struct bridge_note {
    char magic[8];
    int64_t pid;
    char role[8];       /* "send" or "recv" */
    char endpoint[240]; /* as given on the command line */
};

#endif
