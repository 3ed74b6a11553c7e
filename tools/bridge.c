/* SPDX-License-Identifier: MIT */
/*
 * bridge.c - `mmf bridge`: carry a ring, queue or broadcast channel from
 * one host to another over ZeroMQ. `send` is the consumer of a local
 * channel, `recv` the producer of a local channel on the other host;
 * `keygen` writes a CURVE key pair.
 *
 * docs/bridge.md is the specification: the frames, the sequence numbers,
 * what each side keeps, and why ring delivery is exactly once. In short:
 * the sender releases a message from its channel only when the receiver
 * acknowledged it; the receiver accepts only the sequence number it
 * expects next, and writes a state record (the sequence numbers and the
 * destination position before and after the batch) before committing a
 * batch, so that on restart the destination's own position tells which of
 * the two is true.
 *
 * Everything from the network is untrusted: every length is checked
 * against the frame and the destination before use, and ZeroMQ itself
 * refuses frames above a bound (ZMQ_MAXMSGSIZE).
 *
 * Built with ZeroMQ only when CMake finds it (MMF_HAVE_ZMQ); otherwise
 * the command says so and exits with 6. The library never links ZeroMQ.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static void help_bridge(void)
{
    puts("usage: mmf bridge send KIND:NAME tcp://HOST:PORT [OPTIONS]\n"
         "       mmf bridge recv tcp://*:PORT KIND:NAME [OPTIONS]\n"
         "       mmf bridge keygen FILE\n"
         "\n"
         "Carry a channel to another host over ZeroMQ. KIND is ring, queue or bcast.\n"
         "send is the consumer of the local channel NAME and releases a message only\n"
         "when the other side acknowledged it; recv is the producer of its local\n"
         "channel NAME. Either creates its channel if needed. Ring: exactly once, in\n"
         "order; queue: exactly once (docs/bridge.md says when);\n"
         "broadcast: at most once, losses counted. keygen writes a CURVE key pair:\n"
         "FILE (secret, mode 0600) and FILE.pub.\n"
         "\n"
         "Options:\n"
         "  --size N           ring capacity if the bridge creates the ring (default 1M)\n"
         "  --slots N          queue or broadcast slots if it creates one (default 1024)\n"
         "  --slot-size N      their slot size if it creates one (default 4096)\n"
         "  --state FILE       recv: the file that records what was committed; send of a\n"
         "                     queue: the numbers of the messages in flight\n"
         "                     (default: $XDG_STATE_HOME/mmf/, else ~/.local/state/mmf/)\n"
         "  --curve-key FILE   this side's secret key: encrypt with CURVE\n"
         "  --curve-peer FILE  the other side's public key (with --curve-key)\n"
         "  --interval MS      progress every MS ms (default 1000)\n"
         "  --json             progress and final counts as JSON lines on stdout\n"
         "\n"
         "Exit: 0 after SIGTERM or SIGINT (in-flight messages drained), 2 usage,\n"
         "6 no ZeroMQ, a refusal or an error, 8 the other side's channel is of\n"
         "another kind.");
}

/* The options, in this order; both builds parse them, so that a usage
 * error reads the same with or without ZeroMQ. */
enum { O_SIZE, O_SLOTS, O_SLOT_SIZE, O_STATE, O_CURVE_KEY, O_CURVE_PEER, O_INTERVAL, O_JSON,
       O_COUNT };

static int parse_bridge(int argc, char **argv, struct opt opts[O_COUNT + 1], char **pos)
{
    static const struct opt all[O_COUNT + 1] = {
        {"--size", 1, NULL},      {"--slots", 1, NULL},      {"--slot-size", 1, NULL},
        {"--state", 1, NULL},     {"--curve-key", 1, NULL},  {"--curve-peer", 1, NULL},
        {"--interval", 1, NULL},  {"--json", 0, NULL},       {NULL, 0, NULL}};
    memcpy(opts, all, sizeof all);
    return parse_opts(argc, argv, opts, pos, 3, help_bridge, NULL);
}

#ifndef MMF_HAVE_ZMQ

int cmd_bridge(int argc, char **argv)
{
    char *pos[3];
    struct opt opts[O_COUNT + 1];
    parse_bridge(argc, argv, opts, pos);
#ifdef _WIN32
    die(EX_ERROR, NULL, "mmf bridge is not available on Windows yet");
#else
    die(EX_ERROR, NULL, "this mmf was built without ZeroMQ: install libzmq "
        "(Debian: libzmq3-dev) and build again");
#endif
}

#else

#include <zmq.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* ---- the wire format (docs/bridge.md, "Frames") --------------------------- */

#define PROTO_MAGIC 0x42464d4du /* "MMFB" little-endian */
#define PROTO_VERSION 1u
#define REWIND_FLAG 0x8000u     /* in the version field of an ACK */
#define HDR_BYTES 24u
#define REC_BYTES 16u
#define HELLO_BYTES (HDR_BYTES + 24u)
#define REFUSE_TEXT_MAX 200u

enum { T_HELLO = 1, T_WELCOME = 2, T_REFUSE = 3, T_DATA = 4, T_ACK = 5 };
enum { R_VERSION = 1, R_KIND = 2, R_SIZE = 3, R_MALFORMED = 4, R_BUSY = 5 };

/* A frame holds up to this many bytes of records (or one larger message). */
#define FRAME_BYTES (256u * 1024u)
/* ZeroMQ high-water marks, in frames, on both sockets. */
#define HWM_FRAMES 32
/* Messages a sender keeps in flight (peeked, not acknowledged) at most. */
#define WINDOW 65536u
/* Records a receiver takes from one frame at most (a frame holds fewer). */
#define FRAME_RECORDS (FRAME_BYTES / REC_BYTES + 1)
/* Messages taken from the channel with one call. */
#define BATCH 1024u
/* With messages in flight and no ACK for this long, handshake again. */
#define SILENCE_MS 2000
/* A receiver that waits for room acknowledges this often (a keep-alive). */
#define KEEPALIVE_MS 500
/* How long a stopping sender waits for the ACKs of what is in flight. */
#define DRAIN_MS 5000
#define NONE UINT64_MAX

static void put16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

static void put_hdr(unsigned char *p, unsigned type, unsigned flags, uint64_t session, uint64_t num)
{
    put32(p, PROTO_MAGIC);
    put16(p + 4, (uint16_t)(PROTO_VERSION | flags));
    put16(p + 6, (uint16_t)type);
    put64(p + 8, session);
    put64(p + 16, num);
}

/* A ring record's size: its 8-byte header and the payload rounded up to 8
 * (the record format of include/mmf.h). A ring message's sequence number
 * is its byte position, so the next one is this much further. */
static uint64_t ring_step(uint64_t len) { return 8 + ((len + 7) & ~(uint64_t)7); }

/* ---- common state --------------------------------------------------------- */

enum { K_RING = 1, K_QUEUE = 2, K_BCAST = 3 };
static const char *kind_words[] = {"?", "ring", "queue", "bcast"};

struct chan {
    int kind;
    const char *name;     /* as given */
    mmf_ring *r;
    mmf_queue *q;
    mmf_bcast *b;
    uint64_t max_msg;
    uint64_t id;          /* creation time: changes when it is made again */
};

struct counters {
    uint64_t msgs, bytes;   /* delivered (recv: committed; send: acknowledged or sent) */
    uint64_t dups, lost, sessions, refused, dropped_frames;
    uint64_t last_msgs, last_bytes, last_ns;
};

static volatile sig_atomic_t stopping;
static void on_stop(int sig) { (void)sig; stopping = 1; }

