//===- TrainReferenceTest.cpp - jit::train against the numpy reference ----===//
//
// Every test/data/train/*.json (written by test/reference/gen_train_reference.py,
// an independent numpy implementation of docs/train-semantics.md) holds a
// `train` descriptor, its data columns (the inputs, then the label) and what
// training must produce: the trained parameters, the per-epoch history, the
// stop reason, the best epoch, and the trained model's predictions on the
// data.
//
// Each case runs twice, with specialization off and on (TrainOptions::
// specialize); each run must match the reference:
//   - parameters (linear weights and intercepts, or every layer's weights
//     (outputs x inputs) and biases) and history losses within `rtol`
//     (1e-9) relative, on the scale max(|a|, |b|, 1e-12);
//   - stop reason, best epoch, epoch count and numbering exactly;
//   - the returned `model` descriptor keeps the train descriptor's inputs,
//     steps and features, its text parses to the same descriptor, and,
//     compiled by jit::compile (JIT and interpreter), it reproduces the
//     reference predictions within 1e-9 (relative above 1, absolute below:
//     probabilities pass through exp).
// A JIT fallback is reported, and fails only when SPECJIT_REQUIRE_JIT is set
// to something other than 0 (as in the other reference tests).
//
// The API tests at the end check, on small synthesized descriptors, the data
// errors and limits of docs/train-semantics.md ("Limits and failures"), its
// documented validation messages, cancellation and the concurrency cap.
//
//===----------------------------------------------------------------------===//

#include "Families/Model/ModelSpec.h"
#include "specjit/Compile.h"
#include "specjit/Descriptor.h"
#include "specjit/Kernel.h"
#include "specjit/Train.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "KernelArgs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace specjit;
using namespace specjit::jit;
namespace json = llvm::json;

namespace {

using specjit_test::jsonDouble;

std::string trainDataDir() { return std::string(SPECJIT_SOURCE_DIR) + "/test/data/train"; }

/// Every case file name, sorted.
std::vector<std::string> trainCaseFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(trainDataDir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.ends_with(".json"))
      files.push_back(name.str());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool requireJit() {
  const char *v = std::getenv("SPECJIT_REQUIRE_JIT");
  return v && *v && llvm::StringRef(v) != "0";
}

//===----------------------------------------------------------------------===//
// Columns from JSON
//===----------------------------------------------------------------------===//

/// Caller-owned storage for one data column.
struct ColumnBuffer {
  DType type = DType::F64;
  std::vector<double> f64;
  std::vector<float> f32;
  std::vector<int64_t> i64;
  std::vector<int32_t> i32;
  std::vector<uint8_t> boolean;
  std::vector<int64_t> offsets;
  std::string bytes;
  int64_t rows = 0;

