/* SPDX-License-Identifier: MIT */
/*
 * chan.c - Windows: channel waits and wakes, endpoint claims, peer
 * liveness, double mappings (backend.h, "Channels").
 *
 * WAKE OBJECTS
 *
 * WaitOnAddress and keyed events wake threads of the calling process only,
 * so a word of a channel's control block that another process may wait on
 * gets a named semaphore of its own: "<ns>\mmf#<id>#w<key>", where <ns> is
 * the channel's namespace (Local or Global), <id> the 128-bit random id the
 * creator wrote beside the channel's header (struct mmf__win_chan_extra,
 * read once per reference and checked) and <key> the word's offset in the
 * control block. A sleeper re-checks the word, then waits on the
 * semaphore; a waker releases as many permits as the sleepers counter
 * says, at most WAKE_MAX. A permit nobody took (its sleeper timed out
 * first) wakes the next sleeper once for nothing: every caller of
 * mmf__os_wait_word re-checks its condition and sleeps again, so stale
 * permits cost a loop each, and never more than WAKE_MAX of them exist.
 *
 * CLAIMS
 *
 * Claim slot i is the named mutex "<ns>\mmf#<id>#c<i>", held while the
 * slot is claimed. The kernel abandons a mutex when its owning *thread*
 * ends, but a claim must last as long as the process: so every claim of
 * the process is taken and released by one keeper thread of the library,
 * started at the first claim, which does nothing else. Whether a slot is
 * held is read with NtQueryMutant on a handle cached per reference,
 * without acquiring the mutex, so a checker never blocks a claimer. A
 * hint bitmap beside the header (claim_hint) says which slots may be
 * held, so that a check does not ask the kernel about 1024 slots: a
 * claimer sets its bit before it takes the mutex and again after, and
 * clears it before it releases the mutex, so an honest claim's bit is
 * always set. Any process that may write the channel may write the hint
 * too; a forged bit costs a query, a cleared one makes a peer look gone
 * (an operation fails, nothing worse).
 *
 * PEER DEATH
 *
 * A sleeper waits on its word's semaphore and on the claim mutexes of the
 * peers that hold one, with WaitForMultipleObjects: a peer's death
 * abandons its mutexes, which wakes the sleeper at once. The sleeper then
 * owns the mutex and releases it straight away; a claimer that meets a
 * slot held that briefly waits a little for it (claim_busy) instead of
 * giving up. A peer that attaches while a sleeper sleeps is waited for
 * from the sleeper's next look (at most MMF__CHAN_QUIET_NS later).
 *
 * DOUBLE MAPPINGS
 *
 * Placeholders (VirtualAlloc2 and MapViewOfFile3, looked up in
 * kernelbase.dll: no import library of MinGW-w64 has them) map the area
 * twice without a window in which another thread can take the address
 * range. Where the system lacks them or refuses them (Wine 8 refuses
 * MEM_RESERVE_PLACEHOLDER), an address range of twice the length is
 * reserved and released, and the two views are mapped there, again at
 * another range if another thread took it meanwhile. That needs an
 * offset and a length that are multiples of the 64 KiB allocation
 * granularity, which the channel granule makes so for every channel
 * created on Windows; a ring file made on Linux (4 KiB control block) is
 * refused with MMF_ENOTSUP where placeholders are missing. The cookie is
 * the store's (win.h, struct mmf__win_view), with both views in it.
 */
#include <stdlib.h>
#include <string.h>

#include "win.h"
#include "../atomic.h"

#define NS_PER_MS 1000000ull
#define WAKE_MAX 1024         /* permits at once, and a semaphore's maximum */
#define WAKE_KEYS 8u          /* words waited on per channel (kinds use 1 or 2) */
#define PREFIX_CAP 64u        /* "Global\mmf#" + 32 hex + "#" */
#define QUERY_STATE 0x0001u
#define CLAIM_BUSY_MS 20u     /* how long a claimer waits for a held slot */
#define KEY_END 65536u        /* a waited word lies in the control block */

