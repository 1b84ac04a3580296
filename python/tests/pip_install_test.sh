#!/usr/bin/env bash
# `pip install ./python` as a user without network would run it: a fresh
# virtual environment that sees the system's site-packages (numpy, pandas
# from apt), pip without build isolation (setuptools from apt), then an
# import from outside the source tree and a kernel run.
#
# usage: pip_install_test.sh SOURCE_ROOT BUILD_DIR
# BUILD_DIR (an existing CMake build tree) is reused through
# SPECJIT_CMAKE_BUILD_DIR, so the install only builds what is out of date.
set -euo pipefail
root="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
python="${PYTHON:-/usr/bin/python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m venv --system-site-packages "$work/venv"
# No index: a dependency pip would have to download fails the test.
SPECJIT_CMAKE_BUILD_DIR="$build" PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$work/venv/bin/pip" install --no-build-isolation --no-deps -q "$root/python"

cd "$work"
"$work/venv/bin/python" - "$root" <<'PY'
import os, sys
import numpy as np
import specjit

root = sys.argv[1]
where = os.path.dirname(specjit.__file__)
assert where.startswith(sys.prefix), "specjit imported from %s, not the venv %s" % (where, sys.prefix)
assert not where.startswith(root), "specjit imported from the source tree: " + where

k = specjit.compile({"specjit": 1, "kind": "pipeline",
                     "inputs": [{"name": "x", "type": "f64"}], "output": {"type": "f64"},
                     "steps": [{"op": "standardize", "column": "x", "mean": 1, "std": 2}]})
x = np.array([1.0, 3.0, -1.0, 7.0])
out = k.run({"x": x})
assert out.shape == (4, 1), out.shape
assert np.array_equal(out[:, 0], (x - 1.0) / 2.0), out
assert k.backend == "jit", k.backend
import specjit_export  # the scikit-learn exporter ships in the package too
print("pip install: specjit from", where, "backend", k.backend)
PY
