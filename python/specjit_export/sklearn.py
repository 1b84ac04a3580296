"""scikit-learn estimators -> specjit `model` descriptors.

The descriptor format and its meaning are fixed by docs/model-semantics.md
(the model) and docs/pipeline-semantics.md (the preprocessing `steps`). This
module only reads fitted attributes; it never calls `predict`.

Decisions that matter for exactness (see python/README.md for the long form):

* Tree splits. scikit-learn converts X to float32 before it walks a tree and
  goes left when ``float32(x) <= threshold`` (the threshold is an f64). The
  descriptor goes left when ``x < T`` with ``x`` in f64. `split_threshold`
  returns the smallest f64 ``T`` for which the two agree for *every* f64 (and
  f32) ``x``. For f32 inputs this is exactly ``nextafter(threshold, +inf)``;
  for f64 inputs it also reproduces scikit-learn's rounding of x to float32.
* Missing values in trees. scikit-learn < 1.3 rejects NaN in tree models, so
  there is no routing to reproduce: ``default_left`` is true. From 1.3 on,
  trees that learnt a direction (``tree_.missing_go_to_left``) keep it.
"""

import math
import numbers

import numpy as np

__all__ = ["export", "ExportError", "split_threshold", "format_number"]


class ExportError(ValueError):
    """The estimator, or one of its parameters, has no `model` descriptor."""


INPUT_TYPES = ("bool", "i32", "i64", "f32", "f64", "string")
INT_TYPES = ("bool", "i32", "i64")

# 2**103: half the spacing of float32 just below FLT_MAX (the spacing is 2**104).
_HALF_ULP_FLT_MAX = 2.0 ** 103


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

def split_threshold(threshold):
    """The descriptor threshold T for a scikit-learn split threshold t.

    scikit-learn goes left when ``float(numpy.float32(x)) <= t``. Let F be the
    largest float32 <= t and S the next float32 above F. Every x below the
    midpoint m = (F + S) / 2 rounds to F or less (left), every x above m
    rounds to S or more (right), and x == m rounds to the one of F, S whose
    last significand bit is 0 (round half to even). So left <=> x < m when
    F's last bit is 1, and left <=> x <= m, i.e. x < nextafter(m, +inf), when
    it is 0. m is exact in f64 (F + S needs 25 significant bits).
    """
    t = float(threshold)
    if math.isnan(t):
        raise ExportError("tree threshold is NaN")
    with np.errstate(over="ignore"):
        return _split_threshold(t)


def _split_threshold(t):
    f = np.float32(t)
    if float(f) > t:
        f = np.nextafter(f, np.float32(-np.inf))
    s = np.nextafter(f, np.float32(np.inf))
    if np.isinf(f):          # t < -FLT_MAX: F = -inf, S = -FLT_MAX
        mid = float(s) - _HALF_ULP_FLT_MAX
    elif np.isinf(s):        # F = FLT_MAX: x rounds to inf from FLT_MAX + 2**103
        mid = float(f) + _HALF_ULP_FLT_MAX
    else:
        mid = (float(f) + float(s)) / 2.0
    even = (int(np.array(f, dtype=np.float32).view(np.uint32)) & 1) == 0
    return float(np.nextafter(mid, np.inf)) if even else float(mid)


def format_number(v):
    """A float as the C++ side names it (one_hot columns `col=value`).

    Integral values within +-2**53 print as integers, -0.0 as "-0.0", anything
    else as the shortest round-trip form choosing between fixed and exponent
    notation like C++17 std::to_chars (the shorter; fixed on a tie).
    """
    v = float(v)
    if v == 0.0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0"
    if abs(v) <= 2.0 ** 53 and v == math.trunc(v):
        return str(int(v))
    r = repr(v)  # shortest round-trip digits
    sign = "-" if r.startswith("-") else ""
    r = r.lstrip("-")
    if "e" in r:
        mant, exp = r.split("e")
        exp = int(exp)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    # decimal exponent of the first significant digit
    lead = len(ip.lstrip("0"))
    if lead:
        point = lead + exp           # digits before the decimal point
    else:
        point = -(len(fp) - len(fp.lstrip("0"))) + exp
    digits = digits.rstrip("0") or "0"
    # fixed
    if point <= 0:
        fixed = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        # an integer beyond 2**53: C++ prints its exact decimal digits
        fixed = str(abs(int(v)))
    else:
        fixed = digits[:point] + "." + digits[point:]
    # exponent (printf %e style: at least two exponent digits)
    e = point - 1
    sci = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sci += "e%s%02d" % ("-" if e < 0 else "+", abs(e))
    return sign + (fixed if len(fixed) <= len(sci) else sci)


