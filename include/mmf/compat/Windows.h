/* SPDX-License-Identifier: MIT */
/*
 * Windows.h - the same as <windows.h> (Windows' file names are not
 * case-sensitive, and programs spell it both ways).
 */
#ifndef MMF_COMPAT_WINDOWS_H
#define MMF_COMPAT_WINDOWS_H
#include <mmf/win32.h>
#endif
