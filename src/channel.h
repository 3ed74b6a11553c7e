/* SPDX-License-Identifier: MIT */
/*
 * channel.h - what the channel kinds (ring.c, queue.c, bcast.c) share: the
 * named object and its geometry, an endpoint's claim on its role, the
 * mappings, and spin-then-sleep waiting that notices a dead peer.
 *
 * LAYOUT OF A CHANNEL OBJECT
 *
 *   header page (object.h)  state[] holds struct mmf__chan_desc: the kind
 *                           and geometry, fixed at creation; then at
 *                           MMF__CHAN_LIVE_OFF struct mmf__chan_live,
 *                           what lasts exactly as long as the named object
 *   data offset 0           the control block, ctl_size bytes:
 *                           struct mmf__chan_ctl, then from offset
 *                           MMF__CHAN_CTL_OWN the kind's own positions and
 *                           counters (each side's on its own cache line),
 *                           all within the first MMF__CHAN_CTL_SIZE bytes
 *   data offset ctl_size    the area, area_size bytes: ring data or slots
 *
 * ctl_size is the OS's channel granule (backend.h, mmf__os_chan_granule)
 * when that is larger than MMF__CHAN_CTL_SIZE, so that the area starts at
 * an offset the OS can map, and a ring's capacity is a multiple of it so
 * that the area can be mapped twice: 4096 on Linux (the format every
 * Linux channel and persistent ring file has), 65536 on Windows
 * (MMF__CHAN_CTL_MAX). Every system accepts both sizes in a geometry it
 * reads (a persistent ring file made on the other system), as far as it
 * can map them.
 *
 * All-zero memory is a valid, empty channel of every kind, so a new
 * channel needs no initialisation that another process could see half
 * done. The control block repeats the geometry behind a magic, written by
 * the first endpoint to attach, so that the file of a persistent ring is
 * recognised and checked when a restarted process attaches to it.
 *
 * Shared memory holds offsets and free-running counters, never pointers,
 * so a channel works at any mapping address. Everything read from it is
 * validated before use (see docs/channels-guide.md, "Untrusted memory").
 *
 * ROLES AND PEERS
 *
 * Producers claim a slot in [MMF__CHAN_PROD_FIRST, +prod_max), consumers
 * in [MMF__CHAN_CONS_FIRST, +cons_max) (backend.h, "endpoint claims"): the
 * kernel drops a claim when its process dies. live->attached[] counts the
 * endpoints of each role that ever attached to this named object, so that
 * "gone" (attached once, none now) can be told from "not there yet". It
 * lives in the header page, not in the control block: a persistent ring
 * keeps its control block in its file across restarts, and the endpoints
 * of an earlier run must not make a restarted one think its peer is gone
 * before the peer had a chance to come back.
 *
 * PEER DEATH AS AN EVENT
 *
 * A sleeping waiter is woken by its peer's death, not only by its
 * publications: each claimed endpoint also holds a liveness word that the
 * kernel rings when the endpoint's process dies, and the waiter sleeps on
 * its word and its peers' at once (backend.h, "Peer death"; on Linux
 * src/linux/live.c). The words are not in the channel object: the Linux
 * backend keeps them in the channel's companion file (page 1 + claim
 * slot), so this layout and MMF__CHAN_VERSION are unchanged, and an
 * endpoint without a word (an older mmf) only makes its peers poll. A word
 * is a doorbell, never the truth: a wake-up only makes the waiter ask the
 * claims at once. No pointer is in shared memory: the robust-list entry a
 * word needs sits in a private page mapped right after the word's page.
 */
#ifndef MMF_CHANNEL_H
#define MMF_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "internal.h"

enum mmf__chan_kind {
    MMF__CHAN_RING = 1,
    MMF__CHAN_QUEUE = 2,
    MMF__CHAN_BCAST = 3
};

