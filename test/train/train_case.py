#!/usr/bin/python3
"""A reference case (test/data/train/*.json) for the `specjit train` lit tests.

    train_case.py csv CASE.json TRAIN.json DATA.csv
        Writes the case's train descriptor and its data (the inputs, then the
        label) as CSV: floats in round-trip form, NaN as an empty field,
        integers in decimal, bools as 1/0.
    train_case.py check CASE.json MODEL.json [HISTORY.csv]
        Compares a model descriptor written by `specjit train` with the
        case's expected parameters, and the --history CSV with its history
        (epoch numbers exact, losses within the case's rtol). Prints one line
        per check; exits 1 on the first mismatch, naming it.
    train_case.py predictions CASE.json PRED.csv
        Compares `specjit run` output with the case's predictions (1e-9).

The comparisons use the rule of `specjit check`
(tools/specjit/CheckTrainEval.cpp): |a - b| <= rtol * max(|a|, |b|, 1e-12).
"""

import csv
import json
import math
import sys


def fail(msg):
    print("MISMATCH: " + msg)
    sys.exit(1)


def close(a, b, rtol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-12)


def flatten(v):
    if isinstance(v, list):
        return [x for e in v for x in flatten(e)]
    return [v]


def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return repr(float(v))


def write_csv(case, train_path, data_path):
    desc = case["descriptor"]
    with open(train_path, "w") as f:
        json.dump(desc, f, indent=1)
    names = [i["name"] for i in desc["inputs"]] + [desc["label"]["name"]]
    with open(data_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for r in range(case["rows"]):
            w.writerow([cell(case["data"][n][r]) for n in names])


def compare(what, got, want, rtol):
    got, want = flatten(got), flatten(want)
    if len(got) != len(want):
        fail("%s: %d values, expected %d" % (what, len(got), len(want)))
    for i, (a, b) in enumerate(zip(got, want)):
        if not close(float(a), float(b), rtol):
            fail("%s[%d]: got %r, reference %r" % (what, i, a, b))


def check(case, model_path, history_path):
    rtol = case["rtol"]
    exp = case["expected"]
    with open(model_path) as f:
        model = json.load(f)
    if model.get("kind") != "model":
        fail("kind is %r, expected 'model'" % model.get("kind"))
    m, w = model["model"], exp["model"]
    if m.get("type") != w["type"] or m.get("link", "identity") != w["link"]:
        fail("model type/link %r/%r, expected %r/%r"
             % (m.get("type"), m.get("link"), w["type"], w["link"]))
    if w["type"] == "linear":
        compare("weights", m["weights"], w["weights"], rtol)
        compare("intercepts", m["intercepts"], w["intercepts"], rtol)
    else:
        if len(m["layers"]) != len(w["layers"]):
            fail("%d layers, expected %d" % (len(m["layers"]), len(w["layers"])))
        for i, (a, b) in enumerate(zip(m["layers"], w["layers"])):
            compare("layers[%d].weights" % i, a["weights"], b["weights"], rtol)
            compare("layers[%d].biases" % i, a["biases"], b["biases"], rtol)
            if a.get("activation", "identity") != b["activation"]:
                fail("layers[%d].activation %r" % (i, a.get("activation")))
    print("parameters match (%s, %s link)" % (w["type"], w["link"]))
    if not history_path:
        return
    with open(history_path) as f:
        rows = list(csv.reader(f))
    if rows[0] != ["epoch", "train_loss", "validation_loss", "seconds"]:
        fail("history header %r" % rows[0])
    hist = exp["history"]
    if len(rows) - 1 != len(hist):
        fail("history has %d epochs, expected %d" % (len(rows) - 1, len(hist)))
    for row, h in zip(rows[1:], hist):
        if int(row[0]) != h["epoch"]:
            fail("history epoch %s, expected %d" % (row[0], h["epoch"]))
        if not close(float(row[1]), h["train_loss"], rtol):
            fail("epoch %d train_loss %s, reference %r" % (h["epoch"], row[1], h["train_loss"]))
        want_v = h["validation_loss"]
        got_v = float(row[2]) if row[2].strip() not in ("", "nan", "NaN") else None
        if (want_v is None) != (got_v is None) or (
                want_v is not None and not close(got_v, want_v, rtol)):
            fail("epoch %d validation_loss %r, reference %r" % (h["epoch"], row[2], want_v))
        if not float(row[3]) >= 0:
            fail("epoch %d seconds %r" % (h["epoch"], row[3]))
    print("history matches: %d epochs, best epoch %d, stop %s"
          % (len(hist), exp["best_epoch"], exp["stop_reason"]))


def check_predictions(case, pred_path):
    exp = case["expected"]
    with open(pred_path) as f:
        rows = list(csv.reader(f))
    if rows[0] != exp["prediction_columns"]:
        fail("prediction columns %r, expected %r" % (rows[0], exp["prediction_columns"]))
    if len(rows) - 1 != len(exp["predictions"]):
        fail("%d prediction rows, expected %d" % (len(rows) - 1, len(exp["predictions"])))
    for r, (row, want) in enumerate(zip(rows[1:], exp["predictions"])):
        for c, (a, b) in enumerate(zip(row, want)):
            if abs(float(a) - b) > 1e-9 * max(abs(float(a)), abs(b), 1.0):
                fail("row %d, %s: got %s, reference %r" % (r, rows[0][c], a, b))
    print("predictions match: %d rows" % (len(rows) - 1))


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    with open(argv[2]) as f:
        case = json.load(f)
    if argv[1] == "csv" and len(argv) == 5:
        write_csv(case, argv[3], argv[4])
    elif argv[1] == "check" and len(argv) in (4, 5):
        check(case, argv[3], argv[4] if len(argv) == 5 else None)
    elif argv[1] == "predictions" and len(argv) == 4:
        check_predictions(case, argv[3])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
