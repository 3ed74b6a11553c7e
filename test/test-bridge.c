/* SPDX-License-Identifier: MIT */
/*
 * test-bridge.c - `mmf bridge` between two "hosts": two stores
 * (MMF_STORE_DIR), real processes, loopback TCP. The channel programs at
 * both ends are helpers of this executable; the bridges are the mmf tool;
 * a connection is cut by killing a TCP relay between the two bridges.
 *
 * Every case skips (77) when the tool was built without ZeroMQ.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test.h"

#ifdef MMF_HAVE_ZMQ
#include <zmq.h>
#endif

static void need_zmq(void)
{
#ifndef MMF_HAVE_ZMQ
    SKIP("mmf was built without ZeroMQ: no mmf bridge");
#endif
}

/* ---- paths, stores, ports --------------------------------------------------- */

static char tool[PATH_MAX + 32];
static char root[PATH_MAX], store_a[PATH_MAX + 8], store_b[PATH_MAX + 8];

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX * 2];
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static pid_t kids[64];
static int nkids;

static void cleanup(void)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            kill(kids[i], SIGKILL);
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            waitpid(kids[i], NULL, 0);
    if (root[0] != '\0')
        remove_tree(root);
}

/* Two stores and a scratch folder under /tmp, removed at exit. */
static void setup(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0'; /* build/test */
    *strrchr(exe, '/') = '\0'; /* build */
    snprintf(tool, sizeof tool, "%s/tools/mmf", exe);
    CHECK(access(tool, X_OK) == 0);
    test_sweep_dead_dirs("/tmp", "mmf-bridge-test-");
    snprintf(root, sizeof root, "/tmp/mmf-bridge-test-%ld-XXXXXX", (long)getpid());
    CHECK(mkdtemp(root) != NULL);
    atexit(cleanup);
    snprintf(store_a, sizeof store_a, "%s/a", root);
    snprintf(store_b, sizeof store_b, "%s/b", root);
    CHECK(mkdir(store_a, 0700) == 0);
    CHECK(mkdir(store_b, 0700) == 0);
}

/* A TCP port nobody listens on now (the kernel's choice). */
static int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(fd >= 0);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void track(pid_t pid)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] <= 0) {
            kids[i] = pid;
            return;
        }
    CHECK(nkids < 64);
    kids[nkids++] = pid;
}

static void untrack(pid_t pid)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] == pid)
            kids[i] = 0;
}

/* Run the tool in `store` with stdout and stderr appended to files
 * <root>/<tag>.out and .err. */
#ifdef MMF_COMMIT_KILL_SHIM
/* When not NULL, the next tool run gets the commit-kill library preloaded
 * (bridge-commit-kill.c), which SIGKILLs it at this commit. */
static const char *commit_kill_at;
#endif

static pid_t run_tool(const char *store, const char *tag, const char *const *args)
{
    char out[PATH_MAX + 64], err[PATH_MAX + 64];
    const char *argv[32];
    int n = 0;
    pid_t pid;

    snprintf(out, sizeof out, "%s/%s.out", root, tag);
    snprintf(err, sizeof err, "%s/%s.err", root, tag);
    argv[n++] = tool;
    while (*args && n < 31)
        argv[n++] = *args++;
    argv[n] = NULL;
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_APPEND, 0600);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (o < 0 || e < 0)
            _exit(127);
        dup2(o, 1);
        dup2(e, 2);
        setenv("MMF_STORE_DIR", store, 1);
#ifdef MMF_COMMIT_KILL_SHIM
        if (commit_kill_at != NULL) {
            setenv("LD_PRELOAD", MMF_COMMIT_KILL_SHIM, 1);
            setenv("MMF_TEST_COMMIT_KILL_AT", commit_kill_at, 1);
        }
#endif
        execv(tool, (char *const *)argv);
        _exit(127);
    }
    track(pid);
    return pid;
}

static int finish(pid_t pid)
{
    int rc = test_wait(pid);
    untrack(pid);
    return rc;
}

static int stop(pid_t pid, int sig)
{
    kill(pid, sig);
    return finish(pid);
}

static const char *slurp(const char *tag, const char *ext);

/* SIGTERM a bridge, which must exit with 0 within 20 s (it drains for at
 * most 5): a hang fails the case with the bridge's log, not the timeout. */
static int term(pid_t pid, const char *tag)
{
    int st;
    kill(pid, SIGTERM);
    for (int i = 0; i < 2000; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            untrack(pid);
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        test_sleep_ms(10);
    }
    fprintf(stderr, "%s did not stop on SIGTERM; its log:\n%s\n", tag, slurp(tag, "err"));
    return -1;
}

