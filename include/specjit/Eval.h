//===- specjit/Eval.h - Metrics and cross-validation from `eval` ---*- C++ -*-===//
//
// jit::evaluate() runs an `eval` descriptor (docs/eval-semantics.md) over
// caller-owned columns: metrics equal to scikit-learn's over score columns,
// over the outputs of an inline model (compiled with jit::compile), or per
// fold of a k-fold cross-validation that trains a model per fold
// (jit::train) and scores it on the fold's own rows.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_EVAL_H
#define SPECJIT_EVAL_H

#include "specjit/Descriptor.h"
#include "specjit/Kernel.h"
#include "specjit/Train.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace specjit {
namespace jit {

/// One computed metric.
struct MetricValue {
  /// The metric's descriptor spelling ("accuracy", "confusion_matrix", ...).
  std::string name;
  /// The value; NaN where scikit-learn returns NaN (r2 of fewer than 2
  /// rows). Unused (NaN) for confusion_matrix.
  double value = 0.0;
  /// confusion_matrix only: k x k, rows the true class, columns the
  /// predicted class, classes 0..k-1. Counts, or the fold mean / std of the
  /// counts in EvalResult::mean and EvalResult::std.
  std::vector<std::vector<double>> matrix;
  bool isMatrix() const { return !matrix.empty(); }
};

/// One fold of a cross-validation.
struct FoldResult {
  /// The fold's own rows (scored), ascending row indices of the data.
  std::vector<int64_t> testRows;
  /// How many rows the fold trained on (all the other folds' rows).
  int64_t trainRows = 0;
  /// The metrics on testRows, in the descriptor's order.
  std::vector<MetricValue> metrics;
  /// How the fold's training ended.
  StopReason stop = StopReason::Epochs;
  int64_t bestEpoch = 0;
  /// The backend that computed the scores (the compiled trained model).
  Backend backend = Backend::Interpreter;
};

struct EvalResult {
  int64_t rows = 0;
  /// Without cross-validation: the metrics in the descriptor's order.
  std::vector<MetricValue> metrics;
  /// With cross-validation: per fold, then the fold mean and the population
  /// standard deviation (ddof = 0) of every metric (element-wise for
  /// confusion_matrix).
  bool crossValidated = false;
  std::vector<FoldResult> folds;
  std::vector<MetricValue> mean, std;
  /// Conditions scikit-learn warns about (e.g. a class with fewer members
  /// than k under stratified folds); the results are still valid.
  std::vector<std::string> warnings;
  /// With an inline model: the backend that computed the scores, and why it
  /// fell back to the interpreter when specialization was on.
  Backend backend = Backend::Interpreter;
  std::string fallbackReason;
  /// What computed the metrics' pass over the rows (docs/eval-semantics.md,
  /// "Backends"): the compiled metrics kernel (Backend::Jit) or the generic
  /// code, and why it fell back to the generic code when specialization was
  /// on. The same for every fold of a cross-validation.
  Backend metricsBackend = Backend::Interpreter;
  std::string metricsFallbackReason;
};

struct EvalOptions {
  /// std::nullopt: follow the process-wide switch (setSpecialize()), for
  /// the metrics kernel, the inline model, the trainings and the trained
  /// models.
  std::optional<bool> specialize;
  /// Folds trained at once: 0 means the hardware threads; always at most
  /// the fold count, the hardware threads and maxConcurrentTrainings().
  unsigned threads = 0;
};

/// Evaluates `d` (kind eval) on `columns`: one Column per entry of
/// d.inputs(), in that order, all with one row count (at least 1). That
/// order is: the score columns then the label (with `scores`); the model's
/// inputs then the label (with `model`); the train descriptor's inputs then
/// the label (with `cross_validation`). Score columns are f64 or f32; the
/// label column is f64, f32, i64, i32 or bool and holds class ids (0/1,
/// 0..k-1) or finite targets. Fails with a jit::RowError (specjit/Errors.h:
/// the 0-based row of `columns`, "row N: ...") on a missing (NaN),
/// non-integral or out-of-range label or a non-finite score, and on a
/// training data error of a cross-validation fold (mapped to the data's
/// row); with a plain error on any metric scikit-learn rejects (roc_auc
/// with one class in the labels) and on other failures of a fold ("fold 2
/// of 5: ...").
llvm::Expected<EvalResult> evaluate(const Descriptor &d, llvm::ArrayRef<Column> columns,
                                    const EvalOptions &options = {});

/// The result as one JSON object: {"metrics": {name: value}}, or with
/// cross-validation {"folds": [{name: value}, ...], "mean": {...},
/// "std": {...}}; confusion_matrix as a nested array, non-finite values
/// (NaN, or inf from an overflowing regression sum) as null, numbers in
/// shortest round-trip form.
std::string evalResultJson(const EvalResult &result);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_EVAL_H
