#!/usr/bin/env python3
"""The tree-ensemble grid: specjit (JIT and interpreter) against XGBoost's C API.

Usage (after scripts/build.sh; Debian's python3 with python3-xgboost):
    /usr/bin/python3 bench/tree_grid.py [--build build] [--models-dir DIR]
        [--models 100x6,100x8,500x6,500x8,1000x6,1000x8] [--rows 100000]

1. bench/train_tree_models.py trains the binary:logistic models (cached in
   --models-dir: a model whose file exists is not retrained).
2. build/bin/specjit-tree-bench runs XGBoost (C API, nthread=1), the specjit
   interpreter and the JIT on the same rows in one process, interleaved, at
   batch 1, 100 and all rows, and checks their agreement.
3. `specjit import xgboost` writes each model's descriptor, and
   `specjit compile DESC --timing` runs once per model as a subprocess: its
   stage times and its peak RSS (wait4) give compile time and memory against
   the tree count.

Prints the markdown section (bench/run_benchmarks.py includes it in
docs/benchmarks.md); the raw results go to --json-out (default
MODELS_DIR/grid_results.json).
"""
import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODELS = "100x6,100x8,500x6,500x8,1000x6,1000x8"


def parse_models(text):
    out = []
    for item in text.split(","):
        if item.strip():
            t, d = item.strip().lower().split("x")
            out.append((int(t), int(d)))
    return out


def run_measured(cmd, stdout_path, timeout):
    """Runs cmd; returns (exit code or None on timeout, wall s, peak RSS MiB, stderr)."""
    with open(stdout_path, "w") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = t0 + timeout
        status = ru = None
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.send_signal(signal.SIGKILL)
                _, status, ru = os.wait4(p.pid, 0)
                status = None
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        p.returncode = -1 if status is None else os.waitstatus_to_exitcode(status)
        err.seek(0)
        return (None if status is None else p.returncode, wall,
                ru.ru_maxrss / 1024.0, ru.ru_utime + ru.ru_stime, err.read().strip())


def parse_timing(text):
    """`specjit compile --timing` output -> (first compile ms, {stage: ms})."""
    first, stages = None, {}
    for line in text.splitlines():
        if line.startswith("first compile in this process:"):
            first = float(line.split(":")[1].split("ms")[0])
        else:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "ms":
                stages[parts[0]] = float(parts[1])
    return first, stages


def compile_costs(specjit, model_paths, work, timeout):
    """Per model: `specjit import xgboost` then `specjit compile --timing`."""
    results = {}
    # The driver's baseline: a trivial descriptor, for the RSS every compile pays.
    base = os.path.join(work, "baseline.json")
    with open(base, "w") as f:
        f.write('{"specjit":1,"kind":"model","inputs":[{"name":"a","type":"f32"}],'
                '"model":{"type":"linear","weights":[0.5],"intercepts":[0.25]},'
                '"output":{"type":"f32"}}')
    rc, wall, rss, cpu, err = run_measured([specjit, "compile", base, "--timing"],
                                           os.path.join(work, "baseline.out"), timeout)
    results["__baseline__"] = {"rss_mib": rss, "wall_s": wall, "ok": rc == 0}
    for path in model_paths:
        name = os.path.splitext(os.path.basename(path))[0]
        desc = os.path.join(work, name + ".desc.json")
        r = {"name": name}
        imp = subprocess.run([specjit, "import", "xgboost", path], capture_output=True,
                             text=True)
        if imp.returncode != 0:
            r["error"] = "import: " + imp.stderr.strip()
            results[name] = r
            continue
        with open(desc, "w") as f:
            f.write(imp.stdout)
        r["descriptor_bytes"] = len(imp.stdout)
        out = os.path.join(work, name + ".timing.txt")
        cmd = [specjit, "compile", desc, "--timing"]
        rc, wall, rss, cpu, err = run_measured(cmd, out, timeout)
        r.update({"wall_s": wall, "cpu_s": cpu, "rss_mib": rss})
        if rc is None:
            r["error"] = f"timed out after {timeout:.0f} s"
        elif rc != 0:
            r["error"] = err.replace("specjit: error: ", "") or f"exit code {rc}"
        else:
            with open(out) as f:
                r["first_ms"], r["stages"] = parse_timing(f.read())
        results[name] = r
        print(f"compile {name}: " + (r.get("error") or
              f"{r['stages'].get('total', 0):.0f} ms, peak RSS {rss:.0f} MiB"),
              file=sys.stderr, flush=True)
    return results


def short(reason, n=160):
    reason = " ".join(reason.split())
    return reason if len(reason) <= n else reason[:n - 3] + "..."


