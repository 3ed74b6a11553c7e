/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the backend interface: everything the portable core (the
 * .c files directly in src/) asks of the operating system, in one file.
 * To port mmf, implement every function declared here, once, in a folder
 * of its own: src/linux/ is the implementation for Linux with glibc, the
 * reference; the Windows backend will be src/win/. The core itself uses
 * only C11 and these functions.
 *
 * The central piece is the *store*: where named objects live, how a process
 * holds a reference to one (a handle), and how the last reference in the
 * system removes the name. On Linux an object is a file in /dev/shm whose
 * references are open-file-description locks (see src/linux/store.c and
 * docs/store.md).
 *
 * Four parts: system and store (system facts, a process lock, store
 * references, views and their damage, files behind sections, handle
 * passing); channels (futex-like waits, double mappings, endpoint claims,
 * peer death as an event); synchronization objects (the backend owns
 * their lock word and their waits); inspection (looking at the store
 * without taking references).
 *
 * Conventions: every int-returning function returns 0 (or a documented
 * non-negative value) or an MMF_E* code; arguments are checked by the
 * core before they get here unless a comment says otherwise.
 */
#ifndef MMF_BACKEND_H
#define MMF_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "mmf.h"
#include "object.h"

struct mmf__sync_params;

/* An open file of the OS: a descriptor on Linux, a HANDLE on Windows. */
typedef intptr_t mmf__file;
#define MMF__NO_FILE ((mmf__file)-1)


/* ---- System and store -------------------------------------------------- */

/* System facts. */
size_t mmf__os_page_size(void);
size_t mmf__os_granularity(void);

/* NUMA (MMF_NODE in include/mmf.h). mmf__os_numa_highest gives the
 * highest node number (0 without NUMA). mmf__os_numa_check returns 0 if
 * memory can be placed on `node`, MMF_EINVAL for a node past the highest,
 * MMF_ENOTSUP where the backend cannot place memory by node.
 * mmf__os_numa_prefer makes `node` the preferred node of the pages of
 * [addr, addr + len), a mapping made by mmf__os_map. */
int mmf__os_numa_highest(void);
int mmf__os_numa_check(unsigned node);
int mmf__os_numa_prefer(void *addr, size_t len, unsigned node);

/* A process-private lock for the core's own tables. */
void mmf__os_lock(void);
void mmf__os_unlock(void);

/* One reference (handle) to a stored object. Opaque to the core. */
typedef struct mmf__obj mmf__obj;

/* What to create. */
struct mmf__spec {
    uint32_t type;        /* enum mmf__type */
    uint64_t size;        /* size the caller asked for (0: file's size) */
    unsigned prot;        /* MMF_PROT_* */
    unsigned flags;       /* MMF_SECTION_* */
    unsigned mode;        /* permission bits of a named object */
    unsigned node;        /* preferred NUMA node + 1 (checked), 0: none */
    mmf__file file;       /* external file of a file-backed object, or MMF__NO_FILE */
    const void *state;    /* initial type-specific state, or NULL */
    size_t state_len;     /* at most MMF__STATE_BYTES */
    /* A synchronization object's parameters (what it starts as), or NULL
     * for every other type. The backend creates the object in that state
     * before it has a name, so nobody sees it uninitialised. */
    struct mmf__sync_params *sync;
};

/*
 * Create (or with MMF_OPEN_OR_CREATE open) an object. `name` NULL makes an
 * unnamed object. `access` is the handle's MMF_ACCESS_*, for a new object
 * and for an existing one alike. Returns 0, MMF_EXISTED, or an MMF_E* code.
 */
int mmf__os_obj_create(const struct mmf__name *name,
                       const struct mmf__spec *spec, int disposition,
                       unsigned access, mmf__obj **out);

/* Open an existing object of `type` with `access`. */
int mmf__os_obj_open(const struct mmf__name *name, uint32_t type,
                     unsigned access, mmf__obj **out);

/* Release a reference; the last one in the system removes the name. */
void mmf__os_obj_close(mmf__obj *o);

/* A new reference to the same object with `access` (a subset). */
int mmf__os_obj_dup(mmf__obj *o, unsigned access, mmf__obj **out);

/* The validated header copy taken when the reference was made. */
const struct mmf__hdr *mmf__os_obj_hdr(const mmf__obj *o);

/* The access of this reference. */
unsigned mmf__os_obj_access(const mmf__obj *o);

/* The object's live header page, mapped shared read-write (sync objects and
 * channels keep their state there). NULL if the handle cannot write. */
struct mmf__hdr *mmf__os_obj_shared_hdr(mmf__obj *o);

/* Commit [offset, offset + len) of the object's data. */
int mmf__os_obj_commit(mmf__obj *o, uint64_t offset, uint64_t len);

