//===- Metrics.h - The eval family's metrics --------------------*- C++ -*-===//
//
// Internal: the metrics of docs/eval-semantics.md, each equal to
// scikit-learn 1.2's sklearn.metrics function on the same data, and the
// checks of labels and scores that come before them. Sums follow numpy's
// pairwise summation exactly, so that means (and r2's "constant y" test,
// which depends on the rounding of the mean) agree with numpy bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_EVAL_METRICS_H
#define SPECJIT_LIB_FAMILIES_EVAL_METRICS_H

#include "Families/Eval/EvalSpec.h"

#include "specjit/Eval.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace specjit {
namespace jit {
namespace eval {

/// numpy's float64 add.reduce over a contiguous array (pairwise summation
/// with 8 accumulators in blocks of at most 128), bit for bit.
double pairwiseSum(llvm::ArrayRef<double> values);
/// pairwiseSum(values) / values.size(): numpy's mean.
double mean(llvm::ArrayRef<double> values);
/// numpy's std with ddof = 0: sqrt(mean((x - mean(x))^2)).
double populationStd(llvm::ArrayRef<double> values);

/// Checks every label for the task: classification labels are class ids
/// (integral, in 0..numClasses-1, not NaN), regression targets are finite.
/// The first bad row is a jit::RowError naming the label column.
llvm::Error checkLabels(const EvalSpec &spec, llvm::ArrayRef<double> labels);

/// Checks that every score is finite (scikit-learn rejects NaN and inf);
/// `scores` is row-major with `names.size()` columns. The first bad row is
/// a jit::RowError naming the column (`what` 'name').
llvm::Error checkScores(llvm::ArrayRef<double> scores, llvm::ArrayRef<std::string> names,
                        llvm::StringRef what);

/// What the metrics of a spec need from the rows (the accumulators of the
/// compiled metrics kernel, spec.metrics_pass).
struct StatsNeeds {
  bool counts = false;   ///< the confusion matrix (counting metrics)
  bool logLoss = false;  ///< the sum of the per-row log losses
  bool squared = false;  ///< the sum of (y - s)^2 (mse, r2)
  bool absolute = false; ///< the sum of |s - y| (mae)
  bool r2 = false;       ///< the sum of y and of (y - mean(y))^2
  bool rowSums = false;  ///< multiclass roc_auc: every score row sums to 1
};
StatsNeeds statsNeeds(const EvalSpec &spec);

/// The statistics of one pass over the rows, from which the counting and
/// summing metrics are finished: computed by the generic code
/// (computeStats) or by the compiled metrics kernel (its slots,
/// Runtime/MetricsABI.h). Every sum is numpy's add.reduce over the per-row
/// terms, so both give the same bits. Fields a spec does not need are 0.
struct MetricStats {
  std::vector<int64_t> cells; ///< k x k confusion counts, row = true class
  double logLossSum = 0, squaredSum = 0, absoluteSum = 0, labelSum = 0, r2Denominator = 0;
  /// The first row whose scores do not sum to 1 (rowSums), or -1.
  int64_t badProbabilityRow = -1;
};

/// The generic code's statistics over checked labels and row-major scores.
MetricStats computeStats(const EvalSpec &spec, llvm::ArrayRef<double> labels,
                         llvm::ArrayRef<double> scores);

/// The metrics of `spec` from `stats` (either backend's), in the
/// descriptor's order; labels and row-major scores are read only by
/// roc_auc's sort, which both backends share. Fails where scikit-learn
/// raises (see computeMetrics).
llvm::Expected<std::vector<MetricValue>> finishMetrics(const EvalSpec &spec,
                                                       const MetricStats &stats,
                                                       llvm::ArrayRef<double> labels,
                                                       llvm::ArrayRef<double> scores);

/// The metrics of `spec` over checked labels and row-major scores (1 or
/// numClasses columns), in the descriptor's order: computeStats, then
/// finishMetrics. Counting metrics come
/// from one confusion-matrix pass; roc_auc from a sort with midranks. Fails
/// where scikit-learn raises (roc_auc with one class in the labels, a
/// multiclass roc_auc whose score rows do not sum to 1 or whose labels miss
/// a class).
llvm::Expected<std::vector<MetricValue>>
computeMetrics(const EvalSpec &spec, llvm::ArrayRef<double> labels, llvm::ArrayRef<double> scores);

/// Binary ROC AUC of `scores` (with `stride` between consecutive rows)
/// against positives `isPositive`: the Mann-Whitney statistic with ties
/// given their midrank, equal to sklearn's roc_auc_score. Fails when one
/// class is absent.
llvm::Expected<double> binaryRocAuc(llvm::ArrayRef<uint8_t> isPositive, const double *scores,
                                    size_t stride);

} // namespace eval
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_EVAL_METRICS_H