def _num(x, what):
    v = float(x)
    if not math.isfinite(v):
        raise ExportError("%s is not finite (%r): a descriptor holds finite "
                          "numbers only" % (what, v))
    return v


def _nums(a, what):
    return [_num(x, what) for x in np.asarray(a, dtype=np.float64).ravel()]


def _class_name(est):
    return type(est).__name__


# ---------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------

class _Col:
    """A current column as docs/pipeline-semantics.md tracks it."""

    __slots__ = ("name", "kind", "missing")

    def __init__(self, name, kind, missing=None):
        self.name = name
        self.kind = kind          # "int", "float" or "string"
        self.missing = missing    # Int columns: the sentinel, or None


def _is_nan_marker(v):
    return v is None or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, np.floating) and np.isnan(v))


def _normalize_type(spec, where):
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict) or "type" not in spec:
        raise ExportError("%s: an input type is a type name (%s) or a dict "
                          "{'type': ..., 'missing': ...}" %
                          (where, ", ".join(INPUT_TYPES)))
    t = spec["type"]
    if t not in INPUT_TYPES:
        raise ExportError("%s: unknown input type %r (one of %s)" %
                          (where, t, ", ".join(INPUT_TYPES)))
    out = {"type": t}
    if spec.get("missing") is not None:
        if t not in INT_TYPES:
            raise ExportError("%s: `missing` is for integer inputs only (%s)"
                              % (where, ", ".join(INT_TYPES)))
        m = spec["missing"]
        if isinstance(m, float) and m.is_integer():
            m = int(m)
        if not isinstance(m, numbers.Integral):
            raise ExportError("%s: `missing` must be an integer" % where)
        out["missing"] = int(m)
    extra = set(spec) - {"type", "missing"}
    if extra:
        raise ExportError("%s: unknown keys %s" % (where, sorted(extra)))
    return out


# ---------------------------------------------------------------------------
# Pipelines: flattening and default input types
# ---------------------------------------------------------------------------

def _flatten(est):
    """(transformers, final estimator) of a possibly nested Pipeline."""
    from sklearn.pipeline import Pipeline
    if not isinstance(est, Pipeline):
        return [], est
    steps = []
    for name, step in est.steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if isinstance(step, Pipeline):
            inner, last = _flatten(step)
            steps.extend(inner)
            steps.append(last)
        else:
            steps.append(step)
    if not steps:
        raise ExportError("the Pipeline holds no estimator")
    return steps[:-1], steps[-1]


def _n_features_in(est):
    n = getattr(est, "n_features_in_", None)
    if n is None:
        raise ExportError("%s is not fitted (no n_features_in_)" %
                          _class_name(est))
    return int(n)


def _default_types(transformers, n_inputs):
    """Input types when the caller gives none: f64, except what the first
    transformers tell about the raw inputs (string categories -> string; a
    SimpleImputer with an integer `missing_values` -> i64 with that sentinel).
    """
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder
    types = [{"type": "f64"} for _ in range(n_inputs)]
    for t in transformers:
        if isinstance(t, SimpleImputer):
            mv = t.missing_values
            if (not _is_nan_marker(mv) and isinstance(mv, numbers.Real) and
                    float(mv).is_integer()):
                for ty in types:
                    ty.update({"type": "i64", "missing": int(mv)})
            continue  # imputing keeps columns in place: look further
        if isinstance(t, OneHotEncoder):
            cats = getattr(t, "categories_", None)
            if cats is not None and len(cats) == n_inputs:
                for j, c in enumerate(cats):
                    if any(isinstance(v, str) for v in c):
                        types[j] = {"type": "string"}
        break
    return types


