/* SPDX-License-Identifier: MIT */
/*
 * section.c - CreateFileMapping, OpenFileMapping, MapViewOfFile(Ex),
 * UnmapViewOfFile, FlushViewOfFile over mmf_section_* and mmf_view_*.
 *
 * Access: a mapping handle's Win32 mask holds SECTION_MAP_READ, _WRITE and
 * _EXECUTE; its native handle holds the matching MMF_ACCESS_* rights, as
 * far as the section allows them (the native API refuses a write right on
 * a read-only section at open, Windows only at map time). A view needs the
 * right Windows' NtMapViewOfSection asks for its protection (the WRK's
 * MmMakeSectionAccess table): read-only, copy-on-write and no-access views
 * SECTION_MAP_READ, read-write views SECTION_MAP_WRITE, executable ones
 * SECTION_MAP_EXECUTE too (E05, E06, H08).
 */
#include <stdlib.h>
#include <string.h>

#include "w32.h"

/* Windows' allocation granularity: view offsets and bases (A07). */
#define GRANULARITY 65536u

#define SEC_ALL_FLAGS                                                          \
    (SEC_FILE | SEC_IMAGE | SEC_RESERVE | SEC_COMMIT | SEC_NOCACHE |          \
     SEC_WRITECOMBINE | SEC_LARGE_PAGES)

/* What each valid flProtect means (B15, B16, D15, H09). */
struct prot_info {
    DWORD page;           /* PAGE_* */
    unsigned prot;        /* MMF_PROT_* of the section */
    DWORD file_access;    /* rights the file handle needs */
    DWORD handle_access;  /* rights of the new mapping handle */
};

static const struct prot_info prot_table[] = {
    {PAGE_READONLY, MMF_PROT_READ, FILE_READ_DATA, SECTION_QUERY | SECTION_MAP_READ},
    {PAGE_WRITECOPY, MMF_PROT_READ, FILE_READ_DATA, SECTION_QUERY | SECTION_MAP_READ},
    {PAGE_READWRITE, MMF_PROT_READ | MMF_PROT_WRITE, FILE_READ_DATA | FILE_WRITE_DATA,
     SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_WRITE},
    {PAGE_EXECUTE_READ, MMF_PROT_READ | MMF_PROT_EXEC, FILE_READ_DATA | FILE_EXECUTE,
     SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_EXECUTE},
    {PAGE_EXECUTE_WRITECOPY, MMF_PROT_READ | MMF_PROT_EXEC,
     FILE_READ_DATA | FILE_EXECUTE,
     SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_EXECUTE},
    {PAGE_EXECUTE_READWRITE, MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC,
     FILE_READ_DATA | FILE_WRITE_DATA | FILE_EXECUTE,
     SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_WRITE | SECTION_MAP_EXECUTE},
};

/* The native rights matching a Win32 mask: SECTION_MAP_READ (0x4),
 * SECTION_MAP_WRITE (0x2) and SECTION_MAP_EXECUTE (0x8) moved to
 * MMF_ACCESS_READ (1), _WRITE (2) and _EXEC (4). (Shifts, not three ifs:
 * GCC 12.2 miscompiled the if-converted form at -O2; see CMakeLists.txt.) */
_Static_assert(SECTION_MAP_READ == 4 * MMF_ACCESS_READ &&
                   SECTION_MAP_WRITE == MMF_ACCESS_WRITE &&
                   SECTION_MAP_EXECUTE == 2 * MMF_ACCESS_EXEC,
               "access bits");
static unsigned native_access(DWORD access)
{
    return ((access & SECTION_MAP_READ) >> 2) | (access & SECTION_MAP_WRITE) |
           ((access & SECTION_MAP_EXECUTE) >> 1);
}

/*
 * Check the SEC_* attributes (C05-C16) of a pagefile-backed (file 0) or
 * file-backed section; set *native_flags. Returns 0 or the Win32 error.
 */
