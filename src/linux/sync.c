/* SPDX-License-Identifier: MIT */
/*
 * sync.c (posix) - mutexes, events, semaphores and waits on Linux.
 *
 * Everything an object shares lives in its header page: the `state` area
 * (layout in ../sync.h) and one lock word (MMF__SYNC_LOCK_OFFSET). This
 * file owns the algorithms, which are Linux's: robust futexes and
 * futex_waitv.
 *
 * THE LOCK WORD AND THE ROBUST LIST
 *
 * The lock word is a robust futex: 0 when free, else the owning thread's
 * id, with FUTEX_WAITERS when someone may sleep on it and FUTEX_OWNER_DIED
 * once its owner died. The kernel learns which words a thread owns from
 * the thread's robust list, a linked list in the thread's own memory that
 * it walks when the thread exits or its process dies, marking each word
 * still naming the thread FUTEX_OWNER_DIED and waking a waiter. Each
 * thread has one list (set_robust_list); glibc registers it and links its
 * own robust pthread mutexes into it, so ours go into the same list, in
 * glibc's format: an entry is {prev, next}, both pointing at the `next`
 * field of their neighbours, and the list head is glibc's, read with
 * get_robust_list. A word is found from its entry by the list head's
 * futex_offset (glibc's: -32 on every 64-bit target).
 *
 * An entry must therefore sit 32 bytes after its word - and no list
 * pointer may live in shared memory, where any process that can write the
 * object could rewrite it and steer our own unlock or glibc's into writing
 * to addresses of its choice. So the word is the last-but-24th byte of the
 * header page, and each process maps the page followed by a PRIVATE
 * anonymous page: the entry is the first 16 bytes of that private page.
 * The kernel reads the word across the page boundary; glibc and we read
 * and write only private memory when we link and unlink. init_once checks
 * that this glibc behaves so (a robust mutex of its own, locked, must sit
 * in the list as described), and sync objects are refused (MMF_ENOTSUP)
 * where it does not.
 *
 * Because the entry is one per object and process, only one thread of the
 * process may hold or be taking the word; a private arbitration (THE
 * CLAIM, below) says which, so that a forged word can make a lock fail or
 * wait but never make two threads of ours link the one entry. A thread
 * that exits owning a word gives it back as the kernel would -
 * FUTEX_OWNER_DIED, one waiter woken - from a thread-specific-data
 * destructor; one that vanished without (a raw exit) is found gone by the
 * next thread that waits for it.
 *
 * ONE MAPPING PER OBJECT PER PROCESS
 *
 * A process-wide table (a hash table keyed by the object file's
 * st_dev/st_ino, counted by handles) gives every handle of the process the
 * same mapping; it is unmapped when the last handle closes, unless a thread
 * of the process holds the word (closing neither releases nor abandons) -
 * then it stays until that is over, so that an entry linked in a robust
 * list never goes away. Each thread notes, in private memory, the mutexes
 * it is home of and those it owns through the claim (THE CLAIM), so that
 * its exit looks at those and not at every map of the process. No per-call cost grows with
 * the number of objects the process holds.
 *
 * MUTEXES
 *
 * Ownership IS the lock word. When the owning thread exits or its process
 * dies, at any instant, the word becomes FUTEX_OWNER_DIED; the next
 * acquisition takes it over, sets the shared `abandoned` mark and reports
 * MMF_ABANDONED. The mark stays until that owner's final unlock; a
 * wait-all that takes an abandoned mutex and gives it back (see below)
 * leaves it for the next owner to see. Recursion is counted by the owning
 * process in its map (`depth`): private, trusted memory and no shared
 * write per recursive lock. A word naming our thread that our claim does
 * not back is forged: refused (MMF_ECORRUPT), never taken for recursion.
 *
 * EVENTS AND SEMAPHORES
 *
 * Their fields are guarded by an internal lock (the lock word, taken and
 * given like a mutex's, held for a few instructions; every critical section
 * stores single words in an order that keeps the state valid after each
 * store, so a holder dying anywhere leaves a valid state, and the next
 * holder wakes everyone in case a wake-up was lost). A waiter reads `seq`,
 * checks the state under the lock, and sleeps on `seq` while it is
 * unchanged; every change that may satisfy a waiter bumps `seq`. Sleepers
 * count themselves in nsleep (single-object waits) or msleep (waits on
 * several objects) so that a signaler makes a wake-up call only when
 * someone sleeps: it wakes as many as the change can satisfy, or everyone
 * if a multi-object waiter sleeps (it may not take what woke it).
 *
 * WAITS ON SEVERAL OBJECTS
 *
 * futex_waitv on one word per object: `seq` for events and semaphores, and
 * for mutexes the lock word. Before sleeping we set FUTEX_WAITERS in it, so
 * that the owner's unlock, or the kernel at the owner's death, wakes a
 * waiter. Such a wake-up goes to one waiter, and ours may not take the
 * mutex (a lower index won, or a wait-all is not complete), and a plain
 * take does not keep FUTEX_WAITERS for the others: so whenever the word
 * changed while we slept we pass one wake-up on (FUTEX_WAKE 1); a waiter
 * it wakes in vain sets FUTEX_WAITERS again and sleeps.
 *
 * Wait-all takes the internal locks of its events and semaphores in a
 * canonical order (st_dev, st_ino), checks every object (a mutex: free,
 * abandoned, or already ours), takes the free mutexes without waiting - giving
 * them back if one was taken meanwhile - and only then consumes the rest.
 * Until it succeeds it changes nothing. It sleeps on the objects that were
 * not ready.
 *
 * Pulses: see struct mmf__sync_event. Waiters register (nwait, and the
 * pulse generation they saw) on their first unsuccessful check, before
 * spinning, so a pulse releases every thread that was already waiting.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../atomic.h"
#include "../sync.h"
#include "guard.h"
#include "hash.h"
#include "linux.h"

#ifndef __GLIBC__
#error "src/linux/sync.c links its robust futexes into glibc's robust lists"
#endif

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_32
#define FUTEX_32 2 /* kernel headers older than 5.16 */
#endif

#define NO_DEADLINE UINT64_MAX
#define NS_PER_MS 1000000ull
/* The internal lock is held for a few instructions: waiting for it longer
 * than this means a stopped process or a forged state (MMF_EBUSY). A wait
 * with a deadline waits for it until then, but at least ILOCK_MIN_NS. */
#define ILOCK_LIMIT_NS (1000 * NS_PER_MS)
#define ILOCK_MIN_NS (20 * NS_PER_MS)
/*
 * Adaptive spin before sleeping, per object and process. A spin that
 * caught the change after s ns moves the budget towards 8 s, and to at
 * least SPIN_PROBE_NS (a spin that pays is cheap; one that falls short by
 * a hair costs a sleep and a wake-up); a spin that failed takes a quarter
 * off it, down to no spinning at all. Timing cannot
 * tell "the signaler answers soon after I give up" from "the signaler can
 * only run once I sleep" (both on one CPU), so instead of growing on short
 * sleeps the budget is re-tested by probes: one wait in SPIN_PROBE spins
 * 4 times the budget (at least SPIN_PROBE_NS), and now and then a wait
 * spins SPIN_MAX_NS - every SPIN_PROBE waits at first, at twice the
 * interval after each such probe that fails (up to SPIN_GAP_MAX), back to
 * every SPIN_PROBE after one that pays. A failed probe teaches nothing
 * else. The long probes matter when two processes signal each other and
 * both stopped spinning: each then waits for the other's wake-up, which
 * only a spin longer than a wake-up catches. No spinning on one CPU.
 */
#define SPIN_INIT_NS 4000u
#define SPIN_MAX_NS 20000u
#define SPIN_OFF_NS 250u /* below this a budget becomes 0 */
#define SPIN_PROBE 16u
#define SPIN_PROBE_NS 2000u
#define SPIN_GAP_MAX 4096u
#define MAX_DEPTH 0x7fffffffu

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct mmf__syncmap {
    struct mmf__linux_hnode node; /* first: in `table`, hash of dev and ino */
    uint64_t dev, ino;      /* identity of the object file */
    uint32_t type;          /* MMF__TYPE_* */
    unsigned refs;          /* handles of this process (table lock) */
    void *page;             /* the header page, mapped shared read-write,
                               and the private entry page after it */
    void *st;               /* the state area */
    uint32_t *word;         /* the lock word (shared) */
    void **entry;           /* our robust-list entry: its `next` field,
                               `prev` being entry[-1] (private) */
    /* Which thread of this process may take the word (see "THE CLAIM"):
     * the home thread of a mutex while home_busy is 1, or the thread in
     * `claim`. All atomic; home_busy and the owner fields are written by
     * the thread they name only. */
    pid_t claim;            /* thread holding or taking it, not as home */
    pid_t home;             /* mutex: the thread that takes it without the
                               claim, or 0 */
    uint32_t home_busy;     /* 1 while home takes or holds the word */
    pid_t owner;            /* thread of ours that owns the word, or 0 */
    uint32_t depth;         /* mutex: the owner's recursion count */
    uint32_t by_home;       /* the owner took it as home */
    uint32_t spin_ns;       /* adaptive spin budget */
    uint32_t spin_waits;    /* waits that spun, for the probes */
    uint32_t long_gap;      /* waits between long probes */
    uint32_t long_next;     /* spin_waits of the next long probe */
    uint32_t noted_at;      /* mutex: its index in the owner's notes */
    uint32_t home_kept;     /* home notes being compacted (table lock) */
};

/*
 * The maps of this process, guarded by mmf__os_lock(): a hash table keyed
 * by the file's identity (hash.h), chained, doubled when it holds more
 * maps than buckets, so that attaching, detaching and finding the map of
 * an object cost the same whatever the process holds.
 */
static struct mmf__linux_htable table = MMF__LINUX_HTABLE_INIT(table);

static uint64_t id_hash(uint64_t dev, uint64_t ino)
{
    uint64_t id[2] = {dev, ino};
    return mmf__linux_hash(id, sizeof id);
}

