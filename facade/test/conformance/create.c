/* SPDX-License-Identifier: MIT */
/* create.c - CreateFileMapping without a file: section B of
 * docs/win32-behaviour.md. */
#include "w32t.h"

/* The eight page protections of A03, for the combination checks. */
static const DWORD protections[] = {
    PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
    PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY,
};
static const DWORD valid_protections[] = {
    PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
    PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY,
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

W32T(B01)
{
    /* A pagefile-backed section needs a size: 0 is refused, named or not. */
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0,
                                   w32t_name("m")),
                NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0, NULL),
                NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0,
                                   w32t_wname("m")),
                NULL, ERROR_INVALID_PARAMETER);
}

W32T(B02)
{
    HANDLE h;

    /* A successful create clears the last error. */
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, SEC_COMMIT | PAGE_READWRITE, 0,
                           0x1000, w32t_name("Wine Test Mapping"));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(h);

    SetLastError(0xdeadbeef);
    h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, SEC_COMMIT | PAGE_READWRITE, 0,
                           0x1000, w32t_wname("wide"));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(h);
}

W32T(B03)
{
    const char *name = w32t_name("Wine Test Mapping");
    HANDLE h1, h2;
    DWORD *p1, *p2;

    h1 = w32t_section(name, SEC_COMMIT | PAGE_READWRITE, 0x1000);
    SetLastError(0xdeadbeef);
    h2 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, SEC_COMMIT | PAGE_READWRITE, 0,
                            0x1000, name);
    CHECK(h2 != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    CHECK(h2 != h1);

    /* The second handle names the existing object: same memory. */
    p1 = w32t_map(h1, FILE_MAP_WRITE, 0);
    p2 = w32t_map(h2, FILE_MAP_WRITE, 0);
    p1[10] = 0x1a2b3c4d;
    CHECK_EQ(p2[10], 0x1a2b3c4d);
    UNMAP(p1);
    UNMAP(p2);

    /* The W form says the same. */
    {
        wchar_t wname[200];
        size_t i;
        for (i = 0; name[i] != '\0'; i++)
            wname[i] = (wchar_t)name[i];
        wname[i] = 0;
        SetLastError(0xdeadbeef);
        HANDLE h3 = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                       0x1000, wname);
        CHECK(h3 != NULL);
        CHECK_GLE(ERROR_ALREADY_EXISTS);
        CLOSE(h3);
    }
    CLOSE(h2);
    CLOSE(h1);
}

W32T(B04)
{
    const char *name = w32t_name("sized");
    HANDLE h1, h2, h3;

    h1 = w32t_section(name, PAGE_READWRITE, 0x1000);
    /* Larger: the existing object keeps its size. */
    SetLastError(0xdeadbeef);
    h2 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x10000, name);
    CHECK(h2 != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    CHECK_EQ(w32t_section_size(h2, 0x20000), 0x1000);
    CHECK_FAILS(MapViewOfFile(h2, FILE_MAP_READ, 0, 0, 0x10000), NULL, ERROR_ACCESS_DENIED);
    /* Smaller: the same. */
    SetLastError(0xdeadbeef);
    h3 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x800, name);
    CHECK(h3 != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    CHECK_EQ(w32t_section_size(h3, 0x20000), 0x1000);
    CLOSE(h3);
    CLOSE(h2);
    CLOSE(h1);
}

