# SPDX-License-Identifier: MIT
"""The known failure modes of multiprocessing.shared_memory, side by side
with mmf, in real processes:

1. CPython issue 82300: a process that only attaches to a segment
   registers it with its own resource tracker, which unlinks it when that
   process exits, while the creator still uses it (track=False arrived in
   Python 3.13). With mmf the name lives while any process holds it.
2. A creator killed with SIGKILL: its resource tracker unlinks the segment
   under the processes still using it; and if the tracker dies too (the
   whole process group is killed), the segment stays in /dev/shm for good.
   With mmf the survivors keep it; when the last holder dies the name is
   absent at once and its memory is reclaimed.

The shared_memory halves assert the failure on the Pythons known to have
it (before 3.13, whose track=False changes nothing by default but is not
what these tests set) and are skipped on others.
"""
import os
import signal
import sys
import time

import pytest

import mmf
from conftest import STORE, run_python, start_python as start

HAS_82300 = sys.version_info < (3, 13)
SHM = ("from multiprocessing import shared_memory as sm\n"
       "import sys, time\n")


def finish(p):
    out, err = p.communicate("go\n", timeout=60)
    return p.returncode, out, err


def shm_path(name):
    return os.path.join("/dev/shm", name)


def gone_within(path, seconds):
    deadline = time.monotonic() + seconds
    while os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ---- 1. an unrelated process attaches, then exits -------------------------

@pytest.mark.skipif(not HAS_82300, reason="this Python's shared_memory may differ")
def test_shared_memory_attacher_exit_unlinks_the_creators_segment(name):
    creator = start(SHM +
                    "s = sm.SharedMemory(name=sys.argv[1], create=True, size=4096)\n"
                    "s.buf[:2] = b'hi'\n"
                    "print('ready', flush=True)\n"
                    "sys.stdin.readline()\n"
                    "s.close()\n"
                    "try:\n"
                    "    s.unlink()\n"
                    "except FileNotFoundError:\n"
                    "    print('already unlinked')\n", name)
    try:
        # An unrelated process attaches, reads, closes and exits normally.
        run_python(SHM + "s = sm.SharedMemory(name=sys.argv[1])\n"
                   "assert bytes(s.buf[:2]) == b'hi'\n"
                   "s.close()\n", name)
        # Its resource tracker unlinked the segment: a third process can no
        # longer attach, although the creator is alive and holds it.
        third = run_python(SHM + "sm.SharedMemory(name=sys.argv[1])\n", name, check=False)
        assert third.returncode != 0 and "FileNotFoundError" in third.stderr
        assert not os.path.exists(shm_path(name))
    finally:
        rc, out, _ = finish(creator)
    assert rc == 0 and "already unlinked" in out


def test_mmf_attacher_exit_keeps_the_creators_section(name):
    creator = start("import mmf, sys\n"
                    "s = mmf.Section.create(sys.argv[1], 4096)\n"
                    "v = s.map(); memoryview(v)[:2] = b'hi'\n"
                    "print('ready', flush=True)\n"
                    "sys.stdin.readline()\n"
                    "v.close(); s.close()\n", name)
    try:
        run_python("import mmf, sys\n"
                   "with mmf.Section.open(sys.argv[1]) as s, s.map() as v:\n"
                   "    assert bytes(v)[:2] == b'hi'\n", name)
        third = run_python("import mmf, sys\n"
                           "with mmf.Section.open(sys.argv[1]) as s, s.map() as v:\n"
                           "    print(bytes(v)[:2].decode())\n", name)
        assert third.stdout.strip() == "hi"
    finally:
        rc, _, err = finish(creator)
    assert rc == 0, err
    # The creator closed the last handle: the name is gone, nothing is left.
    with pytest.raises(FileNotFoundError):
        mmf.Section.open(name)
    assert not [f for f in os.listdir(STORE) if name in f]


# ---- 2. the creator is killed with SIGKILL --------------------------------

@pytest.mark.skipif(not HAS_82300, reason="this Python's shared_memory may differ")
def test_shared_memory_sigkilled_creator(name):
    code = (SHM + "s = sm.SharedMemory(name=sys.argv[1], create=True, size=4096)\n"
            "s.buf[:2] = b'hi'\n"
            "print('ready', flush=True)\n"
            "time.sleep(600)\n")
    user = None
    creator = start(code, name)
    try:
        # Another process uses the segment and keeps using it.
        user = start(SHM + "s = sm.SharedMemory(name=sys.argv[1])\n"
                     "print('ready', flush=True)\n"
                     "sys.stdin.readline()\n"
                     "print(bytes(s.buf[:2]).decode())\n", name)
        creator.send_signal(signal.SIGKILL)
        creator.wait(timeout=30)
        # The creator's resource tracker outlives it and unlinks the
        # segment under the process still using it.
        assert gone_within(shm_path(name), 30)
        third = run_python(SHM + "sm.SharedMemory(name=sys.argv[1])\n", name, check=False)
        assert "FileNotFoundError" in third.stderr
        rc, out, _ = finish(user)
        assert out.strip() == "hi"     # the user's own mapping still works
    finally:
        for p in (creator, user):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()

    # Kill the whole process group, tracker included: the segment leaks.
    leaked = name + "-leak"
    group = start(code, leaked, session=True)
    os.killpg(group.pid, signal.SIGKILL)
    group.wait(timeout=30)
    time.sleep(0.5)
    try:
        assert os.path.exists(shm_path(leaked)), "expected a leaked segment"
    finally:
        if os.path.exists(shm_path(leaked)):
            os.unlink(shm_path(leaked))    # nothing else would ever remove it


def test_mmf_sigkilled_creator(name):
    code = ("import mmf, sys, time\n"
            "s = mmf.Section.create(sys.argv[1], 4096)\n"
            "v = s.map(); memoryview(v)[:2] = b'hi'\n"
            "print('ready', flush=True)\n"
            "time.sleep(600)\n")
    creator = start(code, name)
    user = mmf.Section.open(name)
    creator.send_signal(signal.SIGKILL)
    creator.wait(timeout=30)
    # The survivor keeps the name: another process still opens it.
    third = run_python("import mmf, sys\n"
                       "with mmf.Section.open(sys.argv[1]) as s, s.map() as v:\n"
                       "    print(bytes(v)[:2].decode())\n", name)
    assert third.stdout.strip() == "hi"
    user.close()                       # the last holder: the name goes
    with pytest.raises(FileNotFoundError):
        mmf.Section.open(name)
    assert not [f for f in os.listdir(STORE) if name in f]

    # The whole group killed: nothing holds it, so it is absent at once,
    # and reclaimed by the next use of the name (or gc, or a sweep).
    leaked = name + "-leak"
    group = start(code, leaked, session=True)
    os.killpg(group.pid, signal.SIGKILL)
    group.wait(timeout=30)
    assert mmf.stat(leaked).stale
    with pytest.raises(FileNotFoundError):
        mmf.Section.open(leaked)
    assert not [f for f in os.listdir(STORE) if leaked in f]
