/* SPDX-License-Identifier: MIT */
/*
 * handle.c - the process-wide handle table, access masks, CloseHandle and
 * DuplicateHandle.
 *
 * A HANDLE is (index + 1) * 4: a small integer, never NULL, never one of
 * the negative pseudo-handles, and with its two low bits free because
 * Windows ignores them (O07). Entries live in chunks that are never freed,
 * so a lookup of any value, however wrong, reads only table memory; the
 * kind byte tells free from used. Freed entries are reused first-in
 * first-out, so a closed value stays invalid for as long as possible.
 *
 * An entry in use by a call is counted in `users`: CloseHandle during a
 * wait on another thread marks the entry closed (new lookups fail) and the
 * last user releases the native handle. Windows keeps the object alive
 * the same way while a wait holds a reference to it.
 */
#include <stdlib.h>
#include <unistd.h>

#include "w32.h"

#define CHUNK_SHIFT 10
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define MAX_CHUNKS 4096u /* 4 Mi handles */
#define NONE UINT32_MAX

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct w32_entry *chunks[MAX_CHUNKS];
static uint32_t nchunks;
static uint32_t free_head = NONE, free_tail = NONE;

static struct w32_entry *entry_at(uint32_t idx)
{
    return &chunks[idx >> CHUNK_SHIFT][idx & (CHUNK_SIZE - 1)];
}

static HANDLE value_of(uint32_t idx)
{
    return (HANDLE)(((uintptr_t)idx + 1) << 2);
}

/* The entry of a handle value, or NULL if it cannot be one. Call with the
 * lock held. */
static struct w32_entry *lookup(HANDLE h, uint32_t *idx_out)
{
    uintptr_t v = (uintptr_t)h >> 2;
    uint32_t idx;

    if (v == 0 || v > (uintptr_t)nchunks * CHUNK_SIZE)
        return NULL;
    idx = (uint32_t)(v - 1);
    if (idx_out != NULL)
        *idx_out = idx;
    return entry_at(idx);
}

static void push_free(uint32_t idx)
{
    struct w32_entry *e = entry_at(idx);
    e->kind = W32_FREE;
    e->closing = 0;
    e->flags = 0;
    e->users = 0;
    e->access = 0;
    e->next_free = NONE;
    if (free_tail == NONE)
        free_head = idx;
    else
        entry_at(free_tail)->next_free = idx;
    free_tail = idx;
}

HANDLE mmf__w32_new(enum w32_kind kind, DWORD access, union w32_payload u)
{
    struct w32_entry *e;
    uint32_t idx;

    pthread_mutex_lock(&table_lock);
    if (free_head == NONE) {
        struct w32_entry *c;
        if (nchunks == MAX_CHUNKS ||
            (c = calloc(CHUNK_SIZE, sizeof *c)) == NULL) {
            pthread_mutex_unlock(&table_lock);
            return NULL;
        }
        chunks[nchunks++] = c;
        for (uint32_t i = 0; i < CHUNK_SIZE; i++) {
            c[i].index = (nchunks - 1) * CHUNK_SIZE + i;
            push_free(c[i].index);
        }
    }
    idx = free_head;
    e = entry_at(idx);
    free_head = e->next_free;
    if (free_head == NONE)
        free_tail = NONE;
    e->kind = (uint8_t)kind;
    e->closing = 0;
    e->flags = 0;
    e->users = 0;
    e->access = access;
    e->u = u;
    pthread_mutex_unlock(&table_lock);
    return value_of(idx);
}

/* Grow the table until it has the index idx. Call with the lock held.
 * Returns 0, or -1 when idx is past the largest table or out of memory. */
static int grow_to(uint32_t idx)
{
    while ((idx >> CHUNK_SHIFT) >= nchunks) {
        struct w32_entry *c;
        if (nchunks == MAX_CHUNKS || (c = calloc(CHUNK_SIZE, sizeof *c)) == NULL)
            return -1;
        chunks[nchunks++] = c;
        for (uint32_t i = 0; i < CHUNK_SIZE; i++) {
            c[i].index = (nchunks - 1) * CHUNK_SIZE + i;
            push_free(c[i].index);
        }
    }
    return 0;
}

int mmf__w32_place(uintptr_t value, enum w32_kind kind, DWORD access,
                   union w32_payload u)
{
    struct w32_entry *e;
    uintptr_t v = value >> 2;
    int rc = -1;

