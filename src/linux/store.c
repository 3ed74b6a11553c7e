/* SPDX-License-Identifier: MIT */
/*
 * store.c - the Linux object store: named objects as files in /dev/shm.
 *
 * LAYOUT
 *
 * Each object is one file, "<store>/mmf.<scope>.<key>", where <store> is
 * /dev/shm (or $MMF_STORE_DIR), <scope> is "u<uid>" for Local\ names and
 * "g0" for Global\ names, and <key> is the name after its prefix with every
 * byte outside [A-Za-z0-9._-] written as %XX. The fixed "mmf." start means
 * no name can form ".", ".." or a path; a key too long for a file name is
 * replaced by "~" and a 128-bit hash, the full name being kept in the header
 * and compared on open. The file holds one header page (struct mmf__hdr)
 * followed by the data of a pagefile-backed section. File-backed and
 * huge-page sections keep their data in another file that the header names.
 *
 * REFERENCES AND LIFETIME
 *
 * A handle is an open file description (OFD) of the object file holding
 * shared OFD locks on bytes 0 and 1. The kernel drops a process's OFD locks
 * when it dies, so the set of lock holders is exactly the set of live
 * handles, and an object file nobody locks is stale: every holder died.
 * Handles release their locks explicitly on close, since a view's mapping
 * keeps the OFD (and so, otherwise, the locks) alive after the descriptor
 * is closed.
 *
 * Deciding "last handle" and "stale" must not race with a concurrent open.
 * No lock a process with read permission alone can take may stand in the
 * owner's way (a reader may hold read locks anywhere, and flock() works on
 * read-only descriptors), so the decision is a lock *conversion*: only a
 * process that can convert its read lock on byte 0 into a write lock, which
 * needs a descriptor open for writing, removes a name. The invariants:
 *
 *   I1 byte 0, read lock ("present"): held by every handle's OFD and by a
 *      process in the middle of an open, close or reclaim of the object.
 *   I2 byte 1, read lock ("established"): held by every handle's OFD once
 *      its open is complete; never by a process still deciding.
 *   I3 byte 0, write lock: held only by a process that is the sole one
 *      present; it excludes every new "present" lock, so while it is held
 *      nobody can join, and its holder may unlink the name (if the name
 *      still leads to this inode: dev/ino check) and then drops it.
 *   I4 a name is only ever unlinked under I3, and an opener only counts as
 *      open after taking "present" and then checking that the path still
 *      names the file (st_nlink > 0, same dev/ino): so no handle can be
 *      made on an unlinked file, and no name is unlinked under a handle.
 *   I5 nothing waits on a lock: every lock request is non-blocking, and
 *      every retry loop is bounded in time.
 *
 *   open:   open the path read-write (read-only without write permission).
 *           Fast path: look whether another OFD is established (one
 *           F_OFD_GETLK); if so, take "present" and "established" in one
 *           request, then fstat: if st_nlink is 0 the name was removed
 *           meanwhile (start again); else read and check the header and
 *           count as open. The look comes before our own lock, so the
 *           handle seen may close before we lock: then either it removed
 *           the name (st_nlink is 0: start again), or it saw us
 *           established and left the name to us; an open that fails its
 *           header checks after that closes as a handle would (the close
 *           protocol below), so the name is not left behind. "Still
 *           named" is st_nlink > 0 because an object file is only ever
 *           linked once, by its creator, and only unlinked under I3,
 *           which our "present" excludes; a writer that links it
 *           elsewhere can only confuse opens of its own object (every
 *           unlink still checks dev/ino of the name).
 *           Slow path (nobody established): take "present" alone. If
 *           that fails, a closer or reclaimer holds I3 for microseconds
 *           (or a writer holds it to spite us: writers may break their
 *           object): back off and start again, for at most about two
 *           seconds (MMF_EBUSY). Check the path still names the file
 *           (fstat, lstat), else start again. If another OFD is
 *           established now, take "established": open. Otherwise
 *           everyone else present is also deciding, or nobody is: try to
 *           convert to I3. Success: the object is stale; unlink it and
 *           report "absent". Failure: back off briefly and start again;
 *           after a few milliseconds of this (DECIDE_LIMIT_NS), whoever
 *           is present (say a reader that holds byte 0 and never lets
 *           go) is taken as a holder and the open joins it, so a reader
 *           cannot stall an open. That limit is the second place where a
 *           bound weakens the protocol: openers that keep colliding on a
 *           stale object for that long revive it (verify/store.pml).
 *   close:  if the reference was made by the fast path (others were
 *           established then, ref.others), first drop "established" and
 *           look for another established OFD: found, it decides later,
 *           drop "present" and go (three lock calls, no conversion).
 *           Otherwise, or when none is found, try to convert "present"
 *           to I3 (non-blocking). Success: no other OFD holds byte 0 and
 *           none can join: unlink the name if it still names this file
 *           (lstat dev/ino), and close: the locks go with the descriptor,
 *           or, if a view keeps the description alive, stay on a file
 *           no name leads to, in nobody's way. Failure: drop
 *           "established"; if another OFD is established it decides
 *           later: drop "present" and go. Else every other presence is
 *           deciding too (two last closers, or a closer and an opener):
 *           step aside (drop "present"), wait a random moment, take
 *           "present" again and repeat, a bounded number of times. If
 *           the name is still there at the end, it is stale for the next
 *           opener or sweep.
 *   create: build the complete file unnamed (O_TMPFILE), take both locks,
 *           then link it under its name; linkat fails if the name exists,
 *           so nobody ever sees a half-made object.
 *
 * verify/store.pml checks this protocol with SPIN, with processes killed
 * at any step; verify/README.md maps its steps to the functions here.
 *
 * Why the interleavings are safe:
 *   - two last closers: each fails to convert (the other is present), each
 *     sees nobody established and steps aside at random moments; the first
 *     to find itself alone converts and unlinks, the other then finds the
 *     name gone (or unlinks a stale leftover itself).
 *   - closer and opener: if the opener saw the closer established, it takes
 *     "established" and the closer sees it and leaves the name alone; if it
 *     did not, neither is established, and whichever converts first decides:
 *     a closer unlinks (the open is after the close: "absent"), an opener
 *     finds the object stale and unlinks it (same answer).
 *   - reclaimer (stale open, gc, sweep) and opener: the same as two
 *     openers; a reclaimer only unlinks under I3, and I3 fails while an
 *     opener is present.
 *   - a forked child holds its parent's OFDs: OFD locks belong to the
 *     description, not the process, so only the process that made a
 *     reference (ref.pid) ever converts or drops its locks; a child closing
 *     an inherited handle just closes its descriptors.
 *   - a process that dies anywhere releases its locks by dying; a name left
 *     behind by a closer that died between the conversion and the unlink is
 *     stale, and reclaimed by the next opener or sweep.
 *   - a user without write permission cannot convert, so it never removes
 *     a name: a stale object it finds is "absent" to it, and left for the
 *     next opener with write permission, the sweep of its owner or `mmf gc`.
 *
 * CHANNEL CLAIMS
 *
 * A channel endpoint's claim is a write lock, and any lock on a file a
 * reader can open can be blocked by that reader. So claims live in a
 * companion file, "<store>/mmf.<scope>.+<inode in hex>" ('+' is never in an
 * encoded name), created with the channel and linked before it, whose mode
 * grants read and write to exactly the classes that may write the channel,
 * and nothing to the others. The channel's header records its inode; the
 * companion holds the channel's file name, and is removed with the channel
 * (only if it names that channel: the header is untrusted). A companion
 * whose channel is gone and that nobody locks is removed by the sweep.
 *
 * SWEEP
 *
 * Objects whose holders were all killed are reclaimed on the next use of
 * their name, and by a sweep: at most once a second per process, the first
 * create, open or close reads one bounded part of the store folder
 * (SWEEP_READ bytes of entries, from the directory offset where the last
 * sweep stopped; from the start after it reached the end), examines up to
 * SWEEP_BATCH of the caller's own entries in it, notes those nobody holds,
 * and reclaims the ones the previous sweep noted that are still unheld (so
 * an object is swept once it has been stale for a sweep interval, not
 * while a tool may be looking at a fresh crash). No sweep costs in
 * proportion to the number of entries in the store.
 *
 * THE REFERENCE TABLE
 *
 * What this process holds is found by path in a hash table (struct ref,
 * `table`) under a per-process random key, so that opening a name the
 * process holds and closing a handle cost the same whatever it holds, and
 * names chosen by others cannot make them slower.
 */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "hash.h"
#include "linux.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/*
 * What this process holds of one object: an open file description with the
 * reference lock, shared by all of the process's handles to the object that
 * need no more access than its descriptors allow. As on Windows, a handle
 * is a per-process entry referring to one system object: opening a name
 * this process already holds, duplicating and closing a handle that is not
 * the process's last are table operations, without system calls.
 */
struct ref {
    struct mmf__linux_hnode node; /* first: in `table`, hash of path (named) */
    int fd;                  /* object file: holds the reference lock */
    int data_fd;             /* what views map: fd, or the external file */
    int claims_fd;           /* channel's companion file, or -1 (lazy) */
    uint64_t data_off;       /* offset of the data in data_fd */
    int writable;            /* descriptors open read-write */
    unsigned handles;        /* this process's handles using it */
    int named;               /* 1 if linked under path */
    int others;              /* others were established when it was made */
    pid_t pid;               /* process that made this reference */
    uint64_t dev, ino;       /* identity of the object file */
    struct mmf__hdr hdr;     /* validated copy */
    char path[];             /* object file path (named objects), or "" */
};

/* A handle. */
struct mmf__obj {
    struct ref *r;
    unsigned access;         /* MMF_ACCESS_* */
    struct mmf__hdr *shared; /* mapped header page, or NULL */
};

/*
 * Named references of this process, guarded by mmf__os_lock(): a hash
 * table keyed by path (the keyed hash of hash.h, as anyone may choose a
 * name), chained, doubled when it holds more references than buckets, so
 * that opening a name the process holds and closing a handle cost the same
 * whatever it holds. After a fork the child's copy names its parent's
 * references: entries whose pid is not ours are ignored.
 */
static struct mmf__linux_htable table = MMF__LINUX_HTABLE_INIT(table);

/* getpid() is a system call; the pid is cached and reset in fork children. */
static pid_t cached_pid;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void forget_pid(void)
{
    cached_pid = 0;
}

static void watch_forks(void)
{
    pthread_atfork(NULL, NULL, forget_pid);
}

static pid_t self_pid(void)
{
    pid_t p;
    pthread_once(&pid_once, watch_forks);
    p = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
    if (p == 0) {
        p = getpid();
        __atomic_store_n(&cached_pid, p, __ATOMIC_RELAXED);
    }
    return p;
}

