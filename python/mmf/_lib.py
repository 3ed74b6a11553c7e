# SPDX-License-Identifier: MIT
"""The ctypes binding of libmmf: finding the library, the structs of
include/mmf.h and the prototype of every public function.

The library is loaded with ctypes.CDLL, not PyDLL: a CDLL call releases
the GIL for its whole duration, so a thread blocked in a wait, a lock or
a channel call lets every other Python thread run.
"""
import ctypes
import ctypes.util
import os

# Constants of include/mmf.h.
NAME_BYTES = 2640 + 16             # MMF_NAME_BYTES
PATH_BYTES = 2048                  # MMF_PATH_BYTES
TOKEN_BYTES = 64                   # MMF_TOKEN_BYTES
INFINITE = -1                      # MMF_INFINITE
TIMEOUT_MAX = 0xFFFFFFFE           # MMF_TIMEOUT_MAX
WAIT_MAX = 64                      # MMF_WAIT_MAX
UNKNOWN = (1 << 64) - 1            # MMF_UNKNOWN
GLOBAL = 0x4                       # MMF_GLOBAL
OK, EXISTED, ABANDONED = 0, 1, 0x80
CREATE_NEW, OPEN_OR_CREATE = 1, 2
PROT_READ, PROT_WRITE, PROT_EXEC = 0x1, 0x2, 0x4
ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC = 0x1, 0x2, 0x4
MAP_NONE, MAP_READ, MAP_WRITE, MAP_COPY, MAP_EXEC = 0, 0x1, 0x2, 0x4, 0x8
VIEW_POPULATE = 0x1
SECTION_RESERVE, SECTION_LARGE_PAGES = 0x1, 0x2
ROLE_PRODUCER, ROLE_CONSUMER = 1, 2
CHANNEL_BUSY_POLL = 0x1
CHANNEL_REDELIVER = 0x2
INFO_PROCESSES, INFO_RESIDENCY = 0x1, 0x2
KIND_RING, KIND_QUEUE, KIND_BCAST = 1, 2, 3

c_int, c_uint, c_size_t, c_void_p, c_char_p = (
    ctypes.c_int, ctypes.c_uint, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_char_p)
c_u64, c_i64, c_u32, c_ll = ctypes.c_uint64, ctypes.c_int64, ctypes.c_uint32, ctypes.c_longlong
P = ctypes.POINTER


class SectionOpts(ctypes.Structure):
    _fields_ = [("flags", c_uint), ("mode", c_uint), ("prot", c_uint)]


class SectionInfo(ctypes.Structure):
    _fields_ = [("size", c_u64), ("prot", c_uint), ("access", c_uint),
                ("flags", c_uint), ("file_backed", c_int),
                ("name", ctypes.c_char * NAME_BYTES)]


class ViewInfo(ctypes.Structure):
    _fields_ = [("base", c_void_p), ("size", c_size_t), ("offset", c_u64),
                ("map", c_uint)]


class SyncOpts(ctypes.Structure):
    _fields_ = [("flags", c_uint), ("mode", c_uint)]


class SyncInfo(ctypes.Structure):
    _fields_ = [("type", c_int), ("name", ctypes.c_char * NAME_BYTES),
                ("owner_pid", c_i64), ("owner_tid", c_i64),
                ("recursion", ctypes.c_ulong), ("abandoned", c_int),
                ("manual_reset", c_int), ("signaled", c_int),
                ("count", ctypes.c_long), ("maximum", ctypes.c_long),
                ("waiters", ctypes.c_ulong)]


class ChannelOpts(ctypes.Structure):
    _fields_ = [("flags", c_uint), ("mode", c_uint), ("path", c_char_p)]


class Msg(ctypes.Structure):
    _fields_ = [("data", c_void_p), ("len", c_size_t)]


class ObjectInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * NAME_BYTES), ("type", c_int),
                ("stale", c_int), ("corrupt", c_int), ("readable", c_int),
                ("file_backed", c_int), ("version", c_uint), ("size", c_u64),
                ("prot", c_uint), ("flags", c_uint), ("uid", c_u32),
                ("gid", c_u32), ("mode", c_uint), ("creator_pid", c_i64),
                ("create_ns", c_u64), ("allocated", c_u64), ("handles", c_u64),
                ("processes", c_u64), ("mappers", c_u64), ("hidden", c_u64),
                ("resident", c_u64), ("dirty", c_u64),
                ("file", ctypes.c_char * PATH_BYTES),
                ("store_file", ctypes.c_char * PATH_BYTES)]


class ViewRange(ctypes.Structure):
    _fields_ = [("offset", c_u64), ("length", c_u64), ("map", c_uint)]


class Holder(ctypes.Structure):
    _fields_ = [("pid", c_i64), ("command", ctypes.c_char * 64),
                ("handles", c_uint), ("nviews", c_size_t),
                ("views", P(ViewRange))]


class ChannelInfo(ctypes.Structure):
    _fields_ = [("kind", c_int), ("persistent", c_int), ("capacity", c_u64),
                ("max_message", c_u64), ("produced", c_u64),
                ("consumed", c_u64), ("fill", c_u64), ("producers", c_u64),
                ("consumers", c_u64), ("producers_ever", c_u64),
                ("consumers_ever", c_u64), ("corrupt", c_int),
                ("file", ctypes.c_char * PATH_BYTES)]


# The structs the layout test compares with the C compiler's view of
# include/mmf.h: C name -> ctypes class.
STRUCTS = {
    "mmf_section_opts": SectionOpts, "mmf_section_info": SectionInfo,
    "mmf_view_info": ViewInfo, "mmf_sync_opts": SyncOpts,
    "mmf_sync_info": SyncInfo, "mmf_channel_opts": ChannelOpts,
    "mmf_msg": Msg, "mmf_object_info": ObjectInfo,
    "mmf_view_range": ViewRange, "mmf_holder": Holder,
    "mmf_channel_info": ChannelInfo,
}

section_p, sync_p, ring_p, queue_p, bcast_p = (c_void_p,) * 5
PP = P(c_void_p)

