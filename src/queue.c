/* SPDX-License-Identifier: MIT */
/*
 * queue.c - the MPMC queue: a bounded queue of fixed-size slots shared by
 * up to 64 producers and 64 consumers, each message going to exactly one
 * consumer (mmf.h, "MPMC queue").
 *
 * THE ALGORITHM
 *
 * Dmitry Vyukov's bounded MPMC queue. Two free-running 64-bit counters,
 * tail (the next position to reserve) and head (the next to take), each
 * on its own cache line, and one sequence number per slot. Position p
 * lives in slot p % slots, whose sequence says what the slot is doing for
 * p:
 *
 *   seq == p               free: a producer may reserve p (CAS tail p->p+1)
 *   seq == p + 1           committed: a consumer may take p (CAS head)
 *   seq == p + slots       given back: free for the next lap
 *
 * A producer that won tail fills the slot and stores seq = p + 1; a
 * consumer that won head reads the slot and stores seq = p + slots. So each
 * operation is one CAS on a counter plus plain stores, and the slot itself
 * tells a late-comer that its view of a counter is stale.
 *
 * Shared memory holds seq - (slot index) rather than seq itself, so that
 * all-zero memory is the empty queue (slot i free for position i), as the
 * channel layer requires of every kind.
 *
 * PEERS THAT DIE HALFWAY
 *
 * Every endpoint has a record, one cache line indexed by its claim slot,
 * where it writes position + 1 before the CAS that would give it that
 * position (and 0 after a failed CAS). A claim (backend.h) is alive exactly as
 * long as its process, and an endpoint keeps its record until it is done
 * with the position, so "some live claim's record names p" is true while
 * anybody may still write p's slot. A fresh endpoint clears its record, as
 * a dead one of the same claim slot may have left a value in it.
 *
 *  - A producer dies between reserve and commit: the consumers stop at a
 *    slot whose seq stays p while tail > p. After waiting STUCK_NS (at
 *    once when every producer is gone) a consumer scans the producer
 *    records; if none alive names p it takes p with the usual CAS on
 *    head, which makes the skip happen exactly once, and gives the slot
 *    back unread. If the CAS finds the message committed after all, it is
 *    delivered as usual.
 *  - A consumer dies between peek and release: the producers stop at a
 *    slot whose seq stays p + 1 (or p, for a skip) while head > p. After
 *    the same wait a producer scans the consumer records and, if none alive
 *    names p, gives the slot back with a CAS on seq (sequences only grow,
 *    so a CAS from a stale value cannot succeed). That message is lost,
 *    unless the consumer kept it (below).
 *
 * KEPT MESSAGES (MMF_CHANNEL_REDELIVER)
 *
 * A consumer attached with MMF_CHANNEL_REDELIVER marks its record with
 * REC_KEEP. A committed message (seq == p + 1, behind head) that only
 * dead records name, one of them marked, is kept: producers do not take
 * its slot back but wait for it as for a full queue, bump `orphans` and
 * wake the consumers, and a consumer adopts it and delivers it again.
 * Invariants:
 *
 *  K1 A kept message is never given back by anyone but the one consumer
 *     that holds it: producers leave it; the taker that died cannot.
 *  K2 At most one live consumer holds a position. Adopting p is: name p
 *     in the adopter's record, marked REC_ADOPT (before all this: the
 *     record names the range being adopted); read the slot's adoption
 *     word (struct qslot's `spare`: who adopted this lap's message last,
 *     and how often; the producer zeroes it when it commits); check that
 *     p is behind head and committed; after a full fence, check that no
 *     live record without REC_ADOPT names p (the consumer that took it
 *     from head) and that the last adopter, if any, is dead or no longer
 *     names p; CAS the word to (count + 1, this adopter); check seq ==
 *     p + 1 again. Two adopters cannot both win: whoever CASes second
 *     either read the word before the first one's CAS (and fails), or
 *     after it, and then finds the first one named as the last adopter,
 *     alive and naming p. Adopters do not wait for each other's records,
 *     only for the word, so two of them never both give up on p. The
 *     taker from head named p before its CAS on head, and an adopter
 *     reads head before the records, so a live taker is always seen; a
 *     holder that released meanwhile is caught by the re-check of seq,
 *     which can never show p + 1 again once p's slot moved on. An adopter
 *     that sees a live taker's record looks again later rather than give
 *     p up: the record may be one named before a CAS on head that fails.
 *     An adopter's record names its whole range until it is done, and a
 *     reader sees a record's first position and count one at a time: a
 *     range that shrank would show half changed.
 *  K3 A kept message is always named by a record marked REC_KEEP until it
 *     is adopted: an endpoint that attaches in the claim slot of a dead
 *     marked record keeps that record (it is named by a live record now)
 *     and adopts its positions before it takes anything new.
 *  K4 Kept messages do not wait for long: every consumer looks for them
 *     when it attaches (before anything new), and when the queue is
 *     empty for it, at once after a producer bumped `orphans`, otherwise
 *     every RECHECK_NS; a producer blocked by one bumps `orphans`.
 *
 * The model verify/adopt.pml checks K1-K3 (verify/README.md says how).
 *
 * A redelivered message may have been used by the consumer that died: it
 * is delivered at least once. The adopter delivers adopted messages before
 * new ones, in position order, as one or more batches of consecutive
 * positions.
 *
 * A slot given back keeps its length until its next lap is reserved: the
 * length of the message taken, or 0 for a position that was never
 * committed (a reservation dropped by close, or skipped: the skip stores
 * 0 before it gives the slot back). So mmf_queue_committed() can say
 * afterwards whether a dead producer's position was committed, which a
 * restarted producer needs to resume without loss or repeat. One case
 * blurs it: a consumer that dies holding a skip leaves seq == p, and the
 * producer that takes that slot back stores the next lap's seq over a
 * stale length; it then reserves the slot at once, which ends the
 * question (the answer becomes MMF_ERANGE), but in between the call may
 * take the stale length for a message. So the answer is exact only while
 * no producer reserves the slot's next lap: mmf.h says so.
 *
 * WAITING
 *
 * Consumers wait for a message on data_word, producers for room on
 * room_word (mmf__chan_wait). A waiter counts itself in *_waiters before it
 * checks the queue one last time; whoever then changes the queue bumps the
 * word only if *_waiters is not 0 (after a full fence, the Dekker pattern),
 * so the fast path writes nothing but the slot and the counter. A waiter
 * killed while counted leaves the count high: its peers then bump the word
 * on every operation, which is slower but still correct.
 *
 * SHARED MEMORY IS UNTRUSTED
 *
 * Slots are always addressed as position & mask, so no value read from
 * shared memory can reach outside the area. Every sequence is checked to be
 * one a slot can hold at the position the counters say; a counter that
 * stays put while a slot says it moved, a length above the slot size and a
 * loop that makes no progress for RETRY_MAX rounds are MMF_ECORRUPT.
 */
