/* SPDX-License-Identifier: MIT */
/*
 * timer.c - waitable timers over the native objects.
 *
 * A timer is three native objects, all held by every handle to it:
 *   - a semaphore under the timer's own name, whose maximum count is
 *     W32_TIMER_MARK: it holds the name in the one namespace, so that
 *     another type's create or open of the name fails (MMF_ETYPE, or the
 *     mark, which sync.c checks for semaphores) and the timer's own finds
 *     it; its count, fixed at creation, says whether the timer is
 *     manual-reset (1) or not (0), so that every process agrees on it;
 *   - an event "<name>#tmr.ev", manual- or auto-reset as the timer: its
 *     signaled state is the timer's, and it is what waits wait on;
 *   - a section "<name>#tmr.st" holding struct timer_state: the due time
 *     and the period.
 * An unnamed timer has an unnamed event and its state in private memory.
 *
 * Nobody runs the clock: a waiter computes how long until the due time,
 * sleeps at most that long (and at most W32_TIMER_SLICE_MS, to notice a
 * SetWaitableTimer made meanwhile), and whichever waiter finds the due
 * time passed moves it on by compare-and-swap (one period, or to "not
 * set") and sets the event. So the timer fires while any process waits on
 * it, whoever set it and whether that process is still alive.
 *
 * The state is shared memory and untrusted: the due time and period are
 * plain numbers bounded before use; a damaged state can make a timer fire
 * early, late or never, not crash a process. A firing that races with
 * SetWaitableTimer may signal the timer once for the due time it replaced,
 * which had passed already.
 */
#include <stdlib.h>
#include <time.h>

#include "w32.h"

#define TIMER_MAGIC 0x524D4954u /* "TIMR" */
#define EVENT_SUFFIX "#tmr.ev"
#define STATE_SUFFIX "#tmr.st"
#define STATE_SIZE 4096
/* The longest wait a due time or period may ask for: about 30000 years
 * (what keeps the arithmetic below within 63 bits). */
#define MAX_NS ((int64_t)1 << 60)
/* The latest absolute due time, in ns since 1970: about the year 2116,
 * half of what 63 bits hold, so that due + period stays in range. */
#define MAX_REALTIME_NS (INT64_MAX / 2)
/* 100 ns units between 1601-01-01 and 1970-01-01. */
#define FILETIME_1970 116444736000000000LL

/* The shared state. Zero-filled is "not set". */
struct timer_state {
    uint32_t magic;
    uint32_t realtime;  /* due_ns is on CLOCK_REALTIME (an absolute due
                           time, which follows changes of the system
                           clock as Windows' do), else CLOCK_MONOTONIC */
    int64_t due_ns;    /* the clock's time of the next firing; 0: none */
    int64_t period_ns; /* 0: fire once */
};

struct w32_timer {
    unsigned refs; /* atomic: handles (DuplicateHandle shares the object) */
    mmf_sync *mark;     /* the name's semaphore, NULL if unnamed */
    mmf_sync *event;
    mmf_section *section; /* NULL if unnamed */
    struct timer_state *state; /* a view of section, or private memory */
};

