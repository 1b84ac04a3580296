//===- ModelBench.cpp - Dense models: JIT vs interpreter vs hand-written --===//
//
// 100k rows of 28 f32 features, in one process on the same buffers:
//   logistic regression (28 -> 1, logistic link) and an MLP
//   (28 -> 32 relu -> 3, softmax), each as
//   Jit          the specialized kernel (weights as constants)
//   Interpreter  the generic kernel
//   HandWritten  the same model written by hand with the weights in arrays
//                (what a careful engineer writes; -O3 -march=native)
//
//===----------------------------------------------------------------------===//

#include "specjit/specjit.h"

#include "benchmark/benchmark.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace specjit::jit;

namespace {

constexpr int64_t kRows = 100000;
constexpr int kFeatures = 28, kHidden = 32, kClasses = 3;

struct Data {
  std::vector<std::vector<float>> cols;
  std::vector<double> w1, b1, w2, b2, lw;
  double lb = 0.25;
  Descriptor linear, mlp;

  static std::string numbers(const double *p, size_t n) {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i)
      s += (i ? "," : "") + std::to_string(p[i]);
    return s + "]";
  }
  static std::string matrix(const std::vector<double> &w, int rows, int cols) {
    std::string s = "[";
    for (int r = 0; r < rows; ++r)
      s += (r ? "," : "") + numbers(w.data() + r * cols, cols);
    return s + "]";
  }

  Data()
      : linear(*Descriptor::parse(
            R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"x","type":"f64"}],"output":{"type":"f64"}})")),
        mlp(linear) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> n(0, 1);
    cols.assign(kFeatures, std::vector<float>(kRows));
    for (auto &c : cols)
      for (float &v : c)
        v = static_cast<float>(n(rng));
    // std::to_string keeps 6 decimals: round the weights to what it prints so
    // the descriptor and the hand-written model use the same constants.
    auto draw = [&](size_t k, double scale) {
      std::vector<double> v(k);
      for (double &x : v)
        x = std::stod(std::to_string(n(rng) * scale));
      return v;
    };
    lw = draw(kFeatures, 0.3);
    w1 = draw(kHidden * kFeatures, 0.2);
    b1 = draw(kHidden, 0.1);
    w2 = draw(kClasses * kHidden, 0.2);
    b2 = draw(kClasses, 0.1);
    std::string inputs = "[";
    for (int j = 0; j < kFeatures; ++j)
      inputs +=
          std::string(j ? "," : "") + R"({"name":"f)" + std::to_string(j) + R"(","type":"f32"})";
    inputs += "]";
    linear = *Descriptor::parse(
        R"({"specjit":1,"kind":"model","inputs":)" + inputs +
        R"(,"model":{"type":"linear","weights":[)" + numbers(lw.data(), kFeatures) +
        R"(],"intercepts":[0.25],"link":"logistic"},"output":{"type":"f32"}})");
    mlp = *Descriptor::parse(
        R"({"specjit":1,"kind":"model","inputs":)" + inputs +
        R"(,"model":{"type":"mlp","layers":[{"weights":)" + matrix(w1, kHidden, kFeatures) +
        R"(,"biases":)" + numbers(b1.data(), kHidden) + R"(,"activation":"relu"},{"weights":)" +
        matrix(w2, kClasses, kHidden) + R"(,"biases":)" + numbers(b2.data(), kClasses) +
        R"(,"activation":"identity"}],"link":"softmax"},"output":{"type":"f32"}})");
  }
  std::vector<Column> columns() const {
    std::vector<Column> c;
    for (const auto &col : cols)
      c.push_back(Column::f32(col.data(), kRows));
    return c;
  }
};

Data &data() {
  static Data d;
  return d;
}

