/* SPDX-License-Identifier: MIT */
/* test-file.c - file-backed sections (mmf_section_create_path and
 * mmf_section_create_fd): sizes, growing the file, open modes, files that
 * cannot be mapped, data reaching the file (flush, unmap, copy-on-write
 * never), named file sections across processes, lifetime, and durability
 * when the writer is killed. Files live in a directory of the test's own
 * under /tmp, removed at the end. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#ifndef _WIN32
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#endif
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/syscall.h>
#include <sys/wait.h>
#endif

#ifndef _WIN32
#include <linux/magic.h>
#endif

#define KiB ((uint64_t)1024)
#define MiB (KiB * 1024)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static char tmp_dir[256];

static void tmp_begin(void)
{
    test_sweep_dead_dirs(test_tmp_parent(), "mmf-test-file-");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/mmf-test-file-%ld-%s", test_tmp_parent(),
             (long)getpid(), test_case());
    CHECK(mkdir(tmp_dir, 0700) == 0);
}

/* The path of `file` in the test's directory (rotating static buffers). */
static const char *tmp_path(const char *file)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", tmp_dir, file);
    return b;
}

/* Remove the test's directory and everything in it. */
static void tmp_end(void)
{
    DIR *d = opendir(tmp_dir);
    struct dirent *e;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
#ifdef _WIN32
        /* Windows deletes no read-only file: make it writable first. */
        chmod(tmp_path(e->d_name), 0600);
#endif
        if (unlink(tmp_path(e->d_name)) != 0)
            CHECK(rmdir(tmp_path(e->d_name)) == 0);
    }
    closedir(d);
    CHECK(rmdir(tmp_dir) == 0);
}

static unsigned char pat(uint64_t i, unsigned seed)
{
    return (unsigned char)((i * 131 + seed * 7 + (i >> 12)) & 0xff);
}

/* Make a file of `size` bytes filled with pat(i, seed). */
static const char *make_file(const char *file, uint64_t size, unsigned seed)
{
    const char *path = tmp_path(file);
    unsigned char buf[4096];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    for (uint64_t off = 0; off < size; off += sizeof buf) {
        size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(off + i, seed);
        CHECK(pwrite(fd, buf, n, (off_t)off) == (ssize_t)n);
    }
    CHECK(close(fd) == 0);
    return path;
}

static int open_file(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    CHECK(fd >= 0);
    return fd;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    CHECK(stat(path, &st) == 0);
    return (uint64_t)st.st_size;
}

/* 1 if bytes [off, off + n) of the file at path are pat(i, seed). */
static int file_has(const char *path, uint64_t off, uint64_t n, unsigned seed)
{
    unsigned char buf[4096];
    int fd = open_file(path, O_RDONLY), ok = 1;
    for (uint64_t done = 0; done < n && ok; done += sizeof buf) {
        size_t k = n - done < sizeof buf ? (size_t)(n - done) : sizeof buf;
        CHECK(pread(fd, buf, k, (off_t)(off + done)) == (ssize_t)k);
        for (size_t i = 0; i < k; i++)
            if (buf[i] != pat(off + done + i, seed)) {
                ok = 0;
                break;
            }
    }
    close(fd);
    return ok;
}

/* The file's bytes at [off, off + n) as a string compare. */
static int file_says(const char *path, uint64_t off, const char *text)
{
    char buf[256];
    size_t n = strlen(text);
    int fd = open_file(path, O_RDONLY);
    ssize_t got;
    CHECK(n < sizeof buf);
    got = pread(fd, buf, n, (off_t)off);
    close(fd);
    return got == (ssize_t)n && memcmp(buf, text, n) == 0;
}

static int mem_has(const unsigned char *p, uint64_t off, uint64_t n, unsigned seed)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i] != pat(off + i, seed))
            return 0;
    return 1;
}

static mmf_section_info info_of(const mmf_section *s)
{
    mmf_section_info info;
    CHECK_OK(mmf_section_stat(s, &info));
    return info;
}

static void *map(mmf_section *s, unsigned how, uint64_t offset, size_t size)
{
    void *p = NULL;
    CHECK_OK(mmf_view_map(s, how, offset, size, 0, &p));
    return p;
}

static size_t view_size(const void *p)
{
    mmf_view_info vi;
    CHECK_OK(mmf_view_stat(p, &vi));
    return vi.size;
}

static const mmf_section_opts ro_opts = {.prot = MMF_PROT_READ};

/*
 * Kibibytes of the mapping that contains `addr` that are modified in memory
 * and not handed to the file system for writing yet: the dirty counts of
 * /proc/self/smaps. Starting the write-back of a page cleans it there at
 * once (the kernel write-protects it again before the I/O), long before
 * the disk has it. A file read back goes through the same page cache as
 * the view, so it shows the data with or without a flush; this does not.
 * Returns -1 if no mapping contains addr.
 */
#ifdef _WIN32
/* Windows does not tell a view's dirty pages, nor which file systems
 * write back: the checks that need them run on Linux only. */
static long view_dirty_kb(const void *addr)
{
    (void)addr;
    return -1;
}

static int has_writeback(const char *dir)
{
    (void)dir;
    return 0;
}
#else
static long view_dirty_kb(const void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    unsigned long start, end, a = (unsigned long)(uintptr_t)addr;
    char line[512];
    long kb, dirty = -1;
    int inside = 0;

    CHECK(f != NULL);
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
            if (inside)
                break; /* the next mapping */
            inside = a >= start && a < end;
            if (inside)
                dirty = 0;
        } else if (inside && (sscanf(line, "Shared_Dirty: %ld kB", &kb) == 1 ||
                              sscanf(line, "Private_Dirty: %ld kB", &kb) == 1)) {
            dirty += kb;
        }
    }
    fclose(f);
    return dirty;
}

