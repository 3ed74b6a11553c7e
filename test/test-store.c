/* SPDX-License-Identifier: MIT */
/*
 * test-store.c - the Linux store itself: where it is (MMF_STORE_DIR), what
 * `gc` does with things planted in it, and how many objects one process
 * can hold.
 */
#include "test.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static const char *store_dir(void)
{
    const char *d = getenv("MMF_STORE_DIR");
    return d != NULL && d[0] == '/' ? d : "/dev/shm";
}

/* The store file of this user's Local name `key` (test keys need no
 * %-escaping). */
static void local_path(const char *key, char *path, size_t cap)
{
    snprintf(path, cap, "%s/mmf.u%u.%s", store_dir(), (unsigned)geteuid(), key);
}

/* A folder planted under an object's file name used to stay after gc, which
 * exited 0, and the name could not be created (MMF_ECORRUPT) until someone
 * removed it by hand. gc removes an empty one of the caller's; a non-empty
 * one it cannot judge is left and counted as not removed. */
TEST(gc_removes_planted_folder)
{
    char path[512], inner[600];
    mmf_object_info *list;
    mmf_section *s;
    size_t n;
    int rc;

    local_path(test_name("dir"), path, sizeof path);
    CHECK_EQ(mkdir(path, 0700), 0);
    CHECK_RC(mmf_section_create(&s, test_name("dir"), 4096, MMF_CREATE_NEW, NULL),
             MMF_ECORRUPT);
    rc = mmf_store_gc(&list, &n);
    mmf_store_list_free(list);
    CHECK(rc >= 0);
    CHECK(access(path, F_OK) != 0);
    CHECK_RC(mmf_section_create(&s, test_name("dir"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_section_close(s));

    /* Not empty: left in place, and gc says it could not remove it. */
    CHECK_EQ(mkdir(path, 0700), 0);
    snprintf(inner, sizeof inner, "%s/x", path);
    CHECK_EQ(mkdir(inner, 0700), 0);
    rc = mmf_store_gc(&list, &n);
    mmf_store_list_free(list);
    CHECK(rc >= 1);
    CHECK_EQ(access(path, F_OK), 0);
    CHECK_EQ(rmdir(inner), 0);
    CHECK_EQ(rmdir(path), 0);
}

/* argv: value for MMF_STORE_DIR, expected error name. Every store call
 * fails with that error instead of using /dev/shm or an empty store. */
HELPER(bad_store_dir)
{
    mmf_object_info *list = NULL, info;
    mmf_section *s;
    mmf_sync *e;
    size_t n;
    int want;

    CHECK_EQ(argc, 2);
    want = strcmp(argv[1], "MMF_EINVAL") == 0 ? MMF_EINVAL : MMF_ENOENT;
    CHECK_EQ(setenv("MMF_STORE_DIR", argv[0], 1), 0);
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL), want);
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_OPEN_OR_CREATE, NULL), want);
    CHECK_RC(mmf_event_create(&e, test_name("e"), 1, 0, MMF_CREATE_NEW, NULL), want);
    CHECK_RC(mmf_store_list(0, &list, &n), want);
    CHECK_RC(mmf_store_gc(&list, &n), want);
    if (want == MMF_EINVAL) {
        /* An open cannot tell a missing store from a missing name. */
        CHECK_RC(mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ), want);
        CHECK_RC(mmf_object_stat(test_name("s"), 0, &info), want);
    }
    return 0;
}

/* MMF_STORE_DIR=relative used to be ignored silently (the store stayed in
 * /dev/shm) and a missing folder listed as an empty store: now the first
 * is MMF_EINVAL and the second MMF_ENOENT, from create and listing. */
TEST(store_dir_relative_or_missing)
{
    CHECK_EQ(test_wait(test_spawn("bad_store_dir", "relative/store", "MMF_EINVAL", NULL)), 0);
    CHECK_EQ(test_wait(test_spawn("bad_store_dir", "/nonexistent/mmf-store",
                                  "MMF_ENOENT", NULL)), 0);
}