W32T(B05)
{
    const char *name = w32t_name("prot");
    HANDLE h1, h2;
    DWORD *p1, *p2;

    /* The second create asks for PAGE_READONLY: its handle gets the access
     * that protection grants (H09: query and map-read), whatever the
     * section's own protection. */
    h1 = w32t_section(name, PAGE_READWRITE, 0x1000);
    SetLastError(0xdeadbeef);
    h2 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READONLY, 0, 0x1000, name);
    CHECK(h2 != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    CHECK_FAILS(MapViewOfFile(h2, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    p1 = w32t_map(h1, FILE_MAP_WRITE, 0);
    p2 = w32t_map(h2, FILE_MAP_READ, 0);
    p1[0] = 0x5a5a5a5a;
    CHECK_EQ(p2[0], 0x5a5a5a5a);
    /* The section keeps its protection: the first handle still writes. */
    UNMAP(p2);
    UNMAP(p1);
    CLOSE(h2);
    CLOSE(h1);

    /* The other way round: a PAGE_READWRITE create of an existing
     * PAGE_READONLY section also returns a handle to it. What a
     * FILE_MAP_WRITE view through that handle does is open (W01), so it is
     * not asserted. */
    h1 = w32t_section(w32t_name("ro"), PAGE_READONLY, 0x1000);
    SetLastError(0xdeadbeef);
    h2 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x1000,
                            w32t_name("ro"));
    if (h2 == NULL) {
        DWORD e = GetLastError();
        CLOSE(h1);
        w32t_fail(__FILE__, __LINE__, "PAGE_READWRITE create of an existing PAGE_READONLY "
                  "section failed: GLE %lu (%s)", (unsigned long)e, w32t_err_name(e));
    }
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    p2 = w32t_map(h2, FILE_MAP_READ, 0);
    UNMAP(p2);
    CLOSE(h2);
    CLOSE(h1);
}

W32T(B06)
{
    HANDLE h1, h2;
    DWORD *p1, *p2;

    h1 = w32t_section(w32t_name("Wine Test Mapping"), PAGE_READWRITE, 0x1000);
    /* Same letters, other case: a new object, GLE 0. */
    SetLastError(0xdeadbeef);
    h2 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x1000,
                            w32t_name("WINE TEST MAPPING"));
    CHECK(h2 != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    p1 = w32t_map(h1, FILE_MAP_WRITE, 0);
    p2 = w32t_map(h2, FILE_MAP_WRITE, 0);
    p1[0] = 1;
    CHECK_EQ(p2[0], 0);
    UNMAP(p1);
    UNMAP(p2);
    CLOSE(h2);
    CLOSE(h1);
}

W32T(B07)
{
    char name[256];
    HANDLE h;
    unsigned char *p;

    snprintf(name, sizeof name, "Local\\%s", w32t_name("Foo"));
    h = w32t_section(name, PAGE_READWRITE, 4090);
    /* The size is rounded up to a page: a size-0 read view covers 4096. */
    p = w32t_map(h, FILE_MAP_READ, 0);
    CHECK(w32t_readable(p + 4095));
    CHECK_EQ(p[4095], 0);
    UNMAP(p);
    CHECK_EQ(w32t_section_size(h, 0x10000), 4096);
    CLOSE(h);
}

W32T(B08)
{
    HANDLE h;
    unsigned char *p;

    /* No SEC_ flag: SEC_COMMIT is assumed, so every page is usable at once. */
    h = w32t_section(w32t_name("m"), PAGE_READWRITE, 0x3000);
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    for (int off = 0; off < 0x3000; off += 0x1000) {
        CHECK(w32t_writable(p + off));
        p[off] = 7;
    }
    UNMAP(p);
    CLOSE(h);
}

W32T(B09)
{
    HANDLE h = w32t_section(w32t_name("m"), PAGE_READWRITE, 0x3457);
    /* Rounded up to a page: 0x4000 maps, 0x4001 does not. */
    CHECK_EQ(w32t_section_size(h, 0x10000), 0x4000);
    CLOSE(h);
}

W32T(B10)
{
    HANDLE h = w32t_section(w32t_name("m"), PAGE_READWRITE, 0x30000);
    unsigned char *p = w32t_map(h, FILE_MAP_READ, 0);
    size_t nonzero = 0;
    for (size_t i = 0; i < 0x30000; i++)
        nonzero += p[i] != 0;
    CHECK_EQ(nonzero, 0);
    UNMAP(p);
    CLOSE(h);
}

W32T(B11)
{
    static const DWORD accesses[] = {
        FILE_MAP_ALL_ACCESS, FILE_MAP_WRITE, FILE_MAP_READ, FILE_MAP_COPY,
        FILE_MAP_READ | FILE_MAP_WRITE, 0,
    };
    HANDLE h = w32t_section(w32t_name("m"), PAGE_READWRITE, 0x1000);
    HANDLE dup;

    /* The creator's handle has full access to the new object. */
    for (size_t i = 0; i < COUNT(accesses); i++) {
        void *p = MapViewOfFile(h, accesses[i], 0, 0, 0);
        if (p == NULL)
            w32t_fail(__FILE__, __LINE__, "access 0x%lx: GLE %lu",
                      (unsigned long)accesses[i], (unsigned long)GetLastError());
        else
            UNMAP(p);
    }
    /* A same-access duplicate carries it too. */
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    UNMAP(w32t_map(dup, FILE_MAP_WRITE, 0));
    CLOSE(dup);
    CLOSE(h);
}

W32T(B12)
{
    HANDLE h;
    DWORD e;

    /* 0x7FFFFFFFFFFFFFFF bytes of committed memory cannot be had; the exact
     * error is not asserted (no source gives one for sure). */
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, SEC_COMMIT | PAGE_READWRITE,
                           0x7FFFFFFF, 0xFFFFFFFF, w32t_name("huge"));
    e = GetLastError();
    if (h != NULL)
        CloseHandle(h);
    CHECK(h == NULL);
    printf("  B12: huge SEC_COMMIT section fails with %lu (%s)\n", (unsigned long)e,
           w32t_err_name(e));
    CHECK(e != ERROR_SUCCESS && e != 0xdeadbeef);
}

