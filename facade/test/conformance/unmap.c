/* SPDX-License-Identifier: MIT */
/* unmap.c - UnmapViewOfFile: section L of docs/win32-behaviour.md.
 *
 * Under Windows the executable's own image is a view too: the addresses
 * passed here are heap memory, views, and 0xdeadbeef (far below the image
 * base of a 64-bit executable), never the image. */
#include "w32t.h"

W32T(L01)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x3000);
    void *p = w32t_map(h, FILE_MAP_WRITE, 0);
    SetLastError(0xdeadbeef);
    CHECK(UnmapViewOfFile(p));
    CLOSE(h);
}

W32T(L02)
{
    static const SIZE_T inside[] = {100, 4096, 4096 + 100, 12287};
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 12288);

    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        unsigned char *p = w32t_map(h, FILE_MAP_WRITE, 12288);
        /* An address inside the view unmaps all of it. */
        if (!UnmapViewOfFile(p + inside[i]))
            w32t_fail(__FILE__, __LINE__, "UnmapViewOfFile(base + %lu) failed: %lu",
                      (unsigned long)inside[i], (unsigned long)GetLastError());
        CHECK(!w32t_readable(p));
        CHECK(!w32t_readable(p + 8192));
        CHECK_FAILS(UnmapViewOfFile(p), FALSE, ERROR_INVALID_ADDRESS);
    }
    CLOSE(h);
}

W32T(L03)
{
    unsigned char *heap = malloc(0x10000);
    CHECK(heap != NULL);
    CHECK_FAILS(UnmapViewOfFile(heap), FALSE, ERROR_INVALID_ADDRESS);
    heap[0] = 1; /* still ours */
    free(heap);
#ifdef _WIN32
    {
        void *va = VirtualAlloc(NULL, 0x10000, MEM_COMMIT, PAGE_READWRITE);
        CHECK(va != NULL);
        CHECK_FAILS(UnmapViewOfFile(va), FALSE, ERROR_INVALID_ADDRESS);
        CHECK(VirtualFree(va, 0, MEM_RELEASE));
    }
#endif
}

W32T(L04)
{
    unsigned char *heap = malloc(0x10000);
    CHECK(heap != NULL);
    CHECK_FAILS(UnmapViewOfFile(heap + 0x3000), FALSE, ERROR_INVALID_ADDRESS);
    free(heap);
#ifdef _WIN32
    {
        unsigned char *va = VirtualAlloc(NULL, 0x10000, MEM_COMMIT, PAGE_READWRITE);
        CHECK(va != NULL);
        CHECK_FAILS(UnmapViewOfFile(va + 0x3000), FALSE, ERROR_INVALID_ADDRESS);
        CHECK(VirtualFree(va, 0, MEM_RELEASE));
    }
#endif
}

W32T(L05)
{
    CHECK_FAILS(UnmapViewOfFile((void *)(uintptr_t)0xdeadbeef), FALSE, ERROR_INVALID_ADDRESS);
}

W32T(L06)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x1000);
    void *p = w32t_map(h, FILE_MAP_READ, 0);
    UNMAP(p);
    CHECK_FAILS(UnmapViewOfFile(p), FALSE, ERROR_INVALID_ADDRESS);
    CLOSE(h);
}

W32T(L07)
{
    CHECK_FAILS(UnmapViewOfFile(NULL), FALSE, ERROR_INVALID_ADDRESS);
}

W32T(L08)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x10000);
    DWORD *a = w32t_map(h, FILE_MAP_WRITE, 0);
    DWORD *b = w32t_map(h, FILE_MAP_WRITE, 0);
    DWORD *c;

    a[1] = 0x10101010;
    UNMAP(a);
    /* The other view and the handle are untouched. */
    CHECK_EQ(b[1], 0x10101010);
    b[2] = 0x20202020;
    c = w32t_map(h, FILE_MAP_READ, 0);
    CHECK_EQ(c[1], 0x10101010);
    CHECK_EQ(c[2], 0x20202020);
    UNMAP(c);
    UNMAP(b);
    CLOSE(h);
}

W32T(L09)
{
    const char *path;
    HANDLE f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 0x20000, &path);
    HANDLE h;
    unsigned char *p, *q;
    char buf[8] = {0};
    DWORD got = 0;

    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0, NULL);
    CHECK(h != NULL);
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    memcpy(p + 0x10000, "lazy", 5);
    UNMAP(p);
    /* The range is free for another mapping... */
    q = MapViewOfFileEx(h, FILE_MAP_READ, 0, 0, 0, p);
    CHECK(q == p);
    UNMAP(q);
    CLOSE(h);
    /* ...and the shared pages reach the file. */
    CHECK_EQ(SetFilePointer(f, 0x10000, NULL, FILE_BEGIN), 0x10000);
    CHECK_TRUE(ReadFile(f, buf, 5, &got, NULL));
    CHECK_EQ(got, 5);
    CHECK(strcmp(buf, "lazy") == 0);
    CLOSE(f);
}
