/* SPDX-License-Identifier: MIT */
/*
 * inspect.c - the Linux side of the inspection API.
 *
 * Looking must not change what is looked at. An object file is opened
 * read-only, its header read, and closed: no reference lock (a lister must
 * neither keep a live object alive nor revive a stale one), and no lock of
 * any kind (a lister must not hold up an open or a close). Only removal
 * takes locks, through mmf__linux_reclaim() in store.c.
 *
 * Where the numbers come from:
 *   - handles: the kernel's lock table, /proc/locks, one OFD read lock per
 *     handle. It lists every process's locks, whatever their owner.
 *   - stale: F_OFD_GETLK on our own descriptor (the store's own test), or,
 *     for an object we may not open, the lock table.
 *   - holders and views: /proc/<pid>/fd (descriptors of the object file)
 *     and /proc/<pid>/maps (mappings of its data), for the processes the
 *     caller may inspect. Handles in the others are "hidden".
 *   - resident: mincore() on a read-only shared mapping of the data, which
 *     reports the page cache without faulting anything in.
 *   - dirty: cachestat() (Linux 6.5) on the backing file of a file-backed
 *     section; unknown elsewhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../backend.h"
#include "linux.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/* cachestat(2), Linux 6.5; the C library may not declare it yet. New
 * system calls have one number on every architecture. */
#define CACHESTAT_NR 451
struct cachestat_range {
    uint64_t off;
    uint64_t len;
};
struct cachestat {
    uint64_t nr_cache;
    uint64_t nr_dirty;
    uint64_t nr_writeback;
    uint64_t nr_evicted;
    uint64_t nr_recently_evicted;
};

/* One object being inspected, and what the scans found about it. */
struct target {
    mmf_object_info *info;
    uint64_t dev, ino;       /* the object file */
    int ext;                 /* data lives in another file */
    uint64_t ddev, dino;     /* that file */
    uint64_t data_off;       /* where the data starts in the file mapped */
    uint64_t locks;          /* OFD locks found in /proc/locks */
    int locks_known;
    uint64_t seen;           /* handles found in inspected processes */
    unsigned p_handles;      /* in the process being scanned */
    unsigned p_views;
    int p_touched;
};

/* (device, inode) → target, sorted for bsearch. */
struct key {
    uint64_t dev, ino;
    size_t idx;
    int data;                /* 1: the external data file, 0: object file */
};

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->data - y->data;
}

static const struct key *key_find(const struct key *keys, size_t n,
                                  uint64_t dev, uint64_t ino)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid].dev < dev || (keys[mid].dev == dev && keys[mid].ino < ino))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && keys[lo].dev == dev && keys[lo].ino == ino ? &keys[lo] : NULL;
}

/* ------------------------------------------------------------------------ */
/* Store entries                                                             */
/* ------------------------------------------------------------------------ */

/* The store file prefixes in the caller's view: its own Local\ objects and
 * every Global\ one. */
static void scope_prefixes(char *local, size_t cap)
{
    snprintf(local, cap, "mmf.u%u.", (unsigned)geteuid());
}

#define GLOBAL_PREFIX "mmf.g0."

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The name a store file stands for, from the file name alone (used when
 * the header cannot be read). A hashed key stays "~<hash>". */
static void name_from_file(const char *file, int global, size_t prefix_len,
                           char *out, size_t cap)
{
    const char *k = file + prefix_len;
    size_t n = (size_t)snprintf(out, cap, "%s", global ? "Global\\" : "Local\\");

    while (*k != '\0' && n + 1 < cap) {
        int hi, lo;
        if (k[0] == '%' && (hi = hexval(k[1])) >= 0 && (lo = hexval(k[2])) >= 0) {
            out[n++] = (char)(hi * 16 + lo);
            k += 3;
        } else {
            out[n++] = *k++;
        }
    }
    out[n] = '\0';
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The most windows count_resident maps for one object: 1 TiB of data
 * that is really there. Past it the answer is MMF_UNKNOWN, not a wait. */
#define RESIDENT_WINDOWS_MAX 4096u

/*
 * Count the resident bytes of [off, off + len) of fd with mincore(),
 * mapping it read-only a window at a time. Only what the file really
 * holds is looked at: the range is cut to the file's size and its holes
 * are skipped (SEEK_DATA), so a huge sparse object - anyone may make one,
 * or write a huge size into a header - costs nothing. MMF_UNKNOWN if it
 * cannot be mapped or is too big to look at.
 */
static uint64_t count_resident(int fd, uint64_t off, uint64_t len)
{
    uint64_t page = mmf__os_page_size(), align = page, window, resident = 0, end;
    unsigned windows = 0;
    unsigned char *vec;
    struct statfs sf;
    struct stat st;

    if (fstat(fd, &st) != 0)
        return MMF_UNKNOWN;
    if (st.st_blocks == 0 || (uint64_t)st.st_size <= off)
        return 0;
    end = (uint64_t)st.st_size - off < len ? (uint64_t)st.st_size : off + len;
    /* hugetlbfs maps whole huge pages only. */
    if (fstatfs(fd, &sf) == 0 && sf.f_type == HUGETLBFS_MAGIC && sf.f_bsize > 0)
        align = (uint64_t)sf.f_bsize;
    window = (UINT64_C(256) << 20) / align * align;
    if (window == 0)
        window = align;
    vec = malloc((size_t)(window / page));
    if (vec == NULL)
        return MMF_UNKNOWN;
    for (uint64_t pos = off; pos < end;) {
        off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
        size_t n;
        void *p;
        if (data < 0 || (uint64_t)data >= end)
            break; /* the rest is a hole (ENXIO), or SEEK_DATA failed */
        pos = (uint64_t)data / align * align;
        n = (size_t)(end - pos < window ? (end - pos + align - 1) / align * align : window);
        if (++windows > RESIDENT_WINDOWS_MAX) {
            resident = MMF_UNKNOWN;
            break;
        }
        p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, (off_t)pos);
        if (p == MAP_FAILED) {
            resident = MMF_UNKNOWN;
            break;
        }
        if (mincore(p, n, vec) != 0) {
            munmap(p, n);
            resident = MMF_UNKNOWN;
            break;
        }
        for (size_t i = 0; i < n / page; i++)
            resident += (vec[i] & 1) ? page : 0;
        munmap(p, n);
        pos += n;
    }
    free(vec);
    return resident;
}