def fmt(v, spec=None):
    if v is None:
        return "-"
    if spec is None:  # ns: one decimal below 100, thousands separators above
        spec = "{:.1f}" if abs(v) < 100 else "{:,.0f}"
    return spec.format(v)


def markdown(bench, costs, manifest, args, command):
    lines = []
    w = lines.append
    w("## Tree ensembles against XGBoost's C API")
    w("")
    w(f"Generated by `{command}`. binary:logistic models (`tree_method=hist`, "
      f"eta 0.1) trained by `bench/train_tree_models.py` on "
      f"{manifest.get('train_rows', '?')} rows of a synthetic 28-feature set "
      "(f32, ~5% NaN, nonlinear target); all timings on the same "
      f"{bench['rows']} evaluation rows, one thread, in one process per model "
      "(`build/bin/specjit-tree-bench MODEL.json`, XGBoost "
      f"{bench['xgboost']}).")
    w("")
    w("- **xgboost**: the faster of `XGBoosterPredictFromDense` on a dense "
      "array interface (what `inplace_predict` calls; the JSON strings are built "
      "before timing) and `XGDMatrixCreateFromMat` + "
      "`XGBoosterPredictFromDMatrix` with the DMatrix creation timed (marked "
      "`dm`); `nthread=1` on the booster; the result is copied out of "
      "XGBoost's buffer, as a caller must.")
    w("- **interpreter**: `jit::compile` with `specialize=false`; **jit**: "
      "the specialized kernel (\"fallback\" when the compiler handed it to the "
      "interpreter). specjit reads columns: at batch 1 every feature column "
      "points into the row itself (no copy); at batch 100 and above the JIT "
      "reads column-major copies, and **jit+T** also transposes the row-major "
      "batch into column scratch first (the cost a row-major caller pays).")
    w(f"- Batch 1: {bench['latency_calls']} different rows per round, "
      f"{bench['latency_rounds']} rounds, every call timed alone in wall time, "
      f"median ns per call. Batch 100: {bench['chunks']} consecutive batches per "
      f"round, {bench['rounds']} rounds, every call timed alone in process CPU "
      "time, median ns per row. All rows: one call per round, process CPU time, "
      f"ns per row, best of {bench['rounds']} rounds. CPU time leaves out the "
      "waits for a core on the shared machine (every implementation computes on "
      "the calling thread); medians let a preempted call spoil one sample, not "
      "the estimate. Every round runs all the implementations, in an order "
      "rotated per round. Before the timing of each batch size, each "
      "implementation's output over that plan is checked bit for bit against "
      "its own all-rows output (status `wrong results` otherwise).")
    w("")
    w("| model | leaves/tree | batch | xgboost | interpreter | jit | jit+T | "
      "xgboost / jit | interpreter / jit |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    failures = []
    for m in bench["models"]:
        info = manifest.get("models", {}).get(m["name"], {})
        depth = info.get("depth")
        leaves = (f"{info['mean_leaves']:.0f} of {2 ** depth}"
                  if "mean_leaves" in info and depth else "-")
        status = m["status"]
        fallback = m["jit_backend"] == "interpreter"
        if status != "ok" and not fallback:
            failures.append((m["name"], status))
        for batch, ns in sorted(m["batches"].items(), key=lambda kv: int(kv[0])):
            xi, xd = ns.get("xgb inplace"), ns.get("xgb dmatrix")
            xgb = min(v for v in (xi, xd) if v is not None) if (xi or xd) else None
            tag = " dm" if xgb is not None and xd is not None and xgb == xd and xd != xi else ""
            jit, interp, jt = ns.get("jit"), ns.get("interpreter"), ns.get("jit+T")
            jit_text = (fmt(jit) if jit is not None else "fallback" if fallback else
                        "not run" if status != "ok" else "-")
            label = "1 (ns/call)" if batch == "1" else f"{int(batch):,}"
            # A fallback kernel is the interpreter: compare XGBoost with it.
            vs_interp = (f"{xgb / interp:.2f}x vs interp." if fallback and xgb and interp
                         else "-")
            w(f"| {m['name']} | {leaves} | {label} | {fmt(xgb)}{tag} | {fmt(interp)} | "
              f"{jit_text} | {fmt(jt) if batch != '1' or jit is None else '='} | "
              f"{fmt(xgb / jit, '{:.2f}x') if xgb and jit else vs_interp} | "
              f"{fmt(interp / jit, '{:.2f}x') if interp and jit else '-'} |")
    w("")
    w("ns per row (batch 1: per call); `=`: at batch 1 the JIT reads the row in "
      "place; `fallback`: `jit::compile` handed the kernel to the interpreter "
      "(the reason is in the status below), so XGBoost is compared with the "
      "interpreter. Ratios are of times measured side by side in one run.")
    w("")
    w("Agreement on all evaluation rows (and XGBoost's C API output against the "
      "probabilities its Python package saved at training), in-process compile "
      "time, and the fixed "
      "cost of a call at batch 1: XGBoost asked for the first tree only "
      "(`iteration_end=1`), and specjit's compiled function and interpreter "
      "called directly, without `Kernel::run`'s argument checks (internal API, "
      "diagnostic only):")
    w("")
    w("| model | trees | JIT vs interpreter | max rel. diff vs XGBoost (JIT / interp.) | "
      "XGBoost C API vs Python | `jit::compile` ms (wall / CPU) | batch 1 ns: XGBoost "
      "with 1 tree | compiled fn alone | interpreter alone | status |")
    w("|---|---:|---|---:|---|---:|---:|---:|---:|---|")
    for m in bench["models"]:
        bits = m["jit_interp_bit_mismatches"]
        same = ("-" if bits is None or bits < 0 else
                "bit for bit" if bits == 0 else f"{bits} rows differ")
        rel = (f"{fmt(m['max_rel_jit_xgb'], '{:.1e}')} / "
               f"{fmt(m['max_rel_interp_xgb'], '{:.1e}')}")
        status = "ok" if m["status"] == "ok" else short(m["status"], 120)
        w(f"| {m['name']} | {m['boosted_rounds'] if m['boosted_rounds'] is not None else '-'} | "
          f"{same} | {rel} | "
          f"{m.get('python_check') or '-'} | "
          f"{fmt(m['compile_ms'], '{:,.0f}')} / {fmt(m.get('compile_cpu_ms'), '{:,.0f}')} | "
          f"{fmt(m['xgb_one_tree_batch1_ns'])} | {fmt(m.get('jit_raw_batch1_ns'))} | "
          f"{fmt(m.get('interp_raw_batch1_ns'))} | {status} |")
    w("")
    if costs:
        base = costs.get("__baseline__", {})
        w("Compile time and peak memory against the tree count: `specjit import "
          "xgboost MODEL.json > DESC.json`, then `specjit compile DESC.json --timing` "
          "as a subprocess per model (no kernel-size limit applies there: it compiles "
          "what `jit::compile` might hand to the interpreter). The process compiles "
          "twice: the first compile (which also sets up LLVM's target and the JIT) "
          "and a steady-state one, whose stages are shown (wall time, so inflated "
          "when the machine is busy; the process CPU time is the robust figure, "
          "about two compiles). Peak RSS (from `wait4`) covers the whole process; "
          f"with a trivial descriptor it is {fmt(base.get('rss_mib'), '{:.0f}')} MiB.")
        w("")
        w("| model | descriptor MB | MLIR ms | LLVM opt ms | codegen ms | total ms | "
          "first compile ms | process wall / CPU s | peak RSS MiB |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for m in bench["models"]:
            c = costs.get(m["name"], {})
            if not c:
                w(f"| {m['name']} | - | not measured | | | | | | |")
                continue
            if "error" in c:
                w(f"| {m['name']} | {fmt(c.get('descriptor_bytes') and c['descriptor_bytes'] / 1e6, '{:.1f}')} "
                  f"| {short(c['error'], 140)} | | | | | {fmt(c.get('wall_s'), '{:.1f}')} / "
                  f"{fmt(c.get('cpu_s'), '{:.1f}')} | {fmt(c.get('rss_mib'), '{:.0f}')} |")
                continue
            t = c.get("stages", {})
            mlir = sum(t.get(k, 0) for k in ("descriptor", "spec", "lowered", "llvm-dialect", "llvm"))
            w(f"| {m['name']} | {c['descriptor_bytes'] / 1e6:.1f} | {mlir:.0f} | "
              f"{t.get('llvm-opt', 0):.0f} | {t.get('obj', 0):.0f} | {t.get('total', 0):.0f} | "
              f"{fmt(c.get('first_ms'), '{:.0f}')} | {c['wall_s']:.1f} / {c['cpu_s']:.1f} | "
              f"{c['rss_mib']:.0f} |")
    if failures:
        if lines[-1] != "":
            w("")
        w("Models that did not run on specjit:")
        w("")
        for name, status in failures:
            w(f"- {name}: {short(status, 300)}")
    return "\n".join(lines)


def section(argv=None):
    """The markdown section for the command line `argv` (default sys.argv)."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models-dir", default=None,
                    help="where models are cached (default BUILD/data/trees)")
    ap.add_argument("--models", default=DEFAULT_MODELS,
                    help="comma-separated TREESxDEPTH (default %(default)s)")
    ap.add_argument("--train-rows", type=int, default=100000)
    ap.add_argument("--rows", type=int, default=0, help="eval rows (default all 100k)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--latency-rounds", type=int, default=5)
    ap.add_argument("--latency-calls", type=int, default=2000)
    ap.add_argument("--no-compile-costs", action="store_true",
                    help="skip the `specjit compile --timing` subprocesses")
    ap.add_argument("--compile-timeout", type=float, default=1800,
                    help="seconds per `specjit compile --timing` (default %(default)s)")
    ap.add_argument("--bench-timeout", type=float, default=3600,
                    help="seconds per model in specjit-tree-bench (default %(default)s)")
    ap.add_argument("--json-out", default=None,
                    help="raw results (default MODELS_DIR/grid_results.json)")
    ap.add_argument("--via", default=None,
                    help="the command that ran this one, for the provenance line")
    args = ap.parse_args(argv)
    models_dir = args.models_dir or os.path.join(args.build, "data", "trees")
    args.json_out = args.json_out or os.path.join(models_dir, "grid_results.json")
    grid = parse_models(args.models)
    shown = [a for a in (argv if argv is not None else sys.argv[1:])]
    if args.via:  # drop --via and its value from the command shown
        i = shown.index("--via") if "--via" in shown else None
        shown = shown[:i] + shown[i + 2:] if i is not None else \
            [a for a in shown if not a.startswith("--via=")]
    command = ("/usr/bin/python3 bench/tree_grid.py " +
               " ".join(shlex.quote(a) for a in shown)).strip()
    if args.via:
        command = f"{args.via}`, which runs `{command}"
    return grid_markdown(args, models_dir, grid, command)


def main():
    print(section())
    return 0


def run_bench(args, paths, work):
    """specjit-tree-bench, one process per model: a crash or a hang in one
    model (the compiler aborting, memory running out) is reported for that
    model and the grid goes on."""
    bench, models = None, []
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        out = os.path.join(work, name + ".bench.json")
        cmd = [os.path.join(args.build, "bin", "specjit-tree-bench"), "--json", out,
               "--rounds", str(args.rounds), "--latency-rounds", str(args.latency_rounds),
               "--latency-calls", str(args.latency_calls)]
        if args.rows:
            cmd += ["--rows", str(args.rows)]
        try:
            p = subprocess.run(cmd + [path], capture_output=True, text=True,
                               timeout=args.bench_timeout)
            rc, stdout, stderr = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            rc, stdout, stderr = None, "", f"timed out after {args.bench_timeout:.0f} s"
        print(stdout, file=sys.stderr, flush=True)
        if rc == 0 and os.path.exists(out):
            with open(out) as f:
                data = json.load(f)
            bench = bench or data
            models += data["models"]
            continue
        why = (stderr.strip().splitlines() or ["no output"])[-1]
        reason = ("killed by signal %d" % -rc if rc is not None and rc < 0 else
                  "exit code %s" % rc if rc is not None else "timeout")
        models.append({"name": name, "path": path, "boosted_rounds": None,
                       "status": f"specjit-tree-bench failed ({reason}): {why}",
                       "jit_backend": "", "batches": {}, "compile_ms": None,
                       "jit_interp_bit_mismatches": None, "max_rel_jit_xgb": None,
                       "max_rel_interp_xgb": None, "xgb_one_tree_batch1_ns": None})
    if bench is None:
        bench = {"rows": args.rows or "?", "xgboost": "?", "rounds": args.rounds,
                 "latency_rounds": args.latency_rounds,
                 "latency_calls": args.latency_calls, "chunks": 100}
    bench["models"] = models
    return bench


def grid_markdown(args, models_dir, grid, command):
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "train_tree_models.py"),
                    "--outdir", models_dir, "--train-rows", str(args.train_rows),
                    "--models", ",".join(f"{t}x{d}" for t, d in grid)],
                   check=True, stdout=sys.stderr)
    with open(os.path.join(models_dir, "manifest.json")) as f:
        manifest = json.load(f)
    names = [f"xgb_{t}_d{d}" for t, d in grid]
    manifest["train_rows"] = next((manifest["models"][n].get("train_rows") for n in names
                                   if n in manifest.get("models", {})), None)
    paths = [os.path.join(models_dir, n + ".json") for n in names]
    with tempfile.TemporaryDirectory() as work:
        bench = run_bench(args, paths, work)
        costs = {}
        if not args.no_compile_costs:
            costs = compile_costs(os.path.join(args.build, "bin", "specjit"), paths, work,
                                  args.compile_timeout)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"bench": bench, "compile": costs, "manifest": manifest}, f, indent=1)
    return markdown(bench, costs, manifest, args, command)


if __name__ == "__main__":
    sys.exit(main())
