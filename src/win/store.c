/* SPDX-License-Identifier: MIT */
/*
 * store.c - Windows: objects as kernel objects, views, handle passing.
 *
 * Every mmf object is a kernel object under the caller's own name (see
 * win.h), so a reference is one HANDLE and the kernel keeps the lifetime:
 * the name goes with the last handle, views keep the memory. There is no
 * store protocol to run, and no header in front of a section's data: a
 * section's bytes start at offset 0, where plain Win32 programs see them.
 *
 * The header the core asks for (struct mmf__hdr) is therefore made up for
 * sections and synchronization objects, from what the caller asked for at
 * creation, or from NtQuerySection (size and SEC_* attributes) when
 * opening. The kernel does not report a section's page protection; the
 * security descriptor mmf gives a section grants no write or execute right
 * the protection lacks, so for mmf's own sections the open refuses what the
 * protection forbids, and the protection of an opened section is read from
 * the rights its descriptor grants (probe_prot).
 *
 * A channel is a Section too, whose first MMF__WIN_CHAN_HDR bytes are its
 * header region: struct mmf__hdr (with the channel's state), then struct
 * mmf__win_chan_extra. That header is real and shared, so it is untrusted:
 * it is copied and validated when a reference is made, and the copy is
 * what the core uses. Windows cannot give a name to a section after it is
 * filled, so the name exists before the header is written: the creator
 * writes everything else first and publishes the magic last, and an
 * opener that finds no magic yet waits for it for about a second. The
 * magic also tells a channel from a plain section of the same name, since
 * both are Sections to the kernel. A persistent channel keeps its data in
 * the file (whose path and identity the header records, as on Linux);
 * its Section is the header region alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "win.h"
#include "../atomic.h"

/* RtlGenRandom (advapi32), declared here: <ntsecapi.h> clashes with
 * <winternl.h>. */
BOOLEAN NTAPI SystemFunction036(PVOID buf, ULONG len);

/* The store's own state of a reference, around the part win.h shares. */
struct ref {
    struct mmf__obj o;          /* first: mmf__obj pointers are refs */
    void *shared;               /* a channel's header region, mapped, or NULL */
    uint8_t chan_id[MMF__WIN_CHAN_ID_BYTES];
};

static struct ref *ref_of(const mmf__obj *o)
{
    return (struct ref *)(void *)o;
}

#define GRANULE 65536u
#define OPEN_WAIT_MS 1000u /* how long an opener waits for a channel's magic */

/* The kernel access of a section handle with MMF_ACCESS_* `access`.
 * SECTION_QUERY is always asked for: NtQuerySection needs it. */
static ACCESS_MASK section_rights(unsigned access)
{
    ACCESS_MASK r = SECTION_QUERY;
    if (access & MMF_ACCESS_READ)
        r |= SECTION_MAP_READ;
    if (access & MMF_ACCESS_WRITE)
        r |= SECTION_MAP_WRITE;
    if (access & MMF_ACCESS_EXEC)
        r |= SECTION_MAP_EXECUTE;
    return r;
}

/* The MMF_ACCESS_* that kernel rights of a section handle give. */
static unsigned access_of_rights(ACCESS_MASK r)
{
    unsigned a = 0;
    if (r & SECTION_MAP_READ)
        a |= MMF_ACCESS_READ;
    if (r & SECTION_MAP_WRITE)
        a |= MMF_ACCESS_WRITE;
    if (r & SECTION_MAP_EXECUTE)
        a |= MMF_ACCESS_EXEC;
    return a;
}

static void hdr_init(struct mmf__hdr *h, uint32_t type, const struct mmf__name *nm)
{
    memset(h, 0, sizeof *h);
    h->magic = MMF__HDR_MAGIC;
    h->version = MMF__HDR_VERSION;
    h->hdr_size = MMF__HDR_SIZE;
    h->type = type;
    if (nm != NULL) {
        h->name_len = (uint32_t)strlen(nm->full);
        memcpy(h->name, nm->full, h->name_len + 1);
        if (nm->global)
            h->flags |= MMF__HF_GLOBAL;
    }
}

