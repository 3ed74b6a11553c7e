# SPDX-License-Identifier: MIT
"""Channels: Ring (one producer, one consumer), Queue (many producers,
many consumers) and Broadcast (one producer, many readers)."""
import ctypes

from . import _lib as L
from ._buffer import Exporter
from ._common import ROLES, SLICE_MS, Handle, check, check_mode, parse_access, wait as _wait
from ._errors import EOVERFLOW, ETIMEDOUT, check as _check

lib = L.lib

# The copying Ring.recv() receives into a buffer of this size; a longer
# message is copied from its place in the ring instead.
_RING_RECV_BUF = 65536


def _opts(busy_poll, mode, global_, path=None, redeliver=False):
    return L.ChannelOpts((L.CHANNEL_BUSY_POLL if busy_poll else 0) |
                         (L.CHANNEL_REDELIVER if redeliver else 0) |
                         (L.GLOBAL if global_ else 0), check_mode(mode),
                         None if path is None else L.encode_name(str(path)))


def _source(data):
    """A bytes-like object as (address, length, keep-alive)."""
    mv = memoryview(data)
    if not mv.contiguous:
        raise ValueError("a message must be a contiguous buffer")
    n = mv.nbytes
    if mv.readonly:
        buf = mv.tobytes() if not isinstance(data, bytes) else data
        return ctypes.cast(ctypes.c_char_p(buf), ctypes.c_void_p), n, buf
    arr = (ctypes.c_char * n).from_buffer(mv) if n else None
    return (ctypes.addressof(arr) if arr is not None else None), n, (arr, mv)


class MessageBuffer(Exporter):
    """A message in the channel's memory, as a buffer. The memoryview the
    with block gives is released on exit; a numpy array made from it keeps
    its export, and the endpoint then refuses to close until it is gone."""

    def __init__(self, addr, size, readonly):
        self._init_exports(addr, size, readonly)


class _Zero:
    """The context manager of reserve() and peek(): a memoryview of the
    message in place; on exit, commit (or release) it."""

    def __init__(self, endpoint, bufs, finish, abort):
        self._ep = endpoint
        self._bufs = bufs
        self._finish = finish
        self._abort = abort
        self._views = None
        self.length = None  # reserve: commit only this many bytes

    def __enter__(self):
        self._views = [memoryview(b) for b in self._bufs]
        return self._views if self._ep._batch_ctx else self._views[0]

    def __exit__(self, exc_type, exc, tb):
        for v in self._views:
            v.release()
        for b in self._bufs:
            if not b._close_exports():  # an array still uses it
                self._ep._kept.append(b)
        if exc_type is None:
            self._finish(self)
        else:
            self._abort(self)


