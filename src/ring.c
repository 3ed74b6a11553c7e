/* SPDX-License-Identifier: MIT */
/*
 * ring.c - the SPSC message ring (mmf.h, "SPSC ring"), on the common
 * channel layer (channel.h). The layout and record format are in ring.h.
 *
 * HOT PATH
 *
 * A record is published by its own header (ring.h, RECORDS): the producer
 * writes the payload, then a zero header where the next record will start
 * (the end mark), then the record's header word with release order. The
 * consumer polls the header at its position (acquire): 0 is "nothing yet",
 * anything else is a record, whose payload the release made visible. So
 * the consumer's fast path touches only the lines it reads the record
 * from, never the producer's position; the line the producer wrote last
 * is the one the consumer needs first. The end mark makes "0" trustworthy:
 * the word after the last record is never stale data of an earlier lap.
 * The producer keeps MMF__RING_END bytes of room for it, so it never
 * covers a record that was not released.
 *
 * After the header the producer stores its position (for a restart, a
 * flush and inspection: the consumer does not read it) and its futex
 * word, then mmf__chan_wake(): a fence and a load of the sleepers counter,
 * with a system call only if the consumer sleeps. The producer keeps a
 * private copy of the consumer's position (`peer`) and reads the shared
 * one only when its copy says "full", so in steady state it touches the
 * consumer's line once per lap of the consumer. A release is one
 * release-store of the consumer's position, one of its futex word, and
 * mmf__chan_wake(). Batches publish once: the headers of a batch's later
 * records are written at reserve, the first record's header last, at
 * commit.
 *
 * A consumer that finds 0 spins on that header for a while (until the
 * deadline with MMF_CHANNEL_BUSY_POLL), then waits on the producer's futex
 * word: it reads the word, looks at the header again, and sleeps only if
 * the word has not changed (mmf__chan_wait). A producer killed after
 * publishing a header but before storing its position leaves records past
 * prod_pos: a new producer steps over them (ring_scan) before it writes.
 * verify/ring.pml models this protocol, with either side killed at any
 * step.
 *
 * UNTRUSTED MEMORY
 *
 * Every position read from shared memory is checked against what this side
 * knows for sure: the consumer's position is aligned and lies between the
 * last one read and what this producer published. Every record header is
 * read once (so a hostile writer cannot change it between check and use)
 * and must have a length of 1 to max_msg whose record and end mark fit
 * below what this consumer released plus the capacity, and, in an
 * in-memory ring, its own position as check. Anything else is
 * MMF_ECORRUPT, and nothing outside the double mapping is ever addressed.
 * Loops are bounded by positions this side validated, so none runs
 * forever, and every wait has its deadline. A header zeroed after it was
 * published would keep a consumer waiting while the producer goes on: a
 * waiting consumer also looks at the producer's position, which never
 * covers a zero header honestly (header_lost).
 *
 * PERSISTENT RINGS
 *
 * The area and the control block are a file (opts->path). The producer's
 * flush writes the records not yet flushed and the end mark, then the
 * control block; a checksum covers each record, seeded with its position.
 * When a persistent ring's named object is made again after every process
 * died (or after a reboot), the first endpoint to attach checks the
 * records from the consumer's position on, under a lock (a claim slot),
 * before any endpoint's first call, up to the first record that fails or
 * a zero header - past the producer's stored position too, since a
 * producer killed between a header and its position leaves published
 * records there. It sets the producer's position to the end of the last
 * good record and zeroes the header there (a new end mark), so a record
 * whose data never reached the file is never delivered, and one from an
 * earlier lap cannot pass for a new one. After a kill of every process
 * (the page cache survives) every published record passes, so every
 * committed message is delivered exactly once.
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

/* The check of a record's header (ring.h, RECORDS). */
static inline uint32_t pos_tag(uint64_t pos)
{
    return (uint32_t)(pos >> 3);
}

static inline uint32_t rec_check(const mmf_ring *r, uint64_t pos, const void *data,
                                 uint64_t len)
{
    uint64_t h;

    if (!r->persistent)
        return pos_tag(pos);
    h = ring_hash(pos, data, len);
    return (uint32_t)(h ^ (h >> 32));
}

/*
 * The length in the header word w of the record at pos, which with its
 * end mark must end at or before `limit`: checked, or 0 if it is not a
 * valid record. The check field is compared with the position when
 * `check` is set.
 */
