/* SPDX-License-Identifier: MIT */
/*
 * common.h - what the ring example's two programs share: the message they
 * exchange and their command line.
 */
#ifndef RING_EXAMPLE_COMMON_H
#define RING_EXAMPLE_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif

#include <mmf.h>

#define DEFAULT_NAME "mmf-example-ring"
#define CAPACITY (1u << 20) /* 1 MiB of messages in flight at most */

/* One message: a sequence number, when it was sent, and some text. */
struct tick {
    uint64_t seq;
    uint64_t sent_ns;   /* now_ns(): the same clock in both processes */
    char text[48];
};

#ifdef _WIN32
/* Windows: the performance counter, the same in every process. */
static inline uint64_t now_ns(void)
{
    LARGE_INTEGER f, t;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t);
    return (uint64_t)t.QuadPart / (uint64_t)f.QuadPart * 1000000000u +
           (uint64_t)t.QuadPart % (uint64_t)f.QuadPart * 1000000000u / (uint64_t)f.QuadPart;
}
#else
static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

/* Options: -n NAME, -c COUNT (producer), -f FILE (a persistent ring),
 * -b (busy-poll: never sleep while waiting). */
struct options {
    const char *name;
    const char *file;
    uint64_t count;
    int busy;
};

static inline int parse_options(int argc, char **argv, struct options *o, const char *usage)
{
    o->name = DEFAULT_NAME;
    o->file = NULL;
    o->count = 1000000;
    o->busy = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            o->name = argv[++i];
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            o->count = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
            o->file = argv[++i];
        } else if (strcmp(argv[i], "-b") == 0) {
            o->busy = 1;
        } else {
            fprintf(stderr, "usage: %s %s\n", argv[0], usage);
            return -1;
        }
    }
    return 0;
}

/* How long one wait lasts before the loops look at stop_signal again. */
#define POLL_MS 200

/* Ctrl-C, SIGTERM or SIGHUP: set by the handler, so that the programs
 * close the ring before they go. Killed without closing, a process leaves
 * a stale entry in the store until `mmf gc` (or the next endpoint) removes
 * it. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static inline void catch_stop_signals(void)
{
#ifdef _WIN32
    /* Windows has signal() only (Ctrl-C arrives as SIGINT), and no SIGHUP. */
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
#endif
}

/* After closing the ring: end as the signal would have ended us, so the
 * shell sees an interrupted program. */
static inline void exit_by_stop_signal(void)
{
    signal(stop_signal, SIG_DFL);
    raise(stop_signal);
}

/* Say why attaching failed. For a persistent ring, a missing name means
 * a path that cannot be made: name what is missing. */
static inline void attach_error(const char *who, const struct options *o, int rc)
{
    if (rc == MMF_ENOENT && o->file != NULL) {
        char dir[4096];
        const char *slash = strrchr(o->file, '/');
        struct stat st;
        if (slash == NULL)
            snprintf(dir, sizeof dir, ".");
        else
            snprintf(dir, sizeof dir, "%.*s", slash == o->file ? 1 : (int)(slash - o->file),
                     o->file);
        if (stat(dir, &st) != 0)
            fprintf(stderr, "%s: the directory %s does not exist (for the ring file %s)\n",
                    who, dir, o->file);
        else
            fprintf(stderr, "%s: cannot make the ring file %s: %s\n", who, o->file,
                    mmf_strerror(rc));
        return;
    }
    fprintf(stderr, "%s: cannot attach to %s: %s\n", who, o->name, mmf_strerror(rc));
}

#endif
