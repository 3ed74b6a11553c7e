/* SPDX-License-Identifier: MIT */
/* store_clean.c - fails if any test object is left in the store. Runs as
 * the cleanup step of the whole suite. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    const char *dir = getenv("MMF_STORE_DIR");
    DIR *d = opendir(dir && dir[0] == '/' ? dir : "/dev/shm");
    struct dirent *e;
    int left = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "mmf.", 4) != 0)
            continue;
        if (strstr(e->d_name, "mmf-test-") != NULL) {
            fprintf(stderr, "left in the store: %s\n", e->d_name);
            left++;
        } else if (strstr(e->d_name, ".+") != NULL) {
            /* A channel's claims file holds its channel's file name. */
            char path[4096], back[512];
            FILE *f;
            size_t n = 0;
            snprintf(path, sizeof path, "%s/%s", dir && dir[0] == '/' ? dir : "/dev/shm",
                     e->d_name);
            if ((f = fopen(path, "re")) != NULL) {
                n = fread(back, 1, sizeof back - 1, f);
                fclose(f);
            }
            back[n] = '\0';
            if (strstr(back, "mmf-test-") != NULL) {
                fprintf(stderr, "left in the store: %s (claims of %s)\n", e->d_name, back);
                left++;
            }
        }
    }
    closedir(d);
    printf("%d test object(s) left in the store\n", left);
    return left != 0;
}
