/* SPDX-License-Identifier: MIT */
/* text.c - code pages, the C runtime's text functions and Microsoft's
 * printf formats: section Z of docs/win32-behaviour.md. The file is built
 * as a UNICODE program, as most Windows programs that use <tchar.h> are. */
#define UNICODE
#define _UNICODE
/* MinGW-w64 replaces the printf family with its own ISO one (%s narrow in
 * wprintf) in its C11 mode; Microsoft's C runtime, whose meaning the
 * checks below assert, is what Windows programs get. */
#define __USE_MINGW_ANSI_STDIO 0
#include "w32t.h"

#include <tchar.h>

/* Wide-string comparison with a readable failure. */
#define CHECK_WSTR(got, want)                                                  \
    do {                                                                       \
        if (wcscmp((got), (want)) != 0)                                        \
            w32t_fail(__FILE__, __LINE__, "%s: got \"%ls\", expected \"%ls\"",  \
                      #got, (const wchar_t *)(got), (const wchar_t *)(want));   \
    } while (0)
#define CHECK_STR(got, want)                                                   \
    do {                                                                       \
        if (strcmp((got), (want)) != 0)                                        \
            w32t_fail(__FILE__, __LINE__, "%s: got \"%s\", expected \"%s\"",    \
                      #got, (got), (want));                                    \
    } while (0)

/* "héllo" in UTF-8 and as a wide string (one BMP character: the same
 * count with 16-bit and 32-bit wchar_t). */
static const char hello8[] = "h\xc3\xa9llo";
static const wchar_t hellow[] = L"h\u00e9llo";

W32T(Z01)
{
    wchar_t buf[16];

    /* -1: up to and with the NUL; the size query writes nothing. */
    SetLastError(0xdeadbeef);
    CHECK_EQ(MultiByteToWideChar(CP_UTF8, 0, hello8, -1, NULL, 0), 6);
    CHECK_EQ(MultiByteToWideChar(CP_UTF8, 0, hello8, -1, buf, 16), 6);
    CHECK_WSTR(buf, hellow);
    CHECK_EQ(GetLastError(), 0xdeadbeef);
    /* An explicit length converts that much, without a NUL. */
    buf[2] = L'#';
    buf[3] = L'#';
    CHECK_EQ(MultiByteToWideChar(CP_UTF8, 0, hello8, 3, buf, 16), 2);
    CHECK(buf[0] == L'h' && buf[1] == 0xE9 && buf[2] == L'#');
    /* Exactly the size needed is enough. */
    CHECK_EQ(MultiByteToWideChar(CP_UTF8, 0, hello8, -1, buf, 6), 6);
}

W32T(Z02)
{
    wchar_t wbuf[4];
    char buf[4];

    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, 0, hello8, -1, wbuf, 3), 0,
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_FAILS(WideCharToMultiByte(CP_UTF8, 0, hellow, -1, buf, 3, NULL, NULL), 0,
                ERROR_INSUFFICIENT_BUFFER);
    /* The two bytes of é do not fit in the one byte left. */
    CHECK_FAILS(WideCharToMultiByte(CP_UTF8, 0, hellow, 2, buf, 2, NULL, NULL), 0,
                ERROR_INSUFFICIENT_BUFFER);
}

W32T(Z03)
{
    wchar_t buf[8];

    /* An invalid byte, and a sequence cut short at the end. */
    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "a\xff" "b", -1, buf, 8),
                0, ERROR_NO_UNICODE_TRANSLATION);
    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "a\xc3", 2, buf, 8), 0,
                ERROR_NO_UNICODE_TRANSLATION);
    /* An overlong encoding of '/', and a UTF-8-encoded surrogate. */
    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "\xc0\xaf", 2, buf, 8), 0,
                ERROR_NO_UNICODE_TRANSLATION);
    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "\xed\xa0\x80", 3, buf, 8),
                0, ERROR_NO_UNICODE_TRANSLATION);
    /* Without the flag, U+FFFD stands for the invalid byte. */
    CHECK_EQ(MultiByteToWideChar(CP_UTF8, 0, "a\xff" "b", -1, buf, 8), 4);
    CHECK(buf[0] == L'a' && buf[1] == 0xFFFD && buf[2] == L'b' && buf[3] == 0);
}

W32T(Z04)
{
    char buf[16];
    wchar_t lone[2] = {0xD800, 0};

    SetLastError(0xdeadbeef);
    CHECK_EQ(WideCharToMultiByte(CP_UTF8, 0, hellow, -1, NULL, 0, NULL, NULL), 7);
    CHECK_EQ(WideCharToMultiByte(CP_UTF8, 0, hellow, -1, buf, 16, NULL, NULL), 7);
    CHECK_STR(buf, hello8);
    CHECK_EQ(GetLastError(), 0xdeadbeef);
    memset(buf, '#', sizeof buf);
    CHECK_EQ(WideCharToMultiByte(CP_UTF8, 0, hellow, 2, buf, 16, NULL, NULL), 3);
    CHECK(memcmp(buf, "h\xc3\xa9#", 4) == 0);
    /* A lone surrogate: refused with WC_ERR_INVALID_CHARS, else U+FFFD. */
    CHECK_FAILS(WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, lone, -1, buf, 16, NULL,
                                    NULL),
                0, ERROR_NO_UNICODE_TRANSLATION);
    CHECK_EQ(WideCharToMultiByte(CP_UTF8, 0, lone, -1, buf, 16, NULL, NULL), 4);
    CHECK_STR(buf, "\xef\xbf\xbd");
}

