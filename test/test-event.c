/* SPDX-License-Identifier: MIT */
/*
 * test-event.c - named events: manual and auto reset, set, reset, pulse
 * with waiters in threads and in other processes, a producer/consumer
 * stress across processes, and a forged shared state. The ids in comments
 * (R05, ...) are those of docs/win32-behaviour.md.
 */
#include "test.h"
#ifndef _WIN32
#include "robust.h"
#endif

#include <fcntl.h>
#include <pthread.h>
#ifndef _WIN32
#include <sys/mman.h>
#include <sys/resource.h>
#endif

#include "sync.h"
#ifndef _WIN32

static int store_file(const char *name)
{
    const char *dir = getenv("MMF_STORE_DIR");
    char path[512];
    int fd;
    snprintf(path, sizeof path, "%s/mmf.u%u.%s", dir && dir[0] == '/' ? dir : "/dev/shm",
             (unsigned)geteuid(), name);
    fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    return fd;
}

static void poke(const char *name, const void *state)
{
    int fd = store_file(name);
    CHECK(pwrite(fd, state, MMF__STATE_BYTES, offsetof(struct mmf__hdr, state)) ==
          MMF__STATE_BYTES);
    close(fd);
}

static void peek(const char *name, void *state)
{
    int fd = store_file(name);
    CHECK(pread(fd, state, MMF__STATE_BYTES, offsetof(struct mmf__hdr, state)) ==
          MMF__STATE_BYTES);
    close(fd);
}

#define poke_word(name, w) test_poke_lock_word(store_file(name), (w))
#define peek_word(name) test_peek_lock_word(store_file(name))

#endif
static unsigned long waiters(mmf_sync *e)
{
    mmf_sync_info info;
    CHECK_OK(mmf_sync_stat(e, &info));
    return info.waiters;
}

/* Wait until n threads (anywhere) are waiting on e. On Linux mmf counts
 * them. Windows cannot count an object's waiters (mmf_sync_stat reports
 * MMF_UNKNOWN, which is checked here): there each waiter has already said
 * that it is about to call the wait (a flag of start_waiters, a byte from
 * a helper), and is given time to block in the kernel. */
static void await_waiters(mmf_sync *e, unsigned long n)
{
    uint64_t t0 = test_now_ns();
#ifdef _WIN32
    (void)n, (void)t0;
    CHECK_EQ(waiters(e), (unsigned long)MMF_UNKNOWN);
    test_sleep_ms(200);
#else
    while (waiters(e) != n) {
        CHECK(test_now_ns() - t0 < 10000000000u);
        test_sleep_ms(1);
    }
#endif
}

/* Nobody waits on e any more: mmf counts no waiter (Linux), or the count
 * is unknown, as Windows does not keep one. */
static void check_no_waiters(mmf_sync *e)
{
#ifdef _WIN32
    CHECK_EQ(waiters(e), (unsigned long)MMF_UNKNOWN);
#else
    CHECK_EQ(waiters(e), 0);
#endif
}

static int is_signaled(mmf_sync *e)
{
    mmf_sync_info info;
    CHECK_OK(mmf_sync_stat(e, &info));
    return info.signaled;
}

/* Waiter threads. */
struct ew {
    mmf_sync *e;
    long long timeout;
    int rc;
    int started; /* about to call the wait */
    int done;
    pthread_t t;
};

static void *ev_wait(void *p)
{
    struct ew *w = p;
    int rc;
    __atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
    rc = mmf_sync_wait(w->e, w->timeout);
    __atomic_store_n(&w->rc, rc, __ATOMIC_SEQ_CST);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void start_waiters(struct ew *w, int n, mmf_sync *e, long long timeout)
{
    for (int i = 0; i < n; i++) {
        w[i].e = e;
        w[i].timeout = timeout;
        w[i].rc = 1;
        w[i].started = 0;
        w[i].done = 0;
        CHECK(pthread_create(&w[i].t, NULL, ev_wait, &w[i]) == 0);
    }
    /* Return once each is about to wait (await_waiters needs it on
     * Windows). */
    for (int i = 0; i < n; i++) {
        uint64_t t0 = test_now_ns();
        while (!__atomic_load_n(&w[i].started, __ATOMIC_SEQ_CST)) {
            CHECK(test_now_ns() - t0 < 10000000000u);
            test_sleep_ms(1);
        }
    }
}

static int count_done(struct ew *w, int n, int rc)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST) &&
             __atomic_load_n(&w[i].rc, __ATOMIC_SEQ_CST) == rc;
    return k;
}