/* ------------------------------------------------------------------------ */
/* Paths                                                                     */
/* ------------------------------------------------------------------------ */

int mmf__linux_store_dir(const char **dir)
{
    const char *d = getenv("MMF_STORE_DIR");
    if (d == NULL || d[0] == '\0') {
        *dir = "/dev/shm";
        return 0;
    }
    /* A relative folder would move with the working directory: two
     * processes would not meet. Refuse it rather than fall back silently. */
    if (d[0] != '/')
        return MMF_EINVAL;
    *dir = d;
    return 0;
}

/* 64-bit FNV-1a; two seeds give the 128-bit key of an over-long name. */
static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Write the object file name of `nm` into buf (at least NAME_MAX + 1).
 * `suffix` is appended (for the data file of a huge-page section). */
static void encode_name(const struct mmf__name *nm, const char *suffix,
                        char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = (size_t)snprintf(buf, cap, "mmf.%s%u.",
                                nm->global ? "g" : "u",
                                nm->global ? 0u : (unsigned)geteuid());
    size_t limit = NAME_MAX - strlen(suffix);
    int too_long = 0;

    for (size_t i = 0; i < nm->key_len; i++) {
        unsigned char c = (unsigned char)nm->key[i];
        if (n + 3 > limit || n + 3 >= cap) {
            too_long = 1; /* the whole key must fit, or it is hashed */
            break;
        }
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') {
            buf[n++] = (char)c;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 15];
        }
    }
    if (too_long) {
        n = (size_t)snprintf(buf, cap, "mmf.%s%u.~%016llx%016llx",
                             nm->global ? "g" : "u",
                             nm->global ? 0u : (unsigned)geteuid(),
                             (unsigned long long)fnv1a(nm->key, nm->key_len,
                                                       UINT64_C(0xcbf29ce484222325)),
                             (unsigned long long)fnv1a(nm->key, nm->key_len,
                                                       UINT64_C(0x84222325cbf29ce4)));
    }
    buf[n] = '\0';
    strcat(buf, suffix);
}

static int object_path(const struct mmf__name *nm, char *path, size_t cap)
{
    char file[NAME_MAX + 1];
    const char *dir;
    int rc = mmf__linux_store_dir(&dir);
    if (rc < 0)
        return rc;
    encode_name(nm, "", file, sizeof file);
    if ((size_t)snprintf(path, cap, "%s/%s", dir, file) >= cap)
        return MMF_ENAMETOOLONG;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Locks                                                                     */
/* ------------------------------------------------------------------------ */

/* Lock bytes of an object file (see the invariants above). */
#define BYTE_PRESENT 0
#define BYTE_ESTABLISHED 1

/* Set an OFD lock on [start, start + len) of fd, never waiting. Returns 0
 * or the errno (EAGAIN: another OFD's lock is in the way; EBADF: a write
 * lock on a read-only descriptor). */
static int lock_bytes(int fd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start,
                       .l_len = len};
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    return errno == EACCES ? EAGAIN : errno;
}

/* A handle's locks: both bytes. */
static int ref_lock(int fd, short type)
{
    int e = lock_bytes(fd, type, BYTE_PRESENT, 2);
    return e == 0 ? 0 : mmf__linux_err(e);
}

/* 1 if an OFD other than fd's holds a lock on [start, start + len) of the
 * file, 0 if none, < 0 error. */
static int others_lock(int fd, off_t start, off_t len)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start,
                       .l_len = len};
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
        return mmf__linux_err(errno);
    return fl.l_type != F_UNLCK;
}

/* 1 if an OFD other than fd's is present (holds byte 0), 0 if none. */
int mmf__linux_other_holders(int fd)
{
    return others_lock(fd, BYTE_PRESENT, 1);
}

/* A small random number for back-off jitter (no need for quality). */
static unsigned jitter(unsigned below)
{
    static __thread uint32_t x;
    if (x == 0)
        x = ((uint32_t)getpid() * 2654435761u ^ (uint32_t)mmf__os_now_ns()) | 1u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return below ? x % below : 0;
}

static void sleep_us(unsigned us)
{
    nanosleep(&(struct timespec){0, (long)us * 1000}, NULL);
}

/*
 * Retrying an open: yield a few times (a closer holds byte 0 for
 * microseconds), then sleep with growing, jittered pauses. Returns
 * MMF_EBUSY once `limit_ns` has passed since the first call.
 */
struct backoff {
    uint64_t start;
    unsigned n;
};

static int backoff(struct backoff *b, uint64_t limit_ns)
{
    unsigned us;
    if (b->n++ == 0)
        b->start = mmf__os_now_ns();
    else if (mmf__os_now_ns() - b->start > limit_ns)
        return MMF_EBUSY;
    if (b->n < 8) {
        sched_yield();
        return 0;
    }
    us = b->n < 16 ? 20u << (b->n - 8) : 5000u;
    sleep_us(us / 2 + jitter(us));
    return 0;
}

/* An open gives up on a write lock held in its way after this long. */
#define OPEN_LIMIT_NS UINT64_C(2000000000)
/* Openers and closers that find only undecided others present look again
 * for about this long. */
#define DECIDE_LIMIT_NS UINT64_C(20000000)
/* How often a close steps aside for other deciders before leaving a last
 * name to the next opener or sweep. */
#define CLOSE_ROUNDS 8

/* 1 if `path` still names the file open as fd. */
static int path_is(const char *path, int fd)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Remove the huge-page data file a header names, if it really is this
 * object's: the header is untrusted (anyone may plant a stale entry in a
 * Global\ store, hoping that root's `mmf gc` deletes a file of its
 * choosing), so the file must be in a hugetlbfs mount, be the recorded
 * file, have an mmf name and belong to the object file's owner. The
 * checks and the unlink go through one descriptor of the folder, so a
 * folder swapped in between is not the one unlinked from.
 */
static void unlink_huge_data(const struct mmf__hdr *h, const struct stat *obj)
{
    char dir[MMF__PATH_BYTES];
    const char *base;
    struct statfs sf;
    struct stat st;
    int dfd;

    /* Only a validated header has a NUL-terminated path. */
    if (!(h->flags & MMF_SECTION_LARGE_PAGES) || !(h->flags & MMF__HF_FILE) ||
        memchr(h->path, '\0', sizeof h->path) == NULL ||
        (base = strrchr(h->path, '/')) == NULL || strncmp(base + 1, "mmf.", 4) != 0)
        return;
    snprintf(dir, sizeof dir, "%.*s", (int)(base - h->path), h->path);
    dfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return;
    if (fstatfs(dfd, &sf) == 0 && sf.f_type == HUGETLBFS_MAGIC &&
        fstatat(dfd, base + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_dev == h->file_dev && (uint64_t)st.st_ino == h->file_ino &&
        st.st_uid == obj->st_uid)
        unlinkat(dfd, base + 1, 0);
    close(dfd);
}

/* The companion (claims) file of the channel whose object file is at
 * path, with inode ino: "<dir>/mmf.<scope>.+<ino>". */
static int companion_path(const char *path, uint64_t ino, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/'), *dot;
    if (base == NULL || strncmp(base + 1, "mmf.", 4) != 0 ||
        (dot = strchr(base + 5, '.')) == NULL)
        return MMF_EINVAL;
    if ((size_t)snprintf(buf, cap, "%.*s+%016llx", (int)(dot + 1 - path), path,
                         (unsigned long long)ino) >= cap)
        return MMF_ENAMETOOLONG;
    return 0;
}

/*
 * Open the companion of the channel at path (object file owned by uid,
 * header h) with open flags `flags`, checking that it is the file the
 * header names, owned by the channel's owner and naming the channel back
 * (the header is untrusted). Returns an fd or an MMF_E* code.
 */
static int companion_open(const char *path, const struct mmf__hdr *h, uid_t uid,
                          int flags)
{
    char cpath[PATH_MAX], back[NAME_MAX + 1];
    const char *base = strrchr(path, '/');
    struct stat st;
    ssize_t n;
    int fd, rc;

    if (h->type != MMF__TYPE_CHANNEL || !(h->flags & MMF__HF_CLAIMS) || base == NULL)
        return MMF_ECORRUPT;
    if ((rc = companion_path(path, h->claims_ino, cpath, sizeof cpath)) < 0)
        return rc;
    fd = open(cpath, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ELOOP ? MMF_ECORRUPT : mmf__linux_err(errno);
    n = pread(fd, back, sizeof back - 1, 0);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_ino != h->claims_ino || st.st_uid != uid || n <= 0) {
        close(fd);
        return MMF_ECORRUPT;
    }
    back[n] = '\0';
    if (strcmp(back, base + 1) != 0) {
        close(fd);
        return MMF_ECORRUPT;
    }
    return fd;
}

/* Remove the name at path (open as fd), and the data file of a huge-page
 * section or the companion of a channel with it when the header really
 * names one. Returns unlink()'s result for the name. */
static int unlink_object(const char *path, int fd, const struct mmf__hdr *h)
{
    struct stat st;
    int rc, e, cfd = -1;
    /* The owner is only needed to follow the header to another file. */
    if ((h->flags & MMF_SECTION_LARGE_PAGES) ||
        (h->type == MMF__TYPE_CHANNEL && (h->flags & MMF__HF_CLAIMS))) {
        if (fstat(fd, &st) != 0)
            return unlink(path);
        unlink_huge_data(h, &st);
        if (h->type == MMF__TYPE_CHANNEL && (h->flags & MMF__HF_CLAIMS))
            cfd = companion_open(path, h, st.st_uid, O_RDONLY);
    }
    rc = unlink(path);
    e = errno;
    if (cfd >= 0) {
        char cpath[PATH_MAX];
        if (companion_path(path, h->claims_ino, cpath, sizeof cpath) == 0)
            unlink(cpath);
        close(cfd);
    }
    errno = e;
    return rc;
}

/* open_path's verdict on a stale object it may not remove. */
#define STALE_STUCK (-100000)

/* ------------------------------------------------------------------------ */
/* Building a reference from an open object file                            */
/* ------------------------------------------------------------------------ */

static int open_flags(unsigned access)
{
    return (access & MMF_ACCESS_WRITE) ? O_RDWR : O_RDONLY;
}

/* Read and validate the header of the object file fd, whose fstat is st. */
static int load_header_st(int fd, const struct stat *st, struct mmf__hdr *h)
{
    if (!S_ISREG(st->st_mode) || st->st_size < (off_t)sizeof *h)
        return MMF_ECORRUPT;
    if (pread(fd, h, sizeof *h, 0) != (ssize_t)sizeof *h)
        return MMF_ECORRUPT;
    return mmf__hdr_validate(h, (uint64_t)st->st_size);
}

int mmf__linux_load_header(int fd, struct mmf__hdr *h)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return mmf__linux_err(errno);
    return load_header_st(fd, &st, h);
}