/*
 * Map [offset, offset + len) of the object's data. `prot` is a PROT-like mix
 * of MMF_MAP_READ/WRITE/EXEC (MMF_MAP_NONE for none); `copy` makes a
 * private copy-on-write mapping. `fixed` is NULL or the exact address;
 * otherwise `align` (a power of two, or 0 for the system's choice) is what
 * the chosen base must be a multiple of. On success *addr is the base and
 * *cookie an OS value that mmf__os_unmap and mmf__os_flush take back.
 */
int mmf__os_map(mmf__obj *o, uint64_t offset, size_t len, unsigned prot,
                int copy, void *fixed, size_t align, void **addr,
                intptr_t *cookie);
int mmf__os_populate(void *addr, size_t len, int write);
void mmf__os_unmap(void *addr, size_t len, intptr_t cookie);
int mmf__os_flush(void *addr, size_t len, intptr_t cookie, int durable);

/* 1 if pages of the mapping that starts at base (made by mmf__os_map,
 * mmf__os_map_twice or mmf__os_obj_shared_hdr) were lost because another
 * process shrank the file under it: they read as zeros now and are this
 * process's own, so the object is corrupt for this process. 0 otherwise.
 * Cheap enough to call on every operation. */
int mmf__os_damaged(const void *base);

/* Keep a view's OS value alive across a flush that runs outside the
 * table lock. */
intptr_t mmf__os_cookie_ref(intptr_t cookie);
void mmf__os_cookie_unref(intptr_t cookie);

/*
 * Prepare the caller's open file `f` to back a section with protection
 * `prot`: check it is a regular file whose open mode allows prot, resolve
 * *size 0 to the file's size, and grow the file to *size when it is
 * smaller (which needs MMF_PROT_WRITE). Returns 0 or an MMF_E* code.
 */
int mmf__os_file_prepare(mmf__file f, unsigned prot, uint64_t *size);

/* The OS file behind the caller's C library descriptor fd (the caller
 * keeps owning it). Returns 0 or MMF_EBADF. */
int mmf__os_file_from_fd(int fd, mmf__file *out);

/* Open the file at path (UTF-8) for a section with protection prot,
 * not inherited by child processes. Returns 0 or an MMF_E* code. */
int mmf__os_file_open(const char *path, unsigned prot, mmf__file *out);
void mmf__os_file_close(mmf__file f);

/* Handle passing. */
int mmf__os_export(mmf__obj *o, unsigned access, char *token, size_t cap);
int mmf__os_export_close(const char *token);
int mmf__os_import(const char *token, mmf__obj **out);
int mmf__os_send(int sock, mmf__obj *o, unsigned access);
int mmf__os_recv(int sock, mmf__obj **out);

#ifdef _WIN32
/*
 * Windows only (mmf_section_duplicate_to and mmf_section_adopt). Make a
 * handle to section o with `access` (a subset, already checked) in the
 * process whose HANDLE is `process`, storing its value there in *value;
 * returns 0, MMF_EBADF (not a process handle), MMF_EACCES (it lacks
 * PROCESS_DUP_HANDLE) or an MMF_E* code. Take over handle `value` of this
 * process as a section reference with the access it was granted: returns
 * 0 (and `value` is closed), MMF_EINVAL, MMF_EBADF (not an open handle),
 * MMF_ECORRUPT (not a section), MMF_EACCES (no mapping right) or an
 * MMF_E* code, leaving `value` open on failure. A channel's section is
 * adopted with header type MMF__TYPE_CHANNEL, for the core to refuse.
 */
int mmf__os_duplicate_to(mmf__obj *o, void *process, unsigned access,
                         uint64_t *value);
int mmf__os_adopt(uint64_t value, mmf__obj **out);
#endif

/* ---- Channels ---------------------------------------------------------- */

/* Monotonic clock, in nanoseconds. */
uint64_t mmf__os_now_ns(void);

/* No deadline: wait as long as it takes. */
#define MMF__NO_DEADLINE UINT64_MAX

/*
 * Futex-like waits on a word of a channel's control block. `o` is the
 * channel and `key` the word's byte offset in its control block (the same
 * in every process), so that a backend whose kernel cannot wait on an
 * address across processes can find a wake object of its own per word
 * (Windows: a named semaphore); Linux waits on the address itself.
 *
 * mmf__os_wait_word sleeps while *word == val, until the absolute
 * mmf__os_now_ns() deadline. Returns 0 (woken, the value differed, a
 * signal, or a wake-up meant for an earlier sleeper: callers re-check) or
 * MMF_ETIMEDOUT.
 *
 * mmf__os_wake_word wakes up to n sleepers on the word (n > 0; INT32_MAX:
 * all). Callers pass no more than the sleepers they know of: a backend may
 * keep wake-ups nobody took for the next sleeper, who then re-checks.
 */
