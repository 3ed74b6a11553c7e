/* SPDX-License-Identifier: MIT */
/*
 * bridge-commit-kill.c - preloaded into a receiving `mmf bridge` by
 * test-bridge.c: at the Nth mmf_queue_commit_batch() of the process
 * (N = $MMF_TEST_COMMIT_KILL_AT) it commits a part of the batch, maybe
 * none, and SIGKILLs its own process, so that the receiver dies after
 * writing its state record and before its commit has finished, a moment
 * a kill from outside hardly ever hits.
 *
 * The part is committed with mmf_queue_commit_batch(q, j), which drops the
 * rest: a real kill inside the commit leaves the rest reserved instead
 * (what j == 0 shows, as a kill right before the commit). Either way the
 * restarted receiver must find the first j messages in the queue and no
 * others.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mmf.h"

typedef int commit_fn(mmf_queue *q, size_t k);

int mmf_queue_commit_batch(mmf_queue *q, size_t k)
{
    static long calls;
    commit_fn *real = (commit_fn *)dlsym(RTLD_NEXT, "mmf_queue_commit_batch");
    const char *at = getenv("MMF_TEST_COMMIT_KILL_AT");

    if (real == NULL)
        abort();
    if (at != NULL && ++calls == atol(at)) {
        /* Half of them commit none: the batch stays reserved, as after a
         * kill between the state record and the commit. */
        size_t j = (getpid() & 1) != 0 ? (size_t)getpid() % k : 0;
        fprintf(stderr, "commit-kill: killed after committing %zu of %zu\n", j, k);
        fflush(stderr);
        if (j > 0)
            real(q, j);
        raise(SIGKILL);
    }
    return real(q, k);
}
