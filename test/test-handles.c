/* SPDX-License-Identifier: MIT */
/*
 * test-handles.c - second handles to one section (win32-behaviour.md section
 * O): mmf_section_duplicate within a process, export/import across
 * fork + exec, and send/recv over Unix-domain sockets between processes.
 */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#ifndef _WIN32
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#endif
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/wait.h>
#endif

/* Where a receiver writes its reply in the section. */
#define REPLY_OFF 2048

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* The number of open descriptors of this process. */
#ifdef _WIN32
/* Windows: the process's open handles. */
static int count_fds(void)
{
    static int warm;

    if (!warm) {
        /* The first call that names an object makes the system open the
         * session's BaseNamedObjects directory, which it keeps for the
         * life of the process: have that done before counting. */
        mmf_section *x;
        CHECK_RC(mmf_section_open(&x, test_name("none"), MMF_ACCESS_READ), MMF_ENOENT);
        warm = 1;
    }
    return test_open_handles();
}
#else
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}
#endif

/* A descriptor number that is not open (searching upwards from `from`). */
#ifndef _WIN32
static int closed_fd(int from)
{
    while (fcntl(from, F_GETFD) >= 0)
        from++;
    return from;
}
#endif

static char *map_rw(mmf_section *s)
{
    void *p = NULL;
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p));
    return p;
}

/* The full name mmf_section_info reports for a Local test name. */
static const char *full_local(const char *tag)
{
    static char buf[300];
    snprintf(buf, sizeof buf, "Local\\%s", test_name(tag));
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Duplicate                                                                 */
/* ------------------------------------------------------------------------ */

/* O03, O04: a duplicate names the same object, with the access asked. */
TEST(duplicate_same_object)
{
    mmf_section_info a, b;
    mmf_section *s, *d;
    char *p, *q;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &d));
    CHECK(d != s);
    CHECK_OK(mmf_section_stat(s, &a));
    CHECK_OK(mmf_section_stat(d, &b));
    CHECK_EQ(b.size, a.size);
    CHECK_EQ(b.prot, a.prot);
    CHECK_EQ(b.access, MMF_ACCESS_READ | MMF_ACCESS_WRITE);
    CHECK(strcmp(a.name, b.name) == 0);
    p = map_rw(s);
    q = map_rw(d);
    CHECK(p != q);
    strcpy(p, "through the original");
    CHECK(strcmp(q, "through the original") == 0);
    strcpy(q + 100, "through the duplicate");
    CHECK(strcmp(p + 100, "through the duplicate") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_close(d));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}

/* O05, H11, E05: a narrowed duplicate is limited to its access: a read-only
 * duplicate cannot map a writable view, a write-only one not a read view. */
TEST(duplicate_narrowed_access_enforced)
{
    mmf_section_info info;
    mmf_section *s, *r, *w;
    void *p = NULL, *q = NULL, *c = NULL;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ, &r));
    CHECK_OK(mmf_section_stat(r, &info));
    CHECK_EQ(info.access, MMF_ACCESS_READ);
    CHECK_RC(mmf_view_map(r, MMF_MAP_WRITE, 0, 0, 0, &p), MMF_EACCES);
    CHECK(p == NULL);
    CHECK_RC(mmf_section_commit(r, 0, 4096), MMF_EACCES);
    CHECK_OK(mmf_view_map(r, MMF_MAP_READ, 0, 0, 0, &p));
    CHECK_OK(mmf_view_map(r, MMF_MAP_COPY, 0, 0, 0, &c));
    q = map_rw(s);
    strcpy(q, "shared");
    CHECK(strcmp(p, "shared") == 0);

    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_WRITE, &w));
    CHECK_OK(mmf_section_stat(w, &info));
    CHECK_EQ(info.access, MMF_ACCESS_WRITE);
    {
        void *x = NULL;
        CHECK_RC(mmf_view_map(w, MMF_MAP_READ, 0, 0, 0, &x), MMF_EACCES);
        CHECK_OK(mmf_view_map(w, MMF_MAP_WRITE, 0, 0, 0, &x));
        CHECK(strcmp(x, "shared") == 0);
        CHECK_OK(mmf_view_unmap(x));
    }
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_section_close(w));
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(s));
}

/* O05: a duplicate cannot widen the source's access. */
TEST(duplicate_widening_refused)
{
    mmf_section_opts ro = {.prot = MMF_PROT_READ};
    mmf_section *s, *r, *d, *c;
    int fds = count_fds();

    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    CHECK_RC(mmf_section_duplicate(r, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &d), MMF_EACCES);
    CHECK_RC(mmf_section_duplicate(r, MMF_ACCESS_WRITE, &d), MMF_EACCES);
    CHECK_RC(mmf_section_duplicate(r, MMF_ACCESS_EXEC, &d), MMF_EACCES);
    CHECK_RC(mmf_section_duplicate(r, MMF_ACCESS_ALL, &d), MMF_EACCES);
    CHECK_OK(mmf_section_duplicate(r, MMF_ACCESS_READ, &d));
    CHECK_RC(mmf_section_duplicate(d, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &c), MMF_EACCES);
    CHECK_OK(mmf_section_close(d));
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(s));
    /* mmf.h: the creator's handle has the access opts->prot gives, so the
     * creator of a read-only section has read access, which a duplicate
     * cannot widen. (Windows gives a creator full access, B11; mmf.h
     * chose otherwise.) */
    CHECK_RC(mmf_section_create(&s, test_name("ro"), 4096, MMF_CREATE_NEW, &ro), 0);
    {
        mmf_section_info info;
        CHECK_OK(mmf_section_stat(s, &info));
        CHECK_EQ(info.access, MMF_ACCESS_READ);
    }
    CHECK_RC(mmf_section_duplicate(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &d), MMF_EACCES);
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(count_fds(), fds);
}

