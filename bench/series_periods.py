#!/usr/bin/env python3
"""Series windows against the period, side by side with pandas, in one run.

Usage (after scripts/build.sh; Debian's python3 with numpy and pandas):
    /usr/bin/python3 bench/series_periods.py [--build build] [--rows 1000000]
        [--rounds 5] [--periods 10,28,64,100,127,128,1000,10000,100000]

For each period: one descriptor per window op (sma, wma, lsma, kama) over
--rows random-walk prices (two decimals), compiled twice from Python
(specjit.compile with specialize=True, the JIT, and specialize=False, the
interpreter), and pandas' `Series.rolling(n).mean()` beside the sma. Every
figure is the median of --rounds rounds of process CPU time, the rounds
interleaved (each round runs every implementation once, in a rotated
order), in ns per row. Periods of 128 and more take exact rolling sums
(docs/series-semantics.md, "Long windows"), shorter ones recompute every
window; the sma is checked against pandas within 1e-9 relative and the JIT
against the interpreter bit for bit.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPS = ("sma", "wma", "lsma", "kama")


def descriptor(op, n):
    ind = {"name": op, "op": op, "input": "close", "period": n}
    if op == "kama":
        ind.update(fast=2, slow=30)
    return {"specjit": 1, "kind": "series", "name": "%s%d" % (op, n),
            "inputs": [{"name": "close", "type": "f64"}],
            "output": {"type": "f64"}, "indicators": [ind]}


def cpu_ns_per_row(fn, rows):
    t0 = time.process_time_ns()
    fn()
    return (time.process_time_ns() - t0) / rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--periods", default="10,28,64,100,127,128,1000,10000,100000")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import specjit

    rng = np.random.default_rng(7)
    close = np.round(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, args.rows))), 2)
    series = pd.Series(close)
    cols = {"close": close}
    periods = [int(p) for p in args.periods.split(",")]

    print("%d random-walk prices; ns per row, median of %d interleaved rounds "
          "(process CPU time); pandas %s" % (args.rows, args.rounds, pd.__version__))
    print()
    print("| period | sma JIT | sma interpreter | pandas rolling mean | pandas / JIT "
          "| wma JIT | wma interp. | lsma JIT | lsma interp. | kama JIT | kama interp. |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in periods:
        runs = {}  # name -> callable
        outs = {}
        for op in OPS:
            desc = descriptor(op, n)
            for tag, spec in (("jit", True), ("interp", False)):
                k = specjit.compile(desc, specialize=spec)
                out = np.empty((args.rows, 1))
                outs[(op, tag)] = out
                runs[(op, tag)] = (lambda k=k, out=out: k.run(cols, out=out))
        pandas_out = {}
        runs[("sma", "pandas")] = lambda: pandas_out.__setitem__(
            "sma", series.rolling(n).mean().to_numpy())
        times = {key: [] for key in runs}
        keys = list(runs)
        for r in range(args.rounds):
            order = keys[r % len(keys):] + keys[:r % len(keys)]
            for key in order:
                times[key].append(cpu_ns_per_row(runs[key], args.rows))
        med = {key: statistics.median(v) for key, v in times.items()}
        for op in OPS:
            a, b = outs[(op, "jit")], outs[(op, "interp")]
            if not np.array_equal(a, b, equal_nan=True):
                raise SystemExit("%s(%d): the JIT and the interpreter differ" % (op, n))
        ref = pandas_out["sma"]
        got = outs[("sma", "jit")][:, 0]
        ok = np.isnan(ref) == np.isnan(got)
        fin = ~np.isnan(ref)
        if not ok.all() or not np.allclose(got[fin], ref[fin], rtol=1e-9, atol=0):
            raise SystemExit("sma(%d): specjit and pandas differ" % n)
        print("| %d | %.2f | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
            n, med[("sma", "jit")], med[("sma", "interp")], med[("sma", "pandas")],
            med[("sma", "pandas")] / med[("sma", "jit")],
            med[("wma", "jit")], med[("wma", "interp")],
            med[("lsma", "jit")], med[("lsma", "interp")],
            med[("kama", "jit")], med[("kama", "interp")]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
