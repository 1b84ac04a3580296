#!/usr/bin/env python3
"""Writes an XGBoost JSON model (Booster.save_model) as the plain text
tree_shapes.cpp reads, and the 100k x 28 f32 evaluation rows to x.f32.

    dump_model.py MODEL.json OUT.txt

OUT.txt: "trees base_margin", then per tree its node count and one line per
node: feature threshold left right default_left leaf (feature -1: a leaf)."""
import json
import math
import sys

import numpy as np

model = json.load(open(sys.argv[1]))
learner = model["learner"]
p = float(learner["learner_model_param"]["base_score"])
base = math.log(p / (1 - p))
trees = learner["gradient_booster"]["model"]["trees"]
with open(sys.argv[2], "w") as f:
    f.write(f"{len(trees)} {base!r}\n")
    for t in trees:
        left, right = t["left_children"], t["right_children"]
        f.write(f"{len(left)}\n")
        for i in range(len(left)):
            cond = t["split_conditions"][i]
            if left[i] == -1:
                f.write(f"-1 0 -1 -1 0 {cond!r}\n")
            else:
                f.write(f"{t['split_indices'][i]} {cond!r} {left[i]} {right[i]} "
                        f"{int(t['default_left'][i])} 0\n")
rng = np.random.default_rng(7)
X = rng.normal(size=(100000, 28)).astype(np.float32)
X[rng.random(size=X.shape) < 0.05] = np.nan
X.tofile("x.f32")
