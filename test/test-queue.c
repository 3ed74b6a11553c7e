/* SPDX-License-Identifier: MIT */
/*
 * test-queue.c - the MPMC queue: arguments and errors of every call; try,
 * timed and blocking forms; many producers and consumers in separate
 * processes delivering checksummed, numbered messages exactly once at
 * every size class; producers and consumers killed with SIGKILL halfway
 * (between reserve and commit, holding a peeked message, at random
 * moments); a hostile process writing garbage into the queue; and an
 * in-process threaded case for ThreadSanitizer.
 */
#include "test.h"

#include <fcntl.h>
#ifndef _WIN32
#include <poll.h>
#endif
#include <pthread.h>
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/syscall.h>
#endif

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

static mmf_queue *q_new(const char *tag, uint32_t slots, uint32_t size, int role)
{
    mmf_queue *q;
    int rc = mmf_queue_create(&q, test_name(tag), slots, size, role,
                              MMF_OPEN_OR_CREATE, NULL);
    CHECK(rc == 0 || rc == MMF_EXISTED);
    return q;
}

static void send_msg(mmf_queue *q, uint32_t prod, uint64_t seq, long long timeout)
{
    uint8_t buf[256];
    size_t len = msg_len(prod, seq, mmf_queue_slot_size(q));
    CHECK(len <= sizeof buf);
    msg_fill(buf, len, prod, seq);
    CHECK_OK(mmf_queue_send(q, buf, len, timeout));
}

/* Receive one message and check it is (prod, seq). */
static void expect_msg(mmf_queue *q, uint32_t prod, uint64_t seq, long long timeout)
{
    uint8_t buf[256];
    size_t len = 0;
    uint32_t p;
    uint64_t s;
    CHECK_OK(mmf_queue_recv(q, buf, sizeof buf, &len, timeout));
    CHECK(msg_check(buf, len, &p, &s));
    CHECK_EQ(p, prod);
    CHECK_EQ(s, seq);
}

/* A shared scratch section for results, mapped. */
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

static void pause_forever(void)
{
    for (;;)
        test_sleep_ms(1000);
}

/* ------------------------------------------------------------------------ */
/* Arguments, names, errors                                                  */
/* ------------------------------------------------------------------------ */