/* ---- Small helpers ------------------------------------------------------ */

/* Milliseconds from now to an mmf__os_now_ns() deadline, rounded up, for
 * the Wait* calls. */
static DWORD ms_until(uint64_t deadline)
{
    uint64_t now, ms;

    if (deadline == MMF__NO_DEADLINE)
        return INFINITE;
    now = mmf__os_now_ns();
    if (now >= deadline)
        return 0;
    ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
    return ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
}

static int past(uint64_t deadline)
{
    return deadline != MMF__NO_DEADLINE && mmf__os_now_ns() >= deadline;
}

void mmf__os_nap(uint64_t ns)
{
    uint64_t ms = (ns + NS_PER_MS - 1) / NS_PER_MS;
    Sleep(ms >= INFINITE ? INFINITE - 1 : (DWORD)ms);
}

size_t mmf__os_chan_granule(void)
{
    return mmf__os_granularity();
}

/* NtQueryMutant (ntdll), found at run time: MinGW-w64 declares neither it
 * nor its structure. */
struct mutant_basic {
    LONG current_count; /* 1 free; 0 held once; below 0 held recursively */
    BOOLEAN owned_by_caller;
    BOOLEAN abandoned;
};
typedef LONG(NTAPI *query_mutant_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);

/* Placeholder calls (kernelbase.dll, Windows 10 1803 and later). */
typedef PVOID(WINAPI *virtual_alloc2_fn)(HANDLE, PVOID, SIZE_T, ULONG, ULONG, PVOID,
                                         ULONG);
typedef PVOID(WINAPI *map_view3_fn)(HANDLE, HANDLE, PVOID, ULONG64, SIZE_T, ULONG, ULONG,
                                    PVOID, ULONG);

static INIT_ONCE procs_once = INIT_ONCE_STATIC_INIT;
static query_mutant_fn query_mutant;
static virtual_alloc2_fn virtual_alloc2;
static map_view3_fn map_view3;

static BOOL CALLBACK procs_load(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    HMODULE kb = GetModuleHandleW(L"kernelbase.dll");

    (void)once;
    (void)param;
    (void)ctx;
    /* memcpy: a FARPROC converts to another function pointer type only
     * through a cast the warnings refuse. */
    if (nt != NULL) {
        FARPROC p = GetProcAddress(nt, "NtQueryMutant");
        memcpy(&query_mutant, &p, sizeof p);
    }
    if (kb != NULL) {
        FARPROC a = GetProcAddress(kb, "VirtualAlloc2");
        FARPROC m = GetProcAddress(kb, "MapViewOfFile3");
        if (a != NULL && m != NULL) {
            memcpy(&virtual_alloc2, &a, sizeof a);
            memcpy(&map_view3, &m, sizeof m);
        }
    }
    return TRUE;
}

static void procs(void)
{
    InitOnceExecuteOnce(&procs_once, procs_load, NULL, NULL);
}

/* 1 if mutex h is held (by anyone: *by_caller says if by this thread),
 * 0 if free, -1 if the kernel cannot say. */
static int mutant_held(HANDLE h, int *by_caller)
{
    struct mutant_basic mb;
    ULONG got = 0;

    procs();
    if (query_mutant == NULL ||
        query_mutant(h, 0 /* MutantBasicInformation */, &mb, sizeof mb, &got) < 0)
        return -1;
    if (by_caller != NULL)
        *by_caller = mb.owned_by_caller != 0;
    return mb.current_count <= 0;
}

/* ---- Per-reference state ------------------------------------------------ */

struct mmf__win_chan {
    SRWLOCK lock;             /* guards the lazily opened handles */
    int bad;                  /* no usable id: no wake objects, no claims */
    WCHAR prefix[PREFIX_CAP]; /* "<ns>\mmf#<id hex>#" */
    size_t prefix_len;
    uint64_t *hint;           /* claim_hint in the header region, or NULL */
    unsigned nsems;
    uint32_t keys[WAKE_KEYS];
    HANDLE sems[WAKE_KEYS];
    HANDLE slots[MMF__CLAIM_SLOTS]; /* query handles of claim mutexes */
};

