"""specjit from Python: descriptors to specialized native kernels.

    import specjit
    k = specjit.compile("examples/churn.json")      # a dict, JSON text or a path
    out = k.run({"age": age, "income": income, ...})  # numpy arrays or a DataFrame
    k.backend, k.hash, k.fallback_reason

Inputs are read in place, without a copy, when they already have the
column's dtype (f64 -> float64, f32 -> float32, i64 -> int64, i32 -> int32,
bool -> bool or uint8) and are C-contiguous 1-D arrays; anything else is
converted once per call (or refused with strict=True). The GIL is released
while a kernel runs or a model trains, so Python threads run kernels in
parallel. Errors raise specjit.Error, whose `path` is the JSON path (or
"row N") of the fault.
"""

import json
import os

import numpy as np

from . import _specjit

__all__ = ["Error", "Kernel", "compile", "describe", "train", "evaluate", "from_xgboost",
           "from_sklearn", "set_specialize", "cache_stats", "clear_cache",
           "disk_cache_stats"]


class Error(ValueError):
    """A descriptor, data or run error; `path` is where it is (the JSON path
    such as "steps[2].categories", "row 17", or "" when the message has no
    place)."""

    @property
    def path(self):
        msg = str(self.args[0]) if self.args else ""
        head, sep, _ = msg.partition(": ")
        return head if sep and " " not in head.replace("row ", "", 1) else ""


_specjit._set_error_type(Error)

_DTYPES = {"f64": np.float64, "f32": np.float32, "i64": np.int64, "i32": np.int32,
           "bool": np.uint8}


def _text(desc):
    """Descriptor text from a dict, JSON text or a path."""
    if isinstance(desc, dict):
        return json.dumps(desc)
    if isinstance(desc, (str, os.PathLike)):
        s = os.fspath(desc)
        if s.lstrip().startswith("{"):
            return s
        with open(s, encoding="utf-8") as f:
            return f.read()
    raise TypeError("a descriptor is a dict, JSON text or a path, got %r" % type(desc))


def describe(desc):
    """Validates a descriptor: its kind, hash, inputs and outputs."""
    return _specjit.describe(_text(desc))


def _column(values, decl, strict):
    """One input as the kernel reads it: the caller's array itself when its
    dtype and layout fit, else a converted copy (strict: an Error)."""
    name, t = decl["name"], decl["type"]
    if t == "string":
        items = [("" if v is None else str(v)).encode("utf-8") for v in values]
        offsets = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in items], out=offsets[1:])
        data = np.frombuffer(b"".join(items) or b"\0", dtype=np.uint8)
        return (offsets, data)
    want = np.dtype(_DTYPES[t])
    arr = values.to_numpy() if hasattr(values, "to_numpy") else values
    if isinstance(arr, np.ndarray) and t == "bool" and arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if (isinstance(arr, np.ndarray) and arr.dtype == want and arr.ndim == 1
            and arr.flags.c_contiguous):
        return arr
    if strict:
        got = arr.dtype if isinstance(arr, np.ndarray) else type(arr).__name__
        raise Error("%s: expected a contiguous 1-D %s array (strict), got %s"
                    % (name, want, got))
    arr = np.asarray(arr)
    if arr.ndim != 1:
        raise Error("%s: expected a 1-D column, got shape %s" % (name, arr.shape))
    if t in ("i64", "i32", "bool") and arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise Error("%s: expected integers, got non-integral values" % name)
    return np.ascontiguousarray(arr, dtype=want)


def _columns(data, decls, strict):
    cols = []
    for decl in decls:
        try:
            values = data[decl["name"]]
        except (KeyError, IndexError):
            raise Error("%s: missing column (the descriptor needs %s)"
                        % (decl["name"], ", ".join(d["name"] for d in decls))) from None
        cols.append(_column(values, decl, strict))
    return cols


class Kernel:
    """A compiled (or interpreted) descriptor."""

    def __init__(self, k):
        self._k = k
        self._desc = k.descriptor

    backend = property(lambda self: self._k.backend)
    hash = property(lambda self: self._k.hash)
    fallback_reason = property(lambda self: self._k.fallback_reason)
    compile_ms = property(lambda self: self._k.compile_ms)
    tier_state = property(lambda self: self._k.tier_state)
    source = property(lambda self: self._k.source)
    threads = property(lambda self: self._k.threads)

    def wait_for_compiled(self, timeout):
        """Kernel::waitForCompiled: True once compiled code runs, False when it
        never will or `timeout` seconds pass (the GIL is released)."""
        return self._k.wait_for_compiled(timeout)
    kind = property(lambda self: self._k.kind)
    output_names = property(lambda self: list(self._k.output_names))
    inputs = property(lambda self: [d["name"] for d in self._desc["inputs"]])

    def _out(self, rows, out):
        dtype = np.float32 if self._k.output_type == "f32" else np.float64
        shape = (rows, len(self._k.output_names))
        if out is None:
            return np.empty(shape, dtype=dtype)
        if (not isinstance(out, np.ndarray) or out.dtype != dtype or out.shape != shape
                or not out.flags.c_contiguous or not out.flags.writeable):
            raise Error("out: expected a writable C-contiguous %s array of shape %s"
                        % (np.dtype(dtype), shape))
        return out

    def run(self, columns=None, out=None, strict=False):
        """Runs over `columns` (a dict of arrays or a DataFrame) and returns the
        output matrix (or fills `out`). A rules kernel takes no columns and
        updates its state matrix `out` (agents x meters) in place."""
        # Arrays the kernel reads and writes in place need no conversion
        # (strict or not): the binding checks and runs them in one call.
        result = self._k.run_fast(columns, out)
        if result is not None:
            return result
        if self.kind == "rules":
            state = self._out(out.shape[0] if isinstance(out, np.ndarray) else 0, out)
            self._k.run([], state)
            return state
        cols = _columns(columns, self._desc["inputs"], strict)
        rows = _rows(cols)
        result = self._out(rows, out)
        self._k.run(cols, result)
        return result

    def stream(self):
        """A series kernel's running state: chunks give the bits of one run."""
        return Stream(self._k.stream(), self)