  Column column() const {
    switch (type) {
    case DType::F64:
      return Column::f64(f64.data(), rows);
    case DType::F32:
      return Column::f32(f32.data(), rows);
    case DType::I64:
      return Column::i64(i64.data(), rows);
    case DType::I32:
      return Column::i32(i32.data(), rows);
    case DType::Bool:
      return Column::boolean(boolean.data(), rows);
    case DType::String:
      return Column::strings(offsets.data(), bytes.data(), rows);
    }
    return {};
  }
};

/// Fills `buf` with `values` as a column of `type`; an error message or "".
std::string fillColumn(const std::string &name, DType type, const json::Array &values,
                       ColumnBuffer &buf) {
  buf.type = type;
  buf.rows = static_cast<int64_t>(values.size());
  if (type == DType::String)
    buf.offsets.push_back(0);
  for (size_t i = 0; i < values.size(); ++i) {
    const json::Value &v = values[i];
    std::string where = "data." + name + "[" + std::to_string(i) + "]";
    switch (type) {
    case DType::F64:
    case DType::F32: {
      auto d = jsonDouble(v);
      if (!d)
        return where + ": expected a number or null";
      if (type == DType::F64)
        buf.f64.push_back(*d);
      else
        buf.f32.push_back(static_cast<float>(*d));
      break;
    }
    case DType::I64:
    case DType::I32: {
      auto n = v.getAsInteger();
      if (!n)
        return where + ": expected an integer";
      if (type == DType::I64)
        buf.i64.push_back(*n);
      else
        buf.i32.push_back(static_cast<int32_t>(*n));
      break;
    }
    case DType::Bool: {
      auto b = v.getAsBoolean();
      if (!b)
        return where + ": expected true or false";
      buf.boolean.push_back(*b ? 1 : 0);
      break;
    }
    case DType::String: {
      auto s = v.getAsString();
      if (!s)
        return where + ": expected a string";
      buf.bytes += s->str();
      buf.offsets.push_back(static_cast<int64_t>(buf.bytes.size()));
      break;
    }
    }
  }
  return "";
}

/// A JSON array of numbers (nested arrays flattened row-major).
bool flattenNumbers(const json::Value &v, std::vector<double> &out) {
  if (const json::Array *a = v.getAsArray()) {
    for (const json::Value &e : *a)
      if (!flattenNumbers(e, out))
        return false;
    return true;
  }
  auto d = jsonDouble(v);
  if (!d)
    return false;
  out.push_back(*d);
  return true;
}

//===----------------------------------------------------------------------===//
// One case
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

struct TrainCase {
  std::string file;
  json::Value descriptorJson = nullptr;
  json::Object data;
  int64_t rows = 0;
  double rtol = 0.0;
  std::vector<std::string> inputNames; // the descriptor's inputs, in order
  std::string labelName;
  size_t numSteps = 0;
  // Expected.
  std::vector<std::string> features;
  json::Value modelJson = nullptr; // expected.model as written
  std::string modelType, link;
  std::vector<ExpectedLayer> layers; // linear: one layer (weights, intercepts)
  std::vector<ExpectedEpoch> history;
  std::string stopReason;
  int64_t bestEpoch = 0;
  std::vector<std::string> predictionColumns;
  std::vector<std::vector<double>> predictions;
};

std::string loadLayer(const json::Value *weights, const json::Value *biases,
                      const std::string &where, ExpectedLayer &out) {
  if (!weights || !biases || !weights->getAsArray())
    return where + ": missing weights or biases";
  out.outputs = weights->getAsArray()->size();
  if (!flattenNumbers(*weights, out.weights) || !flattenNumbers(*biases, out.biases))
    return where + ": expected numbers";
  return "";
}

/// Loads `file`; an error message or "".
std::string loadTrainCase(const std::string &file, TrainCase &tc) {
  tc.file = file;
  std::string path = trainDataDir() + "/" + file;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return path + ": " + buffer.getError().message();
  llvm::Expected<json::Value> doc = json::parse((*buffer)->getBuffer());
  if (!doc)
    return path + ": " + llvm::toString(doc.takeError());
  json::Object *top = doc->getAsObject();
  if (!top)
    return path + ": expected an object";

  json::Value *desc = top->get("descriptor");
  json::Object *data = top->getObject("data");
  const json::Object *exp = top->getObject("expected");
  if (!desc || !desc->getAsObject() || !data || !exp)
    return path + ": needs \"descriptor\", \"data\" and \"expected\"";
  const json::Object &d = *desc->getAsObject();
  if (const json::Array *inputs = d.getArray("inputs"))
    for (const json::Value &in : *inputs)
      if (const json::Object *o = in.getAsObject())
        if (auto n = o->getString("name"))
          tc.inputNames.push_back(n->str());
  if (const json::Object *label = d.getObject("label"))
    if (auto n = label->getString("name"))
      tc.labelName = n->str();
  if (tc.inputNames.empty() || tc.labelName.empty())
    return path + ": the descriptor needs inputs and a label name";
  if (const json::Array *steps = d.getArray("steps"))
    tc.numSteps = steps->size();
  tc.descriptorJson = std::move(*desc);
  tc.data = std::move(*data);

  auto rows = top->getInteger("rows");
  auto rtol = top->getNumber("rtol");
  if (!rows || !rtol || *rtol < 0)
    return path + ": needs \"rows\" and a non-negative \"rtol\"";
  tc.rows = *rows;
  tc.rtol = *rtol;

  if (const json::Array *f = exp->getArray("features"))
    for (const json::Value &v : *f)
      if (auto s = v.getAsString())
        tc.features.push_back(s->str());
  const json::Object *model = exp->getObject("model");
  if (!model)
    return path + ": expected.model missing";
  auto type = model->getString("type");
  auto link = model->getString("link");
  if (!type || !link)
    return path + ": expected.model needs type and link";
  tc.modelType = type->str();
  tc.link = link->str();
  tc.modelJson = json::Value(json::Object(*model));
  if (tc.modelType == "linear") {
    ExpectedLayer l;
    l.activation = "identity";
    std::string err =
        loadLayer(model->get("weights"), model->get("intercepts"), path + ": expected.model", l);
    if (!err.empty())
      return err;
    tc.layers.push_back(std::move(l));
  } else {
    const json::Array *layers = model->getArray("layers");
    if (!layers)
      return path + ": expected.model.layers missing";
    for (size_t i = 0; i < layers->size(); ++i) {
      const json::Object *lo = (*layers)[i].getAsObject();
      std::string where = path + ": expected.model.layers[" + std::to_string(i) + "]";
      if (!lo)
        return where + ": expected an object";
      ExpectedLayer l;
      std::string err = loadLayer(lo->get("weights"), lo->get("biases"), where, l);
      if (!err.empty())
        return err;
      auto act = lo->getString("activation");
      if (!act)
        return where + ": activation missing";
      l.activation = act->str();
      tc.layers.push_back(std::move(l));
    }
  }

  const json::Array *history = exp->getArray("history");
  if (!history)
    return path + ": expected.history missing";
  for (const json::Value &h : *history) {
    const json::Object *ho = h.getAsObject();
    if (!ho)
      return path + ": expected.history: expected objects";
    ExpectedEpoch e;
    auto epoch = ho->getInteger("epoch");
    auto tl = ho->get("train_loss") ? jsonDouble(*ho->get("train_loss")) : std::nullopt;
    auto vl = ho->get("validation_loss") ? jsonDouble(*ho->get("validation_loss")) : std::nullopt;
    if (!epoch || !tl || !vl)
      return path + ": expected.history: epoch, train_loss, validation_loss";
    e.epoch = *epoch;
    e.trainLoss = *tl;
    e.validationLoss = *vl;
    tc.history.push_back(e);
  }
  auto stop = exp->getString("stop_reason");
  auto best = exp->getInteger("best_epoch");
  if (!stop || !best)
    return path + ": expected.stop_reason and best_epoch";
  tc.stopReason = stop->str();
  tc.bestEpoch = *best;

  if (const json::Array *cols = exp->getArray("prediction_columns"))
    for (const json::Value &v : *cols)
      if (auto s = v.getAsString())
        tc.predictionColumns.push_back(s->str());
  const json::Array *pred = exp->getArray("predictions");
  if (!pred || static_cast<int64_t>(pred->size()) != tc.rows || tc.predictionColumns.empty())
    return path + ": expected.predictions needs one row per data row";
  for (const json::Value &row : *pred) {
    std::vector<double> values;
    if (!flattenNumbers(row, values) || values.size() != tc.predictionColumns.size())
      return path + ": expected.predictions: bad row";
    tc.predictions.push_back(std::move(values));
  }
  return "";
}

/// Data columns for `inputs` (in order), looked up by name in the case.
std::string buildColumns(const TrainCase &tc, const std::vector<InputColumn> &inputs,
                         std::vector<ColumnBuffer> &buffers, std::vector<Column> &columns) {
  buffers.clear();
  buffers.resize(inputs.size());
  columns.clear();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const json::Array *values = tc.data.getArray(inputs[i].name);
    if (!values)
      return "no data column '" + inputs[i].name + "'";
    std::string err = fillColumn(inputs[i].name, inputs[i].type, *values, buffers[i]);
    if (!err.empty())
      return err;
    if (buffers[i].rows != tc.rows)
      return "data column '" + inputs[i].name + "' has " + std::to_string(buffers[i].rows) +
             " rows, expected " + std::to_string(tc.rows);
  }
  for (const ColumnBuffer &b : buffers)
    columns.push_back(b.column());
  return "";
}

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

