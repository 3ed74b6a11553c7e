/* SPDX-License-Identifier: MIT */
/*
 * bcast.c - the broadcast channel: one producer, any number of readers,
 * each reading every message at its own pace from a private position; the
 * producer never waits and overwrites the oldest message (mmf.h,
 * "Broadcast").
 *
 * THE ALGORITHM
 *
 * Message m (counting from 0) goes to slot m % slots. Each slot is guarded
 * by a seqlock: the producer stores seq = 2m + 1 (odd: being written),
 * fills the slot, then stores seq = 2m + 2, and only then head = m + 1.
 * All-zero memory is the empty channel (seq 0: never written).
 *
 * A reader at position pos < head reads seq, copies the message, and reads
 * seq again: if both are 2pos + 2 the copy is whole; otherwise the
 * producer lapped it and message pos is lost. A reader more than `slots`
 * behind jumps to the oldest message that can still be there. Each failed
 * copy moves the reader forward, so a reader cannot loop without
 * progress; after several in a row it jumps to the newest message, which
 * the producer will not touch for a whole lap.
 *
 * Readers hold no claims (there may be any number of them) and write
 * nothing shared but the sleeper count; the producer holds the single
 * producer claim, through which readers learn that it died.
 *
 * WAITING
 *
 * Readers wait on `word`, which the producer sets to the low bits of head
 * after every message (a plain store: there is one producer), and wake
 * only if someone sleeps (mmf__chan_wake).
 *
 * SHARED MEMORY IS UNTRUSTED
 *
 * Slots are addressed as position & mask; a sequence that is not one the
 * slot can hold given head, a head that moves backwards past a reader and
 * a length of 0 or above the slot size that the seqlock confirms are
 * MMF_ECORRUPT.
 */
#include <stdlib.h>
#include <string.h>

#include "channel.h"

#define BCAST_MAGIC 0x42434153u /* "BCAS" */
#define BCAST_DEAD 0xdead0bcau

/* Failed copies in a row after which a reader jumps to the newest message. */
#define LAPPED_MAX 8

/* The channel's own part of the control block (at MMF__CHAN_CTL_OWN). */
struct bctl {
    uint64_t head;       /* messages published */
    uint32_t word;       /* (uint32_t)head, for waiting readers */
    uint8_t pad0[52];
    uint32_t sleepers;   /* readers asleep on word */
    uint8_t pad1[60];
};

_Static_assert(offsetof(struct bctl, sleepers) == MMF__CHAN_LINE, "bctl layout");
_Static_assert(MMF__CHAN_CTL_OWN + sizeof(struct bctl) <= MMF__CHAN_CTL_SIZE, "bctl fits");

/* A slot: this header, then slot_size bytes padded to 8. */
struct bslot {
    uint64_t seq;   /* 2m + 1 while message m is written, 2m + 2 once done */
    uint32_t len;
    uint32_t spare;
};

#define SLOT_HDR MMF__CHAN_SLOT_HDR
_Static_assert(sizeof(struct bslot) == SLOT_HDR, "bslot layout");

struct mmf_bcast {
    uint32_t magic;
    struct mmf__chan ch;
    struct bctl *b;
    uint8_t *slots;
    uint64_t mask;
    size_t stride;
    uint32_t nslots, slot_size;
    uint64_t pos;    /* producer: the next message; reader: the next to read */
};

/* ------------------------------------------------------------------------ */
/* Geometry                                                                  */
/* ------------------------------------------------------------------------ */

static int bcast_valid(const struct mmf__chan_desc *d)
{
    return mmf__chan_slotted_valid(d, 0);
}

/* One producer; readers are not claimed (cons_max 0). */
/* Inspection (channel.h). */
static int bcast_describe(const struct mmf__chan_desc *d, const void *own,
                          mmf_channel_info *info)
{
    const struct bctl *c = own;

    info->capacity = d->slots;
    info->max_message = d->slot_size;
    info->produced = c->head;
    info->fill = c->head < d->slots ? c->head : d->slots;
    info->consumed = c->head - info->fill; /* the oldest message held */
    return 0;
}

const struct mmf__chan_kind_info mmf__bcast_kind = {
    MMF__CHAN_BCAST, 1, 0, 0, bcast_valid, bcast_describe};

static struct bslot *slot_at(const struct mmf_bcast *b, uint64_t pos)
{
    return (struct bslot *)(b->slots + (size_t)(pos & b->mask) * b->stride);
}

/* ------------------------------------------------------------------------ */
/* Copying under a seqlock                                                   */
/* ------------------------------------------------------------------------ */