int mmf__os_wait_word(mmf__obj *o, uint32_t key, const uint32_t *word, uint32_t val,
                      uint64_t deadline);
void mmf__os_wake_word(mmf__obj *o, uint32_t key, const uint32_t *word, int n);

/* Sleep about ns nanoseconds (at least a little: 0 yields). No wake-up. */
void mmf__os_nap(uint64_t ns);

/*
 * A channel's layout unit: the control block is this size, and a ring's
 * capacity at least this and a multiple of it, so that both start at
 * offsets the OS can map (and map twice). mmf__os_granularity() on every
 * system: 4096 on Linux, 65536 on Windows.
 */
size_t mmf__os_chan_granule(void);

/*
 * Map [offset, offset + len) of the object's data read-write twice, back
 * to back, so that the first byte past the first copy is the first byte of
 * the second: a ring's message can run across the end without a break.
 * offset and len are page multiples. *addr receives the base (2 * len
 * bytes); undo with mmf__os_unmap(*addr, 2 * len, *cookie).
 */
int mmf__os_map_twice(mmf__obj *o, uint64_t offset, size_t len, void **addr,
                      intptr_t *cookie);

/*
 * Endpoint claims: a mark that a live process uses one of the object's
 * claim slots (0 to MMF__CLAIM_SLOTS - 1). On Linux a claim is a write lock
 * through an open file description of its own, which the kernel drops when
 * the process dies, so a claim can never outlive its process.
 *
 * mmf__os_claim takes the first free slot of [first, first + count),
 * storing it in *slot and an OS value to release it in *claim; it returns
 * 0, MMF_EBUSY (all taken by live claims) or an MMF_E* code.
 * mmf__os_claimed returns 1 if any slot of the range is claimed (by any
 * process, the caller's other claims included), 0 if none, or an MMF_E*
 * code.
 */
#define MMF__CLAIM_SLOTS 1024u
int mmf__os_claim(mmf__obj *o, uint32_t first, uint32_t count,
                  uint32_t *slot, intptr_t *claim);
void mmf__os_unclaim(intptr_t claim);
int mmf__os_claimed(mmf__obj *o, uint32_t first, uint32_t count);

/*
 * Peer death as an event. A claim says for sure whether its holder lives,
 * but nothing wakes a sleeper when it goes; these calls let a dying
 * endpoint wake the peers that wait for it. On Linux each claimed endpoint
 * holds a robust futex (a liveness word the kernel marks and rings when
 * the owning thread ends) in private-entry form, so that no pointer is in
 * shared memory (src/linux/live.c); on Windows a sleeper waits on its
 * peers' claim mutexes, which the kernel abandons with their holder
 * (src/win/chan.c). The answer stays the claims': a wake-up only
 * makes the caller ask mmf__os_claimed sooner.
 *
 * mmf__os_live_open makes the endpoint state *live for reference o, whose
 * claim is `slot` (MMF__LIVE_NONE for an endpoint without one: it can
 * wait for peers but nobody waits for it), and arms it for the calling
 * thread. On failure *live is -1 and the endpoint is found dead only by
 * asking the claims. mmf__os_live_arm, cheap enough for every operation,
 * arms it again for the calling thread if the thread that armed it ended.
 * mmf__os_live_close undoes open; call it before giving up the claim.
 *
 * mmf__os_wait_peers sleeps while *word == val (o and key as for
 * mmf__os_wait_word), until the absolute
 * deadline `until`, or until an endpoint holding a claim in [first, first
 * + count) may have died. Returns 0 (woken or something changed: the
 * caller re-checks), 1 (a peer may be gone: ask the claims now, not at
 * the next scheduled look), MMF_ETIMEDOUT, or MMF_ENOTSUP without
 * sleeping when the death of some live peer in the range would not wake
 * it (then the caller sleeps in short slices and asks the claims after
 * each). `attached` is 1 when a peer ever attached: then finding no live
 * claim in the range returns 1 at once (they all left since the caller
 * last asked).
 */
#define MMF__LIVE_NONE UINT32_MAX
int mmf__os_live_open(mmf__obj *o, uint32_t slot, intptr_t *live);
void mmf__os_live_arm(intptr_t live);
void mmf__os_live_close(intptr_t live);
int mmf__os_wait_peers(mmf__obj *o, intptr_t live, uint32_t key, const uint32_t *word,
                       uint32_t val, uint32_t first, uint32_t count, int attached,
                       uint64_t until);

/* Open the file at path (UTF-8) read-write, creating it (permission bits
 * mode, 0600 if 0) if absent, not inherited by child processes. Returns 0
 * or an MMF_E* code. */
