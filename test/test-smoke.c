/* SPDX-License-Identifier: MIT */
/* test-smoke.c - the harness itself and the most basic create/open/map. */
#include "test.h"

TEST(create_open_map)
{
    mmf_section *a, *b;
    char *pa = NULL, *pb = NULL;

    CHECK_OK(mmf_section_create(&a, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_open(&b, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_view_map(a, MMF_MAP_WRITE, 0, 0, 0, (void **)&pa));
    CHECK_OK(mmf_view_map(b, MMF_MAP_READ, 0, 0, 0, (void **)&pb));
    strcpy(pa, "hello");
    CHECK(strcmp(pb, "hello") == 0);
    CHECK_OK(mmf_view_unmap(pa));
    CHECK_OK(mmf_view_unmap(pb));
    CHECK_OK(mmf_section_close(a));
    CHECK_OK(mmf_section_close(b));
    CHECK_RC(mmf_section_open(&b, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
}

HELPER(open_and_exit)
{
    mmf_section *s;
    (void)argc;
    return mmf_section_open(&s, argv[0], MMF_ACCESS_READ) == 0 ? 0 : 3;
}

TEST(helper_process)
{
    mmf_section *s;
    CHECK_OK(mmf_section_create(&s, test_name("h"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_EQ(test_wait(test_spawn("open_and_exit", test_name("h"), NULL)), 0);
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_wait(test_spawn("open_and_exit", test_name("h"), NULL)), 3);
}
