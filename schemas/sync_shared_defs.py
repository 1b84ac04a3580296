#!/usr/bin/python3
"""Writes the pipeline family's shared $defs into the schemas that reuse them.

    /usr/bin/python3 schemas/sync_shared_defs.py          # rewrite
    /usr/bin/python3 schemas/sync_shared_defs.py --check  # exit 1 if stale

`model` and `train` descriptors carry the pipeline family's `inputs` and
`steps`. Their definitions are written once, in pipeline.schema.json; this
script copies them (every step op, `step`, `input`, `columnName`,
`finiteNumber`) into the $defs of model.schema.json and train.schema.json,
so each schema stays a self-contained document (the validators and the
reference generator resolve only local $refs). ctest runs --check.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = "pipeline.schema.json"
TARGETS = ["model.schema.json", "train.schema.json"]


def shared_defs(pipeline):
    defs = pipeline["$defs"]
    names = ["columnName", "finiteNumber", "input", "step"]
    # every step op the `step` oneOf refers to
    for alt in defs["step"]["oneOf"]:
        names.append(alt["$ref"].rsplit("/", 1)[-1])
    return {n: defs[n] for n in names}


def main():
    check = "--check" in sys.argv[1:]
    with open(os.path.join(HERE, SOURCE)) as f:
        shared = shared_defs(json.load(f))
    stale = []
    for name in TARGETS:
        path = os.path.join(HERE, name)
        with open(path) as f:
            text = f.read()
        doc = json.loads(text)
        doc.setdefault("$defs", {})
        doc["$defs"].update(shared)
        new = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if new != text:
            stale.append(name)
            if not check:
                with open(path, "w") as f:
                    f.write(new)
    if check and stale:
        sys.stderr.write("schemas out of sync with %s: %s (run "
                         "schemas/sync_shared_defs.py)\n" % (SOURCE, ", ".join(stale)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
