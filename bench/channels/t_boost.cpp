/* SPDX-License-Identifier: MIT */
/*
 * t_boost.cpp - Boost.Interprocess message_queue, one queue per direction.
 *
 * The only C++ file of the benchmark: Boost.Interprocess has no C
 * interface. The queues live in /dev/shm (shared_memory_object); the
 * driver's setup() creates them, each side opens them by name. send() and
 * receive() copy each message in and out of the queue under the queue's
 * process-shared mutex and condition variables; blocking; one message per
 * call (there is no batching and no zero-copy interface), so both
 * variants are one run.
 */
#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "chanbench.h"

namespace bip = boost::interprocess;

namespace {

struct {
    char name[2][96];
    bip::message_queue *q[2];
    unsigned char *buf;
    bool made;
} g;

int boost_setup(cb_chan *c)
{
    for (int d = 0; d < 2; d++)
        std::snprintf(g.name[d], sizeof g.name[d], "%s-bq-%zu-%d", c->tag, c->size, d);
    try {
        g.made = true;
        for (int d = 0; d < 2; d++)
            bip::message_queue q(bip::create_only, g.name[d], c->depth, c->size);
    } catch (const std::exception &e) {
        return cb_fail(c, "message_queue(create_only): %s", e.what());
    }
    return 0;
}

int boost_attach(cb_chan *c)
{
    try {
        for (int d = 0; d < 2; d++)
            g.q[d] = new bip::message_queue(bip::open_only, g.name[d]);
    } catch (const std::exception &e) {
        return cb_fail(c, "message_queue(open_only): %s", e.what());
    }
    g.buf = static_cast<unsigned char *>(std::calloc(1, c->size));
    return g.buf != nullptr ? 0 : cb_fail(c, "out of memory");
}

int boost_send(cb_chan *c, uint64_t first, unsigned n, int last)
{
    (void)n;
    cb_stamp(g.buf, c->size, cb_value(first, 0, 1, last));
    try {
        g.q[c->side]->send(g.buf, c->size, 0);
    } catch (const std::exception &e) {
        return cb_fail(c, "message_queue::send: %s", e.what());
    }
    return 0;
}

int boost_recv(cb_chan *c, uint64_t *vals, unsigned max)
{
    (void)max;
    bip::message_queue::size_type got = 0;
    unsigned prio = 0;
    try {
        g.q[1 - c->side]->receive(g.buf, c->size, got, prio);
    } catch (const std::exception &e) {
        return cb_fail(c, "message_queue::receive: %s", e.what());
    }
    if (got != c->size)
        return cb_fail(c, "a %zu B message, expected %zu B", static_cast<size_t>(got), c->size);
    vals[0] = cb_read(g.buf, c->size);
    return 1;
}

void boost_detach(cb_chan *c)
{
    (void)c;
    for (int d = 0; d < 2; d++) {
        delete g.q[d];
        g.q[d] = nullptr;
    }
    std::free(g.buf);
    g.buf = nullptr;
}

void boost_teardown(cb_chan *c)
{
    (void)c;
    if (g.made)
        for (int d = 0; d < 2; d++)
            bip::message_queue::remove(g.name[d]);
    g.made = false;
}

void boost_version(char *buf, size_t n)
{
    std::snprintf(buf, n, "Boost %d.%d.%d", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                  BOOST_VERSION % 100);
}

} // namespace

extern "C" const cb_transport cb_boost = {
    .name = "boost",
    .label = "Boost.Interprocess message_queue",
    .about = "bip::message_queue per direction in /dev/shm, depth up to 256 messages (about "
             "4 MiB); send()/receive(), blocking (process-shared mutex + condition "
             "variables), one message per call, copying",
    .flags = 0,
    .missing = nullptr,
    .probe = nullptr,
    .start = nullptr,
    .stop = nullptr,
    .setup = boost_setup,
    .attach = boost_attach,
    .send = boost_send,
    .recv = boost_recv,
    .detach = boost_detach,
    .teardown = boost_teardown,
    .version = boost_version,
};