def _make_inputs(est, transformers, n_inputs, feature_names, input_types):
    names = feature_names
    if names is None:
        fn = getattr(est, "feature_names_in_", None)
        if fn is None and transformers:
            fn = getattr(transformers[0], "feature_names_in_", None)
        names = ([str(v) for v in fn] if fn is not None else
                 ["x%d" % i for i in range(n_inputs)])
    names = [str(v) for v in names]
    if len(names) != n_inputs:
        raise ExportError("feature_names has %d names, the estimator takes %d "
                          "features" % (len(names), n_inputs))
    if len(set(names)) != len(names) or any(not n for n in names):
        raise ExportError("input names must be non-empty and unique: %r" %
                          names)
    if input_types is None:
        types = _default_types(transformers, n_inputs)
    elif isinstance(input_types, dict):
        unknown = set(input_types) - set(names)
        if unknown:
            raise ExportError("input_types names unknown inputs %s (inputs: "
                              "%s)" % (sorted(unknown), names))
        defaults = _default_types(transformers, n_inputs)
        types = [_normalize_type(input_types[n], "input_types[%r]" % n)
                 if n in input_types else defaults[i]
                 for i, n in enumerate(names)]
    else:
        input_types = list(input_types)
        if len(input_types) != n_inputs:
            raise ExportError("input_types has %d entries, the estimator takes"
                              " %d features" % (len(input_types), n_inputs))
        types = [_normalize_type(t, "input_types[%d]" % i)
                 for i, t in enumerate(input_types)]
    inputs, cols = [], []
    for n, t in zip(names, types):
        d = {"name": n, "type": t["type"]}
        if "missing" in t:
            d["missing"] = t["missing"]
        inputs.append(d)
        kind = ("string" if t["type"] == "string" else
                "int" if t["type"] in INT_TYPES else "float")
        cols.append(_Col(n, kind, t.get("missing")))
    return inputs, cols


# ---------------------------------------------------------------------------
# Transformers -> steps
# ---------------------------------------------------------------------------

def _numeric(cols, what):
    for c in cols:
        if c.kind == "string":
            raise ExportError("%s needs numeric columns; %r is a string column"
                              " (only OneHotEncoder takes strings)" %
                              (what, c.name))


def _check_width(t, cols):
    n = getattr(t, "n_features_in_", None)
    if n is not None and int(n) != len(cols):
        raise ExportError("%s expects %d columns, the preceding steps produce"
                          " %d (%s)" % (_class_name(t), int(n), len(cols),
                                        [c.name for c in cols]))


def _standard_scaler(t, cols, steps):
    _numeric(cols, "StandardScaler")
    if not t.with_mean and not t.with_std:
        return cols
    for j, c in enumerate(cols):
        mean = _num(t.mean_[j], "StandardScaler.mean_") if t.with_mean else 0.0
        std = _num(t.scale_[j], "StandardScaler.scale_") if t.with_std else 1.0
        steps.append({"op": "standardize", "column": c.name, "mean": mean,
                      "std": std})
        c.kind, c.missing = "float", None
    return cols


def _minmax_scaler(t, cols, steps):
    _numeric(cols, "MinMaxScaler")
    lo, hi = (float(v) for v in t.feature_range)
    for j, c in enumerate(cols):
        dmin = _num(t.data_min_[j], "MinMaxScaler.data_min_")
        dmax = _num(t.data_max_[j], "MinMaxScaler.data_max_")
        if dmax > dmin:
            steps.append({"op": "minmax", "column": c.name, "min": dmin,
                          "max": dmax})
        else:
            # scikit-learn uses a range of 1 for constant features.
            steps.append({"op": "standardize", "column": c.name,
                          "mean": dmin, "std": 1.0})
        if (lo, hi) != (0.0, 1.0):
            width = hi - lo
            steps.append({"op": "standardize", "column": c.name,
                          "mean": _num(-lo / width, "feature_range"),
                          "std": _num(1.0 / width, "feature_range")})
        if getattr(t, "clip", False):
            steps.append({"op": "clip", "column": c.name, "min": lo,
                          "max": hi})
        c.kind, c.missing = "float", None
    return cols


def _simple_imputer(t, cols, steps):
    if getattr(t, "add_indicator", False):
        raise ExportError("SimpleImputer(add_indicator=True) is not supported "
                          "(the pipeline family has no missing-indicator op)")
    mv = t.missing_values
    nan_marker = _is_nan_marker(mv)
    if not nan_marker and not (isinstance(mv, numbers.Real) and
                               float(mv).is_integer()):
        raise ExportError("SimpleImputer(missing_values=%r): only NaN or an "
                          "integer sentinel of an integer input can be "
                          "expressed" % (mv,))
    stats = np.asarray(t.statistics_)
    kept = []
    for j, c in enumerate(cols):
        s = stats[j]
        if c.kind == "string" or isinstance(s, str):
            raise ExportError("SimpleImputer on %r: imputing strings is not "
                              "expressible (impute takes numeric columns)" %
                              c.name)
        s = float(s)
        if math.isnan(s):
            # scikit-learn drops features that were all missing in fit (and
            # keep_empty_features=False): the column leaves the feature list.
            continue
        kept.append(c)
        if nan_marker:
            if c.kind == "int" and c.missing is None:
                continue  # an integer without sentinel is never missing
        else:
            if c.kind != "int" or c.missing != int(mv):
                raise ExportError(
                    "SimpleImputer(missing_values=%d) on column %r: the "
                    "column must be an integer input declared with "
                    "'missing': %d (input_types)" % (int(mv), c.name, int(mv)))
        value = _num(s, "SimpleImputer.statistics_")
        if c.kind == "int" and value.is_integer() and abs(value) < 2.0 ** 63:
            steps.append({"op": "impute", "column": c.name,
                          "value": int(value)})
            c.missing = None
        else:
            steps.append({"op": "impute", "column": c.name, "value": value})
            c.kind, c.missing = "float", None
    return kept


