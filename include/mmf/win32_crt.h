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
#include <stdio.h>
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

/*
 * WIDE PRINTING
 *
 * Microsoft's printf family gives %s and %c the width of the function:
 * in wprintf, swprintf, wsprintfW and the other wide functions %s is a
 * wide string and %c a wide character, and %S / %C are the other width
 * (narrow); in the narrow functions %s is narrow and %S wide. %hs / %hc
 * are narrow and %ls / %lc / %ws / %wc wide everywhere. ISO C (glibc)
 * reads %s as narrow in every function, so `_tprintf(TEXT("%s"), name)`
 * in a UNICODE build would print garbage. Including this header (or
 * <windows.h>, <tchar.h>) routes wprintf, fwprintf, vwprintf, vfwprintf,
 * swprintf and vswprintf to the façade's versions below, which take the
 * format with Microsoft's meaning, as do swprintf_s, _snwprintf(_s),
 * _vsnwprintf(_s), wsprintfA and wsprintfW and, through <tchar.h>,
 * _tprintf, _ftprintf, _stprintf(_s) and _sntprintf. Microsoft's size
 * prefixes (%I64d, %I32d, %Id) are understood too. Define
 * MMF_WIN32_NO_MS_PRINTF before including to keep the ISO meaning. The
 * narrow printf family keeps glibc's meaning (%s narrow, as on Windows;
 * only %S differs: use %ls).
 *
 * wprintf and fwprintf write UTF-8 to a stream that is not wide-oriented
 * (whatever the locale), and wide characters to one that is (fwide). They
 * return the count of wide characters, or -1.
 */
MMF_WIN32_API int mmf_win32_wprintf(const wchar_t *format, ...);
MMF_WIN32_API int mmf_win32_vwprintf(const wchar_t *format, va_list args);
MMF_WIN32_API int mmf_win32_fwprintf(FILE *stream, const wchar_t *format, ...);
MMF_WIN32_API int mmf_win32_vfwprintf(FILE *stream, const wchar_t *format, va_list args);
MMF_WIN32_API int mmf_win32_swprintf(wchar_t *buffer, size_t count, const wchar_t *format,
                                     ...);
MMF_WIN32_API int mmf_win32_vswprintf(wchar_t *buffer, size_t count,
                                      const wchar_t *format, va_list args);
#ifndef MMF_WIN32_NO_MS_PRINTF
#define wprintf mmf_win32_wprintf
#define vwprintf mmf_win32_vwprintf
#define fwprintf mmf_win32_fwprintf
#define vfwprintf mmf_win32_vfwprintf
#define swprintf mmf_win32_swprintf
#define vswprintf mmf_win32_vswprintf
#endif

/* swprintf into buffer of numberOfElements wchar_t; returns the length.
 * Output that does not fit is a violation (as sprintf_s). */
MMF_WIN32_API int swprintf_s(wchar_t *buffer, size_t numberOfElements,
                             const wchar_t *format, ...);
MMF_WIN32_API int vswprintf_s(wchar_t *buffer, size_t numberOfElements,
                              const wchar_t *format, va_list argptr);
/* At most count characters (_TRUNCATE: what fits) into buffer of
 * sizeOfBuffer; returns the length, or -1 when the output was cut as count
 * allowed; output past sizeOfBuffer otherwise is a violation. */
MMF_WIN32_API int _snwprintf_s(wchar_t *buffer, size_t sizeOfBuffer, size_t count,
                               const wchar_t *format, ...);
MMF_WIN32_API int _vsnwprintf_s(wchar_t *buffer, size_t sizeOfBuffer, size_t count,
                                const wchar_t *format, va_list argptr);
/* At most count characters; the NUL only if it fits. Returns the length,
 * or -1 when the output was cut. */
MMF_WIN32_API int _snwprintf(wchar_t *buffer, size_t count, const wchar_t *format, ...);
MMF_WIN32_API int _vsnwprintf(wchar_t *buffer, size_t count, const wchar_t *format,
                              va_list argptr);

/*
 * Integers as text in radix 2..36 (lower-case digits). In radix 10 a
 * negative value gets a minus sign; in other radices its 32 bits are
 * shown. The _s forms return 0; a NULL buffer, a bad radix or a buffer too
 * small is a violation. _itoa/_itow return buffer, which must hold 33
 * characters.
 */
MMF_WIN32_API errno_t _itoa_s(int value, char *buffer, size_t size, int radix);
MMF_WIN32_API errno_t _itow_s(int value, wchar_t *buffer, size_t size, int radix);
MMF_WIN32_API char *_itoa(int value, char *buffer, int radix);
MMF_WIN32_API wchar_t *_itow(int value, wchar_t *buffer, int radix);
/* The decimal value of a wide string (leading space, a sign, digits; 0 if
 * none). Overflow gives the limit of the type, with errno ERANGE. _wtol's
 * type is 32 bits, as Windows' long. */
MMF_WIN32_API int _wtoi(const wchar_t *str);
MMF_WIN32_API long _wtol(const wchar_t *str);

/*
 * wmain, and _tmain in a UNICODE build: Linux starts a program at main
 * with narrow (UTF-8) arguments. This header turns the definition
 * `int wmain(int argc, wchar_t *argv[])` (or `wchar_t *envp[]` as a third
 * parameter, or none at all) into the definition of mmf_win32_wmain and a
 * weak `main` that converts the arguments and the environment to wide
 * strings (invalid UTF-8 becomes U+FFFD), calls it and returns what it
 * returns. A program that defines its own main keeps it. Only the file
 * that defines wmain may use the name. In C++, wmain must take
 * (int, wchar_t **).
 */
MMF_WIN32_API int mmf_win32_run_wmain(int argc, char **argv,
                                      int (*wmain_fn)(int, wchar_t **, wchar_t **));
#ifdef __cplusplus
#define wmain                                                                  \
    mmf_win32_wmain(int, wchar_t **);                                          \
    __attribute__((weak)) int main(int argc, char **argv)                      \
    {                                                                          \
        return mmf_win32_run_wmain(                                            \
            argc, argv,                                                        \
            reinterpret_cast<int (*)(int, wchar_t **, wchar_t **)>(            \
                reinterpret_cast<void (*)()>(mmf_win32_wmain)));               \
    }                                                                          \
    int mmf_win32_wmain
#else
/* The entry is declared under another C name with the same symbol, so
 * that every form of the definition (with or without arguments) fits;
 * extra arguments are harmless in the C calling conventions of Linux.
 * The definition that follows has no prototype of its own name: the rest
 * of the file goes without -Wmissing-prototypes. */
#define wmain                                                                  \
    mmf_win32_wmain_entry(int, wchar_t **, wchar_t **) __asm__("mmf_win32_wmain"); \
    __attribute__((weak)) int main(int argc, char **argv)                      \
    {                                                                          \
        return mmf_win32_run_wmain(argc, argv, mmf_win32_wmain_entry);         \
    }                                                                          \
    _Pragma("GCC diagnostic ignored \"-Wmissing-prototypes\"")              \
    int mmf_win32_wmain
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
inline int swprintf_s(wchar_t (&dest)[N], const wchar_t *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vswprintf_s(dest, N, format, ap);
    va_end(ap);
    return n;
}
template <size_t N>
inline errno_t _itow_s(int value, wchar_t (&dest)[N], int radix)
{
    return _itow_s(value, dest, N, radix);
}
template <size_t N>
inline errno_t _itoa_s(int value, char (&dest)[N], int radix)
{
    return _itoa_s(value, dest, N, radix);
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
