/* SPDX-License-Identifier: MIT */
/*
 * report.c - the channel benchmark's report: docs/channels.md (or
 * $MMF_BENCH_OUT/channels.md), written from what the driver measured
 * (results.h). Its parts, in order: the run (machine, date, load, command,
 * clock, budget), the method, the systems, the latency table, the two
 * throughput tables, the goals as ratios, and the plots that plot.c drew.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "results.h"

static const char *size_name(size_t size, char *buf, size_t n)
{
    if (size >= 1048576 && size % 1048576 == 0)
        snprintf(buf, n, "%zu MiB", size / 1048576);
    else if (size >= 1024 && size % 1024 == 0)
        snprintf(buf, n, "%zu KiB", size / 1024);
    else
        snprintf(buf, n, "%zu B", size);
    return buf;
}

static const char *fmt_ns(double ns, char *buf, size_t n)
{
    if (ns < 1000)
        snprintf(buf, n, "%.0f ns", ns);
    else if (ns < 10000)
        snprintf(buf, n, "%.2f µs", ns / 1e3);
    else if (ns < 1e6)
        snprintf(buf, n, "%.1f µs", ns / 1e3);
    else
        snprintf(buf, n, "%.2f ms", ns / 1e6);
    return buf;
}

static const char *fmt_rate(double r, char *buf, size_t n)
{
    if (r >= 1e6)
        snprintf(buf, n, "%.2f M/s", r / 1e6);
    else
        snprintf(buf, n, "%.1f k/s", r / 1e3);
    return buf;
}

static const char *fmt_gbs(double g, char *buf, size_t n)
{
    if (g >= 100)
        snprintf(buf, n, "%.0f GB/s", g);
    else if (g >= 1)
        snprintf(buf, n, "%.2f GB/s", g);
    else
        snprintf(buf, n, "%.3f GB/s", g);
    return buf;
}

void cb_read_line(const char *path, const char *key, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = 0;
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        if (key == NULL || strncmp(line, key, strlen(key)) == 0) {
            char *v = key != NULL ? strchr(line, ':') : line;
            v = v != NULL ? v + (key != NULL) : line;
            while (*v == ' ' || *v == '\t')
                v++;
            v[strcspn(v, "\n")] = 0;
            cb_fmt(out, n, "%s", v);
            break;
        }
    }
    fclose(f);
}

/* The index of a system by name, or -1. */
static int find_sys(const char *name)
{
    for (int i = 0; i < cb_n_sys; i++)
        if (strcmp(cb_sys[i].t->name, name) == 0)
            return i;
    return -1;
}

static int find_size(size_t size)
{
    for (int i = 0; i < cb_opt.n_sizes; i++)
        if (cb_opt.sizes[i] == size)
            return i;
    return -1;
}

/* The notes of one system, each once with the sizes it applies to. */
static void write_notes(FILE *f, int lat_table)
{
    int any = 0;
    for (int i = 0; i < cb_n_sys; i++) {
        struct system *s = &cb_sys[i];
        if (s->note[0]) {
            if (lat_table)
                fprintf(f, "%s- **%s**: %s\n", any++ ? "" : "\nNotes:\n\n", s->t->label, s->note);
            continue;
        }
        for (int a = 0; a < cb_opt.n_sizes; a++) {
            const char *na = s->cell[a].note;
            int seen = 0;
            if (!na[0])
                continue;
            for (int b = 0; b < a; b++)
                seen |= strcmp(s->cell[b].note, na) == 0;
            if (seen)
                continue;
            char sizes[128] = "", nb[32];
            for (int b = a; b < cb_opt.n_sizes; b++) {
                if (strcmp(s->cell[b].note, na) == 0) {
                    size_t len = strlen(sizes);
                    snprintf(sizes + len, sizeof sizes - len, "%s%s", len ? ", " : "",
                             size_name(cb_opt.sizes[b], nb, sizeof nb));
                }
            }
            if (lat_table || s->cell[a].state != CELL_OK)
                fprintf(f, "%s- **%s** (%s): %s\n", any++ ? "" : "\nNotes:\n\n", s->t->label, sizes,
                        na);
        }
    }
}

