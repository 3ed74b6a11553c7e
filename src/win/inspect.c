/* SPDX-License-Identifier: MIT */
/*
 * inspect.c - Windows: the namespace seen without references.
 *
 * On Windows the store is the kernel's object namespace: Local\ names are
 * the entries of \Sessions\<session>\BaseNamedObjects, Global\ names those
 * of \BaseNamedObjects. Listing reads those directories one entry at a
 * time (the only mode Wine 8 implements) and keeps the four types mmf
 * makes: Section, Mutant, Event and Semaphore. A Section is a channel when
 * its first page holds a valid mmf header of a channel (win.h).
 *
 * Windows cannot describe, read or count the holders of an object without
 * a handle to it, so every call here takes a transient one, with query
 * rights only where it can, and closes it before returning. That handle
 * may delay the removal of a name by the time of the call; it never keeps
 * an object alive afterwards. It is not counted: handles is the kernel's
 * HandleCount less our own.
 *
 * Nothing is ever stale on Windows: a name goes with its last handle, so
 * removal finds either a live object (MMF_EBUSY) or nothing (MMF_ENOENT),
 * and gc has nothing to do.
 *
 * Where the numbers come from:
 *   - type, size, reserve/file flags: the kernel type name and
 *     NtQuerySection; a channel's kind, size, creator and creation time
 *     from its header, which is untrusted and validated first;
 *   - protection: which views the kernel allows (a probe map, no commit);
 *   - owner, group, mode: the security descriptor, read back into
 *     permission bits (approximate: a DACL says more than rwx);
 *   - allocated and resident: the committed pages of a view (a pagefile
 *     page is in memory or in the paging file; which, Windows tells only
 *     privileged callers), MMF_UNKNOWN for file-backed sections;
 *   - holders: the system handle table; each candidate handle is
 *     duplicated into this process and compared (its Object field is NULL
 *     under Wine). Views of file-backed sections are found by file name
 *     (VirtualQueryEx, GetMappedFileNameW); a view of a pagefile section
 *     in another process cannot be attributed to its section, so mappers
 *     is MMF_UNKNOWN for those.
 *
 * Everything a channel's header region holds is untrusted: it is copied
 * out of the view before it is looked at and validated like a header read
 * from a file, and the path of a persistent ring read from it is opened
 * only if it is a disk file (a pipe could make the caller wait). Views are
 * copied with ReadProcessMemory on our own process, which fails instead of
 * faulting on a page that cannot be read (uncommitted, or a file page
 * whose I/O failed): such pages read as zeros.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "win.h"
#include "../channel.h"

#include <aclapi.h>
#include <psapi.h>

#ifndef STATUS_NO_MORE_ENTRIES
#define STATUS_NO_MORE_ENTRIES ((NTSTATUS)0x8000001AL)
#endif
#ifndef STATUS_BUFFER_TOO_SMALL
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#endif
#ifndef STATUS_BUFFER_OVERFLOW
#define STATUS_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#endif
#ifndef STATUS_INFO_LENGTH_MISMATCH
#define STATUS_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#endif
#ifndef DIRECTORY_QUERY
#define DIRECTORY_QUERY 0x0001
#endif
#ifndef SEC_FILE
#define SEC_FILE 0x800000
#endif
#define SYSTEM_EXTENDED_HANDLE_INFORMATION 64
#define OBJECT_NAME_INFORMATION_CLASS 1
#define OBJECT_TYPE_INFORMATION_CLASS 2

/* The most a listing reads of one directory, and the most bytes of the
 * system handle table it asks for: bounds against a namespace or a table
 * that keeps growing while it is read. */
#define DIR_ENTRIES_MAX 1000000u
#define HANDLE_TABLE_MAX ((ULONG)1 << 30)

/* ---- Small helpers ------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* UTF-16 (n units) to NUL-terminated UTF-8 in out. 0, or -1 if it does not
 * convert or fit. */
static int to_utf8(const WCHAR *w, size_t n, char *out, size_t cap)
{
    int k;
    if (n == 0) {
        out[0] = '\0';
        return 0;
    }
    if (n > INT_MAX || cap > INT_MAX)
        return -1;
    k = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, (int)n, out,
                            (int)cap - 1, NULL, NULL);
    if (k <= 0)
        return -1;
    out[k] = '\0';
    return 0;
}

static uint32_t type_of_kernel(const UNICODE_STRING *t)
{
    static const struct { const WCHAR *name; uint32_t type; } types[] = {
        {L"Section", MMF__TYPE_SECTION}, {L"Mutant", MMF__TYPE_MUTEX},
        {L"Event", MMF__TYPE_EVENT},     {L"Semaphore", MMF__TYPE_SEMAPHORE},
    };
    size_t n = t->Length / sizeof(WCHAR);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (wcslen(types[i].name) == n && wmemcmp(types[i].name, t->Buffer, n) == 0)
            return types[i].type;
    }
    return 0;
}

/*
 * Open the kernel object `name` ("Local\key" or "Global\key") as `type`
 * with the most query rights the caller is granted: first with the
 * security descriptor and (sections) mapping for reading, then less.
 * Returns 0, MMF_ENOENT, MMF_ETYPE or MMF_EACCES (it exists, as that type,
 * and may not even be queried).
 */
static int open_as(const WCHAR *name, uint32_t type, HANDLE *h)
{
    static const DWORD section[] = {SECTION_QUERY | SECTION_MAP_READ | READ_CONTROL,
                                    SECTION_QUERY | SECTION_MAP_READ, SECTION_QUERY,
                                    READ_CONTROL};
    static const DWORD sync[] = {SYNCHRONIZE | 0x0001 | READ_CONTROL, 0x0001 | READ_CONTROL,
                                 0x0001, SYNCHRONIZE, READ_CONTROL};
    const DWORD *acc = type == MMF__TYPE_SECTION ? section : sync;
    size_t n = type == MMF__TYPE_SECTION ? sizeof section / sizeof section[0]
                                         : sizeof sync / sizeof sync[0];
    DWORD e = ERROR_FILE_NOT_FOUND;

    for (size_t i = 0; i < n; i++) {
        switch (type) {
        case MMF__TYPE_SECTION:
            *h = OpenFileMappingW(acc[i], FALSE, name);
            break;
        case MMF__TYPE_MUTEX:
            *h = OpenMutexW(acc[i], FALSE, name);
            break;
        case MMF__TYPE_EVENT:
            *h = OpenEventW(acc[i], FALSE, name);
            break;
        default:
            *h = OpenSemaphoreW(acc[i], FALSE, name);
            break;
        }
        if (*h != NULL)
            return 0;
        e = GetLastError();
        if (e != ERROR_ACCESS_DENIED)
            break;
    }
    *h = NULL;
    if (e == ERROR_ACCESS_DENIED)
        return MMF_EACCES;
    if (e == ERROR_INVALID_HANDLE)
        return MMF_ETYPE;
    return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? MMF_ENOENT
                                                                   : mmf__win_err(e);
}

