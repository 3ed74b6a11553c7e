/* SPDX-License-Identifier: MIT */
/* test-section.c - pagefile-backed sections: create modes, sizes, reserve and
 * commit, large pages, argument checks, access, info, the shared namespace
 * with other object types, damaged store files, and the error strings. */
#include "test.h"

#include <fcntl.h>
#include <limits.h>
#ifndef _WIN32
#include <sys/mman.h>
#endif
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/statvfs.h>
#endif

#include "object.h"

#define KiB UINT64_C(1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)
#define TiB (GiB * 1024)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

#ifndef _WIN32
static const char *store_dir(void)
{
    const char *d = getenv("MMF_STORE_DIR");
    return d != NULL && d[0] == '/' ? d : "/dev/shm";
}
#endif

/* The store file of a Local\ name made only of [A-Za-z0-9._-] (as
 * test_name() gives): "<store>/mmf.u<uid>.<name>" (see src/linux/store.c). */
#ifndef _WIN32
static void store_file(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/mmf.u%u.%s", store_dir(), (unsigned)geteuid(), name);
}
#endif

static uint64_t round_up(uint64_t n, uint64_t to)
{
    return (n + to - 1) / to * to;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* Size of the view mapped at p, as mmf_view_stat reports it. */
static size_t view_size(const void *p)
{
    mmf_view_info vi;
    CHECK_OK(mmf_view_stat(p, &vi));
    return vi.size;
}

/* Bytes of the store's file system: total and free. On Windows the
 * pagefile-backed commit limit and what is left of it. */
#ifdef _WIN32
static void store_space(uint64_t *total, uint64_t *avail)
{
    test_commit_space(total, avail);
}

/* Windows charges a section's commit to the system, not to a file: there
 * is nothing per section to measure, and the checks of it are skipped
 * (TEST_ON_WINDOWS). */
static uint64_t store_allocated(const char *name)
{
    (void)name;
    return 0;
}
#else
static void store_space(uint64_t *total, uint64_t *avail)
{
    struct statvfs sv;
    CHECK(statvfs(store_dir(), &sv) == 0);
    *total = (uint64_t)sv.f_blocks * sv.f_frsize;
    *avail = (uint64_t)sv.f_bavail * sv.f_frsize;
}

/* The size allocated to the store file of `name`. */
static uint64_t store_allocated(const char *name)
{
    char path[1024];
    struct stat st;
    store_file(name, path, sizeof path);
    CHECK(stat(path, &st) == 0);
    return (uint64_t)st.st_blocks * 512;
}
#endif

/* A hand-made store file: a header as a creator writes it (see
 * src/object.h), that the test then damages. `holder` keeps a reference
 * lock on it as a live handle would (an OFD read lock on byte 0), so the
 * library must read it rather than reclaim it as stale. */
struct fake {
    char path[1024];
    int fd;
    struct mmf__hdr h;
};

#ifndef _WIN32
static void fake_header(struct fake *f, const char *name, uint32_t type)
{
    memset(&f->h, 0, sizeof f->h);
    f->h.magic = MMF__HDR_MAGIC;
    f->h.version = MMF__HDR_VERSION;
    f->h.hdr_size = MMF__HDR_SIZE;
    f->h.type = type;
    f->h.prot = MMF_PROT_READ | MMF_PROT_WRITE;
    snprintf(f->h.name, sizeof f->h.name, "Local\\%s", name);
    f->h.name_len = (uint32_t)strlen(f->h.name);
    if (type == MMF__TYPE_SECTION) {
        f->h.size = 4096;
        f->h.data_size = 4096;
    }
    f->h.creator_pid = (uint32_t)getpid();
    store_file(name, f->path, sizeof f->path);
}
#endif

/* Write f->h (or, with raw != NULL, raw_len bytes of raw) to the store file
 * and make it `file_size` bytes. */
#ifndef _WIN32
static void fake_write(struct fake *f, const void *raw, size_t raw_len,
                       uint64_t file_size, int hold)
{
    f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(f->fd >= 0);
    if (raw == NULL) {
        raw = &f->h;
        raw_len = sizeof f->h;
    }
    CHECK(pwrite(f->fd, raw, raw_len, 0) == (ssize_t)raw_len);
    CHECK(ftruncate(f->fd, (off_t)file_size) == 0);
    if (hold) {
        struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0,
                           .l_len = 1};
        CHECK(fcntl(f->fd, F_OFD_SETLK, &fl) == 0);
    }
}
#endif

#ifndef _WIN32
static void fake_remove(struct fake *f)
{
    unlink(f->path);
    close(f->fd);
}
#endif

/* Every way of reaching `name` fails with `err` and leaves the store file
 * as it was. */
#ifndef _WIN32
static void expect_all_here(const char *name, const char *path, int err)
{
    mmf_section *s = NULL;
    struct stat a, b;
    CHECK(lstat(path, &a) == 0);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), err);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE), err);
    CHECK_RC(mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, NULL), err);
    CHECK_RC(mmf_section_create(&s, name, 4096, MMF_OPEN_OR_CREATE, NULL), err);
    CHECK(s == NULL);
    CHECK(lstat(path, &b) == 0);
    CHECK(a.st_ino == b.st_ino && a.st_size == b.st_size);
}
#endif

/* argv: name, path, error code. */
#ifndef _WIN32
HELPER(expect_all)
{
    if (argc < 3)
        return 2;
    expect_all_here(argv[0], argv[1], atoi(argv[2]));
    return 0;
}
#endif

/* As expect_all_here, in another process (the holder of a hand-made file
 * is then this process, as a live handle elsewhere would be), so that this
 * one can remove the file whatever happens. Returns the helper's exit
 * code. */
#ifndef _WIN32
static int expect_all(const char *name, const char *path, int err)
{
    char code[16];
    snprintf(code, sizeof code, "%d", err);
    return test_wait(test_spawn("expect_all", name, path, code, NULL));
}
#endif

/* ------------------------------------------------------------------------ */
/* Create modes                                                              */
/* ------------------------------------------------------------------------ */

/* B02: a new name is created (0). */
TEST(create_new)
{
    mmf_section *s;
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_EQ(test_store_count(test_name("s")), 1);
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}

