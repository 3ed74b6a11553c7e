/* SPDX-License-Identifier: MIT */
/*
 * t_iceoryx.c - Eclipse iceoryx through its C binding: zero-copy
 * publish/subscribe with a central daemon, RouDi.
 *
 * start() runs iox-roudi with a configuration written for this run (one
 * mempool per message size, enough chunks for the queues), waits for it
 * to say it is ready, and stop() stops it with SIGTERM, after which
 * nothing of it is left in /dev/shm or /tmp. If another RouDi already
 * runs (its files are there), the system is skipped: there can be only
 * one per machine and it is not ours to stop.
 *
 * Each side registers a runtime and makes a publisher for its direction
 * and a subscriber for the other. Messages: iox_pub_loan_chunk(), write in
 * place, iox_pub_publish_chunk(); iox_sub_take_chunk() polled in a busy
 * loop (iceoryx's fastest way to receive; its WaitSet would add a
 * semaphore post and wait per message), read in place,
 * iox_sub_release_chunk(). The subscriber's queue holds about 4 MiB of
 * messages (at most iceoryx's 256) and blocks the publisher when full, so
 * no message is dropped (iceoryx's publisher then waits by yielding and
 * sleeping, which is what limits its stream when the consumer falls
 * behind); there is no batching interface.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>

#include "chanbench.h"

#ifndef CB_ICEORYX_VERSION
#define CB_ICEORYX_VERSION "?"
#endif

extern char **environ;

/* What a RouDi leaves while it runs (it removes them when stopped). */
static const char *const roudi_files[] = {"/dev/shm/iceoryx_mgmt", "/tmp/roudi",
                                          "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock"};