/* The whole of a file written by a tool (static buffer, NUL-ended). */
static const char *slurp(const char *tag, const char *ext)
{
    static char buf[1 << 20];
    char path[PATH_MAX + 64];
    int fd;
    ssize_t n;
    snprintf(path, sizeof path, "%s/%s.%s", root, tag, ext);
    buf[0] = '\0';
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return buf;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* How many times `needle` shows in a tool's stderr. */
static int count_lines(const char *tag, const char *needle)
{
    const char *p = slurp(tag, "err");
    int k = 0;
    while ((p = strstr(p, needle)) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* Wait until `needle` shows `n` times in a tool's stderr (or timeout). */
static int await_count(const char *tag, const char *needle, int n, long ms)
{
    for (long t = 0; t < ms; t += 20) {
        if (count_lines(tag, needle) >= n)
            return 1;
        test_sleep_ms(20);
    }
    return 0;
}

/* Wait until `needle` shows in a tool's stderr (or timeout). */
static int await_log(const char *tag, const char *needle, long ms)
{
    for (long t = 0; t < ms; t += 20) {
        if (strstr(slurp(tag, "err"), needle) != NULL)
            return 1;
        test_sleep_ms(20);
    }
    return 0;
}

static pid_t bridge_recv(const char *tag, int port, const char *chan, const char *extra1,
                         const char *extra2)
{
    char ep[64], state[PATH_MAX + 64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    snprintf(state, sizeof state, "%s/%s.state", root, tag);
    const char *args[] = {"bridge", "recv", ep, chan, "--state", state, "--json",
                          "--interval", "200", extra1, extra2, NULL};
    return run_tool(store_b, tag, args);
}

static pid_t bridge_send(const char *tag, int port, const char *chan, const char *extra1,
                         const char *extra2)
{
    char ep[64], state[PATH_MAX + 64];
    const char *args[12] = {"bridge", "send", chan, ep, "--json", "--interval", "200"};
    int n = 7;

    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    if (strncmp(chan, "queue:", 6) == 0) {
        /* A queue sender keeps the numbers of its messages in flight. */
        snprintf(state, sizeof state, "%s/%s.state", root, tag);
        args[n++] = "--state";
        args[n++] = state;
    }
    args[n++] = extra1;
    args[n++] = extra2;
    args[n] = NULL;
    return run_tool(store_a, tag, args);
}

/* ---- messages: numbered and checksummed ------------------------------------ */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    return x;
}

/* Message `id`: 16 to `maxlen` bytes: the id, a checksum of the rest,
 * and bytes that follow from the id. */
static size_t make_msg(uint64_t id, unsigned char *buf, size_t maxlen)
{
    size_t len = 16 + (size_t)(mix(id) % (maxlen - 15));
    uint64_t sum = 0;
    for (size_t i = 16; i < len; i++) {
        buf[i] = (unsigned char)(mix(id + i) >> 7);
        sum = sum * 31 + buf[i];
    }
    sum ^= mix(id ^ len);
    memcpy(buf, &id, 8);
    memcpy(buf + 8, &sum, 8);
    return len;
}

/* The id of a good message, or UINT64_MAX for a damaged one. */
static uint64_t check_msg(const unsigned char *buf, size_t len)
{
    uint64_t id, sum = 0, want;
    if (len < 16)
        return UINT64_MAX;
    memcpy(&id, buf, 8);
    memcpy(&want, buf + 8, 8);
    for (size_t i = 16; i < len; i++) {
        if (buf[i] != (unsigned char)(mix(id + i) >> 7))
            return UINT64_MAX;
        sum = sum * 31 + buf[i];
    }
    return (sum ^ mix(id ^ len)) == want ? id : UINT64_MAX;
}

/* ---- channel helpers (run in their store) ----------------------------------- */

/* Ring capacity for messages up to maxlen bytes. */
static uint64_t ring_for(size_t maxlen)
{
    return maxlen <= 256 ? 1 << 20 : 8 << 20;
}

/* ring-producer STORE NAME COUNT SECONDS [MAXLEN]: COUNT messages of up to
 * MAXLEN bytes (default 256), paced over SECONDS at least. */
HELPER(ring_producer)
{
    static unsigned char buf[1 << 20];
    mmf_ring *r;
    uint64_t n, secs, t0;
    size_t maxlen = 256;
    CHECK(argc == 4 || argc == 5);
    test_die_with_parent();
    setenv("MMF_STORE_DIR", argv[0], 1);
    n = strtoull(argv[2], NULL, 10);
    secs = strtoull(argv[3], NULL, 10);
    if (argc == 5)
        maxlen = strtoull(argv[4], NULL, 10);
    CHECK(maxlen >= 16 && maxlen <= sizeof buf);
    CHECK(mmf_ring_create(&r, argv[1], ring_for(maxlen), MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL) >= 0);
    t0 = test_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        size_t len = make_msg(i, buf, maxlen);
        int rc;
        /* The bridge is this ring's consumer: while it restarts, a full
         * ring says MMF_EPIPE. */
        while ((rc = mmf_ring_send(r, buf, len, MMF_INFINITE)) == MMF_EPIPE)
            test_sleep_ms(1);
        CHECK_OK(rc);
        if ((i & 1023) == 0 && secs > 0) {
            uint64_t due = t0 + secs * 1000000000u / n * i;
            uint64_t now = test_now_ns();
            if (due > now)
                usleep((useconds_t)((due - now) / 1000));
        }
    }
    pause(); /* stay attached: the parent ends this helper */
    return 0;
}

/* ring-consumer STORE NAME COUNT [MAXLEN]: every id 0..COUNT-1 once, in
 * order, intact; then nothing more for half a second. */
HELPER(ring_consumer)
{
    mmf_ring *r;
    uint64_t n;
    CHECK(argc == 3 || argc == 4);
    test_die_with_parent();
    setenv("MMF_STORE_DIR", argv[0], 1);
    n = strtoull(argv[2], NULL, 10);
    CHECK(mmf_ring_create(&r, argv[1], ring_for(argc == 4 ? strtoull(argv[3], NULL, 10) : 256),
                          MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL) >= 0);
    for (uint64_t i = 0; i < n; i++) {
        mmf_msg m;
        uint64_t id;
        int rc;
        /* The bridge is this ring's producer: while it restarts, an empty
         * ring says MMF_EPIPE. */
        while ((rc = mmf_ring_peek(r, &m, 120000)) == MMF_EPIPE)
            test_sleep_ms(1);
        CHECK_OK(rc);
        id = check_msg(m.data, m.len);
        if (id != i) {
            fprintf(stderr, "ring consumer: expected #%llu, got %s #%llu\n",
                    (unsigned long long)i, id == UINT64_MAX ? "a damaged message" : "",
                    (unsigned long long)id);
            return 1;
        }
        CHECK_OK(mmf_ring_release(r, 1));
    }
    {
        mmf_msg m;
        uint64_t t0 = test_now_ns();
        int rc;
        while ((rc = mmf_ring_peek(r, &m, 500)) == MMF_EPIPE && test_now_ns() - t0 < 500000000u)
            test_sleep_ms(1);
        if (rc == 0) {
            fprintf(stderr, "ring consumer: an extra message after the last\n");
            return 1;
        }
    }
    mmf_ring_close(r);
    return 0;
}

/* A shared tally of ids (queue): one byte a message, in a file mapped by
 * the consumers and the test. */
struct tally {
    _Atomic uint64_t got;
    _Atomic unsigned char seen[];
};

static struct tally *map_tally(const char *path, uint64_t n, int create)
{
    int fd = open(path, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0600);
    size_t size = sizeof(struct tally) + n;
    void *p;
    CHECK(fd >= 0);
    if (create)
        CHECK(ftruncate(fd, (off_t)size) == 0);
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED);
    close(fd);
    return p;
}

/* queue-producer STORE NAME FIRST COUNT */
HELPER(queue_producer)
{
    unsigned char buf[256];
    mmf_queue *q;
    uint64_t first, n;
    CHECK(argc == 4);
    test_die_with_parent();
    setenv("MMF_STORE_DIR", argv[0], 1);
    first = strtoull(argv[2], NULL, 10);
    n = strtoull(argv[3], NULL, 10);
    CHECK(mmf_queue_create(&q, argv[1], 1024, 256, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL) >= 0);
    for (uint64_t i = first; i < first + n; i++) {
        size_t len = make_msg(i, buf, sizeof buf);
        int rc;
        while ((rc = mmf_queue_send(q, buf, len, MMF_INFINITE)) == MMF_EPIPE)
            test_sleep_ms(1); /* the bridge, its consumer, restarts */
        CHECK_OK(rc);
        if ((i & 511) == 0)
            usleep(50000); /* spread the run (some 10 s) over the disruptions */
    }
    pause();
    return 0;
}

/* queue-consumer STORE NAME TALLY TOTAL */
HELPER(queue_consumer)
{
    unsigned char buf[256];
    mmf_queue *q;
    uint64_t total;
    struct tally *t;
    CHECK(argc == 4);
    test_die_with_parent();
    setenv("MMF_STORE_DIR", argv[0], 1);
    total = strtoull(argv[3], NULL, 10);
    t = map_tally(argv[2], total, 0);
    CHECK(mmf_queue_create(&q, argv[1], 1024, 256, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL) >= 0);
    for (;;) {
        size_t len;
        uint64_t id;
        int rc = mmf_queue_recv(q, buf, sizeof buf, &len, 200);
        if (rc == MMF_ETIMEDOUT)
            continue;
        if (rc == MMF_EPIPE) { /* the bridge, its producer, restarts */
            test_sleep_ms(1);
            continue;
        }
        CHECK_OK(rc);
        id = check_msg(buf, len);
        if (id >= total) {
            fprintf(stderr, "queue consumer: a damaged message\n");
            return 1;
        }
        atomic_fetch_add(&t->seen[id], 1);
        atomic_fetch_add(&t->got, 1);
    }
}

/* bcast-producer STORE NAME COUNT PER_SECOND: ids 0..COUNT-1 of 1000 bytes. */
HELPER(bcast_producer)
{
    unsigned char buf[1000];
    mmf_bcast *b;
    uint64_t n, rate, t0;
    CHECK(argc == 4);
    test_die_with_parent();
    setenv("MMF_STORE_DIR", argv[0], 1);
    n = strtoull(argv[2], NULL, 10);
    rate = strtoull(argv[3], NULL, 10);
    CHECK(mmf_bcast_create(&b, argv[1], 64, 1024, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL) >= 0);
    t0 = test_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t due = t0 + i * 1000000000u / rate, now = test_now_ns();
        memset(buf, 0, sizeof buf);
        memcpy(buf, &i, 8);
        if (due > now)
            usleep((useconds_t)((due - now) / 1000));
        CHECK_OK(mmf_bcast_send(b, buf, sizeof buf));
    }
    pause();
    return 0;
}

