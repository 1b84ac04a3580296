#!/usr/bin/env python3
"""Runs over several threads against one, side by side in one run.

Usage (after scripts/build.sh; Debian's python3 with python3-xgboost):
    /usr/bin/python3 bench/threads_bench.py [--build build] [--threads 2]
        [--rows 100000] [--reps 7] [--models-dir /tmp/specjit-bench-models]

For the examples that split (pipelines, models, rules) and two XGBoost
models (bench/train_tree_models.py trains them once into --models-dir),
`specjit bench DESC --rows R --run-threads N --json` times the compiled run
on the caller alone and split over N threads (wall time, best of --reps,
interleaved) and checks the outputs are equal bit for bit. For the XGBoost
models, XGBoost's own inplace_predict with nthread=1 and nthread=N is timed
the same way on the same 100,000 evaluation rows.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tree_descriptor(specjit, models_dir, name):
    model = os.path.join(models_dir, f"xgb_{name}.json")
    if not os.path.exists(model):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "train_tree_models.py"),
                        "--outdir", models_dir, "--models", name.replace("_d", "x")],
                       check=True)
    desc = os.path.join(models_dir, f"xgb_{name}.descriptor.json")
    if not os.path.exists(desc):
        text = subprocess.run([specjit, "import", "xgboost", model], check=True,
                              capture_output=True, text=True).stdout
        with open(desc, "w") as f:
            f.write(text)
    return model, desc


def xgboost_ratio(model, models_dir, threads, reps):
    import xgboost as xgb
    x = np.fromfile(os.path.join(models_dir, "x_100k.f32"), dtype=np.float32)
    x = x.reshape(100000, 28)
    bst = xgb.Booster(model_file=model)
    best = {1: float("inf"), threads: float("inf")}
    for _ in range(reps):
        for n in (1, threads):
            bst.set_param({"nthread": n})
            t0 = time.perf_counter()
            bst.inplace_predict(x)
            best[n] = min(best[n], time.perf_counter() - t0)
    return best[1] * 1e3, best[threads] * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--models-dir", default="/tmp/specjit-bench-models")
    args = ap.parse_args()
    specjit = os.path.join(args.build, "bin", "specjit")
    cases = [(f, os.path.join(ROOT, "examples", f + ".json"), None)
             for f in ("churn", "housing", "retail_strings", "model_logistic", "model_mlp",
                       "model_trees", "needs_rules")]
    for name in ("500_d6", "1000_d8"):
        model, desc = tree_descriptor(specjit, args.models_dir, name)
        cases.append((f"xgboost {name.replace('_d', ' trees, depth ')}", desc, model))
    n = args.threads
    print(f"| kernel | rows | JIT, 1 thread (ns/row) | JIT, {n} threads (ns/row) | "
          f"speedup | bit for bit | XGBoost nthread=1 (ms) | nthread={n} (ms) | "
          "XGBoost speedup |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for name, desc, model in cases:
        r = json.loads(subprocess.run(
            [specjit, "bench", desc, "--rows", str(args.rows), "--reps", str(args.reps),
             "--run-threads", str(n), "--json"],
            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        xgb_cols = "| | |"
        if model:
            one, many = xgboost_ratio(model, args.models_dir, n, args.reps)
            xgb_cols = f"| {one:.1f} | {many:.1f} | {one / many:.2f}x |"
        print(f"| {name} | {args.rows} | {r['jit_one_thread_ns_per_row']:.2f} | "
              f"{r['jit_threads_ns_per_row']:.2f} | {r['threads_speedup']:.2f}x | "
              f"{'yes' if r['threads_identical'] else 'NO'} {xgb_cols}")


if __name__ == "__main__":
    main()
