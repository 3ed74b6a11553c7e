/* SPDX-License-Identifier: MIT */
/* test-view.c - views: offsets and sizes, aliasing, fixed addresses, access
 * against the handle and the section, copy-on-write, execute and no-access
 * views, unmapping by any inner address, flushing, and views seen across
 * processes. */
#include "test.h"

#include <fcntl.h>
#ifndef _WIN32
#include <sys/mman.h>
#endif
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/statvfs.h>
#endif

#define MiB ((size_t)1 << 20)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static size_t gran(void)
{
    return mmf_allocation_granularity();
}

static size_t page(void)
{
    return mmf_page_size();
}

static mmf_section *make(const char *tag, uint64_t size, unsigned prot, unsigned flags)
{
    mmf_section_opts o = {.flags = flags, .prot = prot};
    mmf_section *s;
    CHECK_OK(mmf_section_create(&s, test_name(tag), size, MMF_CREATE_NEW, &o));
    return s;
}

static void *map(mmf_section *s, unsigned how, uint64_t offset, size_t size)
{
    void *p = NULL;
    CHECK_OK(mmf_view_map(s, how, offset, size, 0, &p));
    CHECK(p != NULL);
    CHECK_EQ((uintptr_t)p % gran(), 0); /* G09 */
    return p;
}

static mmf_view_info query(const void *p)
{
    mmf_view_info vi;
    CHECK_OK(mmf_view_stat(p, &vi));
    return vi;
}

/* Pages of [addr, addr + len) resident in memory, or -1 if the range is
 * not (entirely) mapped. */
static long resident(const void *addr, size_t len)
{
    return test_resident(addr, len);
}

/* 1 if no byte of [addr, addr + len) is mapped in this process. */
#ifdef _WIN32
static int unmapped(const void *addr, size_t len)
{
    for (size_t off = 0; off < len; off += page()) {
        if (test_addr_prot((const char *)addr + off) != -1)
            return 0;
    }
    return 1;
}
#else
static int unmapped(const void *addr, size_t len)
{
    for (size_t off = 0; off < len; off += page()) {
        unsigned char v;
        if (mincore((char *)addr + off, 1, &v) == 0 || errno != ENOMEM)
            return 0;
    }
    return 1;
}
#endif

/* The permissions of the mapping that starts at base, as in /proc/self/maps
 * ("r-xs"), or "" if none starts there. */
#ifdef _WIN32
/* Windows: the protection of the page at base, spelled the same way ("s"
 * shared, "p" copy-on-write). */
static void perms_at(const void *base, char perms[5])
{
    int prot = test_addr_prot(base);
    perms[0] = '\0';
    if (prot < 0)
        return;
    perms[0] = prot & TEST_PROT_READ ? 'r' : '-';
    perms[1] = prot & TEST_PROT_WRITE ? 'w' : '-';
    perms[2] = prot & TEST_PROT_EXEC ? 'x' : '-';
    perms[3] = prot & TEST_PROT_COPY ? 'p' : 's';
    perms[4] = '\0';
}
#else
static void perms_at(const void *base, char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    perms[0] = '\0';
    CHECK(f != NULL);
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long start, end;
        char p[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &end, p) == 3 &&
            start == (unsigned long)(uintptr_t)base) {
            memcpy(perms, p, 4);
            perms[4] = '\0';
            break;
        }
    }
    fclose(f);
}
#endif

static void check_perms(const void *base, const char *want)
{
    char got[5];
    perms_at(base, got);
    if (strcmp(got, want) != 0)
        test_fail(__FILE__, __LINE__, "view %p has permissions '%s', expected '%s'",
                  base, got, want);
}

/* A free address range of len bytes, aligned to the granularity. */
static void *free_range(size_t len)
{
    size_t g = gran();
    char *p = test_reserve_range(len + g);
    uintptr_t a;
    CHECK(p != NULL);
    a = ((uintptr_t)p + g - 1) / g * g;
    test_release_range(p, len + g);
    return (void *)a;
}

/* 1 if the store's file system forbids execution. */
#ifdef _WIN32
static int store_noexec(void)
{
    return 0; /* no store file system: any section may be executable */
}
#else
static int store_noexec(void)
{
    const char *d = getenv("MMF_STORE_DIR");
    struct statvfs sv;
    CHECK(statvfs(d != NULL && d[0] == '/' ? d : "/dev/shm", &sv) == 0);
    return (sv.f_flag & ST_NOEXEC) != 0;
}
#endif

/* ------------------------------------------------------------------------ */
/* Offsets and sizes                                                         */
/* ------------------------------------------------------------------------ */

/* G01: an offset that is not a multiple of the granularity. */
TEST(offset_not_aligned_ealign)
{
    mmf_section *s = make("s", 4 * gran(), 0, 0);
    const uint64_t bad[] = {1, 100, gran() / 2, gran() - 1, gran() + 1, 3 * gran() + 7};
    void *p = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(mmf_view_map(s, MMF_MAP_READ, bad[i], 0, 0, &p), MMF_EALIGN);
        CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, bad[i], 100, 0, &p), MMF_EALIGN);
    }
    CHECK(p == NULL);
    CHECK_OK(mmf_section_close(s));
}

