//===- EvalKernelTest.cpp - The compiled metrics kernel against the generic code ===//
//
// jit::evaluate with specialization on (the compiled metrics kernel,
// spec.metrics_pass) and off (the generic code of Metrics.cpp) on the same
// inputs: every metric of every task must agree bit for bit, errors must be
// the same errors, and the kernel must be what ran (metricsBackend). The
// data cross numpy's buffer (8192) and pairwise block (128) boundaries, hold
// ties, scores at 0 and 1 (log loss clipping), unnormalized multiclass rows,
// zero_division cases and r2's "constant y" cases.
//
//===----------------------------------------------------------------------===//

#include "Engine/JIT.h"

#include "specjit/Compile.h"
#include "specjit/Errors.h"
#include "specjit/Eval.h"
#include "specjit/Testing.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
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

/// An eval over score columns s0..s{cols-1} and label y.
std::string scoresEval(const std::string &task, int cols, const std::string &metrics,
                       const std::string &extra = "") {
  std::string names;
  for (int c = 0; c < cols; ++c)
    names += (c ? ",\"s" : "\"s") + std::to_string(c) + "\"";
  return R"({"specjit":1,"kind":"eval","task":")" + task + R"(","label":"y","scores":[)" + names +
         R"(],"metrics":)" + metrics + extra + "}";
}

const char *kBinaryMetrics =
    R"(["accuracy","precision","recall","f1","precision_macro","recall_macro",)"
    R"("f1_macro","roc_auc","log_loss","confusion_matrix"])";
const char *kMulticlassMetrics =
    R"(["accuracy","precision_macro","recall_macro","f1_macro","roc_auc",)"
    R"("log_loss","confusion_matrix"])";
const char *kRegressionMetrics = R"(["mse","mae","r2"])";

/// Columns: `scores` (one vector per column) then the label.
struct Data {
  std::vector<std::vector<double>> scores;
  std::vector<double> y;
  std::vector<Column> columns() const {
    int64_t n = static_cast<int64_t>(y.size());
    std::vector<Column> out;
    for (const std::vector<double> &s : scores)
      out.push_back(Column::f64(s.data(), n));
    out.push_back(Column::f64(y.data(), n));
    return out;
  }
};

bool sameBits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

EvalOptions withSpecialize(bool on) {
  EvalOptions o;
  o.specialize = on;
  return o;
}

/// Evaluates `d` on `data` both ways and expects equal bits (or the same
/// error); returns the compiled run's metrics.
std::vector<MetricValue> expectSame(const Descriptor &d, const Data &data) {
  std::vector<Column> cols = data.columns();
  llvm::Expected<EvalResult> jitRun = evaluate(d, cols, withSpecialize(true));
  llvm::Expected<EvalResult> generic = evaluate(d, cols, withSpecialize(false));
  if (!jitRun || !generic) {
    EXPECT_EQ(bool(jitRun), bool(generic));
    std::string a = jitRun ? "ok" : llvm::toString(jitRun.takeError());
    std::string b = generic ? "ok" : llvm::toString(generic.takeError());
    EXPECT_EQ(a, b);
    return {};
  }
  EXPECT_EQ(jitRun->metricsBackend, Backend::Jit) << jitRun->metricsFallbackReason;
  EXPECT_EQ(jitRun->metricsFallbackReason, "");
  EXPECT_EQ(generic->metricsBackend, Backend::Interpreter);
  EXPECT_EQ(generic->metricsFallbackReason, "");
  EXPECT_EQ(jitRun->metrics.size(), generic->metrics.size());
  for (size_t m = 0; m < std::min(jitRun->metrics.size(), generic->metrics.size()); ++m) {
    const MetricValue &a = jitRun->metrics[m], &b = generic->metrics[m];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.name, b.name);
    EXPECT_TRUE(sameBits(a.value, b.value)) << "compiled " << a.value << ", generic " << b.value;
    EXPECT_EQ(a.matrix, b.matrix);
  }
  EXPECT_EQ(evalResultJson(*jitRun), evalResultJson(*generic));
  return jitRun->metrics;
}

double valueOf(const std::vector<MetricValue> &ms, const std::string &name) {
  for (const MetricValue &m : ms)
    if (m.name == name)
      return m.value;
  ADD_FAILURE() << "no metric " << name;
  return NAN;
}

