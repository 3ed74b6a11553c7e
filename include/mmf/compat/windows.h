/* SPDX-License-Identifier: MIT */
/*
 * windows.h - for programs written for Windows: the mmf Win32 façade.
 * `pkg-config --cflags mmf-win32` puts this folder on the include path, so
 * `#include <windows.h>` (and <Windows.h>) compiles against mmf/win32.h.
 * See mmf/win32.h for what is provided and how it differs from Windows.
 */
#ifndef MMF_COMPAT_WINDOWS_H
#define MMF_COMPAT_WINDOWS_H
#include <mmf/win32.h>
#endif