#include <stdlib.h>
#include <string.h>

#include "channel.h"

#define QUEUE_MAGIC 0x51554555u /* "QUEU" */
#define QUEUE_DEAD 0xdead0e0eu

/* The records: one line per claim slot, producers' then consumers'. */
#define RECORDS (MMF__CHAN_CONS_FIRST + MMF__CHAN_ROLE_MAX)
#define SLOTS_OFF ((uint64_t)RECORDS * MMF__CHAN_LINE)

/* How long a slot may stay half done before the other side looks for a
 * dead endpoint behind it: far longer than a live one takes between
 * reserve and commit unless it is preempted, and then a check costs only
 * a look at a few claims. */
#define STUCK_NS 1000000ull
/* How long an EMPTY wait (no message, or no room) lasts before a look at
 * the queue even without a wake-up (see run()). */
#define RECHECK_NS 100000000ull
/* Attempts of a waiting call before it counts itself as a waiter (about
 * a few microseconds). */
#define LOOK_TRIES 128u
/* Rounds of a call without a wait; an honest queue needs a handful. */
#define RETRY_MAX (1u << 20)

/* take() and give() results besides 0 and errors. */
#define EMPTY 1 /* nothing to take (or no room): wait */
#define STUCK 2 /* a half-done slot in the way: wait, then look again */

/* The queue's own part of the control block (at MMF__CHAN_CTL_OWN). */
struct qctl {
    uint64_t tail;              /* next position to reserve */
    uint8_t pad0[56];
    uint64_t head;              /* next position to take */
    uint32_t orphans;           /* bumped by producers that wait for a
                                   message a dead consumer kept */
    uint8_t pad1[52];
    uint32_t data_word;         /* bumped for waiting consumers */
    uint32_t data_sleepers;
    uint32_t data_waiters;
    uint8_t pad2[52];
    uint32_t room_word;         /* bumped for waiting producers */
    uint32_t room_sleepers;
    uint32_t room_waiters;
    uint8_t pad3[52];
};

_Static_assert(offsetof(struct qctl, head) == MMF__CHAN_LINE, "qctl layout");
_Static_assert(offsetof(struct qctl, data_word) == 2 * MMF__CHAN_LINE, "qctl layout");
_Static_assert(offsetof(struct qctl, room_word) == 3 * MMF__CHAN_LINE, "qctl layout");
_Static_assert(MMF__CHAN_CTL_OWN + sizeof(struct qctl) <= MMF__CHAN_CTL_SIZE, "qctl fits");

/* A slot: this header, then slot_size bytes padded to 8. */
struct qslot {
    uint64_t turn;  /* seq - slot index */
    uint32_t len;   /* committed length; 0: a reservation dropped by close */
    uint32_t spare; /* adoptions of this lap's message (upper 24 bits) and
                       the claim slot + 1 of the last adopter (lower 8),
                       0 when committed; CAS to adopt (K2) */
};

/* In a record's count word: the endpoint keeps what it holds when it dies
 * (MMF_CHANNEL_REDELIVER, and every range being adopted); the range is
 * one being adopted, not taken from head. */
#define REC_KEEP (UINT64_C(1) << 63)
#define REC_ADOPT (UINT64_C(1) << 62)
#define REC_FLAGS (REC_KEEP | REC_ADOPT)
/* Positions an adopting call looks at before it returns (a hostile count
 * cannot make one call long); the rest on the next call. */
#define ADOPT_TRIES 4096u

#define SLOT_HDR MMF__CHAN_SLOT_HDR
_Static_assert(sizeof(struct qslot) == SLOT_HDR, "qslot layout");

struct mmf_queue {
    uint32_t magic;
    uint32_t held;           /* positions reserved or peeked, from held_pos */
    uint64_t held_pos;
    int lens_set;            /* the reservation's lengths are in its slots */
    struct mmf__chan ch;
    struct qctl *q;
    uint8_t *slots;
    uint64_t *rec;           /* this endpoint's record: first + 1, count */
    uint64_t rec_count;      /* the count last stored there */
    uint64_t mask;
    size_t stride;
    uint32_t nslots, slot_size;
    uint64_t stuck_key;      /* position + 1 of the half-done slot being timed */
    uint64_t stuck_ns;       /* since when, or the last check */
    uint64_t keep;           /* REC_KEEP with MMF_CHANNEL_REDELIVER, else 0 */
    uint64_t pend_pos;       /* positions [pend_pos, pend_end) named by this */
    uint64_t pend_end;       /* endpoint's record, to adopt before anything new */
    uint32_t orphans_seen;   /* `orphans` at the last look for kept messages */
    int look_now;            /* look for kept messages before the next take */
    uint64_t look_ns;        /* when it last looked */
};

/* ------------------------------------------------------------------------ */
/* Geometry                                                                  */
/* ------------------------------------------------------------------------ */

static int queue_valid(const struct mmf__chan_desc *d)
{
    return mmf__chan_slotted_valid(d, SLOTS_OFF);
}

/* Inspection (channel.h). */
static int queue_describe(const struct mmf__chan_desc *d, const void *own,
                          mmf_channel_info *info)
{
    const struct qctl *c = own;

    info->capacity = d->slots;
    info->max_message = d->slot_size;
    if (c->tail - c->head > d->slots)
        return MMF_ECORRUPT;
    info->produced = c->tail;
    info->consumed = c->head;
    info->fill = c->tail - c->head;
    return 0;
}

const struct mmf__chan_kind_info mmf__queue_kind = {
    MMF__CHAN_QUEUE, MMF__CHAN_ROLE_MAX, MMF__CHAN_ROLE_MAX, 0, queue_valid,
    queue_describe};

/* ------------------------------------------------------------------------ */
/* Slots, records, waking                                                    */
/* ------------------------------------------------------------------------ */

static struct qslot *slot_at(const struct mmf_queue *q, uint64_t pos)
{
    return (struct qslot *)(q->slots + (size_t)(pos & q->mask) * q->stride);
}

static void *data_of(struct qslot *s)
{
    return (uint8_t *)s + SLOT_HDR;
}

/* The sequence of the slot of `pos`, and storing one. */
static uint64_t seq_load(const struct mmf_queue *q, struct qslot *s, uint64_t pos)
{
    return mmf__load_acquire(&s->turn) + (pos & q->mask);
}

