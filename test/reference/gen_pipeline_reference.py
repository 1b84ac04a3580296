#!/usr/bin/python3
"""Generates reference data for the `pipeline` family from scikit-learn/numpy.

Run with Debian's interpreter (it has scikit-learn and numpy):

    /usr/bin/python3 test/reference/gen_pipeline_reference.py [--out DIR]

For each case it writes DIR/<case>.json:

    {"case": name, "generator": "scikit-learn X / numpy Y",
     "notes": "what produced `expected`",
     "descriptor": {... a full pipeline descriptor ...},
     "inputs": {"col": [values]},
     "columns": [output column names],
     "expected": [[row values]],
     "rtol": r, "atol": a}

Value encoding (inputs and expected):
  - float columns: a JSON number, `null` for NaN, the strings "inf"/"-inf"
    for infinities (JSON has no literal for them);
  - integer columns: JSON integers, the input's `missing` sentinel for missing;
  - bool columns: true/false;
  - string columns: JSON strings (UTF-8).

`expected` always comes from scikit-learn or numpy. As a self-check, every
case is also evaluated by a small independent model of
docs/pipeline-semantics.md (`SemanticsModel` below) and the generator fails if
the two disagree beyond the case's tolerance, or if output names differ
(for `polynomial`, the names are also checked against scikit-learn's
get_feature_names_out). Where scikit-learn rounds differently from the
semantics of record, the script prints how many values differ and by how many
ulp; those differences are what `rtol`/`atol` absorb.

Deterministic: every case uses its own fixed numpy seed.
"""

import argparse
import json
import math
import os
import sys
import warnings
from itertools import combinations, combinations_with_replacement

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, KBinsDiscretizer,
                                   MinMaxScaler, OneHotEncoder,
                                   OrdinalEncoder, PolynomialFeatures,
                                   StandardScaler)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "data", "pipeline")

GENERATOR = "scikit-learn %s / numpy %s" % (sklearn.__version__, np.__version__)

# Tolerances recorded in the files. The JIT and the interpreter must agree with
# each other bit for bit (or within 4 ulp after log/exp/pow); these bound the
# distance to scikit-learn/numpy, which may round differently (see report()).
RTOL = 1e-12
ATOL = 1e-12

INT_TYPES = ("bool", "i32", "i64")
FLOAT_TYPES = ("f32", "f64")


# ---------------------------------------------------------------------------
# Encoding helpers
# ---------------------------------------------------------------------------

def enc_float(x):
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc_column(values, dtype):
    if dtype in FLOAT_TYPES:
        return [enc_float(v) for v in values]
    if dtype == "bool":
        return [bool(v) for v in values]
    if dtype in ("i32", "i64"):
        return [int(v) for v in values]
    if dtype == "string":
        return [str(v) for v in values]
    raise ValueError(dtype)


def as_float(values, dtype, missing=None):
    """The Float view of an input column, as the semantics define it."""
    if dtype == "string":
        raise ValueError("string column has no Float view")
    out = np.asarray(values).astype(np.float64)
    if missing is not None:
        out[np.asarray(values) == missing] = np.nan
    return out


def f32_grid(x, step=1.0 / 64):
    """Rounds to a grid so f32 values are exact and print short."""
    return (np.round(np.asarray(x) / step) * step).astype(np.float32)


def sprinkle_nan(rng, x, frac):
    x = np.array(x, dtype=np.float64)
    x[rng.random(x.shape[0]) < frac] = np.nan
    return x


def sprinkle(rng, x, frac, value):
    x = np.array(x)
    x[rng.random(x.shape[0]) < frac] = value
    return x


def pipeline_descriptor(name, inputs, steps, output_columns=None, out="f64"):
    d = {"specjit": 1, "kind": "pipeline", "name": name,
         "inputs": inputs, "output": {"type": out}, "steps": steps}
    if output_columns is not None:
        d["output"]["columns"] = list(output_columns)
    return d


def inp(name, dtype, missing=None):
    d = {"name": name, "type": dtype}
    if missing is not None:
        d["missing"] = int(missing)
    return d


# ---------------------------------------------------------------------------
# An independent model of docs/pipeline-semantics.md (no expressions): used
# only to cross-check scikit-learn's numbers and the output names.
# ---------------------------------------------------------------------------

def fmt_category(c):
    if isinstance(c, str):
        return c
    if isinstance(c, (int, np.integer)):
        return str(int(c))
    return repr(float(c))