/* Make the names' prefix from the channel's id (the store's copy, taken
 * when the reference was made: a later scribble changes nothing here). */
static int chan_init(mmf__obj *o, struct mmf__win_chan *c)
{
    static const char hex[] = "0123456789abcdef";
    const char *ns = (o->hdr.flags & MMF__HF_GLOBAL) ? "Global\\mmf#" : "Local\\mmf#";
    struct mmf__win_chan_extra *x;
    uint8_t id[MMF__WIN_CHAN_ID_BYTES], any = 0;
    size_t n = 0;

    if (o->type != MMF__TYPE_CHANNEL || (x = mmf__win_chan_extra(o)) == NULL)
        return MMF_ENOTSUP;
    mmf__win_chan_id(o, id);
    for (unsigned i = 0; i < sizeof id; i++)
        any |= id[i];
    if (any == 0)
        return MMF_ECORRUPT; /* the creator writes it before the magic */
    c->hint = x->claim_hint;
    for (const char *p = ns; *p != '\0'; p++)
        c->prefix[n++] = (WCHAR)*p;
    for (unsigned i = 0; i < sizeof id; i++) {
        c->prefix[n++] = (WCHAR)hex[id[i] >> 4];
        c->prefix[n++] = (WCHAR)hex[id[i] & 15];
    }
    c->prefix[n++] = L'#';
    c->prefix[n] = 0;
    c->prefix_len = n;
    return 0;
}

/* chan.c's state of a channel reference, made at first use. */
static struct mmf__win_chan *chan_of(mmf__obj *o)
{
    struct mmf__win_chan *c = __atomic_load_n(&o->chan, __ATOMIC_ACQUIRE), *none = NULL;

    if (c != NULL)
        return c;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    InitializeSRWLock(&c->lock);
    if (chan_init(o, c) < 0)
        c->bad = 1;
    if (!__atomic_compare_exchange_n(&o->chan, &none, c, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        mmf__win_chan_free(c);
        c = none;
    }
    return c;
}

void mmf__win_chan_free(struct mmf__win_chan *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < c->nsems; i++)
        CloseHandle(c->sems[i]);
    for (unsigned i = 0; i < MMF__CLAIM_SLOTS; i++)
        if (c->slots[i] != NULL)
            CloseHandle(c->slots[i]);
    free(c);
}

/* The name of a derived object: the prefix, a letter, a number. */
static void derived_name(const struct mmf__win_chan *c, char what, uint32_t num, int in_hex,
                         WCHAR *out)
{
    char digits[12];
    size_t n = c->prefix_len, k = 0;

    memcpy(out, c->prefix, n * sizeof *out);
    out[n++] = (WCHAR)what;
    do {
        digits[k++] = "0123456789abcdef"[num % (in_hex ? 16u : 10u)];
        num /= in_hex ? 16u : 10u;
    } while (num != 0);
    while (k > 0)
        out[n++] = (WCHAR)digits[--k];
    out[n] = 0;
}

#define DERIVED_CAP (PREFIX_CAP + 16u)

/* The wake semaphore of the word at `key`, opened or made at first use;
 * NULL when there is none (the caller then naps). */
