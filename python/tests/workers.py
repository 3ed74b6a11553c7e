# SPDX-License-Identifier: MIT
"""Functions the multiprocessing tests run in spawned processes (they must
be importable by name in the child)."""
import mmf


def add_under_mutex(section_name, mutex_name, rounds, slot):
    """Open the shared array and the mutex by name; `rounds` times, under
    the mutex, increment the shared counter (element 0) and this worker's
    own element."""
    import numpy as np
    s = mmf.Section.open(section_name)
    m = mmf.Mutex.open(mutex_name)
    v = s.map()
    a = v.ndarray(np.int64, 64)
    try:
        for _ in range(rounds):
            with m:
                # A read-modify-write that loses updates without the lock.
                x = int(a[0])
                a[0] = x + 1
                a[slot] += 1
    finally:
        del a
        v.close()
        m.close()
        s.close()


def ring_echo(name, count):
    """Consume `count` messages from the ring `name`; return them joined."""
    with mmf.Ring.create(name, 1 << 16, "consumer", exist_ok=True) as r:
        return b"".join(r.recv(timeout=60) for _ in range(count))
