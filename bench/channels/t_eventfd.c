/* SPDX-License-Identifier: MIT */
/*
 * t_eventfd.c - shared memory for the data, eventfd for the signalling:
 * the usual hand-made blocking channel.
 *
 * Each direction is a ring of message slots on a shared page and two
 * eventfd counters: "items" (the producer adds what it wrote) and "space"
 * (the consumer adds what it freed). The producer writes a batch of
 * messages into the slots and signals them with one write(items, n); the
 * consumer's read(items) blocks until there is something and returns
 * everything signalled so far, which it then takes in batches and gives
 * back with write(space, n). Messages are read in place: a zero-copy
 * channel, so the copy variant is a separate run. Every batch costs one
 * system call on each side, sleeping or not.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chanbench.h"

static struct {
    unsigned char *base;
    size_t bytes;
    unsigned char *slots[2];
    int items[2], space[2];
    uint64_t nslots;
    /* This process's view of its two directions. */
    uint64_t head, credit; /* its tx */
    uint64_t tail, avail;  /* its rx */
} g = {.items = {-1, -1}, .space = {-1, -1}};

static int efd_setup(struct cb_chan *c)
{
    g.nslots = c->depth < 2 * c->batch ? 2 * c->batch : c->depth;
    g.bytes = 2 * g.nslots * c->size;
    g.base = mmap(NULL, g.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g.base == MAP_FAILED) {
        g.base = NULL;
        return cb_fail_errno(c, "mmap");
    }
    g.slots[0] = g.base;
    g.slots[1] = g.base + g.nslots * c->size;
    for (int d = 0; d < 2; d++) {
        g.items[d] = eventfd(0, EFD_CLOEXEC);
        g.space[d] = eventfd(0, EFD_CLOEXEC);
        if (g.items[d] < 0 || g.space[d] < 0)
            return cb_fail_errno(c, "eventfd");
    }
    return 0;
}

static int efd_attach(struct cb_chan *c)
{
    (void)c;
    g.head = g.tail = g.avail = 0;
    g.credit = g.nslots;
    return 0;
}

static int efd_read(struct cb_chan *c, int fd, uint64_t *v)
{
    while (read(fd, v, sizeof *v) != (ssize_t)sizeof *v)
        if (errno != EINTR)
            return cb_fail_errno(c, "read(eventfd)");
    return 0;
}

static int efd_write(struct cb_chan *c, int fd, uint64_t v)
{
    while (write(fd, &v, sizeof v) != (ssize_t)sizeof v)
        if (errno != EINTR)
            return cb_fail_errno(c, "write(eventfd)");
    return 0;
}

static int efd_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    int d = c->side;
    while (g.credit < n) {
        uint64_t freed;
        if (efd_read(c, g.space[d], &freed) != 0)
            return -1;
        g.credit += freed;
    }
    for (unsigned i = 0; i < n; i++)
        cb_put(c, g.slots[d] + ((g.head + i) % g.nslots) * c->size, cb_value(first, i, n, last));
    g.head += n;
    g.credit -= n;
    /* The eventfd write orders the slot writes before the reader's read. */
    return efd_write(c, g.items[d], n);
}

static int efd_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    int d = 1 - c->side;
    if (g.avail == 0 && efd_read(c, g.items[d], &g.avail) != 0)
        return -1;
    unsigned n = g.avail < max ? (unsigned)g.avail : max;
    for (unsigned i = 0; i < n; i++)
        vals[i] = cb_get(c, g.slots[d] + ((g.tail + i) % g.nslots) * c->size);
    g.tail += n;
    g.avail -= n;
    return efd_write(c, g.space[d], n) == 0 ? (int)n : -1;
}

static void efd_detach(struct cb_chan *c)
{
    (void)c;
}

static void efd_teardown(struct cb_chan *c)
{
    (void)c;
    for (int d = 0; d < 2; d++) {
        if (g.items[d] >= 0)
            close(g.items[d]);
        if (g.space[d] >= 0)
            close(g.space[d]);
        g.items[d] = g.space[d] = -1;
    }
    if (g.base != NULL)
        munmap(g.base, g.bytes);
    g.base = NULL;
}

const struct cb_transport cb_eventfd = {
    .name = "eventfd",
    .label = "eventfd + shared memory",
    .about = "a ring of message slots per direction in a shared anonymous mapping; eventfd "
             "counters for items and free slots, one write() per batch, blocking read()",
    .flags = CB_ZERO_COPY | CB_BATCH,
    .setup = efd_setup,
    .attach = efd_attach,
    .send = efd_send,
    .recv = efd_recv,
    .detach = efd_detach,
    .teardown = efd_teardown,
};
