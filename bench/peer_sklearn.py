#!/usr/bin/env python3
"""The churn pipeline in scikit-learn versus specjit, on the same data.

Usage (after scripts/build.sh; run with Debian's python3):
    /usr/bin/python3 bench/peer_sklearn.py [--rows 1000000] [--build build]

Generates the churn CSV once, times scikit-learn's ColumnTransformer.transform
(fitted on the same data; best of 5) on the loaded DataFrame, then runs
`specjit run --compare` on the same file in the same script run and reports
the ratios. Loading the CSV is not timed on either side.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def churn_transformer():
    clip = FunctionTransformer(lambda x: np.clip(x, 0.0, 1.0))
    return ColumnTransformer([
        ("age", StandardScaler(), ["age"]),
        ("income", Pipeline([("log", FunctionTransformer(np.log)),
                             ("scale", StandardScaler())]), ["income"]),
        ("engagement", clip, ["engagement"]),
        ("category", Pipeline([
            ("impute", SimpleImputer(missing_values=-1, strategy="most_frequent")),
            ("onehot", OneHotEncoder(categories=[[0, 1, 2]], handle_unknown="ignore",
                                     sparse_output=False, dtype=np.float32)),
        ]), ["category"]),
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()

    data = os.path.join(args.build, "data", f"churn-{args.rows}.csv")
    os.makedirs(os.path.dirname(data), exist_ok=True)
    if not os.path.exists(data):
        subprocess.run([sys.executable, os.path.join(ROOT, "examples", "gen_data.py"),
                        "churn", "--rows", str(args.rows), "--out", data], check=True)
    df = pd.read_csv(data, dtype={"age": np.int64, "category": np.int64})
    ct = churn_transformer().fit(df)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        out = ct.transform(df)
        best = min(best, time.perf_counter() - t0)
    sk_ns = best * 1e9 / len(df)
    assert out.shape == (len(df), 6)

    res = subprocess.run([os.path.join(args.build, "bin", "specjit"), "run",
                          os.path.join(ROOT, "examples", "churn.json"), "--input", data,
                          "--compare"], check=True, capture_output=True, text=True).stdout
    jit_ns = float(re.search(r"run [0-9.]+ ms \(([0-9.]+) ns/row", res).group(1))
    int_ns = float(re.search(r"interpreter [0-9.]+ ms \(([0-9.]+) ns/row", res).group(1))
    print(f"churn, {len(df)} rows (scikit-learn {sklearn.__version__}, numpy {np.__version__})")
    print(f"  scikit-learn ColumnTransformer.transform {sk_ns:8.2f} ns/row")
    print(f"  specjit interpreter                      {int_ns:8.2f} ns/row")
    print(f"  specjit JIT                              {jit_ns:8.2f} ns/row")
    print(f"  JIT speedup over scikit-learn: {sk_ns / jit_ns:.1f}x; "
          f"over the interpreter: {int_ns / jit_ns:.1f}x")


if __name__ == "__main__":
    main()
