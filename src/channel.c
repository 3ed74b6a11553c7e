/* SPDX-License-Identifier: MIT */
/*
 * channel.c - the parts every channel kind shares (see channel.h): attach
 * and detach, geometry checks, and waiting.
 */
#include <stdlib.h>
#include <string.h>

#include "channel.h"

/* Spin this long before sleeping: long enough to catch a peer that answers
 * at once (a round trip between two cores is a few microseconds), short
 * enough not to matter to a sleeping wait. */
#define SPIN_NS 20000ull
/* Ask the kernel whether the peer lives at most this often. */
#define PEER_CHECK_NS 1000000ull
#define NS_PER_MS 1000000ull

int mmf__chan_deadline(long long timeout_ms, uint64_t *deadline)
{
    if (timeout_ms == MMF_INFINITE) {
        *deadline = MMF__NO_DEADLINE;
        return 0;
    }
    if (timeout_ms < 0 || timeout_ms > MMF_TIMEOUT_MAX)
        return MMF_EINVAL;
    *deadline = timeout_ms == 0 ? 0 : mmf__os_now_ns() + (uint64_t)timeout_ms * NS_PER_MS;
    return 0;
}

/* The claim range of a role. */
static void role_range(const struct mmf__chan *c, int role, uint32_t *first,
                       uint32_t *count)
{
    if (role == MMF_ROLE_PRODUCER) {
        *first = MMF__CHAN_PROD_FIRST;
        *count = c->info->prod_max;
    } else {
        *first = MMF__CHAN_CONS_FIRST;
        *count = c->info->cons_max;
    }
}

int mmf__chan_damaged(const struct mmf__chan *c)
{
    /* live is inside the header page, a mapping of its own. */
    uintptr_t page = mmf__os_page_size();
    /* Every operation starts here: an endpoint whose arming thread ended
     * arms its liveness word again for the thread that uses it now. */
    mmf__os_live_arm(c->bell);
    return mmf__os_damaged(c->ctl) || mmf__os_damaged(c->area) ||
           mmf__os_damaged((const void *)((uintptr_t)c->live & ~(page - 1)));
}

int mmf__chan_peer_gone(struct mmf__chan *c)
{
    int peer = c->role == MMF_ROLE_PRODUCER ? MMF_ROLE_CONSUMER : MMF_ROLE_PRODUCER;
    uint32_t first, count;
    uint64_t now;
    int rc;

    role_range(c, peer, &first, &count);
    if (count == 0)
        return 0; /* this kind does not track that role */
    now = mmf__os_now_ns();
    if (now - c->peer_seen_ns < PEER_CHECK_NS)
        return 0;
    if (mmf__load_acquire(&c->live->attached[peer - 1]) == 0) {
        c->peer_seen_ns = now; /* none yet: not gone */
        return 0;
    }
    rc = mmf__os_claimed(c->obj, first, count);
    if (rc == 0)
        return 1;
    /* Alive, or the kernel could not say: take it as alive, and wait. */
    c->peer_seen_ns = now;
    return 0;
}

/* Wake-ups by peers' words in a second after which a wait stops listening
 * to them until the second is over: a process that keeps forging them
 * only brings back the slices. */
#define RINGS_MAX 64u
#define RINGS_WINDOW_NS 1000000000ull