# name: (restype, argtypes). Handles are opaque pointers (c_void_p).
PROTOTYPES = {
    "mmf_strerror": (c_char_p, [c_int]),
    "mmf_err_name": (c_char_p, [c_int]),
    "mmf_page_size": (c_size_t, []),
    "mmf_allocation_granularity": (c_size_t, []),
    "mmf_numa_highest_node": (c_int, []),
    "mmf_section_create": (c_int, [PP, c_char_p, c_u64, c_int, P(SectionOpts)]),
    "mmf_section_create_fd": (c_int, [PP, c_char_p, c_int, c_u64, c_int, P(SectionOpts)]),
    "mmf_section_create_path": (c_int, [PP, c_char_p, c_char_p, c_u64, c_int, P(SectionOpts)]),
    "mmf_section_open": (c_int, [PP, c_char_p, c_uint]),
    "mmf_section_close": (c_int, [c_void_p]),
    "mmf_section_duplicate": (c_int, [c_void_p, c_uint, PP]),
    "mmf_section_stat": (c_int, [c_void_p, P(SectionInfo)]),
    "mmf_section_commit": (c_int, [c_void_p, c_u64, c_u64]),
    "mmf_section_export": (c_int, [c_void_p, c_uint, ctypes.c_char * TOKEN_BYTES]),
    "mmf_section_export_close": (c_int, [c_char_p]),
    "mmf_section_import": (c_int, [c_char_p, PP]),
    "mmf_section_send": (c_int, [c_int, c_void_p, c_uint]),
    "mmf_section_recv": (c_int, [c_int, PP]),
    "mmf_view_map": (c_int, [c_void_p, c_uint, c_u64, c_size_t, c_uint, PP]),
    "mmf_view_unmap": (c_int, [c_void_p]),
    "mmf_view_flush": (c_int, [c_void_p, c_size_t]),
    "mmf_view_flush_durable": (c_int, [c_void_p, c_size_t]),
    "mmf_view_stat": (c_int, [c_void_p, P(ViewInfo)]),
    "mmf_mutex_create": (c_int, [PP, c_char_p, c_int, c_int, P(SyncOpts)]),
    "mmf_mutex_open": (c_int, [PP, c_char_p]),
    "mmf_mutex_lock": (c_int, [c_void_p, c_ll]),
    "mmf_mutex_unlock": (c_int, [c_void_p]),
    "mmf_event_create": (c_int, [PP, c_char_p, c_int, c_int, c_int, P(SyncOpts)]),
    "mmf_event_open": (c_int, [PP, c_char_p]),
    "mmf_event_set": (c_int, [c_void_p]),
    "mmf_event_reset": (c_int, [c_void_p]),
    "mmf_event_pulse": (c_int, [c_void_p]),
    "mmf_semaphore_create": (c_int, [PP, c_char_p, ctypes.c_long, ctypes.c_long, c_int, P(SyncOpts)]),
    "mmf_semaphore_open": (c_int, [PP, c_char_p]),
    "mmf_semaphore_release": (c_int, [c_void_p, ctypes.c_long, P(ctypes.c_long)]),
    "mmf_sync_wait": (c_int, [c_void_p, c_ll]),
    "mmf_sync_wait_any": (c_int, [PP, c_size_t, c_ll]),
    "mmf_sync_wait_all": (c_int, [PP, c_size_t, c_ll]),
    "mmf_sync_close": (c_int, [c_void_p]),
    "mmf_sync_duplicate": (c_int, [c_void_p, PP]),
    "mmf_sync_export": (c_int, [c_void_p, ctypes.c_char * TOKEN_BYTES]),
    "mmf_sync_export_close": (c_int, [c_char_p]),
    "mmf_sync_import": (c_int, [c_char_p, PP]),
    "mmf_sync_stat": (c_int, [c_void_p, P(SyncInfo)]),
    "mmf_ring_create": (c_int, [PP, c_char_p, c_u64, c_int, c_int, P(ChannelOpts)]),
    "mmf_ring_open": (c_int, [PP, c_char_p, c_int, P(ChannelOpts)]),
    "mmf_ring_close": (c_int, [c_void_p]),
    "mmf_ring_max_message": (c_size_t, [c_void_p]),
    "mmf_ring_reserve": (c_int, [c_void_p, c_size_t, PP, c_ll]),
    "mmf_ring_commit": (c_int, [c_void_p, c_size_t]),
    "mmf_ring_reserve_batch": (c_int, [c_void_p, P(Msg), c_size_t, c_ll]),
    "mmf_ring_commit_batch": (c_int, [c_void_p, c_size_t]),
    "mmf_ring_send": (c_int, [c_void_p, c_void_p, c_size_t, c_ll]),
    "mmf_ring_peek": (c_int, [c_void_p, P(Msg), c_ll]),
    "mmf_ring_peek_batch": (c_int, [c_void_p, P(Msg), c_size_t, c_ll]),
    "mmf_ring_release": (c_int, [c_void_p, c_size_t]),
    "mmf_ring_recv": (c_int, [c_void_p, c_void_p, c_size_t, P(c_size_t), c_ll]),
    "mmf_ring_flush": (c_int, [c_void_p]),
    "mmf_queue_create": (c_int, [PP, c_char_p, c_u32, c_u32, c_int, c_int, P(ChannelOpts)]),
    "mmf_queue_open": (c_int, [PP, c_char_p, c_int, P(ChannelOpts)]),
    "mmf_queue_close": (c_int, [c_void_p]),
    "mmf_queue_slot_size": (c_size_t, [c_void_p]),
    "mmf_queue_reserve": (c_int, [c_void_p, PP, c_ll]),
    "mmf_queue_commit": (c_int, [c_void_p, c_size_t]),
    "mmf_queue_reserve_batch": (c_int, [c_void_p, P(Msg), c_size_t, c_ll]),
    "mmf_queue_commit_batch": (c_int, [c_void_p, c_size_t]),
    "mmf_queue_send": (c_int, [c_void_p, c_void_p, c_size_t, c_ll]),
    "mmf_queue_peek": (c_int, [c_void_p, P(Msg), c_ll]),
    "mmf_queue_peek_batch": (c_int, [c_void_p, P(Msg), c_size_t, c_ll]),
    "mmf_queue_release": (c_int, [c_void_p]),
    "mmf_queue_release_batch": (c_int, [c_void_p, c_size_t]),
    "mmf_queue_recv": (c_int, [c_void_p, c_void_p, c_size_t, P(c_size_t), c_ll]),
    "mmf_queue_committed": (c_int, [c_void_p, c_u64]),
    "mmf_queue_held": (c_int, [c_void_p, P(c_u64)]),
    "mmf_bcast_create": (c_int, [PP, c_char_p, c_u32, c_u32, c_int, c_int, P(ChannelOpts)]),
    "mmf_bcast_open": (c_int, [PP, c_char_p, c_int, P(ChannelOpts)]),
    "mmf_bcast_close": (c_int, [c_void_p]),
    "mmf_bcast_slot_size": (c_size_t, [c_void_p]),
    "mmf_bcast_send": (c_int, [c_void_p, c_void_p, c_size_t]),
    "mmf_bcast_recv": (c_int, [c_void_p, c_void_p, c_size_t, P(c_size_t), P(c_u64), c_ll]),
    "mmf_type_name": (c_char_p, [c_int]),
    "mmf_store_list": (c_int, [c_uint, P(P(ObjectInfo)), P(c_size_t)]),
    "mmf_store_list_free": (None, [P(ObjectInfo)]),
    "mmf_object_stat": (c_int, [c_char_p, c_uint, P(ObjectInfo)]),
    "mmf_object_holders": (c_int, [c_char_p, P(P(Holder)), P(c_size_t), P(c_u64)]),
    "mmf_object_holders_free": (None, [P(Holder), c_size_t]),
    "mmf_file_mapped": (c_int, [c_int]),
    "mmf_object_read": (c_int, [c_char_p, c_u64, c_void_p, c_size_t, P(c_size_t)]),
    "mmf_channel_kind_name": (c_char_p, [c_int]),
    "mmf_channel_stat": (c_int, [c_char_p, P(ChannelInfo)]),
    "mmf_object_remove": (c_int, [c_char_p]),
    "mmf_store_gc": (c_int, [P(P(ObjectInfo)), P(c_size_t)]),
}

SONAME = "libmmf.so.1"


def _candidates():
    """Where libmmf is looked for, in order."""
    env = os.environ.get("MMF_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    found = [os.path.join(here, SONAME)]
    try:  # written by the install rules: the library folder, from here
        from . import _install
        found.append(os.path.normpath(os.path.join(here, _install.LIBDIR, SONAME)))
    except ImportError:
        pass
    found.append(ctypes.util.find_library("mmf") or SONAME)
    return found


def load():
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path, use_errno=False)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        break
    else:
        raise ImportError(
            "mmf: cannot load libmmf (" + "; ".join(tried) + "). Install the "
            "library (make install PREFIX=...) or point MMF_LIBRARY at "
            "libmmf.so.1")
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


lib = load()


def encode_name(name):
    if name is None:
        return None
    if isinstance(name, bytes):
        return name
    if not isinstance(name, str):
        raise TypeError(f"a name is a str, not {type(name).__name__}")
    return name.encode("utf-8")


def decode(raw):
    return raw.decode("utf-8", errors="replace")
