#!/usr/bin/python3
"""Generates reference data for the `rules` family (rule cascades).

Run with Debian's interpreter:

    /usr/bin/python3 test/reference/gen_rules_reference.py [--out DIR]

For each case it writes DIR/<case>.json (default DIR: test/data/rules):

    {"case": name, "generator": "...", "notes": "...",
     "descriptor": {... a full rules descriptor ...},
     "state": [[initial row values]],       # rows x meters
     "expected": [[row values after the run]],
     "rtol": r, "atol": a}

Value encoding: a JSON number, `null` for NaN, "inf"/"-inf" for infinities.

`expected` comes from `reference_run` below: a plain Python loop over rows,
steps and rules that follows docs/rules-semantics.md literally, with every
meter held as a Python float (IEEE f64) and the expression grammar of
docs/pipeline-semantics.md evaluated by a small recursive-descent parser and
tree walker written here (ordered comparisons, NaN is true, min/max as
selects, and/or/not/select yielding 1.0/0.0 or an operand).

  - f64 cases: `state` holds the initial matrix, `expected` the f64 result.
  - f32 cases: `state` holds f32-exact values (a 1/1024 grid); the reference
    runs in f64 from them and rounds to f32 once at the end. `expected` is
    written as the shortest decimal that rounds (through f64) to that f32,
    so the test compares after rounding the expected value to f32.

Tolerances: the reference performs the same IEEE operations in the same
order as the semantics prescribe, so cases built from + - * / min max abs
sqrt, comparisons and selects are exact (rtol = atol = 0). The one case that
uses exp/log/pow gets rtol 1e-12 (libm versus a vector math library), and
its conditions never read a meter those functions write.

Deterministic: every case uses its own fixed seed.
"""

import argparse
import ctypes
import ctypes.util
import json
import math
import os
import random
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "data", "rules")

GENERATOR = ("python reference loop of docs/rules-semantics.md (f64), "
             "numpy %s for f32 rounding" % np.__version__)

NAN = float("nan")
INF = float("inf")