static DWORD check_sec_flags(DWORD sec, int file, unsigned *native_flags)
{
    DWORD kind = sec & (SEC_RESERVE | SEC_COMMIT);
    DWORD mods = sec & (SEC_NOCACHE | SEC_WRITECOMBINE);

    *native_flags = 0;
    if (sec & ~(DWORD)SEC_ALL_FLAGS)
        return ERROR_INVALID_PARAMETER;
    if (sec & SEC_IMAGE) {
        /* Images (executables) are not sections this library can make; a
         * plain SEC_IMAGE on data is refused as Windows refuses a file
         * that is not an executable (C07, C14). */
        if (sec & ~(DWORD)(SEC_IMAGE | SEC_NOCACHE))
            return ERROR_INVALID_PARAMETER; /* C08, C16 */
        return ERROR_BAD_EXE_FORMAT;
    }
    if ((sec & SEC_FILE) || kind == (SEC_RESERVE | SEC_COMMIT))
        return ERROR_INVALID_PARAMETER; /* C05, C10, C13, C15 */
    if (mods != 0 && (mods == (SEC_NOCACHE | SEC_WRITECOMBINE) || kind == 0))
        return ERROR_INVALID_PARAMETER; /* C09, C15 */
    if (sec & SEC_LARGE_PAGES) {
        if (file || kind != SEC_COMMIT)
            return ERROR_INVALID_PARAMETER; /* C06, C09, C13 */
        *native_flags |= MMF_SECTION_LARGE_PAGES;
    }
    /* RESERVE and COMMIT mean nothing for a file (C11); NOCACHE and
     * WRITECOMBINE mean nothing to memory shared through a store file. */
    if (!file && kind == SEC_RESERVE)
        *native_flags |= MMF_SECTION_RESERVE;
    return 0;
}

static int open_native(const char *name, DWORD access, mmf_section **out);

/* The error CreateFileMapping reports for a native code. */
static DWORD create_error(int rc, const char *name, int file)
{
    switch (rc) {
    case MMF_ERANGE:
        return ERROR_NOT_ENOUGH_MEMORY; /* read-only, larger than the file: D05 */
    case MMF_ENOSPC:
        return file ? ERROR_DISK_FULL : ERROR_COMMITMENT_LIMIT; /* D04, B13 */
    case MMF_EBADNAME:
        return mmf__w32_name_error(name);
    case MMF_ENOTSUP:
        /* SEC_LARGE_PAGES where the system cannot give them: Windows
         * refuses a caller without SeLockMemoryPrivilege (C17). */
        return ERROR_PRIVILEGE_NOT_HELD;
    default:
        return mmf__w32_error(rc);
    }
}

/* The native flags of a preferred node (NUMA_NO_PREFERRED_NODE: none), or
 * ERROR_INVALID_PARAMETER in *err for a node past the highest (B17, G14). */
static unsigned node_flags(DWORD node, DWORD *err)
{
    *err = 0;
    if (node == NUMA_NO_PREFERRED_NODE)
        return 0;
    if (node > (DWORD)mmf_numa_highest_node()) {
        *err = ERROR_INVALID_PARAMETER;
        return 0;
    }
    return MMF_NODE(node);
}