bool closeRel(double got, double want, double rtol) {
  if (std::isnan(want) || std::isnan(got))
    return std::isnan(want) && std::isnan(got);
  double scale = std::max({std::fabs(got), std::fabs(want), 1e-12});
  return std::fabs(got - want) <= rtol * scale;
}

/// Compares `got` with `want` element by element; reports the first few
/// mismatches with their index and counts them.
void expectAllClose(const std::vector<double> &got, const std::vector<double> &want, double rtol,
                    const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what << ": sizes differ";
  int reported = 0;
  size_t bad = 0;
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (closeRel(got[i], want[i], rtol))
      continue;
    ++bad;
    double scale = std::max({std::fabs(got[i]), std::fabs(want[i]), 1e-12});
    worst = std::max(worst, std::fabs(got[i] - want[i]) / scale);
    if (reported++ < 6)
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", reference " << want[i];
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << got.size() << " values beyond rtol "
                     << rtol << " (worst relative difference " << worst << ")";
}

llvm::StringRef activationSpelling(Activation a) { return activationName(a); }

/// The trained parameters in `spec` against the case's.
void expectParameters(const TrainCase &tc, const ModelSpec &spec, const std::string &what) {
  EXPECT_EQ(linkName(spec.link).str(), tc.link) << what << ": link";
  if (tc.modelType == "linear") {
    ASSERT_EQ(spec.type, ModelType::Linear) << what;
    const ExpectedLayer &l = tc.layers[0];
    EXPECT_EQ(static_cast<size_t>(spec.numOutputs), l.outputs) << what << ": num_outputs";
    expectAllClose(spec.weights, l.weights, tc.rtol, what + ": weights");
    expectAllClose(spec.intercepts, l.biases, tc.rtol, what + ": intercepts");
    return;
  }
  ASSERT_EQ(spec.type, ModelType::Mlp) << what;
  ASSERT_EQ(spec.layers.size(), tc.layers.size()) << what << ": layers";
  for (size_t i = 0; i < tc.layers.size(); ++i) {
    const DenseLayer &got = spec.layers[i];
    const ExpectedLayer &want = tc.layers[i];
    std::string where = what + ": layers[" + std::to_string(i) + "]";
    EXPECT_EQ(static_cast<size_t>(got.outputs), want.outputs) << where;
    EXPECT_EQ(activationSpelling(got.activation).str(), want.activation) << where << ": activation";
    expectAllClose(got.weights, want.weights, tc.rtol, where + ".weights");
    expectAllClose(got.biases, want.biases, tc.rtol, where + ".biases");
  }
}

