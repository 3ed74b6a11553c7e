/* SPDX-License-Identifier: MIT */
/*
 * results.h - what one run of the channel benchmark measured, shared by
 * the driver that measures it (chanbench.c) and the files that turn it
 * into the report: report.c (docs/channels.md: the Markdown tables and
 * the goals) and plot.c (the data files and the gnuplot script of the
 * plots).
 */
#ifndef MMF_CHANBENCH_RESULTS_H
#define MMF_CHANBENCH_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "chanbench.h"

#define MAX_SYSTEMS 16 /* transports in the registry, extras included */
#define MAX_SIZES 8

/* The run's settings: defaults, then the environment, then the command
 * line (chanbench.c). */
struct cb_options {
    int quick;
    unsigned lat_samples;
    double lat_seconds;
    double stream_seconds;
    const char *out;  /* channels.md and PNGs */
    const char *data; /* .dat files and the gnuplot script */
    const char *systems;
    size_t sizes[MAX_SIZES];
    int n_sizes;
    int use_tsc;
    char env_used[512]; /* the MMF_BENCH_* settings, for the report */
    char argv_line[512];
};
extern struct cb_options cb_opt;

enum cell_state { CELL_NONE, CELL_OK, CELL_SKIP, CELL_FAIL };

struct cell {
    enum cell_state state;
    char note[300];
    int has_lat;
    double p50, p99, p999; /* one-way, ns */
    uint64_t n;
    int has_tput[2];
    double msgs[2], gbs[2]; /* [0] zero-copy, [1] copy variant */
};

struct system {
    const struct cb_transport *t;
    char note[300]; /* skipped as a whole: why */
    char version[120];
    struct cell cell[MAX_SIZES];
};

/* The systems of this run, in table order, and what each measured. */
extern struct system cb_sys[MAX_SYSTEMS];
extern int cb_n_sys;
/* The memcpy reference per size: messages/s and GB/s on one core. */
extern double cb_memcpy_msgs[MAX_SIZES], cb_memcpy_gbs[MAX_SIZES];
/* Cells (or whole systems) that failed. */
extern int cb_failures;
/* Online CPUs, /proc/loadavg before the run, and what reading the clock
 * twice costs (ns). */
extern int cb_n_cpus;
extern char cb_load_before[64];
extern double cb_tick_overhead_ns;

/* chanbench.c: stop the run (children killed, files swept) with a message. */
void cb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* snprintf for notes, where cutting a long text short is intended. */
void cb_fmt(char *buf, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));

/* report.c: the first line of `path` that starts with `key` (its value
 * after the colon), or its first line when key is NULL; "" if none. */
void cb_read_line(const char *path, const char *key, char *out, size_t n);
/* report.c: write channels.md into cb_opt.out; plot_note says why there
 * are no plots, or is NULL. */
void cb_write_report(const char *plot_note, time_t started, double elapsed);

/* death.c: the peer-death rows (measure; write their table). */
void cb_death_run(void);
void cb_death_write(FILE *f);

/* plot.c: write latency.dat, throughput.dat and channels.gp into
 * cb_opt.data; 0, or -1 with a reason when there is nothing to plot. */
int cb_write_plots(char *why, size_t n);
/* plot.c: draw the PNGs with gnuplot; 0, or -1 with a reason. */
int cb_run_gnuplot(char *why, size_t n);

#endif
