//===- TrainApi.cpp - jit::train ------------------------------------------===//
//
// The public entry of the train family: binds and checks the caller's
// columns, enforces the limits before anything runs, computes the feature
// matrix with the pipeline interpreter, checks labels and features, runs the
// loop (Trainer.cpp) and writes the trained `model` descriptor.
//
//===----------------------------------------------------------------------===//

#include "Families/Train/TrainSpec.h"
#include "specjit/Train.h"

#include "specjit/Compile.h"
#include "specjit/Errors.h"

#include "Descriptor/DescriptorInternal.h"
#include "Engine/Codegen.h"
#include "Engine/JIT.h"
#include "Engine/KernelState.h"
#include "Families/Pipeline/PipelineFrontEnd.h"
#include "Families/Train/Trainer.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace specjit {
namespace jit {

llvm::StringRef stopReasonName(StopReason r) {
  switch (r) {
  case StopReason::Epochs:
    return "epochs";
  case StopReason::EarlyStopping:
    return "early_stopping";
  case StopReason::TimeLimit:
    return "time_limit";
  }
  return "?";
}

namespace {

/// The most memory the loop itself may use (MB): parameters, moments,
/// gradients, and one batch's activations and deltas.
constexpr int64_t kMaxWorkingMB = 8192;

unsigned capFromEnvironment() {
  if (const char *v = std::getenv("SPECJIT_MAX_TRAININGS")) {
    char *end = nullptr;
    unsigned long n = std::strtoul(v, &end, 10);
    if (end != v && *end == '\0' && n <= 1u << 20)
      return static_cast<unsigned>(n);
  }
  return 4;
}

std::atomic<unsigned> &cap() {
  static std::atomic<unsigned> c{capFromEnvironment()};
  return c;
}
std::atomic<unsigned> running{0};

/// One of the process's training slots, held for the duration of a train().
class Slot {
public:
  Slot() {
    unsigned limit = cap().load();
    unsigned now = running.load();
    do {
      if (limit != 0 && now >= limit)
        return;
    } while (!running.compare_exchange_weak(now, now + 1));
    held = true;
  }
  ~Slot() {
    if (held)
      running.fetch_sub(1);
  }
  bool held = false;
};

/// The label column as checked f64 values: class ids must be exact integers
/// in 0..k-1, targets finite.
llvm::Error readLabels(const TrainSpec &spec, const Column &c, int64_t rows,
                       std::vector<double> &out) {
  out.resize(rows);
  const std::string &name = spec.label.name;
  if (c.type == DType::I64) {
    int64_t k = spec.loss == Loss::LogLoss ? 2 : spec.numOutputs;
    const int64_t *p = static_cast<const int64_t *>(c.data);
    for (int64_t r = 0; r < rows; ++r) {
      if (p[r] < 0 || p[r] >= k)
        return llvm::make_error<RowError>(
            r,
            llvm::formatv("label '{0}' is {1}, expected a class id in 0..{2}", name, p[r], k - 1));
      out[r] = static_cast<double>(p[r]);
    }
    return llvm::Error::success();
  }
  const double *p = static_cast<const double *>(c.data);
  for (int64_t r = 0; r < rows; ++r) {
    if (!std::isfinite(p[r]))
      return llvm::make_error<RowError>(
          r, llvm::formatv("label '{0}' is {1}, expected a finite target", name,
                           std::isnan(p[r]) ? "missing (NaN)" : "infinite"));
    out[r] = p[r];
  }
  return llvm::Error::success();
}

/// What the compiled batch step depends on: the shapes, the loss, the
/// optimizer, its hyper-parameters and the batch size the step is
/// specialized for (not the epochs, data order or limits, which stay in the
/// generic epoch loop).
std::string stepKey(const TrainSpec &t) {
  std::string key = llvm::formatv("{0}/{1}/{2}/{3}", modelTypeName(t.modelType), t.numFeatures,
                                  t.numOutputs, lossName(t.loss))
                        .str();
  for (const LayerShape &l : t.layers)
    key += llvm::formatv("/{0}:{1}", l.units, activationName(l.activation)).str();
  for (double v : {t.learningRate, t.momentum, t.beta1, t.beta2, t.epsilon, t.l2})
    key += llvm::formatv("/{0}", llvm::format("%a", v)).str();
  return key + "/" + optimizerName(t.optimizer).str() + "/" + std::to_string(t.batchSize);
}

/// The compiled step of `d`, compiled once per step key and process
/// (cross-validation folds and reruns with other epochs reuse it); an error
/// when the compiler fails, so the generic step runs.
llvm::Expected<KernelFn> compiledStep(const Descriptor &d) {
  return engine::compiledOncePerKey(d, "train", stepKey(d.spec<TrainSpec>()));
}

/// The trained parameters as a model descriptor.
ModelSpec trainedModel(const TrainSpec &spec, const std::vector<double> &flat) {
  train::Layout layout(spec);
  auto slice = [&](int64_t offset, int64_t count) {
    return std::vector<double>(flat.begin() + offset, flat.begin() + offset + count);
  };
  ModelSpec m;
  m.name = spec.name;
  m.pipeline = spec.pipeline;
  m.numFeatures = spec.numFeatures;
  m.numOutputs = spec.numOutputs;
  m.link = spec.link;
  m.outputType = DType::F64;
  if (spec.modelType == ModelType::Linear) {
    m.type = ModelType::Linear;
    m.weights = slice(layout.weightOffset[0], layout.inputs[0] * layout.outputs[0]);
    m.intercepts = slice(layout.biasOffset[0], layout.outputs[0]);
  } else {
    m.type = ModelType::Mlp;
    int32_t width = spec.numFeatures;
    for (size_t l = 0; l < spec.layers.size(); ++l) {
      DenseLayer d;
      d.inputs = width;
      d.outputs = spec.layers[l].units;
      d.activation = spec.layers[l].activation;
      d.weights = slice(layout.weightOffset[l], layout.inputs[l] * layout.outputs[l]);
      d.biases = slice(layout.biasOffset[l], layout.outputs[l]);
      width = d.outputs;
      m.layers.push_back(std::move(d));
    }
  }
  m.outputNames = detail::defaultModelOutputNames(m.numOutputs, /*classIndex=*/false);
  return m;
}

} // namespace

void setMaxConcurrentTrainings(unsigned n) { cap().store(n); }
unsigned maxConcurrentTrainings() { return cap().load(); }

llvm::Expected<TrainResult> train(const Descriptor &d, llvm::ArrayRef<Column> columns,
                                  const TrainOptions &options) {
  auto start = std::chrono::steady_clock::now();
  if (d.kind() != Kind::Train)
    return detail::makeError("train: expected a train descriptor, got kind '" + kindName(d.kind()) +
                             "'");
  const TrainSpec &spec = d.spec<TrainSpec>();
  Slot slot;
  if (!slot.held)
    return detail::makeError(llvm::formatv("train: {0} trainings already run in this process, "
                                           "the limit (jit::setMaxConcurrentTrainings, "
                                           "SPECJIT_MAX_TRAININGS)",
                                           maxConcurrentTrainings()));
  llvm::SmallVector<const void *, 16> args;
  auto bound = bindInputColumns(spec.dataColumns, columns, 0, args);
  if (!bound)
    return bound.takeError();
  const int64_t rows = *bound;
  const int64_t f = spec.numFeatures;
  // The limit comes first: nothing is computed for data that exceed it.
  double mb = static_cast<double>(rows) * f * 8 / (1024.0 * 1024.0);
  if (mb > spec.maxFeatureMatrixMB)
    return detail::makeError(llvm::formatv(
        "limits.max_feature_matrix_mb: the feature matrix of {0} rows x {1} "
        "features x 8 bytes is {2} MB, more than the limit of {3} MB",
        rows, f, llvm::format("%.4g", mb), detail::formatNumber(spec.maxFeatureMatrixMB)));
  if (rows == 0)
    return detail::makeError("train: the data have no rows");
  // The loop's own memory (parameters, two moments, and per batch the
  // activations and deltas of every layer) is bounded too, before any of
  // it is allocated.
  train::Layout layout(spec);
  double batchRows =
      static_cast<double>(std::max<int64_t>(std::min<int64_t>(spec.batchSize, rows), 256));
  // Parameters and two moments, then the step's scratch.
  double workMB = (3.0 * layout.paramCount + 2.0 * layout.paramCount + 4.0 * layout.maxOutputs +
                   2.0 * batchRows * layout.sumOutputs) *
                  8 / (1024.0 * 1024.0);
  if (workMB > kMaxWorkingMB)
    return detail::makeError(
        llvm::formatv("batch_size: batches of {0} rows over layers of {1} units in "
                      "all need {2} MB of working memory, more than the limit of "
                      "{3} MB",
                      static_cast<int64_t>(batchRows), layout.sumOutputs,
                      llvm::format("%.4g", workMB), kMaxWorkingMB));

  std::vector<double> labels;
  if (llvm::Error e = readLabels(spec, columns.back(), rows, labels))
    return std::move(e);

  auto program = interp::FeatureProgram::create(spec.pipeline);
  if (!program)
    return program.takeError();
  std::vector<double> x(static_cast<size_t>(rows) * f);
  int64_t status =
      (*program)->run(args.data(), rows, [&](const double *const *cols, int64_t base, int64_t n) {
        for (int64_t c = 0; c < f; ++c)
          for (int64_t r = 0; r < n; ++r)
            x[(base + r) * f + c] = cols[c][r];
      });
  if (status < 0)
    return detail::makeError("train: out of memory computing the features");
  if (status > 0)
    return detail::makeError((*program)->describeFailure(args.data(), status - 1));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < f; ++c)
      if (!std::isfinite(x[r * f + c]))
        return llvm::make_error<RowError>(
            r, llvm::formatv("feature '{0}' is {1} (impute or clip it in `steps`)",
                             spec.pipeline.plan.outputNames[c],
                             std::isnan(x[r * f + c]) ? "missing (NaN)" : "infinite"));

  TrainResult result;
  KernelFn step = nullptr;
  if (options.specialize.value_or(specializeEnabled())) {
    auto fn = compiledStep(d);
    if (fn) {
      step = *fn;
      result.backend = Backend::Jit;
    } else {
      result.fallbackReason = llvm::toString(fn.takeError());
    }
  }
  train::Control control;
  control.progress = options.progress;
  control.cancel = options.cancel;
  control.maxSeconds = spec.maxSeconds;
  control.start = start;
  auto outcome = train::runLoop(spec, x.data(), labels.data(), rows, control, step);
  if (!outcome)
    return outcome.takeError();

  result.modelJson = detail::modelDescriptorText(trainedModel(spec, outcome->params));
  auto model = Descriptor::parse(result.modelJson);
  if (!model)
    return detail::makeError("train: the trained model does not parse (" +
                             llvm::toString(model.takeError()) + ")");
  result.model = std::move(*model);
  result.history = std::move(outcome->history);
  result.stop = outcome->stop;
  result.bestEpoch = outcome->bestEpoch;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

} // namespace jit
} // namespace specjit
