/*
 * producer.c - the sending half of the ring example.
 *
 * Creates (or opens) the ring "mmf-example-ring" as its producer and sends
 * numbered messages, written in place: reserve room in the ring, fill it,
 * commit. If the consumer is not there yet, the messages wait in the ring;
 * when the ring is full, the producer waits for the consumer. Closing the
 * ring at the end tells the consumer that the producer is gone.
 *
 *   ring_producer [-n NAME] [-c COUNT] [-f FILE] [-b]
 *
 * Start ring_consumer in another terminal (either may start first), or
 * run examples/ring/demo.sh for both.
 */
#include "common.h"

int main(int argc, char **argv)
{
    mmf_chan_opts opts = {0, 0, NULL};
    struct options o;
    mmf_ring *ring;
    uint64_t seq, t0;
    int rc;

    if (parse_options(argc, argv, &o, "[-n NAME] [-c COUNT] [-f FILE] [-b]") < 0)
        return 2;
    opts.flags = o.busy ? MMF_CHAN_BUSY_POLL : 0;
    opts.path = o.file; /* NULL: the ring lives in memory only */

    rc = mmf_ring_create(&ring, o.name, CAPACITY, MMF_CHAN_PRODUCER,
                         MMF_OPEN_OR_CREATE, &opts);
    if (rc < 0) {
        fprintf(stderr, "producer: cannot attach to %s: %s\n", o.name, mmf_strerror(rc));
        return 1;
    }
    printf("producer: sending %llu messages on \"%s\" (%s ring)\n",
           (unsigned long long)o.count, o.name, rc == MMF_EXISTED ? "existing" : "new");
    fflush(stdout);

    t0 = now_ns();
    for (seq = 0; seq < o.count; seq++) {
        struct tick *t;
        /* Wait as long as it takes for room: the consumer may be slow. */
        rc = mmf_ring_reserve(ring, sizeof *t, (void **)&t, MMF_INFINITE);
        if (rc < 0)
            break; /* MMF_EPIPE: the consumer came and went */
        t->seq = seq;
        snprintf(t->text, sizeof t->text, "tick %llu", (unsigned long long)seq);
        t->sent_ns = now_ns();
        mmf_ring_commit(ring, sizeof *t);
    }
    if (rc < 0)
        fprintf(stderr, "producer: stopped after %llu messages: %s\n",
                (unsigned long long)seq, mmf_strerror(rc));
    else
        printf("producer: sent %llu messages in %.3f s\n", (unsigned long long)seq,
               (double)(now_ns() - t0) / 1e9);

    /* A persistent ring: make what was sent survive a crash of the machine. */
    if (o.file != NULL && (rc = mmf_ring_flush(ring)) < 0)
        fprintf(stderr, "producer: flush: %s\n", mmf_strerror(rc));
    mmf_ring_close(ring);
    return seq == o.count ? 0 : 1;
}