static struct {
    pid_t roudi;
    char config[128], log[128];
    char user_shm[128]; /* the data segment, named after the user */
    iox_pub_storage_t pub_storage;
    iox_sub_storage_t sub_storage;
    iox_pub_t pub;
    iox_sub_t sub;
} g;

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int iox_probe(char *why, size_t n)
{
    if (system("command -v iox-roudi >/dev/null 2>&1") != 0) {
        snprintf(why, n, "iox-roudi is not installed (Debian package iceoryx)");
        return CB_SKIP;
    }
    for (size_t i = 0; i < sizeof roudi_files / sizeof roudi_files[0]; i++) {
        if (exists(roudi_files[i])) {
            snprintf(why, n, "%s exists: another iox-roudi runs (or one crashed); the "
                             "benchmark will not touch it", roudi_files[i]);
            return CB_SKIP;
        }
    }
    return 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void iox_stop(void);

static int iox_start(const size_t *sizes, int n_sizes, char *why, size_t n)
{
    const struct passwd *pw = getpwuid(geteuid());
    const char *user = pw != NULL ? pw->pw_name : "";
    const char *tag = cb_tag();
    size_t sorted[16];
    FILE *f;

    if (n_sizes > 16)
        n_sizes = 16;
    memcpy(sorted, sizes, (size_t)n_sizes * sizeof sizes[0]);
    qsort(sorted, (size_t)n_sizes, sizeof sorted[0], cmp_size);
    snprintf(g.config, sizeof g.config, "/tmp/%s-roudi.toml", tag);
    snprintf(g.log, sizeof g.log, "/tmp/%s-roudi.log", tag);
    /* RouDi names the data segment after the user running it. */
    snprintf(g.user_shm, sizeof g.user_shm, "/dev/shm/%s", user);
    if (*user && exists(g.user_shm)) {
        snprintf(why, n, "%s exists: another iceoryx segment; the benchmark will not touch it",
                 g.user_shm);
        return CB_SKIP;
    }

    /* Per size: chunks for both directions' queues, plus the ones held
     * and loaned, with room to spare. */
    f = fopen(g.config, "w");
    if (f == NULL) {
        snprintf(why, n, "cannot write %s: %s", g.config, strerror(errno));
        return -1;
    }
    fprintf(f, "# Written by chanbench for one run.\n[general]\nversion = 1\n\n[[segment]]\n");
    for (int i = 0; i < n_sizes; i++) {
        if (i > 0 && sorted[i] == sorted[i - 1])
            continue;
        fprintf(f, "\n[[segment.mempool]]\nsize = %zu\ncount = %u\n", sorted[i],
                2 * (cb_depth_for(sorted[i]) + 8));
    }
    fclose(f);

    int out = open(g.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        snprintf(why, n, "cannot write %s: %s", g.log, strerror(errno));
        unlink(g.config);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, out, 2);
    char *argv[] = {"iox-roudi", "-c", g.config, "-l", "info", NULL};
    int rc = posix_spawnp(&g.roudi, "iox-roudi", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out);
    if (rc != 0) {
        snprintf(why, n, "cannot start iox-roudi: %s", strerror(rc));
        g.roudi = 0;
        unlink(g.config);
        unlink(g.log);
        return -1;
    }

    /* Ready when it says so in its log; 15 s at most. */
    for (int ms = 0; ms < 15000; ms += 10) {
        char line[256];
        int ready = 0;
        f = fopen(g.log, "r");
        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            ready |= strstr(line, "RouDi is ready for clients") != NULL;
        if (f != NULL)
            fclose(f);
        if (ready)
            return 0;
        if (waitpid(g.roudi, NULL, WNOHANG) == g.roudi) {
            g.roudi = 0;
            snprintf(why, n, "iox-roudi exited at start (its log: %s)", g.log);
            unlink(g.config);
            return -1;
        }
        struct timespec nap = {0, 10000000};
        nanosleep(&nap, NULL);
    }
    snprintf(why, n, "iox-roudi did not get ready within 15 s");
    iox_stop();
    return -1;
}

static void iox_stop(void)
{
    if (g.roudi > 0) {
        int st;
        kill(g.roudi, SIGTERM);
        /* RouDi waits for its clients to go; they are gone already. */
        for (int ms = 0; ms < 10000; ms += 10) {
            if (waitpid(g.roudi, &st, WNOHANG) == g.roudi) {
                g.roudi = 0;
                break;
            }
            struct timespec nap = {0, 10000000};
            nanosleep(&nap, NULL);
        }
        if (g.roudi > 0) {
            kill(g.roudi, SIGKILL);
            waitpid(g.roudi, &st, 0);
            g.roudi = 0;
        }
        /* A RouDi killed hard leaves its files; they were not there
         * before it started (iox_probe), so they are its own. */
        for (size_t i = 0; i < sizeof roudi_files / sizeof roudi_files[0]; i++) {
            if (exists(roudi_files[i])) {
                fprintf(stderr, "chanbench: removing %s, left by iox-roudi\n", roudi_files[i]);
                unlink(roudi_files[i]);
            }
        }
        if (g.user_shm[0] && exists(g.user_shm)) {
            fprintf(stderr, "chanbench: removing %s, left by iox-roudi\n", g.user_shm);
            unlink(g.user_shm);
        }
    }
    if (g.config[0])
        unlink(g.config);
    if (g.log[0])
        unlink(g.log);
}

static int iox_setup(struct cb_chan *c)
{
    (void)c;
    return 0;
}

static int iox_attach(struct cb_chan *c)
{
    char name[100], size[64];
    const char *dir[2] = {"there", "back"};
    /* The runtime's name is also its socket in /tmp: carry the tag, so
     * that the driver's sweep finds one left by a killed side. */
    snprintf(name, sizeof name, "%s-%zu-%s", c->tag, c->size, c->side == CB_PRODUCER ? "p" : "c");
    snprintf(size, sizeof size, "%s-%zu", c->tag, c->size);
    iox_set_loglevel(Iceoryx_LogLevel_Warn);
    iox_runtime_init(name);

    iox_pub_options_t po;
    iox_pub_options_init(&po);
    po.historyCapacity = 0;
    po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
    g.pub = iox_pub_init(&g.pub_storage, "chanbench", size, dir[c->side], &po);

    iox_sub_options_t so;
    iox_sub_options_init(&so);
    so.queueCapacity = c->depth;
    so.historyRequest = 0;
    so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
    g.sub = iox_sub_init(&g.sub_storage, "chanbench", size, dir[1 - c->side], &so);
    if (g.pub == NULL || g.sub == NULL)
        return cb_fail(c, "iox_pub_init/iox_sub_init failed");

    /* Matching goes through RouDi's discovery loop: wait until both
     * directions are connected, or a message would be lost. */
    uint64_t until = cb_now_ns() + CB_STUCK_NS;
    while (iox_sub_get_subscription_state(g.sub) != SubscribeState_SUBSCRIBED ||
           !iox_pub_has_subscribers(g.pub)) {
        if (cb_now_ns() > until)
            return cb_fail(c, "publisher and subscriber did not connect within %llu s",
                           (unsigned long long)(CB_STUCK_NS / 1000000000u));
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    return 0;
}

static int iox_send(struct cb_chan *c, uint64_t first, unsigned n, int last)
{
    (void)n;
    void *p = NULL;
    enum iox_AllocationResult r;
    while ((r = iox_pub_loan_chunk(g.pub, &p, (uint32_t)c->size)) != AllocationResult_SUCCESS) {
        /* All chunks in flight: the consumer will give some back. */
        if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS)
            return cb_fail(c, "iox_pub_loan_chunk: result %d", (int)r);
        cb_relax();
    }
    cb_put(c, p, cb_value(first, 0, 1, last));
    iox_pub_publish_chunk(g.pub, p);
    return 0;
}

static int iox_recv(struct cb_chan *c, uint64_t *vals, unsigned max)
{
    (void)max;
    const void *p = NULL;
    enum iox_ChunkReceiveResult r;
    while ((r = iox_sub_take_chunk(g.sub, &p)) == ChunkReceiveResult_NO_CHUNK_AVAILABLE)
        cb_relax();
    if (r != ChunkReceiveResult_SUCCESS)
        return cb_fail(c, "iox_sub_take_chunk: result %d", (int)r);
    vals[0] = cb_get(c, p);
    iox_sub_release_chunk(g.sub, p);
    return 1;
}

static void iox_detach(struct cb_chan *c)
{
    (void)c;
    if (g.sub != NULL)
        iox_sub_deinit(g.sub);
    if (g.pub != NULL)
        iox_pub_deinit(g.pub);
    g.sub = NULL;
    g.pub = NULL;
    iox_runtime_shutdown();
}

static void iox_teardown(struct cb_chan *c)
{
    (void)c;
}

static void iox_version(char *buf, size_t n)
{
    snprintf(buf, n, "iceoryx %s (C binding)", CB_ICEORYX_VERSION);
}

const struct cb_transport cb_iceoryx = {
    .name = "iceoryx",
    .label = "iceoryx (C binding)",
    .about = "iox-roudi started by the benchmark; publisher + subscriber per direction; "
             "loan_chunk + write in place + publish_chunk; take_chunk polled in a busy loop, "
             "read in place, release_chunk; subscriber queue blocks the publisher when full",
    .flags = CB_ZERO_COPY,
    .probe = iox_probe,
    .start = iox_start,
    .stop = iox_stop,
    .setup = iox_setup,
    .attach = iox_attach,
    .send = iox_send,
    .recv = iox_recv,
    .detach = iox_detach,
    .teardown = iox_teardown,
    .version = iox_version,
};