/* Wait until the file at `path` has no page being written back (so that a
 * page written next is dirty again, not skipped as busy by the next
 * flush's write-back). It only waits: it starts no write-back of its own. */
#ifndef _WIN32
static void writeback_done(const char *path)
{
    int fd = open_file(path, O_RDONLY);
    CHECK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE) == 0);
    close(fd);
}
#endif

/* Bytes of the file at `path` (of `size`) that are dirty or being written
 * back, from cachestat(2) (Linux 6.5; the C library may not declare it:
 * new system calls have one number on every architecture); -1 where the
 * system does not tell. */
#ifndef _WIN32
static long long file_unwritten(const char *path, uint64_t size)
{
    struct { uint64_t off, len; } range = {0, size};
    struct { uint64_t cache, dirty, writeback, evicted, recently_evicted; } cs;
    int fd = open_file(path, O_RDONLY);
    long rc = syscall(451, fd, &range, &cs, 0);
    close(fd);
    if (rc != 0)
        return -1;
    return (long long)(cs.dirty + cs.writeback) * (long long)mmf_page_size();
}
#endif

/* 1 if dirty pages of files in `dir` are written back (tmpfs keeps them in
 * memory, dirty, whatever a flush asks). */
static int has_writeback(const char *dir)
{
    struct statfs sf;
    CHECK(statfs(dir, &sf) == 0);
    return sf.f_type != TMPFS_MAGIC && sf.f_type != RAMFS_MAGIC;
}
#endif

/* ------------------------------------------------------------------------ */
/* Sizes                                                                     */
/* ------------------------------------------------------------------------ */

/* D01: an empty file with size 0. */
TEST(empty_file_size_zero)
{
    mmf_section *s = NULL;
    const char *path;
    int fd;

    tmp_begin();
    path = make_file("empty", 0, 0);
    CHECK_RC(mmf_section_create_path(&s, NULL, path, 0, MMF_CREATE_NEW, NULL), MMF_EFILEEMPTY);
    CHECK_RC(mmf_section_create_path(&s, test_name("e"), path, 0, MMF_CREATE_NEW, NULL),
             MMF_EFILEEMPTY);
    CHECK_RC(mmf_section_create_path(&s, NULL, path, 0, MMF_CREATE_NEW, &ro_opts),
             MMF_EFILEEMPTY);
    fd = open_file(path, O_RDWR);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, NULL), MMF_EFILEEMPTY);
    CHECK_RC(mmf_section_create_fd(&s, test_name("e"), fd, 0, MMF_OPEN_OR_CREATE, NULL),
             MMF_EFILEEMPTY);
    close(fd);
    CHECK(s == NULL);
    CHECK_EQ(file_size(path), 0);
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}

/* D02: an empty file with a size grows to it; size 0 then takes the new
 * file size. */
TEST(empty_file_with_size_grows)
{
    mmf_section *s;
    const char *path;
    unsigned char *p;

    tmp_begin();
    path = make_file("empty", 0, 0);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0x1000, MMF_CREATE_NEW, NULL));
    CHECK_EQ(file_size(path), 0x1000);
    CHECK_EQ(info_of(s).size, 0x1000);
    p = map(s, MMF_MAP_WRITE, 0, 0);
    p[0x0fff] = 0x5a;
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_create_path(&s, NULL, path, 0, MMF_CREATE_NEW, NULL));
    CHECK_EQ(info_of(s).size, 0x1000);
    p = map(s, MMF_MAP_READ, 0, 0);
    CHECK_EQ(p[0x0fff], 0x5a);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    tmp_end();
}

/* D06, B09: size 0 is the file's size exactly, not rounded to a page. The
 * file is three allocation granules and a piece (0x3456 bytes where the
 * granule is 4 KiB, 0x30456 where it is 64 KiB), so that a view at a
 * granule offset sees the rest of it. */
TEST(size_zero_is_file_size)
{
    const uint64_t g = mmf_allocation_granularity(), size = 3 * g + 0x456;
    mmf_section *s;
    const char *path;
    unsigned char *p;
    void *q = NULL;
    mmf_section_info info;
    int fd;

    tmp_begin();
    path = make_file("f", size, 1);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_CREATE_NEW, NULL));
    info = info_of(s);
    CHECK_EQ(info.size, size);
    CHECK_EQ(info.file_backed, 1);
    CHECK_EQ(file_size(path), size);
    p = map(s, MMF_MAP_READ, 0, 0);
    CHECK_EQ(view_size(p), size);
    CHECK(mem_has(p, 0, size, 1));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, size + 1, 0, &q), MMF_ERANGE);
    p = map(s, MMF_MAP_READ, g, 0);
    CHECK_EQ(view_size(p), size - g);
    CHECK(mem_has(p, g, size - g, 1));
    CHECK_OK(mmf_view_unmap(p));
    p = map(s, MMF_MAP_READ, 3 * g, 0);
    CHECK_EQ(view_size(p), 0x456);
    CHECK(mem_has(p, 3 * g, 0x456, 1));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    /* The same through a descriptor. */
    fd = open_file(path, O_RDONLY);
    CHECK_OK(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, &ro_opts));
    close(fd);
    CHECK_EQ(info_of(s).size, size);
    CHECK_OK(mmf_section_close(s));
    tmp_end();
}

/* D07: an explicit size smaller than the file is the section size, exactly;
 * the file is not touched. */
