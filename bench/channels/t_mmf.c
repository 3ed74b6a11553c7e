/* SPDX-License-Identifier: MIT */
/*
 * t_mmf.c - mmf's own channels: the SPSC ring (busy-poll and blocking)
 * and the MPMC queue.
 *
 * One named channel per direction; each side creates both with
 * MMF_OPEN_OR_CREATE (either may come first), as the producer of its own
 * direction and the consumer of the other. The zero-copy calls throughout:
 *   ring:  mmf_ring_reserve_batch() + write in place + mmf_ring_commit_batch()
 *          (mmf_ring_reserve/commit for single messages);
 *          mmf_ring_peek_batch() + read in place + mmf_ring_release();
 *   queue: mmf_queue_reserve_batch() + write in place +
 *          mmf_queue_commit_batch(); mmf_queue_peek_batch() + read in place +
 *          mmf_queue_release_batch(); the per-message row ("mmf-mpmc-1")
 *          mmf_queue_reserve/commit and mmf_queue_peek/release only.
 * The busy-poll row opens its endpoints with MMF_CHANNEL_BUSY_POLL (waits
 * spin, never sleep); the blocking row uses the default waiting (spin
 * briefly, then sleep in the kernel, wake-ups only for a sleeper). The
 * queue row busy-polls too.
 */
#include <stdio.h>

#include <mmf.h>

#include "chanbench.h"


/* A wait longer than this means the other side is stuck: an error with a
 * name (MMF_ETIMEDOUT), before the driver's deadline kills the run. */
#define WAIT_MS ((long long)(CB_STUCK_NS / 1000000u))

static struct {
    char name[2][128];
    mmf_ring *ring[2];   /* [direction]: this side's tx and rx endpoints */
    mmf_queue *queue[2];
    uint64_t capacity;
} g;

static int mmf_err(struct cb_chan *c, const char *call, int rc)
{
    return cb_fail(c, "%s: %s (%s)", call, mmf_strerror(rc), mmf_err_name(rc));
}

static int names(struct cb_chan *c, const char *kind)
{
    for (int d = 0; d < 2; d++)
        snprintf(g.name[d], sizeof g.name[d], "%s-%s-%zu-%d", c->tag, kind, c->size, d);
    return 0;
}

/* ---- SPSC ring ---------------------------------------------------------- */

static int ring_setup(struct cb_chan *c)
{
    /* 1 MiB, or four messages' worth: a power of two, as the ring wants. */
    g.capacity = 1u << 20;
    while (g.capacity < 4 * (c->size + 64))
        g.capacity *= 2;
    return names(c, "ring");
}

static int ring_attach_flags(struct cb_chan *c, unsigned flags)
{
    mmf_channel_opts o = {.flags = flags};
    for (int d = 0; d < 2; d++) {
        int role = d == c->side ? MMF_ROLE_PRODUCER : MMF_ROLE_CONSUMER;
        int rc = mmf_ring_create(&g.ring[d], g.name[d], g.capacity, role, MMF_OPEN_OR_CREATE, &o);
        if (rc < 0)
            return mmf_err(c, "mmf_ring_create", rc);
    }
    if (mmf_ring_max_message(g.ring[c->side]) < c->size)
        return cb_fail(c, "a %llu B ring carries at most %zu B messages",
                       (unsigned long long)g.capacity, mmf_ring_max_message(g.ring[c->side]));
    return 0;
}

static int ring_attach_busy(struct cb_chan *c)
{
    return ring_attach_flags(c, MMF_CHANNEL_BUSY_POLL);
}

static int ring_attach_block(struct cb_chan *c)
{
    return ring_attach_flags(c, 0);
}

