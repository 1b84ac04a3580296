//===- TrainFamily.cpp - The train family ---------------------------------===//
//
// docs/train-semantics.md: a training loop (model, loss, optimizer, batches,
// early stopping) over a data file, run by jit::train and `specjit train`;
// its kernel is the batch step (spec.train_step), not a row kernel.
//
//===----------------------------------------------------------------------===//

#include "Families/Family.h"
#include "Families/Train/TrainSpec.h"
#include "Families/Train/TrainToSpec.h"

#include "Interpreter/Interpreter.h"

namespace specjit {
namespace jit {
namespace {

class TrainFamily final : public FamilyOf<TrainSpec> {
public:
  TrainFamily() : FamilyOf("train") {}

  llvm::Expected<Descriptor> parse(const llvm::json::Object &root) const override {
    return detail::parseTrain(root);
  }
  const std::string &name(const Descriptor &d) const override { return spec(d).name; }
  /// The features the trained model reads.
  const std::vector<std::string> &outputNames(const Descriptor &d) const override {
    return spec(d).pipeline.plan.outputNames;
  }
  DType outputType(const Descriptor &) const override { return DType::F64; }
  const std::vector<InputColumn> &inputs(const Descriptor &d) const override {
    return spec(d).dataColumns;
  }
  llvm::StringRef outputNoun() const override { return "features"; }
  RunShape runShape() const override { return RunShape::Driven; }
  std::string summary(const Descriptor &d) const override {
    return detail::summarizeTrain(spec(d));
  }
  // No featurePipeline: the preprocessing runs on the interpreter's
  // FeatureProgram before training; the kernel is the batch step alone.

  llvm::Expected<std::unique_ptr<interp::Interpreter>>
  createInterpreter(const Descriptor &d) const override {
    return notAKernel(d, "train", "train");
  }
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  importToSpec(mlir::MLIRContext &ctx, const Descriptor &d) const override {
    return train::importTrainStep(ctx, spec(d));
  }
};

} // namespace

const Family &trainFamily() {
  static const TrainFamily family;
  return family;
}

} // namespace jit
} // namespace specjit