class SemanticsModel:
    def __init__(self, descriptor, inputs):
        self.cols = []  # list of [name, kind, missing, values]
        for spec in descriptor["inputs"]:
            vals = inputs[spec["name"]]
            t = spec["type"]
            if t in FLOAT_TYPES:
                arr = np.array([np.nan if v is None else float(v)
                                for v in vals], dtype=np.float64)
                if t == "f32":
                    arr = arr.astype(np.float32).astype(np.float64)
                self.cols.append([spec["name"], "float", None, arr])
            elif t in INT_TYPES:
                arr = np.array([int(v) for v in vals], dtype=np.int64)
                self.cols.append([spec["name"], "int", spec.get("missing"), arr])
            else:
                self.cols.append([spec["name"], "string", None,
                                  np.array(vals, dtype=object)])
        for step in descriptor.get("steps", []):
            getattr(self, "op_" + step["op"])(step)
        out_cols = descriptor["output"].get("columns")
        names = [c[0] for c in self.cols]
        if out_cols is None:
            out_cols = names
        mat = []
        for n in out_cols:
            c = self.cols[names.index(n)]
            assert c[1] != "string", n
            mat.append(self.to_float(c))
        self.names = list(out_cols)
        self.matrix = np.stack(mat, axis=1) if mat else np.zeros((0, 0))

    def find(self, name):
        for i, c in enumerate(self.cols):
            if c[0] == name:
                return i
        raise KeyError(name)

    @staticmethod
    def to_float(c):
        _, kind, missing, v = c
        if kind == "float":
            return v
        out = v.astype(np.float64)
        if missing is not None:
            out[v == missing] = np.nan
        return out

    def set_float(self, step, values):
        i = self.find(step["column"])
        self.cols[i] = [step["column"], "float", None, values]

    def x(self, step):
        return self.to_float(self.cols[self.find(step["column"])])

    def op_standardize(self, s):
        self.set_float(s, (self.x(s) - s["mean"]) / s["std"])

    def op_minmax(self, s):
        rng = s["max"] - s["min"]
        self.set_float(s, (self.x(s) - s["min"]) / rng)

    def op_log(self, s):
        with np.errstate(all="ignore"):
            self.set_float(s, np.log(self.x(s)))

    def op_log1p(self, s):
        with np.errstate(all="ignore"):
            self.set_float(s, np.log1p(self.x(s)))

    def op_clip(self, s):
        x = self.x(s)
        lo = s.get("min", -np.inf)
        hi = s.get("max", np.inf)
        with np.errstate(invalid="ignore"):
            self.set_float(s, np.where(x < lo, lo, np.where(x > hi, hi, x)))

    def op_impute(self, s):
        i = self.find(s["column"])
        name, kind, missing, v = self.cols[i]
        val = s["value"]
        if kind == "float":
            self.cols[i] = [name, "float", None, np.where(np.isnan(v), val, v)]
        elif kind == "int" and missing is not None:
            if float(val).is_integer() and abs(val) < 2 ** 63:
                self.cols[i] = [name, "int", None,
                                np.where(v == missing, int(val), v)]
            else:
                self.cols[i] = [name, "float", None,
                                np.where(v == missing, float(val),
                                         v.astype(np.float64))]
        else:
            raise ValueError("impute on %s column %s" % (kind, name))

    def _matches(self, col, cat):
        _, kind, missing, v = col
        if kind == "string":
            return np.array([a == cat for a in v])
        if kind == "int":
            m = v == int(cat)
            if missing is not None:
                m &= v != missing
            return m
        return v == float(cat)

    def op_one_hot(self, s):
        i = self.find(s["column"])
        col = self.cols[i]
        assert s.get("unknown", "zeros") == "zeros"
        new = [["%s=%s" % (col[0], fmt_category(c)), "float", None,
                self._matches(col, c).astype(np.float64)]
               for c in s["categories"]]
        self.cols[i:i + 1] = new

    def op_label_encode(self, s):
        i = self.find(s["column"])
        col = self.cols[i]
        mapping = s["mapping"]
        if isinstance(mapping, list):
            pairs = [(c, float(k)) for k, c in enumerate(mapping)]
        else:
            pairs = [(k if col[1] == "string" else int(k), float(c))
                     for k, c in mapping.items()]
        out = np.full(len(col[3]), float(s.get("default", -1.0)))
        for cat, code in pairs:
            out[self._matches(col, cat)] = code
        self.cols[i] = [col[0], "float", None, out]

    def op_polynomial(self, s):
        names = s["columns"]
        idx = [self.find(n) for n in names]
        xs = [self.to_float(self.cols[i]) for i in idx]
        degree = s["degree"]
        inter = s.get("interaction_only", False)
        bias = s.get("include_bias", True)
        comb = combinations if inter else combinations_with_replacement
        new = []
        n = len(xs[0])
        if bias:
            new.append(["1", "float", None, np.ones(n)])
        for d in range(1, degree + 1):
            for c in comb(range(len(names)), d):
                # Left to right in index order: ((a*a)*b).
                v = xs[c[0]].copy()
                for j in c[1:]:
                    v = v * xs[j]
                parts = []
                for j in sorted(set(c)):
                    k = c.count(j)
                    parts.append(names[j] if k == 1 else "%s^%d" % (names[j], k))
                new.append([" ".join(parts), "float", None, v])
        keep = [c for k, c in enumerate(self.cols) if k not in idx[1:]]
        pos = [k for k, c in enumerate(keep) if c[0] == names[0]][0]
        keep[pos:pos + 1] = new
        self.cols = keep

    def op_bucketize(self, s):
        x = self.x(s)
        edges = s["edges"]
        out = np.zeros(len(x))
        for e in edges:
            with np.errstate(invalid="ignore"):
                out += ~(x < e)
        self.set_float(s, out)


# ---------------------------------------------------------------------------
# Case bookkeeping
# ---------------------------------------------------------------------------

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def ulp_diff(a, b):
    """ulp distance between two finite f64 arrays (elementwise)."""
    ia = np.asarray(a, dtype=np.float64).view(np.int64)
    ib = np.asarray(b, dtype=np.float64).view(np.int64)
    ia = np.where(ia < 0, np.int64(-0x8000000000000000) - ia, ia)
    ib = np.where(ib < 0, np.int64(-0x8000000000000000) - ib, ib)
    return np.abs(ia - ib)


def compare(expected, got, rtol, atol):
    """Returns (ok, n_bit_differences, max_ulp, max_abs) for two matrices."""
    e = np.asarray(expected, dtype=np.float64)
    g = np.asarray(got, dtype=np.float64)
    if e.shape != g.shape:
        return False, -1, -1, float("inf")
    nan_e, nan_g = np.isnan(e), np.isnan(g)
    if (nan_e != nan_g).any():
        return False, int((nan_e != nan_g).sum()), -1, float("inf")
    fin = ~nan_e & np.isfinite(e) & np.isfinite(g)
    inf_ok = (e[~fin & ~nan_e] == g[~fin & ~nan_e]).all()
    diff = np.abs(e[fin] - g[fin])
    ok = inf_ok and bool((diff <= atol + rtol * np.abs(e[fin])).all())
    same = (e[fin] == g[fin])
    nbits = int((~same).sum())
    signed_zeros = int((same & (np.signbit(e[fin]) != np.signbit(g[fin]))).sum())
    max_ulp = int(ulp_diff(e[fin], g[fin]).max()) if fin.any() else 0
    max_abs = float(diff.max()) if diff.size else 0.0
    return ok, nbits, max_ulp, max_abs, signed_zeros