Data binaryData(int n, unsigned seed, double quantum = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Data d;
  d.scores.resize(1);
  for (int i = 0; i < n; ++i) {
    double p = u(rng);
    if (quantum > 0)
      p = std::round(p / quantum) * quantum; // ties
    d.scores[0].push_back(p);
    d.y.push_back(u(rng) < p ? 1.0 : 0.0);
  }
  return d;
}

/// Row-normalized multiclass probabilities (or raw positive scores).
Data multiclassData(int n, int k, unsigned seed, bool normalize = true, double quantum = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Data d;
  d.scores.assign(k, {});
  for (int i = 0; i < n; ++i) {
    std::vector<double> row(k);
    double sum = 0;
    for (int c = 0; c < k; ++c) {
      row[c] = u(rng) + (c == i % k ? 0.5 : 0.0);
      if (quantum > 0)
        row[c] = std::round(row[c] / quantum) * quantum;
      sum += row[c];
    }
    for (int c = 0; c < k; ++c)
      d.scores[c].push_back(normalize ? row[c] / sum : row[c]);
    // Every class occurs (the first k rows), the rest mostly the row's
    // favored class.
    d.y.push_back(i < k ? i : (u(rng) < 0.7 ? i % k : static_cast<int>(u(rng) * k)));
  }
  return d;
}

Data regressionData(int n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Data d;
  d.scores.resize(1);
  for (int i = 0; i < n; ++i) {
    double y = 3 * g(rng) + 10;
    d.y.push_back(y);
    d.scores[0].push_back(y + 0.5 * g(rng));
  }
  return d;
}

/// Row counts around numpy's pairwise block (128) and buffer (8192).
const int kSizes[] = {1, 2, 7, 8, 9, 127, 128, 129, 1000, 8191, 8192, 8193, 20000};

TEST(EvalKernel, BinaryEqualsGenericAtEverySize) {
  Descriptor d = parseOk(scoresEval("binary", 1, kBinaryMetrics));
  for (int n : kSizes) {
    SCOPED_TRACE("n = " + std::to_string(n));
    Data data = binaryData(n, 11 + n);
    // Both classes present, so roc_auc is defined.
    data.y[0] = 0;
    if (n > 1)
      data.y[1] = 1;
    if (n == 1)
      continue; // one row holds one class (see the error test)
    expectSame(d, data);
  }
}

TEST(EvalKernel, BinaryTiesThresholdsAndClipping) {
  Data data = binaryData(5000, 3, /*quantum=*/0.1); // many ties, scores 0 and 1
  std::vector<MetricValue> m = expectSame(parseOk(scoresEval("binary", 1, kBinaryMetrics)), data);
  EXPECT_TRUE(std::isfinite(valueOf(m, "log_loss")));
  // Scores equal to the threshold are class 0; other thresholds.
  for (const char *t : {"0.5", "0.3", "0", "-2", "1", "7.25"}) {
    SCOPED_TRACE(t);
    expectSame(parseOk(scoresEval("binary", 1, kBinaryMetrics, std::string(",\"threshold\":") + t)),
               data);
  }
}

TEST(EvalKernel, BinaryZeroDivision) {
  // Nothing predicted positive (precision 0 by zero_division), then no
  // positive labels' recall... every row negative is roc_auc's error, so
  // that case runs without roc_auc.
  Data data = binaryData(300, 5);
  std::vector<MetricValue> m =
      expectSame(parseOk(scoresEval("binary", 1, kBinaryMetrics, ",\"threshold\":2")), data);
  EXPECT_EQ(valueOf(m, "precision"), 0.0);
  EXPECT_EQ(valueOf(m, "f1"), 0.0);
  for (double &y : data.y)
    y = 0;
  m = expectSame(
      parseOk(scoresEval(
          "binary", 1,
          R"(["accuracy","precision","recall","f1","f1_macro","log_loss","confusion_matrix"])")),
      data);
  EXPECT_EQ(valueOf(m, "recall"), 0.0);
}

