/* SPDX-License-Identifier: MIT */
/*
 * bench_sync.c - synchronization objects: mmf against the raw mechanisms.
 *
 * Each row times one operation both ways in the same run. The sides
 * alternate batch by batch (the order rotating every round), so that
 * frequency changes, other load and cache state hit all of them alike; the
 * figure reported is the median over rounds.
 *
 *   mutex_lock_unlock        uncontended mmf_mutex_lock(INFINITE) +
 *                            mmf_mutex_unlock, against pthread_mutex_lock +
 *                            unlock of a process-shared, robust
 *                            pthread_mutex_t in shared memory (what mmf's
 *                            mutex is built on). ns per pair.
 *   mutex_trylock_unlock     the same with timeout 0 / pthread trylock.
 *                            For information.
 *   pingpong_vs_futex        cross-process round trip: the parent sets an
 *                            auto-reset event and waits on a second one,
 *                            which a child process (pinned to the other
 *                            CPU) sets when the first fires. Raw: the same
 *                            on one shared 32-bit word with raw futex calls
 *                            (store + FUTEX_WAKE, FUTEX_WAIT while
 *                            unchanged). ns per round trip.
 *   pingpong_vs_sem_open     the same mmf figure against POSIX named
 *                            semaphores (sem_open; sem_post + sem_wait).
 *   pingpong_vs_spin_futex   the same mmf figure against raw futexes that
 *                            spin up to 4 us before FUTEX_WAIT, as mmf
 *                            does: what the mechanism gives at best. For
 *                            information.
 *   abandon_wake_p99         a child process locks the mutex and is killed
 *                            with SIGKILL while a thread of ours sleeps in
 *                            the lock call: ns from kill() to that thread's
 *                            return with MMF_ABANDONED, 99th percentile of
 *                            ABANDON_KILLS kills; raw: the same with the
 *                            robust pthread mutex (EOWNERDEAD). Goal: the
 *                            mmf figure itself at most 1 ms.
 *
 * Scale (--scale-only, a separate table; scale.h): ns per call while the
 * process holds 10 objects of a kind against 10,000, goal ratio <= 1.2:
 *   scale_mutex_open_close   mmf_mutex_open + mmf_sync_close of a name the
 *                            process holds, holding 10 / 10,000 mutexes.
 *   scale_queue_open_close   mmf_queue_open + mmf_queue_close (attach and
 *                            detach a consumer) of a queue the process
 *                            holds, holding 10 / 10,000 queue endpoints
 *                            (on queues of 100 endpoints each).
 *   scale_thread_lock_exit   start a thread that locks and unlocks a
 *                            mutex and ends, and join it, while the
 *                            process holds 10 / 10,000 mutexes, each once
 *                            locked by the main thread (its home).
 *
 * Usage: bench_sync [--json] [--quick] [--same-cpu] [--scale-only]
 *   --quick     a smoke run of a second or two
 *   --json      print only a JSON array of {name, mmf_ns, raw_ns, ratio}
 *   --same-cpu  pin both ping-pong processes to CPU 0, where spinning
 *               cannot help (the peer runs only once the waiter sleeps)
 *
 * The two processes of the ping-pong are pinned to CPUs 0 and 1. Every
 * object has a name made unique by the pid. On any failure the program
 * names the failing call, removes what it made and exits with 1.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmf.h"

#define BENCH_NAME "bench_sync"
#include "bench.h"
#include "scale.h"

#define LOCK_BATCH 100000
#define LOCK_ROUNDS 21
#define PING_BATCH 2000
#define PING_ROUNDS 15
#define QUICK_LOCK_BATCH 20000
#define QUICK_LOCK_ROUNDS 5
#define QUICK_PING_BATCH 300
#define QUICK_PING_ROUNDS 5
#define SPIN_NS 4000
#define ABANDON_KILLS 200
#define QUICK_ABANDON_KILLS 30
/* No wait lasts longer than this: a peer that stopped answering is an
 * error, not a hang. */
#define STUCK_MS 10000

/* ------------------------------------------------------------------------ */
/* What exists right now, so that a failure anywhere can remove it all       */
/* ------------------------------------------------------------------------ */

