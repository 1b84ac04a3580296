//===- CheckTrainEval.cpp - specjit check: train, eval and fold cases -----===//
//
// The reference cases of the families whose kernels are driven by an API
// call rather than run over rows (Check.h lists the formats):
//
//   train (test/reference/gen_train_reference.py, an independent numpy
//     implementation of docs/train-semantics.md): jit::train runs with
//     specialization off and on; each run must give the reference's
//     parameters and history losses within rtol (relative, on the scale
//     max(|a|, |b|, 1e-12)), its stop reason, best epoch and epoch numbers
//     exactly, one progress call per epoch, and a `model` descriptor that
//     keeps the train descriptor's inputs, steps and features, parses back
//     from its text, and reproduces the reference's predictions within 1e-9
//     (relative above 1, absolute below) compiled and interpreted. The
//     reference's own parameters in a model descriptor must reproduce them
//     too: that checks the reference's forward pass independently of the
//     trainer.
//   eval metrics (sklearn.metrics): jit::evaluate with the compiled metrics
//     kernel and with the generic code, each metric within atol + rtol|x|
//     (confusion matrices exactly); each metric scikit-learn rejects on the
//     data fails alone with the recorded words.
//   eval cross-validation (numpy-trained folds): every fold's test rows
//     exactly, its metrics, the mean and the std within the tolerance.
//   folds (KFold / StratifiedKFold): the test index sets exactly, the
//     stratified errors and warnings.
//
// A training that falls back to the generic loop is reported in the
// summary line, not failed (the trained model and history are the same);
// the trained model's compiled kernel must run compiled code.
//
//===----------------------------------------------------------------------===//

#include "Check.h"
#include "Driver.h"

#include "Families/Eval/Folds.h"
#include "Families/Model/ModelSpec.h"
#include "Families/Pipeline/PipelineSpec.h"

#include "specjit/Compile.h"
#include "specjit/Eval.h"
#include "specjit/Kernel.h"
#include "specjit/Train.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

