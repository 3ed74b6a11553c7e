/* SPDX-License-Identifier: MIT */
/*
 * t_mq.c - POSIX message queues (mq_open), one queue per direction.
 *
 * mq_send()/mq_receive(), blocking, one message per call (the interface
 * has no batching). The kernel limits a queue's message size to
 * /proc/sys/fs/mqueue/msgsize_max (8 KiB by default) and its depth to
 * fs.mqueue.msg_max (10) unless the process has CAP_SYS_RESOURCE; start()
 * raises both for the run where it may write them (root) and stop() puts
 * the old values back. The bytes of all of a user's queues also count
 * against RLIMIT_MSGQUEUE (800 KiB by default), whose hard limit only
 * CAP_SYS_RESOURCE can raise: the queues get as deep as it allows, and a
 * size that does not fit even one message per queue is skipped with a
 * note.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "chanbench.h"

#define MSGSIZE_MAX "/proc/sys/fs/mqueue/msgsize_max"
#define MSG_MAX "/proc/sys/fs/mqueue/msg_max"
#define WANT_MSGSIZE (1L << 20)
#define WANT_MSG 256L

static struct {
    mqd_t q[2];
    char name[2][96];
    unsigned char *buf;
    /* The sysctl values found, and which ones start() changed. */
    long old_msgsize_max, old_msg_max;
    int raised;
} g = {.q = {(mqd_t)-1, (mqd_t)-1}, .old_msgsize_max = -1, .old_msg_max = -1};

static long read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f != NULL) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static int write_long(const char *path, long v)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int ok = fprintf(f, "%ld\n", v) > 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int mq_start(const size_t *sizes, int n_sizes, char *why, size_t n)
{
    (void)sizes;
    (void)n_sizes;
    (void)why;
    (void)n;
    g.old_msgsize_max = read_long(MSGSIZE_MAX);
    g.old_msg_max = read_long(MSG_MAX);
    g.raised = 0;
    if (g.old_msgsize_max >= 0 && g.old_msgsize_max < WANT_MSGSIZE &&
        write_long(MSGSIZE_MAX, WANT_MSGSIZE) == 0)
        g.raised |= 1;
    if (g.old_msg_max >= 0 && g.old_msg_max < WANT_MSG && write_long(MSG_MAX, WANT_MSG) == 0)
        g.raised |= 2;
    return 0;
}

static void mq_stop(void)
{
    if (g.raised & 1)
        write_long(MSGSIZE_MAX, g.old_msgsize_max);
    if (g.raised & 2)
        write_long(MSG_MAX, g.old_msg_max);
}

static void mq_version(char *buf, size_t n)
{
    struct rlimit rl;
    getrlimit(RLIMIT_MSGQUEUE, &rl);
    snprintf(buf, n, "Linux; fs.mqueue.msgsize_max %ld%s, msg_max %ld%s; RLIMIT_MSGQUEUE %llu B",
             g.raised & 1 ? WANT_MSGSIZE : g.old_msgsize_max,
             g.raised & 1 ? " (raised for the run)" : "", g.raised & 2 ? WANT_MSG : g.old_msg_max,
             g.raised & 2 ? " (raised for the run)" : "", (unsigned long long)rl.rlim_cur);
}

static void close_queues(void)
{
    for (int d = 0; d < 2; d++) {
        if (g.q[d] != (mqd_t)-1) {
            mq_close(g.q[d]);
            mq_unlink(g.name[d]);
        }
        g.q[d] = (mqd_t)-1;
    }
}

/* Both queues or neither; errno from the failing mq_open(). */
static int open_queues(struct cb_chan *c, long depth)
{
    for (int d = 0; d < 2; d++) {
        struct mq_attr a = {.mq_maxmsg = depth, .mq_msgsize = (long)c->size};
        snprintf(g.name[d], sizeof g.name[d], "/%s-mq-%zu-%d", c->tag, c->size, d);
        g.q[d] = mq_open(g.name[d], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
        if (g.q[d] == (mqd_t)-1) {
            int e = errno;
            close_queues();
            errno = e;
            return -1;
        }
    }
    return 0;
}

static int mq_setup(struct cb_chan *c)
{
    long msgsize_max = read_long(MSGSIZE_MAX), msg_max = read_long(MSG_MAX);
    long depth = c->depth;
    struct rlimit rl;
    if (msg_max > 0 && depth > msg_max)
        depth = msg_max;
    /* Raise the soft limit to the hard one: only raising, never lowering. */
    if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_MSGQUEUE, &rl);
    }
    if (msgsize_max > 0 && (long)c->size > msgsize_max)
        return cb_skip(c, "message size above /proc/sys/fs/mqueue/msgsize_max (%ld B), which "
                          "this run could not raise (not root)", msgsize_max);
    /* Too deep for RLIMIT_MSGQUEUE (EMFILE): halve the depth. */
    while (open_queues(c, depth) != 0) {
        if (errno == EMFILE && depth > 1) {
            depth /= 2;
            continue;
        }
        if (errno == EMFILE) {
            getrlimit(RLIMIT_MSGQUEUE, &rl);
            return cb_skip(c, "RLIMIT_MSGQUEUE (%llu B; only CAP_SYS_RESOURCE can raise its "
                              "hard limit) cannot hold one %zu B message per queue",
                           (unsigned long long)rl.rlim_cur, c->size);
        }
        return cb_fail_errno(c, "mq_open");
    }
    if (depth < (long)c->depth)
        snprintf(c->note, sizeof c->note, "queue depth %ld messages (RLIMIT_MSGQUEUE)", depth);
    return 0;
}

static int mq_attach(struct cb_chan *c)
{
    g.buf = malloc(c->size);
    if (g.buf == NULL)
        return cb_fail(c, "out of memory");
    memset(g.buf, 0, c->size);
    return 0;
}

static int mq_send_msg(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    (void)n;
    cb_stamp(g.buf, c->size, cb_value(first, 0, 1, last));
    while (mq_send(g.q[c->side], (const char *)g.buf, c->size, 0) != 0)
        if (errno != EINTR)
            return cb_fail_errno(c, "mq_send");
    return 0;
}

static int mq_recv_msg(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    ssize_t r;
    (void)max;
    while ((r = mq_receive(g.q[1 - c->side], (char *)g.buf, c->size, NULL)) < 0)
        if (errno != EINTR)
            return cb_fail_errno(c, "mq_receive");
    if ((size_t)r != c->size)
        return cb_fail(c, "mq_receive: a %zd B message, expected %zu B", r, c->size);
    vals[0] = cb_read(g.buf, c->size);
    return 1;
}

static void mq_detach(struct cb_chan *c)
{
    (void)c;
    free(g.buf);
    g.buf = NULL;
}

static void mq_teardown(struct cb_chan *c)
{
    (void)c;
    close_queues();
}

const struct cb_transport cb_mq = {
    .name = "mq",
    .label = "POSIX message queue",
    .about = "mq_open() per direction, depth up to 256 messages (about 4 MiB, as far as "
             "RLIMIT_MSGQUEUE allows); mq_send()/mq_receive(), blocking, one message per call",
    .start = mq_start,
    .stop = mq_stop,
    .version = mq_version,
    .setup = mq_setup,
    .attach = mq_attach,
    .send = mq_send_msg,
    .recv = mq_recv_msg,
    .detach = mq_detach,
    .teardown = mq_teardown,
};
