/* SPDX-License-Identifier: MIT */
/*
 * win.h - private header of the Windows backend (src/win/).
 *
 * On Windows every mmf object is a real kernel object under the caller's
 * exact name, so that lifetime ("the name goes with the last handle"),
 * robustness (WAIT_ABANDONED) and interop with plain Win32 programs come
 * from the kernel:
 *
 *   section     a Section (CreateFileMappingW), data at offset 0
 *   mutex       a Mutant (CreateMutexW)
 *   event       an Event (CreateEventW)
 *   semaphore   a Semaphore (CreateSemaphoreW)
 *   channel     a Section whose first MMF__WIN_CHAN_HDR bytes are the
 *               channel's header region (struct mmf__hdr, then struct
 *               mmf__win_chan_extra); the channel's data (control block
 *               and area) follows at that offset
 *
 * "Local\key" and "Global\key" are the kernel's own namespaces; names are
 * UTF-8 in the API and UTF-16 to the kernel. There is no store protocol:
 * CloseHandle is the whole of a close.
 *
 * Files: os.c (system facts, errors, names, security descriptors, files),
 * store.c (objects, views, handle passing), sync.c (mutexes, events,
 * semaphores), chan.c (channel waits, claims, peer liveness, double
 * mappings), inspect.c (the namespace seen without references).
 */
#ifndef MMF_WIN_H
#define MMF_WIN_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <winternl.h>

#include <stddef.h>
#include <stdint.h>

#include "../backend.h"
#include "../sync.h"

/* ---- Constants MinGW-w64 10 lacks --------------------------------------- */

#ifndef MEM_RESERVE_PLACEHOLDER
#define MEM_RESERVE_PLACEHOLDER 0x00040000
#endif
#ifndef MEM_REPLACE_PLACEHOLDER
#define MEM_REPLACE_PLACEHOLDER 0x00004000
#endif
#ifndef MEM_PRESERVE_PLACEHOLDER
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#endif

/* ---- Objects ----------------------------------------------------------- */

/* A channel's header region: struct mmf__hdr at 0, struct
 * mmf__win_chan_extra at MMF__HDR_SIZE, data at MMF__WIN_CHAN_HDR (a
 * multiple of the 64 KiB allocation granularity, so that every data
 * offset a view needs stays mappable). */
#define MMF__WIN_CHAN_HDR 65536u

/* What a channel keeps beside its header: the random id its derived
 * objects (wake semaphores, claim mutexes) are named by, written by the
 * creator before anybody can see the channel's magic. */
#define MMF__WIN_CHAN_ID_BYTES 16u
struct mmf__win_chan_extra {
    uint8_t id[MMF__WIN_CHAN_ID_BYTES];
    /* Hint of which claim slots may be taken (slot i in bit i % 64 of
     * word i / 64): a checker looks only at set bits. Only a hint: any
     * process may write it. */
    uint64_t claim_hint[MMF__CLAIM_SLOTS / 64];
};

struct mmf__win_chan; /* chan.c's per-reference state of a channel */

/* One reference to an object (mmf__obj of backend.h). */
struct mmf__obj {
    HANDLE h;             /* the kernel object; never NULL */
    uint32_t type;        /* enum mmf__type */
    unsigned access;      /* MMF_ACCESS_* of this reference */
    unsigned prot;        /* MMF_PROT_* the section allows, as far as known */
    HANDLE file;          /* file behind a file-backed section, or NULL */
    struct mmf__hdr hdr;  /* synthesised header (a channel's: validated copy) */
    struct mmf__win_chan *chan; /* chan.c's state, made at first use, or NULL */
};

/* ---- os.c: errors, names, security, files ------------------------------- */

/* The MMF_E* code of a Win32 error (GetLastError) or an NTSTATUS. */
int mmf__win_err(DWORD e);
int mmf__win_status(LONG status);

/* The kernel name of a parsed name: "Local\key" or "Global\key" in UTF-16,
 * NUL-terminated, in out (cap wide characters). `suffix` (ASCII, or NULL)
 * is appended: derived objects use it. Returns 0, MMF_EBADNAME (not valid
 * UTF-8) or MMF_ENAMETOOLONG. */
int mmf__win_name(const struct mmf__name *nm, const char *suffix, WCHAR *out,
                  size_t cap);
#define MMF__WIN_NAME_CAP (MMF__NAME_BYTES + 64)

