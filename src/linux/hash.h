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

/*
 * The tables themselves: chained, the node embedded as the first member of
 * what it finds (so a node pointer converts to its owner), doubled when it
 * holds more nodes than buckets. The caller sets node.hash, compares keys
 * along the chain of a hash, and serialises every call.
 */
struct mmf__linux_hnode {
    struct mmf__linux_hnode *next; /* in its bucket's chain */
    uint64_t hash;
};

#define MMF__LINUX_HTABLE_MIN 64u
struct mmf__linux_htable {
    struct mmf__linux_hnode **bucket; /* `size` chains, a power of two */
    size_t size, count;
    struct mmf__linux_hnode *first[MMF__LINUX_HTABLE_MIN]; /* until it grows */
};
#define MMF__LINUX_HTABLE_INIT(t) {(t).first, MMF__LINUX_HTABLE_MIN, 0, {0}}

/* The chain where nodes of this hash are. */
static inline struct mmf__linux_hnode *mmf__linux_htable_chain(const struct mmf__linux_htable *t,
                                                               uint64_t hash)
{
    return t->bucket[hash & (t->size - 1)];
}

/* Add n (n->hash set). A table that cannot grow only gets longer chains. */
void mmf__linux_htable_add(struct mmf__linux_htable *t, struct mmf__linux_hnode *n);
/* Take n out of t, if it is there. */
void mmf__linux_htable_remove(struct mmf__linux_htable *t, struct mmf__linux_hnode *n);

#endif
