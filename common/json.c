/* SPDX-License-Identifier: MIT */
/* json.c - the JSON writer of json.h: separators, nesting and escaping. */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "utf8.h"

void json_start(struct json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
}

/* The text of a string, escaped, without the quotes. */
static void escaped(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        uint32_t cp;
        size_t n = mmf__utf8_decode(p, SIZE_MAX, &cp);
        if (n == 0) {
            fputs("\\ufffd", out);
            p++;
        } else if (*p == '"' || *p == '\\') {
            fprintf(out, "\\%c", *p);
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(out, "\\u%04x", *p);
            p++;
        } else {
            fwrite(p, 1, n, out);
            p += n;
        }
    }
}

/* What comes before a value: a comma after the one before it, and its
 * key inside an object. A key where none belongs, or none where one does,
 * is a bug in the caller. */
static void next(struct json *j, const char *key)
{
    if (j->depth > 0) {
        if ((key != NULL) != (j->close[j->depth - 1] == '}'))
            abort();
        if (j->members[j->depth - 1]++ > 0)
            fputc(',', j->out);
    } else if (key != NULL) {
        abort();
    }
    if (key != NULL) {
        fputc('"', j->out);
        escaped(j->out, key);
        fputs("\":", j->out);
    }
}

static void open_container(struct json *j, const char *key, char opening, char closing)
{
    next(j, key);
    if (j->depth == JSON_MAX_DEPTH)
        abort();
    fputc(opening, j->out);
    j->close[j->depth] = closing;
    j->members[j->depth] = 0;
    j->depth++;
}

void json_object(struct json *j, const char *key)
{
    open_container(j, key, '{', '}');
}

void json_array(struct json *j, const char *key)
{
    open_container(j, key, '[', ']');
}

void json_end(struct json *j)
{
    if (j->depth == 0)
        abort();
    j->depth--;
    fputc(j->close[j->depth], j->out);
    if (j->depth == 0)
        fputc('\n', j->out);
}

void json_string(struct json *j, const char *key, const char *s)
{
    next(j, key);
    if (s == NULL) {
        fputs("null", j->out);
        return;
    }
    fputc('"', j->out);
    escaped(j->out, s);
    fputc('"', j->out);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
    next(j, key);
    fprintf(j->out, "%" PRIu64, v);
}

void json_int(struct json *j, const char *key, int64_t v)
{
    next(j, key);
    fprintf(j->out, "%" PRId64, v);
}

void json_real(struct json *j, const char *key, double v, int decimals)
{
    next(j, key);
    /* v - v is 0 for a finite v and NaN otherwise: isfinite() is a
     * macro that MinGW-w64 implements with a narrowing conversion. */
    if (v - v == 0.0)
        fprintf(j->out, "%.*f", decimals, v);
    else
        fputs("null", j->out);
}

void json_bool(struct json *j, const char *key, int v)
{
    next(j, key);
    fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
    next(j, key);
    fputs("null", j->out);
}
