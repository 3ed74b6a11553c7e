/* SPDX-License-Identifier: MIT */
/*
 * chanbench.h - the channel benchmark's transport interface.
 *
 * The driver (chanbench.c) runs every system the same way: for each
 * message size it calls setup() once, forks a producer (pinned to CPU 0)
 * and a consumer (pinned to CPU 1), each of which calls attach() and then
 * moves messages with send() and recv(), and finally calls teardown().
 * A system is one file (t_<name>.c) that fills in a struct cb_transport
 * and one line in the registry of chanbench.c.
 *
 * The work per message is the same for every system and is done only by
 * the helpers below: the sender writes a 64-bit value into the first and
 * the last 8 bytes of the message, the receiver reads both back. The value
 * is the message's sequence number, so the driver checks that every
 * message arrives intact, once and in order. In the "copy" variant a
 * zero-copy system also copies the whole message in from a private source
 * buffer (cb_put) and out into a private destination buffer (cb_get);
 * a system that copies by nature (a pipe, a socket) sends from and
 * receives into private buffers anyway, so for it both variants are one.
 *
 * Both directions exist: the producer's send() goes to the consumer, the
 * consumer's send() goes back to the producer (the "pong" of the latency
 * ping-pong). The throughput stream uses only the first direction.
 */
#ifndef MMF_CHANBENCH_H
#define MMF_CHANBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CB_PRODUCER = 0, CB_CONSUMER = 1 };
enum { CB_PHASE_LATENCY = 0, CB_PHASE_STREAM = 1 };

/* The value of the final message of a ping-pong or a stream. */
#define CB_LAST (UINT64_C(1) << 63)
/* What cb_read() returns when the first and last 8 bytes disagree: a torn
 * message. No sequence number ever reaches it. */
#define CB_TORN UINT64_MAX

/* The most messages one send() or recv() call moves. */
#define CB_MAX_BATCH 64

/* Return values of setup() and probe() besides 0 and -1. */
#define CB_SKIP 1

/* Flags of a transport. */
#define CB_ZERO_COPY 1u   /* the application writes and reads messages in
                             place (no copy at the API): run the copy
                             variant separately */
#define CB_BATCH 2u       /* send() and recv() take up to c->batch messages */
#define CB_LATENCY_ONLY 4u /* no throughput stream */

struct cb_chan {
    size_t size;          /* message size in bytes, a multiple of 8 */
    unsigned batch;       /* the most messages one send()/recv() moves */
    unsigned depth;       /* suggested queue depth in messages */
    int side;             /* CB_PRODUCER or CB_CONSUMER (after fork) */
    int copy;             /* 1 in the copy variant */
    int phase;            /* CB_PHASE_LATENCY or CB_PHASE_STREAM: set by the
                             driver before each phase, for transports that
                             move single messages differently */
    unsigned char *src;   /* private message-sized buffers for the copy */
    unsigned char *dst;   /* variant (and for copying transports) */
    const char *tag;      /* "mmf-chanbench-<pid>": prefix for every name */
    void *state;          /* the transport's own, made by setup() */
    char note[240];       /* why skipped or failed; written by the transport */
};

struct cb_transport {
    const char *name;  /* short id: command line and data files */
    const char *label; /* row label in the tables */
    const char *about; /* the API used, how it waits, how it batches */
    unsigned flags;
    /* Non-NULL: the system was not built; the row says why. */
    const char *missing;
    /* Optional, once per run before anything else: returns CB_SKIP with a
     * reason in why (e.g. a daemon is missing), or 0. */
    int (*probe)(char *why, size_t n);
    /* Optional, once around all sizes of the system, in the driver; gets
     * the sizes of the run. Nonzero: skip the system (reason in why). */
    int (*start)(const size_t *sizes, int n_sizes, char *why, size_t n);
    void (*stop)(void);
    /* The driver, before fork: make the channel(s) for c->size. Returns
     * 0, CB_SKIP (size not supported; reason in c->note) or -1. */
    int (*setup)(struct cb_chan *c);
    /* Each side, after fork and pinning (c->side set): open its ends. */
    int (*attach)(struct cb_chan *c);
    /* Send n (1 <= n <= c->batch) messages carrying first .. first+n-1,
     * the final one with CB_LAST set when last is 1. Blocks (or spins)
     * while the channel is full. 0 or -1 (reason in c->note). */
    int (*send)(struct cb_chan *c, uint64_t first, unsigned n, int last);
    /* Receive 1 .. max messages, blocking (or spinning) until there is at
     * least one; store what each carried (cb_get) in vals. Returns the
     * count or -1. */
    int (*recv)(struct cb_chan *c, uint64_t *vals, unsigned max);
    void (*detach)(struct cb_chan *c);
    /* The driver, after both sides ended: remove everything setup() made.
     * Also called after a failed setup(). */
    void (*teardown)(struct cb_chan *c);
    /* Optional: the peer's version, for the report. */
    void (*version)(char *buf, size_t n);
};

