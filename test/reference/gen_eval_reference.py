#!/usr/bin/python3
"""Generates reference data for the `eval` family (metrics and folds).

Run with Debian's interpreter (scikit-learn 1.2.1, numpy 1.24):

    /usr/bin/python3 test/reference/gen_eval_reference.py [--out DIR]

It writes DIR/metrics_<case>.json and DIR/folds_<case>.json (default DIR:
test/data/eval), checked by `specjit check` (tools/specjit/CheckTrainEval.cpp):

    metrics_<case>.json:
      {"case": name, "generator": "...", "notes": "...",
       "descriptor": {... a full eval descriptor over score columns ...},
       "columns": {"<score column>": [...], ..., "<label>": [...]},
       "expected": {"<metric>": value or nested array},
       "errors": {"<metric>": "a substring of the expected error"},
       "atol": 1e-12, "rtol": 1e-12}

    `expected` comes from sklearn.metrics called once per metric:
    accuracy_score, precision_score / recall_score / f1_score (binary:
    pos_label=1; *_macro: average="macro"; zero_division=0),
    roc_auc_score (multiclass: multi_class="ovr", average="macro"),
    log_loss(..., eps=1e-15, labels=range(k)), mean_squared_error,
    mean_absolute_error, r2_score, confusion_matrix(labels=range(k)).
    Predicted classes are score > threshold (binary) or np.argmax (first on
    ties). `errors` lists metrics sklearn rejects on the case (e.g. roc_auc
    with one class in y_true), with the words specjit's error must contain.

    folds_<case>.json:
      {"case": name, "n": n, "k": k, "labels": [...],
       "kfold": [[test indices of fold 0], ...],
       "stratified": [[...], ...] or null,
       "stratified_error": "substring" or null,
       "stratified_warning": true/false}

    from KFold(k).split and StratifiedKFold(k).split (shuffle=False); the
    test indices are ascending, as sklearn yields them.

    cv_<case>.json:
      {"case": name, "descriptor": {... an eval with cross_validation ...},
       "columns": {...}, "folds": [{"test": [rows], "metrics": {...}}, ...],
       "mean": {...}, "std": {...}, "atol": 1e-9, "rtol": 1e-9}

    Cross-validation on scikit-learn's bundled data sets (breast cancer,
    iris, diabetes; a few standardized features rounded to 6 decimals): the
    folds from StratifiedKFold / KFold, each fold's model trained by
    `train_reference` below (a plain numpy transcription of
    docs/train-semantics.md for linear models: zeros, batches in row order,
    sgd with momentum or adam, l2), its scores on the fold's rows, the
    metrics from sklearn.metrics, mean with np.mean and std with np.std
    (ddof=0; element-wise for the confusion matrix). The tolerance is 1e-9:
    the training's sums may be ordered differently from specjit's.

Every case uses its own fixed seed, so the output is deterministic.
"""

import argparse
import json
import os
import warnings

import numpy as np
from sklearn import metrics as skm
from sklearn.model_selection import KFold, StratifiedKFold

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "data", "eval")
GENERATOR = "test/reference/gen_eval_reference.py"

BINARY = ["accuracy", "precision", "recall", "f1", "precision_macro",
          "recall_macro", "f1_macro", "roc_auc", "log_loss",
          "confusion_matrix"]
MULTICLASS = ["accuracy", "precision_macro", "recall_macro", "f1_macro",
              "roc_auc", "log_loss", "confusion_matrix"]
REGRESSION = ["mse", "mae", "r2"]