def _one_hot(t, cols, steps):
    if getattr(t, "_infrequent_enabled", False):
        raise ExportError("OneHotEncoder with infrequent categories "
                          "(min_frequency/max_categories) is not supported")
    hu = t.handle_unknown
    if hu in ("ignore", "infrequent_if_exist"):
        unknown = "zeros"
    elif hu == "error":
        unknown = "error"
    else:
        raise ExportError("OneHotEncoder(handle_unknown=%r) is not supported"
                          % (hu,))
    drop_idx = getattr(t, "drop_idx_", None)
    out = []
    for j, c in enumerate(cols):
        cats = list(t.categories_[j])
        if c.kind == "string":
            if not all(isinstance(v, str) for v in cats):
                raise ExportError("OneHotEncoder on string column %r: "
                                  "categories must be strings, got %r" %
                                  (c.name, cats))
            jcats, labels = [str(v) for v in cats], [str(v) for v in cats]
        else:
            if any(isinstance(v, str) or v is None for v in cats):
                raise ExportError(
                    "OneHotEncoder on %r: string categories %r on a numeric "
                    "input; declare the input as 'string' (input_types)" %
                    (c.name, cats))
            vals = [float(v) for v in cats]
            if any(math.isnan(v) for v in vals):
                raise ExportError("OneHotEncoder on %r: NaN is a category; the"
                                  " semantics never match missing values "
                                  "(impute first)" % c.name)
            if c.kind == "int":
                if not all(v.is_integer() and abs(v) < 2.0 ** 63
                           for v in vals):
                    raise ExportError("OneHotEncoder on integer column %r: "
                                      "non-integral categories %r" %
                                      (c.name, cats))
                jcats = [int(v) for v in vals]
                if c.missing is not None and c.missing in jcats:
                    raise ExportError(
                        "OneHotEncoder on %r: the missing sentinel %d is a "
                        "category (impute it first, or declare no sentinel)"
                        % (c.name, c.missing))
                labels = [str(v) for v in jcats]
            else:
                jcats = [_num(v, "OneHotEncoder category") for v in vals]
                labels = [format_number(v) for v in jcats]
        steps.append({"op": "one_hot", "column": c.name, "categories": jcats,
                      "unknown": unknown})
        drop = None if drop_idx is None else drop_idx[j]
        for k, lab in enumerate(labels):
            if drop is not None and k == int(drop):
                continue  # produced, but not a feature
            out.append(_Col("%s=%s" % (c.name, lab), "float"))
    return out


def _powers(n, degree, interaction_only, include_bias):
    from itertools import combinations, combinations_with_replacement
    comb = combinations if interaction_only else combinations_with_replacement
    rows = []
    if include_bias:
        rows.append([0] * n)
    for d in range(1, degree + 1):
        for idx in comb(range(n), d):
            r = [0] * n
            for i in idx:
                r[i] += 1
            rows.append(r)
    return rows


def _polynomial(t, cols, steps):
    _numeric(cols, "PolynomialFeatures")
    degree = t.degree
    if not isinstance(degree, numbers.Integral):
        lo, hi = degree
        if int(lo) != 0:
            raise ExportError("PolynomialFeatures(degree=%r): a minimum "
                              "degree is not supported" % (degree,))
        degree = hi
    degree = int(degree)
    if not 1 <= degree <= 8:
        raise ExportError("PolynomialFeatures(degree=%d): the semantics allow"
                          " 1..8" % degree)
    powers = np.asarray(t.powers_)
    want = _powers(len(cols), degree, bool(t.interaction_only),
                   bool(t.include_bias))
    if powers.shape != (len(want), len(cols)) or (powers != want).any():
        raise ExportError("PolynomialFeatures: unexpected powers_ order "
                          "(not the semantics' combinations order)")
    steps.append({"op": "polynomial", "columns": [c.name for c in cols],
                  "degree": degree,
                  "interaction_only": bool(t.interaction_only),
                  "include_bias": bool(t.include_bias)})
    out = []
    for row in want:
        terms = []
        for c, p in zip(cols, row):
            if p == 1:
                terms.append(c.name)
            elif p > 1:
                terms.append("%s^%d" % (c.name, p))
        out.append(_Col(" ".join(terms) if terms else "1", "float"))
    return out


