#!/usr/bin/env python3
"""Runs specjit's benchmarks and writes docs/benchmarks.md.

Usage (after scripts/build.sh):
    /usr/bin/python3 bench/run_benchmarks.py [--build build] [--out docs/benchmarks.md]
    /usr/bin/python3 bench/run_benchmarks.py --only trees [--tree-models 100x6,100x8]

--only trees regenerates just the tree-ensemble section (bench/tree_grid.py),
--only train just the training section (bench/train_bench.py),
--only runtime just the runtime section (bench/runtime_bench.py),
--only series-periods just the series windows against the period
(bench/series_periods.py), --only families the rules and indicators
(specjit-families-bench, peer_numba.py),
and splices it into the existing --out file, leaving the other sections as
they are.

Everything reported is a ratio measured side by side in one process run:
the machines are shared and noisy, so lone absolute times mean little.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def churn_bench(build):
    out = run([os.path.join(build, "bin", "specjit-churn-bench"),
               "--benchmark_format=json", "--benchmark_repetitions=5",
               "--benchmark_report_aggregates_only=true"])
    data = json.loads(out)
    med = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].split("/")[0].replace("BM_Churn_", "")
        med[name] = b
    return med, data["context"]


def example_data(build, name, rows):
    path = os.path.join(build, "data", f"{name}-{rows}.csv")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        run([sys.executable, os.path.join(ROOT, "examples", "gen_data.py"), name,
             "--rows", str(rows), "--out", path])
    return path


def specjit_run_compare(build, name, rows):
    """JIT and interpreter on the example's realistic data, best of 5 each."""
    out = run([os.path.join(build, "bin", "specjit"), "run",
               os.path.join(ROOT, "examples", name + ".json"),
               "--input", example_data(build, name, rows), "--compare"])
    jit = float(re.search(r"run [0-9.]+ ms \(([0-9.]+) ns/row", out).group(1))
    interp = float(re.search(r"interpreter [0-9.]+ ms \(([0-9.]+) ns/row", out).group(1))
    agree = re.search(r"max \|jit - interpreter\| = ([^,]+), NaN mismatches (\d+)", out)
    return jit, interp, agree.group(1), agree.group(2)


def compile_timing(build, name):
    out = run([os.path.join(build, "bin", "specjit"), "compile",
               os.path.join(ROOT, "examples", name + ".json"), "--timing"])
    return dict((m.group(1), float(m.group(2)))
                for m in re.finditer(r"^\s+(\S+)\s+([0-9.]+) ms$", out, re.M))


def families_bench(build):
    """Median ns/row of each (family case, variant) of specjit-families-bench."""
    out = run([os.path.join(build, "bin", "specjit-families-bench"),
               "--benchmark_format=json", "--benchmark_repetitions=3",
               "--benchmark_report_aggregates_only=true"])
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        parts = b["run_name"].split("/")
        family, variant = parts[0].replace("BM_", "").split("_", 1)
        case = parts[1] if family == "Series" else "needs_rules"
        if case.startswith("min_time"):
            case = "needs_rules"
        rows.setdefault((family, case), {})[variant] = b["ns_per_row"] * 1e9 \
            if b["ns_per_row"] < 1e-3 else b["ns_per_row"]
    return rows


def tree_section(args):
    """The tree-ensemble grid against XGBoost's C API (bench/tree_grid.py)."""
    cmd = [sys.executable, os.path.join(ROOT, "bench", "tree_grid.py"),
           "--build", args.build, "--models", args.tree_models]
    if args.tree_models_dir:
        cmd += ["--models-dir", args.tree_models_dir]
    if args.tree_rows:
        cmd += ["--rows", str(args.tree_rows)]
    via = "/usr/bin/python3 bench/run_benchmarks.py " + " ".join(sys.argv[1:])
    return run(cmd + ["--via", via.strip()]).rstrip()


def train_section(args):
    """Training epochs: the compiled step against the generic loop,
    hand-written C++, numpy and scikit-learn (bench/train_bench.py)."""
    cmd = [sys.executable, os.path.join(ROOT, "bench", "train_bench.py"),
           "--build", args.build, "--rounds", "3"]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    table = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return "\n".join([
        "## Training",
        "",
        "Command: `OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/train_bench.py --rounds 3` "
        "(run by `bench/run_benchmarks.py --only train`), on %s. CPU seconds per "
        "epoch, medians of 3 interleaved rounds; the C++ figures come from "
        "`build/bin/specjit-train-bench` in the same run. `logreg`: logistic "
        "regression, sgd lr 0.01, batch 1 (SGDClassifier's per-sample update), "
        "1M x 28; `mlp`: 28 -> 64 relu -> 1, adam lr 0.001, batch 200 "
        "(MLPClassifier's default), 100k x 28. JIT and interpreter train to the "
        "same bits." % cpu_name(),
        "",
        table.rstrip(),
        ""])