enum proto { P_MMF, P_FUTEX, P_SEM, P_SPIN, P_COUNT, P_QUIT = 99 };

struct shared {
    uint32_t word;          /* the raw futex ping-pong */
    uint32_t pad[15];
    pthread_mutex_t robust; /* the raw mutex */
};

static struct {
    char ping[64], pong[64];      /* mmf event names */
    char sem_a[64], sem_b[64];    /* sem_open names ("/...") */
    int sem_live;
    mmf_sync *m, *e_ping, *e_pong;
    sem_t *sa, *sb;
    struct shared *sh;
    pid_t child;
    int cmd_wr, ack_rd;
    int child_cpu;
} g = {.cmd_wr = -1, .ack_rd = -1, .child_cpu = 1};

static void scale_release(void);

static void cleanup(void)
{
    scale_release();
    if (g.child > 0) {
        kill(g.child, SIGKILL);
        waitpid(g.child, NULL, 0);
        g.child = 0;
    }
    if (g.m != NULL)
        mmf_sync_close(g.m);
    if (g.e_ping != NULL)
        mmf_sync_close(g.e_ping);
    if (g.e_pong != NULL)
        mmf_sync_close(g.e_pong);
    g.m = g.e_ping = g.e_pong = NULL;
    if (g.sem_live) {
        sem_unlink(g.sem_a);
        sem_unlink(g.sem_b);
        g.sem_live = 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Pinning                                                                   */
/* ------------------------------------------------------------------------ */

static int pin(int cpu)
{
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(cpu, &cpus);
    return sched_setaffinity(0, sizeof cpus, &cpus) == 0;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* ------------------------------------------------------------------------ */
/* Uncontended lock + unlock                                                 */
/* ------------------------------------------------------------------------ */

static double time_lock(int mmf_side, int try, int batch)
{
    uint64_t t0 = now_ns();
    if (mmf_side) {
        long long t = try ? 0 : MMF_INFINITE;
        for (int i = 0; i < batch; i++) {
            if (mmf_mutex_lock(g.m, t) != 0 || mmf_mutex_unlock(g.m) != 0)
                fail_mmf("mmf_mutex_lock", MMF_EIO);
        }
    } else {
        for (int i = 0; i < batch; i++) {
            if ((try ? pthread_mutex_trylock(&g.sh->robust) : pthread_mutex_lock(&g.sh->robust)) != 0 ||
                pthread_mutex_unlock(&g.sh->robust) != 0)
                fail_sys("pthread_mutex_lock");
        }
    }
    stop_if_signalled();
    return (double)(now_ns() - t0) / batch;
}

static void run_lock(int try, int rounds, int batch, double *mmf_ns, double *raw_ns)
{
    double m[LOCK_ROUNDS], w[LOCK_ROUNDS];
    time_lock(1, try, batch);
    time_lock(0, try, batch);
    for (int i = 0; i < rounds; i++) {
        if (i % 2 == 0) {
            m[i] = time_lock(1, try, batch);
            w[i] = time_lock(0, try, batch);
        } else {
            w[i] = time_lock(0, try, batch);
            m[i] = time_lock(1, try, batch);
        }
    }
    *mmf_ns = median(m, (size_t)rounds);
    *raw_ns = median(w, (size_t)rounds);
}

/* ------------------------------------------------------------------------ */
/* Cross-process ping-pong                                                   */
/* ------------------------------------------------------------------------ */

static long futex(uint32_t *w, int op, uint32_t val, const struct timespec *rel)
{
    /* Shared futexes: the word is in memory two processes map. */
    return syscall(SYS_futex, w, op, val, rel, NULL, 0);
}

/* Wait until *w != old; with `spin`, poll for up to SPIN_NS first. */
static void futex_await_change(uint32_t *w, uint32_t old, int spin)
{
    const struct timespec stuck = {STUCK_MS / 1000, 0};
    if (spin) {
        uint64_t end = now_ns() + SPIN_NS;
        do {
            for (int k = 0; k < 32; k++) {
                if (__atomic_load_n(w, __ATOMIC_ACQUIRE) != old)
                    return;
                cpu_relax();
            }
        } while (now_ns() < end);
    }
    while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == old) {
        if (futex(w, FUTEX_WAIT, old, &stuck) != 0 && errno == ETIMEDOUT)
            fail_sys("FUTEX_WAIT (the other side stopped)");
    }
}

static void futex_post(uint32_t *w, uint32_t v)
{
    __atomic_store_n(w, v, __ATOMIC_RELEASE);
    futex(w, FUTEX_WAKE, 1, NULL);
}

static void sem_wait_stuck(sem_t *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += STUCK_MS / 1000;
    while (sem_timedwait(s, &ts) != 0)
        CHECK_SYS("sem_timedwait", errno == EINTR);
}

/* One side of n round trips; `initiator` is the parent. */
static void pingpong(enum proto p, int n, int initiator)
{
    uint32_t *w = &g.sh->word;
    for (int i = 0; i < n; i++) {
        switch (p) {
        case P_MMF:
            if (initiator) {
                CHECK_MMF("mmf_event_set", mmf_event_set(g.e_ping));
                CHECK_MMF("mmf_sync_wait", mmf_sync_wait(g.e_pong, STUCK_MS));
            } else {
                CHECK_MMF("mmf_sync_wait", mmf_sync_wait(g.e_ping, STUCK_MS));
                CHECK_MMF("mmf_event_set", mmf_event_set(g.e_pong));
            }
            break;
        case P_FUTEX:
        case P_SPIN: {
            /* The word counts half-trips from 0: 2i+1 is the child's
             * turn in round trip i, 2i+2 the parent's. */
            uint32_t v = 2u * (uint32_t)i;
            if (initiator) {
                futex_post(w, v + 1);
                futex_await_change(w, v + 1, p == P_SPIN);
            } else {
                futex_await_change(w, v, p == P_SPIN);
                futex_post(w, v + 2);
            }
            break;
        }
        default:
            if (initiator) {
                CHECK_SYS("sem_post", sem_post(g.sa) == 0);
                sem_wait_stuck(g.sb);
            } else {
                sem_wait_stuck(g.sa);
                CHECK_SYS("sem_post", sem_post(g.sb) == 0);
            }
            break;
        }
    }
}

struct cmd {
    int proto;
    int n;
};

/* The child: open everything by name, then answer batches until told to
 * quit. Errors end it with exit code 1, which the parent reports. */
static void child_main(int cmd_rd, int ack_wr)
{
    struct cmd c;
    char ack = 1;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
    if (getppid() == 1)
        _exit(1);
    pin(g.child_cpu);
    g.child = 0;
    g.sem_live = 0; /* the parent removes the names */
    g.m = g.e_ping = g.e_pong = NULL;
    if (mmf_event_open(&g.e_ping, g.ping) != 0 || mmf_event_open(&g.e_pong, g.pong) != 0)
        _exit(1);
    g.sa = sem_open(g.sem_a, 0);
    g.sb = sem_open(g.sem_b, 0);
    if (g.sa == SEM_FAILED || g.sb == SEM_FAILED)
        _exit(1);
    for (;;) {
        if (read(cmd_rd, &c, sizeof c) != (ssize_t)sizeof c || c.proto == P_QUIT)
            _exit(0);
        if (write(ack_wr, &ack, 1) != 1)
            _exit(1);
        pingpong((enum proto)c.proto, c.n, 0);
    }
}

static double time_ping(enum proto p, int n)
{
    struct cmd c = {p, n};
    uint64_t t0;
    char ack;
    if (p == P_FUTEX || p == P_SPIN)
        __atomic_store_n(&g.sh->word, 0, __ATOMIC_RELEASE);
    CHECK_SYS("write", write(g.cmd_wr, &c, sizeof c) == (ssize_t)sizeof c);
    CHECK_SYS("read", read(g.ack_rd, &ack, 1) == 1);
    t0 = now_ns();
    pingpong(p, n, 1);
    stop_if_signalled();
    return (double)(now_ns() - t0) / n;
}

/* Rounds of one batch per protocol, in an order that rotates. */
static void run_ping(int rounds, int batch, double out[P_COUNT])
{
    double v[P_COUNT][PING_ROUNDS];
    for (int p = 0; p < P_COUNT; p++)
        time_ping((enum proto)p, batch / 4 + 1); /* warm up */
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < P_COUNT; k++) {
            int p = (r + k) % P_COUNT;
            v[p][r] = time_ping((enum proto)p, batch);
        }
    }
    for (int p = 0; p < P_COUNT; p++)
        out[p] = median(v[p], (size_t)rounds);
}

