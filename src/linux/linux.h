/* SPDX-License-Identifier: MIT */
/* linux.h - helpers shared by the Linux backend files. */
#ifndef MMF_LINUX_H
#define MMF_LINUX_H

#include "../backend.h"

/* errno value → MMF_E* code, folding errnos without an MMF_E* equivalent
 * into the nearest one. */
int mmf__linux_err(int errnum);

/* The object file of a store reference (open read-write for sync objects):
 * what src/linux/sync.c maps the shared state from. */
int mmf__linux_obj_fd(const mmf__obj *o);

/* The store folder in *dir: $MMF_STORE_DIR if set (it must be an absolute
 * path: MMF_EINVAL otherwise), else /dev/shm. Returns 0 or MMF_EINVAL. */
int mmf__linux_store_dir(const char **dir);

/* Raise the soft limit on open descriptors to the hard limit, once per
 * process. Returns 1 if it was raised now (so a failed open may be tried
 * again), 0 if not. */
int mmf__linux_raise_nofile(void);

/* Make `node` the preferred NUMA node of [off, off + len) of the shmem
 * file fd, for every mapping of it and for its fallocate (os.c). */
int mmf__linux_numa_prefer_fd(int fd, uint64_t off, uint64_t len, unsigned node);

/* Run the stale-object sweep if this process's last one is at least a
 * second old (see store.c). */
void mmf__linux_sweep_maybe(void);


/* 1 if an open file description other than fd's holds a reference lock on
 * the object file fd, 0 if none, or an MMF_E* code. Takes no lock. */
int mmf__linux_other_holders(int fd);

/* Read and validate the header of the object file fd. Returns 0,
 * MMF_ECORRUPT, or an MMF_E* code. */
int mmf__linux_load_header(int fd, struct mmf__hdr *h);

/* Open the external data file that header h of the object file whose
 * fstat is obj names, with open flags `flags`, checking that it is the
 * regular file the header recorded (dev/ino), that it can hold h->size
 * bytes, and that following the untrusted header to it gives nobody who
 * may write the object file more than they have. Returns an fd, or
 * MMF_ENOENT (gone or replaced), MMF_EACCES, MMF_ECORRUPT or another
 * MMF_E* code. */
struct stat;
int mmf__linux_open_external(const struct mmf__hdr *h, const struct stat *obj, int flags);

/* The store path of the object named nm (see store.c). Returns 0 or
 * MMF_ENAMETOOLONG. */
int mmf__linux_object_path(const struct mmf__name *nm, char *path, size_t cap);

/* Remove the store entry at path if nobody holds it (a stale object, or an
 * empty folder or other squatter that is not a regular file), by the close
 * protocol of store.c. Returns 0, MMF_EBUSY (held), MMF_ENOENT (already
 * gone), MMF_EACCES (not the caller's to delete), or an MMF_E* code. */
int mmf__linux_reclaim(const char *path);

/* Open read-only the claims companion of the channel whose object file is
 * at path (open as fd, header h), checked as store.c does. Returns an fd
 * or an MMF_E* code. */
int mmf__linux_companion_open(const char *path, int fd, const struct mmf__hdr *h);

/* The channel's companion file, opened read-write by the reference o on
 * first use (store.c). Returns the descriptor, owned by the reference, or
 * an MMF_E* code. */
int mmf__linux_claims_fd(mmf__obj *o);

/* Initialise a new synchronization object's state in place in `live`,
 * its header page mapped shared read-write, from `p`, before the object
 * has a name (the store calls it while creating). For a mutex owned from
 * birth it maps the object (`file`) itself, takes the mutex, and keeps
 * that mapping in p->kept. Returns 0 or an MMF_E* code. */
struct mmf__sync_params;
int mmf__linux_sync_init(struct mmf__hdr *live, int file, struct mmf__sync_params *p);

/* 1 if glibc keeps its robust lists as sync.c expects (checked once). */
int mmf__linux_robust_ok(void);

/* The calling thread's robust-list head (glibc's), or NULL (sync.c). */
struct robust_list_head;
struct robust_list_head *mmf__linux_robust_head(void);
/* Link entry e at the front of the calling thread's list h, as glibc
 * links a robust mutex, or take it out of the list it is in. Private
 * memory only: e points at an entry's next word, its prev word just
 * before it, as in glibc's mutexes (sync.c). */
void mmf__linux_robust_link(struct robust_list_head *h, void **e);
void mmf__linux_robust_unlink(void **e);

/* Endpoint claim i (backend.h) is a write lock on this byte + i of the channel's
 * companion file (store.c). */
#define MMF__POSIX_CLAIM_BASE (UINT64_C(1) << 40)

#endif
