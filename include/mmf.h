/* SPDX-License-Identifier: MIT */
/*
 * mmf.h - named shared memory with Windows section-object semantics.
 *
 * OVERVIEW
 *
 * A *section* is a block of memory that processes share. It is either backed
 * by the system's memory (a "pagefile-backed" section, living in /dev/shm on
 * Linux) or by a regular file. Sections may have a name: any process of the
 * same user (or, with "Global\" names and the right permissions, of any user)
 * opens the section by that name. A process maps *views* of a section: ranges
 * of it that appear in its address space. Views of one section alias the same
 * memory, in one process and across processes.
 *
 * Lifetime follows Windows exactly:
 *   - the *name* lives while any process holds a handle to the section;
 *   - the *memory* lives while any handle or any view exists.
 * When the last handle in the whole system is closed, the name is gone, even
 * while views are still mapped: opening it fails with MMF_ENOENT and creating
 * it makes a new, zero-filled section. This holds when processes die without
 * closing anything (SIGKILL included): the kernel drops a dead process's
 * references, and objects whose holders all died are treated as absent and
 * reclaimed on next use. There is no daemon.
 *
 * Exit frees. A process that returns from main() or calls exit() without
 * closing its handles closes them at exit, as on Windows: names whose last
 * handle it held are gone when exit() returns to the system (views of other
 * threads still running stay mapped until the process ends). _exit(), a
 * crash or a kill skips that step; then the names go as below.
 *
 * Memory of killed processes. After all holders of an object die, its name
 * is absent at once, and its memory is reclaimed by the first create, open
 * or close of that name, by `mmf gc`, or by a sweep. A process sweeps on
 * its first create, open or close (of any name), and then on the first
 * one that comes at least one second after its previous sweep: it reads
 * one bounded part of the store folder (16 KiB of directory entries, some
 * 200 to 680 entries of any user), resuming at the directory offset where
 * its previous sweep stopped, examines up to 128 of the caller's entries
 * in it, notes those nobody holds, and reclaims the ones its previous
 * sweep noted that are still unheld; after the end of the folder the next
 * sweep starts again at its beginning. So a sweep costs the same however
 * many entries the store holds, and with fewer than 128 entries of that
 * user in a part, an object whose holders all died is reclaimed by the
 * second sweep of any one process of its owner that reaches its part
 * after the death. With a store small enough to be read in one part (a
 * few hundred entries) that is that process's second sweep after the
 * death: at the latest its first create, open or close at least one
 * second after a call that swept. (A freshly stale object stays visible
 * to `mmf ls` for at least that second.) With E entries in the folder it
 * takes up to about E / 200 + 2 sweeps, fewer with short names. A sweep
 * costs about 10 us per entry examined, and a bounded amount for the
 * reading (bench/bench_section.c --sweep-only, --scale-only).
 *
 * Names share one namespace with the synchronization objects (mutexes,
 * events, semaphores): a name addresses at most one object, of one type.
 * Names are case-sensitive UTF-8 of at most MMF_NAME_MAX bytes, with an
 * optional prefix "Local\" (per user; the default) or "Global\" (all users).
 * After the prefix, any character but backslash is allowed. No name can
 * address anything outside mmf's own store.
 *
 * EXAMPLE
 *
 *     // Process A
 *     mmf_section *s;
 *     int rc = mmf_section_create(&s, "MySharedMemory", 1 << 20,
 *                                 MMF_CREATE_NEW, NULL);
 *     if (rc < 0) { fprintf(stderr, "%s\n", mmf_strerror(rc)); exit(1); }
 *     char *p;
 *     rc = mmf_view_map(s, MMF_MAP_WRITE, 0, 65536, 0, (void **)&p);
 *     if (rc < 0) { fprintf(stderr, "%s\n", mmf_strerror(rc)); exit(1); }
 *     strcpy(p, "Hello from Process A!");
 *     ...                       // keep s open while others need the name
 *     mmf_view_unmap(p);
 *     mmf_section_close(s);     // last handle: the name is gone
 *
 *     // Process B
 *     mmf_section *s;
 *     const char *p;
 *     int rc = mmf_section_open(&s, "MySharedMemory", MMF_ACCESS_READ);
 *     if (rc == 0)
 *         rc = mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p);
 *     if (rc < 0) { fprintf(stderr, "%s\n", mmf_strerror(rc)); exit(1); }
 *     puts(p);
 *     mmf_view_unmap((void *)p);
 *     mmf_section_close(s);
 *
 * CONVENTIONS
 *
 * Every function that can fail returns an int: 0 (MMF_OK, or a documented
 * non-negative status) on success, a negative MMF_E* code on failure. On
 * POSIX systems an MMF_E* code that has an errno equivalent equals -errno;
 * codes without one are below -4000. mmf_strerror() describes a code and
 * mmf_err_name() names it. The library never prints, never exits and never
 * aborts. A failed create or open sets its handle out-parameter (*out) to
 * NULL.
 *
 * Names follow one pattern: mmf_<family>_<verb>, where the family is the
 * handle type (section, view, sync, ring, queue, bcast) or, for the
 * inspection calls, which take a name and no handle, object, channel and
 * store. The common verbs: create and open make a handle, which the caller
 * owns and releases with close; duplicate makes a second one; stat
 * describes into the caller's struct; *_free frees what a call allocated.
 * Option structs (NULL for defaults) begin with flags and mode; process
 * ids are int64_t; buffers mmf fills are sized by the *_BYTES constants.
 *
 * MISUSE
 *
 * One rule for every call:
 *   - a NULL handle returns MMF_EBADF (the size queries
 *     mmf_ring_max_message(), mmf_queue_slot_size() and
 *     mmf_bcast_slot_size() return 0); closing NULL too;
 *   - NULL for a pointer the call needs (an out-parameter, a buffer, a
 *     name where one is required) returns MMF_EINVAL;
 *   - a handle that has been closed returns MMF_EBADF when mmf can still
 *     tell (every handle is tagged, and the tag is cleared on close), but
 *     using a closed handle is a bug that mmf cannot always catch: its
 *     memory may have been freed or given to a newer handle. A pointer that
 *     was never a handle is undefined behaviour, as in any C library.
 *
 * THREADS AND PROCESSES
 *
 * All functions may be called from any thread. A section handle may be used
 * by several threads at once, but must not be closed while another thread
 * still uses it. Sections and views work between unrelated processes; that
 * is their purpose.
 *
 * After fork(), the child's copies of the parent's handles share the
 * parent's references: they keep the name alive while the child lives, but
 * only the process that made a handle decides "last handle" when closing
 * it. To give a child a handle of its own, use mmf_section_export() and
 * mmf_section_import().
 *
 * KNOWN LIMITS ON LINUX
 *
 * /dev/shm is a sticky directory: a user may not delete another user's
 * files. When the last handle to a Global\ object is closed by a user other
 * than its creator, the name is gone for opens (MMF_ENOENT), but the stale
 * file stays until the creator (or root) next creates, opens or sweeps it,
 * or collects it (`mmf gc`); meanwhile other users' creates of that name
 * fail with MMF_EACCES. The same holds when the last handle belongs to a
 * user with read permission only: removing a name takes write permission
 * on its file.
 *
 * Readers cannot block owners: a process that may only read an object (or
 * a channel) can hold a handle to it, which keeps its name, but no lock it
 * can take delays or fails another process's create, open, close or
 * channel attach. A process that may write an object can make that
 * object's opens fail (MMF_EBUSY after about two seconds), as it can
 * corrupt its data.
 *
 * Each object a process holds takes one file descriptor (a file-backed or
 * huge-page section two; a channel endpoint two more). When a process runs
 * out, mmf raises its soft RLIMIT_NOFILE to the hard limit once and tries
 * again, so the limit that remains is the hard one (often 4096 to 1048576),
 * less the descriptors the program uses itself.
 *
 * The store folder is /dev/shm, or $MMF_STORE_DIR, which must be an
 * absolute path (MMF_EINVAL from every store call otherwise) of an
 * existing folder (MMF_ENOENT otherwise).
 *
 * Handle counts (mmf_object_stat() and its family) come from the kernel's
 * lock table, /proc/locks, which the kernel shows a page at a time, each
 * page as it is at that moment. A table of up to about fifty locks (the
 * whole system's) comes in one page and is counted exactly. A longer table
 * is read until two readings agree; while processes keep taking and
 * dropping locks it may never hold still that long, and then a count can
 * be off by the locks that moved while it was read. Whether an object is
 * stale never depends on that count where the caller may open the object.
 *
 * KNOWN LIMITS ON WINDOWS
 *
 * On Windows every object is a kernel object under its own name: a section
 * is a Section made by CreateFileMappingW("Local\\name"), a mutex a
 * Mutant, an event an Event, a semaphore a Semaphore. A section's data
 * starts at offset 0, so plain Win32 programs see the same bytes under the
 * same name. The kernel keeps the lifetime: the name goes with the last
 * handle, at once, even when its holder was killed; there is no store
 * folder, no sweep and nothing stale, so mmf_store_gc() has nothing to do
 * and $MMF_STORE_DIR means nothing. What differs from the rest of this
 * header:
 *   - mmf_section_send() and mmf_section_recv() return MMF_ENOTSUP:
 *     Windows sockets carry no handles. Pass a section to a child with
 *     mmf_section_export() (an inheritable handle: start the child with
 *     handle inheritance) or to any process with mmf_section_duplicate_to()
 *     and mmf_section_adopt().
 *   - mmf_section_create_fd() takes a descriptor of the C runtime libmmf
 *     was built with (msvcrt for MinGW-w64 builds); a program that uses
 *     another runtime has other descriptors, and must pass the file's
 *     HANDLE to mmf_section_create_handle() instead.
 *   - The kernel does not report a section's protection. A section opened
 *     by name reports (mmf_section_stat) the rights its security
 *     descriptor lets the caller map with, and a view its protection
 *     forbids is refused when it is mapped (MMF_EACCES from mmf_view_map),
 *     not when it is opened. For sections mmf created both are exact, as on
 *     Linux: their descriptor grants no write or execute right that the
 *     protection lacks, so the open itself is refused.
 *   - A named file-backed section opened by name is the creator's kernel
 *     section: it does not reopen the file's path, so it survives a rename
 *     of the file (Windows refuses to delete a file that a section maps)
 *     and needs no permission on the file. A
 *     durable flush through such a handle starts the write-back
 *     (FlushViewOfFile) but cannot wait for the disk, having no handle to
 *     the file.
 *   - A Global\ section needs SeCreateGlobalPrivilege (services and
 *     administrators have it); other callers get MMF_EACCES. The
 *     Global\ mutexes, events and semaphores need no privilege.
 *   - MMF_SECTION_LARGE_PAGES needs SeLockMemoryPrivilege in the caller's
 *     token (mmf enables it when the token holds it; MMF_EACCES otherwise);
 *     the size is rounded up to GetLargePageMinimum() and view offsets must
 *     be multiples of it (MMF_EALIGN).
 *   - Permission bits become a discretionary ACL: the owner bits an entry
 *     for the caller's user SID, the group bits for its primary group, the
 *     other bits for Everyone. Reading grants mapping for reading (a sync
 *     object: waiting), writing grants mapping for writing (a sync object:
 *     signalling); a section's execute right follows its read bits when it
 *     has MMF_PROT_EXEC. The owner always keeps the right to read and
 *     change the ACL. A uid mmf reports is the last part (RID) of a SID.
 *   - The creator's pid and the creation time of an object opened by name
 *     are unknown (0), except for channels, whose header records them.
 *   - The number of threads waiting on a sync object is unknown
 *     (mmf_sync_info reports MMF_UNKNOWN), and a mutex's "abandoned" state
 *     is cleared by its next acquisition.
 *   - Inspection (mmf_object_stat() and its family) opens a short-lived
 *     handle, which keeps the name alive for that moment.
 *   - A channel's name exists a moment before its header is written: an
 *     open that finds it unwritten waits for it up to one second, so a
 *     channel open of a plain section whose first bytes are zero returns
 *     MMF_ETYPE after that second.
 *   - A ring's capacity is at least 64 KiB, the allocation granularity,
 *     and so is its control block. A persistent ring file made on Linux
 *     (a 4 KiB control block) opens only where the system maps
 *     placeholders (Windows 10 version 1803 and later; not under Wine),
 *     else MMF_ENOTSUP.
 *   - An MMF_MAP_NONE view of a section made with
 *     MMF_SECTION_RESERVE is inaccessible for the pages committed when it
 *     is mapped; a page committed later through another view is readable
 *     in it (the kernel gives a newly committed page the protection the
 *     view was mapped with, and a view cannot be mapped with none).
 *   - A channel's permission bits protect its Section; the semaphores its
 *     sleepers wait on and the mutexes that hold its endpoint claims are
 *     made, at first use, with the default security of the process that
 *     makes them (its own account, SYSTEM and the administrators). A
 *     channel shared by processes of two accounts (a Global\ channel of
 *     mode 0666 between a service and a user) is therefore not supported
 *     yet: the second account's calls may fail with MMF_EACCES, or take
 *     the first account's endpoints for gone (docs/windows.md).
 *   - FILES THAT SHRINK below does not apply: Windows refuses to shrink a
 *     file while a section of it exists, and no page of a view is lost.
 *
 * FILES THAT SHRINK
 *
 * Windows never lets a section shrink; Linux lets anyone who may write a
 * file truncate it, and a process that then touches a mapped page past the
 * new end gets SIGBUS. Who can do that to an mmf object: every process with
 * write permission on its store file (the creator's user; every user for
 * a Global\ object of mode 0666 or 0660 and the group), and for a
 * file-backed section or persistent ring every process that may write the
 * backing file. Linux offers no way to forbid it for a file that others
 * open by name: seals (F_SEAL_SHRINK) exist only for memfd files, which
 * cannot be given a name in /dev/shm; an append-only attribute also
 * forbids writable shared mappings; leases only delay a truncation; and
 * any descriptor that can write can truncate. See docs/store.md.
 *
 * So mmf makes the damage stay with the object. Every mapping mmf makes
 * (views, the header pages of sync objects and channels, channel data,
 * persistent ring files) is registered with a SIGBUS handler that mmf
 * installs the first time it maps anything: a page lost to a truncation
 * is replaced, in this process only, by a private zero-filled page, and
 * the access goes on. Then:
 *   - mmf's calls on a sync object or channel that lost pages fail with
 *     MMF_ECORRUPT, in every process that touched a lost page (a call that
 *     waits notices within 100 ms, MMF_INFINITE or not); none dies of
 *     SIGBUS;
 *   - in a view, each lost page reads as zeros once touched, and from
 *     then on this process's writes to it are private (other processes and
 *     the file never see them, even if the file grows again);
 *     mmf_view_flush() of the view returns MMF_ECORRUPT. Pages before the
 *     new end stay shared as before.
 * Replacing a lost page costs about as much as a page fault and a signal
 * (some tens of microseconds).
 *
 * The handler passes every other SIGBUS on: to the handler the application
 * installed before its first mmf call, or to the default action (the
 * process dies). Hardware memory errors (BUS_MCEERR_*) are never taken. An
 * application that installs a SIGBUS handler *after* mmf mapped something
 * replaces mmf's: lost pages then reach that handler (and kill with
 * SIG_DFL) as they would without mmf. The handler runs on the thread's
 * alternate signal stack when there is one. After fork() the child keeps
 * the protection; after exec it is gone with the mappings.
 *
 * To stay clear of all this: do not give write permission on an object,
 * or on the file behind a file-backed section or persistent ring, to
 * anyone you do not trust (owner-only mode 0600, the default, and files
 * only you can write).
 */
