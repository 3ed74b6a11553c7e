/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what every benchmark program shares: failing with a message
 * that names the call, stopping cleanly on a signal, and timing.
 *
 * The including file defines BENCH_NAME (its program name, for messages)
 * and a `static void cleanup(void)` that removes whatever it has made;
 * both the failure paths and the signal path call it.
 */
#ifndef MMF_BENCH_H
#define MMF_BENCH_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mmf.h>

#include "json.h"

static void cleanup(void);

static void fail_mmf(const char *call, int rc)
{
    fprintf(stderr, BENCH_NAME ": %s: %s (%s)\n", call, mmf_strerror(rc),
            mmf_err_name(rc));
    cleanup();
    exit(1);
}

static void fail_sys(const char *call)
{
    fprintf(stderr, BENCH_NAME ": %s: %s\n", call, strerror(errno));
    cleanup();
    exit(1);
}

#define CHECK_MMF(call, expr)                                                  \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ < 0)                                                           \
            fail_mmf(call, rc_);                                               \
    } while (0)

#define CHECK_SYS(call, ok)                                                    \
    do {                                                                       \
        if (!(ok))                                                             \
            fail_sys(call);                                                    \
    } while (0)

/* SIGINT, SIGTERM and SIGHUP only set a flag: the loops stop at the next
 * batch, where cleanup() can run outside a signal handler. (An mmf object
 * left by a killed process would only be reclaimed when its name is used
 * again, which a pid-unique name never is.) */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void catch_stop_signals(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
}

/* Called between batches: clean up and die of the signal that came. */
static void stop_if_signalled(void)
{
    int sig = stop_signal;
    if (sig != 0) {
        cleanup();
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        fail_sys("clock_gettime");
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), which it sorts. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* The q-quantile (0..1) of v[0..n), which it sorts: the smallest value
 * that at least q of the values do not exceed. */
static inline double percentile(double *v, size_t n, double q)
{
    size_t k = (size_t)(q * (double)n + 0.999999);
    qsort(v, n, sizeof *v, cmp_double);
    return v[k == 0 ? 0 : k > n ? n - 1 : k - 1];
}

/* One row of --json: {"name", "mmf_ns", "raw_ns", "ratio"} (ratio is
 * mmf / raw; null if raw_ns is 0). */
static inline void bench_json_row(struct json *j, const char *name, double mmf_ns,
                                  double raw_ns)
{
    json_object(j, NULL);
    json_string(j, "name", name);
    json_real(j, "mmf_ns", mmf_ns, 1);
    json_real(j, "raw_ns", raw_ns, 1);
    json_real(j, "ratio", mmf_ns / raw_ns, 4);
    json_end(j);
}

#endif
