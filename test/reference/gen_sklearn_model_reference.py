#!/usr/bin/python3
"""Generates reference data for the `model` family from scikit-learn.

Run with Debian's interpreter (it has scikit-learn and numpy):

    /usr/bin/python3 test/reference/gen_sklearn_model_reference.py [--out DIR]

For each case it writes DIR/sk_<case>.json (default DIR: test/data/models):

    {"case": "sk_<case>", "generator": "scikit-learn X / numpy Y",
     "notes": "what produced `expected`",
     "descriptor": {... the `model` descriptor from python/specjit_export ...},
     "inputs": {"col": [values]},
     "columns": [output column names],
     "expected": [[row values]],
     "rtol": 1e-9, "atol": 1e-9}

Value encoding as in test/reference/gen_pipeline_reference.py: float columns
are JSON numbers (null for NaN), integer columns JSON integers (the missing
sentinel included), bool columns true/false, string columns strings.

`expected` always comes from scikit-learn: predict_proba for classifiers
(only the column of classes_[1] where the descriptor has a single logistic
output), predict for regressors, decision_function for the *_margin cases.
As a self-check every case is also evaluated by the independent evaluator of
docs/model-semantics.md in python/tests/test_export.py; the generator fails if
the two disagree beyond rtol/atol and prints how many values are not
bit-identical. Tree cases hold extra rows whose features sit on, and one ulp
around, split thresholds (and their float32 neighbours): scikit-learn rounds
tree inputs to float32, and the exported thresholds must route those rows
exactly as it does (see python/README.md, "Tree thresholds").

Deterministic: every case uses its own fixed numpy seed.
"""

import argparse
import json
import math
import os
import sys
import warnings

import numpy as np
import sklearn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "data", "models")
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))

from specjit_export import dumps, export  # noqa: E402
from test_export import evaluate  # noqa: E402

from sklearn.ensemble import (GradientBoostingClassifier,  # noqa: E402
                              GradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import (LinearRegression,  # noqa: E402
                                  LogisticRegression)
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import (FunctionTransformer,  # noqa: E402
                                   MinMaxScaler, OneHotEncoder,
                                   PolynomialFeatures, StandardScaler)
from sklearn.tree import (DecisionTreeClassifier,  # noqa: E402
                          DecisionTreeRegressor)

GENERATOR = "scikit-learn %s / numpy %s" % (sklearn.__version__, np.__version__)
RTOL = 1e-9
ATOL = 1e-9
N_ROWS = 150

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def enc_float(x):
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc_column(values, dtype):
    if dtype in ("f32", "f64"):
        return [enc_float(v) for v in values]
    if dtype == "bool":
        return [bool(v) for v in values]
    if dtype in ("i32", "i64"):
        return [int(v) for v in values]
    return [str(v) for v in values]


def short(x, decimals=4):
    """Rounds random data so the JSON stays short (values stay f64)."""
    return np.round(np.asarray(x, dtype=np.float64), decimals)


def classification(seed, n, n_features, n_classes, scale=None):
    """Train and test draws of one random classification problem."""
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=n + N_ROWS, n_features=n_features,
                               n_informative=min(n_features, 4),
                               n_redundant=0, n_classes=n_classes,
                               n_clusters_per_class=1, class_sep=0.8,
                               flip_y=0.05, random_state=seed)
    if scale is not None:
        X = X * np.asarray(scale)
    X = short(X)
    return X[:n], y[:n], X[n:]


def regression(seed, n, n_features, nonlinear=True):
    rng = np.random.default_rng(seed)
    X = short(rng.normal(0.0, 1.0, (n + N_ROWS, n_features)) *
              rng.uniform(0.5, 3.0, n_features))
    w = rng.normal(0.0, 2.0, n_features)
    y = X @ w + rng.normal(0.0, 0.3, len(X))
    if nonlinear:
        y = y + 2.0 * np.sin(X[:, 0]) + np.abs(X[:, 1]) * X[:, -1]
    return X[:n], y[:n], X[n:]


def sklearn_trees(est):
    """The fitted sklearn `Tree`s of a tree model (any ensemble)."""
    if hasattr(est, "tree_"):
        return [est.tree_]
    ests = np.asarray(est.estimators_, dtype=object).ravel()
    return [e.tree_ for e in ests]