void expectHistory(const TrainCase &tc, const TrainResult &r, const std::string &what) {
  EXPECT_EQ(stopReasonName(r.stop).str(), tc.stopReason) << what << ": stop reason";
  EXPECT_EQ(r.bestEpoch, tc.bestEpoch) << what << ": best epoch";
  ASSERT_EQ(r.history.size(), tc.history.size()) << what << ": number of finished epochs";
  std::vector<double> gotTrain, wantTrain, gotVal, wantVal;
  for (size_t i = 0; i < tc.history.size(); ++i) {
    EXPECT_EQ(r.history[i].epoch, tc.history[i].epoch) << what << ": history[" << i << "].epoch";
    EXPECT_GE(r.history[i].seconds, 0.0) << what << ": history[" << i << "]";
    gotTrain.push_back(r.history[i].trainLoss);
    wantTrain.push_back(tc.history[i].trainLoss);
    gotVal.push_back(r.history[i].validationLoss);
    wantVal.push_back(tc.history[i].validationLoss);
  }
  expectAllClose(gotTrain, wantTrain, tc.rtol, what + ": train_loss");
  expectAllClose(gotVal, wantVal, tc.rtol, what + ": validation_loss");
}

/// Compiles the trained model and checks its predictions on the case's
/// inputs.
void expectPredictions(const TrainCase &tc, const Descriptor &model, bool specialize,
                       const std::string &what) {
  CompileOptions co;
  co.specialize = specialize;
  co.useCache = false;
  llvm::Expected<Kernel> k = compile(model, co);
  ASSERT_TRUE(static_cast<bool>(k)) << what << ": compile: " << llvm::toString(k.takeError());
  if (specialize && k->backend() != Backend::Jit) {
    if (requireJit())
      ADD_FAILURE() << what << ": the model fell back to the interpreter: " << k->fallbackReason();
    else
      std::cout << "[ note     ] " << what << ": the model runs on the "
                << "interpreter: " << k->fallbackReason() << "\n";
  }
  ASSERT_EQ(k->outputNames(), tc.predictionColumns) << what;
  ASSERT_EQ(k->outputType(), DType::F64) << what << ": output type";

  std::vector<ColumnBuffer> buffers;
  std::vector<Column> columns;
  std::string err = buildColumns(tc, model.inputs(), buffers, columns);
  ASSERT_TRUE(err.empty()) << what << ": " << err;
  size_t width = tc.predictionColumns.size();
  std::vector<double> out(static_cast<size_t>(tc.rows) * width,
                          std::numeric_limits<double>::quiet_NaN());
  llvm::Error runErr =
      k->run(columns, Output::f64(out.data(), tc.rows, static_cast<int64_t>(width)));
  ASSERT_FALSE(static_cast<bool>(runErr)) << what << ": run: " << llvm::toString(std::move(runErr));

  int reported = 0;
  size_t bad = 0;
  for (int64_t r = 0; r < tc.rows; ++r) {
    for (size_t c = 0; c < width; ++c) {
      double got = out[static_cast<size_t>(r) * width + c];
      double want = tc.predictions[static_cast<size_t>(r)][c];
      double scale = std::max({std::fabs(got), std::fabs(want), 1.0});
      if (std::fabs(got - want) <= 1e-9 * scale)
        continue;
      ++bad;
      if (reported++ < 6)
        ADD_FAILURE() << what << ": row " << r << ", " << tc.predictionColumns[c] << ": got " << got
                      << ", reference " << want;
    }
  }
  EXPECT_EQ(bad, 0u) << what << ": predictions differ from the reference";
}