/* Open `name` as whichever of the four kernel types it is. */
static int open_any(const WCHAR *name, uint32_t *type, HANDLE *h)
{
    static const uint32_t order[] = {MMF__TYPE_SECTION, MMF__TYPE_MUTEX, MMF__TYPE_EVENT,
                                     MMF__TYPE_SEMAPHORE};
    int rc = MMF_ENOENT;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        rc = open_as(name, order[i], h);
        if (rc != MMF_ETYPE) {
            *type = order[i];
            return rc;
        }
    }
    return MMF_ENOENT; /* some other kind of object: not one of mmf's */
}

/* The kernel's HandleCount of the object, less the caller's transient
 * handle; MMF_UNKNOWN if the kernel does not tell. */
static uint64_t other_handles(HANDLE h)
{
    PUBLIC_OBJECT_BASIC_INFORMATION bi;
    ULONG ret;
    if (NtQueryObject(h, ObjectBasicInformation, &bi, sizeof bi, &ret) < 0 ||
        bi.HandleCount == 0)
        return MMF_UNKNOWN;
    return bi.HandleCount - 1;
}

/* The kernel path of the object behind h (NtQueryObject name), as
 * malloc'ed UTF-16 with its length in *n, or NULL. Only for the four
 * types above: naming some other objects (pipes) can block. */
static WCHAR *kernel_path(HANDLE h, size_t *n)
{
    ULONG len = 1024, ret = 0;
    for (int tries = 0; tries < 4; tries++) {
        UNICODE_STRING *u = malloc(len);
        NTSTATUS st;
        if (u == NULL)
            return NULL;
        st = NtQueryObject(h, (OBJECT_INFORMATION_CLASS)OBJECT_NAME_INFORMATION_CLASS, u,
                           len, &ret);
        if (st >= 0) {
            size_t k = u->Length / sizeof(WCHAR);
            WCHAR *w = malloc((k + 1) * sizeof *w);
            if (w != NULL && u->Buffer != NULL && (char *)(u->Buffer + k) <= (char *)u + len) {
                wmemcpy(w, u->Buffer, k);
                w[k] = 0;
                *n = k;
            } else if (w != NULL) {
                w[0] = 0;
                *n = 0;
            }
            free(u);
            return w;
        }
        free(u);
        if (st != STATUS_INFO_LENGTH_MISMATCH && st != STATUS_BUFFER_OVERFLOW &&
            st != STATUS_BUFFER_TOO_SMALL)
            return NULL;
        len = ret > len ? ret + 64 : 2 * len;
        if (len > 65536)
            return NULL;
    }
    return NULL;
}

/* ---- Security: owner, group, mode ---------------------------------------- */

/* The permission bits (rwx, 0 to 7) an access mask grants on an object of
 * `type`, as mmf__win_sd_make makes them from a mode. */
static unsigned bits_of_mask(ACCESS_MASK m, uint32_t type)
{
    unsigned b = 0;
    if (m & GENERIC_ALL)
        return 7u & (type == MMF__TYPE_SECTION ? 7u : 6u);
    if (type == MMF__TYPE_SECTION || type == MMF__TYPE_CHANNEL) {
        if (m & (SECTION_MAP_READ | GENERIC_READ))
            b |= 4;
        if (m & (SECTION_MAP_WRITE | GENERIC_WRITE))
            b |= 2;
        if (m & (SECTION_MAP_EXECUTE | GENERIC_EXECUTE))
            b |= 1;
    } else {
        /* Mutants have no modify right: releasing needs ownership, and
         * taking it needs SYNCHRONIZE. */
        if (m & (0x0001 | SYNCHRONIZE | GENERIC_READ))
            b |= 4;
        if (m & (0x0002 | GENERIC_WRITE) ||
            (type == MMF__TYPE_MUTEX && (m & SYNCHRONIZE)))
            b |= 2;
    }
    return b;
}

static uint32_t rid_of(PSID sid)
{
    PUCHAR n;
    if (sid == NULL || !IsValidSid(sid) || *(n = GetSidSubAuthorityCount(sid)) == 0)
        return 0;
    return (uint32_t)*GetSidSubAuthority(sid, (DWORD)(*n - 1));
}

/* Fill uid, gid and mode from the object's security descriptor. uid and
 * gid carry the relative ids of the owner and group SIDs; mode the rights
 * allowed to the owner, the group and Everyone. Left 0 when the caller may
 * not read the descriptor. */
static void describe_security(HANDLE h, uint32_t type, mmf_object_info *info)
{
    PSID owner = NULL, group = NULL, everyone = NULL;
    SID_IDENTIFIER_AUTHORITY world = {SECURITY_WORLD_SID_AUTHORITY};
    PSECURITY_DESCRIPTOR sd = NULL;
    ACL_SIZE_INFORMATION as;
    PACL dacl = NULL;
    unsigned allow[3] = {0, 0, 0}, deny[3] = {0, 0, 0};

    if (GetSecurityInfo(h, SE_KERNEL_OBJECT,
                        OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION |
                            DACL_SECURITY_INFORMATION,
                        &owner, &group, &dacl, NULL, &sd) != ERROR_SUCCESS)
        return;
    info->uid = rid_of(owner);
    info->gid = rid_of(group);
    if (dacl == NULL) {
        info->mode = 0777; /* no DACL: everyone may do everything */
    } else if (AllocateAndInitializeSid(&world, 1, SECURITY_WORLD_RID, 0, 0, 0, 0, 0, 0, 0,
                                        &everyone) &&
               GetAclInformation(dacl, &as, sizeof as, AclSizeInformation)) {
        /* ACEs in order: a right denied before it is allowed stays off. */
        for (DWORD i = 0; i < as.AceCount; i++) {
            ACE_HEADER *a;
            PSID sid;
            ACCESS_MASK m;
            if (!GetAce(dacl, i, (void **)&a))
                break;
            if (a->AceType == ACCESS_ALLOWED_ACE_TYPE) {
                ACCESS_ALLOWED_ACE *x = (ACCESS_ALLOWED_ACE *)a;
                sid = &x->SidStart;
                m = x->Mask;
            } else if (a->AceType == ACCESS_DENIED_ACE_TYPE) {
                ACCESS_DENIED_ACE *x = (ACCESS_DENIED_ACE *)a;
                sid = &x->SidStart;
                m = x->Mask;
            } else {
                continue;
            }
            for (int who = 0; who < 3; who++) {
                PSID w = who == 0 ? owner : who == 1 ? group : everyone;
                unsigned b;
                if (w == NULL || !EqualSid(sid, w))
                    continue;
                b = bits_of_mask(m, type);
                if (a->AceType == ACCESS_ALLOWED_ACE_TYPE)
                    allow[who] |= b & ~deny[who];
                else
                    deny[who] |= b & ~allow[who];
            }
        }
        info->mode = allow[0] << 6 | allow[1] << 3 | allow[2];
    }
    if (everyone != NULL)
        FreeSid(everyone);
    LocalFree(sd);
}

/* ---- Sections and channels ---------------------------------------------- */

