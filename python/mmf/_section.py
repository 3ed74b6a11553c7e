# SPDX-License-Identifier: MIT
"""Sections (named shared memory) and their views."""
import ctypes
import dataclasses
import os

from . import _lib as L
from ._buffer import Exporter
from ._common import ACCESS, MAP, PROT, Handle, check, check_mode, parse_access
from ._errors import error_class

lib = L.lib


def page_size():
    """The size of a page: the unit of section-size rounding."""
    return lib.mmf_page_size()


def allocation_granularity():
    """View offsets must be multiples of this (the page size on Linux)."""
    return lib.mmf_allocation_granularity()


@dataclasses.dataclass(frozen=True)
class SectionInfo:
    """What Section.stat() reports."""
    size: int
    prot: int
    access: int
    flags: int
    file_backed: bool
    name: str


@dataclasses.dataclass(frozen=True)
class ViewInfo:
    """What View.stat() reports."""
    address: int
    size: int
    offset: int
    map: int


def _opts(flags, mode, prot):
    return L.SectionOpts(flags, check_mode(mode), prot)


class Section(Handle):
    """A handle to a section. Make one with Section.create(),
    Section.open() or Section.from_file(); map views of it with map().

    ``existed`` is True when create found the name and opened it."""

    _close_fn = lib.mmf_section_close
    existed = False

    def __init__(self, _handle=None, _existed=False):
        if _handle is None:
            raise TypeError("use Section.create(), Section.open() or Section.from_file()")
        self._set(_handle)
        self.existed = bool(_existed)

    @classmethod
    def create(cls, name, size, *, exist_ok=False, reserve=False,
               large_pages=False, mode=0o600, global_=False, prot="rw"):
        """Create the pagefile-backed section `name` (None: unnamed) of
        `size` bytes, zero-filled. exist_ok=True opens an existing section
        of that name instead of raising ExistsError (its size wins)."""
        flags = ((L.SECTION_RESERVE if reserve else 0) |
                 (L.SECTION_LARGE_PAGES if large_pages else 0) |
                 (L.GLOBAL if global_ else 0))
        h = ctypes.c_void_p()
        rc = check(lib.mmf_section_create(
            ctypes.byref(h), L.encode_name(name), int(size),
            L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW,
            ctypes.byref(_opts(flags, mode, parse_access(prot, PROT, "prot")))), name)
        return cls(h.value, rc == L.EXISTED)

    @classmethod
    def open(cls, name, access="rw"):
        """Open the existing section `name` with access "r" or "rw"
        ("rx", "rwx" for executable views)."""
        h = ctypes.c_void_p()
        check(lib.mmf_section_open(ctypes.byref(h), L.encode_name(name),
                                   parse_access(access, ACCESS, "access")), name)
        return cls(h.value)

    @classmethod
    def from_file(cls, file, size=0, *, name=None, exist_ok=False, prot="rw",
                  mode=0o600, global_=False):
        """A section backed by a file: a path (opened read-write for
        prot "rw", read-only for "r") or an open file object or descriptor
        (its mode must allow prot). size 0 means the file's size; a larger
        size grows the file."""
        flags = L.GLOBAL if global_ else 0
        opts = _opts(flags, mode, parse_access(prot, PROT, "prot"))
        disp = L.OPEN_OR_CREATE if exist_ok else L.CREATE_NEW
        h = ctypes.c_void_p()
        if isinstance(file, (str, bytes, os.PathLike)):
            rc = lib.mmf_section_create_path(ctypes.byref(h), L.encode_name(name),
                                             os.fsencode(file), int(size), disp,
                                             ctypes.byref(opts))
        else:
            fd = file if isinstance(file, int) else file.fileno()
            rc = lib.mmf_section_create_fd(ctypes.byref(h), L.encode_name(name),
                                           fd, int(size), disp, ctypes.byref(opts))
        check(rc, name or str(file))
        return cls(h.value, rc == L.EXISTED)

    def map(self, offset=0, size=0, access="rw", *, populate=False):
        """Map a view: `size` bytes (0: to the end) from `offset` (a
        multiple of allocation_granularity()), access "r", "rw" or "cow"
        (copy-on-write). Returns a View."""
        m = parse_access(access, MAP, "access")
        addr = ctypes.c_void_p()
        check(lib.mmf_view_map(self._handle(), m, int(offset), int(size),
                               L.VIEW_POPULATE if populate else 0, ctypes.byref(addr)))
        info = L.ViewInfo()
        rc = lib.mmf_view_stat(addr, ctypes.byref(info))
        if rc < 0:
            lib.mmf_view_unmap(addr)
            check(rc)
        return View(addr.value, info.size, info.offset, m)

    def stat(self):
        info = L.SectionInfo()
        check(lib.mmf_section_stat(self._handle(), ctypes.byref(info)))
        return SectionInfo(info.size, info.prot, info.access, info.flags,
                           bool(info.file_backed), L.decode(info.name))

    @property
    def size(self):
        return self.stat().size

    @property
    def name(self):
        return self.stat().name

    def commit(self, offset, length):
        """Commit a range of a section created with reserve=True."""
        check(lib.mmf_section_commit(self._handle(), int(offset), int(length)))

    def duplicate(self, access=None):
        """A second handle to the section, with the same or less access."""
        a = self.stat().access if access is None else parse_access(access, ACCESS, "access")
        h = ctypes.c_void_p()
        check(lib.mmf_section_duplicate(self._handle(), a, ctypes.byref(h)))
        return Section(h.value)

    def export(self, access=None):
        """An inheritable reference, as a token string for a child process
        (which calls Section.import_token()). The child must inherit the
        descriptors: close_fds=False with subprocess. Release
        this process's copy with Section.export_close(token) once the
        child has started."""
        a = self.stat().access if access is None else parse_access(access, ACCESS, "access")
        tok = (ctypes.c_char * L.TOKEN_BYTES)()
        check(lib.mmf_section_export(self._handle(), a, tok))
        return tok.value.decode()

    @staticmethod
    def export_close(token):
        check(lib.mmf_section_export_close(token.encode()))

    @classmethod
    def import_token(cls, token):
        h = ctypes.c_void_p()
        check(lib.mmf_section_import(token.encode(), ctypes.byref(h)))
        return cls(h.value)

    def send(self, sock, access=None):
        """Send a reference over a connected Unix-domain socket (an object
        with fileno() or a descriptor)."""
        a = self.stat().access if access is None else parse_access(access, ACCESS, "access")
        fd = sock if isinstance(sock, int) else sock.fileno()
        check(lib.mmf_section_send(fd, self._handle(), a))

    @classmethod
    def recv(cls, sock):
        """Receive a section sent with send(); blocks as the socket does."""
        fd = sock if isinstance(sock, int) else sock.fileno()
        h = ctypes.c_void_p()
        check(lib.mmf_section_recv(fd, ctypes.byref(h)))
        return cls(h.value)

    def __repr__(self):
        if self.closed:
            return "<mmf.Section closed>"
        i = self.stat()
        return f"<mmf.Section {i.name or '(unnamed)'!r} size={i.size}>"


