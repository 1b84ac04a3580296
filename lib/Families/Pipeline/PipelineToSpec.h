//===- PipelineToSpec.h - A feature pipeline in the spec dialect -*- C++ -*-===//
//
// The pipeline family's import: one spec.kernel whose body reads the inputs
// (spec.input), applies one spec op per plan node and writes the plan's
// outputs. The model family builds its kernels the same way, with its model
// as a stage after the features (importFeatureKernel).
//
//===----------------------------------------------------------------------===//

#ifndef SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINETOSPEC_H
#define SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINETOSPEC_H

#include "Families/Pipeline/PipelineSpec.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace specjit {
namespace jit {

/// What a kernel built on a feature pipeline is called and writes.
struct FeatureKernelSignature {
  std::string name; ///< the kernel's symbol ("kernel" when empty)
  const std::vector<std::string> *outputNames = nullptr;
  DType outputType = DType::F32;
};

/// The stage after the features: it receives the plan's outputs as f64
/// values, with the builder inside the kernel's body, and returns the
/// values the kernel writes.
using FeatureStage = llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::OpBuilder &b,
                                                                       mlir::ValueRange features)>;

/// A module of one spec.kernel over `p`'s inputs and plan, writing `stage`'s
/// results (the features themselves when `stage` is null).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importFeatureKernel(mlir::MLIRContext &ctx, const PipelineSpec &p,
                    const FeatureKernelSignature &signature, FeatureStage stage = nullptr);

/// The pipeline family's kernel: importFeatureKernel with the pipeline's
/// name, outputs and output type.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importPipeline(mlir::MLIRContext &ctx,
                                                                 const PipelineSpec &p);

} // namespace jit
} // namespace specjit

#endif // SPECJIT_LIB_FAMILIES_PIPELINE_PIPELINETOSPEC_H