//===----------------------------------------------------------------------===//
// The reference cases
//===----------------------------------------------------------------------===//

using TrainParam = std::tuple<std::string, bool>; // file, specialize

class TrainReferenceTest : public ::testing::TestWithParam<TrainParam> {};

TEST_P(TrainReferenceTest, MatchesNumpyReference) {
  const std::string &file = std::get<0>(GetParam());
  bool specialize = std::get<1>(GetParam());
  std::string what = file + (specialize ? " (specialize on)" : " (specialize off)");
  TrainCase tc;
  std::string err = loadTrainCase(file, tc);
  ASSERT_TRUE(err.empty()) << err;

  llvm::Expected<Descriptor> d = Descriptor::fromJSON(tc.descriptorJson);
  ASSERT_TRUE(static_cast<bool>(d)) << what << ": parse: " << llvm::toString(d.takeError());
  ASSERT_EQ(d->kind(), Kind::Train) << what;

  // The data columns are the inputs, then the label (Descriptor::inputs()).
  std::vector<std::string> wantNames = tc.inputNames;
  wantNames.push_back(tc.labelName);
  std::vector<std::string> gotNames;
  for (const InputColumn &in : d->inputs())
    gotNames.push_back(in.name);
  ASSERT_EQ(gotNames, wantNames) << what << ": data columns";

  std::vector<ColumnBuffer> buffers;
  std::vector<Column> columns;
  err = buildColumns(tc, d->inputs(), buffers, columns);
  ASSERT_TRUE(err.empty()) << what << ": " << err;

  TrainOptions opts;
  opts.specialize = specialize;
  int64_t progressCalls = 0;
  opts.progress = [&](const TrainProgress &p) {
    ++progressCalls;
    EXPECT_EQ(p.last.epoch, progressCalls) << what << ": progress epoch";
  };
  llvm::Expected<TrainResult> r = train(*d, columns, opts);
  ASSERT_TRUE(static_cast<bool>(r)) << what << ": train: " << llvm::toString(r.takeError());
  if (specialize && r->backend != Backend::Jit)
    std::cout << "[ note     ] " << what << ": training ran on the "
              << "interpreter: " << r->fallbackReason << "\n";
  EXPECT_EQ(progressCalls, static_cast<int64_t>(tc.history.size()))
      << what << ": one progress call per finished epoch";

  expectHistory(tc, *r, what);

  // The model descriptor: the train descriptor's front, the trained weights.
  const Descriptor &model = r->model;
  ASSERT_EQ(model.kind(), Kind::Model) << what;
  EXPECT_EQ(model.name(), d->name()) << what << ": name";
  const ModelSpec &spec = model.spec<ModelSpec>();
  std::vector<std::string> modelInputs;
  for (const InputColumn &in : model.inputs())
    modelInputs.push_back(in.name);
  EXPECT_EQ(modelInputs, tc.inputNames) << what << ": model inputs";
  EXPECT_EQ(spec.pipeline.steps.size(), tc.numSteps) << what << ": steps";
  EXPECT_EQ(spec.pipeline.plan.outputNames, tc.features) << what << ": features";
  EXPECT_FALSE(spec.margin) << what;
  expectParameters(tc, spec, what);

  llvm::Expected<Descriptor> reparsed = Descriptor::parse(r->modelJson);
  ASSERT_TRUE(static_cast<bool>(reparsed))
      << what << ": modelJson does not parse: " << llvm::toString(reparsed.takeError());
  EXPECT_EQ(reparsed->hash(), model.hash()) << what << ": modelJson and model differ";

  expectPredictions(tc, model, /*specialize=*/true, what + ", JIT model");
  expectPredictions(tc, model, /*specialize=*/false, what + ", interpreted model");
}

std::string caseName(const ::testing::TestParamInfo<TrainParam> &info) {
  std::string name = std::get<0>(info.param);
  name = name.substr(0, name.size() - 5); // ".json"
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name + (std::get<1>(info.param) ? "_jit" : "_interpreter");
}

INSTANTIATE_TEST_SUITE_P(Cases, TrainReferenceTest,
                         ::testing::Combine(::testing::ValuesIn(trainCaseFiles()),
                                            ::testing::Bool()),
                         caseName);

