/* SPDX-License-Identifier: MIT */
/*
 * view.c - views: mapping, and the process-wide table of live views that
 * lets any address inside a view find it (UnmapViewOfFile semantics).
 *
 * The table is a treap (a binary search tree by base address whose nodes
 * also form a heap by a random priority), so that mapping, unmapping and
 * finding a view take O(log n) expected steps with n views, in any order
 * of addresses. The priorities come from a private generator; nothing
 * outside the process chooses them or the addresses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct view {
    uintptr_t base;
    size_t len;       /* mapped length (whole pages) */
    size_t size;      /* requested size */
    uint64_t offset;
    unsigned map;
    intptr_t cookie;  /* OS value for unmap and flush */
};

struct vnode {
    struct view v;
    struct vnode *child[2]; /* lower bases, higher bases */
    uint32_t prio;          /* no child has a higher one */
};

/* Guarded by mmf__os_lock(). */
static struct vnode *root;
static uint32_t prio_state = 0x9e3779b9u;

/* xorshift32: cheap, and never 0 from a non-zero state. */
static uint32_t next_prio(void)
{
    uint32_t x = prio_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return prio_state = x;
}

/* The view containing addr, or NULL: the one with the highest base not
 * above addr, if addr falls inside it. Call with the lock held. */
static struct vnode *find(uintptr_t addr)
{
    struct vnode *t = root, *best = NULL;
    while (t != NULL) {
        if (t->v.base <= addr) {
            best = t;
            t = t->child[1];
        } else {
            t = t->child[0];
        }
    }
    return best != NULL && addr - best->v.base < best->v.len ? best : NULL;
}

/* The tree's order: by base, then (should a view have been unmapped behind
 * our back and its address reused) by node address, so that no two nodes
 * compare equal. */
static int before(const struct vnode *a, const struct vnode *b)
{
    return a->v.base != b->v.base ? a->v.base < b->v.base : (uintptr_t)a < (uintptr_t)b;
}

/* Split t into the nodes before key (*lo) and the rest (*hi). */
static void split(struct vnode *t, const struct vnode *key, struct vnode **lo,
                  struct vnode **hi)
{
    while (t != NULL) {
        if (before(t, key)) {
            *lo = t;
            lo = &t->child[1];
            t = t->child[1];
        } else {
            *hi = t;
            hi = &t->child[0];
            t = t->child[0];
        }
    }
    *lo = *hi = NULL;
}

/* Join a and b, every base in a being below every base in b. */
static struct vnode *merge(struct vnode *a, struct vnode *b)
{
    struct vnode *top = NULL, **at = &top;
    while (a != NULL && b != NULL) {
        if (a->prio > b->prio) {
            *at = a;
            at = &a->child[1];
            a = a->child[1];
        } else {
            *at = b;
            at = &b->child[0];
            b = b->child[0];
        }
    }
    *at = a != NULL ? a : b;
    return top;
}

/* Insert n (its view filled in). Call with the lock held. */
static void insert(struct vnode *n)
{
    struct vnode **t = &root;
    n->prio = next_prio();
    while (*t != NULL && (*t)->prio >= n->prio)
        t = &(*t)->child[before(*t, n)];
    split(*t, n, &n->child[0], &n->child[1]);
    *t = n;
}

/* Take node n out of the tree. Call with the lock held. */
static void erase(struct vnode *n)
{
    struct vnode **t = &root;
    while (*t != NULL && *t != n)
        t = &(*t)->child[before(*t, n)];
    if (*t == n)
        *t = merge(n->child[0], n->child[1]);
}

/* Check `map` and return what the handle and section must allow. */
static int check_map(unsigned map, unsigned *need_access, unsigned *need_prot)
{
    unsigned kind = map & (MMF_MAP_READ | MMF_MAP_WRITE | MMF_MAP_COPY);

    if (map & ~(unsigned)(MMF_MAP_READ | MMF_MAP_WRITE | MMF_MAP_COPY | MMF_MAP_EXEC))
        return MMF_EINVAL;
    /* WRITE implies READ; COPY reads too; COPY with WRITE is ambiguous. */
    if ((kind & MMF_MAP_WRITE) && (kind & MMF_MAP_COPY))
        return MMF_EINVAL;
    if ((map & MMF_MAP_EXEC) && kind == 0)
        return MMF_EINVAL;
    *need_access = (kind & MMF_MAP_WRITE) ? MMF_ACCESS_WRITE : MMF_ACCESS_READ;
    *need_prot = (kind & MMF_MAP_WRITE) ? MMF_PROT_WRITE : 0;
    if (map & MMF_MAP_EXEC) {
        *need_access |= MMF_ACCESS_EXEC;
        *need_prot |= MMF_PROT_EXEC;
    }
    return 0;
}