static const char *role_word, *endpoint;
static int json_out, progress_tty;
static long interval_ms = 1000;
static struct counters cnt;
static int progress_shown;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One log line on stderr: "mmf bridge send ring:NAME: message". */
static void blog(struct chan *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void blog(struct chan *c, const char *fmt, ...)
{
    va_list ap;
    if (progress_shown) {
        fputs("\r\033[K", stderr);
        progress_shown = 0;
    }
    fprintf(stderr, "mmf bridge %s %s:%s: ", role_word, kind_words[c->kind], show(c->name));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The same, at most once a second for each `slot` (a hostile peer must
 * not flood the log). */
static void blog_limited(struct chan *c, int slot, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void blog_limited(struct chan *c, int slot, const char *fmt, ...)
{
    static uint64_t last[16];
    uint64_t t = now_ms();
    char buf[512];
    va_list ap;
    if (slot < 0 || slot >= 16 || (last[slot] != 0 && t - last[slot] < 1000))
        return;
    last[slot] = t;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    blog(c, "%s", buf);
}

/* The progress line (terminal) or one JSON line; `final` at exit. */
static void report(struct chan *c, uint64_t lag, int final)
{
    uint64_t t = now_ms();
    double secs = (double)(t - cnt.last_ns) / 1000.0;
    double rate = secs > 0 ? (double)(cnt.msgs - cnt.last_msgs) / secs : 0;
    double brate = secs > 0 ? (double)(cnt.bytes - cnt.last_bytes) / secs : 0;
    char b1[32];

    if (!final && t - cnt.last_ns < (uint64_t)interval_ms)
        return;
    if (json_out) {
        struct json j;
        json_start(&j, stdout);
        json_object(&j, NULL);
        json_string(&j, "event", final ? "exit" : "progress");
        json_string(&j, "role", role_word);
        json_string(&j, "kind", kind_words[c->kind]);
        json_string(&j, "channel", canon(c->name));
        json_string(&j, "endpoint", endpoint);
        json_uint(&j, "messages", cnt.msgs);
        json_uint(&j, "bytes", cnt.bytes);
        json_real(&j, "msgs_per_s", rate, 1);
        json_real(&j, "bytes_per_s", brate, 1);
        json_num(&j, "lag", lag);
        json_uint(&j, "duplicates", cnt.dups);
        json_uint(&j, "lost", cnt.lost);
        json_uint(&j, "sessions", cnt.sessions);
        json_uint(&j, "refused", cnt.refused);
        json_uint(&j, "dropped_frames", cnt.dropped_frames);
        json_end(&j);
        fflush(stdout);
    } else if (progress_tty && !final) {
        fprintf(stderr, "\r\033[K%s %s:%s  %" PRIu64 " msgs  %s  %.0f msg/s  %s/s  lag %s",
                role_word, kind_words[c->kind], show(c->name), cnt.msgs,
                human(cnt.bytes, b1, sizeof b1), rate,
                human((uint64_t)brate, (char[32]){0}, 32),
                lag == MMF_UNKNOWN ? "?" : human(lag, (char[32]){0}, 32));
        if (c->kind == K_BCAST)
            fprintf(stderr, "  lost %" PRIu64, cnt.lost);
        progress_shown = 1;
    }
    if (final && progress_shown) {
        fputc('\n', stderr);
        progress_shown = 0;
    }
    cnt.last_ns = t;
    cnt.last_msgs = cnt.msgs;
    cnt.last_bytes = cnt.bytes;
}

/* ---- options -------------------------------------------------------------- */

struct args {
    uint64_t size, slots, slot_size;
    const char *state, *curve_key, *curve_peer;
};

static void parse_chan(const char *spec, struct chan *c)
{
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : 0;
    memset(c, 0, sizeof *c);
    if (colon == NULL || colon[1] == '\0')
        usage_error("'%s' is not KIND:NAME (ring:NAME, queue:NAME or bcast:NAME)", show(spec));
    for (int k = K_RING; k <= K_BCAST; k++)
        if (strlen(kind_words[k]) == n && strncmp(spec, kind_words[k], n) == 0)
            c->kind = k;
    if (c->kind == 0)
        usage_error("unknown channel kind in '%s': ring, queue or bcast", show(spec));
    c->name = colon + 1;
    tool_obj = c->name;
}

static void check_endpoint(const char *ep)
{
    if (strncmp(ep, "tcp://", 6) != 0 && strncmp(ep, "ipc://", 6) != 0)
        usage_error("'%s' is not an endpoint (tcp://HOST:PORT)", show(ep));
}

/* A Z85 key from the first line of a file: 40 characters. */
static void read_key(const char *path, char key[41])
{
    FILE *f = fopen(path, "r");
    char line[128];
    size_t n;
    if (f == NULL)
        die(EX_ERROR, NULL, "cannot read key file %s: %s", show(path), strerror(errno));
    if (fgets(line, sizeof line, f) == NULL)
        line[0] = '\0';
    fclose(f);
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (n != 40)
        die(EX_USAGE, NULL, "%s does not hold a CURVE key (40 Z85 characters on its first line)",
            show(path));
    memcpy(key, line, 41);
}

/* ---- the channel ---------------------------------------------------------- */

static int chan_attach(struct chan *c, int role, const struct args *a)
{
    int rc = MMF_EBUSY;
    uint64_t until = now_ms() + 5000;
    mmf_object_info oi;
    /* A queue sender keeps what is in flight when it dies or stops: the
     * next one gets it again (docs/bridge.md, "Queues"). */
    const mmf_channel_opts keep = {MMF_CHANNEL_REDELIVER, 0, NULL};

    /* A predecessor that was just killed holds the role until the kernel
     * has closed its files: try again for a few seconds. */
    while (!stopping) {
        if (c->kind == K_RING)
            rc = mmf_ring_create(&c->r, c->name, a->size, role, MMF_OPEN_OR_CREATE, NULL);
        else if (c->kind == K_QUEUE)
            rc = mmf_queue_create(&c->q, c->name, (uint32_t)a->slots, (uint32_t)a->slot_size,
                                  role, MMF_OPEN_OR_CREATE,
                                  role == MMF_ROLE_CONSUMER ? &keep : NULL);
        else
            rc = mmf_bcast_create(&c->b, c->name, (uint32_t)a->slots, (uint32_t)a->slot_size,
                                  role, MMF_OPEN_OR_CREATE, NULL);
        if (rc != MMF_EBUSY || now_ms() > until)
            break;
        usleep(20000);
    }
    if (rc < 0)
        return rc;
    c->max_msg = c->kind == K_RING ? mmf_ring_max_message(c->r)
                 : c->kind == K_QUEUE ? mmf_queue_slot_size(c->q)
                                      : mmf_bcast_slot_size(c->b);
    rc = mmf_object_stat(c->name, 0, &oi);
    if (rc < 0)
        return rc;
    c->id = oi.create_ns;
    return 0;
}

static void chan_close(struct chan *c)
{
    if (c->r) mmf_ring_close(c->r);
    if (c->q) mmf_queue_close(c->q);
    if (c->b) mmf_bcast_close(c->b);
    c->r = NULL;
    c->q = NULL;
    c->b = NULL;
}

/*
 * Where `mmf stat NAME` finds the bridge of a channel: a small section
 * "NAME@bridge" that this process holds (so it is gone when the bridge
 * is), holding a struct bridge_note (stat.c reads it).
 */
static mmf_section *note_section;

static void publish_note(struct chan *c)
{
    char name[MMF_NAME_BYTES + 16];
    struct bridge_note *n;
    snprintf(name, sizeof name, "%s" BRIDGE_NOTE_SUFFIX, canon(c->name));
    if (mmf_section_create(&note_section, name, sizeof *n, MMF_OPEN_OR_CREATE, NULL) < 0)
        return; /* only for inspection: the bridge works without it */
    if (mmf_view_map(note_section, MMF_MAP_WRITE, 0, 0, 0, (void **)&n) < 0)
        return;
    memset(n, 0, sizeof *n);
    memcpy(n->magic, BRIDGE_NOTE_MAGIC, sizeof n->magic);
    n->pid = (int64_t)getpid();
    snprintf(n->role, sizeof n->role, "%s", role_word);
    snprintf(n->endpoint, sizeof n->endpoint, "%s", endpoint);
    mmf_view_unmap(n);
}

/* ---- ZeroMQ --------------------------------------------------------------- */

static void zfail(struct chan *c, const char *what)
{
    blog(c, "%s: %s", what, zmq_strerror(zmq_errno()));
    exit(EX_ERROR);
}

static void setint(void *s, int opt, int v)
{
    zmq_setsockopt(s, opt, &v, sizeof v);
}

static void common_opts(void *s)
{
    setint(s, ZMQ_SNDHWM, HWM_FRAMES);
    setint(s, ZMQ_RCVHWM, HWM_FRAMES);
    setint(s, ZMQ_LINGER, 0);
    setint(s, ZMQ_HEARTBEAT_IVL, 1000);
    setint(s, ZMQ_HEARTBEAT_TIMEOUT, 3000);
    setint(s, ZMQ_HEARTBEAT_TTL, 3000);
}

/* Read one monitor event: its number and value; 0 if none waits. */
static int monitor_event(void *mon, unsigned *event, uint32_t *value)
{
    zmq_msg_t m;
    int more = 0, got = 0;
    size_t ml = sizeof more;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return 0;
    }
    if (zmq_msg_size(&m) >= 6) {
        const unsigned char *p = zmq_msg_data(&m);
        *event = get16(p);
        *value = get32(p + 2);
        got = 1;
    }
    zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &ml);
    while (more) { /* the endpoint frame */
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, mon, 0) < 0)
            break;
        zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &ml);
    }
    zmq_msg_close(&m);
    return got;
}

static void *open_monitor(void *ctx, void *s, const char *tag, struct chan *c)
{
    char addr[64];
    void *mon;
    snprintf(addr, sizeof addr, "inproc://mmf-bridge-monitor-%s", tag);
    if (zmq_socket_monitor(s, addr, ZMQ_EVENT_ALL) != 0)
        zfail(c, "zmq_socket_monitor");
    mon = zmq_socket(ctx, ZMQ_PAIR);
    if (mon == NULL || zmq_connect(mon, addr) != 0)
        zfail(c, "monitor socket");
    return mon;
}

