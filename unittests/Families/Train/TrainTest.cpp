//===- TrainTest.cpp - The train family: descriptor, loop, limits ---------===//
//
// Parsing and every validation error of `train` descriptors, the canonical
// form, the loop's rules on cases small enough to check by hand (one SGD
// step, one Adam step, momentum, L2, the generators), early stopping with
// restore-best, the limits, data errors, cancellation, the concurrency cap,
// and the trained model running through jit::compile. The numpy reference
// cases (test/data/train/) run under lit as `specjit check`; the data errors
// and API controls are in TrainApiTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "Families/Train/Trainer.h"
#include "specjit/Errors.h"
#include "specjit/Testing.h"
#include "specjit/specjit.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

using namespace specjit::jit;
using llvm::StringRef;

namespace {

/// A train document: two f64 inputs a, b and an f64 label y, with `extra`
/// top-level members (JSON text after a comma) and the model object.
std::string doc(const std::string &model, const std::string &extra = "",
                const std::string &label = R"({"name":"y"})") {
  return R"({"specjit":1,"kind":"train","inputs":[{"name":"a","type":"f64"},)"
         R"({"name":"b","type":"f64"}],"label":)" +
         label + R"(,"model":)" + model + (extra.empty() ? "" : "," + extra) + "}";
}
const char *kLinear = R"({"type":"linear","link":"identity"})";

std::string errorOf(const std::string &text) {
  auto d = Descriptor::parse(text);
  if (d)
    return "<no error>";
  return llvm::toString(d.takeError());
}

#define EXPECT_TRAIN_ERROR(text, path, what)                                                       \
  do {                                                                                             \
    std::string err_ = errorOf(text);                                                              \
    EXPECT_TRUE(StringRef(err_).starts_with(std::string(path) + ": "))                             \
        << "error: " << err_ << "\nexpected path: " << (path);                                     \
    EXPECT_NE(err_.find(what), std::string::npos)                                                  \
        << "error: " << err_ << "\nexpected to contain: " << (what);                               \
  } while (0)

Descriptor parse(const std::string &text) {
  auto d = Descriptor::parse(text);
  if (!d) {
    ADD_FAILURE() << llvm::toString(d.takeError());
    return Descriptor();
  }
  return std::move(*d);
}

TEST(TrainDescriptor, ParsesWithDefaults) {
  Descriptor d = parse(doc(kLinear));
  EXPECT_EQ(d.kind(), Kind::Train);
  ASSERT_EQ(d.inputs().size(), 3u); // a, b, then the label
  EXPECT_EQ(d.inputs()[2].name, "y");
  EXPECT_EQ(d.inputs()[2].type, DType::F64); // mse needs f64 targets
  // Spelling the defaults out means the same thing: the same hash.
  Descriptor explicitDefaults =
      parse(doc(R"({"type":"linear","link":"identity","num_outputs":1})",
                R"("loss":"mse","optimizer":{"type":"sgd","learning_rate":0.01,"momentum":0},)"
                R"("epochs":10,"batch_size":32,"shuffle":false,"l2":0,"features":["a","b"])",
                R"({"name":"y","type":"f64"})"));
  EXPECT_EQ(d.canonical(), explicitDefaults.canonical());
  EXPECT_EQ(d.hash(), explicitDefaults.hash());
  // A different hyper-parameter is a different descriptor.
  Descriptor other = parse(doc(kLinear, R"("l2":0.5)"));
  EXPECT_NE(d.hash(), other.hash());
  // The loss implies the link and the label type.
  Descriptor logistic =
      parse(doc(R"({"type":"linear"})", R"("loss":"log_loss")", R"({"name":"y"})"));
  EXPECT_NE(logistic.canonical().find(R"("link":"logistic")"), std::string::npos);
  EXPECT_EQ(logistic.inputs()[2].type, DType::I64);
  // The name is not hashed.
  std::string named = doc(kLinear);
  named.insert(1, R"("name":"x",)");
  EXPECT_EQ(parse(named).hash(), d.hash());
  EXPECT_NE(d.summary().find("loss mse"), std::string::npos);
}

TEST(TrainDescriptor, EveryBadValueHasItsPath) {
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("epochs":0)"), "epochs", "expected an integer in [1,");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("epochs":1.5)"), "epochs", "expected an integer");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("batch_size":0)"), "batch_size", "[1,");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"sgd","learning_rate":0})"),
                     "optimizer.learning_rate", "expected a number in (0, inf), got 0");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"sgd","learning_rate":-1})"),
                     "optimizer.learning_rate", "(0, inf)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"sgd","momentum":1})"),
                     "optimizer.momentum", "expected a number in [0, 1), got 1");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"sgd","momentum":-0.1})"),
                     "optimizer.momentum", "[0, 1)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"adam","beta1":1})"), "optimizer.beta1",
                     "[0, 1)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"adam","beta2":1.5})"), "optimizer.beta2",
                     "[0, 1)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"adam","epsilon":0})"),
                     "optimizer.epsilon", "(0, inf)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"adam","momentum":0.9})"), "optimizer",
                     "momentum");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("optimizer":{"type":"rmsprop"})"), "optimizer.type",
                     "unknown value 'rmsprop'");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("l2":-1)"), "l2", "[0, inf)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("shuffle":"yes")"), "shuffle",
                     "false, true (seed 0) or {\"seed\": S}");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("shuffle":{"seed":-1})"), "shuffle.seed",
                     "expected an integer in 0..2^64-1, got -1");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("early_stopping":{"validation_fraction":0})"),
                     "early_stopping.validation_fraction", "(0, 1)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("early_stopping":{"validation_fraction":1})"),
                     "early_stopping.validation_fraction", "(0, 1)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("early_stopping":{"patience":0})"), "early_stopping.patience",
                     "[1,");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("early_stopping":{"min_delta":-1})"),
                     "early_stopping.min_delta", "[0, inf)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("limits":{"max_feature_matrix_mb":0})"),
                     "limits.max_feature_matrix_mb", "(0, inf)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("limits":{"max_seconds":-2})"), "limits.max_seconds",
                     "(0, inf)");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("limits":{"max_rows":3})"), "limits", "max_rows");
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("lerning_rate":3)"), "descriptor", "lerning_rate");
}

