#!/usr/bin/python3
"""Validates descriptors against the JSON Schemas of record.

    /usr/bin/python3 test/schema/check_examples.py [--root DIR] [-v]

Checks, with jsonschema's Draft202012Validator:
  - every schemas/*.schema.json is itself a valid 2020-12 schema;
  - every examples/*.json descriptor against schemas/<kind>.schema.json;
  - the `descriptor` of every test/data/pipeline/*.json against the same;
  - negative cases: descriptors the schema must reject (unknown keys, empty
    categories, ...);
  - both forms of a model tree (columns, node objects), and trees the model
    schema must reject;
  - eval descriptors the eval schema must reject (a metric of another
    task, no or two score sources, a threshold outside binary tasks).

Exits 0 when everything passes, 1 with one line per failure otherwise (2 when
the tool itself cannot run, e.g. jsonschema is missing).
"""

import argparse
import copy
import glob
import json
import os
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover
    sys.stderr.write("check_examples.py: needs jsonschema >= 4 (Debian: "
                     "python3-jsonschema; run with /usr/bin/python3)\n")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ROOT = os.path.dirname(os.path.dirname(HERE))


def json_path(error):
    """`steps[2].categories` style path of a validation error."""
    out = ""
    for p in error.absolute_path:
        if isinstance(p, int):
            out += "[%d]" % p
        else:
            out += ("." if out else "") + str(p)
    return out or "(document)"


def _selected_branch(error):
    """For a failing oneOf keyed on a const discriminator (a step's `op`),
    the errors of the branch the document selected, else None."""
    if error.validator != "oneOf" or not error.context:
        return None
    branches = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    chosen = [errs for errs in branches.values()
              if not any(e.validator == "const" and
                         list(e.relative_path)[-1:] == ["op"] for e in errs)]
    if len(chosen) == 1:
        return chosen[0]
    return None


def best_message(error):
    """The most specific message. jsonschema reports a failing oneOf as a
    whole; for a step we report the errors of the branch its `op` selects,
    otherwise best_match picks the branch that got furthest."""
    branch = _selected_branch(error)
    if branch:
        return "; ".join(best_message(e) for e in branch)
    if error.validator == "oneOf" and error.context:
        ops = [e.validator_value for e in error.context
               if e.validator == "const" and
               list(e.relative_path)[-1:] == ["op"]]
        if ops and isinstance(error.instance, dict):
            return "%s.op: %r is not a known op (expected one of %s)" % (
                json_path(error), error.instance.get("op"), ", ".join(ops))
    best = jsonschema.exceptions.best_match([error])
    return "%s: %s" % (json_path(best), best.message)