int mmf_view_map(mmf_section *s, unsigned map, uint64_t offset, size_t size,
                 unsigned flags, void **addr)
{
    const struct mmf__hdr *h;
    uint64_t gran = mmf__os_granularity(), page = mmf__os_page_size();
    unsigned need_access, need_prot, prot, node;
    struct vnode *n;
    struct view v;
    mmf__obj *obj;
    void *fixed;
    int rc;

    if ((rc = mmf__section_obj(s, &obj)) < 0)
        return rc;
    if (addr == NULL)
        return MMF_EINVAL;
    h = mmf__os_obj_hdr(obj);
    fixed = (flags & MMF_VIEW_FIXED) ? *addr : NULL;
    if ((flags & MMF_VIEW_FIXED) && fixed == NULL)
        return MMF_EINVAL;
    if ((rc = check_map(map, &need_access, &need_prot)) < 0)
        return rc;
    if (flags & ~(unsigned)(MMF_VIEW_POPULATE | MMF_VIEW_FIXED | MMF_VIEW_ALIGN |
                            MMF_NODE_MASK))
        return MMF_EINVAL;
    node = (flags & MMF_NODE_MASK) >> 16;
    if (node != 0 && (rc = mmf__os_numa_check(node - 1)) < 0)
        return rc;
    if ((need_access & ~mmf__os_obj_access(obj)) || (need_prot & ~h->prot))
        return MMF_EACCES;
    if (offset % gran != 0 || (uintptr_t)fixed % gran != 0)
        return MMF_EALIGN;
    if (offset >= h->size)
        return MMF_EINVAL;
    if (size == 0) {
        if (h->size - offset > SIZE_MAX - page)
            return MMF_ENOMEM;
        size = (size_t)(h->size - offset);
    } else if (size > h->size - offset) {
        return MMF_ERANGE;
    }

    memset(&v, 0, sizeof v);
    v.size = size;
    v.len = (size + page - 1) / page * page;
    v.offset = offset;
    v.map = map;
    prot = map & (MMF_MAP_READ | MMF_MAP_WRITE | MMF_MAP_EXEC);
    if (map & MMF_MAP_COPY)
        prot |= MMF_MAP_READ | MMF_MAP_WRITE;
    rc = mmf__os_map(obj, offset, v.len, prot, (map & MMF_MAP_COPY) != 0, fixed,
                     (flags & MMF_VIEW_ALIGN) ? MMF_VIEW_ALIGNMENT : 0, addr,
                     &v.cookie);
    if (rc < 0)
        return rc;
    v.base = (uintptr_t)*addr;
    /* Before populating, so that the pre-faulted pages follow it. */
    if (node != 0 && (rc = mmf__os_numa_prefer(*addr, v.len, node - 1)) < 0)
        goto fail;
    if ((flags & MMF_VIEW_POPULATE) && prot != 0 &&
        (rc = mmf__os_populate(*addr, v.len, (prot & MMF_MAP_WRITE) != 0)) < 0)
        goto fail;
    if ((n = calloc(1, sizeof *n)) == NULL) {
        rc = MMF_ENOMEM;
        goto fail;
    }
    n->v = v;
    mmf__os_lock();
    insert(n);
    mmf__os_unlock();
    return 0;
fail:
    mmf__os_unmap(*addr, v.len, v.cookie);
    *addr = fixed;
    return rc;
}

int mmf_view_unmap(void *addr)
{
    struct vnode *n;

    mmf__os_lock();
    n = find((uintptr_t)addr);
    if (n == NULL) {
        mmf__os_unlock();
        return MMF_EFAULT;
    }
    erase(n);
    mmf__os_unlock();
    mmf__os_unmap((void *)n->v.base, n->v.len, n->v.cookie);
    free(n);
    return 0;
}

static int flush(void *addr, size_t length, int durable)
{
    uintptr_t a = (uintptr_t)addr, page = mmf__os_page_size(), start, end;
    const struct vnode *n;
    intptr_t cookie;
    int rc;

    mmf__os_lock();
    n = find(a);
    if (n == NULL) {
        mmf__os_unlock();
        return MMF_EFAULT;
    }
    end = n->v.base + n->v.len;
    if (length == 0)
        length = end - a;
    if (length > end - a) {
        mmf__os_unlock();
        return MMF_ERANGE;
    }
    end = a + length;
    start = a / page * page;
    /* The write-back may wait for a disk: do it outside the lock, holding
     * our own reference to the view's file. */
    cookie = mmf__os_cookie_ref(n->v.cookie);
    rc = n->v.cookie >= 0 && cookie < 0 ? MMF_EMFILE : 0;
    /* Pages lost to a shrunken file are private now: nothing to flush. */
    if (rc == 0 && mmf__os_damaged((void *)n->v.base))
        rc = MMF_ECORRUPT;
    mmf__os_unlock();
    if (rc == 0)
        rc = mmf__os_flush((void *)start, end - start, cookie, durable);
    mmf__os_cookie_unref(cookie);
    return rc;
}

int mmf_view_flush(void *addr, size_t length)
{
    return flush(addr, length, 0);
}

int mmf_view_flush_durable(void *addr, size_t length)
{
    return flush(addr, length, 1);
}

int mmf_view_stat(const void *addr, mmf_view_info *info)
{
    const struct vnode *n;
    if (info == NULL)
        return MMF_EINVAL;
    mmf__os_lock();
    n = find((uintptr_t)addr);
    if (n != NULL) {
        info->base = (void *)n->v.base;
        info->size = n->v.size;
        info->offset = n->v.offset;
        info->map = n->v.map;
    }
    mmf__os_unlock();
    return n == NULL ? MMF_EFAULT : 0;
}
