/* SPDX-License-Identifier: MIT */
/*
 * ring.c - the SPSC message ring (mmf.h, "SPSC ring"), on the common
 * channel layer (channel.h). The layout and record format are in ring.h.
 *
 * HOT PATH
 *
 * Each side keeps a private copy of the other side's position (`peer`) and
 * reads the shared one only when its copy says "full" (producer) or
 * "empty" (consumer), so in steady state a side touches the other side's
 * cache line once per lap of the other side, not once per message. A
 * commit or a release is one release-store of the position plus one of the
 * side's futex word, then mmf__chan_wake(): a fence and a load of the
 * sleepers counter, with a system call only if the other side sleeps.
 * Batches publish once.
 *
 * UNTRUSTED MEMORY
 *
 * Every position read from shared memory is checked against what this side
 * knows for sure: the consumer's position is aligned and lies between the
 * last one read and what this producer published; the producer's is
 * aligned and lies between the last one read and what this consumer
 * released plus the capacity. Every record header is read once (so a
 * hostile writer cannot change it between check and use) and must have a
 * length of 1 to max_msg that fits below the producer's position, and, in
 * an in-memory ring, its own position as check. Anything else is
 * MMF_ECORRUPT, and nothing outside the double mapping is ever addressed.
 * Loops are bounded by positions this side validated, so none runs
 * forever.
 *
 * PERSISTENT RINGS
 *
 * The area and the control block are a file (opts->path). The producer's
 * flush writes the records not yet flushed, then the control block; a
 * checksum covers each record, seeded with its position. When a persistent
 * ring's named object is made again after every process died (or after a
 * reboot), the first endpoint to attach checks every record between the
 * consumer's and the producer's positions, under a lock (a claim slot),
 * before any endpoint's first call, and cuts the producer's position back
 * to the first record that fails: a record whose data never reached the
 * file is never delivered, and one from an earlier lap cannot pass for a
 * new one. After a kill of every process (the page cache survives) every
 * record passes, so every committed message is delivered exactly once.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define RING_MAGIC 0x474e4952u /* "RING" */
#define RING_DEAD 0xdead1219u

/* 1 for a live ring handle; 0 for NULL or a closed one. */
static int ring_ok(const mmf_ring *r)
{
    return r != NULL && r->magic == RING_MAGIC;
}

static int timeout_ok(long long timeout_ms)
{
    return timeout_ms == MMF_INFINITE ||
           (timeout_ms >= 0 && timeout_ms <= MMF_TIMEOUT_MAX);
}

/* Bytes a record of `len` payload bytes occupies. */
static inline uint64_t rec_size(uint64_t len)
{
    return MMF__RING_REC_HDR + ((len + MMF__RING_ALIGN - 1) & ~(uint64_t)(MMF__RING_ALIGN - 1));
}

static inline struct mmf__ring_rec *rec_at(const mmf_ring *r, uint64_t pos)
{
    return (struct mmf__ring_rec *)(void *)(r->area + (pos & r->mask));
}

/* ------------------------------------------------------------------------ */
/* Record checksum                                                           */
/* ------------------------------------------------------------------------ */

/*
 * A 64-bit hash in the style of xxHash64 (four independent lanes of
 * multiply-rotate, then an avalanche), seeded with the record's position.
 * It is not a cryptographic hash: it tells a record that was written whole
 * from one that was torn by a crash or left from an earlier lap.
 */
#define H1 UINT64_C(0x9E3779B185EBCA87)
#define H2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define H3 UINT64_C(0x165667B19E3779F9)
#define H4 UINT64_C(0x85EBCA77C2B2AE63)
#define H5 UINT64_C(0x27D4EB2F165667C5)

static inline uint64_t rotl64(uint64_t x, int n)
{
    return (x << n) | (x >> (64 - n));
}

static inline uint64_t read64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t hround(uint64_t acc, uint64_t in)
{
    return rotl64(acc + in * H2, 31) * H1;
}

static inline uint64_t hmerge(uint64_t h, uint64_t v)
{
    return (h ^ hround(0, v)) * H1 + H4;
}

