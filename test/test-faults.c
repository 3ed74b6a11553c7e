/* SPDX-License-Identifier: MIT */
/*
 * test-faults.c - failure is a return code, never a crash: a full store,
 * memory that cannot be committed, a hostile process scribbling over a
 * shared header, and a process out of file descriptors.
 *
 * The full-store cases mount a small tmpfs (root only; skipped otherwise)
 * and point the library at it with MMF_STORE_DIR, which it reads on every
 * call. See in_small_store() for how the mount is always cleaned up.
 */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "object.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* ------------------------------------------------------------------------ */
/* A small store                                                             */
/* ------------------------------------------------------------------------ */

static char store[128];

/* Every file in the store (not only ours). */
static int store_entries(void)
{
    DIR *d = opendir(store);
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    }
    closedir(d);
    return n;
}

/*
 * Run body() with a tmpfs of `mib` MiB as the store (MMF_STORE_DIR). The
 * body runs in a forked child that mounts the tmpfs in a private mount
 * namespace; this process removes the mount point whatever the body did,
 * so a failed check leaves neither a mount nor a directory. Skips (77)
 * when not root or when the mount is refused.
 */
static void in_small_store(unsigned mib, void (*body)(void))
{
    pid_t pid;
    int code;

    if (geteuid() != 0)
        SKIP("mounting a small tmpfs needs root");
    snprintf(store, sizeof store, "/tmp/mmf-test-%ld-%s-XXXXXX", (long)getpid(),
             test_case());
    CHECK(mkdtemp(store) != NULL);
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char opts[64];
        if (unshare(CLONE_NEWNS) == 0)
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        snprintf(opts, sizeof opts, "size=%um,mode=1777", mib);
        if (mount("tmpfs", store, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
            SKIP("cannot mount a tmpfs: %s", strerror(errno));
        CHECK_EQ(setenv("MMF_STORE_DIR", store, 1), 0);
        body();
        CHECK_EQ(store_entries(), 0);
        CHECK_EQ(umount(store), 0);
        fflush(NULL);
        _exit(0);
    }
    code = test_wait(pid);
    umount2(store, MNT_DETACH); /* if there was no private namespace */
    CHECK_EQ(rmdir(store), 0);
    if (code == 77)
        SKIP("see above");
    CHECK_EQ(code, 0);
}

static uint64_t store_free(void)
{
    struct statvfs sv;
    CHECK_EQ(statvfs(store, &sv), 0);
    return (uint64_t)sv.f_bfree * sv.f_frsize;
}

static uint64_t store_total(void)
{
    struct statvfs sv;
    CHECK_EQ(statvfs(store, &sv), 0);
    return (uint64_t)sv.f_blocks * sv.f_frsize;
}

static int all_bytes(const void *p, int c, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != (unsigned char)c)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Full store                                                                */
/* ------------------------------------------------------------------------ */

/* B13: a section larger than the free space fails at create with
 * MMF_ENOSPC (not later, as a SIGBUS), and leaves nothing in the store. */
static void create_beyond_free_space_enospc_body(void);
TEST(create_beyond_free_space_enospc)
{
    in_small_store(4, create_beyond_free_space_enospc_body);
}

static void create_beyond_free_space_enospc_body(void)
{
    mmf_section *s;
    unsigned char *p = NULL;
    uint64_t free0;

    free0 = store_free();
    CHECK_EQ(free0, store_total());
    CHECK_RC(mmf_section_create(&s, test_name("s"), 8 * MIB, MMF_CREATE_NEW, NULL),
             MMF_ENOSPC);
    CHECK_EQ(store_entries(), 0);
    CHECK_EQ(store_free(), free0);
    /* Exactly the store's size: the header page does not fit with it. */
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4 * MIB, MMF_OPEN_OR_CREATE, NULL),
             MMF_ENOSPC);
    CHECK_RC(mmf_section_create(&s, NULL, 8 * MIB, MMF_CREATE_NEW, NULL), MMF_ENOSPC);
    CHECK_EQ(store_entries(), 0);
    CHECK_EQ(store_free(), free0);
    CHECK_RC(mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);

    /* What fits still works. */
    CHECK_RC(mmf_section_create(&s, test_name("s"), 2 * MIB, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    memset(p, 0x3C, 2 * MIB);
    CHECK(all_bytes(p, 0x3C, 2 * MIB));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(store_free(), free0);
}

/* B13: fill the store with sections until MMF_ENOSPC; every section made
 * before still works (committed at create: no SIGBUS), the failed one left
 * nothing, and closing them all frees the space. */
static void fill_store_until_enospc_body(void);
TEST(fill_store_until_enospc)
{
    in_small_store(4, fill_store_until_enospc_body);
}

static void fill_store_until_enospc_body(void)
{
    enum { MAXS = 64 };
    const uint64_t size = 256 * KIB;
    static char names[MAXS][256];
    mmf_section *s[MAXS], *t;
    uint64_t free0;
    int n, rc = 0;

    free0 = store_free();
    for (n = 0; n < MAXS; n++) {
        char tag[16];
        snprintf(tag, sizeof tag, "s%d", n);
        snprintf(names[n], sizeof names[n], "%s", test_name(tag));
        rc = mmf_section_create(&s[n], names[n], size, MMF_CREATE_NEW, NULL);
        if (rc != 0)
            break;
    }
    CHECK_RC(rc, MMF_ENOSPC);
    CHECK(n >= 8 && n < 16); /* 4 MiB holds about 15 of 256 KiB + a header */
    CHECK_EQ(store_entries(), n);
    CHECK_RC(mmf_section_open(&t, names[n], MMF_ACCESS_READ), MMF_ENOENT);
    /* Unnamed sections live in the store too. */
    CHECK_RC(mmf_section_create(&t, NULL, size, MMF_CREATE_NEW, NULL), MMF_ENOSPC);

    for (int i = 0; i < n; i++) {
        unsigned char *p = NULL, *q = NULL;
        CHECK_OK(mmf_view_map(s[i], MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
        memset(p, i + 1, size);
        CHECK_OK(mmf_section_open(&t, names[i], MMF_ACCESS_READ));
        CHECK_OK(mmf_view_map(t, MMF_MAP_READ, 0, 0, 0, (void **)&q));
        CHECK(all_bytes(q, i + 1, size));
        CHECK_OK(mmf_view_unmap(q));
        CHECK_OK(mmf_section_close(t));
        CHECK_OK(mmf_view_unmap(p));
    }
    for (int i = 0; i < n; i++)
        CHECK_OK(mmf_section_close(s[i]));
    CHECK_EQ(store_entries(), 0);
    CHECK_EQ(store_free(), free0);
    /* The space is really back: one section of most of it fits. */
    CHECK_RC(mmf_section_create(&t, names[0], (uint64_t)(n - 1) * size, MMF_CREATE_NEW,
                                NULL), 0);
    CHECK_OK(mmf_section_close(t));
}

/* B13, C01: a reserved section larger than the store can be created; a
 * populated view of it fails cleanly with MMF_ENOMEM (no SIGBUS), and so
 * does committing it; committing what fits works. */
static void reserve_populate_enomem_body(void);
TEST(reserve_populate_enomem)
{
    in_small_store(4, reserve_populate_enomem_body);
}

static void reserve_populate_enomem_body(void)
{
    mmf_section_opts o = {.flags = MMF_SECTION_RESERVE};
    mmf_section *s;
    unsigned char *p = NULL, *q = NULL;
    mmf_section_info info;
    int rc;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 8 * MIB, MMF_CREATE_NEW, &o), 0);
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.size, 8 * MIB);
    CHECK(info.flags & MMF_SECTION_RESERVE);

    /* A committed MiB can be used without fear. */
    CHECK_OK(mmf_section_commit(s, 0, 1 * MIB));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 1 * MIB, 0, (void **)&q));
    memset(q, 0x42, 1 * MIB);

    rc = mmf_view_map(s, MMF_MAP_WRITE, 0, 0, MMF_VIEW_POPULATE, (void **)&p);
    CHECK_RC(rc, MMF_ENOMEM);
    CHECK(p == NULL);
    rc = mmf_section_commit(s, 0, 8 * MIB);
    if (rc != MMF_ENOSPC && rc != MMF_ENOMEM)
        test_fail(__FILE__, __LINE__, "commit beyond the store returned %s",
                  mmf_err_name(rc));
    CHECK(all_bytes(q, 0x42, 1 * MIB));
    CHECK_OK(mmf_view_unmap(q));
    /* A populated view of the part that exists works. */
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 1 * MIB, MMF_VIEW_POPULATE, (void **)&p));
    CHECK(all_bytes(p, 0x42, 1 * MIB));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(store_free(), store_total());
}

