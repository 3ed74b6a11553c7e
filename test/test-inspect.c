/* SPDX-License-Identifier: MIT */
/*
 * test-inspect.c - the inspection API called directly (the `mmf` tool's
 * output is test-cli.c's): mmf_type_name, mmf_channel_kind_name,
 * mmf_store_list, mmf_store_list_free, mmf_object_stat,
 * mmf_object_holders, mmf_object_holders_free, mmf_object_read, mmf_channel_stat,
 * mmf_object_remove and mmf_store_gc, each against what mmf.h says of it,
 * every documented error included.
 *
 * Each case uses a private store folder (MMF_STORE_DIR, sticky and open to
 * all like /dev/shm), so that listing and collecting see only the case's
 * objects and never touch those of cases running in parallel. Holders are
 * real processes (helpers, one of them forked); stale objects are made by
 * SIGKILL of the process that held them; another user is uid 65534, in a
 * helper that drops root's privileges (those cases are skipped when the
 * suite does not run as root).
 *
 * The cases that check a handle count exactly are serial (TEST_SERIAL):
 * counts are exact while the whole system holds few locks (KNOWN LIMITS in
 * mmf.h), and a case beside them may hold hundreds.
 */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#ifndef _WIN32
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#endif
#include <sys/stat.h>
#include <time.h>

#define NOBODY 65534
#define KIB 1024u

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static char store_dir[PATH_MAX];

static void remove_store(void)
{
    if (store_dir[0] != '\0' && rmdir(store_dir) != 0) {
        fprintf(stderr, "FAIL %s: private store %s not empty at exit\n", test_case(),
                store_dir);
        _exit(1);
    }
}

/* A private, empty store for this case, removed at exit (after the
 * harness has checked that no object of the case is left in it). Helpers
 * inherit it through the environment. */
static void private_store(void)
{
#ifdef _WIN32
    /* Windows has no store folder ($MMF_STORE_DIR means nothing there,
     * mmf.h): a case sees the session's whole namespace and looks only at
     * the names it made. */
    return;
#endif
    /* Folders of earlier runs that failed (a failed case leaves its own). */
    test_sweep_dead_dirs("/dev/shm", "mmf-test-");
    snprintf(store_dir, sizeof store_dir, "/dev/shm/mmf-test-%ld-%s.store",
             (long)getpid(), test_case());
    if (mkdir(store_dir, 01777) != 0 || chmod(store_dir, 01777) != 0)
        test_fail(__FILE__, __LINE__, "mkdir %s: %s", store_dir, strerror(errno));
    atexit(remove_store);
    CHECK_EQ(setenv("MMF_STORE_DIR", store_dir, 1), 0);
}

#ifndef _WIN32
static void need_root(void)
{
    if (geteuid() != 0)
        SKIP("cross-user cases need root (they switch to uid %d)", NOBODY);
}
#endif

/* Drop to NOBODY at the start of a helper. Changing credentials makes the
 * process undumpable, which would hide its own /proc/<pid>/fd and maps
 * from itself; the inspection calls need them, as any program run by that
 * user has them. */
#ifndef _WIN32
static void become_nobody(void)
{
    CHECK_EQ(test_drop_privileges(), 0);
    CHECK_EQ(geteuid(), NOBODY);
    CHECK_EQ(prctl(PR_SET_DUMPABLE, 1), 0);
    test_die_with_parent();
}
#endif

/* "Local\<name>" or "Global\<name>" (rotating static buffers). */
static const char *local_of(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "Local\\%s", name);
    return b;
}

static const char *global_of(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "Global\\%s", name);
    return b;
}

/* The entry of `full` in a list, or NULL. */
static const mmf_object_info *find_in(const mmf_object_info *list, size_t n,
                                      const char *full)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].name, full) == 0)
            return &list[i];
    }
    return NULL;
}

#ifndef _WIN32
static const mmf_holder *holder_of(const mmf_holder *list, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i].pid == (int64_t)pid)
            return &list[i];
    }
    return NULL;
}
#endif

static mmf_section *make_section(const char *name, uint64_t size, unsigned flags,
                                 unsigned mode)
{
    mmf_section_opts o = {.flags = flags, .mode = mode, .prot = MMF_PROT_READ | MMF_PROT_WRITE};
    mmf_section *s = NULL;
    CHECK_OK(mmf_section_create(&s, name, size, MMF_CREATE_NEW, &o));
    return s;
}

static void *map_view(mmf_section *s, unsigned map, uint64_t offset, size_t size)
{
    void *p = NULL;
    CHECK_OK(mmf_view_map(s, map, offset, size, 0, &p));
    return p;
}

static void write_at(mmf_section *s, uint64_t offset, const char *text)
{
    char *p = map_view(s, MMF_MAP_WRITE, 0, 0);
    strcpy(p + offset, text);
    CHECK_OK(mmf_view_unmap(p));
}

/* The store file of a live or stale object (from its description). */
#ifndef _WIN32
static const char *store_file_of(const char *name)
{
    static char path[MMF_PATH_BYTES];
    static mmf_object_info info;
    CHECK_OK(mmf_object_stat(name, 0, &info));
    snprintf(path, sizeof path, "%s", info.store_file);
    return path;
}
#endif

/* Overwrite the first bytes of an object's store file: its header's magic
 * number. */
#ifndef _WIN32
static void damage_header(const char *name)
{
    const char *path = store_file_of(name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "garbage!", 8, 0) == 8);
    close(fd);
}
#endif

/* A file under the store name of the Local object `name` that is not an
 * object: a corrupt entry nobody holds. */
#ifndef _WIN32
static void plant_garbage(const char *name)
{
    char path[PATH_MAX + 64], junk[8192];
    int fd;
    snprintf(path, sizeof path, "%s/mmf.u%u.%s", store_dir, (unsigned)geteuid(), name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    memset(junk, 0x5a, sizeof junk);
    CHECK(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
    close(fd);
}
#endif

static void kill_and_reap(pid_t pid)
{
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK_EQ(test_wait(pid), 128 + SIGKILL);
}

/* The first line of /proc/<pid>/comm. */
#ifndef _WIN32
static const char *comm_of(pid_t pid)
{
    static char buf[64];
    char path[64];
    FILE *f;
    snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
    buf[0] = '\0';
    if ((f = fopen(path, "re")) != NULL) {
        if (fgets(buf, sizeof buf, f) != NULL)
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
    return buf;
}
#endif

#ifndef _WIN32
static pid_t parent_of(int64_t pid)
{
    char path[64], line[256];
    long ppid = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%lld/status", (long long)pid);
    if ((f = fopen(path, "re")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "PPid: %ld", &ppid) == 1)
            break;
    }
    fclose(f);
    return (pid_t)ppid;
}
#endif

/* Names that every name-taking call refuses, with the code it must give. */
struct bad_name {
    const char *name;
    int rc;
};

static const struct bad_name *bad_names(void)
{
    static char too_long[MMF_NAME_MAX + 2];
    static struct bad_name list[9];
    memset(too_long, 'x', MMF_NAME_MAX + 1);
    too_long[MMF_NAME_MAX + 1] = '\0';
    list[0] = (struct bad_name){NULL, MMF_EINVAL};
    list[1] = (struct bad_name){"", MMF_EINVAL};
    list[2] = (struct bad_name){"Local\\", MMF_EBADNAME};   /* empty after prefix */
    list[3] = (struct bad_name){"Local\\a\\b", MMF_EBADNAME}; /* backslash */
    list[4] = (struct bad_name){"bad\xff" "utf8", MMF_EBADNAME};
    list[5] = (struct bad_name){"Session\\x", MMF_EBADNAME}; /* reserved */
    list[6] = (struct bad_name){too_long, MMF_ENAMETOOLONG};
    list[7] = (struct bad_name){NULL, 1}; /* end */
    return list;
}

/*
 * argv: ready fd, then objects to create and hold, each "KIND:NAME":
 * s section (64 KiB, "left by <pid>" at offsets 0 and 40000; a name with
 * the Global prefix makes a Global one) or m mutex. Signals ready and
 * waits to be killed.
 */
HELPER(hold)
{
    int ready = atoi(argv[0]);
    test_die_with_parent();
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i] + 2;
        char text[64];
        snprintf(text, sizeof text, "left by %ld", (long)getpid());
        switch (argv[i][0]) {
        case 's': {
            mmf_section *s = make_section(name, 64 * KIB, 0, 0);
            write_at(s, 0, text);
            write_at(s, 40000, text);
            break;
        }
        case 'm': {
            mmf_sync *m;
            CHECK_OK(mmf_mutex_create(&m, name, 0, MMF_CREATE_NEW, NULL));
            break;
        }
        default:
            return 2;
        }
    }
    test_sync_signal(ready);
    for (;;)
        pause();
}

/* Start `hold` with up to four objects; returns once they exist. */
static pid_t spawn_holder(const char *a, const char *b, const char *c, const char *d)
{
    struct test_sync ready;
    pid_t pid;
    test_sync_init(&ready);
    pid = test_spawn("hold", test_num(ready.wr), a, b, c, d, NULL);
    CHECK(test_sync_wait(&ready, 10000));
    close(ready.rd);
    close(ready.wr);
    return pid;
}

/* "KIND:NAME" for spawn_holder (rotating static buffers). */
static const char *spec(char kind, const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%c:%s", kind, name);
    return b;
}

/* ------------------------------------------------------------------------ */
/* Names of types and kinds                                                  */
/* ------------------------------------------------------------------------ */

