/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the SPSC ring's layout in shared memory, and its endpoint.
 * ring.c implements it; the tests, the fuzzer and inspection include this
 * file to find the positions and records.
 *
 * LAYOUT (after the common control block, channel.h)
 *
 *   control block + MMF__CHAN_CTL_OWN   struct mmf__ring_ctl: the producer's
 *                                       line, then 128 bytes on the
 *                                       consumer's line
 *   area [0, capacity)                  records, mapped twice back to back
 *
 * POSITIONS
 *
 * prod_pos counts the bytes of records ever published, cons_pos the bytes
 * ever released: free-running uint64_t counters, multiples of
 * MMF__RING_ALIGN. The producer keeps MMF__RING_END bytes free after its
 * last record (the end mark, below), so prod_pos - cons_pos <= capacity -
 * MMF__RING_END in unsigned difference. prod_pos is stored after the
 * record's header, so it may lag behind the records for a moment: a
 * consumer may have released a record that prod_pos does not count yet
 * (cons_pos - prod_pos <= capacity). The record at position p starts at
 * area[p & (capacity - 1)]; a record that runs past the end of the area
 * continues in the second mapping, so it is contiguous. All zero is an
 * empty ring.
 *
 * RECORDS (struct mmf__ring_rec, then the payload, then padding to a
 * multiple of 8)
 *
 * The header is one 64-bit word, written with one store: bits 0-31 the
 * length, 1 .. min(capacity - 16, 2^32 - 1); bits 32-63 the check:
 *
 *   in-memory ring   the record's position / 8, mod 2^32 (a stale or
 *                    forged header is caught)
 *   persistent ring  a 32-bit hash of the position, the length and the
 *                    payload, so that a record whose data did not reach
 *                    the file before a crash, or one left from an earlier
 *                    lap, is caught when the file is checked
 *
 * A header word of 0 means "no record here yet": the consumer polls the
 * header at its position, and the producer's store of a record's header
 * (release) publishes the record. Before that store the producer writes a
 * zero header where the next record will start (the end mark), so the
 * word after the last record is always 0, never stale data of an earlier
 * lap. A record occupies MMF__RING_REC_HDR + len rounded up to 8 bytes.
 * Fields are in the machine's byte order.
 *
 * Version 1 (MMF__RING_VERSION) had a 16-byte header (a 64-bit length and
 * a 64-bit check) and published records by prod_pos alone; its rings and
 * files are refused (the geometry's version differs: MMF_ECORRUPT).
 *
 * FUTEX WORDS
 *
 * Each side changes its own 32-bit word with every publish (producer) or
 * release (consumer), after its position, and the other side sleeps on it
 * (mmf__chan_wait). The word is separate from the 64-bit position so that
 * no memory is accessed atomically at two sizes. The sleepers counter next
 * to a word counts the other side's sleepers on it; the side that sleeps
 * resets it when it attaches, since a sleeper killed in its sleep leaves it
 * raised.
 */
#ifndef MMF_RING_H
#define MMF_RING_H

#include <stddef.h>
#include <stdint.h>

#include "channel.h"

#define MMF__RING_MIN_CAP 4096u
#define MMF__RING_MAX_CAP (UINT64_C(1) << 40)
#define MMF__RING_REC_HDR 8u    /* bytes of a record header */
#define MMF__RING_END 8u        /* bytes kept free for the end mark */
#define MMF__RING_ALIGN 8u      /* records start at multiples of this */
#define MMF__RING_MAX_LEN UINT32_MAX /* the header's length field */

/* A record header word. */
#define MMF__RING_HDR(len, check) (((uint64_t)(check) << 32) | (uint64_t)(len))
#define MMF__RING_HDR_LEN(w) ((w) & UINT32_MAX)
#define MMF__RING_HDR_CHECK(w) ((uint32_t)((w) >> 32))

/* A claim slot (backend.h) used as a lock by persistent rings: it orders the
 * check of the file after a restart before any endpoint's first call. Past
 * the role slots of every channel kind. */
#define MMF__RING_LOCK_SLOT 128u

/* kind_word[] of struct mmf__chan_live used by rings. */
#define MMF__RING_LIVE_CHECKED 0  /* 1 once a persistent ring's file was
                                     checked for this named object */

/* The ring's part of the control block, at MMF__CHAN_CTL_OWN. The two
 * halves are 128 bytes apart: CPUs that fetch cache lines in pairs would
 * otherwise make the producer and the consumer share one. */
struct mmf__ring_ctl {
    /* Written by the producer. */
    uint64_t prod_pos;       /* bytes published */
    uint32_t prod_word;      /* futex word: changes with every publish */
    uint32_t cons_sleepers;  /* consumers asleep on prod_word */
    uint8_t pad0[112];
    /* Written by the consumer. */
    uint64_t cons_pos;       /* bytes released */
    uint32_t cons_word;      /* futex word: changes with every release */
    uint32_t prod_sleepers;  /* producers asleep on cons_word */
    uint8_t pad1[112];
};

_Static_assert(offsetof(struct mmf__ring_ctl, prod_pos) == 0, "ring ctl layout");
_Static_assert(offsetof(struct mmf__ring_ctl, prod_word) == 8, "ring ctl layout");
_Static_assert(offsetof(struct mmf__ring_ctl, cons_sleepers) == 12, "ring ctl layout");
_Static_assert(offsetof(struct mmf__ring_ctl, cons_pos) == 128, "ring ctl layout");
_Static_assert(offsetof(struct mmf__ring_ctl, cons_word) == 136, "ring ctl layout");
_Static_assert(offsetof(struct mmf__ring_ctl, prod_sleepers) == 140, "ring ctl layout");
_Static_assert(sizeof(struct mmf__ring_ctl) == 256, "ring ctl size");
_Static_assert(MMF__CHAN_CTL_OWN % 128 == 0, "each half on its own line pair");
_Static_assert(MMF__CHAN_CTL_OWN + sizeof(struct mmf__ring_ctl) <= MMF__CHAN_CTL_SIZE,
               "ring ctl fits the control block");

/* The header of a record: MMF__RING_HDR(len, check), see RECORDS. */
struct mmf__ring_rec {
    uint64_t word;
};

_Static_assert(sizeof(struct mmf__ring_rec) == MMF__RING_REC_HDR, "record header");

/* One endpoint: process-private. */
struct mmf_ring {
    uint32_t magic;
    int role;                    /* MMF_ROLE_PRODUCER or MMF_ROLE_CONSUMER */
    int persistent;
    struct mmf__ring_ctl *ctl;   /* the shared positions */
    uint8_t *area;               /* the records, mapped twice */
    uint64_t cap, mask;          /* capacity (area bytes) and capacity - 1 */
    uint64_t max_msg;            /* min(cap - 16, MMF__RING_MAX_LEN) */
    /*
     * Producer: `head` is where the next reservation goes, `pub` what was
     * published (prod_pos), `peer` the consumer position last read.
     * Consumer: `head` is the end of what was peeked, `pub` what was
     * released (cons_pos); `peer` is unused (the consumer reads headers,
     * not the producer's position). Always pub <= head (consumer) or
     * peer <= pub <= head (producer), within one capacity less the end
     * mark.
     */
    uint64_t head, pub, peer;
    uint64_t pending;            /* records reserved / peeked, not yet
                                    committed / released */
    uint64_t res_len;            /* producer: the length reserved of the
                                    first pending record */
    uint64_t flushed;            /* producer: records before this position
                                    are on stable storage */
    uint32_t word;               /* this side's futex word, last stored */
    struct mmf__chan c;
};

#endif