TEST(explicit_smaller_size)
{
    mmf_section *s;
    const char *path;
    unsigned char *p;
    void *q = NULL;
    int fd;

    tmp_begin();
    path = make_file("f", 12288, 2);
    fd = open_file(path, O_RDONLY);
    CHECK_OK(mmf_section_create_fd(&s, test_name("f"), fd, 36, MMF_CREATE_NEW, &ro_opts));
    CHECK_EQ(info_of(s).size, 36);
    p = map(s, MMF_MAP_READ, 0, 0);
    CHECK_EQ(view_size(p), 36);
    CHECK(mem_has(p, 0, 36, 2));
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 37, 0, &q), MMF_ERANGE);
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, mmf_allocation_granularity(), 0, 0, &q), MMF_EINVAL);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    close(fd);
    CHECK_EQ(file_size(path), 12288);
    /* A writable section smaller than the file does not shrink it. */
    CHECK_OK(mmf_section_create_path(&s, NULL, path, 36, MMF_CREATE_NEW, NULL));
    CHECK_EQ(info_of(s).size, 36);
    p = map(s, MMF_MAP_WRITE, 0, 0);
    CHECK_EQ(view_size(p), 36);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(file_size(path), 12288);
    CHECK(file_has(path, 0, 12288, 2));
    tmp_end();
}

/* D03: a writable section larger than the file grows the file; the old
 * data stays. */
TEST(larger_section_grows_file)
{
    mmf_section *s, *o;
    const char *path;
    unsigned char *p;

    tmp_begin();
    path = make_file("f", 4096, 3);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0x100000, MMF_CREATE_NEW, NULL));
    CHECK_EQ(file_size(path), 0x100000);
    CHECK_EQ(info_of(s).size, 0x100000);
    CHECK_OK(mmf_section_open(&o, test_name("f"), MMF_ACCESS_READ));
    CHECK_EQ(info_of(o).size, 0x100000);
    CHECK_EQ(info_of(o).file_backed, 1);
    CHECK_OK(mmf_section_close(o));
    p = map(s, MMF_MAP_WRITE, 0, 0);
    CHECK_EQ(view_size(p), 0x100000);
    CHECK(mem_has(p, 0, 4096, 3));
    p[0x100000 - 1] = 0x77;
    CHECK_OK(mmf_view_flush(p, 0));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK(file_has(path, 0, 4096, 3));
    {
        unsigned char c = 0;
        int fd = open_file(path, O_RDONLY);
        CHECK(pread(fd, &c, 1, 0x100000 - 1) == 1);
        close(fd);
        CHECK_EQ(c, 0x77);
    }
    tmp_end();
}

/* D05: a read-only section cannot be larger than its file. */
TEST(readonly_section_larger_than_file_erange)
{
    mmf_section *s = NULL;
    const char *path;
    int fd;

    tmp_begin();
    path = make_file("f", 0x3456, 4);
    CHECK_RC(mmf_section_create_path(&s, NULL, path, 0x3457, MMF_CREATE_NEW, &ro_opts),
             MMF_ERANGE);
    fd = open_file(path, O_RDWR);
    CHECK_RC(mmf_section_create_fd(&s, test_name("f"), fd, 0x100000, MMF_CREATE_NEW, &ro_opts),
             MMF_ERANGE);
    close(fd);
    CHECK(s == NULL);
    CHECK_EQ(file_size(path), 0x3456);
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}

/* D04: a file that cannot grow (here: past the process's file size limit)
 * gives a clear error, and the file keeps its size. Absurd sizes too. */
#ifndef _WIN32
HELPER(grow_limited)
{
    struct rlimit rl = {64 * 1024, 64 * 1024};
    mmf_section *s = NULL;
    int rc;

    (void)argc;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 2;
    rc = mmf_section_create_path(&s, NULL, argv[0], MiB, MMF_CREATE_NEW, NULL);
    if (rc != MMF_ENOSPC && rc != MMF_EFBIG) {
        fprintf(stderr, "grow past RLIMIT_FSIZE: %s\n", mmf_err_name(rc));
        return 3;
    }
    return 0;
}
#endif

#ifndef _WIN32
TEST(file_cannot_grow)
{
    mmf_section *s = NULL;
    const char *path;
    int rc;

    tmp_begin();
    path = make_file("f", 4096, 5);
    CHECK_EQ(test_wait(test_spawn("grow_limited", path, NULL)), 0);
    CHECK_EQ(file_size(path), 4096);
    rc = mmf_section_create_path(&s, NULL, path, UINT64_MAX, MMF_CREATE_NEW, NULL);
    CHECK(rc == MMF_EFBIG || rc == MMF_ENOSPC);
    rc = mmf_section_create_path(&s, test_name("f"), path, UINT64_C(1) << 62, MMF_CREATE_NEW,
                                 NULL);
    CHECK(rc == MMF_EFBIG || rc == MMF_ENOSPC);
    CHECK(s == NULL);
    CHECK_EQ(file_size(path), 4096);
    CHECK(file_has(path, 0, 4096, 5));
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}
#else
LINUX_ONLY_TEST(file_cannot_grow, "limits the file size with setrlimit(RLIMIT_FSIZE) and SIGXFSZ")
#endif

/* ------------------------------------------------------------------------ */
/* Open modes and unmappable files                                           */
/* ------------------------------------------------------------------------ */