TEST(type_and_kind_names)
{
    static const struct { int v; const char *name; } types[] = {
        {MMF_TYPE_SECTION, "section"}, {MMF_TYPE_MUTEX, "mutex"},
        {MMF_TYPE_EVENT, "event"},     {MMF_TYPE_SEMAPHORE, "semaphore"},
        {MMF_TYPE_CHANNEL, "channel"}, {MMF_TYPE_UNKNOWN, "unknown"},
        {6, "unknown"}, {-1, "unknown"}, {INT_MAX, "unknown"}, {INT_MIN, "unknown"},
    };
    static const struct { int v; const char *name; } kinds[] = {
        {MMF_KIND_RING, "ring"}, {MMF_KIND_QUEUE, "queue"},
        {MMF_KIND_BCAST, "broadcast"}, {0, "unknown"}, {4, "unknown"},
        {-1, "unknown"}, {INT_MAX, "unknown"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const char *n = mmf_type_name(types[i].v);
        CHECK(n != NULL && strcmp(n, types[i].name) == 0);
        /* static: the same string every time */
        CHECK(mmf_type_name(types[i].v) == n);
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *n = mmf_channel_kind_name(kinds[i].v);
        CHECK(n != NULL && strcmp(n, kinds[i].name) == 0);
        CHECK(mmf_channel_kind_name(kinds[i].v) == n);
    }
}

/* ------------------------------------------------------------------------ */
/* mmf_store_list                                                            */
/* ------------------------------------------------------------------------ */

/* Every object of the caller's view, sorted by name, with what `what`
 * asks for and MMF_UNKNOWN for what it does not. */
#ifndef _WIN32
TEST_SERIAL(store_list_reports_every_object)
{
    const char *ns = test_name("b-section"), *nm = test_name("a-mutex"),
               *ne = test_name("d-event"), *nsem = test_name("c-semaphore"),
               *nr = test_name("e-ring"), *ng = test_name("f-global");
    mmf_object_info *list = NULL;
    mmf_section *s, *g;
    mmf_sync *m, *e, *sem;
    mmf_ring *r;
    size_t n = 99;
    uint64_t before, after;
    struct timespec ts;
    char *view;

    private_store();
    /* An empty store: no list at all. */
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    CHECK_EQ(n, 0);
    CHECK(list == NULL);
    mmf_store_list_free(NULL);

    clock_gettime(CLOCK_REALTIME, &ts);
    before = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    s = make_section(ns, 3 * mmf_page_size(), 0, 0640);
    CHECK_OK(mmf_mutex_create(&m, nm, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&e, ne, 1, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&sem, nsem, 1, 5, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_create(&r, nr, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    g = make_section(global_of(ng), mmf_page_size(), 0, 0);
    clock_gettime(CLOCK_REALTIME, &ts);
    after = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    view = map_view(s, MMF_MAP_WRITE, 0, 0);
    view[0] = 1; /* one page resident */

    /* Without MMF_INFO_PROCESSES and MMF_INFO_RESIDENCY. */
    CHECK_OK(mmf_store_list(0, &list, &n));
    CHECK_EQ(n, 6);
    for (size_t i = 1; i < n; i++)
        CHECK(strcmp(list[i - 1].name, list[i].name) < 0);
    for (size_t i = 0; i < n; i++) {
        const mmf_object_info *o = &list[i];
        CHECK_EQ(o->stale, 0);
        CHECK_EQ(o->corrupt, 0);
        CHECK_EQ(o->readable, 1);
        CHECK_EQ(o->file_backed, 0);
        CHECK_EQ(o->uid, geteuid());
        CHECK_EQ(o->gid, getegid());
        CHECK_EQ(o->creator_pid, getpid());
        CHECK(o->create_ns >= before - 1000000000u && o->create_ns <= after + 1000000000u);
        CHECK_EQ(o->handles, 1);
        CHECK(o->processes == MMF_UNKNOWN && o->mappers == MMF_UNKNOWN &&
              o->hidden == MMF_UNKNOWN);
        CHECK(o->resident == MMF_UNKNOWN && o->dirty == MMF_UNKNOWN);
        CHECK(o->version > 0);
        CHECK_EQ(o->file[0], '\0');
        CHECK(strncmp(o->store_file, store_dir, strlen(store_dir)) == 0);
    }
    CHECK_EQ(find_in(list, n, local_of(nm))->type, MMF_TYPE_MUTEX);
    CHECK_EQ(find_in(list, n, local_of(nm))->size, 0);
    CHECK_EQ(find_in(list, n, local_of(nm))->mode, 0600);
    CHECK_EQ(find_in(list, n, local_of(ns))->type, MMF_TYPE_SECTION);
    CHECK_EQ(find_in(list, n, local_of(ns))->size, 3 * mmf_page_size());
    CHECK_EQ(find_in(list, n, local_of(ns))->prot, MMF_PROT_READ | MMF_PROT_WRITE);
    CHECK_EQ(find_in(list, n, local_of(ns))->mode, 0640);
    CHECK_EQ(find_in(list, n, local_of(ns))->flags & MMF_GLOBAL, 0);
    CHECK_EQ(find_in(list, n, local_of(ne))->type, MMF_TYPE_EVENT);
    CHECK_EQ(find_in(list, n, local_of(nsem))->type, MMF_TYPE_SEMAPHORE);
    CHECK_EQ(find_in(list, n, local_of(nr))->type, MMF_TYPE_CHANNEL);
    CHECK_EQ(find_in(list, n, global_of(ng))->type, MMF_TYPE_SECTION);
    CHECK(find_in(list, n, global_of(ng))->flags & MMF_GLOBAL);
    mmf_store_list_free(list);

    /* Everything. */
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    CHECK_EQ(n, 6);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(list[i].processes, 1);
        CHECK_EQ(list[i].hidden, 0);
        CHECK(list[i].resident != MMF_UNKNOWN);
        CHECK(list[i].dirty == MMF_UNKNOWN); /* none is file-backed */
    }
    CHECK_EQ(find_in(list, n, local_of(ns))->mappers, 1);
    CHECK_EQ(find_in(list, n, global_of(ng))->mappers, 0);
    CHECK(find_in(list, n, local_of(ns))->resident >= mmf_page_size());
    CHECK_EQ(find_in(list, n, local_of(nm))->resident, 0);
    mmf_store_list_free(list);

    /* Only one of the two costly parts. */
    CHECK_OK(mmf_store_list(MMF_INFO_PROCESSES, &list, &n));
    CHECK_EQ(find_in(list, n, local_of(ns))->mappers, 1);
    CHECK(find_in(list, n, local_of(ns))->resident == MMF_UNKNOWN);
    mmf_store_list_free(list);
    CHECK_OK(mmf_store_list(MMF_INFO_RESIDENCY, &list, &n));
    CHECK(find_in(list, n, local_of(ns))->mappers == MMF_UNKNOWN);
    CHECK(find_in(list, n, local_of(ns))->resident >= mmf_page_size());
    mmf_store_list_free(list);

    /* Unknown bits in `what`. */
    list = (mmf_object_info *)1;
    CHECK_RC(mmf_store_list(MMF_INFO_ALL + 1, &list, &n), MMF_EINVAL);
    CHECK(list == NULL);
    CHECK_RC(mmf_store_list(0x100, &list, &n), MMF_EINVAL);

    /* Taking no handle: a listed object goes with its last handle. */
    CHECK_OK(mmf_view_unmap(view));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_store_list(0, &list, &n));
    CHECK_EQ(n, 5);
    CHECK(find_in(list, n, local_of(ns)) == NULL);
    mmf_store_list_free(list);
    CHECK_OK(mmf_sync_close(m));
    CHECK_OK(mmf_sync_close(e));
    CHECK_OK(mmf_sync_close(sem));
    CHECK_OK(mmf_ring_close(r));
    CHECK_OK(mmf_section_close(g));
}
#else
LINUX_ONLY_TEST(store_list_reports_every_object, "lists objects of a second uid")
#endif

/* The store folder: missing (MMF_ENOENT, not an empty list), not an
 * absolute path (MMF_EINVAL). mmf_store_gc gives the same errors. (MMF_EIO,
 * a store that fails to read, would take a failing device to make.)
 * Windows has no store folder: $MMF_STORE_DIR, whatever it says, changes
 * nothing, and the namespace is listed with the case's object in it.
 * Serial: on Windows a listing opens every object of the session for a
 * moment, which would keep other cases' names alive past their last close.
 */
TEST_SERIAL(store_list_store_folder_errors)
{
    mmf_object_info *list = (mmf_object_info *)1;
    size_t n = 99;
    char missing[PATH_MAX];

    snprintf(missing, sizeof missing, "/dev/shm/mmf-test-%ld-no-such-store", (long)getpid());
#ifdef _WIN32
    {
        static const char *dirs[] = {NULL, "relative/store", NULL};
        mmf_section *s = make_section(test_name("s"), 64 * KIB, 0, 0);
        dirs[0] = missing;
        for (int i = 0; dirs[i] != NULL; i++) {
            CHECK_EQ(setenv("MMF_STORE_DIR", dirs[i], 1), 0);
            CHECK_OK(mmf_store_list(0, &list, &n));
            CHECK(find_in(list, n, local_of(test_name("s"))) != NULL);
            mmf_store_list_free(list);
            CHECK_RC(mmf_store_gc(&list, &n), 0);
            CHECK_EQ(n, 0);
            mmf_store_list_free(list);
        }
        CHECK_EQ(unsetenv("MMF_STORE_DIR"), 0);
        CHECK_OK(mmf_section_close(s));
        return;
    }
#endif
    CHECK_EQ(setenv("MMF_STORE_DIR", missing, 1), 0);
    CHECK_RC(mmf_store_list(0, &list, &n), MMF_ENOENT);
    CHECK(list == NULL);
    CHECK_EQ(n, 0);
    CHECK_RC(mmf_store_gc(&list, &n), MMF_ENOENT);
    CHECK(list == NULL);
    CHECK_EQ(setenv("MMF_STORE_DIR", "relative/store", 1), 0);
    CHECK_RC(mmf_store_list(MMF_INFO_ALL, &list, &n), MMF_EINVAL);
    CHECK_RC(mmf_store_gc(&list, &n), MMF_EINVAL);
    CHECK_EQ(unsetenv("MMF_STORE_DIR"), 0);
}

/* argv: store folder. As nobody: a store folder it may not read. */
#ifndef _WIN32
HELPER(list_unreadable_store)
{
    mmf_object_info *list = NULL;
    size_t n = 0;
    (void)argc;
    become_nobody();
    CHECK_EQ(setenv("MMF_STORE_DIR", argv[0], 1), 0);
    CHECK_RC(mmf_store_list(0, &list, &n), MMF_EACCES);
    CHECK_RC(mmf_store_gc(&list, &n), MMF_EACCES);
    return 0;
}
#endif

#ifndef _WIN32
#ifndef _WIN32
TEST(store_list_unreadable_store_eacces)
{
    char dir[PATH_MAX];
    need_root();
    snprintf(dir, sizeof dir, "/dev/shm/mmf-test-%ld-%s.closed", (long)getpid(), test_case());
    CHECK_EQ(mkdir(dir, 0700), 0);
    int code = test_wait(test_spawn("list_unreadable_store", dir, NULL));
    CHECK_EQ(rmdir(dir), 0);
    CHECK_EQ(code, 0);
}
#endif
#else
LINUX_ONLY_TEST(store_list_unreadable_store_eacces, "needs root to switch uid")
#endif

/* ------------------------------------------------------------------------ */
/* mmf_object_stat                                                           */
/* ------------------------------------------------------------------------ */

/* Each type, as mmf_store_list() reports it; a sparse section's allocated
 * bytes; a file-backed section's file, residency and dirty bytes. */
#ifndef _WIN32
TEST_SERIAL(object_stat_describes_each_type)
{
    const char *ns = test_name("sparse"), *nm = test_name("mutex"), *nf = test_name("file");
    mmf_object_info info, *list;
    uint64_t page = mmf_page_size();
    mmf_section *s, *f;
    mmf_sync *m;
    size_t n;
    char path[PATH_MAX], *p;
    int fd;

    private_store();
    s = make_section(ns, 256 * page, MMF_SECTION_RESERVE, 0);
    CHECK_OK(mmf_mutex_create(&m, nm, 0, MMF_CREATE_NEW, NULL));
    write_at(s, 5 * page, "touched");

    CHECK_OK(mmf_object_stat(ns, MMF_INFO_ALL, &info));
    CHECK_EQ(strcmp(info.name, local_of(ns)), 0);
    CHECK_EQ(info.type, MMF_TYPE_SECTION);
    CHECK_EQ(info.size, 256 * page);
    CHECK(info.flags & MMF_SECTION_RESERVE);
    CHECK(info.allocated >= page && info.allocated < 256 * page);
    CHECK(info.resident >= page && info.resident < 256 * page);
    CHECK_EQ(info.handles, 1);
    CHECK_EQ(info.processes, 1);
    CHECK_EQ(info.mappers, 0);
    CHECK_EQ(info.stale, 0);
    /* The same as the list says. */
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    CHECK_EQ(find_in(list, n, local_of(ns))->allocated, info.allocated);
    CHECK_EQ(find_in(list, n, local_of(ns))->create_ns, info.create_ns);
    CHECK_EQ(strcmp(find_in(list, n, local_of(ns))->store_file, info.store_file), 0);
    mmf_store_list_free(list);
    /* Names with and without the Local\ prefix are one object. */
    CHECK_OK(mmf_object_stat(local_of(ns), 0, &info));
    CHECK_EQ(info.size, 256 * page);
    CHECK(info.processes == MMF_UNKNOWN && info.resident == MMF_UNKNOWN);

    CHECK_OK(mmf_object_stat(nm, MMF_INFO_ALL, &info));
    CHECK_EQ(info.type, MMF_TYPE_MUTEX);
    CHECK_EQ(info.size, 0);
    CHECK_EQ(info.handles, 1);

    /* A file-backed section: its file, and dirty bytes that a durable
     * flush writes out (where the system reports them). */
    snprintf(path, sizeof path, "/tmp/mmf-test-inspect-%ld-%s", (long)getpid(), test_case());
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, (off_t)(16 * page)), 0);
    CHECK_OK(mmf_section_create_fd(&f, nf, fd, 0, MMF_CREATE_NEW, NULL));
    close(fd);
    p = map_view(f, MMF_MAP_WRITE, 0, 0);
    memset(p, 'd', 4 * page);
    CHECK_OK(mmf_object_stat(nf, MMF_INFO_ALL, &info));
    CHECK_EQ(info.file_backed, 1);
    CHECK_EQ(strcmp(info.file, path), 0);
    CHECK_EQ(info.size, 16 * page);
    CHECK_EQ(info.mappers, 1);
    CHECK(info.resident >= 4 * page);
    if (info.dirty != MMF_UNKNOWN) { /* Linux 6.5 and later */
        CHECK(info.dirty >= 4 * page);
        CHECK_OK(mmf_view_flush_durable(p, 0));
        CHECK_OK(mmf_object_stat(nf, MMF_INFO_RESIDENCY, &info));
        CHECK_EQ(info.dirty, 0);
    }
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(f));
    CHECK_EQ(unlink(path), 0);

    /* Taking no handle: the object goes with its last handle. */
    CHECK_OK(mmf_section_close(s));
    CHECK_RC(mmf_object_stat(ns, 0, &info), MMF_ENOENT);
    CHECK_OK(mmf_sync_close(m));
    CHECK_RC(mmf_object_stat(nm, MMF_INFO_ALL, &info), MMF_ENOENT);
}
#else
LINUX_ONLY_TEST(object_stat_describes_each_type, "checks Linux store file modes and owners")
#endif