/* bcast-reader STORE NAME LAST READY_FD OUT: reads until id LAST; writes
 * "first last received missing lost-here" to the file OUT. */
HELPER(bcast_reader)
{
    unsigned char buf[1024];
    mmf_bcast *b;
    uint64_t last, first = UINT64_MAX, prev = UINT64_MAX, got = 0, local = 0, gaps = 0;
    FILE *out;
    CHECK(argc == 5);
    test_die_with_parent();
    setenv("MMF_STORE_DIR", argv[0], 1);
    last = strtoull(argv[2], NULL, 10);
    CHECK(mmf_bcast_create(&b, argv[1], 8192, 1024, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL) >= 0);
    test_sync_signal(atoi(argv[3]));
    for (;;) {
        size_t len;
        uint64_t lost, id;
        int rc = mmf_bcast_recv(b, buf, sizeof buf, &len, &lost, 60000);
        if (rc == MMF_EPIPE) {
            test_sleep_ms(1);
            continue;
        }
        CHECK_OK(rc);
        local += lost;
        memcpy(&id, buf, 8);
        if (first == UINT64_MAX)
            first = id;
        else if (id <= prev) {
            fprintf(stderr, "bcast reader: #%llu after #%llu\n", (unsigned long long)id,
                    (unsigned long long)prev);
            return 1;
        } else
            gaps += id - prev - 1;
        prev = id;
        got++;
        if (id == last)
            break;
    }
    out = fopen(argv[4], "w");
    CHECK(out != NULL);
    fprintf(out, "%llu %llu %llu %llu %llu\n", (unsigned long long)first,
            (unsigned long long)prev, (unsigned long long)got, (unsigned long long)gaps,
            (unsigned long long)local);
    CHECK(fclose(out) == 0);
    mmf_bcast_close(b);
    return 0;
}

