/* SPDX-License-Identifier: MIT */
/*
 * string.c - wide (UTF-32 wchar_t) strings of the W functions to the UTF-8
 * the native API takes.
 */
#include <stdlib.h>

#include "w32.h"

_Static_assert(sizeof(wchar_t) == 4, "the W functions assume UTF-32 wchar_t");

/* Encode c in UTF-8 at out (room for 4). Returns the length, or 0 if c is
 * not a Unicode scalar value (a surrogate or above U+10FFFF). */
static size_t encode(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0;
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

DWORD mmf__w32_to_utf8(const wchar_t *w, char *buf, size_t cap)
{
    size_t n = 0;

    if (w == NULL) {
        buf[0] = '\0';
        return 0;
    }
    for (; *w != L'\0'; w++) {
        char tmp[4];
        size_t len = encode((uint32_t)*w, tmp);
        if (len == 0)
            return ERROR_INVALID_NAME;
        if (cap - n <= len)
            return ERROR_FILENAME_EXCED_RANGE;
        for (size_t i = 0; i < len; i++)
            buf[n++] = tmp[i];
    }
    buf[n] = '\0';
    return 0;
}

char *mmf__w32_to_utf8_alloc(const wchar_t *w, DWORD *err)
{
    size_t len = 0, cap;
    char *buf;

    if (w == NULL) {
        *err = ERROR_INVALID_PARAMETER;
        return NULL;
    }
    while (w[len] != L'\0')
        len++;
    cap = 4 * len + 1;
    if ((buf = malloc(cap)) == NULL) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    if ((*err = mmf__w32_to_utf8(w, buf, cap)) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int mmf__w32_a_name_fits(const char *name)
{
    size_t units = 0;

    /* A's code page is UTF-8 here: a character of four bytes is two
     * UTF-16 units, any other one. */
    for (const unsigned char *c = (const unsigned char *)name; c != NULL && *c != 0; c++) {
        if ((*c & 0xC0) != 0x80)
            units += *c >= 0xF0 ? 2 : 1;
        if (units > MAX_PATH) {
            mmf__w32_set_error(ERROR_FILENAME_EXCED_RANGE);
            return 0;
        }
    }
    return 1;
}
