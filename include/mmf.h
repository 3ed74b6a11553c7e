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
 * Names share one namespace with the synchronization objects (mutexes,
 * events, semaphores): a name addresses at most one object, of one type.
 * Names are case-sensitive UTF-8 of at most MMF_NAME_MAX characters, with an
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
 *     strcpy(p, "Hello from Process A!");
 *     ...                       // keep s open while others need the name
 *     mmf_view_unmap(p);
 *     mmf_section_close(s);     // last handle: the name is gone
 *
 *     // Process B
 *     mmf_section *s;
 *     if (mmf_section_open(&s, "MySharedMemory", MMF_ACCESS_READ) == 0) {
 *         const char *p;
 *         mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p);
 *         puts(p);
 *         mmf_view_unmap((void *)p);
 *         mmf_section_close(s);
 *     }
 *
 * CONVENTIONS
 *
 * Every function that can fail returns an int: 0 (or a documented
 * non-negative value) on success, a negative MMF_E* code on failure. On
 * POSIX systems an MMF_E* code that has an errno equivalent equals -errno;
 * codes without one are below -4000. mmf_strerror() describes a code and
 * mmf_err_name() names it. The library never prints and never exits. Passing
 * a pointer that is not what the function expects (a freed handle, a NULL
 * out-parameter) is a bug in the caller and may abort; everything that can
 * legitimately go wrong at run time is a return code.
 *
 * THREADS AND PROCESSES
 *
 * All functions may be called from any thread. A section handle may be used
 * by several threads at once, but must not be closed while another thread
 * still uses it. Sections and views work between unrelated processes; that
 * is their purpose.
 */
#ifndef MMF_H
#define MMF_H

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

#define MMF_VERSION_MAJOR 0
#define MMF_VERSION_MINOR 1
#define MMF_VERSION_PATCH 0

/* Maximum length of a name after its prefix, in Unicode characters (as
 * Windows' MAX_PATH). The UTF-8 encoding of such a name may take up to four
 * times as many bytes. */
#define MMF_NAME_MAX 260

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * XX(name, value, description). Values equal to -errno on POSIX where an
 * errno exists; the others are mmf's own and lie below -4000.
 */
#define MMF_ERRNO_MAP(XX)                                                      \
    XX(EPERM, -1, "operation not permitted")                                   \
    XX(ENOENT, -2, "no object with that name exists")                          \
    XX(EINTR, -4, "interrupted by a signal")                                   \
    XX(EIO, -5, "input/output error")                                          \
    XX(EBADF, -9, "invalid or closed handle")                                  \
    XX(EAGAIN, -11, "resource temporarily unavailable")                       \
    XX(ENOMEM, -12, "not enough memory")                                       \
    XX(EACCES, -13, "access denied")                                           \
    XX(EFAULT, -14, "address is not inside a view")                            \
    XX(EBUSY, -16, "resource busy")                                            \
    XX(EEXIST, -17, "an object with that name already exists")                \
    XX(ENODEV, -19, "the file cannot be mapped")                               \
    XX(EINVAL, -22, "invalid argument")                                        \
    XX(EMFILE, -24, "too many open files in this process")                     \
    XX(EFBIG, -27, "size too large")                                           \
    XX(ENOSPC, -28, "no space left in the store or on the device")            \
    XX(ERANGE, -34, "range lies outside the section or file")                  \
    XX(ENAMETOOLONG, -36, "name too long")                                     \
    XX(EOVERFLOW, -75, "count would exceed its maximum")                       \
    XX(ENOTSUP, -95, "not supported on this system")                           \
    XX(ETIMEDOUT, -110, "timed out")                                           \
    XX(ETYPE, -4001, "the name belongs to an object of another type")          \
    XX(EALIGN, -4002, "offset or address not aligned to the allocation granularity") \
    XX(ECORRUPT, -4003, "shared object header is corrupt or not an mmf object") \
    XX(EBADNAME, -4004, "invalid object name")                                 \
    XX(EFILEEMPTY, -4005, "file is empty and no size was given")

enum mmf_error {
#define MMF_ERR_ENUM_(name, value, text) MMF_##name = (value),
    MMF_ERRNO_MAP(MMF_ERR_ENUM_)
#undef MMF_ERR_ENUM_
};

/* A description of the code `err` ("unknown error" for an unknown code).
 * The string is static; never free it. */
MMF_API const char *mmf_strerror(int err);

