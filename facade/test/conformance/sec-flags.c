/* SPDX-License-Identifier: MIT */
/* sec-flags.c - the SEC_* attribute flags of CreateFileMapping: section C
 * of docs/win32-behaviour.md. */
#include "w32t.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* CreateFileMapping without a file, 0x1000 bytes, PAGE_READWRITE | sec. */
static HANDLE pagefile(DWORD sec)
{
    SetLastError(0xdeadbeef);
    return CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, sec | PAGE_READWRITE, 0, 0x1000,
                              NULL);
}

/* CreateFileMapping of file f, size 0, protect | sec. */
static HANDLE on_file(HANDLE f, DWORD protect, DWORD sec)
{
    SetLastError(0xdeadbeef);
    return CreateFileMappingA(f, NULL, sec | protect, 0, 0, NULL);
}

/* Each of `flags` must fail with `gle`; `line` names the caller. */
static void refused(HANDLE f, DWORD protect, const DWORD *flags, size_t n, DWORD gle,
                    int line)
{
    for (size_t i = 0; i < n; i++) {
        HANDLE h = f == INVALID_HANDLE_VALUE ? pagefile(flags[i]) : on_file(f, protect, flags[i]);
        DWORD e = GetLastError();
        if (h != NULL) {
            CloseHandle(h);
            w32t_fail(__FILE__, line, "flags 0x%lx were accepted", (unsigned long)flags[i]);
        } else if (e != gle) {
            w32t_fail(__FILE__, line, "flags 0x%lx: GLE %lu (%s), expected %lu (%s)",
                      (unsigned long)flags[i], (unsigned long)e, w32t_err_name(e),
                      (unsigned long)gle, w32t_err_name(gle));
        }
    }
}

/* Each of `flags` must succeed with GLE 0. */
static void accepted(HANDLE f, DWORD protect, const DWORD *flags, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) {
        HANDLE h = f == INVALID_HANDLE_VALUE ? pagefile(flags[i]) : on_file(f, protect, flags[i]);
        DWORD e = GetLastError();
        if (h == NULL)
            w32t_fail(__FILE__, line, "flags 0x%lx: GLE %lu (%s)", (unsigned long)flags[i],
                      (unsigned long)e, w32t_err_name(e));
        else if (e != ERROR_SUCCESS)
            w32t_fail(__FILE__, line, "flags 0x%lx: GLE %lu after success",
                      (unsigned long)flags[i], (unsigned long)e);
        if (h != NULL)
            CloseHandle(h);
    }
}

W32T(C01)
{
    static const DWORD ok[] = {SEC_RESERVE};
    accepted(INVALID_HANDLE_VALUE, 0, ok, COUNT(ok), __LINE__);
}

W32T(C17)
{
    /* SEC_LARGE_PAGES needs SeLockMemoryPrivilege, which a test process
     * does not hold: ERROR_PRIVILEGE_NOT_HELD (1314). The façade has no
     * privilege: it grants huge pages where the system has a hugetlbfs
     * mount, and refuses with 1314 where it has none. */
    HANDLE h;

    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL,
                           SEC_COMMIT | SEC_LARGE_PAGES | PAGE_READWRITE, 0, 2 << 20, NULL);
#ifndef _WIN32
    if (h != NULL || GetLastError() == ERROR_NOT_ENOUGH_MEMORY) {
        if (h != NULL)
            CloseHandle(h);
        w32t_skip("Linux-only: this system has a hugetlbfs mount, so the façade "
                  "grants SEC_LARGE_PAGES instead of refusing it");
    }
#endif
    if (h != NULL)
        CloseHandle(h);
    /* Wine 8.0 checks no privilege and makes the section. */
    WINE_DIFFERS_BEGIN("C17", "SEC_LARGE_PAGES without SeLockMemoryPrivilege");
    CHECK(h == NULL);
    CHECK_GLE(ERROR_PRIVILEGE_NOT_HELD);
    WINE_DIFFERS_END();
}

