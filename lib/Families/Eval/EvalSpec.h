//===- EvalSpec.h - The analyzed `eval` descriptor --------------*- C++ -*-===//
//
// Internal: what lib/Families/Eval/EvalDescriptor.cpp makes of a
// `kind: "eval"` document (docs/eval-semantics.md): the task, the metrics,
// where the scores come from (score columns, an inline model, or
// cross-validation of a train descriptor) and the columns a data file
// provides. Read by jit::evaluate (EvalApi.cpp) and the metric code.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_EVAL_EVALSPEC_H
#define SPECJIT_LIB_FAMILIES_EVAL_EVALSPEC_H

#include "Families/Model/ModelSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Object;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

/// The most classes a multiclass eval takes (its confusion matrix has k x k
/// cells).
constexpr int64_t kMaxEvalClasses = 1024;

/// What the label and the scores are.
enum class EvalTask : uint8_t {
  Binary,     ///< label 0/1, one score column (the probability of class 1)
  Multiclass, ///< label 0..k-1, k >= 2 score columns
  Regression, ///< finite targets, one prediction column
};
/// "binary", "multiclass", "regression".
llvm::StringRef evalTaskName(EvalTask t);

/// Every metric, in the order of the descriptor reference.
enum class Metric : uint8_t {
  Accuracy,
  Precision,
  Recall,
  F1,
  PrecisionMacro,
  RecallMacro,
  F1Macro,
  RocAuc,
  LogLoss,
  Mse,
  Mae,
  R2,
  ConfusionMatrix,
};
/// The descriptor spelling ("accuracy", ..., "confusion_matrix").
llvm::StringRef metricName(Metric m);
/// Every metric, in enum order.
llvm::ArrayRef<Metric> allMetrics();
/// Whether `m` is defined for task `t` (e.g. mse only for regression,
/// precision without _macro only for binary).
bool metricAllowed(Metric m, EvalTask t);

/// Where the scores come from.
enum class ScoreSource : uint8_t {
  Columns,         ///< `scores`: columns of the data
  Model,           ///< `model`: the outputs of an inline model descriptor
  CrossValidation, ///< `cross_validation`: models trained per fold
};

/// `cross_validation`: k folds as scikit-learn's KFold / StratifiedKFold.
struct CrossValidationSpec {
  int64_t k = 5;
  bool stratified = false;
  /// Present: the rows are permuted (SplitMix64, docs/eval-semantics.md)
  /// before the folds are cut.
  std::optional<uint64_t> shuffleSeed;
  /// The train descriptor (kind train) each fold runs.
  Descriptor train;
};

struct EvalSpec {
  static constexpr Kind kKind = Kind::Eval;

  std::string name;
  EvalTask task = EvalTask::Binary;
  /// The label column's name (read as f64 and checked against the task).
  std::string label;
  /// The metrics, as written (unique).
  std::vector<Metric> metrics;
  /// Binary only: predicted class 1 when score > threshold.
  double threshold = 0.5;
  /// Classes: 2 for binary, the score count for multiclass, 0 for regression.
  int64_t numClasses = 2;

  ScoreSource source = ScoreSource::Columns;
  /// ScoreSource::Columns: the score column names (1, or k for multiclass).
  std::vector<std::string> scores;
  /// ScoreSource::Model: the model descriptor (kind model).
  std::optional<Descriptor> model;
  /// ScoreSource::CrossValidation.
  std::optional<CrossValidationSpec> crossValidation;

  /// The columns a data file provides, in the order jit::evaluate takes
  /// them: the score columns then the label (Columns); the model's inputs
  /// then the label (Model); the train descriptor's inputs then the label
  /// (CrossValidation). The label is always F64 here.
  std::vector<InputColumn> dataColumns;
  /// Output names for Descriptor::outputNames (the metric names, in order).
  std::vector<std::string> outputNames;
};

namespace detail {

/// EvalDescriptor.cpp: a validated `kind: "eval"` document, and its lines
/// for `specjit info`.
llvm::Expected<Descriptor> parseEval(const llvm::json::Object &root);
std::string summarizeEval(const EvalSpec &spec);

} // namespace detail
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_EVAL_EVALSPEC_H