#define MMF__CHAN_VERSION 1u      /* queue, broadcast */
#define MMF__RING_VERSION 2u      /* ring: version 2 publishes each record
                                     by its 8-byte header (ring.c); a
                                     version 1 ring is refused */
#define MMF__CHAN_MAGIC UINT64_C(0x314e4148434d4d7f) /* "\x7fMMCHAN1" */
#define MMF__CHAN_CTL_SIZE 4096u    /* control block's fields; its least size */
#define MMF__CHAN_CTL_MAX 65536u    /* the largest control block: Windows' */
#define MMF__CHAN_CTL_OWN 128u      /* where a kind's own fields start */
#define MMF__CHAN_LINE 64u          /* cache line */

/* Claim slots of each role (see backend.h). */
#define MMF__CHAN_PROD_FIRST 0u
#define MMF__CHAN_CONS_FIRST 64u
#define MMF__CHAN_ROLE_MAX 64u

/* Geometry, in the header's state and again in the control block. */
struct mmf__chan_desc {
    uint32_t kind;       /* enum mmf__chan_kind */
    uint32_t version;    /* mmf__chan_version(kind) */
    uint32_t slots;      /* queue, broadcast: number of slots; ring: 0 */
    uint32_t slot_size;  /* queue, broadcast: largest message; ring: 0 */
    uint64_t ctl_size;   /* mmf__chan_ctl_size() of the creating system */
    uint64_t area_size;  /* bytes of the area (a page multiple) */
};

/* The control block size of a new channel on this system. */
static inline uint64_t mmf__chan_ctl_size(void)
{
    uint64_t g = mmf__os_chan_granule();
    return g > MMF__CHAN_CTL_SIZE ? g : MMF__CHAN_CTL_SIZE;
}

/* The layout version of a kind's geometry. */
static inline uint32_t mmf__chan_version(uint32_t kind)
{
    return kind == MMF__CHAN_RING ? MMF__RING_VERSION : MMF__CHAN_VERSION;
}

/* The start of every control block. */
struct mmf__chan_ctl {
    uint64_t magic;               /* 0 until the first attach */
    struct mmf__chan_desc desc;   /* copy of the geometry */
    uint32_t unused[2];           /* zero (version 1 counted endpoints
                                     here; see struct mmf__chan_live) */
    uint8_t reserved[MMF__CHAN_CTL_OWN - 48];
};

/* In the header page's state[], after the geometry: shared state that
 * lasts exactly as long as the named object (a new object, also one made
 * again for the file of a persistent ring, starts with zeros). */
#define MMF__CHAN_LIVE_OFF 64u
struct mmf__chan_live {
    uint32_t attached[2];   /* producers, consumers ever attached */
    uint32_t kind_word[6];  /* the kind's own (ring: recovery done) */
};

_Static_assert(sizeof(struct mmf__chan_desc) == 32, "desc layout");
_Static_assert(offsetof(struct mmf__chan_ctl, unused) == 40, "ctl layout");
_Static_assert(sizeof(struct mmf__chan_ctl) == MMF__CHAN_CTL_OWN, "ctl size");
_Static_assert(sizeof(struct mmf__chan_desc) <= MMF__CHAN_LIVE_OFF, "desc fits");
_Static_assert(MMF__CHAN_LIVE_OFF + sizeof(struct mmf__chan_live) <= MMF__STATE_BYTES,
               "live state fits");

/* What a kind tells the common code. */
struct mmf__chan_kind_info {
    uint32_t kind;
    uint32_t prod_max;   /* producers at once: 1 or MMF__CHAN_ROLE_MAX */
    uint32_t cons_max;   /* consumers at once: 0 (not tracked), 1 or more */
    int twice;           /* map the area twice, back to back (rings) */
    /* Check a kind's geometry; 0 or MMF_ECORRUPT. */
    int (*valid)(const struct mmf__chan_desc *d);
    /* For inspection: fill info's capacity, max_message, produced,
     * consumed and fill from a private copy of the kind's own part of the
     * control block (`own`, MMF__CHAN_CTL_SIZE - MMF__CHAN_CTL_OWN bytes),
     * for a geometry `d` that valid() accepted. Returns 0, or MMF_ECORRUPT
     * for positions that cannot be. */
    int (*describe)(const struct mmf__chan_desc *d, const void *own,
                    mmf_channel_info *info);
};

