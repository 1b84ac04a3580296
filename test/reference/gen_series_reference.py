#!/usr/bin/python3
"""Generates reference data for the `series` family (technical indicators).

Run with Debian's interpreter (it has numpy and pandas):

    /usr/bin/python3 test/reference/gen_series_reference.py [--out DIR]

For each case it writes DIR/<case>.json (default DIR: test/data/series):

    {"case": name, "generator": "pandas X / numpy Y / python model",
     "notes": "what produced `expected`, per indicator",
     "descriptor": {... a full series descriptor ...},
     "inputs": {"close": [values]},
     "columns": [output column names],
     "expected": [[row values]],
     "rtol": r, "atol": a}

Value encoding: a JSON number, `null` for NaN, "inf"/"-inf" for infinities.
Inputs are prices with two decimals (parsed by both sides to the same double).
For an f32 input the values are f32-exact (multiples of 1/64) and the model
reads them widened; for an f32 output `expected` holds the f64 result, which
the test compares after its own rounding to f32.

Where `expected` comes from:

  - `sma`: pandas `Series.rolling(n).mean()` (min_periods = n, so a window
    holding a NaN yields NaN, as docs/series-semantics.md says).
  - `ema` with seed "first" on finite inputs: pandas
    `Series.ewm(span=n, adjust=False).mean()`.
  - everything else (ema seed "sma", ema seed "first" on inputs with NaN,
    wma, dema, tema, hma, lsma, kama, weighted_sum, crossover, trend, and
    every indicator reading another indicator): `SeriesModel` below, a plain
    Python implementation of the definitions on the semantics page (TA-Lib's
    published definitions; Hull's for hma), written from the page and not
    from any kernel code.

Self-checks (the generator fails when one does not hold):

  - pandas and `SeriesModel` agree on every sma / ema-first column within
    the case's tolerance (and on ema-first with NaN, against pandas
    `ewm(adjust=False, ignore_na=True)` with NaN rows masked, which is the
    page's NaN rule expressed in pandas);
  - on finite inputs, independent numpy formulations agree with the model:
    wma and hma via `numpy.convolve`, lsma via `numpy.polyfit` per window,
    ema seed "sma" via pandas ewm started at the SMA seed;
  - every crossover / trend decision has a margin: the compared values differ
    by more than 1e-7 relative, so rounding differences within `rtol` cannot
    flip a signal.

Tolerances: `rtol` 1e-9 on every case, because the kernel may sum in an order
or with a formula that rounds differently from the reference:
  - sma: pandas keeps a compensated running sum (the page recomputes each
    window oldest to newest and divides by n);
  - ema: pandas divides by (old weight + new weight) at every step, the page
    computes a*x + (1-a)*e;
  - lsma: the page fixes the line, not the arithmetic (the model uses TA-Lib's
    SumX / SumXY formula, a kernel may use another);
  - weighted_sum / trend: the page writes `bias + sum(w_i * s_i)` without an
    association (the model adds left to right starting from the bias);
  - wma, kama, dema, tema, hma follow the page's order exactly, so only the
    sources' differences propagate.
`atol` is 1e-12 times the largest input magnitude (values that cancel near
zero: weighted sums with mixed signs).

Deterministic: every case uses its own fixed numpy seed.
"""

import argparse
import json
import math
from fractions import Fraction
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "data", "series")

GENERATOR = "pandas %s / numpy %s / python model of docs/series-semantics.md" % (
    pd.__version__, np.__version__)

RTOL = 1e-9
NAN = float("nan")
MARGIN = 1e-7  # relative margin required around crossover / trend decisions

MOVING = ("sma", "ema", "wma", "dema", "tema", "hma", "lsma", "kama")
# Windows of at least this period take exact sums rounded once per row
# (docs/series-semantics.md, "Long windows"): the model sums them with
# math.fsum (correctly rounded) or exact fractions.
EXACT_MIN = 128


def exact_sum(values, weights=None):
    """sum(w_i * v_i) computed exactly, rounded once to the nearest double."""
    if weights is None:
        return math.fsum(values)
    return float(sum((Fraction(v) * w for v, w in zip(values, weights)),
                     Fraction(0)))


# ---------------------------------------------------------------------------
# Encoding helpers
# ---------------------------------------------------------------------------

def enc(x):
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def dec(v):
    if v is None:
        return NAN
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": NAN}[v]
    return float(v)


def isnan(x):
    return x != x


# ---------------------------------------------------------------------------
# Price data
# ---------------------------------------------------------------------------

def prices(rng, n, start=100.0, vol=0.012, decimals=2, drift=0.0):
    """A geometric random walk rounded to `decimals` places."""
    steps = rng.normal(drift, vol, n)
    p = start * np.exp(np.cumsum(steps))
    return [round(float(v), decimals) for v in p]


def with_flat_runs(rng, x, runs, length):
    """Repeats a value over `runs` stretches of `length` rows (zero volatility
    windows for kama)."""
    x = list(x)
    for _ in range(runs):
        s = int(rng.integers(1, len(x) - length))
        for i in range(s, s + length):
            x[i] = x[s - 1]
    return x


def with_nan(x, positions):
    x = list(x)
    for i in positions:
        if 0 <= i < len(x):
            x[i] = NAN
    return x


def f32_grid(x, step=1.0 / 64):
    return [float(np.float32(round(v / step) * step)) for v in x]


# ---------------------------------------------------------------------------
# Descriptor helpers
# ---------------------------------------------------------------------------

def ma(name, op, period, src="close", **kw):
    d = {"name": name, "op": op, "input": src, "period": period}
    d.update(kw)
    return d


def descriptor(name, indicators, inputs=("close",), in_type="f64",
               out_type="f64", columns=None):
    d = {"specjit": 1, "kind": "series", "name": name,
         "inputs": [{"name": i, "type": in_type} for i in inputs],
         "output": {"type": out_type},
         "indicators": indicators}
    if columns is not None:
        d["output"]["columns"] = list(columns)
    return d


