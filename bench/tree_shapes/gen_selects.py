#!/usr/bin/env python3
"""Writes the selects shape of a dumped model (dump_model.py) as C++: per
tree, a loop over the rows of a block that computes every node bottom-up with
the thresholds and leaves as immediates (the compiler turns it into selects
and vectorizes it across rows). NaN reads the +-inf feature rows."""
import sys
src, out = sys.argv[1], sys.argv[2]
lines = open(src).read().split("\n")
nt, base = lines[0].split(); nt = int(nt)
pos = 1; F = 28
o = ["#include <cmath>", "static const int B = 256;", "void selTrees(const float *feats, float *acc, int cnt) {"]
for t in range(nt):
    nn = int(lines[pos]); pos += 1
    nodes = [lines[pos + i].split() for i in range(nn)]; pos += nn
    o.append("  for (int j = 0; j < cnt; ++j) {")
    # bottom-up: children have larger indices
    for i in reversed(range(nn)):
        f, th, l, r, dl, leaf = nodes[i]
        if int(f) < 0:
            o.append(f"    float v{i} = {float(leaf)!r}f;")
        else:
            row = int(f) if int(dl) else F + int(f)
            o.append(f"    float v{i} = feats[{row}*B+j] < {float(th)!r}f ? v{l} : v{r};")
    o.append("    acc[j] += v0; }")
o.append("}")
open(out, "w").write("\n".join(o))