/*
 * Geometry of the slotted kinds (queue, broadcast): `slots` slots (a power
 * of two, 2 to 2^24) of a MMF__CHAN_SLOT_HDR-byte header and slot_size
 * bytes (1 to 2^24) padded to 8, after `prefix` bytes of the area.
 */
#define MMF__CHAN_SLOT_HDR 16u

/* Bytes from one slot to the next. */
static inline uint64_t mmf__chan_stride(uint32_t slot_size)
{
    return MMF__CHAN_SLOT_HDR + (((uint64_t)slot_size + 7) & ~UINT64_C(7));
}

/* Fill *d for a new slotted channel of `kind`. Returns 0, or MMF_EINVAL
 * when the geometry is out of range. */
int mmf__chan_slotted(uint32_t kind, uint32_t slots, uint32_t slot_size,
                      uint64_t prefix, struct mmf__chan_desc *d);

/* A kind's valid(): is d a geometry mmf__chan_slotted() makes? Returns 0
 * or MMF_ECORRUPT. */
int mmf__chan_slotted_valid(const struct mmf__chan_desc *d, uint64_t prefix);

/* The kinds (ring.c, queue.c, bcast.c). */
extern const struct mmf__chan_kind_info mmf__ring_kind;
extern const struct mmf__chan_kind_info mmf__queue_kind;
extern const struct mmf__chan_kind_info mmf__bcast_kind;

/*
 * Describe a channel for mmf_channel_stat() from what inspection read
 * without attaching: the validated header h, the first ctl_len bytes of
 * the control block (a private copy), and the bitmap of live claims.
 * Returns 0 (info->corrupt tells whether the control block made sense) or
 * MMF_ECORRUPT (the header's geometry is not a channel's).
 */
int mmf__chan_describe(const struct mmf__hdr *h, const void *ctl, size_t ctl_len,
                       const uint8_t *claims, mmf_channel_info *info);

/* One endpoint: process-private, trusted. */
struct mmf__chan {
    mmf__obj *obj;
    const struct mmf__chan_kind_info *info;
    struct mmf__chan_desc desc;  /* validated private copy */
    struct mmf__chan_ctl *ctl;   /* control block, ctl_size bytes */
    struct mmf__chan_live *live; /* in the live header page */
    uint8_t *area;               /* the area (twice over for rings) */
    intptr_t ctl_cookie, area_cookie;
    intptr_t claim;              /* -1 without a claim */
    intptr_t bell;               /* liveness word (backend.h), or -1 */
    uint32_t slot;               /* claimed slot */
    int role;                    /* MMF_ROLE_PRODUCER or MMF_ROLE_CONSUMER */
    unsigned flags;              /* MMF_CHANNEL_* */
    int persistent;              /* the area lives in a regular file */
    uint64_t peer_seen_ns;       /* when a peer was last seen alive */
};

/*
 * Attach to a channel. With `want` (create) the channel is created with
 * that geometry unless it exists (then, as with MMF_OPEN_OR_CREATE, the
 * existing one wins and MMF_EXISTED is returned); with `want` NULL it is
 * opened. Checks role, disposition, opts; validates the geometry; maps;
 * claims the role. Returns 0, MMF_EXISTED or a create/open error of mmf.h.
 */
int mmf__chan_attach(struct mmf__chan *c, const struct mmf__chan_kind_info *info,
                     const char *name, const struct mmf__chan_desc *want,
                     int role, int disposition, const mmf_channel_opts *opts);

