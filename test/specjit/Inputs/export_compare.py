"""Compares a C program's output (%a per value, comma-separated rows) with
the CSV `specjit run` wrote, bit for bit in the output type (f32 or f64);
NaN (an empty CSV field) must be NaN on both sides.

usage: export_compare.py RUN.csv PROGRAM.txt f32|f64
"""
import math
import struct
import sys


def bits(value, fmt):
    return struct.pack("<" + fmt, value)


def main(csv_path, hex_path, dtype):
    fmt = {"f32": "f", "f64": "d"}[dtype]
    with open(csv_path) as f:
        rows = [line.rstrip("\n").split(",") for line in f][1:]
    with open(hex_path) as f:
        got = [line.rstrip("\n").split(",") for line in f]
    if len(rows) != len(got):
        sys.exit("rows: %d from specjit run, %d from the program" % (len(rows), len(got)))
    for r, (want_row, got_row) in enumerate(zip(rows, got)):
        if len(want_row) != len(got_row):
            sys.exit("row %d: %d columns vs %d" % (r, len(want_row), len(got_row)))
        for c, (w, g) in enumerate(zip(want_row, got_row)):
            want = float(w) if w else math.nan
            have = float.fromhex(g.replace("-nan", "nan"))
            if math.isnan(want) and math.isnan(have):
                continue
            if bits(want, fmt) != bits(have, fmt):
                sys.exit("row %d column %d: specjit run %r, program %s" % (r, c, w, g))
    print("equal: %d rows x %d columns" % (len(rows), len(rows[0]) if rows else 0))


if __name__ == "__main__":
    main(*sys.argv[1:])
