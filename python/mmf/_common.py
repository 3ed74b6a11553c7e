# SPDX-License-Identifier: MIT
"""What the object kinds share: timeouts, option parsing, handle guards."""
import ctypes
import math
import time

from . import _lib as L
from ._errors import ETIMEDOUT, check

# A wait with no timeout, or a long one, is made of slices of this many
# milliseconds, so that the main thread sees signals (Ctrl-C raises
# KeyboardInterrupt) between them. Waiting again after a slice times out
# takes nothing and loses nothing.
SLICE_MS = 250


def timeout_ms(timeout):
    """Seconds (float, None for no limit) to the library's milliseconds."""
    if timeout is None:
        return L.INFINITE
    if timeout < 0:
        raise ValueError("timeout must be None or >= 0 seconds")
    ms = math.ceil(timeout * 1000)
    if ms > L.TIMEOUT_MAX:
        raise ValueError(f"timeout above {L.TIMEOUT_MAX / 1000:.0f} seconds")
    return ms


def wait(call, timeout):
    """Run call(ms), a library call that waits, for up to `timeout` seconds
    in slices; return its last result (ETIMEDOUT when the time is up)."""
    ms = timeout_ms(timeout)
    if ms != L.INFINITE and ms <= SLICE_MS:
        return call(ms)
    deadline = None if ms == L.INFINITE else time.monotonic() + ms / 1000
    while True:
        if deadline is None:
            rc = call(SLICE_MS)
        else:
            left = math.ceil((deadline - time.monotonic()) * 1000)
            rc = call(max(0, min(SLICE_MS, left)))
            if rc == ETIMEDOUT and left <= SLICE_MS:
                return rc
        if rc != ETIMEDOUT:
            return rc


def parse_access(access, table, what):
    try:
        return table[access]
    except (KeyError, TypeError):
        raise ValueError(f"{what} must be one of {', '.join(map(repr, table))}, "
                         f"not {access!r}") from None


ACCESS = {"r": L.ACCESS_READ, "rw": L.ACCESS_READ | L.ACCESS_WRITE,
          "rx": L.ACCESS_READ | L.ACCESS_EXEC,
          "rwx": L.ACCESS_READ | L.ACCESS_WRITE | L.ACCESS_EXEC}
PROT = {"r": L.PROT_READ, "rw": L.PROT_READ | L.PROT_WRITE,
        "rx": L.PROT_READ | L.PROT_EXEC,
        "rwx": L.PROT_READ | L.PROT_WRITE | L.PROT_EXEC}
MAP = {"r": L.MAP_READ, "rw": L.MAP_WRITE, "cow": L.MAP_COPY,
       "rx": L.MAP_READ | L.MAP_EXEC, "rwx": L.MAP_WRITE | L.MAP_EXEC,
       "cowx": L.MAP_COPY | L.MAP_EXEC}
ROLES = {"producer": L.ROLE_PRODUCER, "consumer": L.ROLE_CONSUMER}


def check_mode(mode):
    if not isinstance(mode, int) or not 0 <= mode <= 0o777:
        raise ValueError(f"mode must be permission bits 0..0o777, not {mode!r}")
    return mode


class Handle:
    """A handle of this process: closed by close(), by leaving a with
    block, or, if neither happened, when the object is garbage-collected.
    Closing a handle only ever releases this process's reference; the name
    goes when the last handle in the whole system is closed."""

    _h = None
    _close_fn = None

    def _set(self, handle):
        # A c_void_p passes to the library without a conversion per call.
        self._h = ctypes.c_void_p(handle)

    @property
    def closed(self):
        return self._h is None

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return h

    def close(self):
        """Close this process's handle (a no-op when closed already)."""
        h, self._h = self._h, None
        if h is not None:
            check(type(self)._close_fn(h))

    def __enter__(self):
        self._handle()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