/* O04, N08: the duplicate keeps the name alive after the original closes;
 * closing both removes it. */
TEST(duplicate_keeps_name_alive)
{
    mmf_section *s, *d, *t;
    char *p;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    p = map_rw(s);
    strcpy(p, "kept");
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ, &d));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 1);
    CHECK_OK(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(t, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(strcmp(p, "kept") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(test_store_count(test_name("s")), 1);
    CHECK_OK(mmf_section_close(d));
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
}

/* ------------------------------------------------------------------------ */
/* The receiving side, for export/import and send/recv                      */
/* ------------------------------------------------------------------------ */

/*
 * argv: how ("import" or "recv"), token or socket fd, ready_wr, go_rd,
 * expected access, expected text at offset 0, reply, expected full name
 * ("" if unnamed), expected file_backed.
 * Get the handle, check what it is, write the reply at REPLY_OFF if the
 * access allows it (else check that writing is refused), tell the parent,
 * and hold the handle until "go".
 */
HELPER(receiver)
{
    mmf_section_info info;
    mmf_section *s, *d;
    char *r = NULL, *w = NULL;
    unsigned access;

    test_die_with_parent();
    CHECK_EQ(argc, 9);
    if (strcmp(argv[0], "import") == 0) {
        CHECK_OK(mmf_section_import(argv[1], &s));
    } else {
#ifdef _WIN32
        /* Windows sockets carry no handles: only the send/recv cases,
         * which are Linux-only, ask for "recv". */
        test_fail(__FILE__, __LINE__, "recv has no Windows counterpart");
#else
        struct pollfd pfd = {atoi(argv[1]), POLLIN, 0};
        CHECK_EQ(poll(&pfd, 1, 30000), 1);
        CHECK_OK(mmf_section_recv(atoi(argv[1]), &s));
#endif
    }
    access = (unsigned)atoi(argv[4]);
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.access, access);
    CHECK(strcmp(info.name, argv[7]) == 0);
    CHECK_EQ(info.file_backed, atoi(argv[8]));
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&r));
    CHECK(strcmp(r, argv[5]) == 0);
    if (access & MMF_ACCESS_WRITE) {
        CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&w));
        strcpy(w + REPLY_OFF, argv[6]);
        CHECK_OK(mmf_view_unmap(w));
    } else {
        CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&w), MMF_EACCES);
        CHECK_RC(mmf_section_duplicate(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &d),
                 MMF_EACCES);
        CHECK_RC(mmf_section_commit(s, 0, 4096), MMF_EACCES);
    }
    test_sync_signal(atoi(argv[2]));
    CHECK(test_await_fd(atoi(argv[3]), 30000));
    CHECK(strcmp(r, argv[5]) == 0);
    CHECK_OK(mmf_view_unmap(r));
    CHECK_OK(mmf_section_close(s));
    return 0;
}

struct peer {
    struct test_sync ready, go;
    pid_t pid;
};

/* Start a receiver. */
static void peer_start(struct peer *pr, const char *how, const char *src,
                       unsigned access, const char *text, const char *reply,
                       const char *full_name, int file_backed)
{
    test_sync_init(&pr->ready);
    test_sync_init(&pr->go);
    pr->pid = test_spawn("receiver", how, src, test_num(pr->ready.wr), test_num(pr->go.rd),
                         test_num(access), text, reply, full_name, test_num(file_backed), NULL);
}

/* Let the receiver finish; returns its exit code. */
static int peer_finish(struct peer *pr)
{
    int code;
    test_sync_signal(pr->go.wr);
    code = test_wait(pr->pid);
    close(pr->ready.rd);
    close(pr->ready.wr);
    close(pr->go.rd);
    close(pr->go.wr);
    return code;
}

/* ------------------------------------------------------------------------ */
/* Export / import                                                           */
/* ------------------------------------------------------------------------ */

/* O06, N08: an exported reference crosses fork + exec; the child's handle
 * keeps the name alive after the parent released its copy and closed its
 * own handle, and the child's writes are the parent's memory. */
