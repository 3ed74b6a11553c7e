# SPDX-License-Identifier: MIT
"""The ctypes structs match include/mmf.h as the C compiler lays it out."""
import ctypes
import subprocess

from conftest import helper
from mmf import _lib as L


def c_layout():
    out = subprocess.run([helper("py_layout")], capture_output=True, text=True,
                         check=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines())}


def test_struct_sizes_and_offsets():
    c = c_layout()
    checked = 0
    for cname, cls in L.STRUCTS.items():
        assert ctypes.sizeof(cls) == c[cname], cname
        for field, _ in cls._fields_:
            assert getattr(cls, field).offset == c[f"{cname}.{field}"], f"{cname}.{field}"
            checked += 1
        # every field the C program knows is declared in ctypes
        assert {k.split(".", 1)[1] for k in c if k.startswith(cname + ".")} == \
            {f for f, _ in cls._fields_}, cname
    assert checked > 60


def test_constants():
    c = c_layout()
    assert c["MMF_NAME_BYTES"] == L.NAME_BYTES
    assert c["MMF_PATH_BYTES"] == L.PATH_BYTES
    assert c["MMF_TOKEN_BYTES"] == L.TOKEN_BYTES


def test_every_public_function_is_bound():
    import os
    import re
    src = os.environ.get("MMF_SOURCE_DIR")
    header = os.path.join(src, "include", "mmf.h") if src else None
    if not header or not os.path.exists(header):
        import pytest
        pytest.skip("MMF_SOURCE_DIR unset")
    text = open(header).read()
    names = set(re.findall(r"MMF_API\s+[^(;]*?\b(mmf_\w+)\s*\(", text))
    assert len(names) > 80
    assert names == set(L.PROTOTYPES), names ^ set(L.PROTOTYPES)
