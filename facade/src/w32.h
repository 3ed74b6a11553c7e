/* SPDX-License-Identifier: MIT */
/*
 * w32.h - what the files of the Win32 façade (facade/src/) share: the
 * handle table, the error mapping and the string conversion.
 *
 * The façade only translates: it maps Win32 arguments onto the native API
 * (mmf.h), native MMF_E* codes onto Win32 errors, and keeps the table that
 * turns HANDLE values into native handles. A HANDLE's access mask is a
 * property of the table entry, as it is of a Windows handle, and is
 * checked here; every behaviour of the objects themselves is the native
 * API's.
 *
 * NOTE: every function declared here is external in the static library,
 * where an application's own symbols meet it, so each is named mmf__w32_*;
 * an un-prefixed name (w32_get, ...) could collide with a program's. The
 * shared library exports the Win32 names only (src/mmf_win32.map).
 */
#ifndef MMF_W32_H
#define MMF_W32_H

#include <pthread.h>

#include "mmf.h"
#include "mmf/win32.h"

/* ------------------------------------------------------------------------ */
/* Handle table (handle.c)                                                   */
/* ------------------------------------------------------------------------ */

enum w32_kind {
    W32_FREE = 0,
    W32_SECTION,
    W32_FILE,
    W32_MUTEX,
    W32_EVENT,
    W32_SEMAPHORE,
    W32_THREAD,
    W32_PROCESS,
    W32_TIMER,
    W32_KINDS
};

#define W32_K(kind) (1u << (kind))
#define W32_SYNC_KINDS (W32_K(W32_MUTEX) | W32_K(W32_EVENT) | W32_K(W32_SEMAPHORE))
#define W32_WAITABLE (W32_SYNC_KINDS | W32_K(W32_THREAD) | W32_K(W32_PROCESS) | \
                      W32_K(W32_FILE) | W32_K(W32_TIMER))
#define W32_ANY_KIND 0xFFFFu

/* The pseudo-handles of the current process and thread. */
#define W32_PSEUDO_PROCESS ((HANDLE)(intptr_t)-1)
#define W32_PSEUDO_THREAD ((HANDLE)(intptr_t)-2)

/* A file, shared by a handle and its duplicates (as Windows' file object:
 * one position, one delete-on-close). */
struct w32_file {
    unsigned refs;          /* atomic */
    int fd;
    char *unlink_path;      /* FILE_FLAG_DELETE_ON_CLOSE, or NULL */
};

/* A thread made by CreateThread (or the caller, once DuplicateHandle made a
 * handle of GetCurrentThread()); see thread.c. */
struct w32_thread;

/* A process started by CreateProcess or opened by OpenProcess; see
 * process.c. */
struct w32_process;

/* A waitable timer; see timer.c. */
struct w32_timer;

/* What a handle refers to. */
union w32_payload {
    mmf_section *section;
    mmf_sync *sync;
    struct w32_file *file;
    struct w32_thread *thread;
    struct w32_process *process;
    struct w32_timer *timer;
};

/* One table entry. Entries live in chunks that never move or go away, so a
 * pointer from mmf__w32_get() stays valid until mmf__w32_put(). */
struct w32_entry {
    uint8_t kind;           /* enum w32_kind */
    uint8_t closing;        /* CloseHandle called; destroyed at users == 0 */
    uint8_t flags;          /* HANDLE_FLAG_INHERIT, HANDLE_FLAG_PROTECT_FROM_CLOSE */
    uint32_t users;         /* mmf__w32_get() calls not yet mmf__w32_put() */
    DWORD access;           /* the handle's access mask (generic rights
                               mapped) */
    uint32_t index;         /* its place in the table */
    uint32_t next_free;
    union w32_payload u;
};

/* Make a handle for `u`, which it then owns. Returns NULL (the caller gives
 * `u` back and reports ERROR_NOT_ENOUGH_MEMORY) when the table is full. */
HANDLE mmf__w32_new(enum w32_kind kind, DWORD access, union w32_payload u);

/*
 * The entry of handle h if it is open and its kind is in `kinds`; the
 * caller must mmf__w32_put() it. Otherwise NULL, with *err the Win32 error
 * (ERROR_INVALID_HANDLE). Pseudo-handles are not entries (NULL).
 */
struct w32_entry *mmf__w32_get(HANDLE h, unsigned kinds, DWORD *err);
void mmf__w32_put(struct w32_entry *e);