/* Dirty bytes of [0, len) of a regular file, or MMF_UNKNOWN. */
static uint64_t count_dirty(int fd, uint64_t len)
{
    struct cachestat_range r = {0, len};
    struct cachestat cs;
    if (syscall(CACHESTAT_NR, fd, &r, &cs, 0) != 0)
        return MMF_UNKNOWN;
    return (cs.nr_dirty + cs.nr_writeback) * mmf__os_page_size();
}

/* Open the backing file a header names (of the object file whose fstat is
 * obj), only if it is the recorded one; its fstat in *st. */
static int open_backing(const struct stat *obj, const struct mmf__hdr *h, struct stat *st)
{
    int fd = mmf__linux_open_external(h, obj, O_RDONLY);
    if (fd < 0)
        return fd; /* MMF_ENOENT (gone or replaced), MMF_EACCES, ... */
    if (fstat(fd, st) != 0) {
        int rc = mmf__linux_err(errno);
        close(fd);
        return rc;
    }
    return fd;
}

/* 1 if the header's name belongs to the store file `file`: a damaged or
 * planted header must not pass an entry off as another name. */
static int name_matches_file(const struct mmf__hdr *h, const char *file)
{
    struct mmf__name *nm = malloc(sizeof *nm);
    char path[PATH_MAX];
    const char *base;
    int ok = 0;

    if (nm == NULL)
        return 1; /* cannot check; the header validated */
    if (mmf__name_parse(h->name, 0, nm) == 0 &&
        nm->global == ((h->flags & MMF__HF_GLOBAL) != 0) &&
        mmf__linux_object_path(nm, path, sizeof path) == 0) {
        base = strrchr(path, '/');
        ok = base != NULL && strcmp(base + 1, file) == 0;
    }
    free(nm);
    return ok;
}

/*
 * Describe the store entry `file` in `dir` (whose prefix, of length
 * prefix_len, says Local\ or Global\) into t->info. Returns 0, MMF_ENOENT
 * if it is gone, or MMF_ENOMEM.
 */