# ---------------------------------------------------------------------------
# Expressions: docs/pipeline-semantics.md, "Expressions"
# ---------------------------------------------------------------------------

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<quoted>`[^`]*`)
  | (?P<op>\*\*|<=|>=|==|!=|&&|\|\||[-+*/<>()?:,!])
""", re.VERBOSE)

FUNCS = {"min": 2, "max": 2, "abs": 1, "sqrt": 1, "exp": 1, "log": 1,
         "log1p": 1, "pow": 2, "select": 3}
TRANSCENDENTAL = {"exp", "log", "log1p", "pow"}


def tokenize(text):
    out = []
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise SyntaxError("bad character at %d in %r" % (pos, text))
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        val = m.group(kind)
        if kind == "name" and val in ("and", "or", "not"):
            kind, val = "op", {"and": "&&", "or": "||", "not": "!"}[val]
        if kind == "quoted":
            kind, val = "name", val[1:-1]
        out.append((kind, val))
    out.append(("end", None))
    return out


class Parser:
    """Builds a tree of tuples: ("const", v), ("var", name), (op, args...)."""

    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0
        self.text = text

    def peek(self):
        return self.toks[self.i]

    def take(self, val=None):
        t = self.toks[self.i]
        if val is not None and t[1] != val:
            raise SyntaxError("expected %r in %r, got %r" % (val, self.text, t))
        self.i += 1
        return t

    def parse(self):
        e = self.expr()
        if self.peek()[0] != "end":
            raise SyntaxError("trailing input in %r" % self.text)
        return e

    def expr(self):  # expr := or ( '?' expr ':' expr )?
        c = self.or_()
        if self.peek() == ("op", "?"):
            self.take()
            a = self.expr()
            self.take(":")
            b = self.expr()
            return ("select", c, a, b)
        return c

    def or_(self):
        e = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            e = ("or", e, self.and_())
        return e

    def and_(self):
        e = self.not_()
        while self.peek() == ("op", "&&"):
            self.take()
            e = ("and", e, self.not_())
        return e

    def not_(self):
        if self.peek() == ("op", "!"):
            self.take()
            return ("not", self.not_())
        return self.cmp()

    def cmp(self):
        e = self.sum_()
        t = self.peek()
        if t[0] == "op" and t[1] in ("<", "<=", ">", ">=", "==", "!="):
            self.take()
            e = (t[1], e, self.sum_())
        return e

    def sum_(self):
        e = self.term()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            e = (op, e, self.term())
        return e

    def term(self):
        e = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            e = (op, e, self.unary())
        return e

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == ("op", "**"):
            self.take()
            return ("pow", base, self.unary())
        return base

    def atom(self):
        kind, val = self.take()
        if kind == "num":
            return ("const", float(val))
        if kind == "name":
            if self.peek() == ("op", "("):
                self.take()
                args = [self.expr()]
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.expr())
                self.take(")")
                if FUNCS.get(val) != len(args):
                    raise SyntaxError("bad call %s in %r" % (val, self.text))
                return (val,) + tuple(args)
            return ("var", val)
        if (kind, val) == ("op", "("):
            e = self.expr()
            self.take(")")
            return e
        raise SyntaxError("unexpected %r in %r" % (val, self.text))


def truth(x):
    return x != 0.0  # NaN != 0.0 is True: NaN is true


def f_div(a, b):
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return NAN
    return math.copysign(INF, a) * math.copysign(1.0, b)


def f_sqrt(a):
    if a != a or a < 0.0:
        return NAN
    return math.sqrt(a)


# exp, log, log1p and pow are C's (glibc libm, through ctypes): the same
# functions the interpreter calls, with C's results on every domain (no
# Python exceptions).
_LIBM = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _fn, _arity in (("exp", 1), ("log", 1), ("log1p", 1), ("pow", 2)):
    getattr(_LIBM, _fn).restype = ctypes.c_double
    getattr(_LIBM, _fn).argtypes = [ctypes.c_double] * _arity
f_exp = _LIBM.exp
f_log = _LIBM.log
f_log1p = _LIBM.log1p
f_pow = _LIBM.pow


def ordered(a, b):
    return a == a and b == b


BINOPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": f_div,
    "<": lambda a, b: 1.0 if a < b else 0.0,
    "<=": lambda a, b: 1.0 if a <= b else 0.0,
    ">": lambda a, b: 1.0 if a > b else 0.0,
    ">=": lambda a, b: 1.0 if a >= b else 0.0,
    "==": lambda a, b: 1.0 if a == b else 0.0,
    # ordered: NaN on either side -> 0.0 (Python's != would say 1.0)
    "!=": lambda a, b: 1.0 if ordered(a, b) and a != b else 0.0,
    "and": lambda a, b: 1.0 if truth(a) and truth(b) else 0.0,
    "or": lambda a, b: 1.0 if truth(a) or truth(b) else 0.0,
    "min": lambda a, b: a if a < b else b,
    "max": lambda a, b: a if a > b else b,
    "pow": f_pow,
}
UNOPS = {
    "neg": lambda a: -a,
    "not": lambda a: 0.0 if truth(a) else 1.0,
    "abs": math.fabs,
    "sqrt": f_sqrt,
    "exp": f_exp,
    "log": f_log,
    "log1p": f_log1p,
}


def compile_expr(tree, meters):
    """Returns f(m) evaluating `tree` over the list of meter values `m`."""
    kind = tree[0]
    if kind == "const":
        v = tree[1]
        return lambda m: v
    if kind == "var":
        if tree[1] not in meters:
            raise KeyError("unknown meter %r" % tree[1])
        i = meters.index(tree[1])
        return lambda m: m[i]
    args = [compile_expr(a, meters) for a in tree[1:]]
    if kind == "select":
        c, a, b = args
        return lambda m: a(m) if truth(c(m)) else b(m)
    if kind in UNOPS:
        f = UNOPS[kind]
        (a,) = args
        return lambda m: f(a(m))
    f = BINOPS[kind]
    a, b = args
    return lambda m: f(a(m), b(m))


def uses_transcendental(tree):
    if tree[0] in TRANSCENDENTAL:
        return True
    return any(uses_transcendental(a) for a in tree[1:]
               if isinstance(a, tuple))


# ---------------------------------------------------------------------------
# The reference loop: docs/rules-semantics.md, "Meaning"
# ---------------------------------------------------------------------------

KINDS = ("set", "add", "sub", "mul")


def prepare(desc):
    meters = desc["meters"]
    rules = []
    transcendental = False
    for r in desc.get("rules", []):
        cond = None
        if "if" in r:
            tree = Parser(r["if"]).parse()
            transcendental |= uses_transcendental(tree)
            cond = compile_expr(tree, meters)
        actions = []
        for kind in KINDS:  # canonical order: set, add, sub, mul; by meter
            for meter, text in sorted(r.get(kind, {}).items(),
                                      key=lambda kv: meters.index(kv[0])):
                tree = Parser(text).parse()
                transcendental |= uses_transcendental(tree)
                actions.append((kind, meters.index(meter),
                                compile_expr(tree, meters)))
        rules.append((cond, actions))
    clamp = [None] * len(meters)
    for meter, (lo, hi) in desc.get("clamp", {}).items():
        clamp[meters.index(meter)] = (float(lo), float(hi))
    return rules, clamp, transcendental


def reference_run(desc, state):
    """Runs the descriptor over `state` (list of rows of floats); returns the
    rows after the run, as f64 values (not yet rounded to the matrix
    type)."""
    rules, clamp, _ = prepare(desc)
    steps = desc.get("steps", 1)
    out = []
    for row in state:
        m = [float(v) for v in row]
        for _ in range(steps):
            for cond, actions in rules:
                if cond is not None and not truth(cond(m)):
                    continue
                values = [f(m) for _, _, f in actions]  # all read m first
                for (kind, i, _), v in zip(actions, values):
                    if kind == "set":
                        m[i] = v
                    elif kind == "add":
                        m[i] = m[i] + v
                    elif kind == "sub":
                        m[i] = m[i] - v
                    else:
                        m[i] = m[i] * v
                    c = clamp[i]
                    if c is not None:
                        x = m[i]
                        m[i] = c[0] if x < c[0] else (c[1] if x > c[1] else x)
        out.append(m)
    return out


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------

def num_text(x, f32):
    x = float(x)
    if math.isnan(x):
        return "null"
    if math.isinf(x):
        return '"inf"' if x > 0 else '"-inf"'
    if f32:
        s = str(np.float32(x))
        try:
            if np.float32(float(s)) == np.float32(x) and \
                    math.copysign(1, float(s)) == math.copysign(1, x):
                json.loads(s)
                return s
        except ValueError:
            pass
    return repr(x)


def grid(rng, lo, hi, step=1.0 / 1024):
    return round(rng.uniform(lo, hi) / step) * step


class Case:
    def __init__(self, name, desc, state, notes, rtol=0.0, atol=0.0):
        self.name = name
        self.desc = desc
        self.f32 = desc.get("type", "f64") == "f32"
        if self.f32:
            state = [[float(np.float32(v)) for v in r] for r in state]
        self.state = state
        self.notes = notes
        _, _, transcendental = prepare(desc)
        if transcendental and rtol == 0.0:
            raise SystemExit("%s uses exp/log/pow: give it a tolerance" % name)
        self.rtol, self.atol = rtol, atol
        result = reference_run(desc, state)
        if self.f32:
            result = [[float(np.float32(v)) for v in r] for r in result]
        self.expected = result

    def text(self):
        f32 = self.f32

        def rows(mat, as_f32):
            return ",\n".join("[" + ",".join(num_text(v, as_f32) for v in r)
                              + "]" for r in mat)

        parts = ['"case":%s' % json.dumps(self.name),
                 '"generator":%s' % json.dumps(GENERATOR),
                 '"notes":%s' % json.dumps(self.notes),
                 '"descriptor":%s' % json.dumps(self.desc,
                                                separators=(",", ":")),
                 '"state":[\n%s]' % rows(self.state, False),
                 '"expected":[\n%s]' % rows(self.expected, f32),
                 '"rtol":%r' % self.rtol, '"atol":%r' % self.atol]
        text = "{" + ",\n".join(parts) + "}\n"
        self.verify(json.loads(text))
        return text

    def verify(self, j):
        """The text decodes to the values computed (f32: after rounding)."""
        def dec(v):
            if v is None:
                return NAN
            if isinstance(v, str):
                return {"inf": INF, "-inf": -INF}[v]
            return float(v)

        for got_rows, want_rows, f32 in ((j["state"], self.state, False),
                                         (j["expected"], self.expected,
                                          self.f32)):
            for gr, wr in zip(got_rows, want_rows):
                for g, w in zip(gr, wr):
                    g = dec(g)
                    if f32:
                        g = float(np.float32(g))
                    same = (g != g and w != w) or g == w
                    if not same:
                        raise SystemExit("%s: encoding of %r gives %r" %
                                         (self.name, w, g))


def rules_desc(name, meters, rules, clamp=None, steps=None, dtype=None):
    d = {"specjit": 1, "kind": "rules", "name": name, "meters": meters}
    if dtype is not None:
        d["type"] = dtype
    d["rules"] = rules
    if clamp:
        d["clamp"] = clamp
    if steps is not None:
        d["steps"] = steps
    return d


def random_state(rng, rows, cols, lo=0.0, hi=1.0):
    return [[grid(rng, lo, hi) for _ in range(cols)] for _ in range(rows)]


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

# The benchmark configuration: examples/needs_rules.json (8 meters, 11
# rules, every meter clamped to [0, 1], 10 steps, f32), copied here so the
# reference data does not change when the example does. bench/FamiliesBench.cpp
# and bench/peer_numba.py run the same descriptor on 100k agents.
NEEDS_METERS = ["energy", "mood", "hunger", "thirst", "social", "hygiene",
                "fun", "comfort"]
NEEDS_RULES = [
    {"if": "mood < 0.2", "sub": {"energy": "0.01 * (0.2 - mood)"}},
    {"if": "hunger > 0.8",
     "sub": {"mood": "0.02 * (hunger - 0.8)", "energy": "0.005"}},
    {"if": "thirst > 0.7", "sub": {"mood": "0.03 * (thirst - 0.7)"}},
    {"if": "social < 0.3", "sub": {"mood": "0.015 * (0.3 - social)"}},
    {"if": "hygiene < 0.25",
     "sub": {"comfort": "0.02 * (0.25 - hygiene)", "social": "0.01"}},
    {"if": "fun < 0.15", "sub": {"mood": "0.01 * (0.15 - fun)"}},
    {"add": {"hunger": "0.004", "thirst": "0.006"},
     "sub": {"hygiene": "0.003", "fun": "0.002"}},
    {"if": "energy < 0.1 or comfort < 0.1",
     "set": {"fun": "fun * 0.5", "mood": "min(mood, 0.3)"}},
    {"if": "hunger > 0.9 and thirst > 0.9",
     "set": {"energy": "max(energy - 0.05, 0)"}, "add": {"comfort": "-0.02"}},
    {"if": "mood < 0.1", "mul": {"social": "0.98"}},
    {"if": "energy > 0.6 and mood > 0.5", "add": {"fun": "0.01 * energy"},
     "mul": {"comfort": "1.01"}},
]
NEEDS_CLAMP = {m: [0, 1] for m in NEEDS_METERS}
NEEDS_STEPS = 10


def case_needs_f32():
    rng = random.Random(201)
    d = rules_desc("agent_needs", NEEDS_METERS, NEEDS_RULES, NEEDS_CLAMP,
                   steps=NEEDS_STEPS, dtype="f32")
    return Case("needs_f32", d, random_state(rng, 200, 8),
                "examples/needs_rules.json, the benchmark configuration (8 "
                "meters, 11 rules, clamps [0, 1], 10 steps), f32 state: f64 "
                "reference from the f32 state, rounded to f32 at the end.")


def case_needs_f64_steps():
    rng = random.Random(202)
    d = rules_desc("agent_needs", NEEDS_METERS, NEEDS_RULES, NEEDS_CLAMP,
                   steps=40)
    return Case("needs_f64_steps40", d, random_state(rng, 120, 8),
                "the rules of examples/needs_rules.json over 40 steps on an "
                "f64 state: every rule sees the writes of earlier rules and "
                "earlier steps.")


def case_threshold_cascade():
    """DESIGN's form: if m[src] < thr: m[tgt] -= k * (thr - m[src])."""
    rng = random.Random(203)
    meters = ["m%d" % i for i in range(8)]
    rules = []
    for _ in range(11):
        src = rng.randrange(8)
        tgt = rng.randrange(8)
        thr = round(rng.uniform(0.2, 0.8), 3)
        k = round(rng.uniform(0.05, 0.5), 3)
        rules.append({"if": "m%d < %r" % (src, thr),
                      "sub": {"m%d" % tgt: "%r * (%r - m%d)" % (k, thr, src)}})
    clamp = {m: [0, 1] for m in meters[:6]}
    d = rules_desc("cascade", meters, rules, clamp, steps=3)
    state = random_state(rng, 160, 8)
    # rows sitting exactly on thresholds: `<` must be false there
    for r in rules[:6]:
        src = int(r["if"].split()[0][1:])
        thr = float(r["if"].split()[2])
        row = [grid(rng, 0, 1) for _ in range(8)]
        row[src] = thr
        state.append(row)
    return Case("threshold_cascade", d, state,
                "the threshold cascade of the design brief: 11 rules `if "
                "m[src] < thr: m[tgt] -= k * (thr - m[src])`, 8 meters, six "
                "clamped to [0, 1], 3 steps; the last rows put a source "
                "exactly on its threshold (`<` is false).")


