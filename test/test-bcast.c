/* SPDX-License-Identifier: MIT */
/*
 * test-bcast.c - the broadcast channel: arguments and errors of every
 * call; try, timed and blocking reads; readers at different speeds in
 * separate processes (fast ones lose nothing, a slow one is told exactly
 * what it lost, nobody gets a torn message); the producer killed with
 * SIGKILL (readers drain, then MMF_EPIPE, then a new producer continues);
 * a hostile process writing garbage; and an in-process threaded case for
 * ThreadSanitizer.
 */
#include "test.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>

#include "channel.h"
#include "chanmsg.h"

#define INF MMF_INFINITE

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static long elapsed_ms(uint64_t since_ns)
{
    return (long)((test_now_ns() - since_ns) / 1000000u);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return msg_mix(rng_state);
}

static void rng_seed(void)
{
    const char *s = getenv("MMF_TEST_SEED");
    rng_state = s ? strtoull(s, NULL, 0) : test_now_ns() ^ (uint64_t)getpid();
    printf("seed %llu (MMF_TEST_SEED to repeat)\n", (unsigned long long)rng_state);
    fflush(stdout);
}

static mmf_bcast *b_new(const char *tag, uint32_t slots, uint32_t size, int role)
{
    mmf_bcast *b;
    int rc = mmf_bcast_create(&b, test_name(tag), slots, size, role, MMF_OPEN_OR_CREATE, NULL);
    CHECK(rc == 0 || rc == MMF_EXISTED);
    return b;
}

static void send_msg(mmf_bcast *b, uint32_t prod, uint64_t seq)
{
    uint8_t buf[512];
    size_t len = msg_len(prod, seq, mmf_bcast_slot_size(b));
    CHECK(len <= sizeof buf);
    msg_fill(buf, len, prod, seq);
    CHECK_OK(mmf_bcast_send(b, buf, len));
}

/* Receive one message: it must be (prod, seq) after `lost` lost ones. */
static void expect_msg(mmf_bcast *b, uint32_t prod, uint64_t seq, uint64_t lost,
                       long long timeout)
{
    uint8_t buf[512];
    size_t len = 0;
    uint64_t l = 99;
    uint32_t p;
    uint64_t s;
    CHECK_OK(mmf_bcast_recv(b, buf, sizeof buf, &len, &l, timeout));
    CHECK(msg_check(buf, len, &p, &s));
    CHECK_EQ(p, prod);
    CHECK_EQ(s, seq);
    CHECK_EQ(l, lost);
}