    /* A value the parent made: a nonzero multiple of 4 inside the table's
     * largest size. */
    if ((value & 3) != 0 || v == 0 || v > (uintptr_t)MAX_CHUNKS * CHUNK_SIZE)
        return -1;
    pthread_mutex_lock(&table_lock);
    if (grow_to((uint32_t)(v - 1)) == 0) {
        e = entry_at((uint32_t)(v - 1));
        if (e->kind == W32_FREE) {
            e->kind = (uint8_t)kind;
            e->closing = 0;
            e->flags = HANDLE_FLAG_INHERIT; /* inherited handles stay so */
            e->users = 0;
            e->access = access;
            e->u = u;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}

void mmf__w32_place_done(void)
{
    /* The free list still holds the placed entries: make it anew from the
     * free ones, lowest value first. */
    pthread_mutex_lock(&table_lock);
    free_head = free_tail = NONE;
    for (uint32_t i = 0; i < nchunks * CHUNK_SIZE; i++) {
        struct w32_entry *e = entry_at(i);
        if (e->kind == W32_FREE)
            push_free(i);
    }
    pthread_mutex_unlock(&table_lock);
}

int mmf__w32_each_inheritable(int (*fn)(HANDLE, const struct w32_entry *, void *),
                              void *arg)
{
    int rc = 0;

    pthread_mutex_lock(&table_lock);
    for (uint32_t i = 0; i < nchunks * CHUNK_SIZE && rc == 0; i++) {
        struct w32_entry *e = entry_at(i);
        if (e->kind != W32_FREE && !e->closing && (e->flags & HANDLE_FLAG_INHERIT))
            rc = fn(value_of(i), e, arg);
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}

HANDLE mmf__w32_inherit(HANDLE h, BOOL inherit)
{
    struct w32_entry *e;

    if (h == NULL || !inherit)
        return h;
    pthread_mutex_lock(&table_lock);
    if ((e = lookup(h, NULL)) != NULL && e->kind != W32_FREE)
        e->flags |= HANDLE_FLAG_INHERIT;
    pthread_mutex_unlock(&table_lock);
    return h;
}

HANDLE mmf__w32_inherit_sa(HANDLE h, const SECURITY_ATTRIBUTES *sa)
{
    return mmf__w32_inherit(h, sa != NULL && sa->bInheritHandle);
}

/* The handles a parent passed are read before main() runs. */
__attribute__((constructor)) static void load_inherited(void)
{
    mmf__w32_inherit_load();
}

struct w32_entry *mmf__w32_get(HANDLE h, unsigned kinds, DWORD *err)
{
    struct w32_entry *e;

    pthread_mutex_lock(&table_lock);
    e = lookup(h, NULL);
    if (e == NULL || e->kind == W32_FREE || e->closing ||
        !(kinds & W32_K(e->kind))) {
        pthread_mutex_unlock(&table_lock);
        *err = ERROR_INVALID_HANDLE;
        return NULL;
    }
    e->users++;
    pthread_mutex_unlock(&table_lock);
    return e;
}

/* Free the entry e (index idx) once closed and unused; returns 1 and its
 * payload if it was freed. Call with the lock held. */
static int reap(struct w32_entry *e, uint32_t idx, enum w32_kind *kind,
                union w32_payload *u)
{
    if (!e->closing || e->users != 0)
        return 0;
    *kind = (enum w32_kind)e->kind;
    *u = e->u;
    push_free(idx);
    return 1;
}

void mmf__w32_put(struct w32_entry *e)
{
    enum w32_kind kind = W32_FREE;
    union w32_payload u;
    int freed;

    pthread_mutex_lock(&table_lock);
    e->users--;
    freed = e->closing && e->users == 0 && reap(e, e->index, &kind, &u);
    pthread_mutex_unlock(&table_lock);
    if (freed)
        mmf__w32_payload_release(kind, u);
}

void mmf__w32_payload_release(enum w32_kind kind, union w32_payload u)
{
    switch (kind) {
    case W32_SECTION:
        mmf_section_close(u.section);
        break;
    case W32_MUTEX:
    case W32_EVENT:
    case W32_SEMAPHORE:
        mmf_sync_close(u.sync);
        break;
    case W32_FILE:
        if (__atomic_fetch_sub(&u.file->refs, 1, __ATOMIC_ACQ_REL) == 1) {
            close(u.file->fd);
            if (u.file->unlink_path != NULL) {
                unlink(u.file->unlink_path);
                free(u.file->unlink_path);
            }
            free(u.file);
        }
        break;
    case W32_THREAD:
        mmf__w32_thread_unref(u.thread);
        break;
    case W32_PROCESS:
        mmf__w32_process_unref(u.process);
        break;
    case W32_TIMER:
        mmf__w32_timer_unref(u.timer);
        break;
    default:
        break;
    }
}

static int is_pseudo(HANDLE h)
{
    return h == W32_PSEUDO_PROCESS || h == W32_PSEUDO_THREAD;
}

/* Close h. Returns 0 or ERROR_INVALID_HANDLE. */
static DWORD close_handle(HANDLE h)
{
    enum w32_kind kind = W32_FREE;
    union w32_payload u;
    struct w32_entry *e;
    uint32_t idx = 0;
    int freed;

    pthread_mutex_lock(&table_lock);
    e = lookup(h, &idx);
    if (e == NULL || e->kind == W32_FREE || e->closing ||
        (e->flags & HANDLE_FLAG_PROTECT_FROM_CLOSE)) {
        pthread_mutex_unlock(&table_lock);
        return ERROR_INVALID_HANDLE;
    }
    e->closing = 1;
    freed = reap(e, idx, &kind, &u);
    pthread_mutex_unlock(&table_lock);
    if (freed)
        mmf__w32_payload_release(kind, u);
    return 0;
}

BOOL WINAPI CloseHandle(HANDLE hObject)
{
    DWORD err;

    if (is_pseudo(hObject))
        return TRUE; /* closing a pseudo-handle has no effect */
    if ((err = close_handle(hObject)) != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

HANDLE WINAPI GetCurrentProcess(void)
{
    return W32_PSEUDO_PROCESS;
}

HANDLE WINAPI GetCurrentThread(void)
{
    return W32_PSEUDO_THREAD;
}

/* ------------------------------------------------------------------------ */
/* Access masks                                                              */
/* ------------------------------------------------------------------------ */

/* What the generic rights mean for each kind (Windows' GENERIC_MAPPING of
 * the object type), and all access. */
struct generic_map {
    DWORD read, write, execute, all;
};

static const struct generic_map maps[W32_KINDS] = {
    [W32_SECTION] = {STANDARD_RIGHTS_READ | SECTION_QUERY | SECTION_MAP_READ,
                     STANDARD_RIGHTS_WRITE | SECTION_MAP_WRITE,
                     STANDARD_RIGHTS_EXECUTE | SECTION_MAP_EXECUTE,
                     SECTION_ALL_ACCESS | SECTION_MAP_EXECUTE_EXPLICIT},
    [W32_FILE] = {FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
                  FILE_ALL_ACCESS},
    [W32_MUTEX] = {STANDARD_RIGHTS_READ | MUTANT_QUERY_STATE,
                   STANDARD_RIGHTS_WRITE,
                   STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, MUTANT_ALL_ACCESS},
    [W32_EVENT] = {STANDARD_RIGHTS_READ | EVENT_QUERY_STATE,
                   STANDARD_RIGHTS_WRITE | EVENT_MODIFY_STATE,
                   STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, EVENT_ALL_ACCESS},
    [W32_SEMAPHORE] = {STANDARD_RIGHTS_READ | SEMAPHORE_QUERY_STATE,
                       STANDARD_RIGHTS_WRITE | SEMAPHORE_MODIFY_STATE,
                       STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
                       SEMAPHORE_ALL_ACCESS},
    [W32_THREAD] = {STANDARD_RIGHTS_READ | THREAD_QUERY_INFORMATION | 0x0008,
                    STANDARD_RIGHTS_WRITE | 0x0032,
                    STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE | THREAD_QUERY_LIMITED_INFORMATION,
                    THREAD_ALL_ACCESS},
    [W32_PROCESS] = {STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION,
                     STANDARD_RIGHTS_WRITE | 0x0BEA,
                     STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE |
                         PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_TERMINATE,
                     PROCESS_ALL_ACCESS},
    [W32_TIMER] = {STANDARD_RIGHTS_READ | TIMER_QUERY_STATE,
                   STANDARD_RIGHTS_WRITE | TIMER_MODIFY_STATE,
                   STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, TIMER_ALL_ACCESS},
};

DWORD mmf__w32_map_access(enum w32_kind kind, DWORD access)
{
    const struct generic_map *m = &maps[kind];
    DWORD a = access & ~(DWORD)(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE |
                                GENERIC_ALL | MAXIMUM_ALLOWED);
    if (access & GENERIC_READ)
        a |= m->read;
    if (access & GENERIC_WRITE)
        a |= m->write;
    if (access & GENERIC_EXECUTE)
        a |= m->execute;
    if (access & (GENERIC_ALL | MAXIMUM_ALLOWED))
        a |= m->all;
    return a;
}

DWORD mmf__w32_all_access(enum w32_kind kind)
{
    return maps[kind].all;
}

DWORD mmf__w32_check_open_access(enum w32_kind kind, DWORD access)
{
    /* Asking for nothing is refused (Q03); ACCESS_SYSTEM_SECURITY needs a
     * privilege nobody has here (Q09); a right the object type does not
     * define cannot be granted (Q09). */
    if (access == 0)
        return ERROR_ACCESS_DENIED;
    if (access & ACCESS_SYSTEM_SECURITY)
        return ERROR_PRIVILEGE_NOT_HELD;
    if (mmf__w32_map_access(kind, access) & ~maps[kind].all)
        return ERROR_ACCESS_DENIED;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* DuplicateHandle                                                           */
/* ------------------------------------------------------------------------ */

/* A second payload for the object of e with the (mapped) access. */
static DWORD dup_payload(const struct w32_entry *e, DWORD access,
                         union w32_payload *out)
{
    int rc;

    switch (e->kind) {
    case W32_SECTION:
        rc = mmf__w32_section_dup(e->u.section, e->access, access, &out->section);
        return rc < 0 ? mmf__w32_error(rc) : 0;
    case W32_MUTEX:
    case W32_EVENT:
    case W32_SEMAPHORE:
        rc = mmf_sync_duplicate(e->u.sync, &out->sync);
        return rc < 0 ? mmf__w32_error(rc) : 0;
    case W32_FILE:
        __atomic_fetch_add(&e->u.file->refs, 1, __ATOMIC_RELAXED);
        out->file = e->u.file;
        return 0;
    case W32_THREAD:
        mmf__w32_thread_ref(e->u.thread);
        out->thread = e->u.thread;
        return 0;
    case W32_PROCESS:
        mmf__w32_process_ref(e->u.process);
        out->process = e->u.process;
        return 0;
    case W32_TIMER:
        mmf__w32_timer_ref(e->u.timer);
        out->timer = e->u.timer;
        return 0;
    default:
        return ERROR_INVALID_HANDLE;
    }
}

/* Duplicate h (not a pseudo-handle) into *target. */
static DWORD dup_handle(HANDLE h, LPHANDLE target, DWORD access, DWORD options)
{
    union w32_payload u;
    struct w32_entry *e;
    enum w32_kind kind;
    DWORD err;

    if ((e = mmf__w32_get(h, W32_ANY_KIND, &err)) == NULL)
        return err;
    kind = (enum w32_kind)e->kind;
    if (options & DUPLICATE_SAME_ACCESS) {
        access = e->access;
    } else {
        /* Access 0 is allowed here (such a handle keeps the object alive
         * and can do nothing else, H10). */
        if (access != 0 && (err = mmf__w32_check_open_access(kind, access)) != 0) {
            mmf__w32_put(e);
            return err;
        }
        access = mmf__w32_map_access(kind, access);
    }
    if (target == NULL) { /* allowed; the duplicate would be lost anyway */
        mmf__w32_put(e);
        return 0;
    }
    err = dup_payload(e, access, &u);
    mmf__w32_put(e);
    if (err != 0)
        return err;
    if ((*target = mmf__w32_new(kind, access, u)) == NULL) {
        mmf__w32_payload_release(kind, u);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    return 0;
}

/* A real handle to the calling thread (from GetCurrentThread()). */
static DWORD dup_self_thread(LPHANDLE target, DWORD access, DWORD options)
{
    union w32_payload u;

    if (options & DUPLICATE_SAME_ACCESS)
        access = THREAD_ALL_ACCESS;
    else
        access = mmf__w32_map_access(W32_THREAD, access);
    if (target == NULL)
        return 0;
    if ((u.thread = mmf__w32_thread_self()) == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    if ((*target = mmf__w32_new(W32_THREAD, access, u)) == NULL) {
        mmf__w32_thread_unref(u.thread);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    return 0;
}

/* A real handle to the calling process (from GetCurrentProcess()). */
static DWORD dup_self_process(LPHANDLE target, DWORD access, DWORD options)
{
    union w32_payload u;

    if (options & DUPLICATE_SAME_ACCESS)
        access = PROCESS_ALL_ACCESS;
    else
        access = mmf__w32_map_access(W32_PROCESS, access);
    if (target == NULL)
        return 0;
    if ((u.process = mmf__w32_process_self()) == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    if ((*target = mmf__w32_new(W32_PROCESS, access, u)) == NULL) {
        mmf__w32_process_unref(u.process);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    return 0;
}

/*
 * Which process a process handle of DuplicateHandle names: 0 this one
 * (the pseudo-handle, or a real handle to this process), 1 another one,
 * or a Win32 error through *err (not a process handle).
 */
static int other_process(HANDLE h, DWORD *err)
{
    struct w32_entry *e;
    int other;

    *err = 0;
    if (h == W32_PSEUDO_PROCESS)
        return 0;
    if ((e = mmf__w32_get(h, W32_K(W32_PROCESS), err)) == NULL)
        return 0;
    other = mmf__w32_process_pid(e->u.process) != (DWORD)getpid();
    mmf__w32_put(e);
    return other;
}

/*
 * NOTE: a handle is an entry in the table of the process that uses it,
 * which lives in that process's memory. Windows' kernel writes into the
 * target's table; on Linux nothing can write into another process's memory
 * without its cooperation (or a debugger's rights), and no façade process
 * runs a thread that waits for handles to arrive. So duplicating from or
 * into another process fails as it does on Windows for a process handle
 * without PROCESS_DUP_HANDLE: ERROR_ACCESS_DENIED. Handles reach a child
 * by inheritance (CreateProcess with bInheritHandles), at the same values.
 */
BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle,
                            HANDLE hTargetProcessHandle, LPHANDLE lpTargetHandle,
                            DWORD dwDesiredAccess, BOOL bInheritHandle,
                            DWORD dwOptions)
{
    DWORD err = 0, perr;
    int src_other, dst_other;

    src_other = other_process(hSourceProcessHandle, &perr);
    if (perr == 0)
        dst_other = other_process(hTargetProcessHandle, &err);
    else
        dst_other = 0;
    if (perr != 0) {
        err = perr; /* the source process handle is bad */
    } else if (dwOptions & ~(DWORD)(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS)) {
        err = ERROR_INVALID_PARAMETER;
    } else if (err != 0) {
        /* a bad target process handle */
    } else if (src_other || dst_other) {
        err = ERROR_ACCESS_DENIED; /* see the note above */
    } else if (hSourceHandle == W32_PSEUDO_THREAD) {
        err = dup_self_thread(lpTargetHandle, dwDesiredAccess, dwOptions);
    } else if (hSourceHandle == W32_PSEUDO_PROCESS) {
        err = dup_self_process(lpTargetHandle, dwDesiredAccess, dwOptions);
    } else {
        err = dup_handle(hSourceHandle, lpTargetHandle, dwDesiredAccess, dwOptions);
    }
    if (err == 0 && lpTargetHandle != NULL)
        mmf__w32_inherit(*lpTargetHandle, bInheritHandle);
    /* The source is closed even when the duplication failed (O03). */
    if ((dwOptions & DUPLICATE_CLOSE_SOURCE) && perr == 0 && !src_other &&
        !is_pseudo(hSourceHandle)) {
        DWORD cerr = close_handle(hSourceHandle);
        if (err == 0)
            err = cerr;
    }
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI GetHandleInformation(HANDLE hObject, LPDWORD lpdwFlags)
{
    struct w32_entry *e;
    DWORD err;

    if ((e = mmf__w32_get(hObject, W32_ANY_KIND, &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    *lpdwFlags = e->flags;
    mmf__w32_put(e);
    return TRUE;
}

BOOL WINAPI SetHandleInformation(HANDLE hObject, DWORD dwMask, DWORD dwFlags)
{
    const DWORD known = HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE;
    struct w32_entry *e;

    pthread_mutex_lock(&table_lock);
    e = lookup(hObject, NULL);
    if (e == NULL || e->kind == W32_FREE || e->closing) {
        pthread_mutex_unlock(&table_lock);
        mmf__w32_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    e->flags = (uint8_t)((e->flags & ~(dwMask & known)) | (dwFlags & dwMask & known));
    pthread_mutex_unlock(&table_lock);
    return TRUE;
}
