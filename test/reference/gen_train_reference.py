#!/usr/bin/python3
"""Generates reference data for the `train` family: a plain numpy trainer.

Run with Debian's interpreter (it has numpy and scikit-learn's bundled data
sets; scikit-learn only supplies data, never the arithmetic):

    /usr/bin/python3 test/reference/gen_train_reference.py [--out DIR] [--only CASE]

It rewrites DIR/*.json (default DIR: test/data/train), one file per case,
checked by `specjit check` (tools/specjit/CheckTrainEval.cpp; lit runs every case):

    {"case": name, "generator": "numpy X (gen_train_reference.py)",
     "notes": "what the case covers",
     "descriptor": {... a full `train` descriptor ...},
     "data": {"column": [values], ...},        # the inputs, then the label
     "rows": n,
     "expected": {
       "model": {"type": "linear", "weights": [[...]], "intercepts": [...],
                 "link": ...}
              | {"type": "mlp", "layers": [{"weights": [[...]] (outputs x
                 inputs), "biases": [...], "activation": a}, ...], "link": ...},
       "features": [the model's feature names, after the steps],
       "history": [{"epoch": 1, "train_loss": x, "validation_loss": x|null}],
       "stop_reason": "epochs" | "early_stopping" | "time_limit",
       "best_epoch": k,
       "prediction_columns": [...],
       "predictions": [[row values], ...]},   # the trained model on all rows
     "rtol": 1e-9}

Value encoding as in gen_pipeline_reference.py: float columns are JSON
numbers (null for NaN), integer columns JSON integers (the missing sentinel
included), bool columns true/false.

Everything below is written from docs/train-semantics.md (the loop, losses,
gradients, updates, early stopping, the SplitMix64 generators) and
docs/pipeline-semantics.md / docs/model-semantics.md (the features in front
and the trained model's forward pass), not from the C++ trainer. All
arithmetic is f64. Sums run in a fixed order: the training forward's dot
products as docs/train-semantics.md fixes them (four interleaved partial
sums from 8 terms on), the trained model's predictions left to right as
docs/model-semantics.md fixes them, every other sum (over a batch's rows,
over a layer's outputs in backpropagation) from the first term up;
exp/log/tanh/log1p come from the C library (Python's
math module), not numpy's SIMD versions, so the files regenerate bit for bit
on any x86-64 machine. Each case states the behaviour it is meant to show
(early stopping that stops, restoring an earlier epoch, min_delta making a
difference, ...) and the generator fails if the reference does not show it,
so retuning a case cannot silently drop coverage.

`--order-check` reruns every case with pairwise and with reversed sums and
reports how far the expected values move: at most ~1e-12 relative here, so
the tests' rtol of 1e-9 absorbs any summation order a trainer may use while
still catching a wrong rule; it also checks that no run changes its stop or
best epoch, and the generator rejects early-stopping decisions that are near
ties.

Deterministic: data come from fixed numpy seeds and scikit-learn's bundled
data sets; the files are written in a fixed key order.
"""

import argparse
import copy
import json
import math
import os
import sys

import numpy as np
from sklearn import datasets

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "data", "train")
GENERATOR = "numpy %s (test/reference/gen_train_reference.py)" % np.__version__
RTOL = 1e-9

# ---------------------------------------------------------------------------
# Generators (docs/train-semantics.md, "Generators")
# ---------------------------------------------------------------------------

MASK64 = (1 << 64) - 1


class SplitMix64:
    """SplitMix64 over unsigned 64-bit integers (Python ints, masked)."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def epoch_permutation(rng, m):
    """Fisher-Yates from the identity, one generator across all epochs."""
    perm = list(range(m))
    for i in range(m - 1, 0, -1):
        j = rng.next() % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def glorot_layers(shapes, num_features, seed):
    """Glorot-uniform weights, layer by layer, output-major; zero biases."""
    rng = SplitMix64(seed)
    layers = []
    fan_in = num_features
    for units, activation in shapes:
        limit = math.sqrt(6.0 / (fan_in + units))
        w = np.empty((units, fan_in))
        for o in range(units):
            for i in range(fan_in):
                u = (rng.next() >> 11) * 2.0 ** -53
                w[o, i] = limit * (2.0 * u - 1.0)
        layers.append({"W": w, "b": np.zeros(units), "act": activation})
        fan_in = units
    return layers


# ---------------------------------------------------------------------------
# Elementwise functions from the C library (math), applied to arrays
# ---------------------------------------------------------------------------

_exp = np.vectorize(math.exp, otypes=[float])
_tanh = np.vectorize(math.tanh, otypes=[float])
_log1p = np.vectorize(math.log1p, otypes=[float])


def seqsum(a, axis):
    """Sum along `axis` strictly in index order (((a0 + a1) + a2) + ...).

    np.cumsum accumulates sequentially, unlike np.sum (pairwise) or BLAS."""
    return np.cumsum(a, axis=axis).take(-1, axis=axis)


def activation(name, pre):
    if name == "identity":
        return pre.copy()
    if name == "relu":
        return np.where(pre > 0.0, pre, 0.0)
    if name == "tanh":
        return _tanh(pre)
    if name == "logistic":
        return 1.0 / (1.0 + _exp(-pre))
    raise ValueError(name)


def activation_derivative(name, pre, a):
    """act'(pre), in terms of the activation's value where the spec says so."""
    if name == "identity":
        return np.ones_like(pre)
    if name == "relu":
        return np.where(pre > 0.0, 1.0, 0.0)
    if name == "tanh":
        return 1.0 - a * a
    if name == "logistic":
        return a * (1.0 - a)
    raise ValueError(name)


def apply_link(link, z):
    """z: rows x outputs margins -> the link's output."""
    if link == "identity":
        return z.copy()
    if link == "logistic":
        return 1.0 / (1.0 + _exp(-z))
    if link == "softmax":
        e = _exp(z - z.max(axis=1, keepdims=True))
        return e / seqsum(e, axis=1)[:, None]
    raise ValueError(link)


def softplus(t):
    return np.maximum(t, 0.0) + _log1p(_exp(-np.abs(t)))


# ---------------------------------------------------------------------------
# Forward, losses, gradients (docs/train-semantics.md, "The loop")
# ---------------------------------------------------------------------------


