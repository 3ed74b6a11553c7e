/* SPDX-License-Identifier: MIT */
/*
 * test-ring.c - the SPSC message ring: every call's errors, try / timed /
 * blocking waits, contiguity across the wrap, batches, peer death (real
 * SIGKILL of real processes, repeated), re-attach, persistent rings after
 * a kill of both sides, a hostile process scribbling over the ring, and
 * checksummed, sequence-numbered traffic at every size class between two
 * processes and between two threads (the ThreadSanitizer build runs
 * those).
 *
 * Messages of the traffic cases are made by fill(): every byte is a
 * function of the sequence number, the length and its offset, and a
 * message of 24 bytes or more also carries its sequence number and a
 * checksum of its bytes, so a lost, duplicated, reordered, torn or stale
 * message fails check_msg().
 */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#ifndef _WIN32
#include <poll.h>
#endif
#include <pthread.h>
#include <stddef.h>
#ifndef _WIN32
#include <sys/mman.h>
#endif
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/syscall.h>
#endif

#include "ring.h"
#ifdef _WIN32
#include "win/win.h" /* struct mmf__win_chan_extra */
#endif

#define KIB 1024u
#define MIB (1024u * 1024u)

/* The sanitizer builds run the long traffic cases with a tenth of the
 * messages: a sanitizer sees nothing more in the ten millionth message
 * than in the millionth, and the suite's timing-sensitive cases of other
 * features run beside them. */
#ifdef MMF_SANITIZED
#define LOAD 10
#else
#define LOAD 1
#endif

static long elapsed_ms(uint64_t since_ns)
{
    return (long)((test_now_ns() - since_ns) / 1000000u);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* A checksum of n bytes (FNV-1a over 8-byte words, then the tail). */
static uint64_t sum_bytes(const uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ seed;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * UINT64_C(0x100000001b3);
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return mix64(h);
}

/* Bytes [from, to) of the pattern of message seq. */
static void pattern(uint8_t *p, size_t from, size_t to, uint64_t seq)
{
    uint64_t base = mix64(seq + 1);
    size_t i = from;
    for (; i < to && (i & 7) != 0; i++)
        p[i] = (uint8_t)((base + (i >> 3) * UINT64_C(0x9E3779B97F4A7C15)) >> ((i & 7) * 8));
    for (; i + 8 <= to; i += 8) {
        uint64_t w = base + (i >> 3) * UINT64_C(0x9E3779B97F4A7C15);
        memcpy(p + i, &w, 8);
    }
    for (; i < to; i++)
        p[i] = (uint8_t)((base + (i >> 3) * UINT64_C(0x9E3779B97F4A7C15)) >> ((i & 7) * 8));
}

/* Message seq of len bytes: [seq][checksum of the rest][pattern] from 24
 * bytes on, [seq][pattern] from 8, the pattern alone below. */
static void fill(void *buf, size_t len, uint64_t seq)
{
    uint8_t *p = buf;
    if (len >= 24) {
        uint64_t s;
        memcpy(p, &seq, 8);
        pattern(p, 16, len, seq);
        s = sum_bytes(p + 16, len - 16, seq ^ len);
        memcpy(p + 8, &s, 8);
    } else if (len >= 8) {
        memcpy(p, &seq, 8);
        pattern(p, 8, len, seq);
    } else {
        pattern(p, 0, len, seq);
    }
}

/* 0 if buf is message seq of len bytes, else -1 and a note on stderr. */
static int check_msg(const void *buf, size_t len, uint64_t seq)
{
    uint8_t small[4096], *want = small;
    const uint8_t *p = buf;
    int rc = 0;

    if (len >= 8) {
        uint64_t got;
        memcpy(&got, p, 8);
        if (got != seq) {
            fprintf(stderr, "message %llu: sequence number %llu\n",
                    (unsigned long long)seq, (unsigned long long)got);
            return -1;
        }
    }
    if (len >= 24) {
        uint64_t s;
        memcpy(&s, p + 8, 8);
        if (s != sum_bytes(p + 16, len - 16, seq ^ len)) {
            fprintf(stderr, "message %llu (%zu bytes): bad checksum\n",
                    (unsigned long long)seq, len);
            return -1;
        }
    }
    if (len > sizeof small)
        CHECK((want = malloc(len)) != NULL);
    fill(want, len, seq);
    if (memcmp(want, p, len) != 0) {
        fprintf(stderr, "message %llu (%zu bytes): torn or wrong content\n",
                (unsigned long long)seq, len);
        rc = -1;
    }
    if (want != small)
        free(want);
    return rc;
}

/* The length of message seq: `size`, or with size 0 a length from 1 to
 * `max` that varies with seq. */
static size_t msg_len(uint64_t seq, size_t size, size_t max)
{
    if (size != 0)
        return size;
    return 1 + (size_t)(mix64(seq ^ 0x5bd1e995) % max);
}

/* ------------------------------------------------------------------------ */
/* Sending and receiving a numbered stream with every API                    */
/* ------------------------------------------------------------------------ */

/*
 * Shared progress of a producer and a consumer process, in a section the
 * test holds, so that it outlives a killed helper. Each side stores what
 * it is about to do before doing it and what it did after, so that after a
 * kill at any instruction the test knows the state to within that step:
 * the newest message in the ring is sent - 1 or committing - 1, and the
 * oldest one not released is done or releasing.
 */
struct progress {
    uint64_t committing; /* producer: sent, or what it is after a commit */
    uint64_t sent;       /* producer: next sequence number to commit */
    uint64_t releasing;  /* consumer: done, or what it is after a release */
    uint64_t done;       /* consumer: oldest message not released */
    uint64_t bad;        /* consumer: 1 if it found a bad message */
    uint64_t epipe;      /* helpers: MMF_EPIPE seen */
    uint64_t attached;   /* helpers: attach count */
};

static void set_u64(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static uint64_t get_u64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* Flush a persistent ring after every this many messages (0: never). */
static unsigned flush_every;

/* How a stream is sent and received: one API for all, or each message (or
 * batch) by another in turn. */
enum api { API_COPY = 0, API_ZERO = 1, API_BATCH = 2, API_MIX = 3 };

#define BATCH_MAX 16

/* Send messages [first, first + count); returns 0, or the first error
 * (*sent then says how many went). pg, if not NULL, records progress. */
static int send_stream(mmf_ring *r, uint64_t first, uint64_t count, size_t size,
                       int api, long long timeout_ms, uint64_t *sent,
                       struct progress *pg)
{
    size_t max = mmf_ring_max_message(r);
    uint64_t seq = first, end = first + count, flushed = first;
    uint8_t *buf;
    int rc = 0;

    if (max > 4 * KIB && size == 0)
        max = 4 * KIB;
    CHECK((buf = malloc(size != 0 ? size : max)) != NULL);
    while (seq < end) {
        int how = api == API_MIX ? (int)(mix64(seq) % 3) : api;
        if (how == API_COPY) {
            size_t len = msg_len(seq, size, max);
            fill(buf, len, seq);
            if (pg != NULL)
                set_u64(&pg->committing, seq + 1);
            if ((rc = mmf_ring_send(r, buf, len, timeout_ms)) < 0) {
                if (pg != NULL)
                    set_u64(&pg->committing, seq);
                break;
            }
            seq++;
        } else if (how == API_ZERO) {
            size_t len = msg_len(seq, size, max);
            void *p;
            if ((rc = mmf_ring_reserve(r, len, &p, timeout_ms)) < 0)
                break;
            fill(p, len, seq);
            if (pg != NULL)
                set_u64(&pg->committing, seq + 1);
            CHECK_OK(mmf_ring_commit(r, len));
            seq++;
        } else {
            mmf_msg m[BATCH_MAX];
            size_t n = end - seq < BATCH_MAX ? (size_t)(end - seq) : BATCH_MAX;
            n = 1 + (size_t)(mix64(seq * 7) % n);
            for (size_t i = 0; i < n; i++)
                m[i].len = msg_len(seq + i, size, max);
            if ((rc = mmf_ring_reserve_batch(r, m, n, timeout_ms)) < 0)
                break;
            CHECK(rc >= 1 && (size_t)rc <= n);
            for (int i = 0; i < rc; i++)
                fill(m[i].data, m[i].len, seq + (uint64_t)i);
            if (pg != NULL)
                set_u64(&pg->committing, seq + (uint64_t)rc);
            CHECK_OK(mmf_ring_commit_batch(r, (size_t)rc));
            seq += (uint64_t)rc;
            rc = 0;
        }
        if (pg != NULL)
            set_u64(&pg->sent, seq);
        if (flush_every != 0 && seq - flushed >= flush_every) {
            CHECK_OK(mmf_ring_flush(r));
            flushed = seq;
        }
    }
    free(buf);
    if (sent != NULL)
        *sent = seq - first;
    return rc;
}

/* Consumer: release n messages, which brings the oldest unreleased to
 * `next`, recording it in pg. */
static void release_to(mmf_ring *r, size_t n, uint64_t next, struct progress *pg)
{
    if (pg != NULL)
        set_u64(&pg->releasing, next);
    CHECK_OK(mmf_ring_release(r, n));
    if (pg != NULL)
        set_u64(&pg->done, next);
}

/*
 * Receive and check messages [first, first + count): returns 0, -1 on a
 * bad message, or the first error (*got says how many were good). pg, if
 * not NULL, records progress.
 */
static int recv_stream(mmf_ring *r, uint64_t first, uint64_t count, size_t size,
                       int api, long long timeout_ms, uint64_t *got,
                       struct progress *pg)
{
    size_t max = mmf_ring_max_message(r);
    size_t cap;
    uint64_t seq = first, end = first + count;
    uint8_t *buf;
    int rc = 0;

    if (max > 4 * KIB && size == 0)
        max = 4 * KIB;
    cap = size != 0 ? size : max;
    CHECK((buf = malloc(cap)) != NULL);
    while (seq < end) {
        int how = api == API_MIX ? (int)(mix64(seq ^ 0xabcdef) % 3) : api;
        if (how == API_COPY) {
            size_t len = 0;
            if (pg != NULL)
                set_u64(&pg->releasing, seq + 1);
            if ((rc = mmf_ring_recv(r, buf, cap, &len, timeout_ms)) < 0) {
                if (pg != NULL)
                    set_u64(&pg->releasing, seq);
                break;
            }
            if (pg != NULL)
                set_u64(&pg->done, seq + 1);
            if (len != msg_len(seq, size, max) || check_msg(buf, len, seq) < 0) {
                rc = -1;
                break;
            }
            seq++;
        } else if (how == API_ZERO) {
            mmf_msg m;
            if ((rc = mmf_ring_peek(r, &m, timeout_ms)) < 0)
                break;
            if (m.len != msg_len(seq, size, max) || check_msg(m.data, m.len, seq) < 0) {
                rc = -1;
                break;
            }
            seq++;
            release_to(r, 1, seq, pg);
        } else {
            mmf_msg m[BATCH_MAX];
            size_t n = 1 + (size_t)(mix64(seq * 13) % BATCH_MAX);
            if (n > end - seq)
                n = (size_t)(end - seq);
            if ((rc = mmf_ring_peek_batch(r, m, n, timeout_ms)) < 0)
                break;
            CHECK(rc >= 1 && (size_t)rc <= n);
            for (int i = 0; i < rc; i++) {
                if (m[i].len != msg_len(seq + (uint64_t)i, size, max) ||
                    check_msg(m[i].data, m[i].len, seq + (uint64_t)i) < 0) {
                    seq += (uint64_t)i;
                    rc = -1;
                    goto out;
                }
            }
            /* Release in two steps now and then, to use partial release. */
            if (rc > 1 && (seq & 1)) {
                release_to(r, 1, seq + 1, pg);
                release_to(r, (size_t)rc - 1, seq + (uint64_t)rc, pg);
            } else {
                release_to(r, (size_t)rc, seq + (uint64_t)rc, pg);
            }
            seq += (uint64_t)rc;
            rc = 0;
        }
    }
out:
    free(buf);
    if (got != NULL)
        *got = seq - first;
    return rc;
}

/*
 * The ring granule: a ring's least capacity, the multiple its capacity is
 * rounded up to, and the size of its control block (a persistent ring's
 * area starts there in its file). Both halves of the doubly mapped area
 * and the control block are views, so they start at multiples of the
 * allocation granularity: 4096 on Linux (the page size, where it is
 * larger), 64 KiB on Windows.
 */
static uint64_t ring_granule(void)
{
    uint64_t g = mmf_allocation_granularity();
    return g > 4096 ? g : 4096;
}

/* The capacity a ring asked for with `cap` gets. */
static uint64_t ring_cap(uint64_t cap)
{
    return cap < ring_granule() ? ring_granule() : cap;
}

/* ------------------------------------------------------------------------ */
/* Create, open, close                                                       */
/* ------------------------------------------------------------------------ */

TEST(create_open_errors)
{
    mmf_ring *p, *c, *x;
    mmf_section *s;
    mmf_sync *m;
    mmf_channel_opts bad = {0x80, 0, NULL}, mode = {0, 01000, NULL};
    const char *n = test_name("r");

    /* Geometry. */
    CHECK_RC(mmf_ring_create(&p, n, 0, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 2048, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 4097, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 3 * 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, UINT64_C(1) << 41, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, UINT64_MAX, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    /* Role, disposition, options, name. */
    CHECK_RC(mmf_ring_create(&p, n, 4096, 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 4096, 3, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, 0, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, 7, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &bad), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &mode), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, NULL, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, "", 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_create(&p, "Local\\", 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL),
             MMF_EBADNAME);
    CHECK_RC(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL), MMF_ENOENT);
    CHECK_RC(mmf_ring_open(&p, NULL, MMF_ROLE_PRODUCER, NULL), MMF_EINVAL);
    CHECK_RC(mmf_ring_open(&p, "", MMF_ROLE_PRODUCER, NULL), MMF_EINVAL);
    CHECK_EQ(test_store_count(n), 0);

    /* Create; the existing ring's capacity wins. */
    CHECK_RC(mmf_ring_create(&p, n, 8192, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL), 0);
    CHECK_EQ(mmf_ring_max_message(p), ring_cap(8192) - 16);
    CHECK_RC(mmf_ring_create(&x, n, 8192, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL), MMF_EEXIST);
    CHECK_RC(mmf_ring_create(&c, n, 1 << 20, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL),
             MMF_EXISTED);
    CHECK_EQ(mmf_ring_max_message(c), ring_cap(8192) - 16);
    /* One producer, one consumer. */
    CHECK_RC(mmf_ring_open(&x, n, MMF_ROLE_PRODUCER, NULL), MMF_EBUSY);
    CHECK_RC(mmf_ring_open(&x, n, MMF_ROLE_CONSUMER, NULL), MMF_EBUSY);
    CHECK_RC(mmf_ring_create(&x, n, 8192, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL), MMF_EBUSY);
    CHECK_RC(mmf_ring_open(&x, n, 0, NULL), MMF_EINVAL);
    /* A closed role can be taken again. */
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
    /* The last endpoint removed the name. */
    CHECK_EQ(test_store_count(n), 0);
    CHECK_RC(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL), MMF_ENOENT);

    /* Other types of object under the name. */
    CHECK_OK(mmf_section_create(&s, n, 4096, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL), MMF_ETYPE);
    CHECK_RC(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL), MMF_ETYPE);
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_mutex_create(&m, n, 0, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL), MMF_ETYPE);
    CHECK_OK(mmf_sync_close(m));
    /* And a ring under a section's name. */
    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_section_open(&s, n, MMF_ACCESS_READ), MMF_ETYPE);
    CHECK_OK(mmf_ring_close(p));
}

