/* SPDX-License-Identifier: MIT */
/* test-json.c - the JSON writer of the tool and the benchmarks
 * (common/json.c): commas and brackets, string escaping, bytes that are
 * not UTF-8 (decided by src/utf8.h, the library's decoder), and numbers
 * that JSON cannot hold. */
#include "test.h"

#include <math.h>

#include "json.h"

/* What `write` wrote through a writer, NUL-terminated (freed by the next
 * call). */
static char *written(void (*write)(struct json *))
{
    static char *buf;
    size_t len;
    struct json j;
    FILE *f;

    free(buf);
    buf = NULL;
#ifdef _WIN32
    /* No open_memstream: a file of its own in the current folder, read
     * back and removed. (Not tmpfile(): the C runtime's puts it in the
     * root of the drive, which is not always writable.) */
    const char *path = test_name("json");
    f = fopen(path, "w+b");
    CHECK(f != NULL);
    json_start(&j, f);
    write(&j);
    CHECK(fflush(f) == 0);
    len = (size_t)ftell(f);
    buf = malloc(len + 1);
    CHECK(buf != NULL);
    rewind(f);
    CHECK(fread(buf, 1, len, f) == len);
    buf[len] = '\0';
    CHECK(fclose(f) == 0);
    CHECK(remove(path) == 0);
#else
    f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    json_start(&j, f);
    write(&j);
    CHECK(fclose(f) == 0);
#endif
    return buf;
}

static const char *one_string;

static void write_string(struct json *j)
{
    json_array(j, NULL);
    json_string(j, NULL, one_string);
    json_end(j);
}

/* The array ["s"] as written, with its brackets and newline taken off. */
static const char *string_of(const char *s)
{
    char *out;
    size_t n;

    one_string = s;
    out = written(write_string);
    n = strlen(out);
    CHECK(n >= 3 && out[0] == '[' && out[n - 2] == ']' && out[n - 1] == '\n');
    out[n - 2] = '\0';
    return out + 1;
}

#define CHECK_STRING(in, want)                                                 \
    do {                                                                       \
        const char *got_ = string_of(in);                                      \
        if (strcmp(got_, want) != 0)                                           \
            test_fail(__FILE__, __LINE__, "%s: wrote %s, want %s", #in, got_, \
                      want);                                                   \
    } while (0)

static void write_nested(struct json *j)
{
    json_object(j, NULL);
    json_string(j, "name", "a");
    json_array(j, "rows");
    json_object(j, NULL);
    json_uint(j, "n", 1);
    json_end(j);
    json_object(j, NULL);
    json_end(j);
    json_array(j, NULL);
    json_end(j);
    json_end(j);
    json_string(j, "none", NULL);
    json_null(j, "null");
    json_bool(j, "yes", 1);
    json_bool(j, "no", 0);
    json_end(j);
}

TEST(commas_brackets_and_newline)
{
    const char *out = written(write_nested);
    CHECK(strcmp(out, "{\"name\":\"a\",\"rows\":[{\"n\":1},{},[]],\"none\":null,"
                      "\"null\":null,\"yes\":true,\"no\":false}\n") == 0);
}

TEST(escapes_quotes_backslashes_and_controls)
{
    CHECK_STRING("plain", "\"plain\"");
    CHECK_STRING("", "\"\"");
    CHECK_STRING("a\"b\\c", "\"a\\\"b\\\\c\"");
    CHECK_STRING("\x01\t\n\x1f\x7f", "\"\\u0001\\u0009\\u000a\\u001f\\u007f\"");
    CHECK_STRING("Local\\x", "\"Local\\\\x\"");
    /* Valid UTF-8 passes as it is: C1 controls, U+2028, CJK, emoji. */
    CHECK_STRING("\xc2\x85|\xe2\x80\xa8|\xe4\xb8\xad|\xf0\x9f\x98\x80",
                 "\"\xc2\x85|\xe2\x80\xa8|\xe4\xb8\xad|\xf0\x9f\x98\x80\"");
}

TEST(replaces_each_byte_that_is_not_utf8)
{
    CHECK_STRING("a\xff" "b", "\"a\\ufffdb\"");
    CHECK_STRING("\x80", "\"\\ufffd\"");                                  /* stray */
    CHECK_STRING("\xc0\x80", "\"\\ufffd\\ufffd\"");                       /* overlong NUL */
    CHECK_STRING("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");            /* overlong / */
    CHECK_STRING("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");            /* surrogate */
    CHECK_STRING("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    CHECK_STRING("\xe4\xb8", "\"\\ufffd\\ufffd\"");                       /* cut short */
    CHECK_STRING("\xe4\xb8x", "\"\\ufffd\\ufffdx\"");
}

static void write_numbers(struct json *j)
{
    json_array(j, NULL);
    json_uint(j, NULL, UINT64_MAX);
    json_int(j, NULL, INT64_MIN);
    json_real(j, NULL, 1.25, 1);
    json_real(j, NULL, 2.0 / 3.0, 4);
    json_real(j, NULL, 1e6, 0);
    json_real(j, NULL, NAN, 1);
    json_real(j, NULL, INFINITY, 0);
    json_real(j, NULL, -INFINITY, 2);
    json_end(j);
}

TEST(numbers_and_what_json_cannot_hold)
{
    const char *out = written(write_numbers);
    CHECK(strcmp(out, "[18446744073709551615,-9223372036854775808,1.2,0.6667,1000000,"
                      "null,null,null]\n") == 0);
}