static int64_t now_ns(int realtime)
{
    struct timespec ts;
    clock_gettime(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void timer_free(struct w32_timer *t)
{
    if (t->section != NULL) {
        if (t->state != NULL)
            mmf_view_unmap(t->state);
        mmf_section_close(t->section);
    } else {
        free(t->state);
    }
    if (t->event != NULL)
        mmf_sync_close(t->event);
    if (t->mark != NULL)
        mmf_sync_close(t->mark);
    free(t);
}

void mmf__w32_timer_ref(struct w32_timer *t)
{
    __atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
}

void mmf__w32_timer_unref(struct w32_timer *t)
{
    if (__atomic_fetch_sub(&t->refs, 1, __ATOMIC_ACQ_REL) == 1)
        timer_free(t);
}

mmf_sync *mmf__w32_timer_event(struct w32_timer *t)
{
    return t->event;
}

/* The derived name: name + suffix, or MMF_ENAMETOOLONG. */
static int derive(char *out, size_t cap, const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    if (n + k + 1 > cap)
        return MMF_ENAMETOOLONG;
    memcpy(out, name, n);
    memcpy(out + n, suffix, k + 1);
    return 0;
}

/* Attach the event and state of the named timer whose mark is t->mark. */
static int attach(struct w32_timer *t, const char *name, int manual,
                  const mmf_sync_opts *opts)
{
    char derived[W32_NAME_BYTES + 16];
    mmf_section_opts sopts = {0, opts->mode, 0};
    void *view = NULL;
    int rc;

    if ((rc = derive(derived, sizeof derived, name, EVENT_SUFFIX)) < 0)
        return rc;
    rc = mmf_event_create(&t->event, derived, manual, 0, MMF_OPEN_OR_CREATE, opts);
    if (rc < 0)
        return rc;
    if ((rc = derive(derived, sizeof derived, name, STATE_SUFFIX)) < 0)
        return rc;
    rc = mmf_section_create(&t->section, derived, STATE_SIZE, MMF_OPEN_OR_CREATE, &sopts);
    if (rc < 0)
        return rc;
    rc = mmf_view_map(t->section, MMF_MAP_WRITE, 0, STATE_SIZE, 0, &view);
    if (rc < 0)
        return rc;
    t->state = view;
    /* A new state is zero: "not set". Claim it; a state already claimed,
     * or overwritten, is used as it is (its numbers are bounded anyway). */
    uint32_t zero = 0;
    __atomic_compare_exchange_n(&t->state->magic, &zero, TIMER_MAGIC, 0,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return 0;
}

/* The mark's maximum count, which no semaphore of the façade's callers is
 * expected to use (a CreateSemaphore with exactly this maximum would be
 * taken for a timer). */
int mmf__w32_is_timer_mark(mmf_sync *s)
{
    mmf_sync_info info;
    return mmf_sync_stat(s, &info) == 0 && info.type == MMF_TYPE_SEMAPHORE &&
           info.maximum == W32_TIMER_MARK;
}

/* Make or open (create: open-or-create) the timer `name`; *existed says
 * whether it was there. Returns 0 or a Win32 error. */
static DWORD timer_get(const char *name, int create, int manual,
                       const SECURITY_ATTRIBUTES *sa, struct w32_timer **out,
                       int *existed)
{
    struct w32_timer *t = calloc(1, sizeof *t);
    mmf_sync_opts opts = {0, 0};
    mmf_sync_info info;
    DWORD err;
    int rc;

    *existed = 0;
    if (t == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    t->refs = 1;
    if (create && (err = mmf__w32_sd_mode(W32_TIMER, sa, &opts.mode)) != 0) {
        free(t);
        return err;
    }
    if (name == NULL || name[0] == '\0') {
        t->state = calloc(1, sizeof *t->state);
        rc = t->state == NULL ? MMF_ENOMEM
                              : mmf_event_create(&t->event, NULL, manual, 0,
                                                 MMF_OPEN_OR_CREATE, NULL);
        if (rc < 0) {
            timer_free(t);
            return mmf__w32_error(rc);
        }
        *out = t;
        return 0;
    }
    if (create)
        rc = mmf_semaphore_create(&t->mark, name, manual ? 1 : 0, W32_TIMER_MARK,
                                  MMF_OPEN_OR_CREATE, &opts);
    else
        rc = mmf_semaphore_open(&t->mark, name);
    if (rc < 0) {
        timer_free(t);
        return rc == MMF_EBADNAME ? mmf__w32_name_error(name) : mmf__w32_error(rc);
    }
    *existed = rc == MMF_EXISTED || !create;
    /* An existing name must be a timer's (P01, P05). */
    if (mmf_sync_stat(t->mark, &info) < 0 || info.maximum != W32_TIMER_MARK) {
        timer_free(t);
        return ERROR_INVALID_HANDLE;
    }
    rc = attach(t, name, info.count != 0, &opts);
    if (rc < 0) {
        timer_free(t);
        return rc == MMF_EBADNAME ? mmf__w32_name_error(name) : mmf__w32_error(rc);
    }
    *out = t;
    return 0;
}

static HANDLE timer_handle(struct w32_timer *t, DWORD access)
{
    union w32_payload u;
    HANDLE h;

    u.timer = t;
    if ((h = mmf__w32_new(W32_TIMER, access, u)) == NULL) {
        mmf__w32_timer_unref(t);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
    }
    return h;
}

static HANDLE create_timer(LPSECURITY_ATTRIBUTES sa, BOOL manual, const char *name)
{
    struct w32_timer *t;
    int existed;
    DWORD err = timer_get(name, 1, manual != 0, sa, &t, &existed);
    HANDLE h;

    if (err != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    if ((h = timer_handle(t, TIMER_ALL_ACCESS)) == NULL)
        return NULL;
    mmf__w32_set_error(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return mmf__w32_inherit_sa(h, sa);
}

static HANDLE open_timer(DWORD access, BOOL inherit, const char *name)
{
    struct w32_timer *t;
    int existed;
    DWORD err;

    if (name == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER); /* P08 */
        return NULL;
    }
    if (name[0] == '\0') {
        mmf__w32_set_error(ERROR_INVALID_HANDLE); /* as OpenFileMapping("") */
        return NULL;
    }
    if ((err = timer_get(name, 0, 0, NULL, &t, &existed)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    if ((err = mmf__w32_check_open_access(W32_TIMER, access)) != 0) {
        mmf__w32_timer_unref(t);
        mmf__w32_set_error(err);
        return NULL;
    }
    return mmf__w32_inherit(timer_handle(t, mmf__w32_map_access(W32_TIMER, access)),
                            inherit);
}

HANDLE WINAPI CreateWaitableTimerA(LPSECURITY_ATTRIBUTES lpTimerAttributes,
                                   BOOL bManualReset, LPCSTR lpTimerName)
{
    if (!mmf__w32_a_name_fits(lpTimerName))
        return NULL;
    return create_timer(lpTimerAttributes, bManualReset, lpTimerName);
}

HANDLE WINAPI CreateWaitableTimerW(LPSECURITY_ATTRIBUTES lpTimerAttributes,
                                   BOOL bManualReset, LPCWSTR lpTimerName)
{
    char name[W32_NAME_BYTES];
    DWORD err = mmf__w32_to_utf8(lpTimerName, name, sizeof name);
    if (err != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    return create_timer(lpTimerAttributes, bManualReset, name);
}

HANDLE WINAPI OpenWaitableTimerA(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                 LPCSTR lpTimerName)
{
    if (!mmf__w32_a_name_fits(lpTimerName))
        return NULL;
    return open_timer(dwDesiredAccess, bInheritHandle, lpTimerName);
}

HANDLE WINAPI OpenWaitableTimerW(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                 LPCWSTR lpTimerName)
{
    char name[W32_NAME_BYTES];
    DWORD err;

    if (lpTimerName == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((err = mmf__w32_to_utf8(lpTimerName, name, sizeof name)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    return open_timer(dwDesiredAccess, bInheritHandle, name);
}

/* The entry of a timer handle with TIMER_MODIFY_STATE, or NULL with the
 * last error set. */
static struct w32_entry *modifiable(HANDLE h)
{
    struct w32_entry *e;
    DWORD err;

    if ((e = mmf__w32_get(h, W32_K(W32_TIMER), &err)) == NULL) {
        mmf__w32_set_error(err);
        return NULL;
    }
    if (!(e->access & TIMER_MODIFY_STATE)) {
        mmf__w32_put(e);
        mmf__w32_set_error(ERROR_ACCESS_DENIED);
        return NULL;
    }
    return e;
}

static int64_t clamp_ns(int64_t v)
{
    return v < 0 ? 0 : v > MAX_NS ? MAX_NS : v;
}

BOOL WINAPI SetWaitableTimer(HANDLE hTimer, const LARGE_INTEGER *lpDueTime, LONG lPeriod,
                             PTIMERAPCROUTINE pfnCompletionRoutine,
                             LPVOID lpArgToCompletionRoutine, BOOL fResume)
{
    struct w32_entry *e;
    struct timer_state *st;
    int64_t due;
    int realtime, rc;

    (void)lpArgToCompletionRoutine;
    if ((e = modifiable(hTimer)) == NULL)
        return FALSE;
    if (lpDueTime == NULL || lPeriod < 0) {
        mmf__w32_put(e);
        /* NT probes the due time's pointer (STATUS_ACCESS_VIOLATION) and
         * refuses a negative period (STATUS_INVALID_PARAMETER_6). */
        mmf__w32_set_error(lpDueTime == NULL ? ERROR_NOACCESS : ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (pfnCompletionRoutine != NULL) {
        mmf__w32_put(e);
        mmf__w32_set_error(ERROR_NOT_SUPPORTED); /* no asynchronous calls */
        return FALSE;
    }
    if (lpDueTime->QuadPart <= 0) {
        /* Relative, in 100 ns units, on the monotonic clock; the
         * negation of INT64_MIN is kept in range by the test. */
        LONGLONG q = lpDueTime->QuadPart;
        realtime = 0;
        due = now_ns(0) + (q < -(MAX_NS / 100) ? MAX_NS : clamp_ns(-q * 100));
    } else {
        /* Absolute, a FILETIME: kept on the system clock, so that the
         * timer follows a change of the clock, as on Windows. */
        LONGLONG since_1970 = lpDueTime->QuadPart - FILETIME_1970;
        realtime = 1;
        due = since_1970 <= 0 ? 1
              : since_1970 > MAX_REALTIME_NS / 100 ? MAX_REALTIME_NS : since_1970 * 100;
    }
    st = e->u.timer->state;
    /* Stop, clear the signal, then start again (a set timer is not
     * signaled until its new due time). */
    __atomic_store_n(&st->due_ns, 0, __ATOMIC_SEQ_CST);
    rc = mmf_event_reset(e->u.timer->event);
    __atomic_store_n(&st->period_ns, (int64_t)lPeriod * 1000000, __ATOMIC_SEQ_CST);
    __atomic_store_n(&st->realtime, (uint32_t)realtime, __ATOMIC_SEQ_CST);
    __atomic_store_n(&st->due_ns, due, __ATOMIC_SEQ_CST);
    mmf__w32_put(e);
    if (rc < 0) {
        mmf__w32_set_error(mmf__w32_error(rc));
        return FALSE;
    }
    if (fResume) /* nothing here wakes the system: TRUE, as NT says it */
        mmf__w32_set_error(ERROR_TIMER_RESUME_IGNORED);
    return TRUE;
}

BOOL WINAPI CancelWaitableTimer(HANDLE hTimer)
{
    struct w32_entry *e;

    if ((e = modifiable(hTimer)) == NULL)
        return FALSE;
    /* The signaled state stays as it is. */
    __atomic_store_n(&e->u.timer->state->due_ns, 0, __ATOMIC_SEQ_CST);
    mmf__w32_put(e);
    return TRUE;
}

long long mmf__w32_timer_poll(struct w32_timer *t)
{
    struct timer_state *st = t->state;

    for (int tries = 0; tries < 8; tries++) {
        int64_t due = __atomic_load_n(&st->due_ns, __ATOMIC_SEQ_CST);
        int64_t period = clamp_ns(__atomic_load_n(&st->period_ns, __ATOMIC_SEQ_CST));
        int64_t now = now_ns(__atomic_load_n(&st->realtime, __ATOMIC_SEQ_CST) != 0), next;

        if (due <= 0)
            return -1; /* not set */
        if (due > now)
            return (due - now) > MAX_NS ? MAX_NS : due - now;
        /* Due: move the due time on past now (missed periods fire once,
         * as on Windows), and signal if this caller did it. */
        if (period > 0) {
            int64_t k = (now - due) / period + 1;
            next = k > MAX_NS / period ? 0 : due + k * period;
        } else {
            next = 0;
        }
        if (__atomic_compare_exchange_n(&st->due_ns, &due, next, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            mmf_event_set(t->event);
            return next == 0 ? -1 : next - now;
        }
        /* Another waiter fired it, or a Set came: look again. */
    }
    return 0;
}

void WINAPI GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime)
{
    struct timespec rt;
    uint64_t ft;

    clock_gettime(CLOCK_REALTIME, &rt);
    ft = (uint64_t)(FILETIME_1970 + (LONGLONG)rt.tv_sec * 10000000 + rt.tv_nsec / 100);
    lpSystemTimeAsFileTime->dwLowDateTime = (DWORD)ft;
    lpSystemTimeAsFileTime->dwHighDateTime = (DWORD)(ft >> 32);
}
