# SPDX-License-Identifier: MIT
"""Real separate processes: multiprocessing with the spawn method, and
subprocess; a process killed with SIGKILL while it owns a mutex or holds
sections."""
import multiprocessing
import os
import signal
import subprocess
import sys

import pytest

import mmf
import workers
from conftest import STORE, child_env, run_python, start_python


def kill9(p):
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL


def test_spawned_processes_share_numpy_array_under_mutex(name):
    np = pytest.importorskip("numpy")
    sec, mtx = name + "-data", name + "-lock"
    rounds, n = 2000, 2
    s = mmf.Section.create(sec, 64 * 8)
    m = mmf.Mutex.create(mtx)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=workers.add_under_mutex, args=(sec, mtx, rounds, 1 + i))
             for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    with s.map(access="r") as v:
        a = v.ndarray(np.int64, 64)
        assert a[0] == rounds * n and list(a[1:1 + n]) == [rounds] * n
        del a
    m.close()
    s.close()


def test_spawn_pool_over_a_ring(name):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        res = pool.apply_async(workers.ring_echo, (name, 3))
        with mmf.Ring.create(name, 1 << 16, "producer", exist_ok=True) as r:
            for x in (b"a", b"bb", b"ccc"):
                r.send(x, timeout=60)
            assert res.get(timeout=120) == b"abbccc"


def test_subprocess_python_to_python_ring(name):
    code = ("import mmf, sys\n"
            "r = mmf.Ring.create(sys.argv[1], 65536, 'consumer', exist_ok=True)\n"
            "n = 0\n"
            "try:\n"
            "    while True:\n"
            "        assert r.recv(timeout=60) == b'%d' % n; n += 1\n"
            "except BrokenPipeError:\n"
            "    print(n)\n"
            "r.close()\n")
    p = subprocess.Popen([sys.executable, "-c", code, name], env=child_env(),
                         stdout=subprocess.PIPE, text=True)
    with mmf.Ring.create(name, 65536, "producer", exist_ok=True) as r:
        for i in range(10000):
            r.send(b"%d" % i, timeout=60)
    out, _ = p.communicate(timeout=120)
    assert p.returncode == 0 and out.strip() == "10000"


def test_sigkill_while_owning_a_mutex(name):
    p = start_python("import mmf, sys, time\n"
                     "m = mmf.Mutex.create(sys.argv[1], exist_ok=True)\n"
                     "m.acquire()\n"
                     "print('ready', flush=True)\n"
                     "time.sleep(600)\n", name)
    m = mmf.Mutex.open(name)
    try:
        assert m.acquire(timeout=0) is False       # the child owns it
        kill9(p)
        with pytest.raises(mmf.AbandonedMutexError):
            m.acquire(timeout=30)
        assert m.stat().abandoned and m.stat().owner_pid == os.getpid()
        m.release()                                # owned: repaired, released
        assert m.acquire(timeout=0) is True        # no longer abandoned
        m.release()
    finally:
        m.close()
    assert not [f for f in os.listdir(STORE) if name in f]


def test_sigkill_while_holding_sections(name):
    """A process holding sections, views, a mutex and a ring endpoint is
    killed; once the survivor closes what it shares, no file of them is
    left in the store, and what only the dead process held is absent at
    once and reclaimed by gc."""
    p = start_python("import mmf, sys, time\n"
                     "n = sys.argv[1]\n"
                     "s = mmf.Section.create(n + '-shared', 1 << 20)\n"
                     "v = s.map(); memoryview(v)[:4] = b'kept'\n"
                     "own = mmf.Section.create(n + '-own', 1 << 16); w = own.map()\n"
                     "m = mmf.Mutex.create(n + '-m')\n"
                     "r = mmf.Ring.create(n + '-r', 4096, 'producer')\n"
                     "print('ready', flush=True)\n"
                     "time.sleep(600)\n", name)
    survivor = mmf.Section.open(name + "-shared")
    consumer = mmf.Ring.open(name + "-r", "consumer")
    kill9(p)
    with survivor.map(access="r") as v:
        assert bytes(v)[:4] == b"kept"             # the memory lives on
    with pytest.raises(BrokenPipeError):
        consumer.recv(timeout=30)                  # the producer is gone
    # Nobody else held these: absent at once (stale), and an open of the
    # name reclaims it.
    assert mmf.stat(name + "-own").stale and mmf.stat(name + "-m").stale
    with pytest.raises(FileNotFoundError):
        mmf.Section.open(name + "-own")
    with pytest.raises(FileNotFoundError):
        mmf.Mutex.open(name + "-m")
    with pytest.raises(FileNotFoundError):
        mmf.stat(name + "-own")
    survivor.close()
    consumer.close()
    mmf.gc()
    assert not [f for f in os.listdir(STORE) if name in f]
    with pytest.raises(FileNotFoundError):
        mmf.stat(name + "-shared")


def test_exit_without_close_frees(name):
    """A process that exits without closing anything closes its handles
    at exit, as on Windows: the name is gone with it."""
    run_python("import mmf, sys\n"
               "s = mmf.Section.create(sys.argv[1], 4096)\n"
               "v = s.map()\n"
               "sys.exit(0)\n", name)
    with pytest.raises(FileNotFoundError):
        mmf.Section.open(name)
    assert not [f for f in os.listdir(STORE) if name in f]


def test_mutex_export_to_a_child(name):
    with mmf.Mutex.create(None) as m:
        with pytest.raises(TypeError):
            # The wrong class is refused (importing here adopts that
            # token's reference, and the refusal closes it).
            mmf.Event.import_token(m.export())
        tok = m.export()
        m.acquire()
        out = subprocess.run(
            [sys.executable, "-c",
             "import mmf, sys\n"
             "m = mmf.Mutex.import_token(sys.argv[1])\n"
             "print(m.acquire(timeout=0.2))\n"
             "m.close()\n", tok],
            env=child_env(), capture_output=True, text=True, timeout=60,
            close_fds=False)  # the exported descriptors are inheritable
        mmf.Mutex.export_close(tok)
        m.release()
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "False"  # the same, unnamed, held mutex


def test_export_to_a_child(name):
    with mmf.Section.create(name, 4096) as s, s.map() as v:
        memoryview(v)[:6] = b"parent"
        tok = s.export("r")
        out = subprocess.run(
            [sys.executable, "-c",
             "import mmf, sys\n"
             "with mmf.Section.import_token(sys.argv[1]) as s, s.map(access='r') as v:\n"
             "    print(bytes(v)[:6].decode())\n", tok],
            env=child_env(), capture_output=True, text=True, timeout=60,
            close_fds=False)  # the exported descriptors are inheritable
        mmf.Section.export_close(tok)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "parent"