/* relay LISTEN_PORT TARGET_PORT: a TCP relay, one connection pair at a
 * time; killing it cuts the connection on both sides. */
HELPER(relay)
{
    struct sockaddr_in a = {0};
    int ls, one = 1, lport, tport;
    CHECK(argc == 2);
    test_die_with_parent();
    lport = atoi(argv[0]);
    tport = atoi(argv[1]);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)lport);
    ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    for (int i = 0; bind(ls, (struct sockaddr *)&a, sizeof a) != 0; i++) {
        CHECK(i < 200);
        test_sleep_ms(10);
    }
    CHECK(listen(ls, 4) == 0);
    for (;;) {
        int c = accept(ls, NULL, NULL), s;
        struct sockaddr_in t = a;
        char buf[65536];
        if (c < 0)
            continue;
        t.sin_port = htons((uint16_t)tport);
        s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&t, sizeof t) != 0) {
            close(c);
            close(s);
            continue;
        }
        for (;;) {
            struct pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
            ssize_t n;
            int done = 0;
            if (poll(p, 2, -1) < 0)
                break;
            for (int k = 0; k < 2 && !done; k++) {
                if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                n = read(p[k].fd, buf, sizeof buf);
                if (n <= 0 || write(p[1 - k].fd, buf, (size_t)n) != n)
                    done = 1;
            }
            if (done)
                break;
        }
        close(c);
        close(s);
    }
}

/* ---- the cases ------------------------------------------------------------------ */

static uint64_t rnd_state = 88172645463325252u;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static uint64_t json_field(const char *text, const char *line_key, const char *key)
{
    const char *p = strstr(text, line_key), *q;
    char k[64];
    if (p == NULL)
        return UINT64_MAX;
    snprintf(k, sizeof k, "\"%s\":", key);
    q = strstr(p, k);
    return q ? strtoull(q + strlen(k), NULL, 10) : UINT64_MAX;
}

/*
 * A ring carried A -> B while its bridges are SIGKILLed and restarted and
 * the connection is cut at random, `kills` and `cuts` times at least,
 * every `gap_ms` to twice that: COUNT messages of up to MAXLEN bytes,
 * produced over `secs` seconds, must arrive once each, in order, intact.
 * The disruptions must all fall before the last message arrives.
 */