/* The symbolic name of `err`, e.g. "MMF_ENOENT" ("MMF_UNKNOWN" if unknown). */
MMF_API const char *mmf_err_name(int err);

/* ------------------------------------------------------------------------ */
/* System information                                                        */
/* ------------------------------------------------------------------------ */

/* The size of a page: the unit of protection and of section-size rounding. */
MMF_API size_t mmf_page_size(void);

/* The allocation granularity: view offsets must be multiples of it. On
 * Linux it is the page size; on Windows 64 KiB. */
MMF_API size_t mmf_allocation_granularity(void);

/* ------------------------------------------------------------------------ */
/* Sections                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct mmf_section mmf_section;

/* How mmf_section_create treats an existing name. */
enum mmf_disposition {
    MMF_CREATE_NEW = 1,     /* fail with MMF_EEXIST if the name exists */
    MMF_OPEN_OR_CREATE = 2  /* open the existing section (returns MMF_EXISTED) */
};

/* Positive return of a create call that opened an existing object. */
#define MMF_EXISTED 1

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
    MMF_SEC_RESERVE = 0x1,
    /* Back the section by huge pages (hugetlbfs). Fails with MMF_ENOTSUP
     * when the system has no hugetlbfs mount, MMF_ENOMEM when it has too
     * few free huge pages. The size is rounded up to the huge-page size. */
    MMF_SEC_LARGE_PAGES = 0x2,
    /* Put the name in the Global\ namespace even without the prefix. */
    MMF_SEC_GLOBAL = 0x4
};

/* Options for creating a section. A NULL pointer means all defaults. */
typedef struct mmf_section_opts {
    unsigned prot;  /* MMF_PROT_*; 0 means MMF_PROT_READ | MMF_PROT_WRITE */
    unsigned flags; /* MMF_SEC_* */
    unsigned mode;  /* permission bits of a named section (e.g. 0640);
                       0 means owner-only (0600). Applied exactly, without
                       the umask. Ignored when opening an existing name. */
} mmf_section_opts;

/*
 * Create a pagefile-backed section of `size` bytes, rounded up to a page.
 *
 * `name` may be NULL or "" for an unnamed section, which other processes can
 * reach only through mmf_section_export() or mmf_section_send(). New memory
 * is zero-filled. With MMF_OPEN_OR_CREATE and an existing section of that
 * name, the existing section is opened (its size and protection win; the
 * handle gets the access that `opts->prot` asks for) and MMF_EXISTED is
 * returned. On success *out is a new handle that the caller owns and closes
 * with mmf_section_close().
 *
 * Returns 0 (created) or MMF_EXISTED, or:
 *   MMF_EINVAL      size 0, bad disposition, prot or flags
 *   MMF_EEXIST      MMF_CREATE_NEW and the name exists
 *   MMF_ETYPE       the name belongs to a mutex, event, semaphore or channel
 *   MMF_EBADNAME    the name is not valid UTF-8, is empty after a prefix,
 *                   contains a backslash after the prefix, or uses a
 *                   reserved prefix ("Session\")
 *   MMF_ENAMETOOLONG the name is longer than MMF_NAME_MAX characters
 *   MMF_ENOSPC      the store cannot hold the section (full /dev/shm)
 *   MMF_ENOMEM      not enough memory (or huge pages) to commit it
 *   MMF_EFBIG       size beyond what the system can represent
 *   MMF_EACCES      the name exists and the caller may not open it
 *   MMF_ENOTSUP     MMF_SEC_LARGE_PAGES on a system without huge pages
 *   MMF_ECORRUPT    the existing object's header is damaged
 *   MMF_EMFILE      the process is out of file descriptors
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
 *   MMF_EINVAL      name NULL or empty, or access 0 or unknown bits
 *   MMF_EBADNAME, MMF_ENAMETOOLONG, MMF_ECORRUPT, MMF_EMFILE as above
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
 * The caller owns *out and closes it separately.
 */
MMF_API int mmf_section_duplicate(mmf_section *s, unsigned access,
                                  mmf_section **out);

/* What mmf_section_info() reports. */
typedef struct mmf_section_info {
    uint64_t size;      /* section size in bytes */
    unsigned prot;      /* MMF_PROT_* of the section */
    unsigned access;    /* MMF_ACCESS_* of this handle */
    unsigned flags;     /* MMF_SEC_* it was created with */
    int file_backed;    /* 1 if backed by a regular file */
    char name[4 * MMF_NAME_MAX + 16]; /* full name with prefix; "" if unnamed */
} mmf_section_info;