/* G02: an aligned offset inside the section maps that part of it. */
TEST(offset_aligned_works)
{
    mmf_section *s = make("s", 4 * gran(), 0, 0);
    char *all = map(s, MMF_MAP_WRITE, 0, 0);
    char *part = map(s, MMF_MAP_READ, 2 * gran(), 0);
    mmf_view_info vi = query(part);
    CHECK_EQ(vi.offset, 2 * gran());
    CHECK_EQ(vi.size, 2 * gran());
    strcpy(all + 2 * gran(), "at offset");
    CHECK(strcmp(part, "at offset") == 0);
    CHECK_OK(mmf_view_unmap(part));
    part = map(s, MMF_MAP_READ, 3 * gran(), gran());
    all[3 * gran()] = 'z';
    CHECK(part[0] == 'z');
    CHECK_OK(mmf_view_unmap(part));
    CHECK_OK(mmf_view_unmap(all));
    CHECK_OK(mmf_section_close(s));
}

/* G08: an offset at or past the end. */
TEST(offset_past_end_einval)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    const uint64_t bad[] = {2 * gran(), 3 * gran(), 1000 * gran(),
                            UINT64_MAX / gran() * gran()};
    void *p = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(mmf_view_map(s, MMF_MAP_READ, bad[i], 0, 0, &p), MMF_EINVAL);
        CHECK_RC(mmf_view_map(s, MMF_MAP_READ, bad[i], 1, 0, &p), MMF_EINVAL);
    }
    CHECK(p == NULL);
    CHECK_OK(mmf_section_close(s));
}

/* G07: offset + size past the end of the section. */
TEST(size_past_end_erange)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0), *r;
    void *p = NULL;
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 2 * gran() + 1, 0, &p), MMF_ERANGE);
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, gran(), gran() + 1, 0, &p), MMF_ERANGE);
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, SIZE_MAX, 0, &p), MMF_ERANGE);
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, gran(), SIZE_MAX, 0, &p), MMF_ERANGE);
    CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, gran(), SIZE_MAX - gran() + 1, 0, &p), MMF_ERANGE);
    CHECK(p == NULL);
    CHECK_OK(mmf_section_close(s));
    /* B07: a 4090-byte section is a page: a page-sized view fits. */
    CHECK_OK(mmf_section_create(&r, test_name("r"), page() - 6, MMF_CREATE_NEW, NULL));
    p = map(r, MMF_MAP_READ, 0, page());
    CHECK_OK(mmf_view_unmap(p));
    p = NULL;
    CHECK_RC(mmf_view_map(r, MMF_MAP_READ, 0, page() + 1, 0, &p), MMF_ERANGE);
    CHECK_OK(mmf_section_close(r));
}

/* G06: size 0 maps from the offset to the end. */
TEST(size_zero_maps_to_end)
{
    mmf_section *s = make("s", 5 * gran(), 0, 0);
    char *a = map(s, MMF_MAP_READ, 0, 0), *b = map(s, MMF_MAP_READ, 2 * gran(), 0);
    mmf_view_info vi = query(a);
    CHECK(vi.base == a);
    CHECK_EQ(vi.size, 5 * gran());
    CHECK_EQ(vi.offset, 0);
    CHECK_EQ(vi.map, MMF_MAP_READ);
    vi = query(b);
    CHECK_EQ(vi.size, 3 * gran());
    CHECK_EQ(vi.offset, 2 * gran());
    /* The whole range is really mapped. */
    CHECK(resident(a, 5 * gran()) >= 0);
    CHECK(resident(b, 3 * gran()) >= 0);
    CHECK_OK(mmf_view_unmap(a));
    CHECK_OK(mmf_view_unmap(b));
    CHECK_OK(mmf_section_close(s));
}

/* What mmf_view_stat reports, at the base and inside the view. */
TEST(query_fields)
{
    mmf_section *s = make("s", 8 * gran(), 0, 0);
    char *p = map(s, MMF_MAP_WRITE, 2 * gran(), 3 * gran());
    mmf_view_info vi = query(p + 3 * gran() - 1);
    CHECK(vi.base == p);
    CHECK_EQ(vi.size, 3 * gran());
    CHECK_EQ(vi.offset, 2 * gran());
    CHECK_EQ(vi.map, MMF_MAP_WRITE);
    vi = query(p + gran() + 17);
    CHECK(vi.base == p);
    CHECK_RC(mmf_view_stat(p + 3 * gran(), &vi), MMF_EFAULT);
    CHECK_RC(mmf_view_stat(p - 1, &vi), MMF_EFAULT);
    CHECK_RC(mmf_view_stat(NULL, &vi), MMF_EFAULT);
    CHECK_RC(mmf_view_stat(&vi, &vi), MMF_EFAULT);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_RC(mmf_view_stat(p, &vi), MMF_EFAULT);
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Aliasing and addresses                                                    */
/* ------------------------------------------------------------------------ */

/* G10, I08: two views of a section are different addresses for the same
 * memory. */
TEST(views_alias)
{
    mmf_section *s = make("s", 4 * gran(), 0, 0);
    mmf_section *o;
    unsigned char *a = map(s, MMF_MAP_WRITE, 0, 0), *b = map(s, MMF_MAP_WRITE, 0, 0), *c;

    CHECK(a != b);
    a[0] = 0x11;
    CHECK_EQ(b[0], 0x11);
    b[4 * gran() - 1] = 0x22;
    CHECK_EQ(a[4 * gran() - 1], 0x22);
    /* Through another handle too. */
    CHECK_OK(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ));
    c = map(o, MMF_MAP_READ, gran(), 0);
    CHECK(c != a && c != b);
    a[gran() + 5] = 0x33;
    CHECK_EQ(c[5], 0x33);
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_view_unmap(a));
    CHECK_OK(mmf_view_unmap(b));
    CHECK_OK(mmf_section_close(s));
}

