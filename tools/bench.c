/* SPDX-License-Identifier: MIT */
/*
 * bench.c - `mmf bench`: a quick look at how fast channels are on this
 * machine. Each row runs between this process and a forked child, pinned
 * to two different CPUs of those the process may run on (its affinity
 * mask, as taskset sets it), or both to the same one when only one is
 * allowed: one-way latency of a 64-byte
 * message (round trip / 2) on a pair of rings, busy-polling and blocking,
 * and streaming throughput of each kind of channel.
 *
 * It is a summary for operators, not the benchmark of record: that one is
 * `make bench-channels`, which also runs the peer libraries
 * (docs/performance.md).
 *
 * It forks its peer and pins both sides with sched_setaffinity(), which
 * Windows has no counterpart of: there the command says it is not
 * supported.
 */
#ifdef _WIN32
#include "port.h"
#include "tool.h"

int cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tool_unsupported(NULL, "mmf bench",
                     "each row runs against a fork()ed peer pinned to a CPU");
}
#else
#define _GNU_SOURCE
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mmf.h>

#include "tool.h"

/* Every wait of the benchmark gives up after this: a benchmark must not
 * hang when its other half died. */
#define WAIT_MS 10000

struct row {
    const char *what;
    int latency;          /* 1: percentiles; 0: throughput */
    double p50, p99, p999;  /* ns, one way */
    double msgs, bytes;     /* per second */
    uint64_t lost;
    int rc;               /* 0, or the MMF_E* code that stopped it */
    const char *skipped;  /* why the row did not run, or NULL */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The CPUs the two sides run on: the first two the affinity mask allows
 * (the same one twice when it allows one), and how many it allows. */
static int cpu_a, cpu_b, cpus_allowed;

static void choose_cpus(void)
{
    cpu_set_t set;
    int found = 0;

    cpu_a = cpu_b = -1;
    cpus_allowed = 0;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return; /* run wherever the scheduler puts us */
    cpus_allowed = CPU_COUNT(&set);
    for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
        if (!CPU_ISSET(cpu, &set))
            continue;
        if (found++ == 0)
            cpu_a = cpu_b = cpu;
        else
            cpu_b = cpu;
    }
}

static void pin(int cpu)
{
    cpu_set_t set;
    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* A unique channel name for this run. */
static void chan_name(char *buf, size_t cap, const char *what)
{
    snprintf(buf, cap, "mmf-bench.%ld.%s", (long)getpid(), what);
}

/* Fork the other half; it runs fn(arg) pinned to the second CPU and
 * exits with 0 or 1. */
static pid_t spawn(int (*fn)(const void *), const void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        pin(cpu_b);
        _exit(fn(arg) == 0 ? 0 : 1);
    }
    return pid;
}

static int reap(pid_t pid, int rc)
{
    int status;
    if (rc < 0)
        kill(pid, SIGKILL);
    if (waitpid(pid, &status, 0) != pid)
        return rc < 0 ? rc : MMF_EIO;
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return MMF_EIO;
    return rc;
}

/* ---- latency: ping on one ring, pong on another ------------------------- */

struct pingpong {
    char ping[96], pong[96];
    unsigned flags;
    size_t rounds;
};

static int echo(const void *arg)
{
    const struct pingpong *p = arg;
    mmf_channel_opts o = {p->flags, 0, NULL};
    mmf_ring *in, *out;
    int rc;

    if (mmf_ring_create(&in, p->ping, 1 << 16, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o) < 0)
        return -1;
    if (mmf_ring_create(&out, p->pong, 1 << 16, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o) < 0)
        return -1;
    for (size_t i = 0; i < p->rounds; i++) {
        mmf_msg m;
        void *w;
        if ((rc = mmf_ring_peek(in, &m, WAIT_MS)) < 0)
            break;
        if ((rc = mmf_ring_reserve(out, m.len, &w, WAIT_MS)) < 0)
            break;
        memcpy(w, m.data, 8);
        mmf_ring_release(in, 1);
        mmf_ring_commit(out, m.len);
    }
    mmf_ring_close(out);
    mmf_ring_close(in);
    return rc < 0 ? -1 : 0;
}