W32T(C05)
{
    static const DWORD bad[] = {SEC_RESERVE | SEC_COMMIT};
    refused(INVALID_HANDLE_VALUE, 0, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
}

W32T(C06)
{
    static const DWORD bad[] = {SEC_RESERVE | SEC_LARGE_PAGES};
    refused(INVALID_HANDLE_VALUE, 0, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
}

W32T(C07)
{
    static const DWORD bad[] = {SEC_IMAGE};
    refused(INVALID_HANDLE_VALUE, 0, bad, COUNT(bad), ERROR_BAD_EXE_FORMAT, __LINE__);
}

W32T(C08)
{
    static const DWORD bad[] = {SEC_IMAGE | SEC_RESERVE, SEC_IMAGE | SEC_COMMIT};
    refused(INVALID_HANDLE_VALUE, 0, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
}

W32T(C09)
{
    static const DWORD bad[] = {SEC_NOCACHE, SEC_LARGE_PAGES, SEC_WRITECOMBINE};
    refused(INVALID_HANDLE_VALUE, 0, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
}

W32T(C10)
{
    static const DWORD bad[] = {SEC_FILE, SEC_FILE | SEC_RESERVE, SEC_FILE | SEC_COMMIT};
    refused(INVALID_HANDLE_VALUE, 0, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
}

W32T(C11)
{
    static const DWORD ok[] = {SEC_RESERVE, SEC_COMMIT, 0};
    HANDLE f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 0x2000, NULL);
    accepted(f, PAGE_READWRITE, ok, COUNT(ok), __LINE__);
    CLOSE(f);
}

W32T(C13)
{
    static const DWORD bad[] = {SEC_RESERVE | SEC_LARGE_PAGES, SEC_COMMIT | SEC_LARGE_PAGES,
                                SEC_RESERVE | SEC_COMMIT};
    HANDLE f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 0x2000, NULL);
    refused(f, PAGE_READWRITE, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
    CLOSE(f);
}

W32T(C14)
{
    static const DWORD bad[] = {SEC_IMAGE};
    HANDLE f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 0x2000, NULL);
    refused(f, PAGE_READONLY, bad, COUNT(bad), ERROR_BAD_EXE_FORMAT, __LINE__);
    CLOSE(f);
}

W32T(C15)
{
    static const DWORD bad[] = {
        SEC_IMAGE | SEC_RESERVE, SEC_IMAGE | SEC_COMMIT, SEC_NOCACHE, SEC_LARGE_PAGES,
        SEC_WRITECOMBINE, SEC_FILE, SEC_FILE | SEC_RESERVE, SEC_FILE | SEC_COMMIT,
    };
    HANDLE f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 0x2000, NULL);
    refused(f, PAGE_READWRITE, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
    CLOSE(f);
}

W32T(C16)
{
    static const DWORD bad[] = {SEC_IMAGE | SEC_FILE, SEC_IMAGE | SEC_LARGE_PAGES,
                                SEC_IMAGE | SEC_WRITECOMBINE, SEC_IMAGE | SEC_RESERVE,
                                SEC_IMAGE | SEC_COMMIT};
#ifdef _WIN32
    static const DWORD ok[] = {SEC_IMAGE, SEC_IMAGE | SEC_NOCACHE};
    char path[MAX_PATH];
    HANDLE f;

    /* An executable: kernel32.dll. */
    CHECK(GetSystemDirectoryA(path, MAX_PATH - 20) != 0);
    strcat(path, "\\kernel32.dll");
    f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(f != INVALID_HANDLE_VALUE);
    accepted(f, PAGE_READONLY, ok, COUNT(ok), __LINE__);
    refused(f, PAGE_READONLY, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
    CLOSE(f);
#else
    /* The façade maps no executable images, this program's own included:
     * SEC_IMAGE alone is refused as for a data file (the entry's
     * difference); the invalid combinations fail as on Windows. */
    static const DWORD image[] = {SEC_IMAGE, SEC_IMAGE | SEC_NOCACHE};
    HANDLE f = CreateFileA("/proc/self/exe", GENERIC_READ, FILE_SHARE_READ, NULL,
                           OPEN_EXISTING, 0, NULL);
    CHECK(f != INVALID_HANDLE_VALUE);
    refused(f, PAGE_READONLY, image, COUNT(image), ERROR_BAD_EXE_FORMAT, __LINE__);
    refused(f, PAGE_READONLY, bad, COUNT(bad), ERROR_INVALID_PARAMETER, __LINE__);
    CLOSE(f);
#endif
}