/* MMF_CREATE_NEW on an existing name fails with MMF_EEXIST. */
TEST(create_new_existing_eexist)
{
    mmf_section *s, *t = NULL;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_section_create(&t, test_name("s"), 4096, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK_RC(mmf_section_create(&t, test_name("s"), 8192, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK(t == NULL);
    CHECK_OK(mmf_section_close(s));
}

/* B03, B04, I01: MMF_OPEN_OR_CREATE on an existing name opens it and returns
 * MMF_EXISTED; the existing size wins, and the two handles share memory. */
TEST(open_or_create_existing)
{
    mmf_section *s, *t;
    mmf_section_info info;
    char *p, *q;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 8192, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_RC(mmf_section_create(&t, test_name("s"), 65536, MMF_OPEN_OR_CREATE, NULL),
             MMF_EXISTED);
    CHECK_OK(mmf_section_stat(t, &info));
    CHECK_EQ(info.size, 8192);
    p = q = NULL;
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK_OK(mmf_view_map(t, MMF_MAP_WRITE, 0, 0, 0, (void **)&q));
    CHECK_EQ(view_size(q), 8192);
    strcpy(p, "shared");
    CHECK(strcmp(q, "shared") == 0);
    /* A smaller size asked for does not shrink it either. */
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(t));
    CHECK_RC(mmf_section_create(&t, test_name("s"), 1, MMF_OPEN_OR_CREATE, NULL), MMF_EXISTED);
    CHECK_OK(mmf_section_stat(t, &info));
    CHECK_EQ(info.size, 8192);
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* B05, H09: opening an existing section through create gives the access its
 * protection asks for: MMF_PROT_READ gives a handle that cannot write. */
TEST(open_or_create_access_follows_prot)
{
    mmf_section *s, *t;
    mmf_section_opts ro = {.prot = MMF_PROT_READ};
    mmf_section_info info;
    void *p = NULL;

    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_section_create(&t, test_name("s"), 4096, MMF_OPEN_OR_CREATE, &ro), MMF_EXISTED);
    CHECK_OK(mmf_section_stat(t, &info));
    CHECK_EQ(info.access, MMF_ACCESS_READ);
    CHECK_EQ(info.prot, MMF_PROT_READ | MMF_PROT_WRITE); /* the section's own */
    CHECK_RC(mmf_view_map(t, MMF_MAP_WRITE, 0, 0, 0, &p), MMF_EACCES);
    CHECK_OK(mmf_view_map(t, MMF_MAP_READ, 0, 0, 0, &p));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(s));
}

/* W01: asking for write access to an existing read-only section through
 * create is refused (the caller may not open it that way). */
TEST(open_or_create_write_on_readonly_eacces)
{
    mmf_section *s, *t = NULL;
    mmf_section_opts ro = {.prot = MMF_PROT_READ};
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &ro));
    CHECK_RC(mmf_section_create(&t, test_name("s"), 4096, MMF_OPEN_OR_CREATE, NULL), MMF_EACCES);
    CHECK(t == NULL);
    CHECK_RC(mmf_section_create(&t, test_name("s"), 4096, MMF_OPEN_OR_CREATE, &ro), MMF_EXISTED);
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(s));
}

