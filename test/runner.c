/* SPDX-License-Identifier: MIT */
/*
 * runner.c - the test runner both systems share: the registry of TEST()
 * cases and HELPER()s, failure reports, object names, and main().
 *
 *   exe CASE                      runs one case, then fails it if any object
 *                                 with its prefix is left in the store
 *   exe --list                    prints the case names (test/CMakeLists.txt)
 *   exe --helper NAME CASE OWNER args...
 *                                 runs HELPER(NAME) as a child of case CASE
 *                                 of the test process OWNER (test_spawn)
 *
 * How processes start, die and are counted differs: harness-linux.c and
 * harness-win.c, one of which is linked beside this file.
 */
#include "test.h"

#include <stdarg.h>

#define MAX_ENTRIES 256

static struct { const char *name; test_fn fn; } tests[MAX_ENTRIES];
static struct { const char *name; helper_fn fn; } helpers[MAX_ENTRIES];
static int ntests, nhelpers;
static const char *current = "none";
static long owner_pid;

void test_register(const char *name, test_fn fn)
{
    if (ntests < MAX_ENTRIES)
        tests[ntests++].name = name, tests[ntests - 1].fn = fn;
}

void helper_register(const char *name, helper_fn fn)
{
    if (nhelpers < MAX_ENTRIES)
        helpers[nhelpers++].name = name, helpers[nhelpers - 1].fn = fn;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s (pid %ld) %s:%d: ", current, (long)getpid(), file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
    fflush(stdout);
    _exit(1);
}

const char *test_case(void)
{
    return current;
}

long test_owner(void)
{
    return owner_pid;
}

const char *test_name(const char *tag)
{
    static char bufs[8][256];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "mmf-test-%ld-%s-%s", owner_pid, current, tag);
    return b;
}

const char *test_num(long long v)
{
    static char bufs[16][32];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof bufs[0], "%lld", v);
    return b;
}

int main(int argc, char **argv)
{
    test_os_init();
    owner_pid = (long)getpid();
    if (argc >= 5 && strcmp(argv[1], "--helper") == 0) {
        /* argv: exe --helper NAME CASE OWNER-PID args... */
        current = argv[3];
        owner_pid = atol(argv[4]);
        for (int i = 0; i < nhelpers; i++) {
            if (strcmp(helpers[i].name, argv[2]) == 0) {
                /* Helpers may exit holding handles on purpose (as a crash
                 * would); _exit keeps LeakSanitizer from calling that a
                 * leak. */
                int rc = helpers[i].fn(argc - 5, argv + 5);
                fflush(NULL);
                _exit(rc);
            }
        }
        fprintf(stderr, "no helper %s\n", argv[2]);
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE | --list\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < ntests; i++) {
        if (strcmp(tests[i].name, argv[1]) == 0) {
            char prefix[128];
            int left;
            current = tests[i].name;
#ifdef SIGPIPE
            /* A child that is killed must not take the test with it. */
            signal(SIGPIPE, SIG_IGN);
#endif
            tests[i].fn();
            snprintf(prefix, sizeof prefix, "mmf-test-%ld-%s-", owner_pid, current);
            left = test_store_count(prefix) + test_claims_count(prefix);
            if (left != 0)
                test_fail(__FILE__, __LINE__, "%d object(s) left in the store", left);
            printf("PASS %s\n", current);
            fflush(stdout);
            return 0;
        }
    }
    fprintf(stderr, "no test case %s\n", argv[1]);
    return 2;
}