def case_reads_earlier_writes():
    rng = random.Random(204)
    meters = ["a", "b", "c", "d"]
    rules = [
        {"if": "a > 0.5", "set": {"b": "b + 0.3"}},
        {"if": "b > 0.7", "sub": {"c": "0.25"}},          # sees rule 0's b
        {"if": "c < 0.4", "mul": {"d": "2"}},             # sees rule 1's c
        {"set": {"a": "d - 0.5"}},                        # sees rule 2's d
        {"if": "a > 0.25", "add": {"b": "a * 0.1"}},      # sees rule 3's a
    ]
    d = rules_desc("chain", meters, rules, steps=1)
    state = random_state(rng, 96, 4)
    state += [[0.6, 0.45, 0.5, 0.3], [0.5, 0.45, 0.5, 0.3],
              [0.9, 0.4, 0.64, 0.875], [0.1, 0.75, 0.6, 0.5]]
    return Case("reads_earlier_writes", d, state,
                "each rule's condition or action reads a meter the previous "
                "rule wrote (rules apply in order and see earlier writes); "
                "the last rows switch each link on or off by hand.")


def case_simultaneous():
    rng = random.Random(205)
    meters = ["x", "y", "z", "w"]
    rules = [
        # a swap: both read the values before the rule
        {"set": {"x": "y", "y": "x"}},
        # every action of one rule reads the pre-rule meters
        {"if": "z > 0.2", "set": {"z": "x + y"}, "add": {"w": "z"},
         "mul": {"x": "z + 1"}, "sub": {"y": "w"}},
        # a rule whose condition reads a meter it writes
        {"if": "w > 1", "set": {"w": "w / 2"}},
    ]
    d = rules_desc("simultaneous", meters, rules, steps=2)
    state = random_state(rng, 96, 4, -1.0, 2.0)
    return Case("simultaneous", d, state,
                "the actions of one rule form one simultaneous update: a "
                "swap, and a rule whose four actions (set/add/sub/mul) read "
                "each other's targets; 2 steps.")