static int ring_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    mmf_ring *r = g.ring[c->side];
    int rc;
    if (n == 1) {
        void *p;
        if ((rc = mmf_ring_reserve(r, c->size, &p, WAIT_MS)) < 0)
            return mmf_err(c, "mmf_ring_reserve", rc);
        cb_put(c, p, cb_value(first, 0, 1, last));
        if ((rc = mmf_ring_commit(r, c->size)) < 0)
            return mmf_err(c, "mmf_ring_commit", rc);
        return 0;
    }
    mmf_msg m[CB_MAX_BATCH];
    for (unsigned done = 0; done < n;) {
        for (unsigned i = done; i < n; i++)
            m[i - done].len = c->size;
        int k = mmf_ring_reserve_batch(r, m, n - done, WAIT_MS);
        if (k < 1)
            return mmf_err(c, "mmf_ring_reserve_batch", k < 0 ? k : MMF_EIO);
        for (int i = 0; i < k; i++)
            cb_put(c, m[i].data, cb_value(first, done + (unsigned)i, n, last));
        if ((rc = mmf_ring_commit_batch(r, (size_t)k)) < 0)
            return mmf_err(c, "mmf_ring_commit_batch", rc);
        done += (unsigned)k;
    }
    return 0;
}

static int ring_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    mmf_ring *r = g.ring[1 - c->side];
    mmf_msg m[CB_MAX_BATCH];
    int k, rc;
    if (max == 1) {
        rc = mmf_ring_peek(r, &m[0], WAIT_MS);
        k = rc < 0 ? rc : 1;
    } else {
        k = mmf_ring_peek_batch(r, m, max, WAIT_MS);
    }
    if (k < 1)
        return mmf_err(c, max == 1 ? "mmf_ring_peek" : "mmf_ring_peek_batch", k < 0 ? k : MMF_EIO);
    for (int i = 0; i < k; i++) {
        if (m[i].len != c->size)
            return cb_fail(c, "a %zu B message, expected %zu B", m[i].len, c->size);
        vals[i] = cb_get(c, m[i].data);
    }
    if ((rc = mmf_ring_release(r, (size_t)k)) < 0)
        return mmf_err(c, "mmf_ring_release", rc);
    return k;
}

static void ring_detach(struct cb_chan *c)
{
    (void)c;
    for (int d = 0; d < 2; d++) {
        if (g.ring[d] != NULL)
            mmf_ring_close(g.ring[d]);
        g.ring[d] = NULL;
    }
}

/* ---- MPMC queue --------------------------------------------------------- */

static int queue_setup(struct cb_chan *c)
{
    /* The driver's depth (about 4 MiB, 2 to 256 slots), a power of two. */
    g.capacity = 2;
    while (g.capacity * 2 <= c->depth)
        g.capacity *= 2;
    return names(c, "queue");
}

static int queue_attach(struct cb_chan *c)
{
    mmf_channel_opts o = {.flags = MMF_CHANNEL_BUSY_POLL};
    for (int d = 0; d < 2; d++) {
        int role = d == c->side ? MMF_ROLE_PRODUCER : MMF_ROLE_CONSUMER;
        int rc = mmf_queue_create(&g.queue[d], g.name[d], (uint32_t)g.capacity,
                                  (uint32_t)c->size, role, MMF_OPEN_OR_CREATE, &o);
        if (rc < 0)
            return mmf_err(c, "mmf_queue_create", rc);
    }
    return 0;
}

static int queue_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    mmf_queue *q = g.queue[c->side];
    int rc;
    (void)n;
    void *p;
    if ((rc = mmf_queue_reserve(q, &p, WAIT_MS)) < 0)
        return mmf_err(c, "mmf_queue_reserve", rc);
    cb_put(c, p, cb_value(first, 0, 1, last));
    if ((rc = mmf_queue_commit(q, c->size)) < 0)
        return mmf_err(c, "mmf_queue_commit", rc);
    return 0;
}

static int queue_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    mmf_queue *q = g.queue[1 - c->side];
    mmf_msg m;
    int rc;
    (void)max;
    if ((rc = mmf_queue_peek(q, &m, WAIT_MS)) < 0)
        return mmf_err(c, "mmf_queue_peek", rc);
    if (m.len != c->size)
        return cb_fail(c, "a %zu B message, expected %zu B", m.len, c->size);
    vals[0] = cb_get(c, m.data);
    if ((rc = mmf_queue_release(q)) < 0)
        return mmf_err(c, "mmf_queue_release", rc);
    return 1;
}