static uint64_t ring_hash(uint64_t pos, const void *data, uint64_t len)
{
    const uint8_t *p = data, *end = p + len;
    uint64_t h;

    if (len >= 32) {
        uint64_t v1 = pos + H1 + H2, v2 = pos + H2, v3 = pos, v4 = pos - H1;
        do {
            v1 = hround(v1, read64(p));
            v2 = hround(v2, read64(p + 8));
            v3 = hround(v3, read64(p + 16));
            v4 = hround(v4, read64(p + 24));
            p += 32;
        } while (end - p >= 32);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = hmerge(hmerge(hmerge(hmerge(h, v1), v2), v3), v4);
    } else {
        h = pos + H5;
    }
    h += len;
    for (; end - p >= 8; p += 8)
        h = rotl64(h ^ hround(0, read64(p)), 27) * H1 + H4;
    for (; p < end; p++)
        h = rotl64(h ^ (*p * H5), 11) * H1;
    h ^= h >> 33;
    h *= H2;
    h ^= h >> 29;
    h *= H3;
    h ^= h >> 32;
    return h;
}

/* ------------------------------------------------------------------------ */
/* Shared positions                                                          */
/* ------------------------------------------------------------------------ */

/* Producer: read the consumer's position. It never passes what was
 * published and never goes back. */
static int load_cons(mmf_ring *r)
{
    uint64_t c = mmf__load_acquire(&r->ctl->cons_pos);
    if ((c & (MMF__RING_ALIGN - 1)) != 0 || c - r->peer > r->pub - r->peer)
        return MMF_ECORRUPT;
    r->peer = c;
    return 0;
}

/* Consumer: read the producer's position. It never goes back and never
 * runs more than the capacity ahead of what was released. */
static int load_prod(mmf_ring *r)
{
    uint64_t p = mmf__load_acquire(&r->ctl->prod_pos);
    if ((p & (MMF__RING_ALIGN - 1)) != 0 || p - r->peer > r->pub + r->cap - r->peer)
        return MMF_ECORRUPT;
    r->peer = p;
    return 0;
}

/* Free bytes from the producer's head, as far as it knows. */
static inline uint64_t room(const mmf_ring *r)
{
    return r->cap - (r->head - r->peer);
}

/*
 * Before waiting again after a wake-up that did not let the call go on.
 * mmf__chan_wait() returns at once when the word changed, without looking
 * at the deadline, so it is looked at here: a process that changes the
 * word all the time cannot keep a call past its timeout. A wake-up that
 * brought no progress at all (the word changed, the position did not) is
 * what the other side does when it closes, so the kernel is asked about
 * the peer now rather than within the millisecond; and after many in a
 * row (a hostile process) the wait naps instead of spinning.
 * Returns 0 to wait again, or MMF_EAGAIN / MMF_ETIMEDOUT.
 */
static int rewait(mmf_ring *r, uint64_t deadline, int progress, unsigned *idle)
{
    uint64_t now;

    if (deadline == 0)
        return MMF_EAGAIN;
    now = mmf__os_now_ns();
    if (now >= deadline)
        return MMF_ETIMEDOUT;
    if (progress) {
        *idle = 0;
        return 0;
    }
    r->c.peer_seen_ns = 0;
    if (++*idle >= 64) {
        uint32_t word = 0;
        uint64_t until = deadline - now > 1000000u ? now + 1000000u : deadline;
        mmf__os_wait_word(&word, 0, until); /* a private word: a nap */
    }
    return 0;
}

/* Producer: wait until `need` bytes are free at the head. */
static int wait_room(mmf_ring *r, uint64_t need, long long timeout_ms)
{
    struct mmf__ring_ctl *k = r->ctl;
    uint64_t deadline;
    int rc;

    if ((rc = load_cons(r)) < 0)
        return rc;
    if (need <= room(r))
        return 0;
    if ((rc = mmf__chan_deadline(timeout_ms, &deadline)) < 0)
        return rc;
    for (unsigned woke = 0, idle = 0;; woke = 1) {
        /* The word first: a release after this read changes it, so the
         * wait below cannot miss it. */
        uint32_t seen = mmf__load_acquire(&k->cons_word);
        uint64_t before = r->peer;
        if ((rc = load_cons(r)) < 0)
            return rc;
        if (need <= room(r))
            return 0;
        if (woke && (rc = rewait(r, deadline, r->peer != before, &idle)) < 0)
            return rc;
        rc = mmf__chan_wait(&r->c, &k->cons_word, seen, &k->prod_sleepers, deadline);
        if (rc == MMF_EPIPE) {
            /* The consumer may have released just before it left. */
            if ((rc = load_cons(r)) < 0)
                return rc;
            return need <= room(r) ? 0 : MMF_EPIPE;
        }
        if (rc < 0)
            return rc;
    }
}

