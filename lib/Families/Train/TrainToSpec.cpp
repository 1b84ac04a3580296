//===- TrainToSpec.cpp - A train descriptor in the spec dialect -----------===//
//
// The compiled part of training is the epoch: its batches in order, each
// step (forward, loss, backward, update) fused, with the stop checks after
// every batch; what lies between epochs (rows, shuffle, early stopping,
// history) stays in Trainer.cpp for both backends. The step's every shape
// and hyper-parameter goes into spec.train_step as an attribute.
//
//===----------------------------------------------------------------------===//

#include "Families/Train/TrainToSpec.h"
#include "Families/Train/TrainSpec.h"

#include "Conversion/DescriptorToSpec/ImportSupport.h"

#include "specjit/Dialect/Spec/IR/SpecDialect.h"
#include "specjit/Dialect/Spec/IR/SpecOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace specjit {
namespace train {

/// Batches up to this many rows get a copy of the step with the row count
/// folded in (larger ones gain nothing from constant trip counts).
constexpr int64_t kMaxFoldedBatch = 4096;

llvm::Expected<OwningOpRef<ModuleOp>> importTrainStep(MLIRContext &ctx, const jit::TrainSpec &t) {
  ctx.getOrLoadDialect<spec::SpecDialect>();
  OpBuilder b(&ctx);
  Location loc = jit::descriptorLoc(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<int64_t> widths = {t.numFeatures};
  SmallVector<StringRef> activations;
  if (t.modelType == jit::ModelType::Linear) {
    widths.push_back(t.numOutputs);
    activations.push_back("identity");
  } else {
    for (const jit::LayerShape &l : t.layers) {
      widths.push_back(l.units);
      activations.push_back(jit::activationName(l.activation));
    }
  }
  bool adam = t.optimizer == jit::OptimizerType::Adam;
  b.create<spec::TrainStepOp>(
      loc, b.getStringAttr(t.name.empty() ? "train" : t.name), b.getDenseI64ArrayAttr(widths),
      b.getStrArrayAttr(activations), b.getStringAttr(jit::lossName(t.loss)),
      b.getStringAttr(jit::optimizerName(t.optimizer)), b.getF64FloatAttr(t.learningRate),
      b.getF64FloatAttr(adam ? 0.0 : t.momentum), b.getF64FloatAttr(t.beta1),
      b.getF64FloatAttr(t.beta2), b.getF64FloatAttr(t.epsilon), b.getF64FloatAttr(t.l2),
      b.getI64IntegerAttr(t.batchSize <= kMaxFoldedBatch ? t.batchSize : 0),
      b.getI64IntegerAttr(t.batchSize));
  return jit::verifiedImport(std::move(module));
}

} // namespace train
} // namespace specjit