def training_dot(products):
    """The training forward's dot product over the last axis
    (docs/train-semantics.md, "Forward"): fewer than 8 terms from the first
    up; else term i (i < m - m mod 4) into partial sum s_(i mod 4), each
    from its first term up, then (s0 + s1) + (s2 + s3), then the remaining
    terms in order."""
    m = products.shape[-1]
    if m < 8:
        return seqsum(products, axis=-1)
    k = m - m % 4
    s = [seqsum(products[..., j:k:4], axis=-1) for j in range(4)]
    total = (s[0] + s[1]) + (s[2] + s[3])
    for i in range(k, m):
        total = total + products[..., i]
    return total


def forward(layers, x, dot=training_dot):
    """x: B x features. Returns (pres, acts) with acts[0] = x; z = acts[-1].

    Each pre-activation is dot(W_o * a) + b_o: the training order by
    default; model_forward() uses docs/model-semantics.md's."""
    acts = [x]
    pres = []
    a = x
    for layer in layers:
        pre = dot(a[:, None, :] * layer["W"][None, :, :]) + layer["b"]
        a = activation(layer["act"], pre)
        pres.append(pre)
        acts.append(a)
    return pres, acts


def row_losses(loss, z, y):
    """Per-row loss from the margins z (B x outputs) and labels y."""
    if loss == "mse":
        d = z[:, 0] - y
        return d * d
    if loss == "log_loss":
        t = z[:, 0]
        return np.where(y == 1, softplus(-t), softplus(t))
    if loss == "cross_entropy":
        mz = z.max(axis=1)
        s = seqsum(_exp(z - mz[:, None]), axis=1)
        lse = mz + np.array([math.log(v) for v in s])
        return lse - z[np.arange(len(y)), y.astype(int)]
    raise ValueError(loss)


def dloss_dz(loss, z, y, B):
    if loss == "mse":
        return (2.0 * (z - y[:, None])) / B
    if loss == "log_loss":
        p = 1.0 / (1.0 + _exp(-z))
        return (p - y[:, None]) / B
    if loss == "cross_entropy":
        p = apply_link("softmax", z)
        onehot = np.zeros_like(p)
        onehot[np.arange(len(y)), y.astype(int)] = 1.0
        return (p - onehot) / B
    raise ValueError(loss)


def gradients(layers, pres, acts, dz, l2):
    """Backpropagation; sums over the batch run row by row in batch order."""
    grads = [None] * len(layers)
    delta = dz * activation_derivative(layers[-1]["act"], pres[-1], acts[-1])
    for l in range(len(layers) - 1, -1, -1):
        a_prev = acts[l]
        gW = seqsum(delta[:, :, None] * a_prev[:, None, :], axis=0)
        gW = gW + l2 * layers[l]["W"]
        gb = seqsum(delta, axis=0)
        grads[l] = (gW, gb)
        if l > 0:
            W = layers[l]["W"]
            # (W^T delta)_i = sum over outputs o of W[o][i] * delta[o]
            back = seqsum(delta[:, :, None] * W[None, :, :], axis=1)
            delta = back * activation_derivative(layers[l - 1]["act"],
                                                 pres[l - 1], acts[l])
    return grads


def mean_loss(layers, loss, X, y):
    """Mean per-row loss (no L2), summed in row order."""
    _, acts = forward(layers, X)
    return float(seqsum(row_losses(loss, acts[-1], y), axis=0)) / len(y)


class Sgd:
    def __init__(self, lr, momentum):
        self.lr, self.momentum = lr, momentum
        self.v = {}

    def step(self, key, theta, g):
        v = self.v.get(key, np.zeros_like(theta))
        v = self.momentum * v + g
        self.v[key] = v
        return theta - self.lr * v


class Adam:
    def __init__(self, lr, beta1, beta2, epsilon):
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, epsilon
        self.t = 0
        self.m, self.v = {}, {}

    def begin_batch(self):
        self.t += 1

    def step(self, key, theta, g):
        m = self.b1 * self.m.get(key, np.zeros_like(theta)) + (1.0 - self.b1) * g
        v = self.b2 * self.v.get(key, np.zeros_like(theta)) + (1.0 - self.b2) * (g * g)
        self.m[key], self.v[key] = m, v
        mhat = m / (1.0 - math.pow(self.b1, self.t))
        vhat = v / (1.0 - math.pow(self.b2, self.t))
        return theta - self.lr * mhat / (np.sqrt(vhat) + self.eps)


def train(spec, X, y, max_batches=None):
    """Runs the loop of docs/train-semantics.md on features X (n x f).

    `spec` is the resolved descriptor (defaults filled in, see resolve()).
    `max_batches` stands in for limits.max_seconds running out: training
    stops after that many batches in all (the time check after every batch).
    Returns (layers, history, stop_reason, best_epoch)."""
    n = X.shape[0]
    es = spec["early_stopping"]
    nv = int(math.floor(n * es["validation_fraction"])) if es else 0
    if es:
        assert nv >= 1 and n - nv >= 1
    m = n - nv
    Xt, yt = X[:m], y[:m]
    Xv, yv = X[m:], y[m:]

    layers = copy.deepcopy(spec["init_layers"])
    opt = spec["optimizer"]
    if opt["type"] == "sgd":
        optimizer = Sgd(opt["learning_rate"], opt["momentum"])
    else:
        optimizer = Adam(opt["learning_rate"], opt["beta1"], opt["beta2"],
                         opt["epsilon"])
    rng = SplitMix64(spec["shuffle_seed"]) if spec["shuffle_seed"] is not None else None
    bs, l2, loss = spec["batch_size"], spec["l2"], spec["loss"]

    history = []
    best = math.inf
    best_layers, best_epoch = copy.deepcopy(layers), 0
    since_best = 0
    batches_done = 0
    stop = "epochs"
    for epoch in range(1, spec["epochs"] + 1):
        order = epoch_permutation(rng, m) if rng else list(range(m))
        epoch_loss_sum = 0.0
        timed_out = False
        for start in range(0, m, bs):
            idx = order[start:start + bs]
            xb, yb = Xt[idx], yt[idx]
            B = len(idx)
            pres, acts = forward(layers, xb)
            z = acts[-1]
            losses = row_losses(loss, z, yb)
            for v in losses:  # row by row, in visit order
                epoch_loss_sum += float(v)
            assert math.isfinite(epoch_loss_sum), "non-finite training loss"
            grads = gradients(layers, pres, acts, dloss_dz(loss, z, yb, B), l2)
            if isinstance(optimizer, Adam):
                optimizer.begin_batch()
            for l, (gW, gb) in enumerate(grads):
                layers[l]["W"] = optimizer.step(("W", l), layers[l]["W"], gW)
                layers[l]["b"] = optimizer.step(("b", l), layers[l]["b"], gb)
            batches_done += 1
            if max_batches is not None and batches_done >= max_batches:
                timed_out = True
                break
        if timed_out:
            stop = "time_limit"  # the cut-short epoch is not in the history
            break
        record = {"epoch": epoch, "train_loss": epoch_loss_sum / m,
                  "validation_loss": None}
        if es:
            vl = mean_loss(layers, loss, Xv, yv)
            assert math.isfinite(vl)
            record["validation_loss"] = vl
            if vl < best - es["min_delta"]:
                best = vl
                best_layers, best_epoch = copy.deepcopy(layers), epoch
                since_best = 0
            else:
                since_best += 1
        history.append(record)
        if es and since_best >= es["patience"]:
            stop = "early_stopping"
            break
    if es:
        return best_layers, history, stop, best_epoch
    return layers, history, stop, len(history)