static void *scratch(const char *tag, size_t size, mmf_section **s)
{
    void *p = NULL;
    CHECK_OK(mmf_section_create(s, test_name(tag), size, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(*s, MMF_MAP_WRITE, 0, 0, 0, &p));
    return p;
}

static void *scratch_open(const char *name, mmf_section **s)
{
    void *p = NULL;
    CHECK_OK(mmf_section_open(s, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_view_map(*s, MMF_MAP_WRITE, 0, 0, 0, &p));
    return p;
}

/* ------------------------------------------------------------------------ */
/* Arguments, names, errors                                                  */
/* ------------------------------------------------------------------------ */

TEST(create_arguments)
{
    mmf_bcast *b, *b2;
    mmf_queue *q;
    mmf_channel_opts o = {0, 0, NULL};
    const char *n = test_name("b");

    CHECK_RC(mmf_bcast_open(&b, n, MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);
    CHECK_RC(mmf_bcast_create(&b, n, 0, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 1, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 6, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 1u << 25, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 4, 0, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 4, (1u << 24) + 1, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 1u << 24, 1u << 24, MMF_ROLE_PRODUCER, MMF_CREATE_NEW,
                              NULL), MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 4, 8, 7, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, n, 4, 8, MMF_ROLE_PRODUCER, 9, NULL), MMF_EINVAL);
    o.path = "/tmp/x";
    CHECK_RC(mmf_bcast_create(&b, n, 4, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o), MMF_EINVAL);
    o.path = NULL;
    o.flags = 0x80;
    CHECK_RC(mmf_bcast_create(&b, n, 4, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o), MMF_EINVAL);
    CHECK_RC(mmf_bcast_open(&b, NULL, MMF_ROLE_CONSUMER, NULL), MMF_EINVAL);
    CHECK_EQ(test_store_count(n), 0);

    CHECK_OK(mmf_bcast_create(&b, n, 8, 100, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_EQ(mmf_bcast_slot_size(b), 100);
    /* One producer at a time. */
    CHECK_RC(mmf_bcast_create(&b2, n, 8, 100, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL),
             MMF_EBUSY);
    CHECK_RC(mmf_bcast_open(&b2, n, MMF_ROLE_PRODUCER, NULL), MMF_EBUSY);
    CHECK_RC(mmf_bcast_create(&b2, n, 4, 8, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK_RC(mmf_bcast_create(&b2, n, 4, 8, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL),
             MMF_EXISTED);
    CHECK_EQ(mmf_bcast_slot_size(b2), 100);
    CHECK_RC(mmf_queue_open(&q, n, MMF_ROLE_CONSUMER, NULL), MMF_ETYPE);
    CHECK_OK(mmf_bcast_close(b));
    CHECK_OK(mmf_bcast_open(&b, n, MMF_ROLE_PRODUCER, NULL)); /* free again */
    CHECK_OK(mmf_bcast_close(b));
    CHECK_OK(mmf_bcast_close(b2));
    CHECK_RC(mmf_bcast_open(&b, n, MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);
}

TEST(call_checks)
{
    mmf_bcast *p = b_new("b", 4, 32, MMF_ROLE_PRODUCER);
    mmf_bcast *r = b_new("b", 4, 32, MMF_ROLE_CONSUMER);
    uint8_t buf[64] = {0};
    size_t len = 0;
    uint64_t lost = 7;

    CHECK_RC(mmf_bcast_send(r, buf, 1), MMF_EINVAL);
    CHECK_RC(mmf_bcast_recv(p, buf, sizeof buf, &len, &lost, 0), MMF_EINVAL);
    CHECK_RC(mmf_bcast_send(p, buf, 0), MMF_EINVAL);
    CHECK_RC(mmf_bcast_send(p, buf, 33), MMF_EINVAL);
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, -3), MMF_EINVAL);
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, MMF_TIMEOUT_MAX + 1), MMF_EINVAL);
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_EAGAIN);
    CHECK_EQ(lost, 0);

    /* Too long for the buffer: its length, and it is skipped. */
    CHECK_OK(mmf_bcast_send(p, "0123456789", 10));
    CHECK_OK(mmf_bcast_send(p, "ab", 2));
    CHECK_RC(mmf_bcast_recv(r, buf, 4, &len, &lost, 0), MMF_EOVERFLOW);
    CHECK_EQ(len, 10);
    CHECK_EQ(lost, 0);
    CHECK_OK(mmf_bcast_recv(r, buf, 4, &len, NULL, 0));
    CHECK(len == 2 && memcmp(buf, "ab", 2) == 0);
    CHECK_OK(mmf_bcast_send(p, "z", 1));
    CHECK_RC(mmf_bcast_recv(r, NULL, 0, &len, &lost, 0), MMF_EOVERFLOW);
    CHECK_EQ(len, 1);
    CHECK_OK(mmf_bcast_close(p));
    CHECK_OK(mmf_bcast_close(r));
}

/* Every reader gets every message in order; a new reader starts at the
 * next one; a reader more than `slots` behind is told how many it lost
 * and goes on from the oldest still there. */
TEST(readers_and_loss)
{
    mmf_bcast *p = b_new("b", 4, 64, MMF_ROLE_PRODUCER);
    mmf_bcast *r1 = b_new("b", 4, 64, MMF_ROLE_CONSUMER);
    mmf_bcast *r2, *r3;
    uint8_t buf[64];
    size_t len;
    uint64_t lost;

    for (uint64_t s = 0; s < 3; s++)
        send_msg(p, 0, s);
    r2 = b_new("b", 4, 64, MMF_ROLE_CONSUMER);
    CHECK_RC(mmf_bcast_recv(r2, buf, sizeof buf, &len, &lost, 0), MMF_EAGAIN);
    send_msg(p, 0, 3);
    expect_msg(r2, 0, 3, 0, 0);
    for (uint64_t s = 0; s < 4; s++)
        expect_msg(r1, 0, s, 0, 0);
    CHECK_RC(mmf_bcast_recv(r1, buf, sizeof buf, &len, &lost, 0), MMF_EAGAIN);

    /* Ten more: r1 keeps up, r2 falls behind by more than four. */
    r3 = b_new("b", 4, 64, MMF_ROLE_CONSUMER);
    for (uint64_t s = 4; s < 14; s++) {
        send_msg(p, 0, s);
        expect_msg(r1, 0, s, 0, 0);
    }
    expect_msg(r2, 0, 10, 6, 0); /* 4..9 lost */
    for (uint64_t s = 11; s < 14; s++)
        expect_msg(r2, 0, s, 0, 0);
    expect_msg(r3, 0, 10, 6, 0);
    /* Exactly one lap behind loses nothing. */
    for (uint64_t s = 14; s < 18; s++)
        send_msg(p, 0, s);
    for (uint64_t s = 14; s < 18; s++)
        expect_msg(r2, 0, s, 0, 0);
    CHECK_RC(mmf_bcast_recv(r2, buf, sizeof buf, &len, &lost, 0), MMF_EAGAIN);
    CHECK_OK(mmf_bcast_close(p));
    CHECK_OK(mmf_bcast_close(r1));
    CHECK_OK(mmf_bcast_close(r2));
    CHECK_OK(mmf_bcast_close(r3));
}

/* ------------------------------------------------------------------------ */
/* Try, timed, blocking                                                      */
/* ------------------------------------------------------------------------ */

/* argv: name, ready fd, timeout. Exit 0 if "ping" came. */
HELPER(b_recv_one)
{
    mmf_bcast *b;
    uint8_t buf[64];
    size_t len;
    uint64_t lost;
    int rc;
    (void)argc;
    test_die_with_parent();
    CHECK_OK(mmf_bcast_open(&b, argv[0], MMF_ROLE_CONSUMER, NULL));
    test_sync_signal(atoi(argv[1]));
    rc = mmf_bcast_recv(b, buf, sizeof buf, &len, &lost, atoll(argv[2]));
    if (rc != 0) {
        fprintf(stderr, "recv: %s\n", mmf_err_name(rc));
        return 2;
    }
    return len == 4 && memcmp(buf, "ping", 4) == 0 && lost == 0 ? 0 : 3;
}

struct rwait {
    mmf_bcast *b;
    int rc;
    size_t len;
    uint8_t buf[64];
};

static void *recv_thread(void *arg)
{
    struct rwait *w = arg;
    uint64_t lost;
    w->rc = mmf_bcast_recv(w->b, w->buf, sizeof w->buf, &w->len, &lost, INF);
    return NULL;
}

TEST(try_timed_blocking)
{
    mmf_bcast *r = b_new("b", 4, 64, MMF_ROLE_CONSUMER);
    mmf_bcast *p;
    struct rwait w = {0};
    struct test_sync s;
    uint8_t buf[64];
    size_t len;
    uint64_t lost, t0;
    pthread_t t;
    pid_t pid;

    /* No producer yet: waits, no MMF_EPIPE. */
    t0 = test_now_ns();
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_EAGAIN);
    CHECK(elapsed_ms(t0) < 50);
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 60), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 60 && elapsed_ms(t0) < 2000);
    p = b_new("b", 4, 64, MMF_ROLE_PRODUCER);
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 30), MMF_ETIMEDOUT);

    /* Blocked in a thread, woken by a send. */
    w.b = r;
    CHECK(pthread_create(&t, NULL, recv_thread, &w) == 0);
    test_sleep_ms(50);
    CHECK_OK(mmf_bcast_send(p, "wake", 4));
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(w.rc);
    CHECK(w.len == 4 && memcmp(w.buf, "wake", 4) == 0);

    /* In another process, asleep in the kernel by then. */
    test_sync_init(&s);
    pid = test_spawn("b_recv_one", test_name("b"), test_num(s.wr), "-1", NULL);
    CHECK(test_sync_wait(&s, 5000));
    test_sleep_ms(100);
    CHECK_OK(mmf_bcast_send(p, "ping", 4));
    CHECK_EQ(test_wait(pid), 0);
    pid = test_spawn("b_recv_one", test_name("b"), test_num(s.wr), "10000", NULL);
    CHECK(test_sync_wait(&s, 5000));
    test_sleep_ms(30);
    CHECK_OK(mmf_bcast_send(p, "ping", 4));
    CHECK_EQ(test_wait(pid), 0);
    close(s.rd);
    close(s.wr);

    /* A closed producer: drain, then MMF_EPIPE, try or not. */
    CHECK_OK(mmf_bcast_close(p));
    CHECK_OK(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0));
    CHECK(len == 4 && memcmp(buf, "ping", 4) == 0);
    CHECK_OK(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0));
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_EPIPE);
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, INF), MMF_EPIPE);
    CHECK_OK(mmf_bcast_close(r));
}