def sk_metric(name, task, y, scores, threshold, k):
    """One sklearn.metrics call; raises what sklearn raises."""
    if task == "regression":
        pred = scores
        return {"mse": lambda: skm.mean_squared_error(y, pred),
                "mae": lambda: skm.mean_absolute_error(y, pred),
                "r2": lambda: skm.r2_score(y, pred)}[name]()
    if task == "binary":
        y_pred = (scores > threshold).astype(np.int64)
        prob = scores
    else:
        y_pred = np.argmax(scores, axis=1)
        prob = scores
    yt = y.astype(np.int64)
    if name == "accuracy":
        return skm.accuracy_score(yt, y_pred)
    if name in ("precision", "recall", "f1"):
        fn = {"precision": skm.precision_score, "recall": skm.recall_score,
              "f1": skm.f1_score}[name]
        return fn(yt, y_pred, pos_label=1, average="binary", zero_division=0)
    if name.endswith("_macro"):
        fn = {"precision": skm.precision_score, "recall": skm.recall_score,
              "f1": skm.f1_score}[name[:-len("_macro")]]
        return fn(yt, y_pred, average="macro", zero_division=0)
    if name == "roc_auc":
        if task == "binary":
            return skm.roc_auc_score(yt, prob)
        return skm.roc_auc_score(yt, prob, multi_class="ovr",
                                 average="macro")
    if name == "log_loss":
        return skm.log_loss(yt, prob, eps=1e-15, labels=list(range(k)))
    if name == "confusion_matrix":
        return skm.confusion_matrix(yt, y_pred,
                                    labels=list(range(k))).tolist()
    raise ValueError(name)