/* ------------------------------------------------------------------------ */
/* A hostile process                                                         */
/* ------------------------------------------------------------------------ */

/* The store file of a Local test name (the key needs no escaping). */
static void local_path(const char *key, char *path, size_t cap)
{
    const char *d = getenv("MMF_STORE_DIR");
    snprintf(path, cap, "%s/mmf.u%u.%s", d != NULL && d[0] == '/' ? d : "/dev/shm",
             (unsigned)geteuid(), key);
}

/* argv: store path, what. Damage the header of a live object with plain
 * open(2) and pwrite(2), as any process of the same user could. */
HELPER(scribble)
{
    static const unsigned char junk[8] = {0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef};
    static const struct { const char *what; size_t off, len; } fields[] = {
        {"magic", offsetof(struct mmf__hdr, magic), 8},
        {"version", offsetof(struct mmf__hdr, version), 4},
        {"hdr_size", offsetof(struct mmf__hdr, hdr_size), 4},
        {"type", offsetof(struct mmf__hdr, type), 4},
        {"prot", offsetof(struct mmf__hdr, prot), 4},
        {"name_len", offsetof(struct mmf__hdr, name_len), 4},
        {"size", offsetof(struct mmf__hdr, size), 8},
        {"data_size", offsetof(struct mmf__hdr, data_size), 8},
        {"path_len", offsetof(struct mmf__hdr, path_len), 4},
    };
    int fd;

    CHECK_EQ(argc, 2);
    fd = open(argv[0], O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    if (strcmp(argv[1], "all") == 0) {
        static unsigned char page[MMF__HDR_SIZE];
        memset(page, 0xff, sizeof page);
        CHECK_EQ(pwrite(fd, page, sizeof page, 0), sizeof page);
    } else if (strcmp(argv[1], "name") == 0) {
        /* Another name of the same length. */
        CHECK_EQ(pwrite(fd, "Local\\ZZZZ", 10, offsetof(struct mmf__hdr, name)), 10);
    } else if (strcmp(argv[1], "zero-size") == 0) {
        static const unsigned char zero[8];
        CHECK_EQ(pwrite(fd, zero, 8, offsetof(struct mmf__hdr, size)), 8);
    } else if (strcmp(argv[1], "truncate") == 0) {
        CHECK_EQ(ftruncate(fd, 100), 0);
    } else if (strcmp(argv[1], "grow") == 0) {
        struct stat st;
        CHECK_EQ(fstat(fd, &st), 0);
        CHECK_EQ(ftruncate(fd, st.st_size + 4096), 0);
    } else {
        size_t i = 0;
        while (i < sizeof fields / sizeof fields[0] && strcmp(fields[i].what, argv[1]) != 0)
            i++;
        CHECK(i < sizeof fields / sizeof fields[0]);
        CHECK_EQ(pwrite(fd, junk, fields[i].len, (off_t)fields[i].off), (ssize_t)fields[i].len);
    }
    close(fd);
    return 0;
}

static void scribble(const char *path, const char *what)
{
    CHECK_EQ(test_wait(test_spawn("scribble", path, what, NULL)), 0);
}

/* argv: name, "open" or "ooc" (open-or-create). Exits with the call's
 * result, negated (0 for success). */
HELPER(open_code)
{
    mmf_section *t;
    int rc;
    CHECK_EQ(argc, 2);
    if (strcmp(argv[1], "open") == 0)
        rc = mmf_section_open(&t, argv[0], MMF_ACCESS_READ);
    else
        rc = mmf_section_create(&t, argv[0], 65536, MMF_OPEN_OR_CREATE, NULL);
    if (rc >= 0)
        mmf_section_close(t);
    return rc == MMF_ECORRUPT ? 100 : rc < 0 ? 101 : rc;
}

/* What an open by name returns in another process: MMF_ECORRUPT, another
 * error, or a success. (A process that holds the object already opens it
 * from its own table, with its own validated copy of the header.) */
#define OPEN_ECORRUPT 100
static int open_elsewhere(const char *name, const char *how)
{
    return test_wait(test_spawn("open_code", name, how, NULL));
}

/* A shared header is untrusted input: after a hostile process damages any
 * of its fields, open and open-or-create give MMF_ECORRUPT (no crash); the
 * holder's handle and view, which use their own validated copy, keep
 * working; a repaired header opens again. */
TEST(corrupt_header_open_ecorrupt)
{
    static const char *what[] = {"magic", "version", "hdr_size", "type", "prot",
                                 "name_len", "size", "data_size", "path_len",
                                 "name", "zero-size", "all"};
    static unsigned char orig[MMF__HDR_SIZE];
    mmf_section_info info;
    mmf_section *s, *t;
    char path[512], *p = NULL;
    int fd;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, "precious");
    local_path(test_name("s"), path, sizeof path);
    fd = open(path, O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(pread(fd, orig, sizeof orig, 0), sizeof orig);

    for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
        int rc_open, rc_ooc;
        scribble(path, what[i]);
        rc_open = open_elsewhere(test_name("s"), "open");
        rc_ooc = open_elsewhere(test_name("s"), "ooc");
        if (rc_open != OPEN_ECORRUPT || rc_ooc != OPEN_ECORRUPT)
            test_fail(__FILE__, __LINE__,
                      "after damaging %s: another process's open exited %d, "
                      "open-or-create %d, expected %d (MMF_ECORRUPT)", what[i],
                      rc_open, rc_ooc, OPEN_ECORRUPT);
        /* This process holds it: it opens from its own validated copy. */
        CHECK_OK(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ));
        CHECK_OK(mmf_section_close(t));
        CHECK(strcmp(p, "precious") == 0);
        CHECK_OK(mmf_section_stat(s, &info));
        CHECK_EQ(info.size, 65536);
        /* Repair it: the object is usable again. */
        CHECK_EQ(pwrite(fd, orig, sizeof orig, 0), sizeof orig);
        CHECK_OK(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ));
        CHECK_OK(mmf_section_close(t));
    }
    close(fd);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* A hostile process truncating or growing the store file: open gives
 * MMF_ECORRUPT (the size no longer matches the header). */
