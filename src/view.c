/* SPDX-License-Identifier: MIT */
/*
 * view.c - views: mapping, and the process-wide table of live views that
 * lets any address inside a view find it (UnmapViewOfFile semantics).
 */
#include <stdint.h>
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

/* Sorted by base; guarded by mmf__os_lock(). */
static struct view *views;
static size_t nviews, capviews;

/* Index of the view containing addr, or -1. Call with the lock held. */
static long find(uintptr_t addr)
{
    size_t lo = 0, hi = nviews;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (views[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    lo--;
    return addr - views[lo].base < views[lo].len ? (long)lo : -1;
}

static int insert(const struct view *v)
{
    size_t i = 0;
    if (nviews == capviews) {
        size_t cap = capviews ? 2 * capviews : 16;
        struct view *nv = realloc(views, cap * sizeof *nv);
        if (nv == NULL)
            return MMF_ENOMEM;
        views = nv;
        capviews = cap;
    }
    while (i < nviews && views[i].base < v->base)
        i++;
    memmove(&views[i + 1], &views[i], (nviews - i) * sizeof *views);
    views[i] = *v;
    nviews++;
    return 0;
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
    unsigned need_access, need_prot, prot;
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
    if (flags & ~(unsigned)(MMF_VIEW_POPULATE | MMF_VIEW_FIXED | MMF_VIEW_ALIGN))
        return MMF_EINVAL;
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
    if ((flags & MMF_VIEW_POPULATE) && prot != 0 &&
        (rc = mmf__os_populate(*addr, v.len, (prot & MMF_MAP_WRITE) != 0)) < 0)
        goto fail;
    mmf__os_lock();
    rc = insert(&v);
    mmf__os_unlock();
    if (rc == 0)
        return 0;
fail:
    mmf__os_unmap(*addr, v.len, v.cookie);
    *addr = fixed;
    return rc;
}

int mmf_view_unmap(void *addr)
{
    struct view v;
    long i;

    mmf__os_lock();
    i = find((uintptr_t)addr);
    if (i < 0) {
        mmf__os_unlock();
        return MMF_EFAULT;
    }
    v = views[i];
    memmove(&views[i], &views[i + 1], (nviews - (size_t)i - 1) * sizeof *views);
    nviews--;
    mmf__os_unlock();
    mmf__os_unmap((void *)v.base, v.len, v.cookie);
    return 0;
}

static int flush(void *addr, size_t length, int durable)
{
    uintptr_t a = (uintptr_t)addr, page = mmf__os_page_size(), start, end;
    intptr_t cookie;
    long i;
    int rc;

    mmf__os_lock();
    i = find(a);
    if (i < 0) {
        mmf__os_unlock();
        return MMF_EFAULT;
    }
    end = views[i].base + views[i].len;
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
    cookie = mmf__os_cookie_ref(views[i].cookie);
    rc = views[i].cookie >= 0 && cookie < 0 ? MMF_EMFILE : 0;
    /* Pages lost to a shrunken file are private now: nothing to flush. */
    if (rc == 0 && mmf__os_damaged((void *)views[i].base))
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
    long i;
    if (info == NULL)
        return MMF_EINVAL;
    mmf__os_lock();
    i = find((uintptr_t)addr);
    if (i >= 0) {
        info->base = (void *)views[i].base;
        info->size = views[i].size;
        info->offset = views[i].offset;
        info->map = views[i].map;
    }
    mmf__os_unlock();
    return i < 0 ? MMF_EFAULT : 0;
}