class Checker:
    def __init__(self, root, verbose):
        self.root = root
        self.verbose = verbose
        self.failures = []
        self.passed = 0
        self.validators = {}

    def rel(self, path):
        return os.path.relpath(path, self.root)

    def fail(self, where, message):
        self.failures.append("%s: %s" % (where, message))

    def ok(self, where):
        self.passed += 1
        if self.verbose:
            print("ok   %s" % where)

    def load_schemas(self):
        paths = sorted(glob.glob(os.path.join(self.root, "schemas",
                                              "*.schema.json")))
        if not paths:
            self.fail("schemas/", "no *.schema.json found")
        for path in paths:
            kind = os.path.basename(path)[:-len(".schema.json")]
            try:
                with open(path, encoding="utf-8") as f:
                    schema = json.load(f)
            except (OSError, ValueError) as e:
                self.fail(self.rel(path), "cannot read: %s" % e)
                continue
            try:
                Draft202012Validator.check_schema(schema)
            except jsonschema.exceptions.SchemaError as e:
                self.fail(self.rel(path), "not a valid 2020-12 schema: %s "
                          "(at %s)" % (e.message,
                                       "/".join(map(str, e.absolute_path))))
                continue
            if schema.get("$schema") != \
                    "https://json-schema.org/draft/2020-12/schema":
                self.fail(self.rel(path), "$schema must be draft 2020-12")
            self.validators[kind] = Draft202012Validator(schema)
            self.ok(self.rel(path))
            # The schema's own examples must validate too.
            for i, ex in enumerate(schema.get("examples", [])):
                self.validate(ex, "%s examples[%d]" % (self.rel(path), i))

    def validate(self, descriptor, where):
        if not isinstance(descriptor, dict):
            self.fail(where, "expected a JSON object")
            return False
        kind = descriptor.get("kind")
        validator = self.validators.get(kind)
        if validator is None:
            self.fail(where, "no schema for kind %r (expected schemas/%s."
                      "schema.json)" % (kind, kind))
            return False
        errors = sorted(validator.iter_errors(descriptor),
                        key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            for e in errors:
                self.fail(where, best_message(e))
            return False
        self.ok(where)
        return True

    def check_examples(self):
        paths = sorted(glob.glob(os.path.join(self.root, "examples",
                                              "*.json")))
        if not paths:
            self.fail("examples/", "no example descriptors found")
        for path in paths:
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                self.fail(self.rel(path), "cannot read: %s" % e)
                continue
            self.validate(doc, self.rel(path))

    def check_reference(self):
        paths = sorted(glob.glob(os.path.join(self.root, "test", "data",
                                              "pipeline", "*.json")))
        if not paths:
            self.fail("test/data/pipeline/", "no reference cases found")
        for path in paths:
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                self.fail(self.rel(path), "cannot read: %s" % e)
                continue
            if "descriptor" not in doc:
                self.fail(self.rel(path), "no \"descriptor\"")
                continue
            self.validate(doc["descriptor"], self.rel(path) + " descriptor")

    def check_negative(self):
        """Descriptors the pipeline schema must reject."""
        if "pipeline" not in self.validators:
            return
        validator = self.validators["pipeline"]
        base = {
            "specjit": 1, "kind": "pipeline",
            "inputs": [{"name": "x", "type": "f64"},
                       {"name": "c", "type": "i64", "missing": -1},
                       {"name": "s", "type": "string"}],
            "output": {"type": "f32"},
            "steps": [{"op": "standardize", "column": "x", "mean": 0.0,
                       "std": 1.0},
                      {"op": "one_hot", "column": "c", "categories": [0, 1]},
                      {"op": "label_encode", "column": "s",
                       "mapping": ["a", "b"]}],
        }
        if list(validator.iter_errors(base)):
            self.fail("negative checks", "the valid base descriptor is "
                      "rejected: %s" % best_message(
                          next(iter(validator.iter_errors(base)))))
            return
        self.ok("negative checks: base descriptor accepted")

        def mutate(fn):
            d = copy.deepcopy(base)
            fn(d)
            return d

        def set_(path, value):
            def fn(d):
                node = d
                for p in path[:-1]:
                    node = node[p]
                node[path[-1]] = value
            return fn

        def delete(path):
            def fn(d):
                node = d
                for p in path[:-1]:
                    node = node[p]
                del node[path[-1]]
            return fn

        cases = [
            ("unknown top-level key", set_(["colour"], "red")),
            ("unknown key in a step", set_(["steps", 0, "scale"], 2.0)),
            ("unknown key in an input", set_(["inputs", 0, "nullable"], True)),
            ("unknown key in output", set_(["output", "order"], "C")),
            ("empty one_hot categories", set_(["steps", 1, "categories"], [])),
            ("empty label_encode mapping array",
             set_(["steps", 2, "mapping"], [])),
            ("empty label_encode mapping object",
             set_(["steps", 2, "mapping"], {})),
            ("duplicate categories", set_(["steps", 1, "categories"], [0, 0])),
            ("mixed category types",
             set_(["steps", 1, "categories"], [0, "a"])),
            ("unknown op", set_(["steps", 0, "op"], "normalize")),
            ("std <= 0", set_(["steps", 0, "std"], 0.0)),
            ("missing std", delete(["steps", 0, "std"])),
            ("wrong version", set_(["specjit"], 2)),
            ("unknown input type", set_(["inputs", 0, "type"], "f16")),
            ("missing sentinel on a float input",
             set_(["inputs", 0, "missing"], -1)),
            ("output type i64", set_(["output", "type"], "i64")),
            ("empty inputs", set_(["inputs"], [])),
            ("empty output columns", set_(["output", "columns"], [])),
            ("unknown one_hot policy",
             set_(["steps", 1, "unknown"], "ignore")),
            ("clip without bounds",
             set_(["steps", 0], {"op": "clip", "column": "x"})),
            ("polynomial degree 0",
             set_(["steps", 0], {"op": "polynomial", "columns": ["x"],
                                 "degree": 0})),
            ("bucketize without edges",
             set_(["steps", 0], {"op": "bucketize", "column": "x",
                                 "edges": []})),
            ("expr without expression",
             set_(["steps", 0], {"op": "expr", "name": "y"})),
        ]
        for name, fn in cases:
            d = mutate(fn)
            if not list(validator.iter_errors(d)):
                self.fail("negative check %r" % name,
                          "the schema accepts a descriptor it must reject: "
                          "%s" % json.dumps(d, sort_keys=True))
            else:
                self.ok("negative check: %s rejected" % name)

    def check_model_trees(self):
        """Both forms of a tree validate, alone or mixed in one model; the
        model schema rejects trees with both forms or neither, and malformed
        columns."""
        if "model" not in self.validators:
            return
        validator = self.validators["model"]

        def doc(*trees):
            return {"specjit": 1, "kind": "model",
                    "inputs": [{"name": "x", "type": "f64"}],
                    "model": {"type": "tree_ensemble", "num_outputs": 1,
                              "trees": list(trees)},
                    "output": {"type": "f64"}}

        columns = {"group": 0, "feature": [0, -1, -1],
                   "threshold": [0.5, 0, 0], "left": [1, -1, -1],
                   "right": [2, -1, -1], "default_left": [1, 0, 0],
                   "leaf": [0, -1, 1]}
        nodes = {"group": 0,
                 "nodes": [{"feature": 0, "threshold": 0.5, "left": 1,
                            "right": 2}, {"leaf": -1}, {"leaf": 1}]}
        good = [
            ("columns", doc(columns)),
            ("node objects", doc(nodes)),
            ("both forms in one model", doc(columns, nodes)),
            ("default_left as booleans",
             doc(dict(columns, default_left=[True, False, False]))),
        ]
        bad = [
            ("a tree with nodes and columns",
             doc(dict(columns, nodes=nodes["nodes"]))),
            ("a tree with neither form", doc({"group": 0})),
            ("a tree missing a column",
             doc({k: v for k, v in columns.items() if k != "leaf"})),
            ("an empty feature column", doc(dict(columns, feature=[]))),
            ("a feature below -1", doc(dict(columns, feature=[-2, -1, -1]))),
            ("default_left 2", doc(dict(columns, default_left=[2, 0, 0]))),
            ("a string threshold",
             doc(dict(columns, threshold=["0.5", 0, 0]))),
            ("an unknown key next to the columns",
             doc(dict(columns, weight=1))),
        ]
        for name, d in good:
            errors = list(validator.iter_errors(d))
            if errors:
                self.fail("model tree check %r" % name, "rejected: %s" %
                          best_message(errors[0]))
            else:
                self.ok("model tree check: %s accepted" % name)
        for name, d in bad:
            if not list(validator.iter_errors(d)):
                self.fail("model tree check %r" % name,
                          "the schema accepts a descriptor it must reject: "
                          "%s" % json.dumps(d, sort_keys=True))
            else:
                self.ok("model tree check: %s rejected" % name)

    def check_eval(self):
        """Eval descriptors the eval schema must reject."""
        if "eval" not in self.validators:
            return
        validator = self.validators["eval"]
        base = {"specjit": 1, "kind": "eval", "task": "binary", "label": "y",
                "scores": ["p"], "metrics": ["accuracy", "roc_auc"]}
        if list(validator.iter_errors(base)):
            self.fail("eval checks", "the valid base descriptor is rejected")
            return
        cases = [
            ("a regression metric on a binary task", {"metrics": ["mse"]}),
            ("an unknown metric", {"metrics": ["f2"]}),
            ("duplicate metrics", {"metrics": ["f1", "f1"]}),
            ("two score sources", {"model": {}}),
            ("no score source", {"scores": None}),
            ("no label with scores", {"label": None}),
            ("a threshold on a regression task",
             {"task": "regression", "metrics": ["mse"], "threshold": 0.5}),
            ("binary precision on a multiclass task",
             {"task": "multiclass", "scores": ["a", "b"],
              "metrics": ["precision"]}),
            ("k = 1", {"scores": None,
                       "cross_validation": {"k": 1, "train": {}}}),
            ("an unknown task", {"task": "ranking"}),
        ]
        for name, change in cases:
            d = copy.deepcopy(base)
            for key, value in change.items():
                if value is None:
                    del d[key]
                else:
                    d[key] = value
            if not list(validator.iter_errors(d)):
                self.fail("eval check %r" % name,
                          "the schema accepts a descriptor it must reject: "
                          "%s" % json.dumps(d, sort_keys=True))
            else:
                self.ok("eval check: %s rejected" % name)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=DEFAULT_ROOT,
                    help="repository root (default: %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    c = Checker(os.path.abspath(args.root), args.verbose)
    c.load_schemas()
    c.check_examples()
    c.check_reference()
    c.check_negative()
    c.check_model_trees()
    c.check_eval()
    if c.failures:
        for f in c.failures:
            print("FAIL %s" % f, file=sys.stderr)
        print("check_examples.py: %d failure(s), %d check(s) passed" %
              (len(c.failures), c.passed), file=sys.stderr)
        return 1
    print("check_examples.py: all %d checks passed" % c.passed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
