/* SPDX-License-Identifier: MIT */
/* test-numa.c - a preferred NUMA node (MMF_NODE) for sections and views:
 * the node is visible on the mapping in /proc/self/numa_maps, in this
 * process and in another one, and a node past the highest is refused.
 * Windows: the native calls refuse a node (MMF_ENOTSUP). */
#include "test.h"

#include <string.h>
#ifndef _WIN32
#include <unistd.h>

/* The memory policy that /proc/self/numa_maps shows for the mapping that
 * starts at base ("prefer:0", "default", ...), in buf; "" if not found. */
static const char *policy_of(const void *base, char *buf, size_t cap)
{
    char line[1024], want[32];
    FILE *f = fopen("/proc/self/numa_maps", "r");

    buf[0] = '\0';
    if (f == NULL)
        return buf;
    snprintf(want, sizeof want, "%lx ", (unsigned long)(uintptr_t)base);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, want, strlen(want)) == 0) {
            sscanf(line + strlen(want), "%63s", buf);
            break;
        }
    }
    fclose(f);
    (void)cap;
    return buf;
}

static void check_policy(const void *base, unsigned node)
{
    char got[64], want[32];
    snprintf(want, sizeof want, "prefer:%u", node);
    policy_of(base, got, sizeof got);
    if (strcmp(got, want) != 0)
        test_fail(__FILE__, __LINE__, "numa_maps policy of %p is \"%s\", expected \"%s\"",
                  base, got, want);
}
#endif

TEST(highest_node)
{
    int high = mmf_numa_highest_node();
    CHECK(high >= 0);
    CHECK(high < 1024);
#ifndef _WIN32
    {
        /* The kernel's own view: node<high> exists, node<high + 1> not. */
        char path[64];
        FILE *f;
        snprintf(path, sizeof path, "/sys/devices/system/node/node%d", high);
        f = fopen("/sys/devices/system/node/online", "r");
        if (f != NULL) {
            fclose(f);
            CHECK(access(path, F_OK) == 0);
            snprintf(path, sizeof path, "/sys/devices/system/node/node%d", high + 1);
            CHECK(access(path, F_OK) != 0);
        } else {
            CHECK_EQ(high, 0); /* a kernel without NUMA: one node */
        }
    }
#endif
}

#ifndef _WIN32
/* Another process opens the section, maps it without a node of its own and
 * finds the section's preference on its view: it is the object's. */
HELPER(numa_view)
{
    mmf_section *s;
    char got[64], want[32];
    void *p;
    if (argc < 2 || mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE) != 0)
        return 10;
    if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p) != 0)
        return 11;
    ((volatile char *)p)[mmf_page_size()] = 1;
    snprintf(want, sizeof want, "prefer:%s", argv[1]);
    if (strcmp(policy_of(p, got, sizeof got), want) != 0) {
        printf("child: numa_maps policy \"%s\", expected \"%s\"\n", got, want);
        return 12;
    }
    mmf_view_unmap(p);
    mmf_section_close(s);
    return 0;
}
#endif

/* A section created with MMF_NODE(n), committed or reserved: every view of
 * it prefers n, here and in another process. */
TEST(section_node_prefers)
{
#ifdef _WIN32
    mmf_section_opts w = {.flags = MMF_NODE(0)};
    mmf_section *ws = NULL;
    CHECK_RC(mmf_section_create(&ws, test_name("s"), 65536, MMF_CREATE_NEW, &w), MMF_ENOTSUP);
    CHECK(ws == NULL);
#else
    static const unsigned kinds[] = {0, MMF_SECTION_RESERVE};
    unsigned node = (unsigned)mmf_numa_highest_node();
    char arg[16];
    snprintf(arg, sizeof arg, "%u", node);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        mmf_section_opts o = {.flags = kinds[i] | MMF_NODE(node)};
        mmf_section *s;
        void *p;
        CHECK_OK(mmf_section_create(&s, test_name("s"), 1 << 20, MMF_CREATE_NEW, &o));
        CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p));
        ((volatile char *)p)[0] = 1;
        check_policy(p, node);
        CHECK_EQ(test_wait(test_spawn("numa_view", test_name("s"), arg, NULL)), 0);
        CHECK_OK(mmf_view_unmap(p));
        CHECK_OK(mmf_section_close(s));
    }
#endif
}

/* A view mapped with MMF_NODE(n) prefers n; a view without it, of a section
 * without one, has the default policy. */
TEST(view_node_prefers)
{
#ifdef _WIN32
    mmf_section *ws;
    void *wp = NULL;
    CHECK_OK(mmf_section_create(&ws, test_name("s"), 65536, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_view_map(ws, MMF_MAP_WRITE, 0, 0, MMF_NODE(0), &wp), MMF_ENOTSUP);
    CHECK(wp == NULL);
    CHECK_OK(mmf_section_close(ws));
#else
    unsigned node = (unsigned)mmf_numa_highest_node();
    mmf_section *s;
    char got[64];
    void *p, *q;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 1 << 20, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, &q));
    CHECK(strcmp(policy_of(q, got, sizeof got), "default") == 0);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, MMF_NODE(node) | MMF_VIEW_POPULATE, &p));
    check_policy(p, node);
    /* A copy-on-write view's private pages follow it too. */
    CHECK_OK(mmf_view_map(s, MMF_MAP_COPY, 0, 0, MMF_NODE(node), &q));
    ((volatile char *)q)[0] = 1;
    check_policy(q, node);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
#endif
}

/* A node past mmf_numa_highest_node() is refused with MMF_EINVAL, for a
 * section (nothing is left in the store) and for a view, on every system. */
TEST(node_past_highest_einval)
{
    unsigned past = (unsigned)mmf_numa_highest_node() + 1;
    mmf_section_opts o = {.flags = MMF_NODE(past)};
    mmf_section *s = NULL;
    void *p = NULL;
    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, &o), MMF_EINVAL);
    CHECK(s == NULL);
    o.flags = MMF_NODE(65534);
    CHECK_RC(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, &o), MMF_EINVAL);
    CHECK_EQ(test_store_count(test_name("")), 0);
    CHECK_OK(mmf_section_create(&s, test_name("s"), 65536, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, MMF_NODE(past), &p), MMF_EINVAL);
    CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, MMF_NODE(65534), &p), MMF_EINVAL);
    CHECK(p == NULL);
    CHECK_OK(mmf_section_close(s));
}
