/* SPDX-License-Identifier: MIT */
/*
 * sync.c - mutexes, events, semaphores and waits: argument checking,
 * handles and names on top of the store (backend.h) and the OS backend that
 * implements the objects themselves (sync.h, src/<os>/sync.c).
 *
 * Handles come from a process-wide pool that is never freed: a closed
 * handle keeps a "dead" mark, so using it gives MMF_EBADF instead of
 * touching freed memory. A pooled handle is reused by a later open, as
 * Windows reuses handle values.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sync.h"

/* mmf_sync_info.type reports the store's type values. */
_Static_assert((int)MMF__TYPE_MUTEX == (int)MMF_TYPE_MUTEX &&
                   (int)MMF__TYPE_EVENT == (int)MMF_TYPE_EVENT &&
                   (int)MMF__TYPE_SEMAPHORE == (int)MMF_TYPE_SEMAPHORE,
               "type values");

#define SYNC_MAGIC 0x434e5953u /* "SYNC" */
#define SYNC_DEAD 0xdead5717u

struct mmf_sync {
    uint32_t magic;
    uint32_t type;            /* MMF__TYPE_MUTEX, _EVENT or _SEMAPHORE */
    mmf__obj *obj;            /* the store reference (keeps the name) */
    mmf__syncmap *map;        /* the shared state, one per object */
    struct mmf_sync *next;    /* free list */
};

/* ------------------------------------------------------------------------ */
/* The handle pool (guarded by mmf__os_lock)                                 */
/* ------------------------------------------------------------------------ */

#define POOL_CHUNK 64

static struct mmf_sync *free_handles;

static struct mmf_sync *handle_alloc(void)
{
    struct mmf_sync *h;

    mmf__os_lock();
    if (free_handles == NULL) {
        struct mmf_sync *chunk = calloc(POOL_CHUNK, sizeof *chunk);
        if (chunk == NULL) {
            mmf__os_unlock();
            return NULL;
        }
        for (size_t i = 0; i < POOL_CHUNK; i++) {
            chunk[i].magic = SYNC_DEAD;
            chunk[i].next = free_handles;
            free_handles = &chunk[i];
        }
    }
    h = free_handles;
    free_handles = h->next;
    mmf__os_unlock();
    return h;
}

static void handle_free(struct mmf_sync *h)
{
    mmf__os_lock();
    __atomic_store_n(&h->magic, SYNC_DEAD, __ATOMIC_RELAXED);
    h->obj = NULL;
    h->map = NULL;
    h->next = free_handles;
    free_handles = h;
    mmf__os_unlock();
}

/* The map behind handle o, which must be of `type` (0: any sync type). */
static int handle_get(const mmf_sync *o, uint32_t type, mmf__syncmap **map)
{
    if (o == NULL || __atomic_load_n(&o->magic, __ATOMIC_RELAXED) != SYNC_MAGIC)
        return MMF_EBADF;
    if (type != 0 && o->type != type)
        return MMF_ETYPE;
    *map = o->map;
    return 0;
}

static int timeout_ok(long long timeout_ms)
{
    return timeout_ms == MMF_INFINITE ||
           (timeout_ms >= 0 && timeout_ms <= MMF_TIMEOUT_MAX);
}

/* ------------------------------------------------------------------------ */
/* Create, open, close                                                       */
/* ------------------------------------------------------------------------ */

/* Make a handle from a store reference: attach to the shared state. */
static int wrap(mmf__obj *obj, uint32_t type, struct mmf__sync_params *p,
                int created_rc, mmf_sync **out)
{
    mmf__syncmap *map;
    struct mmf_sync *h;
    int rc;

    if ((rc = mmf__os_sync_attach(obj, type, p, &map)) < 0) {
        mmf__os_obj_close(obj);
        return rc;
    }
    if ((h = handle_alloc()) == NULL) {
        mmf__os_sync_detach(map);
        mmf__os_obj_close(obj);
        return MMF_ENOMEM;
    }
    h->type = type;
    h->obj = obj;
    h->map = map;
    h->next = NULL;
    __atomic_store_n(&h->magic, SYNC_MAGIC, __ATOMIC_RELAXED);
    *out = h;
    return created_rc;
}

