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
#include "Families/Train/TrainSpec.h"

#include "Descriptor/DescriptorInternal.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <numeric>
#include <pthread.h>

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

double activate(Activation a, double x) {
  switch (a) {
  case Activation::Identity:
    return x;
  case Activation::Relu:
    return x > 0 ? x : 0.0;
  case Activation::Tanh:
    return std::tanh(x);
  case Activation::Logistic:
    return 1.0 / (1.0 + std::exp(-x));
  }
  return x;
}

/// d act / d pre, from the activation's output `a` (relu: pre > 0 exactly
/// when a > 0).
double derivative(Activation act, double a) {
  switch (act) {
  case Activation::Identity:
    return 1.0;
  case Activation::Relu:
    return a > 0 ? 1.0 : 0.0;
  case Activation::Tanh:
    return 1.0 - a * a;
  case Activation::Logistic:
    return a * (1.0 - a);
  }
  return 1.0;
}

/// Dot products of at least this many terms use four partial sums
/// (docs/train-semantics.md, "Forward"; the lowering's kDotSplit).
constexpr int64_t kDotSplit = 8;

/// sum_i w[i] v[i]: from i = 0 up; with kDotSplit terms or more, terms
/// i = j mod 4 (below len - len % 4) go to partial sum j, the sums are
/// added as (s0 + s1) + (s2 + s3), then the remaining terms in order. Four
/// independent chains keep a narrow layer from waiting on one long chain
/// of additions, and the order is fixed, so both backends agree.
double dot(const double *w, const double *v, int64_t len) {
  int64_t i = 0;
  double s = 0.0;
  if (len >= kDotSplit) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (; i + 4 <= len; i += 4) {
      s0 += w[i] * v[i];
      s1 += w[i + 1] * v[i + 1];
      s2 += w[i + 2] * v[i + 2];
      s3 += w[i + 3] * v[i + 3];
    }
    s = (s0 + s1) + (s2 + s3);
  }
  for (; i < len; ++i)
    s += w[i] * v[i];
  return s;
}

/// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x: the C library's
/// log, several times cheaper than its log1p, with the rounding error of
/// 1 + x put back (docs/train-semantics.md, "Loss").
double log1pFromLog(double x) {
  const double u = 1.0 + x;
  return std::log(u) + (x - (u - 1.0)) / u;
}

/// max(t, 0) + log1p(exp(-|t|)): log(1 + exp(t)) without overflow.
double softplus(double t) { return std::max(t, 0.0) + log1pFromLog(std::exp(-std::fabs(t))); }

/// The generic batch step: what spec.train_step computes, with the shapes,
/// loss and optimizer read from the spec on every batch. Same buffers, same
/// operation order as the lowering (TrainToLoops.cpp).
class GenericStep {
public:
  GenericStep(const TrainSpec &spec, const Layout &layout) : spec(spec), L(layout) {}

  /// The kernel ABI of spec.train_step: args as StepSlot, `out` the summed
  /// loss (kTrainEpoch: the sum and the last batch's loss), `n` the batch's
  /// rows (kTrainEpoch: the epoch's). Returns the EpochStatus (0 for one
  /// batch).
  int64_t run(const void *const *args, double *out, int64_t n) const;

private:
  /// One batch: forward, loss, and with `train` backward and the update.
  void step(const void *const *args, double *out, int64_t n, bool train) const;
  /// kTrainEpoch: the batches in order, stopping as the lowering does.
  int64_t epoch(const void *const *args, double *out, int64_t m) const;

  const TrainSpec &spec;
  const Layout &L;
};

int64_t GenericStep::run(const void *const *args, double *out, int64_t n) const {
  const int64_t mode = *static_cast<const int64_t *>(args[kMode]);
  if (mode == kTrainEpoch)
    return epoch(args, out, n);
  step(args, out, n, mode == kTrainBatch);
  return kEpochDone;
}

