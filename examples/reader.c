/* SPDX-License-Identifier: MIT */
/*
 * reader.c - Process B of the classic text-sharing example.
 *
 * Opens the section "MySharedMemory" by name, maps it read-only, prints
 * what Process A wrote and tells the writer it is done. With --wait it
 * retries for up to 5 s while the name does not exist yet.
 * Exit code: 0 read, 1 no such section, 2 other error.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mmf.h>

#define NAME "MySharedMemory"
#define DONE_OFFSET 4096

int main(int argc, char **argv)
{
    int wait = argc > 1 && strcmp(argv[1], "--wait") == 0;
    mmf_section *section;
    const char *text;
    char *done;
    int rc;

    for (int i = 0;; i++) {
        rc = mmf_section_open(&section, NAME, MMF_ACCESS_READ | MMF_ACCESS_WRITE);
        if (rc != MMF_ENOENT || !wait || i == 500)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    if (rc < 0) {
        fprintf(stderr, "reader: cannot open %s: %s (%s)\n", NAME,
                mmf_strerror(rc), mmf_err_name(rc));
        return rc == MMF_ENOENT ? 1 : 2;
    }

    text = NULL;
    rc = mmf_view_map(section, MMF_MAP_READ, 0, 0, 0, (void **)&text);
    if (rc == 0) {
        printf("reader: read \"%s\" from %s\n", text, NAME);
        mmf_view_unmap((void *)text);
    }
    /* A second, writable view of the same memory to say we are done. */
    done = NULL;
    if (rc == 0 && (rc = mmf_view_map(section, MMF_MAP_WRITE, 0, 0, 0, (void **)&done)) == 0) {
        __atomic_store_n(&done[DONE_OFFSET], 1, __ATOMIC_RELEASE);
        mmf_view_unmap(done);
    }
    mmf_section_close(section);
    if (rc < 0) {
        fprintf(stderr, "reader: cannot map %s: %s\n", NAME, mmf_strerror(rc));
        return 2;
    }
    return 0;
}
