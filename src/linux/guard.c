/* SPDX-License-Identifier: MIT */
/*
 * guard.c - the SIGBUS guard over mmf's mappings of shared files (see
 * guard.h for what it promises).
 *
 * THE TABLE
 *
 * One anonymous, never-freed table of slots, sized when first used to
 * twice vm.max_map_count (a process cannot hold more mappings than that,
 * so it does not fill up: 131072 slots, 4 MiB of address space, by
 * default). A mapping goes into the slot its base address hashes to, or
 * the next free one after it (linear probing), so adding and removing
 * cost a hash and a few loads, whatever the number of mappings. A removed
 * entry leaves a tombstone that a later add reuses, so probing for a
 * removal stops only at a slot never used.
 *
 * Each slot has a sequence counter, even while the slot is stable: a
 * writer claims the slot by moving it from even to odd with a
 * compare-and-swap, writes the range and publishes by making it even
 * again. The signal handler, which may interrupt a writer in another
 * thread (or in its own), reads a slot only if the counter is even and
 * the same before and after. The handler looks for the range that
 * contains the faulting address, so it scans: per block of 64 slots a
 * count of live entries lets it skip the empty ones.
 *
 * THE HANDLER
 *
 * A fault with si_code BUS_ADRERR in a registered range is a page past the
 * end of its file: the handler maps private zero-filled memory over that
 * page with a raw mmap system call (async-signal-safe, and not seen by a
 * sanitizer's interceptors), marks the range damaged and returns, so the
 * access runs again and succeeds. Everything else - another address,
 * BUS_ADRALN, the BUS_MCEERR_* hardware memory errors, a SIGBUS sent with
 * kill() - goes to the handler that was installed before ours, or to the
 * default action. The handler uses a few hundred bytes of stack and runs
 * on the thread's alternate signal stack if it has one (SA_ONSTACK).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../atomic.h"
#include "guard.h"
#include "linux.h"

struct slot {
    uint32_t seq;     /* even: stable; odd: a writer owns the slot */
    uint32_t damaged; /* set by the handler */
    uintptr_t start;  /* EMPTY, TOMB, or the range's first byte */
    uintptr_t end;    /* one past its last byte */
    int prot;         /* PROT_* of the mapping: what a replaced page gets */
    int unused;
};

#define EMPTY ((uintptr_t)0) /* never used: probing stops here */
#define TOMB ((uintptr_t)1)  /* used, then removed: probing goes on */
#define BLOCK 64u            /* slots per live count */
#define MIN_SLOTS (1u << 12)
#define MAX_SLOTS (1u << 22)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct slot *tab;
static uint32_t *live;         /* live entries per block of BLOCK slots */
static size_t cap;             /* slots, a power of two; 0 if no table */
static unsigned bits;          /* log2(cap) */
static uintptr_t page;
static unsigned long damages;  /* pages replaced so far in this process */
static struct sigaction previous;

/* ------------------------------------------------------------------------ */
/* Slots                                                                     */
/* ------------------------------------------------------------------------ */

static size_t home(uintptr_t addr)
{
    return (size_t)(((uint64_t)(addr / page) * UINT64_C(0x9e3779b97f4a7c15)) >>
                    (64 - bits));
}