/* A view of [off, off + len) of section h, mapped read-only, or NULL. */
static void *map_ro(HANDLE h, uint64_t off, size_t len)
{
    return MapViewOfFile(h, FILE_MAP_READ, (DWORD)(off >> 32), (DWORD)off, len);
}

/* Copy n bytes at v into out without a fault: ReadProcessMemory on our
 * own process fails where a read would raise (an uncommitted page, an
 * I/O error of a file-backed view). 1 if it copied, 0 if not. */
static int copy_safe(const char *v, size_t n, char *out)
{
    SIZE_T got = 0;
    return ReadProcessMemory(GetCurrentProcess(), v, out, n, &got) && got == n;
}

/* Copy len bytes of the view at v to out, zeros for pages that cannot be
 * read: on Windows those a SEC_RESERVE section has not committed (Wine
 * reports them reserved but keeps what was written there: those are
 * copied), or a file page that failed to load. */
static void copy_committed(const char *v, size_t len, char *out)
{
    size_t page = mmf__os_page_size(), done = 0;
    while (done < len) {
        MEMORY_BASIC_INFORMATION mbi;
        size_t run;
        if (VirtualQuery(v + done, &mbi, sizeof mbi) == 0) {
            memset(out + done, 0, len - done);
            return;
        }
        run = (size_t)((const char *)mbi.BaseAddress + mbi.RegionSize - (v + done));
        if (run > len - done)
            run = len - done;
        if (mbi.State == MEM_FREE || (mbi.Protect & PAGE_GUARD) ||
            !copy_safe(v + done, run, out + done)) {
            /* A reserved run is unreadable as a whole; a committed one
             * may fail in places only. */
            int whole = mbi.State != MEM_COMMIT || (mbi.Protect & PAGE_GUARD);
            for (size_t at = 0; at < run;) {
                size_t k = page - (size_t)((uintptr_t)(v + done + at) % page);
                if (k > run - at)
                    k = run - at;
                if (whole || !copy_safe(v + done + at, k, out + done + at))
                    memset(out + done + at, 0, k);
                at += k;
            }
        }
        done += run;
    }
}

/* Committed bytes of the first len bytes of section h, or MMF_UNKNOWN. */
static uint64_t committed(HANDLE h, uint64_t len)
{
    const char *v;
    uint64_t sum = 0;
    if (len > SIZE_MAX || (v = map_ro(h, 0, (size_t)len)) == NULL)
        return MMF_UNKNOWN;
    for (uint64_t at = 0; at < len;) {
        MEMORY_BASIC_INFORMATION mbi;
        uint64_t run;
        if (VirtualQuery(v + at, &mbi, sizeof mbi) == 0) {
            sum = MMF_UNKNOWN;
            break;
        }
        run = (uint64_t)((const char *)mbi.BaseAddress + mbi.RegionSize - (v + at));
        if (run > len - at)
            run = len - at;
        if (mbi.State == MEM_COMMIT)
            sum += run;
        at += run;
    }
    UnmapViewOfFile(v);
    return sum;
}

/*
 * Read the header page of section h (size bytes) into *hdr and *extra if it
 * is a channel's. Returns 1 (a channel: *hdr validated), 0 (a plain
 * section), MMF_ECORRUPT (a channel's magic and type, but a header that
 * does not validate or does not carry `name`), or an MMF_E* code. The
 * header is copied out of shared memory before it is looked at.
 */
static int read_chan_header(HANDLE h, uint64_t size, const char *name,
                            struct mmf__hdr *hdr, struct mmf__win_chan_extra *extra)
{
    const size_t need = MMF__HDR_SIZE + sizeof *extra;
    char *page;
    const char *v;
    uint64_t store;

    if (size < MMF__WIN_CHAN_HDR)
        return 0; /* too small to hold a channel's header region */
    if ((v = map_ro(h, 0, need)) == NULL)
        return mmf__win_err(GetLastError());
    if ((page = malloc(need)) == NULL) {
        UnmapViewOfFile(v);
        return MMF_ENOMEM;
    }
    copy_committed(v, need, page);
    UnmapViewOfFile(v);
    memcpy(hdr, page, sizeof *hdr);
    memcpy(extra, page + MMF__HDR_SIZE, sizeof *extra);
    free(page);
    if (hdr->magic != MMF__HDR_MAGIC || hdr->type != MMF__TYPE_CHANNEL)
        return 0;
    /* The data of a channel follows its header region; a persistent
     * ring's is in its file, and the header's own check expects a store
     * of the header alone then. */
    if (hdr->flags & MMF__HF_FILE)
        store = hdr->hdr_size;
    else if (hdr->data_size <= size - MMF__WIN_CHAN_HDR)
        store = (uint64_t)hdr->hdr_size + hdr->data_size;
    else
        return MMF_ECORRUPT;
    if (mmf__hdr_validate(hdr, store) < 0 || (name != NULL && strcmp(hdr->name, name) != 0))
        return MMF_ECORRUPT;
    return 1;
}

/* MMF_PROT_* of section h: the views the kernel allows (a probe view is
 * address space only; nothing is committed). READ is always there. */
static unsigned probe_prot(const WCHAR *name, HANDLE h)
{
    static const struct { DWORD open, map; unsigned prot; } probes[] = {
        {SECTION_MAP_READ | SECTION_MAP_WRITE, FILE_MAP_WRITE, MMF_PROT_WRITE},
        {SECTION_MAP_READ | SECTION_MAP_EXECUTE, FILE_MAP_READ | FILE_MAP_EXECUTE,
         MMF_PROT_EXEC},
    };
    unsigned prot = MMF_PROT_READ;
    (void)h;
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        HANDLE p = OpenFileMappingW(probes[i].open, FALSE, name);
        void *v;
        if (p == NULL)
            continue; /* not granted to us: unknown, reported as absent */
        if ((v = MapViewOfFile(p, probes[i].map, 0, 0, 1)) != NULL) {
            prot |= probes[i].prot;
            UnmapViewOfFile(v);
        }
        CloseHandle(p);
    }
    return prot;
}

/* The DOS path of the file a view at v of this process maps, in UTF-8, or
 * "" (pagefile sections, or a name that does not convert). */
static void mapped_file_utf8(const void *v, char *out, size_t cap)
{
    WCHAR w[MAX_PATH * 4], drives[512], dev[MAX_PATH];
    DWORD n = GetMappedFileNameW(GetCurrentProcess(), (LPVOID)v, w, MAX_PATH * 4);
    const WCHAR *p = w;
    char tmp[MMF_PATH_BYTES];

    out[0] = '\0';
    if (n == 0 || n >= MAX_PATH * 4)
        return;
    w[n] = 0;
    /* Wine says "\??\C:\...", Windows "\Device\HarddiskVolumeN\...". */
    if (wcsncmp(p, L"\\??\\", 4) == 0) {
        p += 4;
    } else if (GetLogicalDriveStringsW(511, drives) > 0) {
        for (const WCHAR *d = drives; *d != 0; d += wcslen(d) + 1) {
            WCHAR drive[3] = {d[0], L':', 0};
            size_t k;
            if (QueryDosDeviceW(drive, dev, MAX_PATH) == 0)
                continue;
            k = wcslen(dev);
            if (wcsncmp(p, dev, k) == 0 && p[k] == L'\\') {
                snprintf(tmp, sizeof tmp, "%c:", (char)d[0]);
                if (to_utf8(p + k, wcslen(p + k), tmp + 2, sizeof tmp - 2) == 0)
                    copy_str(out, cap, tmp);
                return;
            }
        }
    }
    if (to_utf8(p, wcslen(p), tmp, sizeof tmp) == 0)
        copy_str(out, cap, tmp);
}

