//===- EvalDescriptorTest.cpp - Parsing and validation of eval descriptors ===//
//
// Every validation error of the eval family (with its JSON path), the
// analyzed EvalSpec (task, metrics, classes, data columns), and the
// canonical form and hash.
//
//===----------------------------------------------------------------------===//

#include "Families/Eval/EvalSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>

using namespace specjit::jit;

namespace {

/// A binary eval over one score column with `extra` members appended.
std::string binary(const std::string &extra = "") {
  return R"({"specjit":1,"kind":"eval","name":"e","task":"binary",)"
         R"("label":"y","scores":["p"],"metrics":["accuracy","f1"])" +
         extra + "}";
}

/// The error message of parsing `text` ("" when it parses).
std::string errorOf(const std::string &text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (d)
    return "";
  return llvm::toString(d.takeError());
}

Descriptor parseOk(const std::string &text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError()) << "\n" << text;
    return Descriptor();
  }
  return std::move(*d);
}

const char *kModel =
    R"({"inputs":[{"name":"x","type":"f64"},{"name":"c","type":"i64","missing":-1}],)"
    R"("model":{"type":"linear","weights":[[0.5,-0.25]],"intercepts":[0.1],)"
    R"("link":"logistic"},"output":{"type":"f64","columns":["p"]}})";

const char *kSoftmaxModel =
    R"({"specjit":1,"kind":"model","inputs":[{"name":"x","type":"f64"}],)"
    R"("model":{"type":"linear","weights":[[1],[0],[-1]],"intercepts":[0,0,0],)"
    R"("link":"softmax"},"output":{"type":"f64"}})";

TEST(EvalDescriptor, BinaryOverScores) {
  Descriptor d = parseOk(binary());
  ASSERT_EQ(d.kind(), Kind::Eval);
  const EvalSpec &s = d.spec<EvalSpec>();
  EXPECT_EQ(s.task, EvalTask::Binary);
  EXPECT_EQ(s.source, ScoreSource::Columns);
  EXPECT_EQ(s.label, "y");
  EXPECT_EQ(s.threshold, 0.5);
  EXPECT_EQ(s.numClasses, 2);
  ASSERT_EQ(s.metrics.size(), 2u);
  EXPECT_EQ(s.metrics[1], Metric::F1);
  ASSERT_EQ(d.inputs().size(), 2u); // the score, then the label
  EXPECT_EQ(d.inputs()[0].name, "p");
  EXPECT_EQ(d.inputs()[1].name, "y");
  EXPECT_EQ(d.inputs()[1].type, DType::F64);
  EXPECT_EQ(d.outputNames(), (std::vector<std::string>{"accuracy", "f1"}));
  EXPECT_EQ(d.name(), "e");
}

TEST(EvalDescriptor, CanonicalFormAndHash) {
  Descriptor a = parseOk(binary());
  EXPECT_EQ(a.canonical(), R"({"kind":"eval","label":"y","metrics":["accuracy","f1"],)"
                           R"("scores":["p"],"specjit":1,"task":"binary","threshold":0.5})");
  // Same meaning: another name, the default threshold written out, keys in
  // another order.
  Descriptor b =
      parseOk(R"({"metrics":["accuracy","f1"],"threshold":0.50,"scores":["p"],)"
              R"("label":"y","task":"binary","kind":"eval","specjit":1,"name":"other"})");
  EXPECT_EQ(a.canonical(), b.canonical());
  EXPECT_EQ(a.hash(), b.hash());
  // Another threshold or metric order is another descriptor.
  Descriptor c = parseOk(binary(R"(,"threshold":0.3)"));
  EXPECT_NE(a.hash(), c.hash());
  Descriptor e = parseOk(R"({"specjit":1,"kind":"eval","task":"binary","label":"y",)"
                         R"("scores":["p"],"metrics":["f1","accuracy"]})");
  EXPECT_NE(a.hash(), e.hash());
}

