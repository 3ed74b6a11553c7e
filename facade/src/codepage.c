/* SPDX-License-Identifier: MIT */
/*
 * codepage.c - MultiByteToWideChar and WideCharToMultiByte for UTF-8, the
 * one multibyte encoding of the façade (CP_ACP and the other "ANSI" code
 * pages are UTF-8 here; see mmf/win32.h).
 *
 * Both walk the input once, counting what the output needs and writing it
 * while it fits, so the size query (an output count of 0) and the
 * conversion give the same count. Invalid input follows Windows (Vista and
 * later): U+FFFD for each maximal invalid subsequence, or failure with
 * ERROR_NO_UNICODE_TRANSLATION when the caller asked for it.
 */
#include <stdint.h>

#include "w32.h"

#define REPLACEMENT 0xFFFDu

static int is_utf8_page(UINT cp)
{
    return cp == CP_UTF8 || cp == CP_ACP || cp == CP_OEMCP || cp == CP_MACCP ||
           cp == CP_THREAD_ACP;
}

/* Decode one UTF-8 sequence from s[0..n). Returns its length (1..4) and the
 * code point in *cp, or the length of the maximal invalid subsequence
 * (1..3) with *cp = UINT32_MAX. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    uint32_t v;
    size_t len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07u;
    } else {
        *cp = UINT32_MAX;
        return 1;
    }
    for (i = 1; i < len; i++) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (i == 1) { /* the second byte bounds overlongs and surrogates */
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
            else if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        }
        if (i >= n || s[i] < lo || s[i] > hi) {
            *cp = UINT32_MAX;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return len;
}

int WINAPI MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCSTR lpMultiByteStr,
                               int cbMultiByte, LPWSTR lpWideCharStr, int cchWideChar)
{
    const unsigned char *s = (const unsigned char *)lpMultiByteStr;
    size_t n, i = 0, out = 0;

    if (lpMultiByteStr == NULL || cbMultiByte == 0 ||
        cchWideChar < 0 || (cchWideChar > 0 && lpWideCharStr == NULL) ||
        (cchWideChar > 0 && (const void *)lpMultiByteStr == (const void *)lpWideCharStr)) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (!is_utf8_page(CodePage)) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (dwFlags & ~(DWORD)MB_ERR_INVALID_CHARS) {
        mmf__w32_set_error(ERROR_INVALID_FLAGS); /* UTF-8 takes no other flag */
        return 0;
    }
    /* Any negative length is "up to the NUL", as in Wine's kernelbase. */
    n = cbMultiByte < 0 ? strlen(lpMultiByteStr) + 1 : (size_t)cbMultiByte;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (cp == UINT32_MAX) {
            if (dwFlags & MB_ERR_INVALID_CHARS) {
                mmf__w32_set_error(ERROR_NO_UNICODE_TRANSLATION);
                return 0;
            }
            cp = REPLACEMENT;
        }
        i += len;
        if (cchWideChar != 0) {
            if (out >= (size_t)cchWideChar) {
                mmf__w32_set_error(ERROR_INSUFFICIENT_BUFFER);
                return 0;
            }
            lpWideCharStr[out] = (wchar_t)cp;
        }
        if (++out > INT_MAX) {
            mmf__w32_set_error(ERROR_INVALID_PARAMETER);
            return 0;
        }
    }
    return (int)out;
}

/* Encode cp as UTF-8 into b; returns the length. */
static size_t utf8_encode(uint32_t cp, unsigned char b[4])
{
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int WINAPI WideCharToMultiByte(UINT CodePage, DWORD dwFlags, LPCWSTR lpWideCharStr,
                               int cchWideChar, LPSTR lpMultiByteStr, int cbMultiByte,
                               LPCSTR lpDefaultChar, LPBOOL lpUsedDefaultChar)
{
    size_t n, i, out = 0;

    if (lpWideCharStr == NULL || cchWideChar == 0 ||
        cbMultiByte < 0 || (cbMultiByte > 0 && lpMultiByteStr == NULL) ||
        (cbMultiByte > 0 && (const void *)lpMultiByteStr == (const void *)lpWideCharStr)) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (!is_utf8_page(CodePage)) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (dwFlags & ~(DWORD)WC_ERR_INVALID_CHARS) {
        mmf__w32_set_error(ERROR_INVALID_FLAGS);
        return 0;
    }
    if (lpDefaultChar != NULL || lpUsedDefaultChar != NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER); /* not with UTF-8 */
        return 0;
    }
    n = cchWideChar < 0 ? wcslen(lpWideCharStr) + 1 : (size_t)cchWideChar;
    for (i = 0; i < n; i++) {
        uint32_t cp = (uint32_t)lpWideCharStr[i];
        unsigned char b[4];
        size_t len;

        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            if (dwFlags & WC_ERR_INVALID_CHARS) {
                mmf__w32_set_error(ERROR_NO_UNICODE_TRANSLATION);
                return 0;
            }
            cp = REPLACEMENT;
        }
        len = utf8_encode(cp, b);
        if (cbMultiByte != 0) {
            if (out + len > (size_t)cbMultiByte) {
                mmf__w32_set_error(ERROR_INSUFFICIENT_BUFFER);
                return 0;
            }
            memcpy(lpMultiByteStr + out, b, len);
        }
        out += len;
        if (out > INT_MAX) {
            mmf__w32_set_error(ERROR_INVALID_PARAMETER);
            return 0;
        }
    }
    return (int)out;
}

UINT WINAPI GetACP(void)
{
    return CP_UTF8;
}

UINT WINAPI GetOEMCP(void)
{
    return CP_UTF8;
}