/* Wait (up to 10 s) until k waiters returned rc. */
static void await_done(struct ew *w, int n, int rc, int k)
{
    uint64_t t0 = test_now_ns();
    while (count_done(w, n, rc) < k) {
        CHECK(test_now_ns() - t0 < 10000000000u);
        test_sleep_ms(1);
    }
}

static void join_all(struct ew *w, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(pthread_join(w[i].t, NULL) == 0);
}

/* R01, R03, P06, P08 */
TEST(create_open)
{
    mmf_sync *a, *b, *c, *d;
    char upper[256];
    CHECK_RC(mmf_event_open(&a, test_name("e")), MMF_ENOENT);
    CHECK_RC(mmf_event_create(&a, test_name("e"), 0, 0, MMF_CREATE_NEW, NULL), 0);
    CHECK_RC(mmf_event_create(&b, test_name("e"), 0, 0, MMF_OPEN_OR_CREATE, NULL), MMF_EXISTED);
    snprintf(upper, sizeof upper, "%s", test_name("e"));
    for (char *p = upper; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    CHECK_RC(mmf_event_open(&c, upper), MMF_ENOENT);
    CHECK_RC(mmf_event_create(&c, upper, 0, 0, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_OK(mmf_sync_close(c));
    CHECK_OK(mmf_event_open(&c, test_name("e")));
    CHECK_RC(mmf_event_open(&d, NULL), MMF_EINVAL);
    CHECK(d == NULL);
    CHECK_EQ(mmf_event_set(a), 0);
    CHECK_OK(mmf_sync_wait(c, 0)); /* one object behind all handles */
    CHECK_RC(mmf_sync_wait(b, 0), MMF_ETIMEDOUT);
    CHECK_OK(mmf_sync_close(a));
    CHECK_OK(mmf_sync_close(b));
    CHECK_OK(mmf_sync_close(c));
}

/* R02: opening an existing event ignores manual_reset and initial_state. */
TEST(existing_ignores_args)
{
    mmf_sync *a, *b;
    mmf_sync_info info;
    CHECK_OK(mmf_event_create(&a, test_name("e"), 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_event_create(&b, test_name("e"), 0, 0, MMF_OPEN_OR_CREATE, NULL), MMF_EXISTED);
    CHECK_OK(mmf_sync_stat(b, &info));
    CHECK_EQ(info.type, MMF_TYPE_EVENT);
    CHECK_EQ(info.manual_reset, 1);
    CHECK_EQ(info.signaled, 1);
    CHECK_OK(mmf_sync_close(a));
    CHECK_OK(mmf_sync_close(b));
}

/* R05: manual-reset, initially set: stays signaled through waits. */
TEST(manual_initial_set)
{
    mmf_sync *e;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_EQ(mmf_sync_wait_any(&e, 1, 0), 0);
    CHECK_EQ(mmf_sync_wait_all(&e, 1, 0), 0);
    CHECK_EQ(is_signaled(e), 1);
    CHECK_OK(mmf_sync_close(e));
}

/* R06: auto-reset, initially set: the first wait takes it. */
TEST(auto_initial_set)
{
    mmf_sync *e;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 0, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_RC(mmf_sync_wait(e, 0), MMF_ETIMEDOUT);
    CHECK_EQ(is_signaled(e), 0);
    CHECK_OK(mmf_sync_close(e));
}

/* R07, T02: initially nonsignaled: wait(0) times out at once, wait(n)
 * after n ms. */
TEST(initial_unset)
{
    mmf_sync *e;
    uint64_t t0;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 1, 0, MMF_CREATE_NEW, NULL));
    t0 = test_now_ns();
    CHECK_RC(mmf_sync_wait(e, 0), MMF_ETIMEDOUT);
    CHECK(test_now_ns() - t0 < 500000000u);
    t0 = test_now_ns();
    CHECK_RC(mmf_sync_wait(e, 150), MMF_ETIMEDOUT);
    printf("150 ms wait took %.3f ms\n", (double)(test_now_ns() - t0) / 1e6);
    CHECK(test_now_ns() - t0 >= 150000000u);
    CHECK(test_now_ns() - t0 < 1150000000u);
    CHECK_OK(mmf_sync_close(e));
}

/* R08: the previous state each call returns, on an auto-reset event. */
TEST(previous_state_sequence)
{
    mmf_sync *e;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_EQ(mmf_event_set(e), 0);
    CHECK_EQ(mmf_event_set(e), 1); /* no change */
    CHECK_EQ(mmf_event_reset(e), 1);
    CHECK_EQ(mmf_event_reset(e), 0);
    CHECK_EQ(mmf_event_pulse(e), 0);
    CHECK_EQ(is_signaled(e), 0);
    CHECK_EQ(mmf_event_set(e), 0);
    CHECK_EQ(mmf_event_pulse(e), 1);
    CHECK_EQ(is_signaled(e), 0);
    CHECK_OK(mmf_sync_close(e));
}

/* R09: a pulse with no waiter releases nothing and is not remembered. */
TEST(pulse_no_waiters)
{
    mmf_sync *e[2];
    for (int manual = 0; manual < 2; manual++) {
        CHECK_OK(mmf_event_create(&e[manual], NULL, manual, 0, MMF_CREATE_NEW, NULL));
        CHECK_EQ(mmf_event_pulse(e[manual]), 0);
        CHECK_RC(mmf_sync_wait(e[manual], 0), MMF_ETIMEDOUT);
        CHECK_RC(mmf_sync_wait(e[manual], 50), MMF_ETIMEDOUT);
        CHECK_OK(mmf_sync_close(e[manual]));
    }
}

/* R10: a pulse on a manual-reset event releases every current waiter,
 * then the event is nonsignaled: a later waiter is not released. */
TEST(pulse_manual_releases_all)
{
    struct ew w[4];
    mmf_sync *e;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 1, 0, MMF_CREATE_NEW, NULL));
    start_waiters(w, 3, e, 10000); /* a waiter the pulse missed fails */
    await_waiters(e, 3);
    test_sleep_ms(20); /* let them fall asleep */
    CHECK_EQ(mmf_event_pulse(e), 0);
    join_all(w, 3);
    CHECK_EQ(count_done(w, 3, 0), 3);
    CHECK_EQ(is_signaled(e), 0);
    start_waiters(&w[3], 1, e, 100);
    join_all(&w[3], 1);
    CHECK_EQ(w[3].rc, MMF_ETIMEDOUT);
    check_no_waiters(e);
    CHECK_OK(mmf_sync_close(e));
}

