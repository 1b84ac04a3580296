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
llvm::Error checkScores(llvm::ArrayRef<double> scores,
                        llvm::ArrayRef<std::string> names, llvm::StringRef what);

/// The metrics of `spec` over checked labels and row-major scores (1 or
/// numClasses columns), in the descriptor's order. Counting metrics come
/// from one confusion-matrix pass; roc_auc from a sort with midranks. Fails
/// where scikit-learn raises (roc_auc with one class in the labels, a
/// multiclass roc_auc whose score rows do not sum to 1 or whose labels miss
/// a class).
llvm::Expected<std::vector<MetricValue>>
computeMetrics(const EvalSpec &spec, llvm::ArrayRef<double> labels,
               llvm::ArrayRef<double> scores);

/// Binary ROC AUC of `scores` (with `stride` between consecutive rows)
/// against positives `isPositive`: the Mann-Whitney statistic with ties
/// given their midrank, equal to sklearn's roc_auc_score. Fails when one
/// class is absent.
llvm::Expected<double> binaryRocAuc(llvm::ArrayRef<uint8_t> isPositive,
                                    const double *scores, size_t stride);

} // namespace eval
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_EVAL_METRICS_H