class _Endpoint(Handle):
    existed = False
    _batch_ctx = False

    def __init__(self, _handle=None, _existed=False, _role=None):
        if _handle is None:
            raise TypeError(f"use {type(self).__name__}.create() or .open()")
        self._set(_handle)
        self.existed = bool(_existed)
        self.role = _role
        self._kept = []  # message buffers still exported after their block
        self._msg = L.Msg()
        self._rbuf = None  # the receive buffer of the copying recv

    @classmethod
    def _attach(cls, fn, name, role, args):
        r = parse_access(role, ROLES, "role")
        h = ctypes.c_void_p()
        rc = check(fn(ctypes.byref(h), L.encode_name(name), *args(r)), name)
        return cls(h.value, rc == L.EXISTED, role)

    def close(self):
        """Detach this endpoint. Raises BufferError while an array or
        memoryview of one of its messages is alive."""
        self._kept = [b for b in self._kept if b._exports]
        if self._kept:
            raise BufferError("cannot close a channel endpoint while buffers "
                              "of its messages exist")
        super().close()

    def __del__(self):
        if not [b for b in self._kept if b._exports]:
            super().__del__()

    def _zero(self, bufs, finish, abort):
        return _Zero(self, bufs, finish, abort)

    def _recv_copy(self, peek, release, timeout):
        h = self._handle()
        m = self._msg
        check(_wait(lambda ms: peek(h, ctypes.byref(m), ms), timeout))
        data = ctypes.string_at(m.data, m.len)
        release(h)
        return data

    # The copying calls, with the common case (no timeout, no wait
    # needed) in one library call: the slices of _wait start only when the
    # first slice times out.
    def _send_fast(self, fn, data, timeout):
        h = self._h or self._handle()
        if type(data) is bytes:
            src, n = data, len(data)
        else:
            src, n, keep = _source(data)  # noqa: F841 (keeps src alive)
        if timeout is None:
            rc = fn(h, src, n, SLICE_MS)
            if rc == ETIMEDOUT:
                rc = _wait(lambda ms: fn(h, src, n, ms), None)
        else:
            rc = _wait(lambda ms: fn(h, src, n, ms), timeout)
        if rc:
            check(rc)

    def _recv_fast(self, fn, cap, timeout):
        """fn(h, buf, cap, &len, ms) into a buffer of this endpoint; None
        when the message is longer than cap (MMF_EOVERFLOW)."""
        h = self._h or self._handle()
        if self._rbuf is None:
            self._rbuf = ctypes.create_string_buffer(cap)
            self._rlen = ctypes.c_size_t()
            self._rref = ctypes.byref(self._rlen)
        buf, ref = self._rbuf, self._rref
        if timeout is None:
            rc = fn(h, buf, cap, ref, SLICE_MS)
            if rc == ETIMEDOUT:
                rc = _wait(lambda ms: fn(h, buf, cap, ref, ms), None)
        else:
            rc = _wait(lambda ms: fn(h, buf, cap, ref, ms), timeout)
        if rc == 0:
            return ctypes.string_at(buf, self._rlen.value)
        if rc == EOVERFLOW:
            return None
        check(rc)

    def __repr__(self):
        state = "closed" if self.closed else self.role
        return f"<mmf.{type(self).__name__} {state}>"


class Ring(_Endpoint):
    """One producer, one consumer, variable-length messages in order."""

    _close_fn = lib.mmf_ring_close

    @classmethod
    def create(cls, name, capacity, role, *, exist_ok=False, busy_poll=False,
               mode=0o600, global_=False, path=None):
        """Create the ring `name` with `capacity` bytes of data (a power of
        two from 4096) and attach as `role` ("producer" or "consumer").
        exist_ok=True attaches to an existing ring (its capacity wins): use
        it on both sides so that either may start first. path=...: the
        ring lives in that file and survives every process."""
        o = _opts(busy_poll, mode, global_, path)
        return cls._attach(lib.mmf_ring_create, name, role, lambda r: (
            int(capacity), r, L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW,
            ctypes.byref(o)))

    @classmethod
    def open(cls, name, role, *, busy_poll=False):
        o = _opts(busy_poll, 0, False)
        return cls._attach(lib.mmf_ring_open, name, role,
                           lambda r: (r, ctypes.byref(o)))

    @property
    def max_message(self):
        return lib.mmf_ring_max_message(self._handle())

    def send(self, data, timeout=None):
        """Copy a bytes-like message into the ring, waiting for room."""
        self._send_fast(lib.mmf_ring_send, data, timeout)

    def recv(self, timeout=None):
        """The next message, as bytes. PeerGoneError (a BrokenPipeError)
        once the producer is gone and every message was received."""
        data = self._recv_fast(lib.mmf_ring_recv, _RING_RECV_BUF, timeout)
        if data is None:  # longer than the buffer: copy it from its place
            data = self._recv_copy(lib.mmf_ring_peek,
                                   lambda h: _check(lib.mmf_ring_release(h, 1)), timeout)
        return data

    def reserve(self, size, timeout=None):
        """``with ring.reserve(n) as buf:`` a writable memoryview of n
        bytes in the ring; leaving the block commits it (set
        ``ctx.length`` on the context object to commit fewer bytes), an
        exception drops it."""
        h = self._handle()
        p = ctypes.c_void_p()
        check(_wait(lambda ms: lib.mmf_ring_reserve(h, int(size), ctypes.byref(p), ms),
                    timeout))
        return self._zero([MessageBuffer(p.value, int(size), False)],
                          lambda z: check(lib.mmf_ring_commit(
                              h, int(size) if z.length is None else z.length)),
                          lambda z: check(lib.mmf_ring_commit_batch(h, 0)))

    def peek(self, timeout=None):
        """``with ring.peek() as buf:`` a read-only memoryview of the next
        message in place; leaving the block releases it."""
        h = self._handle()
        m = L.Msg()
        check(_wait(lambda ms: lib.mmf_ring_peek(h, ctypes.byref(m), ms), timeout))
        release = lambda z: check(lib.mmf_ring_release(h, 1))
        return self._zero([MessageBuffer(m.data, m.len, True)], release, release)

    def send_batch(self, messages, timeout=None):
        """Send several messages with one update of the shared position:
        waits for room for the first, sends as many as fit, returns how
        many were sent."""
        h = self._handle()
        msgs = [memoryview(x).cast("B") for x in messages]
        arr = (L.Msg * len(msgs))()
        for i, x in enumerate(msgs):
            arr[i].len = x.nbytes
        k = check(_wait(lambda ms: lib.mmf_ring_reserve_batch(h, arr, len(msgs), ms),
                        timeout))
        for i in range(k):
            ctypes.memmove(arr[i].data, bytes(msgs[i]) if msgs[i].readonly else
                           (ctypes.c_char * msgs[i].nbytes).from_buffer(msgs[i]),
                           msgs[i].nbytes)
        check(lib.mmf_ring_commit_batch(h, k))
        return k

    def recv_batch(self, max_messages, timeout=None):
        """Up to `max_messages` messages as a list of bytes (at least one,
        waiting for it), given back with one update."""
        h = self._handle()
        arr = (L.Msg * int(max_messages))()
        k = check(_wait(lambda ms: lib.mmf_ring_peek_batch(h, arr, len(arr), ms),
                        timeout))
        out = [ctypes.string_at(arr[i].data, arr[i].len) for i in range(k)]
        check(lib.mmf_ring_release(h, k))
        return out

    def flush(self):
        """Make a persistent ring's state durable (a no-op in memory)."""
        check(lib.mmf_ring_flush(self._handle()))


