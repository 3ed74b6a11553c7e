/* SPDX-License-Identifier: MIT */
/*
 * test-lifetime.c - when a name and its memory live and die (win32-behaviour.md
 * section N): last handle closed, holders in other processes, views after
 * the handles, processes killed with SIGKILL, stale objects, and races
 * between processes that create, open and close one name at once.
 */
#include "test.h"

#include <fcntl.h>
#ifndef _WIN32
#include <poll.h>
#endif
#include <pthread.h>
#ifndef _WIN32
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#endif
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Reap pid, killing it if it has not exited within ms. Returns the exit
 * code (128 + signal if killed by one), or -1 on timeout. */
static int wait_timeout(pid_t pid, long ms)
{
    if (!test_await_exit(pid, ms)) {
        kill(pid, SIGKILL);
        test_wait(pid);
        return -1;
    }
    return test_wait(pid);
}

#ifndef _WIN32
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

#ifndef _WIN32
static void sort3(double *v)
{
    for (int i = 1; i < 3; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
}
#endif

/*
 * How slowly the machine runs us now, for time limits that must hold on a
 * loaded machine too, from two measured scheduling delays (medians of
 * three, so that one hiccup does not count but a busy machine does):
 *   - how late a 1 ms sleep wakes up (over the 1.1 ms of an idle machine);
 *   - what share of the CPU a busy thread gets over 20 ms of wall time
 *     (other runnable processes take the rest): its inverse.
 * The larger, between 1 and 9.
 */
#ifndef _WIN32
static double load_factor(void)
{
    double late[3], share[3], f;
    for (int i = 0; i < 3; i++) {
        uint64_t t0 = test_now_ns(), c0;
        sleep_us(1000);
        late[i] = (double)(test_now_ns() - t0) / 1.1e6;
        t0 = test_now_ns();
        c0 = thread_cpu_ns();
        while (test_now_ns() - t0 < 20000000u)
            ;
        share[i] = (double)(thread_cpu_ns() - c0) / (double)(test_now_ns() - t0);
    }
    sort3(late);
    sort3(share);
    f = share[1] > 0.01 ? 1 / share[1] : 100;
    if (late[1] > f)
        f = late[1];
    return f < 1 ? 1 : f > 9 ? 9 : f;
}
#endif

#ifndef _WIN32
static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(2685821657736338717);
}
#endif

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
/* Last handle closed, within one process                                    */
/* ------------------------------------------------------------------------ */

/* N02, N03, N05: closing both handles removes the name although a view is
 * still mapped; the view keeps working; create makes a new, zero-filled
 * object that does not alias the old view. */
