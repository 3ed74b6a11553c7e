/* SPDX-License-Identifier: MIT */
/* os.c - Linux implementation of the small OS facts and memory calls. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "linux.h"

int mmf__linux_err(int errnum)
{
    /* The codes that are an errno, from the one list (mmf.h). */
#define MMF_ERR_SAME_(name, value, text)                                       \
    if ((value) == -errnum)                                                    \
        return (value);
    MMF_ERRNO_MAP(MMF_ERR_SAME_)
#undef MMF_ERR_SAME_
    /* The others fold into the nearest code. */
    switch (errnum) {
    case EOPNOTSUPP:
        return MMF_ENOTSUP;
    case ENFILE:
        return MMF_EMFILE;
    case EDQUOT:
        return MMF_ENOSPC;
    case EPERM: case EROFS: case ETXTBSY:
        return MMF_EACCES; /* as Windows, one code for "not allowed" */
    case ELOOP: case ENOTDIR: case ENXIO:
        return MMF_ECORRUPT; /* something that is not our object is there */
    default:
        return MMF_EIO; /* EINTR among them: every caller retries it first */
    }
}

size_t mmf__os_page_size(void)
{
    static size_t page;
    if (page == 0)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

size_t mmf__os_granularity(void)
{
    return mmf__os_page_size();
}

/* ---- NUMA -------------------------------------------------------------- */

/* MPOL_PREFERRED of <linux/mempolicy.h>, stable kernel ABI: spelled here so
 * that no header or library beyond the system call is needed. */
#define NUMA_MPOL_PREFERRED 1
/* Nodes a mask below can name: the kernel's own limit (MAX_NUMNODES is
 * at most 1 << 10). */
#define NUMA_NODES 1024u

int mmf__os_numa_highest(void)
{
    /* "0", "0-3" or "0,2-5": the highest is the last number. */
    char buf[256];
    int fd = open("/sys/devices/system/node/online", O_RDONLY | O_CLOEXEC), high = 0;
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0; /* no NUMA in this kernel: one node */
    buf[n] = '\0';
    for (ssize_t i = 0, v = -1; i <= n; i++) {
        if (buf[i] >= '0' && buf[i] <= '9') {
            v = (v < 0 ? 0 : v * 10) + (buf[i] - '0');
            if (v >= (ssize_t)NUMA_NODES)
                return (int)NUMA_NODES - 1;
        } else if (v >= 0) {
            high = (int)v;
            v = -1;
        }
    }
    return high;
}

int mmf__os_numa_check(unsigned node)
{
    return node <= (unsigned)mmf__os_numa_highest() ? 0 : MMF_EINVAL;
}

int mmf__os_numa_prefer(void *addr, size_t len, unsigned node)
{
    unsigned long mask[NUMA_NODES / (8 * sizeof(unsigned long))] = {0};
    const unsigned bits = 8 * sizeof(unsigned long);

    if (node >= NUMA_NODES)
        return MMF_EINVAL;
    mask[node / bits] = 1ul << (node % bits);
    /* maxnode counts one past the last bit the kernel reads. A node the
     * kernel knows but that has no memory is EINVAL. */
    if (syscall(SYS_mbind, addr, (unsigned long)len, NUMA_MPOL_PREFERRED, mask,
                (unsigned long)node + 2, 0u) != 0)
        return errno == ENOSYS ? MMF_ENOTSUP : mmf__linux_err(errno);
    return 0;
}

int mmf__linux_numa_prefer_fd(int fd, uint64_t off, uint64_t len, unsigned node)
{
    /* A shmem file keeps the policy of a shared mapping as its own, for
     * every mapping and for fallocate: map the range without access, set
     * it and unmap. Nothing is touched, so the file may still be empty. */
    void *a = mmap(NULL, (size_t)len, PROT_NONE, MAP_SHARED, fd, (off_t)off);
    int rc;

    if (a == MAP_FAILED)
        return mmf__linux_err(errno);
    rc = mmf__os_numa_prefer(a, (size_t)len, node);
    munmap(a, (size_t)len);
    return rc;
}

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

void mmf__os_lock(void)
{
    pthread_mutex_lock(&table_lock);
}

void mmf__os_unlock(void)
{
    pthread_mutex_unlock(&table_lock);
}

/* A fork while another thread holds the lock would leave it held forever
 * in the child, whose next mmf call, or its exit (store.c releases
 * references at exit), would then hang. Holding it across fork() keeps
 * the tables consistent in the child too; it is only ever held for a few
 * instructions. */
__attribute__((constructor)) static void guard_forks(void)
{
    pthread_atfork(mmf__os_lock, mmf__os_unlock, mmf__os_unlock);
}

int mmf__os_populate(void *addr, size_t len, int write)
{
    /* MADV_POPULATE_* (Linux 5.14) reports a lack of memory as an error
     * instead of the SIGBUS that touching the pages would raise. */
    if (madvise(addr, len, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0)
        return 0;
    if (errno == EINVAL)
        return MMF_ENOTSUP;
    if (errno == EFAULT || errno == ENOMEM || errno == EHWPOISON)
        return MMF_ENOMEM;
    return mmf__linux_err(errno);
}

void mmf__os_unmap(void *addr, size_t len, intptr_t cookie)
{
    mmf__linux_guard_unmap(addr, len);
    if (cookie >= 0)
        close((int)cookie);
}

int mmf__os_flush(void *addr, size_t len, intptr_t cookie, int durable)
{
    /* Pagefile-backed views have no file to write to (cookie -1). */
    if (cookie < 0)
        return 0;
    if (durable) {
        if (msync(addr, len, MS_SYNC) != 0 || fdatasync((int)cookie) != 0)
            return mmf__linux_err(errno);
        return 0;
    }
    /* msync(MS_ASYNC) does nothing on Linux; ask for write-back instead. */
    if (msync(addr, len, MS_ASYNC) != 0)
        return mmf__linux_err(errno);
    if (sync_file_range((int)cookie, 0, 0, SYNC_FILE_RANGE_WRITE) != 0 &&
        errno != ESPIPE && errno != EINVAL)
        return mmf__linux_err(errno);
    return 0;
}

intptr_t mmf__os_cookie_ref(intptr_t cookie)
{
    return cookie < 0 ? -1 : fcntl((int)cookie, F_DUPFD_CLOEXEC, 0);
}

void mmf__os_cookie_unref(intptr_t cookie)
{
    if (cookie >= 0)
        close((int)cookie);
}

int mmf__os_file_prepare(mmf__file f, unsigned prot, uint64_t *size)
{
    struct stat st;
    int fd = (int)f, fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return MMF_EBADF;
    if (fstat(fd, &st) != 0)
        return mmf__linux_err(errno);
    if (!S_ISREG(st.st_mode))
        return MMF_ENODEV;
    /* mmap needs a readable descriptor; a writable section a writable one. */
    if ((fl & O_ACCMODE) == O_WRONLY ||
        ((prot & MMF_PROT_WRITE) && (fl & O_ACCMODE) != O_RDWR))
        return MMF_EACCES;
    if (*size == 0) {
        if (st.st_size == 0)
            return MMF_EFILEEMPTY;
        *size = (uint64_t)st.st_size;
        return 0;
    }
    if (*size <= (uint64_t)st.st_size)
        return 0;
    if (!(prot & MMF_PROT_WRITE))
        return MMF_ERANGE; /* a read-only section cannot grow its file */
    if (*size > (uint64_t)INT64_MAX)
        return MMF_EFBIG;
    /* Allocate the new blocks so a full disk fails here, not as a SIGBUS
     * in a view later; file systems without fallocate just grow. */
    int e = posix_fallocate(fd, st.st_size, (off_t)(*size - (uint64_t)st.st_size));
    if (e == ENOSPC || e == EFBIG || e == EDQUOT)
        return mmf__linux_err(e);
    if (e != 0 && ftruncate(fd, (off_t)*size) != 0)
        return mmf__linux_err(errno);
    return 0;
}

/* The error of opening a caller's file path (not a store object): a
 * directory is not a regular file; a path through something that is not a
 * directory, or a loop of links, leads to no file. */
static int user_path_err(int e)
{
    if (e == EISDIR)
        return MMF_ENODEV;
    if (e == ENOTDIR || e == ELOOP)
        return MMF_ENOENT;
    return mmf__linux_err(e);
}

int mmf__os_file_from_fd(int fd, mmf__file *out)
{
    if (fd < 0)
        return MMF_EBADF;
    *out = fd;
    return 0;
}

int mmf__os_file_open(const char *path, unsigned prot, mmf__file *out)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
     * refused as not a regular file). */
    int fd = open(path, ((prot & MMF_PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC |
                            O_NONBLOCK);
    if (fd < 0)
        return user_path_err(errno);
    *out = fd;
    return 0;
}

void mmf__os_file_close(mmf__file f)
{
    close((int)f);
}

/* ------------------------------------------------------------------------ */
/* Clock and futexes for channels                                            */
/* ------------------------------------------------------------------------ */

uint64_t mmf__os_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

size_t mmf__os_chan_granule(void)
{
    return mmf__os_granularity();
}

/* The futex calls wait on the word's address itself: shared futexes find
 * the word in every process that maps it, so o and key are not needed. */
int mmf__os_wait_word(mmf__obj *o, uint32_t key, const uint32_t *word, uint32_t val,
                      uint64_t deadline)
{
    struct timespec ts;
    long r;

    (void)o;
    (void)key;
    if (deadline != MMF__NO_DEADLINE) {
        ts.tv_sec = (time_t)(deadline / 1000000000ull);
        ts.tv_nsec = (long)(deadline % 1000000000ull);
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. Shared
     * (not FUTEX_PRIVATE): the word lives in memory other processes map. */
    r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, val,
                deadline == MMF__NO_DEADLINE ? NULL : &ts, NULL,
                FUTEX_BITSET_MATCH_ANY);
    return r != 0 && errno == ETIMEDOUT ? MMF_ETIMEDOUT : 0;
}

void mmf__os_wake_word(mmf__obj *o, uint32_t key, const uint32_t *word, int n)
{
    (void)o;
    (void)key;
    syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);
}

void mmf__os_nap(uint64_t ns)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int mmf__os_file_create(const char *path, unsigned mode, mmf__file *out)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK,
                  (mode_t)(mode ? mode : 0600));
    if (fd < 0)
        return user_path_err(errno);
    *out = fd;
    return 0;
}

long mmf__os_file_read(mmf__file f, uint64_t off, void *buf, size_t len)
{
    int fd = (int)f;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mmf__linux_err(errno);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}