/* G05, G13: a view at a requested address that is aligned and free. */
TEST(fixed_address_works)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    char *a = map(s, MMF_MAP_WRITE, 0, 0);
    void *want = free_range(2 * gran()), *p = want;

    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, MMF_VIEW_FIXED, &p));
    CHECK(p == want);
    CHECK(query(p).base == want);
    strcpy(a, "fixed");
    CHECK(strcmp((char *)p, "fixed") == 0);
    CHECK_OK(mmf_view_unmap(p));
    /* The same address again, now that it is free once more. */
    p = want;
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, gran(), 0, MMF_VIEW_FIXED, &p));
    CHECK(p == want);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_view_unmap(a));
    CHECK_OK(mmf_section_close(s));
}

/* G04, G13: a requested address already in use, wholly or in part, is
 * refused with MMF_EFAULT, and what was there is left alone. */
#ifndef _WIN32
TEST(fixed_address_in_use_efault)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    char *a = map(s, MMF_MAP_WRITE, 0, 0);
    char *anon;
    void *p;

    strcpy(a, "keep");
    p = a;
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 0, MMF_VIEW_FIXED, &p), MMF_EFAULT);
    p = a + gran();
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, gran(), MMF_VIEW_FIXED, &p), MMF_EFAULT);
    CHECK(strcmp(a, "keep") == 0);
    CHECK(query(a).base == a);
    CHECK_EQ(query(a).size, 2 * gran());

    /* Memory that is not a view (VirtualAlloc's counterpart). */
    anon = mmap(NULL, 4 * gran(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    /* Leave the first granule of an aligned range free and the next busy. */
    {
        char *base = (char *)(((uintptr_t)anon + gran() - 1) / gran() * gran());
        CHECK(munmap(base, gran()) == 0);
        base[gran()] = 'x';
        p = base;
        CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 2 * gran(), MMF_VIEW_FIXED, &p), MMF_EFAULT);
        CHECK(unmapped(base, gran()));
        CHECK(base[gran()] == 'x');
        p = base + gran();
        CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 0, MMF_VIEW_FIXED, &p), MMF_EFAULT);
        CHECK(base[gran()] == 'x');
    }
    munmap(anon, 4 * gran());
    CHECK_OK(mmf_view_unmap(a));
    CHECK_OK(mmf_section_close(s));
}
#else
LINUX_ONLY_TEST(fixed_address_in_use_efault, "frees one granule inside an anonymous mapping (munmap), which VirtualFree cannot")
#endif

/* 1 if an inaccessible private mapping ("---p") ends where [base, +len)
 * starts or starts where it ends: the left-over of a larger reservation. */
#ifdef _WIN32
static int noaccess_next_to(const void *base, size_t len)
{
    /* Windows places every view at a 64 KiB boundary itself: no larger
     * reservation is carved, so nothing can be left over. */
    (void)base, (void)len;
    return 0;
}
#else
static int noaccess_next_to(const void *base, size_t len)
{
    FILE *f = fopen("/proc/self/maps", "r");
    uintptr_t b = (uintptr_t)base, e = b + len;
    char line[512];
    int found = 0;
    CHECK(f != NULL);
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
            strcmp(perms, "---p") == 0 && (hi == b || lo == e))
            found = 1;
    }
    fclose(f);
    return found;
}
#endif

#ifdef MMF_SANITIZED
#define UNDER_SANITIZER 1
#else
#define UNDER_SANITIZER 0
#endif

/* G09: with MMF_VIEW_ALIGN every base is a multiple of 64 KiB, whatever
 * the system's granularity, also when the address space around is
 * fragmented by page-sized mappings; and the view works as any other. */
TEST(align_flag_64k_bases)
{
    mmf_section *s = make("s", 3 * page(), 0, 0);
    void *views[32], *pads[32];

    for (int i = 0; i < 32; i++) {
        /* A one-page mapping between views, so that the next address the
         * system would choose is not 64 KiB-aligned. */
        pads[i] = test_anon_map(page());
        CHECK(pads[i] != NULL);
        views[i] = NULL;
        CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, MMF_VIEW_ALIGN, &views[i]));
        CHECK_EQ((uintptr_t)views[i] % MMF_VIEW_ALIGNMENT, 0);
        CHECK(query(views[i]).base == views[i]);
        CHECK_EQ(query(views[i]).size, 3 * page());
        /* The larger reservation the view was carved from was given back:
         * nothing inaccessible is left on either side. (Not under a
         * sanitizer, whose runtime places guard mappings of its own
         * anywhere, next to a view too.) */
        CHECK(UNDER_SANITIZER || !noaccess_next_to(views[i], 3 * page()));
    }
    strcpy(views[0], "aligned");
    CHECK(strcmp(views[31], "aligned") == 0);
    for (int i = 0; i < 32; i++) {
        CHECK_OK(mmf_view_unmap(views[i]));
        CHECK(unmapped(views[i], 3 * page()));
        test_anon_unmap(pads[i], page());
    }
    CHECK_OK(mmf_section_close(s));
}

/* MMF_VIEW_ALIGN does not change a fixed address, nor the other checks. */
TEST(align_flag_with_fixed_and_errors)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    void *want = free_range(2 * gran()), *p = want;

    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, MMF_VIEW_FIXED | MMF_VIEW_ALIGN, &p));
    CHECK(p == want);
    CHECK_OK(mmf_view_unmap(p));
    p = NULL;
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 2 * gran() + 1, MMF_VIEW_ALIGN, &p),
             MMF_ERANGE);
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 2 * gran(), 0, MMF_VIEW_ALIGN, &p),
             MMF_EINVAL);
    CHECK_OK(mmf_section_close(s));
}