/* E01: opening a name that does not exist. */
TEST(open_missing_enoent)
{
    mmf_section *s = NULL;
    CHECK_RC(mmf_section_open(&s, test_name("none"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_RC(mmf_section_open(&s, test_name("none"), MMF_ACCESS_ALL), MMF_ENOENT);
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
}

/* N02, N03, N05: after the last handle closes, create makes a new,
 * zero-filled section (0, not MMF_EXISTED). */
TEST(create_after_last_close_is_new)
{
    mmf_section *s;
    unsigned char *p = NULL;

    CHECK_OK(mmf_section_create(&s, test_name("s"), 8192, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    memset(p, 0xab, 8192);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK_EQ(view_size(p), 4096);
    CHECK(all_zero(p, 4096));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* O04: a duplicate keeps the name alive after the original handle closes. */
TEST(duplicate_keeps_name)
{
    mmf_section *s, *d, *o;
    mmf_section_info info;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ, &d));
    CHECK_OK(mmf_section_stat(d, &info));
    CHECK_EQ(info.access, MMF_ACCESS_READ);
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_section_close(d));
    CHECK_RC(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
}

/* O05: a duplicate cannot have more access than its source. */
TEST(duplicate_cannot_widen)
{
    mmf_section *s, *r, *d = NULL;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    CHECK_RC(mmf_section_duplicate(r, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &d), MMF_EACCES);
    CHECK_RC(mmf_section_duplicate(r, MMF_ACCESS_WRITE, &d), MMF_EACCES);
    CHECK(d == NULL);
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Sizes                                                                     */
/* ------------------------------------------------------------------------ */

/* B01: a pagefile-backed section needs a size. */
TEST(size_zero_einval)
{
    mmf_section *s = NULL;
    CHECK_RC(mmf_section_create(&s, test_name("s"), 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_section_create(&s, test_name("s"), 0, MMF_OPEN_OR_CREATE, NULL), MMF_EINVAL);
    CHECK_RC(mmf_section_create(&s, NULL, 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
}

/* B07, B09, G11: the size is rounded up to a page (4090 -> 4096,
 * 0x3457 -> 0x4000), and a size-0 view covers the rounded size. */
TEST(size_rounded_to_page)
{
    static const uint64_t sizes[] = {1, 4090, 4096, 4097, 0x3457, 0x10000, 0x10001};
    uint64_t page = mmf_page_size();
    char local[300];

    CHECK_EQ(page, (uint64_t)sysconf(_SC_PAGESIZE));
    if (page == 4096) {
        CHECK_EQ(round_up(4090, page), 4096);
        CHECK_EQ(round_up(0x3457, page), 0x4000);
    }
    snprintf(local, sizeof local, "Local\\%s", test_name("s"));
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        mmf_section *s, *o;
        mmf_section_info info;
        unsigned char *p = NULL;

        CHECK_OK(mmf_section_create(&s, local, sizes[i], MMF_CREATE_NEW, NULL));
        CHECK_OK(mmf_section_stat(s, &info));
        CHECK_EQ(info.size, round_up(sizes[i], page));
        CHECK(strcmp(info.name, local) == 0);
        /* Another handle sees the same size. */
        CHECK_OK(mmf_section_open(&o, local, MMF_ACCESS_READ));
        CHECK_OK(mmf_section_stat(o, &info));
        CHECK_EQ(info.size, round_up(sizes[i], page));
        CHECK_OK(mmf_view_map(o, MMF_MAP_READ, 0, 0, 0, (void **)&p));
        CHECK_EQ(view_size(p), round_up(sizes[i], page));
        /* The rounded tail is part of the section and zero. */
        CHECK(all_zero(p, (size_t)round_up(sizes[i], page)));
        CHECK_OK(mmf_view_unmap(p));
        CHECK_OK(mmf_section_close(o));
        CHECK_OK(mmf_section_close(s));
    }
}

/* B10: a new section is zero-filled. */
TEST(new_section_zero_filled)
{
    mmf_section *s;
    mmf_section_opts reserve = {.flags = MMF_SECTION_RESERVE};
    unsigned char *p = NULL;

    CHECK_OK(mmf_section_create(&s, test_name("s"), 4 * MiB, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(all_zero(p, 4 * MiB));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_create(&s, NULL, 4 * MiB, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(all_zero(p, 4 * MiB));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_create(&s, test_name("r"), 4 * MiB, MMF_CREATE_NEW, &reserve));
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(all_zero(p, 4 * MiB));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* P08, P09: NULL and "" make unnamed sections: each is new, has no name,
 * and leaves nothing in the store. */
TEST(unnamed_sections)
{
    mmf_section *a, *b, *c;
    mmf_section_info info;
    char *pa = NULL, *pb = NULL, *pc = NULL;

    CHECK_RC(mmf_section_create(&a, NULL, 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_RC(mmf_section_create(&b, "", 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_RC(mmf_section_create(&c, NULL, 4096, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_OK(mmf_section_stat(a, &info));
    CHECK(info.name[0] == '\0');
    CHECK_EQ(info.size, 4096);
    CHECK_OK(mmf_section_stat(b, &info));
    CHECK(info.name[0] == '\0');
    CHECK_OK(mmf_view_map(a, MMF_MAP_WRITE, 0, 0, 0, (void **)&pa));
    CHECK_OK(mmf_view_map(b, MMF_MAP_WRITE, 0, 0, 0, (void **)&pb));
    CHECK_OK(mmf_view_map(c, MMF_MAP_WRITE, 0, 0, 0, (void **)&pc));
    strcpy(pa, "a");
    strcpy(pb, "b");
    CHECK(pc[0] == 0 && strcmp(pa, "a") == 0 && strcmp(pb, "b") == 0);
    CHECK_OK(mmf_view_unmap(pa));
    CHECK_OK(mmf_view_unmap(pb));
    CHECK_OK(mmf_view_unmap(pc));
    CHECK_OK(mmf_section_close(a));
    CHECK_OK(mmf_section_close(b));
    CHECK_OK(mmf_section_close(c));
}

/* Try a size that cannot be had; it must fail at create with a clear error
 * and leave nothing in the store. */
#ifndef _WIN32
static void expect_too_big(const char *name, uint64_t size, const mmf_section_opts *opts)
{
    mmf_section *s = NULL;
    uint64_t t0 = test_now_ns();
    int rc = mmf_section_create(&s, name, size, MMF_CREATE_NEW, opts);
    if (rc != MMF_ENOSPC && rc != MMF_ENOMEM && rc != MMF_EFBIG)
        test_fail(__FILE__, __LINE__, "size %llu: %s (%d), expected ENOSPC/ENOMEM/EFBIG",
                  (unsigned long long)size, mmf_err_name(rc), rc);
    CHECK(s == NULL);
    CHECK(test_now_ns() - t0 < UINT64_C(10000000000));
    if (name != NULL)
        CHECK_EQ(test_store_count(name), 0);
}
#endif

/* B12, B13: sizes beyond memory fail at create time with a clear error and
 * leave nothing behind. */
#ifndef _WIN32
TEST(huge_size_fails_cleanly)
{
    uint64_t total, avail;
    const uint64_t sizes[] = {UINT64_MAX, UINT64_MAX - 4095, UINT64_MAX / 2,
                              (uint64_t)INT64_MAX, (uint64_t)INT64_MAX - 8192,
                              UINT64_C(1) << 62, 1024 * TiB, TiB};

    store_space(&total, &avail);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (sizes[i] <= total)
            continue; /* a store this large would take it */
        expect_too_big(test_name("s"), sizes[i], NULL);
        expect_too_big(NULL, sizes[i], NULL);
    }
    /* Larger than the free space (and than the whole store, so a failing
     * attempt does not eat the free space on the way). */
    CHECK(total + GiB > avail);
    expect_too_big(test_name("f"), total + GiB, NULL);
    expect_too_big(NULL, total + 64 * MiB, NULL);
}
#else
LINUX_ONLY_TEST(huge_size_fails_cleanly, "checks the Linux store file left by a failed create")
#endif

/* B13: without MMF_SECTION_RESERVE the whole section is committed at creation. */
#ifndef _WIN32
TEST(committed_at_create)
{
    mmf_section *s;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 8 * MiB, MMF_CREATE_NEW, NULL));
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) >= 8 * MiB);
    CHECK_OK(mmf_section_close(s));
}
#else
LINUX_ONLY_TEST(committed_at_create, "measures the blocks of the Linux store file")
#endif

/* B13, C01: a reserved section may be larger than the free space; memory is
 * taken only as pages are touched or committed. */
TEST(reserve_larger_than_free_space)
{
    mmf_section_opts reserve = {.flags = MMF_SECTION_RESERVE};
    uint64_t total, avail, size;
    mmf_section *s, *r;
    mmf_section_info info;
    unsigned char *p = NULL, *q = NULL;

    store_space(&total, &avail);
    size = round_up(total + GiB, MiB);
    CHECK(size > avail);
    CHECK_OK(mmf_section_create(&s, test_name("s"), size, MMF_CREATE_NEW, &reserve));
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.size, size);
    CHECK(info.flags & MMF_SECTION_RESERVE);
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) < 16 * MiB);
    if (sizeof(size_t) < 8)
        SKIP("a view of %llu bytes needs a 64-bit address space", (unsigned long long)size);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK_EQ(view_size(p), size);
    CHECK(p[size - 1] == 0);
    p[0] = 1;
    p[size - 1] = 2;
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(r, MMF_MAP_READ, size - MiB, 0, 0, (void **)&q));
    CHECK_EQ(q[MiB - 1], 2);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(r));
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) < 16 * MiB);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}

/* C19: mmf_section_commit commits a range of a reserved section; the
 * range must lie inside it. */
TEST(reserve_commit)
{
    mmf_section_opts reserve = {.flags = MMF_SECTION_RESERVE};
    uint64_t size = 64 * MiB;
    mmf_section *s;
    unsigned char *p = NULL;

    CHECK_OK(mmf_section_create(&s, test_name("s"), size, MMF_CREATE_NEW, &reserve));
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) < 4 * MiB);
    CHECK_OK(mmf_section_commit(s, 0, 8 * MiB));
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) >= 8 * MiB);
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) < 16 * MiB);
    /* Committing again, a sub-range, or an unaligned range is fine. */
    CHECK_OK(mmf_section_commit(s, 0, 8 * MiB));
    CHECK_OK(mmf_section_commit(s, 4096, 100));
    CHECK_OK(mmf_section_commit(s, 12345, 1));
    CHECK_OK(mmf_section_commit(s, size - 4096, 4096));
    CHECK_OK(mmf_section_commit(s, size - 1, 1));
    CHECK_OK(mmf_section_commit(s, 0, 0));
    CHECK_OK(mmf_section_commit(s, 0, size));
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) >= size);
    /* Ranges past the end. */
    CHECK_RC(mmf_section_commit(s, size, 1), MMF_ERANGE);
    CHECK_RC(mmf_section_commit(s, size - 4096, 4097), MMF_ERANGE);
    CHECK_RC(mmf_section_commit(s, 0, size + 1), MMF_ERANGE);
    CHECK_RC(mmf_section_commit(s, size + 4096, 4096), MMF_ERANGE);
    CHECK_RC(mmf_section_commit(s, UINT64_MAX, 1), MMF_ERANGE);
    CHECK_RC(mmf_section_commit(s, 4096, UINT64_MAX), MMF_ERANGE);
    CHECK_RC(mmf_section_commit(s, UINT64_MAX - 4095, 8192), MMF_ERANGE);
    /* The committed pages read as zero. */
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(all_zero(p, 8 * MiB));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* C19: the commit is made in the section: a commit through one handle is
 * seen through another process's handle. */