#ifndef MMF_H
#define MMF_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(MMF_SHARED_BUILD)
#define MMF_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(MMF_STATIC)
#define MMF_API __declspec(dllimport)
#elif defined(__GNUC__)
#define MMF_API __attribute__((visibility("default")))
#else
#define MMF_API
#endif

#define MMF_VERSION_MAJOR 1
#define MMF_VERSION_MINOR 0
#define MMF_VERSION_PATCH 0

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

/* Maximum length of a name after its prefix, in bytes of UTF-8: 2640
 * characters of one byte (ASCII), 1320 of two (Latin, Greek, Cyrillic),
 * 880 of three (the rest of the Basic Multilingual Plane: CJK...), 660 of
 * four (emoji and the other characters Windows writes as two UTF-16
 * units). So every name of up to 1,320 UTF-16 units outside the three-byte
 * range fits, and of up to 880 units in any script: more than Windows'
 * documented MAX_PATH (260) everywhere, less than the 32,767 units its W
 * functions take. (The bound is what the store's header page holds: see
 * docs/store.md.) */
#define MMF_NAME_MAX 2640

/* Room for a full name in UTF-8 with its prefix ("Global\") and its NUL:
 * the size of every name buffer mmf fills. */
#define MMF_NAME_BYTES (MMF_NAME_MAX + 16)

/* Room for a file path mmf reports, with its NUL. Backing files are
 * limited at creation to paths of 1022 bytes (what the store's header
 * page holds: MMF_ENAMETOOLONG past it), store paths are much shorter. */
#define MMF_PATH_BYTES 2048

/* A flag of every create call (opts->flags of mmf_section_create(),
 * mmf_mutex_create() and the other sync creates, and of the channel
 * creates): put the name in the Global\ namespace even without the prefix.
 * Each family's own flags use other bits. */
#define MMF_GLOBAL 0x4

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The error codes: XX(name, value, description), one list that generates
 * the enum, mmf_strerror(), mmf_err_name() and the backends' translations.
 *
 * A code with a POSIX equivalent is that errno, negated, from the
 * platform's own <errno.h> (as libuv's UV_E* codes are): MMF_ENOENT is
 * -ENOENT on every POSIX system, whatever its number there. On Windows,
 * whose <errno.h> is not the system's, each takes the fixed value written
 * second in its line, from -4101 down. mmf's own codes, with no errno
 * equivalent, lie from -4001 to -4099 everywhere.
 */
#if defined(_WIN32)
#define MMF__ERRNO_(name, fallback) (fallback)
#else
#define MMF__ERRNO_(name, fallback) (-(name))
#endif
#define MMF_ERRNO_MAP(XX)                                                      \
    XX(ENOENT, MMF__ERRNO_(ENOENT, -4101), "no such object or file")  \
    XX(EIO, MMF__ERRNO_(EIO, -4102), "input/output error")                     \
    XX(EBADF, MMF__ERRNO_(EBADF, -4103), "invalid or closed handle")           \
    XX(EAGAIN, MMF__ERRNO_(EAGAIN, -4104), "resource temporarily unavailable") \
    XX(ENOMEM, MMF__ERRNO_(ENOMEM, -4105), "not enough memory")                \
    XX(EACCES, MMF__ERRNO_(EACCES, -4106), "access denied")                    \
    XX(EFAULT, MMF__ERRNO_(EFAULT, -4107), "address is not inside a view")     \
    XX(EBUSY, MMF__ERRNO_(EBUSY, -4108), "resource busy")                      \
    XX(EEXIST, MMF__ERRNO_(EEXIST, -4109), "an object with that name already exists") \
    XX(ENODEV, MMF__ERRNO_(ENODEV, -4110), "the file cannot be mapped")        \
    XX(EINVAL, MMF__ERRNO_(EINVAL, -4111), "invalid argument")                 \
    XX(EMFILE, MMF__ERRNO_(EMFILE, -4112), "too many open files in this process") \
    XX(EFBIG, MMF__ERRNO_(EFBIG, -4113), "size too large")                     \
    XX(ENOSPC, MMF__ERRNO_(ENOSPC, -4114), "no space left in the store or on the device") \
    XX(EPIPE, MMF__ERRNO_(EPIPE, -4115), "the channel's peer is gone")         \
    XX(ERANGE, MMF__ERRNO_(ERANGE, -4116), "range lies outside the section or file") \
    XX(ENAMETOOLONG, MMF__ERRNO_(ENAMETOOLONG, -4117), "name too long")        \
    XX(EOVERFLOW, MMF__ERRNO_(EOVERFLOW, -4118), "count would exceed its maximum") \
    XX(ENOTSUP, MMF__ERRNO_(ENOTSUP, -4119), "not supported on this system")   \
    XX(ETIMEDOUT, MMF__ERRNO_(ETIMEDOUT, -4120), "timed out")                  \
    XX(ETYPE, -4001, "the name belongs to an object of another type")          \
    XX(EALIGN, -4002, "offset or address not aligned to the allocation granularity") \
    XX(ECORRUPT, -4003, "shared object header is corrupt or not an mmf object") \
    XX(EBADNAME, -4004, "invalid object name")                                 \
    XX(EFILEEMPTY, -4005, "file is empty and no size was given")               \
    XX(ENOTOWNER, -4006, "the calling thread does not own the mutex")

enum mmf_error {
#define MMF_ERR_ENUM_(name, value, text) MMF_##name = (value),
    MMF_ERRNO_MAP(MMF_ERR_ENUM_)
#undef MMF_ERR_ENUM_
};

/* The successes: 0, and the two positive statuses that some calls return
 * (each call says which). */
enum mmf_status {
    MMF_OK = 0,          /* done */
    MMF_EXISTED = 1,     /* a create call found the name and opened the
                            existing object */
    MMF_ABANDONED = 0x80 /* a wait acquired a mutex whose previous owner
                            died holding it; a wait on several objects
                            returns MMF_ABANDONED + the mutex's index */
};

/* A description of the code or status `err` ("unknown error" for a value
 * that is neither). The string is static; never free it. */
MMF_API const char *mmf_strerror(int err);

/* The symbolic name of the code or status `err`, e.g. "MMF_ENOENT",
 * "MMF_OK", "MMF_EXISTED" ("MMF_UNKNOWN" for a value that is neither).
 * The string is static. */
MMF_API const char *mmf_err_name(int err);

/* ------------------------------------------------------------------------ */
/* System information                                                        */
/* ------------------------------------------------------------------------ */

/* The size of a page: the unit of protection and of section-size rounding. */
MMF_API size_t mmf_page_size(void);

/* The allocation granularity: view offsets must be multiples of it. On
 * Linux it is the page size; on Windows 64 KiB. */
MMF_API size_t mmf_allocation_granularity(void);

/*
 * NUMA. A section (opts->flags of mmf_section_create()) or a view (the
 * flags of mmf_view_map()) may name a preferred NUMA node with
 * MMF_NODE(n): its memory is taken from node n while that node has free
 * memory, and from the others after that, as Windows'
 * CreateFileMappingNuma and MapViewOfFileExNuma do. The node lives in
 * bits 16 to 31 of the flags as n + 1, so flags without it (0 there) mean
 * "no preference". n must be at most mmf_numa_highest_node(), else the
 * call fails with MMF_EINVAL (on Linux a node below it that has no memory
 * is MMF_EINVAL too). On Windows the native calls refuse a node with
 * MMF_ENOTSUP (the Win32 NUMA calls are there for that).
 *
 * On Linux the preference is a memory policy (MPOL_PREFERRED, set with
 * mbind(2)), which /proc/<pid>/numa_maps shows as "prefer:<n>" on the
 * view. A pagefile-backed section keeps it in the object itself (tmpfs
 * keeps a shared policy per file): its committed pages are taken on the
 * node at creation, and pages touched later through any view in any
 * process prefer it too. A view's node of a pagefile-backed section
 * likewise becomes the preference of that range of the section for every
 * process. File-backed and large-page sections take their pages from the
 * page cache and the huge-page pool, which ignore a mapping's policy: the
 * node is checked, shown on the view, and only places the private pages
 * of copy-on-write views.
 */
#define MMF_NODE(n) (((unsigned)(n) + 1u) << 16)
/* The bits of flags that MMF_NODE() sets. */
#define MMF_NODE_MASK 0xffff0000u

/* The highest NUMA node number of the system: 0 on a machine with one
 * node, or without NUMA support. Never fails. */
MMF_API int mmf_numa_highest_node(void);

/* ------------------------------------------------------------------------ */
/* Sections                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct mmf_section mmf_section;

/* How mmf_section_create treats an existing name. */
enum mmf_disposition {
    MMF_CREATE_NEW = 1,     /* fail with MMF_EEXIST if the name exists */
    MMF_OPEN_OR_CREATE = 2  /* open the existing section (returns MMF_EXISTED) */
};

/* Protection of a section: the most any view of it may be granted.
 * MMF_PROT_READ is always implied. Copy-on-write views are allowed
 * wherever reading is. */
enum mmf_prot {
    MMF_PROT_READ = 0x1,
    MMF_PROT_WRITE = 0x2,
    MMF_PROT_EXEC = 0x4
};

/* Access rights of a handle. As on Windows, they are separate: a handle with
 * only MMF_ACCESS_WRITE cannot map a read-only view. A read-only or
 * copy-on-write view needs MMF_ACCESS_READ, a writable view
 * MMF_ACCESS_WRITE, an executable view also MMF_ACCESS_EXEC. */
enum mmf_access {
    MMF_ACCESS_READ = 0x1,
    MMF_ACCESS_WRITE = 0x2,
    MMF_ACCESS_EXEC = 0x4,
    MMF_ACCESS_ALL = 0x7
};

/* Section flags (mmf_section_opts.flags). */
enum mmf_section_flag {
    /* Reserve, do not commit: the section is sparse, and memory is taken
     * only as pages are touched or committed with mmf_section_commit().
     * Without this flag the whole section is committed at creation, so a
     * full store fails there and never later. */
    MMF_SECTION_RESERVE = 0x1,
    /* Back the section by huge pages (hugetlbfs). Fails with MMF_ENOTSUP
     * when the system has no hugetlbfs mount, MMF_ENOMEM when it has too
     * few free huge pages. The size is rounded up to the huge-page size. */
    MMF_SECTION_LARGE_PAGES = 0x2
};

/* Options for creating a section. A NULL pointer means all defaults. */
typedef struct mmf_section_opts {
    unsigned flags; /* MMF_SECTION_*, MMF_GLOBAL, MMF_NODE(n) */
    unsigned mode;  /* permission bits of a named section (e.g. 0640);
                       0 means owner-only (0600). Applied exactly, without
                       the umask. Ignored when opening an existing name. */
    unsigned prot;  /* MMF_PROT_*; 0 means MMF_PROT_READ | MMF_PROT_WRITE */
} mmf_section_opts;

/*
 * Create a pagefile-backed section of `size` bytes, rounded up to a page.
 *
 * `name` may be NULL or "" for an unnamed section, which other processes can
 * reach only through mmf_section_export() or mmf_section_send(). New memory
 * is zero-filled. With MMF_OPEN_OR_CREATE and an existing section of that
 * name, the existing section is opened (its size and protection win) and
 * MMF_EXISTED is returned. Either way the handle's access follows
 * `opts->prot`: MMF_ACCESS_READ, plus MMF_ACCESS_WRITE for MMF_PROT_WRITE and
 * MMF_ACCESS_EXEC for MMF_PROT_EXEC. On success *out is a new handle that
 * the caller owns and closes with mmf_section_close().
 *
 * Returns 0 (created) or MMF_EXISTED, or:
 *   MMF_EINVAL      size 0, bad disposition, prot or flags, or a
 *                   MMF_NODE() past mmf_numa_highest_node()
 *   MMF_EEXIST      MMF_CREATE_NEW and the name exists
 *   MMF_ETYPE       the name belongs to a mutex, event, semaphore or channel
 *   MMF_EBADNAME    the name is not valid UTF-8, is empty after a prefix,
 *                   contains a backslash after the prefix, or uses a
 *                   reserved prefix ("Session\")
 *   MMF_ENAMETOOLONG the name is longer than MMF_NAME_MAX bytes
 *   MMF_ENOSPC      the store cannot hold the section (full /dev/shm)
 *   MMF_ENOMEM      not enough memory (or huge pages) to commit it
 *   MMF_EFBIG       size beyond what the system can represent
 *   MMF_EACCES      the name exists and the caller may not open it
 *   MMF_ENOTSUP     MMF_SECTION_LARGE_PAGES on a system without huge pages;
 *                   MMF_NODE() on Windows
 *   MMF_ECORRUPT    the existing object's header is damaged
 *   MMF_EMFILE      the process is out of file descriptors (after raising
 *                   its soft limit to the hard one: KNOWN LIMITS)
 *   MMF_EBUSY       a process that may write the object's file holds it
 *                   locked against removal for two seconds
 *   MMF_ENOENT      the store folder ($MMF_STORE_DIR) does not exist
 *   MMF_EINVAL      also: $MMF_STORE_DIR is not an absolute path
 */
