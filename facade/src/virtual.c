/* SPDX-License-Identifier: MIT */
/*
 * virtual.c - VirtualQuery, VirtualAlloc, VirtualFree and VirtualProtect,
 * on views and on private memory.
 *
 * What the façade knows of an address comes from three places: its own
 * table of views (made by MapViewOfFile: base, size, the protection the
 * view was mapped with, whether its section is SEC_RESERVE), its own table
 * of private allocations (made by VirtualAlloc: base, size, the
 * protection asked for, one commit bit per page), and the kernel's map of
 * the process (/proc/self/maps: the current protection of every page, and
 * everything else mapped). VirtualProtect is mprotect; the kernel then
 * remembers the protection and VirtualQuery reads it back.
 *
 * Private memory: a reservation is an inaccessible anonymous mapping
 * (PROT_NONE, MAP_NORESERVE) at a 64 KiB boundary; committing a page gives
 * it the protection asked for, decommitting discards its contents
 * (MADV_DONTNEED: it is zero when committed again) and makes it
 * inaccessible; releasing unmaps it.
 *
 * Views: committing pages of a view of a SEC_RESERVE section commits them
 * in the section (the pages are faulted in with MADV_POPULATE_*, which on
 * the shared memory of the store allocates them in the section itself, so
 * every view in every process sees them), then gives the view's pages the
 * protection asked for. The state of a page of such a view is read with
 * mincore(): a page the section holds is committed. A page that has been
 * swapped out is then reported reserved (a limit, documented in win32.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "w32.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define GRANULARITY 65536u
#define MAX_ADDRESS ((uintptr_t)0x7FFFFFFEFFFFull)

struct region {
    uintptr_t base;
    size_t len;           /* whole pages */
    DWORD alloc_protect;  /* PAGE_* at map or reserve time */
    int view;             /* 1 view, 0 private allocation */
    int reserve;          /* view of a SEC_RESERVE section */
    unsigned char *bits;  /* private: one commit bit per page */
};

static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;
static struct region *regions;
static size_t nregions, capregions;

static size_t page(void)
{
    return mmf_page_size();
}

/* The region holding addr, or NULL. Call with vlock held. */
static struct region *find(uintptr_t addr)
{
    for (size_t i = 0; i < nregions; i++) {
        if (addr - regions[i].base < regions[i].len)
            return &regions[i];
    }
    return NULL;
}

static int add_region(const struct region *r)
{
    int rc = -1;

    pthread_mutex_lock(&vlock);
    if (nregions == capregions) {
        size_t cap = capregions * 2 + 16;
        struct region *n = realloc(regions, cap * sizeof *n);
        if (n == NULL)
            goto out;
        regions = n;
        capregions = cap;
    }
    regions[nregions++] = *r;
    rc = 0;
out:
    pthread_mutex_unlock(&vlock);
    return rc;
}