HELPER(commit_range)
{
    mmf_section *s;
    (void)argc;
    if (mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0)
        return 10;
    if (mmf_section_commit(s, 0, 4 * MiB) != 0)
        return 11;
    return mmf_section_close(s) == 0 ? 0 : 12;
}

TEST(reserve_commit_from_other_process)
{
    mmf_section_opts reserve = {.flags = MMF_SECTION_RESERVE};
    mmf_section *s;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 32 * MiB, MMF_CREATE_NEW, &reserve));
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) < 4 * MiB);
    CHECK_EQ(test_wait(test_spawn("commit_range", test_name("s"), NULL)), 0);
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) >= 4 * MiB);
    CHECK_OK(mmf_section_close(s));
}

/* Committing needs a handle with write access. */
TEST(commit_read_only_handle_eacces)
{
    mmf_section_opts reserve = {.flags = MMF_SECTION_RESERVE};
    mmf_section *s, *r, *d;
    CHECK_OK(mmf_section_create(&s, test_name("s"), MiB, MMF_CREATE_NEW, &reserve));
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    CHECK_RC(mmf_section_commit(r, 0, 4096), MMF_EACCES);
    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ, &d));
    CHECK_RC(mmf_section_commit(d, 0, 4096), MMF_EACCES);
    CHECK(TEST_ON_WINDOWS || store_allocated(test_name("s")) < MiB);
    CHECK_OK(mmf_section_commit(s, 0, 4096));
    CHECK_OK(mmf_section_close(d));
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(s));
}

/* On a committed (not reserved) section, commit has nothing to do but
 * still checks its range. */
TEST(commit_on_committed_section)
{
    mmf_section *s;
    CHECK_OK(mmf_section_create(&s, test_name("s"), MiB, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_commit(s, 0, MiB));
    CHECK_RC(mmf_section_commit(s, 0, MiB + 1), MMF_ERANGE);
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Large pages                                                               */
/* ------------------------------------------------------------------------ */

/* A value from /proc/meminfo ("HugePages_Free", "Hugepagesize" in kB), or
 * 0. */
static uint64_t meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long v = 0;
    size_t n = strlen(key);
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            sscanf(line + n + 1, "%llu", &v);
            break;
        }
    }
    fclose(f);
    return v;
}

/* The first writable hugetlbfs mount, or "" if none. */
static void hugetlbfs_mount(char *dir, size_t cap)
{
    FILE *f = fopen("/proc/mounts", "r");
    char line[1024], dev[256], mnt[512], type[64];
    dir[0] = '\0';
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%255s %511s %63s", dev, mnt, type) == 3 &&
            strcmp(type, "hugetlbfs") == 0 && access(mnt, W_OK) == 0) {
            snprintf(dir, cap, "%s", mnt);
            break;
        }
    }
    fclose(f);
}

/* Number of entries in dir whose name contains needle. */
static int count_in_dir(const char *dir, const char *needle)
{
    char cmd[1024];
    FILE *p;
    int n = 0;
    snprintf(cmd, sizeof cmd, "ls -a '%s' 2>/dev/null | grep -c -- '%s'", dir, needle);
    p = popen(cmd, "r");
    if (p == NULL)
        return 0;
    if (fscanf(p, "%d", &n) != 1)
        n = 0;
    pclose(p);
    return n;
}

/* C06: large pages cannot be reserved. */
TEST(reserve_large_pages_einval)
{
    mmf_section_opts o = {.flags = MMF_SECTION_RESERVE | MMF_SECTION_LARGE_PAGES};
    mmf_section *s = NULL;
    CHECK_RC(mmf_section_create(&s, test_name("s"), 2 * MiB, MMF_CREATE_NEW, &o), MMF_EINVAL);
    CHECK_RC(mmf_section_create(&s, NULL, 2 * MiB, MMF_CREATE_NEW, &o), MMF_EINVAL);
    CHECK(s == NULL);
}

/* C17: without a hugetlbfs mount, or with too few free huge pages, a
 * large-page section fails with MMF_ENOTSUP or MMF_ENOMEM and leaves no file
 * in the store or in the hugetlbfs mount. */
