/*
 * consumer.c - the receiving half of the ring example.
 *
 * Creates (or opens) the ring "mmf-example-ring" as its consumer and reads
 * messages in place: peek at the next one, use it, release it. It checks
 * that the sequence numbers follow each other and measures how long each
 * message took from the producer's commit to here. When the producer is
 * gone and everything it sent was read, peek returns MMF_EPIPE and the
 * consumer prints a summary.
 *
 *   ring_consumer [-n NAME] [-f FILE] [-b]
 */
#include "common.h"

int main(int argc, char **argv)
{
    mmf_chan_opts opts = {0, 0, NULL};
    struct options o;
    mmf_ring *ring;
    uint64_t count = 0, expected = 0, gaps = 0, lat_sum = 0, lat_max = 0, t0 = 0;
    mmf_msg m;
    int rc;

    if (parse_options(argc, argv, &o, "[-n NAME] [-f FILE] [-b]") < 0)
        return 2;
    opts.flags = o.busy ? MMF_CHAN_BUSY_POLL : 0;
    opts.path = o.file;

    rc = mmf_ring_create(&ring, o.name, CAPACITY, MMF_CHAN_CONSUMER,
                         MMF_OPEN_OR_CREATE, &opts);
    if (rc < 0) {
        fprintf(stderr, "consumer: cannot attach to %s: %s\n", o.name, mmf_strerror(rc));
        return 1;
    }
    printf("consumer: waiting for messages on \"%s\"\n", o.name);
    fflush(stdout);

    /* Wait as long as needed for each message; MMF_EPIPE ends the loop. */
    while ((rc = mmf_ring_peek(ring, &m, MMF_INFINITE)) == 0) {
        const struct tick *t = m.data;  /* in the ring itself: no copy */
        uint64_t lat = now_ns() - t->sent_ns;

        if (m.len != sizeof *t) {
            fprintf(stderr, "consumer: unexpected message of %zu bytes\n", m.len);
            break;
        }
        if (count == 0) {
            t0 = now_ns();
            expected = t->seq; /* a restarted consumer starts where the last left */
        }
        if (t->seq != expected)
            gaps++;
        expected = t->seq + 1;
        lat_sum += lat;
        if (lat > lat_max)
            lat_max = lat;
        count++;
        mmf_ring_release(ring, 1); /* its room goes back to the producer */
    }
    if (rc != MMF_EPIPE && rc != 0)
        fprintf(stderr, "consumer: %s\n", mmf_strerror(rc));
    if (count > 0)
        printf("consumer: %llu messages in %.3f s, %llu out of order; "
               "latency mean %.1f us, max %.1f us\n",
               (unsigned long long)count, (double)(now_ns() - t0) / 1e9,
               (unsigned long long)gaps, (double)lat_sum / (double)count / 1e3,
               (double)lat_max / 1e3);
    if (rc == MMF_EPIPE)
        printf("consumer: the producer is gone, and every message it sent was read\n");
    if (o.file != NULL)
        mmf_ring_flush(ring);
    mmf_ring_close(ring);
    return rc == MMF_EPIPE && gaps == 0 ? 0 : 1;
}
