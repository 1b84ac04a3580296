//===- Metrics.cpp - The eval family's metrics ----------------------------===//
//
// Every metric of docs/eval-semantics.md, written to give scikit-learn
// 1.2.1's result on the same data (its source is the reference: the order
// of operations follows sklearn/metrics/_classification.py, _ranking.py and
// _regression.py, and every mean is numpy's). The counting metrics
// (accuracy, precision, recall, F1 and their macro forms, the confusion
// matrix) come from one pass that fills the k x k confusion matrix; ROC AUC
// sorts the scores once per class and sums midranks exactly in integers;
// log loss and the regression metrics are one pass each over the rows.
// The passes over the rows produce MetricStats; finishMetrics turns them
// into the metrics, for these statistics and for the compiled metrics
// kernel's (spec.metrics_pass) alike.
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/Metrics.h"
#include "Families/Eval/EvalSpec.h"

#include "Descriptor/DescriptorInternal.h"

#include "specjit/Errors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::Twine;

namespace specjit {
namespace jit {
namespace eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// log_loss clips probabilities to [kEps, 1 - kEps] (DESIGN.md; sklearn's
/// log_loss(..., eps=1e-15)).
constexpr double kEps = 1e-15;
/// numpy's reductions run over buffers of this many elements.
constexpr size_t kNumpyBuffer = 8192;
/// numpy's pairwise summation block.
constexpr size_t kPairwiseBlock = 128;

Error makeError(const Twine &msg) { return detail::makeError(msg); }

/// A data value for a message: NaN, inf, -inf or formatNumber's spelling.
std::string valueText(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  return detail::formatNumber(v);
}

/// numpy's pairwise_sum (numpy/core/src/umath/loops_utils.h.src).
double pairwiseBlock(const double *a, size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (size_t i = 0; i < n; ++i)
      res += a[i];
    return res;
  }
  if (n <= kPairwiseBlock) {
    double r[8];
    for (size_t j = 0; j < 8; ++j)
      r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (size_t j = 0; j < 8; ++j)
        r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i)
      res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwiseBlock(a, n2) + pairwiseBlock(a + n2, n - n2);
}

/// The counts of one evaluation: the confusion matrix and its margins.
struct Confusion {
  int64_t k = 0;
  std::vector<int64_t> cells; ///< k x k, row = true class
  std::vector<int64_t> trueCount, predCount;
  int64_t rows = 0, correct = 0;

