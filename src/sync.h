/* SPDX-License-Identifier: MIT */
/*
 * sync.h - what mutexes, events and semaphores keep in shared memory, and
 * the checks of what is read from there, shared by the portable API
 * (src/sync.c) and the backend that implements the objects
 * (src/linux/sync.c; its interface is in backend.h).
 *
 * Each synchronization object is a store object (object.h) whose data is
 * empty: everything lives in the 256-byte `state` area of its header page,
 * laid out by one of the structs below. Fixed-width fields only; the
 * layout is part of the store format (version MMF__SYNC_VERSION).
 *
 * The state is UNTRUSTED INPUT. Any process that can open the object can
 * write anything there at any moment. Code that uses it reads each field
 * once (atomically) into a local, checks it with the mmf__*_valid()
 * functions below, and only then acts on it; a failed check gives
 * MMF_ECORRUPT. Counts are never used as indexes or sizes.
 *
 * Each object also has ONE lock word, outside `state`: the 32-bit word at
 * MMF__SYNC_LOCK_OFFSET of the header page. It is the mutex itself, or the
 * internal lock of an event or semaphore. The OS backend owns it (on Linux
 * a robust futex: owner thread id | FUTEX_WAITERS | FUTEX_OWNER_DIED, which
 * the kernel marks "owner died" when the owning thread or process dies; see
 * src/linux/sync.c for why it sits at the end of the page). Like all of the
 * page it is a number, never a pointer: nothing mmf keeps in shared memory
 * is ever dereferenced.
 */
#ifndef MMF_SYNC_H
#define MMF_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "object.h"

#define MMF__SYNC_VERSION 2u
#define MMF__MUTEX_MAGIC 0x5854554du /* "MUTX" */
#define MMF__EVENT_MAGIC 0x544e5645u /* "EVNT" */
#define MMF__SEM_MAGIC 0x414d4553u   /* "SEMA" */
/* Where the lock word lives in the header page: past struct mmf__hdr,
 * 24 bytes before the page's end. */
#define MMF__SYNC_LOCK_OFFSET (MMF__HDR_SIZE - 24u)

/* The first 32 bytes of every type. */
struct mmf__sync_common {
    uint32_t magic;    /* MMF__*_MAGIC of the type */
    uint32_t version;  /* MMF__SYNC_VERSION */
    uint32_t seq;      /* futex word of events and semaphores: bumped by
                          every change that may satisfy a waiter */
    uint32_t nsleep;   /* single-object waiters asleep on seq */
    uint32_t msleep;   /* multi-object waiters asleep on seq (signalers
                          then wake everyone) */
    uint32_t reserved[3];
};

/*
 * A mutex. Its ownership IS the lock word: the kernel knows the owning
 * thread, so thread exit and SIGKILL abandon it at any instant. Recursion
 * is counted by the owning process (privately, see the backend);
 * `recursion` and `owner_pid` are copies for tools.
 */
struct mmf__sync_mutex {
    struct mmf__sync_common c;
    uint32_t reserved[20];
    uint32_t abandoned; /* 1 from an abandoned acquisition until that
                           owner's final release */
    uint32_t owner_pid; /* for tools: process of the owner, 0 when free */
    uint32_t recursion; /* for tools: the owner's recursion count */
    uint32_t reserved2;
    uint8_t pad[128];
};

/*
 * An event. The lock word is the internal lock guarding every field but
 * the sleeper counts. Pulses: a waiter records pulse_gen when it registers
 * (nwait counts registered waiters); a pulse bumps pulse_gen, so every
 * waiter registered before it sees a new generation. A manual-reset pulse
 * releases all of them; an auto-reset pulse adds one claimable release to
 * `pending`, which never exceeds `eligible`, the number of registered
 * waiters that a pulse has seen.
 */
struct mmf__sync_event {
    struct mmf__sync_common c;
    uint32_t manual;    /* 1 manual-reset, 0 auto-reset (fixed) */
    uint32_t signaled;  /* 0 or 1 */
    uint32_t pulse_gen; /* pulse generation */
    uint32_t nwait;     /* registered waiters */
    uint32_t eligible;  /* registered before the latest pulse, unclaimed */
    uint32_t pending;   /* auto-reset: pulse releases not yet claimed */
    uint32_t reserved[2];
    uint8_t pad[192];
};

/* A semaphore. The lock word is the internal lock guarding count. */
struct mmf__sync_semaphore {
    struct mmf__sync_common c;
    int32_t count;      /* 0 <= count <= max */
    int32_t max;        /* >= 1 (fixed) */
    uint32_t reserved[6];
    uint8_t pad[192];
};

_Static_assert(sizeof(struct mmf__sync_common) == 32, "sync layout");
_Static_assert(sizeof(struct mmf__sync_mutex) == MMF__STATE_BYTES, "sync layout");
_Static_assert(sizeof(struct mmf__sync_event) == MMF__STATE_BYTES, "sync layout");
_Static_assert(sizeof(struct mmf__sync_semaphore) == MMF__STATE_BYTES, "sync layout");
_Static_assert(offsetof(struct mmf__sync_mutex, abandoned) == 112, "sync layout");
_Static_assert(sizeof(struct mmf__hdr) <= MMF__SYNC_LOCK_OFFSET, "lock word past the header");
_Static_assert(MMF__SYNC_LOCK_OFFSET % 4 == 0, "lock word alignment");

/* The most a semaphore may count (Windows' LONG). */
#define MMF__SEM_MAX INT32_MAX

/* Checks of values read from shared memory. 1 if valid. */
static inline int mmf__event_valid(uint32_t manual, uint32_t signaled,
                                   uint32_t nwait, uint32_t eligible,
                                   uint32_t pending)
{
    return manual <= 1 && signaled <= 1 && eligible <= nwait &&
           pending <= eligible && (manual == 0 || pending == 0);
}

static inline int mmf__semaphore_valid(int32_t count, int32_t max)
{
    return max >= 1 && count >= 0 && count <= max;
}

/* Returned by a round of a wait that found nothing to take (internal). */
#define MMF__NOT_YET (-1000000)

#endif
