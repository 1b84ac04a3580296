//===- TrainDescriptor.cpp - The `train` family ---------------------------===//
//
// Parsing, validation and canonical form of `kind: "train"` descriptors
// (docs/train-semantics.md): the model family's front end (`inputs`, `steps`,
// `features`, read by parsePipelineFrontEnd), the label, the model shape
// without weights (and optional initial weights), the loss, the optimizer,
// the schedule, early stopping and the limits.
//
// Every bad value gets its own error naming its JSON path. Defaults are
// filled in before the canonical form is written, so a descriptor that
// spells a default out hashes like one that leaves it implicit.
//
// Canonical form: compact JSON, keys sorted bytewise, `name` dropped, every
// default written out (`link`, `loss`, `num_outputs`, optimizer
// hyper-parameters of its type, `shuffle` as false or {"seed": S},
// `early_stopping` null when off, `limits` with both keys, `max_seconds`
// null when unlimited), steps and inputs as the pipeline family writes them.
//
//===----------------------------------------------------------------------===//

#include "Descriptor/DescriptorInternal.h"
#include "Families/Pipeline/PipelineFrontEnd.h"
#include "Families/Train/TrainSpec.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

namespace json = llvm::json;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

namespace specjit {
namespace jit {

llvm::StringRef lossName(Loss l) {
  switch (l) {
  case Loss::Mse:
    return "mse";
  case Loss::LogLoss:
    return "log_loss";
  case Loss::CrossEntropy:
    return "cross_entropy";
  }
  return "?";
}

llvm::StringRef optimizerName(OptimizerType o) {
  switch (o) {
  case OptimizerType::Sgd:
    return "sgd";
  case OptimizerType::Adam:
    return "adam";
  }
  return "?";
}

namespace {

using namespace detail;

constexpr Loss kAllLosses[] = {Loss::Mse, Loss::LogLoss, Loss::CrossEntropy};
constexpr OptimizerType kAllOptimizers[] = {OptimizerType::Sgd, OptimizerType::Adam};
constexpr ModelType kTrainableTypes[] = {ModelType::Linear, ModelType::Mlp};
constexpr Link kTrainableLinks[] = {Link::Identity, Link::Logistic, Link::Softmax};
constexpr Activation kAllActivations[] = {Activation::Identity, Activation::Relu, Activation::Tanh,
                                          Activation::Logistic};

/// Largest epoch count and batch size accepted (beyond are typos).
constexpr int64_t kMaxEpochs = 100000000;
constexpr int64_t kMaxBatch = int64_t(1) << 40;
/// Widest MLP layer.
constexpr int64_t kMaxUnits = 1 << 20;

/// The link each loss goes with, and back.
Link linkOf(Loss l) {
  switch (l) {
  case Loss::Mse:
    return Link::Identity;
  case Loss::LogLoss:
    return Link::Logistic;
  case Loss::CrossEntropy:
    return Link::Softmax;
  }
  return Link::Identity;
}
Loss lossOf(Link l) {
  switch (l) {
  case Link::Logistic:
    return Loss::LogLoss;
  case Link::Softmax:
    return Loss::CrossEntropy;
  default:
    return Loss::Mse;
  }
}

/// Reads an integer in [lo, hi].
Error readInt(const json::Value &v, StringRef path, int64_t lo, int64_t hi, int64_t &out) {
  std::optional<int64_t> i = asInt64(v);
  std::string what = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!i)
    return expected(path, what, v);
  if (*i < lo || *i > hi)
    return failAt(path, "expected " + what + ", got " + Twine(*i));
  out = *i;
  return Error::success();
}

/// The interval a number must lie in, for "expected a number in ...".
struct Range {
  double lo, hi;
  bool loOpen, hiOpen;
  std::string text() const {
    auto bound = [](double d) {
      return std::isinf(d) ? std::string(d < 0 ? "-inf" : "inf") : formatNumber(d);
    };
    return std::string(loOpen ? "(" : "[") + bound(lo) + ", " + bound(hi) + (hiOpen ? ")" : "]");
  }
  bool contains(double d) const {
    return (loOpen ? d > lo : d >= lo) && (hiOpen ? d < hi : d <= hi);
  }
};
constexpr double kInf = std::numeric_limits<double>::infinity();

/// Reads a finite number inside `r`.
Error readInRange(const json::Value &v, StringRef path, Range r, double &out) {
  std::string what = "a number in " + r.text();
  if (Error e = readFinite(v, path, out, what))
    return e;
  if (!r.contains(out))
    return failAt(path, "expected " + what + ", got " + formatNumber(out));
  return Error::success();
}

class TrainParser {
public:
  Expected<Descriptor> run(const json::Object &root);

private:
  TrainSpec spec;
  const json::Object *model = nullptr;
  bool linkGiven = false, lossGiven = false;

