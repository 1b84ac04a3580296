//===- EvalDescriptor.cpp - The `eval` family -----------------------------===//
//
// Parsing, validation and analysis of `kind: "eval"` descriptors
// (docs/eval-semantics.md): the task, the label, the metrics, the binary
// threshold, and exactly one source of scores: `scores` (columns of the
// data), `model` (an inline model descriptor whose outputs are the scores)
// or `cross_validation` (k folds, each training an inline train descriptor).
// Inline descriptors are parsed by their own family's parser; their errors
// carry the path of the inline object in front (`model.inputs[0].type: ...`).
//
// Canonical form: compact JSON, keys sorted bytewise, the top-level `name`
// dropped, defaults written out (`threshold` for binary tasks only,
// cross_validation `k`, `stratified`, `shuffle` as false or {"seed": S}),
// `label` always written (with cross-validation it defaults to the train
// descriptor's label), metrics and scores in their written order (they fix
// the order of the results), inline descriptors as their own canonical
// text (so their names are dropped too).
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Eval/EvalSpec.h"
#include "Families/Train/TrainSpec.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace json = llvm::json;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {

llvm::StringRef evalTaskName(EvalTask t) {
  switch (t) {
  case EvalTask::Binary:
    return "binary";
  case EvalTask::Multiclass:
    return "multiclass";
  case EvalTask::Regression:
    return "regression";
  }
  return "?";
}

llvm::StringRef metricName(Metric m) {
  switch (m) {
  case Metric::Accuracy:
    return "accuracy";
  case Metric::Precision:
    return "precision";
  case Metric::Recall:
    return "recall";
  case Metric::F1:
    return "f1";
  case Metric::PrecisionMacro:
    return "precision_macro";
  case Metric::RecallMacro:
    return "recall_macro";
  case Metric::F1Macro:
    return "f1_macro";
  case Metric::RocAuc:
    return "roc_auc";
  case Metric::LogLoss:
    return "log_loss";
  case Metric::Mse:
    return "mse";
  case Metric::Mae:
    return "mae";
  case Metric::R2:
    return "r2";
  case Metric::ConfusionMatrix:
    return "confusion_matrix";
  }
  return "?";
}

llvm::ArrayRef<Metric> allMetrics() {
  static const Metric all[] = {
      Metric::Accuracy,       Metric::Precision,   Metric::Recall,  Metric::F1,
      Metric::PrecisionMacro, Metric::RecallMacro, Metric::F1Macro, Metric::RocAuc,
      Metric::LogLoss,        Metric::Mse,         Metric::Mae,     Metric::R2,
      Metric::ConfusionMatrix};
  return all;
}

bool metricAllowed(Metric m, EvalTask t) {
  switch (m) {
  case Metric::Precision:
  case Metric::Recall:
  case Metric::F1:
    return t == EvalTask::Binary;
  case Metric::Accuracy:
  case Metric::PrecisionMacro:
  case Metric::RecallMacro:
  case Metric::F1Macro:
  case Metric::RocAuc:
  case Metric::LogLoss:
  case Metric::ConfusionMatrix:
    return t != EvalTask::Regression;
  case Metric::Mse:
  case Metric::Mae:
  case Metric::R2:
    return t == EvalTask::Regression;
  }
  return false;
}