TEST(export_import_named)
{
    char token[MMF_TOKEN_BYTES];
    struct peer pr;
    mmf_section *s, *t;
    char *p;
    int fds, ok, rc = -1, seen = 0, code;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    p = map_rw(s);
    strcpy(p, "hello export");
    CHECK_OK(mmf_view_unmap(p));
    fds = count_fds();
    CHECK_OK(mmf_section_export(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, token));
    CHECK(strlen(token) > 0 && strlen(token) < MMF_TOKEN_BYTES);
    peer_start(&pr, "import", token, MMF_ACCESS_READ | MMF_ACCESS_WRITE,
               "hello export", "written by the child", full_local("s"), 0);
#ifdef _WIN32
    /* The Windows harness also holds the child's process handle and its
     * job object, so count what export_close releases: the one handle
     * the export made. */
    fds = count_fds();
    CHECK_OK(mmf_section_export_close(token));
    CHECK_EQ(count_fds(), fds - 1);
#else
    CHECK_OK(mmf_section_export_close(token));
    CHECK_EQ(count_fds(), fds + 4); /* only the two sync pipes are new */
#endif
    CHECK_OK(mmf_section_close(s));

    ok = test_sync_wait(&pr.ready, 10000);
    if (ok) {
        /* Only the child holds it now, and the name is alive. */
        rc = mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ);
        if (rc == 0) {
            CHECK_OK(mmf_view_map(t, MMF_MAP_READ, 0, 0, 0, (void **)&p));
            seen = strcmp(p + REPLY_OFF, "written by the child") == 0;
            CHECK_OK(mmf_view_unmap(p));
        }
    }
    code = peer_finish(&pr);
    CHECK_EQ(code, 0);
    CHECK(ok);
    CHECK_RC(rc, 0);
    CHECK(seen);
    CHECK_EQ(test_store_count(test_name("s")), 1);
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
}

/* O06: export works for an unnamed section; the parent sees the child's
 * writes through the view it kept after closing its handle. */
TEST(export_import_unnamed)
{
    char token[MMF_TOKEN_BYTES];
    struct peer pr;
    mmf_section *s;
    char *p;
    int ok, code;

    CHECK_RC(mmf_section_create(&s, NULL, 65536, MMF_CREATE_NEW, NULL), 0);
    p = map_rw(s);
    strcpy(p, "unnamed data");
    CHECK_OK(mmf_section_export(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, token));
    peer_start(&pr, "import", token, MMF_ACCESS_READ | MMF_ACCESS_WRITE,
               "unnamed data", "reply to unnamed", "", 0);
    CHECK_OK(mmf_section_export_close(token));
    CHECK_OK(mmf_section_close(s));
    ok = test_sync_wait(&pr.ready, 10000);
    code = peer_finish(&pr);
    CHECK_EQ(code, 0);
    CHECK(ok);
    CHECK(strcmp(p + REPLY_OFF, "reply to unnamed") == 0);
    CHECK_OK(mmf_view_unmap(p));
}

/* O05: a read-only export gives the child a read-only handle: info says
 * so, and a writable view is MMF_EACCES. */
TEST(export_read_only)
{
    char token[MMF_TOKEN_BYTES];
    struct peer pr;
    mmf_section *s;
    char *p;
    int ok, code;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    p = map_rw(s);
    strcpy(p, "read me");
    CHECK_OK(mmf_section_export(s, MMF_ACCESS_READ, token));
    peer_start(&pr, "import", token, MMF_ACCESS_READ, "read me", "-",
               full_local("s"), 0);
    CHECK_OK(mmf_section_export_close(token));
    ok = test_sync_wait(&pr.ready, 10000);
    code = peer_finish(&pr);
    CHECK_EQ(code, 0);
    CHECK(ok);
    CHECK_EQ(p[REPLY_OFF], 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* O05: export cannot widen the handle's access. */
TEST(export_widening_refused)
{
    char token[MMF_TOKEN_BYTES];
    mmf_section *s, *r;
    int fds;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    fds = count_fds();
    CHECK_RC(mmf_section_export(r, MMF_ACCESS_READ | MMF_ACCESS_WRITE, token), MMF_EACCES);
    CHECK_RC(mmf_section_export(r, MMF_ACCESS_WRITE, token), MMF_EACCES);
    CHECK_RC(mmf_section_export(r, MMF_ACCESS_ALL, token), MMF_EACCES);
    CHECK_EQ(count_fds(), fds);
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(s));
}

/* Malformed tokens are MMF_EINVAL for import and export_close, and
 * export_close of a malformed token closes nothing. */
#ifndef _WIN32
TEST(import_malformed_token)
{
    static const char *bad[] = {"", "garbage", "mmf1:abc", "mmf1:-5:-1:1",
                                "mmf1:3:-1:0", "mmf1:", "mmf1:3", "mmf1:3:-1",
                                "mmf1:3:-1:1:9", "mmf1:3:-1:1x", "mmf2:3:-1:1",
                                "mmf1:3:-1:64"};
    char token[64];
    mmf_section *s;
    int fds[2];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = mmf_section_import(bad[i], &s);
        if (rc != MMF_EINVAL)
            test_fail(__FILE__, __LINE__, "import(\"%s\") returned %s, expected MMF_EINVAL",
                      bad[i], mmf_err_name(rc));
        rc = mmf_section_export_close(bad[i]);
        if (rc != MMF_EINVAL)
            test_fail(__FILE__, __LINE__,
                      "export_close(\"%s\") returned %s, expected MMF_EINVAL", bad[i],
                      mmf_err_name(rc));
    }
    /* Malformed, but naming descriptors that are open: left alone. */
    CHECK_EQ(pipe(fds), 0);
    snprintf(token, sizeof token, "mmf1:%d:%d:0", fds[0], fds[1]);
    CHECK_RC(mmf_section_export_close(token), MMF_EINVAL);
    CHECK_RC(mmf_section_import(token, &s), MMF_EINVAL);
    CHECK(fcntl(fds[0], F_GETFD) >= 0 && fcntl(fds[1], F_GETFD) >= 0);
    close(fds[0]);
    close(fds[1]);
}
#else
LINUX_ONLY_TEST(import_malformed_token, "forges Linux export tokens from pipe descriptors")
#endif