int mmf__chan_wait(struct mmf__chan *c, const uint32_t *word, uint32_t seen,
                   uint32_t *sleepers, uint64_t deadline)
{
    int busy = (c->flags & MMF_CHANNEL_BUSY_POLL) != 0;
    int peer = c->role == MMF_ROLE_PRODUCER ? MMF_ROLE_CONSUMER : MMF_ROLE_PRODUCER;
    uint32_t first, count;
    unsigned rings = 0;
    uint64_t start, now, window = 0;

    if (mmf__chan_damaged(c))
        return MMF_ECORRUPT;
    /* A word that changed sends the caller back to its condition. A
     * process that keeps changing the word without making the condition
     * true must not keep a timed call going past its deadline, so a
     * finite deadline is looked at even then. */
    if (mmf__load_acquire(word) != seen)
        return deadline != MMF__NO_DEADLINE && mmf__os_now_ns() >= deadline
                   ? (deadline == 0 ? MMF_EAGAIN : MMF_ETIMEDOUT) : 0;
    if (deadline == 0)
        return mmf__chan_peer_gone(c) ? MMF_EPIPE : MMF_EAGAIN;

    /* Spin, looking at the clock every 64 rounds. */
    start = mmf__os_now_ns();
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (mmf__load_acquire(word) != seen)
                return 0;
            mmf__cpu_relax();
        }
        now = mmf__os_now_ns();
        if (mmf__chan_peer_gone(c))
            return MMF_EPIPE;
        if (now >= deadline)
            return MMF_ETIMEDOUT;
        if (!busy && now - start >= SPIN_NS)
            break;
    }

    /* Sleep until the word changes or a peer's liveness word rings (a
     * dying peer wakes us), but at most MMF__CHAN_QUIET_NS, so that a
     * truncated file is noticed (a sleeper on a page that was replaced is
     * woken by nobody). Where a peer could die without waking us, sleep in
     * slices and ask the claims after each. */
    role_range(c, peer, &first, &count);
    for (;;) {
        uint64_t until;
        int rc = MMF_ENOTSUP;

        if (mmf__chan_damaged(c))
            return MMF_ECORRUPT;
        if (mmf__chan_peer_gone(c))
            return MMF_EPIPE;
        now = mmf__os_now_ns();
        if (now >= deadline)
            return MMF_ETIMEDOUT;
        mmf__fetch_add(sleepers, 1); /* paired with wake's fence */
        mmf__fence_after_rmw(); /* the RMW alone does not order the load after it */
        if (mmf__load_acquire(word) == seen) {
            if (rings != 0 && now - window >= RINGS_WINDOW_NS)
                rings = 0;
            if (c->bell >= 0 && rings < RINGS_MAX) {
                until = deadline - now > MMF__CHAN_QUIET_NS ? now + MMF__CHAN_QUIET_NS
                                                             : deadline;
                rc = mmf__os_wait_peers(c->obj, c->bell, mmf__chan_key(c, word), word,
                                        seen, first, count,
                                        count > 0 && mmf__load_acquire(
                                                         &c->live->attached[peer - 1]) != 0,
                                        until);
            }
            if (rc == MMF_ENOTSUP) {
                until = deadline - now > MMF__CHAN_SLICE_NS ? now + MMF__CHAN_SLICE_NS
                                                             : deadline;
                mmf__os_wait_word(c->obj, mmf__chan_key(c, word), word, seen, until);
            }
        }
        mmf__fetch_sub(sleepers, 1);
        if (rc == 1) {
            if (rings++ == 0)
                window = now;
            c->peer_seen_ns = 0; /* ask the claims now */
        }
        if (mmf__load_acquire(word) != seen)
            return 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Slotted geometry                                                          */
/* ------------------------------------------------------------------------ */

#define MIN_SLOTS 2u
#define MAX_SLOTS (1u << 24)
#define MAX_SLOT_SIZE (1u << 24)
#define MAX_SLOT_BYTES (UINT64_C(1) << 40)

int mmf__chan_slotted(uint32_t kind, uint32_t slots, uint32_t slot_size,
                      uint64_t prefix, struct mmf__chan_desc *d)
{
    uint64_t page = mmf__os_page_size(), n;

    if (slots < MIN_SLOTS || slots > MAX_SLOTS || (slots & (slots - 1)) != 0 ||
        slot_size < 1 || slot_size > MAX_SLOT_SIZE ||
        (uint64_t)slots * mmf__chan_stride(slot_size) > MAX_SLOT_BYTES)
        return MMF_EINVAL;
    n = prefix + (uint64_t)slots * mmf__chan_stride(slot_size);
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->version = MMF__CHAN_VERSION;
    d->slots = slots;
    d->slot_size = slot_size;
    d->ctl_size = mmf__chan_ctl_size();
    d->area_size = (n + page - 1) / page * page;
    return 0;
}

int mmf__chan_slotted_valid(const struct mmf__chan_desc *d, uint64_t prefix)
{
    struct mmf__chan_desc want;

    if (mmf__chan_slotted(d->kind, d->slots, d->slot_size, prefix, &want) < 0 ||
        want.area_size != d->area_size)
        return MMF_ECORRUPT;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Attach and detach                                                         */
/* ------------------------------------------------------------------------ */

/* The common checks of a geometry; then the kind's own. A control block
 * of either system's size is fine (channel.h): whether it can be mapped
 * here is the mapping's answer. */
static int desc_valid(const struct mmf__chan_kind_info *info,
                      const struct mmf__chan_desc *d)
{
    uint64_t page = mmf__os_page_size();
    if (d->version != mmf__chan_version(d->kind) ||
        (d->ctl_size != MMF__CHAN_CTL_SIZE && d->ctl_size != MMF__CHAN_CTL_MAX &&
         d->ctl_size != mmf__chan_ctl_size()) ||
        d->area_size == 0 || d->area_size % page != 0 ||
        d->area_size > (UINT64_C(1) << 41))
        return MMF_ECORRUPT;
    return info->valid(d);
}

/* Read a persistent ring's file: the geometry it holds (*have 1), or none
 * for a new or empty file (*have 0). A file holding something else is not
 * ours to overwrite. */
static int file_desc(const struct mmf__chan_kind_info *info, mmf__file fd,
                     const struct mmf__chan_desc *want,
                     struct mmf__chan_desc *d, int *have)
{
    struct mmf__chan_ctl ctl;
    long n = mmf__os_file_read(fd, 0, &ctl, sizeof ctl);

    *have = 0;
    if (n < 0)
        return (int)n;
    if (n == 0)
        return 0;
    if ((size_t)n == sizeof ctl && ctl.magic == MMF__CHAN_MAGIC) {
        if (ctl.desc.kind != info->kind)
            return MMF_ETYPE;
        if (desc_valid(info, &ctl.desc) < 0)
            return MMF_ECORRUPT;
        *d = ctl.desc;
        *have = 1;
        return 0;
    }
    /* A file that a first attach grew but died before marking: all zero
     * where the magic goes, and exactly the size we would make. */
    if ((size_t)n == sizeof ctl && ctl.magic == 0 && want != NULL) {
        char probe[1];
        if (mmf__os_file_read(fd, want->ctl_size + want->area_size, probe, 1) == 0 &&
            mmf__os_file_read(fd, want->ctl_size + want->area_size - 1, probe, 1) == 1)
            return 0;
    }
    return MMF_ECORRUPT;
}

/* Create or open the object; *rc_out gets 0 or MMF_EXISTED. */
static int get_object(struct mmf__chan *c, const struct mmf__name *nm,
                      const struct mmf__chan_desc *want, int disposition,
                      const mmf_channel_opts *opts)
{
    const unsigned access = MMF_ACCESS_READ | MMF_ACCESS_WRITE;
    struct mmf__chan_desc d;
    struct mmf__spec spec;
    mmf__file fd = MMF__NO_FILE;
    int rc;

    if (want == NULL)
        return mmf__os_obj_open(nm, MMF__TYPE_CHANNEL, access, &c->obj);

    d = *want;
    memset(&spec, 0, sizeof spec);
    spec.type = MMF__TYPE_CHANNEL;
    spec.prot = MMF_PROT_READ | MMF_PROT_WRITE;
    spec.mode = opts->mode;
    spec.file = MMF__NO_FILE;
    if (opts->path != NULL) {
        int have;
        uint64_t size;

        if (opts->path[0] == '\0')
            return MMF_EINVAL;
        if ((rc = mmf__os_file_create(opts->path, opts->mode, &fd)) < 0)
            return rc;
        if ((rc = file_desc(c->info, fd, want, &d, &have)) < 0)
            goto out;
        size = d.ctl_size + d.area_size;
        if ((rc = mmf__os_file_prepare(fd, spec.prot, &size)) < 0)
            goto out;
        spec.file = fd;
    }
    spec.size = d.ctl_size + d.area_size;
    spec.state = &d;
    spec.state_len = sizeof d;
    rc = mmf__os_obj_create(nm, &spec, disposition, access, &c->obj);
out:
    if (fd != MMF__NO_FILE)
        mmf__os_file_close(fd);
    return rc;
}

/* Mark a new control block, or check an existing one against the geometry.
 * Several first endpoints may mark it at once: they store the same values. */
static int ctl_check(struct mmf__chan *c)
{
    struct mmf__chan_ctl *ctl = c->ctl;
    uint64_t magic = mmf__load_acquire(&ctl->magic);

    if (magic == 0) {
        mmf__store_relaxed(&ctl->desc.kind, c->desc.kind);
        mmf__store_relaxed(&ctl->desc.version, c->desc.version);
        mmf__store_relaxed(&ctl->desc.slots, c->desc.slots);
        mmf__store_relaxed(&ctl->desc.slot_size, c->desc.slot_size);
        mmf__store_relaxed(&ctl->desc.ctl_size, c->desc.ctl_size);
        mmf__store_relaxed(&ctl->desc.area_size, c->desc.area_size);
        mmf__store_release(&ctl->magic, MMF__CHAN_MAGIC);
        return 0;
    }
    if (magic != MMF__CHAN_MAGIC ||
        mmf__load_relaxed(&ctl->desc.kind) != c->desc.kind ||
        mmf__load_relaxed(&ctl->desc.version) != c->desc.version ||
        mmf__load_relaxed(&ctl->desc.slots) != c->desc.slots ||
        mmf__load_relaxed(&ctl->desc.slot_size) != c->desc.slot_size ||
        mmf__load_relaxed(&ctl->desc.ctl_size) != c->desc.ctl_size ||
        mmf__load_relaxed(&ctl->desc.area_size) != c->desc.area_size)
        return MMF_ECORRUPT;
    return 0;
}

int mmf__chan_attach(struct mmf__chan *c, const struct mmf__chan_kind_info *info,
                     const char *name, const struct mmf__chan_desc *want,
                     int role, int disposition, const mmf_channel_opts *opts)
{
    static const mmf_channel_opts defaults = {0, 0, NULL};
    const unsigned all_flags = MMF_CHANNEL_BUSY_POLL | MMF_CHANNEL_REDELIVER | MMF_GLOBAL;
    const struct mmf__hdr *h;
    struct mmf__name *nm;
    uint32_t first, count;
    int rc, how;

    memset(c, 0, sizeof *c);
    c->info = info;
    c->claim = -1;
    c->bell = -1;
    c->ctl_cookie = c->area_cookie = -1;
    if (opts == NULL)
        opts = &defaults;
    if ((role != MMF_ROLE_PRODUCER && role != MMF_ROLE_CONSUMER) ||
        (opts->flags & ~all_flags) || opts->mode > 0777)
        return MMF_EINVAL;
    if ((opts->flags & MMF_CHANNEL_REDELIVER) &&
        (info->kind != MMF__CHAN_QUEUE || role != MMF_ROLE_CONSUMER))
        return MMF_EINVAL; /* only a queue consumer has messages to keep */
    if (want != NULL && disposition != MMF_CREATE_NEW &&
        disposition != MMF_OPEN_OR_CREATE)
        return MMF_EINVAL;
    /* An unnamed channel could never get its other endpoint. */
    if (name == NULL || name[0] == '\0')
        return MMF_EINVAL;
    c->role = role;
    c->flags = opts->flags;

    nm = malloc(sizeof *nm);
    if (nm == NULL)
        return MMF_ENOMEM;
    rc = mmf__name_parse(name, (opts->flags & MMF_GLOBAL) != 0, nm);
    if (rc == 0)
        rc = get_object(c, nm, want, disposition, opts);
    free(nm);
    if (rc < 0)
        return rc;
    how = rc; /* 0 or MMF_EXISTED */

    /* The geometry from the validated header copy: a process that scribbles
     * on the header later cannot change what this endpoint uses. */
    h = mmf__os_obj_hdr(c->obj);
    memcpy(&c->desc, h->state, sizeof c->desc);
    c->persistent = (h->flags & MMF__HF_FILE) != 0;
    if (c->desc.kind != info->kind) {
        rc = c->desc.kind >= MMF__CHAN_RING && c->desc.kind <= MMF__CHAN_BCAST
                 ? MMF_ETYPE : MMF_ECORRUPT;
        goto fail;
    }
    if ((rc = desc_valid(info, &c->desc)) < 0)
        goto fail;
    if (h->size < c->desc.ctl_size + c->desc.area_size ||
        c->desc.area_size > SIZE_MAX / 2) {
        rc = MMF_ECORRUPT;
        goto fail;
    }

    rc = mmf__os_map(c->obj, 0, (size_t)c->desc.ctl_size, MMF_MAP_WRITE, 0, NULL, 0,
                     (void **)&c->ctl, &c->ctl_cookie);
    if (rc < 0)
        goto fail;
    if (info->twice)
        rc = mmf__os_map_twice(c->obj, c->desc.ctl_size, (size_t)c->desc.area_size,
                               (void **)&c->area, &c->area_cookie);
    else
        rc = mmf__os_map(c->obj, c->desc.ctl_size, (size_t)c->desc.area_size,
                         MMF_MAP_WRITE, 0, NULL, 0, (void **)&c->area, &c->area_cookie);
    if (rc < 0)
        goto fail;
    if ((rc = ctl_check(c)) < 0)
        goto fail;
    /* The live state, in the header page (mapped for as long as obj). */
    {
        struct mmf__hdr *live = mmf__os_obj_shared_hdr(c->obj);
        if (live == NULL) {
            rc = MMF_ENOMEM;
            goto fail;
        }
        c->live = (struct mmf__chan_live *)(void *)(live->state + MMF__CHAN_LIVE_OFF);
    }

    role_range(c, role, &first, &count);
    if (count > 0 &&
        (rc = mmf__os_claim(c->obj, first, count, &c->slot, &c->claim)) < 0)
        goto fail;
    /* Without a liveness word the endpoint's death is still seen, later:
     * its peers ask the claims every MMF__CHAN_SLICE_NS. */
    if (mmf__os_live_open(c->obj, count > 0 ? c->slot : MMF__LIVE_NONE, &c->bell) < 0)
        c->bell = -1;
    mmf__fetch_add(&c->live->attached[role - 1], 1);
    return how;

fail:
    mmf__chan_detach(c);
    return rc;
}

void mmf__chan_detach(struct mmf__chan *c)
{
    mmf__os_live_close(c->bell); /* before the slot can be someone else's */
    c->bell = -1;
    if (c->claim >= 0)
        mmf__os_unclaim(c->claim);
    if (c->area != NULL)
        mmf__os_unmap(c->area, (size_t)c->desc.area_size * (c->info->twice ? 2 : 1),
                      c->area_cookie);
    if (c->ctl != NULL)
        mmf__os_unmap(c->ctl, (size_t)c->desc.ctl_size, c->ctl_cookie);
    if (c->obj != NULL)
        mmf__os_obj_close(c->obj);
    c->claim = -1;
    c->area = NULL;
    c->ctl = NULL;
    c->live = NULL;
    c->obj = NULL;
}

int mmf__chan_flush(struct mmf__chan *c, const void *addr, size_t len)
{
    const uint8_t *p = addr;
    const uint8_t *ctl = (const uint8_t *)c->ctl;
    size_t page = mmf__os_page_size();
    uintptr_t lo, hi;
    intptr_t cookie;

    if (!c->persistent || len == 0)
        return 0;
    if (p >= ctl && p < ctl + c->desc.ctl_size)
        cookie = c->ctl_cookie;
    else
        cookie = c->area_cookie;
    /* msync wants a page-aligned start. */
    lo = (uintptr_t)p / page * page;
    hi = (uintptr_t)p + len;
    return mmf__os_flush((void *)lo, (size_t)(hi - lo), cookie, 1) < 0 ? MMF_EIO : 0;
}

/* ------------------------------------------------------------------------ */
/* Inspection                                                                */
/* ------------------------------------------------------------------------ */

static const struct mmf__chan_kind_info *kind_of(uint32_t kind)
{
    switch (kind) {
    case MMF__CHAN_RING: return &mmf__ring_kind;
    case MMF__CHAN_QUEUE: return &mmf__queue_kind;
    case MMF__CHAN_BCAST: return &mmf__bcast_kind;
    default: return NULL;
    }
}

const char *mmf_channel_kind_name(int kind)
{
    switch (kind) {
    case MMF_KIND_RING: return "ring";
    case MMF_KIND_QUEUE: return "queue";
    case MMF_KIND_BCAST: return "broadcast";
    default: return "unknown";
    }
}

/* Live claims in [first, first + count) of the bitmap. */
static uint64_t count_claims(const uint8_t *claims, uint32_t first, uint32_t count)
{
    uint64_t n = 0;
    for (uint32_t i = first; i < first + count && i < MMF__CLAIM_SLOTS; i++)
        n += (claims[i / 8] >> (i % 8)) & 1u;
    return n;
}

int mmf__chan_describe(const struct mmf__hdr *h, const void *ctl, size_t ctl_len,
                       const uint8_t *claims, mmf_channel_info *info)
{
    const struct mmf__chan_kind_info *k;
    const struct mmf__chan_live *live;
    const struct mmf__chan_ctl *cc = ctl;
    struct mmf__chan_desc d;

    memcpy(&d, h->state, sizeof d);
    k = kind_of(d.kind);
    if (k == NULL || desc_valid(k, &d) < 0 || ctl_len < MMF__CHAN_CTL_SIZE)
        return MMF_ECORRUPT;
    live = (const struct mmf__chan_live *)(const void *)(h->state + MMF__CHAN_LIVE_OFF);
    _Static_assert((int)MMF_KIND_RING == MMF__CHAN_RING &&
                   (int)MMF_KIND_QUEUE == MMF__CHAN_QUEUE &&
                   (int)MMF_KIND_BCAST == MMF__CHAN_BCAST, "kind numbers agree");
    info->kind = (int)d.kind;
    info->persistent = (h->flags & MMF__HF_FILE) != 0;
    info->producers = count_claims(claims, MMF__CHAN_PROD_FIRST, k->prod_max);
    info->consumers = k->cons_max ? count_claims(claims, MMF__CHAN_CONS_FIRST, k->cons_max)
                                  : MMF_UNKNOWN;
    info->producers_ever = live->attached[0];
    info->consumers_ever = live->attached[1];
    /* A control block not marked yet is a channel nobody attached to: all
     * zero, an empty channel. */
    if ((cc->magic != 0 && cc->magic != MMF__CHAN_MAGIC) ||
        (cc->magic != 0 && memcmp(&cc->desc, &d, sizeof d) != 0) ||
        k->describe(&d, (const uint8_t *)ctl + MMF__CHAN_CTL_OWN, info) < 0) {
        info->corrupt = 1;
        info->produced = info->consumed = info->fill = MMF_UNKNOWN;
    }
    return 0;
}
