# SPDX-License-Identifier: MIT
"""Every public call of the package, its errors and its exceptions, in one
process (several threads where a call blocks); inspection is in
test_inspect.py."""
import gc as pygc
import os
import socket
import threading
import time

import pytest

import mmf


# ---- errors -------------------------------------------------------------

def test_error_classes_stand_beside_builtins():
    cases = {"MMF_ENOENT": FileNotFoundError, "MMF_EEXIST": FileExistsError,
             "MMF_EACCES": PermissionError, "MMF_ETIMEDOUT": TimeoutError,
             "MMF_EPIPE": BrokenPipeError, "MMF_EINVAL": ValueError,
             "MMF_EAGAIN": BlockingIOError, "MMF_EIO": OSError,
             "MMF_ENOTOWNER": RuntimeError, "MMF_EOVERFLOW": OverflowError}
    for name, builtin in cases.items():
        code = mmf.CODES[name]
        e = mmf._errors.error_class(code)(code, "what")
        assert isinstance(e, mmf.Error) and isinstance(e, builtin), name
        assert e.code == code and e.name == name
        assert "what" in str(e) and name in str(e)
    assert mmf.strerror(mmf.CODES["MMF_ENOENT"]) == "no such object or file"
    assert mmf.err_name(-4001) == "MMF_ETYPE"
    assert mmf.NotFoundError(mmf.CODES["MMF_ENOENT"]).errno == 2


# ---- sections and views -------------------------------------------------

def test_section_create_open_map(name):
    with mmf.Section.create(name, 10000) as s:
        assert not s.existed and s.size == 3 * mmf.page_size()
        assert s.name == "Local\\" + name
        with s.map() as v:
            memoryview(v)[:5] = b"hello"
        with mmf.Section.open(name, "r") as r, r.map(access="r") as rv:
            assert bytes(rv)[:5] == b"hello" and rv.readonly
            assert memoryview(rv).readonly
        with mmf.Section.create(name, 1, exist_ok=True) as again:
            assert again.existed and again.size == s.size
    with pytest.raises(mmf.NotFoundError) as e:
        mmf.Section.open(name)
    assert isinstance(e.value, FileNotFoundError) and name in str(e.value)


def test_section_errors(name):
    with mmf.Section.create(name, 4096) as s:
        with pytest.raises(FileExistsError):
            mmf.Section.create(name, 4096)
        with pytest.raises(mmf.TypeMismatchError):
            mmf.Mutex.open(name)
        with pytest.raises(mmf.InvalidArgumentError):
            s.map(offset=1)  # MMF_EALIGN
        with pytest.raises(ValueError):
            s.map(access="bogus")
        with s.duplicate("r") as d, pytest.raises(PermissionError):
            d.map(access="rw")
    with pytest.raises(mmf.BadNameError):
        mmf.Section.create("a\\b\\c", 4096)
    with pytest.raises(mmf.BadNameError):
        mmf.Section.create("x" * 2641, 4096)
    with pytest.raises(ValueError):
        mmf.Section.create(name, 0)
    with pytest.raises(ValueError):
        mmf.Section.create(name, 4096, mode=0o1000)
    with pytest.raises(TypeError):
        mmf.Section()


def test_closed_handles_refuse(name):
    s = mmf.Section.create(name, 4096)
    s.close()
    s.close()  # twice is fine
    assert s.closed and "closed" in repr(s)
    with pytest.raises(ValueError):
        s.map()


def test_unnamed_reserve_commit_and_stat():
    with mmf.Section.create(None, 1 << 20, reserve=True) as s:
        assert s.name == ""
        s.commit(0, 65536)
        st = s.stat()
        assert st.flags & 0x1 and st.access == 0x3 and not st.file_backed
        with s.map(offset=mmf.allocation_granularity(), size=8192, populate=True) as v:
            vi = v.stat()
            assert (vi.size, vi.offset) == (8192, mmf.allocation_granularity())
            assert v.address == vi.address


def test_view_refuses_close_while_buffers_exist(name):
    with mmf.Section.create(name, 4096) as s:
        v = s.map()
        m = memoryview(v)
        sub = m[10:20]
        m.release()
        with pytest.raises(BufferError):
            v.close()            # the slice still exports the view
        assert not v.closed
        sub.release()
        assert v.exports == 0
        v.close()
        assert v.closed
        with pytest.raises(ValueError):
            v.ndarray("u1")
        with pytest.raises(SystemError):  # no buffer of an unmapped view
            memoryview(v)


