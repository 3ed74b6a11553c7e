/* SPDX-License-Identifier: MIT */
/* virtual.c - VirtualQuery, VirtualAlloc, VirtualFree and VirtualProtect on
 * private memory and on views: section J of docs/win32-behaviour.md. */
#include "w32t.h"

#define SIZE 0x20000

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0x71, sizeof m);
    CHECK_EQ(VirtualQuery(p, &m, sizeof m), sizeof m);
    return m;
}

/* Private memory: reserve, commit, protect, decommit, release, as Wine's
 * test_VirtualAlloc does it. */
W32T(J01)
{
    MEMORY_BASIC_INFORMATION m;
    DWORD old = 0;
    char *a, *b;

    CHECK_FAILS(VirtualAlloc(NULL, 0, MEM_RESERVE, PAGE_NOACCESS), NULL,
                ERROR_INVALID_PARAMETER);
    a = VirtualAlloc(NULL, 0xFFFC, MEM_RESERVE, PAGE_NOACCESS);
    CHECK(a != NULL);
    CHECK_EQ((uintptr_t)a % 65536, 0);
    m = query(a);
    CHECK(m.BaseAddress == a && m.AllocationBase == a);
    CHECK_EQ(m.AllocationProtect, PAGE_NOACCESS);
    CHECK_EQ(m.RegionSize, 0x10000);
    CHECK_EQ(m.State, MEM_RESERVE);
    CHECK_EQ(m.Protect, 0);
    CHECK_EQ(m.Type, MEM_PRIVATE);
    CHECK_FAILS(VirtualProtect(a, 0xFFFC, PAGE_READONLY, &old), FALSE, ERROR_INVALID_ADDRESS);
    b = VirtualAlloc(a, 0x1000, MEM_COMMIT, PAGE_NOACCESS);
    CHECK(b == a);
    m = query(a);
    CHECK_EQ(m.RegionSize, 0x1000);
    CHECK_EQ(m.State, MEM_COMMIT);
    CHECK_EQ(m.Protect, PAGE_NOACCESS);
    m = query(a + 0x1000);
    CHECK(m.BaseAddress == a + 0x1000 && m.AllocationBase == a);
    CHECK_EQ(m.RegionSize, 0xF000);
    CHECK_EQ(m.State, MEM_RESERVE);
    CHECK_FAILS(VirtualProtect(a, 0xFFFC, PAGE_READONLY, &old), FALSE, ERROR_INVALID_ADDRESS);
    CHECK_TRUE(VirtualProtect(a, 0x1000, PAGE_READONLY, &old));
    CHECK_EQ(old, PAGE_NOACCESS);
    CHECK_TRUE(VirtualProtect(a, 0x1000, PAGE_READWRITE, &old));
    CHECK_EQ(old, PAGE_READONLY);
    CHECK_EQ(a[5], 0);
    a[5] = 42;
    CHECK_FAILS(VirtualFree(a, 0x10000, 0), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_TRUE(VirtualFree(a, 0x10000, MEM_DECOMMIT));
    /* (Its region size is not checked: Wine splits the reserved pages by
     * the protection they had when committed.) */
    m = query(a);
    CHECK_EQ(m.State, MEM_RESERVE);
    CHECK_EQ(m.Protect, 0);
    /* Committed again: zero. */
    CHECK(VirtualAlloc(a, 0x1000, MEM_COMMIT, PAGE_READWRITE) == a);
    CHECK_EQ(a[5], 0);
    CHECK_FAILS(VirtualFree(a, 1, MEM_RELEASE), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(VirtualFree(a + 0x1000, 0, MEM_RELEASE), FALSE, ERROR_INVALID_ADDRESS);
    CHECK_TRUE(VirtualFree(a, 0, MEM_RELEASE));
    m = query(a);
    CHECK_EQ(m.State, MEM_FREE);
    /* MEM_COMMIT without an address reserves and commits. */
    a = VirtualAlloc(NULL, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    CHECK(a != NULL);
    a[0x2fff] = 1;
    m = query(a);
    CHECK_EQ(m.State, MEM_COMMIT);
    CHECK_EQ(m.RegionSize, 0x3000);
    CHECK_EQ(m.Protect, PAGE_READWRITE);
    CHECK(VirtualAlloc(a, 0x3000, MEM_RESET, PAGE_READWRITE) == a);
    CHECK_TRUE(VirtualFree(a, 0, MEM_RELEASE));
}

/* VirtualQuery of views of a SEC_COMMIT section: the view is one committed
 * MEM_MAPPED region, with the protection it was mapped with; an address
 * inside gives its page; an unmapped view is free. */
W32T(J02)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, SIZE);
    MEMORY_BASIC_INFORMATION m;
    char *w = w32t_map(h, FILE_MAP_WRITE, 0), *r = w32t_map(h, FILE_MAP_READ, 0x10000);

    m = query(w);
    CHECK(m.BaseAddress == w && m.AllocationBase == w);
    CHECK_EQ(m.RegionSize, SIZE);
    CHECK_EQ(m.State, MEM_COMMIT);
    CHECK_EQ(m.AllocationProtect, PAGE_READWRITE);
    CHECK_EQ(m.Protect, PAGE_READWRITE);
    CHECK_EQ(m.Type, MEM_MAPPED);
    m = query(w + 0x1234);
    CHECK(m.BaseAddress == w + 0x1000 && m.AllocationBase == w);
    CHECK_EQ(m.RegionSize, SIZE - 0x1000);
    m = query(r);
    CHECK_EQ(m.RegionSize, 0x10000);
    CHECK_EQ(m.AllocationProtect, PAGE_READONLY);
    CHECK_EQ(m.Protect, PAGE_READONLY);
    CHECK_EQ(m.Type, MEM_MAPPED);
    UNMAP(r);
    m = query(r);
    CHECK_EQ(m.State, MEM_FREE);
    UNMAP(w);
    CLOSE(h);
}

W32T_CHILD(j03_query)
{
    HANDLE h = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("reserve"));
    MEMORY_BASIC_INFORMATION m;
    char *p;

    (void)argc;
    (void)argv;
    CHECK(h != NULL);
    p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    CHECK(p != NULL);
    m = query(p);
    CHECK_EQ(m.State, MEM_COMMIT);
    CHECK_EQ(m.RegionSize, 0x10000);
    CHECK_EQ(m.Protect, PAGE_READONLY);
    m = query(p + 0x10000);
    CHECK_EQ(m.State, MEM_RESERVE);
    CHECK(UnmapViewOfFile(p));
    CLOSE(h);
    return 0;
}

