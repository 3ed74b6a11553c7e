/* SPDX-License-Identifier: MIT */
/* object.c - names and the shared header: parsing and validation. */
#include <string.h>

#include "object.h"
#include "utf8.h"

const char *mmf__type_name(uint32_t type)
{
    switch (type) {
    case MMF__TYPE_SECTION: return "section";
    case MMF__TYPE_MUTEX: return "mutex";
    case MMF__TYPE_EVENT: return "event";
    case MMF__TYPE_SEMAPHORE: return "semaphore";
    case MMF__TYPE_CHANNEL: return "channel";
    default: return "unknown";
    }
}

int mmf__name_parse(const char *name, int force_global, struct mmf__name *out)
{
    static const char local[] = "Local\\", global[] = "Global\\",
                      session[] = "Session\\";
    const char *key = name;
    size_t len;

    if (name == NULL || name[0] == '\0')
        return MMF_EINVAL;
    out->global = force_global != 0;
    if (strncmp(name, local, sizeof local - 1) == 0) {
        key = name + sizeof local - 1;
        out->global = 0;
    } else if (strncmp(name, global, sizeof global - 1) == 0) {
        key = name + sizeof global - 1;
        out->global = 1;
    } else if (strncmp(name, session, sizeof session - 1) == 0) {
        return MMF_EBADNAME; /* reserved for the system on Windows */
    }
    /* Bound the scan: a hostile caller may pass megabytes. */
    len = strnlen(key, MMF_NAME_MAX + 1);
    if (len > MMF_NAME_MAX)
        return MMF_ENAMETOOLONG;
    if (len == 0)
        return MMF_EBADNAME;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = mmf__utf8_decode((const unsigned char *)key + i, len - i, &cp);
        if (n == 0 || key[i] == '\\')
            return MMF_EBADNAME;
        i += n;
    }
    memcpy(out->key, key, len);
    out->key[len] = '\0';
    out->key_len = len;
    {
        const char *prefix = out->global ? global : local;
        size_t plen = strlen(prefix);
        memcpy(out->full, prefix, plen);
        memcpy(out->full + plen, key, len + 1);
    }
    return 0;
}

int mmf__hdr_validate(const struct mmf__hdr *h, uint64_t store_size)
{
    if (h->magic != MMF__HDR_MAGIC || h->version != MMF__HDR_VERSION ||
        h->hdr_size != MMF__HDR_SIZE)
        return MMF_ECORRUPT;
    if (h->type == 0 || h->type > MMF__TYPE_MAX)
        return MMF_ECORRUPT;
    if (h->name_len >= MMF__NAME_BYTES || h->name[h->name_len] != '\0' ||
        h->path_len >= MMF__PATH_BYTES || h->path[h->path_len] != '\0')
        return MMF_ECORRUPT;
    if ((h->prot & ~(unsigned)(MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC)) != 0)
        return MMF_ECORRUPT;
    if (h->flags & MMF__HF_FILE) {
        /* The data is elsewhere: the store file is the header alone. */
        if (h->data_size != 0 || store_size != h->hdr_size || h->path_len == 0)
            return MMF_ECORRUPT;
    } else {
        if (h->data_size < h->size || h->data_size > UINT64_MAX - h->hdr_size ||
            store_size != h->hdr_size + h->data_size)
            return MMF_ECORRUPT;
    }
    if (h->type == MMF__TYPE_SECTION && h->size == 0)
        return MMF_ECORRUPT;
    return 0;
}