def boundary_rows(est, X, rng, count, columns=None):
    """Rows of X with one feature moved onto a split threshold t of a tree, or
    one ulp around t, or onto the float32 neighbours of t: the values where
    scikit-learn's float32 comparison `float32(x) <= t` is decided."""
    from specjit_export import split_threshold
    splits = []
    for tree in sklearn_trees(est):
        for i in np.flatnonzero(tree.children_left != -1):
            f = int(tree.feature[i])
            if columns is None or f in columns:
                splits.append((f, float(tree.threshold[i])))
    rows = []
    for k in range(count):
        f, t = splits[rng.integers(len(splits))]
        f32 = np.float32(t)
        T = split_threshold(t)
        cands = [t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf),
                 float(f32), float(np.nextafter(f32, np.float32(np.inf))),
                 float(np.nextafter(f32, np.float32(-np.inf))), T,
                 np.nextafter(T, -np.inf)]
        r = X[rng.integers(len(X))].copy()
        r[f] = cands[k % len(cands)]
        rows.append(r)
    return np.array(rows)


def matrix_case(name, est, X, notes, margin=False, feature_names=None,
                input_types=None, Xsk=None, inputs=None, kind=None):
    """A case whose inputs are the columns of X (numbers)."""
    desc = export(est, feature_names=feature_names, input_types=input_types,
                  name=name, margin=margin)
    types = [i["type"] for i in desc["inputs"]]
    names = [i["name"] for i in desc["inputs"]]
    if inputs is None:
        inputs = {n: enc_column(X[:, j], t)
                  for j, (n, t) in enumerate(zip(names, types))}
    Xs = X if Xsk is None else Xsk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if margin:
            exp = np.asarray(est.decision_function(Xs), dtype=np.float64)
            exp = exp.reshape(len(X), -1)
            what = "decision_function"
        elif getattr(est, "_estimator_type", "") == "classifier":
            exp = np.asarray(est.predict_proba(Xs), dtype=np.float64)
            what = "predict_proba"
            if exp.shape[1] == 2 and len(desc["output"]["columns"]) == 1:
                exp = exp[:, 1:]
                what = "predict_proba[:, 1]"
        else:
            exp = np.asarray(est.predict(Xs),
                             dtype=np.float64).reshape(len(X), -1)
            what = "predict"
    return {"case": "sk_" + name, "generator": GENERATOR,
            "notes": notes + " expected = %s." % what,
            "descriptor": desc, "inputs": inputs,
            "columns": list(desc["output"]["columns"]),
            "expected": [[enc_float(v) for v in row] for row in exp],
            "rtol": RTOL, "atol": ATOL}


def check(c):
    """Evaluates the case with the independent evaluator; returns a status
    line or raises SystemExit."""
    names, got = evaluate(json.loads(dumps(c["descriptor"])), c["inputs"])
    if names != c["columns"]:
        raise SystemExit("%s: evaluator columns %r != %r" %
                         (c["case"], names, c["columns"]))
    exp = np.array([[np.nan if v is None else float(v) for v in row]
                    for row in c["expected"]])
    if exp.shape != got.shape:
        raise SystemExit("%s: shape %s != evaluator %s" %
                         (c["case"], exp.shape, got.shape))
    nan_e, nan_g = np.isnan(exp), np.isnan(got)
    if (nan_e != nan_g).any():
        raise SystemExit("%s: NaN pattern differs" % c["case"])
    diff = np.abs(np.where(nan_e, 0.0, exp - got))
    if not (diff <= c["atol"] + c["rtol"] * np.abs(np.where(nan_e, 0, exp))
            ).all():
        raise SystemExit("%s: reference and evaluator disagree beyond "
                         "rtol=%g atol=%g (max abs %g)" %
                         (c["case"], c["rtol"], c["atol"], diff.max()))
    nbits = int((exp[~nan_e] != got[~nan_e]).sum())
    if nbits:
        return "%d of %d values differ from the evaluator by rounding (max " \
               "abs %.3g)" % (nbits, exp.size, diff.max())
    return "bit-identical to the evaluator"


# ---------------------------------------------------------------------------
# Cases: trees
# ---------------------------------------------------------------------------

TREE_NOTE = ("Thresholds: scikit-learn goes left when float32(x) <= t; the "
             "descriptor holds the smallest f64 T with x < T <=> "
             "float32(x) <= t. Rows %d.. put a feature on a threshold, one "
             "ulp around it, or on its float32 neighbours.")


