/* SPDX-License-Identifier: MIT */
/*
 * inspect.c - Windows: the namespace seen without references.
 */
#include <stdlib.h>
#include <string.h>

#include "win.h"

/* ---- Not written yet ---------------------------------------------------- */

int mmf__os_inspect_list(unsigned what, mmf_object_info **list, size_t *count)
{
    (void)what;
    (void)list;
    (void)count;
    return MMF_ENOTSUP;
}

int mmf__os_inspect_stat(const struct mmf__name *nm, unsigned what, mmf_object_info *info)
{
    (void)nm;
    (void)what;
    (void)info;
    return MMF_ENOTSUP;
}

int mmf__os_inspect_holders(const struct mmf__name *nm, mmf_holder **list, size_t *count, uint64_t *hidden)
{
    (void)nm;
    (void)list;
    (void)count;
    (void)hidden;
    return MMF_ENOTSUP;
}

int mmf__os_inspect_read(const struct mmf__name *nm, uint64_t offset, void *buf, size_t length, size_t *done)
{
    (void)nm;
    (void)offset;
    (void)buf;
    (void)length;
    (void)done;
    return MMF_ENOTSUP;
}

int mmf__os_inspect_channel(const struct mmf__name *nm, struct mmf__hdr *h, void *ctl, size_t len, uint8_t *claims)
{
    (void)nm;
    (void)h;
    (void)ctl;
    (void)len;
    (void)claims;
    return MMF_ENOTSUP;
}

int mmf__os_inspect_remove(const struct mmf__name *nm)
{
    (void)nm;
    return MMF_ENOTSUP;
}

int mmf__os_inspect_gc(mmf_object_info **removed, size_t *count)
{
    (void)removed;
    (void)count;
    return MMF_ENOTSUP;
}