/* ---- Describing one object ---------------------------------------------- */

/* The object directory of Local\ names: this session's, or, in session 0
 * (services), \BaseNamedObjects itself. 1 if it is a directory of its
 * own (written to dir), 0 if Local\ is Global\. */
static int local_dir(WCHAR *dir, size_t cap)
{
    DWORD session = 0;
    if (!ProcessIdToSessionId(GetCurrentProcessId(), &session) || session == 0)
        return 0;
    swprintf(dir, cap, L"\\Sessions\\%lu\\BaseNamedObjects", (unsigned long)session);
    return 1;
}

/* Where the object of `key` lives in the namespace, in UTF-8. */
static void store_path(int global, const char *key, char *out, size_t cap)
{
    WCHAR dir[64];
    char d[64];
    if (global || !local_dir(dir, sizeof dir / sizeof dir[0]) ||
        to_utf8(dir, wcslen(dir), d, sizeof d) != 0)
        snprintf(out, cap, "\\BaseNamedObjects\\%s", key);
    else
        snprintf(out, cap, "%s\\%s", d, key);
}

/* 1 for the kernel objects a channel derives from its id (chan.c): its
 * wake semaphores and claim mutexes, "mmf#<32 hex digits>#...". They are
 * part of their channel, not objects of their own. */
static int is_derived(const WCHAR *key, size_t n)
{
    const size_t hex = 2 * MMF__WIN_CHAN_ID_BYTES;
    if (n < 5 + hex || wmemcmp(key, L"mmf#", 4) != 0 || key[4 + hex] != L'#')
        return 0;
    for (size_t i = 4; i < 4 + hex; i++) {
        if (!((key[i] >= L'0' && key[i] <= L'9') || (key[i] >= L'a' && key[i] <= L'f')))
            return 0;
    }
    return 1;
}

/* One object being inspected. */
struct target {
    mmf_object_info *info;
    HANDLE h;              /* transient handle, or NULL (not readable) */
    WCHAR *kpath;          /* its kernel path, malloc'ed, or NULL */
    size_t kpath_len;
    uint64_t seen;         /* handles found in inspected processes */
    unsigned p_handles;    /* in the process being scanned */
    int p_views;
};

/*
 * Describe the object `wname` (Win32 name "Local\key"), known to be of
 * kernel `type` (0: find out), whose mmf name is `name`, into t->info,
 * keeping the transient handle in t->h. Returns 0, MMF_ENOENT (gone, or
 * not one of the four types) or MMF_ENOMEM.
 */
static int describe(const WCHAR *wname, uint32_t type, const char *name, int global,
                    unsigned what, struct target *t)
{
    mmf_object_info *info = t->info;
    int rc;

    memset(info, 0, sizeof *info);
    info->handles = info->processes = info->mappers = info->hidden = MMF_UNKNOWN;
    info->resident = info->dirty = MMF_UNKNOWN;
    info->allocated = MMF_UNKNOWN;
    copy_str(info->name, sizeof info->name, name);
    if (global)
        info->flags |= MMF_GLOBAL;
    info->version = MMF__HDR_VERSION;
    store_path(global, strchr(name, '\\') + 1, info->store_file, sizeof info->store_file);
    t->h = NULL;
    rc = type != 0 ? open_as(wname, type, &t->h) : open_any(wname, &type, &t->h);
    if (rc == MMF_ENOENT || rc == MMF_ETYPE)
        return MMF_ENOENT;
    info->type = (int)type;
    if (rc < 0)
        return 0; /* MMF_EACCES: it exists; readable stays 0 */
    t->kpath = kernel_path(t->h, &t->kpath_len);
    info->handles = other_handles(t->h);
    describe_security(t->h, type, info);
    if (type != MMF__TYPE_SECTION) {
        info->readable = 1;
        if (what & MMF_INFO_RESIDENCY)
            info->resident = 0; /* kernel state only */
        info->allocated = 0;
        return 0;
    }

    struct mmf__win_section_basic sb;
    SIZE_T ret;
    if (NtQuerySection(t->h, 0, &sb, sizeof sb, &ret) < 0 || sb.MaximumSize.QuadPart <= 0)
        return 0; /* no SECTION_QUERY: nothing more is known */
    info->readable = 1;
    info->size = (uint64_t)sb.MaximumSize.QuadPart;
    info->file_backed = (sb.AllocationAttributes & SEC_FILE) != 0;
    if (sb.AllocationAttributes & SEC_RESERVE)
        info->flags |= MMF_SECTION_RESERVE;
    if (sb.AllocationAttributes & SEC_LARGE_PAGES)
        info->flags |= MMF_SECTION_LARGE_PAGES;

    struct mmf__hdr *hdr = malloc(sizeof *hdr);
    struct mmf__win_chan_extra extra;
    if (hdr == NULL)
        return MMF_ENOMEM;
    rc = info->flags & MMF_SECTION_LARGE_PAGES
             ? 0 : read_chan_header(t->h, info->size, name, hdr, &extra);
    if (rc == MMF_ENOMEM) {
        free(hdr);
        return rc;
    }
    if (rc == 1 || rc == MMF_ECORRUPT) {
        uint64_t data = info->size - MMF__WIN_CHAN_HDR;
        int in_file = rc == 1 && (hdr->flags & MMF__HF_FILE) != 0;
        info->type = MMF_TYPE_CHANNEL;
        info->corrupt = rc == MMF_ECORRUPT;
        info->flags &= MMF_GLOBAL;
        info->file_backed = 0;
        if (rc == 1) {
            info->size = hdr->size;
            info->prot = hdr->prot;
            info->version = hdr->version;
            info->creator_pid = hdr->creator_pid;
            info->create_ns = hdr->create_ns;
        }
        free(hdr);
        if (!in_file) {
            /* The control block and area follow the header region. */
            info->allocated = data;
            if (what & MMF_INFO_RESIDENCY)
                info->resident = data;
        }
        return 0;
    }
    free(hdr);
    if (rc < 0)
        info->readable = 0; /* may query but not map it */
    info->prot = probe_prot(wname, t->h);
    if (info->file_backed) {
        const void *v = map_ro(t->h, 0, 1);
        if (v != NULL) {
            mapped_file_utf8(v, info->file, sizeof info->file);
            UnmapViewOfFile(v);
        }
        return 0;
    }
    if (!(info->flags & MMF_SECTION_RESERVE)) {
        uint64_t page = mmf__os_page_size();
        info->allocated = info->size + (page - info->size % page) % page;
    } else if (info->readable) {
        info->allocated = committed(t->h, info->size);
    }
    if ((what & MMF_INFO_RESIDENCY) && info->readable)
        info->resident = info->allocated;
    return 0;
}