def families_section(args):
    """Rules and indicators: JIT, interpreter and hand-written C++
    (specjit-families-bench), compile time by stage, numba (peer_numba.py)."""
    families = families_bench(args.build)
    family_compile = {name: compile_timing(args.build, name)
                      for name in ("strategy", "needs_rules")}
    numba = run([sys.executable, os.path.join(ROOT, "bench", "peer_numba.py"),
                 "--no-check"])
    lines = []
    w = lines.append
    w("## Rules and indicators")
    w("")
    w("`build/bin/specjit-families-bench --benchmark_repetitions=3` (medians; "
      "one process): rules = 100k agents x 8 meters x 11 rules x 10 steps "
      "(`examples/needs_rules.json`, f32), ns per agent; indicators = 1M "
      "random-walk prices, ns per price. The hand-written C++ implements the "
      "same semantics with the constants written in (`-O3 -march=native`) and is "
      "checked against the interpreter before it is timed.")
    w("")
    w("| case | JIT | interpreter | hand-written C++ | interpreter / JIT | "
      "hand-written / JIT |")
    w("|---|---:|---:|---:|---:|---:|")
    for (family, case), v in sorted(families.items(), key=lambda kv: (kv[0][0] != "Rules", kv[0][1])):
        jit, interp, hand = v.get("Jit"), v.get("Interpreter"), v.get("HandWritten")
        if not (jit and interp and hand):
            continue
        w(f"| {family.lower()}: {case} | {jit:.2f} | {interp:.2f} | {hand:.2f} | "
          f"{interp / jit:.2f}x | {hand / jit:.2f}x |")
    w("")
    w("Compile time by stage (`specjit compile examples/NAME.json --timing`, steady "
      "state): " + "; ".join(
          f"{name}: {t.get('total', 0):.0f} ms (LLVM opt {t.get('llvm-opt', 0):.0f}, "
          f"codegen {t.get('obj', 0):.0f})" for name, t in family_compile.items()) + ".")
    w("")
    w("Against numba (`/usr/bin/python3 bench/peer_numba.py`, the same semantics "
      "as @njit functions; its compile time is the first call minus a steady run):")
    w("")
    w("```")
    w(numba.rstrip())
    w("```")
    w("")
    return "\n".join(lines).rstrip() + "\n"


def series_periods_section(args):
    """Series windows against the period: JIT, interpreter and pandas'
    rolling mean (bench/series_periods.py)."""
    cmd = [sys.executable, os.path.join(ROOT, "bench", "series_periods.py"),
           "--build", args.build]
    out = run(cmd)
    table = out.split("\n\n", 1)[1].strip()
    return "\n".join([
        "## Series windows against the period",
        "",
        "Command: `/usr/bin/python3 bench/series_periods.py` (run by "
        "`bench/run_benchmarks.py --only series-periods`), on %s. One descriptor per "
        "window op over 1,000,000 random-walk prices (two decimals), compiled from "
        "Python with and without specialization; pandas' `Series.rolling(n).mean()` "
        "beside the sma (checked within 1e-9; JIT and interpreter checked bit for "
        "bit). ns per row, medians of 5 interleaved rounds of process CPU time. "
        "From period 128 on the windows keep exact rolling sums "
        "(docs/series-semantics.md, \"Long windows\"); both backends then call the "
        "same routine." % cpu_name(),
        "",
        table,
        ""])


def runtime_section(args):
    """The runtime: tiered vs sync first result, promotion, caller stalls,
    stats cost per call, and the tiered first result's instructions over an
    interpreter-only run (bench/runtime_bench.py --callgrind)."""
    cmd = [sys.executable, os.path.join(ROOT, "bench", "runtime_bench.py"),
           "--build", args.build, "--rounds", "5", "--callgrind"]
    table = run(cmd)
    return "\n".join([
        "## Runtime: tiers and stats",
        "",
        "Command: `/usr/bin/python3 bench/runtime_bench.py --rounds 5 --callgrind` (run by "
        "`bench/run_benchmarks.py --only runtime`), on %s. Wall milliseconds, "
        "medians of 5 interleaved rounds of `specjit bench DESC --tiered --json`; "
        "the per-call figures are CPU time from `build/bin/specjit-runtime-bench`. "
        "\"first result\" is the time from `jit::compile` to the end of the "
        "first run over all rows: the tiered kernel's first run is on the "
        "interpreter, the sync kernel's is compiled but waits for the whole "
        "compile, and \"interpreter only\" is a kernel that never compiles, the "
        "baseline the tiered kernel is held to; \"tiered - interpreter only\" is "
        "the median, over 5 pairs per round in alternating order, of the "
        "difference in the calling thread's CPU time. \"compiled after\" is the "
        "time from `jit::compile` until the tiered kernel runs verified compiled "
        "code; meanwhile the caller keeps calling with batches of about 0.1 ms on "
        "the interpreter, and the longest of those calls is held against the "
        "longest of as many calls with nothing compiling. The last table counts "
        "instructions of `specjit run DESC --input CSV --json` under callgrind, "
        "`--tiered` against `--no-specialize` (`SPECJIT_CACHE=0`)." % cpu_name(),
        "",
        table.rstrip(),
        ""])