def test_view_numpy(name):
    np = pytest.importorskip("numpy")
    with mmf.Section.create(name, 1 << 16) as s, s.map() as v:
        a = v.ndarray(np.float64, (16, 16))
        a[3, 4] = 2.5
        b = np.frombuffer(v, dtype=np.float64)
        assert b[3 * 16 + 4] == 2.5 and b.flags.writeable
        with pytest.raises(BufferError):
            v.close()
        del a, b
        with s.map(access="r") as rv:
            c = rv.ndarray("f8")
            assert not c.flags.writeable and c[52] == 2.5
            del c


def test_view_garbage_collected_unmaps(name):
    with mmf.Section.create(name, 4096) as s:
        v = s.map()
        addr = v.address
        del v
        pygc.collect()
        with pytest.raises(mmf.SystemFailure):  # MMF_EFAULT: unmapped
            mmf._errors.check(
                mmf._lib.lib.mmf_view_unmap(addr))


def test_copy_on_write_view(name):
    with mmf.Section.create(name, 4096) as s, s.map() as w, s.map(access="cow") as c:
        memoryview(c)[0] = 7
        assert bytes(w)[0] == 0 and bytes(c)[0] == 7


def test_file_backed(tmp_path, name):
    path = tmp_path / "data.bin"
    path.write_bytes(b"\0" * 100)
    with mmf.Section.from_file(path, 8192, name=name) as s:
        assert s.stat().file_backed and s.size == 8192
        with s.map() as v:
            memoryview(v)[:4] = b"abcd"
            v.flush()
            v.flush(durable=True)
    assert path.read_bytes()[:4] == b"abcd" and path.stat().st_size == 8192
    with open(path, "rb") as f, mmf.Section.from_file(f, prot="r") as s, s.map(access="r") as v:
        assert bytes(v)[:4] == b"abcd"
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(mmf.InvalidArgumentError):  # MMF_EFILEEMPTY
        mmf.Section.from_file(empty)
    with pytest.raises(FileNotFoundError):
        mmf.Section.from_file(tmp_path / "absent")


def test_send_recv_over_socket(name):
    a, b = socket.socketpair()
    with a, b, mmf.Section.create(None, 4096) as s, s.map() as v:
        memoryview(v)[:3] = b"abc"
        s.send(a, "r")
        with mmf.Section.recv(b) as r, r.map(access="r") as rv:
            assert bytes(rv)[:3] == b"abc" and r.stat().access == 1


def test_export_token(name):
    with mmf.Section.create(name, 4096) as s:
        tok = s.export("r")
        with mmf.Section.import_token(tok) as t:  # in the same process too
            assert t.stat().access == 1
        with pytest.raises(ValueError):
            mmf.Section.export_close("nonsense")


# ---- sync objects -------------------------------------------------------

def test_mutex_recursive_and_owner(name):
    m = mmf.Mutex.create(name)
    try:
        with m:
            with m:
                assert m.stat().recursion == 2
        with pytest.raises(mmf.NotOwnerError):
            m.release()
        assert m.acquire(timeout=0)
        got = []
        t = threading.Thread(target=lambda: got.append(m.acquire(timeout=0.05)))
        t.start()
        t.join()
        assert got == [False]
        m.release()
        assert m.duplicate().stat().name.endswith(name)
    finally:
        m.close()


def test_abandoned_by_thread(name):
    m = mmf.Mutex.create(name)
    t = threading.Thread(target=m.acquire)
    t.start()
    t.join()                      # the owner thread exited holding it
    with pytest.raises(mmf.AbandonedMutexError) as e:
        m.acquire(timeout=10)
    assert e.value.mutex is m and m.stat().owner_tid == threading.get_native_id()
    m.release()                   # this thread owned it
    assert m.acquire(timeout=0)   # clean again
    m.release()
    m.close()


