/* SPDX-License-Identifier: MIT */
/*
 * test-truncate.c - a file shrunk under mmf's mappings. Anyone who may
 * write an object file (another user, for a Global\ object of mode 0666)
 * can truncate it; the processes that map it must live on: mmf's calls on
 * the object fail with MMF_ECORRUPT, a view's lost pages read as zeros and
 * become private, and no SIGBUS reaches anyone. A SIGBUS outside mmf's
 * mappings still goes to the application's handler or kills as before.
 *
 * The truncating process is a separate helper; where the other user
 * matters it drops to uid/gid 65534 first (the case needs root and is
 * skipped otherwise).
 */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#ifndef _WIN32
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#endif
#include <sys/stat.h>
#include <time.h>

#include "channel.h"
#include "object.h"

#define KIB 1024
#define SECTION_SIZE (64 * KIB)

#ifdef MMF_SANITIZED
#define UNDER_SANITIZER 1
#else
#define UNDER_SANITIZER 0
#endif

/* AddressSanitizer gives every thread an alternate signal stack of its own
 * (its option use_sigaltstack, on by default). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

#ifndef _WIN32
static void need_root(void)
{
    if (geteuid() != 0)
        SKIP("another user truncates: needs root to switch to uid 65534");
}
#endif

/* "Global\<key>" for the test's key `tag`; the key in *key. */
#ifndef _WIN32
static const char *global_name(const char *tag, const char **key)
{
    static char bufs[4][300];
    static int next;
    char *b = bufs[next++ % 4];
    *key = test_name(tag);
    snprintf(b, sizeof bufs[0], "Global\\%s", *key);
    return b;
}
#endif

/* The store file "mmf.<scope>.<key>" of key (test keys need no escaping). */
static void store_path(const char *key, char *path, size_t cap)
{
    const char *dir = getenv("MMF_STORE_DIR");
    size_t kl = strlen(key);
    struct dirent *e;
    DIR *d;

    dir = dir != NULL && dir[0] == '/' ? dir : "/dev/shm";
    CHECK((d = opendir(dir)) != NULL);
    path[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "mmf.", 4) == 0 && n > kl + 4 &&
            e->d_name[n - kl - 1] == '.' && strcmp(e->d_name + n - kl, key) == 0)
            snprintf(path, cap, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    CHECK(path[0] != '\0');
}

/* argv: path, size, "nobody" or "same". Truncate (or extend) the file. */
#ifndef _WIN32
HELPER(truncate_file)
{
    int fd;

    CHECK_EQ(argc, 3);
    if (strcmp(argv[2], "nobody") == 0) {
        CHECK_EQ(test_drop_privileges(), 0);
        CHECK_EQ(geteuid(), 65534);
    }
    fd = open(argv[0], O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        test_fail(__FILE__, __LINE__, "open %s: %s", argv[0], strerror(errno));
    CHECK(ftruncate(fd, (off_t)atoll(argv[1])) == 0);
    close(fd);
    return 0;
}
#endif

/* Have another process (as uid 65534 if nobody) resize the file. */
static void resize_file(const char *path, long long size, int nobody)
{
    pid_t pid = test_spawn("truncate_file", path, test_num(size),
                           nobody ? "nobody" : "same", NULL);
    CHECK_EQ(test_wait(pid), 0);
}

/* Have uid 65534 resize the store file of key. */
#ifndef _WIN32
static void resize_object(const char *key, long long size)
{
    char path[1024];
    store_path(key, path, sizeof path);
    resize_file(path, size, 1);
}
#endif

#ifndef _WIN32
static int all_bytes(const unsigned char *p, int v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v)
            return 0;
    }
    return 1;
}
#endif

/* ------------------------------------------------------------------------ */
/* Views                                                                     */
/* ------------------------------------------------------------------------ */

/* Another user empties a 0666 Global\ section under root's view: root
 * lives, the view reads as zeros, writes to it stay in this process, and
 * flushing the view reports the damage. */