/* Wall-clock nanoseconds since 1970, as the Linux header records them. */
static uint64_t now_realtime_ns(void)
{
    FILETIME ft;
    uint64_t t;
    GetSystemTimeAsFileTime(&ft);
    t = (uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
    return (t - UINT64_C(116444736000000000)) * 100u;
}

int mmf__win_obj_new(HANDLE h, uint32_t type, unsigned access, mmf__obj **out)
{
    struct ref *r = calloc(1, sizeof *r);

    if (r == NULL) {
        CloseHandle(h);
        return MMF_ENOMEM;
    }
    r->o.h = h;
    r->o.type = type;
    r->o.access = access;
    r->o.hdr.type = type;
    *out = &r->o;
    return 0;
}

/* The size and SEC_* attributes of section handle h. */
static int query_section(HANDLE h, uint64_t *size, ULONG *attr)
{
    mmf__win_section_basic bi;
    SIZE_T n;
    NTSTATUS st = NtQuerySection(h, MMF__WIN_SECTION_BASIC, &bi, sizeof bi, &n);

    if (st < 0)
        return mmf__win_status(st);
    *size = (uint64_t)bi.MaximumSize.QuadPart;
    *attr = bi.AllocationAttributes;
    return 0;
}

/* Fill a section reference's header from the kernel's answer. */
static int describe_section(mmf__obj *o, const struct mmf__name *nm)
{
    uint64_t size = 0;
    ULONG attr = 0;
    int rc = query_section(o->h, &size, &attr);

    if (rc < 0)
        return rc;
    hdr_init(&o->hdr, MMF__TYPE_SECTION, nm);
    o->hdr.size = size;
    o->hdr.data_size = size;
    if (attr & SEC_RESERVE)
        o->hdr.flags |= MMF_SECTION_RESERVE;
    if (attr & SEC_LARGE_PAGES)
        o->hdr.flags |= MMF_SECTION_LARGE_PAGES;
    if (attr & SEC_FILE)
        o->hdr.flags |= MMF__HF_FILE;
    /* What the handle may map is all that is known of the protection. */
    o->prot = MMF_PROT_READ;
    if (o->access & MMF_ACCESS_WRITE)
        o->prot |= MMF_PROT_WRITE;
    if (o->access & MMF_ACCESS_EXEC)
        o->prot |= MMF_PROT_EXEC;
    o->hdr.prot = o->prot;
    return 0;
}

/* ---- Channel headers ---------------------------------------------------- */

/*
 * Look at the first page of section h: 1 if it holds a channel's header
 * magic, 0 if it holds anything else or cannot be read (reserved, or a
 * handle without a read right), 2 if it is all zero where the magic goes.
 */
static int peek_magic(HANDLE h, unsigned access, uint64_t size)
{
    MEMORY_BASIC_INFORMATION mbi;
    const uint64_t *p;
    uint64_t magic;
    DWORD how;

    if (!(access & (MMF_ACCESS_READ | MMF_ACCESS_WRITE)) || size < sizeof magic)
        return 0;
    how = (access & MMF_ACCESS_READ) ? FILE_MAP_READ : FILE_MAP_WRITE;
    p = MapViewOfFile(h, how, 0, 0, size < 4096 ? (SIZE_T)size : 4096);
    if (p == NULL)
        return 0;
    /* A page of a SEC_RESERVE section that nobody committed faults. */
    if (VirtualQuery(p, &mbi, sizeof mbi) == 0 || mbi.State != MEM_COMMIT) {
        UnmapViewOfFile(p);
        return 0;
    }
    magic = mmf__load_acquire(p);
    UnmapViewOfFile(p);
    return magic == MMF__HDR_MAGIC ? 1 : magic == 0 ? 2 : 0;
}

/* Map the header region of channel section h (read-write if it may). */
static void *map_header(HANDLE h, unsigned access)
{
    DWORD how = (access & MMF_ACCESS_WRITE) ? FILE_MAP_WRITE : FILE_MAP_READ;
    return MapViewOfFile(h, how, 0, 0, MMF__WIN_CHAN_HDR);
}

/* The identity of an open file: volume serial and file index. */
static int file_identity(HANDLE f, uint64_t *dev, uint64_t *ino, uint64_t *size)
{
    BY_HANDLE_FILE_INFORMATION fi;
    if (!GetFileInformationByHandle(f, &fi))
        return mmf__win_err(GetLastError());
    *dev = fi.dwVolumeSerialNumber;
    *ino = (uint64_t)fi.nFileIndexHigh << 32 | fi.nFileIndexLow;
    *size = (uint64_t)fi.nFileSizeHigh << 32 | fi.nFileSizeLow;
    return 0;
}

/* Record the path and identity of file f in h (a persistent channel). */
static int describe_file(HANDLE f, struct mmf__hdr *h)
{
    WCHAR w[MMF__PATH_BYTES / 2];
    uint64_t size;
    DWORD n = GetFinalPathNameByHandleW(f, w, (DWORD)(sizeof w / sizeof w[0]),
                                        FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    int len;

    if (n == 0)
        return mmf__win_err(GetLastError());
    if (n >= sizeof w / sizeof w[0])
        return MMF_ENAMETOOLONG;
    len = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, (int)n, h->path,
                              (int)sizeof h->path - 1, NULL, NULL);
    if (len <= 0)
        return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? MMF_ENAMETOOLONG : MMF_EBADNAME;
    h->path[len] = '\0';
    h->path_len = (uint32_t)len;
    return file_identity(f, &h->file_dev, &h->file_ino, &size);
}

/* Open the data file a persistent channel's validated header names, and
 * check it is the file the creator used, large enough for the data. */
static int open_data_file(const struct mmf__hdr *h, HANDLE *out)
{
    uint64_t dev, ino, size;
    mmf__file f;
    int rc = mmf__os_file_open(h->path, MMF_PROT_READ | MMF_PROT_WRITE, &f);

    if (rc < 0)
        return rc;
    if ((rc = file_identity((HANDLE)f, &dev, &ino, &size)) == 0) {
        if (dev != h->file_dev || ino != h->file_ino)
            rc = MMF_ENOENT; /* replaced since */
        else if (size < h->size)
            rc = MMF_ECORRUPT;
    }
    if (rc < 0) {
        mmf__os_file_close(f);
        return rc;
    }
    *out = (HANDLE)f;
    return 0;
}

/*
 * Make channel reference o (o->h open) usable: wait for the header's magic,
 * copy and validate the header, open a persistent channel's file.
 */
static int adopt_channel(mmf__obj *o)
{
    struct ref *r = ref_of(o);
    struct mmf__hdr *live;
    uint64_t size = 0, magic = 0;
    ULONG attr = 0;
    int rc;

    if ((rc = query_section(o->h, &size, &attr)) < 0)
        return rc;
    if (size < MMF__WIN_CHAN_HDR || (attr & SEC_RESERVE))
        return MMF_ETYPE; /* too small, or reserved: not made as a channel */
    if ((r->shared = map_header(o->h, o->access)) == NULL)
        return mmf__win_err(GetLastError());
    live = r->shared;
    /* The name exists before its creator publishes the header; a creator
     * that dies meanwhile takes the object with it, unless an opener holds
     * it: then nothing ever says it is a channel. */
    for (DWORD waited = 0;; waited++) {
        magic = mmf__load_acquire(&live->magic);
        if (magic != 0 || waited >= OPEN_WAIT_MS)
            break;
        Sleep(1);
    }
    if (magic != MMF__HDR_MAGIC)
        return MMF_ETYPE; /* a plain section (or one never finished) */
    memcpy(&o->hdr, live, sizeof o->hdr);
    memcpy(r->chan_id, ((const struct mmf__win_chan_extra *)(const void *)
                            ((const uint8_t *)live + MMF__HDR_SIZE))->id,
           sizeof r->chan_id);
    if (o->hdr.type != MMF__TYPE_CHANNEL)
        return MMF_ETYPE;
    /* Checked against what the kernel says, not what the header says. */
    if (o->hdr.flags & MMF__HF_FILE) {
        if (size != MMF__WIN_CHAN_HDR ||
            mmf__hdr_validate(&o->hdr, MMF__HDR_SIZE) < 0)
            return MMF_ECORRUPT;
        return open_data_file(&o->hdr, &o->file);
    }
    if (o->hdr.data_size > size - MMF__WIN_CHAN_HDR ||
        mmf__hdr_validate(&o->hdr, (uint64_t)MMF__HDR_SIZE + o->hdr.data_size) < 0)
        return MMF_ECORRUPT;
    return 0;
}

/* Fill the new channel's header region and publish it. */
static int init_channel(mmf__obj *o, const struct mmf__name *nm,
                        const struct mmf__spec *spec)
{
    struct ref *r = ref_of(o);
    struct mmf__hdr *h = &o->hdr;
    struct mmf__win_chan_extra *x;
    int rc;

    hdr_init(h, MMF__TYPE_CHANNEL, nm);
    h->prot = MMF_PROT_READ | MMF_PROT_WRITE;
    h->size = spec->size;
    h->creator_pid = (uint32_t)GetCurrentProcessId();
    h->create_ns = now_realtime_ns();
    if (spec->state_len > 0)
        memcpy(h->state, spec->state,
               spec->state_len < MMF__STATE_BYTES ? spec->state_len : MMF__STATE_BYTES);
    if (spec->file != MMF__NO_FILE) {
        h->flags |= MMF__HF_FILE;
        if ((rc = describe_file((HANDLE)spec->file, h)) < 0)
            return rc;
        if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)spec->file, GetCurrentProcess(),
                             &o->file, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
            o->file = NULL;
            return mmf__win_err(GetLastError());
        }
    } else {
        h->data_size = spec->size;
    }
    if (!SystemFunction036(r->chan_id, sizeof r->chan_id))
        return MMF_EIO;
    if ((r->shared = map_header(o->h, MMF_ACCESS_READ | MMF_ACCESS_WRITE)) == NULL)
        return mmf__win_err(GetLastError());
    /* Everything before the magic, then the magic with a release store:
     * an opener that sees it sees the rest. */
    x = (struct mmf__win_chan_extra *)(void *)((uint8_t *)r->shared + MMF__HDR_SIZE);
    memcpy(x->id, r->chan_id, sizeof x->id);
    {
        struct mmf__hdr *live = r->shared;
        memcpy((uint8_t *)live + sizeof live->magic, (const uint8_t *)h + sizeof h->magic,
               sizeof *h - sizeof h->magic);
        mmf__store_release(&live->magic, MMF__HDR_MAGIC);
    }
    return 0;
}

