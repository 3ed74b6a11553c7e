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
        if (strncmp(e->d_name, "mmf.", 4) == 0 && strstr(e->d_name, "mmf-test-") != NULL) {
            fprintf(stderr, "left in the store: %s\n", e->d_name);
            left++;
        }
    }
    closedir(d);
    printf("%d test object(s) left in the store\n", left);
    return left != 0;
}