static void target_release(struct target *t)
{
    if (t->h != NULL)
        CloseHandle(t->h);
    free(t->kpath);
    t->h = NULL;
    t->kpath = NULL;
}

/* ---- Processes ---------------------------------------------------------- */

/* CompareObjectHandles (Windows 10), looked up once. */
typedef BOOL(WINAPI *compare_fn)(HANDLE, HANDLE);
static compare_fn compare_handles(void)
{
    static compare_fn fn;
    static volatile LONG done;
    if (!done) {
        HMODULE k = GetModuleHandleW(L"kernelbase.dll");
        FARPROC p = k != NULL ? GetProcAddress(k, "CompareObjectHandles") : NULL;
        memcpy(&fn, &p, sizeof fn);
        InterlockedExchange(&done, 1);
    }
    return fn;
}

/* The system handle table (malloc'ed), or NULL. */
static struct mmf__win_handle_table *handle_table(void)
{
    ULONG len = 1 << 16, ret = 0;
    for (;;) {
        struct mmf__win_handle_table *t = malloc(len);
        NTSTATUS st;
        if (t == NULL)
            return NULL;
        st = NtQuerySystemInformation((SYSTEM_INFORMATION_CLASS)SYSTEM_EXTENDED_HANDLE_INFORMATION,
                                      t, len, &ret);
        if (st >= 0) {
            size_t room = (len - offsetof(struct mmf__win_handle_table, entries)) /
                          sizeof t->entries[0];
            if (t->count > room)
                t->count = room;
            return t;
        }
        free(t);
        if (st != STATUS_INFO_LENGTH_MISMATCH || len >= HANDLE_TABLE_MAX / 2)
            return NULL;
        len = ret > len ? ret + (1u << 14) : 2 * len;
        if (len > HANDLE_TABLE_MAX)
            len = HANDLE_TABLE_MAX;
    }
}

/* Collected holders of one target. */
struct holders {
    mmf_holder *list;
    size_t count, cap;
    int failed;
};

static mmf_holder *holder_of(struct holders *hs, int64_t pid)
{
    mmf_holder *h;
    for (size_t i = 0; i < hs->count; i++) {
        if (hs->list[i].pid == pid)
            return &hs->list[i];
    }
    if (hs->count == hs->cap) {
        size_t cap = hs->cap ? 2 * hs->cap : 8;
        mmf_holder *l = realloc(hs->list, cap * sizeof *l);
        if (l == NULL) {
            hs->failed = 1;
            return NULL;
        }
        hs->list = l;
        hs->cap = cap;
    }
    h = &hs->list[hs->count++];
    memset(h, 0, sizeof *h);
    h->pid = pid;
    return h;
}

static void add_view(struct holders *hs, mmf_holder *h, uint64_t offset, uint64_t length,
                     unsigned map)
{
    mmf_view_range *v = realloc(h->views, (h->nviews + 1) * sizeof *v);
    if (v == NULL) {
        hs->failed = 1;
        return;
    }
    h->views = v;
    v[h->nviews++] = (mmf_view_range){offset, length, map};
}

/* The image name of process p (the file name, without its folder). */
static void command_of(HANDLE p, char *out, size_t cap)
{
    WCHAR w[MAX_PATH * 2];
    DWORD n = MAX_PATH * 2;
    char tmp[MAX_PATH * 8];
    const char *base;

    out[0] = '\0';
    if (!QueryFullProcessImageNameW(p, 0, w, &n) || to_utf8(w, n, tmp, sizeof tmp) != 0)
        return;
    base = strrchr(tmp, '\\');
    copy_str(out, cap, base != NULL ? base + 1 : tmp);
}

static unsigned map_of_protect(DWORD p)
{
    unsigned x = (p & (PAGE_EXECUTE | PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE |
                       PAGE_EXECUTE_WRITECOPY)) ? MMF_MAP_EXEC : 0;
    if (p & (PAGE_READWRITE | PAGE_EXECUTE_READWRITE))
        return MMF_MAP_WRITE | x;
    if (p & (PAGE_WRITECOPY | PAGE_EXECUTE_WRITECOPY))
        return MMF_MAP_COPY | x;
    if (p & (PAGE_READONLY | PAGE_EXECUTE_READ))
        return MMF_MAP_READ | x;
    return MMF_MAP_NONE;
}

/* The views process p maps of the file-backed targets, whose file names
 * (as GetMappedFileNameW gives them) are in fnames. Counts p_views and,
 * with hs (one target), records the ranges. */
static void scan_views(HANDLE p, struct target *t, size_t n, WCHAR **fnames,
                       struct holders *hs, int64_t pid)
{
    const char *at = NULL;
    MEMORY_BASIC_INFORMATION mbi;
    WCHAR w[MAX_PATH * 4];
    unsigned regions = 0;

    while (VirtualQueryEx(p, at, &mbi, sizeof mbi) == sizeof mbi && regions++ < 1000000) {
        const char *next = (const char *)mbi.BaseAddress + mbi.RegionSize;
        if (mbi.Type == MEM_MAPPED && mbi.BaseAddress == mbi.AllocationBase) {
            /* One view: its regions share the allocation base. */
            uint64_t len = mbi.RegionSize;
            MEMORY_BASIC_INFORMATION more;
            DWORD k = GetMappedFileNameW(p, mbi.BaseAddress, w, MAX_PATH * 4);
            while (VirtualQueryEx(p, next, &more, sizeof more) == sizeof more &&
                   more.AllocationBase == mbi.AllocationBase && more.RegionSize > 0) {
                len += more.RegionSize;
                next = (const char *)more.BaseAddress + more.RegionSize;
            }
            if (k > 0 && k < MAX_PATH * 4) {
                w[k] = 0;
                for (size_t i = 0; i < n; i++) {
                    if (fnames[i] == NULL || wcscmp(fnames[i], w) != 0)
                        continue;
                    t[i].p_views++;
                    if (hs != NULL) {
                        mmf_holder *h = holder_of(hs, pid);
                        /* The offset of a view in its file is not told. */
                        if (h != NULL)
                            add_view(hs, h, MMF_UNKNOWN, len, map_of_protect(mbi.AllocationProtect));
                    }
                }
            }
        }
        if (next <= at)
            break;
        at = next;
    }
}

/* 1 if h (a handle of this process) names one of the kernel types mmf
 * uses: only those may be asked their name. */
static int is_mmf_kernel_type(HANDLE h)
{
    char buf[512];
    ULONG ret;
    const UNICODE_STRING *u = (const UNICODE_STRING *)buf;
    if (NtQueryObject(h, (OBJECT_INFORMATION_CLASS)OBJECT_TYPE_INFORMATION_CLASS, buf,
                      sizeof buf, &ret) < 0 ||
        u->Buffer == NULL || (const char *)u->Buffer + u->Length > buf + sizeof buf)
        return 0;
    return type_of_kernel(u) != 0;
}