def case_actions():
    rng = random.Random(206)
    meters = ["p", "q", "r", "s", "t"]
    rules = [
        {"set": {"p": "q * 0.5 + 0.125"}},
        {"add": {"q": "0.0625", "r": "-0.5 * s"}},
        {"sub": {"s": "t / 4", "t": "0.01"}},
        {"mul": {"r": "0.75", "t": "1 + p"}},
        {"if": "q > 0.5", "mul": {"q": "q"}, "set": {"s": "-s"}},
    ]
    d = rules_desc("actions", meters, rules, steps=3)
    return Case("actions_set_add_sub_mul", d, random_state(rng, 128, 5, -1, 1),
                "set, add, sub and mul (constants and expressions, several "
                "targets per rule), unconditional and conditional, 3 steps.")


def case_conditions():
    rng = random.Random(207)
    meters = ["u", "v", "w", "flag"]
    rules = [
        {"if": "u < 0.5 and v >= 0.25", "add": {"w": "1"}},
        {"if": "u > 0.75 or not (v > 0.5)", "add": {"w": "10"}},
        {"if": "not u < 0.25 && !(v == 0.5)", "add": {"w": "100"}},
        {"if": "flag", "add": {"w": "1000"}},            # truth of a value
        {"if": "not flag", "add": {"w": "10000"}},
        {"if": "u != v || u <= 0.125", "add": {"w": "100000"}},
        {"if": "(u < 0.5) + (v < 0.5) == 1", "add": {"w": "1000000"}},
        {"if": "select(u > v, u, v) > 0.8 ? 1 : 0", "set": {"flag": "u - v"}},
    ]
    d = rules_desc("conditions", meters, rules, steps=1)
    state = []
    for _ in range(100):
        state.append([grid(rng, 0, 1), grid(rng, 0, 1), 0.0,
                      rng.choice([0.0, 1.0, -0.5, 0.25, NAN])])
    state += [[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.0, NAN],
              [NAN, 0.5, 0.0, 1.0], [0.125, NAN, 0.0, -0.0],
              [NAN, NAN, 0.0, NAN]]
    return Case("conditions_and_or_not", d, state,
                "and/or/not (both spellings), comparisons on and off their "
                "boundaries, a bare meter as a condition (NaN is true, -0 is "
                "false), comparisons with NaN (ordered: false, != included),"
                " arithmetic on truth values, select and ?: in a condition. "
                "Each rule adds a distinct power of ten to w, so w records "
                "which rules fired.")


