#!/usr/bin/python3
"""The series and rules families in numba versus specjit.

Usage (Debian's python3, which has numba):
    /usr/bin/python3 bench/peer_numba.py [--rows 1000000] [--agents 100000]
                                         [--specjit BUILD_DIR] [--no-check]

numba peers, written the way a numba user would write them (@njit loops,
error_model="numpy" so x/0 is IEEE, no fastmath), with the semantics of
docs/series-semantics.md and docs/rules-semantics.md:

  - indicators on `--rows` prices (a random walk; f64): sma(28),
    ema(28, seed first), wma(28), dema(28), tema(28), hma(28), lsma(28),
    kama(10, 2, 30) and the composite strategy of examples/strategy.json
    (one numba function per indicator, chained by a small Python driver).
    Window sums are recomputed oldest to newest at every row, recursive
    indicators skip NaN and restart their seed, as the page says.
  - the rules cascade of examples/needs_rules.json (8 meters x 11 rules,
    10 steps, f32 state; an equivalent inline copy if the file is missing)
    on `--agents` agents: the descriptor is translated into one @njit
    function (a loop per agent, meters in locals, one `if` per rule), which
    is what a numba user would do for a configurable cascade. Every run
    starts from a fresh copy of the same initial state (copy not timed).

Timing: numba's compile time is the first call (compile + one run) minus the
steady-state run (after a warm-up compile of a trivial function, so numba's
one-time start-up is not charged to the first indicator; a function that
reuses an already compiled one, e.g. dema calling ema, is charged only for
what is new); the steady state is the best of 5 runs. Results in ns per row
(price or agent).

With `--specjit BUILD_DIR`, `BUILD_DIR/bin/specjit bench DESC --json` runs
the same descriptors (single-indicator series descriptors, the strategy, the
rules) for the JIT and interpreter columns; a descriptor the tool cannot
bench (e.g. no compiled code for the family yet) shows `n/a`.

Unless `--no-check`, the numba functions are first checked against the
reference data in test/data/series and test/data/rules (same files the C++
tests use), so the peer computes what specjit computes. The check runs after
the timing, so its compiles do not hide numba's compile time.
"""
import argparse
import glob
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import numba
from numba import njit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "reference"))
import gen_rules_reference as rules_ref  # noqa: E402  (expression parser)

NJ = dict(error_model="numpy", cache=False)

# ---------------------------------------------------------------------------
# Indicators (docs/series-semantics.md)
# ---------------------------------------------------------------------------


@njit(**NJ)
def nb_sma(x, n):
    out = np.empty(x.shape[0])
    for t in range(x.shape[0]):
        if t < n - 1:
            out[t] = np.nan
            continue
        s = 0.0
        for i in range(t - n + 1, t + 1):  # oldest to newest; NaN propagates
            s += x[i]
        out[t] = s / n
    return out


