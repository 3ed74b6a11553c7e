/* SPDX-License-Identifier: MIT */
/*
 * plot.c - the channel benchmark's plots: latency.dat and throughput.dat
 * (one column per system), a gnuplot script that draws
 * channels-latency.png and channels-throughput.png from them, and running
 * gnuplot when it is installed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

/* One line of a gnuplot `plot` command per system with data in `col`
 * (columns counted from 1; -1: none). mmf's rows are drawn thicker. */
static void plot_lines(FILE *gp, const char *file, const int *col, const char *suffix)
{
    int first = 1;
    for (int i = 0; i < cb_n_sys; i++) {
        if (col[i] < 0)
            continue;
        /* lt by system, so that a system has one colour in every plot. */
        fprintf(gp, "%s'%s' using 1:%d with linespoints lt %d lw %d title '%s%s'",
                first ? "plot " : ", \\\n     ", file, col[i], i + 1,
                strncmp(cb_sys[i].t->name, "mmf", 3) == 0 ? 3 : 1, cb_sys[i].t->label, suffix);
        first = 0;
    }
}

/* Writes latency.dat, throughput.dat and channels.gp into cb_opt.data.
 * Returns 0, or -1 with a reason when there is nothing to plot. */
int cb_write_plots(char *why, size_t n)
{
    char path[600], lat_file[600], thr_file[600];
    int lat_col[MAX_SYSTEMS], msg_col[MAX_SYSTEMS], gbs_col[MAX_SYSTEMS];
    int any_lat = 0, any_thr = 0;
    FILE *lat, *thr, *gp;
    snprintf(lat_file, sizeof lat_file, "%s/latency.dat", cb_opt.data);
    snprintf(thr_file, sizeof thr_file, "%s/throughput.dat", cb_opt.data);
    lat = fopen(lat_file, "w");
    thr = fopen(thr_file, "w");
    if (lat == NULL || thr == NULL)
        cb_die("cannot write the plot data in %s: %s", cb_opt.data, strerror(errno));
    /* Headers are comments: gnuplot gets the titles from the script. */
    fprintf(lat, "# size");
    fprintf(thr, "# size");
    for (int i = 0; i < cb_n_sys; i++) {
        lat_col[i] = msg_col[i] = gbs_col[i] = -1;
        for (int si = 0; si < cb_opt.n_sizes; si++) {
            if (cb_sys[i].cell[si].has_lat)
                lat_col[i] = 2 + i;
            if (cb_sys[i].cell[si].has_tput[0])
                msg_col[i] = 2 + 2 * i;
            if (cb_sys[i].cell[si].has_tput[1])
                gbs_col[i] = 3 + 2 * i;
        }
        any_lat |= lat_col[i] > 0;
        any_thr |= msg_col[i] > 0 || gbs_col[i] > 0;
        fprintf(lat, " \"%s p50 ns\"", cb_sys[i].t->name);
        fprintf(thr, " \"%s msg/s\" \"%s copy GB/s\"", cb_sys[i].t->name, cb_sys[i].t->name);
    }
    fprintf(thr, " \"memcpy GB/s\"\n");
    fprintf(lat, "\n");
    for (int si = 0; si < cb_opt.n_sizes; si++) {
        fprintf(lat, "%zu", cb_opt.sizes[si]);
        fprintf(thr, "%zu", cb_opt.sizes[si]);
        for (int i = 0; i < cb_n_sys; i++) {
            const struct cell *c = &cb_sys[i].cell[si];
            if (c->has_lat)
                fprintf(lat, " %.1f", c->p50);
            else
                fprintf(lat, " ?");
            for (int v = 0; v < 2; v++) {
                if (c->has_tput[v])
                    fprintf(thr, " %.6g", v == 0 ? c->msgs[v] : c->gbs[v]);
                else
                    fprintf(thr, " ?");
            }
        }
        if (cb_memcpy_gbs[si] > 0)
            fprintf(thr, " %.6g\n", cb_memcpy_gbs[si]);
        else
            fprintf(thr, " ?\n");
        fprintf(lat, "\n");
    }
    fclose(lat);
    fclose(thr);
    if (!any_lat || !any_thr) {
        snprintf(why, n, "no %s figure to plot", !any_lat ? "latency" : "throughput");
        return -1;
    }

    snprintf(path, sizeof path, "%s/channels.gp", cb_opt.data);
    gp = fopen(path, "w");
    if (gp == NULL)
        cb_die("cannot write %s: %s", path, strerror(errno));
    const char *q = cb_opt.quick ? " (QUICK smoke run)" : "";
    fprintf(gp, "# Written by chanbench; run with gnuplot.\n"
                "set datafile missing '?'\n"
                "set logscale x 2\nset logscale y 10\nset grid\n"
                "set key outside right top\n"
                "set xtics ('8 B' 8, '64 B' 64, '1 KiB' 1024, '64 KiB' 65536, '1 MiB' 1048576)\n"
                "set xrange [5:1.6e6]\nset xlabel 'message size'\n");
    /* One colour and point shape per system, fixed for all plots. */
    static const char *const colours[] = {"#000000", "#7f7f7f", "#d62728", "#ff7f0e", "#e377c2",
                                          "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf",
                                          "#bcbd22", "#393b79", "#637939"};
    for (int i = 0; i < cb_n_sys; i++)
        fprintf(gp, "set linetype %d lc rgb '%s' pt %d\n", i + 1,
                colours[i % (int)(sizeof colours / sizeof colours[0])], 1 + i % 13);
    fprintf(gp, "set terminal pngcairo noenhanced size 1200,650 font ',10'\n"
                "set output '%s/channels-latency.png'\n"
                "set title 'One-way latency p50 (round trip / 2) by message size%s'\n"
                "set ylabel 'ns (log scale)'\n", cb_opt.out, q);
    plot_lines(gp, lat_file, lat_col, "");
    fprintf(gp, "\nunset output\n"
                "set terminal pngcairo noenhanced size 1200,1100 font ',10'\n"
                "set output '%s/channels-throughput.png'\n"
                "set multiplot layout 2,1\n"
                "set title 'Throughput, zero-copy variant: messages per second%s'\n"
                "set ylabel 'messages/s (log scale)'\n", cb_opt.out, q);
    plot_lines(gp, thr_file, msg_col, "");
    fprintf(gp, "\nset title 'Throughput, copy variant: GB/s (each message copied in and out)%s'\n"
                "set ylabel 'GB/s (log scale)'\n", q);
    plot_lines(gp, thr_file, gbs_col, "");
    fprintf(gp, ", \\\n     '%s' using 1:%d with linespoints lw 2 dt 2 lc 'black' title 'memcpy (one core)'\n"
                "unset multiplot\nunset output\n", thr_file, 2 * cb_n_sys + 2);
    fclose(gp);
    return 0;
}

int cb_run_gnuplot(char *why, size_t n)
{
    char cmd[700];
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        snprintf(why, n, "gnuplot is not installed (Debian package gnuplot-nox): no plots");
        return -1;
    }
    /* gnuplot's warnings (e.g. a flat line) go to a log, not the terminal. */
    snprintf(cmd, sizeof cmd, "gnuplot '%s/channels.gp' 2>'%s/gnuplot.log'", cb_opt.data, cb_opt.data);
    if (system(cmd) != 0) {
        snprintf(why, n, "gnuplot failed on %s/channels.gp (see %s/gnuplot.log)", cb_opt.data,
                 cb_opt.data);
        return -1;
    }
    return 0;
}
