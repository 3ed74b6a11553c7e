/* SPDX-License-Identifier: MIT */
/*
 * test-wait.c - waits on one object and on several (any / all), mixed
 * types, abandoned mutexes in a set, the argument limits, wake-ups across
 * processes and by a killed owner, and lost-wake-up stress between plain
 * mutex waiters and multi-object waiters. The ids in comments (T01, U05,
 * ...) are those of docs/win32-behaviour.md.
 */
#include "test.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif

static long count_of(mmf_sync *s)
{
    mmf_sync_info info;
    CHECK_OK(mmf_sync_stat(s, &info));
    return info.count;
}

static int signaled(mmf_sync *e)
{
    mmf_sync_info info;
    CHECK_OK(mmf_sync_stat(e, &info));
    return info.signaled;
}

/* Run fn(arg) in a thread and return its result. */
struct call {
    int (*fn)(void *);
    void *arg;
    int rc;
    pthread_t t;
};

static void *call_main(void *p)
{
    struct call *c = p;
    c->rc = c->fn(c->arg);
    return NULL;
}

static void call_start(struct call *c, int (*fn)(void *), void *arg)
{
    c->fn = fn;
    c->arg = arg;
    c->rc = -9999;
    CHECK(pthread_create(&c->t, NULL, call_main, c) == 0);
}

static int call_join(struct call *c)
{
    CHECK(pthread_join(c->t, NULL) == 0);
    return c->rc;
}

static int in_thread(int (*fn)(void *), void *arg)
{
    struct call c;
    call_start(&c, fn, arg);
    return call_join(&c);
}

static int try_lock(void *m)
{
    int rc = mmf_mutex_lock(m, 0);
    if (rc == 0 || rc == MMF_ABANDONED)
        CHECK_OK(mmf_mutex_unlock(m));
    return rc;
}

static int lock_and_exit(void *m)
{
    return mmf_mutex_lock(m, 0); /* the thread ends owning it */
}

