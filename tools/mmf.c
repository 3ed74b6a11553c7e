/* SPDX-License-Identifier: MIT */
/*
 * mmf.c - the `mmf` command-line tool: see, inspect and manage the objects
 * mmf keeps in shared memory (the Process Explorer / RAMMap view).
 *
 * It uses the public API only (include/mmf.h), the inspection part for
 * looking and the section part for reading and writing data. Commands that
 * only look (ls, stat, cat, dump, watch) never change an object: they take
 * no handle while listing, and refuse stale objects rather than open (and
 * so reclaim) them.
 *
 * Output: aligned columns and human sizes for people, colour only when
 * stdout is a terminal and NO_COLOR is unset; --json with stable keys for
 * scripts (docs/cli.md lists them). Errors: one line on stderr naming the
 * command, the object and the reason, and an exit code from the table in
 * usage().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mmf.h>

#include "tool.h"

/* Exit codes (documented in `mmf --help` and docs/cli.md). */
enum {
    EX_OK = 0,
    EX_NOTFOUND = 1,
    EX_USAGE = 2,
    EX_DENIED = 3,
    EX_BUSY = 4,
    EX_TIMEOUT = 5,
    EX_ERROR = 6,
    EX_EXISTS = 7,
    EX_TYPE = 8
};

static const char *cmd = "mmf"; /* the running command, for messages */

#define EX_ABANDONED 10 /* mmf wait: acquired an abandoned mutex */
static int colour;              /* 1: stdout is a terminal, NO_COLOR unset */

/* ------------------------------------------------------------------------ */
/* Messages and exits                                                        */
/* ------------------------------------------------------------------------ */

/*
 * A name or path made safe for a terminal: control characters (C0, DEL,
 * C1) and bytes that are not UTF-8 become \xNN, so a hostile name cannot
 * send escape sequences. Returns buf.
 */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* The code point of a valid sequence of length n at s. */
static unsigned utf8_cp(const unsigned char *s, size_t n)
{
    static const unsigned mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    unsigned cp = s[0] & mask[n];
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3fu);
    return cp;
}

static const char *safe(const char *s, char *buf, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    while (*p != '\0' && o + 5 < cap) {
        size_t n = utf8_len(p);
        unsigned cp = n ? utf8_cp(p, n) : 0;
        if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
            p++;
        } else {
            memcpy(buf + o, p, n);
            o += n;
            p += n;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* Printable form of a name (several may be used in one printf). */
static const char *show(const char *s)
{
    static char bufs[4][4 * 4 * MMF_NAME_MAX + 64];
    static int next;
    char *b = bufs[next++ % 4];
    return safe(s, b, sizeof bufs[0]);
}

static int global_default; /* create --global: unprefixed names are Global\ */

/* A name as the library reads it: with its prefix. */
static const char *canon(const char *name)
{
    static char buf[4 * 4 * MMF_NAME_MAX + 64];
    if (strncmp(name, "Local\\", 6) == 0 || strncmp(name, "Global\\", 7) == 0 ||
        name[0] == '\0')
        return name;
    snprintf(buf, sizeof buf, "%s%s", global_default ? "Global\\" : "Local\\", name);
    return buf;
}

static void vmsg(const char *name, const char *fmt, va_list ap)
{
    fflush(stdout);
    if (name != NULL && name[0] != '\0')
        fprintf(stderr, "mmf: %s %s: ", cmd, show(canon(name)));
    else
        fprintf(stderr, "mmf: %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* Print "mmf: CMD NAME: message" and exit with code. */
static void __attribute__((noreturn, format(printf, 3, 4)))
die(int code, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(name, fmt, ap);
    va_end(ap);
    exit(code);
}

/*
 * At exit, whatever the path to it: output that did not reach stdout (a
 * full disk, a closed pipe with SIGPIPE ignored) is an error, exit 6, as
 * cat and dump report it.
 */
static int stdout_reported; /* the failure was said already: once is enough */

static void close_stdout(void)
{
    static int closed; /* `mmf help CMD` runs main twice: registered twice */
    int failed, e;
    if (closed++ || stdout_reported)
        return;
    errno = 0;
    failed = fflush(stdout) != 0 || ferror(stdout);
    e = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        fprintf(stderr, "mmf: %s%scannot write to stdout: %s\n",
                strcmp(cmd, "mmf") == 0 ? "" : cmd, strcmp(cmd, "mmf") == 0 ? "" : ": ",
                e != 0 ? strerror(e) : "write error");
        _exit(EX_ERROR);
    }
}

/* A write to stdout failed (errno says why): say so, with `more`, and
 * exit 6. */
static void __attribute__((noreturn)) stdout_failed(const char *name, const char *more)
{
    int e = errno;
    stdout_reported = 1;
    die(EX_ERROR, name, "cannot write to stdout: %s%s", strerror(e), more);
}

static void __attribute__((format(printf, 2, 3))) warn(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(name, fmt, ap);
    va_end(ap);
}

static const char *cur_obj; /* the object the command names, once parsed */

/* A usage error, in one line: the message and where help is; exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    if (strcmp(cmd, "mmf") == 0)
        fprintf(stderr, "mmf: ");
    else if (cur_obj != NULL)
        fprintf(stderr, "mmf: %s %s: ", cmd, show(canon(cur_obj)));
    else
        fprintf(stderr, "mmf: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (strcmp(cmd, "mmf") == 0)
        fprintf(stderr, " (see 'mmf --help')\n");
    else
        fprintf(stderr, " (see 'mmf %s --help')\n", cmd);
    exit(EX_USAGE);
}

/* The exit code for an MMF_E* code. */
static int exit_code(int rc)
{
    switch (rc) {
    case MMF_ENOENT: return EX_NOTFOUND;
    case MMF_EINVAL: case MMF_EBADNAME: case MMF_ENAMETOOLONG:
    case MMF_ERANGE: case MMF_EALIGN: case MMF_EFILEEMPTY: case MMF_EFBIG:
        return EX_USAGE;
    case MMF_EACCES: return EX_DENIED;
    case MMF_EBUSY: return EX_BUSY;
    case MMF_ETIMEDOUT: return EX_TIMEOUT;
    case MMF_EEXIST: return EX_EXISTS;
    case MMF_ETYPE: return EX_TYPE;
    default: return EX_ERROR;
    }
}

/* Fail with the library's description of rc. */
static void __attribute__((noreturn)) fail(const char *name, int rc)
{
    die(exit_code(rc), name, "%s", mmf_strerror(rc));
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* One command's options: --name or --name=value / --name value. */
struct opt {
    const char *name;
    int has_value;
    const char *value; /* set when given ("" for a flag) */
};

/*
 * Parse argv into opts (NULL-terminated names) and positional arguments.
 * "--" ends the options; everything after it is positional. Returns the
 * number of positionals, stored in pos[] (at most maxpos, else a usage
 * error). --help / -h prints help and exits 0.
 */
static int parse_opts(int argc, char **argv, struct opt *opts, char **pos,
                      int maxpos, void (*help)(void), int *dashdash)
{
    int npos = 0, only_pos = 0;
    if (dashdash != NULL)
        *dashdash = -1;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            if (dashdash != NULL) {
                *dashdash = i + 1;
                return npos;
            }
            continue;
        }
        if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            help();
            exit(EX_OK);
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0') {
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : strlen(a);
            struct opt *o = NULL;
            for (struct opt *p = opts; p != NULL && p->name != NULL; p++) {
                if (strlen(p->name) == len && strncmp(a, p->name, len) == 0)
                    o = p;
            }
            if (o == NULL)
                usage_error("unknown option '%s'", show(a));
            if (o->has_value) {
                if (eq != NULL)
                    o->value = eq + 1;
                else if (i + 1 < argc)
                    o->value = argv[++i];
                else
                    usage_error("option %s needs a value", o->name);
            } else {
                if (eq != NULL)
                    usage_error("option %s takes no value", o->name);
                o->value = "";
            }
            continue;
        }
        if (npos >= maxpos)
            usage_error("unexpected argument '%s'", show(a));
        /* Every command's first argument is an object name; an empty one
         * would make an unnamed section nobody can reach. */
        if (npos == 0 && a[0] == '\0')
            usage_error("an object name cannot be empty");
        pos[npos++] = a;
        if (npos == 1 && a[0] != '\0')
            cur_obj = a;
    }
    return npos;
}

/*
 * Parse a byte count: decimal or 0x hex, with an optional binary suffix
 * K, M, G, T, P, E (or KiB, MiB...; case-insensitive). Refuses signs,
 * spaces, fractions, exponents and anything that overflows 64 bits.
 */
static int parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0, mul = 1;
    int base = 10, digits = 0;
    const char *p = s;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (;; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
        digits++;
    }
    if (digits == 0)
        return -1;
    if (*p != '\0') {
        static const char units[] = "kmgtpe";
        const char *u = strchr(units, *p | 0x20);
        if (base == 16 || u == NULL)
            return -1;
        for (long i = 0; i <= u - units; i++)
            mul *= 1024;
        p++;
        if (strcmp(p, "iB") == 0 || strcmp(p, "ib") == 0 || strcmp(p, "IB") == 0)
            p += 2;
        if (*p != '\0')
            return -1;
        if (v > UINT64_MAX / mul)
            return -1;
        v *= mul;
    }
    *out = v;
    return 0;
}

static uint64_t size_opt(const struct opt *o, const char *what)
{
    uint64_t v;
    if (parse_size(o->value, &v) != 0)
        usage_error("bad %s '%s': give a whole number of bytes, e.g. 4096, 0x1000 "
                    "or 1M", what, show(o->value));
    return v;
}