def splice_section(path, section):
    """Replaces the section of `path` whose heading is the first line of
    `section` (up to the next `## ` heading), or inserts it before the notes
    (bench/notes.md), or appends it."""
    heading = section.splitlines()[0]
    lines = []
    if os.path.exists(path):
        with open(path) as f:
            lines = f.read().split("\n")
    new = section.split("\n") + [""]
    if heading in lines:
        i = lines.index(heading)
        j = next((k for k in range(i + 1, len(lines)) if lines[k].startswith("## ")),
                 len(lines))
        lines[i:j] = new
    else:
        notes_heading = None
        notes = os.path.join(ROOT, "bench", "notes.md")
        if os.path.exists(notes):
            with open(notes) as f:
                notes_heading = next((l.rstrip() for l in f if l.startswith("## ")), None)
        if notes_heading in lines:
            i = lines.index(notes_heading)
            lines[i:i] = new
        else:
            if lines and lines[-1] != "":
                lines.append("")
            lines += new
    with open(path, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--only",
                    choices=["trees", "train", "runtime", "series-periods", "families"],
                    default=None,
                    help="regenerate only this section and splice it into --out")
    ap.add_argument("--tree-models", default="100x6,100x8,500x6,500x8,1000x6,1000x8",
                    help="TREESxDEPTH grid of the tree section (default %(default)s)")
    ap.add_argument("--tree-models-dir", default=None,
                    help="model cache of the tree section (default BUILD/data/trees)")
    ap.add_argument("--tree-rows", type=int, default=0,
                    help="evaluation rows of the tree section (default all 100k)")
    args = ap.parse_args()

    if args.only:
        section = {"trees": tree_section, "train": train_section,
                   "runtime": runtime_section,
                   "series-periods": series_periods_section,
                   "families": families_section}[args.only](args)
        splice_section(args.out, section)
        print(section)
        return 0

    med, ctx = churn_bench(args.build)

    def ms(name):
        b = med[name]
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        return b["real_time"] * scale

    floor, jit, interp, hand = (ms("MemoryFloor"), ms("Jit"), ms("Interpreter"),
                                ms("HandWritten"))
    compile_ms = ms("ColdCompile")
    hit_ns = ms("CacheHit") * 1e6

    examples = [(name, specjit_run_compare(args.build, name, args.rows),
                 compile_timing(args.build, name))
                for name in ("churn", "housing", "retail_strings")]
    peer = run([sys.executable, os.path.join(ROOT, "bench", "peer_sklearn.py"),
                "--rows", str(args.rows), "--build", args.build])
    families = families_section(args)
    xgb_peer = run([sys.executable, os.path.join(ROOT, "bench", "peer_xgboost.py"),
                    "--build", args.build])
    dense = {}
    out = run([os.path.join(args.build, "bin", "specjit-model-bench"),
               "--benchmark_format=json", "--benchmark_repetitions=3",
               "--benchmark_report_aggregates_only=true"])
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            model, variant = b["run_name"].split("/")[0].replace("BM_", "").split("_", 1)
            dense.setdefault(model, {})[variant] = b["ns_per_row"] * 1e9
    trees = tree_section(args)

    lines = []
    w = lines.append
    w("# Benchmarks")
    w("")
    w("Generated by `/usr/bin/python3 bench/run_benchmarks.py` "
      f"on {datetime.date.today().isoformat()}; rerun it after `scripts/build.sh`.")
    w("")
    w(f"Machine: {cpu_name()}, {ctx.get('num_cpus', '?')} cores, "
      f"load average at start {ctx.get('load_avg', '?')}. The machine is shared and "
      "noisy: compare the ratios, which are measured side by side in one run "
      "(medians of 5 repetitions), not the absolute times.")
    w("")
    w("## The churn pipeline (1M rows -> 1M x 6 f32)")
    w("")
    w("age i64 standardize; income f64 log then standardize; engagement f64 clip "
      "[0, 1]; category i64 with -1 missing, impute 1, one-hot of 3. Command: "
      "`build/bin/specjit-churn-bench --benchmark_repetitions=5`.")
    w("")
    w("| variant | ms per 1M rows | ns/row | vs memory floor | JIT speedup over it |")
    w("|---|---:|---:|---:|---:|")
    for label, t in (("memory floor: memcpy of the same input + output bytes", floor),
                     ("specjit JIT", jit),
                     ("hand-written C++ (-O3 -march=native)", hand),
                     ("specjit interpreter", interp)):
        w(f"| {label} | {t:.2f} | {t * 1e6 / 1e6:.2f} | {t / floor:.2f}x | "
          f"{t / jit:.2f}x |")
    w("")
    w(f"- JIT / memory floor: **{jit / floor:.2f}x** (target: within 1.5x).")
    w(f"- Interpreter / JIT: **{interp / jit:.2f}x** (target: at least 5x).")
    w(f"- Hand-written C++ / JIT: **{hand / jit:.2f}x**.")
    w(f"- Cold compile (descriptor to callable kernel, no cache), median: "
      f"**{compile_ms:.1f} ms** (target: under 50 ms).")
    w(f"- Cache hit (`jit::compile` of a cached descriptor): **{hit_ns:.0f} ns** "
      "(target: under 1 us).")
    w("")
    w("## The examples on realistic data")
    w("")
    w("`examples/gen_data.py NAME --rows 1000000` writes the CSV; "
      "`build/bin/specjit run examples/NAME.json --input NAME.csv --compare` runs "
      "the JIT and the interpreter on it (best of 5 each, one process). "
      "`specjit compile examples/NAME.json --timing` gives the compile time by "
      "stage (steady state).")
    w("")
    w("| example | JIT ns/row | interpreter ns/row | interpreter / JIT | max abs diff | "
      "compile ms (MLIR / LLVM opt / codegen / total) |")
    w("|---|---:|---:|---:|---:|---|")
    for name, (jit_ns, int_ns, diff, nans), t in examples:
        mlir = sum(t.get(k, 0) for k in ("descriptor", "spec", "lowered", "llvm-dialect", "llvm"))
        w(f"| {name} | {jit_ns:.2f} | {int_ns:.2f} | {int_ns / jit_ns:.2f}x | {diff} | "
          f"{mlir:.1f} / {t.get('llvm-opt', 0):.1f} / {t.get('obj', 0):.1f} / "
          f"{t.get('total', 0):.1f} |")
    w("")
    w("## Against scikit-learn (the peer)")
    w("")
    w("`/usr/bin/python3 bench/peer_sklearn.py --rows 1000000`: the churn pipeline "
      "as a scikit-learn ColumnTransformer (transform only, best of 5) and specjit "
      "on the same CSV, in one script run.")
    w("")
    w("```")
    w(peer.rstrip())
    w("```")
    w("")
    w(series_periods_section(args))
    w(families)
    w("## Models against XGBoost")
    w("")
    w("`/usr/bin/python3 bench/peer_xgboost.py`: binary:logistic models trained on "
      "a synthetic 28-feature set, imported with `specjit import xgboost`; XGBoost "
      "`inplace_predict` (nthread=1) and `specjit run --compare` on the same "
      "100k rows in one script run. The grid of tree counts and batch sizes "
      "against XGBoost's C API is the next section.")
    w("")
    w("```")
    w(xgb_peer.rstrip())
    w("```")
    w("")
    w("Dense models (`build/bin/specjit-model-bench --benchmark_repetitions=3`, "
      "100k rows x 28 f32 features, ns per row, medians): logistic regression "
      "(28 -> 1) and an MLP (28 -> 32 relu -> 3 softmax); the hand-written "
      "version is a straightforward per-row loop with the weights in arrays, in "
      "the same order of operations (`-O3 -march=native`).")
    w("")
    w("| model | JIT | interpreter | hand-written C++ | interpreter / JIT | hand-written / JIT |")
    w("|---|---:|---:|---:|---:|---:|")
    for model, v in dense.items():
        jit, interp, hand = v["Jit"], v["Interpreter"], v["HandWritten"]
        w(f"| {model.lower()} | {jit:.1f} | {interp:.1f} | {hand:.1f} | "
          f"{interp / jit:.2f}x | {hand / jit:.2f}x |")
    w("")
    w(trees)
    w("")
    w(train_section(args))
    notes = os.path.join(ROOT, "bench", "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            w(f.read().rstrip())
            w("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