/* argv: a name. Opens and closes sections of that name in a loop until
 * killed: a process that keeps taking and dropping locks. */
#ifndef _WIN32
HELPER(lock_churn)
{
    char name[200];
    mmf_section *s;
    (void)argc;
    test_die_with_parent();
    for (unsigned i = 0; i < UINT_MAX; i++) {
        snprintf(name, sizeof name, "%s-%u", argv[0], i % 4);
        if (mmf_section_create(&s, name, 4096, MMF_OPEN_OR_CREATE, NULL) >= 0)
            mmf_section_close(s);
    }
    return 0;
}

/* Handle counts are exact while other processes take and drop locks all
 * the time. The kernel lets each of them in between two reads of its lock
 * table, so a count made of several reads saw the table at different
 * moments, and about one stat in ten was off. */
TEST_SERIAL(object_stat_counts_handles_while_others_lock)
{
    const char *ns = test_name("held");
    mmf_object_info info;
    mmf_section *s;
    mmf_object_info *gone;
    size_t n;
    pid_t kids[2];
    int wrong = 0;

    private_store();
    s = make_section(ns, 4096, 0, 0);
    kids[0] = test_spawn("lock_churn", test_name("a"), NULL);
    kids[1] = test_spawn("lock_churn", test_name("b"), NULL);
    /* A second, and at least 2000 stats (the helpers take a moment to
     * start). */
    for (uint64_t i = 0, end = test_now_ns() + 1000000000u; i < 2000 || test_now_ns() < end;
         i++) {
        CHECK_OK(mmf_object_stat(ns, 0, &info));
        wrong += info.handles != 1;
    }
    kill_and_reap(kids[0]);
    kill_and_reap(kids[1]);
    CHECK_EQ(wrong, 0);
    CHECK_OK(mmf_section_close(s));
    /* What the killed processes held, nobody holds now. */
    CHECK_OK(mmf_store_gc(&gone, &n));
    mmf_store_list_free(gone);
}
#else
LINUX_ONLY_TEST(object_stat_counts_handles_while_others_lock, "counts Linux lock-table lines")
#endif

TEST(object_stat_errors)
{
    const struct bad_name *bad = bad_names();
    mmf_object_info info;
    mmf_sync *m;

    private_store();
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_object_stat(test_name("absent"), 0, &info), MMF_ENOENT);
    CHECK_RC(mmf_object_stat(global_of(test_name("m")), 0, &info), MMF_ENOENT);
    CHECK_RC(mmf_object_stat(test_name("m"), MMF_INFO_ALL + 1, &info), MMF_EINVAL);
    CHECK_RC(mmf_object_stat(test_name("m"), 0x80000000u, &info), MMF_EINVAL);
    for (int i = 0; bad[i].rc != 1; i++)
        CHECK_RC(mmf_object_stat(bad[i].name, 0, &info), bad[i].rc);
    CHECK_OK(mmf_sync_close(m));
}

/* A corrupt entry is described, not refused. */
#ifndef _WIN32
TEST_SERIAL(object_stat_reports_corrupt_entries)
{
    const char *name = test_name("junk");
    mmf_object_info info;
    private_store();
    plant_garbage(name);
    CHECK_OK(mmf_object_stat(name, MMF_INFO_ALL, &info));
    CHECK_EQ(info.corrupt, 1);
    CHECK_EQ(info.handles, 0);
    CHECK_OK(mmf_object_remove(name));
    CHECK_RC(mmf_object_stat(name, 0, &info), MMF_ENOENT);
}
#else
LINUX_ONLY_TEST(object_stat_reports_corrupt_entries, "plants garbage files in the Linux store")
#endif

/* ------------------------------------------------------------------------ */
/* Stale objects: their holder killed                                        */
/* ------------------------------------------------------------------------ */

/* Start a process holding section ns and mutex nm, keep a view of the
 * section after closing our handle to it, check that the process is the
 * section's one live holder, and kill it. Returns the view; text gets what
 * the holder wrote in the section. */