/* A well-formed token naming descriptors that are not open: MMF_EBADF. */
#ifndef _WIN32
TEST(import_closed_descriptors)
{
    char token[MMF_TOKEN_BYTES], made[MMF_TOKEN_BYTES];
    mmf_section *s;
    int a = closed_fd(500), b = closed_fd(a + 1);

    snprintf(token, sizeof token, "mmf1:%d:-1:1", a);
    CHECK_RC(mmf_section_import(token, &s), MMF_EBADF);
    snprintf(token, sizeof token, "mmf1:%d:%d:3", a, b);
    CHECK_RC(mmf_section_import(token, &s), MMF_EBADF);

    /* A real token after its descriptors were released. */
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_export(s, MMF_ACCESS_READ, made));
    CHECK_OK(mmf_section_export_close(made));
    {
        mmf_section *t;
        CHECK_RC(mmf_section_import(made, &t), MMF_EBADF);
    }
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}
#else
LINUX_ONLY_TEST(import_closed_descriptors, "forges Linux export tokens from closed descriptors")
#endif

/* A token naming an open descriptor that is not an mmf object: import
 * refuses it (MMF_ECORRUPT) instead of using it. */
#ifndef _WIN32
TEST(import_not_a_section)
{
    char token[MMF_TOKEN_BYTES], path[64];
    mmf_section *s;
    int fds[2], fd;

    CHECK_EQ(pipe(fds), 0);
    snprintf(token, sizeof token, "mmf1:%d:-1:1", fds[0]);
    CHECK_RC(mmf_section_import(token, &s), MMF_ECORRUPT);
    close(fds[1]);

    snprintf(path, sizeof path, "/tmp/mmf-test-%ld-XXXXXX", (long)getpid());
    fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    {
        char junk[8192];
        memset(junk, 0x42, sizeof junk);
        CHECK_EQ(write(fd, junk, sizeof junk), sizeof junk);
    }
    snprintf(token, sizeof token, "mmf1:%d:-1:3", fd);
    CHECK_RC(mmf_section_import(token, &s), MMF_ECORRUPT);
}
#else
LINUX_ONLY_TEST(import_not_a_section, "forges Linux export tokens from pipe descriptors")
#endif

/* ------------------------------------------------------------------------ */
/* Send / recv                                                               */
/* ------------------------------------------------------------------------ */

/* A connected pair; both ends inheritable (no SOCK_CLOEXEC). */
#ifndef _WIN32
static void pair(int type, int sv[2])
{
    CHECK_EQ(socketpair(AF_UNIX, type, 0, sv), 0);
}
#endif

/* Send s with `access` to a receiver process over a stream socket and let
 * it check (see HELPER(receiver)). Returns 0, the receiver's exit code,
 * 200 if it never got ready, or 300 if sending failed. `during` runs while
 * the receiver holds its handle; with close_after_send the sender closes s
 * right after sending. */
#ifndef _WIN32
static int send_to_child(mmf_section *s, unsigned access, const char *text,
                         const char *reply, const char *full_name, int file_backed,
                         int close_after_send, void (*during)(void))
{
    struct peer pr;
    int sv[2], ok, rc, code;

    pair(SOCK_STREAM, sv);
    peer_start(&pr, "recv", test_num(sv[1]), access, text, reply, full_name, file_backed);
    close(sv[1]);
    rc = mmf_section_send(sv[0], s, access);
    if (close_after_send)
        mmf_section_close(s);
    ok = test_sync_wait(&pr.ready, 10000);
    if (ok && rc == 0 && during != NULL)
        during();
    close(sv[0]);
    code = peer_finish(&pr);
    if (code != 0)
        return code;
    if (rc != 0) {
        fprintf(stderr, "mmf_section_send returned %s\n", mmf_err_name(rc));
        return 300;
    }
    return ok ? 0 : 200;
}
#endif

/* O04: a section sent over a socket reaches another process as a working
 * handle to the same memory. */