int64_t GenericStep::epoch(const void *const *args, double *out, int64_t m) const {
  auto flag = [&](int slot) { return static_cast<const std::atomic<bool> *>(args[slot]); };
  const std::atomic<bool> *cancel = flag(kCancelFlag), *timeUp = flag(kDeadlineFlag);
  const int64_t *rows = static_cast<const int64_t *>(args[kRows]);
  const void *batchArgs[kStepSlots];
  std::copy(args, args + kStepSlots, batchArgs);
  double sum = 0.0;
  int64_t batches = 0, status = kEpochDone;
  for (int64_t b0 = 0; b0 < m && status == kEpochDone; b0 += spec.batchSize) {
    batchArgs[kRows] = rows + b0;
    step(batchArgs, out + 1, std::min(spec.batchSize, m - b0), /*train=*/true);
    sum += out[1];
    ++batches;
    status = !std::isfinite(out[1])                    ? kLossNotFinite
             : cancel->load(std::memory_order_relaxed) ? kCancelled
             : timeUp->load(std::memory_order_relaxed) ? kTimeLimit
                                                       : kEpochDone;
  }
  out[0] = sum;
  *static_cast<int64_t *>(const_cast<void *>(args[kBatchCount])) = batches;
  return status;
}

void GenericStep::step(const void *const *args, double *out, int64_t n, bool train) const {
  const double *x = static_cast<const double *>(args[kFeatures]);
  const double *y = static_cast<const double *>(args[kLabels]);
  const int64_t *rows = static_cast<const int64_t *>(args[kRows]);
  double *params = static_cast<double *>(const_cast<void *>(args[kParams]));
  double *m1 = static_cast<double *>(const_cast<void *>(args[kMoment1]));
  double *m2 = static_cast<double *>(const_cast<void *>(args[kMoment2]));
  double *scratch = static_cast<double *>(const_cast<void *>(args[kScratch]));
  int64_t *t = static_cast<int64_t *>(const_cast<void *>(args[kStepCount]));
  const double scale = static_cast<double>(n);
  double *acts = scratch, *deltas = scratch + n * L.sumOutputs;
  double *grads = scratch + 2 * n * L.sumOutputs;
  const size_t layers = L.layers();
  auto inputOf = [&](size_t l, int64_t r) -> const double * {
    return l == 0 ? x + rows[r] * L.inputs[0] : acts + n * L.outPrefix[l - 1] + r * L.inputs[l];
  };

  // Forward.
  for (size_t l = 0; l < layers; ++l) {
    const int64_t in = L.inputs[l], outs = L.outputs[l];
    const double *W = params + L.weightOffset[l], *b = params + L.biasOffset[l];
    double *a = acts + n * L.outPrefix[l];
    for (int64_t r = 0; r < n; ++r) {
      const double *input = inputOf(l, r);
      for (int64_t o = 0; o < outs; ++o) {
        a[r * outs + o] = activate(L.activations[l], dot(W + o * in, input, in) + b[o]);
      }
    }
  }

  // The per-row loss and d(loss)/dz.
  const size_t last = layers - 1;
  const int64_t k = L.outputs[last];
  const double *z = acts + n * L.outPrefix[last];
  double *dz = deltas + n * L.outPrefix[last];
  double total = 0.0;
  for (int64_t r = 0; r < n; ++r) {
    const double *zr = z + r * k;
    double *dr = dz + r * k;
    const double label = y[rows[r]];
    switch (spec.loss) {
    case Loss::Mse: {
      double e = zr[0] - label;
      total += e * e;
      dr[0] = 2.0 * e / scale;
      break;
    }
    case Loss::LogLoss:
      total += label == 1.0 ? softplus(-zr[0]) : softplus(zr[0]);
      dr[0] = (1.0 / (1.0 + std::exp(-zr[0])) - label) / scale;
      break;
    case Loss::CrossEntropy: {
      // The first largest margin; the exponentials wait in the delta row
      // while they are summed.
      double mx = zr[0];
      for (int64_t c = 1; c < k; ++c)
        mx = mx < zr[c] ? zr[c] : mx;
      double sum = 0.0;
      for (int64_t c = 0; c < k; ++c) {
        double e = std::exp(zr[c] - mx);
        dr[c] = e;
        sum += e;
      }
      const int64_t cls = static_cast<int64_t>(label);
      total += mx + std::log(sum) - zr[cls];
      for (int64_t c = 0; c < k; ++c)
        dr[c] = (dr[c] / sum - (c == cls ? 1.0 : 0.0)) / scale;
      break;
    }
    }
    if (L.activations[last] != Activation::Identity)
      for (int64_t c = 0; c < k; ++c)
        dr[c] *= derivative(L.activations[last], zr[c]);
  }
  *out = total;
  if (!train)
    return;

  // Backward: gradients per layer from the last, deltas through the
  // weights before they are updated.
  for (size_t l = layers; l-- > 0;) {
    const int64_t in = L.inputs[l], outs = L.outputs[l];
    double *gW = grads + L.weightOffset[l], *gB = grads + L.biasOffset[l];
    const double *W = params + L.weightOffset[l];
    const double *d = deltas + n * L.outPrefix[l];
    std::fill(gW, gW + in * outs + outs, 0.0);
    for (int64_t r = 0; r < n; ++r) {
      const double *input = inputOf(l, r);
      const double *dRow = d + r * outs;
      for (int64_t o = 0; o < outs; ++o) {
        const double dro = dRow[o];
        gB[o] += dro;
        double *g = gW + o * in;
        for (int64_t i = 0; i < in; ++i)
          g[i] += dro * input[i];
      }
    }
    if (spec.l2 != 0.0)
      for (int64_t i = 0; i < in * outs; ++i)
        gW[i] += spec.l2 * W[i];
    if (l == 0)
      continue;
    const int64_t prevOuts = L.outputs[l - 1];
    const double *a = acts + n * L.outPrefix[l - 1];
    double *dp = deltas + n * L.outPrefix[l - 1];
    for (int64_t r = 0; r < n; ++r) {
      const double *dRow = d + r * outs;
      double *dpRow = dp + r * prevOuts;
      const double *aRow = a + r * prevOuts;
      std::fill(dpRow, dpRow + prevOuts, 0.0);
      for (int64_t o = 0; o < outs; ++o) {
        const double dro = dRow[o];
        const double *w = W + o * in;
        for (int64_t i = 0; i < in; ++i)
          dpRow[i] += w[i] * dro;
      }
      for (int64_t i = 0; i < prevOuts; ++i)
        dpRow[i] *= derivative(L.activations[l - 1], aRow[i]);
    }
  }

  // The optimizer step over every parameter.
  const int64_t step = ++*t;
  const double lr = spec.learningRate;
  if (spec.optimizer == OptimizerType::Sgd) {
    const double mu = spec.momentum;
    if (mu == 0.0) { // v = g: no velocity to keep
      for (int64_t i = 0; i < L.paramCount; ++i)
        params[i] -= lr * grads[i];
      return;
    }
    for (int64_t i = 0; i < L.paramCount; ++i) {
      m1[i] = mu * m1[i] + grads[i];
      params[i] -= lr * m1[i];
    }
    return;
  }
  const double b1 = spec.beta1, b2 = spec.beta2, eps = spec.epsilon;
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(step));
  const double c2 = 1.0 - std::pow(b2, static_cast<double>(step));
  for (int64_t i = 0; i < L.paramCount; ++i) {
    const double g = grads[i];
    m1[i] = b1 * m1[i] + (1.0 - b1) * g;
    m2[i] = b2 * m2[i] + (1.0 - b2) * (g * g);
    params[i] -= lr * (m1[i] / c1) / (std::sqrt(m2[i] / c2) + eps);
  }
}