static void write_goal(FILE *f, const char *what, double ratio, const char *op, double goal,
                       const char *missing)
{
    if (missing != NULL) {
        const char *pre = "not measured: ";
        if (strncmp(missing, pre, strlen(pre)) == 0)
            missing += strlen(pre);
        fprintf(f, "| %s | — | %s %.2f | not measured: %s |\n", what, op, goal, missing);
        return;
    }
    /* op is "<", "≤" (UTF-8) or "≥": only "≥" asks for at least. */
    int at_least = strcmp(op, "≥") == 0 || strcmp(op, ">=") == 0;
    int met = at_least ? ratio >= goal : op[0] == '<' && op[1] == '\0' ? ratio < goal
                                                                      : ratio <= goal;
    fprintf(f, "| %s | %.2f | %s %.2f | %s |\n", what, ratio, op, goal, met ? "met" : "**missed**");
}

/* The latency p50 of system `name` at size, or a reason it has none. */
static const char *lat_of(const char *name, size_t size, double *out)
{
    int i = find_sys(name), si = find_size(size);
    if (si < 0)
        return "size not in this run";
    if (i < 0)
        return "system not in this run";
    if (cb_sys[i].note[0])
        return cb_sys[i].note;
    if (!cb_sys[i].cell[si].has_lat)
        return cb_sys[i].cell[si].note[0] ? cb_sys[i].cell[si].note : "no latency figure";
    *out = cb_sys[i].cell[si].p50;
    return NULL;
}

static const char *tput_of(const char *name, size_t size, int v, double *msgs, double *gbs)
{
    int i = find_sys(name), si = find_size(size);
    if (si < 0)
        return "size not in this run";
    if (i < 0)
        return "system not in this run";
    if (cb_sys[i].note[0])
        return cb_sys[i].note;
    if (!cb_sys[i].cell[si].has_tput[v])
        return cb_sys[i].cell[si].note[0] ? cb_sys[i].cell[si].note : "no throughput figure";
    *msgs = cb_sys[i].cell[si].msgs[v];
    *gbs = cb_sys[i].cell[si].gbs[v];
    return NULL;
}