# ---------------------------------------------------------------------------
# Features: the pipeline in front (docs/pipeline-semantics.md), in f64
# ---------------------------------------------------------------------------


def fmt_category(c):
    if isinstance(c, (int, np.integer)):
        return str(int(c))
    return repr(float(c))


def compute_features(desc, data):
    """The current columns after desc's steps, then desc's `features`."""
    cols = []  # [name, kind ("int"|"float"), values, sentinel]
    for inp in desc["inputs"]:
        v = data[inp["name"]]
        if inp["type"] in ("f32", "f64"):
            arr = np.array([np.nan if x is None else x for x in v], dtype=float)
            if inp["type"] == "f32":
                arr = arr.astype(np.float32).astype(float)
            cols.append([inp["name"], "float", arr, None])
        else:
            arr = np.array([int(x) for x in v], dtype=np.int64)
            cols.append([inp["name"], "int", arr, inp.get("missing")])

    def as_float(col):
        if col[1] == "float":
            return col[2]
        out = col[2].astype(float)
        if col[3] is not None:
            out[col[2] == col[3]] = np.nan
        return out

    def find(name):
        for k, c in enumerate(cols):
            if c[0] == name:
                return k
        raise KeyError(name)

    for step in desc.get("steps", []):
        k = find(step["column"])
        col = cols[k]
        op = step["op"]
        if op == "standardize":
            cols[k] = [col[0], "float", (as_float(col) - step["mean"]) / step["std"], None]
        elif op == "minmax":
            span = step["max"] - step["min"]
            cols[k] = [col[0], "float", (as_float(col) - step["min"]) / span, None]
        elif op == "clip":
            x = as_float(col).copy()
            lo, hi = step.get("min", -math.inf), step.get("max", math.inf)
            x = np.where(x < lo, lo, np.where(x > hi, hi, x))
            cols[k] = [col[0], "float", x, None]
        elif op == "impute":
            value = step["value"]
            if col[1] == "float":
                x = as_float(col)
                cols[k] = [col[0], "float", np.where(np.isnan(x), value, x), None]
            else:
                assert col[3] is not None, "impute of an Int needs a sentinel"
                assert float(value).is_integer()
                x = np.where(col[2] == col[3], int(value), col[2])
                cols[k] = [col[0], "int", x.astype(np.int64), None]
        elif op == "one_hot":
            new = []
            for c in step["categories"]:
                if col[1] == "int":
                    hit = col[2] == int(c)
                    if col[3] is not None:
                        hit &= col[2] != col[3]
                else:
                    hit = as_float(col) == float(c)  # NaN equals nothing
                new.append([col[0] + "=" + fmt_category(c), "float",
                            np.where(hit, 1.0, 0.0), None])
            cols[k:k + 1] = new
        else:
            raise ValueError("op not modelled here: " + op)

    names = desc.get("features") or [c[0] for c in cols]
    X = np.column_stack([as_float(cols[find(nm)]) for nm in names])
    assert np.all(np.isfinite(X)), "non-finite feature"
    return X, names


# ---------------------------------------------------------------------------
# Resolving a descriptor's defaults (docs/train-semantics.md, "Document")
# ---------------------------------------------------------------------------

LINK_OF_LOSS = {"mse": "identity", "log_loss": "logistic", "cross_entropy": "softmax"}
LOSS_OF_LINK = {v: k for k, v in LINK_OF_LOSS.items()}


def resolve(desc, num_features):
    model = desc["model"]
    link = model.get("link") or LINK_OF_LOSS[desc["loss"]]
    loss = desc.get("loss") or LOSS_OF_LINK[link]
    opt = dict(desc.get("optimizer", {"type": "sgd"}))
    opt.setdefault("type", "sgd")
    if opt["type"] == "sgd":
        opt.setdefault("learning_rate", 0.01)
        opt.setdefault("momentum", 0.0)
    else:
        opt.setdefault("learning_rate", 0.001)
        opt.setdefault("beta1", 0.9)
        opt.setdefault("beta2", 0.999)
        opt.setdefault("epsilon", 1e-8)
    shuffle = desc.get("shuffle", False)
    seed = None
    if shuffle is True:
        seed = 0
    elif isinstance(shuffle, dict):
        seed = shuffle.get("seed", 0)
    es = desc.get("early_stopping")
    if es is not None:
        es = {"validation_fraction": es.get("validation_fraction", 0.1),
              "patience": es.get("patience", 5),
              "min_delta": es.get("min_delta", 0.0)}

    init = model.get("init")
    if model["type"] == "linear":
        k = model.get("num_outputs", 1)
        if init:
            W = np.array(init["weights"], dtype=float).reshape(k, num_features)
            b = np.array(init["intercepts"], dtype=float)
        else:
            W, b = np.zeros((k, num_features)), np.zeros(k)
        layers = [{"W": W, "b": b, "act": "identity"}]
    else:
        shapes = [(l["units"], l["activation"]) for l in model["layers"]]
        if init:
            layers = [{"W": np.array(l["weights"], dtype=float).reshape(u, -1),
                       "b": np.array(l["biases"], dtype=float), "act": a}
                      for l, (u, a) in zip(init["layers"], shapes)]
        else:
            layers = glorot_layers(shapes, num_features, model.get("init_seed", 0))
    return {"link": link, "loss": loss, "optimizer": opt,
            "epochs": desc.get("epochs", 10), "batch_size": desc.get("batch_size", 32),
            "shuffle_seed": seed, "l2": desc.get("l2", 0.0), "early_stopping": es,
            "init_layers": layers, "type": model["type"]}