/// The reference's own trained parameters, put into a `model` descriptor
/// with the case's inputs, steps and features, must reproduce the reference
/// predictions through specjit's model family: this checks the reference's
/// feature computation and forward pass against docs/model-semantics.md
/// independently of the trainer (and it holds before any trainer exists).
TEST_P(TrainReferenceTest, ReferenceModelReproducesPredictions) {
  const std::string &file = std::get<0>(GetParam());
  bool specialize = std::get<1>(GetParam());
  TrainCase tc;
  std::string err = loadTrainCase(file, tc);
  ASSERT_TRUE(err.empty()) << err;
  const json::Object &train = *tc.descriptorJson.getAsObject();
  json::Object m{{"specjit", 1}, {"kind", "model"}, {"name", file}};
  m["inputs"] = json::Value(json::Array(*train.getArray("inputs")));
  if (const json::Array *steps = train.getArray("steps"))
    m["steps"] = json::Value(json::Array(*steps));
  json::Array features;
  for (const std::string &f : tc.features)
    features.push_back(f);
  m["features"] = std::move(features);
  m["model"] = json::Value(json::Object(*tc.modelJson.getAsObject()));
  m["output"] = json::Object{{"type", "f64"}};
  llvm::Expected<Descriptor> d = Descriptor::fromJSON(json::Value(std::move(m)));
  ASSERT_TRUE(static_cast<bool>(d))
      << file << ": the reference model does not parse: " << llvm::toString(d.takeError());
  expectPredictions(
      tc, *d, specialize,
      file + (specialize ? " (reference model, JIT)" : " (reference model, interpreter)"));
}

TEST(TrainReferenceData, CasesArePresent) {
  // A missing or emptied data directory must not pass as "no cases".
  EXPECT_GE(trainCaseFiles().size(), 20u) << trainDataDir();
}

//===----------------------------------------------------------------------===//
// Data errors (docs/train-semantics.md, "Limits and failures")
//===----------------------------------------------------------------------===//

/// A small logistic regression over x (f64) with label y (i64); `extra`
/// holds further top-level keys as JSON text (e.g. limits).
std::string logisticDescriptor(const std::string &extra = "") {
  return R"({"specjit": 1, "kind": "train", "name": "errors",
    "inputs": [{"name": "x", "type": "f64"}],
    "label": {"name": "y", "type": "i64"},
    "model": {"type": "linear", "link": "logistic"}, "loss": "log_loss",
    "epochs": 2, "batch_size": 2)" +
         extra + "}";
}

/// Trains on x, y and returns the error text ("" when training succeeds).
std::string trainError(const std::string &text, std::vector<double> x, std::vector<int64_t> y) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (!d)
    return "parse: " + llvm::toString(d.takeError());
  std::vector<Column> cols{Column::f64(x.data(), static_cast<int64_t>(x.size())),
                           Column::i64(y.data(), static_cast<int64_t>(y.size()))};
  llvm::Expected<TrainResult> r = train(*d, cols);
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

TEST(TrainDataErrors, LabelOutOfRangeNamesTheRow) {
  std::string msg = trainError(logisticDescriptor(), {0.1, 0.2, 0.3, 0.4}, {0, 1, 3, 0});
  EXPECT_NE(msg.find("row 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("label 'y' is 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0..1"), std::string::npos) << msg;
}

TEST(TrainDataErrors, NonFiniteFeatureNamesTheRow) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  std::string msg = trainError(logisticDescriptor(), {0.1, 0.2, 0.3, nan}, {0, 1, 1, 0});
  EXPECT_NE(msg.find("row 3"), std::string::npos) << msg;
}

TEST(TrainDataErrors, MissingRegressionTargetNamesTheRow) {
  llvm::Expected<Descriptor> d = Descriptor::parse(
      R"({"specjit": 1, "kind": "train", "inputs": [{"name": "x", "type": "f64"}],
          "label": {"name": "t", "type": "f64"}, "model": {"type": "linear"},
          "loss": "mse"})");
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  std::vector<double> x{1, 2, 3}, t{0.5, std::nan(""), 1.5};
  std::vector<Column> cols{Column::f64(x.data(), 3), Column::f64(t.data(), 3)};
  llvm::Expected<TrainResult> r = train(*d, cols);
  ASSERT_FALSE(static_cast<bool>(r)) << "a NaN target must fail";
  std::string msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find("row 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'t'"), std::string::npos) << msg;
}