/* ------------------------------------------------------------------------ */
/* The work per message                                                      */
/* ------------------------------------------------------------------------ */

static inline void cb_stamp(void *msg, size_t size, uint64_t v)
{
    memcpy((unsigned char *)msg + size - 8, &v, 8);
    memcpy(msg, &v, 8);
}

static inline uint64_t cb_read(const void *msg, size_t size)
{
    uint64_t a, b;
    memcpy(&a, msg, 8);
    memcpy(&b, (const unsigned char *)msg + size - 8, 8);
    return a == b ? a : CB_TORN;
}

/* The value of message i of a send(first, n, last) call. */
static inline uint64_t cb_value(uint64_t first, unsigned i, unsigned n, int last)
{
    return (first + i) | (last && i + 1 == n ? CB_LAST : 0);
}

/* Fill a message that lives in the channel (zero-copy transports). */
static inline void cb_put(const struct cb_chan *c, void *msg, uint64_t v)
{
    if (c->copy) {
        memcpy(msg, c->src, c->size);
        /* The copy is the work measured: keep the compiler from merging
         * it with the stamp below. */
        __asm__ volatile("" ::: "memory");
    }
    cb_stamp(msg, c->size, v);
}

/* Read a message that lives in the channel (zero-copy transports). */
static inline uint64_t cb_get(const struct cb_chan *c, const void *msg)
{
    if (c->copy) {
        memcpy(c->dst, msg, c->size);
        __asm__ volatile("" ::: "memory");
        msg = c->dst;
    }
    return cb_read(msg, c->size);
}

/* Format a reason into c->note; returns -1 (or `rc`) for `return`. */
int cb_fail(struct cb_chan *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cb_skip(struct cb_chan *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* errno's text appended: "call: strerror(errno)". */
int cb_fail_errno(struct cb_chan *c, const char *call);

/* The run's unique prefix for names ("mmf-chanbench-<pid>"), as c->tag. */
const char *cb_tag(void);

/* The queue depth the driver suggests for a size (c->depth). */
unsigned cb_depth_for(size_t size);

/* The monotonic clock in ns, and a pause for spin loops. */
uint64_t cb_now_ns(void);

static inline void cb_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Give up a spin or a wait after this long: the other side is gone. The
 * driver's own deadline kills a run that still hangs. */
#define CB_STUCK_NS (UINT64_C(20) * 1000000000u)

/* ------------------------------------------------------------------------ */
/* Byte-stream helpers (pipe, Unix stream socket)                            */
/* ------------------------------------------------------------------------ */

/* Write all of buf, retrying partial writes and EINTR. 0 or -1. */
int cb_write_all(struct cb_chan *c, int fd, const void *buf, size_t len);
/* Read exactly len bytes. 0, or -1 (also on end of file). */
int cb_read_all(struct cb_chan *c, int fd, void *buf, size_t len);

/* A byte stream carrying fixed-size messages: send() stamps n messages in
 * a private buffer and writes them with one write(); recv() reads what is
 * there (up to max messages) with one read() and keeps a partial message
 * for the next call. */
struct cb_stream {
    int tx_fd, rx_fd;     /* this side's ends */
    unsigned char *tx;    /* CB_MAX_BATCH messages, stamped before a write */
    unsigned char *rx;    /* CB_MAX_BATCH messages, read into */
    size_t have;          /* bytes of a partial message kept at rx */
};
int cb_stream_attach(struct cb_chan *c, struct cb_stream *s, int tx_fd, int rx_fd);
int cb_stream_send(struct cb_chan *c, struct cb_stream *s, uint64_t first, unsigned n,
                   int last);
int cb_stream_recv(struct cb_chan *c, struct cb_stream *s, uint64_t *vals, unsigned max);
void cb_stream_detach(struct cb_stream *s);

#ifdef __cplusplus
}
#endif

#endif
