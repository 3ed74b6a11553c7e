/* SPDX-License-Identifier: MIT */
/*
 * bench_bridge.c - `make bench-bridge`: `mmf bridge` A -> B (ring in,
 * ring out, two stores, loopback TCP) side by side with raw ZeroMQ
 * PUSH/PULL carrying the same messages, in one run.
 *
 *   bench_bridge MMF_TOOL [--quick] [--runs N]
 *
 * Each row is the median of N runs (default 5). A run times N messages
 * from the producer's first send to the consumer's last receive; for the
 * bridge the two bridges are up and connected before the clock starts.
 * Raw PUSH/PULL copies each message once into ZeroMQ (zmq_send) and the
 * puller receives it in a zmq_msg_t; the bridge's producer copies it
 * once into the ring (mmf_ring_send) and the consumer reads it in place.
 * Both set-ups run with the allocator setting the bridge makes for itself.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <mmf.h>
#include <zmq.h>

static const char *tool;
static char root[PATH_MAX], store_a[PATH_MAX + 8], store_b[PATH_MAX + 8];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_bridge: %s\n", what);
    exit(1);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- raw ZeroMQ PUSH/PULL ---------------------------------------------- */

static double run_zmq(int port, size_t size, uint64_t n)
{
    char ep[64];
    int p[2], hwm = 1000;
    pid_t pid;
    double t0, t1;
    char c;

    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    if (pipe(p) != 0)
        die("pipe");
    pid = fork();
    if (pid == 0) {
        void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_PULL);
        zmq_msg_t m;
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
        if (zmq_bind(s, ep) != 0)
            _exit(1);
        if (write(p[1], "r", 1) != 1)
            _exit(1);
        zmq_msg_init(&m);
        for (uint64_t i = 0; i < n; i++)
            if (zmq_msg_recv(&m, s, 0) < 0)
                _exit(1);
        zmq_msg_close(&m);
        if (write(p[1], "d", 1) != 1)
            _exit(1);
        zmq_close(s);
        zmq_ctx_term(ctx);
        _exit(0);
    }
    close(p[1]); /* so that a puller that died reads as the end of the pipe */
    if (read(p[0], &c, 1) != 1)
        die("raw puller");
    {
        void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_PUSH);
        char *buf = calloc(1, size);
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_connect(s, ep);
        t0 = now_s();
        for (uint64_t i = 0; i < n; i++) {
            memcpy(buf, &i, sizeof i);
            if (zmq_send(s, buf, size, 0) < 0)
                die("zmq_send");
        }
        if (read(p[0], &c, 1) != 1)
            die("raw puller ended early");
        t1 = now_s();
        zmq_close(s);
        zmq_ctx_term(ctx);
        free(buf);
    }
    waitpid(pid, NULL, 0);
    close(p[0]);
    return t1 - t0;
}

/* ---- the bridge ----------------------------------------------------------- */