namespace {

using detail::checkKeys;
using detail::expected;
using detail::failAt;
using detail::indexPath;
using detail::keyPath;
using detail::quoted;
using detail::readBool;
using detail::readFinite;
using detail::requireKey;

constexpr EvalTask kAllTasks[] = {EvalTask::Binary, EvalTask::Multiclass, EvalTask::Regression};

std::string taskList() { return detail::nameList(kAllTasks, evalTaskName); }

std::vector<std::string> metricNames() {
  std::vector<std::string> out;
  for (Metric m : allMetrics())
    out.push_back(metricName(m).str());
  return out;
}

/// The metrics of task `t`, for messages.
std::string metricsOf(EvalTask t) {
  std::vector<std::string> out;
  for (Metric m : allMetrics())
    if (metricAllowed(m, t))
      out.push_back(metricName(m).str());
  return detail::listNames(out);
}

/// Rewrites an error of an inline descriptor's parser ("inputs[0].type:
/// ...", "descriptor: ...") so that its path starts at `prefix`.
Error prefixError(Error e, StringRef prefix) {
  std::string msg = llvm::toString(std::move(e));
  StringRef text(msg);
  size_t colon = text.find(": ");
  StringRef path = colon == StringRef::npos ? StringRef() : text.take_front(colon);
  StringRef rest = colon == StringRef::npos ? text : text.drop_front(colon + 2);
  std::string full = prefix.str();
  if (!path.empty() && path != "descriptor")
    full += (path.starts_with("[") ? "" : ".") + path.str();
  return failAt(full, rest);
}

/// Parses the inline descriptor at `path` (an object of kind `kind`; its
/// `specjit` and `kind` may be left out).
Expected<Descriptor> parseInline(const json::Value &v, StringRef path, Kind kind, StringRef what) {
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path, what, v);
  json::Object copy = *o;
  if (const json::Value *k = o->get("kind")) {
    std::optional<StringRef> s = k->getAsString();
    if (!s || *s != kindName(kind))
      return expected(keyPath(path, "kind"), "\"" + kindName(kind) + "\" (or no kind)", *k);
  } else {
    copy["kind"] = kindName(kind);
  }
  if (!o->get("specjit"))
    copy["specjit"] = 1;
  Expected<Descriptor> d = Descriptor::fromJSON(json::Value(std::move(copy)));
  if (!d)
    return prefixError(d.takeError(), path);
  return d;
}

/// At most kMaxEvalClasses classes.
Error checkClassCount(uint64_t k, StringRef path) {
  if (k > static_cast<uint64_t>(kMaxEvalClasses))
    return failAt(path, "a multiclass eval takes at most " + Twine(kMaxEvalClasses) +
                            " classes, got " + Twine(k));
  return Error::success();
}

class EvalParser {
public:
  Expected<Descriptor> run(const json::Object &root);

private:
  Error parseTask(const json::Object &root);
  Error parseMetrics(const json::Object &root);
  Error parseThreshold(const json::Object &root);
  Error parseLabel(const json::Object &root, bool required);
  Error parseScores(const json::Value &v);
  Error parseModel(const json::Value &v);
  Error parseCrossValidation(const json::Value &v);
  Error checkTrainTask(const Descriptor &train);
  /// The label must not also be one of `names` (named `what` at index i).
  Error checkLabelDistinct(ArrayRef<std::string> names, StringRef what);
  std::string canonicalText() const;

  EvalSpec spec;
};

Error EvalParser::parseTask(const json::Object &root) {
  const json::Value *v;
  if (Error e = requireKey(root, "", "task", "one of " + taskList(), v))
    return e;
  return detail::readEnum(*v, "task", kAllTasks, evalTaskName, spec.task);
}

Error EvalParser::parseMetrics(const json::Object &root) {
  const json::Value *v;
  std::string what = "a non-empty array of metric names";
  if (Error e = requireKey(root, "", "metrics", what, v))
    return e;
  const json::Array *a = v->getAsArray();
  if (!a)
    return expected("metrics", what, *v);
  if (a->empty())
    return failAt("metrics", "expected at least one metric");
  std::vector<std::string> names = metricNames();
  llvm::StringMap<size_t> seen;
  for (size_t i = 0; i < a->size(); ++i) {
    std::string path = indexPath("metrics", i);
    std::optional<StringRef> s = (*a)[i].getAsString();
    if (!s)
      return expected(path, "a metric name (one of " + detail::listNames(names) + ")", (*a)[i]);
    auto it = llvm::find(names, *s);
    if (it == names.end())
      return failAt(path, "unknown metric " + quoted(*s) + " (expected one of " +
                              detail::listNames(names) + ")" + detail::suggestName(*s, names));
    Metric m = allMetrics()[it - names.begin()];
    if (!metricAllowed(m, spec.task)) {
      std::string hint;
      if (m == Metric::Precision || m == Metric::Recall || m == Metric::F1)
        hint = "; " + s->str() + " is binary (positive class 1): use " + s->str() + "_macro";
      return failAt(path, "metric " + quoted(*s) + " is not defined for a " +
                              evalTaskName(spec.task) + " task" + hint + " (" +
                              evalTaskName(spec.task) + " metrics: " + metricsOf(spec.task) + ")");
    }
    auto [prev, inserted] = seen.try_emplace(*s, i);
    if (!inserted)
      return failAt(path, "duplicate metric " + quoted(*s) + " (also " +
                              indexPath("metrics", prev->second) + ")");
    spec.metrics.push_back(m);
    spec.outputNames.push_back(s->str());
  }
  return Error::success();
}