TEST(create_arguments)
{
    mmf_queue *q, *q2;
    mmf_channel_opts o = {0, 0, NULL};
    const char *n = test_name("q");

    CHECK_RC(mmf_queue_open(&q, n, MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);
    /* Geometry. */
    CHECK_RC(mmf_queue_create(&q, n, 0, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 1, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 3, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 1u << 25, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 4, 0, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 4, (1u << 24) + 1, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 1u << 24, 1u << 24, MMF_ROLE_PRODUCER, MMF_CREATE_NEW,
                              NULL), MMF_EINVAL); /* 2^48 bytes */
    /* Role, disposition, options. */
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, 3, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, MMF_ROLE_PRODUCER, 0, NULL), MMF_EINVAL);
    o.flags = 0x100;
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o), MMF_EINVAL);
    o.flags = 0;
    o.mode = 01000;
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o), MMF_EINVAL);
    o.mode = 0;
    o.path = "/tmp/x";
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o), MMF_EINVAL);
    CHECK_RC(mmf_queue_open(&q, n, MMF_ROLE_PRODUCER, &o), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(&q, "Local\\a\\b", 4, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL),
             MMF_EBADNAME);
    CHECK_RC(mmf_queue_open(&q, NULL, MMF_ROLE_PRODUCER, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_open(&q, "", MMF_ROLE_PRODUCER, NULL), MMF_EINVAL);
    CHECK_EQ(test_store_count(n), 0);

    /* Create, then the existing geometry wins. */
    CHECK_OK(mmf_queue_create(&q, n, 16, 100, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_EQ(mmf_queue_slot_size(q), 100);
    CHECK_RC(mmf_queue_create(&q2, n, 4, 8, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK_RC(mmf_queue_create(&q2, n, 4, 8, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL),
             MMF_EXISTED);
    CHECK_EQ(mmf_queue_slot_size(q2), 100);
    CHECK_OK(mmf_queue_close(q2));
    CHECK_OK(mmf_queue_open(&q2, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_EQ(mmf_queue_slot_size(q2), 100);
    CHECK_OK(mmf_queue_close(q2));
    CHECK_OK(mmf_queue_close(q));
    /* The last endpoint removed the name. */
    CHECK_RC(mmf_queue_open(&q, n, MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);

    /* Largest geometry accepted: 2^24 one-byte slots (sparse memory). */
    CHECK_OK(mmf_queue_create(&q, n, 1u << 24, 1, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_queue_close(q));
}

TEST(type_mismatch)
{
    mmf_queue *q;
    mmf_bcast *b;
    mmf_section *s;
    const char *n = test_name("t");

    CHECK_OK(mmf_section_create(&s, n, 4096, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL), MMF_ETYPE);
    CHECK_RC(mmf_queue_open(&q, n, MMF_ROLE_PRODUCER, NULL), MMF_ETYPE);
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_bcast_create(&b, n, 4, 8, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_queue_create(&q, n, 4, 8, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL), MMF_ETYPE);
    CHECK_RC(mmf_queue_open(&q, n, MMF_ROLE_CONSUMER, NULL), MMF_ETYPE);
    CHECK_OK(mmf_bcast_close(b));
}

TEST(call_checks)
{
    mmf_queue *p, *c;
    uint8_t buf[64] = {0};
    void *ptr;
    mmf_msg m;
    size_t len;

    p = q_new("q", 4, 32, MMF_ROLE_PRODUCER);
    c = q_new("q", 4, 32, MMF_ROLE_CONSUMER);
    /* Calls of the other role. */
    CHECK_RC(mmf_queue_reserve(c, &ptr, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_commit(c, 1), MMF_EINVAL);
    CHECK_RC(mmf_queue_send(c, buf, 1, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_peek(p, &m, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_release(p), MMF_EINVAL);
    CHECK_RC(mmf_queue_recv(p, buf, sizeof buf, &len, 0), MMF_EINVAL);
    /* Lengths. */
    CHECK_RC(mmf_queue_send(p, buf, 0, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_send(p, buf, 33, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_commit(p, 1), MMF_EINVAL); /* nothing reserved */
    /* Timeouts. */
    CHECK_RC(mmf_queue_send(p, buf, 1, -2), MMF_EINVAL);
    CHECK_RC(mmf_queue_send(p, buf, 1, MMF_TIMEOUT_MAX + 1), MMF_EINVAL);
    CHECK_RC(mmf_queue_reserve(p, &ptr, -5), MMF_EINVAL);
    CHECK_RC(mmf_queue_peek(c, &m, -2), MMF_EINVAL);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, MMF_TIMEOUT_MAX + 1), MMF_EINVAL);

    /* One reservation at a time. */
    CHECK_OK(mmf_queue_reserve(p, &ptr, 0));
    CHECK_EQ((uintptr_t)ptr % 8, 0);
    CHECK_RC(mmf_queue_reserve(p, &ptr, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_send(p, buf, 1, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_commit(p, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_commit(p, 33), MMF_EINVAL);
    memset(ptr, 'a', 32);
    CHECK_OK(mmf_queue_commit(p, 32));
    CHECK_RC(mmf_queue_commit(p, 32), MMF_EINVAL);

    /* One peeked message at a time. */
    CHECK_OK(mmf_queue_send(p, "bc", 2, 0));
    CHECK_RC(mmf_queue_release(c), MMF_EINVAL);
    CHECK_OK(mmf_queue_peek(c, &m, 0));
    CHECK_EQ(m.len, 32);
    CHECK_EQ((uintptr_t)m.data % 8, 0);
    CHECK(((char *)m.data)[0] == 'a' && ((char *)m.data)[31] == 'a');
    CHECK_RC(mmf_queue_peek(c, &m, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EINVAL);
    CHECK_OK(mmf_queue_release(c));
    CHECK_RC(mmf_queue_release(c), MMF_EINVAL);

    /* A message longer than the buffer stays for one with room. */
    CHECK_RC(mmf_queue_recv(c, buf, 1, &len, 0), MMF_EOVERFLOW);
    CHECK_EQ(len, 2);
    CHECK_RC(mmf_queue_recv(c, NULL, 0, &len, 0), MMF_EOVERFLOW);
    len = 0;
    CHECK_OK(mmf_queue_recv(c, buf, 2, &len, 0));
    CHECK_EQ(len, 2);
    CHECK(memcmp(buf, "bc", 2) == 0);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);

    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* Up to 64 endpoints of a role; the 65th is refused. */
TEST(role_limit)
{
    mmf_queue *p[65], *c;
    int rc;

    for (int i = 0; i < 64; i++)
        p[i] = q_new("q", 4, 8, MMF_ROLE_PRODUCER);
    rc = mmf_queue_create(&p[64], test_name("q"), 4, 8, MMF_ROLE_PRODUCER,
                          MMF_OPEN_OR_CREATE, NULL);
    CHECK_RC(rc, MMF_EBUSY);
    c = q_new("q", 4, 8, MMF_ROLE_CONSUMER); /* consumers count apart */
    CHECK_OK(mmf_queue_close(p[10]));
    p[10] = q_new("q", 4, 8, MMF_ROLE_PRODUCER);
    for (int i = 0; i < 64; i++)
        CHECK_OK(mmf_queue_close(p[i]));
    CHECK_OK(mmf_queue_close(c));
}

/* Closing with a reservation drops it (consumers skip its slot); closing
 * with a peeked message gives its slot back. */
TEST(close_while_holding)
{
    mmf_queue *p1, *p2, *c, *c2;
    mmf_msg m;
    void *ptr;

    p1 = q_new("q", 4, 64, MMF_ROLE_PRODUCER);
    p2 = q_new("q", 4, 64, MMF_ROLE_PRODUCER);
    c = q_new("q", 4, 64, MMF_ROLE_CONSUMER);
    CHECK_OK(mmf_queue_reserve(p1, &ptr, 0));
    memset(ptr, 0xee, 64);
    send_msg(p2, 2, 0, 0);
    CHECK_RC(mmf_queue_peek(c, &m, 0), MMF_EAGAIN); /* the reserved one is first */
    CHECK_OK(mmf_queue_close(p1));
    expect_msg(c, 2, 0, 0);
    CHECK_RC(mmf_queue_peek(c, &m, 0), MMF_EAGAIN);

    /* Fill, peek one and close: its slot comes back. */
    for (int i = 1; i <= 4; i++)
        send_msg(p2, 2, (uint64_t)i, 0);
    CHECK_RC(mmf_queue_send(p2, "x", 1, 0), MMF_EAGAIN);
    c2 = q_new("q", 4, 64, MMF_ROLE_CONSUMER);
    CHECK_OK(mmf_queue_peek(c2, &m, 0));
    CHECK_OK(mmf_queue_close(c2));
    send_msg(p2, 2, 5, 0);
    expect_msg(c, 2, 2, 0);
    expect_msg(c, 2, 3, 0);
    expect_msg(c, 2, 4, 0);
    expect_msg(c, 2, 5, 0);
    CHECK_OK(mmf_queue_close(p2));
    CHECK_OK(mmf_queue_close(c));
}

/* Positions run through many laps of a small queue; FIFO with one
 * producer and one consumer. */
TEST(laps_in_order)
{
    mmf_queue *p = q_new("q", 2, 8, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", 2, 8, MMF_ROLE_CONSUMER);
    for (uint64_t i = 0; i < 10000; i++) {
        send_msg(p, 1, i, 0);
        if (i % 2 == 1) {
            expect_msg(c, 1, i - 1, 0);
            expect_msg(c, 1, i, 0);
        }
    }
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* ------------------------------------------------------------------------ */
/* Try, timed, blocking                                                      */
/* ------------------------------------------------------------------------ */

struct waiter {
    mmf_queue *q;
    int rc;
    size_t len;
    uint8_t buf[64];
};

static void *recv_thread(void *arg)
{
    struct waiter *w = arg;
    w->rc = mmf_queue_recv(w->q, w->buf, sizeof w->buf, &w->len, INF);
    return NULL;
}

static void *send_thread(void *arg)
{
    struct waiter *w = arg;
    w->rc = mmf_queue_send(w->q, "late", 4, INF);
    return NULL;
}

HELPER(q_recv_one)
{
    (void)argc;
    /* argv: queue, ready fd, timeout. Prints nothing; exit 0 if a
     * message "ping" came. */
    mmf_queue *q;
    uint8_t buf[64];
    size_t len;
    int rc;
    test_die_with_parent();
    CHECK_OK(mmf_queue_open(&q, argv[0], MMF_ROLE_CONSUMER, NULL));
    test_sync_signal(atoi(argv[1]));
    rc = mmf_queue_recv(q, buf, sizeof buf, &len, atoll(argv[2]));
    if (rc != 0) {
        fprintf(stderr, "recv: %s\n", mmf_err_name(rc));
        return 2;
    }
    return len == 4 && memcmp(buf, "ping", 4) == 0 ? 0 : 4;
}

TEST(try_timed_blocking)
{
    mmf_queue *p = q_new("q", 2, 64, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", 2, 64, MMF_ROLE_CONSUMER);
    struct waiter w = {0};
    struct test_sync s;
    pthread_t t;
    uint8_t buf[64];
    size_t len;
    mmf_msg m;
    void *ptr;
    uint64_t t0;
    pid_t pid;

    /* Empty. */
    t0 = test_now_ns();
    CHECK_RC(mmf_queue_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    CHECK(elapsed_ms(t0) < 50);
    t0 = test_now_ns();
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 60), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 60 && elapsed_ms(t0) < 2000);
    t0 = test_now_ns();
    CHECK_RC(mmf_queue_peek(c, &m, 30), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 30);

    /* Full. */
    CHECK_OK(mmf_queue_send(p, "a", 1, 0));
    CHECK_OK(mmf_queue_send(p, "b", 1, 0));
    CHECK_RC(mmf_queue_send(p, "c", 1, 0), MMF_EAGAIN);
    CHECK_RC(mmf_queue_reserve(p, &ptr, 0), MMF_EAGAIN);
    t0 = test_now_ns();
    CHECK_RC(mmf_queue_send(p, "c", 1, 60), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 60 && elapsed_ms(t0) < 2000);
    CHECK_RC(mmf_queue_reserve(p, &ptr, 20), MMF_ETIMEDOUT);

    /* A blocked producer is woken by a consumer's release. */
    w.q = p;
    CHECK(pthread_create(&t, NULL, send_thread, &w) == 0);
    test_sleep_ms(50);
    CHECK_OK(mmf_queue_peek(c, &m, 0));
    CHECK(m.len == 1 && ((char *)m.data)[0] == 'a');
    CHECK_OK(mmf_queue_release(c));
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(w.rc);
    CHECK_OK(mmf_queue_recv(c, buf, sizeof buf, &len, 0));
    CHECK(len == 1 && buf[0] == 'b');
    CHECK_OK(mmf_queue_recv(c, buf, sizeof buf, &len, 0));
    CHECK(len == 4 && memcmp(buf, "late", 4) == 0);

    /* A blocked consumer is woken by a producer's commit. */
    w.q = c;
    CHECK(pthread_create(&t, NULL, recv_thread, &w) == 0);
    test_sleep_ms(50);
    CHECK_OK(mmf_queue_reserve(p, &ptr, 0));
    memcpy(ptr, "zero", 4);
    CHECK_OK(mmf_queue_commit(p, 4));
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(w.rc);
    CHECK(w.len == 4 && memcmp(w.buf, "zero", 4) == 0);

    /* ... and one in another process, asleep in the kernel by then. */
    test_sync_init(&s);
    pid = test_spawn("q_recv_one", test_name("q"), test_num(s.wr), "-1", NULL);
    CHECK(test_sync_wait(&s, 5000));
    test_sleep_ms(100);
    CHECK_OK(mmf_queue_send(p, "ping", 4, 0));
    CHECK_EQ(test_wait(pid), 0);
    /* ... and one with a timeout. */
    pid = test_spawn("q_recv_one", test_name("q"), test_num(s.wr), "10000", NULL);
    CHECK(test_sync_wait(&s, 5000));
    test_sleep_ms(50);
    CHECK_OK(mmf_queue_send(p, "ping", 4, 0));
    CHECK_EQ(test_wait(pid), 0);

    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* A consumer waiting before any producer ever attached just waits (no
 * MMF_EPIPE); a producer waiting for room before any consumer, too. */
TEST(no_peer_yet)
{
    mmf_queue *c = q_new("c", 4, 8, MMF_ROLE_CONSUMER);
    mmf_queue *p = q_new("p", 2, 8, MMF_ROLE_PRODUCER);
    uint8_t buf[8];
    size_t len;

    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 20), MMF_ETIMEDOUT);
    CHECK_OK(mmf_queue_send(p, "12345678", 8, 0));
    CHECK_OK(mmf_queue_send(p, "12345678", 8, 0));
    CHECK_RC(mmf_queue_send(p, "12345678", 8, 0), MMF_EAGAIN);
    CHECK_RC(mmf_queue_send(p, "12345678", 8, 20), MMF_ETIMEDOUT);
    CHECK_OK(mmf_queue_close(c));
    CHECK_OK(mmf_queue_close(p));
}

/* Waiting sleeps in the kernel after a short spin; MMF_CHANNEL_BUSY_POLL
 * spins for the whole wait. */
TEST(busy_poll_and_sleep)
{
    mmf_channel_opts busy = {MMF_CHANNEL_BUSY_POLL, 0, NULL};
    mmf_queue *p = q_new("q", 4, 8, MMF_ROLE_PRODUCER);
    mmf_queue *c, *cb;
    uint8_t buf[8];
    size_t len;
    long long cpu_sleep, cpu_busy;
    uint64_t t0;

    CHECK_RC(mmf_queue_create(&cb, test_name("q"), 4, 8, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE,
                              &busy), MMF_EXISTED);
    c = q_new("q", 4, 8, MMF_ROLE_CONSUMER);

    cpu_sleep = test_cpu_us();
    t0 = test_now_ns();
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 300), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 300);
    cpu_sleep = test_cpu_us() - cpu_sleep;
    CHECK(cpu_sleep < 100000); /* mostly asleep */

    cpu_busy = test_cpu_us();
    t0 = test_now_ns();
    CHECK_RC(mmf_queue_recv(cb, buf, sizeof buf, &len, 300), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 300);
    cpu_busy = test_cpu_us() - cpu_busy;
    /* Spinning: even with a small share of a busy machine, far more
     * than the sleeper. */
    CHECK(cpu_busy > 4 * cpu_sleep + 10000);

    CHECK_OK(mmf_queue_send(p, "12345678", 8, 0));
    CHECK_OK(mmf_queue_recv(cb, buf, sizeof buf, &len, 100));
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
    CHECK_OK(mmf_queue_close(cb));
}

/* ------------------------------------------------------------------------ */
/* MPMC between processes, exactly once                                      */
/* ------------------------------------------------------------------------ */

/*
 * The result section: for each consumer c and producer p a bitmap of the
 * sequence numbers c received from p, then each consumer's count.
 */
struct results {
    uint32_t consumers, producers;
    uint64_t n;        /* messages per producer (bitmap size) */
    uint64_t words;    /* 64-bit words per bitmap */
};

static size_t results_size(uint32_t consumers, uint32_t producers, uint64_t n)
{
    uint64_t words = (n + 63) / 64;
    return sizeof(struct results) + (size_t)(consumers * producers * words + consumers) * 8;
}

static uint64_t *bitmap(struct results *r, uint32_t c, uint32_t p)
{
    return (uint64_t *)(r + 1) + ((size_t)c * r->producers + p) * r->words;
}

static uint64_t *count_of(struct results *r, uint32_t c)
{
    return (uint64_t *)(r + 1) + (size_t)r->consumers * r->producers * r->words + c;
}

/* A producer: argv queue, id, n, mode (0 zero-copy, 1 copying), stall
 * (spin up to that many rounds between reserve and commit, so that a kill
 * may land there). n 0: forever. */
HELPER(q_producer)
{
    mmf_queue *q;
    uint32_t id = (uint32_t)atoi(argv[1]);
    uint64_t n = strtoull(argv[2], NULL, 10);
    int mode = atoi(argv[3]);
    uint64_t stall = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
    size_t slot;
    uint8_t *buf;
    volatile uint64_t sink = 0;

    test_die_with_parent();
    CHECK_OK(mmf_queue_open(&q, argv[0], MMF_ROLE_PRODUCER, NULL));
    slot = mmf_queue_slot_size(q);
    buf = malloc(slot);
    CHECK(buf != NULL);
    for (uint64_t seq = 0; n == 0 || seq < n; seq++) {
        size_t len = msg_len(id, seq, slot);
        if (mode == 0) {
            void *p;
            CHECK_OK(mmf_queue_reserve(q, &p, INF));
            msg_fill(p, len, id, seq);
            for (uint64_t i = 0; i < stall && i < (seq * 7919) % (stall + 1); i++)
                sink += i;
            CHECK_OK(mmf_queue_commit(q, len));
        } else if (mode == 2) {
            /* Batches of 1 to 8, each message filled in place. */
            mmf_msg m[8];
            size_t want = 1 + (size_t)(seq * 2654435761u % 8);
            int k;
            if (n != 0 && want > n - seq)
                want = (size_t)(n - seq);
            for (size_t i = 0; i < want; i++)
                m[i].len = msg_len(id, seq + i, slot);
            k = mmf_queue_reserve_batch(q, m, want, INF);
            CHECK(k >= 1 && (size_t)k <= want);
            for (int i = 0; i < k; i++)
                msg_fill(m[i].data, m[i].len, id, seq + (uint64_t)i);
            for (uint64_t i = 0; i < stall && i < (seq * 7919) % (stall + 1); i++)
                sink += i;
            CHECK_OK(mmf_queue_commit_batch(q, (size_t)k));
            seq += (uint64_t)k - 1;
        } else {
            msg_fill(buf, len, id, seq);
            CHECK_OK(mmf_queue_send(q, buf, len, INF));
        }
    }
    free(buf);
    (void)sink;
    CHECK_OK(mmf_queue_close(q));
    return 0;
}

/* Record message (p, s) received by consumer ci; checks order per
 * producer and duplicates within this consumer. */
static void record(struct results *r, uint32_t ci, int64_t *last, uint32_t p, uint64_t s)
{
    uint64_t *bits;
    CHECK(p < r->producers);
    CHECK(s < r->n);
    CHECK((int64_t)s > last[p]); /* one producer's messages stay in order */
    last[p] = (int64_t)s;
    bits = bitmap(r, ci, p);
    CHECK((bits[s / 64] & (1ull << (s % 64))) == 0);
    bits[s / 64] |= 1ull << (s % 64);
    (*count_of(r, ci))++;
}

/* A consumer: argv queue, results section, index, mode (0 peek, 1 recv),
 * ready fd, slow (sleep 1 ms every that many messages; 0 never).
 * Receives until MMF_EPIPE. */
HELPER(q_consumer)
{
    mmf_queue *q;
    mmf_section *s;
    struct results *r;
    uint32_t ci = (uint32_t)atoi(argv[2]);
    int mode = atoi(argv[3]);
    long slow = argc > 5 ? atol(argv[5]) : 0;
    int64_t last[64];
    uint8_t *buf;
    size_t slot;

    test_die_with_parent();
    r = scratch_open(argv[1], &s);
    CHECK(r->producers <= 64);
    for (int i = 0; i < 64; i++)
        last[i] = -1;
    CHECK_OK(mmf_queue_open(&q, argv[0], MMF_ROLE_CONSUMER, NULL));
    slot = mmf_queue_slot_size(q);
    buf = malloc(slot);
    CHECK(buf != NULL);
    test_sync_signal(atoi(argv[4]));
    for (uint64_t k = 1;; k++) {
        uint32_t p;
        uint64_t seq;
        int rc;
        if (mode == 0) {
            mmf_msg m;
            rc = mmf_queue_peek(q, &m, INF);
            if (rc == MMF_EPIPE)
                break;
            CHECK_OK(rc);
            CHECK(m.len <= slot);
            CHECK(msg_check(m.data, m.len, &p, &seq));
            CHECK_OK(mmf_queue_release(q));
        } else if (mode == 2) {
            /* Batches of up to 8, released in two parts. */
            mmf_msg m[8];
            int n = mmf_queue_peek_batch(q, m, 1 + k % 8, INF);
            if (n == MMF_EPIPE)
                break;
            CHECK(n >= 1 && n <= 8);
            for (int i = 0; i < n; i++) {
                CHECK(m[i].len <= slot);
                CHECK(msg_check(m[i].data, m[i].len, &p, &seq));
                if (i + 1 < n)
                    record(r, ci, last, p, seq);
            }
            CHECK_OK(mmf_queue_release_batch(q, (size_t)n / 2));
            CHECK_OK(mmf_queue_release_batch(q, (size_t)n - (size_t)n / 2));
        } else {
            size_t len;
            rc = mmf_queue_recv(q, buf, slot, &len, INF);
            if (rc == MMF_EPIPE)
                break;
            CHECK_OK(rc);
            CHECK(msg_check(buf, len, &p, &seq));
        }
        record(r, ci, last, p, seq);
        if (slow > 0 && k % (uint64_t)slow == 0)
            test_sleep_ms(1);
    }
    free(buf);
    CHECK_OK(mmf_queue_close(q));
    return 0;
}

/* How many times (p, s) was received, over all consumers. */
static int times_received(struct results *r, uint32_t p, uint64_t s)
{
    int k = 0;
    for (uint32_t c = 0; c < r->consumers; c++)
        k += (int)((bitmap(r, c, p)[s / 64] >> (s % 64)) & 1);
    return k;
}

/*
 * Two producers (one zero-copy, one copying) and two consumers (one
 * peeking, one copying), all separate processes, `n` messages each: every
 * message arrives exactly once, whole.
 */
static void mpmc(uint32_t slots, uint32_t slot_size, uint64_t n)
{
    mmf_queue *hold;
    mmf_section *rs;
    struct results *r;
    struct test_sync ready;
    pid_t prod[2], cons[2];
    uint64_t total = 0;

    r = scratch("res", results_size(2, 2, n), &rs);
    r->consumers = 2;
    r->producers = 2;
    r->n = n;
    r->words = (n + 63) / 64;
    /* The test holds a producer endpoint until the producers are done, so
     * that the consumers see "producers gone" only at the end. */
    hold = q_new("q", slots, slot_size, MMF_ROLE_PRODUCER);
    test_sync_init(&ready);
    for (int i = 0; i < 2; i++) {
        cons[i] = test_spawn("q_consumer", test_name("q"), test_name("res"), test_num(i),
                             test_num(i), test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    for (int i = 0; i < 2; i++)
        prod[i] = test_spawn("q_producer", test_name("q"), test_num(i), test_num((long long)n),
                             test_num(i), NULL);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(prod[i]), 0);
    CHECK_OK(mmf_queue_close(hold));
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(cons[i]), 0);
    for (uint32_t p = 0; p < 2; p++)
        for (uint64_t s = 0; s < n; s++)
            if (times_received(r, p, s) != 1)
                test_fail(__FILE__, __LINE__, "message %u/%llu received %d times", p,
                          (unsigned long long)s, times_received(r, p, s));
    for (uint32_t c = 0; c < 2; c++)
        total += *count_of(r, c);
    CHECK_EQ(total, 2 * n);
    /* Both consumers took part (neither starved the other completely). */
    CHECK(*count_of(r, 0) > 0 && *count_of(r, 1) > 0);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(rs));
}

TEST(mpmc_8)
{
    mpmc(64, 8, 100000);
}

TEST(mpmc_64)
{
    mpmc(64, 64, 100000);
}

TEST(mpmc_1k)
{
    mpmc(64, 1024, 30000);
}

TEST(mpmc_64k)
{
    mpmc(16, 65536, 2000);
}

TEST(mpmc_1m)
{
    mpmc(4, 1 << 20, 100);
}

/* Batch producers and batch consumers: exactly once, over many laps. */
TEST(mpmc_batch)
{
    const uint64_t n = 100000;
    mmf_queue *hold;
    mmf_section *rs;
    struct results *r;
    struct test_sync ready;
    pid_t prod[2], cons[2];

    r = scratch("res", results_size(2, 2, n), &rs);
    r->consumers = 2;
    r->producers = 2;
    r->n = n;
    r->words = (n + 63) / 64;
    hold = q_new("q", 16, 64, MMF_ROLE_PRODUCER);
    test_sync_init(&ready);
    for (int i = 0; i < 2; i++) {
        cons[i] = test_spawn("q_consumer", test_name("q"), test_name("res"), test_num(i),
                             i == 0 ? "2" : "1", test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    for (int i = 0; i < 2; i++)
        prod[i] = test_spawn("q_producer", test_name("q"), test_num(i), test_num((long long)n),
                             i == 0 ? "2" : "0", NULL);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(prod[i]), 0);
    CHECK_OK(mmf_queue_close(hold));
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(cons[i]), 0);
    for (uint32_t p = 0; p < 2; p++)
        for (uint64_t s = 0; s < n; s++)
            CHECK_EQ(times_received(r, p, s), 1);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(rs));
}

/* Round trips of batches of every size over a small queue: wrap-around,
 * partial commits (the rest dropped and skipped), partial releases. */
TEST(batch_round_trips)
{
    mmf_queue *p = q_new("q", 4, 16, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", 4, 16, MMF_ROLE_CONSUMER);
    uint64_t sent = 0, got = 0;
    mmf_msg m[8];
    void *ptr;

    for (int round = 0; round < 2000; round++) {
        size_t want = 1 + (size_t)round % 6, keep;
        int k;
        for (size_t i = 0; i < want; i++)
            m[i].len = 8 + i % 8;
        k = mmf_queue_reserve_batch(p, m, want, 0);
        CHECK(k >= 1 && k <= 4 && (size_t)k <= want);
        for (int i = 0; i < k; i++) {
            CHECK(m[i].len == 8 + (size_t)i % 8);
            memcpy(m[i].data, &sent, 8);
            sent++;
        }
        CHECK_RC(mmf_queue_reserve(p, &ptr, 0), MMF_EINVAL);
        CHECK_RC(mmf_queue_commit_batch(p, (size_t)k + 1), MMF_EINVAL);
        if (k > 1)
            CHECK_RC(mmf_queue_commit(p, 8), MMF_EINVAL);
        keep = round % 5 == 4 ? (size_t)k - 1 : (size_t)k; /* drop the last */
        sent -= (uint64_t)k - keep;
        CHECK_OK(mmf_queue_commit_batch(p, keep));
        while (got < sent) {
            int n = mmf_queue_peek_batch(c, m, 1 + (size_t)round % 8, 0);
            CHECK(n >= 1);
            for (int i = 0; i < n; i++) {
                uint64_t v;
                CHECK(m[i].len >= 8 && m[i].len <= 15);
                memcpy(&v, m[i].data, 8);
                CHECK_EQ(v, got);
                got++;
            }
            CHECK_RC(mmf_queue_peek(c, &m[0], 0), MMF_EINVAL);
            CHECK_RC(mmf_queue_release_batch(c, (size_t)n + 1), MMF_EINVAL);
            CHECK_OK(mmf_queue_release_batch(c, 0));
            CHECK_OK(mmf_queue_release(c));
            CHECK_OK(mmf_queue_release_batch(c, (size_t)n - 1));
        }
        /* Dropped slots are skipped: nothing is left. */
        CHECK_RC(mmf_queue_peek_batch(c, m, 8, 0), MMF_EAGAIN);
    }
    /* A single reserve committed as a batch of one fills its slot. */
    CHECK_OK(mmf_queue_reserve(p, &ptr, 0));
    CHECK_OK(mmf_queue_commit_batch(p, 1));
    CHECK_EQ(mmf_queue_peek_batch(c, m, 8, 0), 1);
    CHECK_EQ(m[0].len, 16);
    CHECK_OK(mmf_queue_release_batch(c, 1));
    /* Close drops a pending batch and releases a peeked one. */
    m[0].len = m[1].len = 4;
    CHECK_EQ(mmf_queue_reserve_batch(p, m, 2, 0), 2);
    CHECK_OK(mmf_queue_close(p));
    CHECK_RC(mmf_queue_peek_batch(c, m, 8, INF), MMF_EPIPE);
    CHECK_OK(mmf_queue_close(c));
}

/* ------------------------------------------------------------------------ */
/* Peers killed halfway                                                      */
/* ------------------------------------------------------------------------ */

/* argv: queue, id, messages before, ready fd. Sends them, reserves one
 * more, scribbles half of it, says so and waits to be killed. */
HELPER(q_reserve_and_hang)
{
    (void)argc;
    mmf_queue *q;
    uint32_t id = (uint32_t)atoi(argv[1]);
    uint64_t before = strtoull(argv[2], NULL, 10);
    void *p;

    test_die_with_parent();
    CHECK_OK(mmf_queue_open(&q, argv[0], MMF_ROLE_PRODUCER, NULL));
    for (uint64_t s = 0; s < before; s++)
        send_msg(q, id, s, INF);
    CHECK_OK(mmf_queue_reserve(q, &p, INF));
    memset(p, 0x5a, mmf_queue_slot_size(q) / 2);
    test_sync_signal(atoi(argv[3]));
    pause_forever();
    return 0;
}

/* A producer killed between reserve and commit: the consumer waits while
 * it lives, then skips its slot and goes on with the other producer's
 * messages behind it. */
TEST(producer_killed_between_reserve_and_commit)
{
    mmf_queue *c = q_new("q", 8, 64, MMF_ROLE_CONSUMER);
    mmf_queue *p = q_new("q", 8, 64, MMF_ROLE_PRODUCER);
    struct test_sync ready;
    uint8_t buf[64];
    size_t len;
    uint64_t t0;
    pid_t pid;

    test_sync_init(&ready);
    pid = test_spawn("q_reserve_and_hang", test_name("q"), "0", "3", test_num(ready.wr), NULL);
    CHECK(test_sync_wait(&ready, 10000));
    send_msg(p, 1, 0, 0); /* behind the reserved slot */
    send_msg(p, 1, 1, 0);
    for (uint64_t s = 0; s < 3; s++)
        expect_msg(c, 0, s, 0);
    /* Its producer lives: the reserved slot holds the others back. */
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 100), MMF_ETIMEDOUT);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    t0 = test_now_ns();
    expect_msg(c, 1, 0, 5000);
    CHECK(elapsed_ms(t0) < 1000);
    expect_msg(c, 1, 1, 0);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    /* The queue goes on through many laps over the skipped slot. */
    for (uint64_t s = 2; s < 100; s++) {
        send_msg(p, 1, s, 0);
        expect_msg(c, 1, s, 0);
    }
    CHECK_OK(mmf_queue_close(p));
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, INF), MMF_EPIPE);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(c));
}

/* The same with two consumers asleep in other processes when the kill
 * comes and a producer blocked behind the stuck slot: the slot is skipped
 * exactly once and every other message arrives exactly once. */
TEST(producer_killed_consumers_asleep)
{
    const uint64_t n = 2000;
    mmf_queue *p = q_new("q", 8, 64, MMF_ROLE_PRODUCER);
    mmf_section *rs;
    struct results *r;
    struct test_sync ready;
    pid_t hang, cons[2];

    r = scratch("res", results_size(2, 2, n), &rs);
    r->consumers = 2;
    r->producers = 2;
    r->n = n;
    r->words = (n + 63) / 64;
    test_sync_init(&ready);
    for (int i = 0; i < 2; i++) {
        cons[i] = test_spawn("q_consumer", test_name("q"), test_name("res"), test_num(i),
                             test_num(i), test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    hang = test_spawn("q_reserve_and_hang", test_name("q"), "0", "5", test_num(ready.wr), NULL);
    CHECK(test_sync_wait(&ready, 10000));
    /* Fill what is left behind the stuck slot (once the consumers took
     * the first messages); then it is full. */
    for (uint64_t s = 0; s < 7; s++)
        send_msg(p, 1, s, 10000);
    CHECK_RC(mmf_queue_send(p, "x", 1, 100), MMF_ETIMEDOUT);
    test_sleep_ms(50); /* the consumers go to sleep */
    kill(hang, SIGKILL);
    CHECK_EQ(test_wait(hang), 128 + SIGKILL);
    for (uint64_t s = 7; s < n; s++)
        send_msg(p, 1, s, 10000);
    CHECK_OK(mmf_queue_close(p));
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(cons[i]), 0);
    for (uint64_t s = 0; s < 5; s++)
        CHECK_EQ(times_received(r, 0, s), 1);
    for (uint64_t s = 5; s < n; s++)
        CHECK_EQ(times_received(r, 0, s), 0);
    for (uint64_t s = 0; s < n; s++)
        CHECK_EQ(times_received(r, 1, s), 1);
    CHECK_EQ(*count_of(r, 0) + *count_of(r, 1), 5 + n);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(rs));
}

/* argv: queue, id, messages before, batch size, ready fd. Sends the
 * messages before, reserves a batch and fills it, says so and waits to be
 * killed without committing it. */
HELPER(q_reserve_batch_and_hang)
{
    (void)argc;
    mmf_queue *q;
    mmf_msg m[8];
    uint32_t id = (uint32_t)atoi(argv[1]);
    uint64_t before = strtoull(argv[2], NULL, 10);
    size_t n = (size_t)atoi(argv[3]);

    test_die_with_parent();
    CHECK(n >= 1 && n <= 8);
    CHECK_OK(mmf_queue_open(&q, argv[0], MMF_ROLE_PRODUCER, NULL));
    for (uint64_t s = 0; s < before; s++)
        send_msg(q, id, s, INF);
    for (size_t i = 0; i < n; i++)
        m[i].len = msg_len(id, before + i, mmf_queue_slot_size(q));
    CHECK_EQ(mmf_queue_reserve_batch(q, m, n, INF), (int)n);
    for (size_t i = 0; i < n; i++)
        msg_fill(m[i].data, m[i].len, id, before + i);
    test_sync_signal(atoi(argv[4]));
    pause_forever();
    return 0;
}

/* mmf_queue_committed() after a producer was killed holding a filled
 * batch: its positions say "not committed" before the consumers skip
 * them and after (the skip marks the slot), the committed ones say
 * "committed" whether taken or not, a dropped position says "not
 * committed", and positions whose slots were reserved again say
 * MMF_ERANGE. */
TEST(committed_after_producer_killed)
{
    mmf_queue *c = q_new("q", 8, 64, MMF_ROLE_CONSUMER);
    mmf_queue *p = q_new("q", 8, 64, MMF_ROLE_PRODUCER);
    struct test_sync ready;
    uint8_t buf[64];
    mmf_msg m[2];
    size_t len;
    pid_t pid;

    CHECK_RC(mmf_queue_committed(NULL, 0), MMF_EBADF);
    CHECK_RC(mmf_queue_committed(p, 0), MMF_ERANGE); /* nothing reserved yet */
    test_sync_init(&ready);
    pid = test_spawn("q_reserve_batch_and_hang", test_name("q"), "0", "2", "3",
                     test_num(ready.wr), NULL);
    CHECK(test_sync_wait(&ready, 10000));
    /* Positions 0 and 1 committed, 2 to 4 reserved by a live producer. */
    for (uint64_t pos = 0; pos < 5; pos++) {
        CHECK_EQ(mmf_queue_committed(p, pos), pos < 2);
        CHECK_EQ(mmf_queue_committed(c, pos), pos < 2);
    }
    CHECK_RC(mmf_queue_committed(p, 5), MMF_ERANGE);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    for (uint64_t pos = 0; pos < 5; pos++)
        CHECK_EQ(mmf_queue_committed(p, pos), pos < 2);
    expect_msg(c, 0, 0, 0);
    expect_msg(c, 0, 1, 0);
    /* The consumer skips the dead batch (its lengths are stored in the
     * slots) and takes what comes behind it. */
    send_msg(p, 1, 0, 0); /* position 5 */
    CHECK_EQ(mmf_queue_committed(p, 5), 1);
    expect_msg(c, 1, 0, 5000);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    for (uint64_t pos = 0; pos < 6; pos++)
        CHECK_EQ(mmf_queue_committed(p, pos), pos < 2 || pos == 5);
    /* A batch of two with one committed: the other is dropped. */
    m[0].len = m[1].len = 8;
    CHECK_EQ(mmf_queue_reserve_batch(p, m, 2, 0), 2); /* positions 6, 7 */
    memcpy(m[0].data, "eight by", 8);
    CHECK_OK(mmf_queue_commit_batch(p, 1));
    CHECK_EQ(mmf_queue_committed(p, 6), 1);
    CHECK_EQ(mmf_queue_committed(p, 7), 0);
    CHECK_OK(mmf_queue_recv(c, buf, sizeof buf, &len, 0));
    CHECK(len == 8 && memcmp(buf, "eight by", 8) == 0);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    CHECK_EQ(mmf_queue_committed(p, 6), 1);
    CHECK_EQ(mmf_queue_committed(p, 7), 0);
    /* Positions 8 and 9 reuse the slots of 0 and 1: those two are gone. */
    send_msg(p, 1, 1, 0);
    send_msg(p, 1, 2, 0);
    CHECK_RC(mmf_queue_committed(p, 0), MMF_ERANGE);
    CHECK_RC(mmf_queue_committed(p, 1), MMF_ERANGE);
    CHECK_EQ(mmf_queue_committed(p, 2), 0);
    CHECK_EQ(mmf_queue_committed(p, 8), 1);
    expect_msg(c, 1, 1, 0);
    expect_msg(c, 1, 2, 0);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* argv: queue, ready fd. Peeks one message, says so, waits to be killed. */
HELPER(q_peek_and_hang)
{
    (void)argc;
    mmf_queue *q;
    mmf_msg m;
    test_die_with_parent();
    CHECK_OK(mmf_queue_open(&q, argv[0], MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_queue_peek(q, &m, INF));
    test_sync_signal(atoi(argv[1]));
    pause_forever();
    return 0;
}

/* A consumer killed holding a peeked message: producers wait while it
 * lives, then take its slot back (its message is lost, not redelivered). */
TEST(consumer_killed_holding_message)
{
    mmf_queue *p = q_new("q", 4, 64, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", 4, 64, MMF_ROLE_CONSUMER);
    struct waiter w = {0};
    struct test_sync ready;
    uint8_t buf[64];
    size_t len;
    pthread_t t;
    pid_t pid;

    test_sync_init(&ready);
    pid = test_spawn("q_peek_and_hang", test_name("q"), test_num(ready.wr), NULL);
    send_msg(p, 1, 0, 0);
    CHECK(test_sync_wait(&ready, 10000));
    for (uint64_t s = 1; s <= 3; s++)
        send_msg(p, 1, s, 0);
    for (uint64_t s = 1; s <= 3; s++)
        expect_msg(c, 1, s, 0);
    /* The next position needs the held slot. */
    CHECK_RC(mmf_queue_send(p, "x", 1, 0), MMF_EAGAIN);
    CHECK_RC(mmf_queue_send(p, "x", 1, 100), MMF_ETIMEDOUT);
    /* Block in send, then kill the holder. */
    w.q = p;
    CHECK(pthread_create(&t, NULL, send_thread, &w) == 0);
    test_sleep_ms(50);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(w.rc);
    CHECK_OK(mmf_queue_recv(c, buf, sizeof buf, &len, 0));
    CHECK(len == 4 && memcmp(buf, "late", 4) == 0);
    for (uint64_t s = 4; s < 40; s++) {
        send_msg(p, 1, s, 0);
        expect_msg(c, 1, s, 0);
    }
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* Producers killed at random moments (many of them between reserve and
 * commit) while they send without pause: the consumer receives each
 * producer's committed messages, a gapless prefix in order, exactly once,
 * then MMF_EPIPE; a new producer then continues. Repeated. */
TEST(producers_killed_consumer_drains)
{
    rng_seed();
    for (int round = 0; round < 4; round++) {
        mmf_queue *c = q_new("q", 64, 256, MMF_ROLE_CONSUMER);
        mmf_queue *p;
        uint64_t next[2] = {0, 0};
        uint8_t buf[256];
        size_t len;
        pid_t pid[2];
        uint64_t t0;
        int rc;

        for (int i = 0; i < 2; i++)
            pid[i] = test_spawn("q_producer", test_name("q"), test_num(i), "0", "0", "200000",
                                NULL);
        /* Receive until both attached (before that, a consumer would wait
         * for a producer to come rather than mourn one), then a while
         * more, then kill both at a random moment. */
        t0 = test_now_ns();
        while (next[0] == 0 || next[1] == 0 || elapsed_ms(t0) < 30 + (long)(rnd() % 100)) {
            uint32_t pr;
            uint64_t s;
            rc = mmf_queue_recv(c, buf, sizeof buf, &len, 10);
            CHECK(elapsed_ms(t0) < 20000);
            if (rc == MMF_ETIMEDOUT)
                continue;
            CHECK_OK(rc);
            CHECK(msg_check(buf, len, &pr, &s));
            CHECK(pr < 2);
            CHECK_EQ(s, next[pr]);
            next[pr]++;
        }
        for (int i = 0; i < 2; i++)
            kill(pid[i], SIGKILL);
        for (int i = 0; i < 2; i++)
            CHECK_EQ(test_wait(pid[i]), 128 + SIGKILL);
        t0 = test_now_ns();
        for (;;) {
            uint32_t pr;
            uint64_t s;
            rc = mmf_queue_recv(c, buf, sizeof buf, &len, INF);
            if (rc == MMF_EPIPE)
                break;
            CHECK_OK(rc);
            CHECK(msg_check(buf, len, &pr, &s));
            CHECK(pr < 2);
            CHECK_EQ(s, next[pr]);
            next[pr]++;
        }
        CHECK(elapsed_ms(t0) < 5000);
        CHECK(next[0] > 0 || next[1] > 0);
        CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EPIPE);
        /* A restarted producer re-attaches and the queue goes on. */
        CHECK_OK(mmf_queue_open(&p, test_name("q"), MMF_ROLE_PRODUCER, NULL));
        send_msg(p, 7, 0, 1000);
        expect_msg(c, 7, 0, 1000);
        CHECK_OK(mmf_queue_close(p));
        CHECK_OK(mmf_queue_close(c));
    }
}

/* Producers, each in turn killed at a random moment, share the queue with
 * a steady producer and two consumers: every message of the steady one
 * arrives exactly once, each killed one's messages form a gapless prefix. */
TEST(producers_killed_among_others)
{
    const uint64_t n = 20000;
    const uint32_t victims = 5;
    mmf_queue *hold;
    mmf_section *rs;
    struct results *r;
    struct test_sync ready;
    pid_t steady, cons[2];

    rng_seed();
    r = scratch("res", results_size(2, 1 + victims, n), &rs);
    r->consumers = 2;
    r->producers = 1 + victims;
    r->n = n;
    r->words = (n + 63) / 64;
    hold = q_new("q", 16, 128, MMF_ROLE_PRODUCER);
    test_sync_init(&ready);
    for (int i = 0; i < 2; i++) {
        cons[i] = test_spawn("q_consumer", test_name("q"), test_name("res"), test_num(i),
                             test_num(i), test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    steady = test_spawn("q_producer", test_name("q"), "0", test_num((long long)n), "1", NULL);
    for (uint32_t v = 1; v <= victims; v++) {
        /* n bounds the bitmap; killed long before it is reached. */
        pid_t pid = test_spawn("q_producer", test_name("q"), test_num(v), test_num((long long)n),
                               "0", "200000", NULL);
        test_sleep_ms(5 + (long)(rnd() % 40));
        kill(pid, SIGKILL);
        CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    }
    CHECK_EQ(test_wait(steady), 0);
    CHECK_OK(mmf_queue_close(hold));
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(cons[i]), 0);
    for (uint64_t s = 0; s < n; s++)
        CHECK_EQ(times_received(r, 0, s), 1);
    for (uint32_t v = 1; v <= victims; v++) {
        uint64_t s = 0;
        while (s < n && times_received(r, v, s) == 1)
            s++;
        CHECK(s < n);
        for (; s < n; s++)
            CHECK_EQ(times_received(r, v, s), 0);
    }
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(rs));
}

/* The same with batch producers killed in the middle of a batch (between
 * reserve_batch and commit_batch, or while it publishes), a batch
 * consumer beside a copying one, and a batch consumer killed holding a
 * batch: the steady producer's messages arrive at most once, and all but
 * those the killed consumers held arrive exactly once; each killed
 * producer's messages form a gapless prefix. */
TEST(batch_endpoints_killed)
{
    const uint64_t n = 20000;
    const uint32_t victims = 4;
    mmf_queue *hold;
    mmf_section *rs;
    struct results *r;
    struct test_sync ready;
    pid_t steady, cons[2];
    uint64_t missing = 0;

    rng_seed();
    r = scratch("res", results_size(3, 1 + victims, n), &rs);
    r->consumers = 3;
    r->producers = 1 + victims;
    r->n = n;
    r->words = (n + 63) / 64;
    hold = q_new("q", 16, 128, MMF_ROLE_PRODUCER);
    test_sync_init(&ready);
    for (int i = 0; i < 2; i++) {
        cons[i] = test_spawn("q_consumer", test_name("q"), test_name("res"), test_num(i),
                             i == 0 ? "2" : "1", test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    steady = test_spawn("q_producer", test_name("q"), "0", test_num((long long)n), "2", NULL);
    for (uint32_t v = 1; v <= victims; v++) {
        /* A batch consumer, slowed down, killed with the producer. */
        pid_t vc = test_spawn("q_consumer", test_name("q"), test_name("res"), "2", "2",
                              test_num(ready.wr), "3", NULL);
        pid_t pid;
        CHECK(test_sync_wait(&ready, 10000));
        /* Started after the consumer is ready, so that the kill lands
         * within 45 ms of its start, long before its last message even
         * where starting a process is slow (Wine). */
        pid = test_spawn("q_producer", test_name("q"), test_num(v), test_num((long long)n), "2",
                         "200000", NULL);
        test_sleep_ms(5 + (long)(rnd() % 40));
        kill(pid, SIGKILL);
        kill(vc, SIGKILL);
        CHECK_EQ(test_wait(pid), 128 + SIGKILL);
        CHECK_EQ(test_wait(vc), 128 + SIGKILL);
    }
    CHECK_EQ(test_wait(steady), 0);
    CHECK_OK(mmf_queue_close(hold));
    for (int i = 0; i < 2; i++)
        CHECK_EQ(test_wait(cons[i]), 0);
    for (uint64_t s = 0; s < n; s++) {
        int k = times_received(r, 0, s);
        CHECK(k <= 1);
        missing += k == 0;
    }
    /* A killed consumer loses at most the batch it held (8), and what it
     * received before it was killed is recorded but may be the last. */
    CHECK(missing <= 8 * victims);
    for (uint32_t v = 1; v <= victims; v++) {
        uint64_t s = 0, gaps = 0;
        for (; s < n; s++)
            CHECK(times_received(r, v, s) <= 1);
        /* Committed in order: received ones form a prefix, except what
         * the killed consumers held. */
        for (s = 0; s < n && times_received(r, v, s) == 1; s++)
            ;
        for (; s < n; s++)
            gaps += times_received(r, v, s);
        CHECK(gaps <= 8 * victims);
    }
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(rs));
}

/* argv: queue, ready fd, then receives one message and waits to die. */
HELPER(q_consume_one_and_hang)
{
    (void)argc;
    mmf_queue *q;
    uint8_t buf[64];
    size_t len;
    test_die_with_parent();
    CHECK_OK(mmf_queue_open(&q, argv[0], MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_queue_recv(q, buf, sizeof buf, &len, INF));
    test_sync_signal(atoi(argv[1]));
    pause_forever();
    return 0;
}

/* A producer that would wait for room while every consumer is gone gets
 * MMF_EPIPE, blocked or trying; with room it still sends. */
TEST(consumers_gone)
{
    mmf_queue *p = q_new("q", 4, 64, MMF_ROLE_PRODUCER);
    struct test_sync ready;
    void *ptr;
    uint64_t t0;
    pid_t pid;

    test_sync_init(&ready);
    pid = test_spawn("q_consume_one_and_hang", test_name("q"), test_num(ready.wr), NULL);
    send_msg(p, 1, 0, 0);
    CHECK(test_sync_wait(&ready, 10000));
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    for (uint64_t s = 1; s <= 4; s++)
        send_msg(p, 1, s, 0); /* room: no wait, no error */
    CHECK_RC(mmf_queue_send(p, "x", 1, 0), MMF_EPIPE);
    t0 = test_now_ns();
    CHECK_RC(mmf_queue_send(p, "x", 1, INF), MMF_EPIPE);
    CHECK_RC(mmf_queue_reserve(p, &ptr, 1000), MMF_EPIPE);
    CHECK(elapsed_ms(t0) < 1000);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(p));
}

/* A consumer killed holding a message, the last consumer: the producer
 * takes the slot back, fills the queue, then gets MMF_EPIPE. */
TEST(last_consumer_killed_holding)
{
    mmf_queue *p = q_new("q", 2, 64, MMF_ROLE_PRODUCER);
    struct test_sync ready;
    pid_t pid;

    test_sync_init(&ready);
    pid = test_spawn("q_peek_and_hang", test_name("q"), test_num(ready.wr), NULL);
    send_msg(p, 1, 0, 0);
    CHECK(test_sync_wait(&ready, 10000));
    send_msg(p, 1, 1, 0);
    CHECK_RC(mmf_queue_send(p, "x", 1, 50), MMF_ETIMEDOUT);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    send_msg(p, 1, 2, 2000); /* into the dead consumer's slot */
    CHECK_RC(mmf_queue_send(p, "x", 1, INF), MMF_EPIPE);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(p));
}

/* ------------------------------------------------------------------------ */
/* Consumers that keep what they hold (MMF_CHANNEL_REDELIVER)                */
/* ------------------------------------------------------------------------ */

static mmf_queue *q_open_redeliver(const char *name)
{
    mmf_channel_opts o = {MMF_CHANNEL_REDELIVER, 0, NULL};
    mmf_queue *q;
    CHECK_OK(mmf_queue_open(&q, name, MMF_ROLE_CONSUMER, &o));
    return q;
}

/* argv: queue, ready fd, batch. A consumer with MMF_CHANNEL_REDELIVER:
 * peeks a batch of up to `batch` messages, says so, waits to be killed. */
HELPER(q_keep_and_hang)
{
    (void)argc;
    mmf_queue *q;
    mmf_msg m[8];
    uint64_t pos = 99;
    int n, want = atoi(argv[2]);
    test_die_with_parent();
    q = q_open_redeliver(argv[0]);
    CHECK(want >= 1 && want <= 8);
    n = mmf_queue_peek_batch(q, m, (size_t)want, INF);
    CHECK_EQ(n, want);
    CHECK_EQ(mmf_queue_held(q, &pos), n);
    CHECK_EQ(pos, 0);
    test_sync_signal(atoi(argv[1]));
    pause_forever();
    return 0;
}

/* The flag is for queue consumers only; mmf_queue_held() checks. */
TEST(redeliver_flag_checks)
{
    mmf_channel_opts o = {MMF_CHANNEL_REDELIVER, 0, NULL};
    mmf_queue *q, *p;
    mmf_ring *r;
    mmf_bcast *b;
    uint64_t pos = 7;
    mmf_msg m;

    CHECK_RC(mmf_queue_create(&q, test_name("q"), 4, 16, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o),
             MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&r, test_name("r"), 65536, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, &o),
             MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(&b, test_name("b"), 4, 16, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, &o),
             MMF_EINVAL);
    CHECK_OK(mmf_queue_create(&q, test_name("q"), 4, 16, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_queue_open(&p, test_name("q"), MMF_ROLE_PRODUCER, NULL));
    CHECK_RC(mmf_queue_held(NULL, &pos), MMF_EBADF);
    CHECK_RC(mmf_queue_held(q, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_held(p, &pos), MMF_EINVAL);
    CHECK_EQ(mmf_queue_held(q, &pos), 0);
    CHECK_EQ(pos, 7);
    CHECK_OK(mmf_queue_send(p, "a", 1, 0));
    CHECK_OK(mmf_queue_send(p, "b", 1, 0));
    CHECK_OK(mmf_queue_peek(q, &m, 0));
    CHECK_EQ(mmf_queue_held(q, &pos), 1);
    CHECK_EQ(pos, 0);
    CHECK_OK(mmf_queue_release(q));
    CHECK_OK(mmf_queue_peek(q, &m, 0));
    CHECK_EQ(mmf_queue_held(q, &pos), 1);
    CHECK_EQ(pos, 1);
    CHECK_OK(mmf_queue_close(q));
    CHECK_OK(mmf_queue_close(p));
}

/* A consumer with the flag is killed holding a batch: a producer that
 * needs those slots waits (the messages are not taken back), and another
 * consumer, without the flag, receives them, at their positions, before
 * anything new. */
TEST(redeliver_killed_holder_messages_go_to_another)
{
    const char *n = test_name("q");
    mmf_queue *p = q_new("q", 4, 64, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", 4, 64, MMF_ROLE_CONSUMER);
    struct test_sync ready;
    mmf_msg m[4];
    uint64_t pos = 0;
    pid_t pid;

    test_sync_init(&ready);
    for (uint64_t s = 0; s < 3; s++)
        send_msg(p, 1, s, 0);
    pid = test_spawn("q_keep_and_hang", n, test_num(ready.wr), "3", NULL);
    CHECK(test_sync_wait(&ready, 10000));
    send_msg(p, 1, 3, 0);                          /* position 3 */
    CHECK_RC(mmf_queue_send(p, "x", 1, 0), MMF_EAGAIN); /* 4 needs slot 0 */
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    /* Dead, and its messages kept: still no room. */
    CHECK_RC(mmf_queue_send(p, "x", 1, 200), MMF_ETIMEDOUT);
    CHECK_EQ(mmf_queue_peek_batch(c, m, 4, 0), 3);
    CHECK_EQ(mmf_queue_held(c, &pos), 3);
    CHECK_EQ(pos, 0);
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t pr;
        uint64_t sq;
        CHECK(msg_check(m[i].data, m[i].len, &pr, &sq));
        CHECK_EQ(sq, i);
    }
    CHECK_OK(mmf_queue_release_batch(c, 3));
    expect_msg(c, 1, 3, 0);
    for (uint64_t s = 4; s < 40; s++) {
        send_msg(p, 1, s, 0);
        expect_msg(c, 1, s, 0);
    }
    CHECK_RC(mmf_queue_peek(c, m, 0), MMF_EAGAIN);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* Closing a consumer with the flag while it holds messages leaves them to
 * another consumer, as its death would. */
TEST(redeliver_close_leaves_held_messages)
{
    mmf_channel_opts o = {MMF_CHANNEL_REDELIVER, 0, NULL};
    mmf_queue *p = q_new("q", 4, 64, MMF_ROLE_PRODUCER);
    mmf_queue *k, *c;
    mmf_msg m[2];
    uint64_t pos = 9;

    CHECK_OK(mmf_queue_open(&k, test_name("q"), MMF_ROLE_CONSUMER, &o));
    for (uint64_t s = 0; s < 3; s++)
        send_msg(p, 1, s, 0);
    CHECK_EQ(mmf_queue_peek_batch(k, m, 2, 0), 2);
    CHECK_OK(mmf_queue_close(k));
    c = q_new("q", 4, 64, MMF_ROLE_CONSUMER);
    CHECK_EQ(mmf_queue_peek_batch(c, m, 2, 0), 2);
    CHECK_EQ(mmf_queue_held(c, &pos), 2);
    CHECK_EQ(pos, 0);
    CHECK_OK(mmf_queue_release_batch(c, 2));
    expect_msg(c, 1, 2, 0);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* A consumer asleep in a blocking call receives a kept message when its
 * holder dies, with nothing else happening; then the slot is free. */
TEST(redeliver_to_a_waiting_consumer)
{
    const char *n = test_name("q");
    mmf_queue *p = q_new("q", 2, 64, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", 2, 64, MMF_ROLE_CONSUMER);
    struct waiter w = {0};
    struct test_sync ready;
    uint8_t buf[64];
    size_t len;
    uint32_t pr;
    uint64_t sq;
    pthread_t t;
    pid_t pid;

    test_sync_init(&ready);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    send_msg(p, 1, 0, 0);
    pid = test_spawn("q_keep_and_hang", n, test_num(ready.wr), "1", NULL);
    CHECK(test_sync_wait(&ready, 10000));
    w.q = c;
    CHECK(pthread_create(&t, NULL, recv_thread, &w) == 0);
    test_sleep_ms(50);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(w.rc);
    CHECK(msg_check(w.buf, w.len, &pr, &sq));
    CHECK_EQ(sq, 0);
    send_msg(p, 1, 1, 0);
    send_msg(p, 1, 2, 0); /* into the kept message's slot */
    expect_msg(c, 1, 1, 0);
    expect_msg(c, 1, 2, 0);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* The only consumer, with the flag, is killed holding a batch; producers
 * then get MMF_EPIPE rather than take the slots back; a restarted
 * consumer (in the same claim slot) receives the batch first. */
TEST(redeliver_restarted_consumer_gets_them_first)
{
    const char *n = test_name("q");
    mmf_queue *p = q_new("q", 4, 64, MMF_ROLE_PRODUCER);
    mmf_queue *c;
    struct test_sync ready;
    mmf_msg m[8];
    uint64_t pos = 0;
    pid_t pid;

    test_sync_init(&ready);
    for (uint64_t s = 0; s < 2; s++)
        send_msg(p, 1, s, 0);
    pid = test_spawn("q_keep_and_hang", n, test_num(ready.wr), "2", NULL);
    CHECK(test_sync_wait(&ready, 10000));
    send_msg(p, 1, 2, 0);
    send_msg(p, 1, 3, 0);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    CHECK_RC(mmf_queue_send(p, "x", 1, INF), MMF_EPIPE);
    c = q_open_redeliver(n);
    CHECK_EQ(mmf_queue_peek_batch(c, m, 8, 0), 2);
    CHECK_EQ(mmf_queue_held(c, &pos), 2);
    CHECK_EQ(pos, 0);
    CHECK_OK(mmf_queue_release_batch(c, 2));
    expect_msg(c, 1, 2, 0);
    expect_msg(c, 1, 3, 0);
    send_msg(p, 1, 4, 0);
    expect_msg(c, 1, 4, 0);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* argv: queue, counts section, producers, n, ready fd. A consumer with the flag:
 * batches of up to 8, every fourth held for a millisecond first, each
 * message counted (in shared memory) before it is released; until
 * MMF_EPIPE. */
HELPER(q_keep_counter)
{
    (void)argc;
    mmf_queue *q;
    mmf_section *s;
    uint32_t *counts;
    uint32_t producers = (uint32_t)atoi(argv[2]);
    uint64_t n = strtoull(argv[3], NULL, 10);

    test_die_with_parent();
    counts = scratch_open(argv[1], &s);
    q = q_open_redeliver(argv[0]);
    test_sync_signal(atoi(argv[4]));
    for (uint64_t k = 1;; k++) {
        mmf_msg m[8];
        int got = mmf_queue_peek_batch(q, m, 1 + k % 8, INF);
        if (got == MMF_EPIPE)
            break;
        CHECK(got >= 1 && got <= 8);
        if (k % 4 == 0)
            test_sleep_ms(1); /* holding them, not counted: where a kill counts */
        for (int i = 0; i < got; i++) {
            uint32_t pr;
            uint64_t sq;
            CHECK(msg_check(m[i].data, m[i].len, &pr, &sq));
            CHECK(pr < producers && sq < n);
            __atomic_fetch_add(&counts[pr * n + sq], 1, __ATOMIC_RELAXED);
        }
        CHECK_OK(mmf_queue_release_batch(q, (size_t)got));
    }
    CHECK_OK(mmf_queue_close(q));
    CHECK_OK(mmf_section_close(s));
    return 0;
}

/* Two producers send 2 x 20 000 messages to three consumers with the
 * flag, one of which is SIGKILLed at a random moment and restarted 20 ms
 * later (and attached before the next kill), 12 times: no message is
 * lost, and only messages a killed consumer held (at most 8 a kill)
 * arrive twice. */
TEST_SLOW(redeliver_consumers_killed_nothing_lost)
{
    const uint64_t n = 20000;
    const uint32_t producers = 2, kills = 12;
    char name[256], counts_name[256];
    mmf_queue *hold = q_new("q", 16, 128, MMF_ROLE_PRODUCER);
    mmf_section *cs;
    uint32_t *counts;
    pid_t prod[2], cons[3];
    struct test_sync ready;
    uint64_t twice = 0;

    rng_seed();
    snprintf(name, sizeof name, "%s", test_name("q"));
    snprintf(counts_name, sizeof counts_name, "%s", test_name("counts"));
    counts = scratch("counts", (size_t)(producers * n) * 4, &cs);
    test_sync_init(&ready);
    /* All three attached before anything is sent: a producer whose
     * consumers are all gone (one attached and killed) gets MMF_EPIPE. */
    for (int i = 0; i < 3; i++) {
        cons[i] = test_spawn("q_keep_counter", name, counts_name, "2",
                             test_num((long long)n), test_num(ready.wr), NULL);
        CHECK(test_sync_wait(&ready, 10000));
    }
    for (uint32_t i = 0; i < producers; i++)
        prod[i] = test_spawn("q_producer", name, test_num(i), test_num((long long)n), "1", NULL);
    for (uint32_t k = 0; k < kills; k++) {
        int v = (int)(rnd() % 3);
        test_sleep_ms(10 + (long)(rnd() % 40));
        kill(cons[v], SIGKILL);
        CHECK_EQ(test_wait(cons[v]), 128 + SIGKILL);
        test_sleep_ms(20); /* the producers come round to its slots meanwhile */
        cons[v] = test_spawn("q_keep_counter", name, counts_name, "2",
                             test_num((long long)n), test_num(ready.wr), NULL);
        /* Attached before the next kill (a process starts slowly under
         * Wine): the producers must never see every consumer gone. */
        CHECK(test_sync_wait(&ready, 10000));
    }
    for (uint32_t i = 0; i < producers; i++)
        CHECK_EQ(test_wait(prod[i]), 0);
    CHECK_OK(mmf_queue_close(hold));
    for (int i = 0; i < 3; i++)
        CHECK_EQ(test_wait(cons[i]), 0);
    for (uint64_t i = 0; i < producers * n; i++) {
        if (counts[i] == 0)
            fprintf(stderr, "message %llu of producer %llu lost\n",
                    (unsigned long long)(i % n), (unsigned long long)(i / n));
        CHECK(counts[i] >= 1);
        twice += counts[i] - 1;
    }
    printf("%u kills, %llu messages delivered twice\n", kills, (unsigned long long)twice);
    CHECK(twice <= 8u * kills);
    close(ready.rd);
    close(ready.wr);
    CHECK_OK(mmf_section_close(cs));
}

/* ------------------------------------------------------------------------ */
/* Hostile memory                                                            */
/* ------------------------------------------------------------------------ */

/* The data part of a queue, mapped read-write as a hostile process can
 * (testos.h): control block, then at CTL_BYTES the area. */
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

/* A value a scribbler might write: random, or near a plausible one. */
static uint64_t garbage(uint64_t near)
{
    switch (rnd() % 6) {
    case 0: return rnd();
    case 1: return 0;
    case 2: return near + rnd() % 8;
    case 3: return near - rnd() % 8;
    case 4: return UINT64_MAX - rnd() % 4;
    default: return near + (rnd() % 3) * 8 + 1;
    }
}

/* Scribble on the queue's own control fields, its records and its slot
 * headers (never on the common header the attach checks). */
static void scribble(struct raw *r, uint32_t slots, size_t stride, int words)
{
    uint64_t *own = (uint64_t *)(r->base + MMF__CHAN_CTL_OWN);
    uint8_t *area = r->base + CTL_BYTES;
    uint64_t near = __atomic_load_n(&own[0], __ATOMIC_RELAXED);
    for (int i = 0; i < words; i++) {
        uint64_t *w;
        switch (rnd() % 4) {
        case 0: /* tail, head, the wait words */
            w = own + (rnd() % 4) * 8 + (rnd() % 2);
            break;
        case 1: /* a record */
            w = (uint64_t *)(area + (rnd() % 128) * 64);
            break;
        default: /* a slot's turn or length */
            w = (uint64_t *)(area + 8192 + (rnd() % slots) * stride + (rnd() % 2) * 8);
            break;
        }
        __atomic_store_n(w, garbage(near), __ATOMIC_RELAXED);
    }
}

/* Every call returns a documented code in bounded time, and a message it
 * hands out is within the slot. */
/* Returns how many calls found the queue corrupt. */
static int hostile_ops(mmf_queue *p, mmf_queue *c, int rounds)
{
    int corrupt = 0;
    const size_t slot = mmf_queue_slot_size(c);
    uint8_t buf[64] = {0};
    for (int i = 0; i < rounds; i++) {
        uint64_t t0 = test_now_ns();
        long long timeout = rnd() % 4 == 0 ? 1 : 0;
        size_t len = 0;
        void *ptr;
        mmf_msg m;
        int rc;
        switch (rnd() % 4) {
        case 0:
            rc = mmf_queue_send(p, buf, 1 + rnd() % slot, timeout);
            break;
        case 1:
            rc = mmf_queue_reserve(p, &ptr, timeout);
            if (rc == 0) {
                memset(ptr, 1, slot);
                CHECK_OK(mmf_queue_commit(p, slot));
            }
            break;
        case 2:
            rc = mmf_queue_peek(c, &m, timeout);
            if (rc == 0) {
                CHECK(m.len >= 1 && m.len <= slot);
                memset(m.data, 2, slot); /* ours: in bounds */
                CHECK_OK(mmf_queue_release(c));
            }
            break;
        default:
            rc = mmf_queue_recv(c, buf, sizeof buf, &len, timeout);
            if (rc == 0 || rc == MMF_EOVERFLOW)
                CHECK(len >= 1 && len <= slot);
            break;
        }
        CHECK(rc == 0 || rc == MMF_EAGAIN || rc == MMF_ETIMEDOUT || rc == MMF_ECORRUPT ||
              rc == MMF_EOVERFLOW || rc == MMF_EPIPE);
        corrupt += rc == MMF_ECORRUPT;
        CHECK(elapsed_ms(t0) < 3000);
    }
    return corrupt;
}

TEST(hostile_garbage)
{
    const uint32_t slots = 8, size = 64;
    mmf_queue *p = q_new("q", slots, size, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", slots, size, MMF_ROLE_CONSUMER);
    size_t stride = 16 + size;
    size_t data = CTL_BYTES + 8192 + 4096;
    struct raw r;
    int corrupt_seen = 0;

    rng_seed();
    raw_map(&r, test_name("q"), data);
    for (int round = 0; round < 300; round++) {
        uint8_t buf[64];
        size_t len;
        scribble(&r, slots, stride, 1 + (int)(rnd() % 6));
        corrupt_seen += hostile_ops(p, c, 20);
        /* Whether the garbage was ever noticed (some must be). */
        if (mmf_queue_recv(c, buf, sizeof buf, &len, 0) == MMF_ECORRUPT)
            corrupt_seen++;
        /* Back to a valid empty queue: it works again. */
        memset(r.base + MMF__CHAN_CTL_OWN, 0, 256);
        memset(r.base + CTL_BYTES, 0, 8192 + slots * stride);
        send_msg(p, 3, (uint64_t)round, 0);
        expect_msg(c, 3, (uint64_t)round, 0);
    }
    CHECK(corrupt_seen > 0);
    raw_unmap(&r);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* argv: queue name, data size, slots, stride, milliseconds. Scribbles
 * without pause. */
HELPER(q_scribbler)
{
    (void)argc;
    struct raw r;
    uint64_t t0 = test_now_ns();
    long ms = atol(argv[4]);
    test_die_with_parent();
    rng_state = (uint64_t)getpid();
    raw_map(&r, argv[0], (size_t)atol(argv[1]));
    while (elapsed_ms(t0) < ms)
        scribble(&r, (uint32_t)atoi(argv[2]), (size_t)atol(argv[3]), 1);
    raw_unmap(&r);
    return 0;
}

/* A process scribbling while both sides run: no crash, no hang. */
TEST(hostile_concurrent)
{
    const uint32_t slots = 16, size = 32;
    mmf_queue *p = q_new("q", slots, size, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", slots, size, MMF_ROLE_CONSUMER);
    size_t data = CTL_BYTES + 8192 + 4096;
    uint64_t t0 = test_now_ns();
    pid_t pid;

    rng_seed();
    pid = test_spawn("q_scribbler", test_name("q"), test_num((long long)data), test_num(slots),
                     test_num(16 + size), "1500", NULL);
    while (elapsed_ms(t0) < 1500)
        hostile_ops(p, c, 50);
    CHECK_EQ(test_wait(pid), 0);
    CHECK_OK(mmf_queue_close(p));
    CHECK_OK(mmf_queue_close(c));
}

/* A producer that dies after publishing a message and before bumping the
 * data word leaves the word alone; a consumer asleep with MMF_INFINITE
 * while another producer stays idle must still find the message (it looks
 * again after a bounded time). The dead producer's writes are made here by
 * hand: reserve position 0, fill it, commit, and no bump. */
TEST(wake_lost_with_dead_producer)
{
    mmf_queue *idle = q_new("q", 8, 64, MMF_ROLE_PRODUCER);
    mmf_queue *c = q_new("q", 8, 64, MMF_ROLE_CONSUMER);
    struct waiter w = {c, 1, 0, {0}};
    size_t data = CTL_BYTES + 8192 + 4096;
    uint64_t *own, t0;
    uint8_t *slot0;
    pthread_t t;
    struct raw r;

    raw_map(&r, test_name("q"), data);
    own = (uint64_t *)(r.base + MMF__CHAN_CTL_OWN);
    slot0 = r.base + CTL_BYTES + 8192;
    CHECK(pthread_create(&t, NULL, recv_thread, &w) == 0);
    test_sleep_ms(100); /* asleep, counted in data_waiters */
    t0 = test_now_ns();
    __atomic_store_n(&own[0], 1, __ATOMIC_SEQ_CST);                /* tail */
    memcpy(slot0 + 16, "lost-bump", 9);
    __atomic_store_n((uint32_t *)(slot0 + 8), 9, __ATOMIC_SEQ_CST); /* len */
    __atomic_store_n((uint64_t *)slot0, 1, __ATOMIC_SEQ_CST);       /* turn */
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(w.rc);
    CHECK_EQ(w.len, 9);
    CHECK(memcmp(w.buf, "lost-bump", 9) == 0);
    CHECK(elapsed_ms(t0) < 2000);
    raw_unmap(&r);
    CHECK_OK(mmf_queue_close(idle));
    CHECK_OK(mmf_queue_close(c));
}

/* The geometry in the control block must match the header's. */
TEST(hostile_geometry)
{
    mmf_queue *p = q_new("q", 8, 64, MMF_ROLE_PRODUCER);
    mmf_queue *c;
    struct raw r;
    struct mmf__chan_ctl *ctl;

    raw_map(&r, test_name("q"), MMF__CHAN_CTL_SIZE);
    ctl = (struct mmf__chan_ctl *)r.base;
    CHECK(ctl->magic == MMF__CHAN_MAGIC);
    ctl->desc.slots = 1u << 20;
    CHECK_RC(mmf_queue_open(&c, test_name("q"), MMF_ROLE_CONSUMER, NULL), MMF_ECORRUPT);
    ctl->desc.slots = 8;
    CHECK_OK(mmf_queue_open(&c, test_name("q"), MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_queue_close(c));
    raw_unmap(&r);
    CHECK_OK(mmf_queue_close(p));
}

/* ------------------------------------------------------------------------ */
/* Threads in one process (ThreadSanitizer runs these)                       */
/* ------------------------------------------------------------------------ */

#define TN 20000

/* test_name() is not for threads: the name is made once, up front. */
static char tname[256];

static mmf_queue *t_open(int role)
{
    mmf_queue *q;
    int rc = mmf_queue_create(&q, tname, 32, 48, role, MMF_OPEN_OR_CREATE, NULL);
    CHECK(rc == 0 || rc == MMF_EXISTED);
    return q;
}

struct tctx {
    uint32_t id;
    int mode;
    uint64_t count;
    uint8_t seen[2][TN];
};

static void *t_producer(void *arg)
{
    struct tctx *x = arg;
    mmf_queue *q = t_open(MMF_ROLE_PRODUCER);
    uint8_t buf[48];
    for (uint64_t s = 0; s < TN; s++) {
        size_t len = msg_len(x->id, s, 48);
        if (x->mode == 0) {
            void *p;
            CHECK_OK(mmf_queue_reserve(q, &p, INF));
            msg_fill(p, len, x->id, s);
            CHECK_OK(mmf_queue_commit(q, len));
        } else {
            msg_fill(buf, len, x->id, s);
            CHECK_OK(mmf_queue_send(q, buf, len, INF));
        }
    }
    CHECK_OK(mmf_queue_close(q));
    return NULL;
}

static void *t_consumer(void *arg)
{
    struct tctx *x = arg;
    mmf_queue *q = t_open(MMF_ROLE_CONSUMER);
    uint8_t buf[48];
    for (;;) {
        uint32_t p;
        uint64_t s;
        size_t len;
        int rc;
        if (x->mode == 0) {
            mmf_msg m;
            rc = mmf_queue_peek(q, &m, INF);
            if (rc == MMF_EPIPE)
                break;
            CHECK_OK(rc);
            CHECK(msg_check(m.data, m.len, &p, &s));
            CHECK_OK(mmf_queue_release(q));
        } else {
            rc = mmf_queue_recv(q, buf, sizeof buf, &len, INF);
            if (rc == MMF_EPIPE)
                break;
            CHECK_OK(rc);
            CHECK(msg_check(buf, len, &p, &s));
        }
        CHECK(p < 2 && s < TN);
        CHECK(x->seen[p][s] == 0);
        x->seen[p][s] = 1;
        x->count++;
    }
    CHECK_OK(mmf_queue_close(q));
    return NULL;
}

TEST(threads_mpmc)
{
    static struct tctx px[2], cx[2];
    pthread_t pt[2], ct[2];
    mmf_queue *hold;

    snprintf(tname, sizeof tname, "%s", test_name("q"));
    hold = t_open(MMF_ROLE_PRODUCER);

    for (uint32_t i = 0; i < 2; i++) {
        cx[i].mode = (int)i;
        CHECK(pthread_create(&ct[i], NULL, t_consumer, &cx[i]) == 0);
    }
    for (uint32_t i = 0; i < 2; i++) {
        px[i].id = i;
        px[i].mode = (int)i;
        CHECK(pthread_create(&pt[i], NULL, t_producer, &px[i]) == 0);
    }
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(pt[i], NULL) == 0);
    CHECK_OK(mmf_queue_close(hold));
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(ct[i], NULL) == 0);
    CHECK_EQ(cx[0].count + cx[1].count, 2 * TN);
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < TN; s++)
            CHECK_EQ(cx[0].seen[p][s] + cx[1].seen[p][s], 1);
}

/* ------------------------------------------------------------------------ */
/* Peer death as an event                                                    */
/* ------------------------------------------------------------------------ */

/* argv: name role ready-fd: attach, say so, stay alive without using it. */
HELPER(q_hold)
{
    mmf_queue *q;
    CHECK(argc == 3);
    test_die_with_parent();
    CHECK_OK(mmf_queue_open(&q, argv[0], atoi(argv[1]), NULL));
    test_sync_signal(atoi(argv[2]));
    pause_forever();
    return 1;
}

static pid_t q_spawn_holder(const char *n, int role)
{
    struct test_sync sy;
    char fd[16];
    pid_t pid;

    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("q_hold", n, test_num(role), fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
    return pid;
}

/* Kill a process after 30 ms, noting when, and when the kernel says
 * (test_await_exit) that it has exited. */
struct q_killer {
    pid_t pid;
    uint64_t at_ns, exited_ns;
};

static void *q_kill_later(void *p)
{
    struct q_killer *k = p;
    test_sleep_ms(30);
    __atomic_store_n(&k->at_ns, test_now_ns(), __ATOMIC_RELEASE);
    kill(k->pid, SIGKILL);
    if (test_await_exit(k->pid, 30000))
        __atomic_store_n(&k->exited_ns, test_now_ns(), __ATOMIC_RELEASE);
    return NULL;
}

/*
 * Consumers asleep in an infinite wait hear of their producers' deaths
 * from the kernel: with two producers, the first death leaves them asleep
 * (the other lives), the second wakes them with MMF_EPIPE, well within the
 * old 10 ms polling slice after the kernel's own notice of the exit.
 */
TEST(producers_killed_consumer_woken)
{
    enum { ROUNDS = 9 };
    uint64_t lat[ROUNDS];

    for (int i = 0; i < ROUNDS; i++) {
        const char *n = test_name("q");
        mmf_queue *c = q_new("q", 8, 16, MMF_ROLE_CONSUMER);
        struct q_killer k = {0, 0, 0};
        pthread_t t;
        char buf[16];
        size_t len;
        pid_t other = q_spawn_holder(n, MMF_ROLE_PRODUCER);

        k.pid = q_spawn_holder(n, MMF_ROLE_PRODUCER);
        kill(other, SIGKILL);
        CHECK_EQ(test_wait(other), 128 + SIGKILL);
        CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 100), MMF_ETIMEDOUT);
        CHECK(pthread_create(&t, NULL, q_kill_later, &k) == 0);
        CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, INF), MMF_EPIPE);
        {
            uint64_t back = test_now_ns();
            CHECK(pthread_join(t, NULL) == 0);
            CHECK(k.exited_ns != 0);
            lat[i] = back > k.exited_ns ? back - k.exited_ns : 0;
        }
        CHECK_EQ(test_wait(k.pid), 128 + SIGKILL);
        CHECK_OK(mmf_queue_close(c));
    }
    for (int i = 1; i < ROUNDS; i++)
        for (int j = i; j > 0 && lat[j - 1] > lat[j]; j--) {
            uint64_t x = lat[j];
            lat[j] = lat[j - 1];
            lat[j - 1] = x;
        }
    printf("last producer's exit (pidfd) to MMF_EPIPE: median %.3f ms, max %.3f ms\n",
           (double)lat[ROUNDS / 2] / 1e6, (double)lat[ROUNDS - 1] / 1e6);
    CHECK(lat[ROUNDS / 2] < 3000000u);
}

/* A producer asleep on a full queue hears of its last consumer's death. */
TEST(consumer_killed_producer_woken)
{
    const char *n = test_name("q");
    mmf_queue *p = q_new("q", 2, 16, MMF_ROLE_PRODUCER);
    struct q_killer k = {0, 0, 0};
    pthread_t t;

    k.pid = q_spawn_holder(n, MMF_ROLE_CONSUMER);
    CHECK_OK(mmf_queue_send(p, "a", 1, 0));
    CHECK_OK(mmf_queue_send(p, "b", 1, 0));
    CHECK(pthread_create(&t, NULL, q_kill_later, &k) == 0);
    CHECK_RC(mmf_queue_send(p, "c", 1, INF), MMF_EPIPE);
    CHECK(test_now_ns() - __atomic_load_n(&k.at_ns, __ATOMIC_ACQUIRE) < 1000000000u);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ(test_wait(k.pid), 128 + SIGKILL);
    CHECK_OK(mmf_queue_close(p));
}