def metric_case(name, task, y, scores, metrics, notes, threshold=0.5,
                errors=None):
    y = np.asarray(y, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if task == "multiclass":
        k = scores.shape[1]
        score_names = ["p%d" % j for j in range(k)]
    else:
        k = 2
        score_names = ["score"]
    desc = {"specjit": 1, "kind": "eval", "name": name, "task": task,
            "label": "y", "scores": score_names, "metrics": metrics}
    if task == "binary":
        desc["threshold"] = threshold
    columns = {}
    if task == "multiclass":
        for j, n in enumerate(score_names):
            columns[n] = scores[:, j].tolist()
    else:
        columns["score"] = scores.tolist()
    columns["y"] = y.tolist()
    expected = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in metrics:
            v = sk_metric(m, task, y, scores, threshold, k)
            # NaN (r2 of one row) is written as null.
            expected[m] = v if isinstance(v, list) else (
                None if np.isnan(v) else float(v))
    out = {"case": name, "generator": GENERATOR, "notes": notes,
           "descriptor": desc, "columns": columns, "expected": expected,
           "errors": {}, "atol": 1e-12, "rtol": 1e-12}
    # Metrics sklearn rejects: checked to fail with these words.
    for m, words in (errors or {}).items():
        try:
            sk_metric(m, task, y, scores, threshold, k)
        except ValueError:
            out["errors"][m] = words
        else:
            raise AssertionError("%s: sklearn accepts %s" % (name, m))
    return out


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def metric_cases():
    cases = []
    rng = np.random.default_rng(1)
    n = 500
    p = rng.random(n)
    y = (rng.random(n) < p).astype(float)
    cases.append(metric_case("binary_random", "binary", y, p, BINARY,
                             "probabilities uniform in [0, 1), labels "
                             "drawn from them"))
    rng = np.random.default_rng(2)
    p = np.round(rng.random(300), 1)  # many ties, scores exactly 0.5
    y = (rng.random(300) < p).astype(float)
    cases.append(metric_case("binary_ties", "binary", y, p, BINARY,
                             "scores on a 0.1 grid: ties for roc_auc, "
                             "scores equal to the threshold predict 0"))
    rng = np.random.default_rng(3)
    p = rng.random(200) * 0.4
    y = (rng.random(200) < 0.5).astype(float)
    cases.append(metric_case("binary_all_predicted_zero", "binary", y, p,
                             BINARY, "every score below the threshold: "
                             "precision and f1 are 0 (zero_division=0)"))
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=float)
    p = np.where(y == 1, 0.9, 0.1)
    cases.append(metric_case("binary_perfect", "binary", y, p, BINARY,
                             "perfect predictions"))
    rng = np.random.default_rng(4)
    p = rng.random(400)
    p[:40] = 0.0
    p[40:80] = 1.0
    y = (rng.random(400) < 0.5).astype(float)
    cases.append(metric_case("binary_extreme_threshold", "binary", y, p,
                             BINARY, "scores 0 and 1 (log_loss clips to "
                             "[1e-15, 1-1e-15]), threshold 0.3",
                             threshold=0.3))
    rng = np.random.default_rng(5)
    p = rng.random(10000)
    y = (rng.random(10000) < p).astype(float)
    cases.append(metric_case("binary_large", "binary", y, p, BINARY,
                             "10000 rows: numpy sums in 8192-element "
                             "buffers"))
    rng = np.random.default_rng(6)
    p = rng.random(50)
    y = np.zeros(50)
    cases.append(metric_case("binary_one_class", "binary", y, p,
                             [m for m in BINARY if m != "roc_auc"],
                             "every label is 0: roc_auc is undefined",
                             errors={"roc_auc": "only one class"}))

    rng = np.random.default_rng(7)
    P = softmax(rng.normal(size=(600, 3)) * 2)
    y = np.array([rng.choice(3, p=row) for row in P], dtype=float)
    cases.append(metric_case("multiclass_random", "multiclass", y, P,
                             MULTICLASS, "3 classes, softmax scores"))
    rng = np.random.default_rng(8)
    P = softmax(rng.normal(size=(300, 4)))
    P[:, 2] *= 0.01  # class 2 is never the argmax
    P = P / P.sum(axis=1, keepdims=True)
    y = rng.integers(0, 4, size=300).astype(float)
    cases.append(metric_case("multiclass_never_predicted", "multiclass", y,
                             P, MULTICLASS,
                             "class 2 occurs but is never predicted"))
    rng = np.random.default_rng(9)
    P = np.round(softmax(rng.normal(size=(200, 3))), 1)
    P[:20] = 1.0 / 3.0  # argmax ties: the first class wins
    y = rng.integers(0, 3, size=200).astype(float)
    cases.append(metric_case("multiclass_ties_unnormalized", "multiclass",
                             y, P, [m for m in MULTICLASS if m != "roc_auc"],
                             "scores rounded (rows do not sum to 1: "
                             "log_loss renormalizes), argmax ties"))
    rng = np.random.default_rng(10)
    P = softmax(rng.normal(size=(150, 5)))
    y = rng.choice([0, 1, 3], size=150).astype(float)
    cases.append(metric_case("multiclass_absent_class", "multiclass", y, P,
                             [m for m in MULTICLASS if m != "roc_auc"],
                             "classes 2 and 4 never occur in y: the macro "
                             "labels are those of y and the predictions",
                             errors={"roc_auc": "does not occur"}))
    y = np.array([0, 1, 2, 2, 1, 0], dtype=float)
    P = np.eye(3)[y.astype(int)] * 0.8 + 0.2 / 3
    cases.append(metric_case("multiclass_perfect", "multiclass", y, P,
                             MULTICLASS, "perfect predictions"))

    rng = np.random.default_rng(11)
    yt = rng.normal(size=1000) * 3 + 1
    yp = yt + rng.normal(size=1000)
    cases.append(metric_case("regression_random", "regression", yt, yp,
                             REGRESSION, "noisy predictions"))
    rng = np.random.default_rng(12)
    yt = rng.normal(size=10000) * 100
    yp = yt * 0.9 + rng.normal(size=10000) * 10
    cases.append(metric_case("regression_large", "regression", yt, yp,
                             REGRESSION, "10000 rows (8192-element "
                             "buffers)"))
    yt = np.full(7, 0.1)
    cases.append(metric_case("regression_constant_y_exact", "regression",
                             yt, yt.copy(), REGRESSION, "constant y, "
                             "perfect predictions: r2 = 1 (force_finite)"))
    yt = np.full(6, 2.0)
    yp = yt + np.array([0.5, -0.5, 0, 0, 1, 0])
    cases.append(metric_case("regression_constant_y", "regression", yt, yp,
                             REGRESSION, "constant y, imperfect "
                             "predictions: r2 = 0 (force_finite)"))
    yt = np.full(3, 0.1)
    yp = yt + np.array([0.01, 0, -0.01])
    cases.append(metric_case("regression_constant_y_rounded_mean",
                             "regression", yt, yp, REGRESSION,
                             "three times 0.1: numpy's mean of y is "
                             "0.10000000000000002, so the denominator is "
                             "tiny but not zero"))
    cases.append(metric_case("regression_one_row", "regression", [3.0],
                             [2.5], REGRESSION, "one row: r2 is NaN "
                             "(written as null)"))
    return cases


