#!/usr/bin/env python3
"""Compile time and run time of lookups against the key count.

Generates pipeline descriptors of one label_encode or one_hot step over a
string or an i64 column with 10 .. 100,000 keys and runs
`specjit bench DESC --json` on each, so compile ms and JIT / interpreter
ns per row come from one run side by side. Integer keys are sparse (the
JIT's binary search, the interpreter's sorted mode); the data
`specjit bench` generates draws 98% of the values from the keys.

    /usr/bin/python3 bench/lookup_bench.py [--specjit build/bin/specjit]
        [--keys 10,100,1000,10000,100000] [--rows 200000] [--markdown]

one_hot writes a row of `keys` columns, so its rows are capped at
2e7 / keys (the output buffers stay under ~160 MB).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile


def descriptor(op, kind, n):
    if kind == "string":
        keys = ["cat_%d_%s" % (i, "x" * (i % 7)) for i in range(n)]
        column = {"name": "c", "type": "string"}
    else:
        keys = [i * 7919 + 13 for i in range(n)]
        column = {"name": "c", "type": "i64", "missing": -1}
    step = {"op": op, "column": "c"}
    if op == "one_hot":
        step["categories"] = keys
    else:
        step["mapping"] = {str(k): 0.5 * j for j, k in enumerate(keys)}
        step["default"] = -1.0
    return {"specjit": 1, "kind": "pipeline", "inputs": [column],
            "output": {"type": "f32"}, "steps": [step]}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specjit", default=os.path.join(here, "..", "build", "bin", "specjit"))
    ap.add_argument("--keys", default="10,100,1000,10000,100000")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--ops", default="label_encode,one_hot")
    ap.add_argument("--kinds", default="string,i64")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = ap.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for op in args.ops.split(","):
            for kind in args.kinds.split(","):
                for n in (int(k) for k in args.keys.split(",")):
                    rows = args.rows if op == "label_encode" else max(100, min(args.rows, 20_000_000 // n))
                    path = os.path.join(tmp, "%s_%s_%d.json" % (op, kind, n))
                    with open(path, "w") as f:
                        json.dump(descriptor(op, kind, n), f)
                    proc = subprocess.run([args.specjit, "bench", path, "--rows", str(rows), "--json"],
                                          capture_output=True, text=True)
                    if proc.returncode != 0:
                        print("%s %s %d: %s" % (op, kind, n, proc.stderr.strip()), file=sys.stderr)
                        continue
                    r = json.loads(proc.stdout)
                    r.update(op=op, kind=kind, keys=n)
                    results.append(r)
                    if not args.markdown:
                        print("%-12s %-6s %7d keys  rows %7d  compile %8.1f ms  jit %9.1f ns/row  "
                              "interpreter %9.1f ns/row  speedup %5.2fx" % (
                                  op, kind, n, r["rows"], r["compile_ms"], r["jit_ns_per_row"],
                                  r["interpreter_ns_per_row"], r["speedup"]), flush=True)
    if args.markdown:
        print("| op | keys | type | rows | compile ms | JIT ns/row | interpreter ns/row | speedup |")
        print("|---|---:|---|---:|---:|---:|---:|---:|")
        for r in results:
            print("| %s | %d | %s | %d | %.1f | %.1f | %.1f | %.2fx |" % (
                r["op"], r["keys"], r["kind"], r["rows"], r["compile_ms"], r["jit_ns_per_row"],
                r["interpreter_ns_per_row"], r["speedup"]))


if __name__ == "__main__":
    main()
