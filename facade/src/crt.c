/* SPDX-License-Identifier: MIT */
/*
 * crt.c - the Microsoft C runtime's bounds-checked string functions
 * (mmf/win32_crt.h) and console input (_getch, compat/conio.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "w32.h"

/* The prototypes of compat/conio.h (this file does not include it, so that
 * the library needs no compat folder on its include path). */
MMF_WIN32_API int _getch(void);
MMF_WIN32_API int _getche(void);
MMF_WIN32_API int _kbhit(void);

/*
 * A runtime-constraint violation: Microsoft's default invalid-parameter
 * handler ends the program, and so does this one. Returns only to keep
 * compilers content.
 */
static errno_t violation(errno_t e)
{
    abort();
    return e;
}

errno_t strcpy_s(char *dest, rsize_t destsz, const char *src)
{
    size_t n;

    if (dest == NULL || destsz == 0)
        return violation(EINVAL);
    if (src == NULL) {
        dest[0] = '\0';
        return violation(EINVAL);
    }
    n = strnlen(src, destsz);
    if (n == destsz) {
        dest[0] = '\0';
        return violation(ERANGE);
    }
    memmove(dest, src, n + 1);
    return 0;
}

errno_t wcscpy_s(wchar_t *dest, rsize_t destsz, const wchar_t *src)
{
    size_t n;

    if (dest == NULL || destsz == 0)
        return violation(EINVAL);
    if (src == NULL) {
        dest[0] = L'\0';
        return violation(EINVAL);
    }
    n = wcsnlen(src, destsz);
    if (n == destsz) {
        dest[0] = L'\0';
        return violation(ERANGE);
    }
    wmemmove(dest, src, n + 1);
    return 0;
}

errno_t strcat_s(char *dest, rsize_t destsz, const char *src)
{
    size_t have;

    if (dest == NULL || destsz == 0)
        return violation(EINVAL);
    have = strnlen(dest, destsz);
    if (src == NULL || have == destsz) {
        dest[0] = '\0';
        return violation(EINVAL);
    }
    return strcpy_s(dest + have, destsz - have, src);
}

errno_t wcscat_s(wchar_t *dest, rsize_t destsz, const wchar_t *src)
{
    size_t have;

    if (dest == NULL || destsz == 0)
        return violation(EINVAL);
    have = wcsnlen(dest, destsz);
    if (src == NULL || have == destsz) {
        dest[0] = L'\0';
        return violation(EINVAL);
    }
    return wcscpy_s(dest + have, destsz - have, src);
}

errno_t strncpy_s(char *dest, rsize_t destsz, const char *src, rsize_t count)
{
    size_t n;

    if (count == 0 && dest == NULL && destsz == 0)
        return 0;
    if (dest == NULL || destsz == 0)
        return violation(EINVAL);
    if (src == NULL) {
        dest[0] = '\0';
        return violation(EINVAL);
    }
    if (count == _TRUNCATE) {
        n = strnlen(src, destsz - 1);
        memmove(dest, src, n);
        dest[n] = '\0';
        return src[n] != '\0' ? STRUNCATE : 0;
    }
    n = strnlen(src, count);
    if (n >= destsz) {
        dest[0] = '\0';
        return violation(ERANGE);
    }
    memmove(dest, src, n);
    dest[n] = '\0';
    return 0;
}

errno_t wcsncpy_s(wchar_t *dest, rsize_t destsz, const wchar_t *src, rsize_t count)
{
    size_t n;

    if (count == 0 && dest == NULL && destsz == 0)
        return 0;
    if (dest == NULL || destsz == 0)
        return violation(EINVAL);
    if (src == NULL) {
        dest[0] = L'\0';
        return violation(EINVAL);
    }
    if (count == _TRUNCATE) {
        n = wcsnlen(src, destsz - 1);
        wmemmove(dest, src, n);
        dest[n] = L'\0';
        return src[n] != L'\0' ? STRUNCATE : 0;
    }
    n = wcsnlen(src, count);
    if (n >= destsz) {
        dest[0] = L'\0';
        return violation(ERANGE);
    }
    wmemmove(dest, src, n);
    dest[n] = L'\0';
    return 0;
}

errno_t memmove_s(void *dest, rsize_t destsz, const void *src, rsize_t count)
{
    if (count == 0)
        return 0;
    if (dest == NULL)
        return violation(EINVAL);
    if (src == NULL) {
        memset(dest, 0, destsz);
        return violation(EINVAL);
    }
    if (count > destsz) {
        memset(dest, 0, destsz);
        return violation(ERANGE);
    }
    memmove(dest, src, count);
    return 0;
}

errno_t memcpy_s(void *dest, rsize_t destsz, const void *src, rsize_t count)
{
    uintptr_t d = (uintptr_t)dest, s = (uintptr_t)src;

    if (count != 0 && dest != NULL && src != NULL && count <= destsz &&
        ((d < s && s - d < count) || (s < d && d - s < count)))
        return violation(EINVAL); /* overlap: memmove_s is for that */
    return memmove_s(dest, destsz, src, count);
}

int vsprintf_s(char *dest, size_t destsz, const char *format, va_list args)
{
    int n;

    if (dest == NULL || destsz == 0 || format == NULL)
        return violation(EINVAL), -1;
    n = vsnprintf(dest, destsz, format, args);
    if (n < 0 || (size_t)n >= destsz) {
        dest[0] = '\0';
        return violation(ERANGE), -1;
    }
    return n;
}

int sprintf_s(char *dest, size_t destsz, const char *format, ...)
{
    va_list ap;
    int n;

    va_start(ap, format);
    n = vsprintf_s(dest, destsz, format, ap);
    va_end(ap);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Console input                                                             */
/* ------------------------------------------------------------------------ */

static int getch(int echo)
{
    struct termios old, raw;
    int tty = tcgetattr(STDIN_FILENO, &old) == 0;
    unsigned char c;
    ssize_t n;

    /* A key without Enter and without echo: the terminal's raw-ish mode for
     * the one read. Not a terminal: the next byte of the input as is. */
    if (tty) {
        raw = old;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    fflush(stdout); /* the prompt before the wait, as on a console */
    do {
        n = read(STDIN_FILENO, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
    if (n != 1)
        return EOF;
    if (echo) {
        (void)!write(STDOUT_FILENO, &c, 1);
    }
    return c;
}

int _getch(void)
{
    return getch(0);
}

int _getche(void)
{
    return getch(1);
}

int _kbhit(void)
{
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}