def _function_transformer(t, cols, steps):
    f = t.func
    kw = t.kw_args or {}
    if f is None:
        if kw:
            raise ExportError("FunctionTransformer(func=None, kw_args=...)")
        return cols
    _numeric(cols, "FunctionTransformer")
    if f is np.log or f is np.log1p:
        if kw:
            raise ExportError("FunctionTransformer(np.%s) with kw_args %r is "
                              "not supported" % (f.__name__, kw))
        for c in cols:
            steps.append({"op": f.__name__, "column": c.name})
            c.kind, c.missing = "float", None
        return cols
    if f is np.clip:
        lo = kw.get("a_min", kw.get("min"))
        hi = kw.get("a_max", kw.get("max"))
        if set(kw) - {"a_min", "a_max"} or (lo is None and hi is None):
            raise ExportError("FunctionTransformer(np.clip) needs kw_args "
                              "a_min and/or a_max (scalars), got %r" % (kw,))
        for c in cols:
            st = {"op": "clip", "column": c.name}
            if lo is not None:
                st["min"] = _num(lo, "clip a_min")
            if hi is not None:
                st["max"] = _num(hi, "clip a_max")
            steps.append(st)
            c.kind, c.missing = "float", None
        return cols
    raise ExportError("FunctionTransformer(func=%r) is not supported (np.log, "
                      "np.log1p, np.clip or None)" % (f,))


def _transformer_handlers():
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler,
                                       OneHotEncoder, PolynomialFeatures,
                                       StandardScaler)
    return [(StandardScaler, _standard_scaler), (MinMaxScaler, _minmax_scaler),
            (SimpleImputer, _simple_imputer), (OneHotEncoder, _one_hot),
            (PolynomialFeatures, _polynomial),
            (FunctionTransformer, _function_transformer)]


def _apply_transformer(t, cols, steps):
    for cls, fn in _transformer_handlers():
        if type(t) is cls:
            _check_width(t, cols)
            return fn(t, cols, steps)
    raise ExportError(
        "unsupported transformer %s (supported: StandardScaler, MinMaxScaler, "
        "SimpleImputer, OneHotEncoder, PolynomialFeatures, FunctionTransformer"
        "(np.log/np.log1p/np.clip); no ColumnTransformer)" % _class_name(t))


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

def _class_columns(classes):
    return ["class_%s" % (c,) for c in classes]


def _regression_columns(n_outputs):
    if n_outputs == 1:
        return ["prediction"]
    return ["prediction_%d" % k for k in range(n_outputs)]


# The columns of a descriptor tree, in the order _tree fills a node's row.
_TREE_COLUMNS = ("feature", "threshold", "left", "right", "default_left",
                 "leaf")


def _tree(group, tree, leaf_fn):
    """A fitted sklearn `Tree` as a descriptor tree of `group` in the
    columnar form (docs/model-semantics.md): node i is entry i of every
    column, nodes in preorder (children after their parent), leaves from
    leaf_fn(node_id). A leaf has feature, left and right -1 and threshold
    and default_left 0; a split has leaf 0."""
    left, right = tree.children_left, tree.children_right
    feat, thr = tree.feature, tree.threshold
    mgl = getattr(tree, "missing_go_to_left", None)  # scikit-learn >= 1.3
    out = {"group": group}
    out.update((key, []) for key in _TREE_COLUMNS)
    cols = [out[key] for key in _TREE_COLUMNS]

    # Iterative preorder to avoid Python's recursion limit on deep trees.
    stack = [(0, None, None)]
    while stack:
        i, parent, side = stack.pop()
        pos = len(out["feature"])
        if parent is not None:
            out[side][parent] = pos
        if left[i] == -1:
            row = (-1, 0, -1, -1, 0, leaf_fn(i))
        else:
            default_left = bool(mgl[i]) if mgl is not None else True
            row = (int(feat[i]), split_threshold(thr[i]), -1, -1,
                   int(default_left), 0)
            stack.append((right[i], pos, "right"))
            stack.append((left[i], pos, "left"))
        for col, v in zip(cols, row):
            col.append(v)
    return out


