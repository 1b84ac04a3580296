//===- EvalReferenceTest.cpp - Metrics and folds against scikit-learn -----===//
//
// Reads the committed reference of test/reference/gen_eval_reference.py
// (test/data/eval/*.json): metric cases are evaluated through the public
// API (jit::evaluate on the case's descriptor and columns, once with the
// compiled metrics kernel and once with the generic code) and compared
// with sklearn.metrics within the case's tolerance (1e-12); metrics sklearn
// rejects must fail with the recorded words. Fold cases compare the fold
// index sets with KFold / StratifiedKFold, their errors and warnings.
// Cross-validation cases (scikit-learn's bundled data sets) compare every
// fold's rows and metrics, the mean and the std with folds trained by the
// generator's numpy transcription of the train semantics (within 1e-9).
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/Folds.h"

#include "specjit/Eval.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace specjit::jit;
namespace json = llvm::json;

namespace {

std::string dataDir() { return std::string(SPECJIT_SOURCE_DIR) + "/test/data/eval"; }

/// The reference files whose names start with `prefix`, sorted.
std::vector<std::string> casesWith(llvm::StringRef prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dataDir(), ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.starts_with(prefix) && name.ends_with(".json"))
      out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

json::Value load(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << path;
    return json::Value(nullptr);
  }
  llvm::Expected<json::Value> v = json::parse((*buffer)->getBuffer());
  if (!v) {
    ADD_FAILURE() << path << ": " << llvm::toString(v.takeError());
    return json::Value(nullptr);
  }
  return std::move(*v);
}

std::vector<double> numbers(const json::Value *v) {
  std::vector<double> out;
  if (const json::Array *a = v ? v->getAsArray() : nullptr)
    for (const json::Value &x : *a)
      out.push_back(x.getAsNumber().value_or(NAN));
  return out;
}

bool close(double got, double want, double atol, double rtol) {
  if (std::isnan(want))
    return std::isnan(got);
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

/// Evaluates `desc` over the case's columns, in the descriptor's order.
llvm::Expected<EvalResult> evaluateCase(const Descriptor &d, const json::Object &columns,
                                        std::vector<std::vector<double>> &store,
                                        const EvalOptions &options = {}) {
  store.clear();
  for (const InputColumn &in : d.inputs())
    store.push_back(numbers(columns.get(in.name)));
  std::vector<Column> views;
  for (const std::vector<double> &c : store)
    views.push_back(Column::f64(c.data(), static_cast<int64_t>(c.size())));
  return evaluate(d, views, options);
}

/// Both backends of the metrics: the compiled metrics kernel and the
/// generic code.
class EvalReferenceBackends : public ::testing::TestWithParam<bool> {};

TEST_P(EvalReferenceBackends, MetricsEqualScikitLearn) {
  std::vector<std::string> files = casesWith("metrics_");
  ASSERT_GE(files.size(), 15u) << "no reference in " << dataDir();
  EvalOptions options;
  options.specialize = GetParam();
  Backend want = GetParam() ? Backend::Jit : Backend::Interpreter;
  size_t compared = 0;
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    json::Value doc = load(path);
    const json::Object *o = doc.getAsObject();
    ASSERT_TRUE(o);
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(*o->get("descriptor"));
    ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
    double atol = o->getNumber("atol").value_or(0);
    double rtol = o->getNumber("rtol").value_or(0);
    std::vector<std::vector<double>> store;
    llvm::Expected<EvalResult> r = evaluateCase(*d, *o->getObject("columns"), store, options);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    EXPECT_EQ(r->metricsBackend, want) << r->metricsFallbackReason;
    const json::Object *expected = o->getObject("expected");
    ASSERT_EQ(r->metrics.size(), expected->size());
    for (const MetricValue &v : r->metrics) {
      SCOPED_TRACE(v.name);
      const json::Value *want = expected->get(v.name);
      ASSERT_TRUE(want);
      if (const json::Array *rows = want->getAsArray()) {
        ASSERT_EQ(v.matrix.size(), rows->size());
        for (size_t t = 0; t < rows->size(); ++t)
          EXPECT_EQ(v.matrix[t], numbers(&(*rows)[t]));
      } else {
        double w = want->getAsNumber().value_or(NAN); // null: NaN
        EXPECT_TRUE(close(v.value, w, atol, rtol))
            << "got " << v.value << ", sklearn " << w << ", diff " << v.value - w;
      }
      ++compared;
    }
    // Metrics sklearn rejects on this data fail with the recorded words.
    for (const auto &kv : *o->getObject("errors")) {
      json::Object desc = *o->get("descriptor")->getAsObject();
      desc["metrics"] = json::Array{json::Value(kv.first.str())};
      llvm::Expected<Descriptor> one = Descriptor::fromJSON(json::Value(std::move(desc)));
      ASSERT_TRUE(bool(one)) << llvm::toString(one.takeError());
      llvm::Expected<EvalResult> bad = evaluateCase(*one, *o->getObject("columns"), store, options);
      ASSERT_FALSE(bool(bad)) << kv.first.str() << " did not fail";
      std::string msg = llvm::toString(bad.takeError());
      EXPECT_NE(msg.find(kv.second.getAsString().value_or("?")), std::string::npos) << msg;
    }
  }
  EXPECT_GE(compared, 100u);
}