/* Consumer: wait until a record is published past the head. */
static int wait_data(mmf_ring *r, long long timeout_ms)
{
    struct mmf__ring_ctl *k = r->ctl;
    uint64_t deadline;
    int rc;

    if ((rc = load_prod(r)) < 0)
        return rc;
    if (r->peer != r->head)
        return 0;
    if ((rc = mmf__chan_deadline(timeout_ms, &deadline)) < 0)
        return rc;
    for (unsigned woke = 0, idle = 0;; woke = 1) {
        uint32_t seen = mmf__load_acquire(&k->prod_word);
        if ((rc = load_prod(r)) < 0)
            return rc;
        if (r->peer != r->head)
            return 0;
        if (woke && (rc = rewait(r, deadline, 0, &idle)) < 0)
            return rc;
        rc = mmf__chan_wait(&r->c, &k->prod_word, seen, &k->cons_sleepers, deadline);
        if (rc == MMF_EPIPE) {
            /* Deliver what the producer published before it left. */
            if ((rc = load_prod(r)) < 0)
                return rc;
            return r->peer != r->head ? 0 : MMF_EPIPE;
        }
        if (rc < 0)
            return rc;
    }
}

/* Producer: publish everything up to pos. */
static inline void publish(mmf_ring *r, uint64_t pos)
{
    struct mmf__ring_ctl *k = r->ctl;
    r->pub = pos;
    mmf__store_release(&k->prod_pos, pos);
    mmf__store_release(&k->prod_word, ++r->word);
    mmf__chan_wake(&k->prod_word, &k->cons_sleepers);
}

/* Consumer: give back everything up to pos. */
static inline void give_back(mmf_ring *r, uint64_t pos)
{
    struct mmf__ring_ctl *k = r->ctl;
    r->pub = pos;
    mmf__store_release(&k->cons_pos, pos);
    mmf__store_release(&k->cons_word, ++r->word);
    mmf__chan_wake(&k->cons_word, &k->prod_sleepers);
}

/*
 * The length of the record at pos, which must end at or before `limit`:
 * read once, checked, or 0 if it is not a valid record. The check field
 * is compared too when `check` is set.
 */
static inline uint64_t rec_len(const mmf_ring *r, uint64_t pos, uint64_t limit,
                               int check)
{
    const struct mmf__ring_rec *rec = rec_at(r, pos);
    uint64_t len = mmf__load_relaxed(&rec->len);

    if (len - 1 >= r->max_msg || rec_size(len) > limit - pos)
        return 0;
    if (check && mmf__load_relaxed(&rec->check) != pos)
        return 0;
    return len;
}