class Case:
    def __init__(self, name, descriptor, inputs, columns, expected, notes,
                 rtol=RTOL, atol=ATOL, model=True):
        self.name = name
        self.descriptor = descriptor
        self.inputs = inputs
        self.columns = list(columns)
        self.expected = np.asarray(expected, dtype=np.float64)
        self.notes = notes
        self.rtol = rtol
        self.atol = atol
        self.model = model

    def check(self):
        rows = {len(v) for v in self.inputs.values()}
        assert len(rows) == 1, (self.name, rows)
        n = rows.pop()
        assert self.expected.shape == (n, len(self.columns)), (
            self.name, self.expected.shape, n, len(self.columns))
        assert [i["name"] for i in self.descriptor["inputs"]] == list(
            self.inputs), self.name
        if not self.model:
            return "semantics model: not applicable (expected computed " \
                   "directly from the semantics with numpy)"
        m = SemanticsModel(self.descriptor, self.inputs)
        if m.names != self.columns:
            raise SystemExit("%s: output names %r != semantics model %r" %
                             (self.name, self.columns, m.names))
        ok, nbits, max_ulp, max_abs, zeros = compare(
            self.expected, m.matrix, self.rtol, self.atol)
        if not ok:
            raise SystemExit("%s: reference and semantics model disagree "
                             "beyond rtol=%g atol=%g (max abs %g)" %
                             (self.name, self.rtol, self.atol, max_abs))
        notes = []
        if nbits:
            notes.append("%d of %d values differ from the semantics model by "
                         "rounding (max %d ulp, max abs %.3g)" %
                         (nbits, self.expected.size, max_ulp, max_abs))
        if zeros:
            notes.append("%d zero(s) differ in sign from the semantics model"
                         % zeros)
        return "; ".join(notes) or "bit-identical to the semantics model"

    def to_json(self):
        types = {i["name"]: i["type"] for i in self.descriptor["inputs"]}
        return {
            "case": self.name,
            "generator": GENERATOR,
            "notes": self.notes,
            "descriptor": self.descriptor,
            "inputs": {k: enc_column(v, types[k])
                       for k, v in self.inputs.items()},
            "columns": self.columns,
            "expected": [[enc_float(v) for v in row] for row in self.expected],
            "rtol": self.rtol,
            "atol": self.atol,
        }


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

@case
def standard_scaler():
    rng = np.random.default_rng(1001)

    def draw(n):
        return {
            "x_f64": sprinkle_nan(rng, rng.normal(50.0, 10.0, n), 0.05),
            "x_i64": sprinkle(rng, rng.integers(0, 101, n), 0.05, -1),
            "x_f32": f32_grid(sprinkle_nan(rng, rng.normal(0.0, 1.0, n), 0.05)),
            "x_i32": rng.integers(-1000, 1001, n).astype(np.int32),
            "x_bool": rng.random(n) < 0.3,
        }
    types = {"x_f64": "f64", "x_i64": "i64", "x_f32": "f32",
             "x_i32": "i32", "x_bool": "bool"}
    missing = {"x_i64": -1}
    train, test = draw(400), draw(200)

    def matrix(d):
        return np.stack([as_float(d[k], types[k], missing.get(k))
                         for k in types], axis=1)
    sc = StandardScaler().fit(matrix(train))
    expected = sc.transform(matrix(test))
    names = list(types)
    desc = pipeline_descriptor(
        "sklearn_standard_scaler",
        [inp(k, types[k], missing.get(k)) for k in names],
        [{"op": "standardize", "column": k, "mean": float(sc.mean_[j]),
          "std": float(sc.scale_[j])} for j, k in enumerate(names)])
    return Case("standard_scaler", desc, test, names, expected,
                "StandardScaler().fit(train) (NaN ignored in fit; the i64 "
                "sentinel -1 fed to scikit-learn as NaN; f32/i32/bool widened "
                "to f64); expected = transform(inputs); descriptor mean/std = "
                "mean_/scale_.")


@case
def minmax_scaler():
    rng = np.random.default_rng(1002)
    n_train, n = 400, 220
    train = np.stack([
        sprinkle_nan(rng, rng.uniform(10.0, 20.0, n_train), 0.05),
        rng.integers(0, 1001, n_train).astype(np.float64),
        rng.normal(-3.0, 0.01, n_train),
    ], axis=1)
    sc = MinMaxScaler().fit(train)
    # New data, wider than the fitted range on both sides.
    a = sprinkle_nan(rng, rng.uniform(5.0, 25.0, n), 0.05)
    b = sprinkle(rng, rng.integers(-200, 1300, n), 0.05, -999)
    c = rng.normal(-3.0, 0.02, n)
    a[:4] = [sc.data_min_[0], sc.data_max_[0], 0.0, -1e3]
    test = {"a": a, "b": b, "c": c}
    types = {"a": "f64", "b": "i64", "c": "f64"}
    missing = {"b": -999}
    mat = np.stack([as_float(test[k], types[k], missing.get(k))
                    for k in types], axis=1)
    expected = sc.transform(mat)
    names = list(types)
    desc = pipeline_descriptor(
        "sklearn_minmax_scaler",
        [inp(k, types[k], missing.get(k)) for k in names],
        [{"op": "minmax", "column": k, "min": float(sc.data_min_[j]),
          "max": float(sc.data_max_[j])} for j, k in enumerate(names)])
    return Case("minmax_scaler", desc, test, names, expected,
                "MinMaxScaler().fit(train); expected = transform(new data "
                "with values outside [data_min_, data_max_], NaN and the i64 "
                "sentinel -999 fed as NaN). scikit-learn computes "
                "x*scale_ + min_ rather than (x-min)/(max-min), so results "
                "differ by rounding (absorbed by rtol/atol).")


