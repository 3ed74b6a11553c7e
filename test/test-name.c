/* SPDX-License-Identifier: MIT */
/* test-name.c - object names: case, the Local\ and Global\ prefixes, what is
 * refused (reserved prefixes, backslashes, bad UTF-8, over-long names), and
 * hostile names, which must either be ordinary objects confined to the store
 * or be refused, and never touch anything outside the store. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "object.h"

#define SEC_SIZE 4096

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* A name made of test_name(tag) padded with `unit` until it has `chars`
 * characters (unit is one UTF-8 character). */
static const char *padded_name(const char *tag, const char *unit, size_t chars)
{
    static char buf[8][8192];
    static int next;
    char *b = buf[next++ % 8];
    size_t n = strlen(test_name(tag)), ulen = strlen(unit), len;

    CHECK(n <= chars);
    memcpy(b, test_name(tag), n);
    len = n;
    for (size_t i = n; i < chars; i++) {
        CHECK(len + ulen < sizeof buf[0]);
        memcpy(b + len, unit, ulen);
        len += ulen;
    }
    b[len] = '\0';
    return b;
}

/* A name made of test_name(tag) padded with `unit` to `bytes` bytes of
 * UTF-8 (test_name is ASCII, so any length can be met: the padding ends
 * with as many one-byte "x" as the units leave over), or, with `over`,
 * one unit past it. */
static const char *name_of_bytes(const char *tag, const char *unit, size_t bytes, int over)
{
    static char buf[4][8192];
    static int next;
    char *b = buf[next++ % 4];
    size_t n = strlen(test_name(tag)), ulen = strlen(unit), len;

    CHECK(n <= bytes && bytes + ulen < sizeof buf[0]);
    memcpy(b, test_name(tag), n);
    len = n;
    while (len + ulen <= bytes) {
        memcpy(b + len, unit, ulen);
        len += ulen;
    }
    while (len < bytes)
        b[len++] = 'x';
    if (over) {
        memcpy(b + len, unit, ulen);
        len += ulen;
    }
    b[len] = '\0';
    return b;
}

/* Every way of naming a section (create new, open-or-create, open) fails
 * with `err`, and nothing is created. */
static void expect_name_error(const char *name, int err)
{
    mmf_section *s = NULL;
    CHECK_RC(mmf_section_create(&s, name, SEC_SIZE, MMF_CREATE_NEW, NULL), err);
    CHECK_RC(mmf_section_create(&s, name, SEC_SIZE, MMF_OPEN_OR_CREATE, NULL), err);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), err);
    CHECK(s == NULL);
}

/* Fill a fresh section's first bytes with text and check the info name. */
static char *map_and_write(mmf_section *s, const char *text)
{
    char *p = NULL;
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK(p[0] == 0); /* a new object is zero-filled */
    CHECK(strlen(text) < 2048);
    strcpy(p, text);
    return p;
}

/* The full name an object gets: the name itself if it has a prefix, else
 * "Local\" + name. */
static void full_name(const char *name, char *buf, size_t cap)
{
    if (strncmp(name, "Local\\", 6) == 0 || strncmp(name, "Global\\", 7) == 0)
        snprintf(buf, cap, "%s", name);
    else
        snprintf(buf, cap, "Local\\%s", name);
}

/* A separate process opens `name`, finds `text` at offset 0, and writes
 * "child" at offset 2048. */
HELPER(roundtrip)
{
    mmf_section *s;
    char *p = NULL;

    if (argc < 2)
        return 2;
    if (mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0)
        return 10;
    if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p) != 0)
        return 11;
    if (strcmp(p, argv[1]) != 0)
        return 12;
    strcpy(p + 2048, "child");
    if (mmf_view_unmap(p) != 0)
        return 13;
    return mmf_section_close(s) == 0 ? 0 : 14;
}

/* Create `name`, check it is a working object seen by another process, close
 * it, and check the name is gone. */