class Queue(_Endpoint):
    """Many producers, many consumers, fixed-size slots; each message goes
    to exactly one consumer."""

    _close_fn = lib.mmf_queue_close

    @classmethod
    def create(cls, name, slots, slot_size, role, *, exist_ok=False,
               busy_poll=False, mode=0o600, global_=False, redeliver=False):
        """Create the queue `name` of `slots` slots (a power of two) of
        `slot_size` bytes and attach as `role`. redeliver (consumers):
        what this endpoint holds when its process dies goes to another
        consumer (MMF_CHANNEL_REDELIVER in mmf.h)."""
        o = _opts(busy_poll, mode, global_, redeliver=redeliver)
        return cls._attach(lib.mmf_queue_create, name, role, lambda r: (
            int(slots), int(slot_size), r,
            L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW, ctypes.byref(o)))

    @classmethod
    def open(cls, name, role, *, busy_poll=False, redeliver=False):
        o = _opts(busy_poll, 0, False, redeliver=redeliver)
        return cls._attach(lib.mmf_queue_open, name, role,
                           lambda r: (r, ctypes.byref(o)))

    @property
    def slot_size(self):
        return lib.mmf_queue_slot_size(self._handle())

    def send(self, data, timeout=None):
        """Copy a bytes-like message (1 to slot_size bytes) into a slot,
        waiting for room."""
        self._send_fast(lib.mmf_queue_send, data, timeout)

    def recv(self, timeout=None):
        """The next message, as bytes (each goes to one consumer)."""
        return self._recv_fast(lib.mmf_queue_recv, self.slot_size, timeout)

    def committed(self, position):
        """Whether the message at `position` (slots reserved in the
        queue's life, from 0) was committed, asked afterwards (see
        mmf_queue_committed in mmf.h): True or False. Raises
        InvalidArgumentError (MMF_ERANGE) when the position is not reserved
        yet or its slot was reserved again since."""
        return check(lib.mmf_queue_committed(self._handle(), int(position))) == 1

    def held(self):
        """Consumer: (count, position) of the messages this endpoint holds
        (peeked, not released; consecutive positions from `position`), or
        (0, None)."""
        pos = ctypes.c_uint64()
        n = check(lib.mmf_queue_held(self._handle(), ctypes.byref(pos)))
        return (n, pos.value if n > 0 else None)

    def reserve(self, timeout=None):
        """``with queue.reserve() as buf:`` a writable memoryview of one
        slot; leaving the block commits ``ctx.length`` bytes (default the
        whole slot), an exception drops it."""
        h = self._handle()
        p = ctypes.c_void_p()
        check(_wait(lambda ms: lib.mmf_queue_reserve(h, ctypes.byref(p), ms), timeout))
        size = lib.mmf_queue_slot_size(h)
        return self._zero([MessageBuffer(p.value, size, False)],
                          lambda z: check(lib.mmf_queue_commit(
                              h, size if z.length is None else z.length)),
                          lambda z: check(lib.mmf_queue_commit_batch(h, 0)))

    def peek(self, timeout=None):
        h = self._handle()
        m = L.Msg()
        check(_wait(lambda ms: lib.mmf_queue_peek(h, ctypes.byref(m), ms), timeout))
        release = lambda z: check(lib.mmf_queue_release(h))
        return self._zero([MessageBuffer(m.data, m.len, True)], release, release)

    def send_batch(self, messages, timeout=None):
        h = self._handle()
        msgs = [bytes(memoryview(x).cast("B")) for x in messages]
        arr = (L.Msg * len(msgs))()
        for i, x in enumerate(msgs):
            arr[i].len = len(x)
        k = check(_wait(lambda ms: lib.mmf_queue_reserve_batch(h, arr, len(msgs), ms),
                        timeout))
        for i in range(k):
            ctypes.memmove(arr[i].data, msgs[i], len(msgs[i]))
        check(lib.mmf_queue_commit_batch(h, k))
        return k

    def recv_batch(self, max_messages, timeout=None):
        h = self._handle()
        arr = (L.Msg * int(max_messages))()
        k = check(_wait(lambda ms: lib.mmf_queue_peek_batch(h, arr, len(arr), ms),
                        timeout))
        out = [ctypes.string_at(arr[i].data, arr[i].len) for i in range(k)]
        check(lib.mmf_queue_release_batch(h, k))
        return out