  int64_t at(int64_t t, int64_t p) const { return cells[t * k + p]; }
};

/// The predicted class of every row, counted into the k x k cells.
std::vector<int64_t> countCells(const EvalSpec &spec, ArrayRef<double> labels,
                                ArrayRef<double> scores) {
  int64_t k = spec.numClasses;
  std::vector<int64_t> cells(k * k, 0);
  size_t n = labels.size();
  if (spec.task == EvalTask::Binary) {
    for (size_t i = 0; i < n; ++i) {
      int64_t t = static_cast<int64_t>(labels[i]);
      int64_t p = scores[i] > spec.threshold ? 1 : 0;
      ++cells[t * 2 + p];
    }
    return cells;
  }
  size_t kk = static_cast<size_t>(k);
  for (size_t i = 0; i < n; ++i) {
    const double *row = scores.data() + i * kk;
    size_t p = 0; // argmax, the first on ties
    for (size_t j = 1; j < kk; ++j)
      if (row[j] > row[p])
        p = j;
    int64_t t = static_cast<int64_t>(labels[i]);
    ++cells[t * k + static_cast<int64_t>(p)];
  }
  return cells;
}

/// The confusion matrix of `cells` over `rows` rows, with its margins.
Confusion confusionOf(int64_t k, const std::vector<int64_t> &cells, int64_t rows) {
  Confusion c;
  c.k = k;
  c.cells = cells;
  c.rows = rows;
  c.trueCount.assign(c.k, 0);
  c.predCount.assign(c.k, 0);
  for (int64_t t = 0; t < c.k; ++t)
    for (int64_t p = 0; p < c.k; ++p) {
      c.trueCount[t] += c.at(t, p);
      c.predCount[p] += c.at(t, p);
      if (t == p)
        c.correct += c.at(t, p);
    }
  return c;
}

/// Precision, recall and F1 of one label from its counts, as sklearn's
/// precision_recall_fscore_support with zero_division=0 (F from the rounded
/// precision and recall, as sklearn does).
struct Prf {
  double precision = 0, recall = 0, f1 = 0;
};
Prf prfOf(int64_t tp, int64_t pred, int64_t truth) {
  Prf r;
  r.precision = pred == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(pred);
  r.recall = truth == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(truth);
  double denom = 1.0 * r.precision + r.recall;
  if (denom == 0.0)
    denom = 1.0;
  r.f1 = 2.0 * r.precision * r.recall / denom;
  return r;
}

/// The macro averages over sklearn's default labels: the sorted union of
/// the classes present in the labels and in the predictions.
Prf macroOf(const Confusion &c) {
  std::vector<double> p, r, f;
  for (int64_t l = 0; l < c.k; ++l) {
    if (c.trueCount[l] == 0 && c.predCount[l] == 0)
      continue;
    Prf one = prfOf(c.at(l, l), c.predCount[l], c.trueCount[l]);
    p.push_back(one.precision);
    r.push_back(one.recall);
    f.push_back(one.f1);
  }
  return {mean(p), mean(r), mean(f)};
}

/// The sum in sklearn's log_loss(y, p, eps=1e-15, labels=range(k)): clip,
/// renormalize each row, sum of -log p[y] (the loss is its mean).
double logLossSum(const EvalSpec &spec, ArrayRef<double> labels, ArrayRef<double> scores) {
  size_t n = labels.size();
  std::vector<double> loss(n);
  auto clip = [](double p) { return std::min(std::max(p, kEps), 1.0 - kEps); };
  if (spec.task == EvalTask::Binary) {
    for (size_t i = 0; i < n; ++i) {
      double q1 = clip(scores[i]);
      double q0 = 1.0 - q1;
      double sum = q0 + q1;
      loss[i] = -std::log((labels[i] != 0.0 ? q1 : q0) / sum);
    }
  } else {
    size_t k = static_cast<size_t>(spec.numClasses);
    std::vector<double> row(k);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < k; ++j)
        row[j] = clip(scores[i * k + j]);
      double sum = pairwiseSum(row);
      loss[i] = -std::log(row[static_cast<size_t>(labels[i])] / sum);
    }
  }
  return pairwiseSum(loss);
}

/// np.allclose(1, row sums): sklearn's test that multiclass roc_auc scores
/// are probabilities. The first row that fails, or -1.
int64_t firstNonProbabilityRow(const EvalSpec &spec, ArrayRef<double> scores) {
  size_t k = static_cast<size_t>(spec.numClasses);
  size_t n = scores.size() / k;
  for (size_t i = 0; i < n; ++i) {
    double s = pairwiseSum(scores.slice(i * k, k));
    if (!(std::fabs(1.0 - s) <= 1e-8 + 1e-5 * std::fabs(s)))
      return static_cast<int64_t>(i);
  }
  return -1;
}

Expected<double> rocAuc(const EvalSpec &spec, const MetricStats &stats, ArrayRef<double> labels,
                        ArrayRef<double> scores) {
  size_t n = labels.size();
  std::vector<uint8_t> positive(n);
  if (spec.task == EvalTask::Binary) {
    for (size_t i = 0; i < n; ++i)
      positive[i] = labels[i] != 0.0;
    return binaryRocAuc(positive, scores.data(), 1);
  }
  size_t k = static_cast<size_t>(spec.numClasses);
  if (int64_t bad = stats.badProbabilityRow; bad >= 0)
    return makeError("roc_auc: the scores of row " + Twine(bad) + " sum to " +
                     detail::formatNumber(pairwiseSum(scores.slice(bad * k, k))) +
                     ", not 1: multiclass ROC AUC needs probabilities "
                     "(one column per class, rows summing to 1)");
  std::vector<double> perClass;
  for (size_t c = 0; c < k; ++c) {
    size_t members = 0;
    for (size_t i = 0; i < n; ++i) {
      positive[i] = labels[i] == static_cast<double>(c);
      members += positive[i];
    }
    if (members == 0)
      return makeError("roc_auc: class " + Twine(c) +
                       " does not occur in the labels: one-vs-rest ROC AUC "
                       "needs every class 0.." +
                       Twine(k - 1) + " present");
    Expected<double> auc = binaryRocAuc(positive, scores.data() + c, k);
    if (!auc)
      return auc.takeError();
    perClass.push_back(*auc);
  }
  return mean(perClass);
}

