/* SPDX-License-Identifier: MIT */
/* open.c - OpenFileMapping: section E of docs/win32-behaviour.md. */
#include "w32t.h"

W32T(E01)
{
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("none")), NULL,
                ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenFileMappingW(FILE_MAP_READ, FALSE, w32t_wname("none")), NULL,
                ERROR_FILE_NOT_FOUND);
}

W32T(E02)
{
    HANDLE h = w32t_section(w32t_name("Wine Test Mapping"), PAGE_READWRITE, 0x1000);
    HANDLE o;

    o = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, w32t_name("Wine Test Mapping"));
    CHECK(o != NULL);
    CLOSE(o);
    o = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, w32t_wname("Wine Test Mapping"));
    CHECK(o != NULL);
    CLOSE(o);
    /* Names are case-sensitive. */
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, w32t_name("WINE TEST MAPPING")),
                NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, w32t_wname("wine test mapping")),
                NULL, ERROR_FILE_NOT_FOUND);
    CLOSE(h);
}

/* A named 4090-byte section and a second handle to it opened with `access`. */
static HANDLE open_with(DWORD access, HANDLE *creator)
{
    HANDLE o;
    *creator = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 4090);
    o = OpenFileMappingA(access, FALSE, w32t_name("Foo"));
    if (o == NULL)
        w32t_fail(__FILE__, __LINE__, "OpenFileMappingA(0x%lx) failed: %lu",
                  (unsigned long)access, (unsigned long)GetLastError());
    return o;
}

W32T(E03)
{
    HANDLE h, o = open_with(FILE_MAP_READ, &h);
    CHECK_FAILS(MapViewOfFile(o, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    CLOSE(o);
    CLOSE(h);
}

W32T(E04)
{
    HANDLE h, o = open_with(FILE_MAP_READ, &h);
    unsigned char *w = w32t_map(h, FILE_MAP_WRITE, 0);
    unsigned char *p = w32t_map(o, FILE_MAP_READ, 0);

    /* A read-only view of the whole (page-rounded) section. */
    w[4095] = 0x44;
    CHECK(w32t_readable(p + 4095));
    CHECK_EQ(p[4095], 0x44);
    CHECK(!w32t_writable(p));
    CHECK(!w32t_writable(p + 4095));
    CHECK_EQ(w32t_section_size(o, 0x10000), 4096);
    UNMAP(p);
    UNMAP(w);
    CLOSE(o);
    CLOSE(h);
}

W32T(E05)
{
    HANDLE h, o = open_with(FILE_MAP_WRITE, &h);
    /* FILE_MAP_READ is a right of its own, not implied by FILE_MAP_WRITE. */
    CHECK_FAILS(MapViewOfFile(o, FILE_MAP_READ, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    CLOSE(o);
    CLOSE(h);
}

W32T(E06)
{
    HANDLE h, o = open_with(FILE_MAP_WRITE, &h);
    unsigned char *p = w32t_map(o, FILE_MAP_WRITE, 0);
    unsigned char *r = w32t_map(h, FILE_MAP_READ, 0);
    CHECK(w32t_writable(p));
    p[17] = 0x99;
    CHECK_EQ(r[17], 0x99);
    UNMAP(r);
    UNMAP(p);
    CLOSE(o);
    CLOSE(h);
}

W32T_CHILD(e08_use)
{
    /* argv: handle-value expect(1: usable and holds 0x0e08, 0: unusable) */
    HANDLE h = (HANDLE)(uintptr_t)w32t_arg(argv[0]);
    DWORD *p;
    (void)argc;
    SetLastError(0xdeadbeef);
    p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    if (w32t_arg(argv[1]) == 1) {
        CHECK(p != NULL);
        CHECK_EQ(p[0], 0x0e08);
        CHECK(UnmapViewOfFile(p));
    } else {
        CHECK(p == NULL);
        CHECK_GLE(ERROR_INVALID_HANDLE);
    }
    return 0;
}

W32T(E08)
{
    HANDLE h = w32t_section(w32t_name("inh"), PAGE_READWRITE, 0x1000);
    DWORD *p = w32t_map(h, FILE_MAP_WRITE, 0);
    HANDLE o;

    p[0] = 0x0e08;
    UNMAP(p);
    /* bInheritHandle FALSE: the child does not have the handle. */
    o = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, w32t_name("inh"));
    CHECK(o != NULL);
    CHECK_CHILD(w32t_spawn("e08_use", w32t_num((uintptr_t)o), "0", NULL), 30000);
    CLOSE(o);
    /* TRUE: a child created with inheritance has it, same value. */
    o = OpenFileMappingA(FILE_MAP_ALL_ACCESS, TRUE, w32t_name("inh"));
    CHECK(o != NULL);
    {
        int c = w32t_spawn_inherit("e08_use", w32t_num((uintptr_t)o), "1", NULL);
        CLOSE(o);
        CHECK_CHILD(c, 30000);
    }
    CLOSE(h);
}

W32T(E09)
{
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("mutex"));
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, w32t_name("event"));
    HANDLE s = CreateSemaphoreA(NULL, 0, 1, w32t_name("sem"));
    CHECK(m != NULL && e != NULL && s != NULL);
    /* One namespace; the name belongs to another type. */
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("mutex")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("event")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenFileMappingW(FILE_MAP_READ, FALSE, w32t_wname("sem")), NULL,
                ERROR_INVALID_HANDLE);
    CLOSE(s);
    CLOSE(e);
    CLOSE(m);
}

W32T(E10)
{
    HANDLE h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 0x1000);
    HANDLE o = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("Foo"));
    unsigned char *p = w32t_map(o, FILE_MAP_READ, 0);

    CLOSE(h);
    CLOSE(o);
    /* Every handle is closed: the name is gone though a view remains. */
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("Foo")), NULL,
                ERROR_FILE_NOT_FOUND);
    CHECK(w32t_readable(p));
    UNMAP(p);
}

W32T(E11)
{
    HANDLE h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 0x20000);
    HANDLE o = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, w32t_name("Foo"));
    HANDLE d;
    unsigned char *a, *b, *c;

    CHECK(o != NULL);
    a = w32t_map(h, FILE_MAP_WRITE, 0);
    b = MapViewOfFile(o, FILE_MAP_WRITE, 0, 0x10000, 0x10000);
    CHECK(b != NULL);
    c = MapViewOfFileEx(o, FILE_MAP_READ, 0, 0, 0, NULL);
    CHECK(c != NULL);
    b[5] = 0x11;
    CHECK_EQ(a[0x10005], 0x11);
    CHECK_EQ(c[0x10005], 0x11);
    CHECK_TRUE(FlushViewOfFile(b, 0));
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), o, GetCurrentProcess(), &d, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    UNMAP(c);
    c = w32t_map(d, FILE_MAP_READ, 0);
    CHECK_EQ(c[0x10005], 0x11);
    UNMAP(c);
    UNMAP(b);
    UNMAP(a);
    CLOSE(d);
    CLOSE(o);
    CLOSE(h);
}

W32T(E21)
{
    /* An empty name opens no object: the name resolves to the object
     * directory itself, which is not a section (STATUS_OBJECT_TYPE_MISMATCH
     * -> ERROR_INVALID_HANDLE), unlike a NULL name (P08). */
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, ""), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenFileMappingW(FILE_MAP_READ, FALSE, L""), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
}
