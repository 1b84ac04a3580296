//===- EvalApi.cpp - jit::evaluate and the result's JSON ------------------===//
//
// jit::evaluate (include/specjit/Eval.h): checks the caller's columns and
// labels, gets the scores (from score columns, from an inline model
// compiled with jit::compile, or per fold of a cross-validation that trains
// with jit::train and scores with the compiled trained model) and computes
// the metrics: with specialization on, the pass over the rows is the
// compiled metrics kernel (spec.metrics_pass, compiled once per task, class
// count, threshold and accumulator set in the process), otherwise or when
// it fails to compile the generic code (Metrics.cpp); both feed the same
// finishing code. Folds run on a bounded pool of std::threads;
// each fold's result lands in its own slot, so the result does not depend
// on scheduling. Lives in the runtime library because it compiles models.
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/EvalSpec.h"
#include "specjit/Eval.h"

#include "Descriptor/DescriptorInternal.h"
#include "Engine/Codegen.h"
#include "Engine/JIT.h"
#include "Families/Eval/EvalToSpec.h"
#include "Families/Eval/Folds.h"
#include "Families/Eval/Metrics.h"
#include "Families/Train/TrainSpec.h"

#include "specjit/Compile.h"
#include "specjit/Errors.h"

#include "Runtime/MetricsABI.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::Twine;