void setRate(benchmark::State &state) {
  state.counters["ns_per_row"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kRows,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void runModel(benchmark::State &state, const Descriptor &d, int outputs, bool specialize) {
  CompileOptions o;
  o.specialize = specialize;
  auto k = compile(d, o);
  if (!k || (specialize && k->backend() != Backend::Jit)) {
    state.SkipWithError("compile failed or fell back");
    return;
  }
  std::vector<float> out(kRows * outputs);
  auto cols = data().columns();
  for (auto _ : state) {
    if (auto err = k->run(cols, Output::f32(out.data(), kRows, outputs))) {
      state.SkipWithError(llvm::toString(std::move(err)).c_str());
      return;
    }
    benchmark::ClobberMemory();
  }
  setRate(state);
}

void BM_Linear_Jit(benchmark::State &s) { runModel(s, data().linear, 1, true); }
void BM_Linear_Interpreter(benchmark::State &s) { runModel(s, data().linear, 1, false); }
void BM_Mlp_Jit(benchmark::State &s) { runModel(s, data().mlp, kClasses, true); }
void BM_Mlp_Interpreter(benchmark::State &s) { runModel(s, data().mlp, kClasses, false); }

__attribute__((noinline)) void linearByHand(const Data &d, float *out) {
  for (int64_t r = 0; r < kRows; ++r) {
    double m = d.lw[0] * d.cols[0][r];
    for (int j = 1; j < kFeatures; ++j)
      m = m + d.lw[j] * d.cols[j][r];
    m = m + d.lb;
    out[r] = static_cast<float>(1.0 / (1.0 + std::exp(-m)));
  }
}

__attribute__((noinline)) void mlpByHand(const Data &d, float *out) {
  double x[kFeatures], h[kHidden], z[kClasses];
  for (int64_t r = 0; r < kRows; ++r) {
    for (int j = 0; j < kFeatures; ++j)
      x[j] = d.cols[j][r];
    for (int o = 0; o < kHidden; ++o) {
      double s = d.w1[o * kFeatures] * x[0];
      for (int j = 1; j < kFeatures; ++j)
        s = s + d.w1[o * kFeatures + j] * x[j];
      s = s + d.b1[o];
      h[o] = s > 0 ? s : 0;
    }
    double mx = 0;
    for (int c = 0; c < kClasses; ++c) {
      double s = d.w2[c * kHidden] * h[0];
      for (int j = 1; j < kHidden; ++j)
        s = s + d.w2[c * kHidden + j] * h[j];
      z[c] = s + d.b2[c];
      mx = c == 0 || z[c] > mx ? z[c] : mx;
    }
    double e[kClasses], sum = 0;
    for (int c = 0; c < kClasses; ++c) {
      e[c] = std::exp(z[c] - mx);
      sum = c == 0 ? e[c] : sum + e[c];
    }
    for (int c = 0; c < kClasses; ++c)
      out[r * kClasses + c] = static_cast<float>(e[c] / sum);
  }
}

void BM_Linear_HandWritten(benchmark::State &state) {
  std::vector<float> out(kRows);
  for (auto _ : state) {
    linearByHand(data(), out.data());
    benchmark::ClobberMemory();
  }
  setRate(state);
}

void BM_Mlp_HandWritten(benchmark::State &state) {
  std::vector<float> out(kRows * kClasses);
  for (auto _ : state) {
    mlpByHand(data(), out.data());
    benchmark::ClobberMemory();
  }
  setRate(state);
}

} // namespace

BENCHMARK(BM_Linear_HandWritten)->Unit(benchmark::kMillisecond)->MinTime(0.3);
BENCHMARK(BM_Linear_Jit)->Unit(benchmark::kMillisecond)->MinTime(0.3);
BENCHMARK(BM_Linear_Interpreter)->Unit(benchmark::kMillisecond)->MinTime(0.3);
BENCHMARK(BM_Mlp_HandWritten)->Unit(benchmark::kMillisecond)->MinTime(0.3);
BENCHMARK(BM_Mlp_Jit)->Unit(benchmark::kMillisecond)->MinTime(0.3);
BENCHMARK(BM_Mlp_Interpreter)->Unit(benchmark::kMillisecond)->MinTime(0.3);

BENCHMARK_MAIN();