static int queue_send_batch(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    mmf_queue *q = g.queue[c->side];
    mmf_msg m[CB_MAX_BATCH];
    int rc;
    if (n == 1)
        return queue_send(c, first, n, last);
    for (unsigned done = 0; done < n;) {
        for (unsigned i = done; i < n; i++)
            m[i - done].len = c->size;
        int k = mmf_queue_reserve_batch(q, m, n - done, WAIT_MS);
        if (k < 1)
            return mmf_err(c, "mmf_queue_reserve_batch", k < 0 ? k : MMF_EIO);
        for (int i = 0; i < k; i++)
            cb_put(c, m[i].data, cb_value(first, done + (unsigned)i, n, last));
        if ((rc = mmf_queue_commit_batch(q, (size_t)k)) < 0)
            return mmf_err(c, "mmf_queue_commit_batch", rc);
        done += (unsigned)k;
    }
    return 0;
}

static int queue_recv_batch(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    mmf_queue *q = g.queue[1 - c->side];
    mmf_msg m[CB_MAX_BATCH];
    int k, rc;
    if (max == 1)
        return queue_recv(c, vals, max);
    k = mmf_queue_peek_batch(q, m, max, WAIT_MS);
    if (k < 1)
        return mmf_err(c, "mmf_queue_peek_batch", k < 0 ? k : MMF_EIO);
    for (int i = 0; i < k; i++) {
        if (m[i].len != c->size)
            return cb_fail(c, "a %zu B message, expected %zu B", m[i].len, c->size);
        vals[i] = cb_get(c, m[i].data);
    }
    if ((rc = mmf_queue_release_batch(q, (size_t)k)) < 0)
        return mmf_err(c, "mmf_queue_release_batch", rc);
    return k;
}

static void queue_detach(struct cb_chan *c)
{
    (void)c;
    for (int d = 0; d < 2; d++) {
        if (g.queue[d] != NULL)
            mmf_queue_close(g.queue[d]);
        g.queue[d] = NULL;
    }
}

static void mmf_teardown(struct cb_chan *c)
{
    /* The last endpoint removed the names; a side that was killed leaves
     * a stale entry that mmf reclaims on next use of the name, and the
     * driver's sweep removes. */
    (void)c;
}

const struct cb_transport cb_mmf_spsc_busy = {
    .name = "mmf-spsc-busy",
    .label = "mmf SPSC ring, busy-poll",
    .about = "mmf_ring per direction (1 MiB, or 4 messages), MMF_CHANNEL_BUSY_POLL; "
             "reserve_batch + write in place + commit_batch, peek_batch + read in place + "
             "release",
    .flags = CB_ZERO_COPY | CB_BATCH,
    .setup = ring_setup,
    .attach = ring_attach_busy,
    .send = ring_send,
    .recv = ring_recv,
    .detach = ring_detach,
    .teardown = mmf_teardown,
};

const struct cb_transport cb_mmf_spsc_block = {
    .name = "mmf-spsc-block",
    .label = "mmf SPSC ring, blocking",
    .about = "as the busy-poll row, with the default waiting: spin briefly, then sleep in "
             "the kernel; a wake-up call only when the other side sleeps",
    .flags = CB_ZERO_COPY | CB_BATCH,
    .setup = ring_setup,
    .attach = ring_attach_block,
    .send = ring_send,
    .recv = ring_recv,
    .detach = ring_detach,
    .teardown = mmf_teardown,
};

const struct cb_transport cb_mmf_mpmc = {
    .name = "mmf-mpmc",
    .label = "mmf MPMC queue, busy-poll",
    .about = "mmf_queue per direction, slots of the message size (about 4 MiB, 2 to 256 "
             "slots), MMF_CHANNEL_BUSY_POLL; reserve_batch + write in place + commit_batch, "
             "peek_batch + read in place + release_batch",
    .flags = CB_ZERO_COPY | CB_BATCH,
    .setup = queue_setup,
    .attach = queue_attach,
    .send = queue_send_batch,
    .recv = queue_recv_batch,
    .detach = queue_detach,
    .teardown = mmf_teardown,
};

const struct cb_transport cb_mmf_mpmc_single = {
    .name = "mmf-mpmc-1",
    .label = "mmf MPMC queue, busy-poll, one message per call",
    .about = "as mmf-mpmc, with reserve + write in place + commit, peek + read in place + "
             "release, one message per call",
    .flags = CB_ZERO_COPY,
    .setup = queue_setup,
    .attach = queue_attach,
    .send = queue_send,
    .recv = queue_recv,
    .detach = queue_detach,
    .teardown = mmf_teardown,
};