TEST(TrainDescriptor, LossLinkLabelAndShapesAgree) {
  EXPECT_TRAIN_ERROR(
      doc(R"({"type":"linear","link":"softmax","num_outputs":3})", R"("loss":"log_loss")"), "loss",
      "log_loss needs the logistic link, got softmax");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"linear"})"), "loss",
                     "give the loss (mse, log_loss or cross_entropy) or the model's link");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"linear","link":"softmax"})"), "model.num_outputs",
                     "needs at least 2 outputs, got 1");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"linear","link":"logistic","num_outputs":2})"),
                     "model.num_outputs", "needs exactly 1 outputs, got 2");
  EXPECT_TRAIN_ERROR(
      doc(R"({"type":"mlp","link":"softmax","layers":[)"
          R"({"units":4,"activation":"relu"},{"units":1,"activation":"identity"}]})"),
      "model.layers[1].units", "the output layer of a softmax model needs at least 2 units, got 1");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"mlp","link":"identity","layers":[]})"), "model.layers",
                     "non-empty array of layers");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"mlp","link":"identity","layers":[)"
                         R"({"units":1,"activation":"gelu"}]})"),
                     "model.layers[0].activation", "unknown value 'gelu'");
  EXPECT_TRAIN_ERROR(
      doc(R"({"type":"mlp","link":"identity","layers":[{"units":0,"activation":"relu"}]})"),
      "model.layers[0].units", "[1,");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"tree_ensemble","link":"identity"})"), "model.type",
                     "unknown value 'tree_ensemble'");
  EXPECT_TRAIN_ERROR(
      doc(R"({"type":"linear","link":"logistic"})", "", R"({"name":"y","type":"f64"})"),
      "label.type", "log_loss needs i64 class ids, got f64");
  EXPECT_TRAIN_ERROR(doc(kLinear, "", R"({"name":"y","type":"i64"})"), "label.type",
                     "mse needs f64 targets, got i64");
  EXPECT_TRAIN_ERROR(doc(kLinear, "", R"({"name":"a"})"), "label.name", "'a' is also an input");
  EXPECT_TRAIN_ERROR(doc(kLinear, "", R"(3)"), "label", "expected a column name, or an object");
  EXPECT_EQ(parse(doc(kLinear, "", R"("y")")).hash(), parse(doc(kLinear)).hash());
  EXPECT_TRAIN_ERROR(doc(kLinear, "", R"({"name":"y","type":"string"})"), "label.type",
                     "\"i64\" (class ids) or \"f64\" (targets)");
  // Initial parameters must have the model's shapes.
  EXPECT_TRAIN_ERROR(doc(R"({"type":"linear","link":"identity","init":)"
                         R"({"weights":[[1,2,3]],"intercepts":[0]}})"),
                     "model.init.weights[0]", "expected 2 numbers");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"linear","link":"identity","init":)"
                         R"({"weights":[[1,2],[3,4]],"intercepts":[0,0]}})"),
                     "model.init.weights", "expected 1 row (one per output), got 2");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"linear","link":"identity","init":)"
                         R"({"weights":[[1,2]],"intercepts":[0,1]}})"),
                     "model.init.intercepts", "expected 1 number");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"mlp","link":"identity","layers":[)"
                         R"({"units":2,"activation":"tanh"},{"units":1,"activation":"identity"}],)"
                         R"("init":{"layers":[{"weights":[[1,2],[3,4]],"biases":[0,0]}]}})"),
                     "model.init.layers", "expected 2 layers (as in model.layers), got 1");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"mlp","link":"identity","layers":[)"
                         R"({"units":2,"activation":"tanh"},{"units":1,"activation":"identity"}],)"
                         R"("init":{"layers":[{"weights":[[1,2],[3,4]],"biases":[0,0]},)"
                         R"({"weights":[[1,2,3]],"biases":[0]}]}})"),
                     "model.init.layers[1].weights[0]", "expected 2 numbers");
  EXPECT_TRAIN_ERROR(doc(R"({"type":"linear","link":"identity","init_seed":3})"), "model",
                     "init_seed");
  // Shapes beyond the model family's parameter bound fail before anything
  // is allocated.
  EXPECT_TRAIN_ERROR(
      doc(R"({"type":"mlp","link":"identity","layers":[)"
          R"({"units":1000000,"activation":"relu"},{"units":1000000,"activation":"relu"},)"
          R"({"units":1,"activation":"identity"}]})"),
      "model.layers", "parameters, more than the limit of 50000000 per model");
  // The pipeline front end's own errors keep their paths.
  EXPECT_TRAIN_ERROR(doc(kLinear, R"("features":["a","zz"])"), "features[1]", "zz");
}

