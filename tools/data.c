/* SPDX-License-Identifier: MIT */
/*
 * data.c - a section's bytes: `mmf cat` (raw), `mmf dump` (hex, as
 * hexdump -C) and `mmf write` (stdin into the section), and the checks and
 * reads they share with `mmf watch`. Reading takes no handle and maps no
 * view (mmf_object_read): looking never commits or keeps anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port.h"
#include "tool.h"

/* ------------------------------------------------------------------------ */
/* Finding, opening and reading a section                                    */
/* ------------------------------------------------------------------------ */

static void check_section(const char *name, mmf_object_info *info)
{
    live_or_die(name, info);
    if (info->readable && info->type != MMF_TYPE_SECTION)
        die(EX_TYPE, name, "is a %s, not a section", mmf_type_name(info->type));
}

static void __attribute__((noreturn)) denied(const char *name, const mmf_object_info *info,
                                             const char *why)
{
    die(EX_DENIED, name, "access denied (mode %04o, owner uid %" PRIu32 ")%s", info->mode,
        info->uid, why);
}

/* Open NAME, a live section, with `access`. */
static mmf_section *open_section(const char *name, unsigned access, mmf_object_info *info)
{
    mmf_section *s;
    int rc;

    check_section(name, info);
    rc = mmf_section_open(&s, name, access);
    if (rc == MMF_EACCES)
        denied(name, info,
               (access & MMF_ACCESS_WRITE) && info->readable && !(info->prot & MMF_PROT_WRITE)
               ? "; the section is read-only" : "");
    if (rc < 0)
        fail(name, rc);
    return s;
}

/* Read [off, off + len) of a section without a handle or a view (see
 * mmf_object_read): looking never commits or keeps anything. */
void read_range(const char *name, const mmf_object_info *info, uint64_t off,
                unsigned char *buf, size_t len)
{
    size_t done = 0;
    int rc = mmf_object_read(name, off, buf, len, &done);
    if (rc == MMF_EACCES)
        denied(name, info, "");
    if (rc == MMF_ENOENT)
        die(EX_NOTFOUND, name, "the object is gone");
    if (rc < 0)
        fail(name, rc);
    if (done < len)
        die(EX_ERROR, name, "the section shrank while being read");
}

/* The range [offset, offset + length) of section NAME from --offset and
 * --length (length default: to the end). The numbers are checked before
 * the object is looked at. */
void find_range(const char *name, const struct opt *off_o, const struct opt *len_o,
                mmf_object_info *info, uint64_t *off, uint64_t *len)
{
    if (off_o->value)
        size_opt(off_o, "offset");
    if (len_o->value)
        size_opt(len_o, "length");
    check_section(name, info);
    *off = off_o->value ? size_opt(off_o, "offset") : 0;
    if (*off > info->size)
        usage_error("offset %" PRIu64 " is past the end of the section (%" PRIu64
                    " bytes)", *off, info->size);
    *len = len_o->value ? size_opt(len_o, "length") : info->size - *off;
    if (*len > info->size - *off)
        usage_error("offset %" PRIu64 " + length %" PRIu64 " runs past the end of "
                    "the section (%" PRIu64 " bytes)", *off, *len, info->size);
}

/* Map [off, off + len) of s with `map`; returns a pointer to byte off and
 * the view base in *base. */
static unsigned char *map_range(mmf_section *s, const char *name, unsigned map, uint64_t off,
                                uint64_t len, void **base)
{
    uint64_t gran = mmf_allocation_granularity(), start = off / gran * gran;
    int rc;
    *base = NULL;
    if (len + (off - start) > SIZE_MAX)
        die(EX_ERROR, name, "range too large to map in this process");
    rc = mmf_view_map(s, map, start, (size_t)(len + (off - start)), 0, base);
    if (rc < 0)
        fail(name, rc);
    return (unsigned char *)*base + (off - start);
}

/* ------------------------------------------------------------------------ */
/* cat, dump                                                                 */
/* ------------------------------------------------------------------------ */

static void help_cat(void)
{
    puts("usage: mmf cat NAME [--offset O] [--length L]\n"
         "\n"
         "Write the bytes of section NAME to stdout, raw: the whole section, or L\n"
         "bytes from offset O. Sizes: decimal, 0x hex, or with K, M, G, T.\n"
         "Reads without a handle or a view: it never creates, keeps alive or\n"
         "changes anything, and reading a page a sparse section has not committed\n"
         "gives zeros without committing it.");
}

static void help_dump(void)
{
    puts("usage: mmf dump NAME [--offset O] [--length L]\n"
         "\n"
         "Show the bytes of section NAME in hex and ASCII, 16 a line, each line\n"
         "starting with its offset in the section (the format of hexdump -C:\n"
         "repeated lines are shown once, then '*'). Reads as cat does.");
}

