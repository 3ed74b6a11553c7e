/* SPDX-License-Identifier: MIT */
/*
 * t_spin.c - the machine's limit: raw shared memory and spinning, nothing
 * else. The baseline row.
 *
 * Latency: each direction is one message-sized buffer on a page both
 * processes map. The sender writes the last 8 bytes, then stores the
 * first 8 with release order; the receiver spins on the first 8 bytes
 * (acquire) until they change, then reads the last 8. For messages up to
 * 64 bytes that is exactly one cache line bouncing between the two cores,
 * the least any channel can do.
 *
 * Throughput: a bare single-producer single-consumer ring of message-sized
 * slots (Lamport's ring: a head written only by the producer, a tail
 * written only by the consumer, each on its own cache line, each side
 * keeping a private copy of the other's counter and re-reading it only
 * when the ring looks full or empty, and publishing its own once per
 * batch). No lengths, no wrap handling, no sleeping: a lower bound for
 * any real ring.
 */
#include <sys/mman.h>

#include "chanbench.h"

#define LINE 64
/* The first 8 bytes of a latency buffer before any message: a value no
 * message carries, so that message 0 is seen as a change. */
#define FRESH (UINT64_MAX - 1)

struct spin_ctl {
    _Alignas(LINE) uint64_t head; /* slots written by the producer */
    _Alignas(LINE) uint64_t tail; /* slots released by the consumer */
};

static struct {
    unsigned char *base;
    size_t bytes;
    struct spin_ctl *ctl;
    unsigned char *msg[2]; /* latency buffer per direction */
    unsigned char *slots;
    uint64_t nslots;       /* a power of two */
    /* This process's private counters. */
    uint64_t head, tail, seen[2];
    uint64_t peer; /* the other side's counter, as last read */
} g;

static size_t round_line(size_t n)
{
    return (n + LINE - 1) & ~(size_t)(LINE - 1);
}

static int spin_setup(struct cb_chan *c)
{
    /* A ring of at most 512 KiB (it stays in the caches), at least two
     * slots, at most 4096. */
    uint64_t n = 2;
    while (n < 4096 && (n * 2) * c->size <= (512u << 10))
        n *= 2;
    g.nslots = n;
    g.bytes = round_line(sizeof(struct spin_ctl)) + 2 * round_line(c->size) + n * c->size;
    g.base = mmap(NULL, g.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g.base == MAP_FAILED) {
        g.base = NULL;
        return cb_fail_errno(c, "mmap");
    }
    g.ctl = (struct spin_ctl *)(void *)g.base;
    g.msg[0] = g.base + round_line(sizeof(struct spin_ctl));
    g.msg[1] = g.msg[0] + round_line(c->size);
    g.slots = g.msg[1] + round_line(c->size);
    for (int d = 0; d < 2; d++) {
        uint64_t fresh = FRESH;
        memcpy(g.msg[d], &fresh, 8);
        g.seen[d] = FRESH;
    }
    return 0;
}

static int spin_attach(struct cb_chan *c)
{
    (void)c;
    g.head = g.tail = g.peer = 0;
    return 0;
}

/* Write a message whose first 8 bytes tell the reader it is there. */
static void put_flagged(const struct cb_chan *c, unsigned char *m, uint64_t v)
{
    if (c->copy)
        memcpy(m, c->src, c->size);
    if (c->size > 8)
        memcpy(m + c->size - 8, &v, 8);
    __atomic_store_n((uint64_t *)(void *)m, v, __ATOMIC_RELEASE);
}

static int spin_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    if (c->phase == CB_PHASE_LATENCY) {
        put_flagged(c, g.msg[c->side], cb_value(first, 0, 1, last));
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        while (g.head - g.peer >= g.nslots) {
            g.peer = __atomic_load_n(&g.ctl->tail, __ATOMIC_ACQUIRE);
            if (g.head - g.peer >= g.nslots)
                cb_relax();
        }
        cb_put(c, g.slots + (g.head & (g.nslots - 1)) * c->size, cb_value(first, i, n, last));
        g.head++;
    }
    __atomic_store_n(&g.ctl->head, g.head, __ATOMIC_RELEASE);
    return 0;
}

static int spin_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    if (c->phase == CB_PHASE_LATENCY) {
        int d = 1 - c->side;
        unsigned char *m = g.msg[d];
        uint64_t v, w;
        while ((v = __atomic_load_n((uint64_t *)(void *)m, __ATOMIC_ACQUIRE)) == g.seen[d])
            cb_relax();
        g.seen[d] = v;
        memcpy(&w, m + c->size - 8, 8);
        vals[0] = v == w ? v : CB_TORN;
        return 1;
    }
    while (g.peer == g.tail) {
        g.peer = __atomic_load_n(&g.ctl->head, __ATOMIC_ACQUIRE);
        if (g.peer == g.tail)
            cb_relax();
    }
    unsigned n = g.peer - g.tail < max ? (unsigned)(g.peer - g.tail) : max;
    for (unsigned i = 0; i < n; i++)
        vals[i] = cb_get(c, g.slots + ((g.tail + i) & (g.nslots - 1)) * c->size);
    g.tail += n;
    __atomic_store_n(&g.ctl->tail, g.tail, __ATOMIC_RELEASE);
    return (int)n;
}

static void spin_detach(struct cb_chan *c)
{
    (void)c;
}

static void spin_teardown(struct cb_chan *c)
{
    (void)c;
    if (g.base != NULL)
        munmap(g.base, g.bytes);
    g.base = NULL;
}

const struct cb_transport cb_spin = {
    .name = "spin",
    .label = "raw cache-line ping-pong (baseline)",
    .about = "shared anonymous page; latency: one buffer per direction, the reader spins "
             "on its first 8 bytes; throughput: a bare Lamport SPSC ring of message slots, "
             "batched, spinning",
    .flags = CB_ZERO_COPY | CB_BATCH,
    .setup = spin_setup,
    .attach = spin_attach,
    .send = spin_send,
    .recv = spin_recv,
    .detach = spin_detach,
    .teardown = spin_teardown,
};
