/* SPDX-License-Identifier: MIT */
/*
 * chanbench.c - the channel benchmark's driver: moves messages between two
 * processes through every system in the registry below, at every size,
 * and records the results (results.h), which report.c writes as Markdown
 * tables and plot.c as gnuplot plots.
 *
 * For each system and size the driver calls the transport's setup(), then
 * forks a producer pinned to CPU 0 and a consumer pinned to CPU 1. They
 * run, separated by barriers on a shared page:
 *   1. latency: the producer sends one message and waits for the echo,
 *      timing each round trip with the TSC (or CLOCK_MONOTONIC); after a
 *      warm-up it keeps up to lat_samples round trips within lat_seconds.
 *      One-way latency = round trip / 2; the report gives p50, p99, p99.9.
 *   2. throughput: the producer streams messages for stream_seconds (after
 *      a warm-up stream of a fifth of that), in batches where the system
 *      has batching; rate = messages / (consumer's last receipt - the
 *      producer's first send), both on CLOCK_MONOTONIC.
 *   3. for zero-copy systems, the stream again in the copy variant.
 * Every message carries its sequence number in its first and last 8
 * bytes; both sides check every message, so a system that loses,
 * duplicates, reorders or tears a message fails its row instead of
 * reporting a figure. The driver's deadline kills a run that hangs.
 *
 * Usage: chanbench [--quick] [--out DIR] [--data DIR] [--systems a,b]
 *                  [--sizes 8,64,...] [--list]
 * Environment (overrides the defaults; the report names what was set):
 *   MMF_BENCH_QUICK=1            smoke run of about 20 s
 *   MMF_BENCH_SYSTEMS=a,b        only these systems (see --list)
 *   MMF_BENCH_SIZES=8,64         only these sizes (bytes, multiples of 8)
 *   MMF_BENCH_LAT_SAMPLES=N      most round trips kept per latency cell
 *   MMF_BENCH_LAT_SECONDS=S      time budget of a latency cell
 *   MMF_BENCH_STREAM_SECONDS=S   time budget of a throughput cell
 *   MMF_BENCH_OUT=DIR            where channels.md and the PNGs go
 *   MMF_BENCH_CLOCK=monotonic    do not use the TSC
 * Exit status: 0 if every run that was not skipped delivered every message
 * intact, 1 otherwise (or on a usage error: 2).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chanbench.h"
#include "results.h"

/* ------------------------------------------------------------------------ */
/* The registry: one line per system, in table order                         */
/* ------------------------------------------------------------------------ */

extern const struct cb_transport cb_spin, cb_rawmpmc, cb_futex, cb_pipe, cb_uds_stream,
    cb_uds_seqpacket, cb_mq, cb_eventfd;

/* A system whose library was not found when CMake ran is still listed, as
 * skipped, so the table says what is missing instead of hiding the row. */
#define CB_NOT_BUILT(id, name_, label_, why)                                   \
    static const struct cb_transport id = {.name = name_, .label = label_,     \
                                           .missing = why}

#ifdef CB_HAVE_BOOST
extern const struct cb_transport cb_boost;
#else
CB_NOT_BUILT(cb_boost, "boost", "Boost.Interprocess message_queue",
             "not built: Boost headers (libboost-dev) or a C++ compiler were "
             "missing when CMake ran");
#endif
#ifdef CB_HAVE_ICEORYX
extern const struct cb_transport cb_iceoryx;
#else
CB_NOT_BUILT(cb_iceoryx, "iceoryx", "iceoryx (C binding)",
             "not built: the iceoryx C binding (libiceoryx-binding-c-dev) was "
             "missing when CMake ran");
#endif
#ifdef CB_HAVE_ZMQ
extern const struct cb_transport cb_zmq;
#else
CB_NOT_BUILT(cb_zmq, "zmq", "ZeroMQ ipc:// PAIR",
             "not built: libzmq (libzmq3-dev) was missing when CMake ran");
#endif
/* Always built: t_mmf.c finds out at run time whether libmmf implements
 * the channels yet. */
extern const struct cb_transport cb_mmf_spsc_busy, cb_mmf_spsc_block, cb_mmf_mpmc,
    cb_mmf_mpmc_single;

