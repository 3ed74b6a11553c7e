/* SPDX-License-Identifier: MIT */
/*
 * producer.c - the sending half of the ring example.
 *
 * Creates (or opens) the ring "mmf-example-ring" as its producer and sends
 * numbered messages, written in place: reserve room in the ring, fill it,
 * commit. If the consumer is not there yet, the messages wait in the ring;
 * when the ring is full, the producer waits for the consumer. Closing the
 * ring at the end tells the consumer that the producer is gone, as does
 * Ctrl-C (SIGINT, SIGTERM, SIGHUP), which closes it before the producer
 * goes.
 *
 *   ring_producer [-n NAME] [-c COUNT] [-f FILE] [-b]
 *
 * Start ring_consumer in another terminal (either may start first), or
 * run examples/ring/demo.sh for both.
 */
#include "common.h"

int main(int argc, char **argv)
{
    mmf_channel_opts opts = {0, 0, NULL};
    struct options o;
    mmf_ring *ring;
    uint64_t seq, t0;
    int rc;

    if (parse_options(argc, argv, &o, "[-n NAME] [-c COUNT] [-f FILE] [-b]") < 0)
        return 2;
    opts.flags = o.busy ? MMF_CHANNEL_BUSY_POLL : 0;
    opts.path = o.file; /* NULL: the ring lives in memory only */

    catch_stop_signals();
    rc = mmf_ring_create(&ring, o.name, CAPACITY, MMF_ROLE_PRODUCER,
                         MMF_OPEN_OR_CREATE, &opts);
    if (rc < 0) {
        attach_error("producer", &o, rc);
        return 1;
    }
    printf("producer: sending %llu messages on \"%s\" (%s ring)\n",
           (unsigned long long)o.count, o.name, rc == MMF_EXISTED ? "existing" : "new");
    fflush(stdout);

    t0 = now_ns();
    for (seq = 0; seq < o.count && !stop_signal; seq++) {
        struct tick *t;
        /* Wait as long as it takes for room (the consumer may be slow),
         * looking up now and then for a stop signal. */
        while ((rc = mmf_ring_reserve(ring, sizeof *t, (void **)&t, POLL_MS)) ==
                   MMF_ETIMEDOUT && !stop_signal)
            ;
        if (rc < 0)
            break; /* MMF_EPIPE: the consumer came and went */
        t->seq = seq;
        snprintf(t->text, sizeof t->text, "tick %llu", (unsigned long long)seq);
        t->sent_ns = now_ns();
        mmf_ring_commit(ring, sizeof *t);
    }
    if (stop_signal)
        fprintf(stderr, "producer: stopped by signal %d after %llu messages\n",
                (int)stop_signal, (unsigned long long)seq);
    else if (rc < 0)
        fprintf(stderr, "producer: stopped after %llu messages: %s\n",
                (unsigned long long)seq, mmf_strerror(rc));
    else
        printf("producer: sent %llu messages in %.3f s\n", (unsigned long long)seq,
               (double)(now_ns() - t0) / 1e9);

    /* A persistent ring: make what was sent survive a crash of the machine. */
    if (o.file != NULL && (rc = mmf_ring_flush(ring)) < 0)
        fprintf(stderr, "producer: flush: %s\n", mmf_strerror(rc));
    mmf_ring_close(ring);
    if (stop_signal)
        exit_by_stop_signal();
    return seq == o.count ? 0 : 1;
}
