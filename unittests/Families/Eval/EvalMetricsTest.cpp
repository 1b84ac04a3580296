//===- EvalMetricsTest.cpp - Metrics and folds on hand-checked cases ------===//
//
// Each metric of the eval family on small data whose result is worked out
// by hand in the comments, numpy's summation order, the label checks, and
// the fold index sets of KFold / StratifiedKFold.
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/Folds.h"
#include "Families/Eval/Metrics.h"

#include "specjit/Descriptor.h"
#include "specjit/Errors.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

using namespace specjit::jit;
using namespace specjit::jit::eval;

namespace {

EvalSpec specOf(EvalTask task, std::vector<Metric> metrics, int64_t k = 2) {
  EvalSpec s;
  s.task = task;
  s.label = "y";
  s.metrics = std::move(metrics);
  s.numClasses = task == EvalTask::Regression ? 0 : k;
  return s;
}

/// The metrics by name; fails the test on an error.
std::map<std::string, MetricValue> run(const EvalSpec &spec, std::vector<double> y,
                                       std::vector<double> scores) {
  std::map<std::string, MetricValue> out;
  llvm::Expected<std::vector<MetricValue>> r = computeMetrics(spec, y, scores);
  if (!r) {
    ADD_FAILURE() << llvm::toString(r.takeError());
    return out;
  }
  for (MetricValue &v : *r)
    out[v.name] = v;
  return out;
}

std::string errorOf(llvm::Error e) { return e ? llvm::toString(std::move(e)) : std::string(); }

TEST(EvalMetrics, BinaryCounts) {
  // y    1   0   1   1   0   0
  // p   .9  .4  .6  .2  .7  .1  -> predicted 1 0 1 0 1 0
  // TP 2 (rows 0, 2), FP 1 (row 4), FN 1 (row 3), TN 2.
  EvalSpec s = specOf(EvalTask::Binary, {Metric::Accuracy, Metric::Precision, Metric::Recall,
                                         Metric::F1, Metric::RocAuc, Metric::ConfusionMatrix});
  auto m = run(s, {1, 0, 1, 1, 0, 0}, {.9, .4, .6, .2, .7, .1});
  EXPECT_DOUBLE_EQ(m["accuracy"].value, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m["precision"].value, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["recall"].value, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["f1"].value, 2.0 / 3.0);
  // Pairs (positive, negative) ranked right: .9 beats 3, .6 beats 2, .2
  // beats 1: 6 of 9.
  EXPECT_DOUBLE_EQ(m["roc_auc"].value, 6.0 / 9.0);
  EXPECT_EQ(m["confusion_matrix"].matrix, (std::vector<std::vector<double>>{{2, 1}, {1, 2}}));
}

TEST(EvalMetrics, ThresholdIsStrictAndZeroDivisionIsZero) {
  // Every score equals the threshold: all predicted 0, so no positive
  // predictions (precision 0 by zero_division=0), no true positives
  // (recall 0, F1 0). Every score ties: ROC AUC 0.5.
  EvalSpec s = specOf(EvalTask::Binary, {Metric::Accuracy, Metric::Precision, Metric::Recall,
                                         Metric::F1, Metric::RocAuc});
  auto m = run(s, {0, 1, 0, 1}, {.5, .5, .5, .5});
  EXPECT_EQ(m["accuracy"].value, 0.5);
  EXPECT_EQ(m["precision"].value, 0.0);
  EXPECT_EQ(m["recall"].value, 0.0);
  EXPECT_EQ(m["f1"].value, 0.0);
  EXPECT_EQ(m["roc_auc"].value, 0.5);
  s.threshold = 0.4;
  m = run(s, {0, 1, 0, 1}, {.5, .5, .5, .5});
  EXPECT_EQ(m["precision"].value, 0.5); // all predicted 1
  EXPECT_EQ(m["recall"].value, 1.0);
}

TEST(EvalMetrics, RocAucTiesTakeMidranks) {
  // Scores 1 1 2 2 3, labels 0 1 0 1 1. Midranks 1.5 1.5 3.5 3.5 5;
  // positives' sum 10, minus 3*4/2 = 4 -> U = 4 of 3*2 = 6.
  EvalSpec s = specOf(EvalTask::Binary, {Metric::RocAuc});
  auto m = run(s, {0, 1, 0, 1, 1}, {1, 1, 2, 2, 3});
  EXPECT_DOUBLE_EQ(m["roc_auc"].value, 4.0 / 6.0);
}

TEST(EvalMetrics, RocAucWithOneClassIsAnError) {
  EvalSpec s = specOf(EvalTask::Binary, {Metric::RocAuc});
  std::vector<double> y{1, 1, 1}, p{.2, .5, .9};
  std::string msg = errorOf(computeMetrics(s, y, p).takeError());
  EXPECT_NE(msg.find("roc_auc: only one class is present in the labels "
                     "(every row is positive)"),
            std::string::npos)
      << msg;
}

TEST(EvalMetrics, LogLossClipsAndRenormalizes) {
  EvalSpec s = specOf(EvalTask::Binary, {Metric::LogLoss});
  auto m = run(s, {1, 0}, {.8, .3});
  EXPECT_NEAR(m["log_loss"].value, -(std::log(.8) + std::log(.7)) / 2, 1e-15);
  // p = 0 for a positive: clipped to 1e-15.
  m = run(s, {1}, {0.0});
  EXPECT_NEAR(m["log_loss"].value, -std::log(1e-15), 1e-12);
  // Multiclass rows are clipped, then renormalized: (.2, .2, .4) is
  // (.25, .25, .5).
  EvalSpec mc = specOf(EvalTask::Multiclass, {Metric::LogLoss}, 3);
  m = run(mc, {2}, {.2, .2, .4});
  EXPECT_NEAR(m["log_loss"].value, -std::log(0.5), 1e-15);
}

TEST(EvalMetrics, MacroAveragesOverPresentLabels) {
  // y 0 1 2 2, argmax 0 2 2 2. Per class (precision, recall, f1):
  // 0: (1, 1, 1); 1: (0 - never predicted, 0, 0); 2: (2/3, 1, 0.8).
  EvalSpec s = specOf(EvalTask::Multiclass,
                      {Metric::PrecisionMacro, Metric::RecallMacro, Metric::F1Macro,
                       Metric::Accuracy, Metric::ConfusionMatrix},
                      3);
  auto m = run(s, {0, 1, 2, 2}, {.8, .1, .1, /**/ .2, .3, .5, /**/ .1, .1, .8, /**/ 0, .4, .6});
  EXPECT_NEAR(m["precision_macro"].value, 5.0 / 9.0, 1e-15);
  EXPECT_NEAR(m["recall_macro"].value, 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(m["f1_macro"].value, 0.6, 1e-15);
  EXPECT_EQ(m["accuracy"].value, 0.75);
  EXPECT_EQ(m["confusion_matrix"].matrix,
            (std::vector<std::vector<double>>{{1, 0, 0}, {0, 0, 1}, {0, 0, 2}}));
  // With 4 classes of which only 0 and 1 occur (in labels or predictions),
  // the macro mean is over those two: precision (1/2 + 0) / 2.
  EvalSpec k4 = specOf(EvalTask::Multiclass, {Metric::PrecisionMacro}, 4);
  m = run(k4, {0, 1}, {.7, .1, .1, .1, /**/ .4, .3, .2, .1});
  EXPECT_EQ(m["precision_macro"].value, 0.25);
}

TEST(EvalMetrics, ArgmaxTakesTheFirstOnTies) {
  EvalSpec s = specOf(EvalTask::Multiclass, {Metric::ConfusionMatrix}, 3);
  auto m = run(s, {1}, {.4, .4, .2});
  EXPECT_EQ(m["confusion_matrix"].matrix[1][0], 1.0);
}

TEST(EvalMetrics, MulticlassRocAuc) {
  // One-vs-rest: class 0 against rows 1-2 is perfectly ranked, class 1 and
  // class 2 too: macro 1.
  EvalSpec s = specOf(EvalTask::Multiclass, {Metric::RocAuc}, 3);
  auto m = run(s, {0, 1, 2}, {.8, .1, .1, .1, .8, .1, .1, .1, .8});
  EXPECT_EQ(m["roc_auc"].value, 1.0);
  // Rows that are not probabilities, and an absent class, are errors.
  std::vector<double> y{0, 1, 2}, bad{2, 0, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_NE(errorOf(computeMetrics(s, y, bad).takeError())
                .find("roc_auc: the scores of row 0 sum to 2, not 1"),
            std::string::npos);
  std::vector<double> y2{0, 1, 1};
  std::vector<double> p{.8, .1, .1, .1, .8, .1, .1, .1, .8};
  EXPECT_NE(errorOf(computeMetrics(s, y2, p).takeError())
                .find("roc_auc: class 2 does not occur in the labels"),
            std::string::npos);
}

TEST(EvalMetrics, Regression) {
  // Errors 0 0 -1: mse 1/3, mae 1/3; y mean 2, total 2: r2 1 - 1/2.
  EvalSpec s = specOf(EvalTask::Regression, {Metric::Mse, Metric::Mae, Metric::R2});
  auto m = run(s, {1, 2, 3}, {1, 2, 4});
  EXPECT_DOUBLE_EQ(m["mse"].value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["mae"].value, 1.0 / 3.0);
  EXPECT_EQ(m["r2"].value, 0.5);
  // Constant y (force_finite): perfect -> 1, otherwise 0; one row -> NaN.
  EXPECT_EQ(run(s, {2, 2}, {2, 2})["r2"].value, 1.0);
  EXPECT_EQ(run(s, {2, 2}, {2, 3})["r2"].value, 0.0);
  EXPECT_TRUE(std::isnan(run(s, {2}, {3})["r2"].value));
}

TEST(EvalMetrics, NumpySummationOrder) {
  // Below 8 values numpy adds left to right; from 8 on it keeps 8 partial
  // sums. 1e16 + 1 + 1 loses both ones left to right; with 8 lanes the ones
  // in lanes 1..7 are summed among themselves first.
  std::vector<double> left{1e16, 1, 1};
  EXPECT_EQ(pairwiseSum(left), 1e16);
  std::vector<double> lanes{1e16, 1, 1, 1, 1, 1, 1, 1};
  // ((1e16 + 1) + (1 + 1)) + ((1 + 1) + (1 + 1)) = 1e16 + 2 + 4.
  EXPECT_EQ(pairwiseSum(lanes), 1e16 + 6);
  EXPECT_EQ(mean(std::vector<double>{1, 2, 3, 4}), 2.5);
  EXPECT_EQ(populationStd(std::vector<double>{1, 3}), 1.0);
  // Three times 0.1 sums to 0.30000000000000004: numpy's mean is not 0.1.
  EXPECT_NE(mean(std::vector<double>{.1, .1, .1}), .1);
}

TEST(EvalMetrics, LabelChecksNameTheRow) {
  EvalSpec s = specOf(EvalTask::Binary, {Metric::Accuracy});
  auto check = [&](std::vector<double> y) { return errorOf(checkLabels(s, y)); };
  EXPECT_EQ(check({0, 1, 1}), "");
  EXPECT_EQ(check({0, 2}), "row 1: label 'y' is 2, expected a class id in 0..1");
  EXPECT_EQ(check({0.5}), "row 0: label 'y' is 0.5, expected a class id in 0..1");
  EXPECT_EQ(check({1, NAN}), "row 1: label 'y' is missing (NaN)");
  EXPECT_EQ(check({-1}), "row 0: label 'y' is -1, expected a class id in 0..1");
  EvalSpec r = specOf(EvalTask::Regression, {Metric::Mse});
  std::vector<double> inf{1, INFINITY};
  // Data errors are RowErrors: the row, and the detail without it.
  llvm::Error e = checkLabels(r, inf);
  ASSERT_TRUE(e.isA<RowError>());
  llvm::handleAllErrors(std::move(e), [](const RowError &row) {
    EXPECT_EQ(row.row(), 1);
    EXPECT_EQ(row.detail(), "label 'y' is inf, expected a finite target");
  });
  std::vector<double> scores{0.5, NAN};
  EXPECT_EQ(errorOf(checkScores(scores, {"p"}, "score")),
            "row 1: score 'p' is NaN; scores must be finite");
}

//===----------------------------------------------------------------------===//
// Folds
//===----------------------------------------------------------------------===//

TEST(EvalFolds, KFoldSizes) {
  // 10 rows in 3 folds: 4, 3, 3 consecutive rows.
  llvm::Expected<FoldPlan> p = kFold(10, 3, std::nullopt);
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->test, (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6}, {7, 8, 9}}));
  EXPECT_EQ(trainRows(*p, 1, 10), (std::vector<int64_t>{0, 1, 2, 3, 7, 8, 9}));
  std::string msg = errorOf(kFold(3, 5, std::nullopt).takeError());
  EXPECT_EQ(msg, "cross_validation.k: k=5 folds need at least 5 rows, the "
                 "data has 3");
}

