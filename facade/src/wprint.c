/* SPDX-License-Identifier: MIT */
/*
 * wprint.c - the wide printing functions with Microsoft's meaning of the
 * format (mmf/win32_crt.h, "WIDE PRINTING"), wsprintf, and the C runtime's
 * integer conversions (_itoa_s, _itow_s, _wtoi, ...).
 *
 * A Microsoft format is rewritten into the ISO one glibc reads, then
 * glibc formats: in a wide function %s and %c (no size) become %ls and
 * %lc, %S and %C become %s and %c; in a narrow one %S and %C become %ls
 * and %lc. %hs/%hc are always narrow and %ls/%lc/%ws/%wc always wide.
 * Microsoft's size prefixes (%I64d, %I32d, %Id) become ll, nothing and z.
 */
#define MMF_WIN32_NO_MS_PRINTF /* this file calls glibc's own functions */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "w32.h"

/* Rewrite fmt (Microsoft's meaning; `wide`: of a wide function) into a new
 * ISO format, or NULL when out of memory. One macro serves both widths. */
#define DEFINE_CONVERT(name, CH)                                            \
    static CH *name(const CH *fmt, int wide)                                   \
    {                                                                          \
        size_t n = 0;                                                          \
        while (fmt[n] != 0)                                                    \
            n++;                                                               \
        /* The result is at most 1.5 times as long ("%s" -> "%ls"; the       \
         * other rewritings keep or shorten): 2n + 1 is room enough. */        \
        CH *out = malloc((2 * n + 1) * sizeof(CH));                            \
        const CH *p = fmt;                                                     \
        CH *o = out;                                                           \
        if (out == NULL)                                                       \
            return NULL;                                                       \
        while (*p != 0) {                                                      \
            int size = 0; /* 0 none, 'h' narrow, 'l' wide */                   \
            CH len[3] = {0, 0, 0};                                             \
            int nlen = 0;                                                      \
            if (*p != L'%') {                                                  \
                *o++ = *p++;                                                   \
                continue;                                                      \
            }                                                                  \
            *o++ = *p++;                                                       \
            if (*p == L'%') {                                                  \
                *o++ = *p++;                                                   \
                continue;                                                      \
            }                                                                  \
            while (*p == L'-' || *p == L'+' || *p == L' ' || *p == L'#' ||     \
                   *p == L'0' || *p == L'\'')                                  \
                *o++ = *p++;                                                   \
            if (*p == L'*')                                                    \
                *o++ = *p++;                                                   \
            else                                                               \
                while (*p >= L'0' && *p <= L'9')                               \
                    *o++ = *p++;                                               \
            if (*p == L'.') {                                                  \
                *o++ = *p++;                                                   \
                if (*p == L'*')                                                \
                    *o++ = *p++;                                               \
                else                                                           \
                    while (*p >= L'0' && *p <= L'9')                           \
                        *o++ = *p++;                                           \
            }                                                                  \
            if (*p == L'h') {                                                  \
                size = 'h';                                                    \
                len[nlen++] = *p++;                                            \
                if (*p == L'h')                                                \
                    len[nlen++] = *p++;                                        \
            } else if (*p == L'l') {                                           \
                size = 'l';                                                    \
                len[nlen++] = *p++;                                            \
                if (*p == L'l')                                                \
                    len[nlen++] = *p++;                                        \
            } else if (*p == L'w') {                                           \
                size = 'l';                                                    \
                len[nlen++] = L'l';                                            \
                p++;                                                           \
            } else if (*p == L'I') {                                           \
                if (p[1] == L'6' && p[2] == L'4') {                            \
                    len[nlen++] = L'l';                                        \
                    len[nlen++] = L'l';                                        \
                    p += 3;                                                    \
                } else if (p[1] == L'3' && p[2] == L'2') {                     \
                    p += 3;                                                    \
                } else {                                                       \
                    len[nlen++] = L'z';                                        \
                    p++;                                                       \
                }                                                              \
            } else if (*p == L'L' || *p == L'j' || *p == L'z' || *p == L't' || \
                       *p == L'q') {                                           \
                len[nlen++] = *p++;                                            \
            }                                                                  \
            if (*p == L's' || *p == L'S' || *p == L'c' || *p == L'C') {        \
                int upper = *p == L'S' || *p == L'C';                          \
                int is_wide = size == 'l' ||                                   \
                              (size == 0 && (wide ? !upper : upper));          \
                if (is_wide)                                                   \
                    *o++ = L'l';                                               \
                *o++ = (*p == L's' || *p == L'S') ? L's' : L'c';               \
                p++;                                                           \
                continue;                                                      \
            }                                                                  \
            for (int i = 0; i < nlen; i++)                                     \
                *o++ = len[i];                                                 \
            if (*p != 0)                                                       \
                *o++ = *p++;                                                   \
        }                                                                      \
        *o = 0;                                                                \
        return out;                                                            \
    }

