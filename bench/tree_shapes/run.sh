#!/usr/bin/env bash
# The tree code-shape study: XGBoost models of several sizes, each evaluated
# by every candidate shape (tree_shapes.cpp) and by XGBoost itself
# (inplace_predict, nthread=1), all in CPU time on the same 100k rows.
#   bench/tree_shapes/run.sh [OUTDIR]      (needs clang++ and python3-xgboost)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-/tmp/specjit-tree-shapes}"
mkdir -p "$out" && cd "$out"
/usr/bin/python3 - <<'PY'
import numpy as np, xgboost as xgb, os
rng = np.random.default_rng(7)
n, f = 20000, 28
X = rng.normal(size=(n, f)).astype(np.float32)
X[rng.random(size=(n, f)) < 0.05] = np.nan
Xn = np.nan_to_num(X)
y = (Xn[:, 0] + 0.5 * Xn[:, 1] * Xn[:, 2] + np.sin(2 * Xn[:, 3]) + 0.3 * Xn[:, 4] ** 2
     + rng.normal(scale=0.5, size=n) > 0.3).astype(np.float32)
d = xgb.DMatrix(X, label=y)
for trees, depth in [(30, 6), (100, 8)]:
    name = f"m_{trees}_{depth}.json"
    if not os.path.exists(name):
        xgb.train({"max_depth": depth, "objective": "binary:logistic", "nthread": 2,
                   "tree_method": "hist", "eta": 0.1}, d, trees).save_model(name)
PY
for m in 30_6 100_8; do
  /usr/bin/python3 "$here/dump_model.py" "m_$m.json" "m_$m.txt"
  /usr/bin/python3 "$here/gen_selects.py" "m_$m.txt" "sel_$m.cpp"
  start=$(date +%s.%N)
  clang++ -O3 -march=native -c "sel_$m.cpp" -o "sel_$m.o"
  echo "selects for $m: clang -O3 compile $(echo "$(date +%s.%N) - $start" | bc) s"
  clang++ -O3 -march=native -DWITH_SELECTS -o "shapes_$m" "$here/tree_shapes.cpp" "sel_$m.o"
  "./shapes_$m" "m_$m.txt" 100000 3
  /usr/bin/python3 - "m_$m.json" <<'PY'
import sys, time, numpy as np, xgboost as xgb
X = np.fromfile("x.f32", dtype=np.float32).reshape(-1, 28)
b = xgb.Booster(); b.load_model(sys.argv[1]); b.set_param({"nthread": 1})
best = min((lambda t0: (b.inplace_predict(X), time.process_time() - t0)[1])(time.process_time())
           for _ in range(3))
print("  %-46s %9.1f" % ("XGBoost inplace_predict, nthread=1", best / len(X) * 1e9))
PY
done
