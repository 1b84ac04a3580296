#!/usr/bin/env python3
"""The persistent cache: loading a kernel from disk against compiling it.

Usage (after scripts/build.sh; Debian's python3 with numpy):
    /usr/bin/python3 bench/cache_bench.py [--build build] [--work DIR]
        [--rounds 7] [--trees 1000] [--depth 8] [--cases churn,trees]

Two kernels: the churn pipeline (examples/churn.json) and a tree ensemble
of TREES full trees of depth DEPTH over 28 f32 features with seeded random
splits (written into --work), the size of a trained XGBoost model.

1. In process (the Python module): a cold compile (use_cache=False, which
   also leaves the disk alone) against a load from a warm disk cache
   (clear_cache(), then compile with the disk cache), interleaved rounds;
   the kernel's compile_ms (jit::compile's own clock) and the wall time of
   the call. The loaded kernel's output is checked to be identical.
2. A second process: `specjit run DESC --input 1000 rows` timed from start
   to exit, with a warm cache directory against an empty one (each cold run
   gets a fresh directory, so it compiles and stores), interleaved rounds.

Prints medians and ratios as a markdown table (docs/benchmarks.md,
"Persistent cache").
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median(xs):
    return statistics.median(xs)


def tree_descriptor(args):
    """A model of TREES full trees of depth DEPTH over 28 f32 features, with
    random splits (seeded): the size of a trained XGBoost ensemble, without
    the training."""
    name = "trees_%d_d%d" % (args.trees, args.depth)
    path = os.path.join(args.work, name + ".json")
    if os.path.exists(path):
        return path
    rng = np.random.default_rng(20241202)
    features = 28
    internal = 2 ** args.depth - 1
    nodes = 2 * internal + 1
    trees = []
    for _ in range(args.trees):
        feature = [int(f) for f in rng.integers(0, features, size=internal)] + [-1] * (internal + 1)
        threshold = [round(float(t), 4) for t in rng.normal(size=internal)] + [0.0] * (internal + 1)
        left = [2 * i + 1 for i in range(internal)] + [-1] * (internal + 1)
        right = [2 * i + 2 for i in range(internal)] + [-1] * (internal + 1)
        default_left = [int(b) for b in rng.integers(0, 2, size=nodes)]
        leaf = [0.0] * internal + [round(float(v), 5) for v in rng.normal(scale=0.05, size=internal + 1)]
        trees.append({"group": 0, "feature": feature, "threshold": threshold, "left": left,
                      "right": right, "default_left": default_left, "leaf": leaf})
    desc = {"specjit": 1, "kind": "model", "name": name,
            "inputs": [{"name": "f%d" % i, "type": "f32"} for i in range(features)],
            "model": {"type": "tree_ensemble", "num_outputs": 1, "float32": True,
                      "base_score": [0.0], "link": "logistic", "trees": trees},
            "output": {"type": "f32", "columns": ["p"]}}
    with open(path, "w") as f:
        json.dump(desc, f)
    return path


def columns_for(desc, rows, rng):
    """Random input columns for a descriptor's declared inputs."""
    cols = {}
    for inp in desc["inputs"]:
        t = inp.get("type", "f64")
        if t in ("i64", "i32"):
            cols[inp["name"]] = rng.integers(-1, 4, size=rows).astype(np.int64 if t == "i64" else np.int32)
        elif t == "bool":
            cols[inp["name"]] = rng.integers(0, 2, size=rows).astype(np.bool_)
        else:
            x = rng.normal(size=rows) * 10 + 20
            cols[inp["name"]] = x.astype(np.float32 if t == "f32" else np.float64)
    return cols


def write_csv(path, cols):
    names = list(cols)
    rows = len(cols[names[0]])
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for r in range(rows):
            f.write(",".join(repr(cols[n][r].item()) for n in names) + "\n")