/* A human size: "512 B", "4.0 KiB", "1.5 GiB". */
static const char *human(uint64_t v, char *buf, size_t cap)
{
    static const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double d = (double)v;
    int u = -1;

    if (v < 1024) {
        snprintf(buf, cap, "%" PRIu64 " B", v);
        return buf;
    }
    while (d >= 1024 && u < 5) {
        d /= 1024;
        u++;
    }
    /* 1023.96 KiB would print as "1024.0 KiB": carry to the next unit. */
    if (d >= 1023.95 && u < 5) {
        d /= 1024;
        u++;
    }
    snprintf(buf, cap, "%.1f %s", d, units[u]);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Colour and tables                                                         */
/* ------------------------------------------------------------------------ */

#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_GREEN "\033[32m"
#define C_DIM "\033[2m"
#define C_OFF "\033[0m"

static const char *c(const char *code)
{
    return colour ? code : "";
}

/*
 * The columns a code point takes on a terminal: 2 for East Asian wide and
 * fullwidth characters and emoji, 0 for combining marks, joiners and
 * variation selectors, 1 otherwise. Built in rather than wcwidth(), which
 * depends on the process locale: names are UTF-8 whatever the locale.
 */
static int cp_width(unsigned cp)
{
    static const unsigned zero[][2] = {
        {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a},
        {0x064b, 0x065f}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a}, {0x1ab0, 0x1aff},
        {0x1dc0, 0x1dff}, {0x200b, 0x200f}, {0x2060, 0x2064}, {0x20d0, 0x20ff},
        {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0x1f3fb, 0x1f3ff},
        {0xe0000, 0xe0fff},
    };
    static const unsigned wide[][2] = {
        {0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23ec},
        {0x23f0, 0x23f0}, {0x23f3, 0x23f3}, {0x25fd, 0x25fe}, {0x2614, 0x2615},
        {0x2648, 0x2653}, {0x267f, 0x267f}, {0x2693, 0x2693}, {0x26a1, 0x26a1},
        {0x26aa, 0x26ab}, {0x26bd, 0x26be}, {0x26c4, 0x26c5}, {0x26ce, 0x26ce},
        {0x26d4, 0x26d4}, {0x26ea, 0x26ea}, {0x26f2, 0x26f3}, {0x26f5, 0x26f5},
        {0x26fa, 0x26fa}, {0x26fd, 0x26fd}, {0x2705, 0x2705}, {0x270a, 0x270b},
        {0x2728, 0x2728}, {0x274c, 0x274c}, {0x274e, 0x274e}, {0x2753, 0x2755},
        {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27b0, 0x27b0}, {0x27bf, 0x27bf},
        {0x2b1b, 0x2b1c}, {0x2b50, 0x2b50}, {0x2b55, 0x2b55}, {0x2e80, 0x303e},
        {0x3041, 0x33ff}, {0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xa000, 0xa4cf},
        {0xa960, 0xa97f}, {0xac00, 0xd7a3}, {0xf900, 0xfaff}, {0xfe10, 0xfe19},
        {0xfe30, 0xfe6f}, {0xff00, 0xff60}, {0xffe0, 0xffe6}, {0x16fe0, 0x16fe4},
        {0x17000, 0x18cff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf},
        {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251}, {0x1f300, 0x1f320},
        {0x1f32d, 0x1f335}, {0x1f337, 0x1f37c}, {0x1f37e, 0x1f393}, {0x1f3a0, 0x1f3ca},
        {0x1f3cf, 0x1f3d3}, {0x1f3e0, 0x1f3f0}, {0x1f3f4, 0x1f3f4}, {0x1f3f8, 0x1f43e},
        {0x1f440, 0x1f440}, {0x1f442, 0x1f4fc}, {0x1f4ff, 0x1f53d}, {0x1f54b, 0x1f54e},
        {0x1f550, 0x1f567}, {0x1f57a, 0x1f57a}, {0x1f595, 0x1f596}, {0x1f5a4, 0x1f5a4},
        {0x1f5fb, 0x1f64f}, {0x1f680, 0x1f6c5}, {0x1f6cc, 0x1f6cc}, {0x1f6d0, 0x1f6d2},
        {0x1f6d5, 0x1f6d7}, {0x1f6dc, 0x1f6df}, {0x1f6eb, 0x1f6ec}, {0x1f6f4, 0x1f6fc},
        {0x1f7e0, 0x1f7eb}, {0x1f7f0, 0x1f7f0}, {0x1f90c, 0x1f93a}, {0x1f93c, 0x1f945},
        {0x1f947, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
    };
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        if (cp >= zero[i][0] && cp <= zero[i][1])
            return 0;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

/* Display width of a UTF-8 string as show() makes it (a byte that is not
 * UTF-8 counts one column; show() never leaves one). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_len(p);
        if (n == 0) {
            w++;
            p++;
        } else {
            w += (size_t)cp_width(utf8_cp(p, n));
            p += n;
        }
    }
    return w;
}

#define MAXCOLS 12

struct table {
    int ncols;
    const char *head[MAXCOLS];
    int right[MAXCOLS];   /* right-aligned (numbers) */
    char **cells;         /* rows * ncols strings */
    const char **paint;   /* colour per cell, or NULL */
    size_t rows, cap;
};

static void table_row(struct table *t, const char **cells, const char **paint)
{
    if (t->rows == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->cells = realloc(t->cells, t->cap * MAXCOLS * sizeof *t->cells);
        t->paint = realloc(t->paint, t->cap * MAXCOLS * sizeof *t->paint);
        if (t->cells == NULL || t->paint == NULL)
            die(EX_ERROR, NULL, "out of memory");
    }
    for (int i = 0; i < t->ncols; i++) {
        t->cells[t->rows * MAXCOLS + (size_t)i] = strdup(cells[i]);
        t->paint[t->rows * MAXCOLS + (size_t)i] = paint ? paint[i] : NULL;
        if (t->cells[t->rows * MAXCOLS + (size_t)i] == NULL)
            die(EX_ERROR, NULL, "out of memory");
    }
    t->rows++;
}

static void table_print(struct table *t, const char *indent)
{
    size_t w[MAXCOLS];
    for (int i = 0; i < t->ncols; i++) {
        w[i] = width(t->head[i]);
        for (size_t r = 0; r < t->rows; r++) {
            size_t x = width(t->cells[r * MAXCOLS + (size_t)i]);
            if (x > w[i])
                w[i] = x;
        }
    }
    for (long r = -1; r < (long)t->rows; r++) {
        fputs(indent, stdout);
        if (r < 0)
            fputs(c(C_BOLD), stdout);
        for (int i = 0; i < t->ncols; i++) {
            const char *s = r < 0 ? t->head[i] : t->cells[(size_t)r * MAXCOLS + (size_t)i];
            const char *p = r < 0 ? NULL : t->paint[(size_t)r * MAXCOLS + (size_t)i];
            size_t pad = w[i] - width(s);
            int last = i == t->ncols - 1;
            if (t->right[i])
                printf("%*s", (int)pad, "");
            if (p != NULL && colour)
                printf("%s%s%s", p, s, r < 0 ? "" : C_OFF);
            else
                fputs(s, stdout);
            if (!t->right[i] && !last)
                printf("%*s", (int)pad, "");
            if (!last)
                fputs("  ", stdout);
        }
        if (r < 0)
            fputs(c(C_OFF), stdout);
        fputc('\n', stdout);
    }
    for (size_t r = 0; r < t->rows; r++)
        for (int i = 0; i < t->ncols; i++)
            free(t->cells[r * MAXCOLS + (size_t)i]);
    free(t->cells);
    free(t->paint);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */
/* ------------------------------------------------------------------------ */

/* A JSON string: escapes quotes, backslashes and control characters;
 * bytes that are not UTF-8 become U+FFFD, so the output always parses. */
static void json_str(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    putchar('"');
    while (*p != '\0') {
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\\ufffd", stdout);
            p++;
        } else if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            printf("\\u%04x", *p);
            p++;
        } else {
            fwrite(p, 1, n, stdout);
            p += n;
        }
    }
    putchar('"');
}

static void json_key(const char *k, int *first)
{
    printf("%s\"%s\":", *first ? "" : ",", k);
    *first = 0;
}

static void json_u64(const char *k, uint64_t v, int *first)
{
    json_key(k, first);
    if (v == MMF_UNKNOWN)
        fputs("null", stdout);
    else
        printf("%" PRIu64, v);
}

static void json_bool(const char *k, int v, int *first)
{
    json_key(k, first);
    fputs(v ? "true" : "false", stdout);
}

static void json_strkey(const char *k, const char *v, int *first)
{
    json_key(k, first);
    if (v == NULL)
        fputs("null", stdout);
    else
        json_str(v);
}

/* ------------------------------------------------------------------------ */
/* Describing objects                                                        */
/* ------------------------------------------------------------------------ */

static const char *user_name(uint32_t uid, char *buf, size_t cap)
{
    struct passwd *pw = getpwuid((uid_t)uid);
    if (pw != NULL)
        snprintf(buf, cap, "%s", pw->pw_name);
    else
        snprintf(buf, cap, "%" PRIu32, uid);
    return buf;
}

static const char *group_name(uint32_t gid, char *buf, size_t cap)
{
    struct group *gr = getgrgid((gid_t)gid);
    if (gr != NULL)
        snprintf(buf, cap, "%s", gr->gr_name);
    else
        snprintf(buf, cap, "%" PRIu32, gid);
    return buf;
}

static const char *mode_string(unsigned mode, char *buf)
{
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        buf[i] = (mode & (0400u >> i)) ? rwx[i] : '-';
    buf[9] = '\0';
    return buf;
}

static const char *prot_string(unsigned prot, char *buf)
{
    snprintf(buf, 4, "%s%s%s", (prot & MMF_PROT_READ) ? "r" : "",
             (prot & MMF_PROT_WRITE) ? "w" : "", (prot & MMF_PROT_EXEC) ? "x" : "");
    return buf;
}

static const char *map_string(unsigned map, char *buf)
{
    if (map == MMF_MAP_NONE)
        snprintf(buf, 8, "none");
    else
        snprintf(buf, 8, "%s%s", (map & MMF_MAP_WRITE) ? "rw" : (map & MMF_MAP_COPY) ? "copy" : "r",
                 (map & MMF_MAP_EXEC) ? "x" : "");
    return buf;
}

static const char *state_string(const mmf_object_info *o)
{
    if (o->corrupt)
        return "corrupt";
    if (o->stale)
        return "stale";
    return "live";
}

static const char *type_string(const mmf_object_info *o)
{
    return o->readable || o->type != MMF_TYPE_UNKNOWN ? mmf_type_name(o->type) : "?";
}

static const char *time_string(uint64_t ns, int iso, char *buf, size_t cap)
{
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (ns == 0) {
        snprintf(buf, cap, "-");
        return buf;
    }
    if (iso) {
        gmtime_r(&t, &tm);
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + strlen(buf), cap - strlen(buf), ".%03uZ",
                 (unsigned)(ns / 1000000u % 1000u));
    } else {
        localtime_r(&t, &tm);
        strftime(buf, cap, "%Y-%m-%d %H:%M:%S %Z", &tm);
    }
    return buf;
}

