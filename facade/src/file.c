/* SPDX-License-Identifier: MIT */
/*
 * file.c - CreateFile, ReadFile, WriteFile, SetFilePointer(Ex),
 * SetEndOfFile, GetFileSize(Ex), FlushFileBuffers, DeleteFile over POSIX
 * file calls. A file handle owns a descriptor that CreateFileMapping can
 * back a section with (mmf_section_create_fd).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "w32.h"

#define READ_RIGHTS (FILE_READ_DATA)
#define WRITE_RIGHTS (FILE_WRITE_DATA | FILE_APPEND_DATA)
#define KNOWN_FLAGS                                                            \
    (FILE_FLAG_WRITE_THROUGH | FILE_FLAG_NO_BUFFERING | FILE_FLAG_RANDOM_ACCESS | \
     FILE_FLAG_SEQUENTIAL_SCAN | FILE_FLAG_DELETE_ON_CLOSE | 0x02000000u /* backup */ | \
     0x01000000u /* posix semantics */ | 0x00200000u /* open reparse point */ |  \
     0x0000FFFFu /* attributes */)

/* An absolute copy of path for FILE_FLAG_DELETE_ON_CLOSE (the current
 * folder may change before the handle closes). */
static char *absolute(const char *path)
{
    char *cwd, *out;
    size_t n;

    if (path[0] == '/')
        return strdup(path);
    if ((cwd = getcwd(NULL, 0)) == NULL)
        return NULL;
    n = strlen(cwd) + strlen(path) + 2;
    if ((out = malloc(n)) != NULL) {
        strcpy(out, cwd);
        strcat(out, "/");
        strcat(out, path);
    }
    free(cwd);
    return out;
}

/* open() with the creation disposition. *existed tells whether the file
 * was there already. Returns the fd or -1 with errno. */
static int open_disposition(const char *path, int base, DWORD disposition,
                            int *existed)
{
    const mode_t mode = 0666; /* less the umask, like a new Windows file */
    int fd;

    *existed = 0;
    switch (disposition) {
    case CREATE_NEW:
        return open(path, base | O_CREAT | O_EXCL, mode);
    case OPEN_EXISTING:
        *existed = 1;
        return open(path, base);
    case TRUNCATE_EXISTING:
        *existed = 1;
        return open(path, base | O_TRUNC);
    case CREATE_ALWAYS:
    case OPEN_ALWAYS:
        /* Tell "created" from "opened" exactly: try to create first, then
         * open what someone else made meanwhile. */
        for (int attempt = 0; attempt < 100; attempt++) {
            fd = open(path, base | O_CREAT | O_EXCL, mode);
            if (fd >= 0 || errno != EEXIST)
                return fd;
            fd = open(path, base | (disposition == CREATE_ALWAYS ? O_TRUNC : 0));
            if (fd >= 0 || errno != ENOENT) {
                *existed = 1;
                return fd;
            }
        }
        errno = EAGAIN;
        return -1;
    default:
        errno = EINVAL;
        return -1;
    }
}

static HANDLE create_file(const char *path, DWORD access, DWORD disposition,
                          DWORD flags)
{
    struct w32_file *f;
    union w32_payload u;
    int base = O_CLOEXEC | O_NOCTTY, fd, existed, readable, writable;
    struct stat st;
    HANDLE h;
    DWORD err;

    access = mmf__w32_map_access(W32_FILE, access);
    readable = (access & READ_RIGHTS) != 0;
    writable = (access & WRITE_RIGHTS) != 0;
    if (path == NULL || path[0] == '\0') {
        mmf__w32_set_error(ERROR_PATH_NOT_FOUND); /* as kernelbase: D22 */
        return INVALID_HANDLE_VALUE;
    }
    if ((flags & FILE_FLAG_OVERLAPPED) ||
        (flags & ~(DWORD)KNOWN_FLAGS) || disposition < CREATE_NEW ||
        disposition > TRUNCATE_EXISTING ||
        (disposition == TRUNCATE_EXISTING && !(access & FILE_WRITE_DATA))) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    if (readable && writable)
        base |= O_RDWR;
    else if (writable)
        base |= O_WRONLY;
    else if (readable || disposition != OPEN_EXISTING)
        base |= O_RDONLY; /* creating or truncating needs a real open */
    else
        base |= O_PATH;   /* access 0: a handle that can be queried */
    if (writable && !(access & FILE_WRITE_DATA))
        base |= O_APPEND; /* FILE_APPEND_DATA alone */
    if (flags & FILE_FLAG_WRITE_THROUGH)
        base |= O_DSYNC;
    if ((fd = open_disposition(path, base, disposition, &existed)) < 0) {
        mmf__w32_set_error(mmf__w32_errno(errno, path));
        return INVALID_HANDLE_VALUE;
    }
    /* Windows opens no directory without FILE_FLAG_BACKUP_SEMANTICS. */
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        mmf__w32_set_error(ERROR_ACCESS_DENIED);
        return INVALID_HANDLE_VALUE;
    }
    if ((f = calloc(1, sizeof *f)) == NULL ||
        ((flags & FILE_FLAG_DELETE_ON_CLOSE) && (f->unlink_path = absolute(path)) == NULL)) {
        free(f);
        close(fd);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    f->refs = 1;
    f->fd = fd;
    u.file = f;
    if ((h = mmf__w32_new(W32_FILE, access, u)) == NULL) {
        mmf__w32_payload_release(W32_FILE, u);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    err = existed && (disposition == CREATE_ALWAYS || disposition == OPEN_ALWAYS)
              ? ERROR_ALREADY_EXISTS
              : ERROR_SUCCESS;
    mmf__w32_set_error(err);
    return h;
}

HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess,
                          DWORD dwShareMode, LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                          DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                          HANDLE hTemplateFile)
{
    (void)dwShareMode; /* Linux has no mandatory sharing modes */
    (void)hTemplateFile;
    return mmf__w32_inherit_sa(create_file(lpFileName, dwDesiredAccess,
                                           dwCreationDisposition, dwFlagsAndAttributes),
                               lpSecurityAttributes);
}

HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess,
                          DWORD dwShareMode, LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                          DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                          HANDLE hTemplateFile)
{
    DWORD err;
    char *path = mmf__w32_to_utf8_alloc(lpFileName, &err);
    HANDLE h;

    (void)dwShareMode;
    (void)hTemplateFile;
    if (path == NULL) {
        mmf__w32_set_error(err);
        return INVALID_HANDLE_VALUE;
    }
    h = create_file(path, dwDesiredAccess, dwCreationDisposition, dwFlagsAndAttributes);
    free(path);
    mmf__w32_inherit_sa(h, lpSecurityAttributes);
    return h;
}

/* The file entry of h with the rights `need` (0: any). NULL with the last
 * error set otherwise. */
static struct w32_entry *get_file(HANDLE h, DWORD need)
{
    struct w32_entry *e;
    DWORD err;

    if ((e = mmf__w32_get(h, W32_K(W32_FILE), &err)) == NULL) {
        mmf__w32_set_error(err);
        return NULL;
    }
    if ((e->access & need) != need) {
        mmf__w32_put(e);
        mmf__w32_set_error(ERROR_ACCESS_DENIED);
        return NULL;
    }
    return e;
}

BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize)
{
    struct w32_entry *e = get_file(hFile, 0);
    struct stat st;
    int ok;

    if (e == NULL)
        return FALSE;
    ok = fstat(e->u.file->fd, &st) == 0;
    if (!ok)
        mmf__w32_set_error(mmf__w32_errno(errno, NULL));
    else
        lpFileSize->QuadPart = (LONGLONG)st.st_size;
    mmf__w32_put(e);
    return ok;
}

DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh)
{
    LARGE_INTEGER size;

    if (!GetFileSizeEx(hFile, &size))
        return INVALID_FILE_SIZE;
    if (lpFileSizeHigh != NULL)
        *lpFileSizeHigh = (DWORD)size.HighPart;
    if (size.LowPart == INVALID_FILE_SIZE)
        mmf__w32_set_error(NO_ERROR); /* tells a real size from a failure */
    return size.LowPart;
}

BOOL WINAPI SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove,
                             PLARGE_INTEGER lpNewFilePointer, DWORD dwMoveMethod)
{
    struct w32_entry *e = get_file(hFile, 0);
    int fd;
    off_t from = 0, pos;
    struct stat st;
    DWORD err = 0;

    if (e == NULL)
        return FALSE;
    fd = e->u.file->fd;
    switch (dwMoveMethod) {
    case FILE_BEGIN:
        break;
    case FILE_CURRENT:
        if ((from = lseek(fd, 0, SEEK_CUR)) < 0)
            err = mmf__w32_errno(errno, NULL);
        break;
    case FILE_END:
        if (fstat(fd, &st) != 0)
            err = mmf__w32_errno(errno, NULL);
        else
            from = st.st_size;
        break;
    default:
        err = ERROR_INVALID_PARAMETER;
        break;
    }
    if (err == 0) {
        if (__builtin_add_overflow(from, (off_t)liDistanceToMove.QuadPart, &pos))
            err = ERROR_INVALID_PARAMETER;
        else if (pos < 0)
            err = ERROR_NEGATIVE_SEEK; /* the position does not move */
        else if (lseek(fd, pos, SEEK_SET) < 0)
            err = mmf__w32_errno(errno, NULL);
    }
    mmf__w32_put(e);
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    if (lpNewFilePointer != NULL)
        lpNewFilePointer->QuadPart = (LONGLONG)pos;
    return TRUE;
}

DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove,
                            PLONG lpDistanceToMoveHigh, DWORD dwMoveMethod)
{
    LARGE_INTEGER dist, pos;

    if (lpDistanceToMoveHigh != NULL) {
        dist.LowPart = (DWORD)lDistanceToMove;
        dist.HighPart = *lpDistanceToMoveHigh;
    } else {
        dist.QuadPart = lDistanceToMove; /* a signed 32-bit distance */
    }
    if (!SetFilePointerEx(hFile, dist, &pos, dwMoveMethod))
        return INVALID_SET_FILE_POINTER;
    if (lpDistanceToMoveHigh != NULL)
        *lpDistanceToMoveHigh = pos.HighPart;
    if (pos.LowPart == INVALID_SET_FILE_POINTER)
        mmf__w32_set_error(NO_ERROR);
    return pos.LowPart;
}

BOOL WINAPI SetEndOfFile(HANDLE hFile)
{
    struct w32_entry *e = get_file(hFile, FILE_WRITE_DATA);
    DWORD err = 0;
    off_t pos;

    struct stat st;

    if (e == NULL)
        return FALSE;
    /* Windows refuses to cut off what a view maps, in any process (D20). */
    if ((pos = lseek(e->u.file->fd, 0, SEEK_CUR)) < 0 || fstat(e->u.file->fd, &st) != 0)
        err = mmf__w32_errno(errno, NULL);
    else if (pos < st.st_size && mmf_file_mapped(e->u.file->fd) == 1)
        err = ERROR_USER_MAPPED_FILE;
    else if (ftruncate(e->u.file->fd, pos) != 0)
        err = mmf__w32_errno(errno, NULL);
    mmf__w32_put(e);
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI FlushFileBuffers(HANDLE hFile)
{
    struct w32_entry *e = get_file(hFile, 0);
    DWORD err = 0;

    if (e == NULL)
        return FALSE;
    if (!(e->access & WRITE_RIGHTS))
        err = ERROR_ACCESS_DENIED; /* as Windows, for a read-only handle */
    else if (fsync(e->u.file->fd) != 0)
        err = mmf__w32_errno(errno, NULL);
    mmf__w32_put(e);
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

/* ReadFile and WriteFile: the whole count unless the file ends (reads) or
 * an error stops it; at the OVERLAPPED offset if given, without moving the
 * file position. */
static BOOL read_write(HANDLE hFile, void *buf, DWORD n, LPDWORD done_out,
                       LPOVERLAPPED ov, int writing)
{
    struct w32_entry *e;
    size_t done = 0;
    off_t off = -1;
    DWORD err = 0;
    int fd;

    if (done_out == NULL && ov == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (done_out != NULL)
        *done_out = 0;
    if ((e = get_file(hFile, 0)) == NULL)
        return FALSE;
    if (!(e->access & (writing ? WRITE_RIGHTS : READ_RIGHTS))) {
        mmf__w32_put(e);
        mmf__w32_set_error(ERROR_ACCESS_DENIED);
        return FALSE;
    }
    if (ov != NULL)
        off = (off_t)(((uint64_t)ov->OffsetHigh << 32) | ov->Offset);
    fd = e->u.file->fd;
    while (done < n) {
        char *p = (char *)buf + done;
        ssize_t k;
        if (off >= 0)
            k = writing ? pwrite(fd, p, n - done, off + (off_t)done)
                      : pread(fd, p, n - done, off + (off_t)done);
        else
            k = writing ? write(fd, p, n - done) : read(fd, p, n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            err = mmf__w32_errno(errno, NULL);
            break;
        }
        if (k == 0)
            break; /* the end of the file (reads) */
        done += (size_t)k;
    }
    mmf__w32_put(e);
    if (done_out != NULL)
        *done_out = (DWORD)done;
    if (ov != NULL)
        ov->InternalHigh = done;
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                     LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped)
{
    return read_write(hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead,
                      lpOverlapped, 0);
}

BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                      LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)
{
    return read_write(hFile, (void *)(uintptr_t)lpBuffer, nNumberOfBytesToWrite,
                      lpNumberOfBytesWritten, lpOverlapped, 1);
}

static BOOL delete_file(const char *path)
{
    int fd, mapped;

    if (path == NULL || path[0] == '\0') {
        mmf__w32_set_error(ERROR_PATH_NOT_FOUND); /* D22 */
        return FALSE;
    }
    /* Windows refuses to delete a file that a view maps, in any process
     * (D21). (A symbolic link is removed, not its target: look at the
     * link itself.) */
    if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
        mapped = mmf_file_mapped(fd);
        close(fd);
        if (mapped == 1) {
            mmf__w32_set_error(ERROR_ACCESS_DENIED);
            return FALSE;
        }
    }
    if (unlink(path) != 0) {
        mmf__w32_set_error(mmf__w32_errno(errno, path));
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI DeleteFileA(LPCSTR lpFileName)
{
    return delete_file(lpFileName);
}

BOOL WINAPI DeleteFileW(LPCWSTR lpFileName)
{
    DWORD err;
    char *path = mmf__w32_to_utf8_alloc(lpFileName, &err);
    BOOL ok;

    if (path == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    ok = delete_file(path);
    free(path);
    return ok;
}