/* Remove the region at base (of the kind `view`); returns 1 if found. */
static int remove_region(uintptr_t base, int view, struct region *out)
{
    int found = 0;

    pthread_mutex_lock(&vlock);
    for (size_t i = 0; i < nregions; i++) {
        if (regions[i].base == base && regions[i].view == view) {
            if (out != NULL)
                *out = regions[i];
            else
                free(regions[i].bits);
            regions[i] = regions[--nregions];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&vlock);
    return found;
}

void mmf__w32_view_note(void *base, size_t size, DWORD protect, int reserve)
{
    struct region r = {(uintptr_t)base, (size + page() - 1) / page() * page(), protect, 1,
                       reserve, NULL};
    /* Without a record the view still works; VirtualQuery then describes
     * it from the kernel's map alone. */
    (void)add_region(&r);
}

void mmf__w32_view_forget(void *base)
{
    remove_region((uintptr_t)base, 1, NULL);
}

/* ------------------------------------------------------------------------ */
/* Protections                                                               */
/* ------------------------------------------------------------------------ */

/* The mmap protection of a PAGE_* value, or -1 if it is not one that
 * VirtualAlloc and VirtualProtect take (WRITECOPY only on views). */
static int prot_of(DWORD protect, int view)
{
    switch (protect & 0xFF) {
    case PAGE_NOACCESS:
        return PROT_NONE;
    case PAGE_READONLY:
        return PROT_READ;
    case PAGE_READWRITE:
        return PROT_READ | PROT_WRITE;
    case PAGE_WRITECOPY:
        return view ? PROT_READ | PROT_WRITE : -1;
    case PAGE_EXECUTE:
        return PROT_EXEC | PROT_READ; /* x86 cannot execute unreadable pages */
    case PAGE_EXECUTE_READ:
        return PROT_READ | PROT_EXEC;
    case PAGE_EXECUTE_READWRITE:
        return PROT_READ | PROT_WRITE | PROT_EXEC;
    case PAGE_EXECUTE_WRITECOPY:
        return view ? PROT_READ | PROT_WRITE | PROT_EXEC : -1;
    default:
        return -1;
    }
}

/* Exactly one protection, and only the modifiers the façade accepts
 * (PAGE_NOCACHE and PAGE_WRITECOMBINE, which mean nothing here). */
static int valid_protect(DWORD protect)
{
    DWORD p = protect & 0xFF;
    return (protect & ~(DWORD)(0xFF | PAGE_NOCACHE | PAGE_WRITECOMBINE)) == 0 && p != 0 &&
           (p & (p - 1)) == 0;
}

/* The PAGE_* value of the kernel's "rwxp" permissions, in a view mapped
 * copy-on-write or not. */
static DWORD protect_of(const char *perms, int copy)
{
    int r = perms[0] == 'r', w = perms[1] == 'w', x = perms[2] == 'x';

    if (x)
        return w ? (copy ? PAGE_EXECUTE_WRITECOPY : PAGE_EXECUTE_READWRITE)
                 : PAGE_EXECUTE_READ;
    if (w)
        return copy ? PAGE_WRITECOPY : PAGE_READWRITE;
    return r ? PAGE_READONLY : PAGE_NOACCESS;
}

/* The PAGE_* value a view was mapped with (its allocation protection). */
DWORD mmf__w32_view_protect(unsigned map)
{
    DWORD p;

    if (map & MMF_MAP_WRITE)
        p = PAGE_READWRITE;
    else if (map & MMF_MAP_COPY)
        p = PAGE_WRITECOPY;
    else if (map & MMF_MAP_READ)
        p = PAGE_READONLY;
    else
        return PAGE_NOACCESS;
    if (map & MMF_MAP_EXEC)
        p <<= 4; /* PAGE_READONLY 0x02 -> PAGE_EXECUTE_READ 0x20, ... */
    return p;
}

/* ------------------------------------------------------------------------ */
/* The kernel's map                                                          */
/* ------------------------------------------------------------------------ */

struct vma {
    uintptr_t start, end;
    char perms[5];
    int file; /* backed by a named file (not anonymous, heap, stack) */
};

/*
 * The mapping that holds addr (1) or, if none does, the first one above it
 * (0, *v the next mapping; v->start 0 if there is none). The map is read
 * until two mappings in a row with the same permissions end: enough for
 * region sizes. Returns -1 if /proc/self/maps cannot be read.
 */
static int vma_at(uintptr_t addr, struct vma *v, uintptr_t *same_end)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[512];
    int found = -1;

    if (f == NULL)
        return -1;
    memset(v, 0, sizeof *v);
    *same_end = 0;
    found = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long s, e;
        char perms[5], path[256] = "";
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255s", &s, &e, perms, path) < 3)
            continue;
        if (found == 1) {
            /* Extend over adjacent mappings with the same permissions. */
            if (s == *same_end && strncmp(perms, v->perms, 3) == 0) {
                *same_end = e;
                continue;
            }
            break;
        }
        if (e <= addr)
            continue;
        v->start = s;
        v->end = e;
        memcpy(v->perms, perms, 5);
        v->file = path[0] == '/';
        *same_end = e;
        if (s <= addr) {
            found = 1;
            continue;
        }
        break; /* the next mapping above a free address */
    }
    fclose(f);
    return found;
}

/* ------------------------------------------------------------------------ */
/* VirtualQuery                                                              */
/* ------------------------------------------------------------------------ */

/* 1 if the page at p of a view of a SEC_RESERVE section is committed. */
static int page_in_core(uintptr_t p)
{
    unsigned char vec = 0;
    return mincore((void *)p, page(), &vec) == 0 && (vec & 1);
}

