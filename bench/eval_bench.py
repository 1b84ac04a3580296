#!/usr/bin/python3
"""Every binary metric over 1M rows: specjit's jit::evaluate with the
compiled metrics kernel, with the generic code, and scikit-learn's
sklearn.metrics, side by side in one run.

Usage (after scripts/build.sh; run with Debian's python3):
    /usr/bin/python3 bench/eval_bench.py [--rows 1000000] [--rounds 7]
                                         [--build build] [--csv]

Generates one binary data set (probabilities uniform in [0, 1), labels
drawn from them; fixed seed) and writes it as raw f64 files. Three metric
sets are measured: all ten binary metrics (accuracy, precision, recall,
f1, their macro forms, roc_auc, log_loss, the confusion matrix); the same
without roc_auc (the metrics the compiled pass computes alone; roc_auc's
sort is shared C++ on both specjit backends); and the counting metrics
alone (neither roc_auc nor log_loss). Each round runs, interleaved,
for each set: specjit-eval-bench with the compiled metrics kernel (`jit`),
then with the generic code (`generic`) -- jit::evaluate computing the whole
set in one call, timed inside the process around evaluate only, after one
untimed call that compiles the kernel -- then scikit-learn computing the
same metrics with one sklearn.metrics call per metric on numpy arrays
already in memory (predictions from the threshold computed inside the
timing). All are CPU time (process time; single-threaded). Reports the
median of the rounds and the ratios, and checks that all computed the same
values (specjit's two backends bit for bit, scikit-learn within 1e-12).

--csv also times one `specjit eval --json` run on the data as CSV, end to end
(process CPU time, including reading and parsing the CSV), for reference.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import sklearn
from sklearn import metrics as skm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METRICS = ["accuracy", "precision", "recall", "f1", "precision_macro",
           "recall_macro", "f1_macro", "roc_auc", "log_loss",
           "confusion_matrix"]


SUMMED = [m for m in METRICS if m != "roc_auc"]
COUNTING = [m for m in SUMMED if m != "log_loss"]


def sklearn_round(y, p, metrics):
    """One round: every metric, one sklearn call each; returns (cpu s, values)."""
    calls = {
        "accuracy": lambda pred: skm.accuracy_score(y, pred),
        "precision": lambda pred: skm.precision_score(y, pred, zero_division=0),
        "recall": lambda pred: skm.recall_score(y, pred, zero_division=0),
        "f1": lambda pred: skm.f1_score(y, pred, zero_division=0),
        "precision_macro": lambda pred: skm.precision_score(
            y, pred, average="macro", zero_division=0),
        "recall_macro": lambda pred: skm.recall_score(
            y, pred, average="macro", zero_division=0),
        "f1_macro": lambda pred: skm.f1_score(y, pred, average="macro",
                                              zero_division=0),
        "roc_auc": lambda pred: skm.roc_auc_score(y, p),
        "log_loss": lambda pred: skm.log_loss(y, p, eps=1e-15),
        "confusion_matrix": lambda pred: skm.confusion_matrix(y, pred).tolist(),
    }
    t0 = time.process_time()
    pred = (p > 0.5).astype(np.int64)
    out = {m: calls[m](pred) for m in metrics}
    return time.process_time() - t0, out


def specjit_round(binary, scores_path, labels_path, backend, metrics):
    r = subprocess.run([binary, scores_path, labels_path, "1", backend,
                        ",".join(metrics)], check=True, capture_output=True,
                       text=True)
    doc = json.loads(r.stdout)
    return doc["cpu_seconds"][0], doc["result"]["metrics"], \
        doc["warmup_cpu_seconds"]


def children_cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--csv", action="store_true")
    args = ap.parse_args()
    binary = os.path.join(args.build, "bin", "specjit-eval-bench")
    if not os.path.exists(binary):
        sys.exit("eval_bench.py: %s not found (run scripts/build.sh)" % binary)

    rng = np.random.default_rng(42)
    p = rng.random(args.rows)
    y = (rng.random(args.rows) < p).astype(np.int64)
    with tempfile.TemporaryDirectory() as tmp:
        scores_path = os.path.join(tmp, "p.f64")
        labels_path = os.path.join(tmp, "y.f64")
        p.astype(np.float64).tofile(scores_path)
        y.astype(np.float64).tofile(labels_path)
        sets = [("all ten metrics", METRICS),
                 ("without roc_auc", SUMMED),
                 ("counting only (no roc_auc, no log_loss)", COUNTING)]
        times = {(name, who): [] for name, _ in sets
                 for who in ("jit", "generic", "sklearn")}
        warm = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(args.rounds):
                for name, metrics in sets:
                    t, jit, w = specjit_round(binary, scores_path, labels_path,
                                              "jit", metrics)
                    times[(name, "jit")].append(t)
                    warm.append(w)
                    t, gen, _ = specjit_round(binary, scores_path,
                                              labels_path, "generic", metrics)
                    times[(name, "generic")].append(t)
                    t, sk = sklearn_round(y, p, metrics)
                    times[(name, "sklearn")].append(t)
                    if jit != gen:
                        sys.exit("eval_bench.py: the compiled kernel and the "
                                 "generic code differ: %r vs %r" % (jit, gen))
                    for m in metrics:
                        a, b = jit[m], sk[m]
                        same = a == b if m == "confusion_matrix" else \
                            abs(a - b) <= 1e-12 + 1e-12 * abs(b)
                        if not same:
                            sys.exit("eval_bench.py: %s differs: specjit %r, "
                                     "sklearn %r" % (m, a, b))
        cli = None
        if args.csv:
            csv_path = os.path.join(tmp, "data.csv")
            with open(csv_path, "w") as f:
                f.write("p,y\n")
                for pi, yi in zip(p.tolist(), y.tolist()):
                    f.write("%r,%d\n" % (pi, yi))
            desc = os.path.join(tmp, "eval.json")
            with open(desc, "w") as f:
                json.dump({"specjit": 1, "kind": "eval", "task": "binary",
                           "label": "y", "scores": ["p"],
                           "metrics": METRICS}, f)
            before = children_cpu()
            subprocess.run([os.path.join(args.build, "bin", "specjit"),
                            "eval", desc, "--input", csv_path, "--json"],
                           check=True, capture_output=True)
            cli = children_cpu() - before

    print("eval_bench: %d rows, median of %d interleaved rounds (CPU time), "
          "scikit-learn %s, numpy %s" % (args.rows, args.rounds,
                                         sklearn.__version__, np.__version__))
    for name, metrics in sets:
        jit = statistics.median(times[(name, "jit")])
        gen = statistics.median(times[(name, "generic")])
        sk = statistics.median(times[(name, "sklearn")])
        print("  %s (%d metrics):" % (name, len(metrics)))
        print("    %-40s %10.1f ms" % ("specjit, compiled metrics kernel", jit * 1e3))
        print("    %-40s %10.1f ms  %5.2fx the compiled" % (
            "specjit, generic code", gen * 1e3, gen / jit))
        print("    %-40s %10.1f ms  %5.1fx the compiled" % (
            "scikit-learn (one call per metric)", sk * 1e3, sk / jit))
    print("  first call, which compiles the kernel (median): %.1f ms CPU" % (
        statistics.median(warm) * 1e3))
    if cli is not None:
        print("  %-42s %10.1f ms" % ("specjit eval CLI incl. CSV parse",
                                      cli * 1e3))
    print("  values agree: compiled == generic bit for bit, sklearn within "
          "1e-12: yes")


if __name__ == "__main__":
    main()