TEST(resized_store_file_ecorrupt)
{
    mmf_section *s, *t;
    char path[512];

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    local_path(test_name("s"), path, sizeof path);
    scribble(path, "grow");
    CHECK_EQ(open_elsewhere(test_name("s"), "open"), OPEN_ECORRUPT);
    scribble(path, "truncate");
    CHECK_EQ(open_elsewhere(test_name("s"), "open"), OPEN_ECORRUPT);
    CHECK_EQ(open_elsewhere(test_name("s"), "ooc"), OPEN_ECORRUPT);
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
}

/* argv: name, ready_wr, go_rd. Hold a handle until "go", then close it. */
HELPER(hold_then_close)
{
    mmf_section *s;
    test_die_with_parent();
    CHECK_EQ(argc, 3);
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ));
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    CHECK_OK(mmf_section_close(s));
    return 0;
}

/* N08: a damaged header does not stop cleanup: closing handles uses each
 * holder's own copy, so the name stays while another process holds it and
 * is removed when that process closes the last handle. */
TEST(corrupt_header_close_cleans_up)
{
    struct test_sync ready, go;
    mmf_section *s, *t;
    char path[512];
    unsigned char *p = NULL;
    pid_t pid;
    int ok, left_after_first = -1, rc = 0, code;

    test_sync_init(&ready);
    test_sync_init(&go);
    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    local_path(test_name("s"), path, sizeof path);
    pid = test_spawn("hold_then_close", test_name("s"), test_num(ready.wr), test_num(go.rd), NULL);
    ok = test_sync_wait(&ready, 10000);
    if (ok) {
        scribble(path, "all");
        rc = open_elsewhere(test_name("s"), "open") == OPEN_ECORRUPT ? MMF_ECORRUPT : 0;
        CHECK_OK(mmf_section_close(s));
        left_after_first = test_store_count(test_name("s"));
    }
    test_sync_signal(go.wr);
    code = test_wait(pid);
    if (!ok)
        CHECK_OK(mmf_section_close(s));
    CHECK_EQ(code, 0);
    CHECK(ok);
    CHECK_RC(rc, MMF_ECORRUPT);
    CHECK_EQ(left_after_first, 1);
    /* The other process closed the last handle: the damaged file is gone. */
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_RC(mmf_section_create(&t, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_view_map(t, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(all_bytes(p, 0, 65536));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}

/* argv: name, ready_wr. Create the name, say so, wait to be killed. */
HELPER(create_and_wait)
{
    mmf_section *s;
    test_die_with_parent();
    CHECK_EQ(argc, 2);
    CHECK_RC(mmf_section_create(&s, argv[0], 65536, MMF_CREATE_NEW, NULL), 0);
    test_sync_signal(atoi(argv[1]));
    for (int i = 0; i < 600; i++)
        test_sleep_ms(100);
    return 3;
}

/* N10: a damaged object whose holders all died is stale like any other:
 * open reports MMF_ENOENT and removes it, create makes a fresh one. */
TEST(corrupt_header_stale_reclaimed)
{
    struct test_sync ready;
    mmf_section *t;
    char path[512];
    pid_t pid;
    int ok;

    test_sync_init(&ready);
    pid = test_spawn("create_and_wait", test_name("s"), test_num(ready.wr), NULL);
    ok = test_sync_wait(&ready, 10000);
    local_path(test_name("s"), path, sizeof path);
    if (ok)
        scribble(path, "all");
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    CHECK(ok);
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_RC(mmf_section_create(&t, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_close(t));
}

/* ------------------------------------------------------------------------ */
/* Out of file descriptors                                                   */
/* ------------------------------------------------------------------------ */

/* How many descriptors can still be opened (probing with dup of `base`). */
static int free_slots(int base)
{
    int fds[256], n = 0;
    while (n < 256 && (fds[n] = dup(base)) >= 0)
        n++;
    for (int i = 0; i < n; i++)
        close(fds[i]);
    return n;
}

/* argv: existing name, new name, file path. With RLIMIT_NOFILE low and
 * every descriptor taken, calls that need one fail with MMF_EMFILE and
 * leak nothing: no descriptor, no store file. */
HELPER(fd_starved)
{
    struct rlimit rl = {64, 64};
    mmf_section *held, *fheld, *t;
    char token[MMF_TOKEN_BYTES];
    int fillers[128], n = 0, base, file;

    CHECK_EQ(argc, 4);
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
    base = open("/dev/null", O_RDONLY | O_CLOEXEC);
    file = open(argv[2], O_RDWR | O_CLOEXEC);
    CHECK(base >= 0 && file >= 0);
    CHECK_OK(mmf_section_open(&held, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_RC(mmf_section_create_fd(&fheld, NULL, file, 0, MMF_CREATE_NEW, NULL), 0);
    while (n < 128 && (fillers[n] = dup(base)) >= 0)
        n++;
    CHECK(n < 128 && errno == EMFILE);
    CHECK_EQ(free_slots(base), 0);

    /* No descriptor left at all. */
    CHECK_RC(mmf_section_create(&t, argv[1], 4096, MMF_CREATE_NEW, NULL), MMF_EMFILE);
    CHECK_RC(mmf_section_create(&t, argv[1], 4096, MMF_OPEN_OR_CREATE, NULL), MMF_EMFILE);
    CHECK_RC(mmf_section_create(&t, NULL, 4096, MMF_CREATE_NEW, NULL), MMF_EMFILE);
    CHECK_RC(mmf_section_open(&t, argv[3], MMF_ACCESS_READ), MMF_EMFILE);
    CHECK_RC(mmf_section_create_fd(&t, argv[1], file, 0, MMF_CREATE_NEW, NULL), MMF_EMFILE);
    CHECK_RC(mmf_section_export(held, MMF_ACCESS_READ, token), MMF_EMFILE);
    CHECK_EQ(free_slots(base), 0);
    /* A name this process holds opens, and a handle duplicates, without a
     * descriptor: they are more handles on the process's reference. */
    CHECK_OK(mmf_section_open(&t, argv[0], MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_duplicate(held, MMF_ACCESS_READ, &t));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_duplicate(fheld, MMF_ACCESS_READ, &t));
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(free_slots(base), 0);

    /* One left: calls that need two descriptors fail without keeping the
     * first. */
    close(fillers[--n]);
    CHECK_EQ(free_slots(base), 1);
    CHECK_RC(mmf_section_create_fd(&t, argv[1], file, 0, MMF_CREATE_NEW, NULL), MMF_EMFILE);
    CHECK_EQ(free_slots(base), 1);
    CHECK_RC(mmf_section_create_fd(&t, NULL, file, 0, MMF_CREATE_NEW, NULL), MMF_EMFILE);
    CHECK_EQ(free_slots(base), 1);
    CHECK_RC(mmf_section_export(fheld, MMF_ACCESS_READ, token), MMF_EMFILE);
    CHECK_EQ(free_slots(base), 1);
    /* One is enough to open a pagefile-backed section held elsewhere. */
    CHECK_OK(mmf_section_open(&t, argv[3], MMF_ACCESS_READ));
    CHECK_EQ(free_slots(base), 0);
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(free_slots(base), 1);

    while (n > 0)
        close(fillers[--n]);
    /* The failed creates left nothing in the store, and the name is free. */
    CHECK_EQ(test_store_count(argv[1]), 0);
    CHECK_RC(mmf_section_open(&t, argv[1], MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_RC(mmf_section_create(&t, argv[1], 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(fheld));
    CHECK_OK(mmf_section_close(held));
    close(file);
    close(base);
    return 0;
}

/* A process out of file descriptors gets MMF_EMFILE from create, open (of a
 * name it does not hold yet) and export, and nothing leaks. */
TEST(out_of_descriptors_emfile)
{
    char path[64], existing[256], other[256];
    mmf_section *s, *o;
    int fd, code;

    snprintf(existing, sizeof existing, "%s", test_name("existing"));
    snprintf(other, sizeof other, "%s", test_name("other"));
    CHECK_RC(mmf_section_create(&o, other, 4096, MMF_CREATE_NEW, NULL), 0);
    snprintf(path, sizeof path, "/tmp/mmf-test-%ld-XXXXXX", (long)getpid());
    fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 8192), 0);
    close(fd);
    CHECK_RC(mmf_section_create(&s, existing, 4096, MMF_CREATE_NEW, NULL), 0);
    code = test_wait(test_spawn("fd_starved", existing, test_name("new"), path, other,
                                NULL));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_close(o));
    unlink(path);
    CHECK_EQ(code, 0);
    CHECK_EQ(test_store_count(test_name("new")), 0);
}
