//===- ModelSpec.h - The analyzed `model` descriptor -----------*- C++ -*-===//
//
// Internal: what ModelDescriptor.cpp (and the XGBoost importer, and the
// train family's result) makes of a `kind: "model"` document
// (docs/model-semantics.md).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_MODEL_MODELSPEC_H
#define SPECJIT_LIB_FAMILIES_MODEL_MODELSPEC_H

#include "Families/Pipeline/PipelineSpec.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
namespace json {
class Object;
} // namespace json
} // namespace llvm

namespace specjit {
namespace jit {

enum class ModelType : uint8_t { Linear, TreeEnsemble, Mlp };
/// How margins become the output: identity, logistic (1 / (1 + exp(-m))) per
/// output, softmax across the outputs, or argmax (the index of the largest
/// margin, one output column).
enum class Link : uint8_t { Identity, Logistic, Softmax, Argmax };
enum class Activation : uint8_t { Identity, Relu, Tanh, Logistic };
llvm::StringRef modelTypeName(ModelType t);
llvm::StringRef linkName(Link l);
llvm::StringRef activationName(Activation a);

/// One node of a decision tree; node 0 is the root. A split sends `x` to
/// `left` when `x < threshold`, to `right` otherwise, and a missing (NaN)
/// `x` to the default side.
struct TreeNode {
  int32_t feature = -1; ///< -1 for a leaf
  double threshold = 0.0;
  int32_t left = -1, right = -1;
  bool defaultLeft = true;
  double leaf = 0.0; ///< leaves only
};

struct Tree {
  std::vector<TreeNode> nodes;
  int32_t group = 0; ///< the output (class) this tree adds to
};

struct DenseLayer {
  int32_t inputs = 0, outputs = 0;
  std::vector<double> weights; ///< outputs x inputs, row-major
  std::vector<double> biases;  ///< outputs
  Activation activation = Activation::Identity;
};

struct ModelSpec {
  static constexpr Kind kKind = Kind::Model;

  std::string name;
  /// Inputs, optional preprocessing steps and (in plan.outputNames) the
  /// model's features, in order. A model without steps reads its inputs.
  PipelineSpec pipeline;
  ModelType type = ModelType::Linear;
  int32_t numFeatures = 0;
  int32_t numOutputs = 1;
  // linear: weights is numOutputs x numFeatures, row-major
  std::vector<double> weights, intercepts;
  // tree ensembles
  std::vector<Tree> trees;
  std::vector<double> baseScore; ///< per output, in margin space
  bool average = false;          ///< random forests: sum / number of trees per output
  bool float32 = false;          ///< XGBoost semantics: f32 features, thresholds, leaves and sums
  // mlp
  std::vector<DenseLayer> layers;
  Link link = Link::Identity;
  bool margin = false; ///< output margins (skip the link)
  DType outputType = DType::F32;
  std::vector<std::string> outputNames;
};

namespace detail {

/// ModelDescriptor.cpp: a validated `kind: "model"` document.
llvm::Expected<Descriptor> parseModel(const llvm::json::Object &root);
/// A model's output columns when `output.columns` is absent: `class` for
/// an argmax (`classIndex`), `prediction` for one column, else
/// `class_0 ... class_{n-1}`.
std::vector<std::string> defaultModelOutputNames(size_t columns, bool classIndex);
/// ModelCanonical.cpp: the canonical text of a validated spec.
std::string canonicalModelText(const ModelSpec &spec);
/// The text of a model descriptor for `spec` (its canonical form with the
/// `name` in front): how the train family writes the model it trained
/// (ModelCanonical.cpp).
std::string modelDescriptorText(const ModelSpec &spec);

} // namespace detail
} // namespace jit

namespace interp {

class Interpreter;

/// ModelInterpreter.cpp, docs/model-semantics.md: the preprocessing runs on the pipeline
/// interpreter (FeatureProgram), the model per block on the features. The result keeps no reference
/// to the spec.
llvm::Expected<std::unique_ptr<Interpreter>> createModelInterpreter(const jit::ModelSpec &spec);

} // namespace interp
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_MODEL_MODELSPEC_H