static void ring_under_kills(const char *count, const char *maxlen, const char *secs,
                             const char *size, int kills_min, int cuts_min, long gap_ms)
{
    const char *name = test_name("ring");
    char chan[128];
    int port = free_port(), rport;
    pid_t prod, cons, recv, send, relay;
    int kills = 0, cuts = 0, rc;

    setup();
    rport = free_port();
    while (rport == port)
        rport = free_port();
    snprintf(chan, sizeof chan, "ring:%s", name);
    cons = test_spawn("ring_consumer", store_b, name, count, maxlen, NULL);
    track(cons);
    prod = test_spawn("ring_producer", store_a, name, count, secs, maxlen, NULL);
    track(prod);
    recv = bridge_recv("recv", port, chan, "--size", size);
    relay = test_spawn("relay", test_num(rport), test_num(port), NULL);
    track(relay);
    send = bridge_send("send", rport, chan, "--size", size);

    rnd_state ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15u;
    while (kills < kills_min || cuts < cuts_min) {
        int st;
        uint64_t what = rnd() % 10;
        test_sleep_ms(gap_ms + (long)(rnd() % (uint64_t)gap_ms));
        CHECK(waitpid(cons, &st, WNOHANG) == 0); /* not done before the disruptions are */
        if (what < 4) {
            CHECK_EQ(stop(send, SIGKILL), 128 + SIGKILL);
            send = bridge_send("send", rport, chan, "--size", size);
            kills++;
        } else if (what < 8) {
            CHECK_EQ(stop(recv, SIGKILL), 128 + SIGKILL);
            recv = bridge_recv("recv", port, chan, "--size", size);
            kills++;
        } else {
            stop(relay, SIGKILL);
            relay = test_spawn("relay", test_num(rport), test_num(port), NULL);
            track(relay);
            cuts++;
        }
    }
    printf("%d kills, %d cuts\n", kills, cuts);
    rc = finish(cons);
    if (rc != 0)
        fprintf(stderr, "sender log:\n%s\nreceiver log:\n%s\n", slurp("send", "err"),
                slurp("recv", "err"));
    CHECK_EQ(rc, 0);
        CHECK_EQ(term(send, "send"), 0);
    CHECK_EQ(term(recv, "recv"), 0);
    stop(relay, SIGKILL);
    stop(prod, SIGKILL);
}

/* 1 M numbered, checksummed messages A -> B through rings; either bridge
 * SIGKILLed at random 50+ times, the connection cut 20+ times: every
 * message arrives once, in order, intact. */
TEST_SLOW(ring_exactly_once_under_kills)
{
    need_zmq();
    ring_under_kills("1000000", "256", "20", "1M", 50, 20, 60);
}

/* Large messages (up to 600 KiB: those of 64 KiB and more leave the
 * sending bridge without a copy, straight from the ring) under kills and
 * cuts: every one once, in order, intact. */
TEST_SLOW(ring_large_messages_under_kills)
{
    need_zmq();
    ring_under_kills("3000", "600000", "8", "8M", 12, 6, 100);
}

/* 2 producers on A, 2 consumers on B, through queues: every message
 * delivered exactly once while the receiving bridge is SIGKILLed and
 * restarted 10+ times from outside and 3+ times by itself inside a batch
 * commit (bridge-commit-kill.c; not in sanitizer builds), the sending one
 * restarted 5+ times, 3+ of them after SIGKILL and the others after
 * SIGTERM, and the connection cut 5+ times. */