/*
 * 1 if following an object's header to the file `target` gives nobody who
 * could have written that header (anyone with write permission on the
 * object file `obj`) more than they have: the header is untrusted, and an
 * object planted or rewritten under a Global\ name could otherwise name
 * any file its opener may write (root opening it, and /etc/shadow).
 */
static int target_is_fair(const struct stat *obj, const struct stat *target)
{
    /* The object's owner: follows to its own files, or anywhere if root. */
    if (target->st_uid != obj->st_uid && obj->st_uid != 0)
        return 0;
    /* Its group, if it may write the object: only to files its group may
     * write, or everyone may. */
    if ((obj->st_mode & S_IWGRP) &&
        !((target->st_mode & S_IWOTH) ||
          ((target->st_mode & S_IWGRP) && target->st_gid == obj->st_gid)))
        return 0;
    /* Everyone, if everyone may write the object. */
    if ((obj->st_mode & S_IWOTH) && !(target->st_mode & S_IWOTH))
        return 0;
    return 1;
}

int mmf__linux_open_external(const struct mmf__hdr *h, const struct stat *obj, int flags)
{
    char self[64];
    struct stat st;
    int pfd, fd;

    /* O_PATH first: nothing is opened (no device's open runs) before the
     * file is known to be the regular file the header recorded. */
    pfd = open(h->path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (pfd < 0)
        return errno == ELOOP ? MMF_ENOENT : mmf__linux_err(errno);
    if (fstat(pfd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_dev != h->file_dev || (uint64_t)st.st_ino != h->file_ino) {
        close(pfd);
        return MMF_ENOENT; /* renamed, deleted or replaced since */
    }
    if (!target_is_fair(obj, &st)) {
        close(pfd);
        return MMF_EACCES;
    }
    /* A header whose size the file cannot hold would map past its end. */
    if ((uint64_t)st.st_size < h->size) {
        close(pfd);
        return MMF_ECORRUPT;
    }
    snprintf(self, sizeof self, "/proc/self/fd/%d", pfd);
    fd = open(self, flags | O_CLOEXEC | O_NONBLOCK);
    fd = fd >= 0 ? fd : mmf__linux_err(errno);
    close(pfd);
    return fd;
}

/* Open the external data file a header names, checking it is the same file
 * the creator used. */
static int open_external(const struct mmf__hdr *h, const struct stat *obj,
                         unsigned access)
{
    return mmf__linux_open_external(h, obj, open_flags(access));
}

/* A new handle on reference r (whose handle count the caller raised). */
static int new_handle(struct ref *r, unsigned access, mmf__obj **out)
{
    mmf__obj *o = calloc(1, sizeof *o);
    if (o == NULL)
        return MMF_ENOMEM;
    o->r = r;
    o->access = access;
    *out = o;
    return 0;
}

static void release_ref(struct ref *r);
static void unref(struct ref *r);
static void leave(int fd, const char *path, uint64_t dev, uint64_t ino,
                  const struct mmf__hdr *h, int rounds, int probe_first,
                  int closing);
static int reopen(int fd, unsigned access, int cloexec);
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static void watch_exit(void);

/*
 * Make a reference from the object file fd (already holding its reference
 * lock, open read-write if `writable`) and a validated header, and its
 * first handle. `path` is the name's store path, or NULL for an unnamed
 * object. Takes ownership of fd and data_fd.
 */
static int finish_obj(int fd, const struct mmf__hdr *h, unsigned access,
                      int data_fd, int writable, const char *path,
                      const struct stat *known, mmf__obj **out)
{
    size_t plen = path != NULL ? strlen(path) : 0;
    struct ref *r = calloc(1, sizeof *r + plen + 1);
    struct stat st;
    int rc;

    if (r == NULL) {
        if (data_fd >= 0 && data_fd != fd)
            close(data_fd);
        close(fd);
        return MMF_ENOMEM;
    }
    r->fd = fd;
    r->claims_fd = -1;
    r->writable = writable;
    r->handles = 1;
    r->pid = self_pid();
    r->hdr = *h;
    if (h->flags & MMF__HF_FILE) {
        r->data_fd = data_fd;
        r->data_off = 0;
    } else {
        /* A received reference may keep the descriptor it came with for
         * views (its open mode limits them) and lock through another. */
        r->data_fd = data_fd >= 0 ? data_fd : fd;
        r->data_off = h->hdr_size;
    }
    if (known != NULL || fstat(fd, &st) == 0) {
        r->dev = (uint64_t)(known ? known->st_dev : st.st_dev);
        r->ino = (uint64_t)(known ? known->st_ino : st.st_ino);
    }
    if (path != NULL) {
        r->named = 1;
        memcpy(r->path, path, plen + 1);
        r->node.hash = mmf__linux_hash(path, plen);
    }
    if ((rc = new_handle(r, access, out)) < 0) {
        release_ref(r);
        return rc;
    }
    if (r->named) {
        pthread_once(&exit_once, watch_exit);
        mmf__os_lock();
        mmf__linux_htable_add(&table, &r->node);
        mmf__os_unlock();
    }
    return 0;
}

/*
 * This process's reference to the object at path that allows `access`, if
 * it has one: a new handle on it in *out, and 0; MMF_ETYPE for an object of
 * another type; MMF_ENOENT when there is none (nothing was done). Holding a
 * reference keeps the name linked, so no system call is needed.
 */
static int lookup(const char *path, uint32_t type, unsigned access,
                  mmf__obj **out)
{
    pid_t me = self_pid();
    uint64_t hash = mmf__linux_hash(path, strlen(path));
    struct ref *r = NULL;
    int rc = MMF_ENOENT;

    mmf__os_lock();
    for (struct mmf__linux_hnode *n = mmf__linux_htable_chain(&table, hash); n != NULL;
         n = n->next) {
        r = (struct ref *)(void *)n;
        if (r->pid != me || n->hash != hash || strcmp(r->path, path) != 0)
            continue;
        if (r->hdr.type != type) {
            rc = MMF_ETYPE;
            break;
        }
        if ((access & MMF_ACCESS_WRITE) && !r->writable)
            continue; /* a read-only reference; look for another */
        r->handles++;
        rc = 0;
        break;
    }
    mmf__os_unlock();
    if (rc == 0 && (rc = new_handle(r, access, out)) < 0)
        unref(r);
    return rc;
}

/* The access a handle may have on an object with header h. */
static int check_access(const struct mmf__hdr *h, unsigned access)
{
    if (h->type == MMF__TYPE_SECTION) {
        if ((access & MMF_ACCESS_WRITE) && !(h->prot & MMF_PROT_WRITE))
            return MMF_EACCES;
        if ((access & MMF_ACCESS_EXEC) && !(h->prot & MMF_PROT_EXEC))
            return MMF_EACCES;
    }
    return 0;
}

/* Open the object file at path for a reference: read-write when the
 * caller may write the file, as converting the reference lock needs (I3),
 * else read-only if `access` allows. Raises the descriptor limit once if it is reached. */
static int open_object_fd(const char *path, unsigned access)
{
    const int fl = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    for (;;) {
        int fd = open(path, O_RDWR | fl);
        if (fd < 0 && (errno == EACCES || errno == EROFS) &&
            !(access & MMF_ACCESS_WRITE))
            fd = open(path, O_RDONLY | fl);
        if (fd >= 0)
            return fd;
        if (errno == EMFILE && mmf__linux_raise_nofile())
            continue;
        /* a symlink or a directory is not an object of ours */
        return errno == ELOOP || errno == EISDIR ? MMF_ECORRUPT : mmf__linux_err(errno);
    }
}

/* 1 if path leads to the file open as fd and that file is linked. */
static int still_named(const char *path, int fd, struct stat *st)
{
    struct stat b;
    return fstat(fd, st) == 0 && st->st_nlink > 0 && lstat(path, &b) == 0 &&
           st->st_dev == b.st_dev && st->st_ino == b.st_ino;
}

/*
 * fd holds "present" on the object file at path and nobody else is
 * established: try to remove the object as stale (I3). Returns 0 if it was
 * removed (or is gone), EAGAIN if others are present, EBADF if fd cannot
 * take a write lock, or another errno from unlink. Drops no lock.
 */
static int try_remove_stale(const char *path, int fd)
{
    struct mmf__hdr h;
    struct stat st;
    int e = lock_bytes(fd, F_WRLCK, BYTE_PRESENT, 1);
    if (e != 0)
        return e;
    if (!still_named(path, fd, &st))
        return 0;
    if (load_header_st(fd, &st, &h) != 0)
        h.flags = 0, h.type = 0;
    return unlink_object(path, fd, &h) == 0 || errno == ENOENT ? 0 : errno;
}

/* The user id whose scope the store path of a Local\ name is in: the one
 * encode_name() wrote ("mmf.u<uid>."), so no geteuid() is needed. */
static uid_t path_uid(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    return (uid_t)strtoul(base + 5, NULL, 10);
}

/* The checks of an open object file fd (fstat st) before it is used: a
 * regular file, not someone else's squatting in our scope. */
static int check_file(const struct stat *st, const struct mmf__name *nm,
                      const char *path)
{
    if (!S_ISREG(st->st_mode)) /* a FIFO, a device: not ours */
        return MMF_ECORRUPT;
    if (!nm->global && st->st_uid != path_uid(path))
        return MMF_EACCES; /* someone else's file squats our name */
    return 0;
}

/* Read and check the header of the object file fd for an open of `type`
 * with `access`, and open its external data file. On failure h->flags and
 * h->type are only trusted if the header itself was valid. */
static int check_object(int fd, const struct stat *st, const struct mmf__name *nm,
                        uint32_t type, unsigned access, struct mmf__hdr *h,
                        int *data_fd)
{
    int rc;
    *data_fd = -1;
    if ((rc = load_header_st(fd, st, h)) < 0) {
        h->flags = 0;
        h->type = 0;
        return rc;
    }
    if (strcmp(h->name, nm->full) != 0)
        return MMF_ECORRUPT;
    if (h->type != type)
        return MMF_ETYPE;
    if ((rc = check_access(h, access)) < 0)
        return rc;
    if (h->flags & MMF__HF_FILE) {
        if ((*data_fd = open_external(h, st, access)) < 0) {
            rc = *data_fd;
            *data_fd = -1;
            return rc;
        }
    }
    return 0;
}

/*
 * Open the object file at path. Returns 0 and *out, MMF_ENOENT if there is
 * no live object (stale ones are removed on the way), STALE_STUCK for a
 * stale one the caller may not remove, or an error.
 *
 * The common case, others established, takes both locks in one request
 * after one look (see "open" at the top of the file); everything else
 * goes the careful way: "present" first, then decide.
 */
static int open_path(const char *path, const struct mmf__name *nm,
                     uint32_t type, unsigned access, mmf__obj **out)
{
    struct backoff bo = {0, 0};
    uint64_t undecided_since = 0;

    for (;;) {
        struct mmf__hdr h;
        struct stat st;
        int fd, rc, e, data_fd = -1;

        if ((fd = open_object_fd(path, access)) < 0)
            return fd;
        if ((rc = others_lock(fd, BYTE_ESTABLISHED, 1)) < 0)
            goto fail;
        if (rc == 1) {
            /* Others are established: join them, then check that the
             * name still leads here. While we are present nobody can
             * unlink it (I3), and an object file only ever has the one
             * link, made by its creator: st_nlink > 0 says it is named. */
            e = lock_bytes(fd, F_RDLCK, BYTE_PRESENT, 2);
            if (e != 0 && e != EAGAIN) {
                rc = mmf__linux_err(e);
                goto fail;
            }
            if (e == 0 && fstat(fd, &st) != 0) {
                rc = mmf__linux_err(errno);
                goto fail;
            }
            if (e == 0 && (rc = check_file(&st, nm, path)) < 0)
                goto fail;
            if (e == EAGAIN || st.st_nlink == 0) {
                /* Being removed (I3 held), or removed meanwhile. */
                close(fd);
                if ((rc = backoff(&bo, OPEN_LIMIT_NS)) < 0)
                    return rc;
                continue;
            }
            if ((rc = check_object(fd, &st, nm, type, access, &h, &data_fd)) < 0) {
                /* Others may have left the name to us since: close as
                 * a handle would. */
                leave(fd, path, (uint64_t)st.st_dev, (uint64_t)st.st_ino, &h,
                      CLOSE_ROUNDS, 1, 1);
                goto fail;
            }
            rc = finish_obj(fd, &h, access, data_fd, (access & MMF_ACCESS_WRITE) != 0,
                            path, &st, out);
            if (rc == 0)
                (*out)->r->others = 1;
            return rc;
        }
        /* Nobody established: stale, or others are deciding too. */
        e = lock_bytes(fd, F_RDLCK, BYTE_PRESENT, 1);
        if (e != 0 && e != EAGAIN) {
            rc = mmf__linux_err(e);
            goto fail;
        }
        if (e == 0) {
            if (fstat(fd, &st) != 0) {
                rc = mmf__linux_err(errno);
                goto fail;
            }
            if ((rc = check_file(&st, nm, path)) < 0)
                goto fail;
        }
        if (e == EAGAIN || !still_named(path, fd, &st)) {
            /* Being removed (I3 held), or removed meanwhile. */
            close(fd);
            if ((rc = backoff(&bo, OPEN_LIMIT_NS)) < 0)
                return rc;
            continue;
        }
        if ((rc = others_lock(fd, BYTE_ESTABLISHED, 1)) < 0)
            goto fail;
        if (rc == 0) {
            uint64_t now = mmf__os_now_ns();
            e = try_remove_stale(path, fd);
            if (e == 0 || (e != EAGAIN && e != EBADF)) {
                close(fd);
                /* Another user's stale file in the sticky store cannot be
                 * removed: absent for an open, in the way of a create. */
                return e == 0 ? MMF_ENOENT : STALE_STUCK;
            }
            if (e == EBADF && others_lock(fd, BYTE_PRESENT, 1) == 0) {
                close(fd); /* stale, and not ours to remove */
                return STALE_STUCK;
            }
            /* Others are present but none established: they are deciding
             * too, or hold byte 0 for good. Look again for a while, then
             * take them as holders. */
            if (undecided_since == 0)
                undecided_since = now;
            if (now - undecided_since < DECIDE_LIMIT_NS) {
                close(fd);
                sleep_us(20 + jitter(200));
                continue;
            }
        }
        if ((rc = check_object(fd, &st, nm, type, access, &h, &data_fd)) < 0)
            goto fail;
        if ((rc = ref_lock(fd, F_RDLCK)) < 0) {
            if (data_fd >= 0)
                close(data_fd);
            goto fail;
        }
        return finish_obj(fd, &h, access, data_fd, (access & MMF_ACCESS_WRITE) != 0,
                          path, &st, out);
fail:
        close(fd); /* drops our locks with the description */
        return rc;
    }
}

/* Open the object at path: from this process's table when it holds it
 * already, else from the store. */
static int open_named(const char *path, const struct mmf__name *nm,
                      uint32_t type, unsigned access, mmf__obj **out)
{
    int rc = lookup(path, type, access, out);
    if (rc == 0 && (rc = check_access(&(*out)->r->hdr, access)) < 0)
        mmf__os_obj_close(*out);
    if (rc != MMF_ENOENT)
        return rc;
    return open_path(path, nm, type, access, out);
}

int mmf__os_obj_open(const struct mmf__name *nm, uint32_t type,
                     unsigned access, mmf__obj **out)
{
    char path[PATH_MAX];
    int rc = object_path(nm, path, sizeof path);
    if (rc < 0)
        return rc;
    mmf__linux_sweep_maybe();
    rc = open_named(path, nm, type, access, out);
    return rc == STALE_STUCK ? MMF_ENOENT : rc;
}

/* ------------------------------------------------------------------------ */
/* Creating                                                                  */
/* ------------------------------------------------------------------------ */

/* Find a hugetlbfs mount for huge-page sections: $MMF_HUGETLBFS_DIR or the
 * first one in /proc/self/mounts. */
static int hugetlbfs_dir(char *dir, size_t cap)
{
    const char *env = getenv("MMF_HUGETLBFS_DIR");
    struct statfs sf;
    char line[1024], dev[256], mnt[512], fstype[64];
    FILE *f;
    int found = 0;

    if (env != NULL) {
        snprintf(dir, cap, "%s", env);
        return statfs(dir, &sf) == 0 && sf.f_type == HUGETLBFS_MAGIC;
    }
    f = fopen("/proc/self/mounts", "re");
    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%255s %511s %63s", dev, mnt, fstype) == 3 &&
            strcmp(fstype, "hugetlbfs") == 0 && access(mnt, W_OK) == 0) {
            snprintf(dir, cap, "%s", mnt);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* Reserve `len` bytes at `off` of fd. */
static int commit_range(int fd, uint64_t off, uint64_t len, int huge)
{
    if (len == 0)
        return 0;
    while (fallocate(fd, 0, (off_t)off, (off_t)len) != 0) {
        if (errno == EINTR)
            continue;
        if (errno == ENOSPC)
            return huge ? MMF_ENOMEM : MMF_ENOSPC;
        if (errno == EFBIG)
            return MMF_EFBIG;
        return mmf__linux_err(errno);
    }
    return 0;
}

/* Create the data file of a huge-page section. Returns an fd or < 0. */
static int create_huge(const struct mmf__name *nm, struct mmf__hdr *h,
                       unsigned mode)
{
    static unsigned counter;
    char dir[512], file[NAME_MAX + 1], suffix[48];
    struct statfs sf;
    struct stat st;
    uint64_t hp;
    int fd, rc;

    if (!hugetlbfs_dir(dir, sizeof dir))
        return MMF_ENOTSUP;
    if (statfs(dir, &sf) != 0 || sf.f_type != HUGETLBFS_MAGIC || sf.f_bsize <= 0)
        return MMF_ENOTSUP;
    hp = (uint64_t)sf.f_bsize;
    snprintf(suffix, sizeof suffix, ".%ld.%u", (long)getpid(),
             __atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED));
    if (nm != NULL) {
        encode_name(nm, suffix, file, sizeof file);
    } else {
        snprintf(file, sizeof file, "mmf.anon%s", suffix);
    }
    if ((size_t)snprintf(h->path, sizeof h->path, "%s/%s", dir, file) >= sizeof h->path)
        return MMF_ENAMETOOLONG;
    fd = open(h->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return mmf__linux_err(errno);
    h->size = (h->size + hp - 1) / hp * hp;
    if (fchmod(fd, mode) != 0 || ftruncate(fd, (off_t)h->size) != 0) {
        rc = mmf__linux_err(errno);
        goto fail;
    }
    /* fallocate on hugetlbfs takes the huge pages now, or fails. */
    if ((rc = commit_range(fd, 0, h->size, 1)) < 0)
        goto fail;
    if (fstat(fd, &st) != 0) {
        rc = mmf__linux_err(errno);
        goto fail;
    }
    h->path_len = (uint32_t)strlen(h->path);
    h->file_dev = (uint64_t)st.st_dev;
    h->file_ino = (uint64_t)st.st_ino;
    if (nm == NULL)
        unlink(h->path); /* unnamed: nobody opens it by path */
    return fd;
fail:
    unlink(h->path);
    close(fd);
    return rc;
}

/* Fill h->path and identity for an external file fd. */
static int describe_file(int fd, struct mmf__hdr *h)
{
    char proc[64];
    struct stat st;
    ssize_t n;

    if (fstat(fd, &st) != 0)
        return mmf__linux_err(errno);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    n = readlink(proc, h->path, sizeof h->path - 1);
    if (n < 0)
        return mmf__linux_err(errno);
    if ((size_t)n >= sizeof h->path - 1)
        return MMF_ENAMETOOLONG;
    h->path[n] = '\0';
    h->path_len = (uint32_t)n;
    h->file_dev = (uint64_t)st.st_dev;
    h->file_ino = (uint64_t)st.st_ino;
    return 0;
}

/* Initialise a synchronization object's state on the header page of the
 * unnamed object file fd, mapped shared: process-shared locks must be
 * initialised in place, not copied. */
static int run_init(int fd, const struct mmf__spec *sp)
{
    void *p = mmap(NULL, MMF__HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int rc;
    if (p == MAP_FAILED)
        return mmf__linux_err(errno);
    rc = mmf__linux_sync_init((struct mmf__hdr *)p, fd, sp->sync);
    munmap(p, MMF__HDR_SIZE);
    return rc;
}

/*
 * Build the unnamed companion file of a channel whose object file is named
 * `file`, for a channel of permission bits `mode`: read-write for exactly
 * the classes that may write the channel. It holds a lock on byte 0 while
 * the creator's reference lives, so that a sweep running before the
 * channel is linked leaves it alone. Returns its fd and sets *ino, or < 0.
 */
static int build_companion(const char *dir, const char *file, unsigned mode,
                           uint64_t *ino)
{
    unsigned cmode = ((mode & 0200) ? 0600u : 0u) | ((mode & 020) ? 060u : 0u) |
                     ((mode & 02) ? 06u : 0u);
    size_t len = strlen(file) + 1;
    struct stat st;
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno != ENOENT ? mmf__linux_err(errno)
               : access(dir, F_OK) != 0 ? MMF_ENOENT : MMF_ENOTSUP;
    if (fchmod(fd, cmode) != 0 || pwrite(fd, file, len, 0) != (ssize_t)len ||
        lock_bytes(fd, F_RDLCK, 0, 1) != 0 || fstat(fd, &st) != 0) {
        int rc = errno ? mmf__linux_err(errno) : MMF_ENOSPC;
        close(fd);
        return rc;
    }
    *ino = (uint64_t)st.st_ino;
    return fd;
}

/* Build a complete, unnamed object file. Returns its fd (holding the
 * reference lock) and sets *data_fd (and *claims_fd for a named channel),
 * or < 0. */
static int build_object(const struct mmf__name *nm, const struct mmf__spec *sp,
                        struct mmf__hdr *h, int *data_fd, int *claims_fd,
                        struct stat *st)
{
    uint64_t page = mmf__os_page_size();
    unsigned mode = sp->mode ? sp->mode : 0600;
    const char *dir;
    int fd, rc;

    memset(h, 0, sizeof *h);
    h->magic = MMF__HDR_MAGIC;
    h->version = MMF__HDR_VERSION;
    h->hdr_size = MMF__HDR_SIZE;
    h->type = sp->type;
    h->flags = sp->flags & (unsigned)(MMF_SECTION_RESERVE | MMF_SECTION_LARGE_PAGES);
    h->prot = sp->prot;
    h->size = sp->size;
    h->creator_pid = (uint32_t)self_pid();
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        h->create_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    if (nm != NULL) {
        h->name_len = (uint32_t)strlen(nm->full);
        memcpy(h->name, nm->full, h->name_len + 1);
        if (nm->global)
            h->flags |= MMF__HF_GLOBAL;
    }
    if (sp->state_len > 0)
        memcpy(h->state, sp->state, sp->state_len);

    *data_fd = -1;
    *claims_fd = -1;
    if ((rc = mmf__linux_store_dir(&dir)) < 0)
        return rc;
    if (nm != NULL && sp->type == MMF__TYPE_CHANNEL) {
        char file[NAME_MAX + 1];
        encode_name(nm, "", file, sizeof file);
        *claims_fd = build_companion(dir, file, mode, &h->claims_ino);
        if (*claims_fd < 0)
            return *claims_fd;
        h->flags |= MMF__HF_CLAIMS;
    }
    if (sp->file != MMF__NO_FILE) {
        h->flags |= MMF__HF_FILE;
        if ((rc = describe_file((int)sp->file, h)) < 0)
            return rc;
        *data_fd = fcntl((int)sp->file, F_DUPFD_CLOEXEC, 0);
        if (*data_fd < 0)
            return mmf__linux_err(errno);
    } else if (sp->flags & MMF_SECTION_LARGE_PAGES) {
        h->flags |= MMF__HF_FILE;
        if ((*data_fd = create_huge(nm, h, mode)) < 0)
            return *data_fd;
    } else {
        h->data_size = (h->size + page - 1) / page * page;
    }

    for (;;) {
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EMFILE || !mmf__linux_raise_nofile())
            break;
    }
    if (fd < 0) {
        /* ENOENT: a missing folder, or one without O_TMPFILE support. */
        rc = errno != ENOENT ? mmf__linux_err(errno)
             : access(dir, F_OK) != 0 ? MMF_ENOENT : MMF_ENOTSUP;
        goto fail;
    }
    /* The mode is applied exactly: a umask must not widen or narrow what
     * the caller asked for (the fstat also gives the reference its
     * identity). A committed section's fallocate sets the size too. */
    if (fstat(fd, st) != 0) {
        rc = mmf__linux_err(errno);
        goto fail_fd;
    }
    if (((st->st_mode & 07777) != mode && fchmod(fd, mode) != 0) ||
        (((sp->flags & MMF_SECTION_RESERVE) || h->data_size == 0) &&
         ftruncate(fd, (off_t)(h->hdr_size + h->data_size)) != 0)) {
        rc = errno == EFBIG || errno == EINVAL ? MMF_EFBIG : mmf__linux_err(errno);
        goto fail_fd;
    }
    /* Before the commit, so that the committed pages follow it too. */
    if (sp->node != 0 && *data_fd < 0 && h->data_size > 0 &&
        (rc = mmf__linux_numa_prefer_fd(fd, h->hdr_size, h->data_size, sp->node - 1)) < 0)
        goto fail_fd;
    if (!(sp->flags & MMF_SECTION_RESERVE) &&
        (rc = commit_range(fd, h->hdr_size, h->data_size, 0)) < 0)
        goto fail_fd;
    if (pwrite(fd, h, sizeof *h, 0) != (ssize_t)sizeof *h) {
        rc = errno ? mmf__linux_err(errno) : MMF_ENOSPC;
        goto fail_fd;
    }
    if (sp->sync != NULL && (rc = run_init(fd, sp)) < 0)
        goto fail_fd;
    if ((rc = ref_lock(fd, F_RDLCK)) < 0)
        goto fail_fd;
    return fd;
fail_fd:
    close(fd);
fail:
    if (*data_fd >= 0) {
        if ((h->flags & MMF_SECTION_LARGE_PAGES) && nm != NULL)
            unlink(h->path);
        close(*data_fd);
        *data_fd = -1;
    }
    if (*claims_fd >= 0) {
        close(*claims_fd);
        *claims_fd = -1;
    }
    return rc;
}

int mmf__os_obj_create(const struct mmf__name *nm, const struct mmf__spec *sp,
                       int disposition, unsigned access, mmf__obj **out)
{
    char path[PATH_MAX], cpath[PATH_MAX], proc[64];
    struct mmf__hdr *h;
    struct stat st;
    int rc, fd, data_fd, claims_fd;

    h = malloc(sizeof *h);
    if (h == NULL)
        return MMF_ENOMEM;
    if (nm == NULL) {
        fd = build_object(NULL, sp, h, &data_fd, &claims_fd, &st);
        rc = fd < 0 ? fd : finish_obj(fd, h, access, data_fd, 1, NULL, &st, out);
        free(h);
        return rc;
    }
    if ((rc = object_path(nm, path, sizeof path)) < 0)
        goto out;
    mmf__linux_sweep_maybe();

    for (int attempt = 0; attempt < 1000; attempt++) {
        if (disposition == MMF_OPEN_OR_CREATE) {
            rc = open_named(path, nm, sp->type, access, out);
            if (rc == 0) {
                rc = MMF_EXISTED;
                goto out;
            }
            if (rc != MMF_ENOENT)
                goto out;
        }
        fd = build_object(nm, sp, h, &data_fd, &claims_fd, &st);
        if (fd < 0) {
            rc = fd;
            goto out;
        }
        /* A channel's companion is linked first, so that whoever finds
         * the channel finds its companion. */
        cpath[0] = '\0';
        if (claims_fd >= 0) {
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", claims_fd);
            if ((rc = companion_path(path, h->claims_ino, cpath, sizeof cpath)) < 0 ||
                linkat(AT_FDCWD, proc, AT_FDCWD, cpath, AT_SYMLINK_FOLLOW) != 0) {
                rc = rc < 0 ? rc : mmf__linux_err(errno);
                close(claims_fd);
                close(fd);
                if (data_fd >= 0)
                    close(data_fd);
                goto out;
            }
        }
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0) {
            rc = finish_obj(fd, h, access, data_fd, 1, path, &st, out);
            if (rc == 0)
                (*out)->r->claims_fd = claims_fd;
            else if (claims_fd >= 0)
                close(claims_fd);
            goto out;
        }
        rc = errno == EEXIST ? MMF_EEXIST : mmf__linux_err(errno);
        if (claims_fd >= 0) {
            unlink(cpath);
            close(claims_fd);
        }
        if ((h->flags & MMF_SECTION_LARGE_PAGES) && (h->flags & MMF__HF_FILE))
            unlink(h->path);
        if (data_fd >= 0)
            close(data_fd);
        close(fd);
        if (rc != MMF_EEXIST)
            goto out;
        if (disposition == MMF_CREATE_NEW) {
            /* The name exists: report it unless its holders all died, in
             * which case open_path reclaims it and we try again. */
            mmf__obj *o;
            rc = open_named(path, nm, sp->type, access, &o);
            if (rc == 0) {
                mmf__os_obj_close(o);
                rc = MMF_EEXIST;
                goto out;
            }
            if (rc == MMF_ETYPE)
                goto out;
            if (rc != MMF_ENOENT) {
                /* Not ours to open (permissions, corrupt header): the name
                 * is still taken. */
                rc = rc == MMF_EACCES || rc == MMF_ECORRUPT || rc == STALE_STUCK
                         ? rc : MMF_EEXIST;
                goto out;
            }
        }
    }
    rc = MMF_EBUSY;
out:
    free(h);
    return rc == STALE_STUCK ? MMF_EACCES : rc;
}

/* ------------------------------------------------------------------------ */
/* Closing and duplicating                                                   */
/* ------------------------------------------------------------------------ */

/*
 * The close protocol (see the top of the file) for the reference lock held
 * by fd on the object named path (dev/ino): remove the name if this is the
 * last reference in the system, and drop the locks. `rounds` bounds the
 * times it steps aside for others that are deciding too. `probe_first`
 * (others were established when the reference was made) looks for other
 * established handles before trying the conversion, which is then usually
 * not needed; either order is safe. With `closing`, the caller closes fd
 * at once, so once the name is gone the locks are left for close() to
 * drop: a view that keeps the description alive keeps them on a file that
 * no name leads to, where they stand in nobody's way.
 */
static void leave(int fd, const char *path, uint64_t dev, uint64_t ino,
                  const struct mmf__hdr *h, int rounds, int probe_first,
                  int closing)
{
    int e = probe_first ? EAGAIN : lock_bytes(fd, F_WRLCK, BYTE_PRESENT, 1);
    int tried = !probe_first, dropped = 0;

    for (int i = 0;;) {
        struct stat st;
        if (e == 0) {
            /* Alone, and nobody can join (I3). */
            int gone;
            if (lstat(path, &st) != 0)
                gone = errno == ENOENT;
            else if ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino)
                gone = 1;
            else
                gone = unlink_object(path, fd, h) == 0 || errno == ENOENT;
            if (gone && closing)
                return;
            break;
        }
        /* EBADF: a read-only reference cannot remove the name. */
        if (e != EAGAIN)
            break;
        if (!dropped) {
            lock_bytes(fd, F_UNLCK, BYTE_ESTABLISHED, 1);
            dropped = 1;
        }
        if (others_lock(fd, BYTE_ESTABLISHED, 1) != 0)
            break; /* another handle decides later */
        if (!tried) {
            tried = 1;
            e = lock_bytes(fd, F_WRLCK, BYTE_PRESENT, 1);
            continue;
        }
        if (i++ >= rounds)
            break;
        /* Everyone else present is deciding too: step aside, look again. */
        lock_bytes(fd, F_UNLCK, BYTE_PRESENT, 1);
        sleep_us(10 + jitter(100u << (i < 5 ? i : 5)));
        if (lock_bytes(fd, F_RDLCK, BYTE_PRESENT, 1) != 0)
            return; /* someone holds I3: the name is being removed */
        if (lstat(path, &st) != 0 || (uint64_t)st.st_dev != dev ||
            (uint64_t)st.st_ino != ino)
            break; /* removed already */
        e = lock_bytes(fd, F_WRLCK, BYTE_PRESENT, 1);
    }
    lock_bytes(fd, F_UNLCK, BYTE_PRESENT, 2);
}


/* Drop this process's reference r: the last reference in the system
 * removes the name. */
static void release_ref(struct ref *r)
{
    /* A forked child closing a handle it inherited shares the parent's OFD:
     * it must neither drop the parent's locks nor decide "last". */
    int owner = r->pid == self_pid();

    int named = r->named;

    if (named && owner)
        leave(r->fd, r->path, r->dev, r->ino, &r->hdr, CLOSE_ROUNDS, r->others, 1);
    else if (owner)
        ref_lock(r->fd, F_UNLCK);
    if (r->data_fd != r->fd && r->data_fd >= 0)
        close(r->data_fd);
    if (r->claims_fd >= 0)
        close(r->claims_fd);
    close(r->fd);
    free(r);
    if (named)
        mmf__linux_sweep_maybe();
}

/* One handle fewer on r; the process's last one releases the reference. */
static void unref(struct ref *r)
{
    int last;

    mmf__os_lock();
    last = --r->handles == 0;
    if (last && r->named)
        mmf__linux_htable_remove(&table, &r->node);
    mmf__os_unlock();
    if (last)
        release_ref(r);
}

void mmf__os_obj_close(mmf__obj *o)
{
    struct ref *r = o->r;
    if (o->shared != NULL)
        mmf__linux_guard_unmap(o->shared, MMF__HDR_SIZE);
    free(o);
    unref(r);
}

/* A new OFD for the file open as fd, with the given access. */
static int reopen(int fd, unsigned access, int cloexec)
{
    char proc[64];
    int nfd;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    nfd = open(proc, open_flags(access) | (cloexec ? O_CLOEXEC : 0) | O_NONBLOCK);
    return nfd >= 0 ? nfd : mmf__linux_err(errno);
}

/* A new reference for another process: new OFDs for the object (locked)
 * and its external file, opened for `access` only, so the receiver's
 * access is enforced by the kernel. */
static int new_ref(mmf__obj *o, unsigned access, int cloexec, int *fd_out,
                   int *data_out)
{
    struct ref *r = o->r;
    int fd, data_fd = -1, rc;

    if ((access & ~o->access) != 0)
        return MMF_EACCES;
    if ((fd = reopen(r->fd, access, cloexec)) < 0)
        return fd;
    if ((rc = ref_lock(fd, F_RDLCK)) < 0) {
        close(fd);
        return rc;
    }
    if (r->data_fd != r->fd) {
        if ((data_fd = reopen(r->data_fd, access, cloexec)) < 0) {
            close(fd);
            return data_fd;
        }
    }
    *fd_out = fd;
    *data_out = data_fd;
    return 0;
}

/* Within a process a duplicate is another handle on the same reference:
 * its narrower access is enforced by the library. */
int mmf__os_obj_dup(mmf__obj *o, unsigned access, mmf__obj **out)
{
    int rc;
    if ((access & ~o->access) != 0)
        return MMF_EACCES;
    mmf__os_lock();
    o->r->handles++;
    mmf__os_unlock();
    if ((rc = new_handle(o->r, access, out)) < 0)
        unref(o->r);
    return rc;
}

const struct mmf__hdr *mmf__os_obj_hdr(const mmf__obj *o)
{
    return &o->r->hdr;
}

unsigned mmf__os_obj_access(const mmf__obj *o)
{
    return o->access;
}

int mmf__linux_obj_fd(const mmf__obj *o)
{
    return o->r->fd;
}

struct mmf__hdr *mmf__os_obj_shared_hdr(mmf__obj *o)
{
    if (o->shared == NULL && (o->access & MMF_ACCESS_WRITE)) {
        void *p = mmap(NULL, MMF__HDR_SIZE, PROT_READ | PROT_WRITE,
                       MAP_SHARED, o->r->fd, 0);
        if (p != MAP_FAILED &&
            mmf__linux_guard_map(p, MMF__HDR_SIZE, PROT_READ | PROT_WRITE, -1) == 0)
            o->shared = p;
    }
    return o->shared;
}

int mmf__os_obj_commit(mmf__obj *o, uint64_t offset, uint64_t len)
{
    return commit_range(o->r->data_fd, o->r->data_off + offset, len,
                        (o->r->hdr.flags & MMF_SECTION_LARGE_PAGES) != 0);
}

/* ------------------------------------------------------------------------ */
/* Mapping                                                                   */
/* ------------------------------------------------------------------------ */

/* An address range of len bytes whose base is a multiple of align,
 * reserved (inaccessible) for this process: a larger reservation with its
 * unaligned head and tail given back. MMF_ENOMEM if no room. */
static int reserve_aligned(size_t len, size_t align, void **out)
{
    size_t page = mmf__os_page_size(), span, head, tail;
    uintptr_t a, base;
    void *r;

    if (len > SIZE_MAX - align)
        return MMF_ENOMEM;
    span = len + align - page;
    r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0);
    if (r == MAP_FAILED)
        return MMF_ENOMEM;
    a = (uintptr_t)r;
    base = (a + align - 1) & ~(uintptr_t)(align - 1);
    head = base - a;
    tail = span - head - len;
    if (head > 0)
        munmap(r, head);
    if (tail > 0)
        munmap((void *)(base + len), tail);
    *out = (void *)base;
    return 0;
}

