/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - the one UTF-8 decoder: the library checks names with it, and
 * the mmf tool and the JSON writer of the tool and the benchmarks include
 * it to print names safely. Header-only, so that programs outside the
 * library use it without an exported symbol.
 */
#ifndef MMF_UTF8_H
#define MMF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the UTF-8 sequence at s, of which at most `left` bytes may be
 * read (a NUL-terminated string may pass SIZE_MAX: a NUL is never a
 * continuation byte, so the scan stops there). Returns its length (1 to
 * 4) and stores its code point in *cp, or returns 0 if it is not
 * well-formed: a stray continuation byte, a truncated sequence, an
 * overlong form, a surrogate (U+D800..U+DFFF) or a code point past
 * U+10FFFF. Refusing overlong forms gives every name one spelling.
 */
static inline size_t mmf__utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
    uint32_t c = s[0], v, min;
    size_t n;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2; v = c & 0x1f; min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3; v = c & 0x0f; min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

#endif
