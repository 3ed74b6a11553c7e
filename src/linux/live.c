/* SPDX-License-Identifier: MIT */
/*
 * live.c - peer death as an event: the liveness words of channel endpoints
 * (backend.h, "Peer death").
 *
 * A claim (store.c, CHANNEL CLAIMS) says for sure whether an endpoint's
 * process lives, but the kernel cannot wake anybody when it drops one. A
 * robust futex can: when a thread ends, the kernel walks its robust list,
 * marks every word that still names the thread FUTEX_OWNER_DIED and wakes
 * one sleeper of each word that has FUTEX_WAITERS. So each claimed
 * endpoint also holds a *liveness word*, owned as a robust futex by the
 * thread that attached it (its "arming" thread), and a sleeper waits with
 * futex_waitv on the word it waits for *and* its peers' liveness words. A
 * liveness word is a doorbell, never the truth: whatever wakes a sleeper,
 * the caller asks the claims before it says that a peer is gone.
 *
 * WHERE THE WORDS LIVE
 *
 * In the channel's companion file, which only those who may write the
 * channel can write, beside the claims (which are locks on bytes far past
 * these pages), so the channel's own layout does not change:
 *
 *   page 0          the channel's file name (store.c) and, at ROSTER_OFF,
 *                   the roster word, bumped (and its sleepers woken) by
 *                   every endpoint that arms its word
 *   page 1 + slot   the liveness word of claim slot `slot` (slots below
 *                   LIVE_SLOTS), at LIVE_WORD_OFF, the page's last-but-24th
 *                   byte
 *
 * The robust-list entry of a word must sit at word - futex_offset (32
 * bytes after it), and no pointer may be in shared memory: so, as
 * sync.c does for a mutex's lock word, the endpoint maps its slot's page
 * followed by a PRIVATE page and links the entry found at the start of
 * that private page; the kernel reads the word across the boundary, glibc
 * and we write only private memory. A sleeper maps the whole file once,
 * shared, to read its peers' words and set FUTEX_WAITERS in them.
 *
 * ARMING, AND THREADS THAT END
 *
 * An endpoint arms its word at attach: the word gets the calling thread's
 * id, the entry goes into that thread's robust list, the roster is bumped
 * so that sleepers that did not know this endpoint look again. Only the
 * arming thread ever touches its list, so a thread that ends while its
 * process lives gives the word back from a thread-specific-data destructor
 * (word 0: "alive, but nobody to ring") and the endpoint's next operation
 * arms it again for the thread that makes it (mmf__os_live_arm). A thread
 * that ends without the destructor (a raw exit) leaves the word
 * FUTEX_OWNER_DIED, as a dying process does: its sleepers then find the
 * claim still held for longer than a dying process keeps it, and poll.
 * An endpoint closed by another thread than the arming one cannot take
 * its entry out of a list that is not its own: it clears the word and
 * leaves the entry's pages to the arming thread's destructor (or frees
 * them when that thread is gone). A forked child never arms the copies of
 * its parent's words.
 *
 * SLEEPING
 *
 * mmf__os_wait_peers lists the live claims of the peer range (one
 * F_OFD_GETLK each), reads each one's word, sets FUTEX_WAITERS in it and
 * sleeps on the waited word, the roster and those words. It says
 * MMF_ENOTSUP - the caller then sleeps in short slices, as before - when
 * a live claim has no armed word (an endpoint of an older mmf, one
 * between its claim and its arm, a thread gone by a raw exit), or when the
 * words cannot be used at all (no futex_waitv, a glibc whose robust lists
 * sync.c does not recognise, a received handle without the companion, a
 * shrunken companion). The kernel marks the words of a dying process
 * before it frees its memory and closes its files, so a word found dead
 * while its claim is still held is waited on for a while (DYING_NS)
 * before it counts as silent: through a pidfd of the thread the word last
 * named, when that thread led its process (the pidfd is signalled once
 * the process is done, claim dropped), else by polling the claim. A
 * forged word can therefore cost wake-ups or bring the slices back; it
 * cannot hide a death from the claims or invent one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../atomic.h"
#include "../backend.h"
#include "guard.h"
#include "linux.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
#endif

#define PAGE ((size_t)MMF__HDR_SIZE)    /* sync.c checks it is the page size */
#define LIVE_SLOTS 128u                 /* producers and consumers (channel.h) */
#define ROSTER_OFF 2048u                /* past any file name */
#define LIVE_WORD_OFF (PAGE - 24u)      /* as MMF__SYNC_LOCK_OFFSET */
#define ENTRY_OFF (PAGE + sizeof(void *))
#define FILE_BYTES ((1u + LIVE_SLOTS) * PAGE)
#define WAITV_MAX 128u                  /* the kernel's FUTEX_WAITV_MAX */
/* How long a word marked dead may keep its claim before it counts as a
 * thread gone rather than a process dying (which frees its memory before
 * it closes its files: tens of milliseconds for a large process), and the
 * polls meanwhile. */