void mmf__win_chan_id(const mmf__obj *o, uint8_t id[MMF__WIN_CHAN_ID_BYTES])
{
    memcpy(id, ref_of(o)->chan_id, MMF__WIN_CHAN_ID_BYTES);
}

struct mmf__win_chan_extra *mmf__win_chan_extra(mmf__obj *o)
{
    struct mmf__hdr *h = mmf__os_obj_shared_hdr(o);
    return h == NULL ? NULL
                     : (struct mmf__win_chan_extra *)(void *)((uint8_t *)h + MMF__HDR_SIZE);
}

/* ---- Create and open ---------------------------------------------------- */

/* Let the process lock pages in memory, which SEC_LARGE_PAGES needs. If
 * the token lacks the privilege, creation fails with access denied. */
static void enable_lock_memory(void)
{
    TOKEN_PRIVILEGES tp;
    HANDLE token;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY,
                          &token))
        return;
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (LookupPrivilegeValueW(NULL, L"SeLockMemoryPrivilege", &tp.Privileges[0].Luid))
        AdjustTokenPrivileges(token, FALSE, &tp, 0, NULL, NULL);
    CloseHandle(token);
}

/* The permission bits of a section's descriptor: nobody is granted a
 * right the section's protection forbids, and execution follows reading
 * where the protection allows it. */
static unsigned section_mode(unsigned mode, unsigned prot)
{
    if (mode == 0)
        mode = 0600;
    mode &= ~(unsigned)0111;
    if (!(prot & MMF_PROT_WRITE))
        mode &= ~(unsigned)0222;
    if (prot & MMF_PROT_EXEC)
        mode |= (mode & 0444) >> 2;
    return mode;
}

static DWORD page_prot(unsigned prot)
{
    if (prot & MMF_PROT_EXEC)
        return (prot & MMF_PROT_WRITE) ? PAGE_EXECUTE_READWRITE : PAGE_EXECUTE_READ;
    return (prot & MMF_PROT_WRITE) ? PAGE_READWRITE : PAGE_READONLY;
}

static int open_section(const struct mmf__name *nm, uint32_t type, unsigned access,
                        mmf__obj **out);

