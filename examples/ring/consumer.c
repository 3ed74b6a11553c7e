/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - the receiving half of the ring example.
 *
 * Creates (or opens) the ring "mmf-example-ring" as its consumer and reads
 * messages in place: peek at the next one, use it, release it. It checks
 * that the sequence numbers follow each other and measures how long each
 * message took from the producer's commit to here. When the producer is
 * gone and everything it sent was read, peek returns MMF_EPIPE and the
 * consumer prints a summary. A persistent ring (-f) may hold messages from
 * a producer that ran and left before the consumer came: once those are
 * read and no producer is attached, the consumer ends the same way.
 * Ctrl-C (SIGINT, SIGTERM, SIGHUP) closes the ring before it goes.
 *
 *   ring_consumer [-n NAME] [-f FILE] [-b]
 */
#include "common.h"

int main(int argc, char **argv)
{
    mmf_channel_opts opts = {0, 0, NULL};
    struct options o;
    mmf_ring *ring;
    uint64_t count = 0, expected = 0, gaps = 0, lat_sum = 0, lat_max = 0, t0 = 0;
    mmf_msg m;
    int rc;

    if (parse_options(argc, argv, &o, "[-n NAME] [-f FILE] [-b]") < 0)
        return 2;
    opts.flags = o.busy ? MMF_CHANNEL_BUSY_POLL : 0;
    opts.path = o.file;

    catch_stop_signals();
    rc = mmf_ring_create(&ring, o.name, CAPACITY, MMF_ROLE_CONSUMER,
                         MMF_OPEN_OR_CREATE, &opts);
    if (rc < 0) {
        attach_error("consumer", &o, rc);
        return 1;
    }
    printf("consumer: waiting for messages on \"%s\"\n", o.name);
    fflush(stdout);

    /* Wait as long as needed for each message, looking up now and then for
     * a stop signal; MMF_EPIPE ends the loop. */
    while (!stop_signal) {
        const struct tick *t;
        uint64_t lat;

        rc = mmf_ring_peek(ring, &m, POLL_MS);
        if (rc == MMF_ETIMEDOUT) {
            mmf_channel_info ci;
            /* The library reports a producer gone only once one attached
             * to this ring since its name was made. Messages read from a
             * persistent file and no producer attached: it came and went. */
            if (count > 0 && mmf_channel_stat(o.name, &ci) == 0 && ci.producers == 0)
                rc = MMF_EPIPE;
            if (rc == MMF_EPIPE)
                break;
            continue;
        }
        if (rc != 0)
            break;
        t = m.data;  /* in the ring itself: no copy */
        lat = now_ns() - t->sent_ns;

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
    if (rc != MMF_EPIPE && rc != 0 && !stop_signal)
        fprintf(stderr, "consumer: %s\n", mmf_strerror(rc));
    if (count > 0)
        printf("consumer: %llu messages in %.3f s, %llu out of order; "
               "latency mean %.1f us, max %.1f us\n",
               (unsigned long long)count, (double)(now_ns() - t0) / 1e9,
               (unsigned long long)gaps, (double)lat_sum / (double)count / 1e3,
               (double)lat_max / 1e3);
    if (stop_signal)
        printf("consumer: stopped by signal %d\n", (int)stop_signal);
    else if (rc == MMF_EPIPE)
        printf("consumer: the producer is gone, and every message it sent was read\n");
    if (o.file != NULL)
        mmf_ring_flush(ring);
    mmf_ring_close(ring);
    if (stop_signal) {
        fflush(stdout);
        exit_by_stop_signal();
    }
    return rc == MMF_EPIPE && gaps == 0 ? 0 : 1;
}