TEST(capacity_limits)
{
    mmf_ring *p, *c;
    void *ptr;
    mmf_msg m;
    mmf_channel_info ci;
    const char *n = test_name("r");
    const size_t big = (size_t)ring_granule() - 16;

    /* The smallest ring (asked for 4096 bytes, given a granule) carries a
     * message that fills it. */
    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_channel_stat(n, &ci));
    CHECK_EQ(ci.capacity, ring_granule());
    CHECK_EQ(mmf_ring_max_message(p), big);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(mmf_ring_reserve(p, big, &ptr, 0));
        fill(ptr, big, (uint64_t)i);
        CHECK_OK(mmf_ring_commit(p, big));
        /* Full: not even one byte more. */
        CHECK_RC(mmf_ring_reserve(p, 1, &ptr, 0), MMF_EAGAIN);
        CHECK_OK(mmf_ring_peek(c, &m, 0));
        CHECK_EQ(m.len, big);
        CHECK_OK(check_msg(m.data, m.len, (uint64_t)i));
        CHECK_OK(mmf_ring_release(c, 1));
        /* Move the start by one small record, so the next big one wraps. */
        CHECK_OK(mmf_ring_send(p, "x", 1, 0));
        CHECK_OK(mmf_ring_peek(c, &m, 0));
        CHECK_OK(mmf_ring_release(c, 1));
    }
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));

    /* A larger one: a message as large as it can take, across the end. */
    CHECK_OK(mmf_ring_create(&p, n, 64 * MIB, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_EQ(mmf_ring_max_message(p), 64 * MIB - 16);
    CHECK_OK(mmf_ring_send(p, "x", 1, 0));
    CHECK_OK(mmf_ring_recv(c, &(char){0}, 1, &(size_t){0}, 0));
    CHECK_OK(mmf_ring_reserve(p, 64 * MIB - 16, &ptr, 0));
    fill(ptr, 64 * MIB - 16, 7);
    CHECK_OK(mmf_ring_commit(p, 64 * MIB - 16));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_EQ(m.len, 64 * MIB - 16);
    CHECK_OK(check_msg(m.data, m.len, 7));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
}

TEST(role_and_argument_errors)
{
    mmf_ring *p, *c;
    mmf_msg m[4];
    void *ptr;
    char buf[64];
    size_t len;
    const char *n = test_name("r");

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL), MMF_EXISTED);

    /* A role's calls on the other role. */
    CHECK_RC(mmf_ring_peek(p, &m[0], 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_peek_batch(p, m, 4, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_release(p, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_recv(p, buf, sizeof buf, &len, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_reserve(c, 8, &ptr, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_commit(c, 8), MMF_EINVAL);
    m[0].len = 8;
    CHECK_RC(mmf_ring_reserve_batch(c, m, 1, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_commit_batch(c, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_send(c, "abc", 3, 0), MMF_EINVAL);

    /* Producer. */
    CHECK_RC(mmf_ring_reserve(p, 0, &ptr, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_reserve(p, ring_granule() - 15, &ptr, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, -2), MMF_EINVAL);
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, MMF_TIMEOUT_MAX + 1), MMF_EINVAL);
    CHECK_RC(mmf_ring_send(p, "abc", 0, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_commit(p, 8), MMF_EINVAL);          /* nothing reserved */
    CHECK_RC(mmf_ring_commit_batch(p, 1), MMF_EINVAL);
    CHECK_RC(mmf_ring_commit_batch(p, 0), MMF_EINVAL);
    CHECK_OK(mmf_ring_reserve(p, 8, &ptr, 0));
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, 0), MMF_EINVAL); /* one pending */
    CHECK_RC(mmf_ring_reserve_batch(p, m, 1, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_send(p, "abc", 3, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_commit(p, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_commit(p, 9), MMF_EINVAL);          /* more than reserved */
    CHECK_RC(mmf_ring_commit_batch(p, 2), MMF_EINVAL);
    memcpy(ptr, "12345678", 8);
    CHECK_OK(mmf_ring_commit(p, 5));                      /* shorter is fine */
    CHECK_RC(mmf_ring_commit(p, 5), MMF_EINVAL);
    m[0].len = 8;
    m[1].len = 0;
    CHECK_RC(mmf_ring_reserve_batch(p, m, 2, 0), MMF_EINVAL);
    m[1].len = ring_granule();
    CHECK_RC(mmf_ring_reserve_batch(p, m, 2, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_reserve_batch(p, m, 0, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_reserve_batch(p, m, 1, -5), MMF_EINVAL);

    /* Consumer. */
    CHECK_RC(mmf_ring_peek(c, &m[0], -2), MMF_EINVAL);
    CHECK_RC(mmf_ring_peek_batch(c, m, 0, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, MMF_TIMEOUT_MAX + 1), MMF_EINVAL);
    CHECK_RC(mmf_ring_release(c, 1), MMF_EINVAL);          /* nothing peeked */
    CHECK_OK(mmf_ring_release(c, 0));
    CHECK_OK(mmf_ring_peek(c, &m[0], 0));
    CHECK_EQ(m[0].len, 5);
    CHECK(memcmp(m[0].data, "12345", 5) == 0);
    CHECK_RC(mmf_ring_release(c, 2), MMF_EINVAL);
    /* recv while a message is peeked would release the wrong one. */
    CHECK_OK(mmf_ring_send(p, "abc", 3, 0));
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, 0), MMF_EINVAL);
    CHECK_OK(mmf_ring_release(c, 1));
    /* Too small a buffer: the length is told and the message stays. */
    len = 0;
    CHECK_RC(mmf_ring_recv(c, buf, 2, &len, 0), MMF_EOVERFLOW);
    CHECK_EQ(len, 3);
    CHECK_RC(mmf_ring_recv(c, NULL, 0, &len, 0), MMF_EOVERFLOW);
    CHECK_OK(mmf_ring_recv(c, buf, 3, &len, 0));
    CHECK_EQ(len, 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);

    /* Flush of an in-memory ring does nothing, on either side. */
    CHECK_OK(mmf_ring_flush(p));
    CHECK_OK(mmf_ring_flush(c));
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
}

/* Closing drops a pending reservation; messages peeked and not released
 * come again to the next consumer. */
TEST(close_and_reattach)
{
    mmf_ring *p, *c;
    mmf_msg m;
    void *ptr;
    const char *n = test_name("r");

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL), MMF_EXISTED);
    for (uint64_t i = 0; i < 5; i++) {
        char b[40];
        fill(b, sizeof b, i);
        CHECK_OK(mmf_ring_send(p, b, sizeof b, 0));
    }
    CHECK_OK(mmf_ring_reserve(p, 100, &ptr, 0));
    memset(ptr, 0xee, 100);
    CHECK_OK(mmf_ring_close(p));   /* the reservation is dropped */

    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 0));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 1));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 2));
    CHECK_OK(mmf_ring_close(c));   /* 1 and 2 were peeked, not released */

    /* The producer is gone, so the ring lives on only while someone holds
     * it: reopen before the last endpoint closed. */
    CHECK_RC(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL), MMF_EXISTED);
    for (uint64_t i = 0; i < 3; i++) {
        char b[40];
        fill(b, sizeof b, i);
        CHECK_OK(mmf_ring_send(p, b, sizeof b, 0));
    }
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 1));  /* again */
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 2));
    CHECK_OK(mmf_ring_release(c, 2));
    /* A new producer continues after the old one's last commit. */
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    {
        char b[40];
        fill(b, sizeof b, 3);
        CHECK_OK(mmf_ring_send(p, b, sizeof b, 0));
    }
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 3));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_close(c));
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */
/* ------------------------------------------------------------------------ */

/* Run fn(arg) in a thread. */
struct thread {
    pthread_t t;
    int (*fn)(void *);
    void *arg;
    int rc;
    int done; /* set when fn has returned */
};

static void *thread_main(void *p)
{
    struct thread *t = p;
    t->rc = t->fn(t->arg);
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void thread_start(struct thread *t, int (*fn)(void *), void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->rc = -1000;
    t->done = 0;
    CHECK(pthread_create(&t->t, NULL, thread_main, t) == 0);
}

static int thread_join(struct thread *t)
{
    CHECK(pthread_join(t->t, NULL) == 0);
    return t->rc;
}

/* Sleep 200 ms, then send one 8-byte message. */
static int send_later(void *arg)
{
    test_sleep_ms(200);
    return mmf_ring_send(arg, "12345678", 8, 0);
}

/* Sleep 200 ms, then receive one message. */
static int recv_later(void *arg)
{
    mmf_msg m;
    int rc;
    test_sleep_ms(200);
    if ((rc = mmf_ring_peek(arg, &m, 0)) < 0)
        return rc;
    return mmf_ring_release(arg, 1);
}

/* Fill the ring so that not even a 1-byte message fits. */
static void fill_up(mmf_ring *p)
{
    void *ptr;
    while (mmf_ring_reserve(p, 100, &ptr, 0) == 0)
        CHECK_OK(mmf_ring_commit(p, 100));
    while (mmf_ring_reserve(p, 1, &ptr, 0) == 0)
        CHECK_OK(mmf_ring_commit(p, 1));
}

TEST(try_timed_blocking)
{
    mmf_ring *p, *c;
    mmf_msg m;
    void *ptr;
    size_t len;
    char buf[128] = {0};
    uint64_t t0;
    struct thread t;
    const char *n = test_name("r");

    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    /* No producer yet: calls wait (no MMF_EPIPE before a peer came). */
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, 0), MMF_EAGAIN);
    CHECK_RC(mmf_ring_peek_batch(c, &m, 1, 0), MMF_EAGAIN);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_peek(c, &m, 100), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 100 && elapsed_ms(t0) < 5000);
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_peek_batch(c, &m, 1, 50), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 50);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, 50), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 50);

    /* Blocking and timed consumers wake when a message comes. */
    thread_start(&t, send_later, p);
    t0 = test_now_ns();
    CHECK_OK(mmf_ring_peek(c, &m, MMF_INFINITE));
    CHECK(elapsed_ms(t0) >= 150 && elapsed_ms(t0) < 5000);
    CHECK_OK(thread_join(&t));
    CHECK_EQ(m.len, 8);
    CHECK_OK(mmf_ring_release(c, 1));
    thread_start(&t, send_later, p);
    CHECK_OK(mmf_ring_recv(c, buf, sizeof buf, &len, 10000));
    CHECK_OK(thread_join(&t));
    CHECK(len == 8 && memcmp(buf, "12345678", 8) == 0);

    /* A full ring: try, timed, and blocking until the consumer frees. */
    fill_up(p);
    CHECK_RC(mmf_ring_reserve(p, 100, &ptr, 0), MMF_EAGAIN);
    CHECK_RC(mmf_ring_send(p, buf, 100, 0), MMF_EAGAIN);
    m.len = 100;
    CHECK_RC(mmf_ring_reserve_batch(p, &m, 1, 0), MMF_EAGAIN);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_reserve(p, 100, &ptr, 100), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 100);
    thread_start(&t, recv_later, c);
    t0 = test_now_ns();
    CHECK_OK(mmf_ring_reserve(p, 100, &ptr, MMF_INFINITE));
    CHECK(elapsed_ms(t0) >= 150 && elapsed_ms(t0) < 5000);
    CHECK_OK(thread_join(&t));
    CHECK_OK(mmf_ring_commit(p, 100));
    thread_start(&t, recv_later, c);
    CHECK_OK(mmf_ring_send(p, buf, 100, 10000));
    CHECK_OK(thread_join(&t));
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_close(c));
}

/* A sleeping wait uses almost no CPU; a busy-poll one spins. */
static int peek_300ms(void *arg)
{
    mmf_msg m;
    return mmf_ring_peek(arg, &m, 300);
}

TEST(sleeping_and_busy_poll)
{
    mmf_ring *p, *c, *cb;
    mmf_channel_opts busy = {MMF_CHANNEL_BUSY_POLL, 0, NULL};
    struct thread t;
    long long cpu;
    uint64_t t0;
    mmf_msg m;
    const char *n = test_name("r");

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    cpu = test_cpu_us();
    CHECK_RC(peek_300ms(c), MMF_ETIMEDOUT);
    cpu = test_cpu_us() - cpu;
    /* Spin 20 us, then sleep: a few ms of CPU at most, even on a slow,
     * busy machine. */
    CHECK(cpu < 60000);
    CHECK_OK(mmf_ring_close(c));

    CHECK_OK(mmf_ring_open(&cb, n, MMF_ROLE_CONSUMER, &busy));
    t0 = test_now_ns();
    cpu = test_cpu_us();
    CHECK_RC(peek_300ms(cb), MMF_ETIMEDOUT);
    cpu = test_cpu_us() - cpu;
    /* It spun the whole time (the scheduler may have lent the core to
     * others for part of it). */
    CHECK(cpu > (long long)elapsed_ms(t0) * 1000 / 4);
    /* And it still receives, without sleeping. */
    thread_start(&t, send_later, p);
    CHECK_OK(mmf_ring_peek(cb, &m, MMF_INFINITE));
    CHECK_OK(thread_join(&t));
    CHECK_OK(mmf_ring_release(cb, 1));
    CHECK_OK(mmf_ring_close(cb));
    CHECK_OK(mmf_ring_close(p));
}

/* ------------------------------------------------------------------------ */
/* Contiguity, batches                                                       */
/* ------------------------------------------------------------------------ */

/* The bytes a record of a len-byte message takes in the area. */
static uint64_t rec_size(size_t len)
{
    return MMF__RING_REC_HDR + ((len + 7) & ~(size_t)7);
}