/* Create the kernel section of a section or channel. */
static int create_section(const struct mmf__name *nm, const struct mmf__spec *spec,
                          int disposition, unsigned access, mmf__obj **out)
{
    const int chan = spec->type == MMF__TYPE_CHANNEL;
    WCHAR *wname = NULL;
    struct mmf__win_sd sd;
    uint64_t size = spec->size;
    DWORD prot, err;
    HANDLE file = INVALID_HANDLE_VALUE, h;
    mmf__obj *o;
    int rc, tries = 0, have_sd = 0;

    if (nm != NULL) {
        if ((wname = malloc(MMF__WIN_NAME_CAP * sizeof *wname)) == NULL)
            return MMF_ENOMEM;
        if ((rc = mmf__win_name(nm, NULL, wname, MMF__WIN_NAME_CAP)) < 0)
            goto out;
    }
    if (chan) {
        prot = PAGE_READWRITE | SEC_COMMIT;
        size = spec->file != MMF__NO_FILE ? MMF__WIN_CHAN_HDR
                                          : MMF__WIN_CHAN_HDR + spec->size;
        rc = mmf__win_sd_make(spec->mode, MMF__WIN_KIND_SECTION, &sd);
    } else {
        prot = page_prot(spec->prot);
        if (spec->file != MMF__NO_FILE) {
            file = (HANDLE)spec->file;
        } else if (spec->flags & MMF_SECTION_LARGE_PAGES) {
            SIZE_T large = GetLargePageMinimum();
            if (large == 0) {
                rc = MMF_ENOTSUP;
                goto out;
            }
            size = (size + large - 1) / large * large;
            enable_lock_memory();
            prot |= SEC_COMMIT | SEC_LARGE_PAGES;
        } else {
            prot |= (spec->flags & MMF_SECTION_RESERVE) ? SEC_RESERVE : SEC_COMMIT;
        }
        rc = mmf__win_sd_make(section_mode(spec->mode, spec->prot),
                              MMF__WIN_KIND_SECTION, &sd);
    }
    if (rc < 0)
        goto out;
    have_sd = 1;
again:
    SetLastError(0);
    h = CreateFileMappingW(file, &sd.sa, prot, (DWORD)(size >> 32), (DWORD)size, wname);
    err = GetLastError();
    if (h == NULL) {
        /* A size the system cannot hold or commit. */
        rc = err == ERROR_INVALID_PARAMETER && size > UINT32_MAX ? MMF_EFBIG
             : err == ERROR_FILE_INVALID ? MMF_EFILEEMPTY
             : mmf__win_err(err);
        goto out;
    }
    if (err == ERROR_ALREADY_EXISTS) {
        /* Opened, not created: with MMF_CREATE_NEW only its type matters
         * (a section and a channel are both Sections: the magic tells);
         * with MMF_OPEN_OR_CREATE open it again as an open would, so that
         * its permissions decide the access. */
        int seen = peek_magic(h, MMF_ACCESS_READ, MMF__WIN_CHAN_HDR);
        /* A header not written yet may be a channel's in its creation
         * window: a channel create lets the open below wait for it. */
        int is_chan = seen == 1 || (chan && seen == 2);
        CloseHandle(h);
        if (is_chan != chan) {
            rc = MMF_ETYPE;
            goto out;
        }
        if (disposition == MMF_CREATE_NEW) {
            rc = MMF_EEXIST;
            goto out;
        }
        rc = open_section(nm, spec->type, access, out);
        if (rc == 0)
            rc = MMF_EXISTED;
        else if (rc == MMF_ENOENT && ++tries < 100)
            goto again; /* its last holder closed it meanwhile */
        goto out;
    }
    if ((rc = mmf__win_obj_new(h, spec->type, access, &o)) < 0)
        goto out;
    if (chan) {
        if ((rc = init_channel(o, nm, spec)) < 0) {
            mmf__os_obj_close(o);
            goto out;
        }
    } else {
        if ((rc = describe_section(o, nm)) < 0) {
            mmf__os_obj_close(o);
            goto out;
        }
        /* What the creator asked for is known exactly. */
        o->prot = o->hdr.prot = spec->prot;
        o->hdr.size = size; /* large pages: rounded up */
        o->hdr.creator_pid = (uint32_t)GetCurrentProcessId();
        o->hdr.create_ns = now_realtime_ns();
        if (file != INVALID_HANDLE_VALUE) {
            o->hdr.flags |= MMF__HF_FILE;
            if (!DuplicateHandle(GetCurrentProcess(), file, GetCurrentProcess(), &o->file,
                                 0, FALSE, DUPLICATE_SAME_ACCESS))
                o->file = NULL; /* only durable flushes miss it */
        }
    }
    *out = o;
    rc = 0;
out:
    if (have_sd)
        mmf__win_sd_free(&sd);
    free(wname);
    return rc;
}

/*
 * The protection bits beyond `access` that section `wname` allows, as far
 * as its descriptor tells: the rights a handle asking for all it may have
 * (MAXIMUM_ALLOWED) is granted. mmf's own sections grant no right their
 * protection lacks (section_mode), so for them this is the protection.
 */
static unsigned probe_prot(const WCHAR *wname, unsigned access)
{
    PUBLIC_OBJECT_BASIC_INFORMATION bi;
    unsigned prot = 0;
    ULONG n;
    HANDLE t;

    if ((access & MMF_ACCESS_WRITE) && (access & MMF_ACCESS_EXEC))
        return 0;
    if ((t = OpenFileMappingW(MAXIMUM_ALLOWED, FALSE, wname)) == NULL)
        return 0;
    if (NtQueryObject(t, ObjectBasicInformation, &bi, sizeof bi, &n) >= 0) {
        if (bi.GrantedAccess & SECTION_MAP_WRITE)
            prot |= MMF_PROT_WRITE;
        if (bi.GrantedAccess & SECTION_MAP_EXECUTE)
            prot |= MMF_PROT_EXEC;
    }
    CloseHandle(t);
    return prot;
}