static void roundtrip(const char *name, const char *text)
{
    mmf_section *s, *o;
    mmf_section_info info;
    char want[MMF_NAME_BYTES];
    char *p, *q = NULL;

    CHECK_OK(mmf_section_create(&s, name, SEC_SIZE, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_stat(s, &info));
    full_name(name, want, sizeof want);
    CHECK(strcmp(info.name, want) == 0);
    p = map_and_write(s, text);
    CHECK_EQ(test_wait(test_spawn("roundtrip", name, text, NULL)), 0);
    CHECK(strcmp(p + 2048, "child") == 0);
    /* The same name again reaches the same object. */
    CHECK_RC(mmf_section_create(&o, name, SEC_SIZE, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK_OK(mmf_section_open(&o, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(o, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    CHECK(strcmp(q, text) == 0);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(o));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_RC(mmf_section_open(&o, name, MMF_ACCESS_READ), MMF_ENOENT);
}

/* A private store: a directory of its own under /dev/shm, so that every file
 * the library makes for a name can be seen and counted exactly. Its name
 * does not start with "mmf." so the suite's leak check ignores it. */
#ifndef _WIN32
static char priv_dir[256];
#endif

#ifdef _WIN32
/* Windows: a name is the kernel object's own name; there are no store
 * files to count, so the cases that count them stay Linux-only. */
static void private_store_begin(void)
{
}

static void private_store_end(void)
{
}
#else
static void private_store_begin(void)
{
    test_sweep_dead_dirs("/dev/shm", "mmf-test-priv-");
    snprintf(priv_dir, sizeof priv_dir, "/dev/shm/mmf-test-priv-%ld-%s",
             (long)getpid(), test_case());
    CHECK(mkdir(priv_dir, 0700) == 0);
    CHECK(setenv("MMF_STORE_DIR", priv_dir, 1) == 0);
}
#endif

/* Number of entries in the private store. Every one must be a regular
 * file named "mmf.*" that is a valid file name. */
#ifndef _WIN32
static int private_store_count(void)
{
    DIR *d = opendir(priv_dir);
    struct dirent *e;
    int n = 0;

    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        CHECK(strncmp(e->d_name, "mmf.", 4) == 0);
        CHECK(strlen(e->d_name) <= 255);
        snprintf(path, sizeof path, "%s/%s", priv_dir, e->d_name);
        CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
        n++;
    }
    closedir(d);
    return n;
}
#endif

#ifndef _WIN32
static void private_store_end(void)
{
    CHECK_EQ(private_store_count(), 0);
    CHECK(rmdir(priv_dir) == 0);
    CHECK(unsetenv("MMF_STORE_DIR") == 0);
}
#endif

/* Files that a path-traversing name could reach. Their state is recorded
 * before and compared after every operation on a hostile name. */
#ifndef _WIN32
static const char *const watched[] = {
    "/etc/passwd", "/etc/shadow", "/etc/hosts", "/passwd", "/x", "/a",
    "/tmp/x", "/tmp/a", "/tmp/passwd", "/dev/etc", "/dev/x", "/dev/a",
    "/dev/shm/x", "/dev/shm/a", "/dev/shm/etc", "/dev/shm/passwd",
    "/dev/shm/..", "x", "a", "etc", "passwd",
};
#endif
#define NWATCHED (sizeof watched / sizeof watched[0])

struct snap {
    int exists;
    struct stat st;
};

#ifndef _WIN32
static void snapshot(struct snap *s)
{
    for (size_t i = 0; i < NWATCHED; i++) {
        memset(&s[i], 0, sizeof s[i]);
        s[i].exists = lstat(watched[i], &s[i].st) == 0;
    }
}
#endif

#ifndef _WIN32
static void check_unchanged(const struct snap *before, const char *what)
{
    struct snap now[NWATCHED];
    snapshot(now);
    for (size_t i = 0; i < NWATCHED; i++) {
        const struct stat *a = &before[i].st, *b = &now[i].st;
        if (now[i].exists != before[i].exists ||
            (now[i].exists &&
             (a->st_ino != b->st_ino || a->st_size != b->st_size ||
              a->st_mode != b->st_mode ||
              (!S_ISDIR(a->st_mode) &&
               (a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
                a->st_mtim.tv_nsec != b->st_mtim.tv_nsec)))))
            test_fail(__FILE__, __LINE__, "name %s changed %s", what, watched[i]);
    }
}
#endif

/* 1 if any entry whose name contains tok exists in a place outside the
 * store (the store's own "mmf." files in /dev/shm excepted). */
#ifndef _WIN32
static int token_outside_store(const char *tok)
{
    static const char *const dirs[] = {"/", "/tmp", "/var/tmp", "/dev",
                                       "/dev/shm", "/etc", "."};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        if (d == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, tok) == NULL)
                continue;
            if (strcmp(dirs[i], "/dev/shm") == 0 && strncmp(e->d_name, "mmf.", 4) == 0)
                continue;
            fprintf(stderr, "found %s/%s\n", dirs[i], e->d_name);
            closedir(d);
            return 1;
        }
        closedir(d);
    }
    return 0;
}
#endif

/* ------------------------------------------------------------------------ */
/* Case and prefixes                                                         */
/* ------------------------------------------------------------------------ */

/* B06, E02, P06: names are case-sensitive. */
TEST(case_sensitive)
{
    mmf_section *a, *b, *o;
    char *pa, *pb, *q = NULL;

    CHECK_OK(mmf_section_create(&a, test_name("Foo"), SEC_SIZE, MMF_CREATE_NEW, NULL));
    pa = map_and_write(a, "Foo");
    CHECK_RC(mmf_section_open(&o, test_name("FOO"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_RC(mmf_section_open(&o, test_name("foo"), MMF_ACCESS_READ), MMF_ENOENT);
    /* Creating the other spelling makes a new, zero-filled object. */
    CHECK_RC(mmf_section_create(&b, test_name("FOO"), SEC_SIZE, MMF_OPEN_OR_CREATE, NULL), 0);
    pb = map_and_write(b, "FOO");
    CHECK_EQ(test_store_count(test_name("")), 2);
    CHECK_OK(mmf_section_open(&o, test_name("Foo"), MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(o, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    CHECK(strcmp(q, "Foo") == 0);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(o));
    CHECK(strcmp(pa, "Foo") == 0 && strcmp(pb, "FOO") == 0);
    CHECK_OK(mmf_view_unmap(pa));
    CHECK_OK(mmf_view_unmap(pb));
    CHECK_OK(mmf_section_close(a));
    CHECK_OK(mmf_section_close(b));
}

/* P10: "Local\X" and "X" are the same object. */
TEST(local_prefix_is_default)
{
    char local[300];
    mmf_section *a, *b, *c;
    mmf_section_info info;
    char *pa, *pb = NULL;

    snprintf(local, sizeof local, "Local\\%s", test_name("x"));
    CHECK_OK(mmf_section_create(&a, test_name("x"), SEC_SIZE, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_stat(a, &info));
    CHECK(strcmp(info.name, local) == 0);
    CHECK_EQ(info.flags & MMF_GLOBAL, 0);
    pa = map_and_write(a, "local");
    CHECK_RC(mmf_section_create(&b, local, SEC_SIZE, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK_RC(mmf_section_create(&b, local, SEC_SIZE, MMF_OPEN_OR_CREATE, NULL), MMF_EXISTED);
    CHECK_OK(mmf_view_map(b, MMF_MAP_READ, 0, 0, 0, (void **)&pb));
    CHECK(strcmp(pb, "local") == 0);
    CHECK_OK(mmf_section_open(&c, local, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_stat(c, &info));
    CHECK(strcmp(info.name, local) == 0);
    CHECK_EQ(test_store_count(test_name("")), 1);
    CHECK_OK(mmf_section_close(c));
    CHECK_OK(mmf_view_unmap(pb));
    CHECK_OK(mmf_section_close(b));
    CHECK_OK(mmf_view_unmap(pa));
    CHECK_OK(mmf_section_close(a));
    CHECK_RC(mmf_section_open(&c, local, MMF_ACCESS_READ), MMF_ENOENT);
}

/* P10: "Global\X" is another namespace than "Local\X"; MMF_GLOBAL puts an
 * unprefixed name there. */
TEST(global_is_separate_namespace)
{
    char global[300], local[300];
    mmf_section *g, *l, *x, *o;
    mmf_section_info info;
    mmf_section_opts gopts = {.flags = MMF_GLOBAL};
    char *pg, *pl, *q = NULL;

    snprintf(global, sizeof global, "Global\\%s", test_name("x"));
    snprintf(local, sizeof local, "Local\\%s", test_name("x"));
    CHECK_OK(mmf_section_create(&g, global, SEC_SIZE, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_stat(g, &info));
    CHECK(strcmp(info.name, global) == 0);
    CHECK(info.flags & MMF_GLOBAL);
    pg = map_and_write(g, "global");
    CHECK_RC(mmf_section_open(&o, local, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_RC(mmf_section_open(&o, test_name("x"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_OK(mmf_section_create(&l, local, SEC_SIZE, MMF_CREATE_NEW, NULL));
    pl = map_and_write(l, "local");
    /* The unprefixed name opens the Local one. */
    CHECK_OK(mmf_section_open(&o, test_name("x"), MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(o, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    CHECK(strcmp(q, "local") == 0);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(o));
    /* MMF_GLOBAL with the unprefixed name reaches the Global one. */
    CHECK_RC(mmf_section_create(&x, test_name("x"), SEC_SIZE, MMF_OPEN_OR_CREATE, &gopts),
             MMF_EXISTED);
    CHECK_OK(mmf_section_stat(x, &info));
    CHECK(strcmp(info.name, global) == 0);
    CHECK_OK(mmf_view_map(x, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    CHECK(strcmp(q, "global") == 0);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(x));
    CHECK_EQ(test_store_count(test_name("")), 2);
    CHECK_OK(mmf_view_unmap(pg));
    CHECK_OK(mmf_view_unmap(pl));
    CHECK_OK(mmf_section_close(g));
    CHECK_OK(mmf_section_close(l));
    CHECK_RC(mmf_section_open(&o, global, MMF_ACCESS_READ), MMF_ENOENT);
}

/* P10: the words Local and Global are case-sensitive, so "local\X" is not a
 * prefix but a name with a backslash in it. */
TEST(prefix_case_sensitive)
{
    static const char *const fmts[] = {"local\\%s", "LOCAL\\%s", "global\\%s",
                                       "GLOBAL\\%s", "Local/%s\\x"};
    char name[300];
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        snprintf(name, sizeof name, fmts[i], test_name("x"));
        expect_name_error(name, MMF_EBADNAME);
    }
}

/* P11: "Session\" is reserved. */
TEST(session_prefix_refused)
{
    char name[300];
    snprintf(name, sizeof name, "Session\\%s", test_name("x"));
    expect_name_error(name, MMF_EBADNAME);
    snprintf(name, sizeof name, "Session\\1\\%s", test_name("x"));
    expect_name_error(name, MMF_EBADNAME);
    expect_name_error("Session\\", MMF_EBADNAME);
}

TEST(empty_after_prefix_refused)
{
    expect_name_error("Local\\", MMF_EBADNAME);
    expect_name_error("Global\\", MMF_EBADNAME);
}

/* P08: open needs a name; create without one makes an unnamed section. */
TEST(open_without_name_einval)
{
    mmf_section *s = NULL;
    CHECK_RC(mmf_section_open(&s, NULL, MMF_ACCESS_READ), MMF_EINVAL);
    CHECK_RC(mmf_section_open(&s, "", MMF_ACCESS_READ), MMF_EINVAL);
    CHECK(s == NULL);
}

/* P12, P13: a backslash after the prefix is refused. */
TEST(backslash_after_prefix_refused)
{
    static const char *const fmts[] = {"Local\\%s\\b", "%s\\b", "Global\\%s\\",
                                       "Local\\\\%s", "Global\\\\%s", "\\%s",
                                       "%s\\", "Local\\Local\\%s"};
    char name[300];
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        snprintf(name, sizeof name, fmts[i], test_name("x"));
        expect_name_error(name, MMF_EBADNAME);
    }
}

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                     */
/* ------------------------------------------------------------------------ */

/* Names are UTF-8; a malformed sequence anywhere is refused. */
TEST(invalid_utf8_refused)
{
    static const char *const bad[] = {
        "\xc0\xaf",             /* overlong '/' */
        "\xc1\xbf",             /* overlong, 2 bytes */
        "\xe0\x80\xaf",         /* overlong '/', 3 bytes */
        "\xf0\x80\x80\xaf",     /* overlong '/', 4 bytes */
        "\xe0\x9f\xbf",         /* overlong U+07FF */
        "\x80",                 /* lone continuation byte */
        "\xbf",                 /* lone continuation byte */
        "\xed\xa0\x80",         /* surrogate U+D800 */
        "\xed\xbf\xbf",         /* surrogate U+DFFF */
        "\xc3",                 /* truncated 2-byte sequence */
        "\xe2\x82",             /* truncated 3-byte sequence */
        "\xf0\x9f\x98",         /* truncated 4-byte sequence */
        "\xc3\x28",             /* bad continuation */
        "\xf4\x90\x80\x80",     /* past U+10FFFF */
        "\xf5\x80\x80\x80",     /* lead byte past U+10FFFF */
        "\xf8\x88\x80\x80\x80", /* 5-byte form */
        "\xfe", "\xff",
    };
    char name[300];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* At the start, in the middle and at the end of a name. */
        snprintf(name, sizeof name, "%s%s", bad[i], test_name("x"));
        expect_name_error(name, MMF_EBADNAME);
        snprintf(name, sizeof name, "%s%sy", test_name("x"), bad[i]);
        expect_name_error(name, MMF_EBADNAME);
        snprintf(name, sizeof name, "Local\\%s%s", test_name("x"), bad[i]);
        expect_name_error(name, MMF_EBADNAME);
        snprintf(name, sizeof name, "Global\\%s", bad[i]);
        expect_name_error(name, MMF_EBADNAME);
    }
}

/* Well-formed multi-byte characters (2, 3 and 4 bytes, and the largest code
 * point) make ordinary names, distinct from each other. */
TEST(utf8_names_work)
{
    static const char *const good[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                       "\xf4\x8f\xbf\xbf", "\xef\xbb\xbf",
                                       "\xe6\x97\xa5\xe6\x9c\xac"};
    char name[300];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(name, sizeof name, "%s%s", test_name("u"), good[i]);
        roundtrip(name, good[i]);
    }
    /* Precomposed and decomposed forms are different names: no
     * normalization, like Windows. */
    {
        mmf_section *a, *b;
        char n1[300], n2[300];
        snprintf(n1, sizeof n1, "%s\xc3\xa9", test_name("n"));
        snprintf(n2, sizeof n2, "%se\xcc\x81", test_name("n"));
        CHECK_RC(mmf_section_create(&a, n1, SEC_SIZE, MMF_CREATE_NEW, NULL), 0);
        CHECK_RC(mmf_section_create(&b, n2, SEC_SIZE, MMF_CREATE_NEW, NULL), 0);
        CHECK_OK(mmf_section_close(a));
        CHECK_OK(mmf_section_close(b));
    }
}

/* ------------------------------------------------------------------------ */
/* Length                                                                    */
/* ------------------------------------------------------------------------ */

/* Over-long names use a hashed store file, which the harness's leak check
 * cannot recognize, so these run in a private store and count its files. */

/* P16, P17: MMF_NAME_MAX (2640) bytes are allowed, one more is not. */
TEST(name_max_ascii)
{
    private_store_begin();
    roundtrip(name_of_bytes("a", "a", MMF_NAME_MAX, 0), "ascii max");
    expect_name_error(name_of_bytes("a", "a", MMF_NAME_MAX, 1), MMF_ENAMETOOLONG);
    private_store_end();
}

/* The limit counts bytes: 1320 two-byte characters are allowed, 1321 are
 * not. */
TEST(name_max_two_byte_chars)
{
    private_store_begin();
    roundtrip(name_of_bytes("e", "\xc3\xa9", MMF_NAME_MAX, 0), "e-acute max");
    expect_name_error(name_of_bytes("e", "\xc3\xa9", MMF_NAME_MAX, 1), MMF_ENAMETOOLONG);
    private_store_end();
}

/* Characters of three and four bytes up to the limit. */
TEST(name_max_multibyte_chars)
{
    private_store_begin();
    roundtrip(name_of_bytes("f", "\xf0\x9f\x98\x80", MMF_NAME_MAX, 0), "emoji max");
    expect_name_error(name_of_bytes("f", "\xf0\x9f\x98\x80", MMF_NAME_MAX, 1),
                      MMF_ENAMETOOLONG);
    roundtrip(name_of_bytes("g", "\xe2\x82\xac", MMF_NAME_MAX, 0), "euro max");
    expect_name_error(name_of_bytes("g", "\xe2\x82\xac", MMF_NAME_MAX, 1), MMF_ENAMETOOLONG);
    private_store_end();
}

/* The prefix does not count toward the limit. */
TEST(name_max_after_prefix)
{
    char name[8192];
    private_store_begin();
    snprintf(name, sizeof name, "Local\\%s", name_of_bytes("l", "\xc3\xa9", MMF_NAME_MAX, 0));
    roundtrip(name, "local max");
    snprintf(name, sizeof name, "Global\\%s",
             name_of_bytes("g", "\xf0\x9f\x98\x80", MMF_NAME_MAX, 0));
    roundtrip(name, "global max");
    snprintf(name, sizeof name, "Global\\%s", name_of_bytes("g", "z", MMF_NAME_MAX, 1));
    expect_name_error(name, MMF_ENAMETOOLONG);
    private_store_end();
}

/* P16, P17: the lengths Windows' W functions take past MAX_PATH, 300 and
 * 1,040 UTF-16 units, in one-, two- and four-byte characters (a four-byte
 * character is two units): each is a working object, reached by another
 * process. */
TEST(name_windows_wide_lengths)
{
    static const size_t units[] = {300, 1040};
    private_store_begin();
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        roundtrip(padded_name("w", "a", units[i]), "ascii");
        roundtrip(padded_name("w", "\xc3\xa9", units[i]), "e-acute");
        /* test_name is ASCII: half the units left are emoji. */
        roundtrip(padded_name("w", "\xf0\x9f\x98\x80",
                              strlen(test_name("w")) + (units[i] - strlen(test_name("w"))) / 2),
                  "emoji");
    }
    private_store_end();
}

/* A 10,000-byte name, and a 1 MiB one (a hostile caller), fail quickly. */
#ifndef _WIN32
TEST(name_huge_too_long)
{
    size_t big = 1 << 20;
    char *name = malloc(big + 1);
    uint64_t t0;

    CHECK(name != NULL);
    private_store_begin();
    memset(name, 'a', 10000);
    name[10000] = '\0';
    expect_name_error(name, MMF_ENAMETOOLONG);
    for (size_t i = 0; i + 2 <= 10000; i += 2)
        memcpy(name + i, "\xc3\xa9", 2);
    expect_name_error(name, MMF_ENAMETOOLONG);
    memset(name, 'b', big);
    name[big] = '\0';
    t0 = test_now_ns();
    expect_name_error(name, MMF_ENAMETOOLONG);
    CHECK(test_now_ns() - t0 < UINT64_C(1000000000));
    CHECK_EQ(private_store_count(), 0);
    private_store_end();
    free(name);
}
#else
LINUX_ONLY_TEST(name_huge_too_long, "counts the files a name makes in a private Linux store folder (MMF_STORE_DIR)")
#endif

/* Keys just short of and just past what fits in a plain store file name
 * both work, and two long names differing in one character are different
 * objects (the hashed file name is checked against the full name). */
#ifndef _WIN32
TEST(long_names_hashed)
{
    char prefix[64], a[8192], b[8192];
    size_t plain;
    mmf_section *sa, *sb;
    char *pa, *pb;

    private_store_begin();
    /* The store file is "mmf.u<uid>.<key>"; at most 255 bytes in a plain
     * form. */
    snprintf(prefix, sizeof prefix, "mmf.u%u.", (unsigned)geteuid());
    plain = 255 - strlen(prefix);
    roundtrip(padded_name("p", "p", plain), "fits");
    roundtrip(padded_name("q", "q", plain + 1), "hashed");
    roundtrip(padded_name("r", "/", 200), "slashes hashed");

    snprintf(a, sizeof a, "%sA", padded_name("h", "%", 259));
    snprintf(b, sizeof b, "%sB", padded_name("h", "%", 259));
    CHECK_OK(mmf_section_create(&sa, a, SEC_SIZE, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_create(&sb, b, SEC_SIZE, MMF_CREATE_NEW, NULL));
    CHECK_EQ(private_store_count(), 2);
    pa = map_and_write(sa, "A");
    pb = map_and_write(sb, "B");
    CHECK(strcmp(pa, "A") == 0);
    CHECK_OK(mmf_view_unmap(pa));
    CHECK_OK(mmf_view_unmap(pb));
    CHECK_OK(mmf_section_close(sa));
    CHECK_EQ(private_store_count(), 1);
    CHECK_RC(mmf_section_open(&sa, a, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_OK(mmf_section_close(sb));
    private_store_end();
}
#else
LINUX_ONLY_TEST(long_names_hashed, "counts the files a name makes in a private Linux store folder (MMF_STORE_DIR)")
#endif

/* Long names that differ only in their last character are different
 * objects, at every length around the longest plain store file name and up
 * to the limit. */
#ifndef _WIN32
TEST(long_names_differ_at_end)
{
    char prefix[64];
    size_t plain, lens[8];
    int n = 0;

    private_store_begin();
    snprintf(prefix, sizeof prefix, "mmf.u%u.", (unsigned)geteuid());
    plain = 255 - strlen(prefix);
    lens[n++] = plain - 8;
    lens[n++] = plain - 1;
    lens[n++] = plain;
    lens[n++] = plain + 1;
    lens[n++] = plain + 2;
    lens[n++] = plain + 5;
    lens[n++] = MMF_NAME_MAX;
    for (int i = 0; i < n; i++) {
        char a[4096], b[4096];
        mmf_section *sa, *sb;
        snprintf(a, sizeof a, "%sA", padded_name("d", "d", lens[i] - 1));
        snprintf(b, sizeof b, "%sB", padded_name("d", "d", lens[i] - 1));
        CHECK_EQ(strlen(a), lens[i]);
        CHECK_OK(mmf_section_create(&sa, a, SEC_SIZE, MMF_CREATE_NEW, NULL));
        CHECK_OK(mmf_section_create(&sb, b, SEC_SIZE, MMF_CREATE_NEW, NULL));
        CHECK_EQ(private_store_count(), 2);
        CHECK_OK(mmf_section_close(sa));
        CHECK_OK(mmf_section_close(sb));
    }
    private_store_end();
}
#else
LINUX_ONLY_TEST(long_names_differ_at_end, "counts the files a name makes in a private Linux store folder (MMF_STORE_DIR)")
#endif

/* Number of files in the real store whose header names the object
 * `full` (whatever form the file name takes). */
#ifndef _WIN32
static int store_files_naming(const char *full)
{
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    struct mmf__hdr *h = malloc(sizeof *h);
    int n = 0;

    CHECK(d != NULL && h != NULL);
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        int fd;
        if (strncmp(e->d_name, "mmf.", 4) != 0)
            continue;
        snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (pread(fd, h, sizeof *h, 0) == (ssize_t)sizeof *h && h->magic == MMF__HDR_MAGIC &&
            h->name_len < sizeof h->name && h->name[h->name_len] == '\0' &&
            strcmp(h->name, full) == 0)
            n++;
        close(fd);
    }
    closedir(d);
    free(h);
    return n;
}
#endif

/* A long name in the real store (/dev/shm) makes exactly one store file,
 * with a valid file name, and leaves none once closed. */
#ifndef _WIN32
TEST(long_name_real_store_no_leak)
{
    static const char *const units[] = {"\xc3\xa9", "/", "z", "\xf0\x9f\x98\x80"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        const char *name = name_of_bytes("l", units[i], MMF_NAME_MAX, 0);
        char full[MMF_NAME_BYTES];
        mmf_section *s, *o;

        snprintf(full, sizeof full, "Local\\%s", name);
        CHECK_EQ(store_files_naming(full), 0);
        CHECK_OK(mmf_section_create(&s, name, SEC_SIZE, MMF_CREATE_NEW, NULL));
        CHECK_EQ(store_files_naming(full), 1);
        CHECK_OK(mmf_section_open(&o, name, MMF_ACCESS_READ));
        CHECK_OK(mmf_section_close(o));
        CHECK_OK(mmf_section_close(s));
        CHECK_EQ(store_files_naming(full), 0);
        roundtrip(name, "real store");
        CHECK_EQ(store_files_naming(full), 0);
    }
}
#else
LINUX_ONLY_TEST(long_name_real_store_no_leak, "counts the files a name makes in a private Linux store folder (MMF_STORE_DIR)")
#endif

/* Two names whose store files coincide must not reach each other's object:
 * make a hashed name's store file name the object of another name, and
 * opening it is refused rather than handing out the wrong object. */
#ifndef _WIN32
TEST(hashed_name_collision_detected)
{
    const char *a = name_of_bytes("a", "\xc3\xa9", MMF_NAME_MAX, 0);
    const char *b = name_of_bytes("b", "\xc3\xa9", MMF_NAME_MAX, 0);
    char file_a[512] = "", file_b[512] = "", path_a[1024], path_b[1024];
    mmf_section *sa, *sb;
    DIR *d;
    struct dirent *e;
    int rc;

    private_store_begin();
    /* Learn b's store file name. */
    CHECK_OK(mmf_section_create(&sb, b, SEC_SIZE, MMF_CREATE_NEW, NULL));
    d = opendir(priv_dir);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            snprintf(file_b, sizeof file_b, "%s", e->d_name);
    closedir(d);
    CHECK(file_b[0] != '\0');
    CHECK_OK(mmf_section_close(sb));
    CHECK_EQ(private_store_count(), 0);

    CHECK_OK(mmf_section_create(&sa, a, SEC_SIZE, MMF_CREATE_NEW, NULL));
    d = opendir(priv_dir);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            snprintf(file_a, sizeof file_a, "%s", e->d_name);
    closedir(d);
    CHECK(file_a[0] != '\0' && strcmp(file_a, file_b) != 0);
    snprintf(path_a, sizeof path_a, "%s/%s", priv_dir, file_a);
    snprintf(path_b, sizeof path_b, "%s/%s", priv_dir, file_b);
    CHECK(link(path_a, path_b) == 0);

    CHECK_RC(mmf_section_open(&sb, b, MMF_ACCESS_READ), MMF_ECORRUPT);
    rc = mmf_section_create(&sb, b, SEC_SIZE, MMF_OPEN_OR_CREATE, NULL);
    CHECK_RC(rc, MMF_ECORRUPT);
    rc = mmf_section_create(&sb, b, SEC_SIZE, MMF_CREATE_NEW, NULL);
    CHECK(rc == MMF_ECORRUPT || rc == MMF_EEXIST);

    CHECK(unlink(path_b) == 0);
    CHECK_OK(mmf_section_close(sa));
    private_store_end();
}
#else
LINUX_ONLY_TEST(hashed_name_collision_detected, "counts the files a name makes in a private Linux store folder (MMF_STORE_DIR)")
#endif

/* ------------------------------------------------------------------------ */
/* Hostile names                                                             */
/* ------------------------------------------------------------------------ */

/* Names that look like paths, escapes or shell syntax, each with a unique
 * token in it, are ordinary objects: they round-trip to another process
 * and make exactly one object, found under the token, which goes with the
 * last handle. On Linux that object is one store file in /dev/shm, and
 * nothing named with the token appears anywhere else nor does a watched
 * file change; on Windows it is the kernel object's own name, which never
 * reaches a file, and names with Windows meanings are added (names with a
 * backslash after the prefix are refused: backslash_after_prefix_refused). */
/* Linux: nothing named with the token exists outside the store, and no
 * watched file changed since `before`. A Windows object name reaches no
 * file: nothing to check there. */
static void check_confined(const struct snap *before, const char *tok, const char *name)
{
#ifndef _WIN32
    CHECK(!token_outside_store(tok));
    check_unchanged(before, name);
#else
    (void)before, (void)tok, (void)name;
#endif
}

TEST(hostile_names_confined)
{
    static const char *const fmts[] = {
        "../../../../../../tmp/%s", "../%s", "/%s", "%s/..", "%s/", "./%s",
        "%%2e%%2e/%s", "%%2e%%2e%%2f%s", "%s%%2F..%%2F", "..%%2f..%%2f%s",
        "a/b/%s", "/dev/shm/%s", "/etc/%s", "%s\x01\n\t", "%s\x7f\x1b[0m",
        "%s*?[]{}$`'\" ;|&<>", " %s ", "~%s", "%s%%00", ".%s", "..%s", "%s..",
        "Local\\../%s", "Global\\../../%s", "%s/../../../../etc/passwd",
#ifdef _WIN32
        "C:/Windows/%s", "%s:stream", "CON%s", "%s.", "%s\x7f",
#endif
    };
    char tok[256], name[512], text[600];
#ifndef _WIN32
    struct snap before[NWATCHED];
    snapshot(before);
#else
    const struct snap *before = NULL;
#endif

    snprintf(tok, sizeof tok, "%s", test_name("t"));
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        mmf_section *s;
        char *p;

        snprintf(name, sizeof name, fmts[i], tok);
        snprintf(text, sizeof text, "data of %s", name);
        CHECK_OK(mmf_section_create(&s, name, SEC_SIZE, MMF_CREATE_NEW, NULL));
        CHECK_EQ(test_store_count(tok), 1);
        check_confined(before, tok, name);
        p = map_and_write(s, text);
        CHECK_EQ(test_wait(test_spawn("roundtrip", name, text, NULL)), 0);
        CHECK(strcmp(p + 2048, "child") == 0);
        check_confined(before, tok, name);
        CHECK_OK(mmf_view_unmap(p));
        CHECK_OK(mmf_section_close(s));
        CHECK_EQ(test_store_count(tok), 0);
        check_confined(before, tok, name);
    }
}

/* The raw hostile names themselves (no unique token), in a private store
 * where every file the library makes can be seen: each makes one "mmf."
 * file inside the store and nothing outside it. */
#ifdef _WIN32
/* Windows: the raw hostile names are plain kernel object names, each its
 * own object, reached by a child and gone after the last close. */
static void hostile_exact_windows(void)
{
    static const char *const names[] = {
        "../../etc/passwd", "../../../etc/passwd", "/etc/passwd", "/", "//",
        "..", ".", "...", "%2e%2e", "%2E%2E%2F", "a/b", "a/../x", "\x01\n\t",
        "\n", "~", "*", " ", "-", "x/", "../x", "Global\\../../etc/passwd",
        "Global\\..", "Local\\/", "etc%2Fpasswd", "%", "%%", "%25", "CON",
        "NUL", "C:", "x:y", "\x7f",
    };
    char name[1024] = "";

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[300];
        snprintf(text, sizeof text, "exact %zu", i);
        roundtrip(names[i], text);
    }
    /* A long traversal. */
    for (int i = 0; i < 80; i++)
        strcat(name, "../");
    strcat(name, "etc/passwd");
    roundtrip(name, "long traversal");
}
#endif

TEST(hostile_names_exact)
{
#ifdef _WIN32
    hostile_exact_windows();
#else
    static const char *const names[] = {
        "../../etc/passwd", "../../../etc/passwd", "../../../../etc/passwd",
        "/etc/passwd", "/", "//", "..", ".", "...", "%2e%2e", "%2E%2E%2F",
        "a/b", "a/../x", "\x01\n\t", "\n", "~", "*", " ", "-", "mmf.u0.x",
        "x/", "../x", "../../x", "../../../x", "../../../tmp/x",
        "Global\\../../etc/passwd", "Global\\..", "Local\\/",
        "etc%2Fpasswd", "%", "%%", "%25",
    };
    struct snap before[NWATCHED];

    snapshot(before);
    private_store_begin();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[300];
        mmf_section *s;
        char *p;

        snprintf(text, sizeof text, "exact %zu", i);
        CHECK_OK(mmf_section_create(&s, names[i], SEC_SIZE, MMF_CREATE_NEW, NULL));
        CHECK_EQ(private_store_count(), 1);
        p = map_and_write(s, text);
        CHECK_EQ(test_wait(test_spawn("roundtrip", names[i], text, NULL)), 0);
        CHECK(strcmp(p + 2048, "child") == 0);
        check_unchanged(before, names[i]);
        CHECK_OK(mmf_view_unmap(p));
        CHECK_OK(mmf_section_close(s));
        CHECK_EQ(private_store_count(), 0);
        check_unchanged(before, names[i]);
    }
    /* Traversal long enough to use the hashed form. */
    {
        char name[1024] = "";
        for (int i = 0; i < 80; i++)
            strcat(name, "../");
        strcat(name, "etc/passwd");
        roundtrip(name, "hashed traversal");
        CHECK_EQ(private_store_count(), 0);
        check_unchanged(before, name);
    }
    private_store_end();
    check_unchanged(before, "(end)");
#endif
}

/* Names whose escaped forms could coincide are different objects: the
 * store's encoding must be one-to-one. */
#ifndef _WIN32
TEST(encoding_is_injective)
{
    static const char *const pairs[][2] = {
        {"/", "%2F"}, {"/", "%2f"}, {"..", "%2e%2e"}, {"a b", "a%20b"},
        {"~x", "%7Ex"}, {"%", "%25"}, {"\n", "%0A"}, {".", "%2E"},
        {"A", "a"}, {"x\\", "x%5C"},
    };
    private_store_begin();
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        mmf_section *a, *b;
        char *pa, *pb;
        int rc = mmf_section_create(&a, pairs[i][0], SEC_SIZE, MMF_CREATE_NEW, NULL);
        if (rc == MMF_EBADNAME) /* a backslash is refused: no pair */
            continue;
        CHECK_RC(rc, 0);
        CHECK_RC(mmf_section_create(&b, pairs[i][1], SEC_SIZE, MMF_OPEN_OR_CREATE, NULL), 0);
        CHECK_EQ(private_store_count(), 2);
        pa = map_and_write(a, "first");
        pb = map_and_write(b, "second");
        CHECK(strcmp(pa, "first") == 0);
        CHECK_OK(mmf_view_unmap(pa));
        CHECK_OK(mmf_view_unmap(pb));
        CHECK_OK(mmf_section_close(a));
        CHECK_OK(mmf_section_close(b));
        CHECK_EQ(private_store_count(), 0);
    }
    private_store_end();
}
#else
LINUX_ONLY_TEST(encoding_is_injective, "counts the files a name makes in a private Linux store folder (MMF_STORE_DIR)")
#endif

/* Control characters and the like are valid name characters and keep the
 * object in the real store too. */
TEST(control_characters_roundtrip)
{
    char name[300];
    for (int c = 1; c < 32; c++) {
        snprintf(name, sizeof name, "%s%c%c", test_name("c"), c, c);
        roundtrip(name, "ctl");
        CHECK_EQ(test_store_count(test_name("")), 0);
    }
    snprintf(name, sizeof name, "%s\x7f", test_name("c"));
    roundtrip(name, "del");
}
