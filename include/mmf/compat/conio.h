/* SPDX-License-Identifier: MIT */
/*
 * conio.h - the console input functions Windows programs use to wait for a
 * key ("Press any key to continue"). Part of the mmf Win32 façade.
 */
#ifndef MMF_COMPAT_CONIO_H
#define MMF_COMPAT_CONIO_H

#include <mmf/win32.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read one character from standard input without waiting for Enter and
 * without echo, and return it. On a terminal the terminal's mode is
 * changed for the read and restored; otherwise (a pipe, a file) one byte is
 * read as is. At the end of the input (or on an error) returns EOF (-1).
 */
MMF_WIN32_API int _getch(void);
/* As _getch(), echoing the character. */
MMF_WIN32_API int _getche(void);
/* Nonzero if a character is waiting on standard input (without reading
 * it); 0 if none, or at the end of the input. */
MMF_WIN32_API int _kbhit(void);

/* The older names of the same functions, which Microsoft's <conio.h> still
 * declares. Inline, so that the library does not export a getch that
 * would stand in for curses' own. */
static inline int getch(void)
{
    return _getch();
}
static inline int getche(void)
{
    return _getche();
}
static inline int kbhit(void)
{
    return _kbhit();
}

#ifdef __cplusplus
}
#endif

#endif