@njit(**NJ)
def nb_wma(x, n):
    out = np.empty(x.shape[0])
    den = float(n * (n + 1) // 2)
    for t in range(x.shape[0]):
        if t < n - 1:
            out[t] = np.nan
            continue
        s = 0.0
        for i in range(1, n + 1):
            s += i * x[t - n + i]
        out[t] = s / den
    return out


@njit(**NJ)
def nb_ema(x, n, seed_sma):
    a = 2.0 / (n + 1)
    b = 1.0 - a
    out = np.empty(x.shape[0])
    seeded = False
    e = 0.0
    count = 0
    for t in range(x.shape[0]):
        v = x[t]
        out[t] = np.nan
        if np.isnan(v):
            count = 0  # before the seed the count restarts; after, skipped
            continue
        if seeded:
            e = a * v + b * e
            out[t] = e
        elif not seed_sma:
            e = v
            seeded = True
            out[t] = e
        else:
            count += 1
            if count == n:
                s = 0.0
                for i in range(t - n + 1, t + 1):
                    s += x[i]
                e = s / n
                seeded = True
                out[t] = e
    return out


@njit(**NJ)
def nb_dema(x, n, seed_sma):
    e1 = nb_ema(x, n, seed_sma)
    e2 = nb_ema(e1, n, seed_sma)
    return 2.0 * e1 - e2


@njit(**NJ)
def nb_tema(x, n, seed_sma):
    e1 = nb_ema(x, n, seed_sma)
    e2 = nb_ema(e1, n, seed_sma)
    e3 = nb_ema(e2, n, seed_sma)
    return 3.0 * e1 - 3.0 * e2 + e3


@njit(**NJ)
def nb_hma(x, n):
    half = max(1, n // 2)
    root = int(math.sqrt(n))
    while root * root > n:
        root -= 1
    while (root + 1) * (root + 1) <= n:
        root += 1
    d = 2.0 * nb_wma(x, half) - nb_wma(x, n)
    return nb_wma(d, max(1, root))


@njit(**NJ)
def nb_lsma(x, n):
    out = np.empty(x.shape[0])
    sum_x = n * (n - 1) * 0.5
    sum_xsq = n * (n - 1) * (2 * n - 1) / 6.0
    divisor = sum_x * sum_x - n * sum_xsq
    for t in range(x.shape[0]):
        if t < n - 1:
            out[t] = np.nan
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


@njit(**NJ)
def nb_kama(x, n, fast, slow):
    fastc = 2.0 / (fast + 1)
    slowc = 2.0 / (slow + 1)
    diff = fastc - slowc
    out = np.empty(x.shape[0])
    seeded = False
    k = 0.0
    for t in range(x.shape[0]):
        out[t] = np.nan
        if t < n:
            continue
        vol = 0.0
        for i in range(t - n + 1, t + 1):
            vol += abs(x[i] - x[i - 1])
        change = abs(x[t] - x[t - n])
        if np.isnan(vol) or np.isnan(change):  # the window holds a NaN
            continue
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


@njit(**NJ)
def nb_weighted_sum(srcs, weights, bias):
    rows = srcs.shape[1]
    out = np.empty(rows)
    for t in range(rows):
        acc = bias
        for j in range(srcs.shape[0]):
            acc = acc + weights[j] * srcs[j, t]
        out[t] = acc
    return out


@njit(**NJ)
def nb_crossover(f, s):
    out = np.empty(f.shape[0])
    for t in range(f.shape[0]):
        if t == 0 or np.isnan(f[t]) or np.isnan(s[t]) or np.isnan(f[t - 1]) \
                or np.isnan(s[t - 1]):
            out[t] = np.nan
        elif f[t] > s[t] and f[t - 1] <= s[t - 1]:
            out[t] = 1.0
        elif f[t] < s[t] and f[t - 1] >= s[t - 1]:
            out[t] = -1.0
        else:
            out[t] = 0.0
    return out


@njit(**NJ)
def nb_trend(p, against, weights, upper, lower):
    out = np.empty(p.shape[0])
    for t in range(p.shape[0]):
        mix = 0.0
        missing = np.isnan(p[t])
        for j in range(against.shape[0]):
            a = against[j, t]
            missing = missing or np.isnan(a)
            mix = mix + weights[j] * a
        if missing:
            out[t] = np.nan
        elif p[t] > mix * (1.0 + upper):
            out[t] = 1.0
        elif p[t] < mix * (1.0 - lower):
            out[t] = -1.0
        else:
            out[t] = 0.0
    return out


def eval_series(desc, inputs):
    """Evaluates a series descriptor with the numba functions; returns
    {column: array} for the output columns."""
    v = {}
    for spec in desc["inputs"]:
        v[spec["name"]] = np.ascontiguousarray(inputs[spec["name"]],
                                               dtype=np.float64)
    for ind in desc["indicators"]:
        op = ind["op"]
        if op in ("sma", "ema", "wma", "dema", "tema", "hma", "lsma", "kama"):
            x, n = v[ind["input"]], int(ind["period"])
            seed_sma = ind.get("seed", "first") == "sma"
            if op == "sma":
                r = nb_sma(x, n)
            elif op == "ema":
                r = nb_ema(x, n, seed_sma)
            elif op == "wma":
                r = nb_wma(x, n)
            elif op == "dema":
                r = nb_dema(x, n, seed_sma)
            elif op == "tema":
                r = nb_tema(x, n, seed_sma)
            elif op == "hma":
                r = nb_hma(x, n)
            elif op == "lsma":
                r = nb_lsma(x, n)
            else:
                r = nb_kama(x, n, int(ind.get("fast", 2)),
                            int(ind.get("slow", 30)))
        elif op == "weighted_sum":
            terms = ind["terms"]
            r = nb_weighted_sum(np.stack([v[t["input"]] for t in terms]),
                                np.array([float(t["weight"]) for t in terms]),
                                float(ind.get("bias", 0.0)))
        elif op == "crossover":
            r = nb_crossover(v[ind["fast"]], v[ind["slow"]])
        elif op == "trend":
            against = ind["against"]
            w = ind.get("weights") or [1.0 / len(against)] * len(against)
            r = nb_trend(v[ind["input"]], np.stack([v[a] for a in against]),
                         np.array(w, dtype=np.float64),
                         float(ind.get("upper", 0.0)),
                         float(ind.get("lower", 0.0)))
        else:
            raise ValueError(op)
        v[ind["name"]] = r
    cols = desc["output"].get("columns") or [i["name"] for i in
                                             desc["indicators"]]
    return {c: v[c] for c in cols}


# ---------------------------------------------------------------------------
# Rules: the descriptor translated to one @njit function
# ---------------------------------------------------------------------------

class RulesCodegen:
    """Python source for `kernel(state, steps)` from a rules descriptor."""

    def __init__(self, desc):
        self.desc = desc
        self.meters = desc["meters"]
        self.lines = []
        self.tmp = 0

    def var(self, i):
        return "m%d" % i

    def fresh(self):
        self.tmp += 1
        return "t%d" % self.tmp

    def emit_expr(self, tree, indent):
        """Emits statements computing `tree`; returns the name or literal
        holding its value."""
        kind = tree[0]
        if kind == "const":
            return repr(float(tree[1]))
        if kind == "var":
            return self.var(self.meters.index(tree[1]))
        args = [self.emit_expr(a, indent) for a in tree[1:]]
        t = self.fresh()
        pad = " " * indent
        binops = {"+": "%s + %s", "-": "%s - %s", "*": "%s * %s",
                  "/": "%s / %s"}
        cmps = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=="}
        if kind in binops:
            code = binops[kind] % tuple(args)
        elif kind in cmps:
            code = "1.0 if %s %s %s else 0.0" % (args[0], cmps[kind], args[1])
        elif kind == "!=":  # ordered: NaN on either side is false
            code = "1.0 if (%s < %s or %s > %s) else 0.0" % (
                args[0], args[1], args[0], args[1])
        elif kind == "and":
            code = "1.0 if (%s != 0.0 and %s != 0.0) else 0.0" % tuple(args)
        elif kind == "or":
            code = "1.0 if (%s != 0.0 or %s != 0.0) else 0.0" % tuple(args)
        elif kind == "not":
            code = "0.0 if %s != 0.0 else 1.0" % args[0]
        elif kind == "neg":
            code = "-%s" % args[0]
        elif kind == "min":
            code = "%s if %s < %s else %s" % (args[0], args[0], args[1],
                                              args[1])
        elif kind == "max":
            code = "%s if %s > %s else %s" % (args[0], args[0], args[1],
                                              args[1])
        elif kind == "select":
            code = "%s if %s != 0.0 else %s" % (args[1], args[0], args[2])
        elif kind == "abs":
            code = "abs(%s)" % args[0]
        elif kind in ("sqrt", "exp", "log", "log1p"):
            code = "np.%s(%s)" % (kind, args[0])
        elif kind == "pow":
            code = "%s ** %s" % tuple(args)
        else:
            raise ValueError(kind)
        self.lines.append("%s%s = %s" % (pad, t, code))
        return t

    def source(self):
        meters = self.meters
        clamp = self.desc.get("clamp", {})
        L = self.lines
        L.append("def kernel(state, steps):")
        L.append("    for r in range(state.shape[0]):")
        for i in range(len(meters)):
            L.append("        m%d = np.float64(state[r, %d])" % (i, i))
        L.append("        for _ in range(steps):")
        for rule in self.desc.get("rules", []):
            ind = 12
            if "if" in rule:
                c = self.emit_expr(rules_ref.Parser(rule["if"]).parse(), ind)
                L.append(" " * ind + "if %s != 0.0:" % c)
                ind += 4
            values = []
            for kind in rules_ref.KINDS:
                for meter, text in sorted(rule.get(kind, {}).items(),
                                          key=lambda kv: meters.index(kv[0])):
                    tree = rules_ref.Parser(text).parse()
                    val = self.emit_expr(tree, ind)
                    if tree[0] == "var":  # snapshot: the rule's actions
                        t = self.fresh()  # all read the pre-rule meters
                        L.append(" " * ind + "%s = %s" % (t, val))
                        val = t
                    values.append((kind, meters.index(meter), val))
            if not values:
                L.append(" " * ind + "pass")
            for kind, i, val in values:
                op = {"set": "%s", "add": "m%d + %%s" % i,
                      "sub": "m%d - %%s" % i, "mul": "m%d * %%s" % i}[kind]
                L.append(" " * ind + "m%d = %s" % (i, op % val))
                if meters[i] in clamp:
                    lo, hi = (float(b) for b in clamp[meters[i]])
                    L.append(" " * ind + "m%d = %r if m%d < %r else (%r if "
                             "m%d > %r else m%d)" % (i, lo, i, lo, hi, i, hi,
                                                     i))
        if not self.desc.get("rules"):
            L.append("            pass")
        for i in range(len(meters)):
            L.append("        state[r, %d] = m%d" % (i, i))
        return "\n".join(L) + "\n"


def rules_kernel(desc):
    src = RulesCodegen(desc).source()
    scope = {"np": np}
    exec(compile(src, "<rules:%s>" % desc.get("name", "rules"), "exec"),
         scope)
    return njit(**NJ)(scope["kernel"]), src


# ---------------------------------------------------------------------------
# Descriptors benchmarked
# ---------------------------------------------------------------------------

NEEDS_INLINE = {
    "specjit": 1, "kind": "rules", "name": "agent_needs",
    "meters": rules_ref.NEEDS_METERS, "type": "f32",
    "rules": rules_ref.NEEDS_RULES, "clamp": rules_ref.NEEDS_CLAMP,
    "steps": rules_ref.NEEDS_STEPS}


def load_example(name, fallback):
    path = os.path.join(ROOT, "examples", name)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f), "examples/" + name
    return fallback, "inline copy"


def single(name, op, period, **kw):
    ind = {"name": name, "op": op, "input": "close", "period": period}
    ind.update(kw)
    return {"specjit": 1, "kind": "series", "name": name,
            "inputs": [{"name": "close", "type": "f64"}],
            "output": {"type": "f64"}, "indicators": [ind]}


def series_descriptors():
    import gen_series_reference as series_ref
    strategy, where = load_example("strategy.json",
                                   series_ref.EXAMPLE_STRATEGY)
    return [
        ("sma(28)", single("sma28", "sma", 28)),
        ("ema(28, first)", single("ema28", "ema", 28, seed="first")),
        ("wma(28)", single("wma28", "wma", 28)),
        ("dema(28)", single("dema28", "dema", 28, seed="first")),
        ("tema(28)", single("tema28", "tema", 28, seed="first")),
        ("hma(28)", single("hma28", "hma", 28)),
        ("lsma(28)", single("lsma28", "lsma", 28)),
        ("kama(10,2,30)", single("kama10", "kama", 10, fast=2, slow=30)),
        ("strategy (%s)" % where, strategy),
    ]


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def time_first_and_best(fn, reps, prepare=None):
    """(first call seconds, best of `reps` seconds)."""
    arg = prepare() if prepare else None
    t0 = time.perf_counter()
    fn(arg)
    first = time.perf_counter() - t0
    best = math.inf
    for _ in range(reps):
        arg = prepare() if prepare else None
        t0 = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - t0)
    return first, best