TEST(TrainDataErrors, FeatureMatrixLimitNamesBothNumbers) {
  // 100000 rows x 1 feature x 8 bytes = 800000 bytes = 0.8 MB (or 0.76 MiB)
  // against a limit of 0.5 MB.
  std::vector<double> x(100000, 0.5);
  std::vector<int64_t> y(100000, 1);
  std::string msg =
      trainError(logisticDescriptor(R"(, "limits": {"max_feature_matrix_mb": 0.5})"), x, y);
  ASSERT_FALSE(msg.empty()) << "the limit must be enforced";
  EXPECT_NE(msg.find("0.5"), std::string::npos) << msg;
  EXPECT_TRUE(msg.find("800000") != std::string::npos || msg.find("0.8") != std::string::npos ||
              msg.find("0.76") != std::string::npos)
      << "the message should name the matrix size: " << msg;
}

TEST(TrainDataErrors, NonFiniteTrainingLossNamesEpochAndBatch) {
  // x = 1e200 with weight 1 makes the squared error overflow to inf in the
  // second batch of the first epoch (rows 2 and 3); features are finite.
  llvm::Expected<Descriptor> d = Descriptor::parse(
      R"({"specjit": 1, "kind": "train", "inputs": [{"name": "x", "type": "f64"}],
          "label": {"name": "t", "type": "f64"}, "loss": "mse",
          "model": {"type": "linear",
                    "init": {"weights": [[1.0]], "intercepts": [0.0]}},
          "optimizer": {"type": "sgd", "learning_rate": 0.01},
          "epochs": 3, "batch_size": 2})");
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  std::vector<double> x{0.5, -0.5, 1e200, 1.0}, t{0.0, 0.0, 0.0, 0.0};
  std::vector<Column> cols{Column::f64(x.data(), 4), Column::f64(t.data(), 4)};
  llvm::Expected<TrainResult> r = train(*d, cols);
  ASSERT_FALSE(static_cast<bool>(r)) << "an infinite training loss must fail";
  std::string msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find("epoch 1, batch 2: the training loss is inf"), std::string::npos) << msg;
}

TEST(TrainDataErrors, NonFiniteValidationLossNamesTheEpoch) {
  // The last row (the validation row: floor(4 * 0.25) = 1) overflows.
  llvm::Expected<Descriptor> d = Descriptor::parse(
      R"({"specjit": 1, "kind": "train", "inputs": [{"name": "x", "type": "f64"}],
          "label": {"name": "t", "type": "f64"}, "loss": "mse",
          "model": {"type": "linear",
                    "init": {"weights": [[1.0]], "intercepts": [0.0]}},
          "optimizer": {"type": "sgd", "learning_rate": 0.01},
          "epochs": 3, "batch_size": 2,
          "early_stopping": {"validation_fraction": 0.25, "patience": 2}})");
  ASSERT_TRUE(static_cast<bool>(d)) << llvm::toString(d.takeError());
  std::vector<double> x{0.5, -0.5, 1.0, 1e200}, t{0.0, 0.0, 0.0, 0.0};
  std::vector<Column> cols{Column::f64(x.data(), 4), Column::f64(t.data(), 4)};
  llvm::Expected<TrainResult> r = train(*d, cols);
  ASSERT_FALSE(static_cast<bool>(r)) << "an infinite validation loss must fail";
  std::string msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find("epoch 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("validation"), std::string::npos) << msg;
}

TEST(TrainDataErrors, RowCountsMustAgree) {
  // Not a documented message: a clear one names both row counts.
  std::string msg = trainError(logisticDescriptor(), {0.1, 0.2, 0.3}, {0, 1, 1, 0});
  EXPECT_FALSE(msg.empty()) << "columns of different lengths must fail";
  EXPECT_NE(msg.find('3'), std::string::npos) << msg;
  EXPECT_NE(msg.find('4'), std::string::npos) << msg;
}

//===----------------------------------------------------------------------===//
// Validation messages, cancellation, the concurrency cap
//===----------------------------------------------------------------------===//

/// The error text of parsing `text` ("" when it parses).
std::string parseError(const std::string &text) {
  llvm::Expected<Descriptor> d = Descriptor::parse(text);
  if (d)
    return "";
  return llvm::toString(d.takeError());
}

