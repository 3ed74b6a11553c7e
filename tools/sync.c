/* SPDX-License-Identifier: MIT */
/*
 * sync.c - the synchronization objects from the shell: `mmf signal` (an
 * event), `mmf wait` (any of them), `mmf lock` (run a command holding a
 * mutex), `mmf post` (a semaphore), and the state `mmf stat` shows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "port.h"
#include "tool.h"

/* Open NAME as the synchronization object it is; `want` is the type the
 * command needs, or 0 for any. */
static mmf_sync *open_sync(const char *name, int want, mmf_object_info *info)
{
    mmf_sync *o = NULL;
    int rc;

    live_or_die(name, info);
    if (!info->readable)
        die(EX_DENIED, name, "access denied (mode %04o, owner uid %" PRIu32 ")", info->mode,
            info->uid);
    if (want != 0 && info->type != want)
        die(EX_TYPE, name, "is a %s, not a%s %s", mmf_type_name(info->type),
            want == MMF_TYPE_EVENT ? "n" : "", mmf_type_name(want));
    switch (info->type) {
    case MMF_TYPE_MUTEX: rc = mmf_mutex_open(&o, name); break;
    case MMF_TYPE_EVENT: rc = mmf_event_open(&o, name); break;
    case MMF_TYPE_SEMAPHORE: rc = mmf_semaphore_open(&o, name); break;
    default:
        die(EX_TYPE, name, "is a %s: only mutexes, events and semaphores can be waited on",
            mmf_type_name(info->type));
    }
    if (rc == MMF_EACCES)
        die(EX_DENIED, name, "access denied (mode %04o, owner uid %" PRIu32 ")", info->mode,
            info->uid);
    if (rc < 0)
        fail(name, rc);
    return o;
}

/* The state of a synchronization object, read through a handle held for
 * the moment it takes. Returns 0 or an MMF_E* code. */
int sync_state(const mmf_object_info *info, mmf_sync_info *si)
{
    mmf_sync *o;
    int rc;

    if (!info->readable || info->stale || info->corrupt)
        return MMF_EACCES;
    switch (info->type) {
    case MMF_TYPE_MUTEX: rc = mmf_mutex_open(&o, info->name); break;
    case MMF_TYPE_EVENT: rc = mmf_event_open(&o, info->name); break;
    case MMF_TYPE_SEMAPHORE: rc = mmf_semaphore_open(&o, info->name); break;
    default: return MMF_ETYPE;
    }
    if (rc < 0)
        return rc;
    rc = mmf_sync_stat(o, si);
    mmf_sync_close(o);
    return rc;
}

static void help_signal(void)
{
    puts("usage: mmf signal EVENT [--reset | --pulse]\n"
         "\n"
         "Set the event EVENT to signaled (SetEvent): a manual-reset event releases\n"
         "every waiter until it is reset, an auto-reset event releases one waiter.\n"
         "--reset makes it nonsignaled instead (ResetEvent); --pulse releases the\n"
         "current waiters and leaves it nonsignaled (PulseEvent). Prints the state\n"
         "it had before.");
}

int cmd_signal(int argc, char **argv)
{
    struct opt opts[] = {{"--reset", 0, NULL}, {"--pulse", 0, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    mmf_sync *e;
    char *pos[1];
    const char *what;
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_signal, NULL) != 1)
        usage_error("give one event name");
    if (opts[0].value && opts[1].value)
        usage_error("--reset and --pulse exclude each other");
    e = open_sync(pos[0], MMF_TYPE_EVENT, &info);
    if (opts[0].value) {
        rc = mmf_event_reset(e);
        what = "reset";
    } else if (opts[1].value) {
        rc = mmf_event_pulse(e);
        what = "pulsed";
    } else {
        rc = mmf_event_set(e);
        what = "signaled";
    }
    mmf_sync_close(e);
    if (rc < 0)
        fail(pos[0], rc);
    printf("%s %s (it was %s)\n", what, show(info.name), rc ? "signaled" : "not signaled");
    return EX_OK;
}

static void help_wait(void)
{
    puts("usage: mmf wait OBJECT [--timeout MS]\n"
         "\n"
         "Wait until the mutex, event or semaphore OBJECT is signaled, as any waiter\n"
         "does (WaitForSingleObject), then take it: a semaphore's count drops by\n"
         "one, an auto-reset event resets, a mutex is acquired and, since the tool\n"
         "exits, released at once. Without --timeout it waits until signaled.\n"
         "\n"
         "Exit 0 when signaled, 5 when the timeout passed, 10 when the object was\n"
         "an abandoned mutex (its owner died holding it; acquired and released).");
}