static int describe(const char *dir, const char *file, int global,
                    size_t prefix_len, unsigned what, struct target *t)
{
    mmf_object_info *info = t->info;
    struct mmf__hdr *h;
    struct stat st;
    int fd, rc;

    memset(info, 0, sizeof *info);
    info->handles = info->processes = info->mappers = info->hidden = MMF_UNKNOWN;
    info->resident = info->dirty = MMF_UNKNOWN;
    if ((size_t)snprintf(info->store_file, sizeof info->store_file, "%s/%s", dir,
                         file) >= sizeof info->store_file)
        return MMF_ENOENT; /* cannot be one of ours: the store makes shorter */
    name_from_file(file, global, prefix_len, info->name, sizeof info->name);
    if (global)
        info->flags |= MMF_GLOBAL;
    if (lstat(info->store_file, &st) != 0)
        return MMF_ENOENT;
    info->uid = (uint32_t)st.st_uid;
    info->gid = (uint32_t)st.st_gid;
    info->mode = (unsigned)st.st_mode & 07777;
    t->dev = (uint64_t)st.st_dev;
    t->ino = (uint64_t)st.st_ino;
    if (!S_ISREG(st.st_mode)) {
        info->corrupt = 1; /* not ours: a link, a folder, a device... */
        return 0;
    }
    if ((uint64_t)st.st_size > MMF__HDR_SIZE)
        info->size = (uint64_t)st.st_size - MMF__HDR_SIZE;

    fd = open(info->store_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return MMF_ENOENT;
        return 0; /* readable stays 0: another user's object */
    }
    if (fstat(fd, &st) != 0 || st.st_nlink == 0) {
        close(fd);
        return MMF_ENOENT; /* removed between lstat and open */
    }
    info->readable = 1;
    t->dev = (uint64_t)st.st_dev;
    t->ino = (uint64_t)st.st_ino;
    info->allocated = (uint64_t)st.st_blocks * 512;
    info->allocated = info->allocated > MMF__HDR_SIZE ? info->allocated - MMF__HDR_SIZE : 0;
    rc = mmf__linux_other_holders(fd);
    info->stale = rc == 0;

    h = malloc(sizeof *h);
    if (h == NULL) {
        close(fd);
        return MMF_ENOMEM;
    }
    if (mmf__linux_load_header(fd, h) != 0 || !name_matches_file(h, file)) {
        info->corrupt = 1;
        free(h);
        close(fd);
        return 0;
    }
    copy_str(info->name, sizeof info->name, h->name);
    info->type = (int)h->type;
    info->version = h->version;
    info->size = h->size;
    info->prot = h->prot;
    info->flags = h->flags & (MMF_SECTION_RESERVE | MMF_SECTION_LARGE_PAGES);
    if (h->flags & MMF__HF_GLOBAL)
        info->flags |= MMF_GLOBAL;
    info->creator_pid = h->creator_pid;
    info->create_ns = h->create_ns;
    info->file_backed = (h->flags & MMF__HF_FILE) && !(h->flags & MMF_SECTION_LARGE_PAGES);
    if (info->file_backed)
        copy_str(info->file, sizeof info->file, h->path);
    t->data_off = h->hdr_size;
    if (h->flags & MMF__HF_FILE) {
        struct stat dst;
        int dfd = open_backing(&st, h, &dst);
        t->ext = 1;
        t->ddev = h->file_dev;
        t->dino = h->file_ino;
        t->data_off = 0;
        info->allocated = MMF_UNKNOWN;
        if (dfd >= 0) {
            info->allocated = (uint64_t)dst.st_blocks * 512;
            if ((what & MMF_INFO_RESIDENCY) && info->size > 0) {
                info->resident = count_resident(dfd, 0, info->size);
                if (info->file_backed)
                    info->dirty = count_dirty(dfd, info->size);
            }
            close(dfd);
        }
    } else if ((what & MMF_INFO_RESIDENCY) && h->data_size > 0) {
        info->resident = count_resident(fd, h->hdr_size, h->data_size);
    } else if (what & MMF_INFO_RESIDENCY) {
        info->resident = 0; /* a sync object: header only */
    }
    free(h);
    close(fd);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The lock table                                                            */
/* ------------------------------------------------------------------------ */

/*
 * /proc/locks is not a snapshot. The kernel makes it one page per read(),
 * walking the table afresh each time under a lock that holds up every
 * process taking or dropping a lock; each of them then gets in between
 * two reads. A lock added or dropped ahead of where the next read starts
 * shows lines twice or not at all. This is not rare: a process opening
 * and closing objects in a loop, held up by each read, shifts the table
 * between every two reads, so readings of a table longer than a page
 * miscount, and miscount the same way each time. Reading on after the
 * end has the same problem on a table of any size: the read that finds
 * the end walks the table again, and shows the lines it has gained.
 *
 * The kernel fills each read() with whole records (a lock, and the locks
 * waiting on it) while they fit in a page. So a read that comes back
 * short of a page by more than LOCK_RECORD_MAX ended at the end of the
 * table, and reading stops there. A table that came in one read is a
 * snapshot and its counts are exact: every table of up to about fifty
 * locks. A longer table can only be read in pieces made at different
 * moments; it is read until two readings agree line for line, which a
 * table that keeps changing may never do, and then its counts may be off
 * by the locks taken and dropped while it was read (KNOWN LIMITS in the
 * header).
 */
#define LOCK_RECORD_MAX 1024 /* a lock and a dozen waiters on it */
#define LOCK_READINGS 8

enum { LOCKS_UNREAD, LOCKS_PAGED, LOCKS_WHOLE };

/* One reading of the lock table: count the OFD locks (handles) on each
 * target's object file into t[i].locks and a digest of the lines (without
 * their ordinals) into *digest. Returns LOCKS_WHOLE for a snapshot,
 * LOCKS_PAGED for a table read in pieces, or LOCKS_UNREAD, leaving t as it
 * was, if the table cannot be read. */
static int read_locks(struct target *t, size_t n, const struct key *keys,
                      size_t nkeys, uint64_t *digest)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 0, cap = 0;
    int fd = open("/proc/locks", O_RDONLY | O_CLOEXEC), reads = 0;
    char *buf = NULL, *line, *next;
    ssize_t got = 0;

    if (fd < 0)
        return LOCKS_UNREAD;
    for (;;) {
        if (cap - len < 2 * page) {
            size_t want = cap ? 2 * cap : 8 * page;
            char *b = realloc(buf, want);
            if (b == NULL) {
                got = -1;
                break;
            }
            buf = b;
            cap = want;
        }
        if ((got = read(fd, buf + len, cap - len)) < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
        reads++;
        if ((size_t)got + LOCK_RECORD_MAX <= page)
            break; /* the end of the table */
    }
    close(fd);
    if (got < 0) {
        free(buf);
        return LOCKS_UNREAD;
    }

    for (size_t i = 0; i < n; i++) {
        t[i].locks = 0;
        t[i].locks_known = 1;
    }
    *digest = 14695981039346656037u; /* FNV-1a */
    for (line = buf; line < buf + len; line = next) {
        /* "N: OFDLCK ADVISORY READ -1 MAJ:MIN:INO START END"; a waiter
         * has "->" after the number and holds nothing. */
        char kind[16], mand[16], rw[16], end[24];
        unsigned maj, min;
        unsigned long long ino, start;
        long pid;
        const char *p;
        const struct key *k;

        if ((next = memchr(line, '\n', (size_t)(buf + len - line))) == NULL)
            break; /* lines are whole; this cannot happen */
        *next++ = '\0';
        if ((p = strchr(line, ':')) == NULL)
            continue;
        for (const char *c = p; *c != '\0'; c++)
            *digest = (*digest ^ (unsigned char)*c) * 1099511628211u;
        if (strstr(line, "->") != NULL ||
            sscanf(p + 1, "%15s %15s %15s %ld %x:%x:%llu %llu %23s", kind, mand, rw,
                   &pid, &maj, &min, &ino, &start, end) != 9 ||
            strcmp(kind, "OFDLCK") != 0)
            continue;
        /* A handle is an OFD read lock on byte 1 of the object file (its
         * description also holds byte 0, so the kernel usually shows the
         * two as one range from 0); a lock on byte 0 alone is a process
         * in the middle of an open or a close, not a handle. Channel
         * endpoints' claims are in another file (linux.h). */
        if (start > 1 || (start == 0 && strcmp(end, "0") == 0))
            continue;
        k = key_find(keys, nkeys, (uint64_t)makedev(maj, min), ino);
        for (; k != NULL && k < keys + nkeys && k->dev == makedev(maj, min) &&
               k->ino == ino; k++) {
            if (!k->data)
                t[k->idx].locks++;
        }
    }
    free(buf);
    return reads <= 1 ? LOCKS_WHOLE : LOCKS_PAGED;
}

/* Fill t[i].locks from a snapshot of the lock table if one can be had,
 * else from two readings that agree, else from the last reading. */
static void count_locks(struct target *t, size_t n, const struct key *keys,
                        size_t nkeys)
{
    uint64_t digest = 0, prev;

    for (int r = 0; r < LOCK_READINGS; r++) {
        prev = digest;
        /* Unread: the last reading, if any, stands. */
        if (read_locks(t, n, keys, nkeys, &digest) != LOCKS_PAGED ||
            (r > 0 && digest == prev))
            return;
    }
}

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */
/* ------------------------------------------------------------------------ */

/* Collected holders of one target (detailed mode). */
struct holders {
    mmf_holder *list;
    size_t count, cap;
    mmf_view_range *views;   /* views of the process being scanned */
    size_t nviews, capviews;
    int failed;              /* out of memory */
};

static void add_view(struct holders *hs, uint64_t offset, uint64_t length,
                     unsigned map)
{
    if (hs->nviews == hs->capviews) {
        size_t cap = hs->capviews ? 2 * hs->capviews : 4;
        mmf_view_range *v = realloc(hs->views, cap * sizeof *v);
        if (v == NULL) {
            hs->failed = 1;
            return;
        }
        hs->views = v;
        hs->capviews = cap;
    }
    hs->views[hs->nviews++] = (mmf_view_range){offset, length, map};
}

static void add_holder(struct holders *hs, long pid, unsigned handles)
{
    mmf_holder *h;
    char path[64];
    FILE *f;

    if (hs->count == hs->cap) {
        size_t cap = hs->cap ? 2 * hs->cap : 8;
        mmf_holder *l = realloc(hs->list, cap * sizeof *l);
        if (l == NULL) {
            hs->failed = 1;
            return;
        }
        hs->list = l;
        hs->cap = cap;
    }
    h = &hs->list[hs->count++];
    memset(h, 0, sizeof *h);
    h->pid = pid;
    h->handles = handles;
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    if ((f = fopen(path, "re")) != NULL) {
        if (fgets(h->command, sizeof h->command, f) != NULL)
            h->command[strcspn(h->command, "\n")] = '\0';
        fclose(f);
    }
    if (hs->nviews > 0) {
        h->views = malloc(hs->nviews * sizeof *h->views);
        if (h->views == NULL) {
            hs->failed = 1;
        } else {
            memcpy(h->views, hs->views, hs->nviews * sizeof *h->views);
            h->nviews = hs->nviews;
        }
    }
}

/* MMF_MAP_* of a mapping from its /proc/<pid>/maps permissions "rwxs". */
static unsigned map_of_perms(const char *perms)
{
    unsigned m;
    if (perms[3] == 's')
        m = perms[1] == 'w' ? MMF_MAP_WRITE : perms[0] == 'r' ? MMF_MAP_READ : MMF_MAP_NONE;
    else
        m = perms[0] == 'r' ? MMF_MAP_COPY : MMF_MAP_NONE;
    if (perms[2] == 'x' && m != MMF_MAP_NONE)
        m |= MMF_MAP_EXEC;
    return m;
}

/* Find the target a mapping line belongs to: by device and inode, or, for
 * an external file whose mapping shows another device (overlay file
 * systems report the lower file's), by path and inode. */
static const struct key *find_mapping(const struct key *keys, size_t nkeys,
                                      const struct target *t, uint64_t dev,
                                      uint64_t ino, const char *path,
                                      struct key *tmp)
{
    const struct key *k = key_find(keys, nkeys, dev, ino);
    if (k != NULL || path[0] != '/')
        return k;
    for (size_t i = 0; i < nkeys; i++) {
        const struct target *x = &t[keys[i].idx];
        size_t len;
        if (!keys[i].data || x->dino != ino)
            continue;
        len = strlen(x->info->file);
        if (len > 0 && strncmp(path, x->info->file, len) == 0 &&
            (path[len] == '\0' || strcmp(path + len, " (deleted)") == 0)) {
            *tmp = keys[i];
            return tmp;
        }
    }
    return NULL;
}

/* Scan one process. */
/* 1 if descriptor fd of process pid holds a channel endpoint's claim
 * (an OFD lock past byte 0, linux.h) rather than being a handle. */
static int is_claim_fd(long pid, const char *fd)
{
    char path[64 + NAME_MAX], *line = NULL;
    size_t cap = 0;
    int claim = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/fdinfo/%s", pid, fd);
    if ((f = fopen(path, "re")) == NULL)
        return 0;
    while (!claim && getline(&line, &cap, f) > 0) {
        unsigned long long start;
        const char *p = strstr(line, "OFDLCK");
        /* "lock:\t1: OFDLCK ADVISORY WRITE PID MAJ:MIN:INO START END" */
        if (p != NULL && sscanf(p, "OFDLCK %*s %*s %*d %*x:%*x:%*u %llu", &start) == 1 &&
            start >= MMF__POSIX_CLAIM_BASE)
            claim = 1;
    }
    free(line);
    fclose(f);
    return claim;
}

static void scan_pid(long pid, struct target *t, const struct key *keys,
                     size_t nkeys, size_t *touched, struct holders *hs)
{
    char path[64], link[PATH_MAX + 16], *line = NULL;
    size_t ntouched = 0, cap = 0;
    struct dirent *e;
    DIR *d;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    if ((d = opendir(path)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            struct stat st;
            const struct key *k;
            ssize_t n;
            if (e->d_name[0] == '.')
                continue;
            n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
            /* Sockets, pipes and anonymous files are not "/..." */
            if (n <= 0 || link[0] != '/' || fstatat(dirfd(d), e->d_name, &st, 0) != 0)
                continue;
            k = key_find(keys, nkeys, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
            if (k == NULL || k->data || is_claim_fd(pid, e->d_name))
                continue;
            if (!t[k->idx].p_touched) {
                t[k->idx].p_touched = 1;
                touched[ntouched++] = k->idx;
            }
            t[k->idx].p_handles++;
        }
        closedir(d);
    }

    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    if ((f = fopen(path, "re")) != NULL) {
        while (getline(&line, &cap, f) > 0) {
            unsigned long long start, end, off, ino;
            unsigned maj, min;
            char perms[8];
            int pos = 0;
            const struct key *k;
            struct key tmp;
            struct target *x;
            uint64_t section_off;

            if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms,
                       &off, &maj, &min, &ino, &pos) < 7 ||
                ino == 0 || strlen(perms) < 4)
                continue;
            line[strcspn(line, "\n")] = '\0';
            k = find_mapping(keys, nkeys, t, (uint64_t)makedev(maj, min), ino,
                             line + pos, &tmp);
            if (k == NULL)
                continue;
            x = &t[k->idx];
            if (x->ext != k->data)
                continue; /* object file of an external section: its header */
            if (off < x->data_off)
                continue; /* the header page (sync state), not a view */
            section_off = off - x->data_off;
            if (!x->p_touched) {
                x->p_touched = 1;
                touched[ntouched++] = k->idx;
            }
            x->p_views++;
            if (hs != NULL)
                add_view(hs, section_off, end - start, map_of_perms(perms));
        }
        free(line);
        fclose(f);
    }

    for (size_t i = 0; i < ntouched; i++) {
        struct target *x = &t[touched[i]];
        if (x->p_handles > 0)
            x->info->processes++;
        if (x->p_views > 0)
            x->info->mappers++;
        x->seen += x->p_handles;
        if (hs != NULL)
            add_holder(hs, pid, x->p_handles);
        x->p_handles = x->p_views = 0;
        x->p_touched = 0;
    }
    if (hs != NULL)
        hs->nviews = 0;
}

