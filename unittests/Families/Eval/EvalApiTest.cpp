//===- EvalApiTest.cpp - jit::evaluate and its JSON -----------------------===//
//
// The public entry point: column order and types, data errors naming the
// row, the inline model (JIT and interpreter give the metrics of the same
// scores computed by hand), and the JSON writer.
//
//===----------------------------------------------------------------------===//

#include "specjit/Errors.h"
#include "specjit/Eval.h"

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
    ADD_FAILURE() << llvm::toString(d.takeError());
    return Descriptor();
  }
  return std::move(*d);
}

std::string errorOf(llvm::Expected<EvalResult> r) {
  return r ? std::string() : llvm::toString(r.takeError());
}

const char *kBinary = R"({"specjit":1,"kind":"eval","task":"binary","label":"y","scores":["p"],)"
                      R"("metrics":["accuracy","roc_auc","log_loss","confusion_matrix"]})";

TEST(EvalApi, ScoresThenLabelInAnyNumericType) {
  Descriptor d = parseOk(kBinary);
  std::vector<double> p{.9, .4, .6, .2};
  std::vector<float> pf{.9f, .4f, .6f, .2f};
  std::vector<int64_t> y{1, 0, 0, 1};
  std::vector<double> yd{1, 0, 0, 1};
  llvm::Expected<EvalResult> a = evaluate(d, {Column::f64(p.data(), 4), Column::i64(y.data(), 4)});
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_FALSE(a->crossValidated);
  EXPECT_EQ(a->rows, 4);
  ASSERT_EQ(a->metrics.size(), 4u);
  EXPECT_EQ(a->metrics[0].name, "accuracy");
  EXPECT_EQ(a->metrics[0].value, 0.5); // predicted 1 0 1 0
  EXPECT_EQ(a->metrics[1].value, 0.5); // .9 beats .4 and .6; .2 beats none
  EXPECT_EQ(a->metrics[3].matrix, (std::vector<std::vector<double>>{{1, 1}, {1, 1}}));
  // f32 scores give the metrics of their f64 widening.
  std::vector<double> widened(pf.begin(), pf.end());
  llvm::Expected<EvalResult> b =
      evaluate(d, {Column::f32(pf.data(), 4), Column::f64(yd.data(), 4)});
  llvm::Expected<EvalResult> c =
      evaluate(d, {Column::f64(widened.data(), 4), Column::f64(yd.data(), 4)});
  ASSERT_TRUE(b && c);
  EXPECT_EQ(b->metrics[2].value, c->metrics[2].value);
}

TEST(EvalApi, DataErrors) {
  Descriptor d = parseOk(kBinary);
  std::vector<double> p{.9, .4, .6}, y{1, 0, 1};
  std::vector<double> nanLabel{1, NAN, 0}, badLabel{1, 3, 0};
  std::vector<double> nanScore{.9, NAN, .1};
  std::vector<int64_t> strings{0, 0, 0, 0};
  EXPECT_EQ(errorOf(evaluate(d, {Column::f64(p.data(), 3)})),
            "evaluate: expected 2 columns (the scores then the label), got 1");
  EXPECT_EQ(errorOf(evaluate(d, {Column::f64(p.data(), 3), Column::f64(y.data(), 2)})),
            "evaluate: column 1 ('y') has 2 rows, column 0 has 3");
  EXPECT_EQ(errorOf(evaluate(d, {Column::f64(p.data(), 0), Column::f64(y.data(), 0)})),
            "evaluate: no rows to evaluate");
  EXPECT_EQ(errorOf(evaluate(d, {Column::f64(p.data(), 3), Column::f64(nanLabel.data(), 3)})),
            "row 1: label 'y' is missing (NaN)");
  EXPECT_EQ(errorOf(evaluate(d, {Column::f64(p.data(), 3), Column::f64(badLabel.data(), 3)})),
            "row 1: label 'y' is 3, expected a class id in 0..1");
  EXPECT_EQ(errorOf(evaluate(d, {Column::f64(nanScore.data(), 3), Column::f64(y.data(), 3)})),
            "row 1: score 'p' is NaN; scores must be finite");
  EXPECT_EQ(
      errorOf(evaluate(d, {Column::strings(strings.data(), "", 3), Column::f64(y.data(), 3)})),
      "evaluate: score column 'p' must be f64 or f32, got string");
  // Data errors are RowErrors, so callers (the driver) can name the line.
  llvm::Expected<EvalResult> rowError =
      evaluate(d, {Column::f64(p.data(), 3), Column::f64(badLabel.data(), 3)});
  ASSERT_FALSE(bool(rowError));
  llvm::Error e = rowError.takeError();
  EXPECT_TRUE(e.isA<RowError>());
  llvm::consumeError(std::move(e));
  Descriptor pipeline =
      parseOk(R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"x","type":"f64"}],)"
              R"("output":{"type":"f64"}})");
  EXPECT_EQ(errorOf(evaluate(pipeline, {})),
            "evaluate: expected an eval descriptor, got kind 'pipeline'");
}