/// The state one training keeps across batches, and the step arguments
/// over it.
class Loop {
public:
  Loop(const TrainSpec &spec, const double *x, const double *y, KernelFn compiled)
      : layout(spec), generic(spec, layout), compiled(compiled), batchSize(spec.batchSize),
        params(initialParams(spec)), m1(layout.paramCount, 0.0), m2(layout.paramCount, 0.0) {
    args[kFeatures] = x;
    args[kLabels] = y;
  }

  /// The summed loss of rows `rows[0..n)` (no update).
  double loss(const int64_t *rows, int64_t n) {
    double out[2] = {0.0, 0.0};
    call(kLossOnly, rows, n, n, out);
    return out[0];
  }

  /// What trainBatches() did.
  struct Batches {
    int64_t status = kEpochDone, count = 0;
    double lossSum = 0.0, lastLoss = 0.0;
  };

  /// Trains rows `rows[0..m)` in consecutive batches of batch_size in one
  /// call of the step (kTrainEpoch), which checks after every batch for a
  /// non-finite loss and the two flags.
  Batches trainBatches(const int64_t *rows, int64_t m, const std::atomic<bool> *cancel,
                       const std::atomic<bool> *timeUp) {
    args[kCancelFlag] = cancel;
    args[kDeadlineFlag] = timeUp;
    args[kBatchCount] = &batchCount;
    double out[2] = {0.0, 0.0};
    Batches b;
    b.status = call(kTrainEpoch, rows, m, std::min(batchSize, m), out);
    b.count = batchCount;
    b.lossSum = out[0];
    b.lastLoss = out[1];
    return b;
  }

