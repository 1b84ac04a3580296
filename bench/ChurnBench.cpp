//===- ChurnBench.cpp - The churn pipeline, side by side ------------------===//
//
// 1M rows: age i64 (standardize), income f64 (log then standardize),
// engagement f64 (clip [0, 1]), category i64 with -1 missing (impute the most
// frequent value, one-hot of 3) -> a 1M x 6 f32 matrix.
//
// Every variant runs in the same process on the same buffers:
//   Jit          the specialized kernel from jit::compile
//   Interpreter  the generic kernel (specialization off)
//   HandWritten  the same pipeline written by hand in C++ with the constants
//   MemoryFloor  memcpy of the same input and output bytes
// plus the cold compile time and the cache-hit lookup time.
//
//===----------------------------------------------------------------------===//

#include "Engine/KernelAccess.h"
#include "specjit/specjit.h"

#include "benchmark/benchmark.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using specjit::engine::KernelAccess;

using namespace specjit::jit;

namespace {

constexpr int64_t kRows = 1000000;
constexpr int kCols = 6;

const char *kChurn = R"({
  "specjit": 1, "kind": "pipeline", "name": "churn_features",
  "inputs": [{"name": "age", "type": "i64"}, {"name": "income", "type": "f64"},
             {"name": "engagement", "type": "f64"},
             {"name": "category", "type": "i64", "missing": -1}],
  "output": {"type": "f32"},
  "steps": [{"op": "standardize", "column": "age", "mean": 41.2, "std": 12.7},
            {"op": "log", "column": "income"},
            {"op": "standardize", "column": "income", "mean": 10.8, "std": 0.9},
            {"op": "clip", "column": "engagement", "min": 0.0, "max": 1.0},
            {"op": "impute", "column": "category", "value": 1},
            {"op": "one_hot", "column": "category", "categories": [0, 1, 2]}]})";

struct Data {
  std::vector<int64_t> age, category;
  std::vector<double> income, engagement;
  std::vector<float> out;
  std::vector<char> copySrc, copyDst;
  Descriptor desc;

  Data() : desc(*Descriptor::parse(kChurn)) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> ageD(41, 12), incD(10.8, 0.9);
    std::uniform_real_distribution<double> u(0, 1);
    for (int64_t i = 0; i < kRows; ++i) {
      age.push_back(std::max<int64_t>(18, static_cast<int64_t>(ageD(rng))));
      income.push_back(u(rng) < 0.01 ? NAN : std::exp(incD(rng)));
      engagement.push_back(u(rng) * 1.2 - 0.1);
      double c = u(rng);
      category.push_back(c < 0.03 ? -1 : c < 0.3 ? 0 : c < 0.8 ? 1 : 2);
    }
    out.assign(kRows * kCols, 0.0f);
    size_t inBytes = kRows * 4 * 8, outBytes = kRows * kCols * 4;
    copySrc.assign(inBytes + outBytes, 1);
    copyDst.assign(inBytes + outBytes, 0);
  }
  std::vector<Column> columns() const {
    return {Column::i64(age.data(), kRows), Column::f64(income.data(), kRows),
            Column::f64(engagement.data(), kRows), Column::i64(category.data(), kRows)};
  }
};

Data &data() {
  static Data d;
  return d;
}

void setRate(benchmark::State &state) {
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["ns_per_row"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kRows,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(state.iterations() * kRows * (4 * 8 + kCols * 4));
}

void runKernel(benchmark::State &state, bool specialize) {
  Data &d = data();
  CompileOptions o;
  o.specialize = specialize;
  auto k = compile(d.desc, o);
  if (!k) {
    state.SkipWithError(llvm::toString(k.takeError()).c_str());
    return;
  }
  if (specialize && k->backend() != Backend::Jit) {
    state.SkipWithError(("fell back: " + k->fallbackReason()).c_str());
    return;
  }
  auto cols = d.columns();
  Output out = Output::f32(d.out.data(), kRows, kCols);
  for (auto _ : state) {
    if (auto err = k->run(cols, out)) {
      state.SkipWithError(llvm::toString(std::move(err)).c_str());
      return;
    }
    benchmark::ClobberMemory();
  }
  setRate(state);
}

void BM_Churn_Jit(benchmark::State &state) { runKernel(state, true); }
void BM_Churn_Interpreter(benchmark::State &state) { runKernel(state, false); }

/// What a careful engineer would write by hand for this one pipeline.
__attribute__((noinline)) void churnByHand(const int64_t *__restrict age,
                                           const double *__restrict income,
                                           const double *__restrict engagement,
                                           const int64_t *__restrict category,
                                           float *__restrict out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float *o = out + i * kCols;
    o[0] = static_cast<float>((static_cast<double>(age[i]) - 41.2) / 12.7);
    o[1] = static_cast<float>((std::log(income[i]) - 10.8) / 0.9);
    double e = engagement[i];
    o[2] = static_cast<float>(e < 0.0 ? 0.0 : (e > 1.0 ? 1.0 : e));
    int64_t c = category[i] == -1 ? 1 : category[i];
    o[3] = c == 0 ? 1.0f : 0.0f;
    o[4] = c == 1 ? 1.0f : 0.0f;
    o[5] = c == 2 ? 1.0f : 0.0f;
  }
}

void BM_Churn_HandWritten(benchmark::State &state) {
  Data &d = data();
  for (auto _ : state) {
    churnByHand(d.age.data(), d.income.data(), d.engagement.data(), d.category.data(), d.out.data(),
                kRows);
    benchmark::ClobberMemory();
  }
  setRate(state);
}

/// The physical limit: move the same input and output bytes once.
void BM_Churn_MemoryFloor(benchmark::State &state) {
  Data &d = data();
  for (auto _ : state) {
    std::memcpy(d.copyDst.data(), d.copySrc.data(), d.copySrc.size());
    benchmark::ClobberMemory();
  }
  setRate(state);
}

void BM_Churn_ColdCompile(benchmark::State &state) {
  Data &d = data();
  CompileOptions o;
  o.specialize = true;
  o.useCache = false;
  for (auto _ : state) {
    auto k = compile(d.desc, o);
    if (!k || k->backend() != Backend::Jit) {
      state.SkipWithError("compile failed");
      return;
    }
    benchmark::DoNotOptimize(KernelAccess::state(*k).get());
  }
}

void BM_Churn_CacheHit(benchmark::State &state) {
  Data &d = data();
  CompileOptions o;
  o.specialize = true;
  if (!compile(d.desc, o)) {
    state.SkipWithError("compile failed");
    return;
  }
  for (auto _ : state) {
    auto k = compile(d.desc, o);
    benchmark::DoNotOptimize(KernelAccess::state(*k).get());
  }
}

} // namespace

BENCHMARK(BM_Churn_MemoryFloor)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Churn_HandWritten)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Churn_Jit)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Churn_Interpreter)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Churn_ColdCompile)->Unit(benchmark::kMillisecond)->Iterations(21);
BENCHMARK(BM_Churn_CacheHit)->Unit(benchmark::kNanosecond);

BENCHMARK_MAIN();