#ifndef _WIN32
TEST(view_truncated_to_zero)
{
    mmf_section_opts o = {.mode = 0666};
    mmf_section *s;
    unsigned char *p = NULL;
    const char *key, *name = global_name("s", &key);

    need_root();
    CHECK_OK(mmf_section_create(&s, name, SECTION_SIZE, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    memset(p, 0x5a, SECTION_SIZE);
    resize_object(key, 0);

    CHECK(all_bytes(p, 0, SECTION_SIZE));
    p[1] = 7;
    CHECK_EQ(p[1], 7);
    CHECK_RC(mmf_view_flush(p, 0), MMF_ECORRUPT);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}
#else
LINUX_ONLY_TEST(view_truncated_to_zero, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

/* Truncated inside the data: the pages before the new end are intact and
 * still shared; those after it read as zeros and, once touched, are this
 * process's own even if the file grows back. */
#ifndef _WIN32
TEST(view_truncated_inside_data)
{
    mmf_section_opts o = {.mode = 0666};
    mmf_section *s;
    unsigned char *p = NULL, *q = NULL;
    const char *key, *name = global_name("s", &key);
    const size_t keep = 16 * KIB;

    need_root();
    CHECK_OK(mmf_section_create(&s, name, SECTION_SIZE, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    memset(p, 0x5a, SECTION_SIZE);
    resize_object(key, MMF__HDR_SIZE + keep);

    CHECK(all_bytes(p, 0x5a, keep));
    CHECK(all_bytes(p + keep, 0, SECTION_SIZE - keep));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, keep, 0, (void **)&q));
    p[100] = 1;
    CHECK_EQ(q[100], 1); /* shared as before */
    CHECK_OK(mmf_view_unmap(q));

    /* The file grows back: the lost page stays private to this view. */
    resize_object(key, MMF__HDR_SIZE + SECTION_SIZE);
    p[keep + 10] = 9;
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&q));
    CHECK_EQ(q[keep + 10], 0);
    CHECK_EQ(p[keep + 10], 9);
    CHECK_OK(mmf_view_unmap(q));
    CHECK_RC(mmf_view_flush(p, 0), MMF_ECORRUPT);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}
#else
LINUX_ONLY_TEST(view_truncated_inside_data, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

static void *sum_view(void *arg)
{
    const volatile unsigned char *p = arg;
    unsigned sum = 0;
    for (size_t i = 0; i < SECTION_SIZE; i += 4096)
        sum += p[i];
    return (void *)(uintptr_t)sum;
}

/* The handler runs on whatever stack the faulting thread has: one of the
 * smallest a thread may have will do. */
TEST(view_truncated_small_stack_thread)
{
    mmf_section *s;
    unsigned char *p = NULL;
    char path[1024];
    const char *name = test_name("s");
    pthread_attr_t attr;
    pthread_t t;
    void *sum = NULL;

    LINUX_ONLY("truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section");

#ifdef UNDER_ASAN
    /* mmf's handler runs on the alternate stack where there is one. */
    SKIP("AddressSanitizer gives the thread an alternate signal stack: the "
         "handler would not run on its small stack");
#endif
    CHECK_OK(mmf_section_create(&s, name, SECTION_SIZE, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    memset(p, 1, SECTION_SIZE);
    store_path(name, path, sizeof path);
    resize_file(path, 0, 0);
    CHECK(pthread_attr_init(&attr) == 0);
    CHECK(pthread_attr_setstacksize(&attr, 16384) == 0);
    CHECK(pthread_create(&t, &attr, sum_view, p) == 0);
    CHECK(pthread_join(t, &sum) == 0);
    CHECK(sum == NULL); /* every page read as zeros */
    pthread_attr_destroy(&attr);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Sync objects (their state is in the header page mmf maps itself)          */
/* ------------------------------------------------------------------------ */

#ifndef _WIN32
TEST(event_truncated)
{
    mmf_sync_opts o = {.mode = 0666};
    mmf_sync *e;
    const char *key, *name = global_name("e", &key);

    need_root();
    CHECK_OK(mmf_event_create(&e, name, 1, 0, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_event_set(e));
    resize_object(key, 0);
    CHECK_RC(mmf_event_set(e), MMF_ECORRUPT);
    CHECK_RC(mmf_event_reset(e), MMF_ECORRUPT);
    CHECK_RC(mmf_sync_wait(e, 100), MMF_ECORRUPT);
    CHECK_RC(mmf_sync_wait(e, MMF_INFINITE), MMF_ECORRUPT);
    CHECK_OK(mmf_sync_close(e));
}
#else
LINUX_ONLY_TEST(event_truncated, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

#ifndef _WIN32
TEST(semaphore_truncated)
{
    mmf_sync_opts o = {.mode = 0666};
    mmf_sync *sem;
    long prev = -1;
    const char *key, *name = global_name("m", &key);

    need_root();
    CHECK_OK(mmf_semaphore_create(&sem, name, 1, 10, MMF_CREATE_NEW, &o));
    resize_object(key, 0);
    CHECK_RC(mmf_semaphore_release(sem, 1, &prev), MMF_ECORRUPT);
    CHECK_RC(mmf_sync_wait(sem, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_sync_wait(sem, MMF_INFINITE), MMF_ECORRUPT);
    CHECK_OK(mmf_sync_close(sem));
}
#else
LINUX_ONLY_TEST(semaphore_truncated, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

#ifndef _WIN32
TEST(mutex_truncated)
{
    mmf_sync_opts o = {.mode = 0666};
    mmf_sync *m, *n;
    const char *key, *name = global_name("x", &key);
    const char *key2, *name2 = global_name("y", &key2);

    need_root();
    /* One held while its file is truncated, one free. */
    CHECK_OK(mmf_mutex_create(&m, name, 1, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_mutex_create(&n, name2, 0, MMF_CREATE_NEW, &o));
    resize_object(key, 0);
    resize_object(key2, 0);
    CHECK_RC(mmf_mutex_unlock(m), MMF_ECORRUPT);
    CHECK_RC(mmf_mutex_lock(n, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_mutex_lock(n, MMF_INFINITE), MMF_ECORRUPT);
    CHECK_OK(mmf_sync_close(m));
    CHECK_OK(mmf_sync_close(n));
}
#else
LINUX_ONLY_TEST(mutex_truncated, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

/* ------------------------------------------------------------------------ */
/* Channels (this process holds no view: only mmf's own mappings)            */
/* ------------------------------------------------------------------------ */

#ifndef _WIN32
static void ring_case(long long size)
{
    mmf_channel_opts o = {0, 0666, NULL};
    mmf_ring *p, *c;
    mmf_msg m;
    void *w;
    char buf[64];
    size_t len;
    const char *key, *name = global_name("r", &key);

    need_root();
    CHECK_OK(mmf_ring_create(&p, name, 64 * KIB, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_ring_open(&c, name, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_send(p, "before", 7, 0));
    resize_object(key, size);
    CHECK_RC(mmf_ring_send(p, "after", 6, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_reserve(p, 8, &w, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_peek(c, &m, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, MMF_INFINITE), MMF_ECORRUPT);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
}
#endif

#ifndef _WIN32
TEST(ring_truncated_to_zero)
{
    ring_case(0);
}
#else
LINUX_ONLY_TEST(ring_truncated_to_zero, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

/* The header page and control block stay; the data area goes. */
#ifndef _WIN32
TEST(ring_truncated_inside_data)
{
    ring_case(MMF__HDR_SIZE + MMF__CHAN_CTL_SIZE);
}
#else
LINUX_ONLY_TEST(ring_truncated_inside_data, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

#ifndef _WIN32
static void queue_case(long long size)
{
    mmf_channel_opts o = {0, 0666, NULL};
    mmf_queue *p, *c;
    mmf_msg m;
    void *w;
    char buf[64];
    size_t len;
    const char *key, *name = global_name("q", &key);

    need_root();
    CHECK_OK(mmf_queue_create(&p, name, 16, 64, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_queue_open(&c, name, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_queue_send(p, "before", 7, 0));
    resize_object(key, size);
    CHECK_RC(mmf_queue_send(p, "after", 6, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_queue_reserve(p, &w, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_queue_peek(c, &m, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_queue_recv(c, buf, sizeof buf, &len, MMF_INFINITE), MMF_ECORRUPT);
    CHECK_OK(mmf_queue_close(c));
    CHECK_OK(mmf_queue_close(p));
}
#endif

#ifndef _WIN32
TEST(queue_truncated_to_zero)
{
    queue_case(0);
}
#else
LINUX_ONLY_TEST(queue_truncated_to_zero, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

#ifndef _WIN32
TEST(queue_truncated_inside_data)
{
    queue_case(MMF__HDR_SIZE + MMF__CHAN_CTL_SIZE);
}
#else
LINUX_ONLY_TEST(queue_truncated_inside_data, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

#ifndef _WIN32
static void bcast_case(long long size)
{
    mmf_channel_opts o = {0, 0666, NULL};
    mmf_bcast *p, *c;
    char buf[64];
    size_t len;
    uint64_t lost;
    const char *key, *name = global_name("b", &key);

    need_root();
    CHECK_OK(mmf_bcast_create(&p, name, 16, 64, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_bcast_open(&c, name, MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_bcast_send(p, "before", 7));
    resize_object(key, size);
    CHECK_RC(mmf_bcast_send(p, "after", 6), MMF_ECORRUPT);
    CHECK_RC(mmf_bcast_recv(c, buf, sizeof buf, &len, &lost, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_bcast_recv(c, buf, sizeof buf, &len, &lost, MMF_INFINITE), MMF_ECORRUPT);
    CHECK_OK(mmf_bcast_close(c));
    CHECK_OK(mmf_bcast_close(p));
}
#endif

#ifndef _WIN32
TEST(bcast_truncated_to_zero)
{
    bcast_case(0);
}
#else
LINUX_ONLY_TEST(bcast_truncated_to_zero, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

#ifndef _WIN32
TEST(bcast_truncated_inside_data)
{
    bcast_case(MMF__HDR_SIZE + MMF__CHAN_CTL_SIZE);
}
#else
LINUX_ONLY_TEST(bcast_truncated_inside_data, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

struct waiter {
    mmf_ring *c;
    int rc;
};

#ifndef _WIN32
static void *ring_waiter(void *arg)
{
    struct waiter *w = arg;
    char buf[64];
    size_t len;
    w->rc = mmf_ring_recv(w->c, buf, sizeof buf, &len, MMF_INFINITE);
    return NULL;
}
#endif

/* A consumer asleep on a futex word of a page that is then truncated is
 * woken by nobody; its wait slices end it with MMF_ECORRUPT. */
#ifndef _WIN32
TEST(ring_sleeper_ends_after_truncate)
{
    mmf_ring *p, *c;
    struct waiter w = {NULL, 1};
    struct timespec until;
    pthread_t t;
    char path[1024];
    const char *name = test_name("r");

    CHECK_OK(mmf_ring_create(&p, name, 64 * KIB, MMF_ROLE_PRODUCER, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, name, MMF_ROLE_CONSUMER, NULL));
    w.c = c;
    CHECK(pthread_create(&t, NULL, ring_waiter, &w) == 0);
    test_sleep_ms(100); /* asleep in the kernel by now */
    store_path(name, path, sizeof path);
    resize_file(path, 0, 0);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    CHECK(pthread_timedjoin_np(t, NULL, &until) == 0);
    CHECK_RC(w.rc, MMF_ECORRUPT);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
}
#else
LINUX_ONLY_TEST(ring_sleeper_ends_after_truncate, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

/* A persistent ring's own file is truncated (by a process of the same
 * user: the file's permissions decide who can). */
#ifndef _WIN32
TEST(persistent_ring_file_truncated)
{
    char dir[256], path[300];
    mmf_channel_opts o = {0, 0, NULL};
    mmf_ring *p, *c;
    char buf[64];
    size_t len;

    test_sweep_dead_dirs("/tmp", "mmf-test-truncate-");
    snprintf(dir, sizeof dir, "/tmp/mmf-test-truncate-%ld-%s", (long)getpid(), test_case());
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof path, "%s/ring", dir);
    o.path = path;
    CHECK_OK(mmf_ring_create(&p, test_name("r"), 64 * KIB, MMF_ROLE_PRODUCER,
                             MMF_CREATE_NEW, &o));
    CHECK_OK(mmf_ring_open(&c, test_name("r"), MMF_ROLE_CONSUMER, NULL));
    CHECK_OK(mmf_ring_send(p, "before", 7, 0));
    CHECK_OK(mmf_ring_flush(p));
    resize_file(path, 0, 0);
    CHECK_RC(mmf_ring_send(p, "after", 6, 0), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_flush(p), MMF_ECORRUPT);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, &len, 0), MMF_ECORRUPT);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(p));
    CHECK(unlink(path) == 0);
    CHECK(rmdir(dir) == 0);
}
#else
LINUX_ONLY_TEST(persistent_ring_file_truncated, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

/* ------------------------------------------------------------------------ */
/* Other SIGBUS: not mmf's to handle                                         */
/* ------------------------------------------------------------------------ */

/* A shared mapping of a page of a file of our own, already truncated:
 * touching it raises SIGBUS outside every mmf mapping. */
#ifndef _WIN32
static volatile unsigned char *foreign_lost_page(void)
{
    int fd = memfd_create("mmf-test-foreign", MFD_CLOEXEC);
    void *a;
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 4096) == 0);
    a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    CHECK(ftruncate(fd, 0) == 0);
    close(fd);
    return a;
}
#endif

/* A guarded view of a new section (name NULL: unnamed), so that mmf's
 * handler is installed. */
#ifndef _WIN32
static void map_something(const char *name, mmf_section **s, unsigned char **p)
{
    CHECK_OK(mmf_section_create(s, name, SECTION_SIZE, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(*s, MMF_MAP_WRITE, 0, 0, 0, (void **)p));
}
#endif

#ifndef _WIN32
static sigjmp_buf own_jump;
static volatile sig_atomic_t own_calls, own_code;

static void own_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    own_calls++;
    own_code = si->si_code;
    siglongjmp(own_jump, 1);
}
#endif

/* The application's SIGBUS handler, installed before mmf's, still gets
 * the faults that are not in mmf's mappings, and not those that are. */
#ifndef _WIN32
TEST(sigbus_elsewhere_reaches_own_handler)
{
    struct sigaction sa, old;
    volatile unsigned char *lost;
    mmf_section *s;
    unsigned char *p = NULL;
    char path[1024];

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = own_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGBUS, &sa, &old) == 0);
    map_something(test_name("s"), &s, &p);
    lost = foreign_lost_page();
    if (sigsetjmp(own_jump, 1) == 0)
        (void)lost[0];
    CHECK_EQ(own_calls, 1);
    CHECK_EQ(own_code, BUS_ADRERR);

    /* mmf's own mapping: mmf's handler keeps it, ours is not called. */
    store_path(test_name("s"), path, sizeof path);
    resize_file(path, 0, 0);
    if (sigsetjmp(own_jump, 1) == 0)
        CHECK_EQ(p[0], 0);
    CHECK_EQ(own_calls, 1);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    munmap((void *)lost, 4096);
}
#else
LINUX_ONLY_TEST(sigbus_elsewhere_reaches_own_handler, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif

/* argv: "fault" or "kill". With mmf's handler installed and none of the
 * application's, a SIGBUS that is not mmf's kills the process as it would
 * have without mmf. */
#ifndef _WIN32
HELPER(foreign_sigbus)
{
    struct rlimit no_core = {0, 0};
    mmf_section *s;
    unsigned char *p = NULL;

    CHECK_EQ(argc, 1);
    setrlimit(RLIMIT_CORE, &no_core);
    map_something(NULL, &s, &p); /* nothing left in the store at death */
    if (strcmp(argv[0], "fault") == 0)
        (void)foreign_lost_page()[0];
    else
        kill(getpid(), SIGBUS);
    test_sleep_ms(1000);
    return 0; /* survived: the case fails; exit closes s */
}
#endif

#ifndef _WIN32
static void check_killed(int code)
{
    /* A sanitizer installs its SIGBUS handler before main, so that is the
     * one mmf's hands on to: it reports and exits. */
    if (UNDER_SANITIZER)
        CHECK(code != 0);
    else
        CHECK_EQ(code, 128 + SIGBUS);
}
#endif

#ifndef _WIN32
TEST(sigbus_elsewhere_keeps_default_action)
{
    check_killed(test_wait(test_spawn("foreign_sigbus", "fault", NULL)));
    check_killed(test_wait(test_spawn("foreign_sigbus", "kill", NULL)));
}
#else
LINUX_ONLY_TEST(sigbus_elsewhere_keeps_default_action, "truncates the Linux store file under a live view (SIGBUS); Windows cannot shrink a mapped section")
#endif