/* Fill *info for the section `s`. Returns 0. */
MMF_API int mmf_section_info_get(const mmf_section *s, mmf_section_info *info);

/*
 * Commit the range [offset, offset + length) of a section created with
 * MMF_SEC_RESERVE, so that touching it can never fail for lack of memory.
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
#define MMF_TOKEN_MAX 64

/*
 * Make a new, inheritable reference to the section with `access` (a subset
 * of s's access, else MMF_EACCES) and describe it in `token` (a short
 * string). Pass the token to a child process, e.g. in argv or the
 * environment, across fork + exec; the child calls mmf_section_import().
 * The reference keeps the name alive like a handle until both sides have
 * released it: the parent calls mmf_section_export_close(token) once the
 * child has started (its own copy is then released; the child's stays).
 * Returns 0, or MMF_EACCES, MMF_EMFILE.
 */
MMF_API int mmf_section_export(mmf_section *s, unsigned access,
                               char token[MMF_TOKEN_MAX]);

/* Release this process's copy of an exported reference. Returns 0, or
 * MMF_EINVAL for a malformed token. */
MMF_API int mmf_section_export_close(const char *token);

/*
 * Take ownership of an inherited reference described by `token`. On success
 * *out is a handle with the exported access, and the inherited descriptors
 * are closed. Returns 0, or MMF_EINVAL (malformed token), MMF_EBADF (the
 * descriptors are not open in this process), MMF_ECORRUPT.
 */
MMF_API int mmf_section_import(const char *token, mmf_section **out);

/*
 * Send a reference to the section with `access` (a subset of s's) over the
 * connected Unix-domain socket `sock`. The receiver calls
 * mmf_section_recv(). The reference is in flight until received; if the
 * receiver never receives it, it is released when the socket is closed.
 * Returns 0, or MMF_EACCES, and the socket's errors as MMF_E* codes.
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

/* View flags. */
enum mmf_view_flag {
    /* Pre-fault the whole view now. For a reserved section this also
     * commits the pages, and a lack of memory is returned as MMF_ENOMEM
     * instead of a fault later. */
    MMF_VIEW_POPULATE = 0x1
};

/*
 * Map a view of `size` bytes of section `s`, starting at `offset`, with
 * access `map` (MMF_MAP_*). `offset` must be a multiple of
 * mmf_allocation_granularity(); `size` 0 maps to the end of the section.
 * `*addr` on input is NULL (anywhere) or the exact address wanted, which
 * must be aligned to the allocation granularity and free. On success *addr
 * is the view's base; unmap it with mmf_view_unmap().
 *
 * Views of one section alias the same memory (except MMF_MAP_COPY views,
 * whose written pages are private). A view stays valid after every handle
 * is closed.
 *
 * Returns 0, or:
 *   MMF_EACCES   the handle lacks the access the view needs, or the
 *                section's protection does not allow it (e.g. a writable
 *                view of a read-only section)
 *   MMF_EALIGN   offset or requested address not aligned
 *   MMF_EINVAL   offset at or past the end of the section, bad map or flags
 *   MMF_ERANGE   offset + size past the end of the section
 *   MMF_EFAULT   the requested address is already in use
 *   MMF_ENOMEM   no address space, or (MMF_VIEW_POPULATE) no memory
 *   MMF_ENOTSUP  MMF_MAP_EXEC where the store forbids execution (noexec)
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
 * past the view), MMF_EIO.
 */
MMF_API int mmf_view_flush(void *addr, size_t length);

/*
 * As mmf_view_flush(), but returns only when the data of the range is on
 * stable storage (it survives a crash of the machine, not only of the
 * process). Returns as mmf_view_flush().
 */
MMF_API int mmf_view_flush_durable(void *addr, size_t length);

/* What mmf_view_query() reports. */
typedef struct mmf_view_info {
    void *base;        /* first byte of the view */
    size_t size;       /* size of the view in bytes */
    uint64_t offset;   /* offset of the view in its section */
    unsigned map;      /* MMF_MAP_* it was mapped with */
} mmf_view_info;

/* Describe the view containing `addr`. Returns 0 or MMF_EFAULT. */
MMF_API int mmf_view_query(const void *addr, mmf_view_info *info);

#ifdef __cplusplus
}
#endif

#endif /* MMF_H */