static const struct cb_transport *const registry[] = {
    &cb_spin,   &cb_rawmpmc, &cb_futex,   &cb_mmf_spsc_busy, &cb_mmf_spsc_block, &cb_mmf_mpmc,
    &cb_mmf_mpmc_single,
    &cb_iceoryx, &cb_boost,  &cb_zmq,           &cb_eventfd,        &cb_uds_stream,
    &cb_pipe,   &cb_mq,
};
/* Measurable on request (--systems), not part of the default run. */
static const struct cb_transport *const extras[] = {&cb_uds_seqpacket};

#define N_REG (sizeof registry / sizeof registry[0])
#define N_EXTRA (sizeof extras / sizeof extras[0])
_Static_assert(N_REG + N_EXTRA <= MAX_SYSTEMS, "MAX_SYSTEMS in results.h is too small");
#define MAX_SAMPLES 200000u

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

struct cb_options cb_opt;

static const size_t default_sizes[] = {8, 64, 1024, 65536, 1048576};

/* ------------------------------------------------------------------------ */
/* Small helpers shared with the transports                                  */
/* ------------------------------------------------------------------------ */

int cb_fail(struct cb_chan *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->note, sizeof c->note, fmt, ap);
    va_end(ap);
    return -1;
}

int cb_skip(struct cb_chan *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->note, sizeof c->note, fmt, ap);
    va_end(ap);
    return CB_SKIP;
}

int cb_fail_errno(struct cb_chan *c, const char *call)
{
    return cb_fail(c, "%s: %s", call, strerror(errno));
}

uint64_t cb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


void cb_fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, n, f, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* Clock: the TSC where it is invariant, calibrated against CLOCK_MONOTONIC  */
/* ------------------------------------------------------------------------ */

static double ns_per_tick = 1.0;
double cb_tick_overhead_ns;

static inline uint64_t ticks(void)
{
#if defined(__x86_64__)
    if (cb_opt.use_tsc) {
        /* lfence on both sides: the read neither starts before the work
         * before it has finished nor lets the work after it start early. */
        __builtin_ia32_lfence();
        uint64_t t = __builtin_ia32_rdtsc();
        __builtin_ia32_lfence();
        return t;
    }
#endif
    return cb_now_ns();
}

static int tsc_invariant(void)
{
#if defined(__x86_64__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int ok = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "flags", 5) == 0) {
            ok = strstr(line, " constant_tsc") != NULL && strstr(line, " nonstop_tsc") != NULL;
            break;
        }
    }
    fclose(f);
    return ok;
#else
    return 0;
#endif
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void calibrate_clock(void)
{
    const char *clk = getenv("MMF_BENCH_CLOCK");
    cb_opt.use_tsc = tsc_invariant() && !(clk != NULL && strcmp(clk, "monotonic") == 0);
    if (cb_opt.use_tsc) {
        uint64_t n0 = cb_now_ns(), t0 = ticks();
        struct timespec nap = {0, cb_opt.quick ? 20000000 : 100000000};
        nanosleep(&nap, NULL);
        uint64_t n1 = cb_now_ns(), t1 = ticks();
        ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
    }
    /* What two back-to-back reads cost: included in every round trip. */
    uint64_t d[101];
    for (int i = 0; i < 101; i++) {
        uint64_t a = ticks();
        d[i] = ticks() - a;
    }
    qsort(d, 101, sizeof d[0], cmp_u64);
    cb_tick_overhead_ns = (double)d[50] * ns_per_tick;
}

/* ------------------------------------------------------------------------ */
/* The page the driver and the two sides share                               */
/* ------------------------------------------------------------------------ */

struct cb_shared {
    atomic_uint arrived;  /* barrier arrivals, two per barrier */
    atomic_int failed;    /* a side failed: stop waiting for it */
    char err[2][256];
    uint64_t stream_start[3]; /* [0] zc, [1] copy, [2] warm-up (scratch) */
    uint64_t stream_end[3];
    uint64_t stream_msgs[3];
    uint64_t lat_n;
    uint64_t lat[]; /* round trips in ticks */
};

static struct cb_shared *sh;
static size_t sh_size;