def test_event(name):
    with mmf.Event.create(name, manual_reset=True) as e:
        assert not e.wait(0) and not e.is_set()
        assert e.set() is False and e.set() is True
        assert e.wait(0) and e.wait(0)
        assert e.reset() is True
        assert e.pulse() is False
        with mmf.Event.open(name) as e2:
            assert e2.stat().manual_reset
    with mmf.Event.create(None, initial_state=True) as auto:
        assert auto.wait(0) and not auto.wait(0)


def test_semaphore(name):
    s = mmf.Semaphore.create(name, 1, 2)
    try:
        assert s.acquire(0) and not s.acquire(0)
        assert s.release(2) == 0
        with pytest.raises(mmf.CountOverflowError):
            s.release()
        with s:
            assert s.stat().count == 1
        with pytest.raises(mmf.InvalidArgumentError):
            mmf.Semaphore.create(None, 3, 2)
        with mmf.Semaphore.open(name) as s2:
            assert s2.stat().maximum == 2
    finally:
        s.close()


def test_wait_any_all(name):
    e = mmf.Event.create(None, manual_reset=True)
    s = mmf.Semaphore.create(None, 0, 5)
    m = mmf.Mutex.create(None)
    try:
        assert mmf.wait_any([e, s], timeout=0.01) is None
        s.release()
        assert mmf.wait_any([e, s], timeout=1) == 1
        assert mmf.wait_all([e, m], timeout=0.01) is False
        e.set()
        assert mmf.wait_all([e, m], timeout=1) is True
        m.release()
        with pytest.raises(mmf.InvalidArgumentError):
            mmf.wait_all([e, e])
        with pytest.raises(mmf.InvalidArgumentError):
            mmf.wait_any([])
        t = threading.Thread(target=m.acquire)
        t.start()
        t.join()
        with pytest.raises(mmf.AbandonedMutexError) as err:
            mmf.wait_any([s, m], timeout=5)
        assert err.value.index == 1
        m.release()
    finally:
        for o in (e, s, m):
            o.close()


def test_blocking_call_releases_the_gil(name):
    """While one thread waits in the library, another Python thread runs."""
    ev = mmf.Event.create(None)
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    waiter = threading.Thread(target=lambda: ev.wait(timeout=30))
    waiter.start()
    time.sleep(0.1)
    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.3)
    n = len(ticks)
    ev.set()
    waiter.join()
    stop.set()
    t.join()
    ev.close()
    assert n > 10, "no other thread ran while one waited"


def test_timeouts_are_checked():
    with mmf.Event.create(None) as e:
        with pytest.raises(ValueError):
            e.wait(-1)
        t0 = time.monotonic()
        assert e.wait(0.6) is False   # a wait longer than one slice
        assert time.monotonic() - t0 >= 0.55


# ---- channels -----------------------------------------------------------

def test_ring_copy_zero_copy_batches(name):
    p = mmf.Ring.create(name, 4096, "producer", exist_ok=True)
    c = mmf.Ring.create(name, 1 << 20, "consumer", exist_ok=True)
    try:
        assert c.existed and p.max_message == 4096 - 16
        p.send(b"abc")
        p.send(bytearray(b"def"))
        p.send(memoryview(b"xxghi")[2:])
        assert [c.recv(), c.recv(0), c.recv(1)] == [b"abc", b"def", b"ghi"]
        with p.reserve(5) as buf:
            buf[:] = b"hello"
        res = p.reserve(100)
        with res as buf:
            buf[:2] = b"hi"
            res.length = 2
        with pytest.raises(RuntimeError):
            with p.reserve(8) as buf:
                raise RuntimeError("dropped")
        with c.peek() as m:
            assert bytes(m) == b"hello" and m.readonly
        assert c.recv() == b"hi"
        assert p.send_batch([b"1", b"22", bytearray(b"333")]) == 3
        assert c.recv_batch(10) == [b"1", b"22", b"333"]
        with pytest.raises(BlockingIOError):
            c.recv(timeout=0)
        with pytest.raises(TimeoutError):
            c.recv(timeout=0.05)
        with pytest.raises(mmf.InvalidArgumentError):
            p.send(b"x" * 5000)
        with pytest.raises(mmf.InvalidArgumentError):
            c.send(b"wrong role")
        with pytest.raises(mmf.BusyError):
            mmf.Ring.open(name, "producer")
        st = mmf.channel_stat(name)
        assert st.kind == "ring" and st.producers == 1 and st.consumers == 1
        p.send(b"last")
        p.close()
        assert c.recv() == b"last"
        with pytest.raises(BrokenPipeError):
            c.recv()
    finally:
        p.close()
        c.close()


