/* SPDX-License-Identifier: MIT */
/* consumer.c - a program built against an installed mmf. */
#include <mmf.h>
#include <stdio.h>

int main(void)
{
    mmf_section *s;
    int rc = mmf_section_create(&s, NULL, 4096, MMF_CREATE_NEW, NULL);
    if (rc < 0) {
        fprintf(stderr, "consumer: %s\n", mmf_strerror(rc));
        return 1;
    }
    mmf_section_close(s);
    printf("consumer: ok\n");
    return 0;
}
