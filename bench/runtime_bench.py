#!/usr/bin/env python3
"""The runtime's figures, side by side in one run: tiered vs sync time to the
first result, the promotion, the longest caller stall while a background
compile runs, and the per-call cost of the stats.

Usage (after scripts/build.sh; Debian's python3 with python3-xgboost):
    /usr/bin/python3 bench/runtime_bench.py [--build build] [--rounds 5]
        [--models-dir /tmp/specjit-bench-models]

For examples/churn.json (100,000 rows) and a 1000-tree depth-8 XGBoost model
(bench/train_tree_models.py trains it once into --models-dir; 10,000 rows),
`specjit bench DESC --tiered --json` runs --rounds times, alternating the
descriptors; the table shows medians. The first result of a tiered kernel is
one interpreter run (plus the compile() call); sync waits for the whole
compile before its first (compiled) run. specjit-runtime-bench (Google
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


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--models-dir", default="/tmp/specjit-bench-models")
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

    print("| kernel | rows | interpreter run (ms) | tiered: compile() (ms) | "
          "tiered: first result (ms) | "
          "tiered overhead (ms) | sync: first result (ms) | sync / tiered | "
          "tiered: compiled after (ms) | promoted | median call (ms) | "
          "longest call while compiling (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, _, rows in cases:
        interp = med(name, "interpreter_ns_per_row") * rows / 1e6
        first = med(name, "first_result_ms")
        sync = med(name, "sync_first_result_ms")
        promoted = sum(r["promoted"] for r in results[name])
        print(f"| {name} | {rows} | {interp:.2f} | {med(name, 'tiered_compile_call_ms'):.2f} | "
              f"{first:.2f} | {first - interp:+.2f} | "
              f"{sync:.1f} | {sync / first:.1f}x | {med(name, 'promotion_ms'):.1f} | "
              f"{promoted}/{len(results[name])} | {med(name, 'median_call_ms'):.3f} | "
              f"{med(name, 'max_call_ms_while_compiling'):.3f} |")

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


if __name__ == "__main__":
    main()