/* R11: a pulse on an auto-reset event releases exactly one of several
 * current waiters, then the event is nonsignaled. */
TEST(pulse_auto_releases_one)
{
    struct ew w[3];
    mmf_sync *e;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 0, 0, MMF_CREATE_NEW, NULL));
    start_waiters(w, 3, e, MMF_INFINITE);
    await_waiters(e, 3);
    CHECK_EQ(mmf_event_pulse(e), 0);
    await_done(w, 3, 0, 1);
    test_sleep_ms(200);
    CHECK_EQ(count_done(w, 3, 0), 1);
    CHECK_EQ(is_signaled(e), 0);
    await_waiters(e, 2);
    /* Two quick pulses release two, as two waiters are waiting. */
    CHECK_EQ(mmf_event_pulse(e), 0);
    CHECK_EQ(mmf_event_pulse(e), 0);
    join_all(w, 3);
    CHECK_EQ(count_done(w, 3, 0), 3);
    CHECK_EQ(is_signaled(e), 0);
    CHECK_RC(mmf_sync_wait(e, 0), MMF_ETIMEDOUT);
    CHECK_OK(mmf_sync_close(e));
}

HELPER(event_waiter)
{
    /* argv: name timeout ready-fd: says it is about to wait, then exits 0
     * when released, 1 on timeout */
    mmf_sync *e;
    int rc;
    (void)argc;
    if (mmf_event_open(&e, argv[0]) != 0)
        return 10;
    test_sync_signal(atoi(argv[2]));
    rc = mmf_sync_wait(e, atoll(argv[1]));
    mmf_sync_close(e);
    return rc == 0 ? 0 : rc == MMF_ETIMEDOUT ? 1 : 11;
}

/* Start 3 event_waiter helpers on `name` and return once each is about to
 * wait. */
static void spawn_event_waiters(pid_t pid[3], const char *name, const char *timeout)
{
    struct test_sync sy;
    char fd[16];
    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    for (int i = 0; i < 3; i++)
        pid[i] = test_spawn("event_waiter", name, timeout, fd, NULL);
    close(sy.wr);
    for (int i = 0; i < 3; i++)
        CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
}