TEST(EvalDescriptor, MulticlassAndRegression) {
  Descriptor m = parseOk(R"({"specjit":1,"kind":"eval","task":"multiclass","label":"y",)"
                         R"("scores":["a","b","c"],"metrics":["accuracy","f1_macro","roc_auc"]})");
  EXPECT_EQ(m.spec<EvalSpec>().numClasses, 3);
  EXPECT_EQ(m.inputs().size(), 4u);
  EXPECT_EQ(m.canonical().find("threshold"), std::string::npos);
  Descriptor r = parseOk(R"({"specjit":1,"kind":"eval","task":"regression","label":"y",)"
                         R"("scores":["yhat"],"metrics":["mse","mae","r2"]})");
  EXPECT_EQ(r.spec<EvalSpec>().task, EvalTask::Regression);
  EXPECT_EQ(r.spec<EvalSpec>().numClasses, 0);
}

TEST(EvalDescriptor, InlineModel) {
  std::string text = R"({"specjit":1,"kind":"eval","task":"binary","label":"y",)"
                     R"("metrics":["roc_auc"],"model":)" +
                     std::string(kModel) + "}";
  Descriptor d = parseOk(text);
  const EvalSpec &s = d.spec<EvalSpec>();
  EXPECT_EQ(s.source, ScoreSource::Model);
  ASSERT_TRUE(s.model.has_value());
  EXPECT_EQ(s.model->kind(), Kind::Model);
  // The model's inputs, then the label.
  ASSERT_EQ(d.inputs().size(), 3u);
  EXPECT_EQ(d.inputs()[0].name, "x");
  EXPECT_EQ(d.inputs()[1].type, DType::I64);
  EXPECT_EQ(d.inputs()[1].missing, -1);
  EXPECT_EQ(d.inputs()[2].name, "y");
  // The model's canonical text is embedded, and the canonical form parses
  // back to itself.
  EXPECT_NE(d.canonical().find(s.model->canonical()), std::string::npos);
  Descriptor again = parseOk(d.canonical());
  EXPECT_EQ(again.canonical(), d.canonical());
  EXPECT_EQ(again.hash(), d.hash());
  // Leaving out the inline model's specjit and kind changes nothing.
  Descriptor full = parseOk(R"({"specjit":1,"kind":"eval","task":"binary","label":"y",)"
                            R"("metrics":["roc_auc"],"model":{"specjit":1,"kind":"model",)" +
                            std::string(kModel + 1) + "}");
  EXPECT_EQ(full.hash(), d.hash());

  Descriptor mc = parseOk(R"({"specjit":1,"kind":"eval","task":"multiclass","label":"y",)"
                          R"("metrics":["log_loss"],"model":)" +
                          std::string(kSoftmaxModel) + "}");
  EXPECT_EQ(mc.spec<EvalSpec>().numClasses, 3);
}

struct ErrorCase {
  const char *what;
  std::string text;
  const char *message;
};

class EvalDescriptorErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(EvalDescriptorErrors, NamesThePath) {
  const ErrorCase &c = GetParam();
  std::string msg = errorOf(c.text);
  EXPECT_NE(msg.find(c.message), std::string::npos)
      << c.what << "\n got: " << msg << "\n want: " << c.message;
}

std::string evalWith(const std::string &members) {
  return R"({"specjit":1,"kind":"eval",)" + members + "}";
}

