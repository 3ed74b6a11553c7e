# SPDX-License-Identifier: MIT
"""Python and C on one ring, each way round, with the C program
python/tests/helpers/ring_peer.c as the other end."""
import subprocess

import pytest

import mmf
from conftest import helper

COUNT = 20000


def message(i):
    return i.to_bytes(8, "little") + bytes([i & 0xFF]) * (i % 200)


@pytest.mark.parametrize("zero_copy", [False, True])
def test_python_producer_c_consumer(name, zero_copy):
    peer = subprocess.Popen([helper("py_ring_peer"), "consume", name, str(COUNT)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with mmf.Ring.create(name, 65536, "producer", exist_ok=True) as r:
        for i in range(COUNT):
            m = message(i)
            if zero_copy:
                with r.reserve(len(m), timeout=60) as buf:
                    buf[:] = m
            else:
                r.send(m, timeout=60)
    out, err = peer.communicate(timeout=120)
    assert peer.returncode == 0, err
    assert f"received {COUNT}" in out


@pytest.mark.parametrize("zero_copy", [False, True])
def test_c_producer_python_consumer(name, zero_copy):
    peer = subprocess.Popen([helper("py_ring_peer"), "produce", name, str(COUNT)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with mmf.Ring.create(name, 65536, "consumer", exist_ok=True) as r:
        for i in range(COUNT):
            if zero_copy:
                with r.peek(timeout=60) as buf:
                    assert buf == message(i), i
            else:
                assert r.recv(timeout=60) == message(i), i
        with pytest.raises(BrokenPipeError):
            r.recv(timeout=60)
    out, err = peer.communicate(timeout=120)
    assert peer.returncode == 0, err