@case
def decision_tree_classifier():
    rng = np.random.default_rng(2001)
    Xtr, y, Xte = classification(2001, 400, 4, 3)
    est = DecisionTreeClassifier(max_depth=5, min_samples_leaf=3,
                                 random_state=0).fit(Xtr, y)
    nb = 40
    X = np.concatenate([Xte[:N_ROWS - nb],
                        boundary_rows(est, Xte, rng, nb)])
    return matrix_case(
        "decision_tree_classifier", est, X,
        "DecisionTreeClassifier(max_depth=5, min_samples_leaf=3), 3 classes;"
        " one tree per class, leaves = normalized class values, link "
        "identity. " + TREE_NOTE % (N_ROWS - nb))


@case
def decision_tree_regressor_types():
    rng = np.random.default_rng(2002)
    n = 400 + N_ROWS
    a = short(rng.normal(0.0, 2.0, n))
    f = rng.normal(1.0, 1.0, n).astype(np.float32).astype(np.float64)
    k = rng.integers(0, 60, n).astype(np.float64)
    b = (rng.random(n) < 0.4).astype(np.float64)
    X = np.stack([a, f, k, b], axis=1)
    y = np.sin(a) * 3 + f ** 2 + 0.05 * k + 2.0 * b
    est = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X[:400],
                                                                 y[:400])
    Xte = X[400:]
    nb = 30
    rows = boundary_rows(est, Xte, rng, nb, columns=[0])
    # f32 column: the float32 values next to thresholds (all f32-exact).
    more = []
    for tree in sklearn_trees(est):
        for i in np.flatnonzero((tree.children_left != -1) &
                                (tree.feature == 1))[:4]:
            t32 = np.float32(tree.threshold[i])
            for v in (t32, np.nextafter(t32, np.float32(np.inf)),
                      np.nextafter(t32, np.float32(-np.inf))):
                r = Xte[rng.integers(len(Xte))].copy()
                r[1] = float(v)
                more.append(r)
    X = np.concatenate([Xte[:N_ROWS - nb - len(more)], rows, np.array(more)])
    return matrix_case(
        "decision_tree_regressor_types", est, X,
        "DecisionTreeRegressor(max_depth=6) on inputs of types f64, f32, i64 "
        "and bool (scikit-learn fit on their f64 values). " +
        TREE_NOTE % (N_ROWS - nb - len(more)),
        feature_names=["a", "f", "k", "b"],
        input_types=["f64", "f32", "i64", "bool"])


@case
def random_forest_classifier():
    rng = np.random.default_rng(2003)
    Xtr, y, Xte = classification(2003, 400, 5, 3)
    est = RandomForestClassifier(n_estimators=10, max_depth=4,
                                 random_state=0).fit(Xtr, y)
    nb = 30
    X = np.concatenate([Xte[:N_ROWS - nb], boundary_rows(est, Xte, rng, nb)])
    return matrix_case(
        "random_forest_classifier", est, X,
        "RandomForestClassifier(n_estimators=10, max_depth=4), 3 classes; "
        "one tree per class per member, leaves = normalized class values, "
        "average=true, link identity. " + TREE_NOTE % (N_ROWS - nb))


@case
def random_forest_regressor():
    rng = np.random.default_rng(2004)
    Xtr, y, Xte = regression(2004, 400, 4)
    est = RandomForestRegressor(n_estimators=10, max_depth=5,
                                random_state=0).fit(Xtr, y)
    nb = 30
    X = np.concatenate([Xte[:N_ROWS - nb], boundary_rows(est, Xte, rng, nb)])
    return matrix_case(
        "random_forest_regressor", est, X,
        "RandomForestRegressor(n_estimators=10, max_depth=5); average=true. "
        + TREE_NOTE % (N_ROWS - nb))


def _gbc_binary():
    Xtr, y, Xte = classification(2005, 400, 5, 2)
    est = GradientBoostingClassifier(n_estimators=30, max_depth=3,
                                     learning_rate=0.2, subsample=0.8,
                                     random_state=0).fit(Xtr, y)
    return est, Xte


def _gbc_multi():
    Xtr, y, Xte = classification(2006, 450, 5, 3)
    est = GradientBoostingClassifier(n_estimators=15, max_depth=3,
                                     learning_rate=0.3,
                                     random_state=0).fit(Xtr, y)
    return est, Xte