static uint64_t random64(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    if (v == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 40;
    }
    return v | 1; /* never 0: 0 means "no session" */
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- state files ---------------------------------------------------------- */

/* The state record (docs/bridge.md, "What each side does and keeps"): the
 * receiver's (ring, queue) says which sequence numbers [s0, s1) went to
 * which destination positions [d0, d1); a queue sender's, which sequence
 * numbers it gave the messages at source positions [d0, d1). */
#define STATE_MAGIC 0x5453464dBu /* any fixed value */
struct state_rec {
    uint64_t magic, counter, src_id, dst_id, s0, d0, s1, d1, check;
};

static uint64_t state_sum(const struct state_rec *r)
{
    const unsigned char *p = (const unsigned char *)r;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < offsetof(struct state_rec, check); i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* A state file: two records that alternate, each with its own counter and
 * checksum, so that a write cut short leaves the other one valid. */
struct state_file {
    int fd;
    uint64_t counter;
};

static void state_open(struct chan *c, struct state_file *f, const char *path)
{
    f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f->fd < 0)
        die(EX_ERROR, c->name, "cannot open the state file %s: %s", show(path), strerror(errno));
    f->counter = 0;
}

static void state_put(struct chan *c, struct state_file *f, uint64_t src_id, uint64_t dst_id,
                      uint64_t s0, uint64_t d0, uint64_t s1, uint64_t d1)
{
    struct state_rec rec = {STATE_MAGIC, ++f->counter, src_id, dst_id, s0, d0, s1, d1, 0};
    rec.check = state_sum(&rec);
    if (pwrite(f->fd, &rec, sizeof rec, (off_t)((rec.counter & 1) * 128)) != (ssize_t)sizeof rec) {
        blog(c, "cannot write the state file: %s", strerror(errno));
        exit(EX_ERROR);
    }
}

/* The newest valid record into *out: 1, or 0 if there is none. */
static int state_get(struct state_file *f, struct state_rec *out)
{
    struct state_rec recs[2];
    int best = -1;

    for (int i = 0; i < 2; i++) {
        if (pread(f->fd, &recs[i], sizeof recs[i], i * 128) == (ssize_t)sizeof recs[i] &&
            recs[i].magic == STATE_MAGIC && recs[i].check == state_sum(&recs[i]) &&
            (best < 0 || recs[i].counter > recs[best].counter))
            best = i;
    }
    if (best < 0)
        return 0;
    *out = recs[best];
    f->counter = out->counter;
    return 1;
}

/* ========================================================================== */
/* send                                                                       */
/* ========================================================================== */

/*
 * A ring or queue message of ZC_BYTES or more goes to ZeroMQ without a
 * copy, straight from the channel's memory, as the second part of its
 * frame. The channel must not reuse that memory while ZeroMQ may still
 * read it (a frame can outlive its ACK in the queue of a dead
 * connection), so such a message is released only after ZeroMQ called
 * zc_done for it.
 */
#define ZC_BYTES (64u * 1024u)
struct zc {
    uint64_t seq;
    atomic_int done;
    struct zc *next;
};

static void zc_done(void *data, void *hint)
{
    (void)data;
    atomic_store(&((struct zc *)hint)->done, 1);
}

struct flight {
    const void *data; /* in the channel (ring, queue) or `own` (broadcast) */
    uint32_t len;
    uint64_t seq;
};

struct sender {
    struct chan c;
    void *ctx, *sock, *mon;
    uint64_t session;     /* 0: no session (handshake pending) */
    uint64_t hello_at;    /* when the last HELLO went out */
    uint64_t hello_ivl;   /* back-off between HELLOs without an answer */
    uint64_t last_heard;  /* the last WELCOME or ACK of this session */
    int connected;
    struct flight *f;     /* in flight: f[0..n), sent up to `sent`; f moves
                             forward in fbase[0..2 * WINDOW) as they go */
    struct flight *fbase;
    size_t n, sent;
    uint64_t next_seq;    /* the sequence number of the next message taken */
    uint64_t acked;       /* the receiver's next (NONE before a WELCOME) */
    int numbered;         /* queue: next_seq is known (after the first WELCOME) */
    struct state_file st; /* queue: the numbers of the batch in flight */
    struct state_rec prev;/* queue: the last batch of the sender before */
    int prev_valid;       /* ... while its messages may still come back */
    uint64_t lost_pending;/* broadcast: losses not sent yet */
    uint64_t lost_total;  /* broadcast: losses sent, since this sender started */
    unsigned char *bbuf;  /* broadcast: copies of the messages read */
    struct zc *zc;        /* messages ZeroMQ may still read in place */
};

/* The lowest sequence number ZeroMQ may still read in place (NONE if
 * none), after forgetting the messages it is done with. */
static uint64_t zc_floor(struct sender *s)
{
    uint64_t lo = NONE;
    for (struct zc **z = &s->zc; *z != NULL;) {
        if (atomic_load(&(*z)->done)) {
            struct zc *d = *z;
            *z = d->next;
            free(d);
            continue;
        }
        if ((*z)->seq < lo)
            lo = (*z)->seq;
        z = &(*z)->next;
    }
    return lo;
}

static uint64_t source_lag(struct sender *s)
{
    mmf_channel_info ci;
    if (s->c.kind == K_BCAST || mmf_channel_stat(s->c.name, &ci) < 0 || ci.corrupt)
        return s->n;
    return ci.fill; /* ring: bytes, queue: messages */
}

static void send_hello(struct sender *s)
{
    unsigned char b[HELLO_BYTES];
    uint64_t base;
    s->session = random64();
    if (s->c.kind == K_QUEUE && !s->numbered)
        base = NONE;
    else
        base = s->n > 0 ? s->f[0].seq : s->next_seq;
    put_hdr(b, T_HELLO, 0, s->session, base);
    put32(b + 24, (uint32_t)s->c.kind);
    put32(b + 28, 0);
    put64(b + 32, s->c.id);
    put64(b + 40, s->c.max_msg);
    s->hello_at = now_ms();
    s->last_heard = 0;
    zmq_send(s->sock, b, sizeof b, ZMQ_DONTWAIT); /* not connected: later */
}

/* Release the messages below `next` that the receiver acknowledged. */
static int release_below(struct sender *s, uint64_t next)
{
    size_t k = 0;
    int rc = 0;
    uint64_t floor = zc_floor(s);
    if (floor < next)
        next = floor; /* the rest on a later call */
    while (k < s->n && s->f[k].seq < next)
        k++;
    if (k == 0)
        return 0;
    for (size_t i = 0; i < k; i++) {
        cnt.msgs++;
        cnt.bytes += s->f[i].len;
    }
    if (s->c.kind == K_RING)
        rc = mmf_ring_release(s->c.r, k);
    else if (s->c.kind == K_QUEUE)
        rc = mmf_queue_release_batch(s->c.q, k);
    s->f += k;
    s->n -= k;
    s->sent = s->sent > k ? s->sent - k : 0;
    return rc;
}

/*
 * Queue: a batch of k messages was just peeked. Messages that the sender
 * before this one had in flight come back first (MMF_CHANNEL_REDELIVER),
 * at their positions, which its state record maps to the sequence numbers
 * it gave them: they get them again, so that the receiver drops those it
 * committed. Anything else is numbered after the last number given.
 */
static void queue_renumber(struct sender *s, uint64_t k)
{
    uint64_t p, seq;

    if (!s->prev_valid || mmf_queue_held(s->c.q, &p) <= 0)
        return;
    s->prev_valid = 0;
    if (p < s->prev.d0 || p >= s->prev.d1 || k > s->prev.d1 - p)
        return; /* new messages: the old ones went elsewhere */
    seq = s->prev.s0 + (p - s->prev.d0);
    if (s->numbered && seq != s->next_seq)
        return; /* not where the numbers stand: number it as new */
    s->next_seq = seq;
    s->numbered = 1;
    if (p + k < s->prev.d1) {
        /* More of them to come in the next batch, right after this one. */
        s->prev.s0 = seq + k;
        s->prev.d0 = p + k;
        s->prev_valid = 1;
    }
}

/* Queue: record which numbers the messages in flight have, at which
 * positions, before any of them is sent. */
static void queue_note(struct sender *s)
{
    uint64_t p;

    if (!s->numbered || s->n == 0 || mmf_queue_held(s->c.q, &p) != (int)s->n)
        return;
    state_put(&s->c, &s->st, s->c.id, 0, s->f[0].seq, p, s->f[0].seq + s->n, p + s->n);
}

/* Take messages from the channel into the flight list. */
static int take(struct sender *s, long long timeout)
{
    mmf_msg m[BATCH];
    size_t room = WINDOW - s->n;
    int k;

    if ((size_t)(s->f - s->fbase) + s->n + BATCH > 2 * WINDOW) {
        memmove(s->fbase, s->f, s->n * sizeof *s->f);
        s->f = s->fbase;
    }

    if (s->c.kind == K_BCAST) {
        /* Copy out: a broadcast message may be overwritten at any time. */
        size_t used = 0, cap = (size_t)s->c.max_msg;
        int got = 0;
        if (s->n > 0)
            return 0;
        while ((size_t)got < BATCH && used + cap <= FRAME_BYTES + cap && !stopping) {
            size_t len;
            uint64_t lost = 0;
            int rc = mmf_bcast_recv(s->c.b, s->bbuf + used, cap, &len, &lost,
                                    got == 0 ? timeout : 0);
            s->lost_pending += lost;
            if (rc == MMF_EOVERFLOW)
                continue;
            if (rc < 0)
                return got > 0 ? got : rc;
            s->f[s->n].data = s->bbuf + used;
            s->f[s->n].len = (uint32_t)len;
            s->f[s->n].seq = s->next_seq++;
            s->n++;
            used += (len + 7) & ~(size_t)7;
            got++;
            if (used >= FRAME_BYTES)
                break;
        }
        return got;
    }
    if (room == 0)
        return 0;
    if (s->c.kind == K_QUEUE && s->n > 0)
        return 0; /* one batch peeked at a time (include/mmf.h) */
    if (room > BATCH)
        room = BATCH;
    if (s->c.kind == K_RING)
        k = mmf_ring_peek_batch(s->c.r, m, room, timeout);
    else
        k = mmf_queue_peek_batch(s->c.q, m, room, timeout);
    if (k > 0 && s->c.kind == K_QUEUE)
        queue_renumber(s, (uint64_t)k);
    for (int i = 0; i < k; i++) {
        s->f[s->n].data = m[i].data;
        s->f[s->n].len = (uint32_t)m[i].len;
        s->f[s->n].seq = s->next_seq;
        s->next_seq += s->c.kind == K_RING ? ring_step(m[i].len) : 1;
        s->n++;
    }
    if (k > 0 && s->c.kind == K_QUEUE)
        queue_note(s);
    return k;
}

/* Send what is taken and not sent, as frames, until ZeroMQ's high-water
 * mark says wait. */
static void send_data(struct sender *s)
{
    while (s->sent < s->n) {
        size_t i = s->sent, end = i, bytes = HDR_BYTES;
        zmq_msg_t m;
        unsigned char *p;
        if (s->c.kind != K_BCAST && s->f[i].len >= ZC_BYTES) {
            /* One large message: its header, then the message in place. */
            unsigned char h[HDR_BYTES + REC_BYTES];
            struct zc *z = malloc(sizeof *z);
            if (z == NULL)
                return;
            put_hdr(h, T_DATA, 0, s->session, 0);
            put64(h + HDR_BYTES, s->f[i].seq);
            put32(h + HDR_BYTES + 8, s->f[i].len);
            put32(h + HDR_BYTES + 12, 0);
            if (zmq_send(s->sock, h, sizeof h, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
                free(z);
                return;
            }
            z->seq = s->f[i].seq;
            atomic_init(&z->done, 0);
            z->next = s->zc;
            s->zc = z;
            if (zmq_msg_init_data(&m, (void *)s->f[i].data, s->f[i].len, zc_done, z) != 0) {
                atomic_store(&z->done, 1);
                return;
            }
            /* The first part went: ZeroMQ takes the rest of the message. */
            if (zmq_msg_send(&m, s->sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m); /* calls zc_done */
                return;
            }
            s->sent = i + 1;
            continue;
        }
        while (end < s->n && (end == i || bytes + REC_BYTES + s->f[end].len <= FRAME_BYTES) &&
               (s->c.kind == K_BCAST || s->f[end].len < ZC_BYTES)) {
            bytes += REC_BYTES + s->f[end].len;
            end++;
        }
        if (zmq_msg_init_size(&m, bytes) != 0)
            return;
        p = zmq_msg_data(&m);
        put_hdr(p, T_DATA, 0, s->session, s->c.kind == K_BCAST ? s->lost_total + s->lost_pending : 0);
        p += HDR_BYTES;
        for (size_t k = i; k < end; k++) {
            put64(p, s->f[k].seq);
            put32(p + 8, s->f[k].len);
            put32(p + 12, 0);
            memcpy(p + REC_BYTES, s->f[k].data, s->f[k].len);
            p += REC_BYTES + s->f[k].len;
        }
        if (zmq_msg_send(&m, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return; /* back-pressure (or no connection): try later */
        }
        s->sent = end;
        if (s->c.kind == K_BCAST) {
            cnt.msgs += end - i;
            for (size_t k = i; k < end; k++)
                cnt.bytes += s->f[k].len;
            cnt.lost += s->lost_pending;
            s->lost_total += s->lost_pending;
            s->lost_pending = 0;
        }
    }
    if (s->c.kind == K_BCAST && s->sent == s->n) { /* at most once: no ACK */
        s->n = 0;
        s->sent = 0;
        s->f = s->fbase;
    }
}

/* A frame from the receiver. Returns an exit code to stop with, or -1. */
static int on_reply(struct sender *s, const unsigned char *p, size_t len)
{
    unsigned version, type;
    uint64_t session, num;
    if (len < HDR_BYTES || get32(p) != PROTO_MAGIC) {
        blog_limited(&s->c, 0, "dropped a reply that is not this protocol (%zu bytes)", len);
        cnt.dropped_frames++;
        return -1;
    }
    version = get16(p + 4);
    type = get16(p + 6);
    session = get64(p + 8);
    num = get64(p + 16);
    if ((version & ~REWIND_FLAG) != PROTO_VERSION) {
        blog_limited(&s->c, 1, "the receiver speaks protocol version %u, this bridge %u",
                     version & ~REWIND_FLAG, PROTO_VERSION);
        cnt.dropped_frames++;
        return -1;
    }
    if (session != s->session || s->session == 0)
        return -1; /* an older session's */
    if (type == T_REFUSE) {
        char text[REFUSE_TEXT_MAX + 1];
        size_t n = len - HDR_BYTES;
        if (n > REFUSE_TEXT_MAX)
            n = REFUSE_TEXT_MAX;
        memcpy(text, p + HDR_BYTES, n);
        text[n] = '\0';
        cnt.refused++;
        blog(&s->c, "refused by %s: %s", endpoint, show(text));
        return num == R_KIND ? EX_TYPE : num == R_BUSY ? -1 : EX_ERROR;
    }
    if (type != T_WELCOME && type != T_ACK)
        return -1;
    if (s->c.kind == K_BCAST) {
        if (type == T_WELCOME) {
            cnt.sessions++;
            blog(&s->c, "connected to %s", endpoint);
        }
        s->last_heard = now_ms();
        return -1;
    }
    if (type == T_WELCOME && s->c.kind == K_QUEUE && !s->numbered) {
        s->next_seq = num; /* the receiver numbers a new sender's messages */
        s->numbered = 1;
        for (size_t i = 0; i < s->n; i++)
            s->f[i].seq = s->next_seq++;
        queue_note(s);
    }
    {
        uint64_t lo = s->n > 0 ? s->f[0].seq : s->next_seq;
        if (num < lo || num > s->next_seq) {
            /* Out of step: a ring sender may still have to skip messages
             * below it (it restarted after the receiver committed them);
             * anything else is the receiver's mistake. */
            if (!(s->c.kind == K_RING && num > s->next_seq)) {
                blog_limited(&s->c, 2, "the receiver expects %" PRIu64
                             ", outside what this side holds (%" PRIu64 "..%" PRIu64 ")",
                             num, lo, s->next_seq);
                if (num < lo)
                    return -1;
            }
        }
    }
    s->last_heard = now_ms();
    if (type == T_WELCOME) {
        s->hello_ivl = 500;
        s->sent = 0;
        cnt.sessions++;
        blog(&s->c, "connected to %s: the receiver expects #%" PRIu64, endpoint, num);
    }
    s->acked = num;
    {
        int rc = release_below(s, num);
        if (rc < 0) {
            blog(&s->c, "release: %s", mmf_strerror(rc));
            return exit_code(rc);
        }
    }
    if (type == T_WELCOME || (version & REWIND_FLAG))
        s->sent = 0; /* send again from `next` */
    return -1;
}

static int run_send(struct chan *c, const struct args *a, const char *state_path)
{
    struct sender s;
    int rc, code = EX_OK;
    uint64_t drain_until = 0;
    char pub[41], sec[41], peer[41];

    memset(&s, 0, sizeof s);
    s.c = *c;
    s.acked = NONE;
    s.hello_ivl = 500;
    s.fbase = s.f = calloc(2 * (size_t)WINDOW, sizeof *s.f);
    if (s.f == NULL)
        fail(c->name, MMF_ENOMEM);
    rc = chan_attach(&s.c, MMF_ROLE_CONSUMER, a);
    if (rc < 0)
        fail(c->name, rc);
    if (s.c.kind == K_BCAST) {
        s.bbuf = malloc(FRAME_BYTES + 2 * (size_t)s.c.max_msg + 8);
        if (s.bbuf == NULL)
            fail(c->name, MMF_ENOMEM);
        s.next_seq = random64() >> 1;
        s.c.id = s.next_seq; /* a new reader: a new sequence */
    } else if (s.c.kind == K_RING) {
        mmf_channel_info ci;
        /* This endpoint is the ring's only consumer: the consumer position
         * does not move under it. */
        rc = mmf_channel_stat(s.c.name, &ci);
        if (rc < 0 || ci.corrupt)
            fail(c->name, rc < 0 ? rc : MMF_ECORRUPT);
        s.next_seq = ci.consumed;
    } else {
        /* Queue: what a killed or stopped sender had in flight comes back
         * first; take it now, so that the first HELLO gives its numbers. */
        state_open(&s.c, &s.st, state_path);
        s.prev_valid = state_get(&s.st, &s.prev) && s.prev.src_id == s.c.id &&
                       s.prev.d1 > s.prev.d0 && s.prev.s1 - s.prev.s0 == s.prev.d1 - s.prev.d0;
        rc = take(&s, 0);
        if (rc < 0 && rc != MMF_EAGAIN && rc != MMF_EPIPE)
            fail(c->name, rc);
        s.prev_valid = 0;
        if (s.numbered)
            blog(&s.c, "resuming: %zu messages in flight again from #%" PRIu64, s.n,
                 s.f[0].seq);
    }
    publish_note(&s.c);

    s.ctx = zmq_ctx_new();
    s.sock = zmq_socket(s.ctx, ZMQ_DEALER);
    if (s.sock == NULL)
        zfail(c, "zmq_socket");
    common_opts(s.sock);
    setint(s.sock, ZMQ_IMMEDIATE, 1);
    setint(s.sock, ZMQ_RECONNECT_IVL, 100);
    setint(s.sock, ZMQ_RECONNECT_IVL_MAX, 5000);
    if (a->curve_key) {
        read_key(a->curve_key, sec);
        if (zmq_curve_public(pub, sec) != 0)
            die(EX_USAGE, NULL, "%s is not a CURVE secret key", show(a->curve_key));
        if (a->curve_peer == NULL)
            usage_error("--curve-key needs --curve-peer (the receiver's public key)");
        read_key(a->curve_peer, peer);
        zmq_setsockopt(s.sock, ZMQ_CURVE_SERVERKEY, peer, 41);
        zmq_setsockopt(s.sock, ZMQ_CURVE_PUBLICKEY, pub, 41);
        zmq_setsockopt(s.sock, ZMQ_CURVE_SECRETKEY, sec, 41);
    }
    s.mon = open_monitor(s.ctx, s.sock, "send", c);
    if (zmq_connect(s.sock, endpoint) != 0)
        zfail(c, "connect");
    cnt.last_ns = now_ms();
    blog(&s.c, "sending to %s", endpoint);

    for (;;) {
        zmq_pollitem_t items[2] = {{s.sock, 0, ZMQ_POLLIN, 0}, {s.mon, 0, ZMQ_POLLIN, 0}};
        uint64_t t = now_ms();
        unsigned ev;
        uint32_t val;
        long wait = 0;

        if (stopping && drain_until == 0)
            drain_until = t + DRAIN_MS;
        /* What is not acknowledged stays in the channel for the next
         * sender (a queue's: MMF_CHANNEL_REDELIVER). */
        if (drain_until != 0 &&
            (s.n == 0 || t > drain_until || s.sent == 0 || s.session == 0 || s.last_heard == 0))
            break;

        while (monitor_event(s.mon, &ev, &val)) {
            if (ev == ZMQ_EVENT_CONNECT_RETRIED)
                blog_limited(&s.c, 3, "cannot reach %s: trying again in %" PRIu32 " ms",
                             endpoint, val);
            else if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                s.connected = 1;
                if (!stopping)
                    send_hello(&s);
            } else if (ev == ZMQ_EVENT_DISCONNECTED) {
                if (s.connected)
                    blog(&s.c, "connection to %s lost", endpoint);
                s.connected = 0;
                s.session = 0;
            } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
                       ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                       ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                blog_limited(&s.c, 4, "ZeroMQ handshake with %s failed (%s)", endpoint,
                             ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "authentication"
                                                                   : "protocol");
            }
        }
        /* Replies. */
        for (;;) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s.sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            rc = on_reply(&s, zmq_msg_data(&m), zmq_msg_size(&m));
            zmq_msg_close(&m);
            if (rc >= 0) {
                code = rc;
                goto out;
            }
        }
        /* Handshake again after silence. */
        if (s.connected && !stopping) {
            if (s.last_heard == 0 && t - s.hello_at >= s.hello_ivl) {
                s.hello_ivl = s.hello_ivl * 2 > 5000 ? 5000 : s.hello_ivl * 2;
                send_hello(&s);
            } else if (s.last_heard != 0 && s.c.kind != K_BCAST && s.sent > 0 &&
                       t - s.last_heard > SILENCE_MS) {
                blog(&s.c, "no acknowledgement for %d ms: handshake again", SILENCE_MS);
                send_hello(&s);
            }
        }
        /* Take and send. */
        if (s.session != 0 && s.last_heard != 0) {
            if (!stopping) {
                long long tw = (s.n == 0) ? 20 : 0;
                rc = take(&s, tw);
                if (rc == 0 || rc == MMF_ETIMEDOUT || rc == MMF_EAGAIN)
                    wait = 1;
                else if (rc == MMF_EPIPE)
                    wait = 10; /* the producer is gone: wait for a new one */
                else if (rc < 0) {
                    blog(&s.c, "reading the channel: %s", mmf_strerror(rc));
                    code = exit_code(rc);
                    goto out;
                }
                /* Messages a restarted ring sender finds already committed. */
                if (s.acked != NONE && s.c.kind != K_BCAST) {
                    rc = release_below(&s, s.acked);
                    if (rc < 0) {
                        code = exit_code(rc);
                        goto out;
                    }
                }
            }
            send_data(&s);
            if (stopping || s.sent < s.n || s.n == WINDOW)
                wait = wait > 1 ? wait : 1; /* wait for ACKs or for ZeroMQ's queue */
        } else {
            wait = 50;
        }
        if (now_ms() - cnt.last_ns >= (uint64_t)interval_ms)
            report(&s.c, source_lag(&s), 0);
        if (wait > 0) {
            /* Wake for an ACK, and for room in ZeroMQ's queue when a
             * send waits for it. */
            if (s.sent < s.n)
                items[0].events = (short)(ZMQ_POLLIN | ZMQ_POLLOUT);
            zmq_poll(items, 2, wait);
        }
    }
out:
    if (s.c.kind == K_QUEUE && s.n > 0)
        blog(&s.c, "%zu messages in flight were not acknowledged: they stay in the queue for "
             "the next sender", s.n);
    report(&s.c, s.n, 1);
    /* ZeroMQ first: it may still read messages in the channel's memory. */
    zmq_close(s.mon);
    zmq_close(s.sock);
    zmq_ctx_term(s.ctx);
    zc_floor(&s);
    chan_close(&s.c); /* unacknowledged messages stay in the channel */
    if (s.st.fd > 0)
        close(s.st.fd);
    free(s.fbase);
    free(s.bbuf);
    if (note_section)
        mmf_section_close(note_section);
    return code;
}