TEST(large_pages_failure_clean)
{
    mmf_section_opts o = {.flags = MMF_SECTION_LARGE_PAGES};
    mmf_section *s = NULL;
    char mnt[512];
    uint64_t hp = meminfo("Hugepagesize") * KiB, nfree = meminfo("HugePages_Free");
    uint64_t size;
    int rc;

    LINUX_ONLY("counts huge pages in /proc/meminfo and on hugetlbfs (Windows: test-windows.c large_pages_need_privilege)");

    hugetlbfs_mount(mnt, sizeof mnt);
    if (hp == 0)
        hp = 2 * MiB;
    /* More huge pages than are free. */
    size = (nfree + 1) * hp;
    rc = mmf_section_create(&s, test_name("s"), size, MMF_CREATE_NEW, &o);
    if (mnt[0] == '\0')
        CHECK_RC(rc, MMF_ENOTSUP);
    else
        CHECK_RC(rc, MMF_ENOMEM);
    rc = mmf_section_create(&s, NULL, size, MMF_CREATE_NEW, &o);
    CHECK(rc == (mnt[0] == '\0' ? MMF_ENOTSUP : MMF_ENOMEM));
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
    if (mnt[0] != '\0') {
        CHECK_EQ(count_in_dir(mnt, test_name("")), 0);
        CHECK_EQ(count_in_dir(mnt, "mmf.anon"), 0);
    }
}

/* C17: with free huge pages, a large-page section works: the size rounds
 * up to the huge-page size, views alias, and closing removes every file. */
TEST(large_pages_success)
{
    mmf_section_opts o = {.flags = MMF_SECTION_LARGE_PAGES};
    mmf_section *s, *t;
    mmf_section_info info;
    char mnt[512], *p = NULL, *q = NULL;
    uint64_t hp = meminfo("Hugepagesize") * KiB;

    LINUX_ONLY("counts huge pages in /proc/meminfo and on hugetlbfs (Windows: test-windows.c large_pages_need_privilege)");

    hugetlbfs_mount(mnt, sizeof mnt);
    if (mnt[0] == '\0' || meminfo("HugePages_Free") < 1 || hp == 0)
        SKIP("no hugetlbfs mount with free huge pages");
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.size, hp);
    CHECK(info.flags & MMF_SECTION_LARGE_PAGES);
    CHECK_EQ(info.file_backed, 0);
    CHECK_RC(mmf_section_create(&t, test_name("s"), 4096, MMF_OPEN_OR_CREATE, &o), MMF_EXISTED);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK_OK(mmf_view_map(t, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    CHECK(all_zero((unsigned char *)q, (size_t)hp));
    strcpy(p, "huge");
    CHECK(strcmp(q, "huge") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(count_in_dir(mnt, test_name("")), 0);
}

/* ------------------------------------------------------------------------ */
/* Argument checks                                                           */
/* ------------------------------------------------------------------------ */

TEST(bad_disposition_einval)
{
    static const int bad[] = {0, 3, -1, 100, INT_MIN, INT_MAX};
    mmf_section *s = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, bad[i], NULL), MMF_EINVAL);
        CHECK_RC(mmf_section_create(&s, NULL, 4096, bad[i], NULL), MMF_EINVAL);
    }
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
}

/* B15: unknown protection bits are refused. */
TEST(bad_prot_einval)
{
    static const unsigned bad[] = {0x8, 0x10, 0x80000000u, 0xffffffffu,
                                   MMF_PROT_READ | 0x100};
    mmf_section *s = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mmf_section_opts o = {.prot = bad[i]};
        CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &o), MMF_EINVAL);
        CHECK_RC(mmf_section_create(&s, NULL, 4096, MMF_CREATE_NEW, &o), MMF_EINVAL);
    }
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
}

/* Valid protections; MMF_PROT_READ is always implied, 0 means read-write. */
TEST(prot_values)
{
    static const unsigned in[] = {0, MMF_PROT_READ, MMF_PROT_WRITE,
                                  MMF_PROT_READ | MMF_PROT_WRITE, MMF_PROT_EXEC,
                                  MMF_PROT_READ | MMF_PROT_EXEC,
                                  MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC};
    static const unsigned out[] = {3, 1, 3, 3, 5, 5, 7};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        mmf_section_opts o = {.prot = in[i]};
        mmf_section *s;
        mmf_section_info info;
        CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &o));
        CHECK_OK(mmf_section_stat(s, &info));
        CHECK_EQ(info.prot, out[i]);
        /* H09: the creator's handle can do what the protection allows. */
        CHECK(info.access & MMF_ACCESS_READ);
        if (out[i] & MMF_PROT_WRITE)
            CHECK(info.access & MMF_ACCESS_WRITE);
        if (out[i] & MMF_PROT_EXEC)
            CHECK(info.access & MMF_ACCESS_EXEC);
        CHECK_OK(mmf_section_close(s));
    }
}

/* C09: unknown section flags are refused. */
TEST(bad_flags_einval)
{
    static const unsigned bad[] = {0x8, 0x10, 0x100, 0x80000000u, 0xffffffffu,
                                   MMF_SECTION_RESERVE | 0x40};
    mmf_section *s = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mmf_section_opts o = {.flags = bad[i]};
        CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &o), MMF_EINVAL);
        CHECK_RC(mmf_section_create(&s, NULL, 4096, MMF_CREATE_NEW, &o), MMF_EINVAL);
    }
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
}

/* Permission bits beyond 0777 (setuid, setgid, sticky, junk) are refused. */
TEST(bad_mode_einval)
{
    static const unsigned bad[] = {01000, 02000, 04000, 04755, 07777, 0x10000,
                                   0xffffffffu};
    mmf_section *s = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mmf_section_opts o = {.mode = bad[i]};
        CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &o), MMF_EINVAL);
    }
    CHECK(s == NULL);
    CHECK_EQ(test_store_count(test_name("")), 0);
}

/* The mode is applied exactly, whatever the umask; 0 means 0600. */
#ifndef _WIN32
TEST(mode_applied_exactly)
{
    static const unsigned modes[] = {0, 0600, 0640, 0644, 0660, 0666, 0400};
    static const unsigned want[] = {0600, 0600, 0640, 0644, 0660, 0666, 0400};
    mode_t old = umask(077);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        mmf_section_opts o = {.mode = modes[i]};
        mmf_section *s;
        char path[1024];
        struct stat st;
        CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &o));
        store_file(test_name("s"), path, sizeof path);
        CHECK(stat(path, &st) == 0);
        CHECK_EQ(st.st_mode & 07777, want[i]);
        CHECK_EQ(st.st_uid, geteuid());
        CHECK_OK(mmf_section_close(s));
    }
    umask(old);
}
#else
LINUX_ONLY_TEST(mode_applied_exactly, "checks /dev/shm file modes (test-windows.c checks the DACLs)")
#endif