static void seq_store(const struct mmf_queue *q, struct qslot *s, uint64_t pos,
                      uint64_t seq)
{
    mmf__store_release(&s->turn, seq - (pos & q->mask));
}

static uint64_t *record(const struct mmf_queue *q, uint32_t claim_slot)
{
    return (uint64_t *)(q->ch.area + (size_t)claim_slot * MMF__CHAN_LINE);
}

/* Name positions [first, first + n) in this endpoint's record, before the
 * CAS that may give them to it. The count goes first, so that a reader
 * who sees the new first position sees its count; a reader who sees the
 * old first with the new count looks at positions this endpoint is done
 * with (it names new ones only then). The count is stored only when it
 * changes: one shared write per call on the fast path. */
static void record_set(struct mmf_queue *q, uint64_t first, uint64_t n)
{
    if (q->rec_count != n) {
        q->rec_count = n;
        mmf__store_release(&q->rec[1], n | q->keep);
    }
    mmf__store_release(&q->rec[0], first + 1);
}

/* Name [first, end), a range being adopted, in this endpoint's record (a
 * reader may see the new first with the old count: the dead record the
 * range comes from names it too). */
static void record_adopt(struct mmf_queue *q, uint64_t first, uint64_t end)
{
    mmf__store_release(&q->rec[0], first + 1);
    mmf__store_release(&q->rec[1], (end - first) | REC_FLAGS);
    q->rec_count = UINT64_MAX; /* the next record_set() stores its count */
}

/* After a change that a waiter may wait for: bump its word if anyone
 * waits, and wake it if it sleeps. The fence orders the change before the
 * look at *waiters (a waiter counts itself, then looks at the queue). */
static void notify(const struct mmf__chan *ch, uint32_t *word, uint32_t *sleepers,
                   const uint32_t *waiters)
{
    mmf__fence();
    if (mmf__load_relaxed(waiters) != 0) {
        mmf__fetch_add(word, 1);
        mmf__chan_wake(ch, word, sleepers);
    }
}

/* Publish positions [pos, pos + n), the first with length len (0:
 * dropped; when len is KEEP_LEN each keeps the length in its slot,
 * stored at reserve time), those from `keep` on dropped, then wake the
 * consumers once. */
#define KEEP_LEN UINT32_MAX
static void publish_n(struct mmf_queue *q, uint64_t pos, uint32_t n, uint32_t len,
                      uint32_t keep)
{
    for (uint32_t i = 0; i < n; i++) {
        struct qslot *s = slot_at(q, pos + i);
        if (i >= keep)
            mmf__store_relaxed(&s->len, 0);
        else if (len != KEEP_LEN)
            mmf__store_relaxed(&s->len, len);
        mmf__store_relaxed(&s->spare, 0); /* nobody adopted this lap's */
        seq_store(q, s, pos + i, pos + i + 1);
    }
    notify(&q->ch, &q->q->data_word, &q->q->data_sleepers, &q->q->data_waiters);
}

/* Publish position pos with length len (0: dropped). */
static void publish(struct mmf_queue *q, uint64_t pos, uint32_t len)
{
    publish_n(q, pos, 1, len, 1);
}

/* Give the slots of taken positions [pos, pos + n) back to the
 * producers, then wake them once. */
static void give_back_n(struct mmf_queue *q, uint64_t pos, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        seq_store(q, slot_at(q, pos + i), pos + i, pos + i + q->nslots);
    notify(&q->ch, &q->q->room_word, &q->q->room_sleepers, &q->q->room_waiters);
}

static void give_back(struct mmf_queue *q, uint64_t pos)
{
    give_back_n(q, pos, 1);
}

/* holder() results. */
#define HOLDER_NONE 0  /* no live record names the position, none kept it */
#define HOLDER_LIVE 1  /* a live endpoint's record names it */
#define HOLDER_KEPT 2  /* only dead records name it, one marked REC_KEEP */

/*
 * Who may still write position pos, among the endpoints of the role whose
 * claim slots start at `first` (but the claim slot `skip`, and records
 * with a flag of `ignore`): HOLDER_LIVE
 * if one whose record names it has its claim held (a claim the kernel
 * cannot tell about counts as alive), else HOLDER_KEPT if a dead record
 * marked REC_KEEP names it, else HOLDER_NONE.
 */
static int holder(struct mmf_queue *q, uint32_t first, uint32_t skip, uint64_t pos,
                  uint64_t ignore)
{
    int kept = 0;

    for (uint32_t i = first; i < first + MMF__CHAN_ROLE_MAX; i++) {
        uint64_t *r = record(q, i);
        uint64_t start = mmf__load_acquire(&r[0]), w, n;

        if (start == 0 || i == skip)
            continue;
        w = mmf__load_acquire(&r[1]);
        if (w & ignore)
            continue;
        n = w & ~REC_FLAGS;
        if (n == 0 || n > q->nslots)
            n = 1; /* not a count this code stores */
        if (pos - (start - 1) >= n)
            continue;
        if (mmf__os_claimed(q->ch.obj, i, 1) != 0)
            return HOLDER_LIVE;
        kept |= (w & REC_KEEP) != 0;
    }
    return kept ? HOLDER_KEPT : HOLDER_NONE;
}

static int holder_alive(struct mmf_queue *q, uint32_t first, uint64_t pos)
{
    return holder(q, first, UINT32_MAX, pos, 0) == HOLDER_LIVE;
}

/* Whether the half-done slot of pos has been in the way long enough to
 * look for a dead endpoint behind it; then once more every STUCK_NS. */