TEST_SLOW(queue_exactly_once_two_by_two)
{
    const char *name = test_name("queue");
    char chan[128], tally_path[PATH_MAX + 32];
    int port = free_port(), rport;
    pid_t p1, p2, c1, c2, recv, send, relay;
    const uint64_t per = 100000, total = 2 * per;
    struct tally *t;
    int restarts = 0, send_kills = 0, kills = 0, self_kills = 0, cuts = 0, sends = 1, recvs = 1;
    uint64_t t0;

    need_zmq();
    setup();
    rport = free_port();
    while (rport == port)
        rport = free_port();
    snprintf(chan, sizeof chan, "queue:%s", name);
    snprintf(tally_path, sizeof tally_path, "%s/tally", root);
    t = map_tally(tally_path, total, 1);
    rnd_state ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15u;
    c1 = test_spawn("queue_consumer", store_b, name, tally_path, test_num((long long)total), NULL);
    c2 = test_spawn("queue_consumer", store_b, name, tally_path, test_num((long long)total), NULL);
    track(c1);
    track(c2);
    p1 = test_spawn("queue_producer", store_a, name, "0", test_num((long long)per), NULL);
    p2 = test_spawn("queue_producer", store_a, name, test_num((long long)per),
                    test_num((long long)per), NULL);
    track(p1);
    track(p2);
    recv = bridge_recv("recv", port, chan, "--slot-size", "256");
    relay = test_spawn("relay", test_num(rport), test_num(port), NULL);
    track(relay);
    send = bridge_send("send", rport, chan, "--slot-size", "256");

    t0 = test_now_ns();
    while (atomic_load(&t->got) < total) {
        uint64_t what = rnd() % 4;
        if (test_now_ns() - t0 >= 150000000000u) {
            fprintf(stderr, "%llu of %llu messages after 150 s; the receiver's log:\n%s\n",
                    (unsigned long long)atomic_load(&t->got), (unsigned long long)total,
                    slurp("recv", "err"));
            fprintf(stderr, "the sender's log:\n%s\n", slurp("send", "err"));
            CHECK(0);
        }
        test_sleep_ms(100 + (long)(rnd() % 200));
        if (restarts + kills + cuts >= 40)
            continue;
        if (what == 0) {
            /* A bridge stops cleanly only once it has set up its
             * handlers: wait for its first log line. */
            CHECK(await_count("send", "sending to", sends, 20000));
            if (restarts % 2 == 0) {
                CHECK_EQ(stop(send, SIGKILL), 128 + SIGKILL);
                send_kills++;
            } else {
                CHECK_EQ(term(send, "send"), 0);
            }
            send = bridge_send("send", rport, chan, "--slot-size", "256");
            sends++;
            restarts++;
        } else if (what == 1 || what == 2) {
            /* Kill a receiver that is up: one killed while it starts
             * (slow in a sanitizer build) tests nothing more, and the
             * count of receivers that listened would never catch up. */
            CHECK(await_count("recv", "listening on", recvs, 20000));
            CHECK_EQ(stop(recv, SIGKILL), 128 + SIGKILL);
#ifdef MMF_COMMIT_KILL_SHIM
            /* Every other one dies by itself at one of its first commits,
             * which the test waits for (for at most 5 s), so that its
             * death does not fall into a sender's drain (a sender stopped
             * with SIGTERM loses what is not acknowledged within 5 s). */
            if (kills % 2 == 0) {
                char kill_at[32];
                int st, died = 0;
                snprintf(kill_at, sizeof kill_at, "%d", 2 + (int)(rnd() % 20));
                commit_kill_at = kill_at;
                recv = bridge_recv("recv", port, chan, "--slot-size", "256");
                commit_kill_at = NULL;
                recvs++;
                for (int i = 0; i < 500 && !died; i++) {
                    died = waitpid(recv, &st, WNOHANG) == recv;
                    if (!died)
                        test_sleep_ms(10);
                }
                if (died) {
                    untrack(recv);
                    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
                    self_kills++;
                } else {
                    /* Too few commits: from outside, then. */
                    CHECK_EQ(stop(recv, SIGKILL), 128 + SIGKILL);
                }
            }
#endif
            recv = bridge_recv("recv", port, chan, "--slot-size", "256");
            recvs++;
            kills++;
        } else {
            stop(relay, SIGKILL);
            relay = test_spawn("relay", test_num(rport), test_num(port), NULL);
            track(relay);
            cuts++;
        }
    }
    test_sleep_ms(500); /* a duplicate would come now */
    printf("%d receiver kills, %d inside a commit (%d restarted after), %d sender restarts "
           "(%d after SIGKILL, %d resumed messages in flight), %d cuts; %d batches found cut "
           "short\n", kills, count_lines("recv", "commit-kill:"), self_kills, restarts,
           send_kills, count_lines("send", "resuming:"), cuts,
           count_lines("recv", "the last batch was cut short"));
    CHECK(kills >= 10 && restarts >= 5 && send_kills >= 3 && cuts >= 5);
#ifdef MMF_COMMIT_KILL_SHIM
    CHECK(count_lines("recv", "commit-kill:") >= 3);
#else
    printf("not killed inside a commit: a sanitizer build has no commit-kill library\n");
#endif
    CHECK(await_count("send", "sending to", sends, 20000));
    CHECK(await_count("recv", "listening on", recvs, 20000));
    CHECK_EQ(atomic_load(&t->got), total);
    for (uint64_t i = 0; i < total; i++)
        if (atomic_load(&t->seen[i]) != 1) {
            fprintf(stderr, "message #%llu arrived %u times\n", (unsigned long long)i,
                    (unsigned)atomic_load(&t->seen[i]));
            CHECK(0);
        }
    CHECK_EQ(term(send, "send"), 0);
    CHECK_EQ(term(recv, "recv"), 0);
    stop(relay, SIGKILL);
    stop(c1, SIGKILL);
    stop(c2, SIGKILL);
    stop(p1, SIGKILL);
    stop(p2, SIGKILL);
}

/* --state belongs to a receiver and to a queue's sender: a ring sender
 * given one is a usage error (exit 2) that says so. */
TEST(state_file_only_where_it_means_something)
{
    const char *ring_send[] = {"bridge", "send", "ring:x", "tcp://127.0.0.1:1", "--state",
                               "f", NULL};
    const char *bcast_send[] = {"bridge", "send", "bcast:x", "tcp://127.0.0.1:1", "--state",
                                "f", NULL};

    need_zmq();
    setup();
    CHECK_EQ(finish(run_tool(store_a, "ring", ring_send)), 2);
    CHECK(strstr(slurp("ring", "err"), "--state is for recv, and for send of a queue") != NULL);
    CHECK_EQ(finish(run_tool(store_a, "bcast", bcast_send)), 2);
    CHECK(strstr(slurp("bcast", "err"), "--state is for recv, and for send of a queue") != NULL);
}

/* Broadcast: a receiver stopped for a while makes the sender fall behind;
 * the losses the bridge counts are the gaps the reader on B sees. */