/* Open with access 0 or unknown bits. */
TEST(open_bad_access_einval)
{
    static const unsigned bad[] = {0, 0x8, 0x10, MMF_ACCESS_READ | 0x80,
                                   0x80000000u, 0xffffffffu};
    mmf_section *s, *o = NULL;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_RC(mmf_section_open(&o, test_name("s"), bad[i]), MMF_EINVAL);
    CHECK(o == NULL);
    CHECK_OK(mmf_section_close(s));
}

/* H02, E03: a read-only section cannot be opened for writing. */
TEST(open_write_on_readonly_eacces)
{
    mmf_section_opts ro = {.prot = MMF_PROT_READ};
    mmf_section *s, *o = NULL;
    mmf_section_info info;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &ro));
    CHECK_RC(mmf_section_open(&o, test_name("s"), MMF_ACCESS_WRITE), MMF_EACCES);
    CHECK_RC(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ | MMF_ACCESS_WRITE), MMF_EACCES);
    CHECK_RC(mmf_section_open(&o, test_name("s"), MMF_ACCESS_ALL), MMF_EACCES);
    CHECK(o == NULL);
    CHECK_OK(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_stat(o, &info));
    CHECK_EQ(info.access, MMF_ACCESS_READ);
    CHECK_EQ(info.prot, MMF_PROT_READ);
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_section_close(s));
}

/* H06: execute access needs a section created with MMF_PROT_EXEC. */
TEST(open_exec_needs_prot_exec)
{
    mmf_section_opts rx = {.prot = MMF_PROT_READ | MMF_PROT_EXEC};
    mmf_section *s, *x, *o = NULL;
    mmf_section_info info;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_section_open(&o, test_name("s"), MMF_ACCESS_EXEC), MMF_EACCES);
    CHECK_RC(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ | MMF_ACCESS_EXEC), MMF_EACCES);
    CHECK(o == NULL);
    CHECK_OK(mmf_section_create(&x, test_name("x"), 4096, MMF_CREATE_NEW, &rx));
    CHECK_OK(mmf_section_open(&o, test_name("x"), MMF_ACCESS_READ | MMF_ACCESS_EXEC));
    CHECK_OK(mmf_section_stat(o, &info));
    CHECK_EQ(info.access, MMF_ACCESS_READ | MMF_ACCESS_EXEC);
    CHECK_EQ(info.prot, MMF_PROT_READ | MMF_PROT_EXEC);
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_section_close(x));
    CHECK_OK(mmf_section_close(s));
}