namespace specjit {
namespace tools {
namespace check {

using namespace jit;
namespace json = llvm::json;

namespace {

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

/// A JSON array of numbers (nested arrays flattened row-major).
bool flattenNumbers(const json::Value &v, std::vector<double> &out) {
  if (const json::Array *a = v.getAsArray()) {
    for (const json::Value &e : *a)
      if (!flattenNumbers(e, out))
        return false;
    return true;
  }
  auto d = caseDouble(v);
  if (!d)
    return false;
  out.push_back(*d);
  return true;
}

std::vector<std::string> strings(const json::Array *a) {
  std::vector<std::string> out;
  if (a)
    for (const json::Value &v : *a)
      if (auto s = v.getAsString())
        out.push_back(s->str());
  return out;
}

std::string joined(const std::vector<std::string> &names) {
  std::string out;
  for (const std::string &n : names)
    out += (out.empty() ? "" : ", ") + n;
  return "[" + out + "]";
}

/// Expects got == want for values that must match exactly.
template <typename T>
void expectEqual(Report &report, const T &got, const T &want, const std::string &what) {
  if (!(got == want))
    report.fail(what + ": got " + llvm::formatv("{0}", got).str() + ", expected " +
                llvm::formatv("{0}", want).str());
}

//===----------------------------------------------------------------------===//
// Train
//===----------------------------------------------------------------------===//

struct ExpectedLayer {
  std::vector<double> weights; // outputs x inputs, row-major
  std::vector<double> biases;
  size_t outputs = 0;
  std::string activation;
};

struct ExpectedEpoch {
  int64_t epoch = 0;
  double trainLoss = 0.0;
  double validationLoss = 0.0; // NaN without early stopping
};

/// What a train case expects.
struct TrainExpectation {
  int64_t rows = 0;
  double rtol = 0.0;
  std::vector<std::string> inputNames; // the train descriptor's inputs
  size_t numSteps = 0;
  std::vector<std::string> features;
  const json::Object *model = nullptr; // expected.model as written
  std::string modelType, link;
  std::vector<ExpectedLayer> layers; // linear: one layer (weights, intercepts)
  std::vector<ExpectedEpoch> history;
  std::string stopReason;
  int64_t bestEpoch = 0;
  std::vector<std::string> predictionColumns;
  std::vector<std::vector<double>> predictions;
};

llvm::Error readLayer(const json::Value *weights, const json::Value *biases,
                      const std::string &where, ExpectedLayer &out) {
  if (!weights || !biases || !weights->getAsArray())
    return caseError(where + ": missing weights or biases");
  out.outputs = weights->getAsArray()->size();
  if (!flattenNumbers(*weights, out.weights) || !flattenNumbers(*biases, out.biases))
    return caseError(where + ": expected numbers");
  return llvm::Error::success();
}

llvm::Expected<TrainExpectation> readTrainExpectation(const Case &c) {
  TrainExpectation t;
  const json::Object &d = *c.top.getObject("descriptor");
  const json::Object *exp = c.top.getObject("expected");
  if (!exp)
    return caseError("missing \"expected\"");
  if (const json::Array *inputs = d.getArray("inputs"))
    for (const json::Value &in : *inputs)
      if (const json::Object *o = in.getAsObject())
        if (auto n = o->getString("name"))
          t.inputNames.push_back(n->str());
  if (const json::Array *steps = d.getArray("steps"))
    t.numSteps = steps->size();
  auto rows = c.top.getInteger("rows");
  auto rtol = c.top.getNumber("rtol");
  if (!rows || !rtol || *rtol < 0)
    return caseError("needs \"rows\" and a non-negative \"rtol\"");
  t.rows = *rows;
  t.rtol = *rtol;

  t.features = strings(exp->getArray("features"));
  t.model = exp->getObject("model");
  if (!t.model)
    return caseError("expected.model: missing");
  auto type = t.model->getString("type");
  auto link = t.model->getString("link");
  if (!type || !link)
    return caseError("expected.model: needs type and link");
  t.modelType = type->str();
  t.link = link->str();
  if (t.modelType == "linear") {
    ExpectedLayer l;
    l.activation = "identity";
    if (llvm::Error err =
            readLayer(t.model->get("weights"), t.model->get("intercepts"), "expected.model", l))
      return std::move(err);
    t.layers.push_back(std::move(l));
  } else {
    const json::Array *layers = t.model->getArray("layers");
    if (!layers)
      return caseError("expected.model.layers: missing");
    for (size_t i = 0; i < layers->size(); ++i) {
      const json::Object *lo = (*layers)[i].getAsObject();
      std::string where = "expected.model.layers[" + std::to_string(i) + "]";
      if (!lo)
        return caseError(where + ": expected an object");
      ExpectedLayer l;
      if (llvm::Error err = readLayer(lo->get("weights"), lo->get("biases"), where, l))
        return std::move(err);
      auto act = lo->getString("activation");
      if (!act)
        return caseError(where + ": activation missing");
      l.activation = act->str();
      t.layers.push_back(std::move(l));
    }
  }

  const json::Array *history = exp->getArray("history");
  if (!history)
    return caseError("expected.history: missing");
  for (size_t i = 0; i < history->size(); ++i) {
    const json::Object *h = (*history)[i].getAsObject();
    auto epoch = h ? h->getInteger("epoch") : std::nullopt;
    auto tl = h && h->get("train_loss") ? caseDouble(*h->get("train_loss")) : std::nullopt;
    auto vl =
        h && h->get("validation_loss") ? caseDouble(*h->get("validation_loss")) : std::nullopt;
    if (!epoch || !tl || !vl)
      return caseError("expected.history[" + std::to_string(i) +
                       "]: needs epoch, train_loss and validation_loss");
    t.history.push_back({*epoch, *tl, *vl});
  }
  auto stop = exp->getString("stop_reason");
  auto best = exp->getInteger("best_epoch");
  if (!stop || !best)
    return caseError("expected: needs stop_reason and best_epoch");
  t.stopReason = stop->str();
  t.bestEpoch = *best;

  t.predictionColumns = strings(exp->getArray("prediction_columns"));
  const json::Array *pred = exp->getArray("predictions");
  if (!pred || static_cast<int64_t>(pred->size()) != t.rows || t.predictionColumns.empty())
    return caseError("expected.predictions: needs one row per data row");
  for (size_t r = 0; r < pred->size(); ++r) {
    std::vector<double> values;
    if (!flattenNumbers((*pred)[r], values) || values.size() != t.predictionColumns.size())
      return caseError("expected.predictions[" + std::to_string(r) + "]: expected " +
                       std::to_string(t.predictionColumns.size()) + " numbers");
    t.predictions.push_back(std::move(values));
  }
  return t;
}

/// Compares `got` with `want` element by element within rtol relative (on
/// the scale max(|a|, |b|, 1e-12)); NaN matches NaN.
void expectAllClose(Report &report, const std::vector<double> &got, const std::vector<double> &want,
                    double rtol, const std::string &what) {
  if (got.size() != want.size()) {
    report.fail(what + ": " + std::to_string(got.size()) + " values, the reference " +
                std::to_string(want.size()));
    return;
  }
  size_t bad = 0;
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) || std::isnan(got[i])) {
      if (std::isnan(want[i]) && std::isnan(got[i]))
        continue;
    } else {
      double scale = std::max({std::fabs(got[i]), std::fabs(want[i]), 1e-12});
      double rel = std::fabs(got[i] - want[i]) / scale;
      if (rel <= rtol)
        continue;
      worst = std::max(worst, rel);
    }
    if (bad++ < 6)
      report.fail(what + "[" + std::to_string(i) + "]: got " + number(got[i]) + ", reference " +
                  number(want[i]));
  }
  if (bad)
    report.fail(what + ": " + std::to_string(bad) + " of " + std::to_string(got.size()) +
                " values beyond rtol " + shortNumber(rtol, "nan") + " (worst relative difference " +
                shortNumber(worst, "nan") + ")");
}

void expectParameters(Report &report, const TrainExpectation &t, const ModelSpec &spec,
                      const std::string &what) {
  expectEqual(report, linkName(spec.link).str(), t.link, what + ": link");
  if (t.modelType == "linear") {
    if (spec.type != ModelType::Linear) {
      report.fail(what + ": the trained model is not linear");
      return;
    }
    const ExpectedLayer &l = t.layers[0];
    expectEqual(report, static_cast<size_t>(spec.numOutputs), l.outputs, what + ": num_outputs");
    expectAllClose(report, spec.weights, l.weights, t.rtol, what + ": weights");
    expectAllClose(report, spec.intercepts, l.biases, t.rtol, what + ": intercepts");
    return;
  }
  if (spec.type != ModelType::Mlp || spec.layers.size() != t.layers.size()) {
    report.fail(what + ": the trained model is not an MLP of " + std::to_string(t.layers.size()) +
                " layers");
    return;
  }
  for (size_t i = 0; i < t.layers.size(); ++i) {
    const DenseLayer &got = spec.layers[i];
    const ExpectedLayer &want = t.layers[i];
    std::string where = what + ": layers[" + std::to_string(i) + "]";
    expectEqual(report, static_cast<size_t>(got.outputs), want.outputs, where + ".outputs");
    expectEqual(report, activationName(got.activation).str(), want.activation,
                where + ".activation");
    expectAllClose(report, got.weights, want.weights, t.rtol, where + ".weights");
    expectAllClose(report, got.biases, want.biases, t.rtol, where + ".biases");
  }
}

void expectHistory(Report &report, const TrainExpectation &t, const TrainResult &r,
                   const std::string &what) {
  expectEqual(report, stopReasonName(r.stop).str(), t.stopReason, what + ": stop reason");
  expectEqual(report, r.bestEpoch, t.bestEpoch, what + ": best epoch");
  if (r.history.size() != t.history.size()) {
    report.fail(what + ": " + std::to_string(r.history.size()) + " epochs, the reference " +
                std::to_string(t.history.size()));
    return;
  }
  std::vector<double> gotTrain, wantTrain, gotVal, wantVal;
  for (size_t i = 0; i < t.history.size(); ++i) {
    std::string where = what + ": history[" + std::to_string(i) + "]";
    expectEqual(report, r.history[i].epoch, t.history[i].epoch, where + ".epoch");
    if (!(r.history[i].seconds >= 0.0))
      report.fail(where + ".seconds is negative");
    gotTrain.push_back(r.history[i].trainLoss);
    wantTrain.push_back(t.history[i].trainLoss);
    gotVal.push_back(r.history[i].validationLoss);
    wantVal.push_back(t.history[i].validationLoss);
  }
  expectAllClose(report, gotTrain, wantTrain, t.rtol, what + ": train_loss");
  expectAllClose(report, gotVal, wantVal, t.rtol, what + ": validation_loss");
}

/// Compiles `model` and checks its predictions on the case's data.
void expectPredictions(Report &report, const Case &c, const TrainExpectation &t,
                       const Descriptor &model, bool specialize, const std::string &what) {
  CompileOptions co;
  co.specialize = specialize;
  co.useCache = false;
  llvm::Expected<Kernel> k = compile(model, co);
  if (!k) {
    report.fail(what + ": compile: " + llvm::toString(k.takeError()));
    return;
  }
  if (specialize && k->backend() != Backend::Jit)
    report.fail(what + ": the model fell back to the interpreter: " + k->fallbackReason());
  if (k->outputNames() != t.predictionColumns || k->outputType() != DType::F64) {
    report.fail(what + ": the model's outputs are not the f64 columns " +
                joined(t.predictionColumns));
    return;
  }
  int64_t rows = 0;
  auto inputs = readColumns(c.top, "data", model.inputs(), rows);
  if (!inputs) {
    report.fail(what + ": " + llvm::toString(inputs.takeError()));
    return;
  }
  if (rows != t.rows) {
    report.fail(what + ": the data has " + std::to_string(rows) + " rows, the case says " +
                std::to_string(t.rows));
    return;
  }
  size_t width = t.predictionColumns.size();
  std::vector<double> out(static_cast<size_t>(t.rows) * width,
                          std::numeric_limits<double>::quiet_NaN());
  if (llvm::Error err = k->run(columnsAt(*inputs, 0, t.rows),
                               Output::f64(out.data(), t.rows, static_cast<int64_t>(width)))) {
    report.fail(what + ": run: " + llvm::toString(std::move(err)));
    return;
  }
  size_t bad = 0;
  for (int64_t r = 0; r < t.rows; ++r) {
    for (size_t col = 0; col < width; ++col) {
      double got = out[static_cast<size_t>(r) * width + col];
      double want = t.predictions[static_cast<size_t>(r)][col];
      if (std::fabs(got - want) <= 1e-9 * std::max({std::fabs(got), std::fabs(want), 1.0}))
        continue;
      if (bad++ < 6)
        report.fail(what + ": row " + std::to_string(r) + ", " + t.predictionColumns[col] +
                    ": got " + number(got) + ", reference " + number(want));
    }
  }
  if (bad)
    report.fail(what + ": " + std::to_string(bad) + " predictions differ from the reference");
}

/// The reference's parameters in a model descriptor with the case's inputs,
/// steps and features.
llvm::Expected<Descriptor> referenceModel(const Case &c, const TrainExpectation &t) {
  const json::Object &train = *c.top.getObject("descriptor");
  json::Object m{{"specjit", 1}, {"kind", "model"}, {"name", "reference"}};
  if (const json::Array *inputs = train.getArray("inputs"))
    m["inputs"] = json::Value(json::Array(*inputs));
  if (const json::Array *steps = train.getArray("steps"))
    m["steps"] = json::Value(json::Array(*steps));
  json::Array features;
  for (const std::string &f : t.features)
    features.push_back(f);
  m["features"] = std::move(features);
  m["model"] = json::Value(json::Object(*t.model));
  m["output"] = json::Object{{"type", "f64"}};
  auto d = Descriptor::fromJSON(json::Value(std::move(m)));
  if (!d)
    return caseError("the reference model does not parse: " + llvm::toString(d.takeError()));
  return d;
}

//===----------------------------------------------------------------------===//
// Eval
//===----------------------------------------------------------------------===//

/// Checks metric values against the reference's object {name: value or
/// matrix}; matrices exactly when `exactMatrices`.
void expectMetrics(Report &report, llvm::ArrayRef<MetricValue> got, const json::Object &want,
                   double atol, double rtol, bool exactMatrices, const std::string &what) {
  if (got.size() != want.size())
    report.fail(what + ": " + std::to_string(got.size()) + " metrics, the reference " +
                std::to_string(want.size()));
  for (const MetricValue &v : got) {
    std::string where = what + ": " + v.name;
    const json::Value *w = want.get(v.name);
    if (!w) {
      report.fail(where + ": not in the reference");
      continue;
    }
    if (const json::Array *rows = w->getAsArray()) {
      if (v.matrix.size() != rows->size()) {
        report.fail(where + ": " + std::to_string(v.matrix.size()) + " rows, the reference " +
                    std::to_string(rows->size()));
        continue;
      }
      for (size_t r = 0; r < rows->size(); ++r) {
        std::vector<double> row;
        if (!flattenNumbers((*rows)[r], row) || row.size() != v.matrix[r].size()) {
          report.fail(where + "[" + std::to_string(r) + "]: the reference row differs in size");
          continue;
        }
        for (size_t p = 0; p < row.size(); ++p)
          if (exactMatrices ? !(v.matrix[r][p] == row[p])
                            : !withinTolerance(v.matrix[r][p], row[p], atol, rtol))
            report.fail(where + "[" + std::to_string(r) + "][" + std::to_string(p) + "]: got " +
                        number(v.matrix[r][p]) + ", reference " + number(row[p]));
      }
    } else {
      std::optional<double> want = caseDouble(*w);
      if (!want) {
        report.fail(where + ": the reference is not " + std::string(kCaseDoubleForms));
        continue;
      }
      double x = *want;
      if (!withinTolerance(v.value, x, atol, rtol))
        report.fail(where + ": got " + number(v.value) + ", reference " + number(x) + " (atol " +
                    shortNumber(atol, "nan") + ", rtol " + shortNumber(rtol, "nan") + ")");
    }
  }
}

std::vector<std::vector<int64_t>> indexSets(const json::Value *v) {
  std::vector<std::vector<int64_t>> out;
  if (const json::Array *a = v ? v->getAsArray() : nullptr)
    for (const json::Value &fold : *a) {
      out.emplace_back();
      if (const json::Array *rows = fold.getAsArray())
        for (const json::Value &x : *rows)
          out.back().push_back(x.getAsInteger().value_or(-1));
    }
  return out;
}

std::string foldsText(const std::vector<std::vector<int64_t>> &folds) {
  std::string out;
  for (const std::vector<int64_t> &f : folds) {
    out += out.empty() ? "[" : " [";
    for (size_t i = 0; i < f.size(); ++i)
      out += (i ? "," : "") + std::to_string(f[i]);
    out += "]";
  }
  return out;
}

void expectFolds(Report &report, const std::vector<std::vector<int64_t>> &got,
                 const std::vector<std::vector<int64_t>> &want, const std::string &what) {
  if (got != want)
    report.fail(what + ": got " + foldsText(got) + ", scikit-learn " + foldsText(want));
}

} // namespace