def model_json(spec, layers):
    if spec["type"] == "linear":
        return {"type": "linear", "weights": layers[0]["W"].tolist(),
                "intercepts": layers[0]["b"].tolist(), "link": spec["link"]}
    return {"type": "mlp", "link": spec["link"],
            "layers": [{"weights": l["W"].tolist(), "biases": l["b"].tolist(),
                        "activation": l["act"]} for l in layers]}


def prediction_columns(k):
    return ["prediction"] if k == 1 else ["class_%d" % i for i in range(k)]


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def sample_rows(X, y, rows, seed):
    """A fixed random subset (and order) of the rows."""
    idx = np.random.RandomState(seed).permutation(len(y))[:rows]
    return X[idx], y[idx]


def numeric_case_data(X, y, names, label, label_type, decimals=None):
    """Inputs f64 named `names`, the label; standardize steps for each
    non-constant column with the data's own mean and (population) std."""
    data = {}
    steps = []
    for j, nm in enumerate(names):
        col = X[:, j]
        if decimals is not None:
            col = np.round(col, decimals)
        data[nm] = [float(v) for v in col]
        sd = float(np.std(col))
        if sd > 0:
            steps.append({"op": "standardize", "column": nm,
                          "mean": float(np.mean(col)), "std": sd})
    data[label] = [int(v) for v in y] if label_type == "i64" else [float(v) for v in y]
    inputs = [{"name": nm, "type": "f64"} for nm in names]
    return inputs, steps, data


def breast_cancer(rows, seed):
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X, y = sample_rows(X, y, rows, seed)
    names = ["f%d" % j for j in range(X.shape[1])]
    return numeric_case_data(X, y, names, "malignant", "i64")


def iris(seed):
    X, y = datasets.load_iris(return_X_y=True)
    X, y = sample_rows(X, y, len(y), seed)  # the file is sorted by class
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    return numeric_case_data(X, y, names, "species", "i64")


def wine(seed):
    X, y = datasets.load_wine(return_X_y=True)
    X, y = sample_rows(X, y, len(y), seed)
    names = ["w%d" % j for j in range(X.shape[1])]
    return numeric_case_data(X, y, names, "cultivar", "i64")


def digits(rows, seed):
    X, y = datasets.load_digits(return_X_y=True)
    X, y = sample_rows(X, y, rows, seed)
    names = ["px%d" % j for j in range(X.shape[1])]
    return numeric_case_data(X, y, names, "digit", "i64")


def diabetes(rows, seed):
    X, y = datasets.load_diabetes(return_X_y=True, scaled=False)
    X, y = sample_rows(X, y, rows, seed)
    names = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    # The target in units of 100 around 150 keeps plain SGD stable.
    return numeric_case_data(X, (y - 150.0) / 100.0, names, "progression", "f64")


def synthetic_regression(rows, features, seed, noise=0.1):
    r = np.random.RandomState(seed)
    X = np.round(r.normal(size=(rows, features)), 4)
    w = np.round(r.normal(size=features), 2)
    y = np.round(X @ w + 0.5 + noise * r.normal(size=rows), 4)
    names = ["x%d" % j for j in range(features)]
    data = {nm: [float(v) for v in X[:, j]] for j, nm in enumerate(names)}
    data["y"] = [float(v) for v in y]
    return [{"name": nm, "type": "f64"} for nm in names], [], data


def synthetic_nonlinear(rows, seed):
    """y = sin(x0) * x1 + 0.5 x2^2 + noise: for MLP regressions."""
    r = np.random.RandomState(seed)
    X = np.round(r.uniform(-2, 2, size=(rows, 3)), 4)
    y = np.sin(X[:, 0]) * X[:, 1] + 0.5 * X[:, 2] ** 2 + 0.05 * r.normal(size=rows)
    names = ["a", "b", "c"]
    data = {nm: [float(v) for v in X[:, j]] for j, nm in enumerate(names)}
    data["y"] = [float(v) for v in np.round(y, 4)]
    return [{"name": nm, "type": "f64"} for nm in names], [], data


def synthetic_xor(rows, seed):
    """Two noisy XOR blobs (needs a hidden layer), label i64 0/1."""
    r = np.random.RandomState(seed)
    X = np.round(r.uniform(-1, 1, size=(rows, 2)), 4)
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int)
    flip = r.uniform(size=rows) < 0.05
    y = np.where(flip, 1 - y, y)
    data = {"u": [float(v) for v in X[:, 0]], "v": [float(v) for v in X[:, 1]],
            "label": [int(v) for v in y]}
    return [{"name": "u", "type": "f64"}, {"name": "v", "type": "f64"}], [], data


