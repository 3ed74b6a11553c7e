/* SPDX-License-Identifier: MIT */
/*
 * death.c - the "peer death" rows of the channel benchmark: how long a
 * consumer asleep in an infinite wait takes to learn that its producer was
 * killed (SIGKILL), for the ring, the queue and the broadcast channel.
 *
 * Each kill: the driver forks a producer (before it opens anything of mmf
 * itself in that round, so the child inherits no endpoint), creates the
 * channel as its consumer, lets the child attach, and blocks in a receive
 * with MMF_INFINITE; a thread of the driver sleeps 1 to 4 ms (random, so
 * that the consumer sleeps and any polling period is met at a random
 * phase), reads CLOCK_MONOTONIC and kills the child. The figure is the
 * time from that reading to the receive's return with MMF_EPIPE. The last
 * row is the floor, without mmf: the same rounds, with the driver waiting
 * in poll() on a pidfd of the child, which the kernel signals once the
 * process has exited (after it released its locks). Run with
 * `chanbench --death-only` for these rows alone; MMF_BENCH_DEATH_KILLS
 * sets the kills per kind (default 500, 50 with --quick).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mmf.h>

#include "results.h"

enum { D_RING, D_QUEUE, D_BCAST, D_FLOOR, D_KINDS };
static const char *const kind_name[D_KINDS] = {"ring", "queue", "broadcast",
                                               "(no mmf: pidfd)"};

struct death_row {
    unsigned kills;   /* measured */
    unsigned failed;  /* rounds that did not end in MMF_EPIPE */
    double p50, p90, p99, max; /* ms */
};
static struct death_row rows[D_KINDS];
static int ran;

/* One endpoint of any kind. */
struct endpoint {
    int kind;
    void *h;
};

static int ep_open(struct endpoint *e, const char *name, int role, int create)
{
    if (e->kind == D_FLOOR)
        return 0;
    switch (e->kind) {
    case D_RING:
        return create ? mmf_ring_create((mmf_ring **)&e->h, name, 4096, role, MMF_CREATE_NEW, NULL)
                      : mmf_ring_open((mmf_ring **)&e->h, name, role, NULL);
    case D_QUEUE:
        return create ? mmf_queue_create((mmf_queue **)&e->h, name, 16, 64, role,
                                         MMF_CREATE_NEW, NULL)
                      : mmf_queue_open((mmf_queue **)&e->h, name, role, NULL);
    default:
        return create ? mmf_bcast_create((mmf_bcast **)&e->h, name, 16, 64, role,
                                         MMF_CREATE_NEW, NULL)
                      : mmf_bcast_open((mmf_bcast **)&e->h, name, role, NULL);
    }
}

static int ep_recv(struct endpoint *e, pid_t child)
{
    char buf[64];
    size_t len;
    uint64_t lost;
    mmf_msg m;

    if (e->kind == D_FLOOR) {
        struct pollfd p = {(int)syscall(SYS_pidfd_open, child, 0), POLLIN, 0};
        int rc = p.fd >= 0 && poll(&p, 1, -1) == 1 ? MMF_EPIPE : MMF_EIO;
        if (p.fd >= 0)
            close(p.fd);
        return rc;
    }
    switch (e->kind) {
    case D_RING:
        return mmf_ring_peek(e->h, &m, MMF_INFINITE);
    case D_QUEUE:
        return mmf_queue_recv(e->h, buf, sizeof buf, &len, MMF_INFINITE);
    default:
        return mmf_bcast_recv(e->h, buf, sizeof buf, &len, &lost, MMF_INFINITE);
    }
}

static void ep_close(struct endpoint *e)
{
    if (e->kind == D_FLOOR)
        return;
    switch (e->kind) {
    case D_RING: mmf_ring_close(e->h); break;
    case D_QUEUE: mmf_queue_close(e->h); break;
    default: mmf_bcast_close(e->h); break;
    }
}

struct killer {
    pid_t pid;
    long delay_ns;
    uint64_t at_ns;
};

static void *kill_later(void *p)
{
    struct killer *k = p;
    struct timespec ts = {0, k->delay_ns};
    nanosleep(&ts, NULL);
    __atomic_store_n(&k->at_ns, cb_now_ns(), __ATOMIC_RELEASE);
    kill(k->pid, SIGKILL);
    return NULL;
}

