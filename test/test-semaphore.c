/* SPDX-License-Identifier: MIT */
/*
 * test-semaphore.c - named semaphores: limits, release and the previous
 * count, "too many posts", waking as many waiters as released, a bounded
 * buffer across processes, and a forged shared state. The ids in comments
 * (S03, ...) are those of docs/win32-behaviour.md.
 */
#include "test.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>

#include "sync.h"

static void sem_count(mmf_sync *s, long *count, long *max)
{
    mmf_sync_info info;
    CHECK_OK(mmf_sync_stat(s, &info));
    CHECK_EQ(info.type, MMF_TYPE_SEMAPHORE);
    *count = info.count;
    if (max != NULL)
        *max = info.maximum;
}

static long count_of(mmf_sync *s)
{
    long c;
    sem_count(s, &c, NULL);
    return c;
}

/* S03, S04: bad limits are refused and create nothing. */
TEST(create_errors)
{
    mmf_sync *s;
    const char *n = test_name("s");
    CHECK_RC(mmf_semaphore_create(&s, n, 2, 1, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_create(&s, n, 0, 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_create(&s, n, 0, -1, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_create(&s, n, -1, 1, MMF_CREATE_NEW, NULL), MMF_EINVAL);
#if LONG_MAX > INT32_MAX /* long is 32 bits on Windows (LLP64) */
    CHECK_RC(mmf_semaphore_create(&s, n, 0, (long)INT32_MAX + 1, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);
#endif
    CHECK_RC(mmf_semaphore_create(&s, n, LONG_MIN, LONG_MAX, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_open(&s, n), MMF_ENOENT);
    CHECK_EQ(test_store_count(n), 0);
    CHECK_OK(mmf_semaphore_create(&s, n, INT32_MAX, INT32_MAX, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_semaphore_release(s, 1, NULL), MMF_EOVERFLOW);
    CHECK_OK(mmf_sync_close(s));
}

/* S01, S02, S13 */
TEST(create_open)
{
    mmf_sync *a, *b, *c;
    long count, max;
    char upper[256];
    CHECK_RC(mmf_semaphore_create(&a, test_name("s"), 0, 1, MMF_CREATE_NEW, NULL), 0);
    CHECK_RC(mmf_semaphore_create(&b, test_name("s"), 5, 9, MMF_OPEN_OR_CREATE, NULL),
             MMF_EXISTED);
    sem_count(b, &count, &max); /* S02: the arguments were ignored */
    CHECK_EQ(count, 0);
    CHECK_EQ(max, 1);
    snprintf(upper, sizeof upper, "%s", test_name("s"));
    for (char *p = upper; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    CHECK_RC(mmf_semaphore_open(&c, upper), MMF_ENOENT);
    CHECK_RC(mmf_semaphore_open(&c, NULL), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_create(&c, upper, 0, 1, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK_OK(mmf_sync_close(c));
    CHECK_OK(mmf_semaphore_open(&c, test_name("s")));
    CHECK_OK(mmf_semaphore_release(a, 1, NULL));
    CHECK_OK(mmf_sync_wait(c, 0));
    CHECK_OK(mmf_sync_close(a));
    CHECK_OK(mmf_sync_close(b));
    CHECK_OK(mmf_sync_close(c));
}

/* S05: a satisfied wait takes 1; at 0 a wait times out. */
TEST(wait_takes_one)
{
    mmf_sync *s;
    CHECK_OK(mmf_semaphore_create(&s, test_name("s"), 1, 2, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_sync_wait(s, 0));
    CHECK_EQ(count_of(s), 0);
    CHECK_RC(mmf_sync_wait(s, 0), MMF_ETIMEDOUT);
    CHECK_RC(mmf_sync_wait(s, 30), MMF_ETIMEDOUT);
    CHECK_EQ(count_of(s), 0);
    CHECK_OK(mmf_sync_close(s));
}

/* S06: count 0, max 2: releasing 3 fails with "too many posts"; the count
 * and *previous are untouched. */
TEST(release_too_many)
{
    mmf_sync *s;
    long prev = -77;
    CHECK_OK(mmf_semaphore_create(&s, test_name("s"), 0, 2, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_semaphore_release(s, 3, &prev), MMF_EOVERFLOW);
    CHECK_EQ(prev, -77);
    CHECK_EQ(count_of(s), 0);
    CHECK_OK(mmf_sync_close(s));
}

/* S07, S08, S11: the previous count; past the maximum fails. */
TEST(release_sequence)
{
    mmf_sync *s;
    long prev = -77;
    CHECK_OK(mmf_semaphore_create(&s, test_name("s"), 0, 2, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_release(s, 1, &prev));
    CHECK_EQ(prev, 0);
    CHECK_OK(mmf_semaphore_release(s, 1, &prev));
    CHECK_EQ(prev, 1);
    prev = -77;
    CHECK_RC(mmf_semaphore_release(s, 1, &prev), MMF_EOVERFLOW);
    CHECK_EQ(prev, -77);
    CHECK_EQ(count_of(s), 2);
    CHECK_OK(mmf_sync_wait(s, 0));
    CHECK_OK(mmf_semaphore_release(s, 1, NULL)); /* S08: previous may be NULL */
    CHECK_EQ(count_of(s), 2);
    CHECK_OK(mmf_sync_close(s));
    /* S11: at its maximum of 1. */
    CHECK_OK(mmf_semaphore_create(&s, test_name("one"), 1, 1, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_semaphore_release(s, 1, NULL), MMF_EOVERFLOW);
    CHECK_OK(mmf_sync_close(s));
}

/* S09: a count <= 0 is invalid; nothing changes. */
TEST(release_bad_count)
{
    mmf_sync *s;
    long prev = -77;
    CHECK_OK(mmf_semaphore_create(&s, test_name("s"), 1, 5, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_semaphore_release(s, 0, &prev), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_release(s, -1, &prev), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_release(s, LONG_MIN, &prev), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_release(s, LONG_MAX, &prev), MMF_EOVERFLOW);
    CHECK_RC(mmf_semaphore_release(s, (long)INT32_MAX, &prev), MMF_EOVERFLOW);
    CHECK_EQ(prev, -77);
    CHECK_EQ(count_of(s), 1);
    CHECK_OK(mmf_sync_close(s));
}

struct sw {
    mmf_sync *s;
    int rc, done;
    pthread_t t;
};

static void *sem_wait_thread(void *p)
{
    struct sw *w = p;
    int rc = mmf_sync_wait(w->s, MMF_INFINITE);
    __atomic_store_n(&w->rc, rc, __ATOMIC_SEQ_CST);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int released(struct sw *w, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST);
    return k;
}

static void await_released(struct sw *w, int n, int k)
{
    uint64_t t0 = test_now_ns();
    while (released(w, n) < k) {
        CHECK(test_now_ns() - t0 < 10000000000u);
        test_sleep_ms(1);
    }
}

/* S14: releasing n wakes n waiters; the count never goes below 0. */
TEST(release_wakes_that_many)
{
    struct sw w[3];
    mmf_sync *s;
    mmf_sync_info info;
    uint64_t t0 = test_now_ns();

    CHECK_OK(mmf_semaphore_create(&s, test_name("s"), 0, 10, MMF_CREATE_NEW, NULL));
    for (int i = 0; i < 3; i++) {
        w[i] = (struct sw){s, 1, 0, 0};
        CHECK(pthread_create(&w[i].t, NULL, sem_wait_thread, &w[i]) == 0);
    }
    do { /* all three asleep */
        CHECK_OK(mmf_sync_stat(s, &info));
        CHECK(test_now_ns() - t0 < 10000000000u);
        test_sleep_ms(1);
    } while (info.waiters < 3);
    CHECK_OK(mmf_semaphore_release(s, 2, NULL));
    await_released(w, 3, 2);
    test_sleep_ms(100);
    CHECK_EQ(released(w, 3), 2);
    CHECK_EQ(count_of(s), 0);
    CHECK_OK(mmf_semaphore_release(s, 1, NULL));
    for (int i = 0; i < 3; i++) {
        CHECK(pthread_join(w[i].t, NULL) == 0);
        CHECK_EQ(w[i].rc, 0);
    }
    CHECK_EQ(count_of(s), 0);
    CHECK_OK(mmf_sync_close(s));
}

/* ------------------------------------------------------------------------ */
/* A bounded buffer across processes                                         */
/* ------------------------------------------------------------------------ */

#define BB_SLOTS 16
#define BB_ITEMS 40000 /* per producer */
#define BB_PRODUCERS 2
#define BB_CONSUMERS 2

struct bb {
    uint32_t head, tail;
    uint32_t ring[BB_SLOTS];
    uint32_t seen[BB_PRODUCERS * BB_ITEMS];
};

static int bb_open(char **argv, mmf_sync **empty, mmf_sync **full, mmf_sync **lock,
                   mmf_section **s, struct bb **b)
{
    void *p = NULL;
    if (mmf_semaphore_open(empty, argv[0]) != 0 || mmf_semaphore_open(full, argv[1]) != 0 ||
        mmf_mutex_open(lock, argv[2]) != 0 ||
        mmf_section_open(s, argv[3], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0 ||
        mmf_view_map(*s, MMF_MAP_WRITE, 0, 0, 0, &p) != 0)
        return -1;
    *b = p;
    return 0;
}

HELPER(bb_producer)
{
    /* argv: empty full lock section producer-number. Waits one object at
     * a time. */
    mmf_sync *empty, *full, *lock;
    mmf_section *s;
    struct bb *b;
    uint32_t base;
    (void)argc;
    if (bb_open(argv, &empty, &full, &lock, &s, &b) < 0)
        return 10;
    base = (uint32_t)atoi(argv[4]) * BB_ITEMS;
    for (uint32_t i = 0; i < BB_ITEMS; i++) {
        if (mmf_sync_wait(empty, 30000) != 0 || mmf_mutex_lock(lock, 30000) != 0)
            return 11;
        b->ring[b->head++ % BB_SLOTS] = base + i;
        if (mmf_mutex_unlock(lock) != 0 || mmf_semaphore_release(full, 1, NULL) != 0)
            return 12;
    }
    return 0;
}

HELPER(bb_consumer)
{
    /* argv: empty full lock section. Takes a full slot and the lock in
     * one wait-all. */
    mmf_sync *empty, *full, *lock, *both[2];
    mmf_section *s;
    struct bb *b;
    (void)argc;
    if (bb_open(argv, &empty, &full, &lock, &s, &b) < 0)
        return 10;
    both[0] = full;
    both[1] = lock;
    for (uint32_t i = 0; i < BB_PRODUCERS * BB_ITEMS / BB_CONSUMERS; i++) {
        uint32_t item;
        if (mmf_sync_wait_all(both, 2, 30000) != 0)
            return 11;
        item = b->ring[b->tail++ % BB_SLOTS];
        if (item >= BB_PRODUCERS * BB_ITEMS)
            return 12;
        b->seen[item]++;
        if (mmf_mutex_unlock(lock) != 0 || mmf_semaphore_release(empty, 1, NULL) != 0)
            return 13;
    }
    return 0;
}

/* Every release is taken exactly once: 2 producer and 2 consumer processes
 * pass 80,000 numbered items through a 16-slot ring guarded by two
 * semaphores and a mutex; every item arrives once. */
TEST_SLOW(bounded_buffer_processes)
{
    mmf_sync *empty, *full, *lock;
    mmf_section *s;
    struct bb *b;
    void *p = NULL;
    pid_t pid[BB_PRODUCERS + BB_CONSUMERS];
    uint64_t t0 = test_now_ns();

    CHECK_OK(mmf_semaphore_create(&empty, test_name("empty"), BB_SLOTS, BB_SLOTS,
                                  MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&full, test_name("full"), 0, BB_SLOTS, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_mutex_create(&lock, test_name("lock"), 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_create(&s, test_name("buf"), sizeof *b, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p));
    b = p;
    for (int i = 0; i < BB_PRODUCERS; i++) {
        char n[8];
        snprintf(n, sizeof n, "%d", i);
        pid[i] = test_spawn("bb_producer", test_name("empty"), test_name("full"),
                            test_name("lock"), test_name("buf"), n, NULL);
    }
    for (int i = 0; i < BB_CONSUMERS; i++)
        pid[BB_PRODUCERS + i] = test_spawn("bb_consumer", test_name("empty"),
                                           test_name("full"), test_name("lock"),
                                           test_name("buf"), NULL);
    for (int i = 0; i < BB_PRODUCERS + BB_CONSUMERS; i++)
        CHECK_EQ(test_wait(pid[i]), 0);
    printf("%d items through the ring in %.2f s\n", BB_PRODUCERS * BB_ITEMS,
           (double)(test_now_ns() - t0) / 1e9);
    for (uint32_t i = 0; i < BB_PRODUCERS * BB_ITEMS; i++)
        CHECK_EQ(b->seen[i], 1);
    CHECK_EQ(b->head, BB_PRODUCERS * BB_ITEMS);
    CHECK_EQ(b->tail, BB_PRODUCERS * BB_ITEMS);
    CHECK_EQ(count_of(full), 0);
    CHECK_EQ(count_of(empty), BB_SLOTS);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_sync_close(empty));
    CHECK_OK(mmf_sync_close(full));
    CHECK_OK(mmf_sync_close(lock));
}

HELPER(sem_release_one)
{
    mmf_sync *s;
    (void)argc;
    if (mmf_semaphore_open(&s, argv[0]) != 0)
        return 10;
    test_sleep_ms(100);
    if (mmf_semaphore_release(s, 1, NULL) != 0)
        return 11;
    mmf_sync_close(s);
    return 0;
}

/* A release in another process wakes a waiter here. */
TEST(release_other_process)
{
    mmf_sync *s;
    pid_t pid;
    CHECK_OK(mmf_semaphore_create(&s, test_name("s"), 0, 1, MMF_CREATE_NEW, NULL));
    pid = test_spawn("sem_release_one", test_name("s"), NULL);
    CHECK_OK(mmf_sync_wait(s, 10000));
    CHECK_EQ(test_wait(pid), 0);
    CHECK_OK(mmf_sync_close(s));
}

#ifndef _WIN32
/* A forged count or maximum gives MMF_ECORRUPT and changes nothing. */
TEST(corrupt_state)
{
    const char *name = test_name("s");
    const char *dir = getenv("MMF_STORE_DIR");
    struct mmf__sync_semaphore good, bad;
    char path[512];
    long prev = -77;
    mmf_sync *s;
    int fd;

    CHECK_OK(mmf_semaphore_create(&s, name, 1, 3, MMF_CREATE_NEW, NULL));
    snprintf(path, sizeof path, "%s/mmf.u%u.%s", dir && dir[0] == '/' ? dir : "/dev/shm",
             (unsigned)geteuid(), name);
    fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    CHECK(pread(fd, &good, sizeof good, offsetof(struct mmf__hdr, state)) == sizeof good);
    {
        static const int32_t forged[][2] = {{4, 3}, {-1, 3}, {0, 0}, {1, -5}, {INT32_MIN, INT32_MAX}};
        for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
            bad = good;
            bad.count = forged[i][0];
            bad.max = forged[i][1];
            CHECK(pwrite(fd, &bad, sizeof bad, offsetof(struct mmf__hdr, state)) == sizeof bad);
            CHECK_RC(mmf_semaphore_release(s, 1, &prev), MMF_ECORRUPT);
            CHECK_RC(mmf_sync_wait(s, 50), MMF_ECORRUPT);
            CHECK_RC(mmf_sync_wait_any(&s, 1, 50), MMF_ECORRUPT);
            CHECK_EQ(prev, -77);
            CHECK(pread(fd, &bad, sizeof bad, offsetof(struct mmf__hdr, state)) == sizeof bad);
            CHECK_EQ(bad.count, forged[i][0]); /* nothing written */
        }
    }
    CHECK(pwrite(fd, &good, sizeof good, offsetof(struct mmf__hdr, state)) == sizeof good);
    close(fd);
    CHECK_OK(mmf_sync_wait(s, 0));
    CHECK_OK(mmf_semaphore_release(s, 3, &prev));
    CHECK_EQ(prev, 0);
    CHECK_OK(mmf_sync_close(s));
}
#else
LINUX_ONLY_TEST(corrupt_state, "forges the shared state in the Linux store file (Windows keeps semaphore state in the kernel)")
#endif