MMF_API int mmf_section_create(mmf_section **out, const char *name,
                               uint64_t size, int disposition,
                               const mmf_section_opts *opts);

/*
 * Create a section backed by the open file `fd` (the caller keeps ownership
 * of fd; mmf keeps its own reference). `size` 0 means the file's size; a
 * size larger than the file grows the file, which needs MMF_PROT_WRITE. The
 * section size of a file-backed section is exact, not rounded to a page.
 * opts->prot must be allowed by the file's open mode: MMF_PROT_WRITE needs
 * O_RDWR. A read-only file with MMF_PROT_READ gives a section whose views
 * may still be copy-on-write.
 *
 * A named file-backed section records the file's path and identity; other
 * processes opening it by name open that file again (so they need
 * permission on the file too) and fail with MMF_ENOENT if it was renamed
 * or deleted.
 *
 * Returns as mmf_section_create, and:
 *   MMF_EFILEEMPTY  the file is empty and size is 0
 *   MMF_EACCES      the file's open mode does not allow opts->prot
 *   MMF_ERANGE      size larger than a file that may not grow (read-only)
 *   MMF_ENOSPC      the file cannot grow (disk full)
 *   MMF_ENODEV      fd is not a regular file
 *   MMF_EBADF       fd is not an open file descriptor
 *   MMF_EINVAL      MMF_SECTION_RESERVE or MMF_SECTION_LARGE_PAGES, which apply to
 *                   pagefile-backed sections only
 */
MMF_API int mmf_section_create_fd(mmf_section **out, const char *name, int fd,
                                  uint64_t size, int disposition,
                                  const mmf_section_opts *opts);

/*
 * As mmf_section_create_fd(), opening the file at `path` first: read-write
 * when opts->prot has MMF_PROT_WRITE, else read-only. The file must exist.
 * Returns also MMF_ENOENT (no such file) and MMF_EACCES (no permission).
 */
MMF_API int mmf_section_create_path(mmf_section **out, const char *name,
                                    const char *path, uint64_t size,
                                    int disposition,
                                    const mmf_section_opts *opts);

/*
 * Open the existing section `name` with the rights in `access`
 * (MMF_ACCESS_*). On success *out is a new handle the caller owns.
 *
 * Returns 0, or:
 *   MMF_ENOENT      no such name (or every holder of it died)
 *   MMF_ETYPE       the name belongs to another type of object
 *   MMF_EACCES      the object's permissions refuse `access`, or
 *                   MMF_ACCESS_EXEC on a section without MMF_PROT_EXEC
 *   MMF_EINVAL      name NULL or empty, or access 0 or unknown bits, or
 *                   $MMF_STORE_DIR is not an absolute path
 *   MMF_EBADNAME, MMF_ENAMETOOLONG, MMF_ECORRUPT, MMF_EMFILE, MMF_EBUSY
 *                   as above (an absent store folder is MMF_ENOENT)
 */
MMF_API int mmf_section_open(mmf_section **out, const char *name,
                             unsigned access);

/*
 * Close a handle. Views mapped through it stay valid. If it was the last
 * handle to the section in the whole system, the name is removed at once;
 * the memory is freed when the last view is unmapped as well.
 * Returns 0 (closing cannot fail in a way the caller could act on; an
 * error while removing the name leaves a stale entry that the next create,
 * open or `mmf gc` reclaims).
 */
MMF_API int mmf_section_close(mmf_section *s);

/*
 * A second handle to the same section, with `access` (which must be a subset
 * of s's access, else MMF_EACCES), like DuplicateHandle within a process.
 * The caller owns *out and closes it separately. Returns 0, MMF_EACCES,
 * MMF_EINVAL (access 0 or unknown bits), MMF_EMFILE.
 */
MMF_API int mmf_section_duplicate(mmf_section *s, unsigned access,
                                  mmf_section **out);

/* What mmf_section_stat() reports. */
typedef struct mmf_section_info {
    uint64_t size;      /* section size in bytes */
    unsigned prot;      /* MMF_PROT_* of the section */
    unsigned access;    /* MMF_ACCESS_* of this handle */
    unsigned flags;     /* MMF_SECTION_* it was created with */
    int file_backed;    /* 1 if backed by a regular file */
    char name[MMF_NAME_BYTES]; /* full name with prefix; "" if unnamed */
} mmf_section_info;

/* Fill *info for the section `s`. Returns 0. */
MMF_API int mmf_section_stat(const mmf_section *s, mmf_section_info *info);

/*
 * Commit the range [offset, offset + length) of a section created with
 * MMF_SECTION_RESERVE, so that touching it can never fail for lack of memory.
 * The commit is made in the section: every view in every process sees it.
 * Committing an already committed range succeeds.
 * Returns 0, or MMF_EACCES (handle lacks MMF_ACCESS_WRITE), MMF_ERANGE
 * (range past the end), MMF_ENOSPC / MMF_ENOMEM (no memory for it).
 */
MMF_API int mmf_section_commit(mmf_section *s, uint64_t offset,
                               uint64_t length);

/* ------------------------------------------------------------------------ */
/* Handle passing                                                            */
/* ------------------------------------------------------------------------ */

/* Room for a token made by mmf_section_export(), with its terminating NUL. */
#define MMF_TOKEN_BYTES 64

/*
 * Make a new, inheritable reference to the section with `access` (a subset
 * of s's access, else MMF_EACCES) and describe it in `token` (a short
 * string). Pass the token to a child process, e.g. in argv or the
 * environment, across fork + exec; the child calls mmf_section_import().
 * The reference keeps the name alive like a handle until both sides have
 * released it: the parent calls mmf_section_export_close(token) once the
 * child has started (its own copy is then released; the child's stays).
 * Until then every child the parent starts inherits the reference and keeps
 * the name alive while it lives.
 * Returns 0, or MMF_EACCES, MMF_EINVAL (access 0 or unknown bits),
 * MMF_EMFILE.
 */
MMF_API int mmf_section_export(mmf_section *s, unsigned access,
                               char token[MMF_TOKEN_BYTES]);

/* Release this process's copy of an exported reference. Returns 0, or
 * MMF_EINVAL for a malformed token. */
MMF_API int mmf_section_export_close(const char *token);

/*
 * Take ownership of an inherited reference described by `token`. On success
 * *out is a handle with the exported access, and the inherited descriptors
 * become that handle's own (close-on-exec from then on): do not close them.
 * Returns 0, or MMF_EINVAL (malformed token), MMF_EBADF (the descriptors are
 * not open in this process), MMF_ECORRUPT (they are not an mmf object),
 * MMF_ETYPE (the object is not a section).
 */
MMF_API int mmf_section_import(const char *token, mmf_section **out);

/*
 * Send a reference to the section with `access` (a subset of s's) over the
 * connected Unix-domain socket `sock`. The receiver calls
 * mmf_section_recv(). The reference is in flight until received; if the
 * receiver never receives it, it is released when the socket is closed.
 * Returns 0, or MMF_EACCES, MMF_EINVAL, MMF_EMFILE, and the socket's errors
 * as MMF_E* codes (e.g. MMF_EAGAIN, MMF_EIO).
 */
MMF_API int mmf_section_send(int sock, mmf_section *s, unsigned access);

/*
 * Receive a section sent with mmf_section_send() on `sock` (blocking as the
 * socket does). On success *out is a new handle the caller owns.
 * Returns 0, or MMF_EINVAL (the message is not a section), MMF_ECORRUPT,
 * and the socket's errors (MMF_EAGAIN on a non-blocking socket, MMF_EIO on
 * a closed one).
 */
MMF_API int mmf_section_recv(int sock, mmf_section **out);

#ifdef _WIN32
/* The Windows-only calls below are exported as every MMF_API function is;
 * the macro of their own marks them as absent from the Linux library, its
 * symbol version and its manual pages. */
#define MMF_WIN_API MMF_API

/*
 * Windows only. Create a section backed by the open file `file` (a Win32
 * file HANDLE; the caller keeps it, mmf keeps its own reference), as
 * mmf_section_create_fd() does with a descriptor, whatever C runtime the
 * caller uses. The handle must allow reading (FILE_READ_DATA), and writing
 * (FILE_WRITE_DATA) for MMF_PROT_WRITE.
 * Returns as mmf_section_create_fd(); MMF_EBADF for NULL,
 * INVALID_HANDLE_VALUE or a closed handle, MMF_ENODEV for a handle that
 * is not a disk file (a pipe, a console, a directory).
 */
MMF_WIN_API int mmf_section_create_handle(mmf_section **out, const char *name,
                                          void *file, uint64_t size,
                                          int disposition,
                                          const mmf_section_opts *opts);

/*
 * Windows only. Make a new handle to the section in another process, with
 * `access` (a subset of s's access, else MMF_EACCES), as DuplicateHandle
 * does: `process` is a HANDLE of that process opened with
 * PROCESS_DUP_HANDLE. On success *value is the handle's value in that
 * process, which the caller passes there by any means (a pipe, shared
 * memory); the other process takes it over with mmf_section_adopt().
 * The handle belongs to that process from now on and keeps the name alive
 * until it is adopted and closed or the process exits: a value that never
 * reaches it stays open there until it exits.
 * Returns 0, or MMF_EACCES (access not a subset, or `process` lacks
 * PROCESS_DUP_HANDLE), MMF_EINVAL (process or value NULL, access 0 or
 * unknown bits), MMF_EBADF (s is not an open section, or `process` is not
 * a process handle), MMF_EMFILE / MMF_ENOMEM (no room for the handle).
 */
MMF_WIN_API int mmf_section_duplicate_to(mmf_section *s, void *process,
                                         unsigned access, uint64_t *value);

/*
 * Windows only. Take over the section handle `value` that another process
 * made in this one with mmf_section_duplicate_to() (or with
 * DuplicateHandle, or by inheritance). On success *out is a handle the
 * caller owns, with the access the kernel granted, and `value` is no
 * longer open: mmf closed it after taking its own copy. On failure the
 * handle is left as it was.
 * Returns 0, or MMF_EINVAL (out NULL, or a value that cannot be a
 * handle), MMF_EBADF (value is not an open handle of this process),
 * MMF_ECORRUPT (it is not a section), MMF_ETYPE (it is a channel's
 * section), MMF_EACCES (it grants no right to map).
 */
MMF_WIN_API int mmf_section_adopt(uint64_t value, mmf_section **out);
#endif

/* ------------------------------------------------------------------------ */
/* Views                                                                     */
/* ------------------------------------------------------------------------ */

/* The access of a view. */
enum mmf_map {
    MMF_MAP_NONE = 0,   /* reserve the range, inaccessible (needs ACCESS_READ) */
    MMF_MAP_READ = 0x1, /* read-only */
    MMF_MAP_WRITE = 0x2,/* read-write, shared with every other view */
    MMF_MAP_COPY = 0x4, /* copy-on-write: writes stay private to this view */
    MMF_MAP_EXEC = 0x8  /* add execute to READ, WRITE or COPY */
};
/* MMF_MAP_WRITE and MMF_MAP_COPY each include reading, so READ|WRITE means
 * WRITE and READ|COPY means COPY; WRITE|COPY is refused (MMF_EINVAL). (The
 * Win32 façade maps Windows' FILE_MAP_* combinations onto these.) */

/* View flags. */
enum mmf_view_flag {
    /* Pre-fault the whole view now. For a reserved section this also
     * commits the pages, and a lack of memory is returned as MMF_ENOMEM
     * instead of a fault later. */
    MMF_VIEW_POPULATE = 0x1,
    /* Map at the address given in *addr (as MapViewOfFileEx does). */
    MMF_VIEW_FIXED = 0x2,
    /* Let the system choose an address that is a multiple of
     * MMF_VIEW_ALIGNMENT (64 KiB), as Windows places every view, whatever
     * the system's own granularity. Ignored with MMF_VIEW_FIXED. */
    MMF_VIEW_ALIGN = 0x4
    /* MMF_NODE(n) (see NUMA above) prefers node n for the view's pages. */
};

/* The base address alignment MMF_VIEW_ALIGN gives: Windows' allocation
 * granularity. */
#define MMF_VIEW_ALIGNMENT 65536