static char *kill_holder_keeping_view(const char *ns, const char *nm, char *text, size_t cap)
{
    mmf_object_info info;
    mmf_section *s;
    char *view;
    pid_t pid = spawn_holder(spec('s', ns), spec('m', nm), NULL, NULL);

    snprintf(text, cap, "left by %ld", (long)pid);
    CHECK_OK(mmf_section_open(&s, ns, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    view = map_view(s, MMF_MAP_WRITE, 0, 0);
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_object_stat(ns, MMF_INFO_ALL, &info));
    CHECK_EQ(info.stale, 0);
    CHECK_EQ(info.handles, 1);
    CHECK_OK(mmf_object_stat(nm, 0, &info));
    CHECK_EQ(info.type, MMF_TYPE_MUTEX);
    kill_and_reap(pid);
    return view;
}

/* A section and a mutex whose only holder was killed: reported stale,
 * not reclaimed by looking; the section's data reads as it was left; its
 * one remaining mapper (a process that closed its handle earlier) is its
 * only holder; removing it leaves that view's memory alone.
 * Windows: nothing is ever stale. The kernel closes a killed process's
 * handles, and the names go with the last handle at once, although a view
 * still maps the section: nothing lists them, gc finds nothing, the view
 * keeps its memory, and the name is free for a new object. */
#ifdef _WIN32
static void stale_objects_after_terminate(void)
{
    const char *ns = test_name("s"), *nm = test_name("m");
    mmf_object_info info, *list;
    mmf_holder *holders;
    mmf_section *s;
    uint64_t hidden = 99;
    char text[64], buf[64], *view, *fresh;
    size_t n, done;

    view = kill_holder_keeping_view(ns, nm, text, sizeof text);

    CHECK_RC(mmf_object_stat(ns, MMF_INFO_ALL, &info), MMF_ENOENT);
    CHECK_RC(mmf_object_stat(nm, 0, &info), MMF_ENOENT);
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    CHECK(find_in(list, n, local_of(ns)) == NULL);
    CHECK(find_in(list, n, local_of(nm)) == NULL);
    mmf_store_list_free(list);
    CHECK_RC(mmf_store_gc(&list, &n), 0);
    CHECK_EQ(n, 0);
    mmf_store_list_free(list);
    CHECK_EQ(test_store_count(ns), 0);
    CHECK_EQ(test_store_count(nm), 0);
    CHECK_RC(mmf_object_read(ns, 40000, buf, sizeof buf, &done), MMF_ENOENT);
    CHECK_RC(mmf_object_holders(ns, &holders, &n, &hidden), MMF_ENOENT);
    CHECK_RC(mmf_object_remove(ns), MMF_ENOENT);
    CHECK_RC(mmf_object_remove(nm), MMF_ENOENT);
    CHECK_RC(mmf_section_open(&s, ns, MMF_ACCESS_READ), MMF_ENOENT);

    /* The view keeps its memory. */
    CHECK_EQ(strcmp(view, text), 0);
    strcpy(view + 100, "still mine");
    CHECK_EQ(strcmp(view + 100, "still mine"), 0);
    /* The name makes a new object, not the old one. */
    s = make_section(ns, 64 * KIB, 0, 0);
    fresh = map_view(s, MMF_MAP_READ, 0, 0);
    CHECK_EQ(fresh[0], 0);
    CHECK_EQ(fresh[100], 0);
    CHECK_OK(mmf_view_unmap(fresh));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(strcmp(view, text), 0);
    CHECK_OK(mmf_view_unmap(view));
}
#endif

/* Serial, as store_list_store_folder_errors. */
TEST_SERIAL(stale_objects_after_sigkill)
{
    const char *ns = test_name("s"), *nm = test_name("m");
    mmf_object_info info, *list;
    mmf_holder *holders;
    uint64_t hidden = 99;
    char text[64], buf[64];
    size_t n, done;
    char *view;

    private_store();
#ifdef _WIN32
    stale_objects_after_terminate();
    return;
#endif
    view = kill_holder_keeping_view(ns, nm, text, sizeof text);

    CHECK_OK(mmf_object_stat(ns, MMF_INFO_ALL, &info));
    CHECK_EQ(info.stale, 1);
    CHECK_EQ(info.handles, 0);
    CHECK_EQ(info.processes, 0);
    CHECK_EQ(info.mappers, 1);
    CHECK_EQ(info.type, MMF_TYPE_SECTION);
    CHECK_OK(mmf_object_stat(nm, 0, &info));
    CHECK_EQ(info.stale, 1);
    CHECK_EQ(info.type, MMF_TYPE_MUTEX);
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    CHECK_EQ(n, 2);
    CHECK(list[0].stale && list[1].stale);
    mmf_store_list_free(list);
    /* Looked at, not reclaimed. */
    CHECK_EQ(test_store_count(ns), 1);
    CHECK_EQ(test_store_count(nm), 1);

    CHECK_OK(mmf_object_read(ns, 40000, buf, sizeof buf, &done));
    CHECK_EQ(done, sizeof buf);
    CHECK_EQ(strcmp(buf, text), 0);

    CHECK_OK(mmf_object_holders(ns, &holders, &n, &hidden));
    CHECK_EQ(n, 1);
    CHECK_EQ(holders[0].pid, getpid());
    CHECK_EQ(holders[0].handles, 0);
    CHECK_EQ(holders[0].nviews, 1);
    CHECK_EQ(hidden, 0);
    mmf_object_holders_free(holders, n);

    CHECK_OK(mmf_object_remove(ns));
    CHECK_RC(mmf_object_stat(ns, 0, &info), MMF_ENOENT);
    CHECK_RC(mmf_object_remove(ns), MMF_ENOENT);
    CHECK_EQ(test_store_count(ns), 0);
    /* The view keeps its memory. */
    CHECK_EQ(strcmp(view, text), 0);
    strcpy(view + 100, "still mine");
    CHECK_EQ(strcmp(view + 100, "still mine"), 0);
    CHECK_OK(mmf_view_unmap(view));
    CHECK_OK(mmf_object_remove(nm));
    CHECK_RC(mmf_object_stat(nm, 0, &info), MMF_ENOENT);
}

/* ------------------------------------------------------------------------ */
/* mmf_object_holders                                                        */
/* ------------------------------------------------------------------------ */

/* argv: name, ready fd, go fd. Two handles and two views (read at 0,
 * write at twice the granularity), until told to go. */
HELPER(two_handles_two_views)
{
    uint64_t g = mmf_allocation_granularity();
    mmf_section *a, *b;
    void *r, *w;
    (void)argc;
    test_die_with_parent();
    CHECK_OK(mmf_section_open(&a, argv[0], MMF_ACCESS_READ));
    CHECK_OK(mmf_section_open(&b, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    r = map_view(a, MMF_MAP_READ, 0, (size_t)g);
    w = map_view(b, MMF_MAP_WRITE, 2 * g, (size_t)g);
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    CHECK_OK(mmf_view_unmap(r));
    CHECK_OK(mmf_view_unmap(w));
    CHECK_OK(mmf_section_close(a));
    CHECK_OK(mmf_section_close(b));
    return 0;
}

/* argv: name, ready fd, go fd. One handle, then a fork: the child holds
 * the inherited handle too, until told to go. */
#ifndef _WIN32
HELPER(forked_holder)
{
    mmf_section *s;
    pid_t child;
    (void)argc;
    test_die_with_parent();
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ));
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        test_die_with_parent();
        test_await_fd(atoi(argv[2]), 30000);
        _exit(0);
    }
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    CHECK_EQ(test_wait(child), 0);
    CHECK_OK(mmf_section_close(s));
    return 0;
}
#endif

/* Holders by pid, with their handle counts and views; an inherited
 * handle shows in the child as in its parent; the totals agree with
 * mmf_object_stat(). */
