/* SPDX-License-Identifier: MIT */
/*
 * error.c - the thread's last error, and the translation of native MMF_E*
 * codes and errno values into Win32 errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "w32.h"

/* Per thread, as on Windows. */
static _Thread_local DWORD last_error;

DWORD WINAPI GetLastError(void)
{
    return last_error;
}

void WINAPI SetLastError(DWORD dwErrCode)
{
    last_error = dwErrCode;
}

void mmf__w32_set_error(DWORD err)
{
    last_error = err;
}

DWORD mmf__w32_error(int rc)
{
    switch (rc) {
    case 0:
        return ERROR_SUCCESS;
    case MMF_ENOENT:
        return ERROR_FILE_NOT_FOUND;              /* V01 */
    case MMF_EACCES:
        return ERROR_ACCESS_DENIED;
    case MMF_EBADF:
    case MMF_ETYPE:
        return ERROR_INVALID_HANDLE;              /* V03 */
    case MMF_ENOMEM:
    case MMF_EFBIG:
        return ERROR_NOT_ENOUGH_MEMORY;           /* V05 */
    case MMF_ENOSPC:
        return ERROR_COMMITMENT_LIMIT;            /* the store is the pagefile */
    case MMF_EFAULT:
        return ERROR_INVALID_ADDRESS;             /* V07 */
    case MMF_EEXIST:
        return ERROR_ALREADY_EXISTS;              /* V02 */
    case MMF_EINVAL:
        return ERROR_INVALID_PARAMETER;           /* V08 */
    case MMF_EMFILE:
        return ERROR_TOO_MANY_OPEN_FILES;
    case MMF_ERANGE:
        return ERROR_INVALID_PARAMETER;
    case MMF_ENAMETOOLONG:
        return ERROR_FILENAME_EXCED_RANGE;
    case MMF_EBADNAME:
        return ERROR_INVALID_NAME;
    case MMF_ENOTSUP:
        return ERROR_NOT_SUPPORTED;
    case MMF_ETIMEDOUT:
        return WAIT_TIMEOUT;
    case MMF_EALIGN:
        return ERROR_MAPPED_ALIGNMENT;            /* V11 */
    case MMF_EFILEEMPTY:
        return ERROR_FILE_INVALID;                /* V06 */
    case MMF_ENODEV:
        return ERROR_BAD_EXE_FORMAT;              /* V06 */
    case MMF_ENOTOWNER:
        return ERROR_NOT_OWNER;                   /* V09 */
    case MMF_EOVERFLOW:
        return ERROR_TOO_MANY_POSTS;              /* V09 */
    case MMF_EBUSY:
        return ERROR_BUSY;
    case MMF_ECORRUPT:
        return ERROR_FILE_CORRUPT;
    case MMF_EAGAIN:
        return ERROR_NO_SYSTEM_RESOURCES;
    default:
        return ERROR_GEN_FAILURE;                 /* MMF_EIO */
    }
}

DWORD mmf__w32_name_error(const char *name)
{
    if (name[0] == '\\')
        return ERROR_BAD_PATHNAME; /* a path from the root: V01 */
    if (strncmp(name, "Local\\", 6) == 0)
        name += 6;
    else if (strncmp(name, "Global\\", 7) == 0)
        name += 7;
    return strchr(name, '\\') != NULL ? ERROR_PATH_NOT_FOUND : ERROR_INVALID_NAME;
}

/* 1 if the folder holding `path` exists. */
static int parent_exists(const char *path)
{
    const char *slash = strrchr(path, '/');
    struct stat st;
    char *dir;
    int ok;

    if (slash == NULL)
        return 1; /* the current folder */
    if (slash == path)
        return 1; /* the root */
    if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
        return 1;
    ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    free(dir);
    return ok;
}

DWORD mmf__w32_errno(int e, const char *path)
{
    switch (e) {
    case 0:
        return ERROR_SUCCESS;
    case ENOENT:
        return path != NULL && !parent_exists(path) ? ERROR_PATH_NOT_FOUND
                                                    : ERROR_FILE_NOT_FOUND;
    case ENOTDIR:
    case ELOOP:
        return ERROR_PATH_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EISDIR:
    case EBADF: /* a read on a write-only descriptor and the like */
    case EROFS:
        return ERROR_ACCESS_DENIED;
    case EEXIST:
        return ERROR_FILE_EXISTS;
    case ENOSPC:
    case EDQUOT:
        return ERROR_DISK_FULL;
    case ENAMETOOLONG:
        return ERROR_FILENAME_EXCED_RANGE;
    case EMFILE:
    case ENFILE:
        return ERROR_TOO_MANY_OPEN_FILES;
    case ETXTBSY:
        return ERROR_SHARING_VIOLATION;
    case ENOMEM:
        return ERROR_NOT_ENOUGH_MEMORY;
    case EINVAL:
    case EFBIG:
    case EOVERFLOW:
        return ERROR_INVALID_PARAMETER;
    case ENOTEMPTY:
        return ERROR_DIR_NOT_EMPTY;
    default:
        return ERROR_GEN_FAILURE;
    }
}
