/* SPDX-License-Identifier: MIT */
/*
 * scale.h - the --scale-only rows of bench_section and bench_sync: what
 * one call costs while the process holds SCALE_SMALL objects of a kind,
 * against the same call while it holds SCALE_LARGE. No per-call cost may
 * grow with what a process holds: the goal is a ratio (large / small) of
 * at most 1.2.
 *
 * A process holds one set of objects at a time, so the two sides cannot
 * alternate batch by batch as the other rows do; instead each row runs
 * small, large, small, large, ... (growing and shrinking what it holds in
 * between, untimed), a few batches at a time, and reports the median
 * per-operation time over all batches of each side.
 *
 * The including file includes bench.h first.
 */
#ifndef MMF_BENCH_SCALE_H
#define MMF_BENCH_SCALE_H

#define SCALE_SMALL 10
#define SCALE_LARGE 10000
#define SCALE_GOAL 1.2

struct scale_row {
    const char *name;
    double goal;     /* ratio to meet; 0 for rows shown for information */
    double small_ns; /* per operation, holding SCALE_SMALL (or row's own) */
    double large_ns; /* per operation, holding SCALE_LARGE */
    int small, large;
};

/* Time `rounds` batches of `batch` calls of op into v[0..rounds). */
static void scale_batches(void (*op)(void), int batch, int rounds, double *v)
{
    for (int r = 0; r < rounds; r++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < batch; i++)
            op();
        v[r] = (double)(now_ns() - t0) / batch;
        stop_if_signalled();
    }
}

/* Run row r: hold(n) makes the process hold n objects of the kind (the
 * one op uses among them), op is the timed call: `passes` times small then
 * large, `rounds` batches each. Ends holding none. */
static void scale_run(struct scale_row *r, void (*hold)(int), void (*op)(void), int batch,
                      int passes, int rounds)
{
    size_t n = (size_t)passes * (size_t)rounds;
    double *s = malloc(n * sizeof *s);
    double *l = malloc(n * sizeof *l);
    CHECK_SYS("malloc", s != NULL && l != NULL);
    r->small = SCALE_SMALL;
    r->large = SCALE_LARGE;
    for (int pass = 0; pass < passes; pass++) {
        hold(SCALE_SMALL);
        for (int i = 0; i < batch; i++)
            op(); /* warm up */
        scale_batches(op, batch, rounds, s + pass * rounds);
        hold(SCALE_LARGE);
        for (int i = 0; i < batch; i++)
            op();
        scale_batches(op, batch, rounds, l + pass * rounds);
    }
    hold(0);
    r->small_ns = median(s, n);
    r->large_ns = median(l, n);
    free(s);
    free(l);
}

static void scale_print(const char *title, const struct scale_row *rows, int n, int json)
{
    if (json) {
        struct json j;
        json_start(&j, stdout);
        json_array(&j, NULL);
        /* mmf_ns: holding many; raw_ns: holding few; ratio: their ratio. */
        for (int i = 0; i < n; i++)
            bench_json_row(&j, rows[i].name, rows[i].large_ns, rows[i].small_ns);
        json_end(&j);
        return;
    }
    printf("%s: ns per call while the process holds few vs many objects\n\n", title);
    printf("%-28s %9s %11s %9s %11s %7s  %-8s %s\n", "name", "held", "ns", "held", "ns",
           "ratio", "goal", "result");
    for (int i = 0; i < n; i++) {
        const struct scale_row *r = &rows[i];
        double ratio = r->large_ns / r->small_ns;
        char goal[16];
        if (r->goal > 0)
            snprintf(goal, sizeof goal, "<= %.2f", r->goal);
        else
            snprintf(goal, sizeof goal, "info");
        printf("%-28s %9d %11.0f %9d %11.0f %7.2f  %-8s %s\n", r->name, r->small, r->small_ns,
               r->large, r->large_ns, ratio, goal,
               r->goal > 0 ? (ratio <= r->goal ? "PASS" : "MISS") : "-");
    }
}

#endif
