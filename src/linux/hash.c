/* SPDX-License-Identifier: MIT */
/*
 * hash.c - SipHash-1-3 (Aumasson and Bernstein; the variant Rust's and
 * Python's hash tables use) under a per-process random key (see hash.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <time.h>

#include "hash.h"

static uint64_t key[2];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static inline uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                               \
    do {                                                                       \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);             \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                 \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                 \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);             \
    } while (0)

static uint64_t siphash13(const uint64_t k[2], const unsigned char *p, size_t n)
{
    uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k[0];
    uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k[1];
    uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k[0];
    uint64_t v3 = UINT64_C(0x7465646279746573) ^ k[1];
    uint64_t m, b = (uint64_t)n << 56;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&m, p + i, 8); /* little-endian on every target we build */
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    for (unsigned s = 0; i < n; i++, s += 8)
        b |= (uint64_t)p[i] << s;
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* The key: from getrandom(); if the kernel has no entropy to give (early
 * boot) or no such call, from the 16 random bytes the kernel gave this
 * process at exec (AT_RANDOM), hashed with the clock so that the key is
 * not those bytes themselves (glibc uses them for its stack guard). */
static void make_key(void)
{
    uint64_t k[2];
    if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k) {
        const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
        struct timespec ts;
        uint64_t c[2] = {0, 0}, mix[2];
        clock_gettime(CLOCK_MONOTONIC, &ts);
        mix[0] = (uint64_t)ts.tv_nsec;
        mix[1] = (uint64_t)ts.tv_sec;
        if (r != NULL)
            memcpy(c, r, sizeof c);
        k[0] = siphash13(c, (const unsigned char *)mix, sizeof mix);
        mix[0] ^= UINT64_C(0x9e3779b97f4a7c15);
        k[1] = siphash13(c, (const unsigned char *)mix, sizeof mix);
    }
    key[0] = k[0];
    key[1] = k[1];
}

uint64_t mmf__linux_hash(const void *p, size_t n)
{
    pthread_once(&once, make_key);
    return siphash13(key, p, n);
}

void mmf__linux_htable_add(struct mmf__linux_htable *t, struct mmf__linux_hnode *n)
{
    struct mmf__linux_hnode **b;
    if (t->count >= t->size) {
        size_t size = 2 * t->size;
        struct mmf__linux_hnode **nb =
            size <= SIZE_MAX / sizeof *nb ? calloc(size, sizeof *nb) : NULL;
        if (nb != NULL) {
            for (size_t i = 0; i < t->size; i++) {
                struct mmf__linux_hnode *e = t->bucket[i], *next;
                for (; e != NULL; e = next) {
                    next = e->next;
                    e->next = nb[e->hash & (size - 1)];
                    nb[e->hash & (size - 1)] = e;
                }
            }
            if (t->bucket != t->first)
                free(t->bucket);
            t->bucket = nb;
            t->size = size;
        }
    }
    b = &t->bucket[n->hash & (t->size - 1)];
    n->next = *b;
    *b = n;
    t->count++;
}

void mmf__linux_htable_remove(struct mmf__linux_htable *t, struct mmf__linux_hnode *n)
{
    struct mmf__linux_hnode **p = &t->bucket[n->hash & (t->size - 1)];
    while (*p != NULL && *p != n)
        p = &(*p)->next;
    if (*p == n) {
        *p = n->next;
        t->count--;
    }
}