int mmf__os_map(mmf__obj *o, uint64_t offset, size_t len, unsigned prot,
                int copy, void *fixed, size_t align, void **addr,
                intptr_t *cookie)
{
    int p = 0, flags = copy ? MAP_PRIVATE : MAP_SHARED;
    void *a, *reserved = NULL;

    if (prot & MMF_MAP_READ)
        p |= PROT_READ;
    if (prot & MMF_MAP_WRITE)
        p |= PROT_READ | PROT_WRITE;
    if (prot & MMF_MAP_EXEC)
        p |= PROT_EXEC;
    if (o->r->hdr.flags & MMF_SECTION_LARGE_PAGES) {
        struct statfs sf;
        if (fstatfs(o->r->data_fd, &sf) == 0 && sf.f_bsize > 0 &&
            offset % (uint64_t)sf.f_bsize != 0)
            return MMF_EALIGN;
    }
    if (fixed != NULL) {
        flags |= MAP_FIXED_NOREPLACE;
    } else if (align > mmf__os_page_size() &&
               !(o->r->hdr.flags & MMF_SECTION_LARGE_PAGES)) {
        /* (Huge-page views are aligned to the huge page, more than any
         * align asked for.) */
        int rc = reserve_aligned(len, align, &reserved);
        if (rc < 0)
            return rc;
        /* Replacing our own reservation: nobody else can hold this range. */
        fixed = reserved;
        flags |= MAP_FIXED;
    }
    a = mmap(fixed, len, p, flags, o->r->data_fd, (off_t)(o->r->data_off + offset));
    if (a == MAP_FAILED) {
        int e = errno;
        if (reserved != NULL)
            munmap(reserved, len);
        errno = e;
        if (errno == EEXIST)
            return MMF_EFAULT;
        if (errno == EPERM && (p & PROT_EXEC))
            return MMF_ENOTSUP; /* the store is mounted noexec */
        return mmf__linux_err(errno);
    }
    if (fixed != NULL && a != fixed) { /* kernels before 4.17 */
        munmap(a, len);
        return MMF_EFAULT;
    }
    *cookie = -1;
    if ((o->r->hdr.flags & MMF__HF_FILE) && !(o->r->hdr.flags & MMF_SECTION_LARGE_PAGES)) {
        /* Keep the file for flushing this view after the handle closes. */
        int fd = fcntl(o->r->data_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            munmap(a, len);
            return mmf__linux_err(errno);
        }
        *cookie = fd;
    }
    if (mmf__linux_guard_map(a, len, p, *cookie) < 0)
        return MMF_ENOMEM;
    *addr = a;
    return 0;
}