TEST(EvalFolds, StratifiedAllocation) {
  // Sorted classes 0 0 0 0 1 1 dealt round robin to 2 folds: each fold
  // tests two 0s and one 1; class 0's rows take folds 0 0 1 1, class 1's
  // rows 0 1.
  std::vector<double> y{0, 0, 0, 0, 1, 1};
  llvm::Expected<FoldPlan> p = stratifiedKFold(y, 2, std::nullopt);
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->test, (std::vector<std::vector<int64_t>>{{0, 1, 4}, {2, 3, 5}}));
  EXPECT_TRUE(p->warnings.empty());
}

TEST(EvalFolds, StratifiedNumbersClassesByFirstAppearance) {
  // Label 1 appears first, so it is class 0 and sorts first: the sorted
  // sequence is 0 0 1 1 1 1, dealt to folds 0 1 2 0 1 2. Class 0 (rows 0,
  // 1) takes folds 0, 1; class 1 (rows 2..5) takes 0, 1, 2, 2.
  std::vector<double> y{1, 1, 0, 0, 0, 0};
  llvm::Expected<FoldPlan> p = stratifiedKFold(y, 3, std::nullopt);
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->test, (std::vector<std::vector<int64_t>>{{0, 2}, {1, 3}, {4, 5}}));
}