static int barrier(unsigned k)
{
    uint64_t deadline = cb_now_ns() + CB_STUCK_NS;
    unsigned spins = 0;
    atomic_fetch_add(&sh->arrived, 1);
    while (atomic_load(&sh->arrived) < 2 * k) {
        if (atomic_load(&sh->failed))
            return -1;
        if (++spins > 2000) {
            usleep(50);
            if (cb_now_ns() > deadline)
                return -1;
        }
        cb_relax();
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The two sides                                                             */
/* ------------------------------------------------------------------------ */

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int cb_n_cpus;

static void side_fail(struct cb_chan *c, const char *what) __attribute__((noreturn));
static void side_fail(struct cb_chan *c, const char *what)
{
    cb_fmt(sh->err[c->side], sizeof sh->err[c->side], "%s side: %s%s%s",
             c->side == CB_PRODUCER ? "producer" : "consumer", what, c->note[0] ? ": " : "",
             c->note);
    atomic_store(&sh->failed, 1);
    _exit(1);
}

static void check_value(struct cb_chan *c, uint64_t got, uint64_t want)
{
    if (got == CB_TORN) {
        snprintf(c->note, sizeof c->note, "message %llu arrived torn (first and last 8 bytes differ)",
                 (unsigned long long)want);
        side_fail(c, "integrity");
    }
    if ((got & ~CB_LAST) != want) {
        snprintf(c->note, sizeof c->note, "expected message %llu, got %llu", (unsigned long long)want,
                 (unsigned long long)(got & ~CB_LAST));
        side_fail(c, "integrity");
    }
}

static void latency_producer(const struct cb_transport *t, struct cb_chan *c)
{
    uint64_t budget = (uint64_t)(cb_opt.lat_seconds * 1e9 / ns_per_tick);
    uint64_t start = ticks(), seq = 0, v = 0, kept = 0;
    /* Warm up for a tenth of the samples (at most 1000) or a fifth of the
     * time, whichever ends first. */
    uint64_t warm = cb_opt.lat_samples / 10 < 1000 ? cb_opt.lat_samples / 10 : 1000;
    int warming = 1;
    for (;; seq++) {
        uint64_t t0 = ticks();
        if (t->send(c, seq, 1, 0) != 0)
            side_fail(c, "send");
        if (t->recv(c, &v, 1) != 1)
            side_fail(c, "recv");
        uint64_t t1 = ticks();
        check_value(c, v, seq);
        if (warming) {
            warming = seq + 1 < warm && t1 - start < budget / 5;
            continue;
        }
        sh->lat[kept++] = t1 - t0;
        if (kept == cb_opt.lat_samples || (t1 - start > budget && kept >= 16))
            break;
    }
    sh->lat_n = kept;
    seq++;
    if (t->send(c, seq, 1, 1) != 0 || t->recv(c, &v, 1) != 1)
        side_fail(c, "final round trip");
    check_value(c, v, seq);
    if (!(v & CB_LAST))
        side_fail(c, "the final echo lost its end mark");
}

static void latency_consumer(const struct cb_transport *t, struct cb_chan *c)
{
    uint64_t v = 0;
    for (uint64_t seq = 0;; seq++) {
        if (t->recv(c, &v, 1) != 1)
            side_fail(c, "recv");
        check_value(c, v, seq);
        if (t->send(c, seq, 1, (v & CB_LAST) != 0) != 0)
            side_fail(c, "send");
        if (v & CB_LAST)
            return;
    }
}

/* slot: 0 zc, 1 copy, 2 warm-up. */
static void stream_producer(const struct cb_transport *t, struct cb_chan *c, int slot,
                            double seconds)
{
    uint64_t budget = (uint64_t)(seconds * 1e9 / ns_per_tick);
    uint64_t seq = 0, since_check = 0;
    unsigned n = c->batch;
    /* Reading the clock after every message would cost as much as a fast
     * channel's send; read it once per 64 messages or 1 MiB. */
    uint64_t check_every = (1u << 20) / (c->size * n);
    if (check_every > 64 / n)
        check_every = 64 / n;
    if (check_every < 1)
        check_every = 1;
    sh->stream_start[slot] = cb_now_ns();
    uint64_t start = ticks();
    for (;;) {
        int last = 0;
        if (++since_check >= check_every) {
            since_check = 0;
            last = ticks() - start > budget;
        }
        if (t->send(c, seq, n, last) != 0)
            side_fail(c, "send");
        seq += n;
        if (last)
            break;
    }
}

static void stream_consumer(const struct cb_transport *t, struct cb_chan *c, int slot)
{
    uint64_t vals[CB_MAX_BATCH];
    uint64_t seq = 0;
    for (;;) {
        int n = t->recv(c, vals, c->batch);
        if (n < 1 || (unsigned)n > c->batch)
            side_fail(c, "recv");
        for (int i = 0; i < n; i++, seq++) {
            check_value(c, vals[i], seq);
            if (vals[i] & CB_LAST) {
                if (i + 1 != n)
                    side_fail(c, "messages after the last one");
                sh->stream_end[slot] = cb_now_ns();
                sh->stream_msgs[slot] = seq + 1;
                return;
            }
        }
    }
}

static void side_main(const struct cb_transport *t, struct cb_chan *c, int side, pid_t driver)
{
    unsigned k = 0;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the driver */
    if (getppid() != driver)
        _exit(1);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    c->side = side;
    if (cb_n_cpus >= 2)
        pin(side == CB_PRODUCER ? 0 : 1);
    if (t->attach(c) != 0)
        side_fail(c, "attach");
    if (barrier(++k) != 0)
        _exit(1);
    c->copy = 0;
    c->phase = CB_PHASE_LATENCY;
    if (side == CB_PRODUCER)
        latency_producer(t, c);
    else
        latency_consumer(t, c);
    if (!(t->flags & CB_LATENCY_ONLY)) {
        int variants = t->flags & CB_ZERO_COPY ? 2 : 1;
        c->phase = CB_PHASE_STREAM;
        for (int v = 0; v < variants; v++) {
            c->copy = v;
            for (int pass = 0; pass < 2; pass++) {
                int slot = pass == 0 ? 2 : v;
                if (barrier(++k) != 0)
                    _exit(1);
                if (side == CB_PRODUCER)
                    stream_producer(t, c, slot,
                                    pass == 0 ? cb_opt.stream_seconds / 5 : cb_opt.stream_seconds);
                else
                    stream_consumer(t, c, slot);
            }
        }
    }
    if (barrier(++k) != 0)
        _exit(1);
    t->detach(c);
    /* exit, not _exit: libraries (iceoryx's runtime) remove their files
     * in their exit handlers. */
    exit(0);
}

/* ------------------------------------------------------------------------ */
/* Results                                                                   */
/* ------------------------------------------------------------------------ */

struct system cb_sys[MAX_SYSTEMS];
int cb_n_sys;
double cb_memcpy_msgs[MAX_SIZES], cb_memcpy_gbs[MAX_SIZES];
int cb_failures;
char cb_load_before[64];

/* Nearest-rank percentile of sorted v[0..n). */
static uint64_t percentile(const uint64_t *v, uint64_t n, double q)
{
    uint64_t rank = (uint64_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* ------------------------------------------------------------------------ */
/* Running one system at one size                                            */
/* ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;
static pid_t kids[2];
static char tag[64];

const char *cb_tag(void)
{
    return tag;
}

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void kill_kids(void)
{
    for (int i = 0; i < 2; i++) {
        if (kids[i] > 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
            kids[i] = 0;
        }
    }
}

static double deadline_seconds(void)
{
    return 30.0 + cb_opt.lat_seconds * 2 + cb_opt.stream_seconds * 6;
}

static unsigned batch_for(const struct cb_transport *t, size_t size)
{
    if (!(t->flags & CB_BATCH))
        return 1;
    size_t b = (64u * 1024) / size;
    return b < 1 ? 1 : b > CB_MAX_BATCH ? CB_MAX_BATCH : (unsigned)b;
}

/* A queue of about 4 MiB, between 2 and 256 messages. */
unsigned cb_depth_for(size_t size)
{
    size_t d = (4u << 20) / size;
    return d < 2 ? 2 : d > 256 ? 256 : (unsigned)d;
}

static void run_cell(struct system *s, int si)
{
    const struct cb_transport *t = s->t;
    struct cell *cell = &s->cell[si];
    struct cb_chan c;
    memset(&c, 0, sizeof c);
    c.size = cb_opt.sizes[si];
    c.batch = batch_for(t, c.size);
    c.depth = cb_depth_for(c.size);
    c.tag = tag;
    c.src = malloc(c.size);
    c.dst = malloc(c.size);
    if (c.src == NULL || c.dst == NULL)
        cb_die("out of memory");
    /* A pattern that is never a valid sequence number in the first or
     * last 8 bytes, so a copy that was not stamped is caught. */
    memset(c.src, 0xa5, c.size);
    memset(c.dst, 0, c.size);

    int rc = t->setup(&c);
    if (rc != 0) {
        cell->state = rc == CB_SKIP ? CELL_SKIP : CELL_FAIL;
        cb_fmt(cell->note, sizeof cell->note, "%s%s", rc == CB_SKIP ? "" : "setup failed: ",
                 c.note);
        if (rc != CB_SKIP)
            cb_failures++;
        t->teardown(&c);
        free(c.src);
        free(c.dst);
        return;
    }

    memset(sh, 0, sizeof *sh);
    fflush(NULL);
    pid_t driver = getpid();
    for (int side = 0; side < 2; side++) {
        kids[side] = fork();
        if (kids[side] < 0)
            cb_die("fork: %s", strerror(errno));
        if (kids[side] == 0)
            side_main(t, &c, side, driver);
    }

    /* Wait for both, killing the other when one fails and both when the
     * deadline passes. */
    uint64_t deadline = cb_now_ns() + (uint64_t)(deadline_seconds() * 1e9);
    int status[2] = {0, 0}, done = 0, timed_out = 0;
    while (done < 2) {
        for (int i = 0; i < 2; i++) {
            if (kids[i] > 0 && waitpid(kids[i], &status[i], WNOHANG) == kids[i]) {
                kids[i] = 0;
                done++;
                if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]) != 0)
                    atomic_store(&sh->failed, 1);
            }
        }
        if (done == 2)
            break;
        if (atomic_load(&sh->failed) || stop_signal) {
            /* Give a failing side a moment to finish its message. */
            usleep(200000);
            kill_kids();
            break;
        }
        if (cb_now_ns() > deadline) {
            timed_out = 1;
            kill_kids();
            break;
        }
        usleep(2000);
    }
    t->teardown(&c);

    int ok = !timed_out && !atomic_load(&sh->failed) && !stop_signal;
    for (int i = 0; i < 2; i++)
        if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]) != 0)
            ok = 0;
    if (!ok) {
        cell->state = CELL_FAIL;
        cb_failures++;
        if (timed_out)
            cb_fmt(cell->note, sizeof cell->note, "FAILED: no result after %.0f s (hung)",
                     deadline_seconds());
        else if (stop_signal)
            cb_fmt(cell->note, sizeof cell->note, "interrupted");
        else
            cb_fmt(cell->note, sizeof cell->note, "FAILED: %s%s%s",
                     sh->err[0][0] ? sh->err[0] : sh->err[1],
                     sh->err[0][0] && sh->err[1][0] ? "; " : "", sh->err[0][0] ? sh->err[1] : "");
        if (!sh->err[0][0] && !sh->err[1][0] && !timed_out && !stop_signal)
            cb_fmt(cell->note, sizeof cell->note, "FAILED: a side died (status %#x, %#x)",
                     status[0], status[1]);
        fprintf(stderr, "chanbench: %s, %zu B: %s\n", t->name, c.size, cell->note);
        free(c.src);
        free(c.dst);
        return;
    }

    cell->state = CELL_OK;
    if (c.note[0])
        cb_fmt(cell->note, sizeof cell->note, "%s", c.note);
    if (sh->lat_n > 0) {
        qsort(sh->lat, sh->lat_n, sizeof sh->lat[0], cmp_u64);
        double k = ns_per_tick / 2; /* one-way: half the round trip */
        cell->has_lat = 1;
        cell->n = sh->lat_n;
        cell->p50 = (double)percentile(sh->lat, sh->lat_n, 0.50) * k;
        cell->p99 = (double)percentile(sh->lat, sh->lat_n, 0.99) * k;
        cell->p999 = (double)percentile(sh->lat, sh->lat_n, 0.999) * k;
    }
    if (!(t->flags & CB_LATENCY_ONLY)) {
        for (int v = 0; v < 2; v++) {
            int from = t->flags & CB_ZERO_COPY ? v : 0;
            double secs = (double)(sh->stream_end[from] - sh->stream_start[from]) / 1e9;
            if (sh->stream_msgs[from] == 0 || secs <= 0)
                continue;
            cell->has_tput[v] = 1;
            cell->msgs[v] = (double)sh->stream_msgs[from] / secs;
            cell->gbs[v] = cell->msgs[v] * (double)c.size / 1e9;
        }
    }
    printf("  %-16s %8zu B  p50 %9.0f ns  p99.9 %9.0f ns  %8.3f M msg/s  %8.3f GB/s (copy %8.3f GB/s)\n",
           t->name, c.size, cell->p50, cell->p999, cell->msgs[0] / 1e6, cell->gbs[0],
           cell->gbs[1]);
    fflush(stdout);
    free(c.src);
    free(c.dst);
}

