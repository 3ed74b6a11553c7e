/* SPDX-License-Identifier: MIT */
/*
 * inspect.h - the OS half of the inspection API (mmf_store_list,
 * mmf_object_stat, mmf_object_holders, mmf_object_remove, mmf_store_gc).
 * The portable half (src/inspect.c) parses names and owns the result lists;
 * each OS implements these once (src/posix/inspect.c for Linux).
 */
#ifndef MMF_INSPECT_H
#define MMF_INSPECT_H

#include <stddef.h>

#include "object.h"

/* Every object in the caller's view of the store, unsorted. On success
 * *list (malloc'ed, possibly NULL when *count is 0) is the caller's. */
int mmf__os_inspect_list(unsigned what, mmf_object_info **list, size_t *count);

/* One object. Returns 0, MMF_ENOENT, or an MMF_E* code. */
int mmf__os_inspect_stat(const struct mmf__name *nm, unsigned what,
                         mmf_object_info *info);

/* The processes holding handles to or mapping views of one object. On
 * success *list (malloc'ed, each holder's views malloc'ed too) is the
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

/* Remove every stale object in the caller's view. */
int mmf__os_inspect_gc(mmf_object_info **removed, size_t *count);

#endif