//===----------------------------------------------------------------------===//
// The loop
//===----------------------------------------------------------------------===//

/// Owns a, b (f64) and the label column of one training call.
struct Data {
  std::vector<double> a, b, yf;
  std::vector<int64_t> yi;
  std::vector<Column> columns() const {
    std::vector<Column> c = {Column::f64(a.data(), a.size()), Column::f64(b.data(), b.size())};
    if (!yi.empty())
      c.push_back(Column::i64(yi.data(), yi.size()));
    else
      c.push_back(Column::f64(yf.data(), yf.size()));
    return c;
  }
};

/// The trained model's `model` object as parsed JSON.
llvm::json::Object modelObject(const TrainResult &r) {
  auto v = llvm::json::parse(r.modelJson);
  EXPECT_TRUE(static_cast<bool>(v));
  if (!v)
    return {};
  return *v->getAsObject()->getObject("model");
}
std::vector<double> numbers(const llvm::json::Value *v) {
  std::vector<double> out;
  for (const llvm::json::Value &x : *v->getAsArray()) {
    if (const llvm::json::Array *row = x.getAsArray())
      for (const llvm::json::Value &y : *row)
        out.push_back(*y.getAsNumber());
    else
      out.push_back(*x.getAsNumber());
  }
  return out;
}