/* The object's fields as JSON members (no braces). */
static void json_object_fields(const mmf_object_info *o, int *first)
{
    char b[64];
    json_strkey("name", o->name, first);
    json_strkey("type", o->readable || o->type ? mmf_type_name(o->type) : NULL, first);
    json_strkey("state", state_string(o), first);
    json_bool("stale", o->stale, first);
    json_bool("corrupt", o->corrupt, first);
    json_bool("readable", o->readable, first);
    json_u64("size", o->size, first);
    json_strkey("prot", o->type == MMF_TYPE_SECTION ? prot_string(o->prot, b) : NULL, first);
    json_key("flags", first);
    printf("[");
    {
        int f = 1;
        if (o->flags & MMF_SECTION_RESERVE)
            printf("%s\"reserve\"", f ? "" : ","), f = 0;
        if (o->flags & MMF_SECTION_LARGE_PAGES)
            printf("%s\"large_pages\"", f ? "" : ","), f = 0;
        if (o->flags & MMF_GLOBAL)
            printf("%s\"global\"", f ? "" : ","), f = 0;
    }
    printf("]");
    json_bool("file_backed", o->file_backed, first);
    json_strkey("file", o->file_backed ? o->file : NULL, first);
    json_strkey("store_file", o->store_file, first);
    json_u64("uid", o->uid, first);
    json_strkey("owner", user_name(o->uid, b, sizeof b), first);
    json_u64("gid", o->gid, first);
    json_strkey("group", group_name(o->gid, b, sizeof b), first);
    snprintf(b, sizeof b, "%04o", o->mode);
    json_strkey("mode", b, first);
    json_u64("creator_pid", o->readable && !o->corrupt ? (uint64_t)o->creator_pid : MMF_UNKNOWN, first);
    json_strkey("created", o->create_ns ? time_string(o->create_ns, 1, b, sizeof b) : NULL,
                first);
    json_u64("handles", o->handles, first);
    json_u64("processes", o->processes, first);
    json_u64("mappers", o->mappers, first);
    json_u64("hidden_handles", o->hidden, first);
    json_u64("allocated", o->readable ? o->allocated : MMF_UNKNOWN, first);
    json_u64("resident", o->resident, first);
    json_u64("dirty", o->dirty, first);
}

/* "2", "2+" when handles are hidden in processes we cannot inspect. */
static const char *count_string(uint64_t n, uint64_t hidden, char *buf, size_t cap)
{
    if (n == MMF_UNKNOWN)
        snprintf(buf, cap, "?");
    else
        snprintf(buf, cap, "%" PRIu64 "%s", n, hidden != MMF_UNKNOWN && hidden > 0 ? "+" : "");
    return buf;
}

/* ------------------------------------------------------------------------ */
/* ls                                                                        */
/* ------------------------------------------------------------------------ */

static void help_ls(void)
{
    puts("usage: mmf ls [--json]\n"
         "\n"
         "List every named object in your view of the store: your Local\\ objects\n"
         "and all Global\\ ones. Columns: name, type, size, owner, permissions,\n"
         "live handles in the whole system, processes holding a handle, processes\n"
         "mapping a view, resident bytes, and the state: live, stale (every holder\n"
         "died; `mmf gc` reclaims it) or corrupt.\n"
         "\n"
         "A count ending in '+' means some handles are in processes you may not\n"
         "inspect (other users'; run as root to see them). Listing takes no handle:\n"
         "it neither keeps an object alive nor revives a stale one.\n"
         "\n"
         "  --json   one JSON document: {\"store\": DIR, \"objects\": [...]}\n"
         "           (keys in docs/cli.md)");
}

/* Whether an object has data with a size (a section or a channel), or
 * may have (one we cannot read): a synchronization object has none. */
static int has_data(const mmf_object_info *o)
{
    return o->type == MMF_TYPE_SECTION || o->type == MMF_TYPE_CHANNEL || !o->readable;
}

static int cmd_ls(int argc, char **argv)
{
    struct opt opts[] = {{"--json", 0, NULL}, {NULL, 0, NULL}};
    mmf_object_info *list;
    size_t n;
    int rc;

    parse_opts(argc, argv, opts, NULL, 0, help_ls, NULL);
    rc = mmf_store_list(MMF_INFO_ALL, &list, &n);
    if (rc < 0)
        die(exit_code(rc), NULL, "cannot read the store: %s", mmf_strerror(rc));

    if (opts[0].value != NULL) {
        const char *dir = getenv("MMF_STORE_DIR");
        int first = 1;
        printf("{");
        json_strkey("store", dir != NULL && dir[0] == '/' ? dir : "/dev/shm", &first);
        printf(",\"objects\":[");
        for (size_t i = 0; i < n; i++) {
            int f = 1;
            printf("%s{", i ? "," : "");
            json_object_fields(&list[i], &f);
            printf("}");
        }
        printf("]}\n");
    } else if (n == 0) {
        printf("No objects in the store (your Local\\ names and all Global\\ names).\n");
    } else {
        struct table t = {10, {"NAME", "TYPE", "SIZE", "OWNER", "MODE", "HANDLES",
                               "PROCS", "MAPS", "RESIDENT", "STATE"},
                          {0, 0, 1, 0, 0, 1, 1, 1, 1, 0}, NULL, NULL, 0, 0};
        int any_hidden = 0;
        for (size_t i = 0; i < n; i++) {
            const mmf_object_info *o = &list[i];
            char size[32], owner[64], mode[16], handles[32], procs[32], maps[32],
                res[32];
            const char *cells[10], *paint[10] = {0};
            cells[0] = show(o->name);
            cells[1] = type_string(o);
            cells[2] = has_data(o) ? human(o->size, size, sizeof size) : "-";
            cells[3] = user_name(o->uid, owner, sizeof owner);
            cells[4] = mode_string(o->mode, mode);
            cells[5] = count_string(o->handles, 0, handles, sizeof handles);
            cells[6] = count_string(o->processes, o->hidden, procs, sizeof procs);
            cells[7] = count_string(o->mappers, o->hidden, maps, sizeof maps);
            cells[8] = !has_data(o) ? "-"
                       : o->resident == MMF_UNKNOWN ? "?" : human(o->resident, res, sizeof res);
            cells[9] = state_string(o);
            paint[9] = o->corrupt || o->stale ? C_RED : C_GREEN;
            if (o->hidden != MMF_UNKNOWN && o->hidden > 0) {
                paint[6] = paint[7] = C_YELLOW;
                any_hidden = 1;
            }
            if (o->stale || o->corrupt)
                paint[0] = C_DIM;
            table_row(&t, cells, paint);
        }
        table_print(&t, "");
        if (any_hidden)
            printf("%s+ some handles are in processes you may not inspect%s\n",
                   c(C_DIM), c(C_OFF));
    }
    mmf_store_list_free(list);
    return EX_OK;
}

/* ------------------------------------------------------------------------ */
/* stat                                                                      */
/* ------------------------------------------------------------------------ */

static void help_stat(void)
{
    puts("usage: mmf stat NAME [--json]\n"
         "\n"
         "Show one object in detail: its header (type, size, protection, flags,\n"
         "backing, owner, mode, creator, creation time), its state (live, stale or\n"
         "corrupt; live handles), the processes that hold handles or map views\n"
         "(pid, command, handles, view ranges), its allocated and resident bytes\n"
         "and, for a file-backed section, its dirty bytes (modified in memory, not\n"
         "yet written to the file), and the state of a mutex (owner, recursion,\n"
         "abandoned), event (signaled, waiters) or semaphore (count, maximum).\n"
         "Changes nothing: the header is read without a handle; a synchronization\n"
         "object's state is read through a handle held for that moment only.\n"
         "\n"
         "NAME is \"Local\\name\" (the default prefix) or \"Global\\name\".\n"
         "\n"
         "  --json   one JSON object (keys in docs/cli.md)");
}

/* Look up NAME; not-found and bad names end the command. */
static void stat_or_die(const char *name, unsigned what, mmf_object_info *info)
{
    int rc = mmf_object_stat(name, what, info);
    if (rc == MMF_EINVAL || rc == MMF_EBADNAME || rc == MMF_ENAMETOOLONG)
        die(EX_USAGE, name, "%s", rc == MMF_EINVAL ? "an object name cannot be empty"
                                                   : mmf_strerror(rc));
    if (rc < 0)
        fail(name, rc);
}

static int sync_state(const mmf_object_info *info, mmf_sync_info *si);

/* The channel part of `mmf stat`. */
static void print_channel(const mmf_channel_info *ci)
{
    char b1[64], b2[64];
    int ring = ci->kind == MMF_KIND_RING;

    printf("  channel     %s%s\n", mmf_channel_kind_name(ci->kind),
           ci->persistent ? ", persistent" : "");
    if (ci->persistent)
        printf("  file        %s\n", show(ci->file));
    if (ring)
        printf("  capacity    %s, messages up to %s\n", human(ci->capacity, b1, sizeof b1),
               human(ci->max_message, b2, sizeof b2));
    else
        printf("  capacity    %" PRIu64 " slots of %s\n", ci->capacity,
               human(ci->max_message, b1, sizeof b1));
    if (ci->corrupt) {
        printf("  positions   %scorrupt: the control block is damaged%s\n", c(C_RED),
               c(C_OFF));
    } else if (ring) {
        printf("  fill        %s of %s (%.0f%%)\n", human(ci->fill, b1, sizeof b1),
               human(ci->capacity, b2, sizeof b2),
               ci->capacity ? 100.0 * (double)ci->fill / (double)ci->capacity : 0.0);
        printf("  positions   %" PRIu64 " bytes committed, %" PRIu64 " released\n",
               ci->produced, ci->consumed);
    } else {
        printf("  fill        %" PRIu64 " message%s of %" PRIu64 "\n", ci->fill,
               ci->fill == 1 ? "" : "s", ci->capacity);
        printf("  positions   %" PRIu64 " published, %" PRIu64 " %s\n", ci->produced,
               ci->consumed, ci->kind == MMF_KIND_QUEUE ? "taken" : "oldest held");
    }
    printf("  producers   %" PRIu64 " attached (%" PRIu64 " ever)\n", ci->producers,
           ci->producers_ever);
    if (ci->consumers == MMF_UNKNOWN)
        printf("  %-11s not tracked (%" PRIu64 " ever)\n",
               ci->kind == MMF_KIND_BCAST ? "readers" : "consumers", ci->consumers_ever);
    else
        printf("  %-11s %" PRIu64 " attached (%" PRIu64 " ever)\n",
               ci->kind == MMF_KIND_BCAST ? "readers" : "consumers", ci->consumers,
               ci->consumers_ever);
}