static inline uint64_t hdr_len(const mmf_ring *r, uint64_t w, uint64_t pos, uint64_t limit,
                               int check)
{
    uint64_t len = MMF__RING_HDR_LEN(w);

    if (len - 1 >= r->max_msg || rec_size(len) + MMF__RING_END > limit - pos)
        return 0;
    if (check && MMF__RING_HDR_CHECK(w) != pos_tag(pos))
        return 0;
    return len;
}

/* The header word of the record at pos, as the consumer reads it: after
 * it, the record's payload is visible. */
static inline uint64_t hdr_load(const mmf_ring *r, uint64_t pos)
{
    return mmf__load_acquire(&rec_at(r, pos)->word);
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

/* Free bytes from the producer's head, as far as it knows, less the room
 * kept for the end mark. */
static inline uint64_t room(const mmf_ring *r)
{
    return r->cap - MMF__RING_END - (r->head - r->peer);
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
    if (++*idle >= 64)
        mmf__os_nap(deadline - now > 1000000u ? 1000000u : deadline - now);
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

/* Spin this long on the header before waiting on the futex word (which
 * mmf__chan_wait spins on a little more before it sleeps). */
#define RING_SPIN_NS 10000u
/* While spinning, look at the producer's position (header_lost) at most
 * this often: it is the producer's line, which it writes with every
 * commit. */
#define LOST_CHECK_NS 1000000u

/*
 * Consumer: 1 if the producer's position covers a record at the head
 * whose header reads 0. The producer stores its position after the
 * header, so it never does that: another process zeroed the header, and
 * waiting for it would never end while the producer goes on.
 */
static int header_lost(const mmf_ring *r)
{
    uint64_t ahead = mmf__load_acquire(&r->ctl->prod_pos) - r->head;
    return ahead != 0 && ahead <= r->cap && hdr_load(r, r->head) == 0;
}

/*
 * Consumer: spin on the header at the head - the line the record will be
 * read from anyway - until it is published, the producer is gone, the
 * deadline passes or, without busy-polling, RING_SPIN_NS passed. Returns 0
 * (published), 1 (go on and sleep), MMF_EPIPE, MMF_ETIMEDOUT or
 * MMF_ECORRUPT.
 */
static int spin_data(mmf_ring *r, uint64_t deadline)
{
    int busy = (r->c.flags & MMF_CHANNEL_BUSY_POLL) != 0;
    const uint64_t *w = &rec_at(r, r->head)->word;
    uint64_t start = mmf__os_now_ns(), now, looked = start;

    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (mmf__load_acquire(w) != 0)
                return 0;
            mmf__cpu_relax();
        }
        /* A page lost to a truncated file reads as zeros for ever. */
        if (mmf__chan_damaged(&r->c))
            return MMF_ECORRUPT;
        now = mmf__os_now_ns();
        if (mmf__chan_peer_gone(&r->c))
            return mmf__load_acquire(w) != 0 ? 0 : MMF_EPIPE;
        if (now >= deadline)
            return MMF_ETIMEDOUT;
        if (!busy && now - start >= RING_SPIN_NS)
            return 1;
        if (now - looked >= LOST_CHECK_NS) {
            if (header_lost(r))
                return MMF_ECORRUPT;
            looked = now;
        }
    }
}

/* Consumer: wait until a record is published at the head. */
static int wait_data(mmf_ring *r, long long timeout_ms)
{
    struct mmf__ring_ctl *k = r->ctl;
    uint64_t deadline;
    int rc;

    if (hdr_load(r, r->head) != 0)
        return 0;
    if ((rc = mmf__chan_deadline(timeout_ms, &deadline)) < 0)
        return rc;
    if (deadline != 0 && (rc = spin_data(r, deadline)) <= 0)
        return rc;
    for (unsigned woke = 0, idle = 0;; woke = 1) {
        /* The word first: a publish after this read changes it, so the
         * wait below cannot miss it. */
        uint32_t seen = mmf__load_acquire(&k->prod_word);
        if (hdr_load(r, r->head) != 0)
            return 0;
        if (header_lost(r))
            return MMF_ECORRUPT;
        if (woke && (rc = rewait(r, deadline, 0, &idle)) < 0)
            return rc;
        rc = mmf__chan_wait(&r->c, &k->prod_word, seen, &k->cons_sleepers, deadline);
        if (rc == MMF_EPIPE) {
            /* Deliver what the producer published before it left. */
            return hdr_load(r, r->head) != 0 ? 0 : MMF_EPIPE;
        }
        if (rc < 0)
            return rc;
    }
}

