/* SPDX-License-Identifier: MIT */
/*
 * hash.h - the keyed hash of this process's lookup tables.
 *
 * The tables that find what a process holds (references by path in
 * store.c, sync mappings by file identity in sync.c) are hash tables, so
 * that a lookup costs the same whatever the process holds. Their keys
 * come partly from others (names anyone may choose, inode numbers of
 * files anyone may create), so the hash is SipHash-1-3 under a key drawn
 * at random once per process: nobody who does not know the key can choose
 * keys that collide, and a process does not reveal it.
 */
#ifndef MMF_LINUX_HASH_H
#define MMF_LINUX_HASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-1-3 of the n bytes at p under this process's key. */
uint64_t mmf__linux_hash(const void *p, size_t n);

#endif
