/* SPDX-License-Identifier: MIT */
/*
 * chan.c - Windows: channel waits and wakes, endpoint claims, peer liveness,
 * double mappings.
 */
#include <stdlib.h>
#include <string.h>

#include "win.h"

/* ---- Not written yet ---------------------------------------------------- */

int mmf__os_wait_word(const uint32_t *word, uint32_t val, uint64_t deadline)
{
    (void)word;
    (void)val;
    (void)deadline;
    return MMF_ENOTSUP;
}

void mmf__os_wake_word(const uint32_t *word, int n)
{
    (void)word;
    (void)n;
}

int mmf__os_map_twice(mmf__obj *o, uint64_t offset, size_t len, void **addr, intptr_t *cookie)
{
    (void)o;
    (void)offset;
    (void)len;
    (void)addr;
    (void)cookie;
    return MMF_ENOTSUP;
}

int mmf__os_claim(mmf__obj *o, uint32_t first, uint32_t count, uint32_t *slot, intptr_t *claim)
{
    (void)o;
    (void)first;
    (void)count;
    (void)slot;
    (void)claim;
    return MMF_ENOTSUP;
}

void mmf__os_unclaim(intptr_t claim)
{
    (void)claim;
}

int mmf__os_claimed(mmf__obj *o, uint32_t first, uint32_t count)
{
    (void)o;
    (void)first;
    (void)count;
    return MMF_ENOTSUP;
}

int mmf__os_live_open(mmf__obj *o, uint32_t slot, intptr_t *live)
{
    (void)o;
    (void)slot;
    (void)live;
    return MMF_ENOTSUP;
}

void mmf__os_live_arm(intptr_t live)
{
    (void)live;
}

void mmf__os_live_close(intptr_t live)
{
    (void)live;
}

int mmf__os_wait_peers(intptr_t live, const uint32_t *word, uint32_t val, uint32_t first, uint32_t count, int attached, uint64_t until)
{
    (void)live;
    (void)word;
    (void)val;
    (void)first;
    (void)count;
    (void)attached;
    (void)until;
    return MMF_ENOTSUP;
}

void mmf__win_chan_free(struct mmf__win_chan *c)
{
    (void)c;
}
