/* SPDX-License-Identifier: MIT */
/*
 * ring_peer.c - the C side of the Python interop tests
 * (python/tests/test_interop.py): one end of a ring, talking to Python.
 *
 *   ring_peer produce NAME COUNT   send COUNT messages, then close
 *   ring_peer consume NAME COUNT   receive and check COUNT messages, then
 *                                  expect MMF_EPIPE (the producer gone)
 *
 * Message i is its number as 8 little-endian bytes, then i % 200 bytes of
 * value i & 0xff. Both sides attach with MMF_OPEN_OR_CREATE, so either
 * may start first. Exit 0 when everything was as expected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmf.h>

#define CAPACITY 65536
#define TIMEOUT_MS 60000

static size_t fill(unsigned char *p, uint64_t i)
{
    size_t n = (size_t)(i % 200);
    for (int b = 0; b < 8; b++)
        p[b] = (unsigned char)(i >> (8 * b));
    memset(p + 8, (int)(i & 0xff), n);
    return 8 + n;
}

int main(int argc, char **argv)
{
    mmf_ring *r;
    unsigned char want[256];
    uint64_t count, i;
    int rc, produce;

    if (argc != 4) {
        fprintf(stderr, "usage: %s produce|consume NAME COUNT\n", argv[0]);
        return 2;
    }
    produce = strcmp(argv[1], "produce") == 0;
    count = strtoull(argv[3], NULL, 10);
    rc = mmf_ring_create(&r, argv[2], CAPACITY,
                         produce ? MMF_ROLE_PRODUCER : MMF_ROLE_CONSUMER,
                         MMF_OPEN_OR_CREATE, NULL);
    if (rc < 0) {
        fprintf(stderr, "ring_peer: attach %s: %s\n", argv[2], mmf_err_name(rc));
        return 1;
    }
    for (i = 0; i < count; i++) {
        size_t n = fill(want, i);
        if (produce) {
            rc = mmf_ring_send(r, want, n, TIMEOUT_MS);
        } else {
            mmf_msg m;
            rc = mmf_ring_peek(r, &m, TIMEOUT_MS);
            if (rc == 0 && (m.len != n || memcmp(m.data, want, n) != 0)) {
                fprintf(stderr, "ring_peer: message %llu differs\n", (unsigned long long)i);
                rc = -1;
            }
            if (rc == 0)
                rc = mmf_ring_release(r, 1);
        }
        if (rc < 0)
            break;
    }
    if (rc == 0 && !produce) {
        mmf_msg m;
        rc = mmf_ring_peek(r, &m, TIMEOUT_MS);
        rc = rc == MMF_EPIPE ? 0 : -1;
        if (rc < 0)
            fprintf(stderr, "ring_peer: expected MMF_EPIPE after the last message\n");
    }
    mmf_ring_close(r);
    if (rc < 0) {
        fprintf(stderr, "ring_peer: %s at message %llu: %s\n", argv[1],
                (unsigned long long)i, mmf_err_name(rc));
        return 1;
    }
    printf("ring_peer: %s %llu messages\n", produce ? "sent" : "received",
           (unsigned long long)count);
    return 0;
}
