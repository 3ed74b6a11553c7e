/* posix.h - helpers shared by the Linux backend files. */
#ifndef MMF_POSIX_H
#define MMF_POSIX_H

#include "../os.h"

/* errno value → MMF_E* code, folding errnos without an MMF_E* equivalent
 * into the nearest one. */
int mmf__posix_err(int errnum);

/* The object file of a store reference (open read-write for sync objects):
 * what src/posix/sync.c maps the shared state from. */
int mmf__posix_obj_fd(const mmf__obj *o);

/* The store folder: $MMF_STORE_DIR if it is an absolute path, else
 * /dev/shm. */
const char *mmf__posix_store_dir(void);

/* 1 if an open file description other than fd's holds a reference lock on
 * the object file fd, 0 if none, or an MMF_E* code. Takes no lock. */
int mmf__posix_other_holders(int fd);

/* Read and validate the header of the object file fd. Returns 0,
 * MMF_ECORRUPT, or an MMF_E* code. */
int mmf__posix_load_header(int fd, struct mmf__hdr *h);

/* The store path of the object named nm (see store.c). Returns 0 or
 * MMF_ENAMETOOLONG. */
int mmf__posix_object_path(const struct mmf__name *nm, char *path, size_t cap);

/* Remove the store entry at path if nobody holds it, under its gate.
 * Returns 0, MMF_EBUSY (held), MMF_ENOENT (already gone), MMF_EACCES (not
 * the caller's to delete), or an MMF_E* code. */
int mmf__posix_reclaim(const char *path);

/* Endpoint claim i (os.h) is a write lock on this byte + i of the object
 * file: far past the reference lock at byte 0. */
#define MMF__POSIX_CLAIM_BASE (UINT64_C(1) << 40)

#endif
