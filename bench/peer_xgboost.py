#!/usr/bin/env python3
"""specjit versus XGBoost's own predict on the same model and data.

Usage (after scripts/build.sh; Debian's python3 with python3-xgboost):
    /usr/bin/python3 bench/peer_xgboost.py [--build build] [--rows 100000]

Trains binary:logistic models on a synthetic 28-feature data set (10 trees of
depth 4 and 30 trees of depth 6 — sizes the JIT compiles today), imports each
with `specjit import xgboost`, then times in one script run: XGBoost
`inplace_predict` with nthread=1 (best of 5) and `specjit run --compare` (JIT
and interpreter, best of 5) on the same rows, and checks the predictions
agree within 1e-6.
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import xgboost as xgb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rows", type=int, default=100000)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    n, f = args.rows, 28
    X = rng.normal(size=(n, f)).astype(np.float32)
    X[rng.random(size=(n, f)) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2])
         + rng.normal(scale=0.5, size=n) > 0).astype(np.float32)
    specjit = os.path.join(args.build, "bin", "specjit")
    print(f"xgboost {xgb.__version__}; {n} rows x {f} features; single thread; "
          "ns per row (best of 5)")
    print(f"{'model':<18} {'xgboost':>9} {'interp.':>9} {'jit':>9}  "
          f"{'xgb/jit':>7} {'int/jit':>7}  max |jit - xgboost|")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "x.csv")
        with open(data, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([f"f{i}" for i in range(f)])
            for row in X:
                w.writerow(["" if np.isnan(v) else repr(float(v)) for v in row])
        for trees, depth in ((10, 4), (30, 6)):
            bst = xgb.train({"objective": "binary:logistic", "max_depth": depth,
                             "nthread": 1, "eta": 0.3, "seed": 1},
                            xgb.DMatrix(X[:20000], label=y[:20000]), trees)
            model = os.path.join(tmp, "m.json")
            bst.save_model(model)
            desc = os.path.join(tmp, "d.json")
            with open(desc, "w") as fh:
                subprocess.run([specjit, "import", "xgboost", model], check=True, stdout=fh)
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                ref = bst.inplace_predict(X)
                best = min(best, time.perf_counter() - t0)
            xgb_ns = best * 1e9 / n
            out = os.path.join(tmp, "out.csv")
            res = subprocess.run([specjit, "run", desc, "--input", data, "--output", out,
                                  "--compare"], check=True, capture_output=True,
                                 text=True).stdout
            backend = re.search(r"backend (\w+)", res).group(1)
            jit_ns = float(re.search(r"run [0-9.]+ ms \(([0-9.]+) ns/row", res).group(1))
            int_ns = float(re.search(r"interpreter [0-9.]+ ms \(([0-9.]+) ns/row",
                                     res).group(1))
            got = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.float64)
            diff = float(np.max(np.abs(got - ref)))
            name = f"{trees} trees d{depth}"
            print(f"{name:<18} {xgb_ns:9.1f} {int_ns:9.1f} {jit_ns:9.1f}  "
                  f"{xgb_ns / jit_ns:6.1f}x {int_ns / jit_ns:6.1f}x  {diff:.2e}"
                  + ("" if backend == "jit" else f"  (backend {backend})"))


if __name__ == "__main__":
    sys.exit(main())
