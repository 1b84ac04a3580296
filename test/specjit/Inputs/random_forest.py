"""Prints a model descriptor of TREES random complete trees of depth DEPTH
over 10 f32 features: python3 random_forest.py TREES DEPTH [SEED]."""
import json
import random
import sys

trees, depth = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
splits, nodes = (1 << depth) - 1, (1 << (depth + 1)) - 1
forest = []
for _ in range(trees):
    forest.append({"group": 0, "nodes": [
        {"feature": rng.randrange(10), "threshold": round(rng.gauss(0, 1), 6),
         "left": 2 * i + 1, "right": 2 * i + 2, "default_left": rng.random() < 0.5}
        if i < splits else {"leaf": round(0.1 * rng.gauss(0, 1), 6)}
        for i in range(nodes)]})
json.dump({"specjit": 1, "kind": "model",
           "inputs": [{"name": f"x{i}", "type": "f32"} for i in range(10)],
           "model": {"type": "tree_ensemble", "num_outputs": 1, "float32": True,
                     "base_score": [0.25], "link": "logistic", "trees": forest},
           "output": {"type": "f64", "margin": True}}, sys.stdout)
