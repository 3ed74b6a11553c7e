/* SPDX-License-Identifier: MIT */
/*
 * chanmsg.h - the self-checking test messages of the channel tests
 * (test-queue.c, test-bcast.c).
 */
#ifndef MMF_TEST_CHANMSG_H
#define MMF_TEST_CHANMSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A message says who sent it (prod), its number (seq) and, in every other
 * byte, a pattern that follows from those and its length, so a torn,
 * mixed or shifted copy does not check. An 8-byte message packs prod,
 * seq and a 16-bit check into one word; longer ones are at least 24
 * bytes: the word prod|seq, the length, a header check, then the pattern.
 */
static inline uint64_t msg_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The length of message seq of prod in a queue of slot_size bytes. */
static inline size_t msg_len(uint32_t prod, uint64_t seq, size_t slot_size)
{
    if (slot_size < 24)
        return 8;
    return 24 + (size_t)(msg_mix(((uint64_t)prod << 48) ^ seq) % (slot_size - 23));
}

static inline void msg_fill(void *p, size_t len, uint32_t prod, uint64_t seq)
{
    uint64_t id = ((uint64_t)prod << 48) | (seq & 0xffffffffffffull);
    uint8_t *b = p;
    if (len == 8) {
        uint64_t w = ((uint64_t)prod << 56) | ((seq & 0xffffffffffull) << 16) |
                     (msg_mix(id) & 0xffff);
        memcpy(p, &w, 8);
        return;
    }
    uint64_t hdr[3] = {id, len, msg_mix(id ^ len)};
    memcpy(b, hdr, sizeof hdr);
    for (size_t i = 24; i < len; i += 8) {
        uint64_t w = msg_mix(id ^ (i * 0x100000001b3ull));
        memcpy(b + i, &w, len - i < 8 ? len - i : 8);
    }
}

/* Check a received message; on success *prod and *seq say which. */
static inline int msg_check(const void *p, size_t len, uint32_t *prod, uint64_t *seq)
{
    const uint8_t *b = p;
    uint64_t hdr[3];
    if (len == 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        *prod = (uint32_t)(w >> 56);
        *seq = (w >> 16) & 0xffffffffffull;
        return (w & 0xffff) == (msg_mix(((uint64_t)*prod << 48) | *seq) & 0xffff);
    }
    if (len < 24)
        return 0;
    memcpy(hdr, b, sizeof hdr);
    if (hdr[1] != len || hdr[2] != msg_mix(hdr[0] ^ len))
        return 0;
    *prod = (uint32_t)(hdr[0] >> 48);
    *seq = hdr[0] & 0xffffffffffffull;
    for (size_t i = 24; i < len; i += 8) {
        uint64_t w = msg_mix(hdr[0] ^ (i * 0x100000001b3ull));
        if (memcmp(b + i, &w, len - i < 8 ? len - i : 8) != 0)
            return 0;
    }
    return 1;
}

#endif