static struct mmf__syncmap *table_find(uint64_t dev, uint64_t ino, uint64_t hash)
{
    for (struct mmf__linux_hnode *n = mmf__linux_htable_chain(&table, hash); n != NULL;
         n = n->next) {
        struct mmf__syncmap *m = (struct mmf__syncmap *)(void *)n;
        if (m->dev == dev && m->ino == ino)
            return m;
    }
    return NULL;
}

/* Where the robust-list entry sits: the second 8 bytes of the private page
 * that follows the header page (its first 8 are the entry's `prev`). */
#define ENTRY_OFFSET (MMF__HDR_SIZE + sizeof(void *))
#define MAP_BYTES (2 * (size_t)MMF__HDR_SIZE)

static inline uint32_t *word_at(void *page)
{
    return (uint32_t *)(void *)((char *)page + MMF__SYNC_LOCK_OFFSET);
}

static inline void **entry_at(void *page)
{
    return (void **)(void *)((char *)page + ENTRY_OFFSET);
}

/* ------------------------------------------------------------------------ */
/* Process facts                                                             */
/* ------------------------------------------------------------------------ */

static __thread pid_t tls_tid __attribute__((tls_model("initial-exec")));
static __thread struct robust_list_head *tls_head __attribute__((tls_model("initial-exec")));
static __thread int tls_keyed __attribute__((tls_model("initial-exec")));
/*
 * What a thread must give up when it ends, so that its exit costs what it
 * holds and not what the process holds: the mutexes it owns through the
 * claim (pointers: an owned map is never freed; each map knows its index,
 * so a release costs the same), and the identities of the mutexes it
 * became home of (keys: a map that is not owned may be freed, and its key
 * then finds nothing), which also find the mutexes it owns as home: a
 * home keeps its home while it owns the word that way.
 * Private to the thread, except at fork. If a note cannot be made (more
 * than NOTES_MAX at once), the thread's exit looks at every map instead
 * (tls_lost).
 */
struct home_note {
    uint64_t dev, ino;
};
/* Fixed arrays, not heap: a thread that ends by a raw exit (no destructor)
 * leaves nothing allocated behind. Default TLS model: they are touched on
 * slow paths only, and a library loaded late has little static TLS. */
#define NOTES_MAX 64u
static __thread struct mmf__syncmap *tls_owned[NOTES_MAX];
static __thread uint32_t tls_nowned __attribute__((tls_model("initial-exec")));
static __thread struct home_note tls_homes[NOTES_MAX];
static __thread uint32_t tls_nhomes __attribute__((tls_model("initial-exec")));
static __thread int tls_lost __attribute__((tls_model("initial-exec")));
static pid_t cached_pid;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key; /* its destructor abandons what a thread owns */
static int robust_ok;          /* this glibc links robust lists as we expect */
static int no_waitv;           /* futex_waitv gave ENOSYS */
static int can_spin;           /* more than one CPU */

static void thread_exit(void *unused);

static void after_fork_child(void)
{
    /* The child's one thread has a new id and an empty robust list: no
     * claim made by a thread of the parent means anything here. */
    tls_tid = 0;
    tls_nowned = 0;
    tls_nhomes = 0;
    tls_lost = 0;
    __atomic_store_n(&cached_pid, getpid(), __ATOMIC_RELAXED);
    for (size_t i = 0; i < table.size; i++) {
        for (struct mmf__linux_hnode *n = table.bucket[i]; n != NULL; n = n->next) {
            struct mmf__syncmap *m = (struct mmf__syncmap *)(void *)n;
            ST(m->claim, 0);
            ST(m->home, 0);
            ST(m->home_busy, 0u);
            ST(m->owner, 0);
            ST(m->depth, 0u);
            ST(m->by_home, 0u);
        }
    }
}

struct robust_list_head *mmf__linux_robust_head(void)
{
    struct robust_list_head *h = tls_head;
    size_t len;
    if (h == NULL) {
        if (syscall(SYS_get_robust_list, 0, &h, &len) != 0 || h == NULL ||
            len != sizeof *h)
            return NULL;
        tls_head = h;
    }
    return h;
}

/*
 * 1 if this glibc keeps the robust list as described at the top of this
 * file: lock a robust mutex of our own and look at where it was linked.
 * The entry is the mutex's __list.__next; its prev must point at the list
 * head, the head at it, and the entry after it back at it.
 */
static int robust_list_as_expected(void)
{
    struct robust_list_head *h = mmf__linux_robust_head();
    pthread_mutexattr_t a;
    pthread_mutex_t mx;
    void **e, **after;
    int ok;

    if (h == NULL || h->futex_offset != (long)MMF__SYNC_LOCK_OFFSET - (long)ENTRY_OFFSET ||
        (size_t)sysconf(_SC_PAGESIZE) != MMF__HDR_SIZE)
        return 0;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pthread_mutex_init(&mx, &a) != 0)
        return 0;
    pthread_mutexattr_destroy(&a);
    if (pthread_mutex_lock(&mx) != 0) {
        pthread_mutex_destroy(&mx);
        return 0;
    }
    e = (void **)(void *)&mx.__data.__list.__next;
    after = (void **)((uintptr_t)e[0] & ~(uintptr_t)1);
    ok = (void *)h->list.next == (void *)e && e[-1] == (void *)h && after[-1] == (void *)e &&
         (char *)e - (char *)&mx.__data.__lock == -h->futex_offset;
    pthread_mutex_unlock(&mx);
    ok = ok && (void *)h->list.next == (void *)after;
    pthread_mutex_destroy(&mx);
    return ok;
}

static void init_once(void)
{
    __atomic_store_n(&cached_pid, getpid(), __ATOMIC_RELAXED);
    can_spin = sysconf(_SC_NPROCESSORS_ONLN) > 1;
    robust_ok = robust_list_as_expected() && pthread_key_create(&exit_key, thread_exit) == 0;
    pthread_atfork(NULL, NULL, after_fork_child);
}

int mmf__linux_robust_ok(void)
{
    pthread_once(&once, init_once);
    return robust_ok;
}

static inline pid_t self_tid(void)
{
    pid_t t = tls_tid;
    if (t == 0)
        tls_tid = t = (pid_t)syscall(SYS_gettid);
    return t;
}