/* ========================================================================== */
/* recv                                                                       */
/* ========================================================================== */

/* The frames a receiver keeps open until their records are committed,
 * and the records, at most (see flush). */
#define HELD_MAX 64
#define RECS_MAX (4 * FRAME_RECORDS)

struct rec {
    const unsigned char *data;
    uint32_t len;
    uint64_t seq;
};

struct receiver {
    struct chan c;
    void *ctx, *sock, *mon, *zap;
    char peer[256];
    size_t peer_len;
    uint64_t session;     /* the current sender's, 0 before the first */
    uint64_t src_id;      /* the current source's */
    uint64_t next;        /* the next sequence number to accept; NONE: unknown */
    uint64_t pos;         /* the destination's position (ring: bytes, queue: claims) */
    uint64_t rewound_at;  /* the `next` a rewind was asked for, NONE if none */
    uint64_t src_lost;    /* broadcast: the source's losses counted so far */
    uint64_t acked;       /* the last `next` acknowledged */
    struct rec *recs;     /* records taken, not committed yet */
    size_t nrec;
    uint64_t pexpect;     /* the sequence number expected after them */
    int gap;              /* a frame skipped ahead: ask for a rewind */
    zmq_msg_t held[HELD_MAX]; /* the frames they are in */
    int nheld;
    struct state_file st; /* ring, queue */
    char curve_peer[41];
    int curve;
};

