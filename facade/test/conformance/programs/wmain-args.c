/* SPDX-License-Identifier: MIT */
/*
 * wmain-args.c - a UNICODE program whose entry point is
 * _tmain(int argc, TCHAR *argv[]), as Visual Studio generates it. Built
 * natively against the façade and with MinGW-w64 (-municode) for Wine;
 * ctest wmain_arguments runs it with one argument and checks that the
 * argument arrived as the wide string it was, and that _tprintf's %s
 * prints it whole.
 */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include <wchar.h>

int _tmain(int argc, TCHAR *argv[])
{
    /* "two wörds" (ö is U+00F6; the command line gives it in UTF-8). */
    static const wchar_t expected[] = L"two w\u00f6rds";

    if (argc != 2) {
        _tprintf(_T("wmain: argc %d, expected 2\n"), argc);
        return 1;
    }
    if (wcscmp(argv[1], expected) != 0) {
        _tprintf(_T("wmain: argv[1] has %d characters, expected %d\n"),
                 (int)wcslen(argv[1]), (int)wcslen(expected));
        return 1;
    }
    /* The program name is there too, and ends with the program's name. */
    if (wcsstr(argv[0], L"wmain-args") == NULL) {
        _tprintf(_T("wmain: argv[0] is not the program\n"));
        return 1;
    }
    /* Printed through %s, the wide string comes out whole (before the
     * façade's wprintf, glibc's read %s as narrow and printed "t"). */
    _tprintf(_T("wmain got [%s]\n"), argv[1]);
    return 0;
}