static void write_goals(FILE *f)
{
    double a = 0, b = 1, x = 0;
    const char *m;
    char buf[160], nb[32];

    fprintf(f, "\n## Goals, as ratios from this run\n\n");
    fprintf(f, "| goal | ratio | target | result |\n|---|---|---|---|\n");

    static const size_t lat_sizes[] = {8, 64};
    for (size_t k = 0; k < 2; k++) {
        size_name(lat_sizes[k], nb, sizeof nb);
        snprintf(buf, sizeof buf,
                 "busy-poll one-way latency p50 at %s / raw cache-line ping-pong", nb);
        m = lat_of("mmf-spsc-busy", lat_sizes[k], &a);
        if (m == NULL)
            m = lat_of("spin", lat_sizes[k], &b);
        write_goal(f, buf, a / b, "≤", 1.3, m);
    }

    m = lat_of("mmf-spsc-block", 64, &a);
    if (m == NULL)
        m = lat_of("futex", 64, &b);
    write_goal(f, "blocking round trip p50 at 64 B / raw futex ping-pong", a / b, "≤", 1.15, m);

    static const size_t tput_sizes[] = {8, 64, 1024};
    static const double tput_goals[] = {0.6, 0.8, 0.8};
    for (size_t k = 0; k < 3; k++) {
        size_name(tput_sizes[k], nb, sizeof nb);
        snprintf(buf, sizeof buf,
                 "SPSC busy-poll batched throughput at %s / raw Lamport ring", nb);
        m = tput_of("mmf-spsc-busy", tput_sizes[k], 0, &a, &x);
        if (m == NULL)
            m = tput_of("spin", tput_sizes[k], 0, &b, &x);
        write_goal(f, buf, a / b, "≥", tput_goals[k], m);
    }

    m = tput_of("mmf-spsc-busy", 1048576, 1, &x, &a);
    int si = find_size(1048576);
    if (m == NULL && (si < 0 || cb_memcpy_gbs[si] <= 0))
        m = "no memcpy reference at 1 MiB";
    write_goal(f, "1 MiB copy-variant throughput (GB/s) / plain memcpy of 1 MiB", si >= 0 ? a / cb_memcpy_gbs[si] : 0,
               "≥", 0.8, m);

    m = tput_of("mmf-mpmc", 64, 0, &a, &x);
    write_goal(f, "MPMC queue 64 B batched throughput, M msg/s (absolute)", a / 1e6, "≥", 10, m);
    if (m == NULL)
        m = tput_of("raw-mpmc", 64, 0, &b, &x);
    write_goal(f, "MPMC queue 64 B batched throughput / raw bounded MPMC queue", a / b, "≥", 0.5, m);

    m = lat_of("mmf-mpmc", 64, &a);
    if (m == NULL)
        m = lat_of("mmf-spsc-busy", 64, &b);
    write_goal(f, "MPMC busy-poll one-way latency p50 at 64 B / SPSC ring busy-poll", a / b,
               "≤", 1.5, m);

    static const char *const peers[] = {"iceoryx", "boost"};
    for (size_t p = 0; p < 2; p++) {
        for (int s = 0; s < cb_opt.n_sizes; s++) {
            size_name(cb_opt.sizes[s], nb, sizeof nb);
            snprintf(buf, sizeof buf, "busy-poll latency p50 at %s / %s", nb, peers[p]);
            m = lat_of("mmf-spsc-busy", cb_opt.sizes[s], &a);
            if (m == NULL)
                m = lat_of(peers[p], cb_opt.sizes[s], &b);
            write_goal(f, buf, a / b, "<", 1.0, m);
        }
    }
    fprintf(f, "\nEach ratio divides two figures of this one run: p50 latencies from the "
               "latency table, the copy-variant GB/s from the throughput table and the "
               "memcpy row. The peer ratios are mmf / peer: below 1 means mmf is faster.\n");
}

/* The run: machine, date, load, command, clock, pinning, budget. */
static void write_run(FILE *f, time_t started, double elapsed)
{
    struct utsname u;
    char model[200], mem[64], debian[64], load_after[64], date[64];
    uname(&u);
    cb_read_line("/proc/cpuinfo", "model name", model, sizeof model);
    cb_read_line("/proc/meminfo", "MemTotal", mem, sizeof mem);
    cb_read_line("/etc/debian_version", NULL, debian, sizeof debian);
    cb_read_line("/proc/loadavg", NULL, load_after, sizeof load_after);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&started));
    const char *cmd = getenv("MMF_BENCH_COMMAND");

    fprintf(f, "# Channels: mmf against the peers\n\n");
    fprintf(f, "<!-- Written by bench/channels/chanbench; do not edit by hand: "
               "run `make bench-channels` again. -->\n\n");
    if (cb_opt.quick)
        fprintf(f, "**QUICK smoke run (MMF_BENCH_QUICK=1): few samples, short streams — "
                   "these figures check that the harness works; do not quote them.**\n\n");
    fprintf(f, "- Machine: %s, %d CPUs, %s RAM, Linux %s, Debian %s\n", model, cb_n_cpus, mem,
            u.release, debian[0] ? debian : "?");
    fprintf(f, "- Date: %s; the run took %.0f s\n", date, elapsed);
    fprintf(f, "- Load average (1, 5, 15 min, runnable/total, last pid) before: `%s`, after: `%s`\n",
            cb_load_before, load_after);
    fprintf(f, "- Command: `%s%s`", cb_opt.env_used, cmd != NULL ? cmd : cb_opt.argv_line);
    if (cmd != NULL)
        fprintf(f, " (runs `%s`)", cb_opt.argv_line);
    fprintf(f, "\n- Clock: %s; reading it twice costs %.0f ns, included in each round trip\n",
            cb_opt.use_tsc ? "TSC (invariant), calibrated against CLOCK_MONOTONIC" : "CLOCK_MONOTONIC",
            cb_tick_overhead_ns);
    fprintf(f, "- Pinning: %s\n",
            cb_n_cpus >= 2 ? "producer on CPU 0, consumer on CPU 1 (sched_setaffinity)"
                        : "one CPU only: both sides share it");
    fprintf(f, "- Budget per cell: latency up to %u round trips after warm-up or %.2f s; "
               "throughput %.2f s after a %.2f s warm-up stream\n",
            cb_opt.lat_samples, cb_opt.lat_seconds, cb_opt.stream_seconds, cb_opt.stream_seconds / 5);

}