static HANDLE create_mapping(HANDLE hFile, DWORD flProtect, DWORD high,
                             DWORD low, const char *name, const SECURITY_ATTRIBUTES *sa,
                             DWORD node)
{
    const struct prot_info *pi = NULL;
    uint64_t size = ((uint64_t)high << 32) | low;
    mmf_section_opts opts;
    union w32_payload u;
    mmf_section *s;
    HANDLE h;
    DWORD err;
    int rc, file = hFile != INVALID_HANDLE_VALUE && hFile != NULL; /* NULL: no file too */

    for (size_t i = 0; i < sizeof prot_table / sizeof prot_table[0]; i++) {
        if ((flProtect & 0xFF) == prot_table[i].page)
            pi = &prot_table[i];
    }
    /* Exactly one valid protection, and no page modifier (B14, B15, D13). */
    if (pi == NULL || (flProtect & 0xFF00) != 0) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    memset(&opts, 0, sizeof opts);
    opts.prot = pi->prot;
    if ((err = mmf__w32_sd_mode(W32_SECTION, sa, &opts.mode)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    if ((err = check_sec_flags(flProtect & 0xFFFF0000u, file, &opts.flags)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    opts.flags |= node_flags(node, &err);
    if (err != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    if (!file) {
        if (size == 0) {
            mmf__w32_set_error(ERROR_INVALID_PARAMETER); /* B01 */
            return NULL;
        }
        rc = mmf_section_create(&s, name, size, MMF_OPEN_OR_CREATE, &opts);
    } else {
        struct w32_entry *e = mmf__w32_get(hFile, W32_K(W32_FILE), &err);
        if (e == NULL) {
            mmf__w32_set_error(err);
            return NULL;
        }
        /* The file handle must allow what the protection needs (D08-D11,
         * D15). */
        if ((e->access & pi->file_access) != pi->file_access) {
            mmf__w32_put(e);
            mmf__w32_set_error(ERROR_ACCESS_DENIED);
            return NULL;
        }
        rc = mmf_section_create_fd(&s, name, e->u.file->fd, size,
                                   MMF_OPEN_OR_CREATE, &opts);
        mmf__w32_put(e);
    }
    /* An existing named section whose protection refuses what flProtect
     * asks for: Windows still opens it (B05), granting the rights on the
     * handle and refusing the view later, as open_native() does. */
    if (rc == MMF_EACCES && !file && name[0] != '\0' &&
        open_native(name, pi->handle_access, &s) == 0)
        rc = MMF_EXISTED;
    if (rc < 0) {
        mmf__w32_set_error(create_error(rc, name, file));
        return NULL;
    }
    u.section = s;
    if ((h = mmf__w32_new(W32_SECTION, STANDARD_RIGHTS_REQUIRED | pi->handle_access, u)) == NULL) {
        mmf_section_close(s);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    /* A successful create clears the last error (B02, B03). */
    mmf__w32_set_error(rc == MMF_EXISTED ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

/* CreateFileMapping is CreateFileMappingNuma without a preferred node, as
 * kernelbase has it. */
HANDLE WINAPI CreateFileMappingA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes,
                                 DWORD flProtect, DWORD dwMaximumSizeHigh,
                                 DWORD dwMaximumSizeLow, LPCSTR lpName)
{
    return CreateFileMappingNumaA(hFile, lpAttributes, flProtect, dwMaximumSizeHigh,
                                  dwMaximumSizeLow, lpName, NUMA_NO_PREFERRED_NODE);
}

HANDLE WINAPI CreateFileMappingW(HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes,
                                 DWORD flProtect, DWORD dwMaximumSizeHigh,
                                 DWORD dwMaximumSizeLow, LPCWSTR lpName)
{
    return CreateFileMappingNumaW(hFile, lpAttributes, flProtect, dwMaximumSizeHigh,
                                  dwMaximumSizeLow, lpName, NUMA_NO_PREFERRED_NODE);
}

HANDLE WINAPI CreateFileMappingNumaA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes,
                                     DWORD flProtect, DWORD dwMaximumSizeHigh,
                                     DWORD dwMaximumSizeLow, LPCSTR lpName,
                                     DWORD nndPreferred)
{
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit_sa(create_mapping(hFile, flProtect, dwMaximumSizeHigh,
                                              dwMaximumSizeLow, lpName != NULL ? lpName : "",
                                              lpAttributes, nndPreferred),
                               lpAttributes);
}

HANDLE WINAPI CreateFileMappingNumaW(HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes,
                                     DWORD flProtect, DWORD dwMaximumSizeHigh,
                                     DWORD dwMaximumSizeLow, LPCWSTR lpName,
                                     DWORD nndPreferred)
{
    char name[W32_NAME_BYTES];
    DWORD err = mmf__w32_to_utf8(lpName, name, sizeof name);

    if (err != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    return mmf__w32_inherit_sa(create_mapping(hFile, flProtect, dwMaximumSizeHigh,
                                              dwMaximumSizeLow, name, lpAttributes,
                                              nndPreferred),
                               lpAttributes);
}

/*
 * Open `name` natively for a Win32 mask. The native API refuses write and
 * execute rights that the section's protection does not allow; Windows
 * grants them on the handle (its check is against the object's security)
 * and refuses the view later. So a refused right is dropped and the open
 * retried; the view then fails natively as it does on Windows (H02-H06).
 */
static int open_native(const char *name, DWORD access, mmf_section **out)
{
    unsigned want = native_access(access);
    int rc;

    if (want == 0)
        want = MMF_ACCESS_READ; /* a handle that keeps the section alive */
    rc = mmf_section_open(out, name, want);
    if (rc == MMF_EACCES && (want & MMF_ACCESS_EXEC))
        rc = mmf_section_open(out, name, want &= ~(unsigned)MMF_ACCESS_EXEC);
    if (rc == MMF_EACCES && (want & MMF_ACCESS_WRITE))
        rc = mmf_section_open(out, name,
                              (want & ~(unsigned)MMF_ACCESS_WRITE) | MMF_ACCESS_READ);
    return rc;
}

static HANDLE open_mapping(DWORD access, const char *name)
{
    union w32_payload u;
    mmf_section *s;
    HANDLE h;
    DWORD err;
    int rc;

    if (name == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (name[0] == '\0') {
        mmf__w32_set_error(ERROR_INVALID_HANDLE); /* as Windows: "" names nothing */
        return NULL;
    }
    /* FILE_MAP_COPY asks for reading (copy-on-write views read). */
    if (access == FILE_MAP_COPY)
        access = SECTION_MAP_READ;
    access = mmf__w32_map_access(W32_SECTION, access);
    if ((rc = open_native(name, access, &s)) < 0) {
        mmf__w32_set_error(rc == MMF_EBADNAME ? mmf__w32_name_error(name) : mmf__w32_error(rc));
        return NULL;
    }
    if ((err = mmf__w32_check_open_access(W32_SECTION, access)) != 0) {
        mmf_section_close(s);
        mmf__w32_set_error(err);
        return NULL;
    }
    u.section = s;
    if ((h = mmf__w32_new(W32_SECTION, access, u)) == NULL) {
        mmf_section_close(s);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
    }
    return h;
}

HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess, BOOL bInheritHandle,
                               LPCSTR lpName)
{
    if (!mmf__w32_a_name_fits(lpName))
        return NULL;
    return mmf__w32_inherit(open_mapping(dwDesiredAccess, lpName), bInheritHandle);
}

HANDLE WINAPI OpenFileMappingW(DWORD dwDesiredAccess, BOOL bInheritHandle,
                               LPCWSTR lpName)
{
    char name[W32_NAME_BYTES];
    DWORD err;

    if (lpName == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((err = mmf__w32_to_utf8(lpName, name, sizeof name)) != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    return mmf__w32_inherit(open_mapping(dwDesiredAccess, name), bInheritHandle);
}

int mmf__w32_section_dup(mmf_section *s, DWORD src_access, DWORD access,
                         mmf_section **out)
{
    const DWORD map_rights = SECTION_MAP_READ | SECTION_MAP_WRITE | SECTION_MAP_EXECUTE;
    mmf_section_info *info;
    unsigned want;

    /* A duplicate's mapping rights cannot exceed its source's (O05). */
    if (access & ~src_access & map_rights)
        return MMF_EACCES;
    if ((info = malloc(sizeof *info)) == NULL)
        return MMF_ENOMEM;
    mmf_section_stat(s, info);
    /* The source's native handle may hold less than its mask (see
     * open_native); a duplicate with no mapping right still needs one
     * native right to keep the section alive. */
    want = native_access(access) & info->access;
    if (want == 0)
        want = info->access;
    free(info);
    return mmf_section_duplicate(s, want, out);
}

/* ------------------------------------------------------------------------ */
/* Views                                                                     */
/* ------------------------------------------------------------------------ */

static LPVOID map_view(HANDLE h, DWORD access, DWORD high, DWORD low,
                       SIZE_T size, LPVOID base, DWORD node)
{
    uint64_t offset = ((uint64_t)high << 32) | low;
    unsigned map, flags = MMF_VIEW_ALIGN;
    DWORD need, err;
    struct w32_entry *e;
    void *addr = base;
    int rc;

    if ((e = mmf__w32_get(h, W32_K(W32_SECTION), &err)) == NULL) {
        mmf__w32_set_error(err);
        return NULL;
    }
    /* The view's protection (H07) and the right it needs (H08). */
    if (access & FILE_MAP_WRITE) {
        map = MMF_MAP_WRITE;
        need = SECTION_MAP_WRITE;
    } else if (access & FILE_MAP_READ) {
        map = MMF_MAP_READ;
        need = SECTION_MAP_READ;
    } else if (access & FILE_MAP_COPY) {
        map = MMF_MAP_COPY;
        need = SECTION_MAP_READ;
    } else {
        map = MMF_MAP_NONE;
        need = SECTION_MAP_READ;
    }
    if (access & FILE_MAP_EXECUTE) {
        /* (An execute-only view reads too: x86 cannot execute unreadable
         * pages.) */
        map |= MMF_MAP_EXEC | (map == MMF_MAP_NONE ? MMF_MAP_READ : 0);
        need |= SECTION_MAP_EXECUTE;
    }
    flags |= node_flags(node, &err);
    if (err != 0) {
        /* a node past the highest: G14 */
    } else if (base != NULL && (uintptr_t)base % GRANULARITY != 0) {
        err = ERROR_MAPPED_ALIGNMENT; /* G03 */
    } else if ((e->access & need) != need) {
        err = ERROR_ACCESS_DENIED; /* E03, E05, H10, H11 */
    } else if (offset % GRANULARITY != 0) {
        err = ERROR_MAPPED_ALIGNMENT; /* G01 */
    } else {
        if (base != NULL)
            flags |= MMF_VIEW_FIXED;
        rc = mmf_view_map(e->u.section, map, offset, size, flags, &addr);
        switch (rc) {
        case 0:
            err = 0;
            break;
        case MMF_ERANGE:
            err = ERROR_ACCESS_DENIED; /* past the end: G07 */
            break;
        default:
            err = mmf__w32_error(rc); /* G04, G08, H02-H06 */
            break;
        }
    }
    if (err == 0) {
        mmf_section_info *info = malloc(sizeof *info);
        mmf_view_info vi;
        if (info != NULL && mmf_view_stat(addr, &vi) == 0) {
            mmf_section_stat(e->u.section, info);
            mmf__w32_view_note(addr, vi.size, mmf__w32_view_protect(vi.map),
                               (info->flags & MMF_SECTION_RESERVE) != 0);
        }
        free(info);
    }
    mmf__w32_put(e);
    if (err != 0) {
        mmf__w32_set_error(err);
        return NULL;
    }
    return addr;
}

LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                            DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                            SIZE_T dwNumberOfBytesToMap)
{
    return map_view(hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh,
                    dwFileOffsetLow, dwNumberOfBytesToMap, NULL, NUMA_NO_PREFERRED_NODE);
}

LPVOID WINAPI MapViewOfFileEx(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                              DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                              SIZE_T dwNumberOfBytesToMap, LPVOID lpBaseAddress)
{
    return map_view(hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh,
                    dwFileOffsetLow, dwNumberOfBytesToMap, lpBaseAddress,
                    NUMA_NO_PREFERRED_NODE);
}

LPVOID WINAPI MapViewOfFileExNuma(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                                  DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                                  SIZE_T dwNumberOfBytesToMap, LPVOID lpBaseAddress,
                                  DWORD nndPreferred)
{
    return map_view(hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh,
                    dwFileOffsetLow, dwNumberOfBytesToMap, lpBaseAddress, nndPreferred);
}

BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress)
{
    mmf_view_info vi;
    int rc;

    if (mmf_view_stat(lpBaseAddress, &vi) == 0)
        mmf__w32_view_forget(vi.base);
    rc = mmf_view_unmap((void *)(uintptr_t)lpBaseAddress);
    if (rc < 0) {
        mmf__w32_set_error(mmf__w32_error(rc)); /* not in a view: L03-L07 */
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI FlushViewOfFile(LPCVOID lpBaseAddress, SIZE_T dwNumberOfBytesToFlush)
{
    int rc = mmf_view_flush((void *)(uintptr_t)lpBaseAddress, dwNumberOfBytesToFlush);
    if (rc < 0) {
        mmf__w32_set_error(rc == MMF_ERANGE ? ERROR_INVALID_ADDRESS : mmf__w32_error(rc));
        return FALSE;
    }
    return TRUE;
}
