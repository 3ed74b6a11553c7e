/* SPDX-License-Identifier: MIT */
/* sharing.c - views across processes and copy-on-write: section I of
 * docs/win32-behaviour.md. */
#include "w32t.h"

W32T_CHILD(i01_reader)
{
    HANDLE h;
    DWORD *p;
    (void)argc;
    (void)argv;
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                           w32t_name("winetest_virtual.c"));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    p = MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
    CHECK(p != NULL);
    CHECK_EQ(p[0], 0x1a2b3c4d);
    CHECK(UnmapViewOfFile(p));
    CHECK(CloseHandle(h));
    return 0;
}

W32T(I01)
{
    HANDLE h = w32t_section(w32t_name("winetest_virtual.c"), PAGE_READWRITE, 4096);
    DWORD *p = w32t_map(h, FILE_MAP_READ | FILE_MAP_WRITE, 0);
    p[0] = 0x1a2b3c4d;
    CHECK_CHILD(w32t_spawn("i01_reader", NULL), 30000);
    UNMAP(p);
    CLOSE(h);
}

W32T_CHILD(i_writer)
{
    /* argv: access; maps the parent's section with it and writes */
    HANDLE h;
    DWORD *p;
    (void)argc;
    h = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, w32t_name("winetest_virtual.c"));
    CHECK(h != NULL);
    p = MapViewOfFile(h, (DWORD)w32t_arg(argv[0]), 0, 0, 0);
    CHECK(p != NULL);
    p[0] = 0xdeadbeef;
    CHECK_EQ(p[0], 0xdeadbeef);
    CHECK(UnmapViewOfFile(p));
    CHECK(CloseHandle(h));
    return 0;
}

/* The parent maps FILE_MAP_READ; a child maps with `access` and writes;
 * returns what the parent then reads. */
static DWORD child_write(DWORD access)
{
    HANDLE h = w32t_section(w32t_name("winetest_virtual.c"), PAGE_READWRITE, 4096);
    DWORD *p = w32t_map(h, FILE_MAP_READ, 0);
    DWORD v;
    CHECK_CHILD(w32t_spawn("i_writer", w32t_num(access), NULL), 30000);
    v = p[0];
    UNMAP(p);
    CLOSE(h);
    return v;
}

W32T(I02)
{
    CHECK_EQ(child_write(FILE_MAP_READ | FILE_MAP_WRITE), 0xdeadbeef);
}

W32T(I03)
{
    /* The child's copy-on-write write stays private to it. */
    CHECK_EQ(child_write(FILE_MAP_COPY), 0);
}

W32T(I04)
{
    /* FILE_MAP_COPY|FILE_MAP_WRITE is a shared view (H07). */
    CHECK_EQ(child_write(FILE_MAP_COPY | FILE_MAP_WRITE), 0xdeadbeef);
}

W32T(I05)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x2000);
    unsigned char *shared = w32t_map(h, FILE_MAP_WRITE, 0);
    unsigned char *cow = w32t_map(h, FILE_MAP_COPY, 0);

    /* Before any write the copy-on-write view shows the section. */
    shared[0] = 1;
    shared[0x1000] = 2;
    CHECK_EQ(cow[0], 1);
    CHECK_EQ(cow[0x1000], 2);
    /* Writing page 0 makes that page, and only it, private. */
    cow[0] = 0x55;
    CHECK_EQ(shared[0], 1);
    shared[1] = 9;
    CHECK_EQ(cow[1], 0);
    shared[0x1001] = 9;
    CHECK_EQ(cow[0x1001], 9);
    CHECK(w32t_writable(cow + 0x1000));
#ifdef _WIN32
    /* What VirtualQuery says (the façade has no VirtualQuery): the written
     * page is now PAGE_READWRITE, one page long; the next is still
     * PAGE_WRITECOPY. */
    {
        MEMORY_BASIC_INFORMATION mbi;
        unsigned char *cow2 = w32t_map(h, FILE_MAP_COPY, 0);
        cow2[0] = 1;
        CHECK(VirtualQuery(cow2, &mbi, sizeof mbi) == sizeof mbi);
        WINE_DIFFERS_BEGIN("I05", "VirtualQuery of a written copy-on-write page");
        CHECK_EQ(mbi.Protect, PAGE_READWRITE);
        CHECK_EQ(mbi.RegionSize, 0x1000);
        WINE_DIFFERS_END();
        CHECK(VirtualQuery(cow2 + 0x1000, &mbi, sizeof mbi) == sizeof mbi);
        CHECK_EQ(mbi.Protect, PAGE_WRITECOPY);
        UNMAP(cow2);
    }
#endif
    UNMAP(cow);
    UNMAP(shared);
    CLOSE(h);
}