static void write_method(FILE *f)
{
    fprintf(f, "\n## Method\n\n"
               "Two processes, forked afresh for each system and size, pinned to the two "
               "CPUs. The same work per message for every system: the sender writes the "
               "message's sequence number into its first and last 8 bytes, the receiver "
               "reads both and checks them, so every figure below comes from a run that "
               "delivered every message intact, once and in order. In the copy variant "
               "the sender also copies the whole message in from a private buffer and "
               "the receiver copies it out into one; systems that copy by nature (pipe, "
               "sockets, message queues) send from and receive into private buffers in "
               "both variants, so for them the two variants are the same run. Each system "
               "is used through its fastest API: loan/publish (zero-copy) where it has "
               "one; batching in the stream where it has it.\n\n"
               "- Latency: ping-pong of one message; one-way = round trip / 2; "
               "nearest-rank percentiles over all kept round trips.\n"
               "- Throughput: messages / (time of the consumer's last receipt − time of "
               "the producer's first send). GB/s = messages/s × message size (10⁹ B); in "
               "the zero-copy variant a message's bytes other than its first and last 8 "
               "are never touched, so that column counts bytes made available, not bytes "
               "moved.\n");

}

static void write_systems(FILE *f)
{
    fprintf(f, "\n## Systems\n\n| system | how it is used | version |\n|---|---|---|\n");
    for (int i = 0; i < cb_n_sys; i++)
        fprintf(f, "| %s (`%s`) | %s | %s |\n", cb_sys[i].t->label, cb_sys[i].t->name,
                cb_sys[i].t->about != NULL ? cb_sys[i].t->about : "—",
                cb_sys[i].version[0] ? cb_sys[i].version : "—");
    fprintf(f, "| memcpy (`memcpy`) | one process on CPU 0: `memcpy` of the message from one "
               "private buffer to another, with the same stamp and check; the reference for "
               "the copy variant | libc |\n");

}