/*
 * Map a view of `size` bytes of section `s`, starting at `offset`, with
 * access `map` (MMF_MAP_*). `offset` must be a multiple of
 * mmf_allocation_granularity(); `size` 0 maps to the end of the section.
 * The system chooses the address (a multiple of MMF_VIEW_ALIGNMENT with
 * MMF_VIEW_ALIGN), unless `flags` has MMF_VIEW_FIXED: then
 * `*addr` on input is the exact address wanted, which must be aligned to
 * the allocation granularity and free. On success *addr is the view's
 * base; unmap it with mmf_view_unmap().
 *
 * Views of one section alias the same memory (except MMF_MAP_COPY views,
 * whose written pages are private). A view stays valid after every handle
 * is closed. If another process shrinks the section's file, the view's
 * pages past the new end read as zeros once touched and are private from
 * then on (see FILES THAT SHRINK above), instead of raising SIGBUS.
 *
 * Returns 0, or:
 *   MMF_EACCES   the handle lacks the access the view needs, or the
 *                section's protection does not allow it (e.g. a writable
 *                view of a read-only section)
 *   MMF_EALIGN   offset or requested address not aligned
 *   MMF_EINVAL   offset at or past the end of the section, bad map or flags,
 *                MMF_VIEW_FIXED with *addr NULL, a MMF_NODE() past
 *                mmf_numa_highest_node()
 *   MMF_ERANGE   offset + size past the end of the section
 *   MMF_EFAULT   the requested address is already in use
 *   MMF_ENOMEM   no address space, or (MMF_VIEW_POPULATE) no memory
 *   MMF_ENOTSUP  MMF_MAP_EXEC where the store forbids execution (noexec);
 *                MMF_NODE() on Windows
 *   MMF_EMFILE   out of file descriptors (a file-backed view keeps one,
 *                so that it can be flushed after its handle is closed)
 */
MMF_API int mmf_view_map(mmf_section *s, unsigned map, uint64_t offset,
                         size_t size, unsigned flags, void **addr);

/*
 * Unmap the view that contains `addr` (any address inside a view unmaps the
 * whole view, as on Windows). Returns 0, or MMF_EFAULT if `addr` is not
 * inside a view mapped by mmf (including a view already unmapped).
 */
MMF_API int mmf_view_unmap(void *addr);

/*
 * Start writing the modified pages of [addr, addr + length) of a
 * file-backed view to its file; length 0 means to the end of the view.
 * Does not wait for the disk. A no-op on pagefile-backed views.
 * Returns 0, or MMF_EFAULT (addr not in a view), MMF_ERANGE (range runs
 * past the view), MMF_EIO, MMF_ECORRUPT (pages of the view were lost to a
 * shrunken file and replaced by private ones: see FILES THAT SHRINK).
 */
MMF_API int mmf_view_flush(void *addr, size_t length);

/*
 * As mmf_view_flush(), but returns only when the data of the range is on
 * stable storage (it survives a crash of the machine, not only of the
 * process). Returns as mmf_view_flush().
 */
MMF_API int mmf_view_flush_durable(void *addr, size_t length);

/* What mmf_view_stat() reports. */
typedef struct mmf_view_info {
    void *base;        /* first byte of the view */
    size_t size;       /* size asked for (the mapping itself is whole pages) */
    uint64_t offset;   /* offset of the view in its section */
    unsigned map;      /* MMF_MAP_* it was mapped with */
} mmf_view_info;

/* Describe the view containing `addr`. Returns 0 or MMF_EFAULT. */
MMF_API int mmf_view_stat(const void *addr, mmf_view_info *info);

/* ------------------------------------------------------------------------ */
/* Synchronization objects                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Mutexes, events and semaphores with the semantics of their Windows
 * namesakes, shared between the threads of a process and between unrelated
 * processes, and waits on one or several of them.
 *
 * They live in the same namespace as sections, with the same rules: a name
 * addresses one object of one type (creating or opening it as another type
 * fails with MMF_ETYPE); creating an existing name of the same type opens
 * it and returns MMF_EXISTED (the creation arguments are then ignored);
 * the name disappears when the last handle in the whole system is closed,
 * including when every holder died. A NULL or "" name makes an unnamed
 * object, reachable only through its handle.
 *
 *   Mutex      Owned by one thread at a time. The owner may lock it again
 *              (recursively) and must unlock it as many times. If the
 *              owning thread exits, or its process dies (SIGKILL
 *              included, at any instant), the mutex is *abandoned*: the
 *              next thread to acquire it is told so with MMF_ABANDONED,
 *              a success status (it owns the mutex), so that it can repair
 *              what the dead owner protected. Closing a handle neither
 *              releases nor abandons a mutex.
 *   Event      Signaled or not. A manual-reset event stays signaled until
 *              reset and releases every waiter; an auto-reset event
 *              releases one waiter and resets itself.
 *   Semaphore  A count between 0 and a maximum; signaled while above 0.
 *              Each satisfied wait takes 1; a release adds n.
 *
 * Waiting spins for at most 20 microseconds (adaptively: less, or not at
 * all, when spinning has not paid lately; never on a single CPU), then
 * sleeps in the kernel (futexes on Linux): a blocked waiter uses no
 * processor time.
 *
 * EXAMPLE
 *
 *     mmf_sync *m;
 *     int rc = mmf_mutex_create(&m, "MyLock", 0, MMF_OPEN_OR_CREATE, NULL);
 *     if (rc < 0) { fprintf(stderr, "%s\n", mmf_strerror(rc)); exit(1); }
 *     rc = mmf_mutex_lock(m, MMF_INFINITE);
 *     if (rc == MMF_ABANDONED)
 *         repair_shared_data();   // its last owner died holding it
 *     update_shared_data();
 *     mmf_mutex_unlock(m);
 *     mmf_sync_close(m);
 *
 * HANDLES
 *
 * One handle type, mmf_sync, serves the three kinds of objects; every call
 * checks the kind it needs and fails with MMF_ETYPE on another (a mutex
 * passed to mmf_event_set(), say). A handle may be used by several threads
 * at once but must not be closed while another thread still uses it. A
 * NULL or closed handle gives MMF_EBADF (see MISUSE at the top; handle
 * memory is recycled, so a closed handle may later name a newer object, as
 * Windows handle values are reused). Handles are not inherited by child
 * processes; a child opens the object by name. A process that forks keeps
 * its handles in both parent and child, but the child owns no mutex.
 *
 * TIMEOUTS
 *
 * A timeout is in milliseconds: 0 means "try, do not wait", MMF_INFINITE
 * means "wait until signaled", and anything else from 1 to
 * MMF_TIMEOUT_MAX is measured on a monotonic clock. Any other value fails
 * with MMF_EINVAL.
 *
 * SHARED STATE IS UNTRUSTED
 *
 * Every process that may open an object may also write its state. A state
 * found damaged gives MMF_ECORRUPT, never a crash or an endless loop (so
 * does an object whose file another process truncated: see FILES THAT
 * SHRINK at the top of this header); a
 * state that is valid but wrong (a forged owner, say) can only make waits
 * last until their timeout, or let several owners in at once: a writer can
 * break the object it writes, nothing else. The state holds numbers only,
 * never an address: what a process keeps to find the objects it owns
 * (the robust list the kernel walks when a thread dies) lives in that
 * process's private memory, so a writer can neither read a process's
 * addresses from the object nor make mmf write anywhere outside it. An
 * object's internal lock is held only for a few instructions; if it stays
 * held for over a second (a process stopped inside an operation, or a
 * forged state) an operation gives up with MMF_EBUSY.
 *
 * On Linux the objects need glibc (the robust list is glibc's, checked at
 * the first use; elsewhere every create and open gives MMF_ENOTSUP), 4 KiB
 * pages, and processes in one PID namespace (the lock word names the
 * owning thread by its id), and a kernel with futex_waitv (5.16) for
 * waits on several objects; an older kernel falls back to polling every
 * millisecond.
 */

typedef struct mmf_sync mmf_sync;

/* Wait until signaled. */
#define MMF_INFINITE (-1LL)
/* The longest finite timeout, in milliseconds (as Windows' 0xFFFFFFFE). */
#define MMF_TIMEOUT_MAX 0xFFFFFFFELL
/* The most objects one wait may name (MAXIMUM_WAIT_OBJECTS). */
#define MMF_WAIT_MAX 64
/* A wait satisfied by an abandoned mutex returns MMF_ABANDONED + index
 * (Windows' WAIT_ABANDONED_0 + index; see enum mmf_status); a wait on one
 * object returns MMF_ABANDONED. These are successes: the caller owns the
 * mutex. */

/* Options for creating a synchronization object. NULL means defaults. */
typedef struct mmf_sync_opts {
    unsigned flags; /* MMF_GLOBAL (sync objects have no flags of their own) */
    unsigned mode;  /* permission bits of a named object (e.g. 0660); 0
                       means owner-only (0600). Applied exactly, without the
                       umask. Ignored when the name exists. Using an object
                       needs both read and write permission. */
} mmf_sync_opts;

/*
 * The errors every create call can return, besides its own:
 *   MMF_EINVAL      bad disposition, unknown opts->flags, mode > 0777
 *   MMF_EEXIST      MMF_CREATE_NEW and the name exists (any type)
 *   MMF_ETYPE       the name belongs to an object of another type
 *   MMF_EBADNAME, MMF_ENAMETOOLONG  as for mmf_section_create()
 *   MMF_EACCES      the name exists and its permissions refuse the caller
 *   MMF_ECORRUPT    the existing object's header or state is damaged
 *   MMF_ENOSPC      the store is full
 *   MMF_ENOMEM, MMF_EMFILE  out of memory or file descriptors
 *   MMF_ENOTSUP     this C library's robust lists are not glibc's (see
 *                   SHARED STATE IS UNTRUSTED above)
 *   MMF_EBUSY       a process that may write the object's file holds it
 *                   locked against removal for two seconds
 *   MMF_ENOENT      the store folder ($MMF_STORE_DIR) does not exist
 *   MMF_EINVAL      also: $MMF_STORE_DIR is not an absolute path
 * and every open call:
 *   MMF_EINVAL      name NULL or empty, or $MMF_STORE_DIR not absolute
 *   MMF_ENOENT      no such name (or every holder of it died), or no
 *                   store folder
 *   MMF_ETYPE, MMF_EBADNAME, MMF_ENAMETOOLONG, MMF_EACCES, MMF_ECORRUPT,
 *   MMF_ENOMEM, MMF_EMFILE, MMF_ENOTSUP, MMF_EBUSY  as above
 * On success *out is a new handle that the caller owns and closes with
 * mmf_sync_close().
 */

/*
 * Create a mutex, owned by the calling thread if `initially_owned` is
 * nonzero. With MMF_OPEN_OR_CREATE and an existing mutex of that name the
 * existing one is opened, MMF_EXISTED is returned, and initially_owned is
 * ignored: the caller does not own it.
 * Returns 0 (created) or MMF_EXISTED, or an error listed above.
 */
MMF_API int mmf_mutex_create(mmf_sync **out, const char *name,
                             int initially_owned, int disposition,
                             const mmf_sync_opts *opts);

/* Open the existing mutex `name`. Returns 0 or an open error (above). */
MMF_API int mmf_mutex_open(mmf_sync **out, const char *name);

/*
 * Acquire the mutex `m` for the calling thread, waiting up to timeout_ms.
 * If the thread already owns it, the recursion count goes up by one and
 * the call returns 0 at once; each acquisition needs one unlock.
 *
 * Returns:
 *   0              acquired
 *   MMF_ABANDONED  acquired, but its previous owner died holding it (or
 *                  abandoned it earlier and no owner has released it
 *                  since): what it protects may be inconsistent. The mark
 *                  stays, for tools, until this owner's final unlock.
 *   MMF_ETIMEDOUT  another thread owns it and the timeout passed
 *   MMF_EOVERFLOW  the recursion count is at its limit (2^31 - 1)
 *   MMF_EINVAL     timeout out of range
 *   MMF_EBADF      invalid or closed handle
 *   MMF_ETYPE      the handle is not a mutex
 *   MMF_ECORRUPT   the mutex's shared state is damaged
 */
MMF_API int mmf_mutex_lock(mmf_sync *m, long long timeout_ms);

/*
 * Release one acquisition of `m` by the calling thread (Windows'
 * ReleaseMutex): the mutex is free once the count reaches 0. Any handle to
 * the mutex will do, not only the one it was locked through.
 *
 * Returns 0, or:
 *   MMF_ENOTOWNER  the calling thread does not own the mutex (nobody does,
 *                  or another thread or process does); nothing changes
 *   MMF_EBADF, MMF_ETYPE  as for mmf_mutex_lock()
 *   MMF_ECORRUPT   the shared state says another thread owns it although
 *                  this one acquired it: it was overwritten. This thread no
 *                  longer counts as the owner.
 */
MMF_API int mmf_mutex_unlock(mmf_sync *m);

/*
 * Create an event: manual-reset if `manual_reset` is nonzero (it stays
 * signaled until reset), else auto-reset (a satisfied wait resets it);
 * signaled at once if `initial_state` is nonzero. With MMF_OPEN_OR_CREATE
 * and an existing event of that name, both arguments are ignored and
 * MMF_EXISTED is returned.
 * Returns 0 or MMF_EXISTED, or a create error (above).
 */
MMF_API int mmf_event_create(mmf_sync **out, const char *name,
                             int manual_reset, int initial_state,
                             int disposition, const mmf_sync_opts *opts);

/* Open the existing event `name`. Returns 0 or an open error (above). */
MMF_API int mmf_event_open(mmf_sync **out, const char *name);

/*
 * Signal the event `e`. A manual-reset event releases every waiter, and
 * every later one until it is reset. An auto-reset event releases exactly
 * one waiter and resets; with no waiter it stays signaled until one wait
 * takes it. Setting a signaled event changes nothing.
 *
 * Returns the previous state (1 signaled, 0 not), or:
 *   MMF_EBADF      invalid or closed handle
 *   MMF_ETYPE      the handle is not an event
 *   MMF_ECORRUPT   the event's shared state is damaged; nothing changed
 *   MMF_EBUSY      its internal lock stayed held for over a second
 */
MMF_API int mmf_event_set(mmf_sync *e);

/* Make the event `e` nonsignaled. Returns the previous state (1 or 0) or
 * an error as mmf_event_set(). */