/* G03: a requested address that is not aligned to the granularity. */
TEST(fixed_address_misaligned_ealign)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    char *want = free_range(2 * gran());
    const size_t offs[] = {1, 42, 100, gran() / 2, gran() - 1};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        void *p = want + offs[i];
        CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 0, MMF_VIEW_FIXED, &p), MMF_EALIGN);
        CHECK(unmapped(want, 2 * gran()));
    }
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Without MMF_VIEW_FIXED the value in *addr is ignored (a stale pointer
 * left there is harmless); MMF_VIEW_FIXED with NULL is refused. */
TEST(address_ignored_without_fixed)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    char *a = map(s, MMF_MAP_WRITE, 0, 0);
    void *p = a; /* in use: would be MMF_EFAULT if it were honoured */

    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, &p));
    CHECK(p != a);
    CHECK_OK(mmf_view_unmap(p));
    p = NULL;
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 0, MMF_VIEW_FIXED, &p), MMF_EINVAL);
    CHECK_OK(mmf_view_unmap(a));
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Access                                                                    */
/* ------------------------------------------------------------------------ */

/* E03, E04, H08: a read-only handle maps read-only, copy-on-write and
 * no-access views, never writable ones. */
TEST(read_only_handle)
{
    mmf_section *s = make("s", gran(), 0, 0), *r;
    void *p = NULL;
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    CHECK_RC(mmf_view_map(r, MMF_MAP_WRITE, 0, 0, 0, &p), MMF_EACCES);
    CHECK(p == NULL);
    p = map(r, MMF_MAP_READ, 0, 0);
    check_perms(p, "r--s");
    CHECK_OK(mmf_view_unmap(p));
    p = map(r, MMF_MAP_COPY, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    p = map(r, MMF_MAP_NONE, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(s));
}

/* E05, E06: a handle with only MMF_ACCESS_WRITE cannot map read-only (or
 * copy-on-write, or no-access) views, but maps writable ones. */
TEST(write_only_handle)
{
    mmf_section *s = make("s", gran(), 0, 0), *w;
    char *a = map(s, MMF_MAP_READ, 0, 0);
    void *p = NULL;
    CHECK_OK(mmf_section_open(&w, test_name("s"), MMF_ACCESS_WRITE));
    CHECK_RC(mmf_view_map(w, MMF_MAP_READ, 0, 0, 0, &p), MMF_EACCES);
    CHECK_RC(mmf_view_map(w, MMF_MAP_COPY, 0, 0, 0, &p), MMF_EACCES);
    CHECK_RC(mmf_view_map(w, MMF_MAP_NONE, 0, 0, 0, &p), MMF_EACCES);
    CHECK(p == NULL);
    p = map(w, MMF_MAP_WRITE, 0, 0);
    check_perms(p, "rw-s");
    strcpy(p, "written");
    CHECK(strcmp(a, "written") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(w));
    CHECK_OK(mmf_view_unmap(a));
    CHECK_OK(mmf_section_close(s));
}

/* H10, H11, H12, O05: a duplicate with narrowed access refuses the views it
 * no longer allows. */
TEST(duplicate_narrowed)
{
    mmf_section *s = make("s", gran(), 0, 0), *d;
    void *p = NULL;

    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ, &d));
    CHECK_RC(mmf_view_map(d, MMF_MAP_WRITE, 0, 0, 0, &p), MMF_EACCES);
    p = map(d, MMF_MAP_READ, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    p = map(d, MMF_MAP_NONE, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(d));

    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_WRITE, &d));
    p = NULL;
    CHECK_RC(mmf_view_map(d, MMF_MAP_READ, 0, 0, 0, &p), MMF_EACCES);
    p = map(d, MMF_MAP_WRITE, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(d));

    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &d));
    p = map(d, MMF_MAP_WRITE, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(d));
    CHECK_OK(mmf_section_close(s));
}

/* H02, B16: a read-only section allows read, copy-on-write and no-access
 * views, even through its creator's handle, but no writable view. */
TEST(readonly_section)
{
    mmf_section *s = make("s", gran(), MMF_PROT_READ, 0);
    char *r, *c;
    void *p = NULL;
    CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p), MMF_EACCES);
    CHECK(p == NULL);
    r = map(s, MMF_MAP_READ, 0, 0);
    c = map(s, MMF_MAP_COPY, 0, 0);
    strcpy(c, "private");
    CHECK(r[0] == 0);
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_view_unmap(r));
    p = map(s, MMF_MAP_NONE, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* H01, H07, I07: copy-on-write: writes stay in the view; other views, new
 * views and the section never see them. */
TEST(copy_view_private)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    char *w = map(s, MMF_MAP_WRITE, 0, 0), *c, *r, *c2;
    mmf_view_info vi;

    strcpy(w, "original");
    c = map(s, MMF_MAP_COPY, 0, 0);
    vi = query(c);
    CHECK_EQ(vi.map, MMF_MAP_COPY);
    check_perms(c, "rw-p");
    CHECK(strcmp(c, "original") == 0);
    strcpy(c, "changed");
    CHECK(strcmp(c, "changed") == 0);
    CHECK(strcmp(w, "original") == 0);
    r = map(s, MMF_MAP_READ, 0, 0);
    CHECK(strcmp(r, "original") == 0);
    c2 = map(s, MMF_MAP_COPY, 0, 0);
    CHECK(strcmp(c2, "original") == 0);
    /* A written page is the view's own: later shared writes do not show. */
    strcpy(w, "later");
    CHECK(strcmp(c, "changed") == 0);
    CHECK_OK(mmf_view_flush(c, 0));
    CHECK(strcmp(w, "later") == 0);
    CHECK_OK(mmf_view_unmap(c));
    CHECK(strcmp(r, "later") == 0);
    CHECK_OK(mmf_view_unmap(c2));
    CHECK_OK(mmf_view_unmap(r));
    CHECK_OK(mmf_view_unmap(w));
    CHECK_OK(mmf_section_close(s));
}