/* A plain memcpy of each size on CPU 0, with the same stamp and check:
 * the reference for the copy variant. The child leaves (messages, ns) per
 * size in the sample array of the shared page. */
static void run_memcpy(void)
{
    memset(sh, 0, sizeof *sh);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        cb_die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (cb_n_cpus >= 2)
            pin(0);
        for (int si = 0; si < cb_opt.n_sizes; si++) {
            size_t size = cb_opt.sizes[si];
            unsigned char *src = malloc(size), *dst = malloc(size);
            if (src == NULL || dst == NULL)
                _exit(1);
            memset(src, 0xa5, size);
            memset(dst, 0, size);
            for (int pass = 0; pass < 2; pass++) {
                double secs = pass == 0 ? cb_opt.stream_seconds / 5 : cb_opt.stream_seconds;
                uint64_t budget = (uint64_t)(secs * 1e9 / ns_per_tick), n = 0;
                uint64_t t0 = cb_now_ns(), start = ticks();
                do {
                    for (int i = 0; i < 16; i++, n++) {
                        cb_stamp(src, size, n);
                        memcpy(dst, src, size);
                        __asm__ volatile("" ::: "memory");
                        if (cb_read(dst, size) != n)
                            _exit(1);
                    }
                } while (ticks() - start < budget);
                sh->lat[2 * si] = n;
                sh->lat[2 * si + 1] = cb_now_ns() - t0;
            }
            free(src);
            free(dst);
        }
        _exit(0);
    }
    kids[0] = pid;
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    kids[0] = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "chanbench: the memcpy reference failed\n");
        cb_failures++;
        return;
    }
    for (int si = 0; si < cb_opt.n_sizes; si++) {
        double secs = (double)sh->lat[2 * si + 1] / 1e9;
        cb_memcpy_msgs[si] = (double)sh->lat[2 * si] / secs;
        cb_memcpy_gbs[si] = cb_memcpy_msgs[si] * (double)cb_opt.sizes[si] / 1e9;
    }
}