const ErrorCase kErrors[] = {
    {"unknown top-level key", binary(R"(,"treshold":0.5)"),
     "descriptor: unknown key 'treshold' (did you mean 'threshold'?)"},
    {"missing task", evalWith(R"("label":"y","scores":["p"],"metrics":["accuracy"])"),
     "descriptor: missing required key 'task'"},
    {"unknown task",
     evalWith(R"("task":"binay","label":"y","scores":["p"],"metrics":["accuracy"])"),
     "task: unknown value 'binay' (expected one of binary, multiclass, "
     "regression); did you mean 'binary'?"},
    {"task not a string", evalWith(R"("task":1,"label":"y","scores":["p"],"metrics":["accuracy"])"),
     "task: expected one of binary, multiclass, regression, got 1"},
    {"unknown metric with suggestion",
     evalWith(R"("task":"binary","label":"y","scores":["p"],)"
              R"("metrics":["accuracy","recall","f2"])"),
     "metrics[2]: unknown metric 'f2' (expected one of accuracy, precision, "
     "recall, f1, precision_macro, recall_macro, f1_macro, roc_auc, "
     "log_loss, mse, mae, r2, confusion_matrix); did you mean 'f1'?"},
    {"metric not a string", evalWith(R"("task":"binary","label":"y","scores":["p"],"metrics":[3])"),
     "metrics[0]: expected a metric name"},
    {"empty metrics", evalWith(R"("task":"binary","label":"y","scores":["p"],"metrics":[])"),
     "metrics: expected at least one metric"},
    {"missing metrics", evalWith(R"("task":"binary","label":"y","scores":["p"])"),
     "descriptor: missing required key 'metrics'"},
    {"duplicate metric",
     evalWith(R"("task":"binary","label":"y","scores":["p"],)"
              R"("metrics":["f1","accuracy","f1"])"),
     "metrics[2]: duplicate metric 'f1' (also metrics[0])"},
    {"regression metric on a binary task",
     evalWith(R"("task":"binary","label":"y","scores":["p"],"metrics":["mse"])"),
     "metrics[0]: metric 'mse' is not defined for a binary task (binary "
     "metrics: accuracy, precision, recall, f1"},
    {"classification metric on regression",
     evalWith(R"("task":"regression","label":"y","scores":["p"],)"
              R"("metrics":["r2","roc_auc"])"),
     "metrics[1]: metric 'roc_auc' is not defined for a regression task "
     "(regression metrics: mse, mae, r2)"},
    {"binary precision on multiclass",
     evalWith(R"("task":"multiclass","label":"y","scores":["a","b"],)"
              R"("metrics":["precision"])"),
     "metrics[0]: metric 'precision' is not defined for a multiclass task; "
     "precision is binary (positive class 1): use precision_macro"},
    {"threshold not finite", binary(R"(,"threshold":"high")"),
     "threshold: expected a finite number, got the string 'high'"},
    {"threshold on multiclass",
     evalWith(R"("task":"multiclass","label":"y","scores":["a","b"],)"
              R"("metrics":["accuracy"],"threshold":0.5)"),
     "threshold: only binary tasks have a threshold (task is multiclass)"},
    {"missing label", evalWith(R"("task":"binary","scores":["p"],"metrics":["f1"])"),
     "descriptor: missing required key 'label'"},
    {"empty label", evalWith(R"("task":"binary","label":"","scores":["p"],"metrics":["f1"])"),
     "label: expected the name of the label column (a non-empty string), "
     "got the string ''"},
    {"label is a score", evalWith(R"("task":"binary","label":"p","scores":["p"],"metrics":["f1"])"),
     "label: 'p' is also scores[0]: the label must be a column of its own"},
    {"no score source", evalWith(R"("task":"binary","label":"y","metrics":["f1"])"),
     "descriptor: missing the scores: give one of 'scores'"},
    {"two score sources",
     evalWith(R"("task":"binary","label":"y","metrics":["f1"],"scores":["p"],)"
              R"("model":{})"),
     "model: give only one of scores, model and cross_validation (scores is "
     "given too)"},
    {"two scores for binary",
     evalWith(R"("task":"binary","label":"y","scores":["p","q"],"metrics":["f1"])"),
     "scores: a binary task takes exactly 1 score column (the probability "
     "of class 1), got 2"},
    {"two scores for regression",
     evalWith(R"("task":"regression","label":"y","scores":["p","q"],"metrics":["mse"])"),
     "scores: a regression task takes exactly 1 score column (the "
     "prediction), got 2"},
    {"one score for multiclass",
     evalWith(R"("task":"multiclass","label":"y","scores":["p"],"metrics":["accuracy"])"),
     "scores: a multiclass task takes one score column per class (at least "
     "2), got 1"},
    {"too many classes",
     evalWith(R"("task":"multiclass","label":"y","metrics":["accuracy"],"scores":[)" +
              [] {
                std::string s;
                for (int i = 0; i < 1025; ++i)
                  s += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
                return s;
              }() +
              "]"),
     "scores: a multiclass eval takes at most 1024 classes, got 1025"},
    {"empty scores", evalWith(R"("task":"binary","label":"y","scores":[],"metrics":["f1"])"),
     "scores: expected at least one score column"},
    {"duplicate score",
     evalWith(R"("task":"multiclass","label":"y","scores":["a","a"],"metrics":["accuracy"])"),
     "scores[1]: duplicate score column 'a' (also scores[0])"},
    {"score not a string", evalWith(R"("task":"binary","label":"y","scores":[1],"metrics":["f1"])"),
     "scores[0]: expected a column name (a non-empty string), got 1"},
    {"model not an object", evalWith(R"("task":"binary","label":"y","metrics":["f1"],"model":[])"),
     "model: expected an inline model descriptor, got an array"},
    {"model of another kind",
     evalWith(R"("task":"binary","label":"y","metrics":["f1"],"model":{"kind":"pipeline"})"),
     "model.kind: expected \"model\" (or no kind), got the string 'pipeline'"},
    {"error inside the model",
     evalWith(R"("task":"binary","label":"y","metrics":["f1"],"model":)"
              R"({"inputs":[{"name":"x","type":"f16"}],"model":{"type":"linear",)"
              R"("weights":[[1]],"intercepts":[0]},"output":{"type":"f64"}})"),
     "model.inputs[0].type:"},
    {"model output count for binary",
     evalWith(R"("task":"binary","label":"y","metrics":["f1"],"model":)" +
              std::string(kSoftmaxModel)),
     "model: a binary task needs a model with 1 output (the probability of "
     "class 1), this one has 3"},
    {"model output count for multiclass",
     evalWith(R"("task":"multiclass","label":"y","metrics":["accuracy"],"model":)" +
              std::string(kModel)),
     "model: a multiclass task needs a model with one output per class (at "
     "least 2), this one has 1"},
    {"label is a model input",
     evalWith(R"("task":"binary","label":"x","metrics":["f1"],"model":)" + std::string(kModel)),
     "label: 'x' is also model.inputs[0]: the label must be a column of its "
     "own"},
    {"cross_validation not an object",
     evalWith(R"("task":"binary","metrics":["f1"],"cross_validation":5)"),
     "cross_validation: expected an object"},
    {"cross_validation unknown key",
     evalWith(R"("task":"binary","metrics":["f1"],"cross_validation":{"folds":5})"),
     "cross_validation: unknown key 'folds'"},
    {"k below 2",
     evalWith(R"("task":"binary","metrics":["f1"],"cross_validation":{"k":1,"train":{}})"),
     "cross_validation.k: expected an integer >= 2 (the number of folds), "
     "got 1"},
    {"k not an integer",
     evalWith(R"("task":"binary","metrics":["f1"],"cross_validation":{"k":2.5,"train":{}})"),
     "cross_validation.k: expected an integer >= 2"},
    {"stratified not a bool",
     evalWith(R"("task":"binary","metrics":["f1"],)"
              R"("cross_validation":{"stratified":"yes","train":{}})"),
     "cross_validation.stratified: expected true or false, got the string 'yes'"},
    {"stratified regression",
     evalWith(R"("task":"regression","metrics":["mse"],)"
              R"("cross_validation":{"stratified":true,"train":{}})"),
     "cross_validation.stratified: stratified folds need class labels (task "
     "is regression)"},
    {"shuffle seed negative",
     evalWith(R"("task":"binary","metrics":["f1"],)"
              R"("cross_validation":{"shuffle":{"seed":-1},"train":{}})"),
     "cross_validation.shuffle.seed: expected an integer in 0..2^64-1, got -1"},
    {"shuffle of the wrong type",
     evalWith(R"("task":"binary","metrics":["f1"],)"
              R"("cross_validation":{"shuffle":3,"train":{}})"),
     "cross_validation.shuffle: expected false, true (seed 0) or {\"seed\""},
    {"shuffle unknown key",
     evalWith(R"("task":"binary","metrics":["f1"],)"
              R"("cross_validation":{"shuffle":{"sed":1},"train":{}})"),
     "cross_validation.shuffle: unknown key 'sed' (did you mean 'seed'?)"},
    {"missing train", evalWith(R"("task":"binary","metrics":["f1"],"cross_validation":{"k":3})"),
     "cross_validation: missing required key 'train'"},
    {"train of another kind",
     evalWith(R"("task":"binary","metrics":["f1"],)"
              R"("cross_validation":{"train":{"kind":"model"}})"),
     "cross_validation.train.kind: expected \"train\" (or no kind), got "
     "the string 'model'"},
};