/* H04, H05: an execute view of a section created with MMF_PROT_EXEC. */
TEST(exec_view)
{
    mmf_section *s = make("s", gran(), MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC, 0);
    unsigned char *w = map(s, MMF_MAP_WRITE, 0, 0);
    void *x = NULL;
    int rc = mmf_view_map(s, MMF_MAP_READ | MMF_MAP_EXEC, 0, 0, 0, &x);

    if (store_noexec()) {
        CHECK_RC(rc, MMF_ENOTSUP);
    } else {
        CHECK_RC(rc, 0);
        CHECK_EQ(query(x).map, MMF_MAP_READ | MMF_MAP_EXEC);
        check_perms(x, "r-xs");
#if defined(__x86_64__)
        {
            static const unsigned char code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3}; /* mov eax,42; ret */
            int (*fn)(void);
            memcpy(w, code, sizeof code);
            memcpy(&fn, &x, sizeof fn);
            CHECK_EQ(fn(), 42);
        }
#elif defined(__aarch64__)
        {
            static const uint32_t code[] = {0x52800540u, 0xd65f03c0u}; /* mov w0,#42; ret */
            int (*fn)(void);
            memcpy(w, code, sizeof code);
            __builtin___clear_cache((char *)x, (char *)x + sizeof code);
            memcpy(&fn, &x, sizeof fn);
            CHECK_EQ(fn(), 42);
        }
#endif
        CHECK_OK(mmf_view_unmap(x));
        x = map(s, MMF_MAP_WRITE | MMF_MAP_EXEC, 0, 0);
        check_perms(x, "rwxs");
        CHECK_OK(mmf_view_unmap(x));
        x = map(s, MMF_MAP_COPY | MMF_MAP_EXEC, 0, 0);
        check_perms(x, "rwxp");
        CHECK_OK(mmf_view_unmap(x));
    }
    CHECK_OK(mmf_view_unmap(w));
    CHECK_OK(mmf_section_close(s));
}

/* H06: no execute view of a section without MMF_PROT_EXEC, nor through a
 * handle without MMF_ACCESS_EXEC. */
TEST(exec_view_refused)
{
    mmf_section *s = make("s", gran(), 0, 0);
    mmf_section *x = make("x", gran(), MMF_PROT_READ | MMF_PROT_EXEC, 0), *r;
    void *p = NULL;

    CHECK_RC(mmf_view_map(s, MMF_MAP_READ | MMF_MAP_EXEC, 0, 0, 0, &p), MMF_EACCES);
    CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE | MMF_MAP_EXEC, 0, 0, 0, &p), MMF_EACCES);
    CHECK_RC(mmf_view_map(s, MMF_MAP_COPY | MMF_MAP_EXEC, 0, 0, 0, &p), MMF_EACCES);
    /* A read-execute section has no writable execute view. */
    CHECK_RC(mmf_view_map(x, MMF_MAP_WRITE | MMF_MAP_EXEC, 0, 0, 0, &p), MMF_EACCES);
    CHECK_OK(mmf_section_open(&r, test_name("x"), MMF_ACCESS_READ));
    CHECK_RC(mmf_view_map(r, MMF_MAP_READ | MMF_MAP_EXEC, 0, 0, 0, &p), MMF_EACCES);
    CHECK(p == NULL);
    p = map(r, MMF_MAP_READ, 0, 0);
    check_perms(p, "r--s");
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(x));
    CHECK_OK(mmf_section_close(s));
}

/* H01: a no-access view reserves the range. */
TEST(map_none_view)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    void *p = map(s, MMF_MAP_NONE, 0, 0);
    mmf_view_info vi = query(p);
    char got[5];
    CHECK_EQ(vi.map, MMF_MAP_NONE);
    CHECK_EQ(vi.size, 2 * gran());
    perms_at(p, got);
    CHECK(strncmp(got, "---", 3) == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK(unmapped(p, 2 * gran()));
    CHECK_OK(mmf_section_close(s));
    /* The same over a reserved section of which nothing is committed. */
    s = make("r", 2 * gran(), 0, MMF_SECTION_RESERVE);
    p = map(s, MMF_MAP_NONE, 0, 0);
    CHECK_EQ(query(p).map, MMF_MAP_NONE);
#ifdef _WIN32
    /* Windows: pages nobody committed show as reserved, not as no-access. */
    CHECK(test_addr_prot(p) <= 0);
    CHECK(test_addr_prot((char *)p + 2 * gran() - 1) <= 0);
#else
    perms_at(p, got);
    CHECK(strncmp(got, "---", 3) == 0);
#endif
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* Combinations of map bits that mean nothing, and unknown bits. */
TEST(invalid_map_einval)
{
    static const unsigned bad[] = {
        MMF_MAP_WRITE | MMF_MAP_COPY, MMF_MAP_READ | MMF_MAP_WRITE | MMF_MAP_COPY,
        MMF_MAP_WRITE | MMF_MAP_COPY | MMF_MAP_EXEC, MMF_MAP_EXEC, 0x10, 0x20,
        0x80000000u, MMF_MAP_READ | 0x100, 0xffffffffu};
    mmf_section *s = make("s", gran(), MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC, 0);
    void *p = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_RC(mmf_view_map(s, bad[i], 0, 0, 0, &p), MMF_EINVAL);
    CHECK(p == NULL);
    CHECK_OK(mmf_section_close(s));
}

TEST(unknown_view_flags_einval)
{
    static const unsigned bad[] = {0x2, 0x8, 0x100, 0x80000000u, MMF_VIEW_POPULATE | 0x10};
    mmf_section *s = make("s", gran(), 0, 0);
    void *p = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 0, bad[i], &p), MMF_EINVAL);
    CHECK(p == NULL);
    CHECK_OK(mmf_section_close(s));
}

