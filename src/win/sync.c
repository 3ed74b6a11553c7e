/* SPDX-License-Identifier: MIT */
/*
 * sync.c - Windows: mutexes, events and semaphores as kernel objects.
 *
 * On Windows the kernel already has the objects mmf models: a mutex is a
 * Mutant, an event an Event, a semaphore a Semaphore, each under the
 * caller's exact name, so a plain Win32 program that calls
 * WaitForSingleObject or ReleaseMutex on the same name interoperates with
 * mmf, and robustness is the kernel's: a mutex whose owning thread ends,
 * by any means, is abandoned and the next wait reports WAIT_ABANDONED.
 * Nothing of an object lives in memory that another process can write,
 * so there is no state to validate and no internal lock; every operation
 * is one system call (WaitForSingleObject, ReleaseMutex, NtSetEvent,
 * ReleaseSemaphore, WaitForMultipleObjects, NtQuery*).
 *
 * ONE MAP PER OBJECT PER PROCESS
 *
 * The core recognises one object named twice in a wait-all by its map
 * (backend.h), and Wine accepts such a wait where Windows refuses it, so
 * this file must know which handles name the same object. A map holds a
 * handle of its own (a duplicate: the store reference it was made for may
 * close first) and is shared by every handle of the process to that
 * object, counted. Identity: a named object keeps its name while any
 * handle to it is open, and the map's handle is one, so an attach under
 * the same full name IS the same object, with no system call. The same
 * key under the other prefix (Local\ and Global\ are one directory in
 * session 0) and unnamed objects (reached by duplicating or importing a
 * handle) are compared with CompareObjectHandles, loaded at run time
 * (Windows 10; Wine has it). Without it such handles get maps of their
 * own: then only the kernel's own check refuses a duplicate in a wait-all
 * (Windows does, with ERROR_INVALID_PARAMETER; Wine does not).
 *
 * WHAT WINDOWS DOES NOT TELL
 *
 * The kernel clears a mutex's abandoned state at the acquisition that
 * reports it, while mmf keeps the mark until that owner's final release;
 * the map remembers, in private memory, which thread of this process took
 * the mutex abandoned (with the thread's creation time, as thread ids are
 * reused), so that mmf_sync_stat in this process still reports it. Other
 * processes see the kernel's state. A wait-all that takes an abandoned
 * mutex reports WAIT_ABANDONED_0 whichever it was (Windows and Wine
 * alike); mmf promises the index of the lowest abandoned one, so a
 * wait-all on several mutexes asks each for its abandoned state first. The owner
 * of a mutex held by another thread comes from MutantOwnerInformation,
 * which Wine 8 does not implement (then MMF__WIN_UNKNOWN_ID); the owner is
 * always known to itself. Nobody can ask how many threads wait on an
 * object: `waiters` is MMF__WIN_UNKNOWN_WAITERS.
 *
 * Timeouts: mmf's 0..MMF_TIMEOUT_MAX are Windows' DWORD milliseconds
 * exactly, and MMF_INFINITE is INFINITE.
 */
#include <stdlib.h>
#include <string.h>

#include "win.h"

/* The maps of this process, guarded by mmf__os_lock(): chained by a hash
 * of the name's key (so Local\X and Global\X share a chain). */
#define NBUCKETS 1024u

struct mmf__syncmap {
    struct mmf__syncmap *next;
    HANDLE h;           /* our own duplicate, same access as the first */
    uint32_t type;      /* MMF__TYPE_* */
    unsigned refs;      /* mmf handles of this process using it */
    size_t bucket;
    /* Mutex: the thread of this process that acquired it abandoned and
     * has not released it fully (0: none), and that thread's creation
     * time. Written by the owning thread only; read by anyone. */
    DWORD ab_tid;
    uint64_t ab_birth;
    char name[];        /* full name, "" when unnamed */
};

static struct mmf__syncmap *table[NBUCKETS];

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* ---- CompareObjectHandles, loaded at run time --------------------------- */