/* One line of the dump: offset, 16 bytes in hex, and as ASCII. */
static void dump_line(uint64_t at, const unsigned char *p, size_t n)
{
    printf("%08" PRIx64 " ", at);
    for (size_t j = 0; j < 16; j++) {
        if (j == 8)
            putchar(' ');
        if (j < n)
            printf(" %02x", p[j]);
        else
            fputs("   ", stdout);
    }
    printf("  |");
    for (size_t j = 0; j < n; j++)
        putchar(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.');
    printf("|\n");
}

/* Where `mmf dump` is: a line equal to the one before is shown once, as
 * hexdump -C does, then "*". */
struct dumper {
    unsigned char prev[16];
    int have_prev, starred;
};

/* Dump n bytes that start at offset `at` of the section. */
static void dump_chunk(struct dumper *d, uint64_t at, const unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        size_t k = n - i < 16 ? n - i : 16;
        if (d->have_prev && k == 16 && memcmp(buf + i, d->prev, 16) == 0) {
            if (!d->starred)
                puts("*");
            d->starred = 1;
            continue;
        }
        d->starred = 0;
        dump_line(at + i, buf + i, k);
        memcpy(d->prev, buf + i, k);
        d->have_prev = k == 16;
    }
}

static int cat_or_dump(int argc, char **argv, int dump)
{
    struct opt opts[] = {{"--offset", 1, NULL}, {"--length", 1, NULL}, {NULL, 0, NULL}};
    enum { CHUNK = 1 << 20 }; /* a multiple of 16 */
    struct dumper d = {{0}, 0, 0};
    mmf_object_info info;
    unsigned char *buf;
    uint64_t off, len;
    char *pos[1];

    if (parse_opts(argc, argv, opts, pos, 1, dump ? help_dump : help_cat, NULL) != 1)
        usage_error("give one section name");
    find_range(pos[0], &opts[0], &opts[1], &info, &off, &len);
    if (!dump)
        binary_stream(1);
    if ((buf = malloc(CHUNK)) == NULL)
        die(EX_ERROR, pos[0], "out of memory");
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done > CHUNK ? CHUNK : (size_t)(len - done);
        read_range(pos[0], &info, off + done, buf, n);
        if (dump)
            dump_chunk(&d, off + done, buf, n);
        else if (fwrite(buf, 1, n, stdout) != n)
            stdout_failed(pos[0], "");
        done += n;
    }
    if (dump)
        printf("%08" PRIx64 "\n", off + len);
    free(buf);
    if (fflush(stdout) != 0)
        stdout_failed(pos[0], "");
    return EX_OK;
}

int cmd_cat(int argc, char **argv)
{
    return cat_or_dump(argc, argv, 0);
}

int cmd_dump(int argc, char **argv)
{
    return cat_or_dump(argc, argv, 1);
}

/* ------------------------------------------------------------------------ */
/* write                                                                     */
/* ------------------------------------------------------------------------ */

static void help_write(void)
{
    puts("usage: mmf write NAME [--offset O] < DATA\n"
         "\n"
         "Copy stdin into section NAME at offset O (default 0). The data must fit:\n"
         "if it runs past the end of the section, nothing is written (exit 2).\n"
         "File-backed sections are flushed to their file. Opens the existing\n"
         "section, never creates one.");
}

/* All of stdin, up to one byte more than `room` (to tell "too long"), so
 * that a short or failed read changes nothing. Sets *n to its length. */
static unsigned char *read_stdin(const char *name, uint64_t room, size_t *n)
{
    size_t cap = room + 1 < (1u << 16) ? (size_t)room + 1 : (1u << 16);
    unsigned char *buf = malloc(cap);

    *n = 0;
    if (buf == NULL)
        die(EX_ERROR, name, "out of memory");
    for (;;) {
        long r;
        if (*n == cap) {
            if ((uint64_t)cap > room)
                break;
            cap = (uint64_t)cap * 2 > room + 1 ? (size_t)room + 1 : cap * 2;
            if ((buf = realloc(buf, cap)) == NULL)
                die(EX_ERROR, name, "out of memory");
        }
        r = read_stdin_some(buf + *n, cap - *n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die(EX_ERROR, name, "cannot read stdin: %s", strerror(errno));
        if (r == 0)
            break;
        *n += (size_t)r;
    }
    return buf;
}

int cmd_write(int argc, char **argv)
{
    struct opt opts[] = {{"--offset", 1, NULL}, {NULL, 0, NULL}};
    mmf_object_info info;
    mmf_section *s;
    uint64_t off = 0, room;
    unsigned char *buf, *p;
    size_t n;
    void *base;
    char *pos[1];
    int rc;

    if (parse_opts(argc, argv, opts, pos, 1, help_write, NULL) != 1)
        usage_error("give one section name");
    if (opts[0].value)
        off = size_opt(&opts[0], "offset");
    s = open_section(pos[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE, &info);
    if (off > info.size)
        usage_error("offset %" PRIu64 " is past the end of the section (%" PRIu64
                    " bytes)", off, info.size);
    room = info.size - off;
    binary_stream(0);
    buf = read_stdin(pos[0], room, &n);
    if ((uint64_t)n > room)
        usage_error("the input is longer than the %" PRIu64 " bytes from offset %" PRIu64
                    " to the end of %s; nothing was written", room, off, show(pos[0]));
    if (n > 0) {
        p = map_range(s, pos[0], MMF_MAP_WRITE, off, n, &base);
        memcpy(p, buf, n);
        if (info.file_backed && (rc = mmf_view_flush(base, 0)) < 0)
            fail(pos[0], rc);
        mmf_view_unmap(base);
    }
    mmf_section_close(s);
    free(buf);
    printf("wrote %zu byte%s to %s at offset %" PRIu64 "\n", n, n == 1 ? "" : "s",
           show(info.name), off);
    return EX_OK;
}
