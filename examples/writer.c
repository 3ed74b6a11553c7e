/* SPDX-License-Identifier: MIT */
/*
 * writer.c - Process A of the classic text-sharing example.
 *
 * Creates the named section "MySharedMemory" (1 MiB), maps a 64 KiB view,
 * writes a greeting into it and keeps its handle open until a reader has
 * set the "done" byte (or 10 s pass). Run examples/reader in another
 * terminal, or `make demo` for both.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mmf.h>

#define NAME "MySharedMemory"
#define DONE_OFFSET 4096 /* the reader sets this byte when it has read */

int main(void)
{
    mmf_section *section;
    char *view;
    int rc;

    rc = mmf_section_create(&section, NAME, 1 << 20, MMF_CREATE_NEW, NULL);
    if (rc < 0) {
        fprintf(stderr, "writer: cannot create %s: %s\n", NAME, mmf_strerror(rc));
        return 1;
    }
    view = NULL; /* NULL: let the system choose the address */
    rc = mmf_view_map(section, MMF_MAP_WRITE, 0, 64 << 10, 0, (void **)&view);
    if (rc < 0) {
        fprintf(stderr, "writer: cannot map a view: %s\n", mmf_strerror(rc));
        mmf_section_close(section);
        return 1;
    }

    strcpy(view, "Hello from Process A!");
    printf("writer: wrote \"%s\" to %s; waiting for a reader\n", view, NAME);
    fflush(stdout);

    /* Keep the handle, and so the name, until the reader is done. */
    for (int i = 0; i < 1000; i++) {
        if (__atomic_load_n(&view[DONE_OFFSET], __ATOMIC_ACQUIRE))
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }

    mmf_view_unmap(view);
    mmf_section_close(section); /* the last handle: the name goes away */
    printf("writer: closed %s\n", NAME);
    return 0;
}