/* MMF_VIEW_POPULATE faults the whole view in now; on a reserved section it
 * commits the pages. */
TEST(view_populate)
{
    size_t size = 4 * MiB;
    mmf_section *s = make("s", size, 0, MMF_SECTION_RESERVE);
    char *lazy = map(s, MMF_MAP_READ, 0, 0), *p = NULL;

    CHECK_EQ(resident(lazy, size), 0);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, MMF_VIEW_POPULATE, (void **)&p));
    CHECK_EQ(resident(p, size), (long)(size / page()));
#ifdef _WIN32
    /* The pages are the section's: the lazy view now finds them too.
     * Windows counts residency per view (its working set), so the lazy
     * view shows them once it has touched each one: a soft fault, which
     * would be an access violation had the populate not committed them.
     * Wine 8 keeps a reserved section's commits per view: the lazy view
     * reads the pages, but its residency and VirtualQuery still say
     * reserved (docs/windows.md, what Wine cannot show). */
    CHECK_EQ(resident(lazy, size), 0);
    for (size_t off = 0; off < size; off += page())
        p[off] = (char)(1 + off / page() % 100);
    for (size_t off = 0; off < size; off += page())
        CHECK_EQ(lazy[off], 1 + off / page() % 100);
    if (!test_under_wine()) {
        CHECK(test_addr_prot(lazy) == TEST_PROT_READ);
        CHECK_EQ(resident(lazy, size), (long)(size / page()));
    }
    for (size_t off = 0; off < size; off += page())
        p[off] = 0;
#else
    /* The pages are the section's: the lazy view now finds them too. */
    CHECK_EQ(resident(lazy, size), (long)(size / page()));
#endif
    CHECK(p[size - 1] == 0);
    CHECK_OK(mmf_view_unmap(p));
    p = NULL;
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, MiB, MMF_VIEW_POPULATE, (void **)&p));
    CHECK_EQ(resident(p, MiB), (long)(MiB / page()));
    CHECK_OK(mmf_view_unmap(p));
    p = NULL;
    CHECK_OK(mmf_view_map(s, MMF_MAP_COPY, 0, 0, MMF_VIEW_POPULATE, (void **)&p));
    CHECK_OK(mmf_view_unmap(p));
    p = NULL;
    CHECK_OK(mmf_view_map(s, MMF_MAP_NONE, 0, 0, MMF_VIEW_POPULATE, (void **)&p));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_view_unmap(lazy));
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Unmapping                                                                 */
/* ------------------------------------------------------------------------ */

/* L02: any address inside a view unmaps the whole view. */
TEST(unmap_inner_address)
{
    mmf_section *s = make("s", 3 * gran(), 0, 0);
    const size_t offs[] = {100, gran(), gran() + 100, 3 * gran() - 1};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        char *p = map(s, MMF_MAP_WRITE, 0, 3 * gran());
        mmf_view_info vi;
        p[0] = 1;
        CHECK_OK(mmf_view_unmap(p + offs[i]));
        CHECK_RC(mmf_view_stat(p, &vi), MMF_EFAULT);
        CHECK_RC(mmf_view_stat(p + offs[i], &vi), MMF_EFAULT);
        CHECK(unmapped(p, 3 * gran()));
    }
    CHECK_OK(mmf_section_close(s));
}

/* L01, L06: a view unmapped twice. */
TEST(unmap_twice_efault)
{
    mmf_section *s = make("s", gran(), 0, 0);
    char *p = map(s, MMF_MAP_READ, 0, 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_RC(mmf_view_unmap(p), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap(p + 10), MMF_EFAULT);
    CHECK_OK(mmf_section_close(s));
}

/* L03, L04, L05, L07: addresses that are not in a view. */
TEST(unmap_bogus_efault)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    char *view = map(s, MMF_MAP_WRITE, 0, 0);
    char *heap = malloc(100);
    int on_stack = 0;
    char *anon = test_anon_map(4 * gran());

    CHECK(heap != NULL && anon != NULL);
    strcpy(view, "still here");
    CHECK_RC(mmf_view_unmap((void *)(uintptr_t)0xdeadbeef), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap(NULL), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap(heap), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap(&on_stack), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap(anon), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap(anon + 0x3000), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap((void *)(uintptr_t)UINTPTR_MAX), MMF_EFAULT);
    CHECK_RC(mmf_view_unmap(view + 2 * gran()), MMF_EFAULT); /* one past the end */
    CHECK_RC(mmf_view_unmap(view - 1), MMF_EFAULT);
    /* Nothing was unmapped on the way. */
    anon[0x3000] = 1;
    strcpy(heap, "heap");
    CHECK(strcmp(view, "still here") == 0);
    CHECK(query(view).base == view);
    test_anon_unmap(anon, 4 * gran());
    free(heap);
    CHECK_OK(mmf_view_unmap(view));
    CHECK_OK(mmf_section_close(s));
}

/* L08: unmapping one view leaves the others and the handle working. */
TEST(unmap_one_leaves_others)
{
    mmf_section *s = make("s", gran(), 0, 0);
    char *a = map(s, MMF_MAP_WRITE, 0, 0), *b = map(s, MMF_MAP_WRITE, 0, 0), *c;
    strcpy(a, "one");
    CHECK_OK(mmf_view_unmap(a));
    CHECK(strcmp(b, "one") == 0);
    strcpy(b, "two");
    c = map(s, MMF_MAP_READ, 0, 0);
    CHECK(strcmp(c, "two") == 0);
    CHECK(query(b).base == b);
    CHECK_OK(mmf_view_unmap(b));
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_section_close(s));
}