#define DYING_NS 250000000ull
#define DYING_POLL_MIN_NS 100000ull
#define DYING_POLL_MAX_NS 2000000ull

/* Arming thread values besides a thread id. */
#define TID_NONE 0      /* not armed: the next operation arms */
#define TID_NEVER (-1)  /* never armed again: a copy in a forked child, or
                           a thread without a robust list */

#define BARRIER() __asm__ __volatile__("" ::: "memory")

struct live {
    struct live *next;     /* in `lives` (those with a word of their own) */
    int cfd;               /* the reference's companion descriptor */
    uint32_t slot;         /* own claim slot, or MMF__LIVE_NONE */
    char *all;             /* the companion's first FILE_BYTES, shared */
    char *own;             /* own slot's page, shared, then a private page */
    uint32_t *word;        /* own liveness word (in `own`) */
    void **entry;          /* its robust-list entry (private) */
    pid_t tid;             /* arming thread, TID_NONE or TID_NEVER */
    int closing;           /* closed; the arming thread frees it */
    uint64_t dying_since;  /* a claimed peer's word read dead since */
    pid_t seen[LIVE_SLOTS]; /* the thread each peer's word last named */
};

static pthread_mutex_t lives_lock = PTHREAD_MUTEX_INITIALIZER;
static struct live *lives;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int usable;     /* robust lists as sync.c expects, and a key */
static int no_waitv;   /* futex_waitv said ENOSYS */
static __thread int tls_keyed __attribute__((tls_model("initial-exec")));

static void thread_exit(void *unused);

static void before_fork(void)
{
    pthread_mutex_lock(&lives_lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&lives_lock);
}

static void after_fork_child(void)
{
    /* The child's thread has an empty robust list of its own, and the
     * words name the parent's threads: leave them to the parent. */
    for (struct live *l = lives; l != NULL; l = l->next)
        __atomic_store_n(&l->tid, TID_NEVER, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&lives_lock);
}

