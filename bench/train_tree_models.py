#!/usr/bin/env python3
"""Trains the XGBoost models of the tree-ensemble benchmark grid (cached).

Usage (Debian's python3 with python3-xgboost):
    /usr/bin/python3 bench/train_tree_models.py --outdir DIR
        [--models 100x6,100x8,500x6,500x8,1000x6,1000x8] [--train-rows 100000]

A deterministic synthetic data set: 28 f32 features (normal, uniform and
small integer ones), about 5% NaN, a binary target drawn from a nonlinear
logit (sines, products, thresholds, squares). Training and evaluation rows
come from two fixed seeds, so the evaluation matrix does not depend on the
training row count.

Writes into DIR:
  xgb_<trees>_d<depth>.json          Booster.save_model (binary:logistic, hist)
  xgb_<trees>_d<depth>.margin.f32    XGBoost's margins for the eval rows (f32)
  xgb_<trees>_d<depth>.prob.f32      XGBoost's probabilities for the eval rows
  x_100k.f32                         100,000 x 28 eval rows, little-endian f32,
                                     row-major, NaN = missing
  x_100k.shape                       "100000 28"
  manifest.json                      seeds, shapes, and per model the training
                                     time and tree statistics

A model whose .json exists is not retrained (its predictions are rewritten
only when missing). Delete the directory to start over.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb

FEATURES = 28
EVAL_ROWS = 100000
TRAIN_SEED = 20240611
EVAL_SEED = 20240612
NAN_RATE = 0.05
DEFAULT_MODELS = "100x6,100x8,500x6,500x8,1000x6,1000x8"


def make_data(n, seed):
    """n rows of the synthetic set: (X f32 with NaNs, y in {0, 1} as f32)."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, FEATURES), dtype=np.float32)
    X[:, :16] = rng.normal(size=(n, 16))
    X[:, 16:24] = rng.uniform(-2.0, 2.0, size=(n, 8))
    X[:, 24:] = rng.integers(0, 8, size=(n, 4))
    # The target sees the complete values; the model sees ~5% of them missing.
    Z = X.astype(np.float64)
    logit = (1.5 * np.sin(2.0 * Z[:, 0])
             + Z[:, 1] * Z[:, 2]
             + 0.8 * (Z[:, 3] > 0.3) * Z[:, 4]
             - 0.5 * Z[:, 5] ** 2 + 0.5
             + 0.7 * np.tanh(Z[:, 6] + Z[:, 7])
             + 0.3 * Z[:, 8] * Z[:, 9] * Z[:, 10]
             + 0.6 * np.abs(Z[:, 16]) - 0.6
             + 0.5 * np.cos(1.5 * Z[:, 17] * Z[:, 18])
             + 0.4 * ((Z[:, 24] % 3) == 1) - 0.15 * Z[:, 25]
             + 0.2 * Z[:, 11:16].sum(axis=1)
             + 0.3 * (Z[:, 19] > Z[:, 20]))
    p = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.random(n) < p).astype(np.float32)
    X[rng.random(size=(n, FEATURES)) < NAN_RATE] = np.nan
    return X, y


def parse_models(text):
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        trees, depth = item.lower().split("x")
        out.append((int(trees), int(depth)))
    return out


def model_name(trees, depth):
    return f"xgb_{trees}_d{depth}"


def tree_stats(path):
    """Mean leaves per tree and the share of trees with every leaf at full depth."""
    with open(path) as f:
        model = json.load(f)
    trees = model["learner"]["gradient_booster"]["model"]["trees"]
    leaves = [sum(1 for c in t["left_children"] if c == -1) for t in trees]
    return {"num_trees": len(trees), "mean_leaves": float(np.mean(leaves)),
            "min_leaves": int(min(leaves)), "max_leaves": int(max(leaves)),
            "nodes": int(sum(len(t["left_children"]) for t in trees))}


def write_f32(path, a):
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--models", default=DEFAULT_MODELS,
                    help="comma-separated TREESxDEPTH (default %(default)s)")
    ap.add_argument("--train-rows", type=int, default=100000)
    ap.add_argument("--nthread", type=int, default=2)
    ap.add_argument("--eta", type=float, default=0.1)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    manifest_path = os.path.join(args.outdir, "manifest.json")
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    manifest.update({"features": FEATURES, "eval_rows": EVAL_ROWS,
                     "train_seed": TRAIN_SEED, "eval_seed": EVAL_SEED,
                     "nan_rate": NAN_RATE, "xgboost": xgb.__version__})
    models = manifest.setdefault("models", {})

    x_path = os.path.join(args.outdir, "x_100k.f32")
    Xe, _ = make_data(EVAL_ROWS, EVAL_SEED)
    if not os.path.exists(x_path) or os.path.getsize(x_path) != Xe.nbytes:
        write_f32(x_path, Xe)
    with open(os.path.join(args.outdir, "x_100k.shape"), "w") as f:
        f.write(f"{EVAL_ROWS} {FEATURES}\n")

    dtrain = None
    for trees, depth in parse_models(args.models):
        name = model_name(trees, depth)
        path = os.path.join(args.outdir, name + ".json")
        entry = models.get(name, {})
        if not os.path.exists(path):
            if dtrain is None:
                X, y = make_data(args.train_rows, TRAIN_SEED)
                dtrain = xgb.DMatrix(X, label=y, nthread=args.nthread)
            params = {"objective": "binary:logistic", "tree_method": "hist",
                      "max_depth": depth, "eta": args.eta, "nthread": args.nthread,
                      "seed": 1, "min_child_weight": 1.0, "max_bin": 256}
            print(f"training {name} on {args.train_rows} rows ...", file=sys.stderr,
                  flush=True)
            t0 = time.perf_counter()
            bst = xgb.train(params, dtrain, trees)
            entry = {"trees": trees, "depth": depth, "train_rows": args.train_rows,
                     "params": params, "train_seconds": round(time.perf_counter() - t0, 2)}
            bst.save_model(path)
            print(f"  {entry['train_seconds']} s", file=sys.stderr, flush=True)
        margin_path = os.path.join(args.outdir, name + ".margin.f32")
        prob_path = os.path.join(args.outdir, name + ".prob.f32")
        if not (os.path.exists(margin_path) and os.path.exists(prob_path)):
            bst = xgb.Booster(model_file=path)
            bst.set_param({"nthread": args.nthread})
            write_f32(margin_path, bst.inplace_predict(Xe, predict_type="margin"))
            write_f32(prob_path, bst.inplace_predict(Xe, predict_type="value"))
        entry.update({"trees": trees, "depth": depth, "model": name + ".json"})
        entry.update(tree_stats(path))
        models[name] = entry
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        print(f"{name}: {entry['num_trees']} trees, mean {entry['mean_leaves']:.1f} "
              f"leaves (of {2 ** depth}), min {entry['min_leaves']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