/*
 * The producer writes a slot while readers may be copying it; a reader
 * that raced finds out from the sequence and throws its copy away (the
 * seqlock pattern). The C memory model calls such a copy a data race even
 * so, and ThreadSanitizer reports it; its builds copy with relaxed atomic
 * words, which say exactly what is meant. Other builds use memcpy, as
 * seqlocks in C commonly do: the fences around the copy keep it in place.
 */
#if defined(__SANITIZE_THREAD__)
#define RACY_WORDS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RACY_WORDS 1
#endif
#endif

/* Copy len bytes into a slot's data (8-byte aligned; padded to 8). */
static void copy_in(uint8_t *dst, const void *src, size_t len)
{
#ifdef RACY_WORDS
    const uint8_t *s = src;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = 0;
        memcpy(&w, s + i, len - i < 8 ? len - i : 8);
        mmf__store_relaxed((uint64_t *)(void *)(dst + i), w);
    }
#else
    memcpy(dst, src, len);
#endif
}

/* Copy len bytes out of a slot's data. */
static void copy_out(void *dst, const uint8_t *src, size_t len)
{
#ifdef RACY_WORDS
    uint8_t *d = dst;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = mmf__load_relaxed((const uint64_t *)(const void *)(src + i));
        memcpy(d + i, &w, len - i < 8 ? len - i : 8);
    }
#else
    memcpy(dst, src, len);
#endif
}

/* ------------------------------------------------------------------------ */
/* Create, open, close                                                       */
/* ------------------------------------------------------------------------ */

/* The endpoint behind a handle; NULL for NULL or a closed handle. */
static struct mmf_bcast *handle(const mmf_bcast *b)
{
    if (b == NULL || b->magic != BCAST_MAGIC)
        return NULL;
    return (struct mmf_bcast *)b;
}

static int attach(mmf_bcast **out, const char *name, const struct mmf__chan_desc *want,
                  int role, int disposition, const mmf_channel_opts *opts)
{
    struct mmf_bcast *b;
    int rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (opts != NULL && opts->path != NULL)
        return MMF_EINVAL; /* only rings can live in a file */
    b = calloc(1, sizeof *b);
    if (b == NULL)
        return MMF_ENOMEM;
    rc = mmf__chan_attach(&b->ch, &mmf__bcast_kind, name, want, role, disposition, opts);
    if (rc < 0) {
        free(b);
        return rc;
    }
    b->b = mmf__chan_own(&b->ch);
    b->slots = b->ch.area;
    b->nslots = b->ch.desc.slots;
    b->slot_size = b->ch.desc.slot_size;
    b->mask = b->nslots - 1;
    b->stride = (size_t)mmf__chan_stride(b->slot_size);
    /* A producer continues the count of a dead one (rewriting a message
     * it left half written); a reader starts at the next message. */
    b->pos = mmf__load_acquire(&b->b->head);
    b->magic = BCAST_MAGIC;
    *out = b;
    return rc;
}

int mmf_bcast_create(mmf_bcast **out, const char *name, uint32_t slots,
                     uint32_t slot_size, int role, int disposition,
                     const mmf_channel_opts *opts)
{
    struct mmf__chan_desc want;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (mmf__chan_slotted(MMF__CHAN_BCAST, slots, slot_size, 0, &want) < 0)
        return MMF_EINVAL;
    return attach(out, name, &want, role, disposition, opts);
}

int mmf_bcast_open(mmf_bcast **out, const char *name, int role,
                   const mmf_channel_opts *opts)
{
    return attach(out, name, NULL, role, 0, opts);
}

int mmf_bcast_close(mmf_bcast *bh)
{
    struct mmf_bcast *b = handle(bh);
    if (b == NULL)
        return MMF_EBADF;
    mmf__chan_detach(&b->ch);
    b->magic = BCAST_DEAD;
    free(b);
    return 0;
}

size_t mmf_bcast_slot_size(const mmf_bcast *bh)
{
    const struct mmf_bcast *b = handle(bh);
    return b != NULL ? b->slot_size : 0;
}

/* ------------------------------------------------------------------------ */
/* Producer                                                                  */
/* ------------------------------------------------------------------------ */

int mmf_bcast_send(mmf_bcast *bh, const void *data, size_t len)
{
    struct mmf_bcast *b = handle(bh);
    struct bslot *s;
    uint64_t m;

    if (b == NULL)
        return MMF_EBADF;
    if (data == NULL)
        return MMF_EINVAL;
    if (b->ch.role != MMF_ROLE_PRODUCER || len == 0 || len > b->slot_size)
        return MMF_EINVAL;
    if (mmf__chan_damaged(&b->ch))
        return MMF_ECORRUPT;
    m = b->pos;
    s = slot_at(b, m);
    mmf__store_relaxed(&s->seq, 2 * m + 1);
    mmf__fence_release();
    copy_in((uint8_t *)s + SLOT_HDR, data, len);
    mmf__store_relaxed(&s->len, (uint32_t)len);
    mmf__store_release(&s->seq, 2 * m + 2);
    mmf__store_release(&b->b->head, m + 1);
    mmf__store_release(&b->b->word, (uint32_t)(m + 1));
    b->pos = m + 1;
    mmf__chan_wake(&b->ch, &b->b->word, &b->b->sleepers);
    return mmf__chan_damaged(&b->ch) ? MMF_ECORRUPT : 0;
}