TEST(EvalKernel, SingleMetricsAndNoAccumulator) {
  Data data = binaryData(9000, 8);
  for (const char *one : {"accuracy", "precision", "recall", "f1", "precision_macro", "roc_auc",
                          "log_loss", "confusion_matrix"}) {
    SCOPED_TRACE(one);
    expectSame(parseOk(scoresEval("binary", 1, std::string("[\"") + one + "\"]")), data);
  }
}

TEST(EvalKernel, RocAucOneClassIsTheSameError) {
  Data data = binaryData(100, 9);
  for (double &y : data.y)
    y = 1;
  Descriptor d = parseOk(scoresEval("binary", 1, kBinaryMetrics));
  llvm::Expected<EvalResult> r = evaluate(d, data.columns(), withSpecialize(true));
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            "roc_auc: only one class is present in the labels (every row is "
            "positive): ROC AUC is not defined");
  expectSame(d, data); // and the generic code says the same
}

TEST(EvalKernel, MulticlassEqualsGeneric) {
  for (int k : {2, 3, 7, 8, 9, 20}) {
    for (int n : {9, 128, 129, 8193, 20000}) {
      if (n < k)
        continue;
      SCOPED_TRACE("k = " + std::to_string(k) + ", n = " + std::to_string(n));
      expectSame(parseOk(scoresEval("multiclass", k, kMulticlassMetrics)),
                 multiclassData(n, k, 100 * k + n));
    }
  }
}

TEST(EvalKernel, MulticlassManyClassesPairwiseRowSums) {
  // k > 128: the row sums of log loss split pairwise as numpy's.
  for (int k : {129, 200, 300}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    expectSame(parseOk(scoresEval("multiclass", k, kMulticlassMetrics)),
               multiclassData(2 * k + 5, k, k));
  }
}

TEST(EvalKernel, MulticlassTiesUnnormalizedAndAbsentClasses) {
  // Argmax ties (the first wins), unnormalized rows: log loss
  // renormalizes, roc_auc's probability check fails the same way.
  Data raw = multiclassData(3000, 4, 21, /*normalize=*/false, /*quantum=*/0.25);
  expectSame(parseOk(scoresEval("multiclass", 4, kMulticlassMetrics)), raw);
  expectSame(parseOk(scoresEval("multiclass", 4,
                                R"(["accuracy","f1_macro","log_loss","confusion_matrix"])")),
             raw);
  // A class that never occurs: macro labels, roc_auc's error.
  Data absent = multiclassData(500, 3, 22);
  for (double &y : absent.y)
    if (y == 2)
      y = 0;
  expectSame(parseOk(scoresEval("multiclass", 3, kMulticlassMetrics)), absent);
  expectSame(parseOk(scoresEval("multiclass", 3,
                                R"(["accuracy","precision_macro","f1_macro","log_loss"])")),
             absent);
}

TEST(EvalKernel, RegressionEqualsGeneric) {
  Descriptor d = parseOk(scoresEval("regression", 1, kRegressionMetrics));
  for (int n : kSizes) {
    SCOPED_TRACE("n = " + std::to_string(n));
    std::vector<MetricValue> m = expectSame(d, regressionData(n, 40 + n));
    if (n == 1)
      EXPECT_TRUE(std::isnan(valueOf(m, "r2")));
  }
  for (const char *one : {"mse", "mae", "r2"})
    expectSame(parseOk(scoresEval("regression", 1, std::string("[\"") + one + "\"]")),
               regressionData(10000, 4));
}

TEST(EvalKernel, RegressionConstantTargets) {
  Descriptor d = parseOk(scoresEval("regression", 1, kRegressionMetrics));
  // Exact constant y: den == 0 -> r2 0 (or 1 when the predictions are exact).
  Data c;
  c.scores = {{1, 2, 3, 4}};
  c.y = {2, 2, 2, 2};
  EXPECT_EQ(valueOf(expectSame(d, c), "r2"), 0.0);
  c.scores = {{2, 2, 2, 2}};
  EXPECT_EQ(valueOf(expectSame(d, c), "r2"), 1.0);
  // Three rows of 0.1: the mean rounds, den is tiny but not 0.
  c.scores = {{0.2, 0.1, 0.0}};
  c.y = {0.1, 0.1, 0.1};
  expectSame(d, c);
  // Errors near 1e308 overflow to inf, as numpy's sums do.
  c.scores = {{-1e308, 1e308, 0}};
  c.y = {1e308, -1e308, 0};
  std::vector<MetricValue> m = expectSame(d, c);
  EXPECT_TRUE(std::isinf(valueOf(m, "mse")));
}