typedef BOOL(WINAPI *compare_fn)(HANDLE, HANDLE);
static compare_fn compare_handles;
static INIT_ONCE compare_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK compare_load(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
    static const WCHAR *const modules[] = {L"kernelbase.dll", L"kernel32.dll"};
    (void)once;
    (void)arg;
    (void)ctx;
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        HMODULE mod = GetModuleHandleW(modules[i]);
        FARPROC f = mod != NULL ? GetProcAddress(mod, "CompareObjectHandles") : NULL;
        if (f != NULL) {
            /* Through void (*)(void): a cast between unrelated function
             * types is what GetProcAddress needs. */
            compare_handles = (compare_fn)(void (*)(void))f;
            break;
        }
    }
    return TRUE;
}

/* 1 if a and b name the same kernel object, 0 if not or unknown. */
static int same_object(HANDLE a, HANDLE b)
{
    InitOnceExecuteOnce(&compare_once, compare_load, NULL, NULL);
    return compare_handles != NULL && compare_handles(a, b) ? 1 : 0;
}

/* ---- Small helpers ------------------------------------------------------ */

static DWORD ms_of(long long timeout_ms)
{
    return timeout_ms == MMF_INFINITE ? INFINITE : (DWORD)timeout_ms;
}

/* The key of a full name: what follows "Local\" or "Global\". */
static const char *key_of(const char *name)
{
    const char *bs = strchr(name, '\\');
    return bs != NULL ? bs + 1 : name;
}

static size_t bucket_of(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    return h % NBUCKETS;
}

/* The creation time of thread th (0 if unknown). */
static uint64_t birth_of(HANDLE th)
{
    FILETIME c, e, k, u;
    if (!GetThreadTimes(th, &c, &e, &k, &u))
        return 0;
    return (uint64_t)c.dwHighDateTime << 32 | c.dwLowDateTime;
}

/* A failed wait (WAIT_FAILED) as an MMF_E* code. */
static int wait_error(DWORD e)
{
    /* A recursion count at the kernel's limit. */
    if (e == (DWORD)ERROR_MUTANT_LIMIT_EXCEEDED)
        return MMF_EOVERFLOW;
    return mmf__win_err(e);
}

DWORD mmf__win_sync_access(uint32_t type)
{
    switch (type) {
    case MMF__TYPE_MUTEX:
        return SYNCHRONIZE | MUTANT_QUERY_STATE;
    case MMF__TYPE_EVENT:
        return SYNCHRONIZE | EVENT_QUERY_STATE | EVENT_MODIFY_STATE;
    case MMF__TYPE_SEMAPHORE:
        return SYNCHRONIZE | SEMAPHORE_QUERY_STATE | SEMAPHORE_MODIFY_STATE;
    default:
        return 0;
    }
}

/* ---- Create and open ---------------------------------------------------- */

int mmf__win_sync_create(const WCHAR *name, const struct mmf__sync_params *p,
                         int disposition, SECURITY_ATTRIBUTES *sa, HANDLE *h)
{
    DWORD access = mmf__win_sync_access(p->type), e;
    HANDLE x;

    *h = NULL;
    SetLastError(ERROR_SUCCESS);
    switch (p->type) {
    case MMF__TYPE_MUTEX:
        /* On an existing name the initial ownership is not taken: mmf.h
         * promises exactly that ("initially_owned is ignored"). */
        x = CreateMutexExW(sa, name, p->own ? CREATE_MUTEX_INITIAL_OWNER : 0, access);
        break;
    case MMF__TYPE_EVENT:
        x = CreateEventExW(sa, name,
                           (p->manual ? CREATE_EVENT_MANUAL_RESET : 0u) |
                               (p->initial ? CREATE_EVENT_INITIAL_SET : 0u),
                           access);
        break;
    case MMF__TYPE_SEMAPHORE:
        x = CreateSemaphoreExW(sa, p->count, p->max, name, 0, access);
        break;
    default:
        return MMF_EINVAL;
    }
    e = GetLastError();
    if (x == NULL)
        return mmf__win_err(e); /* ERROR_INVALID_HANDLE: another type */
    if (name != NULL && e == ERROR_ALREADY_EXISTS) {
        if (disposition == MMF_CREATE_NEW) {
            CloseHandle(x);
            return MMF_EEXIST;
        }
        *h = x;
        return MMF_EXISTED;
    }
    *h = x;
    return 0;
}

