/* SPDX-License-Identifier: MIT */
/*
 * thread.c - CreateThread and waitable thread handles, ExitThread, thread
 * and process ids, Sleep.
 *
 * A thread object holds an unnamed native manual-reset event that is set
 * when the thread has ended, so thread handles work in
 * WaitForSingleObject and WaitForMultipleObjects through the native waits.
 *
 * The event must not be set before the thread's mutexes are abandoned: a
 * program that waits for a thread and then for a mutex it died holding
 * expects WAIT_ABANDONED (Q19). The kernel abandons a thread's robust
 * mutexes as the thread exits, after the last of its own code has run, so
 * the thread cannot set the event itself. Instead it hands itself to a
 * reaper thread (one per process, started by the first CreateThread) which
 * joins it - pthread_join returns once the kernel is done with the thread,
 * robust list included - and only then sets the event. Joining also frees
 * the thread's resources, which Windows programs never ask for.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "w32.h"

struct w32_thread {
    unsigned refs;              /* atomic: handles, the running thread,
                                   the reaper */
    mmf_sync *done;             /* manual-reset, set once it has ended */
    pthread_t pt;
    DWORD id;
    DWORD exit_code;
    int ended;                  /* atomic: exit_code is final */
    int joinable;               /* made by CreateThread (else adopted) */
    LPTHREAD_START_ROUTINE fn;
    LPVOID arg;
    sem_t started;              /* the new thread has published its id */
    struct w32_thread *next;    /* reaper queue */
};

static _Thread_local struct w32_thread *self;
static _Thread_local DWORD self_tid;

static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_cond = PTHREAD_COND_INITIALIZER;
static struct w32_thread *reaper_queue;
static int reaper_running;

static pthread_once_t tid_once = PTHREAD_ONCE_INIT;

/* A forked child's thread has a new id: forget the parent's. */
static void tid_after_fork(void)
{
    self_tid = 0;
}

static void tid_init(void)
{
    pthread_atfork(NULL, NULL, tid_after_fork);
}

DWORD WINAPI GetCurrentThreadId(void)
{
    if (self_tid == 0) {
        pthread_once(&tid_once, tid_init);
        self_tid = (DWORD)syscall(SYS_gettid);
    }
    return self_tid;
}

DWORD WINAPI GetCurrentProcessId(void)
{
    return (DWORD)getpid();
}

mmf_sync *mmf__w32_thread_event(struct w32_thread *t)
{
    return t->done;
}

void mmf__w32_thread_ref(struct w32_thread *t)
{
    __atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
}

void mmf__w32_thread_unref(struct w32_thread *t)
{
    if (__atomic_fetch_sub(&t->refs, 1, __ATOMIC_ACQ_REL) != 1)
        return;
    mmf_sync_close(t->done);
    sem_destroy(&t->started);
    free(t);
}

static struct w32_thread *thread_new(void)
{
    struct w32_thread *t = calloc(1, sizeof *t);

    if (t == NULL)
        return NULL;
    if (mmf_event_create(&t->done, NULL, 1, 0, MMF_CREATE_NEW, NULL) < 0) {
        free(t);
        return NULL;
    }
    sem_init(&t->started, 0, 0);
    return t;
}

/* Make the end of t visible: its exit code, then its event. */
static void publish_end(struct w32_thread *t)
{
    __atomic_store_n(&t->ended, 1, __ATOMIC_RELEASE);
    mmf_event_set(t->done);
}

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&reaper_lock);
    for (;;) {
        struct w32_thread *t;
        while (reaper_queue == NULL)
            pthread_cond_wait(&reaper_cond, &reaper_lock);
        t = reaper_queue;
        reaper_queue = t->next;
        pthread_mutex_unlock(&reaper_lock);
        /* Returns once the kernel has finished the thread, abandoning its
         * mutexes on the way. */
        pthread_join(t->pt, NULL);
        publish_end(t);
        mmf__w32_thread_unref(t);
        pthread_mutex_lock(&reaper_lock);
    }
    return NULL;
}

/* Start the reaper once. Returns 0 or an errno value. */
static int reaper_start(void)
{
    pthread_attr_t attr;
    pthread_t pt;
    int e = 0;

    pthread_mutex_lock(&reaper_lock);
    if (!reaper_running) {
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, (size_t)PTHREAD_STACK_MIN > 65536
                                             ? (size_t)PTHREAD_STACK_MIN : 65536);
        e = pthread_create(&pt, &attr, reaper_main, NULL);
        pthread_attr_destroy(&attr);
        reaper_running = e == 0;
    }
    pthread_mutex_unlock(&reaper_lock);
    return e;
}

/* The thread's last act (a return or ExitThread): queue it for the reaper,
 * which owns the running thread's reference from now on. */
static void thread_finish(void *arg)
{
    struct w32_thread *t = arg;

    pthread_mutex_lock(&reaper_lock);
    t->next = reaper_queue;
    reaper_queue = t;
    pthread_cond_signal(&reaper_cond);
    pthread_mutex_unlock(&reaper_lock);
}