/* D08, D09: a read-only descriptor allows a read-only section only. */
TEST(readonly_fd)
{
    mmf_section *s = NULL;
    mmf_section_opts rw = {.prot = MMF_PROT_READ | MMF_PROT_WRITE};
    mmf_section_opts wx = {.prot = MMF_PROT_WRITE | MMF_PROT_EXEC};
    const char *path;
    int fd;

    tmp_begin();
    path = make_file("f", 8192, 6);
    fd = open_file(path, O_RDONLY);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, NULL), MMF_EACCES);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, &rw), MMF_EACCES);
    CHECK_RC(mmf_section_create_fd(&s, test_name("f"), fd, 0, MMF_CREATE_NEW, &wx), MMF_EACCES);
    CHECK(s == NULL);
    CHECK_OK(mmf_section_create_fd(&s, test_name("f"), fd, 0, MMF_CREATE_NEW, &ro_opts));
    CHECK_EQ(info_of(s).prot, MMF_PROT_READ);
    CHECK_OK(mmf_section_close(s));
    close(fd);
    tmp_end();
}

/* A write-only descriptor cannot be mapped at all. */
TEST(wronly_fd_eacces)
{
    mmf_section *s = NULL;
    const char *path;
    int fd;

    tmp_begin();
    path = make_file("f", 8192, 7);
    fd = open_file(path, O_WRONLY);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, NULL), MMF_EACCES);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, &ro_opts), MMF_EACCES);
    CHECK_RC(mmf_section_create_fd(&s, test_name("f"), fd, 0, MMF_CREATE_NEW, NULL), MMF_EACCES);
    close(fd);
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}

/* Directories, devices, pipes and sockets are not regular files. */
#ifndef _WIN32
TEST(not_regular_file_enodev)
{
    mmf_section *s = NULL;
    int fd, fds[2];

    tmp_begin();
    CHECK(mkdir(tmp_path("dir"), 0700) == 0);
    fd = open_file(tmp_path("dir"), O_RDONLY | O_DIRECTORY);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 4096, MMF_CREATE_NEW, &ro_opts), MMF_ENODEV);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, &ro_opts), MMF_ENODEV);
    close(fd);
    CHECK_RC(mmf_section_create_path(&s, NULL, tmp_path("dir"), 0, MMF_CREATE_NEW, &ro_opts),
             MMF_ENODEV);
    CHECK_RC(mmf_section_create_path(&s, NULL, tmp_path("dir"), 0, MMF_CREATE_NEW, NULL),
             MMF_ENODEV);
    fd = open_file("/dev/null", O_RDWR);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 4096, MMF_CREATE_NEW, NULL), MMF_ENODEV);
    CHECK_RC(mmf_section_create_fd(&s, test_name("n"), fd, 0, MMF_CREATE_NEW, &ro_opts),
             MMF_ENODEV);
    close(fd);
    CHECK_RC(mmf_section_create_path(&s, NULL, "/dev/null", 4096, MMF_CREATE_NEW, NULL),
             MMF_ENODEV);
    CHECK_RC(mmf_section_create_path(&s, NULL, "/dev/zero", 4096, MMF_CREATE_NEW, &ro_opts),
             MMF_ENODEV);
    CHECK(pipe(fds) == 0);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fds[0], 4096, MMF_CREATE_NEW, &ro_opts), MMF_ENODEV);
    close(fds[0]);
    close(fds[1]);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fds[0], 4096, MMF_CREATE_NEW, NULL), MMF_ENODEV);
    close(fds[0]);
    close(fds[1]);
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}
#else
LINUX_ONLY_TEST(not_regular_file_enodev, "opens folders, /dev/null and pipes as POSIX descriptors")
#endif

/* A FIFO given by path is not a regular file either; opening it must not
 * wait for a writer. Run in a child so a hang is seen as a failure. */
HELPER(fifo_path)
{
    mmf_section *s = NULL;
    int rc;
    (void)argc;
    rc = mmf_section_create_path(&s, NULL, argv[0], 4096, MMF_CREATE_NEW, &ro_opts);
    if (rc != MMF_ENODEV) {
        fprintf(stderr, "read-only FIFO: %s\n", mmf_err_name(rc));
        return 3;
    }
    rc = mmf_section_create_path(&s, NULL, argv[0], 4096, MMF_CREATE_NEW, NULL);
    if (rc != MMF_ENODEV) {
        fprintf(stderr, "read-write FIFO: %s\n", mmf_err_name(rc));
        return 4;
    }
    return 0;
}

#ifndef _WIN32
TEST(fifo_path_enodev)
{
    pid_t pid;
    int rc = -1;

    tmp_begin();
    CHECK(mkfifo(tmp_path("fifo"), 0600) == 0);
    pid = test_spawn("fifo_path", tmp_path("fifo"), NULL);
    for (int i = 0; i < 100; i++) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        test_sleep_ms(50);
    }
    if (rc < 0) {
        kill(pid, SIGKILL);
        test_wait(pid);
    }
    tmp_end();
    if (rc < 0)
        test_fail(__FILE__, __LINE__, "mmf_section_create_path on a FIFO hung");
    CHECK_EQ(rc, 0);
}
#else
LINUX_ONLY_TEST(fifo_path_enodev, "makes a FIFO")
#endif

/* A descriptor that is not open. */
TEST(bad_fd_ebadf)
{
    mmf_section *s = NULL;
    const char *path;
    int fd;

    tmp_begin();
    path = make_file("f", 4096, 8);
    fd = open_file(path, O_RDWR);
    CHECK(close(fd) == 0);
    CHECK_RC(mmf_section_create_fd(&s, NULL, -1, 0, MMF_CREATE_NEW, NULL), MMF_EBADF);
    CHECK_RC(mmf_section_create_fd(&s, NULL, -1, 4096, MMF_CREATE_NEW, NULL), MMF_EBADF);
    CHECK_RC(mmf_section_create_fd(&s, NULL, -5, 4096, MMF_CREATE_NEW, NULL), MMF_EBADF);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, NULL), MMF_EBADF);
    CHECK_RC(mmf_section_create_fd(&s, test_name("f"), fd, 4096, MMF_CREATE_NEW, NULL), MMF_EBADF);
    CHECK_RC(mmf_section_create_fd(&s, NULL, 999999, 0, MMF_CREATE_NEW, &ro_opts), MMF_EBADF);
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}