namespace specjit {
namespace jit {

namespace {

Error makeError(const Twine &msg) { return detail::makeError(msg); }

/// `e` with `context` in front of its message. A RowError stays one (its
/// detail after the context) and, when `rows` is given, moves from row i of
/// a fold's subset to the data's row rows[i].
Error withContext(Error e, const Twine &context, ArrayRef<int64_t> rows = {}) {
  std::string prefix = context.str();
  return llvm::handleErrors(
      std::move(e),
      [&](const RowError &r) -> Error {
        int64_t row = r.row();
        if (!rows.empty() && row >= 0 && static_cast<size_t>(row) < rows.size())
          row = rows[row];
        return llvm::make_error<RowError>(row, prefix + r.detail());
      },
      [&](const llvm::ErrorInfoBase &other) -> Error {
        return makeError(prefix + other.message());
      });
}

bool isScoreType(DType t) { return t == DType::F64 || t == DType::F32; }
bool isLabelType(DType t) { return t != DType::String; }

/// Element `i` of a numeric or bool column, as a double.
double valueAt(const Column &c, int64_t i) {
  switch (c.type) {
  case DType::F64:
    return static_cast<const double *>(c.data)[i];
  case DType::F32:
    return static_cast<const float *>(c.data)[i];
  case DType::I64:
    return static_cast<double>(static_cast<const int64_t *>(c.data)[i]);
  case DType::I32:
    return static_cast<const int32_t *>(c.data)[i];
  case DType::Bool:
    return static_cast<const uint8_t *>(c.data)[i];
  case DType::String:
    break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// A column the evaluation owns: a row subset of a caller's column, or a
/// label column in the train descriptor's label type.
struct OwnedColumn {
  DType type = DType::F64;
  std::vector<uint8_t> bytes;   ///< fixed-size types
  std::vector<int64_t> offsets; ///< strings: rows + 1
  std::string text;             ///< strings
  int64_t rows = 0;

  Column view() const {
    if (type == DType::String)
      return Column::strings(offsets.data(), text.data(), rows);
    return Column{type, bytes.data(), nullptr, rows};
  }
};

/// The rows `rows` of `c`, in that order.
OwnedColumn gather(const Column &c, ArrayRef<int64_t> rows) {
  OwnedColumn out;
  out.type = c.type;
  out.rows = static_cast<int64_t>(rows.size());
  if (c.type == DType::String) {
    const char *bytes = static_cast<const char *>(c.data);
    out.offsets.reserve(rows.size() + 1);
    out.offsets.push_back(0);
    for (int64_t r : rows) {
      out.text.append(bytes + c.offsets[r], bytes + c.offsets[r + 1]);
      out.offsets.push_back(static_cast<int64_t>(out.text.size()));
    }
    return out;
  }
  size_t width = dtypeSize(c.type);
  out.bytes.resize(rows.size() * width);
  const uint8_t *src = static_cast<const uint8_t *>(c.data);
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(out.bytes.data() + i * width, src + rows[i] * width, width);
  return out;
}

/// Labels (checked class ids or targets) as a column of type `type`.
OwnedColumn labelColumn(ArrayRef<double> labels, ArrayRef<int64_t> rows, DType type) {
  OwnedColumn out;
  out.type = type;
  out.rows = static_cast<int64_t>(rows.size());
  out.bytes.resize(rows.size() * dtypeSize(type));
  for (size_t i = 0; i < rows.size(); ++i) {
    double v = labels[rows[i]];
    void *at = out.bytes.data() + i * dtypeSize(type);
    switch (type) {
    case DType::F64:
      *static_cast<double *>(at) = v;
      break;
    case DType::F32:
      *static_cast<float *>(at) = static_cast<float>(v);
      break;
    case DType::I64:
      *static_cast<int64_t *>(at) = static_cast<int64_t>(v);
      break;
    case DType::I32:
      *static_cast<int32_t *>(at) = static_cast<int32_t>(v);
      break;
    case DType::Bool:
      *static_cast<uint8_t *>(at) = v != 0.0;
      break;
    case DType::String:
      break;
    }
  }
  return out;
}

/// Runs `kernel` over `inputs` and returns its outputs row-major as f64.
Expected<std::vector<double>> runModel(const Kernel &kernel, ArrayRef<Column> inputs,
                                       int64_t rows) {
  size_t cols = kernel.numOutputs();
  std::vector<double> out(rows * cols);
  if (kernel.outputType() == DType::F64) {
    if (Error e = kernel.run(inputs, Output::f64(out.data(), rows, cols)))
      return std::move(e);
    return out;
  }
  std::vector<float> narrow(rows * cols);
  if (Error e = kernel.run(inputs, Output::f32(narrow.data(), rows, cols)))
    return std::move(e);
  std::copy(narrow.begin(), narrow.end(), out.begin());
  return out;
}

/// What the compiled metrics kernel depends on: the task, the class count,
/// the threshold and the accumulators (not the metric order or names, which
/// only the finishing reads, nor where the scores come from).
std::string metricsKey(const EvalSpec &s) {
  std::string key = llvm::formatv("{0}/{1}/{2}", evalTaskName(s.task), s.numClasses,
                                  llvm::format("%a", s.threshold))
                        .str();
  for (const std::string &a : specjit::eval::metricsAccumulators(s))
    key += "/" + a;
  return key;
}

/// The compiled metrics kernel of `d`, compiled once per key and process
/// (every fold, and later evaluations of other descriptors with the same
/// key, reuse it); an error when the compiler fails, so the generic code
/// runs.
Expected<KernelFn> compiledMetrics(const Descriptor &d) {
  return engine::compiledOncePerKey(d, "eval", metricsKey(d.spec<EvalSpec>()));
}

/// The kernel's slots (Runtime/MetricsABI.h) as the generic code's
/// statistics.
eval::MetricStats statsFromSlots(const EvalSpec &spec, const std::vector<uint64_t> &slots) {
  namespace abi = metrics_abi;
  auto f64 = [&](int64_t slot) {
    double v;
    std::memcpy(&v, &slots[slot], sizeof v);
    return v;
  };
  eval::MetricStats st;
  st.logLossSum = f64(abi::kLogLossSum);
  st.squaredSum = f64(abi::kSquaredSum);
  st.absoluteSum = f64(abi::kAbsoluteSum);
  st.labelSum = f64(abi::kLabelSum);
  st.r2Denominator = f64(abi::kR2Denominator);
  st.badProbabilityRow = static_cast<int64_t>(slots[abi::kBadProbabilityRow]) - 1;
  if (eval::statsNeeds(spec).counts)
    st.cells.assign(slots.begin() + abi::kCells, slots.end());
  return st;
}

/// The evaluation of one descriptor over one set of columns.
class Evaluator {
public:
  Evaluator(const Descriptor &desc, ArrayRef<Column> columns, const EvalOptions &options)
      : desc(desc), spec(desc.spec<EvalSpec>()), columns(columns), options(options) {}

  Expected<EvalResult> run();

private:
  Error checkColumns();
  Error readLabels();
  Expected<std::vector<double>> scoresFromColumns();
  Expected<std::vector<double>> scoresFromModel(EvalResult &result);
  Error crossValidate(EvalResult &result);
  Expected<FoldResult> runFold(const eval::FoldPlan &plan, size_t f);
  void summarize(EvalResult &result);
  /// The metrics over `scores` (row-major, unchecked) and `labels`
  /// (checked): the compiled metrics kernel when there is one, else the
  /// generic code. Non-finite scores are a RowError naming the column
  /// (`names`, `what` as eval::checkScores).
  Expected<std::vector<MetricValue>> metricsOf(ArrayRef<double> labels, ArrayRef<double> scores,
                                               ArrayRef<std::string> names, llvm::StringRef what);

  const Descriptor &desc;
  const EvalSpec &spec;
  ArrayRef<Column> columns;
  const EvalOptions &options;
  int64_t rows = 0;
  std::vector<double> labels;
  /// The compiled metrics kernel, or null for the generic code.
  KernelFn metricsKernel = nullptr;
  /// The inline model's output names (for the score check's messages).
  std::vector<std::string> scoreNames;
};

Expected<std::vector<MetricValue>> Evaluator::metricsOf(ArrayRef<double> labels,
                                                        ArrayRef<double> scores,
                                                        ArrayRef<std::string> names,
                                                        llvm::StringRef what) {
  if (!metricsKernel) {
    if (Error e = eval::checkScores(scores, names, what))
      return std::move(e);
    return eval::computeMetrics(spec, labels, scores);
  }
  namespace abi = metrics_abi;
  // The kernel checks the scores in its pass; its statistics are used only
  // when every score was finite.
  std::vector<double> scratch(abi::kMetricsScratchBuffers * abi::kMetricsBufferRows);
  int64_t k = spec.task == EvalTask::Regression ? 0 : spec.numClasses;
  std::vector<uint64_t> slots(abi::kMetricsHeaderSlots + k * k, 0);
  const void *args[] = {labels.data(), scores.data(), scratch.data()};
  int64_t status = metricsKernel(args, slots.data(), static_cast<int64_t>(labels.size()));
  if (status != 0) {
    // A non-finite score: the generic check names its row and column.
    if (Error e = eval::checkScores(scores, names, what))
      return std::move(e);
    return makeError("evaluate: the metrics kernel reported row " + Twine(status - 1) +
                     ", whose scores are finite");
  }
  return eval::finishMetrics(spec, statsFromSlots(spec, slots), labels, scores);
}

Error Evaluator::checkColumns() {
  const std::vector<InputColumn> &want = spec.dataColumns;
  if (columns.size() != want.size())
    return makeError("evaluate: expected " + Twine(want.size()) + " columns (" +
                     (spec.source == ScoreSource::Columns ? "the scores" : "the inputs") +
                     " then the label), got " + Twine(columns.size()));
  rows = columns.empty() ? 0 : columns[0].rows;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column &c = columns[i];
    const std::string &name = want[i].name;
    if (c.rows < 0)
      return makeError("evaluate: column " + Twine(i) + " ('" + name +
                       "') has a negative row count");
    if (c.rows != rows)
      return makeError("evaluate: column " + Twine(i) + " ('" + name + "') has " + Twine(c.rows) +
                       " rows, column 0 has " + Twine(rows));
    if (c.rows > 0 && (!c.data || (c.type == DType::String && !c.offsets)))
      return makeError("evaluate: column " + Twine(i) + " ('" + name + "') has no data");
    bool isLabel = i + 1 == columns.size();
    if (isLabel && !isLabelType(c.type))
      return makeError("evaluate: the label column '" + name + "' must be numeric, got " +
                       dtypeName(c.type));
    if (!isLabel && spec.source == ScoreSource::Columns && !isScoreType(c.type))
      return makeError("evaluate: score column '" + name + "' must be f64 or f32, got " +
                       dtypeName(c.type));
  }
  if (rows == 0)
    return makeError("evaluate: no rows to evaluate");
  return Error::success();
}

Error Evaluator::readLabels() {
  const Column &c = columns.back();
  labels.resize(rows);
  for (int64_t i = 0; i < rows; ++i)
    labels[i] = valueAt(c, i);
  return eval::checkLabels(spec, labels);
}

Expected<std::vector<double>> Evaluator::scoresFromColumns() {
  size_t k = spec.scores.size();
  std::vector<double> scores(rows * k);
  for (size_t j = 0; j < k; ++j)
    for (int64_t i = 0; i < rows; ++i)
      scores[i * k + j] = valueAt(columns[j], i);
  return scores; // checked by metricsOf
}

Expected<std::vector<double>> Evaluator::scoresFromModel(EvalResult &result) {
  CompileOptions copts;
  copts.specialize = options.specialize;
  Expected<Kernel> kernel = compile(*spec.model, copts);
  if (!kernel)
    return withContext(kernel.takeError(), "model: ");
  result.backend = kernel->backend();
  result.fallbackReason = kernel->fallbackReason();
  Expected<std::vector<double>> scores = runModel(*kernel, columns.drop_back(), rows);
  if (!scores)
    return withContext(scores.takeError(), "model: ");
  scoreNames = kernel->outputNames(); // the scores are checked by metricsOf
  return scores;
}

Expected<FoldResult> Evaluator::runFold(const eval::FoldPlan &plan, size_t f) {
  const Descriptor &trainDesc = spec.crossValidation->train;
  const TrainSpec &ts = trainDesc.spec<TrainSpec>();
  std::vector<int64_t> trainIdx = eval::trainRows(plan, f, rows);
  const std::vector<int64_t> &testIdx = plan.test[f];
  ArrayRef<Column> inputs = columns.drop_back();

  // Train on the other folds' rows, in their original order.
  std::vector<OwnedColumn> owned;
  for (const Column &c : inputs)
    owned.push_back(gather(c, trainIdx));
  owned.push_back(labelColumn(labels, trainIdx, ts.label.type));
  std::vector<Column> views;
  for (const OwnedColumn &c : owned)
    views.push_back(c.view());
  TrainOptions topts;
  topts.specialize = options.specialize;
  Expected<TrainResult> trained = train(trainDesc, views, topts);
  if (!trained)
    return withContext(trained.takeError(),
                       "training on " + Twine(trainIdx.size()) + " rows: ", trainIdx);

  // Score the fold's own rows with the compiled trained model.
  CompileOptions copts;
  copts.specialize = options.specialize;
  copts.useCache = false; // one model per fold: nothing to share
  Expected<Kernel> kernel = compile(trained->model, copts);
  if (!kernel)
    return withContext(kernel.takeError(), "the trained model: ");
  owned.clear();
  views.clear();
  for (const Column &c : inputs)
    owned.push_back(gather(c, testIdx));
  for (const OwnedColumn &c : owned)
    views.push_back(c.view());
  int64_t n = static_cast<int64_t>(testIdx.size());
  Expected<std::vector<double>> scores = runModel(*kernel, views, n);
  if (!scores)
    return withContext(scores.takeError(), "the trained model: ", testIdx);
  std::vector<double> foldLabels(n);
  for (int64_t i = 0; i < n; ++i)
    foldLabels[i] = labels[testIdx[i]];
  Expected<std::vector<MetricValue>> metrics =
      metricsOf(foldLabels, *scores, kernel->outputNames(), "trained model output");
  if (!metrics)
    return withContext(metrics.takeError(), "", testIdx);

  FoldResult r;
  r.testRows = testIdx;
  r.trainRows = static_cast<int64_t>(trainIdx.size());
  r.metrics = std::move(*metrics);
  r.stop = trained->stop;
  r.bestEpoch = trained->bestEpoch;
  r.backend = kernel->backend();
  return r;
}

Error Evaluator::crossValidate(EvalResult &result) {
  const CrossValidationSpec &cv = *spec.crossValidation;
  Expected<eval::FoldPlan> plan = cv.stratified
                                      ? eval::stratifiedKFold(labels, cv.k, cv.shuffleSeed)
                                      : eval::kFold(rows, cv.k, cv.shuffleSeed);
  if (!plan)
    return plan.takeError();
  result.warnings = plan->warnings;

  size_t k = plan->test.size();
  unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  unsigned threads = options.threads ? std::min(options.threads, hardware) : hardware;
  threads = std::min<unsigned>(threads, static_cast<unsigned>(k));
  if (unsigned cap = maxConcurrentTrainings())
    threads = std::min(threads, cap);
  threads = std::max(threads, 1u);

  std::vector<std::optional<FoldResult>> done(k);
  // A failed fold's error: its data row (RowError) or -1, and its text.
  std::vector<std::pair<int64_t, std::string>> errors(k);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t f; (f = next.fetch_add(1)) < k;) {
      Expected<FoldResult> r = runFold(*plan, f);
      if (r) {
        done[f] = std::move(*r);
        continue;
      }
      llvm::handleAllErrors(
          r.takeError(), [&](const RowError &e) { errors[f] = {e.row(), e.detail()}; },
          [&](const llvm::ErrorInfoBase &e) { errors[f] = {-1, e.message()}; });
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
  // The first failing fold by index, whatever finished first.
  for (size_t f = 0; f < k; ++f) {
    if (done[f])
      continue;
    std::string context = "fold " + std::to_string(f + 1) + " of " + std::to_string(k) + ": ";
    if (errors[f].first >= 0)
      return llvm::make_error<RowError>(errors[f].first, context + errors[f].second);
    return makeError(context + errors[f].second);
  }
  for (std::optional<FoldResult> &r : done)
    result.folds.push_back(std::move(*r));
  result.crossValidated = true;
  if (!result.folds.empty())
    result.backend = result.folds.front().backend;
  summarize(result);
  return Error::success();
}

/// Fold mean and population std of every metric (element-wise for
/// confusion_matrix).
void Evaluator::summarize(EvalResult &result) {
  size_t count = spec.metrics.size();
  std::vector<double> values(result.folds.size());
  auto over = [&](auto &&get) {
    for (size_t f = 0; f < result.folds.size(); ++f)
      values[f] = get(result.folds[f]);
  };
  for (size_t m = 0; m < count; ++m) {
    const MetricValue &first = result.folds.front().metrics[m];
    MetricValue mean{first.name, 0.0, {}}, stdev{first.name, 0.0, {}};
    if (first.isMatrix()) {
      size_t k = first.matrix.size();
      mean.value = stdev.value = std::numeric_limits<double>::quiet_NaN();
      mean.matrix.assign(k, std::vector<double>(k));
      stdev.matrix.assign(k, std::vector<double>(k));
      for (size_t t = 0; t < k; ++t)
        for (size_t p = 0; p < k; ++p) {
          over([&](const FoldResult &r) { return r.metrics[m].matrix[t][p]; });
          mean.matrix[t][p] = eval::mean(values);
          stdev.matrix[t][p] = eval::populationStd(values);
        }
    } else {
      over([&](const FoldResult &r) { return r.metrics[m].value; });
      mean.value = eval::mean(values);
      stdev.value = eval::populationStd(values);
    }
    result.mean.push_back(std::move(mean));
    result.std.push_back(std::move(stdev));
  }
}

Expected<EvalResult> Evaluator::run() {
  if (Error e = checkColumns())
    return std::move(e);
  if (Error e = readLabels())
    return std::move(e);
  EvalResult result;
  result.rows = rows;
  if (options.specialize.value_or(specializeEnabled())) {
    Expected<KernelFn> fn = compiledMetrics(desc);
    if (fn) {
      metricsKernel = *fn;
      result.metricsBackend = Backend::Jit;
    } else {
      result.metricsFallbackReason = llvm::toString(fn.takeError());
    }
  }
  if (spec.source == ScoreSource::CrossValidation) {
    if (Error e = crossValidate(result))
      return std::move(e);
    return result;
  }
  Expected<std::vector<double>> scores =
      spec.source == ScoreSource::Columns ? scoresFromColumns() : scoresFromModel(result);
  if (!scores)
    return scores.takeError();
  bool fromColumns = spec.source == ScoreSource::Columns;
  Expected<std::vector<MetricValue>> metrics =
      metricsOf(labels, *scores, fromColumns ? spec.scores : scoreNames,
                fromColumns ? "score" : "model output");
  if (!metrics)
    return metrics.takeError();
  result.metrics = std::move(*metrics);
  return result;
}

/// Writes one metric's value: a number (null for NaN) or a nested array.
void writeValue(llvm::json::OStream &j, const MetricValue &v) {
  auto number = [&](double d) {
    if (std::isfinite(d))
      j.rawValue(detail::formatNumber(d));
    else
      j.value(nullptr);
  };
  if (!v.isMatrix()) {
    number(v.value);
    return;
  }
  j.array([&] {
    for (const std::vector<double> &row : v.matrix)
      j.array([&] {
        for (double d : row)
          number(d);
      });
  });
}

void writeMetrics(llvm::json::OStream &j, ArrayRef<MetricValue> metrics) {
  j.object([&] {
    for (const MetricValue &v : metrics) {
      j.attributeBegin(v.name);
      writeValue(j, v);
      j.attributeEnd();
    }
  });
}

} // namespace

Expected<EvalResult> evaluate(const Descriptor &d, ArrayRef<Column> columns,
                              const EvalOptions &options) {
  if (d.kind() != Kind::Eval)
    return makeError("evaluate: expected an eval descriptor, got kind '" + kindName(d.kind()) +
                     "'");
  return Evaluator(d, columns, options).run();
}

std::string evalResultJson(const EvalResult &result) {
  std::string out;
  llvm::raw_string_ostream os(out);
  {
    llvm::json::OStream j(os);
    j.object([&] {
      if (!result.crossValidated) {
        j.attributeBegin("metrics");
        writeMetrics(j, result.metrics);
        j.attributeEnd();
        return;
      }
      j.attributeArray("folds", [&] {
        for (const FoldResult &f : result.folds)
          writeMetrics(j, f.metrics);
      });
      j.attributeBegin("mean");
      writeMetrics(j, result.mean);
      j.attributeEnd();
      j.attributeBegin("std");
      writeMetrics(j, result.std);
      j.attributeEnd();
    });
  }
  os.flush();
  return out;
}

} // namespace jit
} // namespace specjit