#ifndef _WIN32
TEST_SERIAL(object_holders_by_pid)
{
    const char *name = test_name("s");
    uint64_t g = mmf_allocation_granularity(), hidden = 99;
    struct test_sync ready, go;
    mmf_object_info info;
    mmf_holder *list;
    const mmf_holder *h;
    pid_t a, b;
    size_t n;
    mmf_section *s;
    mmf_sync *m;
    void *view, *view2;
    int64_t child = 0;
    size_t i0;

    private_store();
    s = make_section(name, 4 * g, 0, 0);
    view = map_view(s, MMF_MAP_WRITE, 0, 0);
    view2 = map_view(s, MMF_MAP_READ, g, (size_t)g);
    test_sync_init(&ready);
    test_sync_init(&go);
    a = test_spawn("two_handles_two_views", name, test_num(ready.wr), test_num(go.rd), NULL);
    CHECK(test_sync_wait(&ready, 10000));
    b = test_spawn("forked_holder", name, test_num(ready.wr), test_num(go.rd), NULL);
    CHECK(test_sync_wait(&ready, 10000));

    CHECK_OK(mmf_object_holders(name, &list, &n, &hidden));
    CHECK_EQ(n, 4);
    CHECK_EQ(hidden, 0);
    for (size_t i = 1; i < n; i++)
        CHECK(list[i - 1].pid < list[i].pid);
    h = holder_of(list, n, getpid());
    CHECK(h != NULL);
    CHECK_EQ(h->handles, 1);
    CHECK_EQ(h->nviews, 2);
    /* By address: the whole section written, a granule of it read. */
    i0 = (uintptr_t)view < (uintptr_t)view2 ? 0 : 1;
    CHECK_EQ(h->views[i0].offset, 0);
    CHECK_EQ(h->views[i0].length, 4 * g);
    CHECK_EQ(h->views[i0].map, MMF_MAP_WRITE);
    CHECK_EQ(h->views[1 - i0].offset, g);
    CHECK_EQ(h->views[1 - i0].length, g);
    CHECK_EQ(h->views[1 - i0].map, MMF_MAP_READ);
    CHECK_EQ(strcmp(h->command, comm_of(getpid())), 0);
    CHECK(h->command[0] != '\0');
    h = holder_of(list, n, a);
    CHECK(h != NULL);
    CHECK_EQ(h->handles, 2);
    CHECK_EQ(h->nviews, 2);
    /* In the order of their addresses, which the helper does not tell. */
    i0 = h->views[0].offset == 0 ? 0 : 1;
    CHECK_EQ(h->views[i0].offset, 0);
    CHECK_EQ(h->views[i0].length, g);
    CHECK_EQ(h->views[i0].map, MMF_MAP_READ);
    CHECK_EQ(h->views[1 - i0].offset, 2 * g);
    CHECK_EQ(h->views[1 - i0].length, g);
    CHECK_EQ(h->views[1 - i0].map, MMF_MAP_WRITE);
    CHECK_EQ(strcmp(h->command, comm_of(a)), 0);
    h = holder_of(list, n, b);
    CHECK(h != NULL);
    CHECK_EQ(h->handles, 1);
    CHECK_EQ(h->nviews, 0);
    CHECK(h->views == NULL);
    for (size_t i = 0; i < n; i++) {
        if (list[i].pid != getpid() && list[i].pid != a && list[i].pid != b)
            child = list[i].pid;
    }
    CHECK(child > 0);
    CHECK_EQ(parent_of(child), b);
    h = holder_of(list, n, (pid_t)child);
    CHECK_EQ(h->handles, 1); /* as its parent shows it */
    CHECK_EQ(h->nviews, 0);
    mmf_object_holders_free(list, n);

    /* The totals: four handles (the fork shares its parent's), four
     * processes holding one, two mapping views. */
    CHECK_OK(mmf_object_stat(name, MMF_INFO_PROCESSES, &info));
    CHECK_EQ(info.handles, 4);
    CHECK_EQ(info.processes, 4);
    CHECK_EQ(info.mappers, 2);
    CHECK_EQ(info.hidden, 0);

    /* `hidden` may be NULL. */
    CHECK_OK(mmf_object_holders(name, &list, &n, NULL));
    CHECK_EQ(n, 4);
    mmf_object_holders_free(list, n);

    test_sync_signal(go.wr);
    test_sync_signal(go.wr);
    test_sync_signal(go.wr);
    CHECK_EQ(test_wait(a), 0);
    CHECK_EQ(test_wait(b), 0);

    /* A sync object's holder: a handle, no view (its state page is not
     * one). */
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_object_holders(test_name("m"), &list, &n, &hidden));
    CHECK_EQ(n, 1);
    CHECK_EQ(list[0].pid, getpid());
    CHECK_EQ(list[0].handles, 1);
    CHECK_EQ(list[0].nviews, 0);
    mmf_object_holders_free(list, n);
    CHECK_OK(mmf_sync_close(m));

    CHECK_OK(mmf_view_unmap(view2));
    CHECK_OK(mmf_view_unmap(view));
    CHECK_OK(mmf_section_close(s));
    close(ready.rd);
    close(ready.wr);
    close(go.rd);
    close(go.wr);
}
#else
LINUX_ONLY_TEST(object_holders_by_pid, "fork() has no Windows counterpart")
#endif

TEST(object_holders_errors)
{
    const struct bad_name *bad = bad_names();
    mmf_holder *list = (mmf_holder *)1;
    size_t n = 99;
    uint64_t hidden = 99;

    private_store();
    CHECK_RC(mmf_object_holders(test_name("absent"), &list, &n, &hidden), MMF_ENOENT);
    CHECK(list == NULL);
    CHECK_EQ(n, 0);
    for (int i = 0; bad[i].rc != 1; i++)
        CHECK_RC(mmf_object_holders(bad[i].name, &list, &n, &hidden), bad[i].rc);
    mmf_object_holders_free(NULL, 0);
    mmf_object_holders_free(NULL, 5);
}

/* ------------------------------------------------------------------------ */
/* mmf_object_read                                                           */
/* ------------------------------------------------------------------------ */

TEST(object_read_copies_without_a_handle)
{
    const char *name = test_name("s"), *sparse = test_name("sparse");
    uint64_t page = mmf_page_size(), size = 4 * page;
    unsigned char *buf = malloc(16 * page);
    mmf_object_info before, after;
    mmf_section *s, *r;
    size_t done = 99;
    char *p;

    CHECK(buf != NULL);
    private_store();
    s = make_section(name, size, 0, 0);
    p = map_view(s, MMF_MAP_WRITE, 0, 0);
    for (uint64_t i = 0; i < size; i++)
        p[i] = (char)(i * 7 + 3);
    CHECK_OK(mmf_object_read(name, 0, buf, (size_t)size, &done));
    CHECK_EQ(done, size);
    CHECK_EQ(memcmp(buf, p, (size_t)size), 0);
    CHECK_OK(mmf_object_read(local_of(name), 100, buf, 50, &done));
    CHECK_EQ(done, 50);
    CHECK_EQ(memcmp(buf, p + 100, 50), 0);
    /* Less where the section ends; nothing at its very end. */
    CHECK_OK(mmf_object_read(name, size - 10, buf, 100, &done));
    CHECK_EQ(done, 10);
    CHECK_EQ(memcmp(buf, p + size - 10, 10), 0);
    CHECK_OK(mmf_object_read(name, size, buf, 100, &done));
    CHECK_EQ(done, 0);
    CHECK_OK(mmf_object_read(name, 0, buf, 10, NULL));
    CHECK_OK(mmf_object_read(name, 0, NULL, 0, &done));
    CHECK_EQ(done, 0);
    /* Past the end. */
    done = 99;
    CHECK_RC(mmf_object_read(name, size + 1, buf, 1, &done), MMF_ERANGE);
    CHECK_EQ(done, 0);
    CHECK_RC(mmf_object_read(name, UINT64_MAX, buf, 1, &done), MMF_ERANGE);
    CHECK_OK(mmf_view_unmap(p));
    /* Not kept alive by reading. */
    CHECK_OK(mmf_section_close(s));
    CHECK_RC(mmf_object_read(name, 0, buf, 1, &done), MMF_ENOENT);

    /* A sparse section: pages it has not committed read as zeros, and
     * stay uncommitted. */
    r = make_section(sparse, 64 * page, MMF_SECTION_RESERVE, 0);
    write_at(r, 0, "first page");
    CHECK_OK(mmf_object_stat(sparse, MMF_INFO_RESIDENCY, &before));
    memset(buf, 0xee, 16 * page);
    CHECK_OK(mmf_object_read(sparse, 8 * page, buf, (size_t)(16 * page), &done));
    CHECK_EQ(done, 16 * page);
    for (uint64_t i = 0; i < 16 * page; i++)
        CHECK_EQ(buf[i], 0);
    CHECK_OK(mmf_object_stat(sparse, MMF_INFO_RESIDENCY, &after));
    CHECK_EQ(after.allocated, before.allocated);
    CHECK_EQ(after.resident, before.resident);
    CHECK_OK(mmf_object_read(sparse, 0, buf, 11, &done));
    CHECK_EQ(strcmp((char *)buf, "first page"), 0);
    CHECK_OK(mmf_section_close(r));
    free(buf);
}

/* A file-backed section is read from its file; a file that is gone is
 * MMF_ENOENT. */
#ifndef _WIN32
TEST(object_read_file_backed)
{
    const char *name = test_name("f");
    char path[PATH_MAX], buf[32];
    mmf_section *s;
    size_t done;
    int fd;

    private_store();
    snprintf(path, sizeof path, "/tmp/mmf-test-inspect-%ld-%s", (long)getpid(), test_case());
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "from the file", 14, 4096) == 14);
    CHECK_EQ(ftruncate(fd, 8192), 0);
    CHECK_OK(mmf_section_create_fd(&s, name, fd, 0, MMF_CREATE_NEW, NULL));
    close(fd);
    CHECK_OK(mmf_object_read(name, 4096, buf, sizeof buf, &done));
    CHECK_EQ(done, sizeof buf);
    CHECK_EQ(strcmp(buf, "from the file"), 0);
    CHECK_OK(mmf_object_read(name, 8190, buf, sizeof buf, &done));
    CHECK_EQ(done, 2);
    CHECK_EQ(unlink(path), 0);
    CHECK_RC(mmf_object_read(name, 4096, buf, sizeof buf, &done), MMF_ENOENT);
    CHECK_OK(mmf_section_close(s));
}
#else
LINUX_ONLY_TEST(object_read_file_backed, "reads a file-backed section through POSIX descriptors")
#endif