TEST(wrap_around_contiguity)
{
    mmf_ring *p, *c;
    mmf_channel_info ci;
    const char *n = test_name("r");
    const uint64_t cap = ring_granule();
    uint64_t seq = 0, rseq = 0, pos = 0;
    int wrapped = 0;

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    /* Every length from 1 to 1500 at every alignment: many records run
     * across the end of the area, and each must read back as written
     * from one contiguous pointer. pos is the producer's position. */
    for (size_t len = 1; len <= 1500; len++) {
        void *ptr;
        mmf_msg m;
        /* A ring larger than 4 KiB (Windows: 64 KiB) first takes a
         * skip message that moves the position by whole 4 KiB blocks to
         * the last 4 KiB of the lap: every record then meets the end of
         * the area at the offset it meets it in a ring of 4 KiB. */
        if (pos % cap < cap - 4096) {
            uint64_t skip = (cap - 4096 - pos % cap + 4095) / 4096 * 4096;
            CHECK_OK(mmf_ring_reserve(p, (size_t)(skip - MMF__RING_REC_HDR), &ptr, 0));
            CHECK_OK(mmf_ring_commit(p, (size_t)(skip - MMF__RING_REC_HDR)));
            CHECK_OK(mmf_ring_peek(c, &m, 0));
            CHECK_EQ(m.len, skip - MMF__RING_REC_HDR);
            CHECK_OK(mmf_ring_release(c, 1));
            pos += skip;
        }
        CHECK_OK(mmf_ring_reserve(p, len, &ptr, 0));
        fill(ptr, len, seq);
        CHECK_OK(mmf_ring_commit(p, len));
        seq++;
        CHECK_OK(mmf_ring_peek(c, &m, 0));
        CHECK_EQ(m.len, len);
        CHECK_OK(check_msg(m.data, m.len, rseq));
        /* The area starts at a multiple of its size (a view's base). */
        CHECK_EQ(((uintptr_t)m.data - MMF__RING_REC_HDR) % cap, pos % cap);
        if (pos % cap + MMF__RING_REC_HDR + len > cap)
            wrapped++;
        CHECK_EQ((uintptr_t)m.data % 8, 0);
        rseq++;
        pos += rec_size(len);
        CHECK_OK(mmf_ring_release(c, 1));
        /* An odd-sized filler so the next record starts elsewhere. */
        CHECK_OK(mmf_ring_send(p, "abcdefghijklmnopqrstuvwxyz", 1 + len % 23, 0));
        CHECK_OK(mmf_ring_peek(c, &m, 0));
        CHECK_EQ(m.len, 1 + len % 23);
        CHECK(memcmp(m.data, "abcdefghijklmnopqrstuvwxyz", m.len) == 0);
        CHECK_OK(mmf_ring_release(c, 1));
        pos += rec_size(1 + len % 23);
    }
    CHECK(wrapped > 100);
    CHECK_OK(mmf_channel_stat(n, &ci));
    CHECK_EQ(ci.produced, pos);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
}

TEST(batches)
{
    mmf_ring *p, *c;
    mmf_msg *m, in[64];
    const char *n = test_name("r");
    /* More records of 100 bytes (112 with header and padding) than fit in
     * the smallest ring, with the 8 bytes kept for the end mark: 36 of 64
     * in 4 KiB, 585 of 613 in 64 KiB (Windows). */
    const size_t fit = (size_t)((ring_granule() - 8) / 112), nm = fit + 28;
    int k;

    CHECK((m = calloc(nm, sizeof *m)) != NULL);
    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));

    for (size_t i = 0; i < nm; i++)
        m[i].len = 100;
    k = mmf_ring_reserve_batch(p, m, nm, 0);
    CHECK_EQ(k, fit);
    for (int i = 0; i < k; i++) {
        fill(m[i].data, 100, (uint64_t)i);
        if (i > 0)
            CHECK((uint8_t *)m[i].data == (uint8_t *)m[i - 1].data + 112);
    }
    /* Nothing is seen before the commit. */
    CHECK_RC(mmf_ring_peek(c, &in[0], 0), MMF_EAGAIN);
    /* Commit the first 10; the rest of the reservation is dropped. */
    CHECK_OK(mmf_ring_commit_batch(p, 10));
    CHECK_RC(mmf_ring_commit_batch(p, 0), MMF_EINVAL);
    CHECK_EQ(mmf_ring_peek_batch(c, in, 64, 0), 10);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(in[i].len, 100);
        CHECK_OK(check_msg(in[i].data, 100, (uint64_t)i));
    }
    CHECK_RC(mmf_ring_peek_batch(c, in, 64, 0), MMF_EAGAIN);
    /* Partial releases, oldest first. */
    CHECK_RC(mmf_ring_release(c, 11), MMF_EINVAL);
    CHECK_OK(mmf_ring_release(c, 3));
    CHECK_OK(mmf_ring_release(c, 7));
    CHECK_RC(mmf_ring_release(c, 1), MMF_EINVAL);

    /* A cancelled batch publishes nothing and frees its room. */
    k = mmf_ring_reserve_batch(p, m, 64, 0);
    CHECK(k > 0);
    CHECK_OK(mmf_ring_commit_batch(p, 0));
    CHECK_RC(mmf_ring_peek(c, &in[0], 0), MMF_EAGAIN);

    /* Mixed lengths, a single reserve committed with commit_batch, and a
     * one-message batch committed with commit. */
    for (int i = 0; i < 5; i++)
        m[i].len = (size_t)(1 + i * 37);
    CHECK_EQ(mmf_ring_reserve_batch(p, m, 5, 0), 5);
    for (int i = 0; i < 5; i++)
        fill(m[i].data, m[i].len, (uint64_t)(100 + i));
    CHECK_OK(mmf_ring_commit_batch(p, 5));
    {
        void *ptr;
        CHECK_OK(mmf_ring_reserve(p, 50, &ptr, 0));
        fill(ptr, 50, 105);
        CHECK_OK(mmf_ring_commit_batch(p, 1));
        m[0].len = 60;
        CHECK_EQ(mmf_ring_reserve_batch(p, m, 1, 0), 1);
        fill(m[0].data, 40, 106);
        CHECK_OK(mmf_ring_commit(p, 40));
    }
    CHECK_EQ(mmf_ring_peek_batch(c, in, 3, 0), 3);
    CHECK_EQ(mmf_ring_peek_batch(c, in + 3, 64, 0), 4);
    for (int i = 0; i < 7; i++) {
        CHECK_EQ(in[i].len, i < 5 ? (size_t)(1 + i * 37) : i == 5 ? 50 : 40);
        CHECK_OK(check_msg(in[i].data, in[i].len, (uint64_t)(100 + i)));
    }
    CHECK_OK(mmf_ring_release(c, 7));

    /* A batch waits for room for its first message only, then takes as
     * many as fit. */
    fill_up(p);
    m[0].len = 8;
    CHECK_RC(mmf_ring_reserve_batch(p, m, 1, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_peek(c, &in[0], 0));
    CHECK_OK(mmf_ring_release(c, 1));
    for (int i = 0; i < 8; i++)
        m[i].len = 8;
    k = mmf_ring_reserve_batch(p, m, 8, 0);
    /* 112 bytes freed plus what was left (less than 16), 16 per record */
    CHECK_EQ(k, 7);
    CHECK_OK(mmf_ring_commit_batch(p, (size_t)k));
    CHECK_RC(mmf_ring_reserve_batch(p, m, 1, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
    free(m);
}

/* ------------------------------------------------------------------------ */
/* Peers leaving (in one process)                                            */
/* ------------------------------------------------------------------------ */

static int peek_forever(void *arg)
{
    mmf_msg m;
    return mmf_ring_peek(arg, &m, MMF_INFINITE);
}

static int reserve_forever(void *arg)
{
    void *p;
    return mmf_ring_reserve(arg, 100, &p, MMF_INFINITE);
}

TEST(peer_gone_after_close)
{
    mmf_ring *p, *c;
    mmf_msg m;
    void *ptr;
    struct thread t;
    uint64_t t0;
    const char *n = test_name("r");

    /* The producer leaves: the consumer first drains, then MMF_EPIPE, for
     * every form of wait. */
    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_send(p, "one", 3, 0));
    CHECK_OK(mmf_ring_send(p, "two", 3, 0));
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(mmf_ring_peek(c, &m, MMF_INFINITE));
    CHECK(memcmp(m.data, "two", 3) == 0);
    CHECK_OK(mmf_ring_release(c, 2));
    /* (A try may say MMF_EAGAIN for up to a millisecond after the peer
     * left, so the first look waits.) */
    CHECK_RC(mmf_ring_peek(c, &m, 1000), MMF_EPIPE);
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EPIPE);
    CHECK_RC(mmf_ring_peek_batch(c, &m, 1, MMF_INFINITE), MMF_EPIPE);
    /* A new producer: waiting again, then messages. */
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_send(p, "three", 5, 0));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK(m.len == 5 && memcmp(m.data, "three", 5) == 0);
    CHECK_OK(mmf_ring_release(c, 1));
    /* A consumer asleep when the producer leaves wakes up promptly. */
    thread_start(&t, peek_forever, c);
    test_sleep_ms(100);
    t0 = test_now_ns();
    CHECK_OK(mmf_ring_close(p));
    CHECK_RC(thread_join(&t), MMF_EPIPE);
    CHECK(elapsed_ms(t0) < 1000);

    /* The consumer leaves: the producer still sends while there is room,
     * and gets MMF_EPIPE when it would wait. */
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_send(p, "four", 4, 0));
    fill_up(p);
    CHECK_RC(mmf_ring_reserve(p, 100, &ptr, MMF_INFINITE), MMF_EPIPE);
    CHECK_RC(mmf_ring_reserve(p, 100, &ptr, 0), MMF_EPIPE);
    CHECK_RC(mmf_ring_send(p, "x", 1, 200), MMF_EPIPE);
    /* A producer asleep when the consumer leaves wakes up. */
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    thread_start(&t, reserve_forever, p);
    test_sleep_ms(100);
    t0 = test_now_ns();
    CHECK_OK(mmf_ring_close(c));
    CHECK_RC(thread_join(&t), MMF_EPIPE);
    CHECK(elapsed_ms(t0) < 1000);
    /* A new consumer gets what the old one left, from "four" on. */
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK(m.len == 4 && memcmp(m.data, "four", 4) == 0);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
}

/* ------------------------------------------------------------------------ */
/* Traffic between two processes                                             */
/* ------------------------------------------------------------------------ */