/* One round: the latency in ns, or 0 if the round failed. */
static uint64_t one_kill(int kind, unsigned round)
{
    struct endpoint prod = {kind, NULL}, cons = {kind, NULL};
    struct killer k = {0, 0, 0};
    char name[96], c;
    int go[2], ready[2], rc;
    pthread_t t;
    uint64_t back;

    snprintf(name, sizeof name, "%s-death-%u", cb_tag(), round);
    if (pipe(go) != 0 || pipe(ready) != 0)
        cb_die("pipe: %s", strerror(errno));
    k.pid = fork();
    if (k.pid < 0)
        cb_die("fork: %s", strerror(errno));
    if (k.pid == 0) {
        if (read(go[0], &c, 1) != 1 || ep_open(&prod, name, MMF_ROLE_PRODUCER, 0) != 0)
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(go[0]);
    close(ready[1]);
    rc = ep_open(&cons, name, MMF_ROLE_CONSUMER, 1);
    if (rc != 0 || write(go[1], "g", 1) != 1 || read(ready[0], &c, 1) != 1) {
        kill(k.pid, SIGKILL);
        waitpid(k.pid, NULL, 0);
        if (rc == 0)
            ep_close(&cons);
        close(go[1]);
        close(ready[0]);
        return 0;
    }
    k.delay_ns = 1000000 + (long)(random() % 3000000);
    if (pthread_create(&t, NULL, kill_later, &k) != 0)
        cb_die("pthread_create: %s", strerror(errno));
    rc = ep_recv(&cons, k.pid);
    back = cb_now_ns();
    pthread_join(t, NULL);
    waitpid(k.pid, NULL, 0);
    ep_close(&cons);
    close(go[1]);
    close(ready[0]);
    return rc == MMF_EPIPE ? back - __atomic_load_n(&k.at_ns, __ATOMIC_ACQUIRE) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, unsigned n, double p)
{
    unsigned i = (unsigned)(p * (n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

void cb_death_run(void)
{
    const char *e = getenv("MMF_BENCH_DEATH_KILLS");
    unsigned kills = cb_opt.quick ? 50 : 500;
    uint64_t *lat;

    if (e != NULL && atoi(e) > 0)
        kills = (unsigned)atoi(e);
    lat = calloc(kills, sizeof *lat);
    if (lat == NULL)
        cb_die("out of memory");
    srandom((unsigned)getpid());
    for (int kind = 0; kind < D_KINDS; kind++) {
        struct death_row *r = &rows[kind];
        unsigned n = 0;
        for (unsigned i = 0; i < kills; i++) {
            uint64_t ns = one_kill(kind, i);
            if (ns == 0)
                r->failed++;
            else
                lat[n++] = ns;
        }
        r->kills = n;
        if (n > 0) {
            qsort(lat, n, sizeof *lat, cmp_u64);
            r->p50 = pct(lat, n, 0.50);
            r->p90 = pct(lat, n, 0.90);
            r->p99 = pct(lat, n, 0.99);
            r->max = (double)lat[n - 1] / 1e6;
        }
        printf("  death %-10s %u kills: median %.3f ms, p90 %.3f ms, p99 %.3f ms, "
               "max %.3f ms%s\n", kind_name[kind], n, r->p50, r->p90, r->p99, r->max,
               r->failed ? " (some rounds FAILED)" : "");
        if (r->failed)
            cb_failures++;
    }
    free(lat);
    ran = 1;
}

void cb_death_write(FILE *f)
{
    if (!ran)
        return;
    fprintf(f, "\n## Peer death\n\n"
               "A consumer asleep in a receive with `MMF_INFINITE` learns that its "
               "producer was killed (SIGKILL): time from the `kill()` to the receive's "
               "return with `MMF_EPIPE` (bench/channels/death.c). The last row is the "
               "floor, without mmf: the same rounds waiting in `poll()` on a pidfd of the "
               "producer, which the kernel signals when the process has exited.\n\n"
               "| channel | kills | median | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n");
    for (int kind = 0; kind < D_KINDS; kind++) {
        const struct death_row *r = &rows[kind];
        fprintf(f, "| %s | %u | %.3f ms | %.3f ms | %.3f ms | %.3f ms |\n", kind_name[kind],
                r->kills, r->p50, r->p90, r->p99, r->max);
    }
    fprintf(f, "\nGoal: p99 at most 1 ms for every channel. A p99 above the floor's is "
               "mmf's; up to the floor's, it is the kernel's time to end the process.\n");
}