static void state_write(struct receiver *r, uint64_t s0, uint64_t d0, uint64_t s1, uint64_t d1)
{
    state_put(&r->c, &r->st, r->src_id, r->c.id, s0, d0, s1, d1);
}

/*
 * A queue's batch [d0, d1) whose reservation is the destination's last:
 * its commit publishes the messages one after the other, so a kill during
 * it leaves a committed prefix, and a kill before it none. The queue says
 * which positions hold messages (this endpoint is the only producer and
 * has reserved nothing since): `next` is the first that does not.
 */
static uint64_t queue_resume(struct receiver *r, const struct state_rec *b)
{
    uint64_t k = b->d1 - b->d0, j = 0;
    int rc = 0;

    while (j < k && (rc = mmf_queue_committed(r->c.q, b->d0 + j)) == 1)
        j++;
    if (rc < 0) {
        /* Another producer reserved the slots again: nothing to learn. */
        blog(&r->c, "cannot tell which messages of the last batch were committed (%s): "
             "taking them all as committed", mmf_strerror(rc));
        return b->s1;
    }
    for (uint64_t i = j; i < k; i++) {
        rc = mmf_queue_committed(r->c.q, b->d0 + i);
        if (rc != 0) {
            blog(&r->c, "the last batch's messages were committed out of order (#%" PRIu64
                 " is %s): another producer wrote the channel", b->s0 + i,
                 rc == 1 ? "committed" : mmf_strerror(rc));
            break;
        }
    }
    if (j < k)
        blog(&r->c, "the last batch was cut short: %" PRIu64 " of %" PRIu64
             " messages committed", j, k);
    return b->s0 + j;
}