TEST(EvalKernel, NonFiniteScoresAreTheSameRowError) {
  Data data = binaryData(20000, 31);
  data.scores[0][9001] = NAN;
  data.scores[0][15000] = INFINITY;
  Descriptor d = parseOk(scoresEval("binary", 1, kBinaryMetrics));
  llvm::Expected<EvalResult> r = evaluate(d, data.columns(), withSpecialize(true));
  ASSERT_FALSE(bool(r));
  bool rowError = false;
  llvm::handleAllErrors(r.takeError(), [&](const RowError &e) {
    rowError = true;
    EXPECT_EQ(e.row(), 9001);
    EXPECT_EQ(e.detail(), "score 's0' is NaN; scores must be finite");
  });
  EXPECT_TRUE(rowError);
  expectSame(d, data);
  Data multi = multiclassData(9000, 3, 32);
  multi.scores[2][8500] = -INFINITY;
  expectSame(parseOk(scoresEval("multiclass", 3, kMulticlassMetrics)), multi);
  Data reg = regressionData(100, 33);
  reg.scores[0][0] = NAN;
  expectSame(parseOk(scoresEval("regression", 1, kRegressionMetrics)), reg);
}

TEST(EvalKernel, CompiledOncePerKey) {
  // Another metric order, the same task, classes, threshold and
  // accumulators: the kernel compiled for the first is reused.
  Data data = binaryData(1000, 41);
  Descriptor a = parseOk(scoresEval("binary", 1, R"(["f1","log_loss"])", R"(,"threshold":0.4375)"));
  Descriptor b =
      parseOk(scoresEval("binary", 1, R"(["log_loss","accuracy","f1"])", R"(,"threshold":0.4375)"));
  ASSERT_TRUE(bool(evaluate(a, data.columns(), withSpecialize(true))));
  size_t loaded = specjit::engine::loadedKernelCount();
  llvm::Expected<EvalResult> r = evaluate(b, data.columns(), withSpecialize(true));
  ASSERT_TRUE(bool(r));
  EXPECT_EQ(r->metricsBackend, Backend::Jit);
  EXPECT_EQ(specjit::engine::loadedKernelCount(), loaded);
  // Another threshold is another kernel.
  Descriptor c = parseOk(scoresEval("binary", 1, R"(["f1","log_loss"])", R"(,"threshold":0.4376)"));
  ASSERT_TRUE(bool(evaluate(c, data.columns(), withSpecialize(true))));
  EXPECT_EQ(specjit::engine::loadedKernelCount(), loaded + 1);
}

TEST(EvalKernel, CompileFailureFallsBackWithTheReason) {
  // A key no other test compiles, so the compiler runs (and fails).
  Descriptor d = parseOk(scoresEval("binary", 1, kBinaryMetrics, R"(,"threshold":0.0625)"));
  Data data = binaryData(500, 51);
  specjit::jit::testing::setFailureInjection(Stage::LLVM);
  llvm::Expected<EvalResult> r = evaluate(d, data.columns(), withSpecialize(true));
  specjit::jit::testing::setFailureInjection(std::nullopt);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(r->metricsBackend, Backend::Interpreter);
  EXPECT_NE(r->metricsFallbackReason.find("injected"), std::string::npos)
      << r->metricsFallbackReason;
  llvm::Expected<EvalResult> generic = evaluate(d, data.columns(), withSpecialize(false));
  ASSERT_TRUE(bool(generic));
  EXPECT_EQ(evalResultJson(*r), evalResultJson(*generic));
  // The failure is not cached: the next evaluation compiles.
  expectSame(d, data);
}

TEST(EvalKernel, ProcessSwitchChoosesTheBackend) {
  Descriptor d = parseOk(scoresEval("regression", 1, kRegressionMetrics));
  Data data = regressionData(300, 61);
  bool before = specializeEnabled();
  setSpecialize(false);
  llvm::Expected<EvalResult> off = evaluate(d, data.columns());
  setSpecialize(true);
  llvm::Expected<EvalResult> on = evaluate(d, data.columns());
  setSpecialize(before);
  ASSERT_TRUE(bool(off) && bool(on));
  EXPECT_EQ(off->metricsBackend, Backend::Interpreter);
  EXPECT_EQ(on->metricsBackend, Backend::Jit);
}