@case
def simple_imputer_mean():
    rng = np.random.default_rng(1003)
    n_train, n = 300, 200

    def draw(k):
        return {
            "a": sprinkle_nan(rng, rng.normal(3.0, 2.0, k), 0.1),
            "b": sprinkle_nan(rng, rng.lognormal(2.0, 1.0, k), 0.2),
            "n": sprinkle(rng, rng.integers(0, 50, k), 0.15, -1),
        }
    train, test = draw(n_train), draw(n)
    imp_f = SimpleImputer(strategy="mean").fit(
        np.stack([train["a"], train["b"]], axis=1))
    imp_i = SimpleImputer(strategy="mean", missing_values=-1).fit(
        train["n"].reshape(-1, 1))
    expected = np.concatenate([
        imp_f.transform(np.stack([test["a"], test["b"]], axis=1)),
        imp_i.transform(test["n"].reshape(-1, 1)).astype(np.float64)], axis=1)
    stats = [float(imp_f.statistics_[0]), float(imp_f.statistics_[1]),
             float(imp_i.statistics_[0])]
    desc = pipeline_descriptor(
        "sklearn_simple_imputer_mean",
        [inp("a", "f64"), inp("b", "f64"), inp("n", "i64", -1)],
        [{"op": "impute", "column": c, "value": v}
         for c, v in zip(["a", "b", "n"], stats)])
    return Case("simple_imputer_mean", desc, test, ["a", "b", "n"], expected,
                "SimpleImputer(strategy='mean') on the float columns (NaN) "
                "and SimpleImputer(strategy='mean', missing_values=-1) on the "
                "i64 column; descriptor value = statistics_ (non-integral for "
                "the i64 column, which therefore becomes Float).")


@case
def simple_imputer_most_frequent():
    rng = np.random.default_rng(1004)
    n_train, n = 300, 200

    def draw(k):
        return {
            "a": sprinkle_nan(rng, rng.choice([1.5, 2.5, 3.5, 4.0], k,
                                              p=[0.2, 0.4, 0.3, 0.1]), 0.1),
            "n": sprinkle(rng, rng.choice([0, 1, 2, 3, 4, 5], k,
                                          p=[0.1, 0.1, 0.2, 0.35, 0.15, 0.1]),
                          0.15, -1),
            "m": sprinkle(rng, rng.choice([-7, 12, 40], k, p=[0.5, 0.3, 0.2]),
                          0.1, -999).astype(np.int32),
        }
    train, test = draw(n_train), draw(n)
    imp_a = SimpleImputer(strategy="most_frequent").fit(train["a"].reshape(-1, 1))
    imp_n = SimpleImputer(strategy="most_frequent", missing_values=-1).fit(
        train["n"].reshape(-1, 1))
    imp_m = SimpleImputer(strategy="most_frequent", missing_values=-999).fit(
        train["m"].reshape(-1, 1))
    expected = np.concatenate([
        imp_a.transform(test["a"].reshape(-1, 1)),
        imp_n.transform(test["n"].reshape(-1, 1)).astype(np.float64),
        imp_m.transform(test["m"].reshape(-1, 1)).astype(np.float64)], axis=1)
    desc = pipeline_descriptor(
        "sklearn_simple_imputer_most_frequent",
        [inp("a", "f64"), inp("n", "i64", -1), inp("m", "i32", -999)],
        [{"op": "impute", "column": "a", "value": float(imp_a.statistics_[0])},
         {"op": "impute", "column": "n", "value": int(imp_n.statistics_[0])},
         {"op": "impute", "column": "m", "value": int(imp_m.statistics_[0])}])
    return Case("simple_imputer_most_frequent", desc, test, ["a", "n", "m"],
                expected,
                "SimpleImputer(strategy='most_frequent') per column "
                "(missing_values=NaN / -1 / -999); descriptor value = "
                "statistics_.")


@case
def simple_imputer_constant():
    rng = np.random.default_rng(1005)
    n = 180
    test = {
        "a": sprinkle_nan(rng, rng.normal(0.0, 1.0, n), 0.2),
        "n": sprinkle(rng, rng.integers(0, 10, n), 0.2, -1),
    }
    imp_a = SimpleImputer(strategy="constant", fill_value=-1.5).fit(
        test["a"].reshape(-1, 1))
    imp_n = SimpleImputer(strategy="constant", fill_value=99,
                          missing_values=-1).fit(test["n"].reshape(-1, 1))
    expected = np.concatenate([
        imp_a.transform(test["a"].reshape(-1, 1)),
        imp_n.transform(test["n"].reshape(-1, 1)).astype(np.float64)], axis=1)
    desc = pipeline_descriptor(
        "sklearn_simple_imputer_constant",
        [inp("a", "f64"), inp("n", "i64", -1)],
        [{"op": "impute", "column": "a", "value": -1.5},
         {"op": "impute", "column": "n", "value": 99}])
    return Case("simple_imputer_constant", desc, test, ["a", "n"], expected,
                "SimpleImputer(strategy='constant', fill_value=-1.5) (NaN) "
                "and SimpleImputer(strategy='constant', fill_value=99, "
                "missing_values=-1).")