MMF_API int mmf_event_reset(mmf_sync *e);

/*
 * Release the threads waiting on `e` at this moment, then leave it
 * nonsignaled (Windows' PulseEvent): every current waiter of a
 * manual-reset event, one current waiter of an auto-reset event. Without
 * waiters nothing is released, and nothing is remembered: a later wait is
 * not satisfied. A waiter in mmf_sync_wait_all() is released only if its
 * other objects are signaled when it checks. A thread counts as waiting
 * from its first unsuccessful check; a waiter whose process was killed
 * while waiting keeps counting, so a later pulse of an auto-reset event
 * may release one more waiter than it would on Windows. (Windows itself
 * calls PulseEvent unreliable; prefer set and reset.)
 * Returns the previous state (1 or 0) or an error as mmf_event_set().
 */
MMF_API int mmf_event_pulse(mmf_sync *e);

/*
 * Create a semaphore with count `initial` and the given `maximum`. With
 * MMF_OPEN_OR_CREATE and an existing semaphore of that name, both are
 * ignored and MMF_EXISTED is returned.
 * Returns 0 or MMF_EXISTED, or a create error (above), and:
 *   MMF_EINVAL     maximum <= 0 or > 2^31 - 1, initial < 0, or
 *                  initial > maximum
 */
MMF_API int mmf_semaphore_create(mmf_sync **out, const char *name,
                                 long initial, long maximum, int disposition,
                                 const mmf_sync_opts *opts);

/* Open the existing semaphore `name`. Returns 0 or an open error (above). */
MMF_API int mmf_semaphore_open(mmf_sync **out, const char *name);

/*
 * Add `count` to the semaphore `s`, releasing as many waiters. If
 * `previous` is not NULL it receives the count before the release.
 *
 * Returns 0, or:
 *   MMF_EINVAL     count <= 0
 *   MMF_EOVERFLOW  the count would exceed the maximum ("too many posts"):
 *                  nothing changes and *previous is not written
 *   MMF_EBADF, MMF_ECORRUPT, MMF_EBUSY  as for mmf_event_set()
 *   MMF_ETYPE      the handle is not a semaphore
 */
MMF_API int mmf_semaphore_release(mmf_sync *s, long count, long *previous);

/*
 * Wait until the object `o` (any kind) is signaled, then take it: a mutex
 * is acquired (as mmf_mutex_lock()), a semaphore's count drops by one, an
 * auto-reset event is reset; a manual-reset event is left signaled.
 *
 * Returns 0, MMF_ABANDONED (a mutex, see mmf_mutex_lock()), or:
 *   MMF_ETIMEDOUT  not signaled within the timeout (0: not signaled now)
 *   MMF_EINVAL     timeout out of range
 *   MMF_EBADF      invalid or closed handle
 *   MMF_ECORRUPT   the object's shared state is damaged
 *   MMF_EOVERFLOW  a mutex's recursion count is at its limit
 *   MMF_EBUSY      the object's internal lock stayed held for over a second
 */
MMF_API int mmf_sync_wait(mmf_sync *o, long long timeout_ms);

/*
 * Wait until at least one of the n objects in `objs` (of any kinds) is
 * signaled, then take the one with the lowest index among those signaled,
 * and only that one. The same object may appear more than once.
 *
 * Returns its index (0 .. n-1), MMF_ABANDONED + index if it is a
 * mutex that was abandoned (the caller owns it), or:
 *   MMF_EINVAL     objs NULL, n 0 or above MMF_WAIT_MAX, bad timeout
 *   MMF_ETIMEDOUT, MMF_EBADF, MMF_ECORRUPT, MMF_EOVERFLOW, MMF_EBUSY
 *                  as for mmf_sync_wait()
 */
MMF_API int mmf_sync_wait_any(mmf_sync *const objs[], size_t n,
                              long long timeout_ms);

/*
 * Wait until all n objects in `objs` are signaled at the same time, then
 * take them all at once. Until then none of them changes: a free mutex in
 * the set is not taken (another thread may take it meanwhile), no count
 * drops, no event resets.
 *
 * Returns 0, MMF_ABANDONED + index where index is the lowest index of
 * a mutex that was abandoned (the caller owns all the objects), or:
 *   MMF_EINVAL     objs NULL, n 0 or above MMF_WAIT_MAX, bad timeout, or
 *                  one object named twice (by one handle or by two)
 *   MMF_ETIMEDOUT, MMF_EBADF, MMF_ECORRUPT, MMF_EOVERFLOW, MMF_EBUSY
 *                  as for mmf_sync_wait()
 */
MMF_API int mmf_sync_wait_all(mmf_sync *const objs[], size_t n,
                              long long timeout_ms);

/*
 * Close a handle. A mutex owned by the calling thread stays owned (it can
 * be released through another handle, or is abandoned when the thread
 * exits). If it was the last handle to the object in the whole system, the
 * name is removed at once.
 * Returns 0, or MMF_EBADF for an invalid or already closed handle.
 */
MMF_API int mmf_sync_close(mmf_sync *o);

/*
 * A second handle to the object of `o` (any kind), like DuplicateHandle
 * within a process: it keeps the object (and its name) alive until it is
 * closed too, and is interchangeable with `o` (a mutex locked through one
 * is released through the other; a wait on all objects refuses the two
 * together as one object named twice). The caller owns *out and closes it
 * with mmf_sync_close(). `o` must not be closed meanwhile by another
 * thread.
 * Returns 0, or MMF_EBADF (invalid or closed handle), MMF_ENOMEM,
 * MMF_EMFILE.
 */
MMF_API int mmf_sync_duplicate(mmf_sync *o, mmf_sync **out);

/*
 * Pass a synchronization object to a child process, as mmf_section_export()
 * passes a section: make a new, inheritable reference to the object of `o`
 * (named or unnamed) and describe it in `token`. The child takes it with
 * mmf_sync_import(); the parent releases its copy of the reference with
 * mmf_sync_export_close(token) once the child has started. Until then every
 * child the parent starts inherits the reference and keeps the object alive
 * while it lives.
 * Returns 0, or MMF_EBADF (invalid handle), MMF_EINVAL (token NULL),
 * MMF_EMFILE.
 */
MMF_API int mmf_sync_export(mmf_sync *o, char token[MMF_TOKEN_BYTES]);

/* Release this process's copy of a reference made by mmf_sync_export().
 * Returns 0, or MMF_EINVAL for a malformed token. */
MMF_API int mmf_sync_export_close(const char *token);

/*
 * Take ownership of an inherited reference described by `token` (from
 * mmf_sync_export() in the parent). On success *out is a handle to the
 * mutex, event or semaphore, and the inherited descriptors become that
 * handle's own (close-on-exec from then on): do not close them. The token
 * and the object's shared state are untrusted and checked like any object
 * opened by name.
 * Returns 0, or MMF_EINVAL (malformed token, out NULL), MMF_EBADF (the
 * descriptors are not open in this process), MMF_ECORRUPT (they are not an
 * mmf object, or its state is damaged), MMF_ETYPE (the object is not a
 * mutex, event or semaphore), MMF_ENOMEM.
 */
MMF_API int mmf_sync_import(const char *token, mmf_sync **out);

/* What mmf_sync_stat() reports: a snapshot that other threads and
 * processes may change at once. */
typedef struct mmf_sync_info {
    int type;               /* MMF_TYPE_MUTEX, MMF_TYPE_EVENT or
                               MMF_TYPE_SEMAPHORE */
    char name[MMF_NAME_BYTES]; /* full name with prefix; "" if unnamed */
    /* Mutex */
    int64_t owner_pid;      /* process of the owner; 0 if free */
    int64_t owner_tid;      /* thread id of the owner; 0 if free */
    unsigned long recursion;/* the owner's recursion count; 0 if free */
    int abandoned;          /* 1 if its owner died and no thread has
                               acquired it since, or if the thread that
                               acquired it after that has not released it */
    /* Event */
    int manual_reset;       /* 1 manual-reset, 0 auto-reset */
    int signaled;           /* event: 1 if signaled */
    /* Semaphore */
    long count;             /* current count */
    long maximum;           /* maximum count */
    /* Events and semaphores */
    unsigned long waiters;  /* event: threads waiting on it; semaphore:
                               threads asleep waiting on it. A waiter
                               killed while waiting may still be counted */
} mmf_sync_info;

/*
 * Describe the object `o` in *info. Returns 0, or MMF_EBADF (invalid
 * handle) or MMF_ECORRUPT (damaged shared state; *info then holds the type
 * and name only).
 */
MMF_API int mmf_sync_stat(const mmf_sync *o, mmf_sync_info *info);

/* ------------------------------------------------------------------------ */
/* Channels                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Channels move messages between processes through shared memory, without
 * copying when the zero-copy calls are used. Three kinds:
 *
 *   mmf_ring   one producer, one consumer, variable-length messages, in
 *              order (SPSC). A message is always contiguous in memory.
 *   mmf_queue  many producers, many consumers, fixed-size slots; each
 *              message goes to exactly one consumer (MPMC, bounded).
 *   mmf_bcast  one producer, many independent readers, each at its own
 *              pace; the producer never waits, and a reader that falls more
 *              than the capacity behind is told how many messages it lost.
 *
 * A channel is a named object in the same namespace as sections and sync
 * objects (type MMF_TYPE_CHANNEL; `mmf ls` shows it) and follows the same
 * lifetime: it lives while any process holds an endpoint to it. Each
 * endpoint has a role, MMF_ROLE_PRODUCER or MMF_ROLE_CONSUMER, chosen when
 * it is created or opened; a role's calls on an endpoint of the other role
 * fail with MMF_EINVAL. Either side may start first: create with
 * MMF_OPEN_OR_CREATE on both sides.
 *
 * WAITING
 *
 * Every call that may have to wait takes a timeout in milliseconds, as the
 * sync objects do: 0 tries once and fails with MMF_EAGAIN at once,
 * MMF_INFINITE waits as long as needed, anything up to MMF_TIMEOUT_MAX
 * waits that long and then fails with MMF_ETIMEDOUT. A waiting call spins
 * briefly, then sleeps in the kernel; the other side makes a wake-up system
 * call only when someone sleeps. With MMF_CHANNEL_BUSY_POLL an endpoint never
 * sleeps: it spins until the timeout, for callers that dedicate a core.
 *
 * PEERS
 *
 * An endpoint's process is known to be alive to the other side through the
 * kernel (on Linux, a file lock that the kernel drops when the process
 * dies), so a dead peer is noticed at once by a call that would otherwise
 * wait. One already asleep is woken by the kernel when the peer's process
 * dies (on Linux through a robust futex the peer holds, 5.16 or later)
 * and asks again, so it too notices at once; where the kernel cannot wake
 * it, it asks every 10 ms. A consumer
 * whose producers are all gone first receives every message that was
 * committed, then gets MMF_EPIPE; a producer that would have to wait for
 * room while its consumers are gone gets MMF_EPIPE. "Gone" means a peer
 * was attached at some time and none is now; before any peer has ever
 * attached, calls just wait. A process may re-attach to a channel (open it
 * again by name, in the same role) and carry on where the dead one
 * stopped: in a ring, messages committed but not released are received
 * again, from the oldest, by the new consumer (what a queue and a
 * broadcast channel do is said with them).
 *
 * SHARED MEMORY IS UNTRUSTED
 *
 * Every position and length read from shared memory is validated before
 * use. A process that writes garbage into a channel makes the other side
 * fail with MMF_ECORRUPT - never read or write out of bounds, crash or spin
 * forever. So does truncating the channel's file (or a persistent ring's
 * file): every call of every endpoint that touched a lost page then fails
 * with MMF_ECORRUPT, without a SIGBUS (see FILES THAT SHRINK at the top of
 * this header).
 *
 * THREADS
 *
 * An endpoint is used by one thread at a time (a ring's producer endpoint
 * is the single producer); several threads may each open their own
 * endpoints of a queue or broadcast channel. Closing an endpoint while
 * another thread uses it is a bug.
 *
 * EXAMPLE
 *
 *     // producer
 *     mmf_ring *r;
 *     mmf_ring_create(&r, "ticks", 1 << 20, MMF_ROLE_PRODUCER,
 *                     MMF_OPEN_OR_CREATE, NULL);
 *     void *p;
 *     if (mmf_ring_reserve(r, sizeof(struct tick), &p, MMF_INFINITE) == 0) {
 *         fill_tick(p);
 *         mmf_ring_commit(r, sizeof(struct tick));
 *     }
 *
 *     // consumer
 *     mmf_ring *r;
 *     mmf_ring_create(&r, "ticks", 1 << 20, MMF_ROLE_CONSUMER,
 *                     MMF_OPEN_OR_CREATE, NULL);
 *     mmf_msg m;
 *     while (mmf_ring_peek(r, &m, MMF_INFINITE) == 0) {
 *         use_tick(m.data, m.len);
 *         mmf_ring_release(r, 1);
 *     }                                 // MMF_EPIPE: the producer is gone
 */

/* The role of a channel endpoint. */
enum mmf_channel_role {
    MMF_ROLE_PRODUCER = 1,
    MMF_ROLE_CONSUMER = 2
};

/* Channel flags (mmf_channel_opts.flags). */
enum mmf_channel_flag {
    /* Never sleep in the kernel: waits spin until their timeout. */
    MMF_CHANNEL_BUSY_POLL = 0x1,
    /* Queue consumers only: the messages this endpoint holds when its
     * process dies go to another consumer instead of being lost (see
     * "Peers that die halfway" under MPMC queue). */
    MMF_CHANNEL_REDELIVER = 0x2
};