/* ------------------------------------------------------------------------ */
/* Readers                                                                   */
/* ------------------------------------------------------------------------ */

/* The message a slot's sequence says it holds (or is being written). */
static uint64_t msg_of(uint64_t seq)
{
    return (seq - 1) / 2;
}

int mmf_bcast_recv(mmf_bcast *bh, void *buf, size_t cap, size_t *len,
                   uint64_t *lost, long long timeout_ms)
{
    struct mmf_bcast *b = handle(bh);
    struct bctl *c;
    uint64_t deadline, skipped = 0;
    int rc, gone = 0, lapped = 0, rounds = 0;

    if (b == NULL)
        return MMF_EBADF;
    if (len == NULL || (buf == NULL && cap != 0))
        return MMF_EINVAL;
    if (b->ch.role != MMF_ROLE_CONSUMER)
        return MMF_EINVAL;
    if ((rc = mmf__chan_deadline(timeout_ms, &deadline)) < 0)
        return rc;
    c = b->b;
    for (;;) {
        uint32_t seen = mmf__load_acquire(&c->word);
        uint64_t head = mmf__load_acquire(&c->head);
        uint64_t pos = b->pos, want, s1, s2, h2;
        struct bslot *s;
        uint32_t l;

        if (mmf__chan_damaged(&b->ch)) {
            rc = MMF_ECORRUPT;
            break;
        }
        if (head == pos) {
            if (gone) {
                rc = MMF_EPIPE; /* drained, and the producer is gone */
                break;
            }
            rc = mmf__chan_wait(&b->ch, &c->word, seen, &c->sleepers, deadline);
            if (rc == MMF_EPIPE) {
                gone = 1; /* look once more: it may have sent as it left */
                continue;
            }
            if (rc < 0)
                break;
            continue;
        }
        if (head < pos) {
            rc = MMF_ECORRUPT; /* the count went back past this reader */
            break;
        }
        if (head - pos > b->nslots || lapped >= LAPPED_MAX) {
            /* Overwritten: skip to the oldest message that can still be
             * there or, after failing to copy several, to the newest. A
             * producer (or a writer of the shared state) that keeps
             * overwriting whatever we try to copy must not keep us here
             * past the deadline. */
            uint64_t to = lapped >= LAPPED_MAX ? head - 1 : head - b->nslots;
            if (lapped >= LAPPED_MAX && ++rounds > 1 && deadline != MMF__NO_DEADLINE &&
                (deadline == 0 || mmf__os_now_ns() >= deadline)) {
                rc = deadline == 0 ? MMF_EAGAIN : MMF_ETIMEDOUT;
                break;
            }
            if (to > pos) {
                skipped += to - pos;
                b->pos = pos = to;
            }
            lapped = 0;
        }
        s = slot_at(b, pos);
        want = 2 * pos + 2;
        s1 = mmf__load_acquire(&s->seq);
        if (s1 != want) {
            /* head > pos, so message pos was complete (its seq was stored
             * before head): a different seq must be a later message of
             * this slot that the producer has started. */
            h2 = mmf__load_acquire(&c->head);
            if (s1 < want || (msg_of(s1) & b->mask) != (pos & b->mask) ||
                msg_of(s1) > h2) {
                b->pos = pos + 1; /* the message is gone either way */
                rc = MMF_ECORRUPT;
                break;
            }
            skipped++;
            b->pos = pos + 1;
            lapped++;
            continue;
        }
        l = mmf__load_relaxed(&s->len);
        if (l != 0 && l <= b->slot_size && l <= cap)
            copy_out(buf, (const uint8_t *)s + SLOT_HDR, l);
        mmf__fence_acquire();
        s2 = mmf__load_relaxed(&s->seq);
        if (s2 != s1) {
            skipped++; /* overwritten while we copied */
            b->pos = pos + 1;
            lapped++;
            continue;
        }
        b->pos = pos + 1;
        if (l == 0 || l > b->slot_size) {
            rc = MMF_ECORRUPT;
            break;
        }
        *len = l;
        rc = l <= cap ? 0 : MMF_EOVERFLOW; /* too long: skipped */
        break;
    }
    if (lost != NULL)
        *lost = skipped;
    return rc == 0 && mmf__chan_damaged(&b->ch) ? MMF_ECORRUPT : rc;
}