  Layout layout;
  GenericStep generic;
  KernelFn compiled;
  int64_t batchSize;
  std::vector<double> params, m1, m2, scratch;
  int64_t t = 0, mode = 0, batchCount = 0;
  const void *args[kStepSlots] = {};

private:
  /// One call of the step in `stepMode` over `n` row indices whose
  /// batches have at most `batchRows` rows.
  int64_t call(int64_t stepMode, const int64_t *rows, int64_t n, int64_t batchRows, double *out) {
    if (static_cast<int64_t>(scratch.size()) < layout.scratchDoubles(batchRows))
      scratch.resize(layout.scratchDoubles(batchRows));
    mode = stepMode;
    args[kRows] = rows;
    args[kParams] = params.data();
    args[kMoment1] = m1.data();
    args[kMoment2] = m2.data();
    args[kScratch] = scratch.data();
    args[kStepCount] = &t;
    args[kMode] = &mode;
    return compiled ? compiled(args, out, n) : generic.run(args, out, n);
  }
};

/// The time-limit flag: set by a timer thread once `max_seconds` have
/// passed since the training started, read after every batch (one byte
/// load in the compiled epoch instead of a clock read per batch). Without
/// a limit (or with one beyond kForever) the flag is never set; when no
/// thread can be started, tracksClock() is false and the loop reads the
/// clock itself after every batch.
class Deadline {
public:
  Deadline(std::optional<double> maxSeconds, std::chrono::steady_clock::time_point start) {
    if (!maxSeconds || *maxSeconds >= kForever) {
      unlimited = true; // also keeps the conversion below from overflowing
      return;
    }
    auto limit = std::chrono::duration<double>(*maxSeconds);
    when = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit);
    if (std::chrono::steady_clock::now() > when) {
      flag.store(true); // already over: the first batch stops, as the clock says
      return;
    }
    started = pthread_create(&thread, nullptr, &Deadline::wait, this) == 0;
  }
  ~Deadline() {
    if (!started)
      return;
    {
      std::lock_guard<std::mutex> lock(mu);
      finished = true;
    }
    wake.notify_one();
    pthread_join(thread, nullptr);
  }
  Deadline(const Deadline &) = delete;
  Deadline &operator=(const Deadline &) = delete;

  /// Whether the flag follows the clock (a limit whose thread runs, or an
  /// already expired limit).
  bool tracksClock(bool hasLimit) const { return !hasLimit || unlimited || started || flag.load(); }
  const std::atomic<bool> *timeUp() const { return &flag; }

private:
  static void *wait(void *self) {
    auto *d = static_cast<Deadline *>(self);
    std::unique_lock<std::mutex> lock(d->mu);
    // Past `when` by the clock the loop used to read (steady_clock).
    while (!d->finished && std::chrono::steady_clock::now() <= d->when)
      d->wake.wait_until(lock, d->when + std::chrono::microseconds(1));
    if (!d->finished)
      d->flag.store(true, std::memory_order_relaxed);
    return nullptr;
  }
  std::atomic<bool> flag{false};
  std::chrono::steady_clock::time_point when;
  std::mutex mu;
  std::condition_variable wake;
  /// Limits of this many seconds (about 30 years) or more never expire.
  static constexpr double kForever = 1e9;
  bool finished = false, started = false, unlimited = false;
  pthread_t thread;
};

const std::atomic<bool> kNeverSet{false};

std::string lossText(double v) { return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

} // namespace

Layout::Layout(const TrainSpec &spec) {
  auto add = [&](int64_t in, int64_t out, Activation act) {
    inputs.push_back(in);
    outputs.push_back(out);
    activations.push_back(act);
    weightOffset.push_back(paramCount);
    paramCount += in * out;
    biasOffset.push_back(paramCount);
    paramCount += out;
    outPrefix.push_back(sumOutputs);
    sumOutputs += out;
    maxOutputs = std::max(maxOutputs, out);
  };
  if (spec.modelType == jit::ModelType::Linear) {
    add(spec.numFeatures, spec.numOutputs, Activation::Identity);
    return;
  }
  int64_t width = spec.numFeatures;
  for (const jit::LayerShape &l : spec.layers) {
    add(width, l.units, l.activation);
    width = l.units;
  }
}

