/* SPDX-License-Identifier: MIT */
/*
 * watch.c - `mmf watch NAME`: print the changes to a region of a section
 * as they happen, by comparing a fresh read with the last one every
 * interval, until interrupted or until the name is gone.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "port.h"
#include "tool.h"

static void help_watch(void)
{
    puts("usage: mmf watch NAME [--offset O] [--length L] [--interval MS]\n"
         "\n"
         "Print the changes to a region of section NAME as they happen, until\n"
         "interrupted (Ctrl-C) or until the name is gone. Every MS milliseconds\n"
         "(default 100) the region is compared with the last copy; each changed\n"
         "run of bytes is one line: time, offset, length, the new bytes in hex\n"
         "and ASCII (at most 16 shown). Changes that come and go between two\n"
         "looks are not seen.\n"
         "\n"
         "watch reads the section without a handle or a view: it writes nothing,\n"
         "does not keep the name alive, and commits no memory.");
}

/* One changed run of bytes: time, offset, length, at most 16 bytes. */
static void print_change(uint64_t at, const unsigned char *p, size_t n)
{
    time_t sec;
    long nsec;
    struct tm tm;
    char when[32];
    size_t shown = n < 16 ? n : 16;

    now_utc(&sec, &nsec);
    local_tm(sec, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    printf("%s.%03ld  0x%08" PRIx64 "  %5zu byte%s ", when, nsec / 1000000, at, n,
           n == 1 ? " " : "s");
    for (size_t i = 0; i < shown; i++)
        printf(" %02x", p[i]);
    printf("%s  |", n > shown ? " ..." : "");
    for (size_t i = 0; i < shown; i++)
        putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
    printf("|\n");
}

/* Print each changed run between the last copy and the current bytes of
 * the region that starts at `off`. */
static void print_changes(uint64_t off, const unsigned char *copy, const unsigned char *cur,
                          size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t j, last;
        if (cur[i] == copy[i]) {
            i++;
            continue;
        }
        /* A run of changes; gaps of up to 8 equal bytes join it. */
        last = i;
        for (j = i + 1; j < len && j <= last + 8; j++)
            if (cur[j] != copy[j])
                last = j;
        print_change(off + i, cur + i, last + 1 - i);
        i = last + 1;
    }
}

/* Whether the object watched is gone: its last handle closed, or a new
 * object has its name. */
static int gone(const char *name, const mmf_object_info *info)
{
    mmf_object_info now;
    int rc = mmf_object_stat(name, 0, &now);
    return rc == MMF_ENOENT || (rc == 0 && (now.stale || now.create_ns != info->create_ns));
}

int cmd_watch(int argc, char **argv)
{
    struct opt opts[] = {{"--offset", 1, NULL}, {"--length", 1, NULL},
                         {"--interval", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    uint64_t off, len, interval = 100;
    unsigned char *cur, *copy;
    char *pos[1];

    if (parse_opts(argc, argv, opts, pos, 1, help_watch, NULL) != 1)
        usage_error("give one section name");
    if (opts[2].value) {
        interval = size_opt(&opts[2], "interval");
        if (interval == 0 || interval > 3600 * 1000)
            usage_error("--interval must be 1 to 3600000 milliseconds");
    }
    find_range(pos[0], &opts[0], &opts[1], &info, &off, &len);
    if (len == 0)
        usage_error("the region to watch is empty");
    if (len > (UINT64_C(1) << 30))
        usage_error("watch at most 1 GiB at a time (--offset, --length)");
    if ((copy = malloc((size_t)len)) == NULL || (cur = malloc((size_t)len)) == NULL)
        die(EX_ERROR, pos[0], "out of memory");
    read_range(pos[0], &info, off, copy, (size_t)len);

    /* The stop requests are waited for between looks, not handled. */
    stop_hold();
    fprintf(stderr, "watching %s [0x%" PRIx64 ", 0x%" PRIx64 ") every %" PRIu64
                    " ms; Ctrl-C to stop\n", show(info.name), off, off + len, interval);
    for (;;) {
        size_t done = 0;
        if (stop_wait((long long)interval))
            break;
        if (gone(pos[0], &info)) {
            fprintf(stderr, "%s is gone: its last handle closed\n", show(info.name));
            break;
        }
        if (mmf_object_read(pos[0], off, cur, (size_t)len, &done) < 0 || done < len)
            continue;
        print_changes(off, copy, cur, (size_t)len);
        memcpy(copy, cur, (size_t)len);
        if (fflush(stdout) != 0)
            stdout_failed(pos[0], "");
    }
    free(cur);
    free(copy);
    return EX_OK;
}