/* Release what a payload holds (the native handle, fd, thread reference). */
void mmf__w32_payload_release(enum w32_kind kind, union w32_payload u);

/* Mark h (which may be NULL: then nothing happens) inheritable if `sa` is
 * not NULL and asks for it, or if `inherit` is TRUE; returns h. */
HANDLE mmf__w32_inherit_sa(HANDLE h, const SECURITY_ATTRIBUTES *sa);
HANDLE mmf__w32_inherit(HANDLE h, BOOL inherit);

/*
 * Visit every open handle whose flags include HANDLE_FLAG_INHERIT, under
 * the table lock: fn(value, entry, arg). The visitor must not call into the
 * table. Returns the first nonzero value fn returns, else 0.
 */
int mmf__w32_each_inheritable(int (*fn)(HANDLE, const struct w32_entry *, void *),
                              void *arg);

/*
 * Put u at the handle value `value` in a table that no other thread uses
 * yet (at load, for inherited handles). Returns 0, or -1 if the value
 * cannot be a handle or is taken (the caller then releases u).
 * mmf__w32_place_done() must follow the last placement.
 */
int mmf__w32_place(uintptr_t value, enum w32_kind kind, DWORD access,
                   union w32_payload u);
void mmf__w32_place_done(void);

/* Read the handles a parent passed with CreateProcess (process.c); called
 * once, when the library is loaded. */
void mmf__w32_inherit_load(void);

/* ------------------------------------------------------------------------ */
/* Access masks (handle.c)                                                   */
/* ------------------------------------------------------------------------ */

/* dwDesiredAccess with its generic rights mapped for objects of `kind`, and
 * MAXIMUM_ALLOWED as all access. */
DWORD mmf__w32_map_access(enum w32_kind kind, DWORD access);

/* All access for `kind` (e.g. MUTANT_ALL_ACCESS). */
DWORD mmf__w32_all_access(enum w32_kind kind);

/* The check an Open* call makes of dwDesiredAccess: 0 if it can be granted,
 * else the Win32 error (ERROR_ACCESS_DENIED for 0 or undefined rights,
 * ERROR_PRIVILEGE_NOT_HELD for ACCESS_SYSTEM_SECURITY). */
DWORD mmf__w32_check_open_access(enum w32_kind kind, DWORD access);

/* ------------------------------------------------------------------------ */
/* Errors (error.c)                                                          */
/* ------------------------------------------------------------------------ */

void mmf__w32_set_error(DWORD err);

/* The Win32 error for a native MMF_E* code, as most calls report it. The
 * calls whose codes differ (a size past the end of a section is
 * ERROR_ACCESS_DENIED in MapViewOfFile, ...) map those first. */
DWORD mmf__w32_error(int rc);

/* The Win32 error for MMF_EBADNAME on `name` (UTF-8): a backslash after
 * the prefix is ERROR_PATH_NOT_FOUND (a missing object directory, P12),
 * anything else ERROR_INVALID_NAME. */
DWORD mmf__w32_name_error(const char *name);

/* The Win32 error for an errno value of a file call. `path`, if not NULL,
 * tells ERROR_FILE_NOT_FOUND from ERROR_PATH_NOT_FOUND for ENOENT. */
DWORD mmf__w32_errno(int e, const char *path);

/* ------------------------------------------------------------------------ */
/* Strings (string.c)                                                        */
/* ------------------------------------------------------------------------ */

/* Room for a converted object name: the longest name the native API takes
 * with its prefix, in UTF-8, plus one byte to tell "too long". */
#define W32_NAME_BYTES (MMF_NAME_BYTES + 2)

/* The A functions' name limit (P16): Windows converts an A name in a
 * buffer of MAX_PATH + 1 UTF-16 units, so a longer one fails. Returns 1
 * if `name` (NULL included) fits; else sets ERROR_FILENAME_EXCED_RANGE
 * and returns 0. */
int mmf__w32_a_name_fits(const char *name);

/*
 * Convert the wide (UTF-32) string w to UTF-8 in buf of cap bytes.
 * Returns 0, or the Win32 error: ERROR_INVALID_NAME (not a Unicode scalar
 * value), ERROR_FILENAME_EXCED_RANGE (does not fit). NULL converts to "".
 */
DWORD mmf__w32_to_utf8(const wchar_t *w, char *buf, size_t cap);

/* As mmf__w32_to_utf8 into a new string the caller frees, for paths. NULL with
 * *err set (also ERROR_NOT_ENOUGH_MEMORY) on failure. */