def fold_case(name, labels, k):
    labels = np.asarray(labels)
    n = len(labels)
    X = np.zeros((n, 1))
    kfold = [sorted(t.tolist()) for _, t in KFold(k).split(X)]
    out = {"case": name, "generator": GENERATOR, "n": n, "k": k,
           "labels": labels.astype(float).tolist(), "kfold": kfold,
           "stratified": None, "stratified_error": None,
           "stratified_warning": False}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out["stratified"] = [
                t.tolist() for _, t in StratifiedKFold(k).split(X, labels)]
        except ValueError as e:
            assert "cannot be greater than the number of members" in str(e)
            out["stratified_error"] = "cannot be greater than the number " \
                                      "of members in each class"
    out["stratified_warning"] = any("least populated class" in str(w.message)
                                    for w in caught)
    return out


def fold_cases():
    cases = []
    rng = np.random.default_rng(20)
    for n in (10, 17, 100, 101):
        for k in (2, 3, 5, 10):
            y = rng.integers(0, 2, size=n)
            cases.append(fold_case("binary_n%d_k%d" % (n, k), y, k))
    y = (rng.random(100) < 0.1).astype(int)
    cases.append(fold_case("imbalanced_n100_k5", y, 5))
    y = rng.integers(0, 3, size=57)
    cases.append(fold_case("three_classes_n57_k4", y, 4))
    y = np.array([2] * 5 + [0] * 30 + [1] * 12)  # first label is 2
    rng.shuffle(y[5:])
    cases.append(fold_case("first_appearance_order_k3", y, 3))
    y = np.array([0] * 20 + [1] * 2)
    cases.append(fold_case("small_class_warning_k5", y, 5))
    y = np.array([0, 0, 1, 1, 2, 2, 3])
    cases.append(fold_case("every_class_too_small_k3", y, 3))
    y = np.sort(rng.integers(0, 4, size=40))
    cases.append(fold_case("sorted_labels_k6", y, 6))
    return cases


def train_reference(train, X, y):
    """Linear model training per docs/train-semantics.md (no steps, no
    shuffle, no early stopping): returns (W, b)."""
    k = train["model"].get("num_outputs", 1)
    loss = train["loss"]
    opt = train["optimizer"]
    lr = opt["learning_rate"]
    W = np.zeros((k, X.shape[1]))
    b = np.zeros(k)
    l2 = train.get("l2", 0.0)
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    mW, mb = np.zeros_like(W), np.zeros_like(b)
    t = 0
    B = train["batch_size"]
    for _ in range(train["epochs"]):
        for start in range(0, len(y), B):
            xb, yb = X[start:start + B], y[start:start + B]
            n = len(yb)
            z = xb @ W.T + b
            if loss == "mse":
                dz = 2 * (z - yb[:, None]) / n
            elif loss == "log_loss":
                p = 1 / (1 + np.exp(-z))
                dz = (p - yb[:, None]) / n
            else:
                e = np.exp(z - z.max(axis=1, keepdims=True))
                p = e / e.sum(axis=1, keepdims=True)
                dz = (p - np.eye(k)[yb.astype(int)]) / n
            gW = dz.T @ xb + l2 * W
            gb = dz.sum(axis=0)
            if opt["type"] == "sgd":
                m = opt.get("momentum", 0.0)
                vW = m * vW + gW
                vb = m * vb + gb
                W = W - lr * vW
                b = b - lr * vb
            else:
                b1, b2, eps = 0.9, 0.999, 1e-8
                t += 1
                for g, mm, vv, which in ((gW, mW, vW, "W"), (gb, mb, vb, "b")):
                    mm[...] = b1 * mm + (1 - b1) * g
                    vv[...] = b2 * vv + (1 - b2) * g * g
                    step = lr * (mm / (1 - b1 ** t)) / (
                        np.sqrt(vv / (1 - b2 ** t)) + eps)
                    if which == "W":
                        W = W - step
                    else:
                        b = b - step
    return W, b