def _rows(cols):
    if not cols:
        return 0
    c = cols[0]
    return len(c[0]) - 1 if isinstance(c, tuple) else len(c)


class Stream:
    def __init__(self, s, kernel):
        self._s, self._kernel = s, kernel

    rows_seen = property(lambda self: self._s.rows_seen)
    backend = property(lambda self: self._s.backend)

    def run(self, columns, out=None, strict=False):
        cols = _columns(columns, self._kernel._desc["inputs"], strict)
        result = self._kernel._out(_rows(cols), out)
        self._s.run(cols, result)
        return result


def compile(desc, specialize=None, tree_layout="auto", use_cache=True, opt_level=3,
            tier=None, compile_after_calls=3, compile_after_rows=0, cost_model=True,
            verify=True, disk_cache=None, threads=1):
    """jit::compile: a Kernel for a descriptor (dict, JSON text or path);
    keyword options as in CompileOptions. tier="tiered" returns at once with
    a kernel on the interpreter that compiles in the background and is
    swapped to verified compiled code (docs/runtime.md); the compile_after_*,
    cost_model and verify options are its TierPolicy. disk_cache: the
    persistent cache (None: follow SPECJIT_CACHE; docs/runtime.md). threads:
    the threads one run shares its rows with (0: the hardware's; the result
    is bit for bit one thread's; docs/runtime.md, "Runs over several
    threads")."""
    if not isinstance(threads, int) or threads < 0:
        raise ValueError("threads: expected a non-negative integer")
    return Kernel(_specjit.compile(_text(desc), specialize, tree_layout, use_cache, opt_level,
                                   tier, compile_after_calls, compile_after_rows, cost_model,
                                   verify, disk_cache, threads))


def stats():
    """jit::stats(): per kernel its name, hash, backend, source, tier, compile
    times by stage, calls, rows and time per backend, promotion; the cache
    and the compile service (docs/runtime.md)."""
    return json.loads(_specjit.stats_json())


def train(desc, data, specialize=None, progress=None, strict=False, history=False):
    """jit::train: trains a `train` descriptor on `data` (a dict of arrays or
    a DataFrame holding its inputs and its label) and returns the trained
    `model` descriptor as a dict; with history=True, (model, info) where info
    has the per-epoch history, the stop reason, the best epoch and the
    backend. `progress(epoch, loss, validation_loss, seconds, rows_per_s)`
    is called after every epoch; an exception in it stops training."""
    text = _text(desc)
    decls = _specjit.describe(text)["inputs"]
    cols = _columns(data, decls, strict)
    r = _specjit.train(text, cols, specialize, progress)
    model = json.loads(r["model"])
    if not history:
        return model
    info = {k: r[k] for k in ("stop", "best_epoch", "backend", "fallback_reason", "seconds")}
    info["history"] = [dict(zip(("epoch", "train_loss", "validation_loss", "seconds"), h))
                       for h in r["history"]]
    return model, info


def evaluate(desc, data, specialize=None, threads=0, strict=False):
    """jit::evaluate: the metrics of an `eval` descriptor over `data` (a dict
    of arrays or a DataFrame with its score, model-input or train-input
    columns and its label), as docs/eval-semantics.md's JSON object parsed:
    {"metrics": {name: value}}, or with cross-validation {"folds": [...],
    "mean": {...}, "std": {...}}."""
    text = _text(desc)
    decls = _specjit.describe(text)["inputs"]
    cols = _columns(data, decls, strict)
    return json.loads(_specjit.evaluate(text, cols, specialize, threads))


def from_xgboost(booster_or_path, features=None, margin=False, name="xgboost"):
    """A `model` descriptor (dict) from an XGBoost Booster (or XGBClassifier /
    XGBRegressor) or the path of a model saved as JSON."""
    if isinstance(booster_or_path, (str, os.PathLike)):
        with open(booster_or_path, encoding="utf-8") as f:
            text = f.read()
    else:
        booster = booster_or_path
        if hasattr(booster, "get_booster"):
            booster = booster.get_booster()
        text = bytes(booster.save_raw(raw_format="json")).decode("utf-8")
    return json.loads(_specjit.import_xgboost(text, list(features or []), margin, name))


def from_sklearn(estimator, **kwargs):
    """A `model` (or `pipeline`) descriptor (dict) from a fitted scikit-learn
    estimator or pipeline (the exporter of python/specjit_export)."""
    from specjit_export import export
    return export(estimator, **kwargs)


def set_specialize(on):
    """The process-wide specialization switch (SPECJIT_SPECIALIZE)."""
    _specjit.set_specialize(bool(on))


cache_stats = _specjit.cache_stats
clear_cache = _specjit.clear_cache
disk_cache_stats = _specjit.disk_cache_stats


def __getattr__(name):
    # specjit.dask (scale-out over Dask DataFrames) imports dask, which
    # plain kernels do not need: load it on first use.
    if name == "dask":
        import importlib
        return importlib.import_module(".dask", __name__)
    raise AttributeError("module 'specjit' has no attribute %r" % name)