/*
 * Producer: publish the records from `first` to `end`, whose first header
 * is `word` (the later ones are written): the end mark at `end`, then the
 * first header with release order, which makes everything before it
 * visible to a consumer that reads it. Then the position and the word.
 */
static inline void publish(mmf_ring *r, uint64_t first, uint64_t end, uint64_t word)
{
    struct mmf__ring_ctl *k = r->ctl;

    mmf__store_relaxed(&rec_at(r, end)->word, 0);
    mmf__store_release(&rec_at(r, first)->word, word);
    r->pub = end;
    mmf__store_release(&k->prod_pos, end);
    mmf__store_release(&k->prod_word, ++r->word);
    mmf__chan_wake(&r->c, &k->prod_word, &k->cons_sleepers);
}

/* Consumer: give back everything up to pos. */
static inline void give_back(mmf_ring *r, uint64_t pos)
{
    struct mmf__ring_ctl *k = r->ctl;
    r->pub = pos;
    mmf__store_release(&k->cons_pos, pos);
    mmf__store_release(&k->cons_word, ++r->word);
    mmf__chan_wake(&r->c, &k->cons_word, &k->prod_sleepers);
}

/*
 * The length of a record at pos that this side saw before (a reserved
 * batch's, or a peeked one), which must end before `limit`: its header is
 * read again (it is in shared memory) and checked, or 0 if it is not a
 * valid record.
 */
static inline uint64_t rec_len(const mmf_ring *r, uint64_t pos, uint64_t limit, int check)
{
    uint64_t w = mmf__load_relaxed(&rec_at(r, pos)->word);
    return hdr_len(r, w, pos, limit + MMF__RING_END, check);
}

/* Consumer: take the record at the head if one is published there.
 * Returns 1, 0 (none yet) or MMF_ECORRUPT. */