/* A thread that comes to own a mutex gets the exit destructor. */
static inline void watch_thread_exit(void)
{
    if (__builtin_expect(!tls_keyed, 0)) {
        pthread_setspecific(exit_key, (void *)1);
        tls_keyed = 1;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t deadline_of(long long timeout_ms)
{
    return timeout_ms < 0 ? NO_DEADLINE : now_ns() + (uint64_t)timeout_ms * NS_PER_MS;
}

static struct timespec ts_of(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    return ts;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* How long the next wait on m spins (0: not at all); *probe is set when
 * it is a probe. */
/* How long the next wait on m spins (0: not at all); *probe is set to 1
 * for a probe, 2 for a long probe. The fields are racy between threads of
 * a process: they only steer the spinning. */
static uint64_t spin_budget(struct mmf__syncmap *m, int *probe)
{
    uint32_t n = LD(m->spin_waits) + 1, b = LD(m->spin_ns);
    *probe = 0;
    if (!can_spin)
        return 0;
    ST(m->spin_waits, n);
    if ((int32_t)(n - LD(m->long_next)) >= 0) {
        *probe = 2;
        return SPIN_MAX_NS;
    }
    if (n % SPIN_PROBE != 0)
        return b;
    *probe = 1;
    b = 4 * b < SPIN_PROBE_NS ? SPIN_PROBE_NS : 4 * b;
    return b > SPIN_MAX_NS ? SPIN_MAX_NS : b;
}

/* Learn from one spin: it caught the change after spun_ns (paid), or ran
 * out of budget. */
static void spin_learn(struct mmf__syncmap *m, int paid, int probe, uint64_t spun_ns)
{
    uint64_t b = LD(m->spin_ns), nb;
    if (probe == 2) {
        uint32_t gap = LD(m->long_gap);
        gap = paid ? SPIN_PROBE : gap >= SPIN_GAP_MAX ? SPIN_GAP_MAX : 2 * gap;
        ST(m->long_gap, gap);
        ST(m->long_next, LD(m->spin_waits) + gap);
    }
    if (paid)
        nb = (b + 8 * spun_ns) / 2 < SPIN_PROBE_NS ? SPIN_PROBE_NS : (b + 8 * spun_ns) / 2;
    else if (probe)
        return;
    else
        nb = b - b / 4;
    nb = nb < SPIN_OFF_NS ? 0 : nb > SPIN_MAX_NS ? SPIN_MAX_NS : nb;
    if (nb != b)
        ST(m->spin_ns, (uint32_t)nb);
}

/* ------------------------------------------------------------------------ */
/* Futexes (shared: the words live in memory other processes map)           */
/* ------------------------------------------------------------------------ */

/* Sleep while *w == val, until the absolute monotonic deadline. Returns 0
 * (woken, or the value differed, or a signal) or MMF_ETIMEDOUT. */
static int futex_wait_until(uint32_t *w, uint32_t val, uint64_t deadline)
{
    struct timespec ts = ts_of(deadline == NO_DEADLINE ? 0 : deadline);
    long r = syscall(SYS_futex, w, FUTEX_WAIT_BITSET, val,
                     deadline == NO_DEADLINE ? NULL : &ts, NULL,
                     FUTEX_BITSET_MATCH_ANY);
    return r != 0 && errno == ETIMEDOUT ? MMF_ETIMEDOUT : 0;
}

static void futex_wake(uint32_t *w, int n)
{
    syscall(SYS_futex, w, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* The kernel's struct futex_waitv, spelled out for older headers. */
struct waitv {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
};

/* Without futex_waitv (Linux < 5.16): look every millisecond. */
static int poll_words(const struct waitv *v, size_t n, uint64_t deadline)
{
    for (;;) {
        uint64_t now;
        for (size_t i = 0; i < n; i++) {
            if (__atomic_load_n((uint32_t *)(uintptr_t)v[i].uaddr,
                                __ATOMIC_ACQUIRE) != (uint32_t)v[i].val)
                return 0;
        }
        now = now_ns();
        if (now >= deadline)
            return MMF_ETIMEDOUT;
        {
            uint64_t d = deadline - now < NS_PER_MS ? deadline - now : NS_PER_MS;
            struct timespec ts = ts_of(d);
            nanosleep(&ts, NULL);
        }
    }
}

/* Sleep while every word holds its value. 0 or MMF_ETIMEDOUT. */
static int futex_waitv_until(struct waitv *v, size_t n, uint64_t deadline)
{
    struct timespec ts = ts_of(deadline == NO_DEADLINE ? 0 : deadline);
    long r;

    if (!__atomic_load_n(&no_waitv, __ATOMIC_RELAXED)) {
        r = syscall(SYS_futex_waitv, v, (unsigned)n, 0,
                    deadline == NO_DEADLINE ? NULL : &ts, CLOCK_MONOTONIC);
        if (r >= 0)
            return 0;
        if (errno == ETIMEDOUT)
            return MMF_ETIMEDOUT;
        if (errno != ENOSYS)
            return 0; /* EAGAIN (a value changed), EINTR */
        __atomic_store_n(&no_waitv, 1, __ATOMIC_RELAXED);
    }
    return poll_words(v, n, deadline);
}

/* ------------------------------------------------------------------------ */
/* The lock word: a robust futex, linked in the owner's robust list          */
/* ------------------------------------------------------------------------ */

/* Results of taking a word, besides MMF_E* codes. */
#define RL_TAKEN 0 /* taken */
#define RL_DIED 1  /* taken; its previous owner died holding it */
#define RL_BUSY 2  /* held by someone else */

#define BARRIER() __asm__ __volatile__("" ::: "memory")

/* A free (or abandoned, hence takeable) lock word. */
static int word_free(uint32_t w)
{
    return (w & FUTEX_TID_MASK) == 0 || (w & FUTEX_OWNER_DIED) != 0;
}

/* A word naming thread tid as its live owner. */
static int word_names(uint32_t w, pid_t tid)
{
    return (w & (FUTEX_TID_MASK | FUTEX_OWNER_DIED)) == (uint32_t)tid;
}

/* Link entry e at the front of the calling thread's robust list h, as
 * glibc links a robust mutex (its pointers may carry bit 0, glibc's mark
 * of a priority-inheritance mutex). Private memory only. */
void mmf__linux_robust_link(struct robust_list_head *h, void **e)
{
    void *first = h->list.next;
    void **first_entry = (void **)((uintptr_t)first & ~(uintptr_t)1);
    first_entry[-1] = e;
    e[0] = first;
    e[-1] = h;
    BARRIER(); /* the kernel may walk the list from here on */
    h->list.next = (struct robust_list *)(void *)e;
}

void mmf__linux_robust_unlink(void **e)
{
    void **next = (void **)((uintptr_t)e[0] & ~(uintptr_t)1);
    void **prev = (void **)((uintptr_t)e[-1] & ~(uintptr_t)1);
    next[-1] = e[-1];
    prev[0] = e[0];
}

/*
 * The first half of taking a word for thread tid: mark entry e pending in
 * h (a thread that dies from here on still has the word marked by the
 * kernel) and swap the word from free to ours. `waiters` is
 * FUTEX_WAITERS for a thread that has slept on the word (others may sleep
 * too: the flag must stay). Returns RL_TAKEN or RL_DIED with *old and *nw
 * the word before and after, or RL_BUSY. The caller then links (or
 * unwinds) and clears list_op_pending.
 */
static int word_cas(uint32_t *word, void **e, struct robust_list_head *h, pid_t tid,
                    uint32_t waiters, uint32_t *old, uint32_t *nw)
{
    uint32_t w = __atomic_load_n(word, __ATOMIC_RELAXED);

    h->list_op_pending = (struct robust_list *)(void *)e;
    BARRIER();
    while (word_free(w)) {
        uint32_t n = (uint32_t)tid | (w & FUTEX_WAITERS) | waiters;
        if (__atomic_compare_exchange_n(word, &w, n, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            *old = w;
            *nw = n;
            return (w & FUTEX_OWNER_DIED) ? RL_DIED : RL_TAKEN;
        }
    }
    return RL_BUSY;
}

/* Undo a word_cas whose entry was not linked: the word goes back to what
 * it was (an abandoned word stays abandoned for the next taker), and a
 * sleeper that armed meanwhile is woken to look again. */
static void word_unwind(uint32_t *word, uint32_t nw, uint32_t old)
{
    uint32_t w = nw;
    while (!__atomic_compare_exchange_n(word, &w, old | (w & FUTEX_WAITERS), 1,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
        if ((w & ~(uint32_t)FUTEX_WAITERS) != (nw & ~(uint32_t)FUTEX_WAITERS))
            return; /* not ours any more: forged */
    }
    if (w & FUTEX_WAITERS)
        futex_wake(word, 1);
}

/*
 * Give back the word thread tid took through h: unlink the entry, then
 * free the word - or, with `died`, mark it FUTEX_OWNER_DIED as the kernel
 * does for a thread that ends owning it - and wake a sleeper. A word that
 * no longer names tid was forged: it is left as it is, every sleeper is
 * woken (they look again), and MMF_ECORRUPT returned.
 */
static int word_give(uint32_t *word, void **e, struct robust_list_head *h, pid_t tid, int died)
{
    uint32_t w;
    int rc = 0;

    h->list_op_pending = (struct robust_list *)(void *)e;
    BARRIER();
    mmf__linux_robust_unlink(e);
    BARRIER();
    w = __atomic_load_n(word, __ATOMIC_RELAXED);
    for (;;) {
        uint32_t nw = died ? (w & FUTEX_WAITERS) | FUTEX_OWNER_DIED : 0;
        if (!word_names(w, tid)) {
            futex_wake(word, INT_MAX);
            rc = MMF_ECORRUPT;
            break;
        }
        if (__atomic_compare_exchange_n(word, &w, nw, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
            if (w & FUTEX_WAITERS)
                futex_wake(word, 1);
            break;
        }
    }
    BARRIER();
    h->list_op_pending = NULL;
    return rc;
}

/* 1 if the object's header page lost its memory to a shrunken file: what
 * the state and the lock word read now is private zeros. */
static inline int damaged(const struct mmf__syncmap *m)
{
    return mmf__linux_guard_damaged(m->page);
}

/*
 * THE CLAIM
 *
 * Our entry is one per object and process, so at most one thread of ours
 * may hold or be taking the word, whatever a writer does to the word (two
 * threads linking one entry would corrupt both their robust lists). The
 * word alone decides between honest threads; what keeps a forged word from
 * letting two of ours through is a private arbitration:
 *
 *   - a mutex's home thread (the first of ours to lock it) stores
 *     home_busy = 1, then swaps the word, then loads `claim`;
 *   - any other thread takes `claim` by CAS, then swaps the word, then
 *     loads home_busy (of a home that is not itself).
 *
 * Each stores before its swap and loads after it, and the swap is a full
 * barrier (mmf__fence_after_rmw adds one where it is not), so of two
 * threads that both got the word at least one sees the other (Dekker):
 * that one gives the word back unlinked and tries again. So the common
 * case - one thread locking a mutex over and over - costs one atomic
 * read-modify-write per lock, as glibc's does; the claim's CAS is paid by
 * the other threads only. The owner fields say who owns it once linked.
 */
/* The home thread's announcement. On x86 a plain store, ordered before
 * the later load by the word's locked CAS; ThreadSanitizer knows nothing
 * of that, so under it the store is sequentially consistent (the order
 * the C11 model itself guarantees). */
#ifdef MMF__TSAN
#define HOME_ANNOUNCE(m) __atomic_store_n(&(m)->home_busy, 1u, __ATOMIC_SEQ_CST)
#else
#define HOME_ANNOUNCE(m) ST((m)->home_busy, 1u)
#endif

static inline int claim_take(struct mmf__syncmap *m, pid_t tid)
{
    pid_t none = 0;
    return __atomic_compare_exchange_n(&m->claim, &none, tid, 0, __ATOMIC_SEQ_CST,
                                       __ATOMIC_RELAXED);
}

static inline void claim_drop(struct mmf__syncmap *m)
{
    __atomic_store_n(&m->claim, 0, __ATOMIC_RELEASE);
}

/* 1 if a thread of ours other than tid holds or is taking the word. */
static inline int others_busy(struct mmf__syncmap *m, pid_t tid)
{
    pid_t c = LD(m->claim), hm = LD(m->home);
    return (c != 0 && c != tid) || (hm != 0 && hm != tid && LD(m->home_busy) != 0);
}

/* Record thread tid as the owner of the word it just linked. */
static inline void owner_set(struct mmf__syncmap *m, pid_t tid, int by_home)
{
    ST(m->by_home, (uint32_t)by_home);
    ST(m->owner, tid);
}

/* The owner tid gives the word back (`died`: as the kernel would for a
 * thread that ends owning it) and its arbitration with it. */
static inline int owner_give(struct mmf__syncmap *m, pid_t tid, int died)
{
    int rc;
    ST(m->owner, 0);
    ST(m->depth, 0u);
    rc = word_give(m->word, m->entry, tls_head, tid, died);
    if (LD(m->by_home)) {
        ST(m->by_home, 0u);
        __atomic_store_n(&m->home_busy, 0u, __ATOMIC_RELEASE);
    } else {
        claim_drop(m);
    }
    return rc;
}

/* If the owner of ours is a thread that is gone without its exit
 * destructor (a raw exit), free its arbitration: its robust list went
 * with it, and the kernel marked the word. Returns 1 if it did. */
static int owner_gone(struct mmf__syncmap *m, pid_t tid)
{
    pid_t o = LD(m->owner);
    if (o == 0 || o == tid ||
        syscall(SYS_tgkill, __atomic_load_n(&cached_pid, __ATOMIC_RELAXED), o, 0) == 0 ||
        errno != ESRCH ||
        !__atomic_compare_exchange_n(&m->owner, &o, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
        return 0;
    ST(m->depth, 0u);
    if (LD(m->by_home)) {
        ST(m->by_home, 0u);
        __atomic_compare_exchange_n(&m->home, &o, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
        __atomic_store_n(&m->home_busy, 0u, __ATOMIC_RELEASE);
    } else {
        __atomic_compare_exchange_n(&m->claim, &o, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
    }
    return 1;
}

/*
 * The claim and the word of m for thread tid, without waiting. Returns
 * RL_TAKEN, RL_DIED, RL_BUSY (held by another process or thread), or
 * MMF_ECORRUPT (the word names tid, which does not own it: forged, and
 * waiting on it would never end) or MMF_ENOTSUP.
 */
static int lock_try(struct mmf__syncmap *m, pid_t tid, uint32_t waiters)
{
    struct robust_list_head *h = mmf__linux_robust_head();
    uint32_t old, nw;
    pid_t hm;
    int rc;

    if (h == NULL)
        return MMF_ENOTSUP;
    if (!claim_take(m, tid))
        return RL_BUSY;
    if (word_names(__atomic_load_n(m->word, __ATOMIC_RELAXED), tid)) {
        claim_drop(m);
        return MMF_ECORRUPT;
    }
    rc = word_cas(m->word, m->entry, h, tid, waiters, &old, &nw);
    if (rc != RL_BUSY) {
        mmf__fence_after_rmw();
        hm = LD(m->home);
        if (hm != 0 && hm != tid && __atomic_load_n(&m->home_busy, __ATOMIC_SEQ_CST) != 0) {
            word_unwind(m->word, nw, old); /* the home thread is in */
            rc = RL_BUSY;
        } else {
            BARRIER();
            mmf__linux_robust_link(h, m->entry);
        }
    }
    BARRIER();
    h->list_op_pending = NULL;
    if (rc == RL_BUSY)
        claim_drop(m);
    else
        owner_set(m, tid, 0);
    return rc;
}

/* The longest sleep without looking whether the object's page is still
 * there (see lock_sleep). */
#define DAMAGE_SLICE_NS (100 * NS_PER_MS)

/* How long to pause when the word is free but another thread of ours is
 * taking or giving it (a few instructions), or owns the mutex under a
 * forged word. The pause is a plain sleep, not a futex wait on the word:
 * a wake-up meant for the word's armed sleepers must never land on a
 * thread that would not pass it on. */
#define CLAIM_PAUSE_NS 50000u

/* The earlier of `ns` from now and the deadline. */
static uint64_t within(uint64_t ns, uint64_t deadline)
{
    uint64_t now = now_ns();
    return now < deadline && deadline - now > ns ? now + ns : deadline;
}

static void pause_until(uint64_t until)
{
    uint64_t now = now_ns();
    if (until > now) {
        struct timespec ts = ts_of(until - now);
        nanosleep(&ts, NULL);
    }
}

/*
 * Sleep until the word of m may be takeable, or the deadline: with
 * FUTEX_WAITERS set when it names an owner, so that the owner's release
 * or the kernel at its death wakes us; a short pause when it is free but
 * another thread of ours is in. Sets *waiters when FUTEX_WAITERS was set.
 * Returns 0 (look again), MMF_ETIMEDOUT or MMF_ECORRUPT.
 */
static int lock_sleep(struct mmf__syncmap *m, pid_t tid, uint64_t deadline, uint32_t *waiters)
{
    uint32_t w = __atomic_load_n(m->word, __ATOMIC_RELAXED);
    uint64_t slice;

    if (now_ns() >= deadline)
        return MMF_ETIMEDOUT;
    if (owner_gone(m, tid))
        return 0;
    if (word_free(w)) {
        if (!others_busy(m, tid))
            return 0;
        slice = within(CLAIM_PAUSE_NS, deadline);
        pause_until(slice);
        return slice == deadline ? MMF_ETIMEDOUT : 0;
    }
    if (word_names(w, tid))
        return MMF_ECORRUPT;
    if (!(w & FUTEX_WAITERS) &&
        !__atomic_compare_exchange_n(m->word, &w, w | FUTEX_WAITERS, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_RELAXED))
        return 0;
    *waiters = FUTEX_WAITERS;
    /* In slices: a sleeper on a page that a shrunken file took away is
     * woken by nobody (its futex is private memory now). */
    slice = within(DAMAGE_SLICE_NS, deadline);
    if (futex_wait_until(m->word, w | FUTEX_WAITERS, slice) == MMF_ETIMEDOUT &&
        slice == deadline)
        return MMF_ETIMEDOUT;
    return damaged(m) ? MMF_ECORRUPT : 0;
}

/* Take the word of m for tid, waiting until the deadline. Returns
 * lock_try's results; RL_BUSY at the deadline. */
static int lock_wait(struct mmf__syncmap *m, pid_t tid, uint64_t deadline)
{
    uint32_t waiters = 0;
    for (;;) {
        int rc = lock_try(m, tid, waiters);
        if (rc != RL_BUSY)
            return rc;
        if ((rc = lock_sleep(m, tid, deadline, &waiters)) == MMF_ETIMEDOUT)
            return lock_try(m, tid, waiters); /* one last look */
        if (rc < 0)
            return rc;
    }
}

/* The common part of a state: magic and version. */
static int state_ok(const struct mmf__syncmap *m)
{
    static const uint32_t magic[] = {0, 0, MMF__MUTEX_MAGIC, MMF__EVENT_MAGIC,
                                     MMF__SEM_MAGIC};
    const struct mmf__sync_common *c = m->st;
    return LD(c->magic) == magic[m->type] && LD(c->version) == MMF__SYNC_VERSION;
}

/*
 * Take the internal lock of an event or semaphore. Returns 0, 1 if its
 * last holder died holding it (the caller bumps seq and wakes everyone, in
 * case a wake-up was lost), MMF_ETIMEDOUT (deadline passed), MMF_EBUSY
 * (held too long) or MMF_ECORRUPT.
 */
static int ilock_take(struct mmf__syncmap *m, uint64_t deadline)
{
    pid_t tid = self_tid();
    int rc = lock_try(m, tid, 0);

    for (int i = 0; rc == RL_BUSY && i < 200; i++) {
        cpu_relax();
        if (word_free(__atomic_load_n(m->word, __ATOMIC_RELAXED)))
            rc = lock_try(m, tid, 0);
    }
    if (rc == RL_BUSY) {
        uint64_t now = now_ns(), bound = now + ILOCK_LIMIT_NS;
        if (deadline != NO_DEADLINE) {
            uint64_t d = deadline > now + ILOCK_MIN_NS ? deadline : now + ILOCK_MIN_NS;
            bound = d < bound ? d : bound;
        }
        rc = lock_wait(m, tid, bound);
        if (rc == RL_BUSY)
            return deadline != NO_DEADLINE && now_ns() >= deadline ? MMF_ETIMEDOUT
                                                                    : MMF_EBUSY;
    }
    return rc; /* RL_TAKEN (0), RL_DIED (1) or an error */
}

static int ilock_give(struct mmf__syncmap *m)
{
    return owner_give(m, self_tid(), 0);
}

/* seq: bump after a change that may satisfy waiters, then wake sleepers,
 * `n` of them (INT_MAX: all). */
static void seq_bump(struct mmf__sync_common *c)
{
    __atomic_fetch_add(&c->seq, 1u, __ATOMIC_SEQ_CST);
}

static void wake_sleepers(struct mmf__sync_common *c, int n)
{
    uint32_t ms = __atomic_load_n(&c->msleep, __ATOMIC_SEQ_CST);
    uint32_t ns = __atomic_load_n(&c->nsleep, __ATOMIC_SEQ_CST);
    if (ms != 0)
        futex_wake(&c->seq, INT_MAX);
    else if (ns != 0)
        futex_wake(&c->seq, n);
}

/* Counts that a killed process may leave behind never go below zero. */
static void count_down(uint32_t *p)
{
    uint32_t v = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v != 0 && !__atomic_compare_exchange_n(p, &v, v - 1, 1, __ATOMIC_SEQ_CST,
                                                  __ATOMIC_RELAXED))
        ;
}

/* ------------------------------------------------------------------------ */
/* Mapping table                                                             */
/* ------------------------------------------------------------------------ */

/* The header page of the object file fd, shared, followed by a private
 * page for the robust-list entry. NULL (errno set) on failure. */
static void *map_object(int fd)
{
    char *base = mmap(NULL, MAP_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    /* MAP_FIXED over our own reservation: nobody else can hold it. */
    if (mmap(base, MMF__HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
            MAP_FAILED ||
        mmap(base + MMF__HDR_SIZE, MMF__HDR_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
        int e = errno;
        munmap(base, MAP_BYTES);
        errno = e;
        return NULL;
    }
    /* The header page is a shared file's: guard it against a shrink
     * (guard.h). The private page cannot lose its pages. */
    if (mmf__linux_guard_add(base, MMF__HDR_SIZE, PROT_READ | PROT_WRITE) < 0) {
        munmap(base, MAP_BYTES);
        errno = ENOMEM;
        return NULL;
    }
    return base;
}

static void unmap_object(void *base)
{
    mmf__linux_guard_remove(base, MMF__HDR_SIZE);
    munmap(base, MAP_BYTES);
}

/* Unmap m if no handle uses it and no thread of ours holds or is taking
 * it (its entry may be linked in a robust list). Call with the lock held.
 * A map with no handle can only become free again when the thread that
 * owns it ends (or through a new handle, whose detach looks again), so
 * looking at the map that changed is enough. */
static void collect(struct mmf__syncmap *m)
{
    if (m->refs == 0 && __atomic_load_n(&m->claim, __ATOMIC_ACQUIRE) == 0 &&
        __atomic_load_n(&m->home_busy, __ATOMIC_ACQUIRE) == 0 &&
        __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE) == 0) {
        mmf__linux_htable_remove(&table, &m->node);
        unmap_object(m->page);
        free(m);
    }
}

/* Note that the calling thread now owns mutex m (see tls_owned). */
static void note_owned(struct mmf__syncmap *m)
{
    if (tls_nowned == NOTES_MAX) {
        tls_lost = 1;
        ST(m->noted_at, UINT32_MAX);
        return;
    }
    ST(m->noted_at, tls_nowned);
    tls_owned[tls_nowned++] = m;
}

/* The calling thread is about to give mutex m up. */
static void unnote_owned(struct mmf__syncmap *m)
{
    uint32_t i = LD(m->noted_at);
    struct mmf__syncmap *last;
    if (i >= tls_nowned || tls_owned[i] != m)
        return; /* its note could not be made */
    last = tls_owned[--tls_nowned];
    tls_owned[i] = last;
    ST(last->noted_at, i);
}

/* Keep the home notes of the calling thread (tid) that still name a map it
 * is home of, once each. Returns their number. */
static uint32_t homes_compact(pid_t tid)
{
    uint32_t k = 0;
    mmf__os_lock();
    for (uint32_t i = 0; i < tls_nhomes; i++) {
        struct home_note *n = &tls_homes[i];
        struct mmf__syncmap *m = table_find(n->dev, n->ino, id_hash(n->dev, n->ino));
        if (m != NULL && LD(m->home) == tid && !m->home_kept) {
            m->home_kept = 1;
            tls_homes[k++] = *n;
        }
    }
    for (uint32_t i = 0; i < k; i++) {
        struct home_note *n = &tls_homes[i];
        struct mmf__syncmap *m = table_find(n->dev, n->ino, id_hash(n->dev, n->ino));
        if (m != NULL)
            m->home_kept = 0;
    }
    mmf__os_unlock();
    return tls_nhomes = k;
}

/* Note that the calling thread (tid) became home of mutex m. Notes of maps
 * since freed are dropped when the array is full: one note costs O(1)
 * amortised. */
static void note_home(struct mmf__syncmap *m, pid_t tid)
{
    watch_thread_exit(); /* its exit gives the home up */
    if (tls_nhomes == NOTES_MAX)
        homes_compact(tid);
    if (tls_nhomes == NOTES_MAX) {
        tls_lost = 1;
        return;
    }
    tls_homes[tls_nhomes].dev = m->dev;
    tls_homes[tls_nhomes].ino = m->ino;
    tls_nhomes++;
}

/* What thread_exit does for one map. */
static void exit_map(struct mmf__syncmap *m, pid_t tid, struct robust_list_head *h)
{
    struct mmf__sync_mutex *s = m->st;
    if (m->type != MMF__TYPE_MUTEX)
        return;
    if (LD(m->owner) == tid && h != NULL) {
        ST(s->recursion, 0u);
        ST(s->owner_pid, 0u);
        owner_give(m, tid, 1);
    }
    if (LD(m->home) == tid)
        ST(m->home, 0);
}

/* A thread ends: every mutex it owns is abandoned, as the kernel would
 * abandon it - but now, so that its arbitration goes too; and it is no
 * mutex's home any more. It looks only at what its notes name, unless a
 * note was lost. */
static void thread_exit(void *unused)
{
    pid_t tid = self_tid();
    struct robust_list_head *h = tls_head;
    (void)unused;

    mmf__os_lock();
    while (tls_nowned > 0) {
        struct mmf__syncmap *m = tls_owned[--tls_nowned];
        exit_map(m, tid, h);
        collect(m);
    }
    for (uint32_t i = 0; i < tls_nhomes; i++) {
        struct home_note *n = &tls_homes[i];
        struct mmf__syncmap *m = table_find(n->dev, n->ino, id_hash(n->dev, n->ino));
        if (m != NULL) {
            exit_map(m, tid, h);
            collect(m); /* it may have owned it as home, handles all closed */
        }
    }
    if (tls_lost) {
        for (size_t i = 0; i < table.size; i++) {
            struct mmf__linux_hnode *n = table.bucket[i], *next;
            for (; n != NULL; n = next) {
                struct mmf__syncmap *m = (struct mmf__syncmap *)(void *)n;
                next = n->next;
                exit_map(m, tid, h);
                collect(m);
            }
        }
    }
    mmf__os_unlock();
    tls_nowned = tls_nhomes = 0;
    tls_lost = 0;
}

int mmf__os_sync_attach(mmf__obj *o, uint32_t type, struct mmf__sync_params *p,
                        mmf__syncmap **out)
{
    struct mmf__syncmap *m;
    struct stat st;
    uint64_t hash;
    int fd = mmf__linux_obj_fd(o), owned = 0;

    pthread_once(&once, init_once);
    if (!robust_ok)
        return MMF_ENOTSUP;
    if (fstat(fd, &st) != 0)
        return mmf__linux_err(errno);
    hash = id_hash((uint64_t)st.st_dev, (uint64_t)st.st_ino);
    mmf__os_lock();
    m = table_find((uint64_t)st.st_dev, (uint64_t)st.st_ino, hash);
    if (m != NULL) {
        /* Another handle of this process, or an owned mutex whose handles
         * were all closed. */
        int rc = m->type == type && state_ok(m) ? 0 : MMF_ECORRUPT;
        if (rc == 0)
            m->refs++;
        mmf__os_unlock();
        *out = m;
        return rc;
    }
    if ((m = calloc(1, sizeof *m)) == NULL) {
        mmf__os_unlock();
        return MMF_ENOMEM;
    }
    if (p != NULL && p->kept != NULL) {
        m->page = p->kept; /* an owned new mutex: its entry is linked */
        p->kept = NULL;
        owned = 1;
    } else if ((m->page = map_object(fd)) == NULL) {
        int rc = mmf__linux_err(errno);
        free(m);
        mmf__os_unlock();
        return rc;
    }
    m->st = ((struct mmf__hdr *)m->page)->state;
    m->word = word_at(m->page);
    m->entry = entry_at(m->page);
    m->dev = (uint64_t)st.st_dev;
    m->ino = (uint64_t)st.st_ino;
    m->node.hash = hash;
    m->type = type;
    m->refs = 1;
    m->spin_ns = SPIN_INIT_NS;
    m->long_gap = SPIN_PROBE;
    m->long_next = SPIN_PROBE;
    if (type < MMF__TYPE_MUTEX || type > MMF__TYPE_SEMAPHORE || !state_ok(m)) {
        if (owned)
            word_give(m->word, m->entry, tls_head, self_tid(), 0);
        unmap_object(m->page);
        free(m);
        mmf__os_unlock();
        return MMF_ECORRUPT;
    }
    if (owned) {
        ST(m->claim, self_tid());
        owner_set(m, self_tid(), 0);
        ST(m->depth, 1u);
        watch_thread_exit();
        note_owned(m);
    }
    mmf__linux_htable_add(&table, &m->node);
    mmf__os_unlock();
    *out = m;
    return 0;
}

void mmf__os_sync_detach(mmf__syncmap *m)
{
    mmf__os_lock();
    m->refs--;
    collect(m);
    mmf__os_unlock();
}

/* ------------------------------------------------------------------------ */
/* Creating                                                                  */
/* ------------------------------------------------------------------------ */

void mmf__os_sync_discard(struct mmf__sync_params *p)
{
    if (p->kept == NULL)
        return;
    word_give(word_at(p->kept), entry_at(p->kept), tls_head, self_tid(), 0);
    unmap_object(p->kept);
    p->kept = NULL;
}

int mmf__linux_sync_init(struct mmf__hdr *live, int file, struct mmf__sync_params *p)
{
    void *st = live->state;
    struct mmf__sync_common *c = st;
    uint32_t magic;

    pthread_once(&once, init_once);
    if (!robust_ok)
        return MMF_ENOTSUP;
    memset(st, 0, MMF__STATE_BYTES);
    __atomic_store_n(word_at(live), 0u, __ATOMIC_RELAXED);
    switch (p->type) {
    case MMF__TYPE_MUTEX:
        magic = MMF__MUTEX_MAGIC;
        break;
    case MMF__TYPE_EVENT: {
        struct mmf__sync_event *e = st;
        e->manual = p->manual ? 1u : 0u;
        e->signaled = p->initial ? 1u : 0u;
        magic = MMF__EVENT_MAGIC;
        break;
    }
    case MMF__TYPE_SEMAPHORE: {
        struct mmf__sync_semaphore *s = st;
        s->count = p->count;
        s->max = p->max;
        magic = MMF__SEM_MAGIC;
        break;
    }
    default:
        return MMF_EINVAL;
    }
    c->version = MMF__SYNC_VERSION;
    __atomic_store_n(&c->magic, magic, __ATOMIC_RELEASE);
    if (p->type == MMF__TYPE_MUTEX && p->own) {
        /* Owned from birth: take it before it has a name, through the
         * mapping attach will use. Nobody else can reach the unnamed file,
         * so the word is ours to take. */
        struct robust_list_head *h = mmf__linux_robust_head();
        struct mmf__sync_mutex *mx;
        void *base;

        mmf__os_sync_discard(p); /* an earlier attempt that lost the name */
        if (h == NULL)
            return MMF_ENOTSUP;
        if ((base = map_object(file)) == NULL)
            return mmf__linux_err(errno);
        {
            uint32_t old, nw;
            int rc = word_cas(word_at(base), entry_at(base), h, self_tid(), 0, &old, &nw);
            if (rc == RL_TAKEN)
                mmf__linux_robust_link(h, entry_at(base));
            BARRIER();
            h->list_op_pending = NULL;
            if (rc != RL_TAKEN) {
                unmap_object(base);
                return MMF_ECORRUPT;
            }
        }
        mx = (struct mmf__sync_mutex *)(void *)((struct mmf__hdr *)base)->state;
        mx->owner_pid = (uint32_t)__atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
        mx->recursion = 1;
        p->kept = base;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Mutexes                                                                   */
/* ------------------------------------------------------------------------ */

static inline struct mmf__sync_mutex *mutex_of(struct mmf__syncmap *m)
{
    return m->st;
}

/* 1 if the calling thread (tid) owns the mutex. Our private claim says
 * so; the shared word cannot make it say otherwise. */
static inline int mutex_mine(struct mmf__syncmap *m, pid_t tid)
{
    return LD(m->owner) == tid && LD(m->depth) != 0;
}

static int mutex_recurse(struct mmf__syncmap *m)
{
    uint32_t d = LD(m->depth);
    if (d >= MAX_DEPTH)
        return MMF_EOVERFLOW;
    ST(m->depth, d + 1);
    ST(mutex_of(m)->recursion, d + 1);
    return 0;
}

/* Book an acquisition that lock_try or lock_wait reported as rc. Returns
 * 0, MMF_ABANDONED, MMF_ETIMEDOUT (RL_BUSY) or an error. */
static inline int mutex_took(struct mmf__syncmap *m, int rc)
{
    struct mmf__sync_mutex *s = mutex_of(m);
    uint32_t abandoned;

    if (rc == RL_BUSY)
        return MMF_ETIMEDOUT;
    if (rc < 0)
        return rc;
    if (rc == RL_DIED)
        ST(s->abandoned, 1u);
    abandoned = LD(s->abandoned);
    ST(m->depth, 1u);
    watch_thread_exit();
    /* What a thread owns as home its exit finds through its home notes;
     * so the uncontended path, which is the home's, notes nothing. */
    if (!LD(m->by_home))
        note_owned(m);
    ST(s->owner_pid, (uint32_t)__atomic_load_n(&cached_pid, __ATOMIC_RELAXED));
    ST(s->recursion, 1u);
    return abandoned ? MMF_ABANDONED : 0;
}

/* Spin a little, then sleep until the deadline. Returns lock_try's
 * results. */
static int mutex_block(struct mmf__syncmap *m, pid_t tid, uint64_t deadline)
{
    int probe = 0, rc;
    uint64_t budget = spin_budget(m, &probe), start, end;

    if (budget != 0) {
        start = now_ns();
        end = start + budget < deadline ? start + budget : deadline;
        for (;;) {
            for (int k = 0; k < 64; k++) {
                if (word_free(__atomic_load_n(m->word, __ATOMIC_RELAXED)) &&
                    (rc = lock_try(m, tid, 0)) != RL_BUSY) {
                    spin_learn(m, 1, probe, now_ns() - start);
                    return rc;
                }
                cpu_relax();
            }
            if (now_ns() >= end)
                break;
        }
        spin_learn(m, 0, probe, 0);
    }
    return lock_wait(m, tid, deadline);
}

/* Everything but an uncontended acquisition. */
__attribute__((noinline)) static int mutex_lock_slow(struct mmf__syncmap *m, pid_t tid,
                                                     long long timeout_ms)
{
    pid_t none = 0;
    int rc;
    if (mutex_mine(m, tid))
        return mutex_recurse(m);
    if (!state_ok(m))
        return MMF_ECORRUPT;
    /* The first thread of ours to lock it becomes its home. */
    if (LD(m->home) == 0 &&
        __atomic_compare_exchange_n(&m->home, &none, tid, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_RELAXED))
        note_home(m, tid);
    rc = lock_try(m, tid, 0);
    if (rc == RL_BUSY && timeout_ms != 0)
        rc = mutex_block(m, tid, deadline_of(timeout_ms));
    return mutex_took(m, rc);
}

static inline int mutex_state_ok(const struct mmf__sync_mutex *s)
{
    return LD(s->c.magic) == MMF__MUTEX_MAGIC && LD(s->c.version) == MMF__SYNC_VERSION;
}

int mmf__os_mutex_lock(mmf__syncmap *m, long long timeout_ms)
{
    struct mmf__sync_mutex *s = m->st;
    struct robust_list_head *h = tls_head;
    pid_t tid = self_tid();
    uint32_t w = 0;

    /* The uncontended path of the home thread (see THE CLAIM): announce,
     * swap the word, check for a claimant, link. */
    /* Not when it owns the mutex already (recursion): its announcement is
     * up and must stay up. */
    if (__builtin_expect(h == NULL || LD(m->home) != tid || LD(m->owner) == tid ||
                             !mutex_state_ok(s), 0))
        return mutex_lock_slow(m, tid, timeout_ms);
    HOME_ANNOUNCE(m);
    h->list_op_pending = (struct robust_list *)(void *)m->entry;
    BARRIER();
    if (__builtin_expect(__atomic_compare_exchange_n(m->word, &w, (uint32_t)tid, 0,
                                                     __ATOMIC_SEQ_CST, __ATOMIC_RELAXED),
                         1)) {
        mmf__fence_after_rmw();
        if (__builtin_expect(__atomic_load_n(&m->claim, __ATOMIC_SEQ_CST) == 0, 1)) {
            mmf__linux_robust_link(h, m->entry);
            BARRIER();
            h->list_op_pending = NULL;
            owner_set(m, tid, 1);
            return mutex_took(m, RL_TAKEN);
        }
        word_unwind(m->word, (uint32_t)tid, 0); /* a claimant is in */
    }
    BARRIER();
    h->list_op_pending = NULL;
    __atomic_store_n(&m->home_busy, 0u, __ATOMIC_RELEASE);
    return mutex_lock_slow(m, tid, timeout_ms);
}

/* The owner's final release; it clears the abandoned mark. */
static int mutex_release(struct mmf__syncmap *m, pid_t tid)
{
    struct mmf__sync_mutex *s = mutex_of(m);
    int rc;

    ST(s->recursion, 0u);
    ST(s->owner_pid, 0u);
    if (LD(s->abandoned) != 0)
        ST(s->abandoned, 0u);
    if (!LD(m->by_home))
        unnote_owned(m);
    rc = owner_give(m, tid, 0);
    return rc;
}

__attribute__((noinline)) static int mutex_unlock_slow(struct mmf__syncmap *m, pid_t tid)
{
    uint32_t d = LD(m->depth);
    int rc;
    if (d > 1) {
        ST(m->depth, d - 1);
        ST(mutex_of(m)->recursion, d - 1);
        return 0;
    }
    /* Given back even when the state was forged: our entry must leave
     * the robust list. */
    rc = mutex_release(m, tid);
    return rc == 0 && !state_ok(m) ? MMF_ECORRUPT : rc;
}

int mmf__os_mutex_unlock(mmf__syncmap *m)
{
    struct mmf__sync_mutex *s = m->st;
    pid_t tid = self_tid();

    if (!mutex_mine(m, tid))
        return MMF_ENOTOWNER; /* Q10, Q11: nothing changes */
    if (__builtin_expect(LD(m->depth) != 1 || LD(s->abandoned) != 0 || !mutex_state_ok(s), 0))
        return mutex_unlock_slow(m, tid);
    return mutex_release(m, tid);
}

/* ------------------------------------------------------------------------ */
/* Events and semaphores: state under the internal lock                     */
/* ------------------------------------------------------------------------ */

/* One object of a wait, and what the wait knows about it. */
struct wobj {
    struct mmf__syncmap *m;
    uint32_t *word;     /* futex word: seq, or the mutex's lock word */
    uint32_t snap;      /* its value before the last check */
    uint32_t gen;       /* event: pulse generation when registered */
    uint8_t registered; /* event: counted in nwait */
    uint8_t ready;      /* wait-all: signaled at the last check */
    uint8_t locked;     /* wait-all: internal lock held */
    uint8_t repair;     /* its internal lock's last holder died */
    uint8_t armed;      /* mutex: FUTEX_WAITERS set, sleeping on snap */
    uint8_t slept;      /* event/semaphore: counted in nsleep/msleep */
    int tryrc;          /* wait-all: trylock result this round */
};

/* An event's fields, read once and checked. */
struct ev {
    uint32_t manual, signaled, gen, nwait, eligible, pending;
};

static int ev_read(struct mmf__sync_event *e, struct ev *v)
{
    v->manual = LD(e->manual);
    v->signaled = LD(e->signaled);
    v->gen = LD(e->pulse_gen);
    v->nwait = LD(e->nwait);
    v->eligible = LD(e->eligible);
    v->pending = LD(e->pending);
    if (LD(e->c.magic) != MMF__EVENT_MAGIC ||
        !mmf__event_valid(v->manual, v->signaled, v->nwait, v->eligible, v->pending))
        return MMF_ECORRUPT;
    return 0;
}

/* Store what changed, in an order that keeps the state valid after each
 * single store (pending <= eligible <= nwait), for a holder that dies
 * between two of them. */
static void ev_write(struct mmf__sync_event *e, const struct ev *old, const struct ev *v)
{
    if (v->pending < old->pending)
        ST(e->pending, v->pending);
    if (v->eligible < old->eligible)
        ST(e->eligible, v->eligible);
    if (v->nwait != old->nwait)
        ST(e->nwait, v->nwait);
    if (v->eligible > old->eligible)
        ST(e->eligible, v->eligible);
    if (v->pending > old->pending)
        ST(e->pending, v->pending);
    if (v->signaled != old->signaled)
        ST(e->signaled, v->signaled);
    if (v->gen != old->gen)
        ST(e->pulse_gen, v->gen);
}

/* A registered waiter that a pulse has seen and not yet released. */
static int ev_pulsed(const struct wobj *o, const struct ev *v)
{
    return o->registered && o->gen != v->gen;
}

static int ev_satisfied(const struct wobj *o, const struct ev *v)
{
    return v->signaled || (ev_pulsed(o, v) && (v->manual || v->pending > 0));
}

/* The waiter o leaves the event (registered or not). */
static void ev_leave(struct wobj *o, struct ev *v)
{
    if (!o->registered)
        return;
    if (v->nwait > 0)
        v->nwait--;
    if (o->gen != v->gen && v->eligible > 0)
        v->eligible--;
    if (v->eligible > v->nwait)
        v->eligible = v->nwait;
    if (v->pending > v->eligible)
        v->pending = v->eligible;
    o->registered = 0;
}

/* Take the event for o (it is satisfied): a pulse release first, since a
 * pulse that saw o was meant for it before any later set. */
static void ev_consume(struct wobj *o, struct ev *v)
{
    if (ev_pulsed(o, v) && (v->manual || v->pending > 0)) {
        if (!v->manual)
            v->pending--;
    } else if (!v->manual) {
        v->signaled = 0;
    }
    ev_leave(o, v);
}

/* o was not satisfied: a pulse that found nothing left for it is gone for
 * it; register for the next (reg) if not yet. */
static int ev_settle(struct wobj *o, struct ev *v, int reg)
{
    if (ev_pulsed(o, v)) {
        if (v->eligible > 0)
            v->eligible--;
        if (v->pending > v->eligible)
            v->pending = v->eligible;
        o->gen = v->gen;
    }
    if (reg && !o->registered) {
        if (v->nwait == UINT32_MAX)
            return MMF_ECORRUPT;
        v->nwait++;
        o->registered = 1;
        o->gen = v->gen;
    }
    return 0;
}

static int sem_read(struct mmf__sync_semaphore *s, int32_t *count, int32_t *max)
{
    *count = LD(s->count);
    *max = LD(s->max);
    if (LD(s->c.magic) != MMF__SEM_MAGIC || !mmf__semaphore_valid(*count, *max))
        return MMF_ECORRUPT;
    return 0;
}

/*
 * Check (and with `consume`, take) an event or semaphore whose internal
 * lock the caller holds. Not satisfied, it settles the registration
 * (`reg`: register). Returns 1 satisfied, 0 not, or MMF_ECORRUPT.
 */
static int eval_locked(struct wobj *o, int consume, int reg)
{
    if (o->m->type == MMF__TYPE_EVENT) {
        struct mmf__sync_event *e = o->m->st;
        struct ev old, v;
        int rc;
        if (ev_read(e, &old) < 0)
            return MMF_ECORRUPT;
        v = old;
        if (ev_satisfied(o, &v)) {
            if (consume) {
                ev_consume(o, &v);
                ev_write(e, &old, &v);
            }
            return 1;
        }
        if (!consume)
            return 0;
        rc = ev_settle(o, &v, reg);
        ev_write(e, &old, &v);
        return rc;
    } else {
        struct mmf__sync_semaphore *s = o->m->st;
        int32_t count, max;
        if (sem_read(s, &count, &max) < 0)
            return MMF_ECORRUPT;
        if (count == 0)
            return 0;
        if (consume)
            ST(s->count, count - 1);
        return 1;
    }
}

/* After the internal lock's holder died: wake everyone (a wake-up may have
 * been lost with it). Call with the lock held; wake after giving it. */
static void repair_bump(struct wobj *o)
{
    if (o->repair)
        seq_bump(o->m->st);
}

static void repair_wake(struct wobj *o)
{
    if (o->repair) {
        wake_sleepers(o->m->st, INT_MAX);
        o->repair = 0;
    }
}

int mmf__os_event_op(mmf__syncmap *m, int op)
{
    struct mmf__sync_event *e = m->st;
    struct wobj o;
    struct ev old, v;
    int rc, wake = 0, prev;

    if (!state_ok(m))
        return MMF_ECORRUPT;
    memset(&o, 0, sizeof o);
    o.m = m;
    if ((rc = ilock_take(m, NO_DEADLINE)) < 0)
        return rc;
    o.repair = rc == 1;
    if (ev_read(e, &old) < 0) {
        ilock_give(m);
        return MMF_ECORRUPT;
    }
    v = old;
    prev = (int)old.signaled;
    switch (op) {
    case MMF__EV_SET:
        if (!v.signaled) {
            v.signaled = 1;
            wake = v.manual ? INT_MAX : 1; /* R12, R13 */
        }
        break;
    case MMF__EV_RESET:
        v.signaled = 0;
        break;
    default: /* MMF__EV_PULSE: R09-R11 */
        v.signaled = 0;
        if (v.nwait > 0) {
            /* Every registered waiter becomes eligible; an auto-reset
             * event offers one more release to them. */
            v.eligible = v.nwait;
            if (!v.manual)
                v.pending = v.pending + 1 < v.nwait ? v.pending + 1 : v.nwait;
            v.gen = v.gen + 1;
            wake = INT_MAX;
        }
        break;
    }
    ev_write(e, &old, &v);
    if (wake)
        seq_bump(&e->c);
    repair_bump(&o);
    rc = ilock_give(m);
    if (wake)
        wake_sleepers(&e->c, wake);
    repair_wake(&o);
    return rc < 0 ? rc : prev;
}

int mmf__os_semaphore_release(mmf__syncmap *m, int32_t n, int32_t *prev)
{
    struct mmf__sync_semaphore *s = m->st;
    struct wobj o;
    int32_t count, max;
    int rc;

    if (!state_ok(m))
        return MMF_ECORRUPT;
    memset(&o, 0, sizeof o);
    o.m = m;
    if ((rc = ilock_take(m, NO_DEADLINE)) < 0)
        return rc;
    o.repair = rc == 1;
    if (sem_read(s, &count, &max) < 0) {
        rc = MMF_ECORRUPT;
    } else if (n > max - count) {
        rc = MMF_EOVERFLOW; /* S06, S07: nothing changes */
    } else {
        ST(s->count, count + n);
        seq_bump(&s->c);
        *prev = count;
        rc = 0;
    }
    repair_bump(&o);
    if (ilock_give(m) < 0 && rc == 0)
        rc = MMF_ECORRUPT;
    if (rc == 0 || o.repair)
        wake_sleepers(&s->c, o.repair ? INT_MAX : n);
    o.repair = 0;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Waits                                                                     */
/* ------------------------------------------------------------------------ */

/* Try to take the mutex of o without waiting. Returns 1 taken (and sets
 * *abandoned), 0 not free, or an error. */
static int mutex_try(struct wobj *o, pid_t tid, int *abandoned)
{
    uint32_t w;
    int rc;
    *abandoned = 0;
    if (mutex_mine(o->m, tid))
        return (rc = mutex_recurse(o->m)) < 0 ? rc : 1;
    if (!state_ok(o->m))
        return MMF_ECORRUPT;
    w = __atomic_load_n(o->word, __ATOMIC_RELAXED);
    if (word_names(w, tid))
        return MMF_ECORRUPT;
    if (!word_free(w))
        return 0;
    rc = mutex_took(o->m, lock_try(o->m, tid, 0));
    if (rc == MMF_ETIMEDOUT)
        return 0;
    if (rc < 0)
        return rc;
    *abandoned = rc == MMF_ABANDONED;
    return 1;
}

/* One pass of a wait-any: take the lowest-indexed signaled object.
 * Returns its index (| MMF_ABANDONED), MMF__NOT_YET, or an error. */
static int any_round(struct wobj *o, size_t n, pid_t tid, int reg, uint64_t deadline)
{
    for (size_t i = 0; i < n; i++)
        o[i].snap = __atomic_load_n(o[i].word, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < n; i++) {
        int rc, got;
        if (o[i].m->type == MMF__TYPE_MUTEX) {
            int abandoned;
            if ((rc = mutex_try(&o[i], tid, &abandoned)) < 0)
                return rc;
            if (rc == 1)
                return (int)i | (abandoned ? MMF_ABANDONED : 0);
            continue;
        }
        if (!state_ok(o[i].m))
            return MMF_ECORRUPT;
        if ((rc = ilock_take(o[i].m, deadline)) < 0)
            return rc;
        o[i].repair = rc == 1;
        got = eval_locked(&o[i], 1, reg);
        repair_bump(&o[i]);
        rc = ilock_give(o[i].m);
        repair_wake(&o[i]);
        if (got < 0 || rc < 0)
            return got < 0 ? got : rc;
        if (got == 1)
            return (int)i;
    }
    return MMF__NOT_YET;
}

/* Give back a mutex a wait-all took this round (a race lost elsewhere).
 * An abandoned one keeps its mark for the next owner to see. */
static void all_undo(struct wobj *o, size_t upto, pid_t tid)
{
    for (size_t i = 0; i < upto; i++) {
        struct mmf__syncmap *m = o[i].m;
        if (m->type != MMF__TYPE_MUTEX || (o[i].tryrc != RL_TAKEN && o[i].tryrc != RL_DIED))
            continue;
        if (o[i].tryrc == RL_DIED)
            ST(mutex_of(m)->abandoned, 1u);
        owner_give(m, tid, 0);
        o[i].tryrc = RL_BUSY;
    }
}

/* One pass of a wait-all. Returns 0 or MMF_ABANDONED | index when it
 * took everything, MMF__NOT_YET (nothing changed), or an error. */
static int all_round(struct wobj *o, size_t n, const uint8_t *order, pid_t tid,
                     int reg, uint64_t deadline)
{
    int rc = 0, ready = 1, result = 0;
    size_t i, k, fail = n;

    for (i = 0; i < n; i++) {
        o[i].snap = __atomic_load_n(o[i].word, __ATOMIC_ACQUIRE);
        o[i].tryrc = RL_BUSY;
    }
    for (k = 0; k < n && rc == 0; k++) {
        struct wobj *w = &o[order[k]];
        if (w->m->type == MMF__TYPE_MUTEX)
            continue;
        if (!state_ok(w->m)) {
            rc = MMF_ECORRUPT;
        } else if ((rc = ilock_take(w->m, deadline)) >= 0) {
            w->locked = 1;
            w->repair = rc == 1;
            rc = 0;
        }
    }
    /* Check: is everything signaled at this moment? */
    for (i = 0; i < n && rc == 0; i++) {
        struct wobj *w = &o[i];
        if (w->m->type == MMF__TYPE_MUTEX) {
            if (mutex_mine(w->m, tid)) {
                w->ready = 1;
                if (LD(w->m->depth) >= MAX_DEPTH)
                    rc = MMF_EOVERFLOW;
            } else if (!state_ok(w->m)) {
                rc = MMF_ECORRUPT;
            } else {
                uint32_t x = __atomic_load_n(w->word, __ATOMIC_RELAXED);
                if (word_names(x, tid))
                    rc = MMF_ECORRUPT;
                w->ready = word_free(x) && !others_busy(w->m, tid);
            }
        } else {
            int r = eval_locked(w, 0, 0);
            if (r < 0)
                rc = r;
            w->ready = r == 1;
        }
        ready &= w->ready;
    }
    /* Take the free mutexes; give them back if one was taken meanwhile. */
    for (i = 0; i < n && rc == 0 && ready; i++) {
        if (o[i].m->type != MMF__TYPE_MUTEX || mutex_mine(o[i].m, tid))
            continue;
        o[i].tryrc = lock_try(o[i].m, tid, 0);
        if (o[i].tryrc != RL_TAKEN && o[i].tryrc != RL_DIED) {
            if (o[i].tryrc != RL_BUSY)
                rc = o[i].tryrc;
            ready = 0;
            o[i].ready = 0;
            fail = i;
        }
    }
    if (rc < 0 || !ready)
        all_undo(o, fail < n ? fail : n, tid);
    if (rc == 0 && ready) {
        /* Events and semaphores first: only a state forged since the check
         * can fail here, and then the mutexes taken are given back. */
        for (i = 0; i < n && rc == 0; i++) {
            if (o[i].m->type != MMF__TYPE_MUTEX && eval_locked(&o[i], 1, 0) != 1)
                rc = MMF_ECORRUPT;
        }
        if (rc < 0)
            all_undo(o, n, tid);
        for (i = 0; i < n && rc == 0; i++) {
            int r;
            if (o[i].m->type != MMF__TYPE_MUTEX)
                continue;
            r = o[i].tryrc == RL_BUSY ? mutex_recurse(o[i].m) /* already ours */
                                      : mutex_took(o[i].m, o[i].tryrc);
            if (r == MMF_ABANDONED && result == 0)
                result = (int)i | MMF_ABANDONED;
            else if (r < 0 && rc == 0)
                rc = r;
        }
    } else if (rc == 0) {
        /* Not all signaled: settle pulses and register (R16). */
        for (i = 0; i < n && rc == 0; i++) {
            if (o[i].m->type == MMF__TYPE_EVENT) {
                struct mmf__sync_event *e = o[i].m->st;
                struct ev old, v;
                if (ev_read(e, &old) < 0) {
                    rc = MMF_ECORRUPT;
                    break;
                }
                v = old;
                rc = ev_settle(&o[i], &v, reg);
                ev_write(e, &old, &v);
            }
        }
    }
    for (k = n; k-- > 0;) {
        struct wobj *w = &o[order[k]];
        if (!w->locked)
            continue;
        repair_bump(w);
        if (ilock_give(w->m) < 0 && rc == 0)
            rc = MMF_ECORRUPT;
        w->locked = 0;
        repair_wake(w);
    }
    if (rc < 0)
        return rc;
    return ready ? result : MMF__NOT_YET;
}

/* Spin until a word we wait on changes (or a mutex looks free), within the
 * object's adaptive budget. Returns 1 if something changed. */
static int spin_for_change(struct wobj *o, size_t n, int all, uint64_t deadline)
{
    int probe = 0;
    uint64_t budget = spin_budget(o[0].m, &probe), start, end;

    if (budget == 0)
        return 0;
    start = now_ns();
    end = start + budget < deadline ? start + budget : deadline;
    for (;;) {
        for (int k = 0; k < 32; k++) {
            for (size_t i = 0; i < n; i++) {
                uint32_t v;
                if (all && o[i].ready)
                    continue;
                v = __atomic_load_n(o[i].word, __ATOMIC_RELAXED);
                if (o[i].m->type == MMF__TYPE_MUTEX ? word_free(v) : v != o[i].snap) {
                    spin_learn(o[0].m, 1, probe, now_ns() - start);
                    return 1;
                }
            }
            cpu_relax();
        }
        if (now_ns() >= end)
            break;
    }
    spin_learn(o[0].m, 0, probe, 0);
    return 0;
}

/* Sleep on the words of the objects that were not ready, until one of
 * them changes or the deadline. Returns 0 or MMF_ETIMEDOUT. */
static int sleep_round(struct wobj *o, size_t n, int all, pid_t tid, uint64_t deadline)
{
    struct waitv v[MMF_WAIT_MAX];
    size_t k = 0, i;
    int rc = 0, single = n == 1;
    /* In slices: see lock_sleep. */
    uint64_t until = within(DAMAGE_SLICE_NS, deadline);

    for (i = 0; i < n; i++) {
        struct wobj *w = &o[i];
        if (all && w->ready)
            continue;
        if (w->m->type == MMF__TYPE_MUTEX) {
            uint32_t x = __atomic_load_n(w->word, __ATOMIC_RELAXED);
            if (owner_gone(w->m, tid))
                goto undo; /* its owner of ours vanished: look again */
            if (word_free(x) && others_busy(w->m, tid)) {
                /* Another thread of ours has the claim: look again after
                 * a pause (CLAIM_PAUSE_NS), without sleeping on the word. */
                until = within(CLAIM_PAUSE_NS, until);
                continue;
            }
            for (;;) {
                if (word_free(x) || (x & FUTEX_TID_MASK) == (uint32_t)tid)
                    goto undo; /* it changed: look again */
                if ((x & FUTEX_WAITERS) ||
                    __atomic_compare_exchange_n(w->word, &x, x | FUTEX_WAITERS, 0,
                                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
                    break;
            }
            w->snap = x | FUTEX_WAITERS;
            w->armed = 1;
        } else {
            struct mmf__sync_common *c = w->m->st;
            __atomic_fetch_add(single ? &c->nsleep : &c->msleep, 1u, __ATOMIC_SEQ_CST);
            w->slept = 1;
        }
        v[k].val = w->snap;
        v[k].uaddr = (uint64_t)(uintptr_t)w->word;
        v[k].flags = FUTEX_32;
        v[k].reserved = 0;
        k++;
    }
    if (k == 0 && until == deadline)
        goto undo;
    if (k == 0)
        pause_until(until);
    else if (k == 1 && single && o[0].m->type != MMF__TYPE_MUTEX)
        rc = futex_wait_until(o[0].word, o[0].snap, until);
    else
        rc = futex_waitv_until(v, k, until);
    if (rc == MMF_ETIMEDOUT && until != deadline)
        rc = 0; /* only the pause ended */
undo:
    for (i = 0; i < n; i++) {
        struct wobj *w = &o[i];
        if (w->slept) {
            struct mmf__sync_common *c = w->m->st;
            count_down(single ? &c->nsleep : &c->msleep);
            w->slept = 0;
        }
        if (w->armed) {
            /* The word changed: its wake-up may have been ours; pass one
             * on, whoever takes the mutex (see the top of this file). */
            if (__atomic_load_n(w->word, __ATOMIC_RELAXED) != w->snap)
                futex_wake(w->word, 1);
            w->armed = 0;
        }
    }
    return rc;
}

/* Sort the indexes of o by object identity: the order wait-all takes
 * internal locks in, the same in every process. */
static void canonical_order(const struct wobj *o, size_t n, uint8_t *order)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        order[i] = (uint8_t)i;
        while (j > 0) {
            const struct mmf__syncmap *a = o[order[j - 1]].m, *b = o[order[j]].m;
            uint8_t t;
            if (a->dev < b->dev || (a->dev == b->dev && a->ino <= b->ino))
                break;
            t = order[j - 1];
            order[j - 1] = order[j];
            order[j] = t;
            j--;
        }
    }
}

/* Leave the events a wait registered with. */
static void leave_all(struct wobj *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct mmf__sync_event *e;
        struct ev old, v;
        int rc;
        if (!o[i].registered)
            continue;
        e = o[i].m->st;
        if ((rc = ilock_take(o[i].m, NO_DEADLINE)) < 0)
            continue; /* nwait keeps counting it: pulses may over-release */
        o[i].repair = rc == 1;
        if (ev_read(e, &old) == 0) {
            v = old;
            ev_leave(&o[i], &v);
            ev_write(e, &old, &v);
        }
        repair_bump(&o[i]);
        ilock_give(o[i].m);
        repair_wake(&o[i]);
        o[i].registered = 0;
    }
}

int mmf__os_sync_wait(mmf__syncmap *const maps[], size_t n, int all,
                      long long timeout_ms)
{
    struct wobj o[MMF_WAIT_MAX];
    uint8_t order[MMF_WAIT_MAX];
    pid_t tid = self_tid();
    uint64_t deadline = deadline_of(timeout_ms);
    int rc, reg = timeout_ms != 0, spun = 0, timed_out = 0;

    memset(o, 0, n * sizeof o[0]);
    for (size_t i = 0; i < n; i++) {
        o[i].m = maps[i];
        o[i].word = maps[i]->type == MMF__TYPE_MUTEX
                        ? maps[i]->word
                        : &((struct mmf__sync_common *)maps[i]->st)->seq;
    }
    if (all)
        canonical_order(o, n, order);
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            if (damaged(o[i].m)) {
                rc = MMF_ECORRUPT; /* its page went with a shrunken file */
                goto out;
            }
        }
        rc = all ? all_round(o, n, order, tid, reg, deadline)
                 : any_round(o, n, tid, reg, deadline);
        if (rc != MMF__NOT_YET)
            break;
        if (timeout_ms == 0 || timed_out || now_ns() >= deadline) {
            rc = MMF_ETIMEDOUT;
            break;
        }
        if (!spun) {
            spun = 1;
            if (spin_for_change(o, n, all, deadline))
                continue;
        }
        if (sleep_round(o, n, all, tid, deadline) == MMF_ETIMEDOUT)
            timed_out = 1; /* one last look, then time out */
    }
out:
    leave_all(o, n);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Information                                                               */
/* ------------------------------------------------------------------------ */

int mmf__os_sync_query(mmf__syncmap *m, mmf_sync_info *info)
{
    if (!state_ok(m))
        return MMF_ECORRUPT;
    switch (m->type) {
    case MMF__TYPE_MUTEX: {
        struct mmf__sync_mutex *s = m->st;
        uint32_t w = __atomic_load_n(m->word, __ATOMIC_RELAXED);
        uint32_t owner = w & FUTEX_TID_MASK;
        if (owner != 0 && !(w & FUTEX_OWNER_DIED)) {
            info->owner_tid = owner;
            info->owner_pid = LD(s->owner_pid);
            info->recursion = LD(s->recursion);
        }
        info->abandoned = LD(s->abandoned) != 0 || (w & FUTEX_OWNER_DIED) != 0;
        return 0;
    }
    case MMF__TYPE_EVENT: {
        struct ev v;
        if (ev_read(m->st, &v) < 0)
            return MMF_ECORRUPT;
        info->manual_reset = (int)v.manual;
        info->signaled = (int)v.signaled;
        info->waiters = v.nwait;
        return 0;
    }
    default: {
        struct mmf__sync_semaphore *s = m->st;
        int32_t count, max;
        if (sem_read(s, &count, &max) < 0)
            return MMF_ECORRUPT;
        info->count = count;
        info->maximum = max;
        info->waiters = (unsigned long)LD(s->c.nsleep) + LD(s->c.msleep);
        return 0;
    }
    }
}