TEST(busy_poll_and_sleep)
{
    mmf_channel_opts busy = {MMF_CHANNEL_BUSY_POLL, 0, NULL};
    mmf_bcast *p = b_new("b", 4, 8, MMF_ROLE_PRODUCER);
    mmf_bcast *r = b_new("b", 4, 8, MMF_ROLE_CONSUMER);
    mmf_bcast *rb;
    uint8_t buf[8];
    size_t len;
    uint64_t lost, t0;
    long long cpu, cpu_busy;

    CHECK_RC(mmf_bcast_open(&rb, test_name("b"), MMF_ROLE_CONSUMER, &busy), 0);
    cpu = test_cpu_us();
    t0 = test_now_ns();
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 300), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 300);
    cpu = test_cpu_us() - cpu;
    CHECK(cpu < 100000); /* mostly asleep */
    cpu_busy = test_cpu_us();
    CHECK_RC(mmf_bcast_recv(rb, buf, sizeof buf, &len, &lost, 300), MMF_ETIMEDOUT);
    cpu_busy = test_cpu_us() - cpu_busy;
    CHECK(cpu_busy > 4 * cpu + 10000); /* spinning, even on a busy machine */
    CHECK_OK(mmf_bcast_send(p, "12345678", 8));
    CHECK_OK(mmf_bcast_recv(rb, buf, sizeof buf, &len, &lost, 100));
    CHECK_OK(mmf_bcast_close(p));
    CHECK_OK(mmf_bcast_close(r));
    CHECK_OK(mmf_bcast_close(rb));
}

/* ------------------------------------------------------------------------ */
/* Readers at different speeds, in separate processes                        */
/* ------------------------------------------------------------------------ */

#define MAXR 8

/* Shared results: per reader its progress (for the producer's pacing),
 * messages received, lost, skipped as too long. */
struct bres {
    uint64_t progress[MAXR];
    uint64_t received[MAXR];
    uint64_t lost[MAXR];
    uint64_t overflow[MAXR];
    uint64_t pace;   /* readers [0, pace) must not be lapped */
    uint64_t slots;
};