DEFINE_CONVERT(convert_w, wchar_t)
DEFINE_CONVERT(convert_a, char)

/* Format into a new wide string (Microsoft's meaning); *len gets its
 * length. NULL with errno set on failure. */
static wchar_t *format_alloc(const wchar_t *fmt, va_list ap, size_t *len)
{
    wchar_t *f = convert_w(fmt, 1), *buf = NULL;
    size_t cap = 256;

    if (f == NULL)
        return NULL;
    for (;;) {
        va_list aq;
        wchar_t *nb = realloc(buf, cap * sizeof(wchar_t));
        int n;

        if (nb == NULL)
            break;
        buf = nb;
        va_copy(aq, ap);
        n = vswprintf(buf, cap, f, aq);
        va_end(aq);
        if (n >= 0) {
            *len = (size_t)n;
            free(f);
            return buf;
        }
        /* glibc says -1 both for "too small" and for an encoding error;
         * past 16 MiB it is not the size. */
        if (cap >= ((size_t)16 << 20)) {
            errno = EILSEQ;
            break;
        }
        cap *= 4;
    }
    free(buf);
    free(f);
    return NULL;
}

/* Write the wide string to stream: as wide characters on a wide-oriented
 * stream, else as UTF-8. Returns 0 or -1. */
static int put_wide(FILE *stream, const wchar_t *s, size_t len)
{
    char small[1024], *b = small;
    int need, rc = 0;

    if (fwide(stream, 0) > 0)
        return fputws(s, stream) < 0 ? -1 : 0;
    if (len == 0)
        return 0;
    need = WideCharToMultiByte(CP_UTF8, 0, s, (int)len, NULL, 0, NULL, NULL);
    if (need <= 0)
        return -1;
    if ((size_t)need > sizeof small && (b = malloc((size_t)need)) == NULL)
        return -1;
    WideCharToMultiByte(CP_UTF8, 0, s, (int)len, b, need, NULL, NULL);
    if (fwrite(b, 1, (size_t)need, stream) != (size_t)need)
        rc = -1;
    if (b != small)
        free(b);
    return rc;
}

int mmf_win32_vfwprintf(FILE *stream, const wchar_t *format, va_list args)
{
    size_t len;
    wchar_t *s = format_alloc(format, args, &len);
    int rc;

    if (s == NULL)
        return -1;
    rc = put_wide(stream, s, len) < 0 ? -1 : (int)len;
    free(s);
    return rc;
}

int mmf_win32_fwprintf(FILE *stream, const wchar_t *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = mmf_win32_vfwprintf(stream, format, ap);
    va_end(ap);
    return n;
}

int mmf_win32_vwprintf(const wchar_t *format, va_list args)
{
    return mmf_win32_vfwprintf(stdout, format, args);
}

int mmf_win32_wprintf(const wchar_t *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = mmf_win32_vfwprintf(stdout, format, ap);
    va_end(ap);
    return n;
}

int mmf_win32_vswprintf(wchar_t *buffer, size_t count, const wchar_t *format,
                        va_list args)
{
    wchar_t *f = convert_w(format, 1);
    int n;

    if (f == NULL)
        return -1;
    n = vswprintf(buffer, count, f, args);
    free(f);
    return n;
}