/* Decide `next` from the state file and the destination's position. */
static void state_load(struct receiver *r)
{
    struct state_rec rec, *best = &rec;
    mmf_channel_info ci;
    uint64_t p;

    r->next = NONE;
    r->src_id = 0;
    if (r->c.kind == K_BCAST)
        return;
    if (mmf_channel_stat(r->c.name, &ci) < 0 || ci.corrupt)
        fail(r->c.name, MMF_ECORRUPT);
    p = ci.produced;
    r->pos = p;
    if (!state_get(&r->st, &rec))
        return;
    if (best->dst_id != r->c.id) {
        blog(&r->c, "the channel was made again since the state was written: starting afresh");
        return;
    }
    r->src_id = best->src_id;
    if (r->c.kind == K_QUEUE && p == best->d1 && best->d1 > best->d0 &&
        best->s1 - best->s0 == best->d1 - best->d0)
        r->next = queue_resume(r, best);
    else if (p == best->d1 || (r->c.kind == K_QUEUE && p > best->d1))
        r->next = best->s1;
    else if (p == best->d0)
        r->next = best->s0;
    else
        blog(&r->c, "the channel's position (%" PRIu64 ") matches neither state record "
             "(%" PRIu64 ", %" PRIu64 "): another producer wrote it; starting afresh",
             p, best->d0, best->d1);
    if (r->next != NONE)
        blog(&r->c, "resuming: next #%" PRIu64, r->next);
}