def case_clamps():
    rng = random.Random(208)
    meters = ["a", "b", "c", "d", "e"]
    rules = [
        {"add": {"a": "0.3", "b": "-0.4"}},
        {"if": "a >= 1", "set": {"c": "c + a"}},         # reads the clamped a
        {"mul": {"d": "3"}},
        {"set": {"e": "b * 10"}},                         # pinned by lo == hi
        {"if": "d > 0.5", "sub": {"a": "d"}},
    ]
    clamp = {"a": [0, 1], "b": [-0.25, 0.5], "d": [-1, 1.5], "e": [0.5, 0.5]}
    d = rules_desc("clamps", meters, rules, clamp, steps=2)
    state = random_state(rng, 100, 5, -1, 2)
    state += [[NAN, NAN, 0.0, NAN, NAN], [0.9, -0.25, 0.0, 0.5, 0.0]]
    return Case("clamps", d, state,
                "clamps after every write (a later rule reads the clamped "
                "value), a clamp with lo == hi, unclamped meters, NaN "
                "passing through a clamp; 2 steps.")


def case_many_steps():
    rng = random.Random(209)
    meters = ["level", "rate", "stock", "demand"]
    rules = [
        {"set": {"demand": "demand * 0.97 + 0.03 * (1 - level)"}},
        {"if": "level < 0.3", "add": {"rate": "0.01"}},
        {"if": "level > 0.7", "sub": {"rate": "0.015"}},
        {"add": {"level": "rate - 0.5 * demand * level"}},
        {"if": "stock > demand", "sub": {"stock": "demand"},
         "add": {"level": "0.01"}},
        {"if": "stock <= demand", "mul": {"stock": "1.05"}},
    ]
    clamp = {"level": [0, 1], "rate": [-0.1, 0.1], "stock": [0, 10]}
    d = rules_desc("many_steps", meters, rules, clamp, steps=250)
    return Case("many_steps", d, random_state(rng, 64, 4),
                "250 steps of a feedback loop (a level driven by a rate "
                "that reacts to the level): long dependence chains through "
                "the state.")


