/* SPDX-License-Identifier: MIT */
/*
 * guard.h - keeping this process alive when a shared file shrinks under
 * one of mmf's mappings.
 *
 * Anyone who can write an object file (or the file behind a file-backed
 * section or persistent ring) can truncate it, and Linux then sends SIGBUS
 * to every process that touches a mapped page past the new end. Named
 * tmpfs files cannot be sealed against that (see docs/store.md), so mmf
 * registers each mapping it makes of such a file here. The first
 * registration installs a SIGBUS handler; on a fault in a registered range
 * the handler replaces the faulting page with private zero-filled memory,
 * marks the range damaged and lets the instruction run again. mmf's calls
 * then see the damage and fail with MMF_ECORRUPT; every other SIGBUS goes
 * on to the handler installed before mmf's, or to the default action.
 *
 * The registry is read by the handler while other threads change it, so
 * it is a fixed table of slots, each under its own sequence counter: no
 * lock and no allocation on either side.
 */
#ifndef MMF_POSIX_GUARD_H
#define MMF_POSIX_GUARD_H

#include <stddef.h>
#include <stdint.h>

/*
 * Register [addr, addr + len), a fresh mapping of a shared file with
 * protection prot (PROT_*), before anything touches it. Returns 0, or
 * MMF_ENOMEM when the table is full (the caller unmaps and fails: a
 * mapping mmf cannot guard is one it does not make).
 */
int mmf__linux_guard_add(void *addr, size_t len, int prot);

/*
 * mmf__linux_guard_add for a mapping made for the core (cookie as
 * mmf__os_map's): on failure the mapping is undone with mmf__os_unmap and
 * MMF_ENOMEM returned.
 */
int mmf__linux_guard_map(void *addr, size_t len, int prot, intptr_t cookie);

/*
 * Forget the mapping registered at addr with length len. Call it before
 * the range is unmapped (or handed over to a non-guarded use), so that
 * nobody else's mapping at that address is ever taken for ours. Returns 1
 * if the range had been damaged, else 0 (also if it was not registered).
 */
int mmf__linux_guard_remove(void *addr, size_t len);

/* mmf__linux_guard_remove, then munmap. */
void mmf__linux_guard_unmap(void *addr, size_t len);

/*
 * 1 if the registered mapping whose first byte is base lost pages to a
 * shrunken file (they now read as zeros and are private), else 0. Costs
 * one load while nothing in the process was ever damaged.
 */
int mmf__linux_guard_damaged(const void *base);

#endif