  Error parseLabel(const json::Object &root);
  Error parseModelShape(const json::Object &root);
  Error parseLoss(const json::Object &root);
  Error checkShape();
  Error parseInit();
  Error parseOptimizer(const json::Object &root);
  Error parseSchedule(const json::Object &root);
  Error parseEarlyStopping(const json::Object &root);
  Error parseLimits(const json::Object &root);
  std::string canonicalText() const;
};

Error TrainParser::parseLabel(const json::Object &root) {
  const json::Value *v;
  std::string what = "a column name, or an object {\"name\": column, \"type\": "
                     "\"i64\" or \"f64\"}";
  if (Error e = requireKey(root, "", "label", what, v))
    return e;
  // "label": "y" is short for {"name": "y"} (the type follows the loss).
  std::optional<StringRef> shorthand = v->getAsString();
  json::Object named;
  if (shorthand)
    named["name"] = *shorthand;
  const json::Object *o = shorthand ? &named : v->getAsObject();
  if (!o)
    return expected("label", what, *v);
  if (Error e = checkKeys(*o, "label", {"name", "type"}, "the label"))
    return e;
  const json::Value *n;
  if (Error e = requireKey(*o, "label", "name", "the label column's name", n))
    return e;
  if (Error e = readNonEmptyString(*n, "label.name", spec.label.name, "the label column's name"))
    return e;
  for (const InputColumn &in : spec.pipeline.inputs)
    if (in.name == spec.label.name)
      return failAt("label.name", quoted(spec.label.name) + " is also an input; the label is not a "
                                                            "feature and must be its own column");
  spec.label.type = DType::String; // not given yet: decided by the loss
  if (const json::Value *t = o->get("type")) {
    std::optional<StringRef> s = t->getAsString();
    if (s && *s == "i64")
      spec.label.type = DType::I64;
    else if (s && *s == "f64")
      spec.label.type = DType::F64;
    else
      return expected("label.type", "\"i64\" (class ids) or \"f64\" (targets)", *t);
  }
  return Error::success();
}

Error TrainParser::parseModelShape(const json::Object &root) {
  const json::Value *v;
  std::string what = "an object {\"type\": \"linear\" or \"mlp\", ...}";
  if (Error e = requireKey(root, "", "model", what, v))
    return e;
  model = v->getAsObject();
  if (!model)
    return expected("model", what, *v);
  const json::Value *t;
  if (Error e = requireKey(*model, "model", "type", "linear or mlp", t))
    return e;
  if (Error e = readEnum(*t, "model.type", kTrainableTypes, modelTypeName, spec.modelType))
    return e;
  if (spec.modelType == ModelType::Linear) {
    if (Error e = checkKeys(*model, "model", {"type", "link", "num_outputs", "init"},
                            "a linear model to train"))
      return e;
  } else if (Error e = checkKeys(*model, "model", {"type", "link", "layers", "init", "init_seed"},
                                 "an mlp to train")) {
    return e;
  }
  if (const json::Value *l = model->get("link")) {
    if (Error e = readEnum(*l, "model.link", kTrainableLinks, linkName, spec.link))
      return e;
    linkGiven = true;
  }
  if (spec.modelType == ModelType::Linear) {
    if (const json::Value *k = model->get("num_outputs")) {
      int64_t n;
      if (Error e = readInt(*k, "model.num_outputs", 1, kMaxUnits, n))
        return e;
      spec.numOutputs = static_cast<int32_t>(n);
    }
    uint64_t params = (static_cast<uint64_t>(spec.numFeatures) + 1) * spec.numOutputs;
    if (params > kMaxWeights)
      return failAt("model.num_outputs", Twine(params) + " parameters, more than the limit of " +
                                             Twine(kMaxWeights) + " per model");
    return Error::success();
  }
  const json::Value *ls;
  std::string layersWhat = "a non-empty array of layers {\"units\": n, \"activation\": "
                           "identity|relu|tanh|logistic}, the last one the output layer";
  if (Error e = requireKey(*model, "model", "layers", layersWhat, ls))
    return e;
  const json::Array *a = ls->getAsArray();
  if (!a || a->empty())
    return expected("model.layers", layersWhat, *ls);
  for (size_t i = 0; i < a->size(); ++i) {
    std::string path = indexPath("model.layers", i);
    const json::Object *o = (*a)[i].getAsObject();
    if (!o)
      return expected(path, "a layer {\"units\": n, \"activation\": a}", (*a)[i]);
    if (Error e = checkKeys(*o, path, {"units", "activation"}, "a layer"))
      return e;
    LayerShape layer;
    const json::Value *u;
    if (Error e = requireKey(*o, path, "units", "the layer's width", u))
      return e;
    int64_t units;
    if (Error e = readInt(*u, keyPath(path, "units"), 1, kMaxUnits, units))
      return e;
    layer.units = static_cast<int32_t>(units);
    const json::Value *act;
    if (Error e = requireKey(*o, path, "activation", "identity, relu, tanh or logistic", act))
      return e;
    if (Error e = readEnum(*act, keyPath(path, "activation"), kAllActivations, activationName,
                           layer.activation))
      return e;
    spec.layers.push_back(layer);
  }
  spec.numOutputs = spec.layers.back().units;
  // The parameters must fit the model family's bound before any is made.
  uint64_t params = 0, width = static_cast<uint64_t>(spec.numFeatures);
  for (const LayerShape &l : spec.layers) {
    params += (width + 1) * static_cast<uint64_t>(l.units);
    width = static_cast<uint64_t>(l.units);
  }
  if (params > kMaxWeights)
    return failAt("model.layers", Twine(params) + " parameters, more than the limit of " +
                                      Twine(kMaxWeights) + " per model");
  if (const json::Value *s = model->get("init_seed"))
    if (Error e = readSeed(*s, "model.init_seed", spec.initSeed))
      return e;
  return Error::success();
}

Error TrainParser::parseLoss(const json::Object &root) {
  if (const json::Value *v = root.get("loss")) {
    if (Error e = readEnum(*v, "loss", kAllLosses, lossName, spec.loss))
      return e;
    lossGiven = true;
  }
  if (!lossGiven && !linkGiven)
    return failAt("loss", "missing: give the loss (mse, log_loss or "
                          "cross_entropy) or the model's link");
  if (!lossGiven)
    spec.loss = lossOf(spec.link);
  if (!linkGiven)
    spec.link = linkOf(spec.loss);
  if (linkOf(spec.loss) != spec.link)
    return failAt("loss", lossName(spec.loss) + " needs the " + linkName(linkOf(spec.loss)) +
                              " link, got " + linkName(spec.link));
  DType want = spec.loss == Loss::Mse ? DType::F64 : DType::I64;
  if (spec.label.type == DType::String)
    spec.label.type = want;
  if (spec.label.type != want)
    return failAt("label.type",
                  lossName(spec.loss) + (want == DType::I64 ? " needs i64 class ids, got f64"
                                                            : " needs f64 targets, got i64"));
  return Error::success();
}

/// Output counts against the link: softmax needs k >= 2 outputs, the others
/// exactly one.
Error TrainParser::checkShape() {
  bool softmax = spec.link == Link::Softmax;
  bool ok = softmax ? spec.numOutputs >= 2 : spec.numOutputs == 1;
  if (ok)
    return Error::success();
  std::string need = softmax ? "at least 2" : "exactly 1";
  if (spec.modelType == ModelType::Linear)
    return failAt("model.num_outputs",
                  "a " + linkName(spec.link).str() + " model needs " + need + " outputs, got " +
                      Twine(spec.numOutputs) +
                      (softmax ? " (set num_outputs to the class count)" : ""));
  return failAt(indexPath("model.layers", spec.layers.size() - 1) + ".units",
                "the output layer of a " + linkName(spec.link).str() + " model needs " + need +
                    " units, got " + Twine(spec.numOutputs));
}

Error TrainParser::parseInit() {
  const json::Value *v = model->get("init");
  if (!v)
    return Error::success();
  spec.hasInit = true;
  const json::Object *o = v->getAsObject();
  uint64_t budget = kMaxWeights, rows = 0;
  if (spec.modelType == ModelType::Linear) {
    if (!o)
      return expected("model.init", "an object {\"weights\", \"intercepts\"}", *v);
    if (Error e = checkKeys(*o, "model.init", {"weights", "intercepts"},
                            "a linear model's initial parameters"))
      return e;
    const json::Value *w;
    if (Error e = requireKey(*o, "model.init", "weights", "one row of weights per output", w))
      return e;
    if (Error e = readMatrix(*w, "model.init.weights", spec.numFeatures, "one per feature",
                             "one per output", budget, spec.initWeights, rows))
      return e;
    if (rows != static_cast<uint64_t>(spec.numOutputs))
      return failAt("model.init.weights", "expected " + Twine(spec.numOutputs) +
                                              (spec.numOutputs == 1 ? " row" : " rows") +
                                              " (one per output), got " + Twine(rows));
    if (Error e = requireKey(*o, "model.init", "intercepts", "one number per output", w))
      return e;
    return readVector(*w, "model.init.intercepts", rows, "one per output", spec.initIntercepts);
  }
  if (!o)
    return expected("model.init", "an object {\"layers\": [...]}", *v);
  if (Error e = checkKeys(*o, "model.init", {"layers"}, "an mlp's initial parameters"))
    return e;
  const json::Value *ls;
  if (Error e = requireKey(*o, "model.init", "layers", "one {weights, biases} per layer", ls))
    return e;
  const json::Array *a = ls->getAsArray();
  if (!a)
    return expected("model.init.layers", "an array of {weights, biases}", *ls);
  if (a->size() != spec.layers.size())
    return failAt("model.init.layers", "expected " + Twine(spec.layers.size()) +
                                           " layers (as in model.layers), got " + Twine(a->size()));
  int32_t width = spec.numFeatures;
  for (size_t i = 0; i < a->size(); ++i) {
    std::string path = indexPath("model.init.layers", i);
    const json::Object *lo = (*a)[i].getAsObject();
    if (!lo)
      return expected(path, "an object {\"weights\", \"biases\"}", (*a)[i]);
    if (Error e = checkKeys(*lo, path, {"weights", "biases"}, "a layer's initial parameters"))
      return e;
    DenseLayer layer;
    layer.inputs = width;
    layer.outputs = spec.layers[i].units;
    layer.activation = spec.layers[i].activation;
    const json::Value *w;
    if (Error e = requireKey(*lo, path, "weights", "one row per unit", w))
      return e;
    if (Error e = readMatrix(*w, keyPath(path, "weights"), width, "one per input", "one per unit",
                             budget, layer.weights, rows))
      return e;
    if (rows != static_cast<uint64_t>(layer.outputs))
      return failAt(keyPath(path, "weights"), "expected " + Twine(layer.outputs) +
                                                  (layer.outputs == 1 ? " row" : " rows") +
                                                  " (one per unit), got " + Twine(rows));
    if (Error e = requireKey(*lo, path, "biases", "one number per unit", w))
      return e;
    if (Error e =
            readVector(*w, keyPath(path, "biases"), layer.outputs, "one per unit", layer.biases))
      return e;
    width = layer.outputs;
    spec.initLayers.push_back(std::move(layer));
  }
  return Error::success();
}

Error TrainParser::parseOptimizer(const json::Object &root) {
  const json::Value *v = root.get("optimizer");
  spec.learningRate = 0.01;
  if (!v)
    return Error::success();
  std::string what = "an object {\"type\": \"sgd\" or \"adam\", ...}";
  const json::Object *o = v->getAsObject();
  if (!o)
    return expected("optimizer", what, *v);
  const json::Value *t;
  if (Error e = requireKey(*o, "optimizer", "type", "sgd or adam", t))
    return e;
  if (Error e = readEnum(*t, "optimizer.type", kAllOptimizers, optimizerName, spec.optimizer))
    return e;
  bool adam = spec.optimizer == OptimizerType::Adam;
  if (Error e =
          adam ? checkKeys(*o, "optimizer", {"type", "learning_rate", "beta1", "beta2", "epsilon"},
                           "the adam optimizer")
               : checkKeys(*o, "optimizer", {"type", "learning_rate", "momentum"},
                           "the sgd optimizer"))
    return e;
  spec.learningRate = adam ? 0.001 : 0.01;
  auto read = [&](StringRef key, Range r, double &out) -> Error {
    if (const json::Value *x = o->get(key))
      return readInRange(*x, keyPath("optimizer", key), r, out);
    return Error::success();
  };
  if (Error e = read("learning_rate", {0, kInf, true, true}, spec.learningRate))
    return e;
  if (!adam)
    return read("momentum", {0, 1, false, true}, spec.momentum);
  if (Error e = read("beta1", {0, 1, false, true}, spec.beta1))
    return e;
  if (Error e = read("beta2", {0, 1, false, true}, spec.beta2))
    return e;
  return read("epsilon", {0, kInf, true, true}, spec.epsilon);
}

Error TrainParser::parseSchedule(const json::Object &root) {
  if (const json::Value *v = root.get("epochs"))
    if (Error e = readInt(*v, "epochs", 1, kMaxEpochs, spec.epochs))
      return e;
  if (const json::Value *v = root.get("batch_size"))
    if (Error e = readInt(*v, "batch_size", 1, kMaxBatch, spec.batchSize))
      return e;
  if (const json::Value *v = root.get("l2"))
    if (Error e = readInRange(*v, "l2", {0, kInf, false, true}, spec.l2))
      return e;
  if (const json::Value *v = root.get("shuffle"))
    return readShuffle(*v, "shuffle", spec.shuffleSeed);
  return Error::success();
}

Error TrainParser::parseEarlyStopping(const json::Object &root) {
  const json::Value *v = root.get("early_stopping");
  if (!v || v->kind() == json::Value::Null)
    return Error::success();
  const json::Object *o = v->getAsObject();
  if (!o)
    return expected("early_stopping",
                    "an object {\"validation_fraction\", \"patience\", "
                    "\"min_delta\"}",
                    *v);
  if (Error e = checkKeys(*o, "early_stopping", {"validation_fraction", "patience", "min_delta"},
                          "early stopping"))
    return e;
  spec.earlyStopping = true;
  if (const json::Value *f = o->get("validation_fraction"))
    if (Error e = readInRange(*f, "early_stopping.validation_fraction", {0, 1, true, true},
                              spec.validationFraction))
      return e;
  if (const json::Value *p = o->get("patience"))
    if (Error e = readInt(*p, "early_stopping.patience", 1, kMaxEpochs, spec.patience))
      return e;
  if (const json::Value *d = o->get("min_delta"))
    if (Error e =
            readInRange(*d, "early_stopping.min_delta", {0, kInf, false, true}, spec.minDelta))
      return e;
  return Error::success();
}

Error TrainParser::parseLimits(const json::Object &root) {
  const json::Value *v = root.get("limits");
  if (!v)
    return Error::success();
  const json::Object *o = v->getAsObject();
  if (!o)
    return expected("limits", "an object {\"max_feature_matrix_mb\", \"max_seconds\"}", *v);
  if (Error e = checkKeys(*o, "limits", {"max_feature_matrix_mb", "max_seconds"}, "limits"))
    return e;
  if (const json::Value *m = o->get("max_feature_matrix_mb"))
    if (Error e = readInRange(*m, "limits.max_feature_matrix_mb", {0, kInf, true, true},
                              spec.maxFeatureMatrixMB))
      return e;
  if (const json::Value *s = o->get("max_seconds"); s && s->kind() != json::Value::Null) {
    double secs;
    if (Error e = readInRange(*s, "limits.max_seconds", {0, kInf, true, true}, secs))
      return e;
    spec.maxSeconds = secs;
  }
  return Error::success();
}

std::string TrainParser::canonicalText() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  json::OStream j(os);
  auto matrix = [&](const std::vector<double> &w, int64_t cols) {
    j.array([&] {
      for (size_t r = 0; cols && r < w.size() / cols; ++r)
        j.array([&] {
          for (int64_t c = 0; c < cols; ++c)
            j.rawValue(formatNumber(w[r * cols + c]));
        });
    });
  };
  auto vector = [&](const std::vector<double> &v) {
    j.array([&] {
      for (double d : v)
        j.rawValue(formatNumber(d));
    });
  };
  j.object([&] {
    j.attribute("batch_size", spec.batchSize);
    if (spec.earlyStopping)
      j.attributeObject("early_stopping", [&] {
        numberAttr(j, "min_delta", spec.minDelta);
        j.attribute("patience", spec.patience);
        numberAttr(j, "validation_fraction", spec.validationFraction);
      });
    else
      j.attribute("early_stopping", nullptr);
    j.attribute("epochs", spec.epochs);
    j.attributeArray("features", [&] {
      for (const std::string &f : spec.pipeline.plan.outputNames)
        j.value(f);
    });
    j.attributeBegin("inputs");
    writeCanonicalInputs(j, spec.pipeline.inputs);
    j.attributeEnd();
    j.attribute("kind", kindName(Kind::Train));
    numberAttr(j, "l2", spec.l2);
    j.attributeObject("label", [&] {
      j.attribute("name", spec.label.name);
      j.attribute("type", dtypeName(spec.label.type));
    });
    j.attributeObject("limits", [&] {
      numberAttr(j, "max_feature_matrix_mb", spec.maxFeatureMatrixMB);
      if (spec.maxSeconds)
        numberAttr(j, "max_seconds", *spec.maxSeconds);
      else
        j.attribute("max_seconds", nullptr);
    });
    j.attribute("loss", lossName(spec.loss));
    j.attributeObject("model", [&] {
      bool linear = spec.modelType == ModelType::Linear;
      if (spec.hasInit)
        j.attributeObject("init", [&] {
          if (linear) {
            j.attributeBegin("intercepts");
            vector(spec.initIntercepts);
            j.attributeEnd();
            j.attributeBegin("weights");
            matrix(spec.initWeights, spec.numFeatures);
            j.attributeEnd();
            return;
          }
          j.attributeArray("layers", [&] {
            for (const DenseLayer &l : spec.initLayers)
              j.object([&] {
                j.attributeBegin("biases");
                vector(l.biases);
                j.attributeEnd();
                j.attributeBegin("weights");
                matrix(l.weights, l.inputs);
                j.attributeEnd();
              });
          });
        });
      if (!linear)
        j.attribute("init_seed", spec.initSeed);
      if (!linear)
        j.attributeArray("layers", [&] {
          for (const LayerShape &l : spec.layers)
            j.object([&] {
              j.attribute("activation", activationName(l.activation));
              j.attribute("units", static_cast<int64_t>(l.units));
            });
        });
      j.attribute("link", linkName(spec.link));
      if (linear)
        j.attribute("num_outputs", static_cast<int64_t>(spec.numOutputs));
      j.attribute("type", modelTypeName(spec.modelType));
    });
    j.attributeObject("optimizer", [&] {
      if (spec.optimizer == OptimizerType::Adam) {
        numberAttr(j, "beta1", spec.beta1);
        numberAttr(j, "beta2", spec.beta2);
        numberAttr(j, "epsilon", spec.epsilon);
      }
      numberAttr(j, "learning_rate", spec.learningRate);
      if (spec.optimizer == OptimizerType::Sgd)
        numberAttr(j, "momentum", spec.momentum);
      j.attribute("type", optimizerName(spec.optimizer));
    });
    writeShuffle(j, spec.shuffleSeed);
    j.attribute("specjit", 1);
    j.attributeArray("steps", [&] {
      for (const Step &s : spec.pipeline.steps)
        writeCanonicalStep(j, s);
    });
  });
  os.flush();
  return out;
}

Expected<Descriptor> TrainParser::run(const json::Object &root) {
  if (Error e = checkKeys(root, "",
                          {"specjit", "kind", "name", "inputs", "label", "steps", "features",
                           "model", "loss", "optimizer", "epochs", "batch_size", "shuffle", "l2",
                           "early_stopping", "limits"},
                          "a train descriptor"))
    return std::move(e);
  if (Error e = readDescriptorName(root, spec.name))
    return std::move(e);
  if (Error e = parsePipelineFrontEnd(root, spec.pipeline))
    return std::move(e);
  spec.pipeline.name = spec.name;
  spec.numFeatures = static_cast<int32_t>(spec.pipeline.plan.outputs.size());
  if (spec.numFeatures == 0)
    return failAt("features", "the model needs at least one feature");
  if (Error e = parseLabel(root))
    return std::move(e);
  if (Error e = parseModelShape(root))
    return std::move(e);
  if (Error e = parseLoss(root))
    return std::move(e);
  if (Error e = checkShape())
    return std::move(e);
  if (Error e = parseInit())
    return std::move(e);
  if (Error e = parseOptimizer(root))
    return std::move(e);
  if (Error e = parseSchedule(root))
    return std::move(e);
  if (Error e = parseEarlyStopping(root))
    return std::move(e);
  if (Error e = parseLimits(root))
    return std::move(e);
  spec.dataColumns = spec.pipeline.inputs;
  spec.dataColumns.push_back(spec.label);
  std::string canonical = canonicalText();
  return DescriptorParser::make(std::move(spec), std::move(canonical));
}

} // namespace

namespace detail {

Expected<Descriptor> parseTrain(const json::Object &root) { return TrainParser().run(root); }

std::string summarizeTrain(const TrainSpec &t) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "steps: " << t.pipeline.steps.size() << "\n";
  os << "train: " << modelTypeName(t.modelType) << ", " << t.numFeatures << " features, "
     << t.numOutputs << " outputs, link " << linkName(t.link) << ", loss " << lossName(t.loss)
     << ", " << optimizerName(t.optimizer) << ", " << t.epochs << " epochs of batches of "
     << t.batchSize << (t.earlyStopping ? ", early stopping" : "") << "\n";
  os << "label: " << t.label.name << ":" << dtypeName(t.label.type) << "\n";
  return out;
}

} // namespace detail
} // namespace jit
} // namespace specjit
