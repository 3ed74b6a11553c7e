# SPDX-License-Identifier: MIT
"""The examples of docs/python.md and the README's Python example run as
written, each in a new process (object names get this run's prefix). A
block that starts with "# terminal 1" runs at the same time as the next
one, as in two terminals."""
import os
import re
import subprocess
import sys

import pytest

from conftest import STORE, child_env, unique


def blocks(doc):
    src = os.environ.get("MMF_SOURCE_DIR") or os.path.join(os.path.dirname(__file__),
                                                           "..", "..")
    path = os.path.join(src, doc)
    if not os.path.exists(path):
        pytest.skip(f"{doc} not found (MMF_SOURCE_DIR)")
    return re.findall(r"```python\n(.*?)```", open(path).read(), re.S)


def prepare(code, prefix):
    if "numpy" in code:
        pytest.importorskip("numpy")
    return code.replace("mmf-doc-", prefix)


def start(code):
    return subprocess.Popen([sys.executable, "-c", code], env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check(p):
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    return out


def run_doc(doc, order=0):
    prefix = unique("doc") + "-"
    code = blocks(doc)
    assert code
    i = 0
    while i < len(code):
        if code[i].startswith("# terminal 1"):
            first, second = prepare(code[i], prefix), prepare(code[i + 1], prefix)
            a, b = (first, second) if order == 0 else (second, first)
            pa = start(a)
            pb = start(b)
            outs = [check(pa), check(pb)]
            consumer = outs[0] if order == 0 else outs[1]
            assert consumer.split() == ["hello", "0", "hello", "1", "hello", "2",
                                        "hello", "3", "hello", "4", "done"]
            i += 2
        else:
            check(start(prepare(code[i], prefix)))
            i += 1
    assert not [f for f in os.listdir(STORE) if prefix in f]


@pytest.mark.parametrize("order", [0, 1], ids=["consumer_first", "producer_first"])
def test_python_guide_examples(order):
    run_doc("docs/python.md", order)


def test_readme_example():
    run_doc("README.md")
