/* SPDX-License-Identifier: MIT */
/*
 * os.c - Windows: system facts, the process lock, the clock, errors,
 * kernel names, views' cookies, the files behind sections, and security
 * descriptors from permission bits.
 *
 * A view's cookie carries what unmapping and flushing need beyond the
 * address the caller holds: the base MapViewOfFileEx returned (Windows
 * maps at 64 KiB offsets only, so a view at another offset is an interior
 * pointer into a larger mapping), the second half of a double mapping, and
 * a duplicate of the file behind a file-backed view, so that a durable
 * flush can wait for the disk after the section's handles are closed. It
 * is reference-counted because a flush runs outside the view table's lock
 * while another thread may unmap.
 *
 * Files are HANDLEs opened so that others may read, write, rename and
 * delete them meanwhile, as on Linux, and never inherited. Permission bits
 * become a DACL naming the caller's user SID (not OWNER RIGHTS, which Wine
 * does not honour), its primary group and Everyone, with the rights each
 * bit means for the object's kind; the owner always keeps READ_CONTROL and
 * WRITE_DAC, so that it can inspect and change its objects.
 */
#include <io.h>
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

int mmf__os_numa_highest(void)
{
    ULONG high = 0;
    return GetNumaHighestNodeNumber(&high) ? (int)high : 0;
}

/* The native calls do not place memory by node on Windows (the views
 * would need MapViewOfFileExNuma throughout this backend): MMF_ENOTSUP,
 * as include/mmf.h says. */
int mmf__os_numa_check(unsigned node)
{
    return node > (unsigned)mmf__os_numa_highest() ? MMF_EINVAL : MMF_ENOTSUP;
}

