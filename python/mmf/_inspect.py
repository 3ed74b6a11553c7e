# SPDX-License-Identifier: MIT
"""Inspection: what is in the store, who holds it (the `mmf` tool's view
as an API). These calls take no handle: they never keep anything alive."""
import ctypes
import dataclasses

from . import _lib as L
from ._errors import check

lib = L.lib


def _u(v):
    """MMF_UNKNOWN as None."""
    return None if v == L.UNKNOWN else v


@dataclasses.dataclass(frozen=True)
class ObjectInfo:
    """One named object of the store (mmf_object_info). Counts the call
    did not measure, or could not, are None."""
    name: str
    type: str
    stale: bool
    corrupt: bool
    readable: bool
    file_backed: bool
    version: int
    size: int
    prot: int
    flags: int
    uid: int
    gid: int
    mode: int
    creator_pid: int
    create_ns: int
    allocated: int
    handles: int
    processes: int
    mappers: int
    hidden: int
    resident: int
    dirty: int
    file: str
    store_file: str

    @classmethod
    def _from(cls, i):
        return cls(L.decode(i.name), lib.mmf_type_name(i.type).decode(), bool(i.stale),
                   bool(i.corrupt), bool(i.readable), bool(i.file_backed), i.version,
                   i.size, i.prot, i.flags, i.uid, i.gid, i.mode, i.creator_pid,
                   i.create_ns, _u(i.allocated), _u(i.handles), _u(i.processes),
                   _u(i.mappers), _u(i.hidden), _u(i.resident), _u(i.dirty),
                   L.decode(i.file), L.decode(i.store_file))


@dataclasses.dataclass(frozen=True)
class ChannelInfo:
    """What channel_stat() reports (mmf_channel_info)."""
    kind: str
    persistent: bool
    capacity: int
    max_message: int
    produced: int
    consumed: int
    fill: int
    producers: int
    consumers: int
    producers_ever: int
    consumers_ever: int
    corrupt: bool
    file: str


@dataclasses.dataclass(frozen=True)
class Holder:
    """A process holding handles to or mapping views of an object."""
    pid: int
    command: str
    handles: int
    views: list  # (offset, length, map) of each view


@dataclasses.dataclass(frozen=True)
class GcResult:
    """What gc() did: the entries it removed and how many it could not."""
    removed: list
    not_removed: int


def _what(processes, residency):
    return (L.INFO_PROCESSES if processes else 0) | (L.INFO_RESIDENCY if residency else 0)


def _take_list(p, n):
    try:
        return [ObjectInfo._from(p[i]) for i in range(n.value)]
    finally:
        lib.mmf_store_list_free(p)


def list_objects(*, processes=False, residency=False):
    """Every named object in this user's view of the store, sorted by
    name. processes=True counts holders, residency=True measures memory."""
    p, n = ctypes.POINTER(L.ObjectInfo)(), ctypes.c_size_t()
    check(lib.mmf_store_list(_what(processes, residency), ctypes.byref(p), ctypes.byref(n)))
    return _take_list(p, n)


def stat(name, *, processes=False, residency=False):
    """Describe the object `name` of any type (a stale one too)."""
    i = L.ObjectInfo()
    check(lib.mmf_object_stat(L.encode_name(name), _what(processes, residency),
                              ctypes.byref(i)), name)
    return ObjectInfo._from(i)


def gc():
    """Remove every stale or corrupt entry nobody holds. Returns a GcResult."""
    p, n = ctypes.POINTER(L.ObjectInfo)(), ctypes.c_size_t()
    left = check(lib.mmf_store_gc(ctypes.byref(p), ctypes.byref(n)))
    return GcResult(_take_list(p, n), left)


def channel_stat(name):
    """Describe the channel `name` without attaching to it."""
    i = L.ChannelInfo()
    check(lib.mmf_channel_stat(L.encode_name(name), ctypes.byref(i)), name)
    u = _u
    return ChannelInfo(lib.mmf_channel_kind_name(i.kind).decode(), bool(i.persistent),
                       u(i.capacity), u(i.max_message), u(i.produced), u(i.consumed),
                       u(i.fill), u(i.producers), u(i.consumers), u(i.producers_ever),
                       u(i.consumers_ever), bool(i.corrupt), L.decode(i.file))


def holders(name):
    """The processes holding handles to or mapping views of `name`, as
    (list of Holder, hidden handle count)."""
    p, n, hidden = ctypes.POINTER(L.Holder)(), ctypes.c_size_t(), ctypes.c_uint64()
    check(lib.mmf_object_holders(L.encode_name(name), ctypes.byref(p), ctypes.byref(n),
                                 ctypes.byref(hidden)), name)
    try:
        out = []
        for k in range(n.value):
            h = p[k]
            views = [(h.views[j].offset, h.views[j].length, h.views[j].map)
                     for j in range(h.nviews)]
            out.append(Holder(h.pid, L.decode(h.command), h.handles, views))
        return out, hidden.value
    finally:
        lib.mmf_object_holders_free(p, n.value)


def read(name, offset=0, length=None):
    """Copy bytes of section `name` without a handle or a mapping: up to
    `length` bytes (None: to the end) from `offset`."""
    if length is None:
        length = max(0, stat(name).size - offset)
    buf = ctypes.create_string_buffer(max(1, length))
    done = ctypes.c_size_t()
    check(lib.mmf_object_read(L.encode_name(name), int(offset), buf, int(length),
                              ctypes.byref(done)), name)
    return buf.raw[:done.value]


def remove(name):
    """Remove the name of a stale or corrupt object (BusyError if a
    process holds it)."""
    check(lib.mmf_object_remove(L.encode_name(name)), name)