TEST(TrainLoop, SplitMix64IsTheReferenceGenerator) {
  // SplitMix64's published first outputs for seed 0; the shuffle and the
  // Glorot draw depend on them bit for bit on every platform.
  uint64_t s = 0;
  EXPECT_EQ(specjit::train::splitMix64(s), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(specjit::train::splitMix64(s), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(specjit::train::splitMix64(s), 0x06C45D188009454Full);
}

TEST(TrainLoop, OneSgdStepByHand) {
  // One row x = (1, 2), y = 3, W = 0, b = 0, lr 0.1: z = 0, dz = 2 (0 - 3)
  // = -6, g = (-6, -12), gb = -6; W = (0.6, 1.2), b = 0.6.
  Descriptor d =
      parse(doc(kLinear, R"("epochs":1,"optimizer":{"type":"sgd","learning_rate":0.1})"));
  Data data{{1}, {2}, {3}, {}};
  auto r = train(d, data.columns());
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  auto m = modelObject(*r);
  EXPECT_EQ(numbers(m.get("weights")),
            (std::vector<double>{0.6000000000000001, 1.2000000000000002}));
  EXPECT_EQ(numbers(m.get("intercepts")), (std::vector<double>{0.6000000000000001}));
  ASSERT_EQ(r->history.size(), 1u);
  EXPECT_EQ(r->history[0].trainLoss, 9.0); // (0 - 3)^2 before the update
  EXPECT_TRUE(std::isnan(r->history[0].validationLoss));
  EXPECT_EQ(r->stop, StopReason::Epochs);
}

TEST(TrainLoop, MomentumAndL2) {
  // Two epochs of one row with momentum 0.5 and l2 1: by hand,
  // epoch 1: g = (-6, -12) + 1 * 0, v = g, W = -0.1 v = (0.6, 1.2), b = 0.6.
  // epoch 2: z = 0.6 + 2.4 + 0.6 = 3.6, dz = 1.2, g = (1.2 + 0.6, 2.4 + 1.2)
  //   = (1.8, 3.6), v = 0.5 (-6, -12) + g = (-1.2, -2.4), W = (0.72, 1.44);
  //   gb = 1.2, vb = -3 + 1.2 = -1.8, b = 0.78.
  Descriptor d =
      parse(doc(kLinear, R"("epochs":2,"l2":1,)"
                         R"("optimizer":{"type":"sgd","learning_rate":0.1,"momentum":0.5})"));
  Data data{{1}, {2}, {3}, {}};
  auto r = train(d, data.columns());
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  auto m = modelObject(*r);
  std::vector<double> w = numbers(m.get("weights")), b = numbers(m.get("intercepts"));
  EXPECT_NEAR(w[0], 0.72, 1e-15);
  EXPECT_NEAR(w[1], 1.44, 1e-15);
  EXPECT_NEAR(b[0], 0.78, 1e-15);
  EXPECT_NEAR(r->history[1].trainLoss, 0.36, 1e-14); // (3.6 - 3)^2
}

TEST(TrainLoop, OneAdamStepMovesEachParameterByTheLearningRate) {
  // After one step m/(1-b1) = g and v/(1-b2) = g^2: each parameter moves by
  // lr * g / (|g| + eps), i.e. by almost exactly lr against its gradient.
  Descriptor d =
      parse(doc(kLinear, R"("epochs":1,"optimizer":{"type":"adam","learning_rate":0.01})"));
  Data data{{1}, {2}, {3}, {}};
  auto r = train(d, data.columns());
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  auto m = modelObject(*r);
  std::vector<double> w = numbers(m.get("weights"));
  EXPECT_NEAR(w[0], 0.01 * 6 / (6 + 1e-8), 1e-15);
  EXPECT_NEAR(w[1], 0.01 * 12 / (12 + 1e-8), 1e-15);
}

/// n rows of a noisy line y = 2a - b + 0.5.
Data line(int n, uint64_t seed = 1) {
  Data d;
  uint64_t s = seed;
  auto uniform = [&] { return (specjit::train::splitMix64(s) >> 11) * 0x1.0p-53; };
  for (int i = 0; i < n; ++i) {
    double a = uniform() * 2 - 1, b = uniform() * 2 - 1;
    d.a.push_back(a);
    d.b.push_back(b);
    d.yf.push_back(2 * a - b + 0.5 + 0.01 * (uniform() - 0.5));
  }
  return d;
}

TEST(TrainLoop, LearnsALineAndTheModelRunsCompiled) {
  Descriptor d =
      parse(doc(kLinear, R"("epochs":40,"batch_size":8,"shuffle":{"seed":3},)"
                         R"("optimizer":{"type":"sgd","learning_rate":0.05,"momentum":0.5})"));
  Data data = line(200);
  auto r = train(d, data.columns());
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  auto m = modelObject(*r);
  std::vector<double> w = numbers(m.get("weights")), b = numbers(m.get("intercepts"));
  EXPECT_NEAR(w[0], 2.0, 0.01);
  EXPECT_NEAR(w[1], -1.0, 0.01);
  EXPECT_NEAR(b[0], 0.5, 0.01);
  EXPECT_LT(r->history.back().trainLoss, r->history.front().trainLoss);
  // The result is a model descriptor the engine runs, on both backends.
  EXPECT_EQ(r->model.kind(), Kind::Model);
  std::vector<double> out(200), ref(200);
  for (bool specialize : {true, false}) {
    CompileOptions o;
    o.specialize = specialize;
    auto k = compile(r->model, o);
    ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
    std::vector<Column> in = {Column::f64(data.a.data(), 200), Column::f64(data.b.data(), 200)};
    ASSERT_FALSE(
        static_cast<bool>(k->run(in, Output::f64(specialize ? out.data() : ref.data(), 200, 1))));
  }
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(out[i], ref[i]);
    EXPECT_NEAR(out[i], w[0] * data.a[i] + w[1] * data.b[i] + b[0], 1e-12);
  }
  // The same descriptor and data train to the same bits again.
  auto again = train(d, data.columns());
  ASSERT_TRUE(static_cast<bool>(again));
  EXPECT_EQ(again->modelJson, r->modelJson);
}

TEST(TrainLoop, EarlyStoppingRestoresTheBestEpoch) {
  // A learning rate that overshoots after a few epochs: validation loss
  // rises, training stops after `patience` epochs and keeps the best one.
  Descriptor d = parse(doc(
      kLinear, R"("epochs":100,"batch_size":4,)"
               R"("optimizer":{"type":"sgd","learning_rate":0.02},)"
               R"("early_stopping":{"validation_fraction":0.25,"patience":2,"min_delta":0.001})"));
  Data data = line(80);
  auto r = train(d, data.columns());
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  ASSERT_FALSE(r->history.empty());
  // The best epoch is the first whose validation loss nothing after it beat
  // by min_delta, and the stop came `patience` epochs later.
  double best = INFINITY;
  int64_t bestEpoch = 0, since = 0;
  for (const EpochRecord &e : r->history) {
    EXPECT_FALSE(std::isnan(e.validationLoss));
    if (e.validationLoss < best - 0.001) {
      best = e.validationLoss;
      bestEpoch = e.epoch;
      since = 0;
    } else {
      ++since;
    }
  }
  EXPECT_EQ(r->bestEpoch, bestEpoch);
  if (r->stop == StopReason::EarlyStopping)
    EXPECT_EQ(since, 2);
  else
    EXPECT_EQ(r->history.size(), 100u);
  // Training again with epochs = the best epoch and no early stopping
  // but the same validation rows held out gives the same parameters.
  Descriptor upToBest = parse(doc(
      kLinear,
      R"("epochs":)" + std::to_string(bestEpoch) +
          R"(,"batch_size":4,"optimizer":{"type":"sgd","learning_rate":0.02},)"
          R"("early_stopping":{"validation_fraction":0.25,"patience":1000,"min_delta":0.001})"));
  auto r2 = train(upToBest, data.columns());
  ASSERT_TRUE(static_cast<bool>(r2));
  EXPECT_EQ(modelObject(*r2), modelObject(*r));
}

TEST(TrainLoop, GlorotInitIsSeededAndClassesTrain) {
  // A 2-4-3 softmax MLP on three separable clusters; the seed decides the
  // start, so two seeds give different models and one seed the same one.
  std::string model = R"({"type":"mlp","link":"softmax","layers":[)"
                      R"({"units":4,"activation":"tanh"},{"units":3,"activation":"identity"}],)"
                      R"("init_seed":SEED})";
  auto withSeed = [&](int seed) {
    std::string m = model;
    m.replace(m.find("SEED"), 4, std::to_string(seed));
    return parse(
        doc(m, R"("epochs":60,"batch_size":10,"optimizer":{"type":"adam","learning_rate":0.05})",
            R"({"name":"y"})"));
  };
  Data data;
  for (int i = 0; i < 90; ++i) {
    int c = i % 3;
    data.a.push_back(c == 0 ? -1.0 + 0.01 * i : c == 1 ? 1.0 - 0.005 * i : 0.0);
    data.b.push_back(c == 2 ? 1.5 : -0.5 + 0.003 * i);
    data.yi.push_back(c);
  }
  auto r1 = train(withSeed(1), data.columns());
  auto r1b = train(withSeed(1), data.columns());
  auto r2 = train(withSeed(2), data.columns());
  ASSERT_TRUE(r1 && r1b && r2);
  EXPECT_EQ(r1->modelJson, r1b->modelJson);
  EXPECT_NE(r1->modelJson, r2->modelJson);
  EXPECT_LT(r1->history.back().trainLoss, 0.1);
  // The model predicts every class right.
  auto k = compile(r1->model);
  ASSERT_TRUE(static_cast<bool>(k));
  std::vector<double> p(90 * 3);
  std::vector<Column> in = {Column::f64(data.a.data(), 90), Column::f64(data.b.data(), 90)};
  ASSERT_FALSE(static_cast<bool>(k->run(in, Output::f64(p.data(), 90, 3))));
  for (int i = 0; i < 90; ++i) {
    int best = std::max_element(&p[i * 3], &p[i * 3] + 3) - &p[i * 3];
    EXPECT_EQ(best, data.yi[i]) << "row " << i;
  }
}

//===----------------------------------------------------------------------===//
// Limits and failures
//===----------------------------------------------------------------------===//

TEST(TrainLimits, FeatureMatrixLimitNamesBothNumbers) {
  Descriptor d = parse(doc(kLinear, R"("limits":{"max_feature_matrix_mb":0.001})"));
  Data data = line(100); // 100 x 2 x 8 bytes = 0.0015 MB
  auto r = train(d, data.columns());
  ASSERT_FALSE(static_cast<bool>(r));
  std::string err = llvm::toString(r.takeError());
  EXPECT_NE(err.find("limits.max_feature_matrix_mb: the feature matrix of 100 rows x 2 "
                     "features x 8 bytes is 0.001526 MB, more than the limit of 0.001 MB"),
            std::string::npos)
      << err;
}

TEST(TrainLimits, WorkingMemoryIsBoundedBeforeAllocation) {
  // 1,000 x 4,000 activations and deltas per row of a huge batch.
  Descriptor d =
      parse(doc(R"({"type":"mlp","link":"identity","layers":[)"
                R"({"units":4000,"activation":"relu"},{"units":1,"activation":"identity"}]})",
                R"("batch_size":1099511627776)"));
  Data data = line(300000);
  auto r = train(d, data.columns());
  ASSERT_FALSE(static_cast<bool>(r));
  std::string err = llvm::toString(r.takeError());
  EXPECT_NE(err.find("batch_size: batches of 300000 rows over layers of 4001 units in all "
                     "need"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("more than the limit of 8192 MB"), std::string::npos) << err;
}

TEST(TrainLimits, TimeLimitStopsCleanlyWithTheBestParameters) {
  Descriptor d =
      parse(doc(kLinear, R"("epochs":100000000,"batch_size":1,)"
                         R"("early_stopping":{"validation_fraction":0.5,"patience":100000000},)"
                         R"("limits":{"max_seconds":1.0})"));
  // The budget includes compiling the step (~0.1 s, several times that on a
  // loaded machine): 1 s leaves whole epochs to run.
  Data data = line(40);
  auto t0 = std::chrono::steady_clock::now();
  auto r = train(d, data.columns());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(r->stop, StopReason::TimeLimit);
  EXPECT_LT(secs, 10.0);
  ASSERT_FALSE(r->history.empty());
  EXPECT_GE(r->bestEpoch, 1);
}

TEST(TrainLimits, NonFiniteLossNamesEpochAndBatch) {
  Descriptor d = parse(doc(kLinear, R"("epochs":50,"batch_size":5,)"
                                    R"("optimizer":{"type":"sgd","learning_rate":1e6})"));
  Data data = line(20);
  auto r = train(d, data.columns());
  ASSERT_FALSE(static_cast<bool>(r));
  std::string err = llvm::toString(r.takeError());
  EXPECT_TRUE(StringRef(err).starts_with("epoch ")) << err;
  EXPECT_NE(err.find(", batch "), std::string::npos) << err;
  EXPECT_NE(err.find("the training loss is "), std::string::npos) << err;
}

TEST(TrainLimits, DataErrorsNameTheRow) {
  Descriptor d = parse(doc(R"({"type":"linear","link":"logistic"})"));
  Data data = line(10);
  data.yf.clear();
  data.yi.assign(10, 0);
  data.yi[7] = 2;
  auto r = train(d, data.columns());
  ASSERT_FALSE(static_cast<bool>(r));
  llvm::Error e = r.takeError();
  ASSERT_TRUE(e.isA<RowError>());
  llvm::handleAllErrors(std::move(e), [](const RowError &re) {
    EXPECT_EQ(re.row(), 7);
    EXPECT_EQ(re.detail(), "label 'y' is 2, expected a class id in 0..1");
  });
  Descriptor reg = parse(doc(kLinear));
  Data nan = line(10);
  nan.yf[3] = NAN;
  auto r2 = train(reg, nan.columns());
  ASSERT_FALSE(static_cast<bool>(r2));
  EXPECT_EQ(llvm::toString(r2.takeError()),
            "row 3: label 'y' is missing (NaN), expected a finite target");
  Data badFeature = line(10);
  badFeature.b[4] = INFINITY;
  auto r3 = train(reg, badFeature.columns());
  ASSERT_FALSE(static_cast<bool>(r3));
  EXPECT_EQ(llvm::toString(r3.takeError()),
            "row 4: feature 'b' is infinite (impute or clip it in `steps`)");
  Data empty;
  auto r4 = train(reg, empty.columns());
  ASSERT_FALSE(static_cast<bool>(r4));
  EXPECT_EQ(llvm::toString(r4.takeError()), "train: the data have no rows");
  // A validation split of no rows.
  Descriptor es = parse(doc(kLinear, R"("early_stopping":{"validation_fraction":0.05})"));
  auto r5 = train(es, line(10).columns());
  ASSERT_FALSE(static_cast<bool>(r5));
  EXPECT_NE(llvm::toString(r5.takeError()).find("no validation row"), std::string::npos);
  // Wrong column types and counts.
  Data keep = line(10);
  auto r6 = train(reg, llvm::ArrayRef<Column>(keep.columns()).drop_back());
  ASSERT_FALSE(static_cast<bool>(r6));
  EXPECT_NE(llvm::toString(r6.takeError()).find("expected 3 input columns, got 2"),
            std::string::npos);
  // Not a train descriptor.
  auto pipeline = Descriptor::parse(
      R"({"specjit":1,"kind":"pipeline","inputs":[{"name":"a","type":"f64"}],"output":{"type":"f32"},"steps":[]})");
  ASSERT_TRUE(static_cast<bool>(pipeline));
  auto r7 = train(*pipeline, keep.columns());
  ASSERT_FALSE(static_cast<bool>(r7));
  EXPECT_EQ(llvm::toString(r7.takeError()),
            "train: expected a train descriptor, got kind 'pipeline'");
  // And a train descriptor does not compile into a kernel.
  auto k = compile(reg);
  ASSERT_FALSE(static_cast<bool>(k));
  EXPECT_NE(llvm::toString(k.takeError()).find("run it with jit::train"), std::string::npos);
}

TEST(TrainLimits, CancellationAndTheConcurrencyCap) {
  Descriptor slow = parse(doc(kLinear, R"("epochs":100000000,"batch_size":1)"));
  Data data = line(50);
  std::atomic<bool> cancel{false};
  std::atomic<int> epochsSeen{0};
  TrainOptions o;
  o.cancel = &cancel;
  o.progress = [&](const TrainProgress &p) {
    epochsSeen = static_cast<int>(p.last.epoch);
    EXPECT_EQ(p.epochs, 100000000);
    EXPECT_GT(p.rowsPerSecond, 0);
  };
  setMaxConcurrentTrainings(1);
  llvm::Expected<TrainResult> first =
      llvm::make_error<llvm::StringError>("not run", llvm::inconvertibleErrorCode());
  std::thread t([&] { first = train(slow, data.columns(), o); });
  while (epochsSeen.load() < 3)
    std::this_thread::yield();
  // The one slot is taken: a second training fails at once.
  auto second = train(slow, data.columns());
  ASSERT_FALSE(static_cast<bool>(second));
  EXPECT_NE(llvm::toString(second.takeError()).find("1 trainings already run"), std::string::npos);
  cancel = true;
  t.join();
  ASSERT_FALSE(static_cast<bool>(first));
  EXPECT_NE(llvm::toString(first.takeError()).find("training cancelled in epoch"),
            std::string::npos);
  setMaxConcurrentTrainings(4);
  // The slot is free again.
  Descriptor quick = parse(doc(kLinear, R"("epochs":1)"));
  EXPECT_TRUE(static_cast<bool>(train(quick, data.columns())));
}

/// Both backends, for the checks an epoch makes after every batch.
std::vector<TrainOptions> bothBackends() {
  TrainOptions jit, interp;
  jit.specialize = true;
  interp.specialize = false;
  return {jit, interp};
}

TEST(TrainLimits, StopChecksFollowEveryBatchOnBothBackends) {
  // A cancellation flag set before the start stops after the first batch.
  std::atomic<bool> cancel{true};
  Descriptor d = parse(doc(kLinear, R"("epochs":3,"batch_size":5)"));
  for (TrainOptions o : bothBackends()) {
    o.cancel = &cancel;
    auto r = train(d, line(40).columns(), o);
    ASSERT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(llvm::toString(r.takeError()), "training cancelled in epoch 1, batch 1");
  }
  // A non-finite loss names its batch: row 23's target overflows the
  // squared error in batch 5 (rows 20..24) of epoch 1.
  Data data = line(40);
  data.yf[23] = 1e200;
  for (const TrainOptions &o : bothBackends()) {
    auto r = train(d, data.columns(), o);
    ASSERT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(llvm::toString(r.takeError()),
              "epoch 1, batch 5: the training loss is inf (try a smaller learning_rate, "
              "or scale the features)");
  }
  // A time limit already past at the start stops after the first batch:
  // no finished epoch, and the parameters after exactly one batch, which
  // are those of one epoch over the first batch's rows alone.
  Descriptor quick = parse(doc(kLinear, R"("epochs":3,"batch_size":5,)"
                                        R"("limits":{"max_seconds":1e-12})"));
  Descriptor oneBatch = parse(doc(kLinear, R"("epochs":1,"batch_size":5)"));
  Data first5 = line(40);
  first5.a.resize(5);
  first5.b.resize(5);
  first5.yf.resize(5);
  for (const TrainOptions &o : bothBackends()) {
    auto r = train(quick, line(40).columns(), o);
    ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
    EXPECT_EQ(r->stop, StopReason::TimeLimit);
    EXPECT_TRUE(r->history.empty());
    EXPECT_EQ(r->bestEpoch, 0);
    auto ref = train(oneBatch, first5.columns(), o);
    ASSERT_TRUE(static_cast<bool>(ref)) << llvm::toString(ref.takeError());
    EXPECT_EQ(numbers(modelObject(*r).get("weights")), numbers(modelObject(*ref).get("weights")));
    EXPECT_EQ(numbers(modelObject(*r).get("intercepts")),
              numbers(modelObject(*ref).get("intercepts")));
  }
  // A limit too far to reach (1e300 s) never stops training.
  Descriptor far = parse(doc(kLinear, R"("epochs":3,"batch_size":5,)"
                                      R"("limits":{"max_seconds":1e300})"));
  for (const TrainOptions &o : bothBackends()) {
    auto r = train(far, line(40).columns(), o);
    ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
    EXPECT_EQ(r->stop, StopReason::Epochs);
    EXPECT_EQ(r->history.size(), 3u);
  }
}

TEST(TrainLimits, StopFlagsSetByOtherThreadsEndTheEpoch) {
  // Epochs of 200,000 single-row batches (several ms each). Cancelled from
  // another thread once the training is under way, it stops inside an
  // epoch with the error naming the batch after which it looked; with a
  // time limit, the timer thread's flag ends it cleanly.
  Descriptor d = parse(doc(kLinear, R"("epochs":1000,"batch_size":1)"));
  Descriptor limited = parse(doc(kLinear, R"("epochs":1000000,"batch_size":1,)"
                                          R"("limits":{"max_seconds":0.3})"));
  Data data = line(200000);
  for (TrainOptions o : bothBackends()) {
    std::atomic<bool> cancel{false};
    o.cancel = &cancel;
    llvm::Expected<TrainResult> r =
        llvm::make_error<llvm::StringError>("not run", llvm::inconvertibleErrorCode());
    std::thread t([&] { r = train(d, data.columns(), o); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
    t.join();
    ASSERT_FALSE(static_cast<bool>(r));
    std::string err = llvm::toString(r.takeError());
    EXPECT_TRUE(StringRef(err).starts_with("training cancelled in epoch ")) << err;
    size_t at = err.find(", batch ");
    ASSERT_NE(at, std::string::npos) << err;
    long long batch = std::atoll(err.c_str() + at + 8);
    EXPECT_GE(batch, 1) << err;
    EXPECT_LE(batch, 200000) << err;

    cancel = false;
    auto t0 = std::chrono::steady_clock::now();
    auto timed = train(limited, data.columns(), o);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(static_cast<bool>(timed)) << llvm::toString(timed.takeError());
    EXPECT_EQ(timed->stop, StopReason::TimeLimit);
    EXPECT_LT(secs, 10.0);
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// The compiled batch step against the generic one
//===----------------------------------------------------------------------===//

namespace {

/// Every model shape, loss and optimizer the family has, with l2, momentum,
/// shuffling, odd batch sizes and early stopping: the compiled loop must
/// train to the same bits as the generic one.
TEST(TrainJit, EqualsTheInterpreterBitForBit) {
  struct Case {
    const char *model, *loss, *label;
  };
  const Case cases[] = {
      {R"({"type":"linear","link":"identity"})", "mse", R"({"name":"y","type":"f64"})"},
      {R"({"type":"linear","link":"logistic"})", "log_loss", R"({"name":"y","type":"i64"})"},
      {R"({"type":"linear","link":"softmax","num_outputs":3})", "cross_entropy",
       R"({"name":"y","type":"i64"})"},
      {R"({"type":"mlp","link":"identity","layers":[{"units":5,"activation":"relu"},)"
       R"({"units":1,"activation":"identity"}]})",
       "mse", R"({"name":"y","type":"f64"})"},
      {R"({"type":"mlp","link":"logistic","layers":[{"units":4,"activation":"tanh"},)"
       R"({"units":3,"activation":"logistic"},{"units":1,"activation":"identity"}]})",
       "log_loss", R"({"name":"y","type":"i64"})"},
      {R"({"type":"mlp","link":"softmax","layers":[{"units":6,"activation":"logistic"},)"
       R"({"units":3,"activation":"tanh"}]})",
       "cross_entropy", R"({"name":"y","type":"i64"})"},
      {R"({"type":"mlp","link":"identity","layers":[{"units":3,"activation":"identity"},)"
       R"({"units":1,"activation":"relu"}]})",
       "mse", R"({"name":"y","type":"f64"})"},
      // Layers wide enough to run forward with the outputs in vector lanes
      // (one summed in a single chain, one in four partial sums and a tail).
      {R"({"type":"mlp","link":"logistic","layers":[{"units":9,"activation":"tanh"},)"
       R"({"units":10,"activation":"relu"},{"units":1,"activation":"identity"}]})",
       "log_loss", R"({"name":"y","type":"i64"})"},
      // A wide layer after more inputs than are unrolled (70 > 64): its
      // sums kept in memory, four partial sums and a tail of two.
      {R"({"type":"mlp","link":"identity","layers":[{"units":70,"activation":"relu"},)"
       R"({"units":8,"activation":"tanh"},{"units":1,"activation":"identity"}]})",
       "mse", R"({"name":"y","type":"f64"})"},
  };
  const char *optimizers[] = {
      R"({"type":"sgd","learning_rate":0.05})",
      R"({"type":"sgd","learning_rate":0.02,"momentum":0.9})",
      R"({"type":"adam","learning_rate":0.01})",
      R"({"type":"adam","learning_rate":0.003,"beta1":0.8,"beta2":0.99,"epsilon":1e-6})",
  };
  const char *schedules[] = {
      R"("epochs":4,"batch_size":7)",
      R"("epochs":6,"batch_size":1,"shuffle":{"seed":11},"l2":0.01)",
      R"("epochs":30,"batch_size":16,"shuffle":true,"l2":0.001,)"
      R"("early_stopping":{"validation_fraction":0.3,"patience":2})",
      R"("epochs":2,"batch_size":500)",
  };
  Data base = line(97, 5);
  int compiled = 0;
  for (const Case &c : cases)
    for (const char *opt : optimizers)
      for (const char *sched : schedules) {
        std::string text = doc(
            c.model, std::string(R"("loss":")") + c.loss + R"(","optimizer":)" + opt + "," + sched,
            c.label);
        Descriptor d = parse(text);
        Data data = base;
        if (StringRef(c.label).contains("i64")) {
          int64_t k = StringRef(c.loss) == "cross_entropy" ? 3 : 2;
          data.yf.clear();
          for (size_t i = 0; i < data.a.size(); ++i)
            data.yi.push_back((data.a[i] > 0 ? 1 : 0) + (k == 3 && data.b[i] > 0.3 ? 1 : 0));
        }
        TrainOptions jit, interp;
        jit.specialize = true;
        interp.specialize = false;
        auto rj = train(d, data.columns(), jit);
        auto ri = train(d, data.columns(), interp);
        ASSERT_TRUE(static_cast<bool>(rj)) << text << "\n" << llvm::toString(rj.takeError());
        ASSERT_TRUE(static_cast<bool>(ri)) << text << "\n" << llvm::toString(ri.takeError());
        EXPECT_EQ(ri->backend, Backend::Interpreter);
        EXPECT_EQ(rj->backend, Backend::Jit) << text << "\n" << rj->fallbackReason;
        compiled += rj->backend == Backend::Jit;
        EXPECT_EQ(rj->modelJson, ri->modelJson) << text;
        ASSERT_EQ(rj->history.size(), ri->history.size()) << text;
        for (size_t e = 0; e < ri->history.size(); ++e) {
          EXPECT_EQ(rj->history[e].trainLoss, ri->history[e].trainLoss) << text;
          if (!std::isnan(ri->history[e].validationLoss))
            EXPECT_EQ(rj->history[e].validationLoss, ri->history[e].validationLoss) << text;
        }
        EXPECT_EQ(rj->bestEpoch, ri->bestEpoch) << text;
        EXPECT_EQ(rj->stop, ri->stop) << text;
      }
  EXPECT_EQ(compiled, 9 * 4 * 4);
}

TEST(TrainJit, CompilerFailureFallsBackToTheGenericLoop) {
  Descriptor d = parse(doc(kLinear, R"("epochs":2)"));
  Data data = line(20);
  specjit::jit::testing::setFailureInjection(Stage::LLVMOpt);
  TrainOptions o;
  o.specialize = true;
  // A descriptor of its own (another l2), so the step is not compiled yet.
  Descriptor fresh = parse(doc(kLinear, R"("epochs":2,"l2":0.125)"));
  auto r = train(fresh, data.columns(), o);
  specjit::jit::testing::setFailureInjection(std::nullopt);
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(r->backend, Backend::Interpreter);
  EXPECT_NE(r->fallbackReason.find("injected"), std::string::npos) << r->fallbackReason;
  // And without the failure it compiles and agrees.
  auto again = train(fresh, data.columns(), o);
  ASSERT_TRUE(static_cast<bool>(again));
  EXPECT_EQ(again->backend, Backend::Jit);
  EXPECT_EQ(again->modelJson, r->modelJson);
  (void)d;
}

} // namespace