int mmf__os_map_twice(mmf__obj *o, uint64_t offset, size_t len, void **addr,
                      intptr_t *cookie)
{
    off_t off = (off_t)(o->r->data_off + offset);
    uint8_t *base;

    if (len == 0 || len > SIZE_MAX / 2)
        return MMF_EINVAL;
    /* Reserve the whole range first, then replace each half: MAP_FIXED is
     * safe here because the range is our own reservation. */
    base = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return mmf__linux_err(errno);
    if (mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             o->r->data_fd, off) == MAP_FAILED ||
        mmap(base + len, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             o->r->data_fd, off) == MAP_FAILED) {
        int rc = mmf__linux_err(errno);
        munmap(base, 2 * len);
        return rc;
    }
    *cookie = -1;
    if (o->r->hdr.flags & MMF__HF_FILE) {
        int fd = fcntl(o->r->data_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            munmap(base, 2 * len);
            return mmf__linux_err(errno);
        }
        *cookie = fd;
    }
    if (mmf__linux_guard_map(base, 2 * len, PROT_READ | PROT_WRITE, *cookie) < 0)
        return MMF_ENOMEM;
    *addr = base;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Endpoint claims                                                           */
/* ------------------------------------------------------------------------ */

/*
 * Claim slot i is a write lock on byte CLAIM_BASE + i of the channel's
 * companion file (see the top of the file: a lock on the object file
 * itself could be blocked by anyone who may read the channel). Each claim
 * has its own open file description: OFD locks of one description never
 * conflict with each other, so two endpoints of one process (say a
 * producer and a consumer thread) must not share one.
 */