Error EvalParser::parseThreshold(const json::Object &root) {
  const json::Value *v = root.get("threshold");
  if (!v)
    return Error::success();
  if (spec.task != EvalTask::Binary)
    return failAt("threshold",
                  "only binary tasks have a threshold (task is " + evalTaskName(spec.task) + ")");
  return readFinite(*v, "threshold", spec.threshold);
}

Error EvalParser::parseLabel(const json::Object &root, bool required) {
  const json::Value *v = root.get("label");
  if (!v) {
    if (!required)
      return Error::success();
    return requireKey(root, "", "label", "the name of the label column", v);
  }
  return detail::readNonEmptyString(*v, "label", spec.label,
                                    "the name of the label column (a "
                                    "non-empty string)");
}

Error EvalParser::checkLabelDistinct(ArrayRef<std::string> names, StringRef what) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == spec.label)
      return failAt("label", quoted(spec.label) + " is also " + indexPath(what, i) +
                                 ": the label must be a column of its own");
  return Error::success();
}

Error EvalParser::parseScores(const json::Value &v) {
  const json::Array *a = v.getAsArray();
  std::string what = "a non-empty array of score column names";
  if (!a)
    return expected("scores", what, v);
  if (a->empty())
    return failAt("scores", "expected at least one score column");
  llvm::StringMap<size_t> seen;
  for (size_t i = 0; i < a->size(); ++i) {
    std::string path = indexPath("scores", i);
    std::string name;
    if (Error e =
            detail::readNonEmptyString((*a)[i], path, name, "a column name (a non-empty string)"))
      return e;
    auto [prev, inserted] = seen.try_emplace(name, i);
    if (!inserted)
      return failAt(path, "duplicate score column " + quoted(name) + " (also " +
                              indexPath("scores", prev->second) + ")");
    spec.scores.push_back(std::move(name));
  }
  size_t n = spec.scores.size();
  switch (spec.task) {
  case EvalTask::Binary:
    if (n != 1)
      return failAt("scores", "a binary task takes exactly 1 score column "
                              "(the probability of class 1), got " +
                                  Twine(n));
    break;
  case EvalTask::Regression:
    if (n != 1)
      return failAt("scores", "a regression task takes exactly 1 score "
                              "column (the prediction), got " +
                                  Twine(n));
    break;
  case EvalTask::Multiclass:
    if (n < 2)
      return failAt("scores", "a multiclass task takes one score column per "
                              "class (at least 2), got " +
                                  Twine(n));
    if (Error e = checkClassCount(n, "scores"))
      return e;
    spec.numClasses = static_cast<int64_t>(n);
    break;
  }
  if (Error e = checkLabelDistinct(spec.scores, "scores"))
    return e;
  for (const std::string &s : spec.scores)
    spec.dataColumns.push_back({s, DType::F64, std::nullopt});
  return Error::success();
}

Error EvalParser::parseModel(const json::Value &v) {
  Expected<Descriptor> d = parseInline(v, "model", Kind::Model, "an inline model descriptor");
  if (!d)
    return d.takeError();
  size_t outputs = d->numOutputs();
  switch (spec.task) {
  case EvalTask::Binary:
  case EvalTask::Regression:
    if (outputs != 1)
      return failAt(
          "model",
          "a " + evalTaskName(spec.task) + " task needs a model with 1 output (" +
              (spec.task == EvalTask::Binary ? "the probability of class 1" : "the prediction") +
              "), this one has " + Twine(outputs));
    break;
  case EvalTask::Multiclass:
    if (outputs < 2)
      return failAt("model", "a multiclass task needs a model with one "
                             "output per class (at least 2), this one has " +
                                 Twine(outputs));
    if (Error e = checkClassCount(outputs, "model"))
      return e;
    spec.numClasses = static_cast<int64_t>(outputs);
    break;
  }
  std::vector<std::string> inputs;
  for (const InputColumn &in : d->inputs())
    inputs.push_back(in.name);
  if (Error e = checkLabelDistinct(inputs, "model.inputs"))
    return e;
  spec.dataColumns = d->inputs();
  spec.model = std::move(*d);
  return Error::success();
}