GB_NOTE = ("base_score = the prior (init estimator) in margin space; leaves "
           "= learning_rate * tree value (the product scikit-learn adds), so "
           "margins equal _raw_predict bit for bit. ")


@case
def gbdt_classifier_binary():
    est, Xte = _gbc_binary()
    rng = np.random.default_rng(2005)
    nb = 30
    X = np.concatenate([Xte[:N_ROWS - nb], boundary_rows(est, Xte, rng, nb)])
    return matrix_case(
        "gbdt_classifier_binary", est, X,
        "GradientBoostingClassifier(n_estimators=30, max_depth=3, "
        "learning_rate=0.2, subsample=0.8), binary log_loss: one output, "
        "link logistic (scipy expit). " + GB_NOTE + TREE_NOTE % (N_ROWS - nb))


@case
def gbdt_classifier_binary_margin():
    est, Xte = _gbc_binary()
    return matrix_case(
        "gbdt_classifier_binary_margin", est, Xte,
        "The gbdt_classifier_binary model exported with margin=True. " +
        GB_NOTE, margin=True)


@case
def gbdt_classifier_multiclass():
    est, Xte = _gbc_multi()
    rng = np.random.default_rng(2006)
    nb = 30
    X = np.concatenate([Xte[:N_ROWS - nb], boundary_rows(est, Xte, rng, nb)])
    return matrix_case(
        "gbdt_classifier_multiclass", est, X,
        "GradientBoostingClassifier(n_estimators=15, max_depth=3, "
        "learning_rate=0.3), 3 classes: one tree per class per stage, link "
        "softmax (scikit-learn: exp(raw - logsumexp(raw)), so "
        "probabilities differ from the semantics by rounding). " + GB_NOTE +
        TREE_NOTE % (N_ROWS - nb))


@case
def gbdt_classifier_multiclass_margin():
    est, Xte = _gbc_multi()
    return matrix_case(
        "gbdt_classifier_multiclass_margin", est, Xte,
        "The gbdt_classifier_multiclass model exported with margin=True. " +
        GB_NOTE, margin=True)


@case
def gbdt_regressor():
    rng = np.random.default_rng(2007)
    Xtr, y, Xte = regression(2007, 400, 4)
    est = GradientBoostingRegressor(loss="huber", n_estimators=30,
                                    max_depth=3, learning_rate=0.15,
                                    random_state=0).fit(Xtr, y)
    nb = 30
    X = np.concatenate([Xte[:N_ROWS - nb], boundary_rows(est, Xte, rng, nb)])
    return matrix_case(
        "gbdt_regressor", est, X,
        "GradientBoostingRegressor(loss='huber', n_estimators=30, "
        "max_depth=3, learning_rate=0.15); base_score = the init median. " +
        GB_NOTE + TREE_NOTE % (N_ROWS - nb))


# ---------------------------------------------------------------------------
# Cases: linear and MLP
# ---------------------------------------------------------------------------

@case
def linear_regression():
    Xtr, y, Xte = regression(2101, 300, 6, nonlinear=False)
    Y = np.stack([y, 0.5 * y - Xtr.sum(axis=1) + Xtr[:, 0] * Xtr[:, 1]],
                 axis=1)
    est = LinearRegression().fit(Xtr, Y)
    return matrix_case(
        "linear_regression", est, Xte,
        "LinearRegression() with two targets: weights = coef_, intercepts = "
        "intercept_ (scikit-learn's BLAS dot product sums in another order:"
        " rounding).")


@case
def logistic_regression_binary():
    Xtr, y, Xte = classification(2102, 400, 6, 2, scale=[1, 2, 5, 0.5, 1, 3])
    est = LogisticRegression(C=0.7).fit(Xtr, y)
    return matrix_case(
        "logistic_regression_binary", est, Xte,
        "LogisticRegression(C=0.7), binary: one output, link logistic "
        "(predict_proba[:, 1] = expit(decision_function)).")


@case
def logistic_regression_binary_margin():
    Xtr, y, Xte = classification(2102, 400, 6, 2, scale=[1, 2, 5, 0.5, 1, 3])
    est = LogisticRegression(C=0.7).fit(Xtr, y)
    return matrix_case(
        "logistic_regression_binary_margin", est, Xte,
        "The logistic_regression_binary model exported with margin=True.",
        margin=True)