#define CLAIM_BASE ((off_t)MMF__POSIX_CLAIM_BASE)

int mmf__linux_companion_open(const char *path, int fd, const struct mmf__hdr *h)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return mmf__linux_err(errno);
    return companion_open(path, h, st.st_uid, O_RDONLY);
}

/* The reference's descriptor of its channel's companion, opened on first
 * use. Returns it or an MMF_E* code. */
static int claims_fd(struct ref *r)
{
    struct stat st;
    int fd = __atomic_load_n(&r->claims_fd, __ATOMIC_ACQUIRE), expected = -1;

    if (fd >= 0)
        return fd;
    if (!r->named)
        return MMF_ENOTSUP; /* a received channel handle has no name here */
    if (fstat(r->fd, &st) != 0)
        return mmf__linux_err(errno);
    fd = companion_open(r->path, &r->hdr, st.st_uid, O_RDWR);
    if (fd < 0)
        return fd == MMF_ENOENT ? MMF_ECORRUPT : fd;
    if (!__atomic_compare_exchange_n(&r->claims_fd, &expected, fd, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        close(fd); /* another thread was first */
        fd = expected;
    }
    return fd;
}

int mmf__linux_claims_fd(mmf__obj *o)
{
    return claims_fd(o->r);
}

int mmf__os_claim(mmf__obj *o, uint32_t first, uint32_t count,
                  uint32_t *slot, intptr_t *claim)
{
    char self[64];
    int fd, cfd;

    if (first >= MMF__CLAIM_SLOTS || count > MMF__CLAIM_SLOTS - first)
        return MMF_EINVAL;
    if ((cfd = claims_fd(o->r)) < 0)
        return cfd;
    /* A new description of the companion, read-write because a write
     * lock needs a writable descriptor. */
    snprintf(self, sizeof self, "/proc/self/fd/%d", cfd);
    fd = open(self, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return mmf__linux_err(errno);
    for (uint32_t i = 0; i < count; i++) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                           .l_start = CLAIM_BASE + (off_t)(first + i), .l_len = 1};
        if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
            *slot = first + i;
            *claim = fd;
            return 0;
        }
        if (errno != EAGAIN && errno != EACCES) {
            int rc = mmf__linux_err(errno);
            close(fd);
            return rc;
        }
    }
    close(fd);
    return MMF_EBUSY;
}