/* A view of a SEC_RESERVE section starts reserved; MEM_COMMIT through one
 * view commits the pages in the section: another view, and a view in
 * another process, see them committed with their own protection. */
W32T(J03)
{
    HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_RESERVE, 0,
                                  SIZE, w32t_name("reserve"));
    MEMORY_BASIC_INFORMATION m;
    char *p, *p2;

    CHECK(h != NULL);
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    p2 = w32t_map(h, FILE_MAP_WRITE, 0);
    m = query(p);
    CHECK(m.BaseAddress == p && m.AllocationBase == p);
    CHECK_EQ(m.RegionSize, SIZE);
    CHECK_EQ(m.State, MEM_RESERVE);
    CHECK_EQ(m.AllocationProtect, PAGE_READWRITE);
    CHECK_EQ(m.Protect, 0);
    CHECK_EQ(m.Type, MEM_MAPPED);
    CHECK(VirtualAlloc(p, 0x10000, MEM_COMMIT, PAGE_READONLY) == p);
    m = query(p);
    CHECK_EQ(m.RegionSize, 0x10000);
    CHECK_EQ(m.State, MEM_COMMIT);
    CHECK_EQ(m.Protect, PAGE_READONLY);
    CHECK_EQ(m.AllocationProtect, PAGE_READWRITE);
    m = query(p2);
    CHECK(m.BaseAddress == p2 && m.AllocationBase == p2);
    CHECK_EQ(m.RegionSize, 0x10000);
    CHECK_EQ(m.State, MEM_COMMIT);
    CHECK_EQ(m.Protect, PAGE_READWRITE);
    CHECK_CHILD(w32t_spawn("j03_query", NULL), 30000);
    UNMAP(p2);
    UNMAP(p);
    CLOSE(h);
}

/* MEM_RESET on a view is accepted; a view cannot be decommitted or
 * released with VirtualFree. */
W32T(J04)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, SIZE);
    char *p = w32t_map(h, FILE_MAP_WRITE, 0);

    CHECK(VirtualAlloc(p, SIZE, MEM_RESET, PAGE_READONLY) == p);
    CHECK_FAILS(VirtualFree(p, 0x10000, MEM_DECOMMIT), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(VirtualFree(p, 0, MEM_RELEASE), FALSE, ERROR_INVALID_PARAMETER);
    p[0] = 1;
    UNMAP(p);
    CLOSE(h);
}

/* VirtualProtect in views: within what the view allows, and back; more
 * than it allows is refused. */
