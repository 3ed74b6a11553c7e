/* SPDX-License-Identifier: MIT */
/*
 * os.c - Windows: system facts, the process lock, the clock, errors,
 * kernel names, security descriptors from permission bits, and the files
 * behind sections.
 */
#include <stdlib.h>
#include <string.h>

#include "win.h"
#include "../utf8.h"

/* ---- System facts, lock, clock ------------------------------------------ */

size_t mmf__os_page_size(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
}

size_t mmf__os_granularity(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwAllocationGranularity;
}

static SRWLOCK table_lock = SRWLOCK_INIT;

void mmf__os_lock(void)
{
    AcquireSRWLockExclusive(&table_lock);
}

void mmf__os_unlock(void)
{
    ReleaseSRWLockExclusive(&table_lock);
}

uint64_t mmf__os_now_ns(void)
{
    static LARGE_INTEGER freq; /* set once; the same value in every thread */
    LARGE_INTEGER now;

    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    /* Split the multiply so that it cannot overflow. */
    uint64_t f = (uint64_t)freq.QuadPart, t = (uint64_t)now.QuadPart;
    return t / f * 1000000000ull + t % f * 1000000000ull / f;
}

/* ---- Errors ------------------------------------------------------------- */

int mmf__win_err(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return MMF_ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
        return MMF_EACCES;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
        return MMF_EEXIST;
    case ERROR_INVALID_HANDLE:
        return MMF_ETYPE; /* a named create or open found another type */
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT:
    case ERROR_NO_SYSTEM_RESOURCES:
        return MMF_ENOMEM;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
        return MMF_ENOSPC;
    case ERROR_FILENAME_EXCED_RANGE:
        return MMF_ENAMETOOLONG;
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME:
        return MMF_EBADNAME;
    case ERROR_TOO_MANY_OPEN_FILES:
        return MMF_EMFILE;
    case ERROR_NOT_OWNER:
        return MMF_ENOTOWNER;
    case ERROR_TOO_MANY_POSTS:
        return MMF_EOVERFLOW;
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT:
        return MMF_ETIMEDOUT;
    case ERROR_INVALID_ADDRESS:
        return MMF_EFAULT;
    case ERROR_MAPPED_ALIGNMENT:
        return MMF_EALIGN;
    case ERROR_FILE_INVALID:
    case ERROR_FILE_TOO_LARGE:
        return MMF_EFBIG;
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED:
        return MMF_ENOTSUP;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
        return MMF_EPIPE;
    case ERROR_BUSY:
    case ERROR_USER_MAPPED_FILE:
        return MMF_EBUSY;
    case ERROR_INVALID_PARAMETER:
        return MMF_EINVAL;
    default:
        return MMF_EIO;
    }
}

int mmf__win_status(LONG status)
{
    return mmf__win_err(RtlNtStatusToDosError(status));
}

/* ---- Names -------------------------------------------------------------- */

/* UTF-8 to UTF-16 into out (cap units, NUL included); *n gets the length. */
static int utf16_put(const char *s, WCHAR *out, size_t cap, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = *n;

    while (*p != '\0') {
        uint32_t cp;
        size_t k = mmf__utf8_decode(p, SIZE_MAX, &cp);
        if (k == 0)
            return MMF_EBADNAME;
        p += k;
        if (cp >= 0x10000) {
            if (i + 2 >= cap)
                return MMF_ENAMETOOLONG;
            cp -= 0x10000;
            out[i++] = (WCHAR)(0xd800 + (cp >> 10));
            out[i++] = (WCHAR)(0xdc00 + (cp & 0x3ff));
        } else {
            if (i + 1 >= cap)
                return MMF_ENAMETOOLONG;
            out[i++] = (WCHAR)cp;
        }
    }
    out[i] = 0;
    *n = i;
    return 0;
}

int mmf__win_name(const struct mmf__name *nm, const char *suffix, WCHAR *out,
                  size_t cap)
{
    size_t n = 0;
    int rc;

    if (cap == 0)
        return MMF_ENAMETOOLONG;
    out[0] = 0;
    if ((rc = utf16_put(nm->global ? "Global\\" : "Local\\", out, cap, &n)) < 0 ||
        (rc = utf16_put(nm->key, out, cap, &n)) < 0)
        return rc;
    if (suffix != NULL && (rc = utf16_put(suffix, out, cap, &n)) < 0)
        return rc;
    return 0;
}

WCHAR *mmf__win_path(const char *path, int *err)
{
    size_t cap = strlen(path) + 1, n = 0; /* UTF-16 never needs more units */
    WCHAR *w = malloc(cap * sizeof *w);

    if (w == NULL) {
        *err = MMF_ENOMEM;
        return NULL;
    }
    if ((*err = utf16_put(path, w, cap, &n)) < 0) {
        free(w);
        return NULL;
    }
    return w;
}

/* ---- Not written yet ---------------------------------------------------- */

int mmf__os_populate(void *addr, size_t len, int write)
{
    (void)addr;
    (void)len;
    (void)write;
    return MMF_ENOTSUP;
}

void mmf__os_unmap(void *addr, size_t len, intptr_t cookie)
{
    (void)addr;
    (void)len;
    (void)cookie;
}

int mmf__os_flush(void *addr, size_t len, intptr_t cookie, int durable)
{
    (void)addr;
    (void)len;
    (void)cookie;
    (void)durable;
    return MMF_ENOTSUP;
}

intptr_t mmf__os_cookie_ref(intptr_t cookie)
{
    (void)cookie;
    return -1;
}

void mmf__os_cookie_unref(intptr_t cookie)
{
    (void)cookie;
}

int mmf__os_file_prepare(mmf__file f, unsigned prot, uint64_t *size)
{
    (void)f;
    (void)prot;
    (void)size;
    return MMF_ENOTSUP;
}

int mmf__os_file_from_fd(int fd, mmf__file *out)
{
    (void)fd;
    (void)out;
    return MMF_ENOTSUP;
}

int mmf__os_file_open(const char *path, unsigned prot, mmf__file *out)
{
    (void)path;
    (void)prot;
    (void)out;
    return MMF_ENOTSUP;
}

void mmf__os_file_close(mmf__file f)
{
    (void)f;
}

int mmf__os_file_create(const char *path, unsigned mode, mmf__file *out)
{
    (void)path;
    (void)mode;
    (void)out;
    return MMF_ENOTSUP;
}

long mmf__os_file_read(mmf__file f, uint64_t off, void *buf, size_t len)
{
    (void)f;
    (void)off;
    (void)buf;
    (void)len;
    return MMF_ENOTSUP;
}

int mmf__win_sd_make(unsigned mode, enum mmf__win_kind kind, struct mmf__win_sd *sd)
{
    (void)mode;
    (void)kind;
    (void)sd;
    return MMF_ENOTSUP;
}

void mmf__win_sd_free(struct mmf__win_sd *sd)
{
    (void)sd;
}