/*
 * A reader: argv name, results, index, ready fd, sleep_every (0: never;
 * else sleep 1 ms after that many messages), cap (0: slot size).
 * Checks every message whole, in order, and that each gap is exactly the
 * lost count it was told. Reads until MMF_EPIPE.
 */
HELPER(b_reader)
{
    mmf_section *s;
    struct bres *r = scratch_open(argv[1], &s);
    uint32_t i = (uint32_t)atoi(argv[2]);
    long every = atol(argv[4]);
    size_t cap = (size_t)atol(argv[5]);
    int64_t prev = -1;
    mmf_bcast *b;
    uint8_t *buf;
    (void)argc;

    test_die_with_parent();
    CHECK_OK(mmf_bcast_open(&b, argv[0], MMF_ROLE_CONSUMER, NULL));
    if (cap == 0)
        cap = mmf_bcast_slot_size(b);
    buf = malloc(mmf_bcast_slot_size(b));
    CHECK(buf != NULL);
    test_sync_signal(atoi(argv[3]));
    for (uint64_t k = 1;; k++) {
        size_t len = 0;
        uint64_t lost = 99, seq;
        uint32_t prod;
        int rc = mmf_bcast_recv(b, buf, cap, &len, &lost, INF);
        if (rc == MMF_EPIPE)
            break;
        CHECK(rc == 0 || rc == MMF_EOVERFLOW);
        r->lost[i] += lost;
        if (rc == MMF_EOVERFLOW) {
            CHECK(len > cap && len <= mmf_bcast_slot_size(b));
            r->overflow[i]++;
            prev += (int64_t)lost + 1;
        } else {
            CHECK(msg_check(buf, len, &prod, &seq));
            CHECK_EQ(prod, 0);
            CHECK_EQ((int64_t)seq, prev + 1 + (int64_t)lost);
            prev = (int64_t)seq;
            r->received[i]++;
        }
        __atomic_store_n(&r->progress[i], (uint64_t)(prev + 1), __ATOMIC_RELEASE);
        if (every > 0 && k % (uint64_t)every == 0)
            test_sleep_ms(1);
    }
    free(buf);
    CHECK_OK(mmf_bcast_close(b));
    return 0;
}

/* A producer: argv name, results, n (0: forever). Keeps within half a
 * lap of the paced readers. */
HELPER(b_producer)
{
    mmf_section *s;
    struct bres *r = scratch_open(argv[1], &s);
    uint64_t n = strtoull(argv[2], NULL, 10);
    mmf_bcast *b;
    uint8_t *buf;
    size_t slot;
    (void)argc;

    test_die_with_parent();
    CHECK_OK(mmf_bcast_open(&b, argv[0], MMF_ROLE_PRODUCER, NULL));
    slot = mmf_bcast_slot_size(b);
    buf = malloc(slot);
    CHECK(buf != NULL);
    for (uint64_t seq = 0; n == 0 || seq < n; seq++) {
        size_t len = msg_len(0, seq, slot);
        for (uint64_t i = 0; i < r->pace; i++)
            while (seq - __atomic_load_n(&r->progress[i], __ATOMIC_ACQUIRE) >= r->slots / 2)
                sched_yield();
        msg_fill(buf, len, 0, seq);
        CHECK_OK(mmf_bcast_send(b, buf, len));
    }
    free(buf);
    CHECK_OK(mmf_bcast_close(b));
    return 0;
}

/*
 * `fast` paced readers and `slow` readers that sleep, all in separate
 * processes, then a producer of n messages: the fast ones receive all,
 * the slow ones lose some and are told exactly how many; nobody gets a
 * torn message (the readers check each).
 */