/* Open the section or channel called nm. */
static int open_section(const struct mmf__name *nm, uint32_t type, unsigned access,
                        mmf__obj **out)
{
    WCHAR *wname = malloc(MMF__WIN_NAME_CAP * sizeof *wname);
    unsigned extra = 0;
    mmf__obj *o;
    HANDLE h;
    int rc;

    if (wname == NULL)
        return MMF_ENOMEM;
    if ((rc = mmf__win_name(nm, NULL, wname, MMF__WIN_NAME_CAP)) < 0) {
        free(wname);
        return rc;
    }
    h = OpenFileMappingW(section_rights(access), FALSE, wname);
    if (h == NULL) {
        free(wname);
        return mmf__win_err(GetLastError());
    }
    if ((rc = mmf__win_obj_new(h, type, access, &o)) < 0) {
        free(wname);
        return rc;
    }
    if (type == MMF__TYPE_SECTION)
        extra = probe_prot(wname, access);
    free(wname);
    if (type == MMF__TYPE_CHANNEL) {
        rc = adopt_channel(o);
        if (rc == 0)
            o->prot = MMF_PROT_READ | MMF_PROT_WRITE;
    } else {
        rc = describe_section(o, nm);
        o->prot = o->hdr.prot |= extra;
        if (rc == 0 && !(o->hdr.flags & MMF__HF_FILE) &&
            peek_magic(h, access, o->hdr.size) == 1)
            rc = MMF_ETYPE; /* a channel's section */
    }
    if (rc < 0) {
        mmf__os_obj_close(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* Create or open a mutex, event or semaphore (sync.c makes the object). */
static int create_sync(const struct mmf__name *nm, const struct mmf__spec *spec,
                       int disposition, unsigned access, mmf__obj **out)
{
    WCHAR *wname = NULL;
    struct mmf__win_sd sd;
    HANDLE h = NULL;
    mmf__obj *o;
    int rc, how;

    if (nm != NULL) {
        if ((wname = malloc(MMF__WIN_NAME_CAP * sizeof *wname)) == NULL)
            return MMF_ENOMEM;
        if ((rc = mmf__win_name(nm, NULL, wname, MMF__WIN_NAME_CAP)) < 0) {
            free(wname);
            return rc;
        }
    }
    if ((rc = mmf__win_sd_make(spec->mode, MMF__WIN_KIND_SYNC, &sd)) < 0) {
        free(wname);
        return rc;
    }
    how = mmf__win_sync_create(wname, spec->sync, disposition, &sd.sa, &h);
    mmf__win_sd_free(&sd);
    free(wname);
    if (how < 0)
        return how;
    if ((rc = mmf__win_obj_new(h, spec->type, access, &o)) < 0)
        return rc;
    hdr_init(&o->hdr, spec->type, nm);
    o->prot = o->hdr.prot = MMF_PROT_READ | MMF_PROT_WRITE;
    if (how == 0) {
        o->hdr.creator_pid = (uint32_t)GetCurrentProcessId();
        o->hdr.create_ns = now_realtime_ns();
    }
    *out = o;
    return how;
}

int mmf__os_obj_create(const struct mmf__name *name, const struct mmf__spec *spec,
                       int disposition, unsigned access, mmf__obj **out)
{
    switch (spec->type) {
    case MMF__TYPE_SECTION:
    case MMF__TYPE_CHANNEL:
        return create_section(name, spec, disposition, access, out);
    case MMF__TYPE_MUTEX:
    case MMF__TYPE_EVENT:
    case MMF__TYPE_SEMAPHORE:
        if (spec->sync == NULL)
            return MMF_EINVAL;
        return create_sync(name, spec, disposition, access, out);
    default:
        return MMF_EINVAL;
    }
}

int mmf__os_obj_open(const struct mmf__name *name, uint32_t type, unsigned access,
                     mmf__obj **out)
{
    WCHAR *wname;
    mmf__obj *o;
    HANDLE h = NULL;
    int rc;

    if (type == MMF__TYPE_SECTION || type == MMF__TYPE_CHANNEL)
        return open_section(name, type, access, out);
    if ((wname = malloc(MMF__WIN_NAME_CAP * sizeof *wname)) == NULL)
        return MMF_ENOMEM;
    rc = mmf__win_name(name, NULL, wname, MMF__WIN_NAME_CAP);
    if (rc == 0)
        rc = mmf__win_sync_open(wname, type, &h);
    free(wname);
    if (rc < 0)
        return rc;
    if ((rc = mmf__win_obj_new(h, type, access, &o)) < 0)
        return rc;
    hdr_init(&o->hdr, type, name);
    o->prot = o->hdr.prot = MMF_PROT_READ | MMF_PROT_WRITE;
    *out = o;
    return 0;
}

void mmf__os_obj_close(mmf__obj *o)
{
    struct ref *r = ref_of(o);

    if (o->chan != NULL)
        mmf__win_chan_free(o->chan);
    if (r->shared != NULL)
        UnmapViewOfFile(r->shared);
    if (o->file != NULL)
        CloseHandle(o->file);
    CloseHandle(o->h);
    free(r);
}

int mmf__os_obj_dup(mmf__obj *o, unsigned access, mmf__obj **out)
{
    const int section = o->type == MMF__TYPE_SECTION || o->type == MMF__TYPE_CHANNEL;
    struct ref *r;
    HANDLE h;

    if (!DuplicateHandle(GetCurrentProcess(), o->h, GetCurrentProcess(), &h,
                         section ? section_rights(access) : 0, FALSE,
                         section ? 0 : DUPLICATE_SAME_ACCESS))
        return mmf__win_err(GetLastError());
    if ((r = calloc(1, sizeof *r)) == NULL) {
        CloseHandle(h);
        return MMF_ENOMEM;
    }
    *r = *ref_of(o);
    r->o.h = h;
    r->o.access = access;
    r->o.chan = NULL;
    r->o.file = NULL;
    r->shared = NULL;
    if (o->file != NULL &&
        !DuplicateHandle(GetCurrentProcess(), o->file, GetCurrentProcess(), &r->o.file, 0,
                         FALSE, DUPLICATE_SAME_ACCESS)) {
        int rc = mmf__win_err(GetLastError());
        CloseHandle(h);
        free(r);
        return rc;
    }
    *out = &r->o;
    return 0;
}

const struct mmf__hdr *mmf__os_obj_hdr(const mmf__obj *o)
{
    return &o->hdr;
}

unsigned mmf__os_obj_access(const mmf__obj *o)
{
    return o->access;
}

struct mmf__hdr *mmf__os_obj_shared_hdr(mmf__obj *o)
{
    struct ref *r = ref_of(o);

    /* Synchronization objects keep their state in the kernel; a plain
     * section has no header at all. */
    if (o->type != MMF__TYPE_CHANNEL || !(o->access & MMF_ACCESS_WRITE))
        return NULL;
    if (r->shared == NULL)
        r->shared = map_header(o->h, o->access);
    return r->shared;
}

/* ---- Views -------------------------------------------------------------- */

/* Where data offset 0 of o is in its kernel section. */
static uint64_t data_base(const mmf__obj *o)
{
    return o->type == MMF__TYPE_CHANNEL && o->file == NULL ? MMF__WIN_CHAN_HDR : 0;
}

/* The section to map o's data through: o->h, or for a persistent channel
 * a transient section over its file (*tmp, which the caller closes after
 * mapping: a view keeps its section alive). */
static int data_section(mmf__obj *o, HANDLE *h, HANDLE *tmp)
{
    *tmp = NULL;
    if (o->type != MMF__TYPE_CHANNEL || o->file == NULL) {
        *h = o->h;
        return 0;
    }
    *tmp = CreateFileMappingW(o->file, NULL, PAGE_READWRITE, 0, 0, NULL);
    if (*tmp == NULL)
        return mmf__win_err(GetLastError());
    *h = *tmp;
    return 0;
}

int mmf__os_obj_commit(mmf__obj *o, uint64_t offset, uint64_t len)
{
    const uint64_t chunk = UINT64_C(1) << 30; /* bounded views: address space */
    uint64_t at = data_base(o) + offset, end = at + len;

    /* A commit made through any view is the section's: map a transient
     * view, commit in it, unmap. */
    while (at < end) {
        uint64_t base = at / GRANULE * GRANULE, stop = end - at > chunk ? at + chunk : end;
        uint8_t *p = MapViewOfFile(o->h, FILE_MAP_WRITE, (DWORD)(base >> 32), (DWORD)base,
                                   (SIZE_T)(stop - base));
        int ok;
        if (p == NULL)
            return mmf__win_err(GetLastError());
        ok = VirtualAlloc(p + (at - base), (SIZE_T)(stop - at), MEM_COMMIT, PAGE_READWRITE) != NULL;
        UnmapViewOfFile(p);
        if (!ok) {
            DWORD e = GetLastError();
            return e == ERROR_ACCESS_DENIED ? MMF_EACCES : MMF_ENOMEM;
        }
        at = stop;
    }
    return 0;
}

int mmf__os_map(mmf__obj *o, uint64_t offset, size_t len, unsigned prot, int copy,
                void *fixed, size_t align, void **addr, intptr_t *cookie)
{
    uint64_t at = data_base(o) + offset, base = at / GRANULE * GRANULE;
    size_t delta = (size_t)(at - base), maplen = len;
    DWORD how;
    HANDLE h = NULL, tmp = NULL;
    uint8_t *p;
    int rc;

    /* Every view base is a multiple of 64 KiB: ALIGN is free. */
    (void)align;
    if (fixed != NULL && delta != 0)
        return MMF_EALIGN;
    if (o->hdr.flags & MMF_SECTION_LARGE_PAGES) {
        SIZE_T large = GetLargePageMinimum();
        if (large != 0 && offset % large != 0)
            return MMF_EALIGN;
    }
    /* The caller's length is whole pages; a file-backed section may end
     * inside its last page, and Windows refuses views past the end. */
    if (o->type == MMF__TYPE_SECTION && offset < o->hdr.size && len > o->hdr.size - offset)
        maplen = (size_t)(o->hdr.size - offset);
    if (maplen > SIZE_MAX - delta)
        return MMF_ENOMEM;
    if (copy)
        how = FILE_MAP_COPY;
    else if (prot & MMF_MAP_WRITE)
        how = FILE_MAP_WRITE;
    else
        how = FILE_MAP_READ;
    if (prot & MMF_MAP_EXEC)
        how |= FILE_MAP_EXECUTE;
    if ((rc = data_section(o, &h, &tmp)) < 0)
        return rc;
    p = MapViewOfFileEx(h, how, (DWORD)(base >> 32), (DWORD)base, maplen + delta, fixed);
    if (p == NULL) {
        DWORD e = GetLastError();
        if (tmp != NULL)
            CloseHandle(tmp);
        if (fixed != NULL && (e == ERROR_INVALID_ADDRESS || e == ERROR_MAPPED_ALIGNMENT))
            return e == ERROR_MAPPED_ALIGNMENT ? MMF_EALIGN : MMF_EFAULT;
        return mmf__win_err(e);
    }
    if (tmp != NULL)
        CloseHandle(tmp);
    if (prot == 0) {
        /* MMF_MAP_NONE: the range is held, inaccessible. VirtualProtect
         * refuses the pages of a SEC_RESERVE section that nobody has
         * committed (inaccessible already), so only committed runs are
         * changed. A page committed later through another view is
         * readable here: the kernel gives it this view's protection. */
        uint8_t *a = p + delta, *end = p + delta + len;
        while (a < end) {
            MEMORY_BASIC_INFORMATION mbi;
            uint8_t *next;
            DWORD old;
            if (VirtualQuery(a, &mbi, sizeof mbi) == 0) {
                rc = mmf__win_err(GetLastError());
                UnmapViewOfFile(p);
                return rc;
            }
            next = (uint8_t *)mbi.BaseAddress + mbi.RegionSize;
            if (next > end || next <= a)
                next = end;
            if (mbi.State == MEM_COMMIT &&
                !VirtualProtect(a, (SIZE_T)(next - a), PAGE_NOACCESS, &old)) {
                rc = mmf__win_err(GetLastError());
                UnmapViewOfFile(p);
                return rc;
            }
            a = next;
        }
    }
    *cookie = -1;
    if (delta != 0 || o->file != NULL) {
        /* The real base for unmap, and the file for durable flushes. */
        if ((rc = mmf__win_cookie_new(p, NULL, o->file, cookie)) < 0) {
            UnmapViewOfFile(p);
            return rc;
        }
    }
    *addr = p + delta;
    return 0;
}

/* A Windows section never shrinks under a view: the kernel refuses to
 * truncate a file while a section over it exists (ERROR_USER_MAPPED_FILE),
 * and pagefile-backed sections have a fixed size. So no page is ever
 * lost. */
int mmf__os_damaged(const void *base)
{
    (void)base;
    return 0;
}

/* ---- Handle passing ----------------------------------------------------- */

#define TOKEN_PREFIX "mmf1w:"

int mmf__os_export(mmf__obj *o, unsigned access, char *token, size_t cap)
{
    HANDLE h;

    const int section = o->type == MMF__TYPE_SECTION || o->type == MMF__TYPE_CHANNEL;

    /* An inheritable duplicate: a child started with handle inheritance
     * has it at the same value. A sync object's carries the rights every
     * mmf handle to it has. */
    if (!DuplicateHandle(GetCurrentProcess(), o->h, GetCurrentProcess(), &h,
                         section ? section_rights(access) : mmf__win_sync_access(o->type),
                         TRUE, 0))
        return mmf__win_err(GetLastError());
    snprintf(token, cap, TOKEN_PREFIX "%llx:%u", (unsigned long long)(uintptr_t)h, access);
    return 0;
}

static int parse_token(const char *token, HANDLE *h, unsigned *access)
{
    unsigned long long v;
    char tail;

    if (token == NULL || strncmp(token, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1) != 0 ||
        sscanf(token + sizeof TOKEN_PREFIX - 1, "%llx:%u%c", &v, access, &tail) != 2 ||
        v == 0 || v > UINT32_MAX || *access == 0 ||
        (*access & ~(unsigned)MMF_ACCESS_ALL) != 0)
        return MMF_EINVAL;
    *h = (HANDLE)(uintptr_t)v;
    return 0;
}

int mmf__os_export_close(const char *token)
{
    unsigned access;
    HANDLE h;
    int rc = parse_token(token, &h, &access);

    if (rc < 0)
        return rc;
    CloseHandle(h);
    return 0;
}

/* The mmf type of kernel object h from its kernel type: MMF__TYPE_SECTION
 * for a Section (a channel's too: the caller tells them apart),
 * MMF__TYPE_MUTEX, _EVENT or _SEMAPHORE, or 0 for anything else. */
static uint32_t kernel_type(HANDLE h)
{
    static const struct {
        const WCHAR *name;
        uint32_t type;
    } kinds[] = {{L"Section", MMF__TYPE_SECTION},
                 {L"Mutant", MMF__TYPE_MUTEX},
                 {L"Event", MMF__TYPE_EVENT},
                 {L"Semaphore", MMF__TYPE_SEMAPHORE}};
    union {
        PUBLIC_OBJECT_TYPE_INFORMATION ti;
        unsigned char bytes[sizeof(PUBLIC_OBJECT_TYPE_INFORMATION) + 128];
    } u;
    ULONG n;

    if (NtQueryObject(h, ObjectTypeInformation, &u, sizeof u, &n) < 0 ||
        u.ti.TypeName.Buffer == NULL)
        return 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t len = wcslen(kinds[i].name) * sizeof(WCHAR);
        if (u.ti.TypeName.Length == len && memcmp(u.ti.TypeName.Buffer, kinds[i].name, len) == 0)
            return kinds[i].type;
    }
    return 0;
}

/*
 * The mmf name of kernel object h, from its object name: a name in a
 * session's BaseNamedObjects is Local\, one in the global directory is
 * Global\. Returns 0 and fills *nm, or < 0 for an unnamed object or a
 * name mmf could not have made.
 */
static int kernel_name(HANDLE h, struct mmf__name *nm)
{
    static const WCHAR dir[] = L"\\BaseNamedObjects\\";
    const size_t dlen = sizeof dir / sizeof dir[0] - 1;
    ULONG cap = 4096, n;
    UNICODE_STRING *us = malloc(cap);
    char *utf8 = NULL;
    int rc = MMF_ENOENT, len, global = 0;
    size_t units, at;

    if (us == NULL)
        return MMF_ENOMEM;
    if (NtQueryObject(h, (OBJECT_INFORMATION_CLASS)1 /* ObjectNameInformation */, us, cap,
                      &n) < 0 || us->Buffer == NULL || us->Length == 0)
        goto out;
    units = us->Length / sizeof(WCHAR);
    /* "\BaseNamedObjects\key" or "\Sessions\N\BaseNamedObjects\key". */
    for (at = 0; at + dlen <= units; at++)
        if (memcmp(us->Buffer + at, dir, dlen * sizeof(WCHAR)) == 0)
            break;
    if (at + dlen > units)
        goto out;
    global = at == 0;
    at += dlen;
    len = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, us->Buffer + at,
                              (int)(units - at), NULL, 0, NULL, NULL);
    if (len <= 0 || (utf8 = malloc((size_t)len + 8)) == NULL)
        goto out;
    memcpy(utf8, global ? "Global\\" : "Local\\", global ? 7 : 6);
    if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, us->Buffer + at, (int)(units - at),
                            utf8 + (global ? 7 : 6), len, NULL, NULL) != len)
        goto out;
    utf8[(global ? 7 : 6) + len] = '\0';
    rc = mmf__name_parse(utf8, 0, nm);
