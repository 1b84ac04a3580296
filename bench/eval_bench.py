#!/usr/bin/python3
"""Every binary metric over 1M rows: specjit's jit::evaluate versus
scikit-learn's sklearn.metrics, side by side in one run.

Usage (after scripts/build.sh; run with Debian's python3):
    /usr/bin/python3 bench/eval_bench.py [--rows 1000000] [--rounds 7]
                                         [--build build] [--csv]

Generates one binary data set (probabilities uniform in [0, 1), labels
drawn from them; fixed seed) and writes it as raw f64 files. Each round
runs, interleaved: specjit-eval-bench (jit::evaluate computing accuracy,
precision, recall, f1, their macro forms, roc_auc, log_loss and the
confusion matrix in one call, timed inside the process around evaluate
only), then scikit-learn computing the same metrics with one sklearn.metrics
call per metric on numpy arrays already in memory (predictions from the
threshold computed once, not timed). Both sides are CPU time (process time;
single-threaded on both sides). Reports the median of the rounds and the
ratio, and checks that both computed the same values (within 1e-12).

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


def sklearn_round(y, p):
    """One round: every metric, one sklearn call each; returns (cpu s, values)."""
    t0 = time.process_time()
    pred = (p > 0.5).astype(np.int64)
    out = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": skm.recall_score(y, pred, zero_division=0),
        "f1": skm.f1_score(y, pred, zero_division=0),
        "precision_macro": skm.precision_score(y, pred, average="macro",
                                               zero_division=0),
        "recall_macro": skm.recall_score(y, pred, average="macro",
                                         zero_division=0),
        "f1_macro": skm.f1_score(y, pred, average="macro", zero_division=0),
        "roc_auc": skm.roc_auc_score(y, p),
        "log_loss": skm.log_loss(y, p, eps=1e-15),
        "confusion_matrix": skm.confusion_matrix(y, pred).tolist(),
    }
    return time.process_time() - t0, out


def specjit_round(binary, scores_path, labels_path):
    r = subprocess.run([binary, scores_path, labels_path, "1"], check=True,
                       capture_output=True, text=True)
    doc = json.loads(r.stdout)
    return doc["cpu_seconds"][0], doc["result"]["metrics"]


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
        sj_times, sk_times = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(args.rounds):
                t, sj = specjit_round(binary, scores_path, labels_path)
                sj_times.append(t)
                t, sk = sklearn_round(y, p)
                sk_times.append(t)
        for m in METRICS:
            a, b = sj[m], sk[m]
            same = a == b if m == "confusion_matrix" else \
                abs(a - b) <= 1e-12 + 1e-12 * abs(b)
            if not same:
                sys.exit("eval_bench.py: %s differs: specjit %r, sklearn %r"
                         % (m, a, b))
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

    sj_med = statistics.median(sj_times)
    sk_med = statistics.median(sk_times)
    print("eval_bench: %d rows, %d metrics, median of %d interleaved rounds "
          "(CPU time), scikit-learn %s, numpy %s" % (
              args.rows, len(METRICS), args.rounds, sklearn.__version__,
              np.__version__))
    print("  %-34s %10.1f ms" % ("specjit jit::evaluate (one call)",
                                  sj_med * 1e3))
    print("  %-34s %10.1f ms" % ("scikit-learn (one call per metric)",
                                  sk_med * 1e3))
    print("  %-34s %10.1fx" % ("speedup (sklearn / specjit)",
                                sk_med / sj_med))
    if cli is not None:
        print("  %-34s %10.1f ms" % ("specjit eval CLI incl. CSV parse",
                                      cli * 1e3))
    print("  values agree within 1e-12: yes")


if __name__ == "__main__":
    main()
