/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ring.c - a libFuzzer target for the SPSC ring's defences against
 * untrusted shared memory.
 *
 * One ring of one page lives for the whole run, held by a reference that
 * is not an endpoint. Each input is a program: it writes bytes of its
 * choice over the ring's positions, futex words and records (as a hostile
 * process could), and attaches, detaches and calls the producer and the
 * consumer in any order. Every call must return a documented status, and
 * every pointer the ring hands out must lie inside its double mapping,
 * with every byte readable (consumer) or writable (producer); anything
 * else stops the run (__builtin_trap), as does a crash or an AddressSanitizer
 * report. No call may wait: all timeouts are 0.
 *
 * Built with clang -fsanitize=fuzzer,address together with the library's
 * sources (it looks inside the endpoint, ring.h). The store is the folder
 * MMF_STORE_DIR (set by the ctest case to a folder of the build tree), or
 * "fuzz-store" in the working directory: never /dev/shm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring.h"

#define CAP 4096u
#define NAME "fuzz-ring"

static mmf__obj *holder;        /* keeps the ring's name between inputs */
static uint8_t *store;          /* the object file, mapped like a hostile
                                   process would */
static struct mmf__ring_ctl *k; /* in store */
static uint8_t *area;           /* in store */
static mmf_ring *p, *c;         /* the endpoints, kept between inputs when
                                   an input leaves them open */

#define STORE_LEN (MMF__HDR_SIZE + MMF__CHAN_CTL_SIZE + CAP)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_ring: %s:%d: %s\n", __FILE__, __LINE__,      \
                    #cond);                                                    \
            __builtin_trap();                                                  \
        }                                                                      \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At the end of a run (libFuzzer exits through exit()), give the name
 * back so nothing is left in the store. */
static void finish(void)
{
    if (p != NULL)
        mmf_ring_close(p);
    if (c != NULL)
        mmf_ring_close(c);
    munmap(store, STORE_LEN);
    mmf__os_obj_close(holder);
}

/* An endpoint as it is right after attaching to an empty ring (what
 * attach would give, without the system calls of attaching). */
static void fresh(mmf_ring *r)
{
    r->head = r->pub = r->peer = r->flushed = 0;
    r->pending = r->res_len = 0;
    r->word = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("MMF_STORE_DIR");
    char path[4096], cwd[3000];
    struct mmf__name nm;
    mmf_ring *r;
    int fd;

    (void)argc;
    (void)argv;
    if (dir == NULL || dir[0] != '/') {
        REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
        snprintf(path, sizeof path, "%s/fuzz-store", cwd);
        REQUIRE(mkdir(path, 0700) == 0 || errno == EEXIST);
        REQUIRE(setenv("MMF_STORE_DIR", path, 1) == 0);
        dir = getenv("MMF_STORE_DIR");
    }
    /* A ring left by a run that crashed is stale, and is made anew. */
    REQUIRE(mmf_ring_create(&r, NAME, CAP, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL) == 0);
    REQUIRE(mmf__name_parse(NAME, 0, &nm) == 0);
    REQUIRE(mmf__os_obj_open(&nm, MMF__TYPE_CHANNEL, MMF_ACCESS_READ | MMF_ACCESS_WRITE,
                             &holder) == 0);
    REQUIRE(mmf_ring_close(r) == 0);
    snprintf(path, sizeof path, "%s/mmf.u%u.%s", dir, (unsigned)geteuid(), NAME);
    fd = open(path, O_RDWR);
    REQUIRE(fd >= 0);
    store = mmap(NULL, STORE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(store != MAP_FAILED);
    close(fd);
    k = (struct mmf__ring_ctl *)(void *)(store + MMF__HDR_SIZE + MMF__CHAN_CTL_OWN);
    area = store + MMF__HDR_SIZE + MMF__CHAN_CTL_SIZE;
    atexit(finish);
    return 0;
}

/* The input, read as a stream; past its end every read is 0. */
struct in {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)(in->n ? *in->p : 0) << (8 * i);
        if (in->n) {
            in->p++;
            in->n--;
        }
    }
    return v;
}

