#!/usr/bin/python3
"""Generates reference data for XGBoost models (the `model` family).

Run with Debian's interpreter (python3-xgboost, numpy):

    /usr/bin/python3 test/reference/gen_xgboost_reference.py [--out DIR]

For each case it trains a small XGBoost model on synthetic data (28
features, some NaN) and writes, in DIR (default test/data/models):

  - xgb_<case>.model.json: the model as Booster.save_model() writes it;
  - xgb_<case>.json: the reference case, in the format of
    test/data/pipeline/*.json:

    {"case": "xgb_<case>", "generator": "xgboost X / numpy Y",
     "notes": "...",
     "descriptor": null,                  # the test imports the model itself
     "model_file": "xgb_<case>.model.json",
     "objective": "binary:logistic", "params": {... training parameters ...},
     "inputs": {"f0": [...], ..., "f27": [...]},   # null = NaN
     "columns": [...],                    # output names of the prediction
     "expected": [[...]],                 # Booster.predict(DMatrix(X))
     "columns_margin": [...],             # output names with margin = true
     "expected_margin": [[...]],          # Booster.predict(..., output_margin=True)
     "rtol": 1e-6, "atol": 1e-6}

Inputs. Every value is written as a JSON number that the test reads as a
double and rounds to f32; the generator feeds XGBoost exactly those f32
values (it parses its own JSON back and converts the same way). Most values
sit on a 0.01 grid; in about a tenth of the rows a few features are set to
split thresholds of the trained model (exact f32 values, written as the
double they widen to), so that `x == threshold` (which goes right) is
exercised; about 8% of the values are NaN (null), in training as well, so
the trees learn default directions.

Outputs. `expected` and `expected_margin` are XGBoost's f32 results, written
as the doubles they widen to (exact). `columns` follow the descriptor
defaults of docs/model-semantics.md: `prediction` for one output,
`class_0..` for several, `class` for multi:softmax's transformed output.

Self-check (the generator fails when it does not hold): an independent
evaluator of the saved JSON written here from the documented format
(numpy f32: `x < threshold` goes left, NaN goes to the default child, a
leaf's value is split_conditions[leaf], leaves summed in f32 in tree order
starting from the base score, the base score moved to margin space with
logit in f32 for binary:logistic / reg:logistic) reproduces XGBoost's
margins bit for bit; and the booster reloaded from the saved file predicts
exactly what the trained one does.

Tolerances: rtol = atol = 1e-6. Margins should agree exactly (the same f32
operations in the same order); the transformed outputs differ because
XGBoost runs the link in f32 and the descriptor in f64 (then rounds).

Deterministic: every case has its own numpy seed and XGBoost seed, and
training uses one thread.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import sys

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "data", "models")

GENERATOR = "xgboost %s / numpy %s" % (xgb.__version__, np.__version__)

NUM_FEATURES = 28
TRAIN_ROWS = 400
TEST_ROWS = 200
NAN_FRACTION = 0.08
RTOL = 1e-6
ATOL = 1e-6

_libm = ctypes.CDLL(ctypes.util.find_library("m"))
_libm.logf.restype = ctypes.c_float
_libm.logf.argtypes = [ctypes.c_float]


def logf(x):
    """C's logf (what XGBoost calls), not numpy's float32 log."""
    return np.float32(_libm.logf(float(x)))


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def features(rng, rows):
    """rows x 28 features on a 0.01 grid, with NaN, as f64."""
    x = rng.normal(size=(rows, NUM_FEATURES))
    x[:, 5:9] *= 10.0                 # a few wider features
    x[:, 9] = rng.integers(0, 5, rows)  # a small-integer feature
    x = np.round(x, 2)
    x[rng.random(x.shape) < NAN_FRACTION] = np.nan
    return x


def signal(x, rng):
    """Three nonlinear scores of the features (NaN read as 0)."""
    z = np.nan_to_num(x)
    s0 = z[:, 0] + 0.8 * z[:, 1] * z[:, 2] - 0.1 * z[:, 5] + 0.5 * (z[:, 9] > 2)
    s1 = np.sin(z[:, 3]) * 2 + 0.05 * z[:, 6] - z[:, 4] * (z[:, 10] > 0)
    s2 = 0.3 * z[:, 11] ** 2 - 1 + 0.1 * z[:, 7] * np.isnan(x[:, 12])
    noise = rng.normal(scale=0.3, size=(x.shape[0], 3))
    return np.stack([s0, s1, s2], axis=1) + noise


def labels(objective, x, rng):
    s = signal(x, rng)
    if objective in ("binary:logistic", "binary:logitraw"):
        return (s[:, 0] > 0.2).astype(np.float64)
    if objective == "reg:logistic":
        return 1.0 / (1.0 + np.exp(-s[:, 0]))  # targets in (0, 1)
    if objective == "reg:squarederror":
        return 3.0 * s[:, 0] + s[:, 1] + 10.0
    if objective in ("multi:softprob", "multi:softmax"):
        return np.argmax(s, axis=1).astype(np.float64)
    if objective == "reg:squarederror/2":
        return np.stack([3.0 * s[:, 0] + 10.0, s[:, 1] - s[:, 2]], axis=1)
    raise ValueError(objective)


def f32_from_json_values(values):
    """What the test does: JSON number -> double -> f32; null -> NaN."""
    return np.array([np.nan if v is None else float(v) for v in values],
                    dtype=np.float64).astype(np.float32)


# ---------------------------------------------------------------------------
# An independent evaluator of the saved JSON model (self-check)
# ---------------------------------------------------------------------------

def margin_base(objective, base_score):
    b = np.float32(base_score)
    if objective in ("binary:logistic", "reg:logistic"):
        return np.float32(-logf(np.float32(np.float32(1.0) / b) - np.float32(1.0)))
    return b


def evaluate_margins(model, x32):
    learner = model["learner"]
    objective = learner["objective"]["name"]
    mp = learner["learner_model_param"]
    num_class = int(mp["num_class"])
    num_target = int(mp.get("num_target", "1"))
    groups = num_class if objective.startswith("multi:") else num_target
    base = margin_base(objective, float(mp["base_score"]))
    gbm = learner["gradient_booster"]["model"]
    rows = x32.shape[0]
    out = np.full((rows, groups), base, dtype=np.float32)
    for tree, group in zip(gbm["trees"], gbm["tree_info"]):
        left, right = tree["left_children"], tree["right_children"]
        index, cond = tree["split_indices"], tree["split_conditions"]
        default_left = tree["default_left"]
        assert all(t == 0 for t in tree["split_type"])
        for r in range(rows):
            i = 0
            while left[i] != -1:
                v = x32[r, index[i]]
                if np.isnan(v):
                    i = left[i] if default_left[i] else right[i]
                elif v < np.float32(cond[i]):
                    i = left[i]
                else:
                    i = right[i]
            out[r, group] = np.float32(out[r, group] + np.float32(cond[i]))
    return out


def split_thresholds(model):
    """(feature, f32 threshold) of every split in the model."""
    out = []
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        for i, l in enumerate(tree["left_children"]):
            if l != -1:
                out.append((tree["split_indices"][i],
                            np.float32(tree["split_conditions"][i])))
    return out


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

# (case, objective, extra params, rounds, seed). Depths 2/4/6 and tree
# counts 1/10/50 for the four main objectives, plus the cheaper extras.
CASES = [
    ("binary_logistic_d2_t1", "binary:logistic", {"max_depth": 2}, 1, 101),
    ("binary_logistic_d4_t10", "binary:logistic",
     {"max_depth": 4, "base_score": 0.3}, 10, 102),
    ("binary_logistic_d6_t50", "binary:logistic",
     {"max_depth": 6, "tree_method": "hist"}, 50, 103),
    ("reg_squarederror_d2_t50", "reg:squarederror",
     {"max_depth": 2, "base_score": 10.0}, 50, 201),
    ("reg_squarederror_d4_t1", "reg:squarederror", {"max_depth": 4}, 1, 202),
    ("reg_squarederror_d6_t10", "reg:squarederror",
     {"max_depth": 6, "tree_method": "hist"}, 10, 203),
    ("multi_softprob_d2_t10", "multi:softprob",
     {"max_depth": 2, "num_class": 3}, 10, 301),
    ("multi_softprob_d4_t50", "multi:softprob",
     {"max_depth": 4, "num_class": 3, "tree_method": "hist"}, 50, 302),
    ("multi_softprob_d6_t1", "multi:softprob",
     {"max_depth": 6, "num_class": 3}, 1, 303),
    ("multi_softmax_d2_t50", "multi:softmax",
     {"max_depth": 2, "num_class": 3, "tree_method": "hist"}, 50, 401),
    ("multi_softmax_d4_t1", "multi:softmax",
     {"max_depth": 4, "num_class": 3}, 1, 402),
    ("multi_softmax_d6_t10", "multi:softmax",
     {"max_depth": 6, "num_class": 3, "base_score": 0.2}, 10, 403),
    ("binary_logitraw_d4_t10", "binary:logitraw",
     {"max_depth": 4, "base_score": 0.3}, 10, 501),
    ("reg_logistic_d3_t10", "reg:logistic",
     {"max_depth": 3, "base_score": 0.7}, 10, 502),
    # A random forest: 4 parallel trees per round, summed (not averaged).
    ("binary_logistic_rf_d4_t3x4", "binary:logistic",
     {"max_depth": 4, "num_parallel_tree": 4, "subsample": 0.8,
      "colsample_bynode": 0.8, "eta": 1.0}, 3, 503),
    # Multi-target regression (num_target = 2): one tree per target and round.
    ("reg_multitarget_d3_t10", "reg:squarederror",
     {"max_depth": 3, "tree_method": "hist"}, 10, 504),
]


def column_names(objective, groups, margin):
    if objective == "multi:softmax" and not margin:
        return ["class"]
    if groups == 1:
        return ["prediction"]
    return ["class_%d" % k for k in range(groups)]


def enc(v):
    v = float(v)
    return None if np.isnan(v) else v


def make_case(name, objective, extra, rounds, seed, out_dir):
    rng = np.random.default_rng(seed)
    x_train = features(rng, TRAIN_ROWS)
    y_train = labels(objective + ("/2" if name.startswith("reg_multitarget")
                                  else ""), x_train, rng)
    params = {"objective": objective, "eta": 0.3, "seed": seed, "nthread": 1,
              "min_child_weight": 0.5}
    params.update(extra)
    dtrain = xgb.DMatrix(x_train.astype(np.float32), label=y_train,
                         missing=np.nan)
    booster = xgb.train(params, dtrain, num_boost_round=rounds)

    model_file = "xgb_%s.model.json" % name
    model_path = os.path.join(out_dir, model_file)
    booster.save_model(model_path)
    with open(model_path) as f:
        model = json.load(f)

    # Test inputs, with some features set to split thresholds.
    x_test = features(rng, TEST_ROWS)
    splits = split_thresholds(model)
    inputs = {}
    cols = []
    for j in range(NUM_FEATURES):
        cols.append([enc(v) for v in x_test[:, j]])
    for r in rng.choice(TEST_ROWS, size=TEST_ROWS // 10, replace=False):
        for _ in range(3):
            f, t = splits[rng.integers(len(splits))]
            cols[f][r] = float(t)  # the exact double of the f32 threshold
    for j in range(NUM_FEATURES):
        # Through JSON and back, exactly as the test will read them.
        cols[j] = json.loads(json.dumps(cols[j]))
        inputs["f%d" % j] = cols[j]
    x32 = np.stack([f32_from_json_values(c) for c in cols], axis=1)

    dtest = xgb.DMatrix(x32, missing=np.nan)
    reloaded = xgb.Booster(model_file=model_path)
    pred = reloaded.predict(dtest)
    margin = reloaded.predict(dtest, output_margin=True)
    if not (np.array_equal(pred, booster.predict(dtest), equal_nan=True) and
            np.array_equal(margin, booster.predict(dtest, output_margin=True),
                           equal_nan=True)):
        raise SystemExit("%s: the reloaded booster predicts differently" % name)
    assert pred.dtype == np.float32 and margin.dtype == np.float32

    mp = model["learner"]["learner_model_param"]
    groups = (int(mp["num_class"]) if objective.startswith("multi:")
              else int(mp.get("num_target", "1")))
    pred = pred.reshape(TEST_ROWS, -1)
    margin = margin.reshape(TEST_ROWS, groups)

    mine = evaluate_margins(model, x32)
    if not np.array_equal(mine, margin):
        bad = np.argwhere(mine != margin)
        raise SystemExit("%s: self-check: %d margins differ from XGBoost, "
                         "first at %s: %r != %r" %
                         (name, len(bad), bad[0], mine[tuple(bad[0])],
                          margin[tuple(bad[0])]))

    at_threshold = 0
    split_set = {}
    for f, t in splits:
        split_set.setdefault(f, set()).add(float(t))
    for j, ts in split_set.items():
        at_threshold += int(sum(1 for v in x32[:, j] if float(v) in ts))

    case = {
        "case": "xgb_" + name,
        "generator": GENERATOR,
        "notes": ("%s, %d rounds, params %s; expected = Booster.predict of "
                  "the saved model reloaded, expected_margin = the same with "
                  "output_margin=True; %d test values lie exactly on a split "
                  "threshold of their feature" %
                  (objective, rounds, json.dumps(params, sort_keys=True),
                   at_threshold)),
        "descriptor": None,
        "model_file": model_file,
        "objective": objective,
        "params": params,
        "inputs": inputs,
        "columns": column_names(objective, groups, False),
        "expected": [[float(v) for v in row] for row in pred],
        "columns_margin": column_names(objective, groups, True),
        "expected_margin": [[float(v) for v in row] for row in margin],
        "rtol": RTOL,
        "atol": ATOL,
    }
    assert len(case["columns"]) == pred.shape[1], name
    text = json.dumps(case, allow_nan=False, separators=(",", ":"))
    path = os.path.join(out_dir, "xgb_%s.json" % name)
    with open(path, "w") as f:
        f.write(text + "\n")
    sizes = (os.path.getsize(model_path), len(text) + 1)
    return sizes, len(model["learner"]["gradient_booster"]["model"]["trees"]), \
        at_threshold


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output directory (default: %(default)s)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    total = 0
    written = set()
    for name, objective, extra, rounds, seed in CASES:
        (msize, csize), trees, at_thr = make_case(name, objective, extra,
                                                  rounds, seed, args.out)
        written.update({"xgb_%s.json" % name, "xgb_%s.model.json" % name})
        total += msize + csize
        if not args.quiet:
            print("xgb_%-30s trees=%-4d model %6.1f KB  case %6.1f KB  "
                  "on-threshold values %d  self-check ok" %
                  (name, trees, msize / 1024.0, csize / 1024.0, at_thr))
    stale = [f for f in os.listdir(args.out)
             if f.startswith("xgb_") and f not in written]
    for f in stale:
        print("warning: %s is not produced by this generator" %
              os.path.join(args.out, f), file=sys.stderr)
    if not args.quiet:
        print("%d cases, %.1f KB in %s" % (len(CASES), total / 1024.0, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
