/* SPDX-License-Identifier: MIT */
/*
 * bench_section.c - sections: mmf against the raw POSIX calls it wraps.
 *
 * Each row times one operation both ways in the same run. The two sides
 * alternate batch by batch (and swap which goes first every round), so
 * that frequency changes, other load and cache state hit both alike; the
 * figure reported is the median over batches.
 *
 *   create_map_touch_close   create a named 1 MiB section, map it, write
 *                            a byte of its first page, unmap, close (the
 *                            close removes the name). Raw: shm_open(O_CREAT |
 *                            O_EXCL) + ftruncate + mmap + write + munmap +
 *                            close + shm_unlink. ns per operation.
 *   create_..._reserve       the same with MMF_SECTION_RESERVE: mmf then skips
 *                            the up-front commit (fallocate) that the raw
 *                            side never does.
 *   create_..._close_commit  create_map_touch_close against a raw side that
 *                            commits the same way: shm_open(O_CREAT |
 *                            O_EXCL) + ftruncate + fallocate + mmap + write
 *                            + munmap + close + shm_unlink.
 *   open_map_close           open an existing 1 MiB section (kept alive by
 *                            a handle this program holds), map, unmap,
 *                            close. Raw: shm_open(O_RDWR) + mmap + munmap
 *                            + close. ns per operation. A process that
 *                            holds the section opens it from its own
 *                            handle table, without system calls.
 *   open_..._other_process   the same, but the section is held by another
 *                            process only, so every open goes to the store
 *                            (lock, header check) and every close decides
 *                            "last handle?".
 *   first_touch_per_mib      write one byte per 4 KiB page of a fresh
 *                            256 MiB view; only the touching is timed. ns
 *                            per MiB. The mmf section is committed, so
 *                            its pages were allocated (untimed) at create.
 *   first_touch_..._reserve  the same with MMF_SECTION_RESERVE, which is what
 *                            the raw side does. For information.
 *
 * Sweep (a separate table, not in --json): what the stale-object sweep
 * adds to the first create/open/close of a process (and to one a second
 * after its previous sweep), in a private store holding 0, 100 or 1000
 * live objects: a fresh process times its first open of a missing name
 * (which sweeps) and its second (which does not); the difference is the
 * sweep. Median over 11 processes, in microseconds.
 *
 * Scale (--scale-only, a separate table; scale.h): ns per call while the
 * process holds 10 objects of a kind against 10,000, goal ratio <= 1.2:
 *   scale_section_open_close open + close of a name the process holds,
 *                            holding 10 / 10,000 named sections.
 *   scale_view_map_unmap     map + unmap a 4 KiB view, holding 10 / 10,000
 *                            views.
 *   scale_raw_mmap_munmap    mmap + munmap of 4 KiB of a memfd, holding
 *                            10 / 10,000 such mappings: what the kernel's
 *                            own search among mappings adds. For
 *                            information.
 *   scale_sweep_foreign      the sweep of a fresh process (as in Sweep
 *                            below), in a private store folder on tmpfs
 *                            holding 1,000 / 30,000 other users' entries
 *                            (more than one sweep reads either way).
 *   scale_sweep_foreign_from_10  the same, 10 / 30,000 entries: what
 *                            reading a bounded part of a big folder costs
 *                            over reading a tiny one. For information.
 *
 * Usage: bench_section [--json] [--quick] [--iterations N] [--sweep-only]
 *                      [--scale-only]
 *   --iterations N  operations per side for the per-operation rows
 *                   (default 5000, in batches of 100)
 *   --quick         a smoke run of a few seconds (fewer operations, and
 *                   3 views of 64 MiB for first_touch_per_mib)
 *   --json          print only a JSON array of {name, mmf_ns, raw_ns, ratio}
 *
 * Every object has a name made unique by the pid. On any failure the
 * program names the failing call, removes what it made and exits with 1.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmf.h"

#define BENCH_NAME "bench_section"
#include "bench.h"
#include "scale.h"

#define SMALL_SIZE ((size_t)1 << 20)
#define TOUCH_SIZE ((size_t)256 << 20)
#define QUICK_TOUCH_SIZE ((size_t)64 << 20)
#define TOUCH_STRIDE 4096u
#define BATCH 100
#define DEFAULT_ITERATIONS 5000
#define QUICK_ITERATIONS 400
#define QUICK_BATCH 50
#define TOUCH_REPS 21
#define QUICK_TOUCH_REPS 3

/* ------------------------------------------------------------------------ */
/* What exists right now, so that a failure anywhere can remove it all       */
/* ------------------------------------------------------------------------ */

enum { OBJ_A, OBJ_B, OBJ_C, OBJ_COUNT };