int mmf__win_sync_open(const WCHAR *name, uint32_t type, HANDLE *h)
{
    DWORD access = mmf__win_sync_access(type);
    HANDLE x;

    *h = NULL;
    switch (type) {
    case MMF__TYPE_MUTEX:
        x = OpenMutexW(access, FALSE, name);
        break;
    case MMF__TYPE_EVENT:
        x = OpenEventW(access, FALSE, name);
        break;
    case MMF__TYPE_SEMAPHORE:
        x = OpenSemaphoreW(access, FALSE, name);
        break;
    default:
        return MMF_EINVAL;
    }
    if (x == NULL)
        return mmf__win_err(GetLastError());
    *h = x;
    return 0;
}

void mmf__os_sync_discard(struct mmf__sync_params *p)
{
    /* The kernel created the object whole; nothing was kept aside. */
    (void)p;
}

/* ---- Maps --------------------------------------------------------------- */

/* The map of the object behind h, named `name` (full name, "" if
 * unnamed), of this process, or NULL. Table lock held. */
static struct mmf__syncmap *map_find(HANDLE h, const char *name)
{
    const char *key = key_of(name);

    if (name[0] != '\0') {
        struct mmf__syncmap *m;
        for (m = table[bucket_of(key)]; m != NULL; m = m->next) {
            if (strcmp(m->name, name) == 0)
                return m; /* a name held open is one object */
        }
        for (m = table[bucket_of(key)]; m != NULL; m = m->next) {
            if (m->name[0] != '\0' && strcmp(key_of(m->name), key) == 0 &&
                same_object(m->h, h))
                return m;
        }
        return NULL;
    }
    /* A handle without a name to go by: most likely a duplicate of an
     * unnamed object (those share one chain), but it may be a named
     * object reached by its handle, so every map is a candidate. */
    {
        size_t first = bucket_of("");
        struct mmf__syncmap *m;
        for (m = table[first]; m != NULL; m = m->next) {
            if (m->name[0] == '\0' && same_object(m->h, h))
                return m;
        }
        for (size_t b = 0; b < NBUCKETS; b++) {
            for (m = table[b]; m != NULL; m = m->next) {
                if ((b != first || m->name[0] != '\0') && same_object(m->h, h))
                    return m;
            }
        }
    }
    return NULL;
}

int mmf__os_sync_attach(mmf__obj *o, uint32_t type, struct mmf__sync_params *p,
                        mmf__syncmap **out)
{
    const struct mmf__hdr *hdr = mmf__os_obj_hdr(o);
    const char *name = "";
    struct mmf__syncmap *m;
    size_t len;
    int rc = 0;

    *out = NULL;
    if (hdr != NULL && hdr->name[0] != '\0')
        name = hdr->name;
    len = strnlen(name, MMF__NAME_BYTES - 1);
    mmf__os_lock();
    /* An object this call created (p is given then) has no map yet. */
    m = p == NULL ? map_find(o->h, name) : NULL;
    if (m != NULL) {
        if (m->type != type) {
            rc = MMF_ECORRUPT;
        } else {
            m->refs++;
            *out = m;
        }
        mmf__os_unlock();
        goto done;
    }
    if ((m = calloc(1, sizeof *m + len + 1)) == NULL) {
        mmf__os_unlock();
        rc = MMF_ENOMEM;
        goto done;
    }
    if (!DuplicateHandle(GetCurrentProcess(), o->h, GetCurrentProcess(), &m->h, 0,
                         FALSE, DUPLICATE_SAME_ACCESS)) {
        rc = mmf__win_err(GetLastError());
        mmf__os_unlock();
        free(m);
        goto done;
    }
    m->type = type;
    m->refs = 1;
    memcpy(m->name, name, len);
    m->name[len] = '\0';
    m->bucket = bucket_of(key_of(m->name));
    m->next = table[m->bucket];
    table[m->bucket] = m;
    mmf__os_unlock();
    *out = m;
done:
    /* A new mutex this thread owns but cannot hand out is given back,
     * as the core's discard would on another system. */
    if (rc < 0 && p != NULL && p->type == MMF__TYPE_MUTEX && p->own)
        ReleaseMutex(o->h);
    return rc;
}