/* The target whose object the handle dup (of this process) refers to, or
 * -1: by kernel path, confirmed with CompareObjectHandles. */
static long match(HANDLE dup, struct target *t, size_t n)
{
    compare_fn cmp = compare_handles();
    size_t len;
    WCHAR *path;
    long found = -1;

    if (n == 1 && t[0].h != NULL && cmp != NULL)
        return cmp(dup, t[0].h) ? 0 : -1;
    if (!is_mmf_kernel_type(dup) || (path = kernel_path(dup, &len)) == NULL)
        return -1;
    for (size_t i = 0; i < n && found < 0; i++) {
        if (t[i].kpath != NULL && t[i].kpath_len == len && wmemcmp(t[i].kpath, path, len) == 0 &&
            (cmp == NULL || cmp(dup, t[i].h)))
            found = (long)i;
    }
    free(path);
    return found;
}

static int by_pid_entry(const void *a, const void *b)
{
    const struct mmf__win_handle_entry *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * Fill processes, mappers and hidden of the n targets (their transient
 * handles open), and with hs (n == 1) the holders. Handles of a type none
 * of the targets has are not looked at.
 */
static int gather(struct target *t, size_t n, struct holders *hs)
{
    struct mmf__win_handle_table *tab;
    USHORT types[8];
    size_t ntypes = 0;
    WCHAR **fnames;
    DWORD self = GetCurrentProcessId();
    int any_file = 0;

    for (size_t i = 0; i < n; i++) {
        t[i].info->processes = t[i].info->mappers = 0;
        t[i].seen = 0;
    }
    if (n == 0)
        return 0;
    if ((tab = handle_table()) == NULL)
        return MMF_ENOMEM;
    if ((fnames = calloc(n, sizeof *fnames)) == NULL) {
        free(tab);
        return MMF_ENOMEM;
    }
    /* The kernel type numbers of the targets, from our own handles. */
    for (size_t k = 0; k < tab->count; k++) {
        const struct mmf__win_handle_entry *e = &tab->entries[k];
        if (e->pid != self)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (t[i].h != NULL && e->handle == (ULONG_PTR)t[i].h) {
                size_t j = 0;
                while (j < ntypes && types[j] != e->type_index)
                    j++;
                if (j == ntypes && ntypes < sizeof types / sizeof types[0])
                    types[ntypes++] = e->type_index;
            }
        }
    }
    /* File-backed sections: the name their views show. */
    for (size_t i = 0; i < n; i++) {
        const void *v;
        if (!t[i].info->file_backed || t[i].h == NULL || (v = map_ro(t[i].h, 0, 1)) == NULL)
            continue;
        if ((fnames[i] = malloc(MAX_PATH * 4 * sizeof(WCHAR))) != NULL) {
            DWORD k = GetMappedFileNameW(GetCurrentProcess(), (LPVOID)v, fnames[i], MAX_PATH * 4);
            if (k == 0 || k >= MAX_PATH * 4) {
                free(fnames[i]);
                fnames[i] = NULL;
            } else {
                fnames[i][k] = 0;
                any_file = 1;
            }
        }
        UnmapViewOfFile(v);
    }
    qsort(tab->entries, tab->count, sizeof tab->entries[0], by_pid_entry);

    for (size_t k = 0; k < tab->count;) {
        ULONG_PTR pid = tab->entries[k].pid;
        size_t end = k;
        HANDLE p;
        while (end < tab->count && tab->entries[end].pid == pid)
            end++;
        p = pid == self ? GetCurrentProcess()
                        : OpenProcess(PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION |
                                          (any_file ? PROCESS_VM_READ | PROCESS_QUERY_INFORMATION : 0),
                                      FALSE, (DWORD)pid);
        if (p == NULL && any_file)
            p = OpenProcess(PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                            (DWORD)pid);
        if (p != NULL) {
            for (size_t j = k; j < end; j++) {
                const struct mmf__win_handle_entry *e = &tab->entries[j];
                size_t ti = 0;
                HANDLE dup;
                long m;
                while (ti < ntypes && types[ti] != e->type_index)
                    ti++;
                if (ti == ntypes)
                    continue;
                if (pid == self) {
                    int ours = 0;
                    for (size_t i = 0; i < n && !ours; i++)
                        ours = e->handle == (ULONG_PTR)t[i].h;
                    if (ours)
                        continue; /* our transient handles */
                }
                if (!DuplicateHandle(p, (HANDLE)e->handle, GetCurrentProcess(), &dup, 0, FALSE,
                                     DUPLICATE_SAME_ACCESS))
                    continue;
                m = match(dup, t, n);
                CloseHandle(dup);
                if (m >= 0)
                    t[m].p_handles++;
            }
            if (any_file)
                scan_views(p, t, n, fnames, hs, (int64_t)pid);
            for (size_t i = 0; i < n; i++) {
                if (t[i].p_handles == 0 && t[i].p_views == 0)
                    continue;
                if (t[i].p_handles > 0)
                    t[i].info->processes++;
                if (t[i].p_views > 0)
                    t[i].info->mappers++;
                t[i].seen += t[i].p_handles;
                if (hs != NULL) {
                    mmf_holder *h = holder_of(hs, (int64_t)pid);
                    if (h != NULL) {
                        h->handles = t[i].p_handles;
                        command_of(p, h->command, sizeof h->command);
                    }
                }
                t[i].p_handles = 0;
                t[i].p_views = 0;
            }
            if (pid != self)
                CloseHandle(p);
        }
        k = end;
    }
    for (size_t i = 0; i < n; i++) {
        mmf_object_info *info = t[i].info;
        /* A view of a pagefile section cannot be traced to its section;
         * synchronization objects have none. */
        if (info->type != MMF_TYPE_SECTION && info->type != MMF_TYPE_CHANNEL)
            info->mappers = 0;
        else if (!info->file_backed)
            info->mappers = MMF_UNKNOWN;
        info->hidden = info->handles == MMF_UNKNOWN ? MMF_UNKNOWN
                       : info->handles > t[i].seen ? info->handles - t[i].seen : 0;
        free(fnames[i]);
    }
    free(fnames);
    free(tab);
    return 0;
}

/* ---- Listing ------------------------------------------------------------ */

struct listing {
    mmf_object_info *infos;
    struct target *t;
    size_t n, cap;
};