class View(Exporter):
    """A mapped view of a section. It is a buffer: memoryview(view),
    numpy.frombuffer(view, dtype), bytes(view), view.ndarray(dtype, shape).

    close() (or leaving a with block) unmaps it, and raises BufferError
    while any memoryview or array of it is alive, so that nothing can
    reach unmapped memory. A view not closed is unmapped when it is
    garbage-collected (no buffer of it can exist then)."""

    def __init__(self, addr, size, offset, map_):
        self._init_exports(addr, size, map_ == L.MAP_READ or
                           map_ == (L.MAP_READ | L.MAP_EXEC))
        self.offset = offset
        self._map = map_
        self._mapped = True

    @property
    def closed(self):
        return not self._mapped

    @property
    def address(self):
        """The address of the view's first byte."""
        self._check()
        return self._addr

    @property
    def size(self):
        return self._size

    @property
    def readonly(self):
        return self._readonly

    def __len__(self):
        return self._size

    def _check(self):
        if not self._mapped:
            raise ValueError("the view is closed")

    def ndarray(self, dtype, shape=None, offset=0):
        """A numpy array over the view, without copying: `shape` (an int
        or a tuple; None: as many items as fit) of `dtype` from byte
        `offset`. The array is a buffer of the view: delete it before
        closing the view."""
        import numpy
        self._check()
        dtype = numpy.dtype(dtype)
        if shape is None:
            count = -1
        else:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            count = 1
            for n in shape:
                count *= n
        a = numpy.frombuffer(self, dtype=dtype, count=count, offset=offset)
        return a if shape is None else a.reshape(shape)

    def flush(self, offset=0, size=0, *, durable=False):
        """Write modified pages of a file-backed view to its file: `size`
        bytes (0: to the end) from `offset`. durable=True waits until the
        data is on stable storage. A no-op for pagefile-backed views."""
        self._check()
        if not 0 <= offset < self._size or size < 0:
            raise ValueError("offset or size outside the view")
        fn = lib.mmf_view_flush_durable if durable else lib.mmf_view_flush
        check(fn(self._addr + offset, size))

    def stat(self):
        self._check()
        info = L.ViewInfo()
        check(lib.mmf_view_stat(self._addr, ctypes.byref(info)))
        return ViewInfo(info.base, info.size, info.offset, info.map)

    def close(self):
        """Unmap the view. Raises BufferError while buffers of it exist."""
        if not self._mapped:
            return
        if not self._close_exports():
            raise BufferError(f"cannot close a view while {self._exports} "
                              f"buffer(s) of it (memoryviews, arrays) exist")
        self._mapped = False
        rc = lib.mmf_view_unmap(self._addr)
        if rc < 0:
            raise error_class(rc)(rc, "unmap")

    def __enter__(self):
        self._check()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if self._mapped and self._close_exports():
                self._mapped = False
                lib.mmf_view_unmap(self._addr)
        except Exception:
            pass

    def __repr__(self):
        state = "closed" if not self._mapped else f"size={self._size} offset={self.offset}"
        return f"<mmf.View {state}>"