void mmf__os_sync_detach(mmf__syncmap *m)
{
    struct mmf__syncmap **pp;

    mmf__os_lock();
    if (--m->refs > 0) {
        mmf__os_unlock();
        return;
    }
    for (pp = &table[m->bucket]; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    }
    mmf__os_unlock();
    /* Closing neither releases nor abandons a mutex we own: the kernel
     * keeps that with the thread. */
    CloseHandle(m->h);
    free(m);
}

/* ---- Mutexes ------------------------------------------------------------ */

/* The calling thread acquired the mutex of m abandoned. */
static void mark_abandoned(struct mmf__syncmap *m)
{
    ST(m->ab_birth, birth_of(GetCurrentThread()));
    ST(m->ab_tid, GetCurrentThreadId());
}

/* 1 if the abandoned mark of m still names a live thread of this process
 * that has not released the mutex (the mutex being owned, as `basic`
 * says). */
static int mark_holds(struct mmf__syncmap *m, const struct mmf__win_mutant_basic *basic)
{
    DWORD tid = LD(m->ab_tid);
    uint64_t birth = LD(m->ab_birth);
    HANDLE th;
    int alive;

    if (tid == 0 || basic->CurrentCount > 0)
        return 0;
    if (tid == GetCurrentThreadId())
        return basic->OwnedByCaller && birth == birth_of(GetCurrentThread());
    th = OpenThread(SYNCHRONIZE | THREAD_QUERY_LIMITED_INFORMATION, FALSE, tid);
    if (th == NULL)
        return 0;
    alive = GetProcessIdOfThread(th) == GetCurrentProcessId() && birth_of(th) == birth &&
            WaitForSingleObject(th, 0) == WAIT_TIMEOUT;
    CloseHandle(th);
    return alive;
}

int mmf__os_mutex_lock(mmf__syncmap *m, long long timeout_ms)
{
    switch (WaitForSingleObject(m->h, ms_of(timeout_ms))) {
    case WAIT_OBJECT_0:
        return 0;
    case WAIT_ABANDONED:
        mark_abandoned(m);
        return MMF_ABANDONED;
    case WAIT_TIMEOUT:
        return MMF_ETIMEDOUT;
    default:
        return wait_error(GetLastError());
    }
}

int mmf__os_mutex_unlock(mmf__syncmap *m)
{
    if (LD(m->ab_tid) == GetCurrentThreadId()) {
        /* The owner that took it abandoned: its final release clears the
         * mark (before the release, so that no later mark is lost). */
        struct mmf__win_mutant_basic b;
        if (NtQueryMutant(m->h, MMF__WIN_MUTANT_BASIC, &b, sizeof b, NULL) >= 0 &&
            b.OwnedByCaller && b.CurrentCount == 0)
            ST(m->ab_tid, 0);
    }
    if (!ReleaseMutex(m->h)) {
        DWORD e = GetLastError();
        return e == ERROR_NOT_OWNER ? MMF_ENOTOWNER : mmf__win_err(e);
    }
    return 0;
}

/* ---- Events and semaphores ---------------------------------------------- */

int mmf__os_event_op(mmf__syncmap *m, int op)
{
    LONG prev = 0;
    NTSTATUS st;

    switch (op) {
    case MMF__EV_SET:
        st = NtSetEvent(m->h, &prev);
        break;
    case MMF__EV_RESET:
        st = NtResetEvent(m->h, &prev);
        break;
    default:
        st = NtPulseEvent(m->h, &prev);
        break;
    }
    if (st < 0)
        return mmf__win_status(st);
    return prev != 0;
}

int mmf__os_semaphore_release(mmf__syncmap *m, int32_t count, int32_t *prev)
{
    LONG p = 0;

    if (!ReleaseSemaphore(m->h, count, &p)) {
        DWORD e = GetLastError();
        return e == ERROR_TOO_MANY_POSTS ? MMF_EOVERFLOW : mmf__win_err(e);
    }
    *prev = p;
    return 0;
}

/* ---- Waits -------------------------------------------------------------- */

