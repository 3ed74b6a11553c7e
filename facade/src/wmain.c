/* SPDX-License-Identifier: MIT */
/*
 * wmain.c - the start of a program whose entry point is wmain (or _tmain
 * in a UNICODE build): the weak main that mmf/win32_crt.h puts beside its
 * definition calls mmf_win32_run_wmain with the real argv.
 */
#include <stdlib.h>

#include "w32.h"

extern char **environ;

/* A NULL-terminated wide copy of the n strings of v (UTF-8; invalid bytes
 * become U+FFFD), or NULL when out of memory. */
static wchar_t **widen_all(char **v, size_t n)
{
    wchar_t **w = calloc(n + 1, sizeof *w);

    if (w == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int len = MultiByteToWideChar(CP_UTF8, 0, v[i], -1, NULL, 0);
        if (len <= 0 || (w[i] = malloc((size_t)len * sizeof(wchar_t))) == NULL)
            return NULL; /* the program ends: nothing to free */
        MultiByteToWideChar(CP_UTF8, 0, v[i], -1, w[i], len);
    }
    return w;
}

/* The wide arguments and environment live as long as the program, as the
 * C runtime's do (atexit handlers may still use them): kept here, so that
 * they stay reachable. */
static wchar_t **wargv, **wenv;

int mmf_win32_run_wmain(int argc, char **argv, int (*wmain_fn)(int, wchar_t **, wchar_t **))
{
    size_t nenv = 0;

    while (environ != NULL && environ[nenv] != NULL)
        nenv++;
    wargv = widen_all(argv, argc > 0 ? (size_t)argc : 0);
    wenv = widen_all(environ, nenv);
    if (wargv == NULL || wenv == NULL)
        abort(); /* as the C runtime does when it cannot set up argv */
    return wmain_fn(argc, wargv, wenv);
}
