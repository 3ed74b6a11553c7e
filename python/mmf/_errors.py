# SPDX-License-Identifier: MIT
"""mmf.Error and its subclasses: one per MMF_E* code that has a built-in
Python exception to stand beside."""
import errno as _errno

from ._lib import lib


class Error(Exception):
    """An mmf call failed. ``code`` is the negative MMF_E* value, ``name``
    its symbolic name (e.g. "MMF_ENOENT"), ``strerror`` its description."""

    __module__ = "mmf"

    def __init__(self, code, message=None):
        self.code = code
        self.name = err_name(code)
        text = strerror(code)
        if message:
            text = f"{message}: {text}"
        errnum = -code if 0 < -code < 4000 else None
        full = f"{text} ({self.name})"
        if isinstance(self, OSError) and errnum is not None:
            # OSError(errno, strerror) fills .errno and .strerror.
            OSError.__init__(self, errnum, full)
        else:
            Exception.__init__(self, full)
            self.strerror = full


def _make(name, base, doc):
    cls = type(name, (Error, base), {"__doc__": doc, "__module__": "mmf"})
    # OSError's __init__ would reinterpret our arguments; Error.__init__
    # does its work, and __new__ must accept them too.
    cls.__init__ = Error.__init__
    return cls


NotFoundError = _make("NotFoundError", FileNotFoundError,
                      "No such object or file (MMF_ENOENT).")
ExistsError = _make("ExistsError", FileExistsError,
                    "The name exists (MMF_EEXIST).")
AccessError = _make("AccessError", PermissionError,
                    "Access denied (MMF_EACCES).")
WaitTimeoutError = _make("WaitTimeoutError", TimeoutError,
                         "The timeout passed (MMF_ETIMEDOUT).")
WouldBlockError = _make("WouldBlockError", BlockingIOError,
                        "Timeout 0 and the call would wait (MMF_EAGAIN).")
PeerGoneError = _make("PeerGoneError", BrokenPipeError,
                      "The channel's peer is gone (MMF_EPIPE).")
InvalidArgumentError = _make("InvalidArgumentError", ValueError,
                             "An argument is invalid (MMF_EINVAL, MMF_EALIGN, "
                             "MMF_ERANGE, MMF_EFILEEMPTY).")
BadNameError = _make("BadNameError", ValueError,
                     "The name is invalid or too long (MMF_EBADNAME, "
                     "MMF_ENAMETOOLONG).")
TypeMismatchError = _make("TypeMismatchError", OSError,
                          "The name belongs to another type of object (MMF_ETYPE).")
CorruptError = _make("CorruptError", OSError,
                     "Shared state is damaged (MMF_ECORRUPT).")
BusyError = _make("BusyError", OSError, "Resource busy (MMF_EBUSY).")
NotOwnerError = _make("NotOwnerError", RuntimeError,
                      "The calling thread does not own the mutex (MMF_ENOTOWNER).")
CountOverflowError = _make("CountOverflowError", OverflowError,
                           "A count would exceed its maximum (MMF_EOVERFLOW).")
SystemFailure = _make("SystemFailure", OSError,
                      "Any other failure of the system (MMF_EIO, MMF_ENOMEM, "
                      "MMF_ENOSPC, MMF_EMFILE, MMF_EBADF, MMF_ENOTSUP, ...).")


class AbandonedMutexError(Error):
    """The mutex was acquired, but its previous owner died holding it: what
    it protects may be inconsistent. The calling thread OWNS the mutex when
    this is raised: repair the data, then release it. ``index`` is the
    object's index for wait_any() and wait_all(), else None."""

    __module__ = "mmf"

    def __init__(self, mutex=None, index=None):
        self.mutex = mutex
        self.index = index
        self.code = 0x80  # MMF_ABANDONED, a success status
        self.name = "MMF_ABANDONED"
        self.strerror = strerror(0x80)
        where = "" if index is None else f" (object {index})"
        Exception.__init__(self, f"mutex acquired, but abandoned by its "
                           f"previous owner{where}; this thread owns it")


def strerror(code):
    """The description of an MMF_E* code or status."""
    return lib.mmf_strerror(code).decode()


def err_name(code):
    """The symbolic name of an MMF_E* code or status, e.g. "MMF_ENOENT"."""
    return lib.mmf_err_name(code).decode()


# Every code the library knows, by name: mmf's own codes lie from -4001 to
# -4099, the errno ones are small negative numbers.
CODES = {}
for _c in range(-4099, 2):
    _n = err_name(_c)
    if _n != "MMF_UNKNOWN":
        CODES[_n] = _c

_BY_NAME = {
    "MMF_ENOENT": NotFoundError, "MMF_EEXIST": ExistsError,
    "MMF_EACCES": AccessError, "MMF_ETIMEDOUT": WaitTimeoutError,
    "MMF_EAGAIN": WouldBlockError, "MMF_EPIPE": PeerGoneError,
    "MMF_EINVAL": InvalidArgumentError, "MMF_EALIGN": InvalidArgumentError,
    "MMF_ERANGE": InvalidArgumentError, "MMF_EFILEEMPTY": InvalidArgumentError,
    "MMF_EBADNAME": BadNameError, "MMF_ENAMETOOLONG": BadNameError,
    "MMF_ETYPE": TypeMismatchError, "MMF_ECORRUPT": CorruptError,
    "MMF_EBUSY": BusyError, "MMF_ENOTOWNER": NotOwnerError,
    "MMF_EOVERFLOW": CountOverflowError,
}
_BY_CODE = {CODES[n]: cls for n, cls in _BY_NAME.items() if n in CODES}

# The codes the wrappers test for.
ENOENT, EAGAIN, ETIMEDOUT, EOVERFLOW = (
    -_errno.ENOENT, -_errno.EAGAIN, -_errno.ETIMEDOUT, -_errno.EOVERFLOW)


def error_class(code):
    """The exception class raised for an MMF_E* code."""
    return _BY_CODE.get(code, SystemFailure)


def check(rc, what=None):
    """Return rc when it is a success (>= 0), raise its exception otherwise."""
    if rc < 0:
        raise error_class(rc)(rc, what)
    return rc