/* Give up the claim, unmap, release the object. */
void mmf__chan_detach(struct mmf__chan *c);

/* The deadline of a timeout: 0 for "try" (timeout 0), MMF__NO_DEADLINE for
 * MMF_INFINITE. Returns 0 or MMF_EINVAL (bad timeout). */
int mmf__chan_deadline(long long timeout_ms, uint64_t *deadline);

/*
 * 1 if a mapping of the channel lost pages because another process shrank
 * its file (backend.h, mmf__os_damaged): every call then fails with
 * MMF_ECORRUPT. One load per mapping while the process saw no such loss.
 */
int mmf__chan_damaged(const struct mmf__chan *c);

/*
 * 1 if the other role's endpoints are gone (one attached once, none is
 * now), else 0. Asks the kernel at most once a millisecond: in between a
 * peer that was alive is taken to still be.
 */
int mmf__chan_peer_gone(struct mmf__chan *c);

/*
 * Wait until *word differs from `seen`: spin briefly (or until the
 * deadline with MMF_CHANNEL_BUSY_POLL), then sleep in the kernel, counting
 * this sleeper in *sleepers so that mmf__chan_wake() calls the kernel only
 * when someone sleeps. Asleep, it is also woken by a peer's death
 * (mmf__os_wait_peers) and then asks the claims; where some live peer
 * could die without waking it, the peer is checked every
 * MMF__CHAN_SLICE_NS instead. Either way a sleep lasts at most
 * MMF__CHAN_QUIET_NS, after which the claims and the mappings are looked
 * at again. `word` must change whenever the caller's condition may have
 * become true.
 *
 * Returns 0 (word changed; the caller re-checks its condition, as a
 * return may also be spurious), MMF_EAGAIN (deadline 0: no wait),
 * MMF_ETIMEDOUT, or MMF_EPIPE (the peer is gone: re-check the condition
 * once more before reporting it, since the peer may have published just
 * before it left).
 */
#define MMF__CHAN_SLICE_NS 10000000ull   /* 10 ms */
#define MMF__CHAN_QUIET_NS 100000000ull  /* 100 ms */
int mmf__chan_wait(struct mmf__chan *c, const uint32_t *word, uint32_t seen,
                   uint32_t *sleepers, uint64_t deadline);

/* The key of a word of c's control block for the backend's waits
 * (backend.h, mmf__os_wait_word): its offset there. */
static inline uint32_t mmf__chan_key(const struct mmf__chan *c, const uint32_t *word)
{
    return (uint32_t)((const uint8_t *)word - (const uint8_t *)c->ctl);
}

/* After changing *word, a word of c's control block: wake its sleepers if
 * there are any. The full fence pairs with the sleeper's increment of
 * *sleepers, so that either the sleeper sees the new word or the waker
 * sees the sleeper; every sleeper counts itself before it sleeps, so
 * waking as many as the counter says wakes them all (a forged counter
 * only costs wake-ups, or delays them to the sleeper's next look). */
static inline void mmf__chan_wake(const struct mmf__chan *c, const uint32_t *word,
                                  uint32_t *sleepers)
{
    uint32_t n;

    mmf__fence();
    n = mmf__load_relaxed(sleepers);
    if (n != 0)
        mmf__os_wake_word(c->obj, mmf__chan_key(c, word), word,
                          n > INT32_MAX ? INT32_MAX : (int)n);
}

/* Write [addr, addr + len) of the channel's mappings (control block or
 * area) to stable storage; a no-op for channels in memory. Returns 0 or
 * MMF_EIO. */
int mmf__chan_flush(struct mmf__chan *c, const void *addr, size_t len);

/* The kind's own fields of the control block. */
static inline void *mmf__chan_own(const struct mmf__chan *c)
{
    return (uint8_t *)c->ctl + MMF__CHAN_CTL_OWN;
}

#endif
