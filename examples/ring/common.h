/*
 * common.h - what the ring example's two programs share: the message they
 * exchange and their command line.
 */
#ifndef RING_EXAMPLE_COMMON_H
#define RING_EXAMPLE_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mmf.h>

#define DEFAULT_NAME "mmf-example-ring"
#define CAPACITY (1u << 20) /* 1 MiB of messages in flight at most */

/* One message: a sequence number, when it was sent, and some text. */
struct tick {
    uint64_t seq;
    uint64_t sent_ns;   /* CLOCK_MONOTONIC: the same clock in both processes */
    char text[48];
};

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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

#endif