int mmf__os_file_create(const char *path, unsigned mode, mmf__file *out);

/* Read up to len bytes at offset off of the file f. Returns the number
 * read (less than len at the end of the file) or an MMF_E* code. */
long mmf__os_file_read(mmf__file f, uint64_t off, void *buf, size_t len);

/* ---- Synchronization objects ------------------------------------------- */

/* The process-wide view of one object: ONE per object per process, shared
 * by all of that process's handles to it (so two handles to one object
 * have the same mmf__syncmap, which is how duplicates are recognised). */
typedef struct mmf__syncmap mmf__syncmap;

/* What a new synchronization object starts as (struct mmf__spec.sync). */
struct mmf__sync_params {
    uint32_t type;      /* MMF__TYPE_MUTEX, _EVENT or _SEMAPHORE */
    int own;            /* mutex: the creating thread owns it */
    int manual;         /* event: manual-reset */
    int initial;        /* event: initially signaled */
    int32_t count;      /* semaphore: initial count */
    int32_t max;        /* semaphore: maximum count */
    void *kept;         /* backend: the mapping of an owned new mutex */
};

/* Events operations for mmf__os_event_op. */
enum mmf__event_op { MMF__EV_SET = 1, MMF__EV_RESET = 2, MMF__EV_PULSE = 3 };

/* Give back what the backend kept while creating an object that was not
 * created after all (the name existed, or creation failed later): an owned
 * mutex is released and its mapping removed. Does nothing otherwise. */
void mmf__os_sync_discard(struct mmf__sync_params *p);

/* The map of the object behind store reference `o`, of `type`, made or
 * shared; `p` is the create parameters (or NULL when opening). Returns 0,
 * MMF_ECORRUPT (the state is not of that type), MMF_ENOMEM, or an OS error. */
int mmf__os_sync_attach(mmf__obj *o, uint32_t type, struct mmf__sync_params *p,
                        mmf__syncmap **out);

/* Drop one handle's use of a map. The mapping goes when the process has no
 * handle left and no thread of it owns the mutex. */
void mmf__os_sync_detach(mmf__syncmap *m);

/* The operations; arguments are already checked. timeout_ms is
 * MMF_INFINITE or 0..MMF_TIMEOUT_MAX. */
int mmf__os_mutex_lock(mmf__syncmap *m, long long timeout_ms);
int mmf__os_mutex_unlock(mmf__syncmap *m);
int mmf__os_event_op(mmf__syncmap *m, int op);
int mmf__os_semaphore_release(mmf__syncmap *m, int32_t count, int32_t *prev);
int mmf__os_sync_wait(mmf__syncmap *const maps[], size_t n, int all,
                      long long timeout_ms);
int mmf__os_sync_query(mmf__syncmap *m, mmf_sync_info *info);

/* ---- Inspection -------------------------------------------------------- */

/* Every object in the caller's view of the store, unsorted. On success
 * *list (malloc'ed, possibly NULL when *count is 0) is the caller's. */
int mmf__os_inspect_list(unsigned what, mmf_object_info **list, size_t *count);

/* One object. Returns 0, MMF_ENOENT, or an MMF_E* code. */
int mmf__os_inspect_stat(const struct mmf__name *nm, unsigned what,
                         mmf_object_info *info);

/* The processes holding handles to or mapping views of one object, in any
 * order (the core sorts them by pid). On success *list (malloc'ed, each holder's views malloc'ed too) is the
 * caller's; free with mmf_object_holders_free(). */
int mmf__os_inspect_holders(const struct mmf__name *nm, mmf_holder **list,
                            size_t *count, uint64_t *hidden);

/* Copy data of a section without a handle or a mapping. */
int mmf__os_inspect_read(const struct mmf__name *nm, uint64_t offset, void *buf,
                         size_t length, size_t *done);

/* Read a channel without a handle: its validated header into *h, the
 * first len bytes of its control block into ctl (zeros past the end), and
 * a bitmap of the live endpoint claims (MMF__CLAIM_SLOTS bits, slot i in
 * bit i % 8 of byte i / 8). Returns 0, MMF_ENOENT, MMF_ETYPE (not a
 * channel) or an MMF_E* code. */
int mmf__os_inspect_channel(const struct mmf__name *nm, struct mmf__hdr *h,
                            void *ctl, size_t len, uint8_t *claims);

/* Remove a name nobody holds. */
int mmf__os_inspect_remove(const struct mmf__name *nm);

/* mmf_file_mapped(): 1 if a process the caller may inspect maps the file
 * of descriptor fd, 0 if none, or an MMF_E* code. */
int mmf__os_file_mapped(int fd);

/* Remove every stale object in the caller's view. */
int mmf__os_inspect_gc(mmf_object_info **removed, size_t *count);

#endif