static struct {
    char mmf_name[OBJ_COUNT][64];   /* mmf names (no slash) */
    char raw_name[OBJ_COUNT][64];   /* shm_open names ("/...") */
    int raw_live[OBJ_COUNT];        /* 1 while the raw name exists */
    mmf_section *sec;               /* handle of the operation in progress */
    mmf_section *held;              /* the handle that keeps row (b) alive */
    void *view;                     /* mmf view in progress */
    int raw_fd;                     /* raw descriptor in progress */
    int raw_held_fd;                /* keeps row (b)'s raw object open */
    pid_t holder;                   /* child holding row (b) for the
                                       other-process variant, or 0 */
    void *raw_map;                  /* raw mapping in progress */
    size_t raw_len;
} g = {.raw_fd = -1, .raw_held_fd = -1};

static void scale_release(void);

static void cleanup(void)
{
    if (g.holder > 0) {
        mmf_section *s;
        kill(g.holder, SIGKILL);
        waitpid(g.holder, NULL, 0);
        g.holder = 0;
        /* Its holder died: this open reclaims the stale object. */
        if (mmf_section_open(&s, g.mmf_name[OBJ_B], MMF_ACCESS_READ) == 0)
            mmf_section_close(s);
    }
    if (g.view != NULL)
        mmf_view_unmap(g.view);
    if (g.sec != NULL)
        mmf_section_close(g.sec);
    if (g.held != NULL)
        mmf_section_close(g.held);
    if (g.raw_map != NULL)
        munmap(g.raw_map, g.raw_len);
    if (g.raw_fd >= 0)
        close(g.raw_fd);
    if (g.raw_held_fd >= 0)
        close(g.raw_held_fd);
    for (int i = 0; i < OBJ_COUNT; i++) {
        if (g.raw_live[i])
            shm_unlink(g.raw_name[i]);
    }
    g.view = NULL;
    g.sec = g.held = NULL;
    g.raw_map = NULL;
    g.raw_fd = g.raw_held_fd = -1;
    scale_release();
}

/* ------------------------------------------------------------------------ */
/* The operations                                                            */
/* ------------------------------------------------------------------------ */

static void touch_first_page(void *p)
{
    *(volatile unsigned char *)p = 1;
}

/* (a) mmf: create + map + touch + unmap + close. */
static void mmf_create_map_touch_close(unsigned flags)
{
    mmf_section_opts opts = {.flags = flags};
    void *p = NULL;

    CHECK_MMF("mmf_section_create",
              mmf_section_create(&g.sec, g.mmf_name[OBJ_A], SMALL_SIZE,
                                 MMF_CREATE_NEW, &opts));
    CHECK_MMF("mmf_view_map", mmf_view_map(g.sec, MMF_MAP_WRITE, 0, SMALL_SIZE, 0, &p));
    g.view = p;
    touch_first_page(p);
    g.view = NULL;
    CHECK_MMF("mmf_view_unmap", mmf_view_unmap(p));
    CHECK_MMF("mmf_section_close", mmf_section_close(g.sec));
    g.sec = NULL;
}

/* (a) raw: shm_open(O_CREAT | O_EXCL) + ftruncate + mmap + touch + munmap
 * + close + shm_unlink; with commit, fallocate after ftruncate, as an mmf
 * section commits. */
