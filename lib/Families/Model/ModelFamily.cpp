//===- ModelFamily.cpp - The model family ---------------------------------===//
//
// docs/model-semantics.md: a trained linear model, tree ensemble or MLP
// with optional preprocessing in front, row by row.
//
//===----------------------------------------------------------------------===//

#include "Families/Family.h"
#include "Families/Model/ModelSpec.h"
#include "Families/Model/ModelToSpec.h"

#include "Interpreter/Interpreter.h"

#include "llvm/Support/raw_ostream.h"

namespace specjit {
namespace jit {
namespace {

class ModelFamily final : public FamilyOf<ModelSpec> {
public:
  ModelFamily() : FamilyOf("model") {}

  llvm::Expected<Descriptor> parse(const llvm::json::Object &root) const override {
    return detail::parseModel(root);
  }
  const std::string &name(const Descriptor &d) const override { return spec(d).name; }
  const std::vector<std::string> &outputNames(const Descriptor &d) const override {
    return spec(d).outputNames;
  }
  DType outputType(const Descriptor &d) const override { return spec(d).outputType; }
  const std::vector<InputColumn> &inputs(const Descriptor &d) const override {
    return spec(d).pipeline.inputs;
  }
  RunShape runShape() const override { return RunShape::Rows; }
  std::string summary(const Descriptor &d) const override {
    const ModelSpec &m = spec(d);
    std::string out;
    llvm::raw_string_ostream os(out);
    os << "steps: " << m.pipeline.steps.size() << "\n";
    os << "model: " << modelTypeName(m.type) << ", " << m.numFeatures << " features, "
       << m.numOutputs << " outputs, link " << linkName(m.link) << (m.margin ? " (margins)" : "");
    if (m.type == ModelType::TreeEnsemble) {
      size_t nodes = 0;
      for (const Tree &t : m.trees)
        nodes += t.nodes.size();
      os << ", " << m.trees.size() << " trees, " << nodes << " nodes"
         << (m.float32 ? ", float32" : "");
    }
    os << "\n";
    return out;
  }
  const PipelineSpec *featurePipeline(const Descriptor &d) const override {
    return &spec(d).pipeline;
  }
  // Linear models and MLPs: yes; tree walks keep the full pipeline (its
  // unrolling and GVN shape the level loops).
  bool leanOptimization(const Descriptor &d) const override {
    return spec(d).type != ModelType::TreeEnsemble;
  }
  bool callsTranscendentals(const Descriptor &d) const override {
    const ModelSpec &m = spec(d);
    if (!m.margin && (m.link == Link::Logistic || m.link == Link::Softmax))
      return true;
    for (const DenseLayer &l : m.layers)
      if (l.activation == Activation::Tanh || l.activation == Activation::Logistic)
        return true;
    return Family::callsTranscendentals(d);
  }

  llvm::Expected<std::unique_ptr<interp::Interpreter>>
  createInterpreter(const Descriptor &d) const override {
    return interp::createModelInterpreter(spec(d));
  }
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  importToSpec(mlir::MLIRContext &ctx, const Descriptor &d) const override {
    return importModel(ctx, spec(d));
  }
};

} // namespace

const Family &modelFamily() {
  static const ModelFamily family;
  return family;
}

} // namespace jit
} // namespace specjit