char *mmf__w32_to_utf8_alloc(const wchar_t *w, DWORD *err);

/* ------------------------------------------------------------------------ */
/* Sections (section.c)                                                      */
/* ------------------------------------------------------------------------ */

/* A second native handle to the section of s (whose Win32 handle has
 * src_access) for a Win32 handle with `access` (DuplicateHandle). Returns
 * 0, or MMF_EACCES (a mapping right the source lacks) or another MMF_E*
 * code. */
int mmf__w32_section_dup(mmf_section *s, DWORD src_access, DWORD access,
                         mmf_section **out);

/* ------------------------------------------------------------------------ */
/* Security descriptors (security.c)                                         */
/* ------------------------------------------------------------------------ */

/* The native mode (mmf_section_opts.mode, mmf_sync_opts.mode) for an
 * object of `kind` created with `sa`: 0 (the default, owner-only) or the
 * mode its descriptor asks for. Returns 0, or
 * ERROR_INVALID_SECURITY_DESCR when the descriptor is malformed or says
 * what the native permissions cannot. */
DWORD mmf__w32_sd_mode(enum w32_kind kind, const SECURITY_ATTRIBUTES *sa, unsigned *mode);

/* ------------------------------------------------------------------------ */
/* Virtual memory (virtual.c)                                                */
/* ------------------------------------------------------------------------ */

/* Record a view made by MapViewOfFile (its base, size, the PAGE_* value
 * of its mapping, and whether its section is SEC_RESERVE) for the
 * Virtual* functions, and forget it when it is unmapped. */
void mmf__w32_view_note(void *base, size_t size, DWORD protect, int reserve);
void mmf__w32_view_forget(void *base);
/* The PAGE_* value of a view mapped with MMF_MAP_* `map`. */
DWORD mmf__w32_view_protect(unsigned map);

/* ------------------------------------------------------------------------ */
/* Threads (thread.c)                                                        */
/* ------------------------------------------------------------------------ */

/* The native event a thread signals when it has ended. */
mmf_sync *mmf__w32_thread_event(struct w32_thread *t);
/* One more reference to a thread object, and giving one back. */
void mmf__w32_thread_ref(struct w32_thread *t);
void mmf__w32_thread_unref(struct w32_thread *t);
/* The calling thread's object (made on first use for threads that
 * CreateThread did not start), with a new reference; NULL if out of
 * memory. */
struct w32_thread *mmf__w32_thread_self(void);

/* ------------------------------------------------------------------------ */
/* Processes (process.c)                                                     */
/* ------------------------------------------------------------------------ */

/* The native event a process object signals when the process has ended. */
mmf_sync *mmf__w32_process_event(struct w32_process *p);
void mmf__w32_process_ref(struct w32_process *p);
void mmf__w32_process_unref(struct w32_process *p);
/* Its exit code: STILL_ACTIVE while it runs. Returns 0, or the Win32
 * error when it cannot be known. */
DWORD mmf__w32_process_exit_code(struct w32_process *p, DWORD *code);
/* Its process id. */
DWORD mmf__w32_process_pid(const struct w32_process *p);
/* The calling process's object, with a new reference; NULL if out of
 * memory. */
struct w32_process *mmf__w32_process_self(void);
/* An event that is always signaled: what a wait on a file handle waits
 * for. NULL if it could not be made. */
mmf_sync *mmf__w32_signaled(void);

/* ------------------------------------------------------------------------ */
/* Waitable timers (timer.c)                                                 */
/* ------------------------------------------------------------------------ */

/* The maximum count of the semaphore that holds a timer's name. */
#define W32_TIMER_MARK 0x54494D52L
/* The longest a wait involving a timer sleeps before it looks at the
 * timers' due times again (a SetWaitableTimer made meanwhile). */
#define W32_TIMER_SLICE_MS 50

void mmf__w32_timer_ref(struct w32_timer *t);
void mmf__w32_timer_unref(struct w32_timer *t);
/* The native event whose state is the timer's. */
mmf_sync *mmf__w32_timer_event(struct w32_timer *t);
/* Fire the timer if its due time has passed; returns the nanoseconds until
 * its next due time, or -1 if it is not set. */
long long mmf__w32_timer_poll(struct w32_timer *t);
/* Nonzero if the semaphore s is the name of a timer (CreateSemaphore and
 * OpenSemaphore then fail with ERROR_INVALID_HANDLE). */
int mmf__w32_is_timer_mark(mmf_sync *s);

#endif