static int cmd_stat(int argc, char **argv)
{
    struct opt opts[] = {{"--json", 0, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    mmf_holder *hl = NULL;
    size_t nh = 0;
    uint64_t hidden = 0;
    char *pos[1];
    char b1[64], b2[64], b3[64];
    mmf_sync_info si;
    mmf_channel_info ci;
    int rc, is_sync, sync_rc, chan_rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_stat, NULL) != 1)
        usage_error("give one object name");
    stat_or_die(pos[0], MMF_INFO_ALL, &info);
    rc = mmf_object_holders(pos[0], &hl, &nh, &hidden);
    if (rc < 0 && rc != MMF_ENOENT)
        fail(pos[0], rc);
    /* Last, so that its own brief handle is not counted above. */
    is_sync = info.type == MMF_TYPE_MUTEX || info.type == MMF_TYPE_EVENT ||
              info.type == MMF_TYPE_SEMAPHORE;
    sync_rc = is_sync ? sync_state(&info, &si) : MMF_ETYPE;
    chan_rc = info.type == MMF_TYPE_CHANNEL && info.readable && !info.corrupt
                  ? mmf_channel_stat(info.name, &ci) : MMF_ETYPE;

    if (opts[0].value != NULL) {
        int first = 1;
        printf("{");
        json_object_fields(&info, &first);
        json_u64("version", info.readable && !info.corrupt ? info.version : MMF_UNKNOWN,
                 &first);
        if (is_sync) {
            int f = 1;
            json_key("sync", &first);
            if (sync_rc < 0) {
                printf("null");
            } else {
                printf("{");
                if (si.type == MMF_TYPE_MUTEX) {
                    json_u64("owner_pid", (uint64_t)si.owner_pid, &f);
                    json_u64("owner_tid", (uint64_t)si.owner_tid, &f);
                    json_u64("recursion", si.recursion, &f);
                    json_bool("abandoned", si.abandoned, &f);
                } else if (si.type == MMF_TYPE_EVENT) {
                    json_bool("manual_reset", si.manual_reset, &f);
                    json_bool("signaled", si.signaled, &f);
                    json_u64("waiters", si.waiters, &f);
                } else {
                    json_u64("count", (uint64_t)si.count, &f);
                    json_u64("maximum", (uint64_t)si.maximum, &f);
                    json_u64("waiters", si.waiters, &f);
                }
                printf("}");
            }
        }
        if (info.type == MMF_TYPE_CHANNEL) {
            int f = 1;
            json_key("channel", &first);
            if (chan_rc < 0) {
                printf("null");
            } else {
                printf("{");
                json_strkey("kind", mmf_channel_kind_name(ci.kind), &f);
                json_bool("persistent", ci.persistent, &f);
                json_bool("corrupt", ci.corrupt, &f);
                json_u64("capacity", ci.capacity, &f);
                json_u64("max_message", ci.max_message, &f);
                json_u64("produced", ci.produced, &f);
                json_u64("consumed", ci.consumed, &f);
                json_u64("fill", ci.fill, &f);
                json_u64("producers", ci.producers, &f);
                json_u64("consumers", ci.consumers, &f);
                json_u64("producers_ever", ci.producers_ever, &f);
                json_u64("consumers_ever", ci.consumers_ever, &f);
                json_strkey("file", ci.file, &f);
                printf("}");
            }
        }
        json_key("holders", &first);
        printf("[");
        for (size_t i = 0; i < nh; i++) {
            int f = 1;
            printf("%s{", i ? "," : "");
            json_u64("pid", (uint64_t)hl[i].pid, &f);
            json_strkey("command", hl[i].command, &f);
            json_u64("handles", hl[i].handles, &f);
            json_key("views", &f);
            printf("[");
            for (size_t v = 0; v < hl[i].nviews; v++) {
                int g = 1;
                printf("%s{", v ? "," : "");
                json_u64("offset", hl[i].views[v].offset, &g);
                json_u64("length", hl[i].views[v].length, &g);
                json_strkey("access", map_string(hl[i].views[v].map, b1), &g);
                printf("}");
            }
            printf("]}");
        }
        printf("]}\n");
        mmf_object_holders_free(hl, nh);
        return EX_OK;
    }

    printf("%s%s%s\n", c(C_BOLD), show(info.name), c(C_OFF));
    printf("  type        %s\n", type_string(&info));
    if (!info.readable)
        printf("  header      %sunreadable: you may not open this object%s\n",
               c(C_YELLOW), c(C_OFF));
    if (info.corrupt)
        printf("  header      %scorrupt: not a valid mmf object%s\n", c(C_RED), c(C_OFF));
    if (info.type == MMF_TYPE_SECTION || !info.readable)
        printf("  size        %s (%" PRIu64 " bytes)\n", human(info.size, b1, sizeof b1),
               info.size);
    if (info.readable && !info.corrupt) {
        static const char *prot_words[] = {"none", "read-only", "write", "read-write",
                                           "exec", "read-exec", "write-exec",
                                           "read-write-exec"};
        if (info.type == MMF_TYPE_SECTION)
            printf("  protection  %s\n", prot_words[info.prot & 7]);
        printf("  flags       %s%s%s%s\n",
               info.flags & MMF_SECTION_RESERVE ? "reserve " : "",
               info.flags & MMF_SECTION_LARGE_PAGES ? "large-pages " : "",
               info.flags & MMF_GLOBAL ? "global " : "",
               info.flags ? "" : "-");
        if (info.type == MMF_TYPE_SECTION)
            printf("  backing     %s%s\n",
                   info.file_backed ? "file " : info.flags & MMF_SECTION_LARGE_PAGES
                                                ? "huge pages" : "memory",
                   info.file_backed ? show(info.file) : "");
        printf("  header      version %u\n", info.version);
    }
    printf("  store file  %s\n", show(info.store_file));
    printf("  owner       %s (uid %" PRIu32 "), group %s (gid %" PRIu32 ")\n",
           user_name(info.uid, b1, sizeof b1), info.uid,
           group_name(info.gid, b2, sizeof b2), info.gid);
    printf("  mode        %04o (%s)\n", info.mode, mode_string(info.mode, b3));
    if (info.readable && !info.corrupt)
        printf("  created     %s by pid %" PRId64 "\n",
               time_string(info.create_ns, 0, b1, sizeof b1), info.creator_pid);
    if (info.stale)
        printf("  state       %sstale%s: every holder died; the name is absent and "
               "`mmf gc` reclaims it\n", c(C_RED), c(C_OFF));
    else if (info.handles == MMF_UNKNOWN)
        printf("  state       %s%s%s: handles not countable here\n",
               c(info.corrupt ? C_RED : C_GREEN), state_string(&info), c(C_OFF));
    else
        printf("  state       %s%s%s: %" PRIu64 " handle%s in %" PRIu64 " process%s%s\n",
               c(info.corrupt ? C_RED : C_GREEN), state_string(&info), c(C_OFF),
               info.handles, info.handles == 1 ? "" : "s", info.processes,
               info.processes == 1 ? "" : "es",
               hidden ? " you may inspect, others hidden" : "");
    if (info.type == MMF_TYPE_SECTION) {
        uint64_t page = mmf_page_size();
        if (info.allocated != MMF_UNKNOWN && info.readable)
            printf("  allocated   %s%s\n", human(info.allocated, b1, sizeof b1),
                   info.flags & MMF_SECTION_RESERVE ? " (committed)" : "");
        if (info.resident != MMF_UNKNOWN)
            printf("  resident    %s (%" PRIu64 " of %" PRIu64 " pages)\n",
                   human(info.resident, b1, sizeof b1), info.resident / page,
                   (info.size + page - 1) / page);
        else
            printf("  resident    unknown (the data cannot be read)\n");
        if (info.file_backed)
            printf("  dirty       %s\n", info.dirty == MMF_UNKNOWN
                                       ? "unknown (needs Linux 6.5 cachestat)"
                                       : human(info.dirty, b1, sizeof b1));
    }
    if (is_sync && sync_rc < 0)
        printf("  %-11s unknown (%s)\n", mmf_type_name(info.type), mmf_strerror(sync_rc));
    else if (is_sync && si.type == MMF_TYPE_MUTEX && si.owner_pid == 0)
        printf("  mutex       free%s\n", si.abandoned ? ", abandoned" : "");
    else if (is_sync && si.type == MMF_TYPE_MUTEX)
        printf("  mutex       owned by thread %" PRId64 " of pid %" PRId64 ", %lu deep%s\n",
               si.owner_tid, si.owner_pid, si.recursion,
               si.abandoned ? "; abandoned: its previous owner died" : "");
    else if (is_sync && si.type == MMF_TYPE_EVENT)
        printf("  event       %s, %s, %lu waiter%s\n",
               si.manual_reset ? "manual-reset" : "auto-reset",
               si.signaled ? "signaled" : "not signaled", si.waiters,
               si.waiters == 1 ? "" : "s");
    else if (is_sync)
        printf("  semaphore   count %ld of %ld, %lu waiter%s\n", si.count, si.maximum,
               si.waiters, si.waiters == 1 ? "" : "s");
    if (info.type == MMF_TYPE_CHANNEL && chan_rc < 0)
        printf("  channel     unknown (%s)\n", mmf_strerror(chan_rc));
    else if (info.type == MMF_TYPE_CHANNEL)
        print_channel(&ci);
    if (nh > 0) {
        struct table t = {4, {"PID", "COMMAND", "HANDLES", "VIEWS"}, {1, 0, 1, 0},
                          NULL, NULL, 0, 0};
        printf("\n");
        for (size_t i = 0; i < nh; i++) {
            char pid[32], handles[32], views[512];
            size_t o = 0;
            const char *cells[4];
            views[0] = '\0';
            for (size_t v = 0; v < hl[i].nviews && o + 64 < sizeof views; v++) {
                char m[8];
                o += (size_t)snprintf(views + o, sizeof views - o,
                                      "%s[0x%" PRIx64 ", +%s) %s", v ? ", " : "",
                                      hl[i].views[v].offset,
                                      human(hl[i].views[v].length, b1, sizeof b1),
                                      map_string(hl[i].views[v].map, m));
            }
            if (hl[i].nviews == 0)
                snprintf(views, sizeof views, "-");
            snprintf(pid, sizeof pid, "%" PRId64, hl[i].pid);
            snprintf(handles, sizeof handles, "%u", hl[i].handles);
            cells[0] = pid;
            cells[1] = hl[i].command[0] ? show(hl[i].command) : "?";
            cells[2] = handles;
            cells[3] = views;
            table_row(&t, cells, NULL);
        }
        table_print(&t, "  ");
    }
    if (hidden > 0)
        printf("  %s+ %" PRIu64 " handle%s in processes you may not inspect%s\n", c(C_YELLOW),
               hidden, hidden == 1 ? "" : "s", c(C_OFF));
    mmf_object_holders_free(hl, nh);
    return EX_OK;
}

