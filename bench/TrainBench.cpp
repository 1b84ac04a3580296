//===- TrainBench.cpp - Training epochs: JIT vs generic loop vs C++ -------===//
//
//   specjit-train-bench [--rounds N] [--scale S] [--json]
//
// Two workloads, measured side by side in one process, the backends
// interleaved round by round, CPU time per epoch (median of the rounds):
//
//   logreg: logistic regression, sgd (lr 0.01, no momentum), batch 1,
//           1,000,000 x 28 (SGDClassifier's per-sample update)
//   mlp:    28 -> 64 relu -> 1 logistic, adam (lr 0.001), batch 200,
//           100,000 x 28 (MLPClassifier's default batch)
//
// Backends: jit::train with the compiled step, jit::train on the generic
// loop, and hand-written C++ of the same rules with the shapes as template
// constants (compiled -O3 -march=native, as a performance-minded user would
// build it). jit::train's per-epoch wall time comes from its history; the
// whole call's CPU time is reported too. bench/train_bench.py adds numpy
// and scikit-learn and writes the table in docs/benchmarks.md.
//
//===----------------------------------------------------------------------===//

#include "specjit/specjit.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

using namespace specjit::jit;

namespace {

double cpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

uint64_t splitMix(uint64_t &s) {
  s += 0x9E3779B97F4A7C15ull;
  uint64_t z = s;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr int F = 28;

/// Standard-normal-ish features (sum of uniforms) and 0/1 labels from a
/// fixed logistic model.
struct Data {
  int64_t rows;
  std::vector<std::vector<double>> cols; // F columns
  std::vector<double> x;                 // row-major, for the C++ loops
  std::vector<int64_t> y;
  explicit Data(int64_t n) : rows(n), cols(F, std::vector<double>(n)), x(n * F), y(n) {
    uint64_t s = 42;
    for (int64_t r = 0; r < n; ++r) {
      double m = -0.3;
      for (int c = 0; c < F; ++c) {
        double u = 0;
        for (int k = 0; k < 4; ++k)
          u += (splitMix(s) >> 11) * 0x1.0p-53;
        double v = (u - 2.0) * 1.7;
        cols[c][r] = x[r * F + c] = v;
        m += (c % 3 == 0 ? 0.4 : -0.2) * v;
      }
      double p = 1 / (1 + std::exp(-m));
      y[r] = (splitMix(s) >> 11) * 0x1.0p-53 < p ? 1 : 0;
    }
  }
  std::vector<Column> columns() const {
    std::vector<Column> c;
    for (int i = 0; i < F; ++i)
      c.push_back(Column::f64(cols[i].data(), rows));
    c.push_back(Column::i64(y.data(), rows));
    return c;
  }
};

std::string descriptor(const std::string &model, const std::string &opt, int batch, int epochs) {
  std::string inputs;
  for (int i = 0; i < F; ++i)
    inputs += llvm::formatv("{0}{{\"name\":\"f{1}\",\"type\":\"f64\"}", i ? "," : "", i);
  return llvm::formatv("{{\"specjit\":1,\"kind\":\"train\",\"inputs\":[{0}],"
                       "\"label\":{{\"name\":\"y\"},\"model\":{1},\"loss\":\"log_loss\","
                       "\"optimizer\":{2},\"epochs\":{3},\"batch_size\":{4},"
                       "\"limits\":{{\"max_feature_matrix_mb\":100000}}",
                       inputs, model, opt, epochs, batch)
      .str();
}

//===----------------------------------------------------------------------===//
// Hand-written C++ of the same rules
//===----------------------------------------------------------------------===//

double softplus(double t) { return std::max(t, 0.0) + std::log1p(std::exp(-std::fabs(t))); }

/// One epoch of per-sample SGD logistic regression; returns the mean loss.
double logregEpoch(const Data &d, double *w, double &b, double lr) {
  double total = 0;
  for (int64_t r = 0; r < d.rows; ++r) {
    const double *x = &d.x[r * F];
    double z = b;
    for (int i = 0; i < F; ++i)
      z += w[i] * x[i];
    double y = static_cast<double>(d.y[r]);
    total += y == 1 ? softplus(-z) : softplus(z);
    double g = 1 / (1 + std::exp(-z)) - y;
    for (int i = 0; i < F; ++i)
      w[i] -= lr * g * x[i];
    b -= lr * g;
  }
  return total / d.rows;
}

/// One epoch of the 28-64-1 relu MLP with adam, batches of B.
template <int H, int B> struct Mlp {
  double w1[H][F], b1[H], w2[H], b2 = 0;
  double m[H * F + H + H + 1] = {}, v[H * F + H + H + 1] = {};
  double a[B][H], dz[B], g[H * F + H + H + 1];
  int64_t t = 0;
  Mlp() {
    uint64_t s = 0;
    double l1 = std::sqrt(6.0 / (F + H)), l2 = std::sqrt(6.0 / (H + 1));
    for (auto &row : w1)
      for (double &x : row)
        x = l1 * (2 * ((splitMix(s) >> 11) * 0x1.0p-53) - 1);
    for (double &x : w2)
      x = l2 * (2 * ((splitMix(s) >> 11) * 0x1.0p-53) - 1);
    std::fill(b1, b1 + H, 0.0);
  }
  double epoch(const Data &d, double lr) {
    double total = 0;
    for (int64_t b0 = 0; b0 < d.rows; b0 += B) {
      int n = static_cast<int>(std::min<int64_t>(B, d.rows - b0));
      for (int r = 0; r < n; ++r) {
        const double *x = &d.x[(b0 + r) * F];
        double z = b2;
        for (int h = 0; h < H; ++h) {
          double s = b1[h];
          for (int i = 0; i < F; ++i)
            s += w1[h][i] * x[i];
          a[r][h] = s > 0 ? s : 0;
          z += w2[h] * a[r][h];
        }
        double y = static_cast<double>(d.y[b0 + r]);
        total += y == 1 ? softplus(-z) : softplus(z);
        dz[r] = (1 / (1 + std::exp(-z)) - y) / n;
      }
      std::fill(g, g + H * F + H + H + 1, 0.0);
      for (int r = 0; r < n; ++r) {
        const double *x = &d.x[(b0 + r) * F];
        for (int h = 0; h < H; ++h) {
          g[H * F + H + h] += dz[r] * a[r][h];
          double dh = a[r][h] > 0 ? dz[r] * w2[h] : 0;
          g[H * F + h] += dh;
          for (int i = 0; i < F; ++i)
            g[h * F + i] += dh * x[i];
        }
        g[H * F + 2 * H] += dz[r];
      }
      ++t;
      double c1 = 1 - std::pow(0.9, t), c2 = 1 - std::pow(0.999, t);
      double *p[4] = {&w1[0][0], b1, w2, &b2};
      int sizes[4] = {H * F, H, H, 1}, off = 0;
      for (int k = 0; k < 4; ++k)
        for (int i = 0; i < sizes[k]; ++i, ++off) {
          m[off] = 0.9 * m[off] + 0.1 * g[off];
          v[off] = 0.999 * v[off] + 0.001 * g[off] * g[off];
          p[k][i] -= lr * (m[off] / c1) / (std::sqrt(v[off] / c2) + 1e-8);
        }
    }
    return total / d.rows;
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v[v.size() / 2];
}

struct Figures {
  std::vector<double> jit, interp, hand;
};

/// Seconds per epoch of jit::train: CPU time of a call of `epochs` epochs
/// minus one of 1 epoch (the features, the limits and the model text are
/// the same in both), over the extra epochs.
double trainEpochSeconds(const std::string &model, const std::string &opt, int batch, const Data &d,
                         bool specialize, int epochs) {
  TrainOptions o;
  o.specialize = specialize;
  auto one = Descriptor::parse(descriptor(model, opt, batch, 1));
  auto many = Descriptor::parse(descriptor(model, opt, batch, epochs));
  if (!one || !many) {
    llvm::errs() << "bad descriptor\n";
    std::exit(1);
  }
  std::vector<Column> cols = d.columns();
  (void)train(*one, cols, o); // compiles once
  double t0 = cpuSeconds();
  auto r1 = train(*one, cols, o);
  double t1 = cpuSeconds();
  auto rn = train(*many, cols, o);
  double t2 = cpuSeconds();
  if (!r1 || !rn) {
    llvm::errs() << "train failed\n";
    std::exit(1);
  }
  if (specialize && rn->backend != Backend::Jit) {
    llvm::errs() << "the JIT fell back: " << rn->fallbackReason << "\n";
    std::exit(1);
  }
  return ((t2 - t1) - (t1 - t0)) / (epochs - 1);
}

} // namespace

int main(int argc, char **argv) {
  int rounds = 5;
  double scale = 1.0;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--scale") && i + 1 < argc)
      scale = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--json"))
      json = true;
  }
  Data lr(static_cast<int64_t>(1000000 * scale));
  Data mlp(static_cast<int64_t>(100000 * scale));
  const std::string lrModel = R"({"type":"linear","link":"logistic"})";
  const std::string lrOpt = R"({"type":"sgd","learning_rate":0.01})";
  const std::string mlpModel =
      R"({"type":"mlp","link":"logistic","layers":[)"
      R"({"units":64,"activation":"relu"},{"units":1,"activation":"identity"}]})";
  const std::string mlpOpt = R"({"type":"adam","learning_rate":0.001})";
  Figures flr, fmlp;
  for (int k = 0; k < rounds; ++k) {
    flr.jit.push_back(trainEpochSeconds(lrModel, lrOpt, 1, lr, true, 3));
    flr.interp.push_back(trainEpochSeconds(lrModel, lrOpt, 1, lr, false, 3));
    std::vector<double> w(F, 0.0);
    double b = 0, t0 = cpuSeconds();
    logregEpoch(lr, w.data(), b, 0.01);
    flr.hand.push_back(cpuSeconds() - t0);
    fmlp.jit.push_back(trainEpochSeconds(mlpModel, mlpOpt, 200, mlp, true, 3));
    fmlp.interp.push_back(trainEpochSeconds(mlpModel, mlpOpt, 200, mlp, false, 3));
    auto net = std::make_unique<Mlp<64, 200>>();
    t0 = cpuSeconds();
    net->epoch(mlp, 0.001);
    fmlp.hand.push_back(cpuSeconds() - t0);
  }
  auto report = [&](const char *name, const Figures &f, int64_t rows) {
    double j = median(f.jit), i = median(f.interp), h = median(f.hand);
    if (json)
      llvm::outs() << llvm::formatv(
          "{{\"workload\": \"{0}\", \"rows\": {1}, \"jit_s_per_epoch\": {2:f6}, "
          "\"interpreter_s_per_epoch\": {3:f6}, \"handwritten_s_per_epoch\": {4:f6}}\n",
          name, rows, j, i, h);
    else
      llvm::outs() << llvm::formatv(
          "{0,-7} {1,8} rows: jit {2,8:f4} s/epoch, interpreter {3,8:f4} ({4:f2}x), "
          "hand-written C++ {5,8:f4} (jit at {6:f2}x of it)\n",
          name, rows, j, i, i / j, h, j / h);
  };
  report("logreg", flr, lr.rows);
  report("mlp", fmlp, mlp.rows);
  return 0;
}