/* create_path: a missing file, no path, a file the caller may not open. */
HELPER(unprivileged_create_path)
{
    mmf_section *s = NULL;
    int rc;
    (void)argc;
    if (test_drop_privileges() != 0)
        return 2;
    rc = mmf_section_create_path(&s, NULL, argv[0], 0, MMF_CREATE_NEW, &ro_opts);
    if (rc != MMF_EACCES) {
        fprintf(stderr, "unreadable file: %s\n", mmf_err_name(rc));
        return 3;
    }
    return 0;
}

#ifndef _WIN32
TEST(create_path_errors)
{
    mmf_section *s = NULL;
    const char *path;

    tmp_begin();
    CHECK_RC(mmf_section_create_path(&s, NULL, tmp_path("missing"), 0, MMF_CREATE_NEW, NULL),
             MMF_ENOENT);
    CHECK_RC(mmf_section_create_path(&s, test_name("m"), tmp_path("missing"), 4096,
                                     MMF_CREATE_NEW, NULL),
             MMF_ENOENT);
    CHECK(access(tmp_path("missing"), F_OK) != 0); /* not created */
    CHECK_RC(mmf_section_create_path(&s, NULL, NULL, 4096, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_section_create_path(&s, NULL, "", 4096, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK(s == NULL);
    path = make_file("f", 4096, 9);
    {
        /* A path through a regular file leads to no file: not a damaged
         * object of ours. */
        char through[PATH_MAX];
        snprintf(through, sizeof through, "%s/x", path);
        CHECK_RC(mmf_section_create_path(&s, NULL, through, 4096, MMF_CREATE_NEW, NULL),
                 MMF_ENOENT);
    }
    if (geteuid() == 0) {
        CHECK(chmod(path, 0600) == 0);
        CHECK_EQ(test_wait(test_spawn("unprivileged_create_path", path, NULL)), 0);
    }
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}
#else
LINUX_ONLY_TEST(create_path_errors, "checks POSIX path errors and root-only file modes")
#endif

/* C13: large pages and file-backed sections do not mix. */
TEST(large_pages_on_file_einval)
{
    mmf_section_opts o = {.flags = MMF_SECTION_LARGE_PAGES};
    mmf_section *s = NULL;
    const char *path;

    tmp_begin();
    path = make_file("f", 2 * MiB, 10);
    CHECK_RC(mmf_section_create_path(&s, NULL, path, 0, MMF_CREATE_NEW, &o), MMF_EINVAL);
    CHECK(s == NULL);
    tmp_end();
}

/* ------------------------------------------------------------------------ */
/* Data reaching the file                                                    */
/* ------------------------------------------------------------------------ */

/* D17, M01, M02: writes through a writable view are in the file after a
 * flush, a durable flush, and an unmap. A flush is seen to start the
 * write-back: the view's dirty pages are clean right after it (M01), and
 * after a durable one the file has no page dirty or under write-back
 * either (M02), where the system reports it (cachestat, Linux 6.5). */
#ifndef _WIN32
TEST(write_reaches_file)
{
    mmf_section *s;
    const char *path;
    unsigned char *p;
    uint64_t size = 64 * KiB;
    int wb;

    tmp_begin();
    wb = has_writeback(tmp_dir);
    path = make_file("f", size, 0);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_CREATE_NEW, NULL));
    p = map(s, MMF_MAP_WRITE, 0, 0);
    for (uint64_t i = 0; i < size; i++)
        p[i] = pat(i, 11);
    CHECK(view_dirty_kb(p) == (long)(size / KiB));
    CHECK_OK(mmf_view_flush(p, 0));
    CHECK(!wb || view_dirty_kb(p) == 0);
    CHECK(file_has(path, 0, size, 11));
    writeback_done(path);
    memcpy(p + 100, "partial", 7);
    CHECK(!wb || view_dirty_kb(p) == (long)(mmf_page_size() / KiB));
    CHECK_OK(mmf_view_flush(p + 100, 7));
    CHECK(!wb || view_dirty_kb(p) == 0);
    CHECK(file_says(path, 100, "partial"));
    writeback_done(path);
    memcpy(p + 5000, "durable", 7);
    CHECK(!wb || view_dirty_kb(p) == (long)(mmf_page_size() / KiB));
    CHECK_OK(mmf_view_flush_durable(p + 4096, 4096));
    CHECK(!wb || view_dirty_kb(p) == 0);
    CHECK(!wb || file_unwritten(path, size) <= 0);
    CHECK(file_says(path, 5000, "durable"));
    CHECK_RC(mmf_view_flush(p, size + 1), MMF_ERANGE);
    CHECK_RC(mmf_view_flush_durable(p + 4096, size), MMF_ERANGE);
    memcpy(p + size - 7, "the end", 7);
    CHECK_OK(mmf_view_unmap(p));
    CHECK(file_says(path, size - 7, "the end"));
    CHECK_OK(mmf_section_close(s));
    CHECK(file_says(path, size - 7, "the end"));
    CHECK(file_says(path, 5000, "durable"));
    tmp_end();
    if (!wb)
        SKIP("the data reached the file, but /tmp is kept in memory (tmpfs): "
             "there is no write-back that a flush could be seen to start");
}
#else
LINUX_ONLY_TEST(write_reaches_file, "counts the view's dirty pages in /proc/self/smaps")
#endif

/* N01, N09: a view outlives its handle, and what it writes reaches the
 * file, also when flushed after the handle is closed. (That the flush
 * wrote anything is seen where the file system writes back: the view's
 * pages are clean after it.) */
TEST(view_after_close_reaches_file)
{
    mmf_section *s;
    const char *path;
    char *p;

    tmp_begin();
    path = make_file("f", 8192, 0);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_CREATE_NEW, NULL));
    p = map(s, MMF_MAP_WRITE, 0, 0);
    CHECK_OK(mmf_section_close(s));
    memcpy(p + 10, "after close", 11);
    CHECK_OK(mmf_view_flush(p, 0));
    /* The flush went to the file, through the view's own reference to it. */
    CHECK(!has_writeback(tmp_dir) || view_dirty_kb(p) == 0);
    CHECK_OK(mmf_view_flush_durable(p, 0));
    CHECK(file_says(path, 10, "after close"));
    memcpy(p + 4100, "at unmap", 8);
    CHECK_OK(mmf_view_unmap(p));
    CHECK(file_says(path, 4100, "at unmap"));
    tmp_end();
}