/* ------------------------------------------------------------------------ */
/* Opening a section for data commands                                       */
/* ------------------------------------------------------------------------ */

/*
 * Open NAME as a section with `access`, after checking it is a live
 * section: a stale object is reported as absent instead of being opened
 * (which would reclaim it: a reader must not change the store).
 */
static void check_section(const char *name, mmf_object_info *info)
{
    stat_or_die(name, 0, info);
    if (info->stale)
        die(EX_NOTFOUND, name, "no object with that name exists (a stale entry is left "
                               "by processes that died; `mmf gc` reclaims it)");
    if (info->corrupt)
        die(EX_ERROR, name, "%s", mmf_strerror(MMF_ECORRUPT));
    if (info->readable && info->type != MMF_TYPE_SECTION)
        die(EX_TYPE, name, "is a %s, not a section", mmf_type_name(info->type));
}

static void __attribute__((noreturn)) denied(const char *name, const mmf_object_info *info,
                                             const char *why)
{
    die(EX_DENIED, name, "access denied (mode %04o, owner uid %" PRIu32 ")%s", info->mode,
        info->uid, why);
}

static mmf_section *open_section(const char *name, unsigned access, mmf_object_info *info)
{
    mmf_section *s;
    int rc;

    check_section(name, info);
    rc = mmf_section_open(&s, name, access);
    if (rc == MMF_EACCES)
        denied(name, info,
               (access & MMF_ACCESS_WRITE) && info->readable && !(info->prot & MMF_PROT_WRITE)
               ? "; the section is read-only" : "");
    if (rc < 0)
        fail(name, rc);
    return s;
}

/* Read [off, off + len) of a section without a handle or a view (see
 * mmf_object_read): looking never commits or keeps anything. */
static void read_range(const char *name, const mmf_object_info *info, uint64_t off,
                       unsigned char *buf, size_t len)
{
    size_t done = 0;
    int rc = mmf_object_read(name, off, buf, len, &done);
    if (rc == MMF_EACCES)
        denied(name, info, "");
    if (rc == MMF_ENOENT)
        die(EX_NOTFOUND, name, "the object is gone");
    if (rc < 0)
        fail(name, rc);
    if (done < len)
        die(EX_ERROR, name, "the section shrank while being read");
}

/* The range [offset, offset + length) of a section of `size` bytes, from
 * --offset and --length (length default: to the end). */
static void get_range(const struct opt *off_o, const struct opt *len_o, uint64_t size,
                      uint64_t *off, uint64_t *len)
{
    *off = off_o->value ? size_opt(off_o, "offset") : 0;
    if (*off > size)
        usage_error("offset %" PRIu64 " is past the end of the section (%" PRIu64
                    " bytes)", *off, size);
    *len = len_o->value ? size_opt(len_o, "length") : size - *off;
    if (*len > size - *off)
        usage_error("offset %" PRIu64 " + length %" PRIu64 " runs past the end of "
                    "the section (%" PRIu64 " bytes)", *off, *len, size);
}

/* Map [off, off + len) of s with `map`; returns a pointer to byte off and
 * the view base in *base. */
static unsigned char *map_range(mmf_section *s, const char *name, unsigned map, uint64_t off,
                                uint64_t len, void **base)
{
    uint64_t gran = mmf_allocation_granularity(), start = off / gran * gran;
    int rc;
    *base = NULL;
    if (len + (off - start) > SIZE_MAX)
        die(EX_ERROR, name, "range too large to map in this process");
    rc = mmf_view_map(s, map, start, (size_t)(len + (off - start)), 0, base);
    if (rc < 0)
        fail(name, rc);
    return (unsigned char *)*base + (off - start);
}

/* ------------------------------------------------------------------------ */
/* cat, dump, write                                                          */
/* ------------------------------------------------------------------------ */

static void help_cat(void)
{
    puts("usage: mmf cat NAME [--offset O] [--length L]\n"
         "\n"
         "Write the bytes of section NAME to stdout, raw: the whole section, or L\n"
         "bytes from offset O. Sizes: decimal, 0x hex, or with K, M, G, T.\n"
         "Reads without a handle or a view: it never creates, keeps alive or\n"
         "changes anything, and reading a page a sparse section has not committed\n"
         "gives zeros without committing it.");
}

static void help_dump(void)
{
    puts("usage: mmf dump NAME [--offset O] [--length L]\n"
         "\n"
         "Show the bytes of section NAME in hex and ASCII, 16 a line, each line\n"
         "starting with its offset in the section (the format of hexdump -C:\n"
         "repeated lines are shown once, then '*'). Reads as cat does.");
}

static void help_write(void)
{
    puts("usage: mmf write NAME [--offset O] < DATA\n"
         "\n"
         "Copy stdin into section NAME at offset O (default 0). The data must fit:\n"
         "if it runs past the end of the section, nothing is written (exit 2).\n"
         "File-backed sections are flushed to their file. Opens the existing\n"
         "section, never creates one.");
}

/* One line of the dump: offset, 16 bytes in hex, and as ASCII. */
static void dump_line(uint64_t at, const unsigned char *p, size_t n)
{
    printf("%08" PRIx64 " ", at);
    for (size_t j = 0; j < 16; j++) {
        if (j == 8)
            putchar(' ');
        if (j < n)
            printf(" %02x", p[j]);
        else
            fputs("   ", stdout);
    }
    printf("  |");
    for (size_t j = 0; j < n; j++)
        putchar(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.');
    printf("|\n");
}

static int cmd_cat_or_dump(int argc, char **argv, int dump)
{
    struct opt opts[] = {{"--offset", 1, NULL}, {"--length", 1, NULL}, {NULL, 0, NULL}};
    enum { CHUNK = 1 << 20 }; /* a multiple of 16 */
    mmf_object_info info;
    unsigned char *buf, prev[16];
    uint64_t off, len;
    char *pos[1];
    int starred = 0, have_prev = 0;

    if (parse_opts(argc, argv, opts, pos, 1, dump ? help_dump : help_cat, NULL) != 1)
        usage_error("give one section name");
    /* Check the numbers before touching the object. */
    if (opts[0].value)
        size_opt(&opts[0], "offset");
    if (opts[1].value)
        size_opt(&opts[1], "length");
    check_section(pos[0], &info);
    get_range(&opts[0], &opts[1], info.size, &off, &len);
    if ((buf = malloc(CHUNK)) == NULL)
        die(EX_ERROR, pos[0], "out of memory");
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done > CHUNK ? CHUNK : (size_t)(len - done);
        read_range(pos[0], &info, off + done, buf, n);
        if (!dump) {
            if (fwrite(buf, 1, n, stdout) != n)
                stdout_failed(pos[0], "");
        } else {
            /* As hexdump -C: a line equal to the one before is shown once
             * as "*". */
            for (size_t i = 0; i < n; i += 16) {
                size_t k = n - i < 16 ? n - i : 16;
                if (have_prev && k == 16 && memcmp(buf + i, prev, 16) == 0) {
                    if (!starred)
                        puts("*");
                    starred = 1;
                    continue;
                }
                starred = 0;
                dump_line(off + done + i, buf + i, k);
                memcpy(prev, buf + i, k);
                have_prev = k == 16;
            }
        }
        done += n;
    }
    if (dump)
        printf("%08" PRIx64 "\n", off + len);
    free(buf);
    if (fflush(stdout) != 0)
        stdout_failed(pos[0], "");
    return EX_OK;
}