def _classifier_tree_groups(tree, n_classes):
    """One descriptor tree per class: leaves = the normalized class value
    (what DecisionTreeClassifier.predict_proba returns for that leaf)."""
    value = np.asarray(tree.value)
    if value.shape[1] != 1:
        raise ExportError("multi-output classification trees are not "
                          "supported")
    v = value[:, 0, :n_classes].astype(np.float64)
    norm = v.sum(axis=1)
    norm[norm == 0.0] = 1.0
    proba = v / norm[:, None]
    return [_tree(k, tree, lambda i, k=k: _num(proba[i, k], "leaf value"))
            for k in range(n_classes)]


def _regressor_tree_groups(tree, scale=None):
    value = np.asarray(tree.value)
    out = []
    for k in range(value.shape[1]):
        vk = value[:, k, 0].astype(np.float64)
        if scale is not None:
            vk = scale * vk
        out.append(_tree(k, tree,
                         lambda i, vk=vk: _num(vk[i], "leaf value")))
    return out


def _tree_model(est, n_features):
    from sklearn.tree import DecisionTreeClassifier
    if isinstance(est, DecisionTreeClassifier):
        n_cls = _single_output_classes(est)
        trees = _classifier_tree_groups(est.tree_, n_cls)
        return ({"type": "tree_ensemble", "num_outputs": n_cls,
                 "base_score": [0.0] * n_cls, "average": False,
                 "link": "identity", "trees": trees},
                _class_columns(est.classes_))
    n_out = int(est.n_outputs_)
    return ({"type": "tree_ensemble", "num_outputs": n_out,
             "base_score": [0.0] * n_out, "average": False,
             "link": "identity", "trees": _regressor_tree_groups(est.tree_)},
            _regression_columns(n_out))


def _single_output_classes(est):
    if int(getattr(est, "n_outputs_", 1)) != 1:
        raise ExportError("%s with several outputs (multi-output "
                          "classification) is not supported" %
                          _class_name(est))
    return len(est.classes_)


def _forest_model(est, n_features, classifier):
    members = list(est.estimators_)
    if not members:
        raise ExportError("%s has no trees" % _class_name(est))
    if classifier:
        n_cls = _single_output_classes(est)
        per = [_classifier_tree_groups(m.tree_, n_cls) for m in members]
        n_out, columns = n_cls, _class_columns(est.classes_)
    else:
        per = [_regressor_tree_groups(m.tree_) for m in members]
        n_out = int(est.n_outputs_)
        columns = _regression_columns(n_out)
    # Group-major is not required: the semantics sum each group's trees in
    # order, which is the forest's order in either layout. Keep tree-major.
    trees = [t for groups in per for t in groups]
    return ({"type": "tree_ensemble", "num_outputs": n_out,
             "base_score": [0.0] * n_out, "average": True,
             "link": "identity", "trees": trees}, columns)


def _gb_base_score(est, n_features):
    from sklearn.dummy import DummyClassifier, DummyRegressor
    init = est.init_
    if not (isinstance(init, str) and init == "zero") and type(init) not in (
            DummyClassifier, DummyRegressor):
        raise ExportError("%s with init=%s: only the default (a constant "
                          "prior) or 'zero' can be a base score" %
                          (_class_name(est), _class_name(init)))
    raw = est._raw_predict_init(np.zeros((1, n_features), dtype=np.float32))
    return [_num(v, "init estimator raw prediction") for v in raw[0]]


def _gb_model(est, n_features, classifier, margin):
    stages = np.asarray(est.estimators_, dtype=object)
    n_stages, K = stages.shape
    base = _gb_base_score(est, n_features)
    lr = float(est.learning_rate)
    factor = None
    if classifier:
        loss = est.loss
        n_cls = len(est.classes_)
        if loss == "exponential":
            # predict_proba = expit(2 * raw). 2*(a + b) == 2*a + 2*b exactly,
            # so folding the 2 into base and leaves is exact; decision_function
            # (margin=True) keeps the unscaled raw predictions.
            if not margin:
                factor = 2.0
            link = "logistic"
        elif K == 1:
            link = "logistic"
        else:
            link = "softmax"
        columns = (_class_columns(est.classes_[1:]) if K == 1 else
                   _class_columns(est.classes_))
        assert K == (1 if n_cls == 2 else n_cls)
    else:
        link = "identity"
        columns = _regression_columns(1)
    if factor is not None:
        base = [factor * b for b in base]
    trees = []
    for i in range(n_stages):
        for k in range(K):
            tree = stages[i, k].tree_
            v = lr * np.asarray(tree.value)[:, 0, 0].astype(np.float64)
            if factor is not None:
                v = factor * v
            trees.append(_tree(k, tree,
                               lambda j, v=v: _num(v[j], "leaf value")))
    return ({"type": "tree_ensemble", "num_outputs": K, "base_score": base,
             "average": False, "link": link, "trees": trees}, columns)