static struct progress *progress_map(const char *name, mmf_section **s, int create)
{
    void *p = NULL;
    if (create)
        CHECK_OK(mmf_section_create(s, name, 4096, MMF_CREATE_NEW, NULL));
    else
        CHECK_OK(mmf_section_open(s, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_view_map(*s, MMF_MAP_WRITE, 0, 0, 0, &p));
    return p;
}

/*
 * argv: name capacity first end size api busy progress-name|- path|-
 * Sends messages [first, end) and closes; `first` "p" means pg->sent.
 */
HELPER(producer)
{
    mmf_channel_opts o = {0, 0, NULL};
    struct progress *pg = NULL;
    mmf_section *s = NULL;
    mmf_ring *r;
    uint64_t first, sent = 0;
    int rc;

    CHECK(argc == 9);
    test_die_with_parent();
    o.flags = atoi(argv[6]) ? MMF_CHANNEL_BUSY_POLL : 0;
    if (strcmp(argv[8], "-") != 0) {
        o.path = argv[8];
        flush_every = 1000;
    }
    if (strcmp(argv[7], "-") != 0)
        pg = progress_map(argv[7], &s, 0);
    rc = mmf_ring_create(&r, argv[0], strtoull(argv[1], NULL, 0), MMF_ROLE_PRODUCER,
                         MMF_OPEN_OR_CREATE, &o);
    if (rc < 0) {
        fprintf(stderr, "producer: create: %s\n", mmf_err_name(rc));
        return 20;
    }
    first = strcmp(argv[2], "p") == 0 ? get_u64(&pg->sent) : strtoull(argv[2], NULL, 0);
    if (pg != NULL)
        __atomic_fetch_add(&pg->attached, 1, __ATOMIC_SEQ_CST);
    rc = send_stream(r, first, strtoull(argv[3], NULL, 0) - first, (size_t)atol(argv[4]),
                     atoi(argv[5]), MMF_INFINITE, &sent, pg);
    if (rc == MMF_EPIPE && pg != NULL)
        set_u64(&pg->epipe, 1);
    if (rc < 0) {
        fprintf(stderr, "producer: sent %llu, then %s\n", (unsigned long long)sent,
                mmf_err_name(rc));
        return 21;
    }
    if (o.path != NULL)
        CHECK_OK(mmf_ring_flush(r));
    CHECK_OK(mmf_ring_close(r));
    return 0;
}

/*
 * argv: name capacity first end size api busy progress-name|- path|-
 * ready-fd: receives and checks messages [first, end). `first` "p" means
 * where a killed consumer stopped: the first message must then be
 * pg->done or pg->releasing (the release it was making may or may not
 * have happened), and the stream goes on from there.
 */
HELPER(consumer)
{
    mmf_channel_opts o = {0, 0, NULL};
    struct progress *pg = NULL;
    mmf_section *s = NULL;
    mmf_ring *r;
    uint64_t first, end, got = 0;
    size_t size;
    int rc;

    CHECK(argc == 10);
    test_die_with_parent();
    o.flags = atoi(argv[6]) ? MMF_CHANNEL_BUSY_POLL : 0;
    if (strcmp(argv[8], "-") != 0)
        o.path = argv[8];
    if (strcmp(argv[7], "-") != 0)
        pg = progress_map(argv[7], &s, 0);
    end = strtoull(argv[3], NULL, 0);
    size = (size_t)atol(argv[4]);
    rc = mmf_ring_create(&r, argv[0], strtoull(argv[1], NULL, 0), MMF_ROLE_CONSUMER,
                         MMF_OPEN_OR_CREATE, &o);
    if (rc < 0) {
        fprintf(stderr, "consumer: create: %s\n", mmf_err_name(rc));
        return 20;
    }
    if (pg != NULL)
        __atomic_fetch_add(&pg->attached, 1, __ATOMIC_SEQ_CST);
    test_sync_signal(atoi(argv[9]));
    if (strcmp(argv[2], "p") == 0) {
        uint64_t done = get_u64(&pg->done), releasing = get_u64(&pg->releasing);
        mmf_msg m;
        CHECK(size >= 8);
        if ((rc = mmf_ring_peek(r, &m, MMF_INFINITE)) < 0) {
            fprintf(stderr, "consumer: first peek: %s\n", mmf_err_name(rc));
            return 22;
        }
        memcpy(&first, m.data, 8);
        if ((first != done && first != releasing) || m.len != size ||
            check_msg(m.data, m.len, first) < 0) {
            fprintf(stderr, "consumer: first message %llu, expected %llu or %llu\n",
                    (unsigned long long)first, (unsigned long long)done,
                    (unsigned long long)releasing);
            set_u64(&pg->bad, 1);
            return 23;
        }
        set_u64(&pg->done, first);
        set_u64(&pg->releasing, first);
        release_to(r, 1, first + 1, pg);
        first++;
    } else {
        first = strtoull(argv[2], NULL, 0);
    }
    rc = recv_stream(r, first, end - first, size, atoi(argv[5]), MMF_INFINITE, &got, pg);
    if (rc == -1 && pg != NULL)
        set_u64(&pg->bad, 1);
    if (rc == MMF_EPIPE && pg != NULL)
        set_u64(&pg->epipe, 1);
    if (rc < 0) {
        fprintf(stderr, "consumer: %llu good, then %s\n", (unsigned long long)got,
                rc == -1 ? "a bad message" : mmf_err_name(rc));
        return rc == -1 ? 24 : 25;
    }
    if (o.path != NULL)
        CHECK_OK(mmf_ring_flush(r));
    CHECK_OK(mmf_ring_close(r));
    return 0;
}

/* Start a consumer helper and wait until it attached. */
static pid_t start_consumer(const char *name, uint64_t cap, const char *first,
                            uint64_t end, size_t size, int api, int busy,
                            const char *progress, const char *path)
{
    struct test_sync sy;
    char fd[16];
    pid_t pid;

    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("consumer", name, test_num((long long)cap), first,
                     test_num((long long)end), test_num((long long)size), test_num(api),
                     test_num(busy), progress ? progress : "-", path ? path : "-", fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
    return pid;
}

static pid_t start_producer(const char *name, uint64_t cap, const char *first,
                            uint64_t end, size_t size, int api, int busy,
                            const char *progress, const char *path)
{
    return test_spawn("producer", name, test_num((long long)cap), first,
                      test_num((long long)end), test_num((long long)size), test_num(api),
                      test_num(busy), progress ? progress : "-", path ? path : "-", NULL);
}

/* count messages of `size` bytes (0: 1 to 4 KiB) from a producer process
 * to a consumer process, each side using `api`. */
static void traffic(uint64_t cap, uint64_t count, size_t size, int api, int busy)
{
    const char *n = test_name("r");
    pid_t c = start_consumer(n, cap, "0", count, size, api, busy, NULL, NULL);
    pid_t p = start_producer(n, cap, "0", count, size, api, busy, NULL, NULL);
    CHECK_EQ(test_wait(p), 0);
    CHECK_EQ(test_wait(c), 0);
    CHECK_EQ(test_store_count(n), 0);
}

/* At least 10 million messages in all across these cases. */
TEST_SLOW(traffic_8_bytes)
{
    traffic(64 * KIB, 5000000 / LOAD, 8, API_MIX, 0);
}

TEST_SLOW(traffic_64_bytes)
{
    traffic(256 * KIB, 3000000 / LOAD, 64, API_MIX, 0);
}

TEST_SLOW(traffic_64_bytes_busy_poll)
{
    traffic(256 * KIB, 1000000 / LOAD, 64, API_BATCH, 1);
}

TEST_SLOW(traffic_1_kib)
{
    traffic(1 * MIB, 1000000 / LOAD, 1 * KIB, API_MIX, 0);
}

TEST_SLOW(traffic_64_kib)
{
    traffic(1 * MIB, 30000 / LOAD, 64 * KIB, API_MIX, 0);
}

TEST_SLOW(traffic_1_mib)
{
    traffic(4 * MIB, 1500 / LOAD, 1 * MIB, API_MIX, 0);
}

TEST_SLOW(traffic_mixed_sizes)
{
    traffic(64 * KIB, 1000000 / LOAD, 0, API_MIX, 0);
}

/* A ring of one page: the two sides wait for each other all the time. */
TEST(traffic_small_ring)
{
    traffic(4096, 50000, 0, API_MIX, 0);
}

/* ------------------------------------------------------------------------ */
/* Killing either side                                                       */
/* ------------------------------------------------------------------------ */

/* A random number for test timing, from a seed printed once per case. */
static uint64_t rnd_state;

static void rnd_seed(void)
{
    rnd_state = (uint64_t)getpid() * 1000003u ^ test_now_ns();
    printf("seed %llu\n", (unsigned long long)rnd_state);
    fflush(stdout);
}

static uint64_t rnd(uint64_t n)
{
    rnd_state = rnd_state * UINT64_C(6364136223846793005) + 1442695040888963407u;
    return mix64(rnd_state) % n;
}

static void wait_attached(struct progress *pg, uint64_t count)
{
    uint64_t t0 = test_now_ns();
    while (get_u64(&pg->attached) < count) {
        CHECK(elapsed_ms(t0) < 30000);
        test_sleep_ms(1);
    }
}

/*
 * The producer is killed at random moments - while it sends, while it is
 * blocked on a full ring, in the middle of a batch - again and again. Each
 * time the consumer (this process) receives every message the dead one
 * committed, intact and in order, then MMF_EPIPE; a new producer then
 * continues the numbering.
 */
TEST_SLOW(kill_producer_repeatedly)
{
    const char *n = test_name("r"), *pn = test_name("pg");
    const uint64_t cap = 64 * KIB;
    mmf_section *s;
    struct progress *pg = progress_map(pn, &s, 1);
    mmf_ring *c;
    uint64_t next = 0;

    rnd_seed();
    CHECK_OK(mmf_ring_create(&c, n, cap, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    for (int round = 0; round < 30; round++) {
        uint64_t t0, run_ms = 5 + rnd(40), got;
        pid_t pid;
        int rc;

        set_u64(&pg->sent, next);
        set_u64(&pg->committing, next);
        set_u64(&pg->attached, 0);
        pid = start_producer(n, cap, test_num((long long)next), UINT64_C(1) << 60, 0,
                             API_MIX, 0, pn, NULL);
        wait_attached(pg, 1);
        /* Receive for a while; in one round of three stop receiving for
         * the last part, so the producer is blocked on a full ring. */
        t0 = test_now_ns();
        while ((uint64_t)elapsed_ms(t0) < run_ms) {
            rc = recv_stream(c, next, 1 + rnd(50), 0, API_MIX, 5000, &got, NULL);
            next += got;
            CHECK_OK(rc);
        }
        if (round % 3 == 0)
            test_sleep_ms(20);
        kill(pid, SIGKILL);
        CHECK_EQ(test_wait(pid), 128 + SIGKILL);
        /* Drain: everything committed arrives, then MMF_EPIPE, at once. */
        t0 = test_now_ns();
        do {
            rc = recv_stream(c, next, 1, 0, API_MIX, 10000, &got, NULL);
            next += got;
        } while (rc == 0);
        CHECK_RC(rc, MMF_EPIPE);
        CHECK(elapsed_ms(t0) < 5000);
        /* Exactly what was committed: nothing lost, nothing extra. */
        CHECK(next == get_u64(&pg->sent) || next == get_u64(&pg->committing));
    }
    CHECK(next > 1000);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_view_unmap(pg));
    CHECK_OK(mmf_section_close(s));
}

/*
 * The consumer is killed at random moments, again and again. The producer
 * (this process) gets MMF_EPIPE once the ring is full, not a hang; a new
 * consumer starts with the oldest message the dead one did not release
 * (checked against what the dead one recorded) and nothing is lost.
 */
TEST_SLOW(kill_consumer_repeatedly)
{
    const char *n = test_name("r"), *pn = test_name("pg");
    const uint64_t cap = 64 * KIB;
    const size_t size = 200;
    mmf_section *s;
    struct progress *pg = progress_map(pn, &s, 1);
    mmf_ring *p;
    uint64_t next = 0, sent;
    pid_t pid;
    int rc;

    rnd_seed();
    CHECK_OK(mmf_ring_create(&p, n, cap, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    for (int round = 0; round < 30; round++) {
        uint64_t t0, run_ms = 5 + rnd(40);

        set_u64(&pg->attached, 0);
        pid = start_consumer(n, cap, round == 0 ? "0" : "p", UINT64_C(1) << 60, size,
                             API_MIX, 0, pn, NULL);
        t0 = test_now_ns();
        while ((uint64_t)elapsed_ms(t0) < run_ms) {
            rc = send_stream(p, next, 1 + rnd(50), size, API_MIX, 5000, &sent, NULL);
            next += sent;
            CHECK_OK(rc);
        }
        kill(pid, SIGKILL);
        CHECK_EQ(test_wait(pid), 128 + SIGKILL);
        CHECK_EQ(get_u64(&pg->bad), 0);
        /* Send on: MMF_EPIPE once the ring is full. */
        t0 = test_now_ns();
        do {
            rc = send_stream(p, next, 1, size, API_MIX, 10000, &sent, NULL);
            next += sent;
        } while (rc == 0);
        CHECK_RC(rc, MMF_EPIPE);
        CHECK(elapsed_ms(t0) < 5000);
    }
    /* A last consumer receives the rest, up to the last message sent. */
    pid = start_consumer(n, cap, "p", next, size, API_MIX, 0, pn, NULL);
    CHECK_EQ(test_wait(pid), 0);
    CHECK_EQ(get_u64(&pg->done), next);
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_view_unmap(pg));
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Persistent rings                                                          */
/* ------------------------------------------------------------------------ */

static char tmp_dir[256];

static void tmp_end(void);

static void tmp_begin(void)
{
    test_sweep_dead_dirs(test_tmp_parent(), "mmf-test-ring-");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/mmf-test-ring-%ld-%s", test_tmp_parent(),
             (long)getpid(), test_case());
    /* A folder of this name is left by a failed run of this case in a
     * process that had our pid (Wine hands out the same pids again each
     * time its server starts): not a live one's, so it goes. */
    if (mkdir(tmp_dir, 0700) != 0) {
        CHECK(errno == EEXIST);
        tmp_end();
        CHECK(mkdir(tmp_dir, 0700) == 0);
    }
}

static const char *tmp_path(const char *file)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", tmp_dir, file);
    return b;
}

/* Remove the scratch folder and its files. */
static void tmp_end(void)
{
    DIR *d = opendir(tmp_dir);
    struct dirent *e;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            CHECK(unlink(tmp_path(e->d_name)) == 0);
    }
    closedir(d);
    CHECK(rmdir(tmp_dir) == 0);
}

/* Read or write the file of a persistent ring at offset off. */
static void file_rw(const char *path, uint64_t off, void *buf, size_t len, int write)
{
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    if (write)
        CHECK(pwrite(fd, buf, len, (off_t)off) == (ssize_t)len);
    else
        CHECK(pread(fd, buf, len, (off_t)off) == (ssize_t)len);
    close(fd);
}

/* File offsets of the positions and of the area (after the control
 * block, a granule). */
#define F_PROD (MMF__CHAN_CTL_OWN + offsetof(struct mmf__ring_ctl, prod_pos))
#define F_CONS (MMF__CHAN_CTL_OWN + offsetof(struct mmf__ring_ctl, cons_pos))
#define F_AREA ring_granule()

static uint64_t file_u64(const char *path, uint64_t off)
{
    uint64_t v;
    file_rw(path, off, &v, 8, 0);
    return v;
}

TEST(persistent_basics)
{
    mmf_channel_opts o = {0, 0, NULL};
    mmf_ring *p, *c;
    mmf_section *s;
    mmf_msg m;
    char buf[64];
    const char *n = test_name("r");

    tmp_begin();
    o.path = tmp_path("ring");
    CHECK_OK(mmf_ring_create(&p, n, 8192, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o));
    CHECK_RC(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o),
             MMF_EXISTED);
    for (uint64_t i = 0; i < 10; i++) {
        fill(buf, 40, i);
        CHECK_OK(mmf_ring_send(p, buf, 40, 0));
    }
    /* The producer's flush writes the records and its position. */
    CHECK_OK(mmf_ring_flush(p));
    /* The file's layout: a control block of a granule, then the area. */
    {
        struct mmf__chan_ctl ctl;
        file_rw(o.path, 0, &ctl, sizeof ctl, 0);
        CHECK_EQ(ctl.desc.ctl_size, ring_granule());
        CHECK_EQ(ctl.desc.area_size, ring_cap(8192));
    }
    /* 40-byte messages: 48-byte records. */
    CHECK_EQ(file_u64(o.path, F_PROD), 10 * 48);
    for (uint64_t i = 0; i < 10; i++) {
        struct mmf__ring_rec h;
        file_rw(o.path, F_AREA + i * 48, &h, sizeof h, 0);
        CHECK_EQ(MMF__RING_HDR_LEN(h.word), 40);
        file_rw(o.path, F_AREA + i * 48 + 8, buf, 40, 0);
        CHECK_OK(check_msg(buf, 40, i));
    }
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(mmf_ring_release(c, 2));
    CHECK_OK(mmf_ring_flush(c));
    CHECK_EQ(file_u64(o.path, F_CONS), 2 * 48);
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_close(c));
    CHECK_EQ(test_store_count(n), 0);

    /* The file keeps the ring: its capacity wins, and the messages not
     * released come back, to a consumer that starts first; with no
     * producer yet in this run it waits (MMF_EAGAIN), it does not take
     * the earlier run's producer for gone. */
    CHECK_RC(mmf_ring_create(&c, n, 1 << 20, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o), 0);
    CHECK_EQ(mmf_ring_max_message(c), ring_cap(8192) - 16);
    for (uint64_t i = 2; i < 10; i++) {
        CHECK_OK(mmf_ring_peek(c, &m, 0));
        CHECK_OK(check_msg(m.data, m.len, i));
        CHECK_OK(mmf_ring_release(c, 1));
    }
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_RC(mmf_ring_peek(c, &m, 50), MMF_ETIMEDOUT);
    /* A producer of this run continues the positions. */
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    fill(buf, 40, 10);
    CHECK_OK(mmf_ring_send(p, buf, 40, 0));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 10));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_close(p));
    CHECK_RC(mmf_ring_peek(c, &m, 1000), MMF_EPIPE);
    CHECK_OK(mmf_ring_close(c));

    /* Bad files: another object's data, a ring file of another kind of
     * channel, a directory, an empty path. */
    memset(buf, 0x5a, sizeof buf);
    file_rw(o.path, 0, buf, sizeof buf, 1);
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
             MMF_ECORRUPT);
    {
        struct mmf__chan_ctl ctl;
        memset(&ctl, 0, sizeof ctl);
        ctl.magic = MMF__CHAN_MAGIC;
        ctl.desc.kind = MMF__CHAN_QUEUE;
        ctl.desc.version = MMF__CHAN_VERSION;
        ctl.desc.slots = 4;
        ctl.desc.slot_size = 64;
        ctl.desc.ctl_size = ring_granule();
        ctl.desc.area_size = 4096;
        file_rw(o.path, 0, &ctl, sizeof ctl, 1);
        CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
                 MMF_ETYPE);
        /* A ring whose geometry is out of range. */
        ctl.desc.kind = MMF__CHAN_RING;
        ctl.desc.slots = ctl.desc.slot_size = 0;
        ctl.desc.area_size = 3 * 4096;
        file_rw(o.path, 0, &ctl, sizeof ctl, 1);
        CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
                 MMF_ECORRUPT);
        /* A ring file of the format before MMF__RING_VERSION (16-byte
         * record headers, published by the position alone): refused, not
         * misread. */
        ctl.desc.version = MMF__RING_VERSION - 1;
        ctl.desc.area_size = ring_cap(8192);
        file_rw(o.path, 0, &ctl, sizeof ctl, 1);
        CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
                 MMF_ECORRUPT);
        CHECK_RC(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o),
                 MMF_ECORRUPT);
        /* The same file with this version's number is a ring. */
        ctl.desc.version = MMF__RING_VERSION;
        file_rw(o.path, 0, &ctl, sizeof ctl, 1);
        CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o));
        CHECK_OK(mmf_ring_close(c));
