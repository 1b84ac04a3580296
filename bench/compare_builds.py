#!/usr/bin/env python3
"""Compares the Google Benchmark binaries of two builds side by side.

    /usr/bin/python3 bench/compare_builds.py --old OLD_BUILD --new build \\
        [--rounds 5] [--bench churn,model,families] [--filter REGEX]

Runs each benchmark binary (bin/specjit-<name>-bench) of both builds in
interleaved rounds (old, new, then new, old, ...), one repetition per run,
and prints per benchmark the median CPU time of each build and new / old.
Use it to show that a change leaves run time and compile time where they
were: the machines are shared and noisy, so only the interleaved medians
mean anything, and ratios within 0.95-1.05 are noise here.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run_once(build, bench, extra):
    exe = os.path.join(build, "bin", "specjit-%s-bench" % bench)
    out = subprocess.run([exe, "--benchmark_format=json", "--benchmark_repetitions=1"] + extra,
                         check=True, capture_output=True, text=True).stdout
    times = {}
    if not out.strip():  # the filter matched nothing in this binary
        return times
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        times[b["run_name"]] = b["cpu_time"] * scale
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="the build directory before the change")
    ap.add_argument("--new", required=True, help="the build directory after it")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bench", default="churn,model,families")
    ap.add_argument("--filter", default="", help="--benchmark_filter for every binary")
    args = ap.parse_args()
    extra = ["--benchmark_filter=" + args.filter] if args.filter else []

    samples = {}  # (bench, name) -> {"old": [...], "new": [...]}
    for r in range(args.rounds):
        order = [("old", args.old), ("new", args.new)]
        if r % 2:
            order.reverse()
        for bench in args.bench.split(","):
            for label, build in order:
                for name, t in run_once(build, bench, extra).items():
                    samples.setdefault((bench, name), {"old": [], "new": []})[label].append(t)
        print("round %d of %d done" % (r + 1, args.rounds), file=sys.stderr)

    print("| benchmark | old (median CPU ns) | new (median CPU ns) | new / old |")
    print("|---|---:|---:|---:|")
    ratios = []
    for (bench, name), s in samples.items():
        if not s["old"] or not s["new"]:
            continue
        old, new = statistics.median(s["old"]), statistics.median(s["new"])
        if old <= 0:
            print("| %s/%s | %.0f | %.0f | - |" % (bench, name, old, new))
            continue
        ratios.append(new / old)
        print("| %s/%s | %.0f | %.0f | %.3f |" % (bench, name, old, new, new / old))
    if ratios:
        print("\n%d benchmarks, %d rounds: new / old median %.3f, range %.3f-%.3f" %
              (len(ratios), args.rounds, statistics.median(ratios), min(ratios), max(ratios)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
