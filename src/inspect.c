/* SPDX-License-Identifier: MIT */
/*
 * inspect.c - the inspection API: argument checks, names and the lists'
 * ownership. The OS backend (src/linux/inspect.c) does the looking.
 */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "backend.h"
#include "internal.h"

_Static_assert((int)MMF_TYPE_SECTION == (int)MMF__TYPE_SECTION &&
               (int)MMF_TYPE_MUTEX == (int)MMF__TYPE_MUTEX &&
               (int)MMF_TYPE_EVENT == (int)MMF__TYPE_EVENT &&
               (int)MMF_TYPE_SEMAPHORE == (int)MMF__TYPE_SEMAPHORE &&
               (int)MMF_TYPE_CHANNEL == (int)MMF__TYPE_CHANNEL,
               "public and stored type numbers agree");
_Static_assert(MMF_PATH_BYTES >= MMF__PATH_BYTES, "a header path fits the info");

const char *mmf_type_name(int type)
{
    return mmf__type_name(type < 0 ? 0u : (uint32_t)type);
}

static int by_name(const void *a, const void *b)
{
    const mmf_object_info *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Parse a name into a heap buffer (struct mmf__name is large). */
static int parse(const char *name, struct mmf__name **nm)
{
    int rc;
    *nm = malloc(sizeof **nm);
    if (*nm == NULL)
        return MMF_ENOMEM;
    if ((rc = mmf__name_parse(name, 0, *nm)) < 0) {
        free(*nm);
        *nm = NULL;
    }
    return rc;
}

int mmf_store_list(unsigned what, mmf_object_info **list, size_t *count)
{
    int rc;
    if (list == NULL || count == NULL)
        return MMF_EINVAL;
    *list = NULL;
    *count = 0;
    if (what & ~(unsigned)MMF_INFO_ALL)
        return MMF_EINVAL;
    rc = mmf__os_inspect_list(what, list, count);
    if (rc == 0 && *count > 1)
        qsort(*list, *count, sizeof **list, by_name);
    return rc;
}

void mmf_store_list_free(mmf_object_info *list)
{
    free(list);
}

int mmf_object_stat(const char *name, unsigned what, mmf_object_info *info)
{
    struct mmf__name *nm;
    int rc;

    if (info == NULL)
        return MMF_EINVAL;
    if (what & ~(unsigned)MMF_INFO_ALL)
        return MMF_EINVAL;
    if ((rc = parse(name, &nm)) < 0)
        return rc;
    rc = mmf__os_inspect_stat(nm, what, info);
    free(nm);
    return rc;
}

/* Holders are listed by process id, whatever order the backend found
 * them in. */
static int by_pid(const void *a, const void *b)
{
    const mmf_holder *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

int mmf_object_holders(const char *name, mmf_holder **list, size_t *count,
                       uint64_t *hidden)
{
    struct mmf__name *nm;
    uint64_t h = 0;
    int rc;

    if (list == NULL || count == NULL)
        return MMF_EINVAL;
    *list = NULL;
    *count = 0;
    if ((rc = parse(name, &nm)) < 0)
        return rc;
    rc = mmf__os_inspect_holders(nm, list, count, &h);
    if (rc == 0 && *count > 1)
        qsort(*list, *count, sizeof **list, by_pid);
    if (rc == 0 && hidden != NULL)
        *hidden = h;
    free(nm);
    return rc;
}

void mmf_object_holders_free(mmf_holder *list, size_t count)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(list[i].views);
    free(list);
}

int mmf_object_read(const char *name, uint64_t offset, void *buf, size_t length,
                    size_t *done)
{
    struct mmf__name *nm;
    size_t n = 0;
    int rc;

    if (buf == NULL && length != 0)
        return MMF_EINVAL;
    if ((rc = parse(name, &nm)) < 0)
        return rc;
    rc = mmf__os_inspect_read(nm, offset, buf, length, &n);
    free(nm);
    if (done != NULL)
        *done = n;
    return rc;
}

int mmf_object_remove(const char *name)
{
    struct mmf__name *nm;
    int rc;

    if ((rc = parse(name, &nm)) < 0)
        return rc;
    rc = mmf__os_inspect_remove(nm);
    free(nm);
    return rc;
}

int mmf_store_gc(mmf_object_info **removed, size_t *count)
{
    int rc;
    if (removed == NULL || count == NULL)
        return MMF_EINVAL;
    *removed = NULL;
    *count = 0;
    rc = mmf__os_inspect_gc(removed, count);
    if (rc >= 0 && *count > 1)
        qsort(*removed, *count, sizeof **removed, by_name);
    return rc;
}

int mmf_channel_stat(const char *name, mmf_channel_info *info)
{
    struct mmf__name *nm;
    struct mmf__hdr *h;
    uint8_t claims[MMF__CLAIM_SLOTS / 8];
    void *ctl;
    int rc;

    if (info == NULL)
        return MMF_EINVAL;
    memset(info, 0, sizeof *info);
    if (name == NULL || name[0] == '\0')
        return MMF_EINVAL;
    if ((rc = parse(name, &nm)) < 0)
        return rc;
    h = malloc(sizeof *h);
    ctl = malloc(MMF__CHAN_CTL_SIZE);
    if (h == NULL || ctl == NULL)
        rc = MMF_ENOMEM;
    else
        rc = mmf__os_inspect_channel(nm, h, ctl, MMF__CHAN_CTL_SIZE, claims);
    if (rc == 0)
        rc = mmf__chan_describe(h, ctl, MMF__CHAN_CTL_SIZE, claims, info);
    if (rc == 0 && info->persistent) {
        size_t n = h->path_len < sizeof info->file ? h->path_len : sizeof info->file - 1;
        memcpy(info->file, h->path, n);
        info->file[n] = '\0';
    }
    free(ctl);
    free(h);
    free(nm);
    return rc;
}

int mmf_file_mapped(int fd)
{
    return mmf__os_file_mapped(fd);
}