/* ------------------------------------------------------------------------ */
/* Cleanup: nothing of ours may stay in /dev/shm, /tmp or /dev/mqueue        */
/* ------------------------------------------------------------------------ */

static int sweep(int remove)
{
    static const char *const dirs[] = {"/dev/shm", "/tmp", "/dev/mqueue"};
    int found = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        if (d == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, tag) == NULL)
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dirs[i], e->d_name);
            found++;
            if (remove) {
                fprintf(stderr, "chanbench: removing %s, left behind by a run\n", path);
                unlink(path);
            }
        }
        closedir(d);
    }
    return found;
}

static const struct cb_transport *current_started;

void cb_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "chanbench: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    kill_kids();
    if (current_started != NULL && current_started->stop != NULL)
        current_started->stop();
    sweep(1);
    exit(1);
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: chanbench [--quick] [--out DIR] [--data DIR] [--systems a,b] "
                    "[--sizes 8,64,...] [--list] [--death-only]\n");
    exit(2);
}

static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p != NULL && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == 0))
            return 1;
    return 0;
}

static void parse_sizes(const char *list)
{
    cb_opt.n_sizes = 0;
    for (const char *p = list; p != NULL && *p;) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || v < 8 || v % 8 != 0 || v > (64u << 20) || cb_opt.n_sizes == MAX_SIZES) {
            fprintf(stderr, "chanbench: bad size list '%s' (multiples of 8, 8 B .. 64 MiB, "
                            "at most %d)\n", list, MAX_SIZES);
            exit(2);
        }
        cb_opt.sizes[cb_opt.n_sizes++] = (size_t)v;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != 0)
            usage();
    }
}