/// sklearn's r2_score with force_finite=True, from the sum of squared
/// errors and the sum of squared deviations from numpy's mean.
double r2Score(size_t n, double numerator, double denominator) {
  if (n < 2)
    return kNaN; // sklearn: not well-defined with less than two samples
  if (numerator == 0.0)
    return 1.0;
  if (denominator == 0.0)
    return 0.0;
  return 1.0 - numerator / denominator;
}

} // namespace

double pairwiseSum(ArrayRef<double> values) {
  double s = 0.0;
  for (size_t at = 0; at < values.size(); at += kNumpyBuffer) {
    size_t len = std::min(kNumpyBuffer, values.size() - at);
    s += pairwiseBlock(values.data() + at, len);
  }
  return s;
}

double mean(ArrayRef<double> values) {
  if (values.empty())
    return kNaN;
  return pairwiseSum(values) / static_cast<double>(values.size());
}

double populationStd(ArrayRef<double> values) {
  if (values.empty())
    return kNaN;
  double m = mean(values);
  std::vector<double> sq(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    double d = values[i] - m;
    sq[i] = d * d;
  }
  return std::sqrt(mean(sq));
}

Error checkLabels(const EvalSpec &spec, ArrayRef<double> labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    double v = labels[i];
    auto bad = [&](const Twine &what) {
      return llvm::make_error<RowError>(
          static_cast<int64_t>(i), ("label " + detail::quoted(spec.label) + " is " + what).str());
    };
    if (std::isnan(v))
      return bad("missing (NaN)");
    if (spec.task == EvalTask::Regression) {
      if (!std::isfinite(v))
        return bad(valueText(v) + ", expected a finite target");
      continue;
    }
    if (!std::isfinite(v) || std::trunc(v) != v || v < 0 ||
        v > static_cast<double>(spec.numClasses - 1))
      return bad(valueText(v) + ", expected a class id in 0.." + Twine(spec.numClasses - 1));
  }
  return Error::success();
}

Error checkScores(ArrayRef<double> scores, ArrayRef<std::string> names, llvm::StringRef what) {
  size_t k = names.size();
  for (size_t i = 0; i < scores.size(); ++i)
    if (!std::isfinite(scores[i]))
      return llvm::make_error<RowError>(static_cast<int64_t>(i / k),
                                        (Twine(what) + " " + detail::quoted(names[i % k]) + " is " +
                                         valueText(scores[i]) + "; scores must be finite")
                                            .str());
  return Error::success();
}

