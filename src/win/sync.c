/* SPDX-License-Identifier: MIT */
/*
 * sync.c - Windows: mutexes, events and semaphores as kernel objects.
 */
#include <stdlib.h>
#include <string.h>

#include "win.h"

/* ---- Not written yet ---------------------------------------------------- */

void mmf__os_sync_discard(struct mmf__sync_params *p)
{
    (void)p;
}

int mmf__os_sync_attach(mmf__obj *o, uint32_t type, struct mmf__sync_params *p, mmf__syncmap **out)
{
    (void)o;
    (void)type;
    (void)p;
    (void)out;
    return MMF_ENOTSUP;
}

void mmf__os_sync_detach(mmf__syncmap *m)
{
    (void)m;
}

int mmf__os_mutex_lock(mmf__syncmap *m, long long timeout_ms)
{
    (void)m;
    (void)timeout_ms;
    return MMF_ENOTSUP;
}

int mmf__os_mutex_unlock(mmf__syncmap *m)
{
    (void)m;
    return MMF_ENOTSUP;
}

int mmf__os_event_op(mmf__syncmap *m, int op)
{
    (void)m;
    (void)op;
    return MMF_ENOTSUP;
}

int mmf__os_semaphore_release(mmf__syncmap *m, int32_t count, int32_t *prev)
{
    (void)m;
    (void)count;
    (void)prev;
    return MMF_ENOTSUP;
}

int mmf__os_sync_wait(mmf__syncmap *const maps[], size_t n, int all, long long timeout_ms)
{
    (void)maps;
    (void)n;
    (void)all;
    (void)timeout_ms;
    return MMF_ENOTSUP;
}

int mmf__os_sync_query(mmf__syncmap *m, mmf_sync_info *info)
{
    (void)m;
    (void)info;
    return MMF_ENOTSUP;
}

int mmf__win_sync_create(const WCHAR *name, const struct mmf__sync_params *p, int disposition, SECURITY_ATTRIBUTES *sa, HANDLE *h)
{
    (void)name;
    (void)p;
    (void)disposition;
    (void)sa;
    (void)h;
    return MMF_ENOTSUP;
}

int mmf__win_sync_open(const WCHAR *name, uint32_t type, HANDLE *h)
{
    (void)name;
    (void)type;
    (void)h;
    return MMF_ENOTSUP;
}