static void speeds(uint32_t slots, uint32_t slot_size, uint64_t n, uint32_t fast,
                   uint32_t slow, long slow_every, size_t slow_cap)
{
    mmf_bcast *hold = b_new("b", slots, slot_size, MMF_ROLE_CONSUMER);
    mmf_section *rs;
    struct bres *r = scratch("res", sizeof(struct bres), &rs);
    struct test_sync ready;
    pid_t pid[MAXR], prod;

    CHECK(fast + slow <= MAXR);
    r->pace = fast;
    r->slots = slots;
    test_sync_init(&ready);
    for (uint32_t i = 0; i < fast + slow; i++) {
        pid[i] = test_spawn("b_reader", test_name("b"), test_name("res"), test_num(i),
                            test_num(ready.wr), i < fast ? "0" : test_num(slow_every),
                            i < fast ? "0" : test_num((long long)slow_cap), NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    prod = test_spawn("b_producer", test_name("b"), test_name("res"), test_num((long long)n),
                      NULL);
    CHECK_EQ(test_wait(prod), 0);
    for (uint32_t i = 0; i < fast + slow; i++)
        CHECK_EQ(test_wait(pid[i]), 0);
    for (uint32_t i = 0; i < fast; i++) {
        CHECK_EQ(r->received[i], n);
        CHECK_EQ(r->lost[i], 0);
    }
    for (uint32_t i = fast; i < fast + slow; i++) {
        CHECK_EQ(r->received[i] + r->lost[i] + r->overflow[i], n);
        CHECK(r->lost[i] > 0);
        CHECK(r->received[i] > 0);
    }
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(rs));
    CHECK_OK(mmf_bcast_close(hold));
}

TEST(readers_at_different_speeds)
{
    speeds(16, 256, 20000, 2, 1, 1, 0);
}

/* Large messages and a short ring: the producer laps the readers while
 * they copy, constantly. The seqlock must catch every torn copy. */
TEST(no_torn_messages)
{
    speeds(2, 65536, 8000, 0, 3, 0, 0);
}

TEST(no_torn_small)
{
    speeds(2, 64, 200000, 0, 2, 0, 0);
}

/* A slow reader with a small buffer: too-long messages are skipped and
 * accounted apart from the lost ones. */
TEST(slow_reader_small_buffer)
{
    speeds(16, 512, 5000, 1, 1, 2, 200);
}

/* ------------------------------------------------------------------------ */
/* The producer killed                                                       */
/* ------------------------------------------------------------------------ */

/* Killed at a random moment while it sends without pause: the reader
 * drains what was published, in order with exact loss counts, then gets
 * MMF_EPIPE; a new producer continues. Repeated. */
TEST(producer_killed_readers_drain)
{
    rng_seed();
    for (int round = 0; round < 4; round++) {
        mmf_bcast *r = b_new("b", 64, 256, MMF_ROLE_CONSUMER);
        mmf_section *rs;
        struct bres *res = scratch("res", sizeof(struct bres), &rs);
        mmf_bcast *p;
        uint8_t buf[256];
        int64_t prev = -1;
        size_t len;
        uint64_t lost, t0;
        pid_t pid;
        int rc;

        res->pace = 0; /* unpaced */
        pid = test_spawn("b_producer", test_name("b"), test_name("res"), "0", NULL);
        /* Kill it only once it attached (before that, a reader waits for
         * a producer to come, rather than mourn one). */
        CHECK_OK(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 20000));
        {
            uint32_t pr;
            uint64_t s;
            CHECK(msg_check(buf, len, &pr, &s));
            prev = (int64_t)s;
        }
        t0 = test_now_ns();
        while (elapsed_ms(t0) < 20 + (long)(rnd() % 80)) {
            uint32_t pr;
            uint64_t s;
            rc = mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 10);
            if (rc == MMF_ETIMEDOUT)
                continue;
            CHECK_OK(rc);
            CHECK(msg_check(buf, len, &pr, &s));
            CHECK_EQ((int64_t)s, prev + 1 + (int64_t)lost);
            prev = (int64_t)s;
        }
        kill(pid, SIGKILL);
        CHECK_EQ(test_wait(pid), 128 + SIGKILL);
        t0 = test_now_ns();
        for (;;) {
            uint32_t pr;
            uint64_t s;
            rc = mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, INF);
            if (rc == MMF_EPIPE)
                break;
            CHECK_OK(rc);
            CHECK(msg_check(buf, len, &pr, &s));
            CHECK_EQ((int64_t)s, prev + 1 + (int64_t)lost);
            prev = (int64_t)s;
        }
        CHECK(elapsed_ms(t0) < 2000);
        CHECK(prev >= 0);
        CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_EPIPE);
        /* A new producer takes over: it continues the count, and the
         * reader gets its messages with nothing lost. */
        CHECK_OK(mmf_bcast_open(&p, test_name("b"), MMF_ROLE_PRODUCER, NULL));
        send_msg(p, 5, 0);
        expect_msg(r, 5, 0, 0, 1000);
        CHECK_OK(mmf_bcast_close(p));
        CHECK_OK(mmf_bcast_close(r));
        CHECK_OK(mmf_section_close(rs));
    }
}

/* Readers asleep in other processes when the producer is killed wake up
 * with MMF_EPIPE after draining. */
TEST(producer_killed_readers_asleep)
{
    mmf_bcast *hold = b_new("b", 16, 64, MMF_ROLE_CONSUMER);
    mmf_section *rs;
    struct bres *r = scratch("res", sizeof(struct bres), &rs);
    struct test_sync ready;
    pid_t rd[2], prod;
    uint64_t t0;

    r->pace = 2;
    r->slots = 16;
    test_sync_init(&ready);
    for (int i = 0; i < 2; i++) {
        rd[i] = test_spawn("b_reader", test_name("b"), test_name("res"), test_num(i),
                           test_num(ready.wr), "0", "0", NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    prod = test_spawn("b_producer", test_name("b"), test_name("res"), "0", NULL);
    /* Both readers have received from the producer: it has attached (a
     * producer killed before it ever attached is no peer that went). */
    t0 = test_now_ns();
    while (__atomic_load_n(&r->progress[0], __ATOMIC_ACQUIRE) == 0 ||
           __atomic_load_n(&r->progress[1], __ATOMIC_ACQUIRE) == 0) {
        CHECK(elapsed_ms(t0) < 30000);
        test_sleep_ms(1);
    }
    r->pace = 3; /* reader 2 does not exist: the producer stops, forever */
    test_sleep_ms(100);
    kill(prod, SIGKILL);
    CHECK_EQ(test_wait(prod), 128 + SIGKILL);
    t0 = test_now_ns();
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(rd[i]), 0);
    CHECK(elapsed_ms(t0) < 2000);
    CHECK(r->received[0] > 0);
    CHECK_EQ(r->received[0], r->received[1]);
    CHECK_EQ(r->lost[0] + r->lost[1], 0);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(rs));
    CHECK_OK(mmf_bcast_close(hold));
}