Expected<double> binaryRocAuc(ArrayRef<uint8_t> isPositive, const double *scores, size_t stride) {
  size_t n = isPositive.size();
  int64_t positives = 0;
  for (uint8_t p : isPositive)
    positives += p;
  int64_t negatives = static_cast<int64_t>(n) - positives;
  if (positives == 0 || negatives == 0)
    return makeError(Twine("roc_auc: only one class is present in the labels "
                           "(every row is ") +
                     (positives == 0 ? "negative" : "positive") + "): ROC AUC is not defined");
  // Sort (score, positive) pairs by score: direct keys, no indirection.
  std::vector<std::pair<double, uint8_t>> sorted(n);
  for (size_t i = 0; i < n; ++i)
    sorted[i] = {scores[i * stride], isPositive[i]};
  std::sort(sorted.begin(), sorted.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  // Twice the sum of the positives' midranks (1-based): a tie group over
  // sorted positions [i, j) has midrank (i + 1 + j) / 2.
  uint64_t twiceRankSum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    uint64_t inGroup = sorted[i].second;
    while (j < n && sorted[j].first == sorted[i].first)
      inGroup += sorted[j++].second;
    twiceRankSum += inGroup * static_cast<uint64_t>(i + 1 + j);
    i = j;
  }
  uint64_t p = static_cast<uint64_t>(positives);
  double u2 = static_cast<double>(twiceRankSum - p * (p + 1));
  return u2 / (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}

StatsNeeds statsNeeds(const EvalSpec &spec) {
  StatsNeeds need;
  for (Metric m : spec.metrics) {
    switch (m) {
    case Metric::Accuracy:
    case Metric::Precision:
    case Metric::Recall:
    case Metric::F1:
    case Metric::PrecisionMacro:
    case Metric::RecallMacro:
    case Metric::F1Macro:
    case Metric::ConfusionMatrix:
      need.counts = true;
      break;
    case Metric::RocAuc:
      need.rowSums |= spec.task == EvalTask::Multiclass;
      break;
    case Metric::LogLoss:
      need.logLoss = true;
      break;
    case Metric::Mse:
      need.squared = true;
      break;
    case Metric::Mae:
      need.absolute = true;
      break;
    case Metric::R2:
      need.squared = need.r2 = true;
      break;
    }
  }
  return need;
}

MetricStats computeStats(const EvalSpec &spec, ArrayRef<double> labels, ArrayRef<double> scores) {
  StatsNeeds need = statsNeeds(spec);
  MetricStats st;
  size_t n = labels.size();
  if (need.counts)
    st.cells = countCells(spec, labels, scores);
  if (need.logLoss)
    st.logLossSum = logLossSum(spec, labels, scores);
  std::vector<double> terms;
  if (need.squared) {
    terms.resize(n);
    for (size_t i = 0; i < n; ++i) {
      double d = labels[i] - scores[i];
      terms[i] = d * d;
    }
    st.squaredSum = pairwiseSum(terms);
  }
  if (need.absolute) {
    terms.resize(n);
    for (size_t i = 0; i < n; ++i)
      terms[i] = std::fabs(scores[i] - labels[i]);
    st.absoluteSum = pairwiseSum(terms);
  }
  if (need.r2) {
    st.labelSum = pairwiseSum(labels);
    double avg = st.labelSum / static_cast<double>(n); // numpy's mean
    terms.resize(n);
    for (size_t i = 0; i < n; ++i) {
      double d = labels[i] - avg;
      terms[i] = d * d;
    }
    st.r2Denominator = pairwiseSum(terms);
  }
  if (need.rowSums)
    st.badProbabilityRow = firstNonProbabilityRow(spec, scores);
  return st;
}

Expected<std::vector<MetricValue>> finishMetrics(const EvalSpec &spec, const MetricStats &stats,
                                                 ArrayRef<double> labels, ArrayRef<double> scores) {
  std::vector<MetricValue> out;
  size_t n = labels.size();
  double rows = static_cast<double>(n);
  Confusion c;
  if (!stats.cells.empty())
    c = confusionOf(spec.numClasses, stats.cells, static_cast<int64_t>(n));
  std::optional<Prf> macro;
  auto getMacro = [&]() -> const Prf & {
    if (!macro)
      macro = macroOf(c);
    return *macro;
  };
  Prf positive;
  if (spec.task == EvalTask::Binary && !stats.cells.empty())
    positive = prfOf(c.at(1, 1), c.predCount[1], c.trueCount[1]);

  for (Metric m : spec.metrics) {
    MetricValue v;
    v.name = metricName(m).str();
    switch (m) {
    case Metric::Accuracy:
      v.value = static_cast<double>(c.correct) / static_cast<double>(c.rows);
      break;
    case Metric::Precision:
      v.value = positive.precision;
      break;
    case Metric::Recall:
      v.value = positive.recall;
      break;
    case Metric::F1:
      v.value = positive.f1;
      break;
    case Metric::PrecisionMacro:
      v.value = getMacro().precision;
      break;
    case Metric::RecallMacro:
      v.value = getMacro().recall;
      break;
    case Metric::F1Macro:
      v.value = getMacro().f1;
      break;
    case Metric::RocAuc: {
      Expected<double> auc = rocAuc(spec, stats, labels, scores);
      if (!auc)
        return auc.takeError();
      v.value = *auc;
      break;
    }
    case Metric::LogLoss:
      v.value = stats.logLossSum / rows;
      break;
    case Metric::Mse:
      v.value = stats.squaredSum / rows;
      break;
    case Metric::Mae:
      v.value = stats.absoluteSum / rows;
      break;
    case Metric::R2:
      v.value = r2Score(n, stats.squaredSum, stats.r2Denominator);
      break;
    case Metric::ConfusionMatrix:
      v.value = kNaN;
      v.matrix.assign(c.k, std::vector<double>(c.k, 0.0));
      for (int64_t t = 0; t < c.k; ++t)
        for (int64_t p = 0; p < c.k; ++p)
          v.matrix[t][p] = static_cast<double>(c.at(t, p));
      break;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Expected<std::vector<MetricValue>> computeMetrics(const EvalSpec &spec, ArrayRef<double> labels,
                                                  ArrayRef<double> scores) {
  return finishMetrics(spec, computeStats(spec, labels, scores), labels, scores);
}

} // namespace eval
} // namespace jit
} // namespace specjit