/* D18, I07: copy-on-write writes never reach the file. */
TEST(copy_writes_never_reach_file)
{
    mmf_section *s;
    const char *path;
    unsigned char *c, *r;
    uint64_t size = 16 * KiB;

    tmp_begin();
    path = make_file("f", size, 12);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_CREATE_NEW, NULL));
    c = map(s, MMF_MAP_COPY, 0, 0);
    r = map(s, MMF_MAP_READ, 0, 0);
    CHECK(mem_has(c, 0, size, 12));
    memset(c, 0, size);
    CHECK_OK(mmf_view_flush(c, 0));
    CHECK_OK(mmf_view_flush_durable(c, 0));
    CHECK(mem_has(r, 0, size, 12));
    CHECK(file_has(path, 0, size, 12));
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_view_unmap(r));
    CHECK_OK(mmf_section_close(s));
    CHECK(file_has(path, 0, size, 12));
    tmp_end();
}

/* D09, H02: a read-only file with MMF_PROT_READ: read and copy-on-write
 * views, never a writable one, and the file stays as it was. */
TEST(readonly_file_copy_views)
{
    mmf_section *s, *o = NULL;
    const char *path;
    unsigned char *c, *r;
    void *w = NULL;
    int fd;

    tmp_begin();
    path = make_file("f", 8192, 13);
    CHECK(chmod(path, 0400) == 0);
    fd = open_file(path, O_RDONLY);
    CHECK_OK(mmf_section_create_fd(&s, test_name("f"), fd, 0, MMF_CREATE_NEW, &ro_opts));
    close(fd);
    CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &w), MMF_EACCES);
    CHECK(w == NULL);
    c = map(s, MMF_MAP_COPY, 0, 0);
    r = map(s, MMF_MAP_READ, 0, 0);
    memcpy(c, "mine", 4);
    CHECK(memcmp(c, "mine", 4) == 0);
    CHECK(mem_has(r, 0, 8192, 13));
    CHECK_RC(mmf_section_open(&o, test_name("f"), MMF_ACCESS_READ | MMF_ACCESS_WRITE),
             MMF_EACCES);
    CHECK_OK(mmf_section_open(&o, test_name("f"), MMF_ACCESS_READ));
    CHECK_RC(mmf_view_map(o, MMF_MAP_WRITE, 0, 0, 0, &w), MMF_EACCES);
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_view_unmap(r));
    CHECK_OK(mmf_section_close(s));
    CHECK(file_has(path, 0, 8192, 13));
    /* create_path opens read-only when asked for MMF_PROT_READ. */
    CHECK_OK(mmf_section_create_path(&s, NULL, path, 0, MMF_CREATE_NEW, &ro_opts));
    c = map(s, MMF_MAP_COPY, 0, 0);
    c[0] ^= 0xff;
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_section_close(s));
    CHECK(file_has(path, 0, 8192, 13));
    tmp_end();
}

/* D16: the caller keeps its descriptor: the section works after the caller
 * closes it, and closing the section leaves the caller's open. */
#ifndef _WIN32
TEST(caller_keeps_fd)
{
    mmf_section *s;
    const char *path;
    char *p, buf[8];
    int fd;

    tmp_begin();
    path = make_file("f", 8192, 0);
    fd = open_file(path, O_RDWR);
    CHECK_OK(mmf_section_create_fd(&s, test_name("f"), fd, 0, MMF_CREATE_NEW, NULL));
    CHECK(close(fd) == 0);
    p = map(s, MMF_MAP_WRITE, 0, 0);
    memcpy(p, "no fd", 5);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK(file_says(path, 0, "no fd"));

    fd = open_file(path, O_RDWR);
    CHECK_OK(mmf_section_create_fd(&s, NULL, fd, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_close(s));
    CHECK(fcntl(fd, F_GETFD) >= 0);
    CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "no fd", 5) == 0);
    close(fd);
    tmp_end();
}
#else
LINUX_ONLY_TEST(caller_keeps_fd, "checks the caller's descriptor with fcntl(F_GETFD)")
#endif

/* ------------------------------------------------------------------------ */
/* Named file-backed sections                                                */
/* ------------------------------------------------------------------------ */

/* argv: name, expected text at 0, what to do ("rw": write "child" at 100;
 * "enoent": expect MMF_ENOENT). */
