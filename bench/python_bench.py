#!/usr/bin/env python3
"""specjit from Python against its peers, side by side in one run.

Usage (after scripts/build.sh; Debian's python3 with numpy, pandas,
scikit-learn, numba and xgboost):
    /usr/bin/python3 bench/python_bench.py [--build build] [--rounds 5]
        [--rows 1000000] [--models-dir /tmp/specjit-bench-models]

Three tables, every figure the best (minimum) of --rounds interleaved rounds:

1. The per-call overhead at batch 1: `Kernel.run` from Python (the package
   API: a dict of one-row arrays and an `out` array) and the binding alone
   (`Kernel._k.run`, columns already checked), against the same one-row call
   in C++ (`Kernel::run`, CPU time from build/bin/specjit-runtime-bench,
   BM_RunOneRow) on the same descriptor.
2. examples/churn.json over --rows generated rows (examples/gen_data.py's
   churn generator, NaN and -1 sentinels included), columns already in
   memory: the JIT and the interpreter from Python, scikit-learn's fitted
   ColumnTransformer.transform (bench/peer_sklearn.py's), and an @njit
   function with the same semantics (numba; its compile is the first call
   minus a steady one). Outputs are checked against the interpreter.
3. A 500-tree depth-6 XGBoost model (bench/train_tree_models.py trains it
   once into --models-dir): `specjit.from_xgboost` + compile against
   `Booster.inplace_predict` (nthread=1) at batch 1 and over 100,000 rows;
   probabilities checked within 1e-6.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def best_ns(fn, calls, rounds):
    """The fastest round's ns per call of `calls` calls of fn()."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / calls)
    return best