@case
def one_hot_int():
    rng = np.random.default_rng(1006)
    n_train, n = 400, 200
    cats_c = [3, 7, 11, 42, 100]
    cats_d = [-2, 0, 1, 5]
    train = np.stack([rng.choice(cats_c, n_train),
                      rng.choice(cats_d, n_train)], axis=1)
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    enc.fit(train)
    c = rng.choice(cats_c + [5, 999], n, p=[0.2, 0.2, 0.2, 0.15, 0.15, 0.05, 0.05])
    c = sprinkle(rng, c, 0.08, -1)
    d = rng.choice(cats_d + [9], n, p=[0.25, 0.25, 0.25, 0.2, 0.05]).astype(np.int32)
    test = {"c": c, "d": d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = enc.transform(np.stack([c, d.astype(np.int64)], axis=1))
    cat_lists = [[int(v) for v in cl] for cl in enc.categories_]
    columns = (["c=%d" % v for v in cat_lists[0]] +
               ["d=%d" % v for v in cat_lists[1]])
    desc = pipeline_descriptor(
        "sklearn_one_hot_int",
        [inp("c", "i64", -1), inp("d", "i32")],
        [{"op": "one_hot", "column": "c", "categories": cat_lists[0]},
         {"op": "one_hot", "column": "d", "categories": cat_lists[1],
          "unknown": "zeros"}])
    return Case("one_hot_int", desc, test, columns, expected,
                "OneHotEncoder(handle_unknown='ignore').fit(train); categories"
                " = categories_; new data holds unseen categories and the "
                "missing sentinel -1 (unknown to scikit-learn, zeros). "
                "scikit-learn names the columns c_3, the semantics c=3.")


@case
def one_hot_string():
    rng = np.random.default_rng(1007)
    n_train, n = 400, 200
    cities = ["Berlin", "Lisbon", "M\u00fcnchen", "Paris", "S\u00e3o Paulo"]
    plans = ["basic", "pro", "enterprise"]
    train = np.stack([rng.choice(cities, n_train), rng.choice(plans, n_train)],
                     axis=1).astype(object)
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train)
    city = rng.choice(cities + ["Tokyo", "", "berlin"], n,
                      p=[0.18, 0.18, 0.18, 0.18, 0.18, 0.04, 0.03, 0.03])
    plan = rng.choice(plans + ["trial"], n, p=[0.3, 0.3, 0.3, 0.1])
    test = {"city": city.astype(object), "plan": plan.astype(object)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = enc.transform(np.stack([test["city"], test["plan"]], axis=1))
    cl = [[str(v) for v in c] for c in enc.categories_]
    columns = ["city=" + v for v in cl[0]] + ["plan=" + v for v in cl[1]]
    desc = pipeline_descriptor(
        "sklearn_one_hot_string",
        [inp("city", "string"), inp("plan", "string")],
        [{"op": "one_hot", "column": "city", "categories": cl[0]},
         {"op": "one_hot", "column": "plan", "categories": cl[1]}])
    return Case("one_hot_string", desc, test, columns, expected,
                "OneHotEncoder(handle_unknown='ignore') on string columns "
                "(UTF-8, case-sensitive); new data holds unseen strings "
                "including the empty string.")


@case
def ordinal_encoder():
    rng = np.random.default_rng(1008)
    n_train, n = 400, 200
    cats_c = [3, 7, 11, 42, 100]
    cats_d = [-2, 0, 1, 5]
    cities = ["Berlin", "Lisbon", "M\u00fcnchen", "Paris", "S\u00e3o Paulo"]
    enc_c = OrdinalEncoder(handle_unknown="use_encoded_value",
                           unknown_value=-1).fit(
        rng.choice(cats_c, n_train).reshape(-1, 1))
    enc_d = OrdinalEncoder(handle_unknown="use_encoded_value",
                           unknown_value=-1).fit(
        rng.choice(cats_d, n_train).reshape(-1, 1))
    enc_s = OrdinalEncoder(handle_unknown="use_encoded_value",
                           unknown_value=-1).fit(
        rng.choice(cities, n_train).astype(object).reshape(-1, 1))
    c = sprinkle(rng, rng.choice(cats_c + [5, 999], n), 0.08, -1)
    d = rng.choice(cats_d + [9], n).astype(np.int32)
    city = rng.choice(cities + ["Tokyo", ""], n).astype(object)
    test = {"c": c, "d": d, "city": city}
    expected = np.concatenate([
        enc_c.transform(c.reshape(-1, 1)),
        enc_d.transform(d.astype(np.int64).reshape(-1, 1)),
        enc_s.transform(city.reshape(-1, 1))], axis=1)
    cat_c = [int(v) for v in enc_c.categories_[0]]
    cat_d = [int(v) for v in enc_d.categories_[0]]
    cat_s = [str(v) for v in enc_s.categories_[0]]
    desc = pipeline_descriptor(
        "sklearn_ordinal_encoder",
        [inp("c", "i64", -1), inp("d", "i32"), inp("city", "string")],
        [{"op": "label_encode", "column": "c", "mapping": cat_c},
         {"op": "label_encode", "column": "d",
          "mapping": {str(v): k for k, v in enumerate(cat_d)}, "default": -1},
         {"op": "label_encode", "column": "city",
          "mapping": {v: k for k, v in enumerate(cat_s)}}])
    return Case("ordinal_encoder", desc, test, ["c", "d", "city"], expected,
                "OrdinalEncoder(handle_unknown='use_encoded_value', "
                "unknown_value=-1) per column; mapping = categories_ (array "
                "form for c, object form for d and city); unseen values and "
                "the sentinel -1 map to -1.")


def _poly_case(name, seed, cols, int_cols, degree, interaction_only,
               include_bias, passthrough=None, n=200):
    rng = np.random.default_rng(seed)
    data = {}
    types = {}
    for c in cols:
        if c in int_cols:
            data[c] = rng.integers(-20, 21, n)
            types[c] = "i64"
        else:
            # Wide magnitudes so rounding-order differences show up.
            data[c] = rng.normal(0.0, 3.0, n) * 10.0 ** rng.integers(-2, 3, n)
            types[c] = "f64"
    order = list(cols)
    if passthrough is not None:
        data[passthrough] = rng.normal(100.0, 5.0, n)
        types[passthrough] = "f64"
        order = [cols[0], passthrough] + list(cols[1:])
    X = np.stack([data[c].astype(np.float64) for c in cols], axis=1)
    pf = PolynomialFeatures(degree=degree, interaction_only=interaction_only,
                            include_bias=include_bias)
    P = pf.fit_transform(X)
    sk_names = [str(v) for v in pf.get_feature_names_out(list(cols))]
    expected = P
    columns = list(sk_names)
    if passthrough is not None:
        expected = np.concatenate([P, data[passthrough].reshape(-1, 1)], axis=1)
        columns = columns + [passthrough]
    step = {"op": "polynomial", "columns": list(cols), "degree": degree}
    # Exercise both the defaults and explicit values.
    if interaction_only or seed % 2:
        step["interaction_only"] = interaction_only
    if not include_bias or seed % 2:
        step["include_bias"] = include_bias
    desc = pipeline_descriptor("sklearn_" + name,
                               [inp(c, types[c]) for c in order], [step])
    inputs = {c: data[c] for c in order}
    kase = Case(name, desc, inputs, columns, expected,
                "PolynomialFeatures(degree=%d, interaction_only=%s, "
                "include_bias=%s).fit_transform over %s; columns = "
                "get_feature_names_out%s. scikit-learn builds a degree-d term "
                "as (degree d-1 term) * x[first index], i.e. right to left "
                "((b*a)*a for a^2 b), the semantics left to right "
                "((a*a)*b): degree >= 3 terms may differ in the last bit."
                % (degree, interaction_only, include_bias, list(cols),
                   "" if passthrough is None else
                   " (passthrough column %r between the listed columns is "
                   "kept after the new columns)" % passthrough))
    kase.sklearn_names = sk_names
    return kase


@case
def polynomial_d2_bias():
    return _poly_case("polynomial_d2_bias", 1101, ["a", "b"], [], 2, False, True)


@case
def polynomial_d2_interaction_nobias():
    return _poly_case("polynomial_d2_interaction_nobias", 1102,
                      ["a", "b", "c"], [], 2, True, False)


@case
def polynomial_d3_bias_passthrough():
    return _poly_case("polynomial_d3_bias_passthrough", 1103, ["a", "b"],
                      ["b"], 3, False, True, passthrough="x")


@case
def polynomial_d3_interaction_bias():
    return _poly_case("polynomial_d3_interaction_bias", 1104,
                      ["a", "b", "c"], [], 3, True, True)


@case
def polynomial_d3_nobias():
    return _poly_case("polynomial_d3_nobias", 1105, ["a", "b", "c"], ["c"],
                      3, False, False)


def _kbins_case(name, seed, strategy, n_bins):
    rng = np.random.default_rng(seed)
    n_train, n = 500, 220
    train = np.stack([rng.lognormal(1.0, 0.7, n_train),
                      rng.normal(0.0, 4.0, n_train)], axis=1)
    kb = KBinsDiscretizer(n_bins=n_bins, encode="ordinal", strategy=strategy,
                          subsample=None).fit(train)
    x = rng.lognormal(1.0, 0.9, n)
    y = rng.normal(0.0, 6.0, n)        # wider than the fitted range
    # Values exactly on the edges, and outside the fitted range.
    ex = kb.bin_edges_[0]
    ey = kb.bin_edges_[1]
    x[:len(ex)] = ex
    y[:len(ey)] = ey
    x[len(ex):len(ex) + 2] = [ex[0] - 1.0, ex[-1] * 10.0]
    y[len(ey):len(ey) + 2] = [ey[0] - 50.0, ey[-1] + 50.0]
    # One ulp below each inner edge.
    x[20:20 + len(ex) - 2] = np.nextafter(ex[1:-1], -np.inf)
    y[20:20 + len(ey) - 2] = np.nextafter(ey[1:-1], -np.inf)
    expected = kb.transform(np.stack([x, y], axis=1))
    desc = pipeline_descriptor(
        "sklearn_" + name, [inp("x", "f64"), inp("y", "f64")],
        [{"op": "bucketize", "column": "x",
          "edges": [float(e) for e in kb.bin_edges_[0][1:-1]]},
         {"op": "bucketize", "column": "y",
          "edges": [float(e) for e in kb.bin_edges_[1][1:-1]]}])
    return Case(name, desc, {"x": x, "y": y}, ["x", "y"], expected,
                "KBinsDiscretizer(n_bins=%s, encode='ordinal', strategy=%r, "
                "subsample=None).fit(train); edges = bin_edges_[j][1:-1]. "
                "scikit-learn %s transforms with searchsorted(bin_edges_[1:-1],"
                " x, side='right') == numpy.digitize(x, inner edges), so values"
                " outside the fitted range land in the first/last bin exactly "
                "as the clipped ordinal. Inputs hold every edge exactly, one "
                "ulp below each inner edge, and out-of-range values. "
                "KBinsDiscretizer rejects NaN, so there is none here (see "
                "numpy_digitize)." % (n_bins, strategy, sklearn.__version__))


@case
def kbins_quantile():
    return _kbins_case("kbins_quantile", 1201, "quantile", [5, 4])


@case
def kbins_uniform():
    return _kbins_case("kbins_uniform", 1202, "uniform", [4, 7])


@case
def numpy_digitize():
    rng = np.random.default_rng(1301)
    n = 200
    edges_x = [-1.5, 0.0, 0.25, 2.0, 10.0]
    edges_k = [0.0, 5.0, 10.0]
    x = sprinkle_nan(rng, rng.normal(1.0, 4.0, n), 0.05)
    x[:len(edges_x)] = edges_x
    x[5:9] = [np.inf, -np.inf, -0.0, np.nextafter(0.25, -1.0)]
    k = sprinkle(rng, rng.integers(-5, 15, n), 0.1, -1)
    k[:3] = [0, 5, 10]
    expected = np.stack([
        np.digitize(x, edges_x, right=False).astype(np.float64),
        np.digitize(as_float(k, "i64", -1), edges_k,
                    right=False).astype(np.float64)], axis=1)
    desc = pipeline_descriptor(
        "numpy_digitize", [inp("x", "f64"), inp("k", "i64", -1)],
        [{"op": "bucketize", "column": "x", "edges": edges_x},
         {"op": "bucketize", "column": "k", "edges": edges_k}])
    return Case("numpy_digitize", desc, {"x": x, "k": k}, ["x", "k"], expected,
                "numpy.digitize(x, edges, right=False); NaN (and the i64 "
                "sentinel -1, which converts to NaN) -> len(edges); +-inf and "
                "values on the edges included.")


@case
def numpy_log():
    rng = np.random.default_rng(1401)
    n = 200
    x = sprinkle_nan(rng, rng.lognormal(3.0, 2.0, n), 0.05)
    x[:6] = [0.0, -0.0, -1.0, 1.0, np.inf, 5e-324]
    f = f32_grid(rng.lognormal(0.0, 1.0, n), 1.0 / 1024)
    f[:2] = [0.0, -2.0]
    k = sprinkle(rng, rng.integers(0, 100000, n), 0.05, -1)
    k[5] = 0
    with np.errstate(all="ignore"):
        expected = np.stack([np.log(x), np.log(f.astype(np.float64)),
                             np.log(as_float(k, "i64", -1))], axis=1)
    desc = pipeline_descriptor(
        "numpy_log", [inp("x", "f64"), inp("f", "f32"), inp("k", "i64", -1)],
        [{"op": "log", "column": c} for c in ["x", "f", "k"]])
    return Case("numpy_log", desc, {"x": x, "f": f, "k": k}, ["x", "f", "k"],
                expected,
                "numpy.log on the f64 view (f32 widened exactly, i64 sentinel "
                "-1 -> NaN); 0 -> -inf, negative -> NaN, inf -> inf.")


@case
def numpy_log1p():
    rng = np.random.default_rng(1402)
    n = 200
    x = sprinkle_nan(rng, rng.exponential(50.0, n), 0.05)
    x[:8] = [-1.0, -2.0, -0.5, 0.0, -0.0, 1e-300, np.inf, -np.inf]
    k = sprinkle(rng, rng.integers(0, 1000, n), 0.05, -1)
    with np.errstate(all="ignore"):
        expected = np.stack([np.log1p(x), np.log1p(as_float(k, "i64", -1))],
                            axis=1)
    desc = pipeline_descriptor(
        "numpy_log1p", [inp("x", "f64"), inp("k", "i64", -1)],
        [{"op": "log1p", "column": "x"}, {"op": "log1p", "column": "k"}])
    return Case("numpy_log1p", desc, {"x": x, "k": k}, ["x", "k"], expected,
                "numpy.log1p; -1 -> -inf, < -1 -> NaN, tiny values exact.")


@case
def numpy_clip():
    rng = np.random.default_rng(1403)
    n = 200
    a = sprinkle_nan(rng, rng.normal(0.5, 0.6, n), 0.05)
    a[:5] = [0.0, 1.0, -np.inf, np.inf, -0.0]
    b = sprinkle_nan(rng, rng.normal(0.0, 3.0, n), 0.05)
    c = sprinkle(rng, rng.integers(0, 200, n), 0.05, -1)
    with np.errstate(all="ignore"):
        expected = np.stack([np.clip(a, 0.0, 1.0), np.clip(b, -2.0, None),
                             np.clip(as_float(c, "i64", -1), None, 100.0)],
                            axis=1)
    desc = pipeline_descriptor(
        "numpy_clip", [inp("a", "f64"), inp("b", "f64"), inp("c", "i64", -1)],
        [{"op": "clip", "column": "a", "min": 0.0, "max": 1.0},
         {"op": "clip", "column": "b", "min": -2.0},
         {"op": "clip", "column": "c", "max": 100.0}])
    return Case("numpy_clip", desc, {"a": a, "b": b, "c": c}, ["a", "b", "c"],
                expected,
                "numpy.clip(x, lo, hi) with both bounds, lower only, upper "
                "only; NaN (and the i64 sentinel) pass through as NaN. "
                "numpy.clip(-0.0, 0, 1) returns +0.0 where the semantics "
                "(x < min ? min : x) keep -0.0: equal under the tolerance.")


@case
def numpy_expr():
    rng = np.random.default_rng(1501)
    n = 200
    a = sprinkle_nan(rng, rng.normal(1.0, 2.0, n), 0.05)
    b = sprinkle_nan(rng, rng.normal(0.0, 1.5, n), 0.05)
    b[:3] = [0.0, 0.0, -0.0]
    a[:3] = [1.0, 0.0, 2.0]
    k = sprinkle(rng, rng.integers(0, 5, n), 0.1, -1)
    kf = as_float(k, "i64", -1)
    with np.errstate(all="ignore"):
        ratio = a / b
        # max(a, b) is a > b ? a : b (NaN in either -> b).
        mx = np.where(a > b, a, b)
        # Comparisons are ordered: NaN != 2 is false.
        cond = (a > 0.5) & ((kf < 2.0) | (kf > 2.0))
        sel = np.where(cond, np.sqrt(np.abs(a)), -b)
        # A value is true when != 0 (NaN is true): not b -> b == 0.
        nb = np.where(b == 0.0, 1.0, 0.0)
        a2 = a * 2.0 - 1.0
    expected = np.stack([a2, b, kf, ratio, mx, sel, nb], axis=1)
    desc = pipeline_descriptor(
        "numpy_expr", [inp("a", "f64"), inp("b", "f64"), inp("k", "i64", -1)],
        [{"op": "expr", "name": "ratio", "expr": "a / b"},
         {"op": "expr", "name": "mx", "expr": "max(a, b)"},
         {"op": "expr", "name": "sel",
          "expr": "a > 0.5 and k != 2 ? sqrt(abs(a)) : -b"},
         {"op": "expr", "name": "not_b", "expr": "not b"},
         {"op": "expr", "name": "a", "expr": "a * 2 - 1"}])
    columns = ["a", "b", "k", "ratio", "mx", "sel", "not_b"]
    return Case("numpy_expr", desc, {"a": a, "b": b, "k": k}, columns,
                expected,
                "numpy evaluation of the expression semantics (no external "
                "library defines them): x/0 -> +-inf, 0/0 -> NaN, min/max as "
                "selects, ordered comparisons (NaN != 2 is false), NaN is true;"
                " `a` is replaced in place by the last step, the other new "
                "columns are appended.", model=False)


@case
def churn():
    rng = np.random.default_rng(1601)

    def draw(n, unseen):
        age = rng.integers(18, 91, n)
        income = sprinkle_nan(rng, rng.lognormal(10.8, 0.9, n), 0.03)
        engagement = sprinkle_nan(rng, rng.normal(0.55, 0.3, n), 0.04)
        cats = [0, 1, 2] + ([3] if unseen else [])
        p = [0.3, 0.5, 0.2] if not unseen else [0.29, 0.49, 0.19, 0.03]
        category = sprinkle(rng, rng.choice(cats, n, p=p), 0.1, -1)
        return {"age": age, "income": income, "engagement": engagement,
                "category": category}
    train, test = draw(500, False), draw(300, True)

    def frame(d):
        return np.stack([d["age"].astype(np.float64), d["income"],
                         d["engagement"], d["category"].astype(np.float64)],
                        axis=1)
    ct = ColumnTransformer([
        ("age", StandardScaler(), [0]),
        ("income", Pipeline([("log", FunctionTransformer(np.log)),
                             ("scale", StandardScaler())]), [1]),
        ("engagement", FunctionTransformer(np.clip,
                                           kw_args={"a_min": 0.0,
                                                    "a_max": 1.0}), [2]),
        ("category", Pipeline([
            ("impute", SimpleImputer(missing_values=-1.0,
                                     strategy="most_frequent")),
            ("onehot", OneHotEncoder(categories=[[0.0, 1.0, 2.0]],
                                     handle_unknown="ignore",
                                     sparse_output=False))]), [3]),
    ], sparse_threshold=0.0)
    ct.fit(frame(train))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ct.transform(frame(test))
    age_sc = ct.named_transformers_["age"]
    inc_sc = ct.named_transformers_["income"].named_steps["scale"]
    imp = ct.named_transformers_["category"].named_steps["impute"]
    columns = ["age", "income", "engagement", "category=0", "category=1",
               "category=2"]
    desc = pipeline_descriptor(
        "churn_features",
        [inp("age", "i64"), inp("income", "f64"), inp("engagement", "f64"),
         inp("category", "i64", -1)],
        [{"op": "standardize", "column": "age", "mean": float(age_sc.mean_[0]),
          "std": float(age_sc.scale_[0])},
         {"op": "log", "column": "income"},
         {"op": "standardize", "column": "income",
          "mean": float(inc_sc.mean_[0]), "std": float(inc_sc.scale_[0])},
         {"op": "clip", "column": "engagement", "min": 0.0, "max": 1.0},
         {"op": "impute", "column": "category",
          "value": int(imp.statistics_[0])},
         {"op": "one_hot", "column": "category", "categories": [0, 1, 2]}],
        output_columns=columns)
    return Case("churn", desc, test, columns, expected,
                "ColumnTransformer: age -> StandardScaler; income -> "
                "FunctionTransformer(np.log) -> StandardScaler; engagement -> "
                "np.clip(0, 1); category -> SimpleImputer(missing_values=-1, "
                "most_frequent) -> OneHotEncoder(categories=[[0,1,2]], "
                "handle_unknown='ignore'). Fit on a training sample; new data"
                " holds the unseen category 3 (zeros).")


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
        k = fn()
        status = k.check()
        sk_names = getattr(k, "sklearn_names", None)
        if sk_names is not None:
            model_names = SemanticsModel(k.descriptor, k.inputs).names
            poly = model_names[:len(sk_names)]
            if poly != sk_names:
                raise SystemExit("%s: semantics names %r != scikit-learn "
                                 "get_feature_names_out %r" %
                                 (k.name, poly, sk_names))
        text = json.dumps(k.to_json(), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
        path = os.path.join(args.out, k.name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        written.add(k.name + ".json")
        total += len(text) + 1
        if not args.quiet:
            print("%-34s rows=%-4d cols=%-3d %6.1f KB  %s" %
                  (k.name, k.expected.shape[0], k.expected.shape[1],
                   (len(text) + 1) / 1024.0, status))
    stale = [f for f in os.listdir(args.out)
             if f.endswith(".json") and f not in written]
    for f in stale:
        print("warning: %s is not produced by this generator" %
              os.path.join(args.out, f), file=sys.stderr)
    if not args.quiet:
        print("%d cases, %.1f KB in %s" % (len(CASES), total / 1024.0,
                                           args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
