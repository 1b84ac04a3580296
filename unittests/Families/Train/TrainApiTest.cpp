//===- TrainApiTest.cpp - jit::train's data errors, limits and controls ---===//
//
// On small synthesized descriptors: the data errors and limits of
// docs/train-semantics.md ("Limits and failures"), its documented
// validation messages, cancellation and the concurrency cap. The reference
// cases (test/data/train/, against the numpy reference) run under lit as
// `specjit check` (tools/specjit/CheckTrainEval.cpp).
//
//===----------------------------------------------------------------------===//

#include "specjit/Descriptor.h"
#include "specjit/Train.h"

#include "llvm/ADT/StringRef.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace specjit;
using namespace specjit::jit;

namespace {

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