static void *thread_main(void *arg)
{
    struct w32_thread *t = arg;

    self = t;
    t->id = GetCurrentThreadId();
    sem_post(&t->started);
    pthread_cleanup_push(thread_finish, t);
    t->exit_code = t->fn(t->arg);
    pthread_cleanup_pop(1);
    return NULL;
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes,
                           SIZE_T dwStackSize, LPTHREAD_START_ROUTINE lpStartAddress,
                           LPVOID lpParameter, DWORD dwCreationFlags,
                           LPDWORD lpThreadId)
{
    const DWORD known = STACK_SIZE_PARAM_IS_A_RESERVATION;
    union w32_payload u;
    struct w32_thread *t;
    pthread_attr_t attr;
    HANDLE h;
    int e;

    (void)lpThreadAttributes;
    if (lpStartAddress == NULL || (dwCreationFlags & ~known) != 0) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER); /* incl. CREATE_SUSPENDED */
        return NULL;
    }
    if (reaper_start() != 0 || (t = thread_new()) == NULL) {
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    t->fn = lpStartAddress;
    t->arg = lpParameter;
    t->joinable = 1;
    t->refs = 2; /* the handle and the running thread */
    u.thread = t;
    if ((h = mmf__w32_new(W32_THREAD, THREAD_ALL_ACCESS, u)) == NULL) {
        mmf__w32_thread_unref(t);
        mmf__w32_thread_unref(t);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    pthread_attr_init(&attr);
    if (dwStackSize != 0) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t size = (dwStackSize + page - 1) / page * page;
        pthread_attr_setstacksize(&attr, size < (size_t)PTHREAD_STACK_MIN
                                             ? (size_t)PTHREAD_STACK_MIN : size);
    }
    e = pthread_create(&t->pt, &attr, thread_main, t);
    pthread_attr_destroy(&attr);
    if (e != 0) {
        mmf__w32_thread_unref(t); /* the thread's reference; CloseHandle drops
                                the other */
        CloseHandle(h);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    /* Wait until the thread knows its id, so that lpThreadId and
     * GetThreadId are right at once. */
    while (sem_wait(&t->started) != 0 && errno == EINTR)
        ;
    if (lpThreadId != NULL)
        *lpThreadId = t->id;
    return h;
}

void WINAPI ExitThread(DWORD dwExitCode)
{
    if (self != NULL && self->joinable)
        self->exit_code = dwExitCode;
    /* Runs thread_finish for a CreateThread thread (its cleanup handler)
     * and the adopted thread's key destructor for others. */
    pthread_exit(NULL);
}

/* ------------------------------------------------------------------------ */
/* Threads that CreateThread did not start                                   */
/* ------------------------------------------------------------------------ */

/*
 * DuplicateHandle(GetCurrentThread()) in a thread that CreateThread did not
 * start (the main thread, say) makes a thread object for it on first use.
 * Its end is seen by a key destructor in the thread itself, so for such a
 * thread (unlike CreateThread's) a waiter may be released just before the
 * kernel has abandoned the thread's mutexes.
 */
static pthread_key_t adopted_key;
static pthread_once_t adopted_once = PTHREAD_ONCE_INIT;

static void adopted_end(void *arg)
{
    struct w32_thread *t = arg;
    publish_end(t);
    mmf__w32_thread_unref(t);
}

static void adopted_init(void)
{
    pthread_key_create(&adopted_key, adopted_end);
}

struct w32_thread *mmf__w32_thread_self(void)
{
    struct w32_thread *t = self;

    if (t == NULL) {
        pthread_once(&adopted_once, adopted_init);
        if ((t = thread_new()) == NULL)
            return NULL;
        t->pt = pthread_self();
        t->id = GetCurrentThreadId();
        t->refs = 1; /* the thread's own, dropped at its end */
        if (pthread_setspecific(adopted_key, t) != 0) {
            mmf__w32_thread_unref(t);
            return NULL;
        }
        self = t;
    }
    mmf__w32_thread_ref(t);
    return t;
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    struct w32_entry *e;
    DWORD err;

    if (hThread == W32_PSEUDO_THREAD) {
        *lpExitCode = STILL_ACTIVE; /* the caller is running */
        return TRUE;
    }
    if ((e = mmf__w32_get(hThread, W32_K(W32_THREAD) | W32_K(W32_PROCESS), &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    if (e->kind == W32_PROCESS) {
        /* The main thread of a child (PROCESS_INFORMATION.hThread) ends
         * with its process, with the process's exit code. */
        err = mmf__w32_process_exit_code(e->u.process, lpExitCode);
        mmf__w32_put(e);
        if (err != 0) {
            mmf__w32_set_error(err);
            return FALSE;
        }
        return TRUE;
    }
    *lpExitCode = __atomic_load_n(&e->u.thread->ended, __ATOMIC_ACQUIRE)
                      ? e->u.thread->exit_code
                      : STILL_ACTIVE;
    mmf__w32_put(e);
    return TRUE;
}

DWORD WINAPI GetThreadId(HANDLE Thread)
{
    struct w32_entry *e;
    DWORD err, id;

    if (Thread == W32_PSEUDO_THREAD)
        return GetCurrentThreadId();
    if ((e = mmf__w32_get(Thread, W32_K(W32_THREAD) | W32_K(W32_PROCESS), &err)) == NULL) {
        mmf__w32_set_error(err);
        return 0;
    }
    id = e->kind == W32_PROCESS ? mmf__w32_process_pid(e->u.process) : e->u.thread->id;
    mmf__w32_put(e);
    return id;
}

/* ------------------------------------------------------------------------ */
/* Sleep                                                                     */
/* ------------------------------------------------------------------------ */

void WINAPI Sleep(DWORD dwMilliseconds)
{
    struct timespec ts;

    if (dwMilliseconds == 0) {
        sched_yield();
        return;
    }
    if (dwMilliseconds == INFINITE) {
        for (;;)
            pause();
    }
    ts.tv_sec = (time_t)(dwMilliseconds / 1000);
    ts.tv_nsec = (long)(dwMilliseconds % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

BOOL WINAPI SwitchToThread(void)
{
    sched_yield();
    return TRUE;
}
