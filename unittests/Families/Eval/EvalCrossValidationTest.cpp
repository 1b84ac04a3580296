//===- EvalCrossValidationTest.cpp - k-fold cross-validation --------------===//
//
// jit::evaluate with `cross_validation`: the folds are KFold's /
// StratifiedKFold's, each fold's metrics are those of a model trained
// independently here (jit::train on the other folds' rows, jit::compile,
// scored on the fold), mean and std are numpy's mean and population std,
// the result does not depend on the thread count, and failures name the
// first failing fold.
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/Folds.h"

#include "specjit/Compile.h"
#include "specjit/Errors.h"
#include "specjit/Eval.h"
#include "specjit/Train.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace specjit::jit;

namespace {

Descriptor parseOk(const std::string &text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError()) << "\n" << text;
    return Descriptor();
  }
  return std::move(*d);
}

const char *kTrainLogistic =
    R"({"inputs":[{"name":"x1","type":"f64"},{"name":"x2","type":"f64"}],)"
    R"("label":{"name":"y","type":"i64"},"model":{"type":"linear","link":"logistic"},)"
    R"("loss":"log_loss","optimizer":{"type":"sgd","learning_rate":0.2},)"
    R"("epochs":15,"batch_size":8})";

const char *kTrainLinear =
    R"({"inputs":[{"name":"x1","type":"f64"},{"name":"x2","type":"f64"}],)"
    R"("label":{"name":"y","type":"f64"},"model":{"type":"linear","link":"identity"},)"
    R"("loss":"mse","optimizer":{"type":"sgd","learning_rate":0.05},)"
    R"("epochs":20,"batch_size":4})";

/// Two features and a label: y = [x1 + 0.5 x2 + noise > 0] (classification)
/// or x1 - 2 x2 + noise (regression).
struct Data {
  std::vector<double> x1, x2, y;
  std::vector<Column> columns() const {
    int64_t n = static_cast<int64_t>(y.size());
    return {Column::f64(x1.data(), n), Column::f64(x2.data(), n), Column::f64(y.data(), n)};
  }
};

Data makeData(int n, bool classification) {
  Data d;
  for (int i = 0; i < n; ++i) {
    double a = std::sin(i * 1.3) * 2, b = std::cos(i * 0.7), e = std::sin(i * 5.1) * 0.3;
    d.x1.push_back(a);
    d.x2.push_back(b);
    d.y.push_back(classification ? (a + 0.5 * b + e > 0) : a - 2 * b + e);
  }
  return d;
}

std::string cvEval(const std::string &task, const std::string &metrics, const std::string &cv,
                   const char *train) {
  return R"({"specjit":1,"kind":"eval","task":")" + task + R"(","metrics":)" + metrics +
         R"(,"cross_validation":{)" + cv + R"(,"train":)" + train + "}}";
}

/// Fold `f` computed independently: train on `trainRows`, compile, score
/// `testRows`, evaluate the scores with a score-column eval of `metrics`.
std::vector<MetricValue> independentFold(const Descriptor &trainDesc, const Data &data,
                                         const std::vector<int64_t> &trainRows,
                                         const std::vector<int64_t> &testRows,
                                         const std::string &task, const std::string &metrics,
                                         bool integerLabel) {
  std::vector<double> x1, x2, y;
  std::vector<int64_t> yi;
  for (int64_t r : trainRows) {
    x1.push_back(data.x1[r]);
    x2.push_back(data.x2[r]);
    y.push_back(data.y[r]);
    yi.push_back(static_cast<int64_t>(data.y[r]));
  }
  int64_t n = static_cast<int64_t>(trainRows.size());
  std::vector<Column> cols{Column::f64(x1.data(), n), Column::f64(x2.data(), n),
                           integerLabel ? Column::i64(yi.data(), n) : Column::f64(y.data(), n)};
  llvm::Expected<TrainResult> trained = train(trainDesc, cols);
  if (!trained) {
    ADD_FAILURE() << llvm::toString(trained.takeError());
    return {};
  }
  llvm::Expected<Kernel> k = compile(trained->model);
  EXPECT_TRUE(bool(k));
  std::vector<double> t1, t2, ty;
  for (int64_t r : testRows) {
    t1.push_back(data.x1[r]);
    t2.push_back(data.x2[r]);
    ty.push_back(data.y[r]);
  }
  int64_t m = static_cast<int64_t>(testRows.size());
  std::vector<double> p(m);
  EXPECT_FALSE(bool(
      k->run({Column::f64(t1.data(), m), Column::f64(t2.data(), m)}, Output::f64(p.data(), m, 1))));
  Descriptor scoresEval = parseOk(R"({"specjit":1,"kind":"eval","task":")" + task +
                                  R"(","label":"y","scores":["p"],"metrics":)" + metrics + "}");
  llvm::Expected<EvalResult> r =
      evaluate(scoresEval, {Column::f64(p.data(), m), Column::f64(ty.data(), m)});
  if (!r) {
    ADD_FAILURE() << llvm::toString(r.takeError());
    return {};
  }
  return r->metrics;
}