static int sync_create(mmf_sync **out, const char *name, int disposition,
                       const mmf_sync_opts *opts, struct mmf__sync_params *p)
{
    static const mmf_sync_opts defaults = {0};
    struct mmf__spec spec;
    struct mmf__name *nm = NULL;
    mmf__obj *obj = NULL;
    int rc, named = name != NULL && name[0] != '\0';

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (opts == NULL)
        opts = &defaults;
    if (disposition != MMF_CREATE_NEW && disposition != MMF_OPEN_OR_CREATE)
        return MMF_EINVAL;
    if ((opts->flags & ~(unsigned)MMF_GLOBAL) != 0 || opts->mode > 0777)
        return MMF_EINVAL;
    if (named) {
        if ((nm = malloc(sizeof *nm)) == NULL)
            return MMF_ENOMEM;
        rc = mmf__name_parse(name, (opts->flags & MMF_GLOBAL) != 0, nm);
        if (rc < 0) {
            free(nm);
            return rc;
        }
    }
    memset(&spec, 0, sizeof spec);
    spec.type = p->type;
    spec.prot = MMF_PROT_READ | MMF_PROT_WRITE;
    spec.mode = opts->mode;
    spec.file = MMF__NO_FILE;
    spec.sync = p;
    /* There is no read-only mutex: every handle reads and writes. */
    rc = mmf__os_obj_create(nm, &spec, disposition,
                            MMF_ACCESS_READ | MMF_ACCESS_WRITE, &obj);
    free(nm);
    if (rc >= 0)
        rc = wrap(obj, p->type, rc == 0 ? p : NULL, rc, out);
    /* Whatever the init hook kept and the new handle did not adopt (the
     * name existed, or a later step failed) is given back. */
    mmf__os_sync_discard(p);
    return rc;
}

static int sync_open(mmf_sync **out, const char *name, uint32_t type)
{
    struct mmf__name *nm;
    mmf__obj *obj = NULL;
    int rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (name == NULL || name[0] == '\0')
        return MMF_EINVAL;
    if ((nm = malloc(sizeof *nm)) == NULL)
        return MMF_ENOMEM;
    rc = mmf__name_parse(name, 0, nm);
    if (rc == 0)
        rc = mmf__os_obj_open(nm, type, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &obj);
    free(nm);
    if (rc < 0)
        return rc;
    return wrap(obj, type, NULL, 0, out);
}

int mmf_sync_close(mmf_sync *o)
{
    mmf__syncmap *map;
    mmf__obj *obj;
    int rc = handle_get(o, 0, &map);

    if (rc < 0)
        return rc;
    obj = o->obj;
    handle_free(o);
    /* The map first: closing the last reference removes the name, and a
     * new object of that name must not find this one's map. */
    mmf__os_sync_detach(map);
    mmf__os_obj_close(obj);
    return 0;
}

int mmf_sync_duplicate(mmf_sync *o, mmf_sync **out)
{
    mmf__syncmap *map;
    mmf__obj *obj = NULL;
    int rc = handle_get(o, 0, &map);

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (rc < 0)
        return rc;
    /* A new store reference (it keeps the name alive on its own), and the
     * process's one map of the object, shared with o. */
    rc = mmf__os_obj_dup(o->obj, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &obj);
    if (rc < 0)
        return rc;
    return wrap(obj, o->type, NULL, 0, out);
}

int mmf_sync_export(mmf_sync *o, char token[MMF_TOKEN_BYTES])
{
    mmf__syncmap *map;
    int rc = handle_get(o, 0, &map);

    if (rc < 0)
        return rc;
    if (token == NULL)
        return MMF_EINVAL;
    return mmf__os_export(o->obj, MMF_ACCESS_READ | MMF_ACCESS_WRITE, token,
                          MMF_TOKEN_BYTES);
}

int mmf_sync_export_close(const char *token)
{
    return mmf__os_export_close(token);
}

int mmf_sync_import(const char *token, mmf_sync **out)
{
    mmf__obj *obj = NULL;
    uint32_t type;
    int rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if ((rc = mmf__os_import(token, &obj)) < 0)
        return rc;
    type = mmf__os_obj_hdr(obj)->type;
    if (type != MMF__TYPE_MUTEX && type != MMF__TYPE_EVENT &&
        type != MMF__TYPE_SEMAPHORE) {
        mmf__os_obj_close(obj);
        return MMF_ETYPE;
    }
    /* Attaching checks the shared state as an open by name does. */
    return wrap(obj, type, NULL, 0, out);
}

/* ------------------------------------------------------------------------ */
/* Mutexes                                                                   */
/* ------------------------------------------------------------------------ */

int mmf_mutex_create(mmf_sync **out, const char *name, int initially_owned,
                     int disposition, const mmf_sync_opts *opts)
{
    struct mmf__sync_params p;
    memset(&p, 0, sizeof p);
    p.type = MMF__TYPE_MUTEX;
    p.own = initially_owned != 0;
    return sync_create(out, name, disposition, opts, &p);
}

int mmf_mutex_open(mmf_sync **out, const char *name)
{
    return sync_open(out, name, MMF__TYPE_MUTEX);
}

int mmf_mutex_lock(mmf_sync *m, long long timeout_ms)
{
    mmf__syncmap *map;
    int rc = handle_get(m, MMF__TYPE_MUTEX, &map);
    if (rc < 0)
        return rc;
    if (!timeout_ok(timeout_ms))
        return MMF_EINVAL;
    return mmf__os_mutex_lock(map, timeout_ms);
}