static HANDLE wake_sem(mmf__obj *o, uint32_t key)
{
    struct mmf__win_chan *c;
    WCHAR name[DERIVED_CAP];
    HANDLE h = NULL;

    if (o == NULL || key >= KEY_END || (c = chan_of(o)) == NULL || c->bad)
        return NULL;
    AcquireSRWLockShared(&c->lock);
    for (unsigned i = 0; i < c->nsems; i++)
        if (c->keys[i] == key)
            h = c->sems[i];
    ReleaseSRWLockShared(&c->lock);
    if (h != NULL)
        return h;
    AcquireSRWLockExclusive(&c->lock);
    for (unsigned i = 0; i < c->nsems && h == NULL; i++)
        if (c->keys[i] == key)
            h = c->sems[i];
    if (h == NULL && c->nsems < WAKE_KEYS) {
        derived_name(c, 'w', key, 1, name);
        /* Opens the semaphore when it exists; fails when the name is
         * another kind of object (someone's squatting: we nap instead). */
        h = CreateSemaphoreW(NULL, 0, WAKE_MAX, name);
        if (h != NULL) {
            c->keys[c->nsems] = key;
            c->sems[c->nsems++] = h;
        }
    }
    ReleaseSRWLockExclusive(&c->lock);
    return h;
}

/* ---- Waits and wakes ---------------------------------------------------- */

int mmf__os_wait_word(mmf__obj *o, uint32_t key, const uint32_t *word, uint32_t val,
                      uint64_t deadline)
{
    HANDLE s;
    DWORD ms;

    if (mmf__load_acquire(word) != val)
        return 0;
    s = wake_sem(o, key);
    ms = ms_until(deadline);
    if (s == NULL) {
        /* Nothing can wake us: a short nap, then the caller looks. */
        Sleep(ms < 1 ? ms : 1);
        return past(deadline) ? MMF_ETIMEDOUT : 0;
    }
    /* The word again, after the semaphore is open: a waker that changed
     * it before our look released no permit we could take. */
    if (mmf__load_acquire(word) != val)
        return 0;
    if (WaitForSingleObject(s, ms) == WAIT_TIMEOUT && past(deadline))
        return MMF_ETIMEDOUT;
    return 0;
}

void mmf__os_wake_word(mmf__obj *o, uint32_t key, const uint32_t *word, int n)
{
    HANDLE s;

    (void)word;
    if (n <= 0 || (s = wake_sem(o, key)) == NULL)
        return;
    /* Past the maximum the call fails and releases nothing; but then at
     * least WAKE_MAX - n permits are waiting to be taken already. */
    ReleaseSemaphore(s, n > WAKE_MAX ? WAKE_MAX : n, NULL);
}

/* ---- The keeper thread -------------------------------------------------- */

enum keeper_op { KEEP_TAKE = 1, KEEP_TAKE_ANY = 2, KEEP_GIVE = 3 };

struct keeper_req {
    enum keeper_op op;
    DWORD n;                               /* handles */
    HANDLE h[MAXIMUM_WAIT_OBJECTS];
    DWORD ms;                              /* KEEP_TAKE_ANY: how long */
    long got;                              /* index taken, -1 busy, -2 ours */
};

static SRWLOCK keeper_lock = SRWLOCK_INIT;
static HANDLE keeper_go, keeper_done, keeper_thread;
static struct keeper_req *keeper_req;

/* After the keeper took mutex h: 1 if the process holds it now, 0 if it
 * held it already (a second claim of the process: given back). */
static int keeper_took(HANDLE h)
{
    struct mutant_basic mb;
    ULONG got = 0;

    if (query_mutant != NULL &&
        query_mutant(h, 0, &mb, sizeof mb, &got) >= 0 && mb.current_count < 0) {
        ReleaseMutex(h); /* the recursion we just added */
        return 0;
    }
    return 1;
}

static DWORD WINAPI keeper_main(LPVOID arg)
{
    (void)arg;
    while (WaitForSingleObject(keeper_go, INFINITE) == WAIT_OBJECT_0) {
        struct keeper_req *r;
        DWORD w;

        r = keeper_req;
        r->got = -1;
        switch (r->op) {
        case KEEP_TAKE:
        case KEEP_TAKE_ANY:
            w = WaitForMultipleObjects(r->n, r->h, FALSE, r->op == KEEP_TAKE ? 0 : r->ms);
            if (w < WAIT_OBJECT_0 + r->n)
                r->got = (long)(w - WAIT_OBJECT_0);
            else if (w >= WAIT_ABANDONED_0 && w < WAIT_ABANDONED_0 + r->n)
                r->got = (long)(w - WAIT_ABANDONED_0); /* its holder died */
            if (r->got >= 0 && !keeper_took(r->h[r->got]))
                r->got = -2; /* ours already */
            break;
        case KEEP_GIVE:
            ReleaseMutex(r->h[0]);
            CloseHandle(r->h[0]);
            break;
        }
        SetEvent(keeper_done);
    }
    return 1;
}