def synthetic_mixed(rows, seed):
    """Mixed input types for the pipeline in front: an f64 with NaNs
    (impute, standardize), an f64 with outliers (clip, minmax), an i64
    category with a missing sentinel (one_hot; missing -> all zeros), an i32
    count (standardize of an Int), a bool flag (a 0/1 feature as is)."""
    r = np.random.RandomState(seed)
    income = np.round(r.lognormal(10, 0.5, size=rows), 2)
    income_nan = income.copy()
    income_nan[r.uniform(size=rows) < 0.1] = np.nan
    load = np.round(r.normal(0.5, 0.4, size=rows), 3)
    plan = r.randint(-1, 3, size=rows)  # -1: missing
    visits = r.poisson(4, size=rows).astype(np.int32)
    flag = r.uniform(size=rows) < 0.3
    logit = (0.8 * (np.log(income) - 10) / 0.5 - 1.2 * np.clip(load, 0, 1)
             + 0.9 * (plan == 2) - 0.6 * (plan == 0) + 0.15 * (visits - 4)
             + 0.7 * flag)
    y = (r.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    known = income_nan[~np.isnan(income_nan)]
    imp = float(np.round(np.mean(known), 2))
    filled = np.where(np.isnan(income_nan), imp, income_nan)
    inputs = [{"name": "income", "type": "f64"}, {"name": "load", "type": "f64"},
              {"name": "plan", "type": "i64", "missing": -1},
              {"name": "visits", "type": "i32"}, {"name": "flag", "type": "bool"}]
    steps = [{"op": "impute", "column": "income", "value": imp},
             {"op": "standardize", "column": "income", "mean": float(np.mean(filled)),
              "std": float(np.std(filled))},
             {"op": "clip", "column": "load", "min": 0.0, "max": 1.0},
             {"op": "minmax", "column": "load", "min": 0.0, "max": 1.0},
             {"op": "one_hot", "column": "plan", "categories": [0, 1, 2]},
             {"op": "standardize", "column": "visits", "mean": 4.0, "std": 2.0}]
    data = {"income": [None if np.isnan(v) else float(v) for v in income_nan],
            "load": [float(v) for v in load], "plan": [int(v) for v in plan],
            "visits": [int(v) for v in visits], "flag": [bool(v) for v in flag],
            "churned": [int(v) for v in y]}
    return inputs, steps, data


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

CASES = []


def case(name, notes, data, label, model, expect=None, max_batches=None,
         label_type=None, features=None, **keys):
    """Registers a case. `data` is (inputs, steps, columns); `keys` are the
    descriptor's remaining top-level keys (loss, optimizer, epochs, ...);
    `expect` the behaviour the reference must show (checked)."""
    CASES.append(dict(name=name, notes=notes, data=data, label=label, model=model,
                      expect=expect or {}, max_batches=max_batches,
                      label_type=label_type, features=features, keys=keys))


def build_descriptor(c):
    inputs, steps, _ = c["data"]
    desc = {"specjit": 1, "kind": "train", "name": c["name"], "inputs": inputs,
            "label": {"name": c["label"]}}
    if c["label_type"]:
        desc["label"]["type"] = c["label_type"]
    if steps:
        desc["steps"] = steps
    if c["features"]:
        desc["features"] = c["features"]
    desc["model"] = c["model"]
    desc.update(c["keys"])
    return desc


def run_case(c):
    desc = build_descriptor(c)
    _, _, data = c["data"]
    X, feature_names = compute_features(desc, data)
    label_name = c["label"]
    y = np.array(data[label_name], dtype=float)
    spec = resolve(desc, X.shape[1])
    layers, history, stop, best_epoch = train(spec, X, y, c["max_batches"])

    # The trained model on every row (docs/model-semantics.md: dot products
    # left to right).
    _, acts = forward(layers, X, dot=lambda p: seqsum(p, axis=-1))
    pred = apply_link(spec["link"], acts[-1])
    assert np.all(np.isfinite(pred))

    check_gradients(spec, X, y, c["name"])
    check_expectations(c, spec, X, y, history, stop, best_epoch)
    k = pred.shape[1]
    expected = {"features": feature_names, "model": model_json(spec, layers),
                "history": history, "stop_reason": stop, "best_epoch": best_epoch,
                "prediction_columns": prediction_columns(k),
                "predictions": pred.tolist()}
    return {"case": c["name"], "generator": GENERATOR, "notes": c["notes"],
            "descriptor": desc, "data": data, "rows": len(y),
            "expected": expected, "rtol": RTOL}


def check_gradients(spec, X, y, where):
    """Self-check: the backpropagated gradient of the first batch's
    objective (mean loss + (l2/2) sum W^2) against central differences."""
    layers = copy.deepcopy(spec["init_layers"])
    B = min(spec["batch_size"], len(y), 8)
    xb, yb = X[:B], y[:B]
    loss, l2 = spec["loss"], spec["l2"]

    def objective(ls):
        _, acts = forward(ls, xb)
        reg = sum(float(np.sum(l["W"] * l["W"])) for l in ls)
        return float(np.mean(row_losses(loss, acts[-1], yb))) + 0.5 * l2 * reg

    pres, acts = forward(layers, xb)
    grads = gradients(layers, pres, acts, dloss_dz(loss, acts[-1], yb, B), l2)
    h = 1e-6
    for l, (gW, gb) in enumerate(grads):
        for key, g in (("W", gW), ("b", gb)):
            theta = layers[l][key]
            for idx in list(np.ndindex(theta.shape))[:12]:
                up, down = copy.deepcopy(layers), copy.deepcopy(layers)
                up[l][key][idx] += h
                down[l][key][idx] -= h
                num = (objective(up) - objective(down)) / (2 * h)
                assert abs(num - g[idx]) <= 1e-6 * max(1.0, abs(num)), \
                    "%s: gradient of layer %d %s%s: backprop %r, numeric %r" % (
                        where, l, key, idx, g[idx], num)


def check_expectations(c, spec, X, y, history, stop, best_epoch):
    e = c["expect"]
    where = c["name"]
    es = spec["early_stopping"]
    if es:
        # No improvement decision may be a near tie: a trainer that sums in
        # another order (a few ulp) must still decide every epoch the same.
        best = math.inf
        for h in history:
            v, threshold = h["validation_loss"], best - es["min_delta"]
            if math.isfinite(threshold):
                assert abs(v - threshold) > 1e-6 * abs(v), \
                    "%s: epoch %d's validation loss is a near tie" % (where, h["epoch"])
            if v < threshold:
                best = v
    if "stop" in e:
        assert stop == e["stop"], "%s: stop %s, wanted %s" % (where, stop, e["stop"])
    if e.get("restores_earlier_epoch"):
        assert 0 < best_epoch < len(history), \
            "%s: best epoch %d of %d does not show restoring" % (where, best_epoch, len(history))
    if "min_delta_matters" in e:
        # The same run with min_delta 0 must end differently (other best
        # epoch or stop), else min_delta is not exercised.
        spec0 = dict(spec)
        spec0["early_stopping"] = dict(spec["early_stopping"], min_delta=0.0)
        _, h0, s0, b0 = train(spec0, X, y, c["max_batches"])
        assert (b0, len(h0), s0) != (best_epoch, len(history), stop), \
            "%s: min_delta changes nothing" % where


def hidden(*layers):
    return [{"units": u, "activation": a} for u, a in layers]


def define_cases():
    bc = breast_cancer(120, 1)
    bc_small = breast_cancer(48, 2)
    ir = iris(3)
    wi = wine(4)
    dg = digits(100, 5)
    db = diabetes(120, 6)
    reg = synthetic_regression(90, 4, 7)
    nl = synthetic_nonlinear(100, 8)
    xo = synthetic_xor(120, 9)
    mx = synthetic_mixed(160, 10)

    # --- linear models ----------------------------------------------------
    case("linear_mse_sgd", "linear regression, plain sgd (momentum 0), batch 7 "
         "of 90 rows (last batch 6), no shuffle", reg, "y",
         {"type": "linear"}, loss="mse",
         optimizer={"type": "sgd", "learning_rate": 0.02, "momentum": 0.0},
         epochs=12, batch_size=7, label_type="f64")
    case("linear_mse_momentum_l2_shuffle", "linear regression, sgd momentum 0.9, "
         "l2 0.05, shuffle seed 12345, batch 16 of 90", reg, "y",
         {"type": "linear", "link": "identity"}, loss="mse",
         optimizer={"type": "sgd", "learning_rate": 0.005, "momentum": 0.9},
         epochs=10, batch_size=16, shuffle={"seed": 12345}, l2=0.05)
    case("linear_mse_adam_diabetes", "diabetes (120 rows, raw features, "
         "standardize steps), adam, batch 32 of 120, l2 0.01", db, "progression",
         {"type": "linear"}, loss="mse",
         optimizer={"type": "adam", "learning_rate": 0.05, "beta1": 0.85,
                    "beta2": 0.99, "epsilon": 1e-7},
         epochs=15, batch_size=32, l2=0.01)
    case("linear_defaults_sgd", "every default: optimizer sgd lr 0.01 momentum 0, "
         "10 epochs, batch 32 of 90, no shuffle, l2 0; link from the loss, "
         "label type from the loss", reg, "y", {"type": "linear"}, loss="mse")
    case("linear_logistic_sgd_breast_cancer", "breast cancer (120 rows, 30 "
         "features, standardize steps), log_loss, plain sgd, batch 16", bc,
         "malignant", {"type": "linear", "link": "logistic"}, loss="log_loss",
         optimizer={"type": "sgd", "learning_rate": 0.1}, epochs=8, batch_size=16,
         label_type="i64")
    case("linear_logistic_momentum_early_stop", "breast cancer, sgd momentum 0.9, "
         "shuffle seed 42, l2 0.001, early stopping (20% validation, patience 2) "
         "that stops and restores an earlier epoch", bc, "malignant",
         {"type": "linear", "link": "logistic"}, loss="log_loss",
         optimizer={"type": "sgd", "learning_rate": 0.5, "momentum": 0.9},
         epochs=60, batch_size=8, shuffle={"seed": 42}, l2=0.001,
         early_stopping={"validation_fraction": 0.2, "patience": 2, "min_delta": 0.0},
         expect={"stop": "early_stopping", "restores_earlier_epoch": True})
    case("linear_logistic_adam_batch1", "breast cancer (48 rows), adam defaults "
         "but lr, batch_size 1, loss from the link", bc_small, "malignant",
         {"type": "linear", "link": "logistic"},
         optimizer={"type": "adam", "learning_rate": 0.01}, epochs=3, batch_size=1)
    case("linear_logistic_sgd_l2_batch1", "breast cancer (48 rows), "
         "SGDClassifier's per-sample update: plain sgd, l2 0.001, batch_size 1, "
         "shuffle seed 3", bc_small, "malignant",
         {"type": "linear", "link": "logistic"}, loss="log_loss",
         optimizer={"type": "sgd", "learning_rate": 0.01}, epochs=3, batch_size=1,
         shuffle={"seed": 3}, l2=0.001, label_type="i64")
    case("linear_mse_momentum_l2_batch1", "linear regression, sgd momentum 0.9, "
         "l2 0.01, batch_size 1, shuffle seed 77", reg, "y",
         {"type": "linear"}, loss="mse",
         optimizer={"type": "sgd", "learning_rate": 0.002, "momentum": 0.9},
         epochs=3, batch_size=1, shuffle={"seed": 77}, l2=0.01, label_type="f64")
    case("linear_softmax_adam_batch1_early_stop", "iris, softmax over 3 outputs, "
         "adam, batch_size 1, shuffle seed 9, early stopping (20% validation, "
         "patience 2)", ir, "species",
         {"type": "linear", "link": "softmax", "num_outputs": 3},
         loss="cross_entropy", optimizer={"type": "adam", "learning_rate": 0.01},
         epochs=6, batch_size=1, shuffle={"seed": 9},
         early_stopping={"validation_fraction": 0.2, "patience": 2})
    case("linear_logistic_init", "explicit init (weights, intercepts) for a "
         "logistic model on the XOR blobs (no linear fit, so the start "
         "shows); plain sgd", xo, "label",
         {"type": "linear", "link": "logistic",
          "init": {"weights": [[0.75, -1.25]], "intercepts": [0.3]}},
         loss="log_loss", optimizer={"type": "sgd", "learning_rate": 0.2},
         epochs=4, batch_size=25)
    case("linear_softmax_sgd_iris", "iris (shuffled rows), softmax over 3 "
         "outputs, cross_entropy, sgd momentum 0.5, shuffle: true (seed 0), "
         "batch 10", ir, "species",
         {"type": "linear", "link": "softmax", "num_outputs": 3},
         loss="cross_entropy",
         optimizer={"type": "sgd", "learning_rate": 0.1, "momentum": 0.5},
         epochs=10, batch_size=10, shuffle=True)
    case("linear_softmax_adam_wine_fullbatch", "wine (178 rows, 13 features), "
         "adam, batch_size 500 > rows (one batch per epoch), l2 0.01; link from "
         "the loss", wi, "cultivar", {"type": "linear", "num_outputs": 3},
         loss="cross_entropy", optimizer={"type": "adam", "learning_rate": 0.05},
         epochs=25, batch_size=500, l2=0.01)
    case("linear_softmax_digits_epochs_run_out", "digits (100 rows, 64 pixel "
         "features, constant ones left unstandardized), 10 classes, sgd momentum "
         "0.9, early stopping whose patience outlasts the epochs: stop reason "
         "epochs, the best (earlier) epoch restored", dg, "digit",
         {"type": "linear", "link": "softmax", "num_outputs": 10},
         loss="cross_entropy",
         optimizer={"type": "sgd", "learning_rate": 0.3, "momentum": 0.9},
         epochs=14, batch_size=20, shuffle={"seed": 2024},
         early_stopping={"validation_fraction": 0.25, "patience": 20},
         expect={"stop": "epochs", "restores_earlier_epoch": True})
    case("linear_min_delta", "iris, sgd, early stopping with min_delta 0.01: "
         "small validation improvements do not count (checked: min_delta 0 "
         "ends differently)", ir, "species",
         {"type": "linear", "link": "softmax", "num_outputs": 3},
         loss="cross_entropy", optimizer={"type": "sgd", "learning_rate": 0.05},
         epochs=40, batch_size=15,
         early_stopping={"validation_fraction": 0.2, "patience": 3, "min_delta": 0.01},
         expect={"stop": "early_stopping", "min_delta_matters": True})
    case("linear_time_limit_one_batch", "limits.max_seconds 1e-9: the time check "
         "after the first batch stops training: stop reason time_limit, no "
         "finished epoch in the history, the parameters after one sgd update",
         reg, "y", {"type": "linear"}, loss="mse",
         optimizer={"type": "sgd", "learning_rate": 0.05, "momentum": 0.5},
         epochs=1000, batch_size=10, limits={"max_seconds": 1e-9},
         max_batches=1, expect={"stop": "time_limit"})

    # --- pipeline steps in front ----------------------------------------
    case("linear_steps_mixed_types", "steps in front: impute + standardize "
         "(f64 with NaN), clip + minmax, one_hot of an i64 with sentinel -1, "
         "standardize of an i32, a bool feature; explicit features order; "
         "logistic, sgd momentum 0.8, shuffle seed 7", mx, "churned",
         {"type": "linear", "link": "logistic"}, loss="log_loss",
         optimizer={"type": "sgd", "learning_rate": 0.1, "momentum": 0.8},
         epochs=10, batch_size=24, shuffle={"seed": 7}, l2=0.002,
         features=["flag", "income", "load", "plan=0", "plan=1", "plan=2", "visits"])
    case("mlp_steps_mixed_types", "the mixed-type pipeline in front of an MLP "
         "(tanh 5, identity 1), logistic link, adam, early stopping 25%",
         mx, "churned",
         {"type": "mlp", "link": "logistic", "init_seed": 99,
          "layers": hidden((5, "tanh"), (1, "identity"))},
         loss="log_loss", optimizer={"type": "adam", "learning_rate": 0.02},
         epochs=12, batch_size=16,
         early_stopping={"validation_fraction": 0.25, "patience": 4})

    # --- MLPs -----------------------------------------------------------
    case("mlp_relu_mse_sgd", "MLP relu 8 + identity 1, mse, plain sgd, Glorot "
         "init seed 7, batch 13 of 100", nl, "y",
         {"type": "mlp", "init_seed": 7, "layers": hidden((8, "relu"), (1, "identity"))},
         loss="mse", optimizer={"type": "sgd", "learning_rate": 0.02},
         epochs=15, batch_size=13)
    case("mlp_tanh_mse_momentum_l2", "MLP tanh 6 + identity 1, mse, sgd momentum "
         "0.9, l2 0.01, shuffle seed 5", nl, "y",
         {"type": "mlp", "init_seed": 1, "layers": hidden((6, "tanh"), (1, "identity"))},
         loss="mse", optimizer={"type": "sgd", "learning_rate": 0.01, "momentum": 0.9},
         epochs=12, batch_size=10, shuffle={"seed": 5}, l2=0.01)
    case("mlp_logistic_hidden_mse_adam", "MLP logistic 5 + identity 1, mse, adam, "
         "default init_seed 0", nl, "y",
         {"type": "mlp", "layers": hidden((5, "logistic"), (1, "identity"))},
         loss="mse", optimizer={"type": "adam", "learning_rate": 0.03},
         epochs=15, batch_size=20)
    case("mlp_identity_hidden_diabetes", "diabetes, MLP identity 4 + identity 1 "
         "(a factored linear model), mse, adam, batch 32 of 120, l2 0.001", db,
         "progression",
         {"type": "mlp", "init_seed": 3, "layers": hidden((4, "identity"), (1, "identity"))},
         loss="mse", optimizer={"type": "adam", "learning_rate": 0.01},
         epochs=10, batch_size=32, l2=0.001)
    case("mlp_tanh_logloss_adam_breast_cancer", "breast cancer, MLP tanh 6 + "
         "identity 1, logistic link, log_loss, adam", bc, "malignant",
         {"type": "mlp", "link": "logistic", "init_seed": 11,
          "layers": hidden((6, "tanh"), (1, "identity"))},
         loss="log_loss", optimizer={"type": "adam", "learning_rate": 0.01},
         epochs=8, batch_size=32)
    case("mlp_relu_logloss_sgd_xor", "XOR blobs, MLP relu 8 + identity 1, "
         "log_loss, sgd momentum 0.9, batch 1, shuffle seed 77", xo, "label",
         {"type": "mlp", "link": "logistic", "init_seed": 5,
          "layers": hidden((8, "relu"), (1, "identity"))},
         loss="log_loss", optimizer={"type": "sgd", "learning_rate": 0.02, "momentum": 0.9},
         epochs=5, batch_size=1, shuffle={"seed": 77})
    case("mlp_logistic_xent_momentum_iris", "iris, MLP logistic 5 + identity 3, "
         "softmax, cross_entropy, sgd momentum 0.9, shuffle seed 3", ir, "species",
         {"type": "mlp", "link": "softmax", "init_seed": 21,
          "layers": hidden((5, "logistic"), (3, "identity"))},
         loss="cross_entropy", optimizer={"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
         epochs=15, batch_size=12, shuffle={"seed": 3})
    case("mlp_2hidden_relu_tanh_adam_wine_early_stop", "wine, 2 hidden layers "
         "(relu 8, tanh 6) + identity 3, adam, l2 0.001, shuffle seed 11, early "
         "stopping (20%, patience 3) that stops", wi, "cultivar",
         {"type": "mlp", "link": "softmax", "init_seed": 13,
          "layers": hidden((8, "relu"), (6, "tanh"), (3, "identity"))},
         loss="cross_entropy", optimizer={"type": "adam", "learning_rate": 0.05},
         epochs=80, batch_size=16, shuffle={"seed": 11}, l2=0.001,
         early_stopping={"validation_fraction": 0.2, "patience": 3},
         expect={"stop": "early_stopping", "restores_earlier_epoch": True})
    case("mlp_2hidden_tanh_relu_logloss_sgd", "XOR blobs, 2 hidden layers (tanh "
         "6, relu 4) + identity 1, log_loss, plain sgd, batch 50 of 120", xo,
         "label",
         {"type": "mlp", "link": "logistic", "init_seed": 17,
          "layers": hidden((6, "tanh"), (4, "relu"), (1, "identity"))},
         loss="log_loss", optimizer={"type": "sgd", "learning_rate": 0.5},
         epochs=20, batch_size=50)
    case("mlp_2hidden_logistic_identity_mse_momentum", "2 hidden layers "
         "(logistic 6, identity 4) + identity 1, mse, sgd momentum 0.7, l2 0.02",
         nl, "y",
         {"type": "mlp", "init_seed": 23,
          "layers": hidden((6, "logistic"), (4, "identity"), (1, "identity"))},
         loss="mse", optimizer={"type": "sgd", "learning_rate": 0.02, "momentum": 0.7},
         epochs=10, batch_size=9, l2=0.02)
    case("mlp_relu_digits_epochs_run_out", "digits, MLP relu 12 + identity 10, "
         "adam, early stopping (patience 10 outlasts 12 epochs), min_delta "
         "0.001: stop reason epochs, the best (earlier) epoch restored", dg, "digit",
         {"type": "mlp", "link": "softmax", "init_seed": 2,
          "layers": hidden((12, "relu"), (10, "identity"))},
         loss="cross_entropy", optimizer={"type": "adam", "learning_rate": 0.1},
         epochs=12, batch_size=25, shuffle={"seed": 8},
         early_stopping={"validation_fraction": 0.2, "patience": 10, "min_delta": 0.001},
         expect={"stop": "epochs", "restores_earlier_epoch": True})
    case("mlp_explicit_init_logistic_output", "explicit init (layers of weights "
         "and biases); a logistic output activation (its derivative enters "
         "delta_L), identity link, mse", nl, "y",
         {"type": "mlp",
          "layers": hidden((3, "tanh"), (1, "logistic")),
          "init": {"layers": [
              {"weights": [[0.5, -0.25, 0.1], [-0.3, 0.8, 0.2], [0.05, 0.4, -0.6]],
               "biases": [0.1, -0.1, 0.0]},
              {"weights": [[0.7, -0.5, 0.3]], "biases": [0.2]}]}},
         loss="mse", optimizer={"type": "sgd", "learning_rate": 0.05, "momentum": 0.3},
         epochs=6, batch_size=20)
    case("mlp_large_seeds", "init_seed and shuffle seed near 2^64 "
         "(18446744073709551557, 18446744073709551615): the generators' "
         "unsigned 64-bit arithmetic", nl, "y",
         {"type": "mlp", "init_seed": 18446744073709551557,
          "layers": hidden((4, "tanh"), (1, "identity"))},
         loss="mse", optimizer={"type": "adam", "learning_rate": 0.02},
         epochs=5, batch_size=16, shuffle={"seed": 18446744073709551615})


def self_test_generators():
    """Published SplitMix64 outputs for seed 0 (e.g. Vigna's splitmix64.c)."""
    g = SplitMix64(0)
    assert [g.next() for _ in range(3)] == [
        0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def flat_parameters(model):
    def flat(v):
        return [x for e in v for x in flat(e)] if isinstance(v, list) else [v]
    if model["type"] == "linear":
        return np.array(flat(model["weights"]) + flat(model["intercepts"]))
    return np.array([x for l in model["layers"]
                     for x in flat(l["weights"]) + flat(l["biases"])])


def order_check(cases):
    """Reruns every case with pairwise and with reversed sums: how far the
    expected parameters and losses move when only the summation order
    changes (what a correct trainer may differ by). Fails beyond rtol/100."""
    global seqsum
    baseline = {c["name"]: run_case(c)["expected"] for c in cases}
    orders = {
        "pairwise": lambda a, axis: np.sum(a, axis=axis),
        "reversed": lambda a, axis: np.flip(np.cumsum(np.flip(a, axis=axis), axis=axis),
                                            axis=axis).take(0, axis=axis),
    }
    sequential = seqsum
    worst = 0.0
    try:
        for label, fn in orders.items():
            seqsum = fn
            for c in cases:
                got, want = run_case(c)["expected"], baseline[c["name"]]
                assert (got["stop_reason"], got["best_epoch"], len(got["history"])) == \
                    (want["stop_reason"], want["best_epoch"], len(want["history"])), \
                    "%s: the %s order changes the run" % (c["name"], label)
                a, b = flat_parameters(got["model"]), flat_parameters(want["model"])
                la = np.array([h["train_loss"] for h in got["history"]] or [0.0])
                lb = np.array([h["train_loss"] for h in want["history"]] or [0.0])
                rel = max(np.max(np.abs(a - b) / np.maximum(np.maximum(abs(a), abs(b)), 1e-12)),
                          np.max(np.abs(la - lb) / np.maximum(np.maximum(abs(la), abs(lb)), 1e-12)))
                worst = max(worst, rel)
                print("%-48s %-8s max relative change %.1e" % (c["name"], label, rel))
    finally:
        seqsum = sequential
    print("worst %.1e (rtol %g)" % (worst, RTOL))
    assert worst < RTOL / 100, "a case is too sensitive to summation order"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", help="generate one case")
    ap.add_argument("--order-check", action="store_true",
                    help="write nothing; report how much each case moves "
                    "under other summation orders")
    args = ap.parse_args()
    self_test_generators()
    define_cases()
    if args.order_check:
        order_check([c for c in CASES if not args.only or c["name"] == args.only])
        return 0
    os.makedirs(args.out, exist_ok=True)
    total = 0
    for c in CASES:
        if args.only and c["name"] != args.only:
            continue
        doc = run_case(c)
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False) + "\n"
        path = os.path.join(args.out, c["name"] + ".json")
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
        e = doc["expected"]
        h = e["history"]
        print("%-48s rows %3d  epochs %3d  stop %-14s best %3d  train %.4g  val %s"
              % (c["name"], doc["rows"], len(h), e["stop_reason"], e["best_epoch"],
                 h[-1]["train_loss"] if h else float("nan"),
                 "%.4g" % h[-1]["validation_loss"] if h and h[-1]["validation_loss"] is not None else "-"))
    print("%d bytes in all" % total)


if __name__ == "__main__":
    sys.exit(main())