def _lr_multi():
    Xtr, y, Xte = classification(2103, 500, 5, 4)
    est = LogisticRegression(C=2.0, max_iter=1000).fit(Xtr, y)
    return est, Xte


@case
def logistic_regression_multinomial():
    est, Xte = _lr_multi()
    return matrix_case(
        "logistic_regression_multinomial", est, Xte,
        "LogisticRegression(C=2.0) with 4 classes (multinomial, lbfgs): "
        "link softmax (sklearn.utils.extmath.softmax, the same steps as the "
        "semantics).")


@case
def logistic_regression_multinomial_margin():
    est, Xte = _lr_multi()
    return matrix_case(
        "logistic_regression_multinomial_margin", est, Xte,
        "The logistic_regression_multinomial model exported with "
        "margin=True.", margin=True)


@case
def mlp_classifier():
    Xtr, y, Xte = classification(2201, 500, 5, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifier(hidden_layer_sizes=(12, 6), activation="relu",
                            max_iter=400, random_state=0).fit(Xtr, y)
    return matrix_case(
        "mlp_classifier", est, Xte,
        "MLPClassifier(hidden_layer_sizes=(12, 6), activation='relu'), 3 "
        "classes: layers = coefs_.T / intercepts_, the last layer identity, "
        "link softmax.")


@case
def mlp_classifier_binary():
    Xtr, y, Xte = classification(2202, 400, 4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh",
                            max_iter=400, random_state=0).fit(Xtr, y)
    return matrix_case(
        "mlp_classifier_binary", est, Xte,
        "MLPClassifier(hidden_layer_sizes=(8,), activation='tanh'), binary:"
        " one output unit, link logistic.")


@case
def mlp_regressor():
    Xtr, y, Xte = regression(2203, 400, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPRegressor(hidden_layer_sizes=(10,), activation="logistic",
                           max_iter=500, random_state=0).fit(Xtr, y / 5.0)
    return matrix_case(
        "mlp_regressor", est, Xte,
        "MLPRegressor(hidden_layer_sizes=(10,), activation='logistic'): "
        "link identity.")


# ---------------------------------------------------------------------------
# Cases: pipelines
# ---------------------------------------------------------------------------

@case
def pipeline_numeric():
    rng = np.random.default_rng(2301)
    n = 500 + N_ROWS
    income = short(rng.lognormal(10.0, 0.8, n), 2)
    visits = short(rng.exponential(3.0, n), 3)
    score = short(rng.normal(0.0, 1.0, n))
    X = np.stack([income, visits, score], axis=1)
    y = (np.log1p(income) * 0.8 + np.sqrt(visits) - score * score > 9.5
         ).astype(int) + (score > 1.0).astype(int)
    X[rng.random(X.shape) < 0.07] = np.nan
    X[rng.random(n) < 0.03, 2] = -3.5      # log1p -> NaN, then imputed
    pipe = Pipeline([
        ("log", FunctionTransformer(np.log1p)),
        ("impute", SimpleImputer(strategy="median")),
        ("scale", StandardScaler()),
        ("poly", PolynomialFeatures(degree=2)),
        ("minmax", MinMaxScaler()),
        ("model", LogisticRegression(C=5.0, max_iter=2000)),
    ]).fit(X[:500], y[:500])
    return matrix_case(
        "pipeline_numeric", pipe, X[500:],
        "Pipeline(FunctionTransformer(np.log1p), SimpleImputer('median'), "
        "StandardScaler(), PolynomialFeatures(2), MinMaxScaler(), "
        "LogisticRegression(C=5)), 3 classes; inputs hold NaN and values "
        "below -1 (log1p -> NaN -> imputed). Steps: log1p, impute, "
        "standardize, polynomial (names '1', 'income', 'income^2', "
        "'income visits', ...), minmax (scikit-learn computes x*scale_ + "
        "min_: rounding); features in scikit-learn's order.",
        feature_names=["income", "visits", "score"])


@case
def pipeline_categorical():
    rng = np.random.default_rng(2302)
    n = 600 + N_ROWS
    plan = rng.choice([1, 2, 3], n, p=[0.5, 0.3, 0.2])
    region = rng.choice([10, 20, 30, 40], n)
    device = rng.choice([0, 1], n, p=[0.7, 0.3])
    y = ((plan == 3) | ((region == 20) & (device == 1)) |
         (rng.random(n) < 0.1)).astype(int)
    X = np.stack([plan, region, device], axis=1)
    X[rng.random(X.shape) < 0.08] = -1
    pipe = Pipeline([
        ("impute", SimpleImputer(missing_values=-1,
                                 strategy="most_frequent")),
        ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ("model", GradientBoostingClassifier(n_estimators=20, max_depth=3,
                                             random_state=0)),
    ]).fit(X[:600], y[:600])
    Xte = X[600:].copy()
    # categories never seen in training -> all-zero one-hot columns
    Xte[:6, 0] = [4, 0, 7, 4, 4, 2]
    Xte[6:9, 1] = [50, 0, 25]
    return matrix_case(
        "pipeline_categorical", pipe, Xte,
        "Pipeline(SimpleImputer(missing_values=-1, strategy='most_frequent'),"
        " OneHotEncoder(handle_unknown='ignore'), GradientBoostingClassifier"
        "(n_estimators=20, max_depth=3)), binary. Inputs are i64 with "
        "missing sentinel -1 (imputed with the training mode); some rows hold"
        " categories unseen in training (all-zero columns). Steps: impute, "
        "one_hot (names 'plan=1', ...).",
        feature_names=["plan", "region", "device"])


@case
def pipeline_strings():
    rng = np.random.default_rng(2303)
    n = 500 + N_ROWS
    city = rng.choice(["Berlin", "Lisbon", "M\u00fcnchen", "S\u00e3o Paulo"],
                      n)
    plan = rng.choice(["basic", "pro"], n)
    seats = rng.choice([1, 5, 20, 100], n)
    y = (np.where(city == "Lisbon", 2.0, 0.5) + np.where(plan == "pro", 3.0, 0)
         + np.log(seats) + rng.normal(0, 0.2, n))
    X = np.stack([city, plan, seats], axis=1).astype(object)
    X[:, 2] = seats            # keep ints as Python/NumPy ints
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = Pipeline([
            ("onehot", OneHotEncoder(handle_unknown="error",
                                     drop="if_binary", sparse_output=False)),
            ("model", MLPRegressor(hidden_layer_sizes=(6,), max_iter=800,
                                   random_state=0)),
        ]).fit(X[:500], y[:500])
    Xte = X[500:]
    inputs = {"city": [str(v) for v in Xte[:, 0]],
              "plan": [str(v) for v in Xte[:, 1]],
              "seats": [int(v) for v in Xte[:, 2]]}
    return matrix_case(
        "pipeline_strings", pipe, Xte,
        "Pipeline(OneHotEncoder(handle_unknown='error', drop='if_binary'), "
        "MLPRegressor(hidden_layer_sizes=(6,))) on a string, a string and "
        "an i64 column (fit on an object array). one_hot with unknown "
        "'error'; drop='if_binary' drops 'plan=basic', which the descriptor "
        "computes but leaves out of `features`.",
        feature_names=["city", "plan", "seats"],
        input_types=["string", "string", "i64"], inputs=inputs)


# ---------------------------------------------------------------------------

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output directory (default: %(default)s)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    total = 0
    written = set()
    for fn in CASES:
        with warnings.catch_warnings():
            # np.log1p of values below -1 in pipeline_numeric (on purpose)
            warnings.simplefilter("ignore", RuntimeWarning)
            c = fn()
        status = check(c)
        text = json.dumps(c, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
        fname = c["case"] + ".json"
        with open(os.path.join(args.out, fname), "w", encoding="utf-8") as f:
            f.write(text + "\n")
        written.add(fname)
        total += len(text) + 1
        if not args.quiet:
            print("%-40s rows=%-4d cols=%-2d %6.1f KB  %s" %
                  (c["case"], len(c["expected"]), len(c["columns"]),
                   (len(text) + 1) / 1024.0, status))
    stale = [f for f in os.listdir(args.out) if f.startswith("sk_") and
             f.endswith(".json") and f not in written]
    for f in stale:
        print("warning: %s is not produced by this generator" %
              os.path.join(args.out, f), file=sys.stderr)
    if not args.quiet:
        print("%d cases, %.1f KB in %s" % (len(CASES), total / 1024.0,
                                           args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