/* p50 / p99 / p99.9 per system and size, and the notes. */
static void write_latency(FILE *f)
{
    char nb[32], a[32], b[32], d[32];

    fprintf(f, "\n## One-way latency\n\np50 / p99 / p99.9 of round trip / 2. Fewer is better.\n\n");
    fprintf(f, "| system |");
    for (int s = 0; s < cb_opt.n_sizes; s++)
        fprintf(f, " %s |", size_name(cb_opt.sizes[s], nb, sizeof nb));
    fprintf(f, "\n|---|");
    for (int s = 0; s < cb_opt.n_sizes; s++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    uint64_t nmin = UINT64_MAX, nmax = 0;
    for (int i = 0; i < cb_n_sys; i++) {
        fprintf(f, "| %s |", cb_sys[i].t->label);
        for (int s = 0; s < cb_opt.n_sizes; s++) {
            const struct cell *c = &cb_sys[i].cell[s];
            if (c->has_lat) {
                fprintf(f, " %s / %s / %s |", fmt_ns(c->p50, a, sizeof a),
                        fmt_ns(c->p99, b, sizeof b), fmt_ns(c->p999, d, sizeof d));
                nmin = c->n < nmin ? c->n : nmin;
                nmax = c->n > nmax ? c->n : nmax;
            } else {
                fprintf(f, " %s |", c->state == CELL_FAIL ? "**FAILED**" : "—");
            }
        }
        fprintf(f, "\n");
    }
    if (nmax > 0)
        fprintf(f, "\nRound trips kept per cell: %llu to %llu.\n", (unsigned long long)nmin,
                (unsigned long long)nmax);
    write_notes(f, 1);

}

/* Messages/s and GB/s per system and size, in variant v (0: zero-copy,
 * 1: copy, with the memcpy reference). */
static void write_throughput(FILE *f, int v)
{
    char nb[32], a[32], b[32];

    fprintf(f, "\n## Throughput, %s\n\n%s\n\n| system |",
            v == 0 ? "zero-copy variant" : "copy variant",
            v == 0 ? "Messages per second, and the message bytes made available per "
                     "second. More is better."
                   : "Each message copied in from a private buffer and out into another. "
                     "Messages per second and GB/s. More is better.");
    for (int s = 0; s < cb_opt.n_sizes; s++)
        fprintf(f, " %s |", size_name(cb_opt.sizes[s], nb, sizeof nb));
    fprintf(f, "\n|---|");
    for (int s = 0; s < cb_opt.n_sizes; s++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    for (int i = 0; i < cb_n_sys; i++) {
        if (cb_sys[i].t->flags & CB_LATENCY_ONLY)
            continue;
        fprintf(f, "| %s |", cb_sys[i].t->label);
        for (int s = 0; s < cb_opt.n_sizes; s++) {
            const struct cell *c = &cb_sys[i].cell[s];
            if (c->has_tput[v])
                fprintf(f, " %s, %s |", fmt_rate(c->msgs[v], a, sizeof a),
                        fmt_gbs(c->gbs[v], b, sizeof b));
            else
                fprintf(f, " %s |", c->state == CELL_FAIL ? "**FAILED**" : "—");
        }
        fprintf(f, "\n");
    }
    if (v == 1) {
        fprintf(f, "| memcpy (one core) |");
        for (int s = 0; s < cb_opt.n_sizes; s++)
            fprintf(f, " %s, %s |", fmt_rate(cb_memcpy_msgs[s], a, sizeof a),
                    fmt_gbs(cb_memcpy_gbs[s], b, sizeof b));
        fprintf(f, "\n");
    }
    fprintf(f, "\nLatency-only rows (raw futex ping-pong) are not in this table.\n");
}

void cb_write_report(const char *plot_note, time_t started, double elapsed)
{
    char path[600];
    snprintf(path, sizeof path, "%s/channels.md", cb_opt.out);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        cb_die("cannot write %s: %s", path, strerror(errno));

    write_run(f, started, elapsed);
    write_method(f);
    write_systems(f);
    write_latency(f);
    for (int v = 0; v < 2; v++)
        write_throughput(f, v);
    write_goals(f);
    cb_death_write(f);

    fprintf(f, "\n## Plots\n\n");
    if (plot_note != NULL)
        fprintf(f, "Not drawn: %s.\n", plot_note);
    else
        fprintf(f, "![one-way latency p50 by size](channels-latency.png)\n\n"
                   "![throughput by size](channels-throughput.png)\n");
    if (cb_failures > 0)
        fprintf(f, "\n**%d run(s) FAILED** — see the notes above; their figures are not "
                   "reported.\n", cb_failures);
    fclose(f);
    printf("chanbench: wrote %s\n", path);
}