/* Options for creating or opening a channel endpoint. NULL: defaults. */
typedef struct mmf_channel_opts {
    unsigned flags;   /* MMF_CHANNEL_BUSY_POLL, MMF_CHANNEL_REDELIVER,
                         MMF_GLOBAL */
    unsigned mode;    /* permission bits of a new channel (e.g. 0660); 0
                         means owner-only (0600). Ignored when it exists. */
    const char *path; /* rings only: NULL, or a file that holds the ring so
                         that committed messages survive the death of every
                         process and a restart (see mmf_ring_flush) */
} mmf_channel_opts;

/* A message in shared memory, as the zero-copy calls hand it out. */
typedef struct mmf_msg {
    void *data;  /* first byte of the message */
    size_t len;  /* its length in bytes */
} mmf_msg;

/*
 * The errors every channel create or open call can return, besides its
 * own:
 *   MMF_EINVAL      name NULL or "" (a channel needs a name: its other
 *                   endpoint finds it by name), bad role, disposition,
 *                   flags or mode; geometry out of range (each call says)
 *   MMF_EEXIST      MMF_CREATE_NEW and the name exists
 *   MMF_ETYPE       the name belongs to another type of object or channel
 *   MMF_ENOENT      open: no such name
 *   MMF_EBUSY       the role is single (a ring's producer or consumer, a
 *                   broadcast's producer) and a live process holds it, or
 *                   as for mmf_section_create()
 *   MMF_EBADNAME, MMF_ENAMETOOLONG, MMF_EACCES, MMF_ECORRUPT, MMF_ENOSPC,
 *   MMF_ENOMEM, MMF_EMFILE  as for mmf_section_create(), and the store
 *                   folder errors of mmf_section_create() (MMF_ENOENT,
 *                   MMF_EINVAL)
 * and every call that waits:
 *   MMF_EAGAIN      timeout 0 and the call would wait
 *   MMF_ETIMEDOUT   the timeout passed
 *   MMF_EPIPE       the peer is gone (see PEERS)
 *   MMF_ECORRUPT    the shared state is damaged
 *   MMF_EINVAL      bad timeout, or a call of the other role
 */

/* ---- SPSC ring ---------------------------------------------------------- */

/*
 * A ring carries variable-length messages, in order, from one producer to
 * one consumer. Each message is a record of an 8-byte header and the
 * payload, padded to a multiple of 8 bytes, in a data area of `capacity`
 * bytes (of which 8 always stay free). The area is mapped twice back to back, so a message is always one
 * contiguous block of memory, also where it runs past the end of the area;
 * message pointers are 8-byte aligned.
 *
 * Zero-copy: the producer reserves space, writes the message in place and
 * commits it; the consumer peeks at it in place and releases it. Copying
 * send and recv are built on those. Batches publish several messages, or
 * give back several, with one update of the shared position.
 *
 * Endpoints: one producer and one consumer at a time (a second one of a
 * role fails with MMF_EBUSY while the first one's process lives). A
 * producer endpoint and a consumer endpoint may be used by two threads of
 * one process, or by two processes; each endpoint by one thread at a time.
 *
 * Every call that waits takes a timeout (0, milliseconds or MMF_INFINITE;
 * see WAITING above) and returns, besides its own errors:
 *   MMF_EAGAIN      timeout 0 and the call would wait
 *   MMF_ETIMEDOUT   the timeout passed
 *   MMF_EPIPE       the peer is gone and the call would wait for it (the
 *                   consumer first receives everything committed). A try
 *                   (timeout 0) may still say MMF_EAGAIN for up to a
 *                   millisecond after the peer left; a waiting call notices
 *                   at once, whether the peer left before or dies during
 *                   the wait (see PEERS)
 *   MMF_ECORRUPT    a position or record header in shared memory is
 *                   invalid (another process wrote it); nothing outside
 *                   the ring was read or written
 *   MMF_EINVAL      bad timeout, or a call of the other role
 * and, as every call (see MISUSE at the top), MMF_EBADF for a NULL or
 * closed handle and MMF_EINVAL for a NULL pointer the call needs.
 */
typedef struct mmf_ring mmf_ring;

/*
 * Create (or with MMF_OPEN_OR_CREATE, open) the ring `name` with a data
 * area of `capacity` bytes and attach to it as `role`.
 *
 * `capacity` is a power of two from 4096 to 2^40 (rounded up to the
 * allocation granularity where it is larger: a large page size, 64 KiB on
 * Windows); the largest message is capacity - 16, and
 * at most 2^32 - 1 bytes (mmf_ring_max_message()). The memory is committed at creation, so a
 * full store fails here (MMF_ENOSPC) and never later. With
 * MMF_OPEN_OR_CREATE and an existing ring, its capacity wins. `name` is
 * required: an unnamed ring could never get its other endpoint. opts may
 * be NULL; opts->flags takes MMF_CHANNEL_BUSY_POLL and MMF_GLOBAL.
 *
 * With opts->path the ring lives in that file (created if absent, with
 * opts->mode): a file already holding a ring is validated and its
 * messages are kept, so a restarted process continues where the dead ones
 * stopped. When the ring's name is made again from the file (every
 * endpoint had closed or died, or after a reboot), the first endpoint to
 * attach checks every message the file holds and drops a message that did
 * not reach the file whole, and everything after it, before any endpoint
 * makes a call; see mmf_ring_flush().
 *
 * On success *out is a new endpoint that the caller owns and closes with
 * mmf_ring_close(). Returns 0 (created) or MMF_EXISTED, or a create error
 * (see "The errors every channel create or open call can return"), in
 * particular:
 *   MMF_EINVAL      capacity not a power of two in range, name NULL or "",
 *                   bad role, disposition, flags or mode, opts->path ""
 *   MMF_EBUSY       a live process holds the role, or (a persistent ring
 *                   made again from its file) another endpoint has been
 *                   checking the file for over 2 seconds
 *   MMF_ETYPE       the name, or the file, holds another kind of object
 *   MMF_ECORRUPT    the ring's shared state or the file is damaged, or
 *                   the ring or its file has another ring format (an
 *                   earlier mmf wrote ring format 1, with 16-byte record
 *                   headers): drain such a ring with the mmf that made
 *                   it
 *   MMF_ENODEV      opts->path is not a regular file
 *   MMF_EACCES      the file or the object may not be opened read-write
 *   MMF_ENOSPC      no room in the store or on the file's device
 */
MMF_API int mmf_ring_create(mmf_ring **out, const char *name,
                            uint64_t capacity, int role, int disposition,
                            const mmf_channel_opts *opts);

/*
 * Attach to the existing ring `name` as `role` (a persistent ring too:
 * opts->path and opts->mode are ignored). Returns 0, or MMF_ENOENT (no
 * such name) and the errors of mmf_ring_create().
 */
MMF_API int mmf_ring_open(mmf_ring **out, const char *name, int role,
                          const mmf_channel_opts *opts);

/*
 * Detach and free the endpoint. A reservation not committed is dropped;
 * messages peeked and not released stay in the ring and come again to the
 * next consumer. A peer asleep in a wait is woken and finds this side gone
 * (MMF_EPIPE, once the ring is drained or full). The last endpoint in the
 * system removes the name (a persistent ring's file stays). Returns 0.
 */
MMF_API int mmf_ring_close(mmf_ring *r);

/* The largest message the ring `r` can carry: its capacity - 16 (an 8-byte
 * record header, and 8 bytes that stay free after the last record), at
 * most 2^32 - 1. */
MMF_API size_t mmf_ring_max_message(const mmf_ring *r);

/*
 * Producer: reserve `len` contiguous writable bytes for the next message,
 * waiting for room up to the timeout. *ptr (8-byte aligned) points into
 * the ring; the caller writes the message there and publishes it with
 * mmf_ring_commit(). Nothing is visible to the consumer before the commit.
 * Returns 0, or:
 *   MMF_EINVAL      len 0 or above mmf_ring_max_message(), a reservation
 *                   is pending, or the endpoint is a consumer
 *   MMF_EPIPE       there is no room and the consumer is gone
 * and the wait errors (above).
 */
MMF_API int mmf_ring_reserve(mmf_ring *r, size_t len, void **ptr,
                             long long timeout_ms);

/*
 * Producer: publish the reserved message with its final length `len` (at
 * most what was reserved; the rest of the room is given back). Also
 * commits a one-message batch. Never waits. Returns 0, or MMF_EINVAL
 * (nothing reserved, several reserved, len 0 or larger than the
 * reservation, or the endpoint is a consumer).
 */
MMF_API int mmf_ring_commit(mmf_ring *r, size_t len);

/*
 * Producer: reserve several messages at once. msgs[i].len (1 to
 * mmf_ring_max_message()) gives each length; the call waits up to the
 * timeout for room for the first, then reserves as many of msgs[0..n) as
 * fit, in order. On success msgs[0..k).data point at their space (each
 * 8-byte aligned) and k >= 1 is returned. Publish them with one
 * mmf_ring_commit_batch(r, k). Returns k, or MMF_EINVAL (n 0, a length out
 * of range, a reservation pending, or a consumer endpoint; nothing is
 * reserved), MMF_EPIPE (no room for the first, and the consumer is gone)
 * or the wait errors.
 */
MMF_API int mmf_ring_reserve_batch(mmf_ring *r, mmf_msg *msgs, size_t n,
                                   long long timeout_ms);

/*
 * Producer: publish the first k reserved messages at once, with the
 * lengths they were reserved with, and drop the rest of the reservation
 * (k 0 drops it all and publishes nothing). Also commits a single
 * mmf_ring_reserve() (k 1). Never waits. Returns 0, or MMF_EINVAL (nothing
 * reserved, or k larger than the number reserved), or MMF_ECORRUPT (another
 * process changed a reserved message's header; nothing was published and
 * the reservation is dropped).
 */
MMF_API int mmf_ring_commit_batch(mmf_ring *r, size_t k);

/*
 * Producer: copy `len` bytes from `data` into one message: reserve, copy,
 * commit. Returns 0, or the errors of mmf_ring_reserve().
 */
MMF_API int mmf_ring_send(mmf_ring *r, const void *data, size_t len,
                          long long timeout_ms);

/*
 * Consumer: the oldest message not yet peeked, in place, waiting for one
 * up to the timeout. msg->data (8-byte aligned) and msg->len describe it;
 * the memory belongs to the ring and stays valid and unchanged until the
 * message is released (or the endpoint closed). Several messages may be
 * peeked before releasing any. Returns 0, or:
 *   MMF_EPIPE       the producer is gone and every message it committed
 *                   was peeked
 *   MMF_ECORRUPT    the next message's header is invalid
 *   MMF_EINVAL      the endpoint is a producer
 * and the wait errors (above).
 */
MMF_API int mmf_ring_peek(mmf_ring *r, mmf_msg *msg, long long timeout_ms);

/*
 * Consumer: peek at up to `max` messages at once (max >= 1), waiting up to
 * the timeout for the first; returns how many (>= 1) were stored in
 * msgs[]. If a damaged record follows good ones, the good ones are
 * returned and the next call reports MMF_ECORRUPT. Errors as for
 * mmf_ring_peek(), and MMF_EINVAL for max 0.
 */
MMF_API int mmf_ring_peek_batch(mmf_ring *r, mmf_msg *msgs, size_t max,
                                long long timeout_ms);

/*
 * Consumer: give back the `n` oldest peeked messages (n 0 does nothing),
 * making their room available to the producer with one update; their
 * memory must not be used after. Never waits. Returns 0, or MMF_EINVAL (n
 * larger than the number peeked, or a producer endpoint), or MMF_ECORRUPT
 * (another process changed a peeked message's header; nothing released).
 */
MMF_API int mmf_ring_release(mmf_ring *r, size_t n);

/*
 * Consumer: copy the next message into buf (cap bytes), store its length
 * in *len and release it. No message may be peeked and not released.
 * Returns 0, or MMF_EOVERFLOW (the message is larger than cap: *len is its
 * length and it stays in the ring, not peeked), MMF_EINVAL (messages are
 * peeked and not released, or a producer endpoint), or the errors of
 * mmf_ring_peek().
 */
MMF_API int mmf_ring_recv(mmf_ring *r, void *buf, size_t cap, size_t *len,
                          long long timeout_ms);

/*
 * Make the ring's state durable. For a persistent ring (opts->path), the
 * producer's flush writes every message committed since its last flush to
 * stable storage, then its position; the consumer's flush writes what it
 * released. After a crash of every process, or of the machine, a restart
 * finds every message committed before the producer's last flush, exactly
 * once, unless released before the consumer's last flush (one released
 * after it may come again; one committed after the producer's last flush
 * may or may not be there). A message that did not reach the file whole is
 * never delivered. When processes are killed and the machine stays up,
 * nothing is lost even without a flush: every message committed and not
 * released is there exactly once. For an in-memory ring, flush does
 * nothing. Takes as long as the disk needs; call it from the endpoint's
 * own thread. Returns 0 or MMF_EIO.
 */
MMF_API int mmf_ring_flush(mmf_ring *r);

/* ---- MPMC queue --------------------------------------------------------- */