def interleaved(fns, calls, rounds):
    """best_ns of each fn, the rounds interleaved so that all see the same
    machine conditions."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], best_ns(fn, calls, 1))
    return best


def batch_one(specjit, build, rounds):
    desc = {"specjit": 1, "kind": "pipeline",
            "inputs": [{"name": "x", "type": "f64"}], "output": {"type": "f64"},
            "steps": [{"op": "standardize", "column": "x", "mean": 1.5, "std": 2}]}
    k = specjit.compile(desc, specialize=True)
    assert k.backend == "jit", k.fallback_reason
    x = np.array([3.0])
    out = np.zeros((1, 1))
    cols = {"x": x}
    api = lambda: k.run(cols, out=out)  # noqa: E731
    raw = lambda: k._k.run([x], out)  # noqa: E731
    py_api, py_raw = interleaved([api, raw], 20000, rounds)
    assert out[0, 0] == (3.0 - 1.5) / 2
    bench = os.path.join(build, "bin", "specjit-runtime-bench")
    res = subprocess.run([bench, "--benchmark_filter=BM_RunOneRow$", "--benchmark_format=json",
                          f"--benchmark_repetitions={rounds}",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    cpp = [b["cpu_time"] for b in json.loads(res)["benchmarks"]
           if b.get("aggregate_name") == "median"][0]
    print("| batch-1 call (one f64 column, standardize) | ns per call | over C++ |")
    print("|---|---:|---:|")
    print(f"| C++ `Kernel::run` (CPU time, median of {rounds}) | {cpp:.0f} | |")
    print(f"| Python `Kernel.run(dict, out=)` | {py_api:.0f} | +{py_api - cpp:.0f} |")
    print(f"| Python binding `Kernel._k.run(list, out)` | {py_raw:.0f} | "
          f"+{py_raw - cpp:.0f} |")
    print()


def churn_numba():
    import numba

    @numba.njit(cache=False)
    def churn(age, income, engagement, category, out):
        # examples/churn.json with docs/pipeline-semantics.md's rules: f64
        # arithmetic, one rounding to f32 at the store; NaN propagates, the
        # -1 sentinel of category is imputed to 1, unknown categories give
        # zeros.
        for i in range(age.shape[0]):
            out[i, 0] = (age[i] - 41.2) / 12.7
            out[i, 1] = (np.log(income[i]) - 10.8) / 0.9
            e = engagement[i]
            out[i, 2] = e if e != e else min(max(e, 0.0), 1.0)
            c = category[i]
            if c == -1:
                c = 1
            out[i, 3] = 1.0 if c == 0 else 0.0
            out[i, 4] = 1.0 if c == 1 else 0.0
            out[i, 5] = 1.0 if c == 2 else 0.0
    return churn


def churn(specjit, rows, rounds):
    import pandas as pd
    gen = load_module("gen_data", os.path.join(ROOT, "examples", "gen_data.py"))
    sk = load_module("peer_sklearn", os.path.join(ROOT, "bench", "peer_sklearn.py"))
    cols = gen.churn(np.random.default_rng(1), rows)
    data = {name: np.ascontiguousarray(v) for name, v in cols.items()}
    desc = os.path.join(ROOT, "examples", "churn.json")
    jit = specjit.compile(desc, specialize=True)
    interp = specjit.compile(desc, specialize=False)
    assert jit.backend == "jit", jit.fallback_reason
    out_j = np.empty((rows, 6), dtype=np.float32)
    out_i = np.empty((rows, 6), dtype=np.float32)
    out_n = np.empty((rows, 6), dtype=np.float32)
    frame = pd.DataFrame(data)
    ct = sk.churn_transformer().fit(frame)
    nb = churn_numba()
    t0 = time.perf_counter()
    nb(data["age"], data["income"], data["engagement"], data["category"], out_n)
    first = time.perf_counter() - t0
    fns = [lambda: jit.run(data, out=out_j), lambda: interp.run(data, out=out_i),
           lambda: ct.transform(frame),
           lambda: nb(data["age"], data["income"], data["engagement"], data["category"],
                      out_n)]
    t_jit, t_int, t_sk, t_nb = (ns * 1e-6 for ns in interleaved(fns, 1, rounds))
    np.testing.assert_array_equal(out_j, out_i)
    np.testing.assert_allclose(out_n, out_i, rtol=1e-6, atol=1e-6, equal_nan=True)
    ref = ct.transform(frame)
    finite = ~np.isnan(out_i[:, 0])
    np.testing.assert_allclose(np.asarray(ref)[finite, 3:], out_i[finite, 3:], atol=0)
    print(f"| churn pipeline, {rows} rows -> {rows} x 6 f32 | ms (best of {rounds}) | "
          "/ specjit JIT |")
    print("|---|---:|---:|")
    print(f"| specjit JIT, `Kernel.run(dict, out=)` | {t_jit:.2f} | 1.00x |")
    print(f"| specjit interpreter | {t_int:.2f} | {t_int / t_jit:.2f}x |")
    print(f"| scikit-learn ColumnTransformer.transform | {t_sk:.2f} | {t_sk / t_jit:.2f}x |")
    print(f"| numba @njit (compile {1e3 * first - t_nb:.0f} ms, not counted) | {t_nb:.2f} | "
          f"{t_nb / t_jit:.2f}x |")
    print()


def trees(specjit, models_dir, rounds):
    import xgboost as xgb
    model = os.path.join(models_dir, "xgb_500_d6.json")
    if not os.path.exists(model):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "train_tree_models.py"),
                        "--outdir", models_dir, "--models", "500x6"], check=True)
    x = np.fromfile(os.path.join(models_dir, "x_100k.f32"), dtype=np.float32)
    x = x.reshape(100000, 28)
    bst = xgb.Booster(model_file=model)
    bst.set_param({"nthread": 1})
    t0 = time.perf_counter()
    k = specjit.compile(specjit.from_xgboost(bst), specialize=True)
    compile_ms = 1e3 * (time.perf_counter() - t0)
    assert k.backend == "jit", k.fallback_reason
    data = {f"f{i}": np.ascontiguousarray(x[:, i]) for i in range(28)}
    one = {f"f{i}": np.ascontiguousarray(x[:1, i]) for i in range(28)}
    out = np.empty((100000, 1), dtype=np.float32)
    out1 = np.empty((1, 1), dtype=np.float32)
    x1 = x[:1]
    b1 = interleaved([lambda: k.run(one, out=out1), lambda: bst.inplace_predict(x1)], 2000,
                     rounds)
    bn = interleaved([lambda: k.run(data, out=out), lambda: bst.inplace_predict(x)], 1,
                     rounds)
    ref = bst.inplace_predict(x)
    k.run(data, out=out)
    err = float(np.max(np.abs(out[:, 0] - ref)))
    assert err <= 1e-6, err
    print(f"| 500 trees, depth 6 (compile {compile_ms:.0f} ms; max abs diff {err:.1e}) | "
          "specjit JIT | XGBoost inplace_predict (nthread=1) | XGBoost / specjit |")
    print("|---|---:|---:|---:|")
    print(f"| batch 1 (us per call) | {b1[0] / 1e3:.1f} | {b1[1] / 1e3:.1f} | "
          f"{b1[1] / b1[0]:.1f}x |")
    print(f"| 100,000 rows (ms) | {bn[0] / 1e6:.1f} | {bn[1] / 1e6:.1f} | "
          f"{bn[1] / bn[0]:.1f}x |")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--models-dir", default="/tmp/specjit-bench-models")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import specjit
    batch_one(specjit, args.build, args.rounds)
    churn(specjit, args.rows, args.rounds)
    trees(specjit, args.models_dir, args.rounds)


if __name__ == "__main__":
    main()