#ifndef _WIN32
TEST(send_recv_named)
{
    mmf_section *s;
    char *p;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    p = map_rw(s);
    strcpy(p, "hello send");
    CHECK_EQ(send_to_child(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, "hello send",
                           "sent back", full_local("s"), 0, 0, NULL), 0);
    CHECK(strcmp(p + REPLY_OFF, "sent back") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}
#else
LINUX_ONLY_TEST(send_recv_named, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* O05: a section sent with read access only cannot be written by the
 * receiver. */
#ifndef _WIN32
TEST(send_recv_read_only)
{
    mmf_section *s;
    char *p;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    p = map_rw(s);
    strcpy(p, "look, don't touch");
    CHECK_EQ(send_to_child(s, MMF_ACCESS_READ, "look, don't touch", "-",
                           full_local("s"), 0, 0, NULL), 0);
    CHECK_EQ(p[REPLY_OFF], 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}
#else
LINUX_ONLY_TEST(send_recv_read_only, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* An unnamed section can be sent; the sender may close its handle right
 * after sending and still sees the receiver's writes in its view. */
#ifndef _WIN32
TEST(send_recv_unnamed)
{
    mmf_section *s;
    char *p;

    CHECK_RC(mmf_section_create(&s, NULL, 65536, MMF_CREATE_NEW, NULL), 0);
    p = map_rw(s);
    strcpy(p, "anonymous");
    CHECK_EQ(send_to_child(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, "anonymous",
                           "answered", "", 0, 1, NULL), 0);
    CHECK(strcmp(p + REPLY_OFF, "answered") == 0);
    CHECK_OK(mmf_view_unmap(p));
}
#else
LINUX_ONLY_TEST(send_recv_unnamed, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

#ifndef _WIN32
static int alive_while_received;
#endif

#ifndef _WIN32
static void check_name_alive(void)
{
    mmf_section *t;
    alive_while_received = mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ) == 0;
    if (alive_while_received)
        mmf_section_close(t);
}
#endif

/* N08: after the sender closes its handle, the reference in flight and
 * then the receiver's handle keep the name alive; the receiver's close
 * removes it. */
#ifndef _WIN32
TEST(send_receiver_keeps_name_alive)
{
    mmf_section *s, *t;
    int sv[2];

    /* In flight: sent, not yet received, sender closed. */
    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    pair(SOCK_STREAM, sv);
    CHECK_OK(mmf_section_send(sv[0], s, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 1);
    CHECK_OK(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_recv(sv[1], &t));
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(test_store_count(test_name("s")), 0);
    close(sv[0]);
    close(sv[1]);

    /* Received by another process, sender closed. */
    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    {
        char *p = map_rw(s);
        strcpy(p, "still here");
        CHECK_OK(mmf_view_unmap(p));
    }
    alive_while_received = 0;
    CHECK_EQ(send_to_child(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, "still here",
                           "receiver wrote", full_local("s"), 0, 1, check_name_alive), 0);
    CHECK(alive_while_received);
    /* The receiver closed the last handle. */
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("s")), 0);
}
#else
LINUX_ONLY_TEST(send_receiver_keeps_name_alive, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* A reference that is never received is released when the socket is
 * closed: the name goes with it. */
#ifndef _WIN32
TEST(send_unreceived_released_on_close)
{
    mmf_section *s, *t;
    int sv[2];

    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    pair(SOCK_STREAM, sv);
    CHECK_OK(mmf_section_send(sv[0], s, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(t));
    close(sv[0]);
    close(sv[1]);
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("s")), 0);
}
#else
LINUX_ONLY_TEST(send_unreceived_released_on_close, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* O05: send cannot widen the handle's access, and sends nothing then. */
#ifndef _WIN32
TEST(send_widening_refused)
{
    mmf_section *s, *r, *t;
    int sv[2];

    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    pair(SOCK_STREAM, sv);
    CHECK_RC(mmf_section_send(sv[0], r, MMF_ACCESS_READ | MMF_ACCESS_WRITE), MMF_EACCES);
    CHECK_RC(mmf_section_send(sv[0], r, MMF_ACCESS_ALL), MMF_EACCES);
    CHECK_EQ(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EAGAIN);
    close(sv[0]);
    close(sv[1]);
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_close(s));
}
#else
LINUX_ONLY_TEST(send_widening_refused, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* Send one message of `len` bytes from buf with the descriptors fds[0..n). */
#ifndef _WIN32
static void send_raw(int sock, const void *buf, size_t len, const int *fds, int n)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } u;
    struct iovec iov = {(void *)buf, len};
    struct msghdr msg;

    memset(&msg, 0, sizeof msg);
    memset(&u, 0, sizeof u);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (n > 0) {
        struct cmsghdr *c;
        msg.msg_control = u.buf;
        msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    }
    CHECK_EQ(sendmsg(sock, &msg, 0), (ssize_t)len);
}
#endif

/* A message that is not a section is MMF_EINVAL (or MMF_ECORRUPT for a
 * descriptor that is not an mmf object); descriptors that came with it are
 * closed, and the socket still works afterwards. */
#ifndef _WIN32
TEST(recv_not_a_section)
{
    struct { char magic[4]; uint32_t access; } wire = {{'M', 'M', 'F', 'S'}, 3};
    mmf_section *s, *t;
    int sv[2], fds, p[2];
    char *v;

    pair(SOCK_SEQPACKET, sv);
    CHECK_EQ(pipe(p), 0);
    fds = count_fds();

    /* Plain bytes. */
    CHECK_EQ(write(sv[0], "not mmf!", 8), 8);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EINVAL);
    CHECK_EQ(write(sv[0], "this is a longer message than a section's", 41), 41);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EINVAL);
    /* The right payload but no descriptor. */
    send_raw(sv[0], &wire, sizeof wire, NULL, 0);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EINVAL);
    /* A descriptor with the wrong payload. */
    send_raw(sv[0], "garbage!", 8, p, 1);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EINVAL);
    CHECK_EQ(count_fds(), fds);
    /* The right payload with a bad access mask. */
    wire.access = 0x40;
    send_raw(sv[0], &wire, sizeof wire, p, 1);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EINVAL);
    CHECK_EQ(count_fds(), fds);
    /* The right payload with a descriptor that is no mmf object. */
    wire.access = MMF_ACCESS_READ;
    send_raw(sv[0], &wire, sizeof wire, p, 1);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_ECORRUPT);
    CHECK_EQ(count_fds(), fds);

    /* A real section still gets through. */
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    v = map_rw(s);
    strcpy(v, "after the junk");
    CHECK_OK(mmf_section_send(sv[0], s, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_recv(sv[1], &t));
    {
        char *q = NULL;
        CHECK_OK(mmf_view_map(t, MMF_MAP_READ, 0, 0, 0, (void **)&q));
        CHECK(strcmp(q, "after the junk") == 0);
        CHECK_OK(mmf_view_unmap(q));
    }
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_view_unmap(v));
    CHECK_OK(mmf_section_close(s));
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}
#else
LINUX_ONLY_TEST(recv_not_a_section, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* A closed peer is MMF_EIO; an empty non-blocking socket MMF_EAGAIN. */
#ifndef _WIN32
TEST(recv_closed_peer)
{
    mmf_section *t;
    int sv[2];

    pair(SOCK_STREAM, sv);
    CHECK_EQ(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EAGAIN);
    close(sv[0]);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EIO);
    close(sv[1]);

    pair(SOCK_SEQPACKET, sv);
    close(sv[0]);
    CHECK_RC(mmf_section_recv(sv[1], &t), MMF_EIO);
    close(sv[1]);
}
#else
LINUX_ONLY_TEST(recv_closed_peer, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* N04-style: a file-backed section (two descriptors: object and file) can
 * be sent; the receiver writes through to the same file. */
#ifndef _WIN32
TEST(send_recv_file_backed)
{
    char path[64], buf[32];
    mmf_section_info info;
    mmf_section *s;
    char *p;
    int fd, code;

    snprintf(path, sizeof path, "/tmp/mmf-test-%ld-XXXXXX", (long)getpid());
    fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 8192), 0);
    CHECK_EQ(pwrite(fd, "file data", 10, 0), 10);
    CHECK_RC(mmf_section_create_fd(&s, test_name("s"), fd, 0, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.file_backed, 1);
    CHECK_EQ(info.size, 8192);
    p = map_rw(s);
    CHECK(strcmp(p, "file data") == 0);
    code = send_to_child(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, "file data",
                         "into the file", full_local("s"), 1, 0, NULL);
    CHECK(strcmp(p + REPLY_OFF, "into the file") == 0);
    CHECK_EQ(pread(fd, buf, 14, REPLY_OFF), 14);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    close(fd);
    unlink(path);
    CHECK_EQ(code, 0);
    CHECK(memcmp(buf, "into the file", 14) == 0);
}
#else
LINUX_ONLY_TEST(send_recv_file_backed, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* An unnamed file-backed section can be sent, read-only, too. */
#ifndef _WIN32
TEST(send_recv_file_backed_unnamed)
{
    char path[64];
    mmf_section *s;
    int fd, code;

    snprintf(path, sizeof path, "/tmp/mmf-test-%ld-XXXXXX", (long)getpid());
    fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    CHECK_EQ(pwrite(fd, "unnamed file", 13, 0), 13);
    CHECK_RC(mmf_section_create_fd(&s, NULL, fd, 4096, MMF_CREATE_NEW, NULL), 0);
    close(fd);
    code = send_to_child(s, MMF_ACCESS_READ, "unnamed file", "-", "", 1, 1, NULL);
    CHECK_EQ(code, 0);
}
#else
LINUX_ONLY_TEST(send_recv_file_backed_unnamed, "passes descriptors over Unix sockets (SCM_RIGHTS); send/recv are MMF_ENOTSUP on Windows")
#endif

/* ------------------------------------------------------------------------ */
/* The per-process handle table                                              */
/* ------------------------------------------------------------------------ */

/* Handles of one process to one object share its reference: opening the
 * name again costs no descriptor; a read-only handle first, then a
 * read-write one, both work; the name lives until the last of them. */
TEST(same_process_handles_share_reference)
{
    mmf_section *c, *r, *w, *t;
    char *p = NULL, *q = NULL;
    int before;

    CHECK_RC(mmf_section_create(&c, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    before = count_fds();
    CHECK_OK(mmf_section_open(&r, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_open(&w, test_name("s"), MMF_ACCESS_READ | MMF_ACCESS_WRITE));
#ifdef _WIN32
    /* Windows gives every open a kernel handle of its own. */
    CHECK_EQ(count_fds(), before + 2);
#else
    CHECK_EQ(count_fds(), before); /* the creator's reference serves both */
#endif
    CHECK_OK(mmf_section_close(c));
    CHECK_OK(mmf_view_map(w, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK_OK(mmf_view_map(r, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    strcpy(p, "shared");
    CHECK(strcmp(q, "shared") == 0);
    CHECK_RC(mmf_view_map(r, MMF_MAP_WRITE, 0, 0, 0, (void **)&p), MMF_EACCES);
    CHECK_OK(mmf_section_close(w));
    CHECK_OK(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(r));
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK(strcmp(q, "shared") == 0); /* views outlive the handles */
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_view_unmap(q));
}

/* A read-only reference made first (the name was opened read-only) and a
 * read-write one made later are two references of one process; closing
 * either leaves the name to the other. */
HELPER(ro_then_rw)
{
    mmf_section *r, *w, *t;
    char *p = NULL;
    CHECK_EQ(argc, 1);
    CHECK_OK(mmf_section_open(&r, argv[0], MMF_ACCESS_READ));
    CHECK_OK(mmf_section_open(&w, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_view_map(w, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, "from the child");
    CHECK_OK(mmf_section_close(r));
    CHECK_OK(mmf_section_open(&t, argv[0], MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(w));
    CHECK_OK(mmf_view_unmap(p));
    return 0;
}

TEST(read_only_then_read_write_reference)
{
    mmf_section *s;
    char *p = NULL;
    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL), 0);
    CHECK_EQ(test_wait(test_spawn("ro_then_rw", test_name("s"), NULL)), 0);
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(strcmp(p, "from the child") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* After fork() the child's table names its parent's references, which it
 * must not use as its own: its open makes a reference of its own, which
 * keeps the name alive after the parent closes. */
#ifndef _WIN32
TEST(fork_child_opens_its_own_reference)
{
    mmf_section *s, *t;
    int up[2], down[2], st;
    char c = 0;
    pid_t pid;

    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_EQ(pipe(up), 0);
    CHECK_EQ(pipe(down), 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        mmf_section *o;
        if (mmf_section_open(&o, test_name("s"), MMF_ACCESS_READ) != 0)
            _exit(1);
        if (write(up[1], "x", 1) != 1)
            _exit(2);
        /* Hold it until the parent has closed and checked. */
        if (read(down[0], &c, 1) != 1)
            _exit(3);
        mmf_section_close(o);
        _exit(0);
    }
    CHECK_EQ(read(up[0], &c, 1), 1);
    CHECK_OK(mmf_section_close(s));
    /* The child's own reference keeps the name. */
    CHECK_OK(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(t));
    CHECK_EQ(write(down[1], "y", 1), 1);
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
    CHECK_RC(mmf_section_open(&t, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("s")), 0);
}
#else
LINUX_ONLY_TEST(fork_child_opens_its_own_reference, "fork() has no Windows counterpart")
#endif

/* ------------------------------------------------------------------------ */
/* Many references                                                           */
/* ------------------------------------------------------------------------ */

/* A process holding thousands of names: opening each again finds its own
 * object (its data), with the access asked for; closing the second
 * handles keeps every name, closing the first removes them all, and no
 * descriptor or store entry is left. */
TEST_SLOW(many_held_references)
{
    enum { N = 3000 };
    mmf_section **s = calloc(N, sizeof *s), *o;
    char name[300];
    int fds = count_fds();
    CHECK(s != NULL);
    for (int i = 0; i < N; i++) {
        uint32_t *p = NULL;
        snprintf(name, sizeof name, "%s%d", test_name("r"), i);
        CHECK_OK(mmf_section_create(&s[i], name, 4096, MMF_CREATE_NEW, NULL));
        CHECK_OK(mmf_view_map(s[i], MMF_MAP_WRITE, 0, 4096, 0, (void **)&p));
        p[0] = (uint32_t)i;
        CHECK_OK(mmf_view_unmap(p));
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            uint32_t *p = NULL;
            int k = (i * 7 + round) % N;
            snprintf(name, sizeof name, "%s%d", test_name("r"), k);
            CHECK_OK(mmf_section_open(&o, name, round ? MMF_ACCESS_READ : MMF_ACCESS_READ | MMF_ACCESS_WRITE));
            CHECK_OK(mmf_view_map(o, MMF_MAP_READ, 0, 4096, 0, (void **)&p));
            CHECK_EQ(p[0], k);
            CHECK_OK(mmf_view_unmap(p));
            CHECK_OK(mmf_section_close(o));
        }
    }
    CHECK_EQ(test_store_count(test_name("r")), N);
    for (int i = 0; i < N; i += 2)
        CHECK_OK(mmf_section_close(s[i]));
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "%s%d", test_name("r"), i);
        if (i % 2 == 0) {
            CHECK_RC(mmf_section_open(&o, name, MMF_ACCESS_READ), MMF_ENOENT);
        } else {
            CHECK_OK(mmf_section_open(&o, name, MMF_ACCESS_READ));
            CHECK_OK(mmf_section_close(o));
        }
    }
    for (int i = 1; i < N; i += 2)
        CHECK_OK(mmf_section_close(s[i]));
    free(s);
    CHECK_EQ(test_store_count(test_name("r")), 0);
    CHECK_EQ(count_fds(), fds);
}

/* ------------------------------------------------------------------------ */
/* Synchronization objects across exec                                      */
/* ------------------------------------------------------------------------ */

/* argv: event token, semaphore token. Signal the unnamed event and
 * release the semaphore through the inherited references. */
HELPER(sync_importer)
{
    mmf_sync *e, *s;
    mmf_sync_info info;

    test_die_with_parent();
    CHECK_EQ(argc, 2);
    CHECK_OK(mmf_sync_import(argv[0], &e));
    CHECK_OK(mmf_sync_import(argv[1], &s));
    CHECK_OK(mmf_sync_stat(e, &info));
    CHECK_EQ(info.type, MMF_TYPE_EVENT);
    CHECK_OK(mmf_sync_stat(s, &info));
    CHECK_EQ(info.type, MMF_TYPE_SEMAPHORE);
    CHECK_OK(mmf_event_set(e));
    CHECK_OK(mmf_semaphore_release(s, 1, NULL));
    CHECK_OK(mmf_sync_close(e));
    CHECK_OK(mmf_sync_close(s));
    return 0;
}

/* An unnamed event and a named semaphore cross fork + exec as tokens:
 * the child's signal and release are seen by the parent's handles. */
TEST(sync_export_import)
{
    char te[MMF_TOKEN_BYTES], ts[MMF_TOKEN_BYTES];
    mmf_sync *e, *s;
    pid_t pid;

    CHECK_RC(mmf_event_create(&e, NULL, 1, 0, MMF_CREATE_NEW, NULL), 0);
    CHECK_RC(mmf_semaphore_create(&s, test_name("sem"), 0, 1, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_sync_export(e, te));
    CHECK_OK(mmf_sync_export(s, ts));
    pid = test_spawn("sync_importer", te, ts, NULL);
    CHECK_OK(mmf_sync_export_close(te));
    CHECK_OK(mmf_sync_export_close(ts));
    CHECK_OK(mmf_sync_wait(e, 10000));
    CHECK_OK(mmf_sync_wait(s, 10000));
    CHECK_EQ(test_wait(pid), 0);
    CHECK_OK(mmf_sync_close(e));
    CHECK_OK(mmf_sync_close(s));
}

/* argv: mutex token, the mutex's full name, ready_wr, go_rd. Lock the
 * imported mutex, say so, and on "go" exit holding it. */
HELPER(mutex_importer)
{
    mmf_sync *m;
    mmf_sync_info info;

    test_die_with_parent();
    CHECK_EQ(argc, 4);
    CHECK_OK(mmf_sync_import(argv[0], &m));
    CHECK_OK(mmf_sync_stat(m, &info));
    CHECK_EQ(info.type, MMF_TYPE_MUTEX);
    CHECK(strcmp(info.name, argv[1]) == 0);
    CHECK_OK(mmf_mutex_lock(m, 10000));
    test_sync_signal(atoi(argv[2]));
    CHECK(test_await_fd(atoi(argv[3]), 30000));
    return 0; /* the process ends owning the mutex */
}

/* A named mutex crosses fork + exec as a token: it is the parent's mutex
 * (the child's lock holds the parent off), it keeps its name, and the
 * child's death while owning it abandons it to the parent. */
TEST(sync_export_import_mutex)
{
    char tm[MMF_TOKEN_BYTES];
    struct test_sync ready, go;
    mmf_sync *m;
    pid_t pid;
    int ok, held;

    CHECK_RC(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_sync_export(m, tm));
    test_sync_init(&ready);
    test_sync_init(&go);
    pid = test_spawn("mutex_importer", tm, full_local("m"), test_num(ready.wr),
                     test_num(go.rd), NULL);
    CHECK_OK(mmf_sync_export_close(tm));
    ok = test_sync_wait(&ready, 10000);
    held = mmf_mutex_lock(m, 0);
    test_sync_signal(go.wr);
    CHECK_EQ(test_wait(pid), 0);
    CHECK(ok);
    CHECK_RC(held, MMF_ETIMEDOUT);
    CHECK_RC(mmf_mutex_lock(m, 10000), MMF_ABANDONED);
    CHECK_OK(mmf_mutex_unlock(m));
    CHECK_OK(mmf_sync_close(m));
    close(ready.rd);
    close(ready.wr);
    close(go.rd);
    close(go.wr);
    CHECK_EQ(test_store_count(test_name("m")), 0);
}

/* A token of something that is not a sync object, or a malformed one, is
 * refused without a handle. */
TEST(sync_import_refuses_bad_tokens)
{
    char token[MMF_TOKEN_BYTES];
    mmf_section *sec;
    mmf_sync *o = (mmf_sync *)1;

    CHECK_RC(mmf_sync_import("mmf1:garbage", &o), MMF_EINVAL);
    CHECK(o == NULL);
    CHECK_RC(mmf_sync_import(NULL, &o), MMF_EINVAL);
    CHECK_RC(mmf_section_create(&sec, NULL, 65536, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_export(sec, MMF_ACCESS_READ | MMF_ACCESS_WRITE, token));
    CHECK_RC(mmf_sync_import(token, &o), MMF_ETYPE);
    CHECK(o == NULL);
    CHECK_OK(mmf_section_close(sec));
    CHECK_RC(mmf_sync_export(NULL, token), MMF_EBADF);
}