def case_nan_state():
    rng = random.Random(210)
    meters = ["a", "b", "c"]
    rules = [
        {"if": "a < 0.5", "add": {"b": "1"}},
        {"if": "a", "mul": {"c": "2"}},
        {"set": {"a": "min(a, b)", "b": "max(b, c)"}},
        {"if": "c != c", "set": {"c": "0.5"}},
    ]
    d = rules_desc("nan_state", meters, rules, {"b": [0, 4]}, steps=2)
    state = []
    for _ in range(90):
        state.append([NAN if rng.random() < 0.3 else grid(rng, 0, 1)
                      for _ in range(3)])
    state += [[INF, 0.5, -INF], [-INF, INF, 0.25]]
    return Case("nan_state", d, state,
                "NaN (and infinities) in the state: ordered comparisons are "
                "false, a NaN condition is true, min/max select (a NaN in "
                "either operand yields the second), c != c is false for NaN "
                "(ordered), a clamp passes NaN; 2 steps.")


def case_transcendental():
    rng = random.Random(211)
    meters = ["x", "y", "g1", "g2", "g3"]
    rules = [
        {"if": "x > 0.5", "set": {"g1": "exp(-x * y)", "g2": "log(1 + x)"}},
        {"if": "y < 0.5", "set": {"g3": "pow(x + 0.5, 1.5) + log1p(y)"}},
        {"set": {"g2": "g2 + sqrt(x) ** 2"}},
    ]
    d = rules_desc("transcendental", meters, rules)
    state = [[grid(rng, 0, 1), grid(rng, 0, 1), 0.0, 0.0, 0.0]
             for _ in range(96)]
    return Case("transcendental", d, state,
                "exp, log, log1p, pow, ** and sqrt in actions (never read by "
                "a condition); rtol 1e-12 covers libm versus a vector math "
                "library.", rtol=1e-12, atol=0.0)