# ---------------------------------------------------------------------------
# The model: docs/series-semantics.md, one plain loop per definition
# ---------------------------------------------------------------------------

def window_has_nan(x, lo, hi):
    for i in range(lo, hi + 1):
        if isnan(x[i]):
            return True
    return False


def m_sma(x, n):
    out = [NAN] * len(x)
    for t in range(n - 1, len(x)):
        if window_has_nan(x, t - n + 1, t):
            continue
        if n >= EXACT_MIN:
            out[t] = exact_sum(x[t - n + 1:t + 1]) / n
            continue
        s = 0.0
        for i in range(t - n + 1, t + 1):  # oldest to newest
            s += x[i]
        out[t] = s / n
    return out


def m_wma(x, n):
    out = [NAN] * len(x)
    den = float(n * (n + 1) // 2)
    for t in range(n - 1, len(x)):
        if window_has_nan(x, t - n + 1, t):
            continue
        if n >= EXACT_MIN:
            out[t] = exact_sum(x[t - n + 1:t + 1], range(1, n + 1)) / den
            continue
        s = 0.0
        for i in range(1, n + 1):
            s += i * x[t - n + i]
        out[t] = s / den
    return out


def m_ema(x, n, seed):
    """ema with the page's NaN rule: a NaN row outputs NaN and leaves the
    state alone; before the seed a NaN restarts the count (seed "sma" needs n
    consecutive values)."""
    a = 2.0 / (n + 1)
    b = 1.0 - a
    out = [NAN] * len(x)
    seeded = False
    e = 0.0
    count = 0
    for t, v in enumerate(x):
        if isnan(v):
            count = 0
            continue
        if seeded:
            e = a * v + b * e
            out[t] = e
            continue
        if seed == "first":
            e = v
            seeded = True
            out[t] = e
            continue
        count += 1
        if count == n:
            s = 0.0
            for i in range(t - n + 1, t + 1):
                s += x[i]
            e = s / n
            seeded = True
            out[t] = e
    return out


def m_dema(x, n, seed):
    e1 = m_ema(x, n, seed)
    e2 = m_ema(e1, n, seed)
    return [2.0 * p - q for p, q in zip(e1, e2)]


def m_tema(x, n, seed):
    e1 = m_ema(x, n, seed)
    e2 = m_ema(e1, n, seed)
    e3 = m_ema(e2, n, seed)
    return [3.0 * p - 3.0 * q + r for p, q, r in zip(e1, e2, e3)]


def m_hma(x, n):
    half = max(1, n // 2)
    root = max(1, math.isqrt(n))
    w1 = m_wma(x, half)
    w2 = m_wma(x, n)
    diff = [2.0 * p - q for p, q in zip(w1, w2)]
    return m_wma(diff, root)


def m_lsma(x, n):
    """TA-Lib LINEARREG: i counts periods back from t (the newest point is
    i = 0); the fitted line evaluated at the newest point."""
    out = [NAN] * len(x)
    sum_x = n * (n - 1) * 0.5
    sum_xsq = n * (n - 1) * (2 * n - 1) / 6.0
    divisor = sum_x * sum_x - n * sum_xsq
    for t in range(n - 1, len(x)):
        if window_has_nan(x, t - n + 1, t):
            continue
        if n >= EXACT_MIN:
            # The page's exact form: sy/n + (C / (n(n^2-1)/6)) * (n-1)/2,
            # C = sum (2i - (n-1)) * y_i, oldest first.
            win = x[t - n + 1:t + 1]
            sy = exact_sum(win)
            c = exact_sum(win, [2 * i - (n - 1) for i in range(n)])
            out[t] = sy / n + (c / (n * (n * n - 1) // 6)) * ((n - 1) / 2)
            continue
        sum_xy = 0.0
        sum_y = 0.0
        for i in range(n - 1, -1, -1):
            v = x[t - i]
            sum_y += v
            sum_xy += i * v
        m = (n * sum_xy - sum_x * sum_y) / divisor
        b = (sum_y - m * sum_x) / n
        out[t] = b + m * (n - 1)
    return out


def m_kama(x, n, fast, slow):
    """The page's kama: er over x[t-n..t] (volatility summed oldest to
    newest, er = 0 on a zero sum); first value from x[t-1]; a row whose window
    holds a NaN outputs NaN and leaves the state alone; before the first value
    the count restarts (n + 1 consecutive values are needed)."""
    fastc = 2.0 / (fast + 1)
    slowc = 2.0 / (slow + 1)
    diff = fastc - slowc
    out = [NAN] * len(x)
    seeded = False
    k = 0.0
    for t in range(n, len(x)):
        if window_has_nan(x, t - n, t):
            continue
        change = abs(x[t] - x[t - n])
        vol = 0.0
        if n >= EXACT_MIN:
            vol = exact_sum([abs(x[i] - x[i - 1])
                             for i in range(t - n + 1, t + 1)])
        else:
            for i in range(t - n + 1, t + 1):
                vol += abs(x[i] - x[i - 1])
        er = change / vol if vol != 0.0 else 0.0
        c = er * diff + slowc
        sc = c * c
        if not seeded:
            k = x[t - 1] + sc * (x[t] - x[t - 1])
            seeded = True
        else:
            k = k + sc * (x[t] - k)
        out[t] = k
    return out


def m_weighted_sum(srcs, weights, bias):
    out = []
    for t in range(len(srcs[0])):
        acc = bias
        for s, w in zip(srcs, weights):
            acc = acc + w * s[t]
        out.append(acc)
    return out


class MarginError(Exception):
    pass


def check_margin(a, b, what, t):
    scale = max(abs(a), abs(b), 1e-300)
    if abs(a - b) <= MARGIN * scale:
        raise MarginError("%s at row %d: %r vs %r (too close to decide "
                          "robustly)" % (what, t, a, b))


def m_crossover(f, s, name):
    out = [NAN] * len(f)
    for t in range(1, len(f)):
        if isnan(f[t]) or isnan(s[t]) or isnan(f[t - 1]) or isnan(s[t - 1]):
            continue
        check_margin(f[t], s[t], name, t)
        check_margin(f[t - 1], s[t - 1], name, t - 1)
        if f[t] > s[t] and f[t - 1] <= s[t - 1]:
            out[t] = 1.0
        elif f[t] < s[t] and f[t - 1] >= s[t - 1]:
            out[t] = -1.0
        else:
            out[t] = 0.0
    return out


def m_trend(p, against, weights, upper, lower, name):
    out = [NAN] * len(p)
    for t in range(len(p)):
        if isnan(p[t]) or any(isnan(a[t]) for a in against):
            continue
        mix = 0.0
        for a, w in zip(against, weights):
            mix = mix + w * a[t]
        hi = mix * (1.0 + upper)
        lo = mix * (1.0 - lower)
        check_margin(p[t], hi, name + " (upper band)", t)
        check_margin(p[t], lo, name + " (lower band)", t)
        if p[t] > hi:
            out[t] = 1.0
        elif p[t] < lo:
            out[t] = -1.0
        else:
            out[t] = 0.0
    return out


class SeriesModel:
    """Evaluates a series descriptor on decoded inputs (lists of floats)."""

    def __init__(self, desc, inputs):
        self.values = {}
        for spec in desc["inputs"]:
            col = [dec(v) for v in inputs[spec["name"]]]
            if spec["type"] == "f32":
                col = [float(np.float32(v)) for v in col]
            self.values[spec["name"]] = col
        for ind in desc["indicators"]:
            self.values[ind["name"]] = self.evaluate(ind)
        cols = desc["output"].get("columns") or [
            i["name"] for i in desc["indicators"]]
        self.columns = list(cols)
        self.matrix = [list(r) for r in zip(*(self.values[c] for c in cols))]

    def evaluate(self, ind):
        v = self.values
        op = ind["op"]
        if op in MOVING:
            x = v[ind["input"]]
            n = ind["period"]
            seed = ind.get("seed", "first")
            if op == "sma":
                return m_sma(x, n)
            if op == "ema":
                return m_ema(x, n, seed)
            if op == "wma":
                return m_wma(x, n)
            if op == "dema":
                return m_dema(x, n, seed)
            if op == "tema":
                return m_tema(x, n, seed)
            if op == "hma":
                return m_hma(x, n)
            if op == "lsma":
                return m_lsma(x, n)
            return m_kama(x, n, ind.get("fast", 2), ind.get("slow", 30))
        if op == "weighted_sum":
            terms = ind["terms"]
            return m_weighted_sum([v[t["input"]] for t in terms],
                                  [float(t["weight"]) for t in terms],
                                  float(ind.get("bias", 0.0)))
        if op == "crossover":
            return m_crossover(v[ind["fast"]], v[ind["slow"]], ind["name"])
        if op == "trend":
            against = ind["against"]
            w = ind.get("weights")
            if w is None:
                w = [1.0 / len(against)] * len(against)
            return m_trend(v[ind["input"]], [v[a] for a in against],
                           [float(x) for x in w],
                           float(ind.get("upper", 0.0)),
                           float(ind.get("lower", 0.0)), ind["name"])
        raise ValueError(op)


# ---------------------------------------------------------------------------
# Independent numpy / pandas formulations used as cross-checks
# ---------------------------------------------------------------------------

def np_wma(x, n):
    x = np.asarray(x, dtype=np.float64)
    w = np.arange(n, 0, -1, dtype=np.float64)  # convolve flips the kernel
    out = np.full(x.shape, np.nan)
    if len(x) >= n:
        out[n - 1:] = np.convolve(x, w, mode="valid") / (n * (n + 1) / 2)
    return out


def np_hma(x, n):
    d = 2.0 * np_wma(x, max(1, n // 2)) - np_wma(x, n)
    r = max(1, math.isqrt(n))
    out = np.full(d.shape, np.nan)
    w = np.arange(r, 0, -1, dtype=np.float64)
    first = n - 1
    if len(d) - first >= r:
        out[first + r - 1:] = np.convolve(d[first:], w, mode="valid") / (
            r * (r + 1) / 2)
    return out


def np_lsma(x, n):
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    idx = np.arange(n, dtype=np.float64)
    for t in range(n - 1, len(x)):
        slope, icpt = np.polyfit(idx, x[t - n + 1:t + 1], 1)
        out[t] = icpt + slope * (n - 1)
    return out


def pd_ema_sma_seed(x, n):
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    if len(x) < n:
        return out
    y = x[n - 1:].copy()
    y[0] = x[:n].mean()
    out[n - 1:] = pd.Series(y).ewm(span=n, adjust=False).mean().to_numpy()
    return out


def pd_sma(x, n):
    return pd.Series(x, dtype=np.float64).rolling(n).mean().to_numpy()


def pd_ema_first(x, n, has_nan):
    s = pd.Series(x, dtype=np.float64)
    if not has_nan:
        return s.ewm(span=n, adjust=False).mean().to_numpy()
    out = s.ewm(span=n, adjust=False, ignore_na=True).mean().to_numpy()
    out[np.isnan(s.to_numpy())] = np.nan
    return out


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

# Why each op needs rtol 1e-9 rather than exact agreement (written into
# every case's notes for the ops it uses).
TOL_NOTES = {
    "sma": "sma: pandas keeps a compensated running sum, the page sums each "
           "window oldest to newest (and a kernel may multiply by 1/n "
           "instead of dividing by n)",
    "ema": "ema: pandas divides by the sum of the weights at every step, "
           "TA-Lib computes e + a*(x - e), the page a*x + (1-a)*e",
    "wma": "wma: the page's order (a kernel may scale by 1/den instead of "
           "dividing)",
    "dema": "dema/tema: the ema rounding above, through the stages",
    "tema": "dema/tema: the ema rounding above, through the stages",
    "hma": "hma: wma's rounding, through three wmas",
    "lsma": "lsma: the page fixes the fitted line, not the formula (TA-Lib's "
            "SumX/SumXY here; polyfit differs by up to ~1e-14 relative)",
    "kama": "kama: the page's order; TA-Lib keeps a running volatility sum",
    "weighted_sum": "weighted_sum: the page does not fix the association of "
                    "bias + sum(w_i*s_i) (left to right from the bias here)",
    "trend": "trend: the association of sum(w_i*a_i) (decisions themselves "
             "have a 1e-7 relative margin)",
    "crossover": "crossover: exact 0/+1/-1 (decisions have a 1e-7 relative "
                 "margin)",
}


def tolerance_note(desc):
    ops = []
    for ind in desc["indicators"]:
        if ind["op"] not in ops:
            ops.append(ind["op"])
    seen = []
    for op in ops:
        if TOL_NOTES[op] not in seen:
            seen.append(TOL_NOTES[op])
    return (" Tolerance: rtol 1e-9 because the order of operations may "
            "differ: " + "; ".join(seen) + ". atol = 1e-12 x the largest "
            "input magnitude.")


class Case:
    def __init__(self, name, desc, inputs, notes, exact=False):
        self.name = name
        self.desc = desc
        self.inputs = {k: [enc(v) for v in vals] for k, vals in inputs.items()}
        self.notes = notes + tolerance_note(desc)
        self.model = SeriesModel(desc, self.inputs)
        self.columns = self.model.columns
        self.expected = [list(r) for r in self.model.matrix]
        scale = max([abs(dec(v)) for vals in self.inputs.values()
                     for v in vals if v is not None and not isinstance(v, str)]
                    + [1.0])
        # Checks against pandas / numpy use these; `exact` cases are
        # written with rtol = atol = 0 (the model computes the page's
        # arithmetic bit for bit) and keep the model's values.
        self.rtol = RTOL
        self.atol = 1e-12 * scale
        self.exact = exact
        self.sources = {}  # column -> "pandas" | "model"

    def within(self, a, b):
        if isnan(a) or isnan(b):
            return isnan(a) and isnan(b)
        return abs(a - b) <= self.atol + self.rtol * abs(b)

    def replace_with_pandas(self):
        """sma and ema-first columns on the model's own inputs: take pandas'
        values after checking that the model agrees."""
        by_name = {i["name"]: i for i in self.desc["indicators"]}
        input_names = {i["name"] for i in self.desc["inputs"]}
        for c, col in enumerate(self.columns):
            ind = by_name[col]
            src = ind.get("input")
            if ind["op"] not in ("sma", "ema") or src not in input_names:
                self.sources[col] = "model"
                continue
            x = self.model.values[src]
            has_nan = any(isnan(v) for v in x)
            if ind["op"] == "sma":
                ref = pd_sma(x, ind["period"])
            elif ind.get("seed", "first") == "first":
                ref = pd_ema_first(x, ind["period"], has_nan)
            else:
                self.sources[col] = "model"
                continue
            self.compare(col, ref, "pandas")
            if self.exact or (ind["op"] == "ema" and has_nan):
                # pandas has no NaN-as-output rule: keep the model's values
                # (checked above against ignore_na=True + mask).
                self.sources[col] = "model"
                continue
            for t in range(len(self.expected)):
                self.expected[t][c] = float(ref[t])
            self.sources[col] = "pandas"

    def compare(self, col, ref, what):
        c = self.columns.index(col)
        bad = [t for t in range(len(self.expected))
               if not self.within(self.expected[t][c], float(ref[t]))]
        if bad:
            t = bad[0]
            raise SystemExit("%s: column %s: model and %s disagree at %d rows,"
                             " first row %d: %r vs %r" %
                             (self.name, col, what, len(bad), t,
                              self.expected[t][c], float(ref[t])))

    def cross_check(self):
        """numpy formulations of wma / hma / lsma / ema-sma on finite
        inputs."""
        by_name = {i["name"]: i for i in self.desc["indicators"]}
        input_names = {i["name"] for i in self.desc["inputs"]}
        checked = []
        for col in self.columns:
            ind = by_name[col]
            src = ind.get("input")
            if src not in input_names:
                continue
            x = self.model.values[src]
            if any(isnan(v) for v in x):
                continue
            n = ind.get("period")
            op = ind["op"]
            if op == "wma":
                self.compare(col, np_wma(x, n), "numpy.convolve")
            elif op == "hma":
                self.compare(col, np_hma(x, n), "numpy.convolve")
            elif op == "lsma":
                self.compare(col, np_lsma(x, n), "numpy.polyfit")
            elif op == "ema" and ind.get("seed") == "sma":
                self.compare(col, pd_ema_sma_seed(x, n), "pandas ewm from "
                             "the SMA seed")
            else:
                continue
            checked.append(col)
        return checked

    def to_json(self):
        return {"case": self.name, "generator": GENERATOR,
                "notes": self.notes, "descriptor": self.desc,
                "inputs": self.inputs, "columns": self.columns,
                "expected": [[enc(v) for v in r] for r in self.expected],
                "rtol": 0.0 if self.exact else self.rtol,
                "atol": 0.0 if self.exact else self.atol}


def case_sma_periods():
    rng = np.random.default_rng(101)
    x = prices(rng, 300)
    inds = [ma("sma%d" % n, "sma", n) for n in (1, 2, 5, 28, 100)]
    return Case("sma_periods", descriptor("sma_periods", inds), {"close": x},
                "sma, periods 1..100: pandas rolling(n).mean().")


def case_ema_first_periods():
    rng = np.random.default_rng(102)
    x = prices(rng, 300)
    inds = [ma("ema%d" % n, "ema", n, seed="first") for n in (1, 2, 12, 28, 100)]
    return Case("ema_first_periods", descriptor("ema_first", inds),
                {"close": x},
                "ema seed first, periods 1..100: pandas ewm(span=n, "
                "adjust=False).mean().")


def case_ema_sma_seed():
    rng = np.random.default_rng(103)
    x = prices(rng, 300)
    inds = [ma("ema%d" % n, "ema", n, seed="sma") for n in (1, 2, 12, 28, 100)]
    return Case("ema_sma_seed", descriptor("ema_sma", inds), {"close": x},
                "ema seed sma (TA-Lib EMA): e[n-1] = mean(x[0..n-1]) summed "
                "oldest to newest, then a*x + (1-a)*e; model, cross-checked "
                "against pandas ewm(adjust=False) started at the seed.")


def case_wma_periods():
    rng = np.random.default_rng(104)
    x = prices(rng, 300)
    inds = [ma("wma%d" % n, "wma", n) for n in (1, 2, 5, 28, 100)]
    return Case("wma_periods", descriptor("wma", inds), {"close": x},
                "wma: sum(i*x[t-n+i], i=1..n) oldest to newest / (n(n+1)/2);"
                " model, cross-checked against numpy.convolve.")


def case_dema():
    rng = np.random.default_rng(105)
    x = prices(rng, 300)
    inds = [ma("dema%s%d" % (s[0], n), "dema", n, seed=s)
            for s in ("first", "sma") for n in (2, 12, 28)]
    return Case("dema", descriptor("dema", inds), {"close": x},
                "dema = 2*e1 - e2, e2 = ema(e1) with the same seed, starting "
                "where e1 starts (seed sma: lookback 2(n-1), TA-Lib DEMA); "
                "model.")


def case_tema():
    rng = np.random.default_rng(106)
    x = prices(rng, 300)
    inds = [ma("tema%s%d" % (s[0], n), "tema", n, seed=s)
            for s in ("first", "sma") for n in (2, 12, 28)]
    return Case("tema", descriptor("tema", inds), {"close": x},
                "tema = 3*e1 - 3*e2 + e3 (evaluated left to right), each "
                "stage the ema of the previous one (seed sma: lookback "
                "3(n-1), TA-Lib TEMA); model.")


def case_hma():
    rng = np.random.default_rng(107)
    x = prices(rng, 300)
    inds = [ma("hma%d" % n, "hma", n) for n in (1, 2, 3, 9, 16, 28, 100)]
    return Case("hma", descriptor("hma", inds), {"close": x},
                "hma = wma(2*wma(x, floor(n/2)) - wma(x, n), floor(sqrt(n)))"
                " (Hull; floor(n/2) at least 1); lookback n-1 + "
                "floor(sqrt(n))-1; model, cross-checked against "
                "numpy.convolve.")


def case_lsma():
    rng = np.random.default_rng(108)
    x = prices(rng, 300)
    inds = [ma("lsma%d" % n, "lsma", n) for n in (2, 3, 14, 28, 100)]
    return Case("lsma", descriptor("lsma", inds), {"close": x},
                "lsma (TA-Lib LINEARREG): least-squares line over the window "
                "evaluated at the newest point; model with TA-Lib's SumX/SumXY"
                " formula, cross-checked against numpy.polyfit per window "
                "(rtol 1e-9: the page does not fix the formula).")


def case_kama():
    rng = np.random.default_rng(109)
    x = with_flat_runs(rng, prices(rng, 300), runs=3, length=14)
    inds = [ma("kama10", "kama", 10),
            ma("kama1", "kama", 1, fast=2, slow=30),
            ma("kama5_3_20", "kama", 5, fast=3, slow=20),
            ma("kama30", "kama", 30, fast=2, slow=30),
            ma("kama2_10_11", "kama", 2, fast=10, slow=11)]
    return Case("kama", descriptor("kama", inds), {"close": x},
                "kama (TA-Lib KAMA with fast/slow parameters): volatility "
                "recomputed over each window oldest to newest; er = 0 when "
                "the volatility is 0 (three flat runs of 14 equal prices "
                "exercise it; TA-Lib would use er = 1 there); first value "
                "k[n] = x[n-1] + sc*(x[n]-x[n-1]); model.")


def case_composites():
    rng = np.random.default_rng(110)
    x = prices(rng, 300, vol=0.02)
    inds = [ma("ema12", "ema", 12),
            ma("ema26", "ema", 26, seed="sma"),
            ma("kama", "kama", 10),
            ma("sma20", "sma", 20),
            {"name": "mix", "op": "weighted_sum",
             "terms": [{"input": "ema12", "weight": 0.5},
                       {"input": "kama", "weight": 0.5}]},
            {"name": "spread", "op": "weighted_sum", "bias": -1.5,
             "terms": [{"input": "ema12", "weight": 1.0},
                       {"input": "ema26", "weight": -1.0},
                       {"input": "close", "weight": 0.25}]},
            {"name": "cross", "op": "crossover", "fast": "ema12",
             "slow": "ema26"},
            {"name": "price_cross", "op": "crossover", "fast": "close",
             "slow": "sma20"},
            {"name": "signal", "op": "trend", "input": "close",
             "against": ["ema26", "kama"], "weights": [0.5, 0.5],
             "upper": 0.01, "lower": 0.01},
            {"name": "plain_trend", "op": "trend", "input": "close",
             "against": ["sma20"]}]
    return Case("composites", descriptor("composites", inds), {"close": x},
                "weighted_sum (bias + w_i*s_i added left to right, mixed "
                "signs), crossover of two indicators and of the price and an "
                "indicator, trend with weights/bands and with the defaults "
                "(weights 1/len, bands 0); model; every decision has a 1e-7 "
                "relative margin.")


def all_ops(prefix, p=(5, 8, 3)):
    """Every op on `close` with small periods (NaN cases)."""
    a, b, c = p
    return [ma("sma", "sma", a), ma("emaf", "ema", b),
            ma("emas", "ema", b, seed="sma"), ma("wma", "wma", a),
            ma("demaf", "dema", c), ma("demas", "dema", c, seed="sma"),
            ma("temaf", "tema", c), ma("temas", "tema", c, seed="sma"),
            ma("hma", "hma", b), ma("lsma", "lsma", a),
            ma("kama", "kama", a, fast=2, slow=20),
            {"name": "wsum", "op": "weighted_sum", "bias": 0.25,
             "terms": [{"input": "sma", "weight": 0.5},
                       {"input": "emaf", "weight": 0.5}]},
            {"name": "cross", "op": "crossover", "fast": "emaf",
             "slow": "wma"},
            {"name": "trend", "op": "trend", "input": "close",
             "against": ["emas", "kama"], "upper": 0.002, "lower": 0.003}]


def case_nan_gaps():
    rng = np.random.default_rng(111)
    x = prices(rng, 240, vol=0.02)
    # leading NaN, isolated NaN, a NaN during every seed, a run of 6, NaN at
    # the end
    x = with_nan(x, [0, 1, 2, 6, 12, 40, 41, 42, 43, 44, 45, 90, 91, 150,
                     151, 239])
    d = descriptor("nan_gaps", all_ops("g"))
    return Case("nan_gaps", d, {"close": x},
                "NaN rules: leading NaN, isolated NaN, runs, NaN while seeds "
                "count. Windows holding a NaN -> NaN; ema/dema/tema stages "
                "and kama output NaN at a NaN and keep their state; before "
                "a seed the count restarts (seed sma needs n consecutive "
                "values; kama n+1); composites NaN when a source is NaN at t "
                "(or t-1 for crossover). sma from pandas rolling(n).mean(); "
                "the rest from the model (ema seed first checked against "
                "pandas ewm(adjust=False, ignore_na=True) with NaN rows "
                "masked).")


def case_nan_dense():
    rng = np.random.default_rng(112)
    x = prices(rng, 240, vol=0.02)
    pos = [i for i in range(240) if rng.random() < 0.12]
    x = with_nan(x, pos)
    d = descriptor("nan_dense", all_ops("d", (3, 4, 2)))
    return Case("nan_dense", d, {"close": x},
                "12% NaN at random rows with small periods, so seeds restart "
                "and succeed between gaps; same rules and sources as "
                "nan_gaps.")


def case_short_series():
    rng = np.random.default_rng(113)
    x = prices(rng, 20)
    inds = [ma("sma28", "sma", 28), ma("emaf28", "ema", 28),
            ma("emas28", "ema", 28, seed="sma"), ma("wma28", "wma", 28),
            ma("demas10", "dema", 10, seed="sma"),
            ma("temas7", "tema", 7, seed="sma"), ma("hma16", "hma", 16),
            ma("lsma21", "lsma", 21), ma("kama20", "kama", 20),
            ma("kama19", "kama", 19),
            {"name": "cross", "op": "crossover", "fast": "close",
             "slow": "sma28"}]
    return Case("short_series", descriptor("short", inds), {"close": x},
                "20 rows, shorter than most lookbacks: those columns are all "
                "NaN (kama19's single value is at row 19; emaf28 has no "
                "lookback); model and pandas.")


def case_all_nan():
    x = [NAN] * 12
    inds = [ma("sma3", "sma", 3), ma("emaf3", "ema", 3),
            ma("emas3", "ema", 3, seed="sma"), ma("kama3", "kama", 3),
            ma("temaf2", "tema", 2),
            {"name": "wsum", "op": "weighted_sum",
             "terms": [{"input": "close", "weight": 2.0}]},
            {"name": "trend", "op": "trend", "input": "close",
             "against": ["emaf3"]}]
    return Case("all_nan", descriptor("all_nan", inds), {"close": x},
                "an input that is NaN throughout: every output is NaN.")


def case_chained():
    rng = np.random.default_rng(114)
    x = prices(rng, 300)
    inds = [ma("sma10", "sma", 10),
            ma("ema_of_sma", "ema", 8, src="sma10"),
            ma("emas_of_sma", "ema", 8, src="sma10", seed="sma"),
            ma("hma9", "hma", 9),
            ma("kama_of_hma", "kama", 6, src="hma9", fast=2, slow=20),
            ma("wma_of_kama", "wma", 5, src="kama_of_hma"),
            ma("lsma_of_ema", "lsma", 7, src="ema_of_sma"),
            ma("tema_of_wma", "tema", 4, src="wma_of_kama", seed="sma"),
            {"name": "w", "op": "weighted_sum",
             "terms": [{"input": "tema_of_wma", "weight": 0.7},
                       {"input": "lsma_of_ema", "weight": 0.3}]},
            ma("sma_of_w", "sma", 3, src="w")]
    return Case("chained", descriptor("chained", inds), {"close": x},
                "moving averages of indicators: each starts after its "
                "source's lookback (the leading NaN rows count as NaN "
                "before the seed); model.")


def case_long_period():
    rng = np.random.default_rng(115)
    x = prices(rng, 1200, vol=0.006)
    inds = [ma("sma1000", "sma", 1000), ma("emas1000", "ema", 1000, seed="sma"),
            ma("wma1000", "wma", 1000), ma("lsma1000", "lsma", 1000),
            ma("kama900", "kama", 900, fast=2, slow=30),
            ma("hma1000", "hma", 1000)]
    return Case("long_period", descriptor("long_period", inds), {"close": x},
                "periods of 900-1000 over 1,200 rows: long windows (sums over"
                " a thousand terms); sma from pandas, the rest from the "
                "model.")


def case_large_prices():
    rng = np.random.default_rng(116)
    x = prices(rng, 240, start=250000.0, vol=0.0004)
    inds = [ma("sma30", "sma", 30), ma("emaf30", "ema", 30),
            ma("wma30", "wma", 30), ma("lsma60", "lsma", 60),
            ma("kama14", "kama", 14), ma("temas9", "tema", 9, seed="sma"),
            ma("hma25", "hma", 25)]
    return Case("large_prices", descriptor("large_prices", inds),
                {"close": x},
                "prices near 250,000 moving by 0.04%: large magnitude with "
                "small differences (cancellation in lsma, tema and kama's "
                "differences); pandas and the model.")


def case_f32():
    rng = np.random.default_rng(117)
    x = f32_grid(prices(rng, 200, vol=0.015))
    inds = [ma("sma9", "sma", 9), ma("emaf9", "ema", 9),
            ma("emas9", "ema", 9, seed="sma"), ma("wma9", "wma", 9),
            ma("kama9", "kama", 9),
            {"name": "cross", "op": "crossover", "fast": "emaf9",
             "slow": "sma9"}]
    d = descriptor("f32_io", inds, in_type="f32", out_type="f32",
                   columns=["cross", "kama9", "sma9", "emas9"])
    return Case("f32_io", d, {"close": x},
                "f32 input (values on a 1/64 grid, exact in f32, widened "
                "exactly) and f32 output with output.columns selecting and "
                "reordering columns; expected holds the f64 results (the "
                "test rounds them to f32); pandas and the model.")


def case_two_inputs():
    rng = np.random.default_rng(118)
    close = prices(rng, 240)
    high = [round(c * (1.0 + abs(float(e))), 2)
            for c, e in zip(close, rng.normal(0, 0.006, 240))]
    inds = [ma("ema_c", "ema", 10, src="close"),
            ma("ema_h", "ema", 10, src="high", seed="sma"),
            ma("wma_h", "wma", 6, src="high"),
            {"name": "hl", "op": "weighted_sum",
             "terms": [{"input": "high", "weight": 1.0},
                       {"input": "close", "weight": -1.0}]},
            {"name": "cross_hc", "op": "crossover", "fast": "ema_c",
             "slow": "wma_h"},
            {"name": "trend_h", "op": "trend", "input": "high",
             "against": ["ema_c", "ema_h"], "weights": [0.75, 0.25],
             "upper": 0.004, "lower": 0.001}]
    d = descriptor("two_inputs", inds, inputs=("close", "high"))
    return Case("two_inputs", d, {"close": close, "high": high},
                "two input columns (close, high); indicators read either; a "
                "trend whose price is `high`; model.")


def case_strategy():
    """A strategy with 20+ parameters; reads like a config a user tunes."""
    rng = np.random.default_rng(119)
    x = prices(rng, 400, vol=0.015, drift=0.0003)
    inds = [
        ma("fast_ema", "ema", 9),                                  # 1
        ma("slow_ema", "ema", 21, seed="sma"),                     # 2,3
        ma("base_sma", "sma", 50),                                 # 4
        ma("trend_wma", "wma", 34),                                # 5
        ma("smooth_dema", "dema", 14),                             # 6
        ma("smooth_tema", "tema", 10, seed="sma"),                 # 7,8
        ma("hull", "hma", 16),                                     # 9
        ma("reg", "lsma", 25),                                     # 10
        ma("adaptive", "kama", 12, fast=3, slow=40),               # 11,12,13
        {"name": "blend", "op": "weighted_sum", "bias": 0.05,      # 14
         "terms": [{"input": "fast_ema", "weight": 0.35},          # 15
                   {"input": "hull", "weight": 0.25},              # 16
                   {"input": "reg", "weight": 0.2},                # 17
                   {"input": "adaptive", "weight": 0.2}]},         # 18
        {"name": "momentum", "op": "weighted_sum",
         "terms": [{"input": "smooth_dema", "weight": 1.0},        # 19
                   {"input": "smooth_tema", "weight": -1.0}]},     # 20
        ma("blend_ema", "ema", 5, src="blend"),                    # 21
        {"name": "entry", "op": "crossover", "fast": "blend_ema",
         "slow": "slow_ema"},
        {"name": "exit", "op": "crossover", "fast": "close",
         "slow": "trend_wma"},
        {"name": "regime", "op": "trend", "input": "close",
         "against": ["base_sma", "slow_ema", "adaptive"],
         "weights": [0.5, 0.3, 0.2],                               # 22,23,24
         "upper": 0.015, "lower": 0.02},                           # 25,26
        {"name": "fast_regime", "op": "trend", "input": "blend_ema",
         "against": ["reg"], "upper": 0.001, "lower": 0.0015},     # 27,28
    ]
    return Case("strategy", descriptor("strategy", inds), {"close": x},
                "a 28-parameter strategy: nine moving averages (both seeds, "
                "kama with fast/slow), weighted sums with a bias, an ema of "
                "a weighted sum, two crossovers, two trends; every column is"
                " an output; model (every decision has a 1e-7 relative "
                "margin).")


# examples/strategy.json, copied so the reference data does not change when
# the example does; bench/FamiliesBench.cpp and bench/peer_numba.py run the
# same descriptor on 1M prices.
EXAMPLE_STRATEGY = {
    "specjit": 1, "kind": "series", "name": "trend_following_strategy",
    "inputs": [{"name": "close", "type": "f64"}],
    "output": {"type": "f64", "columns": [
        "ema_fast", "ema_slow", "sma_long", "kama10", "macd", "macd_signal",
        "blend", "golden_cross", "macd_cross", "fast_cross", "regime",
        "short_trend"]},
    "indicators": [
        ma("ema_fast", "ema", 12, seed="first"),
        ma("ema_slow", "ema", 26, seed="sma"),
        ma("sma_mid", "sma", 50),
        ma("sma_long", "sma", 200),
        ma("wma20", "wma", 20),
        ma("dema21", "dema", 21, seed="first"),
        ma("tema15", "tema", 15, seed="sma"),
        ma("hma16", "hma", 16),
        ma("lsma25", "lsma", 25),
        ma("kama10", "kama", 10, fast=2, slow=30),
        {"name": "macd", "op": "weighted_sum",
         "terms": [{"input": "ema_fast", "weight": 1.0},
                   {"input": "ema_slow", "weight": -1.0}]},
        ma("macd_signal", "ema", 9, src="macd", seed="sma"),
        {"name": "blend", "op": "weighted_sum",
         "terms": [{"input": "hma16", "weight": 0.4},
                   {"input": "kama10", "weight": 0.35},
                   {"input": "lsma25", "weight": 0.25}],
         "bias": 0.0},
        {"name": "golden_cross", "op": "crossover", "fast": "sma_mid",
         "slow": "sma_long"},
        {"name": "macd_cross", "op": "crossover", "fast": "macd",
         "slow": "macd_signal"},
        {"name": "fast_cross", "op": "crossover", "fast": "dema21",
         "slow": "tema15"},
        {"name": "regime", "op": "trend", "input": "close",
         "against": ["sma_mid", "sma_long", "kama10"],
         "weights": [0.5, 0.3, 0.2], "upper": 0.01, "lower": 0.015},
        {"name": "short_trend", "op": "trend", "input": "blend",
         "against": ["wma20", "hma16"], "upper": 0.002, "lower": 0.002}]}


def case_example_strategy():
    rng = np.random.default_rng(120)
    x = prices(rng, 480, vol=0.012, drift=0.0004)
    return Case("example_strategy", EXAMPLE_STRATEGY, {"close": x},
                "examples/strategy.json (the benchmark's composite strategy):"
                " 18 indicators, 12 output columns, a 200-row sma; a MACD "
                "(weighted_sum of two emas) and an ema (seed sma) of it; "
                "model (every decision has a 1e-7 relative margin).")


def case_exact_windows():
    rng = np.random.default_rng(121)
    x = with_nan(prices(rng, 1000, vol=0.01), [300, 301, 900])
    # Magnitudes from about 1e-14 to 1e14: the exact sums rescale, rebuild
    # and take the wide path.
    wide = [float(v) * (-1.0 if i % 7 == 3 else 1.0)
            for i, v in enumerate(rng.lognormal(0.0, 8.0, 1000))]
    inds = [ma("sma127", "sma", 127), ma("sma128", "sma", 128),
            ma("sma250", "sma", 250), ma("wma200", "wma", 200),
            ma("lsma130", "lsma", 130), ma("kama140", "kama", 140, fast=2, slow=30),
            ma("hma300", "hma", 300), ma("ema150", "ema", 150, seed="sma"),
            ma("wide_sma150", "sma", 150, src="wide"),
            ma("wide_wma128", "wma", 128, src="wide"),
            ma("wide_lsma140", "lsma", 140, src="wide"),
            ma("wide_kama129", "kama", 129, src="wide", fast=2, slow=30)]
    return Case("exact_windows",
                descriptor("exact_windows", inds, inputs=("close", "wide")),
                {"close": x, "wide": wide},
                "long windows (period >= 128) take exact sums rounded once "
                "per row; period 127 still sums oldest to newest. Bit for bit "
                "(rtol = atol = 0): the model sums with math.fsum / exact "
                "fractions and otherwise follows the page's arithmetic; sma "
                "checked against pandas rolling(n).mean() and wma / lsma / "
                "hma against numpy within 1e-9. `wide` spans magnitudes "
                "1e-14..1e14 with both signs.", exact=True)


CASES = [case_sma_periods, case_ema_first_periods, case_ema_sma_seed,
         case_wma_periods, case_dema, case_tema, case_hma, case_lsma,
         case_kama, case_composites, case_nan_gaps, case_nan_dense,
         case_short_series, case_all_nan, case_chained, case_long_period,
         case_large_prices, case_f32, case_two_inputs, case_strategy,
         case_example_strategy, case_exact_windows]


def write_case(k, out_dir):
    j = k.to_json()
    # One key per line and one expected row per line: compact, yet diffs
    # stay readable.
    parts = []
    for key in ("case", "generator", "notes", "descriptor", "inputs",
                "columns"):
        parts.append("%s:%s" % (json.dumps(key), json.dumps(
            j[key], allow_nan=False, separators=(",", ":"))))
    rows = ",\n".join(json.dumps(r, allow_nan=False, separators=(",", ":"))
                      for r in j["expected"])
    parts.append('"expected":[\n%s]' % rows)
    parts.append('"rtol":%r' % j["rtol"])
    parts.append('"atol":%r' % j["atol"])
    text = "{" + ",\n".join(parts) + "}\n"
    json.loads(text)  # well-formed
    path = os.path.join(out_dir, k.name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return len(text)


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
        try:
            k = fn()
        except MarginError as e:
            raise SystemExit("%s: %s" % (fn.__name__, e))
        k.replace_with_pandas()
        checked = k.cross_check()
        size = write_case(k, args.out)
        total += size
        written.add(k.name + ".json")
        if not args.quiet:
            pandas_cols = [c for c, s in k.sources.items() if s == "pandas"]
            print("%-18s rows=%-5d cols=%-3d %6.1f KB  pandas: %s; numpy "
                  "cross-checked: %s" %
                  (k.name, len(k.expected), len(k.columns), size / 1024.0,
                   ",".join(pandas_cols) or "-", ",".join(checked) or "-"))
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