int mmf_win32_swprintf(wchar_t *buffer, size_t count, const wchar_t *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = mmf_win32_vswprintf(buffer, count, format, ap);
    va_end(ap);
    return n;
}

/* A runtime-constraint violation ends the program, as in crt.c. */
static int violation(void)
{
    abort();
    return -1;
}

/*
 * Format into buffer of size elements, at most `count` characters
 * (_TRUNCATE: as many as fit). Returns the length, or -1 when the output
 * was cut (only allowed when count says so); output that overflows the
 * buffer otherwise is a violation.
 */
static int bounded_w(wchar_t *buffer, size_t size, size_t count, const wchar_t *format,
                     va_list ap)
{
    size_t len, limit;
    wchar_t *s;

    if (buffer == NULL || size == 0 || format == NULL)
        return violation();
    if ((s = format_alloc(format, ap, &len)) == NULL) {
        buffer[0] = 0;
        return -1;
    }
    limit = count == _TRUNCATE || count >= size ? size - 1 : count;
    if (len <= limit) {
        wmemcpy(buffer, s, len + 1);
        free(s);
        return (int)len;
    }
    if (count == _TRUNCATE || count < size) {
        wmemcpy(buffer, s, limit);
        buffer[limit] = 0;
        free(s);
        return -1;
    }
    free(s);
    buffer[0] = 0;
    return violation();
}

int vswprintf_s(wchar_t *buffer, size_t numberOfElements, const wchar_t *format,
                va_list argptr)
{
    /* No truncation allowed: a count that never limits. */
    return bounded_w(buffer, numberOfElements, numberOfElements, format, argptr);
}

int swprintf_s(wchar_t *buffer, size_t numberOfElements, const wchar_t *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vswprintf_s(buffer, numberOfElements, format, ap);
    va_end(ap);
    return n;
}

int _vsnwprintf_s(wchar_t *buffer, size_t sizeOfBuffer, size_t count,
                  const wchar_t *format, va_list argptr)
{
    return bounded_w(buffer, sizeOfBuffer, count, format, argptr);
}

int _snwprintf_s(wchar_t *buffer, size_t sizeOfBuffer, size_t count,
                 const wchar_t *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = _vsnwprintf_s(buffer, sizeOfBuffer, count, format, ap);
    va_end(ap);
    return n;
}

/* Microsoft's _vsnwprintf: at most count characters, NUL only if it fits;
 * -1 when the output was cut. */
int _vsnwprintf(wchar_t *buffer, size_t count, const wchar_t *format, va_list argptr)
{
    size_t len;
    wchar_t *s = format_alloc(format, argptr, &len);

    if (s == NULL)
        return -1;
    if (len < count) {
        wmemcpy(buffer, s, len + 1);
    } else {
        if (count > 0)
            wmemcpy(buffer, s, len == count ? len : count);
        free(s);
        return len == count ? (int)len : -1;
    }
    free(s);
    return (int)len;
}

int _snwprintf(wchar_t *buffer, size_t count, const wchar_t *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = _vsnwprintf(buffer, count, format, ap);
    va_end(ap);
    return n;
}

/* wsprintf's buffer limit, in characters with the NUL. */
#define WSPRINTF_MAX 1024

int WINAPIV wsprintfW(LPWSTR lpOut, LPCWSTR lpFmt, ...)
{
    va_list ap;
    size_t len;
    wchar_t *s;

    va_start(ap, lpFmt);
    s = format_alloc(lpFmt, ap, &len);
    va_end(ap);
    if (s == NULL) {
        lpOut[0] = 0;
        return 0;
    }
    if (len > WSPRINTF_MAX - 1)
        len = WSPRINTF_MAX - 1;
    wmemcpy(lpOut, s, len);
    lpOut[len] = 0;
    free(s);
    return (int)len;
}

