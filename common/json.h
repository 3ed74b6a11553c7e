/* SPDX-License-Identifier: MIT */
/*
 * json.h - the one JSON writer of the programs in this tree: the mmf tool
 * (`--json` of ls, stat and bench) and the benchmarks (bench_section,
 * bench_sync --json). Not part of the library.
 *
 * It writes compact JSON to a stream as it goes, and places the commas and
 * the closing brackets itself, so a caller only says what comes next:
 *
 *     struct json j;
 *     json_start(&j, stdout);
 *     json_object(&j, NULL);             {
 *     json_string(&j, "name", name);       "name":"...",
 *     json_array(&j, "rows");              "rows":[
 *     json_uint(&j, NULL, 42);               42
 *     json_end(&j);                        ]
 *     json_end(&j);                      }  and a newline
 *
 * Every value function takes the member's key inside an object, or NULL
 * inside an array (and for the document itself). Strings always come out
 * as valid JSON, whatever bytes they hold: see json_string().
 */
#ifndef MMF_JSON_H
#define MMF_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
    FILE *out;
    int depth;                      /* open objects and arrays */
    char close[JSON_MAX_DEPTH];     /* '}' or ']' for each */
    int members[JSON_MAX_DEPTH];    /* values written in each so far */
};

/* Begin a document on `out`. */
void json_start(struct json *j, FILE *out);

/* Open an object or an array as the next value. */
void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
/* Close the innermost object or array; closing the outermost ends the
 * document with a newline. */
void json_end(struct json *j);

/*
 * A string value; NULL writes null. Quotes and backslashes are escaped,
 * control characters (U+0000..U+001F and DEL) become \u00XX, and each byte
 * that does not start a well-formed UTF-8 sequence (src/utf8.h: no
 * overlong forms, no surrogates) becomes \ufffd, the replacement
 * character, so the output parses whatever the input holds. Everything
 * else, U+2028 and U+2029 included (valid JSON), is copied as it is.
 */
void json_string(struct json *j, const char *key, const char *s);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, int64_t v);
/* A number with `decimals` digits after the point; NaN and the infinities,
 * which JSON cannot hold, write null. */
void json_real(struct json *j, const char *key, double v, int decimals);
void json_bool(struct json *j, const char *key, int v);
void json_null(struct json *j, const char *key);

#endif