/* Build the sorted keys of n targets. Returns NULL if out of memory. */
static struct key *make_keys(const struct target *t, size_t n, size_t *nkeys)
{
    struct key *keys = malloc((2 * n + 1) * sizeof *keys);
    size_t k = 0;
    if (keys == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        keys[k++] = (struct key){t[i].dev, t[i].ino, i, 0};
        if (t[i].ext)
            keys[k++] = (struct key){t[i].ddev, t[i].dino, i, 1};
    }
    qsort(keys, k, sizeof *keys, key_cmp);
    *nkeys = k;
    return keys;
}

/* Fill handles, processes, mappers and hidden of every target. */
static int gather(struct target *t, size_t n, unsigned what, struct holders *hs)
{
    size_t nkeys, *touched;
    struct key *keys;

    if (n == 0)
        return 0;
    if ((keys = make_keys(t, n, &nkeys)) == NULL)
        return MMF_ENOMEM;
    count_locks(t, n, keys, nkeys);
    if (what & MMF_INFO_PROCESSES) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        touched = malloc(n * sizeof *touched);
        if (touched == NULL || d == NULL) {
            free(touched);
            if (d != NULL)
                closedir(d);
            free(keys);
            return d == NULL ? MMF_EIO : MMF_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            t[i].info->processes = t[i].info->mappers = 0;
        while ((e = readdir(d)) != NULL) {
            char *endp;
            long pid = strtol(e->d_name, &endp, 10);
            if (*endp == '\0' && pid > 0)
                scan_pid(pid, t, keys, nkeys, touched, hs);
        }
        closedir(d);
        free(touched);
    }
    free(keys);

    for (size_t i = 0; i < n; i++) {
        mmf_object_info *info = t[i].info;
        if (t[i].locks_known) {
            info->handles = t[i].locks;
            if (!info->readable && !info->corrupt)
                info->stale = t[i].locks == 0;
            /* Our own test says held but the table shows none: the holders
             * are in a PID namespace whose locks we are not shown. */
            if (info->readable && !info->stale && t[i].locks == 0)
                info->handles = MMF_UNKNOWN;
        }
        if (what & MMF_INFO_PROCESSES)
            info->hidden = info->handles == MMF_UNKNOWN ? MMF_UNKNOWN
                           : info->handles > t[i].seen ? info->handles - t[i].seen
                                                        : 0;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The API                                                                   */
/* ------------------------------------------------------------------------ */

int mmf__os_inspect_list(unsigned what, mmf_object_info **list, size_t *count)
{
    const char *dir;
    char local[32];
    mmf_object_info *infos = NULL;
    struct target *t = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    DIR *d;
    int rc = 0;

    if ((rc = mmf__linux_store_dir(&dir)) < 0)
        return rc;
    scope_prefixes(local, sizeof local);
    /* A missing store is an error, not an empty one: a mistyped
     * MMF_STORE_DIR must not look like "nothing there". */
    if ((d = opendir(dir)) == NULL)
        return mmf__linux_err(errno);
    while ((e = readdir(d)) != NULL) {
        int global = strncmp(e->d_name, GLOBAL_PREFIX, sizeof GLOBAL_PREFIX - 1) == 0;
        size_t plen = global ? sizeof GLOBAL_PREFIX - 1 : strlen(local);
        /* '+' starts a channel's claims companion (store.c), part of its
         * channel rather than an object of its own. */
        if ((!global && strncmp(e->d_name, local, plen) != 0) || e->d_name[plen] == '\0' ||
            e->d_name[plen] == '+')
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            mmf_object_info *ni = realloc(infos, ncap * sizeof *ni);
            struct target *nt;
            if (ni != NULL)
                infos = ni;
            nt = ni != NULL ? realloc(t, ncap * sizeof *nt) : NULL;
            if (nt == NULL) {
                rc = MMF_ENOMEM;
                break;
            }
            t = nt;
            cap = ncap;
        }
        memset(&t[n], 0, sizeof t[n]);
        t[n].info = &infos[n];
        rc = describe(dir, e->d_name, global, plen, what, &t[n]);
        if (rc == MMF_ENOENT) { /* removed meanwhile */
            rc = 0;
            continue;
        }
        if (rc < 0)
            break;
        n++;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++)
        t[i].info = &infos[i]; /* the array may have moved */
    if (rc == 0)
        rc = gather(t, n, what, NULL);
    free(t);
    if (rc < 0) {
        free(infos);
        return rc;
    }
    *list = infos;
    *count = n;
    return 0;
}

/* The store directory, file name and scope of the object named nm. */
static int locate(const struct mmf__name *nm, char *path, size_t cap,
                  const char **file, size_t *prefix_len)
{
    char *slash;
    int rc = mmf__linux_object_path(nm, path, cap);
    if (rc < 0)
        return rc;
    slash = strrchr(path, '/');
    *slash = '\0';
    *file = slash + 1;
    *prefix_len = (size_t)(strchr(*file + 4, '.') - *file) + 1;
    return 0;
}

/* describe() one named object; its header must carry that name. */
static int describe_name(const struct mmf__name *nm, unsigned what,
                         struct target *t)
{
    char path[PATH_MAX];
    const char *file;
    size_t plen;
    int rc;

    if ((rc = locate(nm, path, sizeof path, &file, &plen)) < 0)
        return rc;
    if ((rc = describe(path, file, nm->global, plen, what, t)) < 0)
        return rc;
    /* Two over-long names may share a hashed file; report the one found
     * as what it is, not as the name asked for. */
    if (t->info->readable && !t->info->corrupt && strcmp(t->info->name, nm->full) != 0)
        return MMF_ENOENT;
    return 0;
}

int mmf__os_inspect_stat(const struct mmf__name *nm, unsigned what,
                         mmf_object_info *info)
{
    struct target t;
    int rc;

    memset(&t, 0, sizeof t);
    t.info = info;
    if ((rc = describe_name(nm, what, &t)) < 0)
        return rc;
    return gather(&t, 1, what, NULL);
}

int mmf__os_inspect_holders(const struct mmf__name *nm, mmf_holder **list,
                            size_t *count, uint64_t *hidden)
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
        rc = gather(&t, 1, MMF_INFO_PROCESSES, &hs);
    free(hs.views);
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

int mmf__os_inspect_remove(const struct mmf__name *nm)
{
    char path[PATH_MAX];
    struct stat st;
    int rc = mmf__linux_object_path(nm, path, sizeof path);
    if (rc < 0)
        return rc;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? MMF_ENOENT : mmf__linux_err(errno);
    return mmf__linux_reclaim(path);
}

int mmf__os_inspect_gc(mmf_object_info **removed, size_t *count)
{
    mmf_object_info *all;
    size_t n, kept = 0;
    int rc, failed = 0;

    if ((rc = mmf__os_inspect_list(0, &all, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!all[i].stale && !all[i].corrupt)
            continue;
        rc = mmf__linux_reclaim(all[i].store_file);
        if (rc == 0)
            all[kept++] = all[i];
        else if (rc != MMF_EBUSY && rc != MMF_ENOENT)
            failed++; /* another user's, a non-empty folder, an I/O error */
        /* MMF_EBUSY: held after all (a corrupt entry with holders, or a
         * name created again meanwhile); MMF_ENOENT: someone else
         * reclaimed it. Neither is ours to report. */
    }
    if (kept == 0) {
        free(all);
        all = NULL;
    }
    *removed = all;
    *count = kept;
    return failed;
}

/* Open the object file of nm read-only, without a lock (as
 * every inspection call), and load its header into *h. Returns the fd, or
 * MMF_ENOENT (absent, or another name sharing a hashed file), or an MMF_E*
 * code. */
static int open_object(const struct mmf__name *nm, struct mmf__hdr *h)
{
    char path[PATH_MAX];
    int fd, rc;

    if ((rc = mmf__linux_object_path(nm, path, sizeof path)) < 0)
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ELOOP ? MMF_ECORRUPT : mmf__linux_err(errno);
    if ((rc = mmf__linux_load_header(fd, h)) < 0) {
        close(fd);
        return rc;
    }
    if (strcmp(h->name, nm->full) != 0) {
        close(fd);
        return MMF_ENOENT;
    }
    return fd;
}

/* Copy length bytes of the object's data from offset (zeros past the end
 * of the file). pread, not a mapping: reading a hole of a sparse section
 * must not commit memory to it. */
static int read_data(int fd, const struct mmf__hdr *h, uint64_t offset,
                     void *buf, size_t length, size_t *done)
{
    struct stat st;
    uint64_t base;
    int dfd, rc = 0;

    *done = 0;
    if (h->flags & MMF__HF_FILE) {
        struct stat obj;
        if (fstat(fd, &obj) != 0)
            return mmf__linux_err(errno);
        /* MMF_ENOENT when the file was renamed, deleted or replaced;
         * MMF_EACCES when the caller may not read it. */
        if ((dfd = open_backing(&obj, h, &st)) < 0)
            return dfd;
        base = 0;
    } else {
        dfd = fd;
        base = h->hdr_size;
    }
    while (*done < length) {
        ssize_t n = pread(dfd, (char *)buf + *done, length - *done,
                          (off_t)(base + offset + *done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = mmf__linux_err(errno);
            break;
        }
        if (n == 0) {
            memset((char *)buf + *done, 0, length - *done);
            *done = length;
            break;
        }
        *done += (size_t)n;
    }
    if (dfd != fd)
        close(dfd);
    return rc;
}

int mmf__os_inspect_read(const struct mmf__name *nm, uint64_t offset, void *buf,
                         size_t length, size_t *done)
{
    struct mmf__hdr *h;
    int fd, rc;

    *done = 0;
    if ((h = malloc(sizeof *h)) == NULL)
        return MMF_ENOMEM;
    if ((fd = open_object(nm, h)) < 0) {
        free(h);
        return fd;
    }
    if (h->type != MMF__TYPE_SECTION)
        rc = MMF_ETYPE;
    else if (offset > h->size)
        rc = MMF_ERANGE;
    else
        rc = read_data(fd, h, offset, buf,
                       length > h->size - offset ? (size_t)(h->size - offset) : length,
                       done);
    free(h);
    close(fd);
    return rc;
}

/*
 * Mark the live claims in slots [lo, hi). F_OFD_GETLK reports one
 * conflicting lock of the range, not necessarily the lowest, so the two
 * sides of each one found are probed again: two calls per claim, plus one.
 */
static int find_claims(int fd, uint32_t lo, uint32_t hi, uint8_t *claims)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = (off_t)(MMF__POSIX_CLAIM_BASE + lo),
                       .l_len = (off_t)(hi - lo)};
    uint64_t at;
    uint32_t slot;
    int rc;

    if (lo >= hi)
        return 0;
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
        return mmf__linux_err(errno);
    if (fl.l_type == F_UNLCK)
        return 0;
    /* The lock found may extend past the range (not one of ours): its
     * overlap with the range starts at the larger of the two starts. */
    at = (uint64_t)fl.l_start < MMF__POSIX_CLAIM_BASE + lo
             ? MMF__POSIX_CLAIM_BASE + lo : (uint64_t)fl.l_start;
    if (at >= MMF__POSIX_CLAIM_BASE + hi)
        return 0;
    slot = (uint32_t)(at - MMF__POSIX_CLAIM_BASE);
    claims[slot / 8] = (uint8_t)(claims[slot / 8] | (1u << (slot % 8)));
    if ((rc = find_claims(fd, lo, slot, claims)) < 0)
        return rc;
    return find_claims(fd, slot + 1, hi, claims);
}

int mmf__os_inspect_channel(const struct mmf__name *nm, struct mmf__hdr *h,
                            void *ctl, size_t len, uint8_t *claims)
{
    size_t done;
    int fd, rc;

    memset(claims, 0, MMF__CLAIM_SLOTS / 8);
    if ((fd = open_object(nm, h)) < 0)
        return fd;
    if (h->type != MMF__TYPE_CHANNEL) {
        close(fd);
        return MMF_ETYPE;
    }
    rc = read_data(fd, h, 0, ctl, len, &done);
    if (rc == 0) {
        /* Claims are locks on the channel's companion file, which only
         * those who may write the channel can open: to others the
         * endpoints are unknown, and reported as none. */
        char path[PATH_MAX];
        int cfd = mmf__linux_object_path(nm, path, sizeof path) == 0
                      ? mmf__linux_companion_open(path, fd, h) : -1;
        if (cfd >= 0) {
            rc = find_claims(cfd, 0, MMF__CLAIM_SLOTS, claims);
            close(cfd);
        }
    }
    close(fd);
    return rc;
}

/* 1 if the maps of process pid show a mapping of the file (dev, ino), or
 * of an inode `ino` at `path` (overlay file systems report the lower
 * file's device in maps). */
static int pid_maps_file(const char *pid, uint64_t dev, uint64_t ino, const char *path)
{
    char file[sizeof "/proc//maps" + 256], *line = NULL;
    size_t cap = 0, plen = strlen(path);
    int found = 0;
    FILE *f;

    snprintf(file, sizeof file, "/proc/%s/maps", pid);
    if ((f = fopen(file, "re")) == NULL)
        return 0; /* gone, or not ours to inspect */
    while (!found && getline(&line, &cap, f) > 0) {
        unsigned long long m_ino;
        unsigned maj, min;
        int pos = 0;
        if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu %n", &maj, &min, &m_ino, &pos) < 3 ||
            m_ino != ino)
            continue;
        line[strcspn(line, "\n")] = '\0';
        if ((uint64_t)makedev(maj, min) == dev ||
            (plen > 0 && strncmp(line + pos, path, plen) == 0 &&
             (line[pos + plen] == '\0' || strcmp(line + pos + plen, " (deleted)") == 0)))
            found = 1;
    }
    free(line);
    fclose(f);
    return found;
}

int mmf__os_file_mapped(int fd)
{
    char proc[64], path[PATH_MAX];
    struct stat st;
    struct dirent *e;
    ssize_t n;
    int found = 0;
    DIR *d;

    if (fstat(fd, &st) != 0)
        return MMF_EBADF;
    if (!S_ISREG(st.st_mode))
        return 0;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    n = readlink(proc, path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
    if ((d = opendir("/proc")) == NULL)
        return mmf__linux_err(errno);
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        found = pid_maps_file(e->d_name, (uint64_t)st.st_dev, (uint64_t)st.st_ino, path);
    }
    closedir(d);
    return found;
}