static int cmd_write(int argc, char **argv)
{
    struct opt opts[] = {{"--offset", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    mmf_section *s;
    uint64_t off = 0, room;
    unsigned char *buf, *p;
    size_t n = 0, cap;
    void *base;
    char *pos[1];
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_write, NULL) != 1)
        usage_error("give one section name");
    if (opts[0].value)
        off = size_opt(&opts[0], "offset");
    s = open_section(pos[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE, &info);
    if (off > info.size)
        usage_error("offset %" PRIu64 " is past the end of the section (%" PRIu64
                    " bytes)", off, info.size);
    room = info.size - off;
    /* Read all of stdin first (one byte more than fits, to tell "too
     * long"), so a short or failed read changes nothing. */
    cap = room + 1 < (1u << 16) ? (size_t)room + 1 : (1u << 16);
    buf = malloc(cap);
    if (buf == NULL)
        die(EX_ERROR, pos[0], "out of memory");
    for (;;) {
        ssize_t r;
        if (n == cap) {
            if ((uint64_t)cap > room)
                break;
            cap = (uint64_t)cap * 2 > room + 1 ? (size_t)room + 1 : cap * 2;
            if ((buf = realloc(buf, cap)) == NULL)
                die(EX_ERROR, pos[0], "out of memory");
        }
        r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die(EX_ERROR, pos[0], "cannot read stdin: %s", strerror(errno));
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if ((uint64_t)n > room)
        usage_error("the input is longer than the %" PRIu64 " bytes from offset %" PRIu64
                    " to the end of %s; nothing was written", room, off, show(pos[0]));
    if (n > 0) {
        p = map_range(s, pos[0], MMF_MAP_WRITE, off, n, &base);
        memcpy(p, buf, n);
        if (info.file_backed && (rc = mmf_view_flush(base, 0)) < 0)
            fail(pos[0], rc);
        mmf_view_unmap(base);
    }
    mmf_section_close(s);
    free(buf);
    printf("wrote %zu byte%s to %s at offset %" PRIu64 "\n", n, n == 1 ? "" : "s",
           show(info.name), off);
    return EX_OK;
}

/* ------------------------------------------------------------------------ */
/* watch                                                                     */
/* ------------------------------------------------------------------------ */

static void help_watch(void)
{
    puts("usage: mmf watch NAME [--offset O] [--length L] [--interval MS]\n"
         "\n"
         "Print the changes to a region of section NAME as they happen, until\n"
         "interrupted (Ctrl-C) or until the name is gone. Every MS milliseconds\n"
         "(default 100) the region is compared with the last copy; each changed\n"
         "run of bytes is one line: time, offset, length, the new bytes in hex\n"
         "and ASCII (at most 16 shown). Changes that come and go between two\n"
         "looks are not seen.\n"
         "\n"
         "watch reads the section without a handle or a view: it writes nothing,\n"
         "does not keep the name alive, and commits no memory.");
}

static void print_change(uint64_t at, const unsigned char *p, size_t n)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    size_t shown = n < 16 ? n : 16;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    printf("%s.%03ld  0x%08" PRIx64 "  %5zu byte%s ", when, ts.tv_nsec / 1000000, at, n,
           n == 1 ? " " : "s");
    for (size_t i = 0; i < shown; i++)
        printf(" %02x", p[i]);
    printf("%s  |", n > shown ? " ..." : "");
    for (size_t i = 0; i < shown; i++)
        putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
    printf("|\n");
}

static int cmd_watch(int argc, char **argv)
{
    struct opt opts[] = {{"--offset", 1, NULL}, {"--length", 1, NULL},
                         {"--interval", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    uint64_t off, len, interval = 100;
    unsigned char *cur, *copy;
    char *pos[1];
    sigset_t set;
    struct timespec ts;

    if (parse_opts(argc, argv, opts, pos, 1, help_watch, NULL) != 1)
        usage_error("give one section name");
    if (opts[2].value) {
        interval = size_opt(&opts[2], "interval");
        if (interval == 0 || interval > 3600 * 1000)
            usage_error("--interval must be 1 to 3600000 milliseconds");
    }
    if (opts[0].value)
        size_opt(&opts[0], "offset");
    if (opts[1].value)
        size_opt(&opts[1], "length");
    check_section(pos[0], &info);
    get_range(&opts[0], &opts[1], info.size, &off, &len);
    if (len == 0)
        usage_error("the region to watch is empty");
    if (len > (UINT64_C(1) << 30))
        usage_error("watch at most 1 GiB at a time (--offset, --length)");
    if ((copy = malloc((size_t)len)) == NULL || (cur = malloc((size_t)len)) == NULL)
        die(EX_ERROR, pos[0], "out of memory");
    read_range(pos[0], &info, off, copy, (size_t)len);

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    fprintf(stderr, "watching %s [0x%" PRIx64 ", 0x%" PRIx64 ") every %" PRIu64
                    " ms; Ctrl-C to stop\n", show(info.name), off, off + len, interval);
    ts.tv_sec = (time_t)(interval / 1000);
    ts.tv_nsec = (long)(interval % 1000) * 1000000L;
    for (;;) {
        mmf_object_info now;
        size_t done = 0;
        int rc;
        if (sigtimedwait(&set, NULL, &ts) > 0)
            break;
        /* Gone (its last handle closed), or a new object under the name? */
        rc = mmf_object_stat(pos[0], 0, &now);
        if (rc == MMF_ENOENT ||
            (rc == 0 && (now.stale || now.create_ns != info.create_ns))) {
            fprintf(stderr, "%s is gone: its last handle closed\n", show(info.name));
            break;
        }
        if (mmf_object_read(pos[0], off, cur, (size_t)len, &done) < 0 || done < len)
            continue;
        for (size_t i = 0; i < (size_t)len;) {
            size_t j, last;
            if (cur[i] == copy[i]) {
                i++;
                continue;
            }
            /* A run of changes; gaps of up to 8 equal bytes join it. */
            last = i;
            for (j = i + 1; j < (size_t)len && j <= last + 8; j++)
                if (cur[j] != copy[j])
                    last = j;
            print_change(off + i, cur + i, last + 1 - i);
            i = last + 1;
        }
        memcpy(copy, cur, (size_t)len);
        if (fflush(stdout) != 0)
            stdout_failed(pos[0], "");
    }
    free(cur);
    free(copy);
    return EX_OK;
}

/* ------------------------------------------------------------------------ */
/* create, rm, gc                                                            */
/* ------------------------------------------------------------------------ */

static void help_create(void)
{
    puts("usage: mmf create NAME --size N [--file PATH] [--mode 0640] [--global]\n"
         "                  [--reserve] [--large-pages] [--detach]\n"
         "\n"
         "Create the section NAME and hold it open. As on Windows, a name lives only\n"
         "while some process holds a handle to it, so `mmf create` must stay to keep\n"
         "it: by default it holds the handle in the foreground until interrupted\n"
         "(Ctrl-C, SIGTERM, SIGHUP), then closes it, and the name is gone unless\n"
         "another process holds it too. With --detach, a background process holds\n"
         "it and its pid is printed, alone on stdout (pid=$(mmf create ...\n"
         "--detach)); `kill PID` closes it.\n"
         "\n"
         "  --size N        size in bytes (K, M, G, T suffixes; rounded up to a page);\n"
         "                  with --file, 0 or absent means the file's size\n"
         "  --file PATH     back the section by this existing file (it grows to N)\n"
         "  --mode MODE     octal permission bits, e.g. 0640 (default 0600, owner only)\n"
         "  --global        put a name without prefix in Global\\ (all users)\n"
         "  --reserve       reserve, do not commit: memory is taken as pages are used\n"
         "  --large-pages   back it by huge pages (needs a hugetlbfs mount)\n"
         "  --hold          hold it in the foreground (the default)\n"
         "  --detach        hold it from a background process; print its pid\n"
         "                  (only the pid on stdout; what was created on stderr)\n"
         "\n"
         "Fails with exit 7 if the name exists (any type).");
}

/* The signals that stop a holder, blocked (so none is lost before the
 * holder waits for them) or awaited. */
static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigprocmask(SIG_BLOCK, set, NULL);
}

static void wait_for_stop(void)
{
    sigset_t set;
    int sig;
    stop_signals(&set);
    while (sigwait(&set, &sig) != 0)
        ;
}

/* Why `path` could not be found: its folder is missing (or is not a
 * folder), or just the file. */
static void say_missing(const char *name, const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) != 0)
        warn(name, "the directory %s does not exist (for the file %s)", show(dir),
             show(path));
    else if (!S_ISDIR(st.st_mode))
        warn(name, "%s is not a directory (for the file %s)", show(dir), show(path));
    else
        warn(name, "the file %s does not exist (--file takes an existing file)",
             show(path));
}

static int cmd_create(int argc, char **argv)
{
    struct opt opts[] = {{"--size", 1, NULL},   {"--file", 1, NULL},
                         {"--mode", 1, NULL},   {"--global", 0, NULL},
                         {"--reserve", 0, NULL}, {"--large-pages", 0, NULL},
                         {"--detach", 0, NULL}, {"--hold", 0, NULL},
                         {NULL, 0, NULL}};
    mmf_section_opts so = {0};
    mmf_section_info si;
    mmf_section *s;
    uint64_t size = 0;
    char *pos[1], b[32];
    int rc, detach, pipefd[2] = {-1, -1};
    pid_t child = 0;
    sigset_t stopset;

    if (parse_opts(argc, argv, opts, pos, 1, help_create, NULL) != 1)
        usage_error("give one section name");
    detach = opts[6].value != NULL;
    if (opts[0].value)
        size = size_opt(&opts[0], "size");
    if (opts[0].value == NULL && opts[1].value == NULL)
        usage_error("give the size: --size N (e.g. --size 1M)");
    if (size == 0 && opts[1].value == NULL)
        usage_error("the size must be at least 1 byte");
    if (opts[2].value) {
        char *end;
        long m;
        errno = 0;
        m = strtol(opts[2].value, &end, 8);
        if (opts[2].value[0] < '0' || opts[2].value[0] > '7' || *end != '\0' ||
            errno != 0 || m <= 0 || m > 0777)
            usage_error("bad mode '%s': give octal permission bits from 0001 to 0777, "
                        "e.g. 0640", show(opts[2].value));
        so.mode = (unsigned)m;
    }
    if (opts[3].value) {
        so.flags |= MMF_GLOBAL;
        global_default = 1;
    }
    if (opts[4].value)
        so.flags |= MMF_SECTION_RESERVE;
    if (opts[5].value)
        so.flags |= MMF_SECTION_LARGE_PAGES;
    if (opts[1].value && (opts[4].value || opts[5].value))
        usage_error("--reserve and --large-pages apply to memory-backed sections, "
                    "not to --file");
    if (detach && opts[7].value)
        usage_error("--hold and --detach exclude each other");

    if (detach) {
        /* The holder is the child, which makes the section itself: a handle
         * made here and inherited would not be closed properly by it. */
        if (pipe(pipefd) != 0)
            die(EX_ERROR, pos[0], "pipe: %s", strerror(errno));
        fflush(stdout);
        child = fork();
        if (child < 0)
            die(EX_ERROR, pos[0], "fork: %s", strerror(errno));
        if (child > 0) {
            /* The parent reports what the child says. */
            int result = EX_ERROR;
            ssize_t r;
            close(pipefd[1]);
            do {
                r = read(pipefd[0], &result, sizeof result);
            } while (r < 0 && errno == EINTR);
            if (r != (ssize_t)sizeof result) {
                waitpid(child, NULL, 0);
                die(EX_ERROR, pos[0], "the holder process failed to start");
            }
            if (result != 0) {
                waitpid(child, NULL, 0);
                exit(result); /* the child printed why */
            }
            {
                mmf_object_info oi = {0};
                const char *full = canon(pos[0]);
                mmf_object_stat(full, 0, &oi);
                /* stdout is the pid alone, for pid=$(mmf create ... --detach). */
                printf("%ld\n", (long)child);
                if (fflush(stdout) != 0 || ferror(stdout)) {
                    int e = errno;
                    /* Nobody learnt the pid: no holder may stay unknown. */
                    kill(child, SIGTERM);
                    errno = e;
                    stdout_failed(pos[0], "; the holder was stopped");
                }
                fprintf(stderr, "created %s (%s); held by pid %ld until it is stopped "
                        "(kill %ld)\n", show(full), human(oi.size, b, sizeof b),
                        (long)child, (long)child);
            }
            return EX_OK;
        }
        close(pipefd[0]);
        setsid();
    }

    /* From here a stop signal must close the handle, not kill us. */
    stop_signals(&stopset);
    if (opts[1].value)
        rc = mmf_section_create_path(&s, pos[0], opts[1].value, size, MMF_CREATE_NEW, &so);
    else
        rc = mmf_section_create(&s, pos[0], size, MMF_CREATE_NEW, &so);
    if (rc < 0) {
        int code = exit_code(rc);
        /* Errors about the backing file name the file too. */
        if (opts[1].value && rc == MMF_ENOENT)
            say_missing(pos[0], opts[1].value);
        else if (opts[1].value && (rc == MMF_EACCES || rc == MMF_EFILEEMPTY ||
                                   rc == MMF_ENODEV))
            warn(pos[0], "%s: %s", show(opts[1].value), mmf_strerror(rc));
        else
            warn(pos[0], "%s", mmf_strerror(rc));
        if (detach) {
            ssize_t w = write(pipefd[1], &code, sizeof code);
            (void)w; /* the parent reports a failure either way */
            _exit(code);
        }
        return code;
    }
    mmf_section_stat(s, &si);
    if (detach) {
        int zero = 0;
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
            if (devnull > 2)
                close(devnull);
        }
        if (write(pipefd[1], &zero, sizeof zero) < 0)
            _exit(EX_ERROR);
        close(pipefd[1]);
        /* Pin no folder (a mount could not be unmounted). */
        if (chdir("/") != 0)
            _exit(EX_ERROR);
        wait_for_stop();
        mmf_section_close(s);
        _exit(EX_OK);
    }
    signal(SIGPIPE, SIG_IGN); /* a closed stdout must not skip the close */
    printf("created %s (%s%s%s); holding it until interrupted (Ctrl-C)\n", show(si.name),
           human(si.size, b, sizeof b), si.file_backed ? ", file " : "",
           si.file_backed ? show(opts[1].value) : "");
    fflush(stdout);
    wait_for_stop();
    mmf_section_close(s);
    printf("closed %s\n", show(si.name));
    return EX_OK;
}

