/* SPDX-License-Identifier: MIT */
/*
 * test.h - the test harness: one executable per feature (test/test-*.c),
 * one ctest case per TEST().
 *
 *   TEST(create_and_open) { ... CHECK(...); CHECK_RC(call, MMF_ENOENT); }
 *   TEST_SLOW(kill_many)  { ... }          (a longer ctest timeout)
 *   TEST_SERIAL(sweep)    { ... }          (runs with no other case)
 *   HELPER(writer)        { argv[0..argc) } (code run in a child process)
 *
 * test/CMakeLists.txt finds the TEST lines by pattern, so adding a test
 * needs no build change. A case passes by returning, fails through CHECK*
 * (exit 1; the checks work with NDEBUG too) and is skipped with SKIP()
 * (exit 77). Multi-process tests start this same executable as a child with
 * test_spawn("helper-name", args...), which runs HELPER(helper-name) in a
 * real, separate process (posix_spawn of /proc/self/exe on Linux,
 * harness-linux.c; CreateProcess of the same .exe on Windows, harness-win.c;
 * runner.c, shared, has main()). A helper's return
 * value is its exit code; it ends with _exit, so handles it still holds are
 * released by the process exit, as after a crash.
 *
 * Object names come from test_name(): "mmf-test-<pid>-<case>-<tag>", unique
 * per run so ctest -j is safe. After each case the harness fails it if any
 * object with its prefix is left in the store.
 */
#ifndef MMF_TEST_H
#define MMF_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <mmf.h>

typedef void (*test_fn)(void);
typedef int (*helper_fn)(int argc, char **argv);

void test_register(const char *name, test_fn fn);
void helper_register(const char *name, helper_fn fn);

#define TEST(name)                                                             \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void reg_test_##name(void)             \
    {                                                                          \
        test_register(#name, test_##name);                                     \
    }                                                                          \
    static void test_##name(void)
#define TEST_SLOW(name) TEST(name)
#define TEST_SERIAL(name) TEST(name)

#define HELPER(name)                                                           \
    static int helper_##name(int argc, char **argv);                           \
    __attribute__((constructor)) static void reg_helper_##name(void)           \
    {                                                                          \
        helper_register(#name, helper_##name);                                 \
    }                                                                          \
    static int helper_##name(int argc, char **argv)

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            test_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);          \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            test_fail(__FILE__, __LINE__, "%s == %s failed: %lld != %lld", #a,  \
                      #b, a_, b_);                                             \
    } while (0)

/* An mmf call's return code, printed by name when it differs. */
#define CHECK_RC(call, expected)                                               \
    do {                                                                       \
        int rc_ = (call), want_ = (expected);                                  \
        if (rc_ != want_)                                                      \
            test_fail(__FILE__, __LINE__, "%s returned %s (%d), expected %s",  \
                      #call, mmf_err_name(rc_), rc_, mmf_err_name(want_));     \
    } while (0)
#define CHECK_OK(call) CHECK_RC(call, 0)

#define SKIP(...)                                                              \
    do {                                                                       \
        printf("SKIP: ");                                                      \
        printf(__VA_ARGS__);                                                   \
        printf("\n");                                                          \
        fflush(stdout);                                                        \
        exit(77);                                                              \
    } while (0)

/* The running case's name, and a unique object name for it. The result is
 * in a static buffer rotated among 8, so a few may be used at once. */
const char *test_case(void);
const char *test_name(const char *tag);

/* The pid of the test process whose case this is: its own, or in a helper
 * the one that started it (the <pid> of test_name). */
long test_owner(void);

/* Set up the process for the harness of this system (harness-linux.c,
 * harness-win.c); runner.c calls it first thing in main(). */
void test_os_init(void);

/* Start this executable as a child running HELPER(helper) with the given
 * arguments (NULL-terminated). Returns the child's pid. */
pid_t test_spawn(const char *helper, ...) __attribute__((sentinel));

/* Wait for a child; returns its exit code, or 128 + signal if killed. */
int test_wait(pid_t pid);

/* Sleep for ms milliseconds. */
void test_sleep_ms(long ms);

/* CPU time (user + system) used so far by this process, in microseconds. */
long long test_cpu_us(void);

/* Monotonic clock in nanoseconds. */
uint64_t test_now_ns(void);

/* A pipe-based one-shot signal between processes: the child writes a byte
 * when ready. test_ready_fd() is the write end to pass to a helper. */
struct test_sync {
    int rd, wr;
};
void test_sync_init(struct test_sync *s);
void test_sync_signal(int wr_fd);
/* Wait up to timeout_ms for one byte; returns 1 if it came, 0 on timeout
 * or EOF. */
int test_sync_wait(struct test_sync *s, long timeout_ms);

/* Wait up to ms for one byte on the pipe read end `fd` (as passed to a
 * helper); 1 if it came. */
int test_await_fd(int fd, long ms);

/* A decimal string for argv; rotated among 16 static buffers. */
const char *test_num(long long v);

/* Make the calling helper die with its parent (a parent that fails a check
 * exits at once). Call it again after a change of credentials, which
 * clears it. */
void test_die_with_parent(void);

/* Remove the scratch directories "<parent>/<prefix><pid>-..." left by
 * earlier runs whose process is gone (a failed case leaves its directory
 * behind), with the files and empty directories in them. */
void test_sweep_dead_dirs(const char *parent, const char *prefix);

/* The number of files in the store whose name contains `needle`. */
int test_store_count(const char *needle);

/* The number of channel claims files in the store (store.c) whose channel
 * file name contains `needle`. */
int test_claims_count(const char *needle);

/* Drop to an unprivileged uid/gid (nobody) in the calling process;
 * returns 0, or -1 if not root. */
int test_drop_privileges(void);

/* The system layer: kills, Wine, address space, Linux-only and Wine-limited
 * skips. */
#include "testos.h"

#endif
