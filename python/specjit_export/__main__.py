"""python3 -m specjit_export MODEL.pkl > model.json"""

import argparse
import json
import pickle
import sys

from . import ExportError, dumps, export


def _load(path):
    try:
        import joblib
    except ImportError:
        joblib = None
    if joblib is not None:
        try:
            return joblib.load(path)
        except (pickle.UnpicklingError, KeyError, ValueError, EOFError):
            pass
    with open(path, "rb") as f:
        return pickle.load(f)


def _types(text):
    """"f64,i64:-1,string" or a JSON list/object."""
    text = text.strip()
    if text.startswith("[") or text.startswith("{"):
        return json.loads(text)
    out = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            t, m = part.split(":", 1)
            out.append({"type": t, "missing": int(m)})
        else:
            out.append(part)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python3 -m specjit_export",
        description="Writes the specjit `model` descriptor of a pickled "
        "(pickle or joblib) fitted scikit-learn estimator to stdout. Loading "
        "a pickle runs code from it: load only files you trust.")
    ap.add_argument("model", help="the pickled estimator (.pkl / .joblib)")
    ap.add_argument("--feature-names",
                    help="comma-separated input names (default: the "
                    "estimator's feature_names_in_, else x0, x1, ...)")
    ap.add_argument("--input-types",
                    help="input types: comma-separated (f64,i64:-1,string; "
                    "`:N` declares the integer missing sentinel N) or JSON")
    ap.add_argument("--name", help="the descriptor's name")
    ap.add_argument("--margin", action="store_true",
                    help="output margins (decision_function), not "
                    "probabilities")
    ap.add_argument("--indent", type=int, default=None,
                    help="pretty-print with this indent")
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    args = ap.parse_args(argv)
    try:
        est = _load(args.model)
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        print("specjit_export: cannot load %s: %s" % (args.model, e),
              file=sys.stderr)
        return 2
    names = None
    if args.feature_names:
        names = [s.strip() for s in args.feature_names.split(",")]
    try:
        types = _types(args.input_types) if args.input_types else None
        desc = export(est, feature_names=names, input_types=types,
                      name=args.name, margin=args.margin)
    except (ExportError, ValueError) as e:
        print("specjit_export: %s" % e, file=sys.stderr)
        return 1
    text = dumps(desc, indent=args.indent) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