void mmf__os_unclaim(intptr_t claim)
{
    if (claim >= 0)
        close((int)claim); /* drops the lock with the description */
}

int mmf__os_claimed(mmf__obj *o, uint32_t first, uint32_t count)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = CLAIM_BASE + (off_t)first, .l_len = (off_t)count};
    int cfd;
    if (first >= MMF__CLAIM_SLOTS || count == 0 || count > MMF__CLAIM_SLOTS - first)
        return MMF_EINVAL;
    if ((cfd = claims_fd(o->r)) < 0)
        return cfd;
    /* The reference's companion description holds no claim, so every
     * claim in the range conflicts with this probe, the caller's own
     * included. */
    if (fcntl(cfd, F_OFD_GETLK, &fl) != 0)
        return mmf__linux_err(errno);
    return fl.l_type != F_UNLCK;
}

/* ------------------------------------------------------------------------ */
/* Handle passing                                                            */
/* ------------------------------------------------------------------------ */

#define TOKEN_PREFIX "mmf1:"

int mmf__os_export(mmf__obj *o, unsigned access, char *token, size_t cap)
{
    int fd, data_fd, rc;
    if ((rc = new_ref(o, access, 0, &fd, &data_fd)) < 0)
        return rc;
    snprintf(token, cap, TOKEN_PREFIX "%d:%d:%u", fd, data_fd, access);
    return 0;
}

static int parse_token(const char *token, int *fd, int *data_fd,
                       unsigned *access)
{
    char tail;
    if (token == NULL || strncmp(token, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1) != 0 ||
        sscanf(token + sizeof TOKEN_PREFIX - 1, "%d:%d:%u%c", fd, data_fd,
               access, &tail) != 3 ||
        *fd < 0 || *data_fd < -1 || *access == 0 ||
        (*access & ~(unsigned)MMF_ACCESS_ALL) != 0)
        return MMF_EINVAL;
    return 0;
}

int mmf__os_export_close(const char *token)
{
    int fd, data_fd, rc;
    unsigned access;
    if ((rc = parse_token(token, &fd, &data_fd, &access)) < 0)
        return rc;
    /* Close without unlocking: the child's copy of the OFD keeps the
     * reference. */
    close(fd);
    if (data_fd >= 0)
        close(data_fd);
    return 0;
}

/* Build a reference from descriptors received from another process. */
static int adopt_received(int fd, int data_fd, unsigned access, mmf__obj **out)
{
    struct mmf__hdr *h = malloc(sizeof *h);
    int fl, rc;

    if (h == NULL) {
        rc = MMF_ENOMEM;
        goto fail;
    }
    if ((rc = mmf__linux_load_header(fd, h)) < 0)
        goto fail;
    /* The descriptors' open mode is the real limit on access. */
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) != O_RDWR)
        access &= ~(unsigned)MMF_ACCESS_WRITE;
    if ((h->flags & MMF__HF_FILE) && data_fd < 0) {
        rc = MMF_ECORRUPT;
        goto fail;
    }
    if (h->flags & MMF__HF_FILE) {
        /* The data descriptor came with the header: it must be the file
         * the header records, and hold the size it gives. */
        struct stat dst;
        if (fstat(data_fd, &dst) != 0 || !S_ISREG(dst.st_mode) ||
            (uint64_t)dst.st_dev != h->file_dev || (uint64_t)dst.st_ino != h->file_ino ||
            (uint64_t)dst.st_size < h->size) {
            rc = MMF_ECORRUPT;
            goto fail;
        }
    }
    if (!(h->flags & MMF__HF_FILE) && data_fd >= 0) {
        close(data_fd);
        data_fd = -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (data_fd >= 0)
        fcntl(data_fd, F_SETFD, FD_CLOEXEC);
    /* Make sure this OFD holds a reference (it does if it came from
     * export or send, which lock before handing it over). */
    if ((rc = ref_lock(fd, F_RDLCK)) < 0)
        goto fail;
    if (fl >= 0 && (fl & O_ACCMODE) != O_RDWR) {
        /* A read-only description cannot take the write lock that removes
         * the name on the last close (store.c, I3). If this process may
         * write the file, hold the reference through a read-write one;
         * the received descriptor still limits what views may do. */
        int rw = reopen(fd, MMF_ACCESS_READ | MMF_ACCESS_WRITE, 1);
        if (rw >= 0 && ref_lock(rw, F_RDLCK) == 0) {
            ref_lock(fd, F_UNLCK);
            if (h->flags & MMF__HF_FILE) {
                close(fd);
            } else {
                data_fd = fd;
            }
            fd = rw;
        } else if (rw >= 0) {
            close(rw);
        }
    }
    {
        /* A named object received is named here too if its name leads to
         * the same file (a Local\ name of another user does not). */
        struct mmf__name nm;
        char path[PATH_MAX];
        int named = h->name_len > 0 && mmf__name_parse(h->name, 0, &nm) == 0 &&
                    object_path(&nm, path, sizeof path) == 0 && path_is(path, fd);
        rc = finish_obj(fd, h, access, data_fd, (access & MMF_ACCESS_WRITE) != 0,
                        named ? path : NULL, NULL, out);
    }
    free(h);
    return rc;
fail:
    free(h);
    close(fd);
    if (data_fd >= 0)
        close(data_fd);
    return rc;
}

int mmf__os_import(const char *token, mmf__obj **out)
{
    int fd, data_fd, rc;
    unsigned access;
    if ((rc = parse_token(token, &fd, &data_fd, &access)) < 0)
        return rc;
    if (fcntl(fd, F_GETFD) < 0 || (data_fd >= 0 && fcntl(data_fd, F_GETFD) < 0))
        return MMF_EBADF;
    return adopt_received(fd, data_fd, access, out);
}

/* The message carries this payload and one or two descriptors. */
struct wire {
    char magic[4]; /* "MMFS" */
    uint32_t access;
};

int mmf__os_send(int sock, mmf__obj *o, unsigned access)
{
    struct wire w = {{'M', 'M', 'F', 'S'}, access};
    struct iovec iov = {&w, sizeof w};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } u;
    struct msghdr msg = {0};
    struct cmsghdr *c;
    int fds[2], n, rc;
    ssize_t sent;

    if ((rc = new_ref(o, access, 1, &fds[0], &fds[1])) < 0)
        return rc;
    n = fds[1] >= 0 ? 2 : 1;
    memset(&u, 0, sizeof u);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    do {
        sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    rc = sent == (ssize_t)sizeof w ? 0 : sent < 0 ? mmf__linux_err(errno) : MMF_EIO;
    /* The descriptors in flight hold the reference now; ours go. */
    close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return rc;
}

int mmf__os_recv(int sock, mmf__obj **out)
{
    struct wire w;
    struct iovec iov = {&w, sizeof w};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } u;
    struct msghdr msg = {0};
    struct cmsghdr *c;
    int fds[2] = {-1, -1};
    ssize_t got;
    size_t n = 0;

    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    do {
        got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return mmf__linux_err(errno);
    for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (n < 2)
                    fds[n++] = fd;
                else
                    close(fd);
            }
        }
    }
    if (got == 0 && n == 0)
        return MMF_EIO; /* peer closed the socket */
    if (got != (ssize_t)sizeof w || memcmp(w.magic, "MMFS", 4) != 0 || n == 0 ||
        (msg.msg_flags & MSG_CTRUNC) || w.access == 0 ||
        (w.access & ~(unsigned)MMF_ACCESS_ALL) != 0) {
        for (size_t i = 0; i < n; i++)
            close(fds[i]);
        return MMF_EINVAL;
    }
    return adopt_received(fds[0], fds[1], w.access, out);
}

/* ------------------------------------------------------------------------ */
/* For the inspection API (src/linux/inspect.c)                             */
/* ------------------------------------------------------------------------ */

int mmf__linux_object_path(const struct mmf__name *nm, char *path, size_t cap)
{
    return object_path(nm, path, cap);
}

/* Remove a store entry that is not a regular file (a planted folder, FIFO
 * or link): nobody can hold it, and it blocks its name. */
static int remove_squatter(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return mmf__linux_err(errno);
    if (st.st_uid != geteuid() && geteuid() != 0)
        return MMF_EACCES;
    if ((S_ISDIR(st.st_mode) ? rmdir(path) : unlink(path)) == 0)
        return 0;
    /* A non-empty folder is left: its contents are not ours to judge. */
    return errno == EPERM || errno == ENOTEMPTY || errno == EEXIST ? MMF_EACCES
                                                                    : mmf__linux_err(errno);
}