INSTANTIATE_TEST_SUITE_P(Metrics, EvalReferenceBackends, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return std::string(info.param ? "Compiled" : "Generic");
                         });

/// Checks one set of metric values against the reference's object.
void expectMetrics(llvm::ArrayRef<MetricValue> got, const json::Object &want, double atol,
                   double rtol) {
  ASSERT_EQ(got.size(), want.size());
  for (const MetricValue &v : got) {
    SCOPED_TRACE(v.name);
    const json::Value *w = want.get(v.name);
    ASSERT_TRUE(w);
    if (const json::Array *rows = w->getAsArray()) {
      ASSERT_EQ(v.matrix.size(), rows->size());
      for (size_t t = 0; t < rows->size(); ++t) {
        std::vector<double> row = numbers(&(*rows)[t]);
        ASSERT_EQ(row.size(), v.matrix[t].size());
        for (size_t p = 0; p < row.size(); ++p)
          EXPECT_TRUE(close(v.matrix[t][p], row[p], atol, rtol))
              << v.matrix[t][p] << " vs " << row[p];
      }
    } else {
      double x = w->getAsNumber().value_or(NAN);
      EXPECT_TRUE(close(v.value, x, atol, rtol)) << "got " << v.value << ", reference " << x;
    }
  }
}

TEST(EvalReference, CrossValidationEqualsFoldsTrainedByNumpy) {
  std::vector<std::string> files = casesWith("cv_");
  ASSERT_GE(files.size(), 3u) << "no reference in " << dataDir();
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    json::Value doc = load(path);
    const json::Object *o = doc.getAsObject();
    ASSERT_TRUE(o);
    llvm::Expected<Descriptor> d = Descriptor::fromJSON(*o->get("descriptor"));
    ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
    double atol = o->getNumber("atol").value_or(0);
    double rtol = o->getNumber("rtol").value_or(0);
    std::vector<std::vector<double>> store;
    llvm::Expected<EvalResult> r = evaluateCase(*d, *o->getObject("columns"), store);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    ASSERT_TRUE(r->crossValidated);
    const json::Array *folds = o->getArray("folds");
    ASSERT_EQ(r->folds.size(), folds->size());
    for (size_t f = 0; f < folds->size(); ++f) {
      SCOPED_TRACE("fold " + std::to_string(f));
      const json::Object *fold = (*folds)[f].getAsObject();
      std::vector<int64_t> test;
      for (double x : numbers(fold->get("test")))
        test.push_back(static_cast<int64_t>(x));
      EXPECT_EQ(r->folds[f].testRows, test);
      expectMetrics(r->folds[f].metrics, *fold->getObject("metrics"), atol, rtol);
    }
    expectMetrics(r->mean, *o->getObject("mean"), atol, rtol);
    expectMetrics(r->std, *o->getObject("std"), atol, rtol);
  }
}

std::vector<std::vector<int64_t>> indexSets(const json::Value *v) {
  std::vector<std::vector<int64_t>> out;
  if (const json::Array *a = v ? v->getAsArray() : nullptr)
    for (const json::Value &fold : *a) {
      out.emplace_back();
      for (double d : numbers(&fold))
        out.back().push_back(static_cast<int64_t>(d));
    }
  return out;
}

TEST(EvalReference, FoldsEqualScikitLearn) {
  std::vector<std::string> files = casesWith("folds_");
  ASSERT_GE(files.size(), 20u) << "no reference in " << dataDir();
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    json::Value doc = load(path);
    const json::Object *o = doc.getAsObject();
    ASSERT_TRUE(o);
    int64_t n = *o->getInteger("n"), k = *o->getInteger("k");
    std::vector<double> labels = numbers(o->get("labels"));
    ASSERT_EQ(static_cast<int64_t>(labels.size()), n);

    llvm::Expected<eval::FoldPlan> plain = eval::kFold(n, k, std::nullopt);
    ASSERT_TRUE(bool(plain)) << llvm::toString(plain.takeError());
    EXPECT_EQ(plain->test, indexSets(o->get("kfold")));

    llvm::Expected<eval::FoldPlan> strat = eval::stratifiedKFold(labels, k, std::nullopt);
    if (std::optional<llvm::StringRef> err = o->getString("stratified_error")) {
      ASSERT_FALSE(bool(strat));
      std::string msg = llvm::toString(strat.takeError());
      EXPECT_NE(msg.find(err->str()), std::string::npos) << msg;
      continue;
    }
    ASSERT_TRUE(bool(strat)) << llvm::toString(strat.takeError());
    EXPECT_EQ(strat->test, indexSets(o->get("stratified")));
    EXPECT_EQ(!strat->warnings.empty(), o->getBoolean("stratified_warning").value_or(false));
  }
}

} // namespace