def specjit_bench(build, desc, rows):
    """{jit, interp, compile_ms} from `specjit bench --json`, or a reason."""
    exe = os.path.join(build, "bin", "specjit")
    if not os.path.exists(exe):
        return "no %s" % exe
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(desc, f)
        path = f.name
    try:
        res = subprocess.run([exe, "bench", path, "--rows", str(rows),
                              "--json"], capture_output=True, text=True,
                             timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    finally:
        os.unlink(path)
    if res.returncode != 0:
        msg = (res.stderr or res.stdout).strip().splitlines()
        return msg[-1] if msg else "exit %d" % res.returncode
    try:
        j = json.loads(res.stdout.strip().splitlines()[-1])
        return {"jit": float(j["jit_ns_per_row"]),
                "interp": float(j["interpreter_ns_per_row"]),
                "compile_ms": float(j["compile_ms"])}
    except (ValueError, KeyError, IndexError) as e:
        return "unreadable output (%s)" % e


# ---------------------------------------------------------------------------
# Checks against the reference data
# ---------------------------------------------------------------------------

def dec(v):
    if v is None:
        return math.nan
    if isinstance(v, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}[v]
    return float(v)


def check_against_references():
    failures = []
    nseries = nrules = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "data", "series",
                                              "*.json"))):
        with open(path) as f:
            j = json.load(f)
        inputs = {}
        for spec in j["descriptor"]["inputs"]:
            col = np.array([dec(v) for v in j["inputs"][spec["name"]]])
            if spec["type"] == "f32":
                col = col.astype(np.float32).astype(np.float64)
            inputs[spec["name"]] = col
        got = eval_series(j["descriptor"], inputs)
        exp = np.array([[dec(v) for v in r] for r in j["expected"]])
        for c, col in enumerate(j["columns"]):
            g, e = got[col], exp[:, c]
            ok = np.where(np.isnan(e), np.isnan(g),
                          np.abs(g - e) <= j["atol"] + j["rtol"] * np.abs(e))
            if not ok.all():
                failures.append("%s: %s at %d rows" % (os.path.basename(path),
                                                       col, (~ok).sum()))
        nseries += 1
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "data", "rules",
                                              "*.json"))):
        with open(path) as f:
            j = json.load(f)
        d = j["descriptor"]
        dtype = np.float32 if d.get("type") == "f32" else np.float64
        state = np.array([[dec(v) for v in r] for r in j["state"]],
                         dtype=dtype)
        kernel, _ = rules_kernel(d)
        kernel(state, int(d.get("steps", 1)))
        exp = np.array([[dec(v) for v in r] for r in j["expected"]])
        exp = exp.astype(dtype).astype(np.float64)
        got = state.astype(np.float64)
        rtol, atol = j.get("rtol", 0.0), j.get("atol", 0.0)
        with np.errstate(invalid="ignore"):
            ok = np.where(np.isnan(exp), np.isnan(got),
                          (got == exp) | (np.abs(got - exp) <=
                                          atol + rtol * np.abs(exp)))
        if not ok.all():
            failures.append("%s: %d values" % (os.path.basename(path),
                                               (~ok).sum()))
        nrules += 1
    return nseries, nrules, failures