/* Consumer: take the record at the head, below peer. */
static inline int take(mmf_ring *r, mmf_msg *m)
{
    uint64_t pos = r->head;
    uint64_t len = rec_len(r, pos, r->peer, !r->persistent);

    if (len == 0)
        return MMF_ECORRUPT;
    m->data = rec_at(r, pos) + 1;
    m->len = (size_t)len;
    r->head = pos + rec_size(len);
    r->pending++;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Attach and detach                                                         */
/* ------------------------------------------------------------------------ */

static int ring_desc_valid(const struct mmf__chan_desc *d)
{
    uint64_t cap = d->area_size;
    if (d->kind != MMF__CHAN_RING || d->slots != 0 || d->slot_size != 0 ||
        cap < MMF__RING_MIN_CAP || cap > MMF__RING_MAX_CAP || (cap & (cap - 1)) != 0)
        return MMF_ECORRUPT;
    return 0;
}

/* Inspection (channel.h). */
static int ring_describe(const struct mmf__chan_desc *d, const void *own,
                         mmf_channel_info *info)
{
    const struct mmf__ring_ctl *rc = own;
    uint64_t prod = rc->prod_pos, cons = rc->cons_pos;

    info->capacity = d->area_size;
    info->max_message = d->area_size - MMF__RING_REC_HDR;
    if (prod - cons > d->area_size || prod % MMF__RING_ALIGN || cons % MMF__RING_ALIGN)
        return MMF_ECORRUPT;
    info->produced = prod;
    info->consumed = cons;
    info->fill = prod - cons;
    return 0;
}

const struct mmf__chan_kind_info mmf__ring_kind = {
    MMF__CHAN_RING, 1, 1, 1, ring_desc_valid, ring_describe
};

/* Sleep about a millisecond (there is nothing to wake us: the word is
 * private). */
static void nap(void)
{
    uint32_t word = 0;
    mmf__os_wait_word(&word, 0, mmf__os_now_ns() + 1000000u);
}

/* Check a persistent ring's records from the consumer's position to the
 * producer's, and cut the producer's back to the first bad one. Runs
 * before any endpoint of this named object made a call (see recover). */
static int check_file(mmf_ring *r)
{
    struct mmf__ring_ctl *k = r->ctl;
    uint64_t c = mmf__load_relaxed(&k->cons_pos);
    uint64_t p = mmf__load_relaxed(&k->prod_pos);
    uint64_t pos = c;

    if (((c | p) & (MMF__RING_ALIGN - 1)) != 0 || p - c > r->cap)
        return MMF_ECORRUPT;
    while (pos != p) {
        uint64_t len = rec_len(r, pos, p, 0);
        const struct mmf__ring_rec *rec = rec_at(r, pos);
        if (len == 0 || mmf__load_relaxed(&rec->check) != ring_hash(pos, rec + 1, len))
            break;
        pos += rec_size(len);
    }
    if (pos != p)
        mmf__store_release(&k->prod_pos, pos);
    /* Sleepers of an earlier run are all dead. */
    mmf__store_relaxed(&k->cons_sleepers, 0);
    mmf__store_relaxed(&k->prod_sleepers, 0);
    return 0;
}

/*
 * A persistent ring's file is checked once per named object, by the first
 * endpoint to get here, while every other endpoint that attached waits at
 * the lock: so nobody reads or writes records before they were checked.
 * The lock is a claim, which the kernel drops if its holder dies; the
 * holder only checks records, so the wait is short.
 */
#define RECOVER_WAIT_NS (UINT64_C(2) * 1000000000u)

static int recover(mmf_ring *r)
{
    uint32_t *checked = &r->c.live->kind_word[MMF__RING_LIVE_CHECKED];
    intptr_t lock;
    uint32_t slot;
    int rc;

    if (mmf__load_acquire(checked) != 0)
        return 0;
    /* An honest holder checks records for a moment; one that keeps the
     * lock for seconds is stopped or hostile (only a process that may
     * write the ring can take it): give up rather than hang. */
    for (uint64_t until = mmf__os_now_ns() + RECOVER_WAIT_NS;;) {
        rc = mmf__os_claim(r->c.obj, MMF__RING_LOCK_SLOT, 1, &slot, &lock);
        if (rc != MMF_EBUSY || mmf__os_now_ns() >= until)
            break;
        nap();
    }
    if (rc < 0)
        return rc;
    rc = 0;
    if (mmf__load_acquire(checked) == 0 && (rc = check_file(r)) == 0)
        mmf__store_release(checked, 1);
    mmf__os_unclaim(lock);
    return rc;
}

/* Read and check the positions where this endpoint starts. */
static int start(mmf_ring *r)
{
    struct mmf__ring_ctl *k = r->ctl;
    uint64_t p, c;

    /* Our own side's position first: it cannot change under us (we hold
     * the role), while the other side's only moves in the safe direction. */
    if (r->role == MMF_ROLE_PRODUCER) {
        p = mmf__load_acquire(&k->prod_pos);
        c = mmf__load_acquire(&k->cons_pos);
    } else {
        c = mmf__load_acquire(&k->cons_pos);
        p = mmf__load_acquire(&k->prod_pos);
    }
    if (((c | p) & (MMF__RING_ALIGN - 1)) != 0 || p - c > r->cap)
        return MMF_ECORRUPT;
    if (r->role == MMF_ROLE_PRODUCER) {
        r->head = r->pub = p;
        r->peer = c;
        r->flushed = c; /* the dead producer may not have flushed */
        r->word = mmf__load_relaxed(&k->prod_word);
        mmf__store_relaxed(&k->prod_sleepers, 0);
    } else {
        r->head = r->pub = c;
        r->peer = p;
        r->word = mmf__load_relaxed(&k->cons_word);
        mmf__store_relaxed(&k->cons_sleepers, 0);
    }
    return 0;
}

static int attach(mmf_ring **out, const char *name, const struct mmf__chan_desc *want,
                  int role, int disposition, const mmf_channel_opts *opts)
{
    mmf_ring *r;
    int how, rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if ((r = calloc(1, sizeof *r)) == NULL)
        return MMF_ENOMEM;
    how = mmf__chan_attach(&r->c, &mmf__ring_kind, name, want, role, disposition, opts);
    if (how < 0) {
        free(r);
        return how;
    }
    r->role = role;
    r->persistent = r->c.persistent;
    r->ctl = (struct mmf__ring_ctl *)mmf__chan_own(&r->c);
    r->area = r->c.area;
    r->cap = r->c.desc.area_size;
    r->mask = r->cap - 1;
    r->max_msg = r->cap - MMF__RING_REC_HDR;
    if ((r->persistent && (rc = recover(r)) < 0) || (rc = start(r)) < 0) {
        mmf__chan_detach(&r->c);
        free(r);
        return rc;
    }
    r->magic = RING_MAGIC;
    *out = r;
    return how;
}

int mmf_ring_create(mmf_ring **out, const char *name, uint64_t capacity, int role,
                    int disposition, const mmf_channel_opts *opts)
{
    struct mmf__chan_desc want;
    uint64_t page = mmf__os_page_size();

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (capacity < MMF__RING_MIN_CAP || capacity > MMF__RING_MAX_CAP ||
        (capacity & (capacity - 1)) != 0)
        return MMF_EINVAL;
    /* The area is mapped twice back to back, so it is whole pages. */
    if (capacity < page)
        capacity = page;
    memset(&want, 0, sizeof want);
    want.kind = MMF__CHAN_RING;
    want.version = MMF__CHAN_VERSION;
    want.ctl_size = MMF__CHAN_CTL_SIZE;
    want.area_size = capacity;
    return attach(out, name, &want, role, disposition, opts);
}

int mmf_ring_open(mmf_ring **out, const char *name, int role, const mmf_channel_opts *opts)
{
    mmf_channel_opts o;

    if (opts != NULL) {
        o = *opts;
        o.path = NULL;
        opts = &o;
    }
    return attach(out, name, NULL, role, 0, opts);
}

int mmf_ring_close(mmf_ring *r)
{
    struct mmf__ring_ctl *k;

    if (!ring_ok(r))
        return MMF_EBADF;
    k = r->ctl;
    r->magic = RING_DEAD;
    /* Leave first, then change the word the peer may sleep on, so that a
     * sleeping peer looks again at once and finds this side gone. */
    if (r->c.claim >= 0) {
        mmf__os_unclaim(r->c.claim);
        r->c.claim = -1;
    }
    if (r->role == MMF_ROLE_PRODUCER) {
        mmf__store_release(&k->prod_word, ++r->word);
        mmf__chan_wake(&k->prod_word, &k->cons_sleepers);
    } else {
        mmf__store_release(&k->cons_word, ++r->word);
        mmf__chan_wake(&k->cons_word, &k->prod_sleepers);
    }
    mmf__chan_detach(&r->c);
    free(r);
    return 0;
}

size_t mmf_ring_max_message(const mmf_ring *r)
{
    return ring_ok(r) ? (size_t)r->max_msg : 0;
}

/* ------------------------------------------------------------------------ */
/* Producer                                                                  */
/* ------------------------------------------------------------------------ */

int mmf_ring_reserve(mmf_ring *r, size_t len, void **ptr, long long timeout_ms)
{
    struct mmf__ring_rec *rec;
    uint64_t need;
    int rc;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (ptr == NULL)
        return MMF_EINVAL;
    if (r->role != MMF_ROLE_PRODUCER || r->pending != 0 || len == 0 ||
        len > r->max_msg || !timeout_ok(timeout_ms))
        return MMF_EINVAL;
    need = rec_size(len);
    if (need > room(r) && (rc = wait_room(r, need, timeout_ms)) < 0)
        return rc;
    rec = rec_at(r, r->head);
    mmf__store_relaxed(&rec->len, (uint64_t)len);
    mmf__store_relaxed(&rec->check, r->head);
    r->pending = 1;
    r->res_len = len;
    r->head += need;
    *ptr = rec + 1;
    return 0;
}

int mmf_ring_commit(mmf_ring *r, size_t len)
{
    struct mmf__ring_rec *rec;
    uint64_t pos;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (r->role != MMF_ROLE_PRODUCER || r->pending != 1 || len == 0 || len > r->res_len)
        return MMF_EINVAL;
    pos = r->pub;
    rec = rec_at(r, pos);
    if (len != r->res_len)
        mmf__store_relaxed(&rec->len, (uint64_t)len);
    if (r->persistent)
        mmf__store_relaxed(&rec->check, ring_hash(pos, rec + 1, len));
    r->pending = 0;
    r->head = pos + rec_size(len);
    publish(r, r->head);
    return 0;
}

int mmf_ring_reserve_batch(mmf_ring *r, mmf_msg *msgs, size_t n, long long timeout_ms)
{
    uint64_t pos, free_bytes;
    size_t i;
    int rc, refreshed = 0;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (msgs == NULL && n != 0)
        return MMF_EINVAL;
    if (r->role != MMF_ROLE_PRODUCER || r->pending != 0 || n == 0 ||
        !timeout_ok(timeout_ms))
        return MMF_EINVAL;
    for (i = 0; i < n; i++) {
        if (msgs[i].len == 0 || msgs[i].len > r->max_msg)
            return MMF_EINVAL;
    }
    if (rec_size(msgs[0].len) > room(r) &&
        (rc = wait_room(r, rec_size(msgs[0].len), timeout_ms)) < 0)
        return rc;
    pos = r->head;
    free_bytes = room(r);
    for (i = 0; i < n && i < INT_MAX; i++) {
        uint64_t need = rec_size(msgs[i].len);
        struct mmf__ring_rec *rec;

        if (need > free_bytes) {
            /* Look once more at what the consumer released meanwhile. */
            if (refreshed || load_cons(r) < 0)
                break;
            refreshed = 1;
            free_bytes = r->cap - (pos - r->peer);
            if (need > free_bytes)
                break;
        }
        rec = rec_at(r, pos);
        mmf__store_relaxed(&rec->len, (uint64_t)msgs[i].len);
        mmf__store_relaxed(&rec->check, pos);
        msgs[i].data = rec + 1;
        pos += need;
        free_bytes -= need;
    }
    r->pending = i;
    r->res_len = msgs[0].len;
    r->head = pos;
    return (int)i;
}

int mmf_ring_commit_batch(mmf_ring *r, size_t k)
{
    uint64_t pos;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (r->role != MMF_ROLE_PRODUCER || r->pending == 0 || k > r->pending)
        return MMF_EINVAL;
    if (k == r->pending && !r->persistent) {
        pos = r->head;
    } else {
        /* Find the end of the first k records (and seal each with its
         * checksum in a persistent ring). Their headers are in shared
         * memory, so they are checked again. */
        pos = r->pub;
        for (size_t i = 0; i < k; i++) {
            uint64_t len = rec_len(r, pos, r->head, !r->persistent);
            if (len == 0) {
                r->pending = 0;
                r->head = r->pub;
                return MMF_ECORRUPT;
            }
            if (r->persistent) {
                struct mmf__ring_rec *rec = rec_at(r, pos);
                mmf__store_relaxed(&rec->check, ring_hash(pos, rec + 1, len));
            }
            pos += rec_size(len);
        }
    }
    r->pending = 0;
    r->head = pos;
    if (k > 0)
        publish(r, pos);
    return 0;
}

int mmf_ring_send(mmf_ring *r, const void *data, size_t len, long long timeout_ms)
{
    void *p;
    int rc;

    if (data == NULL && len != 0)
        return MMF_EINVAL;
    if ((rc = mmf_ring_reserve(r, len, &p, timeout_ms)) < 0)
        return rc;
    memcpy(p, data, len);
    return mmf_ring_commit(r, len);
}

/* ------------------------------------------------------------------------ */
/* Consumer                                                                  */
/* ------------------------------------------------------------------------ */

int mmf_ring_peek(mmf_ring *r, mmf_msg *msg, long long timeout_ms)
{
    int rc;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (msg == NULL)
        return MMF_EINVAL;
    if (r->role != MMF_ROLE_CONSUMER || !timeout_ok(timeout_ms))
        return MMF_EINVAL;
    if (r->head == r->peer && (rc = wait_data(r, timeout_ms)) < 0)
        return rc;
    if ((rc = take(r, msg)) < 0)
        return rc;
    return mmf__chan_damaged(&r->c) ? MMF_ECORRUPT : 0;
}

int mmf_ring_peek_batch(mmf_ring *r, mmf_msg *msgs, size_t max, long long timeout_ms)
{
    size_t n = 0;
    int rc, refreshed = 0;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (msgs == NULL && max != 0)
        return MMF_EINVAL;
    if (r->role != MMF_ROLE_CONSUMER || max == 0 || !timeout_ok(timeout_ms))
        return MMF_EINVAL;
    if (r->head == r->peer && (rc = wait_data(r, timeout_ms)) < 0)
        return rc;
    while (n < max && n < INT_MAX) {
        if (r->head == r->peer) {
            /* Look once more at what the producer published meanwhile. */
            if (refreshed || load_prod(r) < 0 || r->head == r->peer)
                break;
            refreshed = 1;
        }
        if ((rc = take(r, &msgs[n])) < 0) {
            /* Hand out what was good; the next call reports the rest. */
            if (n == 0)
                return rc;
            break;
        }
        n++;
    }
    return mmf__chan_damaged(&r->c) ? MMF_ECORRUPT : (int)n;
}

int mmf_ring_release(mmf_ring *r, size_t n)
{
    uint64_t pos;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (r->role != MMF_ROLE_CONSUMER || n > r->pending)
        return MMF_EINVAL;
    if (n == 0)
        return 0;
    if (n == r->pending) {
        pos = r->head;
    } else {
        /* The end of the n oldest peeked records: their headers were
         * checked when peeked, but are in shared memory, so again. */
        pos = r->pub;
        for (size_t i = 0; i < n; i++) {
            uint64_t len = rec_len(r, pos, r->head, 0);
            if (len == 0)
                return MMF_ECORRUPT;
            pos += rec_size(len);
        }
    }
    r->pending -= n;
    give_back(r, pos);
    return 0;
}

int mmf_ring_recv(mmf_ring *r, void *buf, size_t cap, size_t *len, long long timeout_ms)
{
    mmf_msg m;
    int rc;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (len == NULL || (buf == NULL && cap != 0))
        return MMF_EINVAL;
    if (r->role != MMF_ROLE_CONSUMER || r->pending != 0 || !timeout_ok(timeout_ms))
        return MMF_EINVAL;
    if (r->head == r->peer && (rc = wait_data(r, timeout_ms)) < 0)
        return rc;
    if ((rc = take(r, &m)) < 0)
        return rc;
    *len = m.len;
    if (m.len > cap) {
        /* Leave it in the ring, not peeked. */
        r->head = r->pub;
        r->pending = 0;
        return MMF_EOVERFLOW;
    }
    memcpy(buf, m.data, m.len);
    r->pending = 0;
    give_back(r, r->head);
    return mmf__chan_damaged(&r->c) ? MMF_ECORRUPT : 0;
}

/* ------------------------------------------------------------------------ */
/* Durability                                                                */
/* ------------------------------------------------------------------------ */

int mmf_ring_flush(mmf_ring *r)
{
    int rc;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (!r->persistent)
        return 0;
    if (r->role == MMF_ROLE_CONSUMER)
        return mmf__chan_flush(&r->c, &r->ctl->cons_pos, sizeof r->ctl->cons_pos);
    /* Records first, then the position that publishes them: a crash in
     * between leaves records past the durable position, never a position
     * past durable records. (The system may write the control block back
     * on its own before the records; the checksums cover that.) */
    if (r->pub != r->flushed) {
        uint64_t from = r->flushed, n = r->pub - from;
        if (n > r->cap) {
            from = r->pub - r->cap;
            n = r->cap;
        }
        if ((rc = mmf__chan_flush(&r->c, r->area + (from & r->mask), (size_t)n)) < 0)
            return rc;
    }
    if ((rc = mmf__chan_flush(&r->c, &r->ctl->prod_pos, sizeof r->ctl->prod_pos)) < 0)
        return rc;
    r->flushed = r->pub;
    return 0;
}