static int stuck_due(struct mmf_queue *q, uint64_t pos)
{
    uint64_t now = mmf__os_now_ns();
    if (q->stuck_key != pos + 1) {
        q->stuck_key = pos + 1;
        q->stuck_ns = now;
        return 0;
    }
    if (now - q->stuck_ns < STUCK_NS)
        return 0;
    q->stuck_ns = now;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* The two sides, one attempt each                                           */
/* ------------------------------------------------------------------------ */

/* Every 1024 rounds of an attempt that makes no progress (slots that other
 * endpoints, or a writer of the shared state, keep changing under it), 1
 * if the caller's deadline has passed: the attempt then ends as STUCK, so
 * that even a try-call returns promptly. */
static int out_of_time(uint32_t n, uint64_t deadline)
{
    return n != 0 && n % 1024 == 0 && deadline != MMF__NO_DEADLINE &&
           (deadline == 0 || mmf__os_now_ns() >= deadline);
}

/*
 * Consumer: take the message at the head, and up to max - 1 committed ones
 * right behind it with the same CAS (max is 1 to nslots). `gone`: every
 * producer looked gone, so a half-done slot needs no wait before its
 * check. Returns 0 (positions [*pos, *pos + *got) are now this endpoint's,
 * *len the first one's length), EMPTY, STUCK, MMF_EOVERFLOW (the next
 * message is longer than cap: *len; not taken) or MMF_ECORRUPT. The
 * lengths after the first are the caller's to check.
 */
static int take_new(struct mmf_queue *q, size_t cap, uint32_t max, int gone, uint64_t deadline,
                    uint64_t *pos, uint32_t *len, uint32_t *got)
{
    struct qctl *c = q->q;
    uint64_t head = mmf__load_acquire(&c->head);

    for (uint32_t n = 0; n < RETRY_MAX; n++) {
        if (out_of_time(n, deadline))
            return STUCK;
        struct qslot *s = slot_at(q, head);
        uint64_t seq = seq_load(q, s, head);
        int64_t d = (int64_t)(seq - (head + 1));
        uint32_t l;

        if (d == 0) {
            l = mmf__load_relaxed(&s->len);
            if (l > cap && l <= q->slot_size) {
                /* Leave it to a consumer with room, if it still is next. */
                uint64_t h = mmf__load_acquire(&c->head);
                if (h != head) {
                    head = h;
                    continue;
                }
                *len = l;
                return MMF_EOVERFLOW;
            }
            /* The committed messages right behind it (not dropped ones,
             * which the single path skips). */
            uint32_t k = 1;
            while (k < max) {
                struct qslot *t = slot_at(q, head + k);
                uint32_t tl;
                if (seq_load(q, t, head + k) != head + k + 1)
                    break;
                tl = mmf__load_relaxed(&t->len);
                if (tl == 0 || tl > q->slot_size)
                    break;
                k++;
            }
            record_set(q, head, k);
            if (!mmf__cas(&c->head, &head, head + k)) {
                mmf__store_relaxed(q->rec, 0);
                continue;
            }
            /* Ours now: nobody writes the slot until we give it back, so
             * a length that changed under us is another's scribbling. */
            if (mmf__load_relaxed(&s->len) != l || l > q->slot_size) {
                give_back(q, head);
                return MMF_ECORRUPT;
            }
            if (l == 0) { /* a reservation its producer dropped (k is 1) */
                give_back(q, head++);
                continue;
            }
            *pos = head;
            *len = l;
            *got = k;
            return 0;
        }
        if (d > 0) {
            /* Taken already, so head has moved (the CAS on head comes
             * before the slot's change, and we saw the change). */
            uint64_t h = mmf__load_acquire(&c->head);
            if (h == head)
                return MMF_ECORRUPT;
            head = h;
            continue;
        }
        if (seq == head) {
            uint64_t tail = mmf__load_acquire(&c->tail);
            if (tail == head)
                return EMPTY;
            if ((int64_t)(tail - head) < 0)
                return MMF_ECORRUPT;
            /* Reserved and not committed: wait for its producer, unless
             * it is dead. */
            if (!gone && !stuck_due(q, head))
                return STUCK;
            if (holder_alive(q, MMF__CHAN_PROD_FIRST, head))
                return STUCK;
            record_set(q, head, 1);
            if (!mmf__cas(&c->head, &head, head + 1)) {
                mmf__store_relaxed(q->rec, 0);
                continue;
            }
            seq = seq_load(q, s, head);
            if (seq == head + 1) {
                /* Committed just before its producer died: deliver. */
                l = mmf__load_relaxed(&s->len);
                if (l > q->slot_size) {
                    give_back(q, head);
                    return MMF_ECORRUPT;
                }
                if (l == 0) {
                    give_back(q, head++);
                    continue;
                }
                if (l > cap) {
                    /* Taken to skip, found too long for this caller: it
                     * cannot be put back, so it is lost to everyone. */
                    give_back(q, head);
                    *len = l;
                    return MMF_EOVERFLOW;
                }
                *pos = head;
                *len = l;
                *got = 1;
                return 0;
            }
            if (seq != head)
                return MMF_ECORRUPT;
            /* Never committed: say so in the slot, for
             * mmf_queue_committed() (the reservation may have stored a
             * length already). */
            mmf__store_relaxed(&s->len, 0);
            give_back(q, head++);
            continue;
        }
        if (head >= q->nslots && (seq == head - q->nslots || seq == head - q->nslots + 1)) {
            /* The previous lap's message is still held by its consumer,
             * so nothing can be at head yet. */
            uint64_t tail = mmf__load_acquire(&c->tail);
            if (tail == head)
                return EMPTY;
            if ((int64_t)(tail - head) < 0)
                return MMF_ECORRUPT;
            continue; /* given back and reserved since we looked */
        }
        return MMF_ECORRUPT;
    }
    return MMF_ECORRUPT;
}

/* Whether position pos (head read before) was taken in the last lap and
 * holds its message still: committed, not released. */
static int taken_unreleased(const struct mmf_queue *q, uint64_t head, uint64_t pos)
{
    return head - pos - 1 < q->nslots && seq_load(q, slot_at(q, pos), pos) == pos + 1;
}

/* adopt_one() result: a live consumer took it from head, or is about to
 * fail to (its record names it before its CAS on head): look again. */
#define ADOPT_WAIT 2

/*
 * Adopt position pos of this endpoint's pending range (K2): 1 if it is
 * now this endpoint's, 0 if not (held by a live adopter, released, not a
 * kept message), ADOPT_WAIT, or MMF_EOVERFLOW (longer than cap: *len).
 */
static int adopt_one(struct mmf_queue *q, uint64_t pos, size_t cap, uint32_t *len)
{
    struct qslot *s = slot_at(q, pos);
    uint32_t v = mmf__load_acquire(&s->spare), owner = v & 0xffu, l;
    uint64_t head = mmf__load_acquire(&q->q->head);

    if (!taken_unreleased(q, head, pos))
        return 0;
    l = mmf__load_relaxed(&s->len);
    if (l == 0 || l > q->slot_size)
        return 0;
    if (l > cap) {
        *len = l;
        return MMF_EOVERFLOW; /* left for a consumer with room */
    }
    mmf__fence(); /* our record (stored before) before the look at theirs */
    /* The consumer that took it from head, if it lives (adopters' records
     * do not count here: one that has not won the counter holds nothing,
     * and two adopters must not wait for each other). */
    if (holder(q, MMF__CHAN_CONS_FIRST, q->ch.slot, pos, REC_ADOPT) == HOLDER_LIVE)
        return ADOPT_WAIT;
    /* The last adopter, if it lives and still names it (its own claim
     * slot's was a dead endpoint's: this one just attached there). */
    if (owner != 0 && owner - 1 != q->ch.slot && owner - 1 >= MMF__CHAN_CONS_FIRST &&
        owner - 1 < MMF__CHAN_CONS_FIRST + MMF__CHAN_ROLE_MAX) {
        uint64_t *r = record(q, owner - 1);
        uint64_t start = mmf__load_acquire(&r[0]), n = mmf__load_acquire(&r[1]) & ~REC_FLAGS;
        if (start != 0 && pos - (start - 1) < n && n <= q->nslots &&
            mmf__os_claimed(q->ch.obj, owner - 1, 1) != 0)
            return 0;
    }
    if (!mmf__cas(&s->spare, &v, (((v >> 8) + 1) << 8) | (q->ch.slot + 1)))
        return 0;
    if (seq_load(q, s, pos) != pos + 1 || mmf__load_relaxed(&s->len) != l)
        return 0; /* released meanwhile: it moved on, never to come back */
    *len = l;
    return 1;
}

/*
 * Adopt from the pending range: the first run of consecutive positions
 * that this endpoint wins, at most max. Returns 0 (*pos, *len, *got as
 * for take()), EMPTY (nothing more to adopt there), STUCK (a live taker
 * may hold the next position, or a long range: call again) or
 * MMF_EOVERFLOW. The record names the whole range until it is done (a
 * range that shrank would have to change two words that a reader may see
 * half changed), then nothing.
 */
static int adopt_pending(struct mmf_queue *q, size_t cap, uint32_t max, uint64_t *pos,
                         uint32_t *len, uint32_t *got)
{
    uint32_t k = 0, l = 0, tries = 0;

    while (q->pend_pos != q->pend_end && k < max) {
        int rc;
        if (k == 0 && tries++ >= ADOPT_TRIES)
            return STUCK; /* a long range (or a hostile count): go on later */
        rc = adopt_one(q, q->pend_pos, k == 0 ? cap : SIZE_MAX, &l);
        if (rc == MMF_EOVERFLOW || rc == ADOPT_WAIT) {
            if (k > 0)
                break;
            if (rc == ADOPT_WAIT)
                return STUCK; /* it releases it, or its CAS fails, or it dies */
            *len = l;
            return rc;
        }
        if (rc == 0) {
            if (k > 0)
                break; /* the run ends: the next call goes on after it */
            q->pend_pos++;
            continue;
        }
        if (k == 0) {
            *pos = q->pend_pos;
            *len = l;
        }
        k++;
        q->pend_pos++;
    }
    if (k == 0) {
        mmf__store_release(&q->rec[0], 0); /* done: name nothing */
        q->rec_count = UINT64_MAX;
        q->pend_pos = q->pend_end;
        return EMPTY;
    }
    *got = k;
    return 0;
}

/*
 * Look for messages that dead consumers kept (K4): name the first such
 * record's range in this endpoint's record, then adopt from it. Returns
 * as adopt_pending(); EMPTY when there is nothing to adopt.
 */
static int adopt_scan(struct mmf_queue *q, size_t cap, uint32_t max, uint64_t *pos,
                      uint32_t *len, uint32_t *got)
{
    uint64_t head = mmf__load_acquire(&q->q->head);

    q->orphans_seen = mmf__load_acquire(&q->q->orphans);
    q->look_ns = mmf__os_now_ns();
    for (uint32_t i = MMF__CHAN_CONS_FIRST; i < MMF__CHAN_CONS_FIRST + MMF__CHAN_ROLE_MAX; i++) {
        uint64_t *r = record(q, i);
        uint64_t start = mmf__load_acquire(&r[0]), w, n, first, j;
        int rc;

        if (start == 0 || i == q->ch.slot)
            continue;
        w = mmf__load_acquire(&r[1]);
        n = w & ~REC_FLAGS;
        if (!(w & REC_KEEP) || n == 0 || n > q->nslots)
            continue;
        first = start - 1;
        /* Only a committed message behind head is worth a look at the
         * claim, and only then a place in our record. The look goes at
         * most ADOPT_TRIES positions in (a hostile count cannot make it
         * long); beyond them, adopt_pending() looks, a bounded part each
         * call. */
        for (j = 0; j < n && j < ADOPT_TRIES; j++) {
            if (taken_unreleased(q, head, first + j))
                break;
        }
        if (j == n || mmf__os_claimed(q->ch.obj, i, 1) != 0)
            continue;
        record_adopt(q, first + j, first + n);
        q->pend_pos = first + j;
        q->pend_end = first + n;
        rc = adopt_pending(q, cap, max, pos, len, got);
        if (rc != EMPTY)
            return rc;
    }
    return EMPTY;
}

/*
 * Consumer: take messages (take_new()), but first the ones this endpoint
 * is adopting, and look for kept ones before the first take and when the
 * queue is empty (K4). Arguments and results as take_new().
 */
static int take(struct mmf_queue *q, size_t cap, uint32_t max, int gone, uint64_t deadline,
                uint64_t *pos, uint32_t *len, uint32_t *got)
{
    int rc;

    if (q->pend_pos != q->pend_end) {
        rc = adopt_pending(q, cap, max, pos, len, got);
        if (rc != EMPTY)
            return rc;
    }
    if (q->look_now) {
        q->look_now = 0;
        rc = adopt_scan(q, cap, max, pos, len, got);
        if (rc != EMPTY)
            return rc;
    }
    rc = take_new(q, cap, max, gone, deadline, pos, len, got);
    /* Empty: at once after a producer said so, or when every producer is
     * gone; run() sets look_now every RECHECK_NS. */
    if (rc == EMPTY && (gone || mmf__load_acquire(&q->q->orphans) != q->orphans_seen))
        rc = adopt_scan(q, cap, max, pos, len, got);
    return rc;
}

/*
 * Producer: reserve the position at the tail, and up to max - 1 free ones
 * right behind it with the same CAS (max is 1 to nslots). Returns 0
 * (positions [*pos, *pos + *got) are now this endpoint's), EMPTY (no room),
 * STUCK or MMF_ECORRUPT.
 */
static int give(struct mmf_queue *q, uint32_t max, int gone, uint64_t deadline, uint64_t *pos,
                uint32_t *got)
{
    struct qctl *c = q->q;
    uint64_t tail = mmf__load_acquire(&c->tail);

    for (uint32_t n = 0; n < RETRY_MAX; n++) {
        if (out_of_time(n, deadline))
            return STUCK;
        struct qslot *s = slot_at(q, tail);
        uint64_t seq = seq_load(q, s, tail);
        int64_t d = (int64_t)(seq - tail);
        uint64_t prev, head, turn;

        if (d == 0) {
            /* Free slots stay free until tail passes them, so those seen
             * free behind this one are still free if the CAS succeeds. */
            uint32_t k = 1;
            while (k < max && seq_load(q, slot_at(q, tail + k), tail + k) == tail + k)
                k++;
            record_set(q, tail, k);
            if (mmf__cas(&c->tail, &tail, tail + k)) {
                *pos = tail;
                *got = k;
                return 0;
            }
            mmf__store_relaxed(q->rec, 0);
            continue;
        }
        if (d > 0) {
            /* Reserved by another producer: tail has moved. */
            uint64_t t = mmf__load_acquire(&c->tail);
            if (t == tail)
                return MMF_ECORRUPT;
            tail = t;
            continue;
        }
        /* The slot still holds the previous lap: reserved (seq == prev),
         * or committed (prev + 1), and not given back yet. */
        prev = tail - q->nslots;
        if (tail < q->nslots || (seq != prev && seq != prev + 1))
            return MMF_ECORRUPT;
        head = mmf__load_acquire(&c->head);
        if (head <= prev)
            return EMPTY; /* not taken yet: the queue is full */
        /* Taken, and not given back: wait for its consumer, unless it is
         * dead. */
        if (seq_load(q, s, tail) != seq)
            continue;
        if (!gone && !stuck_due(q, tail))
            return STUCK;
        switch (holder(q, MMF__CHAN_CONS_FIRST, UINT32_MAX, prev, 0)) {
        case HOLDER_LIVE:
            return STUCK;
        case HOLDER_KEPT:
            if (seq != prev + 1)
                break; /* a skip: nothing to keep */
            /* K1, K4: leave it to a consumer, and tell them. */
            mmf__fetch_add(&c->orphans, 1);
            notify(&q->ch, &c->data_word, &c->data_sleepers, &c->data_waiters);
            return EMPTY;
        }
        turn = seq - (tail & q->mask);
        if (mmf__cas(&s->turn, &turn, tail - (tail & q->mask)))
            notify(&q->ch, &c->room_word, &c->room_sleepers, &c->room_waiters);
    }
    return MMF_ECORRUPT;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */
/* ------------------------------------------------------------------------ */

/* Whether a consumer that finds the queue empty should look for kept
 * messages (K4): every RECHECK_NS. */
static int look_due(const struct mmf_queue *q, uint64_t now)
{
    return now - q->look_ns >= RECHECK_NS;
}

/*
 * Run one side's attempt until it succeeds or fails for good, waiting on
 * word as the timeout allows. A consumer (cap: the room the caller has)
 * gets *pos, *len and *n; a producer *pos and *n (at most max positions,
 * max 1 to nslots).
 */
static int run(struct mmf_queue *q, size_t cap, uint32_t max, uint64_t *pos, uint32_t *len,
               uint32_t *n, long long timeout_ms)
{
    int consumer = q->ch.role == MMF_ROLE_CONSUMER;
    struct qctl *c = q->q;
    uint32_t *word = consumer ? &c->data_word : &c->room_word;
    uint32_t *sleepers = consumer ? &c->data_sleepers : &c->room_sleepers;
    uint32_t *waiters = consumer ? &c->data_waiters : &c->room_waiters;
    uint64_t deadline;
    int rc, counted = 0, gone = 0;
    uint32_t tries = 0;

    if ((rc = mmf__chan_deadline(timeout_ms, &deadline)) < 0)
        return rc;
    for (;;) {
        uint32_t seen = mmf__load_acquire(word);
        uint64_t until = deadline;

        if (mmf__chan_damaged(&q->ch)) {
            rc = MMF_ECORRUPT;
            break;
        }
        rc = consumer ? take(q, cap, max, gone, deadline, pos, len, n)
                      : give(q, max, gone, deadline, pos, n);
        if (mmf__chan_damaged(&q->ch)) {
            rc = MMF_ECORRUPT; /* the attempt met a lost page */
            break;
        }
        if (rc != EMPTY && rc != STUCK)
            break;
        if (rc == EMPTY && gone) {
            rc = MMF_EPIPE; /* drained, and nobody will add (take) more */
            break;
        }
        if (deadline == 0) {
            if (!gone && mmf__chan_peer_gone(&q->ch)) {
                gone = 1;
                continue;
            }
            if (consumer && rc == EMPTY && !q->look_now && look_due(q, mmf__os_now_ns())) {
                q->look_now = 1; /* kept messages (K4) */
                continue;
            }
            rc = MMF_EAGAIN;
            break;
        }
        if (!counted && tries < LOOK_TRIES) {
            /* Look again a few times before counting ourselves: an answer
             * that comes within microseconds then costs no write to the
             * waiters' and the word's lines, on either side. */
            tries++;
            mmf__cpu_relax();
            continue;
        }
        if (!counted) {
            /* Count ourselves, then look once more before sleeping. The
             * look's loads must not be done before the count is visible
             * (Dekker's pattern with notify()), which the RMW alone does
             * not promise on every CPU. */
            mmf__fetch_add(waiters, 1);
            mmf__fence_after_rmw();
            counted = 1;
            continue;
        }
        {
            /* A STUCK slot is looked at again after STUCK_NS. An EMPTY
             * queue is looked at again after RECHECK_NS even if the word
             * stays put: an endpoint that died between publishing and
             * bumping the word (notify()) never bumps it, and its live
             * peers may stay idle. */
            uint64_t now = mmf__os_now_ns(), soon = now + (rc == STUCK ? STUCK_NS : RECHECK_NS);
            if (consumer && rc == EMPTY && look_due(q, now)) {
                q->look_now = 1; /* kept messages (K4): look, then wait */
                continue;
            }
            if (soon < until)
                until = soon;
        }
        if (gone) {
            /* Every peer looked gone, yet the slot's holder looked alive
             * (a peer that just attached, or a claim the kernel could not
             * tell about): mmf__chan_wait would return at once, so sleep
             * here until the next look. */
            mmf__fetch_add(sleepers, 1); /* so that a wake-up counts us */
            mmf__fence_after_rmw();
            if (mmf__load_acquire(word) == seen)
                mmf__os_wait_word(q->ch.obj, mmf__chan_key(&q->ch, word), word, seen,
                                  until);
            mmf__fetch_sub(sleepers, 1);
            if (until == deadline && mmf__os_now_ns() >= deadline) {
                rc = MMF_ETIMEDOUT;
                break;
            }
            continue;
        }
        rc = mmf__chan_wait(&q->ch, word, seen, sleepers, until);
        if (rc == MMF_EPIPE)
            gone = 1;
        else if (rc == MMF_ETIMEDOUT && until == deadline)
            break;
    }
    if (counted)
        mmf__fetch_sub(waiters, 1);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Create, open, close                                                       */
/* ------------------------------------------------------------------------ */

/* The endpoint behind a handle; NULL for NULL or a closed handle. */
static struct mmf_queue *handle(const mmf_queue *q)
{
    if (q == NULL || q->magic != QUEUE_MAGIC)
        return NULL;
    return (struct mmf_queue *)q;
}

static int attach(mmf_queue **out, const char *name, const struct mmf__chan_desc *want,
                  int role, int disposition, const mmf_channel_opts *opts)
{
    struct mmf_queue *q;
    int rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (opts != NULL && opts->path != NULL)
        return MMF_EINVAL; /* only rings can live in a file */
    q = calloc(1, sizeof *q);
    if (q == NULL)
        return MMF_ENOMEM;
    rc = mmf__chan_attach(&q->ch, &mmf__queue_kind, name, want, role, disposition, opts);
    if (rc < 0) {
        free(q);
        return rc;
    }
    q->q = mmf__chan_own(&q->ch);
    q->slots = q->ch.area + SLOTS_OFF;
    q->nslots = q->ch.desc.slots;
    q->slot_size = q->ch.desc.slot_size;
    q->mask = q->nslots - 1;
    q->stride = (size_t)mmf__chan_stride(q->slot_size);
    q->rec = record(q, q->ch.slot);
    q->keep = q->ch.flags & MMF_CHANNEL_REDELIVER ? REC_KEEP : 0;
    q->look_now = role == MMF_ROLE_CONSUMER;
    {
        /* A dead endpoint of the same claim slot may have left a range.
         * A consumer keeps one the dead one kept, and adopts it first
         * (K3); anything else is forgotten. */
        uint64_t start = mmf__load_acquire(&q->rec[0]);
        uint64_t w = mmf__load_acquire(&q->rec[1]), n = w & ~REC_FLAGS;
        if (role == MMF_ROLE_CONSUMER && start != 0 && (w & REC_KEEP) && n != 0 &&
            n <= q->nslots) {
            q->pend_pos = start - 1;
            q->pend_end = start - 1 + n;
            record_adopt(q, q->pend_pos, q->pend_end);
        } else {
            mmf__store_release(&q->rec[0], 0);
            mmf__store_release(&q->rec[1], 0);
            q->rec_count = 0;
        }
    }
    q->magic = QUEUE_MAGIC;
    *out = q;
    return rc;
}

int mmf_queue_create(mmf_queue **out, const char *name, uint32_t slots,
                     uint32_t slot_size, int role, int disposition,
                     const mmf_channel_opts *opts)
{
    struct mmf__chan_desc want;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (mmf__chan_slotted(MMF__CHAN_QUEUE, slots, slot_size, SLOTS_OFF, &want) < 0)
        return MMF_EINVAL;
    return attach(out, name, &want, role, disposition, opts);
}

int mmf_queue_open(mmf_queue **out, const char *name, int role,
                   const mmf_channel_opts *opts)
{
    return attach(out, name, NULL, role, 0, opts);
}

int mmf_queue_close(mmf_queue *qh)
{
    struct mmf_queue *q = handle(qh);

    if (q == NULL)
        return MMF_EBADF;
    if (q->held != 0) {
        if (q->ch.role == MMF_ROLE_PRODUCER)
            publish_n(q, q->held_pos, q->held, 0, 0); /* consumers skip them */
        else if (!q->keep)
            give_back_n(q, q->held_pos, q->held);
        /* else kept: the record names them, and is dead once detached */
    }
    mmf__chan_detach(&q->ch);
    q->magic = QUEUE_DEAD;
    free(q);
    return 0;
}

size_t mmf_queue_slot_size(const mmf_queue *qh)
{
    const struct mmf_queue *q = handle(qh);
    return q != NULL ? q->slot_size : 0;
}

/* A batch's most messages: what was asked for, at most one lap. */
static uint32_t batch_max(const struct mmf_queue *q, size_t n)
{
    return n < q->nslots ? (uint32_t)n : q->nslots;
}

/* ------------------------------------------------------------------------ */
/* Producer                                                                  */
/* ------------------------------------------------------------------------ */

int mmf_queue_reserve(mmf_queue *qh, void **ptr, long long timeout_ms)
{
    struct mmf_queue *q = handle(qh);
    uint64_t pos;
    uint32_t n;
    int rc;

    if (q == NULL)
        return MMF_EBADF;
    if (ptr == NULL)
        return MMF_EINVAL;
    if (q->ch.role != MMF_ROLE_PRODUCER || q->held != 0)
        return MMF_EINVAL;
    if ((rc = run(q, 0, 1, &pos, NULL, &n, timeout_ms)) < 0)
        return rc;
    q->held = 1;
    q->held_pos = pos;
    q->lens_set = 0;
    *ptr = data_of(slot_at(q, pos));
    return 0;
}

int mmf_queue_reserve_batch(mmf_queue *qh, mmf_msg *msgs, size_t n, long long timeout_ms)
{
    struct mmf_queue *q = handle(qh);
    uint64_t pos;
    uint32_t k;
    int rc;

    if (q == NULL)
        return MMF_EBADF;
    if (msgs == NULL || n == 0)
        return MMF_EINVAL;
    if (q->ch.role != MMF_ROLE_PRODUCER || q->held != 0)
        return MMF_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (msgs[i].len == 0 || msgs[i].len > q->slot_size)
            return MMF_EINVAL;
    }
    if ((rc = run(q, 0, batch_max(q, n), &pos, NULL, &k, timeout_ms)) < 0)
        return rc;
    /* The lengths go into the slots now: nobody reads them before the
     * commit stores the sequence. */
    for (uint32_t i = 0; i < k; i++) {
        struct qslot *s = slot_at(q, pos + i);
        mmf__store_relaxed(&s->len, (uint32_t)msgs[i].len);
        msgs[i].data = data_of(s);
    }
    q->held = k;
    q->held_pos = pos;
    q->lens_set = 1;
    return (int)k;
}

int mmf_queue_commit(mmf_queue *qh, size_t len)
{
    struct mmf_queue *q = handle(qh);

    if (q == NULL)
        return MMF_EBADF;
    if (q->ch.role != MMF_ROLE_PRODUCER || q->held != 1 || len == 0 || len > q->slot_size)
        return MMF_EINVAL;
    publish(q, q->held_pos, (uint32_t)len);
    q->held = 0;
    return mmf__chan_damaged(&q->ch) ? MMF_ECORRUPT : 0;
}

int mmf_queue_commit_batch(mmf_queue *qh, size_t k)
{
    struct mmf_queue *q = handle(qh);

    if (q == NULL)
        return MMF_EBADF;
    if (q->ch.role != MMF_ROLE_PRODUCER || q->held == 0 || k > q->held)
        return MMF_EINVAL;
    /* After mmf_queue_reserve() the message fills its slot. */
    publish_n(q, q->held_pos, q->held, q->lens_set ? KEEP_LEN : q->slot_size, (uint32_t)k);
    q->held = 0;
    return mmf__chan_damaged(&q->ch) ? MMF_ECORRUPT : 0;
}

int mmf_queue_send(mmf_queue *qh, const void *data, size_t len, long long timeout_ms)
{
    struct mmf_queue *q = handle(qh);
    uint64_t pos;
    uint32_t n;
    int rc;

    if (q == NULL)
        return MMF_EBADF;
    if (data == NULL)
        return MMF_EINVAL;
    if (q->ch.role != MMF_ROLE_PRODUCER || q->held != 0 || len == 0 || len > q->slot_size)
        return MMF_EINVAL;
    if ((rc = run(q, 0, 1, &pos, NULL, &n, timeout_ms)) < 0)
        return rc;
    memcpy(data_of(slot_at(q, pos)), data, len);
    publish(q, pos, (uint32_t)len);
    return mmf__chan_damaged(&q->ch) ? MMF_ECORRUPT : 0;
}

/* ------------------------------------------------------------------------ */
/* Consumer                                                                  */
/* ------------------------------------------------------------------------ */

int mmf_queue_peek(mmf_queue *qh, mmf_msg *msg, long long timeout_ms)
{
    int rc = mmf_queue_peek_batch(qh, msg, 1, timeout_ms);
    return rc < 0 ? rc : 0;
}

int mmf_queue_peek_batch(mmf_queue *qh, mmf_msg *msgs, size_t max, long long timeout_ms)
{
    struct mmf_queue *q = handle(qh);
    uint64_t pos;
    uint32_t len, k;
    int rc;

    if (q == NULL)
        return MMF_EBADF;
    if (msgs == NULL || max == 0)
        return MMF_EINVAL;
    if (q->ch.role != MMF_ROLE_CONSUMER || q->held != 0)
        return MMF_EINVAL;
    if ((rc = run(q, SIZE_MAX, batch_max(q, max), &pos, &len, &k, timeout_ms)) < 0)
        return rc;
    msgs[0].data = data_of(slot_at(q, pos));
    msgs[0].len = len;
    for (uint32_t i = 1; i < k; i++) {
        struct qslot *s = slot_at(q, pos + i);
        uint32_t l = mmf__load_relaxed(&s->len);
        if (l == 0 || l > q->slot_size) {
            /* Ours, and checked before the CAS: another's scribbling. */
            give_back_n(q, pos, k);
            return MMF_ECORRUPT;
        }
        msgs[i].data = data_of(s);
        msgs[i].len = l;
    }
    q->held = k;
    q->held_pos = pos;
    return mmf__chan_damaged(&q->ch) ? MMF_ECORRUPT : (int)k;
}

int mmf_queue_release(mmf_queue *qh)
{
    return mmf_queue_release_batch(qh, 1);
}

int mmf_queue_release_batch(mmf_queue *qh, size_t n)
{
    struct mmf_queue *q = handle(qh);

    if (q == NULL)
        return MMF_EBADF;
    if (q->ch.role != MMF_ROLE_CONSUMER || n > q->held)
        return MMF_EINVAL;
    if (n == 0)
        return 0;
    give_back_n(q, q->held_pos, (uint32_t)n);
    q->held -= (uint32_t)n;
    q->held_pos += n;
    return mmf__chan_damaged(&q->ch) ? MMF_ECORRUPT : 0;
}

/* ------------------------------------------------------------------------ */
/* After the fact                                                            */
/* ------------------------------------------------------------------------ */

int mmf_queue_held(const mmf_queue *qh, uint64_t *pos)
{
    const struct mmf_queue *q = handle(qh);

    if (q == NULL)
        return MMF_EBADF;
    if (pos == NULL || q->ch.role != MMF_ROLE_CONSUMER)
        return MMF_EINVAL;
    if (q->held != 0)
        *pos = q->held_pos;
    return (int)q->held;
}

int mmf_queue_committed(const mmf_queue *qh, uint64_t pos)
{
    const struct mmf_queue *q = handle(qh);
    struct qslot *s;
    uint64_t tail, seq;
    uint32_t len;

    if (q == NULL)
        return MMF_EBADF;
    tail = mmf__load_acquire(&q->q->tail);
    if (pos >= tail || tail - pos > q->nslots)
        return MMF_ERANGE; /* not reserved yet, or its slot reserved again */
    s = slot_at(q, pos);
    seq = seq_load(q, s, pos);
    if (seq == pos)
        return 0; /* reserved and not committed (yet, if its producer lives) */
    if (seq != pos + 1 && seq != pos + q->nslots) {
        if ((int64_t)(seq - (pos + q->nslots)) > 0)
            return MMF_ERANGE; /* reserved again since tail was read */
        return MMF_ECORRUPT;
    }
    /* Committed and not taken yet, or taken and given back: the length
     * tells a message (1 to slot_size) from a dropped or skipped position
     * (0), unless the slot's next lap was reserved meanwhile and its
     * producer stored a new length: look at tail again after the length. */
    len = mmf__load_relaxed(&s->len);
    mmf__fence();
    tail = mmf__load_acquire(&q->q->tail);
    if (tail - pos > q->nslots)
        return MMF_ERANGE;
    if (len > q->slot_size)
        return MMF_ECORRUPT;
    return len != 0;
}

int mmf_queue_recv(mmf_queue *qh, void *buf, size_t cap, size_t *len,
                   long long timeout_ms)
{
    struct mmf_queue *q = handle(qh);
    uint64_t pos;
    uint32_t l = 0, n;
    int rc;

    if (q == NULL)
        return MMF_EBADF;
    if (len == NULL || (buf == NULL && cap != 0))
        return MMF_EINVAL;
    if (q->ch.role != MMF_ROLE_CONSUMER || q->held != 0)
        return MMF_EINVAL;
    rc = run(q, cap, 1, &pos, &l, &n, timeout_ms);
    if (rc == MMF_EOVERFLOW)
        *len = l;
    if (rc < 0)
        return rc;
    memcpy(buf, data_of(slot_at(q, pos)), l);
    *len = l;
    give_back(q, pos);
    return mmf__chan_damaged(&q->ch) ? MMF_ECORRUPT : 0;
}