int mmf__os_numa_prefer(void *addr, size_t len, unsigned node)
{
    (void)addr;
    (void)len;
    (void)node;
    return MMF_ENOTSUP;
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

/* ---- Views ------------------------------------------------------------- */

int mmf__win_cookie_new(void *base, void *base2, HANDLE file, intptr_t *cookie)
{
    struct mmf__win_view *v = calloc(1, sizeof *v);

    if (v == NULL)
        return MMF_ENOMEM;
    if (file != NULL &&
        !DuplicateHandle(GetCurrentProcess(), file, GetCurrentProcess(), &v->file,
                         0, FALSE, DUPLICATE_SAME_ACCESS)) {
        free(v);
        return GetLastError() == ERROR_NOT_ENOUGH_MEMORY ? MMF_ENOMEM : MMF_EMFILE;
    }
    v->refs = 1;
    v->base = base;
    v->base2 = base2;
    *cookie = (intptr_t)v;
    return 0;
}

int mmf__os_populate(void *addr, size_t len, int write)
{
    volatile const unsigned char *p = addr;
    size_t page = mmf__os_page_size();
    uintptr_t a = (uintptr_t)addr, end = a + len;

    /* Pages of a SEC_RESERVE section are only reserved until committed:
     * commit them now, so that a lack of memory is an error here and not
     * an access violation later. The commit lands in the section, so every
     * view sees it. */
    while (a < end) {
        MEMORY_BASIC_INFORMATION mbi;
        uintptr_t next;

        if (VirtualQuery((void *)a, &mbi, sizeof mbi) == 0)
            return MMF_EFAULT;
        next = (uintptr_t)mbi.BaseAddress + mbi.RegionSize;
        if (next > end)
            next = end;
        if (mbi.State == MEM_RESERVE &&
            VirtualAlloc((void *)a, next - a, MEM_COMMIT,
                         write ? PAGE_READWRITE : PAGE_READONLY) == NULL &&
            VirtualAlloc((void *)a, next - a, MEM_COMMIT, PAGE_READONLY) == NULL)
            return MMF_ENOMEM;
        a = next;
    }
    /* Then fault every page in. Reading is enough, and writing would
     * break copy-on-write views; PrefetchVirtualMemory would only hint. */
    for (size_t off = 0; off < len; off += page)
        (void)p[off];
    return 0;
}

void mmf__os_unmap(void *addr, size_t len, intptr_t cookie)
{
    (void)len; /* a view is unmapped whole, by its base */
    if (cookie < 0) {
        UnmapViewOfFile(addr);
        return;
    }
    {
        struct mmf__win_view *v = (struct mmf__win_view *)cookie;
        UnmapViewOfFile(v->base);
        if (v->base2 != NULL)
            UnmapViewOfFile(v->base2);
        mmf__os_cookie_unref(cookie);
    }
}

int mmf__os_flush(void *addr, size_t len, intptr_t cookie, int durable)
{
    const struct mmf__win_view *v = cookie < 0 ? NULL : (const struct mmf__win_view *)cookie;
    uintptr_t a = (uintptr_t)addr, end = a + len, cut = v != NULL ? (uintptr_t)v->base2 : 0;

    /* Views of pagefile-backed sections have no file: FlushViewOfFile
     * succeeds on them and writes nothing, as msync does on Linux. */
    if (v == NULL || v->file == NULL || len == 0)
        return 0;
    /* FlushViewOfFile takes a range inside one view, and a double mapping
     * is two: a range that runs past the end of the first (a ring's
     * records across the wrap) is flushed in each view apart. Both views
     * show the same pages of the file. */
    if (cut != 0 && a < cut && end > cut) {
        if (!FlushViewOfFile(addr, cut - a) || !FlushViewOfFile((void *)cut, end - cut))
            return mmf__win_err(GetLastError());
    } else if (!FlushViewOfFile(addr, len)) {
        return mmf__win_err(GetLastError());
    }
    /* FlushViewOfFile starts the write-back; FlushFileBuffers waits for
     * it and for the file's metadata. A file opened read-only has nothing
     * of ours to write (and refuses the call). */
    if (durable && !FlushFileBuffers(v->file) && GetLastError() != ERROR_ACCESS_DENIED)
        return mmf__win_err(GetLastError());
    return 0;
}

intptr_t mmf__os_cookie_ref(intptr_t cookie)
{
    if (cookie >= 0)
        InterlockedIncrement(&((struct mmf__win_view *)cookie)->refs);
    return cookie;
}

void mmf__os_cookie_unref(intptr_t cookie)
{
    struct mmf__win_view *v = (struct mmf__win_view *)cookie;

    if (cookie < 0 || InterlockedDecrement(&v->refs) != 0)
        return;
    if (v->file != NULL)
        CloseHandle(v->file);
    free(v);
}

/* ---- Files -------------------------------------------------------------- */

/* The access rights granted on handle h, or 0 if unknown. */
static ACCESS_MASK granted(HANDLE h)
{
    PUBLIC_OBJECT_BASIC_INFORMATION bi;
    ULONG n;

    if (NtQueryObject(h, ObjectBasicInformation, &bi, sizeof bi, &n) < 0)
        return 0;
    return bi.GrantedAccess;
}

int mmf__os_file_prepare(mmf__file f, unsigned prot, uint64_t *size)
{
    HANDLE h = (HANDLE)f;
    BY_HANDLE_FILE_INFORMATION fi;
    ACCESS_MASK acc;
    LARGE_INTEGER cur;
    DWORD type;

    if (f == MMF__NO_FILE || h == NULL)
        return MMF_EBADF;
    SetLastError(0);
    type = GetFileType(h);
    if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR)
        return MMF_EBADF;
    /* Pipes, consoles and devices cannot back a section; a directory is
     * a disk object but not a regular file. */
    if (type != FILE_TYPE_DISK || !GetFileInformationByHandle(h, &fi) ||
        (fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return MMF_ENODEV;
    /* A section needs a readable file; a writable section a writable one. */
    acc = granted(h);
    if (!(acc & FILE_READ_DATA) ||
        ((prot & MMF_PROT_WRITE) && !(acc & FILE_WRITE_DATA)))
        return MMF_EACCES;
    if (!GetFileSizeEx(h, &cur))
        return mmf__win_err(GetLastError());
    if (*size == 0) {
        if (cur.QuadPart == 0)
            return MMF_EFILEEMPTY;
        *size = (uint64_t)cur.QuadPart;
        return 0;
    }
    if (*size <= (uint64_t)cur.QuadPart)
        return 0;
    if (!(prot & MMF_PROT_WRITE))
        return MMF_ERANGE; /* a read-only section cannot grow its file */
    if (*size > (uint64_t)INT64_MAX)
        return MMF_EFBIG;
    {
        /* Setting the end of file allocates the space on NTFS, so that a
         * full disk fails here and not as an in-page error in a view. */
        FILE_END_OF_FILE_INFO eof;
        eof.EndOfFile.QuadPart = (LONGLONG)*size;
        if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof eof)) {
            DWORD e = GetLastError();
            return e == ERROR_INVALID_PARAMETER ? MMF_EFBIG : mmf__win_err(e);
        }
    }
    return 0;
}