int mmf_mutex_unlock(mmf_sync *m)
{
    mmf__syncmap *map;
    int rc = handle_get(m, MMF__TYPE_MUTEX, &map);
    return rc < 0 ? rc : mmf__os_mutex_unlock(map);
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

int mmf_event_create(mmf_sync **out, const char *name, int manual_reset,
                     int initial_state, int disposition,
                     const mmf_sync_opts *opts)
{
    struct mmf__sync_params p;
    memset(&p, 0, sizeof p);
    p.type = MMF__TYPE_EVENT;
    p.manual = manual_reset != 0;
    p.initial = initial_state != 0;
    return sync_create(out, name, disposition, opts, &p);
}

int mmf_event_open(mmf_sync **out, const char *name)
{
    return sync_open(out, name, MMF__TYPE_EVENT);
}

static int event_op(mmf_sync *e, int op)
{
    mmf__syncmap *map;
    int rc = handle_get(e, MMF__TYPE_EVENT, &map);
    return rc < 0 ? rc : mmf__os_event_op(map, op);
}

int mmf_event_set(mmf_sync *e)
{
    return event_op(e, MMF__EV_SET);
}

int mmf_event_reset(mmf_sync *e)
{
    return event_op(e, MMF__EV_RESET);
}

int mmf_event_pulse(mmf_sync *e)
{
    return event_op(e, MMF__EV_PULSE);
}

/* ------------------------------------------------------------------------ */
/* Semaphores                                                                */
/* ------------------------------------------------------------------------ */

int mmf_semaphore_create(mmf_sync **out, const char *name, long initial,
                         long maximum, int disposition,
                         const mmf_sync_opts *opts)
{
    struct mmf__sync_params p;

    /* S03, S04: the count must start within [0, maximum], maximum > 0. */
    if (maximum <= 0 || maximum > MMF__SEM_MAX || initial < 0 || initial > maximum)
        return MMF_EINVAL;
    memset(&p, 0, sizeof p);
    p.type = MMF__TYPE_SEMAPHORE;
    p.count = (int32_t)initial;
    p.max = (int32_t)maximum;
    return sync_create(out, name, disposition, opts, &p);
}

int mmf_semaphore_open(mmf_sync **out, const char *name)
{
    return sync_open(out, name, MMF__TYPE_SEMAPHORE);
}

int mmf_semaphore_release(mmf_sync *s, long count, long *previous)
{
    mmf__syncmap *map;
    int32_t prev;
    int rc = handle_get(s, MMF__TYPE_SEMAPHORE, &map);

    if (rc < 0)
        return rc;
    if (count <= 0)
        return MMF_EINVAL; /* S09 */
    if (count > MMF__SEM_MAX)
        return MMF_EOVERFLOW; /* can never fit under any maximum */
    rc = mmf__os_semaphore_release(map, (int32_t)count, &prev);
    if (rc == 0 && previous != NULL)
        *previous = prev;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Waits                                                                     */
/* ------------------------------------------------------------------------ */

int mmf_sync_wait(mmf_sync *o, long long timeout_ms)
{
    mmf__syncmap *map;
    int rc = handle_get(o, 0, &map);

    if (rc < 0)
        return rc;
    if (!timeout_ok(timeout_ms))
        return MMF_EINVAL;
    if (o->type == MMF__TYPE_MUTEX)
        return mmf__os_mutex_lock(map, timeout_ms);
    return mmf__os_sync_wait(&map, 1, 0, timeout_ms); /* index 0 */
}

static int wait_multi(mmf_sync *const objs[], size_t n, long long timeout_ms,
                      int all)
{
    mmf__syncmap *maps[MMF_WAIT_MAX];
    int rc;

    if (objs == NULL || n == 0 || n > MMF_WAIT_MAX || !timeout_ok(timeout_ms))
        return MMF_EINVAL; /* U03 */
    for (size_t i = 0; i < n; i++) {
        if ((rc = handle_get(objs[i], 0, &maps[i])) < 0)
            return rc;
    }
    /* U04: wait-all may not name an object twice, by one handle or two
     * (each process has one map per object). Wait-any may. */
    if (all) {
        for (size_t i = 1; i < n; i++) {
            for (size_t j = 0; j < i; j++) {
                if (maps[i] == maps[j])
                    return MMF_EINVAL;
            }
        }
    }
    return mmf__os_sync_wait(maps, n, all, timeout_ms);
}

int mmf_sync_wait_any(mmf_sync *const objs[], size_t n, long long timeout_ms)
{
    return wait_multi(objs, n, timeout_ms, 0);
}

int mmf_sync_wait_all(mmf_sync *const objs[], size_t n, long long timeout_ms)
{
    return wait_multi(objs, n, timeout_ms, 1);
}

/* ------------------------------------------------------------------------ */
/* Information                                                               */
/* ------------------------------------------------------------------------ */

int mmf_sync_stat(const mmf_sync *o, mmf_sync_info *info)
{
    const struct mmf__hdr *h;
    mmf__syncmap *map;
    int rc = handle_get(o, 0, &map);

    if (rc < 0)
        return rc;
    if (info == NULL)
        return MMF_EINVAL;
    h = mmf__os_obj_hdr(o->obj);
    memset(info, 0, sizeof *info);
    info->type = (int)o->type; /* enum mmf_type has the store's values */
    memcpy(info->name, h->name, h->name_len + 1);
    return mmf__os_sync_query(map, info);
}