/* Have the keeper thread do r; 0 or MMF_ENOMEM (no thread). */
static int keeper_call(struct keeper_req *r)
{
    int rc = 0;

    procs();
    AcquireSRWLockExclusive(&keeper_lock);
    if (keeper_thread == NULL) {
        if (keeper_go == NULL)
            keeper_go = CreateEventW(NULL, FALSE, FALSE, NULL);
        if (keeper_done == NULL)
            keeper_done = CreateEventW(NULL, FALSE, FALSE, NULL);
        if (keeper_go != NULL && keeper_done != NULL)
            keeper_thread = CreateThread(NULL, 64 * 1024, keeper_main, NULL,
                                         STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
        if (keeper_thread == NULL)
            rc = MMF_ENOMEM;
    }
    if (rc == 0) {
        HANDLE both[2] = {keeper_done, keeper_thread};

        keeper_req = r;
        SetEvent(keeper_go);
        /* A keeper that ended (somebody ended it; its claims went with
         * it) must not leave us waiting: a new one starts next time. */
        if (WaitForMultipleObjects(2, both, FALSE, INFINITE) != WAIT_OBJECT_0) {
            CloseHandle(keeper_thread);
            keeper_thread = NULL;
            ResetEvent(keeper_go);
            rc = MMF_ENOMEM;
        }
    }
    ReleaseSRWLockExclusive(&keeper_lock);
    return rc;
}

/* ---- Claims ------------------------------------------------------------- */

struct claim {
    HANDLE h;        /* the slot's mutex, the keeper's */
    uint64_t *hint;  /* the hint word of the slot, or NULL */
    uint64_t bit;
};

static void hint_set(uint64_t *hint, uint32_t slot)
{
    if (hint != NULL)
        __atomic_fetch_or(&hint[slot / 64], UINT64_C(1) << (slot % 64), __ATOMIC_SEQ_CST);
}

static int hint_has(const uint64_t *hint, uint32_t slot)
{
    return hint == NULL ||
           ((__atomic_load_n(&hint[slot / 64], __ATOMIC_SEQ_CST) >> (slot % 64)) & 1u);
}

static int claim_made(struct mmf__win_chan *c, HANDLE h, uint32_t s, uint32_t *slot,
                      intptr_t *claim)
{
    struct claim *k = malloc(sizeof *k);
    struct keeper_req r;

    if (k == NULL) {
        r.op = KEEP_GIVE;
        r.n = 1;
        r.h[0] = h;
        keeper_call(&r);
        return MMF_ENOMEM;
    }
    hint_set(c->hint, s); /* after taking it too: see CLAIMS */
    k->h = h;
    k->hint = c->hint != NULL ? &c->hint[s / 64] : NULL;
    k->bit = UINT64_C(1) << (s % 64);
    *slot = s;
    *claim = (intptr_t)k;
    return 0;
}

int mmf__os_claim(mmf__obj *o, uint32_t first, uint32_t count, uint32_t *slot,
                  intptr_t *claim)
{
    struct mmf__win_chan *c = chan_of(o);
    struct keeper_req r;
    uint32_t busy[MAXIMUM_WAIT_OBJECTS];
    HANDLE held[MAXIMUM_WAIT_OBJECTS];
    DWORD nbusy = 0;
    WCHAR name[DERIVED_CAP];
    int rc = MMF_EBUSY;

    *claim = -1;
    if (c == NULL)
        return MMF_ENOMEM;
    if (c->bad)
        return MMF_ECORRUPT;
    if (first >= MMF__CLAIM_SLOTS || count > MMF__CLAIM_SLOTS - first)
        return MMF_EINVAL;
    for (uint32_t s = first; s < first + count; s++) {
        HANDLE h;

        derived_name(c, 'c', s, 0, name);
        h = CreateMutexW(NULL, FALSE, name);
        if (h == NULL) {
            rc = mmf__win_err(GetLastError());
            break;
        }
        hint_set(c->hint, s);
        r.op = KEEP_TAKE;
        r.n = 1;
        r.h[0] = h;
        if ((rc = keeper_call(&r)) < 0) {
            CloseHandle(h);
            break;
        }
        if (r.got == 0) {
            rc = claim_made(c, h, s, slot, claim);
            break;
        }
        rc = MMF_EBUSY;
        /* Held: by this process, by a live peer, or for an instant by a
         * sleeper that learned of a holder's end (PEER DEATH): look again
         * at the others' below. */
        if (r.got == -1 && nbusy < MAXIMUM_WAIT_OBJECTS) {
            busy[nbusy] = s;
            held[nbusy++] = h;
        } else {
            CloseHandle(h);
        }
    }
    if (rc == MMF_EBUSY && nbusy > 0) {
        r.op = KEEP_TAKE_ANY;
        r.n = nbusy;
        memcpy(r.h, held, nbusy * sizeof *held);
        r.ms = CLAIM_BUSY_MS;
        if (keeper_call(&r) == 0 && r.got >= 0) {
            HANDLE h = held[r.got];
            held[r.got] = NULL;
            rc = claim_made(c, h, busy[r.got], slot, claim);
        }
    }
    for (DWORD i = 0; i < nbusy; i++)
        if (held[i] != NULL)
            CloseHandle(held[i]);
    return rc;
}

void mmf__os_unclaim(intptr_t claim)
{
    struct claim *k = (struct claim *)claim;
    struct keeper_req r;

    if (claim <= 0)
        return;
    /* The bit first: a claimer that takes the slot after we let it go
     * sets it again after taking. */
    if (k->hint != NULL)
        __atomic_fetch_and(k->hint, ~k->bit, __ATOMIC_SEQ_CST);
    r.op = KEEP_GIVE;
    r.n = 1;
    r.h[0] = k->h;
    if (keeper_call(&r) < 0)
        CloseHandle(k->h); /* no keeper: it cannot hold anything */
    free(k);
}

/* The cached query handle of slot s's mutex, or NULL if the mutex does not
 * exist (nobody holds it) or cannot be opened (*err). */
static HANDLE slot_handle(struct mmf__win_chan *c, uint32_t s, int *err)
{
    WCHAR name[DERIVED_CAP];
    HANDLE h;

    *err = 0;
    AcquireSRWLockShared(&c->lock);
    h = c->slots[s];
    ReleaseSRWLockShared(&c->lock);
    if (h != NULL)
        return h;
    derived_name(c, 'c', s, 0, name);
    h = OpenMutexW(SYNCHRONIZE | QUERY_STATE, FALSE, name);
    if (h == NULL) {
        DWORD e = GetLastError();
        if (e != ERROR_FILE_NOT_FOUND)
            *err = mmf__win_err(e);
        return NULL;
    }
    AcquireSRWLockExclusive(&c->lock);
    if (c->slots[s] == NULL) {
        c->slots[s] = h;
    } else {
        CloseHandle(h);
        h = c->slots[s];
    }
    ReleaseSRWLockExclusive(&c->lock);
    return h;
}

int mmf__os_claimed(mmf__obj *o, uint32_t first, uint32_t count)
{
    struct mmf__win_chan *c = chan_of(o);
    int err = 0;

    if (c == NULL)
        return MMF_ENOMEM;
    if (c->bad)
        return MMF_ENOTSUP;
    if (first >= MMF__CLAIM_SLOTS || count > MMF__CLAIM_SLOTS - first)
        return MMF_EINVAL;
    for (uint32_t s = first; s < first + count; s++) {
        HANDLE h;
        int held, e;

        if (!hint_has(c->hint, s))
            continue;
        if ((h = slot_handle(c, s, &e)) == NULL) {
            if (e < 0)
                err = e;
            continue;
        }
        held = mutant_held(h, NULL);
        if (held == 1)
            return 1;
        if (held < 0)
            err = MMF_ENOTSUP;
    }
    return err < 0 ? err : 0;
}

/* ---- Peer liveness ------------------------------------------------------ */

/* The claim mutexes are the liveness: nothing to arm. live is 0 for a
 * channel whose derived objects can be used, else -1. */
int mmf__os_live_open(mmf__obj *o, uint32_t slot, intptr_t *live)
{
    struct mmf__win_chan *c = chan_of(o);

    (void)slot;
    if (c == NULL || c->bad) {
        *live = -1;
        return MMF_ENOTSUP;
    }
    *live = 0;
    return 0;
}

void mmf__os_live_arm(intptr_t live)
{
    (void)live;
}

void mmf__os_live_close(intptr_t live)
{
    (void)live;
}

int mmf__os_wait_peers(mmf__obj *o, intptr_t live, uint32_t key, const uint32_t *word,
                       uint32_t val, uint32_t first, uint32_t count, int attached,
                       uint64_t until)
{
    struct mmf__win_chan *c;
    HANDLE h[MAXIMUM_WAIT_OBJECTS];
    DWORD n = 0, w;

    if (live < 0 || (c = chan_of(o)) == NULL || c->bad || first >= MMF__CLAIM_SLOTS ||
        count > MMF__CLAIM_SLOTS - first || (h[n++] = wake_sem(o, key)) == NULL)
        return MMF_ENOTSUP;
    if (mmf__load_acquire(word) != val)
        return 0;
    for (uint32_t s = first; s < first + count; s++) {
        int held, e, mine = 0;
        HANDLE m;

        if (!hint_has(c->hint, s))
            continue;
        if ((m = slot_handle(c, s, &e)) == NULL) {
            if (e < 0)
                return MMF_ENOTSUP; /* cannot look at a holder */
            continue;
        }
        if ((held = mutant_held(m, &mine)) < 0 || mine)
            return MMF_ENOTSUP;
        if (held == 0)
            continue;
        if (n == MAXIMUM_WAIT_OBJECTS)
            return MMF_ENOTSUP;
        h[n++] = m;
    }
    if (attached && n == 1)
        return 1; /* they all left since the caller last asked */
    if (mmf__load_acquire(word) != val)
        return 0;
    w = WaitForMultipleObjects(n, h, FALSE, ms_until(until));
    if (w == WAIT_OBJECT_0)
        return 0;
    if ((w > WAIT_OBJECT_0 && w < WAIT_OBJECT_0 + n) ||
        (w > WAIT_ABANDONED_0 && w < WAIT_ABANDONED_0 + n)) {
        /* A holder let go or died, and the mutex is ours now: give it
         * back at once, it is a claim slot. */
        ReleaseMutex(h[w >= WAIT_ABANDONED_0 ? w - WAIT_ABANDONED_0 : w - WAIT_OBJECT_0]);
        return 1;
    }
    if (w == WAIT_TIMEOUT)
        return past(until) ? MMF_ETIMEDOUT : 0;
    return 0; /* WAIT_FAILED: the caller looks again */
}

/* ---- Double mappings ---------------------------------------------------- */

static int twice_placeholder(HANDLE h, uint64_t off, size_t len, uint8_t **out)
{
    HANDLE self = GetCurrentProcess();
    uint8_t *base;
    PVOID a, b;

    procs();
    if (virtual_alloc2 == NULL || map_view3 == NULL)
        return MMF_ENOTSUP;
    base = virtual_alloc2(NULL, NULL, 2 * len, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
                          PAGE_NOACCESS, NULL, 0);
    if (base == NULL)
        return MMF_ENOTSUP; /* Wine 8: ERROR_INVALID_PARAMETER */
    if (!VirtualFree(base, len, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)) {
        VirtualFree(base, 0, MEM_RELEASE);
        return MMF_ENOTSUP;
    }
    a = map_view3(h, self, base, off, len, MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE, NULL, 0);
    if (a == NULL) {
        DWORD e = GetLastError();
        VirtualFree(base, 0, MEM_RELEASE);
        VirtualFree(base + len, 0, MEM_RELEASE);
        return mmf__win_err(e);
    }
    b = map_view3(h, self, base + len, off, len, MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE,
                  NULL, 0);
    if (b == NULL) {
        DWORD e = GetLastError();
        UnmapViewOfFile(a);
        VirtualFree(base + len, 0, MEM_RELEASE);
        return mmf__win_err(e);
    }
    *out = base;
    return 0;
}

/* Tries at a fresh address range when another thread took the one we
 * found free. */
#define TWICE_TRIES 16

static int twice_views(HANDLE h, uint64_t off, size_t len, uint8_t **out)
{
    DWORD hi = (DWORD)(off >> 32), lo = (DWORD)off;

    for (int t = 0; t < TWICE_TRIES; t++) {
        uint8_t *p = VirtualAlloc(NULL, 2 * len, MEM_RESERVE, PAGE_NOACCESS);
        void *a, *b;

        if (p == NULL)
            return MMF_ENOMEM;
        VirtualFree(p, 0, MEM_RELEASE);
        a = MapViewOfFileEx(h, FILE_MAP_READ | FILE_MAP_WRITE, hi, lo, len, p);
        if (a == NULL) {
            DWORD e = GetLastError();
            if (e == ERROR_INVALID_ADDRESS)
                continue;
            return mmf__win_err(e);
        }
        b = MapViewOfFileEx(h, FILE_MAP_READ | FILE_MAP_WRITE, hi, lo, len, p + len);
        if (b == NULL) {
            DWORD e = GetLastError();
            UnmapViewOfFile(a);
            if (e == ERROR_INVALID_ADDRESS)
                continue;
            return mmf__win_err(e);
        }
        *out = p;
        return 0;
    }
    return MMF_ENOMEM;
}

int mmf__os_map_twice(mmf__obj *o, uint64_t offset, size_t len, void **addr,
                      intptr_t *cookie)
{
    uint64_t gran = mmf__os_granularity(), off = offset;
    HANDLE h = o->h, tmp = NULL;
    uint8_t *base = NULL;
    int rc;

    *addr = NULL;
    *cookie = -1;
    if (len == 0 || len > SIZE_MAX / 2 || o->type != MMF__TYPE_CHANNEL)
        return MMF_EINVAL;
    /* A channel in memory has its data after the header region in o->h; a
     * persistent ring's is its file, mapped through a section of its own
     * (the views keep it alive). */
    if (o->file == NULL) {
        off += MMF__WIN_CHAN_HDR;
    } else {
        tmp = CreateFileMappingW(o->file, NULL, PAGE_READWRITE, 0, 0, NULL);
        if (tmp == NULL)
            return mmf__win_err(GetLastError());
        h = tmp;
    }
    rc = twice_placeholder(h, off, len, &base);
    /* Without placeholders two views back to back need both to start at
     * the granularity: every channel made here does; a ring file made on
     * Linux (a 4 KiB control block) does not, and is refused. */
    if (rc == MMF_ENOTSUP && off % gran == 0 && len % gran == 0)
        rc = twice_views(h, off, len, &base);
    if (rc == 0 && (rc = mmf__win_cookie_new(base, base + len, o->file, cookie)) < 0) {
        UnmapViewOfFile(base);
        UnmapViewOfFile(base + len);
    }
    if (tmp != NULL)
        CloseHandle(tmp);
    if (rc < 0)
        return rc;
    *addr = base;
    return 0;
}