int WINAPIV wsprintfA(LPSTR lpOut, LPCSTR lpFmt, ...)
{
    char *f = convert_a(lpFmt, 0);
    va_list ap;
    int n;

    if (f == NULL) {
        lpOut[0] = 0;
        return 0;
    }
    va_start(ap, lpFmt);
    n = vsnprintf(lpOut, WSPRINTF_MAX, f, ap);
    va_end(ap);
    free(f);
    if (n < 0) {
        lpOut[0] = 0;
        return 0;
    }
    return n > WSPRINTF_MAX - 1 ? WSPRINTF_MAX - 1 : n;
}

/* ------------------------------------------------------------------------ */
/* Integer conversions                                                       */
/* ------------------------------------------------------------------------ */

/* The digits of value in radix into out (at least 34 chars). Microsoft
 * writes a minus sign in radix 10 only; other radices show the bits. */
static size_t int_digits(long long value, int is32, int radix, char *out)
{
    unsigned long long u;
    char tmp[72];
    size_t n = 0, k = 0;
    int neg = radix == 10 && value < 0;

    if (neg)
        u = 0ULL - (unsigned long long)value;
    else
        u = is32 ? (unsigned long long)(uint32_t)value : (unsigned long long)value;
    do {
        unsigned d = (unsigned)(u % (unsigned)radix);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        u /= (unsigned)radix;
    } while (u != 0);
    if (neg)
        out[k++] = '-';
    while (n > 0)
        out[k++] = tmp[--n];
    out[k] = '\0';
    return k;
}

errno_t _itoa_s(int value, char *buffer, size_t size, int radix)
{
    char d[72];
    size_t n;

    if (buffer == NULL || size == 0)
        return violation(), EINVAL;
    if (radix < 2 || radix > 36) {
        buffer[0] = '\0';
        return violation(), EINVAL;
    }
    n = int_digits(value, 1, radix, d);
    if (n + 1 > size) {
        buffer[0] = '\0';
        return violation(), ERANGE;
    }
    memcpy(buffer, d, n + 1);
    return 0;
}

errno_t _itow_s(int value, wchar_t *buffer, size_t size, int radix)
{
    char d[72];
    size_t n;

    if (buffer == NULL || size == 0)
        return violation(), EINVAL;
    if (radix < 2 || radix > 36) {
        buffer[0] = L'\0';
        return violation(), EINVAL;
    }
    n = int_digits(value, 1, radix, d);
    if (n + 1 > size) {
        buffer[0] = L'\0';
        return violation(), ERANGE;
    }
    for (size_t i = 0; i <= n; i++)
        buffer[i] = (wchar_t)(unsigned char)d[i];
    return 0;
}

char *_itoa(int value, char *buffer, int radix)
{
    char d[72];
    if (radix < 2 || radix > 36) {
        buffer[0] = '\0';
        return buffer;
    }
    memcpy(buffer, d, int_digits(value, 1, radix, d) + 1);
    return buffer;
}

wchar_t *_itow(int value, wchar_t *buffer, int radix)
{
    char d[72];
    size_t n;
    if (radix < 2 || radix > 36) {
        buffer[0] = L'\0';
        return buffer;
    }
    n = int_digits(value, 1, radix, d);
    for (size_t i = 0; i <= n; i++)
        buffer[i] = (wchar_t)(unsigned char)d[i];
    return buffer;
}

/* Microsoft's _wtoi: leading space, a sign, decimal digits; 0 if none; an
 * overflow gives INT_MAX or INT_MIN (and errno ERANGE). */
int _wtoi(const wchar_t *str)
{
    long v;
    errno = 0;
    v = wcstol(str, NULL, 10);
    if (v > INT_MAX || (errno == ERANGE && v > 0)) {
        errno = ERANGE;
        return INT_MAX;
    }
    if (v < INT_MIN || (errno == ERANGE && v < 0)) {
        errno = ERANGE;
        return INT_MIN;
    }
    return (int)v;
}

long _wtol(const wchar_t *str)
{
    long long v;
    errno = 0;
    v = wcstoll(str, NULL, 10);
    if (v > INT32_MAX) {
        errno = ERANGE;
        return INT32_MAX;
    }
    if (v < INT32_MIN) {
        errno = ERANGE;
        return INT32_MIN;
    }
    return (long)v;
}