static inline int take(mmf_ring *r, mmf_msg *m)
{
    uint64_t pos = r->head;
    uint64_t w = hdr_load(r, pos), len;

    if (w == 0)
        return 0;
    /* The producer writes a record and its end mark only below what this
     * consumer released plus the capacity. */
    len = hdr_len(r, w, pos, r->pub + r->cap, !r->persistent);
    if (len == 0)
        return MMF_ECORRUPT;
    m->data = rec_at(r, pos) + 1;
    m->len = (size_t)len;
    r->head = pos + rec_size(len);
    r->pending++;
    return 1;
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

/* The largest message of a ring of capacity cap. */
static uint64_t max_message(uint64_t cap)
{
    uint64_t m = cap - MMF__RING_REC_HDR - MMF__RING_END;
    return m < MMF__RING_MAX_LEN ? m : MMF__RING_MAX_LEN;
}

/* Positions that can be: aligned, and the producer's at most a capacity
 * less the end mark ahead of the consumer's, or behind it by what it
 * published and did not count yet (ring.h, POSITIONS). */
static int positions_ok(uint64_t p, uint64_t c, uint64_t cap)
{
    return ((c | p) & (MMF__RING_ALIGN - 1)) == 0 &&
           (p - c <= cap - MMF__RING_END || c - p <= cap);
}

/* Inspection (channel.h). */
static int ring_describe(const struct mmf__chan_desc *d, const void *own,
                         mmf_channel_info *info)
{
    const struct mmf__ring_ctl *rc = own;
    uint64_t prod = rc->prod_pos, cons = rc->cons_pos;

    info->capacity = d->area_size;
    info->max_message = max_message(d->area_size);
    if (!positions_ok(prod, cons, d->area_size))
        return MMF_ECORRUPT;
    if (prod - cons > d->area_size)
        prod = cons; /* the producer's position lags its last record */
    info->produced = prod;
    info->consumed = cons;
    info->fill = prod - cons;
    return 0;
}

const struct mmf__chan_kind_info mmf__ring_kind = {
    MMF__CHAN_RING, 1, 1, 1, ring_desc_valid, ring_describe
};

/* Sleep about a millisecond. */
static void nap(void)
{
    mmf__os_nap(1000000u);
}

/*
 * The end of the records published from `from` on: step over every record
 * whose header is valid - in a persistent ring, whose checksum matches -
 * up to a zero header (the end mark) or the first bad one, within a
 * capacity of the consumer's position c. At most a capacity's worth of
 * records (each takes 16 bytes or more), so it ends.
 */
static uint64_t ring_scan(const mmf_ring *r, uint64_t c, uint64_t from)
{
    uint64_t pos = from;

    for (uint64_t n = 0; n <= r->cap / 16; n++) {
        uint64_t w = hdr_load(r, pos), len;
        const struct mmf__ring_rec *rec = rec_at(r, pos);

        if (w == 0)
            break;
        if ((len = hdr_len(r, w, pos, c + r->cap, !r->persistent)) == 0)
            break;
        if (r->persistent && MMF__RING_HDR_CHECK(w) != rec_check(r, pos, rec + 1, len))
            break;
        pos += rec_size(len);
    }
    return pos;
}

/* Check a persistent ring's records from the consumer's position on, set
 * the producer's position to the end of the last good one and put an end
 * mark there. Runs before any endpoint of this named object made a call
 * (see recover). */
static int check_file(mmf_ring *r)
{
    struct mmf__ring_ctl *k = r->ctl;
    uint64_t c = mmf__load_relaxed(&k->cons_pos);
    uint64_t p = mmf__load_relaxed(&k->prod_pos);
    uint64_t pos;

    if (!positions_ok(p, c, r->cap))
        return MMF_ECORRUPT;
    pos = ring_scan(r, c, c);
    /* A torn record, or one of an earlier lap, must not pass for a new
     * one on the consumer's fast path, which does not recompute the
     * checksum. */
    mmf__store_relaxed(&rec_at(r, pos)->word, 0);
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
    uint64_t p, c, pos;

    if (r->role == MMF_ROLE_CONSUMER) {
        /* The consumer reads headers, not the producer's position. */
        c = mmf__load_acquire(&k->cons_pos);
        if ((c & (MMF__RING_ALIGN - 1)) != 0)
            return MMF_ECORRUPT;
        r->head = r->pub = r->peer = c;
        r->word = mmf__load_relaxed(&k->cons_word);
        mmf__store_relaxed(&k->cons_sleepers, 0);
        return 0;
    }
    /* Our own side's position first: it cannot change under us (we hold
     * the role), while the other side's only moves in the safe direction. */
    p = mmf__load_acquire(&k->prod_pos);
    c = mmf__load_acquire(&k->cons_pos);
    if (!positions_ok(p, c, r->cap))
        return MMF_ECORRUPT;
    /* A producer killed between a record's header and its position left
     * published records past the position: they are not ours to
     * overwrite. */
    pos = ring_scan(r, c, p);
    if (pos - c > r->cap - MMF__RING_END)
        return MMF_ECORRUPT;
    if (pos != p)
        mmf__store_release(&k->prod_pos, pos);
    r->head = r->pub = pos;
    r->peer = c;
    r->flushed = c; /* the dead producer may not have flushed */
    r->word = mmf__load_relaxed(&k->prod_word);
    mmf__store_relaxed(&k->prod_sleepers, 0);
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
    r->max_msg = max_message(r->cap);
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
    uint64_t granule = mmf__chan_ctl_size();

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (capacity < MMF__RING_MIN_CAP || capacity > MMF__RING_MAX_CAP ||
        (capacity & (capacity - 1)) != 0)
        return MMF_EINVAL;
    /* The area is mapped twice back to back, so it is whole granules (a
     * power of two: so stays the capacity). */
    if (capacity < granule)
        capacity = granule;
    memset(&want, 0, sizeof want);
    want.kind = MMF__CHAN_RING;
    want.version = MMF__RING_VERSION;
    want.ctl_size = granule;
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
        mmf__chan_wake(&r->c, &k->prod_word, &k->cons_sleepers);
    } else {
        mmf__store_release(&k->cons_word, ++r->word);
        mmf__chan_wake(&r->c, &k->cons_word, &k->prod_sleepers);
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
    /* Nothing is written to the ring before the commit: the header at
     * the head is the end mark (0) until then. */
    r->pending = 1;
    r->res_len = len;
    *ptr = rec_at(r, r->head) + 1;
    r->head += need;
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
    r->pending = 0;
    r->head = pos + rec_size(len);
    publish(r, pos, r->head, MMF__RING_HDR(len, rec_check(r, pos, rec + 1, len)));
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
            free_bytes = r->cap - MMF__RING_END - (pos - r->peer);
            if (need > free_bytes)
                break;
        }
        rec = rec_at(r, pos);
        /* The later records' headers now: no consumer reads them before
         * the first one's, which the commit writes last. (A persistent
         * ring's checksums are put in at the commit.) */
        if (i > 0)
            mmf__store_relaxed(&rec->word, MMF__RING_HDR(msgs[i].len, pos_tag(pos)));
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
    struct mmf__ring_rec *first;
    uint64_t pos;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (r->role != MMF_ROLE_PRODUCER || r->pending == 0 || k > r->pending)
        return MMF_EINVAL;
    if (k == 0) {
        r->pending = 0;
        r->head = r->pub;
        return 0;
    }
    first = rec_at(r, r->pub);
    if (k == r->pending && !r->persistent) {
        pos = r->head;
    } else {
        /* Find the end of the first k records (and seal each with its
         * checksum in a persistent ring). The later records' headers are
         * in shared memory, so they are checked again. */
        pos = r->pub + rec_size(r->res_len);
        for (size_t i = 1; i < k; i++) {
            struct mmf__ring_rec *rec = rec_at(r, pos);
            uint64_t len = rec_len(r, pos, r->head, 1);
            if (len == 0) {
                r->pending = 0;
                r->head = r->pub;
                return MMF_ECORRUPT;
            }
            if (r->persistent)
                mmf__store_relaxed(&rec->word,
                                   MMF__RING_HDR(len, rec_check(r, pos, rec + 1, len)));
            pos += rec_size(len);
        }
    }
    r->pending = 0;
    r->head = pos;
    publish(r, r->pub, pos,
            MMF__RING_HDR(r->res_len, rec_check(r, r->pub, first + 1, r->res_len)));
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
    if ((rc = take(r, msg)) == 0) {
        if ((rc = wait_data(r, timeout_ms)) < 0)
            return rc;
        /* Published, then gone: only another process writes a 0 there. */
        if ((rc = take(r, msg)) == 0)
            rc = MMF_ECORRUPT;
    }
    if (rc < 0)
        return rc;
    return mmf__chan_damaged(&r->c) ? MMF_ECORRUPT : 0;
}