/* Describe every entry of one object directory into l. */
static int list_dir(const WCHAR *dir, int global, unsigned what, struct listing *l)
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    HANDLE d;
    ULONG ctx = 0, ret, len = 4096;
    char *buf = malloc(len);
    NTSTATUS st;
    int rc = 0;

    if (buf == NULL)
        return MMF_ENOMEM;
    RtlInitUnicodeString(&us, dir);
    InitializeObjectAttributes(&oa, &us, 0, NULL, NULL);
    if ((st = NtOpenDirectoryObject(&d, DIRECTORY_QUERY, &oa)) < 0) {
        free(buf);
        return mmf__win_status(st);
    }
    for (unsigned count = 0; count < DIR_ENTRIES_MAX; count++) {
        const struct mmf__win_dir_entry *e = (const struct mmf__win_dir_entry *)buf;
        WCHAR wname[MMF__WIN_NAME_CAP];
        char name[MMF_NAME_BYTES];
        size_t plen = global ? 7 : 6, nlen;
        uint32_t type;

        st = NtQueryDirectoryObject(d, buf, len, TRUE, count == 0, &ctx, &ret);
        if (st == STATUS_NO_MORE_ENTRIES)
            break;
        if (st == STATUS_BUFFER_TOO_SMALL || st == STATUS_BUFFER_OVERFLOW) {
            char *b;
            if (ret <= len || ret > (1u << 20) || (b = realloc(buf, ret)) == NULL) {
                rc = MMF_ENOMEM;
                break;
            }
            buf = b;
            len = ret;
            count--;
            continue;
        }
        if (st < 0) {
            rc = mmf__win_status(st);
            break;
        }
        nlen = e->name.Length / sizeof(WCHAR);
        if ((type = type_of_kernel(&e->type)) == 0 || is_derived(e->name.Buffer, nlen))
            continue;
        if (plen + nlen + 1 > MMF__WIN_NAME_CAP)
            continue; /* longer than any name mmf makes */
        wmemcpy(wname, global ? L"Global\\" : L"Local\\", plen);
        wmemcpy(wname + plen, e->name.Buffer, nlen);
        wname[plen + nlen] = 0;
        if (to_utf8(wname, plen + nlen, name, sizeof name) != 0)
            continue; /* not valid UTF-16, or too long: not an mmf name */
        if (l->n == l->cap) {
            size_t ncap = l->cap ? 2 * l->cap : 16;
            mmf_object_info *ni = realloc(l->infos, ncap * sizeof *ni);
            struct target *nt;
            if (ni != NULL)
                l->infos = ni;
            nt = ni != NULL ? realloc(l->t, ncap * sizeof *nt) : NULL;
            if (nt == NULL) {
                rc = MMF_ENOMEM;
                break;
            }
            l->t = nt;
            l->cap = ncap;
        }
        memset(&l->t[l->n], 0, sizeof l->t[l->n]);
        l->t[l->n].info = &l->infos[l->n];
        rc = describe(wname, type, name, global, what, &l->t[l->n]);
        if (rc == MMF_ENOENT) { /* gone meanwhile */
            target_release(&l->t[l->n]);
            rc = 0;
            continue;
        }
        if (rc < 0) {
            target_release(&l->t[l->n]);
            break;
        }
        l->n++;
    }
    CloseHandle(d);
    free(buf);
    return rc;
}

int mmf__os_inspect_list(unsigned what, mmf_object_info **list, size_t *count)
{
    struct listing l = {NULL, NULL, 0, 0};
    WCHAR dir[64];
    int rc = 0;

    /* In session 0 Local\ is \BaseNamedObjects: listed once, as Global\. */
    if (local_dir(dir, sizeof dir / sizeof dir[0]))
        rc = list_dir(dir, 0, what, &l);
    if (rc == 0)
        rc = list_dir(L"\\BaseNamedObjects", 1, what, &l);
    for (size_t i = 0; i < l.n; i++)
        l.t[i].info = &l.infos[i]; /* the array may have moved */
    if (rc == 0 && (what & MMF_INFO_PROCESSES))
        rc = gather(l.t, l.n, NULL);
    for (size_t i = 0; i < l.n; i++)
        target_release(&l.t[i]);
    free(l.t);
    if (rc < 0) {
        free(l.infos);
        return rc;
    }
    if (l.n == 0) {
        free(l.infos);
        l.infos = NULL;
    }
    *list = l.infos;
    *count = l.n;
    return 0;
}

/* describe() the object nm names. */
static int describe_name(const struct mmf__name *nm, unsigned what, struct target *t)
{
    WCHAR w[MMF__WIN_NAME_CAP];
    int rc = mmf__win_name(nm, NULL, w, MMF__WIN_NAME_CAP);
    if (rc < 0)
        return rc;
    return describe(w, 0, nm->full, nm->global, what, t);
}

int mmf__os_inspect_stat(const struct mmf__name *nm, unsigned what, mmf_object_info *info)
{
    struct target t;
    int rc;

    memset(&t, 0, sizeof t);
    t.info = info;
    rc = describe_name(nm, what, &t);
    if (rc == 0 && (what & MMF_INFO_PROCESSES))
        rc = gather(&t, 1, NULL);
    target_release(&t);
    return rc;
}

int mmf__os_inspect_holders(const struct mmf__name *nm, mmf_holder **list, size_t *count,
                            uint64_t *hidden)
{
    mmf_object_info *info = malloc(sizeof *info);
    struct holders hs;
    struct target t;
    int rc;

    if (info == NULL)
        return MMF_ENOMEM;
    memset(&t, 0, sizeof t);
    memset(&hs, 0, sizeof hs);
    t.info = info;
    rc = describe_name(nm, 0, &t);
    if (rc == 0)
        rc = gather(&t, 1, &hs);
    target_release(&t);
    if (rc == 0 && hs.failed)
        rc = MMF_ENOMEM;
    if (rc < 0) {
        mmf_object_holders_free(hs.list, hs.count);
        free(info);
        return rc;
    }
    *hidden = info->hidden == MMF_UNKNOWN ? 0 : info->hidden;
    *list = hs.list;
    *count = hs.count;
    free(info);
    return 0;
}

/* ---- Reading ------------------------------------------------------------ */

/* Open section nm for reading (a transient handle) and learn its size.
 * Returns 0, MMF_ENOENT, MMF_ETYPE (not a Section), MMF_EACCES. */
static int open_section(const struct mmf__name *nm, HANDLE *h, uint64_t *size)
{
    WCHAR w[MMF__WIN_NAME_CAP];
    struct mmf__win_section_basic sb;
    SIZE_T ret;
    int rc;

    if ((rc = mmf__win_name(nm, NULL, w, MMF__WIN_NAME_CAP)) < 0)
        return rc;
    *h = OpenFileMappingW(SECTION_QUERY | SECTION_MAP_READ, FALSE, w);
    if (*h == NULL) {
        DWORD e = GetLastError();
        if (e == ERROR_INVALID_HANDLE) {
            uint32_t type;
            HANDLE x;
            /* Another kind of kernel object; one of mmf's, or nothing. */
            rc = open_any(w, &type, &x);
            if (rc == 0)
                CloseHandle(x);
            return rc == 0 || rc == MMF_EACCES ? MMF_ETYPE : MMF_ENOENT;
        }
        return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? MMF_ENOENT
                                                                       : mmf__win_err(e);
    }
    if (NtQuerySection(*h, 0, &sb, sizeof sb, &ret) < 0 || sb.MaximumSize.QuadPart <= 0) {
        CloseHandle(*h);
        return MMF_EACCES;
    }
    *size = (uint64_t)sb.MaximumSize.QuadPart;
    return 0;
}

