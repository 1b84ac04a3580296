#!/usr/bin/python3
"""Compile time and run time of the pipeline examples at each LLVM
optimization level (CompileOptions::optLevel), side by side in one run.

    /usr/bin/python3 bench/opt_levels.py [--build build] [--rounds 7] [--rows 1000000]

Compile: the fastest of 5 `specjit compile DESC --timing --opt=N` runs
(in-process total, cold: no cache). Run: CPU time of Kernel.run over the
same generated columns, the levels interleaved round by round, median of
the rounds. Prints a markdown table; ratios are against -O3, the default.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
LEVELS = (3, 2, 1)


def columns(desc, rows, rng):
    out = {}
    for inp in desc["inputs"]:
        t = inp.get("type", "f64")
        if t in ("f64", "f32"):
            out[inp["name"]] = (rng.normal(size=rows) * 10 + 40).astype(np.float64 if t == "f64" else np.float32)
        elif t in ("i64", "i32"):
            out[inp["name"]] = rng.integers(0, 5, size=rows).astype(np.int64 if t == "i64" else np.int32)
        elif t == "bool":
            out[inp["name"]] = rng.integers(0, 2, size=rows).astype(bool)
        else:
            return None  # string columns: not generated here
    return out


def compile_ms(build, path, level):
    best = float("inf")
    for _ in range(5):
        done = subprocess.run([os.path.join(build, "bin", "specjit"), "compile", path, "--timing",
                               "--opt=%d" % level], capture_output=True, text=True)
        text = done.stdout + done.stderr
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "total":
                best = min(best, float(parts[1]))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import specjit

    rng = np.random.default_rng(0)
    print("| descriptor | level | compile ms | vs -O3 | run ms (%d rows) | vs -O3 |" % args.rows)
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("churn", "housing"):
        path = os.path.join(ROOT, "examples", name + ".json")
        text = open(path).read()
        data = columns(json.loads(text), args.rows, rng)
        kernels = {lv: specjit.compile(text, opt_level=lv, use_cache=False) for lv in LEVELS}
        runs = {lv: [] for lv in LEVELS}
        for _ in range(args.rounds):
            for lv in LEVELS:
                t0 = time.process_time()
                kernels[lv].run(data)
                runs[lv].append(time.process_time() - t0)
        comp = {lv: compile_ms(args.build, path, lv) for lv in LEVELS}
        run = {lv: sorted(runs[lv])[len(runs[lv]) // 2] * 1e3 for lv in LEVELS}
        for lv in LEVELS:
            print("| %s | -O%d | %.1f | %.2fx | %.2f | %.2fx |" % (
                name, lv, comp[lv], comp[lv] / comp[3], run[lv], run[lv] / run[3]))


if __name__ == "__main__":
    main()