def in_process(specjit, desc_text, cols, rounds):
    """Cold compile against disk load, in this process (a warm-up first)."""
    specjit.clear_cache()
    first = specjit.compile(desc_text, specialize=True, disk_cache=True)  # stores
    assert first.backend == "jit", first.fallback_reason
    ref = first.run(cols)
    cold_ms, cold_wall, warm_ms, warm_wall = [], [], [], []
    hits0 = specjit.disk_cache_stats()["hits"]
    for _ in range(rounds):
        t0 = time.perf_counter()
        k = specjit.compile(desc_text, specialize=True, use_cache=False)
        cold_wall.append((time.perf_counter() - t0) * 1e3)
        cold_ms.append(k.compile_ms)
        specjit.clear_cache()
        t0 = time.perf_counter()
        k = specjit.compile(desc_text, specialize=True)
        warm_wall.append((time.perf_counter() - t0) * 1e3)
        warm_ms.append(k.compile_ms)
        out = k.run(cols)
        assert np.array_equal(out.view(np.uint8), ref.view(np.uint8)), "disk kernel differs"
    # Loads back to back, with no compile in between to evict caches.
    steady = []
    for _ in range(10 * rounds):
        specjit.clear_cache()
        steady.append(specjit.compile(desc_text, specialize=True).compile_ms)
    # What every compile() pays before any code: the interpreter (the
    # fallback) is always built.
    interp = [specjit.compile(desc_text, specialize=False, use_cache=False).compile_ms
              for _ in range(rounds)]
    hits = specjit.disk_cache_stats()["hits"] - hits0
    assert hits == 11 * rounds, "expected %d disk hits, got %d" % (11 * rounds, hits)
    return {"cold_ms": median(cold_ms), "cold_wall_ms": median(cold_wall),
            "disk_ms": median(warm_ms), "disk_wall_ms": median(warm_wall),
            "disk_steady_ms": median(steady), "interpreter_ms": median(interp)}


def second_process(specjit_bin, desc_path, csv_path, work, rounds):
    """`specjit run` start to exit: a warm cache directory against an empty one."""
    warm_dir = os.path.join(work, "warm-cache")
    shutil.rmtree(warm_dir, ignore_errors=True)
    env = dict(os.environ)
    env.pop("SPECJIT_CACHE", None)

    def run(cache_dir):
        e = dict(env, SPECJIT_CACHE_DIR=cache_dir)
        t0 = time.perf_counter()
        p = subprocess.run([specjit_bin, "run", desc_path, "--input", csv_path],
                           env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = (time.perf_counter() - t0) * 1e3
        if p.returncode != 0 or "backend jit" not in p.stdout:
            raise SystemExit("specjit run failed: " + p.stderr + p.stdout)
        return wall

    run(warm_dir)  # fills the warm directory
    cold, warm = [], []
    for i in range(rounds):
        cold_dir = tempfile.mkdtemp(prefix="cold-cache-", dir=work)
        cold.append(run(cold_dir))
        shutil.rmtree(cold_dir)
        warm.append(run(warm_dir))
    return {"cold_ms": median(cold), "warm_ms": median(warm)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "specjit-cache-bench"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--trees", type=int, default=1000)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--cases", default="churn,trees", help="churn, trees or both")
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    # This process's cache: a directory of its own, never the user's.
    os.environ["SPECJIT_CACHE_DIR"] = os.path.join(args.work, "inproc-cache")
    shutil.rmtree(os.environ["SPECJIT_CACHE_DIR"], ignore_errors=True)
    sys.path.insert(0, os.path.join(args.build, "python"))
    import specjit

    specjit_bin = os.path.join(args.build, "bin", "specjit")
    rng = np.random.default_rng(7)
    wanted = args.cases.split(",")
    cases = []
    if "churn" in wanted:
        cases.append(("churn pipeline", os.path.join(ROOT, "examples", "churn.json")))
    if "trees" in wanted:
        cases.append(("%d trees, depth %d" % (args.trees, args.depth),
                      tree_descriptor(args)))
    results = []
    for label, path in cases:
        with open(path) as f:
            text = f.read()
        desc = json.loads(text)
        cols = columns_for(desc, 1000, rng)
        csv_path = os.path.join(args.work, os.path.basename(path) + ".csv")
        write_csv(csv_path, cols)
        r = {"case": label,
             "in_process": in_process(specjit, text, cols, args.rounds),
             "second_process": second_process(specjit_bin, path, csv_path, args.work, args.rounds)}
        results.append(r)
        print(json.dumps(r), file=sys.stderr)

    print("| kernel | cold compile (ms) | disk load after a compile (ms) | ratio "
          "| disk load, back to back (ms) | ratio | `specjit run`, empty cache (ms) "
          "| warm cache (ms) | ratio | of a load: the interpreter (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ip, sp = r["in_process"], r["second_process"]
        print("| %s | %.2f | %.3f | %.0fx | %.3f | %.0fx | %.1f | %.1f | %.1fx | %.3f |" % (
            r["case"], ip["cold_ms"], ip["disk_ms"], ip["cold_ms"] / ip["disk_ms"],
            ip["disk_steady_ms"], ip["cold_ms"] / ip["disk_steady_ms"],
            sp["cold_ms"], sp["warm_ms"], sp["cold_ms"] / sp["warm_ms"], ip["interpreter_ms"]))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