/* R10, R11 with the waiters in other processes. */
TEST(pulse_other_processes)
{
    mmf_sync *e;
    pid_t pid[3];
    int released = 0, timed_out = 0;

    CHECK_OK(mmf_event_create(&e, test_name("m"), 1, 0, MMF_CREATE_NEW, NULL));
    spawn_event_waiters(pid, test_name("m"), "30000");
    await_waiters(e, 3);
    CHECK_EQ(mmf_event_pulse(e), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(test_wait(pid[i]), 0);
    CHECK_OK(mmf_sync_close(e));

    CHECK_OK(mmf_event_create(&e, test_name("a"), 0, 0, MMF_CREATE_NEW, NULL));
    spawn_event_waiters(pid, test_name("a"), "1500");
    await_waiters(e, 3);
    CHECK_EQ(mmf_event_pulse(e), 0);
    for (int i = 0; i < 3; i++) {
        int rc = test_wait(pid[i]);
        released += rc == 0;
        timed_out += rc == 1;
    }
    CHECK_EQ(released, 1);
    CHECK_EQ(timed_out, 2);
    check_no_waiters(e);
    /* No waiter is left to take a set: it stays for the next wait. */
    CHECK_EQ(mmf_event_set(e), 0);
    CHECK_EQ(is_signaled(e), 1);
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_OK(mmf_sync_close(e));
}

/* R12: set on an auto-reset event with N waiters releases exactly one and
 * resets; with no waiter it stays set until one wait takes it. */
TEST(set_auto_releases_one)
{
    struct ew w[4];
    mmf_sync *e;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 0, 0, MMF_CREATE_NEW, NULL));
    start_waiters(w, 4, e, MMF_INFINITE);
    await_waiters(e, 4);
    for (int k = 1; k <= 4; k++) {
        CHECK_EQ(mmf_event_set(e), 0);
        await_done(w, 4, 0, k);
        test_sleep_ms(50);
        CHECK_EQ(count_done(w, 4, 0), k);
        CHECK_EQ(is_signaled(e), 0);
    }
    join_all(w, 4);
    CHECK_EQ(mmf_event_set(e), 0);
    test_sleep_ms(20);
    CHECK_EQ(is_signaled(e), 1);
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_RC(mmf_sync_wait(e, 0), MMF_ETIMEDOUT);
    CHECK_OK(mmf_sync_close(e));
}

/* R13: set on a manual-reset event releases every waiter, and every later
 * one until reset. */
TEST(set_manual_releases_all)
{
    struct ew w[3];
    mmf_sync *e;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 1, 0, MMF_CREATE_NEW, NULL));
    start_waiters(w, 3, e, MMF_INFINITE);
    await_waiters(e, 3);
    CHECK_EQ(mmf_event_set(e), 0);
    join_all(w, 3);
    CHECK_EQ(count_done(w, 3, 0), 3);
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_OK(mmf_sync_wait(e, 100));
    CHECK_EQ(mmf_event_reset(e), 1);
    CHECK_RC(mmf_sync_wait(e, 20), MMF_ETIMEDOUT);
    CHECK_OK(mmf_sync_close(e));
}

/* ------------------------------------------------------------------------ */
/* Producer / consumer across processes                                      */
/* ------------------------------------------------------------------------ */

#define PC_ITEMS 20000
#define PC_CONSUMERS 2
#define PC_THREADS 2

struct pc {
    mmf_sync *item, *ack, *done;
    volatile uint32_t *slot;   /* [0]: the item; [1..]: times each was seen */
    int rc;
};

static void *consume(void *p)
{
    struct pc *c = p;
    mmf_sync *objs[2] = {c->item, c->done};
    for (;;) {
        int rc = mmf_sync_wait_any(objs, 2, 30000);
        if (rc == 1)
            return NULL; /* done */
        if (rc != 0) {
            c->rc = rc;
            return NULL;
        }
        __atomic_fetch_add(&c->slot[1 + c->slot[0]], 1u, __ATOMIC_SEQ_CST);
        if ((rc = mmf_event_set(c->ack)) != 0) {
            c->rc = rc < 0 ? rc : -1;
            return NULL;
        }
    }
}