TEST_SLOW(bcast_losses_counted)
{
    const char *name = test_name("bcast");
    char chan[128];
    int port = free_port();
    pid_t prod, reader, recv, send;
    const uint64_t total = 60000;
    unsigned long long first, last, got, gaps, local;
    struct test_sync ready;
    FILE *f;
    uint64_t lost;
    char path[PATH_MAX + 32];

    need_zmq();
    setup();
    snprintf(chan, sizeof chan, "bcast:%s", name);
    snprintf(path, sizeof path, "%s/reader.out", root);
    test_sync_init(&ready);
    reader = test_spawn("bcast_reader", store_b, name, test_num((long long)total - 1),
                        test_num(ready.wr), path, NULL);
    track(reader);
    CHECK(test_sync_wait(&ready, 10000));
    recv = bridge_recv("recv", port, chan, "--slot-size", "1024");
    send = bridge_send("send", port, chan, "--slot-size", "1024");
    CHECK(await_log("send", "connected", 10000));
    prod = test_spawn("bcast_producer", store_a, name, test_num((long long)total), "20000",
                      NULL);
    track(prod);
    test_sleep_ms(800);
    kill(recv, SIGSTOP);
    test_sleep_ms(1500);
    kill(recv, SIGCONT);
    CHECK_EQ(finish(reader), 0);
    test_sleep_ms(300);
    CHECK_EQ(stop(send, SIGTERM), 0);
    CHECK_EQ(stop(recv, SIGTERM), 0);
    stop(prod, SIGKILL);
    f = fopen(path, "r");
    CHECK(f != NULL);
    CHECK(fscanf(f, "%llu %llu %llu %llu %llu", &first, &last, &got, &gaps, &local) == 5);
    fclose(f);
    lost = json_field(slurp("recv", "out"), "\"event\":\"exit\"", "lost");
    printf("reader: first #%llu, last #%llu, %llu received, %llu missing (%llu lost on B); "
           "bridge: %llu lost\n", first, last, got, gaps, local, (unsigned long long)lost);
    CHECK_EQ(local, 0);
    CHECK(gaps > 0);             /* the pause did make the sender fall behind */
    CHECK_EQ(lost, gaps);
    CHECK_EQ(got + gaps, last - first + 1);
}

#ifdef MMF_HAVE_ZMQ
/* A ZeroMQ peer of our own making, for bad input. */
static void *dealer(void *ctx, int port)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    char ep[64];
    int zero = 0, t = 3000;
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &t, sizeof t);
    CHECK(zmq_connect(s, ep) == 0);
    return s;
}

static void hello(unsigned char *b, unsigned version, unsigned kind)
{
    uint64_t session = 77, base = 0, id = 1, max = 100;
    uint32_t magic = 0x42464d4du;
    uint16_t v = (uint16_t)version, type = 1;
    uint32_t k = kind, z = 0;
    memcpy(b, &magic, 4);
    memcpy(b + 4, &v, 2);
    memcpy(b + 6, &type, 2);
    memcpy(b + 8, &session, 8);
    memcpy(b + 16, &base, 8);
    memcpy(b + 24, &k, 4);
    memcpy(b + 28, &z, 4);
    memcpy(b + 32, &id, 8);
    memcpy(b + 40, &max, 8);
}
#endif

/* Garbage, an older protocol version and a wrong channel kind are refused
 * with a clear log line; the receiver stays up and then carries a real
 * sender's messages. */