static void start_child(void)
{
    int cmd[2], ack[2];
    CHECK_SYS("pipe", pipe(cmd) == 0 && pipe(ack) == 0);
    g.child = fork();
    CHECK_SYS("fork", g.child >= 0);
    if (g.child == 0) {
        close(cmd[1]);
        close(ack[0]);
        child_main(cmd[0], ack[1]);
    }
    close(cmd[0]);
    close(ack[1]);
    g.cmd_wr = cmd[1];
    g.ack_rd = ack[0];
}

static void stop_child(void)
{
    struct cmd c = {P_QUIT, 0};
    int st;
    CHECK_SYS("write", write(g.cmd_wr, &c, sizeof c) == (ssize_t)sizeof c);
    CHECK_SYS("waitpid", waitpid(g.child, &st, 0) == g.child);
    g.child = 0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_sync: the ping-pong child failed\n");
        cleanup();
        exit(1);
    }
    close(g.cmd_wr);
    close(g.ack_rd);
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

struct row {
    const char *name;
    double goal; /* ratio to meet; 0 for rows shown for information */
    double mmf_ns;
    double raw_ns;
};

/* ------------------------------------------------------------------------ */
/* Abandonment: how soon a sleeping waiter learns that the owner died        */
/* ------------------------------------------------------------------------ */