class Broadcast(_Endpoint):
    """One producer, many readers each at its own pace; the producer never
    waits, and a reader that falls behind is told how many it lost."""

    _close_fn = lib.mmf_bcast_close

    @classmethod
    def create(cls, name, slots, slot_size, role, *, exist_ok=False,
               busy_poll=False, mode=0o600, global_=False):
        o = _opts(busy_poll, mode, global_)
        return cls._attach(lib.mmf_bcast_create, name, role, lambda r: (
            int(slots), int(slot_size), r,
            L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW, ctypes.byref(o)))

    @classmethod
    def open(cls, name, role, *, busy_poll=False):
        o = _opts(busy_poll, 0, False)
        return cls._attach(lib.mmf_bcast_open, name, role,
                           lambda r: (r, ctypes.byref(o)))

    lost = 0  # messages this reader lost in all

    @property
    def slot_size(self):
        return lib.mmf_bcast_slot_size(self._handle())

    def send(self, data):
        """Publish a copy; never waits (overwrites the oldest message)."""
        h = self._handle()
        addr, n, keep = _source(data)
        check(lib.mmf_bcast_send(h, addr, n))

    def recv_lost(self, timeout=None):
        """The next message and how many this reader lost just before it,
        as (bytes, lost)."""
        h = self._handle()
        if getattr(self, "_rbuf", None) is None:
            self._rbuf = ctypes.create_string_buffer(max(1, lib.mmf_bcast_slot_size(h)))
        buf, n, lost = self._rbuf, ctypes.c_size_t(), ctypes.c_uint64()
        while True:
            rc = _wait(lambda ms: lib.mmf_bcast_recv(h, buf, len(buf), ctypes.byref(n),
                                                     ctypes.byref(lost), ms), timeout)
            self.lost += lost.value
            if rc != EOVERFLOW:  # a longer message than the slot size cannot be
                break            # (the slot size bounds it); skip if it happens
        check(rc)
        return buf.raw[:n.value], lost.value

    def recv(self, timeout=None):
        """The next message, as bytes (see ``lost`` for what was lost)."""
        return self.recv_lost(timeout)[0]
