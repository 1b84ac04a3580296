#!/usr/bin/env bash
# find_package(specjit CONFIG) from a host app: installs the build tree into
# a temporary prefix, configures and builds examples/host-app against that
# prefix alone, and checks what the app computes.
#
# usage: host-app-test.sh SOURCE_ROOT BUILD_DIR
set -euo pipefail
root="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

t0=$(date +%s.%N)
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
test -f "$prefix/lib/cmake/specjit/specjitConfig.cmake"
test -f "$prefix/include/specjit/specjit.h"
test -f "$prefix/include/specjit/Export.h"
# The dialect and conversion headers are internal.
test ! -e "$prefix/include/specjit/Dialect"
test ! -e "$prefix/include/specjit/Conversion"

generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
linker=()
command -v ld.lld > /dev/null && linker=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld)
compiler=()
command -v g++-12 > /dev/null && compiler=(-DCMAKE_CXX_COMPILER=g++-12)
t1=$(date +%s.%N)
cmake -S "$root/examples/host-app" -B "$work/app" "${generator[@]}" "${compiler[@]}" \
  "${linker[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
t2=$(date +%s.%N)
cmake --build "$work/app" > "$work/build.log"
t3=$(date +%s.%N)
# The link alone (the static MLIR set is most of it).
rm "$work/app/host-app"
cmake --build "$work/app" > "$work/link.log"
t4=$(date +%s.%N)
# The app found the installed package, not the build tree.
grep -q "specjit_DIR:PATH=$prefix/lib/cmake/specjit" "$work/app/CMakeCache.txt"

"$work/app/host-app" > "$work/out.txt"
cat "$work/out.txt"
# (x - 1) / 2, n with -1 imputed as 5, and their sum.
diff -u - <(tail -n +2 "$work/out.txt") <<'OUT'
x,n,sum
-0.5,0,-0.5
0,1,1
0.5,2,2.5
1,5,6
OUT
head -1 "$work/out.txt" | grep -q "host_app: backend jit, hash [0-9a-f]\{32\}$"
"$work/app/host-app" "$root/examples/churn.json" | head -1 | grep -q "^churn_features: backend jit"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" \
  'BEGIN { printf "host-app: install %.1fs, configure %.1fs, build (compile + link) %.1fs, link alone %.1fs\n", b - a, c - b, d - c, e - d }'