llvm::Expected<std::string> checkTrain(Report &report, const Case &c) {
  const Descriptor &d = *c.descriptor;
  auto t = readTrainExpectation(c);
  if (!t)
    return t.takeError();
  int64_t rows = 0;
  auto data = readColumns(c.top, "data", d.inputs(), rows);
  if (!data)
    return data.takeError();
  if (rows != t->rows)
    return caseError("the data has " + std::to_string(rows) + " rows, \"rows\" says " +
                     std::to_string(t->rows));

  std::string fallbacks;
  for (bool specialize : {false, true}) {
    std::string what = specialize ? "specialized training" : "generic training";
    TrainOptions opts;
    opts.specialize = specialize;
    int64_t progressCalls = 0;
    opts.progress = [&](const TrainProgress &p) {
      ++progressCalls;
      if (p.last.epoch != progressCalls)
        report.fail(what + ": progress call " + std::to_string(progressCalls) + " reports epoch " +
                    std::to_string(p.last.epoch));
    };
    llvm::Expected<TrainResult> r = train(d, columnsAt(*data, 0, rows), opts);
    if (!r) {
      report.fail(what + ": " + llvm::toString(r.takeError()));
      continue;
    }
    if (specialize && r->backend != Backend::Jit)
      fallbacks = "; the specialized training ran on the generic loop: " + r->fallbackReason;
    expectEqual(report, progressCalls, static_cast<int64_t>(t->history.size()),
                what + ": progress calls (one per finished epoch)");
    expectHistory(report, *t, *r, what);

    // The model descriptor: the train descriptor's front, the trained
    // parameters.
    const Descriptor &model = r->model;
    if (model.kind() != Kind::Model) {
      report.fail(what + ": the result is not a model descriptor");
      continue;
    }
    expectEqual(report, model.name(), d.name(), what + ": the model's name");
    std::vector<std::string> modelInputs;
    for (const InputColumn &in : model.inputs())
      modelInputs.push_back(in.name);
    if (modelInputs != t->inputNames)
      report.fail(what + ": the model's inputs are " + joined(modelInputs) + ", not " +
                  joined(t->inputNames));
    const ModelSpec &spec = model.spec<ModelSpec>();
    expectEqual(report, spec.pipeline.steps.size(), t->numSteps, what + ": the model's steps");
    if (spec.pipeline.plan.outputNames != t->features)
      report.fail(what + ": the model's features are " + joined(spec.pipeline.plan.outputNames) +
                  ", not " + joined(t->features));
    if (spec.margin)
      report.fail(what + ": the model outputs margins");
    expectParameters(report, *t, spec, what);
    llvm::Expected<Descriptor> reparsed = Descriptor::parse(r->modelJson);
    if (!reparsed)
      report.fail(what +
                  ": the model's text does not parse: " + llvm::toString(reparsed.takeError()));
    else if (reparsed->hash() != model.hash())
      report.fail(what + ": the model's text and the model differ");
    expectPredictions(report, c, *t, model, /*specialize=*/true, what + ", compiled model");
    expectPredictions(report, c, *t, model, /*specialize=*/false, what + ", interpreted model");
  }

  auto reference = referenceModel(c, *t);
  if (!reference)
    return reference.takeError();
  expectPredictions(report, c, *t, *reference, true, "the reference's model, compiled");
  expectPredictions(report, c, *t, *reference, false, "the reference's model, interpreted");
  return std::to_string(rows) + " rows, " + std::to_string(t->history.size()) +
         " epochs, generic and specialized" + fallbacks;
}