static int bit_get(const struct region *r, size_t i)
{
    return (r->bits[i / 8] >> (i % 8)) & 1;
}

static void bits_set(struct region *r, size_t first, size_t n, int on)
{
    for (size_t i = first; i < first + n; i++) {
        if (on)
            r->bits[i / 8] |= (unsigned char)(1u << (i % 8));
        else
            r->bits[i / 8] &= (unsigned char)~(1u << (i % 8));
    }
}

/* Whether page i of region r is committed. Call with vlock held. */
static int committed(const struct region *r, size_t i)
{
    if (!r->view)
        return bit_get(r, i);
    return !r->reserve || page_in_core(r->base + i * page());
}

SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                           SIZE_T dwLength)
{
    uintptr_t addr = (uintptr_t)lpAddress & ~(uintptr_t)(page() - 1), same_end, end;
    MEMORY_BASIC_INFORMATION m;
    struct region *r;
    struct vma v;
    int in;

    if (dwLength < sizeof m) {
        mmf__w32_set_error(ERROR_BAD_LENGTH);
        return 0;
    }
    if ((uintptr_t)lpAddress > MAX_ADDRESS) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    memset(&m, 0, sizeof m);
    m.BaseAddress = (PVOID)addr;
    pthread_mutex_lock(&vlock);
    in = vma_at(addr, &v, &same_end);
    if (in < 0) {
        pthread_mutex_unlock(&vlock);
        mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    if ((r = find(addr)) != NULL) {
        size_t i = (addr - r->base) / page(), n = r->len / page();
        int c = committed(r, i);
        int copy = r->alloc_protect == PAGE_WRITECOPY ||
                   r->alloc_protect == PAGE_EXECUTE_WRITECOPY;

        m.AllocationBase = (PVOID)r->base;
        m.AllocationProtect = r->alloc_protect;
        m.State = c ? MEM_COMMIT : MEM_RESERVE;
        m.Type = r->view ? MEM_MAPPED : MEM_PRIVATE;
        /* A reserved page has no protection (0), as NT reports it. */
        m.Protect = c && in == 1 ? protect_of(v.perms, copy) : 0;
        end = r->base + r->len;
        if (in == 1 && same_end < end)
            end = same_end;
        while (i + 1 < n && r->base + (i + 1) * page() < end && committed(r, i + 1) == c)
            i++;
        m.RegionSize = r->base + (i + 1) * page() - addr;
    } else if (in == 1) {
        m.AllocationBase = (PVOID)v.start;
        m.AllocationProtect = protect_of(v.perms, 0);
        m.State = MEM_COMMIT;
        m.Protect = protect_of(v.perms, 0);
        m.Type = v.file ? MEM_IMAGE : MEM_PRIVATE;
        m.RegionSize = same_end - addr;
    } else {
        m.State = MEM_FREE;
        m.Protect = PAGE_NOACCESS;
        m.RegionSize = (v.start != 0 ? v.start : MAX_ADDRESS + 1) - addr;
    }
    pthread_mutex_unlock(&vlock);
    memcpy(lpBuffer, &m, sizeof m);
    return sizeof m;
}

/* ------------------------------------------------------------------------ */
/* VirtualAlloc                                                              */
/* ------------------------------------------------------------------------ */

/* A new reservation of len bytes at a 64 KiB boundary (at want, if not 0).
 * Returns its base, or 0 with *err. */
static uintptr_t reserve(uintptr_t want, size_t len, DWORD *err)
{
    void *p;

    if (want != 0) {
        p = mmap((void *)want, len, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED || (uintptr_t)p != want) {
            if (p != MAP_FAILED)
                munmap(p, len);
            *err = ERROR_INVALID_ADDRESS; /* in use */
            return 0;
        }
        return want;
    }
    if (len > SIZE_MAX - GRANULARITY ||
        (p = mmap(NULL, len + GRANULARITY, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)) == MAP_FAILED) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return 0;
    }
    {
        uintptr_t a = (uintptr_t)p, base = (a + GRANULARITY - 1) & ~(uintptr_t)(GRANULARITY - 1);
        if (base > a)
            munmap(p, base - a);
        if (a + len + GRANULARITY > base + len)
            munmap((void *)(base + len), a + len + GRANULARITY - (base + len));
        return base;
    }
}

