/* SPDX-License-Identifier: MIT */
/*
 * object.h - what every named object keeps in shared memory, and the parsed
 * form of a name.
 *
 * Each object (section, mutex, event, semaphore, channel) starts with one
 * header page in the store: a fixed-layout, versioned struct that any
 * process, including a hostile one, can write. Everything read from it is
 * validated by mmf__hdr_validate() before use.
 */
#ifndef MMF_OBJECT_H
#define MMF_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "mmf.h"

/* Object types stored in the header. One namespace holds them all. */
enum mmf__type {
    MMF__TYPE_SECTION = 1,
    MMF__TYPE_MUTEX = 2,
    MMF__TYPE_EVENT = 3,
    MMF__TYPE_SEMAPHORE = 4,
    MMF__TYPE_CHANNEL = 5,
    MMF__TYPE_MAX = 5
};

/* Name of a type for messages and tools ("section", "mutex", ...). */
const char *mmf__type_name(uint32_t type);

#define MMF__HDR_MAGIC UINT64_C(0x314a424f464d4d7f) /* "\x7fMMFOBJ1" */
#define MMF__HDR_VERSION 2u          /* 2: name[] grew, path[] shrank */
#define MMF__HDR_SIZE 4096u          /* header page; data follows it */
#define MMF__NAME_BYTES (MMF_NAME_MAX + 8) /* "Global\\", the name, NUL */
#define MMF__PATH_BYTES 1024u
#define MMF__STATE_BYTES 256u        /* type-specific shared state */

/* Header flags (hdr.flags). The low bits are the public MMF_SECTION_* flags. */
#define MMF__HF_FILE 0x100u          /* data lives in an external file */
#define MMF__HF_GLOBAL 0x200u        /* name is in the Global\ namespace */
#define MMF__HF_CLAIMS 0x400u        /* claims live in a companion file */

/*
 * The header page. Fixed-width fields only; offsets are part of the on-disk
 * format (version 2) and checked below. The name and the path take what
 * the page has left before the lock word of sync objects (sync.h).
 */
struct mmf__hdr {
    uint64_t magic;        /* MMF__HDR_MAGIC */
    uint32_t version;      /* MMF__HDR_VERSION */
    uint32_t hdr_size;     /* bytes before the data (MMF__HDR_SIZE) */
    uint32_t type;         /* enum mmf__type */
    uint32_t flags;        /* MMF_SECTION_* | MMF__HF_* */
    uint32_t prot;         /* MMF_PROT_* of a section */
    uint32_t name_len;     /* bytes in name[], without the NUL */
    uint64_t size;         /* section size in bytes */
    uint64_t data_size;    /* bytes of data in the store file (rounded) */
    uint64_t file_dev;     /* external file identity (MMF__HF_FILE) */
    uint64_t file_ino;
    uint64_t create_ns;    /* creation time, CLOCK_REALTIME */
    uint32_t creator_pid;
    uint32_t path_len;     /* bytes in path[], without the NUL */
    uint64_t claims_ino;   /* companion file of a channel (MMF__HF_CLAIMS) */
    uint8_t reserved0[40];
    /* Type-specific state, cache-line aligned (futex words of sync objects,
     * channel control). */
    uint8_t state[MMF__STATE_BYTES];
    char name[MMF__NAME_BYTES];  /* full name with prefix, NUL-terminated */
    char path[MMF__PATH_BYTES];  /* external file path, NUL-terminated */
};

_Static_assert(offsetof(struct mmf__hdr, state) == 128, "header layout");
_Static_assert(offsetof(struct mmf__hdr, name) == 384 &&
                   offsetof(struct mmf__hdr, path) == 3032,
               "header layout");
_Static_assert(sizeof(struct mmf__hdr) <= MMF__HDR_SIZE, "header fits a page");

/* Check a header read from the store against its file size `store_size`.
 * Returns 0 or MMF_ECORRUPT. */
int mmf__hdr_validate(const struct mmf__hdr *h, uint64_t store_size);

/* A parsed, validated name. `key` is what identifies the object inside its
 * namespace: the bytes after the prefix. */
struct mmf__name {
    int global;                 /* 1 for Global\ */
    size_t key_len;             /* bytes in key */
    char key[MMF__NAME_BYTES];  /* NUL-terminated */
    char full[MMF__NAME_BYTES]; /* "Local\" or "Global\" + key */
};

/* Parse `name`. `force_global` puts an unprefixed name in Global\.
 * Returns 0, or MMF_EINVAL (NULL or empty), MMF_EBADNAME, MMF_ENAMETOOLONG. */
int mmf__name_parse(const char *name, int force_global, struct mmf__name *out);

#endif