HELPER(file_child)
{
    mmf_section *s;
    mmf_section_info info;
    char *p = NULL;
    int rc;

    if (argc < 3)
        return 2;
    rc = mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE);
    if (strcmp(argv[2], "enoent") == 0)
        return rc == MMF_ENOENT ? 0 : 10;
    if (rc != 0)
        return 11;
    if (mmf_section_stat(s, &info) != 0 || info.file_backed != 1)
        return 12;
    if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p) != 0)
        return 13;
    if (strcmp(p, argv[1]) != 0)
        return 14;
    strcpy(p + 100, "child");
    if (mmf_view_unmap(p) != 0)
        return 15;
    return mmf_section_close(s) == 0 ? 0 : 16;
}

/* D19, I02: another process opening the name maps the same file. */
TEST(named_file_section_other_process)
{
    mmf_section *s;
    const char *path;
    char *p;

    tmp_begin();
    path = make_file("f", 8192, 0);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_CREATE_NEW, NULL));
    p = map(s, MMF_MAP_WRITE, 0, 0);
    memset(p, 0, 200);
    strcpy(p, "parent");
    CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "parent", "rw", NULL)), 0);
    CHECK(strcmp(p + 100, "child") == 0);
    CHECK(file_says(path, 100, "child"));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "", "enoent", NULL)), 0);
    tmp_end();
}

#ifndef _WIN32
/* argv: name. Map a view of the named file section, close the handle (the
 * view alone maps the file now), write 1 at byte 0 and wait until the
 * file's byte 1 says 1, then unmap. */
HELPER(file_viewer)
{
    mmf_section *s;
    volatile char *p;
    uint64_t end = test_now_ns() + 30000000000ull;

    if (argc < 1 || mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0)
        return 10;
    if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p) != 0)
        return 11;
    if (mmf_section_close(s) != 0)
        return 12;
    p[0] = 1;
    while (p[1] != 1) {
        if (test_now_ns() > end)
            return 13;
        usleep(1000);
    }
    return mmf_view_unmap((void *)p) == 0 ? 0 : 14;
}
#endif

/* D20, D21: mmf_file_mapped() sees a view of the file in this process and
 * in another one, of any kind, and nothing once they are unmapped; a
 * section without a view does not map the file. */
TEST(file_mapped_sees_views)
{
#ifdef _WIN32
    int fd;
    tmp_begin();
    fd = open_file(make_file("f", 8192, 0), O_RDWR);
    CHECK_RC(mmf_file_mapped(fd), MMF_ENOTSUP);
    close(fd);
    tmp_end();
#else
    const char *path;
    mmf_section *s;
    char *p, c = 0;
    pid_t child;
    uint64_t end;
    int fd;

    tmp_begin();
    path = make_file("f", 8192, 0);
    fd = open_file(path, O_RDWR);
    CHECK_EQ(mmf_file_mapped(fd), 0);
    CHECK_OK(mmf_section_create_fd(&s, test_name("f"), fd, 0, MMF_CREATE_NEW, NULL));
    CHECK_EQ(mmf_file_mapped(fd), 0);
    /* This process: a copy-on-write view maps the file too. */
    p = map(s, MMF_MAP_COPY, 0, 0);
    CHECK_EQ(mmf_file_mapped(fd), 1);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_EQ(mmf_file_mapped(fd), 0);
    /* Another process's view, found by any descriptor of the file. */
    CHECK(pwrite(fd, "\0\0", 2, 0) == 2);
    child = test_spawn("file_viewer", test_name("f"), NULL);
    end = test_now_ns() + 30000000000ull;
    while (pread(fd, &c, 1, 0) == 1 && c != 1 && test_now_ns() < end)
        usleep(1000);
    CHECK_EQ(c, 1);
    {
        int other = open_file(path, O_RDONLY);
        CHECK_EQ(mmf_file_mapped(other), 1);
        close(other);
    }
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(mmf_file_mapped(fd), 1); /* the child's view outlives handles */
    CHECK(pwrite(fd, "\1", 1, 1) == 1);
    CHECK_EQ(test_wait(child), 0);
    CHECK_EQ(mmf_file_mapped(fd), 0);
    CHECK_RC(mmf_file_mapped(-1), MMF_EBADF);
    close(fd);
    tmp_end();
#endif
}

/* B03, B04: create on an existing file-backed name opens it; its file and
 * size win. */
TEST(open_or_create_existing_file_section)
{
    mmf_section *s, *t, *u;
    const char *a, *b;
    unsigned char *p;

    tmp_begin();
    a = make_file("a", 8192, 14);
    b = make_file("b", 3 * 4096, 15);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), a, 0, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_section_create_path(&t, test_name("f"), b, 0, MMF_OPEN_OR_CREATE, NULL),
             MMF_EXISTED);
    CHECK_EQ(info_of(t).size, 8192);
    p = map(t, MMF_MAP_READ, 0, 0);
    CHECK(mem_has(p, 0, 8192, 14));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_RC(mmf_section_create_path(&u, test_name("f"), b, 0, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK(u == NULL);
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(s));
    CHECK(file_has(b, 0, 3 * 4096, 15));
    tmp_end();
}

/* Once the file is deleted, the name no longer opens (here or elsewhere),
 * although the section stays usable through its handles.
 * Windows: the name is the section object's, not the file's, so it opens
 * elsewhere until the last handle closes; and Windows refuses to delete a
 * file that a section maps (STATUS_CANNOT_DELETE), which Wine 8 does not
 * model: it deletes the file, and the section keeps mapping it. */
TEST(deleted_file_name_enoent)
{
    mmf_section *s;
    const char *path;
    char *p;

    tmp_begin();
    path = make_file("f", 8192, 0);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_CREATE_NEW, NULL));