/* Many views in one process: each is found by any of its addresses and
 * unmapped alone, in any order. */
TEST(many_views)
{
    enum { N = 200 };
    mmf_section *s = make("s", 4 * gran(), 0, 0);
    char *v[N];
    for (int i = 0; i < N; i++) {
        v[i] = map(s, MMF_MAP_WRITE, (uint64_t)(i % 4) * gran(), 0);
        v[i][0] = (char)i;
    }
    for (int i = 0; i < N; i += 2) {
        CHECK(query(v[i] + 1).base == v[i]);
        CHECK_OK(mmf_view_unmap(v[i] + (i % 3)));
    }
    for (int i = 1; i < N; i += 2) {
        mmf_view_info vi = query(v[i] + gran() / 2);
        CHECK(vi.base == v[i]);
        CHECK_EQ(vi.offset, (uint64_t)(i % 4) * gran());
        CHECK_EQ((unsigned char)v[i][0], (unsigned char)(N - 4 + i % 4));
    }
    for (int i = N - 1; i > 0; i -= 2)
        CHECK_OK(mmf_view_unmap(v[i]));
    for (int i = 0; i < N; i++)
        CHECK_RC(mmf_view_unmap(v[i]), MMF_EFAULT);
    CHECK_OK(mmf_section_close(s));
}

/* N01, N02, E10: a view stays valid after every handle is closed, though the
 * name is gone. */
TEST(view_survives_handle_close)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0), *o;
    char *p = map(s, MMF_MAP_WRITE, 0, 0), *q;
    q = map(s, MMF_MAP_READ, gran(), 0);
    strcpy(p, "before close");
    CHECK_OK(mmf_section_close(s));
    CHECK(strcmp(p, "before close") == 0);
    strcpy(p + gran(), "after close");
    CHECK(strcmp(q, "after close") == 0);
    CHECK(query(p).base == p);
    CHECK_OK(mmf_view_flush(p, 0));
    CHECK_OK(mmf_view_flush_durable(p, 0));
    CHECK_RC(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK(strcmp(q, "after close") == 0);
    CHECK_OK(mmf_view_unmap(q));
}

/* ------------------------------------------------------------------------ */
/* Flushing                                                                  */
/* ------------------------------------------------------------------------ */

/* M01, M02, M03: flushing a pagefile-backed view succeeds and does
 * nothing. */
TEST(flush_pagefile_view)
{
    mmf_section *s = make("s", 2 * gran(), 0, 0);
    char *p = map(s, MMF_MAP_WRITE, 0, 0), *c = map(s, MMF_MAP_COPY, 0, 0);
    char *r = map(s, MMF_MAP_READ, 0, 0);
    strcpy(p, "flush");
    CHECK_OK(mmf_view_flush(p, 0));
    CHECK_OK(mmf_view_flush(p + 100, 10));
    CHECK_OK(mmf_view_flush(p + gran(), gran()));
    CHECK_OK(mmf_view_flush_durable(p, 0));
    CHECK_OK(mmf_view_flush_durable(p + 1, 2 * gran() - 1));
    CHECK_OK(mmf_view_flush(c, 0));
    CHECK_OK(mmf_view_flush_durable(c, 0));
    CHECK_OK(mmf_view_flush(r, 0));
    CHECK_OK(mmf_view_flush_durable(r, 0));
    CHECK(strcmp(r, "flush") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_view_unmap(r));
    CHECK_OK(mmf_section_close(s));
}

/* A flush range that runs past the view. */
TEST(flush_past_view_erange)
{
    mmf_section *s = make("s", 4 * gran(), 0, 0);
    char *p = map(s, MMF_MAP_WRITE, 0, 2 * gran());
    CHECK_RC(mmf_view_flush(p, 2 * gran() + 1), MMF_ERANGE);
    CHECK_RC(mmf_view_flush(p + gran(), gran() + 1), MMF_ERANGE);
    CHECK_RC(mmf_view_flush(p + 2 * gran() - 1, 2), MMF_ERANGE);
    CHECK_RC(mmf_view_flush(p, SIZE_MAX), MMF_ERANGE);
    CHECK_RC(mmf_view_flush(p + 1, SIZE_MAX), MMF_ERANGE);
    CHECK_RC(mmf_view_flush_durable(p, 2 * gran() + 1), MMF_ERANGE);
    CHECK_RC(mmf_view_flush_durable(p + gran(), SIZE_MAX), MMF_ERANGE);
    CHECK_OK(mmf_view_flush(p + 2 * gran() - 1, 1));
    CHECK_OK(mmf_view_flush(p, 2 * gran()));
    CHECK_OK(mmf_view_flush_durable(p, 2 * gran()));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* M04: flushing an address that is not in a view. */
TEST(flush_not_view_efault)
{
    mmf_section *s = make("s", gran(), 0, 0);
    char *p = map(s, MMF_MAP_WRITE, 0, 0);
    char *heap = malloc(64);
    int on_stack = 0;

    CHECK(heap != NULL);
    CHECK_RC(mmf_view_flush(heap, 1), MMF_EFAULT);
    CHECK_RC(mmf_view_flush(&on_stack, 0), MMF_EFAULT);
    CHECK_RC(mmf_view_flush(NULL, 0), MMF_EFAULT);
    CHECK_RC(mmf_view_flush((void *)(uintptr_t)0xdeadbeef, 4), MMF_EFAULT);
    CHECK_RC(mmf_view_flush(p + gran(), 1), MMF_EFAULT);
    CHECK_RC(mmf_view_flush_durable(heap, 1), MMF_EFAULT);
    CHECK_RC(mmf_view_flush_durable(NULL, 0), MMF_EFAULT);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_RC(mmf_view_flush(p, 0), MMF_EFAULT);
    CHECK_RC(mmf_view_flush_durable(p, 0), MMF_EFAULT);
    free(heap);
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Across processes                                                          */
/* ------------------------------------------------------------------------ */

/* argv: name, how ("write", "copy", "create"). Opens the section, maps it,
 * and writes 0xdeadbeef at offset 0 (after checking, for "create", that it
 * reads 0x1a2b3c4d there first). */
HELPER(child_view)
{
    mmf_section *s;
    volatile uint32_t *p = NULL;
    int rc;

    if (argc < 2)
        return 2;
    if (strcmp(argv[1], "create") == 0) {
        rc = mmf_section_create(&s, argv[0], 4096, MMF_OPEN_OR_CREATE, NULL);
        if (rc != MMF_EXISTED)
            return 10;
        if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p) != 0)
            return 11;
        if (p[0] != 0x1a2b3c4du)
            return 12;
    } else if (strcmp(argv[1], "write") == 0) {
        if (mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0)
            return 10;
        if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p) != 0)
            return 11;
    } else {
        if (mmf_section_open(&s, argv[0], MMF_ACCESS_READ) != 0)
            return 10;
        if (mmf_view_map(s, MMF_MAP_COPY, 0, 0, 0, (void **)&p) != 0)
            return 11;
    }
    p[0] = 0xdeadbeefu;
    if (p[0] != 0xdeadbeefu)
        return 13;
    if (mmf_view_unmap((void *)p) != 0)
        return 14;
    return mmf_section_close(s) == 0 ? 0 : 15;
}

