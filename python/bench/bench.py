#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Python package against the standard library's IPC, and the zero-copy
ring from Python against the C ring's copying calls. Prints the table of
docs/performance.md ("Python").

    python3 python/bench/bench.py [--quick]

Each channel row runs a producer in a separate process (multiprocessing,
spawn) and times the consumer, in this process, from the first message to
the last. Names carry the pid, so concurrent runs do not collide.
"""
import argparse
import ctypes
import multiprocessing as mp
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mmf  # noqa: E402
from mmf import _lib  # noqa: E402

MSG = 64
FRAME = 1 << 20
PREFIX = f"mmf-bench-py-{os.getpid()}"


# ---- producers (run in the spawned process) -----------------------------

def ring_producer(name, n, size, ready):
    r = mmf.Ring.create(name, 1 << 22, "producer", exist_ok=True)
    ready.set()
    data = b"x" * size
    for _ in range(n):
        r.send(data)
    r.close()


def frame_producer(name, n, ready):
    import numpy as np
    frame = np.arange(FRAME // 8, dtype=np.int64)
    r = mmf.Ring.create(name, 1 << 23, "producer", exist_ok=True)
    ready.set()
    for i in range(n):
        with r.reserve(FRAME) as buf:
            a = np.frombuffer(buf, dtype=np.int64)
            a[:] = frame      # the frame is produced into the ring
            a[0] = i
            del a
    r.close()


def c_ring_producer(name, n, ready):
    """The C calls only: mmf_ring_send copies each 1 MiB frame in."""
    r = mmf.Ring.create(name, 1 << 23, "producer", exist_ok=True)
    ready.set()
    src = ctypes.create_string_buffer(FRAME)
    send, h = _lib.lib.mmf_ring_send, r._h
    for _ in range(n):
        if send(h, src, FRAME, -1) < 0:
            raise SystemExit("mmf_ring_send failed")
    r.close()


def queue_producer(q, n, ready):
    ready.set()
    data = b"x" * MSG
    for _ in range(n):
        q.put(data)


def pipe_producer(conn, n, ready):
    ready.set()
    data = b"x" * MSG
    for _ in range(n):
        conn.send_bytes(data)
    conn.close()


# ---- rows ----------------------------------------------------------------

def run(ctx, target, args, consume, n):
    ready = ctx.Event()
    p = ctx.Process(target=target, args=(*args, ready))
    p.start()
    ready.wait()
    t0 = None
    for i in range(n):
        consume()
        if i == 0:
            t0 = time.perf_counter()
    dt = time.perf_counter() - t0
    p.join()
    if p.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed")
    return (n - 1) / dt


def ring_rate(ctx, n):
    name = f"{PREFIX}-ring"
    with mmf.Ring.create(name, 1 << 22, "consumer", exist_ok=True) as r:
        return run(ctx, ring_producer, (name, n, MSG), r.recv, n)


def queue_rate(ctx, n):
    q = ctx.Queue()
    return run(ctx, queue_producer, (q, n), q.get, n)


def pipe_rate(ctx, n):
    a, b = ctx.Pipe(duplex=False)
    rate = run(ctx, pipe_producer, (b, n), a.recv_bytes, n)
    a.close()
    return rate


def frame_rate(ctx, n):
    import numpy as np
    name = f"{PREFIX}-frames"
    with mmf.Ring.create(name, 1 << 23, "consumer", exist_ok=True) as r:
        def consume():
            with r.peek() as buf:     # the frame in place, no copy
                a = np.frombuffer(buf, dtype=np.int64)
                assert a[-1] == FRAME // 8 - 1
                del a
        return run(ctx, frame_producer, (name, n), consume, n)


def c_frame_rate(ctx, n):
    name = f"{PREFIX}-cframes"
    with mmf.Ring.create(name, 1 << 23, "consumer", exist_ok=True) as r:
        dst = ctypes.create_string_buffer(FRAME)
        got = ctypes.c_size_t()
        recv, h = _lib.lib.mmf_ring_recv, r._h

        def consume():
            if recv(h, dst, FRAME, ctypes.byref(got), -1) < 0:
                raise SystemExit("mmf_ring_recv failed")
        return run(ctx, c_ring_producer, (name, n), consume, n)


def lock_ns(n):
    m = mmf.Mutex.create(None)
    lk = mp.get_context("spawn").Lock()
    best_m = best_l = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            with m:
                pass
        best_m = min(best_m, (time.perf_counter() - t) / n * 1e9)
        t = time.perf_counter()
        for _ in range(n):
            with lk:
                pass
        best_l = min(best_l, (time.perf_counter() - t) / n * 1e9)
    m.close()
    return best_m, best_l


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = ap.parse_args()
    k = 10 if args.quick else 1
    ctx = mp.get_context("spawn")
    rows = []
    ring = ring_rate(ctx, 200000 // k)
    q = queue_rate(ctx, 100000 // k)
    pipe = pipe_rate(ctx, 200000 // k)
    rows.append(("64 B messages/s, mmf.Ring send/recv vs multiprocessing.Queue",
                 f"{ring:,.0f}", f"{q:,.0f}", ring / q, "≥ 20×"))
    rows.append(("64 B messages/s, mmf.Ring send/recv vs multiprocessing.Pipe",
                 f"{ring:,.0f}", f"{pipe:,.0f}", ring / pipe, "≥ 5×"))
    try:
        import numpy  # noqa: F401
        frames = frame_rate(ctx, 4000 // k)
        cframes = c_frame_rate(ctx, 4000 // k)
        rows.append(("1 MiB numpy frames/s, zero-copy ring from Python vs the C "
                     "ring's copying send/recv", f"{frames:,.0f}", f"{cframes:,.0f}",
                     frames / cframes, "≥ 0.7×"))
    except ImportError:
        print("numpy not found: the frame row is left out", file=sys.stderr)
    m_ns, l_ns = lock_ns(200000 // k)
    rows.append(("named-mutex lock+unlock, ns, mmf.Mutex vs multiprocessing.Lock",
                 f"{m_ns:,.0f}", f"{l_ns:,.0f}", m_ns / l_ns, "≤ 1.5×"))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
          + (", quick run" if args.quick else ""))
    print()
    print("| row | mmf | other | ratio | goal |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f}× | {r[4]} |")


if __name__ == "__main__":
    main()