#ifdef _WIN32
        /* A ring file made on Linux: a 4 KiB control block, an area of 8
         * KiB. Windows maps its area twice through placeholders; where
         * they are missing (Wine 8 refuses them) the ring is refused. */
        ctl.desc.ctl_size = MMF__CHAN_CTL_SIZE;
        ctl.desc.area_size = 8192;
        file_rw(o.path, 0, &ctl, sizeof ctl, 1);
        if (test_under_wine()) {
            CHECK_RC(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o),
                     MMF_ENOTSUP);
        } else {
            CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o));
            CHECK_EQ(mmf_ring_max_message(c), 8192 - 16);
            CHECK_OK(mmf_ring_close(c));
        }
#endif
    }
    o.path = tmp_dir;
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
             MMF_ENODEV);
    o.path = "";
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
             MMF_EINVAL);
    CHECK_EQ(test_store_count(n), 0);
    /* A section of the ring's name is not a ring. */
    CHECK_OK(mmf_section_create(&s, n, 4096, MMF_CREATE_NEW, NULL));
    o.path = tmp_path("ring2");
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
             MMF_ETYPE);
    CHECK_OK(mmf_section_close(s));
    tmp_end();
}

/*
 * What a crash of the machine can leave: a producer position ahead of
 * records whose data never reached the file, and records of an earlier
 * lap where the position says new ones are. The first endpoint after the
 * restart checks the records: those before the damage are delivered, the
 * damaged one and everything after it are not, and the producer goes on
 * from there.
 */
TEST(persistent_torn_and_stale_records)
{
    mmf_channel_opts o = {0, 0, NULL};
    mmf_ring *p, *c;
    mmf_msg m;
    char buf[120], rec[128];
    uint64_t v;
    const char *n = test_name("r");
    const uint64_t lap = ring_granule(); /* asked for 4096 */

    tmp_begin();
    o.path = tmp_path("ring");
    /* 120-byte messages: 128-byte records, 32 to a lap of 4096 (512 to a
     * lap of 64 KiB on Windows). */
    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    for (uint64_t i = 0; i < 10; i++) {
        fill(buf, sizeof buf, i);
        CHECK_OK(mmf_ring_send(p, buf, sizeof buf, 0));
    }
    CHECK_OK(mmf_ring_recv(c, buf, sizeof buf, &(size_t){0}, 0));
    CHECK_OK(mmf_ring_recv(c, buf, sizeof buf, &(size_t){0}, 0));
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_close(c));

    /* Record 5's payload did not reach the file. */
    file_rw(o.path, F_AREA + 5 * 128 + 8 + 50, buf, 8, 0);
    buf[3] ^= 0x10;
    file_rw(o.path, F_AREA + 5 * 128 + 8 + 50, buf, 8, 1);
    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o));
    CHECK_EQ(file_u64(o.path, F_PROD), 5 * 128);
    for (uint64_t i = 2; i < 5; i++) {
        CHECK_OK(mmf_ring_peek(c, &m, 0));
        CHECK_OK(check_msg(m.data, m.len, i));
        CHECK_OK(mmf_ring_release(c, 1));
    }
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    for (uint64_t i = 5; i < lap / 128; i++) {
        fill(buf, sizeof buf, 100 + i);
        CHECK_OK(mmf_ring_send(p, buf, sizeof buf, 0));
        CHECK_OK(mmf_ring_peek(c, &m, 0));
        CHECK_OK(check_msg(m.data, m.len, 100 + i));
        CHECK_OK(mmf_ring_release(c, 1));
    }
    /* Both at a lap: a full lap written and read. */
    CHECK_OK(mmf_ring_flush(p));
    CHECK_OK(mmf_ring_flush(c));
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_close(c));
    CHECK_EQ(file_u64(o.path, F_PROD), lap);
    CHECK_EQ(file_u64(o.path, F_CONS), lap);

    /* The producer's position says three more, but where the next record
     * goes is a record of another position, whole and well formed (what
     * an earlier lap leaves when the end mark did not reach the disk). */
    file_rw(o.path, F_AREA + 128, rec, sizeof rec, 0);
    file_rw(o.path, F_AREA, rec, sizeof rec, 1);
    v = lap + 3 * 128;
    file_rw(o.path, F_PROD, &v, 8, 1);
    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o));
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_EQ(file_u64(o.path, F_PROD), lap);
    CHECK_OK(mmf_ring_close(c));

    /* A header cut short: a length that runs past the position. */
    v = lap + 128;
    file_rw(o.path, F_PROD, &v, 8, 1);
    v = 500;
    file_rw(o.path, F_AREA, &v, 8, 1);
    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o));
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_close(c));

    /* A crash between a record's payload and its header: the payload is
     * there, the header is the end mark (0). Nothing is delivered, and
     * the producer writes the next record there. */
    fill(buf, sizeof buf, 77);
    file_rw(o.path, F_AREA + 8, buf, sizeof buf, 1);
    v = 0;
    file_rw(o.path, F_AREA, &v, 8, 1);
    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o));
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    fill(buf, sizeof buf, 78);
    CHECK_OK(mmf_ring_send(p, buf, sizeof buf, 0));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 78));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);

    /* A crash between a record's header and the producer's position: the
     * record was published (the consumer may have seen it), so it is
     * delivered once, and the producer goes on after it. */
    fill(buf, sizeof buf, 79);
    CHECK_OK(mmf_ring_send(p, buf, sizeof buf, 0));
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_close(c));
    CHECK_EQ(file_u64(o.path, F_PROD), lap + 2 * 128);
    v = lap + 128;
    file_rw(o.path, F_PROD, &v, 8, 1);
    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o));
    CHECK_EQ(file_u64(o.path, F_PROD), lap + 2 * 128);
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 79));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_open(&p, n, MMF_ROLE_PRODUCER, NULL));
    fill(buf, sizeof buf, 80);
    CHECK_OK(mmf_ring_send(p, buf, sizeof buf, 0));
    CHECK_OK(mmf_ring_peek(c, &m, 0));
    CHECK_OK(check_msg(m.data, m.len, 80));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_close(p));
    CHECK_OK(mmf_ring_close(c));

    /* Positions that cannot be: the file is refused. */
    v = lap + 2 * lap;
    file_rw(o.path, F_PROD, &v, 8, 1);
    CHECK_RC(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o),
             MMF_ECORRUPT);
    v = lap + 4;
    file_rw(o.path, F_PROD, &v, 8, 1);
    CHECK_RC(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o),
             MMF_ECORRUPT);
    CHECK_EQ(test_store_count(n), 0);
    tmp_end();
}

/*
 * A persistent ring's producer and consumer processes are both killed at
 * a random moment, again and again. After each kill this process attaches
 * as the consumer: it finds every committed message not released, exactly
 * once - from the dead consumer's last release to the dead producer's last
 * commit - then releases some of them and lets a new pair go on.
 */
TEST_SLOW(persistent_kill_both)
{
    const char *n = test_name("r"), *pn = test_name("pg");
    const uint64_t cap = 64 * KIB;
    const size_t size = 300;
    mmf_channel_opts o = {0, 0, NULL};
    mmf_section *s;
    struct progress *pg = progress_map(pn, &s, 1);
    uint64_t next = 0;

    rnd_seed();
    tmp_begin();
    o.path = tmp_path("ring");
    for (int round = 0; round < 20; round++) {
        pid_t prod, cons;
        mmf_ring *c;
        mmf_msg m;
        uint64_t first, seq, keep;
        int rc, cons_first;

        set_u64(&pg->attached, 0);
        cons = start_consumer(n, cap, round == 0 ? "0" : "p", UINT64_C(1) << 60, size,
                              API_MIX, 0, pn, o.path);
        prod = start_producer(n, cap, test_num((long long)next), UINT64_C(1) << 60, size,
                              API_MIX, 0, pn, o.path);
        wait_attached(pg, 2);
        test_sleep_ms((long)(1 + rnd(40)));
        cons_first = (int)rnd(2);
        if (!cons_first) {
            kill(prod, SIGKILL);
            kill(cons, SIGKILL);
        } else {
            kill(cons, SIGKILL);
            kill(prod, SIGKILL);
        }
        /* A producer waiting for room when the consumer is killed first
         * may see it gone (MMF_EPIPE, exit 21) before its own kill lands,
         * as it should: on a loaded machine the two kills can be a
         * millisecond apart (under Wine, where each is a wineserver
         * request, more). So may a consumer that drained the ring when
         * the producer is killed first (exit 25). */
        rc = test_wait(prod);
        CHECK(rc == 128 + SIGKILL ||
              (cons_first && rc == 21 && get_u64(&pg->epipe) == 1));
        rc = test_wait(cons);
        CHECK(rc == 128 + SIGKILL ||
              (!cons_first && rc == 25 && get_u64(&pg->epipe) == 1));
        CHECK_EQ(get_u64(&pg->bad), 0);

        /* Both are dead, so the ring's name is gone with them; this makes
         * it again from the file. */
        CHECK_RC(mmf_ring_create(&c, n, cap, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o), 0);
        rc = mmf_ring_peek(c, &m, 0);
        if (rc == MMF_EAGAIN) {
            /* Empty: the consumer released everything, up to the last
             * commit, so where the one stopped the other did. */
            uint64_t done = get_u64(&pg->done), rel = get_u64(&pg->releasing);
            uint64_t sent = get_u64(&pg->sent), comm = get_u64(&pg->committing);
            if (done == sent || done == comm) {
                first = done;
            } else {
                CHECK(rel == sent || rel == comm);
                first = rel;
            }
            next = first;
        } else {
            CHECK_OK(rc);
            CHECK(m.len == size);
            memcpy(&first, m.data, 8);
            CHECK(first == get_u64(&pg->done) || first == get_u64(&pg->releasing));
            CHECK_OK(check_msg(m.data, m.len, first));
            seq = first + 1;
            while ((rc = mmf_ring_peek(c, &m, 0)) == 0) {
                CHECK(m.len == size);
                CHECK_OK(check_msg(m.data, m.len, seq));
                seq++;
            }
            CHECK_RC(rc, MMF_EAGAIN);
            CHECK(seq == get_u64(&pg->sent) || seq == get_u64(&pg->committing));
            next = seq;
            /* Release a part; the next consumer starts after it. */
            keep = rnd(seq - first + 1);
            if (seq - first - keep > 0)
                CHECK_OK(mmf_ring_release(c, (size_t)(seq - first - keep)));
            first = seq - keep;
        }
        set_u64(&pg->done, first);
        set_u64(&pg->releasing, first);
        set_u64(&pg->sent, next);
        set_u64(&pg->committing, next);
        CHECK_OK(mmf_ring_close(c));
    }
    CHECK(next > 100);
    CHECK_EQ(test_store_count(n), 0);
    CHECK_OK(mmf_view_unmap(pg));
    CHECK_OK(mmf_section_close(s));
    tmp_end();
}

/* ------------------------------------------------------------------------ */
/* Hostile writers                                                           */
/* ------------------------------------------------------------------------ */

/* A hostile process maps the whole channel (header, control block, area)
 * read-write: its store file on Linux, its Section on Windows (testos.h). */
#define map_store(name, len) ((uint8_t *)test_map_channel(name, len))
#define STORE_CTL test_chan_ctl_off()
#define STORE_AREA test_chan_area_off()

/* Every check on what the other side wrote, one at a time: each forged
 * value gives MMF_ECORRUPT (never a wrong message or a wild access), and
 * once the value is put back the ring works on. */
