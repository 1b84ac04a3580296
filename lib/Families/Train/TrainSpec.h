//===- TrainSpec.h - The analyzed `train` descriptor ------------*- C++ -*-===//
//
// Internal: what lib/Families/Train/TrainDescriptor.cpp makes of a
// `kind: "train"` document (docs/train-semantics.md), read by the trainer and
// by the eval family's cross-validation.
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_TRAIN_TRAINSPEC_H
#define SPECJIT_LIB_FAMILIES_TRAIN_TRAINSPEC_H

#include "Families/Model/ModelSpec.h"

#include "specjit/Descriptor.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Object;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

enum class Loss : uint8_t { Mse, LogLoss, CrossEntropy };
enum class OptimizerType : uint8_t { Sgd, Adam };
llvm::StringRef lossName(Loss l);
llvm::StringRef optimizerName(OptimizerType o);

/// One layer of an MLP to train: its width and activation.
struct LayerShape {
  int32_t units = 0;
  Activation activation = Activation::Identity;
};

struct TrainSpec {
  static constexpr Kind kKind = Kind::Train;

  std::string name;
  /// Inputs, steps and features (plan.outputNames), as in the model family.
  PipelineSpec pipeline;
  /// The label column: i64 class ids (log_loss, cross_entropy) or f64
  /// targets (mse). Not a feature.
  InputColumn label;
  /// pipeline.inputs then the label: the columns a data file provides.
  std::vector<InputColumn> dataColumns;

  ModelType modelType = ModelType::Linear; ///< Linear or Mlp
  Link link = Link::Identity;              ///< Identity, Logistic or Softmax
  int32_t numFeatures = 0;
  int32_t numOutputs = 1;
  std::vector<LayerShape> layers; ///< mlp only; the last is the output
  /// Explicit initial parameters (`model.init`), in the model family's
  /// layout: linear weights (numOutputs x numFeatures) and intercepts; mlp
  /// layers' weights (outputs x inputs) and biases. Empty: the default
  /// initialization (zeros, or Glorot-uniform from initSeed).
  bool hasInit = false;
  std::vector<double> initWeights, initIntercepts;
  std::vector<DenseLayer> initLayers;
  uint64_t initSeed = 0;

  Loss loss = Loss::Mse;
  OptimizerType optimizer = OptimizerType::Sgd;
  double learningRate = 0.01;
  double momentum = 0.0;                             ///< sgd
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8; ///< adam
  int64_t epochs = 10;
  int64_t batchSize = 32;
  std::optional<uint64_t> shuffleSeed; ///< none: rows in order
  double l2 = 0.0;

  bool earlyStopping = false;
  double validationFraction = 0.1;
  int64_t patience = 5;
  double minDelta = 0.0;

  double maxFeatureMatrixMB = 4096; ///< limits.max_feature_matrix_mb
  std::optional<double> maxSeconds; ///< limits.max_seconds
};

namespace detail {

/// TrainDescriptor.cpp: a validated `kind: "train"` document, and its
/// lines for `specjit info`.
llvm::Expected<Descriptor> parseTrain(const llvm::json::Object &root);
std::string summarizeTrain(const TrainSpec &spec);

} // namespace detail
} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_TRAIN_TRAINSPEC_H
