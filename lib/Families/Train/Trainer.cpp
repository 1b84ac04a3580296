//===- Trainer.cpp - The generic training loop ----------------------------===//
//
// docs/train-semantics.md, rule for rule. The model is a stack of dense
// layers (a linear model is one identity layer) followed by the link; a batch
// runs forward through every layer into per-layer activation buffers,
// computes the per-row loss and d(loss)/dz, back-propagates deltas layer by
// layer, accumulates the gradients, and then updates every parameter with
// the optimizer. The shapes, activations, loss and optimizer are looked up
// at run time: this is the generic code the compiled loop specializes.
//
//===----------------------------------------------------------------------===//

#include "Families/Train/Trainer.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace specjit {
namespace train {

using jit::Activation;
using jit::Link;
using jit::Loss;
using jit::OptimizerType;
using jit::TrainSpec;

uint64_t splitMix64(uint64_t &state) {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

namespace {

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The layer stack as the loop sees it.
struct Layer {
  int64_t inputs = 0, outputs = 0;
  Activation activation = Activation::Identity;
};

std::vector<Layer> layersOf(const TrainSpec &spec) {
  std::vector<Layer> out;
  if (spec.modelType == jit::ModelType::Linear) {
    out.push_back({spec.numFeatures, spec.numOutputs, Activation::Identity});
    return out;
  }
  int64_t width = spec.numFeatures;
  for (const jit::LayerShape &l : spec.layers) {
    out.push_back({width, l.units, l.activation});
    width = l.units;
  }
  return out;
}

double activate(Activation a, double x) {
  switch (a) {
  case Activation::Identity: return x;
  case Activation::Relu: return x > 0 ? x : 0.0;
  case Activation::Tanh: return std::tanh(x);
  case Activation::Logistic: return 1.0 / (1.0 + std::exp(-x));
  }
  return x;
}

/// d act / d pre, from the activation's output `a` (relu: pre > 0 exactly
/// when a > 0).
double derivative(Activation act, double a) {
  switch (act) {
  case Activation::Identity: return 1.0;
  case Activation::Relu: return a > 0 ? 1.0 : 0.0;
  case Activation::Tanh: return 1.0 - a * a;
  case Activation::Logistic: return a * (1.0 - a);
  }
  return 1.0;
}

/// max(t, 0) + log1p(exp(-|t|)): log(1 + exp(t)) without overflow.
double softplus(double t) { return std::max(t, 0.0) + std::log1p(std::exp(-std::fabs(t))); }

/// The loop's working state: parameters, optimizer moments and per-batch
/// buffers, sized once.
class Loop {
public:
  Loop(const TrainSpec &spec, const double *x, const double *y)
      : spec(spec), x(x), y(y), layers(layersOf(spec)) {
    params = initialParams(spec);
    size_t n = layers.size();
    gradW.resize(n);
    gradB.resize(n);
    for (size_t l = 0; l < n; ++l) {
      gradW[l].assign(params.weights[l].size(), 0.0);
      gradB[l].assign(params.biases[l].size(), 0.0);
    }
    moment1 = zerosLike(params);
    if (spec.optimizer == OptimizerType::Adam)
      moment2 = zerosLike(params);
  }

  /// Forward over `n` rows (indices `rows`), leaving the activations in
  /// `acts`; returns the summed per-row loss, and with `withDelta` the
  /// output layer's deltas (already divided by `scale`) in `deltas`.
  double forward(const int64_t *rows, int64_t n, bool withDelta, double scale);
  /// Backward over the batch of the last forward, then one optimizer step.
  void backwardAndUpdate(const int64_t *rows, int64_t n);

  const TrainSpec &spec;
  const double *x, *y;
  std::vector<Layer> layers;
  Params params;

private:
  static Params zerosLike(const Params &p) {
    Params z;
    for (const auto &w : p.weights)
      z.weights.emplace_back(w.size(), 0.0);
    for (const auto &b : p.biases)
      z.biases.emplace_back(b.size(), 0.0);
    return z;
  }
  void reserveRows(int64_t n) {
    if (static_cast<int64_t>(acts.size()) == static_cast<int64_t>(layers.size()) &&
        capacity >= n)
      return;
    capacity = std::max(n, capacity);
    acts.resize(layers.size());
    deltas.resize(layers.size());
    for (size_t l = 0; l < layers.size(); ++l) {
      acts[l].assign(capacity * layers[l].outputs, 0.0);
      deltas[l].assign(capacity * layers[l].outputs, 0.0);
    }
  }
  /// The input row of layer `l` for batch row `r`.
  const double *inputOf(size_t l, const int64_t *rows, int64_t r) const {
    return l == 0 ? x + rows[r] * layers[0].inputs
                  : acts[l - 1].data() + r * layers[l].inputs;
  }
  void step(std::vector<double> &theta, const std::vector<double> &g,
            std::vector<double> &m1, std::vector<double> *m2);

  std::vector<std::vector<double>> acts, deltas, gradW, gradB;
  Params moment1, moment2;
  int64_t capacity = 0;
  int64_t t = 0; ///< adam's step count
};

double Loop::forward(const int64_t *rows, int64_t n, bool withDelta, double scale) {
  reserveRows(n);
  for (size_t l = 0; l < layers.size(); ++l) {
    const Layer &L = layers[l];
    const double *W = params.weights[l].data(), *b = params.biases[l].data();
    double *out = acts[l].data();
    for (int64_t r = 0; r < n; ++r) {
      const double *in = inputOf(l, rows, r);
      for (int64_t o = 0; o < L.outputs; ++o) {
        const double *w = W + o * L.inputs;
        double s = 0.0;
        for (int64_t i = 0; i < L.inputs; ++i)
          s += w[i] * in[i];
        out[r * L.outputs + o] = activate(L.activation, s + b[o]);
      }
    }
  }
  const Layer &last = layers.back();
  const int64_t k = last.outputs;
  const double *z = acts.back().data();
  double *dz = deltas.back().data();
  double total = 0.0;
  for (int64_t r = 0; r < n; ++r) {
    const double *zr = z + r * k;
    double *dr = dz + r * k;
    double label = y[rows[r]];
    switch (spec.loss) {
    case Loss::Mse: {
      double e = zr[0] - label;
      total += e * e;
      if (withDelta)
        dr[0] = 2.0 * e / scale;
      break;
    }
    case Loss::LogLoss: {
      total += label == 1.0 ? softplus(-zr[0]) : softplus(zr[0]);
      if (withDelta)
        dr[0] = (1.0 / (1.0 + std::exp(-zr[0])) - label) / scale;
      break;
    }
    case Loss::CrossEntropy: {
      double mx = *std::max_element(zr, zr + k), sum = 0.0;
      for (int64_t c = 0; c < k; ++c)
        sum += std::exp(zr[c] - mx);
      int64_t cls = static_cast<int64_t>(label);
      total += mx + std::log(sum) - zr[cls];
      if (withDelta)
        for (int64_t c = 0; c < k; ++c)
          dr[c] = (std::exp(zr[c] - mx) / sum - (c == cls ? 1.0 : 0.0)) / scale;
      break;
    }
    }
    if (withDelta && last.activation != Activation::Identity)
      for (int64_t c = 0; c < k; ++c)
        dr[c] *= derivative(last.activation, zr[c]);
  }
  return total;
}

void Loop::step(std::vector<double> &theta, const std::vector<double> &g,
                std::vector<double> &m1, std::vector<double> *m2) {
  const double lr = spec.learningRate;
  if (spec.optimizer == OptimizerType::Sgd) {
    const double mu = spec.momentum;
    for (size_t i = 0; i < theta.size(); ++i) {
      m1[i] = mu * m1[i] + g[i];
      theta[i] -= lr * m1[i];
    }
    return;
  }
  const double b1 = spec.beta1, b2 = spec.beta2, eps = spec.epsilon;
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(t));
  const double c2 = 1.0 - std::pow(b2, static_cast<double>(t));
  std::vector<double> &v = *m2;
  for (size_t i = 0; i < theta.size(); ++i) {
    m1[i] = b1 * m1[i] + (1.0 - b1) * g[i];
    v[i] = b2 * v[i] + (1.0 - b2) * (g[i] * g[i]);
    theta[i] -= lr * (m1[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}

void Loop::backwardAndUpdate(const int64_t *rows, int64_t n) {
  for (size_t l = layers.size(); l-- > 0;) {
    const Layer &L = layers[l];
    std::vector<double> &gW = gradW[l], &gB = gradB[l];
    std::fill(gW.begin(), gW.end(), 0.0);
    std::fill(gB.begin(), gB.end(), 0.0);
    const double *D = deltas[l].data();
    for (int64_t r = 0; r < n; ++r) {
      const double *in = inputOf(l, rows, r);
      const double *d = D + r * L.outputs;
      for (int64_t o = 0; o < L.outputs; ++o) {
        gB[o] += d[o];
        double *g = gW.data() + o * L.inputs;
        for (int64_t i = 0; i < L.inputs; ++i)
          g[i] += d[o] * in[i];
      }
    }
    if (spec.l2 != 0.0) {
      const std::vector<double> &W = params.weights[l];
      for (size_t i = 0; i < gW.size(); ++i)
        gW[i] += spec.l2 * W[i];
    }
    if (l == 0)
      continue;
    // The previous layer's deltas, through this layer's weights (before
    // the update) and the previous activation's derivative.
    const Layer &P = layers[l - 1];
    const double *W = params.weights[l].data();
    const double *A = acts[l - 1].data();
    double *DP = deltas[l - 1].data();
    for (int64_t r = 0; r < n; ++r) {
      const double *d = D + r * L.outputs;
      double *dp = DP + r * P.outputs;
      std::fill(dp, dp + P.outputs, 0.0);
      for (int64_t o = 0; o < L.outputs; ++o) {
        const double *w = W + o * L.inputs;
        for (int64_t i = 0; i < L.inputs; ++i)
          dp[i] += w[i] * d[o];
      }
      for (int64_t i = 0; i < P.outputs; ++i)
        dp[i] *= derivative(P.activation, A[r * P.outputs + i]);
    }
  }
  ++t;
  bool adam = spec.optimizer == OptimizerType::Adam;
  for (size_t l = 0; l < layers.size(); ++l) {
    step(params.weights[l], gradW[l], moment1.weights[l],
         adam ? &moment2.weights[l] : nullptr);
    step(params.biases[l], gradB[l], moment1.biases[l],
         adam ? &moment2.biases[l] : nullptr);
  }
}

std::string lossText(double v) { return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

} // namespace

Params initialParams(const TrainSpec &spec) {
  std::vector<Layer> layers = layersOf(spec);
  Params p;
  if (spec.hasInit) {
    if (spec.modelType == jit::ModelType::Linear) {
      p.weights.push_back(spec.initWeights);
      p.biases.push_back(spec.initIntercepts);
    } else {
      for (const jit::DenseLayer &l : spec.initLayers) {
        p.weights.push_back(l.weights);
        p.biases.push_back(l.biases);
      }
    }
    return p;
  }
  bool glorot = spec.modelType == jit::ModelType::Mlp;
  uint64_t state = spec.initSeed;
  for (const Layer &l : layers) {
    std::vector<double> w(l.inputs * l.outputs, 0.0);
    if (glorot) {
      double limit = std::sqrt(6.0 / static_cast<double>(l.inputs + l.outputs));
      for (double &v : w) {
        double u = static_cast<double>(splitMix64(state) >> 11) * 0x1.0p-53;
        v = limit * (2.0 * u - 1.0);
      }
    }
    p.weights.push_back(std::move(w));
    p.biases.emplace_back(l.outputs, 0.0);
  }
  return p;
}

llvm::Expected<Outcome> runLoop(const TrainSpec &spec, const double *features,
                                const double *labels, int64_t rows,
                                const Control &control) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  const int64_t nv = spec.earlyStopping
                         ? static_cast<int64_t>(std::floor(
                               static_cast<double>(rows) * spec.validationFraction))
                         : 0;
  const int64_t m = rows - nv;
  if (spec.earlyStopping && nv < 1)
    return fail(llvm::formatv(
        "early_stopping.validation_fraction: {0} of {1} rows is no validation "
        "row; give more rows or a larger fraction",
        spec.validationFraction, rows));
  if (m < 1)
    return fail(llvm::formatv("the data leave no training row ({0} rows, {1} "
                              "for validation)",
                              rows, nv));

  Loop loop(spec, features, labels);
  Outcome out;
  std::vector<int64_t> perm(m), validation(nv);
  std::iota(validation.begin(), validation.end(), m);
  uint64_t shuffleState = spec.shuffleSeed.value_or(0);
  const int64_t batch = std::min<int64_t>(spec.batchSize, m);
  double best = std::numeric_limits<double>::infinity();
  Params bestParams;
  int64_t sinceBest = 0, rowsDone = 0;
  bool stopped = false;

  for (int64_t epoch = 1; epoch <= spec.epochs && !stopped; ++epoch) {
    Clock::time_point epochStart = Clock::now();
    std::iota(perm.begin(), perm.end(), 0);
    if (spec.shuffleSeed)
      for (int64_t i = m - 1; i >= 1; --i) {
        uint64_t j = splitMix64(shuffleState) % static_cast<uint64_t>(i + 1);
        std::swap(perm[i], perm[j]);
      }
    double lossSum = 0.0;
    int64_t batchIndex = 0;
    for (int64_t b0 = 0; b0 < m; b0 += batch) {
      ++batchIndex;
      int64_t n = std::min(batch, m - b0);
      double loss = loop.forward(perm.data() + b0, n, true, static_cast<double>(n));
      if (!std::isfinite(loss))
        return fail(llvm::formatv("epoch {0}, batch {1}: the training loss is {2} "
                                  "(try a smaller learning_rate, or scale the "
                                  "features)",
                                  epoch, batchIndex, lossText(loss)));
      lossSum += loss;
      loop.backwardAndUpdate(perm.data() + b0, n);
      rowsDone += n;
      if (control.cancel && control.cancel->load(std::memory_order_relaxed))
        return fail(llvm::formatv("training cancelled in epoch {0}, batch {1}",
                                  epoch, batchIndex));
      if (control.maxSeconds &&
          seconds(control.start, Clock::now()) > *control.maxSeconds) {
        out.stop = jit::StopReason::TimeLimit;
        stopped = true;
        break;
      }
    }
    if (stopped)
      break; // an epoch cut short is not in the history
    jit::EpochRecord rec;
    rec.epoch = epoch;
    rec.trainLoss = lossSum / static_cast<double>(m);
    rec.validationLoss = std::numeric_limits<double>::quiet_NaN();
    if (spec.earlyStopping) {
      // Validation in chunks so the buffers stay batch-sized.
      double sum = 0.0;
      const int64_t chunk = std::max<int64_t>(batch, 256);
      for (int64_t v0 = 0; v0 < nv; v0 += chunk)
        sum += loop.forward(validation.data() + v0, std::min(chunk, nv - v0),
                            false, 1.0);
      rec.validationLoss = sum / static_cast<double>(nv);
      if (!std::isfinite(rec.validationLoss))
        return fail(llvm::formatv("epoch {0}: the validation loss is {1}", epoch,
                                  lossText(rec.validationLoss)));
    }
    Clock::time_point now = Clock::now();
    rec.seconds = seconds(epochStart, now);
    out.history.push_back(rec);
    if (control.progress) {
      jit::TrainProgress p;
      p.last = rec;
      p.epochs = spec.epochs;
      p.elapsedSeconds = seconds(control.start, now);
      p.rowsPerSecond =
          p.elapsedSeconds > 0 ? static_cast<double>(rowsDone) / p.elapsedSeconds : 0;
      control.progress(p);
    }
    if (!spec.earlyStopping) {
      out.bestEpoch = epoch;
      continue;
    }
    if (rec.validationLoss < best - spec.minDelta) {
      best = rec.validationLoss;
      bestParams = loop.params;
      out.bestEpoch = epoch;
      sinceBest = 0;
    } else if (++sinceBest >= spec.patience) {
      out.stop = jit::StopReason::EarlyStopping;
      stopped = true;
    }
  }
  out.params = spec.earlyStopping && out.bestEpoch > 0 ? std::move(bestParams)
                                                       : std::move(loop.params);
  return out;
}

} // namespace train
} // namespace specjit