TEST(bad_input_refused_receiver_stays_up)
{
#ifdef MMF_HAVE_ZMQ
    const char *name = test_name("bad");
    char chan[128], qchan[128];
    int port = free_port(), fd;
    pid_t recv, send, prod, cons;
    void *ctx, *s;
    unsigned char b[64], junk[4096];
    struct sockaddr_in a = {0};
    int n;

    setup();
    snprintf(chan, sizeof chan, "ring:%s", name);
    snprintf(qchan, sizeof qchan, "queue:%s", name);
    recv = bridge_recv("recv", port, chan, NULL, NULL);
    CHECK(await_log("recv", "listening", 10000));

    /* Not ZeroMQ at all. */
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rnd();
    junk[0] = 0x42; /* not ZMTP's 0xff signature */
    CHECK(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
    test_sleep_ms(200);
    close(fd);
    CHECK(await_log("recv", "does not speak ZeroMQ", 5000));
    test_sleep_ms(1100); /* the receiver says each kind of refusal once a second */

    /* ZeroMQ, but not this protocol; then an older version. */
    ctx = zmq_ctx_new();
    s = dealer(ctx, port);
    CHECK(zmq_send(s, junk, 1000, 0) == 1000);
    CHECK(zmq_send(s, junk, 3, 0) == 3);
    CHECK(await_log("recv", "does not speak this protocol", 5000));
    hello(b, 0, 1);
    CHECK(zmq_send(s, b, 48, 0) == 48);
    n = zmq_recv(s, b, sizeof b, 0);
    CHECK(n >= 24);
    CHECK_EQ(b[6], 3);  /* REFUSE */
    CHECK_EQ(b[16], 1); /* reason: version */
    CHECK(await_log("recv", "protocol version 0, this bridge speaks version 1", 5000));
    /* A DATA frame outside any session is dropped without a word back. */
    hello(b, 1, 1);
    b[6] = 4;
    CHECK(zmq_send(s, b, 48, 0) == 48);
    zmq_close(s);
    zmq_ctx_term(ctx);

    /* A sender of another kind: refused, and it exits with 8. */
    send = bridge_send("qsend", port, qchan, NULL, NULL);
    CHECK_EQ(finish(send), 8);
    CHECK(strstr(slurp("qsend", "err"), "is a queue, this side's ring:") != NULL);
    CHECK(await_log("recv", "refused a sender: the sender's channel is a queue", 5000));

    /* Still up, and it works. */
    CHECK(kill(recv, 0) == 0);
    cons = test_spawn("ring_consumer", store_b, name, "5000", NULL);
    track(cons);
    prod = test_spawn("ring_producer", store_a, name, "5000", "0", NULL);
    track(prod);
    send = bridge_send("send", port, chan, NULL, NULL);
    CHECK_EQ(finish(cons), 0);
    CHECK_EQ(stop(send, SIGTERM), 0);
    CHECK_EQ(stop(recv, SIGTERM), 0);
    stop(prod, SIGKILL);
#else
    need_zmq();
#endif
}

/* A host nobody listens on: the sender keeps trying, further and further
 * apart, says so, and stops cleanly on SIGTERM. */
TEST(unreachable_host_backs_off)
{
    const char *name = test_name("far");
    char chan[128];
    int port = free_port();
    pid_t prod, send;
    const char *log;

    need_zmq();
    setup();
    snprintf(chan, sizeof chan, "ring:%s", name);
    prod = test_spawn("ring_producer", store_a, name, "10", "0", NULL);
    track(prod);
    send = bridge_send("send", port, chan, NULL, NULL);
    test_sleep_ms(3500);
    CHECK(kill(send, 0) == 0);
    CHECK_EQ(stop(send, SIGTERM), 0);
    log = slurp("send", "err");
    {
        const char *p = log;
        long prev = 0, count = 0, grew = 0;
        while ((p = strstr(p, "trying again in ")) != NULL) {
            long ms = strtol(p + 16, NULL, 10);
            grew += ms > prev;
            prev = ms;
            count++;
            p++;
        }
        if (count < 2 || grew < 2)
            fprintf(stderr, "%s", log);
        CHECK(count >= 2);
        CHECK(grew >= 2);
    }
    stop(prod, SIGKILL);
}

/* `mmf stat` on a bridged channel shows the bridge, on both hosts. */
TEST(stat_shows_bridge)
{
    const char *name = test_name("stat");
    char chan[128], ep[64];
    int port = free_port();
    pid_t recv, send, prod, st;
    const char *out;

    need_zmq();
    setup();
    snprintf(chan, sizeof chan, "ring:%s", name);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    prod = test_spawn("ring_producer", store_a, name, "1", "0", NULL);
    track(prod);
    recv = bridge_recv("recv", port, chan, NULL, NULL);
    send = bridge_send("send", port, chan, NULL, NULL);
    CHECK(await_log("send", "connected", 10000));
    {
        const char *args[] = {"stat", name, "--json", NULL};
        st = run_tool(store_a, "stat-a", args);
        CHECK_EQ(finish(st), 0);
        out = slurp("stat-a", "out");
        CHECK(strstr(out, "\"bridge\":{\"role\":\"send\",\"endpoint\":\"") != NULL);
        CHECK(strstr(out, ep) != NULL);
    }
    {
        const char *args[] = {"stat", name, NULL};
        st = run_tool(store_b, "stat-b", args);
        CHECK_EQ(finish(st), 0);
        out = slurp("stat-b", "out");
        CHECK(strstr(out, "bridge      receives on tcp://127.0.0.1:") != NULL);
    }
    CHECK_EQ(stop(send, SIGTERM), 0);
    CHECK_EQ(stop(recv, SIGTERM), 0);
    stop(prod, SIGKILL);
}

/* CURVE: with the right keys the messages travel; a sender with a key the
 * receiver was not given is refused, and the receiver says so. */
TEST(curve_keys)
{
    const char *name = test_name("curve");
    char chan[128], k[4][PATH_MAX + 32];
    int port = free_port();
    pid_t recv, send, prod, cons, g;
    const char *names[4] = {"a.key", "b.key", "c.key", NULL};

    need_zmq();
    setup();
    for (int i = 0; i < 3; i++) {
        snprintf(k[i], sizeof k[i], "%s/%s", root, names[i]);
        const char *args[] = {"bridge", "keygen", k[i], NULL};
        g = run_tool(store_a, "keygen", args);
        CHECK_EQ(finish(g), 0);
    }
    snprintf(chan, sizeof chan, "ring:%s", name);
    {
        char apub[PATH_MAX + 40], bpub[PATH_MAX + 40], ep[64];
        snprintf(apub, sizeof apub, "%s.pub", k[0]);
        snprintf(bpub, sizeof bpub, "%s.pub", k[1]);
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
        const char *r_args[] = {"bridge", "recv", ep, chan, "--curve-key", k[1],
                                "--curve-peer", apub, NULL};
        const char *bad_args[] = {"bridge", "send", chan, ep, "--curve-key", k[2],
                                  "--curve-peer", bpub, NULL};
        const char *s_args[] = {"bridge", "send", chan, ep, "--curve-key", k[0],
                                "--curve-peer", bpub, NULL};
        recv = run_tool(store_b, "recv", r_args);
        CHECK(await_log("recv", "listening", 10000));
        send = run_tool(store_a, "bad", bad_args);
        CHECK(await_log("recv", "refused a connection", 10000));
        CHECK_EQ(stop(send, SIGTERM), 0);
        cons = test_spawn("ring_consumer", store_b, name, "2000", NULL);
        track(cons);
        prod = test_spawn("ring_producer", store_a, name, "2000", "0", NULL);
        track(prod);
        send = run_tool(store_a, "send", s_args);
        CHECK_EQ(finish(cons), 0);
        CHECK_EQ(stop(send, SIGTERM), 0);
        CHECK_EQ(stop(recv, SIGTERM), 0);
        stop(prod, SIGKILL);
    }
}
