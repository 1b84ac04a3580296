#!/usr/bin/env python3
"""Where a cold compile's work goes, in instructions (callgrind), per stage.

Usage (after scripts/build.sh; valgrind from apt):
    /usr/bin/python3 bench/compile_breakdown.py [--build build]
        [--examples churn,housing,retail_strings] [--levels 3,2,1]

For each example descriptor and optimization level, runs
`specjit compile examples/NAME.json --timing --opt=N` (which compiles the
descriptor twice: a first compile and a steady one) under
`valgrind --tool=callgrind` with the persistent cache off, and prints the
inclusive instruction counts of the functions that own each stage, divided
by two (millions of instructions per compile):

  total     specjit::engine::compileToObjects (everything but linking)
  mlir      mlir::PassManager::run (spec dialect to the LLVM dialect)
  llvm-opt  specjit::engine::optimizeModule (the new pass manager at -ON)
  codegen   llvm::legacy::PassManagerImpl::run (instruction selection,
            register allocation, emission), with its two largest parts:
  isel      llvm::SelectionDAGISel::runOnMachineFunction
  regalloc  llvm::RegAllocBase::allocatePhysRegs
  dialects  mlir::MLIRContext::loadAllAvailableDialects (context set-up)

Valgrind's emulated CPU is not the host's (it hides AVX-512), so the
script first asks a native `specjit compile --timing` what kernels are
compiled for (its "target:" line) and passes that CPU and feature list to
the valgrind runs (SPECJIT_TARGET_CPU, SPECJIT_TARGET_FEATURES): the
instructions counted are those of the compile the host really does.

Instruction counts are repeatable where wall times on a shared machine are
not (docs/benchmarks.md, "Reading these numbers").
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STAGES = [
    ("total", r"specjit::engine::compileToObjects\(specjit::jit::Descriptor const&, "
              r"specjit::engine::CodegenOptions const&\)"),
    ("mlir", r"mlir::PassManager::run\(mlir::Operation\*\)"),
    ("llvm-opt", r"specjit::engine::optimizeModule\("),
    ("codegen", r"llvm::legacy::PassManagerImpl::run\(llvm::Module&\)"),
    ("isel", r"llvm::SelectionDAGISel::runOnMachineFunction\("),
    ("regalloc", r"llvm::RegAllocBase::allocatePhysRegs\(\)"),
    ("dialects", r"mlir::MLIRContext::loadAllAvailableDialects\(\)"),
]


def host_target(build):
    """(cpu, features) of the host's kernels, from a native compile."""
    text = subprocess.run([os.path.join(build, "bin", "specjit"), "compile",
                           os.path.join(ROOT, "examples", "churn.json"), "--timing"],
                          check=True, capture_output=True, text=True,
                          env=dict(os.environ, SPECJIT_CACHE="0")).stdout
    m = re.search(r"^target: [^,]+, cpu ([^,]+), features (\S*)$", text, re.M)
    if not m:
        sys.exit("compile_breakdown: no target line in specjit compile --timing")
    return m.group(1), m.group(2)


def breakdown(build, name, level, target):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        env = dict(os.environ, SPECJIT_CACHE="0", SPECJIT_TARGET_CPU=target[0],
                   SPECJIT_TARGET_FEATURES=target[1])
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                        os.path.join(build, "bin", "specjit"), "compile",
                        os.path.join(ROOT, "examples", name + ".json"), "--timing",
                        "--opt=%d" % level],
                       check=True, capture_output=True, env=env)
        text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                              check=True, capture_output=True, text=True).stdout
    got = {}
    for stage, pattern in STAGES:
        best = 0
        for line in text.splitlines():
            if re.search(pattern, line):
                m = re.match(r"\s*([\d,]+)", line)
                if m:
                    best = max(best, int(m.group(1).replace(",", "")))
        got[stage] = best / 2e6
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--examples", default="churn,housing,retail_strings")
    ap.add_argument("--levels", default="3,2,1")
    args = ap.parse_args()
    target = host_target(args.build)
    print("millions of instructions per compile (callgrind, the mean of a first and a "
          "steady compile), compiled for cpu %s" % target[0])
    print()
    print("| descriptor | level | total | mlir | llvm-opt | codegen | isel | regalloc "
          "| dialects |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.examples.split(","):
        for level in (int(v) for v in args.levels.split(",")):
            b = breakdown(args.build, name, level, target)
            print("| %s | O%d | %s |" % (name, level, " | ".join(
                "%.1f" % b[s] for s, _ in STAGES)))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