static void help_rm(void)
{
    puts("usage: mmf rm NAME\n"
         "\n"
         "Remove the name NAME from the store. With Windows semantics this is only\n"
         "possible when no process holds a handle to it: a stale object (every\n"
         "holder died) or a corrupt entry. A live object cannot be removed (exit 4):\n"
         "its name goes by itself when its last handle closes.");
}

static int cmd_rm(int argc, char **argv)
{
    mmf_object_info info;
    char *pos[1];
    int rc;

    if (parse_opts(argc, argv, NULL, pos, 1, help_rm, NULL) != 1)
        usage_error("give one object name");
    stat_or_die(pos[0], 0, &info);
    rc = mmf_object_remove(pos[0]);
    if (rc == MMF_EBUSY) {
        mmf_holder *hl = NULL;
        size_t nh = 0;
        char pids[256] = "";
        size_t o = 0;
        uint64_t hidden = 0;
        mmf_object_info now;
        uint64_t handles = mmf_object_stat(pos[0], 0, &now) == 0 ? now.handles : MMF_UNKNOWN;
        if (mmf_object_holders(pos[0], &hl, &nh, &hidden) == 0) {
            for (size_t i = 0; i < nh && i < 8; i++)
                if (hl[i].handles > 0)
                    o += (size_t)snprintf(pids + o, sizeof pids - o, "%s%" PRId64,
                                          o ? ", " : "", hl[i].pid);
            mmf_object_holders_free(hl, nh);
        }
        if (handles != MMF_UNKNOWN)
            die(EX_BUSY, pos[0], "%" PRIu64 " handle%s open%s%s%s; as on Windows, the "
                "name goes when the last handle closes", handles,
                handles == 1 ? " is" : "s are", pids[0] ? " (pid " : "", pids,
                pids[0] ? ")" : "");
        die(EX_BUSY, pos[0], "it is held open; as on Windows, the name goes when the "
            "last handle closes");
    }
    if (rc == MMF_EACCES)
        die(EX_DENIED, pos[0], "access denied: the entry belongs to uid %" PRIu32, info.uid);
    if (rc < 0)
        fail(pos[0], rc);
    printf("removed %s (%s %s)\n", show(info.name), info.corrupt ? "corrupt" : "stale",
           type_string(&info));
    return EX_OK;
}

static void help_gc(void)
{
    puts("usage: mmf gc\n"
         "\n"
         "Reclaim every stale object (all its holders died without closing) and\n"
         "every corrupt entry nobody holds, in your view of the store, and print\n"
         "what was removed. Live objects are never touched. Exit 3 if some stale\n"
         "entries belong to other users and could not be removed.");
}

static int cmd_gc(int argc, char **argv)
{
    mmf_object_info *list;
    size_t n;
    char b[32];
    int rc;

    parse_opts(argc, argv, NULL, NULL, 0, help_gc, NULL);
    rc = mmf_store_gc(&list, &n);
    if (rc < 0)
        die(exit_code(rc), NULL, "%s", mmf_strerror(rc));
    for (size_t i = 0; i < n; i++) {
        printf("removed %s (%s %s", show(list[i].name), list[i].corrupt ? "corrupt" : "stale",
               type_string(&list[i]));
        if (list[i].type == MMF_TYPE_SECTION || !list[i].readable)
            printf(", %s", human(list[i].size, b, sizeof b));
        printf(")\n");
    }
    if (n == 0)
        printf("nothing to reclaim\n");
    else
        printf("reclaimed %zu object%s\n", n, n == 1 ? "" : "s");
    mmf_store_list_free(list);
    if (rc > 0)
        die(EX_DENIED, NULL, "%d stale entr%s belong%s to other users and could not be "
            "removed (run as root)", rc, rc == 1 ? "y" : "ies", rc == 1 ? "s" : "");
    return EX_OK;
}

/* ------------------------------------------------------------------------ */
/* Synchronization objects and channels                                      */
/* ------------------------------------------------------------------------ */

/* Open NAME as the synchronization object it is; `want` is the type the
 * command needs, or 0 for any. */
static mmf_sync *open_sync(const char *name, int want, mmf_object_info *info)
{
    mmf_sync *o = NULL;
    int rc;

    stat_or_die(name, 0, info);
    if (info->stale)
        die(EX_NOTFOUND, name, "no object with that name exists (a stale entry is left "
                               "by processes that died; `mmf gc` reclaims it)");
    if (info->corrupt)
        die(EX_ERROR, name, "%s", mmf_strerror(MMF_ECORRUPT));
    if (!info->readable)
        die(EX_DENIED, name, "access denied (mode %04o, owner uid %" PRIu32 ")", info->mode,
            info->uid);
    if (want != 0 && info->type != want)
        die(EX_TYPE, name, "is a %s, not a%s %s", mmf_type_name(info->type),
            want == MMF_TYPE_EVENT ? "n" : "", mmf_type_name(want));
    switch (info->type) {
    case MMF_TYPE_MUTEX: rc = mmf_mutex_open(&o, name); break;
    case MMF_TYPE_EVENT: rc = mmf_event_open(&o, name); break;
    case MMF_TYPE_SEMAPHORE: rc = mmf_semaphore_open(&o, name); break;
    default:
        die(EX_TYPE, name, "is a %s: only mutexes, events and semaphores can be waited on",
            mmf_type_name(info->type));
    }
    if (rc == MMF_EACCES)
        die(EX_DENIED, name, "access denied (mode %04o, owner uid %" PRIu32 ")", info->mode,
            info->uid);
    if (rc < 0)
        fail(name, rc);
    return o;
}

/* --timeout MS: 0 .. MMF_TIMEOUT_MAX; absent: wait forever. */
static long long timeout_opt(const struct opt *o)
{
    uint64_t v;
    if (o->value == NULL)
        return MMF_INFINITE;
    if (parse_size(o->value, &v) != 0 || strpbrk(o->value, "kKmMgGtTpPeE") != NULL ||
        v > (uint64_t)MMF_TIMEOUT_MAX)
        usage_error("bad timeout '%s': give milliseconds, 0 to %lld", show(o->value),
                    (long long)MMF_TIMEOUT_MAX);
    return (long long)v;
}

static void help_signal(void)
{
    puts("usage: mmf signal EVENT [--reset | --pulse]\n"
         "\n"
         "Set the event EVENT to signaled (SetEvent): a manual-reset event releases\n"
         "every waiter until it is reset, an auto-reset event releases one waiter.\n"
         "--reset makes it nonsignaled instead (ResetEvent); --pulse releases the\n"
         "current waiters and leaves it nonsignaled (PulseEvent). Prints the state\n"
         "it had before.");
}

static int cmd_signal(int argc, char **argv)
{
    struct opt opts[] = {{"--reset", 0, NULL}, {"--pulse", 0, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    mmf_sync *e;
    char *pos[1];
    const char *what;
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_signal, NULL) != 1)
        usage_error("give one event name");
    if (opts[0].value && opts[1].value)
        usage_error("--reset and --pulse exclude each other");
    e = open_sync(pos[0], MMF_TYPE_EVENT, &info);
    if (opts[0].value) {
        rc = mmf_event_reset(e);
        what = "reset";
    } else if (opts[1].value) {
        rc = mmf_event_pulse(e);
        what = "pulsed";
    } else {
        rc = mmf_event_set(e);
        what = "signaled";
    }
    mmf_sync_close(e);
    if (rc < 0)
        fail(pos[0], rc);
    printf("%s %s (it was %s)\n", what, show(info.name), rc ? "signaled" : "not signaled");
    return EX_OK;
}

static void help_wait(void)
{
    puts("usage: mmf wait OBJECT [--timeout MS]\n"
         "\n"
         "Wait until the mutex, event or semaphore OBJECT is signaled, as any waiter\n"
         "does (WaitForSingleObject), then take it: a semaphore's count drops by\n"
         "one, an auto-reset event resets, a mutex is acquired and, since the tool\n"
         "exits, released at once. Without --timeout it waits until signaled.\n"
         "\n"
         "Exit 0 when signaled, 5 when the timeout passed, 10 when the object was\n"
         "an abandoned mutex (its owner died holding it; acquired and released).");
}

static int cmd_wait(int argc, char **argv)
{
    struct opt opts[] = {{"--timeout", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    long long timeout;
    mmf_sync *o;
    char *pos[1];
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_wait, NULL) != 1)
        usage_error("give one object name");
    timeout = timeout_opt(&opts[0]);
    o = open_sync(pos[0], 0, &info);
    rc = mmf_sync_wait(o, timeout);
    if (rc >= 0 && info.type == MMF_TYPE_MUTEX)
        mmf_mutex_unlock(o);
    mmf_sync_close(o);
    if (rc == MMF_ETIMEDOUT)
        die(EX_TIMEOUT, pos[0], "not signaled within %lld ms", timeout);
    if (rc < 0)
        fail(pos[0], rc);
    switch (info.type) {
    case MMF_TYPE_MUTEX:
        printf("acquired %s%s and released it\n", show(info.name),
               rc == MMF_ABANDONED ? ", abandoned by its dead owner," : "");
        break;
    case MMF_TYPE_SEMAPHORE:
        printf("took one count of %s\n", show(info.name));
        break;
    default:
        printf("%s is signaled\n", show(info.name));
    }
    return rc == MMF_ABANDONED ? EX_ABANDONED : EX_OK;
}