def _linear_regressor(est, n_features):
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    n_out = coef.shape[0]
    icpt = np.broadcast_to(np.asarray(est.intercept_, dtype=np.float64),
                           (n_out,))
    return ({"type": "linear",
             "weights": [_nums(r, "coefficient") for r in coef],
             "intercepts": _nums(icpt, "intercept"), "link": "identity"},
            _regression_columns(n_out))


def _logistic_regression(est, n_features):
    coef = np.asarray(est.coef_, dtype=np.float64)
    icpt = np.asarray(est.intercept_, dtype=np.float64).ravel()
    if icpt.size == 1 and coef.shape[0] > 1:
        icpt = np.repeat(icpt, coef.shape[0])
    classes = est.classes_
    ovr = est.multi_class in ("ovr", "warn") or (
        est.multi_class == "auto" and (
            len(classes) <= 2 or est.solver in ("liblinear",
                                                "newton-cholesky")))
    if len(classes) <= 2:
        if ovr:
            # predict_proba = [1 - p, p], p = expit(decision_function)
            return ({"type": "linear",
                     "weights": [_nums(coef[0], "coefficient")],
                     "intercepts": _nums(icpt[:1], "intercept"),
                     "link": "logistic"}, _class_columns(classes[1:]))
        # multinomial with two classes: softmax([-d, d]); negation is exact.
        return ({"type": "linear",
                 "weights": [_nums(-coef[0], "coefficient"),
                             _nums(coef[0], "coefficient")],
                 "intercepts": [_num(-icpt[0], "intercept"),
                                _num(icpt[0], "intercept")],
                 "link": "softmax"}, _class_columns(classes))
    if ovr:
        raise ExportError(
            "LogisticRegression one-vs-rest with %d classes (multi_class=%r, "
            "solver=%r): predict_proba normalizes the per-class logistic "
            "outputs by their sum, which no `link` expresses; fit with "
            "multi_class='multinomial' (margin=True exports the decision "
            "function only if you need the margins)" %
            (len(classes), est.multi_class, est.solver))
    return ({"type": "linear",
             "weights": [_nums(r, "coefficient") for r in coef],
             "intercepts": _nums(icpt, "intercept"), "link": "softmax"},
            _class_columns(classes))


def _logistic_regression_margin_ovr(est):
    coef = np.asarray(est.coef_, dtype=np.float64)
    icpt = np.asarray(est.intercept_, dtype=np.float64).ravel()
    return ({"type": "linear",
             "weights": [_nums(r, "coefficient") for r in coef],
             "intercepts": _nums(icpt, "intercept"), "link": "identity"},
            _class_columns(est.classes_))


_ACTIVATIONS = ("identity", "relu", "tanh", "logistic")


def _mlp(est, n_features, classifier):
    if est.activation not in _ACTIVATIONS:
        raise ExportError("MLP activation %r is not supported" %
                          (est.activation,))
    layers = []
    n = len(est.coefs_)
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        W = np.asarray(W, dtype=np.float64)
        layers.append({"weights": [_nums(r, "MLP weight") for r in W.T],
                       "biases": _nums(b, "MLP bias"),
                       "activation": est.activation if i < n - 1
                       else "identity"})
    out = est.out_activation_
    if out == "identity":
        link = "identity"
    elif out == "logistic":
        link = "logistic"
    elif out == "softmax":
        link = "softmax"
    else:
        raise ExportError("MLP output activation %r is not supported" % out)
    n_out = int(est.n_outputs_)
    if classifier:
        classes = est.classes_
        if out == "logistic" and n_out == 1:
            columns = _class_columns(classes[1:])   # P(classes_[1])
        else:
            columns = _class_columns(classes)
        if len(columns) != n_out:
            raise ExportError("MLPClassifier: %d outputs for classes %r" %
                              (n_out, list(classes)))
    else:
        columns = _regression_columns(n_out)
    return {"type": "mlp", "layers": layers, "link": link}, columns