static void init_once(void)
{
    usable = mmf__linux_robust_ok() && pthread_key_create(&exit_key, thread_exit) == 0 &&
             pthread_atfork(before_fork, after_fork_parent, after_fork_child) == 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void futex_wake(uint32_t *w, int n)
{
    syscall(SYS_futex, w, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* Bump the roster and wake its sleepers: they look at the words again. */
static void roster_ring(struct live *l)
{
    uint32_t *roster = (uint32_t *)(void *)(l->all + ROSTER_OFF);
    if (mmf__linux_guard_damaged(l->all))
        return;
    __atomic_fetch_add(roster, 1u, __ATOMIC_SEQ_CST);
    futex_wake(roster, INT_MAX);
}

/* Arm l's word for the calling thread, whose id is tid and which won
 * l->tid for it. */
static void arm(struct live *l, pid_t tid)
{
    struct robust_list_head *h = mmf__linux_robust_head();

    if (h == NULL || mmf__linux_guard_damaged(l->own)) {
        /* Not now, nor at every later operation: its peers poll. */
        __atomic_store_n(&l->tid, TID_NEVER, __ATOMIC_RELEASE);
        return;
    }
    if (!tls_keyed) {
        pthread_setspecific(exit_key, (void *)1);
        tls_keyed = 1;
    }
    /* Pending first: a thread that dies from here on has its word marked
     * by the kernel all the same. The claim is ours, so the word is ours
     * to set, whatever it held. */
    h->list_op_pending = (struct robust_list *)(void *)l->entry;
    BARRIER();
    __atomic_store_n(l->word, (uint32_t)tid, __ATOMIC_SEQ_CST);
    BARRIER();
    mmf__linux_robust_link(h, l->entry);
    BARRIER();
    h->list_op_pending = NULL;
    futex_wake(l->word, INT_MAX); /* sleepers on what it held */
    roster_ring(l);
}

/* The arming thread tid takes its entry out of its list; `clear` also
 * gives the word back (0) if it still names tid, waking its sleepers. */
static void disarm(struct live *l, pid_t tid, int clear)
{
    struct robust_list_head *h = mmf__linux_robust_head();
    uint32_t w;

    if (h != NULL) {
        h->list_op_pending = (struct robust_list *)(void *)l->entry;
        BARRIER();
    }
    mmf__linux_robust_unlink(l->entry);
    BARRIER();
    w = __atomic_load_n(l->word, __ATOMIC_RELAXED);
    while (clear && (w & FUTEX_TID_MASK) == (uint32_t)tid && !(w & FUTEX_OWNER_DIED)) {
        if (__atomic_compare_exchange_n(l->word, &w, 0, 1, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
            futex_wake(l->word, INT_MAX);
            break;
        }
    }
    BARRIER();
    if (h != NULL)
        h->list_op_pending = NULL;
}

static void unmap_live(struct live *l)
{
    if (l->own != NULL) {
        mmf__linux_guard_remove(l->own, PAGE);
        munmap(l->own, 2 * PAGE);
    }
    if (l->all != NULL)
        mmf__linux_guard_unmap(l->all, FILE_BYTES);
    free(l);
}

/* A thread ends: every word it armed goes back, and the entries of
 * endpoints closed meanwhile by other threads go with their pages. */
static void thread_exit(void *unused)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    struct live **pp;
    (void)unused;

    pthread_mutex_lock(&lives_lock);
    pp = &lives;
    while (*pp != NULL) {
        struct live *l = *pp;
        if (__atomic_load_n(&l->tid, __ATOMIC_ACQUIRE) != tid) {
            pp = &l->next;
            continue;
        }
        disarm(l, tid, !l->closing);
        if (l->closing) {
            *pp = l->next;
            unmap_live(l);
            continue;
        }
        __atomic_store_n(&l->tid, TID_NONE, __ATOMIC_RELEASE);
        pp = &l->next;
    }
    pthread_mutex_unlock(&lives_lock);
}

/* Map the companion's first FILE_BYTES (growing the file to that size if
 * it is shorter), and with slot < LIVE_SLOTS that slot's page followed by
 * a private page. */
static int map_live(struct live *l, uint32_t slot)
{
    struct stat st;
    char *base;

    if (fstat(l->cfd, &st) != 0)
        return mmf__linux_err(errno);
    if ((uint64_t)st.st_size < FILE_BYTES && ftruncate(l->cfd, (off_t)FILE_BYTES) != 0)
        return mmf__linux_err(errno);
    base = mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, l->cfd, 0);
    if (base == MAP_FAILED)
        return mmf__linux_err(errno);
    if (mmf__linux_guard_add(base, FILE_BYTES, PROT_READ | PROT_WRITE) < 0) {
        munmap(base, FILE_BYTES);
        return MMF_ENOMEM;
    }
    l->all = base;
    if (slot >= LIVE_SLOTS)
        return 0;
    base = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return mmf__linux_err(errno);
    /* MAP_FIXED over our own reservation: nobody else can hold it. */
    if (mmap(base, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, l->cfd,
             (off_t)((1 + slot) * PAGE)) == MAP_FAILED ||
        mmap(base + PAGE, PAGE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
        int e = errno;
        munmap(base, 2 * PAGE);
        return mmf__linux_err(e);
    }
    if (mmf__linux_guard_add(base, PAGE, PROT_READ | PROT_WRITE) < 0) {
        munmap(base, 2 * PAGE);
        return MMF_ENOMEM;
    }
    l->own = base;
    l->word = (uint32_t *)(void *)(base + LIVE_WORD_OFF);
    l->entry = (void **)(void *)(base + ENTRY_OFF);
    return 0;
}

int mmf__os_live_open(mmf__obj *o, uint32_t slot, intptr_t *live)
{
    struct live *l;
    int rc;

    *live = -1;
    pthread_once(&once, init_once);
    if (!usable)
        return MMF_ENOTSUP;
    if ((l = calloc(1, sizeof *l)) == NULL)
        return MMF_ENOMEM;
    l->slot = slot;
    if ((l->cfd = mmf__linux_claims_fd(o)) < 0) {
        rc = l->cfd;
        free(l);
        return rc;
    }
    if ((rc = map_live(l, slot)) < 0) {
        unmap_live(l);
        return rc;
    }
    if (l->own != NULL) {
        pid_t tid = (pid_t)syscall(SYS_gettid);
        pthread_mutex_lock(&lives_lock);
        l->next = lives;
        lives = l;
        l->tid = tid;
        pthread_mutex_unlock(&lives_lock);
        arm(l, tid);
    } else {
        /* A word-less endpoint (a reader of a broadcast) appears to
         * nobody's sleep, but says it is there all the same. */
    }
    *live = (intptr_t)l;
    return 0;
}

void mmf__os_live_arm(intptr_t live)
{
    struct live *l = (struct live *)live;
    pid_t none = TID_NONE, tid;

    if (live <= 0 || l->own == NULL ||
        __atomic_load_n(&l->tid, __ATOMIC_RELAXED) != TID_NONE)
        return;
    tid = (pid_t)syscall(SYS_gettid);
    if (__atomic_compare_exchange_n(&l->tid, &none, tid, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED))
        arm(l, tid);
}

void mmf__os_live_close(intptr_t live)
{
    struct live *l = (struct live *)live;
    pid_t tid;

    if (live <= 0)
        return;
    if (l->own == NULL) {
        unmap_live(l);
        return;
    }
    tid = (pid_t)syscall(SYS_gettid);
    pthread_mutex_lock(&lives_lock);
    if (__atomic_load_n(&l->tid, __ATOMIC_ACQUIRE) == tid) {
        disarm(l, tid, 1);
    } else if (__atomic_load_n(&l->tid, __ATOMIC_ACQUIRE) > 0 &&
               !(syscall(SYS_tgkill, getpid(), l->tid, 0) != 0 && errno == ESRCH)) {
        /* Linked in another thread's list, which only that thread may
         * change: clear the word now, leave the pages to its destructor. */
        uint32_t w = __atomic_load_n(l->word, __ATOMIC_RELAXED);
        pid_t owner = __atomic_load_n(&l->tid, __ATOMIC_RELAXED);
        if ((w & FUTEX_TID_MASK) == (uint32_t)owner &&
            __atomic_compare_exchange_n(l->word, &w, 0, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED))
            futex_wake(l->word, INT_MAX);
        l->closing = 1;
        pthread_mutex_unlock(&lives_lock);
        return;
    }
    for (struct live **pp = &lives; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    pthread_mutex_unlock(&lives_lock);
    unmap_live(l);
}

/* The kernel's struct futex_waitv. */
struct waitv {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
};

/* The claim slots held in [from, end), one at a time: the first one at or
 * after from, or `end` when there is none. Negative on error. */
static long next_claim(int cfd, uint32_t from, uint32_t end)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = (off_t)(MMF__POSIX_CLAIM_BASE + from),
                       .l_len = (off_t)(end - from)};
    off_t at;

    if (fcntl(cfd, F_OFD_GETLK, &fl) != 0)
        return mmf__linux_err(errno);
    if (fl.l_type == F_UNLCK)
        return end;
    /* A lock over several bytes is none of ours: start at `from`. */
    at = fl.l_start - (off_t)MMF__POSIX_CLAIM_BASE;
    return at < (off_t)from ? (long)from : at >= (off_t)end ? (long)end : (long)at;
}

/* Wait until process `pid` has exited or `until`: 0 if it did, or -1
 * (also when no pidfd could be had: the caller sleeps on its words). */
static int pidfd_wait(pid_t pid, uint64_t until)
{
    struct pollfd p = {(int)syscall(SYS_pidfd_open, pid, 0), POLLIN, 0};
    uint64_t now = now_ns();
    struct timespec ts = {0, 0};
    int r;

    if (p.fd < 0)
        return -1;
    if (until > now) {
        ts.tv_sec = (time_t)((until - now) / 1000000000ull);
        ts.tv_nsec = (long)((until - now) % 1000000000ull);
    }
    r = ppoll(&p, 1, &ts, NULL);
    close(p.fd);
    return r == 1 ? 0 : -1;
}

int mmf__os_wait_peers(mmf__obj *o, intptr_t live, uint32_t key, const uint32_t *word,
                       uint32_t val, uint32_t first, uint32_t count, int attached,
                       uint64_t until)
{
    struct live *l = (struct live *)live;
    struct waitv v[WAITV_MAX];
    uint32_t *roster, end = first + count;
    unsigned n = 0, k;
    int dying = 0, ask = 0, rang = 0, claims = 0;
    pid_t dead = 0;
    struct timespec ts;
    uint64_t now;
    long r, s;

    (void)o;   /* the futexes wait on the word's address */
    (void)key;
    if (live <= 0 || __atomic_load_n(&no_waitv, __ATOMIC_RELAXED) ||
        mmf__linux_guard_damaged(l->all) || first > LIVE_SLOTS || count > LIVE_SLOTS - first)
        return MMF_ENOTSUP;
    roster = (uint32_t *)(void *)(l->all + ROSTER_OFF);
    v[n++] = (struct waitv){val, (uint64_t)(uintptr_t)word, FUTEX_32, 0};
    v[n++] = (struct waitv){__atomic_load_n(roster, __ATOMIC_SEQ_CST),
                            (uint64_t)(uintptr_t)roster, FUTEX_32, 0};
    for (s = first; (s = next_claim(l->cfd, (uint32_t)s, end)) >= 0 && s < (long)end; s++) {
        uint32_t *pw = (uint32_t *)(void *)(l->all + (1 + (size_t)s) * PAGE + LIVE_WORD_OFF);
        uint32_t w = __atomic_load_n(pw, __ATOMIC_SEQ_CST);

        claims++;
        if (w & FUTEX_OWNER_DIED) {
            dying = 1; /* no use sleeping on it: it will not change */
            dead = l->seen[s];
            continue;
        }
        if ((w & FUTEX_TID_MASK) == 0 || n == WAITV_MAX)
            return MMF_ENOTSUP; /* alive, and cannot ring */
        l->seen[s] = (pid_t)(w & FUTEX_TID_MASK);
        if (!(w & FUTEX_WAITERS)) {
            if (!__atomic_compare_exchange_n(pw, &w, w | FUTEX_WAITERS, 0, __ATOMIC_SEQ_CST,
                                             __ATOMIC_RELAXED))
                return 1; /* it changed: look again */
            w |= FUTEX_WAITERS;
        }
        v[n++] = (struct waitv){w, (uint64_t)(uintptr_t)pw, FUTEX_32, 0};
    }
    if (s < 0)
        return MMF_ENOTSUP;
    /* Every peer left between the caller's look at the claims and ours:
     * nothing would wake us, so the caller looks again at once. */
    if (claims == 0 && attached && count > 0)
        return 1;

    now = now_ns();
    if (!dying) {
        l->dying_since = 0;
    } else {
        uint64_t step;
        if (l->dying_since == 0)
            l->dying_since = now;
        if (now - l->dying_since >= DYING_NS)
            return MMF_ENOTSUP; /* a thread gone, its process alive */
        step = (now - l->dying_since) / 4;
        step = step < DYING_POLL_MIN_NS ? DYING_POLL_MIN_NS
             : step > DYING_POLL_MAX_NS ? DYING_POLL_MAX_NS : step;
        if (until > now + step) {
            until = now + step;
            ask = 1;
        }
        /* The thread the word named, if it led its process: the kernel
         * signals its pidfd once the process has closed its files (and
         * dropped its claim). A forged id costs only this step. */
        if (dead > 0 && pidfd_wait(dead, until) == 0)
            return 1;
    }

    ts.tv_sec = (time_t)(until / 1000000000ull);
    ts.tv_nsec = (long)(until % 1000000000ull);
    r = syscall(SYS_futex_waitv, v, n, 0, &ts, CLOCK_MONOTONIC);
    if (r < 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
        if (errno == ENOSYS)
            __atomic_store_n(&no_waitv, 1, __ATOMIC_RELAXED);
        return MMF_ENOTSUP;
    }
    /* A new endpoint armed: look at the words again; counted as a ring, so
     * that a process bumping the roster all the time cannot keep us busy
     * (the caller stops listening after too many). */
    if (__atomic_load_n(roster, __ATOMIC_SEQ_CST) != (uint32_t)v[1].val)
        rang = 1;
    /* The kernel wakes one sleeper of a word whose owner died: pass it on
     * to the others, who may be waiting for the same peer. */
    for (k = 2; k < n; k++) {
        uint32_t *pw = (uint32_t *)(uintptr_t)v[k].uaddr;
        if (__atomic_load_n(pw, __ATOMIC_SEQ_CST) != (uint32_t)v[k].val) {
            futex_wake(pw, INT_MAX);
            rang = 1;
        }
    }
    if (rang || ask)
        return 1;
    return r < 0 && errno == ETIMEDOUT ? MMF_ETIMEDOUT : 0;
}