HELPER(event_consumer)
{
    /* argv: item ack done section */
    struct pc c[PC_THREADS];
    pthread_t t[PC_THREADS];
    mmf_section *s;
    void *p = NULL;
    mmf_sync *item, *ack, *done;
    (void)argc;
    if (mmf_event_open(&item, argv[0]) != 0 || mmf_event_open(&ack, argv[1]) != 0 ||
        mmf_event_open(&done, argv[2]) != 0 ||
        mmf_section_open(&s, argv[3], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0 ||
        mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p) != 0)
        return 10;
    for (int i = 0; i < PC_THREADS; i++) {
        c[i] = (struct pc){item, ack, done, p, 0};
        pthread_create(&t[i], NULL, consume, &c[i]);
    }
    for (int i = 0; i < PC_THREADS; i++) {
        pthread_join(t[i], NULL);
        if (c[i].rc != 0)
            return 11;
    }
    return 0;
}

/* Every set of an auto-reset event is taken exactly once: a producer hands
 * out numbered items one at a time to 4 consumer threads in 2 processes,
 * waiting for each acknowledgement. */
TEST_SLOW(producer_consumer_processes)
{
    mmf_section *s;
    mmf_sync *item, *ack, *done;
    volatile uint32_t *slot;
    void *p = NULL;
    pid_t pid[PC_CONSUMERS];
    uint64_t t0 = test_now_ns();

    CHECK_OK(mmf_section_create(&s, test_name("s"), (PC_ITEMS + 1) * 4, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p));
    slot = p;
    CHECK_OK(mmf_event_create(&item, test_name("item"), 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&ack, test_name("ack"), 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&done, test_name("done"), 1, 0, MMF_CREATE_NEW, NULL));
    for (int i = 0; i < PC_CONSUMERS; i++)
        pid[i] = test_spawn("event_consumer", test_name("item"), test_name("ack"),
                            test_name("done"), test_name("s"), NULL);
    for (uint32_t i = 0; i < PC_ITEMS; i++) {
        slot[0] = i;
        CHECK_EQ(mmf_event_set(item), 0);
        CHECK_OK(mmf_sync_wait(ack, 30000));
    }
    CHECK_EQ(mmf_event_set(done), 0);
    for (int i = 0; i < PC_CONSUMERS; i++)
        CHECK_EQ(test_wait(pid[i]), 0);
    printf("%d items handed over in %.2f s\n", PC_ITEMS, (double)(test_now_ns() - t0) / 1e9);
    for (uint32_t i = 0; i < PC_ITEMS; i++)
        CHECK_EQ(slot[1 + i], 1);
    CHECK_EQ(is_signaled(item), 0);
    CHECK_EQ(is_signaled(ack), 0);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_sync_close(item));
    CHECK_OK(mmf_sync_close(ack));
    CHECK_OK(mmf_sync_close(done));
}

HELPER(event_wait_cpu)
{
    /* argv: event ms. Exits with the CPU time of the wait in ms. */
    long long t0;
    mmf_sync *e;
    long us;
    (void)argc;
    if (mmf_event_open(&e, argv[0]) != 0)
        return 250;
    t0 = test_cpu_us();
    if (mmf_sync_wait(e, atol(argv[1])) != MMF_ETIMEDOUT)
        return 251;
    us = (long)(test_cpu_us() - t0);
    mmf_sync_close(e);
    return us / 1000 > 200 ? 200 : (int)(us / 1000);
}

/* A process blocked on an event for 2.5 s uses well under 1% of a core. */
TEST(blocked_waiter_cpu)
{
    mmf_sync *e;
    int ms;
    CHECK_OK(mmf_event_create(&e, test_name("e"), 0, 0, MMF_CREATE_NEW, NULL));
    ms = test_wait(test_spawn("event_wait_cpu", test_name("e"), "2500", NULL));
    printf("CPU time of a 2.5 s wait: %d ms\n", ms);
    CHECK(ms < 25);
    CHECK_OK(mmf_sync_close(e));
}

#ifndef _WIN32
/* ------------------------------------------------------------------------ */
/* A hostile process writes the shared state                                */
/* ------------------------------------------------------------------------ */

