/* SPDX-License-Identifier: MIT */
/*
 * store.c - Windows: objects as kernel objects, views, handle passing.
 */
#include <stdlib.h>
#include <string.h>

#include "win.h"

/* ---- Not written yet ---------------------------------------------------- */

int mmf__os_obj_create(const struct mmf__name *name, const struct mmf__spec *spec, int disposition, unsigned access, mmf__obj **out)
{
    (void)name;
    (void)spec;
    (void)disposition;
    (void)access;
    (void)out;
    return MMF_ENOTSUP;
}

int mmf__os_obj_open(const struct mmf__name *name, uint32_t type, unsigned access, mmf__obj **out)
{
    (void)name;
    (void)type;
    (void)access;
    (void)out;
    return MMF_ENOTSUP;
}

void mmf__os_obj_close(mmf__obj *o)
{
    (void)o;
}

int mmf__os_obj_dup(mmf__obj *o, unsigned access, mmf__obj **out)
{
    (void)o;
    (void)access;
    (void)out;
    return MMF_ENOTSUP;
}

const struct mmf__hdr *mmf__os_obj_hdr(const mmf__obj *o)
{
    (void)o;
    return NULL;
}

unsigned mmf__os_obj_access(const mmf__obj *o)
{
    (void)o;
    return 0;
}

struct mmf__hdr *mmf__os_obj_shared_hdr(mmf__obj *o)
{
    (void)o;
    return NULL;
}

int mmf__os_obj_commit(mmf__obj *o, uint64_t offset, uint64_t len)
{
    (void)o;
    (void)offset;
    (void)len;
    return MMF_ENOTSUP;
}

int mmf__os_map(mmf__obj *o, uint64_t offset, size_t len, unsigned prot, int copy, void *fixed, size_t align, void **addr, intptr_t *cookie)
{
    (void)o;
    (void)offset;
    (void)len;
    (void)prot;
    (void)copy;
    (void)fixed;
    (void)align;
    (void)addr;
    (void)cookie;
    return MMF_ENOTSUP;
}

int mmf__os_damaged(const void *base)
{
    (void)base;
    return MMF_ENOTSUP;
}

int mmf__os_export(mmf__obj *o, unsigned access, char *token, size_t cap)
{
    (void)o;
    (void)access;
    (void)token;
    (void)cap;
    return MMF_ENOTSUP;
}

int mmf__os_export_close(const char *token)
{
    (void)token;
    return MMF_ENOTSUP;
}

int mmf__os_import(const char *token, mmf__obj **out)
{
    (void)token;
    (void)out;
    return MMF_ENOTSUP;
}

int mmf__os_send(int sock, mmf__obj *o, unsigned access)
{
    (void)sock;
    (void)o;
    (void)access;
    return MMF_ENOTSUP;
}

int mmf__os_recv(int sock, mmf__obj **out)
{
    (void)sock;
    (void)out;
    return MMF_ENOTSUP;
}

int mmf__win_obj_new(HANDLE h, uint32_t type, unsigned access, mmf__obj **out)
{
    (void)h;
    (void)type;
    (void)access;
    (void)out;
    return MMF_ENOTSUP;
}