/* argv: count. With a soft descriptor limit of 64 (hard 4096), hold
 * `count` objects at once. */
HELPER(many_objects)
{
    struct rlimit rl = {64, 4096};
    mmf_sync **h;
    int n;

    CHECK_EQ(argc, 1);
    n = atoi(argv[0]);
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 77;
    h = calloc((size_t)n, sizeof *h);
    CHECK(h != NULL);
    for (int i = 0; i < n; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "e%d", i);
        CHECK_OK(mmf_event_create(&h[i], test_name(tag), 1, 0, MMF_CREATE_NEW, NULL));
    }
    for (int i = 0; i < n; i++)
        CHECK_OK(mmf_sync_close(h[i]));
    free(h);
    return 0;
}

/* One descriptor per object: the library raises the soft limit toward the
 * hard one when it runs out, so 500 objects fit under a soft limit of 64. */
TEST(descriptor_limit_raised)
{
    struct rlimit rl;
    int code;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max < 4096)
        SKIP("the hard descriptor limit is below 4096");
    code = test_wait(test_spawn("many_objects", "500", NULL));
    if (code == 77)
        SKIP("cannot set the descriptor limit");
    CHECK_EQ(code, 0);
}

/* argv: name. Create a section and die holding it: a stale object. */
HELPER(create_and_die)
{
    mmf_section *s;
    CHECK_EQ(argc, 1);
    CHECK_OK(mmf_section_create(&s, argv[0], 4096, MMF_CREATE_NEW, NULL));
    return 0; /* _exit: the handle goes with the process, as in a crash */
}

/* The sweep reads the store folder a bounded part at a time, resuming
 * where it stopped and starting again after the end: stale objects made
 * after (or, depending on the file system's order, before) hundreds of
 * other users' entries that fill several parts are still reclaimed by
 * plain calls about other names, a second apart, within a bounded number
 * of sweeps. */
TEST_SLOW(sweep_reaches_every_part_of_a_big_folder)
{
    enum { FOREIGN = 400, MAX_SWEEPS = 16 };
    char dir[] = "/dev/shm/mmf-test-sweep-XXXXXX", path[600], pad[201], name[2][300];
    const char *old = getenv("MMF_STORE_DIR");
    char *saved = old != NULL ? strdup(old) : NULL;
    mmf_section *s;
    int sweeps = 0;

    CHECK(mkdtemp(dir) != NULL);
    CHECK_EQ(setenv("MMF_STORE_DIR", dir, 1), 0);
    /* Long names: some 70 entries fill one 16 KiB part. */
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < FOREIGN; i++) {
        int fd;
        snprintf(path, sizeof path, "%s/mmf.u%u.%s-%d", dir, (unsigned)geteuid() + 1, pad, i);
        fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        close(fd);
    }
    /* This process's first sweep reads the first part, now. */
    CHECK_RC(mmf_section_open(&s, test_name("none"), MMF_ACCESS_READ), MMF_ENOENT);
    for (int k = 0; k < 2; k++) {
        snprintf(name[k], sizeof name[k], "%s", test_name(k ? "b" : "a"));
        CHECK_EQ(test_wait(test_spawn("create_and_die", name[k], NULL)), 0);
    }
    CHECK_EQ(test_store_count(test_name("")), 2);
    while (test_store_count(test_name("")) > 0 && sweeps < MAX_SWEEPS) {
        test_sleep_ms(1050);
        CHECK_RC(mmf_section_open(&s, test_name("none"), MMF_ACCESS_READ), MMF_ENOENT);
        sweeps++;
    }
    CHECK_EQ(test_store_count(test_name("")), 0);
    for (int i = 0; i < FOREIGN; i++) {
        snprintf(path, sizeof path, "%s/mmf.u%u.%s-%d", dir, (unsigned)geteuid() + 1, pad, i);
        CHECK_EQ(unlink(path), 0);
    }
    CHECK_EQ(rmdir(dir), 0);
    if (saved != NULL) {
        setenv("MMF_STORE_DIR", saved, 1);
        free(saved);
    } else {
        unsetenv("MMF_STORE_DIR");
    }
}