/* I02: a write made through another process's view is seen here. */
TEST(child_write_seen)
{
    mmf_section *s = make("s", 4096, 0, 0);
    volatile uint32_t *p = map(s, MMF_MAP_READ, 0, 0);
    CHECK_EQ(p[0], 0);
    CHECK_EQ(test_wait(test_spawn("child_view", test_name("s"), "write", NULL)), 0);
    CHECK_EQ(p[0], 0xdeadbeefu);
    CHECK_OK(mmf_view_unmap((void *)p));
    CHECK_OK(mmf_section_close(s));
}

/* I01: another process creating the same name opens this section and reads
 * what was written here. */
TEST(child_create_existing_sees_data)
{
    mmf_section *s = make("s", 4096, 0, 0);
    volatile uint32_t *p = map(s, MMF_MAP_WRITE, 0, 0);
    p[0] = 0x1a2b3c4du;
    CHECK_EQ(test_wait(test_spawn("child_view", test_name("s"), "create", NULL)), 0);
    CHECK_EQ(p[0], 0xdeadbeefu);
    CHECK_OK(mmf_view_unmap((void *)p));
    CHECK_OK(mmf_section_close(s));
}

/* I03: another process's copy-on-write view writes privately. */
TEST(child_copy_write_not_seen)
{
    mmf_section *s = make("s", 4096, 0, 0), *o;
    volatile uint32_t *p = map(s, MMF_MAP_READ, 0, 0), *q;
    CHECK_EQ(test_wait(test_spawn("child_view", test_name("s"), "copy", NULL)), 0);
    CHECK_EQ(p[0], 0);
    CHECK_OK(mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ));
    q = map(o, MMF_MAP_READ, 0, 0);
    CHECK_EQ(q[0], 0);
    CHECK_OK(mmf_view_unmap((void *)q));
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_view_unmap((void *)p));
    CHECK_OK(mmf_section_close(s));
}

/* Thousands of views of one process: every address inside each finds its
 * own view (stat, flush), unmapping by an inner address in a scrambled
 * order removes exactly that view, and the others still answer. */
TEST_SLOW(thousands_of_views)
{
    enum { N = 4000, PAGES = 16 };
    size_t g = gran();
    mmf_section *s = make("s", (uint64_t)PAGES * g, 0, 0);
    uint8_t **v = calloc(N, sizeof *v);
    CHECK(v != NULL);
    for (int i = 0; i < N; i++) {
        v[i] = map(s, MMF_MAP_WRITE, (uint64_t)(i % PAGES) * g, 4096);
        v[i][i % 4096] = (uint8_t)i;
    }
    for (int i = 0; i < N; i++) {
        mmf_view_info vi = query(v[i] + 4095);
        CHECK(vi.base == v[i]);
        CHECK_EQ(vi.offset, (uint64_t)(i % PAGES) * g);
        CHECK_EQ(vi.size, 4096);
        CHECK_OK(mmf_view_flush(v[i] + 100, 16));
    }
    /* Unmap by an inner address, in an order unrelated to the addresses;
     * after each, that view is gone and a sample of the rest remains. */
    for (int k = 0; k < N; k++) {
        int i = (int)((k * 7919L) % N); /* a permutation: 7919 is prime to N */
        mmf_view_info vi;
        CHECK(v[i] != NULL);
        CHECK_OK(mmf_view_unmap(v[i] + 7));
        CHECK_RC(mmf_view_stat(v[i], &vi), MMF_EFAULT);
        v[i] = NULL;
        if (k % 97 == 0) {
            for (int j = 0; j < N; j += 13) {
                if (v[j] != NULL)
                    CHECK(query(v[j] + 1).base == v[j]);
            }
        }
    }
    free(v);
    CHECK_OK(mmf_section_close(s));
}