/* ------------------------------------------------------------------------ */
/* Hostile memory                                                            */
/* ------------------------------------------------------------------------ */

/* The data part of a broadcast channel, mapped read-write as a hostile
 * process can (testos.h): control block, then at CTL_BYTES the area. */
struct raw {
    uint8_t *base;   /* the data: control block at 0 */
    size_t size;
};

/* The control block's size: the channel granule, 4096 on Linux, 64 KiB on
 * Windows. */
#define CTL_BYTES (test_chan_area_off() - test_chan_ctl_off())

static void raw_map(struct raw *r, const char *name, size_t size)
{
    r->size = size;
    r->base = (uint8_t *)test_map_channel(name, test_chan_ctl_off() + size) + test_chan_ctl_off();
}

static void raw_unmap(struct raw *r)
{
    test_unmap_channel(r->base - test_chan_ctl_off(), test_chan_ctl_off() + r->size);
}

static uint64_t garbage(uint64_t near)
{
    switch (rnd() % 6) {
    case 0: return rnd();
    case 1: return 0;
    case 2: return near + rnd() % 8;
    case 3: return near - rnd() % 8;
    case 4: return UINT64_MAX - rnd() % 4;
    default: return near * 2 + rnd() % 3;
    }
}

/* Scribble on head, the wait words and slot headers. */
static void scribble(struct raw *r, uint32_t slots, size_t stride, int words)
{
    uint64_t *own = (uint64_t *)(r->base + MMF__CHAN_CTL_OWN);
    uint8_t *area = r->base + CTL_BYTES;
    uint64_t near = __atomic_load_n(&own[0], __ATOMIC_RELAXED);
    for (int i = 0; i < words; i++) {
        uint64_t *w;
        switch (rnd() % 3) {
        case 0:
            w = own + (rnd() % 2) * 8 + (rnd() % 2);
            break;
        default:
            w = (uint64_t *)(area + (rnd() % slots) * stride + (rnd() % 2) * 8);
            break;
        }
        __atomic_store_n(w, garbage(near), __ATOMIC_RELAXED);
    }
}

/* Returns how many calls found the channel corrupt. */
static int hostile_ops(mmf_bcast *p, mmf_bcast *r, int rounds)
{
    int corrupt = 0;
    const size_t slot = mmf_bcast_slot_size(r);
    uint8_t buf[64] = {0};
    for (int i = 0; i < rounds; i++) {
        uint64_t t0 = test_now_ns();
        size_t len = 0;
        uint64_t lost;
        int rc;
        if (rnd() % 2) {
            rc = mmf_bcast_send(p, buf, 1 + rnd() % slot);
            CHECK_OK(rc);
        } else {
            rc = mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, rnd() % 4 == 0 ? 1 : 0);
            CHECK(rc == 0 || rc == MMF_EAGAIN || rc == MMF_ETIMEDOUT || rc == MMF_ECORRUPT ||
                  rc == MMF_EOVERFLOW);
            if (rc == 0 || rc == MMF_EOVERFLOW)
                CHECK(len >= 1 && len <= slot);
            corrupt += rc == MMF_ECORRUPT;
        }
        CHECK(elapsed_ms(t0) < 3000);
    }
    return corrupt;
}

TEST(hostile_garbage)
{
    const uint32_t slots = 8, size = 64;
    const size_t stride = 16 + size;
    mmf_bcast *p = b_new("b", slots, size, MMF_ROLE_PRODUCER);
    mmf_bcast *r = b_new("b", slots, size, MMF_ROLE_CONSUMER);
    mmf_bcast *hold = b_new("b", slots, size, MMF_ROLE_CONSUMER); /* keeps the name */
    struct raw raw;
    int corrupt_seen = 0;

    rng_seed();
    raw_map(&raw, test_name("b"), CTL_BYTES + 4096);
    for (int round = 0; round < 300; round++) {
        uint8_t buf[64];
        size_t len;
        uint64_t lost;
        scribble(&raw, slots, stride, 1 + (int)(rnd() % 4));
        corrupt_seen += hostile_ops(p, r, 20);
        if (mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0) == MMF_ECORRUPT)
            corrupt_seen++;
        /* A valid empty channel again, and fresh endpoints (a reader's
         * position is its own): it works. */
        CHECK_OK(mmf_bcast_close(r));
        CHECK_OK(mmf_bcast_close(p));
        memset(raw.base + MMF__CHAN_CTL_OWN, 0, 128);
        memset(raw.base + CTL_BYTES, 0, slots * stride);
        p = b_new("b", slots, size, MMF_ROLE_PRODUCER);
        r = b_new("b", slots, size, MMF_ROLE_CONSUMER);
        send_msg(p, 0, (uint64_t)round);
        expect_msg(r, 0, (uint64_t)round, 0, 0);
    }
    CHECK(corrupt_seen > 0);
    raw_unmap(&raw);
    CHECK_OK(mmf_bcast_close(p));
    CHECK_OK(mmf_bcast_close(r));
    CHECK_OK(mmf_bcast_close(hold));
}