/* Copy [offset, offset + len) of section h into buf, a window at a time,
 * zeros for the pages it has not committed. */
#define READ_WINDOW ((uint64_t)64 << 20)
static int read_section(HANDLE h, uint64_t offset, void *buf, size_t len)
{
    uint64_t gran = mmf__os_granularity();
    size_t done = 0;

    while (done < len) {
        uint64_t at = offset + done, base = at / gran * gran;
        size_t skip = (size_t)(at - base), n = len - done;
        const char *v;
        if (n > READ_WINDOW - skip)
            n = (size_t)(READ_WINDOW - skip);
        if ((v = map_ro(h, base, skip + n)) == NULL)
            return mmf__win_err(GetLastError());
        copy_committed(v + skip, n, (char *)buf + done);
        UnmapViewOfFile(v);
        done += n;
    }
    return 0;
}

int mmf__os_inspect_read(const struct mmf__name *nm, uint64_t offset, void *buf, size_t length,
                         size_t *done)
{
    struct mmf__hdr *hdr;
    struct mmf__win_chan_extra extra;
    uint64_t size;
    HANDLE h;
    int rc;

    *done = 0;
    if ((rc = open_section(nm, &h, &size)) < 0)
        return rc;
    if ((hdr = malloc(sizeof *hdr)) == NULL) {
        CloseHandle(h);
        return MMF_ENOMEM;
    }
    rc = read_chan_header(h, size, NULL, hdr, &extra);
    free(hdr);
    if (rc == 1 || rc == MMF_ECORRUPT)
        rc = MMF_ETYPE;
    else if (rc == 0 && offset > size)
        rc = MMF_ERANGE;
    else if (rc == 0) {
        size_t n = length > size - offset ? (size_t)(size - offset) : length;
        if ((rc = read_section(h, offset, buf, n)) == 0)
            *done = n;
    }
    CloseHandle(h);
    return rc;
}

/* ---- Channels ----------------------------------------------------------- */

/* Read len bytes at offset 0 of the file at path (a persistent ring's
 * control block), zeros past its end. */
static int read_file_head(const char *path, void *buf, size_t len)
{
    int err;
    WCHAR *w = mmf__win_path(path, &err);
    HANDLE f;
    DWORD got = 0;

    memset(buf, 0, len);
    if (w == NULL)
        return err;
    f = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    if (f == INVALID_HANDLE_VALUE)
        return mmf__win_err(GetLastError());
    /* The path comes from shared memory: a pipe or a device there must
     * not make the caller wait. Only a disk file is read. */
    if (GetFileType(f) != FILE_TYPE_DISK) {
        CloseHandle(f);
        return MMF_ECORRUPT;
    }
    err = ReadFile(f, buf, len > MAXDWORD ? MAXDWORD : (DWORD)len, &got, NULL)
              ? 0 : mmf__win_err(GetLastError());
    CloseHandle(f);
    return err;
}

/* Ask the claim mutex of `slot` (chan.c names it after the channel's id)
 * whether a live process holds it: NtQueryMutant, which never takes it. */
static int slot_claimed(const struct mmf__name *nm, const uint8_t *id, uint32_t slot)
{
    char suffix[2 * MMF__WIN_CHAN_ID_BYTES + 24], *p = suffix;
    WCHAR w[MMF__WIN_NAME_CAP];
    struct mmf__win_mutant_basic mb;
    struct mmf__name cn;
    ULONG ret;
    HANDLE m;
    int held;

    /* The claim's name is the channel's namespace and "mmf#<id>#c<slot>". */
    cn.global = nm->global;
    p += sprintf(p, "mmf#");
    for (unsigned i = 0; i < MMF__WIN_CHAN_ID_BYTES; i++)
        p += sprintf(p, "%02x", id[i]);
    sprintf(p, "#c%u", (unsigned)slot);
    cn.key[0] = '\0';
    if (mmf__win_name(&cn, suffix, w, MMF__WIN_NAME_CAP) < 0 ||
        (m = OpenMutexW(0x0001 /* MUTANT_QUERY_STATE */, FALSE, w)) == NULL)
        return 0;
    held = NtQueryMutant(m, 0, &mb, sizeof mb, &ret) >= 0 && mb.CurrentCount <= 0;
    CloseHandle(m);
    return held;
}

int mmf__os_inspect_channel(const struct mmf__name *nm, struct mmf__hdr *h, void *ctl, size_t len,
                            uint8_t *claims)
{
    struct mmf__win_chan_extra extra;
    uint64_t size;
    HANDLE sec;
    int rc, hinted = 0;

    memset(claims, 0, MMF__CLAIM_SLOTS / 8);
    memset(ctl, 0, len);
    if ((rc = open_section(nm, &sec, &size)) < 0)
        return rc;
    rc = read_chan_header(sec, size, nm->full, h, &extra);
    if (rc == 0)
        rc = MMF_ETYPE;
    if (rc == 1) {
        if (h->flags & MMF__HF_FILE) {
            rc = read_file_head(h->path, ctl, len);
        } else {
            uint64_t data = size - MMF__WIN_CHAN_HDR;
            rc = read_section(sec, MMF__WIN_CHAN_HDR, ctl, len > data ? (size_t)data : len);
        }
    }
    CloseHandle(sec);
    if (rc < 0)
        return rc;
    /* The endpoints' slots: those the hint marks, or, when it marks none
     * (it is only a hint, which anybody may clear), every role slot. */
    for (uint32_t s = 0; s < 2 * MMF__CHAN_ROLE_MAX; s++)
        hinted |= (extra.claim_hint[s / 64] >> (s % 64)) & 1;
    for (uint32_t s = 0; s < 2 * MMF__CHAN_ROLE_MAX; s++) {
        if (hinted && !((extra.claim_hint[s / 64] >> (s % 64)) & 1))
            continue;
        if (slot_claimed(nm, extra.id, s))
            claims[s / 8] = (uint8_t)(claims[s / 8] | (1u << (s % 8)));
    }
    return 0;
}

/* ---- Removal ------------------------------------------------------------ */

/* A name exists only while some handle to it is open: removal finds a
 * live object or nothing. */
int mmf__os_inspect_remove(const struct mmf__name *nm)
{
    WCHAR w[MMF__WIN_NAME_CAP];
    uint32_t type;
    HANDLE h;
    int rc;

    if ((rc = mmf__win_name(nm, NULL, w, MMF__WIN_NAME_CAP)) < 0)
        return rc;
    rc = open_any(w, &type, &h);
    if (rc == 0)
        CloseHandle(h);
    return rc == 0 || rc == MMF_EACCES ? MMF_EBUSY : rc;
}

int mmf__os_inspect_gc(mmf_object_info **removed, size_t *count)
{
    *removed = NULL;
    *count = 0;
    return 0;
}

/* Windows refuses to shrink or delete a mapped file itself. */
int mmf__os_file_mapped(int fd)
{
    (void)fd;
    return MMF_ENOTSUP;
}