TEST(EvalCrossValidation, StratifiedBinaryFoldsOnOneAndTwoThreadsAreIndependentTrainings) {
  std::string metrics = R"(["accuracy","roc_auc","log_loss","confusion_matrix"])";
  Descriptor d = parseOk(cvEval("binary", metrics, R"("k":4,"stratified":true)", kTrainLogistic));
  // The data columns: the train descriptor's inputs, then its label.
  ASSERT_EQ(d.inputs().size(), 3u);
  EXPECT_EQ(d.inputs()[2].name, "y");
  Data data = makeData(61, true);
  EvalOptions one, two;
  one.threads = 1;
  two.threads = 2;
  llvm::Expected<EvalResult> a = evaluate(d, data.columns(), one);
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  llvm::Expected<EvalResult> b = evaluate(d, data.columns(), two);
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_EQ(evalResultJson(*a), evalResultJson(*b));
  ASSERT_TRUE(a->crossValidated);
  ASSERT_EQ(a->folds.size(), 4u);

  llvm::Expected<eval::FoldPlan> plan = eval::stratifiedKFold(data.y, 4, std::nullopt);
  ASSERT_TRUE(bool(plan));
  Descriptor train = parseOk(std::string(R"({"specjit":1,"kind":"train",)") + (kTrainLogistic + 1));
  for (size_t f = 0; f < 4; ++f) {
    SCOPED_TRACE("fold " + std::to_string(f));
    const FoldResult &fold = a->folds[f];
    EXPECT_EQ(fold.testRows, plan->test[f]);
    std::vector<int64_t> trainRows = eval::trainRows(*plan, f, 61);
    EXPECT_EQ(fold.trainRows, static_cast<int64_t>(trainRows.size()));
    std::vector<MetricValue> want =
        independentFold(train, data, trainRows, plan->test[f], "binary", metrics, true);
    ASSERT_EQ(want.size(), fold.metrics.size());
    for (size_t m = 0; m < want.size(); ++m) {
      if (want[m].isMatrix())
        EXPECT_EQ(fold.metrics[m].matrix, want[m].matrix) << want[m].name;
      else
        EXPECT_EQ(fold.metrics[m].value, want[m].value) << want[m].name;
    }
  }
  // Mean and population std over the folds (element-wise for matrices).
  for (size_t m = 0; m < 3; ++m) {
    double sum = 0, sq = 0;
    for (const FoldResult &f : a->folds)
      sum += f.metrics[m].value;
    double mean = sum / 4;
    for (const FoldResult &f : a->folds)
      sq += (f.metrics[m].value - mean) * (f.metrics[m].value - mean);
    EXPECT_NEAR(a->mean[m].value, mean, 1e-15);
    EXPECT_NEAR(a->std[m].value, std::sqrt(sq / 4), 1e-15);
  }
  double cell = 0;
  for (const FoldResult &f : a->folds)
    cell += f.metrics[3].matrix[1][1];
  EXPECT_NEAR(a->mean[3].matrix[1][1], cell / 4, 1e-15);
}