Error EvalParser::checkTrainTask(const Descriptor &train) {
  const TrainSpec &t = train.spec<TrainSpec>();
  StringRef path = "cross_validation.train";
  switch (spec.task) {
  case EvalTask::Binary:
    if (t.loss != Loss::LogLoss || t.numOutputs != 1)
      return failAt(path, "a binary task trains with loss log_loss (one "
                          "logistic output), got " +
                              lossName(t.loss) + " with " + Twine(t.numOutputs) + " output(s)");
    break;
  case EvalTask::Multiclass:
    if (t.loss != Loss::CrossEntropy || t.numOutputs < 2)
      return failAt(path, "a multiclass task trains with loss cross_entropy "
                          "(softmax over k >= 2 outputs), got " +
                              lossName(t.loss) + " with " + Twine(t.numOutputs) + " output(s)");
    if (Error e = checkClassCount(t.numOutputs, path))
      return e;
    spec.numClasses = t.numOutputs;
    break;
  case EvalTask::Regression:
    if (t.loss != Loss::Mse || t.numOutputs != 1)
      return failAt(path, "a regression task trains with loss mse (one "
                          "output), got " +
                              lossName(t.loss) + " with " + Twine(t.numOutputs) + " output(s)");
    break;
  }
  if (spec.label.empty())
    spec.label = t.label.name;
  else if (spec.label != t.label.name)
    return failAt("label", quoted(spec.label) + " is not the train descriptor's label " +
                               quoted(t.label.name) + " (cross_validation.train.label.name)");
  return Error::success();
}

Error EvalParser::parseCrossValidation(const json::Value &v) {
  StringRef path = "cross_validation";
  std::string what = "an object {\"k\", \"stratified\", \"train\", \"shuffle\"}";
  const json::Object *o = v.getAsObject();
  if (!o)
    return expected(path, what, v);
  if (Error e = checkKeys(*o, path, {"k", "stratified", "shuffle", "train"}, "cross_validation"))
    return e;
  CrossValidationSpec cv;
  if (const json::Value *k = o->get("k")) {
    std::optional<int64_t> n = detail::asInt64(*k);
    if (!n || *n < 2)
      return expected("cross_validation.k",
                      "an integer >= 2 (the number of "
                      "folds)",
                      *k);
    cv.k = *n;
  }
  if (const json::Value *s = o->get("stratified"))
    if (Error e = readBool(*s, "cross_validation.stratified", cv.stratified))
      return e;
  if (cv.stratified && spec.task == EvalTask::Regression)
    return failAt("cross_validation.stratified",
                  "stratified folds need class labels (task is regression)");
  if (const json::Value *s = o->get("shuffle"))
    if (Error e = detail::readShuffle(*s, "cross_validation.shuffle", cv.shuffleSeed))
      return e;
  const json::Value *t;
  if (Error e = requireKey(*o, path, "train", "an inline train descriptor", t))
    return e;
  Expected<Descriptor> train =
      parseInline(*t, "cross_validation.train", Kind::Train, "an inline train descriptor");
  if (!train)
    return train.takeError();
  if (Error e = checkTrainTask(*train))
    return e;
  const TrainSpec &ts = train->spec<TrainSpec>();
  spec.dataColumns = ts.pipeline.inputs;
  cv.train = std::move(*train);
  spec.crossValidation = std::move(cv);
  return Error::success();
}