/* Own slot s if its counter is still q (even); 1 on success. */
static int own(struct slot *s, uint32_t q)
{
    if (!__atomic_compare_exchange_n(&s->seq, &q, q + 1, 0, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return 0;
    /* Keeps the data stores below after the odd counter (a seqlock's
     * writer side). */
    mmf__fence_release();
    return 1;
}

static void publish(struct slot *s, uint32_t q)
{
    __atomic_store_n(&s->seq, q + 2, __ATOMIC_RELEASE);
}

/* The entry that contains addr, or NULL. Safe in a signal handler. */
static struct slot *containing(uintptr_t addr)
{
    for (size_t b = 0; b < cap / BLOCK; b++) {
        if (__atomic_load_n(&live[b], __ATOMIC_RELAXED) == 0)
            continue;
        for (size_t i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
            struct slot *s = &tab[i];
            uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
            uintptr_t a, e;
            if (q & 1)
                continue;
            a = __atomic_load_n(&s->start, __ATOMIC_RELAXED);
            e = __atomic_load_n(&s->end, __ATOMIC_RELAXED);
            mmf__fence_acquire();
            if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != q)
                continue;
            if (a > TOMB && addr >= a && addr < e)
                return s;
        }
    }
    return NULL;
}

/* The live entry that starts at base (with length len, unless 0). */
static struct slot *starting(uintptr_t base, size_t len, uint32_t *seq)
{
    size_t h = home(base);
    for (size_t i = 0; i < cap; i++) {
        struct slot *s = &tab[(h + i) & (cap - 1)];
        uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        uintptr_t a = __atomic_load_n(&s->start, __ATOMIC_RELAXED);
        if (a == EMPTY)
            return NULL;
        if (a == base && !(q & 1) &&
            (len == 0 || __atomic_load_n(&s->end, __ATOMIC_RELAXED) == base + len)) {
            *seq = q;
            return s;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The handler                                                               */
/* ------------------------------------------------------------------------ */

static long raw_mmap(uintptr_t addr, size_t len, int prot)
{
    return syscall(SYS_mmap, addr, len, prot,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* Put zero-filled private memory where the page at addr was. A huge-page
 * mapping can only be replaced in whole huge pages: try the usual sizes
 * (2 MiB, 1 GiB) when a small page is refused. */
static int replace(const struct slot *s, uintptr_t addr)
{
    static const uintptr_t sizes[] = {0, UINT64_C(1) << 21, UINT64_C(1) << 30};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uintptr_t sz = i == 0 ? page : sizes[i];
        uintptr_t a = addr & ~(sz - 1);
        if (a < s->start || a + sz > s->end)
            break;
        if (raw_mmap(a, sz, s->prot) != -1)
            return 0;
    }
    return -1;
}

/* What would have happened without mmf's handler: the previous handler
 * is called (with mmf's mask, not its own), or the default action taken. */
static void pass_on(int sig, siginfo_t *si, void *ctx)
{
    struct sigaction dfl;

    /* sa_handler and sa_sigaction share storage: SIG_IGN and SIG_DFL are
     * recognised whichever was set. */
    if (previous.sa_handler == SIG_IGN) {
        /* A sent signal can be ignored; a fault cannot (the kernel would
         * have forced the default action). */
        if (si->si_code <= 0)
            return;
    } else if (previous.sa_handler != SIG_DFL) {
        if (previous.sa_flags & SA_SIGINFO)
            previous.sa_sigaction(sig, si, ctx);
        else
            previous.sa_handler(sig);
        return;
    }
    /* The default action: restore it and send the signal again. It stays
     * pending until this handler returns, and is then delivered at the
     * faulting instruction (or wherever a sent one arrived). */
    dfl.sa_handler = SIG_DFL;
    dfl.sa_flags = 0;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGBUS, &dfl, NULL);
    raise(sig);
}

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
    int saved = errno;

    if (si->si_code == BUS_ADRERR) {
        struct slot *s = containing((uintptr_t)si->si_addr);
        if (s != NULL && replace(s, (uintptr_t)si->si_addr) == 0) {
            __atomic_store_n(&s->damaged, 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&damages, 1, __ATOMIC_RELEASE);
            errno = saved;
            return;
        }
    }
    errno = saved;
    pass_on(sig, si, ctx);
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                    */
/* ------------------------------------------------------------------------ */

/* vm.max_map_count, or the kernel's default if it cannot be read. */
static size_t max_map_count(void)
{
    char buf[32];
    long n = 0;
    int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r > 0) {
            buf[r] = '\0';
            n = strtol(buf, NULL, 10);
        }
    }
    return n > 0 ? (size_t)n : 65530;
}

static void init_once(void)
{
    size_t want = 2 * max_map_count(), n = MIN_SLOTS, bytes;
    struct sigaction sa;
    void *p;

    page = (uintptr_t)mmf__os_page_size();
    while (n < want && n < MAX_SLOTS)
        n *= 2;
    bytes = n * sizeof(struct slot) + n / BLOCK * sizeof(uint32_t);
    /* Only the pages of the table that are used take memory. */
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return; /* cap stays 0: every add fails */
    tab = p;
    live = (uint32_t *)(tab + n);
    for (bits = 0; ((size_t)1 << bits) < n; bits++)
        ;
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &previous) != 0) {
        munmap(p, bytes);
        tab = NULL;
        return;
    }
    __atomic_store_n(&cap, n, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------ */
/* The interface                                                             */
/* ------------------------------------------------------------------------ */

int mmf__linux_guard_add(void *addr, size_t len, int prot)
{
    uintptr_t a = (uintptr_t)addr;
    size_t h;

    pthread_once(&once, init_once);
    if (cap == 0 || len == 0)
        return MMF_ENOMEM;
    h = home(a);
    for (size_t i = 0; i < cap; i++) {
        size_t k = (h + i) & (cap - 1);
        struct slot *s = &tab[k];
        uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        if ((q & 1) || __atomic_load_n(&s->start, __ATOMIC_RELAXED) > TOMB)
            continue;
        if (!own(s, q)) {
            i--; /* changed under us: look at it again */
            continue;
        }
        __atomic_store_n(&s->damaged, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->end, a + len, __ATOMIC_RELAXED);
        __atomic_store_n(&s->prot, prot, __ATOMIC_RELAXED);
        __atomic_store_n(&s->start, a, __ATOMIC_RELAXED);
        publish(s, q);
        __atomic_fetch_add(&live[k / BLOCK], 1, __ATOMIC_RELEASE);
        return 0;
    }
    return MMF_ENOMEM;
}

int mmf__linux_guard_remove(void *addr, size_t len)
{
    struct slot *s;
    uint32_t q;
    int damaged;

    if (__atomic_load_n(&cap, __ATOMIC_ACQUIRE) == 0)
        return 0;
    if ((s = starting((uintptr_t)addr, len, &q)) == NULL || !own(s, q))
        return 0;
    damaged = (int)__atomic_load_n(&s->damaged, __ATOMIC_RELAXED);
    __atomic_store_n(&s->start, TOMB, __ATOMIC_RELAXED);
    __atomic_store_n(&s->end, 0, __ATOMIC_RELAXED);
    publish(s, q);
    __atomic_fetch_sub(&live[(size_t)(s - tab) / BLOCK], 1, __ATOMIC_RELEASE);
    return damaged;
}

int mmf__linux_guard_map(void *addr, size_t len, int prot, intptr_t cookie)
{
    int rc = mmf__linux_guard_add(addr, len, prot);
    if (rc < 0)
        mmf__os_unmap(addr, len, cookie);
    return rc;
}

void mmf__linux_guard_unmap(void *addr, size_t len)
{
    mmf__linux_guard_remove(addr, len);
    munmap(addr, len);
}

int mmf__linux_guard_damaged(const void *base)
{
    struct slot *s;
    uint32_t q;

    if (__atomic_load_n(&damages, __ATOMIC_ACQUIRE) == 0)
        return 0;
    s = starting((uintptr_t)base, 0, &q);
    return s != NULL && __atomic_load_n(&s->damaged, __ATOMIC_RELAXED) != 0;
}

int mmf__os_damaged(const void *base)
{
    return mmf__linux_guard_damaged(base);
}
