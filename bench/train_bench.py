#!/usr/bin/python3
"""Training epochs per second: specjit (compiled step, generic loop),
hand-written C++, a numpy implementation of the same rules, scikit-learn.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/train_bench.py \\
        [--build build] [--rounds 5] [--scale 1.0]

Workloads (the shapes of specjit-train-bench, which measures the C++ side):
  logreg  logistic regression, sgd lr 0.01, batch 1, 1,000,000 x 28
          (scikit-learn: SGDClassifier(loss="log_loss", learning_rate=
          "constant", eta0=0.01, alpha=0, max_iter=1, shuffle=False) - the
          same per-sample update)
  mlp     28 -> 64 relu -> 1 logistic, adam lr 0.001, batch 200, 100,000 x 28
          (scikit-learn: MLPClassifier((64,), solver="adam", batch_size=200,
          max_iter=1, shuffle=False, alpha=0))

CPU time per epoch (time.process_time; BLAS on one thread), median of the
rounds; the C++ figures come from one run of specjit-train-bench in the same
invocation. Prints a markdown table with every ratio against the JIT.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

F = 28


def data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, F))
    m = -0.3 + x @ np.where(np.arange(F) % 3 == 0, 0.4, -0.2)
    y = (rng.random(n) < 1 / (1 + np.exp(-m))).astype(np.float64)
    return x, y


def softplus(t):
    return np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))


def numpy_logreg_epoch(x, y, lr):
    """docs/train-semantics.md for a linear logistic model, batch 1."""
    w = np.zeros(F)
    b = 0.0
    for r in range(x.shape[0]):
        z = x[r] @ w + b
        p = 1 / (1 + np.exp(-z))
        g = p - y[r]
        w -= lr * g * x[r]
        b -= lr * g


def numpy_mlp_epoch(x, y, lr, batch=200, hidden=64):
    rng = np.random.default_rng(0)
    l1, l2 = np.sqrt(6 / (F + hidden)), np.sqrt(6 / (hidden + 1))
    params = [rng.uniform(-l1, l1, (hidden, F)), np.zeros(hidden),
              rng.uniform(-l2, l2, (1, hidden)), np.zeros(1)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = 0
    for b0 in range(0, x.shape[0], batch):
        xb, yb = x[b0:b0 + batch], y[b0:b0 + batch]
        n = xb.shape[0]
        pre = xb @ params[0].T + params[1]
        a = np.maximum(pre, 0)
        z = a @ params[2].T + params[3]
        p = 1 / (1 + np.exp(-z[:, 0]))
        dz = ((p - yb) / n)[:, None]
        g2, gb2 = dz.T @ a, dz.sum(0)
        da = (dz @ params[2]) * (a > 0)
        g1, gb1 = da.T @ xb, da.sum(0)
        t += 1
        for k, g in enumerate([g1, gb1, g2, gb2]):
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            params[k] -= lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)


def sklearn_logreg_epoch(x, y):
    from sklearn.linear_model import SGDClassifier
    clf = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.01, alpha=0.0,
                        penalty=None, max_iter=1, tol=None, shuffle=False)
    clf.fit(x, y)


def sklearn_mlp_epoch(x, y):
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(64,), solver="adam", batch_size=200,
                        learning_rate_init=0.001, alpha=0.0, max_iter=1,
                        shuffle=False, random_state=0)
    clf.fit(x, y)


def cpu(fn, *args):
    t0 = time.process_time()
    fn(*args)
    return time.process_time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    cxx = subprocess.run([os.path.join(args.build, "bin", "specjit-train-bench"), "--json",
                          "--rounds", str(args.rounds), "--scale", str(args.scale)],
                         check=True, capture_output=True, text=True).stdout
    figures = {j["workload"]: j for j in map(json.loads, cxx.splitlines())}
    xl, yl = data(int(1000000 * args.scale), 1)
    xm, ym = data(int(100000 * args.scale), 2)
    # Imports and first-call set-up stay out of the figures.
    sklearn_logreg_epoch(xl[:1000], yl[:1000])
    sklearn_mlp_epoch(xm[:1000], ym[:1000])
    peers = {"logreg": ([], []), "mlp": ([], [])}
    for _ in range(args.rounds):
        peers["logreg"][0].append(cpu(numpy_logreg_epoch, xl, yl, 0.01))
        peers["logreg"][1].append(cpu(sklearn_logreg_epoch, xl, yl))
        peers["mlp"][0].append(cpu(numpy_mlp_epoch, xm, ym, 0.001))
        peers["mlp"][1].append(cpu(sklearn_mlp_epoch, xm, ym))
    print("| workload | rows | JIT s/epoch | interpreter | hand-written C++ | numpy | scikit-learn |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("logreg", "mlp"):
        f = figures[name]
        j = f["jit_s_per_epoch"]
        cells = [f["interpreter_s_per_epoch"], f["handwritten_s_per_epoch"],
                 float(np.median(peers[name][0])), float(np.median(peers[name][1]))]
        print("| %s | %d | %.4f | %s |" % (name, f["rows"], j, " | ".join(
            "%.4f (%.2fx)" % (c, c / j) for c in cells)))
    print("\n(x): that backend's time over the JIT's; > 1 means the JIT is faster.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
