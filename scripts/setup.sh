#!/usr/bin/env bash
# Installs every Debian 12 package specjit needs to build, test and benchmark.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++-12 cmake ninja-build ccache lld
  # LLVM and MLIR 19 (mlir-19-tools carries mlir-tblgen; llvm-19-tools lit + FileCheck)
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev gdb
  # Abseil: the runtime's locks, hash maps and times (lib/Engine/Sync.h)
  libabsl-dev
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang-19 libfuzzer-19-dev libclang-rt-19-dev
  # formatting (scripts/format.sh --check in .ci/run)
  clang-format-19
  # Python side: reference data, schema checks, docs generation
  python3 python3-dev python3-pybind11 pybind11-dev python3-numpy python3-sklearn python3-pandas python3-jsonschema python3-numba python3-pytest python3-xgboost libxgboost-dev
  # Python packaging (pip install ./python offline, in a venv) and Dask scale-out
  python3-venv python3-pip python3-setuptools python3-wheel python3-dask python3-distributed
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
