#!/usr/bin/env bash
# The main job: sets up, builds, generates 1M rows of churn data and runs the
# churn feature pipeline through the JIT, printing the output summary and the
# JIT-vs-interpreter comparison.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${BUILD_DIR:-$root/build}"
rows="${ROWS:-1000000}"
data="$build/data/churn-$rows.csv"
mkdir -p "$build/data"
[ -f "$data" ] || /usr/bin/python3 "$root/examples/gen_data.py" churn --rows "$rows" --out "$data"
"$build/bin/specjit" run "$root/examples/churn.json" --input "$data" \
  --output "$build/data/churn-features.csv" --compare