out:
    free(utf8);
    free(us);
    return rc;
}

/*
 * Make a synchronization object reference of handle h (a Mutant, Event or
 * Semaphore, which this process received from another one): it must carry
 * the rights every mmf handle to such an object has. Returns 0, or
 * MMF_ECORRUPT (a handle mmf could not have made) or an MMF_E* code; on
 * failure h is left open.
 */
static int adopt_sync(HANDLE h, uint32_t type, ACCESS_MASK granted, mmf__obj **out)
{
    const DWORD need = mmf__win_sync_access(type);
    mmf__obj *o;
    HANDLE own;
    int rc;

    if ((granted & need) != need)
        return MMF_ECORRUPT;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &own, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return mmf__win_err(GetLastError());
    if ((rc = mmf__win_obj_new(own, type, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &o)) < 0)
        return rc;
    {
        /* A named object received keeps its name, as a section does. */
        struct mmf__name *nm = malloc(sizeof *nm);
        int named = nm != NULL && kernel_name(own, nm) == 0;
        hdr_init(&o->hdr, type, named ? nm : NULL);
        free(nm);
    }
    o->prot = o->hdr.prot = MMF_PROT_READ | MMF_PROT_WRITE;
    CloseHandle(h);
    *out = o;
    return 0;
}

/*
 * Make a reference of handle h, which this process received from another
 * one (inherited or pushed into it): check what it is, limit a section's
 * `access` to what it was granted, and take it over. Returns 0, MMF_EBADF
 * (not an open handle), MMF_ECORRUPT (not a section, nor with `sync` a
 * mutex, event or semaphore) or an MMF_E* code; on failure h is left
 * open. The caller checks that the type is the one it wants.
 */