static pid_t run_tool(const char *store, const char *const *args)
{
    const char *argv[24];
    int n = 0;
    pid_t pid;
    argv[n++] = tool;
    while (*args && n < 23)
        argv[n++] = *args++;
    argv[n] = NULL;
    pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("MMF_STORE_DIR", store, 1);
        execv(tool, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static double run_bridge(int port, size_t size, uint64_t n, int run)
{
    char ep[64], name[64], chan[80], state[PATH_MAX + 64], cap[32];
    int p[2];
    pid_t recv, send, cons;
    double t0, t1;
    char c;
    uint64_t ring = 16u << 20;

    while (ring < 4 * (size + 64))
        ring *= 2;
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    snprintf(name, sizeof name, "bench-bridge-%ld-%d", (long)getpid(), run);
    snprintf(chan, sizeof chan, "ring:%s", name);
    snprintf(state, sizeof state, "%s/state-%d", root, run);
    snprintf(cap, sizeof cap, "%llu", (unsigned long long)ring);
    if (pipe(p) != 0)
        die("pipe");
    cons = fork();
    if (cons == 0) {
        mmf_ring *r;
        mmf_msg m[256];
        uint64_t got = 0;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("MMF_STORE_DIR", store_b, 1);
        if (mmf_ring_create(&r, name, ring, MMF_ROLE_CONSUMER, MMF_OPEN_OR_CREATE, NULL) < 0)
            _exit(1);
        if (write(p[1], "r", 1) != 1)
            _exit(1);
        while (got < n) {
            int k = mmf_ring_peek_batch(r, m, 256, 30000);
            if (k == MMF_EPIPE)
                continue;
            if (k < 0)
                _exit(2);
            mmf_ring_release(r, (size_t)k);
            got += (uint64_t)k;
        }
        if (write(p[1], "d", 1) != 1)
            _exit(1);
        mmf_ring_close(r);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
        die("bridge consumer");
    {
        const char *ra[] = {"bridge", "recv", ep, chan, "--size", cap, "--state", state, NULL};
        const char *sa[] = {"bridge", "send", chan, ep, "--size", cap, NULL};
        mmf_ring *r;
        char *buf = calloc(1, size);
        setenv("MMF_STORE_DIR", store_a, 1);
        if (mmf_ring_create(&r, name, ring, MMF_ROLE_PRODUCER, MMF_OPEN_OR_CREATE, NULL) < 0)
            die("producer ring");
        recv = run_tool(store_b, ra);
        send = run_tool(store_a, sa);
        /* Connected when the sender has attached and one message went
         * through: send one and wait until the ring is empty again. */
        for (int i = 0;; i++) {
            mmf_channel_info ci;
            if (mmf_channel_stat(name, &ci) == 0 && ci.consumers == 1)
                break;
            if (i > 1000)
                die("the sending bridge did not attach");
            usleep(10000);
        }
        usleep(300000);
        t0 = now_s();
        for (uint64_t i = 0; i < n; i++) {
            memcpy(buf, &i, sizeof i);
            if (mmf_ring_send(r, buf, size, 30000) != 0)
                die("mmf_ring_send");
        }
        if (read(p[0], &c, 1) != 1)
            die("bridge consumer ended early");
        t1 = now_s();
        kill(send, SIGTERM);
        kill(recv, SIGTERM);
        waitpid(send, NULL, 0);
        waitpid(recv, NULL, 0);
        mmf_ring_close(r);
        free(buf);
        unsetenv("MMF_STORE_DIR");
    }
    waitpid(cons, NULL, 0);
    close(p[0]);
    return t1 - t0;
}

static void remove_root(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_bridge: could not remove %s\n", root);
}

int main(int argc, char **argv)
{
    static const struct { size_t size; uint64_t n, quick; } rows[] = {
        {64, 2000000, 200000}, {4096, 200000, 20000}, {1u << 20, 2000, 200}};
    /* Below Linux's ephemeral ports (32768 and up), which connections
     * of earlier runs may still hold. */
    int quick = 0, runs = 5, port = 20000 + (int)(getpid() % 10000);

    if (argc < 2)
        die("usage: bench_bridge MMF_TOOL [--quick] [--runs N]");
    /* The allocator setting `mmf bridge` makes for its frames (its
     * keep_frame_memory()), here for both set-ups: without it raw ZeroMQ's
     * puller faults in every large message's pages afresh, and the
     * comparison would be of allocators. Children inherit it. */
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
    tool = argv[1];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1, runs = 3;
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
    }
    if (runs < 1 || runs > 99)
        die("--runs takes 1 to 99");
    snprintf(root, sizeof root, "/tmp/mmf-bench-bridge-%ld-XXXXXX", (long)getpid());
    if (mkdtemp(root) == NULL)
        die("mkdtemp");
    atexit(remove_root);
    snprintf(store_a, sizeof store_a, "%s/a", root);
    snprintf(store_b, sizeof store_b, "%s/b", root);
    mkdir(store_a, 0700);
    mkdir(store_b, 0700);

    printf("mmf bridge (ring -> TCP loopback -> ring) vs raw ZeroMQ PUSH/PULL, "
           "median of %d runs\n\n", runs);
    printf("| size | messages | raw ZeroMQ msg/s | raw MB/s | bridge msg/s | bridge MB/s | "
           "bridge / raw |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        uint64_t n = quick ? rows[r].quick : rows[r].n;
        double raw[99], br[99], mraw, mbr;
        for (int i = 0; i < runs; i++) { /* interleaved: the same noise for both */
            raw[i] = run_zmq(port++, rows[r].size, n);
            br[i] = run_bridge(port++, rows[r].size, n, (int)r * 100 + i);
        }
        qsort(raw, (size_t)runs, sizeof raw[0], cmp_d);
        qsort(br, (size_t)runs, sizeof br[0], cmp_d);
        mraw = raw[runs / 2];
        mbr = br[runs / 2];
        printf("| %zu B | %llu | %.0f | %.1f | %.0f | %.1f | %.2f |\n", rows[r].size,
               (unsigned long long)n, (double)n / mraw, (double)n * (double)rows[r].size / mraw / 1e6,
               (double)n / mbr, (double)n * (double)rows[r].size / mbr / 1e6, mraw / mbr);
        fflush(stdout);
    }
    return 0;
}
