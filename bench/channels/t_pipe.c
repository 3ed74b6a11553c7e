/* SPDX-License-Identifier: MIT */
/*
 * t_pipe.c - two pipes, one per direction.
 *
 * Messages are written and read as a byte stream (fdio.c): in the stream
 * the producer writes a batch of messages with one write() and the
 * consumer takes whatever has arrived with one read(). Each pipe's buffer
 * is raised to 1 MiB with F_SETPIPE_SZ (or what
 * /proc/sys/fs/pipe-max-size allows), which helps the large messages.
 */
#include <fcntl.h>
#include <unistd.h>

#include "chanbench.h"

static struct {
    int fd[2][2]; /* [direction][read end, write end] */
    int bufsize;
    struct cb_stream s;
} g = {.fd = {{-1, -1}, {-1, -1}}};

static int pipe_setup(struct cb_chan *c)
{
    for (int d = 0; d < 2; d++) {
        if (pipe2(g.fd[d], O_CLOEXEC) != 0)
            return cb_fail_errno(c, "pipe2");
        /* Best effort: the default 64 KiB still works, only slower. */
        int sz = 1 << 20;
        while (sz > 65536 && fcntl(g.fd[d][1], F_SETPIPE_SZ, sz) < 0)
            sz /= 2;
        g.bufsize = fcntl(g.fd[d][1], F_GETPIPE_SZ);
    }
    return 0;
}

static int pipe_attach(struct cb_chan *c)
{
    int tx = c->side, rx = 1 - c->side;
    /* Close the ends this side does not use, so that the other side's
     * death reads as end of file instead of a hang. */
    close(g.fd[tx][0]);
    close(g.fd[rx][1]);
    return cb_stream_attach(c, &g.s, g.fd[tx][1], g.fd[rx][0]);
}

static int pipe_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    return cb_stream_send(c, &g.s, first, n, last);
}

static int pipe_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    return cb_stream_recv(c, &g.s, vals, max);
}

static void pipe_detach(struct cb_chan *c)
{
    (void)c;
    cb_stream_detach(&g.s);
}

static void pipe_teardown(struct cb_chan *c)
{
    (void)c;
    for (int d = 0; d < 2; d++)
        for (int e = 0; e < 2; e++) {
            if (g.fd[d][e] >= 0)
                close(g.fd[d][e]);
            g.fd[d][e] = -1;
        }
}

const struct cb_transport cb_pipe = {
    .name = "pipe",
    .label = "pipe",
    .about = "pipe2() per direction, 1 MiB pipe buffer (F_SETPIPE_SZ); write()/read(), "
             "blocking; a batch of messages per write(), whatever arrived per read()",
    .flags = CB_BATCH,
    .setup = pipe_setup,
    .attach = pipe_attach,
    .send = pipe_send,
    .recv = pipe_recv,
    .detach = pipe_detach,
    .teardown = pipe_teardown,
};
