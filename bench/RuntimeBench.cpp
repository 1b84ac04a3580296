//===- RuntimeBench.cpp - What the runtime adds to a call ------------------===//
//
// The per-call cost of the stats (counting every call, timing one in 16
// small calls) against the same call uncounted, and a one-row Kernel::run
// against the compiled entry point called directly (binding and checking
// the buffers, the atomic backend read, the counting). bench/runtime_bench.py
// reports these beside the tier figures.
//
//===----------------------------------------------------------------------===//

#include "Engine/KernelAccess.h"
#include "specjit/specjit.h"

#include "Engine/KernelState.h"

#include "benchmark/benchmark.h"

using specjit::engine::KernelAccess;

using namespace specjit::jit;

namespace {

/// A call that does nothing, kept opaque to the optimizer.
int64_t emptyCall(int64_t rows) {
  benchmark::DoNotOptimize(rows);
  return 0;
}

void BM_CallUncounted(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(emptyCall(1));
}
BENCHMARK(BM_CallUncounted);

void BM_CallCounted(benchmark::State &state) {
  CallCounters counters;
  for (auto _ : state)
    benchmark::DoNotOptimize(counters.count(1, [] { return emptyCall(1); }));
}
BENCHMARK(BM_CallCounted);

Kernel tinyKernel() {
  auto d = Descriptor::parse(R"({"specjit": 1, "kind": "pipeline",
    "inputs": [{"name": "x", "type": "f64"}], "output": {"type": "f64"},
    "steps": [{"op": "standardize", "column": "x", "mean": 1.5, "std": 2}]})");
  CompileOptions o;
  o.specialize = true;
  return *compile(*d, o);
}

void BM_RunOneRow(benchmark::State &state) {
  Kernel k = tinyKernel();
  double x = 3, y = 0;
  Column in = Column::f64(&x, 1);
  for (auto _ : state) {
    if (llvm::Error err = k.run(in, Output::f64(&y, 1, 1)))
      state.SkipWithError(llvm::toString(std::move(err)).c_str());
    benchmark::DoNotOptimize(y);
  }
}
BENCHMARK(BM_RunOneRow);

void BM_EntryOneRow(benchmark::State &state) {
  Kernel k = tinyKernel();
  specjit::KernelFn fn = KernelAccess::state(k)->compiled.load();
  double x = 3, y = 0;
  const void *args[] = {&x};
  for (auto _ : state) {
    benchmark::DoNotOptimize(fn(args, &y, 1));
    benchmark::DoNotOptimize(y);
  }
}
BENCHMARK(BM_EntryOneRow);

} // namespace

BENCHMARK_MAIN();