W32T(B13)
{
    HANDLE h;

    /* SEC_RESERVE takes no commit charge: a section far larger than this
     * machine's memory is possible (1 TiB). */
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, SEC_RESERVE | PAGE_READWRITE, 0x100,
                           0, w32t_name("reserve"));
    if (h == NULL)
        w32t_fail(__FILE__, __LINE__, "1 TiB SEC_RESERVE section: GLE %lu (%s)",
                  (unsigned long)GetLastError(), w32t_err_name(GetLastError()));
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(h);
}

W32T(B14)
{
    const char *path;
    HANDLE f = w32t_file("b14", GENERIC_READ | GENERIC_WRITE, 0x2000, &path);

    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_NOACCESS, 0, 0x2000, NULL),
                NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE, 0, 0x2000, NULL),
                NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(f, NULL, PAGE_NOACCESS, 0, 0x2000, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(f, NULL, PAGE_EXECUTE, 0, 0x2000, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    CLOSE(f);
}

/* Every single valid protection works; 0 and every combination of two
 * protections fail with ERROR_INVALID_PARAMETER. */
static void check_protection_rule(HANDLE file, const char *what)
{
    HANDLE h;

    CHECK_FAILS(CreateFileMappingA(file, NULL, 0, 0, 0x2000, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    for (size_t i = 0; i < COUNT(valid_protections); i++) {
        SetLastError(0xdeadbeef);
        h = CreateFileMappingA(file, NULL, valid_protections[i], 0, 0x2000, NULL);
        if (h == NULL)
            w32t_fail(__FILE__, __LINE__, "%s protection 0x%lx refused: GLE %lu", what,
                      (unsigned long)valid_protections[i], (unsigned long)GetLastError());
        else
            CLOSE(h);
    }
    for (size_t i = 0; i < COUNT(protections); i++) {
        for (size_t j = i + 1; j < COUNT(protections); j++) {
            DWORD prot = protections[i] | protections[j];
            SetLastError(0xdeadbeef);
            h = CreateFileMappingA(file, NULL, prot, 0, 0x2000, NULL);
            if (h != NULL) {
                CloseHandle(h);
                w32t_fail(__FILE__, __LINE__, "%s protection 0x%lx accepted", what,
                          (unsigned long)prot);
            } else if (GetLastError() != ERROR_INVALID_PARAMETER) {
                w32t_fail(__FILE__, __LINE__, "%s protection 0x%lx: GLE %lu, expected 87",
                          what, (unsigned long)prot, (unsigned long)GetLastError());
            }
        }
    }
}

W32T(B15)
{
    const char *path;
    HANDLE f = w32t_file("b15", GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE, 0x2000, &path);
    check_protection_rule(f, "file-backed");
    check_protection_rule(INVALID_HANDLE_VALUE, "pagefile-backed");
    CLOSE(f);
}

/* The outcome of MapViewOfFile(access) on a fresh section of `prot`:
 * 0 on success, else the GLE. */
static DWORD map_outcome(DWORD prot, DWORD access)
{
    HANDLE h = w32t_section(NULL, prot, 0x1000);
    void *p;
    DWORD e = 0;

    SetLastError(0xdeadbeef);
    p = MapViewOfFile(h, access, 0, 0, 0);
    if (p == NULL)
        e = GetLastError();
    else
        UNMAP(p);
    CLOSE(h);
    return e;
}

W32T(B16)
{
    static const DWORD accesses[] = {
        0, FILE_MAP_READ, FILE_MAP_WRITE, FILE_MAP_COPY, FILE_MAP_READ | FILE_MAP_WRITE,
        FILE_MAP_READ | FILE_MAP_COPY, FILE_MAP_WRITE | FILE_MAP_COPY, FILE_MAP_ALL_ACCESS,
        FILE_MAP_EXECUTE | FILE_MAP_READ, FILE_MAP_EXECUTE | FILE_MAP_WRITE,
        FILE_MAP_EXECUTE | FILE_MAP_COPY,
    };

    /* PAGE_WRITECOPY grants what PAGE_READONLY grants, and
     * PAGE_EXECUTE_WRITECOPY what PAGE_EXECUTE_READ grants. */
    for (size_t i = 0; i < COUNT(accesses); i++) {
        DWORD a = accesses[i];
        DWORD wc = map_outcome(PAGE_WRITECOPY, a), ro = map_outcome(PAGE_READONLY, a);
        DWORD xwc = map_outcome(PAGE_EXECUTE_WRITECOPY, a);
        DWORD xr = map_outcome(PAGE_EXECUTE_READ, a);
        if (wc != ro)
            w32t_fail(__FILE__, __LINE__, "access 0x%lx: PAGE_WRITECOPY gives %lu, "
                      "PAGE_READONLY %lu", (unsigned long)a, (unsigned long)wc,
                      (unsigned long)ro);
        if (xwc != xr)
            w32t_fail(__FILE__, __LINE__, "access 0x%lx: PAGE_EXECUTE_WRITECOPY gives %lu, "
                      "PAGE_EXECUTE_READ %lu", (unsigned long)a, (unsigned long)xwc,
                      (unsigned long)xr);
    }
    /* And what they grant, absolutely (H02-H04). */
    CHECK_EQ(map_outcome(PAGE_WRITECOPY, FILE_MAP_READ), 0);
    CHECK_EQ(map_outcome(PAGE_WRITECOPY, FILE_MAP_COPY), 0);
    CHECK_EQ(map_outcome(PAGE_WRITECOPY, FILE_MAP_WRITE), ERROR_ACCESS_DENIED);
    CHECK_EQ(map_outcome(PAGE_EXECUTE_WRITECOPY, FILE_MAP_EXECUTE | FILE_MAP_READ), 0);
    CHECK_EQ(map_outcome(PAGE_EXECUTE_WRITECOPY, FILE_MAP_WRITE), ERROR_ACCESS_DENIED);
}

/* A node's policy on a view, where it can be seen (natively). */
static void check_prefers(const void *p, ULONG node)
{
    const char *policy = w32t_numa_policy(p);
    char want[32];
    snprintf(want, sizeof want, "prefer:%lu", (unsigned long)node);
    if (policy != NULL && strcmp(policy, want) != 0)
        w32t_fail(__FILE__, __LINE__, "view policy \"%s\", expected \"%s\"", policy, want);
}

W32T(B17)
{
    ULONG high = 0xdeadbeef;
    HANDLE h;
    void *p;

    CHECK_TRUE(GetNumaHighestNodeNumber(&high));
    CHECK(high < 64);
    /* The highest node (0 on one node): a section whose views prefer it. */
    SetLastError(0xdeadbeef);
    h = CreateFileMappingNumaW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x10000,
                               w32t_wname("n"), high);
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    *(volatile DWORD *)p = 1;
    check_prefers(p, high);
    UNMAP(p);
    /* An existing name opens it, whatever the node. */
    SetLastError(0xdeadbeef);
    {
        HANDLE h2 = CreateFileMappingNumaW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                           0x10000, w32t_wname("n"), NUMA_NO_PREFERRED_NODE);
        CHECK(h2 != NULL);
        CHECK_GLE(ERROR_ALREADY_EXISTS);
        CLOSE(h2);
    }
    CLOSE(h);
    /* No preferred node: an ordinary section. */
    h = CreateFileMappingNumaW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x10000,
                               NULL, NUMA_NO_PREFERRED_NODE);
    CHECK(h != NULL);
    CLOSE(h);
    /* Wine 8.0 has no CreateFileMappingNumaA (a stub that aborts). */
    if (!w32t_is_wine()) {
        SetLastError(0xdeadbeef);
        h = CreateFileMappingNumaA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x10000,
                                   w32t_name("a"), 0);
        CHECK(h != NULL);
        CHECK_GLE(ERROR_SUCCESS);
        CLOSE(h);
        CHECK_FAILS(CreateFileMappingNumaA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                           0x10000, w32t_name("a"), high + 1),
                    NULL, ERROR_INVALID_PARAMETER);
    }
    /* A node past the highest is refused, and nothing is created. */
    WINE_DIFFERS_BEGIN("B17", "the preferred node is not checked");
    CHECK_FAILS(CreateFileMappingNumaW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x10000,
                                       w32t_wname("past"), high + 1),
                NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenFileMappingW(FILE_MAP_READ, FALSE, w32t_wname("past")), NULL,
                ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(CreateFileMappingNumaW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x10000,
                                       NULL, 0x7fffffff),
                NULL, ERROR_INVALID_PARAMETER);
    WINE_DIFFERS_END();
}

W32T(B21)
{
    /* hFile NULL means no file, as INVALID_HANDLE_VALUE does: a
     * pagefile-backed section, named or not, that maps and holds data. */
    HANDLE h, o;
    char *p, *q;

    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(NULL, NULL, PAGE_READWRITE, 0, 0x1000, w32t_name("null-file"));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    strcpy(p, "pagefile");
    o = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("null-file"));
    CHECK(o != NULL);
    q = w32t_map(o, FILE_MAP_READ, 0);
    CHECK(strcmp(q, "pagefile") == 0);
    UNMAP(q);
    UNMAP(p);
    CLOSE(o);
    CLOSE(h);
    h = CreateFileMappingW(NULL, NULL, PAGE_READWRITE, 0, 0x1000, NULL);
    CHECK(h != NULL);
    CLOSE(h);
    /* And like INVALID_HANDLE_VALUE it needs a size. */
    CHECK_FAILS(CreateFileMappingA(NULL, NULL, PAGE_READWRITE, 0, 0, NULL), NULL,
                ERROR_INVALID_PARAMETER);
}