/* Commit [addr, addr+len) of the region r (vlock held). Returns 0 or the
 * Win32 error. */
static DWORD commit(struct region *r, uintptr_t addr, size_t len, DWORD protect)
{
    int prot = prot_of(protect, r->view);

    if (prot < 0)
        return ERROR_INVALID_PARAMETER;
    if (r->view) {
        int max = prot_of(r->alloc_protect, 1);
        if (max < 0 || (prot & ~max) != 0 ||
            ((protect & 0xFF) == PAGE_READWRITE && (r->alloc_protect == PAGE_WRITECOPY ||
                                                    r->alloc_protect == PAGE_EXECUTE_WRITECOPY)))
            return ERROR_INVALID_PARAMETER; /* more than the view allows */
        if (r->reserve) {
            /* Fault the pages in through the view's own protection: they
             * are allocated in the section. */
            int adv = max & PROT_WRITE ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
            int rc = max != PROT_NONE ? madvise((void *)addr, len, adv) : 0, e = errno;
            if (rc != 0 && e != EINVAL)
                return e == ENOMEM ? ERROR_COMMITMENT_LIMIT : ERROR_NOT_ENOUGH_MEMORY;
            if (rc != 0) {
                /* A kernel older than 5.14: touch each page. */
                for (uintptr_t p = addr; p < addr + len; p += page()) {
                    if (max & PROT_WRITE)
                        __atomic_fetch_add((volatile char *)p, 0, __ATOMIC_RELAXED);
                    else
                        (void)*(volatile const char *)p;
                }
            }
        }
        if (mprotect((void *)addr, len, prot) != 0)
            return ERROR_INVALID_PARAMETER;
        return 0;
    }
    if (mprotect((void *)addr, len, prot) != 0)
        return errno == ENOMEM ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER;
    bits_set(r, (addr - r->base) / page(), len / page(), 1);
    return 0;
}

LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                           DWORD flProtect)
{
    const DWORD known = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_RESET_UNDO |
                        MEM_TOP_DOWN | MEM_LARGE_PAGES | MEM_WRITE_WATCH | MEM_PHYSICAL;
    DWORD type = flAllocationType & ~(DWORD)MEM_TOP_DOWN, err = 0;
    uintptr_t addr = (uintptr_t)lpAddress, first, last;
    struct region *r;
    LPVOID result = NULL;

    if (dwSize == 0 || (flAllocationType & ~known) != 0 || type == 0) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (type & (MEM_WRITE_WATCH | MEM_PHYSICAL | MEM_RESET_UNDO)) {
        mmf__w32_set_error(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    if (type & MEM_LARGE_PAGES) {
        mmf__w32_set_error(ERROR_PRIVILEGE_NOT_HELD); /* SeLockMemoryPrivilege */
        return NULL;
    }
    if ((type & MEM_RESET) && type != MEM_RESET) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (!valid_protect(flProtect)) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (addr > MAX_ADDRESS || dwSize > MAX_ADDRESS - addr) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((type & MEM_RESERVE) || addr == 0) {
        /* A new allocation; MEM_COMMIT alone without an address reserves
         * too. */
        struct region nr;
        size_t len;

        if (type == MEM_RESET) {
            mmf__w32_set_error(ERROR_INVALID_ADDRESS);
            return NULL;
        }
        if (prot_of(flProtect, 0) < 0) {
            mmf__w32_set_error(ERROR_INVALID_PARAMETER);
            return NULL;
        }
        first = addr & ~(uintptr_t)(GRANULARITY - 1);
        len = ((addr + dwSize + page() - 1) & ~(uintptr_t)(page() - 1)) - first;
        if (addr == 0)
            len = (dwSize + page() - 1) & ~(size_t)(page() - 1);
        memset(&nr, 0, sizeof nr);
        if ((nr.bits = calloc(len / page() / 8 + 1, 1)) == NULL) {
            mmf__w32_set_error(ERROR_NOT_ENOUGH_MEMORY);
            return NULL;
        }
        if ((nr.base = reserve(first, len, &err)) == 0) {
            free(nr.bits);
            mmf__w32_set_error(err);
            return NULL;
        }
        nr.len = len;
        nr.alloc_protect = flProtect;
        if (type & MEM_COMMIT)
            err = commit(&nr, nr.base, len, flProtect);
        if (err == 0 && add_region(&nr) < 0)
            err = ERROR_NOT_ENOUGH_MEMORY;
        if (err != 0) {
            munmap((void *)nr.base, len);
            free(nr.bits);
            mmf__w32_set_error(err);
            return NULL;
        }
        return (LPVOID)nr.base;
    }
    /* MEM_COMMIT or MEM_RESET inside an existing allocation or view. */
    first = addr & ~(uintptr_t)(page() - 1);
    last = (addr + dwSize + page() - 1) & ~(uintptr_t)(page() - 1);
    pthread_mutex_lock(&vlock);
    r = find(first);
    if (r == NULL || last - r->base > r->len) {
        err = ERROR_INVALID_ADDRESS; /* not (all) in one allocation */
    } else if (type == MEM_RESET) {
        /* The contents are of no more interest: private pages may be
         * dropped (MADV_FREE); a view's belong to the section and stay. */
        if (!r->view)
            madvise((void *)first, last - first, MADV_FREE);
        result = (LPVOID)first;
    } else if ((err = commit(r, first, last - first, flProtect)) == 0) {
        result = (LPVOID)first;
    }
    pthread_mutex_unlock(&vlock);
    if (err != 0)
        mmf__w32_set_error(err);
    return result;
}

/* ------------------------------------------------------------------------ */
/* VirtualFree                                                               */
/* ------------------------------------------------------------------------ */

BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    uintptr_t addr = (uintptr_t)lpAddress, first, last;
    struct region *r, old;
    DWORD err = 0;

    if (dwFreeType != MEM_DECOMMIT && dwFreeType != MEM_RELEASE) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (dwFreeType == MEM_RELEASE && dwSize != 0) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    pthread_mutex_lock(&vlock);
    r = find(addr);
    if (r == NULL) {
        err = ERROR_INVALID_ADDRESS; /* not allocated: V07 */
    } else if (r->view) {
        err = ERROR_INVALID_PARAMETER; /* views are unmapped, not freed */
    } else if (dwFreeType == MEM_RELEASE) {
        if (addr != r->base)
            err = ERROR_INVALID_ADDRESS; /* STATUS_FREE_VM_NOT_AT_BASE */
    } else {
        first = addr & ~(uintptr_t)(page() - 1);
        last = dwSize == 0 ? r->base + r->len
                           : (addr + dwSize + page() - 1) & ~(uintptr_t)(page() - 1);
        if (dwSize == 0 && addr != r->base) {
            err = ERROR_INVALID_PARAMETER;
        } else if (last < first || last - r->base > r->len) {
            err = ERROR_INVALID_ADDRESS;
        } else {
            /* Decommitted pages lose their contents and their access. */
            madvise((void *)first, last - first, MADV_DONTNEED);
            mprotect((void *)first, last - first, PROT_NONE);
            bits_set(r, (first - r->base) / page(), (last - first) / page(), 0);
        }
    }
    pthread_mutex_unlock(&vlock);
    if (err == 0 && dwFreeType == MEM_RELEASE && remove_region(addr, 0, &old)) {
        munmap((void *)old.base, old.len);
        free(old.bits);
    }
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* VirtualProtect                                                            */
/* ------------------------------------------------------------------------ */

BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                           PDWORD lpflOldProtect)
{
    uintptr_t addr = (uintptr_t)lpAddress, first, last, same_end;
    MEMORY_BASIC_INFORMATION m;
    struct region *r;
    struct vma v;
    DWORD err = 0;
    int prot;

    if (lpflOldProtect == NULL) {
        mmf__w32_set_error(ERROR_NOACCESS);
        return FALSE;
    }
    if (!valid_protect(flNewProtect) || dwSize == 0 || addr > MAX_ADDRESS ||
        dwSize > MAX_ADDRESS - addr) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    first = addr & ~(uintptr_t)(page() - 1);
    last = (addr + dwSize + page() - 1) & ~(uintptr_t)(page() - 1);
    if (VirtualQuery((LPCVOID)first, &m, sizeof m) == 0)
        return FALSE;
    pthread_mutex_lock(&vlock);
    r = find(first);
    if (r != NULL) {
        if (last - r->base > r->len) {
            err = ERROR_INVALID_ADDRESS;
        } else {
            for (uintptr_t p = first; p < last && err == 0; p += page()) {
                if (!committed(r, (p - r->base) / page()))
                    err = ERROR_INVALID_ADDRESS; /* not committed */
            }
        }
        prot = prot_of(flNewProtect, r->view);
        if (err == 0 && r->view) {
            int max = prot_of(r->alloc_protect, 1);
            /* A view's pages can have what its mapping allows, and a
             * copy-on-write view writes only copy-on-write. */
            if (prot < 0 || max < 0 || (prot & ~max) != 0 ||
                ((flNewProtect & 0xFF) == PAGE_READWRITE &&
                 (r->alloc_protect == PAGE_WRITECOPY ||
                  r->alloc_protect == PAGE_EXECUTE_WRITECOPY)))
                err = ERROR_INVALID_PARAMETER;
        } else if (err == 0 && prot < 0) {
            err = ERROR_INVALID_PARAMETER;
        }
    } else {
        /* Memory the façade did not allocate: any mapped range. */
        if (vma_at(first, &v, &same_end) != 1 || same_end < last)
            err = ERROR_INVALID_ADDRESS;
        else if ((prot = prot_of(flNewProtect, 0)) < 0)
            err = ERROR_INVALID_PARAMETER;
    }
    if (err == 0 && mprotect((void *)first, last - first, prot) != 0)
        err = errno == EACCES ? ERROR_INVALID_PARAMETER : ERROR_INVALID_ADDRESS;
    pthread_mutex_unlock(&vlock);
    if (err != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    *lpflOldProtect = m.Protect;
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* VirtualAllocExNuma                                                        */
/* ------------------------------------------------------------------------ */

/* MPOL_PREFERRED of <linux/mempolicy.h> (kernel ABI), as src/linux/os.c. */
#define NUMA_MPOL_PREFERRED 1

LPVOID WINAPI VirtualAllocExNuma(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize,
                                 DWORD flAllocationType, DWORD flProtect,
                                 DWORD nndPreferred)
{
    unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {0};
    const unsigned bits = 8 * sizeof(unsigned long);
    LPVOID p;

    if (hProcess != W32_PSEUDO_PROCESS) {
        DWORD err = 0, pid;
        struct w32_entry *e = mmf__w32_get(hProcess, W32_K(W32_PROCESS), &err);
        if (e == NULL) {
            mmf__w32_set_error(err);
            return NULL;
        }
        pid = mmf__w32_process_pid(e->u.process);
        mmf__w32_put(e);
        if (pid != (DWORD)getpid()) {
            mmf__w32_set_error(ERROR_ACCESS_DENIED); /* as F09 */
            return NULL;
        }
    }
    /* A node past the highest: J06. */
    if (nndPreferred != NUMA_NO_PREFERRED_NODE &&
        (nndPreferred > (DWORD)mmf_numa_highest_node() || nndPreferred >= 1024)) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((p = VirtualAlloc(lpAddress, dwSize, flAllocationType, flProtect)) == NULL ||
        nndPreferred == NUMA_NO_PREFERRED_NODE)
        return p;
    /* Private pages come at the first touch, which has not happened: the
     * policy of the whole allocation (or of the committed range) decides
     * where they go. Private memory has no native call to go through. */
    mask[nndPreferred / bits] = 1ul << (nndPreferred % bits);
    {
        uintptr_t first = (uintptr_t)p & ~(uintptr_t)(page() - 1);
        uintptr_t last = ((uintptr_t)p + dwSize + page() - 1) & ~(uintptr_t)(page() - 1);
        if (syscall(SYS_mbind, (void *)first, (unsigned long)(last - first),
                    NUMA_MPOL_PREFERRED, mask, (unsigned long)nndPreferred + 2, 0u) != 0 &&
            errno != ENOSYS) {
            /* A new allocation is given back; a commit inside an
             * existing one leaves it as it was. */
            if ((flAllocationType & MEM_RESERVE) || lpAddress == NULL)
                VirtualFree(p, 0, MEM_RELEASE);
            mmf__w32_set_error(ERROR_INVALID_PARAMETER);
            return NULL;
        }
    }
    return p;
}