TEST(hostile_forged_values)
{
    /* 4096 bytes asked for; 64 KiB on Windows, the ring granule. */
    const uint64_t cap = ring_cap(4096);
    const size_t len = STORE_AREA + (size_t)cap;
    const char *n = test_name("r");
    mmf_ring *p, *c, *x;
    struct mmf__ring_ctl *k;
    struct mmf__chan_ctl *ctl;
    struct mmf__ring_rec *rec;
    struct mmf__chan_desc *hdesc;
    uint8_t *st;
    mmf_msg m[4];
    void *ptr;
    char buf[200];
    size_t got;
    uint64_t save;

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    st = map_store(n, len);
    ctl = (struct mmf__chan_ctl *)(void *)(st + STORE_CTL);
    k = (struct mmf__ring_ctl *)(void *)(st + STORE_CTL + MMF__CHAN_CTL_OWN);
    hdesc = (struct mmf__chan_desc *)(void *)(st + offsetof(struct mmf__hdr, state));

    /* The producer's position: the consumer reads record headers, and
     * this only while it waits, to tell a header another process zeroed
     * (below). A position behind its head, or far off, changes nothing
     * for it; one past its head with no record there is damage.
     * 100-byte messages: 112-byte records. */
    for (uint64_t i = 0; i < 3; i++) {
        fill(buf, 100, i);
        CHECK_OK(mmf_ring_send(p, buf, 100, 0));
    }
    CHECK_EQ(mmf_ring_peek_batch(c, m, 4, 0), 3);
    CHECK_EQ(k->prod_pos, 336);
    save = k->prod_pos;
    k->prod_pos = 328;                       /* behind */
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_EAGAIN);
    k->prod_pos = UINT64_MAX - 7;
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_EAGAIN);
    k->prod_pos = 361;                       /* past the head */
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_peek(c, m, 100), MMF_ECORRUPT);
    k->prod_pos = save;
    CHECK_OK(mmf_ring_release(c, 3));

    /* A record's header. */
    fill(buf, 100, 3);
    CHECK_OK(mmf_ring_send(p, buf, 100, 0));
    rec = (struct mmf__ring_rec *)(void *)(st + STORE_AREA + 336);
    CHECK_EQ(rec->word, MMF__RING_HDR(100, 336 / 8));
    rec->word = MMF__RING_HDR(0, 336 / 8);   /* length 0 */
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &got, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_peek_batch(c, m, 4, 0), MMF_ECORRUPT);
    rec->word = MMF__RING_HDR(cap - 15, 336 / 8);   /* above the largest message */
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_ECORRUPT);
    rec->word = MMF__RING_HDR(UINT32_MAX, 336 / 8);
    CHECK_RC(mmf_ring_peek(c, m, MMF_INFINITE), MMF_ECORRUPT);
    rec->word = UINT64_MAX;
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_ECORRUPT);
    rec->word = MMF__RING_HDR(100, 0);       /* not this record's position */
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_ECORRUPT);
    rec->word = MMF__RING_HDR(100, (336 + cap) / 8);   /* a later lap's */
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_ECORRUPT);
    rec->word = MMF__RING_HDR(100, 336 / 8);
    CHECK_OK(mmf_ring_peek(c, m, 0));
    CHECK(m[0].len == 100 && check_msg(m[0].data, 100, 3) == 0);
    /* Peeked: the record after it may reach at most a capacity past what
     * was released, with its end mark. */
    rec = (struct mmf__ring_rec *)(void *)(st + STORE_AREA + 448);
    CHECK_EQ(rec->word, 0);                  /* the end mark */
    rec->word = MMF__RING_HDR(cap - 16 - 112 + 8, 448 / 8);
    CHECK_RC(mmf_ring_peek(c, m + 1, 0), MMF_ECORRUPT);
    rec->word = 0;
    CHECK_RC(mmf_ring_peek(c, m + 1, 0), MMF_EAGAIN);
    CHECK_OK(mmf_ring_release(c, 1));

    /* A published header zeroed: the producer's position says the record
     * is there, so no wait for it can end well - every wait, also an
     * infinite one, busy-polling or not, reports it. */
    fill(buf, 100, 4);
    CHECK_OK(mmf_ring_send(p, buf, 100, 0));
    rec = (struct mmf__ring_rec *)(void *)(st + STORE_AREA + 448);
    save = rec->word;
    rec->word = 0;
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_peek(c, m, MMF_INFINITE), MMF_ECORRUPT);
    {
        mmf_channel_opts busy = {MMF_CHANNEL_BUSY_POLL, 0, NULL};
        CHECK_OK(mmf_ring_close(c));
        CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, &busy));
        CHECK_RC(mmf_ring_peek(c, m, MMF_INFINITE), MMF_ECORRUPT);
    }
    rec->word = save;
    CHECK_OK(mmf_ring_recv(c, buf, sizeof buf, &got, 0));
    CHECK(got == 100 && check_msg(buf, 100, 4) == 0);

    /* A header changed between peek and a partial release. */
    for (uint64_t i = 5; i < 7; i++) {
        fill(buf, 100, i);
        CHECK_OK(mmf_ring_send(p, buf, 100, 0));
    }
    CHECK_EQ(mmf_ring_peek_batch(c, m, 4, 0), 2);
    rec = (struct mmf__ring_rec *)(void *)(st + STORE_AREA + 560);
    save = rec->word;
    rec->word = MMF__RING_HDR(300, 560 / 8);
    CHECK_RC(mmf_ring_release(c, 1), MMF_ECORRUPT);
    rec->word = save;
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_release(c, 1));

    /* ... and between reserve_batch and a partial commit_batch: the
     * second record's header (the first one's is only written at the
     * commit). */
    m[0].len = m[1].len = m[2].len = 100;
    CHECK_EQ(mmf_ring_reserve_batch(p, m, 3, 0), 3);
    rec = (struct mmf__ring_rec *)(void *)(st + STORE_AREA + 784 + 112);
    CHECK_EQ(rec->word, MMF__RING_HDR(100, (784 + 112) / 8));
    rec->word = 0;
    CHECK_RC(mmf_ring_commit_batch(p, 2), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_EAGAIN);   /* nothing published */
    CHECK_EQ(mmf_ring_reserve_batch(p, m, 2, 0), 2);
    fill(m[0].data, 100, 7);
    CHECK_OK(mmf_ring_commit_batch(p, 1));
    CHECK_OK(mmf_ring_recv(c, buf, sizeof buf, &got, 0));
    CHECK(got == 100 && check_msg(buf, 100, 7) == 0);
    CHECK_RC(mmf_ring_peek(c, m, 0), MMF_EAGAIN);   /* the dropped one is not */

    /* The consumer's position, as the producer reads it (when full). */
    fill_up(p);
    save = k->cons_pos;
    CHECK_EQ(save, p->peer);
    k->cons_pos = save + 4;                  /* unaligned */
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, 0), MMF_ECORRUPT);
    k->cons_pos = save - 8;                  /* went back */
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_send(p, buf, 8, 100), MMF_ECORRUPT);
    k->cons_pos = p->pub + 8;                /* past what was published */
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, MMF_INFINITE), MMF_ECORRUPT);
    m[0].len = 8;
    CHECK_RC(mmf_ring_reserve_batch(p, m, 1, 0), MMF_ECORRUPT);
    k->cons_pos = save;
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, 0), MMF_EAGAIN);

    /* Garbage in the futex words and sleepers counters costs system
     * calls, nothing else. */
    k->prod_word = 0xdeadbeef;
    k->cons_word = 12345;
    k->cons_sleepers = k->prod_sleepers = 0x7fffffff;
    CHECK_OK(mmf_ring_peek(c, m, 0));
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_send(p, buf, 8, 0));

    /* Attaching to a damaged ring fails. */
    CHECK_OK(mmf_ring_close(c));
    save = k->cons_pos;
    k->cons_pos = save + 4;
    CHECK_RC(mmf_ring_open(&x, n, MMF_ROLE_CONSUMER, NULL), MMF_ECORRUPT);
    k->cons_pos = save;
    ctl->magic ^= 1;
    CHECK_RC(mmf_ring_open(&x, n, MMF_ROLE_CONSUMER, NULL), MMF_ECORRUPT);
    ctl->magic ^= 1;
    ctl->desc.area_size = 2 * cap;
    CHECK_RC(mmf_ring_open(&x, n, MMF_ROLE_CONSUMER, NULL), MMF_ECORRUPT);
    ctl->desc.area_size = cap;
    /* The geometry in the object's header is only read when a process
     * opens it; this process holds a reference already, so another one
     * must look. (Checked in hostile_header below.) */
    (void)hdesc;
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_close(c));
    test_unmap_channel(st, len);
    CHECK_OK(mmf_ring_close(p));
}

/* argv: name: open the ring as a consumer; exit 0 on success, 3 for
 * MMF_ECORRUPT, 4 for MMF_ETYPE, 5 otherwise. */
HELPER(open_consumer)
{
    mmf_ring *r;
    int rc;
    CHECK(argc == 1);
    rc = mmf_ring_open(&r, argv[0], MMF_ROLE_CONSUMER, NULL);
    if (rc == 0)
        CHECK_OK(mmf_ring_close(r));
    return rc == 0 ? 0 : rc == MMF_ECORRUPT ? 3 : rc == MMF_ETYPE ? 4 : 5;
}

/* The geometry in the object's header, as a process that opens the ring
 * reads it. */
TEST(hostile_header)
{
    const char *n = test_name("r");
    const uint64_t cap = ring_cap(4096); /* 64 KiB on Windows */
    mmf_ring *p;
    struct mmf__chan_desc *d, save;
    uint8_t *st;

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    st = map_store(n, MMF__HDR_SIZE);
    d = (struct mmf__chan_desc *)(void *)(st + offsetof(struct mmf__hdr, state));
    save = *d;
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 0);
    d->area_size = 3 * cap;
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 3);
    d->area_size = 2 * cap;    /* larger than the object */
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 3);
    *d = save;
    d->kind = MMF__CHAN_QUEUE;
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 4);
    *d = save;
    d->kind = 77;
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 3);
    *d = save;
    d->slots = 4;
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 3);
    *d = save;
    d->version = MMF__RING_VERSION + 1;
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 3);
    d->version = MMF__RING_VERSION - 1;      /* the format before */
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 3);
    *d = save;
    CHECK_EQ(test_wait(test_spawn("open_consumer", n, NULL)), 0);
    test_unmap_channel(st, MMF__HDR_SIZE);
    CHECK_OK(mmf_ring_close(p));
}

/* argv: name store-bytes ready-fd: write garbage all over the ring's
 * control block and records, until killed. Often plausible garbage:
 * positions a little off, lengths near the limits. */
HELPER(scribbler)
{
    size_t len = (size_t)atol(argv[1]);
    uint8_t *st;
    uint64_t x = (uint64_t)getpid();

    CHECK(argc == 3);
    test_die_with_parent();
    st = map_store(argv[0], len);
    test_sync_signal(atoi(argv[2]));
    for (;;) {
        uint64_t r1, r2, *w;
        size_t off;
        x = mix64(x + 1);
        r1 = mix64(x ^ 1);
        r2 = mix64(x ^ 2);
        if (r1 % 10 < 4) /* the ring's positions and words */
            off = STORE_CTL + MMF__CHAN_CTL_OWN + (r1 >> 8) % 256;
        else             /* records */
            off = STORE_AREA + (r1 >> 8) % (len - STORE_AREA);
        off &= ~(size_t)7;
        w = (uint64_t *)(void *)(st + off);
        switch ((r1 >> 4) % 8) {
        case 0: *w = r2; break;
        case 1: *w = 0; break;
        case 2: *w += (r2 % 64) - 32; break;          /* a little off */
        case 3: *w = r2 % (len - STORE_AREA + 64); break;  /* near limits */
        case 4: *w += ((r2 % 4) + 1) * (len - STORE_AREA); break;
        case 5: *w = UINT64_MAX - r2 % 64; break;
        case 6: *(st + off + r2 % 8) ^= (uint8_t)(1u << (r2 % 8)); break;
        default: *w = *(uint64_t *)(void *)(st + STORE_AREA + (r2 % 512) * 8); break;
        }
        /* Let some honest traffic through between the blows. */
        test_sleep_ms(r2 % 16 == 0 ? 20 : 1);
    }
}

struct hostile {
    const char *name;
    int stop;         /* atomic */
    uint64_t calls, sent, ok, corrupt;
    /* Each side closes its endpoint only while the other holds one, so
     * that the ring's name never goes away. */
    pthread_mutex_t lock;
    int holding[2];
    /* What each side is doing, to tell where it stalled if it does. */
    const char *doing[2];  /* atomic */
};

static void now_holding(struct hostile *h, int me)
{
    pthread_mutex_lock(&h->lock);
    h->holding[me] = 1;
    pthread_mutex_unlock(&h->lock);
}

/* Close r if the other side holds an endpoint; 1 if closed. */
static int close_if_held(struct hostile *h, int me, mmf_ring *r)
{
    int ok;
    pthread_mutex_lock(&h->lock);
    ok = h->holding[!me];
    if (ok) {
        h->holding[me] = 0;
        CHECK_OK(mmf_ring_close(r));
    }
    pthread_mutex_unlock(&h->lock);
    return ok;
}

/* A forged length may exceed a recv buffer: MMF_EOVERFLOW is right. */
static int rc_allowed(int rc)
{
    return rc >= 0 || rc == MMF_ECORRUPT || rc == MMF_EAGAIN || rc == MMF_ETIMEDOUT ||
           rc == MMF_EPIPE || rc == MMF_EOVERFLOW;
}

/* A call must return within its timeout and a little more. */
#define TIMED(call, timeout_ms)                                                \
    ({                                                                         \
        uint64_t t0_ = test_now_ns();                                          \
        int rc_ = (call);                                                      \
        CHECK(elapsed_ms(t0_) < (timeout_ms) + 3000);                          \
        if (!rc_allowed(rc_))                                                  \
            test_fail(__FILE__, __LINE__, "%s: %s", #call, mmf_err_name(rc_)); \
        rc_;                                                                   \
    })

static void check_inside(const mmf_ring *r, const void *data, size_t len)
{
    const uint8_t *d = data;
    CHECK(len >= 1 && len <= r->max_msg);
    CHECK(d >= r->area + MMF__RING_REC_HDR && d + len <= r->area + 2 * r->cap);
}

static int hostile_producer(void *arg)
{
    struct hostile *h = arg;
    mmf_ring *p = NULL;
    uint64_t i = 0;

    while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
        size_t len = 1 + (size_t)(mix64(i++) % 700);
        void *ptr;
        mmf_msg m[4];
        int rc;

        if (p == NULL) {
            /* Re-attach: a damaged ring may refuse it. */
            __atomic_store_n(&h->doing[0], "open", __ATOMIC_RELAXED);
            rc = mmf_ring_open(&p, h->name, MMF_ROLE_PRODUCER, NULL);
            if (rc != 0 && rc != MMF_ECORRUPT)
                test_fail(__FILE__, __LINE__, "producer open: %s", mmf_err_name(rc));
            if (rc < 0) {
                __atomic_fetch_add(&h->corrupt, 1, __ATOMIC_RELAXED);
                p = NULL;
                test_sleep_ms(1);
                continue;
            }
            now_holding(h, 0);
        }
        if (i % 3 == 0) {
            for (int j = 0; j < 4; j++)
                m[j].len = 1 + len / (size_t)(j + 1);
            __atomic_store_n(&h->doing[0], "reserve_batch", __ATOMIC_RELAXED);
            rc = TIMED(mmf_ring_reserve_batch(p, m, 4, 10), 10);
            CHECK(rc <= 4);
            for (int j = 0; j < rc; j++) {
                check_inside(p, m[j].data, m[j].len);
                memset(m[j].data, 0x33, m[j].len);
            }
            if (rc > 0)
                rc = TIMED(mmf_ring_commit_batch(p, (size_t)(1 + i % (size_t)rc)), 0);
        } else {
            __atomic_store_n(&h->doing[0], "reserve", __ATOMIC_RELAXED);
            rc = TIMED(mmf_ring_reserve(p, len, &ptr, 10), 10);
            if (rc == 0) {
                check_inside(p, ptr, len);
                memset(ptr, 0x44, len);
                CHECK_OK(mmf_ring_commit(p, len));
            }
        }
        __atomic_fetch_add(&h->calls, 1, __ATOMIC_RELAXED);
        if (rc >= 0)
            __atomic_fetch_add(&h->sent, 1, __ATOMIC_RELAXED);
        if (rc == MMF_ECORRUPT)
            __atomic_fetch_add(&h->corrupt, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&h->doing[0], "close", __ATOMIC_RELAXED);
        if (rc == MMF_ECORRUPT && close_if_held(h, 0, p))
            p = NULL;
        else if (rc == MMF_ECORRUPT || rc == MMF_EPIPE || rc == MMF_EAGAIN)
            test_sleep_ms(1); /* nothing to wait on: do not burn the core */
        __atomic_store_n(&h->doing[0], "loop", __ATOMIC_RELAXED);
    }
    /* At the end the name may go. */
    pthread_mutex_lock(&h->lock);
    if (p != NULL)
        CHECK_OK(mmf_ring_close(p));
    h->holding[0] = 0;
    pthread_mutex_unlock(&h->lock);
    return 0;
}