def _model(est, n_features, margin):
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                                  GradientBoostingClassifier,
                                  GradientBoostingRegressor,
                                  RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression,
                                      LogisticRegression, Ridge)
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    cls = type(est)
    if cls in (DecisionTreeClassifier, DecisionTreeRegressor):
        return _tree_model(est, n_features)
    if cls in (RandomForestClassifier, ExtraTreesClassifier):
        return _forest_model(est, n_features, True)
    if cls in (RandomForestRegressor, ExtraTreesRegressor):
        return _forest_model(est, n_features, False)
    if cls is GradientBoostingClassifier:
        return _gb_model(est, n_features, True, margin)
    if cls is GradientBoostingRegressor:
        return _gb_model(est, n_features, False, margin)
    if cls in (LinearRegression, Ridge, Lasso, ElasticNet):
        return _linear_regressor(est, n_features)
    if cls is LogisticRegression:
        if margin and len(est.classes_) > 2:
            try:
                return _logistic_regression(est, n_features)
            except ExportError:
                # The margins (decision_function) are expressible even
                # where the one-vs-rest probabilities are not.
                return _logistic_regression_margin_ovr(est)
        return _logistic_regression(est, n_features)
    if cls is MLPClassifier:
        return _mlp(est, n_features, True)
    if cls is MLPRegressor:
        return _mlp(est, n_features, False)
    raise ExportError(
        "unsupported estimator %s.%s (supported: DecisionTree, RandomForest, "
        "ExtraTrees and GradientBoosting classifiers/regressors, "
        "LinearRegression, Ridge, Lasso, ElasticNet, LogisticRegression, "
        "MLPClassifier, MLPRegressor, and Pipelines of those after "
        "StandardScaler/MinMaxScaler/SimpleImputer/OneHotEncoder/"
        "PolynomialFeatures/FunctionTransformer)" %
        (cls.__module__, cls.__name__))


def _model_width(model):
    t = model["type"]
    if t == "linear":
        return len(model["weights"][0])
    if t == "mlp":
        return len(model["layers"][0]["weights"][0])
    return None


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

def export(estimator, feature_names=None, input_types=None, name=None,
           margin=False):
    """A `model` descriptor (a dict) for a fitted scikit-learn estimator.

    estimator: a supported model, or a Pipeline of supported transformers
      ending in one.
    feature_names: names of the raw inputs, in column order (default the
      estimator's feature_names_in_, else x0, x1, ...).
    input_types: the raw inputs' types: a list (one per input) or a dict
      name -> type, each a type name (bool i32 i64 f32 f64 string) or
      {"type": ..., "missing": sentinel}. Default f64, except string inputs
      of a leading OneHotEncoder and integer sentinels of a leading
      SimpleImputer.
    name: the descriptor's `name` (default the estimator's class name).
    margin: output margins (decision_function) instead of probabilities.
    """
    transformers, model_est = _flatten(estimator)
    if transformers:
        n_inputs = _n_features_in(transformers[0])
    else:
        n_inputs = _n_features_in(model_est)
    inputs, cols = _make_inputs(estimator, transformers, n_inputs,
                                feature_names, input_types)
    steps = []
    for t in transformers:
        cols = _apply_transformer(t, cols, steps)
    for c in cols:
        if c.kind == "string":
            raise ExportError("string column %r reaches the model (one-hot "
                              "encode it)" % c.name)
    n_features = _n_features_in(model_est)
    if n_features != len(cols):
        raise ExportError("%s takes %d features, the preprocessing produces "
                          "%d (%s)" % (_class_name(model_est), n_features,
                                       len(cols), [c.name for c in cols]))
    model, columns = _model(model_est, n_features, bool(margin))
    width = _model_width(model)
    if width is not None and width != n_features:
        raise ExportError("%s: the model reads %d features, the inputs give "
                          "%d" % (_class_name(model_est), width, n_features))
    features = [c.name for c in cols]
    if len(set(features)) != len(features):
        raise ExportError("feature names collide: %r" % features)
    desc = {"specjit": 1, "kind": "model",
            "name": name if name is not None else _class_name(estimator),
            "inputs": inputs}
    if steps:
        desc["steps"] = steps
    desc["features"] = features
    desc["model"] = model
    desc["output"] = {"type": "f64", "columns": columns,
                      "margin": bool(margin)}
    return desc