static int adopt_handle(HANDLE h, unsigned access, int sync, mmf__obj **out)
{
    PUBLIC_OBJECT_BASIC_INFORMATION bi;
    mmf__obj *o;
    DWORD flags;
    ULONG n;
    HANDLE own;
    uint32_t type;
    int rc;

    if (!GetHandleInformation(h, &flags))
        return MMF_EBADF;
    if ((type = kernel_type(h)) == 0 || (type != MMF__TYPE_SECTION && !sync) ||
        NtQueryObject(h, ObjectBasicInformation, &bi, sizeof bi, &n) < 0)
        return MMF_ECORRUPT;
    if (type != MMF__TYPE_SECTION)
        return adopt_sync(h, type, bi.GrantedAccess, out);
    access &= access_of_rights(bi.GrantedAccess);
    if (access == 0)
        return MMF_EACCES;
    /* A copy of our own, so that a failure leaves the caller's alone. */
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &own, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return mmf__win_err(GetLastError());
    if ((rc = mmf__win_obj_new(own, MMF__TYPE_SECTION, access, &o)) < 0)
        return rc;
    {
        /* A named section received keeps its name (it has no other). */
        struct mmf__name *nm = malloc(sizeof *nm);
        int named = nm != NULL && kernel_name(own, nm) == 0;
        rc = describe_section(o, named ? nm : NULL);
        free(nm);
    }
    if (rc < 0) {
        mmf__os_obj_close(o);
        return rc == MMF_EACCES ? MMF_ECORRUPT : rc;
    }
    if (!(o->hdr.flags & MMF__HF_FILE) && peek_magic(own, access, o->hdr.size) == 1)
        o->hdr.type = MMF__TYPE_CHANNEL; /* the caller refuses it */
    CloseHandle(h);
    *out = o;
    return 0;
}