static double env_double(const char *name, double def, double lo, double hi)
{
    const char *v = getenv(name);
    if (v == NULL || !*v)
        return def;
    char *end;
    double d = strtod(v, &end);
    if (*end != 0 || !(d >= lo && d <= hi)) {
        fprintf(stderr, "chanbench: %s=%s: not a number in [%g, %g]\n", name, v, lo, hi);
        exit(2);
    }
    size_t len = strlen(cb_opt.env_used);
    snprintf(cb_opt.env_used + len, sizeof cb_opt.env_used - len, "%s=%s ", name, v);
    return d;
}

static void note_env(const char *name)
{
    const char *v = getenv(name);
    if (v != NULL && *v) {
        size_t len = strlen(cb_opt.env_used);
        snprintf(cb_opt.env_used + len, sizeof cb_opt.env_used - len, "%s=%s ", name, v);
    }
}

int main(int argc, char **argv)
{
    const char *sizes = NULL;
    int list = 0, death_only = 0;
    for (int i = 0, len = 0; i < argc; i++)
        len += snprintf(cb_opt.argv_line + len, sizeof cb_opt.argv_line - (size_t)len, "%s%s",
                        i ? " " : "", argv[i]);
    const char *q = getenv("MMF_BENCH_QUICK");
    cb_opt.quick = q != NULL && *q && strcmp(q, "0") != 0;
    if (cb_opt.quick)
        note_env("MMF_BENCH_QUICK");
    cb_opt.out = getenv("MMF_BENCH_OUT");
    if (cb_opt.out != NULL)
        note_env("MMF_BENCH_OUT");
    cb_opt.systems = getenv("MMF_BENCH_SYSTEMS");
    note_env("MMF_BENCH_SYSTEMS");
    sizes = getenv("MMF_BENCH_SIZES");
    note_env("MMF_BENCH_SIZES");
    note_env("MMF_BENCH_CLOCK");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            cb_opt.quick = 1;
        else if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else if (strcmp(argv[i], "--death-only") == 0)
            death_only = 1;
        else if (i + 1 < argc && strcmp(argv[i], "--out") == 0) {
            if (cb_opt.out == NULL)
                cb_opt.out = argv[i + 1];
            i++;
        } else if (i + 1 < argc && strcmp(argv[i], "--data") == 0)
            cb_opt.data = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--systems") == 0)
            cb_opt.systems = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--sizes") == 0)
            sizes = argv[++i];
        else
            usage();
    }
    if (list) {
        for (size_t i = 0; i < N_REG + N_EXTRA; i++) {
            const struct cb_transport *t = i < N_REG ? registry[i] : extras[i - N_REG];
            printf("%-16s %s%s%s\n", t->name, t->label, i < N_REG ? "" : " (on request only)",
                   t->missing != NULL ? " [not built]" : "");
        }
        return 0;
    }
    if (cb_opt.out == NULL)
        cb_opt.out = "docs";
    if (cb_opt.data == NULL)
        cb_opt.data = cb_opt.out;
    cb_opt.lat_samples = (unsigned)env_double("MMF_BENCH_LAT_SAMPLES", cb_opt.quick ? 2000 : 50000, 100,
                                           MAX_SAMPLES);
    cb_opt.lat_seconds = env_double("MMF_BENCH_LAT_SECONDS", cb_opt.quick ? 0.05 : 1.0, 0.001, 60);
    cb_opt.stream_seconds = env_double("MMF_BENCH_STREAM_SECONDS", cb_opt.quick ? 0.05 : 0.5, 0.001, 60);
    if (sizes != NULL)
        parse_sizes(sizes);
    else {
        cb_opt.n_sizes = (int)(sizeof default_sizes / sizeof default_sizes[0]);
        memcpy(cb_opt.sizes, default_sizes, sizeof default_sizes);
    }
    mkdir(cb_opt.out, 0755);
    mkdir(cb_opt.data, 0755);

    if (death_only) {
        snprintf(tag, sizeof tag, "mmf-chanbench-%ld", (long)getpid());
        cb_death_run();
        return cb_failures > 0;
    }

    /* The systems of this run, in registry order; extras only by name. */
    for (size_t i = 0; i < N_REG + N_EXTRA; i++) {
        const struct cb_transport *t = i < N_REG ? registry[i] : extras[i - N_REG];
        if (cb_opt.systems != NULL ? !listed(cb_opt.systems, t->name) : i >= N_REG)
            continue;
        cb_sys[cb_n_sys++].t = t;
    }
    if (cb_n_sys == 0) {
        fprintf(stderr, "chanbench: no system matches '%s' (see --list)\n", cb_opt.systems);
        return 2;
    }

    snprintf(tag, sizeof tag, "mmf-chanbench-%ld", (long)getpid());
    cb_n_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    cb_read_line("/proc/loadavg", NULL, cb_load_before, sizeof cb_load_before);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, SIG_IGN);
    calibrate_clock();

    sh_size = sizeof *sh + (size_t)cb_opt.lat_samples * sizeof(uint64_t) + 4096;
    sh = mmap(NULL, sh_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        cb_die("mmap: %s", strerror(errno));

    time_t started = time(NULL);
    uint64_t t_start = cb_now_ns();
    printf("chanbench: %d systems, %d sizes%s; clock %s (%.3f ns/tick)\n", cb_n_sys, cb_opt.n_sizes,
           cb_opt.quick ? ", QUICK" : "", cb_opt.use_tsc ? "TSC" : "monotonic", ns_per_tick);
    for (int i = 0; i < cb_n_sys && !stop_signal; i++) {
        struct system *s = &cb_sys[i];
        const struct cb_transport *t = s->t;
        if (t->missing != NULL) {
            cb_fmt(s->note, sizeof s->note, "%s", t->missing);
            printf("  %-16s skipped: %s\n", t->name, s->note);
            continue;
        }
        if (t->probe != NULL && t->probe(s->note, sizeof s->note) != 0) {
            printf("  %-16s skipped: %s\n", t->name, s->note);
            continue;
        }
        if (t->start != NULL) {
            if (t->start(cb_opt.sizes, cb_opt.n_sizes, s->note, sizeof s->note) != 0) {
                printf("  %-16s skipped: %s\n", t->name, s->note);
                continue;
            }
            current_started = t;
        }
        for (int si = 0; si < cb_opt.n_sizes && !stop_signal; si++)
            run_cell(s, si);
        /* After the runs: a version line may say what start() changed. */
        if (t->version != NULL)
            t->version(s->version, sizeof s->version);
        if (t->stop != NULL)
            t->stop();
        current_started = NULL;
        if (sweep(0) > 0) {
            fprintf(stderr, "chanbench: %s left files behind\n", t->name);
            cb_fmt(s->cell[0].note, sizeof s->cell[0].note, "FAILED: left files in /dev/shm or /tmp");
            cb_failures++;
            sweep(1);
        }
    }
    if (stop_signal) {
        kill_kids();
        sweep(1);
        fprintf(stderr, "chanbench: interrupted\n");
        signal(stop_signal, SIG_DFL);
        raise(stop_signal);
        return 1;
    }
    run_memcpy();
    cb_death_run();

    char plot_note[200];
    int plotted = cb_write_plots(plot_note, sizeof plot_note) == 0 &&
                  cb_run_gnuplot(plot_note, sizeof plot_note) == 0;
    if (!plotted)
        fprintf(stderr, "chanbench: %s\n", plot_note);
    cb_write_report(plotted ? NULL : plot_note, started, (double)(cb_now_ns() - t_start) / 1e9);
    munmap(sh, sh_size);
    if (cb_failures > 0) {
        fprintf(stderr, "chanbench: %d run(s) failed\n", cb_failures);
        return 1;
    }
    return 0;
}