int mmf__linux_reclaim(const char *path)
{
    struct stat st;
    int fd, rc, e;

    fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && (errno == EACCES || errno == EROFS))
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP || errno == EISDIR)
            return remove_squatter(path);
        return mmf__linux_err(errno);
    }
    if (fstat(fd, &st) != 0) {
        rc = mmf__linux_err(errno);
    } else if (!S_ISREG(st.st_mode)) {
        rc = remove_squatter(path);
    } else if ((e = lock_bytes(fd, F_RDLCK, BYTE_PRESENT, 1)) != 0) {
        rc = e == EAGAIN ? MMF_EBUSY : mmf__linux_err(e);
    } else if (!still_named(path, fd, &st)) {
        rc = MMF_ENOENT; /* reclaimed or replaced by someone else meanwhile */
    } else if ((rc = others_lock(fd, BYTE_ESTABLISHED, 1)) > 0) {
        rc = MMF_EBUSY;
    } else if (rc == 0) {
        e = try_remove_stale(path, fd);
        /* EBADF: read-only to us; EPERM: a sticky store refuses to delete
         * another user's file. */
        rc = e == 0 ? 0 : e == EAGAIN ? MMF_EBUSY
             : e == EBADF || e == EPERM ? MMF_EACCES : mmf__linux_err(e);
    }
    close(fd);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Descriptor limit                                                          */
/* ------------------------------------------------------------------------ */

int mmf__linux_raise_nofile(void)
{
    static int done;
    struct rlimit rl;

    if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
        return 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return 0;
    /* An unlimited hard limit still meets the kernel's fs.nr_open. */
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
    while (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        if (errno != EPERM || rl.rlim_cur <= 4096)
            return 0;
        rl.rlim_cur /= 2;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Exit                                                                      */
/* ------------------------------------------------------------------------ */

/*
 * At exit, as on Windows, this process's handles close. Other threads may
 * still run and use their views, so nothing is unmapped or freed: each
 * named reference only runs the close protocol (unlink the name if last,
 * drop the locks) and is marked as no longer owning its locks, so a later
 * close by another thread only closes descriptors.
 */
static void release_at_exit(void)
{
    pid_t me = getpid();
    mmf__os_lock();
    for (size_t i = 0; i < table.size; i++) {
        for (struct mmf__linux_hnode *n = table.bucket[i]; n != NULL; n = n->next) {
            struct ref *r = (struct ref *)(void *)n;
            if (r->pid != me)
                continue; /* a fork child's copy of its parent's reference */
            r->pid = 0;
            leave(r->fd, r->path, r->dev, r->ino, &r->hdr, 2, r->others, 0);
        }
    }
    mmf__os_unlock();
}

static void watch_exit(void)
{
    atexit(release_at_exit);
}

/* ------------------------------------------------------------------------ */
/* Sweep                                                                     */
/* ------------------------------------------------------------------------ */

/* Entries examined (opened) per sweep, at most, and bytes of the store
 * folder read per sweep (one getdents64 call: 16 KiB hold some 200 to 680
 * entries, whoever's they are). A sweep resumes where the previous one of
 * the process stopped, by directory offset, so what one costs does not
 * grow with the number of entries in the store. */
#define SWEEP_BATCH 128u
#define SWEEP_READ 16384u
#define SWEEP_INTERVAL_NS UINT64_C(1000000000)

static uint64_t sweep_last; /* mmf__os_now_ns() of the last sweep, 0: none */
static int sweeping;        /* 1 while a thread sweeps */
/* Where the next sweep starts: the directory offset (d_off) after the last
 * entry examined, in the folder with this identity; 0 is the start. */
static int64_t sweep_off;
static uint64_t sweep_dev, sweep_ino;

/* A directory entry as getdents64 returns it. */
struct dirent64_raw {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};
/* The longest entry: header, a NAME_MAX name and its NUL, to 8 bytes. */
#define DIRENT_MAX ((offsetof(struct dirent64_raw, d_name) + NAME_MAX + 1 + 7) & ~(size_t)7)

/* A companion at path nobody locks whose channel is gone: remove it. */
static void sweep_companion(const char *dir, const char *path)
{
    char back[NAME_MAX + 1], obj[PATH_MAX];
    struct mmf__hdr *h;
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), ofd, keep = 0;

    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || others_lock(fd, 0, 0) != 0 ||
        (n = pread(fd, back, sizeof back - 1, 0)) < 0) {
        close(fd);
        return;
    }
    back[n] = '\0';
    snprintf(obj, sizeof obj, "%s/%s", dir, back);
    if (n > 4 && strncmp(back, "mmf.", 4) == 0 && strchr(back, '/') == NULL &&
        (ofd = open(obj, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) >= 0) {
        if ((h = malloc(sizeof *h)) == NULL) {
            keep = 1;
        } else {
            keep = mmf__linux_load_header(ofd, h) != 0 ||
                   (h->type == MMF__TYPE_CHANNEL && h->claims_ino == (uint64_t)st.st_ino);
            free(h);
        }
        close(ofd);
    }
    /* Still unlocked (no creator between its two links)? Then it's gone. */
    if (!keep && others_lock(fd, 0, 0) == 0)
        unlink(path);
    close(fd);
}

/* Entries seen stale by the previous sweep, reclaimed by the next one if
 * still stale: an object is only swept once it has been stale for at
 * least a sweep interval, so that a tool looking at a freshly stale
 * object (`mmf ls` after a crash) still finds it. A stale object cannot
 * become live again (an opener removes it), so stale at two sweeps means
 * stale all along. */
#define SWEEP_CANDIDATES 64u
static struct candidate {
    uint64_t dev, ino;
    char name[NAME_MAX + 1];
} candidates[SWEEP_CANDIDATES];
static unsigned ncandidates;

/* 1 if nobody holds the object file at path (no lock of any kind on
 * bytes 0-1), and sets *st; 0 otherwise. */
static int unheld(const char *path, struct stat *st)
{
    int held, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    held = fstat(fd, st) != 0 || others_lock(fd, BYTE_PRESENT, 2) != 0;
    close(fd);
    return !held;
}

/* Sweep up to `batch` of the caller's entries, reading at most SWEEP_READ
 * bytes of the folder from where the previous sweep stopped; returns the
 * number examined. */
static int sweep(unsigned batch)
{
    char local[32], path[PATH_MAX];
    const char *dir;
    unsigned examined = 0, old = ncandidates;
    size_t llen;
    uid_t me = geteuid();
    union {
        struct dirent64_raw align;
        char bytes[SWEEP_READ];
    } *buf;
    struct stat dst;
    int64_t off;
    ssize_t n;
    long pos;
    int dfd;

    if (mmf__linux_store_dir(&dir) < 0)
        return 0;
    /* First what the previous sweep found stale. */
    for (unsigned i = 0; i < old; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, candidates[i].name);
        if (unheld(path, &st) && (uint64_t)st.st_dev == candidates[i].dev &&
            (uint64_t)st.st_ino == candidates[i].ino)
            mmf__linux_reclaim(path);
    }
    ncandidates = 0;
    if ((buf = malloc(sizeof *buf)) == NULL)
        return 0;
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(dfd, &dst) != 0) {
        if (dfd >= 0)
            close(dfd);
        free(buf);
        return 0;
    }
    /* An offset only means something in the folder it came from. */
    off = sweep_off;
    if ((uint64_t)dst.st_dev != sweep_dev || (uint64_t)dst.st_ino != sweep_ino)
        off = 0;
    if (off != 0 && lseek(dfd, (off_t)off, SEEK_SET) < 0)
        off = 0;
    n = syscall(SYS_getdents64, dfd, buf->bytes, sizeof buf->bytes);
    if (n < 0 && off != 0 && lseek(dfd, 0, SEEK_SET) == 0) {
        off = 0; /* an offset the folder no longer takes: start again */
        n = syscall(SYS_getdents64, dfd, buf->bytes, sizeof buf->bytes);
    }
    snprintf(local, sizeof local, "mmf.u%u.", (unsigned)me);
    llen = strlen(local);
    /* At the end of the folder (n == 0) the next sweep starts again. */
    if (n <= 0)
        off = 0;
    for (pos = 0; pos < n;) {
        struct dirent64_raw *e = (struct dirent64_raw *)(void *)(buf->bytes + pos);
        size_t plen;
        struct stat st;

        if (e->d_reclen < offsetof(struct dirent64_raw, d_name) + 1 ||
            e->d_reclen > (size_t)(n - pos) ||
            memchr(e->d_name, '\0', e->d_reclen - offsetof(struct dirent64_raw, d_name)) == NULL) {
            off = 0; /* not what the kernel writes: start again next time */
            break;
        }
        if (strncmp(e->d_name, local, llen) == 0)
            plen = llen;
        else if (strncmp(e->d_name, "mmf.g0.", 7) == 0)
            plen = 7;
        else
            plen = 0;
        if (plen != 0) {
            if (examined == batch)
                break; /* resume at this entry: off is the one before */
            examined++;
        }
        off = e->d_off;
        pos += e->d_reclen;
        if (plen == 0)
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            st.st_uid != me || !S_ISREG(st.st_mode))
            continue; /* not ours to remove; squatters are for `mmf gc` */
        if (e->d_name[plen] == '+') {
            sweep_companion(dir, path);
            continue;
        }
        /* A cheap look: any lock means held (or being decided). */
        if (ncandidates < SWEEP_CANDIDATES && unheld(path, &st)) {
            struct candidate *c = &candidates[ncandidates++];
            c->dev = (uint64_t)st.st_dev;
            c->ino = (uint64_t)st.st_ino;
            snprintf(c->name, sizeof c->name, "%s", e->d_name);
        }
    }
    /* All read, and room was left for one more entry of any length: this
     * was the end of the folder, and the next sweep starts again (so it
     * sees the entries made since, wherever their offsets are). */
    if (pos >= n && (size_t)n + DIRENT_MAX <= sizeof buf->bytes)
        off = 0;
    sweep_off = off;
    sweep_dev = (uint64_t)dst.st_dev;
    sweep_ino = (uint64_t)dst.st_ino;
    close(dfd);
    free(buf);
    return (int)examined;
}

void mmf__linux_sweep_maybe(void)
{
    uint64_t now = mmf__os_now_ns();
    uint64_t last = __atomic_load_n(&sweep_last, __ATOMIC_RELAXED);

    if (last != 0 && now - last < SWEEP_INTERVAL_NS)
        return;
    /* One thread sweeps; the others go on at once. */
    if (!__atomic_compare_exchange_n(&sweep_last, &last, now, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED) ||
        __atomic_exchange_n(&sweeping, 1, __ATOMIC_ACQUIRE))
        return;
    sweep(SWEEP_BATCH);
    __atomic_store_n(&sweeping, 0, __ATOMIC_RELEASE);
}
