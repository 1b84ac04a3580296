#!/usr/bin/python3
"""Generates realistic input data for the example pipelines as CSV.

    /usr/bin/python3 examples/gen_data.py churn --rows 1000000 --out churn.csv
    /usr/bin/python3 examples/gen_data.py housing --rows 1000 --out -
    /usr/bin/python3 examples/gen_data.py strategy --out strategy.csv
    /usr/bin/python3 examples/gen_data.py needs_rules --rows 100000 --out needs.csv
    /usr/bin/python3 examples/gen_data.py train_churn --rows 100000 --out train.csv
    /usr/bin/python3 examples/gen_data.py --list

The CSV has a header naming the descriptor's input columns, in order. A
missing float is an empty field; an integer column with a `missing` sentinel
writes the sentinel. Strings never contain commas, quotes or newlines. The
data is deterministic for a given --seed and --rows, and includes the awkward
values a real feed has: missing values, out-of-range values, unseen
categories.

A `train` example (train_churn) also gets its label column, after the
inputs. A `series` example (strategy) gets a time series, one row per time step
(1,000,000 rows unless --rows says otherwise). A `rules` example
(needs_rules) has no inputs: its data is the initial state matrix, one row
per agent, with the meters as the header, in the descriptor's element type.

Columns are generated with vectorized numpy and written with one join, so a
million rows take a few seconds.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _with_nan(rng, x, frac):
    x = np.asarray(x, dtype=np.float64).copy()
    x[rng.random(x.shape[0]) < frac] = np.nan
    return x


def _with_sentinel(rng, x, frac, sentinel):
    x = np.asarray(x).copy()
    x[rng.random(x.shape[0]) < frac] = sentinel
    return x


def churn(rng, n):
    age = np.clip(np.round(rng.normal(41.2, 12.7, n)), 18, 95).astype(np.int64)
    income = _with_nan(rng, np.round(rng.lognormal(10.8, 0.9, n), 2), 0.03)
    # Share of active days, with a few feed glitches outside [0, 1].
    engagement = rng.beta(2.0, 2.5, n)
    glitch = rng.random(n) < 0.01
    engagement[glitch] = rng.uniform(-0.2, 1.3, glitch.sum())
    engagement = _with_nan(rng, np.round(engagement, 4), 0.04)
    # Plan category 0/1/2; 3 is a plan launched after training (unseen).
    category = rng.choice([0, 1, 2, 3], n, p=[0.30, 0.49, 0.20, 0.01])
    category = _with_sentinel(rng, category, 0.08, -1).astype(np.int64)
    return {"age": age, "income": income, "engagement": engagement,
            "category": category}


def housing(rng, n):
    sqft = np.clip(rng.lognormal(np.log(1850.0), 0.35, n), 350, 12000)
    sqft = _with_nan(rng, np.round(sqft), 0.02)
    bedrooms = np.clip(np.round(rng.normal(3.1, 0.95, n)), 0, 9).astype(np.int64)
    bedrooms = _with_sentinel(rng, bedrooms, 0.03, -1)
    bathrooms = np.clip(np.round(rng.normal(2.1, 0.7, n) * 2) / 2, 1.0, 6.0)
    lot_size = _with_nan(rng, np.round(rng.lognormal(8.95, 0.62, n)), 0.05)
    year_built = np.clip(np.round(rng.normal(1978, 22, n)), 1880, 2024)
    year_built = year_built.astype(np.int32)
    # Distance to the city centre; f32 column, long tail past the clip.
    dist_km = np.round(rng.gamma(2.0, 9.0, n), 3).astype(np.float32)
    return {"sqft": sqft, "bedrooms": bedrooms, "bathrooms": bathrooms,
            "lot_size": lot_size, "year_built": year_built,
            "dist_km": dist_km}


def retail_strings(rng, n):
    # Store ids S001..S015: S013..S015 opened after the encoder was fitted.
    stores = np.array(["S%03d" % i for i in range(1, 16)], dtype=object)
    w = np.linspace(2.0, 1.0, stores.size)
    store_id = rng.choice(stores, n, p=w / w.sum())
    categories = np.array(["grocery", "electronics", "apparel", "home", "toys",
                           "beauty", "garden"], dtype=object)
    cat_idx = rng.choice(categories.size, n,
                         p=[0.34, 0.12, 0.18, 0.14, 0.08, 0.12, 0.02])
    category = categories[cat_idx]
    channel = rng.choice(np.array(["web", "app", "store", "phone"],
                                  dtype=object), n,
                         p=[0.35, 0.25, 0.38, 0.02])
    # Typical unit price per category, log-normally spread.
    base = np.array([6.0, 180.0, 35.0, 45.0, 25.0, 18.0, 30.0])
    price = base[cat_idx] * rng.lognormal(0.0, 0.6, n)
    price = np.round(np.clip(price, 0.99, 2499.0), 2)
    quantity = np.minimum(rng.geometric(0.55, n), 48).astype(np.int64)
    quantity = _with_sentinel(rng, quantity, 0.02, -1)
    discount = np.where(rng.random(n) < 0.7, 0.0,
                        rng.choice([0.05, 0.1, 0.15, 0.2, 0.3, 0.5], n))
    discount = _with_nan(rng, discount, 0.05)
    is_member = rng.random(n) < 0.42
    return {"store_id": store_id, "category": category, "channel": channel,
            "price": price, "quantity": quantity, "discount": discount,
            "is_member": is_member}


def strategy(rng, n):
    """An intraday (one-minute) close price in cents: a geometric random walk
    with clustered volatility (calm and turbulent stretches), drift regimes
    that flip every couple of thousand steps (so trends, reversals and
    crossovers all occur) and a very weak pull towards 100, so a million
    steps stay in a realistic range. Prices are positive; rounding to cents
    leaves flat stretches, as a real tape has."""
    eps = rng.standard_normal(n)
    vol_shocks = rng.normal(0.0, 0.05, n)
    regime = np.cumsum(rng.random(n) < 1.0 / 2000.0) % 2
    drift = np.where(regime == 0, 0.00004, -0.00004)
    # The two recurrences run on Python floats (a scalar loop: ~1 s/M rows).
    log_price = [0.0] * n
    base_vol = math.log(0.0006)
    level, lp, anchor = base_vol, math.log(100.0), math.log(100.0)
    exp = math.exp
    for i, (shock, d, e) in enumerate(zip(vol_shocks.tolist(), drift.tolist(),
                                          eps.tolist())):
        level += 0.01 * (base_vol - level) + shock
        lp += d + exp(level) * e - 2e-6 * (lp - anchor)
        log_price[i] = lp
    log_price = np.asarray(log_price, dtype=np.float64)
    close = np.maximum(np.round(np.exp(log_price), 2), 0.01)
    return {"close": close}


def needs_rules(rng, n):
    """The initial state of n agents: every meter in [0, 1], each with its
    own typical level, and a few agents at the edges (0 and 1 exactly)."""
    levels = {"energy": (5.0, 2.0), "mood": (4.0, 3.0), "hunger": (2.0, 4.0),
              "thirst": (2.0, 3.5), "social": (3.0, 3.0),
              "hygiene": (5.0, 2.5), "fun": (2.5, 3.0), "comfort": (4.0, 2.0)}
    out = {}
    for name, (a, b) in levels.items():
        x = np.round(rng.beta(a, b, n), 4)
        edge = rng.random(n)
        x[edge < 0.005] = 0.0
        x[edge > 0.995] = 1.0
        out[name] = x
    return out


def train_churn(rng, n):
    """Customers with a churn label drawn from a known logistic model of
    their tenure, charges, support calls and age (the label the train
    example learns back), plus missing support-call counts."""
    tenure = np.clip(np.round(rng.exponential(30.0, n), 1), 0.0, 120.0)
    charges = np.round(np.clip(rng.normal(64.8, 30.1, n), 18.0, 180.0), 2)
    calls = rng.poisson(1.5, n).astype(np.int64)
    age = np.clip(np.round(rng.normal(41.2, 13.5, n)), 18, 95)
    margin = (-1.2 - 0.9 * (tenure - 32.4) / 24.6
              + 0.4 * (charges - 64.8) / 30.1
              + 0.35 * (calls - 1.5) / 1.3 - 0.17 * (age - 41.2) / 13.5)
    churned = (rng.random(n) < 1.0 / (1.0 + np.exp(-margin))).astype(np.int64)
    return {"tenure_months": tenure, "monthly_charges": charges,
            "support_calls": _with_sentinel(rng, calls, 0.02, -1),
            "age": age, "churned": churned}


GENERATORS = {"churn": churn, "housing": housing,
              "retail_strings": retail_strings, "strategy": strategy,
              "needs_rules": needs_rules, "train_churn": train_churn}
# The random stream of each example: fixed, so adding an example does not
# change the data of the others.
STREAMS = {"churn": 0, "housing": 1, "retail_strings": 2, "strategy": 3,
           "needs_rules": 4, "train_churn": 5}
# Rows when --rows is not given.
DEFAULT_ROWS = {"strategy": 1000000}


def load_inputs(name):
    """The CSV columns of an example: the inputs of a pipeline or series
    descriptor; the meters of a rules descriptor (its state matrix)."""
    with open(os.path.join(HERE, name + ".json"), encoding="utf-8") as f:
        desc = json.load(f)
    if desc.get("kind") == "rules":
        return [{"name": m, "type": desc.get("type", "f64")}
                for m in desc["meters"]]
    if desc.get("kind") == "train":
        return desc["inputs"] + [desc["label"]]
    return desc["inputs"]


def format_column(values, spec):
    """A list of CSV fields for one column."""
    t = spec["type"]
    if t in ("f32", "f64"):
        x = np.asarray(values, dtype=np.float64)
        if t == "f32":
            # numpy prints the shortest text that reads back as the same f32.
            fields = np.asarray(values, dtype=np.float32).astype(str).tolist()
        else:
            fields = list(map(repr, x.tolist()))
        for i in np.flatnonzero(np.isnan(x)).tolist():
            fields[i] = ""
        return fields
    if t == "bool":
        return list(map(str, np.asarray(values).astype(np.int64).tolist()))
    if t in ("i32", "i64"):
        return list(map(str, np.asarray(values).astype(np.int64).tolist()))
    if t == "string":
        fields = list(map(str, values))
        for s in set(fields):
            if any(c in s for c in ',"\n\r'):
                raise ValueError("string %r needs CSV quoting" % s)
        return fields
    raise ValueError("unknown type %r" % t)


def main(argv):
    ap = argparse.ArgumentParser(
        description="Write example input data as CSV.")
    ap.add_argument("example", nargs="?", choices=sorted(GENERATORS),
                    help="example descriptor (examples/<name>.json)")
    ap.add_argument("--rows", type=int, default=None,
                    help="rows to write (default: 1000000 for strategy, "
                    "10000 otherwise)")
    ap.add_argument("--out", default="-", help="output file, - for stdout")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--list", action="store_true",
                    help="list the examples and exit")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(sorted(GENERATORS)))
        return 0
    if args.example is None:
        ap.error("an example name is required")
    if args.rows is None:
        args.rows = DEFAULT_ROWS.get(args.example, 10000)
    if args.rows < 0:
        ap.error("--rows must be >= 0")

    inputs = load_inputs(args.example)
    rng = np.random.default_rng([args.seed, STREAMS[args.example]])
    cols = GENERATORS[args.example](rng, args.rows)
    names = [i["name"] for i in inputs]
    if sorted(cols) != sorted(names):
        raise SystemExit("gen_data.py: generator for %s produces %s, the "
                         "descriptor's inputs are %s" %
                         (args.example, sorted(cols), names))
    fields = [format_column(cols[i["name"]], i) for i in inputs]
    header = ",".join(names) + "\n"
    body = "\n".join(map(",".join, zip(*fields)))
    text = header + body + ("\n" if args.rows else "")
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
