# SPDX-License-Identifier: MIT
"""What every test file shares: unique object names, the C helpers, an
environment for child processes, and a check that nothing is left in the
store."""
import itertools
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(HERE)
STORE = os.environ.get("MMF_STORE_DIR") or "/dev/shm"
PREFIX = f"mmf-test-py-{os.getpid()}-"
_counter = itertools.count()


def unique(tag="x"):
    """A name no other test, run or process uses (store_clean looks for
    "mmf-test-" names left behind)."""
    return f"{PREFIX}{tag}-{next(_counter)}"


@pytest.fixture
def name(request):
    return unique(request.node.name[:40].replace("[", "-").replace("]", ""))


def child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_DIR + (os.pathsep + env["PYTHONPATH"]
                                       if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_python(code, *args, timeout=120, check=True, **kw):
    """Run `code` in a new Python process (this interpreter)."""
    return subprocess.run([sys.executable, "-c", code, *args], env=child_env(),
                          timeout=timeout, check=check, capture_output=True,
                          text=True, **kw)


def start_python(code, *args, session=False):
    """A Python child that prints "ready" once set up; its stdin stays
    open for the test to write to."""
    p = subprocess.Popen([sys.executable, "-c", code, *args], env=child_env(),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         start_new_session=session)
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.kill()
        out, err = p.communicate()
        pytest.fail(f"child did not start: {line}{out}{err}")
    return p


def helper(name):
    """The path of a C helper built by CMake (python/CMakeLists.txt), or
    skip when run outside the build."""
    d = os.environ.get("MMF_PY_HELPERS")
    path = os.path.join(d, name) if d else None
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"the C helper {name} is built by CMake (MMF_PY_HELPERS unset)")
    return path


def ours():
    return sorted(f for f in os.listdir(STORE) if PREFIX in f)


@pytest.fixture(autouse=True, scope="session")
def store_left_clean():
    yield
    import mmf
    mmf.gc()  # stale entries of processes the tests killed on purpose
    left = ours()
    assert not left, f"left in the store: {left}"
