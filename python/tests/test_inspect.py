# SPDX-License-Identifier: MIT
"""Inspection: list_objects, stat, read, holders, remove, channel_stat and
gc on a section this process holds and maps.

Run alone (RUN_SERIAL in python/CMakeLists.txt): handle counts are exact
while the whole system holds few locks (KNOWN LIMITS in include/mmf.h),
and a case beside this one may hold hundreds."""
import os

import pytest

import mmf


def test_inspection(name):
    with mmf.Section.create(name, 8192) as s, s.map() as v:
        memoryview(v)[:4] = b"data"
        objs = {o.name: o for o in mmf.list_objects(processes=True, residency=True)}
        me = objs["Local\\" + name]
        assert me.type == "section" and me.size == 8192 and me.handles == 1
        assert me.processes == 1 and me.mappers == 1 and me.creator_pid == os.getpid()
        st = mmf.stat(name)
        assert st.processes is None and st.mode == 0o600 and not st.stale
        assert mmf.read(name, 0, 4) == b"data" and len(mmf.read(name)) == 8192
        hs, hidden = mmf.holders(name)
        assert [h.pid for h in hs] == [os.getpid()] and hidden == 0
        assert hs[0].views and hs[0].handles == 1
        with pytest.raises(mmf.BusyError):
            mmf.remove(name)
        with pytest.raises(mmf.TypeMismatchError):
            mmf.channel_stat(name)
    with pytest.raises(FileNotFoundError):
        mmf.stat(name)
    res = mmf.gc()
    assert isinstance(res.removed, list) and res.not_removed >= 0