int mmf__os_file_from_fd(int fd, mmf__file *out)
{
    intptr_t h;

    if (fd < 0)
        return MMF_EBADF;
    /* The handle behind a descriptor of the C runtime mmf is linked with:
     * a program on another runtime has other descriptors (see KNOWN LIMITS
     * ON WINDOWS in mmf.h). The runtime keeps owning the handle. */
    h = _get_osfhandle(fd);
    if (h == -1 || h == -2)
        return MMF_EBADF;
    *out = (mmf__file)h;
    return 0;
}

/* CreateFileW with a UTF-8 path; the handle is not inherited. */
static int open_file(const char *path, DWORD rights, DWORD disposition,
                     SECURITY_ATTRIBUTES *sa, mmf__file *out)
{
    int rc = 0;
    WCHAR *w = mmf__win_path(path, &rc);
    HANDLE h;

    if (w == NULL)
        return rc;
    /* Others may read, write, rename and delete the file meanwhile, as on
     * Linux: a section keeps its own reference to the file's data. */
    h = CreateFileW(w, rights, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    sa, disposition, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        rc = mmf__win_err(e);
        /* A directory is refused with "access denied": say what it is. */
        if (e == ERROR_ACCESS_DENIED) {
            DWORD attr = GetFileAttributesW(w);
            if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY))
                rc = MMF_ENODEV;
        }
        free(w);
        return rc;
    }
    free(w);
    if (GetFileType(h) != FILE_TYPE_DISK) {
        CloseHandle(h);
        return MMF_ENODEV;
    }
    *out = (mmf__file)h;
    return 0;
}

int mmf__os_file_open(const char *path, unsigned prot, mmf__file *out)
{
    DWORD rights = GENERIC_READ | ((prot & MMF_PROT_WRITE) ? GENERIC_WRITE : 0);
    if (prot & MMF_PROT_EXEC)
        rights |= GENERIC_EXECUTE; /* needed for an executable section */
    return open_file(path, rights, OPEN_EXISTING, NULL, out);
}

void mmf__os_file_close(mmf__file f)
{
    if (f != MMF__NO_FILE && f != 0)
        CloseHandle((HANDLE)f);
}

int mmf__os_file_create(const char *path, unsigned mode, mmf__file *out)
{
    struct mmf__win_sd sd;
    int rc;

    /* The descriptor applies only if the file is created here. */
    if ((rc = mmf__win_sd_make(mode, MMF__WIN_KIND_FILE, &sd)) < 0)
        return rc;
    sd.sa.bInheritHandle = FALSE;
    rc = open_file(path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS, &sd.sa, out);
    mmf__win_sd_free(&sd);
    return rc;
}

long mmf__os_file_read(mmf__file f, uint64_t off, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        OVERLAPPED ov;
        DWORD n = 0, want = len - got > 0x40000000u ? 0x40000000u : (DWORD)(len - got);

        memset(&ov, 0, sizeof ov);
        ov.Offset = (DWORD)(off + got);
        ov.OffsetHigh = (DWORD)((off + got) >> 32);
        if (!ReadFile((HANDLE)f, (char *)buf + got, want, &n, &ov)) {
            DWORD e = GetLastError();
            if (e == ERROR_HANDLE_EOF)
                break;
            return e == ERROR_INVALID_HANDLE ? MMF_EBADF : mmf__win_err(e);
        }
        if (n == 0)
            break;
        got += n;
    }
    return (long)got;
}

/* ---- Security descriptors from permission bits --------------------------- */

/* The rights one class of permission bits (r = 4, w = 2, x = 1) grants on
 * an object of `kind`. */
static ACCESS_MASK rights_of(unsigned bits, enum mmf__win_kind kind)
{
    ACCESS_MASK r = 0;

    switch (kind) {
    case MMF__WIN_KIND_SECTION:
        if (bits & 4)
            r |= SECTION_MAP_READ | SECTION_QUERY;
        if (bits & 2)
            r |= SECTION_MAP_WRITE | SECTION_QUERY;
        if (bits & 1)
            r |= SECTION_MAP_EXECUTE;
        break;
    case MMF__WIN_KIND_SYNC:
        /* Querying is reading; waiting (which takes a mutex or a
         * semaphore's count) and signalling are writing, so that every
         * handle needs both, as a sync object's store file does on Linux.
         * 0x0001 is the query right of all three types, 0x0002 the modify
         * right of events and semaphores. */
        if (bits & 4)
            r |= 0x0001;
        if (bits & 2)
            r |= SYNCHRONIZE | 0x0002;
        break;
    case MMF__WIN_KIND_FILE:
        if (bits & 4)
            r |= FILE_GENERIC_READ;
        if (bits & 2)
            r |= FILE_GENERIC_WRITE;
        if (bits & 1)
            r |= FILE_GENERIC_EXECUTE;
        break;
    }
    return r;
}