static void latency(struct row *r, unsigned flags, size_t rounds)
{
    struct pingpong p = {.flags = flags, .rounds = rounds};
    mmf_channel_opts o = {flags, 0, NULL};
    uint64_t *rt = calloc(rounds, sizeof *rt);
    mmf_ring *out = NULL, *in = NULL;
    pid_t pid;
    int rc;

    chan_name(p.ping, sizeof p.ping, "ping");
    chan_name(p.pong, sizeof p.pong, "pong");
    if (rt == NULL) {
        r->rc = MMF_ENOMEM;
        return;
    }
    rc = mmf_ring_create(&out, p.ping, 1 << 16, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, &o);
    if (rc >= 0)
        rc = mmf_ring_create(&in, p.pong, 1 << 16, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, &o);
    if (rc < 0) {
        r->rc = rc;
        if (out != NULL)
            mmf_ring_close(out);
        free(rt);
        return;
    }
    pid = spawn(echo, &p);
    for (size_t i = 0; i < rounds && rc >= 0; i++) {
        uint64_t t0 = now_ns();
        void *w;
        mmf_msg m;
        if ((rc = mmf_ring_reserve(out, 64, &w, WAIT_MS)) < 0)
            break;
        memcpy(w, &i, 8);
        mmf_ring_commit(out, 64);
        if ((rc = mmf_ring_peek(in, &m, WAIT_MS)) < 0)
            break;
        if (m.len != 64 || memcmp(m.data, &i, 8) != 0)
            rc = MMF_ECORRUPT;
        mmf_ring_release(in, 1);
        rt[i] = now_ns() - t0;
    }
    r->rc = reap(pid, rc < 0 ? rc : 0);
    mmf_ring_close(in);
    mmf_ring_close(out);
    if (r->rc == 0) {
        /* The first tenth warms caches and the spin budget up. */
        size_t skip = rounds / 10, n = rounds - skip;
        qsort(rt + skip, n, sizeof *rt, cmp_u64);
        r->p50 = (double)rt[skip + n / 2] / 2;
        r->p99 = (double)rt[skip + n * 99 / 100] / 2;
        r->p999 = (double)rt[skip + n * 999 / 1000] / 2;
    }
    free(rt);
}

/* ---- throughput --------------------------------------------------------- */

struct stream {
    char name[96];
    int kind;
    size_t size, count;
};

#define BATCH 64

static int produce(const void *arg)
{
    const struct stream *s = arg;
    int rc = 0;

    if (s->kind == MMF_KIND_RING) {
        mmf_ring *r;
        mmf_msg m[BATCH];
        if (mmf_ring_create(&r, s->name, 1 << 22, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL) < 0)
            return -1;
        for (size_t i = 0; i < s->count && rc >= 0;) {
            size_t want = s->count - i < BATCH ? s->count - i : BATCH;
            for (size_t k = 0; k < want; k++)
                m[k].len = s->size;
            if ((rc = mmf_ring_reserve_batch(r, m, want, WAIT_MS)) < 0)
                break;
            for (int k = 0; k < rc; k++) {
                uint64_t seq = i + (size_t)k;
                memcpy(m[k].data, &seq, 8);
                memcpy((char *)m[k].data + s->size - 8, &seq, 8);
            }
            i += (size_t)rc;
            rc = mmf_ring_commit_batch(r, (size_t)rc);
        }
        mmf_ring_close(r);
    } else if (s->kind == MMF_KIND_QUEUE) {
        mmf_queue *q;
        if (mmf_queue_create(&q, s->name, 4096, (uint32_t)s->size, MMF_ROLE_PRODUCER,
                             MMF_OPEN_OR_CREATE, NULL) < 0)
            return -1;
        for (size_t i = 0; i < s->count && rc >= 0; i++) {
            void *w;
            if ((rc = mmf_queue_reserve(q, &w, WAIT_MS)) < 0)
                break;
            memcpy(w, &i, 8);
            memcpy((char *)w + s->size - 8, &i, 8);
            rc = mmf_queue_commit(q, s->size);
        }
        mmf_queue_close(q);
    } else {
        mmf_bcast *b;
        char buf[64];
        if (mmf_bcast_create(&b, s->name, 4096, (uint32_t)s->size, MMF_ROLE_PRODUCER,
                             MMF_OPEN_OR_CREATE, NULL) < 0)
            return -1;
        /* The producer never waits: pace it a little behind a reader that
         * keeps up, so the row measures delivery rather than loss. */
        for (size_t i = 0; i < s->count && rc >= 0; i++) {
            memcpy(buf, &i, 8);
            memcpy(buf + s->size - 8, &i, 8);
            rc = mmf_bcast_send(b, buf, s->size);
        }
        mmf_bcast_close(b);
    }
    return rc < 0 ? -1 : 0;
}