std::string EvalParser::canonicalText() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  {
    json::OStream j(os);
    j.object([&] {
      if (const CrossValidationSpec *cv = spec.crossValidation ? &*spec.crossValidation : nullptr) {
        j.attributeObject("cross_validation", [&] {
          j.attribute("k", cv->k);
          detail::writeShuffle(j, cv->shuffleSeed);
          j.attribute("stratified", cv->stratified);
          j.attributeBegin("train");
          j.rawValue(cv->train.canonical());
          j.attributeEnd();
        });
      }
      j.attribute("kind", kindName(Kind::Eval));
      j.attribute("label", spec.label);
      j.attributeArray("metrics", [&] {
        for (Metric m : spec.metrics)
          j.value(metricName(m));
      });
      if (spec.model) {
        j.attributeBegin("model");
        j.rawValue(spec.model->canonical());
        j.attributeEnd();
      }
      if (spec.source == ScoreSource::Columns)
        j.attributeArray("scores", [&] {
          for (const std::string &s : spec.scores)
            j.value(s);
        });
      j.attribute("specjit", 1);
      j.attribute("task", evalTaskName(spec.task));
      if (spec.task == EvalTask::Binary)
        detail::numberAttr(j, "threshold", spec.threshold);
    });
  }
  os.flush();
  return out;
}

Expected<Descriptor> EvalParser::run(const json::Object &root) {
  if (Error e = checkKeys(root, "",
                          {"specjit", "kind", "name", "task", "label", "scores", "model",
                           "cross_validation", "threshold", "metrics"},
                          "an eval descriptor"))
    return std::move(e);
  if (Error e = detail::readDescriptorName(root, spec.name))
    return std::move(e);
  if (Error e = parseTask(root))
    return std::move(e);

  // Exactly one source of scores.
  static const char *const kSources[] = {"scores", "model", "cross_validation"};
  const char *given = nullptr;
  for (const char *key : kSources) {
    if (!root.get(key))
      continue;
    if (given)
      return failAt(key, "give only one of scores, model and "
                         "cross_validation (" +
                             Twine(given) + " is given too)");
    given = key;
  }
  if (!given)
    return failAt("", "missing the scores: give one of 'scores' (score "
                      "columns), 'model' (an inline model descriptor) or "
                      "'cross_validation' (folds that train a model)");
  StringRef source(given);
  spec.source = source == "scores"  ? ScoreSource::Columns
                : source == "model" ? ScoreSource::Model
                                    : ScoreSource::CrossValidation;
  spec.numClasses = spec.task == EvalTask::Regression ? 0 : 2;

  if (Error e = parseLabel(root, spec.source != ScoreSource::CrossValidation))
    return std::move(e);
  if (Error e = parseMetrics(root))
    return std::move(e);
  if (Error e = parseThreshold(root))
    return std::move(e);
  const json::Value &sv = *root.get(source);
  Error e = spec.source == ScoreSource::Columns ? parseScores(sv)
            : spec.source == ScoreSource::Model ? parseModel(sv)
                                                : parseCrossValidation(sv);
  if (e)
    return std::move(e);
  // The label is last and always read as f64 (docs/eval-semantics.md).
  spec.dataColumns.push_back({spec.label, DType::F64, std::nullopt});
  std::string canonical = canonicalText();
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

} // namespace

namespace detail {

Expected<Descriptor> parseEval(const json::Object &root) { return EvalParser().run(root); }

std::string summarizeEval(const EvalSpec &spec) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "eval: " << evalTaskName(spec.task);
  if (spec.task != EvalTask::Regression)
    os << ", " << spec.numClasses << " classes";
  if (spec.task == EvalTask::Binary)
    os << ", threshold " << detail::formatNumber(spec.threshold);
  switch (spec.source) {
  case ScoreSource::Columns:
    os << ", scores from columns";
    break;
  case ScoreSource::Model:
    os << ", scores from an inline model";
    break;
  case ScoreSource::CrossValidation: {
    const CrossValidationSpec &cv = *spec.crossValidation;
    os << ", " << cv.k << "-fold " << (cv.stratified ? "stratified " : "") << "cross-validation";
    if (cv.shuffleSeed)
      os << " shuffled with seed " << *cv.shuffleSeed;
    break;
  }
  }
  os << "\nlabel: " << spec.label << "\n";
  os.flush();
  return out;
}

} // namespace detail
} // namespace jit
} // namespace specjit
