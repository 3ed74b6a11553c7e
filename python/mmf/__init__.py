# SPDX-License-Identifier: MIT
"""mmf: named shared memory with Windows section-object semantics, robust
named locks and zero-copy channels between processes, over libmmf.

    import mmf
    with mmf.Section.create("demo", 1 << 20) as s, s.map() as v:
        memoryview(v)[:5] = b"hello"

See docs/python.md in the mmf repository for the guide.
"""
from ._errors import (  # noqa: F401
    Error, AbandonedMutexError, NotFoundError, ExistsError, AccessError,
    WaitTimeoutError, WouldBlockError, PeerGoneError, InvalidArgumentError,
    BadNameError, TypeMismatchError, CorruptError, BusyError, NotOwnerError,
    CountOverflowError, SystemFailure, strerror, err_name, CODES)
from ._section import (  # noqa: F401
    Section, View, SectionInfo, ViewInfo, page_size, allocation_granularity)
from ._sync import Mutex, Event, Semaphore, SyncInfo, wait_any, wait_all  # noqa: F401
from ._channel import Ring, Queue, Broadcast  # noqa: F401
from ._inspect import (  # noqa: F401
    ObjectInfo, ChannelInfo, Holder, GcResult, list_objects, stat, gc,
    channel_stat, holders, read, remove)

__version__ = "1.0.0"
WAIT_MAX = 64

__all__ = [n for n in dir() if not n.startswith("_")]
