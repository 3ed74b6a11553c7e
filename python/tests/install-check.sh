#!/bin/sh
# SPDX-License-Identifier: MIT
# install-check.sh PYTHON BUILD-DIR SOURCE-DIR - install mmf into a private
# prefix and import the package from there with the README's one line;
# then pip install it into a virtual environment, offline, where Python
# has venv and pip. Exit 77 when PYTHON is missing.
set -eu
python=$1
build=$2
src=$3
"$python" -c "import ctypes" >/dev/null 2>&1 || { echo "no $python: skipped"; exit 77; }
prefix=$(mktemp -d /tmp/mmf-py-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
test -f "$prefix/lib/python3/dist-packages/mmf/__init__.py"
name="mmf-test-py-install-$$"
cd "$prefix"
env -u MMF_LIBRARY PYTHONPATH="$prefix/lib/python3/dist-packages" "$python" -c "
import mmf, sys
assert mmf._lib.lib._name.startswith('$prefix'), mmf._lib.lib._name
with mmf.Section.create('$name', 4096) as s, s.map() as v:
    memoryview(v)[:2] = b'ok'
    assert mmf.read('$name', 0, 2) == b'ok'
print('import mmf from', mmf.__file__, 'with', mmf._lib.lib._name)
"

# pip install --no-build-isolation ./python into a virtual environment,
# with no network: the build uses the system's setuptools and wheel
# (Debian's python3-setuptools and python3-wheel), which the environment
# sees with --system-site-packages. The library is found through
# MMF_LIBRARY there.
if "$python" -m venv --system-site-packages "$prefix/venv" >/dev/null 2>&1 &&
   "$prefix/venv/bin/python" -c "import setuptools, wheel" >/dev/null 2>&1; then
    cp -r "$src/python" "$prefix/pysrc"
    "$prefix/venv/bin/python" -m pip install -q --no-index --no-build-isolation \
        "$prefix/pysrc"
    MMF_LIBRARY=$(ls "$prefix"/lib*/libmmf.so.1 "$prefix"/lib/*/libmmf.so.1 2>/dev/null | head -n 1) \
        "$prefix/venv/bin/python" -c "
import mmf
m = mmf.Mutex.create('$name-m')
m.close()
print('pip-installed mmf', mmf.__version__)
"
else
    echo "no venv, setuptools or wheel: the pip install is not checked"
fi
