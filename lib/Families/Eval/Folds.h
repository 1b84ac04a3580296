//===- Folds.h - Cross-validation folds -------------------------*- C++ -*-===//
//
// Internal: the fold index sets of the eval family's cross-validation,
// identical to scikit-learn 1.2's KFold and StratifiedKFold with
// shuffle=False, and a documented SplitMix64 shuffle otherwise
// (docs/eval-semantics.md, "Folds").
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_EVAL_FOLDS_H
#define SPECJIT_LIB_FAMILIES_EVAL_FOLDS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace specjit {
namespace jit {
namespace eval {

/// The folds of one cross-validation.
struct FoldPlan {
  /// Per fold, its test rows in ascending order; every row is in exactly
  /// one fold.
  std::vector<std::vector<int64_t>> test;
  /// What scikit-learn warns about (a class with fewer than k members).
  std::vector<std::string> warnings;
};

/// KFold(k) over `n` rows: the first n % k folds have n / k + 1 rows, the
/// others n / k, cut from the rows in order (or, with a seed, from a
/// SplitMix64 permutation of them). Fails when k > n.
llvm::Expected<FoldPlan> kFold(int64_t n, int64_t k, std::optional<uint64_t> shuffleSeed);

/// StratifiedKFold(k) over class ids `labels` (integral doubles): classes
/// are numbered by first appearance, allocated to folds round-robin over
/// the sorted numbering, and each class's rows take their folds in row
/// order (or, with a seed, in a SplitMix64 permutation per class). Fails
/// when k > n or when every class has fewer than k members; warns when the
/// smallest class does.
llvm::Expected<FoldPlan> stratifiedKFold(llvm::ArrayRef<double> labels, int64_t k,
                                         std::optional<uint64_t> shuffleSeed);

/// The training rows of fold `f`: every row of the other folds, ascending.
std::vector<int64_t> trainRows(const FoldPlan &plan, size_t f, int64_t n);

} // namespace eval
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_EVAL_FOLDS_H
