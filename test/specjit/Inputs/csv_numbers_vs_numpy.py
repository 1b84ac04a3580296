"""Checks that specjit read decimal text as numpy does: runs `specjit run`
on a one-column CSV of tricky numbers (out of range, subnormal, f32 double
rounding) for an f64 and an f32 input and compares every output value
bit for bit with np.float64(text) / np.float32(text).

usage: csv_numbers_vs_numpy.py SPECJIT INPUTS_DIR WORK_DIR
"""
import os
import subprocess
import sys
import warnings

import numpy as np

NUMBERS = [
    "1e400", "-1e400", "1e-400", "-1e-400", "4.9e-324", "2.5e-324", "1e-320",
    "1.7976931348623157e308", "1.7976931348623159e308", "1e39", "-1e39",
    "3.4028235677973366e38", "3.4028234663852886e38", "1e-46", "7.006492321624086e-46",
    "1.4e-45", "1.000000059604644775390625000000001", "0.1", "inf", "-inf",
    "+2.5", " 3 ", "1E5",
]

def main():
    specjit, inputs, work = sys.argv[1:4]
    csv = os.path.join(work, "numbers.csv")
    with open(csv, "w") as f:
        f.write("x\n" + "\n".join(NUMBERS) + "\n")
    failures = 0
    for name, dtype in (("one-f64", np.float64), ("one-f32", np.float32)):
        out = os.path.join(work, name + ".out.csv")
        subprocess.run([specjit, "run", os.path.join(inputs, name + ".json"),
                        "--input", csv, "--output", out], check=True,
                       stdout=subprocess.DEVNULL)
        with open(out) as f:
            lines = f.read().splitlines()[1:]
        assert len(lines) == len(NUMBERS), (name, len(lines))
        for text, got in zip(NUMBERS, lines):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = dtype(text.strip())
                value = dtype(got)
            if want.tobytes() != value.tobytes():
                print("%s: %r read as %r, numpy reads %r" % (name, text, value, want))
                failures += 1
    print("numbers: %d checked, %d differ from numpy" % (2 * len(NUMBERS), failures))
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
