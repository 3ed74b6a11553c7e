/* SPDX-License-Identifier: MIT */
/*
 * table.c - output for people: colour (only on a terminal, never with
 * NO_COLOR), the display width of UTF-8 text, tables whose columns line up
 * whatever the locale, and sizes in binary units.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "utf8.h"

int tool_colour;

const char *tint(const char *code)
{
    return tool_colour ? code : "";
}

const char *human(uint64_t v, char *buf, size_t cap)
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
        uint32_t cp;
        size_t n = mmf__utf8_decode(p, SIZE_MAX, &cp);
        if (n == 0) {
            w++;
            p++;
        } else {
            w += (size_t)cp_width(cp);
            p += n;
        }
    }
    return w;
}

void table_row(struct table *t, const char **cells, const char **paint)
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

/* One line of a table: the header (r < 0) or row r. */
static void print_line(const struct table *t, const size_t *w, long r)
{
    if (r < 0)
        fputs(tint(C_BOLD), stdout);
    for (int i = 0; i < t->ncols; i++) {
        const char *s = r < 0 ? t->head[i] : t->cells[(size_t)r * MAXCOLS + (size_t)i];
        const char *p = r < 0 ? NULL : t->paint[(size_t)r * MAXCOLS + (size_t)i];
        size_t pad = w[i] - width(s);
        int last = i == t->ncols - 1;
        if (t->right[i])
            printf("%*s", (int)pad, "");
        if (p != NULL && tool_colour)
            printf("%s%s%s", p, s, r < 0 ? "" : C_OFF);
        else
            fputs(s, stdout);
        if (!t->right[i] && !last)
            printf("%*s", (int)pad, "");
        if (!last)
            fputs("  ", stdout);
    }
    if (r < 0)
        fputs(tint(C_OFF), stdout);
    fputc('\n', stdout);
}

void table_print(struct table *t, const char *indent)
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
        print_line(t, w, r);
    }
    for (size_t r = 0; r < t->rows; r++)
        for (int i = 0; i < t->ncols; i++)
            free(t->cells[r * MAXCOLS + (size_t)i]);
    free(t->cells);
    free(t->paint);
}