int mmf__os_sync_wait(mmf__syncmap *const maps[], size_t n, int all,
                      long long timeout_ms)
{
    HANDLE hs[MMF_WAIT_MAX];
    uint8_t was_abandoned[MMF_WAIT_MAX];
    size_t mutexes = 0, first_mutex = n, i;
    DWORD r;

    if (n == 0 || n > MMF_WAIT_MAX)
        return MMF_EINVAL;
    memset(was_abandoned, 0, n);
    for (i = 0; i < n; i++) {
        hs[i] = maps[i]->h;
        if (maps[i]->type == MMF__TYPE_MUTEX) {
            mutexes++;
            if (first_mutex == n)
                first_mutex = i;
        }
    }
    /* A wait-all does not say which mutex was abandoned: note which were
     * before waiting (one alone needs no asking). */
    if (all && mutexes > 1) {
        for (i = 0; i < n; i++) {
            struct mmf__win_mutant_basic b;
            if (maps[i]->type == MMF__TYPE_MUTEX &&
                NtQueryMutant(hs[i], MMF__WIN_MUTANT_BASIC, &b, sizeof b, NULL) >= 0)
                was_abandoned[i] = b.AbandonedState != 0;
        }
    }
    r = WaitForMultipleObjects((DWORD)n, hs, all ? TRUE : FALSE, ms_of(timeout_ms));
    if (r < WAIT_OBJECT_0 + n)
        return all ? 0 : (int)(r - WAIT_OBJECT_0);
    if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + n) {
        size_t k = r - WAIT_ABANDONED_0;
        if (all) {
            /* The lowest mutex that was abandoned before the wait; if none
             * was, it became so during the wait: the kernel's index if it
             * is a mutex, else the first mutex. */
            size_t low = n;
            for (i = 0; i < n; i++) {
                if (was_abandoned[i]) {
                    if (low == n)
                        low = i;
                    mark_abandoned(maps[i]);
                }
            }
            if (low == n)
                low = maps[k]->type == MMF__TYPE_MUTEX ? k : first_mutex;
            if (low == n)
                return MMF_ABANDONED; /* cannot be: no mutex in the set */
            k = low;
        }
        mark_abandoned(maps[k]);
        return MMF_ABANDONED + (int)k;
    }
    if (r == WAIT_TIMEOUT)
        return MMF_ETIMEDOUT;
    return wait_error(GetLastError());
}

/* ---- Information -------------------------------------------------------- */

int mmf__os_sync_query(mmf__syncmap *m, mmf_sync_info *info)
{
    NTSTATUS st;

    switch (m->type) {
    case MMF__TYPE_MUTEX: {
        struct mmf__win_mutant_basic b;
        struct mmf__win_mutant_owner ow;
        if ((st = NtQueryMutant(m->h, MMF__WIN_MUTANT_BASIC, &b, sizeof b, NULL)) < 0)
            return mmf__win_status(st);
        info->abandoned = b.AbandonedState != 0 || mark_holds(m, &b);
        if (b.CurrentCount > 0)
            return 0; /* free */
        info->recursion = (unsigned long)(1 - (long long)b.CurrentCount);
        if (b.OwnedByCaller) {
            info->owner_pid = GetCurrentProcessId();
            info->owner_tid = GetCurrentThreadId();
        } else if (NtQueryMutant(m->h, MMF__WIN_MUTANT_OWNER, &ow, sizeof ow, NULL) >= 0) {
            info->owner_pid = (int64_t)(uintptr_t)ow.ClientId.UniqueProcess;
            info->owner_tid = (int64_t)(uintptr_t)ow.ClientId.UniqueThread;
        } else {
            info->owner_pid = MMF__WIN_UNKNOWN_ID;
            info->owner_tid = MMF__WIN_UNKNOWN_ID;
        }
        return 0;
    }
    case MMF__TYPE_EVENT: {
        struct mmf__win_event_basic b;
        if ((st = NtQueryEvent(m->h, MMF__WIN_EVENT_BASIC, &b, sizeof b, NULL)) < 0)
            return mmf__win_status(st);
        info->manual_reset = b.EventType == 0;
        info->signaled = b.EventState != 0;
        info->waiters = MMF__WIN_UNKNOWN_WAITERS;
        return 0;
    }
    default: {
        struct mmf__win_sem_basic b;
        if ((st = NtQuerySemaphore(m->h, MMF__WIN_SEM_BASIC, &b, sizeof b, NULL)) < 0)
            return mmf__win_status(st);
        info->count = b.CurrentCount;
        info->maximum = b.MaximumCount;
        info->waiters = MMF__WIN_UNKNOWN_WAITERS;
        return 0;
    }
    }
}