/* Specific lies: the count going back past a reader, an impossible
 * sequence, a length beyond the slot. */
TEST(hostile_specific)
{
    const uint32_t slots = 4, size = 32;
    const size_t stride = 16 + size;
    mmf_bcast *p = b_new("b", slots, size, MMF_ROLE_PRODUCER);
    mmf_bcast *r = b_new("b", slots, size, MMF_ROLE_CONSUMER);
    struct raw raw;
    uint64_t *head, *seq1;
    uint32_t *len1;
    uint8_t buf[64];
    size_t len;
    uint64_t lost;

    raw_map(&raw, test_name("b"), CTL_BYTES + 4096);
    head = (uint64_t *)(raw.base + MMF__CHAN_CTL_OWN);
    seq1 = (uint64_t *)(raw.base + CTL_BYTES + stride);
    len1 = (uint32_t *)(seq1 + 1);
    CHECK_OK(mmf_bcast_send(p, "a", 1));
    CHECK_OK(mmf_bcast_send(p, "b", 1));
    CHECK_OK(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0));
    /* Message 1: seq 4 (2*1+2), length 1. */
    CHECK_EQ(*seq1, 4);
    *len1 = size + 1;
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_ECORRUPT);
    /* That message was skipped; the next, 2, with an old sequence. */
    CHECK_OK(mmf_bcast_send(p, "c", 1));
    *(uint64_t *)(raw.base + CTL_BYTES + 2 * stride) = 2;
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_ECORRUPT);
    /* A sequence of another slot's message. */
    CHECK_OK(mmf_bcast_send(p, "d", 1));
    *(uint64_t *)(raw.base + CTL_BYTES + 3 * stride) = 2 * 4 + 2;
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_ECORRUPT);
    /* The count going back. */
    *head = 1;
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 10), MMF_ECORRUPT);
    *head = 4;
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_EAGAIN);
    CHECK_OK(mmf_bcast_send(p, "e", 1));
    CHECK_OK(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0));
    CHECK(len == 1 && buf[0] == 'e' && lost == 0);
    /* A producer that died writing message 5 left its slot odd and head
     * at 5: nothing is handed out; a new producer rewrites message 5. */
    CHECK_OK(mmf_bcast_close(p));
    *(uint64_t *)(raw.base + CTL_BYTES + 1 * stride) = 2 * 5 + 1;
    test_sleep_ms(5); /* a peer seen alive is not asked again for 1 ms */
    CHECK_RC(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0), MMF_EPIPE);
    p = b_new("b", slots, size, MMF_ROLE_PRODUCER);
    CHECK_OK(mmf_bcast_send(p, "f", 1));
    CHECK_OK(mmf_bcast_recv(r, buf, sizeof buf, &len, &lost, 0));
    CHECK(len == 1 && buf[0] == 'f' && lost == 0);
    CHECK_EQ(*head, 6);
    raw_unmap(&raw);
    CHECK_OK(mmf_bcast_close(p));
    CHECK_OK(mmf_bcast_close(r));
}

/* argv: name, data size, slots, stride, milliseconds. */
HELPER(b_scribbler)
{
    struct raw r;
    uint64_t t0 = test_now_ns();
    long ms = atol(argv[4]);
    (void)argc;
    test_die_with_parent();
    rng_state = (uint64_t)getpid();
    raw_map(&r, argv[0], (size_t)atol(argv[1]));
    while (elapsed_ms(t0) < ms)
        scribble(&r, (uint32_t)atoi(argv[2]), (size_t)atol(argv[3]), 1);
    raw_unmap(&r);
    return 0;
}

TEST(hostile_concurrent)
{
    const uint32_t slots = 16, size = 32;
    mmf_bcast *p = b_new("b", slots, size, MMF_ROLE_PRODUCER);
    mmf_bcast *r = b_new("b", slots, size, MMF_ROLE_CONSUMER);
    uint64_t t0 = test_now_ns();
    pid_t pid;

    rng_seed();
    pid = test_spawn("b_scribbler", test_name("b"), test_num(CTL_BYTES + 4096),
                     test_num(slots), test_num(16 + size), "1500", NULL);
    while (elapsed_ms(t0) < 1500)
        hostile_ops(p, r, 50);
    CHECK_EQ(test_wait(pid), 0);
    CHECK_OK(mmf_bcast_close(p));
    CHECK_OK(mmf_bcast_close(r));
}

/* ------------------------------------------------------------------------ */
/* Threads in one process (ThreadSanitizer runs these)                       */
/* ------------------------------------------------------------------------ */

#define TN 50000

struct tr {
    int slow;
    uint64_t received, lost;
    uint64_t progress;
};

static struct tr readers[3];
static char tname[256]; /* test_name() is not for threads */