W32T(J05)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, SIZE);
    char *w = w32t_map(h, FILE_MAP_WRITE, 0);
    char *r = w32t_map(h, FILE_MAP_READ, 0);
    char *c = w32t_map(h, FILE_MAP_COPY, 0);
    DWORD old = 0;

    CHECK_TRUE(VirtualProtect(w, 0x1000, PAGE_READONLY, &old));
    CHECK_EQ(old, PAGE_READWRITE);
    CHECK_EQ(query(w).Protect, PAGE_READONLY);
    CHECK_EQ(query(w).RegionSize, 0x1000);
    CHECK(w32t_readable(w));
    CHECK(!w32t_writable(w));
    CHECK_TRUE(VirtualProtect(w, 0x1000, PAGE_READWRITE, &old));
    CHECK_EQ(old, PAGE_READONLY);
    CHECK(w32t_writable(w));
    CHECK_TRUE(VirtualProtect(w, 0x1000, PAGE_NOACCESS, &old));
    CHECK(!w32t_readable(w));
    CHECK_TRUE(VirtualProtect(w, 0x1000, PAGE_READWRITE, &old));
    CHECK_EQ(old, PAGE_NOACCESS);
    CHECK_FAILS(VirtualProtect(r, 0x1000, PAGE_READWRITE, &old), FALSE,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(VirtualProtect(c, 0x1000, PAGE_READWRITE, &old), FALSE,
                ERROR_INVALID_PARAMETER);
    CHECK_TRUE(VirtualProtect(c, 0x1000, PAGE_READONLY, &old));
    CHECK_EQ(old, PAGE_WRITECOPY);
    CHECK_TRUE(VirtualProtect(c, 0x1000, PAGE_WRITECOPY, &old));
    CHECK_EQ(old, PAGE_READONLY);
    UNMAP(c);
    UNMAP(r);
    UNMAP(w);
    CLOSE(h);
}

W32T(J06)
{
    ULONG high = 0;
    const char *policy;
    char *p;

    CHECK_TRUE(GetNumaHighestNodeNumber(&high));
    SetLastError(0xdeadbeef);
    p = VirtualAllocExNuma(GetCurrentProcess(), NULL, SIZE, MEM_RESERVE | MEM_COMMIT,
                           PAGE_READWRITE, high);
    CHECK(p != NULL);
    CHECK_GLE(0xdeadbeef);
    p[0] = 1;
    p[SIZE - 1] = 2;
    if ((policy = w32t_numa_policy(p)) != NULL) {
        char want[32];
        snprintf(want, sizeof want, "prefer:%lu", (unsigned long)high);
        if (strcmp(policy, want) != 0)
            w32t_fail(__FILE__, __LINE__, "allocation policy \"%s\", expected \"%s\"",
                      policy, want);
    }
    CHECK_EQ(query(p).State, MEM_COMMIT);
    CHECK_TRUE(VirtualFree(p, 0, MEM_RELEASE));
    p = VirtualAllocExNuma(GetCurrentProcess(), NULL, SIZE, MEM_RESERVE, PAGE_NOACCESS,
                           NUMA_NO_PREFERRED_NODE);
    CHECK(p != NULL);
    CHECK_EQ(query(p).State, MEM_RESERVE);
    CHECK_TRUE(VirtualFree(p, 0, MEM_RELEASE));
    /* A node past the highest is refused. */
    WINE_DIFFERS_BEGIN("J06", "the preferred node is not checked");
    CHECK_FAILS(VirtualAllocExNuma(GetCurrentProcess(), NULL, SIZE, MEM_RESERVE | MEM_COMMIT,
                                   PAGE_READWRITE, high + 1),
                NULL, ERROR_INVALID_PARAMETER);
    WINE_DIFFERS_END();
    /* VirtualAlloc's own checks apply. */
    CHECK_FAILS(VirtualAllocExNuma(GetCurrentProcess(), NULL, 0, MEM_RESERVE | MEM_COMMIT,
                                   PAGE_READWRITE, 0),
                NULL, ERROR_INVALID_PARAMETER);
}

W32T(J07)
{
    ULONG high = 0xdeadbeef;
    GROUP_AFFINITY ga;
    SYSTEM_INFO si;

    SetLastError(0xdeadbeef);
    CHECK_TRUE(GetNumaHighestNodeNumber(&high));
    CHECK_GLE(0xdeadbeef);
    CHECK(high < 64);
    GetSystemInfo(&si);
    /* Every node's processors are active ones, and node 0 has some (on
     * every machine the suite runs on). */
    WINE_DIFFERS_BEGIN("J07", "GetNumaNodeProcessorMaskEx is not implemented");
    memset(&ga, 0x55, sizeof ga);
    CHECK_TRUE(GetNumaNodeProcessorMaskEx(0, &ga));
    CHECK_EQ(ga.Group, 0);
    CHECK(ga.Mask != 0);
    CHECK_EQ(ga.Mask & ~(KAFFINITY)si.dwActiveProcessorMask, 0);
    CHECK_FAILS(GetNumaNodeProcessorMaskEx((USHORT)(high + 1), &ga), FALSE,
                ERROR_INVALID_PARAMETER);
    WINE_DIFFERS_END();
}