INSTANTIATE_TEST_SUITE_P(All, EvalDescriptorErrors, ::testing::ValuesIn(kErrors));

TEST(EvalDescriptor, MetricVocabulary) {
  // Every metric has a spelling, and the task table matches the docs.
  for (Metric m : allMetrics())
    EXPECT_FALSE(metricName(m).empty());
  EXPECT_TRUE(metricAllowed(Metric::RocAuc, EvalTask::Binary));
  EXPECT_TRUE(metricAllowed(Metric::RocAuc, EvalTask::Multiclass));
  EXPECT_FALSE(metricAllowed(Metric::RocAuc, EvalTask::Regression));
  EXPECT_TRUE(metricAllowed(Metric::Precision, EvalTask::Binary));
  EXPECT_FALSE(metricAllowed(Metric::Precision, EvalTask::Multiclass));
  EXPECT_TRUE(metricAllowed(Metric::F1Macro, EvalTask::Binary));
  EXPECT_TRUE(metricAllowed(Metric::Mse, EvalTask::Regression));
  EXPECT_FALSE(metricAllowed(Metric::Mse, EvalTask::Binary));
  EXPECT_FALSE(metricAllowed(Metric::ConfusionMatrix, EvalTask::Regression));
}

} // namespace

namespace {

TEST(EvalDescriptor, AnyValueAtAnyKeyIsAPathNamedErrorOrValid) {
  // Every member of three valid descriptors replaced by values of every
  // JSON type: each parse returns (no crash), and every error names a path.
  const std::string docs[] = {
      binary(R"(,"threshold":0.25)"),
      R"({"specjit":1,"kind":"eval","task":"multiclass","label":"y",)"
      R"("metrics":["log_loss"],"model":)" +
          std::string(kSoftmaxModel) + "}",
      R"({"specjit":1,"kind":"eval","task":"binary","metrics":["f1"],)"
      R"("cross_validation":{"k":3,"stratified":true,"shuffle":{"seed":1},"train":{}}})"};
  const char *values[] = {"null",  "0",
                          "-1",    "2.5",
                          "1e308", "\"x\"",
                          "\"\"",  "[]",
                          "[1]",   "[\"accuracy\",\"accuracy\"]",
                          "{}",    "true",
                          "false", "18446744073709551616"};
  int parsed = 0, failed = 0;
  for (const std::string &doc : docs) {
    llvm::Expected<llvm::json::Value> v = llvm::json::parse(doc);
    ASSERT_TRUE(bool(v));
    std::vector<std::string> keys;
    for (const auto &kv : *v->getAsObject())
      keys.push_back(kv.first.str());
    for (const std::string &key : keys)
      for (const char *value : values) {
        llvm::json::Object o = *v->getAsObject();
        o[key] = *llvm::json::parse(value);
        std::string text;
        llvm::raw_string_ostream os(text);
        os << llvm::json::Value(std::move(o));
        os.flush();
        llvm::Expected<Descriptor> d = Descriptor::parse(text);
        if (d) {
          ++parsed;
          continue;
        }
        ++failed;
        std::string msg = llvm::toString(d.takeError());
        EXPECT_NE(msg.find(": "), std::string::npos) << text << "\n" << msg;
      }
  }
  EXPECT_GT(failed, 100);
  EXPECT_GT(parsed, 0); // e.g. another name
}

} // namespace
