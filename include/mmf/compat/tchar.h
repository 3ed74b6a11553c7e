/* SPDX-License-Identifier: MIT */
/*
 * tchar.h - "generic text" names for programs that build both as ANSI and
 * as Unicode. Part of the mmf Win32 façade.
 *
 * As with Microsoft's header, _UNICODE selects the wide forms (_TCHAR is
 * wchar_t, _T("x") is L"x", _tcslen is wcslen, ...). Windows projects
 * define UNICODE and _UNICODE together; here either one selects both, so
 * that `-DUNICODE` alone (the build line of the examples) gives consistent
 * TCHAR and _TCHAR.
 *
 * _tmain is main in an ANSI build and wmain in a Unicode one, where the
 * façade converts the real arguments to wide strings (see wmain in
 * mmf/win32_crt.h). The printing names (_tprintf, _stprintf_s, ...) give
 * %s Microsoft's meaning (see WIDE PRINTING there).
 */
#ifndef MMF_COMPAT_TCHAR_H
#define MMF_COMPAT_TCHAR_H

#if defined(UNICODE) && !defined(_UNICODE)
#define _UNICODE
#endif
#if defined(_UNICODE) && !defined(UNICODE)
#define UNICODE
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <mmf/win32.h>

#ifdef _UNICODE
#define _tmain wmain
typedef wchar_t _TCHAR;
typedef wchar_t _TSCHAR;
typedef wchar_t _TUCHAR;
#define __T(x) L##x
#define _tcslen wcslen
#define _tcscpy wcscpy
#define _tcscpy_s wcscpy_s
#define _tcsncpy wcsncpy
#define _tcsncpy_s wcsncpy_s
#define _tcscat wcscat
#define _tcscat_s wcscat_s
#define _tcscmp wcscmp
#define _tcsncmp wcsncmp
#define _tcschr wcschr
#define _tcsrchr wcsrchr
#define _tcsstr wcsstr
#define _tcstol wcstol
#define _tcstoul wcstoul
#define _ttoi _wtoi
#define _ttol _wtol
#define _tprintf wprintf
#define _ftprintf fwprintf
#define _vtprintf vwprintf
#define _vftprintf vfwprintf
#define _stprintf swprintf
#define _vstprintf vswprintf
#define _stprintf_s swprintf_s
#define _vstprintf_s vswprintf_s
#define _sntprintf _snwprintf
#define _sntprintf_s _snwprintf_s
#define _vsntprintf _vsnwprintf
#define _vsntprintf_s _vsnwprintf_s
#define _itot _itow
#define _itot_s _itow_s
#else
typedef char _TCHAR;
typedef char _TSCHAR;
typedef unsigned char _TUCHAR;
#define __T(x) x
#define _tcslen strlen
#define _tcscpy strcpy
#define _tcscpy_s strcpy_s
#define _tcsncpy strncpy
#define _tcsncpy_s strncpy_s
#define _tcscat strcat
#define _tcscat_s strcat_s
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _tcstol strtol
#define _tcstoul strtoul
#define _tmain main
#define _ttoi atoi
#define _ttol(s) ((long)atoi(s))
#define _tprintf printf
#define _ftprintf fprintf
#define _vtprintf vprintf
#define _vftprintf vfprintf
#define _stprintf sprintf
#define _vstprintf vsprintf
#define _stprintf_s sprintf_s
#define _vstprintf_s vsprintf_s
#define _sntprintf snprintf
#define _vsntprintf vsnprintf
#define _itot _itoa
#define _itot_s _itoa_s
#define _tfopen fopen
#endif

#define _T(x) __T(x)
#define _TEXT(x) __T(x)

#endif
