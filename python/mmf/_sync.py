# SPDX-License-Identifier: MIT
"""Named mutexes, events and semaphores, and waits on several of them."""
import ctypes
import dataclasses

from . import _lib as L
from ._common import Handle, check, check_mode, wait as _wait
from ._errors import ETIMEDOUT, AbandonedMutexError

lib = L.lib

_TYPES = {2: "mutex", 3: "event", 4: "semaphore"}


@dataclasses.dataclass(frozen=True)
class SyncInfo:
    """What Mutex.stat(), Event.stat() and Semaphore.stat() report: a
    snapshot other threads and processes may change at once."""
    type: str
    name: str
    owner_pid: int
    owner_tid: int
    recursion: int
    abandoned: bool
    manual_reset: bool
    signaled: bool
    count: int
    maximum: int
    waiters: int


def _opts(mode, global_):
    return L.SyncOpts(L.GLOBAL if global_ else 0, check_mode(mode))


class _Sync(Handle):
    _close_fn = lib.mmf_sync_close
    _type = None  # "mutex", "event" or "semaphore" in the classes below
    existed = False

    def __init__(self, _handle=None, _existed=False):
        if _handle is None:
            raise TypeError(f"use {type(self).__name__}.create() or .open()")
        self._set(_handle)
        self.existed = bool(_existed)

    @classmethod
    def _make(cls, fn, name, *args):
        h = ctypes.c_void_p()
        rc = check(fn(ctypes.byref(h), L.encode_name(name), *args), name)
        return cls(h.value, rc == L.EXISTED)

    def stat(self):
        i = L.SyncInfo()
        check(lib.mmf_sync_stat(self._handle(), ctypes.byref(i)))
        return SyncInfo(_TYPES.get(i.type, "unknown"), L.decode(i.name), i.owner_pid,
                        i.owner_tid, i.recursion, bool(i.abandoned),
                        bool(i.manual_reset), bool(i.signaled), i.count,
                        i.maximum, i.waiters)

    @property
    def name(self):
        return self.stat().name

    def duplicate(self):
        """A second handle to the same object."""
        h = ctypes.c_void_p()
        check(lib.mmf_sync_duplicate(self._handle(), ctypes.byref(h)))
        return type(self)(h.value)

    def export(self):
        """An inheritable reference, as a token string for a child process
        (which calls Mutex/Event/Semaphore.import_token()). The child must
        inherit the descriptors: close_fds=False with subprocess. Release
        this process's copy with export_close(token) once the child has
        started."""
        tok = (ctypes.c_char * L.TOKEN_BYTES)()
        check(lib.mmf_sync_export(self._handle(), tok))
        return tok.value.decode()

    @staticmethod
    def export_close(token):
        check(lib.mmf_sync_export_close(token.encode()))

    @classmethod
    def import_token(cls, token):
        """Take the reference a parent exported. Raises TypeError, after
        closing it, when the object is not of this class's type."""
        h = ctypes.c_void_p()
        check(lib.mmf_sync_import(token.encode(), ctypes.byref(h)))
        obj = cls(h.value)
        kind = obj.stat().type
        if cls._type is not None and kind != cls._type:
            obj.close()
            raise TypeError(f"the token's object is of type {kind}, not {cls._type}")
        return obj

    def _wait_one(self, timeout):
        """Wait on this object: True when taken, False on timeout."""
        h = self._handle()
        return self._taken(_wait(lambda ms: lib.mmf_sync_wait(h, ms), timeout))

    def _taken(self, rc):
        """A wait's result: True when taken, False on timeout."""
        if rc == ETIMEDOUT:
            return False
        if rc == L.ABANDONED:
            raise AbandonedMutexError(self)
        check(rc)
        return True

    def __repr__(self):
        if self.closed:
            return f"<mmf.{type(self).__name__} closed>"
        return f"<mmf.{type(self).__name__} {self.name or '(unnamed)'!r}>"