TEST(TrainDescriptorErrors, DocumentedMessages) {
  // The examples of docs/train-semantics.md ("Document"), verbatim.
  const std::string head =
      R"({"specjit": 1, "kind": "train", "inputs": [{"name": "x", "type": "f64"}],)";
  struct Case {
    const char *body, *message;
  } cases[] = {
      {R"("label": {"name": "y"}, "model": {"type": "linear", "link": "logistic"},
          "loss": "log_loss", "optimizer": {"type": "sgd", "momentum": 1}})",
       "optimizer.momentum: expected a number in [0, 1), got 1"},
      {R"("label": {"name": "y"}, "loss": "cross_entropy",
          "model": {"type": "mlp", "link": "softmax",
                    "layers": [{"units": 4, "activation": "relu"},
                               {"units": 1, "activation": "identity"}]}})",
       "model.layers[1].units: the output layer of a softmax model needs at "
       "least 2 units"},
      {R"("label": {"name": "y"}, "loss": "log_loss",
          "model": {"type": "linear", "link": "softmax", "num_outputs": 3}})",
       "loss: log_loss needs the logistic link, got softmax"},
      {R"("label": {"name": "y", "type": "f64"}, "loss": "cross_entropy",
          "model": {"type": "linear", "link": "softmax", "num_outputs": 3}})",
       "label.type: cross_entropy needs i64 class ids, got f64"},
      {R"("label": {"name": "y"}, "loss": "log_loss",
          "model": {"type": "linear", "link": "logistic",
                    "init": {"weights": [[0.5], [0.25]], "intercepts": [0]}}})",
       "model.init.weights: expected 1 row (one per output), got 2"},
  };
  for (const Case &c : cases) {
    std::string msg = parseError(head + c.body);
    EXPECT_NE(msg.find(c.message), std::string::npos)
        << "expected \"" << c.message << "\", got \"" << msg << "\"";
  }
}

/// Ten epochs of a small logistic regression; its data live in the fixture.
class TrainApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (int i = 0; i < 40; ++i) {
      x.push_back((i % 7) * 0.3 - 1.0);
      y.push_back(i % 3 == 0 ? 1 : 0);
    }
    cols = {Column::f64(x.data(), 40), Column::i64(y.data(), 40)};
    llvm::Expected<Descriptor> p = Descriptor::parse(R"({"specjit": 1,
        "kind": "train", "inputs": [{"name": "x", "type": "f64"}],
        "label": {"name": "y", "type": "i64"},
        "model": {"type": "linear", "link": "logistic"}, "loss": "log_loss",
        "epochs": 10, "batch_size": 8})");
    ASSERT_TRUE(static_cast<bool>(p)) << llvm::toString(p.takeError());
    d = std::move(*p);
  }
  std::vector<double> x;
  std::vector<int64_t> y;
  std::vector<Column> cols;
  std::optional<Descriptor> d;
};

TEST_F(TrainApiTest, CancelStopsWithAnError) {
  std::atomic<bool> cancel{false};
  TrainOptions o;
  o.cancel = &cancel;
  int64_t epochs = 0;
  o.progress = [&](const TrainProgress &) {
    ++epochs;
    cancel = true;
  };
  llvm::Expected<TrainResult> r = train(*d, cols, o);
  ASSERT_FALSE(static_cast<bool>(r)) << "a cancelled training must fail";
  std::string msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find("cancelled"), std::string::npos) << msg;
  EXPECT_LE(epochs, 2) << "training went on after cancellation";
}

TEST_F(TrainApiTest, ConcurrencyCapRefusesOneMore) {
  // A training started from inside another's progress callback is a second
  // training running at once: with a cap of 1 it must fail at once.
  unsigned before = maxConcurrentTrainings();
  setMaxConcurrentTrainings(1);
  EXPECT_EQ(maxConcurrentTrainings(), 1u);
  std::string nested;
  bool nestedRan = false;
  TrainOptions o;
  o.progress = [&](const TrainProgress &) {
    if (nestedRan)
      return;
    nestedRan = true;
    llvm::Expected<TrainResult> inner = train(*d, cols);
    nested = inner ? "" : llvm::toString(inner.takeError());
  };
  llvm::Expected<TrainResult> r = train(*d, cols, o);
  setMaxConcurrentTrainings(before);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  EXPECT_TRUE(nestedRan);
  EXPECT_FALSE(nested.empty()) << "a second training ran while the cap was 1";
  // With the cap lifted the same nested call succeeds.
  setMaxConcurrentTrainings(0);
  nestedRan = false;
  nested = "unset";
  llvm::Expected<TrainResult> r2 = train(*d, cols, o);
  setMaxConcurrentTrainings(before);
  ASSERT_TRUE(static_cast<bool>(r2)) << llvm::toString(r2.takeError());
  EXPECT_TRUE(nested.empty()) << "without a cap: " << nested;
}

} // namespace