#ifdef _WIN32
    {
        int rc = unlink(path), err = errno;
        if (!test_under_wine()) {
            CHECK_EQ(rc, -1);
            CHECK_EQ(err, EACCES);
        }
    }
    p = map(s, MMF_MAP_WRITE, 0, 0);
    strcpy(p, "deleted or not");
    CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "deleted or not", "rw",
                                  NULL)),
             0);
    CHECK(strcmp(p + 100, "child") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "", "enoent", NULL)), 0);
#else
    {
        mmf_section *o = NULL;
        CHECK(unlink(path) == 0);
        /* Another process cannot reach the file any more... */
        CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "", "enoent", NULL)), 0);
        /* ...but this one holds the section, which keeps its file open (as
         * on Windows), so it opens it again from its own table. */
        CHECK_OK(mmf_section_open(&o, test_name("f"), MMF_ACCESS_READ));
        CHECK_OK(mmf_section_close(o));
    }
    p = map(s, MMF_MAP_WRITE, 0, 0);
    strcpy(p, "unlinked but mapped");
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
#endif
    CHECK_EQ(test_store_count(test_name("")), 0);
    tmp_end();
}

/* The same after a rename, and after another file takes the old path.
 * Windows: the name stays the section's whatever becomes of the path; a
 * renamed file stays mapped, and a new file at the old path is not
 * the section's. */
TEST(renamed_file_name_enoent)
{
    mmf_section *s;
    const char *path;

    tmp_begin();
    path = make_file("f", 8192, 0);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_CREATE_NEW, NULL));
#ifdef _WIN32
    {
        char *p = map(s, MMF_MAP_WRITE, 0, 0);
        strcpy(p, "renamed");
        CHECK(rename(path, tmp_path("g")) == 0);
        CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "renamed", "rw", NULL)), 0);
        CHECK(strcmp(p + 100, "child") == 0);
        /* A different file at the old path changes nothing. */
        make_file("f", 8192, 16);
        p[100] = '\0';
        CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "renamed", "rw", NULL)), 0);
        CHECK(strcmp(p + 100, "child") == 0);
        CHECK_OK(mmf_view_unmap(p));
        CHECK_OK(mmf_section_close(s));
        CHECK(file_says(tmp_path("g"), 100, "child"));
        CHECK(file_has(path, 0, 8192, 16));
        CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "", "enoent", NULL)), 0);
    }
#else
    CHECK(rename(path, tmp_path("g")) == 0);
    CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "", "enoent", NULL)), 0);
    /* A different file at the old path is not the section's file. */
    make_file("f", 8192, 16);
    CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "", "enoent", NULL)), 0);
    /* Renamed back, another process opens it again. */
    CHECK(unlink(path) == 0);
    CHECK(rename(tmp_path("g"), path) == 0);
    CHECK_EQ(test_wait(test_spawn("file_child", test_name("f"), "", "ok", NULL)), 0);
    CHECK_OK(mmf_section_close(s));
#endif
    tmp_end();
}

/* N02, N04: after the last handle closes the name is gone, but the file
 * stays with the data, and views keep working. */
TEST(name_gone_file_remains)
{
    mmf_section *s, *o;
    const char *path;
    char *p;

    tmp_begin();
    path = make_file("f", 4096, 0);
    CHECK_OK(mmf_section_create_path(&s, test_name("f"), path, MiB, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_open(&o, test_name("f"), MMF_ACCESS_READ));
    p = map(s, MMF_MAP_WRITE, 0, 0);
    strcpy(p, "first");
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_close(o));
    CHECK_RC(mmf_section_open(&o, test_name("f"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("f")), 0);
    strcpy(p + MiB - 6, "last");
    CHECK_OK(mmf_view_unmap(p));
    CHECK_EQ(file_size(path), MiB);
    CHECK(file_says(path, 0, "first"));
    CHECK(file_says(path, MiB - 6, "last"));
    /* N03: the name can be created anew. */
    CHECK_RC(mmf_section_create_path(&s, test_name("f"), path, 0, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_EQ(info_of(s).size, MiB);
    CHECK_OK(mmf_section_close(s));
    tmp_end();
}

/* argv: path, name, sync fd. Writes a pattern through a view, makes it
 * durable, tells the parent, and waits to be killed. */
HELPER(durable_writer)
{
    mmf_section *s;
    unsigned char *p = NULL;
    uint64_t size = 2 * MiB;

    if (argc < 3)
        return 2;
    if (mmf_section_create_path(&s, argv[1], argv[0], size, MMF_CREATE_NEW, NULL) != 0)
        return 10;
    if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p) != 0)
        return 11;
    for (uint64_t i = 0; i < size; i++)
        p[i] = pat(i, 17);
    if (mmf_view_flush_durable(p, 0) != 0)
        return 12;
    test_sync_signal(atoi(argv[2]));
    for (;;)
        pause();
}

/* M02, N10: data made durable survives the writer being killed; the killed
 * writer's name is then gone. */
TEST(durable_after_sigkill)
{
    struct test_sync sync;
    char fd[16];
    mmf_section *o;
    const char *path;
    pid_t pid;
    int came;

    tmp_begin();
    path = make_file("f", 0, 0);
    test_sync_init(&sync);
    snprintf(fd, sizeof fd, "%d", sync.wr);
    pid = test_spawn("durable_writer", path, test_name("f"), fd, NULL);
    came = test_sync_wait(&sync, 20000);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    CHECK(came);
    CHECK_EQ(file_size(path), 2 * MiB);
    CHECK(file_has(path, 0, 2 * MiB, 17));
    CHECK_RC(mmf_section_open(&o, test_name("f"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("")), 0);
    close(sync.rd);
    close(sync.wr);
    tmp_end();
}