TEST(EvalCrossValidation, KFoldRegressionAndShuffle) {
  std::string metrics = R"(["mse","mae","r2"])";
  Descriptor d = parseOk(cvEval("regression", metrics, R"("k":3)", kTrainLinear));
  Data data = makeData(30, false);
  llvm::Expected<EvalResult> r = evaluate(d, data.columns());
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  ASSERT_EQ(r->folds.size(), 3u);
  EXPECT_EQ(r->folds[0].testRows.front(), 0);
  EXPECT_EQ(r->folds[0].testRows.size(), 10u);
  EXPECT_EQ(r->folds[2].testRows.back(), 29);
  Descriptor train = parseOk(std::string(R"({"specjit":1,"kind":"train",)") + (kTrainLinear + 1));
  llvm::Expected<eval::FoldPlan> plan = eval::kFold(30, 3, std::nullopt);
  ASSERT_TRUE(bool(plan));
  std::vector<MetricValue> want = independentFold(train, data, eval::trainRows(*plan, 1, 30),
                                                  plan->test[1], "regression", metrics, false);
  ASSERT_EQ(want.size(), 3u);
  for (size_t m = 0; m < 3; ++m)
    EXPECT_EQ(r->folds[1].metrics[m].value, want[m].value);

  // Shuffled folds: another partition, the same one for the same seed.
  Descriptor s =
      parseOk(cvEval("regression", metrics, R"("k":3,"shuffle":{"seed":11})", kTrainLinear));
  llvm::Expected<EvalResult> s1 = evaluate(s, data.columns());
  llvm::Expected<EvalResult> s2 = evaluate(s, data.columns());
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(evalResultJson(*s1), evalResultJson(*s2));
  EXPECT_NE(s1->folds[0].testRows, r->folds[0].testRows);
}

TEST(EvalCrossValidation, Errors) {
  std::string metrics = R"(["accuracy"])";
  // The train descriptor's task must be the eval's.
  llvm::Expected<Descriptor> wrong =
      Descriptor::parse(cvEval("binary", metrics, R"("k":3)", kTrainLinear));
  ASSERT_FALSE(bool(wrong));
  EXPECT_NE(llvm::toString(wrong.takeError())
                .find("cross_validation.train: a binary task trains with loss "
                      "log_loss (one logistic output), got mse"),
            std::string::npos);
  llvm::Expected<Descriptor> label = Descriptor::parse(
      R"({"specjit":1,"kind":"eval","task":"binary","label":"z","metrics":["f1"],)"
      R"("cross_validation":{"train":)" +
      std::string(kTrainLogistic) + "}}");
  ASSERT_FALSE(bool(label));
  EXPECT_NE(
      llvm::toString(label.takeError()).find("label: 'z' is not the train descriptor's label 'y'"),
      std::string::npos);

  Descriptor d = parseOk(cvEval("binary", metrics, R"("k":3)", kTrainLogistic));
  Data small = makeData(2, true);
  llvm::Expected<EvalResult> few = evaluate(d, small.columns());
  ASSERT_FALSE(bool(few));
  EXPECT_EQ(llvm::toString(few.takeError()),
            "cross_validation.k: k=3 folds need at least 3 rows, the data has 2");

  // Row 12's feature is NaN. Fold 1 (rows 0..9) trains on it and fails;
  // fold 2 (rows 10..19) would fail scoring it: fold 1 is reported, and
  // the training error names the data's row 12, not the fold's row 2.
  Data data = makeData(30, true);
  data.x1[12] = NAN;
  llvm::Expected<EvalResult> bad = evaluate(d, data.columns());
  ASSERT_FALSE(bool(bad));
  llvm::Error e = bad.takeError();
  ASSERT_TRUE(e.isA<RowError>());
  llvm::handleAllErrors(std::move(e), [](const RowError &r) {
    EXPECT_EQ(r.row(), 12);
    EXPECT_EQ(r.detail().rfind("fold 1 of 3: training on 20 rows: ", 0), 0u) << r.detail();
  });
  // Labels are checked on all rows before any fold runs.
  Data nanLabel = makeData(30, true);
  nanLabel.y[25] = NAN;
  llvm::Expected<EvalResult> lab = evaluate(d, nanLabel.columns());
  ASSERT_FALSE(bool(lab));
  EXPECT_EQ(llvm::toString(lab.takeError()), "row 25: label 'y' is missing (NaN)");
}

TEST(EvalCrossValidation, StratifiedWarnsAboutSmallClasses) {
  Descriptor d =
      parseOk(cvEval("binary", R"(["accuracy"])", R"("k":3,"stratified":true)", kTrainLogistic));
  Data data = makeData(20, true);
  for (double &y : data.y)
    y = 0;
  data.y[5] = data.y[11] = 1; // 2 members < k = 3
  llvm::Expected<EvalResult> r = evaluate(d, data.columns());
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("only 2 members, which is less than k=3"), std::string::npos);
}

} // namespace
