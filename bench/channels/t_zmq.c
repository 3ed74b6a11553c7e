/* SPDX-License-Identifier: MIT */
/*
 * t_zmq.c - ZeroMQ over ipc:// (a Unix-domain socket under the hood).
 *
 * One PAIR socket per side, both directions on it: the producer binds
 * ipc:///tmp/<tag>-zmq-<size>.ipc, the consumer connects. Messages go out
 * through zmq_msg_init_size() + writing into zmq_msg_data() +
 * zmq_msg_send(), and come in through zmq_msg_recv() and are read in
 * place: no copy at the API on either side (the copy variant adds the
 * copies in and out, so it is a separate run). libzmq batches by itself
 * in its I/O thread, which inherits each side's CPU pinning. The high
 * water mark is set to about 64 MiB of messages (at least 4), so that a
 * stream of large messages does not queue gigabytes.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <zmq.h>

#include "chanbench.h"

static struct {
    char path[128];
    char endpoint[160];
    void *ctx, *sock;
} g;

static int zerr(struct cb_chan *c, const char *call)
{
    return cb_fail(c, "%s: %s", call, zmq_strerror(zmq_errno()));
}

static int zmq_setup(struct cb_chan *c)
{
    snprintf(g.path, sizeof g.path, "/tmp/%s-zmq-%zu.ipc", c->tag, c->size);
    snprintf(g.endpoint, sizeof g.endpoint, "ipc://%s", g.path);
    return 0;
}

static int zmq_attach(struct cb_chan *c)
{
    size_t h = (64u << 20) / c->size;
    int hwm = h < 4 ? 4 : h > 1000 ? 1000 : (int)h, linger = 2000, ivl = 10;
    g.ctx = zmq_ctx_new();
    if (g.ctx == NULL)
        return zerr(c, "zmq_ctx_new");
    g.sock = zmq_socket(g.ctx, ZMQ_PAIR);
    if (g.sock == NULL)
        return zerr(c, "zmq_socket");
    if (zmq_setsockopt(g.sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(g.sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(g.sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(g.sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl) != 0)
        return zerr(c, "zmq_setsockopt");
    /* A connect before the bind is retried every 10 ms; a PAIR socket
     * holds what is sent until the peer is there. */
    if (c->side == CB_PRODUCER ? zmq_bind(g.sock, g.endpoint) != 0
                               : zmq_connect(g.sock, g.endpoint) != 0)
        return zerr(c, c->side == CB_PRODUCER ? "zmq_bind" : "zmq_connect");
    return 0;
}

static int zmq_send_msgs(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    (void)n;
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, c->size) != 0)
        return zerr(c, "zmq_msg_init_size");
    cb_put(c, zmq_msg_data(&m), cb_value(first, 0, 1, last));
    while (zmq_msg_send(&m, g.sock, 0) < 0) {
        if (zmq_errno() != EINTR) {
            zmq_msg_close(&m);
            return zerr(c, "zmq_msg_send");
        }
    }
    return 0;
}

static int zmq_recv_msgs(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    (void)max;
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, g.sock, 0) < 0) {
        if (zmq_errno() != EINTR) {
            zmq_msg_close(&m);
            return zerr(c, "zmq_msg_recv");
        }
    }
    if (zmq_msg_size(&m) != c->size) {
        size_t got = zmq_msg_size(&m);
        zmq_msg_close(&m);
        return cb_fail(c, "a %zu B message, expected %zu B", got, c->size);
    }
    vals[0] = cb_get(c, zmq_msg_data(&m));
    zmq_msg_close(&m);
    return 1;
}

static void zmq_detach(struct cb_chan *c)
{
    (void)c;
    if (g.sock != NULL)
        zmq_close(g.sock);
    if (g.ctx != NULL)
        zmq_ctx_term(g.ctx);
    g.sock = g.ctx = NULL;
}

static void zmq_teardown(struct cb_chan *c)
{
    (void)c;
    /* libzmq removes the socket file when the binding side closes; not
     * when that side was killed. */
    unlink(g.path);
}

static void zmq_ver(char *buf, size_t n)
{
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    snprintf(buf, n, "libzmq %d.%d.%d", major, minor, patch);
}

const struct cb_transport cb_zmq = {
    .name = "zmq",
    .label = "ZeroMQ ipc:// PAIR",
    .about = "a PAIR socket per side over ipc://; zmq_msg_init_size + write in place + "
             "zmq_msg_send, zmq_msg_recv + read in place; blocking; libzmq's own batching",
    .flags = CB_ZERO_COPY,
    .setup = zmq_setup,
    .attach = zmq_attach,
    .send = zmq_send_msgs,
    .recv = zmq_recv_msgs,
    .detach = zmq_detach,
    .teardown = zmq_teardown,
    .version = zmq_ver,
};
