#!/usr/bin/env python3
"""The runtime's figures, side by side in one run: tiered vs sync time to the
first result, the promotion, the longest caller stall while a background
compile runs, and the per-call cost of the stats.

Usage (after scripts/build.sh; Debian's python3 with python3-xgboost):
    /usr/bin/python3 bench/runtime_bench.py [--build build] [--rounds 5]
        [--models-dir /tmp/specjit-bench-models] [--callgrind]

For examples/churn.json (100,000 rows) and a 1000-tree depth-8 XGBoost model
(bench/train_tree_models.py trains it once into --models-dir; 10,000 rows),
`specjit bench DESC --tiered --json` runs --rounds times, alternating the
descriptors; the table shows medians. The first result of a tiered kernel is
one interpreter run (plus the compile() call), held against a kernel that
never compiles (specialize off: compile() and one interpreter run; the
overhead is the median of 5 pairs' differences, in alternating order); sync
waits for the whole compile before its first (compiled) run. While the
tiered kernel compiles in the background the caller calls with batches of
about 0.1 ms on the interpreter ("stall call rows"); the longest of those
calls is held against the longest of as many calls with nothing compiling
(the machine's own jitter). specjit-runtime-bench (Google
Benchmark, CPU time) gives the stats' cost per call.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def tree_descriptor(build, models_dir):
    model = os.path.join(models_dir, "xgb_1000_d8.json")
    if not os.path.exists(model):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "train_tree_models.py"),
                        "--outdir", models_dir, "--models", "1000x8"], check=True)
    desc = os.path.join(models_dir, "xgb_1000_d8.descriptor.json")
    if not os.path.exists(desc):
        text = subprocess.run([os.path.join(build, "bin", "specjit"), "import", "xgboost",
                               model], check=True, capture_output=True, text=True).stdout
        with open(desc, "w") as f:
            f.write(text)
    return desc


def callgrind_overhead(specjit, tree_desc, models_dir):
    """Instructions of `specjit run` under callgrind, --tiered against
    --no-specialize (one call: the default policy compiles after 3), for
    churn (100,000 generated rows) and the tree model (10,000 eval rows)."""
    import numpy as np
    churn_csv = os.path.join(models_dir, "churn_100k.csv")
    if not os.path.exists(churn_csv):
        subprocess.run([sys.executable, os.path.join(ROOT, "examples", "gen_data.py"), "churn",
                        "--rows", "100000", "--out", churn_csv], check=True)
    trees_csv = os.path.join(models_dir, "trees_10k.csv")
    if not os.path.exists(trees_csv):
        x = np.fromfile(os.path.join(models_dir, "x_100k.f32"), dtype=np.float32)
        x = x.reshape(100000, 28)[:10000]
        with open(trees_csv, "w") as f:
            f.write(",".join("f%d" % i for i in range(28)) + "\n")
            for r in x:
                f.write(",".join("" if np.isnan(v) else repr(float(v)) for v in r) + "\n")
    print()
    print("| kernel | interpreter only (instructions) | tiered (instructions) | "
          "tiered - interpreter only |")
    print("|---|---|---|---|")
    env = dict(os.environ, SPECJIT_CACHE="0")
    for name, desc, csv in [("churn pipeline, 100,000 rows",
                             os.path.join(ROOT, "examples", "churn.json"), churn_csv),
                            ("1000 trees, depth 8, 10,000 rows", tree_desc, trees_csv)]:
        counts = []
        for flag in ("--no-specialize", "--tiered"):
            out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                  specjit, "run", desc, "--input", csv, flag, "--json"],
                                 env=env, check=True, capture_output=True, text=True).stderr
            counts.append(int(out.split("Collected :")[1].split()[0]))
        d = counts[1] - counts[0]
        print(f"| {name} | {counts[0]:,} | {counts[1]:,} | {d:+,} ({100.0 * d / counts[0]:.4f}%) |")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--models-dir", default="/tmp/specjit-bench-models")
    ap.add_argument("--callgrind", action="store_true",
                    help="also count the tiered first result's instructions over an "
                         "interpreter-only run under callgrind (minutes)")
    args = ap.parse_args()
    specjit = os.path.join(args.build, "bin", "specjit")
    cases = [("churn pipeline", os.path.join(ROOT, "examples", "churn.json"), 100000),
             ("1000 trees, depth 8", tree_descriptor(args.build, args.models_dir), 10000)]
    results = {name: [] for name, _, _ in cases}
    for _ in range(args.rounds):
        for name, desc, rows in cases:
            results[name].append(run_json([specjit, "bench", desc, "--tiered", "--json",
                                           "--rows", str(rows), "--reps", "3"]))

    def med(name, key):
        return statistics.median(r[key] for r in results[name])

    print("| kernel | rows | interpreter only: first result (ms) | "
          "tiered: compile() (ms) | tiered: first result (ms) | "
          "tiered - interpreter only (ms) | sync: first result (ms) | sync / tiered | "
          "tiered: compiled after (ms) | promoted | stall call rows | median call (ms) | "
          "longest call while compiling (ms) | longest call, nothing compiling (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, _, rows in cases:
        first = med(name, "first_result_ms")
        sync = med(name, "sync_first_result_ms")
        promoted = sum(r["promoted"] for r in results[name])
        print(f"| {name} | {rows} | {med(name, 'interpreter_first_result_ms'):.2f} | "
              f"{med(name, 'tiered_compile_call_ms'):.2f} | "
              f"{first:.2f} | {med(name, 'tiered_overhead_ms'):+.2f} | "
              f"{sync:.1f} | {sync / first:.1f}x | {med(name, 'promotion_ms'):.1f} | "
              f"{promoted}/{len(results[name])} | {results[name][0]['stall_call_rows']} | "
              f"{med(name, 'median_call_ms'):.3f} | "
              f"{med(name, 'max_call_ms_while_compiling'):.3f} | "
              f"{med(name, 'max_call_ms_interpreter_alone'):.3f} |")

    bench = os.path.join(args.build, "bin", "specjit-runtime-bench")
    out = subprocess.run([bench, "--benchmark_format=json", "--benchmark_repetitions=5",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    cpu = {b["run_name"]: b["cpu_time"] for b in json.loads(out)["benchmarks"]
           if b.get("aggregate_name") == "median"}
    print()
    print("| per call (CPU ns, median of 5) | |")
    print("|---|---|")
    print(f"| stats: counted call - uncounted call | "
          f"{cpu['BM_CallCounted'] - cpu['BM_CallUncounted']:.1f} |")
    print(f"| Kernel::run of one row - the entry point called directly | "
          f"{cpu['BM_RunOneRow'] - cpu['BM_EntryOneRow']:.1f} |")
    if args.callgrind:
        callgrind_overhead(specjit, cases[1][1], args.models_dir)


if __name__ == "__main__":
    main()
