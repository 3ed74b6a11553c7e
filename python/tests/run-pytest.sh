#!/bin/sh
# SPDX-License-Identifier: MIT
# run-pytest.sh PYTHON FILE - run one test file of the Python package with
# pytest; exit 77 (skipped) when PYTHON or its pytest is missing.
python=$1
file=$2
if ! "$python" -c "import pytest; pytest.main" >/dev/null 2>&1; then
    echo "$python with pytest not found: skipped"
    exit 77
fi
here=$(cd "$(dirname "$0")/.." && pwd)
# The package from the source tree; no bytecode or cache written there.
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
    exec "$python" -m pytest -q -rs -p no:cacheprovider "$file"