TEST(corrupt_state)
{
    const char *name = test_name("e");
    struct mmf__sync_event good, bad;
    mmf_sync *e;
    uint64_t t0;

    CHECK_OK(mmf_event_create(&e, name, 0, 0, MMF_CREATE_NEW, NULL));
    peek(name, &good);

    bad = good;
    bad.signaled = 7;
    poke(name, &bad);
    CHECK_RC(mmf_event_set(e), MMF_ECORRUPT);
    CHECK_RC(mmf_event_reset(e), MMF_ECORRUPT);
    CHECK_RC(mmf_event_pulse(e), MMF_ECORRUPT);
    CHECK_RC(mmf_sync_wait(e, 100), MMF_ECORRUPT);
    CHECK_RC(mmf_sync_wait_all(&e, 1, 100), MMF_ECORRUPT);

    bad = good;
    bad.pending = 5; /* more releases than waiters */
    poke(name, &bad);
    CHECK_RC(mmf_event_pulse(e), MMF_ECORRUPT);
    CHECK_RC(mmf_sync_wait(e, 0), MMF_ECORRUPT);

    bad = good;
    bad.manual = 2;
    poke(name, &bad);
    CHECK_RC(mmf_event_set(e), MMF_ECORRUPT);

    bad = good;
    bad.c.magic = MMF__SEM_MAGIC; /* another type's state */
    poke(name, &bad);
    CHECK_RC(mmf_event_set(e), MMF_ECORRUPT);

    /* Huge sleeper counts: only extra wake-up calls. */
    bad = good;
    bad.c.nsleep = 0xffffffffu;
    bad.c.msleep = 0xffffffffu;
    poke(name, &bad);
    CHECK_EQ(mmf_event_set(e), 0);
    CHECK_OK(mmf_sync_wait(e, 0));

    /* The internal lock held by a thread that does not exist: operations
     * give up (MMF_EBUSY after about a second), waits time out. */
    poke_word(name, 0x3ffffff0);
    t0 = test_now_ns();
    CHECK_RC(mmf_event_set(e), MMF_EBUSY);
    printf("set gave up after %.0f ms\n", (double)(test_now_ns() - t0) / 1e6);
    CHECK(test_now_ns() - t0 < 5000000000u);
    t0 = test_now_ns();
    CHECK_RC(mmf_sync_wait(e, 100), MMF_ETIMEDOUT);
    CHECK(test_now_ns() - t0 >= 100000000u && test_now_ns() - t0 < 5000000000u);

    /* Its holder died (the kernel's mark): the next one repairs it. */
    poke_word(name, 0x40000000u); /* FUTEX_OWNER_DIED */
    CHECK_EQ(mmf_event_set(e), 0);
    CHECK_EQ(peek_word(name), 0);
    CHECK_OK(mmf_sync_wait(e, 0));

    poke(name, &good);
    CHECK_EQ(mmf_event_set(e), 0);
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_OK(mmf_sync_close(e));
}

HELPER(grab_internal_lock)
{
    /* argv: store-file ready-fd: take an event's internal lock directly,
     * as a process killed inside mmf_event_set() would hold it. */
    const char *dir = getenv("MMF_STORE_DIR");
    char path[512];
    void *page;
    int fd;
    (void)argc;
    snprintf(path, sizeof path, "%s/mmf.u%u.%s", dir && dir[0] == '/' ? dir : "/dev/shm",
             (unsigned)geteuid(), argv[0]);
    if ((fd = open(path, O_RDWR)) < 0)
        return 10;
    page = mmap(NULL, MMF__HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED)
        return 11;
    if (test_hold_robust_word((uint32_t *)(void *)((char *)page + MMF__SYNC_LOCK_OFFSET)) != 0)
        return 12;
    test_sync_signal(atoi(argv[1]));
    for (;;)
        pause();
}

/* A process killed while it holds an event's internal lock: the kernel
 * marks the lock, and the next operation repairs and goes on, waking any
 * waiter whose wake-up the dead process owed. */
TEST(internal_lock_holder_killed)
{
    struct test_sync sy;
    struct ew w;
    mmf_sync *e;
    char fd[16];
    pid_t pid;
    uint64_t t0;

    CHECK_OK(mmf_event_create(&e, test_name("e"), 1, 0, MMF_CREATE_NEW, NULL));
    start_waiters(&w, 1, e, 10000);
    await_waiters(e, 1);
    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("grab_internal_lock", test_name("e"), fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 10000));
    close(sy.rd);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    t0 = test_now_ns();
    CHECK_EQ(mmf_event_set(e), 0);
    join_all(&w, 1);
    CHECK_EQ(w.rc, 0);
    CHECK(test_now_ns() - t0 < 1000000000u);
    CHECK_OK(mmf_sync_close(e));
}
#else
LINUX_ONLY_TEST(corrupt_state, "forges the shared state in the Linux store file (Windows keeps event state in the kernel)")
LINUX_ONLY_TEST(internal_lock_holder_killed, "forges the shared state in the Linux store file (Windows keeps event state in the kernel)")
#endif