TEST(EvalKernel, CrossValidationFoldsUseTheKernel) {
  const char *train =
      R"({"inputs":[{"name":"x1","type":"f64"},{"name":"x2","type":"f64"}],)"
      R"("label":{"name":"y","type":"i64"},"model":{"type":"linear","link":"logistic"},)"
      R"("loss":"log_loss","optimizer":{"type":"sgd","learning_rate":0.2},)"
      R"("epochs":5,"batch_size":8})";
  Descriptor d = parseOk(std::string(R"({"specjit":1,"kind":"eval","task":"binary","metrics":)") +
                         kBinaryMetrics +
                         R"(,"cross_validation":{"k":4,"stratified":true,"train":)" + train + "}}");
  std::vector<double> x1, x2, y;
  for (int i = 0; i < 400; ++i) {
    double a = std::sin(i * 1.3) * 2, b = std::cos(i * 0.7), e = std::sin(i * 5.1) * 0.3;
    x1.push_back(a);
    x2.push_back(b);
    y.push_back(a + 0.5 * b + e > 0);
  }
  std::vector<Column> cols{Column::f64(x1.data(), 400), Column::f64(x2.data(), 400),
                           Column::f64(y.data(), 400)};
  llvm::Expected<EvalResult> on = evaluate(d, cols, withSpecialize(true));
  llvm::Expected<EvalResult> off = evaluate(d, cols, withSpecialize(false));
  ASSERT_TRUE(bool(on)) << llvm::toString(on.takeError());
  ASSERT_TRUE(bool(off)) << llvm::toString(off.takeError());
  EXPECT_EQ(on->metricsBackend, Backend::Jit) << on->metricsFallbackReason;
  EXPECT_EQ(off->metricsBackend, Backend::Interpreter);
  // The trained models' logistic link may be computed by a vector math
  // library when compiled (docs/model-semantics.md): within 1e-12 here.
  ASSERT_EQ(on->folds.size(), off->folds.size());
  for (size_t f = 0; f < on->folds.size(); ++f)
    for (size_t m = 0; m < on->folds[f].metrics.size(); ++m) {
      const MetricValue &a = on->folds[f].metrics[m], &b = off->folds[f].metrics[m];
      if (a.isMatrix())
        EXPECT_EQ(a.matrix, b.matrix);
      else
        EXPECT_NEAR(a.value, b.value, 1e-12 + 1e-12 * std::fabs(b.value)) << a.name;
    }
}

TEST(EvalKernel, InlineModelScoresUseTheKernel) {
  // A linear regression model (no transcendental functions): its outputs,
  // and so the metrics, are the same bits on both backends.
  Descriptor d =
      parseOk(R"({"specjit":1,"kind":"eval","task":"regression","label":"y",)"
              R"("metrics":["mse","mae","r2"],"model":{"inputs":[{"name":"x","type":"f64"}],)"
              R"("model":{"type":"linear","weights":[[0.5]],"intercepts":[0.1],)"
              R"("link":"identity"},"output":{"type":"f64"}}})");
  std::vector<double> x, y;
  for (int i = 0; i < 9000; ++i) {
    x.push_back(std::sin(i * 0.7) * 3);
    y.push_back(0.5 * x.back() + std::cos(i * 1.1) * 0.2);
  }
  std::vector<Column> cols{Column::f64(x.data(), 9000), Column::f64(y.data(), 9000)};
  llvm::Expected<EvalResult> on = evaluate(d, cols, withSpecialize(true));
  llvm::Expected<EvalResult> off = evaluate(d, cols, withSpecialize(false));
  ASSERT_TRUE(bool(on)) << llvm::toString(on.takeError());
  ASSERT_TRUE(bool(off)) << llvm::toString(off.takeError());
  EXPECT_EQ(on->metricsBackend, Backend::Jit) << on->metricsFallbackReason;
  EXPECT_EQ(evalResultJson(*on), evalResultJson(*off));
}

} // namespace