/* UTF-8 path to a malloc'ed UTF-16 string, or NULL (errno-free: the
 * caller reports MMF_ENOMEM or MMF_EBADNAME as *err says). */
WCHAR *mmf__win_path(const char *path, int *err);

/* Object kinds for the access rights a permission bit grants. */
enum mmf__win_kind {
    MMF__WIN_KIND_SECTION = 1,
    MMF__WIN_KIND_SYNC = 2,    /* mutex, event, semaphore */
    MMF__WIN_KIND_FILE = 3
};

/* A security descriptor from permission bits `mode` (owner bits to the
 * process's user SID, group bits to its primary group, other bits to
 * Everyone), for an object of `kind`. On success *sa points into *sd_out,
 * which the caller frees with mmf__win_sd_free. mode 0 means the
 * backend's default (0600). */
struct mmf__win_sd {
    SECURITY_ATTRIBUTES sa;
    void *mem;
};
int mmf__win_sd_make(unsigned mode, enum mmf__win_kind kind,
                     struct mmf__win_sd *sd);
void mmf__win_sd_free(struct mmf__win_sd *sd);

/*
 * A view's cookie (the intptr_t of mmf__os_map, mmf__os_map_twice and
 * mmf__os_unmap/_flush): -1 for a plain view whose base is the address the
 * caller got and that has no file to flush, else a pointer to this
 * reference-counted struct. `base` is what MapViewOfFileEx returned, which
 * differs from the caller's address for a view whose offset was not a
 * multiple of 64 KiB (an interior pointer); `base2` is the second mapping
 * of a double mapping, or NULL; `file` a duplicate of the file behind a
 * file-backed view (for FlushFileBuffers), or NULL. mmf__os_unmap unmaps
 * base and base2 and drops one reference.
 */
struct mmf__win_view {
    LONG refs;
    void *base;
    void *base2;
    HANDLE file;
};

/* A cookie for the views at base (and base2, or NULL), keeping a duplicate
 * of `file` (NULL: none). Returns 0 and *cookie, or MMF_ENOMEM /
 * MMF_EMFILE; nothing is unmapped on failure. */
int mmf__win_cookie_new(void *base, void *base2, HANDLE file, intptr_t *cookie);

/* ---- store.c ----------------------------------------------------------- */

/* A new reference object for an open kernel handle (taken over). */
int mmf__win_obj_new(HANDLE h, uint32_t type, unsigned access, mmf__obj **out);

/* The channel id of channel reference o, copied from its header region
 * when the reference was made (a later scribble cannot change it). */
void mmf__win_chan_id(const mmf__obj *o, uint8_t id[MMF__WIN_CHAN_ID_BYTES]);

/* The live struct mmf__win_chan_extra of channel reference o (its shared
 * header region, mapped read-write on first use), or NULL. Untrusted:
 * any process that may write the channel may write it. */
struct mmf__win_chan_extra *mmf__win_chan_extra(mmf__obj *o);

/* ntdll's section query, which MinGW-w64 does not declare. */
typedef struct mmf__win_section_basic {
    PVOID BaseAddress;
    ULONG AllocationAttributes; /* SEC_* */
    LARGE_INTEGER MaximumSize;
} mmf__win_section_basic;
NTSTATUS NTAPI NtQuerySection(HANDLE section, int info_class, PVOID info,
                              SIZE_T len, PSIZE_T ret_len);
#define MMF__WIN_SECTION_BASIC 0 /* SectionBasicInformation */

/* ---- sync.c ------------------------------------------------------------ */

/*
 * Create the kernel object of a mutex, event or semaphore named `name`
 * (NULL: unnamed) from `p`, with security attributes `sa` (NULL:
 * default). Returns 0 (new: *h), MMF_EXISTED (an object of that type
 * existed and was opened: *h; with MMF_CREATE_NEW this is MMF_EEXIST and
 * nothing is kept), MMF_ETYPE (the name is another kind of object) or an
 * MMF_E* code.
 */
int mmf__win_sync_create(const WCHAR *name, const struct mmf__sync_params *p,
                         int disposition, SECURITY_ATTRIBUTES *sa, HANDLE *h);

/* Open the kernel object of `type` named `name`. Returns 0, MMF_ENOENT,
 * MMF_ETYPE, MMF_EACCES or an MMF_E* code. */
int mmf__win_sync_open(const WCHAR *name, uint32_t type, HANDLE *h);

