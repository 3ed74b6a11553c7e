/* SPDX-License-Identifier: MIT */
/* skip.c - a case that cannot run on this system: prints "SKIP: <reason>"
 * and exits 77 (test/CMakeLists.txt registers the Linux-only suites' cases
 * with it on Windows). */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("SKIP: %s\n", argc > 1 ? argv[1] : "not on this system");
    return 77;
}
