/* SPDX-License-Identifier: MIT */
/*
 * fdio.c - fixed-size messages over a byte stream (a pipe, a Unix stream
 * socket): what the pipe and socket transports share.
 *
 * The sender stamps up to c->batch messages into a private buffer and
 * writes them with one write() (a byte stream's own batching); the
 * receiver reads what the kernel has, up to the messages asked for, with
 * one read(), and keeps a trailing partial message for the next call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chanbench.h"

int cb_write_all(struct cb_chan *c, int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return cb_fail_errno(c, "write");
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int cb_read_all(struct cb_chan *c, int fd, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return cb_fail_errno(c, "read");
        }
        if (r == 0)
            return cb_fail(c, "read: end of file (the other side is gone)");
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

int cb_stream_attach(struct cb_chan *c, struct cb_stream *s, int tx_fd, int rx_fd)
{
    size_t bytes = (size_t)c->batch * c->size;
    s->tx_fd = tx_fd;
    s->rx_fd = rx_fd;
    s->have = 0;
    s->tx = malloc(bytes);
    s->rx = malloc(bytes);
    if (s->tx == NULL || s->rx == NULL)
        return cb_fail(c, "out of memory");
    /* Touch both now, so that the first messages do not pay page faults. */
    memset(s->tx, 0, bytes);
    memset(s->rx, 0, bytes);
    return 0;
}

int cb_stream_send(struct cb_chan *c, struct cb_stream *s, uint64_t first, unsigned n, int last)
{
    for (unsigned i = 0; i < n; i++)
        cb_stamp(s->tx + (size_t)i * c->size, c->size, cb_value(first, i, n, last));
    return cb_write_all(c, s->tx_fd, s->tx, (size_t)n * c->size);
}

int cb_stream_recv(struct cb_chan *c, struct cb_stream *s, uint64_t *vals, unsigned max)
{
    size_t cap = (size_t)max * c->size;
    while (s->have < c->size) {
        ssize_t r = read(s->rx_fd, s->rx + s->have, cap - s->have);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return cb_fail_errno(c, "read");
        }
        if (r == 0)
            return cb_fail(c, "read: end of file (the other side is gone)");
        s->have += (size_t)r;
    }
    unsigned n = (unsigned)(s->have / c->size);
    if (n > max)
        n = max;
    for (unsigned i = 0; i < n; i++)
        vals[i] = cb_read(s->rx + (size_t)i * c->size, c->size);
    size_t used = (size_t)n * c->size;
    if (s->have > used)
        memmove(s->rx, s->rx + used, s->have - used);
    s->have -= used;
    return (int)n;
}

void cb_stream_detach(struct cb_stream *s)
{
    free(s->tx);
    free(s->rx);
    s->tx = s->rx = NULL;
}