static void throughput(struct row *r, int kind, size_t size, size_t count)
{
    struct stream s = {.kind = kind, .size = size, .count = count};
    uint64_t t0 = 0, got = 0;
    pid_t pid;
    int rc;

    chan_name(s.name, sizeof s.name, "stream");
    if (kind == MMF_KIND_RING) {
        mmf_ring *c;
        mmf_msg m[BATCH];
        if ((rc = mmf_ring_create(&c, s.name, 1 << 22, MMF_ROLE_CONSUMER,
                                  MMF_OPEN_OR_CREATE, NULL)) < 0) {
            r->rc = rc;
            return;
        }
        pid = spawn(produce, &s);
        while (got < count) {
            if ((rc = mmf_ring_peek_batch(c, m, BATCH, WAIT_MS)) < 0)
                break;
            if (got == 0)
                t0 = now_ns();
            for (int k = 0; k < rc; k++) {
                uint64_t a, b;
                memcpy(&a, m[k].data, 8);
                memcpy(&b, (char *)m[k].data + m[k].len - 8, 8);
                if (a != got + (uint64_t)k || b != a)
                    rc = MMF_ECORRUPT;
            }
            if (rc < 0)
                break;
            got += (uint64_t)rc;
            rc = mmf_ring_release(c, (size_t)rc);
        }
        r->rc = reap(pid, rc < 0 ? rc : 0);
        mmf_ring_close(c);
    } else if (kind == MMF_KIND_QUEUE) {
        mmf_queue *q;
        if ((rc = mmf_queue_create(&q, s.name, 4096, (uint32_t)size, MMF_ROLE_CONSUMER,
                                   MMF_OPEN_OR_CREATE, NULL)) < 0) {
            r->rc = rc;
            return;
        }
        pid = spawn(produce, &s);
        while (got < count) {
            mmf_msg m;
            uint64_t a;
            if ((rc = mmf_queue_peek(q, &m, WAIT_MS)) < 0)
                break;
            if (got == 0)
                t0 = now_ns();
            memcpy(&a, m.data, 8);
            if (a != got || m.len != size) {
                rc = MMF_ECORRUPT;
                break;
            }
            got++;
            if ((rc = mmf_queue_release(q)) < 0)
                break;
        }
        r->rc = reap(pid, rc < 0 ? rc : 0);
        mmf_queue_close(q);
    } else {
        mmf_bcast *b;
        char buf[64];
        if ((rc = mmf_bcast_create(&b, s.name, 4096, (uint32_t)size, MMF_ROLE_CONSUMER,
                                   MMF_OPEN_OR_CREATE, NULL)) < 0) {
            r->rc = rc;
            return;
        }
        pid = spawn(produce, &s);
        for (uint64_t seen = 0; seen < count;) {
            size_t len;
            uint64_t lost = 0, a;
            if ((rc = mmf_bcast_recv(b, buf, sizeof buf, &len, &lost, WAIT_MS)) < 0)
                break;
            if (seen == 0 && got == 0)
                t0 = now_ns();
            memcpy(&a, buf, 8);
            r->lost += lost;
            seen = a + 1;
            got++;
        }
        r->rc = reap(pid, rc < 0 && rc != MMF_EPIPE ? rc : 0);
        mmf_bcast_close(b);
    }
    if (r->rc == 0 && got > 1) {
        double secs = (double)(now_ns() - t0) / 1e9;
        r->msgs = (double)got / secs;
        r->bytes = (double)got * (double)size / secs;
    }
}

