//===- Folds.cpp - Cross-validation folds ---------------------------------===//
//
// KFold and StratifiedKFold as scikit-learn 1.2.1 computes them
// (sklearn/model_selection/_split.py: KFold._iter_test_indices,
// StratifiedKFold._make_test_folds), including their errors and the
// warning about small classes. Shuffling uses SplitMix64 (the generator of
// docs/train-semantics.md, train::splitMix64) instead of numpy's
// RandomState, so shuffled folds are specjit's own, identical on every
// platform.
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/Folds.h"
#include "Families/Eval/EvalSpec.h"

#include "Descriptor/DescriptorInternal.h"
#include "Families/Train/Trainer.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <numeric>

using llvm::Expected;
using llvm::Twine;

namespace specjit {
namespace jit {
namespace eval {

namespace {

/// SplitMix64 (docs/train-semantics.md, "Generators"), the train family's.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() { return train::splitMix64(state); }
};

/// Fisher-Yates: for i from size-1 down to 1, swap v[i] with v[next() mod
/// (i + 1)].
template <typename T> void shuffle(std::vector<T> &v, SplitMix64 &rng) {
  for (size_t i = v.size(); i-- > 1;)
    std::swap(v[i], v[rng.next() % (i + 1)]);
}

llvm::Error tooManyFolds(int64_t k, int64_t n) {
  return detail::failAt("cross_validation.k", "k=" + Twine(k) + " folds need at least " + Twine(k) +
                                                  " rows, the data has " + Twine(n));
}

} // namespace

Expected<FoldPlan> kFold(int64_t n, int64_t k, std::optional<uint64_t> shuffleSeed) {
  if (k > n)
    return tooManyFolds(k, n);
  std::vector<int64_t> indices(n);
  std::iota(indices.begin(), indices.end(), int64_t(0));
  if (shuffleSeed) {
    SplitMix64 rng{*shuffleSeed};
    shuffle(indices, rng);
  }
  FoldPlan plan;
  int64_t at = 0;
  for (int64_t f = 0; f < k; ++f) {
    int64_t size = n / k + (f < n % k ? 1 : 0);
    std::vector<int64_t> test(indices.begin() + at, indices.begin() + at + size);
    std::sort(test.begin(), test.end());
    plan.test.push_back(std::move(test));
    at += size;
  }
  return plan;
}

Expected<FoldPlan> stratifiedKFold(llvm::ArrayRef<double> labels, int64_t k,
                                   std::optional<uint64_t> shuffleSeed) {
  int64_t n = static_cast<int64_t>(labels.size());
  if (k > n)
    return tooManyFolds(k, n);
  // Classes numbered by first appearance (sklearn's y_encoded).
  llvm::DenseMap<int64_t, int64_t> codeOf;
  std::vector<int64_t> encoded(n);
  std::vector<int64_t> counts;
  for (int64_t i = 0; i < n; ++i) {
    auto [it, inserted] =
        codeOf.try_emplace(static_cast<int64_t>(labels[i]), static_cast<int64_t>(counts.size()));
    if (inserted)
      counts.push_back(0);
    encoded[i] = it->second;
    ++counts[it->second];
  }
  size_t classes = counts.size();
  int64_t smallest = *std::min_element(counts.begin(), counts.end());
  if (std::all_of(counts.begin(), counts.end(), [&](int64_t c) { return k > c; }))
    return detail::failAt("cross_validation.k",
                          "k=" + Twine(k) +
                              " cannot be greater than the number of members "
                              "in each class (the largest class has " +
                              Twine(*std::max_element(counts.begin(), counts.end())) + " rows)");
  FoldPlan plan;
  if (k > smallest)
    plan.warnings.push_back("the least populated class in the labels has "
                            "only " +
                            std::to_string(smallest) +
                            " members, which is less than k=" + std::to_string(k));
  // allocation[f][c]: how many rows of class c fold f tests. sklearn counts
  // class c in sorted(encoded)[f::k]; class c fills sorted positions
  // [start_c, start_c + counts[c]).
  std::vector<std::vector<int64_t>> allocation(k, std::vector<int64_t>(classes));
  int64_t start = 0;
  for (size_t c = 0; c < classes; ++c) {
    for (int64_t pos = start; pos < start + counts[c]; ++pos)
      ++allocation[pos % k][c];
    start += counts[c];
  }
  // Each class's rows, in row order, take folds 0, 0, ..., 1, 1, ... as the
  // allocation says (or those folds shuffled).
  std::vector<int64_t> foldOf(n);
  std::vector<std::vector<int64_t>> rowsOf(classes);
  for (int64_t i = 0; i < n; ++i)
    rowsOf[encoded[i]].push_back(i);
  std::optional<SplitMix64> rng;
  if (shuffleSeed)
    rng = SplitMix64{*shuffleSeed};
  for (size_t c = 0; c < classes; ++c) {
    std::vector<int64_t> folds;
    for (int64_t f = 0; f < k; ++f)
      folds.insert(folds.end(), allocation[f][c], f);
    if (rng)
      shuffle(folds, *rng);
    for (size_t j = 0; j < rowsOf[c].size(); ++j)
      foldOf[rowsOf[c][j]] = folds[j];
  }
  plan.test.assign(k, {});
  for (int64_t i = 0; i < n; ++i)
    plan.test[foldOf[i]].push_back(i);
  return plan;
}

std::vector<int64_t> trainRows(const FoldPlan &plan, size_t f, int64_t n) {
  std::vector<uint8_t> inTest(n, 0);
  for (int64_t r : plan.test[f])
    inTest[r] = 1;
  std::vector<int64_t> out;
  out.reserve(n - plan.test[f].size());
  for (int64_t r = 0; r < n; ++r)
    if (!inTest[r])
      out.push_back(r);
  return out;
}

} // namespace eval
} // namespace jit
} // namespace specjit