static int status_ok(int rc)
{
    return rc >= 0 || rc == MMF_EAGAIN || rc == MMF_EPIPE || rc == MMF_ECORRUPT ||
           rc == MMF_EINVAL || rc == MMF_EOVERFLOW;
}

/* A message the consumer was handed: inside the mapping, every byte
 * readable. */
static void check_msg(const mmf_ring *r, const void *data, size_t len)
{
    const uint8_t *d = data;
    volatile uint8_t sum = 0;
    REQUIRE(len >= 1 && len <= r->max_msg);
    REQUIRE(d >= r->area + MMF__RING_REC_HDR && d + len <= r->area + 2 * r->cap);
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + d[i]);
}

/* Space the producer was handed: inside the mapping, every byte writable. */
static void check_space(const mmf_ring *r, void *data, size_t len, uint8_t fill)
{
    uint8_t *d = data;
    REQUIRE(len >= 1 && len <= r->max_msg);
    REQUIRE(d >= r->area + MMF__RING_REC_HDR && d + len <= r->area + 2 * r->cap);
    memset(d, fill, len);
}

/* A length: small ones mostly, sometimes near or past the limits. */
static size_t any_len(struct in *in)
{
    uint64_t v = take(in, 2);
    switch (v >> 14) {
    case 0: return (size_t)(v & 0x3f);
    case 1: return (size_t)(v & 0x3ff);
    case 2: return (size_t)(CAP - 32 + (v & 0x3f));
    default: return (size_t)(v & 0x3fff);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    mmf_msg m[8];
    uint8_t buf[CAP];
    size_t got;
    int rc;

    /* Each input starts from an empty ring with both endpoints. */
    memset(k, 0, sizeof *k);
    memset(area, 0, CAP);
    if (p == NULL)
        REQUIRE(mmf_ring_open(&p, NAME, MMF_ROLE_PRODUCER, NULL) == 0);
    else
        fresh(p);
    if (c == NULL)
        REQUIRE(mmf_ring_open(&c, NAME, MMF_ROLE_CONSUMER, NULL) == 0);
    else
        fresh(c);

    for (int steps = 0; in.n > 0 && steps < 256; steps++) {
        unsigned op = (unsigned)take(&in, 1) % 16;
        switch (op) {
        case 0: { /* scribble over the ring's part of the control block */
            size_t off = (size_t)take(&in, 1) % sizeof *k, len = (size_t)take(&in, 1) % 17;
            for (size_t i = 0; i < len && off + i < sizeof *k; i++)
                ((uint8_t *)k)[off + i] = (uint8_t)take(&in, 1);
            break;
        }
        case 1: { /* scribble over the records */
            size_t off = (size_t)take(&in, 2) % CAP, len = (size_t)take(&in, 1) % 33;
            for (size_t i = 0; i < len; i++)
                area[(off + i) % CAP] = (uint8_t)take(&in, 1);
            break;
        }
        case 2: { /* move a position by a little or a lot */
            uint64_t *pos = take(&in, 1) & 1 ? &k->prod_pos : &k->cons_pos;
            uint64_t d = take(&in, 2);
            __atomic_store_n(pos, *pos + (d & 0x8000 ? d << 3 : d) - 0x4000, __ATOMIC_RELAXED);
            break;
        }
        case 3: { /* forge a record header (one 64-bit word, ring.h) where
                   * the consumer reads next, or where the producer writes
                   * next (what a restarted producer steps over) */
            int at_prod = (int)(take(&in, 1) & 1);
            uint64_t pos = at_prod ? (p != NULL ? p->head : k->prod_pos)
                                   : (c != NULL ? c->head : k->cons_pos);
            uint64_t at = pos & (CAP - 1);
            uint64_t len = any_len(&in);
            uint64_t chk = take(&in, 1) ? take(&in, 4) : (pos >> 3) & UINT32_MAX;
            uint64_t w = MMF__RING_HDR(len & UINT32_MAX, chk);
            /* Byte by byte, wrapping: a forged position may be odd and
             * near the end of the area. */
            for (size_t i = 0; i < 8; i++)
                area[(at + i) & (CAP - 1)] = ((const uint8_t *)&w)[i];
            break;
        }
        case 4:
            if (c == NULL) {
                rc = mmf_ring_open(&c, NAME, MMF_ROLE_CONSUMER, NULL);
                REQUIRE(rc == 0 || rc == MMF_ECORRUPT);
                if (rc < 0)
                    c = NULL;
            }
            break;
        case 5:
            if (p == NULL) {
                rc = mmf_ring_open(&p, NAME, MMF_ROLE_PRODUCER, NULL);
                REQUIRE(rc == 0 || rc == MMF_ECORRUPT);
                if (rc < 0)
                    p = NULL;
            }
            break;
        case 6:
            if (c != NULL) {
                rc = mmf_ring_peek(c, &m[0], 0);
                REQUIRE(status_ok(rc));
                if (rc == 0)
                    check_msg(c, m[0].data, m[0].len);
            }
            break;
        case 7:
            if (c != NULL) {
                size_t n = 1 + (size_t)take(&in, 1) % 8;
                rc = mmf_ring_peek_batch(c, m, n, 0);
                REQUIRE(status_ok(rc) && rc <= (int)n);
                for (int i = 0; i < rc; i++)
                    check_msg(c, m[i].data, m[i].len);
            }
            break;
        case 8:
            if (c != NULL) {
                rc = mmf_ring_release(c, (size_t)take(&in, 1) % 10);
                REQUIRE(rc == 0 || rc == MMF_EINVAL || rc == MMF_ECORRUPT);
            }
            break;
        case 9:
            if (c != NULL) {
                size_t cap = any_len(&in) % (sizeof buf + 1);
                rc = mmf_ring_recv(c, buf, cap, &got, 0);
                REQUIRE(status_ok(rc));
                if (rc == 0)
                    REQUIRE(got >= 1 && got <= cap);
            }
            break;
        case 10:
            if (p != NULL) {
                size_t len = any_len(&in), final = len - (size_t)take(&in, 1) % (len + 1);
                void *ptr;
                rc = mmf_ring_reserve(p, len, &ptr, 0);
                REQUIRE(status_ok(rc));
                if (rc == 0) {
                    check_space(p, ptr, len, (uint8_t)final);
                    rc = mmf_ring_commit(p, final);
                    REQUIRE(rc == 0 || (rc == MMF_EINVAL && final == 0));
                    if (rc < 0)
                        REQUIRE(mmf_ring_commit_batch(p, 0) == 0);
                }
            }
            break;
        case 11:
            if (p != NULL) {
                size_t n = 1 + (size_t)take(&in, 1) % 8;
                for (size_t i = 0; i < n; i++)
                    m[i].len = any_len(&in);
                rc = mmf_ring_reserve_batch(p, m, n, 0);
                REQUIRE(status_ok(rc) && rc <= (int)n);
                if (rc > 0) {
                    for (int i = 0; i < rc; i++)
                        check_space(p, m[i].data, m[i].len, (uint8_t)i);
                    /* A hostile write between reserve and commit. */
                    if (take(&in, 1) & 1)
                        area[take(&in, 2) % CAP] ^= (uint8_t)take(&in, 1);
                    rc = mmf_ring_commit_batch(p, (size_t)take(&in, 1) % ((size_t)rc + 1));
                    REQUIRE(rc == 0 || rc == MMF_ECORRUPT);
                }
            }
            break;
        case 12:
            if (p != NULL) {
                size_t len = any_len(&in) % (sizeof buf + 1);
                memset(buf, 0x5a, len);
                REQUIRE(status_ok(mmf_ring_send(p, buf, len, 0)));
            }
            break;
        case 13:
            if (c != NULL) {
                REQUIRE(mmf_ring_close(c) == 0);
                c = NULL;
            }
            break;
        case 14:
            if (p != NULL) {
                REQUIRE(mmf_ring_close(p) == 0);
                p = NULL;
            }
            break;
        default: /* honest traffic, so that later steps meet real records */
            if (p != NULL) {
                size_t n = (size_t)take(&in, 1) % 8;
                for (size_t i = 0; i < n; i++) {
                    memset(buf, (int)i, 100);
                    REQUIRE(status_ok(mmf_ring_send(p, buf, 1 + i * 37, 0)));
                }
            }
            break;
        }
    }
    return 0;
}