def test_ring_buffer_outlives_block(name):
    np = pytest.importorskip("numpy")
    p = mmf.Ring.create(name, 4096, "producer")
    c = mmf.Ring.open(name, "consumer")
    p.send(b"\x01" * 16)
    with c.peek() as m:
        a = np.frombuffer(m, dtype=np.uint8)
    with pytest.raises(BufferError):
        c.close()                  # the array still points into the ring
    del a
    c.close()
    p.close()


def test_persistent_ring(tmp_path, name):
    path = tmp_path / "ring.dat"
    with mmf.Ring.create(name, 4096, "producer", path=path) as p:
        p.send(b"kept")
        p.flush()
    with mmf.Ring.create(name, 4096, "consumer", path=path) as c:
        assert c.recv(1) == b"kept"
        assert mmf.channel_stat(name).persistent


def test_queue(name):
    p = mmf.Queue.create(name, 8, 64, "producer")
    c1 = mmf.Queue.open(name, "consumer")
    c2 = mmf.Queue.open(name, "consumer")
    try:
        assert p.slot_size == 64
        for i in range(6):
            p.send(b"m%d" % i)
        got = [c1.recv(), c2.recv()] + c1.recv_batch(2) + c2.recv_batch(10)
        assert sorted(got) == [b"m%d" % i for i in range(6)]
        res = p.reserve()
        with res as buf:
            buf[:3] = b"abc"
            res.length = 3
        with c1.peek() as m:
            assert bytes(m) == b"abc"
        assert p.send_batch([b"x", b"y"]) == 2
        assert c2.recv_batch(5) == [b"x", b"y"]
        # Positions 0-8 were reserved and committed: 8 reused the slot of
        # 0, which the queue no longer knows about; 9 is not reserved yet.
        assert all(p.committed(i) for i in range(1, 9))
        assert c1.committed(8)
        for i in (0, 9):
            with pytest.raises(mmf.InvalidArgumentError):
                p.committed(i)
        with pytest.raises(mmf.InvalidArgumentError):
            p.send(b"z" * 65)
        with pytest.raises(BlockingIOError):
            c1.recv(0)
    finally:
        p.close()
        c1.close()
        c2.close()


def test_queue_redeliver_and_held(name):
    p = mmf.Queue.create(name, 4, 16, "producer")
    c = mmf.Queue.open(name, "consumer", redeliver=True)
    try:
        assert c.held() == (0, None)
        p.send(b"a")
        p.send(b"b")
        assert c.recv() == b"a"
        with c.peek() as m:
            assert bytes(m) == b"b"
            assert c.held() == (1, 1)
        assert c.held() == (0, None)
        with pytest.raises(mmf.InvalidArgumentError):
            p.held()
        with pytest.raises(mmf.InvalidArgumentError):
            mmf.Queue.open(name, "producer", redeliver=True)
    finally:
        p.close()
        c.close()


def test_broadcast_loss(name):
    p = mmf.Broadcast.create(name, 4, 32, "producer")
    r = mmf.Broadcast.open(name, "consumer")
    try:
        assert p.slot_size == 32
        for i in range(10):
            p.send(b"m%d" % i)
        data, lost = r.recv_lost()
        assert (data, lost) == (b"m6", 6) and r.lost == 6
        assert [r.recv() for _ in range(3)] == [b"m7", b"m8", b"m9"]
        with pytest.raises(BlockingIOError):
            r.recv(0)
        p.close()
        with pytest.raises(BrokenPipeError):
            r.recv()
    finally:
        p.close()
        r.close()


def test_channel_blocking_recv_wakes(name):
    p = mmf.Ring.create(name, 4096, "producer")
    c = mmf.Ring.open(name, "consumer")
    got = []
    t = threading.Thread(target=lambda: got.append(c.recv(timeout=30)))
    t.start()
    time.sleep(0.2)
    p.send(b"wake")
    t.join()
    assert got == [b"wake"]
    p.close()
    c.close()
