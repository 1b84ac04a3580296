#!/usr/bin/python3
"""Acceptance: `specjit train` reaches scikit-learn's accuracy on its bundled data.

    /usr/bin/python3 test/train/accuracy_vs_sklearn.py --specjit build/bin/specjit [--keep DIR]

Registered with ctest as `train-accuracy-vs-sklearn`. For breast_cancer,
iris, digits, wine (classification; accuracy) and diabetes (regression; R^2):

  1. a fixed stratified train/test split (70/30, random_state 0), written as
     CSV (the features, then the label) to a temporary directory;
  2. train descriptors: standardize steps with the *training* split's mean and
     (population) std, then a linear model (logistic for two classes, softmax
     otherwise, identity + mse for diabetes) and, for three of the sets, an
     MLP; rows shuffled with a seed, L2 matched to scikit-learn's penalty;
  3. `specjit train` on the training CSV, `specjit run` of the written model
     on the test CSV, the score computed here from its output;
  4. the comparable scikit-learn estimator (LogisticRegression for linear
     classifiers, MLPClassifier for MLPs, Ridge for diabetes; SGDClassifier /
     SGDRegressor are printed alongside for context) fitted on the same
     standardized training split;
  5. the table of both scores; the script fails if any specjit score is more
     than 0.03 from its counterpart's.

Deterministic (fixed seeds everywhere); runs in well under a minute.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (LogisticRegression, Ridge, SGDClassifier,
                                  SGDRegressor)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

TOLERANCE = 0.03


def load(name):
    if name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True, scaled=False)
        return X, y, "regression"
    loader = {"breast_cancer": datasets.load_breast_cancer,
              "iris": datasets.load_iris, "wine": datasets.load_wine,
              "digits": datasets.load_digits}[name]
    X, y = loader(return_X_y=True)
    return X, y.astype(int), "classification"


def write_csv(path, names, X, label, y):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + [label])
        for row, target in zip(X, y):
            w.writerow([repr(float(v)) for v in row] +
                       [int(target) if isinstance(target, (int, np.integer)) else repr(float(target))])


def standardize_steps(names, Xtr):
    """Steps from the training split; constant columns (digits' borders)
    are left as they are (standardize needs std > 0)."""
    steps = []
    for j, nm in enumerate(names):
        sd = float(np.std(Xtr[:, j]))
        if sd > 0:
            steps.append({"op": "standardize", "column": nm,
                          "mean": float(np.mean(Xtr[:, j])), "std": sd})
    return steps


def standardized(Xtr, Xte):
    mean, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    mean = np.where(Xtr.std(axis=0) > 0, mean, 0.0)
    return (Xtr - mean) / sd, (Xte - mean) / sd


def train_descriptor(name, names, label, steps, model, loss, optimizer, epochs,
                     batch_size, l2, label_type):
    return {"specjit": 1, "kind": "train", "name": name,
            "inputs": [{"name": nm, "type": "f64"} for nm in names],
            "label": {"name": label, "type": label_type}, "steps": steps,
            "model": model, "loss": loss, "optimizer": optimizer,
            "epochs": epochs, "batch_size": batch_size,
            "shuffle": {"seed": 1}, "l2": l2}


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode,
                                                      p.stdout, p.stderr))
    return p.stdout


def specjit_score(specjit, workdir, desc, task, yte):
    tag = desc["name"]
    desc_path = os.path.join(workdir, tag + ".train.json")
    model_path = os.path.join(workdir, tag + ".model.json")
    pred_path = os.path.join(workdir, tag + ".pred.csv")
    with open(desc_path, "w") as f:
        json.dump(desc, f, indent=1)
    run([specjit, "train", desc_path, "--input", os.path.join(workdir, "train.csv"),
         "--output", model_path, "--history", os.path.join(workdir, tag + ".history.csv"),
         "--quiet"])
    run([specjit, "run", model_path, "--input", os.path.join(workdir, "test.csv"),
         "--output", pred_path])
    with open(pred_path) as f:
        rows = list(csv.reader(f))
    header, values = rows[0], np.array([[float(v) for v in r] for r in rows[1:]])
    assert len(values) == len(yte), "%s: %d predictions for %d rows" % (tag, len(values), len(yte))
    if task == "regression":
        return r2_score(yte, values[:, 0])
    if values.shape[1] == 1:  # logistic: the probability of class 1
        return accuracy_score(yte, (values[:, 0] > 0.5).astype(int))
    return accuracy_score(yte, np.argmax(values, axis=1))


def reference_score(desc, names, label, Xtr, ytr, Xte, yte, task):
    """The score of the numpy reference trainer on the same descriptor."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "reference"))
    import gen_train_reference as ref

    def data(X, y):
        d = {nm: [float(v) for v in X[:, j]] for j, nm in enumerate(names)}
        d[label] = [float(v) for v in y]
        return d

    Ftr, _ = ref.compute_features(desc, data(Xtr, ytr))
    Fte, _ = ref.compute_features(desc, data(Xte, yte))
    spec = ref.resolve(desc, Ftr.shape[1])
    layers, _, _, _ = ref.train(spec, Ftr, np.asarray(ytr, dtype=float))
    _, acts = ref.forward(layers, Fte)
    values = ref.apply_link(spec["link"], acts[-1])
    if task == "regression":
        return r2_score(yte, values[:, 0])
    if values.shape[1] == 1:
        return accuracy_score(yte, (values[:, 0] > 0.5).astype(int))
    return accuracy_score(yte, np.argmax(values, axis=1))


def experiments(name, names, label, steps, Xtr, ytr, task):
    """(label, train descriptor, counterpart estimator, context estimators)."""
    n = len(ytr)
    out = []
    if task == "regression":
        alpha = 1.0  # Ridge: ||y - Xw||^2 + alpha ||w||^2 -> l2 = 2 alpha / n
        desc = train_descriptor(name + "_linear", names, label, steps,
                                {"type": "linear"}, "mse",
                                {"type": "sgd", "learning_rate": 0.01, "momentum": 0.9},
                                100, 32, 2 * alpha / n, "f64")
        out.append(("linear mse (sgd+momentum)", desc, Ridge(alpha=alpha),
                    [("SGDRegressor", SGDRegressor(alpha=1e-4, max_iter=1000, tol=1e-6,
                                                   random_state=0))]))
        return out
    k = int(ytr.max()) + 1
    C = 1.0  # LogisticRegression: C sum loss + ||w||^2 / 2 -> l2 = 1 / (C n)
    if k == 2:
        model = {"type": "linear", "link": "logistic"}
        loss = "log_loss"
    else:
        model = {"type": "linear", "link": "softmax", "num_outputs": k}
        loss = "cross_entropy"
    desc = train_descriptor(name + "_linear", names, label, steps, model, loss,
                            {"type": "adam", "learning_rate": 0.01}, 100, 32,
                            1.0 / (C * n), "i64")
    out.append(("linear %s (adam)" % loss, desc,
                LogisticRegression(C=C, max_iter=5000),
                [("SGDClassifier", SGDClassifier(loss="log_loss", alpha=1e-4,
                                                 max_iter=1000, tol=1e-6,
                                                 random_state=0))]))
    mlp_sets = {"breast_cancer": (16, "tanh"), "iris": (8, "relu"),
                "digits": (32, "relu")}
    if name in mlp_sets:
        units, act = mlp_sets[name]
        alpha = 1e-4  # MLPClassifier: loss + alpha/(2 B) ||W||^2 per batch
        batch = 32
        layers = [{"units": units, "activation": act},
                  {"units": 1 if k == 2 else k, "activation": "identity"}]
        mlp = {"type": "mlp", "link": "logistic" if k == 2 else "softmax",
               "layers": layers, "init_seed": 3}
        epochs = 200 if name == "iris" else 60
        desc = train_descriptor(name + "_mlp", names, label, steps, mlp, loss,
                                {"type": "adam", "learning_rate": 0.01}, epochs,
                                batch, alpha / batch, "i64")
        out.append(("mlp %d %s (adam)" % (units, act), desc,
                    MLPClassifier(hidden_layer_sizes=(units,), activation=act,
                                  solver="adam", learning_rate_init=0.01,
                                  alpha=alpha, batch_size=batch, max_iter=epochs,
                                  random_state=0),
                    []))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specjit", help="the specjit driver")
    ap.add_argument("--reference", action="store_true",
                    help="train with the numpy reference "
                    "(test/reference/gen_train_reference.py) instead of specjit, "
                    "to check the settings and the tolerance themselves")
    ap.add_argument("--keep", help="write the files to DIR and keep them")
    args = ap.parse_args()
    if not args.specjit and not args.reference:
        ap.error("--specjit or --reference is required")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    start = time.time()
    table = []
    failures = []
    tmp = None
    if args.keep:
        base = args.keep
        os.makedirs(base, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="specjit-train-accuracy-")
        base = tmp.name
    for name in ["breast_cancer", "iris", "digits", "wine", "diabetes"]:
        X, y, task = load(name)
        Xtr, Xte, ytr, yte = train_test_split(
            X, y, test_size=0.3, random_state=0,
            stratify=y if task == "classification" else None)
        names = ["f%d" % j for j in range(X.shape[1])]
        label = "target"
        workdir = os.path.join(base, name)
        os.makedirs(workdir, exist_ok=True)
        write_csv(os.path.join(workdir, "train.csv"), names, Xtr, label, ytr)
        write_csv(os.path.join(workdir, "test.csv"), names, Xte, label, yte)
        steps = standardize_steps(names, Xtr)
        Str, Ste = standardized(Xtr, Xte)
        metric = "R2" if task == "regression" else "accuracy"
        score = r2_score if task == "regression" else accuracy_score
        for what, desc, counterpart, context in experiments(
                name, names, label, steps, Xtr, ytr, task):
            try:
                if args.reference:
                    ours = reference_score(desc, names, label, Xtr, ytr, Xte, yte, task)
                else:
                    ours = specjit_score(args.specjit, workdir, desc, task, yte)
            except Exception as e:  # report every set, then fail
                failures.append("%s %s: %s" % (name, what, e))
                ours = float("nan")
            theirs = score(yte, counterpart.fit(Str, ytr).predict(Ste))
            extra = ", ".join("%s %.4f" % (nm, score(yte, est.fit(Str, ytr).predict(Ste)))
                              for nm, est in context)
            ok = abs(ours - theirs) <= TOLERANCE
            if not ok and not np.isnan(ours):
                failures.append("%s %s: specjit %s %.4f, %s %.4f (|diff| > %.2f)"
                                % (name, what, metric, ours,
                                   type(counterpart).__name__, theirs, TOLERANCE))
            table.append((name, metric, what, ours, type(counterpart).__name__,
                          theirs, extra, "ok" if ok else "FAIL"))

    print("%-14s %-8s %-32s %8s  %-20s %8s  %s" % (
        "data set", "metric", "specjit model", "specjit", "scikit-learn", "sklearn", ""))
    for name, metric, what, ours, est, theirs, extra, verdict in table:
        print("%-14s %-8s %-32s %8.4f  %-20s %8.4f  %s%s" % (
            name, metric, what, ours, est, theirs, verdict,
            ("  (" + extra + ")") if extra else ""))
    if args.reference:
        print("(the 'specjit' column is the numpy reference trainer)")
    print("%.1f s" % (time.time() - start))
    if args.keep:
        print("files in %s" % base)
    if failures:
        print("\n".join(["FAILED:"] + failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
