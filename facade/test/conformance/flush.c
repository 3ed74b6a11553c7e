/* SPDX-License-Identifier: MIT */
/* flush.c - FlushViewOfFile: section M of docs/win32-behaviour.md. */
#include "w32t.h"

/*
 * Whether a flush happened cannot be seen by reading the file back: a read
 * goes through the page cache, which holds the very pages the view wrote,
 * so a FlushViewOfFile that did nothing passes check_file_bytes(). An
 * O_DIRECT read does not help on Linux either: it writes the dirty cached
 * pages of its range back itself before it reads.
 *
 * What a flush changes is the state of the pages: FlushViewOfFile starts
 * writing the dirty pages of its range (M02), and a page handed to the
 * file system for writing is clean again (the kernel write-protects it in
 * every mapping and clears its dirty bits). Without a flush it stays
 * dirty until the kernel's own write-back takes it, vm.dirty_expire_
 * centisecs after it was dirtied (30 s by default). So: make the file
 * clean (FlushFileBuffers), dirty some pages of the view only, check that
 * the view counts them dirty, flush, and check that the view is clean
 * within FLUSH_WAIT_MS; w32t_dirty_kib() reads the counts from
 * /proc/self/smaps. With a FlushViewOfFile that does nothing, the last
 * check fails (tried by making the façade's FlushViewOfFile return TRUE
 * at once). Where the state cannot be seen (a Windows build, tmpfs, a
 * kernel that writes back within seconds) the test says why and checks
 * the file's contents only.
 */
#define FLUSH_WAIT_MS 3000

/* The KiB of p's view that are dirty after the test dirtied `kib` of
 * them; -1 (after saying why) if that cannot be observed. */
static long dirty_before_flush(const void *p, const char *path, long kib)
{
    const char *why = NULL;
    long d = w32t_dirty_kib(p, path, &why);

    if (d < 0) {
        printf("  %s: write-back not observable (%s): file contents only\n", w32t_id(), why);
        return -1;
    }
    if (d < kib) {
        /* Something else wrote them back already (memory pressure). */
        printf("  %s: only %ld of %ld KiB written are dirty: file contents only\n",
               w32t_id(), d, kib);
        return -1;
    }
    return d;
}

/* After the flush, the view must turn clean (the writes were started). */
static void check_clean_after_flush(const void *p, const char *path, long before)
{
    const char *why = NULL;
    uint64_t end = w32t_now_ms() + FLUSH_WAIT_MS;
    long d;

    if (before < 0)
        return;
    while ((d = w32t_dirty_kib(p, path, &why)) > 0 && w32t_now_ms() < end)
        Sleep(20);
    if (d != 0)
        w32t_fail(__FILE__, __LINE__,
                  "%ld KiB of the view still dirty %d ms after FlushViewOfFile "
                  "(%ld KiB before): the flush started no write-back",
                  d, FLUSH_WAIT_MS, before);
}

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
    long before;

    CHECK_TRUE(FlushFileBuffers(f)); /* start clean */
    memcpy(p + 0x100, "first", 5);
    memcpy(p + 0x2ff00, "last", 4);
    before = dirty_before_flush(p, path, 8);
    /* Size 0: from the base to the end of the view. */
    SetLastError(0xdeadbeef);
    CHECK_TRUE(FlushViewOfFile(p, 0));
    check_clean_after_flush(p, path, before);
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
    long before;

    /* Any address and length inside the view. Only pages inside the range
     * are dirtied: Windows writes back that range only, and need not touch
     * the rest. */
    CHECK_TRUE(FlushFileBuffers(f));
    memcpy(p + 0x12345, "range", 5);
    before = dirty_before_flush(p, path, 4);
    CHECK_TRUE(FlushViewOfFile(p + 0x12345, 5));
    check_clean_after_flush(p, path, before);
    memcpy(p + 0x10000, "page", 4);
    memcpy(p + 0x1f000, "page", 4);
    before = dirty_before_flush(p, path, 8);
    CHECK_TRUE(FlushViewOfFile(p + 0x10000, 0x10000));
    check_clean_after_flush(p, path, before);
    /* FlushFileBuffers for the disk. */
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