std::vector<double> initialParams(const TrainSpec &spec) {
  Layout layout(spec);
  std::vector<double> p(layout.paramCount, 0.0);
  if (spec.hasInit) {
    for (size_t l = 0; l < layout.layers(); ++l) {
      bool linear = spec.modelType == jit::ModelType::Linear;
      const std::vector<double> &w = linear ? spec.initWeights : spec.initLayers[l].weights;
      const std::vector<double> &b = linear ? spec.initIntercepts : spec.initLayers[l].biases;
      std::copy(w.begin(), w.end(), p.begin() + layout.weightOffset[l]);
      std::copy(b.begin(), b.end(), p.begin() + layout.biasOffset[l]);
    }
    return p;
  }
  if (spec.modelType != jit::ModelType::Mlp)
    return p; // linear models start at zero
  uint64_t state = spec.initSeed;
  for (size_t l = 0; l < layout.layers(); ++l) {
    double limit = std::sqrt(6.0 / static_cast<double>(layout.inputs[l] + layout.outputs[l]));
    for (int64_t i = 0; i < layout.inputs[l] * layout.outputs[l]; ++i) {
      double u = static_cast<double>(splitMix64(state) >> 11) * 0x1.0p-53;
      p[layout.weightOffset[l] + i] = limit * (2.0 * u - 1.0);
    }
  }
  return p;
}

llvm::Expected<Outcome> runLoop(const TrainSpec &spec, const double *features, const double *labels,
                                int64_t rows, const Control &control, KernelFn compiledStep) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  const int64_t nv =
      spec.earlyStopping
          ? static_cast<int64_t>(std::floor(static_cast<double>(rows) * spec.validationFraction))
          : 0;
  const int64_t m = rows - nv;
  if (spec.earlyStopping && nv < 1)
    return jit::detail::makeError(
        llvm::formatv("early_stopping.validation_fraction: {0} of {1} rows is no validation "
                      "row; give more rows or a larger fraction",
                      spec.validationFraction, rows));
  if (m < 1)
    return jit::detail::makeError(llvm::formatv("the data leave no training row ({0} rows, {1} "
                                                "for validation)",
                                                rows, nv));

  Loop loop(spec, features, labels, compiledStep);
  Deadline deadline(control.maxSeconds, control.start);
  const std::atomic<bool> *cancel = control.cancel ? control.cancel : &kNeverSet;
  // An epoch is one call of the step, which reads the flags after every
  // batch; only when the time-limit flag cannot follow the clock does the
  // loop take one batch per call and read the clock after each.
  const bool wholeEpochs = deadline.tracksClock(control.maxSeconds.has_value());
  Outcome out;
  std::vector<int64_t> perm(m), validation(nv);
  std::iota(validation.begin(), validation.end(), m);
  uint64_t shuffleState = spec.shuffleSeed.value_or(0);
  const int64_t batch = std::min<int64_t>(spec.batchSize, m);
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> bestParams;
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
    int64_t batchIndex = 0; // the batches of this epoch run so far
    const int64_t slice = wholeEpochs ? m : batch;
    for (int64_t s0 = 0; s0 < m && !stopped; s0 += slice) {
      const int64_t len = std::min(slice, m - s0);
      Loop::Batches run = loop.trainBatches(perm.data() + s0, len, cancel, deadline.timeUp());
      lossSum += run.lossSum;
      batchIndex += run.count;
      rowsDone += std::min(run.count * batch, len);
      if (run.status == kLossNotFinite)
        return jit::detail::makeError(
            llvm::formatv("epoch {0}, batch {1}: the training loss is {2} "
                          "(try a smaller learning_rate, or scale the "
                          "features)",
                          epoch, batchIndex, lossText(run.lastLoss)));
      if (run.status == kCancelled)
        return jit::detail::makeError(
            llvm::formatv("training cancelled in epoch {0}, batch {1}", epoch, batchIndex));
      if (run.status == kTimeLimit ||
          (!wholeEpochs && seconds(control.start, Clock::now()) > *control.maxSeconds)) {
        out.stop = jit::StopReason::TimeLimit;
        stopped = true;
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
        sum += loop.loss(validation.data() + v0, std::min(chunk, nv - v0));
      rec.validationLoss = sum / static_cast<double>(nv);
      if (!std::isfinite(rec.validationLoss))
        return jit::detail::makeError(llvm::formatv("epoch {0}: the validation loss is {1}", epoch,
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
      p.rowsPerSecond = p.elapsedSeconds > 0 ? static_cast<double>(rowsDone) / p.elapsedSeconds : 0;
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
  out.params =
      spec.earlyStopping && out.bestEpoch > 0 ? std::move(bestParams) : std::move(loop.params);
  return out;
}

} // namespace train
} // namespace specjit