/*
 * A bounded queue of `slots` fixed-size slots that up to 64 producers and
 * 64 consumers share at once, in any processes. Each message goes to
 * exactly one consumer; messages come out in the order their positions
 * were reserved, except that a consumer that takes a message later than
 * another may finish with it first. A message is at most slot_size bytes.
 *
 * Each endpoint holds at most one reservation or one peek at a time: a
 * producer one message (mmf_queue_reserve until mmf_queue_commit) or one
 * batch (mmf_queue_reserve_batch until mmf_queue_commit_batch), a
 * consumer one message (mmf_queue_peek until mmf_queue_release) or one
 * batch (mmf_queue_peek_batch until every message of it is released).
 * A batch costs about as much shared-memory traffic as one message.
 *
 * Peers that die halfway (see also PEERS above):
 *  - a producer that dies between reserve and commit loses that message
 *    (or every message of its batch not committed yet);
 *    consumers notice within a few milliseconds (at once when no
 *    producer is left) and skip its slot, exactly once;
 *    mmf_queue_committed() tells a restarted producer afterwards which
 *    of its positions were committed;
 *  - a consumer that dies between peek and release loses that message
 *    (or every message of its batch not released yet);
 *    producers that need its slot notice within a few milliseconds and
 *    take it back; unless it was attached with MMF_CHANNEL_REDELIVER:
 *    then the messages it held stay in the queue and another consumer
 *    receives them (a consumer that attaches takes them before anything
 *    new; a live one when it finds the queue empty, at once if a
 *    producer waits for their slots, else within about 100 ms). Such a
 *    message is delivered at least once: the dead consumer may have used
 *    it. Producers wait for those slots as for a full queue (MMF_EPIPE
 *    when no consumer is left), so they are never lost while the queue
 *    exists. A consumer without the flag that dies holding a message it
 *    received this way loses it;
 *  - a consumer whose producers are all gone receives every committed
 *    message, then gets MMF_EPIPE; a producer that would wait for room
 *    while its consumers are all gone gets MMF_EPIPE.
 * These rely on the process dying: a thread that stops between reserve
 * and commit in a live process holds its slot (and the consumers behind
 * it) until it commits or closes its endpoint.
 *
 * A queue cannot live in a file: opts->path must be NULL.
 */

typedef struct mmf_queue mmf_queue;

/*
 * Create (or with MMF_OPEN_OR_CREATE, open) the queue `name` of `slots`
 * slots (a power of two from 2 to 2^24) of `slot_size` bytes each (1 to
 * 2^24; slots times slot_size, plus 16 bytes a slot, at most 2^40), and
 * attach to it as `role`. On success *out is a new endpoint the caller
 * closes with mmf_queue_close(). Returns 0 (created) or MMF_EXISTED (an
 * existing queue, whose geometry wins), or a create error (above), among
 * them MMF_EINVAL for a bad geometry or opts->path not NULL, and MMF_EBUSY
 * when 64 live endpoints of the role are attached.
 */
MMF_API int mmf_queue_create(mmf_queue **out, const char *name,
                             uint32_t slots, uint32_t slot_size, int role,
                             int disposition, const mmf_channel_opts *opts);

/* Attach to the existing queue `name` as `role`; errors as for
 * mmf_queue_create (MMF_ENOENT if there is none). opts->path must be NULL. */
MMF_API int mmf_queue_open(mmf_queue **out, const char *name, int role,
                           const mmf_channel_opts *opts);

/*
 * Detach and free the endpoint. A pending reservation is dropped
 * (consumers skip its slot); a peeked message is released, unless the
 * endpoint has MMF_CHANNEL_REDELIVER: then it goes to another consumer,
 * as if the endpoint had died. The last endpoint in the system removes the
 * name. Returns 0.
 */
MMF_API int mmf_queue_close(mmf_queue *q);

/* The slot size: the largest message of the queue `q`. */
MMF_API size_t mmf_queue_slot_size(const mmf_queue *q);

/*
 * Producer: reserve the next free slot, waiting for room up to the
 * timeout. *ptr points at its slot_size bytes (8-byte aligned), which the
 * caller fills and publishes with mmf_queue_commit(). Returns 0, or:
 *   MMF_EINVAL      a reservation is pending, or the endpoint is a consumer
 * and the wait errors (above): MMF_EAGAIN, MMF_ETIMEDOUT, MMF_EPIPE (the
 * queue is full and every consumer is gone), MMF_ECORRUPT, MMF_EINVAL.
 */
MMF_API int mmf_queue_reserve(mmf_queue *q, void **ptr, long long timeout_ms);

/*
 * Producer: publish the reserved slot as a message of `len` bytes (1 to
 * the slot size); the pointer from mmf_queue_reserve() is then no longer
 * the caller's. Also commits a one-message batch (with this length).
 * Never waits. Returns 0, or MMF_EINVAL (nothing reserved, several
 * reserved, len out of range, or a consumer endpoint).
 */
MMF_API int mmf_queue_commit(mmf_queue *q, size_t len);

/*
 * Producer: reserve several slots at once. msgs[i].len (1 to the slot
 * size) gives each message's length; the call waits up to the timeout for
 * room for the first, then reserves as many of msgs[0..n) as there are
 * free slots right behind it (at most the number of slots), in order, with
 * one update of the shared position. On success msgs[0..k).data point at
 * their slots (8-byte aligned, slot_size bytes each), which the caller
 * fills and publishes with one mmf_queue_commit_batch(q, k); k >= 1 is
 * returned. msgs[k..n) are not touched. Returns k, or MMF_EINVAL (msgs
 * NULL, n 0, a length out of range, a reservation pending, or a consumer
 * endpoint; nothing is reserved), or the wait errors of
 * mmf_queue_reserve().
 */
MMF_API int mmf_queue_reserve_batch(mmf_queue *q, mmf_msg *msgs, size_t n,
                                    long long timeout_ms);

/*
 * Producer: publish the first k reserved messages at once, with the
 * lengths they were reserved with, and drop the rest of the reservation
 * (consumers skip dropped slots; k 0 drops it all). Also commits a single
 * mmf_queue_reserve() (k 1: the message then fills its slot; k 0 drops
 * it). The slots' memory is no longer the caller's. Never waits. Returns
 * 0, or MMF_EINVAL (nothing reserved, k larger than the number reserved,
 * or a consumer endpoint).
 */
MMF_API int mmf_queue_commit_batch(mmf_queue *q, size_t k);

/*
 * Whether the message at position `pos` was committed, asked afterwards:
 * a producer that restarts after its process died between
 * mmf_queue_reserve_batch() and the end of mmf_queue_commit_batch() (which
 * publishes a batch's messages one after the other) learns here which of
 * its positions hold messages. Positions count the slots ever reserved in
 * the queue, from 0: mmf_channel_stat()'s `produced` is the next one, so a
 * producer that reads it before it reserves, while it is the only
 * producer, knows the positions it gets. Works on an endpoint of either
 * role; never waits. Returns:
 *   1               committed: the message is in the queue, or was taken
 *                   by a consumer (even one that died holding it)
 *   0               not committed: reserved and not committed yet (final
 *                   once its producer is dead), dropped (mmf_queue_close,
 *                   mmf_queue_commit_batch with fewer), or skipped by the
 *                   consumers because its producer died
 *   MMF_ERANGE      pos is not reserved yet, or its slot has been reserved
 *                   again since (a lap later): the queue no longer knows
 *   MMF_ECORRUPT    the slot holds a state no position can be in
 *   MMF_EBADF       q is NULL or closed
 * The answer is exact while no producer is reserving the slot's next lap
 * (position pos + slots): a producer taking back a slot from a consumer
 * that died while skipping it may make the call answer 1 for a position
 * that was never committed, until it reserves the slot (then MMF_ERANGE).
 * A producer that asks about its own positions before it reserves again,
 * with no other producer attached, gets exact answers.
 */
MMF_API int mmf_queue_committed(const mmf_queue *q, uint64_t pos);

/*
 * Producer: copy `len` bytes (1 to the slot size) from `data` into one
 * message, waiting for room up to the timeout. Returns 0, MMF_EINVAL (len
 * out of range, a reservation pending, or a consumer endpoint), or the
 * errors of mmf_queue_reserve().
 */
MMF_API int mmf_queue_send(mmf_queue *q, const void *data, size_t len,
                           long long timeout_ms);

/*
 * Consumer: take the next message, in place, waiting for one up to the
 * timeout. msg->data points at it in the slot (8-byte aligned) and stays
 * valid and unchanged until mmf_queue_release(); no other consumer gets
 * this message. Returns 0, or:
 *   MMF_EINVAL      a peeked message is not released yet, or the endpoint
 *                   is a producer
 * and the wait errors (above): MMF_EAGAIN, MMF_ETIMEDOUT, MMF_EPIPE (empty
 * and every producer is gone), MMF_ECORRUPT, MMF_EINVAL.
 */
MMF_API int mmf_queue_peek(mmf_queue *q, mmf_msg *msg, long long timeout_ms);

/*
 * Consumer: take up to `max` messages at once (max >= 1), waiting up to
 * the timeout for the first; the others are the committed messages right
 * behind it, taken with the same update of the shared position. Returns
 * how many (k >= 1) were stored in msgs[0..k): each msgs[i].data points at
 * its message in its slot (8-byte aligned) and stays valid and unchanged
 * until that message is released; no other consumer gets these messages.
 * Release them, oldest first, with mmf_queue_release_batch() (or
 * mmf_queue_release(), one at a time). Returns k, or MMF_EINVAL (msgs
 * NULL, max 0, messages peeked and not all released, or a producer
 * endpoint), MMF_ECORRUPT (another process changed a taken message's
 * length: the batch is given back and lost), or the wait errors of
 * mmf_queue_peek().
 */
MMF_API int mmf_queue_peek_batch(mmf_queue *q, mmf_msg *msgs, size_t max,
                                 long long timeout_ms);

/* Consumer: give the oldest peeked message's slot back to the producers
 * (as mmf_queue_release_batch(q, 1)). Returns 0, or MMF_EINVAL (nothing
 * peeked, or a producer endpoint). */
MMF_API int mmf_queue_release(mmf_queue *q);

/*
 * Consumer: give the `n` oldest peeked messages back to the producers (n 0
 * does nothing), waking them once; their memory must not be used after.
 * Never waits. Returns 0, or MMF_EINVAL (n larger than the number peeked
 * and not released, or a producer endpoint).
 */
MMF_API int mmf_queue_release_batch(mmf_queue *q, size_t n);

/*
 * Consumer: how many messages this endpoint holds (peeked and not
 * released) and, when it holds some, the queue position of the oldest in
 * *pos; they are at consecutive positions. Positions count the slots
 * ever reserved, as for mmf_queue_committed(), so a message keeps its
 * position when it is delivered again (MMF_CHANNEL_REDELIVER): a
 * consumer that records positions before it passes messages on can tell
 * a message it passed on before it died. Never waits. Returns the number
 * (0: none, *pos unchanged), or MMF_EINVAL (pos NULL, or a producer
 * endpoint), or MMF_EBADF (q NULL or closed).
 */
MMF_API int mmf_queue_held(const mmf_queue *q, uint64_t *pos);

/*
 * Consumer: copy the next message into buf (cap bytes), store its length
 * in *len and release it, waiting for one up to the timeout. Returns 0,
 * MMF_EOVERFLOW (the next message is longer than cap: *len is its length,
 * and it stays in the queue for a consumer with room), MMF_EINVAL (a
 * peeked message is not released yet, or a producer endpoint), or the wait
 * errors of mmf_queue_peek().
 */
MMF_API int mmf_queue_recv(mmf_queue *q, void *buf, size_t cap, size_t *len,
                           long long timeout_ms);

/* ---- Broadcast ---------------------------------------------------------- */

/*
 * One producer and any number of readers (MMF_ROLE_CONSUMER endpoints),
 * each of which receives every message, in order, at its own pace, from
 * its own private position. The channel keeps the last `slots` messages;
 * the producer never waits and overwrites the oldest. A reader that falls
 * more than that behind is told how many messages it lost and goes on
 * from the oldest one still there. A reader never receives a message that
 * was being overwritten while it copied it: it counts it as lost instead.
 *
 * Readers hold no claims and cannot be counted: the producer neither knows
 * nor cares who reads. When the producer dies (or closes), readers receive
 * every message still there for them, then get MMF_EPIPE; a new producer
 * may attach (MMF_EBUSY while the first lives) and continue the sequence,
 * and readers then receive its messages.
 *
 * A broadcast channel cannot live in a file: opts->path must be NULL.
 */

typedef struct mmf_bcast mmf_bcast;

/*
 * Create (or with MMF_OPEN_OR_CREATE, open) the broadcast channel `name`
 * keeping the last `slots` messages (a power of two from 2 to 2^24) of up
 * to `slot_size` bytes (1 to 2^24; slots times slot_size, plus 16 bytes a
 * slot, at most 2^40), and attach as `role`. A new reader starts at the
 * next message published. On success *out is a new endpoint the caller
 * closes with mmf_bcast_close(). Returns 0 (created) or MMF_EXISTED (an
 * existing channel, whose geometry wins), or a create error (above), among
 * them MMF_EINVAL for a bad geometry or opts->path not NULL, and MMF_EBUSY
 * for a second live producer.
 */
MMF_API int mmf_bcast_create(mmf_bcast **out, const char *name,
                             uint32_t slots, uint32_t slot_size, int role,
                             int disposition, const mmf_channel_opts *opts);

/* Attach to the existing broadcast channel `name` as `role`; errors as for
 * mmf_bcast_create (MMF_ENOENT if there is none). */
MMF_API int mmf_bcast_open(mmf_bcast **out, const char *name, int role,
                           const mmf_channel_opts *opts);

/* Detach and free the endpoint. The last endpoint in the system removes
 * the name. Returns 0. */
MMF_API int mmf_bcast_close(mmf_bcast *b);

/* The slot size: the largest message of the channel `b`. */
MMF_API size_t mmf_bcast_slot_size(const mmf_bcast *b);

/*
 * Producer: publish a copy of `len` bytes (1 to the slot size) from
 * `data`, overwriting the oldest message; never waits, and makes a system
 * call only to wake sleeping readers. Returns 0, or MMF_EINVAL (len out of
 * range, or a reader endpoint).
 */
MMF_API int mmf_bcast_send(mmf_bcast *b, const void *data, size_t len);