W32T(Z05)
{
    char buf[16];
    wchar_t wbuf[16];
    BOOL used;

    /* Arguments Windows refuses for UTF-8: a default character (Microsoft
     * documents that both must be NULL; Wine 8.0 accepts them). */
    WINE_DIFFERS_BEGIN("Z05", "UTF-8 conversions with lpDefaultChar or other flags");
    CHECK_FAILS(WideCharToMultiByte(CP_UTF8, 0, hellow, -1, buf, 16, "?", NULL), 0,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WideCharToMultiByte(CP_UTF8, 0, hellow, -1, buf, 16, NULL, &used), 0,
                ERROR_INVALID_PARAMETER);
    /* Microsoft: for UTF-8 dwFlags is 0 or MB_ERR_INVALID_CHARS (and
     * WC_ERR_INVALID_CHARS), else ERROR_INVALID_FLAGS; Wine 8.0 ignores
     * the other flags. */
    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, MB_PRECOMPOSED, hello8, -1, wbuf, 16), 0,
                ERROR_INVALID_FLAGS);
    CHECK_FAILS(WideCharToMultiByte(CP_UTF8, 0x400 /* WC_COMPOSITECHECK */, hellow, -1, buf,
                                    16, NULL, NULL),
                0, ERROR_INVALID_FLAGS);
    WINE_DIFFERS_END();
    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, 0, NULL, -1, wbuf, 16), 0,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(MultiByteToWideChar(CP_UTF8, 0, hello8, 0, wbuf, 16), 0,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WideCharToMultiByte(CP_UTF8, 0, hellow, 0, buf, 16, NULL, NULL), 0,
                ERROR_INVALID_PARAMETER);
    /* Any negative length means "NUL-terminated", as -1 does. */
    CHECK_EQ(MultiByteToWideChar(CP_UTF8, 0, hello8, -2, wbuf, 16), 6);
    CHECK_EQ(WideCharToMultiByte(CP_UTF8, 0, hellow, -5, buf, 16, NULL, NULL), 7);
    /* A code page that does not exist. */
    CHECK_FAILS(MultiByteToWideChar(12345, 0, hello8, -1, wbuf, 16), 0,
                ERROR_INVALID_PARAMETER);
}

W32T(Z06)
{
    char buf[16];
    wchar_t wbuf[16];

    /* CP_ACP: ASCII converts the same in every ANSI code page. */
    CHECK_EQ(MultiByteToWideChar(CP_ACP, 0, "abc", -1, wbuf, 16), 4);
    CHECK_WSTR(wbuf, L"abc");
    CHECK_EQ(WideCharToMultiByte(CP_ACP, 0, L"abc", -1, buf, 16, NULL, NULL), 4);
    CHECK_STR(buf, "abc");
#ifndef _WIN32
    /* The façade's ANSI code page is UTF-8 (Windows' is a legacy one,
     * 1252 in most Western installations). */
    CHECK_EQ(GetACP(), CP_UTF8);
    CHECK_EQ(MultiByteToWideChar(CP_ACP, 0, hello8, -1, wbuf, 16), 6);
    CHECK_WSTR(wbuf, hellow);
#endif
}

W32T(Z07)
{
    wchar_t buf[64];

    /* Microsoft's meaning in the wide functions: %s and %c have the
     * function's width, %S and %C the other; h and l say it outright. */
    CHECK_EQ(swprintf_s(buf, 64, L"%s|%S|%c|%C", L"wide", "narrow", L'w', 'n'), 15);
    CHECK_WSTR(buf, L"wide|narrow|w|n");
    CHECK_EQ(swprintf_s(buf, 64, L"%hs|%ls|%hc|%lc", "n", L"w", 'a', L'b'), 7);
    CHECK_WSTR(buf, L"n|w|a|b");
    /* Width and precision apply as usual; %I64d takes 64 bits. */
    CHECK(swprintf_s(buf, 64, L"[%5s][%-3.1s][%I64d]", L"ab", L"xyz",
                     (long long)-5000000000LL) > 0);
    CHECK_WSTR(buf, L"[   ab][x  ][-5000000000]");
    /* The ISO swprintf takes it the same way. */
    CHECK_EQ(swprintf(buf, 64, L"%s=%d", L"nm", 5), 4);
    CHECK_WSTR(buf, L"nm=5");
}