static int hostile_consumer(void *arg)
{
    struct hostile *h = arg;
    mmf_ring *c = NULL;
    uint64_t i = 0, sum = 0;
    char buf[4096];

    while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
        mmf_msg m[8];
        size_t got;
        int rc;

        if (c == NULL) {
            /* Re-attach: a damaged ring may refuse it. */
            __atomic_store_n(&h->doing[1], "open", __ATOMIC_RELAXED);
            rc = mmf_ring_open(&c, h->name, MMF_ROLE_CONSUMER, NULL);
            if (rc != 0 && rc != MMF_ECORRUPT)
                test_fail(__FILE__, __LINE__, "consumer open: %s", mmf_err_name(rc));
            if (rc < 0) {
                __atomic_fetch_add(&h->corrupt, 1, __ATOMIC_RELAXED);
                c = NULL;
                test_sleep_ms(1);
                continue;
            }
            now_holding(h, 1);
        }
        i++;
        if (i % 3 == 0) {
            __atomic_store_n(&h->doing[1], "recv", __ATOMIC_RELAXED);
            rc = TIMED(mmf_ring_recv(c, buf, sizeof buf, &got, 10), 10);
            if (rc == 0)
                CHECK(got >= 1 && got <= sizeof buf);
        } else {
            __atomic_store_n(&h->doing[1], "peek_batch", __ATOMIC_RELAXED);
            rc = TIMED(mmf_ring_peek_batch(c, m, 1 + i % 8, 10), 10);
            CHECK(rc <= (int)(1 + i % 8));
            for (int j = 0; j < rc; j++) {
                const uint8_t *d = m[j].data;
                check_inside(c, d, m[j].len);
                for (size_t b = 0; b < m[j].len; b++)
                    sum += d[b];
            }
            __atomic_store_n(&h->doing[1], "release", __ATOMIC_RELAXED);
            if (rc > 0 && mmf_ring_release(c, (size_t)rc) < 0 && close_if_held(h, 1, c))
                c = NULL;
        }
        if (rc == 0)
            __atomic_fetch_add(&h->ok, 1, __ATOMIC_RELAXED);
        if (rc == MMF_ECORRUPT)
            __atomic_fetch_add(&h->corrupt, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&h->doing[1], "close", __ATOMIC_RELAXED);
        if (c != NULL && (i % 64 == 0 || rc == MMF_ECORRUPT) && close_if_held(h, 1, c))
            c = NULL;
        else if (rc == MMF_ECORRUPT || rc == MMF_EPIPE)
            test_sleep_ms(1);
        __atomic_store_n(&h->doing[1], "loop", __ATOMIC_RELAXED);
    }
    pthread_mutex_lock(&h->lock);
    if (c != NULL)
        CHECK_OK(mmf_ring_close(c));
    h->holding[1] = 0;
    pthread_mutex_unlock(&h->lock);
    (void)sum;
    return 0;
}

/*
 * A process scribbles garbage over the control block and the records
 * while a producer and a consumer work: every call returns within its
 * timeout with a valid message, MMF_ECORRUPT or a wait status; nothing
 * crashes, hangs, or hands out memory outside the ring.
 */
TEST(hostile_scribbler)
{
    struct hostile h = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct thread tp, tc;
    struct test_sync sy;
    mmf_ring *keep;
    char fd[16];
    pid_t pid;
    const uint64_t cap = ring_cap(16 * KIB); /* 64 KiB on Windows */

    h.name = test_name("r");
    /* A consumer endpoint holds the name until the producer thread has
     * its own; then the consumer thread comes and goes. */
    CHECK_OK(mmf_ring_create(&keep, h.name, cap, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    h.holding[1] = 1;
    thread_start(&tp, hostile_producer, &h);
    for (int held = 0; !held;) {
        pthread_mutex_lock(&h.lock);
        held = h.holding[0];
        if (held) {
            CHECK_OK(mmf_ring_close(keep));
            h.holding[1] = 0;
        }
        pthread_mutex_unlock(&h.lock);
        test_sleep_ms(1);
    }
    thread_start(&tc, hostile_consumer, &h);
    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("scribbler", h.name, test_num((long long)(STORE_AREA + cap)), fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
    test_sleep_ms(4000);
    __atomic_store_n(&h.stop, 1, __ATOMIC_RELEASE);
    {
#ifdef _WIN32
        /* No pthread_timedjoin_np: wait for both to say they are done. */
        uint64_t until = test_now_ns() + 20000000000u;
        while ((!__atomic_load_n(&tp.done, __ATOMIC_ACQUIRE) ||
                !__atomic_load_n(&tc.done, __ATOMIC_ACQUIRE)) && test_now_ns() < until)
            test_sleep_ms(10);
        if (!__atomic_load_n(&tp.done, __ATOMIC_ACQUIRE) ||
            !__atomic_load_n(&tc.done, __ATOMIC_ACQUIRE) || pthread_join(tp.t, NULL) != 0 ||
            pthread_join(tc.t, NULL) != 0)
#else
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 20;
        if (pthread_timedjoin_np(tp.t, NULL, &until) != 0 ||
            pthread_timedjoin_np(tc.t, NULL, &until) != 0)
#endif
            test_fail(__FILE__, __LINE__, "stalled: producer in %s, consumer in %s",
                      __atomic_load_n(&h.doing[0], __ATOMIC_RELAXED),
                      __atomic_load_n(&h.doing[1], __ATOMIC_RELAXED));
    }
    CHECK_EQ(tp.rc, 0);
    CHECK_EQ(tc.rc, 0);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    printf("producer: %llu calls, %llu ok; consumer: %llu ok; %llu MMF_ECORRUPT\n",
           (unsigned long long)h.calls, (unsigned long long)h.sent, (unsigned long long)h.ok,
           (unsigned long long)h.corrupt);
    CHECK(h.corrupt > 0);
}

/* ------------------------------------------------------------------------ */
/* Sleepers                                                                  */
/* ------------------------------------------------------------------------ */

/* argv: name role ready-fd: attach, then sleep in a wait that never ends
 * (a consumer on an empty ring, a producer on a full one). */
HELPER(sleeper)
{
    mmf_ring *r;
    mmf_msg m;
    void *p;

    CHECK(argc == 3);
    test_die_with_parent();
    CHECK_OK(mmf_ring_open(&r, argv[0], atoi(argv[1]), NULL));
    if (atoi(argv[1]) == MMF_ROLE_PRODUCER)
        fill_up(r);
    test_sync_signal(atoi(argv[2]));
    if (atoi(argv[1]) == MMF_ROLE_PRODUCER)
        mmf_ring_reserve(r, 1, &p, MMF_INFINITE);
    else
        mmf_ring_peek(r, &m, MMF_INFINITE);
    return 1;
}

static void await_u32(const uint32_t *w, uint32_t v)
{
    uint64_t t0 = test_now_ns();
    while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != v) {
        CHECK(elapsed_ms(t0) < 10000);
        test_sleep_ms(1);
    }
}

/*
 * A process killed while asleep in a wait leaves its side's sleepers
 * counter raised (the other side would then make a wake-up call with every
 * message); the next endpoint of that role resets it when it attaches.
 */
TEST(killed_sleeper_counter_reset)
{
    const char *n = test_name("r");
    struct mmf__ring_ctl *k;
    struct test_sync sy;
    mmf_ring *p, *c;
    uint8_t *st;
    char fd[16];
    pid_t pid;
    mmf_msg m;

    for (int role = MMF_ROLE_PRODUCER; role <= MMF_ROLE_CONSUMER; role++) {
        uint32_t *sleepers;
        int other = role == MMF_ROLE_PRODUCER ? MMF_ROLE_CONSUMER : MMF_ROLE_PRODUCER;
        mmf_ring *keep, *again;

        CHECK_OK(mmf_ring_create(&keep, n, 4096, other, MMF_CREATE_NEW, NULL));
        st = map_store(n, STORE_AREA);
        k = (struct mmf__ring_ctl *)(void *)(st + STORE_CTL + MMF__CHAN_CTL_OWN);
        sleepers = role == MMF_ROLE_PRODUCER ? &k->prod_sleepers : &k->cons_sleepers;
        test_sync_init(&sy);
        snprintf(fd, sizeof fd, "%d", sy.wr);
        pid = test_spawn("sleeper", n, test_num(role), fd, NULL);
        close(sy.wr);
        CHECK(test_sync_wait(&sy, 30000));
        close(sy.rd);
        await_u32(sleepers, 1);
        kill(pid, SIGKILL);
        CHECK_EQ(test_wait(pid), 128 + SIGKILL);
        CHECK_EQ(*sleepers, 1);
        CHECK_OK(mmf_ring_open(&again, n, role, NULL));
        CHECK_EQ(*sleepers, 0);
        p = role == MMF_ROLE_PRODUCER ? again : keep;
        c = role == MMF_ROLE_PRODUCER ? keep : again;
        /* The ring goes on. */
        if (role == MMF_ROLE_PRODUCER) {
            CHECK_OK(mmf_ring_peek(c, &m, 0));   /* what the dead one sent */
            CHECK_OK(mmf_ring_release(c, 1));
        }
        CHECK_OK(mmf_ring_send(p, "hello", 5, 0));
        do
            CHECK_OK(mmf_ring_peek(c, &m, 0));
        while (m.len != 5);
        CHECK(memcmp(m.data, "hello", 5) == 0);
        test_unmap_channel(st, STORE_AREA);
        CHECK_OK(mmf_ring_close(p));
        CHECK_OK(mmf_ring_close(c));
    }
}

/* ------------------------------------------------------------------------ */
/* Two threads of one process (the ThreadSanitizer build runs these)         */
/* ------------------------------------------------------------------------ */

struct side {
    mmf_ring *r;
    uint64_t count;
    size_t size;
    int api;
};

static int producer_thread(void *arg)
{
    struct side *s = arg;
    int rc = send_stream(s->r, 0, s->count, s->size, s->api, MMF_INFINITE, NULL, NULL);
    CHECK_OK(mmf_ring_close(s->r));
    return rc;
}

static int consumer_thread(void *arg)
{
    struct side *s = arg;
    int rc = recv_stream(s->r, 0, s->count, s->size, s->api, MMF_INFINITE, NULL, NULL);
    CHECK_OK(mmf_ring_close(s->r));
    return rc;
}

static void threads(uint64_t cap, uint64_t count, size_t size, int api, unsigned flags)
{
    mmf_channel_opts o = {flags, 0, NULL};
    struct side ps = {NULL, count, size, api}, cs = {NULL, count, size, api};
    struct thread tp, tc;
    const char *n = test_name("r");

    CHECK_OK(mmf_ring_create(&cs.r, n, cap, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_ring_open(&ps.r, n, MMF_ROLE_PRODUCER, &o));
    thread_start(&tc, consumer_thread, &cs);
    thread_start(&tp, producer_thread, &ps);
    CHECK_OK(thread_join(&tp));
    CHECK_OK(thread_join(&tc));
    CHECK_EQ(test_store_count(n), 0);
}

TEST(threads_mixed)
{
    threads(64 * KIB, 150000, 0, API_MIX, 0);
}

TEST(threads_small_ring)
{
    threads(4096, 30000, 0, API_MIX, 0);
}

TEST(threads_busy_poll)
{
    threads(16 * KIB, 300000, 64, API_BATCH, MMF_CHANNEL_BUSY_POLL);
}

/* Slow: under ThreadSanitizer every copy of a large message is checked. */
TEST_SLOW(threads_large_messages)
{
    threads(1 * MIB, 2000, 256 * KIB, API_MIX, 0);
}

/* argv: name ready-fd: change both futex words as fast as it can. */
HELPER(word_flipper)
{
    uint8_t *st;
    struct mmf__ring_ctl *k;
    uint32_t i = 0;

    CHECK(argc == 2);
    test_die_with_parent();
    st = map_store(argv[0], STORE_AREA);
    k = (struct mmf__ring_ctl *)(void *)(st + STORE_CTL + MMF__CHAN_CTL_OWN);
    test_sync_signal(atoi(argv[1]));
    for (;;) {
        __atomic_store_n(&k->prod_word, ++i, __ATOMIC_RELEASE);
        __atomic_store_n(&k->cons_word, i, __ATOMIC_RELEASE);
    }
}

struct cpu_peek {
    mmf_ring *c;
    long long cpu_us, wall_us;
};

static int peek_measured(void *arg)
{
    struct cpu_peek *cp = arg;
    struct timespec a, b;
    uint64_t t0 = test_now_ns();
    mmf_msg m;
    int rc;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    rc = mmf_ring_peek(cp->c, &m, MMF_INFINITE);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    cp->cpu_us = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
    cp->wall_us = (long long)((test_now_ns() - t0) / 1000);
    return rc;
}

/*
 * A process that changes the futex words without stop wakes the waiters
 * again and again: a timed wait still ends at its timeout, a try at once,
 * and a blocking wait naps instead of spinning. (On Windows a sleeper
 * waits on a named semaphore, not on the word itself: a changed word only
 * makes it look again before it sleeps, and the same bounds hold.)
 */
TEST(hostile_word_flipper)
{
    const char *n = test_name("r");
    struct test_sync sy;
    struct cpu_peek cp;
    struct thread t;
    mmf_ring *p, *c;
    uint64_t t0;
    char fd[16];
    mmf_msg m;
    void *ptr;
    pid_t pid;

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, n, MMF_ROLE_CONSUMER, NULL));
    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("word_flipper", n, fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);

    t0 = test_now_ns();
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_EAGAIN);
    CHECK(elapsed_ms(t0) < 1000);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_peek(c, &m, 200), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 200 && elapsed_ms(t0) < 2000);
    fill_up(p);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, 0), MMF_EAGAIN);
    CHECK_RC(mmf_ring_reserve(p, 8, &ptr, 200), MMF_ETIMEDOUT);
    CHECK(elapsed_ms(t0) >= 200 && elapsed_ms(t0) < 2000);
    /* Drain, then wait without a timeout while the words change. */
    while (mmf_ring_peek(c, &m, 0) == 0)
        CHECK_OK(mmf_ring_release(c, 1));
    cp.c = c;
    thread_start(&t, peek_measured, &cp);
    test_sleep_ms(500);
    CHECK_OK(mmf_ring_send(p, "x", 1, 0));
    CHECK_OK(thread_join(&t));
    CHECK(cp.wall_us >= 400000);
    CHECK(cp.cpu_us < cp.wall_us / 2);
    kill(pid, SIGKILL);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
    CHECK_OK(mmf_ring_release(c, 1));
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
}

/* ------------------------------------------------------------------------ */
/* Peer death as an event                                                    */
/* ------------------------------------------------------------------------ */

/* argv: name role ready-fd how [go-fd]. Attach, say so, then stay alive
 * without using the ring. how "main": attached by the main thread; how
 * "thread": attached by a thread that then ends, after which the main
 * thread waits for a byte on go-fd, sends one message (the endpoint's
 * next operation) and stays. */
struct attach_arg {
    const char *name;
    int role;
    mmf_ring *r;
};

