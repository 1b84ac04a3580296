#!/usr/bin/env bash
# Builds specjit with a sanitizer (clang-19) and runs the tests it covers.
#
#   scripts/sanitize.sh asan   ASan + UBSan (undefined behaviour fatal) in
#                              build-asan/: every GoogleTest binary and lit
#                              (specjit, specjit-opt), and the libFuzzer
#                              harnesses of fuzz/ (run by scripts/fuzz.sh)
#   scripts/sanitize.sh tsan   TSan in build-tsan/: the concurrency tests
#                              (names containing "Concurren" or "Threads";
#                              unittests/CMakeLists.txt)
#
# Only specjit's own code is instrumented; Debian's LLVM and MLIR libraries
# are not (docs/reliability.md, "Sanitizers", says what that means for each
# sanitizer). Benchmarks and the Python module are off. ccache is used
# (CCACHE_BASEDIR is the source root). ${JOBS:-2} compile jobs; the build
# directory is ${SANITIZE_DIR:-build-asan or build-tsan}.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-}"
case "$mode" in
  asan) sanitizer=address ;;
  tsan) sanitizer=thread ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan" >&2; exit 2 ;;
esac
build="${SANITIZE_DIR:-$root/build-$mode}"
export CCACHE_BASEDIR="$root"
# -g puts the build directory into the objects, and ccache then keys them
# by it; without that, another checkout of the same sources (CI's clean
# clone) reuses them.
export CCACHE_NOHASHDIR=1
jobs="${JOBS:-2}"

if [ ! -f "$build/build.ninja" ]; then
  # -O1 -g as the sanitizers recommend; NDEBUG as in Debian's LLVM and MLIR
  # (their headers must see what their libraries were built with).
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
    -DSPECJIT_SANITIZER="$sanitizer" \
    -DSPECJIT_FUZZ="$([ "$mode" = asan ] && echo ON || echo OFF)" \
    -DSPECJIT_BUILD_BENCH=OFF -DSPECJIT_BUILD_PYTHON=OFF \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DPython3_EXECUTABLE=/usr/bin/python3
fi

# Reports name source lines. The run-time options (allow_user_poisoning=0
# for ASan, the TSan suppressions) are built into every executable
# (tools/sanitizer-defaults/); *SAN_OPTIONS in the environment add to them.
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-19/bin/llvm-symbolizer
export PATH="/usr/lib/llvm-19/bin:$PATH"
cd "$build"
if [ "$mode" = asan ]; then
  cmake --build . -j "$jobs" --target specjit-unittests specjit specjit-opt \
    specjit-fuzzers
  ctest --output-on-failure -j "$jobs" -L '^(unit|lit)$'
else
  cmake --build . -j "$jobs" --target specjit-concurrency-tests
  ctest --output-on-failure -L '^concurrency$'
fi
