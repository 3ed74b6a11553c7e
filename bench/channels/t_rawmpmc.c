/* SPDX-License-Identifier: MIT */
/*
 * t_rawmpmc.c - the limit for a bounded MPMC queue: Dmitry Vyukov's
 * sequence-numbered slots in raw shared memory, spinning, nothing else.
 * The baseline of the mmf queue's rows.
 *
 * Each slot holds a sequence number and a message. A producer claims the
 * next position with a CAS on the queue's enqueue counter once the slot's
 * sequence says it is free (seq == pos), writes the message, and
 * publishes it with seq = pos + 1 (release). A consumer claims with a CAS
 * on the dequeue counter once seq == pos + 1, reads the message, and
 * frees the slot with seq = pos + nslots. Two atomic writes to shared
 * memory per message on each side (the claim and the sequence), as any
 * multi-producer multi-consumer queue needs; unlike mmf's queue it has no
 * crash recovery (a process killed between claim and publish stops the
 * queue for good), no sleeping and no validation of what it reads.
 *
 * One queue per direction; the latency ping-pong uses the same queues
 * with one message at a time.
 */
#include <sys/mman.h>

#include "chanbench.h"

#define LINE 64

struct mpmc_ctl {
    _Alignas(LINE) uint64_t enq; /* next position to claim for writing */
    _Alignas(LINE) uint64_t deq; /* next position to claim for reading */
};

struct mpmc_q {
    struct mpmc_ctl *ctl;
    unsigned char *slots; /* nslots records of `stride` bytes */
};

static struct {
    unsigned char *base;
    size_t bytes;
    size_t stride;         /* 8 bytes of sequence + the message, whole lines */
    uint64_t nslots;       /* a power of two */
    struct mpmc_q q[2];    /* [d]: from side d to side 1 - d */
} g;

static size_t round_line(size_t n)
{
    return (n + LINE - 1) & ~(size_t)(LINE - 1);
}

static uint64_t *seq_at(const struct mpmc_q *q, uint64_t pos)
{
    return (uint64_t *)(void *)(q->slots + (pos & (g.nslots - 1)) * g.stride);
}

static int rawmpmc_setup(struct cb_chan *c)
{
    /* At most 512 KiB of slots per direction, 2 to 4096 of them. */
    uint64_t n = 2;
    g.stride = round_line(8 + c->size);
    while (n < 4096 && (n * 2) * g.stride <= (512u << 10))
        n *= 2;
    g.nslots = n;
    size_t one = round_line(sizeof(struct mpmc_ctl)) + n * g.stride;
    g.bytes = 2 * one;
    g.base = mmap(NULL, g.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g.base == MAP_FAILED) {
        g.base = NULL;
        return cb_fail_errno(c, "mmap");
    }
    for (int d = 0; d < 2; d++) {
        struct mpmc_q *q = &g.q[d];
        q->ctl = (struct mpmc_ctl *)(void *)(g.base + (size_t)d * one);
        q->slots = (unsigned char *)q->ctl + round_line(sizeof(struct mpmc_ctl));
        for (uint64_t i = 0; i < n; i++)
            *seq_at(q, i) = i;
    }
    return 0;
}

static int rawmpmc_attach(struct cb_chan *c)
{
    (void)c;
    return 0;
}

static int rawmpmc_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    struct mpmc_q *q = &g.q[c->side];
    for (unsigned i = 0; i < n; i++) {
        uint64_t pos = __atomic_load_n(&q->ctl->enq, __ATOMIC_RELAXED);
        uint64_t *seq;
        for (;;) {
            seq = seq_at(q, pos);
            uint64_t s = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
            if (s == pos) {
                if (__atomic_compare_exchange_n(&q->ctl->enq, &pos, pos + 1, 1,
                                                __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                    break;
            } else if (s < pos) {
                cb_relax(); /* full: the consumer has not freed it yet */
                pos = __atomic_load_n(&q->ctl->enq, __ATOMIC_RELAXED);
            } else {
                pos = __atomic_load_n(&q->ctl->enq, __ATOMIC_RELAXED);
            }
        }
        cb_put(c, seq + 1, cb_value(first, i, n, last));
        __atomic_store_n(seq, pos + 1, __ATOMIC_RELEASE);
    }
    return 0;
}

static int rawmpmc_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    struct mpmc_q *q = &g.q[1 - c->side];
    unsigned got = 0;
    while (got < max) {
        uint64_t pos = __atomic_load_n(&q->ctl->deq, __ATOMIC_RELAXED);
        uint64_t *seq = seq_at(q, pos);
        uint64_t s = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
        if (s == pos + 1) {
            if (!__atomic_compare_exchange_n(&q->ctl->deq, &pos, pos + 1, 1,
                                             __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                continue;
            vals[got++] = cb_get(c, seq + 1);
            __atomic_store_n(seq, pos + g.nslots, __ATOMIC_RELEASE);
        } else if (got > 0) {
            break; /* hand out what there is */
        } else {
            cb_relax(); /* empty */
        }
    }
    return (int)got;
}

static void rawmpmc_detach(struct cb_chan *c)
{
    (void)c;
}

static void rawmpmc_teardown(struct cb_chan *c)
{
    (void)c;
    if (g.base != NULL)
        munmap(g.base, g.bytes);
    g.base = NULL;
}

const struct cb_transport cb_rawmpmc = {
    .name = "raw-mpmc",
    .label = "raw bounded MPMC queue (baseline)",
    .about = "shared anonymous memory; Vyukov's sequence-numbered slots, one queue per "
             "direction, a CAS to claim and a release store to publish or free each "
             "message, in place, spinning; no crash recovery, no sleeping",
    .flags = CB_ZERO_COPY | CB_BATCH,
    .setup = rawmpmc_setup,
    .attach = rawmpmc_attach,
    .send = rawmpmc_send,
    .recv = rawmpmc_recv,
    .detach = rawmpmc_detach,
    .teardown = rawmpmc_teardown,
};