int mmf__os_import(const char *token, mmf__obj **out)
{
    unsigned access;
    HANDLE h;
    int rc = parse_token(token, &h, &access);

    if (rc < 0)
        return rc;
    return adopt_handle(h, access, 1, out);
}

int mmf__os_duplicate_to(mmf__obj *o, void *process, unsigned access, uint64_t *value)
{
    HANDLE h;

    if (!DuplicateHandle(GetCurrentProcess(), o->h, (HANDLE)process, &h,
                         section_rights(access), FALSE, 0)) {
        DWORD e = GetLastError();
        return e == ERROR_INVALID_HANDLE ? MMF_EBADF : mmf__win_err(e);
    }
    *value = (uint64_t)(uintptr_t)h;
    return 0;
}

int mmf__os_adopt(uint64_t value, mmf__obj **out)
{
    /* Handle values are multiples of 4 below 2^24 or so; anything that
     * does not fit a 32-bit value is not one this process could hold. */
    if (value == 0 || value > UINT32_MAX || value % 4 != 0)
        return MMF_EINVAL;
    return adopt_handle((HANDLE)(uintptr_t)value, MMF_ACCESS_ALL, 0, out);
}

/* Windows sockets carry no handles (mmf.h, KNOWN LIMITS ON WINDOWS). */
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