/* The access rights every mmf handle to a sync object of `type` has:
 * wait, query and change the state (a mutex needs no right to be
 * released). 0 for another type. */
DWORD mmf__win_sync_access(uint32_t type);

/* What mmf_sync_info reports where Windows cannot tell: the owner (pid
 * and thread id) of a mutex owned by another thread when the kernel has
 * no owner query (Wine 8), and the waiters of events and semaphores
 * (never known): MMF_UNKNOWN as each field's type holds it. */
#define MMF__WIN_UNKNOWN_ID ((int64_t)-1)
#define MMF__WIN_UNKNOWN_WAITERS ((unsigned long)MMF_UNKNOWN)

/* The ntdll calls and structures of sync.c that MinGW-w64 10 does not
 * declare (their layouts are those of the Windows DDK). */
#ifndef ERROR_MUTANT_LIMIT_EXCEEDED
#define ERROR_MUTANT_LIMIT_EXCEEDED 587L
#endif
#ifndef SEMAPHORE_QUERY_STATE
#define SEMAPHORE_QUERY_STATE 0x0001
#endif
#ifndef EVENT_QUERY_STATE
#define EVENT_QUERY_STATE 0x0001
#endif
#define MMF__WIN_MUTANT_BASIC 0u  /* MutantBasicInformation */
#define MMF__WIN_MUTANT_OWNER 1u  /* MutantOwnerInformation */
#define MMF__WIN_EVENT_BASIC 0u   /* EventBasicInformation */
#define MMF__WIN_SEM_BASIC 0u     /* SemaphoreBasicInformation */
struct mmf__win_mutant_basic {
    LONG CurrentCount;     /* 1 free; 1 - recursion while owned */
    BOOLEAN OwnedByCaller;
    BOOLEAN AbandonedState;
};
struct mmf__win_mutant_owner {
    CLIENT_ID ClientId;
};
struct mmf__win_event_basic {
    LONG EventType;        /* 0 NotificationEvent (manual), 1 SynchronizationEvent */
    LONG EventState;
};
struct mmf__win_sem_basic {
    LONG CurrentCount;
    LONG MaximumCount;
};
NTSTATUS NTAPI NtQueryMutant(HANDLE h, ULONG cls, PVOID info, ULONG len, PULONG ret);
NTSTATUS NTAPI NtQueryEvent(HANDLE h, ULONG cls, PVOID info, ULONG len, PULONG ret);
NTSTATUS NTAPI NtQuerySemaphore(HANDLE h, ULONG cls, PVOID info, ULONG len, PULONG ret);
NTSTATUS NTAPI NtSetEvent(HANDLE h, PLONG prev);
NTSTATUS NTAPI NtResetEvent(HANDLE h, PLONG prev);
NTSTATUS NTAPI NtPulseEvent(HANDLE h, PLONG prev);

/* ---- chan.c ------------------------------------------------------------ */

/* Free chan.c's state of a channel reference (store.c calls it on close). */
void mmf__win_chan_free(struct mmf__win_chan *c);

/* ---- inspect.c: the ntdll calls and layouts MinGW-w64 10 lacks ---------- */

/* NtQueryDirectoryObject's entry (single-entry mode: Wine 8 implements
 * no other). The strings point into the caller's buffer. */
struct mmf__win_dir_entry {
    UNICODE_STRING name;
    UNICODE_STRING type;
};

/* One row of NtQuerySystemInformation(SystemExtendedHandleInformation =
 * 64). `object` is NULL under Wine and may be withheld on Windows, so
 * identity comes from duplicating the handle. */
struct mmf__win_handle_entry {
    PVOID object;
    ULONG_PTR pid;
    ULONG_PTR handle;
    ULONG granted_access;
    USHORT creator_back_trace_index;
    USHORT type_index;
    ULONG attributes;
    ULONG reserved;
};
struct mmf__win_handle_table {
    ULONG_PTR count;
    ULONG_PTR reserved;
    struct mmf__win_handle_entry entries[1];
};

NTSTATUS NTAPI NtOpenDirectoryObject(PHANDLE dir, ACCESS_MASK access,
                                     POBJECT_ATTRIBUTES attr);
NTSTATUS NTAPI NtQueryDirectoryObject(HANDLE dir, PVOID buf, ULONG len,
                                      BOOLEAN single, BOOLEAN restart,
                                      PULONG context, PULONG ret);

#endif
