#!/usr/bin/env python3
"""Cold compile time and run time of the examples, for one build or two side by side.

Usage (after scripts/build.sh):
    /usr/bin/python3 bench/compile_latency.py [--builds build[,OTHER/build]]
        [--examples churn,housing,...] [--rounds 5]

Each round runs `specjit bench examples/NAME.json --json` (the persistent
cache off) once per example and build, the builds in alternating order so
that a slow spell of the shared machine falls on both. Each such run
reports the median of 5 cold compiles in a fresh process's JIT
(compile_ms: wall time, descriptor to linked kernel) and the best of 7
runs over 1M generated rows (jit_ns_per_row). The table gives the median
over the rounds of each, and with two builds the second's figures as
ratios to the first's (so "compile 0.60x" is a compile 40% shorter).
"""
import argparse
import json
import os
import statistics
import subprocess

from run_benchmarks import cpu_name  # bench/, the script's own directory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_EXAMPLES = ("churn,housing,retail_strings,needs_rules,model_logistic,model_mlp,"
                    "model_trees,strategy")


def bench(build, name):
    out = subprocess.run([os.path.join(build, "bin", "specjit"), "bench",
                          os.path.join(ROOT, "examples", name + ".json"), "--json"],
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, SPECJIT_CACHE="0")).stdout
    r = json.loads(out)
    return r["compile_ms"], r["jit_ns_per_row"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builds", default=os.path.join(ROOT, "build"),
                    help="one build directory, or two separated by a comma (old,new)")
    ap.add_argument("--examples", default=DEFAULT_EXAMPLES)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    builds = args.builds.split(",")
    names = args.examples.split(",")
    compile_ms = {(b, n): [] for b in builds for n in names}
    run_ns = {(b, n): [] for b in builds for n in names}
    for r in range(args.rounds):
        order = builds if r % 2 == 0 else builds[::-1]
        for n in names:
            for b in order:
                c, t = bench(b, n)
                compile_ms[b, n].append(c)
                run_ns[b, n].append(t)
    print("%s, %d cores; median of %d interleaved rounds" %
          (cpu_name(), os.cpu_count(), args.rounds))
    print()
    if len(builds) == 1:
        print("| descriptor | cold compile ms | run ns/row |")
        print("|---|---:|---:|")
        for n in names:
            b = builds[0]
            print("| %s | %.1f | %.2f |" % (n, statistics.median(compile_ms[b, n]),
                                           statistics.median(run_ns[b, n])))
        return
    old, new = builds[0], builds[1]
    print("| descriptor | compile ms (old) | compile ms (new) | new/old | run ns/row (old) "
          "| run ns/row (new) | new/old |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in names:
        co, cn = statistics.median(compile_ms[old, n]), statistics.median(compile_ms[new, n])
        ro, rn = statistics.median(run_ns[old, n]), statistics.median(run_ns[new, n])
        print("| %s | %.1f | %.1f | %.2fx | %.2f | %.2f | %.2fx |" %
              (n, co, cn, cn / co, ro, rn, rn / ro))


if __name__ == "__main__":
    main()