static void raw_create_map_touch_close(int commit)
{
    void *p;

    g.raw_fd = shm_open(g.raw_name[OBJ_A], O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK_SYS("shm_open(O_CREAT|O_EXCL)", g.raw_fd >= 0);
    g.raw_live[OBJ_A] = 1;
    CHECK_SYS("ftruncate", ftruncate(g.raw_fd, (off_t)SMALL_SIZE) == 0);
    if (commit)
        CHECK_SYS("fallocate", fallocate(g.raw_fd, 0, 0, (off_t)SMALL_SIZE) == 0);
    p = mmap(NULL, SMALL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g.raw_fd, 0);
    CHECK_SYS("mmap", p != MAP_FAILED);
    g.raw_map = p;
    g.raw_len = SMALL_SIZE;
    touch_first_page(p);
    g.raw_map = NULL;
    CHECK_SYS("munmap", munmap(p, SMALL_SIZE) == 0);
    {
        int fd = g.raw_fd;
        g.raw_fd = -1;
        CHECK_SYS("close", close(fd) == 0);
    }
    CHECK_SYS("shm_unlink", shm_unlink(g.raw_name[OBJ_A]) == 0);
    g.raw_live[OBJ_A] = 0;
}

/* (b) mmf: open + map + unmap + close, g.held keeping the name alive. */
static void mmf_open_map_close(void)
{
    void *p = NULL;

    CHECK_MMF("mmf_section_open",
              mmf_section_open(&g.sec, g.mmf_name[OBJ_B],
                               MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_MMF("mmf_view_map", mmf_view_map(g.sec, MMF_MAP_WRITE, 0, SMALL_SIZE, 0, &p));
    CHECK_MMF("mmf_view_unmap", mmf_view_unmap(p));
    CHECK_MMF("mmf_section_close", mmf_section_close(g.sec));
    g.sec = NULL;
}

/* (b) raw: shm_open(O_RDWR) + mmap + munmap + close. */
static void raw_open_map_close(void)
{
    void *p;

    g.raw_fd = shm_open(g.raw_name[OBJ_B], O_RDWR, 0);
    CHECK_SYS("shm_open(O_RDWR)", g.raw_fd >= 0);
    p = mmap(NULL, SMALL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g.raw_fd, 0);
    CHECK_SYS("mmap", p != MAP_FAILED);
    CHECK_SYS("munmap", munmap(p, SMALL_SIZE) == 0);
    {
        int fd = g.raw_fd;
        g.raw_fd = -1;
        CHECK_SYS("close", close(fd) == 0);
    }
}

/* Write one byte per page of [p, p + len); return the time it took. */
static uint64_t touch_all(void *p, size_t len)
{
    volatile unsigned char *b = p;
    uint64_t t0 = now_ns();
    for (size_t off = 0; off < len; off += TOUCH_STRIDE)
        b[off] = 1;
    return now_ns() - t0;
}

/* (c) mmf: a fresh section and view of `size` bytes; returns the touching
 * time only. */
static uint64_t mmf_first_touch(size_t size, unsigned flags)
{
    mmf_section_opts opts = {.flags = flags};
    void *p = NULL;
    uint64_t t;

    CHECK_MMF("mmf_section_create",
              mmf_section_create(&g.sec, g.mmf_name[OBJ_C], size,
                                 MMF_CREATE_NEW, &opts));
    CHECK_MMF("mmf_view_map", mmf_view_map(g.sec, MMF_MAP_WRITE, 0, size, 0, &p));
    g.view = p;
    t = touch_all(p, size);
    g.view = NULL;
    CHECK_MMF("mmf_view_unmap", mmf_view_unmap(p));
    CHECK_MMF("mmf_section_close", mmf_section_close(g.sec));
    g.sec = NULL;
    return t;
}

/* (c) raw: the same with shm_open + ftruncate + mmap. */
static uint64_t raw_first_touch(size_t size)
{
    void *p;
    uint64_t t;

    g.raw_fd = shm_open(g.raw_name[OBJ_C], O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK_SYS("shm_open(O_CREAT|O_EXCL)", g.raw_fd >= 0);
    g.raw_live[OBJ_C] = 1;
    CHECK_SYS("ftruncate", ftruncate(g.raw_fd, (off_t)size) == 0);
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g.raw_fd, 0);
    CHECK_SYS("mmap", p != MAP_FAILED);
    g.raw_map = p;
    g.raw_len = size;
    t = touch_all(p, size);
    g.raw_map = NULL;
    CHECK_SYS("munmap", munmap(p, size) == 0);
    {
        int fd = g.raw_fd;
        g.raw_fd = -1;
        CHECK_SYS("close", close(fd) == 0);
    }
    CHECK_SYS("shm_unlink", shm_unlink(g.raw_name[OBJ_C]) == 0);
    g.raw_live[OBJ_C] = 0;
    return t;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                      */
/* ------------------------------------------------------------------------ */

enum row_kind {
    ROW_CREATE,
    ROW_CREATE_RESERVE,
    ROW_CREATE_COMMIT,
    ROW_OPEN,
    ROW_OPEN_OTHER,
    ROW_TOUCH,
    ROW_TOUCH_RESERVE /* measured together with ROW_TOUCH */
};

struct row {
    const char *name;
    enum row_kind kind;
    double goal;      /* ratio to meet; 0 for rows shown for information */
    double mmf_ns;
    double raw_ns;
};

static void run_op(enum row_kind kind, int mmf_side)
{
    switch (kind) {
    case ROW_CREATE:
        if (mmf_side)
            mmf_create_map_touch_close(0);
        else
            raw_create_map_touch_close(0);
        break;
    case ROW_CREATE_RESERVE:
        if (mmf_side)
            mmf_create_map_touch_close(MMF_SECTION_RESERVE);
        else
            raw_create_map_touch_close(0);
        break;
    case ROW_CREATE_COMMIT:
        if (mmf_side)
            mmf_create_map_touch_close(0);
        else
            raw_create_map_touch_close(1);
        break;
    case ROW_OPEN:
    case ROW_OPEN_OTHER:
        if (mmf_side)
            mmf_open_map_close();
        else
            raw_open_map_close();
        break;
    case ROW_TOUCH:
    case ROW_TOUCH_RESERVE:
        break;
    }
}

/* ns per operation of one batch of `batch` operations on one side. */
static double time_batch(enum row_kind kind, int mmf_side, int batch)
{
    uint64_t t0 = now_ns();
    double ns;
    for (int i = 0; i < batch; i++)
        run_op(kind, mmf_side);
    ns = (double)(now_ns() - t0) / batch;
    stop_if_signalled();
    return ns;
}

/* A per-operation row: `rounds` rounds, each one batch per side, the side
 * that goes first alternating. One untimed round warms up both. */
static void run_per_op(struct row *r, int rounds, int batch)
{
    double *m = malloc((size_t)rounds * sizeof *m);
    double *w = malloc((size_t)rounds * sizeof *w);

    if (m == NULL || w == NULL) {
        errno = ENOMEM;
        fail_sys("malloc");
    }
    time_batch(r->kind, 1, batch);
    time_batch(r->kind, 0, batch);
    for (int i = 0; i < rounds; i++) {
        if (i % 2 == 0) {
            m[i] = time_batch(r->kind, 1, batch);
            w[i] = time_batch(r->kind, 0, batch);
        } else {
            w[i] = time_batch(r->kind, 0, batch);
            m[i] = time_batch(r->kind, 1, batch);
        }
    }
    r->mmf_ns = median(m, (size_t)rounds);
    r->raw_ns = median(w, (size_t)rounds);
    free(m);
    free(w);
}

/* The first-touch rows: `reps` fresh views of `size` bytes for each of
 * three sides (mmf committed, mmf reserved, raw), the order rotating every
 * repetition. Both rows share the raw samples. */
static void run_touch(struct row *r, struct row *r_reserve, int reps,
                      size_t size)
{
    const double mib = (double)(size >> 20);
    double *m = malloc((size_t)reps * sizeof *m);
    double *mr = malloc((size_t)reps * sizeof *mr);
    double *w = malloc((size_t)reps * sizeof *w);

    if (m == NULL || mr == NULL || w == NULL) {
        errno = ENOMEM;
        fail_sys("malloc");
    }
    for (int i = 0; i < reps; i++) {
        for (int k = 0; k < 3; k++) {
            switch ((i + k) % 3) {
            case 0:
                m[i] = (double)mmf_first_touch(size, 0) / mib;
                break;
            case 1:
                mr[i] = (double)mmf_first_touch(size, MMF_SECTION_RESERVE) / mib;
                break;
            default:
                w[i] = (double)raw_first_touch(size) / mib;
                break;
            }
            stop_if_signalled();
        }
    }
    r->mmf_ns = median(m, (size_t)reps);
    r_reserve->mmf_ns = median(mr, (size_t)reps);
    r->raw_ns = r_reserve->raw_ns = median(w, (size_t)reps);
    free(m);
    free(mr);
    free(w);
}

/* Create the objects of row (b), which live for the whole row. */
static void open_row_setup(void)
{
    CHECK_MMF("mmf_section_create",
              mmf_section_create(&g.held, g.mmf_name[OBJ_B], SMALL_SIZE,
                                 MMF_CREATE_NEW, NULL));
    g.raw_held_fd = shm_open(g.raw_name[OBJ_B], O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK_SYS("shm_open(O_CREAT|O_EXCL)", g.raw_held_fd >= 0);
    g.raw_live[OBJ_B] = 1;
    CHECK_SYS("ftruncate", ftruncate(g.raw_held_fd, (off_t)SMALL_SIZE) == 0);
}

/* For the other-process variant: a child opens the section and holds it;
 * this process then closes its own handle. */
static void open_row_hand_over(void)
{
    int fds[2];
    char c;

    CHECK_SYS("pipe", pipe(fds) == 0);
    g.holder = fork();
    CHECK_SYS("fork", g.holder >= 0);
    if (g.holder == 0) {
        mmf_section *s;
        close(fds[0]);
        if (mmf_section_open(&s, g.mmf_name[OBJ_B], MMF_ACCESS_READ) != 0)
            _exit(1);
        c = 1;
        if (write(fds[1], &c, 1) != 1)
            _exit(1);
        for (;;)
            pause(); /* until killed */
    }
    close(fds[1]);
    CHECK_SYS("holder start", read(fds[0], &c, 1) == 1);
    close(fds[0]);
    {
        mmf_section *s = g.held;
        g.held = NULL;
        CHECK_MMF("mmf_section_close", mmf_section_close(s));
    }
}

static void open_row_teardown(void)
{
    int fd = g.raw_held_fd;
    mmf_section *s = g.held;

    g.held = NULL;
    if (s != NULL)
        CHECK_MMF("mmf_section_close", mmf_section_close(s));
    if (g.holder > 0) {
        mmf_section *t;
        kill(g.holder, SIGKILL);
        waitpid(g.holder, NULL, 0);
        g.holder = 0;
        /* Its only holder died: this open reclaims the stale object. */
        CHECK_SYS("reclaim", mmf_section_open(&t, g.mmf_name[OBJ_B],
                                              MMF_ACCESS_READ) == MMF_ENOENT);
    }
    g.raw_held_fd = -1;
    CHECK_SYS("close", close(fd) == 0);
    CHECK_SYS("shm_unlink", shm_unlink(g.raw_name[OBJ_B]) == 0);
    g.raw_live[OBJ_B] = 0;
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: bench_section [--json] [--quick] [--iterations N] "
                    "[--sweep-only] [--scale-only]\n");
    exit(2);
}

/* ------------------------------------------------------------------------ */
/* Sweep                                                                     */
/* ------------------------------------------------------------------------ */

#define SWEEP_PROBES 11

/* In a fresh process: the first open sweeps, the second does not. Prints
 * the difference in ns. */
static int sweep_probe(void)
{
    mmf_object_info info;
    mmf_section *s;
    uint64_t t0, t1, t2;

    /* Warm the name and path code without sweeping. */
    mmf_object_stat("mmf-bench-sweep-missing", 0, &info);
    t0 = now_ns();
    if (mmf_section_open(&s, "mmf-bench-sweep-missing", MMF_ACCESS_READ) != MMF_ENOENT)
        return 1;
    t1 = now_ns();
    if (mmf_section_open(&s, "mmf-bench-sweep-missing", MMF_ACCESS_READ) != MMF_ENOENT)
        return 1;
    t2 = now_ns();
    printf("%lld\n", (long long)(t1 - t0) - (long long)(t2 - t1));
    return 0;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Median sweep cost in microseconds with `live` objects in the store. */
static double sweep_cost_us(int live, mmf_sync **held)
{
    long long ns[SWEEP_PROBES];
    char exe[512], cmd[600];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK_SYS("readlink", n > 0);
    exe[n] = '\0';
    snprintf(cmd, sizeof cmd, "exec '%s' --sweep-probe", exe);
    for (int i = 0; i < live; i++) {
        char name[96];
        snprintf(name, sizeof name, "mmf-bench-%ld-sweep-%d", (long)getpid(), i);
        if (held[i] == NULL)
            CHECK_MMF("mmf_event_create",
                      mmf_event_create(&held[i], name, 1, 0, MMF_CREATE_NEW, NULL));
    }
    for (int i = 0; i < SWEEP_PROBES; i++) {
        FILE *f = popen(cmd, "r");
        CHECK_SYS("popen", f != NULL);
        if (fscanf(f, "%lld", &ns[i]) != 1 || pclose(f) != 0) {
            fprintf(stderr, BENCH_NAME ": sweep probe failed\n");
            exit(1);
        }
    }
    qsort(ns, SWEEP_PROBES, sizeof ns[0], cmp_ll);
    return (double)ns[SWEEP_PROBES / 2] / 1000.0;
}

static void run_sweep(void)
{
    static const int sizes[] = {0, 100, 1000};
    char dir[64];
    const char *old = getenv("MMF_STORE_DIR");
    char *saved = old != NULL ? strdup(old) : NULL;
    mmf_sync **held = calloc(1000, sizeof *held);
    double us[3];

    CHECK_SYS("calloc", held != NULL);
    snprintf(dir, sizeof dir, "/dev/shm/mmf-bench-sweep-%ld", (long)getpid());
    CHECK_SYS("mkdir", mkdir(dir, 0700) == 0);
    setenv("MMF_STORE_DIR", dir, 1);
    setenv("LD_BIND_NOW", "1", 1);
    for (int k = 0; k < 3; k++)
        us[k] = sweep_cost_us(sizes[k], held);
    for (int i = 0; i < 1000; i++) {
        if (held[i] != NULL)
            mmf_sync_close(held[i]);
    }
    free(held);
    if (rmdir(dir) != 0)
        fprintf(stderr, BENCH_NAME ": rmdir %s: %s\n", dir, strerror(errno));
    if (saved != NULL) {
        setenv("MMF_STORE_DIR", saved, 1);
        free(saved);
    } else {
        unsetenv("MMF_STORE_DIR");
    }
    unsetenv("LD_BIND_NOW");
    printf("\nSweep: cost added to a process's first create/open/close (and to one\n"
           "a second after its previous sweep), median of %d processes, in us\n\n",
           SWEEP_PROBES);
    printf("%-30s %12s\n", "live objects in the store", "us per sweep");
    for (int k = 0; k < 3; k++)
        printf("%-30d %12.1f\n", sizes[k], us[k]);
}

/* ------------------------------------------------------------------------ */
/* Scale                                                                     */
/* ------------------------------------------------------------------------ */

#define SCALE_SWEEP_FOREIGN 30000

static struct {
    mmf_section **held;   /* sections held besides the target */
    int nheld;
    mmf_section *target;  /* the section opened and closed */
    mmf_section *vsec;    /* the section views are mapped from */
    void **views;         /* views held besides the timed one */
    int nviews;
    void **maps;          /* raw mappings held besides the timed one */
    int nmaps;
    int memfd;            /* what they map, or -1 */
    char target_name[64];
    char dir[96];         /* private folder of the sweep rows */
    int nforeign[3];      /* files made in each of its store folders */
} sc;

/* The sweep rows' store folders, inside sc.dir, and what each holds. */
static const int scale_sweep_sizes[3] = {SCALE_SMALL, 1000, SCALE_SWEEP_FOREIGN};

static void scale_store_dir(int k, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%d", sc.dir, scale_sweep_sizes[k]);
}

static void scale_release(void)
{
    while (sc.nviews > 0)
        mmf_view_unmap(sc.views[--sc.nviews]);
    while (sc.nmaps > 0)
        munmap(sc.maps[--sc.nmaps], 4096);
    if (sc.memfd > 0)
        close(sc.memfd);
    sc.memfd = -1;
    while (sc.nheld > 0)
        mmf_section_close(sc.held[--sc.nheld]);
    if (sc.vsec != NULL)
        mmf_section_close(sc.vsec);
    if (sc.target != NULL)
        mmf_section_close(sc.target);
    sc.vsec = sc.target = NULL;
    if (sc.dir[0] != '\0') {
        char dir[128], path[192];
        for (int k = 0; k < 3; k++) {
            scale_store_dir(k, dir, sizeof dir);
            while (sc.nforeign[k] > 0) {
                snprintf(path, sizeof path, "%s/mmf.u%u.foreign-%d", dir,
                         (unsigned)geteuid() + 1, --sc.nforeign[k]);
                unlink(path);
            }
            rmdir(dir);
        }
        rmdir(sc.dir);
        sc.dir[0] = '\0';
    }
}

/* Hold n sections: the target and n - 1 others. */
static void scale_hold_sections(int n)
{
    while (sc.nheld < n - 1) {
        char name[64];
        snprintf(name, sizeof name, "mmf-bench-%ld-h%d", (long)getpid(), sc.nheld);
        CHECK_MMF("mmf_section_create",
                  mmf_section_create(&sc.held[sc.nheld], name, 4096, MMF_CREATE_NEW, NULL));
        sc.nheld++;
    }
    while (sc.nheld > (n > 0 ? n - 1 : 0))
        CHECK_MMF("mmf_section_close", mmf_section_close(sc.held[--sc.nheld]));
}

static void scale_open_close(void)
{
    mmf_section *s;
    CHECK_MMF("mmf_section_open", mmf_section_open(&s, sc.target_name, MMF_ACCESS_READ));
    CHECK_MMF("mmf_section_close", mmf_section_close(s));
}

/* Hold n views: the timed one while it is mapped, and n - 1 others. */
static void scale_hold_views(int n)
{
    while (sc.nviews < n - 1) {
        sc.views[sc.nviews] = NULL;
        CHECK_MMF("mmf_view_map",
                  mmf_view_map(sc.vsec, MMF_MAP_READ, 0, 4096, 0, &sc.views[sc.nviews]));
        sc.nviews++;
    }
    while (sc.nviews > (n > 0 ? n - 1 : 0))
        CHECK_MMF("mmf_view_unmap", mmf_view_unmap(sc.views[--sc.nviews]));
}

static void scale_map_unmap(void)
{
    void *v = NULL;
    CHECK_MMF("mmf_view_map", mmf_view_map(sc.vsec, MMF_MAP_READ, 0, 4096, 0, &v));
    CHECK_MMF("mmf_view_unmap", mmf_view_unmap(v));
}

/* Hold n raw mappings: the timed one while it is mapped, and n - 1 others. */
static void scale_hold_maps(int n)
{
    while (sc.nmaps < n - 1) {
        void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, sc.memfd, 0);
        CHECK_SYS("mmap", p != MAP_FAILED);
        sc.maps[sc.nmaps++] = p;
    }
    while (sc.nmaps > (n > 0 ? n - 1 : 0))
        CHECK_SYS("munmap", munmap(sc.maps[--sc.nmaps], 4096) == 0);
}

static void scale_raw_map_unmap(void)
{
    void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, sc.memfd, 0);
    CHECK_SYS("mmap", p != MAP_FAILED);
    CHECK_SYS("munmap", munmap(p, 4096) == 0);
}

/* Make store folder k hold its number of other users' entries. */
static void scale_foreign(int k)
{
    char dir[128], path[192];
    scale_store_dir(k, dir, sizeof dir);
    CHECK_SYS("mkdir", mkdir(dir, 0700) == 0);
    while (sc.nforeign[k] < scale_sweep_sizes[k]) {
        int fd;
        snprintf(path, sizeof path, "%s/mmf.u%u.foreign-%d", dir, (unsigned)geteuid() + 1,
                 sc.nforeign[k]);
        fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        CHECK_SYS("open", fd >= 0);
        close(fd);
        sc.nforeign[k]++;
    }
}

/* The sweep cost, in ns, of one fresh process in store folder k. */
static double scale_sweep_ns(int k)
{
    char exe[512], cmd[600], dir[128];
    long long ns;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    FILE *f;
    CHECK_SYS("readlink", n > 0);
    exe[n] = '\0';
    scale_store_dir(k, dir, sizeof dir);
    setenv("MMF_STORE_DIR", dir, 1);
    snprintf(cmd, sizeof cmd, "exec '%s' --sweep-probe", exe);
    f = popen(cmd, "r");
    CHECK_SYS("popen", f != NULL);
    if (fscanf(f, "%lld", &ns) != 1 || pclose(f) != 0) {
        fprintf(stderr, BENCH_NAME ": sweep probe failed\n");
        cleanup();
        exit(1);
    }
    return (double)ns;
}

static void run_scale(int json, int quick)
{
    struct scale_row rows[] = {
        {"scale_section_open_close", SCALE_GOAL, 0, 0, 0, 0},
        {"scale_view_map_unmap", SCALE_GOAL, 0, 0, 0, 0},
        {"scale_sweep_foreign", SCALE_GOAL, 0, 0, 0, 0},
        {"scale_sweep_foreign_from_10", 0, 0, 0, 0, 0},
        {"scale_raw_mmap_munmap", 0, 0, 0, 0, 0},
    };
    int batch = quick ? 100 : 500, passes = quick ? 2 : 8, rounds = quick ? 2 : 4;
    const char *old = getenv("MMF_STORE_DIR");
    char *saved = old != NULL ? strdup(old) : NULL;

    sc.held = calloc(SCALE_LARGE, sizeof *sc.held);
    sc.views = calloc(SCALE_LARGE, sizeof *sc.views);
    sc.maps = calloc(SCALE_LARGE, sizeof *sc.maps);
    CHECK_SYS("calloc", sc.held != NULL && sc.views != NULL && sc.maps != NULL);
    snprintf(sc.target_name, sizeof sc.target_name, "mmf-bench-%ld-target", (long)getpid());
    CHECK_MMF("mmf_section_create",
              mmf_section_create(&sc.target, sc.target_name, 4096, MMF_CREATE_NEW, NULL));
    scale_run(&rows[0], scale_hold_sections, scale_open_close, batch, passes, rounds);
    CHECK_MMF("mmf_section_create",
              mmf_section_create(&sc.vsec, NULL, 4096, MMF_CREATE_NEW, NULL));
    scale_run(&rows[1], scale_hold_views, scale_map_unmap, batch, passes, rounds);
    sc.memfd = memfd_create("bench-scale", MFD_CLOEXEC);
    CHECK_SYS("memfd_create", sc.memfd >= 0 && ftruncate(sc.memfd, 4096) == 0);
    scale_run(&rows[4], scale_hold_maps, scale_raw_map_unmap, batch, passes, rounds);
    scale_release();

    /* The sweep, in private store folders on tmpfs, the probes of the
     * three folders taking turns. */
    snprintf(sc.dir, sizeof sc.dir, "/dev/shm/mmf-bench-scale-%ld", (long)getpid());
    CHECK_SYS("mkdir", mkdir(sc.dir, 0700) == 0);
    for (int k = 0; k < 3; k++)
        scale_foreign(k);
    setenv("LD_BIND_NOW", "1", 1);
    {
        int probes = quick ? 5 : 3 * SWEEP_PROBES;
        double *ns[3];
        for (int k = 0; k < 3; k++) {
            ns[k] = malloc((size_t)probes * sizeof *ns[k]);
            CHECK_SYS("malloc", ns[k] != NULL);
        }
        for (int i = 0; i < probes; i++) {
            for (int j = 0; j < 3; j++) {
                int k = (i + j) % 3; /* the folder that goes j-th this time */
                ns[k][i] = scale_sweep_ns(k);
            }
            stop_if_signalled();
        }
        rows[3].small = scale_sweep_sizes[0];
        rows[3].small_ns = median(ns[0], (size_t)probes);
        rows[2].small = scale_sweep_sizes[1];
        rows[2].small_ns = median(ns[1], (size_t)probes);
        rows[2].large = rows[3].large = scale_sweep_sizes[2];
        rows[2].large_ns = rows[3].large_ns = median(ns[2], (size_t)probes);
        for (int k = 0; k < 3; k++)
            free(ns[k]);
    }
    unsetenv("LD_BIND_NOW");
    if (saved != NULL) {
        setenv("MMF_STORE_DIR", saved, 1);
        free(saved);
    } else {
        unsetenv("MMF_STORE_DIR");
    }
    scale_release();
    free(sc.held);
    free(sc.views);
    free(sc.maps);
    sc.held = NULL;
    sc.views = NULL;
    sc.maps = NULL;
    scale_print("Sections (scale)", rows, 5, json);
}

static void print_table(const struct row *rows, int n, int iterations, int batch,
                        int reps, size_t touch_size, int pinned)
{
    printf("Sections: mmf vs raw POSIX\n");
    printf("(create/open rows: median ns per operation over batches of %d, "
           "%d operations per side;\n first_touch: median ns per MiB over %d "
           "fresh %zu MiB views per side; %s)\n\n",
           batch, iterations, reps, touch_size >> 20,
           pinned ? "pinned to CPU 0" : "not pinned");
    printf("%-30s %12s %12s %7s  %-8s %s\n", "name", "mmf ns", "raw ns", "ratio",
           "goal", "result");
    for (int i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        double ratio = r->mmf_ns / r->raw_ns;
        char goal[16];
        if (r->goal > 0)
            snprintf(goal, sizeof goal, "<= %.2f", r->goal);
        else
            snprintf(goal, sizeof goal, "info");
        printf("%-30s %12.0f %12.0f %7.2f  %-8s %s\n", r->name, r->mmf_ns,
               r->raw_ns, ratio, goal,
               r->goal > 0 ? (ratio <= r->goal ? "PASS" : "MISS") : "-");
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
        /* Committed against uncommitted: shown for information; the
         * like-for-like committed row is create_..._commit. */
        {"create_map_touch_close", ROW_CREATE, 0, 0, 0},
        {"create_map_touch_close_reserve", ROW_CREATE_RESERVE, 1.3, 0, 0},
        {"create_map_touch_close_commit", ROW_CREATE_COMMIT, 1.2, 0, 0},
        {"open_map_close", ROW_OPEN, 1.5, 0, 0},
        {"open_map_close_other_process", ROW_OPEN_OTHER, 1.5, 0, 0},
        {"first_touch_per_mib", ROW_TOUCH, 1.05, 0, 0},
        {"first_touch_per_mib_reserve", ROW_TOUCH_RESERVE, 0, 0, 0},
    };
    const int nrows = (int)(sizeof rows / sizeof rows[0]);
    static const char tags[OBJ_COUNT] = {'a', 'b', 'c'};
    int json = 0, quick = 0, iterations = 0, batch, rounds, reps, pinned = 0;
    cpu_set_t cpus;

    int sweep_only = 0, scale_only = 0;

    if (argc == 2 && strcmp(argv[1], "--sweep-probe") == 0)
        return sweep_probe();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sweep-only") == 0) {
            sweep_only = 1;
        } else if (strcmp(argv[i], "--scale-only") == 0) {
            scale_only = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end != '\0' || v < 1 || v > 100000000)
                usage();
            iterations = (int)v;
        } else {
            usage();
        }
    }
    if (iterations == 0)
        iterations = quick ? QUICK_ITERATIONS : DEFAULT_ITERATIONS;
    batch = quick ? QUICK_BATCH : BATCH;
    if (batch > iterations)
        batch = iterations;
    rounds = (iterations + batch - 1) / batch;
    reps = quick ? QUICK_TOUCH_REPS : TOUCH_REPS;

    for (int i = 0; i < OBJ_COUNT; i++) {
        snprintf(g.mmf_name[i], sizeof g.mmf_name[i], "mmf-bench-%ld-%c",
                 (long)getpid(), tags[i]);
        snprintf(g.raw_name[i], sizeof g.raw_name[i], "/mmf-bench-%ld-%c",
                 (long)getpid(), tags[i]);
    }
    catch_stop_signals();
    if (sweep_only) {
        run_sweep();
        return 0;
    }
    if (scale_only) {
        run_scale(json, quick);
        return 0;
    }

    /* One CPU: no migrations in the middle of a batch. */
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    pinned = sched_setaffinity(0, sizeof cpus, &cpus) == 0;

    for (int i = 0; i < nrows; i++) {
        switch (rows[i].kind) {
        case ROW_OPEN:
            open_row_setup();
            run_per_op(&rows[i], rounds, batch);
            open_row_teardown();
            break;
        case ROW_OPEN_OTHER:
            open_row_setup();
            open_row_hand_over();
            run_per_op(&rows[i], rounds, batch);
            open_row_teardown();
            break;
        case ROW_TOUCH:
            /* The next row is its reserved twin. */
            run_touch(&rows[i], &rows[i + 1], reps,
                      quick ? QUICK_TOUCH_SIZE : TOUCH_SIZE);
            break;
        case ROW_TOUCH_RESERVE:
            break;
        default:
            run_per_op(&rows[i], rounds, batch);
            break;
        }
    }
    cleanup();

    if (json)
        print_json(rows, nrows);
    else {
        print_table(rows, nrows, rounds * batch, batch, reps,
                    quick ? QUICK_TOUCH_SIZE : TOUCH_SIZE, pinned);
        run_sweep();
    }
    return 0;
}
