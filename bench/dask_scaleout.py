"""Rows per second of specjit.dask.map_partitions on a local cluster of 1
and of 2 worker processes, side by side in one run (docs/scale-out.md).

    PYTHONPATH=build/python /usr/bin/python3 bench/dask_scaleout.py \
        [--rows 8000000] [--partitions 32] [--reps 3] [--desc examples/churn.json]

Each partition's data is generated in the worker that holds it and kept
there (persist), so the timed part is the scheduler plus the kernel runs,
not the transfer of inputs from this process. A first, untimed pass makes
every worker compile the descriptor; the figure is the best of --reps
passes (rows / wall seconds of one whole pass). The machine's load is
printed with the figures: on a shared machine they move with it.
"""

import argparse
import json
import os
import time

import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd

import specjit
import specjit.dask

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def churn_partition(spec):
    """One partition of churn-like inputs (examples/churn.json)."""
    start, n = spec
    rng = np.random.default_rng(start)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n).astype(np.int64),
        "income": rng.lognormal(10.8, 0.9, n),
        "engagement": rng.random(n) * 1.4 - 0.2,
        "category": rng.integers(-1, 3, n).astype(np.int64),
    }, index=pd.RangeIndex(start, start + n))


def measure(workers, desc, rows, partitions, reps):
    per = rows // partitions
    specs = [(i * per, per) for i in range(partitions)]
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        data = dd.from_map(churn_partition, specs).persist()
        distributed.wait(data)
        best = float("inf")
        for rep in range(reps + 1):
            t0 = time.perf_counter()
            out = specjit.dask.map_partitions(data, desc).persist()
            distributed.wait(out)
            dt = time.perf_counter() - t0
            if rep:  # the first pass compiles in every worker
                best = min(best, dt)
            del out
        caches = client.run(specjit.dask.cache_info)
    return per * partitions / best, caches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--desc", default=os.path.join(ROOT, "examples", "churn.json"))
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--partitions", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()

    results = {}
    for workers in (1, 2):
        rate, caches = measure(workers, args.desc, args.rows, args.partitions, args.reps)
        results[workers] = rate
        compiles = sorted(c["compiles"] for c in caches.values())
        print("%d worker%s: %6.1f M rows/s  (compiles per worker: %s)"
              % (workers, "" if workers == 1 else "s", rate / 1e6, compiles))
    print("speedup 2 vs 1: %.2fx" % (results[2] / results[1]))
    print(json.dumps({"desc": os.path.basename(args.desc), "rows": args.rows,
                      "partitions": args.partitions, "cpus": os.cpu_count(),
                      "load_avg": os.getloadavg(),
                      "rows_per_s": {str(k): v for k, v in results.items()}}))


if __name__ == "__main__":
    main()