/* T01, T02, T07, T08: one object of each kind. */
TEST(single_object)
{
    mmf_sync *m, *e, *s;
    uint64_t t0;

    CHECK_OK(mmf_mutex_create(&m, NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&e, NULL, 0, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&s, NULL, 2, 5, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_wait(m, 0));   /* T01 */
    CHECK_OK(mmf_sync_wait(e, 0));
    CHECK_OK(mmf_sync_wait(s, 0));
    CHECK_EQ(count_of(s), 1);        /* T08: a semaphore loses 1 */
    CHECK_EQ(signaled(e), 0);        /*      an auto event resets */
    CHECK_RC(in_thread(try_lock, m), MMF_ETIMEDOUT); /* a mutex has an owner */
    t0 = test_now_ns();
    CHECK_RC(mmf_sync_wait(e, 0), MMF_ETIMEDOUT); /* T02 */
    CHECK(test_now_ns() - t0 < 500000000u);
    CHECK_OK(mmf_mutex_unlock(m));
    CHECK_OK(in_thread(lock_and_exit, m));
    CHECK_RC(mmf_sync_wait(m, 0), MMF_ABANDONED); /* T07 */
    CHECK_OK(mmf_mutex_unlock(m));
    CHECK_OK(mmf_sync_close(m));
    CHECK_OK(mmf_sync_close(e));
    CHECK_OK(mmf_sync_close(s));
}

/* U03, U04 and invalid arguments. */
TEST(arguments)
{
    mmf_sync *o[65], *e, *dup, *dead;
    for (int i = 0; i < 65; i++)
        CHECK_OK(mmf_event_create(&o[i], NULL, 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_sync_wait_any(o, 0, 0), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_all(o, 0, 0), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_any(o, 65, 0), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_all(o, 65, 0), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_any(NULL, 1, 0), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_any(o, 2, -2), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_all(o, 2, MMF_TIMEOUT_MAX + 1), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_all(o, 2, LLONG_MIN), MMF_EINVAL);
    CHECK_EQ(mmf_sync_wait_any(o, 64, 0), 0); /* U01 */
    CHECK_EQ(mmf_sync_wait_all(o, 64, 0), 0);
    CHECK_EQ(mmf_sync_wait_any(o, 64, MMF_INFINITE), 0);
    for (int i = 0; i < 65; i++)
        CHECK_OK(mmf_sync_close(o[i]));

    /* U04: the same object twice, by one handle or by two. */
    CHECK_OK(mmf_semaphore_create(&e, test_name("s"), 2, 2, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_open(&dup, test_name("s")));
    {
        mmf_sync *same[2] = {e, e}, *two[2] = {e, dup};
        CHECK_RC(mmf_sync_wait_all(same, 2, 0), MMF_EINVAL);
        CHECK_RC(mmf_sync_wait_all(two, 2, 0), MMF_EINVAL);
        CHECK_EQ(count_of(e), 2); /* nothing taken */
        CHECK_EQ(mmf_sync_wait_any(same, 2, 0), 0); /* accepted for any */
        CHECK_EQ(mmf_sync_wait_any(two, 2, 0), 0);
        CHECK_EQ(count_of(e), 0);
        CHECK_RC(mmf_sync_wait_any(two, 2, 10), MMF_ETIMEDOUT);
    }
    /* Closed or NULL handles in the array. */
    CHECK_OK(mmf_event_create(&dead, NULL, 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_close(dead));
    {
        mmf_sync *withdead[2] = {dup, dead}, *withnull[2] = {dup, NULL};
        CHECK_RC(mmf_sync_wait_any(withdead, 2, 0), MMF_EBADF);
        CHECK_RC(mmf_sync_wait_all(withdead, 2, 0), MMF_EBADF);
        CHECK_RC(mmf_sync_wait_any(withnull, 2, 0), MMF_EBADF);
    }
    CHECK_OK(mmf_sync_close(e));
    CHECK_OK(mmf_sync_close(dup));
}

/* U02: 64 events, index 0 manual-reset, the rest auto-reset, all set:
 * the lowest signaled index wins and only that one is consumed. */
TEST(any_lowest_index)
{
    mmf_sync *ev[64];
    for (int i = 0; i < 64; i++)
        CHECK_OK(mmf_event_create(&ev[i], NULL, i == 0, 1, MMF_CREATE_NEW, NULL));
    CHECK_EQ(mmf_sync_wait_any(ev, 64, 0), 0);
    CHECK_EQ(mmf_sync_wait_any(ev, 64, 0), 0); /* manual: still set */
    CHECK_EQ(mmf_event_reset(ev[0]), 1);
    for (int i = 1; i < 64; i++) {
        CHECK_EQ(mmf_sync_wait_any(ev, 64, 0), i);
        for (int j = i + 1; j < 64; j++)
            CHECK_EQ(signaled(ev[j]), 1); /* untouched */
    }
    CHECK_RC(mmf_sync_wait_any(ev, 64, 0), MMF_ETIMEDOUT);
    for (int i = 0; i < 64; i++)
        CHECK_OK(mmf_sync_close(ev[i]));
}

/* U12, U13: mixed types; wait-any takes only the object that satisfied
 * it (one semaphore loses one). */
TEST(any_mixed_types)
{
    mmf_sync *o[4], *m2;
    CHECK_OK(mmf_semaphore_create(&o[0], NULL, 0, 3, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&o[1], NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_create(&o[2], test_name("m"), 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&o[3], NULL, 1, 3, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_open(&m2, test_name("m")));
    CHECK_EQ(mmf_sync_wait_any(o, 4, 0), 2); /* the free mutex */
    CHECK_RC(in_thread(try_lock, m2), MMF_ETIMEDOUT);
    CHECK_EQ(count_of(o[3]), 1);
    CHECK_EQ(mmf_sync_wait_any(o, 4, 0), 2); /* ours: recursion */
    CHECK_OK(mmf_mutex_unlock(o[2]));
    CHECK_OK(mmf_mutex_unlock(o[2]));
    CHECK_OK(mmf_semaphore_release(o[0], 2, NULL));
    CHECK_EQ(mmf_sync_wait_any(o, 4, 0), 0);
    CHECK_EQ(count_of(o[0]), 1); /* U13: only one taken */
    CHECK_EQ(count_of(o[3]), 1);
    CHECK_EQ(mmf_event_set(o[1]), 0);
    CHECK_EQ(mmf_sync_wait_any(&o[1], 3, 0), 0); /* the event */
    CHECK_EQ(signaled(o[1]), 0);
    CHECK_OK(mmf_sync_close(m2));
    for (int i = 0; i < 4; i++)
        CHECK_OK(mmf_sync_close(o[i]));
}

/* U07: wait-any satisfied by an abandoned mutex returns FLAG | index and
 * the caller owns the mutex. */
TEST(any_abandoned)
{
    mmf_sync *o[3];
    CHECK_OK(mmf_event_create(&o[0], NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_create(&o[1], NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_create(&o[2], NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(in_thread(lock_and_exit, o[2]));
    CHECK_OK(in_thread(lock_and_exit, o[1]));
    CHECK_EQ(mmf_sync_wait_any(o, 3, 0), MMF_ABANDONED | 1);
    CHECK_EQ(mmf_sync_wait_any(o, 3, 0), 1); /* ours now: recursion */
    CHECK_EQ(mmf_sync_wait_any(&o[2], 1, 0), MMF_ABANDONED | 0);
    CHECK_OK(mmf_mutex_unlock(o[1]));
    CHECK_OK(mmf_mutex_unlock(o[1]));
    CHECK_OK(mmf_mutex_unlock(o[2]));
    CHECK_EQ(mmf_sync_wait_any(&o[1], 2, 0), 0); /* the mark is gone */
    CHECK_OK(mmf_mutex_unlock(o[1]));
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_sync_close(o[i]));
}

/* U08, and a wait-any with a timeout woken by another thread. */
struct delayed {
    mmf_sync *o;
    long ms;
};

static int set_later(void *p)
{
    struct delayed *d = p;
    test_sleep_ms(d->ms);
    return mmf_event_set(d->o);
}

TEST(any_timeout_and_wake)
{
    mmf_sync *o[2];
    uint64_t t0;
    struct call c;
    struct delayed d;
    CHECK_OK(mmf_event_create(&o[0], NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&o[1], NULL, 0, 1, MMF_CREATE_NEW, NULL));
    t0 = test_now_ns();
    CHECK_RC(mmf_sync_wait_any(o, 2, 120), MMF_ETIMEDOUT);
    printf("120 ms wait-any took %.3f ms\n", (double)(test_now_ns() - t0) / 1e6);
    CHECK(test_now_ns() - t0 >= 120000000u && test_now_ns() - t0 < 1120000000u);
    t0 = test_now_ns();
    CHECK_RC(mmf_sync_wait_all(o, 2, 80), MMF_ETIMEDOUT);
    CHECK(test_now_ns() - t0 >= 80000000u && test_now_ns() - t0 < 1080000000u);
    d = (struct delayed){o[0], 50};
    call_start(&c, set_later, &d);
    CHECK_EQ(mmf_sync_wait_any(o, 2, 10000), 0);
    CHECK_EQ(call_join(&c), 0);
    CHECK_OK(mmf_sync_close(o[0]));
    CHECK_OK(mmf_sync_close(o[1]));
}

/* ------------------------------------------------------------------------ */
/* Wait-all                                                                  */
/* ------------------------------------------------------------------------ */

struct allw {
    mmf_sync **o;
    size_t n;
    long long timeout;
    int started; /* about to call the wait */
};

static int wait_all_thread(void *p)
{
    struct allw *a = p;
    __atomic_store_n(&a->started, 1, __ATOMIC_SEQ_CST);
    return mmf_sync_wait_all(a->o, a->n, a->timeout);
}

/* Return once the thread running a's wait is blocked in it, which e (an
 * event or a semaphore of the set) shows on Linux as one waiter. Windows
 * cannot count an object's waiters (mmf_sync_stat reports MMF_UNKNOWN,
 * checked here): there the thread has said that it is about to wait, and
 * is given time to block in the kernel. */
static void await_blocked(mmf_sync *e, struct allw *a)
{
    uint64_t t0 = test_now_ns();
    mmf_sync_info info;
    while (!__atomic_load_n(&a->started, __ATOMIC_SEQ_CST)) {
        CHECK(test_now_ns() - t0 < 10000000000u);
        test_sleep_ms(1);
    }
#ifdef _WIN32
    CHECK_OK(mmf_sync_stat(e, &info));
    CHECK_EQ(info.waiters, (unsigned long)MMF_UNKNOWN);
    test_sleep_ms(200);
#else
    do {
        CHECK(test_now_ns() - t0 < 10000000000u);
        test_sleep_ms(1);
        CHECK_OK(mmf_sync_stat(e, &info));
    } while (info.waiters != 1);
#endif
}

/* U05: wait-all succeeds only when all are signaled at once, and until
 * then changes none of them: a free mutex in the set is not taken (another
 * thread may take it meanwhile), a semaphore keeps its count. */
TEST(all_changes_nothing_until_all)
{
    mmf_sync *o[3], *m2;
    struct allw a;
    struct call c;

    CHECK_OK(mmf_mutex_create(&o[0], test_name("m"), 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&o[1], NULL, 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&o[2], NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_open(&m2, test_name("m")));
    CHECK_RC(mmf_sync_wait_all(o, 3, 0), MMF_ETIMEDOUT);
    CHECK_RC(mmf_sync_wait_all(o, 3, 50), MMF_ETIMEDOUT);
    CHECK_EQ(count_of(o[1]), 1);
    CHECK_OK(in_thread(try_lock, m2));

    /* A thread waits for all three; meanwhile the mutex is taken here and
     * the event set: still not all at once. */
    a = (struct allw){o, 3, 10000, 0};
    CHECK_OK(mmf_mutex_lock(m2, 0));
    call_start(&c, wait_all_thread, &a);
    test_sleep_ms(50);
    CHECK_EQ(count_of(o[1]), 1);
    CHECK_EQ(mmf_event_set(o[2]), 0);
    test_sleep_ms(50);
    CHECK_EQ(signaled(o[2]), 1); /* not consumed: the mutex is held */
    CHECK_EQ(count_of(o[1]), 1);
    CHECK_OK(mmf_mutex_unlock(m2));
    CHECK_EQ(call_join(&c), 0);  /* the thread took all three, and died */
    CHECK_EQ(count_of(o[1]), 0);
    CHECK_EQ(signaled(o[2]), 0);
    CHECK_RC(mmf_mutex_lock(m2, 0), MMF_ABANDONED);
    CHECK_OK(mmf_mutex_unlock(m2));
    CHECK_OK(mmf_sync_close(m2));
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_sync_close(o[i]));
}

/* U06: wait-all with an abandoned mutex returns FLAG | its index; a mutex
 * the caller owns already counts as signaled (and recurses). */
TEST(all_abandoned_and_owned)
{
    mmf_sync *o[3];
    mmf_sync_info info;
    CHECK_OK(mmf_event_create(&o[0], NULL, 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_create(&o[1], NULL, 1, MMF_CREATE_NEW, NULL)); /* ours */
    CHECK_OK(mmf_mutex_create(&o[2], NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(in_thread(lock_and_exit, o[2]));
    CHECK_EQ(mmf_sync_wait_all(o, 3, 0), MMF_ABANDONED | 2);
    CHECK_OK(mmf_sync_stat(o[1], &info));
    CHECK_EQ(info.recursion, 2);
    CHECK_EQ(mmf_sync_wait_all(o, 3, 0), 0);
    for (int i = 0; i < 2; i++) {
        CHECK_OK(mmf_mutex_unlock(o[2]));
        CHECK_OK(mmf_mutex_unlock(o[1]));
    }
    CHECK_OK(mmf_mutex_unlock(o[1]));
    CHECK_RC(mmf_mutex_unlock(o[1]), MMF_ENOTOWNER);
    CHECK_RC(mmf_mutex_unlock(o[2]), MMF_ENOTOWNER);
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_sync_close(o[i]));
}

/* A wait-all that sees an abandoned mutex free but cannot complete leaves
 * it for the next owner to learn that it was abandoned. */
TEST(all_keeps_abandoned_mark)
{
    mmf_sync *o[2];
    CHECK_OK(mmf_mutex_create(&o[0], NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&o[1], NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(in_thread(lock_and_exit, o[0]));
    CHECK_RC(mmf_sync_wait_all(o, 2, 20), MMF_ETIMEDOUT);
    CHECK_RC(in_thread(try_lock, o[0]), MMF_ABANDONED);
    CHECK_OK(in_thread(try_lock, o[0]));
    CHECK_OK(mmf_sync_close(o[0]));
    CHECK_OK(mmf_sync_close(o[1]));
}

/* R16: a pulse does not release a wait-all whose other objects are not
 * signaled at that moment, and is not remembered for it. */
TEST(all_and_pulse)
{
    mmf_sync *o[2];
    struct allw a;
    struct call c;
    CHECK_OK(mmf_event_create(&o[0], NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&o[1], NULL, 0, 1, MMF_CREATE_NEW, NULL));
    a = (struct allw){o, 2, 10000, 0};
    call_start(&c, wait_all_thread, &a);
    await_blocked(o[0], &a);
    test_sleep_ms(20);
    CHECK_EQ(mmf_event_pulse(o[0]), 0);
    test_sleep_ms(50);
    CHECK_OK(mmf_semaphore_release(o[1], 1, NULL));
    test_sleep_ms(50);
    CHECK_EQ(count_of(o[1]), 1); /* still waiting: the pulse is gone */
    CHECK_EQ(mmf_event_set(o[0]), 0);
    CHECK_EQ(call_join(&c), 0);
    CHECK_EQ(count_of(o[1]), 0);
    CHECK_OK(mmf_sync_close(o[0]));
    CHECK_OK(mmf_sync_close(o[1]));
}

static int wait_any_thread(void *p)
{
    struct allw *a = p;
    __atomic_store_n(&a->started, 1, __ATOMIC_SEQ_CST);
    return mmf_sync_wait_any(a->o, a->n, a->timeout);
}

/* A pulse releases a wait-any that waits on the event among others. */
TEST(any_and_pulse)
{
    mmf_sync *o[2];
    struct allw a;
    struct call c;
    CHECK_OK(mmf_event_create(&o[0], NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&o[1], NULL, 1, 0, MMF_CREATE_NEW, NULL));
    a = (struct allw){o, 2, 10000, 0};
    call_start(&c, wait_any_thread, &a);
    await_blocked(o[1], &a);
    CHECK_EQ(mmf_event_pulse(o[1]), 0);
    CHECK_EQ(call_join(&c), 1);
    CHECK_EQ(signaled(o[1]), 0);
    /* It left the other event too: no waiter is left there to take a
     * set (nor counted, on Linux). */
#ifndef _WIN32
    {
        mmf_sync_info info;
        CHECK_OK(mmf_sync_stat(o[0], &info));
        CHECK_EQ(info.waiters, 0);
    }
#endif
    CHECK_EQ(mmf_event_set(o[0]), 0);
    CHECK_EQ(signaled(o[0]), 1);
    CHECK_OK(mmf_sync_close(o[0]));
    CHECK_OK(mmf_sync_close(o[1]));
}

/* ------------------------------------------------------------------------ */
/* Across processes                                                          */
/* ------------------------------------------------------------------------ */

HELPER(signal_later)
{
    /* argv: kind(event|semaphore|mutex) name ms ready-fd */
    mmf_sync *o;
    int rc;
    (void)argc;
    if (strcmp(argv[0], "event") == 0)
        rc = mmf_event_open(&o, argv[1]);
    else if (strcmp(argv[0], "semaphore") == 0)
        rc = mmf_semaphore_open(&o, argv[1]);
    else
        rc = mmf_mutex_open(&o, argv[1]);
    if (rc != 0)
        return 10;
    if (strcmp(argv[0], "mutex") == 0 && mmf_mutex_lock(o, 0) != 0)
        return 11;
    test_sync_signal(atoi(argv[3]));
    test_sleep_ms(atol(argv[2]));
    if (strcmp(argv[0], "event") == 0)
        rc = mmf_event_set(o) < 0;
    else if (strcmp(argv[0], "semaphore") == 0)
        rc = mmf_semaphore_release(o, 1, NULL);
    else if (strcmp(argv[2], "0") == 0)
        for (;;)
            pause(); /* wait to be killed, owning it */
    else
        rc = mmf_mutex_unlock(o);
    mmf_sync_close(o);
    return rc == 0 ? 0 : 12;
}

static pid_t spawn_signaler(const char *kind, const char *name, const char *ms)
{
    struct test_sync sy;
    char fd[16];
    pid_t pid;
    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("signal_later", kind, name, ms, fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 10000));
    close(sy.rd);
    return pid;
}

/* Wait-any and wait-all woken by each kind of object changed in another
 * process, and by the death of a mutex's owner. */
TEST(woken_by_other_processes)
{
    mmf_sync *o[3];
    pid_t pid;
    uint64_t t0;
    CHECK_OK(mmf_event_create(&o[0], test_name("e"), 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&o[1], test_name("s"), 0, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_create(&o[2], test_name("m"), 0, MMF_CREATE_NEW, NULL));

    /* It holds the mutex far longer than the semaphore's delay, so that a
     * slow start of the second helper (sanitizer builds) cannot reorder
     * the two. */
    pid = spawn_signaler("mutex", test_name("m"), "1000");
    pid_t p2 = spawn_signaler("semaphore", test_name("s"), "50");
    CHECK_EQ(mmf_sync_wait_any(o, 3, 10000), 1);
    CHECK_EQ(mmf_sync_wait_any(o, 3, 10000), 2); /* after its unlock */
    CHECK_EQ(test_wait(pid), 0);
    CHECK_EQ(test_wait(p2), 0);
    CHECK_OK(mmf_mutex_unlock(o[2]));

    pid = spawn_signaler("event", test_name("e"), "50");
    p2 = spawn_signaler("semaphore", test_name("s"), "100");
    CHECK_EQ(mmf_sync_wait_all(o, 3, 10000), 0);
    CHECK_EQ(test_wait(pid), 0);
    CHECK_EQ(test_wait(p2), 0);
    CHECK_OK(mmf_mutex_unlock(o[2]));

    /* The owner is killed while we wait on it among others. */
    pid = spawn_signaler("mutex", test_name("m"), "0");
    t0 = test_now_ns();
    {
        mmf_sync *two[2] = {o[0], o[2]};
        struct allw a = {two, 2, 10000, 0};
        struct call c;
        call_start(&c, wait_any_thread, &a);
        test_sleep_ms(50);
        t0 = test_now_ns();
        kill(pid, SIGKILL);
        CHECK_EQ(call_join(&c), MMF_ABANDONED | 1);
        printf("multi-wait woken %.3f ms after the kill\n", (double)(test_now_ns() - t0) / 1e6);
        CHECK(test_now_ns() - t0 < 1000000000u);
    }
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    CHECK_RC(mmf_mutex_lock(o[2], 0), MMF_ABANDONED); /* the thread died owning it */
    CHECK_OK(mmf_mutex_unlock(o[2]));
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_sync_close(o[i]));
}

/* ------------------------------------------------------------------------ */
/* Lost wake-ups                                                             */
/* ------------------------------------------------------------------------ */

/* Lock/unlock pairs per thread or process. Under Wine every wait is a
 * round trip to wineserver (about 0.1 ms, more when the machine is busy):
 * a fifth of them, still thousands of hand-overs between each kind of
 * waiter, checked for the same lost wake-ups and double owners. */
static int mix_iters(void)
{
    return test_under_wine() ? 10000 : 50000;
}

/* Start together, and now and then yield while holding the lock, so that
 * the others really fall asleep on it and the wake-up paths are used. */
static int start_gate;

static void gate_wait(void)
{
    while (!__atomic_load_n(&start_gate, __ATOMIC_ACQUIRE))
        sched_yield();
}

struct mix {
    mmf_sync *m, *never;
    int multi;       /* wait-any on {never, m} instead of a plain lock */
    int all;         /* wait-all on {m, always} */
    mmf_sync *always;
    uint64_t *counter;
    int rc;
};

static void *mix_main(void *p)
{
    struct mix *x = p;
    const int iters = mix_iters();
    gate_wait();
    for (int i = 0; i < iters; i++) {
        int rc;
        if (x->all) {
            mmf_sync *o[2] = {x->always, x->m};
            rc = mmf_sync_wait_all(o, 2, 20000);
        } else if (x->multi) {
            mmf_sync *o[2] = {x->never, x->m};
            rc = mmf_sync_wait_any(o, 2, 20000);
            rc = rc == 1 ? 0 : rc == 0 ? -1 : rc;
        } else {
            rc = mmf_mutex_lock(x->m, 20000);
        }
        if (rc != 0) { /* a lost wake-up shows as a 20 s timeout */
            x->rc = rc;
            return NULL;
        }
        uint64_t v = __atomic_load_n(x->counter, __ATOMIC_RELAXED);
        if (i % 16 == 0)
            sched_yield();
        __atomic_store_n(x->counter, v + 1, __ATOMIC_RELAXED);
        if ((rc = mmf_mutex_unlock(x->m)) != 0) {
            x->rc = rc;
            return NULL;
        }
    }
    return NULL;
}

/* Plain lockers (glibc's robust futex protocol), wait-any and wait-all
 * waiters (futex_waitv on the same lock word) contend for one mutex: a
 * wake-up that one kind takes and the other needed must never be lost,
 * and exclusion must hold. */
TEST(mixed_waiters_stress)
{
    struct mix x[6];
    pthread_t t[6];
    mmf_sync *m, *never, *always;
    uint64_t counter = 0, t0;

    __atomic_store_n(&start_gate, 0, __ATOMIC_RELEASE);
    CHECK_OK(mmf_mutex_create(&m, NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&never, NULL, 1, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&always, NULL, 1, 1, MMF_CREATE_NEW, NULL));
    for (int i = 0; i < 6; i++) {
        x[i] = (struct mix){m, never, i % 3 == 1, i % 3 == 2, always, &counter, 0};
        CHECK(pthread_create(&t[i], NULL, mix_main, &x[i]) == 0);
    }
    t0 = test_now_ns();
    __atomic_store_n(&start_gate, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 6; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_RC(x[i].rc, 0);
    }
    printf("%d lock/unlock pairs by plain, wait-any and wait-all waiters in %.2f s\n",
           6 * mix_iters(), (double)(test_now_ns() - t0) / 1e9);
    CHECK_EQ(counter, 6 * mix_iters());
    CHECK_OK(mmf_sync_close(m));
    CHECK_OK(mmf_sync_close(never));
    CHECK_OK(mmf_sync_close(always));
}

HELPER(mix_process)
{
    /* argv: mutex section mode(plain|any|all) */
    mmf_section *s;
    mmf_sync *m, *never, *always;
    struct mix x;
    void *p = NULL;
    (void)argc;
    if (mmf_mutex_open(&m, argv[0]) != 0 ||
        mmf_section_open(&s, argv[1], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0 ||
        mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p) != 0 ||
        mmf_event_create(&never, NULL, 1, 0, MMF_CREATE_NEW, NULL) != 0 ||
        mmf_event_create(&always, NULL, 1, 1, MMF_CREATE_NEW, NULL) != 0)
        return 10;
    x = (struct mix){m, never, strcmp(argv[2], "any") == 0, strcmp(argv[2], "all") == 0,
                     always, p, 0};
    __atomic_store_n(&start_gate, 1, __ATOMIC_RELEASE);
    mix_main(&x);
    return x.rc == 0 ? 0 : 11;
}

/* The same across processes. */
TEST_SLOW(mixed_waiters_processes)
{
    static const char *modes[] = {"plain", "any", "all", "plain", "any", "all"};
    mmf_section *s;
    mmf_sync *m;
    uint64_t *counter;
    void *p = NULL;
    pid_t pid[6];
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_create(&s, test_name("c"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p));
    counter = p;
    for (int i = 0; i < 6; i++)
        pid[i] = test_spawn("mix_process", test_name("m"), test_name("c"), modes[i], NULL);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(test_wait(pid[i]), 0);
    CHECK_EQ(*counter, 6 * mix_iters());
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_sync_close(m));
}

struct pair {
    mmf_sync *a, *b;
    int *in_a, *in_b;
    int rc;
};

static void *all_pair(void *p)
{
    struct pair *x = p;
    mmf_sync *o[2] = {x->a, x->b};
    const int iters = mix_iters();
    gate_wait();
    for (int i = 0; i < iters && x->rc == 0; i++) {
        int rc = mmf_sync_wait_all(o, 2, 20000);
        if (rc != 0) {
            x->rc = rc;
            break;
        }
        if (__atomic_fetch_add(x->in_a, 1, __ATOMIC_SEQ_CST) != 0 ||
            __atomic_fetch_add(x->in_b, 1, __ATOMIC_SEQ_CST) != 0)
            x->rc = -1; /* two holders at once */
        if (i % 16 == 0)
            sched_yield();
        __atomic_fetch_sub(x->in_a, 1, __ATOMIC_SEQ_CST);
        __atomic_fetch_sub(x->in_b, 1, __ATOMIC_SEQ_CST);
        if (mmf_mutex_unlock(x->b) != 0 || mmf_mutex_unlock(x->a) != 0)
            x->rc = -2;
    }
    return NULL;
}

static void *one_of_pair(void *p)
{
    struct pair *x = p;
    const int iters = mix_iters();
    gate_wait();
    for (int i = 0; i < iters && x->rc == 0; i++) {
        int rc = mmf_mutex_lock(x->a, 20000);
        if (rc != 0) {
            x->rc = rc;
            break;
        }
        if (__atomic_fetch_add(x->in_a, 1, __ATOMIC_SEQ_CST) != 0)
            x->rc = -1;
        if (i % 16 == 0)
            sched_yield();
        __atomic_fetch_sub(x->in_a, 1, __ATOMIC_SEQ_CST);
        if (mmf_mutex_unlock(x->a) != 0)
            x->rc = -2;
    }
    return NULL;
}

/* Wait-all on two mutexes against threads taking them in the opposite
 * order one at a time: no deadlock, no double ownership. */
TEST(all_two_mutexes_stress)
{
    mmf_sync *m1, *m2;
    int in1 = 0, in2 = 0;
    struct pair x[4];
    pthread_t t[4];
    uint64_t t0;
    __atomic_store_n(&start_gate, 0, __ATOMIC_RELEASE);
    CHECK_OK(mmf_mutex_create(&m1, NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_create(&m2, NULL, 0, MMF_CREATE_NEW, NULL));
    x[0] = (struct pair){m1, m2, &in1, &in2, 0};
    x[1] = (struct pair){m2, m1, &in2, &in1, 0};
    x[2] = (struct pair){m1, NULL, &in1, NULL, 0};
    x[3] = (struct pair){m2, NULL, &in2, NULL, 0};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, i < 2 ? all_pair : one_of_pair, &x[i]) == 0);
    t0 = test_now_ns();
    __atomic_store_n(&start_gate, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 4; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_RC(x[i].rc, 0);
    }
    printf("%d wait-all / lock pairs in %.2f s\n", 4 * mix_iters(),
           (double)(test_now_ns() - t0) / 1e9);
    CHECK_OK(mmf_sync_close(m1));
    CHECK_OK(mmf_sync_close(m2));
}

HELPER(multi_wait_cpu)
{
    /* argv: mutex ms. Waits on {a new event, the mutex}; exits with the
     * CPU time of the wait in ms. */
    long long t0;
    mmf_sync *o[2];
    long us;
    (void)argc;
    if (mmf_event_create(&o[0], NULL, 0, 0, MMF_CREATE_NEW, NULL) != 0 ||
        mmf_mutex_open(&o[1], argv[0]) != 0)
        return 250;
    t0 = test_cpu_us();
    if (mmf_sync_wait_any(o, 2, atol(argv[1])) != MMF_ETIMEDOUT)
        return 251;
    us = (long)(test_cpu_us() - t0);
    return us / 1000 > 200 ? 200 : (int)(us / 1000);
}

/* A process blocked in a wait on several objects for 2.5 s uses well
 * under 1% of a core. */
TEST(blocked_multi_waiter_cpu)
{
    mmf_sync *m;
    int ms;
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 1, MMF_CREATE_NEW, NULL));
    ms = test_wait(test_spawn("multi_wait_cpu", test_name("m"), "2500", NULL));
    printf("CPU time of a 2.5 s wait on 2 objects: %d ms\n", ms);
    CHECK(ms < 25);
    CHECK_OK(mmf_mutex_unlock(m));
    CHECK_OK(mmf_sync_close(m));
}

/* ------------------------------------------------------------------------ */
/* Duplicated handles                                                        */
/* ------------------------------------------------------------------------ */

static int unlock_mutex(void *m)
{
    return mmf_mutex_unlock(m);
}

/* O03, O04: a duplicate of each kind names the same object: a mutex locked
 * through one is released through the other (and not by another thread),
 * an event set through one is seen through the other, a semaphore shares
 * its count; a wait-all refuses the two together (U04). */
TEST(duplicate_same_object)
{
    mmf_sync *m, *m2, *e, *e2, *s, *s2;

    CHECK_OK(mmf_mutex_create(&m, NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_duplicate(m, &m2));
    CHECK(m2 != m);
    CHECK_OK(mmf_mutex_lock(m, 0));
    CHECK_RC(in_thread(try_lock, m2), MMF_ETIMEDOUT);
    CHECK_RC(in_thread(unlock_mutex, m2), MMF_ENOTOWNER);
    CHECK_OK(mmf_mutex_unlock(m2));
    CHECK_RC(mmf_mutex_unlock(m), MMF_ENOTOWNER);

    CHECK_OK(mmf_event_create(&e, NULL, 1, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_duplicate(e, &e2));
    CHECK_EQ(mmf_event_set(e2), 0);
    CHECK(signaled(e));
    CHECK_OK(mmf_sync_wait(e, 0));

    CHECK_OK(mmf_semaphore_create(&s, NULL, 1, 3, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_duplicate(s, &s2));
    CHECK_OK(mmf_semaphore_release(s2, 2, NULL));
    CHECK_EQ(count_of(s), 3);
    {
        mmf_sync *pair[2] = {s, s2}, *mixed[3] = {e, m2, s2};
        CHECK_RC(mmf_sync_wait_all(pair, 2, 0), MMF_EINVAL);
        CHECK_EQ(mmf_sync_wait_all(mixed, 3, 0), 0);
        CHECK_EQ(count_of(s), 2);
        CHECK_OK(mmf_mutex_unlock(m));
    }
    CHECK_OK(mmf_sync_close(m));
    CHECK_OK(mmf_sync_close(m2));
    CHECK_OK(mmf_sync_close(e));
    CHECK_OK(mmf_sync_close(e2));
    CHECK_OK(mmf_sync_close(s));
    CHECK_OK(mmf_sync_close(s2));
}

/* O04, N08: a duplicate keeps a named object and its name alive after the
 * original handle is closed; the last close removes the name. */
TEST(duplicate_keeps_name_alive)
{
    mmf_sync *e, *dup, *again;

    CHECK_OK(mmf_event_create(&e, test_name("e"), 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_duplicate(e, &dup));
    CHECK_OK(mmf_sync_close(e));
    CHECK_OK(mmf_event_open(&again, test_name("e")));
    CHECK_OK(mmf_sync_wait(again, 0)); /* the same, still signaled object */
    CHECK_OK(mmf_sync_close(again));
    CHECK_OK(mmf_sync_close(dup));
    CHECK_RC(mmf_event_open(&again, test_name("e")), MMF_ENOENT);
}

/* A closed handle cannot be duplicated. */
TEST(duplicate_closed_ebadf)
{
    mmf_sync *e, *dup = NULL;

    CHECK_OK(mmf_event_create(&e, NULL, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_close(e));
    CHECK_RC(mmf_sync_duplicate(e, &dup), MMF_EBADF);
    CHECK(dup == NULL);
}