struct abandon_waiter {
    int mmf_side;
    volatile int sleeping;
    uint64_t done_ns;
    int rc;
};

static void *abandon_wait(void *p)
{
    struct abandon_waiter *w = p;
    __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
    if (w->mmf_side) {
        w->rc = mmf_mutex_lock(g.m, STUCK_MS);
        w->done_ns = now_ns();
        if (w->rc >= 0 && mmf_mutex_unlock(g.m) != 0)
            w->rc = MMF_EIO;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += STUCK_MS / 1000;
        w->rc = pthread_mutex_timedlock(&g.sh->robust, &ts);
        w->done_ns = now_ns();
        if (w->rc == EOWNERDEAD) {
            pthread_mutex_consistent(&g.sh->robust);
            pthread_mutex_unlock(&g.sh->robust);
        }
    }
    return NULL;
}

/* One kill: ns from kill() to the waiter's return. */
static double time_abandon(int mmf_side)
{
    struct abandon_waiter w = {mmf_side, 0, 0, 0};
    int ready[2];
    char c;
    pthread_t t;
    uint64_t killed;
    pid_t pid;

    CHECK_SYS("pipe", pipe(ready) == 0);
    pid = fork();
    CHECK_SYS("fork", pid >= 0);
    if (pid == 0) {
        /* The owner: lock, say so, wait to be killed. */
        if (mmf_side ? mmf_mutex_lock(g.m, 0) != 0 : pthread_mutex_lock(&g.sh->robust) != 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    if (read(ready[0], &c, 1) != 1)
        fail_sys("the owner did not lock");
    close(ready[0]);
    CHECK_SYS("pthread_create", pthread_create(&t, NULL, abandon_wait, &w) == 0);
    while (!__atomic_load_n(&w.sleeping, __ATOMIC_SEQ_CST))
        ;
    usleep(2000); /* asleep in the kernel by now */
    killed = now_ns();
    kill(pid, SIGKILL);
    pthread_join(t, NULL);
    waitpid(pid, NULL, 0);
    if (mmf_side && w.rc != MMF_ABANDONED)
        fail_mmf("mmf_mutex_lock after the owner's death", w.rc);
    if (!mmf_side && w.rc != EOWNERDEAD)
        fail_sys("pthread_mutex_timedlock after the owner's death");
    stop_if_signalled();
    return (double)(w.done_ns - killed);
}

static void run_abandon(int kills, double *mmf_ns, double *raw_ns)
{
    static double m[ABANDON_KILLS], r[ABANDON_KILLS];
    for (int i = 0; i < kills; i++) {
        m[i] = time_abandon(1);
        r[i] = time_abandon(0);
    }
    *mmf_ns = percentile(m, (size_t)kills, 0.99);
    *raw_ns = percentile(r, (size_t)kills, 0.99);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_sync [--json] [--quick] [--same-cpu] [--scale-only]\n");
    exit(2);
}

/* ------------------------------------------------------------------------ */
/* Scale                                                                     */
/* ------------------------------------------------------------------------ */

#define QUEUE_ENDPOINTS 100 /* per held queue: 50 producers, 50 consumers */

static struct {
    mmf_sync **held;     /* mutexes held besides the target */
    int nheld;
    mmf_sync *target;
    mmf_queue **ends;    /* queue endpoints held besides the target's */
    int nends;
    mmf_queue *qtarget;  /* keeps the timed queue alive */
    char target_name[64], queue_name[64];
} sc;

static void scale_release(void)
{
    while (sc.nheld > 0)
        mmf_sync_close(sc.held[--sc.nheld]);
    while (sc.nends > 0)
        mmf_queue_close(sc.ends[--sc.nends]);
    if (sc.target != NULL)
        mmf_sync_close(sc.target);
    if (sc.qtarget != NULL)
        mmf_queue_close(sc.qtarget);
    sc.target = NULL;
    sc.qtarget = NULL;
}

/* Hold n mutexes: the target and n - 1 others, each locked once. */
static void scale_hold_mutexes(int n)
{
    while (sc.nheld < n - 1) {
        char name[64];
        mmf_sync *m;
        snprintf(name, sizeof name, "mmf-bench-%ld-m%d", (long)getpid(), sc.nheld);
        CHECK_MMF("mmf_mutex_create", mmf_mutex_create(&m, name, 0, MMF_CREATE_NEW, NULL));
        sc.held[sc.nheld++] = m;
        CHECK_MMF("mmf_mutex_lock", mmf_mutex_lock(m, MMF_INFINITE));
        CHECK_MMF("mmf_mutex_unlock", mmf_mutex_unlock(m));
    }
    while (sc.nheld > (n > 0 ? n - 1 : 0))
        CHECK_MMF("mmf_sync_close", mmf_sync_close(sc.held[--sc.nheld]));
}

static void scale_mutex_open_close(void)
{
    mmf_sync *m;
    CHECK_MMF("mmf_mutex_open", mmf_mutex_open(&m, sc.target_name));
    CHECK_MMF("mmf_sync_close", mmf_sync_close(m));
}

static void *lock_and_end(void *arg)
{
    (void)arg;
    if (mmf_mutex_lock(sc.target, MMF_INFINITE) < 0 || mmf_mutex_unlock(sc.target) < 0)
        return (void *)1;
    return NULL;
}

static void scale_thread_lock_exit(void)
{
    pthread_t t;
    void *rv;
    CHECK_SYS("pthread_create", (errno = pthread_create(&t, NULL, lock_and_end, NULL)) == 0);
    CHECK_SYS("pthread_join", (errno = pthread_join(t, &rv)) == 0);
    if (rv != NULL)
        fail_mmf("mmf_mutex_lock in a thread", MMF_EINVAL);
}

/* Hold n queue endpoints: the target's and n - 1 others. */
static void scale_hold_endpoints(int n)
{
    while (sc.nends < n - 1) {
        char name[64];
        int q = sc.nends / QUEUE_ENDPOINTS, k = sc.nends % QUEUE_ENDPOINTS;
        int role = k % 2 ? MMF_ROLE_CONSUMER : MMF_ROLE_PRODUCER;
        snprintf(name, sizeof name, "mmf-bench-%ld-q%d", (long)getpid(), q);
        CHECK_MMF("mmf_queue_create", mmf_queue_create(&sc.ends[sc.nends], name, 2, 8, role,
                                                       MMF_OPEN_OR_CREATE, NULL));
        sc.nends++;
    }
    while (sc.nends > (n > 0 ? n - 1 : 0))
        CHECK_MMF("mmf_queue_close", mmf_queue_close(sc.ends[--sc.nends]));
}

static void scale_queue_open_close(void)
{
    mmf_queue *q;
    CHECK_MMF("mmf_queue_open", mmf_queue_open(&q, sc.queue_name, MMF_ROLE_CONSUMER, NULL));
    CHECK_MMF("mmf_queue_close", mmf_queue_close(q));
}

static void run_scale(int json, int quick)
{
    struct scale_row rows[] = {
        {"scale_mutex_open_close", SCALE_GOAL, 0, 0, 0, 0},
        {"scale_queue_open_close", SCALE_GOAL, 0, 0, 0, 0},
        {"scale_thread_lock_exit", SCALE_GOAL, 0, 0, 0, 0},
    };
    int batch = quick ? 100 : 500, passes = quick ? 2 : 8, rounds = quick ? 2 : 4;

    sc.held = calloc(SCALE_LARGE, sizeof *sc.held);
    sc.ends = calloc(SCALE_LARGE, sizeof *sc.ends);
    CHECK_SYS("calloc", sc.held != NULL && sc.ends != NULL);
    snprintf(sc.target_name, sizeof sc.target_name, "mmf-bench-%ld-target", (long)getpid());
    snprintf(sc.queue_name, sizeof sc.queue_name, "mmf-bench-%ld-queue", (long)getpid());
    CHECK_MMF("mmf_mutex_create",
              mmf_mutex_create(&sc.target, sc.target_name, 0, MMF_CREATE_NEW, NULL));
    scale_run(&rows[0], scale_hold_mutexes, scale_mutex_open_close, batch, passes, rounds);
    scale_run(&rows[2], scale_hold_mutexes, scale_thread_lock_exit, quick ? 20 : 100, passes,
              rounds);
    CHECK_MMF("mmf_queue_create", mmf_queue_create(&sc.qtarget, sc.queue_name, 2, 8,
                                                   MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    scale_run(&rows[1], scale_hold_endpoints, scale_queue_open_close, batch, passes, rounds);
    scale_release();
    free(sc.held);
    free(sc.ends);
    sc.held = NULL;
    sc.ends = NULL;
    scale_print("Synchronization objects and channels (scale)", rows, 3, json);
}

static void print_table(const struct row *rows, int n, int lock_batch, int lock_rounds,
                        int ping_batch, int ping_rounds, int pinned)
{
    printf("Synchronization objects: mmf vs raw\n");
    printf("(lock rows: median ns per lock+unlock over %d batches of %d;\n"
           " ping-pong rows: median ns per cross-process round trip over %d "
           "batches of %d; %s)\n\n",
           lock_rounds, lock_batch, ping_rounds, ping_batch,
           !pinned ? "not pinned"
           : g.child_cpu == 0 ? "both processes pinned to CPU 0"
                              : "processes pinned to CPUs 0 and 1");
    printf("%-26s %10s %10s %7s  %-8s %s\n", "name", "mmf ns", "raw ns", "ratio", "goal",
           "result");
    for (int i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        double ratio = r->mmf_ns / r->raw_ns;
        char goal[16];
        int pass = ratio <= r->goal;
        if (strcmp(r->name, "abandon_wake_p99") == 0) {
            /* An absolute goal: the mmf figure at most 1 ms. */
            snprintf(goal, sizeof goal, "<= 1 ms");
            pass = r->mmf_ns <= 1e6;
        } else if (r->goal > 0) {
            snprintf(goal, sizeof goal, "<= %.2f", r->goal);
        } else {
            snprintf(goal, sizeof goal, "info");
        }
        printf("%-26s %10.1f %10.1f %7.2f  %-8s %s\n", r->name, r->mmf_ns, r->raw_ns, ratio,
               goal, r->goal > 0 || goal[0] == '<' ? (pass ? "PASS" : "MISS") : "-");
    }
}

static void print_json(const struct row *rows, int n)
{
    struct json j;

    json_start(&j, stdout);
    json_array(&j, NULL);
    for (int i = 0; i < n; i++)
        bench_json_row(&j, rows[i].name, rows[i].mmf_ns, rows[i].raw_ns);
    json_end(&j);
}

int main(int argc, char **argv)
{
    struct row rows[] = {
        {"mutex_lock_unlock", 1.2, 0, 0},
        {"mutex_trylock_unlock", 0, 0, 0},
        {"pingpong_vs_futex", 1.15, 0, 0},
        {"pingpong_vs_sem_open", 1.0, 0, 0},
        {"pingpong_vs_spin_futex", 0, 0, 0},
        {"abandon_wake_p99", 0, 0, 0},
    };
    const int nrows = (int)(sizeof rows / sizeof rows[0]);
    int json = 0, quick = 0, scale_only = 0, lock_batch, lock_rounds, ping_batch, ping_rounds, pinned;
    double ping[P_COUNT];
    pthread_mutexattr_t a;
    void *p;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--scale-only") == 0)
            scale_only = 1;
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--same-cpu") == 0)
            g.child_cpu = 0;
        else
            usage();
    }
    lock_batch = quick ? QUICK_LOCK_BATCH : LOCK_BATCH;
    lock_rounds = quick ? QUICK_LOCK_ROUNDS : LOCK_ROUNDS;
    ping_batch = quick ? QUICK_PING_BATCH : PING_BATCH;
    ping_rounds = quick ? QUICK_PING_ROUNDS : PING_ROUNDS;

    snprintf(g.ping, sizeof g.ping, "mmf-bench-%ld-ping", (long)getpid());
    snprintf(g.pong, sizeof g.pong, "mmf-bench-%ld-pong", (long)getpid());
    snprintf(g.sem_a, sizeof g.sem_a, "/mmf-bench-%ld-a", (long)getpid());
    snprintf(g.sem_b, sizeof g.sem_b, "/mmf-bench-%ld-b", (long)getpid());
    catch_stop_signals();
    if (scale_only) {
        run_scale(json, quick);
        return 0;
    }

    /* Shared memory for the raw sides: a robust process-shared mutex and
     * the futex word. */
    p = mmap(NULL, sizeof *g.sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK_SYS("mmap", p != MAP_FAILED);
    g.sh = p;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    CHECK_SYS("pthread_mutex_init", pthread_mutex_init(&g.sh->robust, &a) == 0);

    CHECK_MMF("mmf_mutex_create", mmf_mutex_create(&g.m, NULL, 0, MMF_CREATE_NEW, NULL));
    CHECK_MMF("mmf_event_create",
              mmf_event_create(&g.e_ping, g.ping, 0, 0, MMF_CREATE_NEW, NULL));
    CHECK_MMF("mmf_event_create",
              mmf_event_create(&g.e_pong, g.pong, 0, 0, MMF_CREATE_NEW, NULL));
    g.sa = sem_open(g.sem_a, O_CREAT | O_EXCL, 0600, 0);
    CHECK_SYS("sem_open", g.sa != SEM_FAILED);
    g.sem_live = 1;
    g.sb = sem_open(g.sem_b, O_CREAT | O_EXCL, 0600, 0);
    CHECK_SYS("sem_open", g.sb != SEM_FAILED);

    pinned = pin(0);
    run_lock(0, lock_rounds, lock_batch, &rows[0].mmf_ns, &rows[0].raw_ns);
    run_lock(1, lock_rounds, lock_batch, &rows[1].mmf_ns, &rows[1].raw_ns);

    start_child();
    run_ping(ping_rounds, ping_batch, ping);
    stop_child();
    rows[2].mmf_ns = rows[3].mmf_ns = rows[4].mmf_ns = ping[P_MMF];
    rows[2].raw_ns = ping[P_FUTEX];
    rows[3].raw_ns = ping[P_SEM];
    rows[4].raw_ns = ping[P_SPIN];
    pinned = pinned && (g.child_cpu == 0 || sysconf(_SC_NPROCESSORS_ONLN) > 1);
    run_abandon(quick ? QUICK_ABANDON_KILLS : ABANDON_KILLS, &rows[5].mmf_ns, &rows[5].raw_ns);
    cleanup();

    if (json)
        print_json(rows, nrows);
    else
        print_table(rows, nrows, lock_batch, lock_rounds, ping_batch, ping_rounds, pinned);
    return 0;
}