# ---------------------------------------------------------------------------

def fmt(x, spec="%9.2f"):
    return spec % x if isinstance(x, float) else "%9s" % "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1000000,
                    help="prices for the indicators (default 1M)")
    ap.add_argument("--agents", type=int, default=100000,
                    help="agents for the rules (default 100k)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--specjit", metavar="BUILD_DIR",
                    help="also run BUILD_DIR/bin/specjit bench on the same "
                         "descriptors")
    ap.add_argument("--no-check", action="store_true",
                    help="skip the check against test/data references")
    args = ap.parse_args()

    rng = np.random.default_rng(42)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, args.rows)))
    close = np.round(close, 2)

    # numba's one-time start-up (LLVM initialization, typing machinery) is
    # paid here, so each compile figure below is that function's own.
    njit(**NJ)(lambda a: a.sum() / 2.0)(np.ones(4))

    results = []  # (name, unit rows, first s, best s, specjit)
    for name, desc in series_descriptors():
        first, best = time_first_and_best(
            lambda _: eval_series(desc, {"close": close}), args.reps)
        sj = specjit_bench(args.specjit, desc, args.rows) \
            if args.specjit else None
        results.append((name, args.rows, first, best, sj))

    needs, where = load_example("needs_rules.json", NEEDS_INLINE)
    kernel, _ = rules_kernel(needs)
    steps = int(needs.get("steps", 1))
    dtype = np.float32 if needs.get("type", "f64") == "f32" else np.float64
    srng = np.random.default_rng(7)
    initial = srng.random((args.agents, len(needs["meters"]))).astype(dtype)
    first, best = time_first_and_best(lambda st: kernel(st, steps), args.reps,
                                      prepare=lambda: initial.copy())
    sj = specjit_bench(args.specjit, needs, args.agents) \
        if args.specjit else None
    rules_name = "rules %s (%dx%d, %d steps, %s)" % (
        os.path.basename(where), len(needs["meters"]), len(needs["rules"]),
        steps, needs.get("type", "f64"))
    results.append((rules_name, args.agents, first, best, sj))

    print("numba %s, numpy %s; %d prices, %d agents; best of %d" %
          (numba.__version__, np.__version__, args.rows, args.agents,
           args.reps))
    head = "%-50s %9s %9s" % ("", "numba", "numba")
    sub = "%-50s %9s %9s" % ("descriptor", "compile", "ns/row")
    if args.specjit:
        head += " %9s %9s %9s %9s" % ("specjit", "specjit", "specjit",
                                      "numba /")
        sub += " %9s %9s %9s %9s" % ("jit", "interp", "compile", "jit")
    print(head)
    print(sub + "   (compile in ms)")
    notes = {}  # reason -> descriptors
    for name, rows, first, best, sj in results:
        compile_ms = max(0.0, first - best) * 1e3
        ns = best * 1e9 / rows
        line = "%-50s %9.1f %9.2f" % (name, compile_ms, ns)
        if args.specjit:
            if isinstance(sj, dict):
                line += " %9.2f %9.2f %9.1f %8.2fx" % (
                    sj["jit"], sj["interp"], sj["compile_ms"], ns / sj["jit"])
            else:
                line += " %9s %9s %9s %9s" % ("n/a", "n/a", "n/a", "n/a")
                notes.setdefault(str(sj), []).append(name.split(" (")[0])
        print(line)
    for reason, names in notes.items():
        print("  n/a (%s): specjit bench said: %s" % (", ".join(names), reason))

    if not args.no_check:
        nseries, nrules, failures = check_against_references()
        if failures:
            print("check against test/data: %d FAILURES" % len(failures))
            for f in failures:
                print("  " + f)
            return 1
        print("check: the numba peers match all %d series and %d rules "
              "reference files" % (nseries, nrules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
