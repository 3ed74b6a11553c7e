/* SPDX-License-Identifier: MIT */
/*
 * sync.c - mutexes, events, semaphores and the wait functions over the
 * native mmf_mutex_*, mmf_event_*, mmf_semaphore_* and mmf_sync_wait*.
 */
#include <stdlib.h>
#include <time.h>

#include "w32.h"

/* The native timeout of a Win32 one. */
static long long timeout_of(DWORD ms)
{
    return ms == INFINITE ? MMF_INFINITE : (long long)ms;
}

/* Wrap a native handle from a create call (rc 0 or MMF_EXISTED) or an open
 * call in a Win32 handle, and set the last error as Create* do. */
static HANDLE wrap(enum w32_kind kind, DWORD access, mmf_sync *o, int rc,
                   int is_create)
{
    union w32_payload u;
    HANDLE h;

    u.sync = o;
    if ((h = mmf__w32_new(kind, access, u)) == NULL) {
        mmf_sync_close(o);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (is_create) /* Q02, Q16, R01, S01 */
        mmf__w32_set_error(rc == MMF_EXISTED ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

static DWORD name_or_native_error(int rc, const char *name)
{
    return rc == MMF_EBADNAME ? mmf__w32_name_error(name) : mmf__w32_error(rc);
}

/* What a create of each kind needs besides the name. */
struct create_args {
    enum w32_kind kind;
    int flag_a;   /* mutex: initial owner; event: manual reset */
    int flag_b;   /* event: initial state */
    LONG initial; /* semaphore */
    LONG maximum;
    const SECURITY_ATTRIBUTES *sa;
};

static HANDLE create_sync(const struct create_args *a, const char *name)
{
    mmf_sync_opts opts = {0, 0};
    mmf_sync *o = NULL;
    DWORD err;
    int rc;

    if ((err = mmf__w32_sd_mode(a->kind, a->sa, &opts.mode)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    switch (a->kind) {
    case W32_MUTEX:
        rc = mmf_mutex_create(&o, name, a->flag_a, MMF_OPEN_OR_CREATE, &opts);
        break;
    case W32_EVENT:
        rc = mmf_event_create(&o, name, a->flag_a, a->flag_b, MMF_OPEN_OR_CREATE,
                              &opts);
        break;
    default:
        rc = mmf_semaphore_create(&o, name, a->initial, a->maximum,
                                  MMF_OPEN_OR_CREATE, &opts);
        break;
    }
    if (rc < 0) {
        /* S03, S04: bad counts; P01-P04: another type's name. */
        mmf__w32_set_error(name_or_native_error(rc, name));
        return NULL;
    }
    if (rc == MMF_EXISTED && a->kind == W32_SEMAPHORE && mmf__w32_is_timer_mark(o)) {
        mmf_sync_close(o); /* a waitable timer's name (timer.c): P01 */
        mmf__w32_set_error(ERROR_INVALID_HANDLE);
        return NULL;
    }
    return wrap(a->kind, mmf__w32_all_access(a->kind), o, rc, 1);
}

static HANDLE create_sync_w(const struct create_args *a, LPCWSTR wname)
{
    char name[W32_NAME_BYTES];
    DWORD err = mmf__w32_to_utf8(wname, name, sizeof name);
    if (err != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    return create_sync(a, name);
}

static HANDLE open_sync(enum w32_kind kind, DWORD access, const char *name)
{
    mmf_sync *o = NULL;
    DWORD err;
    int rc;

    if (name == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER); /* P08, Q17, R03, S13 */
        return NULL;
    }
    switch (kind) {
    case W32_MUTEX:
        rc = mmf_mutex_open(&o, name);
        break;
    case W32_EVENT:
        rc = mmf_event_open(&o, name);
        break;
    default:
        rc = mmf_semaphore_open(&o, name);
        break;
    }
    if (rc < 0) {
        mmf__w32_set_error(name_or_native_error(rc, name)); /* Q01, P05, P06 */
        return NULL;
    }
    if (kind == W32_SEMAPHORE && mmf__w32_is_timer_mark(o)) {
        mmf_sync_close(o); /* a waitable timer's name (timer.c): P05 */
        mmf__w32_set_error(ERROR_INVALID_HANDLE);
        return NULL;
    }
    /* The name is looked up before the access is checked (Q01, Q03). */
    if ((err = mmf__w32_check_open_access(kind, access)) != 0) {
        mmf_sync_close(o);
        mmf__w32_set_error(err);
        return NULL;
    }
    return wrap(kind, mmf__w32_map_access(kind, access), o, 0, 0);
}

static HANDLE open_sync_w(enum w32_kind kind, DWORD access, LPCWSTR wname)
{
    char name[W32_NAME_BYTES];
    DWORD err;

    if (wname == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((err = mmf__w32_to_utf8(wname, name, sizeof name)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    return open_sync(kind, access, name);
}

/* ------------------------------------------------------------------------ */
/* Mutexes                                                                   */
/* ------------------------------------------------------------------------ */

HANDLE WINAPI CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes,
                           BOOL bInitialOwner, LPCSTR lpName)
{
    struct create_args a = {W32_MUTEX, bInitialOwner != 0, 0, 0, 0, lpMutexAttributes};
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit_sa(create_sync(&a, lpName), lpMutexAttributes);
}

HANDLE WINAPI CreateMutexW(LPSECURITY_ATTRIBUTES lpMutexAttributes,
                           BOOL bInitialOwner, LPCWSTR lpName)
{
    struct create_args a = {W32_MUTEX, bInitialOwner != 0, 0, 0, 0, lpMutexAttributes};
    return mmf__w32_inherit_sa(create_sync_w(&a, lpName), lpMutexAttributes);
}

HANDLE WINAPI OpenMutexA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName)
{
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit(open_sync(W32_MUTEX, dwDesiredAccess, lpName), bInheritHandle);
}

HANDLE WINAPI OpenMutexW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName)
{
    return mmf__w32_inherit(open_sync_w(W32_MUTEX, dwDesiredAccess, lpName), bInheritHandle);
}

BOOL WINAPI ReleaseMutex(HANDLE hMutex)
{
    struct w32_entry *e;
    DWORD err;
    int rc;

    /* Any handle to the mutex will do, whatever its access (Q08). */
    if ((e = mmf__w32_get(hMutex, W32_K(W32_MUTEX), &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    rc = mmf_mutex_unlock(e->u.sync);
    mmf__w32_put(e);
    if (rc < 0) {
        mmf__w32_set_error(mmf__w32_error(rc)); /* ERROR_NOT_OWNER: Q07, Q10, Q11 */
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes,
                           BOOL bManualReset, BOOL bInitialState, LPCSTR lpName)
{
    struct create_args a = {W32_EVENT, bManualReset != 0, bInitialState != 0, 0, 0,
                          lpEventAttributes};
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit_sa(create_sync(&a, lpName), lpEventAttributes);
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
                           BOOL bManualReset, BOOL bInitialState, LPCWSTR lpName)
{
    struct create_args a = {W32_EVENT, bManualReset != 0, bInitialState != 0, 0, 0,
                          lpEventAttributes};
    return mmf__w32_inherit_sa(create_sync_w(&a, lpName), lpEventAttributes);
}

HANDLE WINAPI OpenEventA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName)
{
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit(open_sync(W32_EVENT, dwDesiredAccess, lpName), bInheritHandle);
}

HANDLE WINAPI OpenEventW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName)
{
    return mmf__w32_inherit(open_sync_w(W32_EVENT, dwDesiredAccess, lpName), bInheritHandle);
}

static BOOL event_op(HANDLE h, int (*op)(mmf_sync *))
{
    struct w32_entry *e;
    DWORD err;
    int rc;

    if ((e = mmf__w32_get(h, W32_K(W32_EVENT), &err)) == NULL) {
        mmf__w32_set_error(err); /* not an event: R15 */
        return FALSE;
    }
    if (!(e->access & EVENT_MODIFY_STATE)) {
        mmf__w32_put(e);
        mmf__w32_set_error(ERROR_ACCESS_DENIED); /* R14 */
        return FALSE;
    }
    rc = op(e->u.sync);
    mmf__w32_put(e);
    if (rc < 0) {
        mmf__w32_set_error(mmf__w32_error(rc));
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI SetEvent(HANDLE hEvent)
{
    return event_op(hEvent, mmf_event_set);
}

BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    return event_op(hEvent, mmf_event_reset);
}

BOOL WINAPI PulseEvent(HANDLE hEvent)
{
    return event_op(hEvent, mmf_event_pulse);
}

/* ------------------------------------------------------------------------ */
/* Semaphores                                                                */
/* ------------------------------------------------------------------------ */

HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes,
                               LONG lInitialCount, LONG lMaximumCount,
                               LPCSTR lpName)
{
    struct create_args a = {W32_SEMAPHORE, 0, 0, lInitialCount, lMaximumCount,
                          lpSemaphoreAttributes};
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit_sa(create_sync(&a, lpName), lpSemaphoreAttributes);
}

HANDLE WINAPI CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes,
                               LONG lInitialCount, LONG lMaximumCount,
                               LPCWSTR lpName)
{
    struct create_args a = {W32_SEMAPHORE, 0, 0, lInitialCount, lMaximumCount,
                          lpSemaphoreAttributes};
    return mmf__w32_inherit_sa(create_sync_w(&a, lpName), lpSemaphoreAttributes);
}

HANDLE WINAPI OpenSemaphoreA(DWORD dwDesiredAccess, BOOL bInheritHandle,
                             LPCSTR lpName)
{
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit(open_sync(W32_SEMAPHORE, dwDesiredAccess, lpName), bInheritHandle);
}

HANDLE WINAPI OpenSemaphoreW(DWORD dwDesiredAccess, BOOL bInheritHandle,
                             LPCWSTR lpName)
{
    return mmf__w32_inherit(open_sync_w(W32_SEMAPHORE, dwDesiredAccess, lpName), bInheritHandle);
}

BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount,
                             LPLONG lpPreviousCount)
{
    struct w32_entry *e;
    long prev = 0;
    DWORD err;
    int rc;

    if ((e = mmf__w32_get(hSemaphore, W32_K(W32_SEMAPHORE), &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    if (!(e->access & SEMAPHORE_MODIFY_STATE)) {
        mmf__w32_put(e);
        mmf__w32_set_error(ERROR_ACCESS_DENIED); /* S10 */
        return FALSE;
    }
    rc = mmf_semaphore_release(e->u.sync, lReleaseCount, &prev);
    mmf__w32_put(e);
    if (rc < 0) {
        /* ERROR_TOO_MANY_POSTS with *lpPreviousCount untouched (S06);
         * ERROR_INVALID_PARAMETER for a count <= 0 (S09). */
        mmf__w32_set_error(mmf__w32_error(rc));
        return FALSE;
    }
    if (lpPreviousCount != NULL)
        *lpPreviousCount = (LONG)prev;
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Waits                                                                     */
/* ------------------------------------------------------------------------ */

/* The native object a wait on entry e waits for. */
static mmf_sync *waitable(const struct w32_entry *e)
{
    switch (e->kind) {
    case W32_THREAD:
        return mmf__w32_thread_event(e->u.thread);
    case W32_PROCESS:
        return mmf__w32_process_event(e->u.process);
    case W32_FILE:
        return mmf__w32_signaled(); /* a file handle is always signaled */
    case W32_TIMER:
        return mmf__w32_timer_event(e->u.timer);
    default:
        return e->u.sync;
    }
}

/* How native_wait waits. */
enum wait_mode { WAIT_ONE, WAIT_ANY, WAIT_ALL };

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fire the due timers among entries; returns the milliseconds until the
 * next due time (rounded up), or -1 if none is set. */
static long long poll_timers(struct w32_entry *const entries[], DWORD n)
{
    long long next = -1;

    for (DWORD i = 0; i < n; i++) {
        long long ns;
        if (entries[i]->kind != W32_TIMER)
            continue;
        ns = mmf__w32_timer_poll(entries[i]->u.timer);
        if (ns >= 0) {
            long long ms = (ns + 999999) / 1000000;
            if (next < 0 || ms < next)
                next = ms;
        }
    }
    return next;
}

/*
 * The native wait on objs (of entries) with the Win32 timeout. Waits that
 * involve a waitable timer sleep in slices that end at the next due time
 * (or after W32_TIMER_SLICE_MS, to see a timer set meanwhile), firing the
 * timers that are due before each slice: see timer.c.
 */
static int native_wait(struct w32_entry *const entries[], mmf_sync *const objs[],
                       DWORD n, enum wait_mode mode, DWORD ms)
{
    long long deadline = 0, slice, rem, next;
    int timers = 0, last, rc;

    for (DWORD i = 0; i < n; i++)
        timers |= entries[i]->kind == W32_TIMER;
    if (!timers) {
        slice = timeout_of(ms);
        return mode == WAIT_ONE   ? mmf_sync_wait(objs[0], slice)
               : mode == WAIT_ALL ? mmf_sync_wait_all(objs, n, slice)
                                  : mmf_sync_wait_any(objs, n, slice);
    }
    if (ms != INFINITE)
        deadline = now_ms() + ms;
    for (;;) {
        next = poll_timers(entries, n);
        slice = W32_TIMER_SLICE_MS;
        if (next >= 0 && next < slice)
            slice = next;
        last = 0;
        if (ms != INFINITE) {
            rem = deadline - now_ms();
            if (rem <= slice) {
                slice = rem < 0 ? 0 : rem;
                last = 1;
            }
        }
        rc = mode == WAIT_ONE   ? mmf_sync_wait(objs[0], slice)
             : mode == WAIT_ALL ? mmf_sync_wait_all(objs, n, slice)
                                : mmf_sync_wait_any(objs, n, slice);
        if (rc != MMF_ETIMEDOUT)
            return rc;
        if (last) {
            /* A timer due at the deadline still counts. */
            poll_timers(entries, n);
            return mode == WAIT_ONE   ? mmf_sync_wait(objs[0], 0)
                   : mode == WAIT_ALL ? mmf_sync_wait_all(objs, n, 0)
                                      : mmf_sync_wait_any(objs, n, 0);
        }
    }
}

/* Check that e may be waited on: 0, or the Win32 error. */
static DWORD check_wait(const struct w32_entry *e)
{
    /* The right is checked first: a mapping handle never has SYNCHRONIZE
     * (T06, T11, U11). */
    if (!(e->access & SYNCHRONIZE))
        return ERROR_ACCESS_DENIED;
    if (!(W32_WAITABLE & W32_K(e->kind)))
        return ERROR_INVALID_HANDLE;
    if (e->kind == W32_FILE && mmf__w32_signaled() == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    return 0;
}

/* A wait's failure: WAIT_FAILED with the Win32 error of a native code. */
static DWORD wait_failed(int rc)
{
    if (rc == MMF_EOVERFLOW)
        mmf__w32_set_error(ERROR_MUTANT_LIMIT_EXCEEDED); /* recursion limit */
    else
        mmf__w32_set_error(mmf__w32_error(rc));
    return WAIT_FAILED;
}

/* The result of a wait on one object. Success and timeout leave the last
 * error alone (T01, T02). */
static DWORD wait_result(int rc)
{
    if (rc == 0)
        return WAIT_OBJECT_0;
    if (rc == MMF_ABANDONED)
        return WAIT_ABANDONED; /* T07 */
    if (rc == MMF_ETIMEDOUT)
        return WAIT_TIMEOUT;
    return wait_failed(rc);
}

DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    struct w32_entry *e;
    DWORD err;
    int rc;

    if (hHandle == W32_PSEUDO_PROCESS || hHandle == W32_PSEUDO_THREAD) {
        /* The caller's own process or thread: it cannot end while the
         * caller waits (T05). */
        Sleep(dwMilliseconds);
        return WAIT_TIMEOUT;
    }
    if ((e = mmf__w32_get(hHandle, W32_ANY_KIND, &err)) == NULL) {
        mmf__w32_set_error(err); /* T03 */
        return WAIT_FAILED;
    }
    if ((err = check_wait(e)) != 0) {
        mmf__w32_put(e);
        mmf__w32_set_error(err);
        return WAIT_FAILED;
    }
    {
        mmf_sync *o = waitable(e);
        rc = native_wait(&e, &o, 1, WAIT_ONE, dwMilliseconds);
    }
    mmf__w32_put(e);
    return wait_result(rc);
}

DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles,
                                    BOOL bWaitAll, DWORD dwMilliseconds)
{
    struct w32_entry *entries[MAXIMUM_WAIT_OBJECTS];
    mmf_sync *objs[MAXIMUM_WAIT_OBJECTS];
    DWORD n = 0, err = 0, result;
    int rc;

    if (nCount == 0 || nCount > MAXIMUM_WAIT_OBJECTS || lpHandles == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER); /* U03 */
        return WAIT_FAILED;
    }
    for (; n < nCount; n++) {
        /* Pseudo-handles are refused here, unlike in
         * WaitForSingleObject (U09): mmf__w32_get finds no entry for them. */
        if ((entries[n] = mmf__w32_get(lpHandles[n], W32_ANY_KIND, &err)) == NULL)
            break; /* U10 */
        if ((err = check_wait(entries[n])) != 0) {
            n++;
            break; /* U11 */
        }
        objs[n] = waitable(entries[n]);
    }
    if (err == 0) {
        rc = native_wait(entries, objs, nCount, bWaitAll ? WAIT_ALL : WAIT_ANY,
                         dwMilliseconds);
        if (rc >= 0 && (rc & MMF_ABANDONED))
            result = WAIT_ABANDONED_0 + (DWORD)(rc & ~MMF_ABANDONED); /* U06, U07 */
        else if (rc >= 0)
            result = WAIT_OBJECT_0 + (DWORD)rc; /* U02 */
        else if (rc == MMF_ETIMEDOUT)
            result = WAIT_TIMEOUT; /* U08 */
        else
            result = wait_failed(rc); /* duplicates in a wait-all: U04 */
    } else {
        mmf__w32_set_error(err);
        result = WAIT_FAILED;
    }
    for (DWORD i = 0; i < n; i++) {
        if (entries[i] != NULL)
            mmf__w32_put(entries[i]);
    }
    return result;
}

/*
 * SignalObjectAndWait: both handles are checked first, as NT references
 * both objects before it signals (a bad wait handle signals nothing); then
 * the signal, whose failure ends the call (ERROR_NOT_OWNER,
 * ERROR_TOO_MANY_POSTS); then the wait. The two steps are not one atomic
 * operation, which Microsoft does not promise either (the signal and the
 * wait "are not guaranteed to be performed as an atomic operation").
 * bAlertable has no effect: there are no asynchronous procedure calls.
 */
DWORD WINAPI SignalObjectAndWait(HANDLE hObjectToSignal, HANDLE hObjectToWaitOn,
                                 DWORD dwMilliseconds, BOOL bAlertable)
{
    struct w32_entry *s, *w;
    DWORD err;
    int rc;

    (void)bAlertable;
    if ((s = mmf__w32_get(hObjectToSignal, W32_SYNC_KINDS, &err)) == NULL) {
        mmf__w32_set_error(err); /* T12 */
        return WAIT_FAILED;
    }
    if ((w = mmf__w32_get(hObjectToWaitOn, W32_ANY_KIND, &err)) == NULL) {
        mmf__w32_put(s);
        mmf__w32_set_error(err);
        return WAIT_FAILED;
    }
    if ((err = check_wait(w)) == 0) {
        /* The right the signal needs (a mutex needs none: Q08). */
        if ((s->kind == W32_EVENT && !(s->access & EVENT_MODIFY_STATE)) ||
            (s->kind == W32_SEMAPHORE && !(s->access & SEMAPHORE_MODIFY_STATE)))
            err = ERROR_ACCESS_DENIED;
    }
    if (err == 0) {
        switch (s->kind) {
        case W32_MUTEX:
            rc = mmf_mutex_unlock(s->u.sync); /* ERROR_NOT_OWNER: Q25 */
            break;
        case W32_EVENT:
            rc = mmf_event_set(s->u.sync);
            break;
        default:
            rc = mmf_semaphore_release(s->u.sync, 1, NULL); /* S12 */
            break;
        }
        if (rc < 0)
            err = mmf__w32_error(rc);
    }
    mmf__w32_put(s);
    if (err != 0) {
        mmf__w32_put(w);
        mmf__w32_set_error(err);
        return WAIT_FAILED;
    }
    {
        mmf_sync *o = waitable(w);
        rc = native_wait(&w, &o, 1, WAIT_ONE, dwMilliseconds);
    }
    mmf__w32_put(w);
    return wait_result(rc);
}
