/* SPDX-License-Identifier: MIT */
/*
 * mmf/win32_crt.h - the Microsoft C runtime's bounds-checked string and
 * memory functions ("secure CRT", the _s functions), which Windows programs
 * call and glibc does not have. Included by mmf/win32.h; part of the
 * mmf_win32 library.
 *
 * They behave as Microsoft documents: on a runtime-constraint violation
 * (a NULL pointer, a size of 0, a destination too small, overlapping
 * memory) the destination string is emptied (dest[0] = 0, when dest and
 * its size allow it) and the "invalid parameter handler" runs. Microsoft's
 * default handler ends the program; so does this one (abort()), since a
 * program that goes on after a truncated copy was not written for that.
 * They return 0 on success. In C++ the array forms that take the size from
 * the array (strcpy_s(buf, src)) are provided too.
 */
#ifndef MMF_WIN32_CRT_H
#define MMF_WIN32_CRT_H

#ifndef _WIN32

#include <stdarg.h>
#include <stddef.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MMF_WIN32_API
#if defined(__GNUC__)
#define MMF_WIN32_API __attribute__((visibility("default")))
#else
#define MMF_WIN32_API
#endif
#endif

#ifndef _ERRNO_T_DEFINED
#define _ERRNO_T_DEFINED
typedef int errno_t;
#endif
#ifndef _RSIZE_T_DEFINED
#define _RSIZE_T_DEFINED
typedef size_t rsize_t;
#endif

/* Truncate instead of failing when passed as the count of strncpy_s. */
#ifndef _TRUNCATE
#define _TRUNCATE ((size_t)-1)
#endif

/* The number of elements of an array. */
#ifndef _countof
#define _countof(array) (sizeof(array) / sizeof((array)[0]))
#endif

/* Copy the string src, with its terminating NUL, into dest of destsz
 * chars. Returns 0; a violation ends the program (see above). */
MMF_WIN32_API errno_t strcpy_s(char *dest, rsize_t destsz, const char *src);
MMF_WIN32_API errno_t wcscpy_s(wchar_t *dest, rsize_t destsz, const wchar_t *src);
/* Append src to the string in dest. */
MMF_WIN32_API errno_t strcat_s(char *dest, rsize_t destsz, const char *src);
MMF_WIN32_API errno_t wcscat_s(wchar_t *dest, rsize_t destsz, const wchar_t *src);
/* Copy at most count chars of src and a NUL. count _TRUNCATE copies what
 * fits and returns STRUNCATE (80) if src was cut. */
MMF_WIN32_API errno_t strncpy_s(char *dest, rsize_t destsz, const char *src,
                                rsize_t count);
MMF_WIN32_API errno_t wcsncpy_s(wchar_t *dest, rsize_t destsz,
                                const wchar_t *src, rsize_t count);
/* Copy count bytes into dest of destsz bytes. count 0 does nothing (dest
 * and src may then be NULL). memcpy_s also treats overlap as a violation;
 * memmove_s allows it. */
MMF_WIN32_API errno_t memcpy_s(void *dest, rsize_t destsz, const void *src,
                               rsize_t count);
MMF_WIN32_API errno_t memmove_s(void *dest, rsize_t destsz, const void *src,
                                rsize_t count);
/* snprintf into dest of destsz chars; returns the length written. Output
 * that does not fit is a violation. */
MMF_WIN32_API int sprintf_s(char *dest, size_t destsz, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
MMF_WIN32_API int vsprintf_s(char *dest, size_t destsz, const char *format,
                             va_list args);

#ifndef STRUNCATE
#define STRUNCATE 80
#endif

#ifdef __cplusplus
}

/* The C++ overloads that take the destination's size from its type. */
template <size_t N>
inline errno_t strcpy_s(char (&dest)[N], const char *src)
{
    return strcpy_s(dest, N, src);
}
template <size_t N>
inline errno_t wcscpy_s(wchar_t (&dest)[N], const wchar_t *src)
{
    return wcscpy_s(dest, N, src);
}
template <size_t N>
inline errno_t strcat_s(char (&dest)[N], const char *src)
{
    return strcat_s(dest, N, src);
}
template <size_t N>
inline errno_t wcscat_s(wchar_t (&dest)[N], const wchar_t *src)
{
    return wcscat_s(dest, N, src);
}
template <size_t N>
inline errno_t strncpy_s(char (&dest)[N], const char *src, size_t count)
{
    return strncpy_s(dest, N, src, count);
}
template <size_t N>
inline errno_t wcsncpy_s(wchar_t (&dest)[N], const wchar_t *src, size_t count)
{
    return wcsncpy_s(dest, N, src, count);
}
template <size_t N>
inline int sprintf_s(char (&dest)[N], const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsprintf_s(dest, N, format, ap);
    va_end(ap);
    return n;
}
#endif

#endif /* !_WIN32 */
#endif /* MMF_WIN32_CRT_H */