llvm::Expected<std::string> checkEval(Report &report, const Case &c) {
  const Descriptor &d = *c.descriptor;
  int64_t rows = 0;
  auto columns = readColumns(c.top, "columns", d.inputs(), rows);
  if (!columns)
    return columns.takeError();
  llvm::Expected<Tolerance> tol = readTolerance(c.top, /*optional=*/true);
  if (!tol)
    return tol.takeError();
  const double atol = tol->atol, rtol = tol->rtol;

  if (const json::Array *folds = c.top.getArray("folds")) {
    // Cross-validation: folds trained by the generator's numpy trainer.
    const json::Object *mean = c.top.getObject("mean"), *std = c.top.getObject("std");
    if (!mean || !std)
      return caseError("a cross-validation case needs \"mean\" and \"std\"");
    llvm::Expected<EvalResult> r = evaluate(d, columnsAt(*columns, 0, rows));
    if (!r)
      return caseError("evaluate: " + llvm::toString(r.takeError()));
    if (!r->crossValidated)
      report.fail("the result is not cross-validated");
    if (r->folds.size() != folds->size())
      return caseError(std::to_string(r->folds.size()) + " folds, the reference " +
                       std::to_string(folds->size()));
    for (size_t f = 0; f < folds->size(); ++f) {
      std::string what = "fold " + std::to_string(f);
      const json::Object *fold = (*folds)[f].getAsObject();
      const json::Object *metrics = fold ? fold->getObject("metrics") : nullptr;
      const json::Array *testRows = fold ? fold->getArray("test") : nullptr;
      if (!metrics || !testRows)
        return caseError("folds[" + std::to_string(f) + "]: needs \"test\" and \"metrics\"");
      std::vector<int64_t> test;
      for (const json::Value &x : *testRows)
        test.push_back(x.getAsInteger().value_or(-1));
      expectFolds(report, {r->folds[f].testRows}, {test}, what + ": test rows");
      expectMetrics(report, r->folds[f].metrics, *metrics, atol, rtol, false, what);
    }
    expectMetrics(report, r->mean, *mean, atol, rtol, false, "mean");
    expectMetrics(report, r->std, *std, atol, rtol, false, "std");
    return std::to_string(rows) + " rows, " + std::to_string(folds->size()) +
           "-fold cross-validation";
  }

  // Metrics: the compiled metrics kernel and the generic code.
  const json::Object *expected = c.top.getObject("expected");
  if (!expected)
    return caseError("missing \"expected\" (or \"folds\")");
  for (bool specialize : {true, false}) {
    std::string what = specialize ? "compiled metrics" : "generic metrics";
    EvalOptions options;
    options.specialize = specialize;
    llvm::Expected<EvalResult> r = evaluate(d, columnsAt(*columns, 0, rows), options);
    if (!r) {
      report.fail(what + ": " + llvm::toString(r.takeError()));
      continue;
    }
    Backend want = specialize ? Backend::Jit : Backend::Interpreter;
    if (r->metricsBackend != want)
      report.fail(what + ": ran on the " + backendName(r->metricsBackend).str() + " (" +
                  r->metricsFallbackReason + ")");
    expectMetrics(report, r->metrics, *expected, atol, rtol, true, what);
    // Metrics scikit-learn rejects on this data fail alone, with its words.
    if (const json::Object *errors = c.top.getObject("errors")) {
      for (const auto &kv : *errors) {
        json::Object one = *c.top.getObject("descriptor");
        one["metrics"] = json::Array{json::Value(kv.first.str())};
        llvm::Expected<Descriptor> od = Descriptor::fromJSON(json::Value(std::move(one)));
        if (!od)
          return caseError("errors." + kv.first.str() + ": " + llvm::toString(od.takeError()));
        llvm::Expected<EvalResult> bad = evaluate(*od, columnsAt(*columns, 0, rows), options);
        std::string words = kv.second.getAsString().value_or("").str();
        if (words.empty())
          return caseError("errors." + kv.first.str() + ": expected scikit-learn's words");
        if (bad) {
          report.fail(what + ": " + kv.first.str() + " did not fail (scikit-learn: " + words + ")");
          continue;
        }
        std::string msg = llvm::toString(bad.takeError());
        if (msg.find(words) == std::string::npos)
          report.fail(what + ": " + kv.first.str() + " failed with \"" + msg +
                      "\", which lacks \"" + words + "\"");
      }
    }
  }
  return std::to_string(rows) + " rows, " + std::to_string(expected->size()) +
         " metrics, compiled and generic";
}