TEST(name_gone_after_last_handle)
{
    const size_t size = 1 << 20;
    mmf_section *a, *b, *c;
    unsigned char *pa = NULL, *pc = NULL;
    char name[256];

    snprintf(name, sizeof name, "%s", test_name("s"));
    CHECK_OK(mmf_section_create(&a, name, size, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(a, MMF_MAP_WRITE, 0, 0, 0, (void **)&pa));
    CHECK_OK(mmf_section_open(&b, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    memset(pa, 0xA5, size);
    CHECK_OK(mmf_section_close(a));
    CHECK_EQ(test_store_count(name), 1); /* b still holds the name */
    CHECK_OK(mmf_section_close(b));

    /* The name went with the last handle, not with the last view. */
    CHECK_EQ(test_store_count(name), 0);
    CHECK_RC(mmf_section_open(&b, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK(all_bytes(pa, 0xA5, size));
    pa[12345] = 0x11;
    CHECK_EQ(pa[12345], 0x11);

    /* CreateFileMapping on the gone name: a new object, GLE 0. */
    CHECK_RC(mmf_section_create(&c, name, size, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_OK(mmf_view_map(c, MMF_MAP_WRITE, 0, 0, 0, (void **)&pc));
    CHECK(pc != pa);
    CHECK(all_bytes(pc, 0, size));
    memset(pc, 0x5A, size);
    CHECK_EQ(pa[0], 0xA5);
    CHECK_EQ(pa[12345], 0x11);
    pa[7] = 0x77;
    CHECK_EQ(pc[7], 0x5A);

    CHECK_OK(mmf_view_unmap(pa));
    CHECK_OK(mmf_view_unmap(pc));
    CHECK_OK(mmf_section_close(c));
    CHECK_EQ(test_store_count(name), 0);
    CHECK_RC(mmf_section_open(&c, name, MMF_ACCESS_READ), MMF_ENOENT);
}

/* ------------------------------------------------------------------------ */
/* Holders in other processes                                                */
/* ------------------------------------------------------------------------ */

/* argv: name, ready_wr, go_rd. Open the name, say so, wait for "go", then
 * exit without closing anything. */
HELPER(open_hold_exit)
{
    mmf_section *s;
    char *p = NULL;
    test_die_with_parent();
    CHECK_EQ(argc, 3);
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(strcmp(p, "created by the parent") == 0);
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    return 0; /* exit with the handle and the view still open */
}

/* N08, N10: the name lives while another process holds a handle, after
 * its creator closed; it goes when that process exits without closing. */
TEST(name_lives_while_other_process_holds)
{
    struct test_sync ready, go;
    mmf_section *a, *b;
    char *p = NULL;
    char name[256];
    pid_t pid;

    snprintf(name, sizeof name, "%s", test_name("s"));
    test_sync_init(&ready);
    test_sync_init(&go);
    CHECK_OK(mmf_section_create(&a, name, 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(a, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, "created by the parent");
    CHECK_OK(mmf_view_unmap(p));
    pid = test_spawn("open_hold_exit", name, test_num(ready.wr), test_num(go.rd), NULL);
    if (!test_sync_wait(&ready, 10000)) {
        kill(pid, SIGKILL);
        test_wait(pid);
        test_fail(__FILE__, __LINE__, "the child did not open the section");
    }
    CHECK_OK(mmf_section_close(a));

    /* The creator's handle is gone; the child's keeps the name. */
    CHECK_EQ(test_store_count(name), 1);
    CHECK_OK(mmf_section_open(&b, name, MMF_ACCESS_READ));
    p = NULL;
    CHECK_OK(mmf_view_map(b, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(strcmp(p, "created by the parent") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(b));
    CHECK_EQ(test_store_count(name), 1);
    CHECK_OK(mmf_section_open(&b, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(b));

    /* The child exits without closing: the kernel drops its reference. */
    test_sync_signal(go.wr);
    CHECK_EQ(test_wait(pid), 0);
    CHECK_RC(mmf_section_open(&b, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(name), 0);
    CHECK_RC(mmf_section_create(&b, name, 4096, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_OK(mmf_section_close(b));
}

/* argv: name, ready_wr, go1_rd, go2_rd. Map a view, close the handle,
 * then talk to the parent through the memory only. */
HELPER(view_without_handle)
{
    mmf_section *s;
    char *p = NULL;
    test_die_with_parent();
    CHECK_EQ(argc, 4);
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK_OK(mmf_section_close(s));
    CHECK(strcmp(p, "one") == 0);
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    /* Every handle in the system is closed now: only views remain. */
    CHECK(strcmp(p, "two") == 0);
    strcpy(p, "three");
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_READ), MMF_ENOENT);
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[3]), 30000));
    CHECK_OK(mmf_view_unmap(p));
    return 0;
}

/* N01, N02, N06: the memory lives while views exist, across processes,
 * after every handle is closed and the name is gone. */
TEST(memory_lives_while_views_exist)
{
    struct test_sync ready, go1, go2;
    mmf_section *a, *b;
    char *p = NULL;
    char name[256];
    pid_t pid;
    int ok;

    snprintf(name, sizeof name, "%s", test_name("s"));
    test_sync_init(&ready);
    test_sync_init(&go1);
    test_sync_init(&go2);
    CHECK_OK(mmf_section_create(&a, name, 65536, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(a, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, "one");
    pid = test_spawn("view_without_handle", name, test_num(ready.wr), test_num(go1.rd),
                     test_num(go2.rd), NULL);
    ok = test_sync_wait(&ready, 10000);
    CHECK_OK(mmf_section_close(a));
    if (ok) {
        CHECK_EQ(test_store_count(name), 0);
        CHECK_RC(mmf_section_open(&b, name, MMF_ACCESS_READ), MMF_ENOENT);
        strcpy(p, "two");
        test_sync_signal(go1.wr);
        ok = test_sync_wait(&ready, 10000);
        if (ok)
            ok = strcmp(p, "three") == 0;
    }
    test_sync_signal(go1.wr);
    test_sync_signal(go2.wr);
    CHECK_EQ(wait_timeout(pid, 10000), 0);
    CHECK(ok);
    CHECK(strcmp(p, "three") == 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_EQ(test_store_count(name), 0);
}

/* ------------------------------------------------------------------------ */
/* SIGKILL                                                                   */
/* ------------------------------------------------------------------------ */

/* argv: name, mode ("create" or "open"), ready_wr. Get a handle (create:
 * MMF_CREATE_NEW, 64 KiB), a duplicate and two views, fill the memory with
 * 0xEE, say so and wait to be killed. */
HELPER(hold_until_killed)
{
    mmf_section *s, *d;
    unsigned char *p = NULL, *q = NULL;
    test_die_with_parent();
    CHECK_EQ(argc, 3);
    if (strcmp(argv[1], "create") == 0)
        CHECK_RC(mmf_section_create(&s, argv[0], 65536, MMF_CREATE_NEW, NULL), 0);
    else
        CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_section_duplicate(s, MMF_ACCESS_READ, &d));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK_OK(mmf_view_map(d, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    memset(p, 0xEE, 65536);
    CHECK_EQ(q[65535], 0xEE);
    test_sync_signal(atoi(argv[2]));
    for (int i = 0; i < 600; i++)
        test_sleep_ms(100);
    return 3; /* never killed */
}

/* Spawn a hold_until_killed child and wait until it holds the name. */
static pid_t spawn_holder(const char *name, const char *mode, struct test_sync *ready)
{
    pid_t pid = test_spawn("hold_until_killed", name, mode, test_num(ready->wr), NULL);
    if (!test_sync_wait(ready, 10000)) {
        kill(pid, SIGKILL);
        test_fail(__FILE__, __LINE__, "holder exited with %d before holding",
                  test_wait(pid));
    }
    return pid;
}

/* N08, N10: a holder killed with SIGKILL (handles, a duplicate and views
 * open) drops its references; the parent's handle keeps the name; the
 * parent's close then removes it and leaves no file. */
TEST(sigkill_holder_parent_keeps_name)
{
    struct test_sync ready;
    mmf_section *a, *b;
    unsigned char *p = NULL;
    char name[256];
    pid_t pid;

    snprintf(name, sizeof name, "%s", test_name("s"));
    test_sync_init(&ready);
    CHECK_OK(mmf_section_create(&a, name, 65536, MMF_CREATE_NEW, NULL));
    pid = spawn_holder(name, "open", &ready);
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);

    CHECK_EQ(test_store_count(name), 1);
    CHECK_OK(mmf_section_open(&b, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(b, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(all_bytes(p, 0xEE, 65536)); /* the killed child's writes */
    CHECK_OK(mmf_section_close(b));
    CHECK_EQ(test_store_count(name), 1);

    CHECK_OK(mmf_section_close(a));
    /* The parent was the last live holder: its close removes the file. */
    CHECK_EQ(test_store_count(name), 0);
    CHECK_RC(mmf_section_open(&b, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK(all_bytes(p, 0xEE, 65536));
    CHECK_OK(mmf_view_unmap(p));
}

/* Two children create and open `name`, and both are killed: every holder
 * died. The parent holds nothing. */
static void make_stale(const char *name)
{
    struct test_sync ready;
    pid_t creator, opener;

    test_sync_init(&ready);
    creator = spawn_holder(name, "create", &ready);
    opener = spawn_holder(name, "open", &ready);
    CHECK_EQ(kill(creator, SIGKILL), 0);
    CHECK_EQ(kill(opener, SIGKILL), 0);
    CHECK_EQ(test_wait(creator), 128 + SIGKILL);
    CHECK_EQ(test_wait(opener), 128 + SIGKILL);
    close(ready.rd);
    close(ready.wr);
    /* Nobody was left to remove it: the file may remain, stale. */
    CHECK(test_store_count(name) <= 1);
}

/* Map all of s and check that it is zero-filled and of `size` bytes. */
static void check_fresh(mmf_section *s, uint64_t size)
{
    mmf_section_info info;
    unsigned char *p = NULL;
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.size, size);
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(all_bytes(p, 0, (size_t)size));
    CHECK_OK(mmf_view_unmap(p));
}

/* N08, N10: all holders killed -> the name is absent: open reports
 * MMF_ENOENT and reclaims the stale file. */
TEST(all_holders_killed_open_enoent)
{
    mmf_section *s;
    char name[256];

    snprintf(name, sizeof name, "%s", test_name("s"));
    make_stale(name);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(name), 0);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE), MMF_ENOENT);
}

/* N03, N05, N10: all holders killed -> MMF_CREATE_NEW succeeds (0) with a
 * fresh zero-filled object of the new size. */
TEST(all_holders_killed_create_new)
{
    mmf_section *s;
    char name[256];

    snprintf(name, sizeof name, "%s", test_name("s"));
    make_stale(name);
    CHECK_RC(mmf_section_create(&s, name, 8192, MMF_CREATE_NEW, NULL), 0);
    check_fresh(s, 8192);
    CHECK_EQ(test_store_count(name), 1);
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(name), 0);
}

/* N03, N05, N10: all holders killed -> MMF_OPEN_OR_CREATE creates (0, not
 * MMF_EXISTED) a fresh zero-filled object whose size is the new one. */
TEST(all_holders_killed_open_or_create)
{
    mmf_section *s;
    char name[256];

    snprintf(name, sizeof name, "%s", test_name("s"));
    make_stale(name);
    CHECK_RC(mmf_section_create(&s, name, 8192, MMF_OPEN_OR_CREATE, NULL), 0);
    check_fresh(s, 8192);
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(name), 0);
}

/* ------------------------------------------------------------------------ */
/* fork()                                                                    */
/* ------------------------------------------------------------------------ */

/* N08: a fork() child shares the parent's handle in memory; its close (or
 * its exit) must not remove the parent's name or release its reference. */
#ifndef _WIN32
TEST(fork_child_close_keeps_name)
{
    mmf_section *a, *b;
    char *p = NULL;
    char name[256];
    pid_t pid;

    snprintf(name, sizeof name, "%s", test_name("s"));
    CHECK_OK(mmf_section_create(&a, name, 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(a, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, "parent");

    /* The child closes the inherited handle. */
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        mmf_section_close(a);
        _exit(0);
    }
    CHECK_EQ(test_wait(pid), 0);
    CHECK_EQ(test_store_count(name), 1);
    CHECK_OK(mmf_section_open(&b, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(b));
    /* b's close must still see a's reference (it was not unlocked). */
    CHECK_EQ(test_store_count(name), 1);
    CHECK_OK(mmf_section_open(&b, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(b));

    /* The child exits holding the inherited handle. */
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(strcmp(p, "parent") == 0 ? 0 : 1);
    CHECK_EQ(test_wait(pid), 0);
    CHECK_EQ(test_store_count(name), 1);

    /* The child opens and closes a handle of its own, then closes the
     * inherited one: the parent's reference still keeps the name. */
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        mmf_section *c;
        if (mmf_section_open(&c, name, MMF_ACCESS_READ) != 0)
            _exit(2);
        mmf_section_close(c);
        mmf_section_close(a);
        _exit(0);
    }
    CHECK_EQ(test_wait(pid), 0);
    CHECK_EQ(test_store_count(name), 1);
    CHECK_OK(mmf_section_open(&b, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(b));

    CHECK_OK(mmf_section_close(a));
    CHECK_EQ(test_store_count(name), 0);
    CHECK_RC(mmf_section_open(&b, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK(strcmp(p, "parent") == 0);
    CHECK_OK(mmf_view_unmap(p));
}
#else
LINUX_ONLY_TEST(fork_child_close_keeps_name, "fork() has no Windows counterpart")
#endif

/* ------------------------------------------------------------------------ */
/* Concurrency: churn under SIGKILL, and create/close races                  */
/* ------------------------------------------------------------------------ */

/*
 * The shared layout both stress helpers use, in a section of CH_SIZE bytes:
 * CH_SLOTS slots of CH_WORDS 64-bit words in the first page. Process i
 * writes only slot i, always the whole slot with one value TAG(i) | counter,
 * so in any view:
 *   - its own slot is uniform, and is 0 in an object it just created;
 *   - every word of slot j is 0 or carries TAG(j);
 *   - the second page is never written and stays 0.
 * Anything else is corrupted data (or a view of the wrong object).
 */
#define CH_SIZE 65536u
#define CH_SLOTS 8
#define CH_WORDS 64
#define CH_TAG(i) ((uint64_t)((i) + 1) << 48)
#define CH_COUNT_MASK ((UINT64_C(1) << 48) - 1)

/* Exit codes of the helpers. */
enum {
    CH_BAD_OWN_TORN = 10,  /* own slot not uniform */
    CH_BAD_OWN_VALUE = 11, /* own slot holds a value never written there */
    CH_BAD_FOREIGN = 12,   /* another slot holds a word without its tag */
    CH_BAD_GUARD = 13,     /* the never-written page is not zero */
    CH_BAD_CREATE = 20,    /* create returned an unexpected code */
    CH_BAD_OPEN = 21,      /* open returned an unexpected code */
    CH_BAD_MAP = 22,       /* map or unmap failed */
    CH_BAD_SETUP = 23
};

struct ch_view {
    volatile uint64_t *p;
    uint64_t expect; /* value of the own slot, when known */
    int known;
};

/* 0 if the view is consistent for process `me`, else a CH_BAD_* code. */
static int ch_check(struct ch_view *v, int me, uint64_t counter)
{
    for (int j = 0; j < CH_SLOTS; j++) {
        const volatile uint64_t *s = v->p + j * CH_WORDS;
        if (j == me) {
            uint64_t w0 = s[0];
            for (int k = 1; k < CH_WORDS; k++) {
                if (s[k] != w0)
                    return CH_BAD_OWN_TORN;
            }
            if (w0 != 0 && ((w0 & ~CH_COUNT_MASK) != CH_TAG(me) ||
                            (w0 & CH_COUNT_MASK) > counter))
                return CH_BAD_OWN_VALUE;
            if (v->known && w0 != v->expect)
                return CH_BAD_OWN_VALUE;
            v->expect = w0;
            v->known = 1;
        } else {
            for (int k = 0; k < CH_WORDS; k++) {
                uint64_t w = s[k];
                if (w != 0 && (w & ~CH_COUNT_MASK) != CH_TAG(j))
                    return CH_BAD_FOREIGN;
            }
        }
    }
    for (unsigned k = CH_SLOTS * CH_WORDS; k < 2 * CH_SLOTS * CH_WORDS; k++) {
        if (v->p[k] != 0)
            return CH_BAD_GUARD;
    }
    return 0;
}

static void ch_write(struct ch_view *v, int me, uint64_t value)
{
    volatile uint64_t *s = v->p + me * CH_WORDS;
    for (int k = 0; k < CH_WORDS; k++)
        s[k] = value;
    v->expect = value;
    v->known = 1;
}

static int ch_fail(int code, const char *what, int rc)
{
    fprintf(stderr, "helper %s (pid %ld): %s: %s (%d)\n", test_case(),
            (long)getpid(), what, mmf_err_name(rc), rc);
    return code;
}

static volatile sig_atomic_t ch_stop;

#ifndef _WIN32
static void ch_on_term(int sig)
{
    (void)sig;
    ch_stop = 1;
}
#endif

/*
 * argv: name, index, seed, ready_wr. Until SIGTERM: create, open, map,
 * write, unmap and close the name at random, checking every view after
 * every step. On SIGTERM, check, unmap and close everything and exit 0.
 */
#ifndef _WIN32
HELPER(churn)
{
    enum { MAXH = 3, MAXV = 3 };
    struct sigaction sa;
    mmf_section *h[MAXH];
    int fresh[MAXH]; /* created by us (0) and not written since */
    struct ch_view v[MAXV];
    int nh = 0, nv = 0, me, rc;
    uint64_t seed, counter = 0;
    const char *name;

    test_die_with_parent();
    if (argc != 4)
        return CH_BAD_SETUP;
    name = argv[0];
    me = atoi(argv[1]);
    seed = strtoull(argv[2], NULL, 10) * 2 + 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ch_on_term;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (me < 0 || me >= CH_SLOTS || sigaction(SIGTERM, &sa, NULL) != 0)
        return CH_BAD_SETUP;
    test_sync_signal(atoi(argv[3]));

    while (!ch_stop) {
        unsigned op = (unsigned)(rng_next(&seed) % 100);
        /* While we hold a handle the name must exist, whatever the
         * others do or suffer. */
        if (op < 20 && nh < MAXH) {
            rc = mmf_section_create(&h[nh], name, CH_SIZE, MMF_OPEN_OR_CREATE, NULL);
            if ((rc != 0 || nh > 0) && rc != MMF_EXISTED)
                return ch_fail(CH_BAD_CREATE, "open-or-create", rc);
            fresh[nh++] = rc == 0;
        } else if (op < 25 && nh < MAXH) {
            rc = mmf_section_create(&h[nh], name, CH_SIZE, MMF_CREATE_NEW, NULL);
            if ((rc != 0 || nh > 0) && rc != MMF_EEXIST)
                return ch_fail(CH_BAD_CREATE, "create-new", rc);
            if (rc == 0)
                fresh[nh++] = 1;
        } else if (op < 45 && nh < MAXH) {
            rc = mmf_section_open(&h[nh], name, MMF_ACCESS_READ | MMF_ACCESS_WRITE);
            if ((rc != MMF_ENOENT || nh > 0) && rc != 0)
                return ch_fail(CH_BAD_OPEN, "open", rc);
            if (rc == 0)
                fresh[nh++] = 0;
        } else if (op < 60 && nh > 0 && nv < MAXV) {
            int i = (int)(rng_next(&seed) % (uint64_t)nh);
            void *p = NULL;
            rc = mmf_view_map(h[i], MMF_MAP_WRITE, 0, 0, 0, &p);
            if (rc != 0)
                return ch_fail(CH_BAD_MAP, "map", rc);
            v[nv].p = p;
            v[nv].known = fresh[i];
            v[nv].expect = 0;
            nv++;
        } else if (op < 70 && nv > 0) {
            int i = (int)(rng_next(&seed) % (uint64_t)nv);
            if ((rc = mmf_view_unmap((void *)v[i].p)) != 0)
                return ch_fail(CH_BAD_MAP, "unmap", rc);
            v[i] = v[--nv];
        } else if (op < 85 && nh > 0) {
            int i = (int)(rng_next(&seed) % (uint64_t)nh);
            mmf_section_close(h[i]);
            h[i] = h[nh - 1];
            fresh[i] = fresh[nh - 1];
            nh--;
        } else if (nv > 0) {
            counter++;
            for (int i = 0; i < nv; i++)
                ch_write(&v[i], me, CH_TAG(me) | counter);
            for (int i = 0; i < nh; i++)
                fresh[i] = 0;
        }
        for (int i = 0; i < nv; i++) {
            if ((rc = ch_check(&v[i], me, counter)) != 0) {
                fprintf(stderr, "helper churn %d: view check failed (%d)\n", me, rc);
                return rc;
            }
        }
    }
    for (int i = 0; i < nv; i++) {
        if ((rc = ch_check(&v[i], me, counter)) != 0)
            return rc;
        if ((rc = mmf_view_unmap((void *)v[i].p)) != 0)
            return ch_fail(CH_BAD_MAP, "unmap", rc);
    }
    for (int i = 0; i < nh; i++)
        mmf_section_close(h[i]);
    return 0;
}
#endif

/*
 * N08, N10: hundreds of rounds in which 2-4 processes churn one name while
 * the parent SIGKILLs some, all or none of them after a random 0-5 ms (so
 * some die inside create, open or close) and stops the others. After each
 * round nobody holds the name: open gives MMF_ENOENT, the store has no file
 * for it, and no child ever saw inconsistent memory.
 */
#ifndef _WIN32
TEST_SLOW(kill_stress)
{
    enum { MAXC = 4, ROUNDS = 400 };
    /* 50 s on an idle machine; a loaded one gets more, in proportion to
     * how late it runs us, up to what ctest allows (600 s). */
    const double budget_s = 50, budget_max_s = 450;
    double slow = load_factor();
    uint64_t budget_ns = (uint64_t)(budget_s * slow * 1e9);
    struct test_sync ready;
    mmf_section *s;
    char name[256];
    const char *env = getenv("MMF_TEST_SEED");
    uint64_t seed, start = test_now_ns();
    int round, kills = 0, all_killed = 0, stale = 0;

    snprintf(name, sizeof name, "%s", test_name("s"));
    seed = env ? strtoull(env, NULL, 10) : (test_now_ns() ^ (uint64_t)getpid());
    printf("seed %llu (set MMF_TEST_SEED to repeat)\n", (unsigned long long)seed);
    fflush(stdout);
    seed = seed * 2 + 1;
    test_sync_init(&ready);

    for (round = 0; round < ROUNDS && test_now_ns() - start < budget_ns; round++) {
        pid_t pids[MAXC];
        int killed[MAXC], code[MAXC], n = 2 + (int)(rng_next(&seed) % 3);
        int readied = 0, nkilled = 0, mode = (int)(rng_next(&seed) % 4);

        if (round % 25 == 24) {
            /* The load may change while we run: keep the worst seen. */
            double now = load_factor();
            if (now > slow) {
                slow = now;
                budget_ns = (uint64_t)((budget_s * slow < budget_max_s
                                        ? budget_s * slow : budget_max_s) * 1e9);
            }
        }
        for (int i = 0; i < n; i++)
            pids[i] = test_spawn("churn", name, test_num(i), test_num((long long)(rng_next(&seed) >> 2)),
                                 test_num(ready.wr), NULL);
        for (int i = 0; i < n; i++)
            readied += test_sync_wait(&ready, (long)(10000 * slow));
        /* mode 0: kill none; 1: kill all; 2, 3: kill each with p = 1/2. */
        sleep_us((long)(rng_next(&seed) % 5001));
        for (int i = 0; i < n; i++) {
            killed[i] = mode == 1 || (mode >= 2 && (rng_next(&seed) & 1));
            if (killed[i]) {
                kill(pids[i], SIGKILL);
                nkilled++;
                sleep_us((long)(rng_next(&seed) % 1000));
            }
        }
        for (int i = 0; i < n; i++) {
            if (!killed[i])
                kill(pids[i], SIGTERM);
        }
        for (int i = 0; i < n; i++)
            code[i] = wait_timeout(pids[i], (long)(20000 * slow));

        CHECK_EQ(readied, n);
        for (int i = 0; i < n; i++) {
            if (code[i] != (killed[i] ? 128 + SIGKILL : 0))
                test_fail(__FILE__, __LINE__,
                          "round %d: child %d (%s) ended with %d (10-13: bad "
                          "data, 20-22: bad return code, -1: hung)",
                          round, i, killed[i] ? "killed" : "stopped", code[i]);
        }
        kills += nkilled;
        all_killed += nkilled == n;
        /* Survivors closed everything: if nobody died, nothing is left. */
        if (nkilled == 0)
            CHECK_EQ(test_store_count(name), 0);
        stale += test_store_count(name);
        CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
        CHECK_EQ(test_store_count(name), 0);
    }
    printf("%d rounds, %d children killed, %d rounds with all killed, "
           "%d stale objects reclaimed, %.1f s (load factor %.1f)\n", round, kills,
           all_killed, stale, (double)(test_now_ns() - start) / 1e9, slow);
    CHECK(round >= 300);
    CHECK(kills > 0 && all_killed > 0 && stale > 0);
    CHECK_EQ(test_store_count(name), 0);
}
#else
LINUX_ONLY_TEST(kill_stress, "stops its helpers with SIGTERM, which Windows cannot send to another process (test-windows.c terminate_storm is the Windows twin)")
#endif

/*
 * argv: name, index, duration_ms, ready_wr, go_rd. Open-or-create the name,
 * check and write, sometimes open it a second time, unmap and close, in a
 * loop. Exit codes as for churn.
 */
HELPER(race)
{
    struct ch_view v;
    uint64_t counter = 0, end;
    long created = 0, existed = 0, opened = 0, absent = 0;
    int me, rc;

    test_die_with_parent();
    if (argc != 5)
        return CH_BAD_SETUP;
    me = atoi(argv[1]);
    test_sync_signal(atoi(argv[3]));
    if (!test_await_fd(atoi(argv[4]), 30000))
        return CH_BAD_SETUP;
    end = test_now_ns() + (uint64_t)atol(argv[2]) * 1000000u;
    while (test_now_ns() < end) {
        mmf_section *s, *t;
        void *p = NULL;
        rc = mmf_section_create(&s, argv[0], CH_SIZE, MMF_OPEN_OR_CREATE, NULL);
        if (rc != 0 && rc != MMF_EXISTED)
            return ch_fail(CH_BAD_CREATE, "open-or-create", rc);
        rc == 0 ? created++ : existed++;
        /* A new object holds nothing of ours. */
        v.known = rc == 0;
        v.expect = 0;
        if ((rc = mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p)) != 0)
            return ch_fail(CH_BAD_MAP, "map", rc);
        v.p = p;
        if ((rc = ch_check(&v, me, counter)) != 0)
            return rc;
        ch_write(&v, me, CH_TAG(me) | ++counter);
        if (counter % 3 == 0) {
            rc = mmf_section_open(&t, argv[0], MMF_ACCESS_READ);
            if (rc != 0)
                return ch_fail(CH_BAD_OPEN, "open while holding", rc);
            mmf_section_close(t);
        }
        if ((rc = ch_check(&v, me, counter)) != 0)
            return rc;
        if ((rc = mmf_view_unmap(p)) != 0)
            return ch_fail(CH_BAD_MAP, "unmap", rc);
        mmf_section_close(s);
        /* Between our handles the other process may or may not hold it. */
        rc = mmf_section_open(&t, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE);
        if (rc == 0) {
            opened++;
            mmf_section_close(t);
        } else if (rc == MMF_ENOENT) {
            absent++;
        } else {
            return ch_fail(CH_BAD_OPEN, "open", rc);
        }
    }
    printf("race %d: %ld created, %ld existed, %ld opened, %ld absent\n", me,
           created, existed, opened, absent);
    return 0;
}

/* N03, N08: two processes open-or-create and close one name as fast as they
 * can for a few seconds. Every call gives 0, MMF_EXISTED or MMF_ENOENT as
 * the rules say (never MMF_ECORRUPT or MMF_EBUSY), memory is consistent,
 * and nothing is left at the end. */
TEST(open_or_create_close_race)
{
    struct test_sync ready, go;
    mmf_section *s;
    char name[256];
    pid_t a, b;
    int ra, rb;

    snprintf(name, sizeof name, "%s", test_name("s"));
    test_sync_init(&ready);
    test_sync_init(&go);
    a = test_spawn("race", name, "0", "3000", test_num(ready.wr), test_num(go.rd), NULL);
    b = test_spawn("race", name, "1", "3000", test_num(ready.wr), test_num(go.rd), NULL);
    ra = test_sync_wait(&ready, 10000);
    rb = test_sync_wait(&ready, 10000);
    test_sync_signal(go.wr);
    test_sync_signal(go.wr);
    CHECK_EQ(wait_timeout(a, 30000), 0);
    CHECK_EQ(wait_timeout(b, 30000), 0);
    CHECK(ra && rb);
    CHECK_EQ(test_store_count(name), 0);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
}

/* ------------------------------------------------------------------------ */
/* Exit frees                                                                */
/* ------------------------------------------------------------------------ */

static void *spin_on_view(void *arg)
{
    volatile char *p = arg;
    for (unsigned long i = 0;; i++)
        p[i % 4096] = (char)i; /* keeps using its view during exit */
    return NULL;
}

/*
 * argv: prefix, "exit" | "thread". Create one object of each kind, named
 * <prefix>-<kind>, and leave without closing any of them: with exit(), and
 * for "thread" while a second thread still writes to a view.
 */
HELPER(exit_without_close)
{
    char name[300];
    mmf_section *s;
    mmf_sync *m, *e, *sem;
    mmf_ring *r;
    void *p = NULL;
    pthread_t t;

    CHECK_EQ(argc, 2);
    snprintf(name, sizeof name, "%s-section", argv[0]);
    CHECK_OK(mmf_section_create(&s, name, 65536, MMF_CREATE_NEW, NULL));
    snprintf(name, sizeof name, "%s-mutex", argv[0]);
    CHECK_OK(mmf_mutex_create(&m, name, 1, MMF_CREATE_NEW, NULL));
    snprintf(name, sizeof name, "%s-event", argv[0]);
    CHECK_OK(mmf_event_create(&e, name, 1, 0, MMF_CREATE_NEW, NULL));
    snprintf(name, sizeof name, "%s-semaphore", argv[0]);
    CHECK_OK(mmf_semaphore_create(&sem, name, 1, 4, MMF_CREATE_NEW, NULL));
    snprintf(name, sizeof name, "%s-ring", argv[0]);
    CHECK_OK(mmf_ring_create(&r, name, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_send(r, "left behind", 11, 0));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p));
    if (strcmp(argv[1], "thread") == 0) {
        CHECK_EQ(pthread_create(&t, NULL, spin_on_view, p), 0);
        sleep_us(2000);
    }
    fflush(NULL);
    exit(0);
}

static void exit_frees(const char *how)
{
    const char *prefix = test_name(how);
    mmf_section *s;

    CHECK_EQ(test_wait(test_spawn("exit_without_close", prefix, how, NULL)), 0);
    /* No look-up of the names first: they must be gone already. */
    CHECK_EQ(test_store_count(prefix) + test_claims_count(prefix), 0);
    CHECK_RC(mmf_section_open(&s, test_name(how), MMF_ACCESS_READ), MMF_ENOENT);
}

/* Exit frees: a process that calls exit() without closing its handles
 * leaves no name and no file behind, for every kind of object. */
TEST(exit_without_close_frees)
{
    exit_frees("exit");
}

/* Exit frees, with another thread still using a view during exit. */
TEST(exit_with_running_thread_frees)
{
    exit_frees("thread");
}

/* ------------------------------------------------------------------------ */
/* Killed holders: the sweep                                                 */
/* ------------------------------------------------------------------------ */

/* argv: name, size, ready_wr. Create the section, touch every page, say
 * so and wait to be killed. */
HELPER(create_touch_wait)
{
    mmf_section *s;
    char *p = NULL;
    size_t size;

    test_die_with_parent();
    CHECK_EQ(argc, 3);
    size = (size_t)atoll(argv[1]);
    CHECK_OK(mmf_section_create(&s, argv[0], size, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    for (size_t i = 0; i < size; i += 4096)
        p[i] = 1;
    test_sync_signal(atoi(argv[2]));
    for (;;)
        pause();
}

#ifndef _WIN32
static uint64_t store_free_bytes(void)
{
    const char *dir = getenv("MMF_STORE_DIR");
    struct statfs sf;
    CHECK_EQ(statfs(dir != NULL && dir[0] == '/' ? dir : "/dev/shm", &sf), 0);
    return (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize;
}
#endif

/* Killed holders' memory is reclaimed by the sweep: 8 processes each
 * create and touch a 16 MiB section and are killed; ordinary calls of
 * another process about other names, a second apart, note them as stale
 * and then remove the 8 files and give the 128 MiB back, before any gc or
 * look-up of those names. */
#ifndef _WIN32
TEST_SERIAL(killed_holders_memory_swept)
{
    enum { N = 8 };
    const uint64_t size = UINT64_C(16) << 20;
    struct test_sync ready;
    mmf_section *s;
    pid_t pids[N];
    uint64_t before, after;
    const char *prefix = test_name("k");
    char name[300];

    /* This process's sweep clock starts now. */
    CHECK_RC(mmf_section_open(&s, test_name("none"), MMF_ACCESS_READ), MMF_ENOENT);
    before = store_free_bytes();
    if (before < (N + 4) * size)
        SKIP("the store has less than %llu MiB free",
             (unsigned long long)((N + 4) * size >> 20));
    test_sync_init(&ready);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "%s%d", prefix, i);
        pids[i] = test_spawn("create_touch_wait", name, test_num((long long)size),
                             test_num(ready.wr), NULL);
    }
    for (int i = 0; i < N; i++)
        CHECK(test_sync_wait(&ready, 20000));
    for (int i = 0; i < N; i++) {
        kill(pids[i], SIGKILL);
        CHECK_EQ(test_wait(pids[i]), 128 + SIGKILL);
    }
    CHECK_EQ(test_store_count(prefix), N);
    before = store_free_bytes();
    /* After the interval, an ordinary call about another name notes them
     * as stale; the next one a second later reclaims them. */
    test_sleep_ms(1100);
    CHECK_RC(mmf_section_open(&s, test_name("none"), MMF_ACCESS_READ), MMF_ENOENT);
    test_sleep_ms(1100);
    CHECK_RC(mmf_section_open(&s, test_name("none"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(prefix), 0);
    after = store_free_bytes();
    /* Other processes use the store too: allow them 16 MiB of slack. */
    CHECK(after + (UINT64_C(16) << 20) >= before + N * size);
}
#else
LINUX_ONLY_TEST(killed_holders_memory_swept, "counts the Linux store files a killed holder leaves")
#endif

/* argv: name, ready_wr. Create a section and exit at once without closing
 * it and without exit handlers (as a crash would). */
HELPER(create_and_vanish)
{
    mmf_section *s;
    CHECK_EQ(argc, 2);
    CHECK_OK(mmf_section_create(&s, argv[0], 65536, MMF_CREATE_NEW, NULL));
    test_sync_signal(atoi(argv[1]));
    _exit(0);
}

/* A holder that has exited but not been reaped (a zombie) holds nothing:
 * the kernel releases a process's file locks as it exits, before it is
 * reaped. So the name is stale at once: an open gives MMF_ENOENT and
 * removes the file while the zombie still exists. */
#ifndef _WIN32
TEST(zombie_holder_is_gone)
{
    struct test_sync ready;
    mmf_section *s;
    pid_t pid;
    siginfo_t si;
    char stat_path[64], buf[512];
    int fd;
    ssize_t n;

    test_sync_init(&ready);
    pid = test_spawn("create_and_vanish", test_name("z"), test_num(ready.wr), NULL);
    CHECK(test_sync_wait(&ready, 10000));
    /* Wait until it is a zombie, without reaping it. */
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    snprintf(stat_path, sizeof stat_path, "/proc/%ld/stat", (long)pid);
    fd = open(stat_path, O_RDONLY);
    CHECK(fd >= 0);
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    CHECK(n > 0);
    buf[n] = '\0';
    CHECK(strstr(buf, ") Z ") != NULL);
    CHECK_EQ(test_store_count(test_name("z")), 1);
    CHECK_RC(mmf_section_open(&s, test_name("z"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("z")), 0);
    CHECK_EQ(test_wait(pid), 0);
}
#else
LINUX_ONLY_TEST(zombie_holder_is_gone, "a zombie (exited, not reaped) holder is a Linux process state")
#endif

/* ------------------------------------------------------------------------ */
/* Kill storm                                                                */
/* ------------------------------------------------------------------------ */

#include <sys/stat.h>

enum {
    STORM_SIZE = 65536,
    STORM_BAD_OPEN = 20,    /* an open failed other than with ENOENT */
    STORM_BAD_CREATE = 21,  /* a create failed other than with EEXIST */
    STORM_BAD_OBJECT = 22,  /* wrong size or type: a half-made object */
    STORM_BAD_NAME = 23,    /* a handle on a file the name no longer leads to */
    STORM_BAD_SETUP = 24,
};

static volatile sig_atomic_t storm_stop;

#ifndef _WIN32
static void storm_on_term(int sig)
{
    (void)sig;
    storm_stop = 1;
}
#endif

/* The inode of the file mapped at p, from /proc/self/maps, and whether it
 * was unlinked; 0 if not found. */
#ifndef _WIN32
static unsigned long long mapped_inode(const void *p, int *deleted)
{
    char line[512];
    unsigned long long ino = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        unsigned long long i;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %llu", &lo, &hi, &i) == 3 &&
            (uintptr_t)p >= lo && (uintptr_t)p < hi) {
            ino = i;
            *deleted = strstr(line, "(deleted)") != NULL;
            break;
        }
    }
    fclose(f);
    return ino;
}
#endif

/* While a handle is held its object must be the one the name leads to:
 * never unlinked, never replaced by another creator's. */
#ifndef _WIN32
static int storm_check(mmf_section *s, const void *view, const char *path)
{
    mmf_section_info info;
    struct stat st;
    int deleted = 0;
    unsigned long long ino;

    if (mmf_section_stat(s, &info) != 0 || info.size != STORM_SIZE)
        return STORM_BAD_OBJECT;
    /* (A created object's mapping reads "(deleted)": the O_TMPFILE dentry
     * it was made with; only the inode counts.) */
    ino = mapped_inode(view, &deleted);
    if (ino == 0 || stat(path, &st) != 0 ||
        (unsigned long long)st.st_ino != ino) {
        fprintf(stderr, "helper storm (pid %ld): handle on inode %llu, name %s\n",
                (long)getpid(), ino, stat(path, &st) != 0 ? "absent" : "elsewhere");
        return STORM_BAD_NAME;
    }
    return 0;
}
#endif

/*
 * argv: name, seed, ready_wr. Until SIGTERM: create (new, or open-or-
 * create) or open the name, map it, check the handle leads to the named
 * object, hold it a moment, check again, unmap and close. Exits with
 * STORM_BAD_* at the first anomaly.
 */
#ifndef _WIN32
HELPER(storm)
{
    struct sigaction sa;
    char path[1024];
    const char *dir = getenv("MMF_STORE_DIR");
    uint64_t seed;
    int rc;

    test_die_with_parent();
    if (argc != 3)
        return STORM_BAD_SETUP;
    seed = strtoull(argv[1], NULL, 10) * 2 + 1;
    snprintf(path, sizeof path, "%s/mmf.u%u.%s", dir && dir[0] == '/' ? dir : "/dev/shm",
             (unsigned)geteuid(), argv[0]);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = storm_on_term;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0)
        return STORM_BAD_SETUP;
    test_sync_signal(atoi(argv[2]));

    while (!storm_stop) {
        unsigned op = (unsigned)(rng_next(&seed) % 3);
        mmf_section *s = NULL;
        void *p = NULL;

        if (op == 0) {
            rc = mmf_section_create(&s, argv[0], STORM_SIZE, MMF_CREATE_NEW, NULL);
            if (rc != 0 && rc != MMF_EEXIST)
                return ch_fail(STORM_BAD_CREATE, "create-new", rc);
        } else if (op == 1) {
            rc = mmf_section_create(&s, argv[0], STORM_SIZE, MMF_OPEN_OR_CREATE, NULL);
            if (rc != 0 && rc != MMF_EXISTED)
                return ch_fail(STORM_BAD_CREATE, "open-or-create", rc);
            rc = 0;
        } else {
            rc = mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE);
            if (rc == MMF_ETYPE || rc == MMF_ECORRUPT)
                return ch_fail(STORM_BAD_OBJECT, "open", rc);
            if (rc != 0 && rc != MMF_ENOENT)
                return ch_fail(STORM_BAD_OPEN, "open", rc);
        }
        if (rc != 0)
            continue;
        if ((rc = mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p)) != 0)
            return ch_fail(STORM_BAD_OBJECT, "map", rc);
        if ((rc = storm_check(s, p, path)) != 0)
            return rc;
        sleep_us((long)(rng_next(&seed) % 300));
        if ((rc = storm_check(s, p, path)) != 0)
            return rc;
        mmf_view_unmap(p);
        mmf_section_close(s);
    }
    return 0;
}
#endif

/* At least 1,000 SIGKILLs at random moments of 6 processes creating,
 * opening and closing one name: no handle ever leads to an unlinked or
 * replaced object, no object is half-made, and once the survivors have
 * closed, one more open finds nothing and the store holds nothing. */
#ifndef _WIN32
TEST_SLOW(kill_storm)
{
    enum { N = 6, KILLS = 1000 };
    const char *name = test_name("s");
    struct test_sync ready;
    pid_t pids[N];
    uint64_t seed = (uint64_t)getpid() * 2654435761u | 1;
    mmf_section *s;
    int kills = 0, code;

    test_sync_init(&ready);
    for (int i = 0; i < N; i++) {
        pids[i] = test_spawn("storm", name, test_num((long long)(rng_next(&seed) >> 2)),
                             test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 20000));
    }
    while (kills < KILLS) {
        int i = (int)(rng_next(&seed) % N);
        sleep_us((long)(rng_next(&seed) % 2000));
        kill(pids[i], SIGKILL);
        code = test_wait(pids[i]);
        if (code != 128 + SIGKILL)
            CHECK_EQ(code, 128 + SIGKILL); /* an anomaly (STORM_BAD_*) */
        kills++;
        pids[i] = test_spawn("storm", name, test_num((long long)(rng_next(&seed) >> 2)),
                             test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 20000));
    }
    for (int i = 0; i < N; i++)
        kill(pids[i], SIGTERM);
    for (int i = 0; i < N; i++)
        CHECK_EQ(test_wait(pids[i]), 0);
    /* A holder killed last leaves its object stale: the next open
     * reclaims it. */
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(name), 0);
}
#else
LINUX_ONLY_TEST(kill_storm, "stops its helpers with SIGTERM and reads their Linux store file (test-windows.c terminate_storm is the Windows twin)")
#endif