static void help_lock(void)
{
    puts("usage: mmf lock MUTEX [--timeout MS] -- COMMAND [ARGS...]\n"
         "\n"
         "Acquire the mutex MUTEX, run COMMAND while holding it, and release it\n"
         "when COMMAND ends. Exits with COMMAND's exit status (128 + the signal\n"
         "number if it was killed, 127 if it could not be run); before COMMAND\n"
         "runs, failures use mmf's exit codes (5: not acquired within the\n"
         "timeout). If the mutex was abandoned (its owner died holding it), a\n"
         "warning is printed and COMMAND runs anyway.\n"
         "\n"
         "COMMAND never runs without the lock: SIGTERM, SIGINT and SIGHUP sent\n"
         "to mmf are passed on to it (mmf releases the mutex once it ends), and\n"
         "if mmf itself is killed, COMMAND is killed too (SIGKILL). Processes that\n"
         "COMMAND starts are its own to stop.");
}

/* The command `mmf lock` runs, once started. */
static volatile sig_atomic_t lock_child;

/* A stop signal sent to mmf alone (kill PID) goes on to the command, and
 * mmf stays to release the mutex when it ends. One the terminal sent
 * (Ctrl-C: si_code SI_KERNEL) reached the command's process group too,
 * so it is not sent twice. */
static void forward_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (lock_child > 0 && si->si_code != SI_KERNEL)
        kill((pid_t)lock_child, sig);
}

static int cmd_lock(int argc, char **argv)
{
    static const int stops[] = {SIGTERM, SIGINT, SIGHUP};
    struct opt opts[] = {{"--timeout", 1, NULL}, {NULL, 0, NULL}};
    struct sigaction fwd = {0}, ign = {0}, dfl = {0}, old_quit;
    mmf_object_info info;
    long long timeout;
    mmf_sync *m;
    char *pos[1];
    int rc, dd, st, code;
    sigset_t set, old_mask;
    pid_t pid, parent = getpid();

    if (parse_opts(argc, argv, opts, pos, 1, help_lock, &dd) != 1)
        usage_error("give one mutex name, then -- and the command to run");
    if (dd < 0 || dd >= argc)
        usage_error("give the command to run after --");
    timeout = timeout_opt(&opts[0]);
    m = open_sync(pos[0], MMF_TYPE_MUTEX, &info);
    rc = mmf_mutex_lock(m, timeout);
    if (rc == MMF_ETIMEDOUT)
        die(EX_TIMEOUT, pos[0], "not acquired within %lld ms", timeout);
    if (rc < 0)
        fail(pos[0], rc);
    if (rc == MMF_ABANDONED)
        warn(pos[0], "the mutex was abandoned (its owner died holding it); running "
                     "the command anyway");
    fflush(NULL);
    /* As system(): the terminal's Ctrl-C goes to the command; we stay to
     * release. The stop signals are held back until the command's pid is
     * known, so none is lost. */
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        sigaddset(&set, stops[i]);
    sigprocmask(SIG_BLOCK, &set, &old_mask);
    fwd.sa_sigaction = forward_signal;
    /* No SA_RESTART: the wait below returns EINTR and goes on, and a
     * runtime that runs handlers only between calls (ThreadSanitizer's)
     * gets to run ours. */
    fwd.sa_flags = SA_SIGINFO;
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        sigaction(stops[i], &fwd, NULL);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGQUIT, &ign, &old_quit);
    pid = fork();
    if (pid == 0) {
        dfl.sa_handler = SIG_DFL;
        for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
            sigaction(stops[i], &dfl, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        /* The command must not outlive the lock: if mmf dies, even by
         * SIGKILL, leaving the mutex abandoned, the command is killed too.
         * A parent that died before prctl() is caught by getppid(). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(128 + SIGKILL);
        execvp(argv[dd], argv + dd);
        warn(pos[0], "cannot run %s: %s", show(argv[dd]), strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        int e = errno;
        mmf_mutex_unlock(m);
        die(EX_ERROR, pos[0], "fork: %s", strerror(e));
    }
    lock_child = pid;
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    rc = mmf_mutex_unlock(m);
    mmf_sync_close(m);
    if (rc < 0)
        warn(pos[0], "cannot release: %s", mmf_strerror(rc));
    code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    return code;
}

static void help_post(void)
{
    puts("usage: mmf post SEMAPHORE [--count N]\n"
         "\n"
         "Add N (default 1) to the count of the semaphore SEMAPHORE\n"
         "(ReleaseSemaphore), releasing as many waiters. Fails (exit 6) without\n"
         "changing anything if the count would pass its maximum.");
}

static int cmd_post(int argc, char **argv)
{
    struct opt opts[] = {{"--count", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    mmf_sync_info si;
    uint64_t n = 1;
    mmf_sync *o;
    char *pos[1];
    long prev = 0;
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_post, NULL) != 1)
        usage_error("give one semaphore name");
    if (opts[0].value && (parse_size(opts[0].value, &n) != 0 || n == 0 ||
                          n > 0x7fffffff || strpbrk(opts[0].value, "kKmMgGtTpPeEx")))
        usage_error("bad count '%s': give a whole number from 1 to 2147483647",
                    show(opts[0].value));
    o = open_sync(pos[0], MMF_TYPE_SEMAPHORE, &info);
    rc = mmf_semaphore_release(o, (long)n, &prev);
    if (rc == MMF_EOVERFLOW && mmf_sync_stat(o, &si) == 0) {
        mmf_sync_close(o);
        die(EX_ERROR, pos[0], "the count (%ld) + %" PRIu64 " would pass its maximum (%ld); "
            "nothing changed", si.count, n, si.maximum);
    }
    mmf_sync_close(o);
    if (rc < 0)
        fail(pos[0], rc);
    printf("posted %" PRIu64 " to %s (count %ld -> %ld)\n", n, show(info.name), prev,
           prev + (long)n);
    return EX_OK;
}

/* The state of a synchronization object, read through a handle held for
 * the moment it takes. Returns 0 or an MMF_E* code. */
static int sync_state(const mmf_object_info *info, mmf_sync_info *si)
{
    mmf_sync *o;
    int rc;

    if (!info->readable || info->stale || info->corrupt)
        return MMF_EACCES;
    switch (info->type) {
    case MMF_TYPE_MUTEX: rc = mmf_mutex_open(&o, info->name); break;
    case MMF_TYPE_EVENT: rc = mmf_event_open(&o, info->name); break;
    case MMF_TYPE_SEMAPHORE: rc = mmf_semaphore_open(&o, info->name); break;
    default: return MMF_ETYPE;
    }
    if (rc < 0)
        return rc;
    rc = mmf_sync_stat(o, si);
    mmf_sync_close(o);
    return rc;
}

static void help_bench(void)
{
    puts("usage: mmf bench [--quick] [--json]\n"
         "\n"
         "A quick look at how fast channels are on this machine: one-way latency\n"
         "of 64-byte messages on a pair of rings (busy-polling and blocking), and\n"
         "the throughput of rings, queues and broadcast channels, between this\n"
         "process and a child, pinned to the first two CPUs its affinity mask\n"
         "allows (taskset -c); with one allowed, both share it and the busy-poll\n"
         "row is skipped. Takes about half a minute (--quick: a few seconds,\n"
         "fewer samples). A progress bar goes to stderr on a terminal. The full\n"
         "benchmark, against other IPC systems, is `make bench-channels` in the\n"
         "source tree.\n"
         "\n"
         "  --quick   a tenth of the messages\n"
         "  --json    one object: {\"cpus\", \"allowed_cpus\", \"pinned\": [A, B],\n"
         "            \"rows\": [{\"test\", \"error\", \"p50_ns\", \"p99_ns\",\n"
         "            \"p999_ns\"} or {..., \"msgs_per_s\", \"bytes_per_s\", \"lost\"}\n"
         "            or {..., \"skipped\": reason}]}\n"
         "\n"
         "Exits 0, or 6 when a row failed (its error is shown).");
}

static int cmd_bench(int argc, char **argv)
{
    struct opt opts[] = {{"--quick", 0, NULL}, {"--json", 0, NULL}, {NULL, 0, NULL}};
    parse_opts(argc, argv, opts, NULL, 0, help_bench, NULL);
    return tool_bench(opts[1].value != NULL, opts[0].value != NULL);
}

/* ------------------------------------------------------------------------ */
/* main                                                                      */
/* ------------------------------------------------------------------------ */

static void usage(void)
{
    puts("usage: mmf COMMAND [ARGS]   (mmf COMMAND --help for each)\n"
         "\n"
         "See, inspect and manage the objects mmf keeps in shared memory.\n"
         "\n"
         "Looking (changes nothing):\n"
         "  ls                       list the objects: type, size, owner, holders,\n"
         "                           views, resident bytes, stale mark  [--json]\n"
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
         "\n"
         "Names: \"Local\\name\" (your own; the default prefix) or \"Global\\name\"\n"
         "(all users). Quote the backslash in a shell.\n"
         "\n"
         "Exit codes: 0 success, 1 not found, 2 usage error (bad option, size or\n"
         "name), 3 access denied, 4 busy (held by a process), 5 timed out,\n"
         "6 other error (also: output could not be written to stdout),\n"
         "7 already exists, 8 wrong object type,\n"
         "10 wait: the mutex was abandoned. `mmf lock` exits with its command's status.");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"ls", cmd_ls},         {"stat", cmd_stat},     {"create", cmd_create},
        {"rm", cmd_rm},         {"gc", cmd_gc},         {"cat", NULL},
        {"dump", NULL},         {"write", cmd_write},   {"watch", cmd_watch},
        {"signal", cmd_signal}, {"wait", cmd_wait},     {"lock", cmd_lock},
        {"post", cmd_post},     {"bench", cmd_bench},
    };
    const char *nc = getenv("NO_COLOR");

    colour = isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
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
    if (strcmp(argv[1], "--version") == 0) {
        printf("mmf %d.%d.%d\n", MMF_VERSION_MAJOR, MMF_VERSION_MINOR, MMF_VERSION_PATCH);
        return EX_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) == 0) {
            cmd = cmds[i].name;
            if (strcmp(cmd, "cat") == 0 || strcmp(cmd, "dump") == 0)
                return cmd_cat_or_dump(argc - 2, argv + 2, cmd[0] == 'd');
            return cmds[i].fn(argc - 2, argv + 2);
        }
    }
    usage_error("unknown command '%s'", show(argv[1]));
}