/*
 * Reader: copy the next message into buf (cap bytes) and store its length
 * in *len, waiting for one up to the timeout. If the producer overwrote
 * messages this reader had not read yet, *lost (if not NULL) is how many,
 * and the reader skipped to the oldest one still there; otherwise *lost is
 * 0 (it is set on every return). Never returns torn data. Returns 0, or:
 *   MMF_EOVERFLOW   the message is longer than cap: *len is its length, and
 *                   it is skipped (not counted in *lost)
 *   MMF_EINVAL      a producer endpoint
 * and the wait errors (above): MMF_EAGAIN, MMF_ETIMEDOUT, MMF_EPIPE (this
 * reader has read everything and the producer is gone; a producer that
 * attaches later brings new messages), MMF_ECORRUPT, MMF_EINVAL.
 */
MMF_API int mmf_bcast_recv(mmf_bcast *b, void *buf, size_t cap, size_t *len,
                           uint64_t *lost, long long timeout_ms);

/* ------------------------------------------------------------------------ */
/* Inspection                                                                */
/* ------------------------------------------------------------------------ */

/*
 * What the `mmf` command-line tool shows, as an API: the named objects in
 * the store, the processes that hold them, how much of them is in memory.
 *
 * These calls only look. They never take a handle to an object, so they
 * neither keep a live object alive nor revive a stale one; they never
 * write to an object and never remove one, except mmf_object_remove() and
 * mmf_store_gc(), whose purpose is removing names nobody holds. Data is
 * read with mmf_object_read(), not through a view, so reading commits no
 * memory. What they report is a snapshot that other processes may change
 * at once. All of them may be called from any thread.
 *
 * On Linux, handle counts come from the kernel's lock table (/proc/locks),
 * which sees every process; which process holds what comes from
 * /proc/<pid>/fd and /proc/<pid>/maps, which only show the caller's own
 * processes unless it is root. Handles in processes the caller cannot
 * inspect are counted as "hidden", never silently dropped.
 */

/* Object types. */
enum mmf_type {
    MMF_TYPE_UNKNOWN = 0,   /* the header could not be read */
    MMF_TYPE_SECTION = 1,
    MMF_TYPE_MUTEX = 2,
    MMF_TYPE_EVENT = 3,
    MMF_TYPE_SEMAPHORE = 4,
    MMF_TYPE_CHANNEL = 5
};

/* The name of a type: "section", "mutex", "event", "semaphore", "channel",
 * or "unknown". The string is static. */
MMF_API const char *mmf_type_name(int type);

/* A count or size that could not be determined. */
#define MMF_UNKNOWN UINT64_MAX

/* What to find out besides the header (the `what` argument). */
enum mmf_info_what {
    /* Count the processes holding handles and mapping views (scans every
     * process the caller may inspect). */
    MMF_INFO_PROCESSES = 0x1,
    /* Measure resident (and, for file-backed sections, dirty) bytes. */
    MMF_INFO_RESIDENCY = 0x2,
    MMF_INFO_ALL = 0x3
};

/* What mmf_store_list() and mmf_object_stat() report about one object. */
typedef struct mmf_object_info {
    char name[MMF_NAME_BYTES]; /* full name with its prefix. If the
                                         header is unreadable and the name
                                         too long for a file name, the
                                         store's "~<hash>" key instead */
    int type;            /* enum mmf_type */
    int stale;           /* 1 if every holder died: the name is absent for
                            every API call, and next use or mmf_store_gc()
                            reclaims it */
    int corrupt;         /* 1 if the stored header is damaged or the entry
                            is not an mmf object */
    int readable;        /* 0 if the caller may not read the header (another
                            user's object): only owner, mode and sizes from
                            the store are known */
    int file_backed;     /* 1 for a section backed by a regular file */
    unsigned version;    /* header format version */
    uint64_t size;       /* section size in bytes (0 for sync objects) */
    unsigned prot;       /* MMF_PROT_* of a section */
    unsigned flags;      /* MMF_SECTION_*, with MMF_GLOBAL for Global\ names */
    uint32_t uid;        /* owner */
    uint32_t gid;
    unsigned mode;       /* permission bits, e.g. 0600 */
    int64_t creator_pid; /* process that created it (it may be gone) */
    uint64_t create_ns;  /* creation time, nanoseconds since 1970 (UTC) */
    uint64_t allocated;  /* bytes of memory or disk allocated to the data:
                            less than size for a sparse (reserved) section */
    uint64_t handles;    /* live handles in the whole system */
    uint64_t processes;  /* processes seen holding a handle */
    uint64_t mappers;    /* processes seen mapping a view */
    uint64_t hidden;     /* handles held by processes the caller cannot
                            inspect (they are not in `processes`) */
    uint64_t resident;   /* bytes of the data in memory */
    uint64_t dirty;      /* file-backed sections: bytes modified in memory
                            and not yet written to the file */
    char file[MMF_PATH_BYTES];       /* the backing file of a
                                             file-backed section, or "" */
    char store_file[MMF_PATH_BYTES]; /* where it lives in the store */
} mmf_object_info;

/*
 * List every named object in the caller's view of the store: its own
 * Local\ objects and all Global\ objects, live, stale or corrupt, sorted
 * by name. `what` (MMF_INFO_*) chooses the costly parts: without
 * MMF_INFO_PROCESSES, processes, mappers and hidden are MMF_UNKNOWN;
 * without MMF_INFO_RESIDENCY, resident and dirty are. handles is always
 * filled (MMF_UNKNOWN where the system does not tell). resident is
 * MMF_UNKNOWN when the caller may not read the data, dirty is MMF_UNKNOWN
 * except for file-backed sections on a system that reports it (Linux 6.5
 * and later).
 *
 * On success *list is an array of *count entries that the caller frees
 * with mmf_store_list_free() (NULL when *count is 0). Taking no handle, the
 * call cannot keep anything alive; an object may vanish right after.
 *
 * Returns 0, or MMF_ENOMEM, or MMF_EIO/MMF_EACCES if the store cannot be
 * read, MMF_ENOENT if the store folder does not exist, MMF_EINVAL if
 * MMF_STORE_DIR is not an absolute path.
 */
MMF_API int mmf_store_list(unsigned what, mmf_object_info **list,
                           size_t *count);

/* Free a list from mmf_store_list() or mmf_store_gc(). NULL is allowed. */
MMF_API void mmf_store_list_free(mmf_object_info *list);

/*
 * Describe the object `name` (any type) in *info, as mmf_store_list()
 * does. A stale object is reported (with stale set), not reclaimed.
 *
 * Returns 0, or:
 *   MMF_ENOENT      no object with that name is in the store
 *   MMF_EINVAL      name NULL or empty, or unknown bits in `what`
 *   MMF_EBADNAME, MMF_ENAMETOOLONG as for mmf_section_open()
 *   MMF_ENOMEM      not enough memory
 * An object the caller may not read is reported with readable 0, not as
 * an error.
 */
MMF_API int mmf_object_stat(const char *name, unsigned what,
                            mmf_object_info *info);

/* A view range seen in a process. */
typedef struct mmf_view_range {
    uint64_t offset;     /* offset in the section */
    uint64_t length;     /* bytes mapped (whole pages) */
    unsigned map;        /* MMF_MAP_* (MMF_MAP_NONE for an inaccessible
                            reservation) */
} mmf_view_range;

/* A process that holds handles to or maps views of an object. */
typedef struct mmf_holder {
    int64_t pid;
    char command[64];    /* the process's command name; "" if unknown */
    unsigned handles;    /* handles to the object open in the process */
    size_t nviews;       /* entries in views */
    mmf_view_range *views; /* the views it maps, by address. Adjacent views
                              with adjacent offsets may show as one */
} mmf_holder;

/*
 * The processes that hold handles to or map views of the object `name`,
 * by pid. *hidden (if not NULL) is set to the number of handles held by
 * processes the caller may not inspect (other users' processes, unless
 * the caller is root), which are not in the list. A process that inherited
 * a handle across fork() shows it as its parent does.
 *
 * On success *list is an array of *count holders that the caller frees
 * with mmf_object_holders_free() (NULL when *count is 0).
 *
 * Returns 0, or MMF_ENOENT (no such object), MMF_EINVAL, MMF_EBADNAME,
 * MMF_ENAMETOOLONG, MMF_ENOMEM. A stale object has no handle left, but a
 * process that closed its handles earlier may still map a view of it.
 */
MMF_API int mmf_object_holders(const char *name, mmf_holder **list,
                               size_t *count, uint64_t *hidden);

/* Free a list from mmf_object_holders(): the `count` holders' views
 * arrays and the array itself. NULL is allowed. */
MMF_API void mmf_object_holders_free(mmf_holder *list, size_t count);

/*
 * Whether any process maps the open file `fd`: a view of a section backed
 * by it (mmf's or the Win32 façade's, in any process, of any kind:
 * read-only, writable or copy-on-write), or any other mapping of it. The
 * Win32 façade asks this before shrinking or deleting a file, which
 * Windows refuses while a view of it exists. Like mmf_object_holders(),
 * it sees only the processes the caller may inspect, and it answers for
 * one instant: a view mapped right after is not refused by anything. It
 * reads the memory map of every such process (about 8 ms with 114
 * processes), so the façade asks only before a shrink or a delete.
 * Returns 1 (mapped), 0 (no mapping seen), or MMF_EBADF (fd not open),
 * MMF_ENOTSUP (on Windows, which refuses those changes itself).
 */
MMF_API int mmf_file_mapped(int fd);

/*
 * Copy up to `length` bytes of the data of section `name`, from `offset`,
 * into `buf`, without taking a handle and without mapping it: the section
 * is not kept alive, and reading a page a sparse section has not committed
 * yet gives zeros without committing it. *done (if not NULL) receives the
 * number of bytes copied: `length`, or less where the section ends. A stale
 * section is read as it was left. Needs read permission on the object (and
 * on the backing file of a file-backed section).
 *
 * Returns 0, or:
 *   MMF_ENOENT      no such object (or its backing file is gone)
 *   MMF_ETYPE       the object is not a section
 *   MMF_ERANGE      offset past the end of the section
 *   MMF_EACCES      the caller may not read it
 *   MMF_ECORRUPT    the stored header is damaged
 *   MMF_EINVAL, MMF_EBADNAME, MMF_ENAMETOOLONG as for mmf_object_stat()
 */
MMF_API int mmf_object_read(const char *name, uint64_t offset, void *buf,
                            size_t length, size_t *done);

/* The kinds of channel (see "Channels" above). */
enum mmf_channel_kind {
    MMF_KIND_RING = 1,   /* SPSC message ring */
    MMF_KIND_QUEUE = 2,  /* MPMC queue of fixed-size slots */
    MMF_KIND_BCAST = 3   /* broadcast, one producer, many readers */
};

/* What mmf_channel_stat() reports: a snapshot that the channel's endpoints
 * may change at once. Counters are free-running. */
typedef struct mmf_channel_info {
    int kind;            /* enum mmf_channel_kind */
    int persistent;      /* 1 for a ring kept in a file */
    uint64_t capacity;   /* ring: bytes of data; queue, broadcast: slots */
    uint64_t max_message;/* the largest message, in bytes */
    uint64_t produced;   /* ring: bytes committed; queue, broadcast:
                            messages published (or slots claimed) */
    uint64_t consumed;   /* ring: bytes released; queue: messages taken;
                            broadcast: the oldest message still held */
    uint64_t fill;       /* ring: bytes in use; queue, broadcast: messages
                            held */
    uint64_t producers;  /* producer endpoints attached now */
    uint64_t consumers;  /* consumer (reader) endpoints attached now */
    uint64_t producers_ever; /* endpoints that ever attached, per role */
    uint64_t consumers_ever;
    int corrupt;         /* 1 if the control block is damaged: the counters
                            above are then MMF_UNKNOWN */
    char file[MMF_PATH_BYTES]; /* a persistent ring's file, or "" */
} mmf_channel_info;

/* The name of a channel kind: "ring", "queue", "broadcast" or "unknown".
 * The string is static. */
MMF_API const char *mmf_channel_kind_name(int kind);

/*
 * Describe the channel `name` in *info, reading its control block without
 * attaching (the channel is not kept alive and nothing is changed).
 * Returns 0, or:
 *   MMF_ENOENT      no such object
 *   MMF_ETYPE       the object is not a channel
 *   MMF_EACCES      the caller may not read it
 *   MMF_ECORRUPT    the stored header is damaged
 *   MMF_EINVAL, MMF_EBADNAME, MMF_ENAMETOOLONG as for mmf_object_stat()
 * A damaged control block is reported with info->corrupt 1, not as an
 * error.
 */
MMF_API int mmf_channel_stat(const char *name, mmf_channel_info *info);

/*
 * Remove the name `name` from the store, with Windows semantics: only when
 * no process holds a handle to it, which means a stale object (all its
 * holders died) or a corrupt entry. A live object cannot be removed: its
 * name goes when its last handle closes. Views still mapped keep their
 * memory.
 *
 * Returns 0, or:
 *   MMF_EBUSY       a process holds a handle to it (or is opening or
 *                   closing it at this moment)
 *   MMF_ENOENT      no such object (or someone reclaimed it first)
 *   MMF_EACCES      the caller may not remove another user's entry (or
 *                   may not write it: removing takes write permission)
 *   MMF_EINVAL, MMF_EBADNAME, MMF_ENAMETOOLONG as above
 */
MMF_API int mmf_object_remove(const char *name);

/*
 * Reclaim every stale or corrupt entry nobody holds in the caller's view of
 * the store, as mmf_object_remove() would. On success *removed lists what
 * was removed (as it was just before; free with mmf_store_list_free()) and
 * *count says how many.
 *
 * Corrupt entries include anything under an object's file name that is
 * not an object file: an empty folder or other non-regular file there
 * (which would make the name's create fail with MMF_ECORRUPT) is removed
 * when it belongs to the caller.
 *
 * Returns the number of stale or corrupt entries that could not be removed
 * (another user's, which the caller may not delete; a non-empty folder; 0
 * normally), or MMF_ENOMEM or the errors of mmf_store_list().
 */
MMF_API int mmf_store_gc(mmf_object_info **removed, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* MMF_H */