class Mutex(_Sync):
    """A named, recursive, thread-owned mutex that survives its owner's
    death: the next owner is told with AbandonedMutexError, raised after it
    acquired the mutex.

        with mutex:          # waits as long as needed
            ...
    """
    _type = "mutex"

    @classmethod
    def create(cls, name=None, *, initially_owned=False, exist_ok=False,
               mode=0o600, global_=False):
        """Create the mutex `name` (None: unnamed); exist_ok=True opens an
        existing one (then initially_owned is ignored)."""
        return cls._make(lib.mmf_mutex_create, name, 1 if initially_owned else 0,
                         L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW,
                         ctypes.byref(_opts(mode, global_)))

    @classmethod
    def open(cls, name):
        return cls._make(lib.mmf_mutex_open, name)

    def acquire(self, timeout=None):
        """Acquire the mutex for the calling thread, waiting up to
        `timeout` seconds (None: no limit). Returns True, or False when the
        timeout passed. Raises AbandonedMutexError when its previous owner
        died holding it: the thread owns the mutex then, and must release
        it after repairing what it protects."""
        h = self._handle()
        return self._after_try(h, _lock(h, 0), timeout)

    def _after_try(self, h, rc, timeout):
        """The rest of an acquisition whose first try returned rc."""
        if rc == ETIMEDOUT and timeout != 0:
            rc = _wait(lambda ms: _lock(h, ms), timeout)
        return self._taken(rc)

    def release(self):
        """Release one acquisition (NotOwnerError if this thread does not
        own it)."""
        rc = _unlock(self._handle())
        if rc:
            check(rc)

    # The uncontended case costs one library call each way.
    def __enter__(self):
        h = self._h or self._handle()
        rc = _lock(h, 0)
        if rc:
            self._after_try(h, rc, None)
        return self

    def __exit__(self, *exc):
        rc = _unlock(self._h or self._handle())
        if rc:
            check(rc)


_lock = lib.mmf_mutex_lock
_unlock = lib.mmf_mutex_unlock


class Event(_Sync):
    """A named manual- or auto-reset event."""
    _type = "event"

    @classmethod
    def create(cls, name=None, *, manual_reset=False, initial_state=False,
               exist_ok=False, mode=0o600, global_=False):
        return cls._make(lib.mmf_event_create, name, 1 if manual_reset else 0,
                         1 if initial_state else 0,
                         L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW,
                         ctypes.byref(_opts(mode, global_)))

    @classmethod
    def open(cls, name):
        return cls._make(lib.mmf_event_open, name)

    def set(self):
        """Signal the event. Returns its previous state (True: signaled)."""
        return bool(check(lib.mmf_event_set(self._handle())))

    def reset(self):
        """Make it nonsignaled. Returns its previous state."""
        return bool(check(lib.mmf_event_reset(self._handle())))

    def pulse(self):
        """Release the threads waiting now, then leave it nonsignaled.
        Returns its previous state. A waiter between two slices of a long
        wait (see wait()) may miss a pulse: prefer set and reset."""
        return bool(check(lib.mmf_event_pulse(self._handle())))

    def wait(self, timeout=None):
        """Wait until signaled, up to `timeout` seconds (None: no limit);
        an auto-reset event is reset by the wait that takes it. Returns
        True, or False when the timeout passed."""
        return self._wait_one(timeout)

    def is_set(self):
        return self.stat().signaled


class Semaphore(_Sync):
    """A named counting semaphore with a maximum."""
    _type = "semaphore"

    @classmethod
    def create(cls, name=None, initial=0, maximum=1, *, exist_ok=False,
               mode=0o600, global_=False):
        return cls._make(lib.mmf_semaphore_create, name, int(initial), int(maximum),
                         L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW,
                         ctypes.byref(_opts(mode, global_)))

    @classmethod
    def open(cls, name):
        return cls._make(lib.mmf_semaphore_open, name)

    def acquire(self, timeout=None):
        """Take one from the count, waiting up to `timeout` seconds for it
        to be above 0. Returns True, or False when the timeout passed."""
        return self._wait_one(timeout)

    def release(self, count=1):
        """Add `count`. Returns the count before. CountOverflowError if it
        would exceed the maximum (nothing changes)."""
        prev = ctypes.c_long()
        check(lib.mmf_semaphore_release(self._handle(), int(count), ctypes.byref(prev)))
        return prev.value

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def _wait_many(fn, objects, timeout):
    """fn(array, n, ms) on the handles of `objects`: its result, or None
    when the timeout passed; an abandoned mutex raises."""
    objs = list(objects)
    arr = (ctypes.c_void_p * max(1, len(objs)))(*[o._handle() for o in objs])
    rc = _wait(lambda ms: fn(arr, len(objs), ms), timeout)
    if rc == ETIMEDOUT:
        return None
    check(rc)
    if rc >= L.ABANDONED:
        raise AbandonedMutexError(objs[rc - L.ABANDONED], rc - L.ABANDONED)
    return rc


def wait_any(objects, timeout=None):
    """Wait until one of `objects` (mutexes, events, semaphores; at most
    64) is signaled and take the one with the lowest index. Returns its
    index, or None when the timeout passed. An abandoned mutex raises
    AbandonedMutexError with .index (the thread owns it)."""
    return _wait_many(lib.mmf_sync_wait_any, objects, timeout)


def wait_all(objects, timeout=None):
    """Wait until all `objects` are signaled at once and take them all.
    Returns True, or False when the timeout passed. An abandoned mutex
    among them raises AbandonedMutexError with the lowest such .index (the
    thread owns every object)."""
    return _wait_many(lib.mmf_sync_wait_all, objects, timeout) is not None


__all__ = ["Mutex", "Event", "Semaphore", "SyncInfo", "wait_any", "wait_all"]