int mmf_ring_peek_batch(mmf_ring *r, mmf_msg *msgs, size_t max, long long timeout_ms)
{
    size_t n = 0;
    int rc;

    if (!ring_ok(r))
        return MMF_EBADF;
    if (mmf__chan_damaged(&r->c))
        return MMF_ECORRUPT;
    if (msgs == NULL && max != 0)
        return MMF_EINVAL;
    if (r->role != MMF_ROLE_CONSUMER || max == 0 || !timeout_ok(timeout_ms))
        return MMF_EINVAL;
    if ((rc = take(r, &msgs[0])) == 0) {
        if ((rc = wait_data(r, timeout_ms)) < 0)
            return rc;
        /* Published, then gone: only another process writes a 0 there. */
        if ((rc = take(r, &msgs[0])) == 0)
            rc = MMF_ECORRUPT;
    }
    if (rc < 0)
        return rc;
    /* take() moves the head by a record each time, within a capacity of
     * what was released, so this ends. */
    for (n = 1; n < max && n < INT_MAX; n++) {
        if ((rc = take(r, &msgs[n])) <= 0)
            break; /* none yet; or damage, which the next call reports */
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
            uint64_t len = rec_len(r, pos, r->head, !r->persistent);
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
    if ((rc = take(r, &m)) == 0) {
        if ((rc = wait_data(r, timeout_ms)) < 0)
            return rc;
        /* Published, then gone: only another process writes a 0 there. */
        if ((rc = take(r, &m)) == 0)
            rc = MMF_ECORRUPT;
    }
    if (rc < 0)
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
        /* With the end mark after the last record. */
        uint64_t from = r->flushed, n = r->pub - from + MMF__RING_END;
        if (n > r->cap) {
            from = r->pub + MMF__RING_END - r->cap;
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
