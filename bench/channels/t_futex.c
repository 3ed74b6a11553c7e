/* SPDX-License-Identifier: MIT */
/*
 * t_futex.c - raw futex ping-pong: the reference for a blocking channel.
 *
 * Each direction is a message-sized buffer and a 32-bit counter on a
 * shared page. The sender writes the message, increments the counter
 * (release) and always calls FUTEX_WAKE; the receiver sleeps in FUTEX_WAIT
 * while the counter is unchanged, never spinning. Every message therefore
 * costs one wake and (nearly always) one sleep: what a blocking channel
 * built directly on the kernel pays. Shared (not private) futexes: the two
 * processes have different address spaces.
 *
 * Latency only: a blocking stream is what the channels themselves are
 * for; this row is the yardstick for their blocking round trip.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chanbench.h"

struct dir {
    _Alignas(64) uint32_t count;
};

static struct {
    unsigned char *base;
    size_t bytes;
    struct dir *dir[2];
    unsigned char *msg[2];
    uint32_t seen[2];
} g;

static long futex(uint32_t *w, int op, uint32_t val)
{
    return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static int futex_setup(struct cb_chan *c)
{
    size_t msg = (c->size + 63) & ~(size_t)63;
    g.bytes = 2 * 64 + 2 * msg;
    g.base = mmap(NULL, g.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g.base == MAP_FAILED) {
        g.base = NULL;
        return cb_fail_errno(c, "mmap");
    }
    g.dir[0] = (struct dir *)(void *)g.base;
    g.dir[1] = (struct dir *)(void *)(g.base + 64);
    g.msg[0] = g.base + 128;
    g.msg[1] = g.msg[0] + msg;
    return 0;
}

static int futex_attach(struct cb_chan *c)
{
    (void)c;
    g.seen[0] = g.seen[1] = 0;
    return 0;
}

static int futex_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    struct dir *d = g.dir[c->side];
    (void)n;
    cb_put(c, g.msg[c->side], cb_value(first, 0, 1, last));
    __atomic_fetch_add(&d->count, 1, __ATOMIC_RELEASE);
    if (futex(&d->count, FUTEX_WAKE, 1) < 0)
        return cb_fail_errno(c, "FUTEX_WAKE");
    return 0;
}

static int futex_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    int k = 1 - c->side;
    struct dir *d = g.dir[k];
    uint32_t now;
    (void)max;
    while ((now = __atomic_load_n(&d->count, __ATOMIC_ACQUIRE)) == g.seen[k]) {
        if (futex(&d->count, FUTEX_WAIT, g.seen[k]) < 0 && errno != EAGAIN && errno != EINTR)
            return cb_fail_errno(c, "FUTEX_WAIT");
    }
    if (now != g.seen[k] + 1)
        return cb_fail(c, "the counter jumped from %u to %u: a message was overwritten",
                       g.seen[k], now);
    g.seen[k] = now;
    vals[0] = cb_get(c, g.msg[k]);
    return 1;
}

static void futex_detach(struct cb_chan *c)
{
    (void)c;
}

static void futex_teardown(struct cb_chan *c)
{
    (void)c;
    if (g.base != NULL)
        munmap(g.base, g.bytes);
    g.base = NULL;
}

const struct cb_transport cb_futex = {
    .name = "futex",
    .label = "raw futex ping-pong (blocking baseline)",
    .about = "shared anonymous page; store + FUTEX_WAKE on every message, FUTEX_WAIT while "
             "nothing new (no spinning); latency only",
    .flags = CB_LATENCY_ONLY,
    .setup = futex_setup,
    .attach = futex_attach,
    .send = futex_send,
    .recv = futex_recv,
    .detach = futex_detach,
    .teardown = futex_teardown,
};