TEST(EvalFolds, StratifiedErrorsAndWarnings) {
  std::vector<double> y{0, 0, 1, 1, 2};
  std::string msg = errorOf(stratifiedKFold(y, 3, std::nullopt).takeError());
  EXPECT_NE(msg.find("cross_validation.k: k=3 cannot be greater than the "
                     "number of members in each class"),
            std::string::npos)
      << msg;
  std::vector<double> small{0, 0, 0, 0, 0, 1};
  llvm::Expected<FoldPlan> p = stratifiedKFold(small, 3, std::nullopt);
  ASSERT_TRUE(bool(p));
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_EQ(p->warnings[0], "the least populated class in the labels has "
                            "only 1 members, which is less than k=3");
}

TEST(EvalFolds, ShuffleIsASeededPartition) {
  for (bool stratified : {false, true}) {
    std::vector<double> y;
    for (int i = 0; i < 50; ++i)
      y.push_back(i % 3 == 0);
    auto make = [&](std::optional<uint64_t> seed) {
      llvm::Expected<FoldPlan> p = stratified ? stratifiedKFold(y, 5, seed) : kFold(50, 5, seed);
      EXPECT_TRUE(bool(p));
      return p ? p->test : std::vector<std::vector<int64_t>>{};
    };
    auto a = make(7), b = make(7), c = make(8), plain = make(std::nullopt);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_NE(a, plain);
    std::set<int64_t> all;
    for (const auto &fold : a) {
      EXPECT_TRUE(std::is_sorted(fold.begin(), fold.end()));
      all.insert(fold.begin(), fold.end());
      EXPECT_EQ(fold.size(), 10u); // 50 / 5 (stratified: 17/33 split evenly)
    }
    EXPECT_EQ(all.size(), 50u);
  }
}

} // namespace
