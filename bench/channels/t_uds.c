/* SPDX-License-Identifier: MIT */
/*
 * t_uds.c - Unix-domain sockets: a connected socketpair(), both directions
 * on one pair.
 *
 * Two flavours. SOCK_STREAM (the default row) carries the messages as a
 * byte stream like a pipe (fdio.c): a batch per write(), whatever arrived
 * per read(). SOCK_SEQPACKET keeps message boundaries, one send() and one
 * recv() per message, no batching; it needs a socket buffer larger than
 * the message, which only root can force beyond net.core.wmem_max.
 * Which is faster depends on the size. Measured on the 2-CPU Debian 12 VM
 * this benchmark was written on (`chanbench --systems uds,uds-seqpacket`):
 * SOCK_STREAM is far ahead up to 1 KiB, where its batching carries 20-40
 * times more messages per second (latency about equal, 10 vs 12 us), and
 * SOCK_SEQPACKET is ahead at 64 KiB and 1 MiB (latency 17 vs 22 us and
 * 80 vs 120 us, 1.2 to 2.5 times the throughput), where a message is one
 * socket buffer instead of a stream cut into pieces. The default run has
 * the SOCK_STREAM row, faster at the small sizes the goals are about;
 * SEQPACKET is measured on request.
 * Both raise the socket buffers to 4 MiB where allowed.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chanbench.h"

static struct {
    int sv[2];
    struct cb_stream s;
    int fd;
} g = {.sv = {-1, -1}, .fd = -1};

static void grow_buffers(int fd, size_t want)
{
    int v = want > (64u << 20) ? 64 << 20 : (int)want;
    /* SO_*BUFFORCE ignores the sysctl limits but needs CAP_NET_ADMIN. */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
}

static int uds_setup_type(struct cb_chan *c, int type)
{
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, g.sv) != 0)
        return cb_fail_errno(c, "socketpair");
    size_t want = 4u << 20;
    if (type == SOCK_SEQPACKET && want < 4 * c->size)
        want = 4 * c->size;
    grow_buffers(g.sv[0], want);
    grow_buffers(g.sv[1], want);
    if (type == SOCK_SEQPACKET) {
        int v;
        socklen_t len = sizeof v;
        if (getsockopt(g.sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 &&
            (size_t)v < c->size + 4096)
            return cb_skip(c, "a %zu B datagram does not fit the socket buffer (%d B; "
                              "raise net.core.wmem_max or run as root)", c->size, v);
    }
    return 0;
}

static int uds_setup(struct cb_chan *c)
{
    return uds_setup_type(c, SOCK_STREAM);
}

static int seqpacket_setup(struct cb_chan *c)
{
    return uds_setup_type(c, SOCK_SEQPACKET);
}

static int uds_attach(struct cb_chan *c)
{
    /* Side 0 keeps sv[0], side 1 keeps sv[1]: the other side's death
     * then reads as end of file. */
    close(g.sv[1 - c->side]);
    g.sv[1 - c->side] = -1;
    g.fd = g.sv[c->side];
    return cb_stream_attach(c, &g.s, g.fd, g.fd);
}

static int uds_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    return cb_stream_send(c, &g.s, first, n, last);
}

static int uds_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    return cb_stream_recv(c, &g.s, vals, max);
}

static int seqpacket_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    for (unsigned i = 0; i < n; i++) {
        cb_stamp(g.s.tx, c->size, cb_value(first, i, n, last));
        ssize_t w;
        while ((w = send(g.fd, g.s.tx, c->size, 0)) < 0 && errno == EINTR)
            ;
        if (w < 0)
            return cb_fail_errno(c, "send");
        if ((size_t)w != c->size)
            return cb_fail(c, "send: %zd of %zu bytes", w, c->size);
    }
    return 0;
}

static int seqpacket_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    ssize_t r;
    (void)max;
    while ((r = recv(g.fd, g.s.rx, c->size, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return cb_fail_errno(c, "recv");
    if (r == 0)
        return cb_fail(c, "recv: end of file (the other side is gone)");
    if ((size_t)r != c->size)
        return cb_fail(c, "recv: a %zd B message, expected %zu B", r, c->size);
    vals[0] = cb_read(g.s.rx, c->size);
    return 1;
}

static void uds_detach(struct cb_chan *c)
{
    (void)c;
    cb_stream_detach(&g.s);
}

static void uds_teardown(struct cb_chan *c)
{
    (void)c;
    for (int i = 0; i < 2; i++) {
        if (g.sv[i] >= 0)
            close(g.sv[i]);
        g.sv[i] = -1;
    }
}

const struct cb_transport cb_uds_stream = {
    .name = "uds",
    .label = "Unix socket (SOCK_STREAM)",
    .about = "socketpair(AF_UNIX, SOCK_STREAM), 4 MiB buffers; write()/read(), blocking; a "
             "batch of messages per write(), whatever arrived per read()",
    .flags = CB_BATCH,
    .setup = uds_setup,
    .attach = uds_attach,
    .send = uds_send,
    .recv = uds_recv,
    .detach = uds_detach,
    .teardown = uds_teardown,
};

const struct cb_transport cb_uds_seqpacket = {
    .name = "uds-seqpacket",
    .label = "Unix socket (SOCK_SEQPACKET)",
    .about = "socketpair(AF_UNIX, SOCK_SEQPACKET), buffers of 4 MiB or 4 messages; one "
             "send()/recv() per message, blocking",
    .setup = seqpacket_setup,
    .attach = uds_attach,
    .send = seqpacket_send,
    .recv = seqpacket_recv,
    .detach = uds_detach,
    .teardown = uds_teardown,
};