def case_empty_rules():
    rng = random.Random(212)
    d = rules_desc("empty", ["a", "b", "c"], [], steps=5, dtype="f32")
    state = random_state(rng, 40, 3, -100, 100)
    state.append([NAN, INF, -0.0])
    return Case("empty_rules_f32", d, state,
                "no rules (allowed): the f32 state comes back unchanged "
                "after 5 steps (widened and rounded back exactly).")


def case_doc_example():
    rng = random.Random(213)
    d = {"specjit": 1, "kind": "rules", "name": "needs",
         "meters": ["energy", "mood", "hunger"], "type": "f32",
         "rules": [
             {"if": "mood < 0.2", "sub": {"energy": "0.01 * (0.2 - mood)"}},
             {"if": "hunger > 0.8 and energy > 0.1",
              "set": {"mood": "mood - 0.05"}, "add": {"hunger": "0.01"}},
             {"mul": {"energy": "0.999"}}],
         "clamp": {"energy": [0, 1], "mood": [0, 1]},
         "steps": 10}
    return Case("doc_example_f32", d, random_state(rng, 128, 3),
                "the example of docs/rules-semantics.md verbatim (f32, 10 "
                "steps).")


# -- random rule sets -------------------------------------------------------

POOL = ["energy", "hunger", "thirst", "mood", "social", "fun", "hygiene",
        "comfort", "stress_level", "m.x"]


def c3(rng, lo, hi):
    return "%r" % round(rng.uniform(lo, hi), 3)


def rand_value(rng, meters):
    a, b = rng.choice(meters), rng.choice(meters)
    forms = [
        lambda: "%s * (%s - %s)" % (c3(rng, 0.01, 0.2), c3(rng, 0, 1), a),
        lambda: "%s * %s + %s * %s" % (c3(rng, 0.5, 1), a, c3(rng, 0, 0.5), b),
        lambda: "(%s + %s) / 2" % (a, b),
        lambda: "min(%s, %s) - %s" % (a, b, c3(rng, 0, 0.2)),
        lambda: "max(%s, %s * %s)" % (a, c3(rng, 0, 1), b),
        lambda: "abs(%s - %s) * %s" % (a, b, c3(rng, 0, 0.5)),
        lambda: "select(%s > %s, %s, %s)" % (a, c3(rng, 0, 1), b,
                                             c3(rng, 0, 1)),
        lambda: "%s > %s ? %s : -%s" % (b, a, c3(rng, 0, 0.3), c3(rng, 0, 0.3)),
        lambda: "sqrt(abs(%s)) * %s" % (a, c3(rng, 0, 0.5)),
        lambda: "%s / (1 + abs(%s))" % (a, b),
        lambda: c3(rng, -0.2, 0.2),
        lambda: "-%s + %s * %s - %s" % (a, c3(rng, 1, 2), b, c3(rng, 0, 1)),
    ]
    return rng.choice(forms)()


def rand_factor(rng, meters):
    a = rng.choice(meters)
    forms = [
        lambda: c3(rng, 0.9, 1.1),
        lambda: "1 + %s * (%s - 0.5)" % (c3(rng, 0, 0.2), a),
        lambda: "max(0.5, min(1.5, %s + 0.5))" % a,
    ]
    return rng.choice(forms)()