static int attach_and_end(void *p)
{
    struct attach_arg *a = p;
    return mmf_ring_open(&a->r, a->name, a->role, NULL);
}

HELPER(r_hold)
{
    struct attach_arg a;
    struct thread t;

    CHECK(argc >= 4);
    test_die_with_parent();
    a.name = argv[0];
    a.role = atoi(argv[1]);
    if (strcmp(argv[3], "main") == 0) {
        CHECK_OK(attach_and_end(&a));
        test_sync_signal(atoi(argv[2]));
        for (;;)
            pause();
    }
    CHECK(argc == 5);
    thread_start(&t, attach_and_end, &a);
    CHECK_OK(thread_join(&t));
    test_sync_signal(atoi(argv[2]));
    CHECK(test_await_fd(atoi(argv[4]), 30000));
    CHECK_OK(mmf_ring_send(a.r, "x", 1, 0));
    for (;;)
        pause();
}

/* Start r_hold as `role` of ring n and wait until it has attached. */
static pid_t spawn_holder(const char *n, int role, const char *how, int go_fd)
{
    struct test_sync sy;
    char fd[16];
    pid_t pid;

    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("r_hold", n, test_num(role), fd, how,
                     go_fd >= 0 ? test_num(go_fd) : NULL, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
    return pid;
}

/* Kill a process after a while, noting when, and when the kernel says
 * (test_await_exit) that it has exited: the earliest anyone could know. */
struct killer {
    pid_t pid;
    long after_ms;
    uint64_t at_ns, exited_ns;
};

static int kill_later(void *p)
{
    struct killer *k = p;
    int rc;
    test_sleep_ms(k->after_ms);
    __atomic_store_n(&k->at_ns, test_now_ns(), __ATOMIC_RELEASE);
    rc = kill(k->pid, SIGKILL);
    if (test_await_exit(k->pid, 30000))
        __atomic_store_n(&k->exited_ns, test_now_ns(), __ATOMIC_RELEASE);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * A consumer asleep in an infinite wait learns of its producer's SIGKILL
 * from the kernel's wake-up, not at the end of a 10 ms polling slice: its
 * wait returns MMF_EPIPE, and its delay after the kernel's own notice of
 * the exit (a pidfd, polled by the killing thread: a busy machine delays
 * both alike) has a median well under the slice.
 */
TEST(producer_killed_consumer_woken)
{
    enum { KILLS = 15 };
    uint64_t lat[KILLS], after[KILLS];

    for (int i = 0; i < KILLS; i++) {
        const char *n = test_name("r");
        struct killer k = {0, 30, 0, 0};
        uint64_t exited;
        struct thread t;
        mmf_ring *c;
        mmf_msg m;
        uint64_t back;

        CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
        k.pid = spawn_holder(n, MMF_ROLE_PRODUCER, "main", -1);
        thread_start(&t, kill_later, &k);
        CHECK_RC(mmf_ring_peek(c, &m, MMF_INFINITE), MMF_EPIPE);
        back = test_now_ns();
        CHECK_OK(thread_join(&t));
        CHECK_EQ(test_wait(k.pid), 128 + SIGKILL);
        lat[i] = back - __atomic_load_n(&k.at_ns, __ATOMIC_ACQUIRE);
        exited = __atomic_load_n(&k.exited_ns, __ATOMIC_ACQUIRE);
        CHECK(exited != 0);
        after[i] = back > exited ? back - exited : 0;
        CHECK_OK(mmf_ring_close(c));
    }
    qsort(lat, KILLS, sizeof lat[0], cmp_u64);
    qsort(after, KILLS, sizeof after[0], cmp_u64);
    printf("producer SIGKILL to consumer's MMF_EPIPE: median %.3f ms, max %.3f ms; "
           "after the pidfd: median %.3f ms\n", (double)lat[KILLS / 2] / 1e6,
           (double)lat[KILLS - 1] / 1e6, (double)after[KILLS / 2] / 1e6);
    CHECK(after[KILLS / 2] < 3000000u);
}

/* The same for a producer asleep on a full ring and its consumer. */
TEST(consumer_killed_producer_woken)
{
    const char *n = test_name("r");
    struct killer k = {0, 30, 0, 0};
    struct thread t;
    mmf_ring *p;
    void *buf;

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    fill_up(p);
    k.pid = spawn_holder(n, MMF_ROLE_CONSUMER, "main", -1);
    thread_start(&t, kill_later, &k);
    CHECK_RC(mmf_ring_reserve(p, 1, &buf, MMF_INFINITE), MMF_EPIPE);
    CHECK(test_now_ns() - __atomic_load_n(&k.at_ns, __ATOMIC_ACQUIRE) < 1000000000u);
    CHECK_OK(thread_join(&t));
    CHECK_EQ(test_wait(k.pid), 128 + SIGKILL);
    CHECK_OK(mmf_ring_close(p));
}

/* argv: name ms. Wait as a consumer for ms on an empty ring whose producer
 * lives; exit with the CPU time of the wait, in ms. */
HELPER(r_wait_cpu)
{
    long long t0;
    mmf_ring *c;
    mmf_msg m;
    long us;

    CHECK(argc == 2);
    test_die_with_parent();
    CHECK_OK(mmf_ring_open(&c, argv[0], MMF_ROLE_CONSUMER, NULL));
    t0 = test_cpu_us();
    CHECK_RC(mmf_ring_peek(c, &m, atol(argv[1])), MMF_ETIMEDOUT);
    us = (long)(test_cpu_us() - t0);
    return us / 1000 > 200 ? 200 : (int)(us / 1000);
}

/* Listening for the producer's death costs no polling: a consumer asleep
 * for 2.5 s uses well under 1% of a core. */
TEST(blocked_consumer_cpu)
{
    const char *n = test_name("r");
    mmf_ring *p;
    int ms;

    CHECK_OK(mmf_ring_create(&p, n, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    ms = test_wait(test_spawn("r_wait_cpu", n, "2500", NULL));
    printf("CPU time of a 2.5 s wait: %d ms\n", ms);
    CHECK(ms < 25);
    CHECK_OK(mmf_ring_close(p));
}

/* The companion file holding ring n's liveness words (src/linux/live.c). */
#ifndef _WIN32
static int companion_fd(const char *n)
{
    const char *dir = getenv("MMF_STORE_DIR");
    const struct mmf__hdr *h = (const struct mmf__hdr *)(void *)map_store(n, MMF__HDR_SIZE);
    char path[512];
    int fd;

    snprintf(path, sizeof path, "%s/mmf.u%u.+%016llx",
             dir && dir[0] == '/' ? dir : "/dev/shm", (unsigned)geteuid(),
             (unsigned long long)h->claims_ino);
    test_unmap_channel((void *)(uintptr_t)h, MMF__HDR_SIZE);
    fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    return fd;
}
#endif

/* argv: name ready-fd. Scribble on the producer's liveness word and the
 * roster of ring n until killed: ids, marks, zeros, random values. */
#ifndef _WIN32
HELPER(r_bell_scribbler)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    uint32_t *word, *roster;
    uint8_t *f;
    int fd;

    CHECK(argc == 2);
    test_die_with_parent();
    fd = companion_fd(argv[0]);
    f = mmap(NULL, 2 * MMF__HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(f != MAP_FAILED);
    word = (uint32_t *)(void *)(f + 2 * MMF__HDR_SIZE - 24);
    roster = (uint32_t *)(void *)(f + 2048);
    test_sync_signal(atoi(argv[1]));
    for (unsigned i = 0;; i++) {
        static const uint32_t forged[] = {0, 0x40000000u, 0xc0000000u, 0x80000001u, 1, 0x3fffffffu};
        x = mix64(x);
        __atomic_store_n(word, i % 2 ? (uint32_t)x : forged[(i / 2) % 6], __ATOMIC_RELAXED);
        if (i % 64 == 0)
            __atomic_fetch_add(roster, 1u, __ATOMIC_RELAXED);
        if (i % 1024 == 0)
            test_sleep_ms(1);
    }
}
#endif

/*
 * A process scribbling on the liveness words can make a waiter poll, never
 * hang it nor make it see a live peer gone: the timed wait times out in
 * time, a death is still seen, and a quiet word afterwards rings again.
 */
#ifndef _WIN32
static void forged_liveness_word_os(void)
{
    const char *n = test_name("r");
    struct test_sync sy;
    pid_t prod, scr;
    uint64_t t0;
    mmf_ring *c;
    mmf_msg m;
    char fd[16];

    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    prod = spawn_holder(n, MMF_ROLE_PRODUCER, "main", -1);
    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    scr = test_spawn("r_bell_scribbler", n, fd, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
    for (int i = 0; i < 3; i++) {
        t0 = test_now_ns();
        CHECK_RC(mmf_ring_peek(c, &m, 500), MMF_ETIMEDOUT);
        CHECK(elapsed_ms(t0) < 3000);
    }
    kill(prod, SIGKILL);
    CHECK_EQ(test_wait(prod), 128 + SIGKILL);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_peek(c, &m, MMF_INFINITE), MMF_EPIPE);
    CHECK(elapsed_ms(t0) < 3000);
    kill(scr, SIGKILL);
    CHECK_EQ(test_wait(scr), 128 + SIGKILL);
    CHECK_OK(mmf_ring_close(c));
}
#else
/* Windows keeps no liveness word in shared memory: each endpoint's claim
 * is a named mutex that the kernel abandons when its process dies, and a
 * waiter sleeps on its peers' mutexes (src/win/chan.c). What shared memory
 * does hold is the hint of which claim slots may be held (claim_hint of
 * struct mmf__win_chan_extra, beside the header), and any process that
 * may write the channel may forge it. argv: name ready-fd how: "set"
 * forges set bits only, "any" also clears bits, until killed. */
HELPER(r_hint_scribbler)
{
    uint64_t x = 0x9e3779b97f4a7c15u, *hint;
    const size_t words = MMF__CLAIM_SLOTS / 64;
    int any;
    uint8_t *st;

    CHECK(argc == 3);
    test_die_with_parent();
    any = strcmp(argv[2], "any") == 0;
    st = map_store(argv[0], MMF__HDR_SIZE + sizeof(struct mmf__win_chan_extra));
    hint = ((struct mmf__win_chan_extra *)(void *)(st + MMF__HDR_SIZE))->claim_hint;
    test_sync_signal(atoi(argv[1]));
    for (unsigned i = 0;; i++) {
        uint64_t *w = &hint[i % 2 == 0 ? 0 : (size_t)(x >> 32) % words]; /* producers' often */
        x = mix64(x);
        if (!any)
            __atomic_fetch_or(w, x, __ATOMIC_RELAXED);
        else if (i % 3 == 0)
            __atomic_store_n(w, 0, __ATOMIC_RELAXED);
        else
            __atomic_store_n(w, i % 3 == 1 ? x : UINT64_MAX, __ATOMIC_RELAXED);
        if (i % 1024 == 0)
            test_sleep_ms(1);
    }
}

static pid_t spawn_hint_scribbler(const char *n, const char *how)
{
    struct test_sync sy;
    char fd[16];
    pid_t pid;

    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("r_hint_scribbler", n, fd, how, NULL);
    close(sy.wr);
    CHECK(test_sync_wait(&sy, 30000));
    close(sy.rd);
    return pid;
}

/*
 * Forged set bits in the claim hint cost the waiter kernel queries, never
 * a hang nor a live peer taken for gone: the timed wait times out in time.
 * Cleared bits may make the live producer look gone (the hint is only a
 * hint, src/win/chan.c, CLAIMS): a wait may then end early with
 * MMF_EPIPE, but every wait ends in time, and a real death is still seen.
 */
static void forged_liveness_word_os(void)
{
    const char *n = test_name("r");
    pid_t prod, scr;
    uint64_t t0;
    mmf_ring *c;
    mmf_msg m;
    int rc;

    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    prod = spawn_holder(n, MMF_ROLE_PRODUCER, "main", -1);
    scr = spawn_hint_scribbler(n, "set");
    for (int i = 0; i < 3; i++) {
        t0 = test_now_ns();
        CHECK_RC(mmf_ring_peek(c, &m, 500), MMF_ETIMEDOUT);
        CHECK(elapsed_ms(t0) < 3000);
    }
    kill(scr, SIGKILL);
    CHECK_EQ(test_wait(scr), 128 + SIGKILL);
    scr = spawn_hint_scribbler(n, "any");
    for (int i = 0; i < 3; i++) {
        t0 = test_now_ns();
        rc = mmf_ring_peek(c, &m, 500);
        CHECK(rc == MMF_ETIMEDOUT || rc == MMF_EPIPE);
        CHECK(elapsed_ms(t0) < 3000);
        printf("wait with a forged hint: %s after %ld ms\n", mmf_err_name(rc), elapsed_ms(t0));
    }
    kill(prod, SIGKILL);
    CHECK_EQ(test_wait(prod), 128 + SIGKILL);
    t0 = test_now_ns();
    CHECK_RC(mmf_ring_peek(c, &m, MMF_INFINITE), MMF_EPIPE);
    CHECK(elapsed_ms(t0) < 3000);
    kill(scr, SIGKILL);
    CHECK_EQ(test_wait(scr), 128 + SIGKILL);
    CHECK_OK(mmf_ring_close(c));
}
#endif

TEST(forged_liveness_word)
{
    forged_liveness_word_os();
}

/*
 * The thread that attached the producer ends while its process lives: the
 * consumer does not take the producer for gone, hears from it when it
 * sends from another thread, and hears of its death when it is killed.
 */
TEST(attaching_thread_exits)
{
    const char *n = test_name("r");
    struct killer k = {0, 30, 0, 0};
    struct thread t;
    struct test_sync go;
    mmf_ring *c;
    mmf_msg m;

    test_sync_init(&go);
    CHECK_OK(mmf_ring_create(&c, n, 4096, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    k.pid = spawn_holder(n, MMF_ROLE_PRODUCER, "thread", go.rd);
    CHECK_RC(mmf_ring_peek(c, &m, 300), MMF_ETIMEDOUT);
    test_sync_signal(go.wr);
    CHECK_OK(mmf_ring_peek(c, &m, 30000));
    CHECK_EQ(m.len, 1);
    CHECK_OK(mmf_ring_release(c, 1));
    /* Sent by a thread that armed the word again: its death rings. */
    thread_start(&t, kill_later, &k);
    CHECK_RC(mmf_ring_peek(c, &m, MMF_INFINITE), MMF_EPIPE);
    printf("after re-arming: SIGKILL to MMF_EPIPE in %.3f ms\n",
           (double)(test_now_ns() - __atomic_load_n(&k.at_ns, __ATOMIC_ACQUIRE)) / 1e6);
    CHECK_OK(thread_join(&t));
    CHECK_EQ(test_wait(k.pid), 128 + SIGKILL);
    close(go.rd);
    close(go.wr);
    CHECK_OK(mmf_ring_close(c));
}
