/* SPDX-License-Identifier: MIT */
/* m_flush.c - FlushViewOfFile: reference section M. */
#include "w32t.h"

/* A file-backed read/write view of a 0x30000-byte scratch file. */
static unsigned char *file_view(HANDLE *f, HANDLE *h, const char **path)
{
    *f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 0x30000, path);
    SetLastError(0xdeadbeef);
    *h = CreateFileMappingA(*f, NULL, PAGE_READWRITE, 0, 0, NULL);
    CHECK(*h != NULL);
    return w32t_map(*h, FILE_MAP_WRITE, 0);
}

static void check_file_bytes(const char *path, DWORD off, const char *want)
{
    HANDLE f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    char buf[32] = {0};
    DWORD n = (DWORD)strlen(want), got = 0;
    CHECK(f != INVALID_HANDLE_VALUE);
    CHECK_EQ(SetFilePointer(f, (LONG)off, NULL, FILE_BEGIN), off);
    CHECK_TRUE(ReadFile(f, buf, n, &got, NULL));
    CHECK_EQ(got, n);
    CHECK(memcmp(buf, want, n) == 0);
    CLOSE(f);
}

W32T(M01)
{
    HANDLE f, h;
    const char *path;
    unsigned char *p = file_view(&f, &h, &path);

    memcpy(p + 0x100, "first", 5);
    memcpy(p + 0x2ff00, "last", 4);
    /* Size 0: from the base to the end of the view. */
    SetLastError(0xdeadbeef);
    CHECK_TRUE(FlushViewOfFile(p, 0));
    check_file_bytes(path, 0x100, "first");
    check_file_bytes(path, 0x2ff00, "last");
    UNMAP(p);
    CLOSE(h);
    CLOSE(f);
}

W32T(M02)
{
    HANDLE f, h;
    const char *path;
    unsigned char *p = file_view(&f, &h, &path);

    memcpy(p + 0x12345, "range", 5);
    /* Any address and length inside the view; FlushFileBuffers for the
     * disk. */
    CHECK_TRUE(FlushViewOfFile(p + 0x12345, 5));
    CHECK_TRUE(FlushViewOfFile(p + 0x10000, 0x10000));
    CHECK_TRUE(FlushFileBuffers(f));
    check_file_bytes(path, 0x12345, "range");
    UNMAP(p);
    CLOSE(h);
    CLOSE(f);
}

W32T(M03)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x10000);
    unsigned char *p = w32t_map(h, FILE_MAP_WRITE, 0);
    /* A pagefile-backed view: nothing to write back, and no error. */
    p[0] = 1;
    CHECK_TRUE(FlushViewOfFile(p, 0));
    CHECK_TRUE(FlushViewOfFile(p + 0x8000, 0x100));
    CHECK_EQ(p[0], 1);
    UNMAP(p);
    CLOSE(h);
}