/* One block holds the descriptor and everything it points to. */
struct sd_block {
    SECURITY_DESCRIPTOR sd;
    union {
        ACL acl;
        unsigned char bytes[3 * (sizeof(ACCESS_ALLOWED_ACE) + SECURITY_MAX_SID_SIZE) +
                            sizeof(ACL) + 16];
    } acl;
    union {
        SID sid;
        unsigned char bytes[SECURITY_MAX_SID_SIZE];
    } user, group, world;
};

/* Copy a SID of the token's information class `cls` into out. */
static int token_sid(HANDLE token, TOKEN_INFORMATION_CLASS cls, void *out)
{
    unsigned char buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE + 16];
    DWORD n;
    PSID sid;

    if (!GetTokenInformation(token, cls, buf, sizeof buf, &n))
        return mmf__win_err(GetLastError());
    sid = cls == TokenUser ? ((TOKEN_USER *)(void *)buf)->User.Sid
                           : ((TOKEN_PRIMARY_GROUP *)(void *)buf)->PrimaryGroup;
    if (!CopySid(SECURITY_MAX_SID_SIZE, out, sid))
        return mmf__win_err(GetLastError());
    return 0;
}

int mmf__win_sd_make(unsigned mode, enum mmf__win_kind kind, struct mmf__win_sd *sd)
{
    struct sd_block *b = calloc(1, sizeof *b);
    DWORD wsize = SECURITY_MAX_SID_SIZE;
    ACCESS_MASK owner, group, other;
    HANDLE token;
    int rc;

    memset(sd, 0, sizeof *sd);
    if (b == NULL)
        return MMF_ENOMEM;
    if (mode == 0)
        mode = 0600;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token) &&
        !OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token)) {
        free(b);
        return mmf__win_err(GetLastError());
    }
    rc = token_sid(token, TokenUser, &b->user);
    if (rc == 0)
        rc = token_sid(token, TokenPrimaryGroup, &b->group);
    CloseHandle(token);
    if (rc == 0 && !CreateWellKnownSid(WinWorldSid, NULL, &b->world, &wsize))
        rc = mmf__win_err(GetLastError());
    if (rc < 0) {
        free(b);
        return rc;
    }
    /* The owner is named by its SID, not by OWNER RIGHTS: Wine does not
     * honour the latter. It always keeps READ_CONTROL | WRITE_DAC, so that
     * it can inspect the object and change the bits later. */
    owner = rights_of((mode >> 6) & 7, kind) | READ_CONTROL | WRITE_DAC;
    group = rights_of((mode >> 3) & 7, kind);
    other = rights_of(mode & 7, kind);
    if (!InitializeAcl(&b->acl.acl, sizeof b->acl, ACL_REVISION) ||
        !AddAccessAllowedAce(&b->acl.acl, ACL_REVISION, owner, &b->user) ||
        (group != 0 && !EqualSid(&b->group, &b->user) &&
         !AddAccessAllowedAce(&b->acl.acl, ACL_REVISION, group, &b->group)) ||
        (other != 0 &&
         !AddAccessAllowedAce(&b->acl.acl, ACL_REVISION, other, &b->world)) ||
        !InitializeSecurityDescriptor(&b->sd, SECURITY_DESCRIPTOR_REVISION) ||
        !SetSecurityDescriptorOwner(&b->sd, &b->user, FALSE) ||
        !SetSecurityDescriptorGroup(&b->sd, &b->group, FALSE) ||
        !SetSecurityDescriptorDacl(&b->sd, TRUE, &b->acl.acl, FALSE)) {
        rc = mmf__win_err(GetLastError());
        free(b);
        return rc;
    }
    sd->sa.nLength = sizeof sd->sa;
    sd->sa.lpSecurityDescriptor = &b->sd;
    sd->sa.bInheritHandle = FALSE;
    sd->mem = b;
    return 0;
}

void mmf__win_sd_free(struct mmf__win_sd *sd)
{
    free(sd->mem);
    sd->mem = NULL;
    sd->sa.lpSecurityDescriptor = NULL;
}