/* ---- driver ------------------------------------------------------------- */

static void progress(int done, int total, const char *what)
{
    if (!isatty(STDERR_FILENO))
        return;
    int width = 30, fill = done * width / total;
    fprintf(stderr, "\r[%.*s%*s] %d/%d %-36s", fill,
            "##############################", width - fill, "", done, total,
            what);
    if (done == total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

static void fmt_ns(char *buf, size_t cap, double ns)
{
    if (ns < 10000)
        snprintf(buf, cap, "%.0f ns", ns);
    else if (ns < 10000000)
        snprintf(buf, cap, "%.1f us", ns / 1000);
    else
        snprintf(buf, cap, "%.1f ms", ns / 1e6);
}

/* The rows as one JSON document (keys in docs/cli.md). */
static void print_json(const struct row *rows, int n)
{
    struct json j;

    json_start(&j, stdout);
    json_object(&j, NULL);
    json_int(&j, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
    json_int(&j, "allowed_cpus", cpus_allowed);
    json_array(&j, "pinned");
    json_int(&j, NULL, cpu_a);
    json_int(&j, NULL, cpu_b);
    json_end(&j);
    json_array(&j, "rows");
    for (int i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        json_object(&j, NULL);
        json_string(&j, "test", r->what);
        json_string(&j, "error", r->rc ? mmf_err_name(r->rc) : NULL);
        if (r->skipped) {
            json_string(&j, "skipped", r->skipped);
        } else if (r->latency) {
            json_real(&j, "p50_ns", r->p50, 0);
            json_real(&j, "p99_ns", r->p99, 0);
            json_real(&j, "p999_ns", r->p999, 0);
        } else {
            json_real(&j, "msgs_per_s", r->msgs, 0);
            json_real(&j, "bytes_per_s", r->bytes, 0);
            json_uint(&j, "lost", r->lost);
        }
        json_end(&j);
    }
    json_end(&j);
    json_end(&j);
}

/* Run every row and print the table (or JSON). quick: a tenth of the
 * messages. Returns the exit code. */
static int run_bench(int json, int quick)
{
    size_t scale = quick ? 10 : 1;
    struct row rows[] = {
        {"ring 64 B latency, busy-poll", 1, 0, 0, 0, 0, 0, 0, 0, NULL},
        {"ring 64 B latency, blocking", 1, 0, 0, 0, 0, 0, 0, 0, NULL},
        {"ring 64 B throughput (batches of 64)", 0, 0, 0, 0, 0, 0, 0, 0, NULL},
        {"ring 1 KiB throughput", 0, 0, 0, 0, 0, 0, 0, 0, NULL},
        {"ring 64 KiB throughput", 0, 0, 0, 0, 0, 0, 0, 0, NULL},
        {"queue 64 B throughput", 0, 0, 0, 0, 0, 0, 0, 0, NULL},
        {"broadcast 64 B throughput", 0, 0, 0, 0, 0, 0, 0, 0, NULL},
    };
    const int n = (int)(sizeof rows / sizeof rows[0]);
    int failed = 0;

    choose_cpus();
    pin(cpu_a);
    for (int i = 0; i < n; i++) {
        progress(i, n, rows[i].what);
        /* Two busy-polling sides on one CPU only take turns, one time
         * slice each (milliseconds a message): nothing worth measuring. */
        if (i == 0 && cpu_a >= 0 && cpu_a == cpu_b) {
            rows[i].skipped = "busy-polling needs two CPUs; one is allowed";
            continue;
        }
        switch (i) {
        case 0: latency(&rows[i], MMF_CHANNEL_BUSY_POLL, 200000 / scale); break;
        case 1: latency(&rows[i], 0, 100000 / scale); break;
        case 2: throughput(&rows[i], MMF_KIND_RING, 64, 20000000 / scale); break;
        case 3: throughput(&rows[i], MMF_KIND_RING, 1024, 2000000 / scale); break;
        case 4: throughput(&rows[i], MMF_KIND_RING, 65536, 50000 / scale); break;
        case 5: throughput(&rows[i], MMF_KIND_QUEUE, 64, 5000000 / scale); break;
        case 6: throughput(&rows[i], MMF_KIND_BCAST, 64, 5000000 / scale); break;
        }
        failed |= rows[i].rc != 0;
    }
    progress(n, n, "");

    if (json) {
        print_json(rows, n);
        return failed ? 6 : 0;
    }
    printf("%-38s %10s %10s %10s %14s %11s\n", "channel", "p50", "p99", "p99.9",
           "messages/s", "GB/s");
    for (int i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        char a[32], b[32], c[32];
        if (r->rc) {
            printf("%-38s failed: %s\n", r->what, mmf_strerror(r->rc));
            continue;
        }
        if (r->skipped) {
            printf("%-38s skipped: %s\n", r->what, r->skipped);
            continue;
        }
        if (r->latency) {
            fmt_ns(a, sizeof a, r->p50);
            fmt_ns(b, sizeof b, r->p99);
            fmt_ns(c, sizeof c, r->p999);
            printf("%-38s %10s %10s %10s %14s %11s\n", r->what, a, b, c, "", "");
        } else {
            printf("%-38s %10s %10s %10s %14.0f %11.2f", r->what, "", "", "", r->msgs,
                   r->bytes / 1e9);
            if (r->lost)
                printf("  (%" PRIu64 " lost)", r->lost);
            printf("\n");
        }
    }
    printf("\nLatency is one way (round trip / 2), after a warm-up; ");
    if (cpu_a < 0)
        printf("the two sides where the scheduler put them.\n");
    else if (cpu_a != cpu_b)
        printf("the two sides on CPUs %d and %d.\n", cpu_a, cpu_b);
    else
        printf("one CPU allowed: both sides share CPU %d.\n", cpu_a);
    return failed ? 6 : 0;
}

static void help_bench(void)
{
    puts("usage: mmf bench [--quick] [--json]\n"
         "\n"
         "A quick look at how fast channels are on this machine: one-way latency\n"
         "of 64-byte messages on a pair of rings (busy-polling and blocking), and\n"
         "the throughput of rings, queues and broadcast channels, between this\n"
         "process and a child, pinned to the first two CPUs its affinity mask\n"
         "allows (taskset -c); with one allowed, both share it and the busy-poll\n"
         "row is skipped. Takes about half a minute (--quick: a few seconds,\n"
         "fewer samples). A progress bar goes to stderr on a terminal. The full\n"
         "benchmark, against other IPC systems, is `make bench-channels` in the\n"
         "source tree.\n"
         "\n"
         "  --quick   a tenth of the messages\n"
         "  --json    one object: {\"cpus\", \"allowed_cpus\", \"pinned\": [A, B],\n"
         "            \"rows\": [{\"test\", \"error\", \"p50_ns\", \"p99_ns\",\n"
         "            \"p999_ns\"} or {..., \"msgs_per_s\", \"bytes_per_s\", \"lost\"}\n"
         "            or {..., \"skipped\": reason}]}\n"
         "\n"
         "Exits 0, or 6 when a row failed (its error is shown).");
}

int cmd_bench(int argc, char **argv)
{
    struct opt opts[] = {{"--quick", 0, NULL}, {"--json", 0, NULL}, {NULL, 0, NULL}};
    parse_opts(argc, argv, opts, NULL, 0, help_bench, NULL);
    return run_bench(opts[1].value != NULL, opts[0].value != NULL);
}
#endif