#ifndef _WIN32
TEST(object_read_errors)
{
    const struct bad_name *bad = bad_names();
    const char *ns = test_name("s"), *nm = test_name("m"), *nr = test_name("r");
    mmf_section *s;
    mmf_sync *m;
    mmf_ring *r;
    char buf[16];
    size_t done;

    private_store();
    s = make_section(ns, mmf_page_size(), 0, 0);
    CHECK_OK(mmf_mutex_create(&m, nm, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_create(&r, nr, 4096, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_object_read(test_name("absent"), 0, buf, sizeof buf, &done), MMF_ENOENT);
    CHECK_RC(mmf_object_read(nm, 0, buf, sizeof buf, &done), MMF_ETYPE);
    CHECK_RC(mmf_object_read(nr, 0, buf, sizeof buf, &done), MMF_ETYPE);
    CHECK_RC(mmf_object_read(ns, mmf_page_size() + 1, buf, sizeof buf, &done), MMF_ERANGE);
    for (int i = 0; bad[i].rc != 1; i++)
        CHECK_RC(mmf_object_read(bad[i].name, 0, buf, sizeof buf, &done), bad[i].rc);
    damage_header(ns);
    CHECK_RC(mmf_object_read(ns, 0, buf, sizeof buf, &done), MMF_ECORRUPT);
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_sync_close(m));
    CHECK_OK(mmf_ring_close(r));
    /* The damaged section's last handle is closed, but a damaged entry is
     * not removed by its close: collect it. */
    if (test_store_count(ns) > 0)
        CHECK_OK(mmf_object_remove(ns));
}
#else
LINUX_ONLY_TEST(object_read_errors, "damages the Linux store file header")
#endif

/* ------------------------------------------------------------------------ */
/* mmf_channel_stat                                                          */
/* ------------------------------------------------------------------------ */

/* argv: ring name, ready fd. A consumer that receives one message and is
 * then killed. */
HELPER(ring_consumer)
{
    mmf_ring *r;
    char buf[256];
    size_t len;
    (void)argc;
    test_die_with_parent();
    CHECK_OK(mmf_ring_open(&r, argv[0], MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_recv(r, buf, sizeof buf, &len, 10000));
    CHECK_EQ(len, 100);
    test_sync_signal(atoi(argv[1]));
    for (;;)
        pause();
}

TEST(channel_stat_reports_each_kind)
{
    const char *nr = test_name("ring"), *nq = test_name("queue"), *nb = test_name("bcast"),
               *np = test_name("persistent");
    mmf_ring *rp, *rc, *pp;
    mmf_queue *qp, *qc;
    mmf_bcast *bp, *bc;
    mmf_channel_info ci;
    mmf_channel_opts po = {0, 0, NULL};
    struct test_sync ready;
    char msg[100], path[PATH_MAX], base[128], buf[128];
    size_t len;
    pid_t pid;
    const uint64_t ring_least =
        mmf_allocation_granularity() > 4096 ? mmf_allocation_granularity() : 4096;

    private_store();
    memset(msg, 'm', sizeof msg);
    /* A ring: three messages of 100 bytes (16 + 104 each), one received
     * by a consumer that is then killed. */
    CHECK_OK(mmf_ring_create(&rp, nr, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_channel_stat(nr, &ci));
    CHECK_EQ(ci.kind, MMF_KIND_RING);
    CHECK_EQ(ci.producers, 1);
    CHECK_EQ(ci.consumers, 0);
    CHECK_EQ(ci.produced, 0);
    CHECK_EQ(ci.fill, 0);
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_ring_send(rp, msg, sizeof msg, 0));
    test_sync_init(&ready);
    pid = test_spawn("ring_consumer", nr, test_num(ready.wr), NULL);
    CHECK(test_sync_wait(&ready, 10000));
    CHECK_OK(mmf_channel_stat(local_of(nr), &ci));
    CHECK_EQ(ci.kind, MMF_KIND_RING);
    CHECK_EQ(ci.persistent, 0);
    /* Asked for 4096 bytes; a ring's capacity is at least the allocation
     * granularity (64 KiB on Windows), where its doubly mapped area must
     * start. */
    CHECK_EQ(ci.capacity, ring_least);
    CHECK_EQ(ci.max_message, ring_least - 16);
    CHECK_EQ(ci.produced, 3 * 112);       /* records of 8 + 104 bytes */
    CHECK_EQ(ci.consumed, 112);
    CHECK_EQ(ci.fill, 2 * 112);
    CHECK_EQ(ci.producers, 1);
    CHECK_EQ(ci.consumers, 1);
    CHECK_EQ(ci.producers_ever, 1);
    CHECK_EQ(ci.consumers_ever, 1);
    CHECK_EQ(ci.corrupt, 0);
    CHECK_EQ(ci.file[0], '\0');
    kill_and_reap(pid);
    /* Attached now, and ever. */
    CHECK_OK(mmf_channel_stat(nr, &ci));
    CHECK_EQ(ci.consumers, 0);
    CHECK_EQ(ci.consumers_ever, 1);
    CHECK_EQ(ci.fill, 2 * 112);
    /* A second consumer: two ever, one producer ever. */
    CHECK_OK(mmf_ring_open(&rc, nr, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_channel_stat(nr, &ci));
    CHECK_EQ(ci.consumers, 1);
    CHECK_EQ(ci.consumers_ever, 2);
    CHECK_EQ(ci.producers_ever, 1);
    CHECK_OK(mmf_ring_recv(rc, buf, sizeof buf, &len, 0));
    CHECK_OK(mmf_channel_stat(nr, &ci));
    CHECK_EQ(ci.consumed, 2 * 112);
    CHECK_EQ(ci.fill, 112);
    CHECK_OK(mmf_ring_close(rc));

    /* A queue of 8 slots: five sent, two taken. */
    CHECK_OK(mmf_queue_create(&qp, nq, 8, 64, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_queue_open(&qc, nq, MMF_ROLE_CONSUMER, NULL));
    for (int i = 0; i < 5; i++)
        CHECK_OK(mmf_queue_send(qp, msg, 10, 0));
    for (int i = 0; i < 2; i++)
        CHECK_OK(mmf_queue_recv(qc, buf, sizeof buf, &len, 0));
    CHECK_OK(mmf_channel_stat(nq, &ci));
    CHECK_EQ(ci.kind, MMF_KIND_QUEUE);
    CHECK_EQ(ci.capacity, 8);
    CHECK_EQ(ci.max_message, 64);
    CHECK_EQ(ci.produced, 5);
    CHECK_EQ(ci.consumed, 2);
    CHECK_EQ(ci.fill, 3);
    CHECK_EQ(ci.producers, 1);
    CHECK_EQ(ci.consumers, 1);

    /* A broadcast channel keeping 4: six sent, the oldest two gone.
     * Readers hold no claims: their number is unknown. */
    CHECK_OK(mmf_bcast_create(&bp, nb, 4, 32, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_bcast_open(&bc, nb, MMF_ROLE_CONSUMER, NULL));
    for (int i = 0; i < 6; i++)
        CHECK_OK(mmf_bcast_send(bp, msg, 20));
    CHECK_OK(mmf_channel_stat(nb, &ci));
    CHECK_EQ(ci.kind, MMF_KIND_BCAST);
    CHECK_EQ(ci.capacity, 4);
    CHECK_EQ(ci.max_message, 32);
    CHECK_EQ(ci.produced, 6);
    CHECK_EQ(ci.fill, 4);
    CHECK_EQ(ci.consumed, 2);
    CHECK_EQ(ci.producers, 1);
    CHECK(ci.consumers == MMF_UNKNOWN);

    /* A persistent ring: its file. */
    snprintf(base, sizeof base, "mmf-test-inspect-%ld-%s.ring", (long)getpid(), test_case());
    snprintf(path, sizeof path, "%s/%s", test_tmp_parent(), base);
    po.path = path;
    CHECK_OK(mmf_ring_create(&pp, np, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &po));
    CHECK_OK(mmf_channel_stat(np, &ci));
    CHECK_EQ(ci.persistent, 1);
#ifdef _WIN32
    /* Windows reports the file's final path as the system spells it
     * (GetFinalPathNameByHandle: "\\?\C:\...", long names), not as the
     * creator did: it ends in the file's name and opens that file. */
    {
        size_t fl = strlen(ci.file), bl = strlen(base);
        char want[256], got[256];
        FILE *a = fopen(path, "rb"), *b = fopen(ci.file, "rb");

        CHECK(fl > bl && strcmp(ci.file + fl - bl, base) == 0 && ci.file[fl - bl - 1] == '\\');
        CHECK(a != NULL && b != NULL);
        CHECK(fread(want, 1, sizeof want, a) == sizeof want);
        CHECK(fread(got, 1, sizeof got, b) == sizeof got);
        CHECK(memcmp(want, got, sizeof want) == 0);
        fclose(a);
        fclose(b);
    }
#else
    CHECK_EQ(strcmp(ci.file, path), 0);
#endif

    /* Looking keeps nothing alive and changes nothing. */
    CHECK_OK(mmf_ring_close(rp));
    CHECK_RC(mmf_channel_stat(nr, &ci), MMF_ENOENT);
    CHECK_OK(mmf_queue_close(qp));
    CHECK_OK(mmf_queue_close(qc));
    CHECK_RC(mmf_channel_stat(nq, &ci), MMF_ENOENT);
    CHECK_OK(mmf_bcast_close(bp));
    CHECK_OK(mmf_bcast_close(bc));
    CHECK_OK(mmf_ring_close(pp));
    CHECK_RC(mmf_channel_stat(np, &ci), MMF_ENOENT);
    CHECK_EQ(unlink(path), 0);
    close(ready.rd);
    close(ready.wr);
}

#ifndef _WIN32
TEST(channel_stat_errors)
{
    const struct bad_name *bad = bad_names();
    const char *nr = test_name("r"), *ns = test_name("s"), *nm = test_name("m"),
               *nd = test_name("damaged");
    mmf_channel_info ci;
    mmf_section *s;
    mmf_sync *m;
    mmf_ring *r, *d;
    int fd;

    private_store();
    s = make_section(ns, mmf_page_size(), 0, 0);
    CHECK_OK(mmf_mutex_create(&m, nm, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_create(&r, nr, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_channel_stat(test_name("absent"), &ci), MMF_ENOENT);
    CHECK_RC(mmf_channel_stat(ns, &ci), MMF_ETYPE);
    CHECK_RC(mmf_channel_stat(nm, &ci), MMF_ETYPE);
    for (int i = 0; bad[i].rc != 1; i++)
        CHECK_RC(mmf_channel_stat(bad[i].name, &ci), bad[i].rc);

    /* A damaged control block is reported, not refused. The block
     * follows the header page in the store file. */
    CHECK_OK(mmf_ring_create(&d, nd, 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    fd = open(store_file_of(nd), O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "garbage!", 8, 4096) == 8);
    close(fd);
    CHECK_OK(mmf_channel_stat(nd, &ci));
    CHECK_EQ(ci.corrupt, 1);
    CHECK_EQ(ci.kind, MMF_KIND_RING);
    CHECK(ci.produced == MMF_UNKNOWN && ci.consumed == MMF_UNKNOWN && ci.fill == MMF_UNKNOWN);
    CHECK_OK(mmf_ring_close(d));

    /* A damaged header is an error. */
    damage_header(nr);
    CHECK_RC(mmf_channel_stat(nr, &ci), MMF_ECORRUPT);
    CHECK_OK(mmf_ring_close(r));
    if (test_store_count(nr) > 0)
        CHECK_OK(mmf_object_remove(nr));
    if (test_store_count(nd) > 0)
        CHECK_OK(mmf_object_remove(nd));
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_sync_close(m));
}
#else
LINUX_ONLY_TEST(channel_stat_errors, "damages Linux store files")
#endif

/* ------------------------------------------------------------------------ */
/* mmf_object_remove and mmf_store_gc                                        */
/* ------------------------------------------------------------------------ */

/* Only what nobody holds: a live object is MMF_EBUSY and stays usable. */
TEST(object_remove_refuses_live_objects)
{
    const struct bad_name *bad = bad_names();
    const char *ns = test_name("s"), *nm = test_name("m"), *nr = test_name("r");
    mmf_section *s, *again;
    mmf_sync *m;
    mmf_ring *r;
    mmf_object_info info;

    private_store();
    s = make_section(ns, mmf_page_size(), 0, 0);
    CHECK_OK(mmf_mutex_create(&m, nm, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_create(&r, nr, 4096, MMF_ROLE_CONSUMER, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_object_remove(ns), MMF_EBUSY);
    CHECK_RC(mmf_object_remove(local_of(nm)), MMF_EBUSY);
    CHECK_RC(mmf_object_remove(nr), MMF_EBUSY);
    CHECK_OK(mmf_object_stat(ns, 0, &info));
    CHECK_EQ(info.stale, 0);
    CHECK_OK(mmf_section_open(&again, ns, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(again));
    CHECK_OK(mmf_mutex_lock(m, 0));
    CHECK_OK(mmf_mutex_unlock(m));
    CHECK_RC(mmf_object_remove(test_name("absent")), MMF_ENOENT);
    for (int i = 0; bad[i].rc != 1; i++)
        CHECK_RC(mmf_object_remove(bad[i].name), bad[i].rc);
    CHECK_OK(mmf_section_close(s));
    CHECK_OK(mmf_sync_close(m));
    CHECK_OK(mmf_ring_close(r));
}

/* Collected: stale objects (holder killed), a damaged object nobody
 * holds, an empty folder under an object's name; listed as they were,
 * sorted. Kept: a live object. Counted as not removable: a folder that is
 * not empty. */
#ifndef _WIN32
TEST_SERIAL(store_gc_reclaims_what_nobody_holds)
{
    const char *s1 = test_name("a-stale"), *s2 = test_name("b-stale"),
               *m1 = test_name("c-stale-mutex"), *junk = test_name("d-junk"),
               *empty = test_name("e-empty-folder"), *full = test_name("f-full-folder"),
               *live = test_name("g-live");
    char dir[PATH_MAX + 64], file[PATH_MAX + 128];
    mmf_object_info *removed = (mmf_object_info *)1, info;
    mmf_section *l;
    size_t n = 99;
    pid_t pid;

    private_store();
    l = make_section(live, mmf_page_size(), 0, 0);
    pid = spawn_holder(spec('s', s1), spec('s', s2), spec('m', m1), NULL);
    kill_and_reap(pid);
    plant_garbage(junk);
    snprintf(dir, sizeof dir, "%s/mmf.u%u.%s", store_dir, (unsigned)geteuid(), empty);
    CHECK_EQ(mkdir(dir, 0700), 0);
    snprintf(dir, sizeof dir, "%s/mmf.u%u.%s", store_dir, (unsigned)geteuid(), full);
    CHECK_EQ(mkdir(dir, 0700), 0);
    snprintf(file, sizeof file, "%s/inside", dir);
    CHECK(close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == 0);

    CHECK_EQ(mmf_store_gc(&removed, &n), 1); /* the full folder */
    CHECK_EQ(n, 5);
    CHECK_EQ(strcmp(removed[0].name, local_of(s1)), 0);
    CHECK_EQ(strcmp(removed[1].name, local_of(s2)), 0);
    CHECK_EQ(strcmp(removed[2].name, local_of(m1)), 0);
    CHECK_EQ(strcmp(removed[3].name, local_of(junk)), 0);
    CHECK_EQ(strcmp(removed[4].name, local_of(empty)), 0);
    CHECK(removed[0].stale && !removed[0].corrupt);
    CHECK_EQ(removed[0].type, MMF_TYPE_SECTION);
    CHECK_EQ(removed[0].size, 64 * KIB);
    CHECK(removed[2].stale);
    CHECK_EQ(removed[2].type, MMF_TYPE_MUTEX);
    CHECK(removed[3].corrupt);
    CHECK(removed[4].corrupt);
    mmf_store_list_free(removed);
    CHECK_RC(mmf_object_stat(s1, 0, &info), MMF_ENOENT);
    CHECK_RC(mmf_object_stat(m1, 0, &info), MMF_ENOENT);
    CHECK_RC(mmf_object_stat(junk, 0, &info), MMF_ENOENT);
    CHECK_RC(mmf_object_stat(empty, 0, &info), MMF_ENOENT);
    CHECK_OK(mmf_object_stat(live, 0, &info));
    CHECK_EQ(info.stale, 0);

    /* Again: only the full folder is left, and nothing is removed. */
    removed = (mmf_object_info *)1;
    CHECK_EQ(mmf_store_gc(&removed, &n), 1);
    CHECK_EQ(n, 0);
    CHECK(removed == NULL);
    CHECK_EQ(unlink(file), 0);
    CHECK_EQ(mmf_store_gc(&removed, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(strcmp(removed[0].name, local_of(full)), 0);
    mmf_store_list_free(removed);
    CHECK_EQ(mmf_store_gc(&removed, &n), 0);
    CHECK_EQ(n, 0);
    CHECK(removed == NULL);
    CHECK_OK(mmf_section_close(l));
}
#else
LINUX_ONLY_TEST(store_gc_reclaims_what_nobody_holds, "plants stale Linux store files (Windows has nothing stale to reclaim)")
#endif

/* ------------------------------------------------------------------------ */
/* Another user                                                              */
/* ------------------------------------------------------------------------ */

/* argv: ready fd, go fd, then root's Global section (0600), Global ring
 * (0600), Local section, Global file-backed section (0644, its file
 * 0600), and nobody's own Local and Global (0644) section names. */
#ifndef _WIN32
HELPER(nobody_looks)
{
    const char *rg = argv[2], *rring = argv[3], *rl = argv[4], *rf = argv[5],
               *nl = argv[6], *ng = argv[7];
    static mmf_object_info info;
    mmf_object_info *list;
    const mmf_object_info *o;
    mmf_holder *holders;
    mmf_section *own_l, *own_g;
    mmf_channel_info ci;
    uint64_t hidden = 99;
    char buf[16];
    size_t n, done;

    CHECK_EQ(argc, 8);
    become_nobody();
    own_l = make_section(nl, mmf_page_size(), 0, 0);
    own_g = make_section(global_of(ng), mmf_page_size(), 0, 0644);
    test_sync_signal(atoi(argv[0]));
    CHECK(test_await_fd(atoi(argv[1]), 30000));

    /* Its own Local objects, every Global one; not root's Local one. */
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    CHECK_EQ(n, 5);
    CHECK(find_in(list, n, local_of(rl)) == NULL);
    CHECK(find_in(list, n, local_of(nl)) != NULL);
    o = find_in(list, n, global_of(rg));
    CHECK(o != NULL);
    CHECK_EQ(o->readable, 0); /* only what the store says */
    CHECK_EQ(o->uid, 0);
    CHECK_EQ(o->mode, 0600);
    CHECK_EQ(o->type, MMF_TYPE_UNKNOWN);
    CHECK_EQ(o->handles, 1);
    CHECK_EQ(o->processes, 0);
    CHECK_EQ(o->hidden, 1); /* root's handle */
    CHECK(o->resident == MMF_UNKNOWN);
    o = find_in(list, n, global_of(ng));
    CHECK(o != NULL && o->readable && o->processes == 1 && o->hidden == 0);
    mmf_store_list_free(list);

    /* Described with readable 0, not refused. */
    CHECK_OK(mmf_object_stat(global_of(rg), MMF_INFO_ALL, &info));
    CHECK_EQ(info.readable, 0);
    CHECK_EQ(info.uid, 0);
    CHECK_EQ(info.stale, 0);

    /* Reading needs read permission on the object. */
    CHECK_RC(mmf_object_read(global_of(rg), 0, buf, sizeof buf, &done), MMF_EACCES);
    /* A file-backed section readable by all whose file is not is the
     * case of its own below. */
    CHECK_OK(mmf_object_stat(global_of(rf), 0, &info));
    CHECK_EQ(info.readable, 1);
    CHECK_RC(mmf_channel_stat(global_of(rring), &ci), MMF_EACCES);

    /* Root's process cannot be inspected: its handle is hidden. */
    CHECK_OK(mmf_object_holders(global_of(rg), &holders, &n, &hidden));
    CHECK_EQ(n, 0);
    CHECK(holders == NULL);
    CHECK_EQ(hidden, 1);
    CHECK_OK(mmf_object_holders(global_of(ng), &holders, &n, &hidden));
    CHECK_EQ(n, 1);
    CHECK_EQ(holders[0].pid, getpid());
    CHECK_EQ(holders[0].handles, 1);
    CHECK_EQ(hidden, 0);
    mmf_object_holders_free(holders, n);

    CHECK_OK(mmf_section_close(own_l));
    CHECK_OK(mmf_section_close(own_g));
    return 0;
}
#endif

#ifndef _WIN32
#ifndef _WIN32
TEST_SERIAL(another_users_objects)
{
    const char *rg = test_name("root-global"), *rring = test_name("root-ring"),
               *rl = test_name("root-local"), *rf = test_name("root-file"),
               *nl = test_name("nobody-local"), *ng = test_name("nobody-global");
    mmf_section_opts fo = {.mode = 0644, .prot = MMF_PROT_READ | MMF_PROT_WRITE};
    struct test_sync ready, go;
    mmf_object_info *list;
    const mmf_object_info *o;
    mmf_section *g, *l, *f;
    mmf_ring *r;
    char path[PATH_MAX];
    size_t n;
    pid_t pid;
    int fd, code;

    need_root();
    private_store();
    g = make_section(global_of(rg), mmf_page_size(), 0, 0);
    l = make_section(rl, mmf_page_size(), 0, 0);
    CHECK_OK(mmf_ring_create(&r, global_of(rring), 4096, MMF_ROLE_PRODUCER, MMF_CREATE_NEW,
                             NULL));
    snprintf(path, sizeof path, "/tmp/mmf-test-inspect-%ld-%s", (long)getpid(), test_case());
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    CHECK_OK(mmf_section_create_fd(&f, global_of(rf), fd, 0, MMF_CREATE_NEW, &fo));
    close(fd);

    test_sync_init(&ready);
    test_sync_init(&go);
    pid = test_spawn("nobody_looks", test_num(ready.wr), test_num(go.rd), rg, rring, rl, rf,
                     nl, ng, NULL);
    CHECK(test_sync_wait(&ready, 10000));
    /* Root's view: its own Local objects and every Global one, nobody's
     * process included (root may inspect it). */
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    CHECK_EQ(n, 5);
    CHECK(find_in(list, n, local_of(nl)) == NULL);
    CHECK(find_in(list, n, local_of(rl)) != NULL);
    o = find_in(list, n, global_of(ng));
    CHECK(o != NULL);
    CHECK_EQ(o->uid, NOBODY);
    CHECK_EQ(o->readable, 1);
    CHECK_EQ(o->processes, 1);
    CHECK_EQ(o->hidden, 0);
    mmf_store_list_free(list);
    test_sync_signal(go.wr);
    code = test_wait(pid);

    CHECK_OK(mmf_section_close(g));
    CHECK_OK(mmf_section_close(l));
    CHECK_OK(mmf_section_close(f));
    CHECK_OK(mmf_ring_close(r));
    CHECK_EQ(unlink(path), 0);
    close(ready.rd);
    close(ready.wr);
    close(go.rd);
    close(go.wr);
    CHECK_EQ(code, 0);
}
#endif
#else
LINUX_ONLY_TEST(another_users_objects, "needs root to switch uid")
#endif

/* argv: name of root's stale Global section. As nobody: neither removing
 * nor collecting may touch another user's entry. */
#ifndef _WIN32
HELPER(nobody_removes)
{
    mmf_object_info *removed = (mmf_object_info *)1;
    static mmf_object_info info;
    size_t n = 99;
    (void)argc;
    become_nobody();
    /* Stale, as the lock table tells one who may not read it. */
    CHECK_OK(mmf_object_stat(argv[0], 0, &info));
    CHECK_EQ(info.readable, 0);
    CHECK_EQ(info.stale, 1);
    CHECK_RC(mmf_object_remove(argv[0]), MMF_EACCES);
    CHECK_EQ(mmf_store_gc(&removed, &n), 1);
    CHECK_EQ(n, 0);
    CHECK(removed == NULL);
    return 0;
}
#endif

#ifndef _WIN32
#ifndef _WIN32
TEST(another_users_stale_entry_stays)
{
    const char *name = test_name("g");
    mmf_object_info info;
    pid_t pid;
    int code;

    need_root();
    private_store();
    pid = spawn_holder(spec('s', global_of(name)), NULL, NULL, NULL);
    kill_and_reap(pid);
    code = test_wait(test_spawn("nobody_removes", global_of(name), NULL));
    CHECK_OK(mmf_object_stat(global_of(name), 0, &info));
    CHECK_EQ(info.stale, 1);
    CHECK_OK(mmf_object_remove(global_of(name)));
    CHECK_RC(mmf_object_stat(global_of(name), 0, &info), MMF_ENOENT);
    CHECK_EQ(code, 0);
}
#endif
#else
LINUX_ONLY_TEST(another_users_stale_entry_stays, "needs root to switch uid")
#endif

/* ------------------------------------------------------------------------ */
/* Out of memory                                                             */
/* ------------------------------------------------------------------------ */

/* Touch `bytes` of stack, so that later calls need no new stack pages
 * (which an address-space limit would refuse with a SIGSEGV). */
#ifndef _WIN32
static __attribute__((noinline)) void grow_stack(size_t bytes)
{
    volatile char buf[512 * 1024];
    for (size_t i = 0; i < bytes && i < sizeof buf; i += 1024)
        buf[i] = (char)i;
}
#endif

/* argv: a section's name. With the address space limited to what the
 * process maps now and the heap used up, the calls that document
 * MMF_ENOMEM give it. */
#ifndef _WIN32
HELPER(out_of_memory)
{
    static mmf_object_info info;
    mmf_object_info *list;
    mmf_holder *holders;
    struct rlimit rl;
    void *blocks = NULL;
    size_t n, pages;
    int rc_list, rc_stat, rc_holders, rc_gc;
    FILE *f;
    (void)argc;

    /* Each call works without the limit. */
    CHECK_OK(mmf_store_list(MMF_INFO_ALL, &list, &n));
    mmf_store_list_free(list);
    CHECK_OK(mmf_object_stat(argv[0], MMF_INFO_ALL, &info));
    CHECK_OK(mmf_object_holders(argv[0], &holders, &n, NULL));
    mmf_object_holders_free(holders, n);
    CHECK_EQ(mmf_store_gc(&list, &n), 0);

    grow_stack(512 * 1024);
    f = fopen("/proc/self/statm", "re");
    CHECK(f != NULL);
    CHECK_EQ(fscanf(f, "%zu", &pages), 1);
    fclose(f);
    CHECK_EQ(getrlimit(RLIMIT_AS, &rl), 0);
    rl.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
    CHECK_EQ(setrlimit(RLIMIT_AS, &rl), 0);
    for (size_t size = (size_t)1 << 20; size >= sizeof(void *); size /= 2) {
        void *p;
        while ((p = malloc(size)) != NULL) {
            *(void **)p = blocks;
            blocks = p;
        }
    }
    rc_list = mmf_store_list(0, &list, &n);
    rc_stat = mmf_object_stat(argv[0], 0, &info);
    rc_holders = mmf_object_holders(argv[0], &holders, &n, NULL);
    rc_gc = mmf_store_gc(&list, &n);
    while (blocks != NULL) {
        void *next = *(void **)blocks;
        free(blocks);
        blocks = next;
    }
    CHECK_RC(rc_list, MMF_ENOMEM);
    CHECK_RC(rc_stat, MMF_ENOMEM);
    CHECK_RC(rc_holders, MMF_ENOMEM);
    CHECK_RC(rc_gc, MMF_ENOMEM);
    return 0;
}
#endif

#ifndef _WIN32
TEST(out_of_memory_enomem)
{
    mmf_section *s;
    int code;
#ifdef MMF_SANITIZED
    /* A sanitizer's allocator reserves terabytes of shadow memory up
     * front and aborts where malloc would return NULL. */
    SKIP("an address-space limit cannot make malloc fail under a sanitizer");
#endif
    private_store();
    s = make_section(test_name("s"), mmf_page_size(), 0, 0);
    code = test_wait(test_spawn("out_of_memory", test_name("s"), NULL));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(code, 0);
}
#else
LINUX_ONLY_TEST(out_of_memory_enomem, "limits address space with setrlimit(RLIMIT_AS)")
#endif

/* argv: name of root's file-backed Global section. */
#ifndef _WIN32
HELPER(nobody_reads_file)
{
    char buf[16];
    size_t done;
    (void)argc;
    become_nobody();
    CHECK_RC(mmf_object_read(argv[0], 0, buf, sizeof buf, &done), MMF_EACCES);
    return 0;
}
#endif

/* mmf_object_read() needs read permission on the object and on the
 * backing file of a file-backed section: an object readable by all whose
 * file only its owner may read is MMF_EACCES to others (not MMF_ENOENT,
 * which says the file is gone). */
#ifndef _WIN32
#ifndef _WIN32
TEST(object_read_unreadable_backing_file_eacces)
{
    const char *name = test_name("f");
    mmf_section_opts o = {.mode = 0644, .prot = MMF_PROT_READ | MMF_PROT_WRITE};
    char path[PATH_MAX];
    mmf_section *s;
    int fd, code;

    need_root();
    private_store();
    snprintf(path, sizeof path, "/tmp/mmf-test-inspect-%ld-%s", (long)getpid(), test_case());
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    CHECK_OK(mmf_section_create_fd(&s, global_of(name), fd, 0, MMF_CREATE_NEW, &o));
    close(fd);
    code = test_wait(test_spawn("nobody_reads_file", global_of(name), NULL));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(code, 0);
}
#endif
#else
LINUX_ONLY_TEST(object_read_unreadable_backing_file_eacces, "needs root to switch uid")
#endif