llvm::Expected<std::string> checkFolds(Report &report, const Case &c) {
  auto n = c.top.getInteger("n");
  auto k = c.top.getInteger("k");
  const json::Array *labelsJson = c.top.getArray("labels");
  if (!n || !k || !labelsJson)
    return caseError("a folds case needs \"n\", \"k\" and \"labels\"");
  std::vector<double> labels;
  for (size_t i = 0; i < labelsJson->size(); ++i) {
    auto x = caseDouble((*labelsJson)[i]);
    if (!x)
      return caseError("labels[" + std::to_string(i) + "]: expected a number");
    labels.push_back(*x);
  }
  if (static_cast<int64_t>(labels.size()) != *n)
    return caseError(std::to_string(labels.size()) + " labels, \"n\" says " + std::to_string(*n));

  llvm::Expected<eval::FoldPlan> plain = eval::kFold(*n, *k, std::nullopt);
  if (!plain)
    report.fail("KFold: " + llvm::toString(plain.takeError()));
  else
    expectFolds(report, plain->test, indexSets(c.top.get("kfold")), "KFold");

  llvm::Expected<eval::FoldPlan> strat = eval::stratifiedKFold(labels, *k, std::nullopt);
  if (std::optional<llvm::StringRef> err = c.top.getString("stratified_error")) {
    if (strat) {
      report.fail("StratifiedKFold: no error, scikit-learn: " + err->str());
    } else {
      std::string msg = llvm::toString(strat.takeError());
      if (msg.find(err->str()) == std::string::npos)
        report.fail("StratifiedKFold: \"" + msg + "\" lacks \"" + err->str() + "\"");
    }
    return std::to_string(*n) + " rows, " + std::to_string(*k) + " folds (stratified: an error)";
  }
  if (!strat) {
    report.fail("StratifiedKFold: " + llvm::toString(strat.takeError()));
  } else {
    expectFolds(report, strat->test, indexSets(c.top.get("stratified")), "StratifiedKFold");
    bool warned = !strat->warnings.empty();
    if (warned != c.top.getBoolean("stratified_warning").value_or(false))
      report.fail(std::string("StratifiedKFold: ") + (warned ? "a" : "no") +
                  " warning, unlike scikit-learn");
  }
  return std::to_string(*n) + " rows, " + std::to_string(*k) + " folds";
}

} // namespace check
} // namespace tools
} // namespace specjit
