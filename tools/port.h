/* SPDX-License-Identifier: MIT */
/*
 * port.h - what the mmf tool needs of the operating system beyond C11 and
 * mmf itself, behind one small interface (port.c): stop requests, clock
 * and calendar, binary standard streams, a terminal test, the name of the
 * store. The commands use only these, so that the same sources build on
 * Linux and, with MinGW-w64, on Windows. What cannot exist on one system
 * (a fork()ed holder, a forked benchmark peer) is refused there with
 * tool_unsupported().
 */
#ifndef MMF_TOOL_PORT_H
#define MMF_TOOL_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Stop requests: SIGINT, SIGTERM and SIGHUP on POSIX; Ctrl-C, Ctrl-Break
 * and closing the console on Windows. After stop_hold() they no longer
 * end the process but are kept for stop_wait(). */
void stop_hold(void);
/* Wait up to ms milliseconds (-1: for ever) for a stop request. Returns 1
 * if one came, 0 if the time passed. */
int stop_wait(long long ms);

/* The name of user (group: 1) id, into buf. Returns 1, or 0 if it has
 * none (on Windows an id is the last part of a SID, and names are not
 * looked up from it). */
int account_name(uint32_t id, int group, char *buf, size_t cap);

/* Calendar time of t, local or UTC. */
void local_tm(time_t t, struct tm *tm);
void utc_tm(time_t t, struct tm *tm);
/* The current time since 1970 (UTC): seconds and nanoseconds. */
void now_utc(time_t *sec, long *nsec);

/* File descriptor fd (0: stdin, 1: stdout) carries bytes unchanged
 * (Windows translates newlines in text mode). Call before reading or
 * writing raw data through it. */
void binary_stream(int fd);
/* Read up to n bytes of stdin: the count, 0 at its end, -1 on error
 * (errno says why; EINTR: try again). */
long read_stdin_some(void *buf, size_t n);
/* 1 if file descriptor fd (1: stdout, 2: stderr) is a terminal. */
int is_terminal(int fd);

/* Where the objects mmf_store_list() shows live: the store folder on
 * Linux, the session's object directory on Windows. */
const char *store_location(char *buf, size_t cap);

/*
 * Run the command argv (argv[0] looked up in PATH) and wait for it: the
 * caller holds a lock meanwhile, so the command must not outlive the
 * tool and a stop request sent to the tool alone goes on to the command
 * (the tool stays to release). *status gets its exit status (128 + the
 * signal number if a signal ended it, 127 if it could not be run).
 * Returns 0, or -1 (errno says why) if no process could be started.
 */
int run_command(char **argv, const char *name, int *status);

/* `what` cannot work on this system: say so (and why) and exit 6. */
void tool_unsupported(const char *name, const char *what, const char *why)
    __attribute__((noreturn));

#endif