def rand_atom(rng, meters):
    a, b = rng.choice(meters), rng.choice(meters)
    op = rng.choice(["<", "<=", ">", ">=", "==", "!="])
    forms = [
        lambda: "%s %s %s" % (a, op, c3(rng, 0, 1)),
        lambda: "%s %s %s" % (a, op, b),
        lambda: "%s + %s > %s" % (a, b, c3(rng, 0.5, 1.5)),
        lambda: "abs(%s - %s) < %s" % (a, b, c3(rng, 0, 0.5)),
        lambda: "min(%s, %s) %s %s" % (a, b, op, c3(rng, 0, 1)),
        lambda: "%s * %s %s %s" % (a, b, op, c3(rng, 0, 1)),
    ]
    return rng.choice(forms)()


def rand_cond(rng, meters, depth=0):
    r = rng.random()
    if depth >= 2 or r < 0.45:
        return rand_atom(rng, meters)
    if r < 0.6:
        return "not (%s)" % rand_cond(rng, meters, depth + 1)
    joiner = rng.choice([" and ", " or ", " && ", " || "])
    return "(%s)%s(%s)" % (rand_cond(rng, meters, depth + 1), joiner,
                           rand_cond(rng, meters, depth + 1))


def random_case(index, dtype, seed):
    rng = random.Random(seed)
    k = rng.randint(3, 8)
    meters = rng.sample(POOL, k)
    rules = []
    for _ in range(rng.randint(3, 12)):
        rule = {}
        if rng.random() < 0.8:
            rule["if"] = rand_cond(rng, ["`%s`" % m if "." in m else m
                                         for m in meters])
        targets = rng.sample(meters, rng.randint(1, min(3, k)))
        refs = ["`%s`" % m if "." in m else m for m in meters]
        for t in targets:
            kind = rng.choice(KINDS)
            text = rand_factor(rng, refs) if kind == "mul" else \
                rand_value(rng, refs)
            rule.setdefault(kind, {})[t] = text
        rules.append(rule)
    clamp = {}
    for m in meters:
        r = rng.random()
        if r < 0.5:
            clamp[m] = [0, 1]
        elif r < 0.65:
            lo = round(rng.uniform(-1, 0.5), 2)
            clamp[m] = [lo, round(lo + rng.uniform(0, 2), 2)]
    steps = rng.choice([1, 2, 3, 5, 10, 30])
    d = rules_desc("random_%s_%d" % (dtype, index), meters, rules, clamp,
                   steps=steps, dtype=dtype)
    state = random_state(rng, rng.choice([64, 96, 128]), k, -0.25, 1.25)
    return Case("random_%s_%d" % (dtype, index), d, state,
                "a random rule set (seed %d): %d meters, %d rules with random "
                "conditions (comparisons, and/or/not, min/abs) and actions "
                "(set/add/sub/mul over expressions with min/max/abs/sqrt/"
                "select/?:), random clamps, %d steps, %s state." %
                (seed, k, len(rules), steps, dtype))


def make_random(index, dtype, seed):
    return lambda: random_case(index, dtype, seed)


CASES = [case_needs_f32, case_needs_f64_steps, case_threshold_cascade,
         case_reads_earlier_writes, case_simultaneous, case_actions,
         case_conditions, case_clamps, case_many_steps, case_nan_state,
         case_transcendental, case_empty_rules, case_doc_example]
CASES += [make_random(i, "f64", 300 + i) for i in range(1, 6)]
CASES += [make_random(i, "f32", 400 + i) for i in range(1, 4)]


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
        text = k.text()
        path = os.path.join(args.out, k.name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        written.add(k.name + ".json")
        total += len(text)
        if not args.quiet:
            changed = sum(1 for a, b in zip(k.state, k.expected)
                          for x, y in zip(a, b)
                          if not (x == y or (x != x and y != y)))
            print("%-26s %-3s rows=%-4d meters=%-2d rules=%-2d steps=%-4d "
                  "%6.1f KB  (%d%% of values changed)" %
                  (k.name, "f32" if k.f32 else "f64", len(k.state),
                   len(k.desc["meters"]), len(k.desc["rules"]),
                   k.desc.get("steps", 1), len(text) / 1024.0,
                   100 * changed // max(1, len(k.state) *
                                        len(k.desc["meters"]))))
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