TEST(EvalApi, InlineModelScoresAreTheModelOutputs) {
  // p = logistic(0.5 x - 0.25 c + 0.1), computed here by hand.
  std::string model = R"({"inputs":[{"name":"x","type":"f64"},{"name":"c","type":"i64"}],)"
                      R"("model":{"type":"linear","weights":[[0.5,-0.25]],"intercepts":[0.1],)"
                      R"("link":"logistic"},"output":{"type":"f64"}})";
  std::string metrics = R"("metrics":["accuracy","roc_auc","log_loss","f1"])";
  Descriptor withModel = parseOk(R"({"specjit":1,"kind":"eval","task":"binary","label":"y",)" +
                                 metrics + R"(,"model":)" + model + "}");
  Descriptor withScores = parseOk(
      R"({"specjit":1,"kind":"eval","task":"binary","label":"y","scores":["p"],)" + metrics + "}");
  std::vector<double> x, y, p;
  std::vector<int64_t> c;
  for (int i = 0; i < 40; ++i) {
    x.push_back(std::sin(i * 0.7) * 3);
    c.push_back(i % 4);
    y.push_back((i * 7) % 3 == 0);
    p.push_back(1.0 / (1.0 + std::exp(-(0.5 * x.back() - 0.25 * c.back() + 0.1))));
  }
  llvm::Expected<EvalResult> want =
      evaluate(withScores, {Column::f64(p.data(), 40), Column::f64(y.data(), 40)});
  ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
  for (bool specialize : {true, false}) {
    EvalOptions o;
    o.specialize = specialize;
    llvm::Expected<EvalResult> got = evaluate(
        withModel,
        {Column::f64(x.data(), 40), Column::i64(c.data(), 40), Column::f64(y.data(), 40)}, o);
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    EXPECT_EQ(got->backend, specialize ? Backend::Jit : Backend::Interpreter)
        << got->fallbackReason;
    for (size_t m = 0; m < want->metrics.size(); ++m)
      EXPECT_NEAR(got->metrics[m].value, want->metrics[m].value, 1e-12) << want->metrics[m].name;
  }
}

TEST(EvalApi, JsonOfTheResult) {
  Descriptor d = parseOk(R"({"specjit":1,"kind":"eval","task":"regression","label":"y",)"
                         R"("scores":["yhat"],"metrics":["mae","r2"]})");
  std::vector<double> yhat{3}, y{2};
  llvm::Expected<EvalResult> r =
      evaluate(d, {Column::f64(yhat.data(), 1), Column::f64(y.data(), 1)});
  ASSERT_TRUE(bool(r));
  // r2 of one row is NaN: null.
  EXPECT_EQ(evalResultJson(*r), R"({"metrics":{"mae":1,"r2":null}})");

  EvalResult cv;
  cv.crossValidated = true;
  for (double v : {0.5, 1.0}) {
    FoldResult f;
    f.metrics = {{"accuracy", v, {}}, {"confusion_matrix", NAN, {{v, 1}, {0, 2}}}};
    cv.folds.push_back(f);
  }
  cv.mean = {{"accuracy", 0.75, {}}, {"confusion_matrix", NAN, {{0.75, 1}, {0, 2}}}};
  cv.std = {{"accuracy", 0.25, {}}, {"confusion_matrix", NAN, {{0.25, 0}, {0, 0}}}};
  EXPECT_EQ(evalResultJson(cv), R"({"folds":[{"accuracy":0.5,"confusion_matrix":[[0.5,1],[0,2]]},)"
                                R"({"accuracy":1,"confusion_matrix":[[1,1],[0,2]]}],)"
                                R"("mean":{"accuracy":0.75,"confusion_matrix":[[0.75,1],[0,2]]},)"
                                R"("std":{"accuracy":0.25,"confusion_matrix":[[0.25,0],[0,0]]}})");
}

} // namespace

namespace {

TEST(EvalApi, HostileDataNeverCrashes) {
  // Labels and scores drawn from values that break naive code (NaN, inf,
  // huge, negative zero, non-integral): every evaluation either returns
  // metrics (finite or NaN for classification) or an error naming a row.
  const double pool[] = {0,        1,         2,     -1,     0.5,    -0.0,          NAN,
                         INFINITY, -INFINITY, 1e308, -1e308, 1e-320, 0.999999999999};
  const char *descs[] = {
      R"({"specjit":1,"kind":"eval","task":"binary","label":"y","scores":["p"],)"
      R"("metrics":["accuracy","precision","f1_macro","roc_auc","log_loss","confusion_matrix"]})",
      R"({"specjit":1,"kind":"eval","task":"multiclass","label":"y","scores":["a","b","c"],)"
      R"("metrics":["accuracy","recall_macro","roc_auc","log_loss","confusion_matrix"]})",
      R"({"specjit":1,"kind":"eval","task":"regression","label":"y","scores":["p"],)"
      R"("metrics":["mse","mae","r2"]})"};
  uint64_t state = 1;
  auto pick = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return pool[(state >> 33) % (sizeof pool / sizeof pool[0])];
  };
  int ok = 0, errors = 0;
  for (const char *text : descs) {
    Descriptor d = parseOk(text);
    size_t k = d.inputs().size() - 1;
    for (int trial = 0; trial < 200; ++trial) {
      int n = 1 + trial % 7;
      std::vector<std::vector<double>> cols(k + 1, std::vector<double>(n));
      for (auto &c : cols)
        for (double &v : c)
          v = trial % 3 ? std::fabs(std::round(pick())) : pick();
      std::vector<Column> views;
      for (auto &c : cols)
        views.push_back(Column::f64(c.data(), n));
      llvm::Expected<EvalResult> r = evaluate(d, views);
      if (!r) {
        ++errors;
        std::string msg = llvm::toString(r.takeError());
        EXPECT_TRUE(msg.rfind("row ", 0) == 0 || msg.rfind("roc_auc: ", 0) == 0) << msg;
        continue;
      }
      ++ok;
      // Classification metrics are bounded; regression sums may overflow
      // to inf as numpy's do (1e308 - -1e308 squared).
      if (text != descs[2])
        for (const MetricValue &v : r->metrics)
          EXPECT_FALSE(std::isinf(v.value)) << v.name;
    }
  }
  EXPECT_GT(ok, 10);
  EXPECT_GT(errors, 10);
}

} // namespace