int cmd_wait(int argc, char **argv)
{
    struct opt opts[] = {{"--timeout", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    long long timeout;
    mmf_sync *o;
    char *pos[1];
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_wait, NULL) != 1)
        usage_error("give one object name");
    timeout = timeout_opt(&opts[0]);
    o = open_sync(pos[0], 0, &info);
    rc = mmf_sync_wait(o, timeout);
    if (rc >= 0 && info.type == MMF_TYPE_MUTEX)
        mmf_mutex_unlock(o);
    mmf_sync_close(o);
    if (rc == MMF_ETIMEDOUT)
        die(EX_TIMEOUT, pos[0], "not signaled within %lld ms", timeout);
    if (rc < 0)
        fail(pos[0], rc);
    switch (info.type) {
    case MMF_TYPE_MUTEX:
        printf("acquired %s%s and released it\n", show(info.name),
               rc == MMF_ABANDONED ? ", abandoned by its dead owner," : "");
        break;
    case MMF_TYPE_SEMAPHORE:
        printf("took one count of %s\n", show(info.name));
        break;
    default:
        printf("%s is signaled\n", show(info.name));
    }
    return rc == MMF_ABANDONED ? EX_ABANDONED : EX_OK;
}

static void help_lock(void)
{
    puts("usage: mmf lock MUTEX [--timeout MS] -- COMMAND [ARGS...]\n"
         "\n"
         "Acquire the mutex MUTEX, run COMMAND while holding it, and release it\n"
         "when COMMAND ends. Exits with COMMAND's exit status (128 + the signal\n"
         "number if it was killed, 127 if it could not be run); before COMMAND\n"
         "runs, failures use mmf's exit codes (5: not acquired within the\n"
         "timeout). If the mutex was abandoned (its owner died holding it), a\n"
         "warning is printed and COMMAND runs anyway.\n"
         "\n"
         "COMMAND never runs without the lock: SIGTERM, SIGINT and SIGHUP sent\n"
         "to mmf are passed on to it (mmf releases the mutex once it ends), and\n"
         "if mmf itself is killed, COMMAND is killed too (SIGKILL). Processes that\n"
         "COMMAND starts are its own to stop.");
}

int cmd_lock(int argc, char **argv)
{
    struct opt opts[] = {{"--timeout", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    long long timeout;
    mmf_sync *m;
    char *pos[1];
    int rc, dd, st;

    if (parse_opts(argc, argv, opts, pos, 1, help_lock, &dd) != 1)
        usage_error("give one mutex name, then -- and the command to run");
    if (dd < 0 || dd >= argc)
        usage_error("give the command to run after --");
    timeout = timeout_opt(&opts[0]);
    m = open_sync(pos[0], MMF_TYPE_MUTEX, &info);
    rc = mmf_mutex_lock(m, timeout);
    if (rc == MMF_ETIMEDOUT)
        die(EX_TIMEOUT, pos[0], "not acquired within %lld ms", timeout);
    if (rc < 0)
        fail(pos[0], rc);
    if (rc == MMF_ABANDONED)
        warn(pos[0], "the mutex was abandoned (its owner died holding it); running "
                     "the command anyway");
    fflush(NULL);
    if (run_command(argv + dd, pos[0], &st) != 0) {
        int e = errno;
        mmf_mutex_unlock(m);
        die(EX_ERROR, pos[0], "cannot start the command: %s", strerror(e));
    }
    rc = mmf_mutex_unlock(m);
    mmf_sync_close(m);
    if (rc < 0)
        warn(pos[0], "cannot release: %s", mmf_strerror(rc));
    return st;
}

static void help_post(void)
{
    puts("usage: mmf post SEMAPHORE [--count N]\n"
         "\n"
         "Add N (default 1) to the count of the semaphore SEMAPHORE\n"
         "(ReleaseSemaphore), releasing as many waiters. Fails (exit 6) without\n"
         "changing anything if the count would pass its maximum.");
}

int cmd_post(int argc, char **argv)
{
    struct opt opts[] = {{"--count", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    mmf_sync_info si;
    uint64_t n = 1;
    mmf_sync *o;
    char *pos[1];
    long prev = 0;
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_post, NULL) != 1)
        usage_error("give one semaphore name");
    if (opts[0].value && (parse_size(opts[0].value, &n) != 0 || n == 0 ||
                          n > 0x7fffffff || strpbrk(opts[0].value, "kKmMgGtTpPeEx")))
        usage_error("bad count '%s': give a whole number from 1 to 2147483647",
                    show(opts[0].value));
    o = open_sync(pos[0], MMF_TYPE_SEMAPHORE, &info);
    rc = mmf_semaphore_release(o, (long)n, &prev);
    if (rc == MMF_EOVERFLOW && mmf_sync_stat(o, &si) == 0) {
        mmf_sync_close(o);
        die(EX_ERROR, pos[0], "the count (%ld) + %" PRIu64 " would pass its maximum (%ld); "
            "nothing changed", si.count, n, si.maximum);
    }
    mmf_sync_close(o);
    if (rc < 0)
        fail(pos[0], rc);
    printf("posted %" PRIu64 " to %s (count %ld -> %ld)\n", n, show(info.name), prev,
           prev + (long)n);
    return EX_OK;
}