def predict(train, W, b, X):
    z = X @ W.T + b
    link = train["model"]["link"]
    if link == "identity":
        return z[:, 0]
    if link == "logistic":
        return 1 / (1 + np.exp(-z[:, 0]))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cv_case(name, task, X, y, features, train, k, stratified, metrics):
    X = np.round(X, 6)
    label = train["label"]["name"]
    train = dict(train)
    train["inputs"] = [{"name": f, "type": "f64"} for f in features]
    desc = {"specjit": 1, "kind": "eval", "name": name, "task": task,
            "metrics": metrics,
            "cross_validation": {"k": k, "stratified": stratified,
                                 "train": train}}
    columns = {f: X[:, j].tolist() for j, f in enumerate(features)}
    columns[label] = y.astype(float).tolist()
    splitter = StratifiedKFold(k) if stratified else KFold(k)
    ncls = 2 if task == "binary" else (
        train["model"].get("num_outputs", 1) if task == "multiclass" else 0)
    folds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tr, te in splitter.split(X, y):
            W, b = train_reference(train, X[tr], y[tr].astype(float))
            scores = predict(train, W, b, X[te])
            values = {}
            for m in metrics:
                v = sk_metric(m, task, y[te].astype(float), scores, 0.5, ncls)
                values[m] = v if isinstance(v, list) else float(v)
            folds.append({"test": te.tolist(), "metrics": values})
    mean, std = {}, {}
    for m in metrics:
        vals = np.array([f["metrics"][m] for f in folds], dtype=float)
        mean[m] = np.mean(vals, axis=0).tolist()
        std[m] = np.std(vals, axis=0).tolist()
    return {"case": name, "generator": GENERATOR, "descriptor": desc,
            "columns": columns, "folds": folds, "mean": mean, "std": std,
            "atol": 1e-9, "rtol": 1e-9}


def standardized(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def cv_cases():
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    cases = []
    bc = load_breast_cancer()
    cols = [0, 1, 7, 20]
    X = standardized(bc.data[:, cols])
    cases.append(cv_case(
        "breast_cancer_stratified_sgd", "binary", X, bc.target,
        ["radius", "texture", "concave_points", "worst_radius"],
        {"label": {"name": "benign", "type": "i64"},
         "model": {"type": "linear", "link": "logistic"}, "loss": "log_loss",
         "optimizer": {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
         "epochs": 5, "batch_size": 32, "l2": 0.001},
        5, True, BINARY))
    iris = load_iris()
    X = standardized(iris.data)
    cases.append(cv_case(
        "iris_stratified_adam_softmax", "multiclass", X, iris.target,
        ["sepal_length", "sepal_width", "petal_length", "petal_width"],
        {"label": {"name": "species", "type": "i64"},
         "model": {"type": "linear", "link": "softmax", "num_outputs": 3},
         "loss": "cross_entropy",
         "optimizer": {"type": "adam", "learning_rate": 0.05},
         "epochs": 20, "batch_size": 16},
        3, True, MULTICLASS))
    dia = load_diabetes()
    X = standardized(dia.data[:, [2, 3, 8]])
    cases.append(cv_case(
        "diabetes_kfold_sgd", "regression", X, np.round(dia.target / 100, 6),
        ["bmi", "bp", "s5"],
        {"label": {"name": "progression", "type": "f64"},
         "model": {"type": "linear", "link": "identity"}, "loss": "mse",
         "optimizer": {"type": "sgd", "learning_rate": 0.02},
         "epochs": 10, "batch_size": 16},
        4, False, REGRESSION))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for c in metric_cases():
        with open(os.path.join(args.out, "metrics_%s.json" % c["case"]),
                  "w") as f:
            json.dump(c, f, indent=None, separators=(",", ":"))
            f.write("\n")
    for c in cv_cases():
        with open(os.path.join(args.out, "cv_%s.json" % c["case"]), "w") as f:
            json.dump(c, f, separators=(",", ":"))
            f.write("\n")
    for c in fold_cases():
        with open(os.path.join(args.out, "folds_%s.json" % c["case"]),
                  "w") as f:
            json.dump(c, f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
