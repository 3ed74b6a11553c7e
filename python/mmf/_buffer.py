# SPDX-License-Identifier: MIT
"""Exporter: a base class whose instances export a range of memory
through the buffer protocol, count their exports, and refuse to be closed
while any export lives.

Python 3.11 has no way to give a class written in Python a buffer of its
own (``__buffer__`` arrived in 3.12), so the type is made with the stable
C API, PyType_FromSpec, and its two buffer slots are ctypes callbacks.
They run with the GIL held (ctypes takes it for every callback).

A subclass sets ``_addr``, ``_size`` and ``_readonly`` and calls
``_init_exports()``; ``_close_exports()`` says whether it may unmap.
Every memoryview, numpy array or other consumer of the buffer counts as
an export until it is released; memoryviews and arrays derived from one
share its export. So a mapping is never unmapped while Python code can
still reach it.

A callback cannot raise a Python exception into its caller: a refused
export (a closed object, or a writable buffer of a read-only one) makes
the consumer fail with SystemError "returned NULL without setting an
exception". The subclasses' own methods raise clear errors first.
"""
import ctypes
import threading

_api = ctypes.pythonapi


class _Slot(ctypes.Structure):
    _fields_ = [("slot", ctypes.c_int), ("pfunc", ctypes.c_void_p)]


class _Spec(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("basicsize", ctypes.c_int),
                ("itemsize", ctypes.c_int), ("flags", ctypes.c_uint),
                ("slots", ctypes.POINTER(_Slot))]


# From Python's typeslots.h and object.h (stable ABI values).
_Py_bf_getbuffer = 1
_Py_bf_releasebuffer = 2
_Py_TPFLAGS_BASETYPE = 1 << 10
_PyBUF_WRITABLE = 0x0001

_fill = _api.PyBuffer_FillInfo
_fill.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p,
                  ctypes.c_ssize_t, ctypes.c_int, ctypes.c_int]
_fill.restype = ctypes.c_int


def _getbuffer(obj, view, flags):
    try:
        with obj._export_lock:
            if obj._export_closed:
                return -1
            if obj._readonly and flags & _PyBUF_WRITABLE:
                return -1
            _fill(view, obj, obj._addr, obj._size, 1 if obj._readonly else 0, flags)
            obj._exports += 1
        return 0
    except BaseException:  # never let an exception escape a C callback
        return -1


def _releasebuffer(obj, view):
    try:
        with obj._export_lock:
            obj._exports -= 1
    except BaseException:
        pass


_GETBUF = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_void_p, ctypes.c_int)
_RELBUF = ctypes.CFUNCTYPE(None, ctypes.py_object, ctypes.c_void_p)
# Kept for the life of the module: the type points at them.
_getbuffer_c = _GETBUF(_getbuffer)
_releasebuffer_c = _RELBUF(_releasebuffer)
_slots = (_Slot * 3)((_Py_bf_getbuffer, ctypes.cast(_getbuffer_c, ctypes.c_void_p)),
                     (_Py_bf_releasebuffer, ctypes.cast(_releasebuffer_c, ctypes.c_void_p)),
                     (0, None))
_spec = _Spec(b"mmf._Exporter", 0, 0, _Py_TPFLAGS_BASETYPE, _slots)
_api.PyType_FromSpec.argtypes = [ctypes.POINTER(_Spec)]
_api.PyType_FromSpec.restype = ctypes.py_object
_Base = _api.PyType_FromSpec(ctypes.byref(_spec))


class Exporter(_Base):
    """Memory exported through the buffer protocol, with counted exports."""

    _export_closed = True  # until _init_exports()
    _exports = 0
    _export_lock = threading.Lock()
    _addr = None
    _size = 0
    _readonly = True

    def _init_exports(self, addr, size, readonly):
        self._export_lock = threading.Lock()
        self._addr = addr
        self._size = size
        self._readonly = readonly
        self._exports = 0
        self._export_closed = False

    @property
    def exports(self):
        """How many buffers (memoryviews, numpy arrays, ...) of this object
        are alive now."""
        return self._exports

    def _close_exports(self):
        """Refuse new exports and return True if none is alive; else leave
        everything as it was and return False."""
        with self._export_lock:
            if self._exports:
                return False
            self._export_closed = True
            return True