static void *t_reader(void *arg)
{
    struct tr *x = arg;
    mmf_bcast *b;
    int64_t prev = -1;
    uint8_t buf[256];
    CHECK_OK(mmf_bcast_open(&b, tname, MMF_ROLE_CONSUMER, NULL));
    __atomic_store_n(&x->progress, 1, __ATOMIC_RELEASE); /* attached */
    for (uint64_t k = 1;; k++) {
        size_t len;
        uint64_t lost, s;
        uint32_t p;
        int rc = mmf_bcast_recv(b, buf, sizeof buf, &len, &lost, INF);
        if (rc == MMF_EPIPE)
            break;
        CHECK_OK(rc);
        CHECK(msg_check(buf, len, &p, &s));
        CHECK_EQ((int64_t)s, prev + 1 + (int64_t)lost);
        prev = (int64_t)s;
        x->received++;
        x->lost += lost;
        __atomic_store_n(&x->progress, s + 2, __ATOMIC_RELEASE);
        if (x->slow && k % 64 == 0)
            test_sleep_ms(1);
    }
    CHECK_OK(mmf_bcast_close(b));
    return NULL;
}

TEST(threads_readers)
{
    mmf_bcast *p = b_new("b", 64, 200, MMF_ROLE_PRODUCER);
    pthread_t t[3];
    uint8_t buf[200];

    snprintf(tname, sizeof tname, "%s", test_name("b"));

    for (int i = 0; i < 3; i++) {
        readers[i].slow = i == 2;
        CHECK(pthread_create(&t[i], NULL, t_reader, &readers[i]) == 0);
    }
    for (int i = 0; i < 3; i++)
        while (__atomic_load_n(&readers[i].progress, __ATOMIC_ACQUIRE) == 0)
            sched_yield();
    for (uint64_t s = 0; s < TN; s++) {
        size_t len = msg_len(0, s, 200);
        /* Stay within half a lap of the two fast readers. */
        for (int i = 0; i < 2; i++)
            while (s + 1 - __atomic_load_n(&readers[i].progress, __ATOMIC_ACQUIRE) >= 32)
                sched_yield();
        msg_fill(buf, len, 0, s);
        CHECK_OK(mmf_bcast_send(p, buf, len));
    }
    CHECK_OK(mmf_bcast_close(p));
    for (int i = 0; i < 3; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(readers[i].received, TN);
        CHECK_EQ(readers[i].lost, 0);
    }
    CHECK_EQ(readers[2].received + readers[2].lost, TN);
    CHECK(readers[2].lost > 0);
}

/* ------------------------------------------------------------------------ */
/* Peer death as an event                                                    */
/* ------------------------------------------------------------------------ */

/* argv: name ready-fd: attach as the producer, say so, stay alive. */
HELPER(b_hold)
{
    mmf_bcast *b;
    CHECK(argc == 2);
    test_die_with_parent();
    CHECK_OK(mmf_bcast_open(&b, argv[0], MMF_ROLE_PRODUCER, NULL));
    test_sync_signal(atoi(argv[1]));
    for (;;)
        pause();
    return 1;
}

struct b_killer {
    pid_t pid;
    uint64_t at_ns;
};

static void *b_kill_later(void *p)
{
    struct b_killer *k = p;
    test_sleep_ms(30);
    __atomic_store_n(&k->at_ns, test_now_ns(), __ATOMIC_RELEASE);
    kill(k->pid, SIGKILL);
    return NULL;
}

struct b_sleeper {
    mmf_bcast *b;
    int rc;
    uint64_t back_ns;
};

static void *b_sleep(void *p)
{
    struct b_sleeper *s = p;
    char buf[16];
    size_t len;
    uint64_t lost;
    s->rc = mmf_bcast_recv(s->b, buf, sizeof buf, &len, &lost, INF);
    s->back_ns = test_now_ns();
    return NULL;
}

/*
 * Readers (they hold no claim, and nobody waits for them) asleep in an
 * infinite wait all hear of the producer's SIGKILL: the kernel wakes one
 * sleeper of the producer's liveness word, which passes the wake-up on.
 */
TEST(producer_killed_readers_woken)
{
    enum { READERS = 3 };
    const char *n = test_name("b");
    mmf_bcast *hold = b_new("b", 16, 16, MMF_ROLE_CONSUMER);
    struct b_sleeper s[READERS];
    pthread_t t[READERS], kt;
    struct b_killer k;
    struct test_sync sy;
    char fd[16];

    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    k.pid = test_spawn("b_hold", n, fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
    for (int i = 0; i < READERS; i++) {
        CHECK_OK(mmf_bcast_open(&s[i].b, n, MMF_ROLE_CONSUMER, NULL));
        CHECK(pthread_create(&t[i], NULL, b_sleep, &s[i]) == 0);
    }
    CHECK(pthread_create(&kt, NULL, b_kill_later, &k) == 0);
    for (int i = 0; i < READERS; i++) {
        uint64_t at;
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_RC(s[i].rc, MMF_EPIPE);
        at = __atomic_load_n(&k.at_ns, __ATOMIC_ACQUIRE);
        printf("reader %d: SIGKILL to MMF_EPIPE in %.3f ms\n", i,
               (double)(s[i].back_ns - at) / 1e6);
        CHECK(s[i].back_ns - at < 1000000000u);
        CHECK_OK(mmf_bcast_close(s[i].b));
    }
    CHECK(pthread_join(kt, NULL) == 0);
    CHECK_EQ(test_wait(k.pid), 128 + SIGKILL);
    CHECK_OK(mmf_bcast_close(hold));
}