/* E07: what mmf_section_stat reports. */
TEST(info_fields)
{
    mmf_section_opts g = {.flags = MMF_GLOBAL | MMF_SECTION_RESERVE,
                          .prot = MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC};
    mmf_section *s, *o, *x;
    mmf_section_info info;
    char want[300];

    memset(&info, 0x5a, sizeof info);
    CHECK_OK(mmf_section_create(&s, test_name("s"), 10000, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.size, round_up(10000, mmf_page_size()));
    CHECK_EQ(info.prot, MMF_PROT_READ | MMF_PROT_WRITE);
    CHECK_EQ(info.access & (MMF_ACCESS_READ | MMF_ACCESS_WRITE),
             MMF_ACCESS_READ | MMF_ACCESS_WRITE);
    CHECK_EQ(info.flags, 0);
    CHECK_EQ(info.file_backed, 0);
    snprintf(want, sizeof want, "Local\\%s", test_name("s"));
    CHECK(strcmp(info.name, want) == 0);

    CHECK_OK(mmf_section_open(&o, test_name("s"), MMF_ACCESS_WRITE));
    CHECK_OK(mmf_section_stat(o, &info));
    CHECK_EQ(info.access, MMF_ACCESS_WRITE);
    CHECK(strcmp(info.name, want) == 0);
    CHECK_OK(mmf_section_close(o));

    CHECK_OK(mmf_section_create(&x, test_name("g"), 4096, MMF_CREATE_NEW, &g));
    CHECK_OK(mmf_section_stat(x, &info));
    CHECK_EQ(info.prot, MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC);
    CHECK_EQ(info.access, MMF_ACCESS_ALL);
    CHECK_EQ(info.flags, MMF_GLOBAL | MMF_SECTION_RESERVE);
    snprintf(want, sizeof want, "Global\\%s", test_name("g"));
    CHECK(strcmp(info.name, want) == 0);
    CHECK_OK(mmf_section_open(&o, want, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_stat(o, &info));
    CHECK_EQ(info.flags, MMF_GLOBAL | MMF_SECTION_RESERVE);
    CHECK_EQ(info.access, MMF_ACCESS_READ);
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_section_close(x));
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* The shared namespace and damaged store files                              */
/* ------------------------------------------------------------------------ */

/* E09, P01, P03: a name held by a mutex, event, semaphore or channel cannot
 * be opened or created as a section. The other object is made by hand (a
 * valid header of that type with a live reference), since the public API
 * for those types may not exist yet. */
#ifndef _WIN32
TEST(name_of_other_type_etype)
{
    static const uint32_t types[] = {MMF__TYPE_MUTEX, MMF__TYPE_EVENT,
                                     MMF__TYPE_SEMAPHORE, MMF__TYPE_CHANNEL};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct fake f;
        fake_header(&f, test_name("o"), types[i]);
        fake_write(&f, NULL, 0, MMF__HDR_SIZE, 1);
        int rc = expect_all(test_name("o"), f.path, MMF_ETYPE);
        fake_remove(&f);
        CHECK_EQ(rc, 0);
    }
}
#else
LINUX_ONLY_TEST(name_of_other_type_etype, "plants a Linux store file of another type")
#endif

/* Damage one field of a section header. */
enum damage {
    BAD_MAGIC, BAD_VERSION, BAD_HDR_SIZE, TYPE_ZERO, TYPE_UNKNOWN, NAME_LEN_HUGE,
    NAME_LEN_MAX, NAME_NOT_TERMINATED, PATH_LEN_HUGE, PROT_UNKNOWN, SIZE_ZERO,
    DATA_SMALLER_THAN_SIZE, FILE_LARGER, FILE_SMALLER, DATA_SIZE_HUGE,
    FILE_FLAG_WITH_DATA, FILE_FLAG_NO_PATH, NAME_MISMATCH, TRUNCATED_100,
    EMPTY_FILE, NDAMAGE
};

#ifndef _WIN32
static const char *const damage_names[] = {
    "bad magic", "bad version", "bad hdr_size", "type 0", "type 99",
    "name_len huge", "name_len at buffer end", "name not terminated",
    "path_len huge", "unknown prot bits", "size 0", "data_size < size",
    "file larger than header says", "file smaller than header says",
    "huge data_size", "file flag with data", "file flag without path",
    "name mismatch", "truncated to 100 bytes", "empty file",
};
#endif

#ifndef _WIN32
static void make_damaged(struct fake *f, const char *name, enum damage d, int hold)
{
    uint64_t file_size = MMF__HDR_SIZE + 4096;
    fake_header(f, name, MMF__TYPE_SECTION);
    switch (d) {
    case BAD_MAGIC: f->h.magic ^= 1; break;
    case BAD_VERSION: f->h.version = MMF__HDR_VERSION + 1; break;
    case BAD_HDR_SIZE: f->h.hdr_size = 8192; break;
    case TYPE_ZERO: f->h.type = 0; break;
    case TYPE_UNKNOWN: f->h.type = 99; break;
    case NAME_LEN_HUGE: f->h.name_len = 0xffffffffu; break;
    case NAME_LEN_MAX:
        memset(f->h.name, 'n', sizeof f->h.name);
        f->h.name_len = sizeof f->h.name;
        break;
    case NAME_NOT_TERMINATED: f->h.name_len = 3; break;
    case PATH_LEN_HUGE: f->h.path_len = 0x7fffffffu; break;
    case PROT_UNKNOWN: f->h.prot = 0x83; break;
    case SIZE_ZERO: f->h.size = 0; break;
    case DATA_SMALLER_THAN_SIZE: f->h.size = 8192; break;
    case FILE_LARGER: file_size += 4096; break;
    case FILE_SMALLER: f->h.size = f->h.data_size = 8192; break;
    case DATA_SIZE_HUGE:
        /* hdr_size + data_size overflows. */
        f->h.data_size = UINT64_MAX;
        f->h.size = UINT64_MAX - 4095;
        break;
    case FILE_FLAG_WITH_DATA:
        f->h.flags = MMF__HF_FILE;
        snprintf(f->h.path, sizeof f->h.path, "/etc/passwd");
        f->h.path_len = (uint32_t)strlen(f->h.path);
        break;
    case FILE_FLAG_NO_PATH:
        f->h.flags = MMF__HF_FILE;
        f->h.data_size = 0;
        file_size = MMF__HDR_SIZE;
        break;
    case NAME_MISMATCH:
        snprintf(f->h.name, sizeof f->h.name, "Local\\%s", test_name("other"));
        f->h.name_len = (uint32_t)strlen(f->h.name);
        break;
    case TRUNCATED_100: file_size = 100; break;
    case EMPTY_FILE: file_size = 0; break;
    case NDAMAGE: break;
    }
    if (d == TRUNCATED_100)
        fake_write(f, &f->h, 100, file_size, hold);
    else if (d == EMPTY_FILE)
        fake_write(f, "", 0, 0, hold);
    else
        fake_write(f, NULL, 0, file_size, hold);
}
#endif

/* A live object (someone holds a reference) whose header is damaged is
 * reported as MMF_ECORRUPT by open and create, and left in place. */
#ifndef _WIN32
TEST(corrupt_header_ecorrupt)
{
    for (int d = 0; d < NDAMAGE; d++) {
        struct fake f;
        make_damaged(&f, test_name("c"), (enum damage)d, 1);
        int rc = expect_all(test_name("c"), f.path, MMF_ECORRUPT);
        fake_remove(&f);
        if (rc != 0)
            test_fail(__FILE__, __LINE__, "damage '%s' not reported", damage_names[d]);
    }
}
#else
LINUX_ONLY_TEST(corrupt_header_ecorrupt, "damages the Linux store file header")
#endif

/* A damaged object that nobody holds is stale: open reports it absent and
 * removes it, and create makes a good section in its place. */
#ifndef _WIN32
HELPER(stale_probe)
{
    const char *name = argv[0];
    enum damage d = (enum damage)atoi(argv[1]);
    mmf_section *s;
    mmf_section_info info;
    struct fake f;
    struct stat st;

    (void)argc;
    store_file(name, f.path, sizeof f.path);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK(lstat(f.path, &st) != 0 && errno == ENOENT);
    make_damaged(&f, name, d, 0);
    close(f.fd);
    CHECK_RC(mmf_section_create(&s, name, 8192, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.size, 8192);
    CHECK_OK(mmf_section_close(s));
    CHECK(lstat(f.path, &st) != 0 && errno == ENOENT);
    return 0;
}
#endif

#ifndef _WIN32
TEST(corrupt_stale_reclaimed)
{
    for (int d = 0; d < NDAMAGE; d++) {
        struct fake f;
        char arg[16];
        int rc;

        make_damaged(&f, test_name("c"), (enum damage)d, 0);
        close(f.fd);
        snprintf(arg, sizeof arg, "%d", d);
        rc = test_wait(test_spawn("stale_probe", test_name("c"), arg, NULL));
        unlink(f.path);
        if (rc != 0)
            test_fail(__FILE__, __LINE__, "stale object with damage '%s' not reclaimed",
                      damage_names[d]);
    }
}
#else
LINUX_ONLY_TEST(corrupt_stale_reclaimed, "plants a stale Linux store file")
#endif

/* A hostile file owned by another user squatting a Local\ name is refused
 * with MMF_EACCES, not used. */
#ifndef _WIN32
TEST(other_users_file_eacces)
{
    struct fake f;
    int rc;
    if (geteuid() != 0)
        SKIP("needs root to make a file of another user");
    fake_header(&f, test_name("o"), MMF__TYPE_SECTION);
    fake_write(&f, NULL, 0, MMF__HDR_SIZE + 4096, 1);
    CHECK(fchown(f.fd, 65534, 65534) == 0);
    rc = expect_all(test_name("o"), f.path, MMF_EACCES);
    fake_remove(&f);
    CHECK_EQ(rc, 0);
}
#else
LINUX_ONLY_TEST(other_users_file_eacces, "needs root to switch uid")
#endif

/* A symlink at an object's path is never followed, whether it points at a
 * system file or at another object. */
#ifndef _WIN32
TEST(symlink_at_path_ecorrupt)
{
    char path[1024], target[1024];
    struct stat before, after;
    mmf_section *t;
    int rc;

    CHECK(stat("/etc/passwd", &before) == 0);
    store_file(test_name("l"), path, sizeof path);
    CHECK(symlink("/etc/passwd", path) == 0);
    rc = expect_all(test_name("l"), path, MMF_ECORRUPT);
    CHECK(unlink(path) == 0);
    CHECK_EQ(rc, 0);
    CHECK(stat("/etc/passwd", &after) == 0);
    CHECK(before.st_size == after.st_size && before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
          before.st_mtim.tv_nsec == after.st_mtim.tv_nsec && before.st_mode == after.st_mode);

    CHECK_OK(mmf_section_create(&t, test_name("t"), 4096, MMF_CREATE_NEW, NULL));
    store_file(test_name("t"), target, sizeof target);
    CHECK(symlink(target, path) == 0);
    rc = expect_all(test_name("l"), path, MMF_ECORRUPT);
    CHECK(unlink(path) == 0);
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(rc, 0);
}
#else
LINUX_ONLY_TEST(symlink_at_path_ecorrupt, "plants a symbolic link in the Linux store")
#endif

/* A hard link makes another name's file appear under this name: the header
 * names the other object, so it is refused (never opened as this name). */
#ifndef _WIN32
TEST(hardlink_at_path_ecorrupt)
{
    char path[1024], target[1024];
    mmf_section *t;
    int rc;
    CHECK_OK(mmf_section_create(&t, test_name("t"), 4096, MMF_CREATE_NEW, NULL));
    store_file(test_name("t"), target, sizeof target);
    store_file(test_name("l"), path, sizeof path);
    CHECK(link(target, path) == 0);
    rc = expect_all(test_name("l"), path, MMF_ECORRUPT);
    CHECK(unlink(path) == 0);
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(rc, 0);
}
#else
LINUX_ONLY_TEST(hardlink_at_path_ecorrupt, "plants a hard link in the Linux store")
#endif

/* A directory squatting the name is not an object: a clear error
 * (MMF_ECORRUPT, or "absent" when opening), never MMF_EIO or a hang. */
HELPER(directory_probe)
{
    const char *name = argv[0];
    mmf_section *s = NULL;
    int rc;

    (void)argc;
    rc = mmf_section_open(&s, name, MMF_ACCESS_READ);
    CHECK(rc == MMF_ECORRUPT || rc == MMF_ENOENT);
    rc = mmf_section_open(&s, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE);
    CHECK_RC(rc == MMF_ENOENT ? MMF_ECORRUPT : rc, MMF_ECORRUPT);
    rc = mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, NULL);
    CHECK(rc == MMF_ECORRUPT || rc == MMF_EEXIST);
    CHECK_RC(mmf_section_create(&s, name, 4096, MMF_OPEN_OR_CREATE, NULL), MMF_ECORRUPT);
    CHECK(s == NULL);
    return 0;
}

#ifndef _WIN32
TEST(directory_at_path)
{
    char path[1024];
    int rc;

    store_file(test_name("d"), path, sizeof path);
    CHECK(mkdir(path, 0700) == 0);
    rc = test_wait(test_spawn("directory_probe", test_name("d"), NULL));
    CHECK(rmdir(path) == 0);
    CHECK_EQ(rc, 0);
}
#else
LINUX_ONLY_TEST(directory_at_path, "plants a folder in the Linux store")
#endif

/* A FIFO squatting the name: never blocks; it is either refused or, being
 * nobody's object, reclaimed so that create works. */
#ifndef _WIN32
TEST(fifo_at_path)
{
    char path[1024];
    mmf_section *s = NULL;
    struct stat st;
    int rc;

    store_file(test_name("f"), path, sizeof path);
    CHECK(mkfifo(path, 0600) == 0);
    rc = mmf_section_open(&s, test_name("f"), MMF_ACCESS_READ | MMF_ACCESS_WRITE);
    CHECK(rc == MMF_ECORRUPT || rc == MMF_ENOENT);
    CHECK(s == NULL);
    rc = mmf_section_create(&s, test_name("f"), 4096, MMF_OPEN_OR_CREATE, NULL);
    if (rc == 0) {
        void *p = NULL;
        CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p));
        CHECK_OK(mmf_view_unmap(p));
        CHECK_OK(mmf_section_close(s));
    } else {
        CHECK_RC(rc, MMF_ECORRUPT);
    }
    if (lstat(path, &st) == 0)
        CHECK(unlink(path) == 0);
}
#else
LINUX_ONLY_TEST(fifo_at_path, "plants a FIFO in the Linux store")
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* Every code has its own name and description. */
TEST(strerror_and_err_name)
{
    static const struct {
        int code;
        const char *name;
        const char *text;
    } codes[] = {
#define ENTRY(name, value, text) {MMF_##name, "MMF_" #name, text},
        MMF_ERRNO_MAP(ENTRY)
#undef ENTRY
    };
    static const int unknown[] = {-3, -4000, -4999, -9999, 12345, INT_MIN, INT_MAX};
    size_t n = sizeof codes / sizeof codes[0];

    /* What the compiler knows is checked when it compiles: the whole list
     * is here; and (in src/error.c, which builds the list into the
     * library) every code is negative and in its range, and no two are
     * equal. */
    _Static_assert(sizeof codes / sizeof codes[0] >= 26, "every code of the list");
    for (size_t i = 0; i < n; i++) {
        CHECK(strcmp(mmf_err_name(codes[i].code), codes[i].name) == 0);
        CHECK(strcmp(mmf_strerror(codes[i].code), codes[i].text) == 0);
        CHECK(strlen(mmf_strerror(codes[i].code)) > 0);
        CHECK(strcmp(mmf_strerror(codes[i].code), "unknown error") != 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(codes[i].text, codes[j].text) != 0);
    }
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK(strcmp(mmf_err_name(unknown[i]), "MMF_UNKNOWN") == 0);
        CHECK(strcmp(mmf_strerror(unknown[i]), "unknown error") == 0);
    }
    CHECK(mmf_strerror(0) != NULL && mmf_err_name(0) != NULL);
    CHECK(strcmp(mmf_err_name(0), "MMF_UNKNOWN") != 0);
}

/* A07: the page size, and a granularity that is a multiple of it (the
 * page size on Linux). */
TEST(page_size_and_granularity)
{
    size_t page = mmf_page_size(), gran = mmf_allocation_granularity();
    CHECK(page >= 4096 && (page & (page - 1)) == 0);
    CHECK_EQ(page, (size_t)sysconf(_SC_PAGESIZE));
    CHECK(gran >= page && gran % page == 0);
}