static void reply(struct receiver *r, const void *peer, size_t peer_len, const void *b, size_t n)
{
    if (zmq_send(r->sock, peer, peer_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send(r->sock, b, n, ZMQ_DONTWAIT);
}

static void send_ack(struct receiver *r, unsigned flags)
{
    unsigned char b[HDR_BYTES];
    if (r->session == 0 || r->next == NONE)
        return;
    put_hdr(b, T_ACK, flags, r->session, r->next);
    reply(r, r->peer, r->peer_len, b, sizeof b);
    r->acked = r->next;
}

static void refuse(struct receiver *r, const void *peer, size_t peer_len, uint64_t session,
                   unsigned reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void refuse(struct receiver *r, const void *peer, size_t peer_len, uint64_t session,
                   unsigned reason, const char *fmt, ...)
{
    unsigned char b[HDR_BYTES + REFUSE_TEXT_MAX + 1];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf((char *)b + HDR_BYTES, REFUSE_TEXT_MAX + 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n > (int)REFUSE_TEXT_MAX)
        n = REFUSE_TEXT_MAX;
    put_hdr(b, T_REFUSE, 0, session, reason);
    reply(r, peer, peer_len, b, HDR_BYTES + (size_t)n);
    cnt.refused++;
    blog_limited(&r->c, 8 + (int)(reason & 7), "refused a sender: %s", (char *)b + HDR_BYTES);
}

static void on_hello(struct receiver *r, const void *peer, size_t peer_len,
                     const unsigned char *p, size_t len)
{
    unsigned version = get16(p + 4);
    uint64_t session = get64(p + 8), base = get64(p + 16), src_id, max_msg;
    unsigned kind;
    unsigned char b[HDR_BYTES];

    if (version != PROTO_VERSION) {
        refuse(r, peer, peer_len, session, R_VERSION,
               "protocol version %u, this bridge speaks version %u", version, PROTO_VERSION);
        return;
    }
    if (len != HELLO_BYTES || session == 0) {
        refuse(r, peer, peer_len, session, R_MALFORMED, "malformed HELLO (%zu bytes)", len);
        return;
    }
    kind = get32(p + 24);
    src_id = get64(p + 32);
    max_msg = get64(p + 40);
    if (kind != (unsigned)r->c.kind) {
        refuse(r, peer, peer_len, session, R_KIND,
               "the sender's channel is a %s, this side's %s:%s is a %s",
               kind >= K_RING && kind <= K_BCAST ? kind_words[kind] : "?",
               kind_words[r->c.kind], show(r->c.name), kind_words[r->c.kind]);
        return;
    }
    if (max_msg > r->c.max_msg) {
        refuse(r, peer, peer_len, session, R_SIZE,
               "the sender's messages may be %" PRIu64 " bytes, this side's channel holds %"
               PRIu64, max_msg, r->c.max_msg);
        return;
    }
    if (r->c.kind == K_BCAST) {
        /* The same sender after a lost connection keeps counting gaps. */
        if (src_id != r->src_id) {
            r->next = NONE;
            r->src_lost = 0;
        }
    } else if (r->next == NONE || src_id != r->src_id) {
        if (r->next != NONE && r->c.kind == K_RING)
            blog(&r->c, "a new source channel: starting at its position");
        if (r->c.kind == K_RING || r->next == NONE)
            r->next = base == NONE ? 0 : base;
    } else if (base != NONE && base > r->next) {
        blog(&r->c, "the sender released messages from #%" PRIu64 " to #%" PRIu64
             " that this side has no record of: they are lost", r->next, base);
        cnt.lost += r->c.kind == K_QUEUE ? base - r->next : 1;
        r->next = base;
    }
    if (r->next == NONE)
        r->next = base == NONE ? 0 : base;
    r->src_id = src_id;
    if (peer_len > sizeof r->peer)
        return;
    if (r->session != 0 && (peer_len != r->peer_len || memcmp(peer, r->peer, peer_len) != 0))
        blog(&r->c, "a new sender replaces the current one");
    memcpy(r->peer, peer, peer_len);
    r->peer_len = peer_len;
    r->session = session;
    r->rewound_at = NONE;
    r->pexpect = r->next;
    r->acked = NONE;
    cnt.sessions++;
    put_hdr(b, T_WELCOME, 0, session, r->next);
    reply(r, peer, peer_len, b, sizeof b);
    blog(&r->c, "sender connected: expecting #%" PRIu64, r->next);
}

/* Reserve, copy, record, commit: records [0, n) of `recs`. 0, or an exit
 * code. */

static int commit_records(struct receiver *r, struct rec *recs, size_t n)
{
    mmf_msg m[BATCH];
    uint64_t keep = now_ms();
    while (n > 0) {
        size_t want = n > BATCH ? BATCH : n;
        int k;
        for (size_t i = 0; i < want; i++)
            m[i].len = recs[i].len;
        if (r->c.kind == K_BCAST) {
            for (size_t i = 0; i < want; i++) {
                int rc = mmf_bcast_send(r->c.b, recs[i].data, recs[i].len);
                if (rc < 0)
                    return exit_code(rc);
                cnt.msgs++;
                cnt.bytes += recs[i].len;
            }
            r->next = recs[want - 1].seq + 1;
            recs += want;
            n -= want;
            continue;
        }
        if (r->c.kind == K_RING)
            k = mmf_ring_reserve_batch(r->c.r, m, want, 100);
        else
            k = mmf_queue_reserve_batch(r->c.q, m, want, 100);
        if (k == MMF_ETIMEDOUT || k == MMF_EPIPE) {
            /* The destination is full: wait (back-pressure), and tell the
             * sender that this side lives. */
            if (stopping)
                return EX_OK;
            if (now_ms() - keep >= KEEPALIVE_MS) {
                send_ack(r, 0);
                keep = now_ms();
            }
            if (k == MMF_EPIPE)
                usleep(10000);
            continue;
        }
        if (k < 0) {
            blog(&r->c, "writing the channel: %s", mmf_strerror(k));
            return exit_code(k);
        }
        {
            uint64_t s0 = r->next, d0 = r->pos, s1 = s0, d1 = d0;
            for (int i = 0; i < k; i++) {
                memcpy(m[i].data, recs[i].data, recs[i].len);
                if (r->c.kind == K_RING) {
                    s1 += ring_step(recs[i].len);
                    d1 += ring_step(recs[i].len);
                } else {
                    s1++;
                    d1++;
                }
            }
            state_write(r, s0, d0, s1, d1);
            if (r->c.kind == K_RING)
                k = mmf_ring_commit_batch(r->c.r, (size_t)k) < 0 ? -1 : k;
            else
                k = mmf_queue_commit_batch(r->c.q, (size_t)k) < 0 ? -1 : k;
            if (k < 0) {
                blog(&r->c, "commit failed");
                return EX_ERROR;
            }
            r->next = s1;
            r->pos = d1;
        }
        for (int i = 0; i < k; i++) {
            cnt.msgs++;
            cnt.bytes += recs[i].len;
        }
        recs += k;
        n -= (size_t)k;
    }
    return 0;
}

/*
 * Frames are taken in groups: the records of up to HELD_MAX frames in a
 * row are committed with one state record and acknowledged with one ACK
 * (flush), so that small frames cost one commit for many. The frames
 * stay open (r->held) until then, since the records point into them.
 */

/* Parse a DATA frame: records in `p`, or (body not NULL) one record
 * header in `p` whose payload is the second part, `body`. Records that
 * come at the expected sequence number are added to r->recs. Returns 1
 * if any were (the caller keeps the frame until flush), else 0. */
static int on_data(struct receiver *r, const void *peer, size_t peer_len,
                   const unsigned char *p, size_t len, const unsigned char *body,
                   size_t body_len)
{
    uint64_t session = get64(p + 8), lost = get64(p + 16), expect;
    size_t off = HDR_BYTES, n0 = r->nrec, n = r->nrec;

    if (session == 0 || session != r->session || peer_len != r->peer_len ||
        memcmp(peer, r->peer, peer_len) != 0) {
        cnt.dropped_frames++;
        return 0; /* an older session's, or someone else's */
    }
    if (body != NULL && (len != HDR_BYTES + REC_BYTES || get32(p + HDR_BYTES + 8) != body_len)) {
        blog_limited(&r->c, 6, "dropped a malformed frame (a message part of the wrong size)");
        cnt.dropped_frames++;
        return 0;
    }
    expect = r->pexpect;
    while (off < len) {
        uint64_t seq;
        uint32_t l;
        const unsigned char *data;
        if (len - off < REC_BYTES) {
            blog_limited(&r->c, 6, "dropped a malformed frame (a record header cut short)");
            cnt.dropped_frames++;
            return 0;
        }
        seq = get64(p + off);
        l = get32(p + off + 8);
        data = body != NULL ? body : p + off + REC_BYTES;
        if (l == 0 || l > r->c.max_msg || (body == NULL && l > len - off - REC_BYTES)) {
            blog_limited(&r->c, 6, "dropped a malformed frame (a record of %" PRIu32
                         " bytes)", l);
            cnt.dropped_frames++;
            return 0;
        }
        if (n - n0 >= FRAME_RECORDS) {
            blog_limited(&r->c, 6, "dropped a frame of too many records");
            cnt.dropped_frames++;
            return 0;
        }
        if (r->c.kind == K_BCAST) {
            if (expect == NONE || seq >= expect) {
                if (expect != NONE)
                    cnt.lost += seq - expect;
                r->recs[n++] = (struct rec){data, l, seq};
                expect = seq + 1;
            } else {
                cnt.dups++;
            }
        } else if (seq < expect) {
            cnt.dups++;
        } else if (seq == expect) {
            r->recs[n++] = (struct rec){data, l, seq};
            expect += r->c.kind == K_RING ? ring_step(l) : 1;
        } else {
            r->gap = 1;
            break;
        }
        off += REC_BYTES + (body != NULL ? 0 : l);
    }
    /* The source's losses come as a running total, so that a frame lost
     * with a connection does not take its count with it. */
    if (r->c.kind == K_BCAST && lost > r->src_lost) {
        cnt.lost += lost - r->src_lost;
        r->src_lost = lost;
    }
    r->nrec = n;
    r->pexpect = expect;
    return n > n0;
}

/* Commit the records taken, close their frames, acknowledge. 0, or an
 * exit code. */
static int flush(struct receiver *r)
{
    int code = 0;
    if (r->nrec > 0)
        code = commit_records(r, r->recs, r->nrec);
    r->nrec = 0;
    for (int i = 0; i < r->nheld; i++)
        zmq_msg_close(&r->held[i]);
    r->nheld = 0;
    r->pexpect = r->next;
    if (code != 0)
        return code;
    if (r->gap && r->rewound_at != r->next) {
        r->rewound_at = r->next;
        send_ack(r, REWIND_FLAG);
    } else if (r->c.kind != K_BCAST && r->acked != r->next) {
        send_ack(r, 0);
    }
    r->gap = 0;
    return 0;
}

/* ZeroMQ's authentication requests (ZAP, RFC 27): accept only the key
 * given with --curve-peer. */
static void on_zap(struct receiver *r)
{
    zmq_msg_t f[7];
    int nf = 0, more = 1;
    size_t ml = sizeof more;
    int ok;
    while (more && nf < 7) {
        zmq_msg_init(&f[nf]);
        if (zmq_msg_recv(&f[nf], r->zap, 0) < 0)
            break;
        nf++;
        zmq_getsockopt(r->zap, ZMQ_RCVMORE, &more, &ml);
    }
    while (more) { /* more frames than ZAP has: drain them */
        zmq_msg_t x;
        zmq_msg_init(&x);
        if (zmq_msg_recv(&x, r->zap, 0) < 0) {
            zmq_msg_close(&x);
            break;
        }
        zmq_msg_close(&x);
        zmq_getsockopt(r->zap, ZMQ_RCVMORE, &more, &ml);
    }
    if (nf >= 2) {
        char z85[41];
        ok = nf == 7 && zmq_msg_size(&f[6]) == 32 &&
             zmq_z85_encode(z85, zmq_msg_data(&f[6]), 32) != NULL &&
             memcmp(z85, r->curve_peer, 40) == 0;
        if (!ok)
            blog_limited(&r->c, 7, "refused a connection: its CURVE key is not the one given "
                         "with --curve-peer");
        zmq_send(r->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(r->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
        zmq_send(r->zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(r->zap, ok ? "OK" : "unknown key", ok ? 2 : 11, ZMQ_SNDMORE);
        zmq_send(r->zap, "", 0, ZMQ_SNDMORE);
        zmq_send(r->zap, "", 0, 0);
    }
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
}

static int run_recv(struct chan *c, const struct args *a, const char *state_path)
{
    struct receiver r;
    int rc, code = EX_OK;
    char sec[41];

    memset(&r, 0, sizeof r);
    r.c = *c;
    r.next = NONE;
    r.pexpect = NONE;
    r.acked = NONE;
    r.rewound_at = NONE;
    r.recs = calloc(RECS_MAX, sizeof *r.recs);
    if (r.recs == NULL)
        fail(c->name, MMF_ENOMEM);
    rc = chan_attach(&r.c, MMF_ROLE_PRODUCER, a);
    if (rc < 0)
        fail(c->name, rc);
    if (r.c.kind != K_BCAST) {
        state_open(&r.c, &r.st, state_path);
    }
    state_load(&r);
    publish_note(&r.c);

    r.ctx = zmq_ctx_new();
    if (a->curve_key) {
        if (a->curve_peer == NULL)
            usage_error("--curve-key needs --curve-peer (the sender's public key)");
        read_key(a->curve_peer, r.curve_peer);
        r.zap = zmq_socket(r.ctx, ZMQ_REP);
        if (r.zap == NULL || zmq_bind(r.zap, "inproc://zeromq.zap.01") != 0)
            zfail(c, "ZAP handler");
    }
    r.sock = zmq_socket(r.ctx, ZMQ_ROUTER);
    if (r.sock == NULL)
        zfail(c, "zmq_socket");
    common_opts(r.sock);
    {
        /* No frame above what one record of the largest message needs. */
        int64_t max = (int64_t)(HDR_BYTES + REC_BYTES + (r.c.max_msg > FRAME_BYTES
                                                             ? r.c.max_msg
                                                             : FRAME_BYTES));
        zmq_setsockopt(r.sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    }
    if (a->curve_key) {
        read_key(a->curve_key, sec);
        setint(r.sock, ZMQ_CURVE_SERVER, 1);
        zmq_setsockopt(r.sock, ZMQ_CURVE_SECRETKEY, sec, 41);
        zmq_setsockopt(r.sock, ZMQ_ZAP_DOMAIN, "mmf-bridge", 10);
    }
    r.mon = open_monitor(r.ctx, r.sock, "recv", c);
    if (zmq_bind(r.sock, endpoint) != 0) {
        blog(&r.c, "cannot listen on %s: %s", endpoint, zmq_strerror(zmq_errno()));
        exit(EX_ERROR);
    }
    cnt.last_ns = now_ms();
    blog(&r.c, "listening on %s", endpoint);

    while (!stopping) {
        zmq_pollitem_t items[3] = {{r.sock, 0, ZMQ_POLLIN, 0},
                                   {r.mon, 0, ZMQ_POLLIN, 0},
                                   {r.zap, 0, ZMQ_POLLIN, 0}};
        unsigned ev;
        uint32_t val;
        int got = 0;

        zmq_poll(items, r.zap ? 3 : 2, 100);
        if (r.zap && (items[2].revents & ZMQ_POLLIN))
            on_zap(&r);
        while (monitor_event(r.mon, &ev, &val)) {
            if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
                blog_limited(&r.c, 0, "refused a connection: it does not speak ZeroMQ "
                             "(handshake failed)");
            else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                blog_limited(&r.c, 1, "refused a connection: CURVE authentication failed");
            else if (ev == ZMQ_EVENT_DISCONNECTED)
                blog_limited(&r.c, 2, "a connection closed");
        }
        /* Up to 64 frames between looks at the rest. */
        while (got++ < 64 && !stopping) {
            zmq_msg_t id, m;
            int more = 0;
            size_t ml = sizeof more;
            const unsigned char *p;
            size_t len;
            int two_part;

            zmq_msg_init(&id);
            if (zmq_msg_recv(&id, r.sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&id);
                break;
            }
            zmq_getsockopt(r.sock, ZMQ_RCVMORE, &more, &ml);
            if (!more) {
                zmq_msg_close(&id);
                continue;
            }
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, r.sock, 0) < 0) {
                zmq_msg_close(&m);
                zmq_msg_close(&id);
                continue;
            }
            zmq_getsockopt(r.sock, ZMQ_RCVMORE, &more, &ml);
            p = zmq_msg_data(&m);
            len = zmq_msg_size(&m);
            two_part = 0;
            /* Room for this frame's records and for the frame itself. */
            if ((r.nheld == HELD_MAX || r.nrec + FRAME_RECORDS > RECS_MAX) &&
                (code = flush(&r)) != EX_OK) {
                zmq_msg_close(&m);
                zmq_msg_close(&id);
                goto out;
            }
            if (more && len == HDR_BYTES + REC_BYTES && get32(p) == PROTO_MAGIC &&
                get16(p + 4) == PROTO_VERSION && get16(p + 6) == T_DATA) {
                /* A large message: its header, then the message itself. */
                zmq_msg_t body;
                zmq_msg_init(&body);
                if (zmq_msg_recv(&body, r.sock, 0) >= 0) {
                    zmq_getsockopt(r.sock, ZMQ_RCVMORE, &more, &ml);
                    two_part = !more;
                    if (two_part && on_data(&r, zmq_msg_data(&id), zmq_msg_size(&id), p, len,
                                            zmq_msg_data(&body), zmq_msg_size(&body))) {
                        zmq_msg_init(&r.held[r.nheld]);
                        zmq_msg_move(&r.held[r.nheld++], &body);
                    }
                }
                zmq_msg_close(&body);
            }
            if (two_part) {
                /* done above */
            } else if (more) { /* frames of more parts are not this protocol */
                while (more) {
                    zmq_msg_t x;
                    zmq_msg_init(&x);
                    if (zmq_msg_recv(&x, r.sock, 0) < 0) {
                        zmq_msg_close(&x);
                        break;
                    }
                    zmq_msg_close(&x);
                    zmq_getsockopt(r.sock, ZMQ_RCVMORE, &more, &ml);
                }
                blog_limited(&r.c, 3, "dropped a message of several frames from a peer: not "
                             "this protocol");
                cnt.dropped_frames++;
            } else if (len < HDR_BYTES || get32(p) != PROTO_MAGIC) {
                blog_limited(&r.c, 3, "dropped %zu bytes from a peer that does not speak this "
                             "protocol", len);
                cnt.dropped_frames++;
            } else if (get16(p + 6) == T_HELLO) {
                /* What the current session sent so far is good: commit it. */
                code = flush(&r);
                on_hello(&r, zmq_msg_data(&id), zmq_msg_size(&id), p, len);
            } else if ((get16(p + 4) & ~REWIND_FLAG) != PROTO_VERSION) {
                blog_limited(&r.c, 4, "dropped a frame of protocol version %u",
                             get16(p + 4) & ~REWIND_FLAG);
                cnt.dropped_frames++;
            } else if (get16(p + 6) == T_DATA) {
                if (on_data(&r, zmq_msg_data(&id), zmq_msg_size(&id), p, len, NULL, 0)) {
                    zmq_msg_init(&r.held[r.nheld]);
                    zmq_msg_move(&r.held[r.nheld++], &m);
                }
            } else {
                blog_limited(&r.c, 4, "dropped a frame of type %u", get16(p + 6));
                cnt.dropped_frames++;
            }
            zmq_msg_close(&m);
            zmq_msg_close(&id);
            if (code != EX_OK)
                goto out;
        }
        code = flush(&r);
        if (code != EX_OK)
            goto out;
        {
            mmf_channel_info ci;
            uint64_t lag = MMF_UNKNOWN;
            if (now_ms() - cnt.last_ns >= (uint64_t)interval_ms &&
                mmf_channel_stat(r.c.name, &ci) == 0 && !ci.corrupt)
                lag = ci.fill;
            report(&r.c, lag, 0);
        }
    }
    /* Stopping: everything accepted is committed; say so once more. */
    if (r.c.kind != K_BCAST) {
        setint(r.sock, ZMQ_LINGER, 500);
        send_ack(&r, 0);
    }
out:
    for (int i = 0; i < r.nheld; i++)
        zmq_msg_close(&r.held[i]);
    report(&r.c, MMF_UNKNOWN, 1);
    chan_close(&r.c);
    zmq_close(r.mon);
    if (r.zap)
        zmq_close(r.zap);
    zmq_close(r.sock);
    zmq_ctx_term(r.ctx);
    if (r.st.fd > 0)
        close(r.st.fd);
    free(r.recs);
    if (note_section)
        mmf_section_close(note_section);
    return code;
}

/* The default state file: one per store, kind and name (and a queue
 * sender's apart from a receiver's). */
static const char *default_state(const struct chan *c)
{
    static char path[4096];
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    const char *store = getenv("MMF_STORE_DIR");
    char key[MMF_NAME_BYTES + 4200];
    uint64_t h = 0xcbf29ce484222325u;
    char dir[4000];

    snprintf(key, sizeof key, "%s\n%s\n%s", store ? store : "/dev/shm", kind_words[c->kind],
             canon(c->name));
    for (const char *p = key; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 0x100000001b3u;
    }
    if (xdg != NULL && xdg[0] == '/')
        snprintf(dir, sizeof dir, "%s/mmf", xdg);
    else if (home != NULL && home[0] == '/')
        snprintf(dir, sizeof dir, "%s/.local/state/mmf", home);
    else
        die(EX_USAGE, c->name, "no $XDG_STATE_HOME or $HOME for the state file: give --state FILE");
    /* mkdir -p of the last two levels, enough for ~/.local/state/mmf */
    {
        char up[4000];
        snprintf(up, sizeof up, "%s", dir);
        char *slash = strrchr(up, '/');
        if (slash != NULL && slash != up) {
            *slash = '\0';
            char *s2 = strrchr(up, '/');
            if (s2 != NULL && s2 != up) {
                *s2 = '\0';
                mkdir(up, 0700);
                *s2 = '/';
            }
            mkdir(up, 0700);
        }
        mkdir(dir, 0700);
    }
    snprintf(path, sizeof path, "%s/bridge-%s%s-%016" PRIx64 ".state", dir,
             strcmp(role_word, "send") == 0 ? "send-" : "", kind_words[c->kind], h);
    return path;
}

static int keygen(const char *path)
{
    char pub[41], sec[41], pubpath[4096];
    int fd;
    FILE *f;
    if (zmq_curve_keypair(pub, sec) != 0)
        die(EX_ERROR, NULL, "this ZeroMQ has no CURVE support: %s", zmq_strerror(zmq_errno()));
    snprintf(pubpath, sizeof pubpath, "%s.pub", path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        die(errno == EEXIST ? EX_EXISTS : EX_ERROR, NULL, "%s: %s", show(path), strerror(errno));
    f = fdopen(fd, "w");
    if (f == NULL || fprintf(f, "%s\n", sec) < 0 || fclose(f) != 0)
        die(EX_ERROR, NULL, "%s: %s", show(path), strerror(errno));
    f = fopen(pubpath, "wx");
    if (f == NULL || fprintf(f, "%s\n", pub) < 0 || fclose(f) != 0)
        die(EX_ERROR, NULL, "%s: %s", show(pubpath), strerror(errno));
    printf("%s\n", pub);
    return EX_OK;
}

/* Frames are allocated in one thread and freed in another at a high rate
 * (the sender builds them and ZeroMQ's I/O thread frees them once sent;
 * the receiver frees what the I/O thread received). glibc hands blocks of
 * their size back to the kernel when they are freed (mmap above 128 KiB,
 * trimming the heap above that), and every new frame then faults its pages
 * in again: a tenth of the sender's time at 64-byte messages. Keep them:
 * the memory held is what the high-water marks allow in flight. */
static void keep_frame_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int cmd_bridge(int argc, char **argv)
{
    char *pos[3];
    struct opt opts[O_COUNT + 1];
    int npos = parse_bridge(argc, argv, opts, pos);
    struct args a = {1u << 20, 1024, 4096, NULL, NULL, NULL};
    struct chan c;
    const char *mode;

    tool_obj = NULL;
    if (npos < 1)
        usage_error("give send, recv or keygen");
    mode = pos[0];
    if (strcmp(mode, "keygen") == 0) {
        if (npos != 2)
            usage_error("keygen takes one FILE");
        return keygen(pos[1]);
    }
    if (npos != 3)
        usage_error("bridge %s takes two arguments", show(mode));
    if (strcmp(mode, "send") == 0) {
        parse_chan(pos[1], &c);
        endpoint = pos[2];
    } else if (strcmp(mode, "recv") == 0) {
        parse_chan(pos[2], &c);
        endpoint = pos[1];
    } else {
        usage_error("unknown bridge mode '%s': send, recv or keygen", show(mode));
    }
    check_endpoint(endpoint);
    role_word = mode;
    if (opts[O_SIZE].value) a.size = size_opt(&opts[O_SIZE], "ring size");
    if (opts[O_SLOTS].value) a.slots = size_opt(&opts[O_SLOTS], "slot count");
    if (opts[O_SLOT_SIZE].value) a.slot_size = size_opt(&opts[O_SLOT_SIZE], "slot size");
    if (a.slots > UINT32_MAX || a.slot_size > UINT32_MAX)
        usage_error("--slots and --slot-size are at most 2^24");
    a.state = opts[O_STATE].value;
    a.curve_key = opts[O_CURVE_KEY].value;
    a.curve_peer = opts[O_CURVE_PEER].value;
    if (opts[O_INTERVAL].value) {
        uint64_t v;
        if (parse_size(opts[O_INTERVAL].value, &v) != 0 || v == 0 || v > 3600000)
            usage_error("--interval takes 1 to 3600000 milliseconds");
        interval_ms = (long)v;
    }
    json_out = opts[O_JSON].value != NULL;
    progress_tty = !json_out && isatty(STDERR_FILENO);
    if (a.curve_peer && !a.curve_key)
        usage_error("--curve-peer needs --curve-key");
    if (a.state && strcmp(mode, "recv") != 0 && c.kind != K_QUEUE)
        usage_error("--state is for recv, and for send of a queue");
    install_signals();
    keep_frame_memory();
    if (strcmp(mode, "send") == 0)
        return run_send(&c, &a, c.kind != K_QUEUE ? NULL : a.state ? a.state : default_state(&c));
    return run_recv(&c, &a, c.kind == K_BCAST ? NULL : a.state ? a.state : default_state(&c));
}

#endif /* MMF_HAVE_ZMQ */