W32T(Z08)
{
    wchar_t buf[8];

    /* _TRUNCATE: what fits, and -1. */
    CHECK_EQ(_snwprintf_s(buf, 8, _TRUNCATE, L"%s", L"0123456789"), -1);
    CHECK_WSTR(buf, L"0123456");
    CHECK_EQ(_snwprintf_s(buf, 8, _TRUNCATE, L"%s", L"0123"), 4);
    CHECK_WSTR(buf, L"0123");
    /* A count below the buffer's size limits the output. */
    CHECK_EQ(_snwprintf_s(buf, 8, 3, L"%s", L"abcdef"), -1);
    CHECK_WSTR(buf, L"abc");
    /* _stprintf_s is swprintf_s in a UNICODE build. */
    CHECK_EQ(_stprintf_s(buf, 8, _T("%s%d"), _T("ab"), 7), 3);
    CHECK_WSTR(buf, L"ab7");
}

W32T(Z09)
{
    wchar_t wbuf[1100];
    char buf[1100];

    CHECK_EQ(wsprintfW(wbuf, L"%s=%d %S", L"key", 42, "n"), 8);
    CHECK_WSTR(wbuf, L"key=42 n");
    /* In wsprintfA the widths swap: %s narrow, %S wide. */
    CHECK_EQ(wsprintfA(buf, "%s=%d %S", "key", 42, L"w"), 8);
    CHECK_STR(buf, "key=42 w");
    /* wsprintf writes at most 1024 characters (Microsoft's limit; whether
     * the NUL is among them is not documented: Wine writes 1024 and
     * returns 1024, the façade 1023 and a NUL). Nothing past them. */
    {
        static char big[2000];
        int n;
        memset(big, 'x', sizeof big - 1);
        memset(buf, '#', sizeof buf);
        n = wsprintfA(buf, "%s", big);
        CHECK(n == 1023 || n == 1024);
        CHECK(buf[1025] == '#' && buf[1099] == '#');
        CHECK(buf[0] == 'x' && buf[1022] == 'x');
    }
}

W32T(Z10)
{
    wchar_t wbuf[40];
    char buf[40];
    TCHAR tbuf[40];

    CHECK_EQ(_itow_s(-255, wbuf, 40, 10), 0);
    CHECK_WSTR(wbuf, L"-255");
    /* Radices other than 10 show the 32 bits. */
    CHECK_EQ(_itow_s(-255, wbuf, 40, 16), 0);
    CHECK_WSTR(wbuf, L"ffffff01");
    CHECK_EQ(_itoa_s(5, buf, 40, 2), 0);
    CHECK_STR(buf, "101");
    CHECK_WSTR(_itow(1234, wbuf, 10), L"1234");
    CHECK_STR(_itoa(-7, buf, 10), "-7");
    CHECK_EQ(_itot_s(36, tbuf, 40, 36), 0);
    CHECK_WSTR(tbuf, L"10");
    CHECK_WSTR(_itot(99, tbuf, 10), L"99");
    CHECK_EQ(_wtoi(L"  -42xyz"), (unsigned long long)(long long)-42);
    CHECK_EQ(_wtoi(L"abc"), 0);
    CHECK_EQ(_ttoi(_T("+17")), 17);
}

W32T(Z11)
{
    /* fwprintf and _ftprintf with %s wide, to a file read back as bytes. */
    const char *path = w32t_path("out");
    FILE *f = fopen(path, "w");
    char got[64];
    size_t n;

    CHECK(f != NULL);
    CHECK_EQ(fwprintf(f, L"%s=%d;", L"abc", 1), 6);
    CHECK_EQ(_ftprintf(f, _T("%s|%c"), _T("de"), _T('f')), 4);
    CHECK_EQ(fclose(f), 0);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    fclose(f);
    CHECK_TRUE(DeleteFileA(path));
    CHECK_STR(got, "abc=1;de|f");
}

W32T(Z12)
{
    /* The MSVC keywords the façade maps: __int64 is 64 bits, the calling
     * conventions are accepted. */
    unsigned __int64 big = 0xFFFFFFFFFFFFFFFFULL;
    int(__cdecl * c)(const char *) = NULL;
    int(__stdcall * s)(void) = NULL;

    CHECK_EQ(sizeof(__int64), 8);
    CHECK_EQ(big >> 63, 1);
    CHECK(c == NULL && s == NULL);
    /* <windows.h> brings malloc and free, as MinGW-w64's does. */
    {
        void *p = malloc(16);
        CHECK(p != NULL);
        free(p);
    }
}

W32T(Z14)
{
    wchar_t buf[128];

    /* The rest of a format passes through the rewriting untouched: %%,
     * widths and precisions from arguments, the size prefixes of integers
     * (%Iu is a size_t, %I32d 32 bits, %hhd a char) and floating point. */
    CHECK(swprintf_s(buf, 128, L"%%|%*s|%-*.*S|%Iu|%I32d|%I64u|%hhd|%.2f|%5.1ls|", 4, L"ab", 5,
                     2, "xyz", (size_t)7, (int)-3, (unsigned long long)18446744073709551615ULL,
                     (char)-1, 2.5, L"wide") > 0);
    CHECK_WSTR(buf, L"%|  ab|xy   |7|-3|18446744073709551615|-1|2.50|    w|");
    /* A narrow %c and a wide %C in wsprintfA. */
    CHECK_EQ(wsprintfW(buf, L"%c%C%hc%lc", L'a', 'b', 'c', L'd'), 4);
    CHECK_WSTR(buf, L"abcd");
}
